"""Benchmark the cost of supply-chain finance: the baseline with and without every instrument.

Times ``autofin.simulate`` on ``scenarios/baseline.yaml`` as shipped (bank loans only) and with
every instrument switched on: order financing, inventory financing, factoring with recourse,
a multi-tier reverse-factoring platform on all banks, a syndicated loan drawn as needed and a
60-day pledge taking effect mid-run; once with firms choosing the cheapest instrument first
(every rate computed for every applicant) and once in the preference order. Each figure is
the best of ``--repeat`` runs, measured as ``benchmarks/scenarios.py`` does (a fresh
subprocess per run, pinned to one CPU, one-step warm-up). Prints the times and the ratios;
the target is a ratio of at most 1.5.

Usage::

    .venv/bin/python benchmarks/instruments.py [--repeat 5]
"""

from __future__ import annotations

import argparse
from typing import Any

from scenarios import SCENARIO_DIR, default_cpu, measure

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


def main() -> None:
    """Print the baseline's time without and with every instrument, and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per case (best kept)")
    args = parser.parse_args()
    path = SCENARIO_DIR / "baseline.yaml"

    def best(overrides: dict[str, Any]) -> dict[str, Any]:
        return measure(path, overrides, repeat=args.repeat, cpu=default_cpu(), heap=False)

    plain = best({})
    print(
        f"{'baseline, bank loans only':37s}: {plain['wall_s']:7.3f} s  "
        f"({plain['steps_per_s']:5.0f} steps/s)"
    )
    for label, overrides in (
        ("every instrument, cheapest first", EVERY_INSTRUMENT),
        ("every instrument, preference order", {**EVERY_INSTRUMENT, "finance.choice": "order"}),
    ):
        full = best(overrides)
        print(
            f"{label:37s}: {full['wall_s']:7.3f} s  ({full['steps_per_s']:5.0f} steps/s)  "
            f"ratio {full['wall_s'] / plain['wall_s']:4.2f} (target: at most 1.5)"
        )


if __name__ == "__main__":
    main()
