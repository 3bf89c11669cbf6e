"""Generate the field reference in docs/scenarios.md from the scenario schema.

Run `python docs/gen_scenario_docs.py` after changing `src/autofin/scenario/schema.py`. Two
parts of docs/scenarios.md are generated, each between its GENERATED markers: the field
reference, and the sections "YAML", "Limits" and "Network files", whose rules are written
here with every number read from the code (the reader's, the schema's and the network
file's limits), so that they cannot go stale or be lost without `--check` failing. The prose
around them is kept. `python docs/gen_scenario_docs.py --check` exits 1 if the file is out of
date (tests/test_docs.py does the same).

Defaults are written as YAML 1.2 that can be pasted into a scenario: `150000`, not
`150_000` (which the YAML 1.2 reader takes for text).

A field's unit comes from `json_schema_extra={"unit": ...}` in the schema when given, else
from the table below, else from its name (`*_days` are days, `*_years` are years).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from autofin.scenario import _types, loading, network_file, yaml_reading
from autofin.scenario.paths import alternatives, is_list, is_model, literal_values
from autofin.scenario.schema import Scenario
from autofin.world.network import MAX_TIERS

DOC = Path(__file__).with_name("scenarios.md")
BEGIN = (
    "<!-- BEGIN GENERATED FIELD REFERENCE: edit src/autofin/scenario/schema.py, "
    "then run python docs/gen_scenario_docs.py -->"
)
END = "<!-- END GENERATED FIELD REFERENCE -->"
WIDTH = 95
"""Line width of the generated prose, as in the hand-written parts."""
LIMITS_BEGIN = (
    "<!-- BEGIN GENERATED LIMITS: edit render_limits() in docs/gen_scenario_docs.py, "
    "then run python docs/gen_scenario_docs.py -->"
)
LIMITS_END = "<!-- END GENERATED LIMITS -->"

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
    """One table of the reference: a model and the dotted path where it sits.

    Attributes:
        path: Dotted path of the section (`name[]` for the items of a list).
        model: The section's model.
        tag: For list items, the `type` values that select this model.
    """

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
    """Every section of the schema, depth first, the top level first.

    A section's defaults are its model's own: `tests/scenario/test_schema_defaults.py` checks
    that a section a scenario leaves out holds the same values.
    """
    found = [Section(path, model)]
    for name, info in model.model_fields.items():
        below = f"{path}.{name}" if path else name
        members = alternatives(info.annotation)
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
    return _shown(field.get_default(call_default_factory=True))


def _shown(value: Any) -> str:
    if isinstance(value, BaseModel):
        return "see below"
    if value is None:
        return "none"
    return f"`{yaml_value(value)}`"


def yaml_value(value: Any) -> str:
    """A value as YAML 1.2 flow text that reads back as the same value.

    Numbers have no `_` separators (YAML 1.2 reads `150_000` as text), whole floats are
    written as integers (`150000`), sections as `{key: value}` mappings.

    Args:
        value: A default: a number, text, list, mapping or section.

    Returns:
        The YAML text.
    """
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _plain_float(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(map(yaml_value, value)) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {yaml_value(item)}" for key, item in value.items()) + "}"
    if value is None:
        return "null"
    return _plain_text(str(value))


def _plain_float(value: float) -> str:
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def _plain_text(text: str) -> str:
    """Text bare when YAML reads it back as itself inside a flow list, else double-quoted."""
    bare = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", text) is not None
    return text if bare and yaml_reading.load_yaml(text) == text else json.dumps(text)


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


def schema_bound(path: str, key: str) -> Any:
    """A bound of a setting in the scenario's JSON Schema (`maximum`, `maxItems`, ...).

    Args:
        path: Dotted path of the setting; `name[]` stands for the items of list `name`.
        key: The JSON Schema keyword.

    Returns:
        The keyword's value.
    """
    schema = Scenario.model_json_schema()
    node = schema
    for part in path.split("."):
        node = _deref(schema, node)["properties"][part.removesuffix("[]")]
        if part.endswith("[]"):
            node = _deref(schema, node)["items"]
    return _deref(schema, node)[key]


def _deref(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def render_limits() -> str:
    """The sections "YAML", "Limits" and "Network files", markers included."""
    sections_ = (_yaml_section(), _limits_section(), _network_section())
    body = "\n\n".join(_reflow(section) for section in sections_)
    return f"{LIMITS_BEGIN}\n\n{body}\n\n{LIMITS_END}"


def _reflow(markdown: str) -> str:
    """Wrap the paragraphs and list items of `markdown` at `WIDTH` (numbers vary in length)."""
    blocks = []
    for block in markdown.split("\n\n"):
        if block.startswith("#"):
            blocks.append(block)
            continue
        items = re.split(r"\n(?=- )", block)
        blocks.append("\n".join(_wrap(item) for item in items))
    return "\n\n".join(blocks)


def _wrap(text: str) -> str:
    item = text.startswith("- ")
    return textwrap.fill(
        " ".join(text.removeprefix("- ").split()),
        width=WIDTH,
        initial_indent="- " if item else "",
        subsequent_indent="  " if item else "",
        break_long_words=False,
        break_on_hyphens=False,
    )


def _yaml_section() -> str:
    return f"""## YAML

Scenario files, experiment files and the values given with `--set` are read as YAML 1.2
(its core schema), not as the YAML 1.1 that PyYAML reads by default:

- only `true` and `false` (or `True`, `TRUE`, `False`, `FALSE`) are booleans: `yes`, `no`,
  `on` and `off` are text;
- integers are written in decimal (`50000`), octal (`0o17`) or hexadecimal (`0x1F`); digits
  cannot be grouped (`150_000` is text, and is refused where a number is expected) and
  `1:30` is text, not the base-60 number 90;
- `1e3`, `.5` and `2.5e-3` are floating-point numbers (`1e3` is 1000.0); `.inf`, `-.inf`
  and `.nan` are read, and then refused by every setting (see [Limits](#limits));
- `null`, `~` or nothing at all is null;
- anchors, aliases and merge keys (`<<: *base`) work; a key given twice in one mapping is an
  error that names both lines.

A text is refused before anything else is done with it when it is longer than
{yaml_reading.MAX_BYTES:,} bytes (a scenario file; characters for other texts), is nested
more than {yaml_reading.MAX_DEPTH} levels deep, holds more than {yaml_reading.MAX_NODES:,}
values counting each alias as a copy of what it names (a "billion laughs"), or has an alias
inside the node it names (`a: &x [*x]`, a recursive alias, which would never end); the
message names the line where there is one."""


def _limits_section() -> str:
    money = f"{_types.MAX_MONEY:.0e}".replace("e+", "e")
    weight = _number(schema_bound("banks.scoring.intercept", "maximum"))
    return f"""## Limits

Every setting is strict and bounded; the reference below gives each one's range:

- numbers must be written as numbers: `"70"` or `true` where a number is expected is an
  error, and so is `70.0` or `1e3` where a whole number is expected (the message says
  `write it as 70`); a whole number is fine where a fraction is expected;
- `.nan`, `.inf` and `-.inf` are refused everywhere;
- every count, duration and amount has an upper bound, and its error message says why:
  durations (`*_days`) at most {_types.MAX_DURATION_DAYS:,} days, because they size
  day-indexed books of payments due; `horizon_days`, a demand shock's `duration_days` and
  the day of a shock, of a payment-term change or of a syndicated loan's draw at most
  {_types.MAX_HORIZON_DAYS:,}; at most {schema_bound("network.tiers", "maxItems")} tiers of at
  most {schema_bound("network.tiers[]", "maximum"):,} suppliers each and at most
  {schema_bound("network.automakers", "maximum"):,} automakers; `consumers.population` at most
  {schema_bound("consumers.population", "maximum"):,}; `banks.count` at most
  {schema_bound("banks.count", "maximum"):,}; `replications` at most
  {schema_bound("replications", "maximum"):,}; money at most {money}; log-odds weights within
  ±{weight};
- texts and lists have a maximum length: `name` {schema_bound("name", "maxLength")} characters
  (letters, digits, `_`, `.` and `-`, so that the results folder's name always fits on
  disk), `description` {schema_bound("description", "maxLength"):,}, and lists such as
  `shocks` {schema_bound("shocks", "maxItems"):,} items;
- the day of a shock, of a payment-term change (`finance.payment_terms[].day`) and of a
  syndicated loan's draw (`finance.syndicated_loans[].draw_day`) must fall within
  `horizon_days`;
- a chain of `extends` may be at most {loading.MAX_EXTENDS_DEPTH} files long.

Files a scenario names (`extends`, `network.path`) must lie in the folder of the scenario
file that was loaded (the one given on the command line), or below it, once symbolic links
are followed: a path that leads elsewhere (`../base.yaml`, `/etc/passwd`, a link out of the
folder) is refused before the file is read. This holds for a `network.path` given with
`--set` as well. `--allow-outside-paths` (`autofin run`, `autofin validate` and, for the
base scenario of a sweep, `autofin sweep`; `allow_outside_paths=True` in Python) lifts the
restriction; the browser view never does.

Within these bounds a scenario can still be too big for the machine. `autofin validate`
prints an estimate of the work: steps, firms, consumers and banks, and roughly the memory
and the time on one core the run will take (all replications; it is meant to catch a
scenario ten times too big, not to predict a run to the second). `autofin run` refuses a
scenario whose memory estimate exceeds the machine's memory, with both figures, unless
`--force` is given."""


def _network_section() -> str:
    max_bytes = network_file.MAX_FILE_BYTES
    return f"""## Network files

`network.source: file` with `network.path` loads the supply network from an edge-list CSV,
or from a GraphML file when its name ends in `.graphml`. The file is checked as strictly as a
scenario, and every error names the file, the line (or GraphML edge) and the value:

- a CSV is UTF-8 text whose first line is the header `supplier,customer`, optionally followed
  by `share`, `part` or both in that order (`supplier,customer,share,part`), and every other
  line has exactly as many fields (blank lines are skipped);
- firm names are text as written, without the spaces around them (`NA`, `null` and `n/a` are
  names, not missing values), and may not be empty; a firm may not supply itself, and an
  edge may not be given twice;
- `share` (1 when left out) is the edge's weight among its customer's suppliers, a finite
  number above 0; each customer's weights are scaled to sum to 1;
- `part` names the part category the supplier makes (at most
  {network_file.MAX_PART_CHARS} characters): the same on every line of that supplier, and
  given for every supplier or for none (without parts, each tier makes one part);
- a GraphML file holds one `<graph>`, directed (`edgedefault="directed"`, and no edge with
  `directed="false"`), whose edges join declared `<node>`s; an edge's share is its data for
  the key with `attr.name="share"`, a supplier's part its node's data for the key with
  `attr.name="part"`;
- the network is layered: firms that supply nobody are the automakers (numbered from 0 in
  the order of their names), every other firm's tier is its distance to the nearest
  automaker, every supplier must lead to an automaker, and every edge must go from a tier
  to the tier just below it (tier 2 sells to tier 1 only); at most {MAX_TIERS} supplier
  tiers, the top one buying its raw materials outside the model;
- a file holds at least one edge and at most {network_file.MAX_EDGES:,}, in at most
  {max_bytes:,} bytes;
- the scenario must fit the file: `suppliers.payment_term_days` gives one term per supplier
  tier of the file (tier 1 first), a list in `automakers.payment_term_days` one term per
  automaker of the file, and the tiers and ranks that shocks name, the tiers that
  instruments name and the automakers that instruments, automaker offers and the bank app
  name must exist in the file;
- `network.path` without `source: file` is an error, and so are the settings that only
  shape generated networks (`automakers`, `tiers`, `suppliers_per_customer`,
  `preferential_attachment`, `parts_per_tier`) given with `source: file` at other values
  than their defaults, rather than being silently ignored."""


def updated(text: str) -> str:
    """`text` (the current docs/scenarios.md) with its generated parts brought up to date."""
    for begin, end, build in ((BEGIN, END, render), (LIMITS_BEGIN, LIMITS_END, render_limits)):
        text = _replaced(text, begin, end, build())
    return text


def _replaced(text: str, begin: str, end: str, fresh: str) -> str:
    start, stop = text.find(begin), text.find(end)
    if start < 0 or stop < start:
        raise SystemExit(f"{DOC}: the markers {begin[:40]}... and {end} are missing")
    return text[:start] + fresh + text[stop + len(end) :]


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
