"""The warm-up: steps run before day 0 move the world but are left out of every result."""

from __future__ import annotations

import numpy as np

from autofin.world.model import AutofinModel, simulate
from conftest import small_scenario

SHORT = {"horizon_days": 91, "warmup_days": 182}


def test_results_start_at_day_0_after_the_warm_up():
    scenario = small_scenario(**SHORT, seed=3)
    result = simulate(scenario, check=True, panel=True, loans=True)
    series = result.timeseries
    assert series["step"].tolist() == list(range(1, scenario.steps + 1))
    assert series["day"].tolist() == [s * scenario.step_days for s in series["step"]]
    assert result.summary["steps"] == scenario.steps
    for name, frame in [
        ("flows", result.flows),
        ("events", result.events),
        ("panel", result.panel),
        ("loans", result.loans),
    ]:
        assert frame is not None, name
        assert frame["step"].between(1, scenario.steps).all(), name
    assert result.flows["step"].nunique() == scenario.steps
    assert result.panel["step"].nunique() == scenario.steps
    # Network moves after day 0 only; the opening edges are those at day 0.
    assert (result.network["step"] >= 0).all()


def test_the_warm_up_moves_the_world_and_banks_learn_during_it():
    cold = AutofinModel(small_scenario(**{**SHORT, "warmup_days": 0}, seed=3))
    warm = AutofinModel(small_scenario(**SHORT, seed=3))
    assert cold.step_index == warm.step_index == 0
    assert warm.warmup_steps == 26
    # The warm model has already run: its firms and its banks' scores have moved.
    assert not np.allclose(cold.firms.cash_flow_margin, warm.firms.cash_flow_margin)
    assert np.all(cold.banks.scoring.intercept_shift == 0.0)
    assert np.all(warm.banks.scoring.intercept_shift != 0.0)


def test_a_warm_run_is_the_tail_of_a_longer_cold_run():
    # Same seed: the results of a warm-up run are the last steps of a run that records
    # everything from the opening state, with money flows identical step for step.
    warm = simulate(small_scenario(**SHORT, seed=5))
    cold = simulate(small_scenario(horizon_days=91 + 182, warmup_days=0, seed=5))
    tail = cold.timeseries.iloc[26:].reset_index(drop=True)
    for column in ("supplier_debt", "automaker_cash", "sales_units", "bank_capital"):
        np.testing.assert_allclose(warm.timeseries[column], tail[column], rtol=1e-9)


def test_shocks_are_dated_from_day_0():
    shock = [{"type": "force_default", "day": 14, "tier": 1, "rank": 1}]
    result = simulate(small_scenario(**SHORT, seed=3, shocks=shock))
    forced = result.events[result.events["reason"] == "forced"]
    assert forced["day"].tolist() == [14]
