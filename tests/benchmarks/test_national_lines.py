"""`benchmarks/national_lines.py`: the national world's defaults under credit-line rules."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "national_lines.py"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=600
    )


def test_a_bad_rule_is_named_with_what_was_expected():
    done = run("--rule", "no-equals-sign")
    assert done.returncode == 2
    assert "--rule 'no-equals-sign': expected NAME=KEY=VALUE" in done.stderr
    assert "Traceback" not in done.stderr
    done = run("--rule", "typo=banks.resize_min_interest_covr=1")
    assert done.returncode == 2
    assert "unknown key 'resize_min_interest_covr' in banks" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_raises_split_accounts_for_all_the_money_raised():
    # A world of 500 suppliers: re-sizing with no cover test raises some lines; the money
    # raised goes to firms below an interest cover of 1 at the renewal or to the others.
    done = run(
        "--fraction", "0.005", "--seeds", "0-0", "--raises",
        "--rule", "no test=banks.resize_min_interest_cover=0",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    shares = [int(s) for s in re.findall(r"(\d+)% of the money, mean", done.stdout)]
    assert len(shares) == 2, done.stdout
    assert abs(sum(shares) - 100) <= 1  # each share rounded to a whole per cent
