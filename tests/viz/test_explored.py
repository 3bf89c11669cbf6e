"""The model behind the browser view: same series as `autofin run`, terms, live interventions."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from autofin.cli import app
from autofin.report import figures
from autofin.scenario.loading import load_scenario
from autofin.viz import interventions
from autofin.viz.catalog import Catalog, UnknownScenarioError
from autofin.viz.components import banks_in_a_cell, defaults_in_a_cell, draw, tell_runs_apart
from autofin.viz.controls import moved_settings
from autofin.viz.explored import ExploredModel, scenario_terms
from autofin.viz.interventions import InterventionError
from autofin.viz.terms import model_params
from autofin.world.model import AutofinModel, simulate
from conftest import TINY, write

runner = CliRunner()


@pytest.fixture
def catalog(tmp_path) -> Catalog:
    return Catalog.build(write(tmp_path, "tiny.yaml", TINY))


def run_to_end(model: ExploredModel) -> None:
    while model.running:
        model.step()


def test_page_model_gives_the_series_of_autofin_run(catalog):
    model = ExploredModel(catalog=catalog)
    run_to_end(model)
    expected = simulate(catalog.load("tiny"))
    page = model.results()[0]
    pd.testing.assert_frame_equal(page.timeseries, expected.timeseries)
    pd.testing.assert_frame_equal(page.events, expected.events)


def test_steps_asked_past_the_end_do_nothing(catalog):
    """A render interval above 1 has Mesa step past the run's end: the run stops at its end."""
    model = ExploredModel(catalog=catalog)
    run_to_end(model)
    last = model.step_index
    assert last == model.main.spec.steps
    for _ in range(10):  # as a render interval of 10 would, from the last step
        model.step()
    assert model.step_index == last
    assert not model.running
    assert len(model.results()[0].timeseries) == last


def test_catalogue_lists_shipped_scenarios_and_refuses_other_names(catalog):
    assert catalog.opening == "tiny"
    assert {"baseline", "pledge_60_days", "tiny"} <= set(catalog.names)
    with pytest.raises(UnknownScenarioError, match="not one of the shipped scenarios"):
        catalog.load("../../etc/passwd")


def page_values(catalog: Catalog, name: str, **moved) -> dict:
    """What the page passes on Reset after picking ``name`` and moving ``moved``."""
    params = model_params(*scenario_terms(catalog, name), catalog.names, name)
    return {key: spec["value"] for key, spec in params.items()} | moved


def test_the_second_copy_starts_on_a_term_the_scenario_does_not_pay_in(catalog):
    # Side by side, a copy on the scenario's own term would only repeat the run.
    for name in ("tiny", "pledge_60_days", "long_terms_stress"):
        values = page_values(catalog, name)
        assert values["compare_term_days"] != values["automaker_term_days"], name
    assert page_values(catalog, "tiny")["compare_term_days"] == 60
    assert page_values(catalog, "pledge_60_days")["compare_term_days"] == 170


def test_a_model_built_from_the_sliders_says_so_and_a_moved_slider_is_named(catalog):
    # The page names each slider whose value differs from the running model's settings: none
    # for a model opened with no arguments (the page's first) or built from untouched sliders.
    for name in ("tiny", "pledge_60_days", "long_terms_stress", "platform_reverse_factoring"):
        params = model_params(*scenario_terms(catalog, name), catalog.names, name)
        values = page_values(catalog, name)
        assert (
            moved_settings(params, values, ExploredModel(catalog=catalog, **values).settings) == []
        )
        opened = ExploredModel(catalog=catalog, scenario_name=name)
        assert moved_settings(params, values, opened.settings) == [], name
    params = model_params(*scenario_terms(catalog, "tiny"), catalog.names, "tiny")
    # A float slider's value as the browser sends it (0.1 steps) is the value it shows.
    moved = page_values(
        catalog,
        "tiny",
        automaker_term_days=60,
        platform=True,
        factoring=True,
        platform_spread_percent=0.7000000000000001,
    )
    running = ExploredModel(catalog=catalog).settings
    assert moved_settings(params, moved, running) == [
        ("Automaker payment term (days)", "170", "60"),
        ("Reverse-factoring platform", "off", "on"),
        ("Platform spread (% a year)", "0.5", "0.7"),
        ("Factoring", "off", "on"),
    ]
    # Reset with them: the new model was built with them, nothing is moved from it.
    reset = ExploredModel(catalog=catalog, **moved).settings
    assert moved_settings(params, moved, reset) == []


def test_a_setting_a_switch_governs_is_named_only_where_reset_puts_it_in_effect(catalog):
    # The platform's spread and onboarded share, and the second copy's term and platform, did
    # nothing with their switches off, and the sign still named them: Reset changed nothing.
    params = model_params(*scenario_terms(catalog, "tiny"), catalog.names, "tiny")
    running = ExploredModel(catalog=catalog).settings  # no platform, no second copy
    governed = {
        "platform_spread_percent": 2.0,
        "platform_onboarded_percent": 50.0,
        "compare_term_days": 90,
        "compare_platform": True,
    }
    assert moved_settings(params, page_values(catalog, "tiny", **governed), running) == []
    # A switch turned on is named, with the settings it governs that differ.
    said = moved_settings(params, page_values(catalog, "tiny", platform=True, **governed), running)
    assert said == [
        ("Reverse-factoring platform", "off", "on"),
        ("Platform spread (% a year)", "0.5", "2"),
        ("Platform: tier 1 onboarded (%)", "100", "50"),
    ]
    said = moved_settings(params, page_values(catalog, "tiny", compare=True, **governed), running)
    assert said == [
        # The second copy's platform runs on the platform's spread and share.
        ("Platform spread (% a year)", "0.5", "2"),
        ("Platform: tier 1 onboarded (%)", "100", "50"),
        ("Side by side: run a second copy", "off", "on"),
        ("Second copy: automaker payment term (days)", "60", "90"),
        ("Second copy: reverse-factoring platform", "off", "on"),
    ]
    # Turned on with the governed settings as they were: the switch alone.
    assert moved_settings(params, page_values(catalog, "tiny", compare=True), running) == [
        ("Side by side: run a second copy", "off", "on"),
    ]
    # Running with the switches on, a switch turned off is named and what it governs is not.
    values = page_values(catalog, "tiny", platform=True, compare=True, compare_platform=True)
    on = ExploredModel(catalog=catalog, **values).settings
    off = {**values, **governed, "platform": False, "compare": False}
    assert moved_settings(params, off, on) == [
        ("Reverse-factoring platform", "on", "off"),
        ("Side by side: run a second copy", "on", "off"),
    ]
    # With them on, a governed setting moved is named as any other.
    assert moved_settings(params, {**values, "platform_spread_percent": 1.0}, on) == [
        ("Platform spread (% a year)", "0.5", "1"),
    ]


def test_picking_a_scenario_sets_the_sliders_to_its_own_terms(catalog):
    # The opening scenario (tiny) has a 170-day automaker term and no platform; the stress
    # scenario 240 days; the platform scenario its own platform.
    assert page_values(catalog, "tiny")["automaker_term_days"] == 170
    assert page_values(catalog, "long_terms_stress")["automaker_term_days"] == 240
    assert page_values(catalog, "platform_reverse_factoring")["platform"]
    # Left alone, the sliders give exactly the scenario's file, seed included.
    for name in ("long_terms_stress", "platform_reverse_factoring"):
        model = ExploredModel(catalog=catalog, **page_values(catalog, name))
        assert model.main.spec == load_scenario(catalog.files[name])
    # A slider moved after picking is written into the picked scenario, and only that one.
    moved = ExploredModel(
        catalog=catalog, **page_values(catalog, "long_terms_stress", automaker_term_days=120)
    )
    assert moved.terms.automaker_term_days == 120
    stress = load_scenario(catalog.files["long_terms_stress"])
    assert moved.main.spec.automakers.payment_term_days == 120
    assert moved.main.spec.banks == stress.banks
    assert moved.main.spec.suppliers == stress.suppliers


def test_moved_slider_changes_the_models_payment_term_and_its_series(catalog):
    moved = ExploredModel(catalog=catalog, automaker_term_days=35)
    untouched = ExploredModel(catalog=catalog)
    makers = moved.main.firms.tier[moved.main.firms.edge_customer] == 0
    assert set(moved.main.firms.edge_term_steps[makers]) == {5}
    assert untouched.terms.automaker_term_days == 170
    for model in (moved, untouched):
        for _ in range(3):
            model.step()
    shorter = moved.results()[0].timeseries["invoice_to_cash_days"]
    longer = untouched.results()[0].timeseries["invoice_to_cash_days"]
    assert (shorter < longer).all()


def test_side_by_side_steps_a_second_copy_in_lockstep_from_the_same_seed(catalog):
    model = ExploredModel(catalog=catalog, compare=True, compare_term_days=35)
    for _ in range(4):
        model.step()
    main, twin = model.results()
    assert twin.scenario.name == "tiny.term35d"
    assert twin.scenario.seed == main.scenario.seed
    assert len(main.timeseries) == len(twin.timeseries) == 4
    assert not np.allclose(
        main.timeseries["invoice_to_cash_days"], twin.timeseries["invoice_to_cash_days"]
    )


@pytest.mark.parametrize("build", [banks_in_a_cell, figures.finance_figure])
def test_side_by_side_the_first_runs_lines_are_drawn_wider_under_the_seconds(catalog, build):
    own = scenario_terms(catalog, "tiny")[0].automaker_term_days
    for term, identical in ((own, True), (own - 30, False)):
        model = ExploredModel(catalog=catalog, compare=True, compare_term_days=term)
        _steps(model, 3)
        runs = model.runs()
        first, second = (run.label for run in runs)
        plain = draw(build, runs)
        figure = tell_runs_apart(draw(build, runs), [first, second])
        for before, after in zip(plain["data"], figure["data"], strict=True):
            width = (before.get("line") or {}).get("width", 2)
            wider = (
                after.get("legendgroup") == first
                and "lines" in after.get("mode", "lines")
                and after.get("fill", "none") == "none"
            )
            assert after.get("line", {}).get("width", 2) == width + (4 if wider else 0)
        said = f"{second} identical to {first} so far"
        assert (said in figure["layout"]["title"]["text"]) is identical
    # One run: nothing changes.
    model = ExploredModel(catalog=catalog)
    model.step()
    alone = draw(build, model.runs())
    assert tell_runs_apart(alone, ["tiny"]) is alone


def _steps(model: ExploredModel, n: int) -> None:
    for _ in range(n):
        model.step()


def test_payment_term_intervention_applies_from_the_next_step(catalog):
    changed, untouched = ExploredModel(catalog=catalog), ExploredModel(catalog=catalog)
    _steps(changed, 3)
    _steps(untouched, 3)
    mark = interventions.payment_term(changed.main, 14)
    changed.intervene(mark)
    assert (mark.step, mark.day) == (4, 28)
    _steps(changed, 5)
    _steps(untouched, 5)
    before = changed.results()[0].timeseries, untouched.results()[0].timeseries
    pd.testing.assert_frame_equal(before[0].iloc[:3], before[1].iloc[:3])
    assert not before[0].iloc[3:].equals(before[1].iloc[3:])
    assert changed.marks == [mark]
    # The model pays in whole steps; a term that is not one says what it is in force.
    assert mark.label == "automakers pay in 14 d"
    odd = interventions.payment_term(changed.main, 60)
    assert odd.label == "automakers pay in 60 d (63 d in whole 7-day steps)"
    tier1 = changed.main.firms.tier[changed.main.firms.edge_customer] == 0
    assert (changed.main.firms.edge_term_steps[tier1] == 9).all()


def test_the_live_term_goes_up_to_the_longest_the_trade_books_hold_the_scenarios_own_too():
    # The page's slider offered 0-240 days while the run refused anything above 168, the
    # scenario's own 170 days (24 weekly steps) included.
    model = ExploredModel(catalog=Catalog.build())  # the baseline: automakers pay in 170 days
    longest = interventions.longest_term_days(model.main)
    assert longest >= model.main.spec.automakers.payment_term_days == 170
    for term in (170, longest):  # each from another term (the same one changes nothing)
        interventions.payment_term(model.main, 14)
        interventions.payment_term(model.main, term)
    with pytest.raises(InterventionError, match=f"expected 0 to {longest} days"):
        interventions.payment_term(model.main, longest + 1)


def test_a_live_term_the_buyers_already_pay_in_is_refused(catalog):
    # It used to be marked on every chart as a change while nothing changed.
    model = ExploredModel(catalog=catalog)
    interventions.payment_term(model.main, 56)
    with pytest.raises(InterventionError, match="automakers already pay in 56 days"):
        interventions.payment_term(model.main, 56)
    # 55 days is the same 8 weekly steps.
    with pytest.raises(InterventionError, match=r"\(8 steps of 7 days\); 55 days would change"):
        interventions.payment_term(model.main, 55)
    assert interventions.payment_term(model.main, 63).label == "automakers pay in 63 d"


def test_forced_default_intervention_defaults_the_firm_at_the_next_step(catalog):
    model = ExploredModel(catalog=catalog)
    _steps(model, 2)
    firm = int(np.flatnonzero(~model.main.firms.is_automaker)[0])
    model.intervene(interventions.force_default(model.main, firm))
    model.step()
    events = model.results()[0].events
    hit = events[(events["agent_id"] == firm) & (events["event"] == "forced_default")]
    assert hit["step"].tolist() == [3]
    with pytest.raises(InterventionError, match="already defaulted"):
        interventions.force_default(model.main, firm)


def test_a_firm_forced_into_default_once_is_not_forced_twice(catalog):
    model = ExploredModel(catalog=catalog)
    firm = int(np.flatnonzero(~model.main.firms.is_automaker)[0])
    model.intervene(interventions.force_default(model.main, firm))
    with pytest.raises(InterventionError, match=f"firm {firm} is already forced into default"):
        interventions.force_default(model.main, firm)


def test_side_by_side_a_shock_hits_both_runs_and_a_change_of_terms_the_first(catalog):
    from autofin.viz.components import _on_the_copy

    model = ExploredModel(catalog=catalog, compare=True, compare_term_days=35)
    _steps(model, 2)
    firm = int(np.flatnonzero(~model.main.firms.is_automaker)[0])

    def force(m):
        return interventions.force_default(m, firm)

    mark = _on_the_copy(force(model.main), force, model.twin, "tiny", shock=True)
    assert mark.label == f"firm {firm} forced into default"
    model.intervene(mark)
    model.step()
    for result in model.results():  # both runs lose the firm at step 3
        events = result.events
        assert events.loc[events["agent_id"] == firm, "step"].tolist() == [3]

    def term(m):
        return interventions.payment_term(m, 90)

    mark = _on_the_copy(term(model.main), term, model.twin, "tiny", shock=False)
    assert mark.label == "tiny only: automakers pay in 90 d (91 d in whole 7-day steps)"
    makers = model.twin.firms.tier[model.twin.firms.edge_customer] == 0
    assert set(model.twin.firms.edge_term_steps[makers]) == {5}  # the copy keeps 35 days


def test_demand_shock_intervention_cuts_demand_from_the_next_step(tmp_path):
    # Enough consumers that a step without the shock has demand (500 shop about once in
    # three steps since the car market's rework).
    crowd = TINY.replace("population: 500", "population: 20000")
    assert crowd != TINY
    catalog = Catalog.build(write(tmp_path, "tiny.yaml", crowd))
    shocked, untouched = ExploredModel(catalog=catalog), ExploredModel(catalog=catalog)
    _steps(shocked, 2)
    _steps(untouched, 2)
    shocked.intervene(interventions.demand_shock(shocked.main, 0.0, 14))
    _steps(shocked, 1)
    _steps(untouched, 1)
    cut = shocked.results()[0].timeseries.iloc[-1]
    assert (
        cut.filter(like="vehicle").sum()
        < untouched.results()[0].timeseries.iloc[-1].filter(like="vehicle").sum()
    )


def test_platform_intervention_opens_a_platform_that_finances_tier_1(catalog):
    model = ExploredModel(catalog=catalog)
    _steps(model, 2)
    model.intervene(interventions.platform_on(model.main, 0.005, 1.0))
    _steps(model, 6)
    ts = model.results()[0].timeseries
    assert ts["financing_volume_reverse_factoring"].iloc[:2].sum() == 0
    assert ts["financing_volume_reverse_factoring"].iloc[2:].sum() > 0
    with pytest.raises(InterventionError, match="already sponsors"):
        interventions.platform_on(model.main, 0.005, 1.0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: interventions.payment_term(m, 9999), "payment term 9999 days: expected 0 to"),
        (lambda m: interventions.payment_term(m, 30, buyer_tier=7), "buyer tier 7"),
        (lambda m: interventions.force_default(m, 10**6), "firm 1000000: expected 0 to"),
        (lambda m: interventions.demand_shock(m, -1.0, 30), "demand factor -1.0"),
        (lambda m: interventions.platform_on(m, 0.005, 1.5), "platform settings"),
        (
            lambda m: interventions.firm_number("1.5", m.firms.n),
            "firm '1.5': expected a whole number from 0 to",
        ),
        (lambda m: interventions.firm_number("", m.firms.n), "firm '': expected a whole number"),
    ],
)
def test_bad_interventions_say_what_was_expected(catalog, change, message):
    model = ExploredModel(catalog=catalog)
    with pytest.raises(InterventionError, match=message):
        change(model.main)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["viz", "--port", "0"], "--port 0: expected a port number"),
        (["viz", "missing.yaml"], "missing.yaml"),
        (["viz", "--render-interval", "0"], "--render-interval 0: expected 1 or more"),
    ],
)
def test_viz_command_rejects_bad_input_with_exit_code_2(args, message):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output


def test_a_firm_on_the_network_is_named_by_the_number_its_sheet_and_force_default_use(catalog):
    # The hover said "t1_39 (tier 1)" for firm 40: typing 39 to force it into default would
    # have defaulted another firm.
    from autofin.report import figures
    from autofin.viz.components import draw

    model = ExploredModel(catalog=catalog)
    model.step()
    network = draw(figures.network_figure, model.runs()[0])
    hovers = [
        text
        for trace in network["data"]
        if trace.get("name") in ("healthy", "distressed", "defaulted")
        for text in trace["text"]
    ]
    assert hovers
    for text in hovers:
        number, name, tier = re.match(r"firm (\d+): (\S+) \((.+?)\)<br>", text).groups()
        sheet = interventions.firm_sheet(model.main, int(number))
        assert sheet["name"] == name
        assert sheet["tier"] == ("automaker" if tier == "automakers" else tier)


def test_a_clicked_firms_sheet_shows_each_relationship_banks_part_of_its_line(tmp_path):
    path = write(tmp_path, "tiny.yaml", TINY)
    for count, relationships in ((2, 1), (3, 3)):
        model = AutofinModel(
            load_scenario(
                path, overrides={"banks.count": count, "banks.relationships": relationships}
            )
        )
        firm = int(np.flatnonzero(~model.firms.is_automaker & (model.firms.debt > 0))[0])
        sheet = interventions.firm_sheet(model, firm)
        parts = sheet["credit line"].split("; ")
        assert len(parts) == relationships
        if relationships > 1:
            main = int(model.banks.part_bank[0, firm])
            assert parts[0].startswith(f"bank {main} (main, 60%): limit ")
        # What the parts say is drawn adds up to the firm's bank loans.
        drawn = sum(float(re.search(r"drawn ([\d,]+)", p).group(1).replace(",", "")) for p in parts)
        assert drawn == pytest.approx(sheet["bank loans"], abs=relationships)


def test_a_clicked_firms_sheet_says_how_near_it_is_to_losing_its_line(tmp_path):
    # A line is not renewed past the leverage covenant or the score cut-off, and a firm in
    # arrears past the grace period defaults: the sheet shows each beside its limit.
    model = AutofinModel(load_scenario(write(tmp_path, "tiny.yaml", TINY)))
    for _ in range(3):
        model.step()
    firm = int(np.flatnonzero(~model.firms.is_automaker & model.firms.active)[0])
    sheet = interventions.firm_sheet(model, firm)
    leverage = model.firms.leverage(model.ledger.balance[: model.firms.n])[firm]
    covenant = model.banks.line_covenant[firm]
    assert sheet["leverage (covenant)"] == f"{leverage:.1%} ({covenant:.1%})"
    cutoff = model.spec.banks.max_probability_of_default
    pd_now = model.finance.round.pd[firm]
    assert sheet["scored PD (cut-off)"] == f"{pd_now:.2%} ({cutoff:.0%})"
    assert sheet["equity"] == pytest.approx(model.firms.equity[firm])
    model.firms.arrears_steps[firm] = 2
    days = 2 * model.spec.step_days
    assert interventions.firm_sheet(model, firm)["in arrears"].startswith(f"{days} days (grace ")


def test_rates_and_ratios_are_in_percent_on_the_page_and_fractions_in_the_scenario(catalog):
    params = model_params(*scenario_terms(catalog, "tiny"), catalog.names, "tiny")
    # The panels show the capital ratio in percent (11.7%): so does its slider (12, not 0.12).
    assert params["bank_capital_ratio_percent"]["value"] == 12
    assert params["bank_capital_ratio_percent"]["label"].endswith("(%)")
    assert params["platform_onboarded_percent"]["value"] == 100
    # Every scenario's own fractions come back exactly from its sliders left alone.
    for name in catalog.names:
        model = ExploredModel(catalog=catalog, **page_values(catalog, name))
        assert model.main.spec == load_scenario(catalog.files[name]), name
    moved = ExploredModel(
        catalog=catalog,
        **page_values(catalog, "tiny", bank_capital_ratio_percent=15, platform_spread_percent=0.7),
    )
    assert moved.main.spec.banks.capital_ratio == 0.15
    assert moved.terms.platform_spread == 0.007


def test_a_fraction_of_many_decimals_comes_back_exactly_from_its_slider_left_alone(tmp_path):
    # The slider shows 11.234568% (rounded); left alone, the scenario keeps its own value.
    odd = TINY.replace("banks: {count: 2}", "banks: {count: 2, capital_ratio: 0.1123456789}")
    catalog = Catalog.build(write(tmp_path, "tiny.yaml", odd))
    model = ExploredModel(catalog=catalog, **page_values(catalog, "tiny"))
    assert model.main.spec.banks.capital_ratio == 0.1123456789
    assert model.main.spec == load_scenario(catalog.files["tiny"])


def test_a_defaulted_firms_sheet_shows_no_negative_zeros(catalog):
    # A defaulted firm's emptied books read "payables -0 CNY" and "leverage -0.0%".
    from autofin.viz.components import sheet_text

    model = ExploredModel(catalog=catalog)
    model.step()
    model.intervene(interventions.force_default(model.main, 5))
    model.step()
    sheet = interventions.firm_sheet(model.main, 5)
    assert sheet["state"] == "defaulted"
    shown = [sheet_text(value, "CNY") for value in sheet.values()]
    assert not [text for text in shown if text.startswith("-0") or " -0" in text], shown
    assert sheet_text(-0.0, "CNY") == "0 CNY"
    assert sheet_text(-1e-7, "CNY") == "0 CNY"
    assert sheet_text(-1234.6, "EUR") == "-1,235 EUR"


def test_a_defaulted_firms_sheet_opens_with_when_and_why_it_defaulted(catalog):
    # It read like a healthy firm's: cash, an open line, a scored PD of 0.00%, "in arrears:
    # no", and no word of its default.
    model = ExploredModel(catalog=catalog)
    model.step()
    model.intervene(interventions.force_default(model.main, 5))
    model.step()
    sheet = interventions.firm_sheet(model.main, 5)
    (first, said), *_ = sheet.items()
    assert first == "defaulted"
    day = 2 * model.main.spec.step_days
    assert said.startswith(f"at step 2 (day {day}), forced into default")
    assert sheet["state"] == "defaulted"
    assert sheet["credit line"] == "closed at its default"
    assert not {"scored PD (cut-off)", "in arrears", "leverage (covenant)"} & set(sheet)
    # The cash a closed firm holds is what its estate owes its banks, until the workout ends.
    assert sheet["cash"] > 0
    assert re.fullmatch(
        r"owed to its banks .*, paid when the workout ends at step \d+ .*", sheet["cash is"]
    )
    # A firm still trading has no such row, and its line is open.
    healthy = interventions.firm_sheet(model.main, 4)
    assert "defaulted" not in healthy
    assert healthy["credit line"].startswith("limit ")


def test_a_firm_that_could_not_pay_is_said_to_have_defaulted_illiquid(small):
    # The reason is the default event's: here a supplier that ran out of cash.
    model = AutofinModel(small)
    while not len(model.chain.events):
        model.step()
    event = model.chain.events[0]
    assert event.reason == "illiquid"
    said = interventions.firm_sheet(model, event.firm)["defaulted"]
    assert said.startswith(f"at step {event.step} (day {event.step * small.step_days}), illiquid")


def test_the_clock_names_the_terms_moved_from_the_scenarios_own(catalog):
    # "As started" named the payment terms and instruments only: a run reset with another
    # bank cut-off or reviewers looked like the scenario's own.
    from autofin.viz.terms import moved_terms_text

    own = ExploredModel(catalog=catalog, **page_values(catalog, "tiny"))
    assert moved_terms_text(own.terms, own.moved) == ""
    moved = ExploredModel(
        catalog=catalog,
        **page_values(
            catalog, "tiny", bank_cutoff_pd_percent=12, reviewers=9, automaker_term_days=35
        ),
    )
    assert moved.main.spec.banks.max_probability_of_default == 0.12
    # The payment term is on the clock's line already; the others are named with their values.
    assert moved_terms_text(moved.terms, moved.moved) == (
        "bank cut-off PD 12%, 9 manual reviewers per bank"
    )


def test_the_page_follows_solaras_rules_of_hooks():
    # The server printed Solara's warning of a hook after an early return at every start.
    import subprocess
    import sys

    checked = subprocess.run(
        [sys.executable, "-W", "error::UserWarning", "-c", "import autofin.viz.app"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stderr[-2000:]


def test_an_automakers_sheet_names_its_customers_the_consumers(catalog):
    # It read "customers: none" and "payment term received (days): none".
    model = ExploredModel(catalog=catalog)
    model.step()
    sheet = interventions.firm_sheet(model.main, 0)
    assert sheet["customers"].startswith("consumers")
    assert "payment term received (days)" not in sheet


def _defaults_note(model: ExploredModel) -> str:
    (note,) = [
        a["text"]
        for a in draw(defaults_in_a_cell, model.runs())["layout"]["annotations"]
        if "defaulted" in a["text"]
    ]
    return note


def test_the_defaults_chart_says_when_the_run_ended_without_a_default_and_who_failed_before(
    tmp_path,
):
    # Suppliers fail in the warm-up of this world and none after: the network drew them red
    # from step 1 while the chart said "no firm has defaulted yet", even at the run's end.
    text = TINY.replace("warmup_days: 0", "warmup_days: 182").replace(
        "banks: {count: 2}", "banks: {count: 2, loan_term_days: 14}"
    )
    catalog = Catalog.build(write(tmp_path, "tiny.yaml", text))
    model = ExploredModel(catalog=catalog)
    model.step()
    assert _defaults_note(model) == (
        "No firm has defaulted yet (steps 1 to 1)<br>3 firms failed in the warm-up, before "
        "step 1 (red in the network)"
    )
    run_to_end(model)
    assert _defaults_note(model).startswith("No firm defaulted in the run (steps 1 to 10)<br>3")
    healthy = ExploredModel(catalog=Catalog.build(write(tmp_path, "plain.yaml", TINY)))
    healthy.step()
    assert "warm-up" not in _defaults_note(healthy)


def test_the_series_so_far_download_as_csv_with_both_runs_and_the_interventions(catalog):
    # The page kept its run nowhere: a reload lost what was explored, and each chart's PNG
    # was the only thing to take away.
    import io

    from autofin.viz.components import series_csv

    model = ExploredModel(catalog=catalog, compare=True, compare_term_days=60)
    model.step()
    model.intervene(interventions.force_default(model.main, 5))
    model.step()
    table = pd.read_csv(io.StringIO(series_csv(model)), keep_default_na=False)
    first, second = (run.label for run in model.runs())
    assert table["run"].tolist() == [first, first, second, second]
    assert table["step"].tolist() == [1, 2, 1, 2]
    # As on the charts, a mark stands on every run (its label says when it was the first's).
    forced = "firm 5 forced into default"
    assert table["interventions"].tolist() == ["", forced, "", forced]
    own = model.runs()[0].result.timeseries
    assert list(table.columns) == ["run", *own.columns, "interventions"]
    assert np.allclose(table["supplier_cash"][:2], own["supplier_cash"])
