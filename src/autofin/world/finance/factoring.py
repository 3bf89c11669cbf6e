"""Receivable factoring: a supplier sells its open invoices to its house bank.

The bank pays the face value discounted at an annual rate for the days left and collects the
face value from the customer on the due date. With recourse the bank prices on the supplier's
risk, and if the customer defaults the supplier owes the bank what the customer's estate does
not pay, when the estate's workout ends (not at once: until then the estate's payout is
unknown); without recourse the bank prices on the customer's risk and takes the loss.
A supplier short of cash sells the same fraction of every open invoice, just enough to cover
its need.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from autofin.scenario.finance_schema import FactoringSpec
from autofin.world.banks import Instrument
from autofin.world.estate import Collateral
from autofin.world.finance.context import Claim, FinanceActivity, FinanceRound, supplier_tiers
from autofin.world.finance.invoices import (
    BoughtInvoices,
    open_invoices,
    price_factor,
    sale_shares,
    sell_invoices,
)
from autofin.world.firms import Firms
from autofin.world.ledger import Flow
from autofin.world.network import OUTSIDE


class Factoring:
    """Invoices bought by the suppliers' house banks, and recourse claims on suppliers.

    Args:
        spec: The scenario's factoring settings.
        firms: All firms.
        horizon_steps: Longest payment term, in steps.
        n_banks: Number of banks.
    """

    instrument = Instrument.FACTORING
    name = "factoring"

    def __init__(self, spec: FactoringSpec, firms: Firms, horizon_steps: int, n_banks: int) -> None:
        self.spec = spec
        self.tiers = supplier_tiers(spec.tiers, firms)
        # Buyers owe factored invoices; sellers owe recourse.
        self.debtor_tiers = set(self.tiers) | {tier - 1 for tier in self.tiers}
        supplier = firms.edge_supplier
        self.firm_eligible = np.isin(firms.tier, self.tiers)
        self.edge_eligible = (supplier != OUTSIDE) & np.isin(
            firms.tier[supplier.clip(0)], self.tiers
        )
        edge_bank = firms.house_bank[supplier.clip(0)]
        self.invoices = BoughtInvoices.empty(
            Instrument.FACTORING, len(supplier), horizon_steps, edge_bank
        )
        # Invoices sold by suppliers that have since defaulted: the customers still owe them
        # to the banks, without recourse to anyone (the edge may now have a new supplier).
        # Usually one book; another only when an edge is orphaned twice to different banks.
        self.orphans: list[BoughtInvoices] = []
        self._horizon = horizon_steps
        # Recourse owed by each firm to each bank (the bank that bought the invoice).
        self.recourse_due = np.zeros((n_banks, firms.n))
        self.recourse_carrying = np.zeros((n_banks, firms.n))
        # Step the recourse falls due (no claim yet: any step; a warm-up's steps are negative).
        self.recourse_due_step = np.full((n_banks, firms.n), np.iinfo(np.int64).min)
        self._quote: dict[str, np.ndarray] = {}
        self._rates_step: int | None = None  # steps before day 0 are negative
        self._rates_all = np.zeros(len(supplier))

    # ------------------------------------------------------------------ quotes
    def _edge_rates(self, r: FinanceRound, edges: np.ndarray) -> np.ndarray:
        """The discount rate on each edge (scores and funding are fixed within a step)."""
        if self._rates_step != r.step:
            firms = r.firms
            at_risk = (firms.edge_supplier if self.spec.recourse else firms.edge_customer).clip(0)
            self._rates_all = r.banks.price(
                r.pd[at_risk], self.invoices.edge_bank, r.ledger, margin=self.spec.spread
            )
            self._rates_step = r.step
        return self._rates_all[edges]

    def serves_tier(self, tier: int) -> bool:
        """Whether firms of ``tier`` can factor."""
        return tier in self.tiers

    def rates(self, r: FinanceRound, applicants: np.ndarray) -> np.ndarray:
        """Annual cost of factoring for each applicant (infinite if it cannot factor).

        With recourse it is the rate on the applicant's own risk; without, the average over
        its customers' risks, weighted by expected sales.
        """
        firms = r.firms
        if self.spec.recourse:
            rate = r.banks.price(
                r.pd[applicants], firms.house_bank[applicants], r.ledger, margin=self.spec.spread
            )
        else:
            edges = self._edges_of(firms, applicants)
            flow = firms.edge_expected_flow[edges]
            weighted = firms.by_supplier(flow * self._edge_rates(r, edges), edges)[applicants]
            rate = weighted / np.maximum(firms.by_supplier(flow, edges)[applicants], 1e-12)
        return np.where(self.firm_eligible[applicants], rate, np.inf)

    def _edges_of(self, firms: Firms, applicants: np.ndarray) -> np.ndarray:
        is_applicant = np.zeros(firms.n, dtype=bool)
        is_applicant[applicants] = True
        return np.flatnonzero(self.edge_eligible & is_applicant[firms.edge_supplier.clip(0)])

    def quote(self, r: FinanceRound, applicants: np.ndarray, need: np.ndarray) -> np.ndarray:
        """Cash each applicant could raise by factoring, up to its ``need``."""
        firms = r.firms
        edges = self._edges_of(firms, applicants)
        claimed = r.claimed_receivables()
        face, steps_left = open_invoices(r.trade.edge_book, r.step, edges, claimed=claimed)
        rate = self._edge_rates(r, edges)
        at_risk = firms.edge_supplier[edges] if self.spec.recourse else firms.edge_customer[edges]
        approved = r.pd[at_risk] <= r.banks.spec.max_probability_of_default
        face = face * approved[None, :]
        factor = price_factor(steps_left[:, None], rate[None, :], r.step_days)
        bank = firms.house_bank[applicants]
        if self.spec.recourse:
            room = r.concentration_room(applicants, bank)  # the seller is the obligor
        else:
            # The customers are the obligors: each one's invoices are bought only within the
            # bank's concentration limit on it.
            value = (face * factor).sum(axis=0)
            buyers = firms.edge_customer[edges]
            asked = np.bincount(buyers, value, minlength=firms.n)[buyers]
            edge_room = r.concentration_room(buyers, self.invoices.edge_bank[edges])
            face = face * np.minimum(1.0, edge_room / np.maximum(asked, 1e-12))[None, :]
            room = np.inf
        proceeds = firms.by_supplier((face * factor).sum(axis=0), edges)[applicants]
        offer = np.minimum(np.minimum(proceeds, need), room)
        offer = r.banks.fit_in_capacity(bank, offer, r.capacity)
        self._quote = {
            "edges": edges,
            "face": face,
            "factor": factor,
            "rate": rate,
            "steps_left": steps_left,
            "proceeds": np.bincount(applicants, proceeds, minlength=firms.n),
        }
        return offer

    def take(
        self, r: FinanceRound, applicants: np.ndarray, amounts: np.ndarray, act: FinanceActivity
    ) -> None:
        """Sell invoices worth ``amounts`` of cash for each applicant (after `quote`)."""
        if not self._quote or applicants.size == 0:
            return
        firms, q = r.firms, self._quote
        share = sale_shares(firms.n, applicants, amounts, q["proceeds"])
        edges = q["edges"]
        sold = q["face"] * share[firms.edge_supplier[edges]][None, :]
        keep = sold.sum(axis=0) > 0
        rate = q["rate"][keep]
        # An edge with no factored invoice left is factored by its current supplier's bank.
        fresh = edges[keep][self.invoices.face.amounts[:, edges[keep]].sum(axis=0) <= 0]
        self.invoices.edge_bank[fresh] = firms.house_bank[firms.edge_supplier[fresh]]
        paid = sell_invoices(
            r,
            self.invoices,
            edges[keep],
            sold[:, keep],
            q["factor"][:, keep],
            q["steps_left"],
            rate,
            act,
        )
        r.banks.lending_round.record(self.instrument, paid, rate)
        # The obligor of the new claims counts them against its concentration limit at once.
        obligor = firms.edge_supplier if self.spec.recourse else firms.edge_customer
        np.add.at(r.exposure, obligor[edges[keep]], paid)
        self._quote = {}

    # ------------------------------------------------------------------ settlement
    @property
    def books(self) -> list[BoughtInvoices]:
        """Every book of factored invoices: the sellers' own, and orphaned ones."""
        return [self.invoices, *self.orphans]

    def due_now(self, firms: Firms, step: int) -> np.ndarray:
        """Owed now per firm: factored invoices (as buyer) and recourse (as seller)."""
        due = (self.recourse_due * (self.recourse_due_step <= step)).sum(axis=0)
        for book in self.books:
            due = due + book.due_by_buyer(firms, step)
        return due

    def collect(self, r: FinanceRound, payers: np.ndarray) -> None:
        """Firms in ``payers`` (a mask) pay factored invoices and recourse due now."""
        for book in self.books:
            book.collect(r.firms, r.ledger, r.banks, r.step, payers)
        bank, owing = np.nonzero(
            (self.recourse_due * payers[None, :] > 0) & (self.recourse_due_step <= r.step)
        )
        if owing.size == 0:
            return
        amount, carrying = self.recourse_due[bank, owing], self.recourse_carrying[bank, owing]
        r.ledger.post(owing, r.banks.accounts[bank], amount, Flow.FACTORING_RECOURSE)
        r.banks.exposure[self.instrument] -= np.bincount(bank, carrying, minlength=r.banks.count)
        r.banks.earn(bank, amount - carrying)
        self.recourse_due[bank, owing] = 0.0
        self.recourse_carrying[bank, owing] = 0.0

    # ------------------------------------------------------------------ defaults
    def claims_on(
        self,
        r: FinanceRound,
        debtors: np.ndarray,
        bought: np.ndarray,
        remember_bad_debt: Callable[[np.ndarray, np.ndarray, np.ndarray], None],
    ) -> list[Claim]:
        """The banks' claims on defaulting firms: factored invoices they owe, and recourse."""
        firms, banks = r.firms, r.banks
        self._orphan_invoices_of(firms, debtors)
        bought = bought[firms.edge_supplier[bought] != OUTSIDE]
        claims = [self._orphan_claims(r, book, bought) for book in self.orphans]
        self.orphans = [book for book in self.orphans if book.face.amounts.any()]
        face, cost = self.invoices.take_claims_on(firms, bought)
        edge_bank = self.invoices.edge_bank[bought]

        def settle_invoices(paid: np.ndarray) -> None:
            if not self.spec.recourse:
                banks.recognise_default(self.instrument, edge_bank, cost, paid, r.step)
                return
            # The bank keeps what the estate pays; a seller still in business owes the rest
            # when the estate's workout ends, and the bank loses what a seller already gone
            # cannot pay.
            seller = firms.edge_supplier[bought]
            gone = ~firms.active[seller]
            banks.recognise_default(
                self.instrument, edge_bank[gone], cost[gone], paid[gone], r.step
            )
            live = ~gone
            seller, bank, cost_live, paid_live = (
                seller[live],
                edge_bank[live],
                cost[live],
                paid[live],
            )
            banks.exposure[self.instrument] -= np.bincount(bank, cost_live, minlength=banks.count)
            banks.earn(bank, np.maximum(paid_live - cost_live, 0.0))
            carrying = np.maximum(cost_live - paid_live, 0.0)
            banks.exposure[self.instrument] += np.bincount(bank, carrying, minlength=banks.count)
            owed = face[live] - paid_live
            np.add.at(self.recourse_due, (bank, seller), owed)
            np.add.at(self.recourse_carrying, (bank, seller), carrying)
            np.maximum.at(self.recourse_due_step, (bank, seller), r.step + banks.workout_steps)
            remember_bad_debt(seller, firms.edge_customer[bought][live], owed)

        rows, cols = np.nonzero(self.recourse_due[:, debtors] > 0)
        debtor, bank = debtors[cols], rows
        recourse = self.recourse_due[bank, debtor].copy()
        carrying = self.recourse_carrying[bank, debtor].copy()
        self.recourse_due[:, debtors] = 0.0
        self.recourse_carrying[:, debtors] = 0.0

        def settle_recourse(paid: np.ndarray) -> None:
            banks.recognise_default(self.instrument, bank, carrying, paid, r.step)

        return [
            *claims,
            Claim(
                firms.edge_customer[bought],
                banks.accounts[edge_bank],
                face,
                Collateral.UNSECURED,
                settle_invoices,
                instrument=self.instrument,
            ),
            Claim(
                debtor,
                banks.accounts[bank],
                recourse,
                Collateral.UNSECURED,
                settle_recourse,
                instrument=self.instrument,
            ),
        ]

    def _orphan_invoices_of(self, firms: Firms, sellers: np.ndarray) -> None:
        """Move the factored invoices of defaulting ``sellers`` to an orphan book."""
        is_seller = np.zeros(firms.n, dtype=bool)
        is_seller[sellers] = True
        supplier = firms.edge_supplier
        edges = np.flatnonzero((supplier != OUTSIDE) & is_seller[supplier.clip(0)])
        edges = edges[self.invoices.face.amounts[:, edges].sum(axis=0) > 0]
        if edges.size == 0:
            return
        bank = self.invoices.edge_bank[edges]
        home = next(
            (
                book
                for book in self.orphans
                if np.all(
                    (book.face.amounts[:, edges].sum(axis=0) <= 0) | (book.edge_bank[edges] == bank)
                )
            ),
            None,
        )
        if home is None:
            home = BoughtInvoices.empty(
                Instrument.FACTORING,
                len(supplier),
                self._horizon,
                np.zeros(len(supplier), dtype=np.int64),
            )
            self.orphans.append(home)
        home.edge_bank[edges] = bank
        for target, source in ((home.face, self.invoices.face), (home.cost, self.invoices.cost)):
            target.amounts[:, edges] += source.amounts[:, edges]
            source.amounts[:, edges] = 0.0

    def _orphan_claims(self, r: FinanceRound, book: BoughtInvoices, bought: np.ndarray) -> Claim:
        """Orphaned invoices a defaulting buyer owes: the banks' loss, no recourse."""
        face, cost = book.take_claims_on(r.firms, bought)
        bank = book.edge_bank[bought]

        def settle(paid: np.ndarray) -> None:
            r.banks.recognise_default(self.instrument, bank, cost, paid, r.step)

        return Claim(
            r.firms.edge_customer[bought],
            r.banks.accounts[bank],
            face,
            Collateral.UNSECURED,
            settle,
            instrument=self.instrument,
        )

    def owed(self, firms: Firms) -> np.ndarray:
        """What each firm owes the banks: factored invoices as buyer, recourse as seller."""
        return self.recourse_due.sum(axis=0) + self.open_by_buyer(firms)

    def open_by_buyer(self, firms: Firms) -> np.ndarray:
        """Face value of factored invoices each firm owes (for the accounting checks)."""
        owed = np.zeros(firms.n)
        for book in self.books:
            owed += book.open_by_buyer(firms)
        return owed

    def carrying(self, firms: Firms, banks_count: int) -> np.ndarray:
        """Carrying value per bank from the books (for the accounting checks)."""
        carrying = self.recourse_carrying.sum(axis=1)
        for book in self.books:
            carrying = carrying + np.bincount(
                book.edge_bank, book.cost.open_totals(), minlength=banks_count
            )
        return carrying
