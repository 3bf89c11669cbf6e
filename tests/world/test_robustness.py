"""Robustness: the documented directions hold for cut-offs ±25% and any one feature off."""

from __future__ import annotations

import numpy as np
import pytest

from robustness import CASES, DECIDING_SEEDS, SEEDS, VARIANTS, per_seed, verdicts


def _undecided(verdict: dict[str, bool | None]) -> list[str]:
    return [direction for direction, held in verdict.items() if held is None]


@pytest.mark.robustness
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_mechanisms_hold_under_other_cutoffs_and_features(variant):
    # On `SEEDS` each direction must hold clearly (`robustness.DECISIVE` standard errors of
    # its paired differences); one that clearly reverses fails at once. One nearer zero
    # (on eight seeds, often the same few born loss-makers in both cases) is undecided: the
    # variant is measured on the rest of `DECIDING_SEEDS`, and every direction, not only the
    # undecided one, must then hold by the sign of its mean difference over all of them.
    assert list(DECIDING_SEEDS[: len(SEEDS)]) == list(SEEDS)
    values = per_seed(VARIANTS[variant], SEEDS)
    verdict = verdicts(values)
    assert False not in verdict.values(), f"reversed on seeds {SEEDS}: {verdict}"
    if _undecided(verdict):
        more = per_seed(VARIANTS[variant], DECIDING_SEEDS[len(SEEDS) :])
        values = {
            case: {k: np.concatenate([v, more[case][k]]) for k, v in columns.items()}
            for case, columns in values.items()
        }
        verdict = verdicts(values, decisive=False)
        assert all(verdict.values()), f"fails on seeds {DECIDING_SEEDS}: {verdict}"


def _cases(**gaps: list[float]) -> dict[str, dict[str, np.ndarray]]:
    """Per-seed values whose 170-day defaults and bank rate exceed the other cases' by gaps."""
    base = {case: {"defaults": np.zeros(8), "rate": np.full(8, 0.06)} for case in CASES}
    base["scf_none 170d"]["defaults"] = np.full(8, 3.0)
    base["scf_none 240d"]["defaults"] = np.full(8, 9.0)
    base["platform 170d"]["rate"] = np.full(8, 0.059)
    base["pledge 60d"]["defaults"] = 3.0 - np.array(gaps["pledge"])
    base["platform 170d"]["defaults"] = 3.0 - np.array(gaps["platform"])
    return base


def test_a_direction_is_decided_on_eight_seeds_only_when_clear():
    clear = [2, 1, 3, 2, 2, 1, 3, 2]
    # The same born loss-maker failing in both cases: a tie, undecided.
    tie = [0, 0, 0, 0, 0, 0, 0, 0]
    # One supplier saved on one seed: ahead by 0.125 ± 0.125, within the noise.
    lucky = [1, 0, 0, 0, 0, 0, 0, 0]
    # Clearly more defaults with the pledge: a reversal, whatever more seeds would say.
    worse = [-2, -1, -3, -2, -2, -1, -3, -2]
    verdict = verdicts(_cases(pledge=tie, platform=clear))
    assert verdict["60-day pledge, fewer defaults"] is None
    assert verdict["longer terms, more defaults"] is None  # its 60-to-170-day link ties
    assert verdict["reverse factoring, fewer defaults"] is True
    assert verdict["reverse factoring, cheaper finance"] is True
    assert verdicts(_cases(pledge=lucky, platform=clear))["60-day pledge, fewer defaults"] is None
    assert verdicts(_cases(pledge=worse, platform=clear))["60-day pledge, fewer defaults"] is False
    # On all the seeds the sign decides, and a tie is not a direction that holds.
    assert verdicts(_cases(pledge=lucky, platform=clear), decisive=False)[
        "60-day pledge, fewer defaults"
    ]
    assert not verdicts(_cases(pledge=tie, platform=clear), decisive=False)[
        "60-day pledge, fewer defaults"
    ]


def test_a_seed_without_a_financing_rate_is_refused():
    values = _cases(pledge=[1] * 8, platform=[1] * 8)
    values["platform 170d"]["rate"][3] = np.nan
    with pytest.raises(ValueError, match="rate of scf_none 170d or platform 170d"):
        verdicts(values)
