# gtm-warehouse. `make run` builds the demo warehouse from scratch; `make test` is what CI runs.
# Needs only Python 3.11 and make: everything else is installed into .venv by the `env` target.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
UV_VERSION := 0.13.8
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.gtm-synced
DBT := $(BIN)/dbt
# dbt checks run against the in-memory `lint` target, so they never touch (or wait on) the warehouse.
DBT_LINT_FLAGS := --project-dir . --profiles-dir . --target lint

# No phoning home from dbt, and uv uses the venv's interpreter rather than fetching one.
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export UV_PYTHON_DOWNLOADS := never

.PHONY: help env browser run test lint format docs dashboard clean distclean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

env: $(STAMP) ## Create .venv and install the locked dependencies (fast when nothing changed)

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "error: neither python3.11 nor python3 is on PATH" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(BIN)/uv: | $(BIN)/python
	$(BIN)/python -m pip --version >/dev/null 2>&1 || $(BIN)/python -m ensurepip --upgrade
	$(BIN)/python -m pip install --disable-pip-version-check --quiet uv==$(UV_VERSION)

# --inexact: keep what uv.lock does not list (pip and uv itself) in the venv.
$(STAMP): pyproject.toml uv.lock | $(BIN)/uv
	$(BIN)/uv sync --frozen --all-extras --inexact
	@touch $@

# RUN_ARGS passes options to `gtm run`, e.g. `make run RUN_ARGS="--live --due"` (the scheduled workflow).
RUN_ARGS ?=

run: env ## Ingest every source, build, test, publish marts.duckdb for BI, report and alert
	$(BIN)/gtm run $(RUN_ARGS)

# Two workers (pytest-xdist), each test file on one worker; tests/conftest.py makes each world and
# built warehouse once for both. Run one file alone with `.venv/bin/pytest tests/x/test_y.py`.
test: lint browser ## Lint, then run the Python tests
	$(BIN)/pytest -n 2 --dist loadfile

# The dashboard's browser test drives Chromium from the Debian packages (no browser download).
browser: ## Install Chromium from the Debian packages when missing (as root)
	@bash scripts/install_chromium.sh

lint: env ## ruff, sqlfluff, portable-SQL check, dbt parse, MetricFlow config validation
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@if [ -n "$$(find models -name '*.sql' -print -quit)" ]; then \
		echo "$(BIN)/sqlfluff lint models"; $(BIN)/sqlfluff lint --processes 2 models; \
	else \
		echo "sqlfluff: no .sql files under models/ yet, skipping"; \
	fi
	$(BIN)/python scripts/check_portable_sql.py models
	$(DBT) --quiet parse $(DBT_LINT_FLAGS)
	@echo "dbt parse: project is valid"
	@# The semantic layer (models/semantic/): parse and semantic validations of the semantic_manifest.json that
	@# dbt parse just wrote; --skip-dw because the lint target is an empty in-memory database.
	DBT_TARGET=lint DBT_PROFILES_DIR=. $(BIN)/mf validate-configs --skip-dw --show-all

format: env ## Format Python and fix what sqlfluff can
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
	@if [ -n "$$(find models -name '*.sql' -print -quit)" ]; then $(BIN)/sqlfluff fix models; fi

# With a warehouse the catalog holds its tables' columns and row counts; without one (a fresh clone, CI) the
# site is built from the project alone. Open target/static_index.html, or `dbt docs serve` from .venv.
docs: env ## Build the dbt docs site (target/static_index.html), exposures included
	@if [ -f "$${GTM_DUCKDB_PATH:-warehouse.duckdb}" ]; then \
		echo "$(DBT) docs generate --static"; \
		$(DBT) docs generate --static --project-dir . --profiles-dir .; \
	else \
		echo "no warehouse yet: building the docs without a catalog"; \
		$(DBT) docs generate --static --empty-catalog $(DBT_LINT_FLAGS); \
	fi
	@echo "dbt docs: target/static_index.html"

dashboard: env ## Build the HTML dashboard (target/dashboard/index.html) from the published marts
	$(BIN)/gtm dashboard

clean: ## Remove build output (keeps .venv, the warehouse and the demo world)
	rm -rf target logs dbt_packages .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -not -path './$(VENV)/*' -prune -exec rm -rf {} +

distclean: clean ## Also remove .venv, the warehouse, the published marts and the demo world
	rm -rf $(VENV) .gtm warehouse.duckdb warehouse.duckdb.wal marts.duckdb
