"""The documented mechanisms under other cut-offs, thresholds and scoring features.

Shared by `tests/world/test_robustness.py` and `benchmarks/robustness.py` (which prints the
table of mean defaults and financing rates per variant).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import numpy as np

from autofin.results.result import Result
from autofin.scenario.loading import load_scenario
from autofin.world.model import simulate
from conftest import SCENARIOS

SEEDS = range(8)
"""The seeds every variant is measured on."""

DECIDING_SEEDS = range(32)
"""The seeds a variant is decided on when eight seeds leave a direction undecided
(`verdicts`); `SEEDS` is its beginning."""

DECISIVE = 1.5
"""On `SEEDS`, a link of a direction is decided when its paired difference is this many
standard errors from zero, either way (and in the direction of its sign); nearer zero, the
variant is measured on `DECIDING_SEEDS` and decided by the sign of the mean difference."""

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
    "loan term -25%": ["banks.loan_term_days=68"],
    "loan term +25%": ["banks.loan_term_days=113"],
    "repay first -25%": ["banks.repay_first_days=5"],
    "repay first off (roll over)": ["banks.roll_over_maturing_draws=true"],
    "consumers -25%": ["consumers.population=37500"],
    "consumers +25%": ["consumers.population=62500"],
    "payout while indebted off": ["suppliers.payout_while_indebted=false"],
    "finance constraint off": ["suppliers.finance_constrained_production=false"],
    "inputs follow business off": ["suppliers.inputs_follow_business=false"],
    **{
        f"no {feature}": [f"banks.scoring.{feature}=0"]
        for feature in ("leverage", "cash_flow", "interest_cover", "arrears")
    },
}
"""Each variant's overrides: cut-off and thresholds ±25%, the line's term, the days of maturities
repaid first and the population ±25%, or one scoring feature or mechanism off. (The
scorecard's tier weight is 0, `banks.scoring.tier`: the fit finds none once cash flow and
arrears are scored, so "no tier" would be the defaults row again. `repay_first_days` +25%, 9
days, would be the defaults row too: a 7-day step has only 7 days of maturities.)"""

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


class Link(NamedTuple):
    """One paired difference of a direction: ``larger`` less ``smaller`` case, in ``measure``.

    Attributes:
        measure: ``defaults`` or ``rate``.
        larger: The case expected to have more of it.
        smaller: The case expected to have less.
        errors: Standard errors from zero its mean needs on `SEEDS` to decide (`verdicts`).
    """

    measure: str
    larger: str
    smaller: str
    errors: float

    def gap(self, values: dict[str, dict[str, np.ndarray]]) -> np.ndarray:
        """The difference, one value per seed."""
        return values[self.larger][self.measure] - values[self.smaller][self.measure]


TERMS_240 = Link("defaults", "scf_none 240d", "scf_none 170d", 0.0)
"""170 to 240 days. A few seeds lose many suppliers at 240 days: on eight seeds the mean is
noise as often as not (docs/instruments.md), so only its sign is asked for there."""
PLEDGE = Link("defaults", "scf_none 170d", "pledge 60d", DECISIVE)
PLATFORM = Link("defaults", "scf_none 170d", "platform 170d", DECISIVE)
PLATFORM_RATE = Link("rate", "scf_none 170d", "platform 170d", DECISIVE)

LINKS: dict[str, list[Link]] = {
    "longer terms, more defaults": [PLEDGE, TERMS_240],
    "reverse factoring, fewer defaults": [PLATFORM],
    "reverse factoring, cheaper finance": [PLATFORM_RATE],
    "60-day pledge, fewer defaults": [PLEDGE],
}
"""Each direction as the paired differences that are all positive when it holds."""


def verdicts(
    values: dict[str, dict[str, np.ndarray]], decisive: bool = True
) -> dict[str, bool | None]:
    """Whether each direction holds (True), reverses (False) or is undecided (None).

    Args:
        values: Defaults and financing rate of every case, one value per seed (`per_seed`).
        decisive: On `SEEDS`: a link holds or reverses only when its mean difference is its
            link's number of standard errors from zero (at least strictly), and is undecided
            otherwise. With False (on `DECIDING_SEEDS`), the sign of the mean decides: only
            a positive mean holds.

    Raises:
        ValueError: A financing rate is missing (a run without supplier finance): the pairs
            would not be those of the same seeds.
    """
    found: dict[str, bool | None] = {}
    for direction, links in LINKS.items():
        outcomes = []
        for link in links:
            diff = link.gap(values)
            if not np.isfinite(diff).all():
                raise ValueError(
                    f"{link.measure} of {link.larger} or {link.smaller}: a seed without a value"
                )
            mean = float(diff.mean())
            if not decisive:
                outcomes.append(mean > 0.0)
                continue
            bar = link.errors * float(diff.std(ddof=1)) / np.sqrt(diff.size)
            outcomes.append(True if mean > bar else False if mean < -bar else None)
        found[direction] = False if False in outcomes else None if None in outcomes else True
    return found
