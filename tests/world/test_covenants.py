"""Leverage covenants are set at origination with headroom over each borrower's own leverage."""

from __future__ import annotations

import numpy as np

from autofin.scenario.loading import load_scenario
from autofin.world.model import AutofinModel
from conftest import SCENARIOS


def _opening(*overrides: str) -> AutofinModel:
    """The baseline as built, before any step (no warm-up)."""
    scenario = load_scenario(SCENARIOS / "baseline.yaml", overrides=["warmup_days=0", *overrides])
    return AutofinModel(scenario)


def test_every_line_opens_with_the_headroom_over_its_own_leverage():
    model = _opening("banks.covenant_headroom=0.5")
    firms, banks = model.firms, model.banks
    leverage = firms.leverage(model.ledger.balance[: firms.n])
    # Tiers open at very different leverage (longer receivable terms, more debt), so one
    # global threshold would sit close to some firms' own ratio and far from others'.
    assert np.ptp(leverage) > 0.2
    assert np.all(banks.line_covenant > leverage)
    # Breach comes when half of the opening equity-to-assets ratio is lost, for every firm.
    np.testing.assert_allclose(1.0 - banks.line_covenant, 0.5 * (1.0 - leverage))


def test_a_tighter_covenant_breaches_earlier_and_an_open_covenant_never():
    loose, tight = _opening("banks.covenant_headroom=0.75"), _opening("banks.covenant_headroom=0.5")
    assert np.all(tight.banks.line_covenant < loose.banks.line_covenant)
    assert np.all(_opening("banks.covenant_headroom=1.0").banks.line_covenant == 1.0)


def test_no_line_is_in_breach_at_origination():
    model = _opening("banks.covenant_headroom=0.2")
    model.step()
    assert not model.banks.line_frozen.any()
