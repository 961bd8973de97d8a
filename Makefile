# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test reliability benchmark install migrate demo lint format clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

migrate: install
	@mkdir -p var
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py demo

# One machine, no services: the web server plus a Celery worker with beat on a broker kept
# in files under var/broker (or Redis when REDIS_URL is set). Mail lands in var/mail/.
run: demo
	@mkdir -p var/broker var/mail
	@echo ""
	@echo "  OctoAcme Releases: http://127.0.0.1:8000/"
	@echo "  Sign in as project-manager (or qa-lead, devops-engineer, ..., admin), password: octoacme"
	@echo "  Emails (requests, reminders, follow-ups) are written to var/mail/; worker log: var/worker.log"
	@echo ""
	@$(VENV)/bin/celery -A octoacme worker --beat --pool solo --loglevel INFO \
		--logfile var/worker.log & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:8000

# PostgreSQL on 127.0.0.1:5432 when it answers, else SQLite (CI=true insists on PostgreSQL).
test: install
	@url=$${DATABASE_URL:-$$($(PY) scripts/test_database_url.py)} || exit 1; \
	echo "Testing against $${url%%@*}@..."; \
	DATABASE_URL=$$url $(PY) -m pytest $(PYTEST_ARGS)

# The reliability suite alone, writing its figures to docs/reliability.md (PostgreSQL and
# Redis required; FUZZ_EXAMPLES sets Hypothesis examples per endpoint, default 25).
reliability: install
	@url=$${DATABASE_URL:-$$($(PY) scripts/test_database_url.py)} || exit 1; \
	DATABASE_URL=$$url RELIABILITY_REPORT=docs/reliability.md $(PY) -m pytest tests/reliability -p no:logging -q $(PYTEST_ARGS)

# Seeds a scratch PostgreSQL database (octoacme_bench) at 1,000 then 10,000 releases, serves
# each with gunicorn and loads it with wrk; writes docs/performance.md (about 10 minutes).
# ARGS="--sizes 1000 --seconds 5" for a quick look at one size.
benchmark: install
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -q wrk; } \
		|| { echo "wrk is needed: apt-get install wrk"; exit 1; }
	$(PY) scripts/benchmark.py $(ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) var/*.sqlite3
