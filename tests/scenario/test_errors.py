"""Every kind of bad scenario input gives one clear, ready-to-print message."""

from __future__ import annotations

from pathlib import Path

import pytest

from autofin.scenario.errors import ScenarioError
from autofin.scenario.loading import load_scenario
from conftest import TINY, write


def message(path: Path, overrides: list[str] | None = None) -> str:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, overrides)
    text = str(caught.value)
    assert "Traceback" not in text
    assert "errors.pydantic.dev" not in text  # pydantic's own wording is not passed through
    return text


def test_a_yaml_syntax_error_gives_file_line_and_column(tmp_path):
    path = write(tmp_path, "s.yaml", "name: x\nnetwork:\n  tiers: [1, 2\n  automakers: 1\n")
    text = message(path)
    assert str(path) in text
    assert "line 4, column 13" in text
    assert "automakers: 1" in text  # the offending line is shown


def test_a_key_given_twice_is_an_error_with_both_lines(tmp_path):
    text = message(write(tmp_path, "s.yaml", "name: a\nseed: 1\nname: b\n"))
    assert "duplicate key 'name'" in text
    assert "line 3" in text
    assert "line 1" in text


def test_a_wrong_type_gives_the_dotted_path_the_value_and_the_expectation(tmp_path):
    text = message(write(tmp_path, "s.yaml", TINY.replace("[60, 30]", "[60, soon]")))
    assert "suppliers.payment_term_days.1: got 'soon'; expected a valid integer" in text


def test_a_value_fitting_no_branch_of_a_union_is_one_problem(tmp_path):
    text = message(write(tmp_path, "s.yaml", TINY + "automakers: {payment_term_days: soon}\n"))
    assert text.endswith(
        "automakers.payment_term_days: got 'soon'; expected a valid integer or a valid list"
    )


def test_a_bad_item_of_a_union_list_points_at_the_item(tmp_path):
    text = message(write(tmp_path, "s.yaml", TINY + "automakers: {payment_term_days: [-1]}\n"))
    assert text.endswith(
        "automakers.payment_term_days.0: got -1; expected a value greater than or equal to 0"
    )


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        ("nme: x\n", "top level: unknown key 'nme'; did you mean 'name'?"),
        (
            "automakers: {paymnet_term_days: 60}\n",
            "automakers: unknown key 'paymnet_term_days'; did you mean 'payment_term_days'?",
        ),
        (
            "consumers: {populaton: 5}\n",
            "consumers: unknown key 'populaton'; did you mean 'population'?",
        ),
        (
            "shocks: [{type: force_default, dya: 7}]\n",
            "shocks.0: unknown key 'dya'; did you mean 'day'?",
        ),
        ("colour: red\n", "top level: unknown key 'colour'; expected one of: name, description"),
    ],
)
def test_an_unknown_key_is_rejected_with_a_suggestion(tmp_path, snippet, expected):
    assert expected in message(write(tmp_path, "s.yaml", "name: s\n" + snippet))


def test_an_unknown_shock_type_suggests_the_nearest(tmp_path):
    text = message(write(tmp_path, "s.yaml", TINY + "shocks: [{type: forced_default, day: 7}]\n"))
    assert "shocks.0.type: unknown type 'forced_default'; did you mean 'force_default'?" in text


def test_a_misspelt_choice_suggests_the_nearest(tmp_path):
    text = message(write(tmp_path, "s.yaml", TINY.replace("{tiers", "{source: fille, tiers")))
    assert "network.source: got 'fille'; expected 'generated' or 'file'; did you mean 'file'?" in (
        text
    )


@pytest.mark.parametrize(
    ("section", "field", "value", "bound"),
    [
        ("suppliers", "recovery_rate", 1.5, "less than or equal to 1"),
        ("banks", "loss_given_default", -0.1, "greater than or equal to 0"),
        ("consumers", "purchase_propensity", 2, "less than or equal to 1"),
    ],
)
def test_a_probability_outside_0_1_is_rejected(tmp_path, section, field, value, bound):
    path = write(tmp_path, "s.yaml", TINY)
    text = message(path, [f"{section}.{field}={value}"])
    assert f"{section}.{field}: got {value}; expected a value {bound}" in text


def test_a_tier_with_no_suppliers_is_rejected_with_its_section(tmp_path):
    text = message(write(tmp_path, "s.yaml", TINY.replace("[3, 4]", "[3, 0]")))
    assert "network.tiers.1: got 0; expected a value greater than or equal to 1" in text


@pytest.mark.parametrize(
    ("setting", "where"),
    [
        ("suppliers.payment_term_days=[60, -5]", "suppliers.payment_term_days.1: got -5"),
        ("automakers.payment_term_days=-30", "automakers.payment_term_days: got -30"),
    ],
)
def test_a_negative_payment_term_is_rejected(tmp_path, setting, where):
    text = message(write(tmp_path, "s.yaml", TINY), [setting])
    assert f"{where}; expected a value greater than or equal to 0" in text


def test_a_consistency_check_of_the_whole_scenario_is_reported(tmp_path):
    text = message(write(tmp_path, "s.yaml", TINY.replace("[60, 30]", "[60, 30, 10]")))
    assert "suppliers.payment_term_days has 3 values but the network has 2 tiers" in text


def test_a_missing_required_setting_is_named(tmp_path):
    text = message(write(tmp_path, "s.yaml", "seed: 1\n"))
    assert "name: required, but missing" in text


def test_all_problems_of_a_file_are_reported_at_once(tmp_path):
    bad = TINY.replace("[3, 4]", "[3, 0]") + "nme: x\nautomakers: {parts_cost_share: 7}\n"
    text = message(write(tmp_path, "s.yaml", bad))
    assert text.splitlines()[0].endswith("3 problems in the scenario:")
    assert "network.tiers.1: got 0" in text
    assert "unknown key 'nme'" in text
    assert "automakers.parts_cost_share: got 7" in text


def test_an_extends_cycle_names_the_chain(tmp_path):
    write(tmp_path, "a.yaml", "extends: b.yaml\nname: a\n")
    write(tmp_path, "b.yaml", "extends: c.yaml\nname: b\n")
    write(tmp_path, "c.yaml", "extends: a.yaml\nname: c\n")
    text = message(tmp_path / "a.yaml")
    assert "extends cycle:" in text
    chain = text.split("extends cycle:")[1]
    names = [Path(part.strip()).name for part in chain.split("->")]
    assert names == ["a.yaml", "b.yaml", "c.yaml", "a.yaml"]


def test_a_file_extending_itself_is_a_cycle(tmp_path):
    assert "extends cycle" in message(write(tmp_path, "a.yaml", "extends: a.yaml\nname: a\n"))


def test_extending_a_missing_file_names_it(tmp_path):
    text = message(write(tmp_path, "a.yaml", "extends: nowhere.yaml\nname: a\n"))
    assert "extends: no such file: nowhere.yaml" in text


def test_an_error_in_a_base_file_names_the_base(tmp_path):
    write(tmp_path, "base.yaml", "name: [unclosed\n")
    text = message(write(tmp_path, "child.yaml", "extends: base.yaml\n"))
    assert "base.yaml" in text
    assert "line 2" in text


def test_a_missing_network_file_is_an_error(tmp_path):
    path = write(tmp_path, "s.yaml", "name: s\nnetwork: {source: file, path: edges.csv}\n")
    text = message(path)
    assert "network.path: no such file:" in text
    assert str(tmp_path / "edges.csv") in text


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        (
            "automakers.paymnet_term_days=60",
            "--set automakers.paymnet_term_days=60: unknown key 'paymnet_term_days' in "
            "automakers; did you mean 'payment_term_days'?",
        ),
        ("autmakers.payment_term_days=60", "did you mean 'automakers'?"),
        ("network.tiers.7=1", "network.tiers has 2 items, so there is no item 7"),
        ("network.tiers.first=1", "network.tiers is a list; address its items by index"),
        ("seed.value=1", "seed is 0, which has no 'value'"),
        ("seed", "expected PATH=VALUE"),
        ("network..tiers=1", "is not a dotted path"),
        ("network.tiers=[1, 2", "--set network.tiers=[1, 2: YAML syntax error at line 1"),
        ("extends=other.yaml", "extends cannot be overridden"),
    ],
)
def test_a_bad_set_override_is_a_clear_error(tmp_path, setting, expected):
    assert expected in message(write(tmp_path, "s.yaml", TINY), [setting])


def test_a_bad_override_value_is_reported_as_a_schema_error(tmp_path):
    text = message(write(tmp_path, "s.yaml", TINY), ["banks.count=many"])
    assert "banks.count: got 'many'; expected a valid integer" in text


def test_a_setting_overridden_twice_is_blamed_on_the_override_that_took_effect(tmp_path):
    # The later --set wins, so its value is the one refused, and it is the one named.
    path = write(tmp_path, "s.yaml", TINY)
    text = message(path, ["horizon_days=14", "horizon_days=0"])
    assert text.startswith("--set horizon_days=0: horizon_days: got 0")
    text = message(path, ["horizon_days=0", "horizon_days=14", "horizon_days=-7"])
    assert text.startswith("--set horizon_days=-7: horizon_days: got -7")


def test_a_later_override_elsewhere_in_a_list_does_not_take_the_blame(tmp_path):
    # network.tiers.1=3 came last but set another item; the bad item came with the list.
    path = write(tmp_path, "s.yaml", TINY)
    text = message(path, ["network.tiers=[0, 5]", "network.tiers.1=3"])
    assert text.startswith("--set network.tiers=[0, 5]: network.tiers.0: got 0")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "the file is empty"),
        ("# only a comment\n", "the file is empty"),
        ("- name: x\n", "the top level must be a mapping of settings"),
        (
            "just words\n",
            "the top level must be a mapping of settings (name: ..., network: ...), not a str",
        ),
    ],
)
def test_a_file_that_is_not_a_mapping_is_rejected(tmp_path, text, expected):
    assert expected in message(write(tmp_path, "s.yaml", text))


def test_a_missing_file_is_named(tmp_path):
    assert message(tmp_path / "nope.yaml") == f"{tmp_path / 'nope.yaml'}: no such file"


def test_a_directory_is_not_a_scenario(tmp_path):
    assert "is a directory" in message(tmp_path)


def test_a_file_that_is_not_utf8_is_rejected(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_bytes(b"name: caf\xe9\n")
    assert "not UTF-8" in message(path)


def test_scenario_error_keeps_its_source_and_problems(tmp_path):
    path = write(tmp_path, "s.yaml", TINY + "nme: x\nseed: -1\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.source == str(path)
    assert len(caught.value.problems) == 2


def test_scenario_error_survives_pickling(tmp_path):
    import pickle

    with pytest.raises(ScenarioError) as caught:
        load_scenario(write(tmp_path, "s.yaml", TINY + "nme: x\n"))
    again = pickle.loads(pickle.dumps(caught.value))
    assert str(again) == str(caught.value)
    assert again.problems == caught.value.problems


def test_a_section_given_as_a_single_value_is_explained(tmp_path):
    text = message(write(tmp_path, "s.yaml", "name: s\nnetwork: 5\n"))
    assert text.endswith("network: got 5; expected a section of settings")


def test_a_whole_number_in_exponent_form_gets_a_hint(tmp_path):
    text = message(write(tmp_path, "s.yaml", "name: s\nhorizon_days: 1e3\n"))
    assert "horizon_days: got 1000.0; expected a valid integer (write it as 1000)" in text
    assert text.endswith("(write it as 1000)")


def test_a_whole_number_with_a_point_where_a_number_or_list_goes_gets_the_hint(tmp_path):
    # `payment_term_days` takes one term or one per automaker: the hint was missing there.
    text = message(write(tmp_path, "s.yaml", "name: s\nautomakers: {payment_term_days: 60.0}\n"))
    assert "payment_term_days: got 60.0; expected a valid integer or a valid list" in text
    assert text.endswith("(write it as 60)")
    text = message(write(tmp_path, "t.yaml", "name: t\nautomakers: {payment_term_days: 60.5}\n"))
    assert "write it as" not in text


def test_a_check_of_the_whole_scenario_is_attributed_to_the_scenario(tmp_path):
    text = message(write(tmp_path, "s.yaml", "name: s\nhorizon_days: 5\nstep_days: 7\n"))
    assert text.endswith("scenario: step_days (7) is longer than horizon_days (5)")


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        (
            "finance.order_financing.advance_rate=1.5",
            "finance.order_financing.advance_rate: got 1.5; expected a value less than or "
            "equal to 1",
        ),
        (
            "finance.reverse_factoring=[{sponsor: 3}]",
            "finance.reverse_factoring.0.sponsor is 3, but there is no automaker 3",
        ),
        (
            "finance.factoring.tiers=[1, 4]",
            "finance.factoring.tiers.1 is 4 but the network has only 2 supplier tiers",
        ),
        (
            "finance.reverse_factoring=[{banks: [0, 7]}]",
            "finance.reverse_factoring.0.banks.1 is 7, but there is no bank 7",
        ),
        (
            "finance.syndicated_loans=[{banks: [0, 1], shares: [0.5, 0.2]}]",
            "finance.syndicated_loans.0: shares must sum to 1, got 0.7",
        ),
        (
            "finance.reverse_factoring=[{tiers: [2]}]",
            "tiers must be [1] (tier 1 only) or [1, 2] (multi-tier), got [2]",
        ),
        (
            "finance.payment_terms=[{day: 30, payment_term_days: 60, tier: 1, automaker: 0}]",
            "automaker is set but tier is 1",
        ),
        ("finance.preference=[bank_loan, loans]", "finance.preference.1: got 'loans'"),
    ],
)
def test_bad_instrument_settings_name_the_field_and_the_problem(tmp_path, override, expected):
    assert expected in message(write(tmp_path, "s.yaml", TINY), [override])


def test_a_finance_tier_beyond_a_loaded_network_is_an_error(tmp_path):
    write(tmp_path, "net.csv", "supplier,customer\ns1,car\ns2,s1\n")
    path = write(
        tmp_path,
        "s.yaml",
        "name: x\nnetwork: {source: file, path: net.csv}\nsuppliers: {payment_term_days: [60, 30]}"
        "\nfinance: {inventory_financing: {tiers: [3]}}\n",
    )
    assert "finance.inventory_financing.tiers.0: 3 is not a tier of the network" in message(path)


def consumer_yaml(consumers: str) -> str:
    return TINY.replace(
        "consumers: {population: 500}", f"consumers: {{population: 500, {consumers}}}"
    )


@pytest.mark.parametrize(
    ("consumers", "expected"),
    [
        (
            "approval: {checks: [{name: fraud, fraud_loading: 12}]}",
            "consumers.approval.checks.0.fraud_loading: got 12.0; at most 10 is allowed",
        ),
        (
            "approval: {checks: [{name: score, noise: -0.1}]}",
            "consumers.approval.checks.0.noise: got -0.1; "
            "expected a value greater than or equal to 0",
        ),
        (
            "channels: {bank_app: {monthly_traffic: -100}}",
            "consumers.channels.bank_app.monthly_traffic: got -100; "
            "expected a value greater than or equal to 0",
        ),
        (
            "loans: {term_months: 0}",
            "consumers.loans.term_months: got 0; expected a value greater than 0",
        ),
        (
            "channels: {walk_in: {lead_rate: 1.5}}",
            "consumers.channels.walk_in.lead_rate: got 1.5; "
            "expected a value less than or equal to 1",
        ),
        ("approval: {checks: [{risk_loading: 0.5}]}", "consumers.approval.checks.0.name"),
        (
            # The old input, now measured: refused, with the fields a check has.
            "approval: {checks: [{name: score, power_default: 0.5}]}",
            "consumers.approval.checks.0: unknown",
        ),
        (
            "automaker_offers: [{automaker: 0, margin: 0.01}]",
            "margin needs partner_bank",
        ),
        (
            # The old fixed APR: refused, with what to write instead.
            "loans: {apr: 0.06}",
            "consumers.loans: apr is 0.06, but a car loan's APR is priced by its bank",
        ),
        (
            "automaker_offers: [{automaker: 0, partner_bank: 0, apr: 0.03}]",
            "set margin instead",
        ),
        (
            "automaker_offers: [{automaker: 0}, {automaker: 0}]",
            "automaker 0 is given more than once",
        ),
        (
            "automaker_offers: [{automaker: 3}]",
            "consumers.automaker_offers.0.automaker is 3, but there is no automaker 3",
        ),
        (
            "automaker_offers: [{automaker: 0, partner_bank: 7}]",
            "consumers.automaker_offers.0.partner_bank is 7",
        ),
        (
            "choice: {price_weight: 500}",
            "consumers.choice.price_weight: got 500.0; at most 100 is allowed",
        ),
    ],
)
def test_bad_consumer_settings_are_rejected_with_their_path(tmp_path, consumers, expected):
    assert expected in message(write(tmp_path, "s.yaml", consumer_yaml(consumers)))


def test_a_partner_bank_that_does_not_exist_is_rejected(tmp_path):
    text = message(
        write(tmp_path, "s.yaml", consumer_yaml("channels: {bank_app: {partner_bank: 5}}"))
    )
    assert "consumers.channels.bank_app.partner_bank is 5 but there are only 2 banks" in text


def test_a_seed_whose_replications_run_past_63_bits_is_refused(tmp_path):
    # Replication k runs on seed + k and can be run alone with `--seed`: the last one must
    # be a seed the command accepts (a run recorded seed 2**63 until 2026-12-06).
    largest = 2**63 - 1
    path = write(tmp_path, "s.yaml", f"name: s\nseed: {largest}\nreplications: 2\n")
    assert "with 2 replications the seed is at most 9,223,372,036,854,775,806" in message(path)
    path = write(tmp_path, "s.yaml", f"name: s\nseed: {largest - 1}\nreplications: 2\n")
    assert load_scenario(path).seed == largest - 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The name's rule was shown as a regular expression.
        (
            "name: my scenario/1\n",
            "name: got 'my scenario/1'; expected letters, digits, `_`, `.` and `-`, starting",
        ),
        # YAML 1.2 reads yes as text: say what is a boolean.
        (
            "name: s\nautomakers: {payout_while_indebted: yes}\n",
            "got 'yes'; expected a valid boolean (write true or false)",
        ),
        (
            "name: s\nautomakers: {payout_while_indebted: 'true'}\n",
            "got 'true'; expected a valid boolean (without quotes)",
        ),
    ],
)
def test_a_name_or_boolean_written_wrong_is_explained_in_words(tmp_path, text, expected):
    assert expected in message(write(tmp_path, "s.yaml", text))
