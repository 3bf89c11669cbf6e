"""Sales channels: how shoppers become leads.

Dealer walk-ins and online visits come from consumers' own shopping trips, through the channel
each consumer uses; a visit becomes a lead with the channel's ``lead_rate``. The bank-app
partnership ("finance + traffic") shows car offers to randomly chosen app users,
``monthly_traffic`` views a month; a view becomes a lead with ``click_to_lead``. App users who
bought a car recently do not click.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autofin.world.auto_loans import DAYS_PER_MONTH
from autofin.world.consumers import Channel, Consumers


@dataclass
class Leads:
    """Leads of one step and the traffic that produced them."""

    who: np.ndarray
    channel: np.ndarray
    traffic: np.ndarray  # visits or views per channel
    not_leads: np.ndarray  # organic visitors who left without becoming leads


def organic_leads(consumers: Consumers, visitors: np.ndarray, rng: np.random.Generator) -> Leads:
    """Leads from consumers on a shopping trip, through their own channel."""
    channels = consumers.spec.channels
    channel = consumers.channel[visitors]
    lead_rate = np.array([channels.walk_in.lead_rate, channels.online.lead_rate])[channel]
    lead = rng.random(visitors.size) < lead_rate
    traffic = np.bincount(channel, minlength=len(Channel)).astype(float)
    return Leads(visitors[lead], channel[lead], traffic, visitors[~lead])


def bank_app_leads(
    consumers: Consumers,
    step: int,
    step_days: int,
    exclude: np.ndarray,
    rng: np.random.Generator,
) -> Leads:
    """Leads from the bank app's car offers this step (none are repeated or already shopping)."""
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
    who = who[~consumers.recently_bought(who, step) & ~shopping[who]]
    shopping[exclude] = False
    return Leads(who, np.full(who.size, Channel.BANK_APP, dtype=np.int8), traffic, empty)
