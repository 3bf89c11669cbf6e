"""The `autofin` command line: validate scenarios, print their schema, run and compare them.

A thin layer over the Python API (`load_scenario`, `simulate`, `write_results`,
`compare_runs`): user errors are printed as one clear message with exit code 2, never as a
traceback.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
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

from autofin.report import REPORT_HTML
from autofin.results.compare import (
    CompareError,
    compare_runs,
    summary_figures,
    write_comparison_csv,
)
from autofin.results.result import Result
from autofin.results.writing import write_results
from autofin.scenario.errors import ScenarioError
from autofin.scenario.loading import load_scenario
from autofin.scenario.schema import Scenario

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
RATE_WORDS = {"rate", "ratio", "share"}
"""Words of a metric's name that mark it a fraction, shown in percent by `compare`."""
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
    report: Annotated[
        bool,
        typer.Option("--report/--no-report", help="Write report.html into the results directory."),
    ] = True,
    panel: Annotated[
        bool,
        typer.Option("--panel", help="Also write panel.parquet: every firm in every step."),
    ] = False,
    loans: Annotated[
        bool,
        typer.Option("--loans", help="Also write loans.parquet: every loan and car-loan decision."),
    ] = False,
) -> None:
    """Simulate a scenario; write its results and an HTML report of them (report.html)."""
    settings = list(overrides or [])
    if seed is not None:
        settings.append(f"seed={seed}")
    try:
        scenario = load_scenario(scenario_file, settings)
    except ScenarioError as error:
        _print_error(str(error))
        raise typer.Exit(EXIT_BAD_INPUT) from None

    result = _simulate(scenario, check, panel=panel, loans=loans)
    directory = output if output is not None else Path("results") / scenario.name
    try:
        write_results(result, directory)
    except OSError as error:
        _print_error(f"cannot write results to {directory}: {error.strerror or error}")
        raise typer.Exit(EXIT_FAILED) from None
    out.print(_summary_table(result.summary))
    out.print(f"results: {directory}", markup=False, soft_wrap=True)
    if report:
        _write_report(result, directory / REPORT_HTML)


@app.command("report")
def report_command(
    run_dir: Annotated[
        Path, typer.Argument(metavar="RUN_DIR", help="Results directory of a finished run.")
    ],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="The HTML file (default: RUN_DIR/report.html)."),
    ] = None,
) -> None:
    """Build the HTML report of a finished run (offline: opens without a network)."""
    from autofin.report.runs import ReportDataError, load_run_directory

    try:
        result = load_run_directory(run_dir)
    except ReportDataError as error:
        _print_error(str(error))
        raise typer.Exit(EXIT_BAD_INPUT) from None
    _write_report(result, output if output is not None else run_dir / REPORT_HTML)


@app.command()
def compare(
    run_dirs: Annotated[
        list[Path] | None,
        typer.Argument(metavar="RUN_DIR", help="Results directories of finished runs."),
    ] = None,
    metrics: Annotated[
        list[str] | None,
        typer.Option(
            "--metrics",
            "-m",
            metavar="NAMES",
            help="Time-series columns to compare, comma-separated or repeated; glob patterns "
            "such as 'financing_*' allowed (default: a headline set).",
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Also write the table as CSV here.")
    ] = None,
    summary: Annotated[
        bool,
        typer.Option("--summary/--no-summary", help="Add the headline figures of summary.json."),
    ] = True,
    html: Annotated[
        Path | None,
        typer.Option(
            "--html", metavar="FILE", help="Also write an HTML report with the runs overlaid."
        ),
    ] = None,
) -> None:
    """Compare finished runs side by side: mean and final value of each metric, and summaries."""
    names = None
    if metrics is not None:
        names = [name.strip() for item in metrics for name in item.split(",") if name.strip()]
    try:
        table = compare_runs(run_dirs or [], names, summary=summary)
    except CompareError as error:
        _print_error(str(error))
        raise typer.Exit(EXIT_BAD_INPUT) from None
    out.print(_comparison_table(table))
    if output is not None:
        try:
            write_comparison_csv(table, output)
        except OSError as error:
            _print_error(f"cannot write {output}: {error.strerror or error}")
            raise typer.Exit(EXIT_FAILED) from None
        out.print(f"csv: {output}", markup=False, soft_wrap=True)
    if html is not None:
        from autofin.report.runs import ReportDataError, load_run_directory

        try:
            results = [load_run_directory(directory) for directory in run_dirs or []]
        except ReportDataError as error:
            _print_error(str(error))
            raise typer.Exit(EXIT_BAD_INPUT) from None
        _write_report(results, html)


@app.command()
def viz(
    scenario_file: Annotated[
        Path | None,
        typer.Argument(
            metavar="[SCENARIO]", help="Scenario to open (default: scenarios/baseline.yaml)."
        ),
    ] = None,
    port: Annotated[int, typer.Option("--port", help="Port to serve the page on.")] = 8765,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (the page has no login).")
    ] = "127.0.0.1",
    open_browser: Annotated[
        bool, typer.Option("--open", help="Open the page in the default browser.")
    ] = False,
    play_interval: Annotated[
        int, typer.Option("--play-interval", help="Pause between steps when playing (ms).")
    ] = 100,
    render_interval: Annotated[
        int, typer.Option("--render-interval", help="Steps between redraws when playing.")
    ] = 1,
) -> None:
    """Explore a scenario in the browser as the model steps (Mesa SolaraViz)."""
    import socket

    from autofin.viz.catalog import Catalog
    from autofin.viz.server import LOCALHOST, address, serve

    if not 1 <= port <= 65535:
        _print_error(f"--port {port}: expected a port number from 1 to 65535")
        raise typer.Exit(EXIT_BAD_INPUT)
    for name, value in (("--play-interval", play_interval), ("--render-interval", render_interval)):
        if value < 1:
            _print_error(f"{name} {value}: expected 1 or more")
            raise typer.Exit(EXIT_BAD_INPUT)
    try:
        Catalog.build(scenario_file)
    except ScenarioError as error:
        _print_error(str(error))
        raise typer.Exit(EXIT_BAD_INPUT) from None
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as error:
        _print_error(f"cannot listen on {host} port {port}: {error.strerror or error}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    if host != LOCALHOST:
        err.print(
            f"warning: listening on {host}: anyone who can reach this address can use the "
            "page and run models (it has no login)",
            style="yellow",
            soft_wrap=True,
        )
    out.print(f"autofin viz: {address(host, port)}  (Ctrl-C to stop)", soft_wrap=True)
    code = serve(scenario_file, host, port, open_browser, play_interval, render_interval)
    if code not in (0, EXIT_INTERRUPTED):
        raise typer.Exit(EXIT_FAILED)


def _write_report(results: Result | list[Result], path: Path) -> None:
    """Write an HTML report and say where; a file that cannot be written exits 1."""
    from autofin.report.page import write_report

    try:
        write_report(results, path)
    except OSError as error:
        _print_error(f"cannot write the report to {path}: {error.strerror or error}")
        raise typer.Exit(EXIT_FAILED) from None
    out.print(f"report: {path}", markup=False, soft_wrap=True)


def _simulate(scenario: Scenario, check: bool, **tables: bool) -> Result:
    """Run the engine with a progress bar; engine errors a user can act on exit cleanly."""
    from autofin.world.checks import AccountingError
    from autofin.world.model import simulate

    try:
        with _progress_bar(scenario.steps) as progress:
            result = simulate(scenario, check=check, progress=progress, **tables)
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
    # Instruments the run never used would only add rows of zeros.
    unused = [
        key.removeprefix("financing_volume_")
        for key, value in summary.items()
        if key.startswith("financing_volume_")
        and not value
        and not summary.get("credit_losses_" + key.removeprefix("financing_volume_"))
    ]
    hidden = {
        f"{prefix}{name}"
        for name in unused
        for prefix in ("financing_volume_", "financing_cost_", "credit_losses_")
    }
    table = Table(
        title=title,
        title_justify="left",
        caption=f"not used: {', '.join(unused)}" if unused else None,
        caption_justify="left",
    )
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, value in summary_figures(summary):
        if key not in hidden:
            table.add_row(key, _format_number(value))
    return table


def _comparison_table(comparison: pd.DataFrame) -> Table:
    """A Rich table of `compare_runs` output: figures down, runs across."""
    count = len(comparison.columns)
    title = f"comparison of {count} run{'s' if count != 1 else ''}"
    table = Table(title=title, title_justify="left")
    table.add_column("figure")
    for label in comparison.columns:
        table.add_column(str(label), justify="right")
    in_summary = False
    for figure, row in comparison.iterrows():
        if str(figure).endswith(" (summary)") and not in_summary:
            in_summary = True
            if table.row_count:
                table.add_section()
        table.add_row(str(figure), *(_format_figure(str(figure), value) for value in row))
    return table


def _format_figure(figure: str, value: float) -> str:
    """A comparison cell: empty when missing, rates and ratios in percent, else as numbers."""
    if math.isnan(value):
        return ""
    name = figure.rsplit(" (", 1)[0]
    if RATE_WORDS & set(name.replace(".", "_").split("_")):
        return f"{value * 100:.4g}%"
    return _format_number(value)


def _format_number(value: float) -> str:
    """Thousands separated for large values, four significant digits for small ones."""
    if isinstance(value, int):
        return f"{value:,}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"
