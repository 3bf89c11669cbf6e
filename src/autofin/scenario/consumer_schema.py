"""Scenario sections of the consumer side: sales channels, the loan approval pipeline, car loans.

`ConsumerSpec` (in `schema.py`) holds these sections. Rates are fractions; durations of the
approval pipeline are in minutes because decisions take minutes to days.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from autofin.scenario._types import (
    DURATION_REASON,
    MAX_DURATION_DAYS,
    Index,
    Noise,
    Probability,
    Section,
    Weight,
    at_most,
)

MINUTES_REASON = "about two years in minutes"


def _unit(unit: str) -> dict[str, str]:
    return {"unit": unit}


class OrganicChannelSpec(Section):
    """A channel consumers reach on their own shopping trips (dealer walk-in, online)."""

    weight: Annotated[float, at_most(1e6, "a relative weight")] = Field(
        1.0,
        ge=0.0,
        description="Relative share of consumers who shop through this channel (their channel "
        "exposure); normalised over `walk_in` and `online`.",
        json_schema_extra=_unit("relative weight"),
    )
    lead_rate: Probability = Field(
        0.9,
        description="Share of the channel's visits that become leads (visit-to-lead or "
        "click-to-lead).",
        json_schema_extra=_unit("probability"),
    )


class BankAppSpec(Section):
    """A bank-app partnership ("finance + traffic"): the app shows car offers to its users."""

    monthly_traffic: Annotated[
        float, at_most(1e7, "every view is simulated, so run time grows with it")
    ] = Field(
        0.0,
        ge=0.0,
        description="Car offers the app shows per month (views by randomly chosen app users).",
        json_schema_extra=_unit("views per month"),
    )
    click_to_lead: Probability = Field(
        0.02,
        description="Share of views after which the user leaves a lead.",
        json_schema_extra=_unit("probability"),
    )
    prequalified: bool = Field(
        False,
        description="Whether the partner bank runs its automatic checks before the offer is "
        "shown, so a user who passes them knows the loan and its limit before shopping.",
    )
    partner_bank: Index = Field(
        0,
        description="Row of the partner bank (0 = first bank).",
        json_schema_extra=_unit("bank index"),
    )
    user_share: Probability = Field(
        0.3,
        description="Share of consumers who use the bank's app.",
        json_schema_extra=_unit("share of consumers"),
    )


class ChannelsSpec(Section):
    """How consumers reach the automakers."""

    walk_in: OrganicChannelSpec = Field(
        default_factory=lambda: OrganicChannelSpec(weight=0.7, lead_rate=0.9)
    )
    online: OrganicChannelSpec = Field(
        default_factory=lambda: OrganicChannelSpec(weight=0.3, lead_rate=0.3)
    )
    bank_app: BankAppSpec = Field(default_factory=BankAppSpec)

    @model_validator(mode="after")
    def _check_weights(self) -> ChannelsSpec:
        if self.walk_in.weight + self.online.weight <= 0:
            raise ValueError("walk_in.weight + online.weight must be positive")
        return self


class CheckSpec(Section):
    """One risk check of the loan approval pipeline."""

    name: str = Field(
        max_length=100, description="What the check is (identity, blacklist, fraud, ...)."
    )
    automatic: bool = Field(
        True,
        description="Whether a system runs it; a manual check sends every application to the "
        "manual-review queue.",
    )
    power_default: Probability = Field(
        0.0,
        description="Chance that it rejects an applicant who would default on the loan.",
        json_schema_extra=_unit("probability"),
    )
    power_fraud: Probability = Field(
        0.0,
        description="Chance that it rejects a fraudulent applicant.",
        json_schema_extra=_unit("probability"),
    )
    false_rejection: Probability = Field(
        0.0,
        description="Chance that it rejects an applicant who would repay.",
        json_schema_extra=_unit("probability"),
    )
    inconclusive: Probability = Field(
        0.0,
        description="Automatic checks: chance that it cannot decide, which refers the "
        "application to manual review.",
        json_schema_extra=_unit("probability"),
    )
    latency_minutes: Annotated[float, at_most(1e6, MINUTES_REASON)] = Field(
        0.05,
        ge=0.0,
        description="Time the check takes (automatic: machine time; manual: reviewer time).",
        json_schema_extra=_unit("minutes"),
    )


def _default_checks() -> list[CheckSpec]:
    return [
        CheckSpec(name="identity", power_fraud=0.5, false_rejection=0.002, inconclusive=0.05),
        CheckSpec(name="blacklist", power_default=0.1, power_fraud=0.2, false_rejection=0.002),
        CheckSpec(name="credit_score", power_default=0.4, false_rejection=0.04, inconclusive=0.2),
        CheckSpec(
            name="income_verification",
            automatic=False,
            power_default=0.2,
            power_fraud=0.3,
            false_rejection=0.02,
            latency_minutes=20.0,
        ),
    ]


class BookingCurveSpec(Section):
    """Chance that an approved applicant still buys, as a function of the decision's wait.

    booked(w) = (floor + (instant − floor) · exp(−w / fast_minutes)) · exp(−w / slow_days),
    with w the minutes from application to decision. The defaults are calibrated to the
    CU Direct figures (Automotive News, 2017); see docs/consumers.md.
    """

    instant: Probability = Field(
        0.93,
        description="Booked share of approvals decided without any wait.",
        json_schema_extra=_unit("probability"),
    )
    floor: Probability = Field(
        0.54,
        description="Booked share after the first minutes, before slow decay.",
        json_schema_extra=_unit("probability"),
    )
    fast_minutes: Annotated[float, at_most(1e6, MINUTES_REASON)] = Field(
        2.1,
        gt=0.0,
        description="Time constant of the early drop.",
        json_schema_extra=_unit("minutes"),
    )
    slow_days: Annotated[float, at_most(MAX_DURATION_DAYS, DURATION_REASON)] = Field(
        24.0,
        gt=0.0,
        description="Time constant of the slow decay over days.",
        json_schema_extra=_unit("days"),
    )

    @model_validator(mode="after")
    def _check_order(self) -> BookingCurveSpec:
        if self.floor > self.instant:
            raise ValueError(f"floor ({self.floor:g}) must not exceed instant ({self.instant:g})")
        return self


class ApprovalSpec(Section):
    """The banks' car-loan approval pipeline (the same stack at every bank)."""

    checks: list[CheckSpec] = Field(
        default_factory=_default_checks,
        max_length=50,
        description="The risk checks, in the order they run.",
    )
    parallel: bool = Field(
        False,
        description="Automatic checks run in parallel (latency = the slowest) rather than in "
        "sequence (latency = the sum).",
    )
    reviewers: Annotated[int, at_most(100_000)] = Field(
        4,
        ge=1,
        description="Manual reviewers per bank.",
        json_schema_extra=_unit("staff per bank"),
    )
    review_minutes: Annotated[float, at_most(1e6, MINUTES_REASON)] = Field(
        30.0,
        gt=0.0,
        description="Reviewer time per referred application, besides its manual checks.",
        json_schema_extra=_unit("minutes"),
    )
    working_hours: float = Field(
        8.0,
        gt=0.0,
        le=24.0,
        description="Hours a day the reviewers work.",
        json_schema_extra=_unit("hours per day"),
    )
    second_lender_share: Probability = Field(
        0.5,
        description="Share of rejected applicants who cannot pay cash that apply to another bank.",
        json_schema_extra=_unit("probability"),
    )
    booking: BookingCurveSpec = Field(default_factory=BookingCurveSpec)


class ConsumerLoanSpec(Section):
    """Car-loan terms and how borrowers repay or default."""

    apr: float = Field(
        0.06,
        ge=0.0,
        le=1.0,
        description="Annual interest rate of car loans.",
        json_schema_extra=_unit("annual rate"),
    )
    term_months: int = Field(
        36, gt=0, le=120, description="Loan term.", json_schema_extra=_unit("months")
    )
    down_payment_share: Probability = Field(
        0.3,
        description="Down payment as a share of the price.",
        json_schema_extra=_unit("share of price"),
    )
    max_payment_to_income: float = Field(
        0.4,
        gt=0.0,
        le=1.0,
        description="Banks decline loans whose instalment exceeds this share of monthly income "
        "(the credit limit a pre-qualified lead knows).",
        json_schema_extra=_unit("share of monthly income"),
    )
    comfortable_payment_share: float = Field(
        0.3,
        gt=0.0,
        le=1.0,
        description="Instalment, as a share of monthly income, that a borrower finds "
        "comfortable; above it the purchase becomes less likely.",
        json_schema_extra=_unit("share of monthly income"),
    )
    loan_preference: Probability = Field(
        0.3,
        description="Chance that a consumer who could pay cash chooses a loan.",
        json_schema_extra=_unit("probability"),
    )
    default_intercept: Weight = Field(
        -8.0,
        description="Monthly log-odds of default of an average borrower.",
        json_schema_extra=_unit("log-odds per month"),
    )
    risk_weight: Weight = Field(
        1.2,
        ge=0.0,
        description="Weight of the latent credit risk (standard normal).",
        json_schema_extra=_unit("log-odds per sd"),
    )
    burden_weight: Weight = Field(
        4.0,
        ge=0.0,
        description="Weight of the instalment over monthly income.",
        json_schema_extra=_unit("log-odds per unit"),
    )
    income_shock_sd: Noise = Field(
        0.8,
        ge=0.0,
        description="Standard deviation of the monthly income shock.",
        json_schema_extra=_unit("log-odds"),
    )
    repossession_value: Probability = Field(
        0.6,
        description="Price a repossessed car fetches when new, as a share of its price.",
        json_schema_extra=_unit("share of price"),
    )
    depreciation_rate: Probability = Field(
        0.15,
        description="Yearly loss of a car's resale value.",
        json_schema_extra=_unit("share per year"),
    )
