"""The work estimate `autofin validate` prints: close to measured run times, erring high.

The measured times are those in `autofin.scenario.workload`'s docstring (5 December 2026,
one core, `wall_time_s` of `autofin run ... --no-report`); the estimate once said 31 s for
the baseline's 4.1-4.3 s.
"""

from __future__ import annotations

import pytest

from autofin.scenario.loading import load_scenario
from autofin.scenario.workload import estimate_workload
from conftest import SCENARIOS

WITHIN = 1.5
"""The estimate is at least the measured time and at most this many times it."""


@pytest.mark.parametrize(
    ("name", "overrides", "measured"),
    [
        ("baseline", [], 4.25),
        ("baseline", ["replications=1", "horizon_days=3640"], 1.37),
        ("baseline", ["replications=1", "consumers.population=2000000"], 1.26),
        ("baseline", ["replications=1", "network.tiers=[1000,3000,6000]"], 1.56),
        (
            "baseline",
            [
                "replications=1",
                "network.tiers=[400,1000,2000]",
                "consumers.population=500000",
                "horizon_days=182",
            ],
            0.46,
        ),
        ("core_enterprise_platform", [], 7.86),
        ("consumer_traditional", [], 4.79),
        ("automaker_competition", [], 5.56),
        ("syndicated_loan", [], 4.15),
    ],
)
def test_the_estimate_is_near_the_measured_run_time_and_not_below_it(name, overrides, measured):
    scenario = load_scenario(SCENARIOS / f"{name}.yaml", overrides)
    seconds = estimate_workload(scenario).seconds
    assert measured <= seconds <= WITHIN * measured


def test_the_warm_up_is_counted():
    # The model runs the warm-up's steps too (52 for a year of weekly steps).
    path = SCENARIOS / "baseline.yaml"
    without = estimate_workload(load_scenario(path, ["warmup_days=0"])).seconds
    with_year = estimate_workload(load_scenario(path)).seconds
    steps = load_scenario(path).steps
    assert with_year / without == pytest.approx((steps + 52) / steps, rel=0.05)


def test_replications_run_one_after_another():
    path = SCENARIOS / "baseline.yaml"
    one = estimate_workload(load_scenario(path, ["replications=1"]))
    eight = estimate_workload(load_scenario(path, ["replications=8"]))
    assert eight.seconds == pytest.approx(8 * one.seconds)
    assert eight.memory_bytes == one.memory_bytes


def test_the_baseline_is_described_in_seconds():
    workload = estimate_workload(load_scenario(SCENARIOS / "baseline.yaml"))
    assert workload.describe().endswith("and about 5 s in all")
    assert workload.describe().startswith(
        "156 steps after 52 of warm-up, a run × 8 runs, 341 firms"
    )
