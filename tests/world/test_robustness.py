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
_ROOMIER_LINES = (
    "issue 8: measured 2026-12-05 over seeds 0-7, with lines opening at 1.3125 times the "
    "opening debt scf_none loses 1.75 suppliers a run at 170 days and 1.50 at 240 (at 1.1875: "
    "2.00 and 3.88); over seeds 0-31 1.72 and 1.28 (-0.44 +- 0.57; at 1.25 +0.47 +- 0.58, at "
    "1.1875 +2.28 +- 0.67). Roomier lines spare the 240-day world's sound suppliers the "
    "repay-first squeeze (0.28 a run against 0.97 at 170 days); with draws rolled over the term "
    "effect is +0.19 +- 0.08 at 1.3125 and +0.25 +- 0.09 at 1.1875. See docs/calibration.md, "
    "'Two kinds of default'"
)
KNOWN_FAILURES: dict[str, str] = {
    "opening headroom +25%": _ROOMIER_LINES,
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
