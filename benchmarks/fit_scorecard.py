"""Fit the banks' scorecard to the history a scenario makes, and show where its defaults happen.

Runs scenarios over several seeds and records, for every supplier active at the start of each
step after the warm-up, the features its main bank scored (`scoring.features`), the scoring
error it drew, its learnt intercept shift, whether its line was frozen, and whether it
defaulted in the step. It then prints:

- where the defaults happen: firm-years, defaults, realised hazard and mean scored hazard
  (−ln(1 − PD) a year) by the firm's state when scored: its arrears record
  (`Firms.arrears_history`, which decays but never returns to 0: 0 is never late, 0.3 or more
  four late steps in a row) and whether its line was frozen;
- the scorecard fitted by maximum likelihood to that history, the weights' signs held to the
  schema's (a weight that lowers the odds stays ≤ 0 on its signed feature), with the
  scoring error as an offset and no learnt shift: either to each step's defaults (a Poisson
  hazard, the measure of `tests/world/test_scoring.py`) or, with ``--horizon year``, to
  default within the next 52 weeks (a logistic model: the one-year back-test,
  `scored_pd_one_year_ratio`);
- each scenario's ratio of scored to realised on both measures, in sample, for the weights as
  set and as fitted.

The fit does not see how changed weights would change the history: run the scenarios with the
fitted weights (``--set banks.scoring.…``) and fit again, until the weights settle (or
stop, if they do not). The shipped scorecard was calibrated so (`docs/calibration.md`, "The
scorecard's calibration"): the slopes by ``--horizon year --hold leverage=5 --most arrears=50``
on both scenarios, twice, the intercept by ``--runs baseline:100-131 --hold`` (every slope)
``--level``, three times, each on the history the last weights made. The intercept settled;
the cash-flow slope had not (36.5, 40.0, then 45.7 on the shipped weights' history).

Usage::

    .venv/bin/python benchmarks/fit_scorecard.py
    .venv/bin/python benchmarks/fit_scorecard.py --horizon year --runs long_terms_stress:0-7
    .venv/bin/python benchmarks/fit_scorecard.py --set banks.roll_over_maturing_draws=true
    .venv/bin/python benchmarks/fit_scorecard.py --horizon year --hold leverage=5 --most arrears=50
    .venv/bin/python benchmarks/fit_scorecard.py --runs baseline:100-131 --level \
        --hold leverage=5 cash_flow=40 interest_cover=0.19 arrears=50 tier=0
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit

from autofin.scenario.loading import load_scenario
from autofin.world import scoring as scoring_module
from autofin.world.firms import Firms, steps_of
from autofin.world.model import AutofinModel

ROOT = Path(__file__).resolve().parents[1]
NAMES = ("intercept", "leverage", "cash_flow", "interest_cover", "arrears", "tier")
ARREARS_AT_GRACE = 0.3
"""An arrears record (`Firms.arrears_history`) this high: four late steps in a row or more."""


def record(name: str, seeds: range, overrides: list[str]) -> dict[str, np.ndarray]:
    """Every supplier-step after the warm-up of ``name`` over ``seeds``: features and outcome."""
    columns: dict[str, list[np.ndarray]] = {
        k: [] for k in (*NAMES[1:], "error", "shift", "frozen", "defaulted", "firm", "step", "run")
    }
    score, learn = scoring_module.Scoring.score, scoring_module.Scoring.learn
    scored: dict[str, np.ndarray] = {}
    state = {"run": 0, "step": 0, "frozen": np.zeros(0, dtype=bool)}

    def scoring(
        self: scoring_module.Scoring, firms: Firms, cash: np.ndarray, applicants: np.ndarray, *rest
    ) -> np.ndarray:
        pd = score(self, firms, cash, applicants, *rest)
        if applicants.size == firms.n:  # the step's scoring of every firm
            # (Copies: some features are the firms' own arrays, which the step updates.)
            scored.update({k: v.copy() for k, v in scoring_module.features(firms, cash).items()})
            weights = self.spec.scoring
            base = weights.intercept + sum(getattr(weights, k) * scored[k] for k in NAMES[1:])
            scored["error"] = self.base_log_odds[0] - base
            scored["shift"] = self.intercept_shift.take(firms.house_bank)
        return pd

    def learning(
        self: scoring_module.Scoring,
        firms: Firms,
        part_bank: np.ndarray,
        was_active: np.ndarray,
        defaulted: np.ndarray,
    ) -> None:
        supplier = np.flatnonzero(was_active & (firms.tier > 0))
        for k in (*NAMES[1:], "error", "shift"):
            columns[k].append(np.asarray(scored[k], dtype=float)[supplier])
        columns["frozen"].append(state["frozen"][supplier])
        columns["defaulted"].append(defaulted[supplier].astype(float))
        columns["firm"].append(supplier)
        columns["step"].append(np.full(supplier.size, state["step"]))
        columns["run"].append(np.full(supplier.size, state["run"]))
        state["step"] += 1
        learn(self, firms, part_bank, was_active, defaulted)

    for seed in seeds:
        scenario = load_scenario(
            ROOT / "scenarios" / f"{name}.yaml", overrides=[f"seed={seed}", *overrides]
        )
        model = AutofinModel(scenario)  # runs the warm-up, unrecorded
        state["step"] = 0
        scoring_module.Scoring.score, scoring_module.Scoring.learn = scoring, learning
        try:
            for _ in range(model.spec.steps):
                # Frozen after the last review: the state the step's score is taken in.
                state["frozen"] = model.banks.part_frozen[0].copy()
                model.step()
        finally:
            scoring_module.Scoring.score, scoring_module.Scoring.learn = score, learn
        state["run"] += 1
    history = {k: np.concatenate(v) for k, v in columns.items()}
    history["step_years"] = np.array(scenario.step_days / 365.0)
    history["year_steps"] = np.array(steps_of(365, scenario.step_days))
    history["within_year"], history["year_ahead"] = within_a_year(history)
    return history


def within_a_year(h: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Whether each firm-step's firm defaults within 52 steps; whether a year follows it."""
    key = h["run"] * (h["firm"].max() + 1) + h["firm"]
    default_step = np.full(int(key.max()) + 1, np.iinfo(np.int64).max)
    gone = h["defaulted"] > 0
    default_step[key[gone]] = h["step"][gone]
    last = np.zeros(int(h["run"].max()) + 1, dtype=np.int64)
    np.maximum.at(last, h["run"].astype(np.int64), h["step"].astype(np.int64))
    when = default_step[key]
    year = int(h["year_steps"])
    within = (when >= h["step"]) & (when < h["step"] + year)
    return within.astype(float), h["step"] + year - 1 <= last[h["run"].astype(np.int64)]


def design(h: dict[str, np.ndarray]) -> np.ndarray:
    """The features as columns, a constant first (in the order of `NAMES`)."""
    return np.column_stack([np.ones(h["error"].size), *(h[k] for k in NAMES[1:])])


def ratios(h: dict[str, np.ndarray], weights: np.ndarray, shift: bool) -> tuple[float, float]:
    """Scored over realised: the pooled hazard measure and the one-year back-test."""
    log_odds = design(h) @ weights + h["error"] + (h["shift"] if shift else 0.0)
    hazard = np.logaddexp(0.0, np.minimum(log_odds, 27.6))  # PD capped at 1 - 1e-12
    realised = h["defaulted"].sum() / (h["defaulted"].size * float(h["step_years"]))
    ahead = h["year_ahead"]
    pd = expit(log_odds[ahead])
    return hazard.mean() / realised, pd.mean() / max(h["within_year"][ahead].mean(), 1e-300)


def check_names(weights: dict[str, float]) -> None:
    """Raise `ValueError` naming the first key of ``weights`` that is not in `NAMES`."""
    for k in weights:
        if k not in NAMES:
            raise ValueError(f"{k}: not a weight; expected one of {', '.join(NAMES)}")


def fit(
    histories: list[dict[str, np.ndarray]],
    start: np.ndarray,
    horizon: str,
    hold: dict[str, float] | None = None,
    most: dict[str, float] | None = None,
) -> np.ndarray:
    """Maximum-likelihood weights on the pooled histories, signs held to the schema's.

    Args:
        histories: Recorded histories (`record`).
        start: Weights to start from, in the order of `NAMES`.
        horizon: ``step`` (each step's defaults, a Poisson hazard) or ``year`` (default
            within 52 weeks, logistic).
        hold: Weights held at a value (by name), the rest fitted.
        most: Largest value of a weight (by name), the intercept's included.

    Returns:
        The fitted weights, in the order of `NAMES`.

    Raises:
        ValueError: ``hold`` or ``most`` names no weight.
    """
    hold, most = hold or {}, most or {}
    check_names(hold)
    check_names(most)
    x = np.concatenate([design(h) for h in histories])
    offset = np.concatenate([h["error"] for h in histories])
    if horizon == "year":
        keep = np.concatenate([h["year_ahead"] for h in histories])
        y = np.concatenate([h["within_year"] for h in histories])[keep]
        x, offset = x[keep], offset[keep]
    else:
        y = np.concatenate([h["defaulted"] for h in histories])
        step_years = float(histories[0]["step_years"])

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        z = x @ w + offset
        p = expit(z)
        if horizon == "year":  # logistic: default within the year
            ll = -(y * np.logaddexp(0.0, -z) + (1.0 - y) * np.logaddexp(0.0, z)).sum()
            return -ll, -(x * (y - p)[:, None]).sum(axis=0)
        # Poisson: each step's defaults (a hazard kept above 0 where e^z underflows).
        hazard = np.maximum(np.logaddexp(0.0, z) * step_years, 1e-300)
        ll = (y * np.log(hazard) - hazard).sum()
        return -ll, -(x * ((y / hazard - 1.0) * p * step_years)[:, None]).sum(axis=0)

    bounds: list[tuple[float | None, float | None]] = [(None, most.get(NAMES[0]))]
    bounds += [(0.0, most.get(k)) for k in NAMES[1:]]
    for k, value in hold.items():
        bounds[NAMES.index(k)] = (value, value)
    start = np.array([hold.get(k, w) for k, w in zip(NAMES, start, strict=True)])
    return minimize(loss, start, jac=True, method="L-BFGS-B", bounds=bounds).x


def level(histories: list[dict[str, np.ndarray]], weights: np.ndarray) -> np.ndarray:
    """``weights`` with the intercept that scores as many defaults as the histories hold.

    The calibration of a model's central tendency: the summed hazard of its scores (no
    learnt shift) over every recorded firm-step equals the defaults seen, the condition each
    bank's learning solves for its own clients (`scoring.intercept_for_hazard`).

    Args:
        histories: Recorded histories (`record`), all with the same step length.
        weights: The weights to level, in the order of `NAMES`.

    Returns:
        ``weights`` with only the intercept changed.

    Raises:
        ValueError: The histories hold no default (no intercept scores zero defaults), their
            step lengths differ, or the intercept would move by the learnt shift's bound
            (`scoring.LEARNT_SHIFT_BOUND`) or more.
    """
    defaults = sum(int(h["defaulted"].sum()) for h in histories)
    if defaults == 0:
        raise ValueError("the histories hold no default: no intercept scores zero defaults")
    step_years = {float(h["step_years"]) for h in histories}
    if len(step_years) > 1:
        raise ValueError(f"the histories' step lengths differ: {sorted(step_years)} years")
    log_odds = np.concatenate([design(h) @ weights + h["error"] for h in histories])
    target = np.array([defaults / step_years.pop()])
    shift = scoring_module.intercept_for_hazard(
        log_odds,
        np.zeros(log_odds.size, dtype=np.intp),
        np.ones(log_odds.size, dtype=bool),
        target,
        np.zeros(1),
    )
    if abs(shift[0]) >= scoring_module.LEARNT_SHIFT_BOUND:
        raise ValueError(
            f"levelling moves the intercept by {shift[0]:+.1f}, the solver's bound: "
            "the weights are too far from the defaults seen to level"
        )
    return weights + np.r_[shift, np.zeros(len(NAMES) - 1)]


def states(name: str, h: dict[str, np.ndarray], weights: np.ndarray) -> None:
    """Print where the defaults happen, and the scores there."""
    log_odds = design(h) @ weights + h["error"] + h["shift"]
    hazard = np.logaddexp(0.0, np.minimum(log_odds, 27.6))
    years = float(h["step_years"])
    arrears, frozen = h["arrears"], h["frozen"]
    print(f"\n{name}: state when scored | firm-years | defaults | realised hazard | scored")
    for label, mask in (
        ("never late, line open", (arrears == 0) & ~frozen),
        ("never late, line frozen", (arrears == 0) & frozen),
        ("late before, record under 0.3", (arrears > 0) & (arrears < ARREARS_AT_GRACE)),
        ("record 0.3 or more", arrears >= ARREARS_AT_GRACE),
        ("all", np.ones(arrears.size, dtype=bool)),
    ):
        n, d = mask.sum(), h["defaulted"][mask].sum()
        realised = d / (n * years) if n else float("nan")
        scored = hazard[mask].mean() if n else float("nan")
        print(f"  {label:30s} {n * years:10,.1f} {d:6.0f} {realised:10.4f} {scored:10.4f}")


def _weights(parser: argparse.ArgumentParser, option: str, given: list[str]) -> dict[str, float]:
    """``NAME=VALUE`` arguments of ``option`` as weights by name; a bad one exits 2, named."""
    weights = {}
    for argument in given:
        name, _, value = argument.partition("=")
        try:
            check_names({name: 0.0})
        except ValueError as error:
            parser.error(f"{option} {argument}: {error}")
        try:
            weights[name] = float(value)
        except ValueError:
            parser.error(f"{option} {argument}: expected NAME=VALUE with a number as VALUE")
    return weights


def main() -> None:
    """Record the histories, print where their defaults happen and the fitted scorecard."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs",
        nargs="+",
        default=["baseline:100-131", "long_terms_stress:100-115"],
        help="Scenarios and seed ranges, as baseline:100-131.",
    )
    parser.add_argument("--horizon", choices=("step", "year"), default="step")
    parser.add_argument("--set", nargs="*", default=[], help="Overrides for every run.")
    parser.add_argument(
        "--hold", nargs="*", default=[], metavar="NAME=VALUE", help="Weights not fitted."
    )
    parser.add_argument(
        "--most", nargs="*", default=[], metavar="NAME=VALUE", help="Upper bounds of weights."
    )
    parser.add_argument(
        "--level",
        action="store_true",
        help="Then set the intercept so that the fitted model, unlearnt, scores as many "
        "defaults as the histories hold (`level`).",
    )
    args = parser.parse_args()
    hold, most = _weights(parser, "--hold", args.hold), _weights(parser, "--most", args.most)
    histories = {}
    for run in args.runs:
        name, seeds = run.split(":")
        first, last = (int(s) for s in seeds.split("-"))
        histories[name] = record(name, range(first, last + 1), args.set)
    # The weights as set in the first scenario named (every shipped scenario keeps the same).
    first = args.runs[0].split(":")[0]
    spec = load_scenario(ROOT / "scenarios" / f"{first}.yaml", overrides=args.set).banks.scoring
    shipped = np.array([getattr(spec, k) for k in NAMES], dtype=float)
    for name, h in histories.items():
        states(name, h, shipped)
    fitted = fit(list(histories.values()), shipped, args.horizon, hold, most)
    if args.level:
        fitted = level(list(histories.values()), fitted)
    print(f"\nweights ({args.horizon} fit)  " + "  ".join(f"{k:>14s}" for k in NAMES))
    print("  as set         " + "  ".join(f"{w:14.2f}" for w in shipped))
    print("  fitted         " + "  ".join(f"{w:14.2f}" for w in fitted))
    print("\nscored / realised    pooled hazard    one-year cohorts")
    for name, h in histories.items():
        learnt, fixed = ratios(h, shipped, shift=True), ratios(h, fitted, shift=False)
        print(f"  {name}, as set (learnt): {learnt[0]:8.2f} {learnt[1]:10.2f}")
        print(f"  {name}, fitted:          {fixed[0]:8.2f} {fixed[1]:10.2f}")
    overrides = " ".join(f"banks.scoring.{k}={w:.2f}" for k, w in zip(NAMES, fitted, strict=True))
    print(f"\nto run with the fitted weights: --set {overrides}")


if __name__ == "__main__":
    main()
