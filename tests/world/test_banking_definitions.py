"""Banking definitions: NPL at 90 days past due, provisions by expected loss, charge-offs."""

from __future__ import annotations

import numpy as np
import pytest

from autofin.scenario.loading import load_scenario
from autofin.world.auto_loans import unit_schedules
from autofin.world.banks import Instrument
from autofin.world.model import AutofinModel
from conftest import SCENARIOS


@pytest.fixture
def model() -> AutofinModel:
    # The opening books, without a warm-up: the tests below book and classify by hand from
    # a known state (a warmed-up model already carries car loans in arrears and provisions,
    # and its car-loan book counts steps from before day 0).
    return AutofinModel(load_scenario(SCENARIOS / "baseline.yaml", overrides=["warmup_days=0"]))


def test_a_loan_90_days_past_due_is_non_performing_before_its_borrower_defaults(model):
    firms, banks = model.firms, model.banks
    pd = np.full(firms.n, 0.01)
    banks.classify(firms, pd, model.spec.step_days)
    assert banks.npl_ratio(Instrument.BANK_LOAN) == 0.0
    borrower = int(np.argmax(firms.debt))
    step_days = model.spec.step_days
    firms.arrears_steps[borrower] = 89 // step_days  # under 90 days: delinquent, performing
    banks.classify(firms, pd, model.spec.step_days)
    assert banks.npl_ratio(Instrument.BANK_LOAN) == 0.0
    firms.arrears_steps[borrower] = -(-90 // step_days)
    banks.classify(firms, pd, model.spec.step_days)
    bank = firms.house_bank[borrower]
    assert banks.non_performing()[Instrument.BANK_LOAN, bank] == pytest.approx(firms.debt[borrower])
    gross = banks.exposure[Instrument.BANK_LOAN].sum()
    assert banks.npl_ratio(Instrument.BANK_LOAN) == pytest.approx(firms.debt[borrower] / gross)


def test_performing_loans_are_provisioned_at_their_expected_loss_charged_to_capital(model):
    firms, banks, ledger = model.firms, model.banks, model.ledger
    lgd = banks.spec.loss_given_default
    capital = banks.capital(ledger).copy()
    pd = np.full(firms.n, 0.02)
    banks.classify(firms, pd, model.spec.step_days)
    loans = np.bincount(firms.house_bank, firms.debt, minlength=banks.count)
    np.testing.assert_allclose(banks.expected_loss[Instrument.BANK_LOAN], 0.02 * lgd * loans)
    np.testing.assert_allclose(capital - banks.capital(ledger), banks.provision_charges)
    # Riskier borrowers: more provisions, less capital, before anyone defaults.
    banks.classify(firms, pd * 2, model.spec.step_days)
    np.testing.assert_allclose(banks.expected_loss[Instrument.BANK_LOAN], 0.04 * lgd * loans)
    assert np.all(banks.capital(ledger) < capital - 0.03 * lgd * loans)


def test_a_car_loan_is_non_performing_at_90_days_past_due_and_charged_off_at_120(model):
    banks, ledger, loans = model.banks, model.ledger, model.market.loans
    step_days = model.spec.step_days
    amount, price = 20_000.0, 25_000.0
    # One loan whose borrower misses the third instalment.
    loans.book(0, np.array([0]), np.array([amount]), np.array([3]), np.array([False]),
               np.array([price]), banks, np.array([0.06]))  # fmt: skip
    missed_step = int(loans.due_offset[2])
    carrying = amount * unit_schedules(np.array([0.06]), loans.spec.term_months)[0][0, 2]
    reserves = float(banks.reserves(ledger)[0])
    income = float(banks.interest_income[0])
    seen = {}
    last = missed_step + loans.npl_delay + loans.charge_off_delay
    for step in range(1, last + 1):
        loans.collect(step, banks, ledger, model.consumer_account)
        banks.write_off(step)
        seen[step] = (
            float(banks.exposure[Instrument.CONSUMER_LOAN, 0]),
            float(banks.non_performing()[Instrument.CONSUMER_LOAN, 0]),
        )
    days_past_due = {step: (step - missed_step) * step_days for step in seen}
    for step, (exposure, non_performing) in seen.items():
        if days_past_due[step] < 90:
            assert non_performing == 0.0
            assert exposure > 0.0
        elif days_past_due[step] < 120:
            assert exposure == pytest.approx(0.0, abs=1e-6)
            assert non_performing == pytest.approx(carrying)  # gross, not net of recovery
        else:
            assert non_performing == pytest.approx(0.0, abs=1e-6)
    # Charged off: the car's proceeds are in, the rest is a loss.
    losses = float(banks.losses_by_instrument[Instrument.CONSUMER_LOAN, 0])
    interest = float(banks.interest_income[0]) - income
    repaid = amount - carrying  # principal of the first two instalments
    recovered = float(banks.reserves(ledger)[0]) - reserves - interest - repaid
    assert losses > 0
    assert recovered > 0
    assert recovered + losses == pytest.approx(carrying)
