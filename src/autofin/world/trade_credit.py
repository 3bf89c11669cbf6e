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
        return _creditors(ledger, firms.edge_supplier[edges])

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
        invoicing = value > 0
        edges = invoicing.nonzero()[0]
        if edges.size == 0:
            return
        invoiced = value[edges]  # each edge's values and terms are looked up once
        term = firms.edge_term_steps[edges]
        delay = term if delay_steps is None else delay_steps
        cells = self.edge_book.cells(step, delay, edges)  # the same in the term book
        self.edge_book.add_to(cells, invoiced)
        self.term_book.add_to(cells, invoiced * term)
        # The totals over every edge, zero where nothing is invoiced: the same sums (adding
        # +0 leaves a sum from +0 as it is), without looking up the invoiced edges' firms.
        every_edge = np.where(invoicing, value, 0.0)
        firms.receivables += firms.by_supplier(every_edge)
        firms.payables += firms.by_customer(every_edge)

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
        span = _span(bought)
        owed = np.bincount(
            firms.edge_customer[span] - rows.start,
            self.edge_book.peek_due(step)[span],
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
        rows: slice = slice(None),
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pay every invoice due now whose buyer is in ``payers`` (a boolean mask).

        Args:
            firms: All firms.
            ledger: The ledger.
            step: The current step.
            payers: Which firms pay.
            bought: The edges the payers may buy over, in increasing order (all if omitted).
            rows: A contiguous range of firms (such as a tier) that holds every payer.

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
        customer, supplier = firms.edge_customer[edges], firms.edge_supplier[edges]
        ledger.post(customer, _creditors(ledger, supplier), amount, Flow.TRADE_PAYMENT)
        firms.add_by_supplier(firms.receivables, amount, edges, -1.0, supplier=supplier)
        firms.add_by_customer(firms.payables, amount, edges, -1.0, customer=customer)
        edge_due[edges] = 0.0
        outside_due = self.outside_book.peek_due(step)
        owing = _owing(outside_due, payers, rows)
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
        rows: slice = slice(None),
    ) -> None:
        """Roll the invoices due now of buyers in ``late`` (a mask) to the next step.

        Each overdue invoice grows by ``penalty`` (a share of its face) for the step: the
        late-payment cost, owed to the same creditor. ``bought`` and ``rows``: as in `pay_due`.
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
        owing = _owing(outside_due, late, rows)
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
    span = _span(bought)
    due = (buyers[firms.edge_customer[span]] & (edge_due[span] > 0)).nonzero()[0]
    return span.start + due if isinstance(span, slice) else bought[due]


def _span(edges: np.ndarray) -> slice | np.ndarray:
    """Increasing ``edges`` as a slice when they are one range (a tier's usually are).

    Distinct and increasing, they are one range exactly when the last is as far from the first
    as their count; a slice reads the edges' values as views, without gathering them.
    """
    if edges.size and int(edges[-1]) - int(edges[0]) + 1 == edges.size:
        return slice(int(edges[0]), int(edges[-1]) + 1)
    return edges


def _owing(outside_due: np.ndarray, buyers: np.ndarray, rows: slice) -> np.ndarray:
    """The firms of ``buyers`` (a mask) among ``rows`` that owe the outside world's book now.

    In increasing order; ``rows`` must hold every buyer (only they are looked at).
    """
    first = rows.start or 0
    return first + (buyers[rows] & (outside_due[rows] > 0)).nonzero()[0]


def _creditors(ledger: Ledger, supplier: np.ndarray) -> np.ndarray:
    """Ledger account of each supplier: its own, or the outside world's."""
    return np.where(supplier == OUTSIDE, ledger.outside, supplier)
