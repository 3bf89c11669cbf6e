"""Capacity: suppliers expand it when demand presses against it, with a lead time and a price.

A supplier's capacity opens at `suppliers.capacity_slack` × its expected output and does not
follow demand by itself, so a demand surge first meets stock-outs. With
`suppliers.capacity_investment.enabled`, a supplier whose lasting demand (orders received,
smoothed over `demand_days`) exceeds `utilisation_trigger` × its capacity (installed and on
order) orders enough new capacity to restore its slack, at most `MAX_ROUND` of what it has;
while capacity is on order it orders no more, so a large expansion comes in rounds. It pays
the price when ordering, from cash above its buffer and by `capacity_investment.financing`:

- `term_loan` (default) / `syndicated_loan`: it borrows the rest on a capacity loan
  (`finance/capacity_loans.py`), repaid in equal instalments over `loan_term_days`, from its
  house bank or a syndicate the house bank arranges. Lenders size the loan so that the
  operating profit on the output the firm expects covers its debt service
  `min_debt_service_coverage` times, so a swing of orders its margins cannot carry is not
  financed. The house bank raises the firm's line by the working capital the added output
  needs (receivables grow with sales): `line_limit_days` of the revenue it adds, as lines are
  sized at signing (`Banks.finance_new_output`, which also finances business re-sourced to a
  supplier).
- `cash`: from cash alone (its own working capital included).
- `house_line`: its house bank, if sound and the firm's line is open, raises the line by the
  price and the working capital, and the firm draws it: plant financed with 90-day draws.

An order it cannot pay when settling is cancelled (and a capacity loan taken for it repaid);
the new capacity produces after `lead_days`. Capacity bought this way is an asset (it counts in
the firm's leverage), and a firm short of capacity pays no dividends.

Why term finance with a coverage test (measured in `tests/world/test_supply_chain.py`'s small
market, three-minute approval and a bank app four times the test's, three years, the chain sized
for the traditional market, `lead_days` 91): fixed capacity sells 3,046 cars and loses 519;
`house_line` collapses the chain (1,096 sold, 2,380 lost; suppliers invest on the bullwhip's
inflated orders, the trough after it cuts revenue, lines freeze and every supplier is illiquid
by week 80); `cash` adds almost no capacity (3,040 / 482); a term loan without the coverage
test (`min_debt_service_coverage` 0.01) over-invests (60.7 million against 32.4, 2,660 / 755),
and with it but repaid within 91 days sells 3,163 / 496; the default term loan sells 3,499,
loses 35, with capacity up 30% and no supplier default.
"""

from __future__ import annotations

import numpy as np

from autofin.scenario.schema import SupplierSpec
from autofin.world.banks import Banks
from autofin.world.finance import SupplyChainFinance
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
    finance: SupplyChainFinance,
) -> np.ndarray:
    """Order new capacity where forecast demand presses against capacity.

    Args:
        firms: All firms.
        banks: The banks (house banks extend the lines that finance the expansion).
        ledger: The ledger.
        spec: The suppliers' settings.
        step: The current step.
        step_days: Days per step.
        finance: The firms' finance (capacity loans, with `term_loan` or `syndicated_loan`).

    Returns:
        The price of the capacity each firm ordered this step (0 for most), due now.
    """
    book = firms.capacity_on_order
    if book is None:
        return np.zeros(firms.n)
    installed = firms.capacity + book.open_totals()
    added = wanted(firms, spec, step_days)
    unit_price = price_per_unit(firms, spec, step_days)
    working_capital = banks.line_per_unit(firms, step_days)
    cash = ledger.balance[: firms.n]
    budget = np.maximum(cash - firms.cash_target, 0.0)
    # The house bank (the main bank of the line) finances the capacity's working capital.
    open_line = banks.open_main_lines(ledger)
    financing = spec.capacity_investment.financing
    if financing == "house_line":
        _extend_lines(banks, np.where(open_line, added * unit_price, 0.0))
        banks.finance_new_output(firms, ledger, added, step_days, open_line)
        budget = budget + banks.undrawn(firms)
    loans = finance.capacity_loans
    if loans is not None and finance.round is not None:
        # Borrow the price that cash above the buffer does not cover; the house bank raises
        # the line by the working capital the added output needs.
        builders = np.flatnonzero(added > 0)
        need = np.maximum(added * unit_price - budget, 0.0)[builders]
        output = np.minimum(firms.lasting_demand, installed + added)[builders]
        budget[builders] += loans.lend(finance.round, builders, need, output)
        added = np.minimum(added, budget / np.maximum(unit_price, 1e-300))
        banks.finance_new_output(firms, ledger, added, step_days, open_line)
    else:
        added = np.minimum(added, budget / np.maximum(unit_price + working_capital, 1e-300))
    firms.capacity_ordered = added
    book.book(step, _lead(spec, step_days), np.arange(firms.n), added)
    return added * unit_price


def _extend_lines(banks: Banks, extension: np.ndarray) -> None:
    """Raise each firm's committed line (its main bank's part: contract and limit)."""
    banks.extend_main_lines(extension)


def cancel(
    firms: Firms,
    spec: SupplierSpec,
    step: int,
    step_days: int,
    rows: np.ndarray,
    finance: SupplyChainFinance,
) -> None:
    """Cancel this step's capacity orders of the firms in ``rows`` (they could not pay).

    A capacity loan taken for them this step is repaid at once.
    """
    if firms.capacity_on_order is None or rows.size == 0:
        return
    if finance.capacity_loans is not None and finance.round is not None:
        finance.capacity_loans.repay_cancelled(finance.round, rows)
    firms.capacity_on_order.book(step, _lead(spec, step_days), rows, -firms.capacity_ordered[rows])
    firms.capacity_ordered[rows] = 0.0


def _lead(spec: SupplierSpec, step_days: int) -> int:
    return max(1, steps_of(spec.capacity_investment.lead_days, step_days))
