"""Benchmark the national world: wall time and peak memory of a whole industry on one core.

The world of issue 14 (not a shipped story): the baseline's rules with **20 automakers**
sharing a supplier base of **100,000 suppliers in four tiers** (6,000, 14,000, 30,000 and
50,000; each customer buys every part from two suppliers picked with preferential attachment,
so suppliers are shared between customers and between automakers' chains), **10,000,000
consumers** and **260 weekly steps** (five years), built from ``scenarios/baseline.yaml``
with overrides (the fourth tier pays its raw material in 30 days).

Every run is one call ``autofin.simulate(scenario)`` (building the network and the world,
the warm-up, the 260 steps and the result frames), timed exactly as in
``benchmarks/scenarios.py`` (it reuses that machinery): a fresh subprocess pinned to one CPU,
numeric libraries on one thread, after an untimed one-step call of the same scenario (so
imports are not counted; at this size that call builds the whole world once more, which takes
time but is not timed). The table gives the **median** of ``--repeat`` runs (default 3) of
wall time and CPU time, their range, and the memory report of the run (`scenarios.memory_report`):
peak RSS of the subprocess, what the run added to it, and the bytes per consumer and per
supplier of the finished model's arrays.

``--fraction F`` scales the suppliers of every tier and the consumers by ``F`` (the
automakers and the horizon stay): a quick point, or the measurement when the full world does
not fit the machine's time or memory; time and memory are then reported with the factor to
scale them by.

Usage::

    .venv/bin/python benchmarks/national.py                       # the full world, median of 3
    .venv/bin/python benchmarks/national.py --repeat 1 --fraction 0.1 --json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

from autofin.scenario.loading import load_scenario
from scenarios import (
    ROOT,
    add_pinning_arguments,
    describe_method,
    fmt_number,
    format_table,
    machine_info,
    memory_report,
    run_job,
)

BASELINE = ROOT / "scenarios" / "baseline.yaml"
AUTOMAKERS = 20
TIERS = (6_000, 14_000, 30_000, 50_000)
PAYMENT_TERM_DAYS = (90, 60, 45, 30)
CONSUMERS = 10_000_000
WEEKS = 260


def national_overrides(fraction: float = 1.0) -> dict[str, Any]:
    """The overrides of the baseline that make the national world (scaled by ``fraction``).

    The banks' car-loan review desks are staffed in proportion to the population, as in the
    baseline (its reviewers per bank per consumer): with the baseline's four reviewers per
    bank for 200 times its population, the review queue grows without end, buyers walk away,
    sales fall by a third below what the supply chain was sized for, and almost every supplier
    fails within five years.
    """
    base = load_scenario(BASELINE)
    population = max(1, round(CONSUMERS * fraction))
    reviewers = base.consumers.approval.reviewers * population / base.consumers.population
    return {
        "network.automakers": AUTOMAKERS,
        "network.tiers": [max(1, round(size * fraction)) for size in TIERS],
        "suppliers.payment_term_days": list(PAYMENT_TERM_DAYS),
        "consumers.population": population,
        "consumers.approval.reviewers": max(1, round(reviewers)),
        "horizon_days": WEEKS * 7,
        "step_days": 7,
    }


def measure_national(
    fraction: float, repeat: int, cpu: int | None, path: Path = BASELINE
) -> dict[str, Any]:
    """``repeat`` timed runs of the national world: medians, ranges and the memory report."""
    job = {
        "path": str(path),
        "overrides": national_overrides(fraction),
        "warmup": True,
        "cpu": cpu,
        "mode": "time",
        "build": False,
        "census": True,
    }
    runs = []
    for k in range(repeat):
        runs.append(run_job(job, Path(__file__).resolve().parent / "scenarios.py"))
        print(f"run {k + 1}/{repeat}: {runs[-1]['wall_s']:.1f} s", file=sys.stderr, flush=True)
    wall = [run["wall_s"] for run in runs]
    cpu_s = [run["cpu_s"] for run in runs]
    median_run = sorted(runs, key=lambda run: run["wall_s"])[(len(runs) - 1) // 2]
    return {
        "fraction": fraction,
        "overrides": job["overrides"],
        "automakers": AUTOMAKERS,
        "suppliers": median_run["suppliers"],
        "consumers": median_run["consumers"],
        "steps": median_run["steps"],
        "wall_s_median": statistics.median(wall),
        "wall_s_range": [min(wall), max(wall)],
        "cpu_s_median": statistics.median(cpu_s),
        "cpu_s_range": [min(cpu_s), max(cpu_s)],
        "supplier_defaults": median_run["supplier_defaults"],
        "sales_units": median_run["sales_units"],
        "peak_rss_mb": max(run["peak_rss_mb"] for run in runs),
        "base_rss_mb": max(run["base_rss_mb"] for run in runs),
        **memory_report(median_run),
        "runs": runs,
    }


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(
        description="Wall time and peak memory of the national world (20 automakers, 100,000 "
        "suppliers in 4 tiers, 10,000,000 consumers, 260 weekly steps) on one core."
    )
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (default: 3)")
    parser.add_argument(
        "--fraction",
        type=float,
        default=1.0,
        help="scale suppliers and consumers by this factor (default: 1, the full world)",
    )
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    add_pinning_arguments(parser)
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if not 0 < args.fraction <= 1:
        parser.error("--fraction must be in (0, 1]")
    cpu = args.cpu if args.pin else None
    info = machine_info(args.repeat, True, cpu)
    figures = measure_national(args.fraction, args.repeat, cpu)
    if args.json:
        print(json.dumps({"method": info, "national": figures}, indent=2))
        return 0
    print(describe_method(info).replace("best of", "median of"))
    print()
    row = [
        f"{args.fraction:g}",
        f"{figures['suppliers']:,}",
        f"{figures['consumers']:,}",
        str(figures["steps"]),
        fmt_number(figures["wall_s_median"], 1),
        "-".join(fmt_number(v, 1) for v in figures["wall_s_range"]),
        fmt_number(figures["cpu_s_median"], 1),
        fmt_number(figures["peak_rss_mb"], 0),
        fmt_number(figures["run_rss_mb"], 0),
        fmt_number(figures["bytes_per_consumer"], 0),
        fmt_number(figures["bytes_per_supplier"], 0),
        f"{figures['supplier_defaults']:,}",
        f"{figures['sales_units']:,.0f}",
    ]
    headers = [
        "fraction",
        "suppliers",
        "consumers",
        "steps",
        "wall s",
        "range",
        "cpu s",
        "peak RSS MB",
        "run MB",
        "B/consumer",
        "B/supplier",
        "supplier defaults",
        "cars sold",
    ]
    print(format_table(headers, [row]))
    if args.fraction < 1:
        print(f"\nthe full world is {1 / args.fraction:g}x larger in suppliers and consumers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
