"""The HTML report of a run or of several runs: one self-contained file that works offline.

The page embeds plotly.js once (in the head), then a provenance header, a table of the
headline figures and every figure of `autofin.report.figures` with a caption. Nothing is
fetched when it is opened: no CDN, no web font, no link to follow.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from autofin.report import figures
from autofin.report.runs import ReportDataError, Results, Run, runs
from autofin.report.style import FONT, run_colour
from autofin.results.compare import is_fraction, summary_figures, summary_intervals
from autofin.results.writing import _write_atomically

PROVENANCE_ROWS = (
    ("scenario", "scenario_name"),
    ("scenario file", "scenario_file"),
    ("seed", "seed"),
    ("scenario SHA-256", "scenario_sha256"),
    ("autofin", "autofin_version"),
    ("Mesa", "mesa_version"),
    ("NumPy", "numpy_version"),
    ("Python", "python_version"),
    ("run at (UTC)", "timestamp_utc"),
    ("wall time (s)", "wall_time_s"),
)


@dataclass(frozen=True)
class Panel:
    """One figure of the report: how to draw it and the caption under it."""

    key: str
    draw: Callable[[list[Run]], go.Figure]
    caption: str
    each_run: bool = False
    caption_several: str | None = None
    """The caption when the figure overlays several runs, if it is drawn otherwise then."""

    def caption_for(self, runs: int) -> str:
        """The caption under the figure of ``runs`` runs."""
        return self.caption_several if runs > 1 and self.caption_several else self.caption


def _last_quarter(drawn: list[Run]) -> go.Figure:
    """The flows of the last 91 days of the (shortest) run."""
    steps = min(int(run.result.timeseries["step"].max()) for run in drawn)
    quarter = max(1, round(91 / max(int(drawn[0].result.scenario.step_days), 1)))
    return figures.flows_sankey(drawn, window=(max(1, steps - quarter + 1), steps))


PANELS = (
    Panel(
        "defaults",
        figures.defaults_figure,
        "Share of each tier's active suppliers that defaulted in each step (bars, left axis) "
        "and the running count of defaults (line, right axis); triangles mark steps with "
        "defaults caused by another firm's default.",
        caption_several="Each run's share of its active suppliers that defaulted in each step "
        "(thin line, left axis) and its running count of defaults (thick line, right axis), "
        "one colour per run.",
    ),
    Panel(
        "banks",
        figures.banks_figure,
        "Gross non-performing claims over all claims and capital over risk assets, per bank "
        "(thin) and for all banks (thick); new loans granted per step.",
        caption_several="Each run's gross non-performing claims over all claims and capital "
        "over risk assets, for all its banks together, and its new loans granted per step, "
        "one colour per run.",
    ),
    Panel(
        "flows",
        figures.flows_sankey,
        "Money paid between sectors over the whole run, by flow type (hover a link for its "
        "type and amount); payments within a sector are left out.",
    ),
    Panel(
        "flows_window",
        _last_quarter,
        "The same capital flows over the last quarter (91 days) of the run only (of the "
        "shortest run when runs are compared).",
    ),
    Panel(
        "finance",
        figures.finance_figure,
        "New supply-chain financing per step by instrument and its volume-weighted annual "
        "cost, with the car loans' APR the automakers post (dashed); suppliers' "
        "cash-conversion cycle and invoice-to-cash days; automakers' parts price index (1 at "
        "the start).",
    ),
    Panel(
        "funnel",
        figures.funnel_figure,
        "Consumers from traffic to sale over the run, by channel; the share of leads who "
        "bought in each step; minutes from application to car-loan decision: the share of "
        "all decisions by time when the run kept loans.parquet (--loans), otherwise the "
        "median and 10th-90th percentile of each step.",
    ),
    Panel(
        "network",
        figures.network_figure,
        "Firms by tier (automakers at the bottom), sized by opening revenue and coloured by "
        "their state at the end (a defaulted firm labelled with the step of its default); "
        "red arrows run from a defaulted firm to a customer or supplier whose default it "
        "caused.",
        each_run=True,
    ),
    Panel(
        "cascades",
        figures.cascade_sizes_figure,
        "Share of default cascades (trees of defaults linked by their causes) at least as "
        "large as each size, on log-log axes; a straight line would suggest a power law.",
    ),
    Panel(
        "bullwhip",
        figures.bullwhip_figure,
        "Variability of orders at each level of the chain relative to consumer demand "
        "(squared coefficient of variation over the run; 1 = no amplification).",
    ),
)
"""The figures of the report, in order."""

CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "toImageButtonOptions": {"format": "png", "scale": 2},
}
"""Plotly options: the PNG export button, no logo link, figures that follow the page width."""

STYLE = f"""
body {{ font-family: {FONT}; color: #222; margin: 0; background: #f6f7f9; }}
main {{ max-width: 1280px; margin: 0 auto; padding: 24px 32px 64px; }}
h1 {{ font-size: 26px; margin: 8px 0 4px; }}
h2 {{ font-size: 19px; margin: 0 0 6px; }}
.subtitle {{ color: #555; margin: 0 0 18px; }}
section {{ background: #fff; border: 1px solid #e2e4e8; border-radius: 8px;
  padding: 16px 18px 10px; margin: 18px 0; }}
table {{ border-collapse: collapse; font-size: 13px; }}
th, td {{ padding: 4px 12px 4px 0; text-align: left; border-bottom: 1px solid #eee; }}
td.number {{ text-align: right; font-variant-numeric: tabular-nums; }}
td.number .interval {{ color: #666; font-size: 11px; }}
th.run {{ text-align: right; }}
.swatch {{ display: inline-block; width: 10px; height: 10px; border-radius: 2px;
  margin-right: 6px; }}
.caption {{ color: #444; font-size: 13px; margin: 4px 0 6px; }}
.missing {{ color: #a33; font-size: 13px; }}
.columns {{ display: flex; gap: 32px; flex-wrap: wrap; align-items: flex-start; }}
.hash {{ font-family: ui-monospace, monospace; font-size: 12px; }}
#provenance td, #provenance th.run {{ overflow-wrap: anywhere; }}
"""


def build_report(results: Results, *, title: str | None = None) -> str:
    """The HTML report of one run, or the comparison report of several (overlaid).

    Args:
        results: A `Result`, a results directory, or a sequence of them.
        title: The page's title (by default from the scenario name or names).

    Returns:
        A complete, self-contained HTML document.

    Raises:
        ReportDataError: If no run is given or a directory is not a finished run. A figure a
            run lacks the data for is replaced by a note saying what is missing.
    """
    drawn = runs(results)
    names = ", ".join(run.label for run in drawn)
    if title is None:
        title = f"autofin report: {names}" if len(drawn) == 1 else f"autofin comparison: {names}"
    sections = [_header(drawn, title), _headline_section(drawn)]
    for panel in PANELS:
        if panel.each_run and len(drawn) > 1:
            sections += [
                _figure_section(panel, [run], f"{panel.key}-{run.label}", named=True)
                for run in drawn
            ]
        else:
            sections.append(_figure_section(panel, drawn, panel.key))
    generated = datetime.now(UTC).isoformat(timespec="seconds")
    return offline_page(
        title,
        "\n".join(sections)
        + f"\n<p class='caption'>Report generated {generated} by autofin; plotly.js is "
        "embedded, so this file opens without a network.</p>",
    )


def offline_page(title: str, body: str, style: str = STYLE) -> str:
    """A self-contained HTML page: plotly.js embedded once, nothing fetched from anywhere.

    Args:
        title: The page's title (escaped here).
        body: The page's content, HTML; figures in it use the embedded plotly.js.
        style: The page's CSS.

    Returns:
        The page's HTML.
    """
    return (
        "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
        f"<title>{html.escape(title)}</title>\n<style>{style}</style>\n"
        f"<script type='text/javascript'>{get_plotlyjs()}</script>\n</head>\n<body>\n<main>\n"
        + body
        + "\n</main>\n</body>\n</html>\n"
    )


def write_report(results: Results, path: str | Path, *, title: str | None = None) -> Path:
    """Write `build_report` to `path` atomically (temporary file, then rename).

    Args:
        results: A `Result`, a results directory, or a sequence of them.
        path: The HTML file; its directory is created if needed.
        title: The page's title (by default from the scenario names).

    Returns:
        The path written.
    """
    page = build_report(results, title=title)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(path, lambda temporary: temporary.write_text(page, encoding="utf-8"))
    return path


def _header(drawn: list[Run], title: str) -> str:
    """Title and provenance: a column per run."""
    head = "".join(
        f"<th class='run'><span class='swatch' style='background:{run_colour(i)}'></span>"
        f"{html.escape(run.label)}</th>"
        for i, run in enumerate(drawn)
    )
    rows = []
    for label, key in PROVENANCE_ROWS:
        if not any(key in run.result.summary for run in drawn):
            continue  # (the scenario file is known to runs of the command line only)
        cells = []
        for run in drawn:
            value = run.result.summary.get(key, "")
            css = {"scenario_sha256": "number hash", "scenario_file": "hash"}.get(key, "number")
            cells.append(f"<td class='{css}'>{html.escape(str(value))}</td>")
        rows.append(f"<tr><th>{label}</th>{''.join(cells)}</tr>")
    steps = [
        f"{len(run.result.timeseries)} steps of {run.result.scenario.step_days} days"
        for run in drawn
    ]
    subtitle = "; ".join(dict.fromkeys(steps))
    return (
        f"<h1>{html.escape(title)}</h1>\n<p class='subtitle'>{html.escape(subtitle)}</p>\n"
        f"<section id='provenance'><h2>Provenance</h2><table><tr><th></th>{head}</tr>"
        + "".join(rows)
        + "</table></section>"
    )


def _headline_section(drawn: list[Run]) -> str:
    """The numeric headline figures of the summaries, a column per run."""
    table = headline_table(drawn)
    head = "".join(f"<th class='run'>{html.escape(run.label)}</th>" for run in drawn)
    intervals = [summary_intervals(run.result.summary) for run in drawn]
    rows = "".join(
        f"<tr><th>{html.escape(str(name).replace('_', ' '))}</th>"
        + "".join(
            f"<td class='number'>{_format(str(name), v)}"
            f"{_interval(str(name), known.get(str(name)))}</td>"
            for v, known in zip(row, intervals, strict=True)
        )
        + "</tr>"
        for name, row in table.iterrows()
    )
    replicated = (
        " For a run of several replications, the mean over them and, below it, its 95% "
        "confidence interval."
        if any(intervals)
        else ""
    )
    return (
        "<section id='headline'><h2>Headline figures</h2>"
        "<p class='caption'>Totals and averages over the run from each summary.json "
        "(rates, ratios, shares, APRs, PDs and financing costs in percent, the PD calibration "
        "ratio as a multiple; money in the scenario's currency; "
        "figures that are zero in every run, such as unused instruments, are left out)."
        f"{replicated}</p>"
        f"<table><tr><th>figure</th>{head}</tr>{rows}</table></section>"
    )


def _interval(name: str, interval: tuple[float, float] | None) -> str:
    """A headline cell's 95% interval on a line of its own.

    Nothing for a single run, and nothing where every replication had the same value (the
    suppliers counted, the steps run), whose interval is that value.
    """
    if interval is None or not all(math.isfinite(bound) for bound in interval):
        return ""
    if interval[0] == interval[1]:
        return ""
    low, high = (_format(name, bound) for bound in interval)
    return f"<br><span class='interval'>{low} – {high}</span>"


def headline_table(drawn: list[Run]) -> pd.DataFrame:
    """Headline figures: a row per summary figure, a column per run; all-zero rows dropped."""
    columns = {run.label: dict(summary_figures(run.result.summary)) for run in drawn}
    table = pd.DataFrame(columns, dtype=float)
    keep = ~(table.fillna(0) == 0).all(axis=1)
    return table[keep]


def _format(name: str, value: float) -> str:
    """A headline cell: empty when missing, rates in percent, large numbers grouped."""
    if value is None or math.isnan(value):
        return ""
    if is_fraction(name):
        return f"{value * 100:.3g}%"
    if abs(value) >= 1000 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:.4g}"


def figure_div(figure: go.Figure, anchor: str) -> str:
    """A figure's ``<div>`` for a page with plotly.js embedded once, as wide as its box.

    Args:
        figure: The figure.
        anchor: Its name on the page: the div is ``figure-<anchor>``, and a PNG saved from
            its toolbar is ``<anchor>.png``.
    """
    return figure.to_html(
        full_html=False,
        include_plotlyjs=False,
        config={
            **CONFIG,
            "toImageButtonOptions": {**CONFIG["toImageButtonOptions"], "filename": anchor},
        },
        div_id=f"figure-{anchor}",
        default_width="100%",
    )


def _figure_section(panel: Panel, drawn: list[Run], key: str, *, named: bool = False) -> str:
    """A figure with its caption, or a note saying which data it lacks.

    Args:
        panel: The figure.
        drawn: The runs it draws.
        key: The section's name on the page.
        named: Begin the figure's title with the run's label (a figure drawn once per run).
    """
    anchor = "".join(c if c.isalnum() or c == "-" else "-" for c in key)
    try:
        figure = panel.draw(drawn)
    except ReportDataError as error:
        return (
            f"<section id='{anchor}'><h2>{html.escape(panel.key)}</h2>"
            f"<p class='missing'>Not drawn: {html.escape(str(error))}</p></section>"
        )
    if named:
        figure.update_layout(title_text=f"{drawn[0].label}: {figure.layout.title.text}")
    div = figure_div(figure, anchor)
    return (
        f"<section id='{anchor}' class='figure'>{div}"
        f"<p class='caption'>{html.escape(panel.caption_for(len(drawn)))}</p></section>"
    )
