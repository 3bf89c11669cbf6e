"""The command line: validate, schema, run, and clear errors with exit code 2."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from unittest.mock import patch

import pytest
from typer.testing import CliRunner

from autofin import __version__
from autofin.cli import app
from autofin.scenario.loading import load_scenario, scenario_hash
from conftest import ROOT, SCENARIOS, TINY, write

RESULT_FILES = {
    "timeseries.parquet",
    "timeseries.csv",
    "flows.parquet",
    "events.parquet",
    "summary.json",
    "scenario.resolved.yaml",
    "network.parquet",
    "firms.parquet",
    "report.html",
}
BAD_INPUTS = {
    "yaml syntax": ("name: x\nnetwork:\n  tiers: [1, 2\n  automakers: 1\n", "line 4, column 13"),
    "wrong type": (TINY + "seed: soon\n", "seed: got 'soon'; expected a valid integer"),
    "unknown key": (TINY + "nmae: x\n", "unknown key 'nmae'; did you mean 'name'?"),
    "retired key": (
        TINY.replace("banks: {count: 2}", "banks: {count: 2, opening_line_headroom: 0.25}"),
        "banks: unknown key 'opening_line_headroom'; retired on 5 December 2026",
    ),
    "probability": (
        TINY.replace("banks: {count: 2}", "banks: {count: 2, loss_given_default: 1.2}"),
        "banks.loss_given_default: got 1.2; expected a value less than or equal to 1",
    ),
    "empty tier": (TINY.replace("[3, 4]", "[3, 0]"), "network.tiers.1: got 0"),
    "negative term": (
        TINY.replace("[60, 30]", "[60, -30]"),
        "suppliers.payment_term_days.1: got -30; expected a value greater than or equal to 0",
    ),
    "not a mapping": ("- a\n- b\n", "the top level must be a mapping"),
    "empty file": ("", "the file is empty"),
}


def invoke(*args: str | Path):
    result = CliRunner().invoke(app, [str(arg) for arg in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"autofin {__version__}"


def test_validate_reports_each_good_file(tmp_path):
    first = write(tmp_path, "a.yaml", TINY)
    second = write(tmp_path, "b.yaml", "name: other\nhorizon_days: 14\n")
    result = invoke("validate", first, second)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0::2] == [f"ok: {first} (tiny, 10 steps)", f"ok: {second} (other, 2 steps)"]
    assert lines[1].startswith("  estimate: 10 steps, 8 firms, 500 consumers, 2 banks; estimated")
    assert lines[3].startswith(
        "  estimate: 2 steps after 52 of warm-up, 341 firms, 50,000 consumers, 5 banks;"
    )


def test_validate_of_several_files_names_the_file_of_an_overrides_error(tmp_path):
    # The same message came once a file, naming neither (until 2026-12-06).
    first = write(tmp_path, "a.yaml", TINY)
    second = write(tmp_path, "b.yaml", "name: other\nhorizon_days: 14\n")
    result = invoke("validate", first, second, "--set", "horizon_days=-1")
    assert result.exit_code == 2
    assert [line.split(": --set")[0] for line in result.stderr.splitlines()] == [
        f"error: {first}",
        f"error: {second}",
    ]


def test_validate_checks_a_scenario_with_the_settings_run_would_override(tmp_path):
    path = write(tmp_path, "a.yaml", TINY)
    changed = invoke("validate", path, "--set", "horizon_days=14")
    assert changed.exit_code == 0
    assert changed.stdout.splitlines()[0] == f"ok: {path} (tiny, 2 steps)"
    refused = invoke("validate", path, "--set", "horizon_days=0")
    assert refused.exit_code == 2
    assert "--set horizon_days=0: horizon_days: got 0" in refused.stderr


def test_validate_estimates_memory_and_run_refuses_what_the_machine_cannot_hold(tmp_path):
    path = write(tmp_path, "big.yaml", "name: big\nconsumers: {population: 10000000}\n")
    estimate = invoke("validate", path)
    assert estimate.exit_code == 0
    assert "10,000,000 consumers" in estimate.stdout
    assert " MB of memory" in estimate.stdout or " GB of memory" in estimate.stdout
    small_machine = 1_000_000_000
    with patch("autofin.cli.machine_memory_bytes", return_value=small_machine):
        refused = invoke("run", path, "-o", tmp_path / "out")
    assert refused.exit_code == 2
    assert "needs an estimated" in refused.stderr
    assert "--force" in refused.stderr
    assert "Traceback" not in refused.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("text", "expected"), BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_validate_explains_bad_input_with_exit_code_2(tmp_path, text, expected):
    path = write(tmp_path, "bad.yaml", text)
    result = invoke("validate", path)
    assert result.exit_code == 2
    assert expected in result.stderr
    assert result.stderr.startswith(f"error: {path}")


def test_validate_checks_every_file_and_fails_if_any_is_bad(tmp_path):
    good = write(tmp_path, "good.yaml", TINY)
    bad = write(tmp_path, "bad.yaml", TINY + "nmae: x\n")
    result = invoke("validate", bad, good)
    assert result.exit_code == 2
    assert f"ok: {good}" in result.stdout
    assert f"error: {bad}" in result.stderr


def test_validate_reports_an_extends_cycle(tmp_path):
    write(tmp_path, "a.yaml", "extends: b.yaml\nname: a\n")
    write(tmp_path, "b.yaml", "extends: a.yaml\nname: b\n")
    result = invoke("validate", tmp_path / "a.yaml")
    assert result.exit_code == 2
    assert "extends cycle" in result.stderr


def test_validate_reports_a_missing_file(tmp_path):
    result = invoke("validate", tmp_path / "nope.yaml")
    assert result.exit_code == 2
    assert "nope.yaml: no such file" in result.stderr


def test_schema_prints_the_json_schema():
    result = invoke("schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["title"] == "Scenario"
    assert {"name", "network", "automakers", "suppliers", "banks"} <= set(schema["properties"])


@pytest.mark.parametrize(("text", "expected"), BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_run_refuses_bad_input_with_exit_code_2(tmp_path, text, expected):
    result = invoke("run", write(tmp_path, "bad.yaml", text), "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert expected in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        (
            "automakers.paymnet_term_days=60",
            "unknown key 'paymnet_term_days' in automakers; did you mean 'payment_term_days'?",
        ),
        # A bad value given with --set is blamed on the --set, not on the file that is fine.
        (
            "banks.count=0",
            "error: --set banks.count=0: banks.count: got 0; expected a value greater than or "
            "equal to 1",
        ),
        ("network.tiers", "expected PATH=VALUE"),
    ],
)
def test_run_refuses_a_bad_set_with_exit_code_2(tmp_path, setting, expected):
    result = invoke("run", write(tmp_path, "s.yaml", TINY), "--set", setting)
    assert result.exit_code == 2
    assert expected in result.stderr


def test_run_refuses_a_negative_seed(tmp_path):
    result = invoke("run", write(tmp_path, "s.yaml", TINY), "--seed", "-1")
    assert result.exit_code == 2
    assert "seed: got -1" in result.stderr


def test_run_writes_results_and_prints_where(tmp_path):
    out = tmp_path / "out"
    result = invoke("run", write(tmp_path, "s.yaml", TINY), "-o", out, "--seed", "3", "--check")
    assert result.exit_code == 0, result.output
    assert {path.name for path in out.iterdir()} == RESULT_FILES
    summary = json.loads((out / "summary.json").read_text())
    resolved = load_scenario(out / "scenario.resolved.yaml")
    assert summary["seed"] == 3 == resolved.seed
    assert summary["scenario_sha256"] == scenario_hash(resolved)
    assert summary["scenario_name"] == "tiny"
    assert f"results: {out}" in result.stdout
    # --check says that it checked (it said nothing when all held, until 2026-12-06).
    assert "accounting checks passed after each of the 10 steps" in result.stderr
    warm = invoke("run", tmp_path / "s.yaml", "-o", out, "--check", "--set", "warmup_days=14")
    assert warm.exit_code == 0, warm.output
    assert "passed after each of the 12 steps" in warm.stderr  # the warm-up's are checked too


def test_run_applies_set_overrides(tmp_path):
    out = tmp_path / "out"
    path = write(tmp_path, "s.yaml", TINY)
    result = invoke("run", path, "-o", out, "--set", "automakers.payment_term_days=60")
    assert result.exit_code == 0, result.output
    assert load_scenario(out / "scenario.resolved.yaml").automakers.payment_term_days == 60


def test_run_writes_to_results_named_after_the_scenario_by_default(tmp_path, monkeypatch):
    path = write(tmp_path, "scenarios/s.yaml", TINY)
    monkeypatch.chdir(tmp_path)
    result = invoke("run", path)
    assert result.exit_code == 0, result.output
    assert {path.name for path in (tmp_path / "results" / "tiny").iterdir()} == RESULT_FILES


def test_a_broken_accounting_identity_fails_the_run_with_exit_code_1(tmp_path, monkeypatch):
    from autofin.world import checks, model

    def broken(scenario, **options):
        raise checks.AccountingError("money not conserved at step 3")

    monkeypatch.setattr(model, "simulate", broken)
    result = invoke("run", write(tmp_path, "s.yaml", TINY), "-o", tmp_path / "out", "--check")
    assert result.exit_code == 1
    assert "accounting check failed: money not conserved at step 3" in result.stderr
    assert not (tmp_path / "out").exists()


def test_the_installed_command_prints_no_traceback(tmp_path):
    command = Path(sys.executable).with_name("autofin")
    if not command.exists():
        pytest.skip("the autofin command is not installed in this environment")
    bad = write(tmp_path, "bad.yaml", TINY + "nmae: x\n")
    completed = subprocess.run(
        [str(command), "run", str(bad)], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 2
    assert "did you mean 'name'?" in completed.stderr
    assert "Traceback" not in completed.stderr + completed.stdout


@pytest.mark.parametrize(
    "command",
    [
        ["report", "{run}", "-o", "{long}.html"],
        ["compare", "{run}", "-o", "{long}.csv"],
        ["sweep", "{experiment}", "-o", "{long}", "--dry-run"],
        ["analyze", "{long}"],
    ],
    ids=["report", "compare", "sweep", "analyze"],
)
def test_a_path_too_long_for_the_file_system_is_bad_input_in_every_command(
    baseline_dir, tmp_path, command
):
    """Beyond NAME_MAX (255 bytes on Linux): exit 2 and a message, not an internal error."""
    installed = Path(sys.executable).with_name("autofin")
    values = {
        "run": str(baseline_dir),
        "long": str(tmp_path / ("x" * 300)),
        "experiment": str(Path(__file__).parents[1] / "experiments" / "approval_speed.yaml"),
    }
    done = subprocess.run(
        [str(installed), *(part.format(**values) for part in command)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "too long for the file system" in done.stderr
    assert "internal error" not in done.stderr
    assert "Traceback" not in done.stderr


def test_a_bad_network_file_is_bad_input_with_exit_code_2(tmp_path):
    write(tmp_path, "edges.csv", "supplier,customer\n")
    path = write(
        tmp_path,
        "s.yaml",
        "name: f\nnetwork: {source: file, path: edges.csv}\nsuppliers: {payment_term_days: [30]}\n",
    )
    result = invoke("run", path, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert "edges.csv" in result.stderr


def test_run_shows_progress_and_a_table_of_the_headline_figures(tmp_path, monkeypatch):
    import pandas as pd

    from autofin.results.result import Result
    from autofin.world import model

    calls = []

    def fake(scenario, *, check=False, progress=None, **options):
        for step in range(scenario.steps):
            progress(step + 1, scenario.steps)
            calls.append(step + 1)
        frame = pd.DataFrame({"step": [0], "day": [7]})
        summary = {"supplier_defaults": 4, "bank_npl_ratio_mean": 0.0065, "note": "text"}
        return Result(scenario, frame, frame, frame, summary)

    monkeypatch.setattr(model, "simulate", fake)
    result = invoke("run", write(tmp_path, "s.yaml", TINY), "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert calls == list(range(1, 11))
    assert "10/10" in result.stderr
    lines = result.stdout.splitlines()
    assert any("supplier_defaults" in line and line.rstrip(" │").endswith("4") for line in lines)
    # A ratio in percent, as compare and the report show it.
    assert any("bank_npl_ratio_mean" in line and "0.65%" in line for line in lines)
    assert "scenario_sha256" not in result.stdout  # provenance goes to summary.json only
    assert "note" not in result.stdout


def test_run_not_on_a_terminal_prints_progress_lines_a_log_can_show(tmp_path, monkeypatch):
    """A batch job's log sees the run start, a line now and then, and the end (no bar)."""
    import pandas as pd

    from autofin import cli
    from autofin.results.result import Result
    from autofin.world import model

    def fake(scenario, *, check=False, progress=None, **options):
        for step in range(scenario.steps):
            progress(step + 1, scenario.steps)
        frame = pd.DataFrame({"step": [0], "day": [7]})
        return Result(scenario, frame, frame, frame, {"supplier_defaults": 0})

    monkeypatch.setattr(model, "simulate", fake)
    scenario = write(tmp_path, "s.yaml", TINY)
    quick = invoke("run", scenario, "-o", tmp_path / "quick")
    assert quick.exit_code == 0, quick.output
    lines = [line for line in quick.stderr.splitlines() if line.startswith("simulating:")]
    assert [line.split(",")[0] for line in lines] == [
        "simulating: 0/10 steps",
        "simulating: 10/10 steps",
    ]
    monkeypatch.setattr(cli, "PLAIN_PROGRESS_SECONDS", 0.0)
    chatty = invoke("run", scenario, "-o", tmp_path / "chatty")
    lines = [line for line in chatty.stderr.splitlines() if line.startswith("simulating:")]
    assert [line.split(",")[0] for line in lines] == [
        f"simulating: {step}/10 steps" for step in range(11)
    ]
    assert "left" in lines[5]  # an estimate of the time to go while running


def test_run_table_leaves_out_instruments_the_run_never_used(tmp_path):
    text = TINY + "finance: {factoring: {recourse: true}, preference: [factoring, bank_loan]}\n"
    result = invoke("run", write(tmp_path, "s.yaml", text), "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["financing_volume_order_financing"] == 0
    assert "financing_volume_order_financing" not in result.stdout
    assert "not used:" in result.stdout
    assert "order_financing" in result.stdout.split("not used:")[1]
    assert "financing_volume_bank_loan" in result.stdout


def test_tables_written_to_a_file_are_not_cut_to_80_columns(baseline_dir, variant_dir):
    # Redirected, Rich assumed an 80-column terminal and cut metric and run names to "…",
    # so a saved comparison could not tell its rows apart.
    shown = subprocess.run(
        [
            str(Path(sys.executable).with_name("autofin")),
            "compare",
            str(baseline_dir),
            str(variant_dir),
            "-m",
            "financing_outstanding_inventory_financing,bank_capital_ratio",
            "--no-summary",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "financing_outstanding_inventory_financing (mean)" in shown
    assert "platform_reverse_factoring" in shown
    assert "…" not in shown


def test_compare_shows_fractions_in_percent_and_multiples_as_numbers(baseline_dir, baseline):
    # A PD calibration ratio of 0.3 is a multiple (scores are 0.3 times the defaults), not
    # 30%; an APR and a check's power are fractions, shown in percent like every rate.
    metrics = "car_loan_apr,scored_pd_one_year_ratio,check_identity_power_fraud"
    result = invoke("compare", baseline_dir, "-m", metrics)
    assert result.exit_code == 0, result.output
    rows = {
        line.split("│")[1].strip(): line.split("│")[2].strip()
        for line in result.stdout.splitlines()
        if line.count("│") == 3
    }
    ratio = baseline.summary["scored_pd_one_year_ratio"]
    assert rows["scored_pd_one_year_ratio (summary)"] == f"{ratio:.4g}"
    assert rows["car_loan_apr (mean)"].endswith("%")
    assert rows["check_identity_power_fraud (summary)"].endswith("%")


def test_ctrl_c_during_replications_writes_those_that_finished(tmp_path, monkeypatch):
    # Four replications, Ctrl-C in the third: the first two are the results, said so, exit 130
    # (hours of a long run were thrown away before).
    import autofin.world.model as model

    real, calls = model.simulate, []

    def interrupted_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(model, "simulate", interrupted_third)
    out = tmp_path / "out"
    args = ["run", str(write(tmp_path, "tiny.yaml", TINY)), "-o", str(out), "--replications", "4"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 130, result.output
    said = " ".join(result.output.split())
    assert "interrupted after 2 of 4 replications" in said
    summary = json.loads((out / "summary.json").read_text())
    assert summary["replications"] == 2
    assert summary["replications_planned"] == 4
    first = load_scenario(tmp_path / "tiny.yaml").seed
    assert summary["replication_seeds"] == [first, first + 1]
    # compare says which run was cut short (it read it as any other).
    monkeypatch.setattr(model, "simulate", real)
    whole = tmp_path / "whole"
    assert CliRunner().invoke(app, [*args[:3], str(whole), *args[4:]]).exit_code == 0
    compared = CliRunner().invoke(app, ["compare", str(whole), str(out)])
    assert compared.exit_code == 0, compared.output
    said = " ".join(compared.output.split())
    assert "tiny (out) was interrupted: 2 of 4 replications planned" in said
    assert "tiny (whole) was interrupted" not in said


def test_ctrl_c_during_replications_keeps_the_folders_previous_run_whole(tmp_path, monkeypatch):
    # A complete run in the folder, then a second one stopped after 2 of 4 replications:
    # the first stays as it was, the 2 that finished are written beside it, and both are
    # said (before, the 2 replaced the complete run).
    import autofin.world.model as model

    path, out = write(tmp_path, "tiny.yaml", TINY), tmp_path / "out"
    assert CliRunner().invoke(app, ["run", str(path), "-o", str(out)]).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real, calls = model.simulate, []

    def interrupted_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(model, "simulate", interrupted_third)
    args = ["run", str(path), "-o", str(out), "--replications", "4"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 130, result.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    beside = tmp_path / "out--interrupted"
    said = " ".join(result.output.replace("\n", "").split())
    assert f"results: {beside}" in said
    assert f"{out} keeps its previous run" in said
    summary = json.loads((beside / "summary.json").read_text())
    assert (summary["replications"], summary["replications_planned"]) == (2, 4)


def test_ctrl_c_before_any_run_finished_keeps_the_folders_earlier_results(tmp_path, monkeypatch):
    import autofin.world.model as model

    path, out = write(tmp_path, "tiny.yaml", TINY), tmp_path / "out"
    assert CliRunner().invoke(app, ["run", str(path), "-o", str(out)]).exit_code == 0
    before = (out / "summary.json").read_text()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(model, "simulate", interrupted)
    result = CliRunner().invoke(app, ["run", str(path), "-o", str(out), "--replications", "3"])
    assert result.exit_code == 130
    assert "no results written" in " ".join(result.output.split())
    assert (out / "summary.json").read_text() == before


def test_ctrl_c_while_the_command_starts_is_a_message_and_exit_130(monkeypatch, capsys):
    """Ctrl-C during the half second of imports: no traceback, the interrupt's exit code."""
    import builtins

    from autofin import __main__ as entry
    from autofin.cli import EXIT_INTERRUPTED

    real_import = builtins.__import__

    def interrupted(name, *args, **kwargs):
        if name == "autofin.cli":
            raise KeyboardInterrupt
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", interrupted)
    with pytest.raises(SystemExit) as stopped:
        entry.main()
    assert stopped.value.code == EXIT_INTERRUPTED == 130
    assert capsys.readouterr().err == "error: interrupted while starting; nothing was run\n"


def test_sigterm_stops_a_run_as_ctrl_c_does():
    # A cluster's time limit sends SIGTERM: it must take the path that keeps finished work.
    import os
    import signal

    from autofin.cli import _terminate_as_interrupt

    def terminated() -> None:
        with _terminate_as_interrupt():
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(1000):  # the handler runs between bytecodes
                pass

    with pytest.raises(KeyboardInterrupt):
        terminated()
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # put back afterwards


def _run_with_a_warm_up(tmp_path: Path, setting: str, folder: str) -> tuple[str, dict]:
    """Run the tiny scenario with half a year's warm-up and ``setting``: output, summary."""
    path = write(tmp_path, "tiny.yaml", TINY.replace("warmup_days: 0", "warmup_days: 182"))
    out = tmp_path / folder
    result = CliRunner().invoke(app, ["run", str(path), "-o", str(out), "--set", setting])
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split()), json.loads((out / "summary.json").read_text())


def test_a_world_that_fails_in_its_warm_up_is_said_so_not_shown_as_no_defaults(tmp_path):
    # Draws due within a week cannot carry a supplier's working capital: suppliers fail
    # before day 0, and the results (which start at day 0) showed no defaults without a word
    # (the baseline with banks at their minimum capital ratio lost all 340 so).
    said, summary = _run_with_a_warm_up(tmp_path, "banks.loan_term_days=7", "out")
    assert summary["warmup_supplier_defaults"] > 0
    assert f"warning: {summary['warmup_supplier_defaults']} suppliers defaulted during" in said
    # Without a warm-up nothing can fail before day 0, and nothing is said.
    plain = write(tmp_path, "plain.yaml", TINY)
    healthy = CliRunner().invoke(app, ["run", str(plain), "-o", str(tmp_path / "ok")])
    assert "during the warm-up" not in healthy.output
    ok = json.loads((tmp_path / "ok" / "summary.json").read_text())
    assert ok["warmup_supplier_defaults"] == 0


def test_banks_that_fail_in_the_warm_up_are_said_so_and_compared(tmp_path):
    # Banks with a tiny capital for their automotive book (half their assets in it) fail
    # before day 0; bank_failures counts from day 0, so the results showed none, without a
    # word.
    said, summary = _run_with_a_warm_up(tmp_path, "banks.automotive_share=0.5", "failing")
    assert summary["warmup_bank_failures"] == 2
    assert summary["bank_failures"] == 0
    assert "warning: 2 banks failed during the warm-up, before day 0" in said
    said, summary = _run_with_a_warm_up(tmp_path, "banks.automotive_share=0.05", "healthy")
    assert "banks failed" not in said
    assert summary["warmup_bank_failures"] == 0
    folders = [str(tmp_path / "healthy"), str(tmp_path / "failing")]
    compared = CliRunner().invoke(app, ["compare", *folders])
    assert compared.exit_code == 0, compared.output
    said = " ".join(compared.output.split())
    assert "the runs lost different numbers of banks in the warm-up" in said


def test_a_file_does_not_replace_the_results_of_another_file_of_the_same_name(
    tmp_path, monkeypatch
):
    # A copy of a scenario edited into a variant kept its name: run without -o, it replaced
    # the first file's results in results/<name>/ without a word.
    project = tmp_path / "project"
    first = write(project, "first.yaml", TINY)
    second = write(project, "second.yaml", TINY + "automakers: {payment_term_days: 60}\n")
    monkeypatch.chdir(project)
    assert CliRunner().invoke(app, ["run", str(first), "--no-report"]).exit_code == 0
    held = (project / "results/tiny/summary.json").read_text()
    # Named from the working folder (the results say nothing of the machine's folders).
    assert json.loads(held)["scenario_file"] == "first.yaml"
    refused = CliRunner().invoke(app, ["run", str(second), "--no-report"])
    assert refused.exit_code == 2
    said = " ".join(refused.output.split())
    other = "results/tiny holds the results of another scenario file with the name 'tiny'"
    assert f"{other}: first.yaml;" in said
    assert (project / "results/tiny/summary.json").read_text() == held
    # The same file again replaces its own results; the other file may go elsewhere.
    assert CliRunner().invoke(app, ["run", "first.yaml"]).exit_code == 0
    report = (project / "results/tiny/report.html").read_text()
    assert "<th>scenario file</th><td class='hash'>first.yaml</td>" in report
    elsewhere = CliRunner().invoke(app, ["run", str(second), "-o", "other", "--no-report"])
    assert elsewhere.exit_code == 0, elsewhere.output
    # The project moved (its folder renamed): the same file still owns its results.
    moved = tmp_path / "moved"
    project.rename(moved)
    monkeypatch.chdir(moved)
    assert CliRunner().invoke(app, ["run", "first.yaml", "--no-report"]).exit_code == 0
    # A file renamed away no longer claims the folder.
    (moved / "first.yaml").rename(moved / "renamed.yaml")
    assert CliRunner().invoke(app, ["run", "second.yaml", "--no-report"]).exit_code == 0


def test_a_run_changed_on_the_command_line_keeps_the_files_own_results(tmp_path, monkeypatch):
    path = write(tmp_path, "scenarios/s.yaml", TINY)
    monkeypatch.chdir(tmp_path)
    assert invoke("run", path).exit_code == 0
    own = (tmp_path / "results" / "tiny" / "summary.json").read_text()
    result = invoke("run", path, "--set", "automakers.payment_term_days=60", "--seed", "5")
    assert result.exit_code == 0, result.output
    variant = tmp_path / "results" / "tiny--automakers.payment_term_days=60--seed=5"
    assert f"results: {Path('results') / variant.name}" in result.stdout
    assert load_scenario(variant / "scenario.resolved.yaml").automakers.payment_term_days == 60
    assert (tmp_path / "results" / "tiny" / "summary.json").read_text() == own


def test_a_variant_folder_name_is_safe_and_short():
    from autofin.cli import default_run_directory

    listed = default_run_directory("s", ["network.tiers=[20, 50, 100]", "seed=7"])
    assert re.fullmatch(r"s--network\.tiers=20_50_100--seed=7--[0-9a-f]{10}", listed.name)
    assert listed.parent == Path("results")
    assert default_run_directory("s", ["seed=7"]) == Path("results") / "s--seed=7"
    # A path set twice ran with its last value: the folder names that one only.
    assert default_run_directory("s", ["seed=6", "a=1", "seed=7"]) == Path("results/s--a=1--seed=7")
    assert default_run_directory("s", ["a=../../etc"]).parent == Path("results")
    many = [f"consumers.channels.walk_in.weight={k / 10}" for k in range(10)]
    long_name = default_run_directory("s", many).name
    assert len(long_name) <= 92
    assert long_name != default_run_directory("s", many[:9]).name


def test_ctrl_c_that_no_command_handles_is_said(monkeypatch, capsys):
    # Ctrl-C while the sweep is still planning (before its own handler): exit 130, said.
    import autofin.sweep

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(autofin.sweep, "plan_sweep", interrupted)
    with pytest.raises(SystemExit) as done:
        app(["sweep", str(ROOT / "experiments" / "payment_terms.yaml")], prog_name="autofin")
    assert done.value.code == 130
    assert "error: interrupted; the command stopped" in capsys.readouterr().err


def test_two_settings_that_read_alike_as_file_names_get_folders_of_their_own():
    # One shock, or two: both read 'shocks=day_7_tier_1' once '[{:}, ]' are made file-safe,
    # and the second run replaced the first's results.
    from autofin.cli import default_run_directory

    one = default_run_directory("s", ["shocks=[{day: 7, tier: 1}]"])
    two = default_run_directory("s", ["shocks=[{day: 7}, {tier: 1}]"])
    assert one != two
    assert one.name.startswith("s--shocks=day_7_tier_1--")
    # Scenarios whose long names differ only after the cut keep their own folders too.
    first, second = "a" * 95 + "x", "a" * 95 + "y"
    assert default_run_directory(first, ["seed=7"]) != default_run_directory(second, ["seed=7"])


def test_a_replicated_runs_undefined_rate_has_an_empty_interval_not_a_lone_dash(tmp_path):
    # The bank app without traffic has no conversion rate in any replication: its value and
    # interval are both empty (the interval was printed as ' – ', a range of nothing).
    path = write(tmp_path, "tiny.yaml", TINY)
    result = invoke("run", path, "-o", tmp_path / "out", "--replications", "2", "--no-report")
    assert result.exit_code == 0, result.output
    rows = {
        line.split("│")[1].strip(): line.split("│")[2:]
        for line in result.stdout.splitlines()
        if line.count("│") == 4
    }
    assert [cell.strip() for cell in rows["conversion_rate_bank_app"]] == ["", "", ""]
    value, interval, _ = rows["sales_units"]
    assert value.strip()
    assert re.fullmatch(r"\S+ – \S+", interval.strip())


def test_report_of_a_run_whose_summary_is_not_an_object_is_a_clear_error(tmp_path):
    path, out = write(tmp_path, "tiny.yaml", TINY), tmp_path / "out"
    assert CliRunner().invoke(app, ["run", str(path), "-o", str(out)]).exit_code == 0
    (out / "summary.json").write_text("[]")
    result = CliRunner().invoke(app, ["report", str(out)])
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert "summary.json is not a JSON object" in said
    assert "internal error" not in said


def test_analyze_of_a_runs_folder_says_it_is_a_run_and_what_reads_one(tmp_path):
    # It suggested `autofin sweep EXPERIMENT -o <the run's folder>`, which sweep refuses.
    path, out = write(tmp_path, "tiny.yaml", TINY), tmp_path / "out"
    assert CliRunner().invoke(app, ["run", str(path), "-o", str(out)]).exit_code == 0
    result = CliRunner().invoke(app, ["analyze", str(out)])
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert "the results of a run (`autofin run`), not of a sweep" in said
    assert "autofin sweep EXPERIMENT" not in said


def test_the_warmup_warning_of_replications_says_its_counts_are_means(tmp_path):
    # "0.375 suppliers defaulted during the warm-up" read as a count of firms.
    args = ["run", str(SCENARIOS / "baseline.yaml"), "-o", str(tmp_path / "out"), "--no-report"]
    settings = ["step_days=28", "banks.repay_first_days=28", "replications=2"]
    result = CliRunner().invoke(app, args + [a for s in settings for a in ("--set", s)])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "defaulted during the warm-up" in said
    assert "a mean over 2 replications" in said
