"""Capacity: suppliers expand it when demand presses against it, with a lead time and a price.

A supplier's capacity opens at `suppliers.capacity_slack` × its expected output and does not
follow demand by itself, so a demand surge first meets stock-outs. With
`suppliers.capacity_investment.enabled`, a supplier whose lasting demand (orders received,
smoothed over `demand_days`) exceeds `utilisation_trigger` × its capacity (installed and on
order) orders enough new capacity to restore its slack, at most `MAX_ROUND` of what it has;
while capacity is on order it orders no more, so a large expansion comes in rounds. By
`capacity_investment.financing`: with `house_line` its house bank, if sound and the firm's line
is open, raises the firm's committed line by the price of the capacity and the working capital
the added output needs, and the firm pays from cash and by drawing on that line; with `cash` it
pays from cash above its buffer only. Either way it orders only what it can pay (an order it
cannot pay when settling is cancelled); the new capacity produces after `lead_days`. Capacity
bought this way is an asset (it counts in the firm's leverage), and a firm short of capacity
pays no dividends.

Known weakness (issue 9): line draws are 90-day loans rolled over while the line stays open, so
plant is financed short. Under a large surge the bullwhip trough that follows (customers whose
supply line is full of backlog stop ordering) cuts revenue, reviews freeze lines, and the
investing suppliers cannot repay: in `tests/world/test_supply_chain.py`'s small market with a
bank app four times as large, three years, the chain collapses (1,096 sold, 2,380 lost; every
supplier defaults by week 80), while free capacity (`cost_years: 0`) sells 3,590 and loses none,
and `cash` financing keeps the chain alive but adds almost no capacity (3,040 sold, 482 lost).
Term finance matching the plant's life is what is missing.
"""

from __future__ import annotations

import numpy as np

from autofin.scenario.schema import SupplierSpec
from autofin.world.banks import Banks
from autofin.world.firms import Firms, steps_of
from autofin.world.ledger import Ledger

MAX_ROUND = 0.25
"""Largest expansion in one round, as a share of installed capacity."""


def wanted(firms: Firms, spec: SupplierSpec, step_days: int) -> np.ndarray:
    """Capacity each supplier wants to add now (units per step; 0 for most)."""
    book = firms.capacity_on_order
    if book is None:
        return np.zeros(firms.n)
    installed = firms.capacity + book.open_totals()
    # Capacity follows lasting demand: the orders received, smoothed over `demand_days`.
    weight = min(1.0, step_days / max(spec.capacity_investment.demand_days, 1))
    firms.lasting_demand += weight * (firms.order_forecast - firms.lasting_demand)
    demand = firms.lasting_demand
    building = installed > firms.capacity
    supplier = ~firms.is_automaker & firms.active & ~building
    pressing = supplier & (demand > spec.capacity_investment.utilisation_trigger * installed)
    firms.retaining = pressing
    gap = np.minimum(spec.capacity_slack * demand - installed, MAX_ROUND * installed)
    return np.where(pressing, np.maximum(gap, 0.0), 0.0)


def price_per_unit(firms: Firms, spec: SupplierSpec, step_days: int) -> np.ndarray:
    """Price of one unit per step of new capacity: `cost_years` of the revenue it makes."""
    return spec.capacity_investment.cost_years * firms.price * 365.0 / step_days


def invest(
    firms: Firms,
    banks: Banks,
    ledger: Ledger,
    spec: SupplierSpec,
    step: int,
    step_days: int,
) -> np.ndarray:
    """Order new capacity where forecast demand presses against capacity.

    Args:
        firms: All firms.
        banks: The banks (house banks extend the lines that finance the expansion).
        ledger: The ledger.
        spec: The suppliers' settings.
        step: The current step.
        step_days: Days per step.

    Returns:
        The price of the capacity each firm ordered this step (0 for most), due now.
    """
    book = firms.capacity_on_order
    if book is None:
        return np.zeros(firms.n)
    added = wanted(firms, spec, step_days)
    unit_price = price_per_unit(firms, spec, step_days)
    working_capital = banks.spec.line_limit_days * firms.price / step_days
    cash = ledger.balance[: firms.n]
    budget = np.maximum(cash - firms.cash_target, 0.0)
    if spec.capacity_investment.financing == "house_line":
        sound = banks.capital_ratio(ledger) >= banks.spec.min_capital_ratio
        bank = firms.house_bank
        open_line = ~banks.line_frozen & sound[bank] & ~banks.failed[bank]
        extension = np.where(open_line, added * (unit_price + working_capital), 0.0)
        banks.line_contract += extension
        banks.line_limit += extension
        budget = budget + banks.undrawn(firms)
    added = np.minimum(added, budget / np.maximum(unit_price + working_capital, 1e-300))
    firms.capacity_ordered = added
    book.book(step, _lead(spec, step_days), np.arange(firms.n), added)
    return added * unit_price


def cancel(firms: Firms, spec: SupplierSpec, step: int, step_days: int, rows: np.ndarray) -> None:
    """Cancel this step's capacity orders of the firms in ``rows`` (they could not pay)."""
    if firms.capacity_on_order is None or rows.size == 0:
        return
    firms.capacity_on_order.book(step, _lead(spec, step_days), rows, -firms.capacity_ordered[rows])
    firms.capacity_ordered[rows] = 0.0


def _lead(spec: SupplierSpec, step_days: int) -> int:
    return max(1, steps_of(spec.capacity_investment.lead_days, step_days))
