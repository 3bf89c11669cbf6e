"""Multi-bank relationships: every firm's line is shared by a main bank and other banks."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from autofin.cli import app
from autofin.scenario.errors import ScenarioError
from autofin.scenario.loading import load_scenario
from autofin.world.banks import Instrument
from autofin.world.model import AutofinModel, simulate
from conftest import LINES_BEYOND_COLLATERAL, ROOMY_GROWTH, SCENARIOS, TINY, write


def model_of(name: str, relationships: int, *overrides: str, check: bool = False) -> AutofinModel:
    scenario = load_scenario(
        SCENARIOS / f"{name}.yaml",
        overrides=[f"banks.relationships={relationships}", *overrides],
    )
    return AutofinModel(scenario, check=check)


def run(model: AutofinModel) -> AutofinModel:
    for _ in range(model.spec.steps):
        model.step()
    return model


def test_relationships_change_nothing_else_in_the_world():
    one = run(model_of("baseline", 1, "horizon_days=182"))
    two = run(model_of("baseline", 2, "horizon_days=182"))
    # The other relationship banks come from a stream of their own: the main bank is the
    # single bank of the one-relationship world, and every firm's two banks are distinct.
    np.testing.assert_array_equal(two.banks.part_bank[0], one.firms.house_bank)
    assert np.all(two.banks.part_bank[1] != two.banks.part_bank[0])
    # The same consumers, shopping the same way: the demand is the same.
    for attribute in ("income", "savings", "risk", "propensity", "channel", "next_trip"):
        np.testing.assert_array_equal(
            getattr(one.consumers, attribute), getattr(two.consumers, attribute)
        )
    first, second = one.metrics.frame(), two.metrics.frame()
    for column in ("vehicle_demand", "sales_units"):
        np.testing.assert_array_equal(first[column], second[column])
    np.testing.assert_array_equal(one.firms.margin, two.firms.margin)
    # ...while the banks' books are shared differently.
    assert not np.array_equal(first["bank_capital_ratio_bank0"], second["bank_capital_ratio_bank0"])


def _supplier_with_open_line(model: AutofinModel) -> int:
    """A tier-1 supplier whose line is not reviewed at the model's next step."""
    firms, banks = model.firms, model.banks
    step = model.step_index
    undrawn = banks.part_undrawn()
    candidates = np.flatnonzero(
        (firms.tier == 1)
        & (undrawn > 0).all(axis=0)
        & ((np.arange(firms.n) + step) % banks.review_steps != 0)
    )
    return int(candidates[0])


@pytest.mark.parametrize("cut", ["fails", "freezes"])
def test_a_firm_keeps_the_other_banks_part_when_its_main_bank_fails_or_freezes(cut):
    raised = {}
    for relationships in (1, 2):
        model = model_of("scf_none", relationships, "warmup_days=0", check=True)
        firms, banks, ledger = model.firms, model.banks, model.ledger
        firm = _supplier_with_open_line(model)
        main = int(banks.part_bank[0, firm])
        if cut == "fails":
            banks.failed[main] = True
        else:
            banks.part_frozen[0, firm] = True
        model.finance.start_step(model.step_index, firms, ledger, banks, model.trade)
        need = 0.25 * float(banks.line_contract[firm])
        drawn, cash = banks.part_drawn[:, firm].copy(), float(ledger.balance[firm])
        short = model.finance.cover(np.array([firm]), np.array([need]))
        got = need - float(short[0])
        raised[relationships] = got
        # The main bank's part lends nothing; the cash came from the other parts.
        assert banks.part_drawn[0, firm] == drawn[0]
        assert float(ledger.balance[firm]) - cash == pytest.approx(
            float((banks.part_drawn[:, firm] - drawn).sum()), rel=1e-12
        )
        if relationships == 2:
            other = int(banks.part_bank[1, firm])
            assert banks.part_drawn[1, firm] > drawn[1]
            assert banks.exposure[Instrument.BANK_LOAN, other] == pytest.approx(
                banks.line_carrying()[other], rel=1e-12
            )
    # With one bank the line is gone; with two the firm still draws on the other bank's part.
    assert raised[1] == 0.0
    assert raised[2] > 0.0


def test_a_default_splits_the_loss_between_the_banks_in_their_drawn_shares():
    default = "shocks=[{type: force_default, day: 91, tier: 1, rank: 1}]"
    fire_sale = LINES_BEYOND_COLLATERAL  # the estate cannot repay the banks in full
    # Lines with room for the defaulting firm's suppliers (ten days of equity) to carry its
    # bad debt: at the shipped 4% growth five of them fail in the same step, and their claims
    # would mix with the one compared here.
    roomy = f"banks.expected_sales_growth={ROOMY_GROWTH}"
    model = model_of("scf_none", 2, "horizon_days=140", *fire_sale, roomy, default, check=True)
    banks = model.banks
    claims: list[tuple[np.ndarray, np.ndarray]] = []
    take = banks.take_claims_on

    def remember(firms, debtors):
        principal = take(firms, debtors)
        claims.append((debtors.copy(), principal.copy()))
        return principal

    banks.take_claims_on = remember  # type: ignore[method-assign]
    for _ in range(model.spec.steps):
        before = banks.losses_by_instrument[Instrument.BANK_LOAN].copy()
        recovering = banks.recoveries[Instrument.BANK_LOAN].copy()
        model.step()
        if claims:
            break
    assert len(claims) == 1
    debtors, principal = claims[0]
    assert debtors.size == 1
    firm = int(debtors[0])
    lenders = banks.part_bank[:, firm]
    drawn = principal[:, 0]
    assert np.all(drawn > 0)
    loss = banks.losses_by_instrument[Instrument.BANK_LOAN] - before
    recovered = banks.recoveries[Instrument.BANK_LOAN] - recovering
    # Both banks lose, in proportion to what the firm had drawn on each part; what the
    # estate pays is shared the same way; no other bank is touched.
    assert np.all(loss[lenders] > 0)
    np.testing.assert_allclose(loss[lenders] / loss[lenders].sum(), drawn / drawn.sum(), rtol=1e-9)
    np.testing.assert_allclose(loss[lenders] + recovered[lenders], drawn, rtol=1e-9)
    others = np.setdiff1d(np.arange(banks.count), lenders)
    assert np.all(loss[others] == 0.0)


def test_three_relationships_keep_the_books_and_are_deterministic():
    # A stressed world (defaults, frozen lines, arrears), its identities checked every step.
    settings = ("horizon_days=364", "seed=2")
    first = run(model_of("long_terms_stress", 3, *settings, check=True))
    second = run(model_of("long_terms_stress", 3, *settings))
    assert first.banks.part_bank.shape == (3, first.firms.n)
    assert (~first.firms.active).any()  # defaults happened
    frame = first.metrics.frame()
    assert frame.equals(second.metrics.frame())
    np.testing.assert_array_equal(first.banks.part_drawn, second.banks.part_drawn)
    # Every bank holds parts of lines, and its loans are the parts drawn.
    np.testing.assert_allclose(first.banks.loans, first.banks.line_carrying(), rtol=1e-9)
    assert np.all(np.bincount(first.banks.part_bank.ravel(), minlength=first.banks.count) > 0)


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        (
            "banks.relationships=0",
            "banks.relationships: got 0; expected a value greater than or equal to 1",
        ),
        ("banks.relationships=3", "relationships is 3 but there are only 2 banks (count)"),
        (
            "banks.main_bank_share=0",
            "banks.main_bank_share: got 0",
        ),
        (
            "banks.main_bank_share=1.5",
            "banks.main_bank_share: got 1.5; expected a value less than or equal to 1",
        ),
    ],
)
def test_wrong_relationships_are_clear_errors_with_exit_code_2(tmp_path, setting, expected):
    path = write(tmp_path, "s.yaml", TINY)  # two banks
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, [setting])
    assert expected in str(caught.value)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(path), "--set", setting, "-o", str(out)])
    assert result.exit_code == 2
    assert expected in result.stderr
    assert "Traceback" not in result.output


def test_the_loan_log_gives_each_relationship_bank_its_part_of_every_draw():
    scenario = load_scenario(
        SCENARIOS / "baseline.yaml", ["banks.relationships=2", "horizon_days=182"]
    )
    result = simulate(scenario, loans=True)
    firm = result.loans[result.loans["kind"] == "firm_loan"]
    decisions = firm.groupby(["step", "applicant"])
    # A row per bank for every decision (a firm may draw twice in a step), from two banks.
    rows = firm.groupby(["step", "applicant", "part"]).size().unstack()
    assert list(rows.columns) == [0, 1]
    assert (rows[0] == rows[1]).all()
    assert (decisions["bank"].nunique() == 2).all()
    # The parts add up to what the banks lent in each step, and are shared 60/40 or as
    # the undrawn room of each part allowed.
    lending = result.timeseries.set_index("step")["bank_lending_volume"]
    per_step = firm.groupby("step")["amount"].sum().reindex(lending.index, fill_value=0)
    assert per_step.to_numpy() == pytest.approx(lending.to_numpy())
    main = firm[firm["part"] == 0].set_index(["step", "applicant"])["amount"]
    total = decisions["amount"].sum()
    granted = total > 0
    assert (main[granted] / total[granted]).median() == pytest.approx(0.6, abs=0.05)


def test_a_line_frozen_by_one_of_two_banks_counts_as_partly_frozen():
    rows = {}
    for frozen_by_main in (False, True):
        model = model_of("scf_none", 2, "warmup_days=0")
        firm = _supplier_with_open_line(model)
        model.banks.part_frozen[0, firm] = frozen_by_main
        model.step()
        rows[frozen_by_main] = model.metrics.frame().iloc[-1]
    # The same world a step on, but for one firm whose main bank froze its part.
    assert rows[True]["credit_lines_partly_frozen"] == rows[False]["credit_lines_partly_frozen"] + 1
    assert rows[True]["credit_lines_frozen"] == rows[False]["credit_lines_frozen"]
