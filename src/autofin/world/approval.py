"""The car-loan approval pipeline: a stack of risk checks and a manual-review queue per bank.

Each check rejects an applicant who would default with probability ``power_default``, a
fraudster with ``power_fraud`` and a good applicant with ``false_rejection``, independently of
the other checks. An automatic check may be inconclusive. An application is decided
automatically when a conclusive automatic check rejects it, or when every automatic check is
conclusive and the stack has no manual check; otherwise it joins its bank's manual-review
queue. The queue is first come, first served; reviewers work ``working_hours`` a day, so waits
grow when applications pile up. How long a decision takes drives abandonment through the
booking curve.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autofin.scenario.consumer_schema import ApprovalSpec, BookingCurveSpec

MINUTES_PER_DAY = 1440.0


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


class ApprovalPipeline:
    """The checks of the scenario and every bank's manual-review queue.

    Args:
        spec: The approval settings.
        n_banks: Number of banks (one queue each).
    """

    def __init__(self, spec: ApprovalSpec, n_banks: int) -> None:
        self.spec = spec
        checks = spec.checks
        self.power_default = np.array([c.power_default for c in checks])
        self.power_fraud = np.array([c.power_fraud for c in checks])
        self.false_rejection = np.array([c.false_rejection for c in checks])
        self.automatic = np.array([c.automatic for c in checks], dtype=bool)
        self.inconclusive = np.where(self.automatic, [c.inconclusive for c in checks], 0.0)
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
        # Working minute when each bank's queue is next free (a warm-up runs before minute 0).
        self.free_at = np.full(n_banks, -np.inf)

    def decide(
        self,
        bank: np.ndarray,
        bad: np.ndarray,
        fraud: np.ndarray,
        arrival: np.ndarray,
        rng: np.random.Generator,
    ) -> Decisions:
        """Run the stack of checks on a batch of applications.

        Args:
            bank: Bank of every application.
            bad: Whether the applicant would default on the loan.
            fraud: Whether the applicant is a fraudster.
            arrival: Minute (since the start of the run) each application arrives.
            rng: The model's random generator.

        Returns:
            Approval, the minute of the decision and whether it was automatic.
        """
        rejects, unsure = self._draw(bad, fraud, slice(None), rng)
        auto_reject = (rejects & self.automatic & ~unsure).any(axis=1)
        referred = ~auto_reject & (self.has_manual_check | unsure.any(axis=1))
        decided_at = arrival + self.automatic_minutes
        decided_at[referred] = self._queue(bank[referred], decided_at[referred])
        return Decisions(~rejects.any(axis=1), decided_at, ~referred)

    def prequalify(
        self, bad: np.ndarray, fraud: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """Which applicants pass every automatic check conclusively (no queue involved)."""
        rejects, unsure = self._draw(bad, fraud, self.automatic, rng)
        return ~(rejects | unsure).any(axis=1)

    def _draw(
        self,
        bad: np.ndarray,
        fraud: np.ndarray,
        checks: slice | np.ndarray,
        rng: np.random.Generator,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Which of ``checks`` reject each applicant, and which are inconclusive.

        Returns:
            Two (applicants × checks) masks: rejections, then inconclusive results (drawn in
            that order).
        """
        reject_chance = np.where(
            fraud[:, None],
            self.power_fraud[checks],
            np.where(bad[:, None], self.power_default[checks], self.false_rejection[checks]),
        )
        shape = (bad.size, self.power_default[checks].size)
        rejects = rng.random(shape) < reject_chance
        unsure = rng.random(shape) < self.inconclusive[checks]
        return rejects, unsure

    def _queue(self, bank: np.ndarray, ready: np.ndarray) -> np.ndarray:
        """Minute of the decision of referred applications, first come first served per bank.

        Reviewers are pooled: the queue serves one application every ``review_minutes /
        reviewers`` of working time, and each review itself takes ``review_minutes``. With
        ``C`` the working minute a review ends, ``C_k = max(C_{k-1}, a_k) + s``, whose closed
        form ``C_k = (k+1)s + max(free, max_{j<=k}(a_j - j s))`` is one cumulative maximum.
        """
        decided = np.empty_like(ready)
        gap = self.review_minutes / self.spec.reviewers
        for b in np.unique(bank):
            rows = np.flatnonzero(bank == b)
            rows = rows[np.argsort(ready[rows], kind="stable")]
            arrive = self._to_working(ready[rows])
            k = np.arange(rows.size)
            start = k * gap + np.maximum(self.free_at[b], np.maximum.accumulate(arrive - k * gap))
            self.free_at[b] = start[-1] + gap
            decided[rows] = self._to_calendar(start + self.review_minutes)
        return decided

    def _to_working(self, minute: np.ndarray) -> np.ndarray:
        day, within = np.divmod(minute, MINUTES_PER_DAY)
        return day * self.shift_minutes + np.minimum(within, self.shift_minutes)

    def _to_calendar(self, working: np.ndarray) -> np.ndarray:
        day, within = np.divmod(working, self.shift_minutes)
        return day * MINUTES_PER_DAY + within
