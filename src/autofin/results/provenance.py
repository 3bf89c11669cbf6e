"""Provenance of a run: what was run, with which software, when and how long it took."""

from __future__ import annotations

import platform
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from autofin.scenario.loading import scenario_hash
from autofin.scenario.schema import Scenario

PROVENANCE_KEYS = (
    "scenario_name",
    "scenario_sha256",
    "seed",
    "autofin_version",
    "mesa_version",
    "numpy_version",
    "python_version",
    "wall_time_s",
    "timestamp_utc",
)


def provenance(
    scenario: Scenario, wall_time_s: float, known: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The facts needed to reproduce and identify a run, for `summary.json`.

    Args:
        scenario: The resolved scenario that was run.
        wall_time_s: Wall-clock duration of the run, in seconds.
        known: An earlier provenance of the same scenario: its hash and versions are reused
            (only the wall time and the time of the record are new).

    Returns:
        Scenario name, SHA-256 of the resolved scenario, seed, versions of autofin, Mesa,
        NumPy and Python, wall time in seconds and the UTC time the record was made.
    """
    if known is not None:
        return {
            **known,
            "wall_time_s": round(float(wall_time_s), 6),
            "timestamp_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        }
    return {
        "scenario_name": scenario.name,
        "scenario_sha256": scenario_hash(scenario),
        "seed": scenario.seed,
        "autofin_version": _version("autofin"),
        "mesa_version": _version("mesa"),
        "numpy_version": _version("numpy"),
        "python_version": platform.python_version(),
        "wall_time_s": round(float(wall_time_s), 6),
        "timestamp_utc": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _version(package: str) -> str:
    """The installed version of a distribution, or `unknown` when it is not installed."""
    try:
        return version(package)
    except PackageNotFoundError:
        return "unknown"
