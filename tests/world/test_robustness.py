"""Robustness: the documented directions hold for cut-offs ±25% and any one feature off."""

from __future__ import annotations

import pytest

from robustness import VARIANTS, directions, measure

_TERMS_TIE = (
    "issue 8: measured 2026-12-05 with the calibrated scorecard over seeds 0-7, scf_none loses "
    "2.25 suppliers a run at 170 days and 2.25 at 240 (with the hand-set scorecard 2.62 and "
    "3.88); over seeds 0-31 with no borrowing base 3.47 and 2.44. Loss-making suppliers "
    "default more at 240 days (1.50 to 1.66) but sound ones failing the repay-first rule at "
    "their line limits default less (1.97 to 0.78: lines are at least 1.25 times the opening "
    "debt, larger at longer terms), and that outweighs the rise; with draws rolled over the "
    "direction holds with or without a borrowing base (0.47 to 0.69, +0.22 +- 0.09). See "
    "docs/calibration.md, 'Two kinds of default'"
)
KNOWN_FAILURES: dict[str, str] = {
    "borrowing base -25%": _TERMS_TIE,
    "borrowing base off": _TERMS_TIE,
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
