"""Loading scenario files: extends, overrides, paths, canonical dump and hash."""

from __future__ import annotations

from pathlib import Path

import pytest

from autofin.scenario.errors import ScenarioError
from autofin.scenario.loading import (
    deep_merge,
    dump_scenario,
    load_scenario,
    load_scenario_dict,
    parse_override,
    scenario_hash,
)
from autofin.scenario.schema import Scenario
from autofin.sweep.experiment import load_experiment
from conftest import TINY, write

REPO = Path(__file__).resolve().parents[2]


def test_a_minimal_file_gets_the_defaults(tmp_path):
    scenario = load_scenario(write(tmp_path, "s.yaml", "name: minimal\n"))
    assert scenario == Scenario(name="minimal")
    assert scenario.step_days == 7
    assert scenario.steps == 1095 // 7


def test_a_path_may_be_given_as_a_string(tmp_path):
    path = write(tmp_path, "s.yaml", TINY)
    assert load_scenario(str(path)) == load_scenario(path)


def test_extends_merges_sections_key_by_key_and_replaces_lists(tmp_path):
    write(
        tmp_path,
        "base.yaml",
        """
        name: base
        description: the base
        automakers: {vehicle_price: 200000, payment_term_days: 170}
        network: {tiers: [3, 4, 5], suppliers_per_customer: 3}
        suppliers: {payment_term_days: [90, 60, 45], margin: 0.04}
        """,
    )
    child = write(
        tmp_path,
        "child.yaml",
        """
        extends: base.yaml
        name: child
        automakers: {payment_term_days: 60}
        network: {tiers: [3, 4]}
        suppliers: {payment_term_days: [60, 30]}
        """,
    )
    scenario = load_scenario(child)
    assert scenario.name == "child"
    assert scenario.description == "the base"
    assert scenario.automakers.payment_term_days == 60
    assert scenario.automakers.vehicle_price == 200_000
    assert scenario.network.tiers == [3, 4]
    assert scenario.network.suppliers_per_customer == 3
    assert scenario.suppliers.payment_term_days == [60, 30]
    assert scenario.suppliers.margin == 0.04
    assert scenario.extends is None


def test_extends_chains_and_is_relative_to_the_file_that_says_it(tmp_path):
    write(tmp_path, "common/root.yaml", "name: root\nseed: 5\nbanks: {count: 4}\n")
    write(
        tmp_path, "common/middle.yaml", "extends: root.yaml\nname: middle\nbanks: {margin: 0.02}\n"
    )
    leaf = write(tmp_path, "variants/leaf.yaml", "extends: ../common/middle.yaml\nname: leaf\n")
    scenario = load_scenario(leaf, allow_outside_paths=True)
    assert (scenario.name, scenario.seed) == ("leaf", 5)
    assert (scenario.banks.count, scenario.banks.margin) == (4, 0.02)


def test_a_scenario_and_its_flat_equivalent_have_the_same_hash(tmp_path):
    write(tmp_path, "base.yaml", TINY)
    variant = load_scenario(write(tmp_path, "v.yaml", "extends: base.yaml\nname: tiny\nseed: 3\n"))
    flat = load_scenario(write(tmp_path, "flat.yaml", TINY + "seed: 3\n"))
    assert variant == flat
    assert scenario_hash(variant) == scenario_hash(flat)


def test_network_path_is_made_absolute_relative_to_the_file_that_gives_it(tmp_path):
    write(tmp_path, "nets/edges.csv", "supplier,customer\ns1,a1\n")
    write(
        tmp_path,
        "nets/base.yaml",
        "name: base\nnetwork: {source: file, path: edges.csv}\n"
        "suppliers: {payment_term_days: [30]}\n",
    )
    child = write(tmp_path, "elsewhere/child.yaml", "extends: ../nets/base.yaml\nname: c\n")
    scenario = load_scenario(child, allow_outside_paths=True)
    assert scenario.network.path == str((tmp_path / "nets/edges.csv").resolve())
    assert Path(scenario.network.path).is_absolute()


def test_a_relative_network_path_set_on_the_command_line_is_relative_to_the_cwd(
    tmp_path, monkeypatch
):
    write(tmp_path, "edges.csv", "supplier,customer\ns1,a1\n")
    path = write(tmp_path, "s.yaml", "name: s\nsuppliers: {payment_term_days: [30]}\n")
    monkeypatch.chdir(tmp_path)
    scenario = load_scenario(path, ["network.source=file", "network.path=edges.csv"])
    assert scenario.network.path == str((tmp_path / "edges.csv").resolve())


def test_a_network_path_set_on_the_command_line_must_still_be_in_the_scenario_folder(
    tmp_path, monkeypatch
):
    # Relative to the working directory, but confined to the scenario file's folder: from
    # the folder above it, the file must be named through the scenario's folder.
    write(tmp_path, "edges.csv", "supplier,customer\ns1,a1\n")
    write(tmp_path, "scenarios/edges.csv", "supplier,customer\ns1,a1\n")
    path = write(tmp_path, "scenarios/s.yaml", "name: s\nsuppliers: {payment_term_days: [30]}\n")
    monkeypatch.chdir(tmp_path)
    inside = load_scenario(path, ["network.source=file", "network.path=scenarios/edges.csv"])
    assert inside.network.path == str((tmp_path / "scenarios/edges.csv").resolve())
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, ["network.source=file", "network.path=edges.csv"])
    assert str(caught.value).startswith(
        f"--set network.path=edges.csv: network.path: {tmp_path / 'edges.csv'} is outside "
        f"the scenario's folder {tmp_path / 'scenarios'}"
    )
    allowed = load_scenario(
        path, ["network.source=file", "network.path=edges.csv"], allow_outside_paths=True
    )
    assert allowed.network.path == str((tmp_path / "edges.csv").resolve())


@pytest.mark.parametrize(
    ("setting", "check"),
    [
        ("automakers.payment_term_days=60", lambda s: s.automakers.payment_term_days == 60),
        ("network.tiers=[10, 20, 30]", lambda s: s.network.tiers == [10, 20, 30]),
        ("network.tiers.1=9", lambda s: s.network.tiers == [3, 9]),
        ("suppliers.payment_term_days.0=15", lambda s: s.suppliers.payment_term_days == [15, 30]),
        ("banks.capital=[1.0e9, 2.0e9]", lambda s: s.banks.capital == [1e9, 2e9]),
        ("automakers.vehicle_price=99000.5", lambda s: s.automakers.vehicle_price == 99000.5),
        ("description=two words", lambda s: s.description == "two words"),
        ("name=other", lambda s: s.name == "other"),
        ("seed=42", lambda s: s.seed == 42),
        ("shocks=[{type: force_default, day: 14}]", lambda s: s.shocks[0].day == 14),
    ],
)
def test_set_overrides_are_read_as_yaml(tmp_path, setting, check):
    overrides = [setting]
    if setting.startswith("network.tiers=["):
        overrides.append("suppliers.payment_term_days=[1, 2, 3]")
    assert check(load_scenario(write(tmp_path, "s.yaml", TINY), overrides))


def test_an_override_creates_a_section_the_file_leaves_out(tmp_path):
    scenario = load_scenario(
        write(tmp_path, "s.yaml", "name: s\n"), ["automakers.vehicle_price=9e4"]
    )
    assert scenario.automakers.vehicle_price == 90_000


def test_an_override_of_one_setting_keeps_the_other_defaults_of_its_section(tmp_path):
    # The online channel defaults to a weight of 0.3 and a lead rate of 0.3; changing its
    # lead rate from the command line once also made its weight 1.0, the model's own default.
    path = write(tmp_path, "s.yaml", "name: s\n")
    scenario = load_scenario(path, ["consumers.channels.online.lead_rate=0.5"])
    online, walk_in = scenario.consumers.channels.online, scenario.consumers.channels.walk_in
    assert (online.weight, online.lead_rate) == (0.3, 0.5)
    assert (walk_in.weight, walk_in.lead_rate) == (0.7, 0.9)
    everything_else = load_scenario(path).model_dump()
    everything_else["consumers"]["channels"]["online"]["lead_rate"] = 0.5
    assert scenario.model_dump() == everything_else


def test_a_channel_written_with_one_field_keeps_its_own_default_for_the_other(tmp_path):
    # A file that writes `walk_in: {lead_rate: 0.5}` once got the walk-in channel a weight of
    # 1.0 (every organic channel's default) instead of its 0.7.
    text = "name: s\nconsumers:\n  channels:\n    walk_in: {lead_rate: 0.5}\n    online: {}\n"
    channels = load_scenario(write(tmp_path, "s.yaml", text)).consumers.channels
    assert (channels.walk_in.weight, channels.walk_in.lead_rate) == (0.7, 0.5)
    assert (channels.online.weight, channels.online.lead_rate) == (0.3, 0.3)


def test_an_override_can_address_an_item_of_a_default_list(tmp_path):
    scenario = load_scenario(write(tmp_path, "s.yaml", "name: s\n"), ["network.tiers.0=7"])
    default = Scenario(name="s").network.tiers
    assert scenario.network.tiers == [7, *default[1:]]


def test_an_override_can_address_a_field_of_a_listed_shock(tmp_path):
    text = TINY + "shocks: [{type: demand, day: 7, duration_days: 14, factor: 0.5}]\n"
    scenario = load_scenario(write(tmp_path, "s.yaml", text), ["shocks.0.factor=0.25"])
    assert scenario.shocks[0].factor == 0.25


def test_overrides_may_be_a_mapping_of_dotted_paths(tmp_path):
    scenario = load_scenario(
        write(tmp_path, "s.yaml", TINY), {"seed": 3, "banks.count": 4, "network.tiers": [2, 2]}
    )
    assert (scenario.seed, scenario.banks.count, scenario.network.tiers) == (3, 4, [2, 2])


def test_overrides_apply_after_extends_and_in_order(tmp_path):
    write(tmp_path, "base.yaml", TINY)
    child = write(tmp_path, "child.yaml", "extends: base.yaml\nname: child\nbanks: {count: 3}\n")
    scenario = load_scenario(child, ["banks.count=5", "banks.count=6"])
    assert scenario.banks.count == 6


def test_overrides_do_not_change_the_file_on_disk(tmp_path):
    path = write(tmp_path, "s.yaml", TINY)
    load_scenario(path, ["seed=9"])
    assert load_scenario(path).seed == 0


def test_parse_override_splits_at_the_first_equals_sign():
    assert parse_override("description=a=b") == ("description", "a=b")
    assert parse_override(" seed =7") == ("seed", 7)


def test_deep_merge_does_not_modify_its_inputs():
    base = {"a": {"b": 1, "c": [1, 2]}}
    child = {"a": {"c": [3]}}
    assert deep_merge(base, child) == {"a": {"b": 1, "c": [3]}}
    assert base == {"a": {"b": 1, "c": [1, 2]}}


def test_load_scenario_dict_resolves_extends_against_base_dir(tmp_path):
    write(tmp_path, "base.yaml", TINY)
    settings = {"extends": "base.yaml", "name": "v", "seed": 2}
    scenario = load_scenario_dict(settings, base_dir=tmp_path)
    assert (scenario.name, scenario.seed, scenario.network.tiers) == ("v", 2, [3, 4])


def test_a_variant_without_a_name_of_its_own_is_refused(tmp_path):
    # Under its base's name a variant's results went to the base's folder and replaced them
    # without a word (until 2026-12-06).
    write(tmp_path, "base.yaml", TINY)
    variant = write(tmp_path, "v.yaml", "extends: base.yaml\nhorizon_days: 28\n")
    with pytest.raises(ScenarioError, match=r"v\.yaml: name: missing; .*'tiny'.*results/tiny/"):
        load_scenario(variant)
    with pytest.raises(ScenarioError, match="name: missing"):
        load_scenario_dict({"extends": "base.yaml", "seed": 2}, base_dir=tmp_path)


def test_a_sweep_may_vary_a_variant_that_takes_its_bases_name(tmp_path):
    # A sweep's folder and runs go by the experiment's name, not the scenario's.
    write(tmp_path, "base.yaml", TINY)
    variant = write(tmp_path, "v.yaml", "extends: base.yaml\nhorizon_days: 28\n")
    assert load_scenario(variant, own_name=False).name == "tiny"
    experiment = "name: e\nscenario: v.yaml\nparameters:\n  banks.margin: {values: [0.01, 0.02]}\n"
    assert load_experiment(write(tmp_path, "e.yaml", experiment)).base.horizon_days == 28


def test_a_variant_may_be_named_by_an_override_or_by_a_file_between(tmp_path):
    write(tmp_path, "base.yaml", TINY)
    variant = write(tmp_path, "v.yaml", "extends: base.yaml\nhorizon_days: 28\n")
    assert load_scenario(variant, ["name=v"]).name == "v"
    # Only the file run needs a name: one it extends may take its own base's.
    write(tmp_path, "leaf.yaml", "extends: v.yaml\nname: leaf\n")
    assert load_scenario(tmp_path / "leaf.yaml").name == "leaf"


ROUND_TRIP_CASES = {
    "tiny": TINY,
    "defaults": "name: d\n",
    "everything": TINY.replace("banks: {count: 2}", "banks: {count: 2, capital: [1.5e9, 2.25e9]}")
    + """
description: |
  Several lines,
  with: colons and 'quotes'
automakers: {payment_term_days: 60, vehicle_price: 123456.789}
shocks:
  - {type: force_default, day: 21, tier: 2, rank: 1}
  - {type: demand, day: 7, duration_days: 14, factor: 0.5}
""",
}


@pytest.mark.parametrize("text", ROUND_TRIP_CASES.values(), ids=ROUND_TRIP_CASES.keys())
def test_the_canonical_dump_reloads_to_an_equal_scenario(tmp_path, text):
    scenario = load_scenario(write(tmp_path, "s.yaml", text))
    dumped = write(tmp_path, "elsewhere/resolved.yaml", dump_scenario(scenario))
    again = load_scenario(dumped)
    assert again == scenario
    assert scenario_hash(again) == scenario_hash(scenario)
    assert dump_scenario(again) == dump_scenario(scenario)


def test_the_canonical_dump_has_no_extends_and_every_setting(tmp_path):
    write(tmp_path, "base.yaml", TINY)
    scenario = load_scenario(write(tmp_path, "c.yaml", "extends: base.yaml\nname: c\n"))
    text = dump_scenario(scenario)
    assert "extends" not in text
    for section in ("network", "automakers", "suppliers", "banks", "consumers"):
        assert f"\n{section}:" in text


def test_the_hash_is_sha256_hex_and_changes_with_any_setting(tmp_path):
    path = write(tmp_path, "s.yaml", TINY)
    digest = scenario_hash(load_scenario(path))
    assert len(digest) == 64
    assert int(digest, 16) >= 0
    assert scenario_hash(load_scenario(path)) == digest
    assert scenario_hash(load_scenario(path, ["suppliers.margin=0.051"])) != digest


@pytest.mark.parametrize(
    "path", sorted((REPO / "scenarios").glob("*.yaml")), ids=lambda path: path.name
)
def test_the_shipped_scenarios_load_and_round_trip(tmp_path, path):
    scenario = load_scenario(path)
    assert load_scenario(write(tmp_path, "resolved.yaml", dump_scenario(scenario))) == scenario
