"""Robustness: the documented directions hold for cut-offs ±25% and any one feature off."""

from __future__ import annotations

import pytest

from robustness import VARIANTS, directions, measure

KNOWN_FAILURES = {
    # A leverage covenant of 0.675 is below the leverage of many sound suppliers: reviews freeze
    # most lines at once, the supply chain collapses at every payment term (mean defaults 97,
    # 340, 340 at 60, 170 and 240 days) and the term ordering cannot show.
    "covenant -25%": "a covenant at 0.675 freezes most credit lines and every world collapses",
}


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
