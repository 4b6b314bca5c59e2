# ConvoScope: `make run` runs the whole service, `make test` runs every test.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PACKAGES := -e libs/common -e services/gateway -e services/ingest -e services/analyzer \
            -e services/exporter -e stack -e cli
PYPROJECTS := libs/common/pyproject.toml services/*/pyproject.toml stack/pyproject.toml \
              cli/pyproject.toml

.PHONY: install run test test-unit lint bench compose-config clean

$(STAMP): $(PYPROJECTS) requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q $(PACKAGES) -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/python -m convoscope_stack

test: install
	$(BIN)/python -m pytest

test-unit: install
	$(BIN)/python -m pytest tests/unit

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: install
	$(BIN)/python bench/run_all.py

compose-config: install
	$(BIN)/python -m pytest tests/unit/test_compose.py

clean:
	rm -rf $(VENV) .data
