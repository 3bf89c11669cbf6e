"""Capacity: suppliers expand it when demand presses against it, with a lead time and a price.

A supplier's capacity opens at `suppliers.capacity_slack` × its expected output and does not
follow demand by itself, so a demand surge first meets stock-outs. With
`suppliers.capacity_investment.enabled`, a supplier whose forecast demand exceeds
`utilisation_trigger` × its capacity (installed and on order) orders enough new capacity to
restore its slack; it pays the price when ordering (from cash, drawing its credit line when
short: see the model's settlement) and the capacity produces after `lead_days`.
"""

from __future__ import annotations

import numpy as np

from autofin.scenario.schema import SupplierSpec
from autofin.world.firms import Firms, steps_of


def invest(firms: Firms, spec: SupplierSpec, step: int, step_days: int) -> np.ndarray:
    """Order new capacity where forecast demand presses against capacity.

    Args:
        firms: All firms.
        spec: The suppliers' settings.
        step: The current step.
        step_days: Days per step.

    Returns:
        The price of the capacity each firm ordered this step (0 for most), due now.
    """
    book = firms.capacity_on_order
    if book is None:
        return np.zeros(firms.n)
    invest = spec.capacity_investment
    installed = firms.capacity + book.open_totals()
    demand = firms.order_forecast
    supplier = ~firms.is_automaker & firms.active
    pressing = supplier & (demand > invest.utilisation_trigger * installed)
    added = np.where(pressing, np.maximum(spec.capacity_slack * demand - installed, 0.0), 0.0)
    lead = max(1, steps_of(invest.lead_days, step_days))
    book.book(step, lead, np.arange(firms.n), added)
    return invest.cost_years * added * firms.price * 365.0 / step_days
