"""A draw falling due on an open line: repaid from cash first, or rolled over (a setting)."""

from __future__ import annotations

import numpy as np

from autofin.scenario.loading import load_scenario
from autofin.world.model import AutofinModel, simulate
from conftest import SCENARIOS


def _at_limit(*overrides: str) -> tuple[AutofinModel, np.ndarray, np.ndarray]:
    """The baseline as opened, with the lines of the firms owing a draw at step 1 at their limit.

    Returns the model, those firms and the principal each owes at step 1.
    """
    scenario = load_scenario(SCENARIOS / "baseline.yaml", overrides=["warmup_days=0", *overrides])
    model = AutofinModel(scenario)
    banks = model.banks
    due = banks.principal_book.peek_due(1)
    owing = np.flatnonzero(due > 0)
    banks.part_limit[:, owing] = banks.part_drawn[:, owing]
    return model, owing, due[owing]


def _drawable(model: AutofinModel, firms: np.ndarray) -> np.ndarray:
    banks = model.banks
    capacity = np.full(banks.count, np.inf)
    exposure = banks.part_drawn[:, firms].sum(axis=0)
    return banks.drawable(model.ledger, 1, firms, exposure, capacity)


def test_a_line_at_its_limit_refinances_what_falls_due_only_when_draws_roll_over():
    repay_first, owing, due = _at_limit()
    assert owing.size > 10
    # Repay first, then borrow: nothing to draw until the maturing draw is paid from cash.
    assert np.all(_drawable(repay_first, owing) == 0.0)
    # Rolled over: the principal falling due is room to draw again, and no more.
    rolling, owing_too, _ = _at_limit("banks.roll_over_maturing_draws=true")
    np.testing.assert_array_equal(owing_too, owing)
    np.testing.assert_allclose(_drawable(rolling, owing), due, rtol=1e-12)


def test_a_frozen_line_does_not_roll_over():
    model, owing, _ = _at_limit("banks.roll_over_maturing_draws=true")
    model.banks.part_frozen[:, owing] = True
    assert np.all(_drawable(model, owing) == 0.0)


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
