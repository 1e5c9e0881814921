# The two commands of the README: `make run` (the demo) and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test bench setup system-deps clean

run: setup
	$(PY) -m devstack run

test: setup frontend/node_modules/.installed
	$(PY) -m devstack test $(PYTEST_ARGS)

bench: setup
	$(PY) -m bench $(BENCH_ARGS)

setup: system-deps $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

# The browser tests' own tools (axe-core), pinned by the lock file.
frontend/node_modules/.installed: frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	touch $@

system-deps:
	@bash scripts/system-deps.sh

clean:
	rm -rf $(VENV) var frontend/node_modules
