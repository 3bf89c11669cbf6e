"""Order financing: an advance against a confirmed purchase order, repaid from its invoice.

When orders arrive, a supplier whose cash plan falls short (payments due within
``cash_plan_days`` beyond its cash and the invoices it collects in that time) asks its house
bank for an advance of up to ``advance_rate`` × the value of each new order, spread over its
orders by value. The advance, with interest, falls due when the order's invoice is expected to
be paid: after the production lead time, the transit time and the buyer's payment term. From
then on the invoice repays it: when the buyer pays invoices on that edge, the bank takes what
has fallen due on the edge out of the payment first (the order was assigned to it). Whatever
the invoices have not repaid ``repayment_grace_days`` after it fell due is owed by the supplier
itself.

The supplier carries its buyer's risk: if the buyer defaults, the supplier still owes the
advance; if the supplier defaults first, the bank has an unsecured claim on its estate. The bank
underwrites both: it declines if either scores above the cut-off, and prices on the chance that
either defaults.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from autofin.scenario.finance_schema import OrderFinancingSpec
from autofin.world.banks import Instrument
from autofin.world.estate import Collateral
from autofin.world.finance.context import Claim, FinanceActivity, FinanceRound, supplier_tiers
from autofin.world.firms import Firms, steps_of
from autofin.world.ledger import Flow
from autofin.world.network import OUTSIDE
from autofin.world.obligations import DueBook


class OrderFinancing:
    """Advances on confirmed orders, owed per supply edge.

    Args:
        spec: The scenario's order-financing settings.
        firms: All firms.
        step_days: Days per step.
    """

    instrument = Instrument.ORDER_FINANCING
    name = "order_financing"

    def __init__(
        self, spec: OrderFinancingSpec, firms: Firms, step_days: int, horizon_steps: int
    ) -> None:
        self.spec = spec
        self.tiers = supplier_tiers(spec.tiers, firms)
        self.eligible = ~firms.is_automaker & np.isin(firms.tier, self.tiers)
        self.debtor_tiers = set(self.tiers)
        self.pipeline_steps = max(firms.lead_steps, 1) + firms.transit_steps
        self.plan_steps = max(1, steps_of(spec.cash_plan_days, step_days))
        self.grace_steps = steps_of(spec.repayment_grace_days, step_days)
        n_edges = len(firms.edge_supplier)
        # Advances not yet due, by the step their order's invoice is expected to be paid.
        self.pending_face = DueBook(n_edges, self.pipeline_steps + horizon_steps)
        self.pending_cost = DueBook(n_edges, self.pipeline_steps + horizon_steps)
        # Advances due, per edge: what invoices on the edge repay first.
        self.face = np.zeros(n_edges)  # owed, interest included
        self.cost = np.zeros(n_edges)  # the principal advanced: the bank's carrying value
        self.deadline = np.zeros(n_edges, dtype=np.int64)
        self.edge_bank = np.zeros(n_edges, dtype=np.int64)
        self.repaid_from_invoices = np.zeros(firms.n)  # this step, per supplier
        self.overdue = np.zeros(0, dtype=np.int64)  # edges past their deadline this step

    def cash_plan_gap(self, r: FinanceRound, due_later: np.ndarray) -> np.ndarray:
        """Each firm's payments due within the plan horizon beyond cash and collections.

        Args:
            r: The finance round.
            due_later: Bank-loan principal and interest of each firm falling due within the
                horizon, from the model.
        """
        firms, trade = r.firms, r.trade
        steps = self.plan_steps
        invoices = trade.edge_book.due_within(r.step, steps)
        payments = (
            firms.by_customer(invoices)
            + trade.outside_book.due_within(r.step, steps)
            + (firms.wages_due + firms.fixed_cost_per_step) * steps
            + due_later
        )
        collections = firms.by_supplier(invoices)
        cash = r.ledger.balance[: firms.n]
        return np.maximum(payments - collections - cash, 0.0)

    def on_orders(
        self,
        r: FinanceRound,
        edge_value: np.ndarray,
        gap: np.ndarray,
        exposure: np.ndarray,
        act: FinanceActivity,
    ) -> None:
        """Advance against the orders that arrived this step, as far as the cash plan needs.

        Args:
            r: The finance round.
            edge_value: Value of the orders placed on each edge this step.
            gap: Each firm's cash-plan gap (see `cash_plan_gap`).
            exposure: What each firm already owes the banks, all instruments (the advances
                are added to it).
            act: This step's financing figures.
        """
        firms, banks = r.firms, r.banks
        supplier = firms.edge_supplier
        borrower = supplier.clip(0)
        wants = (supplier != OUTSIDE) & (edge_value > 0) & self.eligible[borrower]
        wants &= firms.active[borrower] & (gap[borrower] > 0)
        edges = np.flatnonzero(wants)
        if edges.size == 0:
            return
        seller, buyer = supplier[edges], firms.edge_customer[edges]
        value = edge_value[edges]
        orders_value = np.bincount(seller, value, minlength=firms.n)
        ask = np.minimum(self.spec.advance_rate * value, gap[seller] * value / orders_value[seller])
        cutoff = banks.spec.max_probability_of_default
        approved = (r.pd[seller] <= cutoff) & (r.pd[buyer] <= cutoff)
        ask = np.where(approved, ask, 0.0)
        # The advance is lost if the supplier defaults, or if its buyer does and it cannot pay.
        risk = 1.0 - (1.0 - r.pd[seller]) * (1.0 - r.pd[buyer])
        bank = firms.house_bank[seller]
        room = banks.concentration_room(r.ledger, firms.house_bank, exposure)
        per_firm = np.bincount(seller, ask, minlength=firms.n)
        ask = ask * np.minimum(1.0, room / np.maximum(per_firm, 1e-12))[seller]
        ask = banks.fit_in_capacity(bank, ask, r.capacity)
        keep = ask > 0
        edges, seller, bank, ask, risk = (x[keep] for x in (edges, seller, bank, ask, risk))
        if edges.size == 0:
            return
        rate = banks.price(risk, bank, r.ledger, margin=self.spec.spread)
        expected = self.pipeline_steps + firms.edge_term_steps[edges]
        face = ask * (1.0 + rate * expected * r.step_years)
        r.ledger.post(banks.accounts[bank], seller, ask, Flow.ORDER_FINANCING_ADVANCE)
        self.pending_face.book(r.step, expected, edges, face)
        self.pending_cost.book(r.step, expected, edges, ask)
        self.edge_bank[edges] = bank
        banks.exposure[self.instrument] += np.bincount(bank, ask, minlength=banks.count)
        exposure += np.bincount(seller, face, minlength=firms.n)
        banks.lending_round.record(self.instrument, ask, rate)
        act.record(seller, ask, rate, face - ask)

    def repay_from_invoices(self, r: FinanceRound, edges: np.ndarray, paid: np.ndarray) -> None:
        """The bank takes what has fallen due on ``edges`` out of the invoice payments."""
        owed = np.flatnonzero(self.face[edges] > 0)
        if owed.size == 0:
            return
        edges, paid = edges[owed], paid[owed]
        amount = np.minimum(self.face[edges], paid)
        self._repay(r, edges, amount)
        self.repaid_from_invoices += r.firms.by_supplier(amount, edges)

    def _repay(self, r: FinanceRound, edges: np.ndarray, amount: np.ndarray) -> None:
        share = amount / np.maximum(self.face[edges], 1e-300)
        carrying = self.cost[edges] * share
        bank = self.edge_bank[edges]
        r.ledger.post(
            r.firms.edge_supplier[edges],
            r.banks.accounts[bank],
            amount,
            Flow.ORDER_FINANCING_REPAYMENT,
        )
        r.banks.exposure[self.instrument] -= np.bincount(bank, carrying, minlength=r.banks.count)
        r.banks.earn(bank, amount - carrying)
        self.face[edges] -= amount
        self.cost[edges] -= carrying
        done = share >= 1.0
        self.face[edges[done]] = 0.0
        self.cost[edges[done]] = 0.0

    def start_step(self, step: int) -> None:
        """Advances whose invoice is expected now fall due; find those past their deadline."""
        self.repaid_from_invoices[:] = 0.0
        face, cost = self.pending_face.take_due(step), self.pending_cost.take_due(step)
        starting = (face > 0) & (self.face <= 0)
        self.deadline[starting] = step + self.grace_steps
        self.face += face
        self.cost += cost
        self.overdue = np.flatnonzero((self.face > 0) & (self.deadline <= step))

    def _overdue(self) -> np.ndarray:
        """Edges past their deadline this step that still owe something."""
        return self.overdue[self.face[self.overdue] > 0]

    def serves_tier(self, tier: int) -> bool:
        """Order financing is not drawn on demand: advances are taken as orders are placed."""
        return False

    def rates(self, r: FinanceRound, applicants: np.ndarray) -> np.ndarray:
        """Not drawn on demand (infinite cost)."""
        return np.full(applicants.size, np.inf)

    def quote(self, r: FinanceRound, applicants: np.ndarray, need: np.ndarray) -> np.ndarray:
        """Nothing on demand: advances follow orders (`on_orders`)."""
        return np.zeros(applicants.size)

    def take(
        self, r: FinanceRound, applicants: np.ndarray, amounts: np.ndarray, act: FinanceActivity
    ) -> None:
        """Nothing to take on demand (see `quote`)."""

    def due_now(self, firms: Firms, step: int) -> np.ndarray:
        """Advances the invoices have not repaid by their deadline, owed by each supplier."""
        overdue = self._overdue()
        return firms.by_supplier(self.face[overdue], overdue)

    def collect(self, r: FinanceRound, payers: np.ndarray) -> None:
        """Suppliers in ``payers`` (a mask) repay overdue advances from their own cash."""
        overdue = self._overdue()
        overdue = overdue[payers[r.firms.edge_supplier[overdue]]]
        if overdue.size:
            self._repay(r, overdue, self.face[overdue].copy())

    def claims_on(
        self,
        r: FinanceRound,
        debtors: np.ndarray,
        bought: np.ndarray,
        remember_bad_debt: Callable[[np.ndarray, np.ndarray, np.ndarray], None],
    ) -> list[Claim]:
        """The banks' claims on defaulting firms.

        On a defaulting supplier, every advance not yet repaid. On a defaulting buyer, when
        the bank carries the buyer's risk, the advances on the orders it placed: the bank
        claims on the buyer's estate in the supplier's place, up to what the supplier has
        invoiced, and the supplier no longer owes them.
        """
        claims = self._claims_as_buyer(r, bought) if self.spec.buyer_risk == "bank" else []
        return claims + self._claims_as_seller(r, debtors)

    def _claims_as_buyer(self, r: FinanceRound, bought: np.ndarray) -> list[Claim]:
        supplier = r.firms.edge_supplier[bought]
        bought = bought[supplier != OUTSIDE]
        face = self.face[bought] + self.pending_face.clear_columns(bought)
        cost = self.cost[bought] + self.pending_cost.clear_columns(bought)
        self.face[bought] = 0.0
        self.cost[bought] = 0.0
        owed = face > 0
        bought, face, cost = bought[owed], face[owed], cost[owed]
        invoiced = r.trade.edge_book.open_totals_of(bought)
        assigned = np.minimum(face, invoiced)
        bank = self.edge_bank[bought]

        def settle(paid: np.ndarray) -> None:
            r.banks.recognise_default(self.instrument, bank, cost, paid, r.step)

        return [
            Claim(
                r.firms.edge_customer[bought],
                r.banks.accounts[bank],
                assigned,
                Collateral.UNSECURED,
                settle,
                carved_from=bought,
                instrument=self.instrument,
            )
        ]

    def _claims_as_seller(self, r: FinanceRound, debtors: np.ndarray) -> list[Claim]:
        is_debtor = np.zeros(r.firms.n, dtype=bool)
        is_debtor[debtors] = True
        supplier = r.firms.edge_supplier
        edges = np.flatnonzero((supplier != OUTSIDE) & is_debtor[supplier.clip(0)])
        face = self.face[edges] + self.pending_face.clear_columns(edges)
        cost = self.cost[edges] + self.pending_cost.clear_columns(edges)
        self.face[edges] = 0.0
        self.cost[edges] = 0.0
        owed = face > 0
        edges, face, cost = edges[owed], face[owed], cost[owed]
        bank = self.edge_bank[edges]

        def settle(paid: np.ndarray) -> None:
            r.banks.recognise_default(self.instrument, bank, cost, paid, r.step)

        # Secured on the edges' invoices assigned to the bank (the estate's assigned receivables).
        return [
            Claim(
                supplier[edges],
                r.banks.accounts[bank],
                face,
                Collateral.ASSIGNED_RECEIVABLES,
                settle,
                instrument=self.instrument,
            )
        ]

    def owed_per_edge(self) -> np.ndarray:
        """What is owed on each supply edge, due or not yet: a claim on its invoices."""
        return self.face + self.pending_face.open_totals()

    def owed(self, firms: Firms) -> np.ndarray:
        """What each firm owes, due or not yet (for concentration limits)."""
        return firms.by_supplier(self.owed_per_edge())

    def carrying(self, firms: Firms, banks_count: int) -> np.ndarray:
        """Carrying value per bank from the books (for the accounting checks)."""
        cost = self.cost + self.pending_cost.open_totals()
        return np.bincount(self.edge_bank, cost, minlength=banks_count)
