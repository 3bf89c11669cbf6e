"""Robustness: the documented directions hold for cut-offs ±25% and any one feature off."""

from __future__ import annotations

import pytest

from robustness import VARIANTS, directions, measure

KNOWN_FAILURES: dict[str, str] = {
    "line limit +25%": "a tie, not a reversal: on lines of 150 days of revenue the 60-day "
    "pledge and scf_none at 170 days each lose 0.75 suppliers a run over seeds 0-7, the same "
    "born loss-makers (measured 2026-12-05 with the interest-cover test on re-sizing); over "
    "seeds 8-31 the pledge loses 0.46 a run against 1.96, so over 0-31 0.53 against 1.66",
}
"""Variants whose directions are known not to hold (strict xfails), with the reason."""


@pytest.mark.robustness
@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(v, marks=pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[v]))
        if v in KNOWN_FAILURES
        else v
        for v in VARIANTS
    ],
)
def test_mechanisms_hold_under_other_cutoffs_and_features(variant):
    held = directions(measure(VARIANTS[variant]))
    assert all(held.values()), {k: v for k, v in held.items() if not v}
