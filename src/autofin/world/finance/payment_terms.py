"""Payment-term policies: buyers' terms that change on given days (e.g. a 60-day pledge).

A change applies to invoices issued from the step that contains its day; open invoices keep
the term they were issued with.
"""

from __future__ import annotations

import numpy as np

from autofin.scenario.finance_schema import PaymentTermChange
from autofin.world.firms import Firms, step_of_day


class PaymentTermPolicy:
    """The scheduled term changes, resolved to steps and edges.

    Args:
        changes: The scenario's changes.
        firms: All firms.
        step_days: Days per step.
    """

    def __init__(self, changes: list[PaymentTermChange], firms: Firms, step_days: int) -> None:
        makers = np.flatnonzero(firms.is_automaker)
        customer = firms.edge_customer
        self._changes: dict[int, list[tuple[np.ndarray, int]]] = {}
        for change in changes:
            edges = firms.tier[customer] == change.tier
            if change.automaker is not None:
                edges &= customer == makers[change.automaker]
            step = step_of_day(change.day, step_days)
            term_steps = round(change.payment_term_days / step_days)
            self._changes.setdefault(step, []).append((np.flatnonzero(edges), term_steps))

    @staticmethod
    def longest_term_steps(changes: list[PaymentTermChange], step_days: int) -> int:
        """The longest term any change sets, in steps."""
        return max((round(c.payment_term_days / step_days) for c in changes), default=0)

    def apply(self, firms: Firms, step: int) -> None:
        """Set the terms that change at ``step``."""
        for edges, term_steps in self._changes.get(step, []):
            firms.edge_term_steps[edges] = term_steps
