"""Benchmark the cost of supply-chain finance: the baseline with and without every instrument.

Times ``autofin.simulate`` on ``scenarios/baseline.yaml`` as shipped (bank loans only) and with
every instrument switched on: order financing, inventory financing, factoring with recourse,
a multi-tier reverse-factoring platform on all banks, a syndicated loan drawn as needed and a
60-day pledge taking effect mid-run; once with firms choosing the cheapest instrument first
(every rate computed for every applicant) and once in the preference order. Each figure is
the best of ``--repeat`` runs after an untimed warm-up, on one core (the process is pinned to
one CPU and BLAS threads are set to 1). Prints the times and the ratios; the target is a
ratio of at most 1.5.

Usage::

    .venv/bin/python benchmarks/instruments.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = "1"

ROOT = Path(__file__).resolve().parents[1]

EVERY_INSTRUMENT = {
    "finance": {
        "choice": "cheapest",
        "preference": ["reverse_factoring", "factoring", "inventory_financing", "bank_loan"],
        "order_financing": {"advance_rate": 0.6},
        "inventory_financing": {"loan_to_value": 0.6, "haircut": 0.2},
        "factoring": {"recourse": True},
        "reverse_factoring": [{"sponsor": 0, "banks": [0, 1, 2, 3, 4], "tiers": [1, 2]}],
        "syndicated_loans": [{"borrower": 0, "banks": [0, 1, 2], "drawing": "as_needed"}],
        "payment_terms": [{"day": 546, "payment_term_days": 60}],
    }
}


def best_time(scenario: object, repeat: int) -> float:
    """Best wall time of ``simulate(scenario)`` over ``repeat`` runs, after a warm-up."""
    from autofin import simulate

    simulate(scenario)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        simulate(scenario)
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    """Print the baseline's time without and with every instrument, and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per case (best kept)")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    from autofin import load_scenario

    path = ROOT / "scenarios" / "baseline.yaml"
    baseline = load_scenario(path)
    everything = load_scenario(path, overrides=EVERY_INSTRUMENT)
    in_order = load_scenario(path, overrides={**EVERY_INSTRUMENT, "finance.choice": "order"})
    plain = best_time(baseline, args.repeat)
    steps = baseline.steps
    print(f"baseline, bank loans only            : {plain:7.3f} s  ({steps / plain:5.0f} steps/s)")
    for label, scenario in (
        ("every instrument, cheapest first", everything),
        ("every instrument, preference order", in_order),
    ):
        full = best_time(scenario, args.repeat)
        print(
            f"{label:37s}: {full:7.3f} s  ({steps / full:5.0f} steps/s)  "
            f"ratio {full / plain:4.2f} (target: at most 1.5)"
        )


if __name__ == "__main__":
    main()
