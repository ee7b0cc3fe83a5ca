# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell for p in python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(not ((3,11) <= sys.version_info[:2] < (3,13)))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test lint bench check clean venv reliability schemas

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 or 3.12 is required (durable-rules does not build on 3.13)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

venv: $(VENV)/.installed

run: venv
	$(PY) bot.py

check: venv
	$(PY) bot.py check

lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

test: venv lint
	$(PY) bot.py check
	ZHIBU_RELIABILITY=short $(PY) -m pytest

bench: venv
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	$(PY) -m benchmarks

# Rewrite the JSON Schemas of the YAML (rules/schema/, knowledge/schema/) after changing a loader's fields.
schemas: venv
	$(PY) -m rules.schemas
	$(PY) -m knowledge.yaml_schemas
	$(PY) -m reminders.yaml_schemas

# The full reliability suite (make test runs the same tests in a shorter form).
reliability: venv
	ZHIBU_RELIABILITY=full $(PY) -m pytest tests/reliability

clean:
	rm -rf $(VENV) .pytest_cache
