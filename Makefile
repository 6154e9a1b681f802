# Two commands for a newcomer: `make run` and `make test`. Everything else is optional.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
SANDBOX_PORT ?= 5001
export FLASK_APP := wsgi.py

.PHONY: run test lint bench fuzz serve venv venv-dev browser clean reset-demo

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.req-stamp: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev-stamp: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $(VENV)/.req-stamp $@

venv: $(VENV)/.req-stamp
venv-dev: $(VENV)/.dev-stamp

## make run: the dashboard + the embedded Lever sandbox + worker + scheduler, with demo data.
run: venv
	$(BIN)/flask db upgrade
	$(BIN)/flask demo load
	PORT=$(PORT) SANDBOX_PORT=$(SANDBOX_PORT) $(BIN)/python -m dashboard.jobs.devserver

## make reset-demo: start the demo over (asks first; refused in production and while `make run` serves).
reset-demo: venv
	$(BIN)/flask demo reset

## make test: lint and the import contracts, then the whole suite on SQLite, then on PostgreSQL when
## TEST_DATABASE_URL is set.
test: venv-dev browser
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -q -p no:cacheprovider
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== the suite again on PostgreSQL ($$TEST_DATABASE_URL)"; \
		$(BIN)/python -m pytest -q -p no:cacheprovider -m "not browser and not own_postgres"; \
	else \
		echo "== PostgreSQL run skipped: set TEST_DATABASE_URL=postgresql://... to run the suite on PostgreSQL too"; \
	fi

## Debian's Chromium for the browser tests (never a browser download).
browser:
	@command -v chromium >/dev/null 2>&1 || { echo "== installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

## make fuzz: the pipeline state machine and the webhook fuzzers with random seeds for FUZZ_MINUTES
## (default 10); prints the seed of any failure. `make test` runs them derandomized.
FUZZ_MINUTES ?= 10
fuzz: venv-dev
	FUZZ_MINUTES=$(FUZZ_MINUTES) $(BIN)/python -m tests.fuzz

lint: venv-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

bench: venv-dev
	$(BIN)/python -m bench

## make serve: production-style processes (gunicorn web workers + one worker + one scheduler).
serve: venv
	$(BIN)/flask db upgrade
	$(BIN)/python -m dashboard.jobs.serve

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
