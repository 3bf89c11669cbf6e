"""Runs shared by the report tests: the baseline (with defaults and cascades) and a variant."""

from __future__ import annotations

from pathlib import Path

import pytest

from autofin.results.result import Result
from autofin.results.writing import write_results
from autofin.scenario.loading import load_scenario
from autofin.world.model import simulate

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
"""Screenshots of the browser tests, for a person to look at (git-ignored)."""


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where the browser tests save screenshots (tests/artifacts/, git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def baseline() -> Result:
    """The baseline scenario's results (about 340 firms, 156 weekly steps)."""
    return simulate(load_scenario(SCENARIOS / "baseline.yaml"))


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
