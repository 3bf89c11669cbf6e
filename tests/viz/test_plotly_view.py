"""What the page's plotly widget sends each step: only the changes, and enough to rebuild."""

from __future__ import annotations

import copy
import json
import re
import threading
import time

import numpy as np

from autofin.report import figures
from autofin.viz import interventions
from autofin.viz.catalog import Catalog
from autofin.viz.components import banks_in_a_cell, defaults_in_a_cell, draw, fit
from autofin.viz.explored import ExploredModel
from autofin.viz.plotly_view import (
    DARK_PAPER,
    PlotlyView,
    Screen,
    figure_changes,
    in_the_dark,
    to_json,
)


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


def test_screen_waits_until_the_browser_has_drawn_what_each_view_was_sent():
    screen = Screen()
    assert screen.wait(0.0)  # nothing sent: nothing to wait for
    screen.sent(1, 4)
    screen.sent(2, 7)
    screen.drawn(2, 6)  # an older version on screen: still waiting for 7
    later = threading.Timer(0.2, lambda: (screen.drawn(1, 4), screen.drawn(2, 7)))
    started = time.monotonic()
    later.start()
    assert screen.wait(10.0)
    assert 0.15 < time.monotonic() - started < 5.0


def test_a_view_that_does_not_draw_in_time_is_not_waited_for_until_it_reports():
    # A browser tab in the background draws nothing: the model plays on without it.
    screen = Screen()
    screen.sent(1, 1)
    assert not screen.wait(0.05)
    screen.sent(1, 2)
    assert screen.wait(0.0)  # asleep: not waited for
    screen.drawn(1, 2)  # back: waited for again
    screen.sent(1, 3)
    assert not screen.wait(0.05)


def from_the_browser(view: PlotlyView, message: dict) -> None:
    """Deliver a view's message as the server does: on a thread of its own, not the player's."""
    delivery = threading.Thread(target=view._on_view_message, args=(view, message, []))
    delivery.start()
    delivery.join()


def test_the_widget_tells_its_screen_what_it_sent_and_what_its_view_drew():
    screen = Screen()
    view = PlotlyView(figure_json=json.dumps({"data": [], "layout": {}}), screen=screen)
    view.figure_json = json.dumps({"data": [], "layout": {"title": {"text": "step 1"}}})
    assert screen.wait(0.0)  # no view has opened the figure yet: nothing to wait for
    from_the_browser(view, {"kind": "resend"})  # a view opens and is sent the whole figure
    assert not screen.wait(0.0)  # version 1, not drawn yet
    from_the_browser(view, {"kind": "drawn", "version": 1})
    assert screen.wait(0.0)
    view.figure_json = json.dumps({"data": [], "layout": {"title": {"text": "step 2"}}})
    assert not screen.wait(0.0)
    view.close()  # a closed view (its tab left) is not waited for
    assert screen.wait(0.0)


def test_a_step_on_the_thread_that_delivers_the_browsers_reports_does_not_wait_for_them():
    # A click on Step is handled on the thread that delivers the views' messages: waiting
    # there for a view's report would hold that report back until the wait ran out.
    screen = Screen()
    screen.heard(threading.get_ident())  # the views' messages are delivered on this thread
    screen.sent(1, 1)
    started = time.monotonic()
    assert screen.wait(5.0)
    assert time.monotonic() - started < 1.0
    elsewhere = []  # the playing thread still waits
    player = threading.Thread(target=lambda: elsewhere.append(screen.wait(0.05)))
    player.start()
    player.join()
    assert elsewhere == [False]


def test_interventions_on_one_day_are_labelled_above_the_plot_one_row_each():
    # Several interventions on one day made one long label, cut after the first; written up
    # the line in full it ran off the bottom of the plot and over the bars.
    from autofin.viz.components import mark_interventions

    model = ExploredModel(catalog=Catalog.build())
    model.step()
    said = [
        "automakers pay in 60 d (63 d in whole 7-day steps)",
        "platform on (spread 0.5%, 100% onboarded)",
        "firm 5 forced into default",
    ]
    marks = [interventions.Intervention(2, 14, label) for label in said]
    figure = mark_interventions(draw(figures.defaults_figure, model.runs()), marks)
    notes = [a for a in figure["layout"]["annotations"] if a.get("hovertext")]
    assert [note["hovertext"] for note in notes] == said
    # Each cut to a third of the day axis's width (94% of 680 px: 38 characters of 5.5 px),
    # at least 24 (cut to 24 in any chart, "pledge_60_days only: au…" hid the change).
    assert [note["text"] for note in notes] == [
        "automakers pay in 60 d (63 d in whole…",
        "platform on (spread 0.5%, 100% onboar…",
        "firm 5 forced into default",
    ]
    narrow = mark_interventions(draw(figures.defaults_figure, model.runs()), marks, 300)
    cut = [a["text"] for a in narrow["layout"]["annotations"] if a.get("hovertext")]
    assert [len(text) for text in cut] == [24, 24, 24]  # "firm 5 forced into defa…"
    # Above the plot (inside it, a label covered the data), one row each: on one day they
    # would be written over one another.
    assert {(note["y"], note["yanchor"]) for note in notes} == {(1, "bottom")}
    assert sorted(note["yshift"] for note in notes) == [0, 12, 24]
    # `fit` makes room for the three rows in the top margin.
    plain = fit(mark_interventions(draw(figures.defaults_figure, model.runs()), []))
    assert fit(figure)["layout"]["margin"]["t"] == plain["layout"]["margin"]["t"] + 36


def day_axis_keys(figure: dict) -> list[str]:
    """The layout keys of a figure's day axes (`xaxis`, `xaxis2`, ...)."""
    return [
        key
        for key, axis in figure["layout"].items()
        if key.startswith("xaxis") and (axis.get("title") or {}).get("text") == figures.DAYS
    ]


def test_an_intervention_label_does_not_stretch_the_day_axis():
    # A label written left of its line made plotly widen the axis to show it: a platform
    # switched on at step 4 stretched "Supply-chain finance" to -22 days.
    from autofin.viz.components import compact_subplots, mark_interventions

    model = ExploredModel(catalog=Catalog.build())
    for _ in range(7):
        model.step()
    marks = [
        interventions.Intervention(4, 28, "platform on (0.5%, 100% onboarded)"),
        interventions.Intervention(5, 35, "firm 5 forced into default"),
    ]
    figure = mark_interventions(compact_subplots(draw(figures.finance_figure, model.runs())), marks)
    day_axes = [figure["layout"][key] for key in day_axis_keys(figure)]
    assert day_axes
    for axis in day_axes:
        low, high = axis["range"]
        assert 0 < low < 7  # the run's days, 7 to 49, and a little room
        assert 49 < high < 56
    # Marks a step apart are labelled at different heights, not over each other.
    notes = [a for a in figure["layout"]["annotations"] if a.get("hovertext")]
    assert len({(a["y"], a.get("yshift", 0)) for a in notes}) == 2


def test_a_first_step_marked_keeps_its_whole_days_and_shows_the_mark():
    # After one step plotly ranged the days 6.6 to 7.4; the figure now sets whole days, and
    # the marks keep them (the axis is pinned to its range, widened to a mark beyond it).
    from autofin.viz.components import mark_interventions

    model = ExploredModel(catalog=Catalog.build())
    model.step()
    for day, (low, high) in ((14, (0, 14)), (21, (0, 21))):
        mark = interventions.Intervention(day // 7, day, "firm 5 forced into default")
        figure = mark_interventions(draw(defaults_in_a_cell, model.runs()), [mark])
        (key,) = day_axis_keys(figure)
        axis = figure["layout"][key]
        assert axis["range"] == [low, high]
        assert axis["autorange"] is False
        assert (axis["tickmode"], axis["tick0"], axis["dtick"]) == ("linear", 0, 7)


def test_a_pinned_day_axis_stays_pinned_in_a_browser_that_drew_it_autoranged():
    # The browser's plotly writes autorange: true into a layout drawn without a range; the
    # page patches that layout, so the range sent with the first mark was widened again
    # (the Banks panel's axis ran to about -100 days as the run went on).
    from autofin.viz.components import compact_subplots, mark_interventions

    model = ExploredModel(catalog=Catalog.build())
    for _ in range(7):
        model.step()
    unmarked = json.loads(to_json(compact_subplots(draw(figures.finance_figure, model.runs()))))
    in_browser = copy.deepcopy(unmarked)
    day_keys = day_axis_keys(unmarked)
    assert day_keys
    for key in day_keys:
        in_browser["layout"][key]["autorange"] = True  # what plotly.js writes when it draws
    marked = mark_interventions(
        compact_subplots(draw(figures.finance_figure, model.runs())),
        [interventions.Intervention(4, 28, "platform on (0.5%, 100% onboarded)")],
    )
    marked = json.loads(to_json(marked))
    patched = apply(in_browser, figure_changes(unmarked, marked))
    for key in day_keys:
        assert patched["layout"][key]["autorange"] is False
        assert patched["layout"][key]["range"] == marked["layout"][key]["range"]


def test_the_procurement_cost_index_axis_spans_at_least_one_percent():
    model = ExploredModel(catalog=Catalog.build())
    for _ in range(3):
        model.step()
    figure = draw(figures.finance_figure, model.runs())
    trace = next(t for t in figure["data"] if t["name"] == "procurement cost index")
    index = np.asarray(trace["y"], dtype=float)
    assert index.max() - index.min() < 0.001  # its noise in the first steps: hundredths of a %
    axis = figure["layout"]["yaxis" + trace["yaxis"][1:]]
    low, high = axis["range"]
    assert high - low > 0.0099
    assert low <= index.min()
    assert index.max() <= high
    assert axis["autorange"] is False  # the browser's plotly keeps the range as it is


def test_a_funnel_dwarfed_by_its_traffic_starts_at_leads_with_each_channels_traffic_named():
    catalog = Catalog.build()
    bank_app = ExploredModel(catalog=catalog, scenario_name="finance_traffic")
    baseline = ExploredModel(catalog=catalog, scenario_name="baseline")
    for model in (bank_app, baseline):
        for _ in range(3):
            model.step()
    funnels = [
        t for t in draw(figures.funnel_figure, bank_app.runs())["data"] if t["type"] == "funnel"
    ]
    # The bank app's traffic (hundreds of thousands) no longer sets the width: every
    # channel's leads are a visible share of the widest bar.
    assert all(t["y"][0] == "leads" for t in funnels)
    widest = max(max(t["x"]) for t in funnels)
    assert all(t["x"][0] > widest / 20 for t in funnels)
    named = {t["name"].split(" (")[0]: t["name"] for t in funnels}
    assert re.fullmatch(r"bank app \([\d,]{7,} traffic\)", named["bank app"])
    # Where traffic and leads are alike, the funnel starts at traffic, as it did.
    ordinary = draw(figures.funnel_figure, baseline.runs())["data"]
    assert all(t["y"][0] == "traffic" for t in ordinary if t["type"] == "funnel")


def test_in_the_dark_marks_are_outlined_in_the_papers_colour_not_white():
    # White outlines separate markers and nodes from what they cover on a white page; on
    # the dark page they drew a white ring round every firm of the network.
    model = ExploredModel(catalog=Catalog.build())
    for _ in range(2):
        model.step()
    network = draw(figures.network_figure, model.runs()[0])
    outlines = {
        json.dumps(trace.get("marker", {}).get("line", {}).get("color"))
        for trace in network["data"]
    }
    assert '"white"' in outlines  # the page on white keeps its white outlines
    dark = in_the_dark(json.loads(to_json(network)))
    colours = json.dumps(dark).lower()
    assert '"white"' not in colours
    marked = [t for t in dark["data"] if t.get("marker", {}).get("line")]
    assert marked
    assert all(t["marker"]["line"]["color"] == DARK_PAPER for t in marked)


def test_in_the_dark_sankey_nodes_are_light_and_take_no_colour_of_the_flow_key():
    # The nodes took the flow key's colours (tier 1 the blue of "trade"); a neutral node must
    # stay apart from the key's colours, and from the paper, on the dark page too.
    model = ExploredModel(catalog=Catalog.build())
    for _ in range(2):
        model.step()
    dark = in_the_dark(json.loads(to_json(draw(figures.flows_sankey, model.runs()[0]))))
    (sankey,) = dark["data"]
    (key,) = [note for note in dark["layout"]["annotations"] if note.get("name")]
    colours = re.findall(r"color:(#[0-9a-f]{6})", key["text"])
    assert len(colours) >= 8

    def distance(one, other):
        rgb = [np.array([int(c[i : i + 2], 16) for i in (1, 3, 5)]) for c in (one, other)]
        return float(np.linalg.norm(rgb[0] - rgb[1]))

    nodes = sankey["node"]["color"]
    for node in [nodes] if isinstance(nodes, str) else nodes:
        assert min(distance(node, colour) for colour in colours) > 60
        assert distance(node, DARK_PAPER) > 200


def test_a_y_axis_title_longer_than_its_axis_is_written_on_two_lines():
    # Centred on a short axis, plotly cut the title at the figure's edge: side by side, the
    # defaults chart's read "lefault rate (% of active firms per step)".
    model = ExploredModel(catalog=Catalog.build())
    model.step()
    figure = fit(draw(defaults_in_a_cell, model.runs()), height=300)
    rate, cumulative = figure["layout"]["yaxis"], figure["layout"]["yaxis2"]
    assert rate["title"]["text"] == "default rate (% of<br>active firms per step)"
    assert rate["automargin"] is True  # room for the second line
    assert cumulative["title"]["text"] == "cumulative defaults (firms)"  # it fits
    tall = fit(draw(defaults_in_a_cell, model.runs()), height=600)
    assert "<br>" not in tall["layout"]["yaxis"]["title"]["text"]
