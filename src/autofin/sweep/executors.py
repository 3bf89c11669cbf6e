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
import subprocess
import sys
import tempfile
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from distributed import Client

from autofin.sweep.experiment import Cluster


class ClusterError(RuntimeError):
    """A cluster that cannot run the sweep; the message says why and what to change.

    Attributes:
        bad_input: Whether the user's settings are at fault (exit code 2) rather than the
            cluster (exit code 1).
    """

    def __init__(self, message: str, *, bad_input: bool) -> None:
        super().__init__(message)
        self.bad_input = bad_input


WATCH_SECONDS = 15.0
"""How often a SLURM sweep with no worker asks the queue whether its jobs still exist."""
MAX_RESUBMISSIONS = 3
"""Times in a row a SLURM sweep submits its jobs again, when they all ended (walltime,
preemption, scancel), before it gives up; a finished run resets the count."""

_WATCHES: weakref.WeakKeyDictionary[Client, Callable[[int, int], None]] = (
    weakref.WeakKeyDictionary()
)


def watch_of(client: Client) -> Callable[[int, int], None] | None:
    """The check `open_client` set up for the client's workers (SLURM only), or None.

    It is called with the connected workers and the runs finished so far, often; it may
    submit lost jobs again or raise `ClusterError`.
    """
    return _WATCHES.get(client)


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
            _check_submission(cluster.job_script(), slurm)
            cluster.scale(jobs=slurm.jobs)
            with Client(cluster, set_as_default=False) as client:
                _WATCHES[client] = _JobWatch(cluster, slurm.jobs)
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


def _check_submission(script: str, slurm: Cluster) -> None:
    """Ask SLURM whether it would accept the workers' job (`sbatch --test-only`).

    Raises:
        ClusterError: SLURM refuses it (an unknown partition or account, more memory or
            time than allowed, no SLURM reachable); its own message is quoted.
    """
    with tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False) as file:
        file.write(script)
    try:
        done = subprocess.run(
            ["sbatch", "--test-only", file.name],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except FileNotFoundError:
        raise ClusterError(
            "--slurm: sbatch is not on PATH; run the sweep where SLURM's commands are",
            bad_input=True,
        ) from None
    finally:
        os.unlink(file.name)
    if done.returncode != 0:
        said = " ".join((done.stderr or done.stdout).split())
        settings = ", ".join(
            f"--{name} {value}"
            for name, value in (
                ("queue", slurm.queue),
                ("account", slurm.account),
                ("walltime", slurm.walltime),
                ("cores", slurm.cores),
                ("memory", slurm.memory),
            )
            if value is not None
        )
        raise ClusterError(f"SLURM refuses the workers' job ({settings}): {said}", bad_input=True)


class _JobWatch:
    """Submit a SLURM sweep's jobs again when all of them have ended with runs left.

    A job that reaches its walltime, is preempted or cancelled takes its workers with it,
    and dask-jobqueue does not replace it: the sweep would wait for ever. With no worker
    connected, every `WATCH_SECONDS` the watch asks `squeue` for the cluster's jobs; if
    none is pending or running, it scales the cluster to zero and back.
    """

    def __init__(self, cluster: Any, jobs: int) -> None:
        self.cluster, self.jobs = cluster, jobs
        self.last_check = time.monotonic()
        self.resubmitted = 0
        self.finished_then = -1

    def __call__(self, workers: int, finished: int) -> None:
        if finished != self.finished_then:
            self.finished_then, self.resubmitted = finished, 0
        now = time.monotonic()
        if workers > 0 or now - self.last_check < WATCH_SECONDS:
            return
        self.last_check = now
        if self._queued():
            return  # pending in the queue or starting: wait
        if self.resubmitted >= MAX_RESUBMISSIONS:
            raise ClusterError(
                f"the sweep's SLURM jobs ended {self.resubmitted} times in a row without "
                "finishing a run (see the job logs in the sweep's slurm/ folder); finished "
                "runs are kept, run the same command again to resume",
                bad_input=False,
            )
        self.resubmitted += 1
        logging.getLogger(__name__).warning(
            "every SLURM job of the sweep has ended; submitting %d again", self.jobs
        )
        self.cluster.scale(jobs=0)
        self.cluster.scale(jobs=self.jobs)

    def _queued(self) -> bool:
        ids = [
            str(job.job_id)
            for job in list(self.cluster.workers.values())
            if getattr(job, "job_id", None)
        ]
        if not ids:
            return bool(self.cluster.workers)  # submitted, no id yet
        done = subprocess.run(
            ["squeue", "-h", "-o", "%i", "-j", ",".join(ids)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        return bool(done.stdout.split())
