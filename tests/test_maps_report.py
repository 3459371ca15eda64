"""The maps in the rendered reports: with the sample's schematic boundaries and without any.

The session's sample run (conftest ``sample_run``: ``trygghet report --year 2020``
with the area report of Upphärad) is read as published; a copy of it without the
``maps`` setting is rendered again to HTML and must get tile maps.
"""

from __future__ import annotations

import shutil

import pytest
from bs4 import BeautifulSoup
from conftest import SAMPLE_AREAS, SAMPLE_REPORT_YEAR, sample_env

from trygghet.cli import main
from trygghet.schema import slug

YEAR = SAMPLE_REPORT_YEAR


def alts(root, stem: str) -> list[str]:
    page = root / "reports" / str(YEAR) / f"{stem}.html"
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    return [img["alt"] for img in soup.find_all("img")]


def captions(root, stem: str) -> list[str]:
    page = root / "reports" / str(YEAR) / f"{stem}.html"
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    return [c.get_text(" ", strip=True) for c in soup.find_all("caption")]


def test_survey_report_has_both_maps_and_their_tables(sample_run):
    stem = f"trygghetsrapport_{YEAR}"
    maps = [a for a in alts(sample_run, stem) if a.startswith("Karta:")]
    assert len(maps) == 2
    assert "Känner sig otrygg ute ensam sent en kväll" in maps[0]
    assert "Problemindex" in maps[1]
    assert all(m.endswith("Schematisk karta, inte verkliga gränser.") for m in maps)
    assert sum(c.startswith("Kartans värden") for c in captions(sample_run, stem)) == 2


def test_area_report_outlines_its_area(sample_run):
    area = SAMPLE_AREAS[0]
    maps = [a for a in alts(sample_run, f"trygghetsrapport_{YEAR}_{slug(area)}")
            if a.startswith("Karta:")]
    assert len(maps) == 2
    assert all(f"{area} är markerat med tjock kant" in m for m in maps)


def test_follow_up_shows_where_the_rounds_were(sample_run):
    rounds = [a for a in alts(sample_run, f"loftesuppfoljning_{YEAR}")
              if a.startswith("Trygghetsronder")]
    assert len(rounds) == 1
    assert "Kronogården" in rounds[0] and "Lextorp" in rounds[0] and "Sylte" in rounds[0]
    assert "3 platser för iakttagelser är markerade" in rounds[0]


def test_without_boundaries_the_reports_get_tile_maps(sample_run, tmp_path):
    root = tmp_path / "sample"
    shutil.copytree(sample_run, root, ignore=shutil.ignore_patterns("reports"))
    config = root / "config" / "trygghet.yml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text[:text.index("\n# Maps")] + "\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        sample_env(mp)
        assert main(["--root", str(root), "report", "--year", str(YEAR), "--format",
                     "html"]) == 0
    maps = [a for a in alts(root, f"trygghetsrapport_{YEAR}") if a.startswith("Karta:")]
    assert len(maps) == 2 and all("Rutkarta" in m and "Schematisk" not in m for m in maps)
    rounds = [a for a in alts(root, f"loftesuppfoljning_{YEAR}")
              if a.startswith("Trygghetsronder")]
    assert len(rounds) == 1 and "Rutkarta" in rounds[0] and "platser" not in rounds[0]
