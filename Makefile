# autofin — two commands: `make run` and `make test`. Nothing to install by hand.

# The first Python >= 3.12 found: on PATH, or in a pyenv install.
PYTHON ?= $(shell for p in python3.13 python3.12 $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3 /usr/bin/python3; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then echo $$p; break; fi; done)
VENV := .venv
BIN := $(VENV)/bin
SCENARIO ?= scenarios/baseline.yaml
PYTEST_ARGS ?=

.PHONY: run test lint bench clean setup

$(BIN)/autofin: pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: autofin needs Python >= 3.12 (python3.12 not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

setup: $(BIN)/autofin ## Create the virtual environment and install autofin with its test tools.

run: $(BIN)/autofin ## Simulate the baseline scenario and print where the results are.
	$(BIN)/autofin run $(SCENARIO)

test: $(BIN)/autofin ## Lint and run the whole test suite (installs Chromium and SLURM with apt if missing).
	bash .ci/system-deps
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest -n auto -m "not robustness" $(PYTEST_ARGS)
	$(BIN)/python -m pytest -n auto -m robustness $(PYTEST_ARGS)

lint: $(BIN)/autofin
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

bench: $(BIN)/autofin ## Print wall time, steps per second and peak memory of the shipped scenarios; sweep efficiency.
	$(BIN)/python benchmarks/scenarios.py
	$(BIN)/python benchmarks/instruments.py
	$(BIN)/python benchmarks/consumers.py
	$(BIN)/python benchmarks/report.py
	$(BIN)/python benchmarks/sweep.py --runs 40

clean:
	rm -rf $(VENV) results .pytest_cache .ruff_cache .hypothesis
