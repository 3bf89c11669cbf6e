"""Replications: one scenario run over several seeds, reported as means with confidence intervals.

A single run of an agent-based model is one draw: baseline supplier defaults range widely
across seeds. A scenario's `replications: N` (or `autofin run --replications N`) runs it with
seeds `seed, seed + 1, ..., seed + N - 1` — replication k is reproduced alone by
`--seed <seed + k>` — and combines the runs into one `Result`:

- `timeseries`: the mean over replications of every metric, step by step;
- `flows`: the mean flow per step, source, target and flow type;
- `events`: every replication's events, with a `replication` column;
- `replicates`: one row per replication with its seed and every summary figure;
- `network`, `firms` and the optional `panel` and `loans`: those of the first replication;
- `summary`: the mean of each summary figure, with `replications`, `replication_seeds` and
  `confidence_95` (for each figure, the two-sided 95% Student-t interval of the mean).

Two scenarios run with the same base seed see the same seeds (common random numbers).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from autofin.results.compare import CONFIDENCE_KEY, natural_range, summary_figures
from autofin.results.result import Result
from autofin.scenario.schema import Scenario

CONFIDENCE = 0.95
"""Level of the confidence intervals reported under `CONFIDENCE_KEY`."""


def replication_seeds(seed: int, replications: int) -> list[int]:
    """The seeds of a scenario's replications: consecutive from the scenario's own seed.

    Args:
        seed: The scenario's seed.
        replications: How many runs.

    Returns:
        `[seed, seed + 1, ..., seed + replications - 1]`.
    """
    return [seed + k for k in range(replications)]


class StoppedEarly(KeyboardInterrupt):
    """Ctrl-C (or a termination signal) during the replications, after some had finished.

    A `KeyboardInterrupt`, so that code not expecting it stops as it would have.

    Attributes:
        result: The replications that finished, combined (see `combine`); their count and
            the number planned are in its summary (`replications`, `replications_planned`).
        finished: How many replications finished.
        planned: How many were asked for.
    """

    def __init__(self, result: Result, finished: int, planned: int) -> None:
        super().__init__(f"stopped after {finished} of {planned} replications")
        self.result, self.finished, self.planned = result, finished, planned


def simulate_replications(
    scenario: Scenario,
    *,
    check: bool = False,
    progress: Callable[[int, int], None] | None = None,
    **tables: bool,
) -> Result:
    """Run a scenario once per replication seed and combine the runs.

    Args:
        scenario: The validated scenario; `scenario.replications` runs are made.
        check: Verify the accounting identities every step of every run.
        progress: Called as ``progress(steps_done, total_steps)`` over all runs.
        **tables: Optional tables to keep (`panel`, `loans`), passed to `simulate`.

    Returns:
        The combined result (see the module docstring); with one replication, the plain
        result of `simulate`.

    Raises:
        StoppedEarly: Interrupted (Ctrl-C) after at least one of several replications had
            finished: it carries those combined, so that no finished run is lost.
    """
    from autofin.world.model import simulate

    seeds = replication_seeds(scenario.seed, scenario.replications)
    steps = scenario.run_steps
    total = steps * len(seeds)
    started = time.perf_counter()
    results = []
    for k, seed in enumerate(seeds):
        run = scenario.model_copy(update={"seed": seed, "replications": 1})

        def advance(done: int, _: int, offset: int = k * steps) -> None:
            if progress is not None:
                progress(offset + done, total)

        # The panel and loan log are kept of the first replication only (see `combine`).
        kept = tables if k == 0 else {}
        try:
            results.append(simulate(run, check=check, progress=advance, **kept))
        except KeyboardInterrupt:
            if not results:
                raise
            kept_runs = combine(scenario, results, time.perf_counter() - started)
            kept_runs.summary["replications_planned"] = len(seeds)
            raise StoppedEarly(kept_runs, len(results), len(seeds)) from None
    if len(results) == 1:
        return results[0]
    return combine(scenario, results, time.perf_counter() - started)


def combine(scenario: Scenario, results: Sequence[Result], wall_time_s: float) -> Result:
    """Combine the runs of one scenario over several seeds into one result.

    Args:
        scenario: The scenario as given (its `seed` is the base seed).
        results: One result per replication, in seed order.
        wall_time_s: Total wall time of all runs.

    Returns:
        Mean time series and flows, all events, a table of replicates, and a summary of
        means with confidence intervals.
    """
    from autofin.results.provenance import PROVENANCE_KEYS, provenance

    replicates = pd.DataFrame(
        [
            {"replication": k, "seed": result.scenario.seed, **_figures(result.summary)}
            for k, result in enumerate(results)
        ]
    )
    figures = [column for column in replicates.columns if column not in ("replication", "seed")]
    summary: dict[str, Any] = {}
    intervals: dict[str, list[float]] = {}
    for figure in figures:
        values = replicates[figure].to_numpy(dtype=float)
        summary[figure] = float(np.nanmean(values)) if np.isfinite(values).any() else math.nan
        intervals[figure] = list(mean_confidence_interval(values, natural_range(figure)))
    summary["replications"] = len(results)
    summary["replication_seeds"] = [int(result.scenario.seed) for result in results]
    summary[CONFIDENCE_KEY] = intervals
    summary.update(provenance(scenario, wall_time_s))
    summary = {key: value for key, value in summary.items() if key not in PROVENANCE_KEYS} | {
        key: summary[key] for key in PROVENANCE_KEYS
    }
    return Result(
        scenario=scenario,
        timeseries=_mean_timeseries([result.timeseries for result in results]),
        flows=_mean_flows([result.flows for result in results], len(results)),
        events=pd.concat(
            [result.events.assign(replication=k) for k, result in enumerate(results)],
            ignore_index=True,
        ),
        summary=summary,
        replicates=replicates,
        network=results[0].network,
        firms=results[0].firms,
        panel=results[0].panel,
        loans=results[0].loans,
    )


def mean_confidence_interval(
    values: np.ndarray, bounds: tuple[float, float] = (-math.inf, math.inf)
) -> tuple[float, float]:
    """The two-sided 95% Student-t confidence interval of the mean of `values`.

    Args:
        values: One value per replication; NaN values are left out.
        bounds: The values the mean can take (`autofin.results.compare.natural_range`); the
            interval is cut to them (no negative count of defaults), which keeps its
            coverage, since the mean lies within them.

    Returns:
        `(low, high)`; NaN when fewer than two values have no spread to measure (a figure
        defined in one replication only has no interval, not one of zero width).
    """
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return math.nan, math.nan
    if finite.size < 2:
        return math.nan, math.nan
    mean = float(finite.mean())
    half = float(
        stats.t.ppf(0.5 + CONFIDENCE / 2, finite.size - 1)
        * finite.std(ddof=1)
        / math.sqrt(finite.size)
    )
    return max(mean - half, bounds[0]), min(mean + half, bounds[1])


def _figures(summary: dict[str, Any]) -> dict[str, float]:
    """The numeric summary figures of one run, nested keys dotted."""
    return {key: float(value) for key, value in summary_figures(summary)}


def _mean_timeseries(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Step-by-step mean of every numeric column over the runs (NaN steps skipped)."""
    stacked = pd.concat(frames, ignore_index=True)
    numeric = stacked.select_dtypes("number")
    return numeric.groupby("step", sort=True).mean().reset_index()


def _mean_flows(frames: Sequence[pd.DataFrame], runs: int) -> pd.DataFrame:
    """Mean amount per step, source, target and flow over the runs (absent counts as 0)."""
    stacked = pd.concat(frames, ignore_index=True)
    keys = [column for column in stacked.columns if column != "amount"]
    mean = stacked.groupby(keys, sort=True, observed=True, dropna=False)["amount"].sum() / runs
    return mean.reset_index()
