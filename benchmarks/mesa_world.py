"""A plain-Mesa rival of autofin's whole `scf_none` world, one `mesa.Agent` per firm and bank.

The rival runs autofin's rules for a world without supply-chain-finance instruments (the
supply chain, trade credit, committed bank lines, defaults and their waterfall, re-sourcing,
bank scoring, learning, line reviews, provisions, funding, the central-bank facility, bank
failures, the consumer funnel, car-loan approval and the car-loan book) the way a Mesa user
would write them well: every agent decides for itself with Python scalars, and
event-driven where autofin is event-driven (a calendar of shopping trips, invoices, loans,
goods in transit and workouts keyed by due step, so an idle agent costs nothing).

It starts from autofin's own construction: `build_world` builds `AutofinModel` *without its
warm-up* (the same network, balance sheets, loans and consumers) and converts the arrays into
agents; `MesaWorld.step` then runs the warm-up and the horizon itself, step by step. Results
start after the warm-up, as autofin's do.

Rules left out (see `LEFT_OUT`): they are off in `scf_none` or only feed metrics autofin
reports but the rival does not. `MesaWorld` refuses a scenario that switches one on.
"""

from __future__ import annotations

import bisect
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import mesa
import numpy as np
from scipy.special import wrightomega

from autofin.scenario.schema import Scenario
from autofin.world.applications import payment_to_income
from autofin.world.approval import MINUTES_PER_DAY
from autofin.world.auto_loans import DAYS_PER_MONTH, annuity_factor, unit_schedules
from autofin.world.banks import CAR_LOAN_CHARGE_OFF_DAYS, NON_PERFORMING_DAYS_PAST_DUE
from autofin.world.firms import (
    ARREARS_SMOOTHING,
    MARGIN_SMOOTHING,
    steps_of,
    weekly_ar1,
    weekly_weight,
)
from autofin.world.model import AutofinModel
from autofin.world.scoring import LEARNT_SHIFT_BOUND

EPSILON = 1e-6
OUTSIDE = None  # the creditor of raw-material invoices and of invoices sold to a debt buyer

LEFT_OUT = {
    "supply-chain-finance instruments (order, inventory financing, factoring, reverse "
    "factoring, syndicated loans, payment-term policies)": "off in scf_none",
    "capacity investment and capacity loans": "suppliers.capacity_investment.enabled=false",
    "order lead time (orders_placed book)": "suppliers.order_lead_days=0",
    "re-sourcing costs": "suppliers.resourcing_cost_days=0",
    "shocks (forced defaults, demand factor)": "shocks: []",
    "more than one relationship bank per line": "banks.relationships=1",
    "maturing draws rolled over in steps longer than banks.repay_first_days": "step_days=7",
    "new households": "consumers.new_household_rate=0",
    "the multinomial-logit choice among automakers and its learnt decision times": "one automaker",
    "automaker offers (own APR, partner bank, own approval stack)": "automaker_offers: []",
    "metrics only: ledger flows frame, check tally, bank-app sales attribution, term book "
    "(invoice-to-cash days), default causes, panel, loan log": "not recorded",
}


def check_supported(scenario: Scenario) -> None:
    """Raise `ValueError` when ``scenario`` switches on a rule the rival does not port."""
    sup, fin, con = scenario.suppliers, scenario.finance, scenario.consumers
    problems = []
    if fin.order_financing or fin.inventory_financing or fin.factoring:
        problems.append("finance instruments")
    if fin.reverse_factoring or fin.syndicated_loans or fin.payment_terms:
        problems.append("finance instruments")
    if "bank_loan" not in fin.preference:  # other names matter only for instruments that are on
        problems.append("finance.preference without bank_loan")
    if sup.capacity_investment.enabled:
        problems.append("capacity investment")
    if sup.order_lead_days and steps_of(sup.order_lead_days, scenario.step_days):
        problems.append("order lead time")
    if sup.resourcing_cost_days:
        problems.append("resourcing costs")
    if scenario.shocks:
        problems.append("shocks")
    if scenario.banks.relationships != 1:
        problems.append("relationships")
    if scenario.banks.repay_first_days < scenario.step_days:
        problems.append("steps longer than banks.repay_first_days")
    if scenario.banks.roll_over_maturing_draws:
        problems.append("rollover of maturing draws")
    if con.new_household_rate > 0:
        problems.append("new households")
    if scenario.network.automakers != 1 or con.automaker_offers:
        problems.append("more than one automaker / automaker offers")
    if problems:
        raise ValueError(f"the Mesa rival does not port: {sorted(set(problems))}")


# ====================================================================== agents
class Edge:
    """A supply relationship: one customer buys one part from one supplier (or raw material)."""

    __slots__ = (
        "backlog",
        "customer",
        "expected_flow",
        "live",
        "share",
        "slot",
        "supplier",
        "term",
        "transit",
    )

    def __init__(self, supplier: FirmAgent | None, customer: FirmAgent, share: float) -> None:
        self.supplier = supplier
        self.customer = customer
        self.share = share
        self.live = True
        self.backlog = 0.0
        self.expected_flow = 0.0
        self.term = 1
        self.slot: Slot | None = None
        self.transit: dict[int, float] = {}

    def price(self) -> float:
        """Price of a unit bought over the edge: the supplier's, or raw material's (1)."""
        return 1.0 if self.supplier is None else self.supplier.price


class Slot:
    """One input stock of a customer: a part category it buys."""

    __slots__ = ("edges", "stock", "weight")

    def __init__(self, weight: float, stock: float) -> None:
        self.weight = weight
        self.stock = stock
        self.edges: list[Edge] = []


class FirmAgent(mesa.Agent):
    """An automaker (tier 0) or a supplier: goods, cash, trade credit and its bank line."""

    def __init__(self, model: MesaWorld, row: int) -> None:
        super().__init__(model)
        self.row = row
        self.bought: list[Edge] = []
        self.sold: list[Edge] = []
        self.slots: list[Slot] = []
        self.wip: dict[int, float] = {}
        # Trade invoices owed, by due step: {edge or OUTSIDE: amount}.
        self.bills: dict[int, dict[Any, float]] = {}
        # Draws on the line, by due step: [principal, interest].
        self.loans_due: dict[int, list[float]] = {}

    # -------------------------------------------------------------- valuations
    def input_price(self) -> float:
        """Average price of the firm's purchased inputs, weighted by edge shares."""
        return sum(e.share * e.price() for e in self.bought)

    def unit_cost(self, input_price: float) -> float:
        """Expected cost of one unit: inputs, wages, fixed and the financing passed on."""
        overhead = self.fixed_cost + self.model.pass_through * self.finance_cost
        return (
            input_price * self.input_per_unit
            + self.wage_per_unit
            + overhead / max(self.expected_output, 1e-12)
        )

    def wip_open(self) -> float:
        """Units in work in progress (a running total of `wip`)."""
        return self.wip_total

    def inventory_value(self, input_price: float) -> float:
        """Book value of input stock, work in progress and finished output."""
        input_inventory = sum(s.stock for s in self.slots)
        in_process = self.wip_open() + self.output_inventory
        return input_inventory * input_price + in_process * self.unit_cost(input_price)

    def leverage(self) -> float:
        """Liabilities over assets."""
        assets = self.cash + self.receivables + self.inventory_value(self.input_price_now)
        return (self.payables + self.debt) / max(assets, 1e-9)

    def undrawn(self) -> float:
        """What the firm may still draw on its line."""
        if self.line_frozen or self.bank.failed:
            return 0.0
        return max(self.line_limit - self.debt, 0.0)

    def trade_due(self, t: int) -> float:
        """Trade invoices falling due at ``t``."""
        bills = self.bills.get(t)
        return sum(bills.values()) if bills else 0.0

    def bank_due(self, t: int) -> float:
        """Principal and interest of line draws falling due at ``t``."""
        due = self.loans_due.get(t)
        return due[0] + due[1] if due else 0.0


class BankAgent(mesa.Agent):
    """A bank: reserves, the books of its lines and car loans, capital, learning."""

    def __init__(self, model: MesaWorld, index: int) -> None:
        super().__init__(model)
        self.index = index
        self.clients: list[FirmAgent] = []
        self.failed = False
        self.facility = 0.0
        self.quoted_funding = 0.0
        # Car-loan book by due step: principal, interest, carrying, recovery, defaults, fraud
        # loss, maturing.
        self.car_due: dict[int, list[float]] = {}
        # Unrecovered losses written off after the workout, by step: [line loans, car loans].
        self.write_offs: dict[int, list[float]] = {}
        self.workouts: dict[int, list[tuple[Any, float]]] = {}
        self.car_active = 0.0

    # -------------------------------------------------------------- balance sheet
    def ecosystem_assets(self) -> float:
        """Claims inside the simulated ecosystem, net of provisions."""
        return (
            self.loans
            + self.car_loans
            + self.npl
            + self.recoveries
            - self.provisions
            - self.expected_loss_loans
            - self.expected_loss_cars
        )

    def capital(self) -> float:
        """Capital from the balance sheet."""
        return (
            self.cash + self.ecosystem_assets() + self.other_assets - self.deposits - self.facility
        )

    def capital_ratio(self) -> float:
        """Capital over risk assets."""
        assets = self.ecosystem_assets() + self.other_assets
        return self.capital() / max(assets, 1e-12) if assets > 0 else math.inf

    def funding_rate(self) -> float:
        """Base rate plus a premium that falls with capital."""
        spec = self.model.bank_spec
        ratio = max(self.capital_ratio(), 1e-3)
        return spec.funding_rate + spec.funding_premium * min(spec.min_capital_ratio / ratio, 10.0)

    def capacity(self) -> float:
        """New claims the bank can take on and stay at its minimum capital ratio."""
        if self.failed:
            return 0.0
        room = self.capital() / max(self.model.bank_spec.min_capital_ratio, 1e-9)
        return max(room - (self.ecosystem_assets() + self.other_assets), 0.0)

    def sound(self) -> bool:
        """Not failed and at or above the minimum capital ratio."""
        return not self.failed and self.capital_ratio() >= self.model.bank_spec.min_capital_ratio

    def price(self, pd: float) -> float:
        """Annual rate: funding + expected loss + capital charge + margin."""
        spec = self.model.bank_spec
        funding = self.quoted_funding
        charge = spec.min_capital_ratio * max(spec.cost_of_equity - funding, 0.0)
        return funding + pd * spec.loss_given_default + charge + spec.margin

    def car_loan_cost(self, expected_loss: float) -> float:
        """Annual rate of a car loan before its margin: funding + expected loss + charge."""
        spec = self.model.bank_spec
        funding = self.quoted_funding
        charge = spec.min_capital_ratio * max(spec.cost_of_equity - funding, 0.0)
        return funding + expected_loss + charge

    def pay(self, amount: float) -> None:
        """Pay out ``amount``, drawing on the facility whenever reserves would go negative."""
        self.cash -= amount
        if self.cash < 0.0:
            self.facility += -self.cash
            self.cash = 0.0

    def recognise_default(self, carrying: float, recovered: float, delay: int, car: bool) -> None:
        """Take a defaulted claim off the performing book; the loss is written off later."""
        loss = max(carrying - recovered, 0.0)
        if car:
            self.car_loans -= carrying
        else:
            self.loans -= carrying
        self.npl += loss
        if not car:
            self.npl_loans += loss
        self.provisions += loss
        self.interest_income += max(recovered - carrying, 0.0)
        if loss:
            due = self.model.t + delay
            self.write_offs.setdefault(due, [0.0, 0.0])[1 if car else 0] += loss

    def await_recovery(self, payer: Any, amount: float, delay: int) -> None:
        """What an estate (or the outside world, for a repossessed car) pays after a workout."""
        if amount > 0:
            self.recoveries += amount
            self.workouts.setdefault(self.model.t + delay, []).append((payer, amount))


class ConsumerAgent(mesa.Agent):
    """A household: shops on its calendar trips, borrows, repays through its bank's book."""

    __slots__ = ()

    def __init__(self, model: MesaWorld, row: int, c: Any) -> None:
        super().__init__(model)
        self.income = float(c.income[row])
        self.savings = float(c.savings[row])
        self.risk = float(c.risk[row])
        self.propensity = float(c.propensity[row])
        self.fraud_propensity = float(c.fraud_propensity[row])
        self.fraud = bool(c.fraudster[row])
        self.channel = int(c.channel[row])
        self.last_purchase = int(c.last_purchase[row])
        self.retries = 0
        self.held_bank = -1
        self.held_fate = 0
        self.held_channel = 0
        self.next_trip = int(c.next_trip[row])


@dataclass
class Prospect:
    """A consumer moving through the funnel this step."""

    who: ConsumerAgent
    channel: int
    is_lead: bool
    from_calendar: bool
    price: float = 0.0
    cash_capable: bool = False
    wants_loan: bool = False
    bank: int = 0
    amount: float = 0.0
    apr: float = 0.0
    fate: int = 0
    within_limit: bool = True
    approved: bool = False
    decided_at: float = 0.0
    start: float = 0.0
    start_attempt: float = 0.0
    booked: bool = False


@dataclass
class StepRecord:
    """Headline figures of one step (after the warm-up)."""

    step: int
    sales_units: float = 0.0
    lost_sales_units: float = 0.0
    supplier_defaults: int = 0
    vehicle_demand: float = 0.0
    production_units: float = 0.0
    bank_loans: float = 0.0
    bank_lending_volume: float = 0.0
    consumer_loans_booked: int = 0
    consumer_loan_defaults: float = 0.0
    leads: float = 0.0
    test_drives: float = 0.0
    loan_applications: float = 0.0
    loan_approvals: float = 0.0
    bank_capital: float = 0.0
    trade_bad_debt: float = 0.0
    bank_failures: int = 0
    extra: dict[str, float] = field(default_factory=dict)


# ====================================================================== the model
class MesaWorld(mesa.Model):
    """The rival: autofin's scf_none rules, agent by agent.

    Args:
        scenario: The validated scenario (see `check_supported`).
        world: An `AutofinModel` built without its warm-up (`unwarmed_autofin`); built here
            if omitted.
    """

    def __init__(self, scenario: Scenario, world: AutofinModel | None = None) -> None:
        check_supported(scenario)
        super().__init__(rng=scenario.seed + 7919)
        if world is None:
            world = unwarmed_autofin(scenario)
        self.spec = scenario
        self.bank_spec = scenario.banks
        self.step_days = scenario.step_days
        self.step_years = scenario.step_days / 365.0
        self.warmup_steps = world.warmup_steps
        self.t = -self.warmup_steps
        self.pass_through = scenario.suppliers.finance_cost_pass_through
        self.records: list[StepRecord] = []
        self.rec = StepRecord(self.t)
        self._convert(world)

    # ------------------------------------------------------------------ conversion
    def _convert(self, world: AutofinModel) -> None:
        """Turn autofin's arrays (before the warm-up) into agents and calendars."""
        f, banks, ledger, spec = world.firms, world.banks, world.ledger, self.spec
        start = self.t
        n = f.n

        def due_step(row: int, horizon: int) -> int:
            return start + ((row - start) % horizon)

        self.banks = [BankAgent(self, b) for b in range(banks.count)]
        exposure = banks.exposure
        for b, bank in enumerate(self.banks):
            bank.cash = float(ledger.balance[banks.accounts[b]])
            bank.deposits = float(banks.deposits[b])
            bank.other_assets = float(banks.other_assets[b])
            bank.loans = float(exposure[0, b])
            bank.car_loans = float(exposure[6, b])
            bank.npl = float(banks.npl[:, b].sum())
            bank.npl_loans = float(banks.npl[0, b])
            bank.provisions = float(banks.provisions[:, b].sum())
            bank.recoveries = float(banks.recoveries[:, b].sum())
            bank.expected_loss_loans = float(banks.expected_loss[:6, b].sum())
            bank.expected_loss_cars = float(banks.expected_loss[6, b])
            bank.facility = float(banks.facility[b])
            bank.intercept_shift = float(banks.scoring.intercept_shift[b])
            bank.predicted = float(banks.scoring.predicted_defaults[b])
            bank.observed = float(banks.scoring.observed_defaults[b])
            bank.interest_income = 0.0
            bank.funding_costs = 0.0
            bank.car_loss_rate = float(world.market.loans.loss_rate[b])
        self.firms = firms = [FirmAgent(self, i) for i in range(n)]
        cash = ledger.balance[:n]
        for i, firm in enumerate(firms):
            firm.tier = int(f.tier[i])
            firm.is_automaker = bool(f.is_automaker[i])
            firm.active = bool(f.active[i])
            firm.price = float(f.price[i])
            firm.margin = float(f.margin[i])
            firm.input_per_unit = float(f.input_per_unit[i])
            firm.wage_per_unit = float(f.wage_per_unit[i])
            firm.fixed_cost = float(f.fixed_cost_per_step[i])
            firm.capacity = float(f.capacity[i])
            firm.expected_output = float(f.expected_output[i])
            firm.cost_shock = float(f.cost_shock[i])
            firm.output_inventory = float(f.output_inventory[i])
            firm.forecast = float(f.order_forecast[i])
            firm.receivables = float(f.receivables[i])
            firm.payables = float(f.payables[i])
            firm.debt = float(f.debt[i])
            firm.cash_flow_margin = float(f.cash_flow_margin[i])
            firm.arrears_history = float(f.arrears_history[i])
            firm.arrears_steps = int(f.arrears_steps[i])
            firm.negative_equity_steps = int(f.negative_equity_steps[i])
            firm.wages_due = float(f.wages_due[i])
            firm.finance_cost = float(f.finance_cost_per_step[i])
            firm.cash_target = float(f.cash_target[i])
            firm.equity = float(f.equity[i])
            firm.fixed_assets = float(f.fixed_assets[i])
            firm.equity_target = float(f.equity_target[i])
            firm.kept_headroom = float(banks.kept_headroom[i])
            firm.low_cover_reviews = int(banks.low_cover_reviews[i])
            firm.wc_per_unit = float(f.working_capital_per_unit[i])
            firm.part = int(f.part[i])
            firm.cash = float(cash[i])
            firm.bank = self.banks[int(banks.part_bank[0, i])]
            firm.bank.clients.append(firm)
            firm.line_contract = float(banks.part_contract[0, i])
            firm.line_limit = float(banks.part_limit[0, i])
            firm.line_approved = float(banks.part_approved[0, i])
            firm.line_frozen = bool(banks.part_frozen[0, i])
            firm.line_rate = float(banks.part_rate[0, i])
            firm.line_interest = float(banks.part_interest[0, i])
            firm.covenant = float(banks.line_covenant[i])
            firm.pd = 0.0
            firm.base_log_odds = 0.0
            firm.revenue_now = 0.0
            firm.finance_cost_now = 0.0
            firm.exposure = 0.0
            firm.wip_total = float(f.work_in_progress.amounts[:, i].sum())
            firm.input_price_now = 0.0
            for row in range(f.work_in_progress.horizon):
                units = float(f.work_in_progress.amounts[row, i])
                if units:
                    firm.wip[due_step(row, f.work_in_progress.horizon)] = units
            for row in range(banks.principal_book.horizon):
                p = float(banks.principal_book.amounts[row, i])
                q = float(banks.interest_book.amounts[row, i])
                if p or q:
                    firm.loans_due[due_step(row, banks.principal_book.horizon)] = [p, q]
        self.tiers: list[list[FirmAgent]] = [[] for _ in range(int(f.tier.max()) + 1)]
        for firm in firms:
            self.tiers[firm.tier].append(firm)
        self.makers = self.tiers[0]
        slots = []
        for s in range(len(f.slot_customer)):
            slot = Slot(float(f.slot_weight[s]), float(f.slot_stock[s]))
            firms[int(f.slot_customer[s])].slots.append(slot)
            slots.append(slot)
        self.edges: list[Edge] = []
        trade = world.trade
        horizon = trade.edge_book.horizon
        for e in range(len(f.edge_supplier)):
            s = int(f.edge_supplier[e])
            customer = firms[int(f.edge_customer[e])]
            edge = Edge(None if s < 0 else firms[s], customer, float(f.edge_share[e]))
            edge.live = bool(f.edge_live[e])
            edge.backlog = float(f.edge_backlog[e])
            edge.expected_flow = float(f.edge_expected_flow[e])
            edge.term = int(f.edge_term_steps[e])
            edge.slot = slots[int(f.edge_slot[e])]
            edge.slot.edges.append(edge)
            for row in range(f.in_transit.horizon):
                units = float(f.in_transit.amounts[row, e])
                if units:
                    edge.transit[due_step(row, f.in_transit.horizon)] = units
            for row in range(horizon):
                amount = float(trade.edge_book.amounts[row, e])
                if amount:
                    customer.bills.setdefault(due_step(row, horizon), {})[edge] = amount
            customer.bought.append(edge)
            if edge.supplier is not None:
                edge.supplier.sold.append(edge)
            self.edges.append(edge)
        for i, firm in enumerate(firms):
            for row in range(horizon):
                amount = float(trade.outside_book.amounts[row, i])
                if amount:
                    firm.bills.setdefault(due_step(row, horizon), {})[OUTSIDE] = amount
        self.resourcing: dict[int, list[Edge]] = {}
        # Consumers and their calendar of trips.
        c = world.consumers
        self.consumer_spec = cs = spec.consumers
        self.consumers = [ConsumerAgent(self, r, c) for r in range(c.population)]
        self.trips: dict[int, list[ConsumerAgent]] = defaultdict(list)
        for consumer in self.consumers:
            self.trips[consumer.next_trip].append(consumer)
        self.app_users = [self.consumers[r] for r in c.app_users.tolist()]
        self.holding_steps = c.holding_steps
        offers = world.market.offers
        self.instalment = 0.0  # the posted APR's, every step (`post_car_rates`)
        self.down_share = float(offers.down_payment_share[0])
        self.partner_bank = int(offers.partner_bank[0])
        self.partner_margin = float(offers.margin[0])
        book = world.market.loans
        self.car_offsets = book.due_offset.tolist()
        self.npl_delay = book.npl_delay
        self.charge_off_delay = book.charge_off_delay
        self.loss_memory = book.loss_memory
        self.free_at = [-math.inf] * len(self.banks)
        self.checks = list(cs.approval.checks)
        sources = sorted({ch.source or f"own:{k}" for k, ch in enumerate(self.checks)})
        self.check_source = [
            sources.index(ch.source or f"own:{k}") for k, ch in enumerate(self.checks)
        ]
        self.n_sources = len(sources)
        auto = [ch.latency_minutes for ch in self.checks if ch.automatic]
        self.automatic_minutes = (max(auto) if cs.approval.parallel else sum(auto)) if auto else 0
        self.has_manual = any(not ch.automatic for ch in self.checks)
        self.review_minutes = cs.approval.review_minutes + sum(
            ch.latency_minutes for ch in self.checks if not ch.automatic
        )
        self.shift_minutes = cs.approval.working_hours * 60.0
        # Constants.
        sup, auto_spec = spec.suppliers, spec.automakers
        self.lead_steps = max(f.lead_steps, 1)
        self.transit_steps = f.transit_steps
        self.term_steps = banks.term_steps
        self.review_steps = banks.review_steps
        self.cover_reviews = banks.cover_reviews
        self.memory_steps = banks.scoring.memory_steps
        self.workout_steps = banks.workout_steps
        self.grace = steps_of(self.bank_spec.grace_days, self.step_days)
        self.insolvency_steps = steps_of(self.bank_spec.insolvency_days, self.step_days)
        self.resourcing_delay = max(steps_of(sup.resourcing_delay_days, self.step_days), 1)
        self.car_charge_off = max(
            1, math.ceil(CAR_LOAN_CHARGE_OFF_DAYS / self.step_days - 1e-9) - self.npl_delay
        )
        for firm in firms:
            a = firm.is_automaker
            firm.target_steps = (
                auto_spec.inventory_target_days if a else sup.inventory_target_days
            ) / self.step_days
            firm.adjust_steps = max(
                (auto_spec.inventory_adjustment_days if a else sup.inventory_adjustment_days)
                / self.step_days,
                1.0,
            )
            firm.payout = auto_spec.dividend_payout if a else sup.dividend_payout
            firm.pays_while_indebted = (
                auto_spec.payout_while_indebted if a else sup.payout_while_indebted
            )

    # ------------------------------------------------------------------ the step
    def step(self) -> None:
        """One period in autofin's economic order."""
        self.t += 1
        t = self.t
        self.rec = rec = StepRecord(t)
        for bank in self.banks:
            bank.quoted_funding = bank.funding_rate()
        active_at_start = [firm.active for firm in self.firms]
        self.receive_goods(t)
        self.resource(t)
        self.cost_shocks_and_prices()
        self.score_review_classify(t)
        orders = self.plan_and_order()
        for firm in self.firms:
            firm.revenue_now = 0.0
            firm.finance_cost_now = 0.0
        smoothing = self.spec.suppliers.forecast_smoothing
        received = {id(firm): 0.0 for firm in self.firms}
        for edge, units in orders:
            edge.backlog += units
            if edge.supplier is not None:
                received[id(edge.supplier)] += units
        for firm in self.firms:
            if not firm.is_automaker:
                firm.forecast += smoothing * (received[id(firm)] - firm.forecast)
        rec.production_units = self.produce(t)
        self.ship_and_invoice(t)
        self.settle(t)
        self.learn(active_at_start)
        self.repay_car_loans(t)
        self.sell_vehicles(t)
        self.pay_dividends()
        self.bank_end_of_step(t)
        smoothing = min(1.0, self.step_days / 91.0)
        for firm in self.firms:
            firm.finance_cost += smoothing * (firm.finance_cost_now - firm.finance_cost)
        self.smooth_margins()
        rec.bank_loans = sum(bank.loans + bank.npl_loans for bank in self.banks)
        rec.bank_capital = sum(bank.capital() for bank in self.banks)
        if t > 0:
            self.records.append(rec)

    # ------------------------------------------------------------------ goods
    def receive_goods(self, t: int) -> None:
        """Shipments and finished work that fall due arrive in stock."""
        for edge in self.edges:
            if edge.transit:
                units = edge.transit.pop(t, 0.0)
                if units:
                    edge.slot.stock += units
        for firm in self.firms:
            if firm.wip:
                units = firm.wip.pop(t, 0.0)
                firm.output_inventory += units
                firm.wip_total = sum(firm.wip.values()) if firm.wip else 0.0

    def resource(self, t: int) -> None:
        """Broken edges whose delay has run out move to a new supplier (size-weighted)."""
        due = self.resourcing.pop(t, None)
        if not due:
            return
        slack = self.spec.suppliers.capacity_slack
        output_before = [firm.expected_output for firm in self.firms]
        added: dict[int, float] = {}
        by_firm: dict[int, FirmAgent] = {}
        moved: list[tuple[Edge, FirmAgent]] = []
        groups: dict[tuple[int, int], list[Edge]] = {}
        for edge in due:
            if edge.customer.active:
                key = (edge.customer.tier + 1, edge.supplier.part)
                groups.setdefault(key, []).append(edge)
        # Tier by tier (as autofin): a customer's output raised by one group counts in the next.
        for tier, part in sorted(groups):
            edges = groups[(tier, part)]
            # The surviving suppliers of the part, chosen in proportion to their size.
            candidates = [x for x in self.tiers[tier] if x.active and x.part == part]
            if not candidates:
                self.resourcing.setdefault(t + 1, []).extend(edges)
                continue
            weights = [x.expected_output for x in candidates]
            chosen_all = self.random.choices(candidates, weights=weights, k=len(edges))
            group: dict[int, float] = {}
            for edge, chosen in zip(edges, chosen_all, strict=True):
                demand = _flow(edge, edge.customer.expected_output)
                group[id(chosen)] = group.get(id(chosen), 0.0) + demand
                by_firm[id(chosen)] = chosen
                moved.append((edge, edge.supplier))
                edge.supplier.sold.remove(edge)
                edge.supplier = chosen
                chosen.sold.append(edge)
                edge.live = True
            for key, amount in group.items():
                firm = by_firm[key]
                firm.expected_output += amount
                firm.capacity += slack * amount
                firm.forecast += amount
                added[key] = added.get(key, 0.0) + amount
        if self.spec.suppliers.inputs_follow_business:
            self.transfer_inputs(moved, output_before)
        for key, amount in added.items():
            firm = by_firm[key]
            # The new supplier's main bank raises the line for the new output.
            if not firm.line_frozen and firm.bank.sound():
                extension = amount * self.bank_spec.line_limit_days * firm.price / self.step_days
                firm.line_contract += extension
                firm.line_approved += extension
                firm.line_limit += extension
                # The raise carries the new output's working capital, not dividends.
                firm.kept_headroom += extension

    def transfer_inputs(
        self, moved: list[tuple[Edge, FirmAgent]], output_before: list[float]
    ) -> None:
        """A defaulted supplier's own suppliers follow its business to its largest taker.

        The heir (the firm that took the most of its business, at the customers' current
        output; the lower row on a tie) buys over each input edge from a live supplier, in
        its slot for the same part, the share of the edge's flow it took; each receiving
        slot's share of the heir's inputs is split among its edges by flow, its own edges'
        at its output before this step's re-sourcing.
        """
        taken: dict[int, dict[int, float]] = {}
        for edge, dead in moved:
            by_taker = taken.setdefault(dead.row, {})
            row = edge.supplier.row
            by_taker[row] = by_taker.get(row, 0.0) + _flow(edge, edge.customer.expected_output)
        transfers: list[tuple[Edge, FirmAgent, Slot, float]] = []
        for dead_row, by_taker in sorted(taken.items()):
            total = sum(by_taker.values())
            if total <= 0:
                continue
            heir_row = min(by_taker, key=lambda row: (-by_taker[row], row))
            heir, dead = self.firms[heir_row], self.firms[dead_row]
            fraction = by_taker[heir_row] / total
            for edge in dead.bought:
                if edge.supplier is None or not edge.supplier.active:
                    continue
                part = edge.supplier.part
                slot = next(
                    (
                        s
                        for s in heir.slots
                        if any(e.supplier is not None and e.supplier.part == part for e in s.edges)
                    ),
                    None,
                )
                if slot is not None:
                    inherited = _flow(edge, dead.expected_output) * fraction
                    transfers.append((edge, heir, slot, inherited))
        own = {id(slot): list(slot.edges) for _, _, slot, _ in transfers}
        receiving: dict[int, Slot] = {}
        for edge, heir, slot, inherited in transfers:
            edge.customer.bought.remove(edge)
            edge.slot.edges.remove(edge)
            edge.expected_flow = inherited
            edge.customer = heir
            heir.bought.append(edge)
            edge.slot = slot
            slot.edges.append(edge)
            edge.live = True
            receiving[id(slot)] = slot
        for key, slot in receiving.items():
            for e in own[key]:
                e.expected_flow = _flow(e, output_before[e.customer.row])
            share = sum(e.share for e in own[key])
            total = sum(e.expected_flow for e in slot.edges)
            if total > 0:
                for e in slot.edges:
                    e.share = share * e.expected_flow / total

    def cost_shocks_and_prices(self) -> None:
        """AR(1) wage-cost shocks; cost-plus prices (all computed on last step's prices)."""
        sup = self.spec.suppliers
        gauss = self.random.gauss
        persistence, sd = weekly_ar1(sup.cost_shock_persistence, sup.cost_shock_sd, self.step_days)
        for firm in self.firms:
            shock = gauss(0.0, sd)
            firm.cost_shock = 0.0 if firm.is_automaker else (persistence * firm.cost_shock + shock)
        new = [
            (firm, firm.unit_cost(firm.input_price()) * (1.0 + firm.margin))
            for firm in self.firms
            if firm.active and not firm.is_automaker
        ]
        for firm, price in new:
            firm.price = price
        for firm in self.firms:  # prices hold for the rest of the step
            firm.input_price_now = firm.input_price()

    # ------------------------------------------------------------------ banks' round
    def ineligible_receivables(self) -> dict[int, float]:
        """Open invoices owed by buyers long past due, per supplier (keyed by ``id``)."""
        days = self.bank_spec.ineligible_days_past_due
        out: dict[int, float] = {}
        for buyer in self.firms:
            if buyer.arrears_steps * self.step_days <= days:
                continue
            for bills in buyer.bills.values():
                for key, amount in bills.items():
                    if key is not OUTSIDE and key.supplier is not None:
                        out[id(key.supplier)] = out.get(id(key.supplier), 0.0) + amount
        return out

    def score_review_classify(self, t: int) -> None:
        """Banks score every firm, review lines due or in breach, charge fees, provision."""
        spec = self.bank_spec
        w = spec.scoring
        gauss = self.random.gauss
        late_days = NON_PERFORMING_DAYS_PAST_DUE
        for firm in self.firms:
            revenue = firm.price * firm.expected_output
            firm.cover = firm.cash_flow_margin * revenue / max(firm.finance_cost, 1e-9)
            cover = min(max(firm.cover, 0.0), 10.0)
            firm.lev = firm.leverage()
            base = (
                w.intercept
                + w.leverage * firm.lev
                - w.cash_flow * firm.cash_flow_margin
                - w.interest_cover * cover
                + w.arrears * firm.arrears_history
                + w.tier * firm.tier
            )
            noise = gauss(0.0, spec.scoring_noise)
            firm.base_log_odds = base + noise
            firm.pd = 1.0 / (1.0 + math.exp(-(base + firm.bank.intercept_shift + noise)))
        sound = {id(bank): bank.sound() for bank in self.banks}
        fee_rate = spec.commitment_fee * self.step_years
        ineligible = self.ineligible_receivables()
        for i, firm in enumerate(self.firms):
            breach = firm.lev > firm.covenant
            eligible = max(firm.receivables - ineligible.get(id(firm), 0.0), 0.0)
            supported = max(firm.line_contract, spec.receivables_advance_rate * eligible)
            scheduled = (i + t) % self.review_steps == 0
            if firm.active and scheduled and spec.resize_min_interest_cover > 0:
                # Reviews in a row at which its cash flow did not cover its interest enough.
                low = firm.cover < spec.resize_min_interest_cover
                firm.low_cover_reviews = firm.low_cover_reviews + 1 if low else 0
            if firm.active and (scheduled or breach):
                if firm.pd > spec.max_probability_of_default or breach or not sound[id(firm.bank)]:
                    firm.line_frozen = True
                else:
                    firm.line_frozen = False
                    need = firm.expected_output * firm.wc_per_unit
                    covered = firm.low_cover_reviews < self.cover_reviews
                    if spec.resize_lines_at_renewal and need > 0 and covered:
                        # The formula on the need of its output and its own funds now.
                        own = firm.equity - firm.fixed_assets - firm.cash_target
                        revenue = firm.price * firm.expected_output
                        revenue_days = spec.line_limit_days * revenue / self.step_days
                        formula = need * (1.0 + spec.expected_sales_growth) - own
                        raised = max(firm.line_contract, max(revenue_days, formula))
                        firm.kept_headroom += raised - firm.line_contract
                        firm.line_contract = raised
                        base = spec.receivables_advance_rate * eligible
                        supported = max(firm.line_contract, base)
                    firm.line_approved = supported
                    firm.line_rate = firm.bank.price(firm.pd)
            if firm.line_frozen:
                firm.line_limit = min(firm.line_limit, firm.debt)
            else:  # between reviews the limit follows the borrowing base
                held = min(firm.debt, firm.line_limit)
                firm.line_limit = max(min(firm.line_approved, supported), held)
            fee = fee_rate * firm.undrawn() if firm.active else 0.0
            if fee > 0:
                firm.line_interest += fee
                due = firm.loans_due.setdefault(t + 1, [0.0, 0.0])
                due[1] += fee
        # Provisions: a performing loan at its PD (past due at 1) × LGD.
        lgd = spec.loss_given_default
        step_days = self.step_days
        for bank in self.banks:
            at_risk = 0.0
            for firm in bank.clients:
                if firm.debt:
                    late = firm.arrears_steps * step_days >= late_days
                    at_risk += (1.0 if late else firm.pd) * firm.debt
            bank.expected_loss_loans = lgd * at_risk
        for bank in self.banks:
            bank.round_capacity = bank.capacity()
        for firm in self.firms:
            firm.exposure = firm.debt

    # ------------------------------------------------------------------ production
    def fundable(self, firm: FirmAgent) -> float:
        """The output per step the firm's funds can carry."""
        if not self.spec.suppliers.finance_constrained_production or firm.wc_per_unit <= 0:
            return math.inf
        funds = firm.equity - firm.fixed_assets + firm.line_limit - firm.cash_target
        return max(funds, 0.0) / firm.wc_per_unit

    def plan_and_order(self) -> list[tuple[Edge, float]]:
        """Production plans (order-up-to on smoothed demand) and orders per input slot."""
        orders = []
        lead, transit = self.lead_steps, self.transit_steps
        for firm in self.firms:
            fundable = self.fundable(firm)
            forecast = min(firm.forecast, fundable)
            firm.forecast_used = forecast
            backlog = sum(e.backlog for e in firm.sold)
            gap = (
                (firm.target_steps + lead) * forecast
                + backlog
                - firm.output_inventory
                - firm.wip_open()
            )
            ceiling = min(firm.capacity, fundable)
            plan = min(max(forecast + gap / firm.adjust_steps, 0.0), ceiling)
            firm.plan = plan if firm.active else 0.0
            if not firm.active:
                continue
            for slot in firm.slots:
                if not slot.edges:
                    continue
                usage = firm.input_per_unit * slot.weight * forecast
                on_order = sum(e.backlog + sum(e.transit.values()) for e in slot.edges)
                target = usage * (firm.target_steps + transit)
                ordered = max(usage + (target - slot.stock - on_order) / firm.adjust_steps, 0.0)
                for edge in slot.edges:
                    if edge.live:
                        orders.append((edge, ordered * edge.share / slot.weight))
        return orders

    def produce(self, t: int) -> float:
        """Start production within plan and the scarcest part; book wages.

        Returns:
            Vehicles started (autofin's ``production_units``).
        """
        total = 0.0
        due = t + self.lead_steps
        for firm in self.firms:
            if not firm.active:
                firm.wages_due = 0.0
                continue
            need = firm.input_per_unit
            possible = min(slot.stock / (need * slot.weight) for slot in firm.slots)
            started = min(firm.plan, possible)
            for slot in firm.slots:
                slot.stock = max(slot.stock - started * need * slot.weight, 0.0)
            if started:
                firm.wip[due] = firm.wip.get(due, 0.0) + started
                firm.wip_total += started
            firm.wages_due = started * firm.wage_per_unit * math.exp(firm.cost_shock)
            if firm.is_automaker:
                total += started
        return total

    def ship_and_invoice(self, t: int) -> None:
        """Ship against backlogs, pro rata when short; invoice at the buyer's term."""
        for firm in self.firms:
            if firm.sold:
                backlog = sum(e.backlog for e in firm.sold)
                firm.fill = (
                    min(1.0, firm.output_inventory / max(backlog, 1e-12)) if firm.active else 0.0
                )
        arrive = t + self.transit_steps
        for edge in self.edges:
            if not edge.live or edge.backlog <= 0:
                continue
            supplier = edge.supplier
            units = edge.backlog if supplier is None else edge.backlog * supplier.fill
            if units <= 0:
                continue
            edge.backlog -= units
            transit = edge.transit
            transit[arrive] = transit.get(arrive, 0.0) + units
            if supplier is None:
                value = units  # raw material at price 1
            else:
                value = units * supplier.price
                supplier.output_inventory = max(supplier.output_inventory - units, 0.0)
                supplier.receivables += value
                supplier.revenue_now += value
            customer = edge.customer
            customer.payables += value
            bills = customer.bills.setdefault(t + max(edge.term, 1), {})
            bills[edge] = bills.get(edge, 0.0) + value

    # ------------------------------------------------------------------ settlement
    def settle(self, t: int) -> None:
        """Settle what is due, tier by tier from the automakers up (see autofin `_settle`)."""
        spec = self.bank_spec
        for firm in self.firms:
            equity = (
                firm.cash
                + firm.receivables
                + firm.inventory_value(firm.input_price_now)
                + firm.fixed_assets
                - firm.payables
                - firm.debt
            )
            firm.negative_equity_steps = firm.negative_equity_steps + 1 if equity < 0 else 0
            firm.equity = equity
        penalty = spec.late_rate * self.step_years
        settled: list[FirmAgent] = []  # firms active when their tier settled, every tier
        for tier in self.tiers:
            called = [
                f for f in tier if f.active and f.negative_equity_steps > self.insolvency_steps
            ]
            self.liquidate(called, t)
            active = [f for f in tier if f.active]
            # 1. Firms short of cash draw on their lines.
            for firm in active:
                firm.senior = firm.wages_due + firm.fixed_cost
                firm.due = firm.trade_due(t) + firm.bank_due(t) + firm.senior
                if firm.due > firm.cash + EPSILON:
                    self.draw(firm, firm.due - firm.cash, t)
            # 2. Pay their suppliers, or fall into arrears, or fail.
            failing = []
            for firm in active:
                firm.able = firm.cash >= firm.due - EPSILON
                firm.late = (
                    not firm.able
                    and firm.cash >= firm.senior - EPSILON
                    and firm.arrears_steps < self.grace
                )
                if firm.able:
                    self.pay_bills(firm, t)
                elif firm.late:
                    self.defer(firm, t, penalty)
                else:
                    failing.append(firm)
            settled += active
            self.liquidate(failing, t)
        # 3. Every tier at once: wages and fixed costs and the banks' dues, then (on the
        # banks' capital after every repayment) the draws restoring cash buffers.
        for firm in settled:
            if firm.able or firm.late:
                firm.cash -= firm.wages_due + firm.fixed_cost
            if firm.able:
                self.collect_loans(firm, t)
        arrears_weight = weekly_weight(ARREARS_SMOOTHING, self.step_days)
        for firm in settled:
            if firm.able:
                if firm.cash < firm.cash_target - EPSILON:
                    need = firm.cash_target - firm.cash
                    self.draw(firm, need / (1.0 + spec.borrowing_buffer), t)
                firm.arrears_steps = 0
            elif firm.late:
                firm.arrears_steps += 1
            firm.arrears_history += arrears_weight * (float(firm.late) - firm.arrears_history)

    def draw(self, firm: FirmAgent, need: float, t: int) -> None:
        """Draw on the line for ``need`` × (1 + buffer), within every limit; kept whole or not."""
        spec = self.bank_spec
        bank = firm.bank
        if bank.failed or firm.line_frozen:
            return
        room = max(spec.concentration_limit * bank.capital() - firm.exposure, 0.0)
        amount = min(need * (1.0 + spec.borrowing_buffer), min(room, firm.undrawn()))
        if amount <= 0 or amount > bank.round_capacity:
            return
        bank.round_capacity -= amount
        rate = firm.line_rate
        years = self.term_steps * self.step_years
        bank.pay(amount)
        firm.cash += amount
        interest = amount * rate * years
        due = firm.loans_due.setdefault(t + self.term_steps, [0.0, 0.0])
        due[0] += amount
        due[1] += interest
        firm.debt += amount
        firm.line_interest += interest
        firm.exposure += amount
        bank.loans += amount
        firm.finance_cost_now += amount * rate * years
        self.rec.bank_lending_volume += amount

    def pay_bills(self, firm: FirmAgent, t: int) -> None:
        """Pay every trade invoice due now."""
        bills = firm.bills.pop(t, None)
        if not bills:
            return
        for key, amount in bills.items():
            firm.cash -= amount
            firm.payables -= amount
            if key is not OUTSIDE and key.supplier is not None:
                key.supplier.cash += amount
                key.supplier.receivables -= amount

    def collect_loans(self, firm: FirmAgent, t: int) -> None:
        """Repay the draws due now with their interest."""
        due = firm.loans_due.pop(t, None)
        if not due:
            return
        principal, interest = due
        firm.cash -= principal + interest
        bank = firm.bank
        bank.cash += principal + interest
        firm.debt -= principal
        firm.line_interest -= interest
        bank.loans -= principal
        bank.interest_income += interest

    def defer(self, firm: FirmAgent, t: int, penalty: float) -> None:
        """Roll what is due now to the next step, at a penalty."""
        bills = firm.bills.pop(t, None)
        if bills:
            later = firm.bills.setdefault(t + 1, {})
            for key, amount in bills.items():
                later[key] = later.get(key, 0.0) + amount * (1.0 + penalty)
                firm.payables += amount * penalty
                if key is not OUTSIDE and key.supplier is not None:
                    key.supplier.receivables += amount * penalty
        due = firm.loans_due.pop(t, None)
        if due:
            principal, interest = due
            late = (principal + interest) * self.bank_spec.late_rate * self.step_years
            firm.line_interest += late
            later = firm.loans_due.setdefault(t + 1, [0.0, 0.0])
            later[0] += principal
            later[1] += interest + late

    def liquidate(self, debtors: list[FirmAgent], t: int) -> None:
        """Default: realise the estate, pay the line from the receivables, the rest pro rata."""
        spec = self.spec
        lgd = self.bank_spec.loss_given_default
        recovery_rate = spec.suppliers.recovery_rate
        for debtor in debtors:
            if not debtor.active:
                continue
            self.rec.supplier_defaults += 0 if debtor.is_automaker else 1
            # 1. The estate.
            input_price = debtor.input_price_now
            in_transit = sum(sum(e.transit.values()) * e.price() for e in debtor.bought)
            inventory = debtor.inventory_value(input_price) + in_transit
            price = 0.0
            for edge in debtor.sold:
                face = sum(b.get(edge, 0.0) for b in edge.customer.bills.values())
                if face:
                    years = edge.term * self.step_years
                    pd = min(edge.customer.pd, 1.0 - 1e-12)
                    over_term = -math.expm1(years * math.log1p(-pd))
                    price += face * (1.0 - over_term * lgd)
            receivables = debtor.receivables
            rate = price / max(receivables, 1e-12) if receivables > 0 else 1.0
            sale = (
                receivables * rate
                + inventory * recovery_rate
                + debtor.fixed_assets * spec.suppliers.fixed_asset_recovery
            )
            estate = max(debtor.cash, 0.0) + sale
            debtor.cash += sale
            # Invoices the debtor holds are sold to the outside world.
            for edge in debtor.sold:
                for bills in edge.customer.bills.values():
                    amount = bills.pop(edge, None)
                    if amount:
                        bills[OUTSIDE] = bills.get(OUTSIDE, 0.0) + amount
                        debtor.receivables -= amount
            # 2. What it owes: its bank line, its suppliers, the outside world.
            bank_claim = debtor.debt
            debtor.loans_due.clear()
            debtor.line_interest = 0.0
            trade: dict[Any, float] = {}
            for bills in debtor.bills.values():
                for key, amount in bills.items():
                    trade[key] = trade.get(key, 0.0) + amount
            debtor.bills.clear()
            for key, amount in trade.items():
                debtor.payables -= amount
                if key is not OUTSIDE and key.supplier is not None:
                    key.supplier.receivables -= amount
            # The line is secured on the receivables: paid from what they fetch first; its
            # shortfall ranks with the trade creditors in the rest of the estate.
            secured = min(max(bank_claim, 0.0), receivables * rate)
            shortfall = max(bank_claim, 0.0) - secured
            free = estate - secured
            owed = shortfall + sum(max(a, 0.0) for a in trade.values())
            share = min(free / owed, 1.0) if owed > 0 else 1.0
            # 3. Pay: banks after the workout, trade creditors now; the rest to the owners.
            bank = debtor.bank
            paid = secured + shortfall * share
            bank.await_recovery(debtor, paid, self.workout_steps)
            bank.recognise_default(bank_claim, paid, self.workout_steps, car=False)
            debtor.debt = 0.0
            for key, amount in trade.items():
                got = max(amount, 0.0) * share
                debtor.cash -= got
                if key is not OUTSIDE and key.supplier is not None:
                    key.supplier.cash += got
                    self.rec.trade_bad_debt += max(amount, 0.0) - got
            debtor.cash -= max(free - owed, 0.0)  # the residual, to the owners
            # 4. The firm stops; its customers re-source after the delay.
            debtor.active = False
            for slot in debtor.slots:
                slot.stock = 0.0
            debtor.output_inventory = 0.0
            debtor.wip.clear()
            debtor.wip_total = 0.0
            debtor.wages_due = 0.0
            for edge in debtor.bought:
                edge.transit.clear()
                edge.live = False
                edge.backlog = 0.0
            for edge in debtor.sold:
                edge.live = False
                edge.backlog = 0.0
            self.resourcing.setdefault(t + self.resourcing_delay, []).extend(debtor.sold)

    def learn(self, was_active: list[bool]) -> None:
        """Each bank recalibrates its intercept to the defaults among its clients."""
        spec = self.bank_spec.scoring
        keep = 0.5 ** (1.0 / max(self.memory_steps, 1))
        for bank in self.banks:
            predicted = observed = 0.0
            for firm in bank.clients:
                if was_active[firm.row]:
                    hazard = _softplus(firm.base_log_odds)
                    predicted += hazard * self.step_years
                    observed += 0.0 if firm.active else 1.0
            bank.predicted = keep * bank.predicted + predicted
            bank.observed = keep * bank.observed + observed
        prior = spec.learning_prior
        if prior > 1e12:
            return
        pooled = _log_ratio(
            sum(b.observed for b in self.banks), sum(b.predicted for b in self.banks), prior, 0.0
        )
        for bank in self.banks:
            live = [f.base_log_odds for f in bank.clients if f.active]
            if not live:
                continue
            log_ratio = _log_ratio(bank.observed, bank.predicted, prior, pooled)
            target = math.exp(log_ratio) * sum(_softplus(x) for x in live)
            bank.intercept_shift = _intercept_for_hazard(live, target, bank.intercept_shift)

    # ------------------------------------------------------------------ consumers
    def repay_car_loans(self, t: int) -> None:
        """Instalments due now; loans 90 days past due go non-performing; provisions.

        Each bank's loss rate is its own book's (autofin `ConsumerLoanBook.collect`).
        """
        for bank in self.banks:
            due = bank.car_due.pop(t, None)
            if due is None:
                continue
            principal, interest, carrying, recovery, defaults, _fraud, maturing = due
            bank.cash += principal + interest
            bank.car_loans -= principal
            bank.interest_income += interest
            bank.car_due_now = (carrying, recovery)
            bank.car_active -= defaults + maturing
            self.rec.consumer_loan_defaults += defaults
        for bank in self.banks:
            carrying, recovery = getattr(bank, "car_due_now", (0.0, 0.0))
            bank.car_due_now = (0.0, 0.0)
            if carrying:
                bank.recognise_default(carrying, recovery, self.car_charge_off, car=True)
                bank.await_recovery(OUTSIDE, recovery, self.car_charge_off)
            if bank.car_loans > 0:
                annual = (carrying - recovery) / bank.car_loans / self.step_years
                bank.car_loss_rate = (
                    self.loss_memory * bank.car_loss_rate + (1 - self.loss_memory) * annual
                )
            bank.expected_loss_cars = bank.car_loss_rate * max(bank.car_loans, 0.0)

    def sell_vehicles(self, t: int) -> None:
        """Consumers shop, apply for loans, banks decide; the automaker sells from stock."""
        cs = self.consumer_spec
        r = self.random
        rec = self.rec
        maker = self.makers[0]
        home: list[ConsumerAgent] = []
        prospects: list[Prospect] = []
        self.post_car_rates()
        channels = cs.channels
        lead_rates = (channels.walk_in.lead_rate, channels.online.lead_rate)
        visitors = [c for c in self.trips.pop(t, ()) if c.next_trip == t]
        for c in visitors:
            if c.retries > 0:
                continue
            if t - c.last_purchase < self.holding_steps:
                home.append(c)
            elif r.random() < lead_rates[c.channel]:
                prospects.append(Prospect(c, c.channel, True, True))
            else:
                home.append(c)
        prospects += self.bank_app_leads(t, visitors)
        rec.leads += len(prospects)
        prospects += [Prospect(c, c.held_channel, False, True) for c in visitors if c.retries > 0]
        factor = 1.0
        if not maker.active:
            factor = 0.0
        loans = cs.loans
        price = maker.price
        buyers = []
        for p in prospects:
            c = p.who
            p.price = price
            p.cash_capable = c.savings >= price
            if p.is_lead:
                p.wants_loan = c.fraud or not p.cash_capable or r.random() < loans.loan_preference
            else:
                p.wants_loan = c.held_bank >= 0
            afford = self.affordability(c, price, p.wants_loan)
            drives = p.is_lead and r.random() < cs.test_drive_propensity * afford
            rec.test_drives += drives
            if not p.is_lead or (drives and r.random() < c.propensity * factor):
                buyers.append(p)
            elif p.from_calendar:
                home.append(c)
        self.apply_for_loans(t, buyers)
        orders = []
        for p in buyers:
            if not p.wants_loan or p.booked:
                orders.append(p)
            else:
                if p.from_calendar:
                    home.append(p.who)
                if not p.is_lead:
                    rec.lost_sales_units += 1
        # The automaker serves its buyers in random order from stock.
        sold = math.floor(min(len(orders), maker.output_inventory + 1e-9)) if maker.active else 0
        maker.output_inventory -= sold
        r.shuffle(orders)
        retry = max(1, round(cs.retry_days / self.step_days))
        for k, p in enumerate(orders):
            c = p.who
            if k < sold:
                self.pay_for_car(t, maker, p)
                c.last_purchase = t
                if p.from_calendar:
                    home.append(c)
            elif c.retries < cs.max_retries:
                c.retries += 1
                c.held_channel = p.channel
                c.held_bank = p.bank if p.wants_loan else -1
                c.held_fate = p.fate
                c.next_trip = t + retry
                self.trips[c.next_trip].append(c)
            else:
                rec.lost_sales_units += 1
                if p.from_calendar:
                    home.append(c)
        demand = float(sum(1 for p in orders if p.is_lead))
        rec.sales_units += sold
        maker.revenue_now += sold * price
        rec.vehicle_demand = demand
        maker.forecast += self.spec.automakers.forecast_smoothing * (demand - maker.forecast)
        rate = min(self.step_years / cs.replacement_years, 1.0)
        log_stay = math.log(1.0 - rate) if rate < 1.0 else -math.inf
        for c in home:
            c.retries = 0
            gap = max(1, math.ceil(math.log(1.0 - r.random()) / log_stay)) if rate < 1 else 1
            c.next_trip = t + gap
            self.trips[c.next_trip].append(c)

    def bank_app_leads(self, t: int, visitors: list[ConsumerAgent]) -> list[Prospect]:
        """Leads from the bank app: one Poisson and one binomial draw, then the users drawn."""
        app = self.consumer_spec.channels.bank_app
        if app.monthly_traffic <= 0 or not self.app_users:
            return []
        views = int(self.rng.poisson(app.monthly_traffic * self.step_days / DAYS_PER_MONTH))
        clicks = int(self.rng.binomial(views, app.click_to_lead))
        shopping = {id(c) for c in visitors}
        ahead = int(app.reach_ahead_days // self.step_days)
        chosen = {}
        for _ in range(clicks):
            c = self.app_users[self.random.randrange(len(self.app_users))]
            chosen[id(c)] = c
        return [
            Prospect(c, 2, True, False)
            for c in chosen.values()
            if t - c.last_purchase >= self.holding_steps
            and id(c) not in shopping
            and c.retries == 0
            and t < c.next_trip <= t + ahead
        ]

    def affordability(self, c: ConsumerAgent, price: float, wants_loan: bool) -> float:
        """How affordable the car feels, 0 to 1 (autofin `Consumers.affordability`)."""
        cs = self.consumer_spec
        loans = cs.loans
        burden = price / (cs.affordability_multiple * c.income)
        if wants_loan:
            payment = (1.0 - self.down_share) * price * self.instalment
            burden = max(burden, payment / (loans.comfortable_payment_share * c.income / 12.0))
            if c.savings < self.down_share * price and not c.fraud:
                return 0.0
        x = min(max(cs.price_sensitivity * (burden - 1.0), -50.0), 50.0)
        return 1.0 / (1.0 + math.exp(x))

    def draw_fate(self, c: ConsumerAgent, burden: float) -> int:
        """Month of the first missed instalment (0: repaid), drawn month by month."""
        if c.fraud:
            return 1
        loans = self.consumer_spec.loans
        r = self.random
        base = loans.default_intercept + loans.risk_weight * c.risk + loans.burden_weight * burden
        for month in range(1, loans.term_months + 1):
            x = base + r.gauss(0.0, loans.income_shock_sd)
            if r.random() < 1.0 / (1.0 + math.exp(-x)):
                return month
        return 0

    def post_car_rates(self) -> None:
        """Banks price car loans; the automaker posts the APR its shoppers expect."""
        cost = [bank.car_loan_cost(bank.car_loss_rate) for bank in self.banks]
        lending = [cost[b] for b in self.lending_banks()]
        margin = self.consumer_spec.loans.margin
        if self.partner_bank >= 0:
            posted = max(cost[self.partner_bank] + self.partner_margin, 0.0)
        else:
            posted = max(sum(lending) / len(lending) + margin, 0.0)
        self.car_cost = cost
        self.instalment = float(annuity_factor(posted, self.consumer_spec.loans.term_months))

    def lending_banks(self) -> list[int]:
        """The banks still lending (not failed), or all of them if none is."""
        lending = [b for b, bank in enumerate(self.banks) if not bank.failed]
        return lending or list(range(len(self.banks)))

    def car_loan_rate(self, bank: int) -> float:
        """APR of a car loan from ``bank``: its cost plus the partner's or the common margin."""
        margin = (
            self.partner_margin if bank == self.partner_bank else self.consumer_spec.loans.margin
        )
        return max(self.car_cost[bank] + margin, 0.0)

    def loan_burden(self, p: Prospect) -> float:
        """The instalment at the prospect's loan's APR over monthly income."""
        months = self.consumer_spec.loans.term_months
        return float(payment_to_income(p.amount, p.apr, months, p.who.income))

    def apply_for_loans(self, t: int, buyers: list[Prospect]) -> None:
        """Borrowers apply; the stack of checks and the review queues decide; booking curve."""
        cs = self.consumer_spec
        r = self.random
        lending = self.lending_banks()
        capacity = [bank.capacity() for bank in self.banks]
        app = cs.channels.bank_app
        pending = []
        for p in buyers:
            c = p.who
            p.amount = (1.0 - self.down_share) * p.price
            asking = p.wants_loan and p.is_lead
            p.bank = lending[r.randrange(len(lending))]
            if self.partner_bank >= 0:
                p.bank = self.partner_bank
            if p.channel == 2:
                p.bank = app.partner_bank
            if not p.is_lead:
                p.bank = max(c.held_bank, 0)
            p.apr = self.car_loan_rate(p.bank)
            burden = self.loan_burden(p)
            p.within_limit = burden <= cs.loans.max_payment_to_income
            if asking:
                p.fate = self.draw_fate(c, burden)
            elif not p.is_lead:
                p.fate = c.held_fate
            settled = not p.is_lead and p.wants_loan
            if app.prequalified and asking and p.channel == 2:
                settled = p.within_limit and self.prequalify(c)
            p.start = ((t - 1) + r.random()) * self.step_days * MINUTES_PER_DAY
            p.decided_at = p.start
            if p.wants_loan and settled and p.amount <= capacity[p.bank]:
                capacity[p.bank] -= p.amount
                p.approved = True
                if p.is_lead:
                    self.rec.loan_applications += 1
                    self.rec.loan_approvals += 1
            elif p.wants_loan:
                pending.append(p)
        for _attempt in range(2):
            if not pending:
                break
            referred = []
            for p in pending:
                arrive = p.start_attempt = p.decided_at
                approved, refer = self.run_checks(p.who)
                p.approved = approved and p.within_limit
                p.decided_at = arrive + self.automatic_minutes
                if refer:
                    referred.append((p.decided_at, p))
            self.queue(referred)
            for p in pending:
                if not p.within_limit:  # an automatic, conclusive rejection
                    p.decided_at = p.start_attempt + self.automatic_minutes
            for p in pending:
                if p.approved:
                    if p.amount <= capacity[p.bank]:
                        capacity[p.bank] -= p.amount
                    else:
                        p.approved = False
            self.rec.loan_applications += len(pending)
            self.rec.loan_approvals += sum(p.approved for p in pending)
            again = []
            for p in pending:
                if p.approved:
                    continue
                if p.cash_capable and not p.who.fraud:
                    p.wants_loan = False
                elif r.random() < cs.approval.second_lender_share:
                    again.append(p)
            if len(lending) < 2:
                break
            for p in again:
                place = bisect.bisect_left(lending, p.bank)
                p.bank = lending[(place + r.randrange(1, len(lending))) % len(lending)]
                p.apr = self.car_loan_rate(p.bank)
                p.within_limit = self.loan_burden(p) <= cs.loans.max_payment_to_income
            pending = again
        curve = cs.approval.booking
        for p in buyers:
            if not p.approved:
                continue
            if not p.is_lead:
                p.booked = True
                continue
            waited = p.decided_at - p.start
            share = curve.floor + (curve.instant - curve.floor) * math.exp(
                -waited / curve.fast_minutes
            )
            share *= math.exp(-waited / (curve.slow_days * MINUTES_PER_DAY))
            p.booked = r.random() < share

    def run_checks(self, c: ConsumerAgent) -> tuple[bool, bool]:
        """The stack of checks on one application: (approved, referred to review)."""
        approval = self.consumer_spec.approval
        gauss = self.random.gauss
        rho = approval.shared_error
        common = [gauss(0.0, 1.0) for _ in range(self.n_sources)] if rho > 0 else None
        rejects, conclusive_reject, any_unsure = [], False, False
        unsure_list = []
        for k, check in enumerate(self.checks):
            mean = check.risk_loading * c.risk + check.fraud_loading * c.fraud_propensity
            z = gauss(0.0, 1.0)
            if common is not None:
                z = math.sqrt(1.0 - rho) * z + math.sqrt(rho) * common[self.check_source[k]]
            score = mean + check.noise * z
            band = check.inconclusive_band if check.automatic else 0.0
            reject = score > check.threshold
            unsure = abs(score - check.threshold) < band
            rejects.append(reject)
            unsure_list.append(unsure)
            conclusive_reject |= reject and check.automatic and not unsure
            any_unsure |= unsure
        if approval.inconclusive == "review":
            referred = not conclusive_reject and (self.has_manual or any_unsure)
        else:
            referred = not conclusive_reject and self.has_manual
            rejects = [
                (approval.inconclusive == "reject") if u else x
                for x, u in zip(rejects, unsure_list, strict=True)
            ]
        if referred:
            share = approval.review_noise_share
            rejects = [
                check.risk_loading * c.risk
                + check.fraud_loading * c.fraud_propensity
                + check.noise * share * gauss(0.0, 1.0)
                > check.threshold
                for check in self.checks
            ]
        elif self.has_manual:
            rejects = [x and ch.automatic for x, ch in zip(rejects, self.checks, strict=True)]
        return not any(rejects), referred

    def prequalify(self, c: ConsumerAgent) -> bool:
        """Every automatic check passed conclusively."""
        gauss = self.random.gauss
        rho = self.consumer_spec.approval.shared_error
        common = [gauss(0.0, 1.0) for _ in range(self.n_sources)] if rho > 0 else None
        ok = True
        for k, check in enumerate(self.checks):
            z = gauss(0.0, 1.0)
            if common is not None:
                z = math.sqrt(1.0 - rho) * z + math.sqrt(rho) * common[self.check_source[k]]
            if not check.automatic:
                continue
            score = check.risk_loading * c.risk + check.fraud_loading * c.fraud_propensity
            score += check.noise * z
            if score > check.threshold or abs(score - check.threshold) < check.inconclusive_band:
                ok = False
        return ok

    def queue(self, referred: list[tuple[float, Prospect]]) -> None:
        """Each bank's review queue: first come, first served in working minutes."""
        gap = self.review_minutes / self.consumer_spec.approval.reviewers
        shift = self.shift_minutes
        referred.sort(key=lambda x: x[0])
        for ready, p in referred:
            day, within = divmod(ready, MINUTES_PER_DAY)
            arrive = day * shift + min(within, shift)
            start = max(self.free_at[p.bank], arrive)
            self.free_at[p.bank] = start + gap
            day, within = divmod(start + self.review_minutes, shift)
            p.decided_at = day * MINUTES_PER_DAY + within

    def pay_for_car(self, t: int, maker: FirmAgent, p: Prospect) -> None:
        """Cash, or down payment plus the bank's disbursement; the loan goes on the book."""
        if not p.wants_loan:
            maker.cash += p.price
            return
        bank = self.banks[p.bank]
        maker.cash += p.price
        bank.pay(p.amount)
        self.rec.consumer_loans_booked += 1
        months = self.consumer_spec.loans.term_months
        paid = p.fate - 1 if p.fate > 0 else months
        offsets = self.car_offsets
        balance, interest, principal = (
            part[0].tolist() for part in unit_schedules(np.array([p.apr]), months)
        )
        for k in range(paid):
            row = bank.car_due.setdefault(t + max(offsets[k], 1), [0.0] * 7)
            row[0] += p.amount * principal[k]
            row[1] += p.amount * interest[k]
        if p.fate > 0:
            d = p.fate
            carrying = p.amount * balance[d - 1]
            loans = self.consumer_spec.loans
            recovery = (
                p.price * loans.repossession_value * (1.0 - loans.depreciation_rate) ** (d / 12.0)
            )
            recovery = 0.0 if p.who.fraud else min(recovery, carrying)
            row = bank.car_due.setdefault(t + max(offsets[d - 1] + self.npl_delay, 1), [0.0] * 7)
            row[2] += carrying
            row[3] += recovery
            row = bank.car_due.setdefault(t + max(offsets[d - 1], 1), [0.0] * 7)
            row[4] += 1
            row[5] += carrying if p.who.fraud else 0.0
        else:
            row = bank.car_due.setdefault(t + max(offsets[-1], 1), [0.0] * 7)
            row[6] += 1
        bank.car_active += 1
        bank.car_loans += p.amount

    # ------------------------------------------------------------------ end of step
    def pay_dividends(self) -> None:
        """Sound firms pay out part of equity above its opening level, as lenders allow."""
        for firm in self.firms:
            if not firm.active or firm.arrears_steps:
                continue
            if firm.pays_while_indebted:
                if firm.line_frozen:
                    continue
                spare = firm.cash - firm.cash_target + firm.undrawn() - firm.kept_headroom
                amount = min(firm.payout * (firm.equity - firm.equity_target), spare, firm.cash)
            else:
                excess = min(firm.cash - firm.cash_target, firm.equity - firm.equity_target)
                amount = firm.payout * excess
            if amount > 0:
                firm.cash -= amount

    def bank_end_of_step(self, t: int) -> None:
        """Funding costs, the facility, workouts and write-offs, failures."""
        spec = self.bank_spec
        for bank in self.banks:
            cost = bank.funding_rate() * bank.ecosystem_assets() * self.step_years
            bank.pay(cost)
            bank.funding_costs += cost
        for bank in self.banks:
            interest = bank.facility * (bank.funding_rate() + spec.facility_spread)
            interest *= self.step_years
            bank.pay(interest)
            bank.funding_costs += interest
            repay = min(bank.facility, max(bank.cash, 0.0))
            bank.facility -= repay
            bank.cash -= repay
        for bank in self.banks:
            for payer, amount in bank.workouts.pop(t, ()):
                if payer is not OUTSIDE:
                    payer.cash -= amount
                bank.cash += amount
                bank.recoveries -= amount
            loans, cars = bank.write_offs.pop(t, (0.0, 0.0))
            amount = loans + cars
            bank.npl_loans -= loans
            bank.npl -= amount
            bank.provisions -= amount
        for bank in self.banks:
            if not bank.failed and bank.capital() <= 0.0:
                bank.failed = True
                self.rec.bank_failures += 1

    def smooth_margins(self) -> None:
        """Each active firm's smoothed operating margin, the cash-flow signal banks score.

        autofin does this in `Firms.close_step` (``world/firms.py``): revenue less the
        variable cost of what was delivered and the fixed cost, over expected revenue.
        """
        margin_weight = weekly_weight(MARGIN_SMOOTHING, self.step_days)
        for firm in self.firms:
            if not firm.active:
                continue
            revenue = firm.revenue_now
            units = revenue / max(firm.price, 1e-12)
            variable = firm.input_per_unit * firm.input_price_now + firm.wage_per_unit * math.exp(
                firm.cost_shock
            )
            profit = revenue - units * variable - firm.fixed_cost
            expected = max(firm.price * firm.expected_output, 1e-9)
            margin = min(max(profit / expected, -1.0), 1.0)
            firm.cash_flow_margin += margin_weight * (margin - firm.cash_flow_margin)

    # ------------------------------------------------------------------ results
    def summary(self) -> dict[str, float]:
        """Headline figures of the steps after the warm-up (autofin's names)."""
        recs = self.records
        return {
            "sales_units": sum(r.sales_units for r in recs),
            "lost_sales_units": sum(r.lost_sales_units for r in recs),
            "supplier_defaults": sum(r.supplier_defaults for r in recs),
            "bank_lending_volume": sum(r.bank_lending_volume for r in recs),
            "bank_loans_final": recs[-1].bank_loans if recs else 0.0,
            "consumer_loans_booked": sum(r.consumer_loans_booked for r in recs),
            "consumer_loan_defaults": sum(r.consumer_loan_defaults for r in recs),
            "leads": sum(r.leads for r in recs),
            "test_drives": sum(r.test_drives for r in recs),
            "loan_applications": sum(r.loan_applications for r in recs),
            "loan_approvals": sum(r.loan_approvals for r in recs),
            "production_units": sum(r.production_units for r in recs),
            "trade_bad_debt": sum(r.trade_bad_debt for r in recs),
            "bank_failures": sum(r.bank_failures for r in recs),
        }


# ====================================================================== helpers
def _flow(edge: Edge, output: float) -> float:
    """Units a step over ``edge`` when its customer makes ``output`` (autofin's `flow_at`)."""
    return edge.share * edge.customer.input_per_unit * output


def _softplus(x: float) -> float:
    """ln(1 + e^x), without overflow."""
    return x + math.log1p(math.exp(-x)) if x > 0 else math.log1p(math.exp(x))


def _log_ratio(observed: float, predicted: float, precision: float, centre: float) -> float:
    """Posterior mode of the log-ratio of realised to predicted hazard (autofin's closed form)."""
    reach = centre + observed / precision
    if predicted <= 0:
        return reach - float(np.real(wrightomega(-math.inf)))
    return reach - float(np.real(wrightomega(math.log(predicted / precision) + reach)))


def _intercept_for_hazard(log_odds: list[float], target: float, start: float) -> float:
    """The shift of log-odds giving the clients a summed hazard ``target`` (Newton)."""
    shift = min(max(start, -LEARNT_SHIFT_BOUND), LEARNT_SHIFT_BOUND)
    wanted = math.log(max(target, 1e-300))
    for _ in range(30):
        total = pd = 0.0
        for x in log_odds:
            h = _softplus(x + shift)
            total += h
            pd += -math.expm1(-h)
        step = (wanted - math.log(total)) * total / pd if total > 0 else 0.0
        shift = min(max(shift + step, -LEARNT_SHIFT_BOUND), LEARNT_SHIFT_BOUND)
        if abs(step) < 1e-9:
            break
    return shift


class _Unwarmed(AutofinModel):
    """`AutofinModel` whose constructor skips the warm-up (the rival runs it itself)."""

    _building = True

    def _advance(self) -> None:
        if self._building:
            self.step_index = 0  # ends the constructor's warm-up loop at once
            return
        super()._advance()


def unwarmed_autofin(scenario: Scenario) -> AutofinModel:
    """autofin's world as built, before its warm-up: the rival's starting point."""
    model = _Unwarmed(scenario)
    model._building = False
    model.step_index = -model.warmup_steps
    return model


def run_rival(scenario: Scenario) -> MesaWorld:
    """Build the rival and run the warm-up and the horizon."""
    world = MesaWorld(scenario)
    for _ in range(world.warmup_steps + scenario.steps):
        world.step()
    return world


def autofin_summary(scenario: Scenario) -> dict[str, float]:
    """autofin's figures under the rival's names, from `autofin.simulate`."""
    from autofin.world.model import simulate

    result = simulate(scenario)
    ts, s = result.timeseries, result.summary
    return {
        "sales_units": float(s["sales_units"]),
        "lost_sales_units": float(s["lost_sales_units"]),
        "supplier_defaults": float(s["supplier_defaults"]),
        "bank_lending_volume": float(s["bank_lending_volume"]),
        "bank_loans_final": float(ts["bank_loans"].iloc[-1]),
        "consumer_loans_booked": float(s["consumer_loans_booked"]),
        "consumer_loan_defaults": float(s["consumer_loan_defaults"]),
        "leads": float(s["leads"]),
        "test_drives": float(s["test_drives"]),
        "loan_applications": float(s["loan_applications"]),
        "loan_approvals": float(s["loan_approvals"]),
        "production_units": float(ts["production_units"].sum()),
        "trade_bad_debt": float(s["trade_bad_debt"]),
        "bank_failures": float(s["bank_failures"]),
    }


_ = random  # the model's `random` is Mesa's `random.Random`
