"""What the page's plotly widget sends each step: only the changes, and enough to rebuild."""

from __future__ import annotations

import copy
import json

from autofin.report import figures
from autofin.viz import interventions
from autofin.viz.catalog import Catalog
from autofin.viz.components import banks_in_a_cell, defaults_in_a_cell, draw, fit
from autofin.viz.explored import ExploredModel
from autofin.viz.plotly_view import figure_changes, to_json


def apply(figure, changes):
    """The browser's `applyChanges` (plotly_view.RENDER_JS), step for step, in Python."""
    figure = copy.deepcopy(figure)
    for op, path, value in changes:
        if not path:
            figure = value
            continue
        parent = figure
        for key in path[:-1]:
            parent = parent[key]
        if op == "set":
            parent[path[-1]] = value
        elif op == "extend":
            parent[path[-1]] = parent[path[-1]] + value
        else:
            del parent[path[-1]]
    return figure


def page_figures(model: ExploredModel) -> dict[str, dict]:
    """The first tab's figures as the widget receives them (JSON data)."""
    runs = model.runs()
    built = {
        "defaults": draw(defaults_in_a_cell, runs),
        "banks": draw(banks_in_a_cell, runs),
        "network": fit(draw(figures.network_figure, runs[0]), f"step {model.step_index}"),
    }
    return {name: json.loads(to_json(fit(figure))) for name, figure in built.items()}


def test_a_step_sends_the_appended_points_and_rebuilds_the_figure():
    model = ExploredModel(catalog=Catalog.build())
    model.step()
    before = page_figures(model)
    model.step()
    after = page_figures(model)
    for name in before:
        changes = figure_changes(before[name], after[name])
        assert apply(before[name], changes) == after[name], name
        # Far smaller than the figure: a step adds a point to each series.
        assert len(json.dumps(changes)) < len(json.dumps(after[name])) / 3, name
    series = figure_changes(before["defaults"], after["defaults"])
    appended = [change for change in series if change[0] == "extend"]
    assert appended, "the defaults series grow by extension, not by resending them"
    assert all(len(change[2]) == 1 for change in appended)  # one step: one new point each
    assert ["extend", ["data", 0, "x"], [14]] in series  # day 14, the second weekly step


def test_an_unchanged_figure_sends_nothing_and_a_new_trace_is_sent_whole():
    model = ExploredModel(catalog=Catalog.build())
    for _ in range(2):
        model.step()
    before = page_figures(model)
    assert all(figure_changes(f, copy.deepcopy(f)) == [] for f in before.values())
    with model.lock:
        model.intervene(interventions.force_default(model.main, 5))
    model.step()
    after = page_figures(model)
    for name in before:
        assert apply(before[name], figure_changes(before[name], after[name])) == after[name]
    network = figure_changes(before["network"], after["network"])
    assert any(
        change[1][:1] == ["data"] and "defaulted" in json.dumps(change[2]) for change in network
    ), "the defaulted firm is drawn"
