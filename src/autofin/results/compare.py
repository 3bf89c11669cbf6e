"""Side-by-side headline figures of several finished runs (`autofin compare`).

`compare_runs` reads each run's `summary.json` and `timeseries.parquet` (nothing else, so
runs whose scenario no longer loads can still be compared) and builds one table: a column
per run, a row per figure. For each selected time-series metric there are two rows, its
mean over the horizon (`<metric> (mean)`, NaN steps skipped) and its value in the last step
(`<metric> (final)`); then come the numeric headline figures of `summary.json`
(`<key> (summary)`), provenance left out. A run over several replications reports the mean
of each summary figure, followed by its 95% confidence interval as `<key> (95% CI low)` and
`<key> (95% CI high)`. Metrics asked for select the summary figures too
(`summary_key_matches`).

`paired_differences` measures each run's difference from the first seed by seed, over the
seeds the runs share (`seed_pairings` says which).
"""

from __future__ import annotations

import difflib
import fnmatch
import json
import math
import numbers
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from autofin.results.folder import ResultsIntegrityError, not_a_run, verify_results
from autofin.results.provenance import PROVENANCE_KEYS
from autofin.results.writing import (
    REPLICATIONS_PARQUET,
    SCENARIO_YAML,
    SUMMARY_JSON,
    TIMESERIES_PARQUET,
    _write_atomically,
    json_number,
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
        "cost",
    }
)
"""Words of a summary figure's name that mark a count, an amount, a duration or a rate of
defaults, none of which can be negative (a loss is booked at least 0; a recovery above the
claim is income, not a negative loss; a cost, a financing cost's rate or the procurement cost
index is at least 0)."""

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
        metrics: Figures to compare: names or glob patterns (`financing_*`), in the order
            the time-series rows should appear. They select the time-series columns they
            match and the summary figures they match (`summary_key_matches`: a key, or the
            metric it is a statistic of, `bank_npl_ratio` for `bank_npl_ratio_mean`). A name
            present in some runs only is empty (NaN) for the others. `None` compares
            `DEFAULT_METRICS`, skipping those that no run has, and every summary figure; an
            empty list no time series and every summary figure.
        summary: Whether to add the numeric headline figures of `summary.json`.

    Returns:
        A float table with one column per run, labelled by the run's scenario name (with
        the directory added when names repeat), and one row per figure: `<metric> (mean)`
        and `<metric> (final)` for each metric, then `<key> (summary)` for each summary
        figure (nested keys dotted). The index is named `figure`. With `metrics` that
        match no summary figure, it has no summary rows.

    Raises:
        CompareError: If no run is given, a directory does not exist or is not a finished
            run, or a metric matches no time-series column (nor, with `summary`, summary
            figure) of any run (with close matches suggested).
    """
    if not run_dirs:
        raise CompareError("give at least one run directory")
    runs = [_load_run(Path(directory)) for directory in run_dirs]
    columns = _union(list(frame.columns) for _, frame in runs)
    # Asked for by name, a figure undefined in every run (null) is a row of its own, empty.
    named = bool(metrics)
    keys = (
        _union([key for key, _ in summary_figures(s, undefined=named)] for s, _ in runs)
        if summary
        else []
    )
    selected = _select(columns, metrics, keys)
    keys = [key for key in keys if summary_key_matches(key, metrics)]

    labels = run_labels([Path(directory) for directory in run_dirs], [s for s, _ in runs])
    table: dict[str, dict[str, float]] = {}
    for label, (run_summary, frame) in zip(labels, runs, strict=True):
        figures = _metric_figures(frame, selected)
        if summary:
            figures |= _summary_figures(run_summary, keys)
        table[label] = figures

    rows = [f"{metric} ({kind})" for metric in selected for kind in (MEAN, FINAL)]
    if summary:
        rows += _union(_summary_rows(s, keys) for s, _ in runs)
    result = pd.DataFrame(table, index=pd.Index(rows, name="figure"), columns=labels, dtype=float)
    result.columns.name = None
    return result


STATISTIC_SUFFIXES = ("_mean", "_final", "_min", "_max")
"""Endings of summary keys that name a statistic of a time-series metric over the run
(`bank_npl_ratio_mean`, `platform_npl_ratio_final`, `bank_capital_ratio_min`)."""


def summary_key_matches(key: str, metrics: Sequence[str] | None) -> bool:
    """Whether `compare --metrics` selects a summary figure.

    Args:
        key: A summary figure's key (`summary_figures`).
        metrics: Names or glob patterns, as given to `compare_runs`; `None` or none at all
            select every figure.

    Returns:
        True when a name or pattern matches the key itself or, for a statistic of a
        time-series metric (`STATISTIC_SUFFIXES`), the metric: `bank_*_ratio` selects
        `bank_npl_ratio_mean` and `bank_capital_ratio_min`, `sales_units` selects
        `sales_units`.
    """
    if not metrics:
        return True
    names = [key, *(key.removesuffix(end) for end in STATISTIC_SUFFIXES if key.endswith(end))]
    return any(_matches(name, pattern) for pattern in metrics for name in names)


def _matches(name: str, pattern: str) -> bool:
    """Whether a name is the one given or matches a glob pattern (case-sensitive)."""
    return fnmatch.fnmatchcase(name, pattern) if _is_glob(pattern) else name == pattern


def _metric_figures(frame: pd.DataFrame, selected: list[str]) -> dict[str, float]:
    """A run's mean and final value of each selected time-series metric that it has."""
    figures: dict[str, float] = {}
    for metric in selected:
        if metric in frame.columns:
            values = pd.to_numeric(frame[metric], errors="coerce")
            figures[f"{metric} ({MEAN})"] = float(values.mean())
            figures[f"{metric} ({FINAL})"] = float(values.iloc[-1]) if len(values) else math.nan
    return figures


def _summary_figures(run_summary: Mapping[str, Any], keys: list[str]) -> dict[str, float]:
    """A run's summary figures among `keys`, with their confidence intervals if it has them."""
    wanted = set(keys)
    figures = {
        f"{key} ({SUMMARY})": float(value)
        for key, value in summary_figures(run_summary)
        if key in wanted
    }
    for key, (low, high) in summary_intervals(run_summary).items():
        if key in wanted:
            figures[f"{key} ({CI_LOW})"] = low
            figures[f"{key} ({CI_HIGH})"] = high
    return figures


def run_periods(run_dirs: Sequence[str | Path]) -> pd.DataFrame:
    """Each run's steps and their length, labelled as in `compare_runs`.

    Args:
        run_dirs: Results directories of finished runs.

    Returns:
        Float columns ``steps`` (`steps` in `summary.json`) and ``step_days`` (`step_days` of
        `scenario.resolved.yaml`), ``replications`` and ``replications_planned`` (of a
        run interrupted before its last replication; else the same as ``replications``), and
        ``warmup_supplier_defaults`` and ``warmup_bank_failures`` (suppliers and banks lost
        before day 0, means over replications), indexed by the runs' labels; NaN where a
        run's files do not say.

    Raises:
        CompareError: As `compare_runs`, for a directory that is not a finished run.
    """
    directories = [Path(directory) for directory in run_dirs]
    summaries = [_load_summary(directory) for directory in directories]
    return pd.DataFrame(
        {
            "steps": [json_number(s.get("steps")) for s in summaries],
            "step_days": [_step_days(directory) for directory in directories],
            "replications": [json_number(s.get("replications", 1)) for s in summaries],
            "replications_planned": [
                json_number(s.get("replications_planned", s.get("replications", 1)))
                for s in summaries
            ],
            "warmup_supplier_defaults": [
                json_number(s.get("warmup_supplier_defaults")) for s in summaries
            ],
            "warmup_bank_failures": [json_number(s.get("warmup_bank_failures")) for s in summaries],
        },
        index=run_labels(directories, summaries),
        dtype=float,
    )


def _step_days(directory: Path) -> float | None:
    """`step_days` of a run's resolved scenario (None if it cannot be read)."""
    import yaml

    try:
        scenario = yaml.safe_load((directory / SCENARIO_YAML).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    return json_number(scenario.get("step_days")) if isinstance(scenario, dict) else None


MIN_PAIRS = 2
"""Fewest seeds two runs must share for their paired differences to have an interval."""


@dataclass(frozen=True)
class SeedPairing:
    """Which seeds a run shares with the first run of a comparison (`seed_pairings`).

    Attributes:
        reference: The first run's label.
        run: This run's label.
        reference_seeds: The first run's seeds (those of its replications, or its own seed).
        run_seeds: This run's seeds.
    """

    reference: str
    run: str
    reference_seeds: tuple[int, ...]
    run_seeds: tuple[int, ...]

    @property
    def shared(self) -> tuple[int, ...]:
        """The seeds of both runs, in order: the pairs of the paired differences."""
        return tuple(sorted(set(self.reference_seeds) & set(self.run_seeds)))

    @property
    def left_out(self) -> tuple[int, ...]:
        """The seeds of one of the runs only, in order: not paired."""
        return tuple(sorted(set(self.reference_seeds) ^ set(self.run_seeds)))

    @property
    def paired(self) -> bool:
        """Whether the runs share enough seeds (`MIN_PAIRS`) to be paired."""
        return len(self.shared) >= MIN_PAIRS

    def describe(self) -> str:
        """What was paired and what left out, or why the runs could not be paired."""
        shared = self.shared
        if not self.paired:
            return (
                f"no paired differences for {self.run}: it shares {_count(len(shared), 'seed')}"
                f" with {self.reference} ({self.reference} has {_seed_list(self.reference_seeds)};"
                f" {self.run} has {_seed_list(self.run_seeds)}); paired differences need at"
                f" least {MIN_PAIRS} shared seeds (replicated runs with the same base seed)"
            )
        text = f"{self.run} paired with {self.reference} on {_count(len(shared), 'seed')}"
        text += f" ({describe_seeds(shared)})"
        left_out = [
            f"{describe_seeds(only)} ({label} only)"
            for label, seeds in ((self.reference, self.reference_seeds), (self.run, self.run_seeds))
            if (only := set(seeds) - set(shared))
        ]
        return text + (f"; left out seeds {' and '.join(left_out)}" if left_out else "")


def describe_seeds(seeds: Iterable[int]) -> str:
    """Seeds in order, runs of consecutive seeds shortened: `42-44, 50` (`none` for none)."""
    ordered = sorted(set(seeds))
    if not ordered:
        return "none"
    spans: list[list[int]] = []
    for seed in ordered:
        if spans and seed == spans[-1][1] + 1:
            spans[-1][1] = seed
        else:
            spans.append([seed, seed])
    return ", ".join(str(a) if a == b else f"{a}{'-' if b > a + 1 else ', '}{b}" for a, b in spans)


def _seed_list(seeds: Sequence[int]) -> str:
    """`seed 4` or `seeds 42-49`, or `no seed` when a run's summary names none."""
    if not seeds:
        return "no seed"
    return f"{'seed' if len(seeds) == 1 else 'seeds'} {describe_seeds(seeds)}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def seed_pairings(run_dirs: Sequence[str | Path]) -> list[SeedPairing]:
    """How each run after the first pairs with it, seed by seed (see `paired_differences`).

    Args:
        run_dirs: Results directories; the first is the reference.

    Returns:
        One `SeedPairing` per run after the first, in order; `describe()` says what was
        paired, which seeds were left out, or why a run could not be paired.

    Raises:
        CompareError: As `compare_runs`, for a directory that is not a finished run.
    """
    return _pairings(*_load_replicates(run_dirs))


def paired_differences(
    run_dirs: Sequence[str | Path], metrics: Sequence[str] | None = None
) -> pd.DataFrame:
    """Each run's difference from the first, summary figure by figure, paired by seed.

    Replicated runs of two scenarios with the same base seed see the same seeds (common
    random numbers), so their difference is best measured seed by seed: the mean of the
    per-seed differences over the seeds both runs have, matched seed to seed, with its
    two-sided 95% Student-t interval
    (`autofin.results.replications.mean_confidence_interval`). Seeds of one run only (8
    replications against 3 from the same seed) are left out; a run that shares fewer than
    `MIN_PAIRS` seeds with the first (another base seed, a single run) has no rows:
    `seed_pairings` says which seeds each run has and which were paired.

    Args:
        run_dirs: Results directories; the first is the reference.
        metrics: Names or glob patterns selecting the summary figures, as in
            `compare_runs` (`summary_key_matches`); `None` or empty for all.

    Returns:
        One row per figure and other run: `figure`, `run`, `difference`, `low`, `high`,
        `seeds` (the number of pairs with a value); empty when no run pairs with the first.

    Raises:
        CompareError: As `compare_runs`, for a directory that is not a finished run.
    """
    return pairings_and_differences(run_dirs, metrics)[1]


def pairings_and_differences(
    run_dirs: Sequence[str | Path], metrics: Sequence[str] | None = None
) -> tuple[list[SeedPairing], pd.DataFrame]:
    """`seed_pairings` and `paired_differences` at once, each run read and checked once.

    Args:
        run_dirs: Results directories; the first is the reference.
        metrics: As in `paired_differences`.

    Raises:
        CompareError: As `compare_runs`, for a directory that is not a finished run.
    """
    from autofin.results.replications import mean_confidence_interval  # it imports this module

    labels, summaries, tables = _load_replicates(run_dirs)
    pairings = _pairings(labels, summaries, tables)
    rows: list[dict[str, Any]] = []
    for pairing, table in zip(pairings, tables[1:], strict=True):
        if not pairing.paired or tables[0] is None or table is None:
            continue
        shared = list(pairing.shared)
        reference = tables[0].set_index("seed").loc[shared]
        other = table.set_index("seed").loc[shared]  # the same seeds in the same order
        for figure in _paired_figures(reference, other, metrics):
            pairs = other[figure].to_numpy(dtype=float) - reference[figure].to_numpy(dtype=float)
            finite = pairs[np.isfinite(pairs)]
            # One pair with a value has no spread to measure: no interval, never "beyond noise".
            low, high = (math.nan, math.nan)
            if finite.size >= MIN_PAIRS:
                low, high = mean_confidence_interval(pairs)
            rows.append(
                {
                    "figure": figure,
                    "run": pairing.run,
                    "difference": float(finite.mean()) if finite.size else math.nan,
                    "low": low,
                    "high": high,
                    "seeds": int(finite.size),
                }
            )
    columns = ["figure", "run", "difference", "low", "high", "seeds"]
    return pairings, pd.DataFrame(rows, columns=columns)


def _paired_figures(
    reference: pd.DataFrame, other: pd.DataFrame, metrics: Sequence[str] | None
) -> list[str]:
    """The summary figures of both runs' replications that `metrics` selects."""
    return [
        figure
        for figure in reference.columns
        if figure in other.columns
        and figure != "replication"
        and summary_key_matches(figure, metrics)
    ]


def _load_replicates(
    run_dirs: Sequence[str | Path],
) -> tuple[list[str], list[dict[str, Any]], list[pd.DataFrame | None]]:
    """The runs' labels, summaries and replication tables (None for a single run)."""
    directories = [Path(directory) for directory in run_dirs]
    summaries = [_load_summary(directory) for directory in directories]
    tables = [_read_replicates(directory) for directory in directories]
    return run_labels(directories, summaries), summaries, tables


def _read_replicates(directory: Path) -> pd.DataFrame | None:
    """A run's table of replications (`REPLICATIONS_PARQUET`), None for a single run."""
    path = directory / REPLICATIONS_PARQUET
    if not path.is_file():
        return None
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError) as error:
        raise CompareError(f"{path}: cannot read it: {error}") from None


def _pairings(
    labels: list[str], summaries: list[dict[str, Any]], tables: list[pd.DataFrame | None]
) -> list[SeedPairing]:
    """Each later run's pairing with the first (`_load_replicates`'s three lists)."""
    seeds = [_seeds(s, table) for s, table in zip(summaries, tables, strict=True)]
    return [
        SeedPairing(labels[0], label, seeds[0], run_seeds)
        for label, run_seeds in zip(labels[1:], seeds[1:], strict=True)
    ]


def _seeds(run_summary: Mapping[str, Any], table: pd.DataFrame | None) -> tuple[int, ...]:
    """A run's seeds: those of its replications, or its own seed for a single run."""
    if table is not None and "seed" in table.columns:
        return tuple(sorted(int(seed) for seed in table["seed"]))
    seed = run_summary.get("seed")
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        return (int(seed),)
    return ()


def summary_figures(
    summary: Mapping[str, Any], prefix: str = "", *, undefined: bool = False
) -> Iterator[tuple[str, float]]:
    """The numeric headline entries of a (possibly nested) summary, provenance left out.

    Args:
        summary: A run's summary, as in `summary.json`.
        prefix: Prefix of the keys (used for nested mappings, which get dotted keys).
        undefined: Also the figures written as null (undefined, such as a rate with nothing
            to divide by), as NaN.

    Yields:
        `(key, value)` pairs in the summary's order; integers stay `int`.
    """
    for key, value in summary.items():
        if not prefix and key in SKIPPED_SUMMARY_KEYS:
            continue
        if isinstance(value, Mapping):
            yield from summary_figures(value, f"{prefix}{key}.", undefined=undefined)
        elif isinstance(value, numbers.Real) and not isinstance(value, bool):
            number = int(value) if isinstance(value, numbers.Integral) else float(value)
            yield f"{prefix}{key}", number
        elif value is None and undefined:
            yield f"{prefix}{key}", math.nan


def summary_intervals(summary: Mapping[str, Any]) -> dict[str, tuple[float, float]]:
    """A replicated run's 95% confidence intervals by summary figure (empty for a single run).

    Args:
        summary: A run's summary, as in `summary.json` (a bound written as null is NaN).
    """
    intervals = summary.get(CONFIDENCE_KEY)
    if not isinstance(intervals, Mapping):
        return {}
    return {
        str(key): (json_number(pair[0]), json_number(pair[1]))
        for key, pair in intervals.items()
        if isinstance(pair, list | tuple) and len(pair) == 2
    }


def _summary_rows(summary: Mapping[str, Any], keys: list[str]) -> list[str]:
    """The summary rows of one run among `keys`: each figure, then its interval if it has one."""
    intervals = summary_intervals(summary)
    wanted = set(keys)
    rows = []
    for key, _ in summary_figures(summary, undefined=True):
        if key not in wanted:
            continue
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
    run_summary = _load_summary(directory)
    timeseries_path = directory / TIMESERIES_PARQUET
    if not timeseries_path.is_file():
        raise CompareError(f"{directory}: incomplete run (no {TIMESERIES_PARQUET})")
    try:
        frame = pd.read_parquet(timeseries_path)
    except (OSError, ValueError) as error:
        raise CompareError(f"{timeseries_path}: cannot read it: {error}") from None
    return run_summary, frame


def _load_summary(directory: Path) -> dict[str, Any]:
    """A finished run's summary, its files checked, or a `CompareError` saying what is wrong."""
    if not directory.exists():
        raise CompareError(f"{directory}: no such directory")
    if not directory.is_dir():
        raise CompareError(f"{directory}: not a directory")
    summary_path = directory / SUMMARY_JSON
    if not summary_path.is_file():
        raise CompareError(not_a_run(directory))
    try:
        run_summary = verify_results(directory)  # reads summary.json and checks every file
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CompareError(f"{summary_path}: cannot read it: {error}") from None
    except ResultsIntegrityError as error:
        raise CompareError(str(error)) from None
    if not isinstance(run_summary, dict):
        raise CompareError(f"{summary_path}: expected a JSON object")
    return run_summary


def _select(columns: list[str], metrics: Sequence[str] | None, keys: list[str]) -> list[str]:
    """The time-series columns named or matched by `metrics`, in order, without repeats.

    A name or pattern of `metrics` must match a column or one of the summary figures `keys`.
    """
    measured = [column for column in columns if column not in TIME_COLUMNS]
    selected: list[str] = []
    for pattern in DEFAULT_METRICS if metrics is None else metrics:
        if _is_glob(pattern):
            matches = [column for column in measured if _matches(column, pattern)]
        else:
            matches = [pattern] if pattern in columns else []
        in_summary = any(summary_key_matches(key, [pattern]) for key in keys)
        if not matches and not in_summary and metrics is not None:
            raise CompareError(_unknown_metric(pattern, measured, keys))
        selected += [match for match in matches if match not in selected]
    return selected


def _unknown_metric(pattern: str, columns: list[str], keys: list[str]) -> str:
    """The error message for a metric that matches nothing, with close matches if any."""
    what = "time-series column or summary figure" if keys else "time-series column"
    if _is_glob(pattern):
        message = f"pattern '{pattern}' matches no {what} of the runs"
    else:
        message = f"unknown metric '{pattern}': no run has this {what}"
    close = difflib.get_close_matches(pattern, _union([columns, keys]), n=3, cutoff=0.6)
    if close:
        quoted = [f"'{name}'" for name in close]
        choices = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
        message += f"; did you mean {choices}?"
    return message


def _is_glob(pattern: str) -> bool:
    return any(character in pattern for character in "*?[")


def run_labels(directories: list[Path], summaries: list[dict[str, Any]]) -> list[str]:
    """Each run's label: its scenario's name, with its folder's where a name repeats.

    The terminal's `compare` and the HTML reports name runs by it alike.

    Args:
        directories: The runs' results folders.
        summaries: Their `summary.json` contents, in the same order.
    """
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
