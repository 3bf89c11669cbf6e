"""Building blocks shared by the scenario schema modules: the section base and value types.

Kept apart from `schema.py` so that `consumer_schema.py` and `finance_schema.py`, which
`schema.py` imports, can use them without a circular import.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Share = Annotated[float, Field(gt=0.0, lt=1.0)]
Days = Annotated[int, Field(ge=0)]
PositiveDays = Annotated[int, Field(gt=0)]
Money = Annotated[float, Field(ge=0.0)]
Rate = Annotated[float, Field(ge=0.0, le=1.0)]
SupplierTier = Annotated[int, Field(ge=1)]


class Section(BaseModel):
    """Base of every scenario section: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)
