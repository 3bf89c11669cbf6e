"""Robustness: the documented directions hold for cut-offs ±25% and any one feature off."""

from __future__ import annotations

import pytest

from robustness import VARIANTS, directions, measure

PLEDGE_TIE = (
    "on lines of 150 days of revenue the 60-day pledge and scf_none at 170 days each lose 0.75 "
    "suppliers a run over seeds 0-7, the same born loss-makers (measured 2026-12-05 with the "
    "interest-cover test on re-sizing); over seeds 8-31 the pledge loses 0.46 a run against "
    "1.96, so over 0-31 0.53 against 1.66"
)

KNOWN_TIES: dict[str, dict[str, str]] = {
    "line limit +25%": {
        # 60 days against 170 ties; 170 against 240 days holds (the chain's second link).
        "longer terms, more defaults": PLEDGE_TIE,
        "60-day pledge, fewer defaults": PLEDGE_TIE,
    },
}
"""Per variant, the directions known to tie rather than hold (with the reason): each must still
tie, not reverse, and every other direction of the variant must hold."""


@pytest.mark.robustness
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_mechanisms_hold_under_other_cutoffs_and_features(variant):
    means = measure(VARIANTS[variant])
    held, tied = directions(means), directions(means, strict=False)
    known = KNOWN_TIES.get(variant, {})
    assert all(v for k, v in held.items() if k not in known), {
        k: v for k, v in held.items() if not v
    }
    for direction, reason in known.items():
        assert not held[direction], f"{direction} holds again: take it off KNOWN_TIES"
        assert tied[direction], f"{direction} reversed, not tied ({reason})"
    if known:
        reasons = "; ".join(dict.fromkeys(known.values()))
        pytest.xfail(f"ties, not reversals ({', '.join(known)}): {reasons}")
