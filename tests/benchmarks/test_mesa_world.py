"""The plain-Mesa rival (`benchmarks/mesa_world.py`) and autofin agree in distribution.

Both run the `scf_none` world (20,000 consumers, three years after the one-year warm-up) over
the same seeds, each from the world autofin builds for that seed; the rival draws its own
random numbers. For every headline figure Welch's two-sample t-test must not reject equal
means at a Bonferroni-corrected level (family-wise 1% over the figures). The same comparison
must reject a rival whose automaker pays its suppliers in 60 days instead of 170.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from autofin.scenario.loading import load_scenario

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


def _runs(rival: type[mesa_world.MesaWorld]) -> tuple[dict, dict]:
    """Each figure over the seeds: the rival's and autofin's."""
    ours: dict[str, list[float]] = {name: [] for name in FIGURES}
    theirs: dict[str, list[float]] = {name: [] for name in FIGURES}
    for seed in SEEDS:
        scenario = load_scenario(
            ROOT / "scenarios" / "scf_none.yaml", overrides={**OVERRIDES, "seed": seed}
        )
        world = rival(scenario)
        for _ in range(world.warmup_steps + scenario.steps):
            world.step()
        summary, reference = world.summary(), mesa_world.autofin_summary(scenario)
        for name in FIGURES:
            ours[name].append(summary[name])
            theirs[name].append(reference[name])
    return ours, theirs


def _rejected(ours: dict, theirs: dict) -> dict[str, float]:
    """Figures whose means differ at the corrected level, with their p-values."""
    level = FAMILY_ALPHA / len(FIGURES)
    rejected = {}
    for name in FIGURES:
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
