"""Shared fixtures: small scenarios that run in a fraction of a second."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from autofin.results.result import Result
from autofin.results.writing import write_results
from autofin.scenario.loading import deep_merge, load_scenario
from autofin.scenario.schema import Scenario
from autofin.world.model import simulate

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"

ROOMY_GROWTH = 0.25
"""A `banks.expected_sales_growth` that opens credit lines with room, for tests whose subject is
not how much room a line has. The shipped 0.04 leaves a tier-1 supplier about a week of
revenue undrawn; the lines these tests were written on (1.25 times the opening debt) left
about as much as 0.18 does, so 0.25 is a little roomier than those."""

LINES_BEYOND_COLLATERAL = (
    "suppliers.recovery_rate=0",
    "suppliers.equity_days=10",
    "suppliers.inventory_target_days=60",
    "automakers.payment_term_days=30",
    "warmup_days=0",
)
"""Overrides that leave suppliers owing their banks more than their estates fetch.

Credit lines are secured on the receivables, so a bank loses on a default only what they do
not cover: firms paid at 30 days (few receivables), with thin equity (10 days) and large
stocks (60 days) that fetch nothing. No warm-up: after a year of trading the largest tier-1
firms hold enough cash that their estates repay their banks.
"""

TINY = """
name: tiny
horizon_days: 70
warmup_days: 0
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


# ---------------------------------------------------------------- runs for the report tests
ARTIFACTS = ROOT / "tests" / "artifacts"
"""Screenshots of the browser tests, for a person to look at (git-ignored)."""


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where the browser tests save screenshots (tests/artifacts/, git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def baseline() -> Result:
    """The baseline's world under stress, so that defaults and cascades occur (about 340 firms,
    156 weekly steps; the baseline itself has a few defaults in some seeds and none in others).

    Seed 0: 41 defaults, 7 of them caused by a customer's default (the scenario's own seed 42
    has 26 and none since banks learn from the long run).
    """
    return simulate(load_scenario(SCENARIOS / "long_terms_stress.yaml", ["seed=0"]))


@pytest.fixture(scope="session")
def variant() -> Result:
    """A second, shorter run under another name, to overlay on the baseline."""
    scenario = load_scenario(SCENARIOS / "platform_reverse_factoring.yaml", ["horizon_days=546"])
    return simulate(scenario)


@pytest.fixture(scope="session")
def baseline_dir(baseline: Result, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The baseline's results written to a directory."""
    return write_results(baseline, tmp_path_factory.mktemp("runs") / "baseline")


@pytest.fixture(scope="session")
def variant_dir(variant: Result, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The variant's results written to a directory."""
    return write_results(variant, tmp_path_factory.mktemp("runs") / "variant")
