"""Check that the working tree simulates exactly what a base git commit simulates.

A speed change must not change any result. This script runs every shipped scenario (or the
ones given) twice, once on the source of ``--base`` (exported with ``git archive`` into a
temporary folder) and once on this checkout's ``src/``, each in a fresh subprocess, and compares
every result frame: ``timeseries``, ``flows``, ``events``, ``network``, ``firms``, ``panel``,
``loans`` and the numeric ``summary`` figures (wall time and provenance left out).

Frames must be equal cell for cell: same columns, same rows in the same order, same dtypes and
the same values (NaN equal to NaN; NaN against a number is a difference, counted apart). Where
float cells differ the script prints the largest relative difference, so a reordered float sum
(last-bit differences, ~1e-15) can be told from a change of rule. It exits 1 if anything
differs.

Each scenario runs from the *base commit's* scenario file for the base run and from this
checkout's file for the new run, so compare against a commit whose scenario files mean the same.
A scenario file outside the checkout runs from that one file on both sides; a shipped scenario
the base commit does not have is skipped, and said so.
``--horizon-days`` cuts every run short (the warm-up still runs in full).

Usage::

    .venv/bin/python benchmarks/same_results.py --base 15f1254
    .venv/bin/python benchmarks/same_results.py --base HEAD scenarios/baseline.yaml
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FRAMES = ("timeseries", "flows", "events", "network", "firms", "panel", "loans")
VOLATILE_SUMMARY = (
    "wall_time_s",
    "wall_s",
    "timestamp",
    "versions",
    "provenance",
    "git",
    "created",
    # The resolved scenario's hash: a new schema field changes it (its default is written in)
    # while the results stay the same.
    "scenario_sha256",
)


def _worker(job: dict[str, Any]) -> None:
    """Run one scenario on whatever ``autofin`` is importable and pickle its frames."""
    import autofin
    from autofin.world.model import simulate

    overrides = {}
    if job["horizon_days"] is not None:
        overrides["horizon_days"] = job["horizon_days"]
    scenario = autofin.load_scenario(job["path"], overrides=overrides or None)
    result = simulate(scenario, panel=True, loans=True)
    out = {"autofin_file": autofin.__file__}
    for name in FRAMES:
        out[name] = getattr(result, name)
    out["summary"] = {
        key: value
        for key, value in result.summary.items()
        if isinstance(value, int | float | str | bool) and not _volatile(key)
    }
    with open(job["out"], "wb") as handle:
        pickle.dump(out, handle)


def _volatile(key: str) -> bool:
    return any(word in key for word in VOLATILE_SUMMARY)


def run(src: Path, scenario: Path, horizon_days: int | None, out: Path) -> dict[str, Any]:
    """Run one scenario on the source folder ``src`` in a fresh subprocess."""
    env = dict(os.environ, PYTHONPATH=str(src))
    job = {"path": str(scenario), "horizon_days": horizon_days, "out": str(out)}
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(job)],
        env=env,
        cwd=src.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip()[-3000:])
    with open(out, "rb") as handle:
        frames = pickle.load(handle)
    if Path(frames["autofin_file"]).resolve().parents[1] != src.resolve():
        raise RuntimeError(f"imported {frames['autofin_file']}, expected one under {src}")
    return frames


def compare_frames(name: str, old: Any, new: Any) -> list[str]:
    """Differences between two result frames (empty if identical)."""
    import numpy as np
    import pandas as pd

    if old is None or new is None:
        return [] if old is None and new is None else [f"{name}: one side is None"]
    if list(old.columns) != list(new.columns):
        return [f"{name}: columns {list(old.columns)} != {list(new.columns)}"]
    if len(old) != len(new):
        return [f"{name}: {len(old)} rows != {len(new)} rows"]
    problems = []
    if not old.index.equals(new.index):
        problems.append(f"{name}: index differs")
    for column in old.columns:
        a, b = old[column], new[column]
        if a.dtype != b.dtype:
            problems.append(f"{name}.{column}: dtype {a.dtype} != {b.dtype}")
            continue
        if a.equals(b):
            continue
        if pd.api.types.is_float_dtype(a):
            x, y = a.to_numpy(), b.to_numpy()
            one_nan = np.isnan(x) != np.isnan(y)  # a number on one side, NaN on the other
            differ = ~np.isnan(x) & ~np.isnan(y) & (x != y)
            with np.errstate(invalid="ignore", divide="ignore"):
                diff = np.abs(x - y)
                rel = np.where(differ, diff / np.maximum(np.abs(x), np.abs(y)), 0.0)
            rel[differ & np.isnan(rel)] = np.inf  # an infinity against a number (inf / inf)
            differing = int(differ.sum())
            line = f"{name}.{column}: {differing + int(one_nan.sum())} cells differ"
            if one_nan.any():
                line += f" ({int(one_nan.sum())} of them NaN on one side only)"
            if differing:
                line += f", max relative difference {rel.max():.3g}"
            problems.append(line)
        else:
            unequal = int((a.astype(str) != b.astype(str)).sum())
            problems.append(f"{name}.{column}: {unequal} cells differ")
    return problems


def compare(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Every difference between two runs' frames and summaries."""
    problems = []
    for name in FRAMES:
        problems += compare_frames(name, old[name], new[name])
    for key in sorted(set(old["summary"]) | set(new["summary"])):
        a, b = old["summary"].get(key), new["summary"].get(key)
        if a != b and not (a != a and b != b):  # NaN == NaN
            problems.append(f"summary.{key}: {a!r} != {b!r}")
    return problems


def export(commit: str, into: Path) -> Path:
    """``git archive`` the commit into ``into`` and return its root."""
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "archive", commit], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenarios", nargs="*", type=Path, help="default: every scenarios/*.yaml")
    parser.add_argument("--base", default="HEAD", help="git commit to compare against")
    parser.add_argument("--horizon-days", type=int, default=None, help="cut every run short")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker is not None:
        _worker(json.loads(args.worker))
        return 0

    given = [p.resolve() for p in args.scenarios]
    paths = given or sorted((ROOT / "scenarios").glob("*.yaml"))
    failed = compared = 0
    with tempfile.TemporaryDirectory(prefix="autofin-base-") as tmp:
        base = export(args.base, Path(tmp) / "base")
        for path in paths:
            # A scenario outside the checkout (a benchmark's world written out, say) runs from
            # the same file on both sides.
            inside = path.is_relative_to(ROOT)
            relative = path.relative_to(ROOT) if inside else path
            if inside and not given and not (base / relative).exists():
                # A scenario added since the base commit: nothing to compare it with.
                print(f"{relative}: not in {args.base}, skipped", flush=True)
                continue
            compared += 1
            with tempfile.TemporaryDirectory() as out:
                old_path = base / relative if inside else path
                old = run(base / "src", old_path, args.horizon_days, Path(out) / "a")
                new = run(ROOT / "src", path, args.horizon_days, Path(out) / "b")
            problems = compare(old, new)
            failed += bool(problems)
            print(f"{relative}: {'identical' if not problems else 'DIFFERENT'}", flush=True)
            for problem in problems:
                print(f"    {problem}", flush=True)
    print(f"{compared - failed} of {compared} scenarios identical to {args.base}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
