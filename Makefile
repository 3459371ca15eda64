# trygghet — `make help` lists the targets. Every target creates .venv first if needed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN     = $(VENV)/bin
YEAR   ?= 2020
YEARS  ?= 2019 2020 2021

.DEFAULT_GOAL := help
.PHONY: help venv sample clean-data estimate promises report lab test lint

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

$(BIN)/trygghet: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

venv: $(BIN)/trygghet  ## create the virtual environment (.venv) and install trygghet

report: venv  ## the yearly reports for YEAR (default 2020) on the sample: reports/$(YEAR)/
	$(BIN)/trygghet report --year $(YEAR)

sample: venv  ## regenerate the synthetic sample data (data/raw/, data/reference/)
	$(BIN)/trygghet sample

clean-data: venv  ## clean every sample year (data/processed/<year>/)
	@for y in $(YEARS); do $(BIN)/trygghet clean --year $$y || exit 1; done

estimate: venv  ## weights, estimates and the Excel appendix for every sample year
	@for y in $(YEARS); do $(BIN)/trygghet estimate --year $$y || exit 1; done

promises: venv  ## the medborgarlöfte follow-up for YEAR
	$(BIN)/trygghet promises --year $(YEAR)

lab: venv  ## JupyterLab on notebooks/ with the project's kernel registered
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (trygghet)"
	$(BIN)/jupyter lab --notebook-dir=notebooks

test: venv  ## ruff and the whole test suite
	$(BIN)/ruff check src tests $(wildcard benchmarks)
	$(BIN)/pytest -q

lint: venv  ## ruff only
	$(BIN)/ruff check src tests $(wildcard benchmarks)
