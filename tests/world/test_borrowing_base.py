"""Credit lines renewed against the receivables a supplier carries (a borrowing base).

A line signed at opening covers the working capital of the business the firm then did. When
its sales grow (a demand surge) it carries more receivables on the same payment terms; at its
next review the bank lends against them, as asset-based lenders do, so growth does not by
itself make a sound supplier illiquid.
"""

from __future__ import annotations

import numpy as np

from autofin.scenario.loading import load_scenario
from autofin.world.model import AutofinModel, simulate
from conftest import SCENARIOS

SURGE = [
    "warmup_days=0",
    "horizon_days=364",
    "shocks=[{type: demand, day: 28, duration_days: 336, factor: 1.25}]",
]


def surged(seed: int, *overrides: str) -> AutofinModel:
    """The baseline under a lasting 25% demand surge, run for a year."""
    scenario = load_scenario(
        SCENARIOS / "baseline.yaml", overrides=[f"seed={seed}", *SURGE, *overrides]
    )
    model = AutofinModel(scenario)
    while model.step_index < model.spec.steps:
        model.step()
    return model


def test_lines_grow_with_the_receivables_of_a_demand_surge():
    model = surged(0)
    firms, banks = model.firms, model.banks
    live = firms.active & ~firms.is_automaker & ~banks.line_frozen
    # Tier-1 suppliers, paid by the automaker at 170 days, carry more receivables than their
    # opening line covered, and their renewed lines lend against them (upper tiers, paid
    # sooner, stay within their contracts); no line falls below the contract it opened with.
    grown = live & (banks.line_limit > 1.01 * banks.line_contract)
    tier1 = live & (firms.tier == 1)
    assert (grown & tier1).sum() > 0.5 * tier1.sum()
    assert np.all(banks.line_limit[live] >= banks.line_contract[live] * (1 - 1e-12))
    np.testing.assert_allclose(
        banks.line_limit[grown], 0.8 * firms.receivables[grown], rtol=0.35
    )  # approved on the receivables of their last review (up to 13 steps ago), followed since


def test_without_a_borrowing_base_a_surge_makes_sound_suppliers_illiquid():
    # Suppliers that make every order, funded or not: with production limited to what their
    # funds carry, neither line defaults here (tests/world/test_working_capital.py).
    def defaults(*overrides: str) -> float:
        unconstrained = ("suppliers.finance_constrained_production=false", *overrides)
        return float(
            np.mean([(~surged(seed, *unconstrained).firms.active).sum() for seed in range(3)])
        )

    with_base, fixed_lines = defaults(), defaults("banks.receivables_advance_rate=0")
    assert with_base < fixed_lines


def test_fast_approval_on_the_traditional_chain_sells_more_without_breaking_it():
    # Three-minute approval wins buyers the traditional chain was not sized for; the chain's
    # suppliers finance the larger receivables at their reviews instead of failing in a
    # cascade (seeds 1 and 3 lost most suppliers when lines were renewed at their contract).
    for seed in (1, 3):
        overrides = {"seed": seed, "horizon_days": 728}
        traditional = simulate(
            load_scenario(SCENARIOS / "consumer_traditional.yaml", overrides=overrides)
        ).summary
        fast = simulate(
            load_scenario(SCENARIOS / "three_minute_approval.yaml", overrides=overrides)
        ).summary
        assert fast["sales_units"] > 1.1 * traditional["sales_units"]
        assert fast["supplier_defaults"] < 0.05 * 340


def test_a_renewal_lends_the_advance_rate_of_receivables_never_below_the_contract():
    scenario = load_scenario(
        SCENARIOS / "baseline.yaml",
        overrides=["warmup_days=0", "banks.relationships=2", "banks.main_bank_share=0.6"],
    )
    model = AutofinModel(scenario)
    firms, banks = model.firms, model.banks
    contract = banks.part_contract.copy()
    firms.receivables[:] = 0.0
    firms.receivables[1] = 2.0 * contract[:, 1].sum() / 0.8  # twice the line in collateral
    limit = banks.base_limit(firms.receivables)
    # Without collateral above it, every part renews at its contract.
    np.testing.assert_array_equal(limit[:, 2:], contract[:, 2:])
    # With it, each bank lends its share of 80% of the receivables: twice the line here.
    np.testing.assert_allclose(limit[:, 1], np.array([0.6, 0.4]) * 2.0 * contract[:, 1].sum())
