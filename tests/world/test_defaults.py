"""Firms default because they cannot pay or are insolvent, never because of a score alone."""

from __future__ import annotations

import numpy as np

from autofin.scenario.loading import load_scenario
from autofin.world.banks import Instrument
from autofin.world.firms import steps_of
from autofin.world.ledger import Flow
from autofin.world.model import AutofinModel
from conftest import SCENARIOS


def run(name: str, seed: int, *overrides: str) -> AutofinModel:
    scenario = load_scenario(SCENARIOS / f"{name}.yaml", overrides=[f"seed={seed}", *overrides])
    model = AutofinModel(scenario)
    for _ in range(scenario.steps):
        model.step()
    return model


def test_defaulted_firms_are_illiquid_or_insolvent_and_the_event_says_which():
    checked = 0
    for name, seed in (
        ("long_terms_stress", 0),
        ("long_terms_stress", 1),
        ("long_terms_stress", 2),
        ("baseline", 0),
    ):
        model = run(name, seed)
        spec = model.spec.banks
        grace = steps_of(spec.grace_days, model.spec.step_days)
        events = model.metrics.events_frame()
        ordinary = events[events["event"] == "default"]
        assert set(ordinary["reason"]) <= {"illiquid", "insolvent"}
        assert len(model.default_checks) == len(ordinary)
        assert sorted(c.firm for c in model.default_checks) == sorted(ordinary["agent_id"])
        for check in model.default_checks:
            if check.reason == "insolvent":
                assert check.equity < 0
            else:
                # Cash and undrawn committed credit fell short of what was due, and either
                # the grace period was over or not even wages and SCF dues could be paid.
                assert check.liquidity < 0
                assert check.arrears_steps <= grace
            # Never: positive equity with enough cash and undrawn credit to pay what is due.
            assert not (check.equity > 0 and not check.liquidity < 0)
            checked += 1
    assert checked > 50


def test_credit_a_bank_may_not_lend_does_not_count_as_liquidity():
    # A bank lends on a committed line only within its concentration limit (`Banks.quote`).
    # With a tight limit, some firms fail with part of their line undrawn but held back by
    # it: they could not have drawn it, and the check counts only what they could.
    model = AutofinModel(
        load_scenario(
            SCENARIOS / "long_terms_stress.yaml",
            overrides=["seed=0", "banks.concentration_limit=0.1"],
        )
    )
    held_back = []
    drawable = model.banks.drawable

    def recording(ledger, applicants, exposure, capacity):
        could = drawable(ledger, applicants, exposure, capacity)
        held_back.extend(model.banks.undrawn(model.firms)[applicants] - could)
        return could

    model.banks.drawable = recording  # type: ignore[method-assign]
    while model.step_index < model.spec.steps:
        model.step()
    illiquid = [c for c in model.default_checks if c.reason == "illiquid"]
    assert len(held_back) == len(illiquid)
    assert all(c.liquidity < 0 for c in illiquid)
    # Counting the undrawn limit alone, some would have looked able to pay.
    assert any(c.liquidity + held >= 0 for c, held in zip(illiquid, held_back, strict=True))


def test_firms_in_arrears_pay_a_penalty_and_recover_or_default_after_grace():
    model = run("long_terms_stress", 0)
    frame = model.metrics.frame()
    assert frame["firms_in_arrears"].sum() > 0
    grace = steps_of(model.spec.banks.grace_days, model.spec.step_days)
    # Nobody is in arrears for longer than the grace period.
    assert int(model.firms.arrears_steps.max()) <= grace
    late = np.flatnonzero(model.firms.arrears_history > 0)
    assert late.size > 0


def test_a_credit_line_is_repaid_first_from_the_receivables_it_lent_against():
    # The line lends against a borrowing base of receivables and is secured on them: when a
    # supplier with a drawn line fails, its banks recover what the receivables fetch before
    # the trade creditors share what is left. (The supplier whose receivables fall furthest
    # short of its debts; its cash is gone and its inventories fetch nothing, so the estate
    # falls short and the order of payment shows.)
    for seed in range(3):
        model = run("scf_none", seed, "horizon_days=91", "suppliers.recovery_rate=0")
        firms, banks = model.firms, model.banks
        suppliers = np.flatnonzero(firms.active & (firms.tier > 0) & (firms.debt > 0))
        short = firms.debt + firms.payables - firms.receivables
        firm = int(suppliers[np.argmax(short[suppliers])])
        drawn = float(firms.debt[firm])
        bought = np.flatnonzero((firms.edge_customer == firm) & (firms.edge_supplier >= 0))
        owed_trade = float(model.trade.edge_book.open_totals_of(bought).sum())
        ledger = model.ledger
        ledger.post(firm, ledger.outside, ledger.balance[firm], Flow.FIXED_COSTS)
        recovered = banks.recoveries[Instrument.BANK_LOAN].sum()
        model.chain.bad_debt_in_step = 0.0
        model._liquidate(np.array([firm]), "forced_default", model.step_index, "forced")
        recovered = banks.recoveries[Instrument.BANK_LOAN].sum() - recovered
        trade_recovered = 1.0 - model.chain.bad_debt_in_step / owed_trade
        assert trade_recovered < 1.0  # the estate fell short
        # Unsecured, the banks and the trade creditors would recover the same share.
        assert recovered / drawn > trade_recovered + 0.1
