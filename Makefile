# ConvoScope: `make run` runs the whole service, `make test` runs every test.
# Every install comes from uv.lock (exact versions with hashes); `make lock` updates it.
PYTHON     ?= python3
UV_VERSION := 0.13.9
TOOLS      := .tools
UV         := $(TOOLS)/bin/uv
VENV       := .venv
BIN        := $(VENV)/bin
PYPROJECTS := pyproject.toml libs/common/pyproject.toml services/*/pyproject.toml stack/pyproject.toml \
              cli/pyproject.toml
# Install exactly the lock, never resolve; use the machine's Python, never download one.
SYNC       := $(UV) sync --frozen --all-packages --python $(PYTHON)
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Bytecode is compiled once, at install: where PYTHONDONTWRITEBYTECODE is set (CI images,
# many shells) every process would otherwise compile each module it imports, each time
# (scikit-learn alone: 4.8 s instead of 1.9 s per process start).
export UV_COMPILE_BYTECODE := 1
COMPILE    := $(BIN)/python -m compileall -q libs/common/src services/*/src stack/src cli/src > /dev/null

.PHONY: install install-runtime run test test-serial test-unit test-latest lint docs lock lock-upgrade \
        bench compose-config clean

# uv itself, pinned, in a small virtualenv of its own (bootstraps from the machine's pip).
$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install -q --disable-pip-version-check uv==$(UV_VERSION)

# Runtime set only: what the services run with (no test or lint tools).
install-runtime: $(UV)
	$(SYNC) --no-dev
	$(COMPILE)

# Runtime plus the development group (pytest, ruff, mypy, hypothesis, schemathesis, ...).
install: $(UV)
	$(SYNC)
	$(COMPILE)

run: install-runtime
	$(BIN)/python -m convoscope_stack

# Two groups at once (the CI budget is 20 minutes): the whole-stack tests mostly wait on
# processes they started, the integration and unit tests mostly compute. Each group's
# nats-servers and stacks listen on their own free ports. A few long whole-stack files
# run after the unit tests, so both groups take about as long.
E2E_AFTER_UNIT := tests/e2e/test_paused_analyzer.py tests/e2e/test_no_job_lost.py \
                  tests/e2e/test_web_app.py
test: install
	@mkdir -p tests/artifacts
	@$(BIN)/python -m pytest -p no:cacheprovider --durations=15 tests/chaos tests/cluster tests/e2e \
		$(addprefix --ignore=,$(E2E_AFTER_UNIT)) > tests/artifacts/stack-tests.log 2>&1 & stack=$$!; \
	$(BIN)/python -m pytest --durations=15 tests/integration tests/unit $(E2E_AFTER_UNIT); inner=$$?; \
	wait $$stack; outer=$$?; \
	echo "=== tests/chaos tests/cluster tests/e2e (run alongside) ==="; \
	cat tests/artifacts/stack-tests.log; \
	test $$inner -eq 0 && test $$outer -eq 0

test-serial: install
	$(BIN)/python -m pytest

test-unit: install
	$(BIN)/python -m pytest tests/unit

# Drift check before a lock bump: the newest releases the pyproject ranges allow, in a
# scratch virtualenv, against the unit tests. Not part of CI (it depends on the day).
test-latest: $(UV)
	rm -rf .venv-latest
	$(UV) venv -q --python $(PYTHON) .venv-latest
	VIRTUAL_ENV=.venv-latest $(UV) pip install -q --upgrade --resolution highest \
		-e libs/common -e services/gateway -e services/ingest -e services/analyzer \
		-e services/exporter -e stack -e cli --group dev
	.venv-latest/bin/python -m pytest tests/unit -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The committed generated documents, from the locked versions.
docs: install
	$(BIN)/python -m convoscope_gateway.openapi > docs/openapi.json
	$(BIN)/python -m convoscope_analyzer.engine.schema > docs/results-schema.json

lock: $(UV)
	$(UV) lock --python $(PYTHON)

lock-upgrade: $(UV)
	$(UV) lock --upgrade --python $(PYTHON)

bench: install
	$(BIN)/python bench/run_all.py

compose-config: install
	$(BIN)/python -m pytest tests/unit/test_compose.py

clean:
	rm -rf $(VENV) .venv-latest $(TOOLS) .data
