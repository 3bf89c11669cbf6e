"""Check the consumer side's documented directions under ±25% and one-feature-off variants.

The shipped consumer stories (docs/consumers.md) say: three-minute approval sells more cars
than the traditional desk; the bank-app traffic partnership sells more than the traditional
market; and part of the app's attributed sales are taken from other channels (its incremental
sales are positive and below its attributed sales). This script changes one consumer setting at
a time, by -25% and +25% of its value in each scenario, or switches one feature off, and prints
the mean over seeds of each story's figure and whether every direction still holds.

Runs are a year of 100,000 consumers (as in the test of the shipped directions), seeds 0-2.

Usage::

    .venv/bin/python benchmarks/consumer_robustness.py            # every variant
    .venv/bin/python benchmarks/consumer_robustness.py --seeds 5  # more seeds
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from autofin.scenario.loading import load_scenario
from autofin.world.model import simulate

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
STORIES = ("consumer_traditional", "three_minute_approval", "finance_traffic")
BASE = {"horizon_days": 364, "consumers.population": 100_000}

Change = Callable[[dict[str, Any]], dict[str, Any]]
"""Overrides for one variant, given the scenario's consumer settings as a plain dict."""


def scaled(path: str, factor: float, *, integer: bool = False) -> Change:
    """A variant that multiplies the consumer setting at ``path`` by ``factor``."""

    def change(consumers: dict[str, Any]) -> dict[str, Any]:
        value: Any = consumers
        for key in path.split("."):
            value = value[key]
        new = value * factor
        return {f"consumers.{path}": round(new) if integer else new}

    return change


def check_noise(factor: float) -> Change:
    """A variant that multiplies the noise of every check of the approval stack."""

    def change(consumers: dict[str, Any]) -> dict[str, Any]:
        checks = [
            {**check, "noise": check["noise"] * factor} for check in consumers["approval"]["checks"]
        ]
        return {"consumers.approval.checks": checks}

    return change


def fixed(path: str, value: Any) -> Change:
    """A variant that sets the consumer setting at ``path`` to ``value``."""
    return lambda consumers: {f"consumers.{path}": value}


def plus_minus(name: str, make: Callable[[float], Change]) -> dict[str, Change]:
    """The -25% and +25% variants of one setting."""
    return {f"{name} -25%": make(0.75), f"{name} +25%": make(1.25)}


VARIANTS: dict[str, Change] = {
    "defaults": lambda consumers: {},
    **plus_minus("check noise", check_noise),
    **plus_minus("shared_error", lambda f: scaled("approval.shared_error", f)),
    **plus_minus("review_noise_share", lambda f: scaled("approval.review_noise_share", f)),
    **plus_minus("review_minutes", lambda f: scaled("approval.review_minutes", f)),
    **plus_minus("booking fast_minutes", lambda f: scaled("approval.booking.fast_minutes", f)),
    **plus_minus("booking slow_days", lambda f: scaled("approval.booking.slow_days", f)),
    **plus_minus(
        "reach_ahead_days",
        lambda f: scaled("channels.bank_app.reach_ahead_days", f, integer=True),
    ),
    **plus_minus("new_household_rate", lambda f: scaled("new_household_rate", f)),
    **plus_minus("down_payment_share", lambda f: scaled("loans.down_payment_share", f)),
    **plus_minus("car-loan margin", lambda f: scaled("loans.margin", f)),
    # Car loans' funding cost the same at every bank, whatever its capital.
    "no funding premium": lambda consumers: {"banks.funding_premium": 0.0},
    "inconclusive approved unreviewed": fixed("approval.inconclusive", "approve"),
    "app not prequalified": fixed("channels.bank_app.prequalified", False),
}
"""Each variant: the consumer overrides it makes, computed from each scenario's own settings."""


def story_means(change: Change, seeds: range) -> dict[str, dict[str, float]]:
    """Mean summary figures of each consumer story over ``seeds`` under one variant."""
    out: dict[str, dict[str, float]] = {}
    for story in STORIES:
        path = SCENARIOS / f"{story}.yaml"
        consumers = load_scenario(path, overrides=BASE).consumers.model_dump(mode="json")
        overrides = {**BASE, **change(consumers)}
        rows = []
        for seed in seeds:
            summary = simulate(load_scenario(path, overrides={**overrides, "seed": seed})).summary
            rows.append(
                [
                    summary["sales_units"],
                    summary["bank_app_sales"],
                    summary["bank_app_incremental_sales"],
                ]
            )
        sales, attributed, incremental = np.mean(rows, axis=0)
        out[story] = {"sales": sales, "attributed": attributed, "incremental": incremental}
    return out


def directions(m: dict[str, dict[str, float]]) -> dict[str, bool]:
    """Whether each documented consumer direction holds in the measured means."""
    traffic = m["finance_traffic"]
    return {
        "fast approval sells more": m["three_minute_approval"]["sales"]
        > m["consumer_traditional"]["sales"],
        "bank app sells more": traffic["sales"] > m["consumer_traditional"]["sales"],
        "app partly taken from others": 0 < traffic["incremental"] < traffic["attributed"],
    }


def main() -> None:
    """Print one row per variant: each story's mean sales, the app's split, directions."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 (default 3)")
    seeds = range(parser.parse_args().seeds)
    print(
        "| variant | traditional sales | three-minute sales | traffic sales "
        "| app attributed | app incremental | all hold |"
    )
    print("|---" * 7 + "|")
    for name, change in VARIANTS.items():
        m = story_means(change, seeds)
        held = all(directions(m).values())
        print(
            f"| {name} | {m['consumer_traditional']['sales']:.0f} "
            f"| {m['three_minute_approval']['sales']:.0f} | {m['finance_traffic']['sales']:.0f} "
            f"| {m['finance_traffic']['attributed']:.0f} "
            f"| {m['finance_traffic']['incremental']:.0f} | {'yes' if held else 'NO'} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
