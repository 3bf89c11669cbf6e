"""The economic mechanisms, each shown as an average over several seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from autofin.scenario.loading import load_scenario
from autofin.world.model import AutofinModel, simulate
from conftest import SCENARIOS, small_scenario

SEEDS = range(6)


def baseline(**overrides):
    return load_scenario(SCENARIOS / "baseline.yaml", overrides=overrides)


def mean_supplier_defaults(term_days: int) -> float:
    return float(
        np.mean(
            [
                simulate(
                    baseline(**{"seed": seed, "automakers.payment_term_days": term_days})
                ).summary["supplier_defaults"]
                for seed in SEEDS
            ]
        )
    )


@pytest.mark.robustness  # many seeds: the second stage of make test
def test_longer_automaker_payment_terms_raise_supplier_defaults():
    short, long, longer = (mean_supplier_defaults(days) for days in (60, 170, 240))
    assert short < long < longer


def run_model(scenario):
    model = AutofinModel(scenario)
    for _ in range(scenario.steps):
        model.step()
    return model


@pytest.mark.robustness  # many seeds: the second stage of make test
def test_default_of_a_large_tier1_supplier_spreads_to_its_own_suppliers():
    # Thin equity and stocks that fetch nothing: the estate cannot pay its trade creditors in
    # full (a sound firm's estate does), so the default reaches its suppliers as bad debt as
    # well as lost orders.
    thin = {"suppliers.recovery_rate": 0.0, "suppliers.equity_days": 30}
    shock = [{"type": "force_default", "day": 182, "tier": 1, "rank": 1}]
    left_bad_debt = 0
    upstream_defaults = {"with": 0, "without": 0}
    for seed in SEEDS:
        for case, shocks in (("with", shock), ("without", [])):
            model = run_model(baseline(seed=seed, shocks=shocks, **thin))
            target = AutofinModel(baseline(seed=seed, shocks=shock, **thin)).shocks.target_of(26)[0]
            network = model.network
            own_suppliers = np.unique(network.edge_supplier[network.edge_customer == target])
            own_suppliers = own_suppliers[own_suppliers >= 0]
            upstream_defaults[case] += int((~model.firms.active[own_suppliers]).sum())
            if case == "with":
                left_bad_debt += int(np.sum(model.chain.bad_debt_source[own_suppliers] == target))
    assert left_bad_debt > 0
    assert upstream_defaults["with"] > upstream_defaults["without"]


def test_forced_default_is_logged_and_its_customers_resource():
    scenario = baseline(seed=3, shocks=[{"type": "force_default", "day": 182, "tier": 1}])
    result = simulate(scenario)
    forced = result.events[result.events["event"] == "forced_default"]
    assert len(forced) == 1
    assert forced["tier"].iloc[0] == 1
    delay_steps = round(scenario.suppliers.resourcing_delay_days / scenario.step_days)
    resourced = result.timeseries.set_index("step")["resourced_edges"]
    assert resourced.loc[int(forced["step"].iloc[0]) + delay_steps] >= 1


def test_defaults_caused_by_bad_debt_name_their_cause():
    # Thin equity and stocks that fetch nothing, so that an estate leaves its suppliers bad
    # debt (a sound firm's estate pays in full: receivables sell at expected collection).
    scenario = baseline(
        seed=0,
        shocks=[{"type": "force_default", "day": 182, "tier": 1}],
        **{"suppliers.recovery_rate": 0.0, "suppliers.equity_days": 30},
    )
    result = simulate(scenario)
    events = result.events
    caused = events.dropna(subset=["cause_id"])
    assert len(caused) > 0
    # Every cause is a firm that defaulted earlier or in the same step: after day 0 (an
    # event), or in the warm-up (no event; a defaulted firm without a default step).
    first_default = events.groupby("agent_id")["step"].min()
    firms = result.firms.set_index("firm")
    for cause, step in zip(caused["cause_id"], caused["step"], strict=True):
        if int(cause) in first_default.index:
            assert first_default[int(cause)] <= step
        else:
            assert firms.loc[int(cause), "state"] == "defaulted"
            assert pd.isna(firms.loc[int(cause), "default_step"])


@pytest.mark.robustness  # many seeds: the second stage of make test
def test_better_capitalised_bank_lends_at_lower_rates():
    volume = np.zeros(2)
    interest = np.zeros(2)
    for seed in SEEDS:
        probe = AutofinModel(baseline(seed=seed, **{"banks.count": 2}))
        capital = float(probe.banks.opening_capital.mean())
        model = AutofinModel(
            baseline(seed=seed, **{"banks.count": 2, "banks.capital": [capital, 3 * capital]})
        )
        for _ in range(model.spec.steps):
            model.step()
            lending = model.banks.lending_round
            if lending.volume_by_bank.size:
                volume += lending.volume_by_bank
                interest += lending.interest_weighted_by_bank
    rate = interest / volume
    assert rate[1] < rate[0]


def test_bank_below_minimum_capital_stops_lending():
    scenario = baseline(seed=1, **{"banks.count": 1, "banks.capital": 1.0})
    result = simulate(scenario)
    assert result.timeseries["bank_capital_ratio"].max() < scenario.banks.min_capital_ratio
    assert result.timeseries["bank_lending_volume"].sum() == 0.0


def test_buyers_who_find_no_car_return_then_are_lost_once():
    scenario = small_scenario(
        # No warm-up: buyers turned away before day 0 would be lost after it, uncounted.
        warmup_days=0,
        network={"tiers": [1, 2]},
        suppliers={"payment_term_days": [30, 30], "resourcing_delay_days": 1000},
        shocks=[{"type": "force_default", "day": 7, "tier": 1}],
    )
    series = simulate(scenario).timeseries
    assert series["lost_sales_units"].sum() > 0
    # Every new buyer is either served, lost once, or still waiting at the end.
    retry_steps = round(scenario.consumers.retry_days / scenario.step_days)
    window = scenario.consumers.max_retries * retry_steps + 1
    waiting_at_most = series["vehicle_demand"].tail(window).sum()
    unserved = series["vehicle_demand"].sum() - series["sales_units"].sum()
    assert unserved - waiting_at_most <= series["lost_sales_units"].sum() <= unserved
