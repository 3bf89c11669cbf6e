"""A plain-Mesa reference of the consumer side: one `mesa.Agent` per consumer.

It runs the same funnel and loan rules as `autofin.world.funnel` (channels, test drive,
decision, cash or loan, the stack of checks, the manual-review queue per bank, the booking
curve, monthly instalments, defaults with repossession) the way a Mesa model is usually
written: every agent's ``step`` is called every step and decides for itself, with Python
scalars and the model's ``random``. Stock is unlimited and money is kept in counters instead
of a ledger, so it does less work than autofin, whose timing includes the whole supply chain.

It exists only to time the speed-up of the vectorised design (``benchmarks/consumers.py``).
"""

from __future__ import annotations

import math
from typing import Any

import mesa

from autofin.scenario.schema import Scenario
from autofin.world.approval import MINUTES_PER_DAY
from autofin.world.auto_loans import DAYS_PER_MONTH, annuity_factor
from autofin.world.banks import opening_car_loan_rate


class Loan:
    """One car loan: an annuity with a drawn fate."""

    __slots__ = ("amount", "bank", "default_month", "months_paid", "next_due_day", "price")

    def __init__(self, amount: float, bank: int, default_month: int, price: float, day: float):
        self.amount = amount
        self.bank = bank
        self.default_month = default_month
        self.months_paid = 0
        self.next_due_day = day + DAYS_PER_MONTH
        self.price = price


class ConsumerAgent(mesa.Agent):
    """A consumer who shops, borrows and repays."""

    def __init__(self, model: ReferenceModel) -> None:
        super().__init__(model)
        spec, r = model.consumers, model.random
        self.income = spec.income_median * math.exp(r.gauss(0.0, spec.income_sigma))
        self.savings = spec.savings_years * self.income * math.exp(r.gauss(0.0, spec.savings_sigma))
        self.risk = r.gauss(0.0, 1.0)
        self.propensity = min(max(r.gauss(spec.purchase_propensity, 0.1), 0.0), 1.0)
        self.fraud_propensity = r.gauss(0.0, 1.0)
        self.fraud = r.random() < spec.fraud_share
        walk_in = spec.channels.walk_in.weight
        share = walk_in / (walk_in + spec.channels.online.weight)
        self.channel = 0 if r.random() < share else 1
        self.app_user = r.random() < spec.channels.bank_app.user_share
        self.last_purchase = -(10**6)
        self.next_trip = model.next_trip_gap()
        self.loans: list[Loan] = []

    def step(self) -> None:
        """Repay what is due, then shop if this is a shopping step."""
        model = self.model
        for loan in list(self.loans):
            if model.day >= loan.next_due_day:
                model.collect(self, loan)
        if model.steps_done == self.next_trip:
            self.next_trip = model.steps_done + model.next_trip_gap()
            if model.steps_done - self.last_purchase >= model.holding_steps:
                lead_rate = model.lead_rates[self.channel]
                model.traffic += 1
                if self.random.random() < lead_rate:
                    model.shop(self, self.channel)


class ReferenceModel(mesa.Model):
    """The consumer side of a scenario, one agent per consumer."""

    def __init__(self, scenario: Scenario) -> None:
        super().__init__(rng=scenario.seed)
        self.consumers = spec = scenario.consumers
        self.step_days = scenario.step_days
        self.price = scenario.automakers.vehicle_price
        self.n_banks = scenario.banks.count
        self.steps_done = 0
        self.day = 0.0
        self.step_years = scenario.step_days / 365.0
        self.holding_steps = round(spec.holding_years / self.step_years)
        self.lead_rates = (spec.channels.walk_in.lead_rate, spec.channels.online.lead_rate)
        # No bank balance sheets here: loans at the price banks quote at their opening capital
        # ratio, before any loss (what autofin sizes its market with).
        self.apr = opening_car_loan_rate(scenario.banks, spec.loans.margin)
        self.instalment = annuity_factor(self.apr, spec.loans.term_months)
        approval = spec.approval
        self.checks = approval.checks
        auto = [c.latency_minutes for c in self.checks if c.automatic]
        self.auto_minutes = (max(auto) if approval.parallel else sum(auto)) if auto else 0.0
        self.has_manual = any(not c.automatic for c in self.checks)
        self.review = approval.review_minutes + sum(
            c.latency_minutes for c in self.checks if not c.automatic
        )
        self.shift = approval.working_hours * 60.0
        self.free_at = [0.0] * self.n_banks
        self.sales = self.traffic = self.leads = self.applications = self.approvals = 0
        self.defaults = 0
        self.bank_income = [0.0] * self.n_banks
        self.bank_losses = [0.0] * self.n_banks
        self.exposure = [0.0] * self.n_banks
        for _ in range(spec.population):
            ConsumerAgent(self)
        self.app_users = [a for a in self.agents if a.app_user]

    def next_trip_gap(self) -> int:
        """Steps to the next shopping trip (geometric)."""
        rate = min(self.step_years / self.consumers.replacement_years, 1.0)
        return max(1, math.ceil(math.log(1.0 - self.random.random()) / math.log(1.0 - rate)))

    def step(self) -> None:
        """Every consumer acts; the bank app shows its offers."""
        self.steps_done += 1
        self.day = self.steps_done * self.step_days
        self.agents.do("step")
        app = self.consumers.channels.bank_app
        if app.monthly_traffic > 0 and self.app_users:
            views = int(self.rng.poisson(app.monthly_traffic * self.step_days / DAYS_PER_MONTH))
            self.traffic += views
            for _ in range(views):
                if self.random.random() < app.click_to_lead:
                    agent = self.random.choice(self.app_users)
                    if self.steps_done - agent.last_purchase >= self.holding_steps:
                        self.shop(agent, 2)

    # -------------------------------------------------------------- the funnel
    def shop(self, agent: ConsumerAgent, channel: int) -> None:
        """One lead goes through the funnel."""
        spec, loans, r = self.consumers, self.consumers.loans, self.random
        self.leads += 1
        price = self.price
        cash_capable = agent.savings >= price
        wants_loan = agent.fraud or not cash_capable or r.random() < loans.loan_preference
        amount = (1.0 - loans.down_payment_share) * price
        burden = amount * self.instalment / (agent.income / 12.0)
        fate = self.draw_fate(agent, burden) if wants_loan else 0
        bad = fate > 0 and not agent.fraud
        settled = False
        if wants_loan and channel == 2 and spec.channels.bank_app.prequalified:
            settled = burden <= loans.max_payment_to_income and self.prequalify(agent, bad)
        price_burden = price / (spec.affordability_multiple * agent.income)
        if wants_loan:
            instalment_burden = (
                amount * self.instalment / (loans.comfortable_payment_share * agent.income / 12)
            )
            price_burden = max(price_burden, instalment_burden)
        feel = 1.0 / (
            1.0 + math.exp(min(max(spec.price_sensitivity * (price_burden - 1), -50), 50))
        )
        if wants_loan and not agent.fraud and agent.savings < loans.down_payment_share * price:
            feel = 0.0
        if r.random() >= spec.test_drive_propensity * feel or r.random() >= agent.propensity:
            return
        if not wants_loan:
            self.buy(agent, price, None)
            return
        start = ((self.steps_done - 1) + r.random()) * self.step_days * MINUTES_PER_DAY
        bank = r.randrange(self.n_banks)
        if channel == 2:
            bank = spec.channels.bank_app.partner_bank
        if settled:
            self.applications += 1
            self.approvals += 1
            waited = 0.0
        else:
            arrive, approved = start, False
            for _attempt in range(2):
                self.applications += 1
                approved, decided = self.decide(agent, bad, bank, arrive)
                approved = approved and burden <= loans.max_payment_to_income
                arrive = decided
                if approved:
                    self.approvals += 1
                    break
                if cash_capable and not agent.fraud:
                    self.buy(agent, price, None)
                    return
                if r.random() >= spec.approval.second_lender_share or self.n_banks < 2:
                    return
                bank = (bank + r.randrange(1, self.n_banks)) % self.n_banks
            if not approved:
                return
            waited = arrive - start
        curve = spec.approval.booking
        booked = curve.floor + (curve.instant - curve.floor) * math.exp(
            -waited / curve.fast_minutes
        )
        booked *= math.exp(-waited / (curve.slow_days * MINUTES_PER_DAY))
        if r.random() < booked:
            self.buy(agent, price, Loan(amount, bank, fate, price, self.day))

    def draw_fate(self, agent: ConsumerAgent, burden: float) -> int:
        """Month of the first missed instalment (0 = repaid), drawn month by month."""
        if agent.fraud:
            return 1
        loans, r = self.consumers.loans, self.random
        base = loans.default_intercept + loans.risk_weight * agent.risk
        base += loans.burden_weight * burden
        for month in range(1, loans.term_months + 1):
            hazard = 1.0 / (1.0 + math.exp(-(base + r.gauss(0.0, loans.income_shock_sd))))
            if r.random() < hazard:
                return month
        return 0

    def reading(self, check: Any, agent: ConsumerAgent, noise: float) -> float:
        """The score one check observes (latent traits plus its error)."""
        latent = check.risk_loading * agent.risk + check.fraud_loading * agent.fraud_propensity
        return latent + noise * self.random.gauss(0.0, 1.0)

    def prequalify(self, agent: ConsumerAgent, bad: bool) -> bool:
        """The automatic checks, all conclusive and passed."""
        for check in self.checks:
            if not check.automatic:
                continue
            score = self.reading(check, agent, check.noise)
            if score > check.threshold - check.inconclusive_band:
                return False
        return True

    def decide(self, agent: ConsumerAgent, bad: bool, bank: int, arrive: float):
        """Run the checks; referred applications wait in the bank's queue."""
        rejected = auto_rejected = unsure = False
        for check in self.checks:
            score = self.reading(check, agent, check.noise)
            rejects = score > check.threshold
            doubt = check.automatic and abs(score - check.threshold) < check.inconclusive_band
            rejected |= rejects
            auto_rejected |= rejects and check.automatic and not doubt
            unsure |= doubt
        ready = arrive + self.auto_minutes
        if auto_rejected or not (self.has_manual or unsure):
            return not rejected, ready
        # A reviewer re-reads every check with less noise.
        share = self.consumers.approval.review_noise_share
        rejected = any(
            self.reading(check, agent, check.noise * share) > check.threshold
            for check in self.checks
        )
        day, within = divmod(ready, MINUTES_PER_DAY)
        working = day * self.shift + min(within, self.shift)
        gap = self.review / self.consumers.approval.reviewers
        start = max(self.free_at[bank], working)
        self.free_at[bank] = start + gap
        day, within = divmod(start + self.review, self.shift)
        return not rejected, day * MINUTES_PER_DAY + within

    def buy(self, agent: ConsumerAgent, price: float, loan: Loan | None) -> None:
        """A sale; a financed one books the loan."""
        self.sales += 1
        agent.last_purchase = self.steps_done
        if loan is not None:
            agent.loans.append(loan)
            self.exposure[loan.bank] += loan.amount

    def collect(self, agent: ConsumerAgent, loan: Loan) -> None:
        """One monthly instalment, or the default and the repossession."""
        loans = self.consumers.loans
        rate = self.apr / 12.0
        k = loan.months_paid
        growth = (1.0 + rate) ** k
        unit = (
            growth - self.instalment * (growth - 1.0) / rate
            if rate
            else 1.0 - k / loans.term_months
        )
        balance = loan.amount * unit
        if loan.default_month == k + 1:
            resale = loan.price * loans.repossession_value
            resale *= (1.0 - loans.depreciation_rate) ** ((k + 1) / 12.0)
            recovered = 0.0 if agent.fraud else min(resale, balance)
            self.bank_losses[loan.bank] += balance - recovered
            self.exposure[loan.bank] -= balance
            self.defaults += 1
            agent.loans.remove(loan)
            return
        interest = balance * rate
        self.bank_income[loan.bank] += interest
        self.exposure[loan.bank] -= loan.amount * self.instalment - interest
        loan.months_paid += 1
        loan.next_due_day += DAYS_PER_MONTH
        if loan.months_paid == loans.term_months:
            agent.loans.remove(loan)
