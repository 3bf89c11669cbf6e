"""Which automaker a lead buys from: a multinomial logit over what each automaker offers.

Every automaker offers a price, a chance the car is in stock, financing (APR, down payment and
the decision time shoppers expect from its buyers' recent decisions) and a presence in the
channels (reach). A lead picks an automaker with the logit shares of its utilities (as if it
added independent Gumbel tastes and took the best): market shares emerge from the offers and
move when an offer changes (a bank partnership, a faster approval, a stock-out).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autofin.scenario.consumer_schema import ApprovalSpec
from autofin.scenario.schema import ConsumerSpec
from autofin.world.auto_loans import annuity_factor


@dataclass
class AutomakerOffers:
    """What each automaker offers buyers, one entry per automaker row (0..n-1).

    Attributes:
        partner_bank: The bank that finances its buyers first (-1: a bank at random).
        pipeline: Index into ``approvals`` of the stack its partner bank runs for its buyers
            (0: the common stack).
        margin: Margin its partner bank charges its buyers' loans (the common margin for
            automakers without a partner or an offer of their own).
        apr: APR shoppers expect of its financing: its partner bank's price, or the banks'
            average price (`post_rates`, every step).
        down_payment_share: Down payment of its financing, as a share of the price.
        instalment: Monthly instalment per unit of loan at ``apr``.
        reach: Relative presence in dealer and online channels.
        expected_booked: Booking-curve value of the decision time shoppers expect from it.
        approvals: The approval stacks: the common one, then those of the overrides.
    """

    partner_bank: np.ndarray
    pipeline: np.ndarray
    margin: np.ndarray
    apr: np.ndarray
    down_payment_share: np.ndarray
    instalment: np.ndarray
    reach: np.ndarray
    expected_booked: np.ndarray
    approvals: list[ApprovalSpec]

    @classmethod
    def from_spec(cls, spec: ConsumerSpec, n_automakers: int) -> AutomakerOffers:
        """The common offer for every automaker, with the scenario's overrides applied.

        APRs are posted each step from the banks' prices (`post_rates`); until then they are 0.
        """
        loans = spec.loans
        partner = np.full(n_automakers, -1, dtype=np.int64)
        pipeline = np.zeros(n_automakers, dtype=np.int64)
        margin = np.full(n_automakers, loans.margin)
        down = np.full(n_automakers, loans.down_payment_share)
        reach = np.ones(n_automakers)
        approvals = [spec.approval]
        for k, offer in enumerate(spec.automaker_offers):
            if offer.automaker >= n_automakers:
                raise ValueError(
                    f"consumers.automaker_offers.{k}.automaker is {offer.automaker}, but there "
                    f"is no automaker {offer.automaker}: the network has {n_automakers} "
                    "(numbered from 0)"
                )
            row = offer.automaker
            reach[row] = offer.reach
            if offer.partner_bank is not None:
                partner[row] = offer.partner_bank
            if offer.approval is not None:
                pipeline[row] = len(approvals)
                approvals.append(offer.approval)
            if offer.margin is not None:
                margin[row] = offer.margin
            if offer.down_payment_share is not None:
                down[row] = offer.down_payment_share
        return cls(
            partner,
            pipeline,
            margin,
            np.zeros(n_automakers),
            down,
            np.asarray(annuity_factor(np.zeros(n_automakers), loans.term_months)),
            reach,
            np.ones(n_automakers),
            approvals,
        )

    def loan_rates(
        self, cost: np.ndarray, bank: np.ndarray, maker: np.ndarray, common_margin: float
    ) -> np.ndarray:
        """APR of loans from ``bank`` to buyers of ``maker``: the bank's cost plus its margin.

        A partner bank charges its automaker's buyers that automaker's margin; any other
        loan carries the common margin. Never below 0.

        Args:
            cost: Each bank's cost of a car loan (`Banks.car_loan_cost`).
            bank: The lender of each loan.
            maker: The automaker (row) each loan's buyer chose.
            common_margin: The margin of loans outside a partnership (`loans.margin`).
        """
        if self.partner_bank.max() < 0:  # no partnership: every loan at the common margin
            return np.maximum(cost[bank] + common_margin, 0.0)
        partnered = bank == self.partner_bank[maker]
        margin = np.where(partnered, self.margin[maker], common_margin)
        return np.maximum(cost[bank] + margin, 0.0)

    def post_rates(
        self, cost: np.ndarray, lending: np.ndarray, common_margin: float, months: int
    ) -> None:
        """Post each automaker's APR for this step's shoppers: what they expect to pay.

        Buyers of an automaker with a partner bank borrow there; the others from a bank at
        random, so they expect the average price of the banks still lending.

        Args:
            cost: Each bank's cost of a car loan (`Banks.car_loan_cost`).
            lending: The banks still lending (`Banks.lending`).
            common_margin: The margin of loans outside a partnership (`loans.margin`).
            months: Loan term in months.
        """
        average = float(cost[lending].sum()) / lending.size  # `mean`, without its overhead
        expected = max(average + common_margin, 0.0)
        if self.partner_bank.max() < 0:  # no partnership: every automaker's buyers expect it
            self.apr = np.full(self.partner_bank.size, expected)
        else:
            makers = np.arange(self.partner_bank.size)
            own = self.loan_rates(cost, np.maximum(self.partner_bank, 0), makers, common_margin)
            self.apr = np.where(self.partner_bank >= 0, own, expected)
        self.instalment = np.asarray(annuity_factor(self.apr, months))

    def learn_decisions(
        self, maker: np.ndarray, booked: np.ndarray, spec: ConsumerSpec, step_days: int
    ) -> None:
        """Shoppers' expected decision time follows the decisions each automaker's buyers got.

        ``booked`` is each decision's value on the booking curve (`booked_share` of its wait).
        """
        if maker.size == 0:
            return
        n = self.expected_booked.size
        count = np.bincount(maker, minlength=n)
        value = np.bincount(maker, booked, minlength=n)
        seen = count > 0
        weight = min(1.0, step_days / spec.choice.memory_days)
        if seen.all():  # (every automaker had decisions: the same numbers, fewer calls)
            self.expected_booked += weight * (value / count - self.expected_booked)
            return
        mean = value[seen] / count[seen]
        self.expected_booked[seen] += weight * (mean - self.expected_booked[seen])


def choose_automakers(
    offers: AutomakerOffers,
    spec: ConsumerSpec,
    price: np.ndarray,
    availability: np.ndarray,
    open_for_sale: np.ndarray,
    borrow_weight: np.ndarray,
    rng: np.random.Generator,
    kind: np.ndarray | None = None,
) -> np.ndarray:
    """Each lead's automaker (row into the automakers), by multinomial logit.

    Args:
        offers: What each automaker offers.
        spec: The consumer settings (`choice` holds the weights).
        price: Price of each automaker's vehicle.
        availability: Stock over a step's expected demand, capped at 1, per automaker.
        open_for_sale: Automakers still in business (at least one).
        borrow_weight: The chance a lead would finance the car (weights the financing terms
            in its utility): per lead, or with ``kind`` per kind of lead.
        rng: The shopping stream.
        kind: Each lead's kind (an index into ``borrow_weight``) when leads come in a few
            kinds; None: one weight per lead.
    """
    n = borrow_weight.size if kind is None else kind.size
    makers = price.size
    if makers == 1 or n == 0:
        return np.zeros(n, dtype=np.int64)
    # One uniform per lead against the cumulated logit odds of its kind (automakers × kinds):
    # the same choice in distribution as the best of Gumbel tastes, without a draw per
    # automaker. Leads of a kind share their odds, so they are worked out once per kind.
    odds = _utility(offers, spec, price, availability, open_for_sale, borrow_weight)
    odds -= odds.max(axis=0)
    np.exp(odds, out=odds)
    odds = odds.cumsum(axis=0)  # (added row by row, as a running sum)
    if kind is None:
        draw = rng.random(n) * odds[-1]
        return (odds <= draw).sum(axis=0)
    draw = rng.random(n) * odds[-1, kind]
    # The automakers whose cumulated odds are at most the draw, counted kind by kind.
    choice = np.empty(n, dtype=np.int64)
    for k in range(borrow_weight.size):
        rows = (kind == k).nonzero()[0]
        choice[rows] = (odds[:, k, None] <= draw[rows]).sum(axis=0)
    return choice


def logit_shares(
    offers: AutomakerOffers,
    spec: ConsumerSpec,
    price: np.ndarray,
    availability: np.ndarray,
    open_for_sale: np.ndarray,
    borrow_weight: np.ndarray,
) -> np.ndarray:
    """Each lead's chance of choosing each automaker (leads × automakers), without drawing."""
    utility = _utility(offers, spec, price, availability, open_for_sale, borrow_weight).T
    utility -= utility.max(axis=1, keepdims=True)
    odds = np.exp(utility)
    return odds / odds.sum(axis=1, keepdims=True)


def _utility(
    offers: AutomakerOffers,
    spec: ConsumerSpec,
    price: np.ndarray,
    availability: np.ndarray,
    open_for_sale: np.ndarray,
    borrow_weight: np.ndarray,
) -> np.ndarray:
    """The systematic utility of every automaker for every lead (automakers × leads)."""
    weights = spec.choice
    mean_price = float(price[open_for_sale].mean())
    common = (
        -weights.price_weight * np.log(price / mean_price)
        + weights.stock_weight * availability
        + np.log(offers.reach)
    )
    finance = (
        -weights.apr_weight * offers.apr
        - weights.down_payment_weight * offers.down_payment_share
        + weights.decision_weight * offers.expected_booked
    )
    utility = np.multiply.outer(finance, borrow_weight)
    utility += common[:, None]
    utility[~open_for_sale] = -np.inf
    return utility
