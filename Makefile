# trygghet — `make help` lists the targets.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN     = $(VENV)/bin
YEAR   ?= 2020

.DEFAULT_GOAL := help
.PHONY: help venv clean-data estimate promises report test lint lab sample bench

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(BIN)/trygghet: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

venv: $(BIN)/trygghet  ## create the virtual environment (.venv) and install trygghet

clean-data: venv  ## clean every sample survey year (data/processed/<year>/)
	@for y in 2019 2020 2021; do $(BIN)/trygghet clean --year $$y || exit 1; done

test: venv  ## run the linter and the test suite
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/pytest -q

lint: venv  ## run ruff only
	$(BIN)/ruff check src tests benchmarks
