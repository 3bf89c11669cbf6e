"""Clear, ready-to-print errors for scenario files that cannot be loaded.

Every problem with a scenario — a missing file, a YAML syntax error, a value of the wrong
type, an unknown key, a failed consistency check — is raised as a `ScenarioError` whose
`str()` says where the problem is and what was expected, in words a user can act on.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import yaml
from pydantic import ValidationError

from autofin.scenario import paths
from autofin.scenario._types import NAME_PATTERN
from autofin.scenario.yaml_reading import YamlLimitError

_TYPE_MISMATCH_SUFFIXES = ("_type", "_parsing")
_MAX_VALUE_CHARS = 60
_MAX_PROBLEM_CHARS = 1000


class ScenarioError(Exception):
    """A scenario that cannot be loaded; `str(error)` is a human message, ready to print.

    Attributes:
        source: The file (or other source) the scenario came from, if known.
        problems: One line per problem found.
    """

    kind = "scenario"
    """What the file is, as the message of several problems names it."""

    def __init__(self, source: str | None, problems: str | Sequence[str]) -> None:
        self.source = source
        self.problems = [
            _shorten(problem)
            for problem in ([problems] if isinstance(problems, str) else list(problems))
        ]
        super().__init__(self._render())

    def __reduce__(self) -> tuple[type[ScenarioError], tuple[str | None, list[str]]]:
        # Rebuilt from its parts, so that it crosses process boundaries (parallel sweeps).
        return (type(self), (self.source, self.problems))

    def _render(self) -> str:
        prefix = f"{self.source}: " if self.source else ""
        if len(self.problems) == 1:
            return prefix + self.problems[0]
        header = f"{prefix}{len(self.problems)} problems in the {self.kind}:"
        return "\n".join([header, *(f"  - {problem}" for problem in self.problems)])


def _shorten(problem: str) -> str:
    """A problem line cut to `_MAX_PROBLEM_CHARS`, so no message repeats a large input."""
    if len(problem) <= _MAX_PROBLEM_CHARS:
        return problem
    return problem[: _MAX_PROBLEM_CHARS - 5] + " ... "


def yaml_error(error: yaml.YAMLError, source: str) -> ScenarioError:
    """Describe a YAML syntax error with its line, column and the offending line.

    Args:
        error: The error PyYAML raised.
        source: The file being read.

    Returns:
        The error to raise.
    """
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    kind = "YAML refused" if isinstance(error, YamlLimitError) else "YAML syntax error"
    message = f"{kind}{where}: {problem}" + (f" ({context})" if context else "")
    snippet = mark.get_snippet() if mark is not None else None
    return ScenarioError(source, f"{message}\n{snippet}" if snippet else message)


def validation_error(error: ValidationError, source: str | None) -> ScenarioError:
    """Turn a pydantic `ValidationError` on a `Scenario` into one message per problem.

    Each problem names the dotted path of the setting (`suppliers.payment_term_days.0`), the
    value given and what was expected; unknown keys come with the nearest allowed key.

    Args:
        error: The error raised by `Scenario.model_validate`.
        source: The file being loaded, if any.

    Returns:
        The error to raise.
    """
    located = [(paths.locate(item["loc"]), item) for item in error.errors(include_url=False)]
    unions: dict[tuple[paths.PathPart, ...], list[tuple[paths.Location, Any]]] = defaultdict(list)
    for location, item in located:
        if location.branch is not None:
            unions[location.branch.path].append((location, item))
    problems: list[str] = []
    for location, item in located:
        if location.branch is None:
            problems.append(_describe(location, item))
        elif location.branch.path in unions:  # the first error of this union: describe it
            problems.extend(_describe_union(location.branch.path, unions.pop(location.branch.path)))
    return ScenarioError(source, problems)


def show_value(value: Any) -> str:
    """A short, readable rendering of a value from a scenario file.

    Large values are never rendered in full: at most a few items of each list or mapping
    and a few levels are looked at, so an alias bomb cannot blow up an error message.
    """
    text = _render(value, _MAX_VALUE_CHARS + 1, 3)
    if len(text) > _MAX_VALUE_CHARS:
        text = text[: _MAX_VALUE_CHARS - 3] + "..."
    return text


def _render(value: Any, budget: int, depth: int) -> str:
    """JSON-like text of `value`, stopping once about `budget` characters are produced."""
    if isinstance(value, str):
        return repr(value[:budget])
    if isinstance(value, dict | list | tuple):
        if depth == 0:
            return "{...}" if isinstance(value, dict) else "[...]"
        opening, closing = ("{", "}") if isinstance(value, dict) else ("[", "]")
        parts: list[str] = []
        used = 1
        items = list(value.items())[:8] if isinstance(value, dict) else list(value[:8])
        for item in items:
            if used > budget:
                break
            if isinstance(value, dict):
                key, inner = item
                shown = _render(inner, budget - used, depth - 1)
                part = f"{_render(key, budget - used, 0)}: {shown}"
            else:
                part = _render(item, budget - used, depth - 1)
            parts.append(part)
            used += len(part) + 2
        more = ", ..." if len(value) > len(parts) else ""
        return opening + ", ".join(parts) + more + closing
    if isinstance(value, float | int | bool) or value is None:
        return json.dumps(value)
    return str(value)[:budget]


def _where(path: Sequence[paths.PathPart]) -> str:
    return paths.dotted(path) or "top level"


def _expectation(message: str) -> str:
    """Reword pydantic's 'Input should be X' as 'expected X'."""
    if message.startswith("Input should be "):
        wanted = message.removeprefix("Input should be ")
        if wanted.startswith(("greater", "less", "a multiple")):
            wanted = "a value " + wanted
        return "expected " + wanted
    return message[:1].lower() + message[1:]


RETIRED: dict[str, str] = {
    "opening_line_headroom": "retired on 5 December 2026: a credit line now opens at its "
    "firm's debt plus `banks.expected_sales_growth` of its working-capital need "
    "(docs/calibration.md, 'How much room a credit line opens with')",
}
"""Settings a scenario file may still name that no longer exist, with what replaced them."""


def _describe(location: paths.Location, item: Any) -> str:
    """One line for one pydantic error."""
    kind, path = item["type"], location.path
    context = item.get("ctx") or {}
    if kind == "extra_forbidden":
        allowed = paths.keys_of(paths.locate(path[:-1]).candidates)
        key = str(path[-1])
        hint = RETIRED.get(key) or paths.suggestion(key, allowed)
        return f"{_where(path[:-1])}: unknown key '{key}'; {hint}"
    if kind == "missing":
        return f"{_where(path)}: required, but missing"
    if kind == "value_error" and "error" in context:
        return f"{paths.dotted(path) or 'scenario'}: {context['error']}"
    if kind == "model_type":
        return f"{_where(path)}: got {show_value(item['input'])}; expected a section of settings"
    if kind == "union_tag_invalid":
        tags = paths.tags_of(location.candidates)
        tag = str(context.get("tag"))
        return f"{_where([*path, 'type'])}: unknown type '{tag}'; {paths.suggestion(tag, tags)}"
    if kind == "union_tag_not_found":
        tags = ", ".join(paths.tags_of(location.candidates))
        return f"{_where(path)}: missing 'type' (one of: {tags})"
    if kind == "string_pattern_mismatch" and context.get("pattern") == NAME_PATTERN:
        return (
            f"{_where(path)}: got {show_value(item['input'])}; expected letters, digits, `_`, "
            "`.` and `-`, starting with a letter or digit (no spaces or slashes: it names the "
            "results folder)"
        )
    line = f"{_where(path)}: got {show_value(item['input'])}; {_expectation(item['msg'])}"
    if kind in ("bool_parsing", "bool_type") and isinstance(item["input"], str):
        # YAML 1.2, as the files are read: yes, no, on and off are text, not booleans.
        quoted = item["input"].strip().lower() in ("true", "false")
        line += " (without quotes)" if quoted else " (write true or false)"
    if kind in ("int_parsing", "int_type") and isinstance(item["input"], str | float):
        line += _whole_number_hint(item["input"])
    if kind == "literal_error" and isinstance(item["input"], str):
        choices = [
            str(value)
            for candidate in location.candidates
            for value in paths.literal_values(candidate)
        ]
        close = paths.suggestion(item["input"], choices)
        if close.startswith("did you mean"):
            line += f"; {close}"
    return line


def _whole_number_hint(text: str | float) -> str:
    """A hint for a whole number written as text (`"70"`) or with a point (`70.0`, `1e3`)."""
    try:
        number = float(text)
    except ValueError:
        return ""
    if math.isfinite(number) and number.is_integer():
        return f" (write it as {int(number)})"
    return ""


def _is_type_mismatch(location: paths.Location, item: Any) -> bool:
    """Whether the error only says the value is not of this union branch's type at all."""
    branch = location.branch
    return (
        branch is not None
        and branch.at_root
        and str(item["type"]).endswith(_TYPE_MISMATCH_SUFFIXES)
    )


def _describe_union(
    union_path: tuple[paths.PathPart, ...], members: list[tuple[paths.Location, Any]]
) -> list[str]:
    """Lines for the errors pydantic reports for each branch of a plain union.

    When the value is of one branch's type (a list for `int | list[int]`), only that
    branch's errors matter; when it fits none, one line lists what each branch expects.
    """
    relevant = [(loc, item) for loc, item in members if not _is_type_mismatch(loc, item)]
    if relevant:
        return [_describe(loc, item) for loc, item in relevant]
    expected: list[str] = []
    for _, item in members:
        wanted = _expectation(item["msg"]).removeprefix("expected ").split(",")[0]
        if wanted not in expected:
            expected.append(wanted)
    given = members[0][1]["input"]
    line = f"{_where(union_path)}: got {show_value(given)}; expected " + " or ".join(expected)
    whole = any(str(item["type"]).startswith("int_") for _, item in members)
    if whole and isinstance(given, str | float):  # `70.0` where `70` or a list is expected
        line += _whole_number_hint(given)
    return [line]
