"""A lean plotly view for the page: each redraw sends only what changed in the figure.

Solara's `FigurePlotly` validates every trace in Python (plotly's `FigureWidget`) and sends
the whole figure on every redraw. This widget keeps the figure the browser has, and each step
sends only the changes (`figure_changes`): the points appended to a series, a new title, a new
mark. In the browser the figure is kept as one set of objects that the changes are applied to,
so plotly.js sees which traces and layout keys changed and redraws no more than that (a new
title alone is a cheap relayout; a figure given as a fresh copy would be redrawn in full).
The browser draws at most once per animation frame, always the newest state. Plotly.js comes
from the plotly package on disk, so nothing is fetched.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import anywidget
import plotly.graph_objects as go
import plotly.io as pio
import solara
import traitlets
from plotly.io.json import to_json_plotly
from solara.server import kernel_context

from autofin.report.style import SANKEY_NODE_COLOUR
from autofin.viz import viewport

RENDER_JS = """
function loadPlotly() {
  // One copy of plotly.js per page, from the server (autofin viz serves the plotly package's
  // own file as a static asset), shared by every figure.
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!window.autofinPlotly) {
    window.autofinPlotly = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = new URL("static/assets/plotly.min.js", document.baseURI).href;
      script.onload = () => resolve(window.Plotly);
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }
  return window.autofinPlotly;
}

// Apply the server's changes to the figure in place. A changed value is a new object (an
// appended series a new array), an unchanged one keeps its identity: plotly.js compares data
// arrays by identity, so it recomputes only the traces whose data changed.
function applyChanges(figure, changes) {
  for (const [op, path, value] of changes) {
    if (path.length === 0) { figure = value; continue; }
    let parent = figure;
    for (const key of path.slice(0, -1)) parent = parent[key];
    const key = path[path.length - 1];
    if (op === "set") parent[key] = value;
    else if (op === "extend") parent[key] = parent[key].concat(value);
    else if (op === "delete") delete parent[key];
  }
  return figure;
}

async function render({ model, el }) {
  const plot = document.createElement("div");
  plot.style.width = "100%";
  el.appendChild(plot);
  const config = { displaylogo: false };
  let figure = null;  // the figure as of `version`, the very objects plotly.js draws
  let version = -1;
  let scheduled = false;
  let listening = false;
  let clicks = 0;  // numbers each click: the same point clicked again is a new value
  let alive = true;
  async function draw() {
    scheduled = false;
    if (!alive || figure === null) return;
    const drawing = version;
    await window.Plotly.react(plot, figure.data, figure.layout, config);
    // Tell the server which version is on screen: a playing model waits for it (Screen).
    if (alive) model.send({ kind: "drawn", version: drawing });
    if (!listening && plot.on) {
      listening = true;
      plot.on("plotly_click", (event) => {
        const point = event.points[0];
        model.set("clicked", {
          curve: point.curveNumber,
          point: point.pointNumber,
          text: String(point.text || ""),
          click: ++clicks,
        });
        model.save_changes();
      });
    }
  }
  // Changes that arrive faster than the browser draws are all applied, and drawn once per
  // frame.
  function update() {
    if (!scheduled) {
      scheduled = true;
      requestAnimationFrame(draw);
    }
  }
  function receive(message) {
    if (message.version <= version) return;  // already in the figure (sent before a resend)
    if (message.kind === "figure") {
      figure = message.figure;
    } else if (message.kind === "changes" && figure !== null && message.base === version) {
      figure = applyChanges(figure, message.changes);
    } else {
      // Changes to a figure this view does not have (it opened meanwhile): ask for it whole.
      model.send({ kind: "resend" });
      return;
    }
    version = message.version;
    update();
  }
  await loadPlotly();
  model.on("msg:custom", receive);
  model.send({ kind: "resend" });
  // A figure first drawn before its cell is laid out (a tab being opened) takes plotly's
  // default width; follow the cell's width instead. (Not plotly's own resizing: it drops the
  // figure's height from the layout, which this view keeps from one step to the next.)
  const observer = new ResizeObserver(() => {
    const width = Math.round(el.getBoundingClientRect().width);
    if (figure === null || !plot._fullLayout || width <= 0) return;
    if (width !== plot._fullLayout.width) window.Plotly.relayout(plot, { width });
  });
  observer.observe(el);
  return () => {
    alive = false;
    model.off("msg:custom", receive);
    observer.disconnect();
    window.Plotly.purge(plot);
  };
}
export default { render };
"""


PLOTLY_JS_DIR = Path(str(files("plotly").joinpath("package_data")))
"""Folder of the plotly package's own plotly.min.js, served by `autofin viz` as a static asset."""

Change = list[Any]
"""One change to a figure: ``[op, path, value]``, ``op`` one of ``set``, ``extend`` (append
``value`` to the list at ``path``) and ``delete``; ``path`` the keys and indices from the top."""


def figure_changes(old: Any, new: Any, path: tuple = ()) -> list[Change]:
    """The changes that turn the figure ``old`` into ``new`` (both plain JSON data).

    Dictionaries are compared key by key and the traces one by one; a list that grew by
    appended items (a series one step longer) becomes an ``extend`` of the new items only.
    Equal values give no change, so an unchanged figure gives an empty list.
    """
    if isinstance(old, dict) and isinstance(new, dict):
        changes: list[Change] = []
        for key, value in new.items():
            if key not in old:
                changes.append(["set", [*path, key], value])
            else:
                changes.extend(figure_changes(old[key], value, (*path, key)))
        changes.extend(["delete", [*path, key], None] for key in old if key not in new)
        return changes
    if isinstance(old, list) and isinstance(new, list):
        if old == new:
            return []
        if path == ("data",) and len(old) == len(new):  # trace by trace
            return [
                c
                for i, (a, b) in enumerate(zip(old, new, strict=True))
                for c in figure_changes(a, b, (*path, i))
            ]
        if len(new) > len(old) and new[: len(old)] == old:
            return [["extend", list(path), new[len(old) :]]]
        return [["set", list(path), new]]
    if old == new and type(old) is type(new):
        return []
    return [["set", list(path), new]]


_MESSAGE_THREADS: dict[str, int] = {}
"""The thread each page (Solara kernel) delivers its views' messages on, by kernel id."""


def _page() -> str | None:
    """The id of the page (Solara kernel) the calling thread works for; None outside a page."""
    if not kernel_context.has_current_context():
        return None
    return kernel_context.get_current_context().id


class Screen:
    """What the browser has drawn of each figure view: the page's pace while playing.

    Each `PlotlyView` given a screen notes every version it sends and every version its view
    reports drawn. `wait` blocks until every view has drawn what it was sent, so a playing
    model steps no faster than the browser draws: each step is drawn, none is skipped. A view
    that does not report within the wait (a browser tab in the background draws nothing) is
    not waited for again until it reports.

    A wait on the thread that delivers the views' messages (a click on Step is handled
    there) returns at once: it would hold back the very reports it waits for.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._pending: dict[int, int] = {}  # view id -> newest version sent, not yet drawn
        self._asleep: set[int] = set()
        # The thread delivering the views' messages (a model reset on a page: the page's).
        self._messages: int | None = _MESSAGE_THREADS.get(_page())

    def heard(self, thread: int) -> None:
        """Note that the views' messages are delivered on ``thread`` (a thread identifier)."""
        self._messages = thread

    def sent(self, view: int, version: int) -> None:
        """Note that ``view`` was sent ``version`` of its figure."""
        with self._changed:
            self._pending[view] = version

    def drawn(self, view: int, version: int) -> None:
        """Note that ``view`` has drawn ``version`` of its figure."""
        with self._changed:
            self._asleep.discard(view)
            if self._pending.get(view, version + 1) <= version:
                del self._pending[view]
            self._changed.notify_all()

    def forget(self, view: int) -> None:
        """Stop waiting for ``view`` (its widget is closed)."""
        with self._changed:
            self._pending.pop(view, None)
            self._asleep.discard(view)
            self._changed.notify_all()

    def wait(self, timeout: float) -> bool:
        """Wait until every awake view has drawn what it was sent; False if any did not.

        Views still drawing after ``timeout`` seconds are not waited for again until they
        report a drawn version.
        """
        if threading.get_ident() == self._messages:
            return True
        with self._changed:
            done = self._changed.wait_for(
                lambda: not self._pending.keys() - self._asleep, timeout=timeout
            )
            if not done:
                self._asleep |= self._pending.keys()
            return done


class PlotlyView(anywidget.AnyWidget):
    """A plotly figure drawn in the browser, sent whole once and then as changes.

    Attributes:
        figure_json: The figure, as plotly JSON (kept in Python; views get `figure_changes`).
        clicked: The last point clicked: ``curve`` (trace), ``point`` (index), ``text`` and
            ``click``, the click's number (a point clicked again is a change too: a firm's
            sheet closed and its firm clicked again opens it again).
        screen: Told each version sent and each version the view has drawn (optional).
    """

    _esm = RENDER_JS
    figure_json = traitlets.Unicode("{}")
    clicked = traitlets.Dict({}).tag(sync=True)
    screen = traitlets.Instance(Screen, allow_none=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._figure: dict[str, Any] = json.loads(self.figure_json)
        self._version = 0
        self._opened = False  # whether a view in the browser has spoken (it then reports draws)
        self._sending = threading.Lock()
        self.on_msg(self._on_view_message)

    @traitlets.observe("figure_json")
    def _figure_changed(self, change: dict[str, Any]) -> None:
        if not hasattr(self, "_sending"):
            return  # set while constructing: read once constructed
        figure = json.loads(change["new"])
        with self._sending:
            changes = figure_changes(self._figure, figure)
            if not changes:
                return
            self._figure = figure
            self._version += 1
            self._note_sent()
            self.send(
                {
                    "kind": "changes",
                    "version": self._version,
                    "base": self._version - 1,
                    "changes": changes,
                }
            )

    def _on_view_message(self, _widget: Any, content: dict[str, Any], _buffers: Any) -> None:
        """A message from a view: asking for the whole figure, or reporting a version drawn.

        A view asks for the whole figure when it has none yet or missed a change.
        """
        self._opened = True
        thread = threading.get_ident()
        page = _page()
        if page is not None:
            if page not in _MESSAGE_THREADS:  # forgotten when the page's kernel closes
                kernel_context.get_current_context().on_close(
                    lambda: _MESSAGE_THREADS.pop(page, None)
                )
            _MESSAGE_THREADS[page] = thread
        if self.screen is not None:
            self.screen.heard(thread)
        if content.get("kind") == "resend":
            with self._sending:
                self._note_sent()
                self.send({"kind": "figure", "version": self._version, "figure": self._figure})
        elif content.get("kind") == "drawn" and self.screen is not None:
            self.screen.drawn(id(self), int(content["version"]))

    def _note_sent(self) -> None:
        # A figure no view has opened yet (its page still loading) is drawn when one opens.
        if self.screen is not None and self._opened:
            self.screen.sent(id(self), self._version)

    def close(self) -> None:
        """Close the widget; its screen no longer waits for it."""
        if self.screen is not None:
            self.screen.forget(id(self))
        super().close()


def to_json(figure: go.Figure | dict[str, Any]) -> str:
    """The figure as plotly JSON: a `go.Figure`, or its plain data (numpy arrays allowed)."""
    if isinstance(figure, go.Figure):
        return pio.to_json(figure, validate=False)
    return to_json_plotly(figure)


def show(
    figure: go.Figure | dict[str, Any],
    on_click: Callable[[dict], None] | None = None,
    screen: Screen | None = None,
) -> None:
    """Draw ``figure``; ``on_click`` receives the clicked point (see `PlotlyView.clicked`).

    ``screen`` is told what the browser has drawn of it (see `Screen`).

    The figure is a `go.Figure` or its plain data (``{"data", "layout"}``, numpy arrays
    allowed). It goes to the component as its JSON text: components re-render when their
    arguments change, and a figure holding numpy arrays cannot be compared reliably.
    """
    PlotlyFigure(to_json(figure), on_click, screen)


@solara.component
def PlotlyFigure(
    figure_json: str,
    on_click: Callable[[dict], None] | None = None,
    screen: Screen | None = None,
) -> None:
    """Draw a figure given as plotly JSON, in the page's dark theme when it has one."""
    dark = viewport.dark.value
    drawn = solara.use_memo(
        lambda: json.dumps(in_the_dark(json.loads(figure_json))) if dark else figure_json,
        [figure_json, dark],
    )
    PlotlyView.element(figure_json=drawn, on_clicked=on_click, screen=screen)


DARK_TEMPLATE = "plotly_dark"
"""Plotly's template for a dark page: the report's figures are drawn on white."""
DARK_PAPER = "#1e1e1e"
"""The figures' background on a dark page: the colour of Solara's dark cards."""
DARK_INKS = {
    "#222222": "#e8e8e8",
    "#3b3b3b": "#9e9e9e",
    "#444444": "#cfcfcf",
    SANKEY_NODE_COLOUR: "#b8bfc9",
    "#555555": "#bdbdbd",
    "#666": "#aaaaaa",
    "#a51d1d": "#ff8a80",
    "rgba(34,34,34,0.6)": "rgba(232,232,232,0.6)",
    "rgba(255,255,255,0.7)": "rgba(30,30,30,0.7)",
    "white": DARK_PAPER,
}
"""Colours the figures draw in on white, unreadable on a dark page, and what replaces each.

White outlines (markers, the network's nodes, the Sankey's nodes) separate a mark from
what it covers on a white page; on a dark one they take the paper's colour, as gaps."""


def in_the_dark(figure: dict[str, Any]) -> dict[str, Any]:
    """``figure`` (plain plotly JSON data) for a dark page: plotly's dark template, light ink.

    The report's figures name some colours outright (near-black lines and text, a white
    behind the intervention labels); those are swapped for light ones (`DARK_INKS`).
    """
    figure = _swap_inks(figure)
    layout = figure.setdefault("layout", {})
    layout["template"] = _dark_template()
    layout["paper_bgcolor"] = layout["plot_bgcolor"] = DARK_PAPER
    return figure


def _swap_inks(value: Any) -> Any:
    """``value`` with every colour of `DARK_INKS` swapped, at any depth."""
    if isinstance(value, dict):
        return {key: _swap_inks(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_swap_inks(item) for item in value]
    if isinstance(value, str):
        return DARK_INKS.get(value.lower().replace(" ", ""), value)
    return value


@cache
def _dark_template() -> dict[str, Any]:
    return json.loads(to_json_plotly(pio.templates[DARK_TEMPLATE].to_plotly_json()))
