"""Parameter sweeps: experiment files, designs, Dask execution, resume and analysis.

The Python API mirrors `autofin sweep`::

    from autofin.sweep import load_experiment, plan_sweep, run_sweep
    from autofin.sweep.executors import open_client

    plan = plan_sweep(load_experiment("experiments/payment_terms.yaml"))
    with open_client(workers=4) as client:
        outcome = run_sweep(plan, "results/sweeps/payment_terms", client)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from distributed import Client

from autofin.sweep.executors import watch_of
from autofin.sweep.experiment import ExperimentError, load_experiment
from autofin.sweep.plan import SweepPlan, plan_sweep
from autofin.sweep.runner import Progress, SweepStatus, execute
from autofin.sweep.runs import OutputError, Simulation
from autofin.sweep.store import StoreError, SweepStore

__all__ = [
    "ExperimentError",
    "StoreError",
    "SweepOutcome",
    "load_experiment",
    "plan_sweep",
    "run_sweep",
]


@dataclass(frozen=True)
class SweepOutcome:
    """A finished sweep: its counts and the tables it wrote."""

    status: SweepStatus
    runs: pd.DataFrame
    failures: pd.DataFrame


def run_sweep(
    plan: SweepPlan,
    directory: str | Path,
    client: Client,
    *,
    progress: Progress | None = None,
    simulation: Simulation | None = None,
) -> SweepOutcome:
    """Run (or resume) a sweep into a directory and gather its tables.

    Args:
        plan: From `plan_sweep`.
        directory: The sweep directory; finished runs already in it are skipped.
        client: A Dask client (see `autofin.sweep.executors.open_client`).
        progress: Called with a `SweepStatus` as runs finish.
        simulation: A stand-in model (tests).

    Returns:
        The counts, runs.parquet and failures.parquet as frames.

    Raises:
        StoreError: If the directory holds another experiment.
        OutputError: If an output named in the experiment does not exist.
    """
    store = SweepStore(directory)
    store.open(plan.resolved, plan.design, plan.fingerprint)
    try:
        status = execute(
            plan, store, client, progress=progress, simulation=simulation, watch=watch_of(client)
        )
    except OutputError:
        if not store.finished():
            store.discard()  # nothing ran: leave the directory free for the corrected file
        raise
    runs, failures = store.gather(plan.design)
    return SweepOutcome(status, runs, failures)
