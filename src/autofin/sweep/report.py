"""The sweep report: one offline HTML page of plotly charts, plus the tables as CSV.

plotly.js is embedded once in the page (no CDN), so the report opens without a network.
Charts: each output against each parameter (mean over replications with its confidence
band), sensitivity indices as bar charts with their confidence intervals, and a heat map of
the interaction for a grid over two parameters, each cell with its mean and 95% interval.
Shares and rates are shown in percent, as the terminal prints them.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from autofin.report.page import offline_page
from autofin.results.compare import as_percent, is_fraction
from autofin.results.writing import _write_atomically
from autofin.sweep.analysis import SweepAnalysis, _short

MAX_OUTPUTS = 12
"""Outputs charted (all of them are in the CSV tables)."""


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


def write_report(analysis: SweepAnalysis, target: str | Path) -> Path:
    """Write the HTML report and, beside it, its means and indices tables (`table_paths`).

    Args:
        analysis: From `analyze_sweep`.
        target: The HTML file.

    Returns:
        The HTML file's path.
    """
    path = Path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    means_csv, indices_csv = table_paths(path)
    _write_atomically(means_csv, lambda file: analysis.means.to_csv(file, index=False))
    if not analysis.indices.empty:
        _write_atomically(indices_csv, lambda file: analysis.indices.to_csv(file, index=False))
    page = render(analysis, means_csv.name)
    _write_atomically(path, lambda file: file.write_text(page, encoding="utf-8"))
    return path


def render(analysis: SweepAnalysis, means_table: str | None = None) -> str:
    """The report as one self-contained HTML page.

    Args:
        analysis: From `analyze_sweep`.
        means_table: The means table's file, as the page should name it (beside the page).

    Returns:
        The HTML text.
    """
    figures: list[tuple[str, go.Figure]] = []
    outputs = analysis.outputs[:MAX_OUTPUTS]
    if not analysis.indices.empty:
        for metric in outputs:
            table = analysis.indices[analysis.indices["metric"] == metric]
            if not table.empty:
                figures.append((f"Sensitivity of {metric}", _indices_chart(table)))
    if analysis.design == "grid" and len(analysis.parameters) == 2:
        for metric in outputs:
            figures.append((f"{metric} over both parameters", _heat_map(analysis, metric)))
    for metric in outputs:
        for parameter in analysis.parameters:
            figures.append((f"{metric} against {parameter}", _band(analysis, metric, parameter)))
    body = "\n".join(
        f"<section><h2>{html.escape(title)}</h2>"
        f"{pio.to_html(figure, include_plotlyjs=False, full_html=False)}</section>"
        for title, figure in figures
    )
    notes = "".join(f"<li>{html.escape(note)}</li>" for note in analysis.notes)
    summary = html.escape(analysis.describe(means_table)).replace("\n", "<br>")
    return offline_page(
        f"autofin sweep: {analysis.name}",
        f"<h1>Sweep {html.escape(analysis.name)}</h1><p>{summary}</p><ul>{notes}</ul>{body}",
        style="body{font-family:sans-serif;max-width:1100px;margin:auto}",
    )


def _band(analysis: SweepAnalysis, metric: str, parameter: str) -> go.Figure:
    """Mean of a metric against one parameter, with its confidence interval."""
    table = analysis.means[analysis.means["metric"] == metric]
    figure = go.Figure()
    others = [name for name in analysis.parameters if name != parameter]
    if analysis.design == "grid" and pd.api.types.is_numeric_dtype(table[parameter]):
        groups = table.groupby(others, sort=True) if others else [((), table)]
        for key, group in groups:
            group = group.sort_values(parameter)
            values = key if isinstance(key, tuple) else (key,)
            label = ", ".join(f"{n}={v}" for n, v in zip(others, values, strict=True)) or metric
            figure.add_trace(
                go.Scatter(
                    x=pd.concat([group[parameter], group[parameter][::-1]]),
                    y=pd.concat([group["high"], group["low"][::-1]]),
                    fill="toself",
                    mode="lines",
                    opacity=0.2,
                    line={"width": 0},
                    showlegend=False,
                    hoverinfo="skip",
                )
            )
            figure.add_trace(
                go.Scatter(x=group[parameter], y=group["mean"], mode="lines+markers", name=label)
            )
    else:
        figure.add_trace(
            go.Scatter(
                x=table[parameter],
                y=table["mean"],
                mode="markers",
                error_y={
                    "type": "data",
                    "array": table["high"] - table["mean"],
                    "arrayminus": table["mean"] - table["low"],
                },
                name=metric,
            )
        )
    figure.update_layout(
        xaxis_title=parameter,
        yaxis={"title": f"{metric} (mean, 95% CI)", "tickformat": _tick_format(metric)},
        height=380,
    )
    return figure


def _indices_chart(table: pd.DataFrame) -> go.Figure:
    """Sensitivity indices as grouped bars with their confidence intervals.

    An index without an interval (Morris σ) has no whisker, rather than one of zero width
    that reads as exact; μ*'s whisker stops at 0, below which it cannot be.
    """
    figure = go.Figure()
    for index, group in table.groupby("index", sort=False):
        conf = group["conf"].astype(float)
        below = np.minimum(conf, group["value"]) if index == "mu_star" else conf
        figure.add_trace(
            go.Bar(
                x=group["parameter"],
                y=group["value"],
                error_y={
                    "type": "data",
                    "array": conf.where(conf.notna(), None).tolist(),
                    "arrayminus": below.where(below.notna(), None).tolist(),
                    "visible": bool(conf.notna().any()),
                },
                name={"mu_star": "μ*", "sigma": "σ"}.get(str(index), str(index)),
            )
        )
    morris = set(table["index"]) & {"mu_star", "sigma"}
    title = (
        "Morris μ* and σ (output's units per step of a setting's range)"
        if morris
        else "Sobol index (share of the output's variance)"
    )
    figure.update_layout(barmode="group", yaxis_title=title, height=380)
    return figure


def _heat_map(analysis: SweepAnalysis, metric: str) -> go.Figure:
    """A two-parameter grid's mean of a metric as a heat map, each cell with its 95% interval.

    A colour alone hides whether two cells differ beyond noise; each cell's text gives the
    mean and its interval (as the terminal prints them), and says so when one run made it.
    """
    first, second = analysis.parameters
    table = analysis.means[analysis.means["metric"] == metric]
    cells = table.pivot_table(
        index=second,
        columns=first,
        values=["mean", "low", "high", "n"],
        aggfunc="first",
        dropna=False,
    )
    mean = cells["mean"]
    low, high, runs = (cells[name].to_numpy() for name in ("low", "high", "n"))
    show = as_percent if is_fraction(metric) else _short
    values = mean.to_numpy()
    text = [
        [_cell_text(show, *cell) for cell in zip(*row, strict=True)]
        for row in zip(values, low, high, runs, strict=True)
    ]
    figure = go.Figure(
        go.Heatmap(
            z=mean.to_numpy(),
            x=[_short(value) for value in mean.columns],
            y=[_short(value) for value in mean.index],
            text=text,
            texttemplate="%{text}",
            hovertemplate=f"{first}=%{{x}}<br>{second}=%{{y}}<br>{metric}: %{{text}}"
            "<extra></extra>",
            colorbar={"title": metric, "tickformat": _tick_format(metric)},
        )
    )
    figure.update_layout(
        xaxis={"title": first, "type": "category"},
        yaxis={"title": second, "type": "category"},
        height=420,
    )
    return figure


def _tick_format(metric: str) -> str:
    """Axis ticks in percent for a share or a rate (`is_fraction`), as the cells show it."""
    return ".3~%" if is_fraction(metric) else ""


def _cell_text(
    show: Callable[[float], str], mean: float, low: float, high: float, runs: float
) -> str:
    """A heat-map cell's mean with its 95% interval, or why it has none."""
    if not math.isfinite(mean):
        return "no value"
    if math.isfinite(low) and math.isfinite(high):
        return f"{show(mean)}<br>({show(low)} to {show(high)})"
    return f"{show(mean)}<br>(one run)" if runs == 1 else show(mean)
