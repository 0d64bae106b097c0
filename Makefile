# The learning site. `make run` serves the demo site; `make test` runs every check.
# Both bootstrap .venv from the pinned requirements first, so a fresh clone needs only Python 3.11.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export DJANGO_SETTINGS_MODULE ?= config.settings.dev
# Test processes (pytest-xdist): one per core by default; an idle one takes tests from a busy one.
TEST_WORKERS ?= auto
PYTEST := DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal

.DEFAULT_GOAL := help
.PHONY: help run serve bench backup restore test test-fast lint format migrate demo check-python clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required; set PYTHON=/path/to/python3.11")'

$(BIN)/python: | check-python
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt
	@touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime | node_modules/.installed
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt
	@touch $@

# axe-core for the browser tests, from package-lock.json. Without npm this only prints a note;
# the browser tests then skip (or fail, under REQUIRE_BROWSER=1 as in CI).
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund && touch $@; \
	else \
		echo "npm not found: skipping npm ci (axe-core); the browser tests will be skipped."; \
	fi

migrate: $(VENV)/.runtime ## Apply database migrations
	@mkdir -p var/static var/media
	$(BIN)/python manage.py migrate --noinput

demo: migrate ## Load the demo data (idempotent)
	$(BIN)/python manage.py load_demo

# The task worker (notifications' delivery and e-mails) runs beside the server and stops with it.
WORKER := manage.py db_worker --backend background --no-reload

run: migrate ## Set up and serve the demo site on http://127.0.0.1:8000/ (with the task worker)
	$(BIN)/python manage.py load_demo --if-empty
	@$(BIN)/python $(WORKER) & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

serve: $(VENV)/.runtime ## Production settings on local PostgreSQL + Redis: gunicorn on PORT, daphne for /ws/ on PORT+1.. (scripts/serve.py)
	$(BIN)/python scripts/serve.py

bench: $(VENV)/.runtime ## Load-test the production setup (needs wrk, PostgreSQL, Redis); BENCH_ARGS=--smoke
	$(BIN)/python -m bench.run $(BENCH_ARGS)

backup: $(VENV)/.runtime ## Back up the database and media into backups/<time>/
	$(BIN)/python manage.py backup

restore: $(VENV)/.runtime ## Restore a backup: make restore BACKUP=backups/<time>
	@test -n "$(BACKUP)" || (echo "usage: make restore BACKUP=backups/<folder>"; exit 2)
	$(BIN)/python manage.py restore "$(BACKUP)"

lint: $(VENV)/.dev ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev ## Format and fix what ruff can
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: $(VENV)/.dev node_modules/.installed ## Migrations check, lint, then every test (in random order, across the cores)
	@mkdir -p var
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python manage.py makemigrations --check --dry-run
	$(MAKE) --no-print-directory lint
	$(PYTEST) --durations=25 $(PYTEST_ARGS)

test-fast: $(VENV)/.dev ## The unit and HTTP tests only (no browser, no server processes): for iterating
	@mkdir -p var
	$(PYTEST) -m "not browser and not slow" $(PYTEST_ARGS)

clean: ## Remove the virtualenv and local data (var/)
	rm -rf $(VENV) var
