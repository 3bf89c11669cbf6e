"""Consumers as rows: who shops for a vehicle when, and who buys.

Each consumer shops at the times of a Poisson process with a mean gap of
``replacement_years``; the calendar holds, for every step, the consumers who shop in it, so a
step costs in proportion to the shoppers, not to the population. A shopper buys with a
probability that falls with the price relative to what its income makes comfortable, and picks
an automaker by market share. Buyers who find no car in stock come back after ``retry_days``,
at most ``max_retries`` times; then the sale is lost.
Car budgets come from household income earned outside the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autofin.scenario.schema import ConsumerSpec
from autofin.world.ledger import Flow, Ledger


@dataclass
class Consumers:
    """The consumer population and its shopping calendar."""

    spec: ConsumerSpec
    income: np.ndarray
    retries: np.ndarray
    calendar: list[list[np.ndarray]]
    step_years: float
    account: int

    @property
    def population(self) -> int:
        """Number of consumers."""
        return len(self.income)

    def purchase_probability(
        self, price: float, income: np.ndarray, factor: float = 1.0
    ) -> np.ndarray:
        """Chance that a shopper with ``income`` buys a vehicle at ``price``."""
        spec = self.spec
        burden = price / (spec.affordability_multiple * income)
        return (
            spec.purchase_propensity
            * factor
            / (1.0 + np.exp(spec.price_sensitivity * (burden - 1.0)))
        ).clip(0.0, 1.0)

    def expected_buyers_per_step(self, price: float) -> float:
        """Expected purchases per step in the long run, for sizing the supply chain."""
        shoppers = self.population * self.step_years / self.spec.replacement_years
        return shoppers * float(self.purchase_probability(price, self.income).mean())

    def schedule(self, who: np.ndarray, first_step: int, gap_steps: np.ndarray) -> None:
        """Put ``who`` in the calendar at ``first_step + gap_steps`` (if within the horizon)."""
        when = first_step + gap_steps
        inside = when < len(self.calendar)
        who, when = who[inside], when[inside]
        if who.size == 0:
            return
        order = np.argsort(when, kind="stable")
        who, when = who[order], when[order]
        steps, starts = np.unique(when, return_index=True)
        for s, chunk in zip(steps, np.split(who, starts[1:]), strict=True):
            self.calendar[s].append(chunk)

    def shoppers(self, step: int) -> np.ndarray:
        """Consumers who shop at ``step``."""
        chunks = self.calendar[step]
        self.calendar[step] = []
        return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)

    def next_trip_gaps(self, count: int, rng: np.random.Generator) -> np.ndarray:
        """Steps until the next shopping trip (geometric: a Poisson process in steps)."""
        rate = min(self.step_years / self.spec.replacement_years, 1.0)
        return rng.geometric(rate, size=count)

    def shop(
        self,
        step: int,
        prices: np.ndarray,
        market_share: np.ndarray,
        factor: float,
        rng: np.random.Generator,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Shoppers of this step decide whether to buy and from which automaker.

        Returns:
            The buyers and the automaker (row among automakers) each one wants.
        """
        shoppers = self.shoppers(step)
        choice = rng.choice(len(market_share), size=shoppers.size, p=market_share)
        chance = self.purchase_probability(prices[choice], self.income[shoppers], factor)
        # Buyers coming back for a car that was out of stock have already decided to buy.
        buys = (rng.random(shoppers.size) < chance) | (self.retries[shoppers] > 0)
        self.retries[shoppers[~buys]] = 0
        self.schedule(shoppers[~buys], step, self.next_trip_gaps(int((~buys).sum()), rng))
        return shoppers[buys], choice[buys]

    def is_new_demand(self, buyers: np.ndarray) -> np.ndarray:
        """Which buyers are on a fresh shopping trip, not coming back for a car out of stock."""
        return self.retries[buyers] == 0

    def settle_purchases(
        self,
        step: int,
        buyers: np.ndarray,
        served: np.ndarray,
        spend: float,
        ledger: Ledger,
        rng: np.random.Generator,
    ) -> int:
        """Fund the purchases from household income; reschedule buyers and unserved buyers.

        Returns:
            Sales lost this step: unserved buyers who came back too often and give up.
        """
        ledger.post(ledger.outside, self.account, spend, Flow.HOUSEHOLD_INCOME)
        unserved = buyers[~served]
        give_up = self.retries[unserved] >= self.spec.max_retries
        done = np.concatenate([buyers[served], unserved[give_up]])
        self.retries[done] = 0
        self.schedule(done, step, self.next_trip_gaps(done.size, rng))
        again = unserved[~give_up]
        self.retries[again] += 1
        retry = max(1, round(self.spec.retry_days / (self.step_years * 365.0)))
        self.schedule(again, step, np.full(again.size, retry))
        return int(give_up.sum())


def build_consumers(
    spec: ConsumerSpec, steps: int, step_days: int, account: int, rng: np.random.Generator
) -> Consumers:
    """Draw incomes and the first shopping trip of every consumer."""
    income = spec.income_median * np.exp(rng.normal(0.0, spec.income_sigma, spec.population))
    consumers = Consumers(
        spec=spec,
        income=income,
        retries=np.zeros(spec.population, dtype=np.int16),
        calendar=[[] for _ in range(steps + 1)],
        step_years=step_days / 365.0,
        account=account,
    )
    everyone = np.arange(spec.population)
    consumers.schedule(everyone, 0, consumers.next_trip_gaps(spec.population, rng))
    return consumers
