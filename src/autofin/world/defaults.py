"""Defaults and their propagation along the credit chain.

A firm that cannot pay what is due is liquidated: its estate is realised and shared among
everyone it owes by the waterfall of `world/estate.py` (inventory lenders first from their
collateral; suppliers, banks and the outside world pro rata), and the unpaid rest becomes bad
debt of its suppliers and credit losses of its banks — the credit-chain propagation of
Battiston et al. (2007). Each default remembers the customer whose default left it the largest
recent bad debt, so cascades can be traced.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from autofin.world.banks import Banks
from autofin.world.estate import Claims, Estate, waterfall
from autofin.world.finance.context import Claim
from autofin.world.firms import Firms
from autofin.world.ledger import Flow, Ledger
from autofin.world.network import OUTSIDE
from autofin.world.trade_credit import TradeCredit


@dataclass
class DefaultEvent:
    """One firm's default."""

    step: int
    firm: int
    event: str
    cause: int
    reason: str


@dataclass
class CreditChain:
    """Memory of bad debt per firm, to attribute defaults to the defaults that caused them."""

    n_firms: int
    cause_window_steps: int
    bad_debt_source: np.ndarray = field(init=False)
    bad_debt_amount: np.ndarray = field(init=False)
    bad_debt_step: np.ndarray = field(init=False)
    bad_debt_in_step: float = 0.0
    events: list[DefaultEvent] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.bad_debt_source = np.full(self.n_firms, -1, dtype=np.int64)
        self.bad_debt_amount = np.zeros(self.n_firms)
        self.bad_debt_step = np.full(self.n_firms, -(10**9), dtype=np.int64)

    def remember_bad_debt(
        self, step: int, creditor: np.ndarray, debtor: np.ndarray, loss: np.ndarray
    ) -> None:
        """Keep, per creditor, the debtor that left it the largest recent bad debt."""
        self.bad_debt_in_step += float(loss.sum())
        recent = (step - self.bad_debt_step[creditor]) <= self.cause_window_steps
        larger = (loss > 0) & (~recent | (loss >= self.bad_debt_amount[creditor]))
        creditor, debtor, loss = creditor[larger], debtor[larger], loss[larger]
        order = np.argsort(loss, kind="stable")  # the largest is written last and wins
        self.bad_debt_source[creditor[order]] = debtor[order]
        self.bad_debt_amount[creditor[order]] = loss[order]
        self.bad_debt_step[creditor[order]] = step

    def cause_of(self, step: int, firms: np.ndarray) -> np.ndarray:
        """The recent bad-debt source of each firm, or -1."""
        recent = (step - self.bad_debt_step[firms]) <= self.cause_window_steps
        return np.where(recent, self.bad_debt_source[firms], -1)


def liquidate(
    debtors: np.ndarray,
    event: str,
    reason: str,
    step: int,
    firms: Firms,
    ledger: Ledger,
    trade: TradeCredit,
    banks: Banks,
    chain: CreditChain,
    recovery_rate: float,
    resourcing_delay_steps: int,
    finance_claims: Callable[..., list[Claim]],
    obligor_pd: np.ndarray | None = None,
    fixed_asset_rate: float = 0.0,
    claimed: np.ndarray | None = None,
) -> None:
    """Default and liquidate ``debtors`` (firm indices), propagating losses to creditors.

    The estate is realised (`world/estate.py`): cash, receivables sold to the outside world
    at their expected-collection price, inventories (goods on their way in included) at
    ``recovery_rate`` and fixed assets at ``fixed_asset_rate``. The waterfall pays each secured
    lender from its collateral's proceeds first: the order-financing bank from the invoices
    assigned to it (``claimed``), the credit line from the other receivables (its borrowing
    base), inventory lenders from the inventories, capacity lenders from the plant. Their
    shortfalls and every other claim (the banks' other instruments, trade creditors, the
    outside world) share the rest pro rata as one general class; anything left goes to the
    owners. Trade creditors and the
    outside world are paid at once; the banks' recoveries are paid when the workout ends
    (`Banks.await_recovery`): until then the closed firm's account holds them.

    Args:
        debtors: Firms that default now.
        event: Event name to log (``default`` or ``forced_default``).
        reason: Why: ``illiquid``, ``insolvent`` or ``forced``.
        step: The current step.
        firms: All firms.
        ledger: The ledger.
        trade: Open invoices.
        banks: The banks.
        chain: Bad-debt memory and the event log.
        recovery_rate: Share of inventory book value the liquidation realises.
        resourcing_delay_steps: Steps until the debtor's customers find another supplier.
        finance_claims: Called as ``finance_claims(debtors, bought_edges, remember_bad_debt)``
            for the banks' claims under every instrument, credit lines included.
        obligor_pd: Annual probability of default of every firm as the banks scored it, for
            the expected-collection price of receivables (None: collected in full).
        fixed_asset_rate: Share of fixed assets' book value the liquidation realises.
        claimed: Per supply edge, what a lender is owed out of the edge's invoices (order
            financing); that much of the edge's open invoices is assigned to it. None: nothing.
    """
    debtors = np.unique(debtors)
    debtors = debtors[firms.active[debtors]]
    if debtors.size == 0:
        return
    outside = ledger.outside
    is_debtor = np.zeros(firms.n, dtype=bool)
    is_debtor[debtors] = True
    position = np.full(firms.n, -1, dtype=np.int64)
    position[debtors] = np.arange(debtors.size)
    causes = chain.cause_of(step, debtors) if event == "default" else np.full(len(debtors), -1)
    bought = np.flatnonzero(is_debtor[firms.edge_customer])
    sold = np.flatnonzero(is_debtor[firms.edge_supplier] & (firms.edge_supplier != OUTSIDE))

    # 1. The estate: what the debtors own, and what selling it realises.
    in_transit = firms.by_customer(
        firms.in_transit.open_totals_of(bought) * firms.edge_price()[bought], bought
    )
    face = trade.edge_book.open_totals_of(sold)
    rate = collection_rate(firms, sold, obligor_pd, banks)
    receivables = firms.receivables[debtors]
    price = firms.by_supplier(face * rate, sold)[debtors]
    # Invoices assigned to an order-financing bank (up to what it is owed on each edge) are
    # its collateral, each at its own buyer's price; the line's are the rest.
    held_face = held_price = np.zeros(debtors.size)
    if claimed is not None:
        held = np.minimum(face, claimed[sold])
        held_face = firms.by_supplier(held, sold)[debtors]
        held_price = firms.by_supplier(held * rate, sold)[debtors]
    assigned = np.minimum(held_face, receivables)
    assigned_price = np.minimum(held_price, price)
    free = receivables - assigned
    estate = Estate(
        cash=ledger.balance[debtors].clip(0),
        receivables=free,
        assigned_receivables=assigned,
        assigned_collection_rate=np.where(
            assigned > 0, assigned_price / np.maximum(assigned, 1e-12), 1.0
        ),
        inventory=firms.inventory_value(rows=debtors) + in_transit[debtors],
        fixed_assets=firms.fixed_assets[debtors],
        collection_rate=np.where(free > 0, (price - assigned_price) / np.maximum(free, 1e-12), 1.0),
        inventory_rate=recovery_rate,
        fixed_asset_rate=fixed_asset_rate,
    )
    proceeds = estate.proceeds()
    ledger.post(outside, debtors, proceeds[1:].sum(axis=0), Flow.ASSET_SALE)
    trade.sell_to_outside(firms, sold)

    # 2. Everything the debtors owe: the banks (credit lines and every other instrument),
    #    trade creditors (less what they assigned to banks) and the outside world.
    extra = finance_claims(debtors, bought, partial(chain.remember_bad_debt, step))
    invoiced, outside_claims = trade.take_claims_on(firms, debtors, bought)
    carved = np.zeros(len(firms.edge_supplier))
    for claim in extra:
        if claim.carved_from is not None:
            np.add.at(carved, claim.carved_from, claim.amount)
    edge_claims = np.maximum(invoiced - carved[bought], 0.0)
    everyone = np.arange(debtors.size)
    # Running totals can sit a rounding error below zero: a claim of nothing.
    parts = [Claims.of(position[c.debtor], c.amount.clip(0), c.collateral) for c in extra]
    parts += [
        Claims.of(position[firms.edge_customer[bought]], edge_claims),
        Claims.of(everyone, outside_claims.clip(0)),
    ]
    payout = waterfall(estate, Claims.concat(parts))

    # 3. Pay creditors (banks after the workout); the rest is bad debt and credit losses.
    start = 0
    for claim in extra:
        paid = payout.paid[start : start + claim.amount.size]
        start += claim.amount.size
        banks.await_recovery(
            step, claim.instrument, claim.debtor, claim.creditor - banks.accounts[0], paid
        )
        claim.settle(paid)
    edge_paid = payout.paid[start : start + bought.size]
    start += bought.size
    ledger.post(
        firms.edge_customer[bought],
        trade.creditor_accounts(firms, ledger, bought),
        edge_paid,
        Flow.LIQUIDATION_PAYOUT,
    )
    ledger.post(debtors, outside, payout.paid[start:], Flow.LIQUIDATION_PAYOUT)
    ledger.post(debtors, outside, payout.residual, Flow.LIQUIDATION_PAYOUT)

    inside = firms.edge_supplier[bought] != OUTSIDE
    chain.remember_bad_debt(
        step,
        firms.edge_supplier[bought][inside],
        firms.edge_customer[bought][inside],
        (edge_claims - edge_paid)[inside],
    )

    # 4. The firm stops: no stock, no orders, its customers must re-source.
    firms.active[debtors] = False
    firms.clear_inputs(debtors)
    firms.output_inventory[debtors] = 0.0
    firms.work_in_progress.clear_columns(debtors)
    firms.wages_due[debtors] = 0.0
    firms.in_transit.clear_columns(bought)
    firms.cancel_orders(bought)
    firms.cancel_orders(sold)
    firms.edge_live[bought] = False
    firms.edge_backlog[bought] = 0.0
    firms.edge_live[sold] = False
    firms.edge_backlog[sold] = 0.0
    firms.edge_resource_step[sold] = step + max(resourcing_delay_steps, 1)
    chain.events.extend(
        DefaultEvent(step, int(firm), event, int(cause), reason)
        for firm, cause in zip(debtors, causes, strict=True)
    )


def collection_rate(
    firms: Firms, edges: np.ndarray, obligor_pd: np.ndarray | None, banks: Banks
) -> np.ndarray:
    """Share of the open invoices of ``edges`` a buyer of them expects to collect.

    1 − (the customer's probability of default over the invoice term) × loss given default,
    with the banks' scored annual PD of each customer and their loss given default; the
    outside world (no score) pays in full. The term is the edge's payment term, an upper bound
    of the time left on its open invoices.
    """
    if obligor_pd is None or edges.size == 0:
        return np.ones(edges.size)
    customer = firms.edge_customer[edges]
    years = firms.edge_term_steps[edges] * banks.step_years
    annual = np.where(customer >= 0, obligor_pd[customer.clip(0)], 0.0)
    over_term = -np.expm1(years * np.log1p(-np.minimum(annual, 1.0 - 1e-12)))
    return 1.0 - over_term * banks.spec.loss_given_default
