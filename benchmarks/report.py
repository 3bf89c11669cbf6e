"""Benchmark the HTML report: build time and file size for the baseline and a 10,000-supplier run.

Each world is simulated once (untimed); then `autofin.report.page.build_report` is timed
`--repeat` times (median and best printed) and the page's size in MB is given. The figures
one by one are timed too, as the browser view redraws them every step. Goals (issue 10):
baseline under 2 s and 8 MB; 10,000 suppliers under 10 s.

Usage: .venv/bin/python benchmarks/report.py [--repeat 3] [--suppliers 10000]
    [--horizon-days 1092] [--skip-large]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from autofin.report.figures import FIGURES
from autofin.report.page import build_report
from autofin.results.result import Result
from autofin.scenario.loading import load_scenario
from autofin.world.model import simulate

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
BASE_TIERS = (40, 100, 200)


def split(total: int) -> list[int]:
    """`total` suppliers over the baseline's tiers in its proportions."""
    tiers = [total * count // sum(BASE_TIERS) for count in BASE_TIERS]
    tiers[-1] += total - sum(tiers)
    return tiers


def timed(function, repeat: int) -> list[float]:
    """Wall times of `repeat` calls."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return times


def measure(name: str, result: Result, repeat: int) -> None:
    """Print the report's build time and size, and each figure's time."""
    firms = len(result.firms)
    print(
        f"{name}: {len(result.timeseries)} steps, {len(result.events)} defaults, "
        f"{len(result.flows):,} flow rows"
    )
    page = build_report(result)  # warm-up: imports, cached layouts
    times = timed(lambda: build_report(result), repeat)
    size_mb = len(page.encode("utf-8")) / 1e6
    print(
        f"{name:<22} {firms:>7,} firms  report: median {statistics.median(times):6.2f} s, "
        f"best {min(times):6.2f} s, {size_mb:5.2f} MB"
    )
    for key, draw in FIGURES.items():
        figure_times = timed(lambda draw=draw: draw(result), repeat)
        print(f"    {key:<10} median {1000 * statistics.median(figure_times):8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed builds per world")
    parser.add_argument("--suppliers", type=int, default=10_000, help="suppliers of the large run")
    parser.add_argument(
        "--horizon-days",
        type=int,
        default=None,
        help="horizon of the large run (default: baseline's)",
    )
    parser.add_argument("--skip-large", action="store_true", help="only the baseline")
    args = parser.parse_args()

    print("simulating the baseline (untimed) ...", flush=True)
    measure("baseline", simulate(load_scenario(BASELINE)), args.repeat)
    if args.skip_large:
        return
    overrides = {"network.tiers": split(args.suppliers), "name": f"suppliers_{args.suppliers}"}
    if args.horizon_days is not None:
        overrides["horizon_days"] = args.horizon_days
    print(f"simulating {args.suppliers:,} suppliers (untimed) ...", flush=True)
    started = time.perf_counter()
    large = simulate(load_scenario(BASELINE, overrides))
    print(f"    (simulation took {time.perf_counter() - started:.0f} s)")
    measure(f"{args.suppliers:,} suppliers", large, args.repeat)


if __name__ == "__main__":
    main()
