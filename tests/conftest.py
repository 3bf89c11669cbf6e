"""Shared fixtures: small scenarios that run in a fraction of a second."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from autofin.scenario.loading import deep_merge
from autofin.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"

TINY = """
name: tiny
horizon_days: 70
network: {tiers: [3, 4]}
suppliers: {payment_term_days: [60, 30]}
consumers: {population: 500}
banks: {count: 2}
"""
"""A tiny scenario file's text, for tests of loading and the CLI."""

TINY_SETTINGS: dict[str, Any] = yaml.safe_load(TINY)
"""The tiny scenario as a mapping, for tests that build scenarios in Python."""


def write(directory: Path, name: str, text: str) -> Path:
    """Write ``text`` (dedented) to ``directory / name`` and return the path."""
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


SMALL: dict[str, Any] = {
    "name": "small",
    "seed": 1,
    "horizon_days": 364,
    "network": {"tiers": [8, 20, 30]},
    "consumers": {"population": 8000},
    "banks": {"count": 3},
}


def small_scenario(**changes: Any) -> Scenario:
    """A small valid scenario, with nested ``changes`` merged in."""
    return Scenario.model_validate(deep_merge(SMALL, changes))


@pytest.fixture
def small() -> Scenario:
    return small_scenario()
