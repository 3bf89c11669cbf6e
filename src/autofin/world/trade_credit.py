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
    """

    edge_book: DueBook
    outside_book: DueBook
    term_book: DueBook

    @classmethod
    def empty(cls, n_edges: int, n_firms: int, max_term_steps: int) -> TradeCredit:
        """Books with room for terms up to ``max_term_steps``."""
        return cls(
            DueBook(n_edges, max_term_steps),
            DueBook(n_firms, max_term_steps),
            DueBook(n_edges, max_term_steps),
        )

    def issue_terms(self, firms: Firms, edges: np.ndarray) -> np.ndarray:
        """The payment term (steps) each open invoice of ``edges`` was issued with.

        One value per row of the book × edge: invoices keep the term they were issued with
        when a policy changes the edge's term. Empty cells get the edge's current term.
        """
        face = self.edge_book.amounts[:, edges]
        weighted = self.term_book.amounts[:, edges]
        current = np.broadcast_to(firms.edge_term_steps[edges][None, :], face.shape)
        return np.where(face > 0, weighted / np.maximum(face, 1e-300), current)

    def remove(self, edges: np.ndarray, amounts: np.ndarray) -> None:
        """Take ``amounts`` (rows × ``edges``) of open invoices off the book.

        For invoices sold or settled otherwise; the suppliers' and buyers' running totals are
        the caller's to adjust.
        """
        face = self.edge_book.amounts[:, edges]
        kept = np.where(face > 0, 1.0 - amounts / np.maximum(face, 1e-300), 0.0)
        self.edge_book.amounts[:, edges] = face - amounts
        self.term_book.amounts[:, edges] *= kept

    @staticmethod
    def creditor_accounts(firms: Firms, ledger: Ledger, edges: np.ndarray) -> np.ndarray:
        """Ledger account paid over each of ``edges``: the supplier, or the outside world."""
        supplier = firms.edge_supplier[edges]
        return np.where(supplier == OUTSIDE, ledger.outside, supplier)

    def invoice(
        self, firms: Firms, step: int, value: np.ndarray, delay_steps: int | None = None
    ) -> None:
        """Invoice the value shipped on every edge.

        Args:
            firms: All firms.
            step: The current step.
            value: Invoice value per edge (zero for no invoice).
            delay_steps: Steps until due; the buyer's payment term of each edge if omitted.
        """
        edges = (value > 0).nonzero()[0]
        if edges.size == 0:
            return
        delay = firms.edge_term_steps[edges] if delay_steps is None else delay_steps
        self.edge_book.book(step, delay, edges, value[edges], increasing=True)
        self.term_book.book(
            step, delay, edges, value[edges] * firms.edge_term_steps[edges], increasing=True
        )
        firms.receivables += firms.by_supplier(value[edges], edges)
        firms.payables += firms.by_customer(value[edges], edges)

    def due_now(
        self, firms: Firms, step: int, rows: slice | None = None, bought: np.ndarray | None = None
    ) -> np.ndarray:
        """Trade payables falling due at ``step`` for every firm, or for the firms ``rows``.

        Args:
            firms: All firms.
            step: The current step.
            rows: Only these firms (a contiguous range, such as a tier).
            bought: With ``rows``: the edges those firms buy over (`Firms.edges_bought_by`).
        """
        if rows is None:
            return firms.by_customer(self.edge_book.peek_due(step)) + self.outside_book.peek_due(
                step
            )
        assert bought is not None
        owed = np.bincount(
            firms.edge_customer[bought] - rows.start,
            self.edge_book.peek_due(step)[bought],
            minlength=rows.stop - rows.start,
        )
        return owed + self.outside_book.peek_due(step)[rows]

    def pay_due(
        self,
        firms: Firms,
        ledger: Ledger,
        step: int,
        payers: np.ndarray,
        bought: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pay every invoice due now whose buyer is in ``payers`` (a boolean mask).

        Args:
            firms: All firms.
            ledger: The ledger.
            step: The current step.
            payers: Which firms pay.
            bought: The edges the payers may buy over, in increasing order (all if omitted).

        Returns:
            The edges paid over, the amount paid on each, and the payment term (steps) those
            invoices were issued with.
        """
        edge_due = self.edge_book.peek_due(step)
        edges = _due_edges(firms, edge_due, payers, bought)
        amount = edge_due[edges]
        term_due = self.term_book.peek_due(step)
        terms = term_due[edges] / np.maximum(amount, 1e-300)
        term_due[edges] = 0.0
        ledger.post(
            firms.edge_customer[edges],
            self.creditor_accounts(firms, ledger, edges),
            amount,
            Flow.TRADE_PAYMENT,
        )
        firms.add_by_supplier(firms.receivables, amount, edges, -1.0)
        firms.add_by_customer(firms.payables, amount, edges, -1.0)
        edge_due[edges] = 0.0
        outside_due = self.outside_book.peek_due(step)
        owing = (payers & (outside_due > 0)).nonzero()[0]
        if owing.size:  # usually nobody owes the outside world's book
            ledger.post(owing, ledger.outside, outside_due[owing], Flow.TRADE_PAYMENT)
            firms.payables[owing] -= outside_due[owing]
            outside_due[owing] = 0.0
        return edges, amount, terms

    def defer(
        self,
        firms: Firms,
        step: int,
        late: np.ndarray,
        penalty: float,
        bought: np.ndarray | None = None,
    ) -> None:
        """Roll the invoices due now of buyers in ``late`` (a mask) to the next step.

        Each overdue invoice grows by ``penalty`` (a share of its face) for the step: the
        late-payment cost, owed to the same creditor. ``bought``: as in `pay_due`.
        """
        edge_due = self.edge_book.peek_due(step)
        edges = _due_edges(firms, edge_due, late, bought)
        if edges.size:
            amount = edge_due[edges].copy()
            term = self.term_book.peek_due(step)[edges] / np.maximum(amount, 1e-300)
            edge_due[edges] = 0.0
            self.term_book.peek_due(step)[edges] = 0.0
            self.edge_book.book(step, 1, edges, amount * (1.0 + penalty))
            self.term_book.book(step, 1, edges, amount * (1.0 + penalty) * term)
            firms.add_by_supplier(firms.receivables, amount * penalty, edges)
            firms.add_by_customer(firms.payables, amount * penalty, edges)
        outside_due = self.outside_book.peek_due(step)
        owing = (late & (outside_due > 0)).nonzero()[0]
        if owing.size:
            amount = outside_due[owing].copy()
            outside_due[owing] = 0.0
            self.outside_book.book(step, 1, owing, amount * (1.0 + penalty))
            firms.payables[owing] += amount * penalty

    def take_claims_on(
        self, firms: Firms, debtors: np.ndarray, bought_edges: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Remove every open invoice owed by ``debtors``, due now or later.

        The suppliers' receivables and the debtors' payables fall by what is removed (the
        waterfall pays the claims).

        Args:
            firms: All firms.
            debtors: Firm indices.
            bought_edges: The edges over which the debtors buy.

        Returns:
            The open amount of each of ``bought_edges``, and what each debtor owed the outside
            world.
        """
        self.term_book.clear_columns(bought_edges)
        invoiced = self.edge_book.clear_columns(bought_edges)
        outside = self.outside_book.clear_columns(debtors)
        firms.add_by_supplier(firms.receivables, invoiced, bought_edges, -1.0)
        firms.add_by_customer(firms.payables, invoiced, bought_edges, -1.0)
        firms.payables[debtors] -= outside
        return invoiced, outside

    def sell_to_outside(self, firms: Firms, edges: np.ndarray) -> None:
        """Move the open invoices of ``edges`` to the outside world's book (a debt sale).

        The customers owe the same amounts at the same dates, now to the outside world; the
        sellers no longer hold them as receivables.
        """
        moved = self.edge_book.amounts[:, edges]
        np.add.at(self.outside_book.amounts.T, firms.edge_customer[edges], moved.T)
        firms.add_by_supplier(firms.receivables, moved.sum(axis=0), edges, -1.0)
        self.edge_book.amounts[:, edges] = 0.0
        self.term_book.amounts[:, edges] = 0.0

    def open_by_supplier(self, firms: Firms) -> np.ndarray:
        """Open invoices owed to every firm, from the books (for the accounting checks)."""
        return firms.by_supplier(self.edge_book.open_totals())

    def open_by_buyer(self, firms: Firms) -> np.ndarray:
        """Open invoices owed by every firm, from the books (for the accounting checks)."""
        return firms.by_customer(self.edge_book.open_totals()) + self.outside_book.open_totals()


def _due_edges(
    firms: Firms, edge_due: np.ndarray, buyers: np.ndarray, bought: np.ndarray | None
) -> np.ndarray:
    """The edges, in increasing order, with something due whose customer is in ``buyers``.

    With ``bought`` (increasing edges that include every edge of the buyers), only those
    edges are looked at.
    """
    if bought is None:
        return (buyers[firms.edge_customer] & (edge_due > 0)).nonzero()[0]
    return bought[(buyers[firms.edge_customer[bought]] & (edge_due[bought] > 0)).nonzero()[0]]
