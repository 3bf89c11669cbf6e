"""The sales funnel: traffic → lead → test drive → decision → cash or loan → purchase.

`ConsumerMarket` runs the consumer side of a step over arrays of the consumers involved:

1. Shoppers arrive (their calendar trip, or a bank-app offer) and become leads per channel.
2. A lead picks an automaker by market share and decides cash or loan: a loan if it cannot pay
   cash (or with ``loan_preference`` if it can); fraudsters always borrow.
3. It test-drives with a chance that rises with how affordable the car feels (price, APR,
   term, down payment), then decides to buy with its purchase propensity.
4. Cash buyers buy. Borrowers apply to a bank (bank-app leads to the partner bank); the
   approval pipeline decides, automatically or after the manual-review queue. A pre-qualified
   bank-app lead's financing was settled before it shopped, so it neither waits nor risks a
   rejection: that is the only way the bank-app channel differs in conversion.
5. A rejected applicant pays cash if it can, else may try another bank, else walks away. An
   approved applicant still buys with a chance that falls with the decision's wait.
6. Automakers sell from stock; buyers who find no car come back later or are lost.

Money: cash buyers pay the price out of household income; borrowers pay the down payment
and the bank pays the rest of the price to the automaker (the disbursement).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from autofin.world.approval import MINUTES_PER_DAY, ApprovalPipeline, booked_share
from autofin.world.auto_loans import DAYS_PER_MONTH, ConsumerLoanBook
from autofin.world.automakers import take_from_stock
from autofin.world.banks import Banks, Instrument
from autofin.world.channels import bank_app_leads, organic_leads
from autofin.world.consumers import CHANNEL_NAMES, Channel, Consumers
from autofin.world.firms import Firms
from autofin.world.ledger import Flow, Ledger

if TYPE_CHECKING:
    from autofin.world.records import LoanLog


def _per_channel() -> np.ndarray:
    return np.zeros(len(Channel))


@dataclass
class FunnelCounts:
    """What the funnel did in one step, per channel where it makes sense."""

    traffic: np.ndarray = field(default_factory=_per_channel)
    leads: np.ndarray = field(default_factory=_per_channel)
    test_drives: np.ndarray = field(default_factory=_per_channel)
    applications: np.ndarray = field(default_factory=_per_channel)
    approvals: np.ndarray = field(default_factory=_per_channel)
    sales: np.ndarray = field(default_factory=_per_channel)
    automatic_decisions: int = 0
    decision_minutes: list[np.ndarray] = field(default_factory=list)

    def decided(
        self, channel: np.ndarray, approved: np.ndarray, minutes: np.ndarray, automatic: np.ndarray
    ) -> None:
        """Count decided applications."""
        self.applications += np.bincount(channel, minlength=len(Channel))
        self.approvals += np.bincount(channel[approved], minlength=len(Channel))
        self.automatic_decisions += int(automatic.sum())
        self.decision_minutes.append(minutes)


@dataclass
class Purchases:
    """What the funnel hands back to the model: sales and demand per automaker row."""

    sold: np.ndarray
    new_demand: np.ndarray
    lost_sales: int


@dataclass
class Prospects:
    """The consumers moving through the funnel this step, one row each."""

    who: np.ndarray
    channel: np.ndarray
    is_lead: np.ndarray  # False for buyers back for a car that was out of stock
    choice: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    price: np.ndarray = field(default_factory=lambda: np.zeros(0))
    fraud: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    cash_capable: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    wants_loan: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    @property
    def in_calendar(self) -> np.ndarray:
        """Whether each came from the shopping calendar (bank-app leads keep their own trip)."""
        return self.channel != Channel.BANK_APP

    def take(self, rows: np.ndarray) -> Prospects:
        """The given rows only."""
        return Prospects(
            self.who[rows],
            self.channel[rows],
            self.is_lead[rows],
            self.choice[rows],
            self.price[rows],
            self.fraud[rows],
            self.cash_capable[rows],
            self.wants_loan[rows],
        )


@dataclass
class Financing:
    """Each buyer's loan: the bank, the principal, its fate and whether it was booked."""

    bank: np.ndarray
    amount: np.ndarray
    default_month: np.ndarray
    booked: np.ndarray

    def take(self, rows: np.ndarray) -> Financing:
        """The given rows only."""
        return Financing(
            self.bank[rows], self.amount[rows], self.default_month[rows], self.booked[rows]
        )


class ConsumerMarket:
    """The consumer side: population, channels, approval pipeline and car-loan book.

    Args:
        consumers: The population.
        n_banks: Number of banks.
        steps: Steps in the horizon.
        step_days: Days per step.
    """

    def __init__(self, consumers: Consumers, n_banks: int, steps: int, step_days: int) -> None:
        spec = consumers.spec
        self.consumers = consumers
        self.pipeline = ApprovalPipeline(spec.approval, n_banks)
        self.loans = ConsumerLoanBook(spec.loans, n_banks, steps, step_days)
        self.step_days = step_days
        self.n_banks = n_banks
        self.counts = FunnelCounts()
        self.loans_booked = 0
        self.decision_log: LoanLog | None = None
        self.all_decision_minutes: list[np.ndarray] = []

    def forget_records(self) -> None:
        """Drop what the run has recorded so far (the results start afresh after a warm-up)."""
        self.loans_booked = 0
        self.loans.defaults_scheduled = 0
        self.all_decision_minutes.clear()

    def expected_buyers_per_step(self, price: float) -> float:
        """Rough expected purchases per step in the long run, for sizing the supply chain.

        The funnel's chances are averaged over (a sample of) the population, assuming
        automatic decisions for pre-qualified leads and no queue; the automakers' forecasts
        correct the rest within weeks.
        """
        c, spec = self.consumers, self.consumers.spec
        who = np.arange(min(c.population, 20_000))
        prices = np.full(who.size, price)
        cash_capable = c.savings[who] >= price
        loan_share = np.where(cash_capable & ~c.fraudster[who], spec.loans.loan_preference, 1.0)
        pipeline = self.pipeline
        pass_checks = float(np.prod(1.0 - pipeline.false_rejection))
        automatic = 0.0 if pipeline.has_manual_check else float(np.prod(1 - pipeline.inconclusive))
        waits = pipeline.automatic_minutes + np.array(
            [0.0, pipeline.review_minutes + MINUTES_PER_DAY / 2]
        )
        booked = booked_share(waits, spec.approval.booking)
        loan_success = pass_checks * float(automatic * booked[0] + (1 - automatic) * booked[1])
        borrows, instalment = np.ones(who.size, dtype=bool), self.loans.instalment
        buy = (
            spec.test_drive_propensity
            * c.propensity[who]
            * (
                loan_share * c.affordability(who, prices, borrows, instalment) * loan_success
                + (1 - loan_share) * c.affordability(who, prices, ~borrows, instalment)
            )
        )
        channels = spec.channels
        walk_in = float((c.channel[who] == Channel.WALK_IN).mean())
        lead_rate = walk_in * channels.walk_in.lead_rate + (1 - walk_in) * channels.online.lead_rate
        trips = c.population * c.step_years / spec.replacement_years
        app = channels.bank_app
        app_leads = app.monthly_traffic * self.step_days / DAYS_PER_MONTH * app.click_to_lead
        if c.app_users.size == 0:
            app_leads = 0.0
        # The supply chain needs a positive scale even if nobody in the sample can buy.
        return max(float((trips * lead_rate + app_leads) * buy.mean()), 1e-6)

    # ------------------------------------------------------------------ repaying
    def repay(self, step: int, banks: Banks, ledger: Ledger) -> None:
        """Borrowers pay the instalments due now; loans due to default default."""
        self.loans.collect(step, banks, ledger, self.consumers.account)

    # ------------------------------------------------------------------ shopping
    def shop(
        self,
        step: int,
        firms: Firms,
        makers: np.ndarray,
        share: np.ndarray,
        factor: float,
        banks: Banks,
        ledger: Ledger,
        rng: np.random.Generator,
    ) -> Purchases:
        """Run the funnel of ``step``; automakers sell from stock.

        Args:
            step: The current step.
            firms: All firms.
            makers: Firm rows of the automakers.
            share: Chance that a lead picks each automaker (sums to 1).
            factor: Demand multiplier in force (shocks).
            banks: The banks.
            ledger: The ledger.
            rng: The model's random generator.
        """
        c = self.consumers
        self.counts = FunnelCounts()
        home: list[np.ndarray] = []  # who goes home until the next trip
        prospects = self._leads(step, home, rng)
        buyers = self._decide(prospects, firms.price[makers], share, factor, home, rng)
        financing = self._finance(step, buyers, banks, ledger, rng)
        buys = ~buyers.wants_loan | financing.booked
        home.append(buyers.who[~buys & buyers.in_calendar])
        lost = int((~buys & ~buyers.is_lead).sum())

        # Automakers sell from stock, each serving its buyers in random order.
        rows = np.flatnonzero(buys)
        sold_by_maker, served = self._serve(firms, makers, buyers.choice[rows], rng)
        got, missed = rows[served], rows[~served]
        self.counts.sales = np.bincount(buyers.channel[got], minlength=len(Channel)).astype(float)
        self._pay(step, makers, buyers.take(got), financing.take(got), banks, ledger)
        c.last_purchase[buyers.who[got]] = step
        home.append(buyers.who[got[buyers.in_calendar[got]]])
        # A bank-app offer was for a car in stock: its leads do not come back for it.
        back_again = buyers.in_calendar[missed] & (
            c.retries[buyers.who[missed]] < c.spec.max_retries
        )
        home.append(buyers.who[missed[~back_again & buyers.in_calendar[missed]]])
        again = missed[back_again]
        c.retry_later(
            buyers.who[again],
            step,
            buyers.channel[again],
            np.where(buyers.wants_loan[again], financing.bank[again], -1),
            financing.default_month[again],
        )
        c.reschedule(np.concatenate(home), step, rng)
        fresh = rows[buyers.is_lead[rows]]
        new_demand = np.bincount(buyers.choice[fresh], minlength=len(makers)).astype(float)
        minutes = self.counts.decision_minutes
        self.all_decision_minutes.append(np.concatenate(minutes) if minutes else np.zeros(0))
        return Purchases(sold_by_maker, new_demand, lost + int((~back_again).sum()))

    def _leads(self, step: int, home: list[np.ndarray], rng: np.random.Generator) -> Prospects:
        """Traffic becomes leads; buyers back for a car out of stock join them."""
        c, counts = self.consumers, self.counts
        visitors = c.shoppers(step)
        returning = visitors[c.retries[visitors] > 0]
        fresh = visitors[c.retries[visitors] == 0]
        recent = c.recently_bought(fresh, step)
        organic = organic_leads(c, fresh[~recent], rng)
        home += [fresh[recent], organic.not_leads]
        app = bank_app_leads(c, step, self.step_days, visitors, rng)
        counts.traffic = organic.traffic + app.traffic
        lead_channel = np.concatenate([organic.channel, app.channel])
        counts.leads = np.bincount(lead_channel, minlength=len(Channel)).astype(float)
        who = np.concatenate([organic.who, app.who, returning])
        channel = np.concatenate([lead_channel, c.held_channel[returning]])
        return Prospects(who, channel, np.arange(who.size) < lead_channel.size)

    def _decide(
        self,
        prospects: Prospects,
        prices: np.ndarray,
        share: np.ndarray,
        factor: float,
        home: list[np.ndarray],
        rng: np.random.Generator,
    ) -> Prospects:
        """Which car, cash or loan, test drive and the decision to buy: the buyers."""
        c, spec, p = self.consumers, self.consumers.spec, prospects
        n = p.who.size
        if len(share) > 1:
            p.choice = rng.choice(len(share), size=n, p=share)
        else:
            p.choice = np.zeros(n, dtype=np.int64)
        p.price = prices[p.choice]
        p.fraud = c.fraudster[p.who]
        p.cash_capable = c.savings[p.who] >= p.price
        p.wants_loan = p.fraud | ~p.cash_capable | (rng.random(n) < spec.loans.loan_preference)
        # Returning buyers have decided and keep the financing they had.
        p.wants_loan[~p.is_lead] = c.held_bank[p.who[~p.is_lead]] >= 0
        afford = c.affordability(p.who, p.price, p.wants_loan, self.loans.instalment)
        drives = p.is_lead & (rng.random(n) < spec.test_drive_propensity * afford)
        self.counts.test_drives = np.bincount(p.channel[drives], minlength=len(Channel)).astype(
            float
        )
        decides = ~p.is_lead | (drives & (rng.random(n) < c.propensity[p.who] * factor))
        home.append(p.who[~decides & p.in_calendar])
        return p.take(np.flatnonzero(decides))

    def _finance(
        self,
        step: int,
        buyers: Prospects,
        banks: Banks,
        ledger: Ledger,
        rng: np.random.Generator,
    ) -> Financing:
        """Borrowers' loans: fates, pre-qualification, applications, decisions and booking.

        Rejected borrowers who can pay cash switch to cash (``buyers.wants_loan`` is cleared).
        """
        c, spec, counts, b = self.consumers, self.consumers.spec, self.counts, buyers
        n = b.who.size
        amount = (1.0 - spec.loans.down_payment_share) * b.price
        burden = amount * self.loans.instalment / (c.income[b.who] / 12.0)
        within_limit = burden <= spec.loans.max_payment_to_income
        asking = b.wants_loan & b.is_lead
        default_month = np.zeros(n, dtype=np.int64)
        default_month[asking] = self.loans.draw_fates(
            c.risk[b.who[asking]].astype(float), burden[asking], b.fraud[asking], rng
        )
        back = np.flatnonzero(~b.is_lead)
        default_month[back] = c.held_fate[b.who[back]]
        bad = (default_month > 0) & ~b.fraud
        # A loan is settled for returning buyers and, if it pre-qualifies, for app leads.
        settled = ~b.is_lead & b.wants_loan
        if spec.channels.bank_app.prequalified:
            app = np.flatnonzero(asking & (b.channel == Channel.BANK_APP))
            settled[app] = within_limit[app] & self.pipeline.prequalify(bad[app], b.fraud[app], rng)

        bank = rng.integers(0, self.n_banks, size=n)
        bank[b.channel == Channel.BANK_APP] = spec.channels.bank_app.partner_bank
        bank[back] = np.maximum(c.held_bank[b.who[back]], 0)
        capacity = banks.capacity(ledger)
        start = ((step - 1) + rng.random(n)) * self.step_days * MINUTES_PER_DAY
        decided_at = start.copy()
        approved = _within_capacity(bank, amount, b.wants_loan & settled, capacity)
        # Pre-qualified leads' applications were decided, automatically, before they shopped.
        prequalified = np.flatnonzero(approved & b.is_lead)
        counts.decided(
            b.channel[prequalified],
            np.ones(prequalified.size, dtype=bool),
            np.zeros(prequalified.size),
            np.ones(prequalified.size, dtype=bool),
        )
        pending = b.wants_loan & ~approved
        for _attempt in range(2):
            rows = np.flatnonzero(pending)
            if rows.size == 0:
                break
            arrive = decided_at[rows]
            decision = self.pipeline.decide(bank[rows], bad[rows], b.fraud[rows], arrive, rng)
            # The bank's limit on the instalment is an automatic, conclusive rejection.
            over_limit = ~within_limit[rows]
            decision.decided_at[over_limit] = arrive[over_limit] + self.pipeline.automatic_minutes
            yes = np.zeros(n, dtype=bool)
            yes[rows] = decision.approved & ~over_limit
            yes &= _within_capacity(bank, amount, yes, capacity)
            decided_at[rows] = decision.decided_at
            counts.decided(
                b.channel[rows],
                yes[rows],
                decision.decided_at - arrive,
                decision.automatic | over_limit,
            )
            approved |= yes
            # Rejected: pay cash if possible, else maybe try another bank, else walk away.
            rejected = pending & ~yes
            to_cash = rejected & b.cash_capable & ~b.fraud
            b.wants_loan &= ~to_cash
            pending = rejected & ~to_cash & (rng.random(n) < spec.approval.second_lender_share)
            if self.n_banks < 2:
                break
            shift = rng.integers(1, self.n_banks, size=int(pending.sum()))
            bank[pending] = (bank[pending] + shift) % self.n_banks
        # An approved applicant still buys with a chance that falls with the wait; a returning
        # buyer has already decided.
        waited = decided_at - start
        booked = approved & (rng.random(n) < booked_share(waited, spec.approval.booking))
        booked |= approved & ~b.is_lead
        if self.decision_log is not None:
            rows = np.flatnonzero(asking)
            self.decision_log.car_loans(
                step, b.who[rows], bank[rows], amount[rows], waited[rows], approved[rows],
                booked[rows], default_month[rows], b.fraud[rows],
            )  # fmt: skip
        return Financing(bank, amount, default_month, booked)

    def _serve(
        self, firms: Firms, makers: np.ndarray, choice: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Sell from each automaker's stock; its buyers are served in random order."""
        wanted = np.bincount(choice, minlength=len(makers)).astype(float)
        sold = take_from_stock(firms, makers, wanted)
        order = np.lexsort((rng.random(choice.size), choice))
        rank = np.empty(choice.size, dtype=np.int64)
        group_start = np.concatenate([[0], np.cumsum(wanted)[:-1]]).astype(np.int64)
        rank[order] = np.arange(choice.size) - group_start[choice[order]]
        return sold, rank < sold[choice]

    def _pay(
        self,
        step: int,
        makers: np.ndarray,
        buyers: Prospects,
        financing: Financing,
        banks: Banks,
        ledger: Ledger,
    ) -> None:
        """Post the money of the served purchases and book their loans."""
        if buyers.who.size == 0:
            return
        account = self.consumers.account
        cash, financed = ~buyers.wants_loan, buyers.wants_loan
        seller = makers[buyers.choice]
        price, amount = buyers.price, financing.amount
        down = price[financed] - amount[financed]
        ledger.post(ledger.outside, account, price[cash].sum() + down.sum(), Flow.HOUSEHOLD_INCOME)
        ledger.post(account, seller[cash], price[cash], Flow.VEHICLE_SALES)
        ledger.post(account, seller[financed], down, Flow.DOWN_PAYMENT)
        bank = financing.bank[financed]
        ledger.post(
            banks.accounts[bank],
            seller[financed],
            amount[financed],
            Flow.CONSUMER_LOAN_DISBURSEMENT,
        )
        self.loans.book(
            step,
            bank,
            amount[financed],
            financing.default_month[financed],
            buyers.fraud[financed],
            price[financed],
            banks,
        )
        self.loans_booked += int(financed.sum())


def _within_capacity(
    bank: np.ndarray, amount: np.ndarray, asking: np.ndarray, capacity: np.ndarray
) -> np.ndarray:
    """Which of the ``asking`` loans fit in their bank's remaining lending capacity.

    Loans are served in row order; what fits is taken off ``capacity``.
    """
    rows = np.flatnonzero(asking)
    fits = np.zeros(asking.size, dtype=bool)
    fits[rows] = Banks.fit_in_capacity(bank[rows], amount[rows], capacity) > 0
    return fits


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator > 0 else 0.0


def consumer_metrics(market: ConsumerMarket, banks: Banks) -> dict[str, float]:
    """The consumer columns of a step's row of the time series (see docs/metrics.md)."""
    counts, loans = market.counts, market.loans
    minutes = market.all_decision_minutes[-1]  # this step's, joined by `shop`
    applications = float(counts.applications.sum())
    row: dict[str, float] = {
        "traffic": float(counts.traffic.sum()),
        "leads": float(counts.leads.sum()),
        "test_drives": float(counts.test_drives.sum()),
        "loan_applications": applications,
        "loan_approvals": float(counts.approvals.sum()),
        "automated_decision_share": _ratio(counts.automatic_decisions, applications),
        "median_decision_minutes": float(np.median(minutes)) if minutes.size else float("nan"),
        "conversion_rate": _ratio(counts.sales.sum(), counts.leads.sum()),
        "test_drive_rate": _ratio(counts.test_drives.sum(), counts.leads.sum()),
        "consumer_loans_active": loans.active_at_start,
        "consumer_loan_defaults": loans.defaults_now,
        "consumer_default_rate": _ratio(loans.defaults_now, loans.active_at_start),
        "consumer_npl_ratio": banks.npl_ratio(Instrument.CONSUMER_LOAN),
        "consumer_loan_exposure": float(banks.exposure[Instrument.CONSUMER_LOAN].sum()),
        "fraud_losses": loans.fraud_losses_now,
    }
    for channel, name in enumerate(CHANNEL_NAMES):
        row[f"traffic_{name}"] = float(counts.traffic[channel])
        row[f"leads_{name}"] = float(counts.leads[channel])
        row[f"test_drives_{name}"] = float(counts.test_drives[channel])
        row[f"loan_applications_{name}"] = float(counts.applications[channel])
        row[f"loan_approvals_{name}"] = float(counts.approvals[channel])
        row[f"sales_units_{name}"] = float(counts.sales[channel])
        row[f"conversion_rate_{name}"] = _ratio(counts.sales[channel], counts.leads[channel])
        row[f"test_drive_rate_{name}"] = _ratio(counts.test_drives[channel], counts.leads[channel])
    return row


def consumer_summary(timeseries: Any, market: ConsumerMarket) -> dict[str, Any]:
    """Headline consumer figures of a run (see docs/metrics.md)."""
    total = timeseries.sum()
    minutes = np.concatenate(market.all_decision_minutes or [np.zeros(0)])
    summary: dict[str, Any] = {
        "leads": float(total["leads"]),
        "test_drives": float(total["test_drives"]),
        "loan_applications": float(total["loan_applications"]),
        "loan_approvals": float(total["loan_approvals"]),
        "loan_approval_rate": _ratio(total["loan_approvals"], total["loan_applications"]),
        "automated_decision_share": _ratio(
            float((timeseries["automated_decision_share"] * timeseries["loan_applications"]).sum()),
            total["loan_applications"],
        ),
        "median_decision_minutes": float(np.median(minutes)) if minutes.size else float("nan"),
        "conversion_rate": _ratio(total["sales_units"], total["leads"]),
        "consumer_loans_booked": market.loans_booked,
        "consumer_loan_defaults": float(total["consumer_loan_defaults"]),
        "booked_loan_default_share": _ratio(total["consumer_loan_defaults"], market.loans_booked),
        "fraud_losses": float(total["fraud_losses"]),
        "consumer_npl_ratio_final": float(timeseries["consumer_npl_ratio"].iloc[-1]),
    }
    for name in CHANNEL_NAMES:
        summary[f"conversion_rate_{name}"] = _ratio(
            total[f"sales_units_{name}"], total[f"leads_{name}"]
        )
    return summary
