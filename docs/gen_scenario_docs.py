"""Generate the field reference in docs/scenarios.md from the scenario schema.

Run `python docs/gen_scenario_docs.py` after changing `src/autofin/scenario/schema.py`. Only
the part of docs/scenarios.md between the two GENERATED markers is rewritten; the prose
around it is kept. `python docs/gen_scenario_docs.py --check` exits 1 if the file is out of
date (tests/test_docs.py does the same).

A field's unit comes from `json_schema_extra={"unit": ...}` in the schema when given, else
from the table below, else from its name (`*_days` are days, `*_years` are years).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from autofin.scenario.paths import alternatives, is_list, is_model, literal_values
from autofin.scenario.schema import Scenario

DOC = Path(__file__).with_name("scenarios.md")
BEGIN = (
    "<!-- BEGIN GENERATED FIELD REFERENCE: edit src/autofin/scenario/schema.py, "
    "then run python docs/gen_scenario_docs.py -->"
)
END = "<!-- END GENERATED FIELD REFERENCE -->"

UNITS: dict[str, str] = {
    "Scenario.name": "—",
    "Scenario.description": "—",
    "Scenario.extends": "file path",
    "Scenario.seed": "—",
    "Scenario.currency": "currency code",
    "NetworkSpec.source": "—",
    "NetworkSpec.path": "file path",
    "NetworkSpec.automakers": "firms",
    "NetworkSpec.tiers": "suppliers per tier",
    "NetworkSpec.suppliers_per_customer": "suppliers",
    "NetworkSpec.parts_per_tier": "part categories per tier",
    "MarketSpec.vehicles_per_year": "vehicles per year",
    "CapacityInvestmentSpec.utilisation_trigger": "share of capacity",
    "NetworkSpec.preferential_attachment": "exponent (dimensionless)",
    "AutomakerSpec.vehicle_price": "currency per vehicle",
    "AutomakerSpec.parts_cost_share": "share of price",
    "AutomakerSpec.assembly_cost_share": "share of price",
    "AutomakerSpec.fixed_cost_share": "share of annual revenue, per year",
    "AutomakerSpec.initial_cash_days": "days of revenue",
    "AutomakerSpec.forecast_smoothing": "weight",
    "AutomakerSpec.inventory_target_days": "days of sales",
    "AutomakerSpec.equity_days": "days of revenue",
    "SupplierSpec.margin": "share of cost",
    "SupplierSpec.margin_dispersion": "share of cost (standard deviation)",
    "SupplierSpec.input_cost_share": "share of unit cost",
    "SupplierSpec.fixed_cost_share": "share of annual revenue, per year",
    "SupplierSpec.capacity_slack": "multiple of expected output",
    "SupplierSpec.initial_cash_days": "days of cost",
    "SupplierSpec.size_dispersion": "log-normal sigma",
    "SupplierSpec.cost_shock_sd": "share of unit cost, per week",
    "SupplierSpec.cost_shock_persistence": "AR(1) coefficient, per week",
    "SupplierSpec.recovery_rate": "share of book value",
    "SupplierSpec.equity_days": "days of revenue",
    "SupplierSpec.forecast_smoothing": "weight",
    "ScoringSpec.intercept": "log-odds",
    "ScoringSpec.leverage": "log-odds per unit of leverage",
    "ScoringSpec.cash_flow": "log-odds per unit of cash-flow ratio",
    "ScoringSpec.arrears": "log-odds per unit of arrears frequency",
    "ScoringSpec.interest_cover": "log-odds per unit of interest cover",
    "ScoringSpec.tier": "log-odds per tier",
    "ScoringSpec.learning_prior": "defaults",
    "ScoringSpec.memory_days": "days",
    "BankSpec.count": "banks",
    "BankSpec.capital": "currency",
    "BankSpec.capital_ratio": "capital / loans",
    "BankSpec.automotive_share": "share of the loan book",
    "BankSpec.funding_rate": "annual rate",
    "BankSpec.funding_premium": "annual rate",
    "BankSpec.margin": "annual rate",
    "BankSpec.min_capital_ratio": "capital / loans",
    "BankSpec.max_probability_of_default": "probability",
    "BankSpec.scoring_noise": "log-odds (standard deviation)",
    "BankSpec.loss_given_default": "share of exposure",
    "BankSpec.concentration_limit": "share of bank capital",
    "BankSpec.borrowing_buffer": "share of the shortfall",
    "ConsumerSpec.population": "consumers",
    "ConsumerSpec.income_median": "currency per year",
    "ConsumerSpec.income_sigma": "log-normal sigma",
    "ConsumerSpec.affordability_multiple": "years of income",
    "ConsumerSpec.price_sensitivity": "— (dimensionless)",
    "ConsumerSpec.purchase_propensity": "probability",
    "ConsumerSpec.purchase_propensity_dispersion": "probability (standard deviation)",
    "ConsumerSpec.test_drive_propensity": "probability",
    "ConsumerSpec.savings_sigma": "log-normal sigma",
    "ConsumerSpec.fraud_share": "share of consumers",
    "ForceDefault.type": "—",
    "ForceDefault.day": "day of the run",
    "ForceDefault.tier": "tier number",
    "ForceDefault.rank": "rank (1 = largest)",
    "DemandShock.type": "—",
    "DemandShock.day": "day of the run",
    "DemandShock.factor": "multiplier",
}

_NAMES = {int: "integer", float: "number", str: "text", bool: "true/false"}


@dataclass(frozen=True)
class Section:
    """One table of the reference: a model and the dotted path where it sits."""

    path: str
    model: type[BaseModel]
    tag: str = ""

    @property
    def title(self) -> str:
        """The section's heading: its path, and for list items the `type` that selects them."""
        if not self.path:
            return "Top level"
        return f"`{self.path}` with `type: {self.tag}`" if self.tag else f"`{self.path}`"


def sections(model: type[BaseModel] = Scenario, path: str = "") -> list[Section]:
    """Every section of the schema, depth first, the top level first."""
    found = [Section(path, model)]
    for name, field in model.model_fields.items():
        below = f"{path}.{name}" if path else name
        members = alternatives(field.annotation)
        if len(members) == 1 and is_model(members[0]):
            found.extend(sections(members[0], below))
        elif len(members) == 1 and is_list(members[0]):
            items = alternatives(get_args(members[0])[0])
            for item in filter(is_model, items):
                tags = _tags(item)
                found.extend(
                    Section(section.path, section.model, section.tag or tags)
                    for section in sections(item, f"{below}[]")
                )
    return found


def _tags(model: type[BaseModel]) -> str:
    """The `type` values that select a model among the items of a list, if any."""
    field = model.model_fields.get("type")
    return " or ".join(map(str, literal_values(field.annotation))) if field else ""


def unit_of(model: type[BaseModel], name: str, field: FieldInfo) -> str:
    """The unit of a field: declared in the schema, listed above, or implied by its name."""
    extra = field.json_schema_extra
    if isinstance(extra, dict) and isinstance(extra.get("unit"), str):
        return extra["unit"]
    if f"{model.__name__}.{name}" in UNITS:
        return UNITS[f"{model.__name__}.{name}"]
    if name.endswith("_days"):
        return "days"
    if name.endswith("_years"):
        return "years"
    return "—"


def describe_type(annotation: Any, metadata: list[Any] | None = None) -> str:
    """A short human description of a field's type and bounds (`integer ≥ 0`)."""
    parts = []
    for member in alternatives(annotation):
        bounds = [*(metadata or []), *_constraints(annotation, member)]
        parts.append(_describe_one(member, bounds))
    return " or ".join(dict.fromkeys(parts)) or "null"


def _constraints(annotation: Any, member: Any) -> list[Any]:
    """Constraints attached through `Annotated[...]` to `member` inside `annotation`."""
    found: list[Any] = []
    for candidate in (annotation, *get_args(annotation)):
        args = get_args(candidate)
        if (
            args
            and args[0] is member
            and candidate is not member
            and hasattr(candidate, "__metadata__")
        ):
            for extra in candidate.__metadata__:
                found.extend(extra.metadata if isinstance(extra, FieldInfo) else [extra])
    return found


def _describe_one(member: Any, bounds: list[Any]) -> str:
    values = literal_values(member)
    if values:
        return " or ".join(f"`{value}`" for value in values)
    if is_model(member):
        return "section" if not _tags(member) else f"`type: {_tags(member)}` item"
    if is_list(member):
        items = describe_type(get_args(member)[0])
        if "item" in items:
            text = "list of items (see below)"
        else:
            plural = items.replace("integer", "integers", 1).replace("number", "numbers", 1)
            text = f"list of {plural}"
        for bound in bounds:
            if isinstance(bound, annotated_types.MinLen):
                text += f", at least {bound.min_length}"
        return text
    name = _NAMES.get(member, getattr(member, "__name__", str(member)))
    return f"{name}{_range(bounds)}"


def _range(bounds: list[Any]) -> str:
    low = next((b for b in bounds if isinstance(b, annotated_types.Ge | annotated_types.Gt)), None)
    high = next((b for b in bounds if isinstance(b, annotated_types.Le | annotated_types.Lt)), None)
    low_value = getattr(low, "ge", getattr(low, "gt", None))
    high_value = getattr(high, "le", getattr(high, "lt", None))
    if low is not None and high is not None:
        left = "[" if isinstance(low, annotated_types.Ge) else "("
        right = "]" if isinstance(high, annotated_types.Le) else ")"
        return f" in {left}{_number(low_value)}, {_number(high_value)}{right}"
    if low is not None:
        return f" {'≥' if isinstance(low, annotated_types.Ge) else '>'} {_number(low_value)}"
    if high is not None:
        return f" {'≤' if isinstance(high, annotated_types.Le) else '<'} {_number(high_value)}"
    for bound in bounds:
        if isinstance(bound, annotated_types.MinLen):
            return f", at least {bound.min_length} character"
    return ""


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def default_of(field: FieldInfo) -> str:
    """The default of a field as it would be written in YAML, or `required`."""
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return "see below"
    if value is None:
        return "none"
    if isinstance(value, str):
        return f'`"{value}"`' if value == "" else f"`{value}`"
    if isinstance(value, list):
        return "`[" + ", ".join(_number(item) for item in value) + "]`"
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 10_000:
        return f"`{value:_.0f}`"
    return f"`{_number(value)}`"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def render_section(section: Section) -> str:
    """The heading, description and field table of one section."""
    doc = " ".join((section.model.__doc__ or "").split())
    lines = [f"### {section.title}", ""]
    if doc:
        lines += [doc, ""]
    lines += ["| field | type | unit | default | meaning |", "| --- | --- | --- | --- | --- |"]
    for name, field in section.model.model_fields.items():
        full = f"{section.path}.{name}" if section.path else name
        kind = describe_type(field.annotation, list(field.metadata))
        meaning = field.description or ""
        if "section" in kind:
            meaning = meaning or "See its section below."
        elif name == "type" and section.tag:
            meaning = meaning or "Selects this kind of item."
        cells = (
            f"`{full}`",
            kind,
            unit_of(section.model, name, field),
            default_of(field),
            meaning,
        )
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return "\n".join(lines)


def render() -> str:
    """The whole generated reference, markers included."""
    body = "\n\n".join(render_section(section) for section in sections())
    return f"{BEGIN}\n\n{body}\n\n{END}"


def updated(text: str) -> str:
    """`text` (the current docs/scenarios.md) with its generated part brought up to date."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise SystemExit(f"{DOC}: the GENERATED markers are missing")
    return text[:start] + render() + text[end + len(END) :]


def main(argv: list[str] | None = None) -> int:
    """Rewrite docs/scenarios.md, or with `--check` report whether it is up to date."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    args = parser.parse_args(argv)
    current = DOC.read_text(encoding="utf-8")
    fresh = updated(current)
    if args.check:
        if fresh != current:
            print(f"{DOC} is out of date; run python docs/gen_scenario_docs.py")
            return 1
        return 0
    DOC.write_text(fresh, encoding="utf-8")
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
