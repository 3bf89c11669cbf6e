"""Reading scenario YAML safely: YAML 1.2 scalars, bounded size, depth and alias expansion.

PyYAML's `SafeLoader` follows YAML 1.1, where `1:30` is the base-60 number 90 and `no` is
false, and it expands aliases without limit, so a few hundred bytes ("billion laughs") can
stand for billions of values. `ScenarioLoader` reads scalars as YAML 1.2 does (only
`true`/`false` are booleans; `1:30` and `no` are text), rejects a key given twice in one
mapping, keeps merge keys (`<<: *base`), and refuses documents nested deeper than
`MAX_DEPTH`, larger than `MAX_NODES` values once aliases are expanded, longer than
`MAX_BYTES`, or with a recursive alias (`a: &x [*x]`, a value that contains itself).
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_BYTES = 250_000
"""Largest scenario file read (scenarios are a few kilobytes; PyYAML reads some 100 kB/s)."""
MAX_DEPTH = 64
"""Deepest nesting of lists and mappings (the schema needs fewer than ten levels)."""
MAX_NODES = 20_000
"""Most values in a document, aliases expanded, so an alias bomb is refused early (the
largest shipped scenario, every setting written out, has about 400)."""

_MERGE_TAG = "tag:yaml.org,2002:merge"


class YamlLimitError(yaml.YAMLError):
    """A document beyond the loader's limits (depth, size, alias expansion)."""

    def __init__(self, problem: str, mark: yaml.Mark | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = mark
        self.context = None
        self.context_mark = None

    def __str__(self) -> str:
        return self.problem


class _Yaml12Resolver(yaml.resolver.BaseResolver):
    """Implicit scalar types of the YAML 1.2 core schema (plus `<<` merge keys)."""


_Yaml12Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Yaml12Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
    list("-+0123456789"),
)
_Yaml12Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+.0123456789"),
)
_Yaml12Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
_Yaml12Resolver.add_implicit_resolver(_MERGE_TAG, re.compile(r"^(?:<<)$"), ["<"])


class ScenarioDumper(yaml.SafeDumper):
    """PyYAML's safe dumper, quoting text that `ScenarioLoader` would read as a number.

    The dumper follows YAML 1.1, which writes text such as `1e3` or `0o17` unquoted; the
    YAML 1.2 loader would read those back as numbers, so they are quoted here.
    """


for _tag, _pattern, _first in (
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)$",
        "-+.0123456789",
    ),
):
    ScenarioDumper.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))


class _Yaml12Constructor(yaml.constructor.SafeConstructor):
    """Safe construction with YAML 1.2 integers (`0o17`, `0x1f`; no `_`, no base 60)."""

    def construct_yaml_int(self, node: ScalarNode) -> int:
        text = str(self.construct_scalar(node))
        if text.startswith("0o"):
            return int(text[2:], 8)
        if text.startswith("0x"):
            return int(text[2:], 16)
        return int(text)

    def construct_yaml_float(self, node: ScalarNode) -> float:
        text = str(self.construct_scalar(node)).lower()
        if text.lstrip("+-") == ".inf":
            return float("-inf") if text.startswith("-") else float("inf")
        if text == ".nan":
            return float("nan")
        return float(text)

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        """A mapping whose own keys are unique; keys brought in by `<<` may be overridden."""
        seen: dict[Any, yaml.Mark] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG:
                continue
            key = self.construct_object(key_node, deep=deep)
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key; the base class reports it
                break
            if first is not None:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key {_short(key)} (first given at line {first.line + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


_Yaml12Constructor.add_constructor("tag:yaml.org,2002:int", _Yaml12Constructor.construct_yaml_int)
_Yaml12Constructor.add_constructor(
    "tag:yaml.org,2002:float", _Yaml12Constructor.construct_yaml_float
)


class ScenarioLoader(
    yaml.reader.Reader,
    yaml.scanner.Scanner,
    yaml.parser.Parser,
    yaml.composer.Composer,
    _Yaml12Constructor,
    _Yaml12Resolver,
):
    """A safe YAML 1.2-style loader with limits on depth, aliases and expanded size."""

    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        _Yaml12Constructor.__init__(self)
        _Yaml12Resolver.__init__(self)
        self._depth = 0
        self._nodes = 0
        self._open_anchors: set[str] = set()

    def fetch_flow_collection_start(self, token_class: type) -> None:
        """Refuse a flow collection (`[` or `{`) nested deeper than `MAX_DEPTH` while scanning.

        The scanner's work per token grows with the flow depth, so deep brackets are stopped
        here, before the composer would see them.
        """
        if self.flow_level >= MAX_DEPTH:
            raise YamlLimitError(f"nested more than {MAX_DEPTH} levels deep", self.get_mark())
        super().fetch_flow_collection_start(token_class)

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        """Compose one node, refusing nesting deeper than `MAX_DEPTH` and recursive aliases.

        PyYAML registers an anchor before it composes the node's children, so an alias
        inside the node it names (`a: &x [*x]`) would make the node contain itself; the
        anchors of the nodes being composed are kept in `_open_anchors` to refuse that.
        """
        if self.check_event(AliasEvent):
            _refuse_recursive_alias(self.peek_event(), self._open_anchors)
            return super().compose_node(parent, index)
        anchor = self.peek_event().anchor
        self._depth += 1
        self._nodes += 1
        try:
            if self._nodes > MAX_NODES:
                mark = self.peek_event().start_mark
                raise YamlLimitError(f"the document holds more than {MAX_NODES:,} values", mark)
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise YamlLimitError(f"nested more than {MAX_DEPTH} levels deep", mark)
            if anchor is not None:
                self._open_anchors.add(anchor)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1
            self._open_anchors.discard(anchor)

    def get_single_node(self) -> Node | None:
        """The document's root node, refused if its aliases expand beyond `MAX_NODES`."""
        node = super().get_single_node()
        if node is not None:
            _check_expanded_size(node)
        return node


def load_yaml(text: str) -> Any:
    """Parse one YAML document with `ScenarioLoader`.

    Args:
        text: The document.

    Returns:
        The parsed data.

    Raises:
        yaml.YAMLError: If the text is not valid YAML or exceeds a limit (`YamlLimitError`).
    """
    if len(text) > MAX_BYTES:
        raise YamlLimitError(
            f"the text is {len(text):,} characters long; scenario files are limited to "
            f"{MAX_BYTES:,}"
        )
    _check_bracket_depth(text)
    loader = ScenarioLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _check_bracket_depth(text: str) -> None:
    """Refuse deeply nested `[` and `{` before PyYAML's scanner, which is quadratic in them.

    Brackets inside quoted text are counted too: a scenario never has dozens of unclosed
    brackets in a string, and counting them keeps this check a simple linear pass.
    """
    depth = line = 0
    for line, row in enumerate(text.splitlines(), start=1):
        for char in row:
            if char in "[{":
                depth += 1
                if depth > MAX_DEPTH:
                    raise YamlLimitError(
                        f"nested more than {MAX_DEPTH} levels deep (line {line})",
                        yaml.Mark("<text>", 0, line - 1, 0, None, None),
                    )
            elif char in "]}" and depth:
                depth -= 1


def _refuse_recursive_alias(event: AliasEvent, open_anchors: set[str]) -> None:
    """Refuse an alias to a node still being composed: one that would contain itself."""
    if event.anchor in open_anchors:
        raise YamlLimitError(
            f"the alias *{event.anchor} refers to the node it is inside (a recursive alias); "
            "YAML files for autofin cannot be recursive",
            event.start_mark,
        )


def _check_expanded_size(root: Node) -> None:
    """Count the values of a node graph as if every alias were copied out.

    Aliases make the graph a DAG, or a cyclic graph when an alias sits inside the node it
    names: `compose_node` refuses those with the alias's line, and this walk refuses any
    cycle too (a node met again while its own children are being counted), so that it
    always ends.
    """
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    # Post-order walk without recursion; a node's (node, True) entry closes it.
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            on_path.discard(key)
            sizes[key] = _expanded_size(node, sizes)
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise YamlLimitError(
                "a value contains itself through an alias (a recursive alias); "
                "YAML files for autofin cannot be recursive",
                node.start_mark,
            )
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)


def _expanded_size(node: Node, sizes: dict[int, int]) -> int:
    """A node's values once its aliases are copied out, its children's sizes known."""
    total = 1 + sum(sizes[id(child)] for child in _children(node))
    if total > MAX_NODES:
        raise YamlLimitError(
            f"the document holds more than {MAX_NODES:,} values once its aliases "
            "(*name) are expanded; refusing to read it",
            node.start_mark,
        )
    return total


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
