"""Robustness: the documented directions hold for cut-offs ±25% and any one feature off."""

from __future__ import annotations

import numpy as np
import pytest

from robustness import DECIDING_SEEDS, SEEDS, VARIANTS, directions, means, per_seed


@pytest.mark.robustness
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_mechanisms_hold_under_other_cutoffs_and_features(variant):
    # Every direction must hold strictly in the means over `SEEDS`. A reversal there fails at
    # once; a tie (equal means: on eight seeds, often the same few born loss-makers in both
    # cases) decides nothing, so the variant is measured on `DECIDING_SEEDS` as well and every
    # direction, not only the tied one, must then hold strictly on all of them.
    values = per_seed(VARIANTS[variant], SEEDS)
    held, tied = directions(means(values)), directions(means(values), strict=False)
    assert all(tied.values()), {k: v for k, v in tied.items() if not v}
    if not all(held.values()):
        more = per_seed(VARIANTS[variant], range(SEEDS.stop, DECIDING_SEEDS.stop))
        values = {
            case: {k: np.concatenate([v, more[case][k]]) for k, v in columns.items()}
            for case, columns in values.items()
        }
        held = directions(means(values))
    assert all(held.values()), {k: v for k, v in held.items() if not v}
