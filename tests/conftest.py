"""Shared fixtures: small scenarios that run in a fraction of a second."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from autofin.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"

SMALL: dict[str, Any] = {
    "name": "small",
    "seed": 1,
    "horizon_days": 364,
    "network": {"tiers": [8, 20, 30]},
    "consumers": {"population": 8000},
    "banks": {"count": 3},
}


def merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``changes`` into a copy of ``base``."""
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def small_scenario(**changes: Any) -> Scenario:
    """A small valid scenario, with nested ``changes`` merged in."""
    return Scenario.model_validate(merge(SMALL, changes))


@pytest.fixture
def small() -> Scenario:
    return small_scenario()
