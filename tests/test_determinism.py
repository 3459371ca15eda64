"""Determinism end to end: the same inputs give the same files, byte for byte.

The yearly cycle (clean, estimate, promises for every sample year, then the 2020
reports) runs twice, in two different folders, with the same
``SOURCE_DATE_EPOCH`` and pseudonymisation key: once in ``sample_run``
(conftest) and once here, without the area report. Every file the second run
wrote — parquet, CSV, JSON, the Excel appendices, the executed notebooks, HTML
and PDF — must be identical to the first run's. The folder differs on purpose:
no absolute path may reach an output.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from helpers import SAMPLE_AREAS, SAMPLE_EPOCH, copy_sample, run_cycle, sample_env
from pypdf import PdfReader

from trygghet.schema import slug

pytestmark = pytest.mark.slow  # the whole yearly cycle a second time


@pytest.fixture(scope="module")
def second_run(tmp_path_factory) -> Path:
    root = copy_sample(tmp_path_factory.mktemp("again"))
    with pytest.MonkeyPatch.context() as mp:
        sample_env(mp)
        run_cycle(root, areas=())
    return root


def outputs(root: Path) -> dict[str, Path]:
    return {str(p.relative_to(root)): p
            for folder in ("data/processed", "reports")
            for p in sorted((root / folder).rglob("*")) if p.is_file()}


def test_the_same_files_are_written(sample_run, second_run):
    first, second = outputs(sample_run), outputs(second_run)
    areas = {k for k in first if any(slug(a) in k for a in SAMPLE_AREAS)}
    assert set(first) - areas == set(second)
    assert {Path(k).suffix for k in second} >= {".parquet", ".csv", ".json", ".xlsx", ".ipynb",
                                                ".html", ".pdf"}


def test_every_output_is_byte_identical(sample_run, second_run):
    first = outputs(sample_run)
    differ = [name for name, path in outputs(second_run).items()
              if path.read_bytes() != first[name].read_bytes()]
    assert not differ


def test_parquet_contents_are_identical(sample_run, second_run):
    """Same tables (values, dtypes, order) and the same attrs — what bytes may hide."""
    for name, path in outputs(second_run).items():
        if name.endswith(".parquet"):
            a, b = pd.read_parquet(sample_run / name), pd.read_parquet(path)
            pd.testing.assert_frame_equal(a, b, check_exact=True)
            assert a.attrs == b.attrs, name


def _cells(path: Path):
    wb = openpyxl.load_workbook(path)
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in wb}


def test_appendix_cells_and_dates_are_identical(sample_run, second_run):
    for name, path in outputs(second_run).items():
        if name.endswith(".xlsx"):
            assert _cells(sample_run / name) == _cells(path), name
            with zipfile.ZipFile(path) as z:
                assert {i.date_time for i in z.infolist()} == {(2000, 1, 1, 0, 0, 0)}
                core = z.read("docProps/core.xml").decode()
                assert "2000-01-01T00:00:00Z" in core


def test_executed_notebooks_have_the_same_outputs_and_no_clock(sample_run, second_run):
    for name, path in outputs(second_run).items():
        if name.endswith(".ipynb"):
            a = json.loads((sample_run / name).read_text(encoding="utf-8"))
            b = json.loads(path.read_text(encoding="utf-8"))
            assert [c.get("outputs") for c in a["cells"]] == [c.get("outputs") for c in b["cells"]]
            assert a["metadata"] == b["metadata"], name
            assert "start_time" not in json.dumps(b), name


def test_pdf_dates_come_from_source_date_epoch(second_run):
    for name, path in outputs(second_run).items():
        if name.endswith(".pdf"):
            meta = PdfReader(io.BytesIO(path.read_bytes())).metadata
            assert meta.creation_date.timestamp() == int(SAMPLE_EPOCH), name
            assert meta.modification_date.timestamp() == int(SAMPLE_EPOCH), name
