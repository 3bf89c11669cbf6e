"""The car-loan approval pipeline: a stack of risk checks and a manual-review queue per bank.

A check does not know the future. It observes a score made of the applicant's latent credit
risk and fraud propensity (its loadings) plus an observation error; checks reading the same
data source share part of their errors, so their mistakes are correlated. A check rejects a
score above its threshold, and an automatic check is inconclusive when the score is within its
band of the threshold. How often it catches applicants who will default, fraudsters, or
rejects good applicants is a consequence of its noise and threshold, and is measured
(`CheckTally`).

An application is decided automatically when a conclusive automatic check rejects it, or when
every automatic check is conclusive and the stack has no manual check; otherwise it joins its
bank's manual-review queue (unless the scenario approves or rejects inconclusive applications
unchecked). A reviewer re-reads the data behind every check with less noise
(``review_noise_share``), so review adds information at the cost of staff time. The queue is
first come, first served; reviewers work ``working_hours`` a day, so waits grow when
applications pile up. How long a decision takes drives abandonment through the booking curve.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from autofin.scenario.consumer_schema import ApprovalSpec, BookingCurveSpec

MINUTES_PER_DAY = 1440.0

_ONE_HOT = np.eye(3)
"""Row ``j`` is the one-hot vector of applicant kind ``j`` (good, bad, fraud)."""


def booked_share(minutes: np.ndarray, curve: BookingCurveSpec) -> np.ndarray:
    """Chance that an applicant approved after ``minutes`` still buys the car."""
    minutes = np.asarray(minutes, dtype=float)
    early = curve.floor + (curve.instant - curve.floor) * np.exp(-minutes / curve.fast_minutes)
    return early * np.exp(-minutes / (curve.slow_days * MINUTES_PER_DAY))


@dataclass
class Decisions:
    """The outcome of a batch of applications."""

    approved: np.ndarray
    decided_at: np.ndarray
    automatic: np.ndarray


@dataclass
class Applicants:
    """What the checks look at (latent traits) and what the tally grades them by (truth)."""

    risk: np.ndarray
    fraud_propensity: np.ndarray
    bad: np.ndarray  # would default on the loan (known to the tally only)
    fraud: np.ndarray  # is a fraudster (known to the tally only)

    def take(self, rows: np.ndarray) -> Applicants:
        """The given rows only."""
        return Applicants(
            self.risk[rows], self.fraud_propensity[rows], self.bad[rows], self.fraud[rows]
        )


class CheckTally:
    """Each check's measured power and false-rejection rate over a run.

    A check's verdict on an application (after review, if it was reviewed) is counted against
    what the applicant really was: a fraudster, a borrower who defaults, or a good borrower.
    """

    def __init__(self, n_checks: int) -> None:
        self.applicants = np.zeros((3, n_checks))  # good, bad, fraud applicants it ran on
        self.rejections = np.zeros((3, n_checks))
        self.inconclusive = np.zeros(n_checks)

    def count(
        self, applicants: Applicants, rejects: np.ndarray, unsure: np.ndarray, ran: np.ndarray
    ) -> None:
        """Add a batch of verdicts (applicants × checks masks) of the checks that ran."""
        kind = np.where(applicants.fraud, 2, applicants.bad.astype(np.int64))
        one_hot = _ONE_HOT[kind].T  # 3 × applicants
        self.applicants += one_hot @ ran
        self.rejections += one_hot @ (rejects & ran)
        self.inconclusive += (unsure & ran).sum(axis=0)

    def rates(self) -> dict[str, np.ndarray]:
        """Power against defaulters and fraudsters, false rejections, inconclusive share.

        A rate over no applicant (no fraudster ever met the check, say) is NaN: undefined.
        """
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(self.applicants > 0, self.rejections / self.applicants, np.nan)
            total = self.applicants.sum(axis=0)
            inconclusive = np.where(total > 0, self.inconclusive / total, np.nan)
        return {
            "false_rejection": share[0],
            "power_default": share[1],
            "power_fraud": share[2],
            "inconclusive": inconclusive,
        }


class ApprovalPipeline:
    """A stack of checks and every bank's manual-review queue for it.

    Args:
        spec: The approval settings.
        n_banks: Number of banks (one queue each).
    """

    def __init__(self, spec: ApprovalSpec, n_banks: int) -> None:
        self.spec = spec
        checks = spec.checks
        self.names = [c.name for c in checks]
        self.risk_loading = np.array([c.risk_loading for c in checks])
        self.fraud_loading = np.array([c.fraud_loading for c in checks])
        self.noise = np.array([c.noise for c in checks])
        self.threshold = np.array([c.threshold for c in checks])
        self.loadings = np.vstack([self.risk_loading, self.fraud_loading])  # 2 × checks
        self.automatic = np.array([c.automatic for c in checks], dtype=bool)
        self.band = np.where(self.automatic, [c.inconclusive_band for c in checks], 0.0)
        sources = [c.source or f"own:{k}" for k, c in enumerate(checks)]
        names = sorted(set(sources))
        self.source = np.array([names.index(s) for s in sources], dtype=np.int64)
        self.n_sources = len(names)
        # Column of an observation's draws that holds each check's share of its source's error.
        self._source_draw = len(checks) + self.source
        latency = np.array([c.latency_minutes for c in checks])
        auto_latency = latency[self.automatic]
        if auto_latency.size == 0:
            self.automatic_minutes = 0.0
        else:
            self.automatic_minutes = float(
                auto_latency.max() if spec.parallel else auto_latency.sum()
            )
        self.has_manual_check = bool((~self.automatic).any())
        self.review_minutes = spec.review_minutes + float(latency[~self.automatic].sum())
        self.shift_minutes = spec.working_hours * 60.0
        self.review_noise = self.noise * spec.review_noise_share  # a reviewer's, per check
        # Working minute when each bank's queue is next free (a warm-up runs before minute 0).
        self.free_at = np.full(n_banks, -np.inf)
        self.tally = CheckTally(len(checks))

    def decide(
        self,
        bank: np.ndarray,
        applicants: Applicants,
        arrival: np.ndarray,
        rng: np.random.Generator,
    ) -> Decisions:
        """Run the stack of checks on a batch of applications.

        Args:
            bank: Bank of every application.
            applicants: The applicants' latent traits (and their truth, for the tally).
            arrival: Minute (since the start of the run) each application arrives.
            rng: The model's random generator.

        Returns:
            Approval, the minute of the decision and whether it was automatic.
        """
        spec = self.spec
        score = self._observe(applicants, self.noise, shared=True, rng=rng)
        rejects = score > self.threshold
        unsure = np.abs(score - self.threshold) < self.band  # read, never changed, below
        conclusive_reject = (rejects & self.automatic & ~unsure).any(axis=1)
        any_unsure = unsure.any(axis=1)
        if spec.inconclusive == "review":
            referred = ~conclusive_reject & (self.has_manual_check | any_unsure)
        else:
            referred = ~conclusive_reject & self.has_manual_check
            # Unreviewed inconclusive results count as passes or as rejections.
            rejects = np.where(unsure, spec.inconclusive == "reject", rejects)
        # A reviewer re-reads the data behind every check with less noise.
        rows = referred.nonzero()[0]
        if rows.size:
            review = self._observe(applicants.take(rows), self.review_noise, shared=False, rng=rng)
            rejects[rows] = review > self.threshold
        # Manual checks ran only on referred applications.
        ran = self.automatic | referred[:, None]
        if self.has_manual_check:
            rejects &= ran
        self.tally.count(applicants, rejects, unsure, ran)
        decided_at = arrival + self.automatic_minutes
        if rows.size:
            decided_at[rows] = self._queue(bank[rows], decided_at[rows])
        return Decisions(~rejects.any(axis=1), decided_at, ~referred)

    def prequalify(self, applicants: Applicants, rng: np.random.Generator) -> np.ndarray:
        """Which applicants pass every automatic check conclusively (no queue involved)."""
        score = self._observe(applicants, self.noise, shared=True, rng=rng)[:, self.automatic]
        threshold, band = self.threshold[self.automatic], self.band[self.automatic]
        return ~((score > threshold) | (np.abs(score - threshold) < band)).any(axis=1)

    def pass_chance(self, risk: np.ndarray, fraud_propensity: np.ndarray) -> np.ndarray:
        """Chance that each applicant passes every check (errors taken as independent).

        Used for sizing the market before the run, so it draws nothing.
        """
        mean = risk[:, None] * self.risk_loading + fraud_propensity[:, None] * self.fraud_loading
        margin = (self.threshold - mean) / np.maximum(self.noise, 1e-9)
        return np.prod(ndtr(margin), axis=1)

    def automatic_share(self, risk: np.ndarray, fraud_propensity: np.ndarray) -> float:
        """Expected share of applications decided without review (errors taken as independent).

        Used for sizing before the run, so it draws nothing.
        """
        if self.has_manual_check:
            return 0.0
        if self.spec.inconclusive != "review":
            return 1.0
        mean = risk[:, None] * self.risk_loading + fraud_propensity[:, None] * self.fraud_loading
        noise = np.maximum(self.noise, 1e-9)
        unsure = ndtr((self.threshold + self.band - mean) / noise) - ndtr(
            (self.threshold - self.band - mean) / noise
        )
        return float(np.prod(1.0 - unsure, axis=1).mean())

    def rates(self) -> dict[str, dict[str, float]]:
        """Each check's measured rates over the run so far, by check name."""
        rates = self.tally.rates()
        return {
            name: {key: float(values[k]) for key, values in rates.items()}
            for k, name in enumerate(self.names)
        }

    def _observe(
        self, applicants: Applicants, noise: np.ndarray, *, shared: bool, rng: np.random.Generator
    ) -> np.ndarray:
        """Scores the checks observe: latent traits plus errors (applicants × checks).

        With ``shared``, a share ``shared_error`` of each check's error variance is common to
        the checks of its data source.
        """
        n, k = applicants.risk.size, self.noise.size
        traits = np.empty((n, 2))  # the columns side by side (cheaper than column_stack)
        traits[:, 0] = applicants.risk
        traits[:, 1] = applicants.fraud_propensity
        mean = traits @ self.loadings
        rho = self.spec.shared_error if shared else 0.0
        if rho <= 0:
            return mean + noise * rng.standard_normal((n, k))
        draws = rng.standard_normal((n, k + self.n_sources))
        shared_error = draws.take(self._source_draw, axis=1)  # (cheaper than draws[:, ...])
        error = math.sqrt(1.0 - rho) * draws[:, :k] + math.sqrt(rho) * shared_error
        return mean + noise * error

    def _queue(self, bank: np.ndarray, ready: np.ndarray) -> np.ndarray:
        """Minute of the decision of referred applications, first come first served per bank.

        Reviewers are pooled: the queue serves one application every ``review_minutes /
        reviewers`` of working time, and each review itself takes ``review_minutes``. With
        ``C`` the working minute a review ends, ``C_k = max(C_{k-1}, a_k) + s``, whose closed
        form ``C_k = (k+1)s + max(free, max_{j<=k}(a_j - j s))`` is one cumulative maximum.
        """
        if ready.size == 0:
            return np.empty_like(ready)
        gap = self.review_minutes / self.spec.reviewers
        # Bank by bank, in order of arrival (ties in row order): one sort for every bank.
        order = np.lexsort((ready, bank))
        count = np.bincount(bank, minlength=self.free_at.size)
        ends = count.cumsum()
        starts = ends - count
        # Each application's place in its bank's queue, and the closed form's terms.
        slope = (np.arange(ready.size) - starts.repeat(count)) * gap
        lifted = self._to_working(ready[order]) - slope
        for first, end in zip(starts.tolist(), ends.tolist(), strict=True):
            if end > first:  # (a bank with referred applications)
                np.maximum.accumulate(lifted[first:end], out=lifted[first:end])
        queues = count.nonzero()[0]
        start = slope + np.maximum(self.free_at.repeat(count), lifted)
        self.free_at[queues] = start[ends[queues] - 1] + gap
        decided = np.empty_like(ready)
        decided[order] = self._to_calendar(start + self.review_minutes)
        return decided

    def _to_working(self, minute: np.ndarray) -> np.ndarray:
        day, within = np.divmod(minute, MINUTES_PER_DAY)
        return day * self.shift_minutes + np.minimum(within, self.shift_minutes)

    def _to_calendar(self, working: np.ndarray) -> np.ndarray:
        day, within = np.divmod(working, self.shift_minutes)
        return day * MINUTES_PER_DAY + within
