"""Banks as rows: capital, funding, scoring, pricing, the loan book and losses.

A bank scores an applicant with a noisy estimate of its probability of default from data it
can observe (leverage, cash-flow margin, how often it ran short of cash; `world/scoring.py`,
`Banks.scoring`), declines above a cut-off, and prices a loan as funding cost + expected loss +
margin. Its own funding cost falls
as its capital ratio rises, so better-capitalised banks lend more cheaply (Delli Gatti et al.
2010). A bank below its minimum capital ratio makes no new loans.

Balance sheet of bank b: reserves (its ledger cash) + performing loans + non-performing loans
− provisions + other assets − deposits − facility = capital. "Other assets" stand for the bank's
business outside the simulated ecosystem: constant, performing, and funded by deposits. A bank
whose reserves would go negative draws on a central-bank facility at its funding rate plus
`facility_spread` (so the cost rises as its capital falls) and repays it from reserves at the
end of the step: reserves are never negative. A bank whose capital is exhausted (zero or less)
fails: it is resolved, which here means it makes no new loan or commitment for the rest of the
run while its existing claims run off and are collected (the resolution entity is its row).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING

import numpy as np

from autofin.scenario.schema import BankSpec
from autofin.world.firms import Firms, steps_of
from autofin.world.ledger import Flow, Ledger
from autofin.world.obligations import DueBook
from autofin.world.relationships import draw_relationship_banks, per_part, pro_rata
from autofin.world.scoring import Scoring

NO_CLAIMS = 1e-10
"""Claims of a bank at or below this share of its opening capital (and at least 1e-6 in
currency) count as none: what repaid books leave is rounding (3e-9 in the baseline, whose
banks open with 18 M; 3e-7 at 10,000 suppliers), and a ratio of two such remainders (an NPL
ratio of -19% in a world whose banks all failed) is noise, not a figure."""

if TYPE_CHECKING:
    from autofin.world.records import LoanLog


class Instrument(IntEnum):
    """What a bank's claim is: each has its own row in the exposure and NPL matrices."""

    BANK_LOAN = 0
    ORDER_FINANCING = 1
    INVENTORY_FINANCING = 2
    FACTORING = 3
    REVERSE_FACTORING = 4
    SYNDICATED_LOAN = 5
    CONSUMER_LOAN = 6
    TERM_LOAN = 7


INSTRUMENT_NAMES = [instrument.name.lower() for instrument in Instrument]

CAR_LOAN_CHARGE_OFF_DAYS = 120
"""A car loan this many days past due is charged off (closed-end retail credit, US FFIEC
Uniform Retail Credit Classification and Account Management Policy, 65 FR 36903, 2000)."""

NON_PERFORMING_DAYS_PAST_DUE = 90
"""A claim this many days past due is non-performing (EBA ITS on supervisory reporting of
forbearance and non-performing exposures, EBA/ITS/2013/03; the same 90 days as the US FFIEC
Uniform Retail Credit Classification policy's substandard class)."""


SUPPLY_CHAIN_FINANCE = [
    Instrument.ORDER_FINANCING,
    Instrument.INVENTORY_FINANCING,
    Instrument.FACTORING,
    Instrument.REVERSE_FACTORING,
]
"""The supply-chain-finance instruments (for their NPL ratio as a book)."""


@dataclass
class LendingRound:
    """What happened to the loan applications of one step, and all new financing by instrument.

    Attributes:
        volume_by_bank: New working-capital loans per bank.
        interest_weighted_by_bank: The same, weighted by their annual rate.
        volume_by_instrument: New money advanced per instrument (loans, advances, prices paid
            for invoices, draws).
        cost_weighted_by_instrument: The same, weighted by its annual cost to the borrower.
        applications: Loan applications.
        approvals: Loans granted.
    """

    volume_by_bank: np.ndarray
    interest_weighted_by_bank: np.ndarray
    volume_by_instrument: np.ndarray
    cost_weighted_by_instrument: np.ndarray
    applications: int = 0
    approvals: int = 0

    @classmethod
    def empty(cls, banks: int) -> LendingRound:
        """A round with no application yet."""
        return cls(
            np.zeros(banks), np.zeros(banks), np.zeros(len(Instrument)), np.zeros(len(Instrument))
        )

    def record(self, instrument: Instrument, amount: np.ndarray, rate: np.ndarray) -> None:
        """Add new financing of one instrument at annual cost ``rate``."""
        amount = np.asarray(amount, dtype=float)
        self.volume_by_instrument[instrument] += float(amount.sum())
        self.cost_weighted_by_instrument[instrument] += float((amount * rate).sum())

    @property
    def volume(self) -> float:
        """New lending, all banks."""
        return float(self.volume_by_bank.sum())

    @property
    def interest_weighted(self) -> float:
        """New lending weighted by its annual rate, all banks."""
        return float(self.interest_weighted_by_bank.sum())


@dataclass(frozen=True)
class Workout:
    """Recoveries the estates of firms that defaulted in one step pay the banks when it ends.

    Attributes:
        due_step: The step the workout ends.
        debtor: Defaulted firm of each recovery (its closed account holds the cash meanwhile).
        bank: Bank owed each recovery.
        instrument: `Instrument` of each recovery.
        amount: Cash to be paid.
        flow: The ledger flow of the payment.
    """

    due_step: int
    debtor: np.ndarray
    bank: np.ndarray
    instrument: np.ndarray
    amount: np.ndarray
    flow: Flow = Flow.LIQUIDATION_PAYOUT


@dataclass
class Banks:
    """State of all banks, one row per bank, and the loan book of every firm.

    Every firm's committed line is shared by its relationship banks (``world/relationships.py``):
    the ``part_*`` arrays have one row per part (row 0 the main bank's) and one column per firm:
    its bank, share, contractual limit, limit approved at its last review, limit available
    now, whether it is frozen, its rate, what is drawn on it, and the interest and fees owed
    to it; its bank's scored PD of the firm is `scoring.part_pd` (`Scoring`, the banks'
    scoring and learning). The loan book of draws and their due dates (`principal_book`,
    `interest_book`) is the firm's; every payment on it is shared between the parts
    (`pro_rata`).
    """

    spec: BankSpec
    accounts: np.ndarray
    deposits: np.ndarray
    other_assets: np.ndarray
    exposure: np.ndarray
    npl: np.ndarray
    provisions: np.ndarray
    opening_capital: np.ndarray
    principal_book: DueBook
    interest_book: DueBook
    write_off_book: DueBook
    term_steps: int
    workout_steps: int
    step_years: float
    interest_income: np.ndarray
    funding_costs: np.ndarray
    losses_by_instrument: np.ndarray
    lending_round: LendingRound
    scoring: Scoring
    quoted_funding: np.ndarray | None = None
    decision_log: LoanLog | None = None
    facility: np.ndarray = field(default_factory=lambda: np.zeros(0))
    facility_draws: np.ndarray = field(default_factory=lambda: np.zeros(0))
    failed: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    failed_step: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    ledger: Ledger | None = None
    part_bank: np.ndarray = field(default_factory=lambda: np.zeros((1, 0), dtype=np.int64))
    part_share: np.ndarray = field(default_factory=lambda: np.ones(1))
    part_contract: np.ndarray = field(default_factory=lambda: np.zeros((1, 0)))
    part_limit: np.ndarray = field(default_factory=lambda: np.zeros((1, 0)))
    part_approved: np.ndarray = field(default_factory=lambda: np.zeros((1, 0)))
    part_frozen: np.ndarray = field(default_factory=lambda: np.zeros((1, 0), dtype=bool))
    part_rate: np.ndarray = field(default_factory=lambda: np.zeros((1, 0)))
    part_drawn: np.ndarray = field(default_factory=lambda: np.zeros((1, 0)))
    part_interest: np.ndarray = field(default_factory=lambda: np.zeros((1, 0)))
    line_covenant: np.ndarray = field(default_factory=lambda: np.zeros(0))
    kept_headroom: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """Per firm, the undrawn credit its lenders keep from dividends: what its line left
    undrawn at the opening, plus the raises for new output (`finance_new_output`)."""
    review_steps: int = 13
    cover_reviews: int = 4
    """Scheduled reviews in a row with interest cover below `resize_min_interest_cover` after
    which a renewal no longer raises a line (`resize_cover_days` over `review_days`, rounded,
    at least one; the review at hand counts)."""
    low_cover_reviews: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """Per firm, the scheduled reviews in a row at which its interest cover was below
    `resize_min_interest_cover`."""
    recoveries: np.ndarray = field(default_factory=lambda: np.zeros((len(Instrument), 0)))
    workouts: list[Workout] = field(default_factory=list)
    past_due: np.ndarray = field(default_factory=lambda: np.zeros(0))
    expected_loss: np.ndarray = field(default_factory=lambda: np.zeros((len(Instrument), 0)))
    provision_charges: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self) -> None:
        if self.facility.size != self.count:
            self.facility = np.zeros(self.count)
            self.facility_draws = np.zeros(self.count)
            self.failed = np.zeros(self.count, dtype=bool)
            self.failed_step = np.full(self.count, -1, dtype=np.int64)
        if self.recoveries.shape[1] != self.count:
            self.recoveries = np.zeros((len(Instrument), self.count))
            self.expected_loss = np.zeros((len(Instrument), self.count))
            self.past_due = np.zeros(self.count)
            self.provision_charges = np.zeros(self.count)

    # ------------------------------------------------------------------ liquidity
    def connect(self, ledger: Ledger) -> None:
        """Let the banks draw on the facility whenever a posting overdraws their reserves."""
        self.ledger = ledger
        ledger.guard(self.accounts, self.draw_facility)

    def draw_facility(self) -> None:
        """Borrow from the central-bank facility what brings every bank's reserves to zero."""
        ledger = self.ledger
        assert ledger is not None
        short = np.maximum(-self.reserves(ledger), 0.0)
        if short.any():
            self.facility += short
            self.facility_draws += short
            ledger.post(ledger.outside, self.accounts, short, Flow.FACILITY_DRAW)

    def settle_facility(self, ledger: Ledger) -> None:
        """Pay a step's facility interest, then repay the facility from reserves."""
        interest = self.facility * (self.funding_rate(ledger) + self.spec.facility_spread)
        interest *= self.step_years
        ledger.post(self.accounts, ledger.outside, interest, Flow.FACILITY_INTEREST)
        self.funding_costs += interest
        repay = np.minimum(self.facility, np.maximum(self.reserves(ledger), 0.0))
        self.facility -= repay
        ledger.post(self.accounts, ledger.outside, repay, Flow.FACILITY_REPAYMENT)

    def resolve_failures(self, ledger: Ledger, step: int) -> np.ndarray:
        """Banks whose capital is exhausted fail now; returns their indices."""
        failing = np.flatnonzero(~self.failed & (self.capital(ledger) <= 0.0))
        self.failed[failing] = True
        self.failed_step[failing] = step
        return failing

    def start_round(self, ledger: Ledger) -> None:
        """Begin a step's lending round and fix the funding rates it prices on.

        Banks price every claim of the step on their funding rate at its start.
        """
        self.lending_round = LendingRound.empty(self.count)
        self.quoted_funding = self.funding_rate(ledger)

    @property
    def count(self) -> int:
        """Number of banks."""
        return len(self.accounts)

    def lending(self) -> np.ndarray:
        """The banks still lending to consumers (not failed), or all of them if none is."""
        open_banks = (~self.failed).nonzero()[0]
        return open_banks if open_banks.size else np.arange(self.count)

    @property
    def relationships(self) -> int:
        """Parts of every firm's line (relationship banks, the main bank's included)."""
        return self.part_bank.shape[0]

    @property
    def line_contract(self) -> np.ndarray:
        """Each firm's contractual line limit, all parts."""
        return self.part_contract.sum(axis=0)

    @property
    def line_limit(self) -> np.ndarray:
        """Each firm's current line limit, all parts."""
        return self.part_limit.sum(axis=0)

    @property
    def line_frozen(self) -> np.ndarray:
        """Firms whose every part of the line is frozen (no relationship bank renewed it)."""
        return self.part_frozen.all(axis=0)

    @property
    def line_rate(self) -> np.ndarray:
        """Each firm's annual line rate: its parts' rates, weighted by their contract limits."""
        weight = pro_rata(np.ones(self.part_rate.shape[1]), self.part_contract)
        return (weight * self.part_rate).sum(axis=0)

    @property
    def loans(self) -> np.ndarray:
        """Performing working-capital loans to firms, per bank (a view of `exposure`)."""
        return self.exposure[Instrument.BANK_LOAN]

    @property
    def credit_losses(self) -> np.ndarray:
        """Credit losses booked since the start, every instrument, per bank."""
        return self.losses_by_instrument.sum(axis=0)

    def reserves(self, ledger: Ledger) -> np.ndarray:
        """Each bank's cash."""
        return ledger.balance[self.accounts]

    def capital(self, ledger: Ledger) -> np.ndarray:
        """Each bank's capital from its balance sheet."""
        return (
            self.reserves(ledger)
            + self.ecosystem_assets()
            + self.other_assets
            - self.deposits
            - self.facility
        )

    def ecosystem_assets(self) -> np.ndarray:
        """Claims inside the simulated ecosystem (every instrument), net of provisions.

        What defaulted firms' estates will pay after the workout (`recoveries`) included;
        performing claims net of their expected-loss provisions (`expected_loss`).
        """
        return (
            self.exposure + self.npl + self.recoveries - self.provisions - self.expected_loss
        ).sum(axis=0)

    def risk_assets(self) -> np.ndarray:
        """All loans net of provisions, other business included (all weighted 100%)."""
        return self.ecosystem_assets() + self.other_assets

    def capital_ratio(self, ledger: Ledger) -> np.ndarray:
        """Capital over risk assets (infinite for a bank with no loans)."""
        ecosystem = self.ecosystem_assets()  # once for both (the same sums as the methods)
        assets = ecosystem + self.other_assets
        capital = (
            self.reserves(ledger) + ecosystem + self.other_assets - self.deposits - self.facility
        )
        # The divisor is at least 1e-12: no division by zero to silence.
        return np.where(assets > 0, capital / np.maximum(assets, 1e-12), np.inf)

    def funding_rate(self, ledger: Ledger) -> np.ndarray:
        """Annual funding cost of each bank: base rate plus a premium that falls with capital."""
        return funding_rate_at(self.spec, np.maximum(self.capital_ratio(ledger), 1e-3))

    def price(
        self,
        pd_estimate: np.ndarray,
        banks: np.ndarray,
        ledger: Ledger,
        margin: float | None = None,
        loss_given_default: float | None = None,
    ) -> np.ndarray:
        """Annual rate of a claim: funding cost + expected loss + capital charge + margin.

        The capital charge is what the capital the claim consumes costs above funding:
        ``min_capital_ratio`` × (cost of equity − funding rate).

        Args:
            pd_estimate: Probability of default of whoever carries the risk of each claim.
            banks: The bank of each claim.
            ledger: The ledger (for the banks' capital ratios).
            margin: Annual margin; the bank loan margin if omitted.
            loss_given_default: Loss given default; the banks' default if omitted.
        """
        spec = self.spec
        rates = self.funding_rate(ledger) if self.quoted_funding is None else self.quoted_funding
        lgd = spec.loss_given_default if loss_given_default is None else loss_given_default
        return claim_rate(
            spec, rates.take(banks), pd_estimate * lgd, spec.margin if margin is None else margin
        )

    def car_loan_cost(self, ledger: Ledger, expected_loss: np.ndarray) -> np.ndarray:
        """Each bank's annual rate for a car loan before its margin.

        Funding + expected loss + capital charge (`price` with no margin), on the borrowers'
        risk: ``expected_loss`` is each bank's car-loan annual loss per unit lent, net of
        recoveries, the estimate its provisions use (`ConsumerLoanBook.loss_rate`). A bank
        whose funding costs more (less capital) or whose car loans lose more quotes a dearer
        loan.
        """
        every = np.arange(self.count)
        return self.price(expected_loss, every, ledger, margin=0.0, loss_given_default=1.0)

    def capacity(self, ledger: Ledger) -> np.ndarray:
        """New claims each bank can take on and stay at its minimum capital ratio.

        A failed bank takes on nothing.
        """
        ecosystem = self.ecosystem_assets()  # once for both (the same sums as the methods)
        capital = (
            self.reserves(ledger) + ecosystem + self.other_assets - self.deposits - self.facility
        )
        room = capital / max(self.spec.min_capital_ratio, 1e-9) - (ecosystem + self.other_assets)
        return np.where(self.failed, 0.0, np.maximum(room, 0.0))

    def concentration_room(
        self, ledger: Ledger, banks: np.ndarray, exposure: np.ndarray
    ) -> np.ndarray:
        """How much more each of ``banks`` may lend to an obligor already owing ``exposure``."""
        return np.maximum(
            self.spec.concentration_limit * self.capital(ledger).take(banks) - exposure, 0.0
        )

    @staticmethod
    def fit_in_capacity(banks: np.ndarray, offer: np.ndarray, capacity: np.ndarray) -> np.ndarray:
        """Offers that fit in each bank's remaining capacity, served in order; uses it up.

        Args:
            banks: The bank of each offer.
            offer: The amounts offered.
            capacity: Remaining capacity per bank (decreased by what is kept).

        Returns:
            The offers kept (each kept whole or dropped).
        """
        totals = np.bincount(banks, offer, minlength=len(capacity))
        if _all_fit(offer, totals, capacity):
            capacity -= totals  # the same sums as the general path's, every offer kept
            return offer.copy()
        order = np.argsort(banks, kind="stable")
        sorted_bank = banks[order]
        before = np.cumsum(offer[order]) - offer[order]
        first = np.searchsorted(sorted_bank, np.arange(len(capacity)))
        used_before = before - before[first[sorted_bank]] if banks.size else before
        fits = used_before + offer[order] <= capacity[sorted_bank]
        kept = np.zeros_like(offer)
        kept[order] = np.where(fits, offer[order], 0.0)
        capacity -= np.bincount(banks, kept, minlength=len(capacity))
        return kept

    def quote(
        self,
        firms: Firms,
        ledger: Ledger,
        applicants: np.ndarray,
        amounts: np.ndarray,
        pd_estimate: np.ndarray,
        exposure: np.ndarray,
        capacity: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """What ``applicants`` may draw on their credit lines for ``amounts``, and at what rate.

        A draw needs no approval. Each part of a line is limited by its undrawn limit (nothing
        on a frozen part or a failed bank's), by what keeps the borrower within its bank's
        concentration limit (the main bank is owed everything the borrower owes the banks but
        the other parts) and by what keeps the bank at or above its minimum capital ratio
        (draws are served in order and use up ``capacity``; a part is kept whole or dropped).
        A draw is shared between the parts in proportion to what each can lend, and bears
        their rates, set at their last reviews.

        Args:
            firms: All firms.
            ledger: The ledger.
            applicants: Firm indices.
            amounts: Amount each applicant asks for.
            pd_estimate: Scored probability of default of each applicant.
            exposure: What each applicant already owes the banks, all instruments.
            capacity: Remaining lending capacity per bank (decreased by the offers).

        Returns:
            The amount offered to each applicant (0 when declined), its annual rate, and its
            parts (parts × applicants).
        """
        # Columns are taken with `take`: numpy's two-dimensional fancy indexing costs
        # several times more (here and below).
        bank = self.part_bank.take(applicants, axis=1)
        headroom = self._headroom(ledger, applicants, bank, exposure)
        parts = pro_rata(np.minimum(amounts, headroom.sum(axis=0)), headroom)
        parts = self.fit_in_capacity(bank.ravel(), parts.ravel(), capacity).reshape(bank.shape)
        offer = parts.sum(axis=0)
        if self.relationships == 1 and np.isfinite(offer).all():
            # One part of finite size: its weight is 1, so the rate is the part's, summed
            # from +0 as the sum over the parts does.
            rate = self.part_rate[0, applicants] + 0.0
        else:
            weight = pro_rata(np.ones(applicants.size), parts)
            rate = (weight * self.part_rate.take(applicants, axis=1)).sum(axis=0)
        return offer, rate, parts

    def _headroom(
        self, ledger: Ledger, applicants: np.ndarray, bank: np.ndarray, exposure: np.ndarray
    ) -> np.ndarray:
        """Each part's undrawn limit within its bank's concentration limit (parts × applicants).

        The main bank is owed everything the borrower owes the banks but the other parts.
        """
        if self.relationships == 1:
            owed = exposure[None, :]  # less the other parts' draws: less an empty sum, +0
        else:
            owed = np.empty(bank.shape)
            owed[1:] = self.part_drawn[1:].take(applicants, axis=1)
            owed[0] = exposure - owed[1:].sum(axis=0)
        return np.minimum(
            self.concentration_room(ledger, bank, owed), self.part_undrawn(applicants, bank)
        )

    def drawable(
        self, ledger: Ledger, applicants: np.ndarray, exposure: np.ndarray, capacity: np.ndarray
    ) -> np.ndarray:
        """What each applicant could still draw on its line now, as `quote` would allow.

        Each part's undrawn limit, within its bank's concentration limit and its bank's
        remaining ``capacity`` (each part on its own: an upper bound when several draw).

        Args:
            ledger: The ledger.
            applicants: Firm indices.
            exposure: What each applicant owes the banks, all instruments.
            capacity: Remaining lending capacity per bank.
        """
        bank = self.part_bank.take(applicants, axis=1)
        headroom = self._headroom(ledger, applicants, bank, exposure)
        return np.minimum(headroom, capacity.take(bank)).sum(axis=0)

    def grant(
        self,
        firms: Firms,
        ledger: Ledger,
        step: int,
        applicants: np.ndarray,
        principal: np.ndarray,
        rate: np.ndarray,
        parts: np.ndarray | None = None,
    ) -> None:
        """Book the working-capital loans of ``applicants`` (zero principal: declined).

        Args:
            firms: All firms.
            ledger: The ledger.
            step: The current step.
            applicants: Firm indices.
            principal: Amount each draws.
            rate: Annual rate of each draw (its parts' rates, weighted by the parts).
            parts: Each draw's parts (parts × applicants, as quoted); shared in proportion to
                the undrawn parts if omitted.
        """
        if parts is None:
            parts = pro_rata(principal, self.part_undrawn(applicants))
        # Each part's bank and rate, looked up once for the booking and the round's figures.
        bank = self.part_bank.take(applicants, axis=1)
        part_rate = self.part_rate.take(applicants, axis=1)
        self._book_loans(firms, ledger, step, applicants, parts, bank, part_rate)
        lending = self.lending_round
        lending.applications += int(applicants.size)
        lending.approvals += int(np.count_nonzero(principal > 0))
        lending.volume_by_bank += np.bincount(bank.ravel(), parts.ravel(), minlength=self.count)
        lending.interest_weighted_by_bank += np.bincount(
            bank.ravel(), (parts * part_rate).ravel(), minlength=self.count
        )
        lending.record(Instrument.BANK_LOAN, principal, rate)
        if self.decision_log is not None:
            self.decision_log.firm_loans(step, applicants, principal, rate, parts)

    def _book_loans(
        self,
        firms: Firms,
        ledger: Ledger,
        step: int,
        borrowers: np.ndarray,
        parts: np.ndarray,
        bank: np.ndarray,
        rate: np.ndarray,
    ) -> None:
        """Pay out and book the draws ``parts`` (parts × borrowers) of the parts' ``bank``.

        ``rate``: each part's rate (the same shape). Borrowers drawing nothing are left out.
        """
        keep = parts.sum(axis=0) > 0
        if not keep.all():
            borrowers, parts = borrowers[keep], parts.compress(keep, axis=1)
            bank, rate = bank.compress(keep, axis=1), rate.compress(keep, axis=1)
        if borrowers.size == 0:
            return
        ledger.post(
            self.accounts.take(bank).ravel(),
            per_part(borrowers, self.relationships),
            parts.ravel(),
            Flow.LOAN_DISBURSEMENT,
        )
        self._record_loans(firms, step, self.term_steps, borrowers, parts, rate, bank)

    def _record_loans(
        self,
        firms: Firms,
        step: int,
        delay_steps: int,
        borrowers: np.ndarray,
        parts: np.ndarray,
        rate: np.ndarray,
        bank: np.ndarray | None = None,
    ) -> None:
        """Book loans due ``delay_steps`` from ``step`` on both sides' balance sheets.

        Their principal and interest fall due (`_book_due`), and what is drawn, the firms'
        debt and the banks' exposure rise by them. ``bank``: each part's bank
        (``part_bank[:, borrowers]``), if the caller has looked it up.
        """
        principal, increasing = self._book_due(step, delay_steps, borrowers, parts, rate)
        if increasing:
            # Distinct borrowers (the usual case, in increasing order): one addition per cell,
            # in place; the same bits as the bincounts below, since these totals start at +0
            # and are never -0, where adding a value and adding its sum from zero could differ.
            np.add.at(firms.debt, borrowers, principal)  # (`_add_to_columns`, one row)
            _add_to_columns(self.part_drawn, borrowers, parts)
        else:
            firms.debt += np.bincount(borrowers, principal, minlength=firms.n)
            for part in range(self.relationships):
                self.part_drawn[part] += np.bincount(borrowers, parts[part], minlength=firms.n)
        if bank is None:
            bank = self.part_bank.take(borrowers, axis=1)
        self.exposure[Instrument.BANK_LOAN] += np.bincount(
            bank.ravel(), parts.ravel(), minlength=self.count
        )

    def _book_due(
        self,
        step: int,
        delay_steps: int,
        borrowers: np.ndarray,
        parts: np.ndarray,
        rate: np.ndarray,
    ) -> tuple[np.ndarray, bool]:
        """Book the draws ``parts`` (parts × borrowers) to fall due ``delay_steps`` from ``step``.

        Interest for the whole term is due with the principal, whatever the delay, and owed
        to each part at its own rate (``rate``, the same shape as ``parts``).

        Returns:
            The principal booked per borrower, and whether the borrowers were distinct and
            increasing.
        """
        interest = parts * rate * self.term_steps * self.step_years
        if self.relationships == 1:  # one part: the sums are the part added to +0, as a sum
            principal, interest_due = parts[0] + 0.0, interest[0] + 0.0
        else:
            principal, interest_due = parts.sum(axis=0), interest.sum(axis=0)
        increasing = borrowers.size < 2 or bool((borrowers[1:] > borrowers[:-1]).all())
        books = self.principal_book, self.interest_book
        for book, amounts in zip(books, (principal, interest_due), strict=True):
            book.book(step, delay_steps, borrowers, amounts, increasing=increasing)
        if increasing:
            _add_to_columns(self.part_interest, borrowers, interest)
        else:
            for part in range(self.relationships):
                self.part_interest[part] += np.bincount(
                    borrowers, interest[part], minlength=self.part_interest.shape[1]
                )
        return principal, increasing

    # ------------------------------------------------------------------ credit lines
    def undrawn(self, firms: Firms) -> np.ndarray:
        """What each firm may still draw on its line, all parts (`part_undrawn`)."""
        return self.part_undrawn().sum(axis=0)

    def part_undrawn(
        self, firms: np.ndarray | None = None, bank: np.ndarray | None = None
    ) -> np.ndarray:
        """What each firm (of ``firms``, if given) may still draw on each part of its line.

        Parts × firms. Nothing on a frozen part or on a failed bank's: a failed bank's part is
        cut, and the firm keeps the others. ``bank``: the parts' banks
        (``part_bank[:, firms]``), if the caller has looked them up.
        """
        if firms is None:
            frozen, bank, limit, drawn = (
                self.part_frozen,
                self.part_bank,
                self.part_limit,
                self.part_drawn,
            )
        else:  # the same elements, computed for the columns asked for only
            frozen = self.part_frozen.take(firms, axis=1)
            if bank is None:
                bank = self.part_bank.take(firms, axis=1)
            limit, drawn = self.part_limit.take(firms, axis=1), self.part_drawn.take(firms, axis=1)
        undrawn = np.subtract(limit, drawn)
        np.maximum(undrawn, 0.0, out=undrawn)
        # Closed parts: frozen, or a failed bank's (none to look up while every bank stands).
        closed = frozen | self.failed.take(bank) if self.failed.any() else frozen
        np.copyto(undrawn, 0.0, where=closed)
        return undrawn

    def open_relationships(
        self, house_bank: np.ndarray, rng: np.random.Generator | None = None
    ) -> None:
        """Give every firm its relationship banks: the house bank and `relationships` - 1 others.

        Args:
            house_bank: Each firm's main bank.
            rng: The relationships' random stream (draws the other banks and their scoring
                errors); needed only with more than one relationship.
        """
        spec = self.spec
        if spec.relationships > 1 and rng is None:
            raise ValueError("more than one relationship needs the relationships' stream")
        self.part_bank = draw_relationship_banks(
            house_bank,
            self.count,
            spec.relationships,
            rng if rng is not None else np.random.default_rng(0),
        )
        self.part_share = np.asarray(spec.line_shares(), dtype=float)
        shape = self.part_bank.shape
        self.part_drawn = np.zeros(shape)
        self.part_interest = np.zeros(shape)
        self.scoring.open_parts(shape, rng)

    def lent_by_bank(self, debt: np.ndarray) -> np.ndarray:
        """What each bank lends of the lines' drawn ``debt`` (per firm), in the parts' shares."""
        parts = self.part_share[:, None] * debt
        return np.bincount(self.part_bank.ravel(), parts.ravel(), minlength=self.count)

    def extend_main_lines(self, extension: np.ndarray) -> None:
        """The main banks raise their parts of the lines by ``extension``.

        The contract, the approved limit and the limit available now all rise by it.
        """
        self.part_contract[0] += extension
        self.part_approved[0] += extension
        self.part_limit[0] += extension

    def open_main_lines(self, ledger: Ledger) -> np.ndarray:
        """Firms whose main bank's part is open and whose main bank is sound (may extend it)."""
        sound = ~self.failed & (self.capital_ratio(ledger) >= self.spec.min_capital_ratio)
        return ~self.part_frozen[0] & sound.take(self.part_bank[0])

    def line_per_unit(self, firms: Firms, step_days: int) -> np.ndarray:
        """Line per unit of output per step: `line_limit_days` of the revenue it makes."""
        return self.spec.line_limit_days * firms.price / step_days

    def finance_new_output(
        self,
        firms: Firms,
        ledger: Ledger,
        added: np.ndarray,
        step_days: int,
        open_line: np.ndarray | None = None,
    ) -> np.ndarray:
        """Raise the lines of firms whose committed output grows by ``added`` (units per step).

        A line is signed at `line_limit_days` of the firm's expected revenue, or its opening
        debt and room for growth if more (`open_loans`); when the firm commits to more output
        (capacity it orders, a customer's business moved to it), its main bank raises the line
        by `line_limit_days` of the revenue it adds (`line_per_unit`). Only open lines of sound
        banks are raised (``open_line``: `open_main_lines` when the caller took it before
        lending).

        Returns:
            The extension per firm.
        """
        if open_line is None:
            open_line = self.open_main_lines(ledger)
        extension = np.where(open_line, added * self.line_per_unit(firms, step_days), 0.0)
        self.extend_main_lines(extension)
        # The raise is kept from dividends (`payout_while_indebted`): a firm pays none out of
        # what it draws on it, so the new output's working capital comes first.
        self.kept_headroom += extension
        return extension

    def line_carrying(self) -> np.ndarray:
        """Drawn principal on the lines, per bank."""
        return np.bincount(self.part_bank.ravel(), self.part_drawn.ravel(), minlength=self.count)

    def review_lines(
        self,
        firms: Firms,
        ledger: Ledger,
        step: int,
        pd: np.ndarray,
        leverage: np.ndarray,
        eligible: np.ndarray,
        own_funds: np.ndarray,
    ) -> None:
        """Review the lines due for review or in breach; let the rest follow the borrowing base.

        Each relationship bank reviews its part of a line (on the same schedule; the covenant
        is the line's). A part is renewed and repriced on its bank's current score if that
        score is within the cut-off, the leverage covenant holds and the bank is above its
        minimum capital ratio; otherwise it is not renewed: it is frozen, and its limit falls to
        what is drawn on it and with every repayment. A renewed line's contract is sized again
        by the reference formula (`formula_line`) on the working capital the firm's planned
        output needs (`Firms.expected_output` × `Firms.working_capital_per_unit`) and its own
        funds now, as a bank measures the need at each renewal (`resize_lines_at_renewal`),
        if the firm has such a need; it is never cut below what it was (a line is frozen, not
        shrunk, when the bank will not renew it), and the room a raise adds is kept from
        payouts (`kept_headroom`), as a raise for new output is. Lost own funds are thus
        refinanced for any firm the cut-off and the covenant let through, unless its cash flow
        has not covered its interest for a year (`resize_min_interest_cover`,
        `_count_low_cover`): that line is renewed at its contract. A renewed part is
        approved at what the borrowing base supports now (`base_limit`). Between reviews, as
        under an asset-based lender's monthly borrowing-base certificates, an open part's limit
        follows the current base: down when eligible receivables fall, back up as they recover,
        never above what the review approved, never below the contract, and never below what
        is drawn (a part whose base falls below its draws takes no new draws until repayments
        bring them under it). The fee on the undrawn part of open parts falls due next step
        with the interest.

        Args:
            firms: All firms.
            ledger: The ledger.
            step: The current step.
            pd: The main banks' scores (the other banks' are `Scoring.part_pd`).
            leverage: Each firm's leverage (`Firms.leverage`), for the covenant.
            eligible: Each firm's eligible receivables (`borrowing_base.eligible_receivables`).
            own_funds: Each firm's own funds in its working capital (`Firms.own_funds`).
        """
        spec = self.spec
        breach = leverage > self.line_covenant
        due = slice(-step % self.review_steps, None, self.review_steps)  # (f + step) % r == 0
        scheduled = np.zeros(firms.n, dtype=bool)
        scheduled[due] = True
        review = firms.active & (scheduled | breach)
        self._count_low_cover(firms, due)
        renew = None
        if review.any():
            part_pd = self.scoring.part_scores(pd)
            sound = ~self.failed & (self.capital_ratio(ledger) >= spec.min_capital_ratio)
            refuse = (
                (part_pd > spec.max_probability_of_default) | breach | ~sound.take(self.part_bank)
            )
            renew = review & ~refuse
            self.part_frozen[review & refuse] = True
            self.part_frozen[renew] = False
            if spec.resize_lines_at_renewal:
                covered = self.low_cover_reviews < self.cover_reviews
                self._resize_renewed(firms, renew & covered, own_funds)
        supported = self.base_limit(eligible)  # on the contracts as renewed
        if renew is not None:
            self.part_approved[renew] = supported[renew]
            self.part_rate[renew] = self.price(part_pd[renew], self.part_bank[renew], ledger)
        frozen = self.part_frozen
        held = np.minimum(self.part_drawn, self.part_limit)
        available = np.minimum(self.part_approved, supported, out=supported)
        np.maximum(available, held, out=self.part_limit)
        np.copyto(self.part_limit, held, where=frozen)
        fee = self.part_undrawn()
        np.multiply(spec.commitment_fee * self.step_years, fee, out=fee)
        fee *= firms.active
        self.part_interest += fee
        fee = fee.sum(axis=0)
        paying = (fee > 0).nonzero()[0]
        self.interest_book.book(step, 1, paying, fee[paying], increasing=True)

    def _count_low_cover(self, firms: Firms, due: slice) -> None:
        """Count, per firm at its scheduled review (``due``), the reviews in a row with a low cover.

        A scheduled review of an active firm whose interest cover (`Firms.interest_cover`) is
        below `resize_min_interest_cover` adds one; one at or above it starts the count again.
        The count runs before the review decides, so the review at hand is one of the
        `cover_reviews`. Automakers are counted too, to no effect (their lines are not sized
        again); a firm with no financing cost counts as low exactly when its cash flow is
        negative. With the minimum at 0 nobody is counted.
        """
        minimum = self.spec.resize_min_interest_cover
        if minimum <= 0:
            return
        count = self.low_cover_reviews[due]  # a view: written in place
        low = firms.interest_cover(due) < minimum
        np.copyto(count, np.where(low, count + 1, 0), where=firms.active[due])

    def _resize_renewed(self, firms: Firms, renew: np.ndarray, own_funds: np.ndarray) -> None:
        """Size the renewed parts (``renew``, parts × firms) again by `formula_line`, never down.

        Only a working-capital need is sized by the formula (an automaker's payables finance
        its own). Like a raise for new output, the room a raise adds is for the need, not for
        payouts (`kept_headroom`).
        """
        need = firms.expected_output * firms.working_capital_per_unit
        resizing = np.flatnonzero(renew.any(axis=0) & (need > 0))
        if resizing.size == 0:
            return
        line = self.formula_line(firms, need, own_funds)[resizing]
        contract = self.part_contract[:, resizing]
        raised = np.where(
            renew[:, resizing], np.maximum(self.part_share[:, None] * line, contract), contract
        )
        self.kept_headroom[resizing] += (raised - contract).sum(axis=0)
        self.part_contract[:, resizing] = raised

    def base_limit(self, eligible: np.ndarray) -> np.ndarray:
        """Each part's limit as the borrowing base supports it now: its contract, or more.

        One row per part, as `part_contract`. The borrowing base is
        `receivables_advance_rate` of the firm's eligible receivables, as in asset-based
        lending: a supplier whose sales grow, or whose customers pay later, carries more
        receivables and can borrow against them. The line is the larger of its contract and
        the base; what the base supports beyond the whole line's contract is shared between
        the relationship banks in their shares (`part_share`), on top of each part's
        contract. The line is thus the same whatever its parts: the main bank's extension for
        new output (`finance_new_output`) is part of the line's contract, and no other bank
        lends again against the receivables it finances.

        Args:
            eligible: Each firm's eligible receivables.
        """
        base = self.spec.receivables_advance_rate * eligible
        beyond = np.maximum(base - self.line_contract, 0.0)
        return self.part_contract + self.part_share[:, None] * beyond

    def defer(self, firms: Firms, step: int, late: np.ndarray) -> None:
        """Roll the principal and interest due now of firms in ``late`` (a mask) to next step.

        The amount in arrears bears `late_rate` for the step, added to the interest and owed
        to the parts in proportion to what each is owed.
        """
        who = np.flatnonzero(late)
        if who.size == 0:
            return
        principal = self.principal_book.peek_due(step)[who].copy()
        interest = self.interest_book.peek_due(step)[who].copy()
        self.principal_book.peek_due(step)[who] = 0.0
        self.interest_book.peek_due(step)[who] = 0.0
        penalty = (principal + interest) * self.spec.late_rate * self.step_years
        owed = self.part_drawn[:, who] + self.part_interest[:, who]
        self.part_interest[:, who] += pro_rata(penalty, owed)
        self.principal_book.book(step, 1, who, principal)
        self.interest_book.book(step, 1, who, interest + penalty)

    def open_loans(
        self,
        firms: Firms,
        ledger: Ledger,
        debt: np.ndarray,
        need: np.ndarray,
        start_step: int = 0,
    ) -> None:
        """Open the lines and loans of the starting steady state, maturities spread over the term.

        A line is `line_limit_days` of its firm's revenue, or, if more, the firm's ``debt``
        plus `expected_sales_growth` of its working-capital ``need``: the CBRC's reference
        formula, which lends up to the need at the growth the bank expects less the firm's
        own funds. ``start_step`` is the step the world opens at (negative with a warm-up).

        Deposits fund them, so opening loans leave bank reserves (and capital) unchanged. Each
        relationship bank holds its share (`part_share`) of every line and of its draws, priced
        on its own score.
        """
        everyone = np.arange(firms.n)
        pd = self.scoring.score(firms, ledger.balance[: firms.n], everyone, self.part_bank)
        part_pd = self.scoring.part_scores(pd)
        self.part_rate = self.price(part_pd, self.part_bank, ledger)
        share = self.part_share[:, None]
        # The firm's own funds in its working capital are what its debt does not finance.
        self.part_contract = share * self.formula_line(firms, need, np.maximum(need, 0.0) - debt)
        self.part_limit = self.part_contract.copy()
        self.part_approved = self.part_contract.copy()
        self.part_frozen = np.zeros(self.part_bank.shape, dtype=bool)
        borrowers = np.flatnonzero(debt > 0)
        rate = self.part_rate[:, borrowers]
        parts = share * (debt[borrowers] / self.term_steps)
        for delay in range(1, self.term_steps + 1):
            self._record_loans(firms, start_step, delay, borrowers, parts, rate)
        self.deposits += np.bincount(
            self.part_bank[:, borrowers].ravel(),
            (share * debt[borrowers]).ravel(),
            minlength=self.count,
        )
        self.kept_headroom = self.undrawn(firms)

    def formula_line(self, firms: Firms, need: np.ndarray, own_funds: np.ndarray) -> np.ndarray:
        """Each firm's line as the CBRC's reference formula sizes it, or `line_limit_days`.

        The formula lends the working-capital ``need`` at the growth the bank expects
        (`expected_sales_growth`) less the firm's ``own_funds`` in it; the line is at least
        `line_limit_days` of the firm's revenue.
        """
        revenue_days = self.spec.line_limit_days * firms.daily_revenue(
            round(self.step_years * 365.0)
        )
        formula = np.maximum(need, 0.0) * (1.0 + self.spec.expected_sales_growth) - own_funds
        return np.maximum(revenue_days, formula)

    def set_covenants(self, leverage: np.ndarray) -> None:
        """Set each line's leverage covenant at origination, over the borrower's own leverage.

        The line is in breach once the borrower has lost `covenant_headroom` of its opening
        equity-to-assets ratio: liabilities over assets above 1 − (1 − headroom)(1 − L0).

        Args:
            leverage: Each firm's liabilities over assets when its line is signed.
        """
        opening = np.minimum(leverage, 1.0)
        self.line_covenant = 1.0 - (1.0 - self.spec.covenant_headroom) * (1.0 - opening)

    def due_now(self, step: int, rows: slice = slice(None)) -> np.ndarray:
        """Principal plus interest falling due at ``step``, per firm (of ``rows`` only)."""
        return self.principal_book.peek_due(step)[rows] + self.interest_book.peek_due(step)[rows]

    def due_within(self, step: int, steps: int) -> np.ndarray:
        """Principal plus interest falling due from ``step`` for ``steps`` steps, per firm."""
        return self.principal_book.due_within(step, steps) + self.interest_book.due_within(
            step, steps
        )

    def collect_due(
        self,
        firms: Firms,
        ledger: Ledger,
        step: int,
        payers: np.ndarray,
        rows: slice = slice(None),
    ) -> None:
        """Collect principal and interest due now from every firm in ``payers`` (a mask).

        The principal repaid is shared between the parts in proportion to what is drawn on
        each, the interest in proportion to the interest and fees each is owed. With
        ``rows`` (a contiguous range of firms, such as a tier), only payers among them pay.
        """
        principal = self.principal_book.peek_due(step)
        interest = self.interest_book.peek_due(step)
        first = rows.start or 0
        paying = (
            first + (payers[rows] & ((principal[rows] > 0) | (interest[rows] > 0))).nonzero()[0]
        )
        if paying.size == 0:
            return  # nothing moves, and every total below would add zeros
        bank = self.part_bank.take(paying, axis=1).ravel()
        payer = per_part(paying, self.relationships)
        principal_paid = principal[paying]
        principal_parts = pro_rata(principal_paid, self.part_drawn.take(paying, axis=1))
        interest_parts = pro_rata(interest[paying], self.part_interest.take(paying, axis=1))
        lenders = self.accounts.take(bank)
        ledger.post(payer, lenders, principal_parts.ravel(), Flow.LOAN_REPAYMENT)
        ledger.post(payer, lenders, interest_parts.ravel(), Flow.LOAN_INTEREST)
        np.subtract.at(firms.debt, paying, principal_paid)  # (`_add_to_columns`, one row)
        _add_to_columns(self.part_drawn, paying, principal_parts, -1.0)
        _add_to_columns(self.part_interest, paying, interest_parts, -1.0)
        self.exposure[Instrument.BANK_LOAN] -= np.bincount(
            bank, principal_parts.ravel(), minlength=self.count
        )
        self.earn(bank, interest_parts.ravel())
        principal[paying] = 0.0
        interest[paying] = 0.0

    def roll_over(self, step: int, borrowers: np.ndarray, shortfall: np.ndarray) -> np.ndarray:
        """Roll the principal falling due now on open parts into new draws, up to ``shortfall``.

        With `roll_over_maturing_draws`, a firm short of cash refinances the draws maturing
        on the open parts of its line by new ones, as a revolving facility's rollover loans
        do: no cash moves, what is drawn stays the same, the principal rolled falls due
        `loan_term_days` later with the new term's interest at the part's rate, and the
        interest due now is still due. A firm with a frozen part, or a failed bank's, rolls
        nothing: the loan book keeps one amount due per firm, shared between the parts in
        proportion to what is drawn on each, so the open parts could not roll without slowing
        the closed parts' run-off.

        Args:
            step: The current step.
            borrowers: Firm indices, increasing.
            shortfall: How much more each needs than it has in cash.

        Returns:
            The principal rolled over per borrower.
        """
        due = self.principal_book.peek_due(step)  # a view: what is rolled is no longer due
        bank = self.part_bank.take(borrowers, axis=1)
        parts = pro_rata(due[borrowers], self.part_drawn.take(borrowers, axis=1))
        closed = self.part_frozen.take(borrowers, axis=1) | self.failed.take(bank)
        parts *= ~closed.any(axis=0)
        maturing = parts.sum(axis=0)
        parts *= np.minimum(shortfall / np.where(maturing > 0, maturing, 1.0), 1.0)
        rate = self.part_rate.take(borrowers, axis=1)
        rolled, _ = self._book_due(step, self.term_steps, borrowers, parts, rate)
        due[borrowers] -= rolled
        return rolled

    def take_claims_on(self, firms: Firms, debtors: np.ndarray) -> np.ndarray:
        """Cancel the loan book of ``debtors``; return the principal drawn on each part.

        Returns:
            Outstanding principal, parts × debtors (each relationship bank's claim).
        """
        self.principal_book.clear_columns(debtors)
        self.interest_book.clear_columns(debtors)
        self.part_interest[:, debtors] = 0.0
        return self.part_drawn[:, debtors].copy()

    def book_defaults(
        self,
        firms: Firms,
        step: int,
        debtors: np.ndarray,
        principal: np.ndarray,
        recovered: np.ndarray,
    ) -> None:
        """Move defaulted loans to non-performing, fully provisioned net of what was recovered.

        The recovered cash has already been paid to the banks by the liquidation.

        Args:
            firms: All firms.
            step: The current step.
            debtors: The defaulted firms.
            principal: Principal drawn on each part (parts × debtors, `take_claims_on`).
            recovered: What each part's bank recovered (the same shape, or flattened).
        """
        self.recognise_default(
            Instrument.BANK_LOAN,
            self.part_bank[:, debtors].ravel(),
            principal.ravel(),
            np.ravel(recovered),
            step,
        )
        firms.debt[debtors] = 0.0
        self.part_drawn[:, debtors] = 0.0

    def earn(self, banks: np.ndarray, amount: np.ndarray) -> None:
        """Record income (interest, discounts, fees) already received in cash by ``banks``."""
        self.interest_income += np.bincount(banks, amount, minlength=self.count)

    def recognise_default(
        self,
        instrument: Instrument,
        banks: np.ndarray,
        carrying: np.ndarray,
        recovered: np.ndarray,
        step: int,
        workout_steps: int | None = None,
    ) -> None:
        """Take defaulted claims off the performing book.

        What will not be recovered becomes a non-performing claim, fully provisioned, written
        off after the workout period; a recovery above the carrying value (a discounted claim
        collected in full) is income. The recovery itself is booked apart: paid already (a
        repossessed car) or awaited from the estate (`await_recovery`).

        Args:
            instrument: The kind of claim.
            banks: Bank of every claim.
            carrying: Carrying value of every claim (principal, or the price paid for it).
            recovered: Cash recovered, or to be recovered, on every claim.
            step: The current step.
            workout_steps: Steps until the loss is written off; `workout_days` if omitted.
        """
        carrying = np.broadcast_to(np.asarray(carrying, dtype=float), np.shape(banks))
        recovered = np.broadcast_to(np.asarray(recovered, dtype=float), np.shape(banks))
        loss = np.maximum(carrying - recovered, 0.0)
        loss_by_bank = np.bincount(banks, loss, minlength=self.count)
        self.exposure[instrument] -= np.bincount(banks, carrying, minlength=self.count)
        self.npl[instrument] += loss_by_bank
        self.provisions[instrument] += loss_by_bank
        self.losses_by_instrument[instrument] += loss_by_bank
        self.earn(banks, np.maximum(recovered - carrying, 0.0))
        self.write_off_book.book(
            step,
            self.workout_steps if workout_steps is None else workout_steps,
            int(instrument) * self.count + banks,
            loss,
        )

    def await_recovery(
        self,
        step: int,
        instrument: Instrument | np.ndarray,
        debtors: np.ndarray,
        banks: np.ndarray,
        amount: np.ndarray,
        workout_steps: int | None = None,
        flow: Flow = Flow.LIQUIDATION_PAYOUT,
    ) -> None:
        """Book what defaulted ``debtors``' estates will pay ``banks`` when the workout ends.

        The cash stays in the debtors' (closed) accounts until then (the outside world's, for
        a repossessed car being sold); the banks hold it as a non-performing claim
        (`recoveries`), part of their gross NPL.

        Args:
            step: The current step.
            instrument: `Instrument` of each recovery (or one for all).
            debtors: Ledger account that pays each recovery.
            banks: Bank owed each recovery.
            amount: Cash to be paid.
            workout_steps: Steps until it is paid; `workout_days` if omitted.
            flow: The ledger flow of the payment.
        """
        amount = np.asarray(amount, dtype=float)
        keep = amount > 0
        if not keep.any():
            return
        instrument = np.broadcast_to(np.asarray(instrument, dtype=np.int64), amount.shape)
        workout = Workout(
            step + (self.workout_steps if workout_steps is None else workout_steps),
            np.asarray(debtors)[keep],
            np.asarray(banks)[keep],
            instrument[keep],
            amount[keep],
            flow,
        )
        np.add.at(self.recoveries, (workout.instrument, workout.bank), workout.amount)
        self.workouts.append(workout)

    def held_by(self, accounts: int) -> np.ndarray:
        """Cash each ledger account (a closed firm's) holds for the banks until a workout ends.

        Args:
            accounts: Number of ledger accounts.
        """
        held = np.zeros(accounts)
        for workout in self.workouts:
            held += np.bincount(workout.debtor, workout.amount, minlength=accounts)
        return held

    def write_off(self, step: int) -> None:
        """End the workouts due now: estates pay the banks; the unrecovered rest is written off."""
        if self.workouts and min(w.due_step for w in self.workouts) <= step:
            ledger = self.ledger
            assert ledger is not None
            ending = [w for w in self.workouts if w.due_step <= step]
            self.workouts = [w for w in self.workouts if w.due_step > step]
            for workout in ending:
                ledger.post(
                    workout.debtor,
                    self.accounts[workout.bank],
                    workout.amount,
                    workout.flow,
                )
                np.subtract.at(self.recoveries, (workout.instrument, workout.bank), workout.amount)
        amount = self.write_off_book.take_due(step).reshape(len(Instrument), self.count)
        self.npl -= amount
        self.provisions -= amount

    def pay_funding_costs(self, ledger: Ledger) -> None:
        """Pay one step's funding cost of the loans inside the ecosystem."""
        cost = self.funding_rate(ledger) * self.ecosystem_assets() * self.step_years
        ledger.post(self.accounts, ledger.outside, cost, Flow.BANK_FUNDING_COST)
        self.funding_costs += cost

    def classify(self, firms: Firms, pd: np.ndarray, step_days: int) -> None:
        """Classify the books at the start of a step, and provision performing claims.

        Loans of firms `NON_PERFORMING_DAYS_PAST_DUE` days or more in arrears are
        non-performing (`past_due`) although not yet defaulted. Performing claims on firms
        carry a provision of their one-year expected loss, PD × LGD × exposure (IFRS 9 stage 1;
        the loss given default is the one priced, `loss_given_default`): loans with each
        borrower's scored PD, the other firm instruments with the mean PD of the bank's active
        clients. The change of the provisions is charged to capital (`provision_charges`);
        car loans are provisioned by their book (`ConsumerLoanBook.collect`).
        """
        bank = firms.house_bank  # the other instruments are with the main bank
        late = firms.days_past_due(step_days) >= NON_PERFORMING_DAYS_PAST_DUE
        part_bank = self.part_bank.ravel()
        self.past_due = np.bincount(
            part_bank, (self.part_drawn * late).ravel(), minlength=self.count
        )
        lgd = self.spec.loss_given_default
        clients = np.bincount(bank, firms.active, minlength=self.count)
        mean_pd = np.bincount(bank, pd * firms.active, minlength=self.count) / np.maximum(
            clients, 1
        )
        firm_claims = slice(0, Instrument.CONSUMER_LOAN)
        new = lgd * mean_pd * self.exposure[firm_claims]
        # A past-due loan is provisioned at its loss given default (PD = 1); each part with
        # its own bank's score.
        at_risk = self.scoring.part_scores(pd)
        np.copyto(at_risk, 1.0, where=late)
        at_risk *= self.part_drawn
        new[Instrument.BANK_LOAN] = lgd * np.bincount(
            part_bank, at_risk.ravel(), minlength=self.count
        )
        self.provide(firm_claims, new)

    def provide(self, instruments: Instrument | slice, expected_loss: np.ndarray) -> None:
        """Set the expected-loss provisions of performing claims of ``instruments``.

        The change is charged to capital (`provision_charges`).
        """
        change = expected_loss - self.expected_loss[instruments]
        self.provision_charges += change if change.ndim == 1 else change.sum(axis=0)
        self.expected_loss[instruments] = expected_loss

    def non_performing(self) -> np.ndarray:
        """Gross non-performing claims (instrument × bank), until written off.

        Defaulted claims: the unrecovered part (`npl`, fully provisioned) plus what the estates
        will pay at the end of the workout (`recoveries`); and loans 90 days or more past due
        whose borrower has not defaulted yet (`past_due`).
        """
        gross = self.npl + self.recoveries
        gross[Instrument.BANK_LOAN] += self.past_due
        return gross

    def npl_ratio(
        self, instrument: Instrument | list[Instrument] | None = None, bank: int | None = None
    ) -> float:
        """Gross non-performing claims over all claims (gross), as banks report NPL ratios.

        Args:
            instrument: One instrument, several, or all (None).
            bank: One bank, or all (None).
        """
        npl, total = self._npl_and_total(instrument)
        none = self._no_claims()
        if bank is not None:
            npl, total, none = npl[bank], total[bank], none[bank]
        npl, total = float(npl.sum()), float(total.sum())
        return npl / total if total > float(np.sum(none)) else 0.0

    def npl_ratio_by_bank(self) -> np.ndarray:
        """`npl_ratio` of every bank, all instruments (0 for a bank without claims)."""
        npl, total = self._npl_and_total(None)
        some = total > self._no_claims()
        return np.where(some, npl / np.where(some, total, 1.0), 0.0)

    def _no_claims(self) -> np.ndarray:
        """Each bank's claims at or below which it has none (`NO_CLAIMS`)."""
        return np.maximum(NO_CLAIMS * self.opening_capital, 1e-6)

    def _npl_and_total(
        self, instrument: Instrument | list[Instrument] | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Gross non-performing and all claims per bank, of the instruments given."""
        if instrument is None:
            defaulted = self.npl.sum(axis=0) + self.recoveries.sum(axis=0)
            exposure = self.exposure.sum(axis=0)
            past_due = True
        elif isinstance(instrument, Instrument):
            defaulted = self.npl[instrument] + self.recoveries[instrument]
            exposure = self.exposure[instrument]
            past_due = instrument == Instrument.BANK_LOAN
        else:
            defaulted = (self.npl[instrument] + self.recoveries[instrument]).sum(axis=0)
            exposure = self.exposure[instrument].sum(axis=0)
            past_due = Instrument.BANK_LOAN in instrument
        # Past-due loans are still in `exposure`; defaulted claims are not.
        npl = defaulted + self.past_due if past_due else defaulted
        return npl, exposure + defaulted


def funding_rate_at(spec: BankSpec, capital_ratio: np.ndarray | float) -> np.ndarray:
    """Annual funding rate of a bank at ``capital_ratio``: base rate plus a premium.

    The premium is `funding_premium` at the minimum capital ratio and shrinks in proportion as
    the ratio rises (at most ten times it below).
    """
    relative = np.minimum(spec.min_capital_ratio / capital_ratio, 10.0)
    return spec.funding_rate + spec.funding_premium * relative


def opening_car_loan_rate(spec: BankSpec, margin: float) -> float:
    """A car loan's price at the banks' opening capital ratio, before any loss.

    What a market is sized with, before any bank has a balance sheet or a loss history.
    """
    return float(claim_rate(spec, funding_rate_at(spec, spec.capital_ratio), 0.0, margin))


def claim_rate(
    spec: BankSpec, funding: np.ndarray | float, expected_loss: np.ndarray | float, margin: float
) -> np.ndarray:
    """Annual rate of a claim: funding + expected loss + capital charge + margin.

    The capital charge is what the capital the claim consumes costs above funding:
    ``min_capital_ratio`` × (cost of equity − funding rate).
    """
    charge = spec.min_capital_ratio * np.maximum(spec.cost_of_equity - funding, 0.0)
    return funding + expected_loss + charge + margin


def _add_to_columns(
    target: np.ndarray, columns: np.ndarray, values: np.ndarray, sign: float = 1.0
) -> None:
    """``target[:, columns] += values`` (or ``-=``, ``sign`` -1) for distinct ``columns``.

    Row by row: numpy's one-dimensional indexing is several times faster than its
    two-dimensional one, and each cell receives the same one addition. `numpy.ufunc.at`
    does it in place, in fewer instructions than a gather, an addition and a scatter.
    """
    operation = np.add if sign > 0 else np.subtract
    for part in range(target.shape[0]):
        operation.at(target[part], columns, values[part])


_EPSILON = float(np.finfo(float).eps)


def _all_fit(offer: np.ndarray, totals: np.ndarray, capacity: np.ndarray) -> bool:
    """Whether every offer fits, whatever the rounding of the running sums per bank.

    True when each bank's total (``totals``) plus a bound on the rounding error of any
    running sum of the offers stays within its capacity; `Banks.fit_in_capacity` then keeps
    every offer, as its running sums would. Offers must not be negative (a running sum could
    then exceed the total).
    """
    if offer.size == 0:
        return True
    smallest = offer.min()
    if not smallest >= 0.0:  # negative, or not a number
        return False
    slack = (4 * offer.size + 16) * _EPSILON * float(totals.sum())
    return bool((totals + slack <= capacity).all())


def build_banks(
    spec: BankSpec,
    accounts: np.ndarray,
    n_firms: int,
    step_days: int,
    scoring_streams: tuple[np.random.Generator, ...],
    house_bank: np.ndarray,
    relationship_stream: np.random.Generator | None = None,
) -> Banks:
    """Banks with empty books; capital is opened by the model through the ledger.

    Args:
        spec: The banks' section of the scenario.
        accounts: Ledger account of every bank.
        n_firms: Number of firms.
        step_days: Days per step.
        scoring_streams: One random stream per bank for its scoring error.
        house_bank: Each firm's main bank.
        relationship_stream: The stream that draws the firms' other relationship banks and
            their scoring errors (`Banks.open_relationships`).
    """
    count = spec.count
    term_steps = max(1, steps_of(spec.loan_term_days, step_days))
    workout_steps = max(1, steps_of(spec.workout_days, step_days))
    step_years = step_days / 365.0
    review_steps = max(1, steps_of(spec.review_days, step_days))
    banks = Banks(
        spec=spec,
        accounts=accounts,
        deposits=np.zeros(count),
        other_assets=np.zeros(count),
        exposure=np.zeros((len(Instrument), count)),
        npl=np.zeros((len(Instrument), count)),
        provisions=np.zeros((len(Instrument), count)),
        opening_capital=np.zeros(count),
        principal_book=DueBook(n_firms, term_steps),
        interest_book=DueBook(n_firms, term_steps),
        write_off_book=DueBook(
            len(Instrument) * count,
            max(workout_steps, steps_of(CAR_LOAN_CHARGE_OFF_DAYS, step_days)),
        ),
        term_steps=term_steps,
        review_steps=review_steps,
        low_cover_reviews=np.zeros(n_firms, dtype=np.int64),
        cover_reviews=max(1, round(steps_of(spec.resize_cover_days, step_days) / review_steps)),
        workout_steps=workout_steps,
        step_years=step_years,
        interest_income=np.zeros(count),
        funding_costs=np.zeros(count),
        losses_by_instrument=np.zeros((len(Instrument), count)),
        lending_round=LendingRound.empty(count),
        scoring=Scoring(
            spec,
            count,
            step_years,
            memory_steps=max(1, steps_of(spec.scoring.memory_days, step_days)),
            streams=scoring_streams,
        ),
    )
    banks.open_relationships(house_bank, relationship_stream)
    return banks
