"""The `autofin` command line: validate scenarios, print their schema, run them.

A thin layer over the Python API (`load_scenario`, `simulate`, `write_results`): user errors
are printed as one clear message with exit code 2, never as a traceback.
"""

from __future__ import annotations

import json
import numbers
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from autofin.results.provenance import PROVENANCE_KEYS
from autofin.results.result import Result
from autofin.results.writing import write_results
from autofin.scenario.errors import ScenarioError
from autofin.scenario.loading import load_scenario
from autofin.scenario.schema import Scenario

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
app = typer.Typer(
    name="autofin",
    help="Agent-based simulator of automotive finance: supply chains, trade credit, banks "
    "and consumers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def _show_version(value: bool) -> None:
    if value:
        from autofin import __version__

        out.print(f"autofin {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Simulate the automotive finance ecosystem from YAML scenario files."""


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(metavar="FILE", help="Scenario files to check.")],
) -> None:
    """Check scenario files without running them; exit code 2 if any is invalid."""
    invalid = 0
    for file in files:
        try:
            scenario = load_scenario(file)
        except ScenarioError as error:
            _print_error(str(error))
            invalid += 1
            continue
        out.print(
            f"ok: {file} ({scenario.name}, {scenario.steps} steps)", markup=False, soft_wrap=True
        )
    if invalid:
        raise typer.Exit(EXIT_BAD_INPUT)


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (for editors and other tools)."""
    typer.echo(json.dumps(Scenario.model_json_schema(), indent=2))


@app.command()
def run(
    scenario_file: Annotated[
        Path, typer.Argument(metavar="SCENARIO", help="The scenario YAML file.")
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Results directory (default: results/<scenario name>/)."
        ),
    ] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="PATH=VALUE",
            help="Override a setting, e.g. --set automakers.payment_term_days=60 "
            "(repeatable; values are read as YAML).",
        ),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="Seed of the random generator (same as --set seed=N).")
    ] = None,
    check: Annotated[
        bool,
        typer.Option("--check", help="Verify money conservation and balance sheets every step."),
    ] = False,
) -> None:
    """Simulate a scenario and write its results (time series, flows, events, summary)."""
    settings = list(overrides or [])
    if seed is not None:
        settings.append(f"seed={seed}")
    try:
        scenario = load_scenario(scenario_file, settings)
    except ScenarioError as error:
        _print_error(str(error))
        raise typer.Exit(EXIT_BAD_INPUT) from None

    result = _simulate(scenario, check)
    directory = output if output is not None else Path("results") / scenario.name
    try:
        write_results(result, directory)
    except OSError as error:
        _print_error(f"cannot write results to {directory}: {error.strerror or error}")
        raise typer.Exit(EXIT_FAILED) from None
    out.print(_summary_table(result.summary))
    out.print(f"results: {directory}", markup=False, soft_wrap=True)


def _simulate(scenario: Scenario, check: bool) -> Result:
    """Run the engine with a progress bar; engine errors a user can act on exit cleanly."""
    from autofin.world.checks import AccountingError
    from autofin.world.model import simulate

    try:
        with _progress_bar(scenario.steps) as progress:
            result = simulate(scenario, check=check, progress=progress)
    except AccountingError as error:
        _print_error(f"accounting check failed: {error}")
        raise typer.Exit(EXIT_FAILED) from None
    except KeyboardInterrupt:
        _print_error("interrupted; no results written")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    return result


def _print_error(message: str) -> None:
    """Print a user-facing error on stderr, in red, without Rich markup or wrapping."""
    err.print(Text.assemble(("error: ", "bold red"), (message, "red")), soft_wrap=True)


@contextmanager
def _progress_bar(total_steps: int) -> Iterator[Callable[[int, int], None]]:
    """A Rich progress bar on stderr, advanced by the engine's `progress(done, total)`."""
    columns = (
        TextColumn("simulating"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("steps"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err) as bar:
        task = bar.add_task("simulating", total=total_steps)

        def advance(step_done: int, total: int) -> None:
            bar.update(task, completed=step_done, total=total)

        yield advance


def _summary_table(summary: dict[str, Any]) -> Table:
    """A table of the summary's numeric headline figures (provenance left out)."""
    name = summary.get("scenario_name", "")
    seconds = summary.get("wall_time_s")
    title = f"{name} (seed {summary.get('seed')})"
    if isinstance(seconds, int | float):
        title += f", {seconds:.2f} s"
    table = Table(title=title, title_justify="left")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, value in _numbers(summary):
        table.add_row(key, _format_number(value))
    return table


def _numbers(summary: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, float]]:
    """The numeric entries of a (possibly nested) summary, with dotted keys."""
    for key, value in summary.items():
        if not prefix and key in PROVENANCE_KEYS:
            continue
        if isinstance(value, dict):
            yield from _numbers(value, f"{prefix}{key}.")
        elif isinstance(value, numbers.Real) and not isinstance(value, bool):
            number = int(value) if isinstance(value, numbers.Integral) else float(value)
            yield f"{prefix}{key}", number


def _format_number(value: float) -> str:
    """Thousands separated for large values, four significant digits for small ones."""
    if isinstance(value, int):
        return f"{value:,}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"
