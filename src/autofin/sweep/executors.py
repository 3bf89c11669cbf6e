"""Where a sweep runs: every Dask cluster the `sweep` command can start or join.

- local (default): a `LocalCluster` of one-thread worker processes, one per core;
- `--scheduler ADDRESS`: an existing Dask scheduler;
- `--slurm`: workers started as SLURM jobs by `dask_jobqueue.SLURMCluster`.

The results do not depend on the choice: each run is a pure function of its scenario and
seed.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from distributed import Client

from autofin.sweep.experiment import Cluster


@dataclass(frozen=True)
class SlurmOptions:
    """SLURM job settings; None means "take it from the experiment's `cluster:` section"."""

    queue: str | None = None
    account: str | None = None
    walltime: str | None = None
    cores: int | None = None
    memory: str | None = None
    jobs: int | None = None

    def over(self, section: Cluster) -> Cluster:
        """These options laid over the experiment's `cluster:` section."""
        given = {key: value for key, value in self.__dict__.items() if value is not None}
        return section.model_copy(update=given)


def local_workers(workers: int | None) -> int:
    """Worker processes of a local sweep: the given number, or every core this process may use.

    The cores it may use, not the machine's: under `taskset` or a batch system's CPU set,
    one worker per allowed core.
    """
    if workers:
        return workers
    allowed = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    return len(allowed) if allowed else (os.cpu_count() or 1)


@contextmanager
def open_client(
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    slurm: Cluster | None = None,
    log_directory: str | None = None,
) -> Iterator[Client]:
    """A Dask client on the chosen cluster, closed (and the cluster stopped) on exit.

    Args:
        workers: Local worker processes (default: one per core).
        scheduler: Address of an existing scheduler, e.g. tcp://host:8786.
        slurm: Start workers as SLURM jobs with these settings.
        log_directory: Where SLURM writes the jobs' output (default: the working directory).

    Yields:
        The connected client.
    """
    if scheduler is not None:
        with Client(scheduler, set_as_default=False) as client:
            yield client
        return
    if slurm is not None:
        from dask_jobqueue import SLURMCluster

        cluster = SLURMCluster(
            queue=slurm.queue,
            account=slurm.account,
            walltime=slurm.walltime,
            cores=slurm.cores,
            processes=slurm.cores,
            memory=slurm.memory,
            python=sys.executable,
            log_directory=log_directory,
            scheduler_options={"dashboard_address": ":0"},
        )
        try:
            cluster.scale(jobs=slurm.jobs)
            with Client(cluster, set_as_default=False) as client:
                yield client
        finally:
            cluster.close()
        return
    from distributed import LocalCluster

    with (
        LocalCluster(
            n_workers=local_workers(workers),
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # any free port: several sweeps may share a machine
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        yield client
