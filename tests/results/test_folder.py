"""A results folder is always one complete run: kills, Ctrl-C, concurrent writers, bad paths.

The kill test starts a writer process that rewrites a folder holding a finished run again and
again, kills it (SIGKILL or SIGINT) at a random moment, and checks that the folder is one
complete run: every file matches the SHA-256 recorded in its `summary.json`.
"""

from __future__ import annotations

import json
import os
import pickle
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from autofin.results.folder import (
    FolderBusyError,
    OutputFolderError,
    ResultsFolder,
    ResultsIntegrityError,
    verify_results,
)
from autofin.results.writing import RESULT_FILES, write_results
from autofin.scenario.loading import load_scenario_dict
from autofin.world.model import simulate
from conftest import TINY_SETTINGS, write

KILLS = 20
AUTOFIN = str(Path(sys.executable).with_name("autofin"))
WRITER = textwrap.dedent(
    """
    import pickle, signal, sys
    from autofin.results.writing import write_results

    # Ctrl-C raises KeyboardInterrupt as usual, and also ends the loop: an interrupt that lands
    # in a finaliser is printed and swallowed by Python, which left this writer looping forever.
    interrupted = False
    def on_interrupt(signum, frame):
        global interrupted
        interrupted = True
        raise KeyboardInterrupt
    signal.signal(signal.SIGINT, on_interrupt)

    result = pickle.load(open(sys.argv[1], "rb"))
    print("ready", flush=True)
    run = 0
    while not interrupted:
        run += 1
        result.summary["writer_run"] = run
        write_results(result, sys.argv[2])
    """
)


@pytest.fixture(scope="module")
def result():
    return simulate(load_scenario_dict(TINY_SETTINGS))


def test_a_folder_killed_while_being_rewritten_is_always_one_complete_run(tmp_path, result):
    target = tmp_path / "run"
    write_results(result, target)
    pickled = tmp_path / "result.pickle"
    pickled.write_bytes(pickle.dumps(result))
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    chooser = random.Random(13)
    seen_runs = set()
    for attempt in range(KILLS):
        kind = signal.SIGKILL if attempt % 2 == 0 else signal.SIGINT
        writer = subprocess.Popen(
            [sys.executable, str(script), str(pickled), str(target)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "ready"
        time.sleep(chooser.uniform(0.0, 0.6))
        writer.send_signal(kind)
        writer.wait(timeout=60)
        summary = verify_results(target)  # raises if any file is missing, extra or mixed
        recorded = set(summary["file_sha256"])
        assert recorded >= set(RESULT_FILES) - {"summary.json"}
        assert recorded == {p.name for p in target.iterdir()} - {"summary.json"}
        seen_runs.add(summary.get("writer_run"))
    # The kills landed at different moments: the folder held runs of different writers.
    assert len(seen_runs) > 1
    # Staging folders left by SIGKILL are removed by the next writer.
    write_results(result, target)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".run.tmp-")] == []


def test_ctrl_c_while_writing_keeps_the_previous_run(tmp_path, result, monkeypatch):
    target = tmp_path / "run"
    write_results(result, target)
    before = verify_results(target)["file_sha256"]

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("pandas.DataFrame.to_csv", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_results(result, target)
    assert verify_results(target)["file_sha256"] == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".run.lock", "run"]


def test_a_second_writer_is_refused_while_the_first_holds_the_folder(tmp_path):
    target = tmp_path / "run"
    with ResultsFolder(target), pytest.raises(FolderBusyError, match="another autofin run"):
        ResultsFolder(target).__enter__()


def test_two_concurrent_cli_runs_into_one_folder_the_second_is_refused(tmp_path):
    # The first run is stopped (SIGSTOP) while it holds the lock, so it is still going when
    # the second looks, however fast it runs (a year's run once finished first on CI).
    scenario = write(tmp_path, "s.yaml", "name: s\nhorizon_days: 364\n")
    target = tmp_path / "out"
    first = subprocess.Popen(
        [AUTOFIN, "run", str(scenario), "-o", str(target)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lock = tmp_path / ".out.lock"
        deadline = time.monotonic() + 60
        while not (lock.exists() and lock.read_text().startswith("pid")):
            assert time.monotonic() < deadline, "the first run never took the lock"
            assert first.poll() is None, first.stderr.read() if first.stderr else ""
            time.sleep(0.05)
        os.kill(first.pid, signal.SIGSTOP)
        second = subprocess.run(
            [AUTOFIN, "run", str(scenario), "-o", str(target)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.kill(first.pid, signal.SIGCONT)
        first.wait(timeout=300)
    assert first.returncode == 0
    assert second.returncode == 2
    assert "another autofin run (pid" in second.stderr
    assert "simulating" not in second.stderr  # refused before any work
    assert "Traceback" not in second.stderr
    verify_results(target)


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda root: (root / "file").write_text("x") and root / "file", "is a file"),
        (lambda root: (root / "file").write_text("x") and root / "file" / "sub", "is a file"),
        (lambda root: (root / "link").symlink_to(root / "missing") or root / "link", "symbolic"),
        (lambda root: root / ("x" * 250), "bytes long"),
        (lambda root: root / ("x" * 300), "too long for the file system"),  # beyond NAME_MAX
        (
            lambda root: (
                (root / "notes").mkdir()
                or ((root / "notes" / "a.txt").write_text("x") and root / "notes")
            ),
            "other files than a finished autofin run",
        ),
    ],
)
def test_output_folders_that_cannot_work_are_refused_before_the_run(tmp_path, make, expected):
    scenario = write(tmp_path, "s.yaml", "name: s\nhorizon_days: 70\n")
    target = make(tmp_path)
    done = subprocess.run(
        [AUTOFIN, "run", str(scenario), "-o", str(target)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert expected in done.stderr
    assert "simulating" not in done.stderr
    assert "Traceback" not in done.stderr


def test_an_empty_output_name_is_refused():
    with pytest.raises(OutputFolderError, match="empty"):
        ResultsFolder("")


def test_a_disk_full_while_writing_is_exit_1_and_keeps_the_old_run(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from autofin.cli import app

    scenario = write(tmp_path, "s.yaml", "name: s\nhorizon_days: 70\n")
    target = tmp_path / "out"
    assert CliRunner().invoke(app, ["run", str(scenario), "-o", str(target)]).exit_code == 0
    before = verify_results(target)["file_sha256"]

    def full(*args, **kwargs):
        raise OSError(28, os.strerror(28), "timeseries.csv")

    monkeypatch.setattr("pandas.DataFrame.to_csv", full)
    done = CliRunner().invoke(app, ["run", str(scenario), "-o", str(target)])
    assert done.exit_code == 1
    assert "No space left on device" in done.stderr
    assert "no results were changed" in done.stderr
    assert verify_results(target)["file_sha256"] == before


def test_a_disk_without_room_for_the_results_is_refused_before_the_run(tmp_path, monkeypatch):
    from collections import namedtuple

    from typer.testing import CliRunner

    from autofin.cli import app

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr("shutil.disk_usage", lambda path: usage(10**9, 10**9 - 1000, 1000))
    scenario = write(tmp_path, "s.yaml", "name: s\nhorizon_days: 70\n")
    done = CliRunner().invoke(app, ["run", str(scenario), "-o", str(tmp_path / "out")])
    assert done.exit_code == 1
    assert "MB free, and the results need about" in done.stderr
    assert "simulating" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_an_internal_error_prints_a_short_message_and_the_log_file(tmp_path):
    scenario = write(tmp_path, "s.yaml", "name: s\nhorizon_days: 70\n")
    code = (
        "import sys, autofin.cli as cli\n"
        "def boom(*a, **k): raise RuntimeError('simulated bug')\n"
        "cli._simulate = boom\n"
        "sys.argv = ['autofin', 'run', sys.argv[1], '-o', sys.argv[2]]\n"
        "cli.app()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(scenario), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "internal error (RuntimeError: simulated bug)" in done.stderr
    assert "Traceback" not in done.stderr
    log = Path(done.stderr.split("traceback in ")[1].split()[0])
    assert "RuntimeError: simulated bug" in log.read_text()
    assert "Traceback" in log.read_text()
    log.unlink()


def test_a_tampered_folder_fails_verification(tmp_path, result):
    target = tmp_path / "run"
    write_results(result, target)
    summary = json.loads((target / "summary.json").read_text())
    recorded = set(summary["file_sha256"])
    assert recorded >= set(RESULT_FILES) - {"summary.json"}
    assert recorded == {p.name for p in target.iterdir()} - {"summary.json"}
    (target / "events.parquet").write_bytes(b"not the same run")
    with pytest.raises(ResultsIntegrityError, match=r"events\.parquet"):
        verify_results(target)


def test_an_extra_file_fails_verification_but_a_hidden_one_does_not(tmp_path, result):
    target = tmp_path / "run"
    write_results(result, target)
    (target / ".DS_Store").write_bytes(b"x")
    verify_results(target)
    (target / "panel.parquet").write_bytes(b"from another run")
    with pytest.raises(ResultsIntegrityError, match="not part of the recorded run"):
        verify_results(target)


def test_a_file_changed_after_a_check_is_caught_by_the_next_even_at_its_old_size_and_time(
    tmp_path, result
):
    target = tmp_path / "run"
    write_results(result, target)
    verify_results(target)  # every file read and found as recorded
    events = target / "events.parquet"
    before = events.stat()
    data = bytearray(events.read_bytes())
    data[-20] ^= 0xFF  # same size
    events.write_bytes(bytes(data))
    os.utime(events, ns=(before.st_atime_ns, before.st_mtime_ns))  # the old time, too
    with pytest.raises(ResultsIntegrityError, match=r"events\.parquet"):
        verify_results(target)


def test_compare_reads_each_file_of_a_run_once(tmp_path, result, monkeypatch):
    import hashlib

    from autofin.results import compare, folder

    for name in ("a", "b"):
        write_results(result, tmp_path / name)
    monkeypatch.setattr(folder, "SETTLED_SECONDS", 0.0)  # as if written a while ago
    hashed, sha256 = [], hashlib.sha256

    def counting_sha256(*args):
        hashed.append(1)
        return sha256(*args)

    monkeypatch.setattr(folder.hashlib, "sha256", counting_sha256)
    runs = [tmp_path / "a", tmp_path / "b"]
    compare.compare_runs(runs)
    compare.run_periods(runs)
    compare.pairings_and_differences(runs)
    files = len(json.loads((tmp_path / "a" / "summary.json").read_text())["file_sha256"])
    assert len(hashed) <= 2 * files  # each file of each run at most once (writing read them)


def test_a_file_changed_a_moment_ago_is_read_again_at_each_check(tmp_path, result, monkeypatch):
    # Its times could be those of a rewrite within the file system's clock tick.
    import hashlib

    from autofin.results import folder

    write_results(result, tmp_path / "run")
    hashed, sha256 = [], hashlib.sha256

    def counting_sha256(*args):
        hashed.append(1)
        return sha256(*args)

    monkeypatch.setattr(folder.hashlib, "sha256", counting_sha256)
    verify_results(tmp_path / "run")
    verify_results(tmp_path / "run")
    files = len(json.loads((tmp_path / "run" / "summary.json").read_text())["file_sha256"])
    assert len(hashed) == 2 * files
