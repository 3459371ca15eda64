"""Stage manifests (``trygghet.manifest``): staleness by content, never by clock.

Every way a stage's outputs can stop matching their inputs must make
:func:`stale` give a reason, and nothing else may: not a copy of the project
to another folder, not a clock. End to end (a damaged table rebuilt by
``trygghet report``) in ``tests/test_faults.py``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from trygghet import manifest
from trygghet.writers import write_json


@pytest.fixture
def root(tmp_path) -> Path:
    """A finished stage: two inputs (one a source), two outputs and a removed one."""
    root = tmp_path / "projekt"
    (root / "config").mkdir(parents=True)
    (root / "out").mkdir()
    (root / "config" / "mappning.yml").write_text("year: 2020\n")
    (root / "export.csv").write_text("id,svar\n1,ja\n")
    inputs = manifest.hashes([root / "config" / "mappning.yml", root / "export.csv",
                              root / "config" / "befolkning.csv"], root)
    (root / "out" / "a.parquet").write_bytes(b"PAR1 tabell PAR1")
    (root / "out" / "b.json").write_text("{}")
    record = manifest.build("clean", 2020, root, inputs,
                            {root / "out" / "a.parquet": root / "out" / "a.parquet",
                             root / "out" / "b.json": root / "out" / "b.json",
                             root / "out" / "vikter.parquet": None},
                            sources=[root / "export.csv"])
    write_json(record.to_dict(), manifest.location(root / "out", "clean"))
    return root


def stale(root: Path, *expected: Path) -> str | None:
    return manifest.stale(root, root / "out", "clean", expected)


def test_a_finished_stage_is_current_and_its_manifest_is_deterministic(root):
    assert stale(root) is None
    data = json.loads(manifest.location(root / "out", "clean").read_text())
    assert data["inputs"]["config/mappning.yml"] == hashlib.sha256(b"year: 2020\n").hexdigest()
    assert data["inputs"]["config/befolkning.csv"] is None     # absent when read
    assert data["outputs"]["out/vikter.parquet"] is None        # removed by the stage
    assert data["sources"] == ["export.csv"]
    assert str(root) not in manifest.location(root / "out", "clean").read_text()


def test_a_copied_project_with_new_dates_is_still_current(root, tmp_path):
    copy = tmp_path / "kopia"
    shutil.copytree(root, copy)          # new modification times
    for path in copy.rglob("*"):
        os.utime(path, (0, 0))
    assert stale(copy) is None


@pytest.mark.parametrize("change, reason", [
    (lambda r: (r / "config" / "mappning.yml").write_text("year: 2021\n"),
     "config/mappning.yml har ändrats"),
    (lambda r: (r / "config" / "mappning.yml").unlink(), "config/mappning.yml saknas"),
    (lambda r: (r / "config" / "befolkning.csv").write_text("dimension,level\n"),
     "config/befolkning.csv har tillkommit"),
    (lambda r: (r / "export.csv").write_text("id,svar\n1,nej\n"), "export.csv har ändrats"),
    (lambda r: (r / "out" / "a.parquet").write_bytes(b"PAR1 tab"),
     "out/a.parquet saknas eller har ändrats"),
    (lambda r: (r / "out" / "a.parquet").write_bytes(b""), "out/a.parquet saknas"),
    (lambda r: (r / "out" / "b.json").unlink(), "out/b.json saknas"),
    (lambda r: (r / "out" / "vikter.parquet").write_bytes(b"gamla vikter"),
     "out/vikter.parquet saknas eller har ändrats"),
    (lambda r: (r / "out" / "manifest_clean.json").unlink(), "saknar innehållsförteckning"),
    (lambda r: (r / "out" / "manifest_clean.json").write_text("{trasig"),
     "saknar innehållsförteckning"),
], ids=["input-changed", "input-removed", "input-added", "source-changed",
        "output-truncated", "output-emptied", "output-removed", "removed-output-back",
        "no-manifest", "broken-manifest"])
def test_every_change_of_content_makes_the_stage_stale(root, change, reason):
    change(root)
    assert reason in (stale(root) or "")


def test_an_input_the_stage_would_read_now_counts(root):
    """A file the stage now reads (a year cleaned since, say) was absent before."""
    extra = root / "out" / "2019.parquet"
    assert stale(root, extra) is None
    extra.write_bytes(b"ny")
    assert stale(root, extra) == "out/2019.parquet har tillkommit"


def test_a_source_moved_away_after_cleaning_is_not_a_change(root):
    (root / "export.csv").unlink()       # raw data off the machine: nothing newer to read
    assert stale(root) is None


def test_new_code_makes_every_stage_stale(root, monkeypatch):
    monkeypatch.setattr(manifest, "code_version", lambda: "0" * 64)
    assert stale(root) == "programmet har ändrats sedan förra körningen"


def test_code_version_changes_with_any_package_file(tmp_path, monkeypatch):
    """Measured on a copy of the package: one changed template changes the fingerprint;
    compiled files do not count."""
    import importlib.util

    package = Path(manifest.__file__).resolve().parent
    copy = tmp_path / "kopia"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))

    def version() -> str:
        spec = importlib.util.spec_from_file_location("manifest_kopia", copy / "manifest.py")
        module = importlib.util.module_from_spec(spec)
        monkeypatch.setitem(sys.modules, "manifest_kopia", module)
        spec.loader.exec_module(module)
        return module.code_version()

    first = version()
    assert first == manifest.code_version()          # same files, same fingerprint
    (copy / "__pycache__").mkdir(exist_ok=True)
    (copy / "__pycache__" / "x.pyc").write_bytes(b"compiled")
    assert version() == first
    css = copy / "templates" / "trygghet" / "report.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n/* ändrad */\n", encoding="utf-8")
    assert version() != first


def test_output_is_current(root):
    target = root / "out" / "a.parquet"
    assert manifest.output_is_current(root, root / "out", "clean", target)
    target.write_bytes(b"")
    assert not manifest.output_is_current(root, root / "out", "clean", target)
    assert not manifest.output_is_current(root, root / "out", "clean", root / "out" / "x")
