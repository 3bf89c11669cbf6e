"""The default waterfall on hand-made estates: order, pro rata shares and conservation."""

from __future__ import annotations

import numpy as np
import pytest

from autofin.world.estate import Claims, Collateral, Estate, Rank, waterfall


def one_estate(
    cash: float = 0.0,
    receivables: float = 0.0,
    inventory: float = 0.0,
    fixed_assets: float = 0.0,
    **rates: float,
) -> Estate:
    return Estate(
        np.array([cash]),
        np.array([receivables]),
        np.array([inventory]),
        np.array([fixed_assets]),
        **rates,
    )


def conserved(estate: Estate, claims: Claims, payout) -> None:
    assert payout.paid.sum() + payout.residual.sum() == pytest.approx(estate.realised().sum())
    np.testing.assert_allclose(payout.paid + payout.unpaid, claims.amount)
    assert np.all(payout.paid >= -1e-12)
    assert np.all(payout.unpaid >= -1e-12)


def test_secured_lender_is_paid_from_its_collateral_only_and_the_shortfall_joins_the_class():
    # Inventory 100 at 30% realises 30; cash 50. The inventory lender is owed 80: it takes the
    # 30 of its collateral, and its 50 shortfall shares the free 50 with a 50 trade claim.
    estate = one_estate(cash=50.0, inventory=100.0, inventory_rate=0.3)
    claims = Claims.concat(
        [
            Claims.of([0], [80.0], Collateral.INVENTORY),
            Claims.of([0], [50.0]),
        ]
    )
    payout = waterfall(estate, claims)
    np.testing.assert_allclose(payout.paid, [30.0 + 25.0, 25.0])
    conserved(estate, claims, payout)


def test_collateral_left_after_its_secured_claims_joins_the_free_estate():
    estate = one_estate(cash=0.0, inventory=100.0, inventory_rate=0.5)
    claims = Claims.concat(
        [Claims.of([0], [20.0], Collateral.INVENTORY), Claims.of([0, 0], [40.0, 20.0])]
    )
    payout = waterfall(estate, claims)
    np.testing.assert_allclose(payout.paid, [20.0, 20.0, 10.0])
    assert payout.residual[0] == pytest.approx(0.0)
    conserved(estate, claims, payout)


def test_classes_are_paid_in_order_and_pro_rata_within_a_class():
    estate = one_estate(cash=100.0)
    claims = Claims.concat(
        [
            Claims.of([0], [30.0], rank=Rank.PRIORITY),
            Claims.of([0, 0], [60.0, 40.0], rank=Rank.GENERAL),
            Claims.of([0], [10.0], rank=Rank.SUBORDINATED),
        ]
    )
    payout = waterfall(estate, claims)
    # Priority in full (30), the 70 left shared 60:40 by the general class, nothing below.
    np.testing.assert_allclose(payout.paid, [30.0, 42.0, 28.0, 0.0])
    conserved(estate, claims, payout)


def test_what_is_left_after_every_claim_goes_to_the_owners():
    estate = one_estate(cash=100.0, fixed_assets=50.0, fixed_asset_rate=0.2)
    claims = Claims.of([0], [60.0])
    payout = waterfall(estate, claims)
    assert payout.paid[0] == pytest.approx(60.0)
    assert payout.residual[0] == pytest.approx(50.0)
    conserved(estate, claims, payout)


def test_receivables_are_sold_at_their_expected_collection_price_not_the_inventory_haircut():
    estate = one_estate(
        receivables=100.0, inventory=100.0, collection_rate=0.97, inventory_rate=0.3
    )
    np.testing.assert_allclose(estate.proceeds()[:, 0], [0.0, 97.0, 30.0, 0.0, 0.0])


def test_assigned_invoices_pay_their_lender_and_the_other_receivables_pay_the_line():
    # Receivables 100 of the line's and 60 assigned to an order-financing bank, both sold at
    # 90%: the line (owed 120) takes 90 and the order financier (owed 50) 50 of its 54; the
    # 4 left joins the cash 10, shared by the line's 30 shortfall and a 40 trade claim (0.2).
    estate = Estate(
        np.array([10.0]),
        np.array([100.0]),
        np.zeros(1),
        np.zeros(1),
        collection_rate=0.9,
        assigned_receivables=np.array([60.0]),
    )
    claims = Claims.concat(
        [
            Claims.of([0], [120.0], Collateral.RECEIVABLES),
            Claims.of([0], [50.0], Collateral.ASSIGNED_RECEIVABLES),
            Claims.of([0], [40.0]),
        ]
    )
    payout = waterfall(estate, claims)
    np.testing.assert_allclose(payout.paid, [90.0 + 6.0, 50.0, 8.0])
    conserved(estate, claims, payout)


def test_assigned_invoices_fetch_their_own_buyers_price():
    # 100 of invoices on a risky buyer (60%) assigned to the order financier, 100 on a safe one
    # (100%) left to the line: each lender gets what its own invoices fetch, not the average.
    estate = Estate(
        np.zeros(1),
        np.array([100.0]),
        np.zeros(1),
        np.zeros(1),
        collection_rate=1.0,
        assigned_receivables=np.array([100.0]),
        assigned_collection_rate=0.6,
    )
    claims = Claims.concat(
        [
            Claims.of([0], [100.0], Collateral.RECEIVABLES),
            Claims.of([0], [100.0], Collateral.ASSIGNED_RECEIVABLES),
        ]
    )
    payout = waterfall(estate, claims)
    np.testing.assert_allclose(payout.paid, [100.0, 60.0])
    conserved(estate, claims, payout)


def test_several_debtors_are_settled_independently():
    estate = Estate(
        np.array([10.0, 100.0]),
        np.zeros(2),
        np.array([100.0, 0.0]),
        np.zeros(2),
        inventory_rate=np.array([0.5, 0.5]),
    )
    claims = Claims.concat(
        [
            Claims.of([0], [100.0], Collateral.INVENTORY),
            Claims.of([0, 1, 1], [20.0, 50.0, 150.0]),
        ]
    )
    payout = waterfall(estate, claims)
    # Debtor 0: the lender takes 50 of inventory; its 50 shortfall and the 20 share 10 (5:2).
    # Debtor 1: 100 shared 50:150.
    np.testing.assert_allclose(payout.paid, [50.0 + 50.0 / 7.0, 20.0 / 7.0, 25.0, 75.0])
    conserved(estate, claims, payout)


def test_random_estates_conserve_money_and_never_pay_a_claim_more_than_it_is_owed():
    rng = np.random.default_rng(8)
    for _ in range(50):
        n, k = int(rng.integers(1, 6)), int(rng.integers(0, 20))
        estate = Estate(
            *(rng.uniform(0, 100, size=n) for _ in range(4)),
            collection_rate=rng.uniform(0.5, 1.0, size=n),
            inventory_rate=rng.uniform(0, 1, size=n),
            fixed_asset_rate=rng.uniform(0, 1, size=n),
            assigned_receivables=rng.uniform(0, 100, size=n),
        )
        claims = Claims(
            rng.integers(0, n, size=k),
            rng.uniform(0, 150, size=k),
            rng.integers(-1, len(Collateral) - 1, size=k),
            rng.integers(0, 3, size=k),
        )
        payout = waterfall(estate, claims)
        conserved(estate, claims, payout)
        # Owners get something only when every claim on their firm is paid in full.
        for d in np.flatnonzero(payout.residual > 1e-9):
            assert np.allclose(payout.unpaid[claims.debtor == d], 0.0)


def test_bad_claims_are_refused_with_the_field_named():
    estate = one_estate(cash=1.0)
    with pytest.raises(ValueError, match=r"claims\.debtor"):
        waterfall(estate, Claims.of([1], [1.0]))
    with pytest.raises(ValueError, match=r"claims\.amount"):
        waterfall(estate, Claims.of([0], [-1.0]))
    with pytest.raises(ValueError, match=r"claims\.collateral"):
        waterfall(estate, Claims.of([0], [1.0], collateral=7))
