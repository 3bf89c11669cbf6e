"""A rough estimate of the work a scenario asks for: steps, agents, memory and run time.

`autofin validate` prints it and `autofin run` refuses a scenario whose memory estimate
exceeds the machine's memory (unless `--force`). The estimates are meant to catch a
scenario that is ten times too big, not to predict a run to the second; they err high.

The run-time coefficients were measured on 5 December 2026 on one core of a 2-core Intel
Xeon virtual machine (other work on the other core) with

    taskset -c 1 .venv/bin/autofin run SCENARIO -o OUT --no-report [--set ...]

reading `wall_time_s` in `summary.json` (the simulation of all replications; the command
adds about 1.5 s of start-up and writing). One replication of the baseline (156 steps and
52 of warm-up, 341 firms, 50,000 consumers) took 0.48-0.53 s, eight 4.1-4.3 s. Each size
was varied alone: 4 steps without warm-up (0.03 s), 520 steps (1.37 s), 500,000 and
2,000,000 consumers (`consumers.population`; 0.70 s, and 0.39 s for 4 steps, 1.26 s for
208), 3,401 and 10,001 firms (`network.tiers=[400,1000,2000]`, `[1000,3000,6000]`; 0.87 s,
and 0.08 s for 4 steps, 1.56 s for 208), each instrument alone at 341 and 3,401 firms
(factoring 0.56 s and 1.14 s, inventory financing 0.52 s and 0.96 s, reverse factoring
0.55 s and 1.08 s), and 1.15 million bank-app clicks a step (7.6 s for 104 steps against
0.33 s). The coefficients are the fitted ones rounded up: on every shipped scenario and on
these variants (among them `network.tiers=[400,1000,2000]` with 500,000 consumers and
`horizon_days=182`: 0.46 s) the estimate is 1.02 to 1.40 times the measured time (the
baseline's 5.1 s against 4.1-4.3 s, core_enterprise_platform's 9.7 s against 7.9 s); only
runs of under 0.1 s, where building the world is all, are overestimated more.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from autofin.scenario.schema import Scenario

BASE_BYTES = 230e6
"""Interpreter, NumPy, pandas and Mesa and a small world (peak RSS of a 4-step baseline: 229 MB)."""
BYTES_PER_CONSUMER = 120.0
BYTES_PER_FIRM_DAY = 48.0
"""Day-indexed books of payments due: about six float64 books per firm and day of term."""
BYTES_PER_STEP = 5e3
"""One row of the time series plus the step's flows and events."""
BYTES_PER_CLICK = 16.0
OUTPUT_BYTES_PER_STEP = 4e3
"""Result files per step (the baseline writes about 2 kB per step)."""
OUTPUT_BYTES_PER_FIRM = 200.0
"""Result files per firm (events of defaults)."""
REPORT_BYTES = 6e6
"""Size of `report.html`, most of it the embedded plotly.js."""
SECONDS_PER_RUN = 0.05
"""Building one replication's world (network, firms, banks), besides its agents."""
SECONDS_PER_CONSUMER = 0.2e-6
"""Drawing one consumer when a replication starts."""
SECONDS_PER_FIRM = 6e-6
"""Setting up one firm when a replication starts."""
SECONDS_PER_STEP = 2.5e-3
"""One step of a small world, whatever its size (fitted: 2.1 ms)."""
SECONDS_PER_CONSUMER_STEP = 1.3e-9
"""One consumer in one step (fitted: 1.1 ns; only shoppers do much)."""
SECONDS_PER_FIRM_STEP = 0.65e-6
"""One firm in one step (fitted: 0.54 us)."""
SECONDS_PER_INSTRUMENT_STEP = 0.3e-3
"""One finance instrument (factoring, a platform, syndicated loans, ...) in one step."""
SECONDS_PER_INSTRUMENT_FIRM_STEP = 0.3e-6
"""One instrument offered to suppliers, for one firm in one step (fitted: 0.14-0.42 us)."""
SECONDS_PER_CLICK = 0.07e-6
"""One bank-app click in one step (fitted: 0.06 us)."""
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
        replications: Runs, one after another (`steps` and the memory are each run's).
        warmup_steps: Steps of each run's warm-up, before its `steps` (in `seconds` too).
    """

    steps: int
    firms: int
    consumers: int
    banks: int
    memory_bytes: float
    seconds: float
    output_bytes: float
    replications: int = 1
    warmup_steps: int = 0

    def describe(self) -> str:
        """One line for people: `156 steps, 341 firms, ... about 246 MB ... about 5 s`.

        With a warm-up and several replications: `156 steps after 52 of warm-up, a run × 8
        runs, ...; ... about 5 s in all`.
        """
        several = self.replications > 1
        warmup = f" after {self.warmup_steps:,} of warm-up" if self.warmup_steps else ""
        runs = f"{',' if warmup else ''} a run × {self.replications:,} runs" if several else ""
        return (
            f"{self.steps:,} steps{warmup}{runs}, {self.firms:,} firms, "
            f"{self.consumers:,} consumers, "
            f"{self.banks:,} banks; estimated {_megabytes(self.memory_bytes)} of memory and "
            f"{describe_duration(self.seconds)}{' in all' if several else ''}"
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
    clicks = _clicks_per_step(scenario)
    longest_days = max(_durations(scenario)) + scenario.step_days + 365
    memory = (
        BASE_BYTES
        + consumers * BYTES_PER_CONSUMER
        + firms * longest_days * BYTES_PER_FIRM_DAY
        + steps * BYTES_PER_STEP
        + clicks * BYTES_PER_CLICK
    )
    # Replications run one after another, each in the memory of one run.
    seconds = scenario.replications * _seconds_per_replication(scenario, firms, clicks)
    output = 50e3 + REPORT_BYTES + steps * OUTPUT_BYTES_PER_STEP + firms * OUTPUT_BYTES_PER_FIRM
    return Workload(
        steps,
        firms,
        consumers,
        scenario.banks.count,
        memory,
        seconds,
        output,
        replications=scenario.replications,
        warmup_steps=scenario.warmup_steps,
    )


def _seconds_per_replication(scenario: Scenario, firms: int, clicks: float) -> float:
    """One replication on one core: building its world, then the warm-up and the horizon."""
    consumers = scenario.consumers.population
    suppliers_finance = _supplier_instruments(scenario)
    instruments = suppliers_finance + bool(scenario.finance.syndicated_loans)
    build = SECONDS_PER_RUN + consumers * SECONDS_PER_CONSUMER + firms * SECONDS_PER_FIRM
    step = (
        SECONDS_PER_STEP
        + consumers * SECONDS_PER_CONSUMER_STEP
        + firms * SECONDS_PER_FIRM_STEP
        + instruments * SECONDS_PER_INSTRUMENT_STEP
        + suppliers_finance * firms * SECONDS_PER_INSTRUMENT_FIRM_STEP
        + clicks * SECONDS_PER_CLICK
    )
    return build + scenario.run_steps * step


def _clicks_per_step(scenario: Scenario) -> float:
    """Bank-app views a step that become clicks (each is drawn and looked up)."""
    app = scenario.consumers.channels.bank_app
    return app.monthly_traffic * scenario.step_days / DAYS_PER_MONTH * app.click_to_lead


def _supplier_instruments(scenario: Scenario) -> int:
    """Supply-chain finance instruments the scenario offers suppliers, each looked at per firm.

    Syndicated loans, lent to a few firms, are not among them.
    """
    finance = scenario.finance
    on = (
        finance.order_financing,
        finance.inventory_financing,
        finance.factoring,
        finance.reverse_factoring,
    )
    return sum(1 for instrument in on if instrument)


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
