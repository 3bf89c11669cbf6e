"""The consumer stories on a chain sized for the traditional market, across growth-finance settings.

Fast approval and the faster automaker win buyers the supply chain was not sized for
(`market:`), so their suppliers must finance growth. This script runs
`three_minute_approval`, `automaker_competition` and `consumer_traditional` for two years at
several borrowing-base advance rates (`banks.receivables_advance_rate`), with
finance-constrained production on and off, and prints mean sales, mean supplier defaults
(range) and the fast automaker's share (`market_share_maker0`) per row: the table of
docs/calibration.md ("Growth financing"). ``--vary`` adds rows with one setting moved by ±25%.

Usage::

    .venv/bin/python benchmarks/growth_finance.py   # advance rates 0.6/0.8/1.0/0, on and off
    .venv/bin/python benchmarks/growth_finance.py --rates --no-off \\
        --vary suppliers.equity_days=60 banks.line_limit_days=120
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from autofin.scenario.loading import load_scenario
from autofin.world.model import simulate

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
STORIES = ("three_minute_approval", "automaker_competition", "consumer_traditional")


def row(name: str, overrides: dict[str, Any], seeds: range, horizon_days: int) -> str:
    """One table row: mean sales, mean supplier defaults (range), share of automaker 0."""
    runs = []
    for seed in seeds:
        settings = {"seed": seed, "horizon_days": horizon_days, **overrides}
        summary = simulate(load_scenario(SCENARIOS / f"{name}.yaml", overrides=settings)).summary
        share = summary.get("market_share_maker0")
        runs.append((summary["sales_units"], summary["supplier_defaults"], share or np.nan))
    sales, defaults, share = np.array(runs, dtype=float).T
    shown = "—" if np.isnan(share).all() else f"{np.nanmean(share):.1%}"
    return (
        f"{sales.mean():,.0f} | {defaults.mean():.1f} ({defaults.min():.0f}–{defaults.max():.0f})"
        f" | {shown}"
    )


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", type=float, nargs="*", default=[0.6, 0.8, 1.0, 0.0])
    parser.add_argument("--seeds", type=int, default=4, help="seeds 0..N-1 (default 4)")
    parser.add_argument("--horizon-days", type=int, default=728)
    parser.add_argument("--no-off", action="store_true", help="skip the rule-off rows")
    parser.add_argument(
        "--vary",
        nargs="*",
        default=[],
        metavar="PATH=VALUE",
        help="settings to move by -25%% and +25%% from VALUE (its default), one at a time",
    )
    args = parser.parse_args()
    seeds = range(args.seeds)
    variants: list[tuple[str, dict[str, Any]]] = []
    for rate in args.rates:
        rate_setting = {"banks.receivables_advance_rate": rate}
        variants.append((f"advance rate {rate:g}", rate_setting))
        if not args.no_off:
            off = {**rate_setting, "suppliers.finance_constrained_production": False}
            variants.append((f"advance rate {rate:g}, rule off", off))
    for item in args.vary:
        path, value = item.split("=")
        for factor in (0.75, 1.25):
            moved = float(value) * factor
            moved = moved if "." in value else round(moved)  # whole days stay whole
            variants.append((f"{path} {factor - 1:+.0%} ({moved:g})", {path: moved}))
    print("| variant | scenario | sales | supplier defaults | share of automaker 0 |")
    print("|---|---|---|---|---|")
    for label, overrides in variants:
        for name in STORIES:
            print(
                f"| {label} | `{name}` | {row(name, overrides, seeds, args.horizon_days)} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
