"""Scenarios that load their network from a file, and names that would escape results/."""

from __future__ import annotations

import pytest

from autofin.scenario.errors import ScenarioError
from autofin.scenario.loading import load_scenario
from autofin.world.model import simulate


def write(tmp_path, scenario: str, network: str):
    (tmp_path / "net.csv").write_text(network)
    path = tmp_path / "world.yaml"
    path.write_text(scenario)
    return path


def test_a_scenario_runs_on_a_network_from_a_csv_file(tmp_path):
    path = write(
        tmp_path,
        "name: filed\nhorizon_days: 70\nwarmup_days: 0\nnetwork: {source: file, path: net.csv}\n"
        "suppliers: {payment_term_days: [60, 30]}\nconsumers: {population: 2000}\n",
        "supplier,customer\nA,OEM\nB,OEM\nC,A\nC,B\nD,B\n",
    )
    result = simulate(load_scenario(path), check=True)
    assert result.summary["suppliers"] == 4
    assert "supplier_default_rate_tier2" in result.timeseries.columns


def test_a_network_file_that_is_not_layered_is_a_scenario_error(tmp_path):
    path = write(
        tmp_path,
        "name: bad\nnetwork: {source: file, path: net.csv}\n",
        "supplier,customer\nA,OEM\nB,OEM\nB,A\n",
    )
    with pytest.raises(ScenarioError, match=r"network\.path: .*links tier 1 to tier 1"):
        load_scenario(path)


def test_a_shock_on_a_tier_the_network_file_lacks_is_an_error(tmp_path):
    path = write(
        tmp_path,
        "name: bad\nnetwork: {source: file, path: net.csv}\n"
        "shocks: [{type: force_default, day: 10, tier: 3}]\n",
        "supplier,customer\nA,OEM\n",
    )
    with pytest.raises(ScenarioError, match=r"shocks\.0\.tier: 3 is not a tier"):
        load_scenario(path)


@pytest.mark.parametrize("name", ["../evil", "a/b", ".hidden", ""])
def test_a_name_that_is_not_a_plain_directory_name_is_rejected(tmp_path, name):
    path = tmp_path / "world.yaml"
    path.write_text(f"name: '{name}'\n")
    with pytest.raises(ScenarioError, match="name"):
        load_scenario(path)
