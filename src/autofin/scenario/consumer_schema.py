"""Scenario sections of the consumer side: sales channels, the loan approval pipeline, car loans.

`ConsumerSpec` (in `schema.py`) holds these sections. Rates are fractions; durations of the
approval pipeline are in minutes because decisions take minutes to days.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

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


def _priced(data: Any) -> Any:
    """Reject a fixed car-loan APR (older scenario files) with what to write instead."""
    if isinstance(data, dict) and "apr" in data:
        raise ValueError(
            f"apr is {data['apr']!r}, but a car loan's APR is priced by its bank (funding + "
            "expected loss + capital charge + margin): set margin instead (an annual rate)"
        )
    return data


ChannelWeight = Annotated[float, Field(ge=0.0), at_most(1e6, "a relative weight")]
CHANNEL_WEIGHT = (
    "Relative share of consumers who shop through this channel (their channel exposure); "
    "normalised over `walk_in` and `online`."
)
LEAD_RATE = "Share of the channel's visits that become leads (visit-to-lead or click-to-lead)."


class OrganicChannelSpec(Section):
    """A channel consumers reach on their own shopping trips: dealer walk-in or online.

    Each channel has its own defaults (`WalkInChannelSpec`, `OnlineChannelSpec`), which also
    hold for a field left out of a channel's section; this base has none.
    """

    weight: ChannelWeight = Field(
        description=CHANNEL_WEIGHT, json_schema_extra=_unit("relative weight")
    )
    lead_rate: Probability = Field(description=LEAD_RATE, json_schema_extra=_unit("probability"))


class WalkInChannelSpec(OrganicChannelSpec):
    """Dealer walk-in: most shoppers, most visits becoming leads."""

    weight: ChannelWeight = Field(
        0.7, description=CHANNEL_WEIGHT, json_schema_extra=_unit("relative weight")
    )
    lead_rate: Probability = Field(
        0.9, description=LEAD_RATE, json_schema_extra=_unit("probability")
    )


class OnlineChannelSpec(OrganicChannelSpec):
    """Online: fewer shoppers, and fewer clicks than visits become leads."""

    weight: ChannelWeight = Field(
        0.3, description=CHANNEL_WEIGHT, json_schema_extra=_unit("relative weight")
    )
    lead_rate: Probability = Field(
        0.3, description=LEAD_RATE, json_schema_extra=_unit("probability")
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
    automaker: Index = Field(
        0,
        description="Row of the automaker whose cars the app offers (0 = first automaker).",
        json_schema_extra=_unit("automaker index"),
    )
    reach_ahead_days: Annotated[int, Field(ge=0), at_most(MAX_DURATION_DAYS, DURATION_REASON)] = (
        Field(
            180,
            description="An app user is in the market this long before its next shopping trip: "
            "only then does an offer make it a lead, and its trip moves to now. The app shifts "
            "demand earlier (and to its automaker); it does not create buyers.",
            json_schema_extra=_unit("days"),
        )
    )


class ChannelsSpec(Section):
    """How consumers reach the automakers."""

    walk_in: WalkInChannelSpec = Field(default_factory=WalkInChannelSpec)
    online: OnlineChannelSpec = Field(default_factory=OnlineChannelSpec)
    bank_app: BankAppSpec = Field(default_factory=BankAppSpec)

    @model_validator(mode="after")
    def _check_weights(self) -> ChannelsSpec:
        if self.walk_in.weight + self.online.weight <= 0:
            raise ValueError("walk_in.weight + online.weight must be positive")
        return self


ScoreUnits = Annotated[float, Field(ge=-10.0), at_most(10.0, "standard deviations of a score")]
Loading = Annotated[float, Field(ge=0.0), at_most(10.0, "standard deviations of a score")]


class CheckSpec(Section):
    """One risk check of the loan approval pipeline.

    A check observes a score: ``risk_loading`` × the applicant's latent credit risk +
    ``fraud_loading`` × its latent fraud propensity (both standard normal) + an error with
    standard deviation ``noise``, part of which it shares with the checks reading the same
    ``source``. It rejects when the score is above ``threshold``. How many would-be defaulters
    and fraudsters it catches, and how many good applicants it rejects, follow from these and
    are measured in a run (`approval_checks` in the summary), never set.
    """

    name: str = Field(
        max_length=100, description="What the check is (identity, blacklist, fraud, ...)."
    )
    automatic: bool = Field(
        True,
        description="Whether a system runs it; a manual check sends every application to the "
        "manual-review queue.",
    )
    source: str = Field(
        "",
        max_length=100,
        description="Data source it reads (bureau, documents, device, ...): checks of one source "
        "share part of their errors (`approval.shared_error`). Empty: a source of its own.",
    )
    risk_loading: Loading = Field(
        0.0,
        description="Weight of the applicant's latent credit risk (standard normal) in its score.",
        json_schema_extra=_unit("score per sd"),
    )
    fraud_loading: Loading = Field(
        0.0,
        description="Weight of the applicant's latent fraud propensity (standard normal; the "
        "top `fraud_share` are fraudsters) in its score.",
        json_schema_extra=_unit("score per sd"),
    )
    noise: Loading = Field(
        1.0,
        description="Standard deviation of the check's observation error.",
        json_schema_extra=_unit("score sd"),
    )
    threshold: ScoreUnits = Field(
        2.0,
        description="The check rejects an applicant whose observed score is above this.",
        json_schema_extra=_unit("score"),
    )
    inconclusive_band: Loading = Field(
        0.0,
        description="Automatic checks: a score this close to the threshold is inconclusive, "
        "which refers the application to manual review (`approval.inconclusive`).",
        json_schema_extra=_unit("score"),
    )
    latency_minutes: Annotated[float, at_most(1e6, MINUTES_REASON)] = Field(
        0.05,
        ge=0.0,
        description="Time the check takes (automatic: machine time; manual: reviewer time).",
        json_schema_extra=_unit("minutes"),
    )


def _default_checks() -> list[CheckSpec]:
    return [
        CheckSpec(
            name="identity", source="id", fraud_loading=1.0, noise=0.4, threshold=2.6,
            inconclusive_band=0.1,
        ),
        CheckSpec(
            name="blacklist", source="bureau", risk_loading=0.6, fraud_loading=0.6, noise=0.8,
            threshold=2.8,
        ),
        CheckSpec(
            name="credit_score", source="bureau", risk_loading=1.0, noise=0.8, threshold=2.0,
            inconclusive_band=0.3,
        ),
        CheckSpec(
            name="income_verification", source="documents", automatic=False, risk_loading=1.0,
            fraud_loading=1.0, noise=0.5, threshold=2.4, latency_minutes=20.0,
        ),
    ]  # fmt: skip


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
    shared_error: Probability = Field(
        0.5,
        description="Share of a check's error variance that is common to all checks reading the "
        "same `source` (their errors are correlated with this coefficient).",
        json_schema_extra=_unit("share of variance"),
    )
    review_noise_share: Probability = Field(
        0.5,
        description="A reviewer re-reads the data behind a referred application's checks with "
        "this share of each check's noise: manual review observes more, at the cost of staff "
        "time.",
        json_schema_extra=_unit("share of noise"),
    )
    inconclusive: Literal["review", "approve", "reject"] = Field(
        "review",
        description="What happens to an application an automatic check cannot decide: manual "
        "review, or an automatic approval or rejection without review.",
    )
    second_lender_share: Probability = Field(
        0.5,
        description="Share of rejected applicants who cannot pay cash that apply to another bank.",
        json_schema_extra=_unit("probability"),
    )
    booking: BookingCurveSpec = Field(default_factory=BookingCurveSpec)


class ConsumerLoanSpec(Section):
    """Car-loan terms and how borrowers repay or default."""

    margin: Annotated[float, Field(ge=-1.0, le=1.0)] = Field(
        0.016,
        description="Annual margin of car loans over the lender's cost. A loan's APR is its "
        "bank's funding rate + the car-loan book's expected loss (its annual loss rate) + the "
        "capital charge + this margin, set when it is booked (0 at least). See "
        "docs/calibration.md.",
        json_schema_extra=_unit("annual rate"),
    )

    @model_validator(mode="before")
    @classmethod
    def _no_fixed_apr(cls, data: Any) -> Any:
        return _priced(data)

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


class ChoiceSpec(Section):
    """How a lead chooses among automakers: a multinomial logit.

    A lead's utility for automaker *k* is − ``price_weight`` × log(price / mean price) +
    ``stock_weight`` × availability + log(reach in the lead's channel) and, weighted by the
    chance the lead borrows, − ``apr_weight`` × APR − ``down_payment_weight`` × down-payment
    share + ``decision_weight`` × the booking-curve value of the decision time shoppers expect
    at that automaker (learnt from recent decisions). Each lead picks an automaker with
    probability proportional to e^utility (the logit shares: as if it added independent Gumbel
    tastes and took the best); market shares follow.
    """

    price_weight: Annotated[float, Field(ge=0.0), at_most(100.0, "a logit weight")] = Field(
        4.0,
        description="Utility lost per unit of log price relative to the mean price.",
        json_schema_extra=_unit("utility per log price"),
    )
    stock_weight: Annotated[float, Field(ge=0.0), at_most(100.0, "a logit weight")] = Field(
        1.0,
        description="Utility of a car being available: stock over a week of demand, capped at 1.",
        json_schema_extra=_unit("utility"),
    )
    apr_weight: Annotated[float, Field(ge=0.0), at_most(1000.0, "a logit weight")] = Field(
        15.0,
        description="Utility lost per unit of APR (0.01 = one percentage point), for borrowers.",
        json_schema_extra=_unit("utility per unit rate"),
    )
    down_payment_weight: Annotated[float, Field(ge=0.0), at_most(100.0, "a logit weight")] = Field(
        2.0,
        description="Utility lost per unit of down-payment share of the price, for borrowers.",
        json_schema_extra=_unit("utility per share"),
    )
    decision_weight: Annotated[float, Field(ge=0.0), at_most(100.0, "a logit weight")] = Field(
        3.0,
        description="Utility per unit of the booking-curve value of the expected decision time "
        "(0.93 for an instant decision, about 0.5 for a day), for borrowers.",
        json_schema_extra=_unit("utility"),
    )
    memory_days: Annotated[float, Field(gt=0.0), at_most(MAX_DURATION_DAYS, DURATION_REASON)] = (
        Field(
            91.0,
            description="Time over which shoppers' expected decision time follows the decisions "
            "an automaker's buyers received (exponential smoothing).",
            json_schema_extra=_unit("days"),
        )
    )


class AutomakerOfferSpec(Section):
    """What one automaker offers buyers differently from the rest (a per-automaker override).

    Unset fields keep the scenario's common settings.
    """

    automaker: Index = Field(
        description="Row of the automaker (0 = first automaker).",
        json_schema_extra=_unit("automaker index"),
    )
    partner_bank: Index | None = Field(
        None,
        description="Bank that finances this automaker's buyers first (a bank partnership); "
        "unset: buyers apply to a bank chosen at random.",
        json_schema_extra=_unit("bank index"),
    )
    approval: ApprovalSpec | None = Field(
        None,
        description="The approval stack and review team the partner bank runs for this "
        "automaker's buyers (for example a faster one); needs `partner_bank`.",
    )
    margin: Annotated[float, Field(ge=-1.0, le=1.0)] | None = Field(
        None,
        description="Margin the partner bank charges this automaker's buyers instead of "
        "`loans.margin` (a lower one is a subsidised rate; the APR is 0 at least); needs "
        "`partner_bank`.",
        json_schema_extra=_unit("annual rate"),
    )
    down_payment_share: Probability | None = Field(
        None,
        description="Down payment share of this automaker's financing (needs `partner_bank`).",
        json_schema_extra=_unit("share of price"),
    )
    reach: Annotated[float, Field(gt=0.0), at_most(1000.0, "a relative reach")] = Field(
        1.0,
        description="Relative presence in dealer and online channels (dealer network, "
        "advertising): its logarithm adds to the automaker's utility.",
        json_schema_extra=_unit("relative reach"),
    )

    @model_validator(mode="before")
    @classmethod
    def _no_fixed_apr(cls, data: Any) -> Any:
        return _priced(data)

    @model_validator(mode="after")
    def _check_partner(self) -> AutomakerOfferSpec:
        needs = [
            name
            for name in ("approval", "margin", "down_payment_share")
            if getattr(self, name) is not None
        ]
        if needs and self.partner_bank is None:
            raise ValueError(f"{', '.join(needs)} needs partner_bank (the bank that offers it)")
        return self
