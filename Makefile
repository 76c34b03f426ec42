# MarketPay: `make run` and `make test` are all a person needs on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SIM_DAYS ?= 60

.PHONY: setup system-deps run test lint bench reliability clean

setup: system-deps $(STAMP)

system-deps:
	@scripts/setup-system.sh

# Reinstalls only when pyproject.toml changes; safe to run again and again.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: setup
	$(BIN)/marketpay db upgrade
	# Simulates into an empty database, carries a killed run on (--resume), else just serves.
	$(BIN)/marketpay simulate --days $(SIM_DAYS) --if-empty --resume
	$(BIN)/marketpay serve

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	@scripts/ensure-postgres.sh
	$(BIN)/pytest

# The long crash/fault/load/fuzz runs (a few tens of minutes); figures go to var/reliability/ and
# docs/RELIABILITY.md. `make test` runs the short version of the same tests.
reliability: setup
	@scripts/ensure-postgres.sh
	rm -rf var/reliability
	MARKETPAY_RELIABILITY=long MARKETPAY_RELIABILITY_OUT=var/reliability $(BIN)/pytest tests/reliability -q
	# pip-audit skips every package here (per-version PyPI JSON and OSV unreachable); see RELIABILITY.md F4.
	$(BIN)/python scripts/reliability/audit_deps.py --json var/reliability/audit.json

bench: setup
	@for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
