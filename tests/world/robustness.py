"""The documented mechanisms under other cut-offs, thresholds and scoring features.

Shared by `tests/world/test_robustness.py` and `benchmarks/robustness.py` (which prints the
table of mean defaults and financing rates per variant).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from autofin.results.result import Result
from autofin.scenario.loading import load_scenario
from autofin.world.model import simulate
from conftest import SCENARIOS

SEEDS = range(8)
"""The seeds every variant is measured on."""

DECIDING_SEEDS = range(32)
"""The seeds a variant is decided on when a direction ties on `SEEDS` (its means equal): a
tie on eight seeds says nothing either way, so the variant is measured again on these and
every direction must then hold strictly."""

VARIANTS: dict[str, list[str]] = {
    "defaults": [],
    "max_pd -25%": ["banks.max_probability_of_default=0.15"],
    "max_pd +25%": ["banks.max_probability_of_default=0.25"],
    "grace -25%": ["banks.grace_days=21"],
    "grace +25%": ["banks.grace_days=35"],
    "insolvency -25%": ["banks.insolvency_days=68"],
    "insolvency +25%": ["banks.insolvency_days=114"],
    "covenant -25%": ["banks.covenant_headroom=0.5625"],
    "covenant +25%": ["banks.covenant_headroom=0.9375"],
    "covenant off": ["banks.covenant_headroom=1.0"],
    "expected growth -25%": ["banks.expected_sales_growth=0.03"],
    "expected growth +25%": ["banks.expected_sales_growth=0.05"],
    "line limit -25%": ["banks.line_limit_days=90"],
    "line limit +25%": ["banks.line_limit_days=150"],
    "borrowing base -25%": ["banks.receivables_advance_rate=0.6"],
    "borrowing base +25%": ["banks.receivables_advance_rate=1.0"],
    "borrowing base off": ["banks.receivables_advance_rate=0"],
    "line re-sizing off": ["banks.resize_lines_at_renewal=false"],
    "cover test -25%": ["banks.resize_min_interest_cover=0.75"],
    "cover test +25%": ["banks.resize_min_interest_cover=1.25"],
    "cover test off": ["banks.resize_min_interest_cover=0"],
    "finance constraint off": ["suppliers.finance_constrained_production=false"],
    "inputs follow business off": ["suppliers.inputs_follow_business=false"],
    **{
        f"no {feature}": [f"banks.scoring.{feature}=0"]
        for feature in ("leverage", "cash_flow", "interest_cover", "arrears", "tier")
    },
}
"""Each variant's overrides: cut-off and thresholds ±25%, or one scoring feature or mechanism
off."""

CASES: dict[str, tuple[str, list[str]]] = {
    "pledge 60d": ("pledge_60_days", []),
    "scf_none 170d": ("scf_none", []),
    "scf_none 240d": ("scf_none", ["automakers.payment_term_days=240"]),
    "platform 170d": ("platform_reverse_factoring", []),
}


def parse_seeds(text: str) -> range:
    """The seeds of ``FIRST-LAST`` (as ``0-31``), both included.

    Raises:
        ValueError: ``text`` is not two integers, the first at most the second.
    """
    try:
        first, last = (int(part) for part in text.split("-"))
    except ValueError:
        raise ValueError(f"seeds {text!r}: expected FIRST-LAST, as 0-31") from None
    if last < first:  # (a negative seed cannot be written: "-1-5" splits into three)
        raise ValueError(f"seeds {text!r}: expected FIRST <= LAST, as 0-31")
    return range(first, last + 1)


def runs(overrides: list[str], seeds: range = SEEDS) -> Iterator[tuple[str, Result]]:
    """Every case run on every seed of ``seeds`` with ``overrides``: (case, result), in order."""
    for case, (name, extra) in CASES.items():
        for seed in seeds:
            scenario = load_scenario(
                SCENARIOS / f"{name}.yaml", overrides=[f"seed={seed}", *extra, *overrides]
            )
            yield case, simulate(scenario)


def per_seed(overrides: list[str], seeds: range = SEEDS) -> dict[str, dict[str, np.ndarray]]:
    """Supplier defaults and supplier financing rate of every case, one value per seed."""
    rows: dict[str, dict[str, list[float]]] = {c: {"defaults": [], "rate": []} for c in CASES}
    for case, result in runs(overrides, seeds):
        rows[case]["defaults"].append(float(result.summary["supplier_defaults"]))
        rows[case]["rate"].append(float(result.summary["supplier_financing_rate"]))
    return {c: {k: np.array(v) for k, v in m.items()} for c, m in rows.items()}


def means(values: dict[str, dict[str, np.ndarray]]) -> dict[str, dict[str, float]]:
    """Mean defaults and financing rate (ignoring seeds without finance) of every case."""
    return {
        case: {"defaults": float(v["defaults"].mean()), "rate": float(np.nanmean(v["rate"]))}
        for case, v in values.items()
    }


def directions(m: dict[str, dict[str, float]], strict: bool = True) -> dict[str, bool]:
    """Whether each documented mechanism holds in the measured means.

    Args:
        m: Mean defaults and financing rate of every case (`measure`).
        strict: Each holds when its side is strictly below the other; with False, a tie
            holds too (so that a tie can be told from a reversal).
    """
    below = np.less if strict else np.less_equal
    return {
        "longer terms, more defaults": bool(
            below(m["pledge 60d"]["defaults"], m["scf_none 170d"]["defaults"])
            and below(m["scf_none 170d"]["defaults"], m["scf_none 240d"]["defaults"])
        ),
        "reverse factoring, fewer defaults": bool(
            below(m["platform 170d"]["defaults"], m["scf_none 170d"]["defaults"])
        ),
        "reverse factoring, cheaper finance": bool(
            below(m["platform 170d"]["rate"], m["scf_none 170d"]["rate"])
        ),
        "60-day pledge, fewer defaults": bool(
            below(m["pledge 60d"]["defaults"], m["scf_none 170d"]["defaults"])
        ),
    }
