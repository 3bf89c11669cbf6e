"""The `autofin` command line: validate scenarios, print their schema, run and compare them.

A thin layer over the Python API (`load_scenario`, `simulate`, `write_results`,
`compare_runs`). Nothing is printed as a bare traceback: user errors (a bad scenario, an
output folder that cannot work) are one clear message with exit code 2; environment errors
(disk full, permission denied, out of memory) a message with exit code 1; an internal error
a short message naming the log file that holds the traceback, with exit code 1. Everything
a run needs is checked before it starts: the scenario, its estimated memory, and the output
folder (which is then locked until the results are swapped in).
"""

from __future__ import annotations

import errno
import hashlib
import json
import math
import os
import re
import shutil
import signal
import sys
import tempfile
import time
import traceback
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
from typer import rich_utils

from autofin.interrupts import handled, raise_interrupt
from autofin.report import REPORT_HTML
from autofin.results.compare import (
    SUMMARY,
    CompareError,
    SeedPairing,
    as_percent,
    compare_runs,
    is_fraction,
    pairings_and_differences,
    run_periods,
    summary_figures,
    summary_intervals,
    write_comparison_csv,
)
from autofin.results.folder import SUMMARY_JSON, OutputFolderError, ResultsFolder, lock_folder
from autofin.results.result import Result
from autofin.results.writing import write_results
from autofin.scenario.errors import ScenarioError
from autofin.scenario.loading import load_scenario
from autofin.scenario.schema import Scenario
from autofin.scenario.workload import (
    Workload,
    describe_duration,
    estimate_workload,
    machine_memory_bytes,
)

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
ALLOW_OUTSIDE_HELP = (
    "Let `extends` and `network.path` name files outside the scenario file's folder "
    "(by default only that folder and its subfolders are read)."
)


SettingOverrides = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="PATH=VALUE",
        help="Override a setting, e.g. --set automakers.payment_term_days=60 (repeatable; "
        "values are read as YAML).",
    ),
]
"""The `--set` option of `run` and `validate` (`validate` applies it to every file)."""


class _App(typer.Typer):
    """The Typer app, with unexpected errors reported briefly and logged in full."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except SystemExit as done:
            if _silent_interrupt(done):
                _print_error("interrupted; the command stopped before it had finished")
            raise
        except MemoryError:
            _print_error(
                "out of memory; try a smaller scenario (`autofin validate` prints its estimate)"
            )
            sys.exit(EXIT_FAILED)
        except Exception as error:
            if isinstance(error, OSError) and error.errno == errno.ENAMETOOLONG:
                # A path the file system cannot hold, given to any command: the user's input.
                where = f" ({error.filename})" if error.filename else ""
                _print_error(f"a path given is too long for the file system{where}")
                sys.exit(EXIT_BAD_INPUT)
            log = _write_crash_log()
            _print_error(
                f"internal error ({type(error).__name__}: {str(error)[:200]}); this is a bug "
                f"in autofin, please report it with the traceback in {log}"
            )
            sys.exit(EXIT_FAILED)


def _silent_interrupt(done: SystemExit) -> bool:
    """Whether ``done`` is Typer's exit 130 for a Ctrl-C no command handled (and said).

    Typer turns a `KeyboardInterrupt` it catches into ``Exit(130)`` raised from it, and Click
    exits with that code; a command's own handler exits 130 ``from None``, after its message.
    """
    typer_exit = done.__context__
    return (
        done.code == EXIT_INTERRUPTED
        and typer_exit is not None
        and isinstance(typer_exit.__cause__, KeyboardInterrupt)
    )


app = _App(
    name="autofin",
    help="Agent-based simulator of automotive finance: supply chains, trade credit, banks "
    "and consumers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Written to a file or a pipe, Rich would assume 80 columns and cut the cells of wide tables
# (metric and run names); then the lines are as long as their content needs.
NOT_A_TERMINAL_WIDTH = 1_000
out = Console(highlight=False, width=None if sys.stdout.isatty() else NOT_A_TERMINAL_WIDTH)
err = Console(
    stderr=True, highlight=False, width=None if sys.stderr.isatty() else NOT_A_TERMINAL_WIDTH
)
if not sys.stdout.isatty() and rich_utils.MAX_WIDTH is None:
    # `--help` piped: wide enough for the option names, still wrapped for reading.
    rich_utils.MAX_WIDTH = 120


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
    allow_outside_paths: Annotated[
        bool, typer.Option("--allow-outside-paths", help=ALLOW_OUTSIDE_HELP)
    ] = False,
    overrides: SettingOverrides = None,
) -> None:
    """Check scenario files without running them and print the work each would take.

    Exit code 2 if any is invalid.
    """
    invalid = 0
    for file in files:
        try:
            scenario = load_scenario(file, overrides, allow_outside_paths=allow_outside_paths)
        except ScenarioError as error:
            message = str(error)
            # An override's error names the override; with several files, say whose.
            named = message.startswith(str(file)) or len(files) == 1
            _print_error(message if named else f"{file}: {message}")
            invalid += 1
            continue
        workload = estimate_workload(scenario)
        out.print(
            f"ok: {file} ({scenario.name}, {scenario.steps} steps)", markup=False, soft_wrap=True
        )
        out.print(f"  estimate: {workload.describe()}", markup=False, soft_wrap=True)
        too_big = _memory_problem(workload)
        if too_big:
            out.print(f"  warning: {too_big}; run needs --force", markup=False, soft_wrap=True)
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
            "--output",
            "-o",
            help="Results directory (default: results/<scenario name>/, or "
            "results/<scenario name>--<settings>/ with --set, --seed or --replications).",
        ),
    ] = None,
    overrides: SettingOverrides = None,
    seed: Annotated[
        int | None, typer.Option(help="Seed of the random generator (same as --set seed=N).")
    ] = None,
    check: Annotated[
        bool,
        typer.Option("--check", help="Verify money conservation and balance sheets every step."),
    ] = False,
    replications: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Run over this many seeds (seed, seed+1, ...) and report means with 95% "
            "confidence intervals (same as --set replications=N).",
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Run even if the estimated memory exceeds the machine's memory."
        ),
    ] = False,
    allow_outside_paths: Annotated[
        bool, typer.Option("--allow-outside-paths", help=ALLOW_OUTSIDE_HELP)
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
    """Simulate a scenario; write its results and an HTML report of them (report.html).

    The results folder is replaced whole at the end: the old run or the new, never a mix.
    """
    settings = list(overrides or [])
    if seed is not None:
        settings.append(f"seed={seed}")
    if replications is not None:
        settings.append(f"replications={replications}")
    try:
        scenario = load_scenario(scenario_file, settings, allow_outside_paths=allow_outside_paths)
    except ScenarioError as error:
        _print_error(str(error))
        raise typer.Exit(EXIT_BAD_INPUT) from None
    workload = estimate_workload(scenario)
    too_big = _memory_problem(workload)
    if too_big and not force:
        _print_error(f"{too_big}; make the scenario smaller, or pass --force to run it anyway")
        raise typer.Exit(EXIT_BAD_INPUT)

    from autofin.results.replications import StoppedEarly

    directory = output if output is not None else default_run_directory(scenario.name, settings)
    source = _recorded_path(scenario_file)
    if output is None:
        _refuse_another_files_folder(directory, source, scenario.name)
    stopped, written = None, directory
    with _terminate_as_interrupt():  # a cluster's time limit sends SIGTERM
        try:
            with ResultsFolder(directory) as folder:
                _check_free_space(folder, workload)
                try:
                    result = _simulate(scenario, check, panel=panel, loans=loans)
                except StoppedEarly as early:  # the replications that finished are written
                    result, stopped = early.result, early
                    if _holds_a_run(folder.target):  # ... beside a previous run, not over it
                        written = interrupted_directory(directory)
                result.summary["scenario_file"] = source
                if written == directory:
                    write_results(result, folder, report=report)
            if written != directory:
                with ResultsFolder(written) as folder:
                    write_results(result, folder, report=report)
        except OutputFolderError as error:
            _print_error(f"cannot write results: {error}")
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except OSError as error:
            _print_error(_environment_message(error, directory))
            raise typer.Exit(EXIT_FAILED) from None
        except KeyboardInterrupt:
            _print_error(f"interrupted; {directory} keeps its previous content")
            raise typer.Exit(EXIT_INTERRUPTED) from None
    out.print(_summary_table(result.summary))
    out.print(f"results: {written}", markup=False, soft_wrap=True)
    if report:
        out.print(f"report: {written / REPORT_HTML}", markup=False, soft_wrap=True)
    _warn_of_warmup_defaults(result.summary)
    if stopped is not None:
        seeds = result.summary["replication_seeds"]
        kept = "" if written == directory else f"; {directory} keeps its previous run"
        _print_error(
            f"interrupted after {stopped.finished} of {stopped.planned} replications; the "
            f"results above and in {written} are of those {stopped.finished} (seeds "
            f"{seeds[0]} to {seeds[-1]}){kept}; run again for all {stopped.planned}"
        )
        raise typer.Exit(EXIT_INTERRUPTED)


def _refuse_another_files_folder(directory: Path, source: str, name: str) -> None:
    """Stop (exit 2) before a run replaces the results of another file of the same name.

    Without ``-o`` a run goes to its name's folder and replaces what it holds: right for the
    same file run again, a silent loss for another file that took the same name (a copy
    edited into a variant, say). Results written before the file was recorded, or by a
    file that no longer exists, are replaced.
    """
    try:
        held = json.loads((directory / SUMMARY_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    other = held.get("scenario_file") if isinstance(held, dict) else None
    # A recorded file that is gone (renamed, say) no longer claims the folder.
    if isinstance(other, str) and other != source and Path(other).is_file():
        _print_error(
            f"{directory} holds the results of another scenario file with the name "
            f"'{name}': {other}; give this file a name of its own (name: in the file, or "
            "--set name=...), or write its results elsewhere with -o DIR; nothing was run"
        )
        raise typer.Exit(EXIT_BAD_INPUT)


def _recorded_path(scenario_file: Path) -> str:
    """How `summary.json` names the scenario file a run read (``scenario_file``).

    Relative to the working folder, where ``results/`` is, when the file is under it: the
    project may move, and the results say nothing of the machine's folders; otherwise whole.
    """
    resolved = scenario_file.resolve()
    try:
        return resolved.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()


def interrupted_directory(directory: Path) -> Path:
    """Where an interrupted run writes the replications that finished, beside a previous run.

    A run stopped before all its replications finished keeps the previous run of its
    folder (complete, perhaps) and writes its own beside it, as ``<directory>--interrupted``.
    """
    return directory.with_name(f"{directory.name}--interrupted")


def _holds_a_run(folder: Path) -> bool:
    """Whether ``folder`` holds a previous run (the output checks refused anything else)."""
    return folder.is_dir() and any(folder.iterdir())


def default_run_directory(name: str, settings: list[str], folder: Path = Path("results")) -> Path:
    """Where `run` (or `sweep`) writes without ``-o``: ``results/<name>/``, or the variant's.

    A run changed on the command line (``--set``, ``--seed``, ``--replications``) is another
    scenario than the file's: it goes to ``results/<name>--<setting>--<setting>/``, so that
    it never replaces the file's own results. A setting with characters a file name should
    not hold (spaces dropped, others as ``_``) could then read as another's (the lists
    ``[[1], 2]`` and ``[1, [2]]`` both as ``1_2``), so its folder's name ends in a digest of
    the name and the settings as given; a name too long for comfort keeps its first 80
    characters and that digest. A sweep's folders are named alike, under ``results/sweeps/``.

    Args:
        name: The scenario's (or experiment's) name.
        settings: The ``PATH=VALUE`` settings given, in order (a path given twice is
            named once, with its last value).
        folder: Where the results folders are.
    """
    # A path set twice takes its last value (as the scenario does): only that one is named.
    last = {setting.partition("=")[0].strip(): k for k, setting in enumerate(settings)}
    settings = [settings[k] for k in sorted(last.values())]
    if not settings:
        return folder / name
    parts = [_file_name_part(setting) for setting in settings]
    variant = "--".join([name, *parts])
    rewritten = any(part != setting for part, setting in zip(parts, settings, strict=True))
    if len(variant) > 100 or rewritten or not all(parts):
        digest = hashlib.sha256("\n".join([name, *settings]).encode()).hexdigest()[:10]
        variant = f"{variant[:80]}--{digest}"
    return folder / variant


def _file_name_part(setting: str) -> str:
    """``PATH=VALUE`` with spaces dropped and characters unsafe in file names as ``_``."""
    key, value = (
        re.sub(r"[^A-Za-z0-9._+-]+", "_", part.replace(" ", "")).strip("_")
        for part in setting.partition("=")[::2]
    )
    return f"{key}={value}" if key and value else ""


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
    _write_report(run_dir, output if output is not None else run_dir / REPORT_HTML)


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
            help="Metrics to compare, comma-separated or repeated: time-series columns and "
            "summary figures, by name or glob pattern such as 'financing_*' (a summary figure "
            "also by the metric it is a statistic of: bank_npl_ratio for bank_npl_ratio_mean). "
            "Default: a headline set of time series and every summary figure.",
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
    names, directories = None, run_dirs or []
    _refuse_swapped_formats(output, html)
    if metrics is not None:
        names = [name.strip() for item in metrics for name in item.split(",") if name.strip()]
    try:
        table = compare_runs(directories, names, summary=summary)
        periods = run_periods(directories)
        paired = summary and len(directories) > 1
        pairings, differences = (
            pairings_and_differences(directories, names) if paired else ([], None)
        )
    except CompareError as error:
        _print_error(str(error))
        raise typer.Exit(EXIT_BAD_INPUT) from None
    out.print(_comparison_table(table))
    if summary and names and not table.index.str.endswith(f" ({SUMMARY})").any():
        out.print(
            f"no summary figure matches --metrics '{','.join(names)}' (summary figures are "
            "selected by their names, e.g. sales_units, or the metric whose statistic they "
            "are: bank_npl_ratio for bank_npl_ratio_mean)",
            markup=False,
            soft_wrap=True,
        )
        differences = None
    _warn_of_different_periods(periods["steps"], periods["step_days"])
    for column, who, uncounted in (
        ("warmup_supplier_defaults", "suppliers", "no figure here counts"),
        ("warmup_bank_failures", "banks", "bank_failures does not count"),
    ):
        lost = periods[column].dropna()
        if (lost > 0).any():
            _warn_if_unequal(
                lost,
                f"the runs lost different numbers of {who} in the warm-up, before day 0 (a "
                f"run: {{}}), which {uncounted}",
                decimals=2,
            )
    partial = periods[periods["replications"] < periods["replications_planned"]]
    for label, run in partial.iterrows():
        _warn(
            f"{label} was interrupted: {run['replications']:.0f} of "
            f"{run['replications_planned']:.0f} replications planned; its means and intervals "
            "are over those only"
        )
    if differences is not None:
        _print_differences(differences, pairings)
    if output is not None:
        try:
            write_comparison_csv(table, output)
        except OSError as error:
            code, reason = _path_error(error)
            _print_error(f"cannot write {output}: {reason}")
            raise typer.Exit(code) from None
        out.print(f"csv: {output}", markup=False, soft_wrap=True)
    if html is not None:
        _write_report(run_dirs or [], html)


TABLE_SUFFIXES = (".csv", ".tsv", ".parquet", ".json")
"""File names of tables, refused where an HTML report is written."""


def _refuse_swapped_formats(output: Path | None, html: Path | None) -> None:
    """Refuse `compare -o x.html` (a CSV under a web page's name) and `--html x.csv` (exit 2)."""
    if output is not None and output.suffix.lower() in (".html", ".htm"):
        _print_error(
            f"--output {output}: --output writes the comparison table as CSV; for the HTML "
            f"report give --html {output} (or name the CSV file .csv)"
        )
        raise typer.Exit(EXIT_BAD_INPUT)
    if html is not None:
        _refuse_table_name(html, "--html", f"for the table as CSV give --output {html}")


def _refuse_table_name(path: Path, option: str, instead: str) -> None:
    """Refuse an HTML report written under a table's name, or into a folder (exit 2)."""
    if path.suffix.lower() in TABLE_SUFFIXES:
        _print_error(
            f"{option} {path}: {option} writes an HTML report; {instead} (or name the report .html)"
        )
        raise typer.Exit(EXIT_BAD_INPUT)
    if path.is_dir():
        _print_error(
            f"{option} {path}: is a folder; give the report's file name (e.g. {path / REPORT_HTML})"
        )
        raise typer.Exit(EXIT_BAD_INPUT)
    existing = next((parent for parent in path.parents if parent.exists()), None)
    if existing is not None and not existing.is_dir():
        _print_error(f"{option} {path}: {existing} is a file, not a folder")
        raise typer.Exit(EXIT_BAD_INPUT)


def _warn_of_different_periods(steps: pd.Series, step_days: pd.Series) -> None:
    """Say so when the runs compared cover different days, or steps of different lengths."""
    known = step_days.notna().all()  # (else the steps alone)
    unit = "days" if known else "steps"
    _warn_if_unequal(
        (steps * step_days if known else steps).dropna(),
        f"the runs cover different horizons ({unit}: {{}}): their means and totals are over "
        "different periods",
    )
    _warn_if_unequal(
        step_days.dropna(),
        "the runs' steps differ in length (days per step: {}): a mean over steps of a flow "
        "(sales, defaults, lending per step) is per step of each run",
    )


def _warn_if_unequal(values: pd.Series, warning: str, decimals: int = 0) -> None:
    """Print ``warning`` with each run's value when the runs' ``values`` are not all equal."""
    if len(values) and (values != values.iloc[0]).any():
        spans = ", ".join(f"{label} {value:,.{decimals}f}" for label, value in values.items())
        _warn(warning.format(spans))


PRINTED_DIFFERENCES = 30
"""Most lines of differences beyond noise `autofin compare` prints."""


def _print_differences(differences: pd.DataFrame, pairings: list[SeedPairing]) -> None:
    """The summary figures whose paired difference from the first run is beyond noise.

    First, for each run paired on some of the seeds only, the seeds paired and left out, and
    for each run not paired, why (the seeds of each run).
    """
    for pairing in pairings:
        if pairing.left_out or not pairing.paired:
            out.print(pairing.describe(), markup=False, soft_wrap=True)
    if not any(pairing.paired for pairing in pairings):
        return
    # Only a figure with an interval (values in two pairs or more) can be beyond noise.
    differences = differences[differences["low"].notna()]
    if differences.empty:
        out.print("no paired differences: no figure has a value in two or more of the seeds paired")
        return
    beyond = differences[(differences["low"] > 0) | (differences["high"] < 0)]
    pairs = differences["seeds"].astype(int)  # pairs with a value, per figure
    fewer = int((pairs < pairs.max()).sum())
    seeds = f"{pairs.max()} seeds" + (
        f" ({fewer} figure{'s' if fewer != 1 else ''} over fewer: no value in some)"
        if fewer
        else ""
    )
    reference = pairings[0].reference
    chance = 0.05 * len(differences)  # a 95% interval excludes 0 one time in 20 by chance
    by_chance = f"{chance:.0f}" if chance >= 1 else f"{chance:.1g}"
    out.print(
        f"differences from {reference} beyond noise (paired over {seeds}, 95% interval "
        f"excluding 0): {len(beyond)} of {len(differences)} (about {by_chance} would be by "
        "chance alone)",
        markup=False,
        soft_wrap=True,
    )
    for row in beyond.head(PRINTED_DIFFERENCES).itertuples():
        show = _points if is_fraction(row.figure) else _short_number
        out.print(
            f"  {row.figure}: {row.run} {show(row.difference)} "
            f"({show(row.low)} to {show(row.high)})",
            markup=False,
            soft_wrap=True,
        )
    if len(beyond) > PRINTED_DIFFERENCES:
        out.print(f"  ... and {len(beyond) - PRINTED_DIFFERENCES} more", markup=False)


def _short_number(value: float) -> str:
    """A signed difference in four significant figures."""
    return f"{value:+,.4g}"


def _points(value: float) -> str:
    """A signed difference of two fractions, in percentage points."""
    return f"{value * 100:+.3g} pp"


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
        int,
        typer.Option(
            "--play-interval",
            help="Pause between redraws when playing (ms); each redraw follows "
            "--render-interval steps.",
        ),
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


def _write_report(results: Path | list[Path], path: Path) -> None:
    """Write the HTML report of results directories and say where.

    A directory that is not a finished run exits 2; a file that cannot be written exits 1.
    """
    from autofin.report.page import write_report
    from autofin.report.runs import ReportDataError

    _refuse_table_name(path, "--output", "the report is one HTML page")
    try:
        write_report(results, path)
    except ReportDataError as error:
        _print_error(str(error))
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except OSError as error:
        code, reason = _path_error(error)
        _print_error(f"cannot write the report to {path}: {reason}")
        raise typer.Exit(code) from None
    out.print(f"report: {path}", markup=False, soft_wrap=True)


def _path_error(error: OSError) -> tuple[int, str]:
    """The exit code and reason of a file-system error on an output path the user gave.

    2 for a path given wrongly (no such folder, a file in the way, a folder where a file
    goes, a name too long); 1 for the environment (permission denied, a full disk).
    """
    if error.errno in (errno.EEXIST, errno.ENOTDIR):
        return EXIT_BAD_INPUT, "a file is in the way of its folder"
    if error.errno == errno.ENAMETOOLONG:
        return EXIT_BAD_INPUT, "the path or a name in it is too long for the file system"
    reason = error.strerror or str(error)
    return (EXIT_BAD_INPUT if error.errno in (errno.ENOENT, errno.EISDIR) else EXIT_FAILED), reason


def _warn_of_warmup_defaults(summary: dict[str, Any]) -> None:
    """Say so when suppliers or banks failed before day 0: the results leave the warm-up out."""
    replications = int(summary.get("replications", 1) or 1)
    mean = f", a mean over {replications} replications" if replications > 1 else ""
    failed = summary.get("warmup_supplier_defaults", 0)
    if failed:
        in_business = summary.get("suppliers", 0)
        _warn(
            f"{failed:,.4g} suppliers defaulted during the warm-up, before day 0 "
            f"(in business at day 0: {in_business:,.4g}{mean}); the results start from "
            "what the warm-up left and do not count them (warmup_supplier_defaults in "
            "summary.json)"
        )
    banks = summary.get("warmup_bank_failures") or 0
    if banks:
        _warn(
            f"{banks:,.4g} banks failed during the warm-up, before day 0{mean}; bank_failures "
            "does not count them, and a failed bank lends no more (warmup_bank_failures in "
            "summary.json)"
        )


def _simulate(scenario: Scenario, check: bool, **tables: bool) -> Result:
    """Run the engine with a progress bar; engine errors a user can act on exit cleanly.

    Ctrl-C after some of several replications have finished raises `StoppedEarly` with those
    combined, for the caller to write; before any has finished, the command exits 130.
    """
    from autofin.results.replications import StoppedEarly, simulate_replications
    from autofin.world.checks import AccountingError

    total = scenario.run_steps * scenario.replications
    runs = f"{scenario.replications} runs" if scenario.replications > 1 else "one run"
    if scenario.warmup_steps:
        detail = f"{runs} of {scenario.warmup_steps:,} warm-up steps and {scenario.steps:,} after"
    elif scenario.replications > 1:
        detail = f"{runs} of {scenario.steps:,}"
    else:
        detail = ""
    try:
        with _progress_bar(total, detail) as progress:
            result = simulate_replications(scenario, check=check, progress=progress, **tables)
    except AccountingError as error:
        _print_error(f"accounting check failed: {error}")
        raise typer.Exit(EXIT_FAILED) from None
    except StoppedEarly:
        raise
    except KeyboardInterrupt:
        _print_error(
            "interrupted before a run had finished; no results written (the folder keeps "
            "what it held)"
        )
        raise typer.Exit(EXIT_INTERRUPTED) from None
    if check:
        err.print(
            f"accounting checks passed after each of the {total:,} "
            "steps: money conserved; receivables, payables, debt and bank capital agree with "
            "the books they are kept from",
            markup=False,
            soft_wrap=True,
        )
    return result


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM stops the process as Ctrl-C does (finished work is kept)."""
    with handled([signal.SIGTERM], raise_interrupt):
        yield


def _memory_problem(workload: Workload) -> str:
    """Why a run would not fit in this machine's memory, or an empty string."""
    available = machine_memory_bytes()
    if available is None or workload.memory_bytes <= available:
        return ""
    return (
        f"the run needs an estimated {workload.memory_bytes / 1e9:,.1f} GB of memory but this "
        f"machine has {available / 1e9:,.1f} GB ({workload.describe()})"
    )


def _check_free_space(folder: ResultsFolder, workload: Workload) -> None:
    """Stop before the run if the output's file system cannot hold the result files."""
    free = shutil.disk_usage(folder.staging).free
    if free < workload.output_bytes:
        _print_error(
            f"cannot write results to {folder.target}: {free / 1e6:,.1f} MB free, and the "
            f"results need about {workload.output_bytes / 1e6:,.1f} MB; free some space"
        )
        raise typer.Exit(EXIT_FAILED)


def _environment_message(error: OSError, directory: Path) -> str:
    """A clear message for a file-system error while writing results."""
    reason = error.strerror or str(error)
    where = error.filename or directory
    return f"cannot write results to {directory}: {reason} ({where}); no results were changed"


def _write_crash_log() -> str:
    """Write the current exception's traceback to a log file and return its path."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    try:
        handle, path = tempfile.mkstemp(prefix=f"autofin-error-{stamp}-", suffix=".log")
        with os.fdopen(handle, "w", encoding="utf-8") as log:
            log.write(f"autofin {' '.join(sys.argv[1:])}\n\n")
            log.write(traceback.format_exc())
    except OSError:
        return "(the log file could not be written)"
    return path


def _print_error(message: str) -> None:
    """Print a user-facing error on stderr, in red, without Rich markup or wrapping."""
    err.print(Text.assemble(("error: ", "bold red"), (message, "red")), soft_wrap=True)


def _warn(message: str) -> None:
    """Print ``message`` as a warning on stderr (yellow; the text as given, no markup)."""
    err.print(f"warning: {message}", style="yellow", markup=False, soft_wrap=True)


@contextmanager
def _progress_bar(total_steps: int, detail: str = "") -> Iterator[Callable[[int, int], None]]:
    """A Rich progress bar on stderr, advanced by the engine's `progress(done, total)`.

    Not on a terminal (a batch job's log, a pipe) a bar draws nothing until the end, so a line
    is printed instead when the run starts (with ``detail``, what the steps are), every
    `PLAIN_PROGRESS_SECONDS` and at the end.
    """
    if not err.is_terminal:
        yield _plain_run_progress(total_steps, detail)
        return
    columns = (
        TextColumn("simulating"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(f"steps ({detail})" if detail else "steps", markup=False),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err) as bar:
        task = bar.add_task("simulating", total=total_steps)

        def advance(step_done: int, total: int) -> None:
            bar.update(task, completed=step_done, total=total)

        yield advance


def _plain_run_progress(total_steps: int, detail: str = "") -> Callable[[int, int], None]:
    """A run's progress as a line of text now and then (see `_progress_bar`)."""
    started = time.monotonic()
    last = {"at": started, "ended": False}

    def line(step_done: int, total: int) -> None:
        now = time.monotonic()
        finished = step_done >= total
        if last["ended"] or (now - last["at"] < PLAIN_PROGRESS_SECONDS and not finished):
            return
        last.update(at=now, ended=finished)
        elapsed = now - started
        left = ""
        if 0 < step_done < total:
            left = f", about {describe_duration(elapsed * (total - step_done) / step_done)} left"
        err.print(
            f"simulating: {step_done:,}/{total:,} steps, {describe_duration(elapsed)} elapsed"
            f"{left}",
            markup=False,
            soft_wrap=True,
        )

    detail = f" ({detail})" if detail else ""
    err.print(f"simulating: 0/{total_steps:,} steps{detail}", markup=False, soft_wrap=True)
    return line


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
    if summary.get("replications"):
        title += f", mean of {summary['replications']} replications"
    table = Table(
        title=title,
        title_justify="left",
        caption=f"not used: {', '.join(unused)}" if unused else None,
        caption_justify="left",
    )
    intervals = summary_intervals(summary)
    table.add_column("figure")
    table.add_column("value", justify="right")
    if intervals:
        table.add_column("95% CI", justify="right")
    for key, value in summary_figures(summary):
        if key in hidden:
            continue
        cells = [key, _format_figure(key, value)]
        if intervals:
            low, high = intervals.get(key, (math.nan, math.nan))
            # An undefined figure (NaN: a rate with nothing to divide by) has no interval, and
            # one defined in a single replication has no spread to measure.
            if not (math.isnan(low) or math.isnan(high)):
                cells.append(f"{_format_figure(key, low)} – {_format_figure(key, high)}")
            elif key in intervals and not math.isnan(value):
                cells.append("one replication only")
            else:
                cells.append("")
        table.add_row(*cells)
    return table


def _comparison_table(comparison: pd.DataFrame) -> Table:
    """A Rich table of `compare_runs` output: figures down, runs across."""
    count = len(comparison.columns)
    title = f"comparison of {count} run{'s' if count != 1 else ''}"
    kinds = {str(figure).rsplit(" (", 1)[-1].rstrip(")") for figure in comparison.index}
    # Read as the run's figures, the time series' rows misled: say what each kind is.
    meanings = {
        "mean": "(mean): the time series' mean per step over the run",
        "final": "(final): its last step's value",
        "summary": "(summary): the run's own figure (summary.json)",
    }
    legend = "; ".join(text for kind, text in meanings.items() if kind in kinds)
    table = Table(title=title, title_justify="left", caption=legend, caption_justify="left")
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
    if is_fraction(name):
        return as_percent(value)
    return _format_number(value)


def _format_number(value: float) -> str:
    """Thousands separated for large values, four significant digits for small ones."""
    if isinstance(value, int):
        return f"{value:,}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


# --- sweeps: `autofin sweep` and `autofin analyze` -------------------------------------------


@app.command()
def sweep(
    experiment_file: Annotated[
        Path, typer.Argument(metavar="EXPERIMENT", help="The experiment YAML file.")
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Sweep directory (default: results/sweeps/<name>/, or "
            "results/sweeps/<name>--<settings>/ with --set).",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Local worker processes (default: one per core)."),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(metavar="ADDRESS", help="Use a running Dask scheduler, e.g. tcp://host:8786."),
    ] = None,
    slurm: Annotated[
        bool, typer.Option("--slurm", help="Start the workers as SLURM jobs (dask-jobqueue).")
    ] = False,
    queue: Annotated[str | None, typer.Option(help="SLURM partition.")] = None,
    account: Annotated[str | None, typer.Option(help="SLURM account.")] = None,
    walltime: Annotated[str | None, typer.Option(help="SLURM job time limit, HH:MM:SS.")] = None,
    cores: Annotated[
        int | None, typer.Option(min=1, help="Cores per SLURM job (one worker each).")
    ] = None,
    memory: Annotated[str | None, typer.Option(help="Memory per SLURM job, e.g. 4GB.")] = None,
    jobs: Annotated[int | None, typer.Option(min=1, help="SLURM jobs to start.")] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Option(
            "--set", metavar="PATH=VALUE", help="Change a fixed scenario setting of the sweep."
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Print the design's size and a time estimate; run nothing."),
    ] = False,
    allow_outside_paths: Annotated[
        bool, typer.Option("--allow-outside-paths", help=ALLOW_OUTSIDE_HELP)
    ] = False,
) -> None:
    """Run a parameter sweep: a design of scenarios x replications, resumable, on any cluster."""
    from autofin.sweep import ExperimentError, StoreError, load_experiment, plan_sweep
    from autofin.sweep.analysis import warmup_note
    from autofin.sweep.executors import (
        ClusterError,
        SlurmOptions,
        check_scheduler_address,
        local_workers,
    )
    from autofin.sweep.runner import SampleRunError
    from autofin.sweep.runs import OutputError
    from autofin.sweep.store import SweepStore

    if scheduler is not None and slurm:
        _print_error("--scheduler and --slurm exclude each other; give one")
        raise typer.Exit(EXIT_BAD_INPUT)
    try:
        if scheduler is not None:
            check_scheduler_address(scheduler)
        plan = plan_sweep(
            load_experiment(experiment_file, overrides, allow_outside_paths=allow_outside_paths)
        )
    except (ExperimentError, ClusterError) as error:
        _print_error(str(error))
        raise typer.Exit(EXIT_BAD_INPUT) from None
    spec = plan.experiment.spec
    directory = (
        output
        if output is not None
        else default_run_directory(spec.name, overrides or [], Path("results") / "sweeps")
    )
    cluster = None
    if slurm:
        options = SlurmOptions(queue, account, walltime, cores, memory, jobs)
        cluster = options.over(spec.cluster)
    elif scheduler is None and workers is not None and workers > (usable := local_workers(None)):
        _warn(
            f"--workers {workers} on the {usable} cores this process may use: the workers "
            "share them, so the sweep is no faster, and each holds a model in memory"
        )
    if dry_run:
        try:
            store = SweepStore(directory)
            held = store.check(plan.resolved, plan.fingerprint, list(plan.design["run_id"]))
            _say_extension(directory, held, "would extend")
            with _terminate_as_interrupt():  # the sample runs stop with the dry run
                _sweep_dry_run(plan, store, cluster, workers, scheduler)
        except (StoreError, OutputError) as error:  # the estimate runs the model once
            _print_error(str(error))
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except SampleRunError as error:
            _print_error(f"no estimate: {error}")
            raise typer.Exit(1) from None
        return
    lock = None
    try:
        # One sweep at a time in a folder: a second would run the same runs again, and one
        # extending the experiment would change the folder under the first. Locked first.
        directory.parent.mkdir(parents=True, exist_ok=True)
        lock = lock_folder(directory, "sweep")
        extended = SweepStore(directory).open(plan.resolved, plan.design, plan.fingerprint)
    except (StoreError, OutputFolderError) as error:
        if lock is not None:
            lock.close()
        _print_error(str(error))
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except OSError as error:
        _print_error(f"cannot write to {directory}: {error.strerror or error}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    _say_extension(directory, extended, "extending")
    out.print(
        f"{spec.name}: {spec.design} design, {plan.describe_size()}", markup=False, soft_wrap=True
    )
    try:
        outcome = _execute_sweep(
            plan, directory, workers=workers, scheduler=scheduler, slurm=cluster
        )
    finally:
        if lock is not None:
            lock.close()
    status = outcome.status
    out.print(
        f"{status.done} runs finished, {status.failed} failed, {status.retried} tasks retried "
        f"after a worker died, {status.skipped} already done; "
        f"{len(outcome.runs)} rows in {directory / 'runs.parquet'}"
        + (
            " (one per design point and replication: a run of coinciding points is in each "
            "point's rows)"
            if plan.distinct_points < plan.design["point"].nunique()
            else ""
        ),
        markup=False,
        soft_wrap=True,
    )
    if status.failed:
        out.print(f"failures: {directory / 'failures.parquet'}", markup=False, soft_wrap=True)
    lost = warmup_note(outcome.runs, list(spec.parameters))
    if lost:
        _warn(lost)


def _say_extension(directory: Path, held: int | None, doing: str) -> None:
    """Say that the sweep extends the one in ``directory`` (``held``: `SweepStore.check`)."""
    if held:
        out.print(
            f"{doing} the sweep in {directory} (its design had {held} runs): its finished "
            "runs are kept",
            markup=False,
            soft_wrap=True,
        )


def _execute_sweep(
    plan: Any, directory: Path, *, workers: int | None, scheduler: str | None, slurm: Any
) -> Any:
    """Run a sweep on the chosen cluster; a failure ends in a message and an exit code.

    Ctrl-C, or SIGTERM (a batch system's time limit), exits 130 and says how many runs
    were kept: each finished run is already in the directory, and running the same command
    again resumes.
    """
    from autofin.sweep import StoreError, run_sweep
    from autofin.sweep.executors import ClusterError, open_client
    from autofin.sweep.runs import OutputError

    try:
        with _terminate_as_interrupt():
            if scheduler is not None:
                err.print(f"connecting to the Dask scheduler at {scheduler}", markup=False)
            with (
                open_client(
                    workers=workers,
                    scheduler=scheduler,
                    slurm=slurm,
                    log_directory=str(directory / "slurm"),
                ) as client,
                _sweep_progress() as progress,
            ):
                return run_sweep(plan, directory, client, progress=progress)
    except (StoreError, OutputError) as error:
        _print_error(str(error))
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except ClusterError as error:
        _print_error(str(error))
        raise typer.Exit(EXIT_BAD_INPUT if error.bad_input else EXIT_FAILED) from None
    except OSError as error:
        if _is_write_error(error):
            where = f" ({error.filename})" if error.filename else ""
            problem = f"cannot write to {directory}: {error.strerror or error}{where}"
        else:
            problem = f"the Dask cluster failed: {error}"
        _print_error(f"{problem}; {_kept_runs(plan, directory)}")
        raise typer.Exit(EXIT_FAILED) from None
    except KeyboardInterrupt:
        _print_error(f"interrupted; {_kept_runs(plan, directory)}")
        raise typer.Exit(EXIT_INTERRUPTED) from None


def _is_write_error(error: OSError) -> bool:
    """Whether an error of a running sweep is writing its directory, not the cluster's."""
    writing = {errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS, errno.EIO}
    return error.errno in writing or error.filename is not None


def _kept_runs(plan: Any, directory: Path) -> str:
    """How many runs of a stopped sweep are kept, and how to run the rest."""
    from autofin.sweep.store import SweepStore

    total = int(plan.design["run_id"].nunique())  # the distinct runs
    kept = len(SweepStore(directory).finished())
    return (
        f"{kept} of {total} runs finished and are kept in {directory}; run the same command "
        f"again to resume with the other {total - kept} (finished runs are not run again)"
    )


def _sweep_dry_run(
    plan: Any, store: Any, cluster: Any, workers: int | None, scheduler: str | None
) -> None:
    """Print the design's size and an estimate of the sweep's duration."""
    from autofin.sweep.executors import local_workers
    from autofin.sweep.runner import dry_run_estimate

    spec = plan.experiment.spec
    if cluster is not None:
        count = cluster.cores * cluster.jobs
    elif scheduler is not None:
        count = 1
    else:
        count = local_workers(workers)
    # More local workers than cores run no faster.
    running = (
        count if cluster is not None or scheduler is not None else min(count, local_workers(None))
    )
    # The sample run is timed side by side as the local workers would run it. A SLURM
    # cluster's workers run elsewhere (one run is timed here); a running scheduler's workers
    # have started already (no start is counted).
    local = cluster is None and scheduler is None
    estimate = dry_run_estimate(
        plan, store, running, running if local else 1, fresh_workers=scheduler is None
    )
    out.print(
        f"{spec.name}: {spec.design} design, {plan.describe_size()} ({estimate['todo']} to "
        f"do) over {len(spec.parameters)} parameter{'s' if len(spec.parameters) != 1 else ''}",
        markup=False,
        soft_wrap=True,
    )
    out.print(f"results would go to {store.directory}", markup=False, soft_wrap=True)
    workers = f"{count} worker{'s' if count != 1 else ''}"
    where = (
        " once SLURM has started the jobs (runs timed on this machine; time waiting in the "
        "queue not included)"
        if cluster is not None
        else ""
    )
    if not estimate["todo"]:
        out.print(
            "every run is done: the same command without --dry-run writes the tables",
            markup=False,
            soft_wrap=True,
        )
        return
    copies = int(estimate["timed_side_by_side"])
    timed = [f"{copies} timed side by side"] if copies > 1 else []
    if not copies:
        timed.append("from the runs already in the directory")
    elif scheduler is None:
        timed.append(f"{estimate['start_seconds']:.1f} s to start a worker")
    timed_text = f" ({'; '.join(timed)})" if timed else ""
    out.print(
        f"about {estimate['seconds_per_run']:.2f} s per run{timed_text}; estimated "
        f"{describe_duration(estimate['estimate_seconds'])} on {workers}{where}",
        markup=False,
        soft_wrap=True,
    )


PLAIN_PROGRESS_SECONDS = 30.0
"""Seconds between the progress lines of a run or sweep whose output is not a terminal."""


@contextmanager
def _sweep_progress() -> Iterator[Callable[[Any], None]]:
    """A Rich progress bar of a sweep: done, failed, running, elapsed and ETA.

    Not on a terminal (a batch job's log, a pipe) a bar draws nothing until the end, so a line
    is printed instead every `PLAIN_PROGRESS_SECONDS`, and when the last run is in.
    """
    if not err.is_terminal:
        yield _plain_progress()
        return
    columns = (
        TextColumn("sweep"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err) as bar:
        task = bar.add_task("sweep", total=None, detail="starting workers")

        def advance(status: Any) -> None:
            bar.update(
                task,
                completed=status.finished,
                total=status.total,
                detail=f"failed {status.failed}, running {status.running}, "
                f"workers {status.workers}",
            )

        yield advance


def _plain_progress() -> Callable[[Any], None]:
    """A sweep's progress as a line of text now and then (see `_sweep_progress`)."""
    started = time.monotonic()
    last = {"at": -math.inf, "done": False}

    def line(status: Any) -> None:
        now = time.monotonic()
        done = bool(status.total) and status.finished >= status.total
        if now - last["at"] < PLAIN_PROGRESS_SECONDS and not (done and not last["done"]):
            return
        last.update(at=now, done=done)
        err.print(
            f"sweep: {status.finished}/{status.total} runs finished, {status.failed} failed, "
            f"{status.running} running, {status.workers} "
            f"worker{'s' if status.workers != 1 else ''}, "
            f"{describe_duration(now - started)} elapsed",
            markup=False,
            soft_wrap=True,
        )

    return line


@app.command()
def analyze(
    sweep_dir: Annotated[Path, typer.Argument(metavar="DIR", help="A finished sweep directory.")],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="HTML report (default: DIR/analysis/report.html)."),
    ] = None,
) -> None:
    """Summarise a sweep: means with confidence intervals, Sobol or Morris indices, a report."""
    from autofin.sweep.analysis import AnalysisError, analyze_sweep
    from autofin.sweep.report import table_paths, write_report

    target = output if output is not None else sweep_dir / "analysis" / "report.html"
    if output is not None:  # before the analysis, which can take a while
        _refuse_table_name(output, "--output", "its tables go beside it as CSV")
    try:
        analysis = analyze_sweep(sweep_dir)
    except AnalysisError as error:
        _print_error(str(error))
        raise typer.Exit(EXIT_BAD_INPUT) from None
    try:
        write_report(analysis, target, sweep=sweep_dir)
    except OSError as error:
        code, reason = _path_error(error)
        _print_error(f"cannot write {target}: {reason}")
        raise typer.Exit(code) from None
    means_csv, indices_csv = table_paths(Path(target))
    out.print(analysis.describe(means_csv), markup=False, soft_wrap=True)
    out.print(f"report: {target}", markup=False, soft_wrap=True)
    out.print(f"means table: {means_csv}", markup=False, soft_wrap=True)
    if not analysis.indices.empty:
        out.print(f"indices table: {indices_csv}", markup=False, soft_wrap=True)
