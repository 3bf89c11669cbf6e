"""Capacity loans: term finance for suppliers' new capacity, bilateral or syndicated.

With `suppliers.capacity_investment.financing: term_loan` a supplier that orders new capacity
borrows what its cash above its buffer does not cover from its house bank; with
`syndicated_loan` the house bank arranges the loan and keeps `arranger_share` of it, and the
other banks fund the rest in equal shares (the battery maker expanding with a syndicated loan).
Either way the loan is repaid in equal instalments of principal over `loan_term_days`, with
interest every step on what is still owed at a fixed rate set when it is taken: each lender's
price of the borrower's risk (`Banks.price`: funding + scored PD × loss given default + capital
charge + margin), in the lenders' shares. A lender lends only while it is sound (capital ratio
above the minimum), within its lending capacity and its concentration limit, and to a borrower
whose scored probability of default is within `banks.max_probability_of_default`; a syndicate
forms without the banks that cannot take their share, and the arranger takes their part if it
can. Instalments are senior: a supplier that cannot pay them defaults, and the lenders claim
what is owed, secured on the firm's plant (fixed assets).

Firms do not draw these loans for cash shortfalls; they are taken only for capacity
(`lend`), and a capacity order cancelled at settlement repays this step's loan at once
(`repay_cancelled`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from autofin.scenario.schema import CapacityInvestmentSpec
from autofin.world.banks import Banks, Instrument
from autofin.world.estate import Collateral
from autofin.world.finance.context import Claim, FinanceActivity, FinanceRound
from autofin.world.firms import Firms, steps_of
from autofin.world.ledger import Flow
from autofin.world.obligations import DueBook


class CapacityLoans:
    """Every supplier's capacity loans (one scenario uses one kind: bilateral or syndicated).

    Args:
        spec: The capacity-investment settings (`financing`, `loan_term_days`,
            `arranger_share`).
        firms: All firms.
        banks: The banks.
        step_days: Days per step.
    """

    name = "capacity_loan"

    def __init__(
        self, spec: CapacityInvestmentSpec, firms: Firms, banks: Banks, step_days: int
    ) -> None:
        self.spec = spec
        self.syndicated = spec.financing == "syndicated_loan"
        self.instrument = Instrument.SYNDICATED_LOAN if self.syndicated else Instrument.TERM_LOAN
        self.debtor_tiers = set(range(1, int(firms.tier.max()) + 1))
        self.step_years = step_days / 365.0
        self.term_steps = max(1, steps_of(spec.loan_term_days, step_days))
        self.n_banks = banks.count
        self.balance = np.zeros(firms.n)
        self.rate = np.zeros(firms.n)
        # shares[firm, bank]: each lender's part of every loan of that firm (fixed per firm).
        self.shares = np.zeros((firms.n, banks.count))
        self.principal = DueBook(firms.n, self.term_steps)
        self.interest_due = np.zeros(firms.n)
        self.taken_now = np.zeros(firms.n)

    # ------------------------------------------------------------------ lending
    def _lenders(
        self, r: FinanceRound, borrower: int, amount: float, sound: np.ndarray
    ) -> np.ndarray:
        """What each bank lends of ``amount`` to ``borrower`` (all zero if no loan forms)."""
        banks = r.banks
        house = int(r.firms.house_bank[borrower])
        wanted = np.zeros(banks.count)
        if self.syndicated and banks.count > 1:
            wanted[:] = amount * (1.0 - self.spec.arranger_share) / (banks.count - 1)
            wanted[house] = amount * self.spec.arranger_share
        else:
            wanted[house] = amount
        everyone = np.arange(banks.count)
        borrower_rows = np.full(banks.count, borrower)
        room = np.minimum(r.capacity, r.concentration_room(borrower_rows, everyone))
        room = np.where(sound, np.maximum(room, 0.0), 0.0)
        lent = np.minimum(wanted, room)
        # The arranger takes what the others cannot, if it can.
        lent[house] = min(room[house], lent[house] + (wanted - lent).sum())
        return lent if lent[house] > 0 else np.zeros(banks.count)

    def lend(
        self, r: FinanceRound, borrowers: np.ndarray, need: np.ndarray, output: np.ndarray
    ) -> np.ndarray:
        """Lend ``need`` to ``borrowers`` for new capacity, as far as the lenders can.

        Lenders size the loan by debt-service coverage: the borrower's operating profit
        (EBIT) on the output it expects with the new capacity must cover this loan's
        instalment and interest, its other capacity loans' and its credit line's interest
        `min_debt_service_coverage` times.

        Args:
            r: This step's finance round.
            borrowers: Firms ordering capacity.
            need: What each wants to borrow.
            output: Output each expects to sell per step with the new capacity (units).

        Returns:
            What each borrower got.
        """
        got = np.zeros(borrowers.size)
        banks, firms = r.banks, r.firms
        sound = ~banks.failed & (banks.capital_ratio(r.ledger) >= banks.spec.min_capital_ratio)
        eligible = (need > 0) & (r.pd[borrowers] <= banks.spec.max_probability_of_default)
        ebit = (
            output
            * firms.price[borrowers]
            * firms.margin[borrowers]
            / (1 + firms.margin[borrowers])
        )
        serviced = (
            self.balance[borrowers] * (1.0 / self.term_steps + self.rate[borrowers] * r.step_years)
            + firms.debt[borrowers] * banks.line_rate[borrowers] * r.step_years
        )
        room = ebit / self.spec.min_debt_service_coverage - serviced
        for i in np.flatnonzero(eligible & (room > 0)).tolist():
            firm = int(borrowers[i])
            lenders = np.flatnonzero(sound)
            if lenders.size == 0:
                break
            rates = banks.price(np.full(lenders.size, r.pd[firm]), lenders, r.ledger)
            # The most a loan at these rates can be for the borrower to service it.
            service = 1.0 / self.term_steps + float(rates.max()) * r.step_years
            lent = self._lenders(r, firm, min(float(need[i]), room[i] / service), sound)
            total = float(lent.sum())
            if total <= 0:
                continue
            lenders = np.flatnonzero(lent > 0)
            rates = banks.price(np.full(lenders.size, r.pd[firm]), lenders, r.ledger)
            rate = float((rates * lent[lenders]).sum() / total)
            # Every loan of a firm is shared alike: its lenders' parts of what it owes.
            owed = self.balance[firm] * self.shares[firm] + lent
            self.shares[firm] = owed / owed.sum()
            self.rate[firm] = (self.balance[firm] * self.rate[firm] + total * rate) / (
                self.balance[firm] + total
            )
            r.ledger.post(
                banks.accounts[lenders], firm, lent[lenders], Flow.CAPACITY_LOAN_DISBURSEMENT
            )
            banks.exposure[self.instrument] += lent
            r.capacity -= lent
            r.exposure[firm] += total
            banks.lending_round.record(self.instrument, np.array([total]), np.array([rate]))
            self.balance[firm] += total
            got[i] = total
        taken = got > 0
        self._schedule(r.step, borrowers[taken], got[taken])
        self.taken_now[borrowers[taken]] += got[taken]
        return got

    def _schedule(self, step: int, firms: np.ndarray, amounts: np.ndarray) -> None:
        """Equal instalments of ``amounts`` over the loan term, the first next step."""
        if firms.size == 0:
            return
        part = amounts / self.term_steps
        for delay in range(1, self.term_steps + 1):
            self.principal.book(step, delay, firms, part)

    def repay_cancelled(self, r: FinanceRound, firms: np.ndarray) -> None:
        """Firms whose capacity order was cancelled repay this step's loan at once."""
        firms = firms[self.taken_now[firms] > 0]
        if firms.size == 0:
            return
        amounts = self.taken_now[firms]
        self._schedule(r.step, firms, -amounts)
        self._repay(r, firms, amounts)
        self.taken_now[firms] = 0.0

    def _repay(self, r: FinanceRound, firms: np.ndarray, amounts: np.ndarray) -> None:
        parts = amounts[:, None] * self.shares[firms]
        for bank in np.flatnonzero(parts.sum(axis=0) > 0).tolist():
            r.ledger.post(
                firms, r.banks.accounts[bank], parts[:, bank], Flow.CAPACITY_LOAN_REPAYMENT
            )
        r.banks.exposure[self.instrument] -= parts.sum(axis=0)
        self.balance[firms] -= amounts

    # ------------------------------------------------------------------ the interface
    def start_step(self, r: FinanceRound) -> None:
        """This step's interest on what each firm owes."""
        self.interest_due = self.balance * self.rate * r.step_years
        self.taken_now[:] = 0.0

    def serves_tier(self, tier: int) -> bool:
        """Not drawn for cash shortfalls (see `lend`)."""
        return False

    def rates(self, r: FinanceRound, applicants: np.ndarray) -> np.ndarray:
        """Not drawn for cash shortfalls: infinite."""
        return np.full(applicants.size, np.inf)

    def quote(self, r: FinanceRound, applicants: np.ndarray, need: np.ndarray) -> np.ndarray:
        """Not drawn for cash shortfalls: nothing."""
        return np.zeros(applicants.size)

    def take(
        self, r: FinanceRound, applicants: np.ndarray, amounts: np.ndarray, act: FinanceActivity
    ) -> None:
        """Not drawn for cash shortfalls (see `lend`)."""

    def owed(self, firms: Firms) -> np.ndarray:
        """Principal each firm owes."""
        return self.balance

    def due_now(self, firms: Firms, step: int) -> np.ndarray:
        """This step's instalment and interest."""
        return self.principal.peek_due(step) + self.interest_due

    def collect(self, r: FinanceRound, payers: np.ndarray) -> None:
        """Firms in ``payers`` pay this step's instalment and interest to their lenders."""
        due = self.principal.peek_due(r.step)
        who = np.flatnonzero(payers & ((due > 0) | (self.interest_due > 0)))
        if who.size == 0:
            return
        interest = self.interest_due[who][:, None] * self.shares[who]
        for bank in np.flatnonzero(interest.sum(axis=0) > 0).tolist():
            r.ledger.post(
                who, r.banks.accounts[bank], interest[:, bank], Flow.CAPACITY_LOAN_INTEREST
            )
        r.banks.earn(np.arange(self.n_banks), interest.sum(axis=0))
        self._repay(r, who, due[who].copy())
        due[who] = 0.0
        self.interest_due[who] = 0.0

    def claims_on(
        self,
        r: FinanceRound,
        debtors: np.ndarray,
        bought: np.ndarray,
        remember_bad_debt: Callable[[np.ndarray, np.ndarray, np.ndarray], None],
    ) -> list[Claim]:
        """The lenders' claims on defaulting borrowers, secured on their plant."""
        owing = debtors[self.balance[debtors] > 0]
        if owing.size == 0:
            return []
        carrying = self.balance[owing][:, None] * self.shares[owing]
        amount = (self.balance[owing] + self.interest_due[owing])[:, None] * self.shares[owing]
        firm, bank = np.nonzero(carrying > 0)
        self.principal.clear_columns(owing)
        self.balance[owing] = 0.0
        self.interest_due[owing] = 0.0
        carried = carrying[firm, bank]

        def settle(paid: np.ndarray) -> None:
            r.banks.recognise_default(self.instrument, bank, carried, paid, r.step)

        return [
            Claim(
                owing[firm],
                r.banks.accounts[bank],
                amount[firm, bank],
                Collateral.FIXED_ASSETS,
                settle,
                instrument=self.instrument,
            )
        ]

    def carrying(self, firms: Firms, banks_count: int) -> np.ndarray:
        """Carrying value per bank (for the accounting checks)."""
        return (self.balance[:, None] * self.shares).sum(axis=0)
