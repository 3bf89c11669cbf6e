"""Credit applications and approval: buyers who borrow apply, banks decide.

A borrower applies to its automaker's partner bank if it has one (bank-app leads to the app's
bank; otherwise a bank at random) and is decided by the approval stack that bank runs for that
automaker's buyers (`autofin.world.approval`). The bank declines an instalment above
``max_payment_to_income`` and loans beyond its lending capacity. A rejected applicant pays cash
if it can, else may try another bank (its wait keeps running); an approved one still buys with
the booking curve's chance for its wait. Pre-qualified bank-app leads were decided before they
shopped. The loan's fate is drawn at application, but only the tally of the checks' accuracy
reads it; the checks see latent traits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from autofin.scenario.schema import ConsumerSpec
from autofin.world.approval import MINUTES_PER_DAY, Applicants, ApprovalPipeline, booked_share
from autofin.world.auto_loans import ConsumerLoanBook, annuity_factor
from autofin.world.banks import Banks
from autofin.world.channels import Prospects
from autofin.world.choice import AutomakerOffers
from autofin.world.consumers import Channel, Consumers
from autofin.world.ledger import Ledger

if TYPE_CHECKING:
    from autofin.world.records import LoanLog


@dataclass
class Financing:
    """Each buyer's loan: bank, principal, fate, APR, whether it was booked, the wait."""

    bank: np.ndarray
    amount: np.ndarray
    default_month: np.ndarray
    apr: np.ndarray
    booked: np.ndarray
    waited: np.ndarray

    def take(self, rows: np.ndarray) -> Financing:
        """The given rows only."""
        return Financing(
            self.bank[rows],
            self.amount[rows],
            self.default_month[rows],
            self.apr[rows],
            self.booked[rows],
            self.waited[rows],
        )


@dataclass
class Decided:
    """Decided applications of one step, per channel, and their waits."""

    applications: np.ndarray
    approvals: np.ndarray
    automatic: int
    minutes: list[np.ndarray]

    @classmethod
    def none(cls) -> Decided:
        """Nothing decided yet."""
        return cls(np.zeros(len(Channel)), np.zeros(len(Channel)), 0, [])

    def add(
        self, channel: np.ndarray, approved: np.ndarray, minutes: np.ndarray, automatic: np.ndarray
    ) -> None:
        """Count decided applications."""
        self.applications += np.bincount(channel, minlength=len(Channel))
        self.approvals += np.bincount(channel[approved], minlength=len(Channel))
        self.automatic += int(automatic.sum())
        self.minutes.append(minutes)


class LoanDesk:
    """The banks' car-loan desks: approval stacks, review queues and the car-loan book.

    Args:
        consumers: The population.
        offers: What each automaker offers (partner banks, stacks, loan terms).
        n_banks: Number of banks.
        steps: Steps in the horizon.
        step_days: Days per step.
    """

    def __init__(
        self,
        consumers: Consumers,
        offers: AutomakerOffers,
        n_banks: int,
        steps: int,
        step_days: int,
    ) -> None:
        spec: ConsumerSpec = consumers.spec
        self.consumers = consumers
        self.pipelines = [ApprovalPipeline(stack, n_banks) for stack in offers.approvals]
        self.loans = ConsumerLoanBook(spec.loans, n_banks, steps, step_days)
        self.n_banks = n_banks
        self.step_days = step_days
        self.decision_log: LoanLog | None = None

    @property
    def pipeline(self) -> ApprovalPipeline:
        """The common approval stack (every bank's, for automakers without their own)."""
        return self.pipelines[0]

    def expected_booked(self, offers: AutomakerOffers) -> np.ndarray:
        """Booking-curve value of each automaker's typical decision, before any is made.

        From a sample of the population: the chance that no automatic check is inconclusive
        (errors taken as independent) gives the automatic share; referred applications wait
        for a review and half a working day.
        """
        c = self.consumers
        sample = np.arange(min(c.population, 5_000))
        value = []
        for pipeline in self.pipelines:
            automatic = pipeline.automatic_share(
                c.risk[sample].astype(float), c.fraud_propensity[sample].astype(float)
            )
            waits = pipeline.automatic_minutes + np.array(
                [0.0, pipeline.review_minutes + MINUTES_PER_DAY / 2]
            )
            booked = booked_share(waits, pipeline.spec.booking)
            value.append(automatic * booked[0] + (1 - automatic) * booked[1])
        return np.array(value)[offers.pipeline]

    def apply(
        self,
        step: int,
        buyers: Prospects,
        offers: AutomakerOffers,
        banks: Banks,
        ledger: Ledger,
        decided: Decided,
        rng: np.random.Generator,
        cost: np.ndarray,
    ) -> Financing:
        """Borrowers' loans: lenders and prices, fates, pre-qualification, applications, decisions.

        ``cost`` is each bank's cost of a car loan this step (`Banks.car_loan_cost`).

        Rejected borrowers who can pay cash switch to cash (``buyers.wants_loan`` is cleared).
        """
        c, spec, b = self.consumers, self.consumers.spec, buyers
        n = b.who.size
        asking = b.wants_loan & b.is_lead
        back = (~b.is_lead).nonzero()[0]
        # A buyer without a partner bank applies to a bank still lending, chosen at random.
        lending = banks.lending()
        bank = lending[rng.integers(0, lending.size, size=n)]
        if offers.partner_bank.max() >= 0:  # (with no partnership, nobody has a partner)
            partner = offers.partner_bank[b.choice]
            bank = np.where(partner >= 0, partner, bank)
        if spec.channels.bank_app.monthly_traffic > 0:  # (app leads come from its views only)
            bank[b.channel == Channel.BANK_APP] = spec.channels.bank_app.partner_bank
        if back.size:
            bank[back] = np.maximum(c.held_bank[b.who[back]], 0)
        # The partner bank runs the automaker's own stack for its buyers.
        single_stack = len(self.pipelines) == 1
        if single_stack:
            stack = np.zeros(n, dtype=np.int64)
        else:
            stack = np.where(bank == offers.partner_bank[b.choice], offers.pipeline[b.choice], 0)
        # Each loan is priced by the bank it goes to; the instalment it sets is what the
        # bank's limit checks and what the borrower's fate depends on.
        apr = offers.loan_rates(cost, bank, b.choice, spec.loans.margin)
        amount = (1.0 - offers.down_payment_share[b.choice]) * b.price
        months = spec.loans.term_months
        burden = payment_to_income(amount, apr, months, c.income[b.who])
        within_limit = burden <= spec.loans.max_payment_to_income
        risk = c.risk[b.who].astype(float)
        default_month = np.zeros(n, dtype=np.int64)
        default_month[asking] = self.loans.draw_fates(
            risk[asking], burden[asking], b.fraud[asking], rng
        )
        if back.size:
            default_month[back] = c.held_fate[b.who[back]]
        applicants = Applicants(
            risk,
            c.fraud_propensity[b.who].astype(float),
            (default_month > 0) & ~b.fraud,
            b.fraud,
        )

        # A loan is settled for returning buyers and, if it pre-qualifies, for app leads.
        settled = ~b.is_lead & b.wants_loan
        if spec.channels.bank_app.prequalified:
            app = asking & (b.channel == Channel.BANK_APP)
            for k in np.unique(stack[app]).tolist():
                rows = (app & (stack == k)).nonzero()[0]
                passed = self.pipelines[k].prequalify(applicants.take(rows), rng)
                settled[rows] = within_limit[rows] & passed

        capacity = banks.capacity(ledger)
        start = ((step - 1) + rng.random(n)) * self.step_days * MINUTES_PER_DAY
        decided_at = start.copy()
        if settled.any():
            approved = _within_capacity(bank, amount, b.wants_loan & settled, capacity)
            # Pre-qualified leads' applications were decided, automatically, before they
            # shopped.
            prequalified = (approved & b.is_lead).nonzero()[0]
            decided.add(
                b.channel[prequalified],
                np.ones(prequalified.size, dtype=bool),
                np.zeros(prequalified.size),
                np.ones(prequalified.size, dtype=bool),
            )
        else:
            approved = np.zeros(n, dtype=bool)  # nothing settled: nothing fits or is counted
        pending = b.wants_loan & ~approved
        for _attempt in range(2):
            rows = pending.nonzero()[0]
            if rows.size == 0:
                break
            yes = np.zeros(n, dtype=bool)
            for k in [0] if single_stack else np.unique(stack[rows]).tolist():
                these = rows if single_stack else rows[stack[rows] == k]
                pipeline = self.pipelines[k]
                arrive = decided_at[these]
                decision = pipeline.decide(bank[these], applicants.take(these), arrive, rng)
                # The bank's limit on the instalment is an automatic, conclusive rejection.
                over_limit = ~within_limit[these]
                decision.decided_at[over_limit] = arrive[over_limit] + pipeline.automatic_minutes
                yes[these] = decision.approved & ~over_limit
                decided_at[these] = decision.decided_at
                automatic = decision.automatic | over_limit
                decided.automatic += int(automatic.sum())
                decided.minutes.append(decision.decided_at - arrive)
            yes &= _within_capacity(bank, amount, yes, capacity)
            decided.applications += np.bincount(b.channel[rows], minlength=len(Channel))
            decided.approvals += np.bincount(b.channel[rows[yes[rows]]], minlength=len(Channel))
            approved |= yes
            # Rejected: pay cash if possible, else maybe try another bank, else walk away.
            rejected = pending & ~yes
            to_cash = rejected & b.cash_capable & ~b.fraud
            b.wants_loan &= ~to_cash
            pending = rejected & ~to_cash & (rng.random(n) < spec.approval.second_lender_share)
            if lending.size < 2:
                break
            shift = rng.integers(1, lending.size, size=int(pending.sum()))
            if shift.size == 0:
                continue  # nobody tries another bank (the draw above is still made)
            moving = pending.nonzero()[0]
            place = lending.searchsorted(bank[moving])
            bank[moving] = lending[(place + shift) % lending.size]
            stack[moving] = 0  # another bank runs the common stack
            # ... and prices the loan itself; its limit checks the instalment at its price.
            apr[moving] = offers.loan_rates(cost, bank[moving], b.choice[moving], spec.loans.margin)
            again = payment_to_income(amount[moving], apr[moving], months, c.income[b.who[moving]])
            within_limit[moving] = again <= spec.loans.max_payment_to_income
        # An approved applicant still buys with a chance that falls with the wait; a returning
        # buyer has already decided.
        waited = decided_at - start
        booking = booked_share(waited, spec.approval.booking)
        booked = approved & (rng.random(n) < booking)
        if back.size:
            booked |= approved & ~b.is_lead
        rows = asking.nonzero()[0]
        offers.learn_decisions(b.choice[rows], booking[rows], spec, self.step_days)
        if self.decision_log is not None:
            self.decision_log.car_loans(
                step, b.who[rows], bank[rows], amount[rows], apr[rows], waited[rows],
                approved[rows], booked[rows], default_month[rows], b.fraud[rows],
            )  # fmt: skip
        return Financing(bank, amount, default_month, apr, booked, waited)

    def check_rates(self) -> dict[str, float]:
        """Every check's measured power and false-rejection rate, as summary figures.

        Keys are ``check_{name}_{rate}`` for the common stack and
        ``check_stack{k}_{name}_{rate}`` for the k-th automaker's own stack.
        """
        figures: dict[str, float] = {}
        for k, pipeline in enumerate(self.pipelines):
            prefix = "check_" if k == 0 else f"check_stack{k}_"
            for name, rates in pipeline.rates().items():
                for rate, value in rates.items():
                    figures[f"{prefix}{name}_{rate}"] = value
        return figures


def payment_to_income(
    amount: np.ndarray, apr: np.ndarray, months: int, income: np.ndarray
) -> np.ndarray:
    """Each loan's monthly instalment at its APR over the borrower's monthly income."""
    return amount * annuity_factor(apr, months) / (income / 12.0)


def _within_capacity(
    bank: np.ndarray, amount: np.ndarray, asking: np.ndarray, capacity: np.ndarray
) -> np.ndarray:
    """Which of the ``asking`` loans fit in their bank's remaining lending capacity.

    Loans are served in row order; what fits is taken off ``capacity``.
    """
    rows = asking.nonzero()[0]
    fits = np.zeros(asking.size, dtype=bool)
    if rows.size:  # (with no loans, nothing is taken off the capacity)
        fits[rows] = Banks.fit_in_capacity(bank[rows], amount[rows], capacity) > 0
    return fits
