"""Supply-chain finance: one module per instrument, and how firms choose among them.

`SupplyChainFinance` holds every instrument the scenario switches on and answers the model's
questions: what each firm owes now, how a firm short of cash raises it, what banks are owed by
a defaulting firm. Every instrument implements `FinanceInstrument` (``context.py``): the
credit line (``credit_line.py``), ``order_financing.py``, ``inventory_financing.py``,
``factoring.py``, ``reverse_factoring.py``, ``syndicated.py`` and ``capacity_loans.py`` (term
or syndicated loans for suppliers' new capacity); payment-term policies are in
``payment_terms.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from autofin.scenario.finance_schema import FinanceSpec, ReverseFactoringSpec
from autofin.world.banks import Banks, Instrument
from autofin.world.borrowing_base import eligible_receivables
from autofin.world.finance.capacity_loans import CapacityLoans
from autofin.world.finance.context import Claim, FinanceActivity, FinanceInstrument, FinanceRound
from autofin.world.finance.credit_line import CreditLine
from autofin.world.finance.factoring import Factoring
from autofin.world.finance.inventory_financing import InventoryFinancing
from autofin.world.finance.order_financing import OrderFinancing
from autofin.world.finance.payment_terms import PaymentTermPolicy
from autofin.world.finance.reverse_factoring import Platform
from autofin.world.finance.syndicated import SyndicatedLoan
from autofin.world.firms import Firms
from autofin.world.ledger import Ledger
from autofin.world.trade_credit import TradeCredit

__all__ = ["Claim", "FinanceActivity", "FinanceInstrument", "FinanceRound", "SupplyChainFinance"]

EPSILON = 1e-6


class SupplyChainFinance:
    """Every instrument of the scenario, and the firms' choice among them.

    Args:
        spec: The scenario's finance section.
        firms: All firms.
        banks: The banks.
        step_days: Days per step.
        horizon_steps: Longest payment term (any time in the run), in steps.
        borrowing_buffer: Extra asked of a bank loan above the shortfall, as a share of it.
        rng: The platforms' random stream (which suppliers each onboards).
    """

    def __init__(
        self,
        spec: FinanceSpec,
        firms: Firms,
        banks: Banks,
        step_days: int,
        horizon_steps: int,
        borrowing_buffer: float,
        rng: np.random.Generator,
    ) -> None:
        self.spec = spec
        self.step_days = step_days
        self.horizon_steps = horizon_steps
        self.borrowing_buffer = borrowing_buffer
        self.order_financing = (
            OrderFinancing(spec.order_financing, firms, step_days, horizon_steps)
            if spec.order_financing
            else None
        )
        self.inventory = (
            InventoryFinancing(spec.inventory_financing, firms)
            if spec.inventory_financing
            else None
        )
        self.factoring = (
            Factoring(spec.factoring, firms, horizon_steps, banks.count) if spec.factoring else None
        )
        self.platforms = [
            Platform(p, firms, horizon_steps, step_days, rng) for p in spec.reverse_factoring
        ]
        self.syndicated = [SyndicatedLoan(s, firms, step_days) for s in spec.syndicated_loans]
        self.terms = PaymentTermPolicy(spec.payment_terms, firms, step_days)
        if self.factoring is not None:
            # Invoices on a platform are discounted there, not factored.
            for platform in self.platforms:
                on_platform = platform.onboarded[firms.edge_supplier[platform.sponsor_edges]]
                self.factoring.edge_eligible[platform.sponsor_edges[on_platform]] = False
        self.activity = FinanceActivity.empty(firms.n)
        self.round: FinanceRound | None = None
        self._choices_by_tier: dict[int, list[FinanceInstrument]] = {}
        self.credit_line = CreditLine(banks, borrowing_buffer, banks.term_steps * banks.step_years)
        self.capacity_loans: CapacityLoans | None = None
        """Term or syndicated loans for new capacity (set by the model when the scenario
        finances capacity that way; `world/capacity.py` takes them)."""

    def add_platform(
        self, spec: ReverseFactoringSpec, firms: Firms, rng: np.random.Generator
    ) -> None:
        """Open a reverse-factoring platform in a running model (from the next step on)."""
        platform = Platform(spec, firms, self.horizon_steps, self.step_days, rng)
        self.platforms.append(platform)
        if self.factoring is not None:
            on_platform = platform.onboarded[firms.edge_supplier[platform.sponsor_edges]]
            self.factoring.edge_eligible[platform.sponsor_edges[on_platform]] = False
        if platform.name not in self.spec.preference:
            preference = [platform.name, *self.spec.preference]
            self.spec = self.spec.model_copy(update={"preference": preference})
        self._choices_by_tier.clear()

    # ------------------------------------------------------------------ the instruments
    @property
    def instruments(self) -> list[FinanceInstrument]:
        """Every supply-chain-finance instrument switched on.

        The credit line is apart (`credit_line`): its dues can fall into arrears, and the step
        settles them with the trade invoices.
        """
        found = [self.order_financing, self.inventory, self.factoring, self.capacity_loans]
        return [i for i in found if i is not None] + self.platforms + self.syndicated

    def _choices(self, tier: int | None = None) -> list[FinanceInstrument]:
        """Instruments a firm (of ``tier``, if given) short of cash draws on, in order."""
        by_name: dict[str, list[FinanceInstrument]] = {
            "reverse_factoring": list(self.platforms),
            "factoring": [self.factoring] if self.factoring else [],
            "inventory_financing": [self.inventory] if self.inventory else [],
            self.credit_line.name: [self.credit_line],
        }
        # A committed syndicated facility comes first for its borrower.
        choices = list(self.syndicated) + [
            i for name in self.spec.preference for i in by_name[name]
        ]
        if tier is None:
            return choices
        if tier not in self._choices_by_tier:
            self._choices_by_tier[tier] = [c for c in choices if c.serves_tier(tier)]
        return self._choices_by_tier[tier]

    # ------------------------------------------------------------------ the step
    def start_step(
        self,
        step: int,
        firms: Firms,
        ledger: Ledger,
        banks: Banks,
        trade: TradeCredit,
    ) -> None:
        """Terms that change now; banks score every firm and review its line if it is due."""
        self.terms.apply(firms, step)
        everyone = np.arange(firms.n)
        cash = ledger.balance[: firms.n]
        leverage = firms.leverage(cash)
        pd = banks.scoring.score(firms, cash, everyone, banks.part_bank, leverage)
        eligible = self.eligible_receivables(firms, trade, banks)
        term_debt = None if self.capacity_loans is None else self.capacity_loans.owed(firms)
        banks.review_lines(firms, ledger, step, pd, leverage, eligible, firms.own_funds(term_debt))
        banks.classify(firms, pd, self.step_days)
        # Concentration limits are checked against what each firm owed at the start of the
        # step, plus what it raises during it.
        self.round = FinanceRound(
            step,
            self.step_days,
            firms,
            ledger,
            banks,
            trade,
            pd,
            banks.capacity(ledger),
            self.exposure(firms),
            self.claimed_receivables,
        )
        self.activity = FinanceActivity.empty(firms.n)
        if self.inventory is not None:
            self.activity.margin_calls = self.inventory.start_step(self.round)
        if self.order_financing is not None:
            self.order_financing.start_step(step)
        for facility in self.syndicated:
            facility.start_step(self.round, self.activity)
        if self.capacity_loans is not None:
            self.capacity_loans.start_step(self.round)

    def claimed_receivables(self) -> np.ndarray | None:
        """Per supply edge, what a lender is owed out of the edge's invoices (None: nothing).

        Order-financing advances are claims on their edges' invoices: what is owed on an
        edge, due or not yet, is the order-financing bank's collateral, up to the edge's
        open invoices. The credit line neither lends against it nor is secured on it.
        """
        of = self.order_financing
        return None if of is None else of.owed_per_edge()

    def eligible_receivables(self, firms: Firms, trade: TradeCredit, banks: Banks) -> np.ndarray:
        """Each firm's receivables its credit line may lend against (`borrowing_base`).

        Receivables claimed by another lender (`claimed_receivables`) are not eligible.
        """
        return eligible_receivables(
            firms,
            trade,
            self.claimed_receivables(),
            banks.spec.ineligible_days_past_due,
            self.step_days,
        )

    def on_orders(
        self, edge_orders: np.ndarray, loans_due_within: Callable[[int], np.ndarray]
    ) -> None:
        """Advance against the orders placed this step (order financing)."""
        if self.order_financing is None or self.round is None:
            return
        r, of = self.round, self.order_financing
        value = edge_orders * r.firms.edge_price()
        gap = of.cash_plan_gap(r, loans_due_within(of.plan_steps))
        of.on_orders(r, value, gap, r.exposure, self.activity)

    def exposure(self, firms: Firms) -> np.ndarray:
        """What each firm owes the banks, all instruments (for concentration limits)."""
        owed = self.credit_line.owed(firms).copy()
        for instrument in self.instruments:
            owed += instrument.owed(firms)
        return owed

    def owed_by(self, tier: int | None) -> list[FinanceInstrument]:
        """The instruments firms of ``tier`` can owe something to (all if ``tier`` is None)."""
        if tier is None:
            return self.instruments
        return [i for i in self.instruments if tier in i.debtor_tiers]

    def due_now(
        self, firms: Firms, step: int, tier: int | None = None, rows: slice = slice(None)
    ) -> np.ndarray:
        """Everything each firm (of ``tier``, if given; of ``rows``) owes the instruments now."""
        owed_by = self.owed_by(tier)
        if not owed_by:
            return np.zeros(len(range(firms.n)[rows]))  # nothing: +0 for every firm
        due = np.zeros(firms.n)
        for instrument in owed_by:
            due += instrument.due_now(firms, step)
        return due[rows]

    def cover(
        self, applicants: np.ndarray, need: np.ndarray, tier: int | None = None
    ) -> np.ndarray:
        """Firms short of cash raise it, instrument by instrument, as far as they need.

        With ``choice: order`` every firm tries the instruments in the preference order; with
        ``cheapest`` each firm tries them from the lowest annual cost up. Invoice finance is
        taken as it comes (true sales); a firm draws on its committed credit line as far as
        its undrawn limit allows (no approval is needed within the limit).

        Args:
            applicants: Firms short of cash (distinct).
            need: How much each is short.
            tier: The applicants' tier, if they share one (skips instruments not for it).

        Returns:
            What is still missing for each applicant (0 when covered).
        """
        remaining = np.array(need, dtype=float)  # a copy
        if applicants.size == 0 or self.round is None:
            return remaining
        r = self.round
        choices = self._choices(tier)
        if self.spec.choice == "cheapest" and len(choices) > 1:
            costs = np.array([self._rates(choice, applicants) for choice in choices])
            rank = np.argsort(costs, axis=0, kind="stable")
        else:
            rank = None  # every applicant tries the instruments in the preference order
        exposure = r.exposure
        for position in range(len(choices)):
            for index, choice in enumerate(choices):
                if rank is None:
                    if index != position:
                        continue
                    asking = remaining > EPSILON
                else:
                    asking = (rank[position] == index) & (remaining > EPSILON)
                who = np.flatnonzero(asking)
                if who.size == 0:
                    continue
                firms_here = applicants[who]
                raised = choice.quote(r, firms_here, remaining[who])
                choice.take(r, firms_here, raised, self.activity)
                # What was raised counts against the borrower's concentration limit at once
                # (invoice finance counts it against its obligors itself). Distinct firms:
                # one addition each.
                if not isinstance(choice, Factoring | Platform):
                    exposure[firms_here] += raised
                remaining[who] -= np.minimum(raised, remaining[who])
        short = remaining > EPSILON
        self.activity.unmet_need[applicants[short]] += remaining[short]
        return np.where(short, remaining, 0.0)

    def top_up(self, firms: np.ndarray, need: np.ndarray) -> None:
        """Firms below their cash buffer (distinct) draw on their credit lines to restore it."""
        if firms.size == 0 or self.round is None:
            return
        line = self.credit_line
        raised = line.quote(self.round, firms, need / (1.0 + self.borrowing_buffer))
        line.take(self.round, firms, raised, self.activity)
        self.round.exposure[firms] += raised  # distinct firms: one addition each

    def _rates(self, choice: FinanceInstrument, applicants: np.ndarray) -> np.ndarray:
        assert self.round is not None
        return choice.rates(self.round, applicants)

    def on_invoices_paid(
        self, edges: np.ndarray, paid: np.ndarray, buyer_tier: int | None = None
    ) -> None:
        """Invoices were paid on ``edges`` (by buyers of ``buyer_tier``, if given).

        Advances on those orders are repaid out of the payments.
        """
        of = self.order_financing
        if of is None or self.round is None:
            return
        if buyer_tier is None or buyer_tier + 1 in of.debtor_tiers:
            of.repay_from_invoices(self.round, edges, paid)

    def collect(self, payers: np.ndarray, tier: int | None = None) -> None:
        """Firms in ``payers`` (a mask; all of ``tier``, if given) pay what is due now."""
        if self.round is None:
            return
        for instrument in self.owed_by(tier):
            instrument.collect(self.round, payers)

    def after_settlement(self) -> None:
        """Borrowers with spare cash repay what they drew as needed."""
        if self.round is None:
            return
        for facility in self.syndicated:
            facility.repay_from_surplus(self.round)

    def claims_on(
        self,
        debtors: np.ndarray,
        bought: np.ndarray,
        remember_bad_debt: Callable[[np.ndarray, np.ndarray, np.ndarray], None],
    ) -> list[Claim]:
        """The banks' claims on defaulting firms under every instrument, credit lines included."""
        assert self.round is not None, "firms default only after the banks' round has started"
        claims: list[Claim] = []
        for instrument in [*self.instruments, self.credit_line]:
            claims += instrument.claims_on(self.round, debtors, bought, remember_bad_debt)
        return claims

    # ------------------------------------------------------------------ checks
    def open_by_buyer(self, firms: Firms) -> np.ndarray:
        """Invoices each firm owes banks that bought them (for the accounting checks)."""
        owed = np.zeros(firms.n)
        for holder in ([self.factoring] if self.factoring else []) + self.platforms:
            owed += holder.open_by_buyer(firms)
        return owed

    def carrying(self, firms: Firms, banks_count: int) -> dict[Instrument, np.ndarray]:
        """Carrying value per instrument and bank, from the instruments' own books."""
        values: dict[Instrument, np.ndarray] = {}
        for instrument in self.instruments:
            values[instrument.instrument] = values.get(
                instrument.instrument, np.zeros(banks_count)
            ) + instrument.carrying(firms, banks_count)
        return values
