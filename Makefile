# trygghet — `make help` lists the targets. Every target creates .venv first if needed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN     = $(VENV)/bin
# Exact versions (with hashes) of everything `make` installs, generated from pyproject.toml
# by `make lock`: a yearly report can be rebuilt years later with the same libraries.
LOCK    = requirements.lock
YEAR   ?= 2020
YEARS  ?= 2019 2020 2021
# The workspace the data targets work in: the bundled example unless you name your own
# (`make report WORKSPACE=../vanersborg YEARS=2024 YEAR=2024`).
WORKSPACE ?= examples/trollhattan
TRYGGHET = $(BIN)/trygghet --root $(WORKSPACE)

.DEFAULT_GOAL := help
.PHONY: help venv lock sample clean-data estimate promises report lab test test-fast typecheck lint

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

$(BIN)/trygghet: pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $@

venv: $(BIN)/trygghet  ## create .venv: the exact versions of requirements.lock, trygghet editable

# Keeps the pinned versions that still satisfy pyproject.toml (adds what is new, drops what
# is gone); `make lock UPGRADE=1` moves every package to its newest allowed version.
lock: venv  ## regenerate requirements.lock from pyproject.toml (UPGRADE=1: newest versions)
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 \
		--generate-hashes --custom-compile-command "make lock" --quiet \
		$(if $(UPGRADE),--upgrade) -o $(LOCK)

report: venv  ## the yearly reports for YEAR (default 2020) of WORKSPACE: <workspace>/reports/$(YEAR)/
	$(TRYGGHET) report --year $(YEAR)

sample: venv  ## regenerate the synthetic sample data (WORKSPACE's data/raw/, data/reference/)
	$(TRYGGHET) sample

clean-data: venv  ## clean every year of YEARS (<workspace>/data/processed/<year>/)
	@for y in $(YEARS); do $(TRYGGHET) clean --year $$y || exit 1; done

estimate: venv  ## weights, estimates and the Excel appendix for every year of YEARS
	@for y in $(YEARS); do $(TRYGGHET) estimate --year $$y || exit 1; done

promises: venv  ## the medborgarlöfte follow-up for YEAR
	$(TRYGGHET) promises --year $(YEAR)

lab: venv  ## JupyterLab on notebooks/, working in WORKSPACE, with the project's kernel
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (trygghet)"
	TRYGGHET_ROOT="$(abspath $(WORKSPACE))" $(BIN)/jupyter lab --notebook-dir=notebooks

test: venv  ## ruff, mypy and the whole test suite
	$(BIN)/ruff check src tests $(wildcard benchmarks)
	$(BIN)/mypy
	$(BIN)/pytest -q

test-fast: venv  ## ruff, mypy and the tests not marked slow (no report rendering)
	$(BIN)/ruff check src tests $(wildcard benchmarks)
	$(BIN)/mypy
	$(BIN)/pytest -q -m "not slow"

typecheck: venv  ## mypy on src/ (configuration in pyproject.toml)
	$(BIN)/mypy

lint: venv  ## ruff only
	$(BIN)/ruff check src tests $(wildcard benchmarks)
