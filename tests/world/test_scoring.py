"""Banks learn their PD models from the defaults they observe."""

from __future__ import annotations

import numpy as np

from autofin.scenario.loading import load_scenario
from autofin.world.model import simulate
from conftest import SCENARIOS

BURN_IN_STEPS = 52
NEVER_LEARN = "banks.scoring.learning_prior=1e15"


def scored_and_realised(name: str, *overrides: str) -> tuple[float, float]:
    """Mean scored PD and realised annual default frequency after the burn-in, seeds 0-2."""
    scored, defaults, firm_steps = 0.0, 0.0, 0.0
    for seed in range(3):
        scenario = load_scenario(SCENARIOS / f"{name}.yaml", overrides=[f"seed={seed}", *overrides])
        series = simulate(scenario).timeseries
        after = series[series["step"] > BURN_IN_STEPS]
        scored += float((after["scored_pd_mean"] * after["suppliers_active"]).sum())
        defaults += float(after["supplier_defaults"].sum())
        firm_steps += float(after["suppliers_active"].sum())
    steps_per_year = 365.0 / scenario.step_days
    return scored / firm_steps, defaults / firm_steps * steps_per_year


def test_learning_brings_scored_pd_towards_realised_default_frequency():
    # Baseline: fewer defaults than the unlearnt model predicts; learning closes the gap.
    learnt, realised = scored_and_realised("baseline")
    fixed, realised_fixed = scored_and_realised("baseline", NEVER_LEARN)
    assert abs(np.log(learnt / realised)) < abs(np.log(fixed / realised_fixed))
    assert abs(np.log(learnt / realised)) < np.log(1.5)


def test_under_stress_learning_raises_scored_pd_but_lags_the_cascade():
    # Stress: more defaults than predicted; learnt scores rise (and, through frozen lines,
    # so do defaults: learning is procyclical), yet they stay below the realised frequency.
    learnt, realised = scored_and_realised("long_terms_stress")
    fixed, _ = scored_and_realised("long_terms_stress", NEVER_LEARN)
    assert fixed < learnt < realised
