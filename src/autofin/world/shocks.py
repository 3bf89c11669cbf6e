"""Scheduled shocks: forced supplier defaults and changes in consumer demand."""

from __future__ import annotations

import numpy as np

from autofin.scenario.schema import DemandShock, ForceDefault, Scenario
from autofin.world.firms import Firms, step_of_day


class Shocks:
    """The scenario's shocks, resolved to firms and steps.

    A shock on day ``d`` happens in the step that contains it, ``ceil(d / step_days)``
    (step 1 at the earliest). Forced defaults pick their firm by its rank in the tier at
    day 0, when the model builds the shocks after the warm-up: firms still trading come
    first, the largest by expected revenue first.
    """

    def __init__(self, scenario: Scenario, firms: Firms) -> None:
        step_days = scenario.step_days
        revenue = firms.price * firms.expected_output
        self._forced: dict[int, list[int]] = {}
        self._demand: list[tuple[int, int, float]] = []
        for shock in scenario.shocks:
            if isinstance(shock, ForceDefault):
                in_tier = np.flatnonzero(firms.tier == shock.tier)
                # Firms that defaulted in the warm-up rank after every firm still trading.
                order = np.lexsort((-revenue[in_tier], ~firms.active[in_tier]))
                ranked = in_tier[order]
                step = step_of_day(shock.day, step_days)
                self._forced.setdefault(step, []).append(int(ranked[shock.rank - 1]))
            elif isinstance(shock, DemandShock):
                self._demand.append((shock.day, shock.day + shock.duration_days, shock.factor))
        self.step_days = step_days

    def force_default(self, step: int, firm: int) -> None:
        """Force ``firm`` into default at ``step`` (a live intervention from the browser view)."""
        self._forced.setdefault(step, []).append(int(firm))

    def add_demand_shock(self, start_day: int, end_day: int, factor: float) -> None:
        """Multiply consumer demand by ``factor`` from ``start_day`` until ``end_day``."""
        self._demand.append((start_day, end_day, factor))

    def target_of(self, step: int) -> list[int]:
        """Firms forced into default at ``step``."""
        return self._forced.get(step, [])

    def due(self, step: int) -> tuple[np.ndarray, float]:
        """Firms forced into default at ``step``, and the demand multiplier in force."""
        day = step * self.step_days
        factor = 1.0
        for start, end, multiplier in self._demand:
            if start <= day < end:
                factor *= multiplier
        return np.array(self._forced.get(step, []), dtype=np.int64), factor
