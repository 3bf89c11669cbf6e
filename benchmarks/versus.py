"""Time this checkout against a git commit, side by side: the ratio of simulation times.

Speed requirements are stated as a ratio to an earlier commit ("the baseline stays under 1.5x
its present simulation time"). Absolute times on a shared machine mean little, so this script
alternates runs of the two versions in the same minute and reports the ratio.

How: the commit is exported with ``git archive`` into a temporary folder; each run is a fresh
subprocess of ``benchmarks/scenarios.py --worker`` (so it is timed exactly as there: the call
``autofin.simulate(scenario)`` only, pinned to one CPU, numeric libraries on one thread, after
an untimed one-step warm-up) with ``PYTHONPATH`` pointing at either the exported ``src/`` or
this checkout's. The old version runs the commit's own scenario file (same relative path), the
new one this checkout's. Runs alternate old, new, old, new, ... ``--repeat`` times each; the
table gives the median and best of each side, and the ratio new/old of the medians, of the
bests, and the range of the per-pair ratios, for wall time and for the CPU time of the timed
call (``time.process_time``; on a shared machine it is the steadier of the two, since time
spent waiting for the core is not counted).

Usage::

    .venv/bin/python benchmarks/versus.py 439607d                        # baseline, 5 pairs
    .venv/bin/python benchmarks/versus.py 439607d scenarios/baseline.yaml --repeat 7
    .venv/bin/python benchmarks/versus.py 439607d --set network.tiers=[1000,3000,6000] \\
        --set consumers.population=1000000 --set horizon_days=1820
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from scenarios import ROOT, add_pinning_arguments, single_thread_env

SCRIPT = Path(__file__).resolve().parent / "scenarios.py"


def run(src: Path, scenario: Path, overrides: dict[str, Any], cpu: int | None) -> dict[str, Any]:
    """One timed run of ``scenario`` on the autofin source folder ``src``."""
    job = {
        "path": str(scenario),
        "overrides": overrides,
        "warmup": True,
        "cpu": cpu,
        "mode": "time",
        "build": False,
    }
    env = single_thread_env()
    env["PYTHONPATH"] = str(src)
    command = [sys.executable, str(SCRIPT), "--worker", json.dumps(job)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=src.parent)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip()[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def export(commit: str, into: Path) -> Path:
    """``git archive`` the commit into the folder ``into`` and return it."""
    into.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", commit], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def summarise(clock: str, old: list[float], new: list[float], commit: str) -> str:
    """Median, best and ratios of one clock (wall or CPU time) over the paired runs."""
    pairs = [n / o for o, n in zip(old, new, strict=True)]
    median_old, median_new = statistics.median(old), statistics.median(new)
    return (
        f"{clock[:-2]} time: old {commit} median {median_old:.3f} s, best {min(old):.3f} s; "
        f"new median {median_new:.3f} s, best {min(new):.3f} s; ratio new/old of medians "
        f"{median_new / median_old:.2f}, of bests {min(new) / min(old):.2f}, "
        f"per pair {min(pairs):.2f}-{max(pairs):.2f} (median {statistics.median(pairs):.2f})"
    )


def parse_override(text: str) -> tuple[str, Any]:
    """``path=value`` with the value read as YAML."""
    path, _, value = text.partition("=")
    return path, yaml.safe_load(value)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("commit", help="the git commit to compare against")
    parser.add_argument(
        "scenario", nargs="?", type=Path, default=ROOT / "scenarios" / "baseline.yaml"
    )
    parser.add_argument(
        "--new", default=None, help="a second commit to time instead of this working tree"
    )
    parser.add_argument("--repeat", type=int, default=5, help="runs of each side (default 5)")
    parser.add_argument(
        "--set", action="append", default=[], help="override, e.g. consumers.population=1000000"
    )
    add_pinning_arguments(parser)
    args = parser.parse_args(argv)
    cpu = args.cpu if args.pin else None
    overrides = dict(parse_override(text) for text in args.set)
    relative = args.scenario.resolve().relative_to(ROOT)

    with tempfile.TemporaryDirectory(prefix="autofin-versus-") as tmp:
        old_root = export(args.commit, Path(tmp) / "old")
        new_root = ROOT if args.new is None else export(args.new, Path(tmp) / "new")
        old: list[dict[str, Any]] = []
        new: list[dict[str, Any]] = []
        for i in range(args.repeat):
            old.append(run(old_root / "src", old_root / relative, overrides, cpu))
            new.append(run(new_root / "src", new_root / relative, overrides, cpu))
            print(
                f"pair {i + 1}: old {old[-1]['wall_s']:.3f} s (cpu {old[-1]['cpu_s']:.3f}), "
                f"new {new[-1]['wall_s']:.3f} s (cpu {new[-1]['cpu_s']:.3f})",
                flush=True,
            )

    print(f"\n{relative} {overrides or ''}, {args.repeat} alternating runs each, CPU {cpu}")
    for clock in ("wall_s", "cpu_s"):
        print(summarise(clock, [r[clock] for r in old], [r[clock] for r in new], args.commit))
    print(f"new = {args.new or 'this working tree'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
