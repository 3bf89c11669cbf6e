"""Consumers as rows: who they are, when they shop, and what they can afford.

Every consumer has an income, savings, a latent credit risk (standard normal), a purchase
propensity, a fraud flag, an organic channel (dealer walk-in or online) and whether it uses the
partner bank's app. Each consumer shops at the times of a Poisson process with a mean gap of
``replacement_years``; the calendar holds, for every step, the consumers who shop in it, so a
step costs in proportion to the shoppers, not to the population. The funnel that turns a trip
into a purchase is in `autofin.world.funnel`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from numpy.typing import DTypeLike
from scipy.special import ndtri

from autofin.scenario.schema import ConsumerSpec


class Channel(IntEnum):
    """How a lead reached the automaker."""

    WALK_IN = 0
    ONLINE = 1
    BANK_APP = 2


CHANNEL_NAMES = [channel.name.lower() for channel in Channel]

_INT16_MAX = int(np.iinfo(np.int16).max)
_INT32_MAX = int(np.iinfo(np.int32).max)


@dataclass
class Consumers:
    """The consumer population and its shopping calendar."""

    spec: ConsumerSpec
    income: np.ndarray
    savings: np.ndarray
    risk: np.ndarray
    propensity: np.ndarray
    fraud_propensity: np.ndarray
    fraudster: np.ndarray
    channel: np.ndarray
    app_users: np.ndarray
    last_purchase: np.ndarray
    retries: np.ndarray
    held_bank: np.ndarray
    held_fate: np.ndarray
    held_channel: np.ndarray
    held_maker: np.ndarray
    next_trip: np.ndarray
    calendar: list[list[np.ndarray]]
    step_years: float
    account: int
    marks: np.ndarray
    origin: int = 0
    """The step of the calendar's first row (negative when the run starts with a warm-up)."""

    def mark(self, who: np.ndarray) -> np.ndarray:
        """A population-sized mask that is True for ``who``; the caller clears it after use."""
        self.marks[who] = True
        return self.marks

    @property
    def population(self) -> int:
        """Number of consumers."""
        return len(self.income)

    @property
    def holding_steps(self) -> int:
        """Steps after a purchase during which a consumer does not buy again."""
        return round(self.spec.holding_years / self.step_years)

    def recently_bought(self, who: np.ndarray, step: int) -> np.ndarray:
        """Which of ``who`` bought a vehicle less than ``holding_years`` ago."""
        return step - self.last_purchase[who] < self.holding_steps

    def affordability(
        self,
        who: np.ndarray,
        price: np.ndarray,
        wants_loan: np.ndarray,
        instalment: float | np.ndarray,
        down_payment_share: float | np.ndarray | None = None,
        *,
        savings: np.ndarray | None = None,
        fraudster: np.ndarray | None = None,
    ) -> np.ndarray:
        """How affordable the car feels to each of ``who``, from 0 to 1.

        The burden is the price over what income makes comfortable; for a loan it is also the
        instalment over the comfortable share of monthly income, so APR, term and down
        payment move it. A borrower without the down payment cannot buy at all.

        Args:
            who: The consumers.
            price: The price of the car each considers.
            wants_loan: Whether each would borrow.
            instalment: Monthly instalment per unit of loan (`ConsumerLoanBook.instalment`),
                one for all or one per consumer.
            down_payment_share: Down payment as a share of the price (one for all or one per
                consumer); by default the scenario's.
            savings: ``self.savings[who]``, if the caller has read it already.
            fraudster: ``self.fraudster[who]``, if the caller has read it already.
        """
        spec, loans = self.spec, self.spec.loans
        down = loans.down_payment_share if down_payment_share is None else down_payment_share
        savings = self.savings[who] if savings is None else savings
        fraudster = self.fraudster[who] if fraudster is None else fraudster
        income = self.income[who]
        burden = price / (spec.affordability_multiple * income)
        payment = (1.0 - down) * price * instalment
        loan_burden = payment / (loans.comfortable_payment_share * income / 12.0)
        burden = np.where(wants_loan, np.maximum(burden, loan_burden), burden)
        # 1 / (1 + e^x) of x = price_sensitivity × (burden − 1) clipped to ±50, in place.
        feel = np.subtract(burden, 1.0, out=burden)
        feel *= spec.price_sensitivity
        np.maximum(feel, -50.0, out=feel)
        np.minimum(feel, 50.0, out=feel)
        np.exp(feel, out=feel)
        feel += 1.0
        np.divide(1.0, feel, out=feel)
        has_down = savings >= down * price
        feel[wants_loan & ~has_down & ~fraudster] = 0.0
        return feel

    def schedule(self, who: np.ndarray | slice, first_step: int, gap_steps: np.ndarray) -> None:
        """Put ``who`` in the calendar at ``first_step + gap_steps`` (if within the horizon).

        ``who`` is an array of consumers or a slice of them (a block of the population).
        """
        # next_trip holds absolute steps, also beyond the horizon (the bank app's reach looks
        # ahead of it); the calendar's row is the step less its origin. A trip clipped to
        # int32 is far beyond the horizon either way.
        trip = first_step + gap_steps
        np.minimum(trip, _INT32_MAX, out=trip)
        self.next_trip[who] = trip
        trip -= self.origin
        self._file(who, trip)

    def _file(self, who: np.ndarray | slice, row: np.ndarray) -> None:
        """Append ``who`` to the calendar at ``row`` each; rows past its end are dropped.

        A row's consumers keep their order in ``who`` (a stable sort by row).
        """
        n_rows = len(self.calendar)
        if row.size == 0:
            return
        if n_rows > _INT16_MAX or row.min() < 0:
            who = np.arange(who.start, who.stop) if isinstance(who, slice) else who
            self._file_sorted(who, row)
            return
        # Rows past the end share the key n_rows and sort last. Sixteen-bit keys' stable sort
        # is a radix sort; the keys' counts bound the rows.
        key = np.minimum(row, n_rows).astype(np.int16)
        order = key.argsort(kind="stable")
        counts = np.bincount(key, minlength=n_rows + 1)[:n_rows]
        kept = order[: int(counts.sum())]
        if kept.size == 0:
            return
        if isinstance(who, slice):  # a block of consumers: positions in it number them
            kept += who.start
            filed = kept
        else:
            filed = who[kept]
        rows = counts.nonzero()[0]
        ends = counts[rows].cumsum().tolist()
        calendar = self.calendar
        for step, start, end in zip(rows.tolist(), [0, *ends[:-1]], ends, strict=True):
            calendar[step].append(filed[start:end])

    def _file_sorted(self, who: np.ndarray, row: np.ndarray) -> None:
        """`_file` for any rows, sorted in full (a calendar of more than 32,767 rows)."""
        inside = row < len(self.calendar)
        who, row = who[inside], row[inside]
        if who.size == 0:
            return
        order = row.argsort(kind="stable")
        who, row = who[order], row[order]
        bounds = ((row[1:] != row[:-1]).nonzero()[0] + 1).tolist()
        starts = [0, *bounds]
        ends = [*bounds, who.size]
        for start, end, step in zip(starts, ends, row[starts].tolist(), strict=True):
            self.calendar[step].append(who[start:end])

    def shoppers(self, step: int) -> np.ndarray:
        """Consumers who shop at ``step``."""
        chunks = self.calendar[step - self.origin]
        self.calendar[step - self.origin] = []
        who = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)
        # A trip replaced by a later schedule (a buyer coming back for a car) is void.
        return who[self.next_trip[who] == step]

    def in_market(self, who: np.ndarray, step: int, ahead_steps: int) -> np.ndarray:
        """Which of ``who`` plan a shopping trip within ``ahead_steps`` after ``step``."""
        return (self.next_trip[who] > step) & (self.next_trip[who] <= step + ahead_steps)

    def next_trip_gaps(self, count: int, rng: np.random.Generator) -> np.ndarray:
        """Steps until the next shopping trip (geometric: a Poisson process in steps)."""
        rate = min(self.step_years / self.spec.replacement_years, 1.0)
        return rng.geometric(rate, size=count)

    def reschedule(self, who: np.ndarray, step: int, rng: np.random.Generator) -> None:
        """Send ``who`` home until their next shopping trip."""
        self.retries[who] = 0
        self.schedule(who, step, self.next_trip_gaps(who.size, rng))

    def retry_later(
        self,
        who: np.ndarray,
        step: int,
        channel: np.ndarray,
        bank: np.ndarray,
        default_month: np.ndarray,
        maker: np.ndarray,
    ) -> None:
        """Buyers who found no car in stock come back after ``retry_days``.

        They keep their channel, their automaker and their financing: the bank that approved
        their loan (-1 for cash) and the loan's fate.
        """
        self.held_maker[who] = maker
        self.retries[who] += 1
        self.held_channel[who] = channel
        self.held_bank[who] = bank
        self.held_fate[who] = default_month
        retry = max(1, round(self.spec.retry_days / (self.step_years * 365.0)))
        self.schedule(who, step, np.full(who.size, retry))


def build_consumers(
    spec: ConsumerSpec,
    steps: int,
    step_days: int,
    account: int,
    rng: np.random.Generator,
    first_step: int = 0,
) -> Consumers:
    """Draw every consumer's attributes and first shopping trip.

    The calendar covers steps ``first_step + 1`` to ``first_step + steps`` (a warm-up before
    day 0 starts at a negative step).
    """
    n = spec.population
    # Population-sized draws go a chunk at a time (`_drawn`) and arithmetic in place: at
    # millions of consumers, memory touched once more costs as much as the arithmetic.
    income = rng.normal(0.0, spec.income_sigma, n)
    np.exp(income, out=income)
    income *= spec.income_median
    savings = rng.normal(0.0, spec.savings_sigma, n)
    np.exp(savings, out=savings)
    for part in population_chunks(n):
        savings[part] *= spec.savings_years * income[part]
    mean, sd = spec.purchase_propensity, spec.purchase_propensity_dispersion
    if 0.0 < mean < 1.0 and 0.0 < sd**2 < mean * (1.0 - mean):
        strength = mean * (1.0 - mean) / sd**2 - 1.0
        a, b = mean * strength, (1.0 - mean) * strength
        propensity = _drawn(n, np.float32, lambda k: rng.beta(a, b, k))
    else:
        propensity = np.full(n, mean, dtype=np.float32)
    channels = spec.channels
    # Fraud propensity is a latent trait the checks observe; the top `fraud_share` are
    # fraudsters.
    fraud_propensity = _standard_normals(n, rng)
    fraud_cut = ndtri(1.0 - spec.fraud_share) if spec.fraud_share > 0 else np.inf
    risk = _standard_normals(n, rng)
    walk_in = channels.walk_in.weight / (channels.walk_in.weight + channels.online.weight)
    # Channel.WALK_IN (0) for a draw below the walk-in share, else Channel.ONLINE (1).
    channel = _drawn(n, np.int8, lambda k: rng.random(k) >= walk_in)
    app_share = channels.bank_app.user_share
    app_users = np.flatnonzero(_drawn(n, bool, lambda k: rng.random(k) < app_share))
    consumers = Consumers(
        spec=spec,
        income=income,
        savings=savings,
        risk=risk,
        propensity=propensity,
        fraud_propensity=fraud_propensity,
        fraudster=fraud_propensity > fraud_cut,
        channel=channel,
        app_users=app_users,
        last_purchase=np.full(n, -(10**6), dtype=np.int32),
        retries=np.zeros(n, dtype=np.int16),
        held_bank=np.full(n, -1, dtype=np.int16),
        held_fate=np.zeros(n, dtype=np.int16),
        held_channel=np.zeros(n, dtype=np.int8),
        held_maker=np.zeros(n, dtype=np.int16),
        next_trip=np.zeros(n, dtype=np.int32),
        calendar=[[] for _ in range(steps + 1)],
        step_years=step_days / 365.0,
        account=account,
        marks=np.zeros(n, dtype=bool),
        origin=first_step,
    )
    for part in population_chunks(n):
        consumers.schedule(part, first_step, consumers.next_trip_gaps(part.stop - part.start, rng))
    return consumers


_CHUNK = 1 << 20
"""Consumers drawn at a time when the population is built."""


def population_chunks(n: int) -> list[slice]:
    """Consecutive slices of ``_CHUNK`` consumers covering ``range(n)``."""
    return [slice(start, min(n, start + _CHUNK)) for start in range(0, n, _CHUNK)]


def _drawn(n: int, dtype: DTypeLike, draw: Callable[[int], np.ndarray]) -> np.ndarray:
    """``draw(size)`` for ``n`` consumers, a chunk at a time, stored as ``dtype``.

    A random stream is consumed in order, so the numbers are those of one call
    ``draw(n)``, without its temporary the size of the population.
    """
    out = np.empty(n, dtype=dtype)
    for part in population_chunks(n):
        out[part] = draw(part.stop - part.start)
    return out


def _standard_normals(n: int, rng: np.random.Generator) -> np.ndarray:
    """``rng.standard_normal(n)`` stored as float32, a chunk at a time through one buffer.

    The numbers of one call (`_drawn`), without a fresh temporary per chunk.
    """
    out = np.empty(n, dtype=np.float32)
    buffer = np.empty(min(n, _CHUNK))
    for part in population_chunks(n):
        drawn = buffer[: part.stop - part.start]
        rng.standard_normal(out=drawn)
        out[part] = drawn
    return out
