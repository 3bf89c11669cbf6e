"""Credit scoring: each bank's noisy PD of every firm, and the intercept it learns from defaults.

A bank scores a firm with a noisy estimate of its probability of default from data it can
observe (leverage, cash-flow margin, interest cover, how often it ran short of cash, its tier),
each bank's error drawn from its own stream. Each bank then shifts its intercept so that its
scores track the defaults it sees among its clients over the long run (`Scoring.learn`).
`Banks` owns the scoring (`Banks.scoring`) and prices and reviews its claims on the scores.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import wrightomega

from autofin.scenario.schema import BankSpec
from autofin.world.firms import Firms
from autofin.world.relationships import per_part

LEARNT_SHIFT_BOUND = 15.0
"""Largest learnt shift of a bank's log-odds, either way (e^15: beyond any evidence)."""

NEWTON_DONE = 1e-5
"""A Newton step of the learnt shift this small ends the solve (`intercept_for_hazard`).

Newton's next step would be at most about half its square (below 5e-11 in log-odds, a
relative change of the hazard of the same size): the log of a sum of softplus has a second
derivative no larger than its first (``|g''| ≤ g' ≤ 1``).
"""


def features(
    firms: Firms, cash: np.ndarray, leverage: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Every firm's scored features, each signed as it moves the log-odds of default.

    Keyed by the name of its weight in `ScoringSpec`: the log-odds are the intercept plus
    each weight times its feature. Leverage (liabilities over assets), the smoothed
    operating cash-flow margin and interest cover (that margin's cash flow over the
    financing cost, 0 to 10) negated, as both lower the odds, the smoothed frequency of
    steps in arrears, and the tier.

    Args:
        firms: All firms.
        cash: Every firm's cash.
        leverage: Every firm's leverage (`Firms.leverage` of ``cash``), if the caller has it.
    """
    cover = np.minimum(firms.interest_cover(), 10.0).clip(0.0)
    return {
        "leverage": firms.leverage(cash) if leverage is None else leverage,
        "cash_flow": -firms.cash_flow_margin,
        "interest_cover": -cover,
        "arrears": firms.arrears_history,
        "tier": firms.tier,
    }


@dataclass
class Scoring:
    """Every bank's scorecard: its scores of every firm and what it has learnt from defaults.

    The arrays per part of the lines (``base_log_odds``, ``part_pd``) have one row per part
    (row 0 the main bank's) and one column per firm, as `Banks.part_bank`, which the caller
    passes to `score` and `learn`.

    Attributes:
        spec: The banks' section of the scenario (the scoring weights and noise).
        count: Number of banks.
        step_years: Years per step.
        memory_steps: Half-life of the evidence learnt from, in steps.
        streams: One random stream per bank for its scoring error.
        relationship_stream: The relationships' stream (`Banks.open_relationships`), which
            draws the other relationship banks' scoring errors.
        intercept_shift: Each bank's learnt shift of its intercept (`learn`).
        predicted_defaults: Defaults each bank's unshifted model predicted, older steps
            weighing less.
        observed_defaults: Defaults each bank saw among its clients, weighed the same way.
        base_log_odds: Each relationship bank's log-odds of each firm at its last score,
            without the learnt shift (parts × firms).
        part_pd: Each relationship bank's scored PD of each firm (parts × firms).
        scored_runs: The last scored firms' banks, their places sorted by bank and the runs'
            ends (`_bank_runs`).
    """

    spec: BankSpec
    count: int
    step_years: float
    memory_steps: int
    streams: tuple[np.random.Generator, ...] = ()
    relationship_stream: np.random.Generator | None = None
    intercept_shift: np.ndarray = field(init=False)
    predicted_defaults: np.ndarray = field(init=False)
    observed_defaults: np.ndarray = field(init=False)
    base_log_odds: np.ndarray = field(init=False, default_factory=lambda: np.zeros(0))
    part_pd: np.ndarray = field(init=False, default_factory=lambda: np.zeros((1, 0)))
    scored_runs: tuple[np.ndarray, np.ndarray, list[int]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self.intercept_shift = np.zeros(self.count)
        self.predicted_defaults = np.zeros(self.count)
        self.observed_defaults = np.zeros(self.count)

    def open_parts(self, shape: tuple[int, ...], stream: np.random.Generator | None) -> None:
        """Score the parts of the lines (``shape``: parts × firms), no firm scored yet.

        Args:
            shape: The shape of `Banks.part_bank`.
            stream: The relationships' stream, which draws the other banks' scoring errors
                (needed only with more than one part).
        """
        self.relationship_stream = stream
        self.part_pd = np.zeros(shape)

    def error(self, bank: np.ndarray) -> np.ndarray:
        """Each scored firm's error on the log-odds, drawn from its bank's own stream."""
        # Each bank's stream fills the run of standard normals of its scored firms, in
        # ascending order as a mask would give them (`_bank_runs`), scaled once: the numbers
        # `Generator.normal` would give (``0 + scale × z``), without a copy per bank.
        rank, ends = self._bank_runs(bank)
        drawn = np.zeros(bank.size)  # (a bank without a stream of its own adds no error)
        start = 0
        for stream, end in zip(self.streams, ends, strict=False):
            stream.standard_normal(out=drawn[start:end])
            start = end
        drawn *= self.spec.scoring_noise
        return drawn.take(rank)

    def _bank_runs(self, bank: np.ndarray) -> tuple[np.ndarray, list[int]]:
        """Where each firm of ``bank`` falls when they are sorted by bank, stably; run ends.

        Returns each firm's place in the sorted order (the firms of bank ``b``, in ascending
        order, take places ``ends[b - 1]`` to ``ends[b]``) and the end of each bank's run.
        One sort (a radix sort of small keys) instead of a full-length mask per bank, kept
        while the firms' banks stay the same (every step scores the same house banks).
        """
        runs = self.scored_runs
        if runs is not None and np.array_equal(runs[0], bank):
            return runs[1], runs[2]
        order = (bank.astype(np.int16) if self.count < 2**15 else bank).argsort(kind="stable")
        rank = np.empty(bank.size, dtype=np.intp)
        rank[order] = np.arange(bank.size)
        ends = np.cumsum(np.bincount(bank, minlength=self.count)).tolist()
        self.scored_runs = (bank.copy(), rank, ends)
        return rank, ends

    def score(
        self,
        firms: Firms,
        cash: np.ndarray,
        applicants: np.ndarray,
        part_bank: np.ndarray,
        leverage: np.ndarray | None = None,
    ) -> np.ndarray:
        """Estimated annual probability of default of each applicant, with scoring noise.

        Log-odds from observables (leverage, cash-flow margin, interest cover, arrears, tier),
        plus each bank's learnt shift of its intercept (`learn`), plus the scoring error. The
        main bank's score is returned; scoring every firm also has every relationship bank
        score it with its own intercept and error (`part_pd`).

        Args:
            firms: All firms.
            cash: Every firm's cash.
            applicants: Firm indices.
            part_bank: The bank of every part of every firm's line (`Banks.part_bank`).
            leverage: Every firm's leverage (`Firms.leverage` of ``cash``): saves computing
                it again when the caller has it.
        """
        weights = self.spec.scoring
        # Every firm (in order, as below) is read whole: the same values, without the copies.
        rows = slice(None) if applicants.size == firms.n else applicants
        bank = firms.house_bank[rows]
        base = np.full(bank.shape, weights.intercept)
        for name, value in features(firms, cash, leverage).items():
            base += getattr(weights, name) * value[rows]
        noise = self.error(bank)
        # (`take` gathers the same shifts as fancy indexing, in fewer instructions.)
        log_odds = base + self.intercept_shift.take(bank)
        log_odds += noise
        pd = np.negative(log_odds)  # 1 / (1 + e^-log_odds), in place
        np.exp(pd, out=pd)
        np.add(1.0, pd, out=pd)
        np.divide(1.0, pd, out=pd)
        if applicants.size == firms.n:
            # Each relationship bank's own log-odds for each firm, without the learnt shift:
            # what learning compares with the defaults it sees. The main bank's error is drawn
            # above from its stream; the other banks' from the relationships' stream.
            odds = np.empty(part_bank.shape)
            np.add(base, noise, out=odds[0])
            self.part_pd = np.empty(part_bank.shape)
            self.part_pd[0] = pd
            if part_bank.shape[0] > 1:
                assert self.relationship_stream is not None
                error = self.relationship_stream.normal(
                    0.0, self.spec.scoring_noise, size=odds[1:].shape
                )
                odds[1:] = base + error
                shifted = odds[1:] + self.intercept_shift.take(part_bank[1:])
                self.part_pd[1:] = 1.0 / (1.0 + np.exp(-shifted))
            self.base_log_odds = odds
        return pd

    def part_scores(self, pd: np.ndarray) -> np.ndarray:
        """Each part's score (parts × firms): the main banks' ``pd``, the other banks' own."""
        scores = np.empty(self.part_pd.shape)
        scores[0] = pd
        scores[1:] = self.part_pd[1:]
        return scores

    def learn(
        self, firms: Firms, part_bank: np.ndarray, was_active: np.ndarray, defaulted: np.ndarray
    ) -> None:
        """Recalibrate each bank's intercept to the defaults among its clients.

        A scored annual PD ``p`` is a default hazard of ``-ln(1 - p)`` per year (the
        softplus of the log-odds), the unit in which defaults per borrower-year are counted.
        Each bank adds up the defaults its unshifted model predicted (hazard × the step's
        share of a year, over its active clients: the firms whose line it has a part of) and
        the defaults it saw, older steps
        weighing less (half-life `scoring.memory_days`). How far its model is off is the
        log-ratio ``r`` of realised to predicted hazard, estimated by its posterior mode
        (`calibration_log_ratio`): Poisson evidence, and a normal prior on ``r`` of precision
        `learning_prior` (in defaults: the evidence of that many defaults weighs as much)
        centred on the same estimate over all banks' clients (a credit bureau's view: a bank
        with few defaults of its own follows the industry's experience; a firm with several
        banks counts once in it), itself centred on the unlearnt model.

        The bank then sets its intercept shift so that the hazard it scores over its active
        clients is ``e^r`` times the hazard of its unshifted model (`intercept_for_hazard`):
        the calibration condition of a logistic model's intercept, exact for large PDs too.

        Args:
            firms: All firms.
            part_bank: The bank of every part of every firm's line (`Banks.part_bank`).
            was_active: Firms active at the start of the step (a mask).
            defaulted: Firms that defaulted during the step (a mask).
        """
        # One row per relationship: a firm counts for each of its banks.
        bank = part_bank.ravel()
        parts = part_bank.shape[0]
        keep = 0.5 ** (1.0 / max(self.memory_steps, 1))  # older evidence fades
        base_hazard = np.logaddexp(0.0, self.base_log_odds)
        weighted = base_hazard * self.step_years
        weighted *= was_active
        self.predicted_defaults = keep * self.predicted_defaults + np.bincount(
            bank, weighted.ravel(), minlength=self.count
        )
        self.observed_defaults = keep * self.observed_defaults + np.bincount(
            bank, per_part(defaulted, parts), minlength=self.count
        )
        prior = self.spec.scoring.learning_prior
        if prior > 1e12:
            return
        # The industry's view counts every firm once, however many banks it has.
        pooled = calibration_log_ratio(
            self.observed_defaults.sum(keepdims=True) / parts,
            self.predicted_defaults.sum(keepdims=True) / parts,
            prior,
            np.zeros(1),
        )
        log_ratio = calibration_log_ratio(
            self.observed_defaults, self.predicted_defaults, prior, pooled.repeat(self.count)
        )
        live = per_part(firms.active, parts)
        hazard = base_hazard.ravel()
        weighted = np.multiply(hazard, live, out=weighted.ravel())
        target = np.exp(log_ratio) * np.bincount(bank, weighted, minlength=self.count)
        clients = np.bincount(bank, live, minlength=self.count) > 0
        shift = intercept_for_hazard(
            self.base_log_odds.ravel(), bank, live, target, self.intercept_shift
        )
        self.intercept_shift = np.where(clients, shift, self.intercept_shift)


def calibration_log_ratio(
    observed: np.ndarray, predicted: np.ndarray, precision: float, centre: np.ndarray
) -> np.ndarray:
    """Posterior mode of the log-ratio ``r`` of realised to predicted default hazard.

    Maximises ``observed × r − predicted × e^r − precision × (r − centre)² / 2``: Poisson
    counts of defaults against the hazard a model predicted, and a normal prior on ``r``. The
    prior's precision is in defaults: near the mode the evidence weighs ``predicted × e^r``,
    the defaults the recalibrated model expects, so a surprise of many defaults where few were
    predicted moves ``r`` as far as the defaults seen warrant. (A gamma prior on ``e^r`` of
    the same mean counts its weight in predicted defaults instead, and holds the ratio near
    its centre however many defaults come when few were predicted.)

    The first-order condition ``observed − predicted × e^r = precision × (r − centre)`` has
    the closed form ``r = centre + observed / precision − ω(ln(predicted / precision) +
    centre + observed / precision)``, with ω the Wright omega function (ω(y) = W(e^y),
    Lambert's W, computed without overflow).

    Args:
        observed: Defaults seen, one value per model.
        predicted: Defaults the unrecalibrated model predicted for the same borrowers.
        precision: The prior's precision (> 0), in defaults.
        centre: The prior's mean of ``r``.
    """
    reach = centre + observed / precision
    with np.errstate(divide="ignore"):
        return reach - wrightomega(np.log(np.maximum(predicted, 0.0) / precision) + reach)


def intercept_for_hazard(
    log_odds: np.ndarray,
    bank: np.ndarray,
    live: np.ndarray,
    target: np.ndarray,
    start: np.ndarray,
) -> np.ndarray:
    """Each bank's shift ``d`` of log-odds giving its live clients a summed hazard ``target``.

    Solves ``ln Σ softplus(log_odds + d) = ln target`` per bank by Newton's method from
    ``start`` (last step's shift: a step changes it little). The derivative of the left side
    is ``Σ PD / Σ hazard``, 1 for small PDs, where the hazard is proportional to ``e^d`` and
    one step is exact; the shift stays within ±`LEARNT_SHIFT_BOUND`. A step below
    `NEWTON_DONE` ends the solve (why that is close enough: see the constant).

    Args:
        log_odds: Unshifted log-odds of every firm.
        bank: Bank of every firm.
        live: Firms counted (a mask).
        target: Summed hazard wanted, per bank (> 0 for a bank with live clients).
        start: First guess, per bank.
    """
    count = target.size
    shift = np.minimum(np.maximum(start, -LEARNT_SHIFT_BOUND), LEARNT_SHIFT_BOUND)
    odds, owner = log_odds[live], bank[live]
    wanted = np.log(np.maximum(target, 1e-300))
    # Every iteration works in the same two buffers, in place: no temporary of the clients'
    # size. `take` (valid indices: no bound to clip) gathers each client's shift in fewer
    # instructions than fancy indexing; the values are the same.
    hazard, work = np.empty(odds.size), np.empty(odds.size)
    for _ in range(30):
        np.add(odds, np.take(shift, owner, out=work, mode="clip"), out=work)
        np.logaddexp(0.0, work, out=hazard)
        total = np.bincount(owner, hazard, minlength=count)
        # PD = 1 - e^-hazard = -expm1(-hazard). A sum of negated terms is the negated sum,
        # bit for bit (rounding is symmetric), so the sign is changed once per bank; only a
        # bank whose hazards are all zero could differ (-0 for +0), and it has no total.
        np.expm1(np.negative(hazard, out=work), out=work)
        pd = -np.bincount(owner, work, minlength=count)
        has = total > 0
        if has.all():  # (every bank has live clients: the same numbers, fewer calls)
            step = (wanted - np.log(total)) * total / pd
        else:
            step = np.where(has, (wanted - np.log(np.where(has, total, 1.0))) * total, 0.0) / (
                np.where(has, pd, 1.0)
            )
        shift = np.minimum(np.maximum(shift + step, -LEARNT_SHIFT_BOUND), LEARNT_SHIFT_BOUND)
        if float(np.abs(step).max()) < NEWTON_DONE:
            break
    return shift
