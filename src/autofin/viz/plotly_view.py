"""A lean plotly view for the page: one JSON message and one `Plotly.react` per redraw.

Solara's `FigurePlotly` validates every trace in Python (plotly's `FigureWidget`) and sends
three messages per redraw (layout, add traces, delete traces). While the model plays, that
outpaces a busy browser, which then queues redraws until it hangs. This widget sends the
figure's JSON once, and the browser draws at most once per animation frame, always the newest
figure it has received. Plotly.js comes from the plotly package on disk, so nothing is fetched.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

import anywidget
import plotly.graph_objects as go
import plotly.io as pio
import solara
import traitlets
from plotly.io.json import to_json_plotly

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

async function render({ model, el }) {
  await loadPlotly();
  const plot = document.createElement("div");
  plot.style.width = "100%";
  el.appendChild(plot);
  const config = { displaylogo: false, responsive: true };
  let scheduled = false;
  let listening = false;
  let drawn = [];  // the traces drawn last, with their JSON text
  function draw() {
    scheduled = false;
    const figure = JSON.parse(model.get("figure_json") || "{}");
    // A trace whose JSON is unchanged is passed as the very object drawn last: plotly.js then
    // knows its data did not change and does not recompute or redraw it.
    const traces = (figure.data || []).map((trace, i) => {
      const text = JSON.stringify(trace);
      const last = drawn[i];
      return last && last.text === text ? last : { text, trace };
    });
    drawn = traces;
    const data = traces.map((item) => item.trace);
    window.Plotly.react(plot, data, figure.layout || {}, config);
    if (!listening && plot.on) {
      listening = true;
      plot.on("plotly_click", (event) => {
        const point = event.points[0];
        model.set("clicked", {
          curve: point.curveNumber,
          point: point.pointNumber,
          text: String(point.text || ""),
        });
        model.save_changes();
      });
    }
  }
  // Figures that arrive faster than the browser draws are coalesced: one draw per frame,
  // always of the newest figure.
  function update() {
    if (!scheduled) {
      scheduled = true;
      requestAnimationFrame(draw);
    }
  }
  model.on("change:figure_json", update);
  draw();
  // A figure first drawn before its cell is laid out (a tab being opened) takes plotly's
  // default width; follow the cell's size instead.
  const observer = new ResizeObserver(() => {
    if (plot.data) window.Plotly.Plots.resize(plot);
  });
  observer.observe(el);
  return () => {
    observer.disconnect();
    window.Plotly.purge(plot);
  };
}
export default { render };
"""


PLOTLY_JS_DIR = Path(str(files("plotly").joinpath("package_data")))
"""Folder of the plotly package's own plotly.min.js, served by `autofin viz` as a static asset."""


class PlotlyView(anywidget.AnyWidget):
    """A plotly figure drawn in the browser from its JSON.

    Attributes:
        figure_json: The figure, as plotly JSON.
        clicked: The last point clicked: ``curve`` (trace), ``point`` (index) and ``text``.
    """

    _esm = RENDER_JS
    figure_json = traitlets.Unicode("{}").tag(sync=True)
    clicked = traitlets.Dict({}).tag(sync=True)


def show(
    figure: go.Figure | dict[str, Any], on_click: Callable[[dict], None] | None = None
) -> None:
    """Draw ``figure``; ``on_click`` receives the clicked point (see `PlotlyView.clicked`).

    The figure is a `go.Figure` or its plain data (``{"data", "layout"}``, numpy arrays
    allowed). It goes to the component as its JSON text: components re-render when their
    arguments change, and a figure holding numpy arrays cannot be compared reliably.
    """
    if isinstance(figure, go.Figure):
        text = pio.to_json(figure, validate=False)
    else:
        text = to_json_plotly(figure)
    PlotlyFigure(text, on_click)


@solara.component
def PlotlyFigure(figure_json: str, on_click: Callable[[dict], None] | None = None) -> None:
    """Draw a figure given as plotly JSON."""
    PlotlyView.element(figure_json=figure_json, on_clicked=on_click)
