"""The runs of a sweep: their ids and seeds, and what a worker does with a batch of them.

A run is one design point at one replication seed. Its id is a hash of the resolved scenario
and the seed, so the same run has the same id whatever the executor, and a resumed sweep
recognises the runs it already has. `run_batch` is the function Dask workers execute: it
simulates each run of a batch and returns its outputs, or the error and traceback of a run
that raised (one failing run does not lose the others of its batch).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from autofin.scenario.paths import suggestion
from autofin.scenario.schema import Scenario
from autofin.sweep.experiment import Outputs

PROVENANCE = frozenset({"seed", "wall_time_s"})
"""Numeric summary entries that describe the run rather than its results."""
Simulation = Callable[[Scenario], Any]
"""A function from a scenario to a `Result` (`autofin.simulate`, or a stand-in model)."""


class OutputError(KeyError):
    """An output named in the experiment that the run does not produce (a user error)."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Run:
    """One run of the design."""

    run_id: str
    point: int
    replication: int
    seed: int


@dataclass
class Outcome:
    """What a worker reports for one run."""

    run: Run
    row: dict[str, Any] | None = None
    timeseries: pd.DataFrame | None = None
    error: str | None = None
    traceback: str | None = None
    seconds: float = 0.0
    pid: int = field(default_factory=os.getpid)

    @property
    def failed(self) -> bool:
        """Whether the run raised."""
        return self.error is not None


def point_hash(scenario: Scenario) -> str:
    """SHA-256 of a resolved scenario's settings, seed left out."""
    data = scenario.model_dump(mode="json", exclude={"extends", "seed"})
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def run_id(scenario_hash: str, seed: int) -> str:
    """The deterministic id of a run: a hash of its resolved scenario and its seed."""
    return hashlib.sha256(f"{scenario_hash}:{seed}".encode()).hexdigest()[:20]


def run_batch(
    batch: Sequence[tuple[Run, Scenario]],
    outputs: Outputs,
    check: bool = False,
    simulation: Simulation | None = None,
) -> list[Outcome]:
    """Simulate a batch of runs (one Dask task).

    Args:
        batch: Each run with its design point's resolved scenario (seed not yet set).
        outputs: What to keep.
        check: Verify the accounting identities every step (as `autofin run --check`).
        simulation: A stand-in model called with the scenario (default: `autofin.simulate`).

    Returns:
        One outcome per run, in order.

    Raises:
        OutputError: If an output named in the experiment does not exist.
    """
    if simulation is None:
        from autofin.world.model import simulate

        def simulation(scenario: Scenario) -> Any:
            return simulate(scenario, check=check)

    outcomes = []
    for run, scenario in batch:
        started = time.perf_counter()
        try:
            result = simulation(scenario.model_copy(update={"seed": run.seed}))
            row, series = extract(result, outputs)
        except OutputError:
            raise
        except Exception as error:  # a failing run is data, not a crash
            outcomes.append(
                Outcome(
                    run,
                    error=f"{type(error).__name__}: {error}",
                    traceback=traceback.format_exc(),
                    seconds=time.perf_counter() - started,
                )
            )
            continue
        outcomes.append(Outcome(run, row, series, seconds=time.perf_counter() - started))
    return outcomes


WARMUP_LOSSES = {"warmup_supplier_defaults": "suppliers", "warmup_bank_failures": "banks"}
"""The summary figures every run of a sweep keeps, whatever its outputs: suppliers that
defaulted and banks that failed in the warm-up, before day 0 (each with what it counts)."""
RENAME = "give the output another name (one column per figure, or one would replace the other)"
"""What to do about an output whose column another figure has in runs.parquet."""


def extract(result: Any, outputs: Outputs) -> tuple[dict[str, Any], pd.DataFrame | None]:
    """The figures of one run that the experiment keeps.

    Args:
        result: A `Result` (its `summary` and `timeseries` are read).
        outputs: The experiment's outputs section.

    Returns:
        The output figures, and the time series to keep (or None).

    Raises:
        OutputError: If a named summary figure or metric does not exist.
    """
    summary: dict[str, Any] = result.summary
    numeric = {
        key: value
        for key, value in summary.items()
        if isinstance(value, int | float) and not isinstance(value, bool) and key not in PROVENANCE
    }
    if outputs.summary == "all":
        row = dict(numeric)
    else:
        missing = [name for name in outputs.summary if name not in numeric]
        if missing:
            raise OutputError(_unknown("outputs.summary", "summary figure", missing, numeric))
        row = {name: numeric[name] for name in outputs.summary}
    series: pd.DataFrame = result.timeseries
    for index, aggregate in enumerate(outputs.timeseries):
        if aggregate.column in row:
            kind = (
                "a summary figure the sweep keeps"
                if aggregate.column in numeric
                else "another time-series output's column"
            )
            raise OutputError(
                f"outputs.timeseries.{index}: its column {aggregate.column!r} is {kind}; {RENAME}"
            )
        if aggregate.metric not in series:
            metrics = [c for c in series.columns if c not in ("step", "day")]
            raise OutputError(_unknown("outputs.timeseries", "metric", [aggregate.metric], metrics))
        values = series[aggregate.metric]
        if aggregate.window is not None:
            first, last = aggregate.window
            values = values[(series["day"] >= first) & (series["day"] <= last)]
        row[aggregate.column] = _aggregate(values, aggregate.stat)
    # Kept whatever the outputs: suppliers and banks lost before day 0 are in no figure of
    # the run (`autofin.sweep.analysis.warmup_note` says so).
    for lost in WARMUP_LOSSES:
        if lost in numeric:
            row.setdefault(lost, numeric[lost])
    kept = None
    if outputs.keep_timeseries:
        columns = list(series.columns)
        if isinstance(outputs.keep_timeseries, list):
            missing = [name for name in outputs.keep_timeseries if name not in series]
            if missing:
                raise OutputError(
                    _unknown("outputs.keep_timeseries", "metric", missing, list(series.columns))
                )
            columns = ["step", "day", *outputs.keep_timeseries]
        kept = series[columns].reset_index(drop=True)
    return row, kept


def _unknown(field: str, kind: str, missing: Sequence[str], known: Iterable[str]) -> str:
    """The error for names a run does not report: each with the closest name it does."""
    choices = sorted(known)
    hints = []
    for name in missing:
        hint = suggestion(name, choices)  # or the whole list, too long to print here
        close = hint.startswith("did you mean")
        hints.append(f"got {name!r}: {hint if close else f'no {kind} of that name'}")
    return f"{field}: {'; '.join(hints)} (docs/metrics.md lists every {kind} a run reports)"


def _aggregate(values: pd.Series, stat: str) -> float:
    """One figure from a window of a metric."""
    if values.empty:
        return math.nan
    if stat == "final":
        return float(values.iloc[-1])
    if stat == "sum":
        return float(values.sum(min_count=1))  # undefined (NaN) in every step: NaN, not 0
    return float(getattr(values, stat)())
