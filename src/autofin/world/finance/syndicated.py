"""Syndicated loans: one committed facility to an automaker, shared by several banks.

Each bank funds its set share of every draw, earns that share of the interest and takes that
share of any loss. By `schedule` the whole facility is drawn on ``draw_day`` and repaid at
maturity; `as_needed` it is drawn when the borrower's cash falls short and repaid from cash
above ``keep_cash_days`` of revenue. Interest is paid every step at a floating rate: each bank's
price of the borrower's risk (its funding rate + the borrower's scored PD × loss given default +
its capital charge), averaged in the syndicate's shares, plus the spread as the margin; so a
riskier borrower, or a syndicate of thinner banks (whose funding costs more), pays more. The
facility is committed: banks fund draws whatever their capacity.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from autofin.scenario.finance_schema import SyndicatedLoanSpec
from autofin.world.banks import Instrument
from autofin.world.estate import Collateral
from autofin.world.finance.context import Claim, FinanceActivity, FinanceRound
from autofin.world.firms import Firms, step_of_day
from autofin.world.ledger import Flow


class SyndicatedLoan:
    """One syndicated facility.

    Args:
        spec: The facility's settings.
        firms: All firms.
        step_days: Days per step.
    """

    instrument = Instrument.SYNDICATED_LOAN
    name = "syndicated_loan"

    def __init__(self, spec: SyndicatedLoanSpec, firms: Firms, step_days: int) -> None:
        self.spec = spec
        self.debtor_tiers = {0}
        self.borrower = int(np.flatnonzero(firms.is_automaker)[spec.borrower])
        self.banks = np.asarray(spec.banks, dtype=np.int64)
        self.shares = np.asarray(spec.bank_shares(), dtype=float)
        revenue_per_day = firms.daily_revenue(step_days)[self.borrower]
        self.size = spec.size_days * revenue_per_day
        self.keep_cash = spec.keep_cash_days * revenue_per_day
        self.open_step = step_of_day(spec.draw_day, step_days)
        self.maturity_step = self.open_step + max(1, round(spec.maturity_days / step_days))
        self.drawn = 0.0
        self.rate = 0.0
        self.interest_due = 0.0
        self.principal_due = 0.0

    def price(self, r: FinanceRound) -> float:
        """Annual rate this step: each bank's price of the borrower's risk, in its share.

        Funding + expected loss + capital charge (`Banks.price`) with the spread as margin.
        """
        pd = np.full(self.banks.size, r.pd[self.borrower])
        rates = r.banks.price(pd, self.banks, r.ledger, margin=self.spec.spread)
        return float((rates * self.shares).sum())

    def is_open(self, step: int) -> bool:
        """Whether the facility can be drawn at ``step``."""
        return self.open_step <= step < self.maturity_step

    def _draw(self, r: FinanceRound, amount: float, act: FinanceActivity) -> None:
        if amount <= 0:
            return
        part = amount * self.shares
        r.ledger.post(r.banks.accounts[self.banks], self.borrower, part, Flow.SYNDICATED_LOAN_DRAW)
        r.banks.exposure[self.instrument] += np.bincount(self.banks, part, minlength=r.banks.count)
        self.drawn += amount
        r.banks.lending_round.record(self.instrument, np.array([amount]), np.array([self.rate]))
        act.record(
            np.array([self.borrower]), np.array([amount]), np.array([self.rate]), np.array([0.0])
        )

    def start_step(self, r: FinanceRound, act: FinanceActivity) -> None:
        """Set this step's rate and interest; draw by schedule; everything is due at maturity."""
        self.rate = self.price(r)
        if not r.firms.active[self.borrower]:
            return
        if self.spec.drawing == "schedule" and r.step == self.open_step:
            self._draw(r, self.size, act)
        self.interest_due = self.drawn * self.rate * r.step_years
        self.principal_due = self.drawn if r.step >= self.maturity_step else 0.0
        act.cost[self.borrower] += self.interest_due

    def due_now(self, firms: Firms, step: int) -> np.ndarray:
        """Interest, and at maturity the principal, due from the borrower now."""
        due = np.zeros(firms.n)
        due[self.borrower] = self.interest_due + self.principal_due
        return due

    def serves_tier(self, tier: int) -> bool:
        """Only automakers borrow on syndicated facilities."""
        return tier == 0

    def rates(self, r: FinanceRound, applicants: np.ndarray) -> np.ndarray:
        """Annual cost for each applicant (infinite for all but the borrower)."""
        available = (applicants == self.borrower) & (self.spec.drawing == "as_needed")
        return np.where(available & self.is_open(r.step), self.rate, np.inf)

    def quote(self, r: FinanceRound, applicants: np.ndarray, need: np.ndarray) -> np.ndarray:
        """What the borrower can still draw, up to its need (committed: no capacity check)."""
        room = self.size - self.drawn + self.principal_due
        can = (applicants == self.borrower) & (self.spec.drawing == "as_needed")
        can &= self.is_open(r.step)
        return np.where(can, np.minimum(need, max(room, 0.0)), 0.0)

    def take(
        self, r: FinanceRound, applicants: np.ndarray, amounts: np.ndarray, act: FinanceActivity
    ) -> None:
        """Draw for the borrower."""
        self._draw(r, float(amounts[applicants == self.borrower].sum()), act)

    def collect(self, r: FinanceRound, payers: np.ndarray) -> None:
        """The borrower (if in ``payers``) pays interest and principal due now."""
        if self.drawn <= 0:
            self.interest_due = self.principal_due = 0.0
            return
        if not payers[self.borrower]:
            return
        accounts = r.banks.accounts[self.banks]
        r.ledger.post(
            self.borrower, accounts, self.interest_due * self.shares, Flow.SYNDICATED_LOAN_INTEREST
        )
        r.banks.earn(self.banks, self.interest_due * self.shares)
        self._repay(r, self.principal_due)
        self.interest_due = self.principal_due = 0.0

    def _repay(self, r: FinanceRound, amount: float) -> None:
        if amount <= 0:
            return
        part = amount * self.shares
        r.ledger.post(
            self.borrower, r.banks.accounts[self.banks], part, Flow.SYNDICATED_LOAN_REPAYMENT
        )
        r.banks.exposure[self.instrument] -= np.bincount(self.banks, part, minlength=r.banks.count)
        self.drawn -= amount

    def repay_from_surplus(self, r: FinanceRound) -> None:
        """An `as_needed` borrower repays draws from cash above what it keeps."""
        if self.spec.drawing != "as_needed" or not r.firms.active[self.borrower]:
            return
        surplus = r.ledger.balance[self.borrower] - self.keep_cash
        self._repay(r, min(self.drawn, max(surplus, 0.0)))

    def claims_on(
        self,
        r: FinanceRound,
        debtors: np.ndarray,
        bought: np.ndarray,
        remember_bad_debt: Callable[[np.ndarray, np.ndarray, np.ndarray], None],
    ) -> list[Claim]:
        """The syndicate's claims on a defaulting borrower, shared in the set shares."""
        if self.borrower not in debtors or self.drawn <= 0:
            return []
        carrying = self.drawn * self.shares
        amount = (self.drawn + self.interest_due) * self.shares
        self.drawn = self.interest_due = self.principal_due = 0.0

        def settle(paid: np.ndarray) -> None:
            r.banks.recognise_default(self.instrument, self.banks, carrying, paid, r.step)

        debtor = np.full(len(self.banks), self.borrower)
        return [
            Claim(
                debtor,
                r.banks.accounts[self.banks],
                amount,
                Collateral.UNSECURED,
                settle,
                instrument=self.instrument,
            )
        ]

    def owed(self, firms: Firms) -> np.ndarray:
        """What the borrower owes, per firm (for concentration limits)."""
        owed = np.zeros(firms.n)
        owed[self.borrower] = self.drawn
        return owed

    def carrying(self, firms: Firms, banks_count: int) -> np.ndarray:
        """Carrying value per bank (for the accounting checks)."""
        return np.bincount(self.banks, self.drawn * self.shares, minlength=banks_count)
