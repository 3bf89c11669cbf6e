"""Print mean supplier defaults and financing rates per robustness variant (seeds 0-7).

A variant holds when every direction's mean difference over the seeds is positive (how the test
decides a variant on seeds 0-31); the exit status is 1 when a variant does not.

With ``--paired`` it also prints each documented direction as a difference paired by seed
(the cases of one seed share their consumers and supply-side draws), with its standard error
over the seeds: a row whose means tie, or hold by less than their noise, shows it.

Usage::

    .venv/bin/python benchmarks/robustness.py
    .venv/bin/python benchmarks/robustness.py --relationships 2   # lines shared by two banks
    .venv/bin/python benchmarks/robustness.py --set suppliers.equity_days=70
    .venv/bin/python benchmarks/robustness.py --seeds 0-31 --paired --only defaults,"covenant off"
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "world")]

from robustness import (  # noqa: E402
    CASES,
    PLATFORM,
    PLATFORM_RATE,
    PLEDGE,
    SEEDS,
    TERMS_240,
    VARIANTS,
    Link,
    means,
    parse_seeds,
    per_seed,
    verdicts,
)

PAIRS: dict[str, Link] = {
    "240 less 170 days": TERMS_240,
    "170 days less pledge": PLEDGE,
    "170 days less platform": PLATFORM,
    "rate gap, bp": PLATFORM_RATE,
}
"""The paired differences of the documented directions (`LINKS`), each positive when it holds."""


def paired(values: dict[str, dict[str, np.ndarray]], link: Link) -> str:
    """``mean ± standard error`` of one paired difference over the seeds."""
    gap = link.gap(values)
    gap = gap[~np.isnan(gap)] * (1e4 if link.measure == "rate" else 1.0)
    if gap.size == 0:
        return "n/a"
    error = gap.std(ddof=1) / np.sqrt(gap.size) if gap.size > 1 else float("nan")
    return f"{gap.mean():+.2f} ± {error:.2f}"


def main() -> None:
    """Print one row per variant: mean defaults per case, platform vs bank rate, directions."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--relationships",
        type=int,
        default=None,
        help="Banks sharing each firm's credit line (banks.relationships), in every variant.",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="Scenario override applied in every variant and case (after the variant's own).",
    )
    parser.add_argument(
        "--seeds",
        default=f"{SEEDS.start}-{SEEDS.stop - 1}",
        help="First and last seed, as 0-31 (default: the test's, 0-7).",
    )
    parser.add_argument(
        "--only",
        default=None,
        help="Comma-separated variants to run (default: all), as 'defaults,covenant off'.",
    )
    parser.add_argument(
        "--paired",
        action="store_true",
        help="Also print each direction as a paired difference ± its standard error.",
    )
    args = parser.parse_args()
    try:
        seeds = parse_seeds(args.seeds)
    except ValueError as error:
        parser.error(str(error))
    names = list(VARIANTS) if args.only is None else [n.strip() for n in args.only.split(",")]
    unknown = [name for name in names if name not in VARIANTS]
    if unknown:
        parser.error(
            f"--only {', '.join(unknown)}: no such variant; expected some of: "
            + ", ".join(VARIANTS)
        )
    extra = [] if args.relationships is None else [f"banks.relationships={args.relationships}"]
    extra += args.set
    print(f"seeds {seeds.start}-{seeds.stop - 1}; mean supplier defaults a run")
    print("| variant | " + " | ".join(CASES) + " | rate scf_none | rate platform | all hold |")
    print("|---" * (len(CASES) + 4) + "|")
    gaps = []
    failed = 0
    for name in names:
        values = per_seed([*VARIANTS[name], *extra], seeds)
        m = means(values)
        cells = " | ".join(f"{m[c]['defaults']:.2f}" for c in CASES)
        rates = f"{m['scf_none 170d']['rate']:.4f} | {m['platform 170d']['rate']:.4f}"
        try:
            held = all(verdicts(values, decisive=False).values())
        except ValueError:  # a seed without supplier finance: no pairs to compare
            held = False
        failed += not held
        print(f"| {name} | {cells} | {rates} | {'yes' if held else 'NO'} |", flush=True)
        if args.paired:
            gaps.append((name, [paired(values, pair) for pair in PAIRS.values()]))
    if args.paired:
        print("\nPaired by seed, mean ± standard error (each holds when positive)")
        print("| variant | " + " | ".join(PAIRS) + " |")
        print("|---" * (len(PAIRS) + 1) + "|")
        for name, cells in gaps:
            print(f"| {name} | " + " | ".join(cells) + " |")
    if failed:
        print(f"\n{failed} of {len(names)} variants do not hold every direction", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
