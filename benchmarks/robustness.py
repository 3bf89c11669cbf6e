"""Print mean supplier defaults and financing rates per robustness variant (seeds 0-7).

Usage::

    .venv/bin/python benchmarks/robustness.py
    .venv/bin/python benchmarks/robustness.py --relationships 2   # lines shared by two banks
    .venv/bin/python benchmarks/robustness.py --set suppliers.equity_days=70
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "world")]

from robustness import CASES, VARIANTS, directions, measure  # noqa: E402


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
    args = parser.parse_args()
    extra = [] if args.relationships is None else [f"banks.relationships={args.relationships}"]
    extra += args.set
    print("| variant | " + " | ".join(CASES) + " | rate scf_none | rate platform | all hold |")
    print("|---" * (len(CASES) + 4) + "|")
    for name, overrides in VARIANTS.items():
        m = measure([*overrides, *extra])
        cells = " | ".join(f"{m[c]['defaults']:.2f}" for c in CASES)
        rates = f"{m['scf_none 170d']['rate']:.4f} | {m['platform 170d']['rate']:.4f}"
        held = all(directions(m).values())
        print(f"| {name} | {cells} | {rates} | {'yes' if held else 'NO'} |", flush=True)


if __name__ == "__main__":
    main()
