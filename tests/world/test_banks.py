"""Banks' balance sheets matter: losses cut capital, capital limits lending, failures, liquidity."""

from __future__ import annotations

import numpy as np
import pytest

from autofin.scenario.loading import load_scenario
from autofin.world.banks import Banks, Instrument, build_banks
from autofin.world.ledger import Flow
from autofin.world.model import AutofinModel
from autofin.world.scoring import intercept_for_hazard
from conftest import LINES_BEYOND_COLLATERAL, SCENARIOS


def run(name: str, *overrides: str, check: bool = False) -> AutofinModel:
    model = AutofinModel(
        load_scenario(SCENARIOS / f"{name}.yaml", overrides=list(overrides)), check=check
    )
    for _ in range(model.spec.steps):
        model.step()
    return model


def test_banks_do_not_depend_on_the_payment_terms_studied():
    # The opening balance sheets, before any warm-up step.
    baseline = AutofinModel(load_scenario(SCENARIOS / "baseline.yaml", overrides=["warmup_days=0"]))
    pledge = AutofinModel(
        load_scenario(SCENARIOS / "pledge_60_days.yaml", overrides=["warmup_days=0"])
    )
    # The pledge halves the firms' opening debt, but both start with the same banks.
    assert pledge.firms.debt.sum() < 0.8 * baseline.firms.debt.sum()
    np.testing.assert_allclose(pledge.banks.opening_capital, baseline.banks.opening_capital)
    np.testing.assert_allclose(pledge.banks.risk_assets(), baseline.banks.risk_assets(), rtol=1e-9)


@pytest.mark.parametrize("growth", [0.0, 0.5])
def test_every_line_opens_with_room_for_the_growth_the_bank_expects(growth):
    model = AutofinModel(
        load_scenario(
            SCENARIOS / "baseline.yaml",
            overrides=["warmup_days=0", f"banks.expected_sales_growth={growth}"],
        )
    )
    firms, line = model.firms, model.banks.line_contract
    debt, need = firms.debt, firms.working_capital()
    borrowers = debt > 0
    assert borrowers.sum() > 100
    room = debt + growth * need
    assert np.all(line[borrowers] >= room[borrowers] * (1 - 1e-12))
    # Where a firm's debt is large against its revenue (long receivable terms), the need at
    # the expected growth is what sizes its line; elsewhere `line_limit_days` of revenue does.
    sized_by_need = np.isclose(line, room, rtol=1e-9) & borrowers
    assert 0 < sized_by_need.sum() < borrowers.sum()


def _opened_world() -> tuple[AutofinModel, np.ndarray]:
    """The baseline as it opens (no warm-up), and the firms whose lines are due at step 1."""
    model = AutofinModel(load_scenario(SCENARIOS / "baseline.yaml", overrides=["warmup_days=0"]))
    due = np.flatnonzero((np.arange(model.firms.n) + 1) % model.banks.review_steps == 0)
    return model, due


def _review(model: AutofinModel, step: int, own_funds: np.ndarray) -> None:
    """Review the lines due at ``step``, every firm scored within the cut-off."""
    firms, banks = model.firms, model.banks
    eligible = model.finance.eligible_receivables(firms, model.trade, banks)
    leverage = firms.leverage(model.ledger.balance[: firms.n])
    banks.review_lines(firms, model.ledger, step, np.zeros(firms.n), leverage, eligible, own_funds)


def test_a_renewal_refinances_lost_own_funds_by_the_formula_and_never_cuts_a_line():
    model, due = _opened_world()
    firms, banks = model.firms, model.banks
    opened = banks.line_contract.copy()
    # Firms whose line the formula sized (long receivable terms), due for review at step 1.
    revenue_days = banks.spec.line_limit_days * firms.daily_revenue(model.spec.step_days)
    sized = due[opened[due] > 1.01 * revenue_days[due]]
    assert sized.size >= 4
    lost, gained = sized[::2], sized[1::2]
    own = firms.own_funds()
    loss = 0.05 * firms.working_capital()
    own[lost] -= loss[lost]
    own[gained] += loss[gained]
    _review(model, 1, own)
    after = banks.line_contract
    # The bank lends the planned need at the expected growth less the own funds: what a firm
    # lost of them it refinances; a firm with more keeps its line; lines not due are as opened.
    np.testing.assert_allclose(after[lost], opened[lost] + loss[lost], rtol=1e-9)
    np.testing.assert_array_equal(after[gained], opened[gained])
    not_due = np.setdiff1d(np.arange(firms.n), due)
    np.testing.assert_array_equal(after[not_due], opened[not_due])


def test_a_renewal_gives_no_new_money_to_a_firm_not_covering_its_interest_for_a_year():
    model, due = _opened_world()
    firms, banks = model.firms, model.banks
    due = due[firms.tier[due] > 0]  # suppliers (automakers' lines are not sized again)
    # At the last review each has lost its own funds and half its working capital more: more
    # than its line's room, as the formula sizes it (not so for firms whose line is set by
    # `line_limit_days` of a small revenue).
    broke = -0.5 * firms.working_capital()
    need = firms.expected_output * firms.working_capital_per_unit
    due = due[banks.formula_line(firms, need, broke)[due] > banks.line_contract[due]]
    # Cash flow over the last five quarterly reviews: L below the interest (a cash-flow margin
    # of -1%), H well above it (5%). A year is four reviews, the last one included.
    patterns = {
        "LLLLL": False,  # below at every review of the year: no raise
        "HLLLL": False,  # the H is five reviews back, out of the year
        "LHLLL": True,  # three in a row only: the H started the count again
        "LLLLH": True,  # covers its interest at the review itself
        "HHHHH": True,
    }
    assert due.size >= len(patterns)
    groups = dict(zip(patterns, np.array_split(due, len(patterns)), strict=True))
    opened = banks.line_contract.copy()
    reviews = [1 + k * banks.review_steps for k in range(5)]
    for k, step in enumerate(reviews):
        for pattern, group in groups.items():
            firms.cash_flow_margin[group] = -0.01 if pattern[k] == "L" else 0.05
        own = firms.own_funds()
        if step == reviews[-1]:
            own[due] = broke[due]
        _review(model, step, own)
    # All renewed (the score and the covenant pass): the lost own funds are lent again only to
    # firms whose cash flow covered their interest at one review of the year.
    assert not banks.line_frozen[due].any()
    for pattern, raised in patterns.items():
        group = groups[pattern]
        grew = banks.line_contract[group] > opened[group] * (1 + 1e-9)
        assert grew.all() if raised else not grew.any(), pattern


def test_capital_ratio_falls_when_borrowers_default():
    shocks = (
        "shocks=["
        + ",".join(
            f"{{type: force_default, day: 91, tier: 1, rank: {rank}}}" for rank in range(1, 6)
        )
        + "]"
    )
    fire_sale = LINES_BEYOND_COLLATERAL  # the estates cannot repay the banks in full
    falls = []
    for seed in range(3):
        calm = run("baseline", f"seed={seed}", "horizon_days=140", *fire_sale).metrics.frame()
        hit = run("baseline", f"seed={seed}", "horizon_days=140", *fire_sale, shocks)
        hit = hit.metrics.frame()
        after = calm["step"] == 13  # day 91 is in step 13
        assert float(hit["bank_credit_losses"][after].iloc[0]) > float(
            calm["bank_credit_losses"][after].iloc[0]
        )
        falls.append(
            float(hit["bank_capital_ratio"][after].iloc[0])
            < float(calm["bank_capital_ratio"][after].iloc[0])
        )
    assert all(falls)


def test_a_bank_hit_hard_enough_stops_lending_then_fails():
    # One bank whose whole book is the stressed automotive sector (with no warm-up: it
    # would fail before day 0).
    scenario = load_scenario(
        SCENARIOS / "long_terms_stress.yaml",
        overrides=["seed=1", "warmup_days=0", "banks.count=1", "banks.automotive_share=1"],
    )
    model = AutofinModel(scenario, check=True)
    minimum = scenario.banks.min_capital_ratio
    # The bank decides on the step's draws once it has scored its borrowers and provisioned
    # for the new scores, and may lend what keeps it at its minimum ratio then. Its ratio at
    # the end of the step is not what it decided on: what it collects in between can lift
    # it back above the minimum.
    start_step = model.finance.start_step
    ratio_at_decision, room_at_decision = [], []

    def decide(*args):
        start_step(*args)
        capital, assets = model.banks.capital(model.ledger)[0], model.banks.risk_assets()[0]
        ratio_at_decision.append(capital / assets)
        room_at_decision.append(capital / minimum - assets)

    model.finance.start_step = decide
    while model.step_index < model.spec.steps:
        model.step()
    series = model.metrics.frame()
    lending = series["bank_lending_volume"].to_numpy()
    ratio, room = np.array(ratio_at_decision), np.array(room_at_decision)
    assert ratio.size == room.size == lending.size
    # Its capital limits its lending: never more than the room it had when it decided.
    assert (lending <= np.maximum(room, 0.0)).all()
    below = np.flatnonzero(series["bank_capital_ratio"].to_numpy() < minimum)
    failed = np.flatnonzero(series["bank_failures"].to_numpy() > 0)
    assert below.size
    assert failed.size
    stopped, failure = int(below[0]), int(failed[0])
    assert lending[:stopped].sum() > 0  # it lent while it had capital...
    assert stopped <= failure  # ...its capital fell below the minimum, then it failed...
    # ...having stopped lending before its capital was exhausted, below the minimum at every
    # decision from then on (a step's provisions can lift the ratio back above it for a
    # while, and lending resumes).
    last = int(np.flatnonzero(lending > 0)[-1])
    assert last < failure
    assert (ratio[last + 1 : failure + 1] < minimum).all()
    assert series["bank_capital"].iloc[last + 1] > 0.0
    assert model.banks.failed.all()
    # It failed when its capital was exhausted (the run-off may rebuild some afterwards).
    assert series["bank_capital"].iloc[failure] <= 0.0


def test_reserves_never_go_negative_a_facility_covers_the_shortfall():
    model = AutofinModel(load_scenario(SCENARIOS / "baseline.yaml", overrides=["banks.count=1"]))
    banks, ledger = model.banks, model.ledger
    reserves = float(banks.reserves(ledger)[0])
    capital = float(banks.capital(ledger)[0])
    # The bank lends twice its reserves to one firm.
    banks.grant(model.firms, ledger, 1, np.array([5]), np.array([2 * reserves]), np.array([0.05]))
    assert banks.reserves(ledger)[0] == 0.0
    assert banks.facility[0] == pytest.approx(reserves)
    assert banks.capital(ledger)[0] == pytest.approx(capital)
    # The facility costs more than funding and is repaid once reserves come back.
    ledger.post(5, banks.accounts[0], 3 * reserves, Flow.LOAN_REPAYMENT)
    banks.settle_facility(ledger)
    assert banks.facility[0] == 0.0
    assert banks.funding_costs[0] > 0.0
    # Whole runs check that reserves are never negative after any step (check=True).
    run("long_terms_stress", "seed=1", "banks.count=1", "banks.automotive_share=1.0", check=True)


def _banks(count: int, firms: int, seed: int = 0) -> Banks:
    spec = load_scenario(SCENARIOS / "baseline.yaml", overrides=[f"banks.count={count}"]).banks
    streams = tuple(np.random.default_rng([seed, bank]) for bank in range(count))
    house_bank = np.random.default_rng(seed).integers(0, count, size=firms)
    return build_banks(spec, np.arange(count), firms, 7, streams, house_bank)


def test_each_banks_scoring_error_is_drawn_from_its_own_stream_in_firm_order():
    banks = _banks(4, 500)
    noise = banks.spec.scoring_noise
    house_bank = banks.part_bank[0]
    other_bank = np.random.default_rng(9).integers(0, 4, size=500)
    # The same banks twice (the second reuses the sort of the first), then other banks.
    for bank in (house_bank, house_bank.copy(), other_bank):
        expected = np.zeros(bank.size)
        before = [np.random.default_rng() for _ in range(4)]
        for stream, copy in zip(banks.scoring.streams, before, strict=True):
            copy.bit_generator.state = stream.bit_generator.state
        for b, stream in enumerate(before):
            expected[bank == b] = stream.normal(0.0, noise, size=int((bank == b).sum()))
        error = banks.scoring.error(bank)
        assert np.array_equal(error, expected)


@pytest.mark.parametrize("empty_bank", [False, True])
def test_the_learnt_shift_gives_each_bank_its_target_hazard(empty_bank):
    rng = np.random.default_rng(3)
    log_odds = rng.normal(-1.0, 2.0, size=2000)  # PDs up to near 1: Newton needs several steps
    bank = rng.integers(0, 5, size=2000)
    live = rng.random(2000) < 0.9
    if empty_bank:
        live &= bank != 2  # a bank without a live client keeps its start
    hazard = np.logaddexp(0.0, log_odds)
    target = np.array([1.7, 0.4, 3.0, 1.0, 12.0]) * np.bincount(bank, hazard * live, minlength=5)
    start = rng.normal(0.0, 0.3, size=5)
    shift = intercept_for_hazard(log_odds, bank, live, target, start)
    reached = np.bincount(bank, np.logaddexp(0.0, log_odds + shift[bank]) * live, minlength=5)
    has = np.bincount(bank, live, minlength=5) > 0
    # Converged to well within the precision any rule could notice (1e-9 of the target).
    np.testing.assert_allclose(reached[has], target[has], rtol=1e-9)
    assert np.array_equal(shift[~has], start[~has])


def test_a_bank_left_with_rounding_remainders_reports_no_npl_ratio_from_them():
    # Books that were repaid down to rounding (|claims| ~ 1e-9) gave NPL ratios of -19% or
    # +67% in a world whose banks had all failed: a ratio of two remainders.
    banks = _banks(2, 10)
    loan = Instrument.BANK_LOAN
    banks.exposure[loan] = [4.2e-9, 1_000_000.0]
    banks.npl[loan] = [-8.1e-10, 50_000.0]
    assert banks.npl_ratio_by_bank()[0] == 0.0
    assert banks.npl_ratio(bank=0) == 0.0
    assert banks.npl_ratio_by_bank()[1] == pytest.approx(50_000 / 1_050_000)
    # Rounding grows with the books (3e-9 in the baseline, 3e-7 at 10,000 suppliers): a bank
    # of a national world, opening with 5 billion, may leave remainders past 1e-6.
    banks.opening_capital = np.array([5e9, 5e9])
    banks.exposure[loan] = [4.0e-5, 1_000_000.0]
    banks.npl[loan] = [-1.0e-5, 50_000.0]
    assert banks.npl_ratio(bank=0) == 0.0
    assert banks.npl_ratio_by_bank().tolist() == pytest.approx([0.0, 50_000 / 1_050_000])
