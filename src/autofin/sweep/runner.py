"""Running a sweep on a Dask cluster: batches, bounded tasks in flight, results as they arrive.

The driver groups the runs not yet finished into batches of at least `batch_seconds` of
simulation (sized from the runs measured so far), keeps at most a few batches per worker in
flight, and writes every run as soon as its batch comes back (`as_completed`), so memory does
not grow with the design and a killed driver loses only the runs in flight. A worker that dies
has its batch retried by the scheduler on another worker (Dask's `allowed-failures`); the
driver counts those retries by asking the scheduler which of its tasks were on a dead worker.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import signal
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import CancelledError
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from distributed import Client, Future, as_completed

from autofin.interrupts import handled
from autofin.sweep.plan import SweepPlan
from autofin.sweep.runs import Outcome, OutputError, Run, Simulation, run_batch
from autofin.sweep.store import SweepStore

POLL_SECONDS = 0.2
RESULT_WAIT_SECONDS = 1.0
"""How long the loop waits to read a finished batch before it goes on and reads it later.

A batch whose worker died after it finished (a SLURM job at its walltime or cancelled) is run
again, and reading it waits for that run; on SLURM the run may first need the job watch to
submit jobs again, which only the loop can do.
"""
TASKS_PER_WORKER = 2
"""Batches in flight per worker: one running, one queued so no worker waits for the driver."""


@dataclass
class SweepStatus:
    """Counts of a sweep in progress, passed to the progress callback."""

    total: int
    skipped: int = 0
    done: int = 0
    failed: int = 0
    running: int = 0
    retried: int = 0
    duplicates: int = 0
    workers: int = 0
    started: float = field(default_factory=time.perf_counter)
    simulation_seconds: float = 0.0

    @property
    def finished(self) -> int:
        """Runs written in this sweep or an earlier attempt, failures included."""
        return self.skipped + self.done + self.failed


Progress = Callable[[SweepStatus], None]


def execute(
    plan: SweepPlan,
    store: SweepStore,
    client: Client,
    *,
    progress: Progress | None = None,
    simulation: Simulation | None = None,
    watch: Callable[[int, int], None] | None = None,
) -> SweepStatus:
    """Run the plan's unfinished runs on the client's cluster, writing each as it arrives.

    Args:
        plan: The sweep.
        store: The sweep directory (already opened for this plan).
        client: A Dask client connected to any cluster.
        progress: Called with the counts after every change (and a few times a second).
        simulation: A stand-in for `autofin.simulate` (tests).
        watch: Called about once a second with the connected workers and the runs
            finished (`autofin.sweep.executors.watch_of`): it may submit lost SLURM jobs
            again, or raise to end the sweep.

    Returns:
        The final counts.

    Raises:
        OutputError: If the experiment names an output the model does not produce.
    """
    spec = plan.experiment.spec
    finished = store.finished()
    every_run = plan.runs()
    todo = [(run, scenario) for run, scenario in every_run if run.run_id not in finished]
    status = SweepStatus(total=len(every_run), skipped=len(every_run) - len(todo))
    todo.reverse()  # pop() from the end keeps design order
    in_flight: dict[Future, list[Run]] = {}
    suspicious: dict[str, int] = {}
    timing = _Timing(spec.batch_seconds)
    tasks = as_completed(with_results=False, loop=client.loop)
    last_poll = 0.0

    def report() -> None:
        if progress is not None:
            progress(status)

    def submit() -> None:
        status.workers = len(client.scheduler_info(n_workers=-1).get("workers", {}))
        workers = max(1, status.workers)  # SLURM workers may not have started yet
        limit = TASKS_PER_WORKER * workers
        while todo and len(in_flight) < limit:
            size = timing.batch_size(len(todo), workers)
            batch = [todo.pop() for _ in range(min(size, len(todo)))]
            future = client.submit(
                run_batch,
                batch,
                spec.outputs,
                spec.check,
                simulation,
                pure=False,
                key=f"autofin-runs-{batch[0][0].run_id}-{len(batch)}",
            )
            in_flight[future] = [run for run, _ in batch]
            tasks.add(future)

    submit()
    report()
    with _stop_requests() as stopped:
        try:
            while in_flight:
                if stopped:  # a Ctrl-C or SIGTERM that library code caught and dropped
                    raise KeyboardInterrupt
                ready = tasks.next_batch(block=False) if tasks.has_ready() else []
                if ready:
                    # Before the finished tasks are released: a task that ran again after its
                    # worker died may finish before the next poll would have seen it.
                    _poll(client, in_flight, suspicious, status)
                for future in ready:
                    outcomes = _outcomes(future, in_flight[future]) if future.done() else None
                    if outcomes is None:
                        # Finished, then lost with its worker before we read it (or not read in
                        # time): the scheduler runs it again elsewhere; wait for that run instead
                        # of failing its runs, and go on meanwhile (the watch may have to submit
                        # jobs for it to run).
                        tasks.add(future)
                        continue
                    del in_flight[future]
                    for outcome in outcomes:
                        if store.is_finished(outcome.run.run_id):
                            status.duplicates += 1  # never expected: a run delivered twice
                        store.record(outcome)
                        if outcome.failed:
                            status.failed += 1
                        else:
                            status.done += 1
                            status.simulation_seconds += outcome.seconds
                            timing.observe(outcome.seconds)
                    future.release()
                now = time.perf_counter()
                if ready or now - last_poll > 1.0:
                    submit()  # also when workers join (SLURM jobs start one by one)
                    last_poll = now
                    _poll(client, in_flight, suspicious, status)
                    report()
                    if watch is not None:
                        watch(status.workers, status.finished)
                if not ready:
                    time.sleep(POLL_SECONDS)
        finally:
            for future in in_flight:
                future.cancel()
    status.retried = sum(1 for count in suspicious.values() if count > 0)
    status.running = 0
    report()
    return status


@contextmanager
def _stop_requests() -> Iterator[list[int]]:
    """Ctrl-C (SIGINT) and SIGTERM stop the sweep's loop even if library code drops them.

    Within the block each raises KeyboardInterrupt at once, as before, and is also recorded
    in the list yielded, which the loop checks on every pass: an interrupt raised inside
    Dask's client calls could be caught there and lost, and the sweep ran to its end.
    """
    received: list[int] = []

    def stop(signum: int, frame: object) -> None:
        received.append(signum)
        raise KeyboardInterrupt

    with handled([signal.SIGINT, signal.SIGTERM], stop):
        yield received


def _outcomes(future: Future, runs: list[Run]) -> list[Outcome] | None:
    """The outcomes of a finished task; a task that could not run fails all its runs.

    A task whose worker died after it finished is run again by the scheduler, so its future
    may be pending again here. Reading it then waits for the new run, for at most
    `RESULT_WAIT_SECONDS`: None means "not yet, read it later".
    """
    try:
        return future.result(timeout=RESULT_WAIT_SECONDS)
    except OutputError:
        raise
    except (Exception, CancelledError) as error:
        if isinstance(error, TimeoutError) and future.status != "error":
            return None  # not read in time (a task that raised TimeoutError failed: below)
        trace = error.__traceback__
        text = "".join(traceback.format_tb(trace)) if trace is not None else ""
        return [
            Outcome(run, error=f"{type(error).__name__}: {error}", traceback=text) for run in runs
        ]


def _poll(
    client: Client,
    in_flight: dict[Future, list[Run]],
    suspicious: dict[str, int],
    status: SweepStatus,
) -> None:
    """Ask the scheduler which tasks are running and which were on a worker that died."""
    keys = {future.key: len(runs) for future, runs in in_flight.items()}
    try:
        states = client.run_on_scheduler(_task_states, list(keys))
    except Exception:  # progress is best effort; the sweep goes on
        return
    status.running = sum(keys[key] for key, (state, _) in states.items() if state == "processing")
    for key, (_, count) in states.items():
        if count:
            suspicious[key] = max(suspicious.get(key, 0), count)
    status.retried = sum(1 for count in suspicious.values() if count > 0)


def _task_states(keys: list[str], dask_scheduler: Any = None) -> dict[str, tuple[str, int]]:
    """On the scheduler: each task's state and how many times its worker died under it."""
    tasks = dask_scheduler.tasks
    return {key: (tasks[key].state, tasks[key].suspicious) for key in keys if key in tasks}


class _Timing:
    """Sizes batches so that each task simulates for about `target` seconds."""

    def __init__(self, target: float) -> None:
        self.target = target
        self.count = 0
        self.total = 0.0

    def observe(self, seconds: float) -> None:
        self.count += 1
        self.total += seconds

    def batch_size(self, remaining: int, workers: int) -> int:
        """Runs per task: one until a run is timed, then enough for `target` seconds.

        Never so many that some workers would be left without a task.
        """
        if not self.count:
            return 1
        per_run = max(self.total / self.count, 1e-6)
        wanted = max(1, math.ceil(self.target / per_run))
        fair = max(1, math.ceil(remaining / (TASKS_PER_WORKER * workers)))
        return min(wanted, fair)


SAMPLE_COPIES = 4
"""Most copies of the sample run a dry run times side by side (`dry_run_estimate`)."""


class SampleRunError(RuntimeError):
    """A dry run's sample run ended without a time (its process was killed, or crashed)."""


def dry_run_estimate(
    plan: SweepPlan,
    store: SweepStore,
    workers: int,
    side_by_side: int = 1,
    fresh_workers: bool = True,
) -> dict[str, float]:
    """The design's size and how long it should take, from runs already timed or one run.

    Without timed runs in the directory, runs spread over the design are timed in fresh
    processes, ``side_by_side`` of them at once (at most `SAMPLE_COPIES`, the runs to do,
    and as many as half the machine's memory holds by the first run's estimate), as the
    sweep's local workers would run them: the design's first run timed alone in a warm
    process missed how much workers on one machine slow each other down, what a fresh worker
    pays to start, and that other settings run longer (the estimate was about half of the
    shipped experiments' sweeps' time). The last round of runs counts whole.

    Args:
        plan: The sweep.
        store: The sweep directory (its finished runs' times are used when present).
        workers: Worker processes the sweep would use.
        side_by_side: Of those, how many would run on this machine at once.
        fresh_workers: Whether the sweep starts its workers (not a running cluster's).

    Returns:
        runs, todo, seconds_per_run, start_seconds (a fresh worker's start; 0 when the
        workers are running or the times are the directory's), timed_side_by_side (0 for the
        directory's times) and estimate_seconds.

    Raises:
        OutputError: If an output named in the experiment does not exist.
        SampleRunError: If the sample run's process ended without a time.
    """
    runs = plan.runs()
    finished = store.finished()
    todo = [(run, scenario) for run, scenario in runs if run.run_id not in finished]
    seconds = _timed_seconds(store)
    start, copies = 0.0, 0
    if seconds is None:
        copies = max(1, min(side_by_side, SAMPLE_COPIES, len(todo), _copies_in_memory(runs[0])))
        # One run from the middle of each of `copies` equal parts of the design.
        samples = [runs[int((k + 0.5) * len(runs) / copies)] for k in range(copies)]
        seconds, start = _time_sample(samples, plan)
        start = start if fresh_workers else 0.0
    rounds = math.ceil(len(todo) / max(1, workers))
    return {
        "runs": len(runs),
        "todo": len(todo),
        "seconds_per_run": seconds,
        "start_seconds": start,
        "timed_side_by_side": copies,
        "estimate_seconds": start + seconds * rounds if todo else 0.0,
    }


def _copies_in_memory(sample: tuple[Run, Any]) -> int:
    """How many copies of the sample run half of this machine's memory holds (estimated)."""
    from autofin.scenario.workload import estimate_workload, machine_memory_bytes

    available = machine_memory_bytes()
    if available is None:
        return 1
    return max(1, int(available / 2 // estimate_workload(sample[1]).memory_bytes))


def _time_sample(samples: list[tuple[Run, Any]], plan: SweepPlan) -> tuple[float, float]:
    """Mean seconds of ``samples``, each run in a fresh process, all at once; their start.

    The processes are stopped when anything interrupts the wait (Ctrl-C, or SIGTERM where
    the caller turns it into one), so none outlives the dry run.
    """
    spec = plan.experiment.spec
    context = multiprocessing.get_context("spawn")
    submitted = time.time()
    processes, timings = [], []
    try:
        pipes = []
        for sample in samples:
            receive, send = context.Pipe(duplex=False)
            process = context.Process(
                target=_timed_run, args=(sample, spec.outputs, spec.check, send), daemon=True
            )
            process.start()
            send.close()  # the child's end: a child that dies leaves the pipe at its end
            processes.append(process)
            pipes.append(receive)
        for process, receive in zip(processes, pipes, strict=True):
            try:
                kind, *values = receive.recv()
            except EOFError:
                process.join()
                raise SampleRunError(
                    f"the sample run's process ended without a time (exit code "
                    f"{process.exitcode}; killed, perhaps for want of memory)"
                ) from None
            if kind == "output":
                raise OutputError(values[0])
            if kind == "error":
                raise SampleRunError(f"the sample run failed: {values[0]}")
            timings.append(values)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
            process.join()
    start = max(ready - submitted for ready, _ in timings)
    return sum(seconds for _, seconds in timings) / len(samples), max(start, 0.0)


def _timed_run(sample: tuple[Run, Any], outputs: Any, check: bool, send: Any) -> None:
    """In a fresh process: send when the engine was imported (epoch seconds) and a run's time.

    A failure is sent instead: ("output", message) for an output the run does not produce,
    ("error", description) for anything else. (A failing simulation is timed, as in a sweep.)
    """
    try:
        import autofin.world.model  # noqa: F401  (a worker's first run imports the engine)

        ready = time.time()
        started = time.perf_counter()
        run_batch([sample], outputs, check)
        send.send(("ok", ready, time.perf_counter() - started))
    except OutputError as error:
        send.send(("output", str(error)))
    except Exception as error:  # reported by the parent, which names it
        send.send(("error", f"{type(error).__name__}: {error}"))
    finally:
        send.close()


def _timed_seconds(store: SweepStore) -> float | None:
    """Mean simulation time of the runs already in the directory, if any."""
    finished = sorted(store.finished())[:50]
    times = [
        json.loads((store.runs_dir / f"{run_id}.json").read_text(encoding="utf-8"))["seconds"]
        for run_id in finished
    ]
    return sum(times) / len(times) if times else None
