"""Committed credit lines with the relationship banks, behind the interface all instruments share.

The lines themselves (limits, reviews, covenants, the loan book of draws and their due dates)
live in `Banks`, which owns the loan book and the firms' `debt`; this class is how the
financing choice and the liquidation see them: a firm short of cash draws within its undrawn
limit (`quote`, `take`), owes its drawn principal (`owed`), repays each draw with its interest
after `banks.loan_term_days` (`due_now`, `collect`), and its banks claim the principal on its
default (`claims_on`). A line is shared by the firm's relationship banks
(``banks.relationships``; one, the house bank, by default): each holds its part, and each
draw, repayment and claim is shared between the parts (`Banks.quote`, `Banks.collect_due`).
Unlike the supply-chain-finance instruments, what falls due on a line can fall into arrears;
the step settles it with the trade invoices, not with them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from autofin.world.banks import Banks, Instrument
from autofin.world.estate import Collateral
from autofin.world.finance.context import Claim, FinanceActivity, FinanceRound
from autofin.world.firms import Firms


class CreditLine:
    """Every firm's committed line with its relationship banks.

    Args:
        banks: The banks (they keep the lines and the loan book).
        borrowing_buffer: Extra drawn above a cash shortfall, as a share of it.
        loan_years: Term of a draw in years (its interest for the whole term is the cost
            recorded when it is drawn).
    """

    instrument = Instrument.BANK_LOAN
    name = "bank_loan"

    def __init__(self, banks: Banks, borrowing_buffer: float, loan_years: float) -> None:
        self._banks = banks
        self.borrowing_buffer = borrowing_buffer
        self.loan_years = loan_years
        self._rate = np.zeros(0)
        self._parts = np.zeros((1, 0))

    def serves_tier(self, tier: int) -> bool:
        """Every firm has a line."""
        return True

    def rates(self, r: FinanceRound, applicants: np.ndarray) -> np.ndarray:
        """Each applicant's line rate, set at the line's last review."""
        return r.banks.line_rate[applicants]

    def quote(self, r: FinanceRound, applicants: np.ndarray, need: np.ndarray) -> np.ndarray:
        """What each applicant may draw for ``need`` × (1 + the borrowing buffer).

        Limited by the undrawn limit, the concentration limit and the bank's capital, part by
        part (`Banks.quote`); the banks' capacity is reserved for the offer.
        """
        offer, self._rate, self._parts = r.banks.quote(
            r.firms,
            r.ledger,
            applicants,
            need * (1.0 + self.borrowing_buffer),
            r.pd[applicants],
            r.exposure[applicants],
            r.capacity,
        )
        return offer

    def take(
        self, r: FinanceRound, applicants: np.ndarray, amounts: np.ndarray, act: FinanceActivity
    ) -> None:
        """Draw ``amounts`` (as quoted) at the line rate, shared between the parts as quoted."""
        quoted = self._rate.size == applicants.size
        rate = self._rate if quoted else self.rates(r, applicants)
        parts = self._parts if quoted else None
        r.banks.grant(r.firms, r.ledger, r.step, applicants, amounts, rate, parts)
        act.record(applicants, amounts, rate, amounts * rate * self.loan_years)

    def owed(self, firms: Firms) -> np.ndarray:
        """Drawn principal per firm (kept by the loan book)."""
        return firms.debt

    def due_now(self, firms: Firms, step: int) -> np.ndarray:
        """Principal and interest of the draws falling due now, per firm."""
        return self._banks.due_now(step)

    def collect(self, r: FinanceRound, payers: np.ndarray) -> None:
        """Firms in ``payers`` (a mask) repay the draws due now with their interest."""
        r.banks.collect_due(r.firms, r.ledger, r.step, payers)

    def claims_on(
        self,
        r: FinanceRound,
        debtors: np.ndarray,
        bought: np.ndarray,
        remember_bad_debt: Callable[[np.ndarray, np.ndarray, np.ndarray], None],
    ) -> list[Claim]:
        """Each relationship bank's claim on defaulting firms: the principal drawn on its part.

        The line lends against a borrowing base of receivables, and it is secured on them:
        the claims are paid first from the debtor's receivables (those not assigned to an
        order-financing bank), pro rata to what is drawn on each part; what they do not
        cover ranks with the general claims (`world/estate.py`).
        """
        firms, banks, step = r.firms, r.banks, r.step
        principal = banks.take_claims_on(firms, debtors)

        def settle(paid: np.ndarray) -> None:
            banks.book_defaults(firms, step, debtors, principal, paid)

        return [
            Claim(
                np.tile(debtors, banks.relationships),
                banks.accounts[banks.part_bank[:, debtors]].ravel(),
                principal.ravel(),
                Collateral.RECEIVABLES,
                settle,
                instrument=self.instrument,
            )
        ]

    def carrying(self, firms: Firms, banks_count: int) -> np.ndarray:
        """Drawn principal per bank, every part of every line."""
        return self._banks.line_carrying()
