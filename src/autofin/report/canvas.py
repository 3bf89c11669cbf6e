"""A fast way to assemble a plotly figure: traces and layout as plain data, validated once.

Building a figure through plotly's object API validates every property on every call, which
costs a few hundred milliseconds per figure; the browser view redraws every figure each step.
A `Canvas` collects traces as dictionaries (axes chosen by row and column, as with
`plotly.subplots.make_subplots`, whose layout is computed once per grid and cached) and
makes the `go.Figure` at the end without re-validating.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

from autofin.report.style import FONT

TEMPLATE = "plotly_white"
TITLE_LINE_PX = 18
"""Height of a title's second line (its note, in a smaller font), in pixels."""

_PLAIN: ContextVar[bool] = ContextVar("autofin_plain_figures", default=False)


@contextmanager
def plain_figures() -> Iterator[None]:
    """Within this block, figures come as plain dictionaries, not `go.Figure` objects.

    `Canvas.figure` then returns ``{"data": [...], "layout": {...}}`` (numpy arrays kept as
    they are): what the browser view sends to plotly.js every step, without the cost of
    plotly's object model (building a `go.Figure` and turning it back into JSON takes longer
    than computing the figure's data). Applies to the current thread (a context variable).
    """
    token = _PLAIN.set(True)
    try:
        yield
    finally:
        _PLAIN.reset(token)


@lru_cache(maxsize=1)
def _template() -> dict[str, Any]:
    return pio.templates[TEMPLATE].to_plotly_json()


@lru_cache(maxsize=32)
def _grid_layout(
    rows: int,
    cols: int,
    secondary_y: bool,
    titles: tuple[str, ...],
    column_widths: tuple[float, ...] | None,
    horizontal_spacing: float | None,
    vertical_spacing: float | None,
    shared_xaxes: bool,
) -> str:
    """The layout of a grid of subplots as JSON text (each canvas gets its own copy)."""
    figure = make_subplots(
        rows=rows,
        cols=cols,
        specs=[[{"secondary_y": secondary_y}] * cols] * rows,
        subplot_titles=titles or None,
        column_widths=list(column_widths) if column_widths else None,
        horizontal_spacing=horizontal_spacing,
        vertical_spacing=vertical_spacing,
        shared_xaxes=shared_xaxes,
    )
    layout = figure.layout.to_plotly_json()
    layout.pop("template", None)  # plotly's default (~100 kB of JSON); `figure` sets ours
    return json.dumps(layout)


def _plain(value: Any) -> Any:
    """Pandas objects as NumPy arrays (plotly sends arrays as compact typed arrays)."""
    if isinstance(value, pd.Series | pd.Index):
        array = value.to_numpy()
        return array.astype(float) if array.dtype == object and _numeric(array) else array
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _numeric(array: np.ndarray) -> bool:
    return all(isinstance(item, int | float) or item is None for item in array[:50])


class Canvas:
    """Traces and layout of one figure, on a grid of `rows` × `cols` subplots.

    Args:
        rows: Rows of subplots.
        cols: Columns of subplots.
        secondary_y: Give each subplot a second y axis on the right (for a 1 × 1 grid).
        titles: Subplot titles, row by row.
        column_widths: Relative widths of the columns.
        horizontal_spacing: Space between columns, as a fraction of the width.
        vertical_spacing: Space between rows, as a fraction of the height.
        shared_xaxes: Share each column's x axis between its rows.
    """

    def __init__(
        self,
        rows: int = 1,
        cols: int = 1,
        *,
        secondary_y: bool = False,
        titles: tuple[str, ...] = (),
        column_widths: tuple[float, ...] | None = None,
        horizontal_spacing: float | None = None,
        vertical_spacing: float | None = None,
        shared_xaxes: bool = False,
    ) -> None:
        self.rows, self.cols, self.secondary_y = rows, cols, secondary_y
        if rows == 1 and cols == 1 and not secondary_y:
            self.layout: dict[str, Any] = {}
        else:
            self.layout = json.loads(  # a fresh copy, faster than copy.deepcopy
                _grid_layout(
                    rows,
                    cols,
                    secondary_y,
                    titles,
                    column_widths,
                    horizontal_spacing,
                    vertical_spacing,
                    shared_xaxes,
                )
            )
        self.traces: list[dict[str, Any]] = []
        self.has_titles = bool(titles)

    def _axes(self, row: int, col: int, secondary: bool) -> tuple[str, str]:
        """The x and y axis references of a subplot (as `make_subplots` numbers them)."""
        if self.secondary_y:
            index = 2 * ((row - 1) * self.cols + col) - 1
            x_index = (row - 1) * self.cols + col
            y = index + (1 if secondary else 0)
            return (f"x{x_index}" if x_index > 1 else "x", f"y{y}" if y > 1 else "y")
        index = (row - 1) * self.cols + col
        suffix = str(index) if index > 1 else ""
        return f"x{suffix}", f"y{suffix}"

    def add(
        self, kind: str, *, row: int = 1, col: int = 1, secondary_y: bool = False, **props: Any
    ) -> None:
        """Add a trace of type `kind` (`scatter`, `bar`, ...) to a subplot."""
        trace = {"type": kind, **{key: _plain(value) for key, value in props.items()}}
        if kind not in ("sankey",):
            trace["xaxis"], trace["yaxis"] = self._axes(row, col, secondary_y)
        self.traces.append(trace)

    def axis(
        self, which: str, row: int = 1, col: int = 1, secondary_y: bool = False, **props: Any
    ) -> None:
        """Set properties of the x or y axis of a subplot (`which` is `x` or `y`)."""
        x, y = self._axes(row, col, secondary_y)
        ref = x if which == "x" else y
        name = f"{which}axis{ref[1:]}"
        self.layout.setdefault(name, {}).update(props)

    def annotate(self, text: str, x: float, y: float, **props: Any) -> None:
        """Add a text annotation in paper coordinates."""
        note = {"text": text, "x": x, "y": y, "xref": "paper", "yref": "paper", "showarrow": False}
        self.layout.setdefault("annotations", []).append({**note, **props})

    def figure(
        self, title: str, *, height: int = 420, hovermode: str = "x unified", **layout: Any
    ) -> go.Figure:
        """The finished figure: common title, template, fonts, legend above the plot.

        A plain ``{"data", "layout"}`` dictionary instead within `plain_figures`.
        """
        # Plotly writes a title anchored at its top from its first line's middle, so each
        # further line would push the first up and over the figure's edge.
        extra_lines = title.count("<br>")
        self.layout.update(
            {
                "title": {
                    "text": title,
                    "x": 0.01,
                    "xanchor": "left",
                    "y": 0.985 - TITLE_LINE_PX * extra_lines / height,
                    "yref": "container",
                    "yanchor": "top",
                    "font": {"size": 17},
                },
                "template": _template(),
                "font": {"family": FONT, "size": 12},
                "height": height,
                "margin": {"l": 75, "r": 30, "t": 120, "b": 60},
                "legend": {
                    "orientation": "h",
                    "yanchor": "bottom",
                    "y": 1.07 if self.has_titles else 1.02,
                    "x": 0,
                    "font": {"size": 11},
                },
                "hovermode": hovermode,
                **layout,
            }
        )
        if _PLAIN.get():
            return {"data": self.traces, "layout": self.layout}  # type: ignore[return-value]
        return go.Figure(data=self.traces, layout=self.layout, _validate=False)
