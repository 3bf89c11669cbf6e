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
    "+7%): retained profits repay debt and the working-capital cycle swings it; see "
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
