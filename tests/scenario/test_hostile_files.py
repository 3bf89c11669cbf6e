"""Malformed network files, YAML bombs and files outside the scenario's folder.

Each case must fail with a `ScenarioError` (exit code 2 on the command line) that names the
file, the line or edge and the value, within bounded time and memory; nothing may crash
inside the model later.
"""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autofin.scenario.errors import ScenarioError
from autofin.scenario.loading import load_scenario
from autofin.world.network import load_network

FILE_SCENARIO = "name: filed\nhorizon_days: 70\nnetwork: {source: file, path: net.csv}\n"
TWO_TIERS = "suppliers: {payment_term_days: [60, 30]}\n"
GOOD_EDGES = "supplier,customer,share\nA,OEM,1\nB,OEM,2\nC,A,1\nC,B,1\n"
MAX_SECONDS = 10.0
MAX_BYTES = 200_000_000


@pytest.fixture(autouse=True, scope="module")
def _loader_warmed_up(tmp_path_factory):
    """Load one good scenario first, so that no case pays for first imports under tracemalloc."""
    path = tmp_path_factory.mktemp("warm") / "good.yaml"
    path.write_text("name: good\nhorizon_days: 70\n")
    load_scenario(path)


def refused(path: Path, overrides: list[str] | None = None, **options: bool) -> str:
    """Load a bad scenario: the error message, checked for time, memory and traceback.

    Timed without tracing (tracemalloc slows loading several times), then loaded again
    under tracemalloc for the peak memory.
    """
    started = time.perf_counter()
    text = _refusal(path, overrides, **options)
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    try:
        _refusal(path, overrides, **options)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < MAX_SECONDS
    assert peak < MAX_BYTES
    assert "Traceback" not in text
    assert len(text) < 3_000
    return text


def _refusal(path: Path, overrides: list[str] | None, **options: bool) -> str:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, overrides, **options)
    return str(caught.value)


def with_network(tmp_path: Path, edges: str, extra: str = TWO_TIERS, name: str = "net.csv") -> Path:
    (tmp_path / name).write_text(edges)
    path = tmp_path / "world.yaml"
    path.write_text(FILE_SCENARIO.replace("net.csv", name) + extra)
    return path


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        ("supplier,customer,share\nA,OEM,1,9\n", "line 2: 4 fields"),
        ("supplier,customer,share\nA,OEM\n", "line 2: 2 fields"),
        ("supplier,customer,share\nA,OEM,nan\n", "line 2: share 'nan'; expected a finite number"),
        ("supplier,customer,share\nA,OEM,inf\n", "line 2: share 'inf'; expected a finite number"),
        ("supplier,customer,share\nA,OEM,\n", "line 2: share '' is not a number"),
        ("supplier,customer,share\nA,OEM,lots\n", "line 2: share 'lots' is not a number"),
        (
            "supplier,customer,share\nA,OEM,0\n",
            "line 2: share '0'; expected a finite number above 0",
        ),
        ("supplier,customer,share\nA,OEM,-2\n", "line 2: share '-2'"),
        ("supplier,customer\n,OEM\n", "line 2: supplier is empty"),
        ("supplier,customer\nA,  \n", "line 2: customer is empty"),
        ("supplier,customer\nA,OEM\nA,OEM\n", "line 3: edge 'A' -> 'OEM' is given twice"),
        ("supplier,customer\nA,A\n", "line 2: 'A' supplies itself"),
        ("from,to\nA,OEM\n", "line 1: columns are 'from,to'"),
        ("supplier,customer,share,weight\nA,OEM,1,1\n", "line 1: columns are"),
        ("supplier,customer\n", "the network has no edges"),
        ('supplier,customer\n"A,OEM\n', "line"),
        ("supplier,customer\nA,OEM\nB,OEM\nB,A\n", "line 4: edge B->A links tier 1 to tier 1"),
        (
            "supplier,customer\nA,OEM\nB,C\nC,B\n",
            "line 4: firm 'C' supplies in a loop that reaches no automaker",
        ),
    ],
)
def test_a_malformed_csv_network_is_refused_with_file_line_and_value(tmp_path, edges, expected):
    text = refused(with_network(tmp_path, edges))
    assert "net.csv" in text
    assert expected in text


@pytest.mark.parametrize("name", ["NA", "null", "n/a", "NaN", "None", "-"])
def test_names_that_look_missing_are_names(tmp_path, name):
    path = tmp_path / "net.csv"
    path.write_text(f"supplier,customer\n{name},OEM\nother,OEM\n")
    network = load_network(path)
    assert sorted(network.labels) == sorted(["OEM", name, "other"])


def graphml(tmp_path: Path, body: str, edgedefault: str = "directed") -> Path:
    path = tmp_path / "net.graphml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">\n'
        '<key id="d0" for="edge" attr.name="share" attr.type="double"/>\n'
        f'<graph edgedefault="{edgedefault}">\n{body}\n</graph>\n</graphml>\n'
    )
    return path


@pytest.mark.parametrize(
    ("body", "edgedefault", "expected"),
    [
        ('<node id="A"/><node id="O"/><edge source="A" target="O"/>', "undirected", "undirected"),
        ('<node id="A"/><edge source="A" target="O"/>', "directed", "'O' is not a declared"),
        (
            '<node id="A"/><node id="O"/><edge source="A" target="O" directed="false"/>',
            "directed",
            "edge 1 is undirected",
        ),
        (
            '<node id="A"/><node id="O"/><edge source="A" target="O"><data key="d0">nan</data>'
            "</edge>",
            "directed",
            "edge 1: share 'nan'",
        ),
        ('<node id="A"/><node id="O"/><edge source="A" target="O"', "directed", "not a readable"),
        (
            '<node id="A"/><node id="B"/><node id="O"/><edge source="A" target="O"/>'
            '<edge source="B" target="O"/><edge source="B" target="A"/>',
            "directed",
            "edge 3: edge B->A links tier 1 to tier 1",
        ),
    ],
)
def test_a_malformed_graphml_network_is_refused(tmp_path, body, edgedefault, expected):
    graphml(tmp_path, body, edgedefault)
    path = tmp_path / "world.yaml"
    path.write_text(
        FILE_SCENARIO.replace("net.csv", "net.graphml") + "suppliers: {payment_term_days: [30]}\n"
    )
    text = refused(path)
    assert "net.graphml" in text
    assert expected in text


def test_a_graphml_file_written_by_networkx_loads(tmp_path):
    graph = nx.DiGraph()
    graph.add_edge("s1", "oem", share=1.0)
    graph.add_edge("s2", "s1", share=2.0)
    nx.write_graphml(graph, tmp_path / "net.graphml")
    path = tmp_path / "world.yaml"
    path.write_text(FILE_SCENARIO.replace("net.csv", "net.graphml") + TWO_TIERS)
    assert load_scenario(path).network.source == "file"


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("suppliers: {payment_term_days: [60, 30, 20]}\n", "3 values, but the network in"),
        ("suppliers: {payment_term_days: [60]}\n", "1 values, but the network in"),
        ("suppliers: {payment_term_days: []}\n", "suppliers.payment_term_days: got []"),
        (TWO_TIERS + "automakers: {payment_term_days: [60, 60]}\n", "automakers.payment_term_days"),
        (TWO_TIERS + "shocks: [{type: force_default, day: 7, tier: 1, rank: 3}]\n", "rank: 3"),
        (TWO_TIERS + "shocks: [{type: force_default, day: 7, tier: 0, rank: 2}]\n", "rank: 2"),
    ],
)
def test_settings_inconsistent_with_the_network_file_are_refused(tmp_path, extra, expected):
    text = refused(with_network(tmp_path, GOOD_EDGES, extra))
    assert expected in text


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            "consumers: {automaker_offers: [{automaker: 1}]}\n",
            "consumers.automaker_offers.0.automaker: there is no automaker 1; the network in",
        ),
        (
            "consumers: {channels: {bank_app: {automaker: 2}}}\n",
            "consumers.channels.bank_app.automaker: there is no automaker 2; the network in",
        ),
    ],
)
def test_consumer_settings_naming_an_automaker_not_in_the_file_are_refused(
    tmp_path, extra, expected
):
    # GOOD_EDGES has one automaker; these reached the model and failed there (exit 1).
    text = refused(with_network(tmp_path, GOOD_EDGES, TWO_TIERS + extra))
    assert expected in text
    assert "net.csv" in text


def test_generated_network_settings_beside_a_file_are_refused(tmp_path):
    path = with_network(tmp_path, GOOD_EDGES)
    text = refused(path, ["network.tiers=[5, 5]"])
    assert "tiers only shape generated networks" in text


def test_a_network_path_without_source_file_is_refused_also_from_set(tmp_path):
    (tmp_path / "net.csv").write_text(GOOD_EDGES)
    path = tmp_path / "world.yaml"
    path.write_text("name: w\nnetwork: {path: net.csv}\n")
    assert "source is 'generated'" in refused(path)
    path.write_text("name: w\n")
    assert "source is 'generated'" in refused(path, ["network.path=net.csv"])


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    share=st.one_of(
        st.sampled_from(["nan", "NaN", "inf", "-inf", "", " ", "0", "-0", "1e999", "x", "1,5"]),
        st.floats(max_value=0).map(repr),
        st.text(alphabet="abc!@#$ ", min_size=1, max_size=8),
    )
)
def test_generated_bad_shares_are_refused_with_their_line(tmp_path, share):
    quoted = '"' + share.replace('"', '""') + '"'
    text = refused(with_network(tmp_path, f"supplier,customer,share\nA,OEM,1\nB,OEM,{quoted}\n"))
    assert "line 3" in text


def test_a_billion_laughs_is_refused_quickly(tmp_path):
    lines = ["name: bomb", 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        refs = ",".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{refs}]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    assert "aliases" in refused(path)


def test_a_bomb_inside_a_setting_is_refused_before_it_is_quoted(tmp_path):
    levels = ["&x0 [1, 2, 3, 4, 5, 6, 7, 8]"]
    levels += [f"&x{k} [{', '.join([f'*x{k - 1}'] * 8)}]" for k in range(1, 7)]
    path = tmp_path / "bomb.yaml"
    path.write_text(f"name: b\nseed: [{', '.join(levels)}]\n")
    assert "aliases" in refused(path)


def test_deep_nesting_is_refused_without_recursion_error(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("name: d\nseed: " + "[" * 1000 + "]" * 1000 + "\n")
    assert "nested more than" in refused(path)


def test_a_long_extends_chain_is_refused(tmp_path):
    for index in range(500):
        (tmp_path / f"s{index}.yaml").write_text(f"extends: s{index + 1}.yaml\nname: s{index}\n")
    (tmp_path / "s500.yaml").write_text("name: end\n")
    assert "chain of more than" in refused(tmp_path / "s0.yaml")


def test_merge_keys_work_and_duplicate_keys_do_not(tmp_path):
    path = tmp_path / "merge.yaml"
    path.write_text("name: m\nbanks:\n  <<: {count: 3, margin: 0.01}\n  margin: 0.02\n")
    scenario = load_scenario(path)
    assert (scenario.banks.count, scenario.banks.margin) == (3, 0.02)
    path.write_text("name: m\nbanks: {count: 3, count: 4}\n")
    assert "duplicate key 'count'" in refused(path)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1:30", "got '1:30'"), ("0x1F", None), ("yes", "got 'yes'"), ("0o17", None)],
)
def test_yaml_1_2_scalars(tmp_path, value, expected):
    path = tmp_path / "s.yaml"
    path.write_text(f"name: s\nseed: {value}\n")
    if expected is None:
        assert load_scenario(path).seed == int(value, 0)
    else:
        assert expected in refused(path)


def test_extends_and_network_path_stay_in_the_scenario_folder(tmp_path):
    inner = tmp_path / "inner"
    inner.mkdir()
    (tmp_path / "net.csv").write_text("supplier,customer\nA,OEM\n")
    (tmp_path / "base.yaml").write_text("name: base\n")
    path = inner / "s.yaml"
    path.write_text("name: s\nextends: /etc/shadow\n")
    text = refused(path)
    assert "outside the scenario's folder" in text
    assert "root:" not in text  # nothing of the file is read or echoed
    path.write_text("name: s\nextends: ../base.yaml\n")
    assert "outside the scenario's folder" in refused(path)
    assert load_scenario(path, allow_outside_paths=True).name == "s"
    path.write_text(
        "name: s\nnetwork: {source: file, path: ../net.csv}\nsuppliers: {payment_term_days: [9]}\n"
    )
    assert "network.path" in refused(path)
    assert load_scenario(path, allow_outside_paths=True).network.source == "file"


def test_a_symlink_out_of_the_folder_is_refused(tmp_path):
    inner = tmp_path / "inner"
    inner.mkdir()
    (tmp_path / "base.yaml").write_text("name: base\n")
    (inner / "link.yaml").symlink_to(tmp_path / "base.yaml")
    path = inner / "s.yaml"
    path.write_text("name: s\nextends: link.yaml\n")
    assert "outside the scenario's folder" in refused(path)


def test_a_long_flat_list_is_refused_quickly(tmp_path):
    path = tmp_path / "long.yaml"
    path.write_text("name: l\nseed: [" + "1," * 150_000 + "1]\n")
    assert "scenario files are limited" in refused(path)
    path.write_text("name: l\nseed: [" + "1," * 30_000 + "1]\n")
    assert "more than 20,000 values" in refused(path)


def test_a_device_or_a_huge_file_is_not_read(tmp_path):
    assert "not a regular file" in refused(Path("/dev/zero"))
    path = tmp_path / "huge.yaml"
    path.write_text("name: h\ndescription: '" + "x" * 300_000 + "'\n")
    assert "scenario files are limited to 250,000" in refused(path)


@pytest.mark.parametrize("text", ["1e3", "0o17", "0x1F", "1:30", "yes", ".5", "+1"])
def test_text_that_looks_like_a_number_survives_the_resolved_dump(tmp_path, text):
    from autofin.scenario.loading import dump_scenario

    path = tmp_path / "s.yaml"
    path.write_text(f"name: s\ndescription: '{text}'\ncurrency: '{text}'\n")
    scenario = load_scenario(path)
    (tmp_path / "again.yaml").write_text(dump_scenario(scenario))
    again = load_scenario(tmp_path / "again.yaml")
    assert (again.description, again.currency) == (text, text)
