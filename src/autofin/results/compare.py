"""Side-by-side headline figures of several finished runs (`autofin compare`).

`compare_runs` reads each run's `summary.json` and `timeseries.parquet` (nothing else, so
runs whose scenario no longer loads can still be compared) and builds one table: a column
per run, a row per figure. For each selected time-series metric there are two rows, its
mean over the horizon (`<metric> (mean)`, NaN steps skipped) and its value in the last step
(`<metric> (final)`); then come the numeric headline figures of `summary.json`
(`<key> (summary)`), provenance left out. A run over several replications reports the mean
of each summary figure, followed by its 95% confidence interval as `<key> (95% CI low)` and
`<key> (95% CI high)`.
"""

from __future__ import annotations

import difflib
import fnmatch
import json
import math
import numbers
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from autofin.results.folder import ResultsIntegrityError, verify_results
from autofin.results.provenance import PROVENANCE_KEYS
from autofin.results.writing import (
    REPLICATIONS_PARQUET,
    SUMMARY_JSON,
    TIMESERIES_PARQUET,
    _write_atomically,
)

DEFAULT_METRICS = (
    "supplier_default_rate",
    "trade_bad_debt",
    "supplier_cash",
    "supplier_debt",
    "bank_npl_ratio",
    "bank_capital_ratio",
    "bank_lending_volume",
    "bank_new_loan_rate",
    "bank_credit_losses",
    "sales_units",
    "lost_sales_units",
    "financing_volume_*",
    "financing_cost_*",
    "supplier_financing_rate",
    "supplier_unmet_need",
    "supplier_ccc_days",
    "invoice_to_cash_days",
    "platform_npl_ratio",
    "procurement_cost_index",
    "conversion_rate",
    "automated_decision_share",
    "median_decision_minutes",
    "consumer_default_rate",
    "consumer_npl_ratio",
    "car_loan_apr",
)
"""Metrics compared when none are asked for: names and glob patterns; absent ones are skipped."""

TIME_COLUMNS = ("step", "day")
"""Columns that index the time series rather than measure anything; never matched by globs."""

FRACTION_WORDS = frozenset(
    {"rate", "ratio", "share", "apr", "pd", "hazard", "power", "rejection", "inconclusive"}
)
"""Words of a metric's name that mark it a fraction, shown in percent (CLI and report)."""

MULTIPLES = frozenset({"scored_pd_one_year_ratio"})
"""Ratios of two like quantities (scored against realised defaults), shown as numbers."""


def is_fraction(name: str) -> bool:
    """Whether a metric or summary figure is a fraction or a rate, shown in percent.

    The words of its name say so (`FRACTION_WORDS`: `bank_npl_ratio`, `car_loan_apr`,
    `check_identity_power_fraud`) or its prefix (`financing_cost_`, the annual cost of an
    instrument); `MULTIPLES` are not, though their names say ratio.
    """
    if name in MULTIPLES:
        return False
    words = set(name.replace(".", "_").split("_"))
    return bool(FRACTION_WORDS & words) or name.startswith("financing_cost_")


def as_percent(value: float) -> str:
    """A fraction (`is_fraction`) in percent, four significant digits: 0.0123 as "1.23%"."""
    return f"{value * 100:.4g}%"


NON_NEGATIVE_WORDS = frozenset(
    {
        "defaults",
        "default",
        "units",
        "sales",
        "leads",
        "drives",
        "applications",
        "approvals",
        "booked",
        "failures",
        "suppliers",
        "steps",
        "volume",
        "days",
        "minutes",
        "cascade",
        "replications",
        "bullwhip",
        "investment",
        "unmet",
        "losses",
        "debt",
    }
)
"""Words of a summary figure's name that mark a count, an amount, a duration or a rate of
defaults, none of which can be negative (a loss is booked at least 0; a recovery above the
claim is income, not a negative loss)."""

SHARE_WORDS = frozenset({"share", "power", "rejection", "inconclusive", "conversion", "npl"})
"""Words of a summary figure's name that mark a share of a whole (between 0 and 1)."""


def natural_range(name: str) -> tuple[float, float]:
    """The values a summary figure can take, as its name says (unbounded if it says nothing).

    A share of a whole (`SHARE_WORDS`: `supplier_default_share`, `conversion_rate_online`,
    `bank_npl_ratio_mean`, and `loan_approval_rate`) lies in [0, 1]; a count, an amount, a
    duration or a rate of defaults (`NON_NEGATIVE_WORDS`: `supplier_defaults`,
    `financing_volume_factoring`, `trade_bad_debt`, `fraud_losses`) and a ratio of two such
    (`MULTIPLES`) are at least 0. A
    confidence interval cut to this range covers the true value as often as before, since
    the true value lies in it (`autofin.results.replications.mean_confidence_interval`).
    """
    words = set(name.replace(".", "_").split("_"))
    if "incremental" in words:  # a difference of estimates (`bank_app_incremental_sales`)
        return -math.inf, math.inf
    if SHARE_WORDS & words or name == "loan_approval_rate":
        return 0.0, 1.0
    if NON_NEGATIVE_WORDS & words or name in MULTIPLES:
        return 0.0, math.inf
    return -math.inf, math.inf


MEAN = "mean"
FINAL = "final"
SUMMARY = "summary"
CI_LOW = "95% CI low"
CI_HIGH = "95% CI high"
CONFIDENCE_KEY = "confidence_95"
"""Summary key of a replicated run's confidence intervals (see `autofin.results.replications`)."""
SKIPPED_SUMMARY_KEYS = (*PROVENANCE_KEYS, CONFIDENCE_KEY, "replication_seeds")


class CompareError(ValueError):
    """A run directory or a metric that cannot be compared; the message says why."""


def compare_runs(
    run_dirs: Sequence[str | Path],
    metrics: Sequence[str] | None = None,
    *,
    summary: bool = True,
) -> pd.DataFrame:
    """Headline figures of finished runs side by side.

    Args:
        run_dirs: Results directories written by `autofin run` / `write_results`.
        metrics: Time-series columns to compare: names or glob patterns (`financing_*`), in
            the order the rows should appear. A name present in some runs only is empty
            (NaN) for the others. `None` compares `DEFAULT_METRICS`, skipping those that no
            run has.
        summary: Whether to add the numeric headline figures of `summary.json`.

    Returns:
        A float table with one column per run, labelled by the run's scenario name (with
        the directory added when names repeat), and one row per figure: `<metric> (mean)`
        and `<metric> (final)` for each metric, then `<key> (summary)` for each summary
        figure (nested keys dotted). The index is named `figure`.

    Raises:
        CompareError: If no run is given, a directory does not exist or is not a finished
            run, or a metric matches no column of any run (with close matches suggested).
    """
    if not run_dirs:
        raise CompareError("give at least one run directory")
    runs = [_load_run(Path(directory)) for directory in run_dirs]
    columns = _union(list(frame.columns) for _, frame in runs)
    selected = _select(columns, metrics)

    labels = _labels([Path(directory) for directory in run_dirs], [s for s, _ in runs])
    table: dict[str, dict[str, float]] = {}
    for label, (run_summary, frame) in zip(labels, runs, strict=True):
        figures: dict[str, float] = {}
        for metric in selected:
            if metric in frame.columns:
                values = pd.to_numeric(frame[metric], errors="coerce")
                figures[f"{metric} ({MEAN})"] = float(values.mean())
                figures[f"{metric} ({FINAL})"] = float(values.iloc[-1]) if len(values) else math.nan
        if summary:
            for key, value in summary_figures(run_summary):
                figures[f"{key} ({SUMMARY})"] = float(value)
            for key, (low, high) in _intervals(run_summary).items():
                figures[f"{key} ({CI_LOW})"] = low
                figures[f"{key} ({CI_HIGH})"] = high
        table[label] = figures

    rows = [f"{metric} ({kind})" for metric in selected for kind in (MEAN, FINAL)]
    if summary:
        rows += _union(_summary_rows(s) for s, _ in runs)
    result = pd.DataFrame(table, index=pd.Index(rows, name="figure"), columns=labels, dtype=float)
    result.columns.name = None
    return result


def paired_differences(run_dirs: Sequence[str | Path]) -> pd.DataFrame:
    """Each run's difference from the first, summary figure by figure, paired by seed.

    Replicated runs of two scenarios with the same base seed see the same seeds (common
    random numbers), so their difference is best measured seed by seed: the mean of the
    per-seed differences, with its two-sided 95% Student-t interval
    (`autofin.results.replications.mean_confidence_interval`). Runs whose replications do
    not share the first run's seeds (or that have one run only) are left out.

    Args:
        run_dirs: Results directories; the first is the reference.

    Returns:
        One row per figure and other run: `figure`, `run`, `difference`, `low`, `high`,
        `seeds` (the number of pairs); empty when no run pairs with the first.

    Raises:
        CompareError: As `compare_runs`, for a directory that is not a finished run.
    """
    from autofin.results.replications import mean_confidence_interval  # it imports this module

    directories = [Path(directory) for directory in run_dirs]
    summaries = [_load_run(directory)[0] for directory in directories]
    labels = _labels(directories, summaries)
    columns = ["figure", "run", "difference", "low", "high", "seeds"]
    tables = [
        pd.read_parquet(directory / REPLICATIONS_PARQUET)
        if (directory / REPLICATIONS_PARQUET).is_file()
        else None
        for directory in directories
    ]
    reference = tables[0] if tables else None
    rows: list[dict[str, Any]] = []
    if reference is None or len(reference) < 2:
        return pd.DataFrame(rows, columns=columns)
    reference = reference.set_index("seed").sort_index()
    for label, table in zip(labels[1:], tables[1:], strict=True):
        if table is None or sorted(table["seed"]) != list(reference.index):
            continue
        other = table.set_index("seed").sort_index()
        for figure in [c for c in reference.columns if c in other.columns and c != "replication"]:
            pairs = (other[figure] - reference[figure]).to_numpy(dtype=float)
            low, high = mean_confidence_interval(pairs)
            finite = pairs[np.isfinite(pairs)]
            rows.append(
                {
                    "figure": figure,
                    "run": label,
                    "difference": float(finite.mean()) if finite.size else math.nan,
                    "low": low,
                    "high": high,
                    "seeds": int(finite.size),
                }
            )
    return pd.DataFrame(rows, columns=columns)


def summary_figures(summary: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, float]]:
    """The numeric headline entries of a (possibly nested) summary, provenance left out.

    Args:
        summary: A run's summary, as in `summary.json`.
        prefix: Prefix of the keys (used for nested mappings, which get dotted keys).

    Yields:
        `(key, value)` pairs in the summary's order; integers stay `int`.
    """
    for key, value in summary.items():
        if not prefix and key in SKIPPED_SUMMARY_KEYS:
            continue
        if isinstance(value, Mapping):
            yield from summary_figures(value, f"{prefix}{key}.")
        elif isinstance(value, numbers.Real) and not isinstance(value, bool):
            number = int(value) if isinstance(value, numbers.Integral) else float(value)
            yield f"{prefix}{key}", number


def _intervals(summary: Mapping[str, Any]) -> dict[str, tuple[float, float]]:
    """A replicated run's confidence intervals by summary figure (empty for a single run)."""
    intervals = summary.get(CONFIDENCE_KEY)
    if not isinstance(intervals, Mapping):
        return {}
    return {
        str(key): (_number(pair[0]), _number(pair[1]))
        for key, pair in intervals.items()
        if isinstance(pair, list | tuple) and len(pair) == 2
    }


def _number(value: Any) -> float:
    """A JSON number as a float; null (a NaN written by `write_results`) as NaN."""
    return float(value) if isinstance(value, numbers.Real) else math.nan


def _summary_rows(summary: Mapping[str, Any]) -> list[str]:
    """The summary rows of one run: each figure, then its interval when the run has one."""
    intervals = _intervals(summary)
    rows = []
    for key, _ in summary_figures(summary):
        rows.append(f"{key} ({SUMMARY})")
        if key in intervals:
            rows += [f"{key} ({CI_LOW})", f"{key} ({CI_HIGH})"]
    return rows


def write_comparison_csv(table: pd.DataFrame, path: str | Path) -> Path:
    """Write a table from `compare_runs` as CSV, atomically (temporary file, then rename).

    Args:
        table: The comparison.
        path: The CSV file; its directory is created if needed.

    Returns:
        The path written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(path, lambda temporary: table.to_csv(temporary, index_label="figure"))
    return path


def _load_run(directory: Path) -> tuple[dict[str, Any], pd.DataFrame]:
    """A finished run's summary and time series, or a `CompareError` saying what is wrong."""
    if not directory.exists():
        raise CompareError(f"{directory}: no such directory")
    if not directory.is_dir():
        raise CompareError(f"{directory}: not a directory")
    summary_path = directory / SUMMARY_JSON
    if not summary_path.is_file():
        raise CompareError(f"{directory}: unfinished or not an autofin run (no {SUMMARY_JSON})")
    try:
        run_summary = verify_results(directory)  # reads summary.json and checks every file
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CompareError(f"{summary_path}: cannot read it: {error}") from None
    except ResultsIntegrityError as error:
        raise CompareError(str(error)) from None
    if not isinstance(run_summary, dict):
        raise CompareError(f"{summary_path}: expected a JSON object")
    timeseries_path = directory / TIMESERIES_PARQUET
    if not timeseries_path.is_file():
        raise CompareError(f"{directory}: incomplete run (no {TIMESERIES_PARQUET})")
    try:
        frame = pd.read_parquet(timeseries_path)
    except (OSError, ValueError) as error:
        raise CompareError(f"{timeseries_path}: cannot read it: {error}") from None
    return run_summary, frame


def _select(columns: list[str], metrics: Sequence[str] | None) -> list[str]:
    """The time-series columns named or matched by `metrics`, in order, without repeats."""
    measured = [column for column in columns if column not in TIME_COLUMNS]
    selected: list[str] = []
    for pattern in DEFAULT_METRICS if metrics is None else metrics:
        if _is_glob(pattern):
            matches = fnmatch.filter(measured, pattern)
        else:
            matches = [pattern] if pattern in columns else []
        if not matches and metrics is not None:
            raise CompareError(_unknown_metric(pattern, measured))
        selected += [match for match in matches if match not in selected]
    return selected


def _unknown_metric(pattern: str, columns: list[str]) -> str:
    """The error message for a metric that matches no column, with close matches if any."""
    if _is_glob(pattern):
        message = f"pattern '{pattern}' matches no time-series column of the runs"
    else:
        message = f"unknown metric '{pattern}': no run has this time-series column"
    close = difflib.get_close_matches(pattern, columns, n=3, cutoff=0.6)
    if close:
        quoted = [f"'{name}'" for name in close]
        choices = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
        message += f"; did you mean {choices}?"
    return message


def _is_glob(pattern: str) -> bool:
    return any(character in pattern for character in "*?[")


def _labels(directories: list[Path], summaries: list[dict[str, Any]]) -> list[str]:
    """Column labels: scenario names, with the directory added where a name repeats."""
    names = [
        str(s.get("scenario_name") or d.name) for d, s in zip(directories, summaries, strict=True)
    ]
    labels = list(names)
    for detail in (lambda d: d.name, str):
        repeated = {label for label in labels if labels.count(label) > 1}
        labels = [
            f"{name} ({detail(directory)})" if label in repeated else label
            for name, directory, label in zip(names, directories, labels, strict=True)
        ]
    seen: dict[str, int] = {}
    unique = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        unique.append(label if seen[label] == 1 else f"{label} #{seen[label]}")
    return unique


def _union(lists: Iterable[Iterable[str]]) -> list[str]:
    """The items of several lists, each once, in the order they first appear."""
    return list(dict.fromkeys(item for items in lists for item in items))
