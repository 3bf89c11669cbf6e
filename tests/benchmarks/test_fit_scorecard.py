"""`benchmarks/fit_scorecard.py` records what the banks scored and what befell each supplier."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from autofin.scenario.loading import load_scenario
from autofin.world.model import simulate
from conftest import SCENARIOS

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import fit_scorecard  # noqa: E402


def test_the_record_holds_every_supplier_step_and_default_the_run_counts():
    overrides = ["horizon_days=364"]
    history = fit_scorecard.record("long_terms_stress", range(2), overrides)
    runs = [
        simulate(
            load_scenario(SCENARIOS / "long_terms_stress.yaml", overrides=[f"seed={s}", *overrides])
        )
        for s in range(2)
    ]
    defaults = sum(run.timeseries["supplier_defaults"].sum() for run in runs)
    supplier_steps = sum(run.timeseries["suppliers_active"].sum() for run in runs)
    assert defaults > 0
    assert history["defaulted"].sum() == defaults
    assert history["defaulted"].size == supplier_steps
    # The recorded features and errors rebuild the banks' scores, as `scored_hazard_mean`.
    spec = load_scenario(SCENARIOS / "long_terms_stress.yaml").banks.scoring
    weights = np.array([getattr(spec, k) for k in fit_scorecard.NAMES])
    log_odds = fit_scorecard.design(history) @ weights + history["error"] + history["shift"]
    hazard = np.logaddexp(0.0, np.minimum(log_odds, 27.6))
    scored = sum(
        (run.timeseries["scored_hazard_mean"] * run.timeseries["suppliers_active"]).sum()
        for run in runs
    )
    np.testing.assert_allclose(hazard.sum(), scored, rtol=1e-9)


def test_a_fit_keeps_the_signs_the_schema_gives_and_raises_the_likelihood():
    history = fit_scorecard.record("long_terms_stress", range(2), ["horizon_days=364"])
    start = np.array([-7.0, 5.0, 8.0, 0.5, 2.0, 0.2])
    fitted = fit_scorecard.fit([history], start, "step")
    assert np.all(fitted[1:] >= 0.0)
    assert not np.allclose(fitted, start)


def test_held_and_bounded_weights_stay_and_a_levelled_model_scores_the_defaults_seen():
    history = fit_scorecard.record("long_terms_stress", range(2), ["horizon_days=364"])
    start = np.array([-7.0, 5.0, 8.0, 0.5, 2.0, 0.2])
    names = fit_scorecard.NAMES
    held = fit_scorecard.fit([history], start, "year", hold={"leverage": 5.0})
    # Unbounded, this history fits a steeper cash-flow weight and a higher intercept than the
    # bounds below allow: the bounds must bind to pass.
    assert held[names.index("cash_flow")] > 20.0
    assert held[names.index("intercept")] > -12.0
    fitted = fit_scorecard.fit(
        [history],
        start,
        "year",
        hold={"leverage": 5.0},
        most={"cash_flow": 20.0, "intercept": -12.0},
    )
    assert fitted[names.index("leverage")] == 5.0
    assert fitted[names.index("cash_flow")] == pytest.approx(20.0)
    assert fitted[names.index("intercept")] == pytest.approx(-12.0)
    with pytest.raises(ValueError, match="lev: not a weight"):
        fit_scorecard.fit([history], start, "year", hold={"lev": 5.0})
    # Levelled, the unlearnt scores' hazard adds up to the defaults (per year of exposure);
    # only the intercept moved.
    levelled = fit_scorecard.level([history], fitted)
    np.testing.assert_array_equal(levelled[1:], fitted[1:])
    log_odds = fit_scorecard.design(history) @ levelled + history["error"]
    scored = np.logaddexp(0.0, log_odds).sum() * float(history["step_years"])
    assert history["defaulted"].sum() > 0
    np.testing.assert_allclose(scored, history["defaulted"].sum(), rtol=1e-6)
    # No intercept scores a history without defaults: levelling one is refused, not clamped.
    calm = {**history, "defaulted": np.zeros_like(history["defaulted"])}
    with pytest.raises(ValueError, match="no default"):
        fit_scorecard.level([calm], fitted)
