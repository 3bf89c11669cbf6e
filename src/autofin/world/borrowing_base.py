"""Eligible receivables: the trade invoices a credit line's borrowing base may lend against.

An asset-based lender lends a share of a borrower's *eligible* receivables, not of all it is
owed. Two exclusions can be read off the books:

- **Claimed by another lender.** Order financing assigns an edge's invoices to the bank that
  advanced against the edge's orders: that bank takes what it is owed out of the edge's next
  invoice payments, so the edge's open invoices, up to what it is owed, are its collateral,
  not the line's. (Invoices sold under factoring or reverse factoring already leave the
  seller's receivables and the trade book when they are sold; defaulted buyers' invoices
  leave them when the buyer defaults.)
- **Long past due.** A buyer that cannot pay rolls its due invoices over step by step (trade
  credit's arrears), so the book no longer knows an invoice's age once it is late; the
  buyer's time in arrears gives the age of its oldest unpaid invoice. Once that is beyond
  `banks.ineligible_days_past_due`, every open invoice of that buyer is ineligible, as
  lenders' cross-ageing rules exclude the whole account of a customer that long late.
"""

from __future__ import annotations

import numpy as np

from autofin.world.firms import Firms
from autofin.world.trade_credit import TradeCredit


def eligible_receivables(
    firms: Firms,
    trade: TradeCredit,
    claimed: np.ndarray | None,
    past_due_days: float,
    step_days: int,
) -> np.ndarray:
    """Each firm's trade receivables less those a credit line may not lend against.

    Args:
        firms: All firms.
        trade: The trade-credit book (open invoices per supply edge).
        claimed: Per supply edge, what another lender is owed out of the edge's invoices
            (None: nothing).
        past_due_days: A buyer whose oldest unpaid invoice is more than this many days past
            due has every open invoice excluded.
        step_days: Days per step.

    Returns:
        Eligible receivables per firm (never below zero).
    """
    long_late = firms.days_past_due(step_days) > past_due_days
    if claimed is None and not long_late.any():  # the usual step: every receivable counts
        return firms.receivables.copy()
    late_edge = long_late[firms.edge_customer]
    held = late_edge if claimed is None else late_edge | (claimed > 0)
    edges = np.flatnonzero(held & (firms.edge_supplier >= 0))
    if edges.size == 0:
        return firms.receivables.copy()
    open_invoices = trade.edge_book.open_totals_of(edges)
    if claimed is None:
        excluded = open_invoices
    else:
        excluded = np.where(
            late_edge[edges], open_invoices, np.minimum(open_invoices, claimed[edges])
        )
    return np.maximum(firms.receivables - firms.by_supplier(excluded, edges), 0.0)
