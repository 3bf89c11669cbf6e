"""Order financing: an advance against a confirmed purchase order, repaid from its invoice.

When orders arrive, a supplier whose cash plan falls short (payments due within
``cash_plan_days`` beyond its cash and the invoices it will collect in that time) asks its house
bank for an advance of up to ``advance_rate`` × the value of each new order, spread over its
orders by value. The advance, with interest, falls due when the order's invoice is paid: after
the production lead time, the transit time and the buyer's payment term. The supplier repays it
from the invoice; if the supplier defaults first the bank has a claim on its estate, and if the
buyer defaults the supplier still owes the advance (it carries its buyer's risk). The bank
underwrites on both: the advance is declined if either's scored probability of default is above
the cut-off, and priced on the chance that either defaults.
"""

from __future__ import annotations

import numpy as np

from autofin.scenario.finance_schema import OrderFinancingSpec
from autofin.world.banks import Instrument
from autofin.world.finance.context import Claim, FinanceActivity, FinanceRound
from autofin.world.firms import Firms, steps_of
from autofin.world.ledger import Flow
from autofin.world.network import OUTSIDE
from autofin.world.obligations import DueBook


class OrderFinancing:
    """Advances on confirmed orders, per supplier and due step.

    Args:
        spec: The scenario's order-financing settings.
        firms: All firms.
        horizon_steps: Longest payment term, in steps.
        step_days: Days per step.
    """

    instrument = Instrument.ORDER_FINANCING
    name = "order_financing"

    def __init__(
        self, spec: OrderFinancingSpec, firms: Firms, horizon_steps: int, step_days: int
    ) -> None:
        self.spec = spec
        self.eligible = ~firms.is_automaker & np.isin(firms.tier, spec.tiers)
        self.pipeline_steps = max(firms.lead_steps, 1) + firms.transit_steps
        self.plan_steps = max(1, steps_of(spec.cash_plan_days, step_days))
        horizon = self.pipeline_steps + horizon_steps + 1
        self.face = DueBook(firms.n, horizon)
        self.cost = DueBook(firms.n, horizon)

    def cash_plan_gap(self, r: FinanceRound, due_later: np.ndarray) -> np.ndarray:
        """Each firm's payments due within the plan horizon beyond cash and collections.

        Args:
            r: The finance round.
            due_later: Every other obligation of each firm falling due within the horizon
                (loans, other instruments), from the model.
        """
        firms, trade = r.firms, r.trade
        steps = self.plan_steps
        payments = (
            firms.by_customer(trade.edge_book.due_within(r.step, steps))
            + trade.outside_book.due_within(r.step, steps)
            + (firms.wages_due + firms.fixed_cost_per_step) * steps
            + self.face.due_within(r.step, steps)
            + due_later
        )
        collections = firms.by_supplier(trade.edge_book.due_within(r.step + 1, steps))
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
            exposure: What each firm already owes the banks, all instruments.
            act: This step's financing figures.
        """
        firms, banks = r.firms, r.banks
        supplier = firms.edge_supplier
        inside = supplier != OUTSIDE
        borrower = supplier.clip(0)
        wants = inside & (edge_value > 0) & self.eligible[borrower] & firms.active[borrower]
        wants &= gap[borrower] > 0
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
        scale = np.minimum(1.0, room / np.maximum(per_firm, 1e-12))
        ask = ask * scale[seller]
        ask = banks.fit_in_capacity(bank, ask, r.capacity)
        keep = ask > 0
        edges, seller, bank, ask, risk = (
            edges[keep],
            seller[keep],
            bank[keep],
            ask[keep],
            risk[keep],
        )
        if edges.size == 0:
            return
        rate = banks.price(risk, bank, r.ledger, margin=self.spec.spread)
        delay = np.minimum(
            self.pipeline_steps + firms.edge_term_steps[edges], self.face.horizon - 1
        )
        face = ask * (1.0 + rate * delay * r.step_years)
        r.ledger.post(banks.accounts[bank], seller, ask, Flow.ORDER_FINANCING_ADVANCE)
        self.face.book(r.step, delay, seller, face)
        self.cost.book(r.step, delay, seller, ask)
        banks.exposure[self.instrument] += np.bincount(bank, ask, minlength=banks.count)
        banks.lending_round.record(self.instrument, ask, rate)
        act.record(seller, ask, rate, face - ask, firms.n)

    def due_now(self, firms: Firms, step: int) -> np.ndarray:
        """Advances (with interest) each supplier repays now."""
        return self.face.peek_due(step)

    def due_within(self, step: int, steps: int) -> np.ndarray:
        """Advances falling due within ``steps`` steps, per firm."""
        return self.face.due_within(step, steps)

    def collect(self, r: FinanceRound, payers: np.ndarray) -> None:
        """Suppliers in ``payers`` (a mask) repay the advances due now."""
        face, cost = self.face.peek_due(r.step), self.cost.peek_due(r.step)
        paying = np.flatnonzero(payers & (face > 0))
        if paying.size == 0:
            return
        bank = r.firms.house_bank[paying]
        r.ledger.post(paying, r.banks.accounts[bank], face[paying], Flow.ORDER_FINANCING_REPAYMENT)
        r.banks.exposure[self.instrument] -= np.bincount(
            bank, cost[paying], minlength=r.banks.count
        )
        r.banks.earn(bank, face[paying] - cost[paying])
        face[paying] = 0.0
        cost[paying] = 0.0

    def claims_on(self, r: FinanceRound, debtors: np.ndarray) -> list[Claim]:
        """The banks' claims on defaulting suppliers: every advance not yet repaid."""
        face = self.face.clear_columns(debtors)
        cost = self.cost.clear_columns(debtors)
        bank = r.firms.house_bank[debtors]

        def settle(paid: np.ndarray) -> None:
            r.banks.recognise_default(self.instrument, bank, cost, paid, r.step)

        return [Claim(debtors, r.banks.accounts[bank], face, False, settle)]

    def owed(self) -> np.ndarray:
        """Face value each firm owes (for concentration limits)."""
        return self.face.open_totals()

    def carrying(self, firms: Firms, banks_count: int) -> np.ndarray:
        """Carrying value per bank from the books (for the accounting checks)."""
        return np.bincount(firms.house_bank, self.cost.open_totals(), minlength=banks_count)
