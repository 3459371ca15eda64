"""Provenance: a published figure can be traced to the code and libraries that made it.

The git commit is checked against git itself, on throw-away repositories built here
(a trygghet checkout, a dirty one, an installed copy inside another repository, no
git at all), and the end-to-end tests read it back from the sample's weighting.json,
Excel appendix, HTML and PDF.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import openpyxl
import pytest
from bs4 import BeautifulSoup
from helpers import REPO, SAMPLE_REPORT_YEAR, SAMPLE_YEARS
from pypdf import PdfReader

import trygghet
from trygghet import provenance

HAS_GIT = shutil.which("git") is not None
needs_git = pytest.mark.skipif(not HAS_GIT, reason="git is not installed")


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True,
                          check=True).stdout.strip()


def checkout(root: Path, package: str = "src/trygghet", content: str = "x = 1\n") -> Path:
    """A git repository with one commit holding ``package/__init__.py``; the package dir."""
    folder = root / package
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text(content, encoding="utf-8")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "c")
    return folder


# --- The version and the libraries -------------------------------------------------------------

def test_the_version_is_the_package_metadata():
    info = provenance.provenance()
    assert info["trygghet"] == trygghet.__version__ == metadata.version("trygghet")
    assert info["python"] == ".".join(map(str, sys.version_info[:3]))


def test_key_library_versions_are_the_installed_ones():
    versions = provenance.provenance()["packages"]
    assert list(versions) == list(provenance.KEY_PACKAGES)
    assert versions["pandas"] == metadata.version("pandas")
    assert versions["weasyprint"] == metadata.version("weasyprint")
    assert provenance.package_versions(("no-such-distribution-xyz",)) == {
        "no-such-distribution-xyz": None}


def test_summary_names_everything_and_no_path():
    info = {"trygghet": "1.2.3", "commit": "abc123", "python": "3.11.7",
            "packages": {"pandas": "3.1.1", "numpy": None}}
    assert provenance.summary(info) == "trygghet 1.2.3 (commit abc123); Python 3.11.7; " \
                                       "pandas 3.1.1"
    assert provenance.summary(info | {"commit": None}).startswith("trygghet 1.2.3; Python")
    line = provenance.summary()
    assert line == provenance.summary()  # the same on every call
    assert str(REPO) not in line and "/" not in line


# --- The commit ----------------------------------------------------------------------------------

@needs_git
def test_the_commit_of_this_checkout_is_what_git_says():
    package = Path(trygghet.__file__).resolve().parent
    if package != REPO / "src" / "trygghet" or not (REPO / ".git").exists():
        pytest.skip("trygghet is not running from this checkout")
    head = git(REPO, "rev-parse", "HEAD")
    commit = provenance.git_commit()
    assert commit in (head, f"{head}-dirty")
    dirty = git(REPO, "status", "--porcelain", "--untracked-files=no", "--", "src", "notebooks")
    assert commit.endswith("-dirty") == bool(dirty)
    assert provenance.provenance()["commit"] == commit


@needs_git
def test_a_clean_checkout_gives_its_commit_and_a_changed_one_says_dirty(tmp_path):
    clean = checkout(tmp_path / "clean")
    assert provenance.git_commit(clean) == git(clean, "rev-parse", "HEAD")
    changed = checkout(tmp_path / "changed")
    (changed / "__init__.py").write_text("x = 2\n", encoding="utf-8")
    assert provenance.git_commit(changed) == git(changed, "rev-parse", "HEAD") + "-dirty"
    # An untracked file (the analyst's own notebook, a cache) is not a change of the code.
    untracked = checkout(tmp_path / "untracked")
    (untracked / "extra.py").write_text("", encoding="utf-8")
    assert not provenance.git_commit(untracked).endswith("-dirty")


@needs_git
def test_an_installed_copy_inside_another_repository_has_no_commit(tmp_path):
    """A virtual environment in an analyst's own repository: that commit is not ours."""
    package = checkout(tmp_path / "projekt", ".venv/lib/python3.11/site-packages/trygghet")
    assert provenance.git_commit(package) is None


def test_outside_a_repository_there_is_no_commit(tmp_path):
    package = tmp_path / "site-packages" / "trygghet"
    package.mkdir(parents=True)
    assert provenance.git_commit(package) is None


@needs_git
def test_without_git_there_is_no_commit_and_no_error(tmp_path, monkeypatch):
    package = checkout(tmp_path / "repo")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert provenance.git_commit(package) is None


@needs_git
def test_a_failing_git_gives_no_commit(tmp_path, monkeypatch):
    package = checkout(tmp_path / "repo")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "git"
    fake.write_text("#!/bin/sh\necho 'fatal: something' >&2\nexit 128\n", encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    assert provenance.git_commit(package) is None


@needs_git
def test_a_hook_pointing_git_elsewhere_does_not_mislead(tmp_path, monkeypatch):
    """Under a git hook GIT_DIR names the repository being committed to, not ours."""
    package = checkout(tmp_path / "ours")
    other = checkout(tmp_path / "other", content="y = 2\n")
    ours = git(package, "rev-parse", "HEAD")
    assert git(other, "rev-parse", "HEAD") != ours
    monkeypatch.setenv("GIT_DIR", str(other.parents[1] / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other.parents[1]))
    assert provenance.git_commit(package) == ours


# --- In the published files (the rendered sample) ---------------------------------------------

def test_weighting_json_records_the_provenance(sample_run):
    expected = provenance.provenance()
    for year in SAMPLE_YEARS:
        diag = json.loads((sample_run / f"data/processed/{year}/weighting.json")
                          .read_text(encoding="utf-8"))
        assert diag["provenance"] == expected


def test_the_excel_appendix_records_the_provenance(sample_run):
    line = provenance.summary()
    for year in SAMPLE_YEARS:
        path = sample_run / "reports" / str(year) / f"tabeller_{year}.xlsx"
        about = openpyxl.load_workbook(path)["Om tabellerna"]
        assert f"Framställt med {line}" in [row[0] for row in about.iter_rows(values_only=True)]
        with zipfile.ZipFile(path) as z:
            core = z.read("docProps/core.xml").decode()
        assert f"<dc:description>{line}</dc:description>" in core


def test_the_reports_record_the_provenance(sample_run):
    line = provenance.summary()
    folder = sample_run / "reports" / str(SAMPLE_REPORT_YEAR)
    pdfs = sorted(folder.glob("*.pdf"))
    assert len(pdfs) >= 2
    for pdf in pdfs:
        html = BeautifulSoup(pdf.with_suffix(".html").read_text(encoding="utf-8"), "html.parser")
        assert html.find("meta", attrs={"name": "generator"})["content"] == line
        meta = PdfReader(io.BytesIO(pdf.read_bytes())).metadata
        assert meta["/Creator"] == line
