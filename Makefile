# The two commands a newcomer needs: `make demo` runs the app, `make test` runs the whole test suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format install bench clean-demo

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Run the app on http://127.0.0.1:8000 with demo data, a Celery worker and beat (SQLite, no servers).
demo: $(STAMP)
	DEBUG=1 $(BIN)/python manage.py demo

## Lint, then run every test against PostgreSQL and Redis (DATABASE_URL / REDIS_URL, local defaults).
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Forget the demo's data (the SQLite file and queued messages).
clean-demo:
	rm -rf var/
