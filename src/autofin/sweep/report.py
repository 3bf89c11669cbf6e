"""The sweep report: one offline HTML page in the run report's look, plus the tables as CSV.

plotly.js is embedded once in the page (no CDN), so the report opens without a network. The
page has the run report's style (`autofin.report.page.STYLE`, its cards, fonts and plotly
template) and reads from top to bottom: the experiment (design, parameters, runs, failures,
notes); the sensitivity indices of a sobol or morris design, as a table and as bar charts;
the mean of every output at every design point with its 95% interval (for a design too
large to list, each output's spread over the design, the means being in the CSV); the heat
map of a grid over two parameters; and each output against each parameter, small charts in
a grid. Every chart has a caption saying what its dots, lines, bands and whiskers are.
Shares and rates are shown in percent, as the terminal prints them; an output no run gave a
value for reads "no value".
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import yaml
from plotly.colors import sequential

from autofin.report.canvas import Canvas
from autofin.report.page import STYLE, figure_div, offline_page
from autofin.report.style import rgba, run_colour
from autofin.results.compare import as_percent, is_fraction
from autofin.results.writing import _write_atomically
from autofin.sweep.analysis import CONFIDENCE, SOBOL_SLACK, SweepAnalysis, _short
from autofin.sweep.design import POINT
from autofin.sweep.store import DESIGN, FAILURES, RESOLVED

MAX_OUTPUTS = 12
"""Outputs charted (all of them are in the tables)."""
TABLE_POINTS = 100
"""Most design points the page lists in its means table; a larger design's are in the CSV."""
COLUMN_POINTS = 8
"""Most design points the means table gives a column each (more get a row each)."""
MAX_LINES = 6
"""Most lines in one chart: one per combination of the other parameters of a grid."""
SHOWN_FAILURES = 10
"""Failed runs listed in the header (all are in failures.parquet)."""

INDEX_NAMES = {"S1": "S1", "ST": "ST", "mu_star": "μ*", "sigma": "σ"}
"""Sensitivity indices as the page writes them."""
INDEX_COLOURS = {
    "S1": run_colour(0),
    "ST": run_colour(4),
    "mu_star": run_colour(0),
    "sigma": run_colour(4),
}
"""Bars of the first index of a pair blue, of the second orange."""

SWEEP_STYLE = """
.scroll { overflow-x: auto; }
table.means tr:first-child th { vertical-align: bottom; font-size: 12px; }
table.means tr.setting th { font-size: 12px; border-bottom: 1px solid #ccc; }
table.means .flag { display: block; color: #a33; font-size: 11px; font-weight: normal; }
table.means th.number { text-align: right; }
table.means td.point { color: #666; }
td.none { color: #999; text-align: right; }
td.index { text-align: right; font-variant-numeric: tabular-nums; padding: 4px 8px; }
td.index .interval { color: #555; font-size: 11px; }
td .interval { white-space: nowrap; }
.charts { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 4px 16px; }
.charts.wide { grid-template-columns: repeat(2, minmax(0, 1fr)); }
@media (max-width: 1000px) { .charts { grid-template-columns: repeat(2, minmax(0, 1fr)); } }
@media (max-width: 700px) { .charts, .charts.wide { grid-template-columns: 1fr; } }
.legend { font-size: 12px; color: #333; margin: 14px 0 4px; }
.legend .item { margin-right: 16px; white-space: nowrap; }
.empty { border: 1px dashed #ccc; border-radius: 6px; color: #777; font-size: 13px;
  display: flex; align-items: center; justify-content: center; text-align: center;
  min-height: 120px; margin: 8px 0; padding: 8px; align-self: center; }
ul.notes { margin: 6px 0 2px; padding-left: 20px; font-size: 13px; }
ul.notes li { margin: 2px 0; }
h3 { font-size: 15px; margin: 14px 0 4px; }
"""
"""The sweep page's additions to the run report's `STYLE`."""

HEAT_COLOURS = [
    [position / (len(sequential.Blues) - 1), colour]
    for position, colour in enumerate(sequential.Blues)
]
"""Light (low) to dark (high) blue, as an explicit scale (plotly.js knows no such name)."""
CHART_HEIGHT = 270
HEAT_HEIGHT = 340
CHART_MARGIN = {"l": 60, "r": 16, "t": 44, "b": 48}
"""Small charts: pixels high, and margins leaving room for a title and the axes' labels."""


@dataclass(frozen=True)
class SweepRecord:
    """What the sweep directory says beyond the analysis: the experiment as run, failures.

    Attributes:
        experiment: experiment.resolved.yaml (description, parameters as specified, seed).
        planned: Distinct runs in the design.
        failures: failures.parquet: the runs that raised, with their errors.
    """

    experiment: dict[str, Any]
    planned: int | None
    failures: pd.DataFrame


def read_record(directory: str | Path) -> SweepRecord | None:
    """The sweep directory's resolved experiment, design size and failures, if it has them."""
    folder = Path(directory)
    if not (folder / RESOLVED).is_file():
        return None
    experiment = yaml.safe_load((folder / RESOLVED).read_text(encoding="utf-8")) or {}
    planned = (
        int(pd.read_parquet(folder / DESIGN, columns=["run_id"])["run_id"].nunique())
        if (folder / DESIGN).is_file()
        else None
    )
    failures = (
        pd.read_parquet(folder / FAILURES) if (folder / FAILURES).is_file() else pd.DataFrame()
    )
    return SweepRecord(experiment, planned, failures)


def table_paths(report: Path) -> tuple[Path, Path]:
    """The CSV tables written beside a report: its means and its indices.

    Beside the default `report.html`: means.csv and indices.csv; beside any other report
    `<name>.html`: `<name>.means.csv` and `<name>.indices.csv`, so that two sweeps' reports
    in one folder keep their own tables.
    """
    if report.name == "report.html":
        return report.with_name("means.csv"), report.with_name("indices.csv")
    return report.with_name(f"{report.stem}.means.csv"), report.with_name(
        f"{report.stem}.indices.csv"
    )


def write_report(
    analysis: SweepAnalysis, target: str | Path, *, sweep: str | Path | None = None
) -> Path:
    """Write the HTML report and, beside it, its means and indices tables (`table_paths`).

    Args:
        analysis: From `analyze_sweep`.
        target: The HTML file.
        sweep: The sweep directory, whose experiment file and failures the header shows; by
            default the folder holding `analysis/` when the report is there (where
            `autofin analyze` writes it) and that folder holds this experiment.

    Returns:
        The HTML file's path.
    """
    path = Path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    means_csv, indices_csv = table_paths(path)
    _write_atomically(means_csv, lambda file: analysis.means.to_csv(file, index=False))
    if not analysis.indices.empty:
        _write_atomically(indices_csv, lambda file: analysis.indices.to_csv(file, index=False))
    if sweep is None and path.parent.name == "analysis":
        sweep = path.parent.parent
    record = read_record(sweep) if sweep is not None else None
    if record is not None and record.experiment.get("name") != analysis.name:
        record = None
    page = render(analysis, means_csv.name, record=record)
    _write_atomically(path, lambda file: file.write_text(page, encoding="utf-8"))
    return path


def render(
    analysis: SweepAnalysis, means_table: str | None = None, *, record: SweepRecord | None = None
) -> str:
    """The report as one self-contained HTML page.

    Args:
        analysis: From `analyze_sweep`.
        means_table: The means table's file, as the page should name it (beside the page).
        record: The sweep directory's experiment and failures (`read_record`), if known.

    Returns:
        The HTML text.
    """
    table = means_table or "the means table"
    sections = [_header(analysis, record)]
    if analysis.design in ("sobol", "morris"):
        sections.append(_indices_section(analysis))
    sections.append(_means_section(analysis, table))
    if analysis.design == "grid" and len(analysis.parameters) == 2:
        sections.append(_heat_maps_section(analysis))
    specs = (record.experiment.get("parameters") if record is not None else None) or {}
    sections.extend(
        _against_section(analysis, parameter, log=_log_scale(analysis, parameter, specs))
        for parameter in analysis.parameters
    )
    generated = datetime.now(UTC).isoformat(timespec="seconds")
    sections.append(
        f"<p class='caption'>Report generated {generated} by autofin analyze; plotly.js is "
        "embedded, so this file opens without a network.</p>"
    )
    return offline_page(
        f"autofin sweep: {analysis.name}", "\n".join(sections), style=STYLE + SWEEP_STYLE
    )


# ---------------------------------------------------------------- header
def _header(analysis: SweepAnalysis, record: SweepRecord | None) -> str:
    """Title, description and a card of the experiment: design, parameters, runs, notes."""
    experiment = record.experiment if record is not None else {}
    description = experiment.get("description") or ""
    runs = int(analysis.runs["run_id"].nunique()) if "run_id" in analysis.runs else 0
    points = int(analysis.means[POINT].nunique())
    replications = experiment.get("replications") or (
        int(analysis.runs["replication"].nunique()) if "replication" in analysis.runs else None
    )
    facts = [("design", _design_text(analysis.design, experiment)), ("design points", points)]
    if replications:
        facts.append(("replications", f"{replications} per design point"))
    facts.append(("runs", _runs_text(runs, record)))
    if experiment.get("seed") is not None:
        facts.append(("seed", experiment["seed"]))
    if experiment.get("scenario"):
        facts.append(("scenario", Path(str(experiment["scenario"])).name))
    overrides = experiment.get("overrides") or {}
    if overrides:
        facts.append(
            ("fixed settings", ", ".join(f"{key}={_setting(v)}" for key, v in overrides.items()))
        )
    facts.append(("outputs", len(analysis.outputs)))
    fact_rows = "".join(
        f"<tr><th>{html.escape(label)}</th><td>{html.escape(str(value))}</td></tr>"
        for label, value in facts
    )
    specs = experiment.get("parameters") or {}
    parameter_rows = "".join(
        f"<tr><th>{html.escape(name)}</th>"
        f"<td>{html.escape(_parameter_text(analysis, name, specs.get(name)))}</td></tr>"
        for name in analysis.parameters
    )
    notes = (
        "<h3>Notes</h3><ul class='notes'>"
        + "".join(f"<li>{html.escape(note)}</li>" for note in analysis.notes)
        + "</ul>"
        if analysis.notes
        else ""
    )
    return (
        f"<h1>Sweep {html.escape(analysis.name)}</h1>\n"
        + (f"<p class='subtitle'>{html.escape(description)}</p>\n" if description else "")
        + "<section id='experiment'><h2>Experiment</h2><div class='columns'>"
        f"<table>{fact_rows}</table>"
        f"<table><tr><th>parameter</th><th>values</th></tr>{parameter_rows}</table></div>"
        f"{_failures(analysis, record)}{notes}</section>"
    )


def _design_text(design: str, experiment: dict[str, Any]) -> str:
    """The design's kind and its size settings."""
    if design == "sobol" and experiment.get("samples"):
        return f"sobol (Saltelli sample, {experiment['samples']} samples)"
    if design == "morris" and experiment.get("trajectories"):
        return f"morris ({experiment['trajectories']} trajectories, {experiment['levels']} levels)"
    if design in ("random", "latin_hypercube") and experiment.get("samples"):
        return f"{design.replace('_', ' ')} ({experiment['samples']} samples)"
    return design.replace("_", " ")


def _runs_text(finished: int, record: SweepRecord | None) -> str:
    """Runs finished, failed and planned."""
    if record is None:
        return f"{finished} finished"
    text = f"{finished} of {record.planned} finished" if record.planned else f"{finished} finished"
    failed = int(record.failures["run_id"].nunique()) if not record.failures.empty else 0
    if failed:
        text += f", {failed} failed"
    if record.planned and finished + failed < record.planned:
        text += f", {record.planned - finished - failed} not run"
    return text


def _parameter_text(analysis: SweepAnalysis, name: str, spec: dict[str, Any] | None) -> str:
    """A parameter's values (a list) or range, as the experiment gives them or as run."""
    if spec and spec.get("values") is not None:
        return ", ".join(_setting(value) for value in spec["values"])
    if spec and spec.get("range") is not None:
        low, high = spec["range"]
        words = [f"{_setting(low)} to {_setting(high)}"]
        if spec.get("points"):
            words.append(f"{spec['points']} points")
        if spec.get("log"):
            words.append("log scale")
        if spec.get("integer"):
            words.append("whole numbers")
        return ", ".join(words)
    values = analysis.means[name].drop_duplicates().sort_values()
    if len(values) <= 8:
        return ", ".join(_setting(value) for value in values)
    return f"{_setting(values.iloc[0])} to {_setting(values.iloc[-1])} ({len(values)} values)"


def _setting(value: object) -> str:
    """A parameter's value as the experiment file writes it (true, not True)."""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(value)
    if isinstance(value, float | np.floating) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return _short(value)


def _failures(analysis: SweepAnalysis, record: SweepRecord | None) -> str:
    """The failed runs, their settings and the first line of their errors."""
    if record is None or record.failures.empty:
        return ""
    failures = record.failures.drop_duplicates("run_id")
    rows = []
    for _, row in failures.head(SHOWN_FAILURES).iterrows():
        settings = ", ".join(f"{p}={_setting(row[p])}" for p in analysis.parameters if p in row)
        error = str(row.get("error", "")).strip().splitlines()
        rows.append(
            f"<tr><td>{html.escape(str(row['run_id']))}</td><td>{html.escape(settings)}</td>"
            f"<td class='missing'>{html.escape(error[0] if error else '')}</td></tr>"
        )
    more = (
        f"<p class='caption'>... and {len(failures) - SHOWN_FAILURES} more, all in "
        "failures.parquet.</p>"
        if len(failures) > SHOWN_FAILURES
        else ""
    )
    return (
        f"<h3>Failed runs</h3><p class='caption'>{len(failures)} runs raised an error; their "
        "design points' means are over the runs that finished (failures.parquet has the "
        "tracebacks; running the same sweep again retries them).</p>"
        "<table><tr><th>run</th><th>settings</th><th>error</th></tr>"
        + "".join(rows)
        + f"</table>{more}"
    )


# ---------------------------------------------------------------- tables
def _means_section(analysis: SweepAnalysis, means_table: str) -> str:
    """Every design point's means with their intervals, or each output's spread if too many.

    A design point per row; for a design of at most `COLUMN_POINTS` points, a point per
    column and an output per row instead, which stays narrow however many outputs there are.
    """
    points = analysis.means[POINT].nunique()
    if points > TABLE_POINTS:
        return _spread_section(analysis, means_table, points)
    wide = analysis.means.pivot_table(
        index=POINT, columns="metric", values=["mean", "low", "high", "n"], dropna=False
    )
    settings = analysis.means.drop_duplicates(POINT).set_index(POINT)[analysis.parameters]
    settings = settings.sort_index()

    replications = _replication_words(analysis)
    single = replications == "one replication"

    def cell(point: object, metric: str) -> str:
        values = (_cell(wide, name, point, metric) for name in ("mean", "low", "high", "n"))
        return _mean_cell(metric, *values, say_one_run=not single)

    if points <= COLUMN_POINTS:
        head = (
            "<tr><th>design point</th>"
            + "".join(f"<th class='number'>{point}</th>" for point in settings.index)
            + "</tr>"
        )
        head += "".join(
            f"<tr class='setting'><th>{html.escape(name)}</th>"
            + "".join(
                f"<th class='number'>{html.escape(_setting(value))}</th>"
                for value in settings[name]
            )
            + "</tr>"
            for name in analysis.parameters
        )
        rows = [
            f"<tr><th>{_output_label(metric)}</th>"
            + "".join(cell(point, metric) for point in settings.index)
            + "</tr>"
            for metric in analysis.outputs
        ]
        layout = "a column per design point (its settings at the top), a row per output"
    else:
        head = (
            "<tr><th>point</th>"
            + "".join(f"<th>{_breakable(name)}</th>" for name in analysis.parameters)
            + "".join(f"<th class='number'>{_output_label(m)}</th>" for m in analysis.outputs)
            + "</tr>"
        )
        rows = [
            f"<tr><td class='point'>{point}</td>"
            + "".join(f"<td>{html.escape(_setting(setting[p]))}</td>" for p in analysis.parameters)
            + "".join(cell(point, metric) for metric in analysis.outputs)
            + "</tr>"
            for point, setting in settings.iterrows()
        ]
        layout = "a row per design point, a column per output"
    if single:
        what = (
            "Each output's value at each design point (one run each, so no interval); "
            f"{layout}. 'no value' where the run gave none."
        )
    else:
        what = (
            f"Each output's mean over the {replications} of a design point "
            f"and, below it, its {CONFIDENCE:.0%} confidence interval (Student t over the "
            f"replications, cut to the values the output can take); {layout}. No interval "
            "where every replication gave the same value; 'one run' where one run made the "
            "point; 'no value' where no run gave one."
        )
    return (
        f"<section id='means'><h2>{'Values' if single else 'Means'} per design point</h2>"
        f"<p class='caption'>{what} Shares and rates in percent, money in the scenario's "
        "currency. The same table, one line per point and output, is "
        f"{html.escape(means_table)}.</p>"
        f"<div class='scroll'><table class='means'>{head}{''.join(rows)}</table></div>"
        "</section>"
    )


def _cell(wide: pd.DataFrame, name: str, point: object, metric: str) -> float:
    """One value of the pivoted means table (NaN where the output is missing)."""
    try:
        return float(wide[(name, metric)].loc[point])
    except KeyError:
        return math.nan


def _mean_cell(
    metric: str, mean: float, low: float, high: float, runs: float, *, say_one_run: bool = True
) -> str:
    """A table cell: the mean and, on a line below, its interval, or 'no value'.

    A point one run made says so (`say_one_run`), unless every point was one run.
    """
    if not math.isfinite(mean) or not runs:
        return "<td class='none'>no value</td>"
    below = ""
    if runs == 1:
        below = "one run" if say_one_run else ""
    elif math.isfinite(low) and math.isfinite(high) and low != high:
        below = f"{_number(metric, low)} – {_number(metric, high)}"
    interval = f"<br><span class='interval'>{below}</span>" if below else ""
    return f"<td class='number'>{_number(metric, mean)}{interval}</td>"


def _spread_section(analysis: SweepAnalysis, means_table: str, points: int) -> str:
    """For a design too large to list: each output's lowest, median and highest mean."""
    replications = _replication_words(analysis)
    rows = []
    for metric in analysis.outputs:
        means = analysis.means.loc[analysis.means["metric"] == metric, "mean"].dropna()
        if means.empty:
            cells = "<td class='none' colspan='4'>no value (no run gave one)</td>"
        else:
            cells = (
                "".join(
                    f"<td class='number'>{_number(metric, value)}</td>"
                    for value in (means.min(), means.median(), means.max())
                )
                + f"<td class='number'>{len(means)}</td>"
            )
        rows.append(f"<tr><th>{_output_label(metric)}</th>{cells}</tr>")
    return (
        "<section id='means'><h2>Outputs across the design</h2>"
        f"<p class='caption'>{points} design points are too many to list here: every point's "
        f"means with their {CONFIDENCE:.0%} intervals are in {html.escape(means_table)}. "
        "Here, per output, the lowest, median and highest of the points' "
        + (
            "values (one run each)"
            if replications == "one replication"
            else f"means (each over the {replications} of a point)"
        )
        + ", so that the indices above can be read against the size of what they "
        "apportion.</p>"
        "<table class='means'><tr><th>output</th><th class='number'>lowest</th>"
        "<th class='number'>median</th><th class='number'>highest</th>"
        "<th class='number'>points with a value</th></tr>" + "".join(rows) + "</table></section>"
    )


def _indices_section(analysis: SweepAnalysis) -> str:
    """Sensitivity indices: a table (output × parameter) and a bar chart per output."""
    morris = analysis.design == "morris"
    if analysis.indices.empty:
        return (
            "<section id='indices'><h2>Sensitivity indices</h2><p class='missing'>No indices "
            "were computed: see the notes above.</p></section>"
        )
    head = "".join(f"<th class='number'>{_breakable(p)}</th>" for p in analysis.parameters)
    tables = {
        metric: analysis.indices[analysis.indices["metric"] == metric]
        for metric in analysis.outputs
    }
    rows = []
    for metric, table in tables.items():
        if table.empty:
            rows.append(
                f"<tr><th>{_output_label(metric)}</th><td class='none' "
                f"colspan='{len(analysis.parameters)}'>no indices (see the notes)</td></tr>"
            )
            continue
        values = table["value"].astype(float)
        unsettled = not morris and bool(
            ((values < -SOBOL_SLACK) | (values > 1 + SOBOL_SLACK)).any()
        )
        flag = (
            "<span class='flag'>indices outside 0 to 1: too few samples (see the notes)</span>"
            if unsettled
            else ""
        )
        rows.append(
            f"<tr><th>{_output_label(metric)}{flag}</th>"
            + "".join(
                _index_cell(table, parameter, morris, shaded=not unsettled)
                for parameter in analysis.parameters
            )
            + "</tr>"
        )
    if morris:
        caption = (
            "Morris screening. μ*: the mean absolute elementary effect, how far the output "
            "moves when the parameter moves, in the output's units per the parameter's whole "
            "range (the larger, the more influential); ± its 95% bootstrap interval. σ: the "
            "spread of those effects; a σ as large as μ* means the effect depends on where "
            "the other parameters are (interactions) or bends (non-linearity). Shading: μ* "
            "relative to the largest of its output."
        )
    else:
        caption = (
            "Sobol indices: the share of the output's variance over the design due to each "
            "parameter. ST (total order) counts the parameter alone and in every interaction; "
            "S1 (first order) alone; ST well above S1 means interactions. ± 95% bootstrap "
            "intervals: an index whose interval reaches 0 is not told apart from no "
            "influence. Shading: ST (none for an output whose indices fall outside 0 to 1). "
            "Indices use each design point's mean over its replications."
        )
    charts = _chart_grid(
        [
            (metric, _indices_chart(tables[metric]))
            for metric in analysis.outputs[:MAX_OUTPUTS]
            if not tables[metric].empty
        ],
        "indices",
        wide=True,
    )
    order = ("mu_star", "sigma") if morris else ("S1", "ST")
    return (
        "<section id='indices'><h2>Sensitivity indices</h2>"
        f"<p class='caption'>{html.escape(caption)}</p>"
        f"<div class='scroll'><table class='means'><tr><th>output</th>{head}</tr>"
        + "".join(rows)
        + "</table></div>"
        + _legend((INDEX_NAMES[i], INDEX_COLOURS[i], None) for i in order)
        + charts
        + "<p class='caption'>The same indices as bars, one chart per output; whiskers are "
        "the 95% bootstrap intervals"
        + (" (σ has none)." if morris else ".")
        + _more_outputs(analysis)
        + "</p></section>"
    )


def _index_cell(table: pd.DataFrame, parameter: str, morris: bool, *, shaded: bool) -> str:
    """An indices table cell: the main index with its interval, the other below.

    Shaded by the main index (μ* relative to its output's largest), unless the output's
    indices fall outside what they can be (too few samples), where a shade would mislead.
    """
    rows = table[table["parameter"] == parameter].set_index("index")
    metric = str(table["metric"].iloc[0])
    main, other = ("mu_star", "sigma") if morris else ("ST", "S1")
    if main not in rows.index:
        return "<td class='none'>–</td>"
    value = float(rows.loc[main, "value"])
    if morris:
        largest = float(table.loc[table["index"] == main, "value"].max())
        shade = value / largest if largest > 0 else 0.0
    else:
        shade = value
    shade = min(max(shade, 0.0), 1.0) * 0.55 if shaded else 0.0
    lines = [
        f"{INDEX_NAMES[name]} {_index_value(rows.loc[name], metric, morris)}"
        for name in (main, other)
        if name in rows.index
    ]
    below = f"<br><span class='interval'>{lines[1]}</span>" if len(lines) > 1 else ""
    return (
        f"<td class='index' style='background:{rgba(run_colour(0), shade)}'>{lines[0]}{below}</td>"
    )


def _index_value(row: pd.Series, metric: str, morris: bool) -> str:
    """An index with its interval: a Sobol share `0.42 ± 0.1`, a Morris μ* `23.3k ± 35k`.

    Morris indices are in the output's units (in percent for a share or a rate).
    """
    value, conf = float(row["value"]), float(row["conf"])
    text = _number(metric, value, 3) if morris else f"{value:.2f}"
    if math.isfinite(conf):
        text += f" ± {_number(metric, conf, 2) if morris else f'{conf:.2g}'}"
    return text


# ---------------------------------------------------------------- charts
def _indices_chart(table: pd.DataFrame) -> go.Figure:
    """Sensitivity indices as grouped horizontal bars with their confidence intervals.

    An index without an interval (Morris σ) has no whisker, rather than one of zero width
    that reads as exact; μ*'s whisker stops at 0, below which it cannot be.
    """
    canvas = Canvas()
    labels = _short_labels(list(dict.fromkeys(table["parameter"])))
    for index, group in table.groupby("index", sort=False):
        conf = group["conf"].astype(float)
        below = np.minimum(conf, group["value"]) if index == "mu_star" else conf
        name = INDEX_NAMES.get(str(index), str(index))
        canvas.add(
            "bar",
            y=[labels[parameter] for parameter in group["parameter"]],
            x=group["value"].to_numpy(dtype=float),
            orientation="h",
            name=name,
            marker={"color": INDEX_COLOURS.get(str(index), run_colour(2))},
            error_x={
                "type": "data",
                "array": conf.where(conf.notna(), None).tolist(),
                "arrayminus": below.where(below.notna(), None).tolist(),
                "visible": bool(conf.notna().any()),
                "thickness": 1.2,
                "width": 3,
            },
            hovertemplate=f"{name} %{{x:.3g}}<extra>%{{y}}</extra>",
        )
    canvas.axis("y", autorange="reversed", automargin=True)
    metric = str(table["metric"].iloc[0])
    morris = bool(set(table["index"]) & {"mu_star", "sigma"})
    canvas.axis(
        "x", zeroline=True, zerolinecolor="#999", tickformat=_tick_format(metric) if morris else ""
    )
    return _small(canvas, metric, 60 + 46 * len(labels), barmode="group", bargap=0.25)


def _heat_map(analysis: SweepAnalysis, metric: str) -> go.Figure | str:
    """A two-parameter grid's mean of a metric as a heat map, each cell with its 95% interval.

    A colour alone hides whether two cells differ beyond noise; each cell's text gives the
    mean and its interval (as the terminal prints them), and says so when one run made it.
    """
    first, second = analysis.parameters
    table = analysis.means[analysis.means["metric"] == metric]
    constant = _constant(metric, table["mean"])
    if constant:
        return constant
    cells = table.pivot_table(
        index=second,
        columns=first,
        values=["mean", "low", "high", "n"],
        aggfunc="first",
        dropna=False,
    )
    mean = cells["mean"]
    low, high, runs = (cells[name].to_numpy() for name in ("low", "high", "n"))
    values = mean.to_numpy()
    text = [
        [_cell_text(metric, *cell) for cell in zip(*row, strict=True)]
        for row in zip(values, low, high, runs, strict=True)
    ]
    canvas = Canvas()
    canvas.add(
        "heatmap",
        z=values,
        x=[_setting(value) for value in mean.columns],
        y=[_setting(value) for value in mean.index],
        text=text,
        texttemplate="%{text}",
        textfont={"size": 11},
        colorscale=HEAT_COLOURS,
        hovertemplate=f"{first}=%{{x}}<br>{second}=%{{y}}<br>{metric}: %{{text}}<extra></extra>",
        colorbar={"tickformat": _tick_format(metric), "thickness": 12, "len": 0.9},
    )
    canvas.axis("x", title={"text": first, "font": {"size": 11}}, type="category")
    canvas.axis("y", title={"text": second, "font": {"size": 11}}, type="category")
    return _small(canvas, metric, HEAT_HEIGHT)


def _heat_maps_section(analysis: SweepAnalysis) -> str:
    """The heat maps of a two-parameter grid, one per output."""
    first, second = analysis.parameters
    charts = _chart_grid(
        [(metric, _heat_map(analysis, metric)) for metric in analysis.outputs[:MAX_OUTPUTS]],
        "heat",
        wide=True,
    )
    return (
        "<section id='heat-maps'><h2>Both parameters together</h2>"
        f"<p class='caption'>Each output over both parameters: {html.escape(first)} across, "
        f"{html.escape(second)} up; the colour is the mean over the replications, the cell "
        f"reads the mean and its {CONFIDENCE:.0%} interval ('one run' where one run made the "
        "cell). Where the effect of one parameter changes with the other, the two interact."
        f"{_more_outputs(analysis)}</p>{charts}</section>"
    )


def _against_section(analysis: SweepAnalysis, parameter: str, *, log: bool = False) -> str:
    """Each output against one parameter (on a log axis if `log`): small charts in a grid."""
    lines = _lines(analysis, parameter)
    figures = [
        (metric, _against_chart(analysis, metric, parameter, lines, log=log))
        for metric in analysis.outputs[:MAX_OUTPUTS]
    ]
    anchor = _anchor(f"against-{parameter}")
    legend = (
        _legend((line.label, line.colour, line.dash) for line in lines.lines)
        if lines.kind == "lines" and len(lines.lines) > 1
        else ""
    )
    return (
        f"<section id='{anchor}'><h2>Against {html.escape(parameter)}</h2>"
        f"{legend}{_chart_grid(figures, anchor)}"
        f"<p class='caption'>{html.escape(lines.caption)}{_more_outputs(analysis)}</p>"
        "</section>"
    )


@dataclass(frozen=True)
class Line:
    """One line of a grid's chart: the design points of one setting of the other parameters.

    Attributes:
        label: The other parameters' values, `spread=0.002, payment_term_days=120`.
        points: The design points on the line.
        colour: By the first other parameter's value.
        dash: By the remaining other parameters' values.
    """

    label: str
    points: list[int]
    colour: str
    dash: str


DASHES = ("solid", "dash", "dot", "dashdot")
DASH_PATTERNS = {"solid": "", "dash": "6,3", "dot": "2,3", "dashdot": "6,3,2,3"}
"""The dashes in SVG, for the legend above a grid of charts."""


@dataclass(frozen=True)
class Lines:
    """How the charts against a parameter draw the design points.

    Attributes:
        kind: `lines` (a grid: a line per setting of the other parameters), `effect` (a
            grid with too many such settings: their average, each setting a grey dot) or
            `points` (a sampled design: each point a dot with its whisker).
        lines: For `lines`, the lines.
        caption: What the charts show.
    """

    kind: str
    lines: list[Line]
    caption: str


def _lines(analysis: SweepAnalysis, parameter: str) -> Lines:
    """How to draw each output against a parameter, and the caption saying so."""
    settings = analysis.means.drop_duplicates(POINT).set_index(POINT)
    others = [name for name in analysis.parameters if name != parameter]
    replications = _replication_words(analysis)
    single = replications == "one replication"
    interval = f"{CONFIDENCE:.0%} confidence interval"
    if analysis.design != "grid":
        return Lines(
            "points",
            [],
            (
                "Each dot is a design point (one run each)."
                if single
                else f"Each dot is a design point: its mean over the {replications}, with "
                f"its {interval} as a whisker."
            )
            + " The other parameters vary from dot to dot as well, so the scatter about a "
            "trend is partly their effect and partly noise.",
        )
    combinations = list(settings.groupby(others, sort=True)) if others else [((), settings)]
    if len(combinations) > MAX_LINES:
        return Lines(
            "effect",
            [],
            f"The line is the average, at each value of {parameter}, of the design points' "
            f"means over the {len(combinations)} settings of the other parameters (grey dots: "
            f"each setting's mean over its {replications}); the spread of the dots is the "
            "other parameters' effect. Each point's interval is in the means table.",
        )
    labels = _short_labels(analysis.parameters)
    keys = [_tuple(key) for key, _ in combinations]
    firsts = sorted({key[0] for key in keys}) if others else []
    rests = sorted({key[1:] for key in keys})
    lines = [
        Line(
            ", ".join(
                f"{labels[name]}={_setting(value)}" for name, value in zip(others, key, strict=True)
            ),
            list(group.index),
            run_colour(firsts.index(key[0]) if others else 0),
            DASHES[rests.index(key[1:]) % len(DASHES)],
        )
        for key, (_, group) in zip(keys, combinations, strict=True)
    ]
    if single:
        caption = "Each design point's value (one run each, so no interval), joined by a line."
    elif len(lines) <= 2:
        caption = (
            f"The mean over the {replications} of each design point (dots, joined by a line) "
            f"and its {interval} (shaded band); where two bands do not overlap, the "
            "difference is larger than the noise between replications."
        )
    else:
        caption = (
            f"The mean over the {replications} of each design point (dots, joined by a line); "
            f"its {interval} shows on hover and in the means table (bands of this many lines "
            "would hide one another)."
        )
    if others:
        caption += (
            f" One line per setting of {' and '.join(others)}: the colour gives "
            f"{others[0]}" + (", the dash the rest" if len(others) > 1 else "") + "."
        )
    return Lines("lines", lines, caption)


def _against_chart(
    analysis: SweepAnalysis, metric: str, parameter: str, lines: Lines, *, log: bool = False
) -> go.Figure | str:
    """One output against one parameter, drawn as `lines` says.

    An output no run gave a value for, or with the same mean at every design point, is a
    sentence saying so instead of an empty or flat chart.
    """
    table = analysis.means[analysis.means["metric"] == metric].set_index(POINT)
    constant = _constant(metric, table["mean"])
    if constant:
        return constant
    canvas = Canvas()
    categorical = not pd.api.types.is_numeric_dtype(table[parameter]) or (
        pd.api.types.is_bool_dtype(table[parameter])
    )
    x_of = (lambda values: [_setting(v) for v in values]) if categorical else _as_floats
    text = [
        f"{parameter}={_setting(row[parameter])}: {_number(metric, row['mean'])}"
        + _interval_words(metric, row)
        for _, row in table.iterrows()
    ]
    table = table.assign(hover=text)
    if lines.kind == "points":
        has_bars = bool(table["low"].notna().any())
        canvas.add(
            "scatter",
            x=x_of(table[parameter]),
            y=table["mean"],
            mode="markers",
            marker={"color": run_colour(0), "size": 5 if len(table) > 60 else 7, "opacity": 0.7},
            error_y={
                "type": "data",
                "array": (table["high"] - table["mean"]).tolist(),
                "arrayminus": (table["mean"] - table["low"]).tolist(),
                "visible": has_bars,
                "thickness": 1,
                "width": 0,
                "color": rgba(run_colour(0), 0.4),
            },
            customdata=table["hover"],
            hovertemplate="%{customdata}<extra></extra>",
        )
    elif lines.kind == "effect":
        canvas.add(
            "scatter",
            x=x_of(table[parameter]),
            y=table["mean"],
            mode="markers",
            marker={"color": "#9a9a9a", "size": 6, "opacity": 0.6},
            customdata=table["hover"],
            hovertemplate="%{customdata}<extra></extra>",
        )
        effect = table.groupby(parameter, sort=True)["mean"].mean()
        canvas.add(
            "scatter",
            x=x_of(effect.index),
            y=effect.to_numpy(),
            mode="lines+markers",
            line={"color": run_colour(0), "width": 2.5},
            marker={"size": 8},
            hovertemplate=f"average over the others: %{{y:{_hover_format(metric)}}}<extra></extra>",
        )
    else:
        bands = len(lines.lines) <= 2
        for line in lines.lines:
            group = table.loc[line.points].sort_values(parameter)
            x = x_of(group[parameter])
            if bands and group["low"].notna().any():
                canvas.add(
                    "scatter",
                    x=[*x, *x[::-1]],
                    y=[*group["high"], *group["low"][::-1]],
                    fill="toself",
                    fillcolor=rgba(line.colour, 0.15),
                    mode="lines",
                    line={"width": 0},
                    hoverinfo="skip",
                    showlegend=False,
                )
            canvas.add(
                "scatter",
                x=x,
                y=group["mean"],
                mode="lines+markers",
                name=line.label or metric,
                line={"color": line.colour, "width": 2, "dash": line.dash},
                marker={"size": 6},
                customdata=group["hover"],
                hovertemplate="%{customdata}<extra>" + html.escape(line.label) + "</extra>",
            )
    x_axis: dict[str, Any] = {"title": {"text": parameter, "font": {"size": 11}}}
    if categorical:
        x_axis["type"] = "category"
    elif log:
        x_axis["type"] = "log"
    canvas.axis("x", **x_axis)
    canvas.axis("y", tickformat=_tick_format(metric))
    return _small(canvas, metric, CHART_HEIGHT)


def _small(canvas: Canvas, metric: str, height: int, **layout: Any) -> go.Figure:
    """A small chart of a grid: the run report's template and fonts, a compact frame."""
    figure = canvas.figure(
        _output_label(metric, escape=False),
        height=height,
        hovermode="closest",
        margin=CHART_MARGIN,
        showlegend=False,
        **layout,
    )
    figure.layout.title.font.size = 14
    return figure


def _constant(metric: str, means: pd.Series) -> str:
    """What stands for the chart of an output without a value, or with the same everywhere."""
    valued = means.dropna()
    if valued.empty:
        return "no value (no run gave one)"
    if (valued == valued.iloc[0]).all():
        return f"{_number(metric, float(valued.iloc[0]))} at every design point"
    return ""


def _chart_grid(figures: list[tuple[str, go.Figure | str]], key: str, *, wide: bool = False) -> str:
    """Small charts side by side; where a sentence stands for a chart, a box with it."""
    cells = []
    for metric, figure in figures:
        if isinstance(figure, str):
            cells.append(
                f"<div class='empty'><span><b>{_output_label(metric)}</b><br>"
                f"{html.escape(figure)}</span></div>"
            )
            continue
        anchor = _anchor(f"{key}-{metric}")
        cells.append(figure_div(figure, anchor))
    return f"<div class='charts{' wide' if wide else ''}'>{''.join(cells)}</div>"


def _legend(items: Iterable[tuple[str, str, str | None]]) -> str:
    """A legend above a grid of charts: a swatch (bars) or a line sample (lines) per item."""
    entries = []
    for label, colour, dash in items:
        if dash is None:
            mark = f"<span class='swatch' style='background:{colour}'></span>"
        else:
            mark = (
                "<svg width='28' height='10' style='margin-right:6px'><line x1='0' y1='5' "
                f"x2='28' y2='5' stroke='{colour}' stroke-width='2' "
                f"stroke-dasharray='{DASH_PATTERNS[dash]}'/></svg>"
            )
        entries.append(f"<span class='item'>{mark}{html.escape(label)}</span>")
    return f"<div class='legend'>{''.join(entries)}</div>"


# ---------------------------------------------------------------- words and numbers
def _number(metric: str, value: float, digits: int = 4) -> str:
    """A value of an output in four figures: shares and rates in percent, 12.93k, 2.047M."""
    if not math.isfinite(value):
        return "no value"
    if is_fraction(metric):
        return as_percent(value) if digits == 4 else f"{_figures(value * 100, digits)}%"
    size = abs(value)
    if size >= 10_000:
        for scale, suffix in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
            if size >= scale:
                return f"{_figures(value / scale, digits)}{suffix}"
    if size >= 1000 and digits >= 4:
        return f"{value:,.0f}"
    return _figures(value, digits)


def _figures(value: float, digits: int) -> str:
    """A number rounded to `digits` significant figures, written without an exponent.

    As `f"{value:.4g}"` writes it, but 130 rather than 1.3e+02 when `digits` is 2.
    """
    if value == 0 or not math.isfinite(value) or abs(value) < 1e-4:
        return f"{value:.{digits}g}"
    place = digits - 1 - math.floor(math.log10(abs(value)))
    text = f"{round(value, place):.{max(place, 0)}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _interval_words(metric: str, row: pd.Series) -> str:
    """A hover's interval: ` (low to high)`, ` (one run)` or nothing."""
    if row["n"] == 1:
        return " (one run)"
    if math.isfinite(row["low"]) and math.isfinite(row["high"]) and row["low"] != row["high"]:
        return f" ({_number(metric, row['low'])} to {_number(metric, row['high'])})"
    return ""


def _output_label(metric: str, *, escape: bool = True) -> str:
    """An output's name as the run report writes its figures: words, not underscores."""
    label = metric.replace("_", " ")
    return html.escape(label) if escape else label


def _breakable(name: str) -> str:
    """A parameter's path, allowed to wrap after its dots in a narrow column."""
    return "<wbr>".join(html.escape(part) for part in name.replace(".", ".\0").split("\0"))


def _short_labels(names: list[str]) -> dict[str, str]:
    """Each parameter path by its shortest ending that no other path shares."""
    labels = {}
    for name in names:
        parts = name.split(".")
        for size in range(1, len(parts) + 1):
            label = ".".join(parts[-size:])
            if not any(other != name and other.endswith("." + label) for other in names):
                break
        labels[name] = label
    return labels


def _replication_words(analysis: SweepAnalysis) -> str:
    """`5 replications`, `replication` for one."""
    if "replication" not in analysis.runs or analysis.runs.empty:
        return "replications"
    count = int(analysis.runs["replication"].nunique())
    return "one replication" if count == 1 else f"{count} replications"


def _more_outputs(analysis: SweepAnalysis) -> str:
    """A note that only the first `MAX_OUTPUTS` outputs are charted."""
    if len(analysis.outputs) <= MAX_OUTPUTS:
        return ""
    return (
        f" The first {MAX_OUTPUTS} of the {len(analysis.outputs)} outputs are charted; "
        "the tables have them all."
    )


def _anchor(text: str) -> str:
    """An HTML id from a name."""
    return "".join(c if c.isalnum() or c == "-" else "-" for c in text)


def _tuple(key: object) -> tuple[object, ...]:
    return key if isinstance(key, tuple) else (key,)


def _as_floats(values: Iterable[object]) -> list[float]:
    return [float(value) for value in values]


def _log_scale(analysis: SweepAnalysis, parameter: str, specs: dict[str, Any]) -> bool:
    """Whether to chart against a parameter on a log axis.

    As the experiment says (`log: true`), or, without it, when the parameter's values are
    positive numbers spanning two orders of magnitude or more.
    """
    spec = specs.get(parameter)
    if isinstance(spec, dict) and "log" in spec:
        return bool(spec["log"])
    values = analysis.means[parameter]
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return False
    positive = values[values > 0]
    return len(positive) == len(values) and float(positive.max()) >= 100 * float(positive.min())


def _tick_format(metric: str) -> str:
    """Axis ticks in percent for a share or a rate (`is_fraction`), as the cells show it."""
    return ".3~%" if is_fraction(metric) else ""


def _hover_format(metric: str) -> str:
    """A hover's number format: percent for a share or a rate."""
    return ".4~%" if is_fraction(metric) else ",.4~g"


def _cell_text(metric: str, mean: float, low: float, high: float, runs: float) -> str:
    """A heat-map cell's mean with its 95% interval, or why it has none.

    As in the means table: no interval where every replication gave the same value.
    """
    if not math.isfinite(mean):
        return "no value"
    show = _number(metric, mean)
    if math.isfinite(low) and math.isfinite(high) and low != high:
        return f"{show}<br>({_number(metric, low)} to {_number(metric, high)})"
    return f"{show}<br>(one run)" if runs == 1 else show
