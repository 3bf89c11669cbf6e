"""The plain-Mesa rival (`benchmarks/mesa_world.py`) runs autofin's rules.

1. In distribution: both run the `scf_none` world (20,000 consumers, three years after the
   one-year warm-up) over the same seeds, each from the world autofin builds for that seed;
   the rival draws its own random numbers. For every headline figure Welch's two-sample t-test
   must not reject equal means at a Bonferroni-corrected level (family-wise 1% over the
   figures). The same comparison must reject a rival whose automaker pays its suppliers in 60
   days instead of 170, and (marked ``robustness``) hold in a stressed world with many
   supplier defaults, where their count is compared too.
2. In lockstep: with the same random numbers (the rival is fed autofin's cost shocks and
   scoring errors, re-sourcing picks the largest candidate in both, and the automaker sells a
   fixed demand in both), the supply side and the banks of a stressed world, where most
   suppliers default, follow autofin firm by firm and step by step.
"""

from __future__ import annotations

import math
import sys
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

from autofin.scenario.loading import load_scenario
from autofin.world import production
from autofin.world.ledger import Flow

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import mesa_world  # noqa: E402

FIGURES = [
    "sales_units",
    "production_units",
    "leads",
    "loan_applications",
    "loan_approvals",
    "consumer_loans_booked",
    "consumer_loan_defaults",
    "bank_lending_volume",
    "bank_loans_final",
]
"""Headline figures compared (supplier defaults are too rare at this size: see the module)."""

FAMILY_ALPHA = 0.01
SEEDS = range(8)
OVERRIDES = {"consumers.population": 20_000, "horizon_days": 1095}


class ShortTermsRival(mesa_world.MesaWorld):
    """A broken rival: the automaker pays its suppliers in 60 days (autofin: 170)."""

    def _convert(self, world):  # type: ignore[no-untyped-def]
        super()._convert(world)
        for edge in self.edges:
            if edge.customer.is_automaker:
                edge.term = round(60 / self.step_days)


def _runs(
    rival: type[mesa_world.MesaWorld],
    figures: list[str] = FIGURES,
    seeds: range = SEEDS,
    overrides: dict[str, Any] = OVERRIDES,
) -> tuple[dict, dict]:
    """Each figure over the seeds: the rival's and autofin's."""
    ours: dict[str, list[float]] = {name: [] for name in figures}
    theirs: dict[str, list[float]] = {name: [] for name in figures}
    for seed in seeds:
        scenario = load_scenario(
            ROOT / "scenarios" / "scf_none.yaml", overrides={**overrides, "seed": seed}
        )
        world = rival(scenario)
        for _ in range(world.warmup_steps + scenario.steps):
            world.step()
        summary, reference = world.summary(), mesa_world.autofin_summary(scenario)
        for name in figures:
            ours[name].append(summary[name])
            theirs[name].append(reference[name])
    return ours, theirs


def _rejected(ours: dict, theirs: dict) -> dict[str, float]:
    """Figures whose means differ at the corrected level, with their p-values."""
    level = FAMILY_ALPHA / len(ours)
    rejected = {}
    for name in ours:
        a, b = np.asarray(ours[name]), np.asarray(theirs[name])
        if a.std() == 0 and b.std() == 0:
            p = 1.0 if a.mean() == b.mean() else 0.0
        else:
            p = float(stats.ttest_ind(a, b, equal_var=False).pvalue)
        if p < level:
            rejected[name] = p
    return rejected


def test_rival_agrees_with_autofin_in_distribution() -> None:
    ours, theirs = _runs(mesa_world.MesaWorld)
    assert _rejected(ours, theirs) == {}


@pytest.mark.robustness
def test_comparison_rejects_a_broken_rival() -> None:
    ours, theirs = _runs(ShortTermsRival)
    assert _rejected(ours, theirs)


STRESSED = {**OVERRIDES, "suppliers.cost_shock_sd": 0.08}
"""Cost shocks twice the baseline's: about ten supplier defaults a run."""


@pytest.mark.robustness
def test_rival_agrees_in_a_world_with_supplier_defaults() -> None:
    figures = [*FIGURES, "supplier_defaults"]
    ours, theirs = _runs(mesa_world.MesaWorld, figures, range(16), STRESSED)
    assert np.mean(theirs["supplier_defaults"]) >= 5  # the comparison has defaults to see
    assert _rejected(ours, theirs) == {}


# ---------------------------------------------------------------------------- lockstep
def _demand(t: int) -> float:
    """The fixed vehicle demand of step ``t`` in the lockstep runs."""
    return 5.0 + 3.0 * math.sin(t / 5.0)


def _lockstep_pair(overrides: dict[str, Any]) -> tuple[Any, mesa_world.MesaWorld]:
    """autofin (unwarmed) and the rival on the same world, sharing their random numbers."""
    scenario = load_scenario(ROOT / "scenarios" / "scf_none.yaml", overrides=overrides)
    model = mesa_world.unwarmed_autofin(scenario)
    model._open_records()
    world = mesa_world.MesaWorld(scenario, mesa_world.unwarmed_autofin(scenario))
    shared: deque[float] = deque()
    smoothing = scenario.automakers.forecast_smoothing

    class Recorded:
        """autofin's cost-shock stream, keeping its draws for the rival."""

        def __init__(self, stream: np.random.Generator) -> None:
            self.stream = stream

        def normal(self, *args: Any, **kwargs: Any) -> np.ndarray:
            draws = self.stream.normal(*args, **kwargs)
            shared.extend(np.asarray(draws).tolist())
            return draws

    class Largest:
        """Re-sourcing picks the largest candidate."""

        @staticmethod
        def choice(candidates: np.ndarray, size: int, p: np.ndarray) -> np.ndarray:
            return np.full(size, candidates[int(np.argmax(p))])

    object.__setattr__(model.streams, "cost_shocks", Recorded(model.streams.cost_shocks))
    object.__setattr__(model.streams, "resourcing", Largest())
    scoring_error = model.banks.scoring.error

    def recorded_error(bank: np.ndarray) -> np.ndarray:
        error = scoring_error(bank)
        shared.extend(error.tolist())
        return error

    model.banks.scoring.error = recorded_error

    def sell_autofin(t: int, factor: float, activity: Any) -> None:
        firms = model.firms
        wanted = _demand(t)
        sold = math.floor(min(wanted, firms.output_inventory[0] + 1e-9)) * firms.active[0]
        firms.output_inventory[0] -= sold
        model.ledger.post(model.ledger.outside, 0, sold * firms.price[0], Flow.VEHICLE_SALES)
        demand, value = np.zeros(firms.n), np.zeros(firms.n)
        demand[0], value[0] = wanted, sold * firms.price[0]
        production.update_forecasts(firms, demand, firms.is_automaker, smoothing)
        activity.sales_value = value

    def sell_rival(t: int) -> None:
        maker = world.makers[0]
        wanted = _demand(t)
        sold = math.floor(min(wanted, maker.output_inventory + 1e-9)) if maker.active else 0
        maker.output_inventory -= sold
        maker.cash += sold * maker.price
        maker.revenue_now += sold * maker.price
        maker.forecast += smoothing * (wanted - maker.forecast)

    model._sell_vehicles = sell_autofin
    world.sell_vehicles = sell_rival
    world.random.gauss = lambda mu, sigma: shared.popleft()
    world.random.choices = lambda population, weights, k: [population[int(np.argmax(weights))]] * k
    return model, world


def _differences(model: Any, world: mesa_world.MesaWorld) -> dict[str, float]:
    """Largest difference of each state variable, relative to max(|autofin's|, 1)."""
    firms, rival = model.firms, world.firms
    pairs = {
        "active": (firms.active, [f.active for f in rival]),
        "cash": (model.ledger.balance[: firms.n], [f.cash for f in rival]),
        "debt": (firms.debt, [f.debt for f in rival]),
        "receivables": (firms.receivables, [f.receivables for f in rival]),
        "payables": (firms.payables, [f.payables for f in rival]),
        "output_inventory": (firms.output_inventory, [f.output_inventory for f in rival]),
        "price": (firms.price, [f.price for f in rival]),
        "order_forecast": (firms.order_forecast, [f.forecast for f in rival]),
        "line_limit": (model.banks.line_limit, [f.line_limit for f in rival]),
        "arrears_steps": (firms.arrears_steps, [f.arrears_steps for f in rival]),
        "low_cover_reviews": (
            model.banks.low_cover_reviews,
            [f.low_cover_reviews for f in rival],
        ),
        "bank_reserves": (
            model.ledger.balance[model.bank_accounts],
            [b.cash for b in world.banks],
        ),
        "bank_capital": (model.banks.capital(model.ledger), [b.capital() for b in world.banks]),
    }
    out = {}
    for name, (theirs, ours) in pairs.items():
        a, b = np.asarray(theirs, dtype=float), np.asarray(ours, dtype=float)
        out[name] = float((np.abs(a - b) / np.maximum(np.abs(a), 1.0)).max())
    return out


def test_supply_side_and_banks_follow_autofin_in_lockstep() -> None:
    overrides = {"consumers.population": 20_000, "suppliers.equity_days": 30, "seed": 1}
    model, world = _lockstep_pair(overrides)
    steps = model.warmup_steps + model.spec.steps
    gated = 0  # supplier-steps past a year of reviews below the minimum interest cover
    for _ in range(steps):
        model._advance()
        world.step()
        worst = _differences(model, world)
        assert worst["active"] == 0.0, f"step {model.step_index}: different defaults"
        assert max(worst.values()) < 1e-6, f"step {model.step_index}: {worst}"
        low = model.banks.low_cover_reviews >= model.banks.cover_reviews
        gated += int((low & model.firms.active & (model.firms.tier > 0)).sum())
    # The stress did its work: many defaults, re-sourcing and bank losses were compared, and
    # some suppliers went a year without covering their interest.
    assert model.firms.active.sum() < model.firms.n - 30
    assert gated > 0


def test_lines_follow_their_borrowing_base_in_lockstep() -> None:
    # At an advance rate of 1 the base lifts tier-1 lines above their contracts, and between
    # reviews their limits follow it down and up: the rival's lines must do the same.
    overrides = {"consumers.population": 20_000, "seed": 1, "banks.receivables_advance_rate": 1.0}
    model, world = _lockstep_pair(overrides)
    above = followed = 0
    for _ in range(model.warmup_steps + model.spec.steps):
        model._advance()
        world.step()
        worst = _differences(model, world)
        assert worst["active"] == 0.0, f"step {model.step_index}: different defaults"
        assert max(worst.values()) < 1e-6, f"step {model.step_index}: {worst}"
        banks = model.banks
        open_line = model.firms.active & ~banks.line_frozen
        above += int((open_line & (banks.line_limit > banks.line_contract * (1 + 1e-9))).sum())
        approved = banks.part_approved.sum(axis=0)
        followed += int((open_line & (banks.line_limit < approved * (1 - 1e-9))).sum())
    assert above > 100
    assert followed > 100
