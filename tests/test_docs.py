"""docs/scenarios.md documents every scenario setting, up to date with the schema; docs/metrics.md
names every flow type."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel

from autofin.scenario.loading import load_scenario
from autofin.scenario.paths import alternatives, is_list, is_model
from autofin.scenario.schema import Scenario

DOCS = Path(__file__).resolve().parents[1] / "docs"
REPO = DOCS.parent


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


def reference_rows() -> list[tuple[str, str]]:
    """(setting, default) of every row of the field reference, as docs/scenarios.md shows them."""
    rows = []
    for line in (DOCS / "scenarios.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("| `"):
            cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
            rows.append((cells[0].strip("`"), cells[3]))
    return rows


def value_at(scenario: Scenario, dotted: str) -> Any:
    value: Any = scenario
    for key in dotted.split("."):
        value = getattr(value, key)
    return value


def test_every_default_in_the_reference_can_be_pasted_into_a_scenario(tmp_path):
    # A user copies a default from the table into a file or a --set; it must load as that
    # default (`150_000` was shown, which YAML 1.2 reads as text and the loader refuses).
    path = tmp_path / "s.yaml"
    path.write_text("name: s\n")
    defaults = load_scenario(path)
    # The first value shown is the one a scenario gets when it leaves the setting out.
    pasted = [
        (setting, shown.split("`")[1])
        for setting, shown in reference_rows()
        if shown.startswith("`") and "[]" not in setting
    ]
    assert len(pasted) > 150
    for setting, text in pasted:
        section = setting.rpartition(".")[0]
        expected = defaults
        if section and value_at(defaults, section) is None:  # an instrument that is off
            expected = load_scenario(path, [f"{section}={{}}"])
        scenario = load_scenario(path, [f"{setting}={text}"])
        assert value_at(scenario, setting) == value_at(expected, setting), setting


def slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_links_to_sections_of_scenarios_md_lead_to_a_heading():
    # README.md links to docs/scenarios.md#limits; the section was once lost in a merge.
    text = (DOCS / "scenarios.md").read_text(encoding="utf-8")
    anchors = {slug(line.lstrip("#")) for line in text.splitlines() if line.startswith("#")}
    assert {"yaml", "limits", "network-files"} <= anchors
    sources = [REPO / "README.md", *DOCS.glob("*.md")]
    links = [
        (source.name, anchor)
        for source in sources
        for anchor in re.findall(
            r"\]\((?:[\w./]*scenarios\.md)?#([\w-]+)\)"
            if source.name == "scenarios.md"
            else r"\]\([\w./]*scenarios\.md#([\w-]+)\)",
            source.read_text(encoding="utf-8"),
        )
    ]
    assert ("README.md", "limits") in links
    assert [link for link in links if link[1] not in anchors] == []
