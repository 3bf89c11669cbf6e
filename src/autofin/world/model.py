"""The model: build the world from a scenario, and the one step that moves it.

`AutofinModel.step` is the whole period in economic order; read it to learn the model.
`simulate` runs a scenario to its horizon and returns tidy results.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import mesa
import numpy as np

from autofin.results.result import Result
from autofin.scenario.schema import Scenario
from autofin.world import automakers, capacity, production, suppliers
from autofin.world.banks import build_banks, opening_car_loan_rate
from autofin.world.checks import AccountingCheck
from autofin.world.consumers import build_consumers
from autofin.world.defaults import CreditChain, liquidate
from autofin.world.finance import SupplyChainFinance
from autofin.world.finance.capacity_loans import CapacityLoans
from autofin.world.finance.payment_terms import PaymentTermPolicy
from autofin.world.firms import ARREARS_SMOOTHING, build_firms, steps_of, weekly_weight
from autofin.world.funnel import ConsumerMarket
from autofin.world.ledger import Flow, Ledger
from autofin.world.metrics import MetricsRecorder, StepActivity
from autofin.world.network import build_network
from autofin.world.records import FirmLedger, LoanLog, NetworkLog, firms_frame, network_frame
from autofin.world.shocks import Shocks
from autofin.world.streams import RandomStreams
from autofin.world.trade_credit import TradeCredit

EPSILON = 1e-6
"""Cash shortfalls below this amount are rounding, not distress."""

NO_FIRMS = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class DefaultCheck:
    """The state that made a firm default, for checking the default rule.

    Attributes:
        firm: The firm.
        reason: ``illiquid`` or ``insolvent``.
        equity: Its equity at the start of the step.
        liquidity: Cash + the committed credit it could still draw (its lines' undrawn
            limits, within its banks' concentration limits and capital) − everything due,
            when it defaulted (illiquid only; NaN otherwise).
        arrears_steps: Steps it had already been in arrears (illiquid only).
    """

    firm: int
    reason: str
    equity: float
    liquidity: float
    arrears_steps: int


class AutofinModel(mesa.Model):
    """The automotive finance ecosystem of one scenario.

    Args:
        scenario: The validated scenario.
        check: Verify the accounting identities after every step (raises `AccountingError`).
        panel: Keep the firm × step panel (`Result.panel`).
        loans: Keep every loan and car-loan decision (`Result.loans`).
        warmup_progress: Called with the number of warm-up steps done after each of them
            (the warm-up runs as the model is built).
    """

    def __init__(
        self,
        scenario: Scenario,
        *,
        check: bool = False,
        panel: bool = False,
        loans: bool = False,
        warmup_progress: Callable[[int], None] | None = None,
    ) -> None:
        super().__init__(rng=scenario.seed)
        self.spec = scenario
        # Steps run before day 0 (the warm-up) are numbered -warmup_steps + 1 .. 0.
        self.warmup_steps = scenario.warmup_steps
        self.step_index = -self.warmup_steps
        n_banks = scenario.banks.count
        # One stream per subsystem: scenarios that differ in one part share the others' draws.
        self.streams = streams = RandomStreams.spawn(scenario.seed, n_banks)
        self.network = build_network(scenario.network, streams.network)
        n_firms = self.network.n_firms
        # Ledger accounts: firms, then banks, the consumer sector and the outside world.
        self.bank_accounts = np.arange(n_firms, n_firms + n_banks)
        self.consumer_account = n_firms + n_banks

        all_steps = self.warmup_steps + scenario.steps
        self.consumers = build_consumers(
            scenario.consumers,
            all_steps,
            scenario.step_days,
            self.consumer_account,
            streams.consumers,
            first_step=-self.warmup_steps,
        )
        n_automakers = self.network.n_automakers
        self.market = ConsumerMarket(
            self.consumers, n_banks, all_steps, scenario.step_days, n_automakers
        )
        # The supply chain is sized for equal shares; shares then emerge from buyers' choices.
        # The supply side and the banks are sized for the market of `market:` when given, so
        # that scenarios differing only in finance meet the same capacity.
        self.sizing_share = np.full(n_automakers, 1.0 / n_automakers)
        sized_for = scenario.market.vehicles_per_year
        sizing_apr = opening_car_loan_rate(scenario.banks, scenario.consumers.loans.margin)
        # The population opens in its long-run state: recent buyers hold their cars.
        self.market.open_holdings(scenario.automakers.vehicle_price, sizing_apr, streams.consumers)
        expected_sales = self.sizing_share * (
            self.market.expected_buyers_per_step(scenario.automakers.vehicle_price, sizing_apr)
            if sized_for is None
            else sized_for * scenario.step_days / 365.0
        )
        self.firms = build_firms(
            scenario, self.network, expected_sales, streams.firms, self.step_index
        )
        self.firm_ledger = FirmLedger.opening(self.firms, scenario.step_days, keep_panel=panel)
        self.planning = production.PlanningRules.of(self.firms, scenario)
        # Settlement works tier by tier on each tier's rows and the edges its firms buy over.
        self.tier_rows = self.firms.tier_slices()
        self._tier_bought = [self.firms.edges_bought_by(rows) for rows in self.tier_rows]
        self.ledger = Ledger(*self._accounts_and_sectors())
        max_term = int(
            max(
                self.firms.edge_term_steps.max(),
                PaymentTermPolicy.longest_term_steps(
                    scenario.finance.payment_terms, scenario.step_days
                ),
                1,
            )
        )
        self.trade = TradeCredit.empty(len(self.firms.edge_supplier), n_firms, max_term)
        self.banks = build_banks(
            scenario.banks,
            self.bank_accounts,
            n_firms,
            scenario.step_days,
            streams.scoring,
            self.firms.house_bank,
            streams.relationships,
        )
        self._open_balance_sheets()
        self.banks.connect(self.ledger)
        self.finance = SupplyChainFinance(
            scenario.finance,
            self.firms,
            self.banks,
            scenario.step_days,
            max_term,
            scenario.banks.borrowing_buffer,
            streams.platforms,
        )
        investment = scenario.suppliers.capacity_investment
        if investment.enabled and investment.financing in ("term_loan", "syndicated_loan"):
            self.finance.capacity_loans = CapacityLoans(
                investment, self.firms, self.banks, scenario.step_days
            )
        self.chain = CreditChain(
            n_firms, steps_of(scenario.suppliers.default_cause_window_days, scenario.step_days)
        )
        self.checker = AccountingCheck(self) if check else None
        self._provenance: dict[str, Any] | None = None
        self._keep_loans = loans
        self.recording = False
        self._open_records()
        while self.step_index < 0:
            self._advance()
            if warmup_progress is not None:
                warmup_progress(self.warmup_steps + self.step_index)
        self._open_records()
        # Shocks are dated from day 0 and pick their firms among those trading then.
        self.shocks = Shocks(scenario, self.firms)

    def _open_records(self) -> None:
        """Start the results afresh: what the warm-up did is left out.

        The one place that decides what the results hold: the records opened here at day 0
        (time series, events, flows, the network and firm tables, the panel and the loan
        log) see only the steps after the warm-up. The state of the world (books, scores,
        what banks learnt) carries on.
        """
        self.recording = self.step_index >= 0
        self.metrics = MetricsRecorder(self)
        self.network_log = NetworkLog.opening(self.firms, self.spec.step_days)
        self.firm_ledger = FirmLedger.opening(
            self.firms, self.spec.step_days, keep_panel=self.firm_ledger.keep_panel
        )
        self.loan_log = LoanLog(self) if self._keep_loans and self.recording else None
        self.banks.decision_log = self.market.decision_log = self.loan_log
        self.ledger.forget_flows()
        self.chain.events.clear()
        self.market.forget_records()
        self.default_checks: list[DefaultCheck] = []

    # ------------------------------------------------------------------ the step
    def step(self) -> None:
        """One period after the warm-up (Mesa counts these in `time`)."""
        self._advance()

    def _advance(self) -> None:
        """One period, in economic order."""
        self.step_index += 1
        t = self.step_index
        firms, ledger, scenario, streams = self.firms, self.ledger, self.spec, self.streams
        activity = StepActivity.start(firms)
        self.banks.start_round(ledger)
        self.chain.bad_debt_in_step = 0.0
        # Shocks are dated from day 0: none falls in the warm-up.
        forced_defaults, demand_factor = self.shocks.due(t) if t > 0 else (NO_FIRMS, 1.0)

        # Receive goods; customers that lost a supplier re-source; costs and prices move.
        production.receive_goods(firms, t)
        before = firms.edge_supplier.copy()
        output_before = firms.expected_output.copy()
        moved = suppliers.resource(firms, t, scenario.suppliers.capacity_slack, streams.resourcing)
        self.network_log.record_moves(t, moved, before, firms)
        if moved.size:
            if scenario.suppliers.inputs_follow_business:
                # The defaulted suppliers' own suppliers follow the business to its heir.
                self.network_log.record_transfers(
                    t, *suppliers.transfer_inputs(firms, moved, before[moved], output_before), firms
                )
            # The new supplier's bank finances the business moved to it, as new capacity.
            self.banks.finance_new_output(
                firms, ledger, firms.expected_output - output_before, scenario.step_days
            )
        activity.resourced = moved.size
        firms.costs_due = suppliers.resourcing_costs(
            firms, moved, scenario.suppliers.resourcing_cost_days, scenario.step_days
        )
        production.draw_cost_shocks(firms, scenario, streams.cost_shocks)
        production.update_prices(firms)

        # Banks score every firm; payment terms that change now change; revolving loans and
        # scheduled draws fall due.
        finance = self.finance
        finance.start_step(t, firms, ledger, self.banks, self.trade)

        # Plan production and send orders upstream, suppliers within what their funds can
        # carry; orders placed `order_lead_days` ago are accepted into the suppliers'
        # backlogs, and suppliers may borrow against them.
        plan, placed = production.plan_and_order(
            firms, scenario, firms.order_forecast, self._fundable_output(), self.planning
        )
        edge_orders = production.accept_orders(firms, t, placed)
        activity.orders_by_supplier = firms.by_supplier(edge_orders)
        finance.on_orders(edge_orders, partial(self.banks.due_within, t))
        production.update_forecasts(
            firms,
            activity.orders_by_supplier,
            ~firms.is_automaker,
            scenario.suppliers.forecast_smoothing,
        )
        # Suppliers whose demand presses against capacity order more (paid when settling).
        if firms.capacity_on_order is not None:
            firms.investment_due = capacity.invest(
                firms, self.banks, ledger, scenario.suppliers, t, scenario.step_days, finance
            )
        activity.resourcing_cost = float(firms.costs_due.sum())

        # Produce, deliver and invoice.
        activity.started = production.produce(firms, plan, t)
        shipments = production.ship(firms, t)
        self.trade.invoice(firms, t, shipments.value)
        activity.shipped_value = shipments.value

        # Settle what is due, seeking finance first; who cannot pay defaults, and the losses
        # travel upstream within the same step (automakers settle first).
        self._settle(t, forced_defaults, activity)
        # Banks compare the defaults they saw with those their models predicted.
        was_active = activity.active_at_start
        self.banks.scoring.learn(
            firms, self.banks.part_bank, was_active, was_active & ~firms.active
        )

        # Car-loan borrowers pay their instalments or default; consumers shop, apply for
        # loans, banks decide; automakers sell from stock.
        self.market.repay(t, self.banks, ledger)
        self._sell_vehicles(t, demand_factor, activity)

        # Firms pay out cash above their buffer as dividends.
        self._pay_dividends()

        # Banks pay for their funding, repay their facility draws and write off loans whose
        # workout has ended; a bank whose capital is exhausted fails and is resolved.
        self.banks.pay_funding_costs(ledger)
        self.banks.settle_facility(ledger)
        self.banks.write_off(t)
        activity.bank_failures = self.banks.resolve_failures(ledger, t).size

        # Financing costs pass into cost-plus prices; firms close the step's books (revenue,
        # EBIT, the cash-flow margin banks score); record.
        activity.finance = finance.activity
        smoothing = min(1.0, scenario.step_days / 91.0)
        firms.finance_cost_per_step += smoothing * (
            finance.activity.cost - firms.finance_cost_per_step
        )
        firms.costs_moved()
        activity.revenue, activity.ebit = firms.close_step(
            activity.shipped_value, activity.sales_value, scenario.step_days
        )
        activity.input_price = firms.input_price()
        if self.recording:
            self.metrics.record(t, activity)
        if self.checker is not None:
            self.checker.verify(t)
        ledger.close_step(t, keep=self.recording)

    # ------------------------------------------------------------------ results
    def result(self, wall_time_s: float = 0.0) -> Result:
        """The results of the steps run so far (the browser view calls it after each step).

        Args:
            wall_time_s: Wall-clock time of the run so far, for the provenance.
        """
        from autofin.results.provenance import provenance

        timeseries = self.metrics.frame()
        events = self.metrics.events_frame()
        summary = self.metrics.summary(timeseries, events) if len(timeseries) else {}
        if self._provenance is None:  # hashing the scenario takes ~0.1 s; it does not change
            self._provenance = provenance(self.spec, 0.0)
        summary.update(provenance(self.spec, wall_time_s, known=self._provenance))
        return Result(
            scenario=self.spec,
            timeseries=timeseries,
            flows=self.ledger.flows_frame(),
            events=events,
            summary=summary,
            network=network_frame(self),
            firms=firms_frame(self),
            panel=self.firm_ledger.panel_frame(),
            loans=None if self.loan_log is None else self.loan_log.frame(),
        )

    # ------------------------------------------------------------------ stages
    def _settle(self, t: int, forced: np.ndarray, activity: StepActivity) -> None:
        """Settle what is due, tier by tier from the automakers up.

        A firm short of cash draws on its finance (and, with `banks.roll_over_maturing_draws`,
        then rolls its maturing line draws over); one that still cannot pay everything pays
        what cannot wait (the banks' supply-chain-finance claims, wages and fixed costs) and
        is in arrears on its invoices and bank dues, which roll over at a penalty. It defaults
        when it cannot even pay what cannot wait, or is still in arrears after the grace
        period (illiquid), or when its equity has been negative for `insolvency_days`
        (insolvent). Tier by tier goes only what a later tier waits for (the trade payments
        upstream, the shortfalls and defaults); wages, fixed and re-sourcing costs, the bank
        draws falling due, the draws restoring cash buffers, the automakers' syndicated
        repayments from surplus and the arrears counters are settled for every tier at once
        after the last (the cash for them was set aside when each tier settled; see
        docs/architecture.md for what the order changes).
        """
        firms, ledger, banks, trade = self.firms, self.ledger, self.banks, self.trade
        finance, spec = self.finance, self.spec.banks
        cash = ledger.balance[: firms.n]  # a view: it follows every posting
        grace = steps_of(spec.grace_days, self.spec.step_days)
        # Invoices held by banks are in the buyers' payables already.
        owed_banks = finance.exposure(firms) - finance.open_by_buyer(firms)
        equity = (
            cash
            + firms.receivables
            + firms.inventory_value()
            + firms.fixed_assets
            - firms.payables
            - owed_banks
        )
        firms.negative_equity_steps = np.where(equity < 0, firms.negative_equity_steps + 1, 0)
        firms.equity = equity
        insolvent = firms.active & (
            firms.negative_equity_steps > steps_of(spec.insolvency_days, self.spec.step_days)
        )
        anyone_insolvent = bool(insolvent.any())
        penalty = spec.late_rate * self.spec.step_days / 365.0
        resourcing = bool(firms.costs_due.any())  # re-sourcing costs due this step
        # Who paid everything due, who is in arrears, who was active when their tier settled.
        able_all = np.zeros(firms.n, dtype=bool)
        late_all = np.zeros(firms.n, dtype=bool)
        active_all = np.zeros(firms.n, dtype=bool)
        # A step longer than `repay_first_days` repays from cash only that many days of the
        # draws falling due; the rest rolls over (the friction must not grow with the step).
        if self.spec.step_days > spec.repay_first_days:
            rolled_share = self._rolled_share()
            borrowers = firms.active.nonzero()[0]
            maturing = banks.principal_book.peek_due(t)[borrowers]
            banks.roll_over(t, borrowers, rolled_share * maturing)
        for tier, rows in enumerate(self.tier_rows):
            # Each tier's firms are one contiguous range, `rows`; `*_t` arrays cover only it.
            first = rows.start
            if forced.size:
                self._liquidate(forced[firms.tier[forced] == tier], "forced_default", t, "forced")
            if anyone_insolvent:
                called = first + insolvent[rows].nonzero()[0]
                self.default_checks.extend(
                    DefaultCheck(int(f), "insolvent", float(equity[f]), float("nan"), 0)
                    for f in called.tolist()
                )
                self._liquidate(called, "default", t, "insolvent")
            active_t = firms.active[rows].copy()
            cash_t = cash[rows]  # a view, like `cash`
            operating = (
                firms.wages_due[rows] + firms.fixed_cost_per_step[rows] + firms.costs_due[rows]
            ) * active_t
            senior = finance.due_now(firms, t, tier, rows) * active_t + operating
            bought = self._tier_bought[tier]
            owed_now = trade.due_now(firms, t, rows, bought) + banks.due_now(t, rows)
            due = owed_now * active_t + senior
            # New capacity is paid for only by firms that can pay everything else too. (When
            # nobody builds, `wanted` would be `due` + 0: only the sign of a zero could differ,
            # and a zero is neither short of cash nor subtracted.)
            builds = firms.capacity_on_order is not None
            wanted = due + firms.investment_due[rows] * active_t if builds else due
            short = (active_t & (wanted > cash_t + EPSILON)).nonzero()[0]
            if short.size:
                finance.cover(first + short, (wanted - cash_t)[short], tier)
                if spec.roll_over_maturing_draws:
                    # Still short of what is due, after every other source of finance (a
                    # last resort before arrears), a firm not in arrears rolls its maturing
                    # draws over; never for new capacity alone.
                    rolling = short[
                        (due[short] > cash_t[short] + EPSILON)
                        & (firms.arrears_steps[first + short] == 0)
                    ]
                    if rolling.size:
                        rolled = banks.roll_over(t, first + rolling, (due - cash_t)[rolling])
                        due[rolling] -= rolled
                        if builds:
                            wanted[rolling] -= rolled
            investing = active_t & (firms.investment_due[rows] > 0) if builds else None
            if investing is not None and investing.any():
                capacity.cancel(
                    firms,
                    self.spec.suppliers,
                    t,
                    self.spec.step_days,
                    first + (investing & (cash_t < wanted - EPSILON)).nonzero()[0],
                    finance,
                )
                investing &= cash_t >= wanted - EPSILON
            able_t = active_t & (cash_t >= due - EPSILON)
            # Firms that cannot pay everything: in arrears if they can pay what cannot wait
            # and are within the grace period, illiquid otherwise (usually there are none).
            unable_t = active_t & ~able_t
            anyone_unable = bool(unable_t.any())
            if anyone_unable:
                late_t = (
                    unable_t & (cash_t >= senior - EPSILON) & (firms.arrears_steps[rows] < grace)
                )
                anyone_late = bool(late_t.any())
            else:
                late_t, anyone_late = unable_t, False
            able = np.zeros(firms.n, dtype=bool)
            able[rows] = able_t
            late = np.zeros(firms.n, dtype=bool)
            if anyone_late:
                late[rows] = late_t
            paid_edges, paid, terms = trade.pay_due(firms, ledger, t, able, bought, rows)
            finance.on_invoices_paid(paid_edges, paid, tier)
            # Suppliers turned these invoices into cash (raw material's are not counted).
            paid_to = firms.edge_supplier[paid_edges]
            to_firms = paid_to >= 0
            if not to_firms.all():
                paid_to, paid, terms = paid_to[to_firms], paid[to_firms], terms[to_firms]
            finance.activity.cash_in(paid_to, paid, terms * self.spec.step_days)
            able_all[rows] = able_t
            if anyone_late:
                trade.defer(firms, t, late, penalty, bought, rows)
                banks.defer(firms, t, late)
            if finance.owed_by(tier):
                finance.collect(able | late, tier)
            if investing is not None and investing.any():
                builders = first + investing.nonzero()[0]
                invested = firms.investment_due[builders]
                ledger.post(builders, ledger.outside, invested, Flow.CAPACITY_INVESTMENT)
                firms.fixed_assets[builders] += invested
                firms.capacity_assets[builders] += invested
                activity.capacity_investment += float(invested.sum())
            active_all[rows] = active_t
            if anyone_late:
                late_all[rows] = late_t

            if anyone_unable:
                illiquid = (unable_t & ~late_t).nonzero()[0]
                debtors = first + illiquid
                if illiquid.size:
                    # What the firm could still draw: its lines' undrawn limits, within its
                    # banks' concentration limits and capital (a bank at its minimum ratio
                    # lends no more, even on a committed line).
                    r = finance.round
                    gap = cash_t[illiquid] - due[illiquid]
                    gap += banks.drawable(ledger, debtors, r.exposure[debtors], r.capacity)
                    self.default_checks.extend(
                        DefaultCheck(
                            int(f), "illiquid", float(equity[f]), float(g), int(late_steps)
                        )
                        for f, g, late_steps in zip(
                            debtors.tolist(),
                            gap.tolist(),
                            firms.arrears_steps[rows][illiquid].tolist(),
                            strict=True,
                        )
                    )
                self._liquidate(debtors, "default", t, "illiquid")
        # What no other tier waits for, every tier at once: the firms that paid or are in
        # arrears pay their wages and fixed costs; those that paid everything repay their
        # banks what falls due, then draw on their lines to restore their cash buffer;
        # automakers repay syndicated draws from surplus.
        paying = (able_all | late_all).nonzero()[0]
        costs = [firms.wages_due[paying], firms.fixed_cost_per_step[paying]]
        flows = [Flow.WAGES, Flow.FIXED_COSTS]
        if resourcing:
            costs.append(firms.costs_due[paying])
            flows.append(Flow.RESOURCING_COST)
        ledger.post_several(paying, ledger.outside, costs, flows)
        banks.collect_due(firms, ledger, t, able_all)
        below = (able_all & (cash < firms.cash_target - EPSILON)).nonzero()[0]
        finance.top_up(below, (firms.cash_target - cash)[below])
        finance.after_settlement()
        np.copyto(firms.arrears_steps, 0, where=able_all)
        np.copyto(firms.arrears_steps, firms.arrears_steps + 1, where=late_all)
        # Active firms' history moves towards their arrears: every firm's update is computed
        # and kept for the firms active when their tier settled.
        history = firms.arrears_history
        weight = weekly_weight(ARREARS_SMOOTHING, self.spec.step_days)
        np.copyto(history, history + weight * (late_all - history), where=active_all)
        activity.bad_debt = self.chain.bad_debt_in_step

    def _rolled_share(self) -> float:
        """The share of a long step's maturing line draws rolled over (`_settle`).

        A firm repays from cash the draws of `repay_first_days` days of the line's term,
        ``repay_first_days / loan_term_days`` of its draws, whatever the step. A step's
        maturities are a share ``1 / term_steps`` of the draws (the term rounded to whole
        steps: 68 days are two 28-day steps, 56 days), so the share repaid is scaled by the
        rounded term over the real one, and the cash needed at once does not follow the
        rounding. (The rounded term still sets when rolled draws fall due again.)
        """
        step_days, banks = self.spec.step_days, self.spec.banks
        rounded = self.banks.term_steps * step_days / banks.loan_term_days
        return max(0.0, 1.0 - banks.repay_first_days / step_days * rounded)

    def _fundable_output(self) -> np.ndarray | None:
        """The output each supplier's funds can carry, or None when suppliers are not limited."""
        if not self.spec.suppliers.finance_constrained_production:
            return None
        loans = self.finance.capacity_loans
        committed = self.banks.line_limit
        if loans is not None:
            committed = committed + loans.owed(self.firms)
        return production.fundable_output(self.firms, committed)

    def _pay_dividends(self) -> None:
        """Firms pay out part of their profits: equity above its opening level.

        A firm pays a share of its equity above its opening equity (at the start of the
        step), only while it is not in arrears, and no more than its lenders allow
        (`payout_while_indebted`, the default): its cash above the buffer plus the undrawn
        credit beyond its line's opening headroom and the raises for new output
        (`Banks.finance_new_output`), and nothing while every part of its line is frozen. What
        it pays beyond the cash above its buffer leaves its cash below the buffer until it
        draws on its line at the next settlement. So profits leave an indebted firm too, and
        a world with no shock stays near its opening state. With the switch off, the payout
        is capped by the cash above the buffer alone, and a firm with a drawn line retains
        its profits.
        """
        firms, ledger, scenario = self.firms, self.ledger, self.spec
        payout = np.where(
            firms.is_automaker,
            scenario.automakers.dividend_payout,
            scenario.suppliers.dividend_payout,
        )
        # Firms short of capacity keep their profits to pay for more.
        sound = firms.active & (firms.arrears_steps == 0) & ~firms.retaining
        cash = ledger.balance[: firms.n]
        excess = np.maximum(
            np.minimum(cash - firms.cash_target, firms.equity - firms.equity_target), 0.0
        )
        amount = payout * excess
        indebted = np.where(
            firms.is_automaker,
            scenario.automakers.payout_while_indebted,
            scenario.suppliers.payout_while_indebted,
        )
        if indebted.any():
            # Pay out equity above its opening level while still indebted, within what a
            # lender would allow: cash above the buffer plus the undrawn credit beyond the
            # headroom the line opened with and the raises for new output (a raise carries
            # that output's receivables, not dividends); none on a frozen line.
            spare = cash - firms.cash_target + self.banks.undrawn(firms) - self.banks.kept_headroom
            lent = np.minimum(
                payout * (firms.equity - firms.equity_target), np.minimum(spare, cash)
            )
            amount = np.where(indebted, lent, amount)
            sound = sound & ~(indebted & self.banks.line_frozen)
        paying = np.flatnonzero(sound & (amount > 0))
        ledger.post(paying, ledger.outside, amount[paying], Flow.DIVIDENDS)

    def _liquidate(self, debtors: np.ndarray, event: str, t: int, reason: str) -> None:
        if debtors.size == 0:
            return
        liquidate(
            debtors,
            event,
            reason,
            t,
            self.firms,
            self.ledger,
            self.trade,
            self.banks,
            self.chain,
            self.spec.suppliers.recovery_rate,
            steps_of(self.spec.suppliers.resourcing_delay_days, self.spec.step_days),
            self.finance.claims_on,
            None if self.finance.round is None else self.finance.round.pd,
            self.spec.suppliers.fixed_asset_recovery,
            self.finance.claimed_receivables(),
        )

    def _sell_vehicles(self, t: int, demand_factor: float, activity: StepActivity) -> None:
        """Consumers shop and apply for loans; automakers sell from stock; buyers pay."""
        firms, rng = self.firms, self.streams.shopping
        makers = firms.is_automaker.nonzero()[0]
        orders = self.market.shop(t, firms, makers, demand_factor, self.banks, self.ledger, rng)
        sold, served = automakers.sell_vehicles(
            firms, makers, orders.buyers.choice[orders.buys], rng
        )
        purchases = self.market.deliver(
            t, orders, sold, served, makers, self.banks, self.ledger, rng
        )
        activity.lost_sales = purchases.lost_sales
        # Forecasts follow new demand: buyers coming back for a car are not counted twice.
        new_demand = np.zeros(firms.n)
        new_demand[makers] = purchases.new_demand
        production.update_forecasts(
            firms, new_demand, firms.is_automaker, self.spec.automakers.forecast_smoothing
        )
        activity.vehicle_demand = float(new_demand.sum())
        activity.vehicles_sold = float(purchases.sold.sum())
        sales_value = np.zeros(firms.n)
        sales_value[makers] = purchases.sold * firms.price[makers]
        activity.sales_value = sales_value

    # ------------------------------------------------------------------ building
    def _accounts_and_sectors(self) -> tuple[np.ndarray, list[str], np.ndarray]:
        """Ledger accounts (firms, banks, consumers, outside), their sectors, opening cash."""
        firms, scenario = self.firms, self.spec
        n_tiers = self.network.n_tiers
        sector_names = [
            "automakers",
            *[f"suppliers_tier{k}" for k in range(1, n_tiers + 1)],
            "banks",
            "consumers",
            "outside",
        ]
        account_sector = np.concatenate(
            [
                firms.tier,
                np.full(len(self.bank_accounts), n_tiers + 1),
                [n_tiers + 2, n_tiers + 3],
            ]
        )
        daily_cost = firms.unit_cost() * firms.expected_output / scenario.step_days
        spread = scenario.suppliers.size_dispersion
        size = np.exp(self.streams.firms.normal(-(spread**2) / 2, spread, size=firms.n))
        supplier_cash = scenario.suppliers.initial_cash_days * daily_cost * size
        automaker_cash = (
            scenario.automakers.initial_cash_days
            * firms.price
            * firms.expected_output
            / scenario.step_days
        )
        cash = np.where(firms.is_automaker, automaker_cash, supplier_cash)
        firms.cash_target = cash.copy()
        opening = np.concatenate([cash, np.zeros(len(self.bank_accounts) + 2)])
        return account_sector, sector_names, opening

    def _open_balance_sheets(self) -> None:
        """Open invoices, bank capital and loans of the starting steady state."""
        firms, scenario, trade, banks = self.firms, self.spec, self.trade, self.banks
        flow_value = firms.edge_expected_flow * firms.edge_price()
        term_steps = np.maximum(firms.edge_term_steps, 1)
        for delay in range(1, int(term_steps.max()) + 1):
            trade.invoice(
                firms, self.step_index, np.where(term_steps >= delay, flow_value, 0.0), delay
            )
        cash = self.ledger.balance[: firms.n]
        equity_days = np.where(
            firms.is_automaker, scenario.automakers.equity_days, scenario.suppliers.equity_days
        )
        equity = equity_days * firms.price * firms.expected_output / scenario.step_days
        assets = cash + firms.receivables + firms.inventory_value()
        debt = np.maximum(assets - equity - firms.payables, 0.0)

        # Banks are sized from the market (the ecosystem's expected revenue), not from the
        # opening debt, so scenarios that differ in payment terms start with the same banks.
        spec = scenario.banks
        revenue = float(firms.daily_revenue(scenario.step_days).sum())
        book = np.full(spec.count, spec.automotive_book_days * revenue / spec.automotive_share)
        book /= spec.count
        loans = banks.lent_by_bank(debt)
        book = np.maximum(book, loans)
        if spec.capital is None:
            capital = spec.capital_ratio * book
        else:
            capital = np.broadcast_to(np.asarray(spec.capital, dtype=float), (spec.count,)).copy()
        banks.other_assets = book - loans
        banks.deposits = banks.other_assets.copy()
        self.ledger.open_accounts(self.bank_accounts, capital)
        banks.opening_capital = capital.copy()
        banks.open_loans(firms, self.ledger, debt, firms.working_capital(), self.step_index)
        # A firm whose payables exceed its current assets less its equity (an automaker with
        # long terms) holds the rest of its equity in fixed assets (plant), at book value.
        current_equity = assets - firms.payables - firms.debt
        firms.fixed_assets = np.maximum(equity - current_equity, 0.0)
        # Firms pay dividends out of equity above their opening equity (see _pay_dividends).
        firms.equity_target = current_equity + firms.fixed_assets
        firms.equity = firms.equity_target.copy()
        # The working capital a unit of output per step ties up in each supplier's opening
        # balance sheet: what its funds must carry per unit (see `production.fundable_output`).
        # (Banks size lines again at renewal on it whether or not output is so limited.)
        per_unit = firms.working_capital() / np.maximum(firms.expected_output, 1e-12)
        firms.working_capital_per_unit = np.where(
            firms.is_automaker, 0.0, np.maximum(per_unit, 0.0)
        )
        # Suppliers pass part of their financing cost into cost-plus prices; opening prices
        # stay where they are.
        firms.finance_cost_per_step = banks.interest_book.open_totals() / banks.term_steps
        per_unit = (
            firms.finance_pass_through
            * firms.finance_cost_per_step
            / np.maximum(firms.expected_output, 1e-12)
        )
        supplier = ~firms.is_automaker
        firms.wage_per_unit[supplier] = np.maximum(
            firms.wage_per_unit[supplier] - per_unit[supplier], 0.0
        )
        firms.costs_moved()
        banks.set_covenants(firms.leverage(cash))


def simulate(
    scenario: Scenario,
    *,
    check: bool = False,
    progress: Callable[[int, int], None] | None = None,
    panel: bool = False,
    loans: bool = False,
) -> Result:
    """Run a scenario to its horizon.

    Args:
        scenario: The validated scenario (see `autofin.load_scenario`).
        check: Verify money conservation and the other accounting identities after every
            step; raises `autofin.world.checks.AccountingError` at the first violation.
        progress: Called as ``progress(steps_done, total_steps)`` after every step, the
            warm-up's included (`Scenario.run_steps`).
        panel: Keep the firm × step panel (`Result.panel`, written as `panel.parquet`).
        loans: Keep every loan and car-loan decision (`Result.loans`, `loans.parquet`).

    Returns:
        Time series, capital flows, events, the network and firm tables and a summary with
        provenance.
    """
    started = time.perf_counter()
    total = scenario.run_steps
    warmup = scenario.warmup_steps
    model = AutofinModel(
        scenario,
        check=check,
        panel=panel,
        loans=loans,
        warmup_progress=None if progress is None else lambda done: progress(done, total),
    )
    for done in range(warmup + 1, total + 1):
        model.step()
        if progress is not None:
            progress(done, total)
    return model.result(time.perf_counter() - started)
