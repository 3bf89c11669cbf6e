"""The borrowing base counts only eligible receivables, and availability follows it.

Issue 8's review items: receivables another lender holds a claim on (order financing), and a
long-late buyer's invoices, are not collateral for the line; between reviews the part of a
line above its contract follows the current base; with several relationship banks the line
lends no more than one bank would.
"""

from __future__ import annotations

import numpy as np

from autofin.scenario.loading import load_scenario
from autofin.world.model import AutofinModel
from conftest import SCENARIOS


def opened(name: str, *overrides: str) -> AutofinModel:
    """The world of scenario ``name`` as it opens (no warm-up).

    Its lines are not sized again at renewal: these tests' subject is the borrowing base, so a
    line they empty of its contract must stay sized by the base alone.
    """
    settings = ["warmup_days=0", "banks.resize_lines_at_renewal=false", *overrides]
    return AutofinModel(load_scenario(SCENARIOS / f"{name}.yaml", settings))


def review(model: AutofinModel, step: int) -> None:
    """Run the banks' line review at ``step`` on the model's books, every firm sound."""
    firms = model.firms
    model.banks.review_lines(
        firms,
        model.ledger,
        step,
        np.zeros(firms.n),
        firms.leverage(model.ledger.balance[: firms.n]),
        model.finance.eligible_receivables(firms, model.trade, model.banks),
        firms.own_funds(),
    )


def reviewed_at(model: AutofinModel, firm: int) -> int:
    """A step at which ``firm``'s line is due for its scheduled review."""
    return (-firm) % model.banks.review_steps


def test_receivables_pledged_to_order_financing_are_not_in_the_base():
    model = opened("order_financing")
    for _ in range(10):
        model.step()
    firms, banks, of = model.firms, model.banks, model.finance.order_financing
    assert of is not None
    # The order-financing bank takes what it is owed on an edge out of the edge's invoices.
    owed = of.face + of.pending_face.open_totals()
    held = firms.by_supplier(np.minimum(owed, model.trade.edge_book.open_totals()))
    firm = int(np.argmax(held / np.maximum(firms.receivables, 1e-12)))
    assert held[firm] > 0.1 * firms.receivables[firm]
    banks.part_contract[:, firm] = 0.0  # nothing signed or drawn: the base alone sizes the line
    banks.part_drawn[:, firm] = 0.0
    review(model, reviewed_at(model, firm))
    rate = banks.spec.receivables_advance_rate
    np.testing.assert_allclose(
        banks.line_limit[firm], rate * (firms.receivables[firm] - held[firm])
    )


def test_invoices_of_a_buyer_long_in_arrears_are_not_in_the_base():
    model = opened("baseline", "banks.grace_days=182")
    firms, banks, trade = model.firms, model.banks, model.trade
    open_invoices = trade.edge_book.open_totals()
    # A supplier with several customers, one of them a supplier itself (it can fall late).
    pairs = np.unique(np.stack([firms.edge_supplier, firms.edge_customer]), axis=1)
    sellers, customers = np.unique(pairs[0][pairs[0] >= 0], return_counts=True)
    several = np.isin(firms.edge_supplier, sellers[customers > 1])
    candidates = several & (firms.tier[firms.edge_customer] > 0) & (open_invoices > 0)
    edge = int(np.flatnonzero(candidates)[0])
    supplier, buyer = int(firms.edge_supplier[edge]), int(firms.edge_customer[edge])
    cutoff_steps = -(-banks.spec.ineligible_days_past_due // model.spec.step_days)
    firms.arrears_steps[buyer] = cutoff_steps + 1  # its oldest rolled invoice is that late
    late = firms.edge_customer == buyer
    excluded = firms.by_supplier(np.where(late, open_invoices, 0.0))[supplier]
    assert 0 < excluded < firms.receivables[supplier]
    banks.part_contract[:, supplier] = 0.0  # nothing signed or drawn: the base sizes the line
    banks.part_drawn[:, supplier] = 0.0
    review(model, reviewed_at(model, supplier))
    rate = banks.spec.receivables_advance_rate
    np.testing.assert_allclose(
        banks.line_limit[supplier], rate * (firms.receivables[supplier] - excluded)
    )
    # A buyer late for less than the cut-off leaves its invoices in the base.
    firms.arrears_steps[buyer] = cutoff_steps - 1
    review(model, reviewed_at(model, supplier))
    np.testing.assert_allclose(banks.line_limit[supplier], rate * firms.receivables[supplier])


def test_a_defaulted_buyer_leaves_no_invoice_in_the_base():
    # Not a flaw: a defaulting buyer's open invoices leave the books (and its suppliers'
    # receivables) when it defaults; the waterfall pays them.
    model = opened("baseline", "shocks=[{type: force_default, day: 14, tier: 1, rank: 1}]")
    for _ in range(4):
        model.step()
    firms = model.firms
    assert (~firms.active[~firms.is_automaker]).any()
    owed_by_defaulted = ~firms.active[firms.edge_customer]
    assert model.trade.edge_book.open_totals()[owed_by_defaulted].sum() == 0.0
    np.testing.assert_allclose(
        firms.receivables, model.trade.open_by_supplier(firms), rtol=1e-9, atol=1e-6
    )


def test_availability_follows_the_base_between_reviews():
    model = opened("baseline")
    firms, banks = model.firms, model.banks
    firm = int(np.flatnonzero(firms.tier == 2)[0])
    contract = banks.line_contract[firm]
    rate = banks.spec.receivables_advance_rate
    step = reviewed_at(model, firm)
    firms.receivables[firm] = 3.0 * contract / rate
    review(model, step)
    np.testing.assert_allclose(banks.line_limit[firm], 3.0 * contract)
    # The receivables fall before the next review: availability falls with them...
    firms.receivables[firm] = 1.5 * contract / rate
    review(model, step + 1)
    drawn = banks.part_drawn[:, firm].sum()
    assert drawn < 1.5 * contract
    np.testing.assert_allclose(banks.line_limit[firm], 1.5 * contract)
    # ...never below the contract...
    firms.receivables[firm] = 0.5 * contract / rate
    review(model, step + 2)
    assert not banks.line_frozen[firm]
    np.testing.assert_allclose(banks.line_limit[firm], contract)
    # ...and back up with the base, up to what the review approved.
    firms.receivables[firm] = 5.0 * contract / rate
    review(model, step + 3)
    np.testing.assert_allclose(banks.line_limit[firm], 3.0 * contract)


def test_availability_never_falls_below_what_is_drawn():
    model = opened("baseline")
    firms, banks = model.firms, model.banks
    firm = int(np.flatnonzero(firms.tier == 2)[0])
    contract = banks.line_contract[firm]
    rate = banks.spec.receivables_advance_rate
    step = reviewed_at(model, firm)
    firms.receivables[firm] = 3.0 * contract / rate
    review(model, step)
    banks.part_drawn[:, firm] = banks.part_share * 2.0 * contract  # drawn above the contract
    firms.receivables[firm] = 0.5 * contract / rate
    review(model, step + 1)
    assert not banks.line_frozen[firm]
    np.testing.assert_allclose(banks.part_limit[:, firm], banks.part_share * 2.0 * contract)
    assert banks.undrawn(firms)[firm] == 0.0


def test_several_banks_lend_no_more_than_one_against_the_same_base():
    # The main bank's extension for new output is its own contract; the other banks' shares
    # of the base must not lend again against the receivables the extension finances.
    lines = {}
    for k in (1, 2, 3):
        model = opened("baseline", f"banks.relationships={k}")
        firms, banks = model.firms, model.banks
        firm = int(np.flatnonzero(firms.tier == 1)[0])
        contract = banks.line_contract[firm]
        extension = np.zeros(firms.n)
        extension[firm] = 0.5 * contract
        banks.extend_main_lines(extension)
        rate = banks.spec.receivables_advance_rate
        firms.receivables[firm] = 1.3 * contract / rate  # a base between contract and extended
        review(model, reviewed_at(model, firm))
        lines[k] = banks.line_limit[firm]
        # The extended contract is the larger: the line is that, whatever the banks' shares.
        np.testing.assert_allclose(lines[k], 1.5 * contract)
        assert np.all(banks.part_limit[:, firm] >= banks.part_contract[:, firm] * (1 - 1e-12))


def test_invoices_sold_to_a_bank_leave_the_sellers_base():
    # Not a flaw: factoring and reverse factoring take a sold invoice off the trade book and
    # out of the seller's receivables when they buy it, so the base never counts it.
    for name in ("factoring", "platform_reverse_factoring"):
        model = opened(name)
        finance = model.finance
        books = [p.invoices for p in finance.platforms]
        if finance.factoring is not None:
            books.append(finance.factoring.invoices)
        sold = 0.0
        for _ in range(26):
            model.step()
            sold = max(sold, sum(book.face.open_totals().sum() for book in books))
            firms = model.firms
            np.testing.assert_allclose(
                firms.receivables, model.trade.open_by_supplier(firms), rtol=1e-9, atol=1e-6
            )
            eligible = finance.eligible_receivables(firms, model.trade, model.banks)
            np.testing.assert_array_equal(eligible, firms.receivables)
        assert sold > 0, name
