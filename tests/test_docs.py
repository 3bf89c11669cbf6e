"""docs/scenarios.md documents every scenario setting, up to date with the schema; docs/metrics.md
names every flow type."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import get_args

from pydantic import BaseModel

from autofin.scenario.paths import alternatives, is_list, is_model
from autofin.scenario.schema import Scenario

DOCS = Path(__file__).resolve().parents[1] / "docs"


def generator():
    spec = importlib.util.spec_from_file_location(
        "gen_scenario_docs", DOCS / "gen_scenario_docs.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_scenarios_md_is_up_to_date_with_the_schema():
    current = (DOCS / "scenarios.md").read_text(encoding="utf-8")
    assert generator().updated(current) == current, (
        "docs/scenarios.md is out of date: run python docs/gen_scenario_docs.py"
    )


def test_every_setting_has_a_row_with_its_default():
    text = (DOCS / "scenarios.md").read_text(encoding="utf-8")
    for section in generator().sections():
        for name in section.model.model_fields:
            full = f"{section.path}.{name}" if section.path else name
            assert f"| `{full}` |" in text, full


def test_every_section_is_documented():
    models = {section.model for section in generator().sections()}
    assert Scenario in models

    def reachable(model: type[BaseModel]) -> set[type[BaseModel]]:
        found = {model}
        for field in model.model_fields.values():
            for member in alternatives(field.annotation):
                items = alternatives(get_args(member)[0]) if is_list(member) else [member]
                for item in filter(is_model, items):
                    found |= reachable(item)
        return found

    assert reachable(Scenario) == models


def test_every_flow_type_has_a_row_in_metrics_md():
    # flows.parquet names each money movement by its type; a reader looks it up there
    # (dividends and the banks' funding facility were missing).
    from autofin.world.ledger import FLOW_NAMES

    text = (DOCS / "metrics.md").read_text(encoding="utf-8")
    assert [name for name in FLOW_NAMES if f"| `{name}` |" not in text] == []
