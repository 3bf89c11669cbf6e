"""Robustness: the documented directions hold for cut-offs ±25% and any one feature off."""

from __future__ import annotations

import pytest

from robustness import VARIANTS, directions, measure

_BASE_AT_EVERY_RECEIVABLE = (
    "issue 8: measured 2026-12-05 (afternoon) over seeds 0-7, with lines following all of the "
    "eligible receivables (advance rate 1.0, beyond the 70-80% common in asset-based lending) "
    "the pledge and scf_none at 170 days lose the same 1.62 suppliers a run (paired "
    "+0.00 +- 0.33): a base that finances every receivable spares suppliers the squeeze the "
    "pledge spares them. See docs/instruments.md, 'Robustness of the directions'"
)
KNOWN_FAILURES: dict[str, str] = {"borrowing base +25%": _BASE_AT_EVERY_RECEIVABLE}
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
