# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast bench dev lint sandbox docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/funnelhouse demo

# One worker per core, each taking whole files, so a module's shared sandbox and warehouse are
# built once. Files go out in the order tests/conftest.py puts them (end-to-end files first), not
# xdist's default by number of tests, which sends the long end-to-end files last.
PYTEST_WORKERS ?= auto
PYTEST_DIST := -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_DIST)

test-fast: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_DIST) -m "not slow"

# A benchmark, not a test: every figure against its limit, measured side by side in one run.
SCALE ?= medium
bench: $(STAMP)
	$(BIN)/python -m bench --scale $(SCALE)

# The README's source and contract sections and .dlt/example.*.toml, from the specs and contracts.
docs: $(STAMP)
	$(BIN)/funnelhouse docs

lint: $(STAMP)
	$(BIN)/ruff check .

sandbox: $(STAMP)
	$(BIN)/funnelhouse sandbox

# dagster dev ignores SIGINT when started in the background unless SIGINT is restored before
# exec; `funnelhouse dev` does that, serves the sandbox and stops both cleanly on Ctrl-C.
dev: $(STAMP)
	$(BIN)/funnelhouse dev --host 127.0.0.1 --port 3000

clean:
	rm -rf .funnelhouse .pytest_cache
