"""Print supplier defaults split into sound firms and loss-makers, and the term effect.

Issue 8 asks that "longer terms, more defaults" come from cash, credit and losses. A
defaulted supplier either lost money over the run (its operating profit, EBIT after the
warm-up, is at most zero: a *loss-maker*) or did not (a *sound* firm, which failed for want
of cash while profitable: under the default repay-first rule, a firm at its line's limit that
cannot find the cash for maturing draws). This script runs the robustness table's four cases
(`tests/world/robustness.py`: the 60-day pledge, `scf_none` at 170 and 240 days, the platform
at 170 days) over a range of seeds and prints, per case, the mean defaults a run as sound +
loss-makers, then the term effect (`scf_none` at 240 days less 170, paired by seed, ± one
standard error). The tables of docs/calibration.md ("Two kinds of default") were made so.

Usage::

    .venv/bin/python benchmarks/default_kinds.py                      # seeds 0-31
    .venv/bin/python benchmarks/default_kinds.py --seeds 0-7 --set banks.receivables_advance_rate=0
    .venv/bin/python benchmarks/default_kinds.py --set banks.roll_over_maturing_draws=true
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests"), str(ROOT / "tests" / "world")]

from autofin.results.result import Result  # noqa: E402
from robustness import CASES, parse_seeds, runs  # noqa: E402


def kinds(result: Result) -> tuple[int, int]:
    """The run's defaulted suppliers: how many were sound and how many loss-makers.

    Args:
        result: A finished run.

    Returns:
        ``(sound, loss_makers)``: defaulted suppliers whose operating profit over the run
        (`Result.firms` ``ebit``) was above zero, and the others.
    """
    events = result.events
    defaulted = events.loc[
        (events["event"] == "default") & (events["agent_type"] == "supplier"), "agent_id"
    ]
    ebit = result.firms.set_index("firm").loc[defaulted.to_numpy(), "ebit"].to_numpy()
    sound = int((ebit > 0).sum())
    return sound, int(ebit.size) - sound


def measure(seeds: range, overrides: list[str]) -> dict[str, np.ndarray]:
    """Per case, an array of ``(sound, loss_makers)`` per seed."""
    split: dict[str, list[tuple[int, int]]] = {case: [] for case in CASES}
    for case, result in runs(overrides, seeds):
        split[case].append(kinds(result))
        print(".", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return {case: np.array(rows, dtype=float) for case, rows in split.items()}


def main() -> None:
    """Print the split per case and the paired term effect."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0-31", help="First and last seed, as 0-31.")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="Scenario override applied in every case.",
    )
    args = parser.parse_args()
    try:
        seeds = parse_seeds(args.seeds)
    except ValueError as error:
        parser.error(str(error))
    first, last = seeds.start, seeds.stop - 1
    split = measure(seeds, args.set)
    print(f"seeds {first}-{last}, overrides {args.set or 'none'}: mean defaults a run")
    print("| case | all = sound + loss-makers |")
    print("|---|---|")
    for case, rows in split.items():
        sound, loss = rows.mean(axis=0)
        print(f"| {case} | {sound + loss:.2f} = {sound:.2f} + {loss:.2f} |")
    longer = split["scf_none 240d"].sum(axis=1) - split["scf_none 170d"].sum(axis=1)
    error = longer.std(ddof=1) / np.sqrt(longer.size) if longer.size > 1 else float("nan")
    print(f"scf_none 240 less 170 days: {longer.mean():+.2f} ± {error:.2f} (paired by seed)")


if __name__ == "__main__":
    main()
