"""Banks learn their PD models from the defaults they observe.

Realised default frequency: supplier defaults per supplier-year active, over the steps after
the warm-up (the warm-up is the burn-in), seeds pooled (0-2 unless a test says otherwise). The
scored side is the same population's mean scored PD expressed as an annual hazard,
-ln(1 - PD) (`scored_hazard_mean`), the unit in which defaults per borrower-year are counted
(they coincide for small PDs).
"""

from __future__ import annotations

import numpy as np
import pytest

from autofin.scenario.loading import load_scenario
from autofin.scenario.schema import ScoringSpec
from autofin.world.model import AutofinModel, simulate
from conftest import SCENARIOS

NEVER_LEARN = "banks.scoring.learning_prior=1e15"


def scored_and_realised(name: str, *overrides: str, seeds: range = range(3)) -> tuple[float, float]:
    """Mean scored hazard and realised defaults per borrower-year after the warm-up."""
    scored, defaults, firm_steps = 0.0, 0.0, 0.0
    for seed in seeds:
        scenario = load_scenario(SCENARIOS / f"{name}.yaml", overrides=[f"seed={seed}", *overrides])
        series = simulate(scenario).timeseries
        scored += float((series["scored_hazard_mean"] * series["suppliers_active"]).sum())
        defaults += float(series["supplier_defaults"].sum())
        firm_steps += float(series["suppliers_active"].sum())
    steps_per_year = 365.0 / scenario.step_days
    return scored / firm_steps, defaults / firm_steps * steps_per_year


def test_a_firm_scores_higher_the_longer_it_is_past_due():
    # `past_due` is log-odds per month of 30 days late; a firm up to date gets none of it.
    model = AutofinModel(
        load_scenario(
            SCENARIOS / "baseline.yaml", overrides=["banks.scoring_noise=0", "warmup_days=0"]
        )
    )
    firms, banks = model.firms, model.banks
    cash = model.ledger.balance[: firms.n]
    firm = int(np.flatnonzero(firms.tier == 2)[0])
    log_odds = []
    for weeks_late in (0, 1, 4):
        firms.arrears_steps[firm] = weeks_late  # weekly steps
        pd = banks.score(firms, cash, np.arange(firms.n))[firm]
        log_odds.append(float(np.log(pd / (1.0 - pd))))
    weight = model.spec.banks.scoring.past_due
    assert log_odds[0] < log_odds[1] < log_odds[2]
    assert log_odds[2] - log_odds[0] == pytest.approx(weight * 28 / 30, rel=1e-6)


def test_scored_pd_within_a_factor_of_1_5_of_realised_frequency_under_stress():
    # The cascade's survivors fall past due before they fail; the months past due in the
    # score see it (without them the scores were 0.43 of the realised frequency).
    learnt, realised = scored_and_realised("long_terms_stress")
    assert abs(np.log(learnt / realised)) < np.log(1.5)


@pytest.mark.robustness  # twelve seeds
@pytest.mark.xfail(
    strict=True,
    reason="issue 8: measured 2026-12-03 with months past due in the score, seeds 0-11 (17 "
    "defaults): 0.00508 scored against 0.00139 realised, 3.6 (never learning 4.2): firms up "
    "to date are scored far above the rate at which they fail, and a bank that sees two "
    "defaults a run moves little from its prior; see docs/calibration.md",
)
def test_scored_pd_within_a_factor_of_1_5_of_realised_frequency_in_the_baseline():
    # Few defaults (about two a run): twelve seeds, so that the frequency is not one seed's luck.
    learnt, realised = scored_and_realised("baseline", seeds=range(12))
    assert abs(np.log(learnt / realised)) < np.log(1.5)


@pytest.mark.robustness  # two sets of three stressed runs a case
@pytest.mark.parametrize("error", [1.5, -1.5])
def test_a_mis_set_model_learns_toward_the_defaults_its_bank_sees(error):
    # A model whose intercept is off by `error` (scores about 4.5 times too high, or too
    # low): a learning bank moves its scores towards the defaults it sees, and ends nearer
    # the realised frequency than a bank that never learns. Lines are renewed whatever the
    # score here, so that the defaults depend less on the scores they are compared with
    # (with the cut-off, scores too high freeze lines until the defaults bear them out).
    intercept = ScoringSpec().intercept + error
    mis_set = [f"banks.scoring.intercept={intercept}", "banks.max_probability_of_default=1"]
    learnt, realised = scored_and_realised("long_terms_stress", *mis_set)
    fixed, realised_fixed = scored_and_realised("long_terms_stress", NEVER_LEARN, *mis_set)
    assert (learnt < fixed) if error > 0 else (learnt > fixed)
    assert abs(np.log(learnt / realised)) < abs(np.log(fixed / realised_fixed))
