"""The sweep directory: the resolved experiment, the design, one file per finished run.

Layout of `DIR`:

- `experiment.resolved.yaml`: the experiment with absolute paths and its fingerprint,
  written first; a directory holding another fingerprint is refused.
- `design.parquet`: one row per run (run id, point, replication, seed, parameters).
- `runs/<run id>.json`: a finished run's outputs, written atomically (temporary file, then
  rename), so a run is either finished or absent; `runs/<run id>.timeseries.parquet` beside
  it when time series are kept (written before the JSON); `runs/<run id>.failed.json` for a
  run that raised.
- `runs.parquet`, `failures.parquet`, `timeseries.parquet`: the tables gathered at the end.

Resuming lists `runs/*.json` and skips those runs; failed runs are tried again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from autofin.results.writing import _jsonable, _write_atomically
from autofin.sweep.runs import Outcome

RESOLVED = "experiment.resolved.yaml"
DESIGN = "design.parquet"
RUNS_DIR = "runs"
RUNS = "runs.parquet"
FAILURES = "failures.parquet"
TIMESERIES = "timeseries.parquet"
FAILED_SUFFIX = ".failed.json"
SERIES_SUFFIX = ".timeseries.parquet"


class StoreError(Exception):
    """A sweep directory that cannot be used for this experiment (a user error)."""


def fingerprint(resolved: dict[str, Any], run_ids: list[str]) -> str:
    """What identifies an experiment: its outputs, and every run of its design.

    Args:
        resolved: The resolved experiment settings.
        run_ids: The ids of the design's runs, in order.

    Returns:
        A SHA-256 hex digest.
    """
    identity = {
        "outputs": resolved.get("outputs"),
        "check": resolved.get("check"),
        "runs": run_ids,
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()


_NOT_RUNS = ("fingerprint", "name", "description", "cluster", "batch_seconds")
"""Settings of an experiment that change none of its runs."""


def _differences(held: dict[str, Any], resolved: dict[str, Any]) -> str:
    """What differs between the experiment a folder holds and this one, in a few words."""
    keys = sorted((set(held) | set(resolved)) - set(_NOT_RUNS))
    differ = [key for key in keys if held.get(key) != resolved.get(key)]
    if differ:
        return "settings that differ: " + ", ".join(differ)
    return "the same settings give other runs: the base scenario's file (or one it extends) changed"


class SweepStore:
    """Reads and writes one sweep directory."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.runs_dir = self.directory / RUNS_DIR

    def check(self, resolved: dict[str, Any], print_id: str, run_ids: list[str]) -> int | None:
        """Whether the directory already holds this experiment, or one it extends.

        This experiment extends the one the directory holds when it keeps every run of the
        held design (more replications, whose first seeds do not change; more values of a
        grid) and its outputs: the finished runs are runs of this experiment too.

        Args:
            resolved: The resolved experiment.
            print_id: The experiment's fingerprint.
            run_ids: The ids of the experiment's runs (the design's `run_id`).

        Returns:
            None if the directory is free for it; 0 if it holds this experiment; if it holds
            one this extends, the number of distinct runs of that one's design.

        Raises:
            StoreError: If the path is a file, or the directory holds a different experiment
                (one this does not extend) or other files.
        """
        if self.directory.exists() and not self.directory.is_dir():
            raise StoreError(f"{self.directory} is a file; give a directory with -o")
        marker = self.directory / RESOLVED
        if marker.is_file():
            held = yaml.safe_load(marker.read_text(encoding="utf-8")) or {}
            if held.get("fingerprint") == print_id:
                return 0
            why, held_runs = self._extension(held, resolved, run_ids)
            if why:
                raise StoreError(
                    f"{self.directory} holds a different experiment "
                    f"({held.get('name', '?')!s}, fingerprint "
                    f"{str(held.get('fingerprint'))[:12]}; this one is "
                    f"{resolved.get('name')}, {print_id[:12]}): "
                    f"{_differences(held, resolved)}; {why}; choose another directory "
                    "with -o or delete it"
                )
            return held_runs
        ours = {RUNS_DIR, DESIGN}  # what an interrupted first attempt leaves before the marker
        if self.directory.exists() and any(
            entry.name not in ours and not entry.name.endswith(".tmp")
            for entry in self.directory.iterdir()
        ):
            raise StoreError(
                f"{self.directory} is not empty and holds no sweep; "
                "choose another directory with -o"
            )
        return None

    def _extension(
        self, held: dict[str, Any], resolved: dict[str, Any], run_ids: list[str]
    ) -> tuple[str, int]:
        """Why an experiment does not extend the one the directory holds, and its runs.

        Returns:
            The reason ("" if it extends it) and the number of distinct runs of the held
            design (0 when its outputs differ or it has no design).
        """
        changed = [key for key in ("outputs", "check") if held.get(key) != resolved.get(key)]
        if changed:
            return f"its {' and '.join(changed)} differ, so the finished runs are not its runs", 0
        design = self.directory / DESIGN
        if not design.is_file():
            return f"the folder has no {DESIGN} to tell its runs", 0
        held_ids = set(pd.read_parquet(design, columns=["run_id"])["run_id"])
        lacking = len(held_ids - set(run_ids))
        if lacking:
            why = f"this design lacks {lacking} of the folder's {len(held_ids)} runs, so it does"
            return f"{why} not extend them", len(held_ids)
        return "", len(held_ids)

    def open(self, resolved: dict[str, Any], design: pd.DataFrame, print_id: str) -> int:
        """Create the directory for an experiment, or check it holds the same one.

        An experiment extending the one the directory holds (`check`) takes its place: the
        finished runs are kept, the rest of the design runs, and the tables of the former
        design are removed (`gather` writes the new ones when the sweep ends).

        Args:
            resolved: The resolved experiment (written as `experiment.resolved.yaml`).
            design: The design table, one row per run.
            print_id: The experiment's fingerprint.

        Returns:
            The number of distinct runs the directory's former design had, if this
            experiment extends it; else 0.

        Raises:
            StoreError: If the directory holds a different experiment, or is not writable.
        """
        extended = self.check(resolved, print_id, list(design["run_id"]))
        if extended == 0:
            return 0
        try:
            for table in (RUNS, FAILURES, TIMESERIES):  # the former design's (if extended)
                (self.directory / table).unlink(missing_ok=True)
            self.runs_dir.mkdir(parents=True, exist_ok=True)
            _write_atomically(
                self.directory / DESIGN, lambda path: design.to_parquet(path, index=False)
            )
            text = yaml.safe_dump(
                {**resolved, "fingerprint": print_id}, sort_keys=False, allow_unicode=True
            )
            marker = self.directory / RESOLVED
            _write_atomically(marker, lambda path: path.write_text(text, encoding="utf-8"))
        except OSError as error:
            raise StoreError(f"cannot write to {self.directory}: {error.strerror}") from None
        return extended or 0

    def discard(self) -> None:
        """Remove what `open` wrote, for a sweep that stopped before any run finished."""
        for name in (RESOLVED, DESIGN):
            (self.directory / name).unlink(missing_ok=True)
        for path in self.runs_dir.glob("*"):
            path.unlink()
        self.runs_dir.rmdir()

    def finished(self) -> set[str]:
        """Ids of the runs already written."""
        if not self.runs_dir.is_dir():
            return set()
        return {
            path.name.removesuffix(".json")
            for path in self.runs_dir.glob("*.json")
            if not path.name.endswith(FAILED_SUFFIX)
        }

    def is_finished(self, run_id: str) -> bool:
        """Whether a run's outputs are already written."""
        return (self.runs_dir / f"{run_id}.json").is_file()

    def record(self, outcome: Outcome) -> None:
        """Write one run's outcome atomically.

        Args:
            outcome: What the worker reported.
        """
        run_id = outcome.run.run_id
        base = {"run_id": run_id, "seconds": outcome.seconds}
        if outcome.failed:
            data = {**base, "error": outcome.error, "traceback": outcome.traceback}
            self._write_json(self.runs_dir / f"{run_id}{FAILED_SUFFIX}", data)
            return
        if outcome.timeseries is not None:
            series = outcome.timeseries.copy()
            series.insert(0, "run_id", run_id)
            _write_atomically(
                self.runs_dir / f"{run_id}{SERIES_SUFFIX}",
                lambda path: series.to_parquet(path, index=False),
            )
        self._write_json(self.runs_dir / f"{run_id}.json", {**base, **(outcome.row or {})})
        (self.runs_dir / f"{run_id}{FAILED_SUFFIX}").unlink(missing_ok=True)

    def gather(self, design: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Write runs.parquet, failures.parquet and (when kept) timeseries.parquet.

        Args:
            design: The design table, whose order the tables follow.

        Returns:
            The runs table and the failures table.
        """
        order = {run_id: index for index, run_id in enumerate(design["run_id"])}
        design = design[[c for c in design.columns if not str(c).startswith("unit:")]]
        finished = self.finished()
        rows = [self._read_json(self.runs_dir / f"{run_id}.json") for run_id in finished]
        outputs = pd.DataFrame(rows, columns=None if rows else ["run_id", "seconds"])
        # An output undefined in every run (NaN, stored as JSON's null) reads back as a column
        # of None: it is a number still, so that `analyze` lists it (with no mean) as well.
        undefined = [column for column in outputs.columns if outputs[column].isna().all()]
        outputs[undefined] = outputs[undefined].astype(float)
        runs = design.merge(outputs, on="run_id", how="inner")
        failed = [
            self._read_json(path)
            for path in self.runs_dir.glob(f"*{FAILED_SUFFIX}")
            if path.name.removesuffix(FAILED_SUFFIX) not in finished
        ]
        errors = pd.DataFrame(
            failed, columns=None if failed else ["run_id", "seconds", "error", "traceback"]
        )
        failures = design.merge(errors, on="run_id", how="inner")
        _write_atomically(self.directory / RUNS, lambda path: runs.to_parquet(path, index=False))
        _write_atomically(
            self.directory / FAILURES, lambda path: failures.to_parquet(path, index=False)
        )
        series_files = sorted(
            self.runs_dir.glob(f"*{SERIES_SUFFIX}"),
            key=lambda path: order.get(path.name.removesuffix(SERIES_SUFFIX), 0),
        )
        if series_files:
            series = pd.concat([pd.read_parquet(path) for path in series_files], ignore_index=True)
            _write_atomically(
                self.directory / TIMESERIES, lambda path: series.to_parquet(path, index=False)
            )
        return runs, failures

    def _write_json(self, target: Path, data: dict[str, Any]) -> None:
        text = json.dumps(_jsonable(data))
        _write_atomically(target, lambda path: path.write_text(text, encoding="utf-8"))

    @staticmethod
    def _read_json(path: Path) -> dict[str, Any]:
        return json.loads(path.read_text(encoding="utf-8"))
