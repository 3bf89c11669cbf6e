"""The Mesa model behind the page: a scenario's `AutofinModel`, and a second copy side by side.

`ExploredModel` takes only keyword arguments, as the page's controller re-creates it on reset
from the page's `model_params`. Its main model is exactly the `AutofinModel` that `autofin run`
steps, so with untouched sliders the page's series are those of `autofin run`.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import fields
from functools import cache
from typing import Any

import mesa
from mesa.visualization.utils import update_counter

from autofin.report.runs import Run
from autofin.results.result import Result
from autofin.scenario.schema import Scenario
from autofin.viz import interventions
from autofin.viz.catalog import Catalog
from autofin.viz.live import LiveModel
from autofin.viz.plotly_view import Screen
from autofin.viz.terms import PERCENT_SLIDERS, Terms, contrast_term, fraction, percent
from autofin.world.model import AutofinModel

log = logging.getLogger(__name__)

TERM_NAMES = [f.name for f in fields(Terms)]
PAGE_WAIT_S = 2.0
"""Longest wait (seconds) of a step for the page to rebuild its panels for the step before it."""
BROWSER_WAIT_S = 5.0
"""Longest wait (seconds) of a step for the browser to draw the step before it (the first
draw of a page just opened loads plotly.js too)."""


@cache
def scenario_terms(catalog: Catalog, name: str) -> tuple[Terms, int]:
    """A scenario's terms and seed: where the sliders stand when it is picked."""
    scenario = catalog.load(name)
    return Terms.of(scenario), scenario.seed


@cache
def scenario_about(catalog: Catalog) -> dict[str, tuple[str, str, str]]:
    """Each catalogued scenario's own name, first sentence of description and file name.

    The picker names scenarios so: the catalogue's keys are the files' stems.
    """
    about = {}
    for key, path in catalog.files.items():
        scenario = catalog.load(key)
        description = " ".join((scenario.description or "").split())
        first = description.split(". ")[0].rstrip(".")
        about[key] = (scenario.name, f"{first}." if first else "", path.name)
    return about


class ExploredModel(mesa.Model):
    """A scenario stepping in the browser, with the terms set on the page.

    Args:
        catalog: The scenarios the page may open.
        scenario_name: The scenario to run (a name from the catalogue).
        seed: The seed (None: the scenario's own).
        compare: Also run a second copy from the same seed, stepping in lockstep.
        compare_term_days: The second copy's automaker payment term (None: the page's
            slider's opening value, `terms.contrast_term`).
        compare_platform: Whether the second copy has a reverse-factoring platform.
        **terms: The values of `Terms` fields (None: the scenario's own), rates and ratios in
            percent as the page shows them (`PERCENT_SLIDERS`). The page passes every
            slider; picking a scenario first sets them to its own values (`scenario_terms`),
            so only those moved since differ from the scenario's terms, and only those are
            written into it.
    """

    def __init__(
        self,
        *,
        catalog: Catalog | None = None,
        scenario_name: str | None = None,
        seed: int | None = None,
        automaker_term_days: int | None = None,
        platform: bool | None = None,
        platform_spread_percent: float | None = None,
        platform_onboarded_percent: float | None = None,
        factoring: bool | None = None,
        order_financing: bool | None = None,
        bank_cutoff_pd_percent: float | None = None,
        bank_capital_ratio_percent: float | None = None,
        approval_parallel: bool | None = None,
        reviewers: int | None = None,
        bank_app_traffic: int | None = None,
        compare: bool = False,
        compare_term_days: int | None = None,
        compare_platform: bool | None = None,
    ) -> None:
        catalog = catalog or Catalog.build()
        name = scenario_name or catalog.opening
        given = {
            "automaker_term_days": automaker_term_days,
            "platform": platform,
            "platform_spread": platform_spread_percent,
            "platform_onboarded_share": platform_onboarded_percent,
            "factoring": factoring,
            "order_financing": order_financing,
            "bank_cutoff_pd": bank_cutoff_pd_percent,
            "bank_capital_ratio": bank_capital_ratio_percent,
            "approval_parallel": approval_parallel,
            "reviewers": reviewers,
            "bank_app_traffic": bank_app_traffic,
        }
        scenario = catalog.load(name)
        own = Terms.of(scenario)
        for key in PERCENT_SLIDERS:
            if given[key] is None:
                continue
            # A slider at the scenario's own value (shown rounded) is the value itself, to
            # the last of its decimals; a moved one is its percent as a fraction.
            kept = getattr(own, key)
            given[key] = kept if given[key] == percent(kept) else fraction(given[key])
        # The terms in force: the sliders', the scenario's own where none is given.
        terms = Terms(
            **{key: getattr(own, key) if given[key] is None else given[key] for key in TERM_NAMES}
        )
        moved = terms.changed_from(own)
        if seed is not None and seed != scenario.seed:
            scenario = scenario.model_copy(update={"seed": int(seed)})
        scenario = terms.apply(scenario, moved)
        if compare_term_days is None:
            compare_term_days = contrast_term(terms)
        if compare_platform is None:
            compare_platform = terms.platform
        super().__init__(rng=scenario.seed)
        self.catalog = catalog
        self.scenario_name = name  # the catalogue's key of the scenario running
        self.terms = terms
        self.moved = moved  # the terms moved from the scenario's own
        self.settings: dict[str, Any] = {
            "seed": scenario.seed,
            **terms.page_values(),
            "compare": bool(compare),
            "compare_term_days": int(compare_term_days),
            "compare_platform": bool(compare_platform),
        }
        """The page's settings applied on Reset as this model was built with them, by the
        keys of the page's `model_params` (rates and ratios in percent): the page says which
        sliders have moved from them since (`controls.PendingSettings`)."""
        self.main = AutofinModel(scenario)
        self.twin: AutofinModel | None = None
        if compare:
            self.twin = AutofinModel(
                self._twin_scenario(scenario, terms, compare_term_days, compare_platform)
            )
        self.marks: list[interventions.Intervention] = []
        # The page steps the model in one thread (play) while panels read it in others.
        self.lock = threading.RLock()
        self._results: tuple[int, list[Result]] | None = None
        self._live = [LiveModel(m, self.lock) for m in self.models]
        self._runs: tuple[int, list[Run]] | None = None
        self._drawn = threading.Condition()
        self._drawn_update: int | None = None  # None: no page draws this model
        self.screen = Screen()  # what the browser has drawn of the page's figures
        self.running = scenario.steps > 0

    @staticmethod
    def _twin_scenario(
        scenario: Scenario, terms: Terms, term_days: int, platform: bool | None
    ) -> Scenario:
        """The same scenario and seed with the second copy's terms, named after them."""
        platform = terms.platform if platform is None else platform
        twin_terms = Terms(
            **{
                **{k: getattr(terms, k) for k in TERM_NAMES},
                "automaker_term_days": int(term_days),
                "platform": platform,
            }
        )
        label = f"{scenario.name}.term{int(term_days)}d" + (".platform" if platform else "")
        if label == scenario.name:
            label += ".copy"
        return twin_terms.apply(scenario, twin_terms.changed_from(terms), rename=label)

    # ------------------------------------------------------------------ stepping
    def step(self) -> None:
        """One step of the main model and, in lockstep, of the second copy.

        When a page draws the model, the step first waits (at most `PAGE_WAIT_S`) until the
        page has rebuilt its panels for every update asked of it, and then (at most
        `BROWSER_WAIT_S`) until the browser has drawn them (`Screen`): while playing, Mesa
        steps the model in a thread of its own. A model stepping faster than the server
        rebuilds would keep Solara re-rendering without ever sending a frame (the page froze
        until the run ended); one stepping faster than the browser draws would show only some
        of its steps.

        Past the run's last step it does nothing: the page's controller steps `render_interval`
        times between draws, also past the end.
        """
        if self.main.step_index >= self.main.spec.steps:
            self.running = False
            return
        self._wait_for_page()
        with self.lock:
            self.main.step()
            if self.twin is not None:
                self.twin.step()
            self.running = self.main.step_index < self.main.spec.steps

    def drawn(self, update: int) -> None:
        """Note that the page has drawn the model as of Mesa's update counter ``update``."""
        with self._drawn:
            self._drawn_update = max(update, self._drawn_update or 0)
            self._drawn.notify_all()

    def _wait_for_page(self) -> None:
        if self._drawn_update is None:
            return
        with self._drawn:
            rebuilt = self._drawn.wait_for(
                lambda: (self._drawn_update or 0) >= update_counter.value, timeout=PAGE_WAIT_S
            )
        if not rebuilt:
            log.warning(
                "step %d: the page's panels were not rebuilt within %.0f s; stepping on",
                self.step_index + 1,
                PAGE_WAIT_S,
            )
        if not self.screen.wait(BROWSER_WAIT_S):
            log.warning(
                "step %d: the browser did not draw within %.0f s; stepping on",
                self.step_index + 1,
                BROWSER_WAIT_S,
            )

    @property
    def step_index(self) -> int:
        """Steps run so far."""
        return self.main.step_index

    @property
    def day(self) -> int:
        """Days simulated so far."""
        return self.main.step_index * self.main.spec.step_days

    @property
    def models(self) -> list[AutofinModel]:
        """The main model, then the second copy if there is one."""
        return [self.main] + ([self.twin] if self.twin is not None else [])

    def results(self) -> list[Result]:
        """The full results so far (`AutofinModel.result`): the main model's, then the copy's."""
        with self.lock:
            if self._results is None or self._results[0] != self.step_index:
                self._results = (self.step_index, [m.result() for m in self.models])
            return self._results[1]

    def runs(self) -> list[Run]:
        """The results so far as the panels draw them, labelled by scenario name.

        The same tables as `results`, but each built only when a panel reads it, once a step
        (see `autofin.viz.live`), so that a redraw pays only for what the open tab shows.
        """
        with self.lock:
            if self._runs is None or self._runs[0] != self.step_index:
                self._runs = (
                    self.step_index,
                    [Run(live.result(), live.model.spec.name) for live in self._live],
                )
            return self._runs[1]

    # ------------------------------------------------------------------ live interventions
    def intervene(self, mark: interventions.Intervention) -> None:
        """Record an intervention already applied to the main model (marked on the charts)."""
        with self.lock:
            self.marks.append(mark)
            self._results = None
