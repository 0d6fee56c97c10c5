# hoithi — the two commands: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup run test bench services clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

## Set up everything (virtualenv, migrations, demo data) and serve on http://$(HOST):$(PORT)
run: setup
	$(BIN)/hoithi db upgrade
	$(BIN)/hoithi demo --if-empty
	$(BIN)/hoithi serve --host $(HOST) --port $(PORT)

## Start what the suite needs (PostgreSQL, Debian's chromium) and run the whole suite
test: setup services
	$(BIN)/python -m pytest $(PYTEST_ARGS)

services:
	bash scripts/test-services.sh

## Load and size benchmarks; results go to bench/RESULTS.md
bench: setup services
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) test-artifacts .pytest_cache
