"""With no shock, the baseline stays near its state at day 0 (after the warm-up)."""

from __future__ import annotations

import numpy as np
import pytest

from autofin.scenario.loading import load_scenario
from autofin.world.model import simulate
from conftest import SCENARIOS

QUARTER_STEPS = 13


@pytest.mark.xfail(
    strict=True,
    reason="issue 8: after the warm-up, baseline supplier debt's quarterly means range from "
    "-43% to +19% of day 0 over seeds 42-45 (re-measured 2026-12-03; automaker cash -6% to "
    "+7%): the year's warm-up ends half-way through a seven-quarter transient (day 0 sits "
    "13-16% above where debt settles), and single runs of a market of 14.5 cars a week swing "
    "-40% to +32% even after two years' warm-up. The mean path of eight replications "
    "passes after a two-year warm-up (worst -13% over seeds 0-7, 42-49, 50-57) but that "
    "warm-up takes the baseline to 1.78x its time at 439607d (budget 1.5); see "
    "docs/calibration.md",
)
def test_baseline_keeps_supplier_debt_and_automaker_cash_within_15_percent():
    for seed in (42, 43, 44):
        series = simulate(
            load_scenario(SCENARIOS / "baseline.yaml", overrides=[f"seed={seed}"])
        ).timeseries
        for column in ("supplier_debt", "automaker_cash"):
            values = series[column].to_numpy()
            whole = values[: values.size // QUARTER_STEPS * QUARTER_STEPS]
            quarters = whole.reshape(-1, QUARTER_STEPS).mean(axis=1)
            assert np.all(np.abs(quarters / values[0] - 1.0) <= 0.15), (seed, column)


@pytest.mark.robustness  # eight seven-year runs: the second stage of make test
def test_over_seven_years_the_baseline_does_not_unravel_through_orphaned_suppliers():
    # A defaulted supplier's own suppliers used to keep their capacity and costs with no
    # customer; they failed in turn, orphaned the tier above them, and banks learning from the
    # stream of defaults froze lines. Seeds 0-7 lost 1,190 suppliers in years 5-7 (five seeds
    # collapsed) with neither change of 2026-12-03; 492 with long-run learning alone; 162
    # with the business followed alone (seed 7 still spiralled); 81 with both, the rules
    # tested here (see docs/calibration.md).
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
