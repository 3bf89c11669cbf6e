"""A section a scenario leaves out holds its model's own defaults.

So the defaults docs/scenarios.md prints (each model's field defaults) are what a run uses
whether a section is left out, written empty or written with some of its fields. The
walk-in and online channels once held 0.7 and 0.3 when left out but 1.0 when written
without a weight.
"""

from __future__ import annotations

from typing import get_args

from pydantic import BaseModel

from autofin.scenario.paths import alternatives, is_list, is_model
from autofin.scenario.schema import Scenario


def left_out_sections(
    model: type[BaseModel], path: str = ""
) -> list[tuple[str, BaseModel, type[BaseModel]]]:
    """Every nested section with a default: its path, the default, and its declared model."""
    found = []
    for name, info in model.model_fields.items():
        members = alternatives(info.annotation)
        below = f"{path}.{name}" if path else name
        if len(members) == 1 and is_model(members[0]) and not info.is_required():
            default = info.get_default(call_default_factory=True)
            if default is not None:
                found.append((below, default, members[0]))
            found.extend(left_out_sections(members[0], below))
        elif len(members) == 1 and is_list(members[0]):
            for item in filter(is_model, alternatives(get_args(members[0])[0])):
                found.extend(left_out_sections(item, f"{below}[]"))
    return found


def test_every_section_left_out_holds_its_models_own_defaults():
    sections = left_out_sections(Scenario)
    assert "consumers.channels.walk_in" in [path for path, _, _ in sections]
    for path, default, model in sections:
        assert type(default) is model, path
        assert default.model_dump() == model().model_dump(), path
