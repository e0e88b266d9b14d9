# Shop SMS. `make demo` runs a campaign end to end on the embedded defaults; `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.requirements-installed
DEV_STAMP := $(VENV)/.requirements-dev-installed
SIZE ?= 1000000
# Runs a command with PostgreSQL and Redis answering: the configured ones, else the machine's own, else throwaway
# servers from requirements-dev.txt, stopped when the command ends (scripts/with_services.py).
WITH_SERVICES := $(PY) scripts/with_services.py
MIGRATIONS_CHECK := DJANGO_SETTINGS_MODULE=config.test_settings $(PY) manage.py makemigrations --check --dry-run

.PHONY: venv demo test lint bench scale serve

# Production's requirements (web, worker, beat); reinstalled only when requirements.txt changes.
$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

# Tests, bench, lint and the throwaway servers on top; reinstalled only when either file changes.
$(DEV_STAMP): requirements-dev.txt $(STAMP)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(DEV_STAMP)

venv: $(DEV_STAMP)

demo: $(STAMP)
	env -u DATABASE_URL -u REDIS_URL -u CELERY_BROKER_URL $(PY) manage.py migrate --verbosity 0
	env -u DATABASE_URL -u REDIS_URL -u CELERY_BROKER_URL LOG_FORMAT=$${LOG_FORMAT:-text} $(PY) manage.py demo

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .

test: $(DEV_STAMP)
	scripts/ensure_browser.sh
	$(VENV)/bin/ruff check .
	$(WITH_SERVICES) sh -c '$(MIGRATIONS_CHECK) && $(VENV)/bin/pytest'

bench: $(DEV_STAMP)
	$(WITH_SERVICES) $(PY) -m bench --size $(SIZE)

# Workers on several hosts (network namespaces; needs root): see bench/scale_out.py. Also run by `make test`.
scale: $(DEV_STAMP)
	$(WITH_SERVICES) $(PY) -m bench.scale_out

# The dev server on PostgreSQL (database shopsms_dev unless DATABASE_URL names one), Redis only where REDIS_URL is set;
# a dev-only SECRET_KEY unless one is set (the built-in key is refused on PostgreSQL).
serve: $(DEV_STAMP)
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/shopsms_dev} \
		SECRET_KEY=$${SECRET_KEY:-django-insecure-make-serve-dev-server-only} \
		LOG_FORMAT=$${LOG_FORMAT:-text} $(WITH_SERVICES) --create-database --redis-optional \
		sh -c '$(PY) manage.py migrate --verbosity 0 && exec $(PY) manage.py runserver'
