"""From an experiment to its runs: design points, resolved scenarios, seeds and run ids."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from autofin.scenario.errors import ScenarioError, show_value
from autofin.scenario.schema import Scenario
from autofin.sweep.design import POINT, design_points, replication_seeds
from autofin.sweep.experiment import ExperimentError, LoadedExperiment, scenario_at
from autofin.sweep.runs import Run, point_hash, run_id
from autofin.sweep.store import fingerprint


@dataclass(frozen=True)
class SweepPlan:
    """Everything a sweep will run.

    Attributes:
        experiment: The loaded experiment.
        design: One row per (point, replication): run_id, point, replication, seed and one
            column per parameter (plus `unit:` coordinates for sampled designs).
        scenarios: The resolved scenario of each design point (seed from the base).
        resolved: The experiment's settings as written to `experiment.resolved.yaml`.
        fingerprint: What identifies this experiment in a sweep directory.
    """

    experiment: LoadedExperiment
    design: pd.DataFrame
    scenarios: dict[int, Scenario]
    resolved: dict[str, Any]
    fingerprint: str

    @property
    def parameters(self) -> list[str]:
        """The varied settings, in order."""
        return list(self.experiment.spec.parameters)

    @property
    def distinct_points(self) -> int:
        """Design points whose resolved scenarios differ (two may coincide, then run once).

        Rounding an `integer: true` parameter, or a sampled design picking from `values:`,
        can give two points the same scenario; their runs have the same ids.
        """
        first = self.design[self.design["replication"] == 0]
        return int(first["run_id"].nunique())

    def describe_size(self) -> str:
        """The design's size, e.g. "6 design points x 5 replications = 30 runs".

        Points that coincide are said, with why, e.g. "512 design points, 511 distinct after
        rounding integer parameters, x 1 replication = 511 runs".
        """
        spec = self.experiment.spec
        points = int(self.design[POINT].nunique())
        replications = f"{spec.replications} replication{'s' if spec.replications != 1 else ''}"
        runs = int(self.design["run_id"].nunique())  # as many as `runs()` gives
        size = f"{points} design points"
        if self.distinct_points < points:
            size += f", {self.distinct_points} distinct{self._why_merged()},"
        return f"{size} x {replications} = {runs} runs"

    def _why_merged(self) -> str:
        """What makes design points coincide, as " after ...", or " scenarios" if unknown."""
        spec = self.experiment.spec
        parameters = list(spec.parameters.values())
        causes = []
        if any(parameter.integer for parameter in parameters):
            causes.append("rounding integer parameters")
        if spec.design != "grid" and any(p.range is None for p in parameters):
            causes.append("picking from listed values")
        return f" after {' and '.join(causes)}" if causes else " scenarios"

    def runs(self) -> list[tuple[Run, Scenario]]:
        """The distinct runs of the design with their scenarios (a repeated point runs once)."""
        seen: set[str] = set()
        todo = []
        for row in self.design.itertuples(index=False):
            if row.run_id in seen:
                continue
            seen.add(row.run_id)
            run = Run(row.run_id, int(row.point), int(row.replication), int(row.seed))
            todo.append((run, self.scenarios[run.point]))
        return todo


def plan_sweep(loaded: LoadedExperiment) -> SweepPlan:
    """Build the design of an experiment and resolve the scenario of every point.

    Args:
        loaded: An experiment from `load_experiment`.

    Returns:
        The plan.

    Raises:
        ExperimentError: If a design point gives an invalid scenario.
    """
    spec = loaded.spec
    points = design_points(
        spec.parameters,
        spec.design,
        samples=spec.samples,
        trajectories=spec.trajectories,
        levels=spec.levels,
        seed=spec.seed,
    )
    names = list(spec.parameters)
    scenarios: dict[int, Scenario] = {}
    hashes: dict[int, str] = {}
    for row in points.to_dict("records"):
        settings = {name: row[name] for name in names}
        try:
            scenario = scenario_at(loaded.base, settings)
        except ScenarioError as error:
            shown = ", ".join(f"{key}={show_value(value)}" for key, value in settings.items())
            raise ExperimentError(
                loaded.source, [f"design point {row[POINT]} ({shown}): {p}" for p in error.problems]
            ) from None
        scenarios[row[POINT]] = scenario
        hashes[row[POINT]] = point_hash(scenario)
    seeds = replication_seeds(spec.seed, spec.replications)
    frames = []
    for replication, seed in enumerate(seeds):
        frame = points.copy()
        frame.insert(1, "replication", replication)
        frame.insert(2, "seed", seed)
        frames.append(frame)
    design = pd.concat(frames, ignore_index=True).sort_values(["point", "replication"])
    design.insert(
        0,
        "run_id",
        [run_id(hashes[p], s) for p, s in zip(design[POINT], design["seed"], strict=True)],
    )
    design = design.reset_index(drop=True)
    resolved = spec.model_dump(mode="json")
    return SweepPlan(
        experiment=loaded,
        design=design,
        scenarios=scenarios,
        resolved=resolved,
        fingerprint=fingerprint(resolved, list(design["run_id"])),
    )
