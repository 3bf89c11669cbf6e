"""Building blocks shared by the scenario schema modules: the section base and value types.

Kept apart from `schema.py` so that `consumer_schema.py` and `finance_schema.py`, which
`schema.py` imports, can use them without a circular import.

Every section is strict: a number must be written as a number (not `"70"` or `true`), floats
must be finite, and every count, duration and magnitude has an upper bound (`AtMost`) whose
error message says why the bound exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import annotated_types
from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

MAX_DURATION_DAYS = 3650
"""Longest duration (ten years): durations size day-indexed books of payments due."""
MAX_HORIZON_DAYS = 36_500
"""Longest horizon (a century): run time and memory grow with the number of steps."""
MAX_MONEY = 1e15
"""Largest money amount: beyond it float64 sums lose cent precision."""
MAX_COUNT_REASON = "memory and run time grow with it"
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
"""A scenario's or experiment's name: it names its results folder."""
DURATION_REASON = "durations size day-indexed books of payments due, so they are capped at 10 years"
DAY_REASON = "a day of the horizon, which is at most 100 years"
MONEY_REASON = "larger amounts lose cent precision in sums"


@dataclass(frozen=True)
class AtMost(annotated_types.Le):
    """An upper bound (`le`) whose error message gives the reason for the bound.

    Used as `Annotated` metadata; the JSON Schema shows it as `maximum`, and the docs
    generator reads it like any `annotated_types.Le`.

    Attributes:
        reason: Why the bound exists, shown in the error message.
    """

    reason: str = ""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        limit, reason = self.le, self.reason

        def check(value: Any) -> Any:
            if value > limit:
                shown = f"{limit:,}" if isinstance(limit, int) else f"{limit:g}"
                raise ValueError(f"got {value:,}; at most {shown} is allowed ({reason})")
            return value

        return core_schema.no_info_after_validator_function(check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["maximum"] = self.le
        return json_schema


Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Share = Annotated[float, Field(gt=0.0, lt=1.0)]
Days = Annotated[int, Field(ge=0), AtMost(MAX_DURATION_DAYS, DURATION_REASON)]
PositiveDays = Annotated[int, Field(gt=0), AtMost(MAX_DURATION_DAYS, DURATION_REASON)]
Day = Annotated[int, Field(ge=0), AtMost(MAX_HORIZON_DAYS, DAY_REASON)]
Amount = Annotated[float, Field(gt=0.0), AtMost(MAX_MONEY, MONEY_REASON)]
"""A positive amount of money."""
Money = Annotated[float, Field(ge=0.0), AtMost(MAX_MONEY, MONEY_REASON)]
Noise = Annotated[float, AtMost(10.0, "log-odds noise beyond 10 drowns every signal")]
Rate = Annotated[float, Field(ge=0.0, le=1.0)]
SupplierTier = Annotated[int, Field(ge=1), AtMost(50, "networks have at most 50 supplier tiers")]
Index = Annotated[int, Field(ge=0), AtMost(9999, "at most 10,000 banks or automakers")]
Weight = Annotated[
    float, Field(ge=-100.0), AtMost(100.0, "log-odds beyond 100 saturate every probability")
]
Sigma = Annotated[float, Field(ge=0.0), AtMost(5.0, "a log-normal sigma beyond 5 overflows")]


def at_most(limit: float, reason: str = MAX_COUNT_REASON) -> AtMost:
    """An `AtMost` bound (by default for counts), for use inside `Annotated[...]`."""
    return AtMost(limit, reason)


class Section(BaseModel):
    """Base of every scenario section: unknown keys are errors, not silently ignored.

    Strict: a number given as text or a boolean is an error, and floats must be finite.
    """

    model_config = ConfigDict(
        extra="forbid", validate_assignment=True, strict=True, allow_inf_nan=False
    )
