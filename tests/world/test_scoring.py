"""Banks learn their PD models from the defaults they observe.

Realised default frequency: supplier defaults per supplier-year active, over the steps after
the warm-up (the warm-up is the burn-in), seeds pooled (0-31 for the baseline, whose two
defaults a run leave eight seeds' ratio anywhere from 0.9 to 4.4; 0-7 under stress). The
scored side is the same population's mean scored PD expressed as an annual hazard,
-ln(1 - PD) (`scored_hazard_mean`), the unit in which defaults per borrower-year are counted
(they coincide for small PDs).
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

from autofin.scenario.loading import load_scenario
from autofin.world.metrics import one_year_pd_calibration
from autofin.world.model import simulate
from conftest import SCENARIOS

NEVER_LEARN = "banks.scoring.learning_prior=1e15"


@functools.cache
def scored_and_realised(name: str, *overrides: str, seeds: range = range(8)) -> tuple[float, float]:
    """Mean scored hazard and realised defaults per borrower-year after the warm-up, pooled."""
    scored, defaults, firm_steps = 0.0, 0.0, 0.0
    for seed in seeds:
        scenario = load_scenario(SCENARIOS / f"{name}.yaml", overrides=[f"seed={seed}", *overrides])
        series = simulate(scenario).timeseries
        scored += float((series["scored_hazard_mean"] * series["suppliers_active"]).sum())
        defaults += float(series["supplier_defaults"].sum())
        firm_steps += float(series["suppliers_active"].sum())
    steps_per_year = 365.0 / scenario.step_days
    return scored / firm_steps, defaults / firm_steps * steps_per_year


@pytest.mark.robustness
def test_scored_pd_within_a_factor_of_1_5_of_realised_frequency():
    # Issue 8, averaged over replications: a baseline with about three defaults a run (32 of
    # them) and a stressed world with about twenty (8). Measured 2026-12-05 (late, lines
    # sized by the CBRC's formula at opening and renewal, no raise without interest cover,
    # intercept levelled to -8.45 for lines sized at opening only): 0.87 and 0.83 (that
    # evening, before the cover test, 0.90 and 0.79) (the seeds are not those it was calibrated
    # on, baseline 100-131 and stress 100-115); lines sized at opening only 0.88 and 0.85; on
    # the former lines 0.81 and 0.79; with the hand-set scorecard 1.73 and 0.46.
    for name, seeds in (("baseline", range(32)), ("long_terms_stress", range(8))):
        learnt, realised = scored_and_realised(name, seeds=seeds)
        assert abs(np.log(learnt / realised)) < np.log(1.5), name


@pytest.mark.robustness
@pytest.mark.xfail(
    strict=True,
    reason="issue 8: measured 2026-12-05 (late) over seeds 0-7 with the calibrated "
    "scorecard, never learning reads 0.99 and learning 0.83 (before the interest-cover test on "
    "re-sizing 1.00 and 0.79; lines sized at opening only 1.04 "
    "and 0.85; on the former lines 0.93 and 0.79): the intercept learnt in the calm, "
    "default-free warm-up lowers the stressed scores, and a long memory keeps them low "
    "through the cascade; see docs/calibration.md",
)
def test_under_stress_learning_brings_the_scores_no_further_from_the_defaults():
    # Learning from the defaults a bank sees should not leave its scores of a stressed world
    # further from the realised frequency (in the log) than the unlearnt model's. (When the
    # unlearnt model scored the stress too low, this test asked for learning to close most
    # of the gap; calibrated on the model's own history, it no longer does.)
    learnt = np.divide(*scored_and_realised("long_terms_stress"))
    fixed = np.divide(*scored_and_realised("long_terms_stress", NEVER_LEARN))
    assert abs(np.log(learnt)) <= abs(np.log(fixed))


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
