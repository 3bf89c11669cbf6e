"""The page's frame: the controls and Mesa's sliders in the sidebar, the panels in named tabs.

Mesa's `SolaraViz` composes its `ModelController` (Reset, play/pause, Step) and
`ModelCreator` (the `model_params` sliders, applied on Reset) with tabs it names "Page 0",
"Page 1" and a "Use Threads" switch. This frame composes Mesa's `ModelCreator` with the
page's own `controls.Controller` (Mesa's, saying when the run has ended) and
`controls.ScenarioPicker`, with tabs named after what they show and without that switch:
stepping in a thread of its own is what the page does anyway (the controller plays the model
in a thread, and `ExploredModel.step` waits for the page to have drawn the step before).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import mesa
import solara
import solara.lab
from mesa.visualization.solara_viz import ModelCreator, make_initial_grid_layout

from autofin.viz import viewport
from autofin.viz.controls import (
    Controller,
    PendingScenario,
    PendingSettings,
    ScenarioPicker,
    moved_settings,
)

SIDEBAR_PX = 320
"""The sidebar's width (Solara's is at least 400 px): at 1440 and 1366 px the main area then has
room for two columns of panels (`viewport.TWO_COLUMNS_PX`), and the first chart sits beside the
live interventions, in sight on opening (under them, in one column, it was below the fold)."""

SIDEBAR_CSS = (
    ".v-navigation-drawer.solara-content-main { "
    f"width: {SIDEBAR_PX}px !important; min-width: {SIDEBAR_PX}px !important; "
    f"max-width: {SIDEBAR_PX}px !important; }}"
)

PAGE_CSS = """
/* A slider shows its value beside its track at all times (Vuetify shows it only while
   dragged), so that a term set on the page can be read before Reset applies it. */
.v-slider__thumb-label-container { display: block !important; }
.v-input__slider { padding-top: 6px; }
/* A slider's label sits on its own line above a full-width track, its value between them:
   beside a long label (or a button) the track was squeezed to a few pixels and could not be
   dragged. A label of two lines is as high as they are (Vuetify's 20 px put its second line
   under the value). */
.v-input__slider .v-input__slot { flex-wrap: wrap; }
.v-input__slider .v-input__slot > .v-label {
  flex: 1 0 100%; max-width: 100%; white-space: normal; margin-bottom: 30px; height: auto;
}
/* A card's title wraps between words (Vuetify breaks it anywhere: "apply o / n Reset"). */
.v-card__title { word-break: normal; }
/* The track fits its line with its margins (Vuetify's 8 px each side): at 100% it ran 8 px
   past its card or cell, the Sankey's into the next column. */
.v-input__slider .v-input__slot > .v-slider {
  flex: 1 0 calc(100% - 16px); max-width: calc(100% - 16px);
}
/* Room under the panels for Solara's badge, which is fixed at the bottom of the window. */
.v-window { padding-bottom: 48px; }
/* The tabs share the bar, their names on two lines if need be: in a narrow main area they
   scrolled sideways and the first one's name was cut. */
.autofin-tabs .v-slide-group__content { flex: 1 1 0; min-width: 0; }
.autofin-tabs .v-slide-group__prev, .autofin-tabs .v-slide-group__next { display: none; }
.autofin-tabs .v-tab { flex: 1 1 0; min-width: 0; max-width: none; white-space: normal; }
/* A panel taller than its cell scrolls inside it instead of spilling over the next one, with
   a scrollbar in sight (a browser's overlay scrollbar shows only while scrolling). */
.autofin-scrolling { height: 100%; overflow-y: auto; flex-wrap: nowrap; }
.autofin-scrolling::-webkit-scrollbar { width: 10px; }
.autofin-scrolling::-webkit-scrollbar-thumb { background: #9e9e9e; border-radius: 5px; }
.autofin-scrolling::-webkit-scrollbar-track { background: rgba(128, 128, 128, 0.15); }
/* A clicked firm's sheet floats at the window's lower right, over the page but not blocking
   it: Step, Play and the network stay at hand while it follows the run. */
.autofin-sheet-dialog {
  position: fixed; right: 16px; bottom: 16px; margin: 0;
  max-width: min(460px, calc(100vw - 32px)) !important;
}
/* A slider with no value bubble (thumb_label off: its value is in its label) needs no room
   for one under its label. */
.autofin-compact .v-input__slider .v-input__slot > .v-label { margin-bottom: 4px; }
.autofin-compact .v-input__slider { padding-top: 0; }
.autofin-compact .v-input { margin-top: 0; }
.autofin-compact .v-messages { display: none; }
/* The scenario picker's list: each scenario's name and description, wrapped, over the main
   area (as wide as the sidebar, each took four lines). */
.autofin-scenario-menu { min-width: 560px !important; max-width: 560px !important; }
.autofin-scenario-menu .v-list-item__title { white-space: normal; line-height: 1.35; }
.autofin-scenario-menu .v-list-item { min-height: 40px; }
.autofin-scenario-picker { margin-bottom: 8px; }
/* The settings Reset applies, one a line, indented little: the sidebar is narrow. */
.autofin-pending-list { padding-left: 16px !important; margin: 4px 0 0; font-size: 13px; }
.autofin-pending-list li { line-height: 1.35; margin-top: 2px; }
/* In a wide window Reset, play and Step, with the signs of what Reset applies above them, stay
   at the top of the sidebar as its settings scroll under them (the signs scrolled away with
   Reset, and a slider moved far down said nothing in sight); opaque, above the sliders. Past
   a few lines the list of moved settings scrolls in its sign: the sliders keep the rest. */
.autofin-sidebar-controls { position: sticky; top: 0; z-index: 6; }
.autofin-sidebar-controls .autofin-pending-list { max-height: 30vh; overflow-y: auto; }
/* In a narrow window Reset, play and Step sit in a bar at the top of the main area that stays
   there as the panels scroll under it (they scrolled away with the page); opaque, above the
   panels' cells. The main area's 12-px padding is inside the sticky edge: -12 px puts the
   bar at the area's top. */
.autofin-controls {
  position: sticky; top: -12px; z-index: 6; padding: 6px 0;
  border-bottom: 1px solid rgba(128, 128, 128, 0.3);
}
"""

Panel = (
    tuple[Callable[[mesa.Model], solara.Element], int]
    | tuple[Callable[[mesa.Model], solara.Element], int, int | Callable[[], int]]
)
"""A panel (a component drawing the model), the index of the tab it is on and, optionally,
the rows of the grid its cell spans (`ROWS` if not said), or a function giving them as the page
stands (a cell fitted to its content: the function reads what the page measured, and the
panels are laid out again when that changes)."""
ROWS = viewport.CELL_ROWS
"""Rows of the grid a panel's cell spans: Mesa's 10 rows of 30 px, 390 px with their margins."""


@solara.component
def Frame(
    model: mesa.Model,
    panels: Sequence[Panel],
    tabs: Sequence[str],
    model_params: dict,
    name: str,
    play_interval: int = 100,
    render_interval: int = 1,
    params_for: Callable[[str], dict] | None = None,
    heading: Callable[[mesa.Model], solara.Element] | None = None,
    status: Callable[[mesa.Model], solara.Element] | None = None,
) -> None:
    """The whole page: the controls and model parameters in the sidebar, the panels by tab.

    Args:
        model: The model shown first (Reset replaces it with one built from `model_params`).
        panels: The panels and the tab each is on.
        tabs: The tabs' names, by index.
        model_params: Mesa's `model_params`: sliders and switches, and fixed arguments.
        name: The page's title.
        play_interval: Milliseconds between steps while playing.
        render_interval: Steps between redraws.
        heading: A component drawing the app bar's title for the model shown (``name`` if
            omitted).
        status: A component drawn under the controls for the model shown (the run's end).
        params_for: The `model_params` for a scenario picked in the ``scenario_name`` select
            (drawn by `ScenarioPicker`): picking one rebuilds the sliders where that scenario
            sets them (Mesa's `ModelCreator` takes its values once, when it is built, so it is
            built anew).
    """
    shown = solara.use_reactive(model)
    parameters = solara.use_reactive({})
    play = solara.use_reactive(play_interval)
    render = solara.use_reactive(render_interval)

    picker = model_params.get("scenario_name")
    opening = picker["value"] if picker else None
    picked = parameters.value.get("scenario_name", opening)

    def params_of(name: str) -> dict:
        return model_params if params_for is None or name == opening else params_for(name)

    shown_params = solara.use_memo(lambda: params_of(picked), [picked])
    # The scenario goes to the model as a fixed argument: the picker is the page's own.
    sliders = {**shown_params, "scenario_name": picked} if picker else shown_params

    def pick(name: str) -> None:
        if name == picked:  # the sliders stay as they are (they are rebuilt for a new pick)
            return
        # The sliders go to the picked scenario's values (as the sliders rebuilt for it set
        # them once drawn): until then the old sliders' values read as moved from its own.
        parameters.set({**own_values(params_of(name)), "scenario_name": name})

    solara.Style(SIDEBAR_CSS + PAGE_CSS)
    with solara.AppBar():
        if heading is None:
            solara.AppBarTitle(name)
        else:
            heading(shown.value)
        solara.lab.ThemeToggle()

    def controls() -> None:
        loaded = getattr(shown.value, "scenario_name", None)
        if picker:
            PendingScenario(picker.get("about", {}), picked, loaded)
        running = getattr(shown.value, "settings", None)
        if running is not None and parameters.value:
            # A scenario picked but not loaded yet: the sliders moved from its own values
            # (picking it set them there); else those moved from the running model's.
            pending = picker is not None and loaded is not None and picked != loaded
            base = own_values(shown_params) if pending else running
            about = picker.get("about", {}) if picker else {}
            PendingSettings(
                moved_settings(shown_params, parameters.value, base),
                scenario=about.get(picked, (picked,))[0] if pending else None,
            )
        Controller(shown, parameters, play, render)
        if status is not None:
            status(shown.value)

    # In a narrow window the sidebar starts closed (`Layout`): Reset, play and Step then sit
    # above the panels, where they can be reached without opening it.
    wide = viewport.use_wide_at_opening()
    with solara.Sidebar(), solara.Column():
        # At the top of the sidebar as the settings scroll under them (`PAGE_CSS`): the sign
        # of a slider moved far down is in sight, with Reset. In a narrow window the card is
        # hidden, not left out: the cards below keep their places, and their sliders are not
        # built anew when the window, once measured, turns out narrow.
        with solara.Card(classes=["autofin-sidebar-controls" if wide else "d-none"]):
            if wide:
                controls()
        with solara.Card("Playback"):
            solara.SliderInt(label="Play interval (ms)", value=play, min=1, max=500, step=1)
            solara.SliderInt(
                label="Render interval (steps between redraws)",
                value=render,
                min=1,
                max=100,
                step=1,
            )
        with solara.Card("Model parameters (apply on Reset)"):
            if picker:
                ScenarioPicker(shown_params["scenario_name"], picked, pick)
            ModelCreator(shown, sliders, model_parameters=parameters).key(f"params-{picked}")
    viewport.Measure()
    if not wide:
        # A bar across the main area that stays at its top as the panels scroll under it, so
        # that Pause and Step are at hand beside a chart far down (`PAGE_CSS`).
        with (
            solara.Column(classes=["autofin-controls"]),
            solara.Column(gap="4px", style={"max-width": "420px"}),
        ):
            controls()
    Tabs(shown.value, panels, tabs)


@solara.component
def Layout(children: list) -> solara.Element:
    """Solara's page layout, its sidebar open by itself only in a wide window.

    Solara draws the page's sidebar open, whatever the window; at 1024 px it left the
    panels too little room. Its menu button opens and closes it either way; resizing the
    window does not (the controls stay where the page opened with them, `Frame`).
    """
    # The hook before the return: Solara's check of the rules of hooks warned of one inside it.
    sidebar_open = viewport.use_wide_at_opening()
    return solara.AppLayout(children=children, sidebar_open=sidebar_open)


@solara.component
def Tabs(model: mesa.Model, panels: Sequence[Panel], tabs: Sequence[str]) -> None:
    """The panels in named tabs; only the open tab's panels are drawn (and redraw)."""
    current, set_current = solara.use_state(0)
    # The panels as the user has sized them, by tab and number of columns.
    layouts, set_layouts = solara.use_state({})
    width = viewport.columns()
    with solara.v.Tabs(v_model=current, on_v_model=set_current, class_="autofin-tabs"):
        for title in tabs:
            solara.v.Tab(children=[title])
    with solara.v.Window(v_model=current):
        for index in range(len(tabs)):
            with solara.v.WindowItem():
                if index != current:
                    continue
                members = [panel for panel in panels if panel[1] == index]

                def on_layout(layout: list, index: int = index) -> None:
                    set_layouts(lambda old: {**old, (index, width): layout})

                rows = [cell_rows(panel) for panel in members]
                # Not draggable: a cell that moves with the mouse took every drag that began
                # in it, so its sliders could not be dragged (only clicked) and a chart not
                # zoomed with a drag. Resized from its corner, it keeps its place.
                solara.GridDraggable(
                    items=[panel[0](model) for panel in members],
                    grid_layout=layouts.get((index, width)) or initial_layout(rows, width),
                    resizable=True,
                    draggable=False,
                    on_grid_layout=on_layout,
                )


def cell_rows(panel: Panel) -> int:
    """The rows of the grid a panel's cell spans now."""
    rows = panel[2] if len(panel) > 2 else ROWS
    return rows() if callable(rows) else rows


def own_values(params: dict) -> dict:
    """The model parameters before any slider is moved: fixed arguments, sliders' values.

    Mesa's `ModelCreator` starts its model parameters so.
    """
    return {
        key: spec["value"] if isinstance(spec, dict) and "type" in spec else spec
        for key, spec in params.items()
    }


def initial_layout(rows: Sequence[int], columns: int) -> list[dict]:
    """The panels' first arrangement: Mesa's two columns, or one panel under another.

    Each panel's cell spans its ``rows`` of the grid; a panel is under the one before it in
    its column.
    """
    if columns > 1:
        layout = make_initial_grid_layout(len(rows))
    else:
        layout = [{"i": i, "w": 12, "moved": False, "x": 0} for i in range(len(rows))]
    tops: dict[int, int] = {}  # each column's first free row
    for cell, height in zip(layout, rows, strict=True):
        cell["h"] = height
        cell["y"] = tops.get(cell["x"], 0)
        tops[cell["x"]] = cell["y"] + height
    return layout
