"""The page's panels: the report's figures redrawn every step, the clock and the live controls.

Each panel is a Solara component that takes the `ExploredModel` and reads Mesa's
`update_counter`, so it redraws whenever the model steps or is reset.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from html import escape
from typing import Any

import numpy as np
import pandas as pd
import solara
from mesa.visualization.utils import force_update, update_counter

from autofin.report import figures
from autofin.report.canvas import plain_figures
from autofin.report.runs import Run
from autofin.report.style import STATE_COLOURS
from autofin.viz import interventions, viewport
from autofin.viz.download import Download
from autofin.viz.explored import ExploredModel
from autofin.viz.interventions import Intervention, InterventionError
from autofin.viz.plotly_view import show
from autofin.viz.terms import moved_terms_text
from autofin.world.model import AutofinModel

MARK_COLOUR = "#9467bd"
CELL_HEIGHT = 380
"""Figure height (px) that fits a cell of Mesa's initial grid layout (`viewport.CELL_ROWS`)."""
BANKS_ROWS = 14
"""Rows of the banks' cell: its three rows of subplots were about 50 px high each in ten, and
their ticks overlapped."""


def cell_height(rows: int) -> int:
    """Figure height (px) that fits a cell of ``rows`` rows of the grid."""
    return CELL_HEIGHT + (rows - viewport.CELL_ROWS) * (viewport.ROW_PX + viewport.GRID_MARGIN_PX)


SLIDER_PX = 80
"""Height (px) of a slider in a cell: its label on a line of its own, its value, its track."""
SHEET_STYLE = "font-size: 13px; line-height: 1.3; width: 100%; border-spacing: 4px 0"
"""A clicked firm's sheet: compact rows, so that most of it is in sight at once."""
SHEET_WIDTH_PX = 460
"""The sheet's dialog: no wider than a sheet is read (across a 950-px cell, each label sat far
from its value)."""
DEFAULTED_ROW_STYLE = f" style='font-weight: bold; color: {STATE_COLOURS['defaulted']}'"
"""A defaulted firm's sheet opens with its default, in the defaulted firms' red."""


PlainFigure = dict[str, Any]
"""A figure as plotly JSON data: ``{"data": [...], "layout": {...}}`` (see `plain_figures`)."""
FigureBuilder = Callable[[Sequence[Run]], PlainFigure]


LABEL_CHARACTERS = 24
"""Fewest characters of an intervention's label above its chart (the full text is on hover)."""
MARK_LABEL = "intervention label"
"""The `name` of an intervention's label among a figure's annotations (`fit` makes room)."""


def _pin_range(figure: PlainFigure, key: str, axis: dict, labels: dict[int, list[str]]) -> None:
    """Fix a day axis's range to its traces' days and the marks' (a range it has, to the marks').

    `autorange` is switched off with it: the browser's plotly writes `autorange: true` into
    a layout it drew without a range, and the page patches that layout step by step, so a
    range sent later was widened again to fit a label (the axis ran to about -100 days).
    """
    axis["autorange"] = False
    xs = [float(day) for day in labels]
    if axis.get("range") is not None:  # the figure's own (a run's first steps: whole days)
        low, high = axis["range"]
        axis["range"] = [min([low, *xs]), max([high, *xs])]
        return
    name = "x" + key[5:]
    for trace in figure.get("data", ()):
        values = trace.get("x")
        if trace.get("xaxis", "x") == name and values is not None and len(values):
            xs.extend(pd.to_numeric(pd.Series(values), errors="coerce").dropna().tolist())
    points = np.unique(xs)
    low, high = float(points[0]), float(points[-1])
    # Room for half a bar (a step) at either end, or 2% of the span if more.
    half_step = float(np.diff(points).min()) / 2 if points.size > 1 else 1.0
    pad = max(0.02 * (high - low), half_step)
    axis["range"] = [low - pad, high + pad]


LABEL_CHAR_PX = 5.5
"""Width (px) of a character of an intervention's label (9-px type)."""
LABEL_ROWS = 4
"""Rows of labels above a chart before one is written over another."""
LABEL_ROW_PX = 12
"""Height (px) of a row of intervention labels."""


def _label_places(
    axis: dict, entries: list[tuple[int, str]], plot_width: float
) -> list[tuple[float, int]]:
    """Where each label goes: its shift (px) from left of its line, and its row (0, 1, ...).

    A label is written left of its line (a new mark is at the right end of the data), but
    never left of the axis's start, nor over a label already placed: it takes the first row
    with room. The axis is its domain's share of ``plot_width`` wide.
    """
    low, high = axis["range"]
    domain = axis.get("domain", (0, 1))
    px_per_day = (domain[1] - domain[0]) * plot_width / max(high - low, 1e-9)
    rows_end = [0.0] * LABEL_ROWS  # the right end of each row's labels
    places = []
    for day, text in entries:
        line = (day - low) * px_per_day
        width = LABEL_CHAR_PX * len(text)
        wanted = max(line - width, 0.0)
        free = [row for row, end in enumerate(rows_end) if end <= wanted + 0.5]
        row = free[0] if free else min(range(len(rows_end)), key=rows_end.__getitem__)
        left = max(wanted, rows_end[row])
        rows_end[row] = left + width + 2
        places.append((left + width - line, row))
    return places


def mark_interventions(
    figure: PlainFigure, marks: Sequence[Intervention], plot_width: float = 0
) -> PlainFigure:
    """Draw each intervention as a dotted vertical line on every day axis of ``figure``.

    The line is labelled above the top subplot only, in the margin (`fit` makes room for the
    rows of labels): written inside the plot, a label covered the data. ``plot_width`` (px)
    is the plotting area's width (0: `CELL_PLOT_WIDTH`).

    An axis counts as a day axis when its title is the figures' day title or when it matches
    one that is.
    """
    if not marks:
        return figure
    layout = figure["layout"]
    axes = {k: v for k, v in layout.items() if k.startswith("xaxis")}

    def is_days(axis: dict) -> bool:
        title = (axis.get("title") or {}).get("text")
        if title == figures.DAYS:
            return True
        matched = axis.get("matches")
        return bool(matched) and is_days(axes.get("xaxis" + matched[1:], {}))

    def top(axis: dict) -> float:
        anchor = axis.get("anchor", "y")
        return float((layout.get("yaxis" + anchor[1:]) or {}).get("domain", (0, 1))[1])

    days = {key: axis for key, axis in axes.items() if is_days(axis)}
    # The last day drawn matters only to a demand shock's end (read over every trace: skip it).
    shocks = any(mark.ends_day is not None for mark in marks)
    entries = _mark_entries(marks, _last_day(figure, days) if shocks else 0.0)
    labels: dict[int, list[str]] = {}
    for day, text in entries:
        labels.setdefault(day, []).append(text)
    # A line on every day axis, the words once, on the top subplot (stacked rows are short).
    labelled = max(days, key=lambda key: top(days[key]), default=None)
    shapes, notes = [], []
    for key, axis in days.items():
        xref = "x" + key[5:]
        yref = f"{axis.get('anchor', 'y')} domain"
        # The axis keeps the days of its data (and of the marks): plotly widens a range to
        # show an annotation in data coordinates, and a label written left of its line
        # stretched the axis into negative days.
        _pin_range(figure, key, axis, labels)
        shapes.extend(_shock_bands(marks, xref, yref, axis["range"][1]))
        for day, said in labels.items():
            shapes.append(
                {
                    "type": "line",
                    "xref": xref,
                    "yref": yref,
                    "x0": day,
                    "x1": day,
                    "y0": 0,
                    "y1": 1,
                    "line": {"color": MARK_COLOUR, "width": 1.5, "dash": "dot"},
                    "name": f"intervention: {'; '.join(said)}",
                }
            )
        if key != labelled:
            continue
        # Across the top margin, each cut to what fits (the full text is on hover and in the
        # line's name): a third of the plot's width, at least `LABEL_CHARACTERS` (cut to 24
        # characters in a wide chart, "pledge_60_days only: au…" hid what the change was).
        # The rows are stacked upwards from the plot's top edge.
        width = plot_width or CELL_PLOT_WIDTH
        domain = axis.get("domain", (0, 1))
        room = max(LABEL_CHARACTERS, int((domain[1] - domain[0]) * width / 3 / LABEL_CHAR_PX))
        shown = [(day, _cut(text, room)) for day, text in entries]
        places = _label_places(axis, shown, width)
        for (day, text), (_, cut), (shift, row) in zip(entries, shown, places, strict=True):
            notes.append(
                {
                    "xref": xref,
                    "yref": yref,
                    "x": day,
                    "y": 1,
                    "xshift": shift,
                    "yshift": LABEL_ROW_PX * row,
                    "text": cut,
                    "hovertext": text,
                    "showarrow": False,
                    "xanchor": "right",
                    "yanchor": "bottom",
                    "font": {"size": 9, "color": MARK_COLOUR},
                    "name": MARK_LABEL,
                }
            )
    layout["shapes"] = [*layout.get("shapes", ()), *shapes]
    layout["annotations"] = [*layout.get("annotations", ()), *notes]
    return figure


def _cut(text: str, room: int) -> str:
    """``text`` cut to ``room`` characters, ending in an ellipsis if cut."""
    return text if len(text) <= room else text[: room - 1] + "…"


def _last_day(figure: PlainFigure, days: dict[str, dict]) -> float:
    """The last day drawn on the figure's day axes (its data's)."""
    names = {"x" + key[5:] for key in days}
    last = [
        float(np.nanmax(pd.to_numeric(pd.Series(trace["x"]), errors="coerce")))
        for trace in figure.get("data", ())
        if trace.get("xaxis", "x") in names and trace.get("x") is not None and len(trace["x"])
    ]
    return max(last, default=0.0)


def _mark_entries(marks: Sequence[Intervention], last_day: float) -> list[tuple[int, str]]:
    """Each mark's label at its day, and the end of a demand shock the run has reached."""
    entries = [(mark.day, mark.label) for mark in marks]
    entries += [
        (mark.ends_day, f"end of {mark.label}")
        for mark in marks
        if mark.ends_day is not None and mark.ends_day <= last_day
    ]
    return sorted(entries, key=lambda entry: entry[0])


def _shock_bands(marks: Sequence[Intervention], xref: str, yref: str, right: float) -> list[dict]:
    """A light band over each demand shock's days, to its end or the axis's right end."""
    return [
        {
            "type": "rect",
            "xref": xref,
            "yref": yref,
            "x0": mark.day,
            "x1": min(mark.ends_day, right),
            "y0": 0,
            "y1": 1,
            "fillcolor": MARK_COLOUR,
            "opacity": 0.08,
            "line": {"width": 0},
            "layer": "below",
            "name": f"during: {mark.label}",
        }
        for mark in marks
        if mark.ends_day is not None
    ]


def fit(
    figure: PlainFigure,
    title: str | None = None,
    height: int = CELL_HEIGHT,
    plot_width: float = 0,
) -> PlainFigure:
    """Size a report figure to a cell of the page's grid (and retitle it for a live run).

    The title sits at the top of the figure, the legend in smaller type between it and the
    plot, so that they do not overlap in a cell's height. A title wider than the cell is
    written on two lines. ``plot_width`` (px) is the plotting area's width in the cell (0:
    `CELL_PLOT_WIDTH`); the figure itself takes its cell's width in the browser.
    """
    plot_width = plot_width or CELL_PLOT_WIDTH
    layout = figure.setdefault("layout", {})
    layout.pop("width", None)  # as wide as its cell
    heading = dict(layout.get("title") or {})
    heading.update(y=0.99, yref="container", yanchor="top")
    heading["font"] = {**heading.get("font", {}), "size": 14}
    if title is not None:
        heading["text"] = title
    heading["text"] = _wrapped(str(heading.get("text", "")), plot_width + 40, TITLE_CHAR_PX)
    extra_lines = heading["text"].count("<br>")
    title_px = TITLE_PX + TITLE_LINE_PX * extra_lines
    # Plotly writes the lines of a title anchored at its top from the first line's middle:
    # a second line pushed the first above the figure's edge.
    heading["y"] = 0.99 - TITLE_LINE_PX * extra_lines / height
    legend = dict(layout.get("legend") or {})
    legend["font"] = {**legend.get("font", {}), "size": 10}
    # The legend hangs from the title in pixels (container coordinates): placed in paper
    # coordinates above a short plot, its second row would cover the subplot titles.
    rows = _legend_rows(figure.get("data", ()), plot_width)
    legend.update(yref="container", y=1 - title_px / height, yanchor="top", x=0)
    above = [
        note
        for note in layout.get("annotations", ())
        if note.get("yref") == "paper" and note.get("y", 0) >= 1
    ]
    # A colour key written above the plot (the Sankey's) takes a line of type per line.
    keys = [note for note in above if note.get("name") == "colour key"]
    key_lines = max((str(note["text"]).count("<br>") + 1 for note in keys), default=0)
    subplot_titles = len(above) > len(keys)
    # The interventions' labels (`mark_interventions`) in rows above the plot, over its
    # subplot titles if it has any.
    marks = [note for note in layout.get("annotations", ()) if note.get("name") == MARK_LABEL]
    mark_rows = 1 + max((round(note["yshift"] / LABEL_ROW_PX) for note in marks), default=-1)
    for note in marks:
        note["yshift"] += SUBPLOT_TITLE_PX - 4 if subplot_titles else 2
    top = max(
        title_px
        + rows * LEGEND_ROW_PX
        + key_lines * KEY_LINE_PX
        + mark_rows * LABEL_ROW_PX
        + (SUBPLOT_TITLE_PX if subplot_titles else 8),
        60,
    )
    bottom = 45
    layout.update(
        autosize=True,
        height=height,
        margin={"t": top, "b": bottom, "l": 60, "r": 20},
        title=heading,
        legend=legend,
    )
    plot_px = height - top - bottom  # the plotting area's height
    _space_rows(layout, plot_px)
    _wrap_axis_titles(layout, plot_px)
    return figure


AXIS_TITLE_CHAR_PX = 6.6
"""Width (px) of a character of an axis title (plotly's 12-px type, as the figures draw it)."""


def _wrap_axis_titles(layout: dict, plot_px: float) -> None:
    """Write a y-axis title longer than its axis is high on two lines.

    Plotly centres a title on its axis and cuts what runs past the figure's edge: in a
    cell side by side, "default rate (% of active firms per step)" read "lefault rate ...".
    The margin grows to hold the second line (`automargin`).
    """
    for key, axis in layout.items():
        title = axis.get("title") if key.startswith("yaxis") else None
        text = title.get("text") if isinstance(title, dict) else None
        if not text:
            continue
        low, high = axis.get("domain", (0.0, 1.0))
        wrapped = _wrapped(str(text), (high - low) * plot_px, AXIS_TITLE_CHAR_PX)
        if wrapped != text:
            axis["title"] = {**title, "text": wrapped}
            axis["automargin"] = True


def _space_rows(layout: dict, plot_px: float) -> None:
    """Open the gaps between rows of subplots to fit their titles in ``plot_px`` of height.

    A report figure's spacing is a share of its height: in a short cell of the page a
    lower row's title would cover the row above. The rows keep their order and proportions;
    the subplot titles move with the tops of their rows.
    """
    axes = [value for key, value in layout.items() if key.startswith("yaxis")]
    rows = sorted({tuple(axis["domain"]) for axis in axes if "domain" in axis}, reverse=True)
    if len(rows) < 2 or plot_px <= 0:
        return
    titles = [
        note
        for note in layout.get("annotations", ())
        if note.get("yref") == "paper" and any(abs(note.get("y", -1) - r[1]) < 1e-9 for r in rows)
    ]
    lines = max((str(note.get("text", "")).count("<br>") + 1 for note in titles), default=1)
    gap = min((6 + KEY_LINE_PX * lines) / plot_px, 0.3)
    if all(low - next_high >= gap - 1e-9 for (low, _), (_, next_high) in itertools.pairwise(rows)):
        return
    scale = (1.0 - gap * (len(rows) - 1)) / sum(high - low for low, high in rows)
    moved, top = {}, 1.0
    for low, high in rows:
        bottom = top - (high - low) * scale
        moved[(low, high)] = (max(bottom, 0.0), top)
        top = bottom - gap
    for axis in axes:
        if "domain" in axis:
            axis["domain"] = list(moved[tuple(axis["domain"])])
    tops = {high: new_high for (_, high), (_, new_high) in moved.items()}
    for note in layout.get("annotations", ()):
        if note.get("yref") == "paper":
            for old_top, new_top in tops.items():
                if abs(note.get("y", -1) - old_top) < 1e-9:
                    note["y"] = new_top


TITLE_PX = 30
"""Height (px) of a cell figure's title."""
LEGEND_ROW_PX = 28
"""Height (px) of one row of a horizontal legend in 10-point type."""
SUBPLOT_TITLE_PX = 36
"""Room (px) above the plots for subplot titles."""
KEY_LINE_PX = 16
"""Height (px) of one line of a key written above the plot in 11-point type."""
TITLE_LINE_PX = 18
"""Height (px) of a second line of a cell figure's title."""
TITLE_CHAR_PX = 7.5
"""Width (px) of a character of a cell figure's title (14-px type)."""


def _legend_rows(traces: Sequence[dict], width: float) -> int:
    """How many rows a horizontal legend of these traces takes in ``width`` px (an estimate).

    Counts the traces plotly lists (named and not hidden from the legend), each about 40 px
    of symbol and padding plus 6 px a character. Plotly stacks the entries of a legend group
    one above another: a group is a block as wide as its widest entry and as many rows high
    as it has entries, and the blocks fill rows of ``width``.
    """
    listed = [t for t in traces if t.get("name") and t.get("showlegend") is not False]
    if len(listed) < 2 and not any(trace.get("showlegend") for trace in traces):
        return 0  # plotly shows no legend for a single trace
    blocks: dict[Any, list[float]] = {}
    for k, trace in enumerate(listed):
        group = trace.get("legendgroup") or ("", k)
        blocks.setdefault(group, []).append(40 + 6 * len(str(trace["name"])))
    rows, used, tallest = 0, 0.0, 0
    for entries in blocks.values():
        block = max(entries)
        if used and used + block > width:
            rows, used, tallest = rows + tallest, 0.0, 0
        used += block
        tallest = max(tallest, len(entries))
    return rows + tallest


def follow(model: ExploredModel) -> None:
    """Redraw when the model steps (Mesa's update counter), and tell the model once drawn."""
    update = update_counter.get()
    solara.use_effect(lambda: model.drawn(update), [update, model])


def _not_started(model: ExploredModel, what: str) -> bool:
    """Show an empty figure with a hint before the first step (there is no series yet)."""
    if model.step_index > 0:
        return False
    # An empty figure, not a text: the figure's widget then exists before the model plays
    # (widgets created while the model plays are not drawn until it pauses).
    hint = {
        "text": NOT_STARTED,
        "xref": "paper",
        "yref": "paper",
        "x": 0.5,
        "y": 0.5,
        "showarrow": False,
        "font": {"size": 14, "color": "#666"},
    }
    layout = {"xaxis": {"visible": False}, "yaxis": {"visible": False}, "annotations": [hint]}
    show(
        fit({"data": [], "layout": layout}, what, plot_width=viewport.plot_width()),
        screen=model.screen,
    )
    return True


NOT_STARTED = "Press Step or ▶ to start the run"
"""What an empty cell says before the first step (no axes: there is nothing to measure yet)."""


def draw(build: Callable[..., PlainFigure], *args: Any, **kwargs: Any) -> PlainFigure:
    """A report figure as plain plotly data (no `go.Figure`: the page redraws every step)."""
    with plain_figures():
        return build(*args, **kwargs)


def time_series(
    build: FigureBuilder, name: str, compact: bool = False, rows: int = viewport.CELL_ROWS
) -> Callable:
    """A panel drawing ``build`` on the results so far, with the interventions marked.

    ``compact``: the figure has several subplots, fitted to the cell by `compact_subplots`.
    ``rows``: the rows of the grid its cell spans (its figure is as high).
    """

    @solara.component
    def TimeSeries(model: ExploredModel) -> None:
        follow(model)
        width = viewport.plot_width()
        if _not_started(model, name):
            return
        runs = model.runs()
        figure = tell_runs_apart(draw(build, runs), [run.label for run in runs])
        if compact:
            figure = compact_subplots(figure, width)
        figure = mark_interventions(figure, model.marks, width)
        show(fit(figure, plot_width=width, height=cell_height(rows)), screen=model.screen)

    return TimeSeries


UNDERLAY_PX = 4
"""Width (px) the first run's lines are drawn wider than their own, side by side."""


def tell_runs_apart(figure: PlainFigure, labels: Sequence[str]) -> PlainFigure:
    """Side by side, keep the first run's series in sight where the second's lie on them.

    The second run's lines are drawn over the first's: where the runs agree (a second copy
    with the same terms, or both without defaults yet) the first run's line was hidden, and
    the run seemed missing. Its lines (and markers) are drawn wider, under the second's, so
    that both show where they meet; when every series of the second run equals the first's,
    the title says so. A figure of one run is returned as it is.
    """
    if len(labels) < 2:
        return figure
    first, second = labels[0], labels[1]
    traces = figure.get("data", ())
    by_key: dict[tuple, dict] = {}
    for trace in traces:
        if trace.get("legendgroup") == first and trace.get("type", "scatter") == "scatter":
            _underlay(trace)
            by_key.setdefault(_series_key(trace, first), trace)
    theirs = [t for t in traces if t.get("legendgroup") == second]
    pairs = [(t, by_key.get(_series_key(t, second))) for t in theirs]
    if pairs and all(other is not None and _same_series(t, other) for t, other in pairs):
        layout = figure.setdefault("layout", {})
        title = dict(layout.get("title") or {})
        title["text"] = f"{title.get('text', '')} · {second} identical to {first} so far"
        layout["title"] = title
    return figure


def _underlay(trace: dict) -> None:
    """Draw a trace's line and markers `UNDERLAY_PX` wider (2 px lines if not said).

    A band's edges (a filled trace, or a line of no width) are left as they are.
    """
    mode = trace.get("mode", "lines")
    if trace.get("fill", "none") != "none" or (trace.get("line") or {}).get("width") == 0:
        return
    if "lines" in mode:
        line = dict(trace.get("line") or {})
        line["width"] = float(line.get("width", 2)) + UNDERLAY_PX
        trace["line"] = line
    if "markers" in mode:
        marker = dict(trace.get("marker") or {})
        size = marker.get("size", 6)
        if isinstance(size, int | float):
            marker["size"] = size + UNDERLAY_PX
        else:
            marker["size"] = np.asarray(size, dtype=float) + UNDERLAY_PX
        trace["marker"] = marker


def _series_key(trace: dict, label: str) -> tuple:
    """A trace's series, whichever run it is of: its kind, its name without the run, its axes."""
    name = str(trace.get("name", ""))
    if name.startswith(label):
        name = name[len(label) :]
    return (trace.get("type", "scatter"), name, trace.get("xaxis", "x"), trace.get("yaxis", "y"))


def _same_series(one: dict, other: dict) -> bool:
    """Whether two traces draw the same points."""
    for axis in ("x", "y"):
        try:
            mine = np.asarray(one.get(axis, ()), dtype=float)
            theirs = np.asarray(other.get(axis, ()), dtype=float)
        except (TypeError, ValueError):
            return False
        if mine.shape != theirs.shape or not np.allclose(mine, theirs, equal_nan=True):
            return False
    return True


@solara.component
def Heading(model: ExploredModel) -> None:
    """The app bar's title: the scenario running and its step, seen from every tab.

    It redraws with every step (it reads Mesa's update counter) but does not tell the model
    it has drawn (`follow`): the title is drawn at once, and would let a playing model step
    on before the panels have drawn.
    """
    update_counter.get()
    spec = model.main.spec
    twin = f" and {model.twin.spec.name}" if model.twin is not None else ""
    solara.AppBarTitle(f"autofin · {spec.name}{twin} · {progress(model)}")


def progress(model: ExploredModel) -> str:
    """The run's step, or that it has finished (the controller then only greys its buttons)."""
    steps = model.main.spec.steps
    if finished(model):
        return f"run finished (step {model.step_index} of {steps})"
    return f"step {model.step_index} of {steps}"


def sheet_text(value: object, currency: str) -> str:
    """A firm sheet's value as shown: money to the unit with its currency (never "-0")."""
    return f"{value:z,.0f} {currency}" if isinstance(value, float) else str(value)


def finished(model: ExploredModel) -> bool:
    """Whether the run has taken its last step."""
    return model.step_index >= model.main.spec.steps


@solara.component
def RunFinished(model: ExploredModel) -> None:
    """Under the sidebar's controls: the run has finished, and Reset runs it again."""
    update_counter.get()
    if finished(model):
        solara.Success(
            f"Run finished (step {model.step_index} of {model.main.spec.steps}). "
            "Reset runs it again.",
            dense=True,
            classes=["autofin-finished"],
        )


@solara.component
def Clock(model: ExploredModel) -> None:
    """Step counter, simulated date, the scenario and its terms as started, the runs shown.

    Each live intervention adds a line below (the terms it changed, from which step).
    """
    follow(model)
    download = solara.use_memo(lambda: partial(series_csv, model), [model])
    spec = model.main.spec
    year, day_of_year = divmod(model.day, 365)
    lines = [
        f"Step {model.step_index} of {spec.steps} · day {model.day} "
        f"(year {year + 1}, day {day_of_year})",
        f"Scenario {spec.name}, seed {spec.seed}, as started: automaker payment term "
        f"{model.terms.automaker_term_days} days"
        + interventions.in_whole_steps(model.terms.automaker_term_days, spec.step_days)
        + f", tiers 1 to {len(spec.suppliers.payment_term_days)} pay in "
        + ", ".join(str(int(days)) for days in spec.suppliers.payment_term_days)
        + " days"
        + (", reverse-factoring platform on" if model.terms.platform else "")
        + (", factoring on" if model.terms.factoring else "")
        + (", order financing on" if model.terms.order_financing else ""),
    ]
    moved = moved_terms_text(model.terms, model.moved)
    if moved:
        lines.append(f"Moved from the scenario's own: {moved}")
    if model.twin is not None:
        lines.append(f"Side by side with {model.twin.spec.name} (same seed, stepping in lockstep)")
    for mark in model.marks:
        lines.append(f"Intervention from step {mark.step}: {mark.label}")
    if finished(model):
        lines.insert(1, "The run has finished: Reset runs it again.")
    with solara.Column(gap="2px", classes=["autofin-clock"]):
        solara.Text(lines[0], style={"font-weight": "bold", "font-size": "16px"})
        for line in lines[1:]:
            solara.Text(line)
        if model.step_index:
            # Built when pressed (`Download`: Solara's FileDownload, redrawn while playing,
            # saved "null"); the rows say which steps the file holds.
            Download.element(
                label="Download the series so far (CSV)",
                filename=f"{spec.name}-seed{spec.seed}-series.csv",
                mime="text/csv",
                build=download,
            )


def series_csv(model: ExploredModel) -> str:
    """The time series of the run (and its second copy) so far, with the interventions.

    One row per run and step: a ``run`` column first, then every series of `autofin run`'s
    ``timeseries.csv``, and ``interventions``, the changes applied from that step. A
    page reloaded starts a new run: what was explored is kept only so.
    """
    with model.lock:
        runs = model.runs()
        marks = list(model.marks)
    applied = {}
    for mark in marks:
        applied.setdefault(mark.step, []).append(mark.label)
    frames = []
    for run in runs:
        series = run.result.timeseries.copy()
        series.insert(0, "run", run.label)
        series["interventions"] = series["step"].map(lambda step: "; ".join(applied.get(step, [])))
        frames.append(series)
    return pd.concat(frames, ignore_index=True).to_csv(index=False)


RUN_PANEL_ROWS = 13
"""Most rows of the grid the clock and the live interventions span (510 px), and their rows
until the page has measured them: room for every control of the card, the answer to a button
and three interventions' lines in the clock (in 390 px, the cell of a figure, Force default and
the demand shock were cut). Their cell fits them (`run_panel_rows`) up to this."""

run_panel_height = solara.reactive(0)
"""The height (px) the clock and the live interventions take, as the page measured them (0 until
then): it changes with their cell's width and the clock's lines."""


def run_panel_rows() -> int:
    """Rows of the grid the clock and the live interventions' cell spans: as many as they need.

    Their cell is as high as they are, to a row of the grid (13 rows whatever they took left
    90 px of it empty at 1280x800, the defaults chart under them below the fold), and at most
    `RUN_PANEL_ROWS`: beyond, the panel scrolls in its cell rather than push the charts down.
    """
    if run_panel_height.value == 0:
        return RUN_PANEL_ROWS
    return min(viewport.rows_for(run_panel_height.value), RUN_PANEL_ROWS)


@solara.component
def RunPanel(model: ExploredModel) -> None:
    """The clock, and the live interventions panel below it, scrolling within their cell.

    The clock gains a line with every intervention; the cell grows with it (`run_panel_rows`),
    and past its most rows the panel scrolls rather than spill over the panel below it.
    """
    with solara.Column(classes=["autofin-scrolling"]):
        Clock(model)
        LiveInterventions(model)
        viewport.MeasureContent(on_height=run_panel_height.set)


@solara.component
def LiveInterventions(model: ExploredModel) -> None:
    """Changes to the running model from its next step on, marked on every time-series chart.

    Side by side, a shock (a demand shock, a forced default) hits both runs, which stay
    comparable; a change of terms (the payment term, a platform) applies to the first run
    only, and its mark says so.
    """
    # The new term starts at the run's own: a term the buyers already pay in is no change.
    term = solara.use_reactive(model.terms.automaker_term_days)
    solara.use_effect(lambda: term.set(model.terms.automaker_term_days), [model])
    spread = solara.use_reactive(0.005)
    share = solara.use_reactive(1.0)
    factor = solara.use_reactive(0.7)
    duration = solara.use_reactive(91)  # 13 weeks, on the slider's 7-day steps
    main = model.main
    automakers = int(main.network.n_automakers)
    # The first supplier: firms 0 to n-1 are automakers. Text, so that anything typed is
    # answered (a number box ignores what does not parse and keeps the last message).
    firm = solara.use_reactive(str(automakers))
    # The last message and the model it is about: a Reset's new model starts without one.
    message = solara.use_reactive(("", None))

    def apply(change: Callable[[AutofinModel], Intervention], shock: bool) -> None:
        if finished(model):  # no next step for it to apply from
            steps = model.main.spec.steps
            message.set(
                (f"Not applied: the run has finished (step {steps} of {steps}); Reset first", model)
            )
            return
        try:
            with model.lock:  # not in the middle of a step while playing
                mark = change(main)
                if model.twin is not None:
                    mark = _on_the_copy(mark, change, model.twin, main.spec.name, shock)
                model.intervene(mark)
        except InterventionError as error:
            message.set((f"Not applied: {error}", model))
            return
        message.set((f"Applies from step {mark.step}: {mark.label}", model))
        force_update()

    with model.lock:  # not in the middle of a step (re-sourcing rewrites the edges)
        new_term = interventions.changes_term(main, term.value)
    longest = interventions.longest_term_days(main)
    notes = [] if new_term else ["the term in force: no change"]
    if term.value >= longest:  # the trade books are sized for the scenario's own terms
        notes.append("the longest this run holds; for longer, the sidebar's term and Reset")
    term_note = f" ({'; '.join(notes)})" if notes else ""
    text, about = message.value
    with solara.Card(
        "Live interventions",
        subtitle="Each applies from the next step on.",
        classes=["autofin-compact"],
    ):
        # The answer to the last button pressed, above the controls: under them, it was out
        # of the cell's sight.
        if text and about is model:
            solara.Text(text, style={"font-weight": "bold"})
        with solara.Row():
            solara.SliderInt(
                f"New automaker payment term: {term.value} days{term_note}",
                value=term,
                min=0,
                max=longest,
                step=1,
                thumb_label=False,
            )
            solara.Button(
                "Apply term",
                on_click=lambda: apply(
                    lambda m: interventions.payment_term(m, term.value), shock=False
                ),
                disabled=not new_term,
            )
        with solara.Row():
            solara.SliderFloat(
                f"Spread: {spread.value:.1%} a year",
                value=spread,
                min=0.0,
                max=0.05,
                step=0.001,
                thumb_label=False,
            )
            solara.SliderFloat(
                f"Onboarded: {share.value:.0%}",
                value=share,
                min=0.0,
                max=1.0,
                step=0.05,
                thumb_label=False,
            )
            # Once on (by the scenario or a press) it says so, greyed: pressed again it could
            # only say "already sponsors a platform".
            sponsoring = interventions.sponsors_platform(main)
            solara.Button(
                "Platform is on" if sponsoring else "Platform on",
                on_click=lambda: apply(
                    lambda m: interventions.platform_on(m, spread.value, share.value), shock=False
                ),
                disabled=sponsoring,
            )
        with solara.Row():
            solara.SliderFloat(
                f"Demand × {factor.value:.2f}",
                value=factor,
                min=0.0,
                max=2.0,
                step=0.05,
                thumb_label=False,
            )
            solara.SliderInt(
                f"For {duration.value} days",
                value=duration,
                min=7,
                max=720,
                step=7,
                thumb_label=False,
            )
            solara.Button(
                "Demand shock",
                on_click=lambda: apply(
                    lambda m: interventions.demand_shock(m, factor.value, duration.value),
                    shock=True,
                ),
            )
        with solara.Row():
            first = "automaker 0" if automakers == 1 else f"automakers 0 to {automakers - 1}"
            solara.InputText(f"Firm (number; {first})", value=firm)
            solara.Button(
                "Force default",
                on_click=lambda: apply(
                    lambda m: interventions.force_default(
                        m, interventions.firm_number(firm.value, m.firms.n)
                    ),
                    shock=True,
                ),
            )


def _on_the_copy(
    mark: Intervention,
    change: Callable[[AutofinModel], Intervention],
    twin: AutofinModel,
    first: str,
    shock: bool,
) -> Intervention:
    """Apply a shock to the second copy too; say on the mark where the change applies.

    The run a change of terms applies to opens its mark's label: a label cut to its chart's
    room kept the change and lost "(run only)", the one place that said so.
    """
    if not shock:
        return replace(mark, label=f"{first} only: {mark.label}")
    try:
        change(twin)
    except InterventionError as error:
        return replace(mark, label=f"{mark.label} (not in {twin.spec.name}: {error})")
    return mark


@solara.component
def SupplyNetwork(model: ExploredModel) -> None:
    """The supply network as it stands; clicking a firm shows its balance sheet and finance.

    Side by side, of one run at a time, picked by a switch (it drew the first run only).
    """
    follow(model)
    clicked = solara.use_reactive(None)
    # A new model (Reset) starts with no firm's sheet open: one open before came back at
    # the new run's first step.
    solara.use_effect(lambda: clicked.set(None), [model])
    picked = solara.use_reactive("")
    drawn = solara.use_ref(None)  # (the run shown, what its figure shows, the figure)
    # The figure scrolls inside the cell, not over the next one;
    # the placeholder before the first step is the same widget as the figure after it (one
    # created while the model plays is not drawn until it pauses).
    with solara.Column(classes=["autofin-scrolling"]):
        shown = _pick_run(model, picked)
        if _not_started(model, "Supply network"):
            return
        run = model.runs()[shown]
        # Most steps change no firm's state and no supply edge: the figure is then the one
        # drawn before (building it costs more than the rest of the page's redraw).
        shows = network_state(run)
        before = drawn.current
        if before is None or before[0] != shown or not _same(before[1], shows):
            drawn.current = (shown, shows, draw(figures.network_figure, run))
        network = drawn.current[2]
        firm = _clicked_firm(run.result.firms, clicked.value)
        title = f"Supply network at step {model.step_index}: firms by state, cascades in red"
        if model.twin is not None:
            title += f" · {run.label}"
        figure = fit(
            {"data": network["data"], "layout": dict(network["layout"])},
            title,
            height=CELL_HEIGHT - (TOGGLE_PX if model.twin is not None else 0),
            plot_width=viewport.plot_width(),
        )
        # A stable handler (the reactive's own setter): a new closure on every render would
        # make the widget drop figure updates.
        show(figure, on_click=clicked.set, screen=model.screen)
        if firm is not None:
            with model.lock:
                sheet = interventions.firm_sheet(model.models[shown], firm)
            heading = f"Firm {firm} at step {model.step_index}"
            if model.twin is not None:  # side by side: of the run the network shows
                heading += f" · {run.label}"
            FirmSheet(heading, sheet, model.main.spec.currency, clicked.set)


@solara.component
def FirmSheet(heading: str, sheet: dict, currency: str, close: Callable[[None], None]) -> None:
    """A clicked firm's sheet in a window over the page, kept up to date as the run steps.

    Drawn below the network inside its cell, the sheet was out of sight until the cell was
    scrolled, so a click seemed to do nothing. The window has no overlay and a click beside
    it does not close it: the run can be stepped or played and another firm clicked while it
    is open (it covers the page's lower right until closed). Its Close button closes it
    (``close(None)``).
    """
    rows = "".join(
        f"<tr{DEFAULTED_ROW_STYLE if key == 'defaulted' else ''}>"
        f"<td>{escape(str(key))}</td><td style='text-align:right'>"
        f"{escape(sheet_text(value, currency))}"
        "</td></tr>"
        for key, value in sheet.items()
    )
    with (
        solara.v.Dialog(
            v_model=True,
            on_v_model=lambda still_open: None if still_open else close(None),
            max_width=SHEET_WIDTH_PX,
            scrollable=True,
            hide_overlay=True,
            persistent=True,
            no_click_animation=True,
            retain_focus=False,
            content_class="autofin-sheet-dialog",
        ),
        solara.Card(heading, margin=0),
    ):
        solara.HTML(
            tag="table", unsafe_innerHTML=rows, classes=["autofin-firm-sheet"], style=SHEET_STYLE
        )
        with solara.CardActions():
            solara.Button("Close", text=True, on_click=lambda: close(None))


def network_state(run: Run) -> tuple:
    """What the network figure shows of a run; it is rebuilt only when this changes.

    The firms' states and default steps, the supply edges (the same table until firms
    re-source) and the number of default events.
    """
    result = run.result
    firms = result.firms
    return (
        firms["state"].astype(str).to_numpy(),
        firms["default_step"].to_numpy(dtype=float, na_value=-1.0),
        result.network,
        len(result.events),
    )


def _same(one: tuple, other: tuple) -> bool:
    """Whether two `network_state`s are equal."""
    states, steps, network, events = one
    return (
        events == other[3]
        and network is other[2]
        and np.array_equal(states, other[0])
        and np.array_equal(steps, other[1])
    )


def _clicked_firm(firms_table: pd.DataFrame, point: dict | None) -> int | None:
    """The firm behind a clicked point of the network figure (its hover text, "firm N: ...")."""
    said = re.match(r"firm (\d+):", str((point or {}).get("text", "")))
    if said is None:
        return None
    firm = int(said.group(1))
    return firm if (firms_table["firm"] == firm).any() else None


@solara.component
def CapitalFlows(model: ExploredModel) -> None:
    """The capital-flow Sankey over the last N steps; side by side, of one run at a time.

    Two Sankeys in one cell overprinted each other's labels; a switch picks the run.
    """
    follow(model)
    window = solara.use_reactive(13)
    picked = solara.use_reactive("")
    solara.SliderInt("Sankey: last N steps", value=window, min=1, max=max(1, model.main.spec.steps))
    height = CELL_HEIGHT - SLIDER_PX  # the slider above it shares the cell
    shown = _pick_run(model, picked)
    if model.twin is not None:
        height -= TOGGLE_PX
    if _not_started(model, "Capital flows"):
        return
    last = model.step_index
    span = (max(1, last - window.value + 1), max(last, 1))
    runs = model.runs()
    title = f"Capital flows, steps {span[0]} to {span[1]}"
    if len(runs) > 1:
        title += f" · {runs[shown].label}"
    show(
        fit(
            draw(figures.flows_sankey, runs[shown : shown + 1], window=span),
            title,
            height=height,
            plot_width=viewport.plot_width(),
        ),
        screen=model.screen,
    )


TOGGLE_PX = 40
"""Height (px) of a row of toggle buttons in a cell."""


def _pick_run(model: ExploredModel, picked: solara.Reactive[str]) -> int:
    """Side by side, a switch picking the run a panel shows; the index of the run shown."""
    names = [m.spec.name for m in model.models]
    current = picked.value if picked.value in names else names[0]
    if len(names) > 1:
        solara.ToggleButtonsSingle(value=current, values=names, on_value=picked.set, dense=True)
    return names.index(current)


CELL_PLOT_WIDTH = 680
"""Width (px) of a figure's plotting area assumed until the page has measured its cells
(`viewport.plot_width`), and outside a page."""


def _wrapped(text: str, width_px: float, char_px: float = 6.2) -> str:
    """``text`` broken over two lines at the space nearest its middle if wider than ``width_px``."""
    if len(text) * char_px <= width_px or " " not in text or "<br>" in text:
        return text
    middle = len(text) / 2
    cut = min((i for i, c in enumerate(text) if c == " "), key=lambda i: abs(i - middle))
    return text[:cut] + "<br>" + text[cut + 1 :]


def compact_subplots(figure: PlainFigure, plot_width: float = 0) -> PlainFigure:
    """Fit a figure of several subplots in a cell: each y-axis title joins its subplot's title.

    In a cell, a subplot is a few hundred pixels wide and a hundred or two high: y-axis titles
    run into the next column or row, and titles into each other. Each subplot title (smaller)
    gets its y-axis title as a second, smaller line, and wraps if wider than its column.
    ``plot_width`` (px) is the plotting area's width (0: `CELL_PLOT_WIDTH`).
    """
    layout = figure["layout"]
    notes = layout.get("annotations") or []
    titles = [n for n in notes if n.get("xref") == "paper" and n.get("yref") == "paper"]
    if not titles:
        return figure
    for key in [k for k in layout if k.startswith("yaxis")]:
        axis = layout[key]
        if axis.get("overlaying"):
            continue
        x_axis = layout.get("xaxis" + axis.get("anchor", "x")[1:]) or {}
        left, right = x_axis.get("domain", (0, 1))
        top = axis.get("domain", (0, 1))[1]
        match = [
            n
            for n in titles
            if abs(n.get("x", -1) - (left + right) / 2) < 0.01 and abs(n.get("y", -1) - top) < 0.02
        ]
        if not match:
            continue
        note = match[0]
        width = (right - left) * (plot_width or CELL_PLOT_WIDTH)
        text = _wrapped(str(note.get("text", "")), width)
        unit = (axis.get("title") or {}).get("text")
        if unit:
            text += f"<br><span style='font-size:9px'>{unit}</span>"
            layout[key] = {k: v for k, v in axis.items() if k != "title"}
        note.update(text=text, font={**note.get("font", {}), "size": 11})
    for key in [k for k in layout if k.startswith(("xaxis", "yaxis"))]:
        layout[key] = {**layout[key], "tickfont": {"size": 9}}
        if layout[key].get("title"):
            title = layout[key]["title"]
            layout[key]["title"] = {**title, "font": {**title.get("font", {}), "size": 10}}
    return figure


def banks_in_a_cell(runs: Sequence[Run]) -> PlainFigure:
    """The report's banks figure fitted to a grid cell: three short rows, so no y-axis titles.

    Each row's subplot title names its measure and unit; the y-axis titles, longer than a
    row is high, would overlap one another.
    """
    figure = figures.banks_figure(runs)
    layout = figure["layout"]
    for key in [k for k in layout if k.startswith("yaxis")]:
        layout[key] = {k: v for k, v in layout[key].items() if k != "title"}
    layout["annotations"] = [
        {**note, "font": {**note.get("font", {}), "size": 11}}
        for note in layout.get("annotations", ())
    ]
    # Plotly stacks the entries of a legend group one above another: the lending bars, in
    # the "all banks" group, would take a legend row of their own from the short plot rows.
    for trace in figure["data"]:
        if trace.get("type") == "bar":
            trace["legendgroup"] = trace.get("name")
    return figure


def defaults_in_a_cell(runs: Sequence[Run]) -> PlainFigure:
    """The report's defaults figure; until a firm defaults, it says so on a 0 to 1 scale.

    Bars of zero height draw nothing: without a word, an empty plot looks like a broken one.
    """
    figure = figures.defaults_figure(runs)
    if any(_defaults_so_far(run) for run in runs):
        return figure
    layout = figure["layout"]
    last = max(len(run.result.timeseries) for run in runs)
    finished = all(len(run.result.timeseries) >= run.result.scenario.steps for run in runs)
    text = (
        f"No firm defaulted in the run (steps 1 to {last})"
        if finished
        else f"No firm has defaulted yet (steps 1 to {last})"
    )
    before = max(_defaults_in_warm_up(run) for run in runs)
    if before:
        # The network draws them red from step 1: said here, the two do not disagree.
        firms = "firm" if before == 1 else "firms"
        text += f"<br>{before} {firms} failed in the warm-up, before step 1 (red in the network)"
    layout["annotations"] = [
        *layout.get("annotations", ()),
        {
            "text": text,
            "xref": "paper",
            "yref": "paper",
            "x": 0.45,
            "y": 0.3,
            "showarrow": False,
            "font": {"size": 13, "color": "#555555"},
        },
    ]
    for key in [k for k in layout if k.startswith("yaxis")]:
        layout[key] = {**layout[key], "range": [0, 1]}
    return figure


def _defaults_in_warm_up(run: Run) -> int:
    """Firms of ``run`` that defaulted before day 0 (defaulted, with no step of default)."""
    firms = run.result.firms
    if firms.empty or "default_step" not in firms:
        return 0
    return int(((firms["state"] == "defaulted") & firms["default_step"].isna()).sum())


def _defaults_so_far(run: Run) -> int:
    """Firms (suppliers and automakers) that have defaulted in ``run`` so far."""
    series = run.result.timeseries
    return int(
        sum(series[c].sum() for c in ("supplier_defaults", "automaker_defaults") if c in series)
    )


DefaultRates = time_series(defaults_in_a_cell, "Defaults over time")
Banks = time_series(banks_in_a_cell, "Banks: credit quality, capital and lending", rows=BANKS_ROWS)
Financing = time_series(figures.finance_figure, "Supply-chain finance", compact=True)
SalesFunnel = time_series(
    figures.funnel_figure, "Sales funnel and car-loan decisions", compact=True
)

PANELS = [
    (RunPanel, 0, run_panel_rows),
    (DefaultRates, 0),
    (SupplyNetwork, 0),
    (Banks, 0, BANKS_ROWS),
    (CapitalFlows, 1),
    (Financing, 1),
    (SalesFunnel, 1),
]
"""The page's panels and the tab each is on (only the open tab redraws)."""

TABS = ("Defaults, supply network, banks", "Capital flows, financing, sales")
"""The tabs' names, by index."""
