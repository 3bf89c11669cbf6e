"""What the figures draw from: one or several runs, given as results or results directories.

A figure function accepts a `Result`, a results directory, or a sequence of either; `runs`
turns that into a list of `Run` (a result and the label it gets in legends). A figure that
needs a table the run lacks raises `ReportDataError` naming the file.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from autofin.results.compare import run_labels
from autofin.results.folder import changed_files, not_a_run
from autofin.results.result import Result
from autofin.results.writing import (
    EVENTS_PARQUET,
    FIRMS_PARQUET,
    FLOWS_PARQUET,
    LOANS_PARQUET,
    NETWORK_PARQUET,
    PANEL_PARQUET,
    SCENARIO_YAML,
    SUMMARY_JSON,
    TIMESERIES_PARQUET,
    read_table,
)
from autofin.scenario.errors import ScenarioError
from autofin.scenario.loading import load_scenario

Results = Result | str | Path | Sequence["Result | str | Path"]
"""What every figure function accepts: one run or several (overlaid), as results or folders."""

TABLE_FILES = {
    "timeseries": TIMESERIES_PARQUET,
    "flows": FLOWS_PARQUET,
    "events": EVENTS_PARQUET,
    "network": NETWORK_PARQUET,
    "firms": FIRMS_PARQUET,
    "panel": PANEL_PARQUET,
    "loans": LOANS_PARQUET,
}
"""The file each table of a `Result` is written to."""


class ReportDataError(ValueError):
    """A run lacks what a figure needs; the message names the run and the file."""


@dataclass(frozen=True)
class Run:
    """One run to draw: its results and its label (the scenario name, made unique)."""

    result: Result
    label: str

    @property
    def currency(self) -> str:
        """The currency of the run's money figures."""
        return str(getattr(self.result.scenario, "currency", "") or "currency units")

    def table(self, name: str, figure: str, *columns: str) -> pd.DataFrame:
        """A table of the run with the given columns, or a `ReportDataError` naming the file.

        Every table but the event log (empty when nothing defaulted) must have rows.
        """
        table = getattr(self.result, name, None)
        if name == "timeseries" and table is not None and table.empty:
            raise ReportDataError(f"{self.label}: no step has run yet; nothing to draw")
        if table is None or (isinstance(table, pd.DataFrame) and table.empty and name != "events"):
            raise ReportDataError(
                f"{self.label}: the {figure} figure needs {TABLE_FILES[name]}, which this run "
                "does not have (re-run it with this version of autofin"
                + (", with --panel" if name == "panel" else "")
                + (", with --loans" if name == "loans" else "")
                + ")"
            )
        missing = [column for column in columns if column not in table.columns]
        if missing and not (name == "events" and table.empty):
            raise ReportDataError(
                f"{self.label}: the {figure} figure needs the column(s) {', '.join(missing)} "
                f"in {TABLE_FILES[name]}"
            )
        return table

    def columns(self, figure: str, *names: str) -> pd.DataFrame:
        """The time series, checked to have the given columns."""
        timeseries = self.table("timeseries", figure)
        missing = [name for name in names if name not in timeseries.columns]
        if missing:
            raise ReportDataError(
                f"{self.label}: the {figure} figure needs the time-series column(s) "
                f"{', '.join(missing)} in {TIMESERIES_PARQUET}"
            )
        return timeseries


def load_run_directory(directory: str | Path) -> Result:
    """A results directory as a `Result`; the tables it lacks are left empty (or None).

    Raises:
        ReportDataError: If the directory does not exist or lacks `summary.json`,
            `scenario.resolved.yaml` or `timeseries.parquet`, or its scenario no longer loads.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise ReportDataError(f"{directory}: no such results directory")
    if not (directory / SUMMARY_JSON).is_file():
        raise ReportDataError(not_a_run(directory))
    for required in (SCENARIO_YAML, TIMESERIES_PARQUET):
        if not (directory / required).is_file():
            raise ReportDataError(f"{directory}: not a finished autofin run (no {required})")
    try:
        scenario = load_scenario(directory / SCENARIO_YAML)
    except ScenarioError as error:
        raise ReportDataError(f"{directory / SCENARIO_YAML}: {error}") from None
    try:
        summary = json.loads((directory / SUMMARY_JSON).read_text(encoding="utf-8"))
        if not isinstance(summary, dict):  # (a list, say: it ended in an internal error)
            raise ValueError(f"{SUMMARY_JSON} is not a JSON object")
        changed = changed_files(directory, summary)
        tables = {name: read_table(directory, file) for name, file in TABLE_FILES.items()}
    except (OSError, ValueError) as error:
        raise ReportDataError(f"{directory}: cannot read the results: {error}") from None
    if changed:  # as `autofin compare` refuses them; a missing table only leaves a note
        raise ReportDataError(
            f"{directory}: {', '.join(changed)} changed after the run (the SHA-256 in "
            f"{SUMMARY_JSON} differs); run the scenario again"
        )
    empty = pd.DataFrame()
    return Result(
        scenario=scenario,
        timeseries=tables["timeseries"],
        flows=empty if tables["flows"] is None else tables["flows"],
        events=empty if tables["events"] is None else tables["events"],
        summary=summary,
        network=empty if tables["network"] is None else tables["network"],
        firms=empty if tables["firms"] is None else tables["firms"],
        panel=tables["panel"],
        loans=tables["loans"],
    )


def runs(results: Results) -> list[Run]:
    """The runs to draw, labelled as `autofin compare` labels its columns.

    A run is labelled by its scenario name; where names repeat, with its folder's name in
    brackets (its path where folder names repeat too; see `autofin.results.compare`). A run
    given as a `Result` has no folder: its position among the runs (``run 2``) stands in.

    Raises:
        ReportDataError: If no run is given, or a directory is not a finished run.
    """
    items = [results] if isinstance(results, Result | Run | str | Path) else list(results)
    if not items:
        raise ReportDataError("no run to draw: give a result or a results directory")
    if all(isinstance(item, Run) for item in items):
        return items  # already labelled (the report passes its runs on to each figure)
    loaded = [item if isinstance(item, Result) else load_run_directory(item) for item in items]
    folders = [
        Path(f"run {position}") if isinstance(item, Result) else Path(item)
        for position, item in enumerate(items, start=1)
    ]
    names = [{"scenario_name": r.summary.get("scenario_name") or r.scenario.name} for r in loaded]
    labels = run_labels(folders, names)
    return [Run(result, label) for result, label in zip(loaded, labels, strict=True)]
