"""Money is conserved and the books add up at every step, whatever the scenario."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autofin.scenario.loading import load_scenario
from autofin.scenario.schema import Scenario
from autofin.world.checks import AccountingError
from autofin.world.ledger import Flow
from autofin.world.model import AutofinModel, simulate
from conftest import SCENARIOS, small_scenario


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_scenarios_keep_every_identity(path):
    result = simulate(load_scenario(path), check=True)
    assert len(result.timeseries) == load_scenario(path).steps


def test_a_national_market_in_miniature_keeps_every_identity():
    """The shape of the national benchmark (`benchmarks/national.py`): twenty automakers
    sharing four tiers of suppliers, one payment term per tier, review desks staffed for the
    population; at 1/200 of its size, over a year."""
    overrides = {
        "network.automakers": 20,
        "network.tiers": [30, 70, 150, 250],
        "suppliers.payment_term_days": [90, 60, 45, 30],
        "consumers.population": 50_000,
        "consumers.approval.reviewers": 4,
        "horizon_days": 364,
        "step_days": 7,
    }
    scenario = load_scenario(SCENARIOS / "baseline.yaml", overrides=overrides)
    result = simulate(scenario, check=True)
    assert len(result.timeseries) == 52
    assert result.summary["sales_units"] > 0


@st.composite
def finance_settings(
    draw: st.DrawFn, n_tiers: int, automakers: int, n_banks: int, horizon: int
) -> dict:
    """Any mix of supply-chain-finance instruments valid for the network."""
    tiers = st.lists(st.integers(1, n_tiers), min_size=1, max_size=n_tiers, unique=True)
    bank_list = st.lists(st.integers(0, n_banks - 1), min_size=1, max_size=n_banks, unique=True)
    finance: dict = {
        "choice": draw(st.sampled_from(["order", "cheapest"])),
        "preference": draw(
            st.permutations(["reverse_factoring", "factoring", "inventory_financing", "bank_loan"])
        ),
    }
    if draw(st.booleans()):
        finance["order_financing"] = {
            "advance_rate": draw(st.floats(0.0, 1.0)),
            "buyer_risk": draw(st.sampled_from(["supplier", "bank"])),
            "tiers": draw(tiers),
            "cash_plan_days": draw(st.integers(1, 60)),
        }
    if draw(st.booleans()):
        finance["inventory_financing"] = {
            "loan_to_value": draw(st.floats(0.0, 1.0)),
            "haircut": draw(st.floats(0.0, 1.0)),
            "tiers": draw(tiers),
        }
    if draw(st.booleans()):
        finance["factoring"] = {"recourse": draw(st.booleans()), "tiers": draw(tiers)}
    if draw(st.booleans()):
        finance["reverse_factoring"] = [
            {
                "sponsor": draw(st.integers(0, automakers - 1)),
                "banks": draw(bank_list),
                "tiers": [1, 2] if n_tiers >= 2 and draw(st.booleans()) else [1],
                "approval_days": draw(st.integers(0, 60)),
                "onboarded_share": draw(st.floats(0.0, 1.0)),
                "limit_days": draw(st.integers(0, 300)),
            }
        ]
    if draw(st.booleans()):
        banks = draw(bank_list)
        finance["syndicated_loans"] = [
            {
                "borrower": draw(st.integers(0, automakers - 1)),
                "banks": banks,
                "drawing": draw(st.sampled_from(["schedule", "as_needed"])),
                "draw_day": draw(st.integers(0, horizon)),
                "maturity_days": draw(st.integers(1, 400)),
                "size_days": draw(st.integers(1, 120)),
            }
        ]
    if draw(st.booleans()):
        finance["payment_terms"] = [
            {
                "day": draw(st.integers(0, horizon)),
                "payment_term_days": draw(st.integers(0, 300)),
                "tier": draw(st.integers(0, n_tiers)),
            }
        ]
    return finance


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    n_tiers = draw(st.integers(1, 4))
    step_days = draw(st.sampled_from([1, 7, 14, 30]))
    horizon = draw(st.integers(step_days, 400))
    shocks = []
    if draw(st.booleans()):
        shocks.append(
            {"type": "force_default", "day": draw(st.integers(0, horizon)), "tier": 1, "rank": 1}
        )
    if draw(st.booleans()):
        shocks.append(
            {
                "type": "demand",
                "day": draw(st.integers(0, horizon)),
                "duration_days": draw(st.integers(1, 200)),
                "factor": draw(st.floats(0.0, 2.0)),
            }
        )
    automakers = draw(st.integers(1, 2))
    n_banks = draw(st.integers(1, 4))
    finance = draw(finance_settings(n_tiers, automakers, n_banks, horizon))
    if draw(st.booleans()):
        shocks.append(
            {"type": "force_default", "day": draw(st.integers(0, horizon)), "tier": 0, "rank": 1}
        )
    return small_scenario(
        seed=draw(st.integers(0, 2**31)),
        finance=finance,
        horizon_days=horizon,
        step_days=step_days,
        network={
            "tiers": draw(st.lists(st.integers(1, 12), min_size=n_tiers, max_size=n_tiers)),
            "suppliers_per_customer": draw(st.integers(1, 3)),
            "automakers": automakers,
            "preferential_attachment": draw(st.floats(0.0, 3.0)),
        },
        automakers={
            "payment_term_days": draw(st.integers(0, 300)),
            "initial_cash_days": draw(st.integers(0, 200)),
        },
        suppliers={
            "payment_term_days": draw(
                st.lists(st.integers(0, 200), min_size=n_tiers, max_size=n_tiers)
            ),
            "margin": draw(st.floats(-0.05, 0.2)),
            "cost_shock_sd": draw(st.floats(0.0, 0.3)),
            "initial_cash_days": draw(st.integers(0, 90)),
            "equity_days": draw(st.integers(0, 200)),
            "recovery_rate": draw(st.floats(0.0, 1.0)),
            "lead_time_days": draw(st.integers(0, 30)),
            "transit_days": draw(st.integers(0, 30)),
            "resourcing_delay_days": draw(st.integers(0, 200)),
        },
        banks={
            "count": n_banks,
            "max_probability_of_default": draw(st.floats(0.0, 1.0)),
            "loan_term_days": draw(st.integers(1, 200)),
            "automotive_share": draw(st.floats(0.01, 1.0)),
        },
        consumers={
            "population": draw(st.integers(1, 3000)),
            "replacement_years": draw(st.floats(0.5, 10.0)),
        },
        shocks=shocks,
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_random_valid_scenarios_keep_every_identity(scenario):
    result = simulate(scenario, check=True)
    assert len(result.timeseries) == scenario.steps


def test_flows_explain_every_change_of_sector_cash(small):
    model = AutofinModel(small)
    opening = model.ledger.sector_balances()
    for _ in range(small.steps):
        model.step()
    flows = model.ledger.flows_frame()
    inflow = flows.groupby("target")["amount"].sum()
    outflow = flows.groupby("source")["amount"].sum()
    closing = model.ledger.sector_balances()
    for index, sector in enumerate(model.ledger.sector_names):
        change = inflow.get(sector, 0.0) - outflow.get(sector, 0.0)
        assert change == pytest.approx(closing[index] - opening[index], rel=1e-9, abs=1e-3)
    assert np.isclose(model.ledger.balance.sum(), model.ledger.total_money)


def test_check_catches_money_created_from_nothing(small):
    model = AutofinModel(small, check=True)
    model.step()
    model.ledger.balance[0] += 1_000.0  # a bug that creates money outside any posting
    with pytest.raises(AccountingError, match="total money"):
        model.step()


def test_check_catches_an_invoice_lost_from_the_books(small):
    model = AutofinModel(small, check=True)
    model.step()
    model.trade.edge_book.amounts[:, 0] = 0.0  # an invoice vanishes but the receivable stays
    with pytest.raises(AccountingError, match=r"receivables|payables"):
        model.step()


@pytest.mark.parametrize(("overdraft", "caught"), [(5e-7, False), (1e-4, True)])
def test_a_closed_firm_may_be_overdrawn_by_the_payment_tolerance_and_no_more(overdraft, caught):
    """Settlement counts a firm short by less than a millionth as able to pay, so a firm may
    close that far overdrawn. In a world of one consumer (all its money some 10 to 30 yuan, as in
    the example hypothesis found) that is more than the check's tolerance relative to all
    money; a larger overdraft on a closed firm's account is still an error."""
    model = AutofinModel(small_scenario(consumers={"population": 1}), check=True)
    model.step()
    firm = int(np.flatnonzero(~model.firms.is_automaker & model.firms.active)[0])
    model._liquidate(np.array([firm]), "default", model.step_index, "illiquid")
    model.ledger.post(firm, model.ledger.outside, overdraft, Flow.FIXED_COSTS)
    if caught:
        with pytest.raises(AccountingError, match="cash of defaulted firms"):
            model.checker.verify(model.step_index)
    else:
        model.checker.verify(model.step_index)
