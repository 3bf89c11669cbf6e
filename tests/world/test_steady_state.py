"""With no shock, the baseline stays near its state at day 0 (after the warm-up)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from autofin.results.replications import simulate_replications
from autofin.scenario.loading import load_scenario
from autofin.world.metrics import quarterly_drift
from autofin.world.model import simulate
from conftest import SCENARIOS

QUARTER_STEPS = 13


def drift(series: pd.DataFrame, column: str) -> np.ndarray:
    """Each whole quarter's mean of ``column`` relative to its value at day 0, less one."""
    return quarterly_drift(series[column].to_numpy(), QUARTER_STEPS)


def test_baseline_keeps_supplier_debt_and_automaker_cash_within_15_percent():
    # What `autofin run scenarios/baseline.yaml` reports: the mean path of its eight
    # replications (seeds 42-49). Single runs of a market of about 14 cars a week wander
    # further by chance (see docs/calibration.md); the mean path must not drift.
    scenario = load_scenario(SCENARIOS / "baseline.yaml")
    assert scenario.replications == 8
    series = simulate_replications(scenario).timeseries
    for column in ("supplier_debt", "automaker_cash"):
        assert np.all(np.abs(drift(series, column)) <= 0.15), column


@pytest.mark.robustness  # forty three-year runs: the second stage of make test
def test_the_steady_state_holds_on_other_seeds_and_drifts_without_payouts():
    # Two other sets of eight seeds stay within the band. Without the payout while indebted,
    # firms with a drawn line keep their profits, which repay debt: seeds 0-7 leave the band.
    # With no payouts at all profits also fill the automaker's cash.
    for seed in (0, 50):
        scenario = load_scenario(SCENARIOS / "baseline.yaml", overrides=[f"seed={seed}"])
        series = simulate_replications(scenario).timeseries
        for column in ("supplier_debt", "automaker_cash"):
            assert np.all(np.abs(drift(series, column)) <= 0.15), (seed, column)
    retaining = load_scenario(
        SCENARIOS / "baseline.yaml",
        overrides=[
            "seed=0",
            "suppliers.payout_while_indebted=false",
            "automakers.payout_while_indebted=false",
        ],
    )
    assert drift(simulate_replications(retaining).timeseries, "supplier_debt").min() < (-0.15)
    hoarding = load_scenario(
        SCENARIOS / "baseline.yaml",
        overrides=["suppliers.dividend_payout=0", "automakers.dividend_payout=0"],
    )
    series = simulate_replications(hoarding).timeseries
    assert drift(series, "supplier_debt").min() < -0.15
    assert drift(series, "automaker_cash").max() > 0.15


@pytest.mark.robustness  # eight seven-year runs: the second stage of make test
def test_over_seven_years_the_baseline_does_not_unravel_through_orphaned_suppliers():
    # A defaulted supplier's own suppliers used to keep their capacity and costs with no
    # customer; they failed in turn, orphaned the tier above them, and banks learning from the
    # stream of defaults froze lines. Seeds 0-7 lost 1,190 suppliers in years 5-7 (five seeds
    # collapsed) with neither change of 2026-12-03; 492 with long-run learning alone; 162
    # with the business followed alone (seed 7 still spiralled); 81 with both, the rules
    # tested here (see docs/calibration.md); 144 on the rules of the steady state (seed 7: 61).
    late = {}
    for follow in (True, False):
        late[follow] = 0.0
        for seed in range(8):
            series = simulate(
                load_scenario(
                    SCENARIOS / "baseline.yaml",
                    overrides=[
                        f"seed={seed}",
                        "horizon_days=2555",
                        f"suppliers.inputs_follow_business={str(follow).lower()}",
                    ],
                )
            ).timeseries
            late[follow] += float(series["supplier_defaults"].iloc[4 * 52 :].sum())
    suppliers, seed_years = 340, 8 * 3
    assert late[True] < 0.25 * late[False]
    assert late[True] / seed_years < 0.03 * suppliers  # under 3% of the suppliers a year
