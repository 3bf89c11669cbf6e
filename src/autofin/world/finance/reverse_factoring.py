"""Reverse factoring: a platform on which an automaker confirms its suppliers' invoices.

Once an invoice is ``approval_days`` old the sponsor has confirmed it; the platform banks then
buy it from the supplier at a discount priced on the *sponsor's* risk and collect the face
value from the sponsor on the due date. Multi-tier platforms (tiers ``[1, 2]``) let a tier-1
supplier pass confirmed claims on the sponsor up to its own suppliers in payment of their
invoices; they discount them on the platform at the same rate, so the sponsor's credit reaches
tier 2. The platform's outstanding total is capped by its limit and by the banks' concentration
limit on the sponsor; a sponsor default is the platform banks' loss.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from autofin.scenario.finance_schema import ReverseFactoringSpec
from autofin.world.banks import Instrument
from autofin.world.estate import Collateral
from autofin.world.finance.context import Claim, FinanceActivity, FinanceRound
from autofin.world.finance.invoices import (
    BoughtInvoices,
    open_invoices,
    price_factor,
    sale_shares,
    sell_invoices,
)
from autofin.world.firms import Firms, steps_of
from autofin.world.ledger import Flow
from autofin.world.network import OUTSIDE


class Platform:
    """One sponsor's reverse-factoring platform.

    Args:
        spec: The platform's settings.
        firms: All firms.
        horizon_steps: Longest payment term, in steps.
        step_days: Days per step.
        rng: The model's random generator (draws which suppliers are onboarded).
    """

    instrument = Instrument.REVERSE_FACTORING
    name = "reverse_factoring"

    def __init__(
        self,
        spec: ReverseFactoringSpec,
        firms: Firms,
        horizon_steps: int,
        step_days: int,
        rng: np.random.Generator,
    ) -> None:
        self.spec = spec
        self.debtor_tiers = {0}  # only the sponsor owes the platform
        self.sponsor = int(np.flatnonzero(firms.is_automaker)[spec.sponsor])
        self.onboarded = rng.random(firms.n) < spec.onboarded_share
        supplier = firms.edge_supplier
        self.sponsor_edges = np.flatnonzero(
            (firms.edge_customer == self.sponsor) & (supplier != OUTSIDE)
        )
        self.platform_banks = np.asarray(spec.banks, dtype=np.int64)
        supplier_bank = self.platform_banks[np.arange(firms.n) % len(self.platform_banks)]
        edge_bank = supplier_bank[supplier.clip(0)]
        self.invoices = BoughtInvoices.empty(
            Instrument.REVERSE_FACTORING, len(supplier), horizon_steps, edge_bank
        )
        self.multi_tier = 2 in spec.tiers
        # Edges into tier-1 suppliers: re-sourcing changes an edge's supplier, and a transfer
        # (`suppliers.transfer_inputs`) its customer for another of the same tier, so the
        # tier-2 edges a platform can reach are fixed.
        self.tier2_edges = np.flatnonzero(
            (firms.tier[firms.edge_customer] == 1)
            & (supplier != OUTSIDE)
            & (firms.tier[supplier.clip(0)] == 2)
        )
        purchases = firms.edge_expected_flow * firms.edge_price()
        # Each onboarded supplier's limit: `limit_days` of its expected sales to the sponsor.
        self.edge_limit = np.zeros(len(supplier))
        self.edge_limit[self.sponsor_edges] = (
            spec.limit_days * purchases[self.sponsor_edges] / step_days
        )
        self.approval_steps = steps_of(spec.approval_days, step_days)
        self._quote: dict[str, np.ndarray] = {}
        self._rates_step: int | None = None  # steps before day 0 are negative
        self._rates = np.zeros(0)

    # ------------------------------------------------------------------ quotes
    def _bank_rates(self, r: FinanceRound) -> np.ndarray:
        """The platform rate each bank charges this step, on the sponsor's risk."""
        if self._rates_step != r.step:
            banks = np.arange(r.banks.count)
            self._rates = r.banks.price(
                np.full(r.banks.count, r.pd[self.sponsor]),
                banks,
                r.ledger,
                margin=self.spec.spread,
            )
            self._rates_step = r.step
        return self._rates

    def serves_tier(self, tier: int) -> bool:
        """Whether the platform reaches firms of ``tier``."""
        return tier in self.spec.tiers

    def rates(self, r: FinanceRound, applicants: np.ndarray) -> np.ndarray:
        """Annual cost of platform finance for each applicant (infinite if not reached)."""
        rate = self._bank_rates(r)
        reached = self._reached(r.firms, applicants)
        return np.where(reached, rate[self.platform_banks].mean(), np.inf)

    def _reached(self, firms: Firms, applicants: np.ndarray) -> np.ndarray:
        tier = firms.tier[applicants]
        ok = self.onboarded[applicants] & firms.active[self.sponsor]
        return ok & (
            ((tier == 1) & self._holds_sponsor_edge(firms)[applicants])
            | ((tier == 2) & self.multi_tier)
        )

    def _holds_sponsor_edge(self, firms: Firms) -> np.ndarray:
        """Which firms supply the sponsor now (re-sourcing moves edges between suppliers)."""
        holds = np.zeros(firms.n, dtype=bool)
        holds[firms.edge_supplier[self.sponsor_edges]] = True
        return holds

    def _room(self, r: FinanceRound) -> float:
        """What the platform banks can still buy within their concentration limit.

        Everything the sponsor owes the banks counts: the platform's confirmed invoices, its
        loans and syndicated draws.
        """
        capital = float(r.banks.capital(r.ledger)[self.platform_banks].sum())
        owed = float(r.exposure[self.sponsor])
        return max(r.banks.spec.concentration_limit * capital - owed, 0.0)

    def quote(self, r: FinanceRound, applicants: np.ndarray, need: np.ndarray) -> np.ndarray:
        """Cash each applicant could raise on the platform, up to its ``need``."""
        firms = r.firms
        offer = np.zeros(applicants.size)
        self._quote = {}
        if (
            not firms.active[self.sponsor]
            or r.pd[self.sponsor] > r.banks.spec.max_probability_of_default
            or applicants.size == 0
        ):
            return offer
        edges = self.sponsor_edges
        live = firms.active[firms.edge_supplier[edges]] & self.onboarded[firms.edge_supplier[edges]]
        # Confirmed: at least `approval_days` old, by the term each invoice was issued with.
        max_left = r.trade.issue_terms(firms, edges) - self.approval_steps
        claimed = r.claimed_receivables()
        face, steps_left = open_invoices(r.trade.edge_book, r.step, edges, max_left, claimed)
        face = face * live[None, :]
        rate = self._bank_rates(r)[self.invoices.edge_bank[edges]]
        factor = price_factor(steps_left[:, None], rate[None, :], r.step_days)
        # Each edge's supplier limit caps the confirmed invoices that can still be sold.
        room = np.maximum(self.edge_limit[edges] - self.invoices.cost.open_totals_of(edges), 0.0)
        sellable = (face * factor).sum(axis=0)
        face = face * np.minimum(1.0, room / np.maximum(sellable, 1e-12))[None, :]
        value = face * factor
        # Per tier-1 supplier: confirmed face not yet sold, and the cash one unit of it buys.
        suppliers = firms.edge_supplier[edges]
        confirmed = np.bincount(suppliers, face.sum(axis=0), minlength=firms.n)
        proceeds_per_face = np.bincount(
            suppliers, value.sum(axis=0), minlength=firms.n
        ) / np.maximum(confirmed, 1e-12)

        reached = self._reached(firms, applicants)
        proceeds = np.zeros(applicants.size)
        tier1 = reached & (firms.tier[applicants] == 1)
        proceeds[tier1] = (confirmed * proceeds_per_face)[applicants[tier1]]
        passed = np.zeros(0)
        up_edges = np.zeros(0, dtype=np.int64)
        if self.multi_tier and np.any(reached & (firms.tier[applicants] == 2)):
            is_applicant = np.zeros(firms.n, dtype=bool)
            is_applicant[applicants[reached & (firms.tier[applicants] == 2)]] = True
            up_edges = self.tier2_edges[is_applicant[firms.edge_supplier[self.tier2_edges]]]
            open_face, _ = open_invoices(r.trade.edge_book, r.step, up_edges, claimed=claimed)
            owed = open_face.sum(axis=0)
            holder = firms.edge_customer[up_edges]
            asked = np.bincount(holder, owed, minlength=firms.n)
            # Each tier-1 holder shares its confirmed claims among its suppliers who ask.
            passed = np.minimum(owed, confirmed[holder] * owed / np.maximum(asked[holder], 1e-12))
            value_up = np.bincount(
                firms.edge_supplier[up_edges],
                passed * proceeds_per_face[holder],
                minlength=firms.n,
            )
            tier2 = reached & (firms.tier[applicants] == 2)
            proceeds[tier2] = value_up[applicants[tier2]]

        offer = np.minimum(proceeds, need)
        # The concentration limit, in the order applications come, then the banks' capacity.
        room = self._room(r)
        offer = np.where(np.cumsum(offer) <= room, offer, 0.0)
        funding_edge = self._funding_edge(firms, applicants, via_customers=up_edges.size > 0)
        offer = r.banks.fit_in_capacity(self.invoices.edge_bank[funding_edge], offer, r.capacity)
        self._quote = {
            "edges": edges,
            "face": face,
            "factor": factor,
            "rate": rate,
            "steps_left": steps_left,
            "confirmed": confirmed,
            "proceeds_per_face": proceeds_per_face,
            "proceeds": np.bincount(applicants, proceeds, minlength=firms.n),
            "up_edges": up_edges,
            "passed": passed,
            "claimed": claimed,
        }
        return offer

    def _funding_edge(
        self, firms: Firms, applicants: np.ndarray, via_customers: bool
    ) -> np.ndarray:
        """The sponsor edge that funds each applicant.

        Its own; with ``via_customers`` (tier 2) its customer's; any sponsor edge otherwise.
        """
        edge_of = np.full(firms.n, self.sponsor_edges[0] if self.sponsor_edges.size else 0)
        own = firms.edge_supplier[self.sponsor_edges]
        edge_of[own] = self.sponsor_edges
        if via_customers and self.tier2_edges.size:
            via_customer = edge_of[firms.edge_customer[self.tier2_edges]]
            seller = firms.edge_supplier[self.tier2_edges]
            edge_of[seller[::-1]] = via_customer[::-1]
            edge_of[own] = self.sponsor_edges
        return edge_of[applicants]

    def take(
        self, r: FinanceRound, applicants: np.ndarray, amounts: np.ndarray, act: FinanceActivity
    ) -> None:
        """Discount confirmed claims worth ``amounts`` of cash for each applicant."""
        if not self._quote or applicants.size == 0:
            return
        firms, q = r.firms, self._quote
        share = sale_shares(firms.n, applicants, amounts, q["proceeds"])
        edges, rate = q["edges"], q["rate"]
        holder = firms.edge_supplier[edges]
        # Tier 1: sell a share of its own confirmed invoices.
        own_paid = np.zeros(0)
        if np.any(firms.tier[applicants] == 1):
            own_paid = sell_invoices(
                r,
                self.invoices,
                edges,
                q["face"] * share[holder][None, :],
                q["factor"],
                q["steps_left"],
                rate,
                act,
            )
        # Tier 2: receive confirmed claims from the tier-1 customer and sell them.
        up_edges, passed = q["up_edges"], q["passed"]
        if up_edges.size:
            # The platform pays each tier-1 holder for the claims it passes up, and the holder
            # passes the cash on to its suppliers in payment of their invoices.
            passed_face = passed * share[firms.edge_supplier[up_edges]]
            passed_by_holder = np.bincount(
                firms.edge_customer[up_edges], passed_face, minlength=firms.n
            )
            fraction = passed_by_holder[holder] / np.maximum(q["confirmed"][holder], 1e-12)
            sold_passed = q["face"] * np.minimum(fraction, 1.0)[None, :]
            passed_paid = self.invoices.buy(r.banks, edges, sold_passed, sold_passed * q["factor"])
            r.trade.remove(edges, sold_passed)
            bank_account = r.banks.accounts[self.invoices.edge_bank[edges]]
            r.ledger.post(bank_account, holder, passed_paid, Flow.REVERSE_FACTORING_PURCHASE)
            firms.receivables -= firms.by_supplier(sold_passed.sum(axis=0), edges)
            customer = firms.edge_customer[up_edges]
            seller = firms.edge_supplier[up_edges]
            paid_up = passed_face * q["proceeds_per_face"][customer]
            r.ledger.post(customer, seller, paid_up, Flow.REVERSE_FACTORING_PURCHASE)
            open_face, steps_left = open_invoices(
                r.trade.edge_book, r.step, up_edges, claimed=q["claimed"]
            )
            owed = open_face.sum(axis=0)
            cut = np.minimum(passed_face / np.maximum(owed, 1e-12), 1.0)
            age_up = r.trade.issue_terms(firms, up_edges) - steps_left[:, None]
            r.trade.remove(up_edges, open_face * cut[None, :])
            firms.receivables -= np.bincount(seller, passed_face, minlength=firms.n)
            firms.payables -= np.bincount(customer, passed_face, minlength=firms.n)
            rate_of = np.bincount(holder, passed_paid * rate, minlength=firms.n) / np.maximum(
                np.bincount(holder, passed_paid, minlength=firms.n), 1e-12
            )
            up_rate = rate_of[customer]
            act.record(seller, paid_up, up_rate, passed_face - paid_up)
            days_up = (open_face * np.maximum(age_up, 0)).sum(axis=0) / np.maximum(owed, 1e-12)
            act.cash_in(seller, passed_face, days_up * r.step_days)
        else:
            paid_up, up_rate = np.zeros(0), np.zeros(0)
        raised = np.concatenate([own_paid, paid_up])
        r.banks.lending_round.record(
            self.instrument, raised, np.concatenate([rate[: own_paid.size], up_rate])
        )
        r.exposure[self.sponsor] += raised.sum()  # the obligor of every confirmed invoice
        self._quote = {}

    # ------------------------------------------------------------------ settlement
    def due_now(self, firms: Firms, step: int) -> np.ndarray:
        """Confirmed invoices the sponsor owes the platform banks now."""
        return self.invoices.due_by_buyer(firms, step)

    def collect(self, r: FinanceRound, payers: np.ndarray) -> None:
        """The sponsor (if in ``payers``) pays the platform banks what is due now."""
        self.invoices.collect(r.firms, r.ledger, r.banks, r.step, payers)

    def claims_on(
        self,
        r: FinanceRound,
        debtors: np.ndarray,
        bought: np.ndarray,
        remember_bad_debt: Callable[[np.ndarray, np.ndarray, np.ndarray], None],
    ) -> list[Claim]:
        """The platform banks' claims on a defaulting sponsor."""
        face, cost = self.invoices.take_claims_on(r.firms, bought)
        bank = self.invoices.edge_bank[bought]

        def settle(paid: np.ndarray) -> None:
            r.banks.recognise_default(self.instrument, bank, cost, paid, r.step)

        return [
            Claim(
                r.firms.edge_customer[bought],
                r.banks.accounts[bank],
                face,
                Collateral.UNSECURED,
                settle,
                instrument=self.instrument,
            )
        ]

    def owed(self, firms: Firms) -> np.ndarray:
        """What each firm owes the platform banks: only the sponsor, its confirmed invoices."""
        return self.open_by_buyer(firms)

    def open_by_buyer(self, firms: Firms) -> np.ndarray:
        """Face value each firm owes the platform (for the accounting checks)."""
        return self.invoices.open_by_buyer(firms)

    def carrying(self, firms: Firms, banks_count: int) -> np.ndarray:
        """Carrying value per bank from the books (for the accounting checks)."""
        return np.bincount(
            self.invoices.edge_bank, self.invoices.cost.open_totals(), minlength=banks_count
        )
