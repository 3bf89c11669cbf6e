"""Benchmark the consumer side: consumer-steps per second, and the speed-up over plain Mesa.

The scenario is ``scenarios/new_ev_maker_launch.yaml`` (three-minute approval, bank-app
traffic) run for ``--years`` of weekly steps, with the consumer population overridden, the bank
app's monthly views scaled with it (1.5 per consumer and month) and the manual reviewers per
bank scaled too (one per 100,000 consumers, at least 2), so the world's proportions stay the
same at every size.

Three measurements, each in a fresh subprocess pinned to one CPU with numeric libraries on one
thread (the machinery of ``benchmarks/scenarios.py``):

1. **autofin at ``--population``** (default 1,000,000): wall time of the whole run (building
   the world, stepping it, assembling the results, i.e. what ``autofin.simulate`` does), the
   time spent in the consumer side alone (``ConsumerMarket.shop`` and ``repay``), and the peak
   resident memory of the subprocess.
2. **autofin at ``--reference-population``** (default 100,000), the same way.
3. **The plain-Mesa reference** (``benchmarks/mesa_reference.py``: one ``mesa.Agent`` per
   consumer running the same funnel and loan rules, without the supply chain) at
   ``--reference-population``: build and stepping time.

A *consumer-step* is one consumer simulated for one step (population × steps). The speed-up is
the reference's time over autofin's at the same population and horizon: for the consumer side
alone (the same work), and for autofin's whole world (supply chain and banks included, so it
understates the consumer side's speed-up).

Usage::

    .venv/bin/python benchmarks/consumers.py
    .venv/bin/python benchmarks/consumers.py --population 200000 --years 1 --json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import scenarios
from scenarios import ROOT, default_cpu, fmt_number, format_table

SCENARIO = ROOT / "scenarios" / "new_ev_maker_launch.yaml"


def overrides(population: int, years: int) -> dict[str, Any]:
    """The scenario at ``population`` consumers over ``years`` of weekly steps."""
    return {
        "consumers.population": population,
        "horizon_days": 364 * years,
        "consumers.channels.bank_app.monthly_traffic": 1.5 * population,
        "consumers.approval.reviewers": max(2, population // 100_000),
    }


def _worker(job: dict[str, Any]) -> dict[str, Any]:
    """One measurement inside a fresh subprocess."""
    import resource
    import time

    if job["cpu"] is not None:
        os.sched_setaffinity(0, {job["cpu"]})
    import autofin
    from autofin.world.model import AutofinModel, simulate

    scenario = autofin.load_scenario(job["path"], overrides=job["overrides"])
    out: dict[str, Any] = {"population": scenario.consumers.population, "steps": scenario.steps}
    if job["kind"] == "reference":
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from mesa_reference import ReferenceModel

        started = time.perf_counter()
        model = ReferenceModel(scenario)
        out["build_s"] = time.perf_counter() - started
        started = time.perf_counter()
        for _ in range(scenario.steps):
            model.step()
        out["steps_s"] = time.perf_counter() - started
        out["wall_s"] = out["build_s"] + out["steps_s"]
        out["consumer_s"] = out["steps_s"]
        out["sales"] = model.sales
    else:
        simulate(scenario.model_copy(update={"horizon_days": scenario.step_days, "shocks": []}))
        started = time.perf_counter()
        model = AutofinModel(scenario)
        out["build_s"] = time.perf_counter() - started
        market = model.market
        spent = [0.0]

        def timed(method: Any) -> Any:
            def run(*args: Any, **kwargs: Any) -> Any:
                begun = time.perf_counter()
                value = method(*args, **kwargs)
                spent[0] += time.perf_counter() - begun
                return value

            return run

        market.shop, market.repay = timed(market.shop), timed(market.repay)
        market.deliver = timed(market.deliver)
        started = time.perf_counter()
        for _ in range(scenario.steps):
            model.step()
        out["steps_s"] = time.perf_counter() - started
        started = time.perf_counter()
        frame = model.metrics.frame()
        model.metrics.summary(frame, model.metrics.events_frame())
        model.ledger.flows_frame()
        out["wall_s"] = out["build_s"] + out["steps_s"] + time.perf_counter() - started
        out["consumer_s"] = spent[0]
        out["sales"] = float(frame["sales_units"].sum())
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def run_job(job: dict[str, Any]) -> dict[str, Any]:
    """Run one job in a fresh subprocess of this script."""
    return scenarios.run_job(job, Path(__file__))


def best(kind: str, population: int, years: int, repeat: int, cpu: int | None) -> dict[str, Any]:
    """The fastest of ``repeat`` runs (peak memory: the largest)."""
    job = {
        "kind": kind,
        "path": str(SCENARIO),
        "overrides": overrides(population, years),
        "cpu": cpu,
    }
    runs = [run_job(job) for _ in range(repeat)]
    fastest = min(runs, key=lambda run: run["wall_s"])
    fastest["peak_rss_mb"] = max(run["peak_rss_mb"] for run in runs)
    fastest["consumer_steps_per_s"] = fastest["population"] * fastest["steps"] / fastest["wall_s"]
    return fastest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--population", type=int, default=1_000_000)
    parser.add_argument("--reference-population", type=int, default=100_000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(_worker(json.loads(args.worker))))
        return 0
    cpu = default_cpu()
    big = best("autofin", args.population, args.years, args.repeat, cpu)
    small = best("autofin", args.reference_population, args.years, args.repeat, cpu)
    figures: dict[str, Any] = {"autofin": big, "autofin_reference_size": small, "cpu": cpu}
    rows = [
        ["autofin", big, big["wall_s"]],
        ["autofin", small, small["wall_s"]],
    ]
    if not args.skip_reference:
        reference = best("reference", args.reference_population, args.years, 1, cpu)
        figures["mesa_reference"] = reference
        rows.append(["plain Mesa", reference, reference["wall_s"]])
        figures["speedup_consumer_side"] = reference["steps_s"] / small["consumer_s"]
        figures["speedup_whole_world"] = reference["wall_s"] / small["wall_s"]
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    table = [
        [
            name,
            f"{run['population']:,}",
            str(run["steps"]),
            fmt_number(wall, 2),
            fmt_number(run["consumer_s"], 2),
            fmt_number(run["consumer_steps_per_s"] / 1e6, 2),
            fmt_number(run["peak_rss_mb"], 0),
            f"{run['sales']:,.0f}",
        ]
        for name, run, wall in rows
    ]
    print(f"scenario {SCENARIO.relative_to(ROOT)}, {args.years} years of weekly steps, CPU {cpu}")
    print(
        format_table(
            [
                "model",
                "consumers",
                "steps",
                "wall s",
                "consumer side s",
                "M consumer-steps/s",
                "peak RSS MB",
                "sales",
            ],
            table,
        )
    )
    if "mesa_reference" in figures:
        print(
            f"speed-up at {args.reference_population:,} consumers: "
            f"{figures['speedup_consumer_side']:.0f}x on the consumer side (the same work), "
            f"{figures['speedup_whole_world']:.0f}x for autofin's whole world "
            "(supply chain and banks included)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
