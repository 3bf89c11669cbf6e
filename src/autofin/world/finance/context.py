"""What every instrument sees while firms seek finance, and what a liquidation asks of it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from autofin.world.banks import Banks, Instrument
from autofin.world.estate import Collateral
from autofin.world.firms import Firms
from autofin.world.ledger import Ledger
from autofin.world.trade_credit import TradeCredit


@dataclass
class FinanceRound:
    """The state instruments quote and book against in one step.

    Attributes:
        step: The current step.
        step_days: Days per step.
        firms: All firms.
        ledger: The ledger.
        banks: The banks.
        trade: Open invoices.
        pd: Every firm's probability of default as the banks scored it this step.
        capacity: New claims each bank can still take on this step (used up by offers).
        exposure: What each firm owed the banks, all instruments, at the start of the step
            (for concentration limits).
    """

    step: int
    step_days: int
    firms: Firms
    ledger: Ledger
    banks: Banks
    trade: TradeCredit
    pd: np.ndarray
    capacity: np.ndarray
    exposure: np.ndarray
    claimed_receivables: Callable[[], np.ndarray | None] = lambda: None
    """Per supply edge, what another lender is owed out of the edge's invoices now (None:
    nothing): an order-financing advance is repaid from its order's invoice, which no
    other instrument may sell (`open_invoices`)."""

    def concentration_room(self, borrowers: np.ndarray, banks: np.ndarray) -> np.ndarray:
        """How much more ``banks`` may lend to ``borrowers`` within the concentration limit."""
        return self.banks.concentration_room(self.ledger, banks, self.exposure[borrowers])

    @property
    def step_years(self) -> float:
        """Length of a step in years."""
        return self.step_days / 365.0


@dataclass
class FinanceActivity:
    """Financing figures of one step, per firm, gathered for the metrics and cost-plus prices.

    Attributes:
        cost: Interest and discounts each firm took on this step (its financing cost).
        volume: New financing each firm received.
        cost_weighted: ``volume`` weighted by its annual cost.
        unmet_need: Cash shortfalls no instrument covered (the firm defaulted).
        cash_face: Face value of invoices turned into cash (paid or sold), per supplier.
        cash_days: ``cash_face`` weighted by the days from invoice to cash.
        margin_calls: Inventory-loan principal above the loan-to-value limit, called this step.
        max_loan_to_value: Largest inventory loan drawn this step over its collateral value.
    """

    cost: np.ndarray
    volume: np.ndarray
    cost_weighted: np.ndarray
    unmet_need: np.ndarray
    cash_face: np.ndarray
    cash_days: np.ndarray
    margin_calls: float = 0.0
    max_loan_to_value: float = 0.0

    @classmethod
    def empty(cls, n_firms: int) -> FinanceActivity:
        """Nothing financed yet."""
        return cls(*(np.zeros(n_firms) for _ in range(6)))

    def record(
        self, firms: np.ndarray, volume: np.ndarray, rate: np.ndarray, cost: np.ndarray
    ) -> None:
        """Add new financing of ``firms``: amounts, annual cost rates, and the cost taken on."""
        _add_per_firm(
            (self.volume, self.cost_weighted, self.cost), firms, (volume, volume * rate, cost)
        )

    def cash_in(self, firms: np.ndarray, face: np.ndarray, days: np.ndarray) -> None:
        """Invoices of face value ``face`` turned into cash ``days`` after they were issued."""
        _add_per_firm((self.cash_face, self.cash_days), firms, (face, face * days))


def _add_per_firm(
    totals: tuple[np.ndarray, ...], firms: np.ndarray, values: tuple[np.ndarray, ...]
) -> None:
    """Add each of ``values`` to its ``totals`` at ``firms`` (a firm may appear more than once).

    Distinct firms in increasing order (the usual case, checked once for all the totals) are
    added in place; otherwise the values are summed per firm first, as a full-length
    bincount would, over the range of firms given only. The same bits either way: the totals
    start at +0 and so are never -0, where adding a value and adding its sum from zero could
    differ (and where adding the full-length bincount's +0 to the firms outside the range
    could too).
    """
    firms = np.asarray(firms)
    # Out of order at the first pair (suppliers paid over edges, say): not checked further.
    distinct = firms.ndim == 1 and (
        firms.size < 2 or (firms[1] > firms[0] and bool((firms[1:] > firms[:-1]).all()))
    )
    if distinct:
        for total, value in zip(totals, values, strict=True):
            total[firms] += value
        return
    low, high = int(firms.min()), int(firms.max())
    index = firms - low
    for total, value in zip(totals, values, strict=True):
        total[low : high + 1] += np.bincount(index, value, minlength=high - low + 1)


@dataclass
class Claim:
    """Claims of banks on defaulting firms, to be paid out of their estates.

    Attributes:
        debtor: The firm owing each claim.
        creditor: The ledger account owed.
        amount: The amount owed.
        collateral: What the claims are secured on (`Collateral.UNSECURED` for nothing): a
            secured claim is paid first from that collateral's proceeds (`world/estate.py`).
        settle: Called with what the estate will pay on each claim, at the default (the cash
            follows after the workout period, `Banks.await_recovery`).
        carved_from: For a claim that is part of a supplier's invoice assigned to a bank, the
            supply edge of each claim: the supplier's own claim on that edge is reduced by it.
        instrument: The bank instrument the claims arise from (their recoveries and NPL are
            booked under it).
    """

    debtor: np.ndarray
    creditor: np.ndarray
    amount: np.ndarray
    collateral: Collateral
    settle: Callable[[np.ndarray], None] = field(repr=False)
    carved_from: np.ndarray | None = None
    instrument: Instrument = field(kw_only=True)


@runtime_checkable
class FinanceInstrument(Protocol):
    """What every instrument offers, the credit line included (``credit_line.py``).

    A firm short of cash asks for a quote and takes it; the instrument keeps its own book,
    from which it answers what each firm owes, what falls due now, what it carries per bank,
    and which claims its banks hold on a defaulting firm (for the waterfall of
    ``world/estate.py``). Each is priced on the party whose risk it carries (`Banks.price`:
    funding + expected loss + capital charge + margin).
    """

    instrument: Instrument
    name: str

    def serves_tier(self, tier: int) -> bool:
        """Whether firms of ``tier`` can draw on it when short of cash."""
        ...

    def rates(self, r: FinanceRound, applicants: np.ndarray) -> np.ndarray:
        """Annual cost of drawing on it for each applicant (infinite when unavailable)."""
        ...

    def quote(self, r: FinanceRound, applicants: np.ndarray, need: np.ndarray) -> np.ndarray:
        """What each applicant may raise for ``need`` (0 when declined)."""
        ...

    def take(
        self, r: FinanceRound, applicants: np.ndarray, amounts: np.ndarray, act: FinanceActivity
    ) -> None:
        """Book what was quoted: pay the applicants and record the claims."""
        ...

    def owed(self, firms: Firms) -> np.ndarray:
        """What each firm owes under the instrument, due now or later."""
        ...

    def due_now(self, firms: Firms, step: int) -> np.ndarray:
        """What each firm must pay under it now."""
        ...

    def collect(self, r: FinanceRound, payers: np.ndarray) -> None:
        """Firms in ``payers`` (a mask) pay what is due now."""
        ...

    def claims_on(
        self,
        r: FinanceRound,
        debtors: np.ndarray,
        bought: np.ndarray,
        remember_bad_debt: Callable[[np.ndarray, np.ndarray, np.ndarray], None],
    ) -> list[Claim]:
        """Take the banks' claims on defaulting ``debtors`` off the book, for the waterfall.

        ``bought`` are the edges over which the debtors buy.
        """
        ...

    def carrying(self, firms: Firms, banks_count: int) -> np.ndarray:
        """Carrying value of the instrument's claims per bank (for the accounting checks)."""
        ...


def supplier_tiers(tiers: list[int] | None, firms: Firms) -> list[int]:
    """The supplier tiers an instrument reaches: those given, or every supplier tier."""
    return list(tiers) if tiers is not None else list(range(1, int(firms.tier.max()) + 1))
