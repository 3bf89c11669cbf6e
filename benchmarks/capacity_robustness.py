"""Check that capacity investment follows a finance-driven surge under ±25% of its settings.

The surge of `tests/world/test_supply_chain.py`: three-minute approval plus a bank app four
times the tested partnership, 50,000 consumers, three years, the supply chain sized for the
traditional market (785 cars a year) and no warm-up. The documented directions
(docs/calibration.md): with suppliers investing, the chain sells more than the fixed chain,
loses far fewer sales, keeps the capacity it built (no bust after the bullwhip's swing), and
does not default more. This script changes one `suppliers.capacity_investment` setting at a
time by -25% and +25%, or swaps the financing, and prints the means over seeds, in how many
seeds every direction holds, and which it misses where it does not.

Usage::

    .venv/bin/python benchmarks/capacity_robustness.py            # every variant, seeds 0-2
    .venv/bin/python benchmarks/capacity_robustness.py --seeds 5
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from autofin.scenario.loading import load_scenario
from autofin.scenario.schema import CapacityInvestmentSpec
from autofin.world.model import simulate

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
APP = {
    "monthly_traffic": 300_000,
    "click_to_lead": 0.01,
    "prequalified": True,
    "user_share": 0.3,
}
SURGE = {
    "consumers.population": 50_000,
    "market.vehicles_per_year": 785,
    "horizon_days": 1092,
    "replications": 1,
    "warmup_days": 0,
    "consumers.channels.bank_app": APP,
}
DEFAULTS = CapacityInvestmentSpec(enabled=True).model_dump(mode="json")
SCALED = (
    "lead_days",
    "demand_days",
    "cost_years",
    "loan_term_days",
    "min_debt_service_coverage",
    "utilisation_trigger",
)
INTEGER = {"lead_days", "demand_days", "loan_term_days"}


def variants() -> dict[str, dict[str, Any]]:
    """Each variant's `capacity_investment` section."""
    out: dict[str, dict[str, Any]] = {"defaults (term loan)": DEFAULTS}
    for key in SCALED:
        for label, factor in (("-25%", 0.75), ("+25%", 1.25)):
            value = DEFAULTS[key] * factor
            out[f"{key} {label}"] = {**DEFAULTS, key: round(value) if key in INTEGER else value}
    out["syndicated loan"] = {**DEFAULTS, "financing": "syndicated_loan"}
    out["cash"] = {**DEFAULTS, "financing": "cash"}
    return out


def run(seed: int, investment: dict[str, Any] | None) -> dict[str, float]:
    """The surge on one seed, with capacity fixed (None) or investing as given."""
    overrides = {**SURGE, "seed": seed}
    if investment is not None:
        overrides["suppliers.capacity_investment"] = investment
    result = simulate(load_scenario(SCENARIOS / "three_minute_approval.yaml", overrides=overrides))
    capacity = result.timeseries["supplier_capacity"].to_numpy()
    return {
        "sold": result.summary["sales_units"],
        "lost": result.summary["lost_sales_units"],
        "defaults": result.summary["supplier_defaults"],
        "growth": capacity[-1] / capacity[0],
        "kept": capacity[-52:].min() / capacity.max(),
    }


def failures(fixed: dict[str, float], investing: dict[str, float]) -> list[str]:
    """The documented directions investing misses on one seed (none: it beats the fixed chain)."""
    checks = {
        "sells 5% more": investing["sold"] > 1.05 * fixed["sold"],
        "loses under half": investing["lost"] < 0.5 * fixed["lost"],
        "keeps capacity": investing["kept"] > 0.95,
        "no more defaults": investing["defaults"] <= fixed["defaults"],
    }
    return [name for name, held in checks.items() if not held]


def main() -> None:
    """Print one row per variant: means over seeds and whether every seed holds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 (default 3)")
    seeds = range(parser.parse_args().seeds)
    fixed = {seed: run(seed, None) for seed in seeds}
    mean = {key: np.mean([f[key] for f in fixed.values()]) for key in fixed[seeds[0]]}
    print(
        f"fixed capacity: sold {mean['sold']:.0f}, lost {mean['lost']:.0f}, "
        f"defaults {mean['defaults']:.2f} (means over seeds 0-{len(seeds) - 1})\n"
    )
    print("| variant | sold | lost | defaults | capacity end/start | last year min/max | holds |")
    print("|---" * 7 + "|")
    for name, investment in variants().items():
        rows = {seed: run(seed, investment) for seed in seeds}
        m = {key: np.mean([r[key] for r in rows.values()]) for key in rows[seeds[0]]}
        missed = {seed: failures(fixed[seed], rows[seed]) for seed in seeds}
        held = sum(not missed[seed] for seed in seeds)
        why = "; ".join(f"seed {seed}: {', '.join(m)}" for seed, m in missed.items() if m)
        print(
            f"| {name} | {m['sold']:.0f} | {m['lost']:.0f} | {m['defaults']:.2f} "
            f"| {m['growth']:.2f} | {m['kept']:.2f} | {held}/{len(seeds)} {why} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
