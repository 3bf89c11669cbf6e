"""Car loans in the banks' books: monthly instalments, defaults and repossession.

A loan is an annuity at its own APR (its lender's price: funding + expected loss + capital
charge + margin, `Banks.car_loan_cost`) over the scenario's term. Its fate is drawn when the
applicant applies: every month the borrower defaults with a hazard whose log-odds add the
latent credit risk, the instalment's burden on income and that month's income shock; a
fraudster never pays.
Drawing the fate up front is equivalent to drawing it month by month, and it is what the risk
checks' power refers to ("catches applicants who will default"). Once a loan is booked, its
instalments (split into interest and principal) and its default, if any, go into buckets by
due step and bank, so collecting a step's instalments and defaults is one row read, whatever
the number of loans.

A loan whose instalment is missed stays performing (delinquent) until it is 90 days past due,
when it becomes non-performing at its gross balance; the car is repossessed and sold, and at
120 days past due the bank receives the proceeds and charges off the rest (the stages of the US
FFIEC Uniform Retail Credit Classification and Account Management Policy, 65 FR 36903, 2000;
see docs/metrics.md). Performing loans carry a provision of their expected loss over a year,
estimated from each bank's own realised loss rate, which also prices its new loans.
"""

from __future__ import annotations

import math

import numpy as np

from autofin.scenario.consumer_schema import ConsumerLoanSpec
from autofin.world.banks import (
    CAR_LOAN_CHARGE_OFF_DAYS,
    NON_PERFORMING_DAYS_PAST_DUE,
    Banks,
    Instrument,
)
from autofin.world.ledger import Flow, Ledger
from autofin.world.obligations import DueBook

DAYS_PER_MONTH = 365.0 / 12.0


def annuity_factor(apr: float | np.ndarray, months: int) -> float | np.ndarray:
    """Monthly instalment per unit of loan at annual rate ``apr`` (one or one per loan)."""
    rate = np.asarray(apr, dtype=float) / 12.0
    paid_off = -np.expm1(-months * np.log1p(rate))  # 1 − (1 + r)^−months
    if (rate > 0).all():  # (the usual case: every rate positive)
        factor = rate / paid_off
    else:
        factor = np.divide(rate, paid_off, out=np.full(rate.shape, 1.0 / months), where=rate > 0)
    return float(factor) if factor.ndim == 0 else factor


def unit_schedules(apr: np.ndarray, months: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each loan's schedule per unit lent at its APR: balance before, interest and principal.

    Loans × months: the balance before instalment k = 1..months, and the interest and the
    principal instalment k pays. A zero rate repays in equal parts.
    """
    apr = np.asarray(apr, dtype=float).reshape(-1)
    rate = apr[:, None] / 12.0
    instalment = np.asarray(annuity_factor(apr, months), dtype=float).reshape(-1, 1)
    paid = np.arange(months)[None, :]
    grown = np.expm1(paid * np.log1p(rate))  # (1 + r)^k − 1, accurate for tiny rates
    if (rate > 0).all():  # (the usual case: every rate positive)
        owed = instalment * grown / rate
    else:
        owed = np.divide(
            instalment * grown,
            rate,
            out=np.broadcast_to(paid / months, grown.shape).copy(),
            where=rate > 0,
        )
    balance = np.maximum(1.0 + grown - owed, 0.0)
    interest = rate * balance
    return balance, interest, instalment - interest


class ConsumerLoanBook:
    """Every bank's car loans, bucketed by due step.

    Args:
        spec: Loan terms and default behaviour.
        n_banks: Number of banks.
        steps: Steps in the horizon.
        step_days: Days per step.
    """

    def __init__(self, spec: ConsumerLoanSpec, n_banks: int, steps: int, step_days: int) -> None:
        self.spec = spec
        months = spec.term_months
        self.due_offset = np.array(
            [math.ceil(k * DAYS_PER_MONTH / step_days - 1e-9) for k in range(1, months + 1)],
            dtype=np.int64,
        )
        # Days past due of the first missed instalment until non-performing, then charged off.
        self.npl_delay = math.ceil(NON_PERFORMING_DAYS_PAST_DUE / step_days - 1e-9)
        self.charge_off_delay = max(
            1, math.ceil(CAR_LOAN_CHARGE_OFF_DAYS / step_days - 1e-9) - self.npl_delay
        )
        self.step_years = step_days / 365.0
        # Each bank's annual loss over its exposure, smoothed (half-life half a year).
        self.loss_rate = np.zeros(n_banks)
        self.loss_memory = 0.5 ** (step_days / 182.5)
        longest = int(self.due_offset[-1]) + self.npl_delay
        self.principal_due = DueBook(n_banks, longest)
        self.interest_due = DueBook(n_banks, longest)
        self.default_carrying = DueBook(n_banks, longest)
        self.default_recovery = DueBook(n_banks, longest)
        self.default_count = DueBook(n_banks, longest)
        self.fraud_loss = DueBook(n_banks, longest)
        self.maturing_count = DueBook(n_banks, longest)
        self.active = np.zeros(n_banks)
        self.every_bank = np.arange(n_banks)
        self.month = np.arange(1, months + 1)  # instalments' months, 1..term
        self.defaults_scheduled = 0  # loans booked that will default, now or later
        self.n_banks = n_banks
        # What happened in the current step.
        self.defaults_now = 0.0
        self.active_at_start = 0.0
        self.fraud_losses_now = 0.0

    def draw_fates(
        self,
        risk: np.ndarray,
        burden: np.ndarray,
        fraud: np.ndarray,
        rng: np.random.Generator,
    ) -> np.ndarray:
        """Month of the first missed instalment of each applicant's loan; 0 if it is repaid.

        Args:
            risk: Latent credit risk (standard normal).
            burden: Instalment over monthly income.
            fraud: Fraudsters miss the first instalment.
            rng: The model's random generator.
        """
        spec = self.spec
        months = spec.term_months
        base = spec.default_intercept + spec.risk_weight * risk + spec.burden_weight * burden
        # The monthly hazard 1 / (1 + e^-(base + shock)), computed in place (loans × months).
        hazard = rng.normal(0.0, spec.income_shock_sd, size=(risk.size, months))
        hazard += base[:, None]
        np.negative(hazard, out=hazard)
        np.exp(hazard, out=hazard)
        hazard += 1.0
        np.divide(1.0, hazard, out=hazard)
        missed = rng.random((risk.size, months)) < hazard
        first = np.where(missed.any(axis=1), missed.argmax(axis=1) + 1, 0)
        return np.where(fraud, 1, first)

    def book(
        self,
        step: int,
        bank: np.ndarray,
        amount: np.ndarray,
        default_month: np.ndarray,
        fraud: np.ndarray,
        price: np.ndarray,
        banks: Banks,
        apr: np.ndarray,
    ) -> None:
        """Put new loans, each at its own ``apr``, on the banks' books.

        The disbursement is posted by the caller.
        """
        if bank.size == 0:
            return
        months = self.spec.term_months
        # A step's loans share a few APRs (one per lender and margin): one schedule per
        # distinct APR, computed element by element as for each loan on its own.
        rates, rate_of = np.unique(apr, return_inverse=True)
        balance_before, interest, principal = unit_schedules(rates, months)
        paid_months = np.where(default_month > 0, default_month - 1, months)
        paying = (self.month[None, :] <= paid_months[:, None]) * amount[:, None]  # loans × months
        delay, lender = self.due_offset[None, :], bank[:, None]
        self.principal_due.book(step, delay, lender, paying * principal.take(rate_of, axis=0))
        self.interest_due.book(step, delay, lender, paying * interest.take(rate_of, axis=0))
        defaults = default_month > 0
        if defaults.any():  # (booking no defaults would change nothing)
            d = default_month[defaults]
            carrying = amount[defaults] * balance_before[rate_of[defaults], d - 1]
            age_years = d / 12.0
            resale = price[defaults] * self.spec.repossession_value
            recovery = resale * (1.0 - self.spec.depreciation_rate) ** age_years
            recovery = np.where(fraud[defaults], 0.0, np.minimum(recovery, carrying))
            when = self.due_offset[d - 1]
            where = bank[defaults]
            non_performing = when + self.npl_delay
            self.default_carrying.book(step, non_performing, where, carrying)
            self.default_recovery.book(step, non_performing, where, recovery)
            self.default_count.book(step, when, where, np.ones(d.size))
            self.fraud_loss.book(step, when, where, np.where(fraud[defaults], carrying, 0.0))
            self.defaults_scheduled += d.size
        repaid = bank[~defaults]
        self.maturing_count.book(step, int(self.due_offset[-1]), repaid, np.ones(repaid.size))
        self.active += np.bincount(bank, minlength=self.n_banks)
        banks.exposure[Instrument.CONSUMER_LOAN] += np.bincount(
            bank, amount, minlength=self.n_banks
        )

    def collect(self, step: int, banks: Banks, ledger: Ledger, consumer_account: int) -> None:
        """Borrowers pay the instalments due now out of household income; defaults are booked.

        A loan 90 days past due becomes non-performing: its car is repossessed and sold to the
        outside world, which pays the bank at 120 days past due, when the rest of the balance
        is charged off. Performing loans are provisioned at the book's expected loss.
        """
        every_bank = self.every_bank
        self.active_at_start = float(self.active.sum())
        principal = self.principal_due.take_due(step)
        interest = self.interest_due.take_due(step)
        paid = principal + interest
        if paid.any():
            ledger.post(ledger.outside, consumer_account, paid.sum(), Flow.HOUSEHOLD_INCOME)
            ledger.post(consumer_account, banks.accounts, paid, Flow.CONSUMER_LOAN_INSTALMENT)
        banks.exposure[Instrument.CONSUMER_LOAN] -= principal
        banks.earn(every_bank, interest)
        exposure = banks.exposure[Instrument.CONSUMER_LOAN]
        recovered = self.default_recovery.take_due(step)
        carrying = self.default_carrying.take_due(step)
        if carrying.any():
            banks.recognise_default(
                Instrument.CONSUMER_LOAN,
                every_bank,
                carrying,
                recovered,
                step,
                workout_steps=self.charge_off_delay,
            )
            banks.await_recovery(
                step,
                Instrument.CONSUMER_LOAN,
                np.full(self.n_banks, ledger.outside),
                every_bank,
                recovered,
                workout_steps=self.charge_off_delay,
                flow=Flow.CONSUMER_LOAN_RECOVERY,
            )
        # Each bank learns its expected loss from its own book (a bank with no book keeps
        # what it had).
        lending = exposure > 0
        annual = (carrying - recovered)[lending] / exposure[lending] / self.step_years
        memory = self.loss_memory
        self.loss_rate[lending] = memory * self.loss_rate[lending] + (1 - memory) * annual
        banks.provide(Instrument.CONSUMER_LOAN, self.loss_rate * np.maximum(exposure, 0.0))
        defaulted = self.default_count.take_due(step)
        self.defaults_now = float(defaulted.sum())
        self.fraud_losses_now = float(self.fraud_loss.take_due(step).sum())
        self.active -= defaulted + self.maturing_count.take_due(step)

    def outstanding(self) -> np.ndarray:
        """Principal borrowers still owe, per bank, from the schedules (after collection)."""
        return self.principal_due.open_totals() + self.default_carrying.open_totals()
