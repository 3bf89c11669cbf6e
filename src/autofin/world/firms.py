"""Firms (automakers and suppliers) as rows: their state arrays and opening balance sheets.

Quantities are in units of each firm's output: vehicles for automakers, and for suppliers one
unit is what sold for one currency unit at the start (so opening supplier prices are 1).
A supplier's price is cost-plus: (purchased input + wages + fixed cost per unit) × (1 + margin).
The world starts in a steady state: pipelines, inventories, open invoices and loans are those of
a business that has been running at its expected output for a while.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from autofin.scenario.schema import Scenario
from autofin.world.network import OUTSIDE, SupplyNetwork
from autofin.world.obligations import DueBook

RAW_MATERIAL_PRICE = 1.0
"""Price of one unit of raw material bought from outside the model (the numéraire)."""


MARGIN_SMOOTHING = 0.1
"""Weight of the latest week in the smoothed cash-flow margin banks observe (`weekly_weight`)."""

ARREARS_SMOOTHING = 0.1
"""Weight of the latest week in each firm's smoothed frequency of arrears (`weekly_weight`)."""

WEEK_DAYS = 7
"""Days of the period in which the smoothing of margins and arrears and the cost shocks are
given: the calibration's step. At other step lengths they are converted (`weekly_weight`,
`weekly_ar1`). Demand forecasts are not: their weight is a planning rule's, applied once a
step (`suppliers.forecast_smoothing`)."""


NOT_RESOURCING = -(2**62)
"""`Firms.edge_resource_step` of an edge that is not waiting for a new supplier (steps before
day 0 are negative, so no small number will do)."""


def steps_of(days: float, step_days: int) -> int:
    """Whole steps in a duration of ``days`` (rounded, at least 0)."""
    return max(0, round(days / step_days))


def step_of_day(day: float, step_days: int) -> int:
    """The step that contains ``day``: ``ceil(day / step_days)``, step 1 at the earliest."""
    return max(1, math.ceil(day / step_days))


def weekly_weight(weight: float, step_days: int) -> float:
    """The weight per step of an exponential smoother whose weight is given per week.

    A weight ``w`` on the latest week keeps ``1 - w`` of the old value a week later; a step of
    ``step_days`` keeps ``(1 - w) ** (step_days / 7)``, so the smoother forgets as much per
    day at any step length. At 7-day steps it is ``w`` itself, to the bit.
    """
    if step_days == WEEK_DAYS:
        return weight
    return 1.0 - (1.0 - weight) ** (step_days / WEEK_DAYS)


def weekly_ar1(persistence: float, sd: float, step_days: int) -> tuple[float, float]:
    """Persistence and innovation sd per step of an AR(1) process given per week.

    The persistence compounds per day (``persistence ** (step_days / 7)``); the innovation's sd
    keeps the process's stationary sd, ``sd / sqrt(1 - persistence²)``, at any step length.
    At 7-day steps the weekly values themselves.
    """
    if step_days == WEEK_DAYS:
        return persistence, sd
    per_step = persistence ** (step_days / WEEK_DAYS)
    return per_step, sd * math.sqrt((1.0 - per_step**2) / (1.0 - persistence**2))


FEW_FIRMS = 2048
"""Up to this many firms, per-firm sums run over all firms (cheaper than finding a range)."""


def _add(target: np.ndarray, sums: np.ndarray, sign: float) -> None:
    """Add (``sign`` 1) or take (-1) ``sums`` to or from ``target``, in place."""
    if sign > 0:
        target += sums
    else:
        target -= sums


def _add_over_range(target: np.ndarray, index: np.ndarray, values: np.ndarray, sign: float) -> None:
    """Add (``sign`` 1) or take (-1) the sums of ``values`` per ``index`` to or from ``target``.

    Only the range of ``index`` is summed and touched; the sums are full-length bincounts'.
    """
    if index.size == 0:
        return
    low, high = int(index.min()), int(index.max())
    _add(target[low : high + 1], np.bincount(index - low, values, minlength=high - low + 1), sign)


@dataclass
class Firms:
    """State of all firms, one row per firm, and of the goods on the supply edges.

    Attributes hold per-firm arrays (length = firms) unless their name starts with ``edge_``
    (length = edges). See the module docstring for units.
    """

    tier: np.ndarray
    is_automaker: np.ndarray
    active: np.ndarray
    price: np.ndarray
    margin: np.ndarray
    input_per_unit: np.ndarray
    wage_per_unit: np.ndarray
    fixed_cost_per_step: np.ndarray
    capacity: np.ndarray
    expected_output: np.ndarray
    cost_shock: np.ndarray
    input_inventory: np.ndarray
    output_inventory: np.ndarray
    order_forecast: np.ndarray
    receivables: np.ndarray
    payables: np.ndarray
    debt: np.ndarray
    cash_flow_margin: np.ndarray
    arrears_history: np.ndarray
    arrears_steps: np.ndarray
    negative_equity_steps: np.ndarray
    house_bank: np.ndarray
    wages_due: np.ndarray
    edge_supplier: np.ndarray
    edge_customer: np.ndarray
    edge_share: np.ndarray
    edge_live: np.ndarray
    edge_backlog: np.ndarray
    edge_expected_flow: np.ndarray
    edge_term_steps: np.ndarray
    edge_resource_step: np.ndarray
    work_in_progress: DueBook
    in_transit: DueBook
    lead_steps: int
    transit_steps: int
    part: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    edge_slot: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    slot_customer: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    slot_weight: np.ndarray = field(default_factory=lambda: np.zeros(0))
    slot_stock: np.ndarray = field(default_factory=lambda: np.zeros(0))
    slot_start: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    orders_placed: DueBook | None = None
    order_lead_steps: int = 0
    capacity_on_order: DueBook | None = None
    costs_due: np.ndarray = field(default_factory=lambda: np.zeros(0))
    investment_due: np.ndarray = field(default_factory=lambda: np.zeros(0))
    capacity_ordered: np.ndarray = field(default_factory=lambda: np.zeros(0))
    retaining: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    capacity_assets: np.ndarray = field(default_factory=lambda: np.zeros(0))
    lasting_demand: np.ndarray = field(default_factory=lambda: np.zeros(0))
    finance_cost_per_step: np.ndarray = field(default_factory=lambda: np.zeros(0))
    finance_pass_through: float = 0.0
    cash_target: np.ndarray = field(default_factory=lambda: np.zeros(0))
    equity: np.ndarray = field(default_factory=lambda: np.zeros(0))
    fixed_assets: np.ndarray = field(default_factory=lambda: np.zeros(0))
    equity_target: np.ndarray = field(default_factory=lambda: np.zeros(0))
    working_capital_per_unit: np.ndarray = field(default_factory=lambda: np.zeros(0))
    _supplied: int | None = field(default=None, init=False, repr=False, compare=False)
    _edge_price: np.ndarray | None = field(default=None, init=False, repr=False, compare=False)
    _input_price: np.ndarray | None = field(default=None, init=False, repr=False, compare=False)
    _unit_cost: np.ndarray | None = field(default=None, init=False, repr=False, compare=False)
    _within_slot: np.ndarray | None = field(default=None, init=False, repr=False, compare=False)
    _slot_need: np.ndarray | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.finance_cost_per_step.size != self.n:
            self.finance_cost_per_step = np.zeros(self.n)
        if self.costs_due.size != self.n:
            self.costs_due = np.zeros(self.n)
            self.investment_due = np.zeros(self.n)
            self.capacity_ordered = np.zeros(self.n)
            self.retaining = np.zeros(self.n, dtype=bool)
            self.capacity_assets = np.zeros(self.n)
            self.lasting_demand = self.expected_output.copy()
        if self.working_capital_per_unit.size != self.n:
            self.working_capital_per_unit = np.zeros(self.n)

    @property
    def n(self) -> int:
        """Number of firms."""
        return len(self.tier)

    def by_supplier(self, values: np.ndarray, edges: np.ndarray | None = None) -> np.ndarray:
        """Sum per-edge values for each supplying firm; raw-material edges are left out.

        Args:
            values: One value per edge, or per edge of ``edges``.
            edges: The edges the values belong to (all edges when omitted).
        """
        if edges is None:
            supplied = self._supplied_edges()
            if supplied is not None:
                # Raw-material edges are the last ones: only the edges before them are summed.
                # The same sums (the full-length form adds only zeros to firm 0, an automaker).
                return np.bincount(
                    self.edge_supplier[:supplied], np.asarray(values)[:supplied], minlength=self.n
                )
        supplier = self.edge_supplier if edges is None else self.edge_supplier[edges]
        inside = supplier != OUTSIDE
        return np.bincount(np.maximum(supplier, 0), np.asarray(values) * inside, minlength=self.n)

    def add_by_supplier(
        self,
        target: np.ndarray,
        values: np.ndarray,
        edges: np.ndarray,
        sign: float = 1.0,
        *,
        supplier: np.ndarray | None = None,
    ) -> None:
        """``target += sign * by_supplier(values, edges)``, touching only the suppliers involved.

        The same sums to the last bit (each supplier's values added in order, as by
        `by_supplier`); useful when ``edges`` are one tier's. ``supplier``: the edges'
        suppliers (``edge_supplier[edges]``), if the caller has looked them up.
        """
        if self.n <= FEW_FIRMS:
            _add(target, self.by_supplier(values, edges), sign)
            return
        if supplier is None:
            supplier = self.edge_supplier[edges]
        inside = supplier != OUTSIDE
        if not inside.all():
            supplier, values = supplier[inside], np.asarray(values)[inside]
        _add_over_range(target, supplier, values, sign)

    def add_by_customer(
        self,
        target: np.ndarray,
        values: np.ndarray,
        edges: np.ndarray,
        sign: float = 1.0,
        *,
        customer: np.ndarray | None = None,
    ) -> None:
        """``target += sign * by_customer(values, edges)``, touching only the customers involved.

        ``customer``: the edges' customers (``edge_customer[edges]``), if the caller has them.
        """
        if self.n <= FEW_FIRMS:
            _add(target, self.by_customer(values, edges), sign)
            return
        _add_over_range(
            target, self.edge_customer[edges] if customer is None else customer, values, sign
        )

    def _supplied_edges(self) -> int | None:
        """How many edges come before the raw-material edges, if those are the last ones.

        Networks are built with the raw-material edges last, and re-sourcing only moves an
        edge between firms, so the count is found once.
        """
        if self._supplied is None:
            from_outside = np.flatnonzero(self.edge_supplier == OUTSIDE)
            first = int(from_outside[0]) if from_outside.size else len(self.edge_supplier)
            last_ones = from_outside.size == len(self.edge_supplier) - first
            firm_0_buys_only = self.n > 0 and bool(self.is_automaker[0])
            self._supplied = first if last_ones and firm_0_buys_only else -1
        return None if self._supplied < 0 else self._supplied

    def by_customer(self, values: np.ndarray, edges: np.ndarray | None = None) -> np.ndarray:
        """Sum per-edge values for each buying firm.

        Args:
            values: One value per edge, or per edge of ``edges``.
            edges: The edges the values belong to (all edges when omitted).
        """
        customer = self.edge_customer if edges is None else self.edge_customer[edges]
        return np.bincount(customer, values, minlength=self.n)

    def prices_moved(self) -> None:
        """Forget what is read off prices and edges: a price, or an edge's firms, slot or share.

        Whoever changes one of them calls it (cost-plus pricing and re-sourcing do), so the
        edge and input prices, the unit costs and the edges' shares of their slots, read many
        times a step, are computed once after each change. Re-sourcing, which also moves
        ``expected_output``, needs no `costs_moved` besides.
        """
        self._edge_price = self._input_price = self._within_slot = None
        self.costs_moved()

    def costs_moved(self) -> None:
        """Forget the unit costs: ``expected_output`` or a cost per unit or per step changed.

        Whoever changes ``expected_output``, ``input_per_unit``, ``wage_per_unit``,
        ``fixed_cost_per_step``, ``finance_cost_per_step`` or ``finance_pass_through`` calls
        it (or `prices_moved`), so `unit_cost` is computed once after each change.
        """
        self._unit_cost = self._slot_need = None

    def edge_price(self) -> np.ndarray:
        """Price of a unit bought over every edge: the supplier's, or raw material's (read-only)."""
        if self._edge_price is None:
            from_outside = self.edge_supplier == OUTSIDE
            self._edge_price = np.where(
                from_outside, RAW_MATERIAL_PRICE, self.price[self.edge_supplier]
            )
            self._edge_price.flags.writeable = False
        return self._edge_price

    def by_slot(self, values: np.ndarray) -> np.ndarray:
        """Sum per-edge values for each input slot (a customer's part category)."""
        return np.bincount(self.edge_slot, values, minlength=len(self.slot_customer))

    def slot_need(self) -> np.ndarray:
        """Units of each slot's part needed per unit of its customer's output (read-only)."""
        if self._slot_need is None:
            self._slot_need = self.input_per_unit[self.slot_customer] * self.slot_weight
            self._slot_need.flags.writeable = False
        return self._slot_need

    def within_slot(self) -> np.ndarray:
        """Each edge's share of its slot: of the units its customer orders of the part.

        Read-only: computed once after each change of the edges (`prices_moved`).
        """
        if self._within_slot is None:
            self._within_slot = self.edge_share / self.slot_weight[self.edge_slot]
            self._within_slot.flags.writeable = False
        return self._within_slot

    def sync_input_inventory(self) -> None:
        """Each firm's input inventory: the sum of its slots' stocks."""
        self.input_inventory = np.bincount(self.slot_customer, self.slot_stock, minlength=self.n)

    def clear_inputs(self, firms: np.ndarray) -> None:
        """Empty the input stocks of ``firms`` (firm indices)."""
        gone = np.zeros(self.n, dtype=bool)
        gone[firms] = True
        self.slot_stock[gone[self.slot_customer]] = 0.0
        self.input_inventory[firms] = 0.0

    def cancel_orders(self, edges: np.ndarray) -> None:
        """Drop the orders on ``edges`` that their suppliers have not yet accepted."""
        if self.orders_placed is not None:
            self.orders_placed.clear_columns(edges)

    def input_price(self) -> np.ndarray:
        """Current average price of each firm's purchased inputs, weighted by edge shares.

        Read-only: computed once after each change of prices or suppliers.
        """
        if self._input_price is None:
            self._input_price = self.by_customer(self.edge_share * self.edge_price())
            self._input_price.flags.writeable = False
        return self._input_price

    def unit_cost(
        self, input_price: np.ndarray | None = None, rows: np.ndarray | slice = slice(None)
    ) -> np.ndarray:
        """Expected cost of one unit of output: inputs, wages, fixed and financing cost.

        The financing cost per unit (interest and discounts, smoothed) counts at the share
        suppliers can pass on (`suppliers.finance_cost_pass_through`): it is how cheaper
        finance reaches cost-plus prices. With ``rows``, of those firms only (elementwise:
        the same values as for all).

        At the current input prices and for every firm, the costs are read-only and computed
        once after each change of their inputs (`prices_moved`, `costs_moved`).
        """
        current = input_price is None or input_price is self._input_price
        every_firm = isinstance(rows, slice) and rows == slice(None)
        if current and every_firm:
            if self._unit_cost is None:
                self._unit_cost = self._unit_cost_of(self.input_price(), rows)
                self._unit_cost.flags.writeable = False
            return self._unit_cost
        return self._unit_cost_of(self.input_price() if input_price is None else input_price, rows)

    def _unit_cost_of(self, input_price: np.ndarray, rows: np.ndarray | slice) -> np.ndarray:
        """`unit_cost` at ``input_price`` of the firms ``rows``, computed afresh."""
        overhead = (
            self.fixed_cost_per_step[rows]
            + self.finance_pass_through * self.finance_cost_per_step[rows]
        )
        per_unit = overhead / np.maximum(self.expected_output[rows], 1e-12)
        return input_price[rows] * self.input_per_unit[rows] + self.wage_per_unit[rows] + per_unit

    def close_step(
        self, shipped_value: np.ndarray, sales_value: np.ndarray, step_days: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Close the step's books: each firm's revenue and operating profit; smooth its margin.

        Revenue is invoiced deliveries (``shipped_value``, per edge) plus vehicle sales
        (``sales_value``, per firm). The step's operating profit (EBIT) is revenue minus the
        variable cost of what was delivered (at the current wage shock) minus fixed costs;
        over the firm's expected revenue it is the step's cash-flow margin, the signal banks
        score, which active firms smooth (`MARGIN_SMOOTHING`): idle capacity and cost shocks
        show in it, the timing of production does not.

        Returns:
            Revenue and EBIT of every firm.
        """
        revenue = self.by_supplier(shipped_value) + sales_value
        units = revenue / np.maximum(self.price, 1e-12)
        variable = self.input_per_unit * self.input_price() + self.wage_per_unit * np.exp(
            self.cost_shock
        )
        profit = revenue - units * variable - self.fixed_cost_per_step
        expected = np.maximum(self.price * self.expected_output, 1e-9)
        margin = np.clip(profit / expected, -1.0, 1.0)
        # Active firms smooth their margin: every firm's update is computed and kept for the
        # active ones only (the same arithmetic, element by element, without selecting them).
        weight = weekly_weight(MARGIN_SMOOTHING, step_days)
        smoothed = self.cash_flow_margin + weight * (margin - self.cash_flow_margin)
        np.copyto(self.cash_flow_margin, smoothed, where=self.active)
        return revenue, profit

    def daily_revenue(self, step_days: int) -> np.ndarray:
        """Expected revenue per day of every firm: price × expected output per step / days."""
        return self.price * self.expected_output / step_days

    def inventory_value(
        self, input_price: np.ndarray | None = None, rows: np.ndarray | None = None
    ) -> np.ndarray:
        """Book value of input inventory, work in progress and finished output.

        With ``rows``, of those firms only: the same values, without the others' work.
        """
        input_price = self.input_price() if input_price is None else input_price
        if rows is None:
            rows, in_process = slice(None), self.work_in_progress.open_totals()
        else:
            in_process = self.work_in_progress.open_totals_of(rows)
        in_process = in_process + self.output_inventory[rows]
        unit_cost = self.unit_cost(input_price, rows)
        return self.input_inventory[rows] * input_price[rows] + in_process * unit_cost

    def working_capital(self) -> np.ndarray:
        """Receivables and inventories less trade payables."""
        return self.receivables + self.inventory_value() - self.payables

    def interest_cover(self, rows: slice = slice(None)) -> np.ndarray:
        """Each firm's (of ``rows`` only) operating cash flow per step over its financing cost.

        The cash flow is the smoothed cash-flow margin of its expected revenue per step.
        """
        revenue = self.price[rows] * self.expected_output[rows]
        cost = np.maximum(self.finance_cost_per_step[rows], 1e-9)
        return self.cash_flow_margin[rows] * revenue / cost

    def own_funds(self, term_debt: np.ndarray | None = None) -> np.ndarray:
        """Each firm's own funds in its working capital, as a working-capital formula counts them.

        Equity (at the last settlement) and ``term_debt`` (loans for plant) less fixed assets,
        less the cash buffer the firm keeps (its line finances it, as at opening, where the own
        funds are the working capital its debt does not finance).
        """
        funds = self.equity - self.fixed_assets - self.cash_target
        return funds if term_debt is None else funds + term_debt

    def liabilities(self) -> np.ndarray:
        """Trade payables plus bank debt."""
        return self.payables + self.debt

    def days_past_due(self, step_days: int) -> np.ndarray:
        """How many days each firm has been in arrears (0 when it pays what falls due)."""
        return self.arrears_steps * step_days

    def leverage(self, cash: np.ndarray) -> np.ndarray:
        """Liabilities over assets (cash, receivables, inventories and new capacity)."""
        assets = cash + self.receivables + self.inventory_value() + self.capacity_assets
        return self.liabilities() / np.maximum(assets, 1e-9)

    def tier_slices(self) -> list[slice]:
        """The rows of each tier (0 = automakers): firms are stored tier by tier."""
        if self.n and (np.diff(self.tier) < 0).any():
            raise ValueError("firms must be stored tier by tier (automakers first)")
        bounds = np.searchsorted(self.tier, np.arange(int(self.tier.max(initial=0)) + 2))
        return [slice(int(a), int(b)) for a, b in itertools.pairwise(bounds)]

    def edges_bought_by(self, rows: slice) -> np.ndarray:
        """The edges whose customer is one of the firms ``rows``, in increasing order."""
        return np.flatnonzero((self.edge_customer >= rows.start) & (self.edge_customer < rows.stop))


def build_firms(
    scenario: Scenario,
    network: SupplyNetwork,
    expected_sales: np.ndarray,
    rng: np.random.Generator,
    start_step: int = 0,
) -> Firms:
    """Create every firm at its steady state for the expected vehicle sales per step.

    Args:
        scenario: The scenario.
        network: The supply network.
        expected_sales: Expected vehicles sold per step, one value per automaker.
        rng: The model's random generator.
        start_step: The step the world opens at (before the first step run; negative when
            the run starts with a warm-up).

    Returns:
        The firms, with pipelines and inventories filled but no money (cash, invoices and
        loans are opened by the model, which owns the ledger and the books).
    """
    sup, auto = scenario.suppliers, scenario.automakers
    step_days = scenario.step_days
    n = network.n_firms
    tier = network.tier
    is_automaker = tier == 0
    margin = np.where(
        is_automaker,
        0.0,
        rng.normal(sup.margin, sup.margin_dispersion, size=n).clip(sup.margin_floor, 0.9),
    )
    unit_cost = 1.0 / (1.0 + margin)
    fixed_per_unit = np.where(is_automaker, 0.0, sup.fixed_cost_share)
    input_per_unit = np.where(
        is_automaker, auto.parts_cost_share * auto.vehicle_price, sup.input_cost_share * unit_cost
    )
    wage_per_unit = np.where(
        is_automaker,
        auto.assembly_cost_share * auto.vehicle_price,
        np.maximum(unit_cost - input_per_unit - fixed_per_unit, 0.0),
    )
    price = np.where(is_automaker, auto.vehicle_price, 1.0)

    expected_output = np.zeros(n)
    expected_output[is_automaker] = expected_sales
    supplier_edges = network.edge_supplier != OUTSIDE
    for level in range(1, network.n_tiers + 1):
        edges = supplier_edges & (tier[network.edge_supplier.clip(0)] == level)
        demand = (
            network.edge_share[edges]
            * input_per_unit[network.edge_customer[edges]]
            * expected_output[network.edge_customer[edges]]
        )
        expected_output += np.bincount(network.edge_supplier[edges], demand, minlength=n)

    # Fixed costs are a share of expected revenue, spread evenly over the steps.
    fixed_cost_per_step = np.where(
        is_automaker,
        auto.fixed_cost_share * auto.vehicle_price * expected_output,
        fixed_per_unit * expected_output,
    )

    lead_steps = steps_of(sup.lead_time_days, step_days)
    transit_steps = max(1, steps_of(sup.transit_days, step_days))
    target_steps_sup = steps_of(sup.inventory_target_days, step_days)
    target_steps_auto = steps_of(auto.inventory_target_days, step_days)
    target_steps = np.where(is_automaker, target_steps_auto, target_steps_sup)

    edge_flow = network.edge_share * (input_per_unit * expected_output)[network.edge_customer]
    n_edges = len(edge_flow)
    edge_slot, slot_customer, slot_weight = input_slots(network)
    slot_stock = (target_steps * input_per_unit * expected_output)[slot_customer] * slot_weight
    order_lead_steps = steps_of(sup.order_lead_days, step_days)
    orders_placed = DueBook(n_edges, order_lead_steps) if order_lead_steps > 0 else None
    invest = sup.capacity_investment
    capacity_on_order = (
        DueBook(n, max(1, steps_of(invest.lead_days, step_days))) if invest.enabled else None
    )
    work_in_progress = DueBook(n, max(lead_steps, 1))
    for delay in range(1, max(lead_steps, 1) + 1):
        work_in_progress.book(start_step, delay, np.arange(n), expected_output)
    in_transit = DueBook(n_edges, transit_steps)
    for delay in range(1, transit_steps + 1):
        in_transit.book(start_step, delay, np.arange(n_edges), edge_flow)

    return Firms(
        tier=tier,
        is_automaker=is_automaker,
        active=np.ones(n, dtype=bool),
        price=price.astype(float),
        margin=margin,
        input_per_unit=input_per_unit,
        wage_per_unit=wage_per_unit,
        fixed_cost_per_step=fixed_cost_per_step,
        capacity=np.where(is_automaker, np.inf, sup.capacity_slack * expected_output),
        expected_output=expected_output,
        cost_shock=np.zeros(n),
        input_inventory=np.bincount(slot_customer, slot_stock, minlength=n),
        output_inventory=target_steps * expected_output,
        order_forecast=expected_output.copy(),
        receivables=np.zeros(n),
        payables=np.zeros(n),
        debt=np.zeros(n),
        cash_flow_margin=np.where(is_automaker, 0.0, margin / (1.0 + margin)),
        arrears_history=np.zeros(n),
        arrears_steps=np.zeros(n, dtype=np.int64),
        negative_equity_steps=np.zeros(n, dtype=np.int64),
        house_bank=rng.integers(0, scenario.banks.count, size=n),
        wages_due=np.zeros(n),
        edge_supplier=network.edge_supplier.copy(),
        edge_customer=network.edge_customer.copy(),
        edge_share=network.edge_share.copy(),
        edge_live=np.ones(n_edges, dtype=bool),
        edge_backlog=np.zeros(n_edges),
        edge_expected_flow=edge_flow,
        edge_term_steps=np.round(payment_terms(scenario, network) / step_days).astype(np.int64),
        edge_resource_step=np.full(n_edges, NOT_RESOURCING, dtype=np.int64),
        work_in_progress=work_in_progress,
        in_transit=in_transit,
        lead_steps=lead_steps,
        transit_steps=transit_steps,
        finance_pass_through=sup.finance_cost_pass_through,
        part=network.part.copy(),
        edge_slot=edge_slot,
        slot_customer=slot_customer,
        slot_weight=slot_weight,
        slot_stock=slot_stock,
        slot_start=np.searchsorted(slot_customer, np.arange(n)),
        orders_placed=orders_placed,
        order_lead_steps=order_lead_steps,
        capacity_on_order=capacity_on_order,
    )


def input_slots(network: SupplyNetwork) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The bill of materials: each customer's input slots, one per part it buys.

    A slot is a (customer, part category) pair; raw material bought outside is one more
    part. Slots are numbered customer by customer, and a firm that buys nothing still has one
    (empty) slot, so every firm's slots are one contiguous run.

    Returns:
        The slot of every edge, the customer of every slot, and every slot's share of its
        customer's purchased inputs (the units of the part per unit of input).
    """
    n = network.n_firms
    parts = len(network.part_names) + 1
    edge_part = np.where(
        network.edge_supplier == OUTSIDE, -1, network.part[network.edge_supplier.clip(0)]
    )
    keys = network.edge_customer * (parts + 1) + edge_part + 1
    buys = np.zeros(n, dtype=bool)
    buys[network.edge_customer] = True
    idle = np.flatnonzero(~buys) * (parts + 1)
    slots, inverse = np.unique(np.concatenate([keys, idle]), return_inverse=True)
    edge_slot = inverse[: len(keys)]
    slot_customer = slots // (parts + 1)
    weight = np.bincount(edge_slot, network.edge_share, minlength=len(slots))
    # A firm with a single slot (pooled inputs, or buying nothing) needs exactly its inputs.
    single = np.bincount(slot_customer, minlength=n)[slot_customer] == 1
    weight[single] = 1.0
    return edge_slot.astype(np.int64), slot_customer.astype(np.int64), weight


def payment_terms(scenario: Scenario, network: SupplyNetwork) -> np.ndarray:
    """Payment term in days of every edge: set by the buyer (automaker or supplier tier)."""
    auto_terms = scenario.automakers.payment_term_days
    auto_terms = (
        auto_terms if isinstance(auto_terms, list) else [auto_terms] * max(network.n_automakers, 1)
    )
    tier_terms = scenario.suppliers.payment_term_days
    customer_tier = network.tier[network.edge_customer]
    terms = np.zeros(len(customer_tier), dtype=np.int64)
    automaker_edges = customer_tier == 0
    terms[automaker_edges] = np.asarray(auto_terms)[network.edge_customer[automaker_edges]]
    supplier_edges = ~automaker_edges
    # A loaded network may have more tiers than terms given: the last term applies above.
    index = np.minimum(customer_tier[supplier_edges], len(tier_terms)) - 1
    terms[supplier_edges] = np.asarray(tier_terms)[index]
    return terms
