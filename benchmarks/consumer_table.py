"""The consumer-side table of docs/calibration.md: each shipped consumer scenario over seeds.

Runs each scenario at its own settings (population, horizon) over seeds 0..N-1 and prints the
means as the Markdown table the calibration document shows, so the table can be re-measured
whenever the consumer rules change.

Usage::

    .venv/bin/python benchmarks/consumer_table.py             # seeds 0-4
    .venv/bin/python benchmarks/consumer_table.py --seeds 2
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from autofin.scenario.loading import load_scenario
from autofin.world.model import simulate

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
STORIES = (
    "consumer_traditional",
    "three_minute_approval",
    "finance_traffic",
    "new_ev_maker_launch",
    "automaker_competition",
)
FIGURES = (
    "sales_units",
    "conversion_rate",
    "conversion_rate_walk_in",
    "conversion_rate_bank_app",
    "test_drives",
    "consumer_loans_booked",
    "loan_approval_rate",
    "automated_decision_share",
    "median_decision_minutes",
    "booked_loan_default_share",
    "lost_sales_units",
    "market_share_maker0",
    "bank_app_sales",
    "bank_app_sales_from_channels",
    "bank_app_incremental_sales",
)


def means(story: str, seeds: range) -> dict[str, float]:
    """Each figure's mean over seeds (NaN where a run does not report it)."""
    rows = []
    for seed in seeds:
        scenario = load_scenario(SCENARIOS / f"{story}.yaml", overrides={"seed": seed})
        summary = simulate(scenario).summary
        rows.append([np.nan if summary.get(name) is None else summary[name] for name in FIGURES])
    return dict(zip(FIGURES, np.nanmean(np.array(rows), axis=0), strict=True))


def row(story: str, m: dict[str, float]) -> str:
    """One Markdown row of the table."""
    conversion = f"{m['conversion_rate']:.1%}"
    if m["bank_app_sales"] > 0:
        conversion += (
            f" (walk-in {m['conversion_rate_walk_in']:.1%}, "
            f"bank app {m['conversion_rate_bank_app']:.1%})"
        )
    sales = f"{m['sales_units']:,.0f}"
    if story == "automaker_competition":
        sales += f" (automaker 0: {m['market_share_maker0']:.1%})"
    minutes = m["median_decision_minutes"]
    decision = (
        f"{minutes:,.0f} min (~{minutes / 60:.0f} h)" if minutes >= 120 else f"{minutes:.1f} min"
    )
    return (
        f"| `{story}` | {sales} | {conversion} | {m['sales_units'] / m['test_drives']:.0%} "
        f"| {m['consumer_loans_booked'] / m['sales_units']:.0%} | {m['loan_approval_rate']:.0%} "
        f"| {m['automated_decision_share']:.0%} | {decision} "
        f"| {m['booked_loan_default_share']:.1%} | {m['lost_sales_units']:,.0f} |"
    )


def main() -> None:
    """Print the table, then the bank app's attributed and incremental sales."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 (default 5)")
    seeds = range(parser.parse_args().seeds)
    print(
        "| scenario | sales | conversion (sales / lead) | sales / test drive "
        "| financed share of sales | approval rate | automatic decisions | median decision "
        "| booked loans that will default | lost sales |"
    )
    print("| --- " * 10 + "|")
    app = {}
    for story in STORIES:
        m = means(story, seeds)
        print(row(story, m), flush=True)
        if m["bank_app_sales"] > 0:
            app[story] = m
    for story, m in app.items():
        print(
            f"\n{story}: bank app sales {m['bank_app_sales']:,.0f}, of which from other channels "
            f"{m['bank_app_sales_from_channels']:,.0f}; incremental "
            f"{m['bank_app_incremental_sales']:,.0f}"
        )


if __name__ == "__main__":
    main()
