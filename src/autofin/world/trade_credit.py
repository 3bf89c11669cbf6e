"""Trade credit: invoices due after the buyer's payment term, and their settlement.

Open invoices live in two due books: one column per supply edge (owed by the customer to the
supplier of the edge) and one column per firm for claims the outside world holds on that firm
(raw-material invoices, and invoices of defaulted suppliers sold to a debt buyer).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autofin.world.firms import Firms
from autofin.world.ledger import Flow, Ledger
from autofin.world.network import OUTSIDE
from autofin.world.obligations import DueBook


@dataclass
class TradeCredit:
    """Open invoices by due step.

    Attributes:
        edge_book: Owed over each edge to its supplier.
        outside_book: Owed by each firm to the outside world.
        outside_account: The outside world's ledger account.
    """

    edge_book: DueBook
    outside_book: DueBook
    outside_account: int

    @classmethod
    def empty(
        cls, n_edges: int, n_firms: int, max_term_steps: int, outside_account: int
    ) -> TradeCredit:
        """Books with room for terms up to ``max_term_steps``."""
        return cls(
            DueBook(n_edges, max_term_steps), DueBook(n_firms, max_term_steps), outside_account
        )

    def creditor_accounts(self, firms: Firms) -> np.ndarray:
        """Ledger account paid on every edge (the supplier, or the outside world)."""
        return np.where(firms.edge_supplier == OUTSIDE, self.outside_account, firms.edge_supplier)

    def invoice(self, firms: Firms, step: int, value: np.ndarray) -> None:
        """Invoice the value shipped on every edge, due after the edge's payment term."""
        edges = np.flatnonzero(value > 0)
        if edges.size == 0:
            return
        self.edge_book.book(step, firms.edge_term_steps[edges], edges, value[edges])
        supplier = firms.edge_supplier[edges]
        inside = supplier != OUTSIDE
        firms.receivables += np.bincount(supplier[inside], value[edges][inside], minlength=firms.n)
        firms.payables += np.bincount(firms.edge_customer[edges], value[edges], minlength=firms.n)

    def due_now(self, firms: Firms, step: int) -> np.ndarray:
        """Trade payables falling due at ``step`` for every firm."""
        edge_due = self.edge_book.peek_due(step)
        return np.bincount(
            firms.edge_customer, edge_due, minlength=firms.n
        ) + self.outside_book.peek_due(step)

    def pay_due(self, firms: Firms, ledger: Ledger, step: int, payers: np.ndarray) -> float:
        """Pay every invoice due now whose buyer is in ``payers`` (a boolean mask).

        Returns:
            The amount paid.
        """
        edge_due = self.edge_book.peek_due(step)
        edges = np.flatnonzero(payers[firms.edge_customer] & (edge_due > 0))
        amount = edge_due[edges]
        ledger.post(
            firms.edge_customer[edges],
            self.creditor_accounts(firms)[edges],
            amount,
            Flow.TRADE_PAYMENT,
        )
        supplier = firms.edge_supplier[edges]
        inside = supplier != OUTSIDE
        firms.receivables -= np.bincount(supplier[inside], amount[inside], minlength=firms.n)
        firms.payables -= np.bincount(firms.edge_customer[edges], amount, minlength=firms.n)
        edge_due[edges] = 0.0
        outside_due = self.outside_book.peek_due(step)
        owing = np.flatnonzero(payers & (outside_due > 0))
        ledger.post(owing, self.outside_account, outside_due[owing], Flow.TRADE_PAYMENT)
        firms.payables[owing] -= outside_due[owing]
        paid = float(amount.sum() + outside_due[owing].sum())
        outside_due[owing] = 0.0
        return paid

    def take_claims_on(self, firms: Firms, debtors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Remove every open invoice owed by ``debtors`` (firm indices), due now or later.

        Returns:
            The edges whose customer is a debtor with the open amount of each, and the amount
            each debtor owed the outside world.
        """
        edges = np.flatnonzero(np.isin(firms.edge_customer, debtors))
        edge_claims = self.edge_book.clear_columns(edges)
        outside_claims = self.outside_book.clear_columns(debtors)
        return edges, edge_claims, outside_claims

    def sell_to_outside(self, firms: Firms, edges: np.ndarray) -> np.ndarray:
        """Move the open invoices of ``edges`` to the outside world's book (a debt sale).

        The customers owe the same amounts at the same dates, now to the outside world.

        Returns:
            The face value moved from each edge.
        """
        moved = self.edge_book.amounts[:, edges]
        np.add.at(self.outside_book.amounts.T, firms.edge_customer[edges], moved.T)
        self.edge_book.amounts[:, edges] = 0.0
        return moved.sum(axis=0)

    def open_by_supplier(self, firms: Firms) -> np.ndarray:
        """Open invoices owed to every firm, from the books (for the accounting checks)."""
        inside = firms.edge_supplier != OUTSIDE
        return np.bincount(
            firms.edge_supplier[inside], self.edge_book.open_totals()[inside], minlength=firms.n
        )

    def open_by_buyer(self, firms: Firms) -> np.ndarray:
        """Open invoices owed by every firm, from the books (for the accounting checks)."""
        return (
            np.bincount(firms.edge_customer, self.edge_book.open_totals(), minlength=firms.n)
            + self.outside_book.open_totals()
        )
