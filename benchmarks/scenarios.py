"""Benchmark the shipped scenarios: wall time, steps per second and peak memory.

What is measured, and how:

* **Wall time** is ``time.perf_counter()`` around the one call ``autofin.simulate(scenario)``:
  building the world, stepping it to the horizon and assembling the result frames. Python
  start-up, imports and loading the scenario file are not timed. Each repeat runs in a fresh
  subprocess; before the timed call the subprocess does an untimed warm-up (the same scenario
  cut to one step), so that lazy imports and first-call costs are not counted either
  (``--no-warmup`` times a cold first call instead). The table shows the best of ``--repeat``
  runs (default 3); ``--json`` also gives every run.
* **One core.** The simulator is single-threaded. Every subprocess is pinned to one CPU
  (``os.sched_setaffinity``) and runs with ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``,
  ``MKL_NUM_THREADS``, ``NUMEXPR_NUM_THREADS`` and ``VECLIB_MAXIMUM_THREADS`` set to 1. The
  CPU time over wall time of the timed call is printed as evidence (about 1.0 = one core busy).
* **Peak memory** is the peak resident set size of the run's subprocess,
  ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` read by the subprocess after the run (the
  figure its parent would get from ``RUSAGE_CHILDREN``, but per run). It includes the
  interpreter and imported libraries, whose share (``base``: the peak before the warm-up and
  the timed run) is shown alongside. A separate, untimed subprocess per scenario measures the
  peak of memory allocated during ``simulate`` with ``tracemalloc`` (Python objects and NumPy
  arrays; ``--no-tracemalloc`` skips it).

The kernel shows a second OS thread in each subprocess: pyarrow's idle jemalloc purge thread,
started when pandas is imported. It does no simulation work (CPU/wall stays at 1.0).

Usage::

    .venv/bin/python benchmarks/scenarios.py                 # every scenarios/*.yaml
    .venv/bin/python benchmarks/scenarios.py scenarios/baseline.yaml --repeat 5 --json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import types
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SCENARIO_DIR = ROOT / "scenarios"
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)
MB = 1024 * 1024


# ---------------------------------------------------------------------------- the subprocess
def _worker(job: dict[str, Any]) -> dict[str, Any]:
    """Run one measurement inside a fresh subprocess and return what it measured."""
    import gc
    import resource
    import time
    import tracemalloc

    if job["cpu"] is not None:
        os.sched_setaffinity(0, {job["cpu"]})

    import autofin
    import autofin.results.provenance  # imported lazily by `simulate`: keep it out of the time
    from autofin.world.model import AutofinModel, simulate

    def peak_rss_mb() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

    scenario = autofin.load_scenario(job["path"], overrides=job["overrides"] or None)
    base_rss = peak_rss_mb()
    finished: list[AutofinModel] = []
    if job.get("census"):
        # Keep the model `simulate` builds (it calls `result` once, at the end) for the census.
        assemble = AutofinModel.result

        def keep_model(model: AutofinModel, *args: Any, **kwargs: Any) -> Any:
            finished.append(model)
            return assemble(model, *args, **kwargs)

        AutofinModel.result = keep_model  # type: ignore[method-assign]
    if job["warmup"]:
        simulate(scenario.model_copy(update={"horizon_days": scenario.step_days, "shocks": []}))
    build_s = None
    if job["build"]:
        started = time.perf_counter()
        AutofinModel(scenario)
        build_s = time.perf_counter() - started
    gc.collect()

    out: dict[str, Any] = {}
    if job["mode"] == "tracemalloc":
        tracemalloc.start()
        result = simulate(scenario)
        out["heap_peak_mb"] = tracemalloc.get_traced_memory()[1] / MB
        tracemalloc.stop()
    else:
        cpu_started, started = time.process_time(), time.perf_counter()
        result = simulate(scenario)
        out["wall_s"] = time.perf_counter() - started
        out["cpu_s"] = time.process_time() - cpu_started
        out["build_s"] = build_s
        out["peak_rss_mb"] = peak_rss_mb()
        out["base_rss_mb"] = base_rss
        out["os_threads"] = _os_threads()
        out["affinity"] = sorted(os.sched_getaffinity(0))
    if finished:
        out["census"] = array_census(finished[-1])
    out.update(
        scenario=scenario.name,
        steps=len(result.timeseries),
        suppliers=int(result.summary["suppliers"]),
        consumers=int(scenario.consumers.population),
        supplier_defaults=int(result.summary["supplier_defaults"]),
        sales_units=float(result.summary.get("sales_units", float("nan"))),
    )
    return out


def array_census(model: Any) -> dict[str, int]:
    """Bytes of the NumPy arrays a finished model holds: the consumer side and the rest.

    The consumer side is what ``model.consumers`` and ``model.market`` reach (the population's
    arrays, its calendar, the car-loan book); the supply side everything else the model
    reaches (firms, edges, due books, banks, instruments, ledger, records kept as arrays).
    Each array buffer is counted once (views count towards the array they view). Python
    objects (the metric rows, event lists) are not counted: they are the rest of the peak RSS.
    """
    seen: set[int] = set()

    def reach(start: Any) -> int:
        total, stack = 0, [start]
        while stack:
            obj = stack.pop()
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            if isinstance(obj, np.ndarray):
                root = obj
                while isinstance(root.base, np.ndarray):
                    root = root.base
                if root is not obj and id(root) in seen:
                    continue
                seen.add(id(root))
                total += root.nbytes
            elif isinstance(obj, dict):
                stack.extend(obj.values())
            elif isinstance(obj, list | tuple | set | frozenset):
                stack.extend(obj)
            elif isinstance(obj, type | types.ModuleType | np.random.Generator) or callable(obj):
                continue
            elif hasattr(obj, "__dict__"):
                stack.extend(vars(obj).values())
            elif hasattr(obj, "__slots__"):
                stack.extend(getattr(obj, name) for name in obj.__slots__ if hasattr(obj, name))
        return total

    consumer = reach(model.consumers) + reach(model.market)
    return {"consumer_bytes": consumer, "supply_bytes": reach(model)}


def _os_threads() -> int | None:
    """Threads of this process according to the kernel (BLAS pools would show here)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Threads:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


# ---------------------------------------------------------------------------- the parent
def single_thread_env() -> dict[str, str]:
    """The environment of every benchmark subprocess: numeric libraries on one thread."""
    env = dict(os.environ)
    env.update(dict.fromkeys(THREAD_VARIABLES, "1"))
    return env


def default_cpu() -> int | None:
    """The CPU to pin runs to: the lowest-numbered one this process may use."""
    try:
        return min(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return None


def add_pinning_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``--cpu`` and ``--no-pin`` options every benchmark takes."""
    parser.add_argument(
        "--cpu",
        type=int,
        default=default_cpu(),
        help="CPU to pin every run to (default: %(default)s)",
    )
    parser.add_argument(
        "--no-pin", dest="pin", action="store_false", help="do not pin runs to one CPU"
    )


def run_job(job: dict[str, Any], script: Path | None = None) -> dict[str, Any]:
    """Run one job in a fresh subprocess of ``script`` (this one by default).

    The script must take ``--worker JOB_JSON`` and print the result as its last line of JSON.

    Raises:
        RuntimeError: If the subprocess fails; the message carries its standard error.
    """
    script = Path(__file__) if script is None else script
    command = [sys.executable, str(script.resolve()), "--worker", json.dumps(job)]
    done = subprocess.run(
        command, capture_output=True, text=True, env=single_thread_env(), cwd=ROOT, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip() or f"worker exited with {done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(
    path: Path,
    overrides: dict[str, Any] | None = None,
    *,
    repeat: int = 3,
    warmup: bool = True,
    cpu: int | None = None,
    heap: bool = True,
    build: bool = False,
) -> dict[str, Any]:
    """Measure one scenario: ``repeat`` timed subprocesses, plus one tracemalloc subprocess.

    Args:
        path: The scenario file.
        overrides: Dotted-path overrides passed to `autofin.load_scenario`.
        repeat: Number of timed runs; the best wall time is reported.
        warmup: Run the scenario for one step, untimed, before the timed call.
        cpu: CPU to pin the subprocesses to (None: do not pin).
        heap: Also measure the tracemalloc peak in a separate untimed subprocess.
        build: Also time building the model on its own (untimed by ``simulate``'s clock).

    Returns:
        The scenario's figures; ``runs`` holds every timed run.
    """
    job = {
        "path": str(path),
        "overrides": overrides or {},
        "warmup": warmup,
        "cpu": cpu,
        "mode": "time",
        "build": build,
        "census": True,
    }
    runs = [run_job(job) for _ in range(repeat)]
    best = min(runs, key=lambda run: run["wall_s"])
    figures: dict[str, Any] = {
        "scenario": best["scenario"],
        "path": _relative(path),
        "overrides": overrides or {},
        "steps": best["steps"],
        "suppliers": best["suppliers"],
        "consumers": best["consumers"],
        "supplier_defaults": best["supplier_defaults"],
        "wall_s": best["wall_s"],
        "cpu_s": best["cpu_s"],
        "cpu_per_wall": best["cpu_s"] / best["wall_s"],
        "steps_per_s": best["steps"] / best["wall_s"],
        "ms_per_step": 1000 * best["wall_s"] / best["steps"],
        "build_s": min((r["build_s"] for r in runs if r["build_s"] is not None), default=None),
        "peak_rss_mb": max(run["peak_rss_mb"] for run in runs),
        "base_rss_mb": max(run["base_rss_mb"] for run in runs),
        "heap_peak_mb": None,
        "os_threads": max(run["os_threads"] or 0 for run in runs),
        **memory_report(best),
        "runs": runs,
    }
    if heap:
        figures["heap_peak_mb"] = run_job({**job, "mode": "tracemalloc", "build": False})[
            "heap_peak_mb"
        ]
    return figures


def memory_report(run: dict[str, Any]) -> dict[str, Any]:
    """A run's memory beyond its peak RSS: what the run added, bytes per consumer and supplier.

    The bytes per agent are the arrays of each side of the finished model (`array_census`)
    over the number of agents: per consumer the consumer side (population, calendar, car-loan
    book), per supplier the supply side (firms, edges, due books, banks, instruments, ledger).
    """
    census = run.get("census") or {}
    consumers, suppliers = run["consumers"], run["suppliers"]
    consumer_bytes = census.get("consumer_bytes")
    supply_bytes = census.get("supply_bytes")
    return {
        "run_rss_mb": run["peak_rss_mb"] - run["base_rss_mb"],
        "consumer_arrays_mb": None if consumer_bytes is None else consumer_bytes / MB,
        "supply_arrays_mb": None if supply_bytes is None else supply_bytes / MB,
        "bytes_per_consumer": (
            consumer_bytes / consumers if consumer_bytes is not None and consumers else None
        ),
        "bytes_per_supplier": (
            supply_bytes / suppliers if supply_bytes is not None and suppliers else None
        ),
    }


def machine_info(repeat: int, warmup: bool, cpu: int | None) -> dict[str, Any]:
    """Where and how the benchmark ran."""
    from importlib.metadata import version

    return {
        "timestamp_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu_model": _cpu_model(),
        "logical_cpus": os.cpu_count(),
        "pinned_cpu": cpu,
        "thread_env": dict.fromkeys(THREAD_VARIABLES, "1"),
        "python": platform.python_version(),
        "autofin": version("autofin"),
        "mesa": version("mesa"),
        "numpy": version("numpy"),
        "git": _git_state(),
        "repeat": repeat,
        "warmup": warmup,
        "timed": "autofin.simulate(scenario) only (build, steps, result frames); "
        "best of the repeats, each in a fresh subprocess",
        "peak_rss": "getrusage(RUSAGE_SELF).ru_maxrss of the run's subprocess, read after the "
        "run (interpreter and imports included; base = before the run)",
        "heap_peak": "tracemalloc peak during simulate(), separate untimed subprocess",
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git_state() -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit} (src/ has uncommitted changes)" if dirty.strip() else commit


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def format_table(headers: list[str], rows: list[list[str]]) -> str:
    """A plain-text table: first column left-aligned, the others right-aligned."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        return "  ".join(
            str(cell).ljust(w) if i == 0 else str(cell).rjust(w)
            for i, (cell, w) in enumerate(zip(cells, widths, strict=True))
        )

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def describe_method(info: dict[str, Any]) -> str:
    """The lines printed above a table: what was measured, where and how."""
    pinned = (
        f"pinned to CPU {info['pinned_cpu']} (one core)"
        if info["pinned_cpu"] is not None
        else "not pinned"
    )
    return "\n".join(
        [
            f"machine: {info['cpu_model']}, {info['logical_cpus']} logical CPUs; runs {pinned}, "
            "OMP/OPENBLAS/MKL/NUMEXPR threads = 1",
            f"software: autofin {info['autofin']} (git {info['git']}), mesa {info['mesa']}, "
            f"numpy {info['numpy']}, python {info['python']}",
            f"time: autofin.simulate() only, best of {info['repeat']} fresh subprocesses"
            + (", after an untimed 1-step warm-up" if info["warmup"] else ", cold first call"),
            "memory: peak RSS = ru_maxrss of the run's subprocess (interpreter + imports "
            "included; 'base' = before the run); heap = tracemalloc peak during simulate(); "
            "B/consumer, B/supplier = bytes of the finished model's consumer-side and "
            "supply-side arrays per consumer and per supplier",
        ]
    )


def fmt_number(value: float | None, digits: int) -> str:
    """A number with thousands separators and ``digits`` decimals, or ``-`` if missing."""
    return "-" if value is None else f"{value:,.{digits}f}"


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(
        description="Time autofin.simulate on scenario files (one core) and report wall time, "
        "steps per second and peak memory.",
    )
    parser.add_argument(
        "scenarios", nargs="*", type=Path, help="scenario files (default: every scenarios/*.yaml)"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="timed runs per scenario, each in a fresh subprocess; the best "
        "is reported (default: 3)",
    )
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.add_argument(
        "--no-warmup",
        dest="warmup",
        action="store_false",
        help="time a cold first call instead of warming up with one step",
    )
    parser.add_argument(
        "--no-tracemalloc",
        dest="heap",
        action="store_false",
        help="skip the extra tracemalloc run per scenario",
    )
    add_pinning_arguments(parser)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker is not None:
        print(json.dumps(_worker(json.loads(args.worker))))
        return 0
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    paths = args.scenarios or sorted(SCENARIO_DIR.glob("*.yaml"))
    if not paths:
        parser.error(f"no scenario files given and none in {SCENARIO_DIR}")
    cpu = args.cpu if args.pin else None

    info = machine_info(args.repeat, args.warmup, cpu)
    results, failures = [], []
    for path in paths:
        try:
            results.append(
                measure(path, repeat=args.repeat, warmup=args.warmup, cpu=cpu, heap=args.heap)
            )
        except RuntimeError as error:
            failures.append({"path": _relative(path), "error": str(error)})
            print(f"{_relative(path)}: failed\n{error}", file=sys.stderr, flush=True)

    if args.json:
        print(json.dumps({"method": info, "results": results, "failures": failures}, indent=2))
    else:
        headers = [
            "scenario",
            "steps",
            "suppliers",
            "consumers",
            "time s",
            "steps/s",
            "cpu/wall",
            "peak RSS MB",
            "base MB",
            "heap MB",
            "B/consumer",
            "B/supplier",
        ]
        rows = [
            [
                r["scenario"],
                str(r["steps"]),
                f"{r['suppliers']:,}",
                f"{r['consumers']:,}",
                fmt_number(r["wall_s"], 3),
                fmt_number(r["steps_per_s"], 0),
                fmt_number(r["cpu_per_wall"], 2),
                fmt_number(r["peak_rss_mb"], 1),
                fmt_number(r["base_rss_mb"], 1),
                fmt_number(r["heap_peak_mb"], 1),
                fmt_number(r["bytes_per_consumer"], 0),
                fmt_number(r["bytes_per_supplier"], 0),
            ]
            for r in results
        ]
        print(describe_method(info))
        print()
        print(format_table(headers, rows) if rows else "(no scenario ran)")
    if failures:
        print(f"{len(failures)} scenario(s) failed: see the errors above", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
