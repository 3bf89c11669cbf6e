"""Finance-constrained production: a supplier grows only as far as it can fund the growth.

Growth ties up working capital (receivables and inventories less payables). A supplier plans
production and input orders only up to the output its equity and committed credit can carry
(`production.fundable_output`); what it cannot fund waits in its backlog, so demand beyond the
chain's finance turns into shortages downstream instead of defaults.
"""

from __future__ import annotations

import numpy as np
import pytest

from autofin.scenario.loading import load_scenario
from autofin.world import production
from autofin.world.model import AutofinModel
from conftest import SCENARIOS


def opening(*overrides: str) -> AutofinModel:
    """The baseline world at its opening steady state (no warm-up)."""
    return AutofinModel(
        load_scenario(SCENARIOS / "baseline.yaml", overrides=["warmup_days=0", *overrides])
    )


def test_funds_carry_the_opening_business_and_the_undrawn_line_carries_growth():
    model = opening()
    firms, banks = model.firms, model.banks
    fundable = model._fundable_output()
    supplier = ~firms.is_automaker
    # An automaker its payables finance needs no working capital and is not limited.
    assert np.isinf(fundable[firms.is_automaker]).all()
    # Each supplier's opening working capital, per unit of its expected output.
    per_unit = firms.working_capital_per_unit[supplier]
    np.testing.assert_allclose(
        per_unit * firms.expected_output[supplier], firms.working_capital()[supplier]
    )
    # Its funds (equity not in plant, the line's limit, less the cash buffer) carry the
    # business it opened with, and growth by what the undrawn line can fund.
    headroom = (banks.line_limit - firms.debt)[supplier]
    np.testing.assert_allclose(
        fundable[supplier], firms.expected_output[supplier] + headroom / per_unit, rtol=1e-9
    )
    assert (fundable[supplier] > firms.expected_output[supplier]).all()


def test_a_supplier_plans_and_orders_no_more_than_it_can_fund():
    model = opening()
    firms, scenario = model.firms, model.spec
    demand = firms.order_forecast * 1.5
    fundable = np.where(firms.is_automaker, np.inf, firms.expected_output * 1.1)
    free_plan, free_orders = production.plan_and_order(firms, scenario, demand)
    plan, orders = production.plan_and_order(firms, scenario, demand, fundable)
    supplier = ~firms.is_automaker
    assert (free_plan[supplier] > fundable[supplier]).any()
    assert (plan <= fundable + 1e-9).all()
    np.testing.assert_array_equal(plan[firms.is_automaker], free_plan[firms.is_automaker])
    # Its input orders are for the business it can fund, not for the demand it sees.
    bought = firms.by_customer(orders)[supplier]
    assert (bought < firms.by_customer(free_orders)[supplier]).all()


@pytest.mark.xfail(
    strict=True,
    reason="issue 8: measured 2026-12-05 (afternoon) on lines sized by the CBRC's formula "
    "(4% growth): with the constraint seeds 0-2 lose 1, 0 and 0 suppliers (without it 31, 29 "
    "and 32); the one is a tier-1 supplier with a 3.9% margin that lost 21.6k over the year "
    "on a line with about a week of revenue undrawn. On the former lines (1.25 times the "
    "opening debt) none failed. See docs/calibration.md, 'How much room a credit line opens "
    "with'",
)
def test_without_the_constraint_a_surge_beyond_fixed_lines_makes_sound_suppliers_illiquid():
    surge = [
        "horizon_days=364",
        "banks.receivables_advance_rate=0",  # lines stay at the contracts signed at opening:
        "banks.resize_lines_at_renewal=false",  # no borrowing base, no formula at renewal
        "shocks=[{type: demand, day: 28, duration_days: 336, factor: 1.25}]",
    ]

    def defaults(constrained: bool) -> list[int]:
        out = []
        for seed in range(3):
            model = opening(
                f"seed={seed}", *surge, f"suppliers.finance_constrained_production={constrained}"
            )
            while model.step_index < model.spec.steps:
                model.step()
            out.append(int((~model.firms.active).sum()))
        return out

    assert sum(defaults(False)) > 0
    assert sum(defaults(True)) == 0


def test_fast_approval_beyond_the_chains_finance_is_rationed_instead_of_defaulting():
    # Three-minute approval wins buyers the traditional chain was not sized for. With lines
    # renewed on 60% of receivables (the default's -25%), the growth outruns the tier-1
    # suppliers' lines. Constrained, none default in any of seeds 0-7 and the shortfall
    # becomes rationed output instead; unconstrained, seeds 0-7 lose 1, 0, 2, 1, 0, 1, 1 and 1
    # suppliers (measured 2026-12-05 with the calibrated scorecard; with the hand-set one,
    # which scored the baseline's firms about three times their defaults, 1, 5, 32, 96, 0, 7,
    # 15 and 42: its dear credit and refusals made most of those).
    def run(constrained: bool) -> tuple[dict, int]:
        scenario = load_scenario(
            SCENARIOS / "three_minute_approval.yaml",
            overrides={
                "seed": 3,
                "horizon_days": 364,
                "banks.receivables_advance_rate": 0.6,
                "suppliers.finance_constrained_production": constrained,
            },
        )
        model = AutofinModel(scenario)
        limited = 0
        while model.step_index < model.spec.steps:
            fundable = model._fundable_output()
            if fundable is not None:
                limited += int((model.firms.active & (fundable < model.firms.order_forecast)).sum())
            model.step()
        return model.result().summary, limited

    free, _ = run(False)
    constrained, limited = run(True)
    assert free["supplier_defaults"] > constrained["supplier_defaults"] == 0
    assert limited > 0  # the constraint bound: some supplier's funds fell short of its demand
