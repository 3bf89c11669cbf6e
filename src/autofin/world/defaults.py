"""Defaults and their propagation along the credit chain.

A firm that cannot pay what is due is liquidated: its inventories and receivables are sold to
the outside world at the recovery rate, the proceeds and its cash are shared pro rata among
everyone it owes (suppliers, banks, the outside world), and the unpaid rest becomes bad debt of
its suppliers and credit losses of its bank — the credit-chain propagation of Battiston et al.
(2007). Each default remembers the customer whose default left it the largest recent bad debt,
so cascades can be traced.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from autofin.world.banks import Banks
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
) -> None:
    """Default and liquidate ``debtors`` (firm indices), propagating losses to creditors.

    Secured claims (inventory loans) are paid first; everything else the debtors owe shares
    what is left pro rata.

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
        recovery_rate: Share of inventory and receivable book value the liquidation realises.
        resourcing_delay_steps: Steps until the debtor's customers find another supplier.
        finance_claims: Called as ``finance_claims(debtors, bought_edges, remember_bad_debt)``
            for the banks' claims under supply-chain-finance instruments.
    """
    debtors = np.unique(debtors)
    debtors = debtors[firms.active[debtors]]
    if debtors.size == 0:
        return
    outside = ledger.outside
    is_debtor = np.zeros(firms.n, dtype=bool)
    is_debtor[debtors] = True
    causes = chain.cause_of(step, debtors) if event == "default" else np.full(len(debtors), -1)
    bought = np.flatnonzero(is_debtor[firms.edge_customer])
    sold = np.flatnonzero(is_debtor[firms.edge_supplier] & (firms.edge_supplier != OUTSIDE))

    # 1. Sell inventories (goods on their way in included) and receivables to the outside
    #    world at the recovery rate; the debtors' customers now owe the debt buyer.
    in_transit = firms.by_customer(
        firms.in_transit.open_totals()[bought] * firms.edge_price()[bought], bought
    )
    book_value = firms.inventory_value() + in_transit + firms.receivables
    ledger.post(outside, debtors, recovery_rate * book_value[debtors], Flow.ASSET_SALE)
    trade.sell_to_outside(firms, sold)
    firms.receivables[debtors] = 0.0

    # 2. Everything the debtors owe, and the share of it their estate can pay: secured
    #    claims first, then everything else pro rata.
    extra = finance_claims(debtors, bought, partial(chain.remember_bad_debt, step))
    invoiced, outside_claims = trade.take_claims_on(debtors, bought)
    principal = banks.take_claims_on(firms, debtors)
    # Parts of suppliers' invoices assigned to banks are the banks' claims, not theirs.
    carved = np.zeros(len(firms.edge_supplier))
    for claim in extra:
        if claim.carved_from is not None:
            np.add.at(carved, claim.carved_from, claim.amount)
    edge_claims = invoiced - carved[bought]
    secured = np.zeros(firms.n)
    unsecured = np.zeros(firms.n)
    for claim in extra:
        total = secured if claim.secured else unsecured
        total += np.bincount(claim.debtor, claim.amount, minlength=firms.n)
    estate = ledger.balance[debtors].clip(0)
    secured_paid = np.minimum(estate, secured[debtors])
    secured_share = np.zeros(firms.n)
    secured_share[debtors] = np.where(
        secured[debtors] > 0, secured_paid / np.maximum(secured[debtors], 1e-12), 1.0
    )
    estate = estate - secured_paid
    claims = (
        firms.by_customer(edge_claims, bought)[debtors]
        + outside_claims
        + principal
        + unsecured[debtors]
    )
    paid_share = np.where(claims > 0, np.minimum(1.0, estate / np.maximum(claims, 1e-12)), 1.0)
    share_of = np.zeros(firms.n)
    share_of[debtors] = paid_share

    # 3. Pay creditors; the rest is bad debt and credit losses.
    for claim in extra:
        paid = claim.amount * (secured_share if claim.secured else share_of)[claim.debtor]
        ledger.post(claim.debtor, claim.creditor, paid, Flow.LIQUIDATION_PAYOUT)
        claim.settle(paid)
    edge_paid = edge_claims * share_of[firms.edge_customer[bought]]
    ledger.post(
        firms.edge_customer[bought],
        trade.creditor_accounts(firms, ledger, bought),
        edge_paid,
        Flow.LIQUIDATION_PAYOUT,
    )
    ledger.post(debtors, outside, outside_claims * paid_share, Flow.LIQUIDATION_PAYOUT)
    recovered = principal * paid_share
    ledger.post(
        debtors, banks.accounts[firms.house_bank[debtors]], recovered, Flow.LIQUIDATION_PAYOUT
    )
    ledger.post(debtors, outside, ledger.balance[debtors].clip(0), Flow.LIQUIDATION_PAYOUT)

    firms.receivables -= firms.by_supplier(invoiced, bought)
    inside = firms.edge_supplier[bought] != OUTSIDE
    chain.remember_bad_debt(
        step,
        firms.edge_supplier[bought][inside],
        firms.edge_customer[bought][inside],
        (edge_claims - edge_paid)[inside],
    )
    banks.book_defaults(firms, step, debtors, principal, recovered)
    firms.payables[debtors] = 0.0

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
