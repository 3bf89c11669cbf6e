"""Benchmark how simulation time grows with the size of the world.

The baseline scenario is run at several sizes over the same horizon, through
``autofin.load_scenario(path, overrides={"network.tiers": [...], "consumers.population": N})``:

* the **proportional series** multiplies every supplier tier and the consumer population by
  the same factor (default ×1, ×2, ×3, ×6, ×12: from 340 suppliers and 50,000 consumers to
  4,080 suppliers and 600,000 consumers);
* the **issue point** is 2,000 suppliers (split over the tiers in the baseline's proportions)
  and 100,000 consumers;
* with ``--components``, two more series scale only the suppliers or only the consumers, to
  show which part of the world the time follows.

Every run is timed exactly as in ``benchmarks/scenarios.py`` (it reuses its machinery): the
call ``autofin.simulate(scenario)`` only, in a fresh subprocess pinned to one CPU with numeric
libraries on one thread, after an untimed one-step warm-up, best of ``--repeat`` runs. Building
the model (network generation, opening balance sheets) is also timed on its own, untimed by the
main clock, because it is a separate cost that grows differently from stepping.

For each point the table gives the size factor, wall time, time per step, and ``time ×`` (the
wall time relative to the smallest point) divided by ``size ×``: about 1 means linear growth,
below 1 sub-linear (fixed costs dominate), above 1 worse than linear. For the issue point, whose
suppliers and consumers grow by different factors, ``size ×`` is the larger of the two. The
log-log slope of time against size (1 = linear) is printed for each series.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from scenarios import (
    ROOT,
    add_pinning_arguments,
    describe_method,
    fmt_number,
    format_table,
    machine_info,
    measure,
)

BASELINE = ROOT / "scenarios" / "baseline.yaml"


def split_tiers(base: list[int], total: int) -> list[int]:
    """``total`` suppliers over the tiers in the proportions of ``base`` (largest remainder)."""
    exact = [total * count / sum(base) for count in base]
    tiers = [math.floor(x) for x in exact]
    by_remainder = sorted(range(len(base)), key=lambda i: exact[i] - tiers[i], reverse=True)
    for i in by_remainder[: total - sum(tiers)]:
        tiers[i] += 1
    return tiers


def plan_points(
    base_tiers: list[int],
    base_population: int,
    factors: list[float],
    issue: tuple[int, int] | None,
    components: bool,
) -> list[dict[str, Any]]:
    """The sizes to run: series name, size factor and the overrides of each point."""

    def scaled(factor: float) -> list[int]:
        return [max(1, round(count * factor)) for count in base_tiers]

    points = [
        {
            "series": "both",
            "size_x": k,
            "overrides": {
                "network.tiers": scaled(k),
                "consumers.population": round(base_population * k),
            },
        }
        for k in factors
    ]
    if issue is not None:
        suppliers, consumers = issue
        points.append(
            {
                "series": "issue",
                "size_x": max(suppliers / sum(base_tiers), consumers / base_population),
                "overrides": {
                    "network.tiers": split_tiers(base_tiers, suppliers),
                    "consumers.population": consumers,
                },
            }
        )
    if components:
        for k in factors:
            if k == min(factors):
                continue  # the same world as the smallest proportional point
            points.append(
                {
                    "series": "suppliers",
                    "size_x": k,
                    "overrides": {
                        "network.tiers": scaled(k),
                        "consumers.population": round(base_population * min(factors)),
                    },
                }
            )
        for k in factors:
            if k == min(factors):
                continue
            points.append(
                {
                    "series": "consumers",
                    "size_x": k,
                    "overrides": {
                        "network.tiers": scaled(min(factors)),
                        "consumers.population": round(base_population * k),
                    },
                }
            )
    return points


def loglog_slope(sizes: list[float], times: list[float]) -> float | None:
    """Least-squares slope of log(time) on log(size); 1 means linear growth."""
    if len(sizes) < 2:
        return None
    x = [math.log(s) for s in sizes]
    y = [math.log(t) for t in times]
    mean_x, mean_y = sum(x) / len(x), sum(y) / len(y)
    spread = sum((a - mean_x) ** 2 for a in x)
    if spread == 0:
        return None
    return sum((a - mean_x) * (b - mean_y) for a, b in zip(x, y, strict=True)) / spread


def slopes(results: list[dict[str, Any]], key: str) -> dict[str, dict[str, float | None]]:
    """Log-log slope of ``key`` against size per series: over all points and the last two."""
    smallest = results[0]
    out: dict[str, dict[str, float | None]] = {}
    for series in ("both", "suppliers", "consumers"):
        points = [r for r in results if r["series"] == series]
        if series != "both" and points:
            points = [smallest, *points]
        points = [p for p in points if p[key] is not None]
        if len(points) < 2:
            continue
        sizes = [p["size_x"] for p in points]
        values = [p[key] for p in points]
        out[series] = {
            "all_points": loglog_slope(sizes, values),
            "largest_two": loglog_slope(sizes[-2:], values[-2:]),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(
        description="Time autofin.simulate on the baseline scenario scaled up (suppliers and "
        "consumers) and show whether the time grows roughly linearly.",
    )
    parser.add_argument(
        "--scenario",
        type=Path,
        default=BASELINE,
        help="scenario to scale (default: scenarios/baseline.yaml)",
    )
    parser.add_argument(
        "--factors",
        type=float,
        nargs="+",
        default=[1, 2, 3, 6, 12],
        help="size factors of the proportional series (default: 1 2 3 6 12)",
    )
    parser.add_argument(
        "--suppliers",
        type=int,
        default=2000,
        help="suppliers of the issue point (default: 2000; 0 to skip the point)",
    )
    parser.add_argument(
        "--consumers",
        type=int,
        default=100_000,
        help="consumers of the issue point (default: 100000)",
    )
    parser.add_argument(
        "--components",
        action="store_true",
        help="also scale the suppliers alone and the consumers alone",
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="timed runs per point; the best is reported"
    )
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="also measure the tracemalloc peak of each point (one extra untimed run)",
    )
    add_pinning_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if any(k <= 0 for k in args.factors):
        parser.error("--factors must be positive")
    factors = sorted(set(args.factors))

    import autofin

    base = autofin.load_scenario(args.scenario)
    base_tiers = list(base.network.tiers)
    issue = (args.suppliers, args.consumers) if args.suppliers > 0 else None
    points = plan_points(base_tiers, base.consumers.population, factors, issue, args.components)
    cpu = args.cpu if args.pin else None

    results = []
    for point in points:
        try:
            figures = measure(
                args.scenario,
                point["overrides"],
                repeat=args.repeat,
                cpu=cpu,
                heap=args.tracemalloc,
                build=True,
            )
        except RuntimeError as error:
            print(f"{point['series']} ×{point['size_x']:g}: failed\n{error}", file=sys.stderr)
            return 1
        results.append({"series": point["series"], "size_x": point["size_x"], **figures})

    reference = results[0]
    for r in results:
        r["time_x"] = r["wall_s"] / reference["wall_s"]
        r["time_x_per_size_x"] = r["time_x"] / (r["size_x"] / reference["size_x"])
    fits = {"simulate": slopes(results, "wall_s"), "build": slopes(results, "build_s")}
    info = machine_info(args.repeat, True, cpu)

    if args.json:
        print(json.dumps({"method": info, "results": results, "loglog_slopes": fits}, indent=2))
        return 0

    headers = [
        "series",
        "size ×",
        "suppliers",
        "consumers",
        "steps",
        "time s",
        "ms/step",
        "build s",
        "time ×",
        "time×/size×",
        "peak RSS MB",
    ]
    if args.tracemalloc:
        headers.append("heap MB")
    rows = []
    for r in results:
        row = [
            r["series"],
            f"{r['size_x']:.2f}",
            f"{r['suppliers']:,}",
            f"{r['consumers']:,}",
            str(r["steps"]),
            fmt_number(r["wall_s"], 3),
            fmt_number(r["ms_per_step"], 2),
            fmt_number(r["build_s"], 3),
            fmt_number(r["time_x"], 2),
            fmt_number(r["time_x_per_size_x"], 2),
            fmt_number(r["peak_rss_mb"], 1),
        ]
        if args.tracemalloc:
            row.append(fmt_number(r["heap_peak_mb"], 1))
        rows.append(row)
    print(describe_method(info))
    print(
        f"scenario: {Path(args.scenario).name} scaled, same horizon at every size; "
        "build s = constructing the model alone, timed separately"
    )
    print()
    print(format_table(headers, rows))
    print()
    print("log-log slope of time against size (1 = linear; 'last two' = between the two largest):")
    for what, per_series in fits.items():
        for series, fit in per_series.items():
            print(
                f"  {what:<8} {series:<9}  all points {fmt_number(fit['all_points'], 2)}"
                f"   last two {fmt_number(fit['largest_two'], 2)}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
