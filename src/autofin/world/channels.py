"""Demand and sales channels: who shops this step, and how shoppers become leads.

Buyers come from the replacement calendar (each consumer's shopping trips) and from new
households entering the market at ``new_household_rate`` a year. Dealer walk-ins and online
visits come from these trips, through the channel each consumer uses; a visit becomes a lead
with the channel's ``lead_rate``. The bank-app partnership ("finance + traffic") shows car
offers to randomly chosen app users, ``monthly_traffic`` views a month; a view becomes a lead
with ``click_to_lead``, but only from a user already in the market (a trip planned within
``reach_ahead_days``): the app reaches buyers earlier, it does not make them. A lead from the
app keeps its calendar trip; if it buys, that trip finds it holding a new car.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from autofin.world.auto_loans import DAYS_PER_MONTH
from autofin.world.consumers import Channel, Consumers


def _per_channel() -> np.ndarray:
    return np.zeros(len(Channel))


@dataclass
class Leads:
    """Leads of one step and the traffic that produced them."""

    who: np.ndarray
    channel: np.ndarray
    traffic: np.ndarray  # visits or views per channel
    not_leads: np.ndarray  # organic visitors who left without becoming leads


@dataclass
class Prospects:
    """The consumers moving through the funnel this step, one row each."""

    who: np.ndarray
    channel: np.ndarray
    is_lead: np.ndarray  # False for buyers back for a car that was out of stock
    from_calendar: np.ndarray  # trips from the calendar (rescheduled after the step)
    choice: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    price: np.ndarray = field(default_factory=lambda: np.zeros(0))
    fraud: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    cash_capable: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    wants_loan: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def take(self, rows: np.ndarray) -> Prospects:
        """The given rows only."""
        return Prospects(
            self.who[rows],
            self.channel[rows],
            self.is_lead[rows],
            self.from_calendar[rows],
            self.choice[rows],
            self.price[rows],
            self.fraud[rows],
            self.cash_capable[rows],
            self.wants_loan[rows],
        )


@dataclass
class Arrivals:
    """Who shops this step: the prospects, the traffic and leads per channel."""

    prospects: Prospects
    traffic: np.ndarray = field(default_factory=_per_channel)
    leads: np.ndarray = field(default_factory=_per_channel)


def arrivals(
    consumers: Consumers,
    step: int,
    step_days: int,
    home: list[np.ndarray],
    rng: np.random.Generator,
) -> Arrivals:
    """Traffic becomes leads; buyers back for a car out of stock join them.

    Calendar visitors who do not become leads, or bought recently, are added to ``home``
    (rescheduled at the end of the step).
    """
    c = consumers
    visitors = c.shoppers(step)
    back = c.retries[visitors] > 0
    if back.any():
        returning, fresh = visitors[back], visitors[~back]
    else:  # (the usual case: nobody is back for a car that was out of stock)
        returning, fresh = visitors[:0], visitors
    recent = c.recently_bought(fresh, step)
    organic = organic_leads(c, fresh[~recent], rng)
    home += [fresh[recent], organic.not_leads]
    households = new_households(c, step, visitors, rng)
    extra = organic_leads(c, households, rng)
    app = bank_app_leads(c, step, step_days, np.concatenate([visitors, households]), rng)
    lead_channel = np.concatenate([organic.channel, extra.channel, app.channel])
    who = np.concatenate([organic.who, extra.who, app.who, returning])
    channel = np.concatenate([lead_channel, c.held_channel[returning]])
    # Organic leads and returning buyers came from the calendar; the others did not.
    calendar = np.ones(who.size, dtype=bool)
    calendar[organic.who.size : lead_channel.size] = False
    prospects = Prospects(who, channel, np.arange(who.size) < lead_channel.size, calendar)
    return Arrivals(
        prospects,
        organic.traffic + extra.traffic + app.traffic,
        np.bincount(lead_channel, minlength=len(Channel)).astype(float),
    )


def organic_leads(consumers: Consumers, visitors: np.ndarray, rng: np.random.Generator) -> Leads:
    """Leads from consumers on a shopping trip, through their own channel."""
    channels = consumers.spec.channels
    channel = consumers.channel[visitors]
    lead_rate = np.array([channels.walk_in.lead_rate, channels.online.lead_rate])[channel]
    lead = rng.random(visitors.size) < lead_rate
    traffic = np.bincount(channel, minlength=len(Channel)).astype(float)
    return Leads(visitors[lead], channel[lead], traffic, visitors[~lead])


def new_households(
    consumers: Consumers, step: int, exclude: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """First-time buyers of this step, besides the calendar (none repeated or already shopping).

    They are drawn from the population, whose rows stand for households of the same kind; the
    drawn consumers keep their own calendar trips.
    """
    rate = consumers.spec.new_household_rate
    if rate <= 0:
        return np.zeros(0, dtype=np.int64)
    count = int(rng.poisson(rate * consumers.population * consumers.step_years))
    who = np.unique(rng.integers(0, consumers.population, count))
    shopping = consumers.mark(exclude)
    who = who[~consumers.recently_bought(who, step) & ~shopping[who]]
    shopping[exclude] = False
    return who[consumers.retries[who] == 0]


def bank_app_leads(
    consumers: Consumers,
    step: int,
    step_days: int,
    exclude: np.ndarray,
    rng: np.random.Generator,
) -> Leads:
    """Leads from the bank app's car offers this step: users in the market, not already shopping."""
    spec = consumers.spec.channels.bank_app
    traffic = np.zeros(len(Channel))
    empty = np.zeros(0, dtype=np.int64)
    users = consumers.app_users
    if spec.monthly_traffic <= 0 or users.size == 0:
        return Leads(empty, empty.astype(np.int8), traffic, empty)
    views = int(rng.poisson(spec.monthly_traffic * step_days / DAYS_PER_MONTH))
    traffic[Channel.BANK_APP] = views
    clicks = int(rng.binomial(views, spec.click_to_lead))
    who = np.unique(users[rng.integers(0, users.size, clicks)])
    shopping = consumers.mark(exclude)
    ahead = int(spec.reach_ahead_days // step_days)
    who = who[
        ~consumers.recently_bought(who, step)
        & ~shopping[who]
        & (consumers.retries[who] == 0)
        & consumers.in_market(who, step, ahead)
    ]
    shopping[exclude] = False
    return Leads(who, np.full(who.size, Channel.BANK_APP, dtype=np.int8), traffic, empty)
