"""Helpers shared by the test modules: plain functions and constants, no fixtures.

Import them as ``from helpers import …`` (pytest puts ``tests/`` on the path);
the fixtures built on them live in ``conftest.py``.
"""

from __future__ import annotations

import contextlib
import csv
import io
import shutil
import subprocess
import warnings
from pathlib import Path

import nbformat
import pytest

# --- A small mapping and exports written from plain rows --------------------------------------

HEADERS = {
    "respondent_id": "ID",
    "submitted": "Inskickad",
    "sex": "Kön",
    "age": "Ålder",
    "area": "Område",
    "relation": "Relation",
    "safe_evening": "Trygg på kvällen?",
    "worry": "Oro för brott?",
    "priorities": "Prioritera (högst tre)",
    "comment": "Synpunkter",
}
TIMES = {"Kväll": "Otrygg: Kväll", "Natt": "Otrygg: Natt", "Dagtid": "Otrygg: Dagtid"}
EXPORT_HEADERS = [*HEADERS.values(), *TIMES.values(), "Extra kolumn"]


def mini_mapping(source: str = "export.csv", **overrides) -> dict:
    """A small mapping as a dict (year 2020, probability design, two areas)."""
    columns = {k: v for k, v in HEADERS.items() if k not in ("relation", "priorities")}
    columns["relation"] = {"header": HEADERS["relation"], "separator": ";"}
    columns["priorities"] = {"header": HEADERS["priorities"], "separator": ";"}
    columns["unsafe_times"] = {"options": dict(TIMES)}
    m = {
        "year": 2020,
        "source": {"file": source},
        "design": {"sampling": "probability", "sent": 100},
        "columns": columns,
        "ignore": ["Extra kolumn"],
        "labels": {"safety": {"Mkt trygg": "Mycket trygg"}},
        "areas": {
            "Norr": {"aliases": ["Norra"], "postcodes": ["461 30"]},
            "Söder": {"postcodes": ["461 40"]},
        },
    }
    m.update(overrides)
    return m


def row(**values) -> list[str]:
    """One export row in EXPORT_HEADERS order; unnamed cells blank."""
    base = {
        "respondent_id": "", "submitted": "2020-10-01 12:00", "sex": "Kvinna", "age": "40",
        "area": "Norr", "relation": "bor", "safe_evening": "Ganska trygg", "worry": "Aldrig",
        "priorities": "Trafik", "comment": "",
    }
    base.update({k: v for k, v in values.items() if k in base})
    cells = [base[k] for k in HEADERS]
    cells += [values.get(f"time_{t}", "") for t in TIMES]
    cells.append(values.get("extra", "x"))
    return cells


def write_export(path: Path, rows: list[list[str]], *, headers=None, delimiter=",",
                 encoding="utf-8", title: str | None = None) -> Path:
    buf = io.StringIO()
    if title:
        buf.write(title + "\n")
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    w.writerow(headers or EXPORT_HEADERS)
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


# --- The sample's yearly cycle ----------------------------------------------------------------
# One session-scoped run of the whole yearly cycle on a copy of the bundled sample
# (``sample_run`` in conftest) is shared by the end-to-end tests; a second run in another
# folder (test_determinism) must give the same bytes.

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "trollhattan"   # the bundled example workspace
NOTEBOOKS = REPO / "notebooks"                # the toolkit's report notebooks
SAMPLE_EPOCH = "1767225600"   # 2026-01-01: fixed publication and PDF dates
SAMPLE_KEY = "sample-run-key-" + "0" * 32
SAMPLE_YEARS = (2019, 2020, 2021)
SAMPLE_REPORT_YEAR = 2020
# The smallest area of 2020 (about 50 respondents). Every area (`--all-areas`) would add
# 12 reports and about two minutes on two cores; they differ only in the parameter.
SAMPLE_AREAS = ("Upphärad",)


def copy_sample(dest: Path, *, notebooks: bool = False) -> Path:
    """A copy of the example workspace: config, raw and reference data (no processed
    data or reports); with ``notebooks`` also the toolkit's notebooks as the
    workspace's own (``notebooks/``, which a test may then change)."""
    for part in ("config", "data/raw", "data/reference"):
        shutil.copytree(EXAMPLE / part, dest / part)
    if notebooks:
        shutil.copytree(NOTEBOOKS, dest / "notebooks")
    return dest


def sample_env(mp: pytest.MonkeyPatch) -> None:
    mp.setenv("SOURCE_DATE_EPOCH", SAMPLE_EPOCH)
    mp.setenv("TRYGGHET_PSEUDONYM_KEY", SAMPLE_KEY)


def run_cycle(root: Path, *, areas=SAMPLE_AREAS) -> None:
    """The yearly cycle as a user runs it: clean, estimate and promises for every sample
    year, then the reports of 2020 (with the area reports of ``areas``)."""
    from trygghet.cli import main

    base = ["--root", str(root)]
    for command in ("clean", "estimate"):
        for year in SAMPLE_YEARS:
            assert main([*base, command, "--year", str(year)]) == 0, (command, year)
    for year in (2020, 2021):
        assert main([*base, "promises", "--year", str(year)]) == 0, year
    area_args = [a for area in areas for a in ("--area", area)]
    assert main([*base, "report", "--year", str(SAMPLE_REPORT_YEAR), *area_args]) == 0


# --- Running the command in this process ------------------------------------------------------

def run_main(*args: str) -> subprocess.CompletedProcess:
    """``trygghet ARGS`` through :func:`trygghet.cli.main` in this process, as a finished
    process: exit status, stdout and stderr (with the warnings a separate process would
    print there: all but deprecation warnings). Costs a fraction of a new interpreter."""
    from trygghet.cli import main

    out, err = io.StringIO(), io.StringIO()
    with warnings.catch_warnings(record=True) as caught, \
            contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        warnings.simplefilter("default")
        status = main(list(args))
    shown = [w for w in caught
             if not issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning))]
    text = err.getvalue() + "".join(
        warnings.formatwarning(w.message, w.category, w.filename, w.lineno) for w in shown)
    return subprocess.CompletedProcess(["trygghet", *args], status, out.getvalue(), text)


# --- Notebooks and PDFs -----------------------------------------------------------------------

def write_notebook(path: Path, cells, parameters: str) -> Path:
    """A notebook of a ``parameters`` cell (papermill's tag) and ``cells``, on the
    ``python3`` kernel."""
    v4 = nbformat.v4
    nb = v4.new_notebook(cells=[v4.new_code_cell(parameters, metadata={"tags": ["parameters"]}),
                                *cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)
    return path


def pdf_structure(node, kind: str, seen: set[int] | None = None):
    """Structure elements of type ``kind`` (e.g. ``"/Figure"``) under ``node`` of a
    tagged PDF's structure tree (pypdf objects), each once."""
    seen = set() if seen is None else seen
    node = node.get_object()
    if not isinstance(node, dict) or id(node) in seen:
        return
    seen.add(id(node))
    if node.get("/S") == kind:
        yield node
    kids = node.get("/K")
    for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
        if hasattr(kid, "get_object") or isinstance(kid, dict):
            yield from pdf_structure(kid, kind, seen)
