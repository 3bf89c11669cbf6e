"""`benchmarks/default_kinds.py` splits supplier defaults into sound firms and loss-makers."""

from __future__ import annotations

import sys
from pathlib import Path

from autofin.scenario.loading import load_scenario
from autofin.world.model import simulate
from conftest import SCENARIOS

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import default_kinds  # noqa: E402


def test_every_supplier_default_is_counted_once_as_sound_or_loss_making():
    result = simulate(
        load_scenario(
            SCENARIOS / "long_terms_stress.yaml", overrides=["seed=0", "horizon_days=364"]
        )
    )
    sound, loss_makers = default_kinds.kinds(result)
    assert sound + loss_makers == result.summary["supplier_defaults"] > 0
    # Under stress about one supplier in nine prices below its cost: most of those that fail
    # lost money over the run.
    assert loss_makers > sound
    defaulted = result.firms[
        result.firms["default_step"].notna() & (result.firms["type"] == "supplier")
    ]
    assert loss_makers == int((defaulted["ebit"] <= 0).sum())
