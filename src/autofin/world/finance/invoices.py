"""Invoices sold to banks before they are due: shared by factoring and reverse factoring.

A bank that buys an invoice pays its face value discounted for the days left at an annual rate,
and collects the face value from the buyer on the due date. The bought invoices keep their edge
and due step, in two due books of the same shape as the trade-credit book: the face value (what
the buyer owes the bank) and the price paid (the bank's carrying value).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autofin.world.banks import Banks, Instrument
from autofin.world.finance.context import FinanceActivity, FinanceRound
from autofin.world.firms import Firms
from autofin.world.ledger import Flow, Ledger
from autofin.world.obligations import DueBook


def price_factor(steps_left: np.ndarray, rate: np.ndarray, step_days: int) -> np.ndarray:
    """Price of one unit of face value due in ``steps_left`` steps, at annual ``rate``."""
    return 1.0 / (1.0 + rate * steps_left * step_days / 365.0)


FLOWS = {
    Instrument.FACTORING: (Flow.FACTORING_PURCHASE, Flow.FACTORING_COLLECTION),
    Instrument.REVERSE_FACTORING: (
        Flow.REVERSE_FACTORING_PURCHASE,
        Flow.REVERSE_FACTORING_COLLECTION,
    ),
}
"""Purchase and collection flow types of each kind of bought invoice."""


@dataclass
class BoughtInvoices:
    """Invoices owned by banks, per supply edge and due step.

    Attributes:
        instrument: Factoring or reverse factoring.
        face: What each edge's buyer owes the bank, by due step.
        cost: What the bank paid for it, by due step.
        edge_bank: The bank that buys the invoices of each edge.
    """

    instrument: Instrument
    face: DueBook
    cost: DueBook
    edge_bank: np.ndarray

    @classmethod
    def empty(
        cls,
        instrument: Instrument,
        n_edges: int,
        horizon_steps: int,
        edge_bank: np.ndarray,
    ) -> BoughtInvoices:
        """No invoice bought yet."""
        return cls(
            instrument, DueBook(n_edges, horizon_steps), DueBook(n_edges, horizon_steps), edge_bank
        )

    def buy(
        self, banks: Banks, edges: np.ndarray, sold_face: np.ndarray, prices: np.ndarray
    ) -> np.ndarray:
        """Put bought invoices on the banks' books; the caller pays the sellers.

        ``sold_face`` (rows × ``edges``) is bought at ``prices`` (same shape).

        Returns:
            The price paid for each of ``edges``.
        """
        paid = prices.sum(axis=0)
        self.face.amounts[:, edges] += sold_face
        self.cost.amounts[:, edges] += prices
        banks.exposure[self.instrument] += np.bincount(
            self.edge_bank[edges], paid, minlength=banks.count
        )
        return paid

    @property
    def purchase_flow(self) -> Flow:
        """Flow type of the bank's payment for bought invoices."""
        return FLOWS[self.instrument][0]

    @property
    def collection_flow(self) -> Flow:
        """Flow type of the buyer's payment to the bank on the due date."""
        return FLOWS[self.instrument][1]

    def due_by_buyer(self, firms: Firms, step: int) -> np.ndarray:
        """Face value due now from each firm as a buyer."""
        return firms.by_customer(self.face.peek_due(step))

    def collect(
        self, firms: Firms, ledger: Ledger, banks: Banks, step: int, payers: np.ndarray
    ) -> None:
        """Buyers in ``payers`` (a mask) pay the banks the face value due now."""
        face = self.face.peek_due(step)
        edges = np.flatnonzero(payers[firms.edge_customer] & (face > 0))
        if edges.size == 0:
            return
        cost = self.cost.peek_due(step)
        bank = self.edge_bank[edges]
        ledger.post(
            firms.edge_customer[edges], banks.accounts[bank], face[edges], self.collection_flow
        )
        firms.payables -= firms.by_customer(face[edges], edges)
        banks.exposure[self.instrument] -= np.bincount(bank, cost[edges], minlength=banks.count)
        banks.earn(bank, face[edges] - cost[edges])
        face[edges] = 0.0
        cost[edges] = 0.0

    def take_claims_on(self, firms: Firms, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cancel the invoices of ``edges`` (a defaulting buyer's) and return face and cost.

        The buyers' payables fall by the face cancelled (the waterfall pays the claim).
        """
        face = self.face.clear_columns(edges)
        firms.payables -= firms.by_customer(face, edges)
        return face, self.cost.clear_columns(edges)

    def open_by_buyer(self, firms: Firms) -> np.ndarray:
        """Face value each firm owes the banks (for the accounting checks)."""
        return firms.by_customer(self.face.open_totals())


def open_invoices(
    book: DueBook,
    step: int,
    edges: np.ndarray,
    max_steps_left: np.ndarray | None = None,
    claimed: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Invoices of ``edges`` that can still be sold: not due now, old enough if limited.

    Args:
        book: The trade-credit book (or any per-edge due book).
        step: The current step.
        edges: The edges.
        max_steps_left: The most steps each invoice (row × edge) may have left to be sellable
            (an invoice is confirmed only once it is old enough); no limit if omitted.
        claimed: Per supply edge (all edges), what another lender is owed out of the edge's
            invoices (`FinanceRound.claimed_receivables`): the earliest due of them, due now
            or not, as the lender takes the edge's payments first, cannot be sold.

    Returns:
        The sellable face values (rows × edges) and the steps left of every row.
    """
    steps_left = book.steps_left(step)
    amounts = book.amounts[:, edges]
    claims = None if claimed is None else claimed[edges]
    if claims is not None and claims.any():
        # Each edge's claim covers its invoices in the order they fall due.
        order = np.argsort(steps_left, kind="stable")
        ahead = np.cumsum(amounts[order], axis=0) - amounts[order]  # due before each row
        covered = np.clip(claims[None, :] - ahead, 0.0, amounts[order])
        amounts = amounts.copy()
        amounts[order] -= covered
    face = amounts * (steps_left > 0)[:, None]
    if max_steps_left is not None:
        face = face * (steps_left[:, None] <= max_steps_left)
    return face, steps_left


def sale_shares(
    n_firms: int, applicants: np.ndarray, amounts: np.ndarray, proceeds: np.ndarray
) -> np.ndarray:
    """Per firm, the share of its sellable invoices to sell to raise ``amounts`` of cash.

    Args:
        n_firms: Number of firms.
        applicants: The sellers.
        amounts: Cash each wants to raise.
        proceeds: Per firm, the cash all its sellable invoices would raise.
    """
    share = np.zeros(n_firms)
    share[applicants] = amounts / np.maximum(proceeds[applicants], 1e-12)
    return np.minimum(share, 1.0)


def sell_invoices(
    r: FinanceRound,
    book: BoughtInvoices,
    edges: np.ndarray,
    sold: np.ndarray,
    factor: np.ndarray,
    steps_left: np.ndarray,
    rate: np.ndarray,
    act: FinanceActivity,
) -> np.ndarray:
    """Suppliers sell invoices of their own to the banks of ``book``, who pay them at once.

    Args:
        r: The finance round.
        book: The banks' book of bought invoices.
        edges: The edges the invoices are on (their suppliers are the sellers).
        sold: Face value sold, rows of the trade book × ``edges``.
        factor: Price of a unit of face value, same shape.
        steps_left: Steps until each row of the trade book falls due.
        rate: The annual discount rate on each edge.
        act: This step's financing figures.

    Returns:
        The cash paid for each of ``edges``.
    """
    firms = r.firms
    paid = book.buy(r.banks, edges, sold, sold * factor)
    sellers = firms.edge_supplier[edges]
    r.ledger.post(r.banks.accounts[book.edge_bank[edges]], sellers, paid, book.purchase_flow)
    age = np.maximum(r.trade.issue_terms(firms, edges) - steps_left[:, None], 0)
    r.trade.remove(edges, sold)
    face = sold.sum(axis=0)
    firms.receivables -= firms.by_supplier(face, edges)
    act.record(sellers, paid, rate, face - paid)
    days = (sold * age).sum(axis=0) / np.maximum(face, 1e-12) * r.step_days
    act.cash_in(sellers, face, days)
    return paid
