"""A draw falling due on an open line: repaid from cash first, or rolled over (a setting)."""

from __future__ import annotations

import numpy as np
import pytest

from autofin.results.replications import simulate_replications
from autofin.scenario.loading import load_scenario
from autofin.world.model import AutofinModel, simulate
from conftest import SCENARIOS


def _opened(*overrides: str) -> AutofinModel:
    """The baseline as opened (no warm-up): every line's draws fall due over its first term."""
    scenario = load_scenario(SCENARIOS / "baseline.yaml", overrides=["warmup_days=0", *overrides])
    return AutofinModel(scenario)


def test_a_rollover_moves_the_maturing_principal_a_term_on_without_cash():
    model = _opened("banks.roll_over_maturing_draws=true")
    banks, firms = model.banks, model.firms
    term = banks.term_steps
    principal, interest = banks.principal_book, banks.interest_book
    owing = np.flatnonzero(principal.peek_due(1) > 0)
    assert owing.size > 10
    due = principal.peek_due(1)[owing].copy()
    later, interest_later = principal.peek_due(1 + term)[owing].copy(), interest.peek_due(1 + term)
    interest_later = interest_later[owing].copy()
    interest_now = interest.peek_due(1)[owing].copy()
    drawn, debt, cash = banks.part_drawn.copy(), firms.debt.copy(), model.ledger.balance.copy()
    owed_interest = banks.part_interest.copy()
    # Half the firms are short of half their maturing principal, the rest of more than all.
    shortfall = np.where(np.arange(owing.size) % 2 == 0, 0.5 * due, 2.0 * due)
    rolled = banks.roll_over(1, owing, shortfall)
    np.testing.assert_allclose(rolled, np.minimum(shortfall, due), rtol=1e-12)
    np.testing.assert_allclose(principal.peek_due(1)[owing], due - rolled, atol=1e-9)
    np.testing.assert_allclose(principal.peek_due(1 + term)[owing], later + rolled, rtol=1e-12)
    # The new draws bear the new term's interest at the line's rate; today's is still due.
    new_interest = rolled * banks.part_rate[0, owing] * term * banks.step_years
    np.testing.assert_allclose(
        interest.peek_due(1 + term)[owing], interest_later + new_interest, rtol=1e-12
    )
    np.testing.assert_array_equal(interest.peek_due(1)[owing], interest_now)
    np.testing.assert_allclose(
        banks.part_interest[0, owing], owed_interest[0, owing] + new_interest, rtol=1e-12
    )
    # Nothing is paid out or drawn: the line's use and every balance stay as they were.
    np.testing.assert_array_equal(banks.part_drawn, drawn)
    np.testing.assert_array_equal(firms.debt, debt)
    np.testing.assert_array_equal(model.ledger.balance, cash)


def test_a_frozen_line_does_not_roll_over():
    model = _opened("banks.roll_over_maturing_draws=true")
    banks = model.banks
    owing = np.flatnonzero(banks.principal_book.peek_due(1) > 0)
    banks.part_frozen[:, owing] = True
    rolled = banks.roll_over(1, owing, np.full(owing.size, np.inf))
    assert np.all(rolled == 0.0)


def test_each_bank_of_a_shared_line_rolls_its_part_at_its_rate_and_a_closed_part_stops_it():
    # Three banks share each line. A firm whose part with one bank is frozen, or whose bank
    # has failed, rolls nothing: the closed part runs off as before, and the loan book's one
    # amount due per firm is repaid in the parts' shares.
    model = _opened("banks.roll_over_maturing_draws=true", "banks.relationships=3")
    banks = model.banks
    owing = np.flatnonzero(banks.principal_book.peek_due(1) > 0)
    frozen, failed_bank = owing[0::3], 2
    banks.part_frozen[1, frozen] = True
    banks.failed[failed_bank] = True
    closed = np.isin(owing, frozen) | (banks.part_bank[:, owing] == failed_bank).any(axis=0)
    assert closed.any()
    assert (~closed).any()
    due = banks.principal_book.peek_due(1)[owing].copy()
    owed_interest = banks.part_interest[:, owing].copy()
    rolled = banks.roll_over(1, owing, np.full(owing.size, np.inf))
    assert np.all(rolled[closed] == 0.0)
    np.testing.assert_allclose(rolled[~closed], due[~closed], rtol=1e-12)
    # Each part's new interest is its share of the rolled principal at its own rate.
    drawn = banks.part_drawn[:, owing]
    share = drawn / drawn.sum(axis=0)
    rate = banks.part_rate[:, owing]
    term_years = banks.term_steps * banks.step_years
    expected = owed_interest + share * rolled * rate * term_years
    np.testing.assert_allclose(banks.part_interest[:, owing], expected, rtol=1e-9)
    assert np.ptp(rate[:, ~closed], axis=0).max() > 0  # the banks' rates differ


def test_no_open_line_is_drawn_beyond_its_limit_and_no_late_firm_rolls_over():
    # `long_terms_stress` seed 6 has firms in arrears on open lines at their limits. A
    # rollover that paid out the maturing principal let such a firm keep it and defer the
    # repayment, one draw more over its limit each step; a cashless one cannot.
    scenario = load_scenario(
        SCENARIOS / "long_terms_stress.yaml",
        overrides=["seed=6", "banks.roll_over_maturing_draws=true"],
    )
    model = AutofinModel(scenario, check=True)  # the accounting identities, every step
    banks, firms = model.banks, model.firms
    roll_over = banks.roll_over
    rolled, late_rolled = [], []

    def recording(step, borrowers, shortfall):
        amounts = roll_over(step, borrowers, shortfall)
        rolled.extend(amounts)
        late_rolled.extend(amounts[firms.arrears_steps[borrowers] > 0])
        return amounts

    banks.roll_over = recording  # type: ignore[method-assign]
    late_seen = False
    while model.step_index < model.spec.steps:
        model.step()
        open_part = ~banks.part_frozen & firms.active
        over = (banks.part_drawn - banks.part_limit)[open_part]
        assert over.max(initial=0.0) <= 1e-6 * banks.part_limit.max()
        late_seen |= bool((firms.active & (firms.arrears_steps > 0)).any())
    assert sum(rolled) > 0
    assert late_seen
    assert not late_rolled


def test_suppliers_at_their_limits_fail_for_want_of_cash_only_when_they_must_repay_first():
    # At 240-day terms suppliers carry more receivables on their lines; repaying each
    # maturing draw from cash before drawing again sinks some of those at their limits.
    def defaults(*overrides: str) -> int:
        return sum(
            simulate(
                load_scenario(
                    SCENARIOS / "scf_none.yaml",
                    overrides=[f"seed={seed}", "automakers.payment_term_days=240", *overrides],
                )
            ).summary["supplier_defaults"]
            for seed in range(8)
        )

    assert defaults("banks.roll_over_maturing_draws=true") < defaults()


@pytest.mark.parametrize(("term_days", "term_steps"), [(90, 3), (68, 2)])
def test_a_step_longer_than_repay_first_days_repays_only_that_many_days_from_cash(
    term_days, term_steps
):
    # A 28-day step repays from cash 7 days' worth of the line's draws, 7 / term_days of
    # them, and rolls the rest of its maturities over. Before, the whole step's maturities
    # were due at once: most suppliers illiquid. The term is rounded to whole steps (68 days
    # to 56), which must not change the cash needed at once.
    model = _opened("step_days=28", f"banks.loan_term_days={term_days}")
    banks = model.banks
    assert banks.term_steps == term_steps
    owing = np.flatnonzero(banks.principal_book.peek_due(1) > 0)
    due = banks.principal_book.peek_due(1)[owing].copy()
    drawn = banks.principal_book.open_totals()[owing].copy()
    rolled = []
    roll_over = banks.roll_over

    def seen(step, borrowers, shortfall):
        done = roll_over(step, borrowers, shortfall)
        rolled.append(dict(zip(borrowers.tolist(), done.tolist(), strict=True)))
        return done

    banks.roll_over = seen
    model.step()
    assert rolled, "nothing was rolled over"
    repaid_first = due - [rolled[0][f] for f in owing]
    np.testing.assert_allclose(repaid_first, 7 / term_days * drawn, rtol=1e-12)


def test_a_step_no_longer_than_repay_first_days_rolls_nothing_over():
    # The shipped 7-day step: nothing rolls, every result as it was measured.
    a, b = _opened(), _opened("banks.repay_first_days=30")
    owing = np.flatnonzero(a.banks.principal_book.peek_due(1) > 0)
    for model in (a, b):
        model.step()
    term = a.banks.term_steps
    np.testing.assert_array_equal(
        a.banks.principal_book.peek_due(1 + term)[owing],
        b.banks.principal_book.peek_due(1 + term)[owing],
    )
    np.testing.assert_array_equal(a.ledger.balance, b.ledger.balance)


def test_the_step_length_does_not_decide_supplier_defaults():
    # The baseline at weekly, fortnightly and four-weekly steps, 4 seeds each: the 28-day
    # step lost 186 suppliers a run (154 in the warm-up), the 14-day 44, the 7-day 2.
    defaults = {}
    for step_days in (7, 14, 28):
        scenario = load_scenario(
            SCENARIOS / "baseline.yaml", overrides=[f"step_days={step_days}", "replications=4"]
        )
        summary = simulate_replications(scenario).summary
        defaults[step_days] = (
            summary["supplier_defaults"],
            summary["warmup_supplier_defaults"],
        )
    weekly = defaults[7][0]
    for step_days in (14, 28):
        assert abs(defaults[step_days][0] - weekly) <= 5, defaults
        assert defaults[step_days][1] <= 2, defaults


def test_the_loan_term_rounded_to_whole_steps_does_not_decide_supplier_defaults():
    # At a 28-day step a 68-day term is two steps (56 days); the cash repaid at once is still
    # 7 days of the real term's draws. Scaled by the rounded term it lost 33.5 suppliers a
    # run (seeds 0-7) against 2.8 at 90 days.
    defaults = {
        term: simulate_replications(
            load_scenario(
                SCENARIOS / "baseline.yaml",
                overrides=["step_days=28", f"banks.loan_term_days={term}", "replications=4"],
            )
        ).summary["supplier_defaults"]
        for term in (68, 90)
    }
    assert abs(defaults[68] - defaults[90]) <= 5, defaults
