"""A YAML alias inside the node it names (`a: &x [*x]`) is refused at once, with its line.

PyYAML registers an anchor before it composes the anchored node's children, so such an
alias makes a value that contains itself; expanding or counting it never ended and ate all
memory (the process was killed). Each case runs in a child process with a memory limit and a
timeout, so that a regression fails the test instead of hanging it or the machine.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SCENARIOS, TINY, write

AUTOFIN = str(Path(sys.executable).with_name("autofin"))
MEMORY_LIMIT = 2_000_000_000
"""Address space of the child process: a refusal needs a small part of it."""
TIMEOUT = 60
"""A refusal takes about a second (most of it starting Python); a hang fails at this."""


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_limited(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run a command with bounded memory and time (a hang or a runaway fails the test)."""
    # One BLAS thread: OpenBLAS reserves address space per thread, and a many-core host
    # would otherwise need more than the limit just to import NumPy.
    environment = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [str(arg) for arg in args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
        env=environment,
        preexec_fn=_limit_memory,
    )


def assert_refused(done: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "recursive alias" in done.stderr
    for text in expected:
        assert text in done.stderr


@pytest.mark.parametrize(
    ("text", "line", "alias"),
    [
        ("a: &x [*x]\n", 2, "*x"),
        ("shocks: &s [*s]\n", 2, "*s"),
        ("description: &d {a: *d}\n", 2, "*d"),
        ("banks: &b {count: 2, <<: *b}\n", 2, "*b"),
        ("network:\n  tiers: &t\n    - 3\n    - [4, *t]\n", 5, "*t"),
        ("consumers: &c\n  population: 500\n  channels: {online: *c}\n", 4, "*c"),
    ],
)
def test_a_recursive_alias_in_a_scenario_is_refused_naming_its_line(tmp_path, text, line, alias):
    path = write(tmp_path, "anchor.yaml", "name: anc\n" + text)
    done = run_limited(AUTOFIN, "validate", path)
    assert_refused(done, "anchor.yaml", f"line {line},", f"the alias {alias} ")


def test_an_alias_to_a_finished_node_still_works(tmp_path):
    path = write(
        tmp_path, "s.yaml", TINY.replace("[60, 30]", "&terms [60, 30]") + "x: [*terms, *terms]\n"
    )
    done = run_limited(AUTOFIN, "validate", path)
    # Refused for the unknown key x, not for its aliases: they name a completed list.
    assert done.returncode == 2
    assert "unknown key 'x'" in done.stderr
    assert "recursive" not in done.stderr


def test_a_recursive_alias_in_a_set_override_is_refused(tmp_path):
    path = write(tmp_path, "s.yaml", TINY)
    out = tmp_path / "out"
    done = run_limited(AUTOFIN, "run", path, "--set", "description=&d [*d]", "-o", out)
    assert_refused(done, "--set description=&d [*d]", "line 1,")
    assert not out.exists()


def test_a_recursive_alias_in_an_experiment_file_is_refused(tmp_path):
    (tmp_path / "baseline.yaml").write_text((SCENARIOS / "baseline.yaml").read_text())
    path = write(
        tmp_path, "experiment.yaml", "name: e\nscenario: baseline.yaml\nparameters: &x [*x]\n"
    )
    out = tmp_path / "sweep"
    done = run_limited(AUTOFIN, "sweep", path, "--dry-run", "-o", out)
    assert_refused(done, "experiment.yaml", "line 3,", "the alias *x ")


def test_the_size_check_ends_on_a_cyclic_node_graph():
    # The last line of defence: counting a node graph with a cycle, however it was built,
    # raises instead of walking the cycle for ever.
    code = (
        "from yaml.nodes import SequenceNode\n"
        "from autofin.scenario import yaml_reading as y\n"
        "node = SequenceNode('tag:yaml.org,2002:seq', [])\n"
        "node.value.append(SequenceNode('tag:yaml.org,2002:seq', [node]))\n"
        "try:\n"
        "    y._check_expanded_size(node)\n"
        "except y.YamlLimitError as error:\n"
        "    print(error)\n"
    )
    done = run_limited(sys.executable, "-c", code)
    assert done.returncode == 0, done.stderr
    assert "recursive alias" in done.stdout
