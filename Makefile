# regiekaart: set up, run the main job, test.
#
#   make demo    set up .venv and run the main job (validate the cards, show one, play the scenarios,
#                simulate West-Brabant and write the report)
#   make docs    regenerate the rendered West-Brabant card and docs/commands.md under docs/
#   make test    set up .venv and run the fast test suite (all but the tests marked slow), with branch coverage
#   make test-slow  the slow tests (load, crash, full explorations), each named; coverage added to make test's
#   make lint    ruff on the code, mypy --strict on src/, the layer rule (import-linter)
#   make bench   the benchmarks: runtime, simulation, store, verification, command start-up (not part of the tests)
#   make system  install the Debian packages the tests need (as root, only what is missing)
#
# The virtualenv is made once and reinstalled only when pyproject.toml changes.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

DEMO_PACKAGES := graphviz
TEST_PACKAGES := graphviz postgresql chromium chromium-driver

.PHONY: help demo docs test test-slow lint bench system clean

help:
	@sed -n 's/^#   //p' Makefile

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || { PYTHON=$(PYTHON) scripts/system-packages python3-venv; $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

system:
	@scripts/system-packages $(TEST_PACKAGES)

demo: $(STAMP)
	@scripts/system-packages $(DEMO_PACKAGES)
	$(BIN)/regiekaart validate machines/*.yaml
	$(BIN)/regiekaart show machines/west-brabant.yaml
	$(BIN)/regiekaart run examples/scenarios/*.yaml
	$(BIN)/regiekaart run examples/scenarios/west-brabant/*.yaml
	$(BIN)/regiekaart simulate examples/simulations/west-brabant.yaml --out out/simulation --report out/simulation/report.html
	@echo "simulation report: $(CURDIR)/out/simulation/report.html"

docs: $(STAMP)
	$(BIN)/regiekaart render machines/west-brabant.yaml -f html -o docs/regiekaart-west-brabant.html
	$(BIN)/regiekaart render machines/west-brabant.yaml -f png -o docs/regiekaart-west-brabant.png
	$(BIN)/python scripts/commands-doc

test: $(STAMP) system
	@$(BIN)/coverage erase
	scripts/with-postgres $(BIN)/coverage run -m pytest -m "not slow" --durations=10 $(PYTEST_ARGS)
	@$(BIN)/coverage combine -q
	$(BIN)/coverage report

test-slow: $(STAMP) system
	scripts/with-postgres $(BIN)/coverage run -m pytest -m slow -v --durations=0 $(PYTEST_ARGS)
	@$(BIN)/coverage combine -q --append
	$(BIN)/coverage report --fail-under=0

lint: $(STAMP)
	$(BIN)/ruff check src tests examples benchmarks
	$(BIN)/mypy --strict src
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_case.py
	$(BIN)/python benchmarks/bench_simulate.py
	scripts/with-postgres $(BIN)/python benchmarks/bench_store.py
	$(BIN)/python benchmarks/bench_verify.py
	$(BIN)/python benchmarks/bench_cli.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .coverage .coverage.*
