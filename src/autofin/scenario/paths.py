"""Dotted paths into the scenario schema, found by walking the pydantic models.

Error messages and `--set` overrides both name settings by dotted path
(`suppliers.payment_term_days.0`). This module follows such a path through the schema's
types so that callers can tell which keys exist at each level and suggest the nearest one.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from autofin.scenario.schema import Scenario

PathPart = str | int


def alternatives(annotation: Any) -> list[Any]:
    """The concrete types an annotation allows: `Annotated` unwrapped, unions split, None dropped.

    Args:
        annotation: A type annotation from a pydantic field.

    Returns:
        The member types, e.g. `[int, list[int]]` for `Days | list[Days]`.
    """
    origin = get_origin(annotation)
    if origin is Annotated:
        return alternatives(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return [member for arg in get_args(annotation) for member in alternatives(arg)]
    if annotation is type(None):
        return []
    return [annotation]


def is_model(annotation: Any) -> bool:
    """Whether an annotation is a pydantic model class (a section of the scenario)."""
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def is_list(annotation: Any) -> bool:
    """Whether an annotation is a `list[...]` type."""
    return get_origin(annotation) is list


def literal_values(annotation: Any) -> list[Any]:
    """The values of a `Literal[...]` annotation, or an empty list for any other type."""
    return list(get_args(annotation)) if get_origin(annotation) is Literal else []


def keys_of(candidates: Iterable[Any]) -> list[str]:
    """Field names of the model types among the candidates, in declaration order."""
    names: list[str] = []
    for candidate in candidates:
        if is_model(candidate):
            names.extend(name for name in candidate.model_fields if name not in names)
    return names


def tags_of(candidates: Iterable[Any], discriminator: str = "type") -> list[str]:
    """The discriminator values (`type: ...`) that select among the candidate models."""
    tags: list[str] = []
    for candidate in candidates:
        if is_model(candidate) and discriminator in candidate.model_fields:
            tags.extend(literal_values(candidate.model_fields[discriminator].annotation))
    return tags


def child_candidates(candidates: Sequence[Any], key: PathPart) -> list[Any]:
    """The types found one level below `candidates` under `key`.

    Args:
        candidates: Types allowed at the current position.
        key: A field name (for sections) or an index (for lists).

    Returns:
        The types allowed at `key`; empty if no candidate has such a key.
    """
    found: list[Any] = []
    for candidate in candidates:
        if isinstance(key, int) and is_list(candidate):
            found.extend(alternatives(get_args(candidate)[0]))
        elif isinstance(key, str) and is_model(candidate) and key in candidate.model_fields:
            found.extend(alternatives(candidate.model_fields[key].annotation))
    return found


def narrow_by_tag(candidates: Sequence[Any], tag: str, discriminator: str = "type") -> list[Any]:
    """Keep the candidate models whose discriminator accepts `tag` (e.g. `force_default`)."""
    return [
        candidate
        for candidate in candidates
        if is_model(candidate)
        and discriminator in candidate.model_fields
        and tag in literal_values(candidate.model_fields[discriminator].annotation)
    ]


def suggestion(word: str, choices: Sequence[str]) -> str:
    """A short hint naming the choice closest to `word`, or listing the choices.

    Args:
        word: What the user wrote.
        choices: What would have been accepted.

    Returns:
        `did you mean 'x'?` when a close match exists, else `expected one of: a, b, c`.
    """
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return "expected one of: " + ", ".join(choices) if choices else "nothing is allowed here"


def dotted(path: Sequence[PathPart]) -> str:
    """Join a path into its dotted form (`suppliers.payment_term_days.0`)."""
    return ".".join(str(part) for part in path)


@dataclass(frozen=True)
class UnionBranch:
    """A branch pydantic tried for a plain union (e.g. `int` in `int | list[int]`).

    Attributes:
        path: Where the union is, as a clean dotted path.
        tag: pydantic's name for the branch (`constrained-int`, `list[float]`, ...).
        at_root: True when the error is about the value at the union itself, not inside it.
    """

    path: tuple[PathPart, ...]
    tag: str
    at_root: bool


@dataclass(frozen=True)
class Location:
    """Where a pydantic error location points in the schema.

    Attributes:
        path: The location with union-branch tags removed: only field names and indexes.
        candidates: The types allowed at that path.
        branch: The plain-union branch the error belongs to, if any.
    """

    path: tuple[PathPart, ...]
    candidates: list[Any]
    branch: UnionBranch | None


def locate(loc: Sequence[PathPart], root: type[BaseModel] = Scenario) -> Location:
    """Follow a pydantic error location (`ValidationError.errors()[i]["loc"]`) through the schema.

    pydantic adds the names of union branches and discriminator tags to error locations
    (`("shocks", 0, "force_default", "day")`); they are not keys a user writes, so they are
    dropped from the path, and the types are narrowed to the branch.

    Args:
        loc: The error location.
        root: The model the location starts from.

    Returns:
        The clean path, the types allowed there and the union branch the error came from.
    """
    path: list[PathPart] = []
    candidates: list[Any] = [root]
    branch: UnionBranch | None = None
    for position, part in enumerate(loc):
        below = child_candidates(candidates, part)
        if below:
            path.append(part)
            candidates = below
            continue
        tagged = narrow_by_tag(candidates, part) if isinstance(part, str) else []
        if tagged:
            candidates = tagged
            continue
        is_plain_union = len(candidates) > 1 and not all(map(is_model, candidates))
        if not (isinstance(part, str) and is_plain_union):
            # A key or index the schema does not have (an unknown key, for instance).
            path.append(part)
            candidates = []
            continue
        # A plain union branch such as 'constrained-int' or 'list[float]'.
        if branch is None:
            branch = UnionBranch(tuple(path), part, at_root=position == len(loc) - 1)
        wants_list = part.startswith("list[")
        kept = [candidate for candidate in candidates if is_list(candidate) == wants_list]
        candidates = kept or candidates
    return Location(tuple(path), candidates, branch)
