"""Inventory financing: a revolving loan secured on the borrower's inventory.

The house bank lends up to ``loan_to_value`` × the inventory's collateral value (book value less
the ``haircut``). The loan revolves every step: what is outstanding falls due with a step's
interest and may be drawn again up to the current limit, so a firm keeps only what its cash
needs. When inventory value falls below what the loan needs, the excess is a margin call: it
must be repaid from cash. In a default the bank is paid before unsecured creditors.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from autofin.scenario.finance_schema import InventoryFinancingSpec
from autofin.world.banks import Instrument
from autofin.world.estate import Collateral
from autofin.world.finance.context import Claim, FinanceActivity, FinanceRound, supplier_tiers
from autofin.world.firms import Firms
from autofin.world.ledger import Flow


class InventoryFinancing:
    """Revolving inventory loans, one balance per firm.

    Args:
        spec: The scenario's inventory-financing settings.
        firms: All firms.
    """

    instrument = Instrument.INVENTORY_FINANCING
    name = "inventory_financing"

    def __init__(self, spec: InventoryFinancingSpec, firms: Firms) -> None:
        self.spec = spec
        self.tiers = supplier_tiers(spec.tiers, firms)
        self.eligible = ~firms.is_automaker & np.isin(firms.tier, self.tiers)
        self.debtor_tiers = set(self.tiers)
        self.balance = np.zeros(firms.n)
        self.rate = np.zeros(firms.n)
        self.principal_due = np.zeros(firms.n)
        self.interest_due = np.zeros(firms.n)

    def limit(self, firms: Firms) -> np.ndarray:
        """The most each firm may borrow now: loan-to-value × collateral value."""
        collateral = firms.inventory_value() * (1.0 - self.spec.haircut)
        return self.spec.loan_to_value * collateral * self.eligible * firms.active

    def start_step(self, r: FinanceRound) -> float:
        """Everything outstanding falls due with a step's interest; returns margin calls.

        A margin call is outstanding principal above the current limit: it cannot be drawn
        again and must be repaid from cash.
        """
        self.principal_due = self.balance.copy()
        self.interest_due = self.balance * self.rate * r.step_years
        return float(np.maximum(self.balance - self.limit(r.firms), 0.0).sum())

    def serves_tier(self, tier: int) -> bool:
        """Whether firms of ``tier`` can borrow against inventory."""
        return tier in self.tiers

    def rates(self, r: FinanceRound, applicants: np.ndarray) -> np.ndarray:
        """Annual cost for each applicant (infinite if not eligible)."""
        rate = r.banks.price(
            r.pd[applicants],
            r.firms.house_bank[applicants],
            r.ledger,
            margin=self.spec.spread,
            loss_given_default=self.spec.loss_given_default,
        )
        return np.where(self.eligible[applicants], rate, np.inf)

    def quote(self, r: FinanceRound, applicants: np.ndarray, need: np.ndarray) -> np.ndarray:
        """What each applicant could draw, up to its ``need``."""
        firms = r.firms
        approved = r.pd[applicants] <= r.banks.spec.max_probability_of_default
        limit = self.limit(firms)[applicants]
        # The facility is committed within the borrowing base: what falls due can always be
        # drawn again up to the limit; new money needs a score below the cut-off.
        ceiling = np.where(approved, limit, np.minimum(limit, self.principal_due[applicants]))
        offer = np.minimum(ceiling, need)
        # Rolling over what falls due now takes no new capacity.
        bank = firms.house_bank[applicants]
        rollover = np.minimum(offer, self.principal_due[applicants])
        new = np.minimum(offer - rollover, r.concentration_room(applicants, bank))
        offer = rollover + new
        new = r.banks.fit_in_capacity(bank, new, r.capacity)
        offer = np.where((new > 0) | (offer - rollover <= 0), offer, rollover)
        return offer

    def take(
        self, r: FinanceRound, applicants: np.ndarray, amounts: np.ndarray, act: FinanceActivity
    ) -> None:
        """Draw ``amounts`` for each applicant."""
        keep = amounts > 0
        if not np.any(keep):
            return
        firms, banks = r.firms, r.banks
        who, amount = applicants[keep], amounts[keep]
        limit = self.limit(firms)[who]
        rate = self.rates(r, who)
        bank = firms.house_bank[who]
        r.ledger.post(banks.accounts[bank], who, amount, Flow.INVENTORY_FINANCING_DRAW)
        banks.exposure[self.instrument] += np.bincount(bank, amount, minlength=banks.count)
        self.balance[who] += amount
        self.rate[who] = rate
        new_money = np.maximum(amount - self.principal_due[who], 0.0)
        banks.lending_round.record(self.instrument, new_money, rate)
        act.record(who, new_money, rate, amount * rate * r.step_years)
        collateral = limit / max(self.spec.loan_to_value, 1e-12)
        act.max_loan_to_value = max(
            act.max_loan_to_value,
            float(np.max(amount / np.maximum(collateral, 1e-12), initial=0.0)),
        )

    def due_now(self, firms: Firms, step: int) -> np.ndarray:
        """Principal and interest due now per firm."""
        return self.principal_due + self.interest_due

    def collect(self, r: FinanceRound, payers: np.ndarray) -> None:
        """Firms in ``payers`` (a mask) repay what fell due this step, with interest."""
        paying = np.flatnonzero(payers & (self.principal_due > 0))
        if paying.size == 0:
            return
        bank = r.firms.house_bank[paying]
        principal, interest = self.principal_due[paying], self.interest_due[paying]
        r.ledger.post(
            paying,
            r.banks.accounts[bank],
            principal + interest,
            Flow.INVENTORY_FINANCING_REPAYMENT,
        )
        r.banks.exposure[self.instrument] -= np.bincount(bank, principal, minlength=r.banks.count)
        r.banks.earn(bank, interest)
        self.balance[paying] -= principal
        self.principal_due[paying] = 0.0
        self.interest_due[paying] = 0.0

    def claims_on(
        self,
        r: FinanceRound,
        debtors: np.ndarray,
        bought: np.ndarray,
        remember_bad_debt: Callable[[np.ndarray, np.ndarray, np.ndarray], None],
    ) -> list[Claim]:
        """The banks' secured claims on defaulting firms."""
        carrying = self.balance[debtors].copy()
        amount = carrying + self.interest_due[debtors]
        self.balance[debtors] = 0.0
        self.principal_due[debtors] = 0.0
        self.interest_due[debtors] = 0.0
        bank = r.firms.house_bank[debtors]

        def settle(paid: np.ndarray) -> None:
            r.banks.recognise_default(self.instrument, bank, carrying, paid, r.step)

        return [
            Claim(
                debtors,
                r.banks.accounts[bank],
                amount,
                Collateral.INVENTORY,
                settle,
                instrument=self.instrument,
            )
        ]

    def owed(self, firms: Firms) -> np.ndarray:
        """Principal each firm owes (for concentration limits)."""
        return self.balance

    def carrying(self, firms: Firms, banks_count: int) -> np.ndarray:
        """Carrying value per bank from the books (for the accounting checks)."""
        return np.bincount(firms.house_bank, self.balance, minlength=banks_count)
