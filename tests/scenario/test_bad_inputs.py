"""Generated bad inputs: every field of every shipped scenario, mutated class by class.

Each shipped scenario is loaded and dumped with every setting explicit; Hypothesis picks a
scenario, a field and a mutation of one class (wrong type, NaN, ±infinity, huge, negative,
missing, unknown key at some depth) and checks that loading fails with a `ScenarioError`
that names the field, within a bound of time and memory far above a normal load (a hang
or a blow-up fails, a slow machine does not). The loader is called in-process for speed;
`test_the_cli_gives_exit_2_and_no_traceback` runs a few cases through the real command.
"""

from __future__ import annotations

import copy
import math
import subprocess
import sys
import time
import tracemalloc
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autofin.scenario import paths
from autofin.scenario.errors import ScenarioError
from autofin.scenario.loading import dump_scenario, load_scenario, load_scenario_dict
from conftest import SCENARIOS

CASES_PER_CLASS = 50
"""Seven generated tests of 50 cases each: 350 generated cases per run (plus the CLI cases)."""
MAX_SECONDS = 10.0
"""A load takes milliseconds; ten seconds only catches a hang or an explosion."""
MAX_BYTES = 200_000_000
"""Peak traced memory of one bad load; a normal one needs a few megabytes."""
SHIPPED = sorted(SCENARIOS.glob("*.yaml"))
AUTOFIN = str(Path(sys.executable).with_name("autofin"))
HUGE_INT = 10**30
HUGE_FLOAT = 1e300
UNKNOWN = "zz_not_a_setting"
SETTINGS = settings(
    max_examples=CASES_PER_CLASS,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,  # tmp_path is only a base for relative paths
    ],
)

Path_ = tuple[str | int, ...]


@cache
def resolved(index: int) -> dict[str, Any]:
    """A shipped scenario with every setting explicit (extends resolved)."""
    return yaml.safe_load(dump_scenario(load_scenario(SHIPPED[index])))


def leaves(data: Any, path: Path_ = ()) -> list[tuple[Path_, Any]]:
    """Every (path, value) of the nested data whose value is not a mapping or list."""
    if isinstance(data, dict):
        return [item for key, value in data.items() for item in leaves(value, (*path, key))]
    if isinstance(data, list):
        return [item for i, value in enumerate(data) for item in leaves(value, (*path, i))]
    return [(path, data)]


def mappings(data: Any, path: Path_ = ()) -> list[Path_]:
    """The path of every mapping in the data (the top level included)."""
    found: list[Path_] = []
    if isinstance(data, dict):
        found.append(path)
        for key, value in data.items():
            found += mappings(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found += mappings(value, (*path, i))
    return found


def is_required(path: Path_) -> bool:
    """Whether the schema requires the setting at `path` (it has no default)."""
    parent = paths.locate(path[:-1])
    key = path[-1]
    return any(
        paths.is_model(model)
        and key in model.model_fields
        and model.model_fields[key].is_required()
        for model in parent.candidates
    )


def set_at(data: dict[str, Any], path: Path_, value: Any) -> None:
    node: Any = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def delete_at(data: dict[str, Any], path: Path_) -> None:
    node: Any = data
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]


def get_at(data: dict[str, Any], path: Path_) -> Any:
    node: Any = data
    for key in path:
        node = node[key]
    return node


def load_bounded(data: dict[str, Any], base_dir: Path) -> str:
    """Load bad data; return the error message, checking time, memory and the error type.

    Timed without tracing (tracemalloc slows loading several times), then loaded again
    under tracemalloc for the peak memory.
    """
    started = time.perf_counter()
    text = _refusal(data, base_dir)
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    try:
        _refusal(data, base_dir)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < MAX_SECONDS, f"loading took {elapsed:.1f} s"
    assert peak < MAX_BYTES, f"loading used {peak / 1e6:.0f} MB"
    assert "Traceback" not in text
    assert len(text) < 5_000, "the message quotes too much of the input"
    return text


def _refusal(data: dict[str, Any], base_dir: Path) -> str:
    try:
        load_scenario_dict(data, base_dir=base_dir, source="mutated.yaml")
    except ScenarioError as error:
        return str(error)
    pytest.fail("the bad input was accepted")


def names_field(text: str, path: Path_) -> bool:
    return paths.dotted(path) in text


scenario_index = st.integers(0, len(SHIPPED) - 1)


def numbers_of(index: int) -> list[tuple[Path_, Any]]:
    return [
        (path, value)
        for path, value in leaves(resolved(index))
        if isinstance(value, int | float) and not isinstance(value, bool)
    ]


@st.composite
def numeric_field(draw: st.DrawFn) -> tuple[int, Path_, Any]:
    index = draw(scenario_index)
    path, value = draw(st.sampled_from(numbers_of(index)))
    return index, path, value


@st.composite
def any_field(draw: st.DrawFn) -> tuple[int, Path_, Any]:
    index = draw(scenario_index)
    path, value = draw(st.sampled_from(leaves(resolved(index))))
    return index, path, value


def wrong_type_for(value: Any) -> list[Any]:
    """Values of a type the field does not take: text or booleans for numbers, and so on."""
    if isinstance(value, bool):
        return ["yes", 1, "true", [True]]
    if isinstance(value, int | float):
        # A list of text, not of numbers: some number fields also take a list (one per automaker).
        return [str(value), True, False, [str(value)], {"value": value}, "1:30"]
    if isinstance(value, str):
        return [12345, True, 1.5, {"text": value}]
    return [{"nested": 1}, "text", True]  # None: an optional section or path


@SETTINGS
@given(field=any_field(), choice=st.integers(0, 5))
def test_a_value_of_the_wrong_type_is_refused_naming_the_field(tmp_path, field, choice):
    index, path, value = field
    options = wrong_type_for(value)
    data = copy.deepcopy(resolved(index))
    set_at(data, path, options[choice % len(options)])
    assert names_field(load_bounded(data, tmp_path), path)


@SETTINGS
@given(field=numeric_field(), bad=st.sampled_from([math.nan, math.inf, -math.inf]))
def test_nan_and_infinities_are_refused_in_every_number(tmp_path, field, bad):
    index, path, _ = field
    data = copy.deepcopy(resolved(index))
    set_at(data, path, bad)
    text = load_bounded(data, tmp_path)
    assert names_field(text, path)


@SETTINGS
@given(field=numeric_field(), sign=st.sampled_from([1, -1]))
def test_huge_and_hugely_negative_numbers_are_refused(tmp_path, field, sign):
    index, path, value = field
    data = copy.deepcopy(resolved(index))
    set_at(data, path, sign * (HUGE_FLOAT if isinstance(value, float) else HUGE_INT))
    assert names_field(load_bounded(data, tmp_path), path)


@SETTINGS
@given(field=numeric_field())
def test_negative_numbers_are_refused_where_a_count_or_duration_is_expected(tmp_path, field):
    index, path, value = field
    data = copy.deepcopy(resolved(index))
    set_at(data, path, -1 if isinstance(value, int) else -1e6)
    assert names_field(load_bounded(data, tmp_path), path)


@SETTINGS
@given(index=scenario_index, pick=st.integers(0, 10_000))
def test_a_missing_required_setting_is_named(tmp_path, index, pick):
    required = [path for path, _ in leaves(resolved(index)) if is_required(path)]
    path = required[pick % len(required)]
    data = copy.deepcopy(resolved(index))
    delete_at(data, path)
    text = load_bounded(data, tmp_path)
    assert f"{paths.dotted(path)}: required, but missing" in text


@SETTINGS
@given(index=scenario_index, pick=st.integers(0, 10_000))
def test_an_unknown_key_at_any_depth_is_named_with_its_section(tmp_path, index, pick):
    places = mappings(resolved(index))
    path = places[pick % len(places)]
    data = copy.deepcopy(resolved(index))
    get_at(data, path)[UNKNOWN] = 1
    text = load_bounded(data, tmp_path)
    assert f"{paths.dotted(path) or 'top level'}: unknown key '{UNKNOWN}'" in text


@SETTINGS
@given(index=scenario_index, pick=st.integers(0, 10_000), copies=st.sampled_from([2_000, 5_000]))
def test_huge_lists_and_texts_are_refused(tmp_path, index, pick, copies):
    data = copy.deepcopy(resolved(index))
    lists = [
        (path, value) for path, value in _containers(data) if isinstance(value, list) and value
    ]
    texts = [(path, value) for path, value in leaves(data) if isinstance(value, str)]
    path, value = (lists + texts)[pick % len(lists + texts)]
    set_at(data, path, value * copies if isinstance(value, list) else "x" * 20_000)
    assert names_field(load_bounded(data, tmp_path), path)


def _containers(data: Any, path: Path_ = ()) -> list[tuple[Path_, Any]]:
    found: list[tuple[Path_, Any]] = []
    items = (
        data.items()
        if isinstance(data, dict)
        else enumerate(data)
        if isinstance(data, list)
        else []
    )
    for key, value in items:
        if isinstance(value, dict | list):
            found.append(((*path, key), value))
            found += _containers(value, (*path, key))
    return found


def test_every_number_in_the_schema_has_both_bounds():
    """Huge and negative values are refused everywhere only if every number is bounded."""
    from autofin.scenario.schema import Scenario

    schema = Scenario.model_json_schema()
    unbounded: list[str] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("integer", "number"):
                if not {"maximum", "exclusiveMaximum"} & node.keys():
                    unbounded.append(f"{where} (no maximum)")
                if not {"minimum", "exclusiveMinimum"} & node.keys():
                    unbounded.append(f"{where} (no minimum)")
            for key, value in node.items():
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}[{i}]")

    walk(schema, "schema")
    assert unbounded == []


CLI_CASES = [
    ("horizon_days: 1000000000000\n", "horizon_days", "at most 36,500"),
    ("banks: {capital: .nan}\n", "banks.capital", "finite number"),
    ("seed: true\n", "seed", "valid integer"),
    ("network: {tiers: [1000000000000, 2]}\n", "network.tiers.0", "at most 100,000"),
    ("consumers: {loans: {default_intercept: .nan}}\n", "consumers.loans.default_intercept", ""),
]


@pytest.mark.parametrize(("text", "field", "expected"), CLI_CASES)
def test_the_cli_gives_exit_2_and_no_traceback(tmp_path, text, field, expected):
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\n" + text)
    done = subprocess.run(
        [AUTOFIN, "run", str(path), "-o", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert field in done.stderr
    assert expected in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert not (tmp_path / "out").exists()
