"""Loading scenario files: YAML, `extends` chains, `--set` overrides and validation.

A scenario file may name a base with `extends: base.yaml` (relative to the file); the base is
loaded first and the file's own settings are deep-merged over it: sections merge key by key,
while lists and single values replace the base's. Overrides (`--set dotted.path=value`) are
applied last. Relative paths inside a file (`extends`, `network.path`) are relative to that
file; a relative `network.path` given as an override is relative to the working directory.
Either way the file must lie in the scenario file's folder or below it, unless outside paths
are allowed. The loaded `Scenario` holds absolute paths, so its canonical dump re-runs from
anywhere.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from autofin.scenario import paths
from autofin.scenario.errors import ScenarioError, show_value, validation_error, yaml_error
from autofin.scenario.schema import Scenario
from autofin.scenario.yaml_reading import MAX_BYTES, ScenarioDumper, load_yaml

MAX_EXTENDS_DEPTH = 32
"""Longest chain of `extends` (each file read adds one)."""

Overrides = Mapping[str, Any] | Sequence[str]


def load_scenario(
    path: str | Path,
    overrides: Overrides | None = None,
    *,
    allow_outside_paths: bool = False,
    own_name: bool = True,
) -> Scenario:
    """Load, merge, override and validate a scenario file.

    Files the scenario names (`extends`, `network.path`) must lie in the scenario file's
    folder or below it, unless `allow_outside_paths` is set; a scenario from an untrusted
    source (the browser view) can then read nothing else on the machine.

    Args:
        path: The scenario YAML file.
        overrides: Settings to change after loading: a mapping of dotted paths to values
            (`{"automakers.payment_term_days": 60}`), or `--set` style strings
            (`["automakers.payment_term_days=60", "network.tiers=[10, 20, 30]"]`) whose
            values are read as YAML.
        allow_outside_paths: Let `extends` and `network.path` name files anywhere.
        own_name: Refuse a file that extends another without a name of its own (nor one
            given by an override): a run's folder, report and summary go by the name, and
            under its base's name a variant's results would be taken for (and by default
            replace) the base's. A sweep, whose folder and runs go by the experiment's name,
            may take the base's.

    Returns:
        The validated scenario, with `extends` resolved (and cleared) and absolute paths.

    Raises:
        ScenarioError: If the file, a file it extends, an override or the result is invalid.
    """
    source = str(path)
    root = None if allow_outside_paths else Path(path).resolve().parent
    data = _load_chain(Path(path), (), root)
    return _build(data, overrides, source, root, own_name=own_name)


def load_scenario_dict(
    data: Mapping[str, Any],
    base_dir: str | Path | None = None,
    overrides: Overrides | None = None,
    source: str = "<scenario>",
    *,
    allow_outside_paths: bool = False,
) -> Scenario:
    """Validate a scenario given as a mapping, as if read from a file in `base_dir`.

    Args:
        data: The scenario settings, as they would appear in a YAML file.
        base_dir: Directory that relative `extends` and `network.path` are relative to
            (the working directory if omitted).
        overrides: Settings to change, as for `load_scenario`.
        source: How to name the scenario in error messages.
        allow_outside_paths: Let `extends` and `network.path` name files outside `base_dir`.

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: If the data, a file it extends, an override or the result is invalid.
    """
    directory = Path(base_dir) if base_dir is not None else Path.cwd()
    root = None if allow_outside_paths else directory.resolve()
    merged = _resolve(copy.deepcopy(dict(data)), directory, source, (), root)
    return _build(merged, overrides, source, root)


def dump_scenario(scenario: Scenario) -> str:
    """The canonical YAML of a resolved scenario: every setting explicit, no `extends`.

    Loading the dump gives an equal `Scenario` (and so an equal `scenario_hash`).

    Args:
        scenario: A loaded scenario.

    Returns:
        YAML text.
    """
    data = scenario.model_dump(mode="json", exclude={"extends"})
    return yaml.dump(
        data,
        Dumper=ScenarioDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=None,
        width=100,
    )


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 (hex) of the canonical dump: equal scenarios have equal hashes.

    Args:
        scenario: A loaded scenario.

    Returns:
        64 hexadecimal characters.
    """
    return hashlib.sha256(dump_scenario(scenario).encode("utf-8")).hexdigest()


def deep_merge(base: Mapping[str, Any], child: Mapping[str, Any]) -> dict[str, Any]:
    """Merge `child` over `base`: mappings merge recursively, anything else is replaced.

    Args:
        base: The settings of the base scenario.
        child: The settings that change it.

    Returns:
        A new mapping; the inputs are not modified.
    """
    merged = copy.deepcopy(dict(base))
    for key, value in child.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def parse_override(text: str) -> tuple[str, Any]:
    """Split a `--set` argument into its dotted path and its value, read as YAML.

    Args:
        text: `dotted.path=value`, e.g. `network.tiers=[10, 20, 30]`.

    Returns:
        The path and the parsed value.

    Raises:
        ScenarioError: If there is no `=` or the value is not valid YAML.
    """
    source = f"--set {text}"
    dotted_path, equals, raw = text.partition("=")
    dotted_path = dotted_path.strip()
    if not equals or not dotted_path:
        raise ScenarioError(source, "expected PATH=VALUE, e.g. automakers.payment_term_days=60")
    try:
        value = load_yaml(raw)
    except yaml.YAMLError as error:
        raise yaml_error(error, source) from None
    return dotted_path, value


def apply_override(data: dict[str, Any], dotted_path: str, value: Any, source: str) -> None:
    """Set one setting, named by its dotted path, in raw scenario data (in place).

    The path is checked against the schema first, so a typo is reported with the nearest
    valid key rather than as a confusing validation error. Sections missing from the data
    are created; list items are addressed by index (`network.tiers.0`).

    Args:
        data: Raw scenario settings (after `extends`).
        dotted_path: Where to set the value, e.g. `suppliers.payment_term_days.0`.
        value: The new value.
        source: How to name the override in error messages.

    Raises:
        ScenarioError: If the path does not exist in the schema or in the data.
    """
    keys = dotted_path.split(".")
    if not all(keys):
        raise ScenarioError(source, f"'{dotted_path}' is not a dotted path like banks.count")
    if keys[0] == "extends":
        raise ScenarioError(source, "extends cannot be overridden; edit the scenario file")
    node: dict[str, Any] | list[Any] = data
    candidates: list[Any] = [Scenario]
    walked: list[paths.PathPart] = []
    for depth, raw in enumerate(keys):
        where = paths.dotted(walked) or "the top level"
        key = _index(node, raw, where, source) if isinstance(node, list) else raw
        below = paths.child_candidates(candidates, key)
        if not below:
            allowed = paths.keys_of(candidates)
            if not allowed:
                raise ScenarioError(source, f"{where} is not a section; it has no key '{raw}'")
            hint = paths.suggestion(raw, allowed)
            raise ScenarioError(source, f"unknown key '{raw}' in {where}; {hint}")
        walked.append(key)
        if depth == len(keys) - 1:
            node[key] = value  # type: ignore[index]
            return
        if isinstance(node, list):
            child = node[key]  # type: ignore[index]
        else:
            child = node.get(key)
            if child is None:
                child = node[key] = _default_container(candidates, key)
        if not isinstance(child, dict | list):
            name = paths.dotted(walked)
            raise ScenarioError(
                source,
                f"{name} is {show_value(child)}, which has no '{keys[depth + 1]}'; "
                f"set the whole value instead, e.g. {name}=...",
            )
        if isinstance(child, dict) and isinstance(child.get("type"), str):
            below = paths.narrow_by_tag(below, child["type"]) or below
        node, candidates = child, below


def _index(node: list[Any], raw: str, where: str, source: str) -> int:
    """Read a list index from a path segment, checking that the item exists."""
    if not raw.isdigit():
        raise ScenarioError(source, f"{where} is a list; address its items by index ({where}.0)")
    index = int(raw)
    if index >= len(node):
        raise ScenarioError(source, f"{where} has {len(node)} items, so there is no item {index}")
    return index


def _default_container(candidates: Sequence[Any], key: str) -> Any:
    """The schema default of a section or list that the data leaves out, as raw data.

    A section is an empty mapping: a section left out holds its model's own defaults
    (`tests/scenario/test_schema_defaults.py`), which validation fills in.
    """
    for candidate in candidates:
        if paths.is_model(candidate) and key in candidate.model_fields:
            default = candidate.model_fields[key].get_default(call_default_factory=True)
            if isinstance(default, BaseModel):
                return {}
            if isinstance(default, list):
                return [
                    item.model_dump(mode="json") if isinstance(item, BaseModel) else item
                    for item in default
                ]
            below = paths.child_candidates([candidate], key)
            if default is None and any(map(paths.is_model, below)):
                return {}
            return default
    return None


def _build(
    data: dict[str, Any],
    overrides: Overrides | None,
    source: str,
    root: Path | None,
    *,
    own_name: bool = True,
) -> Scenario:
    """Apply overrides to merged raw data, then validate it into a `Scenario`.

    ``own_name``: refuse a name taken from the base the data extends (`load_scenario`).
    """
    if "scenario" in data and "parameters" in data:
        raise ScenarioError(
            source,
            "this is an experiment file (it has `scenario:` and `parameters:`), not a scenario; "
            "run it with `autofin sweep`",
        )
    changes = _normalise(overrides)
    for dotted_path, value, name in changes:
        apply_override(data, dotted_path, value, name)
    _absolute_network_path(data, Path.cwd())
    if isinstance(data.get("name"), _InheritedName):
        if own_name:
            raise ScenarioError(
                source,
                f"name: missing; a scenario that extends another needs a name of its own: "
                f"under its base's name {str(data['name'])!r} its results and report would be "
                f"taken for the base's, and by default replace them in results/{data['name']}/;"
                f" add a line such as `name: my_variant`",
            )
        data["name"] = str(data["name"])
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as error:
        raise validation_error(error, _blamed(error, changes, source)) from None
    network_path = scenario.network.path
    if network_path is not None:
        given_by = _last_setter(["network.path"], changes) or source
        _check_inside(Path(network_path), root, given_by, "network.path")
        if not Path(network_path).is_file():
            raise ScenarioError(given_by, f"network.path: no such file: {network_path}")
    if scenario.network.source == "file":
        _check_network_file(scenario, source)
    return scenario


def _check_network_file(scenario: Scenario, source: str) -> None:
    """Load the scenario's network file and check the settings that depend on its tiers."""
    from autofin.world.network import NetworkFileError, load_network

    try:
        network = load_network(Path(scenario.network.path or ""))
    except NetworkFileError as error:
        raise ScenarioError(source, f"network.path: {error}") from None
    tiers = [
        (f"shocks.{index}.tier", shock.tier)
        for index, shock in enumerate(scenario.shocks)
        if getattr(shock, "tier", None) is not None
    ]
    for path, tier in tiers + scenario.finance.tier_references():
        if tier > network.n_tiers:
            raise ScenarioError(
                source,
                f"{path}: {tier} is not a tier of the network in "
                f"{scenario.network.path}, which has {network.n_tiers} tiers",
            )
    for path, index in scenario.finance.automaker_references() + _consumer_automakers(scenario):
        if index >= network.n_automakers:
            raise ScenarioError(
                source,
                f"{path}: there is no automaker {index}; the network in "
                f"{scenario.network.path} has {network.n_automakers} (numbered from 0)",
            )
    file_name = scenario.network.path
    for index, shock in enumerate(scenario.shocks):
        rank = getattr(shock, "rank", None)
        if rank is None:
            continue
        in_tier = int((network.tier == shock.tier).sum())
        if rank > in_tier:
            raise ScenarioError(
                source,
                f"shocks.{index}.rank: {rank}, but tier {shock.tier} of the network in "
                f"{file_name} has only {in_tier} firms",
            )
    terms = scenario.suppliers.payment_term_days
    if len(terms) != network.n_tiers:
        raise ScenarioError(
            source,
            f"suppliers.payment_term_days: {len(terms)} values, but the network in {file_name} "
            f"has {network.n_tiers} supplier tiers; give one term per tier",
        )
    maker_terms = scenario.automakers.payment_term_days
    if isinstance(maker_terms, list) and len(maker_terms) != network.n_automakers:
        raise ScenarioError(
            source,
            f"automakers.payment_term_days: {len(maker_terms)} values, but the network in "
            f"{file_name} has {network.n_automakers} automakers; give one term per automaker "
            "or a single value",
        )


def _consumer_automakers(scenario: Scenario) -> list[tuple[str, int]]:
    """Every automaker index the consumer settings name, with its dotted path."""
    consumers = scenario.consumers
    refs = [
        (f"consumers.automaker_offers.{index}.automaker", offer.automaker)
        for index, offer in enumerate(consumers.automaker_offers)
    ]
    refs.append(("consumers.channels.bank_app.automaker", consumers.channels.bank_app.automaker))
    return refs


def _blamed(error: ValidationError, changes: list[tuple[str, Any, str]], source: str) -> str:
    """Who to name for invalid values: the `--set` that set them all, else the file."""
    locations = [".".join(str(part) for part in item["loc"]) for item in error.errors()]
    return _last_setter(locations, changes) or source


def _last_setter(locations: Sequence[str], changes: list[tuple[str, Any, str]]) -> str | None:
    """The `--set` that last set every one of `locations` (dotted paths), if one did.

    Overrides are applied in order, so when several cover the same setting (one given
    twice), the last of them set the value that counts.
    """
    for dotted_path, _, name in reversed(changes):
        if name.startswith("--set") and all(
            where == dotted_path or where.startswith(dotted_path + ".") for where in locations
        ):
            return name
    return None


def _normalise(overrides: Overrides | None) -> list[tuple[str, Any, str]]:
    """Overrides as (dotted path, value, name for messages), in the order given."""
    if overrides is None:
        return []
    if isinstance(overrides, Mapping):
        return [(str(key), _plain(value), f"override {key}") for key, value in overrides.items()]
    if isinstance(overrides, str):
        overrides = [overrides]
    return [(*parse_override(text), f"--set {text}") for text in overrides]


def _plain(value: Any) -> Any:
    """A NumPy scalar (from a sweep's sample, say) as the Python number it stands for."""
    item = getattr(value, "item", None)
    if callable(item) and type(value).__module__ == "numpy" and getattr(value, "ndim", 1) == 0:
        return item()
    return value


def _load_chain(path: Path, chain: tuple[Path, ...], root: Path | None) -> dict[str, Any]:
    """Read a scenario file and everything it extends, merged, with paths made absolute."""
    data = _read_mapping(path)
    return _resolve(data, path.parent, str(path), (*chain, path.resolve()), root)


def _check_inside(path: Path, root: Path | None, source: str, setting: str) -> None:
    """Refuse a file outside the scenario's folder tree (unless outside paths are allowed)."""
    if root is None:
        return
    if not path.resolve().is_relative_to(root):
        raise ScenarioError(
            source,
            f"{setting}: {path} is outside the scenario's folder {root}; "
            "only files in that folder or below it may be used (on the command line, "
            "--allow-outside-paths allows any file)",
        )


def _resolve(
    data: dict[str, Any],
    directory: Path,
    source: str,
    chain: tuple[Path, ...],
    root: Path | None,
) -> dict[str, Any]:
    """Make the data's relative paths absolute and merge it over the base it extends."""
    _absolute_network_path(data, directory)
    base_name = data.pop("extends", None)
    if base_name is None:
        return data
    if not isinstance(base_name, str) or not base_name:
        raise ScenarioError(source, f"extends: got {show_value(base_name)}; expected a file path")
    base_path = (directory / base_name).resolve()
    _check_inside(base_path, root, source, "extends")
    if len(chain) >= MAX_EXTENDS_DEPTH:
        raise ScenarioError(
            source, f"extends: a chain of more than {MAX_EXTENDS_DEPTH} files; refusing to follow"
        )
    if base_path in chain:
        names = " -> ".join(_display(step) for step in (*chain, base_path))
        raise ScenarioError(source, f"extends cycle: {names}")
    if not base_path.is_file():
        raise ScenarioError(source, f"extends: no such file: {base_name} (looked for {base_path})")
    base = _load_chain(base_path, chain, root)
    merged = deep_merge(base, data)
    if "name" not in data and isinstance(merged.get("name"), str):
        # Refused in `_build` unless an override names the scenario: under its base's name
        # a variant's results would replace the base's (`results/<name>/`).
        merged["name"] = _InheritedName(merged["name"])
    return merged


class _InheritedName(str):
    """A scenario's name taken from the base it extends, not given by the file itself."""


def _absolute_network_path(data: dict[str, Any], directory: Path) -> None:
    """Rewrite a relative `network.path` as an absolute one (in place)."""
    network = data.get("network")
    if isinstance(network, dict) and isinstance(network.get("path"), str):
        location = Path(network["path"]).expanduser()
        if not location.is_absolute():
            network["path"] = str((directory / location).resolve())


def _read_mapping(path: Path) -> dict[str, Any]:
    """Parse a YAML file whose top level must be a mapping of settings."""
    source = str(path)
    try:
        if path.exists() and not path.is_file() and not path.is_dir():
            raise ScenarioError(source, "not a regular file (a device, pipe or socket)")
        size = path.stat().st_size if path.is_file() else 0
        if size > MAX_BYTES:
            raise ScenarioError(
                source, f"{size:,} bytes; scenario files are limited to {MAX_BYTES:,}"
            )
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(source, "no such file") from None
    except IsADirectoryError:
        raise ScenarioError(source, "is a directory, not a scenario file") from None
    except UnicodeDecodeError as error:
        raise ScenarioError(source, f"not UTF-8 text ({error.reason})") from None
    except OSError as error:
        raise ScenarioError(source, f"cannot read: {error.strerror}") from None
    try:
        data = load_yaml(text)
    except yaml.YAMLError as error:
        raise yaml_error(error, source) from None
    if data is None:
        raise ScenarioError(source, "the file is empty; a scenario needs at least a name")
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise ScenarioError(
            source,
            f"the top level must be a mapping of settings (name: ..., network: ...), not a {kind}",
        )
    return data


def _display(path: Path) -> str:
    """A path relative to the working directory when it is below it, else absolute."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
