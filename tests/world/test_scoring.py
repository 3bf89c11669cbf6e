"""Banks learn their PD models from the defaults they observe.

Realised default frequency: supplier defaults per supplier-year active, over the steps after
the warm-up (the warm-up is the burn-in), seeds 0-2 pooled. The scored side is the same
population's mean scored PD expressed as an annual hazard, -ln(1 - PD) (`scored_hazard_mean`),
the unit in which defaults per borrower-year are counted (they coincide for small PDs).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from autofin.scenario.loading import load_scenario
from autofin.world.metrics import one_year_pd_calibration
from autofin.world.model import simulate
from conftest import SCENARIOS

NEVER_LEARN = "banks.scoring.learning_prior=1e15"


def scored_and_realised(name: str, *overrides: str) -> tuple[float, float]:
    """Mean scored hazard and realised defaults per borrower-year after the warm-up, seeds 0-2."""
    scored, defaults, firm_steps = 0.0, 0.0, 0.0
    for seed in range(3):
        scenario = load_scenario(SCENARIOS / f"{name}.yaml", overrides=[f"seed={seed}", *overrides])
        series = simulate(scenario).timeseries
        scored += float((series["scored_hazard_mean"] * series["suppliers_active"]).sum())
        defaults += float(series["supplier_defaults"].sum())
        firm_steps += float(series["suppliers_active"].sum())
    steps_per_year = 365.0 / scenario.step_days
    return scored / firm_steps, defaults / firm_steps * steps_per_year


@pytest.mark.xfail(
    strict=True,
    reason="issue 8: re-measured 2026-12-04 with the opening holdings and the payout while "
    "indebted: learnt scores are 0.016 against 0.041 realised, never-learnt 0.034 against "
    "0.061 (2026-12-03: 0.016 against 0.037, 0.036 against 0.058): an "
    "intercept learnt in the calm, default-free warm-up lowers the scores through the "
    "cascade (fewer lines freeze, fewer firms fail); most stressed defaults are suppliers "
    "drawn with a margin below cost, failing as their cash runs out (realised hazard 0.005, "
    "0.032, 0.077 in years 1-3 against an unlearnt model's 0.03-0.04 on 2026-12-03); see "
    "docs/calibration.md",
)
def test_under_stress_learning_closes_much_of_the_gap_but_lags_the_cascade():
    # What issue 8 asks under stress, where far more defaults come than the unlearnt model
    # predicts: learnt scores rise, closer to the realised frequency than a model that never
    # learns, yet below it (a model fitted to past evidence lags a cascade).
    learnt, realised = scored_and_realised("long_terms_stress")
    fixed, realised_fixed = scored_and_realised("long_terms_stress", NEVER_LEARN)
    assert fixed < learnt < realised
    assert abs(np.log(learnt / realised)) < 0.5 * abs(np.log(fixed / realised_fixed))


@pytest.mark.xfail(
    strict=True,
    reason="issue 8: re-measured 2026-12-04 with the opening holdings and the payout while "
    "indebted: the baseline reads 1.03 (0.0034 scored against 0.0033 realised), "
    "long_terms_stress 0.39 (0.0159 against 0.0410); on 2026-12-03 75 of its 110 defaults "
    "were suppliers drawn with a margin below cost, whose hazard climbs as their cash runs "
    "out; the model's "
    "features do not see that clock and an intercept anchored in the warm-up lags it; see "
    "docs/calibration.md",
)
def test_scored_pd_within_a_factor_of_1_5_of_realised_frequency():
    for name in ("baseline", "long_terms_stress"):
        learnt, realised = scored_and_realised(name)
        assert abs(np.log(learnt / realised)) < np.log(1.5), name


def test_one_year_calibration_compares_each_cohorts_scores_with_its_defaults_that_year():
    # 1,000 suppliers, one default a week: a cohort loses 52 of them in its year. Scores of
    # 5.2% a year are calibrated; scores twice as high read 2.
    steps = 3 * 52
    active = 1000.0 - np.arange(steps)
    series = pd.DataFrame({"suppliers_active": active, "supplier_defaults": np.ones(steps)})
    calibrated = 52.0 / active  # each cohort's own one-year default share
    assert one_year_pd_calibration(series.assign(scored_pd_mean=calibrated), 7) == (
        pytest.approx(1.0)
    )
    assert one_year_pd_calibration(series.assign(scored_pd_mean=2 * calibrated), 7) == (
        pytest.approx(2.0)
    )
    # A default counts for the cohort whose step it falls in, and for the year's earlier ones.
    first = np.zeros(steps)
    first[0] = 10.0
    burst = series.assign(supplier_defaults=first, scored_pd_mean=first / active)
    assert one_year_pd_calibration(burst, 7) == pytest.approx(1.0)
    # Less than a year after the warm-up, or no default: nothing to compare.
    short = series.assign(scored_pd_mean=calibrated).head(40)
    assert np.isnan(one_year_pd_calibration(short, 7))
    quiet = series.assign(scored_pd_mean=calibrated, supplier_defaults=0.0)
    assert np.isnan(one_year_pd_calibration(quiet, 7))


def test_every_run_reports_its_one_year_calibration():
    summary = simulate(load_scenario(SCENARIOS / "long_terms_stress.yaml")).summary
    assert summary["scored_pd_one_year_ratio"] > 0
