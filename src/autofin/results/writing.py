"""Writing the results of a run to a directory, and reading them back.

A results directory holds `timeseries.parquet` (and the same table as `timeseries.csv`),
`flows.parquet`, `events.parquet`, `network.parquet`, `firms.parquet`, optionally
`panel.parquet` and `loans.parquet` (`--panel`, `--loans`) and `replications.parquet` (a run
over several replications, one row per replication), `scenario.resolved.yaml`,
`report.html` (unless `--no-report`) and `summary.json`. The files are written into a staging
folder beside the target and swapped in with one rename
(`autofin.results.folder.ResultsFolder`), so the directory always holds one complete run;
`summary.json` is written last and records the SHA-256 of every data file (`file_sha256`),
which `read_results` and `compare` check. `report.html` is derived from the data files and
may be rebuilt in place by `autofin report`, so it is not in the record.
"""

from __future__ import annotations

import json
import math
import numbers
import os
import uuid
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from autofin.results.folder import (
    MANIFEST_KEY,
    REPORT_HTML,
    ResultsFolder,
    file_sha256,
    verify_results,
)
from autofin.results.result import Result
from autofin.scenario.loading import dump_scenario, load_scenario

TIMESERIES_PARQUET = "timeseries.parquet"
TIMESERIES_CSV = "timeseries.csv"
FLOWS_PARQUET = "flows.parquet"
EVENTS_PARQUET = "events.parquet"
NETWORK_PARQUET = "network.parquet"
FIRMS_PARQUET = "firms.parquet"
PANEL_PARQUET = "panel.parquet"
LOANS_PARQUET = "loans.parquet"
SUMMARY_JSON = "summary.json"
SCENARIO_YAML = "scenario.resolved.yaml"
REPLICATIONS_PARQUET = "replications.parquet"
RESULT_FILES = (
    TIMESERIES_PARQUET,
    TIMESERIES_CSV,
    FLOWS_PARQUET,
    EVENTS_PARQUET,
    SCENARIO_YAML,
    SUMMARY_JSON,
)


def write_results(
    result: Result, directory: str | Path | ResultsFolder, *, report: bool = False
) -> Path:
    """Write a run's results to `directory`, replacing a previous run there as a whole.

    Args:
        result: The result of `simulate`.
        directory: Where to write (created if needed), or a `ResultsFolder` the caller
            opened (and so locked) before the simulation.
        report: Also write `report.html` (built by `autofin.report.page.write_report`).

    Returns:
        The directory written to.

    Raises:
        autofin.results.folder.OutputFolderError: If the folder cannot hold results or
            another run is writing to it.
        OSError: If the file system refuses (permission, disk full).
    """
    if isinstance(directory, ResultsFolder):
        _write_files(result, directory.staging, report)
        directory.commit()
        return directory.target
    with ResultsFolder(directory) as folder:
        _write_files(result, folder.staging, report)
        folder.commit()
    return folder.target


def _write_files(result: Result, directory: Path, report: bool) -> None:
    """Write every result file into `directory`, the report, and `summary.json` last."""
    scenario_text = dump_scenario(result.scenario)
    writers: dict[str, Callable[[Path], object]] = {
        SCENARIO_YAML: lambda path: path.write_text(scenario_text, encoding="utf-8"),
        TIMESERIES_PARQUET: lambda path: result.timeseries.to_parquet(path, index=False),
        TIMESERIES_CSV: lambda path: result.timeseries.to_csv(path, index=False),
        FLOWS_PARQUET: lambda path: result.flows.to_parquet(path, index=False),
        EVENTS_PARQUET: lambda path: result.events.to_parquet(path, index=False),
        **_optional_tables(result),
    }
    replicates = result.replicates
    if replicates is not None:
        writers = {
            REPLICATIONS_PARQUET: lambda path: replicates.to_parquet(path, index=False),
        } | writers
    for name, write in writers.items():
        _write_atomically(directory / name, write)
    if report:
        from autofin.report.page import write_report

        write_report(result, directory / REPORT_HTML)
    summary = {
        **result.summary,
        MANIFEST_KEY: {name: file_sha256(directory / name) for name in writers},
    }
    summary_text = json.dumps(_jsonable(summary), indent=2, ensure_ascii=False) + "\n"
    _write_atomically(
        directory / SUMMARY_JSON, lambda path: path.write_text(summary_text, encoding="utf-8")
    )


def _optional_tables(result: Result) -> dict[str, Callable[[Path], object]]:
    """Writers of the tables a result may lack.

    Network and firm tables are absent from results made by hand; the panel and the loan
    decisions are kept only when asked (`--panel`, `--loans`).
    """
    tables = {
        NETWORK_PARQUET: result.network,
        FIRMS_PARQUET: result.firms,
        PANEL_PARQUET: result.panel,
        LOANS_PARQUET: result.loans,
    }
    return {
        name: (lambda path, table=table: table.to_parquet(path, index=False))
        for name, table in tables.items()
        if table is not None and not (name in (NETWORK_PARQUET, FIRMS_PARQUET) and table.empty)
    }


def read_table(directory: str | Path, name: str) -> pd.DataFrame | None:
    """One optional table of a results directory (`network.parquet`, ...), None if absent."""
    path = Path(directory) / name
    return pd.read_parquet(path) if path.is_file() else None


def read_results(directory: str | Path) -> Result:
    """Load results written by `write_results`.

    Args:
        directory: A results directory.

    Returns:
        The result, with the scenario re-loaded from `scenario.resolved.yaml`. Tables
        written by later versions (`network.parquet`, `firms.parquet`) are empty when absent;
        `panel` and `loans` are None when absent.

    Raises:
        FileNotFoundError: If any of the result files is missing.
        autofin.results.folder.ResultsIntegrityError: If a file does not match its SHA-256
            in `summary.json`.
        autofin.scenario.errors.ScenarioError: If the resolved scenario no longer loads.
    """
    directory = Path(directory)
    missing = [name for name in RESULT_FILES if not (directory / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"{directory} is not a complete results directory; missing: {', '.join(missing)}"
        )
    summary = verify_results(directory)
    summary.pop(MANIFEST_KEY, None)
    replications = directory / REPLICATIONS_PARQUET
    return Result(
        replicates=pd.read_parquet(replications) if replications.is_file() else None,
        scenario=load_scenario(directory / SCENARIO_YAML, allow_outside_paths=True),
        timeseries=pd.read_parquet(directory / TIMESERIES_PARQUET),
        flows=pd.read_parquet(directory / FLOWS_PARQUET),
        events=pd.read_parquet(directory / EVENTS_PARQUET),
        summary=summary,
        network=_or_empty(read_table(directory, NETWORK_PARQUET)),
        firms=_or_empty(read_table(directory, FIRMS_PARQUET)),
        panel=read_table(directory, PANEL_PARQUET),
        loans=read_table(directory, LOANS_PARQUET),
    )


def _or_empty(table: pd.DataFrame | None) -> pd.DataFrame:
    return pd.DataFrame() if table is None else table


def _write_atomically(target: Path, write: Callable[[Path], object]) -> None:
    """Write through a temporary file in the target's directory, then rename it into place."""
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        write(temporary)
        with temporary.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def json_number(value: Any) -> float:
    """A JSON number as a float; null (a NaN written by `write_results`) as NaN."""
    return float(value) if isinstance(value, numbers.Real) else math.nan


def _jsonable(value: Any) -> Any:
    """Plain JSON data from a summary: NumPy scalars unwrapped, NaN and infinities as null."""
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | np.ndarray | pd.Series):
        return [_jsonable(item) for item in list(value)]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if value is None or value is pd.NA:
        return None
    if isinstance(value, str | int | float | bool):
        return value
    return str(value)
