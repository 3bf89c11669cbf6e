"""Analysis of a finished sweep: means over replications, Sobol and Morris indices.

Means come with Student-t confidence intervals over the replications of each design point.
Sensitivity indices come from SALib, fed the same unit-hypercube sample the design drew:
first- and total-order Sobol indices with their bootstrap confidence intervals (sobol
design), or Morris mu* and sigma (morris design). Indices use the mean of each point over its
replications, so the noise of single runs does not inflate them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from scipy import stats

from autofin.results.compare import as_percent, is_fraction, natural_range
from autofin.results.writing import SUMMARY_JSON
from autofin.sweep.design import POINT, unit_problem
from autofin.sweep.runs import WARMUP_LOSSES
from autofin.sweep.store import DESIGN, RESOLVED, RUNS, SweepStore

CONFIDENCE = 0.95
BOOTSTRAP_SEED = 12345
DESIGN_COLUMNS = ("run_id", POINT, "replication", "seed", "seconds")


class AnalysisError(Exception):
    """A directory that holds no analysable sweep (a user error)."""


@dataclass
class SweepAnalysis:
    """What `autofin analyze` computes.

    Attributes:
        name: The experiment's name.
        design: The design's kind (grid, sobol, ...).
        parameters: The varied settings.
        outputs: The output columns analysed.
        means: Long table: point, parameters, metric, mean, low, high, sd, n.
        indices: Long table: metric, parameter, index (S1, ST, mu_star, sigma), value, conf.
        runs: runs.parquet.
        notes: Things the reader should know (points left out, indices not computed).
    """

    name: str
    design: str
    parameters: list[str]
    outputs: list[str]
    means: pd.DataFrame
    indices: pd.DataFrame
    runs: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    def describe(self, means_table: str | Path | None = None) -> str:
        """A few lines for the terminal.

        Args:
            means_table: Where the means table was written (named when it is too long to
                print in full).

        Returns:
            The sweep's size, the most influential parameter of each output (sobol and
            morris designs), the means per design point (or, when there are too many, each
            output's lowest and highest mean) and the notes.
        """
        lines = [
            f"{self.name}: {len(self.runs)} runs, {self.means[POINT].nunique()} design points, "
            f"{len(self.outputs)} output{'s' if len(self.outputs) != 1 else ''}, "
            f"{self.design} design"
        ]
        if not self.indices.empty:
            top = self.indices[self.indices["index"].isin(["ST", "mu_star"])]
            for metric, group in top.groupby("metric", sort=False):
                best = group.sort_values("value", ascending=False).iloc[0]
                lines.append(
                    f"  {metric}: most influential {best['parameter']} "
                    f"({best['index']} {best['value']:.3g} ± {best['conf']:.2g})"
                )
        if len(self.means) > PRINTED_MEANS:
            lines.extend(self._range_lines(means_table))
        else:
            lines.extend(self._means_lines())
        lines.extend(f"  note: {note}" for note in self.notes)
        return "\n".join(lines)

    def _means_lines(self) -> list[str]:
        """The means with their 95% intervals, one line per design point and output."""
        lines = ["  means over replications (95% interval), per design point:"]
        for _, row in self.means.iterrows():
            lines.append(f"    {self._at(row)}: {row['metric']} {_mean_text(row)}")
        return lines

    def _range_lines(self, means_table: str | Path | None) -> list[str]:
        """Each output's lowest and highest mean over the design points, with intervals.

        For a sweep whose table of means is longer than `PRINTED_MEANS` lines: says where
        the whole table is, and prints at most `PRINTED_MEANS` outputs.
        """
        where = f"in {means_table}" if means_table is not None else "in the means table"
        points = self.means[POINT].nunique()
        lines = [
            f"  means over replications (95% interval): {len(self.means)} lines ({points} "
            f"design points x {len(self.outputs)} outputs), too many to print; all {where}. "
            "Per output, the design points of its lowest and highest mean:"
        ]
        metrics = list(dict.fromkeys(self.means["metric"]))
        for metric in metrics[:PRINTED_MEANS]:
            rows = self.means[self.means["metric"] == metric]
            lines.append(f"    {metric}: {self._range_text(rows)}")
        if len(metrics) > PRINTED_MEANS:
            lines.append(f"    ... and {len(metrics) - PRINTED_MEANS} more outputs, {where}")
        return lines

    def _range_text(self, rows: pd.DataFrame) -> str:
        """One output's lowest and highest mean over the design points, and where."""
        valued = rows[rows["mean"].notna()]
        if valued.empty:
            return "no run gave a value"
        lowest = valued.loc[valued["mean"].idxmin()]
        highest = valued.loc[valued["mean"].idxmax()]
        if lowest["mean"] == highest["mean"]:
            return f"{_mean_text(lowest)} at every design point"
        text = (
            f"lowest {_mean_text(lowest)} at {self._at(lowest)}; "
            f"highest {_mean_text(highest)} at {self._at(highest)}"
        )
        if math.isfinite(lowest["high"]) and lowest["high"] >= highest["low"]:
            text += " (the two intervals overlap)"
        return text

    def _at(self, row: pd.Series) -> str:
        """A design point's parameter values, `path=value, ...`."""
        return ", ".join(f"{p}={_short(row[p])}" for p in self.parameters)


def _mean_text(row: pd.Series) -> str:
    """A mean with its 95% interval (or why it has none), in percent for shares and rates."""
    show = as_percent if is_fraction(row["metric"]) else _short
    if row["n"] == 0:
        return "no value (no run gave one)"
    if math.isfinite(row["low"]):
        interval = f" ({show(row['low'])} to {show(row['high'])})"
    elif row["n"] == 1:
        interval = " (one run)"
    else:
        interval = f" ({int(row['n'])} runs gave a value)"
    return f"{show(row['mean'])}{interval}"


PRINTED_MEANS = 40
"""Most lines of means `SweepAnalysis.describe` prints (a design point × an output each)."""


def _short(value: object) -> str:
    """A number in four significant figures (other values as they are)."""
    return (
        f"{value:.4g}" if isinstance(value, float | int | np.floating | np.integer) else str(value)
    )


def analyze_sweep(directory: str | Path) -> SweepAnalysis:
    """Analyse the sweep written in a directory.

    Args:
        directory: A directory written by `autofin sweep`.

    Returns:
        Means per design point and, for sobol and morris designs, sensitivity indices.

    Raises:
        AnalysisError: If the directory holds no finished sweep.
    """
    folder = Path(directory)
    if (
        (folder / RESOLVED).is_file()
        and (folder / DESIGN).is_file()
        and not (folder / RUNS).is_file()
    ):
        finished = len(SweepStore(folder).finished())
        total = len(pd.read_parquet(folder / DESIGN))
        raise AnalysisError(
            f"{folder}: the sweep stopped with {finished} of {total} runs finished; run the "
            "same `autofin sweep` command again to finish it (its tables are written when "
            "it ends)"
        )
    if (folder / SUMMARY_JSON).is_file() and not (folder / RESOLVED).is_file():
        raise AnalysisError(
            f"{folder}: the results of a run (`autofin run`), not of a sweep; `autofin "
            "report` builds a run's report, `autofin compare` compares runs"
        )
    for name in (RESOLVED, DESIGN, RUNS):
        if not (folder / name).is_file():
            raise AnalysisError(
                f"{folder}: no {name}; run `autofin sweep EXPERIMENT -o {folder}` first"
            )
    resolved = yaml.safe_load((folder / RESOLVED).read_text(encoding="utf-8"))
    runs = pd.read_parquet(folder / RUNS)
    design = pd.read_parquet(folder / DESIGN)
    if runs.empty:
        raise AnalysisError(f"{folder}: the sweep has no finished runs")
    parameters = list(resolved["parameters"])
    kept = (resolved.get("outputs") or {}).get("summary", "all")
    # Every run keeps its warm-up losses; they are outputs only where asked for.
    recorded_only = {lost for lost in WARMUP_LOSSES if kept != "all" and lost not in kept}
    outputs = [
        column
        for column in runs.columns
        if column not in DESIGN_COLUMNS
        and column not in parameters
        and column not in recorded_only
        and pd.api.types.is_numeric_dtype(runs[column])
    ]
    analysis = SweepAnalysis(
        name=resolved["name"],
        design=resolved["design"],
        parameters=parameters,
        outputs=outputs,
        means=point_means(runs, parameters, outputs),
        indices=pd.DataFrame(columns=["metric", "parameter", "index", "value", "conf"]),
        runs=runs,
    )
    if analysis.design in ("sobol", "morris"):
        analysis.indices = _sensitivity(analysis, design, resolved)
    note = warmup_note(runs, parameters)
    if note:
        analysis.notes.append(note)
    return analysis


def warmup_note(runs: pd.DataFrame, parameters: list[str]) -> str | None:
    """What to say of runs that lost suppliers or banks in the warm-up (None: none did).

    Their figures start from what the warm-up left and do not count those suppliers or banks
    (`autofin run` warns of the same), so a sweep's defaults could read several times too
    low at the points where the warm-up broke the supply chain.

    Args:
        runs: One row per run, with the `WARMUP_LOSSES` columns (older sweeps lack some).
        parameters: The parameter columns, to name the point of the worst run.
    """
    said = []
    for column, who in WARMUP_LOSSES.items():
        if column not in runs or not (runs[column] > 0).any():
            continue
        lost = runs[column]
        worst = runs.loc[lost.idxmax()]
        at = ", ".join(f"{name}={worst[name]}" for name in parameters)
        said.append(
            f"{int((lost > 0).sum())} of {len(runs)} runs lost {who} in the warm-up, before "
            f"day 0 (most: {lost.max():,.4g}, at {at}); their figures start from what the "
            f"warm-up left and do not count them ({column} in {RUNS})"
        )
    return "; ".join(said) or None


def point_means(runs: pd.DataFrame, parameters: list[str], outputs: list[str]) -> pd.DataFrame:
    """Mean of every output per design point, with a Student-t confidence interval.

    The interval is cut to the values the output can take (`natural_range`).

    Args:
        runs: One row per run.
        parameters: Parameter columns (constant within a point).
        outputs: Output columns.

    Returns:
        Long table: point, parameters, metric, mean, sd, n, low, high.
    """
    long = runs.melt(id_vars=[POINT, *parameters], value_vars=outputs, var_name="metric")
    grouped = long.groupby([POINT, *parameters, "metric"], sort=False, dropna=False)["value"]
    table = grouped.agg(mean="mean", sd="std", n="count").reset_index()
    half = [
        stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1) * sd / math.sqrt(n) if n > 1 else math.nan
        for sd, n in zip(table["sd"], table["n"], strict=True)
    ]
    # Cut to the values each output can take, as a replicated run's intervals are
    # (`natural_range`: no negative count of defaults, no share above 1).
    bounds = table["metric"].map(natural_range)
    table["low"] = np.maximum(table["mean"] - half, [low for low, _ in bounds])
    table["high"] = np.minimum(table["mean"] + half, [high for _, high in bounds])
    return table


def sobol_indices(
    names: list[str], outputs: np.ndarray, seed: int = BOOTSTRAP_SEED
) -> pd.DataFrame:
    """First- and total-order Sobol indices with confidence intervals (SALib).

    Args:
        names: Parameters, in design order.
        outputs: One value per point of a Saltelli sample (without second order), in order.
        seed: Seed of SALib's bootstrap.

    Returns:
        Long table: parameter, index (S1 or ST), value, conf.
    """
    from SALib.analyze import sobol

    result = sobol.analyze(
        unit_problem(names),
        np.asarray(outputs, dtype=float),
        calc_second_order=False,
        conf_level=CONFIDENCE,
        seed=seed,
    )
    rows = []
    for index in ("S1", "ST"):
        for name, value, conf in zip(names, result[index], result[f"{index}_conf"], strict=True):
            rows.append({"parameter": name, "index": index, "value": value, "conf": conf})
    return pd.DataFrame(rows)


def morris_indices(
    names: list[str], unit: np.ndarray, outputs: np.ndarray, levels: int, seed: int = BOOTSTRAP_SEED
) -> pd.DataFrame:
    """Morris mu* (with its confidence interval) and sigma (SALib).

    Args:
        names: Parameters, in design order.
        unit: The Morris sample in the unit hypercube.
        outputs: One value per point, in order.
        levels: The design's levels.
        seed: Seed of SALib's bootstrap.

    Returns:
        Long table: parameter, index (mu_star or sigma), value, conf.
    """
    from SALib.analyze import morris

    result = morris.analyze(
        unit_problem(names),
        np.asarray(unit, dtype=float),
        np.asarray(outputs, dtype=float),
        num_levels=levels,
        conf_level=CONFIDENCE,
        seed=seed,
    )
    rows = []
    for position, name in enumerate(names):
        rows.append(
            {
                "parameter": name,
                "index": "mu_star",
                "value": float(result["mu_star"][position]),
                "conf": float(result["mu_star_conf"][position]),
            }
        )
        rows.append(
            {
                "parameter": name,
                "index": "sigma",
                "value": float(result["sigma"][position]),
                "conf": math.nan,
            }
        )
    return pd.DataFrame(rows)


SMALL_SPREAD = 0.01
"""A range of an output's means across the design below this share of their mean is noted."""
SOBOL_SLACK = 0.05
"""How far outside [0, 1] a Sobol index may fall by sampling error before a note says so."""


def _sensitivity(
    analysis: SweepAnalysis, design: pd.DataFrame, resolved: dict[str, Any]
) -> pd.DataFrame:
    """Indices of every output, from the means per point in design order."""
    points = design.drop_duplicates(POINT).sort_values(POINT)
    unit = points[[f"unit:{name}" for name in analysis.parameters]].to_numpy()
    frames = []
    for metric in analysis.outputs:
        means = analysis.means[analysis.means["metric"] == metric].set_index(POINT)["mean"]
        values = means.reindex(points[POINT]).to_numpy(dtype=float)
        if np.isnan(values).any():
            missing = int(np.isnan(values).sum())
            # A point whose runs finished has a row; its mean is NaN if none gave a value.
            undefined = int(means.isna().sum())
            said = (
                f" (at {undefined} the runs finished without one: undefined, such as a rate "
                "with nothing to divide by)"
                if undefined
                else ""
            )
            analysis.notes.append(
                f"no indices for {metric}: {missing} design points have no finished run "
                f"giving a value{said}"
            )
            continue
        if np.allclose(values, values[0]):
            analysis.notes.append(f"no indices for {metric}: it is the same at every point")
            continue
        spread = float(np.ptp(values)) / max(float(np.abs(values).mean()), 1e-300)
        if spread < SMALL_SPREAD:
            analysis.notes.append(
                f"{metric} moves by only {spread:.2%} of its mean across the design: its "
                "indices apportion that small a variation (read them with its size in mind)"
            )
        if analysis.design == "sobol":
            table = sobol_indices(analysis.parameters, values)
            low, high = float(table["value"].min()), float(table["value"].max())
            if low < -SOBOL_SLACK or high > 1 + SOBOL_SLACK:
                analysis.notes.append(
                    f"Sobol indices of {metric} run from {low:.2g} to {high:.2g}, outside 0 "
                    "to 1: too few samples for this output to apportion its variance; raise "
                    "the design's samples"
                )
        else:
            table = morris_indices(analysis.parameters, unit, values, int(resolved["levels"]))
        table.insert(0, "metric", metric)
        frames.append(table)
    if not frames:
        return pd.DataFrame(columns=["metric", "parameter", "index", "value", "conf"])
    return pd.concat(frames, ignore_index=True)
