"""The supply network: generated with multi-sourcing and hubs, or loaded from a file."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from autofin.scenario.schema import NetworkSpec
from autofin.world.network import (
    OUTSIDE,
    NetworkFileError,
    _Urn,
    generate_network,
    load_network,
)


def test_generated_network_is_layered_and_multi_sourced():
    spec = NetworkSpec(automakers=2, tiers=[10, 25, 40], suppliers_per_customer=3)
    net = generate_network(spec, np.random.default_rng(0))
    assert list(np.bincount(net.tier)) == [2, 10, 25, 40]
    inside = net.edge_supplier != OUTSIDE
    assert np.all(net.tier[net.edge_supplier[inside]] == net.tier[net.edge_customer[inside]] + 1)
    customers_per_supplier = np.bincount(net.edge_supplier[inside], minlength=net.n_firms)
    assert np.all(customers_per_supplier[net.tier > 0] >= 1)  # nobody is idle
    suppliers_per_customer = np.bincount(net.edge_customer[inside], minlength=net.n_firms)
    assert np.all(suppliers_per_customer[net.tier < 3] >= 3)
    shares = np.bincount(net.edge_customer, net.edge_share, minlength=net.n_firms)
    np.testing.assert_allclose(shares, 1.0)
    top = np.flatnonzero(net.tier == 3)
    assert set(net.edge_customer[~inside]) == set(top)  # the top tier buys raw material


def test_preferential_attachment_makes_hubs():
    def largest_hub(strength):
        spec = NetworkSpec(
            tiers=[30, 60], suppliers_per_customer=3, preferential_attachment=strength
        )
        sizes = []
        for seed in range(10):
            net = generate_network(spec, np.random.default_rng(seed))
            inside = net.edge_supplier != OUTSIDE
            sizes.append(np.bincount(net.edge_supplier[inside]).max())
        return np.mean(sizes)

    assert largest_hub(3.0) > largest_hub(0.0)


def test_weighted_draws_pick_what_numpy_choice_picks():
    """The generator's urn draws the item ``rng.choice(p=w / w.sum())`` would for the same
    uniform number, never one left out, as its weights change one at a time."""
    rng = np.random.default_rng(7)
    for n in (1, 3, 17, 400, 5_000):
        weight = rng.gamma(0.5, size=n) * 10.0 ** rng.integers(-3, 4, size=n)
        urn = _Urn(weight)
        for _ in range(200):
            left_out = set(rng.integers(0, n, size=min(2, n - 1)).tolist())
            u = rng.random()
            kept = weight.copy()
            kept[list(left_out)] = 0.0
            cdf = (kept / kept.sum()).cumsum()
            expected = int(np.searchsorted(cdf / cdf[-1], u, side="right"))
            assert urn.draw(u, left_out) == expected
            item = int(rng.integers(0, n))
            weight[item] = rng.gamma(0.5) * 10.0 ** rng.integers(-3, 4)
            urn.set(item, weight[item])


def test_edge_list_csv_is_loaded_with_tiers_inferred(tmp_path):
    path = tmp_path / "net.csv"
    path.write_text("supplier,customer,share\nA,OEM,2\nB,OEM,1\nC,A,1\nC,B,1\n")
    net = load_network(path)
    tier = dict(zip(net.labels, net.tier, strict=True))
    assert tier == {"OEM": 0, "A": 1, "B": 1, "C": 2}
    oem = net.labels.index("OEM")
    shares = net.edge_share[net.edge_customer == oem]
    np.testing.assert_allclose(sorted(shares), [1 / 3, 2 / 3])


def test_graphml_is_loaded(tmp_path):
    graph = nx.DiGraph()
    graph.add_edge("s1", "oem", share=1.0)
    graph.add_edge("s2", "s1", share=1.0)
    path = tmp_path / "net.graphml"
    nx.write_graphml(graph, path)
    net = load_network(path)
    assert net.n_tiers == 2
    assert net.n_automakers == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("supplier,customer\nA,OEM\nB,OEM\nB,A\n", "line 4: edge B->A links tier 1 to tier 1"),
        (
            "supplier,customer\nA,OEM\nB,C\nC,B\n",
            "line 4: firm 'C' supplies in a loop that reaches no automaker",
        ),
        ("from,to\nA,B\n", "columns are 'from,to'; expected exactly supplier,customer"),
        ("supplier,customer\nA,B\nB,A\n", "no automaker"),
        (
            "supplier,customer,share\nA,OEM,-1\n",
            "line 2: share '-1'; expected a finite number above 0",
        ),
    ],
)
def test_bad_network_files_say_what_is_wrong(tmp_path, content, message):
    path = tmp_path / "net.csv"
    path.write_text(content)
    with pytest.raises(NetworkFileError, match=message):
        load_network(path)


def test_missing_network_file_is_named(tmp_path):
    with pytest.raises(NetworkFileError, match="does not exist"):
        load_network(tmp_path / "nope.csv")
