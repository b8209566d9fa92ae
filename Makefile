# SalesDesk — the two commands are `make run` and `make test`; `make help` lists the rest.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
APPS := core accounts customers catalog inventory api web
export DJANGO_SETTINGS_MODULE ?= config.settings.dev

.DEFAULT_GOAL := help
.PHONY: help run test check lint types layers templates migrations-check translations messages openapi \
        openapi-check docs-check pytest pytest-fast browser seed bench-reserve worker clean lock install install-dev

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk -F':.*?## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.base: requirements/base.lock pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements/base.lock
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

$(VENV)/.dev: requirements/dev.lock $(VENV)/.base
	$(PY) -m pip install --quiet -r requirements/dev.lock
	@touch $@

install: $(VENV)/.base ## Create the virtualenv with the runtime dependencies

install-dev: $(VENV)/.dev ## Add the development dependencies

lock: ## Re-pin the dependencies (needs network): requirements/*.lock from pyproject.toml
	$(PY) -m pip install --quiet uv
	$(VENV)/bin/uv pip compile pyproject.toml -o requirements/base.lock --python-version 3.11
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev -o requirements/dev.lock --python-version 3.11

compile-messages: ## Compile the zh_Hans catalogs (.po → .mo)
	@for po in salesdesk/*/locale/*/LC_MESSAGES/django.po; do msgfmt --check-format -o "$${po%.po}.mo" "$$po"; done

run: $(VENV)/.base compile-messages ## Set up everything and serve the app on http://127.0.0.1:$(PORT)
	$(PY) manage.py ensure_database
	$(PY) manage.py migrate --no-input
	$(PY) manage.py seed_demo --if-empty
	@echo ""
	@echo "SalesDesk: http://127.0.0.1:$(PORT)/   (API docs: http://127.0.0.1:$(PORT)/api/docs)"
	@echo ""
	$(PY) manage.py serve --port $(PORT)

worker: $(VENV)/.base ## Run the background task worker alone
	$(PY) manage.py db_worker

seed: $(VENV)/.base ## Load the demo data (idempotent)
	$(PY) manage.py seed_demo

system-deps: ## Install Chromium, CJK fonts and gettext when missing (needs root)
	@bash scripts/system-deps.sh

test: $(VENV)/.dev system-deps compile-messages check ## Install dev dependencies and run every check and test

check: lint types layers templates migrations-check translations openapi-check docs-check pytest ## Every check (assumes installed)

lint: ## ruff lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

types: ## mypy with django-stubs
	DJANGO_SETTINGS_MODULE=config.settings.test $(VENV)/bin/mypy salesdesk config

layers: ## import-linter: imports flow one way
	$(VENV)/bin/lint-imports

templates: ## djlint on the templates
	$(VENV)/bin/djlint salesdesk --lint --quiet

migrations-check: ## Models and migrations agree
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run

translations: ## Every message has a zh_Hans translation, none fuzzy, catalogs up to date
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py check_translations

messages: ## Refresh the zh_Hans catalogs from the sources (then translate the empty entries)
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py check_translations --update

openapi: ## Write openapi.json from the API
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py export_openapi --output openapi.json

openapi-check: ## Fail when openapi.json is not what the API serves
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py export_openapi --check openapi.json

docs-check: ## docs/order-lifecycle.md matches orders/transitions.py
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py order_lifecycle_doc --check

pytest: ## The whole test suite, browser tests included
	DJANGO_SETTINGS_MODULE=config.settings.test $(VENV)/bin/pytest -q -p no:cacheprovider

pytest-fast: ## The suite without browser tests
	DJANGO_SETTINGS_MODULE=config.settings.test $(VENV)/bin/pytest -q -m "not browser"

bench-reserve: ## Concurrent reservations against PostgreSQL (bench/reserve_stock.py)
	DJANGO_SETTINGS_MODULE=config.settings.dev $(PY) bench/reserve_stock.py

clean: ## Remove the virtualenv and local data
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
