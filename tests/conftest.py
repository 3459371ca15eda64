"""Shared fixtures: a small mapping and exports written from plain rows."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import yaml

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


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """An empty project folder with config/surveys/2020.yml = the mini mapping."""
    (tmp_path / "config" / "surveys").mkdir(parents=True)
    (tmp_path / "config" / "surveys" / "2020.yml").write_text(
        yaml.safe_dump(mini_mapping(), allow_unicode=True), encoding="utf-8")
    return tmp_path


@pytest.fixture(autouse=True)
def _pseudonym_key(monkeypatch):
    # Tests never create a key file in the repository.
    monkeypatch.setenv("TRYGGHET_PSEUDONYM_KEY", "test-key-" + "0" * 32)


# --- The rendered sample, shared by the end-to-end tests -------------------------------------
# One session-scoped run of the whole yearly cycle on a copy of the bundled sample. The
# modules that read it (yearly reports, privacy, accessibility, determinism, faults) never
# change it; a test that must change something copies it first.

REPO = Path(__file__).resolve().parents[1]
SAMPLE_EPOCH = "1767225600"   # 2026-01-01: fixed publication and PDF dates
SAMPLE_KEY = "sample-run-key-" + "0" * 32
SAMPLE_YEARS = (2019, 2020, 2021)
SAMPLE_REPORT_YEAR = 2020
# The smallest area of 2020 (about 50 respondents). Every area (`--all-areas`) would add
# 12 reports and about two minutes on two cores; they differ only in the parameter.
SAMPLE_AREAS = ("Upphärad",)


def copy_sample(dest: Path) -> Path:
    """A project folder with the sample's config, notebooks, raw and reference data."""
    import shutil

    for part in ("config", "notebooks", "data/raw", "data/reference"):
        shutil.copytree(REPO / part, dest / part)
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


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory) -> Path:
    """Project root of the sample after :func:`run_cycle` (environment restored after)."""
    root = copy_sample(tmp_path_factory.mktemp("sample"))
    with pytest.MonkeyPatch.context() as mp:
        sample_env(mp)
        run_cycle(root)
    return root
