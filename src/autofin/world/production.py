"""The goods flow: plan, order inputs upstream, produce, ship downstream.

Every rule acts on all firms or all edges at once. Firms plan with an order-up-to rule on
smoothed demand, so the bullwhip effect (orders swinging more the further upstream) emerges
from the rules rather than being imposed.

Inputs follow a bill of materials: a customer holds one input stock per part category it buys
(a *slot*), orders each part on its own, and can make only as many units as its scarcest part
allows (Leontief). Orders reach the supplier's backlog after the order lead time.

Growth needs finance (the working-capital channel of Delli Gatti et al. 2005 and Dosi, Fagiolo
and Roventini 2010): with `suppliers.finance_constrained_production`, a supplier plans, stocks
and orders inputs for no more output than its equity and committed credit can carry
(`fundable_output`). It still accepts every order; what it cannot fund waits in its backlog,
so demand beyond the chain's finance reaches customers as shortages, not as its default.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autofin.scenario.schema import Scenario
from autofin.world.firms import Firms, weekly_ar1


@dataclass
class Shipments:
    """What was shipped over each edge in a step (units) and its invoice value."""

    units: np.ndarray
    value: np.ndarray


def receive_goods(firms: Firms, step: int) -> None:
    """Shipments and finished work in progress that fall due this step arrive in inventory."""
    arrived = firms.in_transit.take_due(step)
    firms.slot_stock += firms.by_slot(arrived)
    firms.sync_input_inventory()
    firms.output_inventory += firms.work_in_progress.take_due(step)
    if firms.capacity_on_order is not None:
        firms.capacity += firms.capacity_on_order.take_due(step)


@dataclass(frozen=True)
class PlanningRules:
    """The steps of demand every firm and input slot holds and closes its gaps over.

    They follow from the scenario and from what never changes in a run (which firms are
    automakers, the lead times, each slot's customer), so they are found once (`of`).

    Attributes:
        output_steps: Steps of demand each firm holds in finished output and in process.
        adjust_steps: Steps over which each firm closes its inventory gap.
        position_steps: Steps of usage each slot holds in stock and on order.
        slot_adjust_steps: Steps over which each slot closes its gap (its customer's).
    """

    output_steps: np.ndarray
    adjust_steps: np.ndarray
    position_steps: np.ndarray
    slot_adjust_steps: np.ndarray

    @classmethod
    def of(cls, firms: Firms, scenario: Scenario) -> PlanningRules:
        """The rules of ``scenario`` for ``firms``."""
        step_days = scenario.step_days
        is_auto = firms.is_automaker
        target_days = np.where(
            is_auto,
            scenario.automakers.inventory_target_days,
            scenario.suppliers.inventory_target_days,
        )
        adjust_steps = (
            np.where(
                is_auto,
                scenario.automakers.inventory_adjustment_days,
                scenario.suppliers.inventory_adjustment_days,
            )
            / step_days
        )
        adjust_steps = np.maximum(adjust_steps, 1.0)
        target_steps = target_days / step_days
        customer = firms.slot_customer
        return cls(
            output_steps=target_steps + max(firms.lead_steps, 1),
            adjust_steps=adjust_steps,
            position_steps=(target_steps + firms.transit_steps + firms.order_lead_steps)[customer],
            slot_adjust_steps=adjust_steps[customer],
        )


def plan_and_order(
    firms: Firms,
    scenario: Scenario,
    demand_forecast: np.ndarray,
    fundable: np.ndarray | None = None,
    rules: PlanningRules | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Set each firm's production plan and place input orders on its live supply edges.

    Args:
        firms: All firms.
        scenario: The scenario (inventory targets and adjustment speeds).
        demand_forecast: Expected demand per step for every firm (vehicles for automakers,
            smoothed orders received for suppliers).
        fundable: The output per step each firm's funds can carry (`fundable_output`); a
            firm plans, stocks and orders inputs for no more. None: no limit.
        rules: ``PlanningRules.of(firms, scenario)``, if the caller keeps them.

    Returns:
        The production plan per firm (units this step) and the units ordered on each edge
        (placed now; see `accept_orders` for when they reach the suppliers' backlogs).
    """
    if rules is None:
        rules = PlanningRules.of(firms, scenario)
    if fundable is not None:
        demand_forecast = np.minimum(demand_forecast, fundable)
    backlog = firms.by_supplier(firms.edge_backlog)
    in_process = firms.work_in_progress.open_totals()
    target_output = rules.output_steps * demand_forecast
    gap = target_output + backlog - firms.output_inventory - in_process
    ceiling = firms.capacity if fundable is None else np.minimum(firms.capacity, fundable)
    plan = np.clip(demand_forecast + gap / rules.adjust_steps, 0.0, ceiling)
    plan[~firms.active] = 0.0

    # Each part is ordered on its own (order-up-to per input slot).
    customer = firms.slot_customer
    usage = firms.slot_need() * demand_forecast[customer]
    open_edges = firms.edge_backlog + firms.in_transit.open_totals()
    if firms.orders_placed is not None:
        open_edges += firms.orders_placed.open_totals()
    on_order = firms.by_slot(open_edges)
    target_position = usage * rules.position_steps
    position = firms.slot_stock + on_order
    orders = np.maximum(usage + (target_position - position) / rules.slot_adjust_steps, 0.0)
    orders[~firms.active[customer]] = 0.0
    edge_orders = orders[firms.edge_slot] * firms.within_slot() * firms.edge_live
    return plan, edge_orders


def fundable_output(firms: Firms, committed_credit: np.ndarray) -> np.ndarray:
    """The output per step each firm's funds can carry (the working-capital constraint).

    Growth ties up working capital: more receivables and inventories than the payables
    that come with them. A firm can fund it from its equity not sunk in plant and from its
    committed credit (line limits, capacity loans), less the cash it keeps as a buffer; each
    unit of output per step needs what it needed in the firm's opening balance sheet
    (`Firms.working_capital_per_unit`). A firm that needed none (an automaker its payables
    finance) is not limited.

    Args:
        firms: All firms.
        committed_credit: Each firm's committed credit: its line limits and the principal of
            its capacity loans.

    Returns:
        Units per step (``inf`` where not limited).
    """
    funds = firms.equity - firms.fixed_assets + committed_credit - firms.cash_target
    per_unit = firms.working_capital_per_unit
    limited = per_unit > 0
    fundable = np.full(firms.n, np.inf)
    fundable[limited] = np.maximum(funds[limited], 0.0) / per_unit[limited]
    return fundable


def accept_orders(firms: Firms, step: int, placed: np.ndarray) -> np.ndarray:
    """Orders placed ``order_lead_steps`` ago reach their suppliers' backlogs now.

    Args:
        firms: All firms.
        step: The current step.
        placed: Units ordered on each edge this step.

    Returns:
        Units accepted on each edge this step (what suppliers produce and borrow against).
    """
    if firms.orders_placed is None:
        accepted = placed
    else:
        every_edge = np.arange(len(placed))
        firms.orders_placed.book(step, firms.order_lead_steps, every_edge, placed, increasing=True)
        accepted = firms.orders_placed.take_due(step) * firms.edge_live
    firms.edge_backlog += accepted
    return accepted


def produce(firms: Firms, plan: np.ndarray, step: int) -> np.ndarray:
    """Turn input inventory into work in progress, within plan and inputs; book wages.

    Production needs every part of the bill of materials: a firm makes at most what its
    scarcest part allows.

    Returns:
        Units started per firm.
    """
    need = firms.slot_need()
    possible = np.minimum.reduceat(firms.slot_stock / need, firms.slot_start)
    started = np.minimum(plan, possible)
    started[~firms.active] = 0.0
    firms.slot_stock -= started[firms.slot_customer] * need
    firms.slot_stock[firms.slot_stock < 0] = 0.0
    firms.sync_input_inventory()
    firms.work_in_progress.book(
        step, max(firms.lead_steps, 1), np.arange(firms.n), started, increasing=True
    )
    firms.wages_due = started * firms.wage_per_unit * np.exp(firms.cost_shock)
    return started


def ship(firms: Firms, step: int) -> Shipments:
    """Ship from output inventory against the backlog of each edge, pro rata when short.

    Raw-material edges (supplier outside the model) are always shipped in full.
    """
    backlog_out = firms.by_supplier(firms.edge_backlog)
    fill = np.minimum(1.0, firms.output_inventory / np.maximum(backlog_out, 1e-12))
    fill[~firms.active] = 0.0
    # One more fill after the last firm's, 1: the raw-material edges' (their supplier,
    # OUTSIDE, is -1), which are always shipped in full.
    edge_fill = np.append(fill, 1.0)[firms.edge_supplier]
    units = firms.edge_backlog * edge_fill * firms.edge_live
    firms.edge_backlog -= units
    firms.output_inventory -= firms.by_supplier(units)
    firms.output_inventory[firms.output_inventory < 0] = 0.0
    every_edge = np.arange(len(units))
    firms.in_transit.book(step, firms.transit_steps, every_edge, units, increasing=True)
    return Shipments(units=units, value=units * firms.edge_price())


def update_prices(firms: Firms) -> None:
    """Cost-plus pricing: suppliers pass changes of their input prices into their own."""
    supplier = ~firms.is_automaker & firms.active
    firms.price[supplier] = (firms.unit_cost() * (1.0 + firms.margin))[supplier]
    firms.prices_moved()


def update_forecasts(firms: Firms, demand: np.ndarray, rows: np.ndarray, smoothing: float) -> None:
    """Exponentially smooth the demand of the firms in ``rows`` (a mask).

    Suppliers forecast the orders they receive; automakers the vehicles consumers want.
    """
    firms.order_forecast[rows] += smoothing * (demand[rows] - firms.order_forecast[rows])


def draw_cost_shocks(firms: Firms, scenario: Scenario, rng: np.random.Generator) -> None:
    """Idiosyncratic AR(1) shocks to suppliers' wage cost per unit (weekly: `weekly_ar1`)."""
    sup = scenario.suppliers
    persistence, sd = weekly_ar1(sup.cost_shock_persistence, sup.cost_shock_sd, scenario.step_days)
    shock = rng.normal(0.0, sd, size=firms.n)
    firms.cost_shock = persistence * firms.cost_shock + shock
    firms.cost_shock[firms.is_automaker] = 0.0
