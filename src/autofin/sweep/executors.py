"""Where a sweep runs: every Dask cluster the `sweep` command can start or join.

- local (default): a `LocalCluster` of one-thread worker processes, one per core;
- `--scheduler ADDRESS`: an existing Dask scheduler;
- `--slurm`: workers started as SLURM jobs by `dask_jobqueue.SLURMCluster`.

The results do not depend on the choice: each run is a pure function of its scenario and
seed.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import dask.config
from dask.utils import parse_timedelta
from distributed import Client
from distributed.comm import parse_address, parse_host_port

from autofin.interrupts import handled
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


SCHEDULER_SCHEMES = ("tcp", "tls", "ws", "wss")
"""Protocols of a scheduler address the sweep can join (tcp:// when none is given)."""
SCHEDULER_EXAMPLE = "tcp://host:8786"


def check_scheduler_address(address: str) -> str:
    """Check the form of a scheduler address, as given to `--scheduler`.

    Nothing is contacted: an address of the right form where no scheduler answers is
    found out by `open_client`.

    Args:
        address: E.g. tcp://host:8786, host:8786 or tls://10.0.0.1:8786.

    Returns:
        The address, unchanged.

    Raises:
        ClusterError: With `bad_input`, naming the address and the form expected.
    """
    problem = _address_problem(address)
    if problem:
        raise ClusterError(
            f"--scheduler: got {address!r} ({problem}); expected an address such as "
            f"{SCHEDULER_EXAMPLE} (protocol {', '.join(SCHEDULER_SCHEMES)} or none, a host "
            "and the scheduler's port)",
            bad_input=True,
        )
    return address


def _address_problem(address: str) -> str:
    """What is wrong with the form of a scheduler address, or an empty string."""
    if not address.strip():
        return "empty"
    if address != address.strip():
        return "spaces around it"
    scheme, location = parse_address(address, strict=False)
    if scheme not in SCHEDULER_SCHEMES:
        return f"{scheme}:// is not a protocol autofin's sweeps can join"
    try:
        host, port = parse_host_port(location)
    except ValueError:
        return "no port number" if ":" not in location.strip("[]") else "not host:port"
    if not host or any(char.isspace() or char in "/?#@" for char in host):
        return f"no host name before :{port}" if not host else f"not a host name: {host!r}"
    if not 1 <= port <= 65535:
        return f"port {port} is not from 1 to 65535"
    return ""


def _check_scheduler_answers(address: str) -> None:
    """Ask the scheduler at an address who it is, for at most Dask's connect timeout.

    A Dask `Client` given an address where something else listens (the dashboard's port,
    say) would wait for ever; one where nothing listens fails after the connect timeout.

    Raises:
        ClusterError: No Dask scheduler answered (not a user error: exit code 1).
    """
    seconds = parse_timedelta(dask.config.get("distributed.comm.timeouts.connect"), "s")
    reply: dict[str, Any] = {}

    def ask() -> None:
        try:
            reply["identity"] = asyncio.run(asyncio.wait_for(_identity(address, seconds), seconds))
        except Exception as error:  # reported below, on the caller's thread
            reply["error"] = error

    # A thread of its own: the caller may itself be in an event loop (a notebook).
    thread = threading.Thread(target=ask, name="autofin-scheduler-check", daemon=True)
    thread.start()
    thread.join(seconds + 5)
    identity = reply.get("identity")
    kind = identity.get("type") if isinstance(identity, dict) else None
    if kind == "Scheduler":
        return
    if kind is not None:
        raise ClusterError(
            f"a Dask {kind} answers at {address}, not a scheduler; give the scheduler's "
            "address (the workers show it in their logs)",
            bad_input=False,
        )
    error = reply.get("error")
    said = "" if error is None or _timed_out(error) else f" ({type(error).__name__}: {error})"
    raise ClusterError(
        f"no Dask scheduler answered at {address} within {seconds:g} s{said}; check that the "
        "scheduler is running and that the address is its scheduler port (8786 by default), "
        "not its dashboard's (8787)",
        bad_input=False,
    )


def _timed_out(error: BaseException) -> bool:
    """Whether an error only says that the connection timed out (the message says so)."""
    return isinstance(error, TimeoutError) or str(error).startswith("Timed out")


async def _identity(address: str, seconds: float) -> Any:
    """The `identity` reply at an address: a dict whose `type` is "Scheduler" for one."""
    from distributed.core import rpc
    from distributed.security import Security

    arguments = Security().get_connection_args("client")
    async with rpc(address, timeout=seconds, connection_args=arguments) as server:
        return await server.identity()


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

    Raises:
        ClusterError: If the scheduler address is malformed (`bad_input`) or no Dask
            scheduler answers there; if SLURM refuses the workers' job.
    """
    if scheduler is not None:
        check_scheduler_address(scheduler)
        _check_scheduler_answers(scheduler)
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

    with ExitStack() as stack:
        with _ctrl_c_held():
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=local_workers(workers),
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",  # any free port: sweeps may share a machine
                    # Not even errors: a worker whose heartbeat met the scheduler closing
                    # (Ctrl-C, SIGTERM) logged a traceback on the user's terminal. A run's
                    # own failure is in failures.parquet with its traceback, a lost worker
                    # in the retries counted.
                    silence_logs=logging.CRITICAL,
                )
            )
        yield stack.enter_context(Client(cluster, set_as_default=False))


@contextmanager
def _ctrl_c_held() -> Iterator[None]:
    """Hold a Ctrl-C (SIGINT) back while the local cluster starts; raise it once started.

    Interrupted half-way, the cluster was torn down by its exit handler with a traceback;
    held back, the interrupt arrives when the cluster is whole, and closing it is clean.
    (The worker processes ignore Ctrl-C themselves, see `autofin.__main__`; one that the
    Ctrl-C stopped before it could fails the cluster's start: that is the interrupt too.)
    """
    pressed: list[int] = []
    with handled([signal.SIGINT], lambda signum, frame: pressed.append(signum)):
        try:
            yield
        except Exception:
            if pressed:  # a worker stopped by the Ctrl-C before it could ignore it
                raise KeyboardInterrupt from None
            raise
    if pressed:
        raise KeyboardInterrupt


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
