"""Cost shocks and the margins banks score, given per week, act per day at any step length.

They were applied once a step, so a 35-day step forgot as much in one step as a 7-day step in
one week, and 5-day steps forgot more per day. 35 days is 5 steps of 7 days, 7 of 5 and 1 of
35. (Demand forecasts keep their weight a step: a planning rule, see `step_days`.)
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from autofin.world import production
from autofin.world.firms import MARGIN_SMOOTHING
from autofin.world.model import AutofinModel
from conftest import small_scenario

STEPS = [5, 7, 35]
"""Step lengths that divide 35 days."""


@pytest.mark.parametrize("step_days", STEPS)
def test_cost_shocks_keep_their_weekly_persistence_and_spread(step_days):
    # Shocks drawn over 35 days are as correlated with the opening ones as five weekly AR(1)
    # steps make them (0.9^5), and keep the weekly process's stationary spread.
    scenario = small_scenario(step_days=step_days, horizon_days=350, warmup_days=0)
    sup = scenario.suppliers
    n = 200_000
    stationary = sup.cost_shock_sd / np.sqrt(1.0 - sup.cost_shock_persistence**2)
    rng = np.random.default_rng(5)
    opening = rng.normal(0.0, stationary, n)
    firms = SimpleNamespace(n=n, cost_shock=opening.copy(), is_automaker=np.zeros(n, bool))
    for _ in range(35 // step_days):
        production.draw_cost_shocks(firms, scenario, rng)
    correlation = np.corrcoef(opening, firms.cost_shock)[0, 1]
    assert correlation == pytest.approx(sup.cost_shock_persistence**5, abs=0.01)
    assert firms.cost_shock.std() == pytest.approx(stationary, rel=0.01)


def test_a_firms_smoothed_margin_moves_as_far_in_35_days_at_any_step_length():
    # A firm that sells nothing has a steady margin of minus its fixed costs over its expected
    # revenue (per step, so the same at any step length); its smoothed margin, opened at 0,
    # covers 1 - 0.9^5 of the way to it in 35 days.
    reached = {}
    for step_days in STEPS:
        model = AutofinModel(small_scenario(step_days=step_days, warmup_days=0))
        firms = model.firms
        firms.cash_flow_margin[:] = 0.0
        idle = np.zeros(firms.edge_supplier.size), np.zeros(firms.n)
        for _ in range(35 // step_days):
            firms.close_step(*idle, step_days)
        steady = -firms.fixed_cost_per_step / (firms.price * firms.expected_output)
        supplier = ~firms.is_automaker
        reached[step_days] = (firms.cash_flow_margin / steady)[supplier]
    for step_days in STEPS:
        assert reached[step_days] == pytest.approx(1.0 - (1.0 - MARGIN_SMOOTHING) ** 5, rel=1e-9)


@pytest.mark.parametrize("step_days", STEPS)
def test_over_35_days_of_steps_the_signals_banks_score_forget_five_weeks_worth(step_days):
    # Through the model's own steps: the smoothed margin and arrears frequency of a firm
    # never late keep 0.9^5 of where they stood 35 days earlier (their weekly weights are
    # 0.1), whatever the step length. Opened far from what a step brings (a margin of 10,
    # where a step's is within ±1; arrears of 1), what is left of the opening values is that
    # share, to within 1/10 of the rest for the margin.
    model = AutofinModel(small_scenario(step_days=step_days, warmup_days=0))
    firms = model.firms
    firms.cash_flow_margin[:] = 10.0
    firms.arrears_history[:] = 1.0
    never_late = firms.active.copy()
    for _ in range(35 // step_days):
        model.step()
        never_late &= firms.active & (firms.arrears_steps == 0)
    assert never_late.sum() > 10
    kept = (1.0 - MARGIN_SMOOTHING) ** 5
    assert firms.arrears_history[never_late] == pytest.approx(kept, rel=1e-9)
    assert firms.cash_flow_margin[never_late] / 10.0 == pytest.approx(kept, abs=(1 - kept) / 10)
