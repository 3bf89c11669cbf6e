"""Sweeps on real Dask clusters: same results as serial, worker and driver killed, failures.

Every test here starts real worker processes; the designs are tiny (a 70-day horizon of the
tiny scenario, a fraction of a second per run) so that the module stays fast on two cores.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest
from typer.testing import CliRunner

from autofin.cli import app
from autofin.sweep import StoreError, load_experiment, plan_sweep, run_sweep, runner
from autofin.sweep.executors import open_client
from autofin.sweep.runs import OutputError, run_batch
from autofin.sweep.store import SweepStore
from conftest import TINY, write

AUTOFIN = Path(sys.executable).with_name("autofin")

EXPERIMENT = """
name: tiny_terms
scenario: tiny.yaml
overrides: {{horizon_days: {horizon}}}
parameters:
  automakers.payment_term_days: {{values: {terms}}}
  banks.margin: {{range: [0.01, 0.03], points: 2}}
replications: 2
seed: 11
outputs:
  summary: [supplier_defaults, sales_units, bank_lending_volume]
  timeseries:
    - {{metric: bank_npl_ratio, stat: max}}
    - {{metric: sales_units, stat: mean, window: [0, 35]}}
  keep_timeseries: [sales_units]
"""


def experiment_file(
    directory: Path, *, terms: str = "[60, 170]", horizon: int = 70, name: str = "exp.yaml"
) -> Path:
    write(directory, "tiny.yaml", TINY)
    return write(directory, name, EXPERIMENT.format(terms=terms, horizon=horizon))


@pytest.fixture(scope="module")
def client():
    with open_client(workers=2) as dask_client:
        yield dask_client


def without_timing(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=["seconds"]).reset_index(drop=True)


def test_local_cluster_equals_a_serial_run(tmp_path, client):
    plan = plan_sweep(load_experiment(experiment_file(tmp_path)))
    outcome = run_sweep(plan, tmp_path / "sweep", client)

    assert outcome.status.done == len(plan.design) == 8
    serial = {
        result.run.run_id: result.row
        for result in run_batch(plan.runs(), plan.experiment.spec.outputs)
    }
    for row in outcome.runs.to_dict("records"):
        for metric, value in serial[row["run_id"]].items():
            assert row[metric] == value, (row["run_id"], metric)
    # Common random numbers: every design point runs the same two seeds.
    seeds = outcome.runs.groupby("point")["seed"].apply(tuple)
    assert len(set(seeds)) == 1
    assert len(set(seeds.iloc[0])) == 2
    series = pd.read_parquet(tmp_path / "sweep" / "timeseries.parquet")
    assert list(series.columns) == ["run_id", "step", "day", "sales_units"]
    assert set(series["run_id"]) == set(outcome.runs["run_id"])

    # The same experiment again on the same directory: nothing runs, the tables are equal.
    again = run_sweep(plan, tmp_path / "sweep", client)
    assert again.status.done == 0
    assert again.status.skipped == 8
    pd.testing.assert_frame_equal(without_timing(again.runs), without_timing(outcome.runs))
    # A dry run says so (it gave "estimated about 1 s" for nothing to do).
    dry = CliRunner().invoke(
        app, ["sweep", str(tmp_path / "exp.yaml"), "-o", str(tmp_path / "sweep"), "--dry-run"]
    )
    assert "(0 to do)" in dry.output
    assert "every run is done" in dry.output
    assert "estimated" not in dry.output
    # With some runs done, the estimate is from their times, and counts no worker's start.
    for run_id in sorted(outcome.runs["run_id"])[:3]:
        (tmp_path / "sweep" / "runs" / f"{run_id}.json").unlink()
    dry = CliRunner().invoke(
        app, ["sweep", str(tmp_path / "exp.yaml"), "-o", str(tmp_path / "sweep"), "--dry-run"]
    )
    said = " ".join(dry.output.split())
    assert "(3 to do)" in said
    assert "s per run (from the runs already in the directory); estimated" in said, said
    assert f"results would go to {tmp_path / 'sweep'}" in said  # (it did not say where)

    # The command line on the same (running) cluster through --scheduler: equal tables.
    result = CliRunner().invoke(
        app,
        [
            "sweep",
            str(tmp_path / "exp.yaml"),
            "-o",
            str(tmp_path / "cli"),
            "--scheduler",
            client.scheduler.address,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "8 runs finished, 0 failed" in result.output
    from_cli = pd.read_parquet(tmp_path / "cli" / "runs.parquet")
    pd.testing.assert_frame_equal(without_timing(from_cli), without_timing(outcome.runs))

    # The report of `analyze` is offline: plotly.js embedded once, no CDN.
    result = CliRunner().invoke(app, ["analyze", str(tmp_path / "sweep")])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "sweep" / "analysis" / "report.html").read_text(encoding="utf-8")
    assert page.count("plotly.js v") == 1
    assert "<script src" not in page
    assert "<script type='text/javascript' src" not in page
    assert "<h2>Both parameters together</h2>" in page  # the grid's heat maps
    assert 'id="figure-heat-supplier-defaults"' in page
    means = pd.read_csv(tmp_path / "sweep" / "analysis" / "means.csv")
    assert len(means) == 4 * 5  # 4 points x 5 outputs
    assert (means["n"] == 2).all()
    # ... and the terminal shows them (20 lines: few enough to print).
    first = means.iloc[0]
    assert (
        f"automakers.payment_term_days={first['automakers.payment_term_days']:.4g}, "
        f"banks.margin={first['banks.margin']:.4g}: {first['metric']} {first['mean']:.4g} "
        f"({first['low']:.4g} to {first['high']:.4g})"
    ) in result.output
    # No interval shows a negative count of defaults.
    assert (means.loc[means["metric"] == "supplier_defaults", "low"] >= 0).all()
    # Two reports written into one folder keep their own tables.
    shared = tmp_path / "reports"
    for name, sweep in (("mine", "sweep"), ("theirs", "cli")):
        result = CliRunner().invoke(
            app, ["analyze", str(tmp_path / sweep), "-o", str(shared / f"{name}.html")]
        )
        assert result.exit_code == 0, result.output
        assert f"means table: {shared / (name + '.means.csv')}" in result.output
    assert {p.name for p in shared.glob("*.csv")} == {"mine.means.csv", "theirs.means.csv"}


def test_a_killed_worker_loses_no_run_and_runs_none_twice(tmp_path, client):
    # Runs of 100 steps: long enough that batches are still under way after the first two
    # runs (at 10 steps the rest could finish before a worker was killed, on a busy machine).
    plan = plan_sweep(
        load_experiment(experiment_file(tmp_path, terms="[30, 60, 90, 120, 170]", horizon=700))
    )
    pids = client.run(os.getpid)
    killed: list[int] = []

    def kill_one_worker(status):
        if status.done >= 2 and not killed:
            # A worker with a batch under way (one between batches would leave none to retry).
            busy = [pids[w] for w, keys in client.processing().items() if keys and w in pids]
            if busy:
                pid = busy[0]
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

    outcome = run_sweep(plan, tmp_path / "sweep", client, progress=kill_one_worker)

    assert killed, "the sweep finished before a worker could be killed"
    assert outcome.status.done == len(plan.design) == 20
    assert outcome.status.failed == 0
    assert outcome.status.duplicates == 0
    assert outcome.status.retried >= 1  # the dead worker's batch ran again elsewhere
    assert outcome.runs["run_id"].is_unique
    assert set(outcome.runs["run_id"]) == set(plan.design["run_id"])
    client.wait_for_workers(2, timeout=60)  # the nanny restarts the killed worker


def test_a_worker_killed_after_its_batch_finished_loses_no_run(tmp_path, client):
    # The race seen once in CI: a batch finishes, and its worker dies before the driver reads
    # the result. The scheduler runs the batch again elsewhere; the driver must wait for that
    # run, not record the batch's runs as failed.
    plan = plan_sweep(load_experiment(experiment_file(tmp_path, terms="[30, 60, 90, 120, 170]")))
    pids = client.run(os.getpid)
    killed: list[str] = []

    def kill_the_holder_of_a_finished_batch(status):
        if killed or status.done < 2:
            return
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            finished = [
                key
                for key, state in list(client.futures.items())
                if str(key).startswith("autofin-runs-") and state.status == "finished"
            ]
            holders = client.who_has() if finished else {}
            for key in finished:
                for address in holders.get(key, ()):
                    os.kill(pids[address], signal.SIGKILL)
                    killed.append(key)
                    # Return to the driver only once the client knows the result is lost.
                    while client.futures[key].status == "finished":
                        assert time.monotonic() < deadline + 30, "the loss was never seen"
                        time.sleep(0.02)
                    return
            time.sleep(0.02)

    outcome = run_sweep(
        plan, tmp_path / "sweep", client, progress=kill_the_holder_of_a_finished_batch
    )

    assert killed, "no finished batch was seen before the sweep ended"
    assert outcome.status.failed == 0, outcome.failures
    assert outcome.status.done == len(plan.design) == 20
    assert outcome.status.duplicates == 0
    assert set(outcome.runs["run_id"]) == set(plan.design["run_id"])
    client.wait_for_workers(2, timeout=60)


def test_reading_a_batch_whose_worker_does_not_answer_gives_way_to_the_loop(client):
    # On SLURM a batch can finish and lose its worker (walltime, scancel) before the driver
    # reads it; reading it then waits until it has run again, which needs the job watch to
    # submit jobs, and only the driver's loop calls the watch: the sweep hung (CI, once). A
    # stopped worker holding a finished batch makes the same wait.
    address, pid = next(iter(client.run(os.getpid).items()))
    future = client.submit(os.getpid, pure=False, workers=[address])
    deadline = time.monotonic() + 60
    while future.status != "finished":  # finished, its result still on the worker
        assert time.monotonic() < deadline, future.status
        time.sleep(0.02)
    os.kill(pid, signal.SIGSTOP)
    wake = threading.Timer(30, os.kill, (pid, signal.SIGCONT))  # should the read wait
    wake.start()
    try:
        started = time.monotonic()
        assert runner._outcomes(future, []) is None  # not read: the loop reads it later
        assert time.monotonic() - started < 10 * runner.RESULT_WAIT_SECONDS
    finally:
        wake.cancel()
        os.kill(pid, signal.SIGCONT)
    assert runner._outcomes(future, []) == pid  # read once the worker answers


def test_a_failing_run_is_recorded_and_the_others_finish(tmp_path, client, monkeypatch):
    # Every scenario value that could crash the model is refused before a sweep starts, so the
    # failing runs read a network file that vanished after planning: their model raises.
    edges = "supplier,customer,share\nA,OEM,1\nB,OEM,2\nC,A,1\nC,B,1\n"
    write(tmp_path, "net.csv", edges)
    gone = write(tmp_path, "gone.csv", edges)
    write(
        tmp_path,
        "filed.yaml",
        """
        name: filed
        horizon_days: 28
        network: {source: file, path: net.csv}
        suppliers: {payment_term_days: [60, 30]}
        consumers: {population: 500}
        banks: {count: 2}
        """,
    )
    path = write(
        tmp_path,
        "fail.yaml",
        """
        name: fails
        scenario: filed.yaml
        parameters:
          network.path: {values: [net.csv, gone.csv]}
        replications: 2
        outputs: {summary: [sales_units]}
        """,
    )
    monkeypatch.chdir(tmp_path)  # paths given as parameters are read like --set paths
    plan = plan_sweep(load_experiment(path))
    gone.unlink()
    outcome = run_sweep(plan, tmp_path / "sweep", client)

    assert outcome.status.done == 2
    assert outcome.status.failed == 2
    failures = pd.read_parquet(tmp_path / "sweep" / "failures.parquet")
    assert set(failures["network.path"]) == {"gone.csv"}
    assert failures["error"].str.contains("gone.csv").all()
    assert failures["traceback"].str.contains("Traceback").all()
    runs = pd.read_parquet(tmp_path / "sweep" / "runs.parquet")
    assert set(runs["network.path"]) == {"net.csv"}
    # A one-parameter grid with a failed point still analyses.
    result = CliRunner().invoke(app, ["analyze", str(tmp_path / "sweep")])
    assert result.exit_code == 0, result.output
    assert "1 design points" in result.output


def test_an_output_the_model_lacks_stops_the_sweep_and_frees_the_directory(tmp_path, client):
    # Names are checked when the experiment loads (test_sweep_design); a run that lacks one
    # all the same (a figure only some settings report) stops the sweep here.
    loaded = load_experiment(experiment_file(tmp_path))
    spec = loaded.spec
    wrong = spec.outputs.model_copy(update={"summary": ["supplier_defualts"]})
    wrong_spec = spec.model_copy(update={"outputs": wrong})
    plan = plan_sweep(loaded.model_copy(update={"spec": wrong_spec}))

    with pytest.raises(OutputError, match=r"got 'supplier_defualts': did you mean"):
        run_sweep(plan, tmp_path / "sweep", client)
    fixed = plan_sweep(load_experiment(experiment_file(tmp_path)))
    SweepStore(tmp_path / "sweep").open(fixed.resolved, fixed.design, fixed.fingerprint)


def test_a_directory_holding_another_experiment_is_refused(tmp_path):
    first = plan_sweep(load_experiment(experiment_file(tmp_path)))
    second = plan_sweep(load_experiment(experiment_file(tmp_path, terms="[90]", name="b.yaml")))
    store = SweepStore(tmp_path / "sweep")
    store.open(first.resolved, first.design, first.fingerprint)

    with pytest.raises(StoreError, match="holds a different experiment"):
        store.open(second.resolved, second.design, second.fingerprint)
    result = CliRunner().invoke(
        app, ["sweep", str(tmp_path / "b.yaml"), "-o", str(tmp_path / "sweep")]
    )
    assert result.exit_code == 2
    assert "holds a different experiment" in result.output
    assert "settings that differ: parameters" in result.output  # it said only fingerprints
    assert "Traceback" not in result.output


def test_more_replications_or_values_extend_a_sweep_keeping_its_finished_runs(tmp_path, client):
    # experiments/README.md says to raise replications for tighter intervals; the folder was
    # refused as "a different experiment" and every run had to be done again elsewhere.
    path = experiment_file(tmp_path)
    first = run_sweep(plan_sweep(load_experiment(path)), tmp_path / "sweep", client)
    assert first.status.done == 8
    path.write_text(path.read_text().replace("replications: 2", "replications: 3"))
    result = CliRunner().invoke(app, ["sweep", str(path), "-o", str(tmp_path / "sweep")])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert f"extending the sweep in {tmp_path / 'sweep'} (its design had 8 runs)" in said
    assert "4 runs finished, 0 failed, 0 tasks retried after a worker died, 8 already done" in said
    runs = pd.read_parquet(tmp_path / "sweep" / "runs.parquet")
    assert len(runs) == 12
    kept = runs[runs["run_id"].isin(first.runs["run_id"])]
    pd.testing.assert_frame_equal(without_timing(kept), without_timing(first.runs))
    # A value added to the grid extends it too; the dry run says so, and counts the new runs.
    wider = experiment_file(tmp_path, terms="[60, 120, 170]", name="wider.yaml")
    wider.write_text(wider.read_text().replace("replications: 2", "replications: 3"))
    dry = CliRunner().invoke(app, ["sweep", str(wider), "-o", str(tmp_path / "sweep"), "--dry-run"])
    said = " ".join(dry.output.split())
    assert f"would extend the sweep in {tmp_path / 'sweep'} (its design had 12 runs)" in said
    assert "18 runs (6 to do)" in said
    outcome = run_sweep(plan_sweep(load_experiment(wider)), tmp_path / "sweep", client)
    assert (outcome.status.done, outcome.status.skipped) == (6, 12)
    # One that drops runs does not, and says why.
    with pytest.raises(StoreError, match="this design lacks 6 of the folder's 18 runs"):
        run_sweep(plan_sweep(load_experiment(path)), tmp_path / "sweep", client)
    result = CliRunner().invoke(app, ["analyze", str(tmp_path / "sweep")])
    assert result.exit_code == 0, result.output
    assert "6 design points" in result.output  # the extended design, 3 terms × 2 margins


def test_an_extension_leaves_no_table_of_the_former_design_to_be_read_as_its_own(tmp_path):
    # Stopped before its end, an extension left the former runs.parquet, which analyze read
    # as the extended experiment's (means over 2 replications where the file says 3).
    path = experiment_file(tmp_path)
    plan = plan_sweep(load_experiment(path))
    store = SweepStore(tmp_path / "sweep")
    store.open(plan.resolved, plan.design, plan.fingerprint)
    for table in ("runs.parquet", "failures.parquet", "timeseries.parquet"):
        (tmp_path / "sweep" / table).write_bytes(b"former")
    path.write_text(path.read_text().replace("replications: 2", "replications: 3"))
    more = plan_sweep(load_experiment(path))
    assert store.open(more.resolved, more.design, more.fingerprint) == 8
    assert {entry.name for entry in (tmp_path / "sweep").iterdir()} == {
        "experiment.resolved.yaml",
        "design.parquet",
        "runs",
    }
    result = CliRunner().invoke(app, ["analyze", str(tmp_path / "sweep")])
    assert result.exit_code == 2
    assert "the sweep stopped with 0 of 12 runs finished" in result.output


def sweep_while_locked(path: Path, folder: Path):
    """`autofin sweep path -o folder` while the folder's lock is held, as a running sweep does."""
    from autofin.results.folder import lock_folder

    held = lock_folder(folder, "sweep")
    try:
        return CliRunner().invoke(app, ["sweep", str(path), "-o", str(folder)])
    finally:
        held.close()


def test_an_extension_refused_because_the_folder_is_busy_leaves_it_as_it_was(tmp_path):
    path = experiment_file(tmp_path)
    plan = plan_sweep(load_experiment(path))
    SweepStore(tmp_path / "sweep").open(plan.resolved, plan.design, plan.fingerprint)
    before = (tmp_path / "sweep" / "experiment.resolved.yaml").read_text()
    path.write_text(path.read_text().replace("replications: 2", "replications: 3"))
    result = sweep_while_locked(path, tmp_path / "sweep")
    assert result.exit_code == 2
    assert "another autofin sweep" in result.output
    assert (tmp_path / "sweep" / "experiment.resolved.yaml").read_text() == before


def test_a_second_sweep_into_a_folder_a_sweep_is_writing_is_refused(tmp_path):
    # Both ran: the second ran again the runs the first was running, and both wrote the
    # tables. (The lock is held here as the first sweep holds it.)
    result = sweep_while_locked(experiment_file(tmp_path), tmp_path / "sweep")
    assert result.exit_code == 2
    assert f"pid {os.getpid()}" in result.output
    assert "another autofin sweep" in result.output
    assert not list((tmp_path / "sweep" / "runs").glob("*.json"))


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="no CPU affinity here")
def test_a_local_sweep_starts_one_worker_per_core_it_may_use(tmp_path):
    # Under `taskset -c 0` (or a batch system's CPU set) a local sweep is one worker, not one
    # per core of the machine.
    path = experiment_file(tmp_path)
    script = (
        "import sys; from typer.testing import CliRunner; from autofin.cli import app; "
        "r = CliRunner().invoke(app, ['sweep', sys.argv[1], '--dry-run', '-o', sys.argv[2]]); "
        "print(r.output)"
    )
    shown = subprocess.run(
        ["taskset", "-c", "0", sys.executable, "-c", script, str(path), str(tmp_path / "s")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert re.search(r"on 1 worker$", shown, re.MULTILINE), shown


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--set", "banks.count"], "--set banks.count: expected PATH=VALUE"),
        (["--set", "banks.margin=0.02"], "banks.margin is a parameter the sweep varies"),
        # A setting of the command line is named as such, not as the file's `overrides`.
        (["--set", "banks.margn=0.03"], "yaml: --set banks.margn=0.03: unknown key 'margn'"),
        (["-o", "{tmp}/a_file"], "a_file is a file; give a directory with -o"),
        (["--dry-run", "-o", "{tmp}/a_file"], "a_file is a file; give a directory with -o"),
        (["--dry-run", "-o", "{tmp}/other"], "holds a different experiment"),
    ],
)
def test_bad_sweep_input_is_named_with_exit_code_2(tmp_path, extra, message):
    path = experiment_file(tmp_path)
    (tmp_path / "a_file").write_text("not a directory", encoding="utf-8")
    other = plan_sweep(load_experiment(experiment_file(tmp_path, terms="[90]", name="b.yaml")))
    SweepStore(tmp_path / "other").open(other.resolved, other.design, other.fingerprint)
    args = [arg.format(tmp=tmp_path) for arg in extra]
    if "-o" not in args:
        args += ["-o", str(tmp_path / "fresh")]
    result = CliRunner().invoke(app, ["sweep", str(path), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert "internal error" not in result.output


def test_dry_run_prints_size_and_estimate_and_runs_nothing(tmp_path):
    path = experiment_file(tmp_path)
    result = CliRunner().invoke(
        app, ["sweep", str(path), "-o", str(tmp_path / "sweep"), "--dry-run", "--workers", "4"]
    )
    assert result.exit_code == 0, result.output
    assert "4 design points x 2 replications = 8 runs" in result.output
    assert "estimated" in result.output
    assert "on 4 workers" in result.output
    assert not (tmp_path / "sweep").exists()
    # The sample run is timed as the workers run: in fresh processes (their start counted),
    # as many at once as run on the machine. Timed alone in a warm process, estimates came
    # out a third short.
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    said = " ".join(result.output.split())
    assert re.search(r"\d+\.\d s to start a worker\)", said), said
    if min(4, cores) > 1:
        assert f"({min(4, cores)} timed side by side; " in said
    # More local workers than cores: said, and the estimate does not count on them.
    many = CliRunner().invoke(
        app, ["sweep", str(path), "-o", str(tmp_path / "s2"), "--dry-run", "--workers", "64"]
    )
    assert f"warning: --workers 64 on the {cores} cores this process may use" in many.output
    assert "on 64 workers" in many.output
    # On SLURM the estimate cannot know the queue: it says so.
    result = CliRunner().invoke(
        app,
        ["sweep", str(path), "-o", str(tmp_path / "sweep"), "--dry-run", "--slurm", "--jobs", "3"],
    )
    assert result.exit_code == 0, result.output
    assert "once SLURM has started the jobs" in " ".join(result.output.split())
    assert "queue not included" in " ".join(result.output.split())
    assert not (tmp_path / "sweep").exists()


def test_the_driver_killed_then_resumed_completes_exactly_the_design(tmp_path):
    path = experiment_file(tmp_path, terms="[30, 60, 90, 120, 170]")
    directory = tmp_path / "sweep"
    command = [str(AUTOFIN), "sweep", str(path), "-o", str(directory), "--workers", "2"]
    driver = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    runs = directory / "runs"
    deadline = time.monotonic() + 120
    while len(finished_files(runs)) < 3:
        assert driver.poll() is None, driver.communicate()
        assert time.monotonic() < deadline, "no run finished in two minutes"
        time.sleep(0.05)
    children = psutil.Process(driver.pid).children(recursive=True)
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    for child in children:  # the workers of the dead driver's local cluster
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()
    before = {path.name: path.stat().st_mtime_ns for path in finished_files(runs)}
    assert 0 < len(before) < 20
    early = CliRunner().invoke(app, ["analyze", str(directory)])
    assert early.exit_code == 2
    assert f"stopped with {len(before)} of 20 runs finished; run the same" in early.output

    resumed = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)

    assert resumed.returncode == 0, resumed.stderr
    # Not a terminal: progress comes as lines of text (a bar draws nothing until the end).
    assert re.search(r"^sweep: \d+/20 runs finished", resumed.stderr, re.MULTILINE)
    assert "sweep: 20/20 runs finished" in resumed.stderr
    assert f"{len(before)} already done" in resumed.stdout
    assert f"{20 - len(before)} runs finished" in resumed.stdout
    after = {path.name: path.stat().st_mtime_ns for path in finished_files(runs)}
    assert {name: after[name] for name in before} == before  # not re-run
    table = pd.read_parquet(directory / "runs.parquet")
    design = pd.read_parquet(directory / "design.parquet")
    assert len(table) == len(design) == 20
    assert table["run_id"].is_unique
    assert set(table["run_id"]) == set(design["run_id"])


def test_sigterm_stops_a_sweep_with_exit_130_saying_what_is_kept(tmp_path):
    # A cluster's time limit sends SIGTERM: as Ctrl-C, the sweep stops with code 130 and says
    # how many runs it kept and how to resume (it ended with 143 and nothing said).
    path = experiment_file(tmp_path, terms="[30, 60, 90, 120, 170]", horizon=1400)
    directory = tmp_path / "sweep"
    command = [str(AUTOFIN), "sweep", str(path), "-o", str(directory), "--workers", "2"]
    driver = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while len(finished_files(directory / "runs")) < 2:
        assert driver.poll() is None, driver.communicate()
        assert time.monotonic() < deadline, "no run finished in two minutes"
        time.sleep(0.05)
    children = psutil.Process(driver.pid).children(recursive=True)
    driver.send_signal(signal.SIGTERM)
    stdout, stderr = driver.communicate(timeout=60)

    assert driver.returncode == 130, (stdout, stderr)
    kept = len(finished_files(directory / "runs"))
    assert 2 <= kept < 20, "the sweep finished before SIGTERM arrived"
    assert (
        f"error: interrupted; {kept} of 20 runs finished and are kept in {directory}; run the "
        f"same command again to resume with the other {20 - kept}"
    ) in stderr
    assert "Traceback" not in stderr
    for file in finished_files(directory / "runs"):  # whole files, readable
        assert json.loads(file.read_text(encoding="utf-8"))["run_id"] == file.stem
    # No worker left behind (they may take a moment to exit after the driver).
    deadline = time.monotonic() + 20
    while any(alive(child) for child in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [(child, child.cmdline()) for child in children if alive(child)]


def test_sigterm_stops_a_dry_run_and_its_sample_runs(tmp_path):
    # The dry run times its sample run in fresh processes: SIGTERM to the command (a batch
    # system's, or `kill`) left them running, holding the caller's output open.
    path = experiment_file(tmp_path, horizon=36_400)  # a sample run of several seconds
    command = [str(AUTOFIN), "sweep", str(path), "-o", str(tmp_path / "s"), "--dry-run"]
    driver = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    samples: list[psutil.Process] = []
    while not samples:
        assert driver.poll() is None, driver.communicate()
        assert time.monotonic() < deadline, "no sample run started in a minute"
        samples = [
            child
            for child in psutil.Process(driver.pid).children(recursive=True)
            if "spawn_main" in " ".join(child.cmdline())
        ]
        time.sleep(0.1)
    time.sleep(2.0)  # the sample runs are under way
    driver.send_signal(signal.SIGTERM)
    stdout, stderr = driver.communicate(timeout=60)

    assert driver.returncode == 130, (stdout, stderr)
    assert "interrupted" in stderr
    assert "Traceback" not in stderr
    assert "estimated" not in stdout
    deadline = time.monotonic() + 10
    while any(alive(child) for child in samples) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [child for child in samples if alive(child)]


def test_ctrl_c_on_the_terminal_stops_a_sweep_without_a_traceback(tmp_path):
    # The terminal sends Ctrl-C to every process of the command: each local worker printed
    # its KeyboardInterrupt's traceback. (Pressed while a worker's interpreter starts, before
    # it has read a line of autofin, one still can: not tested.)
    path = experiment_file(tmp_path, terms="[30, 60, 90, 120, 170]", horizon=1400)
    directory = tmp_path / "sweep"
    command = [str(AUTOFIN), "sweep", str(path), "-o", str(directory), "--workers", "2"]
    driver = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's command has
    )
    deadline = time.monotonic() + 120
    started = directory / "runs"
    while len(finished_files(started)) < 2:
        assert driver.poll() is None, driver.communicate()
        assert time.monotonic() < deadline, "the sweep did not get going in two minutes"
        time.sleep(0.05)
    children = psutil.Process(driver.pid).children(recursive=True)
    os.killpg(driver.pid, signal.SIGINT)
    stdout, stderr = driver.communicate(timeout=60)

    assert driver.returncode == 130, (stdout, stderr)
    assert "error: interrupted" in stderr
    assert "Traceback" not in stdout + stderr
    assert "Exception ignored" not in stdout + stderr
    deadline = time.monotonic() + 20
    while any(alive(child) for child in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [(child, child.cmdline()) for child in children if alive(child)]


def test_a_ctrl_c_caught_by_code_the_sweep_calls_still_stops_it(tmp_path, client):
    # A Ctrl-C once let a sweep run to its end (exit 0): the interrupt, raised inside the
    # Dask client's calls, can be caught there. Here the progress callback drops it.
    plan = plan_sweep(
        load_experiment(experiment_file(tmp_path, terms="[30, 60, 90, 120, 170]", horizon=700))
    )
    dropped = []
    handler = signal.getsignal(signal.SIGINT)  # (an xdist worker's ignores SIGINT)

    def progress(status):
        if status.finished >= 1 and not dropped:
            try:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(1.0)  # the handler raises here
            except KeyboardInterrupt:
                dropped.append(status.finished)

    with pytest.raises(KeyboardInterrupt):
        run_sweep(plan, tmp_path / "sweep", client, progress=progress)
    assert dropped
    assert len(finished_files(tmp_path / "sweep" / "runs")) < len(plan.design)
    assert signal.getsignal(signal.SIGINT) == handler  # put back


@pytest.mark.parametrize("listener", ["nothing", "not dask"])
def test_a_scheduler_address_where_no_scheduler_answers_exits_1_without_traceback(
    tmp_path, listener
):
    # Nothing listening, or something else (the dashboard's port): a clear message after
    # Dask's connect timeout (2 s here), exit code 1, no traceback from Client.__del__.
    # Something else listening used to make the sweep wait for ever.
    path = experiment_file(tmp_path)
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        if listener == "nothing":
            server.close()
        environment = {**os.environ, "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"}
        address = f"tcp://127.0.0.1:{port}"
        done = subprocess.run(
            [str(AUTOFIN), "sweep", str(path), "-o", str(tmp_path / "s"), "--scheduler", address],
            capture_output=True,
            text=True,
            timeout=120,
            env=environment,
            check=False,
        )
    assert done.returncode == 1, done.stderr
    assert f"error: no Dask scheduler answered at {address} within 2 s" in done.stderr
    assert "Traceback" not in done.stderr
    assert "internal error" not in done.stderr


def test_coinciding_design_points_are_said_and_run_once(tmp_path, client):
    # Rounded to whole days, 30, 30.5 and 31 are 30, 30 and 31: two scenarios, each run once
    # per seed, and both points of the shared one have their rows.
    text = EXPERIMENT.format(terms="[30]", horizon=70).replace(
        "{values: [30]}", "{range: [30, 31], points: 3, integer: true}"
    )
    write(tmp_path, "tiny.yaml", TINY)
    path = write(
        tmp_path,
        "exp.yaml",
        "\n".join(line for line in text.splitlines() if "banks.margin" not in line),
    )
    result = CliRunner().invoke(
        app,
        ["sweep", str(path), "-o", str(tmp_path / "s"), "--scheduler", client.scheduler.address],
    )
    assert result.exit_code == 0, result.output
    assert (
        "tiny_terms: grid design, 3 design points, 2 distinct after rounding integer "
        "parameters, x 2 replications = 4 runs"
    ) in result.output
    assert "4 runs finished, 0 failed" in result.output
    assert "6 rows in" in result.output
    runs = pd.read_parquet(tmp_path / "s" / "runs.parquet")
    assert len(runs) == 6
    assert runs["run_id"].nunique() == 4


def finished_files(runs: Path) -> list[Path]:
    if not runs.is_dir():
        return []
    return [path for path in runs.glob("*.json") if not path.name.endswith(".failed.json")]


def alive(process: psutil.Process) -> bool:
    """Running, a zombie not counted (its parent gone, it waits to be reaped)."""
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_an_output_undefined_in_every_run_is_kept_as_a_number_without_mean(tmp_path):
    # The bank app without traffic converts nothing: its conversion rate is NaN in each step.
    from autofin.sweep.analysis import analyze_sweep
    from autofin.sweep.runs import run_batch

    text = EXPERIMENT.format(terms="[60]", horizon=70).replace(
        "summary: [supplier_defaults, sales_units, bank_lending_volume]",
        "summary: [sales_units, conversion_rate_bank_app]",
    )
    text = text.replace(
        "- {metric: bank_npl_ratio, stat: max}", "- {metric: conversion_rate_bank_app, stat: sum}"
    )
    write(tmp_path, "tiny.yaml", TINY)
    plan = plan_sweep(load_experiment(write(tmp_path, "exp.yaml", text)))
    store = SweepStore(tmp_path / "sweep")
    store.open(plan.resolved, plan.design, plan.fingerprint)
    for outcome in run_batch(plan.runs(), plan.experiment.spec.outputs):
        store.record(outcome)
    runs, _ = store.gather(plan.design)
    for output in ("conversion_rate_bank_app", "conversion_rate_bank_app_sum"):
        assert runs[output].dtype == float
        assert runs[output].isna().all()
    means = analyze_sweep(tmp_path / "sweep").means
    undefined = means[means["metric"] == "conversion_rate_bank_app_sum"]
    assert len(undefined) == 2  # both design points listed, with no mean
    assert (undefined["n"] == 0).all()
    assert undefined["mean"].isna().all()
    said = CliRunner().invoke(app, ["analyze", str(tmp_path / "sweep")])
    assert said.exit_code == 0, said.output
    assert "conversion_rate_bank_app_sum no value (no run gave one)" in said.output


def test_a_sweep_changed_with_set_goes_to_its_own_folder(tmp_path, monkeypatch, client):
    experiment = experiment_file(tmp_path, terms="[60]", horizon=14)
    monkeypatch.chdir(tmp_path)
    own = CliRunner().invoke(
        app, ["sweep", str(experiment), "--scheduler", client.scheduler.address]
    )
    assert own.exit_code == 0, own.output
    result = CliRunner().invoke(
        app,
        [
            "sweep",
            str(experiment),
            "--set",
            "banks.count=3",
            "--scheduler",
            client.scheduler.address,
        ],
    )
    assert result.exit_code == 0, result.output
    sweeps = tmp_path / "results" / "sweeps"
    # Each folder, and beside it the lock its sweep held (as a run's).
    assert sorted(path.name for path in sweeps.iterdir()) == [
        ".tiny_terms--banks.count=3.lock",
        ".tiny_terms.lock",
        "tiny_terms",
        "tiny_terms--banks.count=3",
    ]
    assert (sweeps / "tiny_terms--banks.count=3" / "runs.parquet").is_file()


def test_an_output_without_indices_says_whether_its_runs_failed_or_gave_no_value(tmp_path):
    # Every run of the Morris design finishes, but the bank app without traffic has no
    # conversion rate: the note said its design points 'have no finished run'.
    from autofin.sweep.analysis import analyze_sweep

    write(tmp_path, "tiny.yaml", TINY)
    text = """
name: tiny_morris
scenario: tiny.yaml
overrides: {horizon_days: 28}
parameters:
  automakers.payment_term_days: {range: [30, 120], integer: true}
  banks.margin: {range: [0.01, 0.03]}
design: morris
trajectories: 4
replications: 1
seed: 3
outputs:
  summary: [bank_lending_volume, conversion_rate_bank_app]
"""
    plan = plan_sweep(load_experiment(write(tmp_path, "exp.yaml", text)))
    store = SweepStore(tmp_path / "sweep")
    store.open(plan.resolved, plan.design, plan.fingerprint)
    for outcome in run_batch(plan.runs(), plan.experiment.spec.outputs):
        assert outcome.error is None
        store.record(outcome)
    store.gather(plan.design)
    notes = analyze_sweep(tmp_path / "sweep").notes
    (note,) = [note for note in notes if "conversion_rate_bank_app" in note]
    points = plan.design["point"].nunique()
    assert note == (
        f"no indices for conversion_rate_bank_app: {points} design points have no finished "
        f"run giving a value (at {points} the runs finished without one: undefined, such as "
        "a rate with nothing to divide by)"
    )


def test_every_run_keeps_its_warm_up_losses_whatever_the_outputs():
    # A sweep over the banks' size lost banks before day 0 without a word: runs.parquet
    # kept only the suppliers lost then.
    from types import SimpleNamespace

    from autofin.sweep.experiment import Outputs
    from autofin.sweep.runs import extract

    summary = {"supplier_defaults": 3, "warmup_supplier_defaults": 7, "warmup_bank_failures": 2}
    result = SimpleNamespace(summary=summary, timeseries=pd.DataFrame({"step": [1], "day": [7]}))
    row, _ = extract(result, Outputs(summary=["supplier_defaults"]))
    assert row == summary
