"""The consumer side of a step, in the order it happens: demand, choice, credit, delivery.

`ConsumerMarket` runs the funnel over arrays of the consumers involved; each job has its own
module:

1. Demand and channels (`autofin.world.channels`): shoppers arrive from the replacement
   calendar, new households and the bank app, and become leads per channel.
2. Choice (`autofin.world.choice`): a lead picks an automaker by multinomial logit on price,
   stock, financing and reach, and decides cash or loan: a loan if it cannot pay cash (or with
   ``loan_preference`` if it can); fraudsters always borrow. Bank-app leads were shown the
   app's automaker.
3. It test-drives with a chance that rises with how affordable the car feels (price, APR,
   term, down payment), then decides to buy with its purchase propensity.
4. Credit application and approval (`autofin.world.applications`): borrowers apply, banks
   decide; an approved applicant still buys with a chance that falls with the decision's wait.
5. The automakers sell from stock (`autofin.world.automakers.sell_vehicles`, called from the
   model's step); buyers who find no car come back later or are lost.
6. Sales and delivery (`autofin.world.sales`): the money of delivered cars and their loans.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from autofin.world.applications import Decided, Financing, LoanDesk
from autofin.world.approval import ApprovalPipeline, CheckTally
from autofin.world.auto_loans import ConsumerLoanBook, annuity_factor
from autofin.world.automakers import availability
from autofin.world.banks import Banks, Instrument
from autofin.world.channels import Prospects, arrivals
from autofin.world.choice import AutomakerOffers, choose_automakers, logit_shares
from autofin.world.consumers import CHANNEL_NAMES, Channel, Consumers, population_chunks
from autofin.world.firms import Firms
from autofin.world.ledger import Ledger
from autofin.world.sales import pay_for_cars

if TYPE_CHECKING:
    from autofin.world.records import LoanLog


def _per_channel() -> np.ndarray:
    return np.zeros(len(Channel))


@dataclass
class FunnelCounts:
    """What the funnel did in one step, per channel (or per automaker) where it makes sense.

    The bank app's attributed sales are split by what its buyers would have done without the
    app (their expected purchase through their own channel at their calendar trip):
    ``app_from_channels`` of the same automaker, ``app_from_automakers`` from another one;
    the rest is incremental.
    """

    traffic: np.ndarray = field(default_factory=_per_channel)
    leads: np.ndarray = field(default_factory=_per_channel)
    test_drives: np.ndarray = field(default_factory=_per_channel)
    decided: Decided = field(default_factory=Decided.none)
    sales: np.ndarray = field(default_factory=_per_channel)
    sales_by_maker: np.ndarray = field(default_factory=lambda: np.zeros(0))
    app_from_channels: float = 0.0
    app_from_automakers: float = 0.0


@dataclass
class Purchases:
    """What the funnel hands back to the model: sales and demand per automaker row."""

    sold: np.ndarray
    new_demand: np.ndarray
    lost_sales: int


@dataclass
class CarOrders:
    """Buyers ready to take a car this step, with their financing (before stock is checked)."""

    buyers: Prospects
    financing: Financing
    buys: np.ndarray  # cash buyers and borrowers whose loan was booked
    home: list[np.ndarray]  # consumers going home until their next trip
    lost: int  # buyers back for a car who walked away


class ConsumerMarket:
    """The consumer side: population, channels, choice, loan desks and car-loan book.

    Args:
        consumers: The population.
        n_banks: Number of banks.
        steps: Steps in the horizon.
        step_days: Days per step.
        n_automakers: Number of automakers.
    """

    def __init__(
        self, consumers: Consumers, n_banks: int, steps: int, step_days: int, n_automakers: int = 1
    ) -> None:
        spec = consumers.spec
        self.consumers = consumers
        self.offers = AutomakerOffers.from_spec(spec, n_automakers)
        self.desk = LoanDesk(consumers, self.offers, n_banks, steps, step_days)
        self.offers.expected_booked = self.desk.expected_booked(self.offers)
        self.step_days = step_days
        self.n_banks = n_banks
        self.counts = FunnelCounts(sales_by_maker=np.zeros(n_automakers))
        self.loans_booked = 0
        self.all_decision_minutes: list[np.ndarray] = []

    @property
    def loans(self) -> ConsumerLoanBook:
        """The banks' car loans."""
        return self.desk.loans

    @property
    def pipeline(self) -> ApprovalPipeline:
        """The common approval stack."""
        return self.desk.pipeline

    @property
    def decision_log(self) -> LoanLog | None:
        """Where car-loan decisions are logged (`--loans`), if anywhere."""
        return self.desk.decision_log

    @decision_log.setter
    def decision_log(self, log: LoanLog | None) -> None:
        self.desk.decision_log = log

    def forget_records(self) -> None:
        """Drop what the run has recorded so far (the results start afresh after a warm-up).

        Records go (loans booked, decision times, the checks' tallies); state stays (the
        loan book, learnt decision times, who holds a car).
        """
        self.loans_booked = 0
        self.loans.defaults_scheduled = 0
        self.all_decision_minutes.clear()
        for pipeline in self.desk.pipelines:
            pipeline.tally = CheckTally(len(pipeline.names))

    def purchase_chances(
        self, who: np.ndarray, price: float, apr: float, *, approval: bool = True
    ) -> np.ndarray:
        """Each of ``who``'s chance that a shopping trip ends in a purchase, before the run.

        The funnel's chances (lead, test drive, affordability and, with ``approval``, the
        common approval stack's pass chance and typical wait) at the price and loans at
        ``apr``, for a consumer not holding a recent car. Without ``approval``, every loan
        asked for is granted at once. Used before the run, so it draws nothing.
        """
        c, spec = self.consumers, self.consumers.spec
        prices = np.full(who.size, price)
        cash_capable = c.savings[who] >= price
        loan_share = np.where(cash_capable & ~c.fraudster[who], spec.loans.loan_preference, 1.0)
        loan_success: float | np.ndarray = 1.0
        if approval:
            passes = self.pipeline.pass_chance(
                c.risk[who].astype(float), c.fraud_propensity[who].astype(float)
            )
            loan_success = passes * float(self.offers.expected_booked.mean())
        borrows = np.ones(who.size, dtype=bool)
        instalment = annuity_factor(apr, spec.loans.term_months)
        buy = (
            spec.test_drive_propensity
            * c.propensity[who]
            * (
                loan_share * c.affordability(who, prices, borrows, instalment) * loan_success
                + (1 - loan_share) * c.affordability(who, prices, ~borrows, instalment)
            )
        )
        return self._lead_rates(who) * buy

    def _lead_rates(self, who: np.ndarray | slice) -> np.ndarray:
        """Each of ``who``'s chance that a trip makes a lead: its channel's lead rate."""
        channels = self.consumers.spec.channels
        return np.where(
            self.consumers.channel[who] == Channel.WALK_IN,
            channels.walk_in.lead_rate,
            channels.online.lead_rate,
        )

    def holding_shares(self, chances: np.ndarray) -> np.ndarray:
        """The long-run share of time a consumer holds a car bought under ``holding_years``.

        A consumer alternates between being free to buy, until a trip (``1 /
        replacement_years + new_household_rate`` a year, as in the sizing) ends in a purchase
        (``chances`` per trip), and holding the car for ``holding_years``: the holding share
        of this renewal cycle is ``rate * chance * holding / (1 + rate * chance * holding)``.
        """
        bought_per_holding = chances * self.consumers.spec.holding_years * self._trips_per_year()
        return bought_per_holding / (1.0 + bought_per_holding)

    def _trips_per_year(self) -> float:
        """Shopping trips a consumer makes a year: the calendar's and new households'."""
        spec = self.consumers.spec
        return 1.0 / spec.replacement_years + spec.new_household_rate

    def open_holdings(self, price: float, apr: float, rng: np.random.Generator) -> None:
        """Open the population near its long-run state: recent buyers hold their cars.

        Each consumer holds a car bought within ``holding_years`` with its long-run holding
        share (`holding_shares`), bought at a uniform time within that window; otherwise
        every consumer would be free to buy at the start, and sales would settle about 7%
        lower over the first two years (the baseline), a transient a year's warm-up does
        not remove. The chances are those of the population before any approval stack
        (every loan granted at once): the opening holdings are part of the population, the
        same in scenarios that differ only in how loans are approved; the warm-up settles
        the rest.
        """
        c = self.consumers
        holding_steps = c.holding_steps
        if holding_steps <= 0:
            return
        for part in population_chunks(c.population):
            # Two draws for every consumer, whether it holds or not: scenarios whose chances
            # differ (in approval, say) differ only for the consumers at the margin.
            draw, when = rng.random(part.stop - part.start), rng.random(part.stop - part.start)
            # Only a consumer whose draw falls below a bound of its holding share can hold
            # (`holding_bounds`): the chances are computed for those only.
            maybe = (draw < self.holding_bounds(part)).nonzero()[0]
            chances = self.purchase_chances(part.start + maybe, price, apr, approval=False)
            holds = maybe[draw[maybe] < self.holding_shares(chances)]
            ago = (when[holds] * holding_steps).astype(np.int32)
            c.last_purchase[part.start + holds] = c.origin - ago

    def holding_bounds(self, part: slice) -> np.ndarray:
        """An upper bound of the consumers' of ``part`` `holding_shares`, cheaply.

        Affordability is at most 1, so a trip ends in a purchase with at most the lead rate
        × the test-drive propensity × the consumer's propensity (`purchase_chances`), and a
        holding share ``b / (1 + b)`` is below ``b``, the purchases per holding period. The
        bound is raised by a millionth, far above any rounding, so that a share computed in
        floating point never exceeds it.
        """
        c, spec = self.consumers, self.consumers.spec
        bound = self._lead_rates(part)
        per_trip = spec.test_drive_propensity * spec.holding_years * self._trips_per_year()
        bound *= per_trip * (1.0 + 1e-6)
        bound *= c.propensity[part]
        return bound

    def expected_buyers_per_step(self, price: float, apr: float) -> float:
        """Rough expected purchases per step in the long run, for sizing the supply chain.

        The chances of a trip ending in a purchase (`purchase_chances`) over (a sample of) the
        population, less those holding a car at the opening (`open_holdings`); the
        automakers' forecasts correct the rest within weeks.
        """
        c = self.consumers
        who = np.arange(min(c.population, 20_000))
        chances = self.purchase_chances(who, price, apr)
        if c.holding_steps > 0:
            # Those holding a car at the opening (`open_holdings`) do not buy.
            unapproved = self.purchase_chances(who, price, apr, approval=False)
            chances = chances * (1.0 - self.holding_shares(unapproved))
        # Trips from the calendar and from new households; the bank app moves trips earlier.
        trips = c.population * c.step_years * self._trips_per_year()
        # The supply chain needs a positive scale even if nobody in the sample can buy.
        return max(float(trips * chances.mean()), 1e-6)

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
        factor: float,
        banks: Banks,
        ledger: Ledger,
        rng: np.random.Generator,
    ) -> CarOrders:
        """Shoppers arrive, choose, test-drive, decide and apply for loans: the car orders.

        Args:
            step: The current step.
            firms: All firms.
            makers: Firm rows of the automakers.
            factor: Demand multiplier in force (shocks).
            banks: The banks.
            ledger: The ledger.
            rng: The shopping stream.
        """
        self.counts = FunnelCounts(sales_by_maker=np.zeros(makers.size))
        home: list[np.ndarray] = []
        arrived = arrivals(self.consumers, step, self.step_days, home, rng)
        self.counts.traffic, self.counts.leads = arrived.traffic, arrived.leads
        open_for_sale = firms.active[makers].astype(bool)
        if not open_for_sale.any():
            open_for_sale, factor = np.ones(makers.size, dtype=bool), 0.0
        market = _MarketView(firms.price[makers], availability(firms, makers), open_for_sale)
        # Banks price car loans on this step's funding and their own car loans' losses;
        # automakers post the APR their shoppers can expect.
        loans = self.consumers.spec.loans
        cost = banks.car_loan_cost(ledger, self.loans.loss_rate)
        self.offers.post_rates(cost, banks.lending(), loans.margin, loans.term_months)
        buyers = self._decide(arrived.prospects, market, factor, home, rng)
        financing = self.desk.apply(
            step, buyers, self.offers, banks, ledger, self.counts.decided, rng, cost
        )
        buys = ~buyers.wants_loan | financing.booked
        home.append(buyers.who[~buys & buyers.from_calendar])
        lost = int((~buys & ~buyers.is_lead).sum())
        self._market = market
        return CarOrders(buyers, financing, buys, home, lost)

    def deliver(
        self,
        step: int,
        orders: CarOrders,
        sold: np.ndarray,
        served: np.ndarray,
        makers: np.ndarray,
        banks: Banks,
        ledger: Ledger,
        rng: np.random.Generator,
    ) -> Purchases:
        """Buyers who got a car pay and take their loans; the others come back or are lost.

        Args:
            step: The current step.
            orders: The step's car orders (`shop`).
            sold: Vehicles each automaker sold (`autofin.world.automakers.sell_vehicles`).
            served: Which of the ordering buyers got a car.
            makers: Firm rows of the automakers.
            banks: The banks.
            ledger: The ledger.
            rng: The shopping stream.
        """
        c, buyers, financing, home = self.consumers, orders.buyers, orders.financing, orders.home
        rows = orders.buys.nonzero()[0]
        got, missed = rows[served], rows[~served]
        counts = self.counts
        counts.sales = np.bincount(buyers.channel[got], minlength=len(Channel)).astype(float)
        counts.sales_by_maker = np.bincount(buyers.choice[got], minlength=makers.size).astype(float)
        got_buyers, got_financing = buyers.take(got), financing.take(got)
        self._attribute_app_sales(got_buyers, got_financing)
        self.loans_booked += pay_for_cars(
            step,
            makers[got_buyers.choice],
            got_buyers,
            got_financing,
            c.account,
            self.loans,
            banks,
            ledger,
        )
        c.last_purchase[got_buyers.who] = step
        home.append(got_buyers.who[got_buyers.from_calendar])
        # Buyers who found no car come back for it (their calendar trip moves to then); leads
        # from outside the calendar who do not keep their calendar trip.
        walked_away = 0
        if missed.size:
            back_again = c.retries[buyers.who[missed]] < c.spec.max_retries
            walked_away = int((~back_again).sum())
            home.append(buyers.who[missed[~back_again & buyers.from_calendar[missed]]])
            again = missed[back_again]
            c.retry_later(
                buyers.who[again],
                step,
                buyers.channel[again],
                np.where(buyers.wants_loan[again], financing.bank[again], -1),
                financing.default_month[again],
                buyers.choice[again],
            )
        c.reschedule(np.concatenate(home), step, rng)
        fresh = rows[buyers.is_lead[rows]]
        new_demand = np.bincount(buyers.choice[fresh], minlength=len(makers)).astype(float)
        minutes = counts.decided.minutes
        self.all_decision_minutes.append(np.concatenate(minutes) if minutes else np.zeros(0))
        return Purchases(sold, new_demand, orders.lost + walked_away)

    def _decide(
        self,
        prospects: Prospects,
        market: _MarketView,
        factor: float,
        home: list[np.ndarray],
        rng: np.random.Generator,
    ) -> Prospects:
        """Which car, cash or loan, test drive and the decision to buy: the buyers."""
        c, spec, p, offers = self.consumers, self.consumers.spec, prospects, self.offers
        n = p.who.size
        p.fraud = c.fraudster[p.who]
        savings = c.savings[p.who]  # (read once from the population: it is large)
        if market.price.size == 1:
            p.choice = np.zeros(n, dtype=np.int64)  # one automaker: no choice (and no draw)
        else:
            # Leads come in two kinds: certain borrowers and the others (`_borrow_weight`).
            p.choice = choose_automakers(
                offers,
                spec,
                market.price,
                market.availability,
                market.open_for_sale,
                np.array([spec.loans.loan_preference, 1.0]),
                rng,
                kind=_certain_borrowers(p.fraud, savings, market).view(np.int8),
            )
        # Bank-app leads were shown the app's automaker; returning buyers keep their choice.
        app_maker = min(spec.channels.bank_app.automaker, market.price.size - 1)
        has_app_leads = spec.channels.bank_app.monthly_traffic > 0  # (they come from its views)
        if has_app_leads and market.open_for_sale[app_maker]:
            p.choice[p.channel == Channel.BANK_APP] = app_maker
        back = ~p.is_lead
        any_back = bool(back.any())
        if any_back:
            p.choice[back] = np.minimum(c.held_maker[p.who[back]], market.price.size - 1)
        p.price = market.price[p.choice]
        p.cash_capable = savings >= p.price
        p.wants_loan = p.fraud | ~p.cash_capable | (rng.random(n) < spec.loans.loan_preference)
        # Returning buyers have decided and keep the financing they had.
        if any_back:
            p.wants_loan[back] = c.held_bank[p.who[back]] >= 0
        afford = c.affordability(
            p.who,
            p.price,
            p.wants_loan,
            offers.instalment[p.choice],
            offers.down_payment_share[p.choice],
            savings=savings,
            fraudster=p.fraud,
        )
        drives = p.is_lead & (rng.random(n) < spec.test_drive_propensity * afford)
        self.counts.test_drives = np.bincount(p.channel[drives], minlength=len(Channel)).astype(
            float
        )
        # One number per prospect; the propensity is read for those who test-drove only.
        chance = rng.random(n)
        drove = drives.nonzero()[0]
        decides = back.copy()
        decides[drove] |= chance[drove] < c.propensity[p.who[drove]] * factor
        home.append(p.who[~decides & p.from_calendar])
        return p.take(decides.nonzero()[0])

    def _borrow_weight(self, who: np.ndarray, market: _MarketView) -> np.ndarray:
        """Chance each consumer would finance a car at the market's mean price."""
        c = self.consumers
        certain = _certain_borrowers(c.fraudster[who], c.savings[who], market)
        return np.where(certain, 1.0, c.spec.loans.loan_preference)

    def _attribute_app_sales(self, got: Prospects, financing: Financing) -> None:
        """Split the bank app's sales by what their buyers would have done without the app.

        Every app lead was in the market (a calendar trip within ``reach_ahead_days``). Without
        the app it would have shopped through its own channel at that trip: the expected
        purchase there (lead rate × test drive × affordability × propensity × the chance its
        financing goes through) is a sale taken from the other channels if it would have
        chosen the same automaker, and from the other automakers otherwise.
        """
        app = got.channel == Channel.BANK_APP
        if not app.any():
            return
        c, spec, market, offers = self.consumers, self.consumers.spec, self._market, self.offers
        who, wants_loan = got.who[app], got.wants_loan[app]
        channels = spec.channels
        own = c.channel[who]
        lead_rate = np.array([channels.walk_in.lead_rate, channels.online.lead_rate])[own]
        shares = logit_shares(
            offers,
            spec,
            market.price,
            market.availability,
            market.open_for_sale,
            self._borrow_weight(who, market),
        )
        passes = self.pipeline.pass_chance(
            c.risk[who].astype(float), c.fraud_propensity[who].astype(float)
        )
        chance = np.zeros_like(shares)
        for k in range(market.price.size):
            price = np.full(who.size, market.price[k])
            afford = c.affordability(
                who, price, wants_loan, offers.instalment[k], offers.down_payment_share[k]
            )
            financed = np.where(wants_loan, passes * offers.expected_booked[k], 1.0)
            chance[:, k] = afford * financed
        base = lead_rate * spec.test_drive_propensity * c.propensity[who]
        would_buy = base[:, None] * shares * chance
        same = would_buy[np.arange(who.size), got.choice[app]]
        self.counts.app_from_channels += float(same.sum())
        self.counts.app_from_automakers += float(would_buy.sum() - same.sum())


@dataclass
class _MarketView:
    """What shoppers see of the automakers this step."""

    price: np.ndarray
    availability: np.ndarray
    open_for_sale: np.ndarray


def _certain_borrowers(fraud: np.ndarray, savings: np.ndarray, market: _MarketView) -> np.ndarray:
    """Which consumers (fraudsters, and their savings) would surely finance a car.

    Fraudsters always borrow; so does whoever cannot pay the market's mean price in cash.
    """
    mean_price = float(market.price[market.open_for_sale].mean())
    return fraud | (savings < mean_price)


def _ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``; NaN (undefined) when there is nothing to divide by.

    A rate of nothing is not zero: a step without leads has no conversion rate, and
    writing 0 would read as "no lead bought" (docs/metrics.md, "Undefined rates").
    """
    return float(numerator / denominator) if denominator > 0 else math.nan


def mean_of(values: np.ndarray) -> float:
    """``float(values.mean())`` of a non-empty float array, without its overhead.

    Its sum over its size, as ``np.mean`` computes it: the same value to the bit.
    """
    return float(values.sum()) / values.size


def _median(values: np.ndarray) -> float:
    """``np.median`` of a few floats (NaN if there are none), without its overhead.

    The middle value, or the mean of the middle two, of the sorted values: what
    ``np.median`` computes, to the bit; NaN if any value is NaN (sorted last), as there.
    """
    if values.size == 0:
        return float("nan")
    ordered = np.sort(values).tolist()
    middle = len(ordered) // 2
    if ordered[-1] != ordered[-1]:  # NaN
        return float("nan")
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2.0


def consumer_metrics(market: ConsumerMarket, banks: Banks) -> dict[str, float]:
    """The consumer columns of a step's row of the time series (see docs/metrics.md)."""
    counts, loans, decided = market.counts, market.loans, market.counts.decided
    minutes = market.all_decision_minutes[-1]  # this step's, joined by `deliver`
    applications = float(decided.applications.sum())
    app_sales = float(counts.sales[Channel.BANK_APP])
    row: dict[str, float] = {
        "traffic": float(counts.traffic.sum()),
        "leads": float(counts.leads.sum()),
        "test_drives": float(counts.test_drives.sum()),
        "loan_applications": applications,
        "loan_approvals": float(decided.approvals.sum()),
        "automated_decision_share": _ratio(decided.automatic, applications),
        "median_decision_minutes": _median(minutes),
        "conversion_rate": _ratio(counts.sales.sum(), counts.leads.sum()),
        "test_drive_rate": _ratio(counts.test_drives.sum(), counts.leads.sum()),
        "consumer_loans_active": loans.active_at_start,
        "consumer_loan_defaults": loans.defaults_now,
        "consumer_default_rate": _ratio(loans.defaults_now, loans.active_at_start),
        "consumer_npl_ratio": banks.npl_ratio(Instrument.CONSUMER_LOAN),
        "consumer_loan_exposure": float(banks.exposure[Instrument.CONSUMER_LOAN].sum()),
        "car_loan_apr": mean_of(market.offers.apr),
        "fraud_losses": loans.fraud_losses_now,
        "bank_app_sales_from_channels": counts.app_from_channels,
        "bank_app_sales_from_automakers": counts.app_from_automakers,
        "bank_app_incremental_sales": app_sales
        - counts.app_from_channels
        - counts.app_from_automakers,
    }
    # Per channel, from Python lists (the same values; far fewer NumPy scalar reads).
    traffic, leads, drives = (
        counts.traffic.tolist(),
        counts.leads.tolist(),
        counts.test_drives.tolist(),
    )
    asked, approved, sales = (
        decided.applications.tolist(),
        decided.approvals.tolist(),
        counts.sales.tolist(),
    )
    for channel, name in enumerate(CHANNEL_NAMES):
        row[f"traffic_{name}"] = float(traffic[channel])
        row[f"leads_{name}"] = float(leads[channel])
        row[f"test_drives_{name}"] = float(drives[channel])
        row[f"loan_applications_{name}"] = float(asked[channel])
        row[f"loan_approvals_{name}"] = float(approved[channel])
        row[f"sales_units_{name}"] = float(sales[channel])
        row[f"conversion_rate_{name}"] = _ratio(sales[channel], leads[channel])
        row[f"test_drive_rate_{name}"] = _ratio(drives[channel], leads[channel])
    total_sales = float(counts.sales_by_maker.sum())
    for maker, units in enumerate(counts.sales_by_maker.tolist()):
        row[f"sales_units_maker{maker}"] = units
        row[f"market_share_maker{maker}"] = _ratio(units, total_sales)
    return row


def consumer_summary(timeseries: Any, market: ConsumerMarket) -> dict[str, Any]:
    """Headline consumer figures of a run (see docs/metrics.md)."""
    total = timeseries.sum()
    minutes = np.concatenate(market.all_decision_minutes or [np.zeros(0)])
    # Applications decided automatically, step by step; a step without applications (its
    # share undefined, NaN) decided none, and the sum skips it.
    automatic = timeseries["automated_decision_share"] * timeseries["loan_applications"]
    summary: dict[str, Any] = {
        "leads": float(total["leads"]),
        "test_drives": float(total["test_drives"]),
        "loan_applications": float(total["loan_applications"]),
        "loan_approvals": float(total["loan_approvals"]),
        "loan_approval_rate": _ratio(total["loan_approvals"], total["loan_applications"]),
        "automated_decision_share": _ratio(
            float(automatic.sum(skipna=True)), total["loan_applications"]
        ),
        "median_decision_minutes": float(np.median(minutes)) if minutes.size else float("nan"),
        "conversion_rate": _ratio(total["sales_units"], total["leads"]),
        "consumer_loans_booked": market.loans_booked,
        "consumer_loan_defaults": float(total["consumer_loan_defaults"]),
        "booked_loan_default_share": _ratio(total["consumer_loan_defaults"], market.loans_booked),
        "fraud_losses": float(total["fraud_losses"]),
        "consumer_npl_ratio_final": float(timeseries["consumer_npl_ratio"].iloc[-1]),
        "consumer_npl_ratio_mean": float(timeseries["consumer_npl_ratio"].mean()),
        "bank_app_sales": float(total["sales_units_bank_app"]),
        "bank_app_sales_from_channels": float(total["bank_app_sales_from_channels"]),
        "bank_app_sales_from_automakers": float(total["bank_app_sales_from_automakers"]),
        "bank_app_incremental_sales": float(total["bank_app_incremental_sales"]),
    }
    for name in CHANNEL_NAMES:
        summary[f"conversion_rate_{name}"] = _ratio(
            total[f"sales_units_{name}"], total[f"leads_{name}"]
        )
    makers = [column for column in timeseries.columns if column.startswith("sales_units_maker")]
    all_sales = float(total[makers].sum()) if makers else 0.0
    for column in makers:
        maker = column.removeprefix("sales_units_maker")
        summary[f"market_share_maker{maker}"] = _ratio(float(total[column]), all_sales)
    summary.update(market.desk.check_rates())
    return summary
