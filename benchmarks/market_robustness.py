"""Check issue 9's bullwhip and market-share directions under ±25% of their settings.

Two directions, each over seeds 0-2:

* **Bullwhip** (the world of `tests/world/test_supply_chain.py`'s bullwhip test: three tiers of
  8, 20 and 40 suppliers with three parts each, a 50% demand surge for 91 days, two years, no
  warm-up): order variance relative to consumer demand rises with the tier, and more with a
  28-day order lead time than with none. Each forecast and inventory setting is moved by ±25%,
  and the lead time itself (21 and 35 days).
* **Market share** (`scenarios/automaker_competition.yaml`, a year, 100,000 consumers):
  automaker 0, whose partner bank decides in minutes, wins more than half the market. Each
  weight of the buyers' logit choice is moved by ±25%, and the decision time's weight is set
  to 0 (buyers ignore how long a decision takes: only the partner's cheaper credit is left).

Usage::

    .venv/bin/python benchmarks/market_robustness.py             # both tables
    .venv/bin/python benchmarks/market_robustness.py --only share
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from autofin.scenario.loading import load_scenario
from autofin.scenario.schema import Scenario
from autofin.world.model import simulate

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SEEDS = (0, 1, 2)
BULLWHIP_WORLD: dict[str, Any] = {
    "name": "bullwhip",
    "horizon_days": 728,
    "warmup_days": 0,
    "automakers": {"payment_term_days": 60},
    "consumers": {"population": 50_000},
    "banks": {"count": 3, "concentration_limit": 1.0},
    "network": {"tiers": [8, 20, 40], "parts_per_tier": 3},
    "suppliers": {
        "payment_term_days": [60, 45, 30],
        "size_dispersion": 0.0,
        "cost_shock_sd": 0.0,
        "margin_dispersion": 0.0,
        "initial_cash_days": 90,
        "resourcing_delay_days": 182,
        "resourcing_cost_days": 30,
    },
    "shocks": [{"type": "demand", "day": 182, "duration_days": 91, "factor": 1.5}],
}


def bullwhip(lead_days: int, changes: dict[str, dict[str, Any]]) -> np.ndarray:
    """Mean order variance of tiers 1-3 relative to consumer demand over the seeds."""
    rows = []
    for seed in SEEDS:
        settings = {**BULLWHIP_WORLD, "seed": seed}
        for section, values in changes.items():
            settings[section] = {**settings.get(section, {}), **values}
        settings["suppliers"] = {**settings["suppliers"], "order_lead_days": lead_days}
        summary = simulate(Scenario.model_validate(settings)).summary
        rows.append([summary[f"bullwhip_tier{k}"] for k in (1, 2, 3)])
    return np.mean(rows, axis=0)


def bullwhip_table() -> None:
    """Print the bullwhip table."""
    variants: list[tuple[str, dict[str, dict[str, Any]], int]] = [("defaults", {}, 28)]
    for section, key, value in (
        ("suppliers", "forecast_smoothing", 0.3),
        ("automakers", "forecast_smoothing", 0.3),
        ("suppliers", "inventory_adjustment_days", 28),
        ("suppliers", "inventory_target_days", 21),
    ):
        for factor in (0.75, 1.25):
            scaled = value * factor
            if key.endswith("_days"):
                scaled = round(scaled)
            variants.append((f"{section}.{key} {scaled:g}", {section: {key: scaled}}, 28))
    variants += [("order lead 21 days", {}, 21), ("order lead 35 days", {}, 35)]
    print(
        "| variant | lead 0: tier 1 | tier 2 | tier 3 | with lead: tier 1 | tier 2 | tier 3 "
        "| rises with the tier | the lead adds |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, changes, lead in variants:
        prompt, slow = bullwhip(0, changes), bullwhip(lead, changes)
        rises = prompt[0] < prompt[1] < prompt[2] and slow[0] < slow[1] < slow[2]
        cells = " | ".join(f"{x:.2f}" for x in (*prompt, *slow))
        print(
            f"| {name} | {cells} | {'yes' if rises else 'NO'} | "
            f"{'yes' if np.all(slow > prompt) else 'NO'} |",
            flush=True,
        )


def share_table() -> None:
    """Print the market-share table."""
    path = SCENARIOS / "automaker_competition.yaml"
    choice = load_scenario(path).consumers.choice.model_dump()
    variants: list[tuple[str, dict[str, Any]]] = [("defaults", {})]
    for key in (
        "price_weight",
        "stock_weight",
        "apr_weight",
        "down_payment_weight",
        "decision_weight",
        "memory_days",
    ):
        for factor in (0.75, 1.25):
            value = choice[key] * factor
            variants.append((f"choice.{key} {value:g}", {f"consumers.choice.{key}": value}))
    variants.append(("decision time ignored (weight 0)", {"consumers.choice.decision_weight": 0.0}))
    print("| variant | automaker 0's share, seeds 0-2 | mean | above half in every seed |")
    print("|---|---|---|---|")
    for name, overrides in variants:
        shares = [
            simulate(
                load_scenario(
                    path,
                    overrides={
                        "seed": seed,
                        "horizon_days": 364,
                        "consumers.population": 100_000,
                        **overrides,
                    },
                )
            ).summary["market_share_maker0"]
            for seed in SEEDS
        ]
        print(
            f"| {name} | {', '.join(f'{s:.3f}' for s in shares)} | {np.mean(shares):.3f} | "
            f"{'yes' if min(shares) > 0.5 else 'no'} |",
            flush=True,
        )


def main() -> None:
    """Print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("bullwhip", "share"))
    args = parser.parse_args()
    if args.only != "share":
        bullwhip_table()
    if args.only != "bullwhip":
        share_table()


if __name__ == "__main__":
    main()
