# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 5000

.PHONY: demo test bench clean

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

demo: $(VENV)/.installed  ## build the demo library from data/sample and serve it on http://127.0.0.1:5000
	$(VENV)/bin/kenniskamer demo --port $(PORT)

test: $(VENV)/.installed  ## run the whole suite (the browser tests need /usr/bin/chromium)
	$(PY) -m pytest

clean:
	rm -rf $(VENV) demo-library test-artifacts *.egg-info
