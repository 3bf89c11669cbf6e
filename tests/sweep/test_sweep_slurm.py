"""A sweep on a real single-node SLURM cluster gives the same results as on local cores.

The fixture starts munged, slurmctld and slurmd directly (no systemd) from a configuration
written into a temporary directory (proctrack/linuxproc, task/none, select/cons_tres, the
node's CPUs from nproc), and stops every daemon afterwards, also when the test fails.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from autofin.sweep import load_experiment, plan_sweep
from autofin.sweep.runs import run_batch
from conftest import ROOT, TINY, write

AUTOFIN = Path(sys.executable).with_name("autofin")
DAEMONS = ("munged", "slurmctld", "slurmd")
SBIN = Path("/usr/sbin")

EXPERIMENT = """
name: slurm_check
scenario: tiny.yaml
overrides: {horizon_days: 56}
parameters:
  automakers.payment_term_days: {values: [45, 170]}
  banks.margin: {range: [0.01, 0.03], points: 2}
replications: 2
seed: 3
outputs:
  summary: [supplier_defaults, sales_units, bank_lending_volume]
cluster: {cores: 1, jobs: 2, memory: 1GB, walltime: "00:10:00"}
"""


def _ensure_slurm() -> None:
    """Install slurm-wlm and munge with apt when missing; skip only where that is impossible."""
    if all((SBIN / name).exists() for name in DAEMONS):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["bash", str(ROOT / ".ci" / "system-deps")], check=True)
        if all((SBIN / name).exists() for name in DAEMONS):
            return
    pytest.skip("slurm-wlm and munge are not installed and apt-get (as root) is not available")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _slurm_conf(root: Path) -> str:
    host = socket.gethostname().split(".")[0]
    memory = int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20 * 0.8)
    return f"""
ClusterName=autofintest
SlurmctldHost={host}
SlurmUser=root
SlurmdUser=root
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
AuthType=auth/munge
AuthInfo=socket={root}/munge/munge.socket
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd.log
NodeName={host} CPUs={os.cpu_count()} RealMemory={memory} State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""


@pytest.fixture
def slurm(tmp_path_factory) -> Iterator[dict[str, str]]:
    """A running single-node SLURM; yields the environment its clients need."""
    _ensure_slurm()
    root = tmp_path_factory.mktemp("slurm")
    for folder in ("munge", "state", "spool", "log"):
        (root / folder).mkdir()
    key = root / "munge" / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o400)
    conf = root / "slurm.conf"
    conf.write_text(_slurm_conf(root), encoding="utf-8")
    env = {**os.environ, "SLURM_CONF": str(conf)}
    commands = [
        [
            str(SBIN / "munged"),
            "--foreground",
            "--force",
            f"--socket={root}/munge/munge.socket",
            f"--key-file={key}",
            f"--log-file={root}/log/munged.log",
            f"--pid-file={root}/munge/munged.pid",
            f"--seed-file={root}/munge/seed",
        ],
        [str(SBIN / "slurmctld"), "-D", "-f", str(conf)],
        [str(SBIN / "slurmd"), "-D", "-f", str(conf)],
    ]
    daemons: list[subprocess.Popen] = []
    try:
        for command in commands:
            log = (root / "log" / f"{Path(command[0]).name}.out").open("wb")
            daemons.append(subprocess.Popen(command, env=env, stdout=log, stderr=log))
            time.sleep(1.0 if command[0].endswith("munged") else 0.0)
        deadline = time.monotonic() + 60
        while True:
            state = subprocess.run(
                ["sinfo", "-h", "-o", "%T"], env=env, capture_output=True, text=True, check=False
            ).stdout.strip()
            if state == "idle":
                break
            for daemon in daemons:
                assert daemon.poll() is None, f"{daemon.args[0]} exited; see {root / 'log'}"
            assert time.monotonic() < deadline, f"the SLURM node never became idle ({state!r})"
            time.sleep(0.5)
        yield env
    finally:
        subprocess.run(["scancel", "--user=root"], env=env, capture_output=True, check=False)
        for daemon in reversed(daemons):
            daemon.terminate()
            try:
                daemon.wait(timeout=15)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait()
        assert all(daemon.poll() is not None for daemon in daemons)


def test_a_sweep_on_slurm_equals_the_local_sweep(tmp_path, slurm):
    write(tmp_path, "tiny.yaml", TINY)
    path = write(tmp_path, "exp.yaml", EXPERIMENT)
    on_slurm = subprocess.run(
        [str(AUTOFIN), "sweep", str(path), "-o", str(tmp_path / "out"), "--slurm"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=slurm,
        cwd=tmp_path,
    )

    assert on_slurm.returncode == 0, on_slurm.stderr
    assert "8 runs finished, 0 failed" in on_slurm.stdout
    assert list((tmp_path / "out" / "slurm").glob("*.out")), "no SLURM job ran"
    # The same runs computed here, in this process, one after the other.
    plan = plan_sweep(load_experiment(path))
    local = {
        outcome.run.run_id: outcome.row
        for outcome in run_batch(plan.runs(), plan.experiment.spec.outputs)
    }
    on_cluster = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    assert sorted(on_cluster["run_id"]) == sorted(local)
    for row in on_cluster.to_dict("records"):
        assert {name: row[name] for name in local[row["run_id"]]} == local[row["run_id"]]


def test_a_job_slurm_refuses_is_named_at_once_not_waited_for(tmp_path, slurm):
    # An unknown partition used to leave the sweep waiting for workers for ever.
    write(tmp_path, "tiny.yaml", TINY)
    path = write(tmp_path, "exp.yaml", EXPERIMENT)
    refused = subprocess.run(
        [
            *[str(AUTOFIN), "sweep", str(path), "-o", str(tmp_path / "out")],
            "--slurm",
            "--queue",
            "nosuch",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=slurm,
        cwd=tmp_path,
    )
    assert refused.returncode == 2, refused.stderr
    assert "SLURM refuses the workers' job (--queue nosuch" in refused.stderr
    assert "Traceback" not in refused.stderr


@pytest.mark.robustness  # waits for SLURM to end and start jobs: the second stage
def test_a_sweep_whose_jobs_all_end_submits_them_again_and_finishes(tmp_path, slurm):
    # Jobs that reach their walltime or are cancelled take their workers with them; the
    # sweep used to wait for ever with runs left.
    write(tmp_path, "tiny.yaml", TINY)
    longer = EXPERIMENT.replace("horizon_days: 56", "horizon_days: 364").replace(
        "values: [45, 170]", "values: [30, 45, 60, 90, 120, 170]"
    )
    path = write(tmp_path, "exp.yaml", longer)
    out = tmp_path / "out"
    command = [str(AUTOFIN), "sweep", str(path), "-o", str(out), "--slurm"]
    driver = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=slurm
    )
    deadline = time.monotonic() + 180
    while len(list((out / "runs").glob("*.json"))) < 2:
        assert driver.poll() is None, driver.communicate()
        assert time.monotonic() < deadline, "no run finished in three minutes"
        time.sleep(0.05)
    subprocess.run(["scancel", "--user=root"], env=slurm, check=True)
    _, stderr = driver.communicate(timeout=300)

    assert driver.returncode == 0, stderr
    table = pd.read_parquet(out / "runs.parquet")
    assert len(table) == 24
    assert table["run_id"].is_unique
    assert len(list((out / "slurm").glob("*.out"))) > 2  # the jobs were submitted again
