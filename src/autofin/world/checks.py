"""Accounting identities, verified after every step by ``autofin run --check``.

Each identity compares two independent records of the same thing, so a bug in either shows:
the ledger's balances against its flows, the firms' running receivables, payables and debt
against the due books, and the banks' balance sheets against their income statements.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from autofin.world.banks import Instrument
from autofin.world.finance import EPSILON

if TYPE_CHECKING:
    from autofin.world.model import AutofinModel


class AccountingError(AssertionError):
    """An accounting identity failed: the model has a bug, the run is not to be trusted."""


class AccountingCheck:
    """Verifies the identities of one model after each step."""

    def __init__(self, model: AutofinModel) -> None:
        self.model = model
        self.scale = max(float(np.abs(model.ledger.balance).sum()), 1.0)
        self.previous_sectors = model.ledger.sector_balances()

    def _close(
        self,
        what: str,
        step: int,
        left: np.ndarray | float,
        right: np.ndarray | float,
        slack: float = 0.0,
    ) -> None:
        left, right = np.asarray(left, dtype=float), np.asarray(right, dtype=float)
        if not (np.all(np.isfinite(left)) and np.all(np.isfinite(right))):
            raise AccountingError(f"step {step}: {what}: non-finite values")
        gap = np.abs(left - right)
        tolerance = 1e-9 * self.scale + 1e-9 * np.abs(right) + slack
        if np.any(gap > tolerance):
            worst = int(np.argmax(gap)) if gap.ndim else 0
            raise AccountingError(
                f"step {step}: {what} is off by {float(gap.max()):.6g} "
                f"(at index {worst}: {float(np.ravel(left)[worst]):.6g} vs "
                f"{float(np.ravel(right)[worst]):.6g})"
            )

    def verify(self, step: int) -> None:
        """Raise `AccountingError` if any identity fails after ``step``."""
        model = self.model
        ledger, firms, banks, trade = model.ledger, model.firms, model.banks, model.trade
        self._close(
            "total money (outside world included)", step, ledger.balance.sum(), ledger.total_money
        )
        sectors = ledger.sector_balances()
        self._close(
            "change of sector cash vs recorded flows",
            step,
            sectors - self.previous_sectors,
            ledger.sector_net_inflow(),
        )
        self.previous_sectors = sectors
        self._close(
            "suppliers' receivables vs open invoices",
            step,
            firms.receivables,
            trade.open_by_supplier(firms),
        )
        finance = model.finance
        self._close(
            "buyers' payables vs open invoices (to suppliers and to banks that bought them)",
            step,
            firms.payables,
            trade.open_by_buyer(firms) + finance.open_by_buyer(firms),
        )
        for instrument, carrying in finance.carrying(firms, banks.count).items():
            self._close(
                f"banks' {instrument.name.lower()} claims vs the instrument's book",
                step,
                banks.exposure[instrument],
                carrying,
            )
        self._close(
            "firms' debt vs loan book", step, firms.debt, banks.principal_book.open_totals()
        )
        self._close("banks' loans vs firms' debt", step, banks.loans.sum(), firms.debt.sum())
        self._close(
            "banks' loans vs the drawn parts of the lines", step, banks.loans, banks.line_carrying()
        )
        self._close(
            "firms' debt vs the drawn parts of their lines",
            step,
            firms.debt,
            banks.part_drawn.sum(axis=0),
        )
        self._close(
            "interest and fees owed on the lines vs the parts owed them",
            step,
            banks.interest_book.open_totals(),
            banks.part_interest.sum(axis=0),
        )
        self._close(
            "consumers' cash (households pay out of income as they spend)",
            step,
            ledger.balance[model.consumer_account],
            0.0,
        )
        self._close(
            "banks' consumer-loan exposure vs borrowers' scheduled principal",
            step,
            banks.exposure[Instrument.CONSUMER_LOAN],
            model.market.loans.outstanding(),
        )
        self._close(
            "bank capital vs opening capital + interest − funding costs − credit losses − "
            "expected-loss provisions",
            step,
            banks.capital(ledger),
            banks.opening_capital
            + banks.interest_income
            - banks.funding_costs
            - banks.credit_losses
            - banks.provision_charges,
        )
        self._close(
            "banks' reserves are never negative (the facility covers any overdraft)",
            step,
            np.minimum(banks.reserves(ledger), 0.0),
            0.0,
        )
        # Every open invoice carries the term it was issued with, and nothing else does.
        face, terms = trade.edge_book.amounts, trade.term_book.amounts
        self._close(
            "issue terms of invoices no longer open", step, np.abs(terms[face <= 0]).sum(), 0
        )
        if np.any(terms < -1e-9 * self.scale) or np.any(
            terms > face * trade.edge_book.horizon + 1e-9 * self.scale
        ):
            raise AccountingError(f"step {step}: an open invoice has an impossible issue term")
        gone = ~firms.active
        cash = ledger.balance[: firms.n]
        # Settlement counts a firm short by less than its payment tolerance (`EPSILON`) as able
        # to pay, so it may pay itself that far below zero; its estate realises no negative
        # cash and the overdraft stays on its closed account. In a world of tiny money (a
        # population of one) that is more than the check's tolerance relative to all money.
        self._close(
            "cash of defaulted firms vs what their estates hold for the banks until the workout",
            step,
            cash[gone],
            banks.held_by(len(ledger.balance))[: firms.n][gone],
            slack=EPSILON,
        )
        self._close(
            "banks' recoveries vs what the estates (and car buyers) hold for them",
            step,
            banks.recoveries.sum(),
            banks.held_by(len(ledger.balance)).sum(),
        )
        self._close(
            "debts of defaulted firms", step, (firms.payables[gone] + firms.debt[gone]).sum(), 0.0
        )
        loans = model.market.loans
        due_left = (
            trade.due_now(firms, step).sum()
            + banks.due_now(step).sum()
            + finance.due_now(firms, step).sum()
            + loans.principal_due.peek_due(step).sum()
            + loans.interest_due.peek_due(step).sum()
            + loans.default_carrying.peek_due(step).sum()
        )
        self._close("obligations due this step left unsettled", step, due_left, 0.0)
        if np.any(cash[firms.active] < -1e-6 * self.scale):
            raise AccountingError(f"step {step}: an active firm has negative cash")
        for name in ("input_inventory", "output_inventory", "edge_backlog"):
            if np.any(getattr(firms, name) < -1e-9):
                raise AccountingError(f"step {step}: negative {name}")
