"""A rough estimate of the work a scenario asks for: steps, agents, memory and run time.

`autofin validate` prints it and `autofin run` refuses a scenario whose memory estimate
exceeds the machine's memory (unless `--force`). The coefficients were measured on the
shipped scenarios (baseline: 156 steps, 341 firms, 50,000 consumers, about 4 s and 200 MB
on one core of a 2-core machine) and varying one size at a time; they are meant to catch a
scenario that is ten times too big, not to predict a run to the second.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from autofin.scenario.schema import Scenario

BASE_BYTES = 200e6
"""Interpreter, NumPy, pandas and Mesa before any agent exists."""
BYTES_PER_CONSUMER = 120.0
BYTES_PER_FIRM_DAY = 48.0
"""Day-indexed books of payments due: about six float64 books per firm and day of term."""
BYTES_PER_STEP = 5e3
"""One row of the time series plus the step's flows and events."""
BYTES_PER_CLICK = 16.0
OUTPUT_BYTES_PER_STEP = 4e3
"""Result files per step (the baseline writes about 2 kB per step)."""
OUTPUT_BYTES_PER_FIRM = 200.0
REPORT_BYTES = 6e6
"""Size of `report.html`, most of it the embedded plotly.js."""
"""Result files per firm (events of defaults)."""
SECONDS_PER_STEP = 0.012
SECONDS_PER_CONSUMER_STEP = 0.13e-6
SECONDS_PER_FIRM_STEP = 19e-6
SECONDS_PER_CLICK = 0.05e-6
DAYS_PER_MONTH = 30.4375


@dataclass(frozen=True)
class Workload:
    """What a run of a scenario will take, roughly.

    Attributes:
        steps: Model steps.
        firms: Automakers and suppliers.
        consumers: Consumers.
        banks: Banks.
        memory_bytes: Estimated peak memory of the run.
        seconds: Estimated run time on one core (all replications).
        output_bytes: Estimated size of the result files.
    """

    steps: int
    firms: int
    consumers: int
    banks: int
    memory_bytes: float
    seconds: float
    output_bytes: float

    def describe(self) -> str:
        """One line for people: `156 steps, 341 firms, ... about 210 MB, about 4 s`."""
        return (
            f"{self.steps:,} steps, {self.firms:,} firms, {self.consumers:,} consumers, "
            f"{self.banks:,} banks; estimated {_megabytes(self.memory_bytes)} of memory and "
            f"{describe_duration(self.seconds)}"
        )


def estimate_workload(scenario: Scenario) -> Workload:
    """Estimate the steps, agents, memory and run time of a scenario.

    Args:
        scenario: A validated scenario (a network file, if any, is counted).

    Returns:
        The estimate.
    """
    steps = scenario.steps
    firms = _firms(scenario)
    consumers = scenario.consumers.population
    app = scenario.consumers.channels.bank_app
    clicks = app.monthly_traffic * scenario.step_days / DAYS_PER_MONTH * app.click_to_lead
    longest_days = max(_durations(scenario)) + scenario.step_days + 365
    memory = (
        BASE_BYTES
        + consumers * BYTES_PER_CONSUMER
        + firms * longest_days * BYTES_PER_FIRM_DAY
        + steps * BYTES_PER_STEP
        + clicks * BYTES_PER_CLICK
    )
    # Replications run one after another, each in the memory of one run.
    seconds = (
        scenario.replications
        * steps
        * (
            SECONDS_PER_STEP
            + consumers * SECONDS_PER_CONSUMER_STEP
            + firms * SECONDS_PER_FIRM_STEP
            + clicks * SECONDS_PER_CLICK
        )
    )
    output = 50e3 + REPORT_BYTES + steps * OUTPUT_BYTES_PER_STEP + firms * OUTPUT_BYTES_PER_FIRM
    return Workload(steps, firms, consumers, scenario.banks.count, memory, seconds, output)


def machine_memory_bytes() -> int | None:
    """Physical memory of this machine, or None where the platform does not say."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, OSError, ValueError):
        return None


def _firms(scenario: Scenario) -> int:
    network = scenario.network
    if network.source == "file" and network.path:
        from autofin.scenario.network_file import read_edges

        edges = read_edges(Path(network.path))
        return len(set(edges["supplier"]) | set(edges["customer"]))
    return network.automakers + sum(network.tiers)


def _durations(scenario: Scenario) -> list[int]:
    """Every setting in days that sizes a book of payments due."""
    terms = scenario.automakers.payment_term_days
    days = [*(terms if isinstance(terms, list) else [terms]), *scenario.suppliers.payment_term_days]
    days += [scenario.banks.loan_term_days, scenario.banks.workout_days]
    days += [change.payment_term_days for change in scenario.finance.payment_terms]
    days += [loan.maturity_days for loan in scenario.finance.syndicated_loans]
    return days


def _megabytes(count: float) -> str:
    if count >= 10e9:
        return f"about {count / 1e9:,.0f} GB"
    if count >= 1e9:
        return f"about {count / 1e9:.1f} GB"
    return f"about {count / 1e6:,.0f} MB"


def describe_duration(seconds: float) -> str:
    """A run time in words for estimates: about 42 s, about 4 min, about 2.1 h."""
    if seconds < 90:
        return f"about {max(seconds, 1):.0f} s"
    if seconds < 5400:
        return f"about {seconds / 60:.0f} min"
    return f"about {seconds / 3600:,.1f} h"
