# Two commands on a fresh machine: `make run` and `make test`. See README.md.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# pytest-xdist workers for `make test` (one per core; 0 runs in one process).
PYTEST_WORKERS ?= 2

.PHONY: run test lint fmt docs venv install-local install-test install-docs migrate seed services-up services-down bench clean

$(BIN)/python:
	@command -v $(PY) >/dev/null 2>&1 || { echo "$(PY) not found; set PY=python3"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install-local: $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/local.txt

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/test.txt

# (requirements/test.txt includes docs.txt, so `make lint` builds the docs without a second install.)
install-docs: $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/docs.txt

migrate: install-local
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

run: seed
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install-test
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --cov --cov-report=term --cov-fail-under=90 $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy apps augeo
	$(BIN)/lint-imports --no-logo
	DJANGO_SETTINGS_MODULE=augeo.settings.test $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/mkdocs build --strict --quiet

# The documentation site (mkdocs.yml, docs/) into site/; `$(BIN)/mkdocs serve` previews it.
docs: install-docs
	$(BIN)/mkdocs build --strict

fmt: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

services-up:
	bash scripts/services.sh up

services-down:
	bash scripts/services.sh down

bench: install-test
	@test -n "$$DATABASE_URL" || { echo 'needs PostgreSQL: bash scripts/services.sh up && eval "$$(bash scripts/services.sh env)"'; exit 1; }
	$(BIN)/python bench/api.py $(BENCH_ARGS)
	$(BIN)/python bench/checkout.py
	$(BIN)/python bench/jobs.py

clean:
	rm -rf $(VENV) db.sqlite3* media .services .coverage site
