"""The consumer side: funnel, approval pipeline and car loans, each shown over several seeds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autofin.scenario.consumer_schema import ApprovalSpec, BookingCurveSpec, CheckSpec
from autofin.scenario.loading import deep_merge
from autofin.world.approval import ApprovalPipeline, booked_share
from autofin.world.banks import Instrument
from autofin.world.consumers import CHANNEL_NAMES
from autofin.world.funnel import ConsumerMarket, consumer_metrics, consumer_summary
from autofin.world.model import AutofinModel, simulate
from conftest import small_scenario

SEEDS = range(5)

WORLD: dict[str, Any] = {
    "horizon_days": 364,
    "warmup_days": 0,  # the consumer side needs none; first steps are compared
    "network": {"tiers": [3, 4]},
    "suppliers": {"payment_term_days": [60, 30]},
    "banks": {"count": 3},
    "consumers": {"population": 20_000},
}

SCREEN = [
    {"name": "identity", "power_fraud": 0.6, "false_rejection": 0.01},
    {"name": "credit_score", "power_default": 0.3, "false_rejection": 0.05},
]


def world(seed: int, **consumers: Any):
    """A small world whose consumer settings are merged with ``consumers``."""
    return small_scenario(**deep_merge(WORLD, {"seed": seed, "consumers": consumers}))


def run(scenario) -> AutofinModel:
    model = AutofinModel(scenario, check=True)
    for _ in range(scenario.steps):
        model.step()
    return model


def totals(**consumers: Any) -> pd.Series:
    """Time-series totals (medians: their mean over steps) averaged over the seeds."""
    runs = []
    for seed in SEEDS:
        frame = simulate(world(seed, **consumers)).timeseries
        total = frame.sum()
        total["median_decision_minutes"] = frame["median_decision_minutes"].mean()
        runs.append(total)
    return pd.concat(runs, axis=1).mean(axis=1)


def with_checks(checks: list[dict[str, Any]], **approval: Any) -> dict[str, Any]:
    return {"approval": {"checks": checks, **approval}}


def test_faster_decisions_sell_more_cars_from_the_same_applicants():
    # The same stack, with a last sign-off that neither catches nor rejects anybody: made in
    # seconds by a system, or in an hour by a reviewer. Only the wait differs.
    sign_off = {"name": "sign_off", "latency_minutes": 0.1}
    fast_checks = with_checks([*SCREEN, sign_off])
    slow_checks = with_checks([*SCREEN, {**sign_off, "automatic": False, "latency_minutes": 60}])
    for seed in SEEDS:
        # Same seed: the first step's applicants and the banks' answers are identical.
        fast_first = simulate(world(seed, **fast_checks)).timeseries.iloc[0]
        slow_first = simulate(world(seed, **slow_checks)).timeseries.iloc[0]
        assert fast_first["loan_applications"] == slow_first["loan_applications"] > 0
        assert fast_first["loan_approvals"] == slow_first["loan_approvals"]
    fast, slow = totals(**fast_checks), totals(**slow_checks)
    assert fast["median_decision_minutes"] < 1 < 60 < slow["median_decision_minutes"]
    assert fast["vehicle_demand"] > slow["vehicle_demand"]
    assert fast["sales_units"] > slow["sales_units"]


def test_dearer_credit_sells_fewer_cars_and_fewer_on_credit():
    def financed_share_and_demand(apr: float) -> tuple[float, float]:
        booked = demand = sales = 0.0
        for seed in SEEDS:
            model = run(world(seed, loans={"apr": apr}))
            frame = model.metrics.frame()
            booked += model.market.loans_booked
            demand += frame["vehicle_demand"].sum()
            sales += frame["sales_units"].sum()
        return booked / sales, demand

    cheap_share, cheap_demand = financed_share_and_demand(0.02)
    dear_share, dear_demand = financed_share_and_demand(0.15)
    assert dear_demand < cheap_demand
    assert dear_share < cheap_share


def booked_loans(checks: list[dict[str, Any]]) -> tuple[float, float]:
    """Share of booked loans that default (now or later) and the approval rate, over seeds."""
    booked = defaults = applications = approvals = 0.0
    for seed in SEEDS:
        model = run(world(seed, loans={"default_intercept": -6.0}, **with_checks(checks)))
        frame = model.metrics.frame()
        booked += model.market.loans_booked
        defaults += model.market.loans.defaults_scheduled
        applications += frame["loan_applications"].sum()
        approvals += frame["loan_approvals"].sum()
    return defaults / booked, approvals / applications


def test_adding_or_tightening_checks_lowers_defaults_and_approvals():
    base_default, base_approval = booked_loans(SCREEN)
    tighter = [dict(SCREEN[0]), {**SCREEN[1], "power_default": 0.7, "false_rejection": 0.1}]
    tight_default, tight_approval = booked_loans(tighter)
    more = [*SCREEN, {"name": "affordability", "power_default": 0.4, "false_rejection": 0.05}]
    more_default, more_approval = booked_loans(more)
    assert tight_default < base_default
    assert tight_approval < base_approval
    assert more_default < base_default
    assert more_approval < base_approval


def test_a_manual_queue_with_fixed_staff_waits_longer_as_applications_pile_up():
    spec = ApprovalSpec(
        checks=[CheckSpec(name="review", automatic=False)], reviewers=2, review_minutes=30
    )
    rng = np.random.default_rng(0)
    medians = []
    for applications in (20, 100, 400):
        pipeline = ApprovalPipeline(spec, n_banks=1)
        arrival = np.sort(rng.random(applications)) * 7 * 1440.0
        n = applications
        decided = pipeline.decide(
            np.zeros(n, dtype=np.int64), np.zeros(n, bool), np.zeros(n, bool), arrival, rng
        )
        medians.append(float(np.median(decided.decided_at - arrival)))
        assert not decided.automatic.any()
    assert medians[0] < medians[1] < medians[2]


def test_the_queue_in_a_run_waits_longer_with_more_applicants():
    review = {"name": "review", "automatic": False, "latency_minutes": 240}
    manual = with_checks([*SCREEN, review], reviewers=1)
    small = totals(population=10_000, **manual)
    large = totals(population=40_000, **manual)
    assert large["loan_applications"] > small["loan_applications"]
    assert large["median_decision_minutes"] > small["median_decision_minutes"]


def app_and_walk_in_conversion(prequalified: bool) -> tuple[float, float]:
    bank_app = {"monthly_traffic": 5_000, "click_to_lead": 0.05, "prequalified": prequalified}
    slow_review = [*SCREEN, {"name": "review", "automatic": False, "latency_minutes": 60}]
    total = totals(channels={"bank_app": bank_app}, **with_checks(slow_review))
    return (
        total["sales_units_bank_app"] / total["leads_bank_app"],
        total["sales_units_walk_in"] / total["leads_walk_in"],
    )


def test_prequalified_bank_app_leads_convert_better_through_settled_financing():
    app_prequalified, walk_in = app_and_walk_in_conversion(prequalified=True)
    app_plain, walk_in_plain = app_and_walk_in_conversion(prequalified=False)
    assert app_prequalified > walk_in
    assert app_prequalified > app_plain
    # Without pre-qualification, the app's leads go through the same funnel as walk-ins: there
    # is no conversion constant for the channel.
    assert app_plain == pytest.approx(walk_in_plain, rel=0.15)


def test_automatic_share_and_speed_follow_from_the_checks():
    sure = [{"name": f"model_{k}", "latency_minutes": 0.2} for k in range(20)]
    unsure = [{**check, "inconclusive": 0.02} for check in sure]
    certain = totals(**with_checks(sure, parallel=True))
    doubtful = totals(**with_checks(unsure, parallel=True))
    sequential = totals(**with_checks(sure, parallel=False))
    assert certain["automated_decision_share"] > doubtful["automated_decision_share"]
    assert certain["median_decision_minutes"] < sequential["median_decision_minutes"]


def test_consumer_loans_keep_every_identity_with_defaults_fraud_and_tight_capital():
    scenario = world(
        3,
        fraud_share=0.05,
        loans={"default_intercept": -4.0},
        **with_checks([{"name": "score", "power_default": 0.2, "false_rejection": 0.05}]),
        channels={"bank_app": {"monthly_traffic": 5_000, "prequalified": True}},
    )
    scenario = scenario.model_copy(update={"horizon_days": 546})
    model = run(scenario)  # check=True: every identity, every step
    frame = model.metrics.frame()
    assert model.market.loans_booked > 0
    assert frame["consumer_loan_defaults"].sum() > 0
    assert frame["fraud_losses"].sum() > 0
    assert model.banks.npl[Instrument.CONSUMER_LOAN].sum() >= 0
    flows = model.ledger.flows_frame()
    for flow in (
        "down_payment",
        "consumer_loan_disbursement",
        "consumer_loan_instalment",
        "consumer_loan_recovery",
    ):
        assert flows.loc[flows["flow"] == flow, "amount"].sum() > 0, flow


def test_banks_without_lending_capacity_book_no_car_loans():
    scenario = world(1).model_copy(
        update={"banks": world(1).banks.model_copy(update={"capital": 1.0})}
    )
    model = run(scenario)
    assert model.market.loans_booked == 0
    assert model.metrics.frame()["loan_approvals"].sum() == 0


def test_the_default_booking_curve_passes_through_the_published_figures():
    curve = BookingCurveSpec()
    assert booked_share(np.array(0.0), curve) == pytest.approx(0.93, abs=0.01)
    assert booked_share(np.linspace(1, 5, 401), curve).mean() == pytest.approx(0.65, abs=0.01)
    hours = np.linspace(60, 1440, 2000)
    assert booked_share(hours, curve).mean() == pytest.approx(0.53, abs=0.01)


def test_same_seed_same_consumer_results():
    scenario = world(11, channels={"bank_app": {"monthly_traffic": 5_000, "prequalified": True}})
    first, second = simulate(scenario), simulate(scenario)
    pd.testing.assert_frame_equal(first.timeseries, second.timeseries)
    pd.testing.assert_frame_equal(first.flows, second.flows)


@st.composite
def consumer_settings(draw: st.DrawFn) -> dict[str, Any]:
    unit = st.floats(0.0, 1.0)
    checks = [
        {
            "name": f"check_{k}",
            "automatic": draw(st.booleans()),
            "power_default": draw(unit),
            "power_fraud": draw(unit),
            "false_rejection": draw(st.floats(0.0, 0.3)),
            "inconclusive": draw(st.floats(0.0, 0.5)),
            "latency_minutes": draw(st.floats(0.0, 600.0)),
        }
        for k in range(draw(st.integers(0, 5)))
    ]
    return {
        "population": draw(st.integers(1, 5000)),
        "fraud_share": draw(st.floats(0.0, 0.3)),
        "savings_years": draw(st.floats(0.0, 3.0)),
        "channels": {
            "bank_app": {
                "monthly_traffic": draw(st.floats(0.0, 20_000.0)),
                "click_to_lead": draw(unit),
                "prequalified": draw(st.booleans()),
                "user_share": draw(unit),
            }
        },
        "approval": {
            "checks": checks,
            "parallel": draw(st.booleans()),
            "reviewers": draw(st.integers(1, 5)),
            "working_hours": draw(st.floats(1.0, 24.0)),
            "second_lender_share": draw(unit),
        },
        "loans": {
            "apr": draw(st.floats(0.0, 0.3)),
            "term_months": draw(st.integers(1, 84)),
            "down_payment_share": draw(unit),
            "default_intercept": draw(st.floats(-10.0, -1.0)),
            "repossession_value": draw(unit),
        },
    }


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(consumer_settings(), st.integers(0, 2**31), st.sampled_from([1, 7, 30]))
def test_random_consumer_settings_keep_every_identity(consumers, seed, step_days):
    scenario = world(seed, **consumers).model_copy(
        update={"step_days": step_days, "horizon_days": 15 * step_days}
    )
    run(scenario)  # check=True: every identity, every step


def test_every_consumer_column_and_summary_key_is_documented():
    text = (Path(__file__).resolve().parents[2] / "docs" / "metrics.md").read_text("utf-8")
    model = run(world(0))
    frame = model.metrics.frame()
    market: ConsumerMarket = model.market
    names = [*consumer_metrics(market, model.banks), *consumer_summary(frame, market)]
    for name in names:
        generic = name
        for channel in CHANNEL_NAMES:
            generic = generic.replace(f"_{channel}", "_{c}")
        assert f"`{name}`" in text or f"`{generic}`" in text, name
