"""Experiment files: which scenario settings to vary, over which design, keeping which outputs.

An experiment file names a base scenario, fixed overrides, the parameters to vary (by the
same dotted paths as `--set`), a design, the number of replications and the outputs to keep
per run. Loading one checks everything that can be checked before a run starts: the YAML,
the schema of the experiment, that every parameter path exists in the scenario schema and
that the values (or both ends of a range) give valid scenarios. Problems are raised as
`ExperimentError`, in the same words as scenario errors.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from autofin.scenario import paths
from autofin.scenario._types import NAME_PATTERN
from autofin.scenario.errors import ScenarioError, show_value, yaml_error
from autofin.scenario.loading import (
    load_scenario,
    load_scenario_dict,
    parse_override,
)
from autofin.scenario.schema import Scenario
from autofin.scenario.yaml_reading import load_yaml

Design = Literal["grid", "random", "latin_hypercube", "sobol", "morris"]
Statistic = Literal["mean", "final", "max", "min", "sum"]


class ExperimentError(ScenarioError):
    """An experiment file that cannot be used; `str(error)` is a message ready to print."""

    kind = "experiment"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Parameter(_Section):
    """One varied setting: a list of values, or a range to sample."""

    values: list[Any] | None = Field(
        None, min_length=1, description="The values to try (any design; categorical)."
    )
    range: tuple[float, float] | None = Field(None, description="[low, high] to sample.")
    log: bool = Field(False, description="Sample the range uniformly in log scale.")
    integer: bool = Field(False, description="Round sampled values to whole numbers.")
    points: int | None = Field(
        None, ge=2, description="Evenly spaced points of the range (grid design only)."
    )

    @model_validator(mode="after")
    def _one_kind(self) -> Parameter:
        if (self.values is None) == (self.range is None):
            raise ValueError("give either values: [...] or range: [low, high]")
        if self.range is not None:
            low, high = self.range
            if not low < high:
                raise ValueError(f"range: got [{low:g}, {high:g}]; expected low below high")
            if self.log and low <= 0:
                raise ValueError(f"range: a log range needs low > 0, got {low:g}")
            if self.integer and math.ceil(low) > math.floor(high):
                raise ValueError(
                    f"range: got [{low:g}, {high:g}] with integer: true; expected a range "
                    "holding a whole number (every value would round outside it)"
                )
        elif self.log or self.points is not None:
            raise ValueError("log and points apply to a range, not to values")
        return self

    def scale(self, unit: float) -> Any:
        """Map a number in [0, 1) to this parameter's value.

        Args:
            unit: A coordinate of the unit hypercube.

        Returns:
            A value of the list (categorical) or of the range (linear or log, maybe rounded).
        """
        if self.values is not None:
            index = min(int(unit * len(self.values)), len(self.values) - 1)
            return self.values[index]
        low, high = self.range  # type: ignore[misc]
        if self.log:
            value = math.exp(math.log(low) + unit * (math.log(high) - math.log(low)))
        else:
            value = low + unit * (high - low)
        if self.integer:  # the nearest whole number within the range
            return min(max(round(value), math.ceil(low)), math.floor(high))
        return float(value)

    def grid(self) -> list[Any]:
        """The values a grid design takes (the list, or `points` spread over the range)."""
        if self.values is not None:
            return list(self.values)
        count = self.points or 0
        return [self.scale(i / (count - 1)) for i in range(count)]

    def ends(self) -> list[Any]:
        """Every value of the list, or both ends of the range: what must validate."""
        return list(self.values) if self.values is not None else [self.scale(0), self.scale(1)]


class Aggregate(_Section):
    """A time-series metric reduced to one figure per run."""

    metric: str = Field(description="A column of the run's time series.")
    stat: Statistic = Field("mean", description="mean, final, max, min or sum over the window.")
    window: tuple[int, int] | None = Field(
        None, description="[first day, last day] to aggregate over (default: the horizon)."
    )
    name: str | None = Field(None, description="Column name (default: metric_stat).")

    @property
    def column(self) -> str:
        """The column name in runs.parquet."""
        if self.name:
            return self.name
        suffix = f"_{self.window[0]}_{self.window[1]}" if self.window else ""
        return f"{self.metric}_{self.stat}{suffix}"


class Outputs(_Section):
    """What to keep from each run."""

    summary: list[str] | Literal["all"] = Field(
        "all", description="Summary figures to keep, or 'all' numeric ones."
    )
    timeseries: list[Aggregate] = Field(
        default_factory=list, description="Time-series aggregates (mean, final, max...)."
    )
    keep_timeseries: bool | list[str] = Field(
        False,
        description="Keep whole time series in timeseries.parquet: true for every metric, "
        "or a list of metrics.",
    )


class Cluster(_Section):
    """SLURM settings for `--slurm` (command-line options take precedence)."""

    queue: str | None = None
    account: str | None = None
    walltime: str = "01:00:00"
    cores: int = Field(1, ge=1, description="Cores per job (one worker process per core).")
    memory: str = "2GB"
    jobs: int = Field(1, ge=1, description="How many SLURM jobs of workers to start.")


class Experiment(_Section):
    """A parameter sweep over a scenario."""

    name: str = Field(pattern=NAME_PATTERN)
    description: str = ""
    scenario: str = Field(description="Base scenario file (relative to the experiment file).")
    overrides: dict[str, Any] = Field(default_factory=dict)
    parameters: dict[str, Parameter] = Field(min_length=1)
    design: Design = "grid"
    samples: int | None = Field(
        None,
        ge=1,
        description="Design points (random, latin_hypercube); base samples N for sobol "
        "(N*(2D+2) points, a power of two).",
    )
    trajectories: int = Field(10, ge=2, description="Morris trajectories.")
    levels: int = Field(4, ge=2, description="Morris grid levels (even).")
    replications: int = Field(1, ge=1, description="Seeds per design point (common to all).")
    seed: int = Field(0, ge=0, description="Base seed of the design and of the replications.")
    outputs: Outputs = Field(default_factory=Outputs)
    cluster: Cluster = Field(default_factory=Cluster)
    check: bool = Field(
        False, description="Verify the accounting identities every step; a violation fails the run."
    )
    batch_seconds: float = Field(1.0, gt=0, description="Target duration of one task.")

    @model_validator(mode="after")
    def _design_settings(self) -> Experiment:
        if self.design == "grid":
            missing = [p for p, spec in self.parameters.items() if spec.grid() == []]
            if missing:
                raise ValueError(
                    "design: a grid needs values: [...] or range with points: N for "
                    + ", ".join(missing)
                )
        elif self.design in ("random", "latin_hypercube", "sobol") and self.samples is None:
            raise ValueError(f"samples: design {self.design} needs samples: N")
        if self.design == "sobol" and self.samples and self.samples & (self.samples - 1):
            raise ValueError(f"samples: sobol needs a power of two, got {self.samples}")
        if self.design == "morris" and self.levels % 2:
            raise ValueError(f"levels: morris needs an even number, got {self.levels}")
        given = self.model_fields_set
        if "samples" in given and self.design in ("grid", "morris"):
            raise ValueError(
                f"samples: a {self.design} design takes no samples (its points come from "
                + ("the values and ranges)" if self.design == "grid" else "trajectories)")
            )
        for name in ("trajectories", "levels"):
            if name in given and self.design != "morris":
                raise ValueError(f"{name}: only a morris design takes {name}, not {self.design}")
        return self


class LoadedExperiment(BaseModel):
    """An experiment with its base scenario resolved."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    spec: Experiment
    source: str
    base: Scenario
    """The base scenario with the fixed overrides applied."""


def _overrides_error(
    source: str,
    scenario_file: Path,
    own: dict[str, Any],
    given: list[str] | None,
    error: ScenarioError,
    allow_outside_paths: bool,
) -> ExperimentError:
    """The error of a base scenario that does not load, named after what brought it.

    The scenario file itself (when it does not load alone), the experiment file's
    `overrides`, or (when the scenario loads with them) the command line's `--set`.
    """

    def loads(overrides: dict[str, Any]) -> bool:
        try:
            load_scenario(
                scenario_file, overrides, allow_outside_paths=allow_outside_paths, own_name=False
            )
        except ScenarioError:
            return False
        return True

    if not (own or given) or not loads({}):
        where = error.source or scenario_file
        return ExperimentError(source, [f"scenario: {where}: {p}" for p in error.problems])
    if given and loads(dict(own)):
        named = f"--set {given[0]}" if len(given) == 1 else "--set"
        return ExperimentError(source, [f"{named}: {p}" for p in error.problems])
    return ExperimentError(source, [f"overrides: {p}" for p in error.problems])


SCENARIO_ONLY_KEYS = frozenset(Scenario.model_fields) - frozenset(Experiment.model_fields)
"""Top-level keys of a scenario file that no experiment file has (`network`, `banks`, ...)."""


def load_experiment(
    path: str | Path,
    overrides: list[str] | None = None,
    *,
    allow_outside_paths: bool = False,
) -> LoadedExperiment:
    """Read and check an experiment file before anything runs.

    Args:
        path: The experiment YAML file.
        overrides: `--set` style changes to the experiment's fixed scenario overrides.
        allow_outside_paths: Let the scenario's `extends` and `network.path` name files
            outside its folder (`autofin.load_scenario`).

    Returns:
        The experiment and its base scenario.

    Raises:
        ExperimentError: With one line per problem, naming the field, value and expectation.
    """
    source = str(path)
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ExperimentError(source, "no such file") from None
    except UnicodeDecodeError as error:
        raise ExperimentError(source, f"not UTF-8 text ({error.reason})") from None
    except OSError as error:
        raise ExperimentError(source, f"cannot read: {error.strerror}") from None
    try:
        data = load_yaml(text)
    except yaml.YAMLError as error:
        raise ExperimentError(source, yaml_error(error, source).problems) from None
    if not isinstance(data, dict):
        raise ExperimentError(source, "the top level must be a mapping (name:, scenario:, ...)")
    sections = sorted(SCENARIO_ONLY_KEYS.intersection(data))
    if "scenario" not in data and "parameters" not in data and sections:
        raise ExperimentError(
            source,
            f"this is a scenario file (it has {', '.join(f'`{key}:`' for key in sections[:3])}"
            f"{', ...' if len(sections) > 3 else ''}), "
            "not an experiment; run it with `autofin run`, or name it in an experiment's "
            "`scenario:` (experiments/README.md)",
        )
    try:
        spec = Experiment.model_validate(data)
    except ValidationError as error:
        raise ExperimentError(source, _problems(error)) from None
    scenario_file = (file.parent / spec.scenario).resolve()
    if scenario_file.is_dir():
        raise ExperimentError(
            source, f"scenario: {spec.scenario} is a folder ({scenario_file}); name its YAML file"
        )
    if not scenario_file.is_file():
        raise ExperimentError(
            source, f"scenario: no such file: {spec.scenario} (looked for {scenario_file})"
        )
    varied = [key for key in spec.overrides if key in spec.parameters]
    if varied:
        raise ExperimentError(
            source,
            [
                f"overrides.{key}: {key} is a parameter the sweep varies (parameters.{key}); "
                "a fixed value would be ignored: give it in one place"
                for key in varied
            ],
        )
    fixed = dict(spec.overrides)
    for text_override in overrides or []:
        try:
            key, value = parse_override(text_override)
        except ScenarioError as error:
            raise ExperimentError(
                source, [f"--set {text_override}: {problem}" for problem in error.problems]
            ) from None
        if key in spec.parameters:
            raise ExperimentError(
                source,
                f"--set {text_override}: {key} is a parameter the sweep varies; change its "
                "values in the experiment file instead",
            )
        fixed[key] = value
    # A run of a sweep is one seed of the experiment's: the scenario's own are replaced.
    seeded = [key for key in fixed if key in ("seed", "replications")]
    if seeded:
        raise ExperimentError(
            source,
            f"{seeded[0]} in the scenario's settings: a sweep runs each design point with the "
            "experiment's own seeds; set replications: (seeds per point) and seed: (the first) "
            "in the experiment file",
        )
    try:
        # The sweep's folder and runs go by the experiment's name: the base may take its own
        # base's.
        base = load_scenario(
            scenario_file, fixed, allow_outside_paths=allow_outside_paths, own_name=False
        )
    except ScenarioError as error:
        raise _overrides_error(
            source, scenario_file, spec.overrides, overrides, error, allow_outside_paths
        ) from None
    spec = spec.model_copy(update={"overrides": fixed, "scenario": str(scenario_file)})
    # Each run of a sweep is one seed: the experiment's own `replications` replace the
    # scenario's.
    base = base.model_copy(update={"replications": 1})
    _check_parameters(spec, base, source)
    _check_outputs(spec, base, source)
    return LoadedExperiment(spec=spec, source=source, base=base)


def scenario_at(base: Scenario, settings: dict[str, Any]) -> Scenario:
    """The base scenario with a design point's settings applied and validated.

    Args:
        base: The base scenario (fixed overrides applied).
        settings: Dotted path to value.

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: If a value is out of its field's range.
    """
    return load_scenario_dict(base.model_dump(mode="json"), overrides=settings)


def _check_parameters(spec: Experiment, base: Scenario, source: str) -> None:
    """Every parameter path exists and each of its values (or range ends) validates."""
    problems: list[str] = []
    for path, parameter in spec.parameters.items():
        if path == "seed":
            problems.append("parameters.seed: the seed is set by replications:, not varied")
            continue
        if path in ("replications", "name"):
            problems.append(
                f"parameters.{path}: a run of a sweep is one seed, named by its design point; "
                + (
                    "set the number of seeds per point with the experiment's replications:"
                    if path == "replications"
                    else "the experiment's name: names the sweep"
                )
            )
            continue
        kind = "values" if parameter.values is not None else "range"
        for value in parameter.ends():
            try:
                scenario_at(base, {path: value})
            except ScenarioError as error:
                detail = "; ".join(error.problems)
                if str(error.source).startswith("override"):  # the path, not the value
                    problems.append(f"parameters.{path}: {detail}")
                    break
                problems.append(f"parameters.{path}.{kind}: {show_value(value)} fails: {detail}")
                break
    if problems:
        raise ExperimentError(source, problems)


PROBE_CONSUMERS = 10_000
"""Consumers of the one-step run that reads the names of a run's outputs (`_check_outputs`)."""


def _check_outputs(spec: Experiment, base: Scenario, source: str) -> None:
    """Every output the experiment names exists, and every window holds a step of the run.

    The names are those of a one-step run of the base scenario without its warm-up and with
    at most `PROBE_CONSUMERS` consumers (a few hundredths of a second at the shipped
    scenarios' size): the same names a full run has.
    A window is checked against the longest horizon the sweep can have.
    """
    from autofin.sweep.runs import OutputError, extract  # runs imports this module

    problems: list[str] = []
    outputs = spec.outputs
    # The runs' horizons and steps: the base's, or those of each value (or range end) of a
    # varied horizon or step length.
    horizons = [
        (f" at {path}={show_value(value)}", scenario_at(base, {path: value}))
        for path, parameter in spec.parameters.items()
        if path in ("horizon_days", "step_days")
        for value in parameter.ends()
    ] or [("", base)]
    from autofin.sweep.analysis import DESIGN_COLUMNS  # analysis imports this module
    from autofin.sweep.runs import RENAME, WARMUP_LOSSES

    taken = {
        **dict.fromkeys(DESIGN_COLUMNS, "a column of the design"),
        **dict.fromkeys(spec.parameters, "a parameter's column"),
    }
    # A summary figure may be a warm-up loss every run keeps; an aggregate may not.
    aggregated = {**taken, **dict.fromkeys(WARMUP_LOSSES, "a summary figure every run keeps")}
    kept = outputs.summary if isinstance(outputs.summary, list) else []
    for place, column, reserved in [
        *((f"outputs.summary: {name!r}", name, taken) for name in kept),
        *(
            (
                f"outputs.timeseries.{index}: its column {aggregate.column!r}",
                aggregate.column,
                aggregated,
            )
            for index, aggregate in enumerate(outputs.timeseries)
        ),
    ]:
        if column in reserved:
            problems.append(f"{place} is {reserved[column]} in runs.parquet; {RENAME}")
    for index, aggregate in enumerate(outputs.timeseries):
        if aggregate.window is None:
            continue
        first, last = aggregate.window
        for where, scenario in horizons:
            if not _holds_a_step(scenario, first, last):
                problems.append(
                    f"outputs.timeseries.{index}.window: got {[first, last]}; expected days "
                    f"that hold a step of every run{where} (steps fall on days "
                    f"{scenario.step_days} to {scenario.steps * scenario.step_days}, every "
                    f"{scenario.step_days} days): the output would have no value"
                )
                break
    named = (
        outputs.summary != "all"
        or bool(outputs.timeseries)
        or isinstance(outputs.keep_timeseries, list)
    )
    if named:
        from autofin.world.model import simulate  # late: the model is heavy to import

        # What a run reports does not depend on how many consumers there are: a national
        # scenario's ten million would cost the driver seconds and gigabytes for names.
        consumers = base.consumers.model_copy(
            update={"population": min(base.consumers.population, PROBE_CONSUMERS)}
        )
        probe = base.model_copy(
            update={"horizon_days": base.step_days, "warmup_days": 0, "consumers": consumers}
        )
        try:
            extract(simulate(probe), outputs)
        except OutputError as error:
            problems.append(str(error))
    if problems:
        raise ExperimentError(source, problems)


def _holds_a_step(scenario: Scenario, first: int, last: int) -> bool:
    """Whether a step of the run falls on a day in [first, last] (steps end on day k × step)."""
    step = scenario.step_days
    earliest = max(first, step)
    latest = min(last, scenario.steps * step)
    return earliest <= latest and -(-earliest // step) * step <= latest


def _keys_at(loc: tuple[Any, ...]) -> list[str]:
    """The keys allowed where an unknown key ``loc`` was given (for a did-you-mean)."""
    section: type[BaseModel] | None = {
        1: Experiment,
        2: {"outputs": Outputs, "cluster": Cluster}.get(str(loc[0])),
        3: Parameter if loc[0] == "parameters" else None,
        4: Aggregate if loc[:2] == ("outputs", "timeseries") else None,
    }.get(len(loc))
    return list(section.model_fields) if section is not None else []


def _problems(error: ValidationError) -> list[str]:
    """One line per pydantic error: dotted path, value given and what was expected."""
    lines = []
    for item in error.errors(include_url=False):
        where = ".".join(str(part) for part in item["loc"]) or "top level"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            known = _keys_at(item["loc"])
            hint = "; " + paths.suggestion(str(item["loc"][-1]), known) if known else ""
            lines.append(f"{where}: unknown key{hint}")
        elif item["type"] == "too_short":
            lines.append(f"{where}: got {show_value(item['input'])}; expected at least one value")
        elif item["type"] == "string_pattern_mismatch":
            lines.append(
                f"{where}: got {show_value(item['input'])}; expected letters, digits, '_', '.' "
                "and '-', starting with a letter or digit (it names folders)"
            )
        elif item["type"] == "missing":
            lines.append(f"{where}: required, but missing")
        elif item["type"] == "value_error":
            lines.append(f"{where}: {message}" if where != "top level" else message)
        else:
            wanted = message.removeprefix("Input should be ")
            lines.append(f"{where}: got {show_value(item['input'])}; expected {wanted}")
    return lines
