# hoithi — the two commands: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup run test lint bench services clean i18n

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

## Lint first (format, rules, types, complexity), then start what the suite needs (PostgreSQL, Debian's
## chromium) and run the whole suite
test: lint services
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## Format, lint rules, types (mypy) and complexity (radon): what the pre-commit hook runs too
lint: setup
	BIN=$(BIN) bash scripts/lint.sh

services:
	bash scripts/test-services.sh

## Load and size benchmarks; results go to bench/RESULTS.md
bench: setup services
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } || \
	  echo "bench: Debian's wrk is not installed; the Python load client (bench/pyload.py) is used"
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.questions
	$(BIN)/python -m bench.attempts
	$(BIN)/python -m bench.journey --write
	$(BIN)/python -m bench.journey_cpu
	$(BIN)/python -m bench.page_cpu --page home --db both
	$(BIN)/python -m bench.pg_read
	$(BIN)/python -m bench.standings
	$(BIN)/python -m bench.participation
	$(BIN)/python -m bench.reminders --db both --write
	$(BIN)/python -m bench.live --write
	$(BIN)/python -m bench.pageweight
	$(BIN)/python -m bench.exports --write-results
	@command -v nginx >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null; } || \
	  echo "bench: Debian's nginx is not installed; the two-host run is skipped"
	@if command -v nginx >/dev/null 2>&1; then $(BIN)/python -m bench.multihost --write-results; fi

clean:
	rm -rf $(VENV) test-artifacts .pytest_cache

## Re-extract the Vietnamese source strings and update the English catalogue
i18n: setup
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k _ --no-location --sort-output --ignore-dirs=".venv .git test-artifacts" --project=hoithi -o app/locale/messages.pot .
	@if [ -f app/locale/en/LC_MESSAGES/messages.po ]; then \
	  $(BIN)/pybabel update --no-fuzzy-matching -i app/locale/messages.pot -d app/locale -l en; \
	else $(BIN)/pybabel init -i app/locale/messages.pot -d app/locale -l en; fi
