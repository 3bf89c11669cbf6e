"""The page's controls: Reset, play/pause and Step, and the scenario picker.

`Controller` steps the model as Mesa's `ModelController` does (a task plays it in a thread of
its own, `render_interval` steps between redraws), but says when the run has ended: Mesa's
kept its pause button, greyed, at the end of a run, as if the run were stuck. `ScenarioPicker`
names each scenario by its own name and what it is (Mesa's select listed the catalogue's
keys, the files' stems), and a scenario picked but not loaded yet says that Reset loads it.
`PendingSettings` says so of the other settings applied on Reset (Mesa's sliders), naming each
slider moved from the value the running model was built with.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import mesa
import solara
import solara.lab
from mesa.visualization.utils import force_update

log = logging.getLogger(__name__)

PLAY, PAUSE = "▶", "❚❚"
"""The play button's labels (Mesa's)."""


@solara.component
def Controller(
    model: solara.Reactive[mesa.Model],
    model_parameters: solara.Reactive[dict],
    play_interval: solara.Reactive[int],
    render_interval: solara.Reactive[int],
) -> None:
    """Reset, ▶/❚❚ and Step; at the run's end ▶ (not ❚❚) and Step are greyed.

    Args:
        model: The model shown; Reset replaces it with one built from ``model_parameters``.
        model_parameters: The keyword arguments of the model's class, as the sliders set them.
        play_interval: Milliseconds between steps while playing.
        render_interval: Steps between redraws.
    """
    playing = solara.use_reactive(False)
    running = solara.use_reactive(True)
    error = solara.use_reactive(None)

    def advance(while_playing: bool) -> None:
        """``render_interval`` steps (fewer at the run's end or once paused), then a redraw."""
        for _ in range(render_interval.value):
            model.value.step()
            running.value = model.value.running
            if not running.value or (while_playing and not playing.value):
                break
        force_update()

    def play() -> None:
        try:
            while running.value and playing.value:
                time.sleep(play_interval.value / 1000)
                advance(while_playing=True)
        except Exception as caught:  # the page says it; the server's log has the traceback
            log.exception("error in step")
            error.set(f"error in step: {caught}")
        if not running.value:
            playing.set(False)  # the run has ended: nothing plays any more

    solara.lab.use_task(play, dependencies=[playing.value, running.value], prefer_threaded=True)

    def reset() -> None:
        error.set(None)
        playing.set(False)
        running.set(True)
        model.set(type(model.value)(**model_parameters.value))
        running.set(model.value.running)

    ended = not running.value
    with solara.Row(justify="space-between"):
        solara.Button(label="Reset", color="primary", on_click=reset)
        solara.Button(
            label=PAUSE if playing.value else PLAY,
            color="primary",
            on_click=lambda: playing.set(not playing.value),
            disabled=ended,
            classes=["autofin-play"],
        )
        solara.Button(
            label="Step",
            color="primary",
            on_click=lambda: advance(while_playing=False),
            disabled=playing.value or ended,
        )
    if error.value:
        solara.Error(label=error.value)


@solara.component
def ScenarioPicker(
    spec: dict,
    picked: str,
    on_pick: Callable[[str], None],
) -> None:
    """A select of the scenarios, each by its name and description, its file in the hint.

    Args:
        spec: The ``scenario_name`` entry of the page's `model_params`: its ``values`` (the
            catalogue's keys) and ``about``, each key's (name, description, file name).
        picked: The key picked.
        on_pick: Called with the key picked.
    """
    about = spec.get("about", {})

    def described(key: str) -> str:
        name, description, _ = about.get(key, (key, "", ""))
        return f"{name}: {description}" if description else name

    name, description, file = about.get(picked, (picked, "", ""))
    solara.v.Select(
        label=spec.get("label", "Scenario"),
        v_model=picked,
        on_v_model=on_pick,
        items=[{"text": described(key), "value": key} for key in spec["values"]],
        hint=f"{description} (file: {file})" if description else f"file: {file}",
        persistent_hint=True,
        menu_props={"contentClass": "autofin-scenario-menu", "maxHeight": 520},
        v_slots=[{"name": "selection", "children": [solara.v.Html(tag="span", children=[name])]}],
        class_="autofin-scenario-picker",
    )


@solara.component
def PendingScenario(about: dict, picked: str, loaded: str | None) -> None:
    """Says that a scenario picked in the picker is loaded by Reset, until it is."""
    if loaded is None or picked == loaded:
        return
    name = about.get(picked, (picked,))[0]
    running = about.get(loaded, (loaded,))[0]
    solara.Warning(
        f"{name} is picked: press Reset to load it ({running} is running).",
        dense=True,
        classes=["autofin-pending"],
    )


def moved_settings(specs: dict, values: dict, base: dict) -> list[tuple[str, str, str]]:
    """The settings applied on Reset whose values differ from ``base``, as the sidebar says them.

    A setting a switch governs (a platform's spread, the second copy's term) is named only
    when Reset puts it in effect, its switch on in ``values``: with the switch off it changes
    nothing. A switch turned off is named, without what it governs.

    Args:
        specs: The page's `model_params`: each slider's or switch's ``type``, ``label`` and
            ``governed_by`` switches if any (`terms.model_params`); fixed arguments and the
            scenario picker, which says so itself, are left out.
        values: The settings as the sliders stand (Mesa's model parameters).
        base: The settings to compare with: the running model's (`ExploredModel.settings`)
            or a picked scenario's own.

    Returns:
        Each moved setting's label, its value in ``base`` and its value now ("on"/"off" for a
        switch), in the sidebar's order.
    """
    moved = []
    for key, spec in specs.items():
        if key == "scenario_name" or not isinstance(spec, dict) or "type" not in spec:
            continue
        if key not in values or key not in base or not in_effect(key, specs, values):
            continue
        old, new = base[key], values[key]
        if _said(old) != _said(new):
            moved.append((spec.get("label", key), _said(old), _said(new)))
    return moved


def in_effect(key: str, specs: dict, values: dict) -> bool:
    """Whether a setting takes effect with ``values``.

    It does when it has no ``governed_by`` switches, or when one of them is on and in effect
    itself (the second copy's platform only side by side).
    """
    switches = specs[key].get("governed_by", ()) if isinstance(specs[key], dict) else ()
    return not switches or any(
        bool(values.get(switch)) and in_effect(switch, specs, values) for switch in switches
    )


def _said(value: Any) -> str:
    """A setting's value as the sign says it: a switch on or off, a number as its slider's."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float) and not value.is_integer():
        return f"{round(value, 6):g}"
    if isinstance(value, int | float):
        return f"{int(value):,}"
    return str(value)


@solara.component
def PendingSettings(moved: list[tuple[str, str, str]], scenario: str | None = None) -> None:
    """Says which settings moved in the sidebar Reset applies, each as "old → new", until it does.

    Args:
        moved: Each moved setting's label, old and new value (`moved_settings`).
        scenario: The scenario picked but not running yet, whose own settings they moved from
            (None: they moved from the running model's).
    """
    if not moved:
        return
    if scenario is None:
        heading = "Press Reset to apply (the run uses the old values):"
    else:
        heading = f"Reset loads {scenario} with these settings changed:"
    solara.Warning(
        dense=True,
        classes=["autofin-pending-settings"],
        children=[
            solara.v.Html(tag="div", children=[heading]),
            solara.v.Html(
                tag="ul",
                class_="autofin-pending-list",
                children=[
                    solara.v.Html(
                        tag="li",
                        children=[
                            f"{label}: ",
                            solara.v.Html(tag="b", children=[f"{old} → {new}"]),
                        ],
                    )
                    for label, old, new in moved
                ],
            ),
        ],
    )
