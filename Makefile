# ROOT_ACCOUNT_USAGE: the front door. `make` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RULE := ROOT_ACCOUNT_USAGE
# rdk needs a region even for offline commands.
export AWS_DEFAULT_REGION ?= us-east-1

.PHONY: help install demo test test-fast rdk-test lint format package deploy bench clean python-check

help: ## Show the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-10s %s\n", $$1, $$2}'

python-check:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null || { \
	  echo "error: Python 3.12 or newer is needed (rdk 1.0 does not import on older ones);" \
	       "'$(PYTHON)' is $$($(PYTHON) --version 2>&1). Set PYTHON=python3.13 or install it (.python-version says 3.13)." >&2; \
	  exit 1; }

$(STAMP): pyproject.toml | python-check
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(STAMP) ## Create .venv and install the rule, its CLI and the dev tools

demo: $(STAMP) ## Run the real Lambda handler against simulated accounts (the main job)
	$(BIN)/root-account-usage demo

test: $(STAMP) ## Run the tests with branch coverage (>= 90%) and rdk test-local
	$(BIN)/python -m pytest --cov --cov-report=term-missing
	$(MAKE) --no-print-directory rdk-test

test-fast: $(STAMP) ## Run the tests without the slow ones
	$(BIN)/python -m pytest -m 'not slow'

rdk-test: $(STAMP) ## Run the rule's scenario tests under rdk test-local
	$(BIN)/rdk test-local $(RULE)

lint: $(STAMP) ## ruff (lint and format check) and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP) ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

package deploy bench: ## (comes with the deployment and benchmark issues)
	@echo "make $@: not built yet; see the open issues." >&2; exit 1

clean: ## Remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .coverage dist build *.egg-info
