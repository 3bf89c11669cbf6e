"""Print how far a scenario's stocks move from day 0, quarter by quarter, over its replications.

Issue 8 asks that the baseline with no shock keep supplier debt and automaker cash within
±15% of their opening levels after the warm-up. This prints, for each stock, the quarterly
means relative to day 0 of the mean path over the replications (what `autofin run` reports)
and the range of the same figure over the single runs, with the supplier defaults per run.

Usage::

    .venv/bin/python benchmarks/steady_state.py                              # the baseline
    .venv/bin/python benchmarks/steady_state.py --set warmup_days=730
    .venv/bin/python benchmarks/steady_state.py --set seed=0 --replications 8
    .venv/bin/python benchmarks/steady_state.py scenarios/scf_none.yaml --column supplier_cash
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from autofin.results.replications import replication_seeds
from autofin.scenario.loading import load_scenario
from autofin.world.model import simulate

ROOT = Path(__file__).resolve().parents[1]
QUARTER_DAYS = 91


def quarterly_drift(values: np.ndarray, quarter_steps: int) -> np.ndarray:
    """Means of whole quarters relative to the first value, less one (0.1 is 10% above day 0)."""
    whole = values[: values.size // quarter_steps * quarter_steps]
    return whole.reshape(-1, quarter_steps).mean(axis=1) / values[0] - 1.0


def main() -> None:
    """Run the scenario's replications and print the drift table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=str(ROOT / "scenarios" / "baseline.yaml"))
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="Scenario override."
    )
    parser.add_argument(
        "--replications", type=int, default=None, help="Runs (default: the scenario's own)."
    )
    parser.add_argument(
        "--column",
        action="append",
        default=None,
        help="Time-series column (default: supplier_debt and automaker_cash).",
    )
    args = parser.parse_args()
    columns = args.column or ["supplier_debt", "automaker_cash"]
    scenario = load_scenario(Path(args.scenario), overrides=args.set)
    count = args.replications or scenario.replications
    quarter_steps = max(1, round(QUARTER_DAYS / scenario.step_days))
    runs, defaults = [], []
    for seed in replication_seeds(scenario.seed, count):
        series = simulate(scenario.model_copy(update={"seed": seed, "replications": 1})).timeseries
        runs.append(series[columns])
        defaults.append(float(series["supplier_defaults"].sum()))
        print(f"  seed {seed}: {defaults[-1]:.0f} supplier defaults", flush=True)
    mean = pd.concat(runs).groupby(level=0).mean()
    seeds = replication_seeds(scenario.seed, count)
    print(
        f"{scenario.name}: seeds {seeds[0]}-{seeds[-1]}, warm-up {scenario.warmup_days} days, "
        f"{scenario.steps} steps after it; quarterly means relative to day 0"
    )
    for column in columns:
        drift = quarterly_drift(mean[column].to_numpy(), quarter_steps)
        singles = np.concatenate(
            [quarterly_drift(run[column].to_numpy(), quarter_steps) for run in runs]
        )
        print(
            f"{column}: mean path {drift.min():+.1%}..{drift.max():+.1%} "
            f"(single runs {singles.min():+.1%}..{singles.max():+.1%})"
        )
        print("  by quarter: " + " ".join(f"{x:+.1%}" for x in drift))
    print(f"supplier defaults per run: {np.mean(defaults):.2f}")


if __name__ == "__main__":
    main()
