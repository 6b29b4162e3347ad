# The front door: `make demo`, `make test`, `make lint`, `make bench`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1:8000
# Parallel workers for the test suite (2 cores here); `make test PYTEST_WORKERS=0` runs serially.
PYTEST_WORKERS ?= 2
PYTEST_ARGS ?=
SCALE ?= 1
# `make demo YEAR=1` first lives a simulated past year through the services (on a fresh database).
YEAR ?=

.PHONY: demo test lint bench install install-dev messages clean-venv

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.runtime: requirements.txt | $(VENV)/bin/python
	$(PIP) install -q -r requirements.txt
	@touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PIP) install -q -r requirements-dev.txt
	@touch $(VENV)/.runtime $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

## make demo — virtualenv, install, migrate, seed demo data, serve on http://$(HOST) in demo mode
# Demo mode: the demo clock (banner, /operator/clock/) that every process — runserver, the worker, beat — reads.
demo: export ZJCS_DEMO := 1
# The credit exchange (docs/credit-exchange.md) talks to the local stand-in platform on the demo host.
demo: export ZJCS_CREDIT_EXCHANGE_URL ?= http://$(HOST)/exchange-standin/
demo: $(VENV)/.runtime
	$(PY) manage.py migrate --noinput
	$(if $(YEAR),$(PY) manage.py simulate_year,)
	$(PY) manage.py seed_demo --scale $(SCALE)
	$(PY) manage.py exchange_standin_seed
	@echo "Serving on http://$(HOST)/ in demo mode, with a Celery worker and beat moving the deadlines (Ctrl-C stops both)"
	@echo "Move the demo time forward from the banner, signed in as operator_demo or supervisor_demo"
	@export CELERY_BROKER_URL=filesystem://localhost// ; \
	  $(VENV)/bin/celery -A config worker --beat --pool solo --loglevel WARNING & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(PY) manage.py runserver $(HOST)

## make test — the whole suite (SQLite by default; DATABASE_URL=postgres://… for PostgreSQL)
# On PostgreSQL the test database is rebuilt each run: a transactional test's final flush would
# otherwise leave a reused database without the migrated default data.
test: $(VENV)/.dev
	env -u DJANGO_SETTINGS_MODULE $(VENV)/bin/pytest $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadgroup) $(if $(findstring postgres,$(DATABASE_URL)),--create-db,) $(PYTEST_ARGS)

## make lint — ruff, djhtml, Django's checks, migrations up to date, deploy check
lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/djhtml --check $$(find templates -name '*.html')
	$(PY) manage.py check --fail-level WARNING
	$(PY) manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=config.settings.production \
	  DJANGO_SECRET_KEY=lint-only-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH \
	  DJANGO_ALLOWED_HOSTS=zjcs.example.gov.cn \
	  $(PY) manage.py check --deploy --fail-level WARNING

## make messages — refresh and compile the translation catalogues in locale/
messages: $(VENV)/.dev
	$(PY) manage.py makemessages -l en --no-obsolete --ignore '.venv/*' --ignore 'staticfiles/*' --ignore 'bench/*' --ignore 'tests/*'
	$(PY) manage.py compilemessages -l en --ignore '.venv/*'

## make bench — the benchmarks under bench/ (print ratios to a baseline measured in the same run)
bench: $(VENV)/.dev
	@for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean-venv:
	rm -rf $(VENV)
