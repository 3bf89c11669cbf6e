"""autofin against its fair plain-Mesa rival (`benchmarks/mesa_world.py`), side by side.

Each run is a fresh subprocess pinned to one CPU with the numeric libraries on one thread (the
machinery of ``benchmarks/scenarios.py``), after an untimed call on a tiny copy of the world
(imports and first-call costs are not counted). Runs alternate autofin, rival, autofin, rival,
... ``--repeat`` pairs; the speed-up is the rival's time over autofin's within each pair, and
the table gives its median and range over the pairs, for two measures:

* **stepping**: the warm-up and the horizon, step by step (autofin: `AutofinModel._advance`
  over the warm-up, then `AutofinModel.step`; the rival: `MesaWorld.step`), nothing else;
* **whole run**: building included. autofin: building its world (network, balance sheets,
  consumers), stepping, and assembling the result frames (`AutofinModel.result`), i.e. what
  `autofin.simulate` does. The rival: the same autofin construction (without its warm-up),
  the conversion of the arrays into Mesa agents (reported apart as ``convert s``), stepping and
  its summary.

Worlds (``--world``):

* ``baseline``: ``scenarios/baseline.yaml`` (1 automaker, 340 suppliers in three tiers, 50,000
  consumers, three years after a one-year warm-up);
* ``10k``: the baseline scaled to 10,000 suppliers (tiers 1,000 / 3,000 / 6,000) and 1,000,000
  consumers over five years: the 10,000-supplier run of ``benchmarks/README.md`` (`versus.py`)
  and of issue 14's opening paragraph. (``national.py --fraction 0.1`` also has 10,000
  suppliers but 20 automakers; the rival ports the choice of one automaker only.)

``--fraction F`` scales the tiers and the population by ``F``; ``--horizon-days`` shortens the
horizon (the warm-up stays). Both are for a quick point; say so when quoting one.

Usage::

    .venv/bin/python benchmarks/versus_mesa.py --world baseline --repeat 5
    .venv/bin/python benchmarks/versus_mesa.py --world 10k --repeat 3
    .venv/bin/python benchmarks/versus_mesa.py --world 10k --fraction 0.1 --repeat 3 --json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

import scenarios
from scenarios import ROOT, add_pinning_arguments, fmt_number, format_table

BASELINE = ROOT / "scenarios" / "baseline.yaml"
WORLDS: dict[str, dict[str, Any]] = {
    "baseline": {},
    "10k": {
        "network.tiers": [1000, 3000, 6000],
        "consumers.population": 1_000_000,
        "horizon_days": 1820,
    },
}
BASELINE_TIERS = [40, 100, 200]
BASELINE_POPULATION = 50_000


def world_overrides(
    world: str, fraction: float = 1.0, horizon_days: int | None = None
) -> dict[str, Any]:
    """The overrides of ``world``, scaled by ``fraction`` and cut to ``horizon_days``."""
    overrides = dict(WORLDS[world])
    if fraction != 1.0:
        tiers = overrides.get("network.tiers", BASELINE_TIERS)
        population = overrides.get("consumers.population", BASELINE_POPULATION)
        overrides["network.tiers"] = [max(1, round(n * fraction)) for n in tiers]
        overrides["consumers.population"] = max(100, round(population * fraction))
    if horizon_days is not None:
        overrides["horizon_days"] = horizon_days
    return overrides


# ---------------------------------------------------------------------------- the worker
def _worker(job: dict[str, Any]) -> dict[str, Any]:
    """One timed run inside a fresh subprocess."""
    import gc
    import resource
    import time

    if job["cpu"] is not None:
        os.sched_setaffinity(0, {job["cpu"]})
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import mesa_world
    from autofin.scenario.loading import load_scenario
    from autofin.world.shocks import Shocks

    scenario = load_scenario(job["path"], overrides=job["overrides"])
    # Untimed: the same code on a tiny copy (imports, first calls).
    tiny = scenario.model_copy(
        update={
            "horizon_days": scenario.step_days,
            "warmup_days": scenario.step_days,
            "consumers": scenario.consumers.model_copy(update={"population": 500}),
        }
    )
    gc.collect()
    out: dict[str, Any] = {
        "kind": job["kind"],
        "suppliers": 0,
        "consumers": scenario.consumers.population,
        "steps": scenario.steps,
    }
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    if job["kind"] == "autofin":

        def run(s: Any, timed: bool) -> None:
            clock, cpu = time.perf_counter, time.process_time
            t0, c0 = clock(), cpu()
            model = mesa_world.unwarmed_autofin(s)
            model._open_records()  # as `AutofinModel.__init__` before its warm-up
            t1, c1 = clock(), cpu()
            while model.step_index < 0:
                model._advance()
            model._open_records()
            model.shocks = Shocks(s, model.firms)
            for _ in range(s.steps):
                model.step()
            t2, c2 = clock(), cpu()
            result = model.result(t2 - t0)
            t3, c3 = clock(), cpu()
            if timed:
                out.update(
                    build_s=t1 - t0,
                    convert_s=0.0,
                    steps_s=t2 - t1,
                    result_s=t3 - t2,
                    wall_s=t3 - t0,
                    cpu_steps_s=c2 - c1,
                    cpu_s=c3 - c0,
                    suppliers=int((~model.firms.is_automaker).sum()),
                    sales_units=float(result.summary["sales_units"]),
                    supplier_defaults=int(result.summary["supplier_defaults"]),
                )

    else:

        def run(s: Any, timed: bool) -> None:
            clock, cpu = time.perf_counter, time.process_time
            t0, c0 = clock(), cpu()
            built = mesa_world.unwarmed_autofin(s)
            t1 = clock()
            world = mesa_world.MesaWorld(s, built)
            del built
            t2, c2 = clock(), cpu()
            for _ in range(world.warmup_steps + s.steps):
                world.step()
            t3, c3 = clock(), cpu()
            summary = world.summary()
            t4, c4 = clock(), cpu()
            if timed:
                out.update(
                    build_s=t1 - t0,
                    convert_s=t2 - t1,
                    steps_s=t3 - t2,
                    result_s=t4 - t3,
                    wall_s=t4 - t0,
                    cpu_steps_s=c3 - c2,
                    cpu_s=c4 - c0,
                    suppliers=sum(1 for f in world.firms if not f.is_automaker),
                    sales_units=summary["sales_units"],
                    supplier_defaults=int(summary["supplier_defaults"]),
                    agents={
                        kind.__name__: len(agents) for kind, agents in world.agents_by_type.items()
                    },
                )

    run(tiny, timed=False)
    gc.collect()
    run(scenario, timed=True)
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["base_rss_mb"] = base_rss
    return out


def run_job(job: dict[str, Any]) -> dict[str, Any]:
    """One run in a fresh subprocess of this script."""
    return scenarios.run_job(job, Path(__file__))


# ---------------------------------------------------------------------------- the parent
def race(
    world: str, repeat: int, cpu: int | None, fraction: float, horizon_days: int | None
) -> dict[str, Any]:
    """``repeat`` alternating pairs on one world; the speed-ups' medians and ranges."""
    overrides = world_overrides(world, fraction, horizon_days)
    pairs = []
    for k in range(repeat):
        order = ["autofin", "rival"] if k % 2 == 0 else ["rival", "autofin"]
        runs = {
            kind: run_job({"kind": kind, "path": str(BASELINE), "overrides": overrides, "cpu": cpu})
            for kind in order
        }
        pairs.append(runs)
        print(
            f"  pair {k + 1}/{repeat}: autofin {runs['autofin']['wall_s']:.2f} s, "
            f"rival {runs['rival']['wall_s']:.2f} s",
            file=sys.stderr,
            flush=True,
        )

    def ratios(key: str) -> list[float]:
        return [p["rival"][key] / p["autofin"][key] for p in pairs]

    figures: dict[str, Any] = {
        "world": world,
        "overrides": overrides,
        "fraction": fraction,
        "pairs": pairs,
    }
    for key, name in [
        ("steps_s", "stepping"),
        ("wall_s", "whole"),
        ("cpu_steps_s", "stepping_cpu"),
        ("cpu_s", "whole_cpu"),
    ]:
        values = ratios(key)
        figures[f"speedup_{name}"] = {
            "median": statistics.median(values),
            "min": min(values),
            "max": max(values),
            "values": values,
        }
    for kind in ("autofin", "rival"):
        figures[kind] = {
            key: statistics.median(p[kind][key] for p in pairs)
            for key in ("build_s", "convert_s", "steps_s", "result_s", "wall_s", "peak_rss_mb")
        }
    return figures


def report(figures: dict[str, Any]) -> str:
    """The table of one world's race."""
    first = figures["pairs"][0]
    lines = [
        f"world {figures['world']}: {first['autofin']['suppliers']:,} suppliers, "
        f"{first['autofin']['consumers']:,} consumers, {first['autofin']['steps']} steps "
        f"after the warm-up; overrides {figures['overrides']}",
    ]
    rows = []
    for kind in ("autofin", "rival"):
        m = figures[kind]
        rows.append(
            [
                kind,
                fmt_number(m["build_s"], 2),
                fmt_number(m["convert_s"], 2),
                fmt_number(m["steps_s"], 2),
                fmt_number(m["result_s"], 2),
                fmt_number(m["wall_s"], 2),
                fmt_number(m["peak_rss_mb"], 0),
            ]
        )
    lines.append(
        format_table(
            ["model (medians)", "build s", "convert s", "steps s", "results s", "whole s", "MB"],
            rows,
        )
    )
    for name, label in [
        ("stepping", "stepping (wall)"),
        ("stepping_cpu", "stepping (CPU)"),
        ("whole", "whole run (wall)"),
        ("whole_cpu", "whole run (CPU)"),
    ]:
        s = figures[f"speedup_{name}"]
        lines.append(
            f"speed-up, {label}: median {s['median']:.1f}x, range {s['min']:.1f}x-"
            f"{s['max']:.1f}x over {len(s['values'])} pairs"
        )
    sales = [(p["autofin"]["sales_units"], p["rival"]["sales_units"]) for p in figures["pairs"]]
    lines.append(f"sales units (autofin, rival) per pair: {sales}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--world", choices=[*WORLDS, "both"], default="both")
    parser.add_argument("--repeat", type=int, default=3, help="alternating pairs per world")
    parser.add_argument("--fraction", type=float, default=1.0, help="scale tiers and population")
    parser.add_argument("--horizon-days", type=int, default=None)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    add_pinning_arguments(parser)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(_worker(json.loads(args.worker))))
        return 0
    cpu = args.cpu if args.pin else None
    worlds = list(WORLDS) if args.world == "both" else [args.world]
    results = [race(w, args.repeat, cpu, args.fraction, args.horizon_days) for w in worlds]
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(f"CPU {cpu}; each run a fresh subprocess; pairs alternate the order")
        print("\n\n".join(report(r) for r in results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
