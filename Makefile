# The two commands that set up everything on a fresh machine:
#   make up     start the whole CSMS (local Kafka + PostgreSQL, gateway, processor, projector, API)
#   make test   run the whole test suite (starts local Kafka + PostgreSQL when needed)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: up test lint typecheck check bench schemas infra-start infra-stop topics migrate clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

up: $(STAMP)
	$(BIN)/csms up

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy --strict ocpp billing audit ingest processors projections api csms infra schemas bench

check: lint typecheck test

# Regenerate schemas/events/*.json from the event models (a test fails when they drift).
schemas: $(STAMP)
	$(BIN)/python -m schemas.events.generate

bench: $(STAMP)
	$(BIN)/python -m bench.run_all

infra-start: $(STAMP)
	$(BIN)/csms infra start

infra-stop: $(STAMP)
	$(BIN)/csms infra stop

topics: $(STAMP)
	$(BIN)/csms topics

migrate: $(STAMP)
	$(BIN)/csms migrate

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
