# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 5000

.PHONY: demo lint test bench clean

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

demo: $(VENV)/.installed  ## build the demo library from data/sample and serve it on http://127.0.0.1:5000
	$(VENV)/bin/kenniskamer demo --port $(PORT)

lint: $(VENV)/.installed  ## static checks: ruff on the whole repo, mypy on kenniskamer/ and indexer/ (pyproject.toml)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test: $(VENV)/.installed lint  ## the static checks, then the whole suite (the browser tests need /usr/bin/chromium)
	$(PY) -m pytest

clean:
	rm -rf $(VENV) demo-library test-artifacts *.egg-info
