# Shop SMS. `make demo` runs a campaign end to end on the embedded defaults; `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.requirements-installed
SIZE ?= 1000000

.PHONY: venv demo test lint bench scale serve

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	env -u DATABASE_URL -u REDIS_URL -u CELERY_BROKER_URL $(PY) manage.py migrate --verbosity 0
	env -u DATABASE_URL -u REDIS_URL -u CELERY_BROKER_URL $(PY) manage.py demo

lint: $(STAMP)
	$(VENV)/bin/ruff check .

test: $(STAMP)
	PY=$(PY) scripts/ensure_services.sh
	scripts/ensure_browser.sh
	$(VENV)/bin/ruff check .
	DJANGO_SETTINGS_MODULE=config.test_settings $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest

bench: $(STAMP)
	PY=$(PY) scripts/ensure_services.sh
	$(PY) -m bench --size $(SIZE)

# Workers on several hosts (network namespaces; needs root): see bench/scale_out.py. Also run by `make test`.
scale: $(STAMP)
	PY=$(PY) scripts/ensure_services.sh
	$(PY) -m bench.scale_out

serve: $(STAMP)
	$(PY) manage.py migrate --verbosity 0
	$(PY) manage.py runserver
