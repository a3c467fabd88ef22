# ClaimDesk: two commands set everything up on a fresh machine.
#   make run   venv, install, migrate, starter data, demo accounts, providers and claims, serve on 127.0.0.1:8000
#   make test  install what is missing, ruff, checks, migrations check, the whole test suite
#   make test-tasks-rq  the background-task tests again on the RQ backend (Redis at 127.0.0.1:6379)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1:8000
# DEBUG is off unless DJANGO_DEBUG=1 (billing_site/settings.py): the local set-up, server and checks turn it on.
# Production runs gunicorn with DJANGO_DEBUG unset (docs/deploy.md), never these targets.
DEV := DJANGO_DEBUG=1
# The background worker of the task backend in use (CLAIMDESK_TASKS_BACKEND, billing_site/settings.py).
ifeq ($(CLAIMDESK_TASKS_BACKEND),rq)
WORKER := rqworker --job-class django_tasks_rq.Job default
else
WORKER := db_worker --no-reload
endif
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: run worker test-tasks-rq test install install-dev migrate starter demo-users demo-providers demo-claims demo-clearinghouse serve lint bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(PY)
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(PY)
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(DEV) $(PY) manage.py migrate --noinput

starter: migrate
	$(DEV) $(PY) manage.py load_starter_data
	$(DEV) $(PY) manage.py load_starter_payers

demo-users: migrate
	$(DEV) $(PY) manage.py create_demo_users

demo-providers: migrate
	$(DEV) $(PY) manage.py load_demo_providers

demo-claims: starter demo-users demo-providers
	$(DEV) $(PY) manage.py load_demo_claims

demo-clearinghouse: starter
	$(DEV) $(PY) manage.py load_demo_clearinghouse

# One background worker runs beside the web server and is stopped when the server stops (Ctrl-C).
run: starter demo-users demo-providers demo-claims demo-clearinghouse
	@$(DEV) $(PY) manage.py $(WORKER) & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; trap 'exit 130' INT TERM; \
	echo "background worker started ($(WORKER), process $$worker)"; \
	$(DEV) $(PY) manage.py runserver $(HOST)

# One more background worker in the foreground (start any number, on any machine sharing the database).
worker: migrate
	$(DEV) $(PY) manage.py $(WORKER)

lint: install-dev
	$(VENV)/bin/ruff check .

test: install-dev
	$(VENV)/bin/ruff check .
	$(DEV) $(PY) manage.py check
	$(DEV) $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest

# The tests that run a real worker (marker "tasks"), on RQ against Redis; make test runs them on the database backend.
test-tasks-rq: install-dev
	CLAIMDESK_TASKS_BACKEND=rq CLAIMDESK_REDIS_URL=$(TEST_REDIS_URL) $(VENV)/bin/pytest -m tasks

bench: install-dev
	$(PY) bench/run.py  # production settings, debug off (bench/bench_env.py)

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache
