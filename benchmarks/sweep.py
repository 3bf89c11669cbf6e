"""Benchmark the sweep runner: parallel efficiency on all cores, and its overhead.

A sweep of ``--runs`` baseline runs (one design point, ``--runs`` replications, so every run
is the baseline with another seed) is run twice through ``autofin.sweep.run_sweep`` on a local
Dask cluster: once with one worker process, once with one per core (``--workers``). Workers
are started and warmed up (the engine imported) before the clock starts, so the figures are
the steady state of a long sweep; the start-up time is printed on its own.

Printed:

* **runs/s per core** for both, and the **parallel efficiency**: the all-core figure over the
  one-worker figure (goal >= 90%);
* the **sweep overhead**: worker time not spent simulating, as a share of simulation time,
  ``(workers x wall - sum of run times) / sum of run times`` on the all-core sweep (goal
  < 5%). It counts batching, transfer, writing each run atomically, the scheduler, and
  workers idle at the end of the sweep.

The efficiency is also split into what the machine allows (how much slower one run is when
every core is busy: shared cores, memory bandwidth, turbo) and the sweep's own overhead. On a
shared machine timings are noisy; run it when the machine is otherwise idle.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import textwrap
import time
from pathlib import Path

from autofin.sweep import load_experiment, plan_sweep, run_sweep
from autofin.sweep.executors import local_workers, open_client

ROOT = Path(__file__).resolve().parent.parent


def experiment_text(runs: int, horizon_days: int | None) -> str:
    overrides = f"overrides: {{horizon_days: {horizon_days}}}" if horizon_days else ""
    return textwrap.dedent(
        f"""
        name: sweep_benchmark
        scenario: {ROOT / "scenarios" / "baseline.yaml"}
        {overrides}
        parameters:
          automakers.payment_term_days: {{values: [170]}}
        replications: {runs}
        seed: 1
        outputs: {{summary: [supplier_defaults, sales_units, bank_credit_losses]}}
        """
    )


def _warm_up() -> int:
    import autofin.world.model  # noqa: F401 - the import is the warm-up

    return os.getpid()


def measure(plan, workers: int, directory: Path) -> dict[str, float]:
    started = time.perf_counter()
    with open_client(workers=workers) as client:
        client.wait_for_workers(workers)
        client.run(_warm_up)
        ready = time.perf_counter()
        outcome = run_sweep(plan, directory, client)
        wall = time.perf_counter() - ready
    status = outcome.status
    assert status.done == len(plan.design), status
    return {
        "workers": workers,
        "startup_s": ready - started,
        "wall_s": wall,
        "simulation_s": status.simulation_seconds,
        "runs_per_s_per_core": status.done / wall / workers,
        "overhead": (workers * wall - status.simulation_seconds) / status.simulation_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=200, help="runs in each sweep (200)")
    parser.add_argument("--workers", type=int, default=None, help="all-core workers (cores)")
    parser.add_argument(
        "--horizon-days", type=int, default=None, help="shorter runs (default: the baseline's)"
    )
    args = parser.parse_args()
    workers = local_workers(args.workers)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "benchmark.yaml"
        path.write_text(experiment_text(args.runs, args.horizon_days), encoding="utf-8")
        plan = plan_sweep(load_experiment(path))
        one = measure(plan, 1, Path(folder) / "one")
        every = measure(plan, workers, Path(folder) / "all")
    efficiency = every["runs_per_s_per_core"] / one["runs_per_s_per_core"]
    print(f"sweep of {args.runs} baseline runs (horizon {args.horizon_days or 'baseline'} days)")
    print(
        f"{'workers':>8} {'startup s':>10} {'wall s':>8} {'sim s':>8} {'runs/s/core':>12} "
        f"{'overhead':>9}"
    )
    for row in (one, every):
        print(
            f"{row['workers']:>8} {row['startup_s']:>10.1f} {row['wall_s']:>8.1f} "
            f"{row['simulation_s']:>8.1f} {row['runs_per_s_per_core']:>12.3f} "
            f"{row['overhead']:>9.1%}"
        )
    print(f"parallel efficiency on {workers} workers: {efficiency:.1%} (goal >= 90%)")
    # Where the efficiency goes: runs that take longer when every core is busy (shared cores,
    # memory bandwidth, turbo) are the machine's; the rest is the sweep's.
    slowdown = (every["simulation_s"] / args.runs) / (one["simulation_s"] / args.runs)
    print(
        f"  mean run time {one['simulation_s'] / args.runs:.2f} s on 1 worker, "
        f"{every['simulation_s'] / args.runs:.2f} s on {workers}: the machine alone allows "
        f"{1 / slowdown:.1%}; the sweep's own share of the loss is its overhead below"
    )
    print(
        f"sweep overhead on {workers} workers: {every['overhead']:.1%} of simulation time "
        "(goal < 5%)"
    )


if __name__ == "__main__":
    main()
