"""Print how the national world's suppliers fare under credit-line rules: defaults and sales.

The tables of docs/calibration.md ("No new money for firms that do not cover their interest",
"Beyond the baseline") were made with this script. It runs the national world of
`benchmarks/national.py` at ``--fraction`` of its size (default a tenth: 10,000 suppliers in
four tiers, 1,000,000 consumers, five years) in this process, once per seed and rule, and
prints per run the supplier defaults in five years and the year-5 car sales over year 1's.
A rule is a named list of scenario overrides (``--rule "name=K=V,K=V"``, repeatable); with
none, the shipped rules and the variants of the interest-cover test are run.

``--raises`` follows one run (the first seed and rule) step by step instead and prints what
sizing lines again at renewal lends: the raises, the share of the money raised to firms whose
interest cover was below 1 at the renewal, how they fare a quarter and a year later, and the
raises after four quarterly reviews in a row below 1 (run it with
``--rule "no test=banks.resize_min_interest_cover=0"`` to see what the test withholds).

Usage::

    .venv/bin/python benchmarks/national_lines.py --seeds 0-2
    .venv/bin/python benchmarks/national_lines.py --seeds 42-42 \\
        --rule "floor=suppliers.margin_floor=0.01"
    .venv/bin/python benchmarks/national_lines.py --seeds 42-42 --raises \\
        --rule "no test=banks.resize_min_interest_cover=0"
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
# tests/world first: its robustness module (seeds) shares its name with a benchmark script.
sys.path[:0] = [
    str(ROOT / "src"),
    str(ROOT / "tests"),
    str(ROOT / "tests" / "world"),
    str(ROOT / "benchmarks"),
]

from autofin.scenario.errors import ScenarioError  # noqa: E402
from autofin.scenario.loading import load_scenario, parse_override  # noqa: E402
from autofin.scenario.schema import Scenario  # noqa: E402
from autofin.world.model import AutofinModel, simulate  # noqa: E402
from national import BASELINE, national_overrides  # noqa: E402
from robustness import parse_seeds  # noqa: E402

RULES: dict[str, list[str]] = {
    "re-sizing, no cover test": ["banks.resize_min_interest_cover=0"],
    "cover test 1.0 over a year (shipped)": [],
    "cover test 0.75": ["banks.resize_min_interest_cover=0.75"],
    "cover test 1.25": ["banks.resize_min_interest_cover=1.25"],
    "cover test over 273 days": ["banks.resize_cover_days=273"],
    "cover test over 455 days": ["banks.resize_cover_days=455"],
    "cover test over 728 days": ["banks.resize_cover_days=728"],
    "cover test over 1,092 days": ["banks.resize_cover_days=1092"],
    "re-sizing off": ["banks.resize_lines_at_renewal=false"],
}
"""The rules run when none is given: each a list of overrides of the national world."""

YEAR = 52


def world(fraction: float, seed: int, overrides: list[str]) -> Scenario:
    """The national world at ``fraction`` of its size, with ``seed`` and ``overrides``."""
    changes = dict(parse_override(text) for text in overrides)
    return load_scenario(BASELINE, {**national_overrides(fraction), "seed": seed, **changes})


def fate(fraction: float, seed: int, overrides: list[str]) -> str:
    """Supplier defaults over the run and year-5 sales over year 1's, as a table cell."""
    series = simulate(world(fraction, seed, overrides)).timeseries
    sales = series.groupby(series["step"] // YEAR)["sales_units"].sum().to_numpy()
    return f"{int(series['supplier_defaults'].sum()):,} ({sales[4] / sales[0]:.2f})"


def raises(fraction: float, seed: int, overrides: list[str]) -> None:
    """Step one run and print what the renewals' raises went to (see the module docstring)."""
    model = AutofinModel(world(fraction, seed, overrides))
    firms, banks = model.firms, model.banks
    steps = model.spec.steps
    cover = np.zeros((steps, firms.n))
    active = np.zeros((steps, firms.n), dtype=bool)
    rows = []  # (step, firm, cover at the raise, amount, main bank's scored PD)
    for t in range(steps):
        before = banks.kept_headroom.copy()
        model.step()
        cover[t], active[t] = firms.interest_cover(), firms.active
        pd = model.finance.round.pd if model.finance.round is not None else np.zeros(firms.n)
        # A re-size adds to the kept headroom; so does a raise for new output (rare).
        up = np.flatnonzero((banks.kept_headroom > before + 1e-9) & (firms.tier > 0))
        rows += [(t, k, cover[t, k], banks.kept_headroom[k] - before[k], pd[k]) for k in up]
    if not rows:
        print("no raises")
        return
    table = np.array(rows)
    total = table[:, 3].sum()
    print(f"{len(table):,} raises to {np.unique(table[:, 1]).size:,} suppliers in {steps} steps")
    for name, chosen in (("cover < 1", table[:, 2] < 1), ("cover >= 1", table[:, 2] >= 1)):
        part = table[chosen]
        when, who = part[:, 0].astype(int), part[:, 1].astype(int)
        later = []
        for lag in (13, YEAR):
            seen = when + lag < steps
            alive = active[when[seen] + lag, who[seen]]
            covers = cover[when[seen] + lag, who[seen]][alive] >= 1
            later.append(
                f"after {lag} steps {covers.mean():.0%} cover 1, {(~alive).mean():.1%} failed"
            )
        print(
            f"{name}: {len(part):,} raises, {np.unique(who).size:,} firms, "
            f"{part[:, 3].sum() / total:.0%} of the money, mean scored PD {part[:, 4].mean():.1%}; "
            f"{'; '.join(later)}; "
            f"failed by the end {(~firms.active[np.unique(who)]).mean():.1%}"
        )
    low = table[(table[:, 2] < 1) & (table[:, 0] >= 39)]
    when, who = low[:, 0].astype(int), low[:, 1].astype(int)
    year = np.all([cover[when - lag, who] < 1 for lag in (0, 13, 26, 39)], axis=0)
    firms_low = np.unique(who[year])
    print(
        f"below 1 at four quarterly points in a row: {year.sum():,} raises to "
        f"{firms_low.size:,} firms, {low[year, 3].sum() / total:.0%} of the money; "
        f"failed by the end {(~firms.active[firms_low]).mean():.1%}"
    )


def main() -> None:
    """Print a table of rules by seed, or follow one run's raises."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0-2", help="First and last seed, as 0-2.")
    parser.add_argument("--fraction", type=float, default=0.1, help="Size of the world.")
    parser.add_argument(
        "--rule",
        action="append",
        default=[],
        metavar="NAME=K=V,K=V",
        help="A named rule: overrides separated by commas (values without commas).",
    )
    parser.add_argument("--raises", action="store_true", help="Follow one run's raises.")
    args = parser.parse_args()
    try:
        seeds = parse_seeds(args.seeds)
    except ValueError as error:
        parser.error(str(error))
    rules = RULES
    if args.rule:
        rules = {}
        for text in args.rule:
            name, sep, overrides = text.partition("=")
            if not sep or not name:
                parser.error(f"--rule {text!r}: expected NAME=KEY=VALUE[,KEY=VALUE...]")
            rules[name] = [o for o in overrides.split(",") if o]
    for name, overrides in rules.items():  # every rule checked before any run
        try:
            world(args.fraction, seeds.start, overrides)
        except ScenarioError as error:
            parser.error(f"--rule {name!r}: {error}")
    if args.raises:
        name, overrides = next(iter(rules.items()))
        print(f"{name}, seed {seeds.start}, fraction {args.fraction}")
        raises(args.fraction, seeds.start, overrides)
        return
    print(
        f"national world at {args.fraction} of its size: supplier defaults in five years "
        "(year-5 car sales over year 1's)"
    )
    print("| rule | " + " | ".join(f"seed {s}" for s in seeds) + " |")
    print("|---|" + "---|" * len(seeds))
    for name, overrides in rules.items():
        cells = [fate(args.fraction, seed, overrides) for seed in seeds]
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
