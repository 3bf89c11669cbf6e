"""`benchmarks/robustness.py` refuses a bad seed range or variant before running anything."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        (["--seeds", "7-3"], "'7-3'"),
        (["--seeds", "0..7"], "'0..7'"),
        (["--only", "defaults,grace -30%"], "grace -30%"),
    ],
)
def test_a_bad_argument_is_named_with_exit_2(arguments: list[str], named: str) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "robustness.py"), *arguments],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert named in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
