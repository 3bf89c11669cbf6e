"""The page served by `autofin viz`: controls and Mesa's sliders around an `ExploredModel`.

Solara imports this module in the server process; the scenario to open comes from the
``AUTOFIN_VIZ_SCENARIO`` environment variable (set by `autofin viz`), and the playback
settings from ``AUTOFIN_VIZ_PLAY_INTERVAL`` (milliseconds) and ``AUTOFIN_VIZ_RENDER_INTERVAL``.
"""

from __future__ import annotations

import os

import solara

from autofin.report import figures
from autofin.viz.catalog import Catalog
from autofin.viz.components import PANELS, TABS, Heading, RunFinished, draw
from autofin.viz.explored import ExploredModel, scenario_about, scenario_terms
from autofin.viz.frame import Frame, Layout
from autofin.viz.server import PLAY_INTERVAL_ENV, RENDER_INTERVAL_ENV, SCENARIO_ENV
from autofin.viz.terms import model_params

CATALOG = Catalog.build(os.environ.get(SCENARIO_ENV) or None)
ABOUT = scenario_about(CATALOG)


def params_for(name: str) -> dict:
    """The page's `model_params` with every slider where the scenario ``name`` sets it."""
    terms = model_params(*scenario_terms(CATALOG, name), CATALOG.names, name, ABOUT)
    return {"catalog": CATALOG, **terms}


MODEL_PARAMS = params_for(CATALOG.opening)


def warm_up() -> None:
    """Step a throwaway model once and draw every panel's figure, so the first step is quick.

    The first figure a process draws pays for imports and caches (seconds on a busy machine);
    paying it when the server starts keeps the page's first step as fast as the others.
    """
    model = ExploredModel(catalog=CATALOG)
    model.step()
    for build in WARM_UP_FIGURES:
        draw(build, model.runs())


WARM_UP_FIGURES = (
    figures.defaults_figure,
    figures.banks_figure,
    figures.network_figure,
    figures.flows_sankey,
    figures.finance_figure,
    figures.funnel_figure,
)
warm_up()


__all__ = ["Layout", "Page"]  # Solara lays the page out with this module's `Layout`


@solara.component
def Page() -> None:
    """One model per browser session, so two tabs do not step each other's model."""
    model = solara.use_memo(lambda: ExploredModel(catalog=CATALOG), [])
    Frame(
        model,
        panels=PANELS,
        tabs=TABS,
        model_params=MODEL_PARAMS,
        params_for=params_for,
        heading=Heading,
        status=RunFinished,
        name=f"autofin · {CATALOG.opening}",
        play_interval=int(os.environ.get(PLAY_INTERVAL_ENV, "100")),
        render_interval=int(os.environ.get(RENDER_INTERVAL_ENV, "1")),
    )
