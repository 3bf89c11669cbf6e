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

from autofin.results.replications import combine, replication_seeds
from autofin.scenario.errors import ScenarioError
from autofin.scenario.loading import load_scenario
from autofin.world.metrics import quarterly_drift
from autofin.world.model import simulate

ROOT = Path(__file__).resolve().parents[1]
QUARTER_DAYS = 91
"""Days averaged into one row of the table: a quarter of a year, 13 weekly steps."""


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
    if args.replications is not None and args.replications < 1:
        parser.error(f"--replications must be at least 1, not {args.replications}")
    try:
        scenario = load_scenario(Path(args.scenario), overrides=args.set)
    except ScenarioError as error:
        parser.error(str(error))
    columns = args.column or ["supplier_debt", "automaker_cash"]
    seeds = replication_seeds(scenario.seed, args.replications or scenario.replications)
    quarter_steps = max(1, round(QUARTER_DAYS / scenario.step_days))
    # The columns a run of this scenario records, from one step of it, before the long runs.
    one_step = {"horizon_days": scenario.step_days, "warmup_days": 0, "replications": 1}
    recorded = simulate(scenario.model_copy(update=one_step)).timeseries.columns
    unknown = sorted(set(columns) - set(recorded))
    if unknown:
        parser.error(f"--column: no time series named {', '.join(unknown)}")
    runs = []
    for seed in seeds:
        runs.append(simulate(scenario.model_copy(update={"seed": seed, "replications": 1})))
        defaults = runs[-1].summary["supplier_defaults"]
        print(f"  seed {seed}: {defaults:.0f} supplier defaults", flush=True)
    # What `autofin run` reports for the scenario's replications: the step-by-step mean.
    reported = combine(scenario, runs, 0.0)
    print(
        f"{scenario.name}: seeds {seeds[0]}-{seeds[-1]}, warm-up {scenario.warmup_days} days, "
        f"{scenario.steps} steps after it; quarterly means relative to day 0"
    )
    try:
        for column in columns:
            drift = quarterly_drift(reported.timeseries[column].to_numpy(), quarter_steps)
            singles = np.concatenate(
                [quarterly_drift(run.timeseries[column].to_numpy(), quarter_steps) for run in runs]
            )
            print(
                f"{column}: mean path {drift.min():+.1%}..{drift.max():+.1%} "
                f"(single runs {singles.min():+.1%}..{singles.max():+.1%})"
            )
            print("  by quarter: " + " ".join(f"{x:+.1%}" for x in drift))
    except ValueError as error:
        parser.error(f"{column}: {error}")
    print(f"supplier defaults per run: {reported.summary['supplier_defaults']:.2f}")


if __name__ == "__main__":
    main()
