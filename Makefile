# The two commands of the README: `make run` (the demo) and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
UV_VERSION := $(shell sed -n 's/.*"uv==\([0-9.]*\)".*/\1/p' pyproject.toml)

.PHONY: run test bench setup system-deps clean

run: setup
	$(PY) -m devstack run

test: setup frontend/node_modules/.installed
	$(PY) -m devstack test $(PYTEST_ARGS)

bench: setup
	$(PY) -m bench $(BENCH_ARGS)

setup: system-deps $(VENV)/.installed

# Everything from uv.lock (hashes checked): runtime, test, bench and tools groups.
$(VENV)/.installed: pyproject.toml uv.lock sdk/pyproject.toml qa/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	test -x $(VENV)/bin/uv || $(PY) -m pip install --quiet uv==$(UV_VERSION)
	$(VENV)/bin/uv sync --quiet --frozen --all-groups
	touch $@

# The browser tests' own tools (axe-core), pinned by the lock file.
frontend/node_modules/.installed: frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	touch $@

system-deps:
	@bash scripts/system-deps.sh

clean:
	rm -rf $(VENV) var frontend/node_modules
