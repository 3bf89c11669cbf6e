"""Print how long refusing bad input takes: every number of every shipped scenario mutated.

Usage: `.venv/bin/python benchmarks/bad_inputs.py`. For each class of mutation (NaN, +inf,
huge, negative, text) it prints the number of cases, the median and the slowest time to
get the error, and the peak traced memory of the slowest case; then the same for hostile
YAML files (alias bomb, deep nesting, a long flat list).
"""

from __future__ import annotations

import copy
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

import yaml

from autofin.scenario.errors import ScenarioError
from autofin.scenario.loading import dump_scenario, load_scenario, load_scenario_dict

ROOT = Path(__file__).resolve().parent.parent
MUTATIONS = {
    "nan": lambda value: float("nan"),
    "+inf": lambda value: float("inf"),
    "huge": lambda value: 10**30 if isinstance(value, int) else 1e300,
    "negative": lambda value: -1 if isinstance(value, int) else -1e6,
    "text": lambda value: str(value),
}


def numbers(data, path=()):
    if isinstance(data, dict):
        for key, value in data.items():
            yield from numbers(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from numbers(value, (*path, index))
    elif isinstance(data, int | float) and not isinstance(data, bool):
        yield path, data


def refusal_seconds(load) -> float:
    started = time.perf_counter()
    try:
        load()
    except ScenarioError:
        return time.perf_counter() - started
    raise AssertionError("accepted")


def peak_bytes(load) -> int:
    tracemalloc.start()
    try:
        refusal_seconds(load)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def report(name: str, cases: list) -> None:
    times = [refusal_seconds(load) for load in cases]
    slowest = cases[max(range(len(times)), key=times.__getitem__)]
    print(
        f"{name:>10}: {len(cases):5d} cases, median {statistics.median(times) * 1e3:7.1f} ms, "
        f"max {max(times) * 1e3:7.1f} ms, peak {peak_bytes(slowest) / 1e6:6.1f} MB (slowest)"
    )


def main() -> None:
    bases = [
        yaml.safe_load(dump_scenario(load_scenario(path)))
        for path in sorted((ROOT / "scenarios").glob("*.yaml"))
    ]
    for name, mutate in MUTATIONS.items():
        cases = []
        for base in bases:
            for path, value in numbers(base):
                data = copy.deepcopy(base)
                node = data
                for key in path[:-1]:
                    node = node[key]
                node[path[-1]] = mutate(value)
                cases.append(lambda data=data: load_scenario_dict(data))
        report(name, cases)
    with tempfile.TemporaryDirectory() as folder:
        files = {
            "bomb": "name: b\na0: &a0 [1, 2, 3, 4, 5, 6, 7, 8, 9]\n"
            + "\n".join(f"a{k}: &a{k} [{', '.join([f'*a{k - 1}'] * 9)}]" for k in range(1, 10)),
            "deep": "name: d\nseed: " + "[" * 5000 + "]" * 5000,
            "flat": "name: f\nseed: [" + "1, " * 40_000 + "1]",
        }
        for name, text in files.items():
            path = Path(folder) / f"{name}.yaml"
            path.write_text(text + "\n")
            report(name, [lambda path=path: load_scenario(path)])


if __name__ == "__main__":
    main()
