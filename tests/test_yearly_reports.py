"""The yearly reports end to end: `trygghet report` on a copy of the bundled sample.

The session's run of the sample (``sample_run`` in conftest: clean → estimate →
promises → notebooks → HTML → PDF, shared with the privacy, accessibility,
determinism and fault tests) renders both 2020 reports; the tests then read
what a board member and a resident would get. Privacy (test_privacy), accessibility
(test_accessibility) and byte-identical renders (test_determinism) have their own modules.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from helpers import NOTEBOOKS, SAMPLE_EPOCH, sample_env
from pypdf import PdfReader

from trygghet.cli import main

YEAR = 2020
EPOCH = "1767225600"  # 2026-01-01: fixed publication date, so renders can be compared


@pytest.fixture(scope="module")
def sample(sample_run):
    """The sample rendered once for the session (conftest: the whole yearly cycle, then
    ``trygghet report --year 2020``), with its environment set for the re-renders here."""
    assert EPOCH == SAMPLE_EPOCH
    mp = pytest.MonkeyPatch()
    sample_env(mp)
    yield sample_run
    mp.undo()


def reports(root: Path) -> Path:
    return root / "reports" / str(YEAR)


STEMS = (f"trygghetsrapport_{YEAR}", f"loftesuppfoljning_{YEAR}")


def test_both_reports_in_all_formats(sample):
    names = {p.name for p in reports(sample).iterdir()}
    for stem in STEMS:
        assert {f"{stem}.ipynb", f"{stem}.html", f"{stem}.pdf"} <= names
    assert f"tabeller_{YEAR}.xlsx" in names
    assert not [n for n in names if n.startswith(".") or n.endswith(".tmp")]


@pytest.mark.parametrize("stem", STEMS)
def test_html_is_self_contained_with_alt_text(sample, stem):
    html = (reports(sample) / f"{stem}.html").read_text(encoding="utf-8")
    # Nothing fetched: no remote src/href on resources, no scripts at all.
    assert not re.search(r"""(src|href)\s*=\s*["']?https?://""", html)
    assert not re.search(r"url\(\s*['\"]?https?://", html)
    assert "<script" not in html
    imgs = re.findall(r"<img\b[^>]*>", html)
    assert imgs, "the report has charts"
    for img in imgs:
        alt = re.search(r'alt="([^"]*)"', img)
        assert alt and alt.group(1).strip(), img[:120]
    assert "Syntetiska exempeldata" in html


def test_survey_report_content(sample):
    html = (reports(sample) / f"{STEMS[0]}.html").read_text(encoding="utf-8")
    for heading in ("Sammanfattning", "Om undersökningen", "Medborgarlöftet",
                    "Bilaga: tabeller"):
        assert f">{heading}</h2>" in html
    # Tables carry captions and header cells; suppressed cells use the official symbol.
    assert "<caption>" in html and '<th scope="col"' in html
    # Key messages are computed: the headline share is the published estimate.
    est = pd.read_parquet(sample / f"data/processed/{YEAR}/estimates.parquet")
    head = est[(est.indicator == "otrygg_kvall") & (est.group_var == "total")].iloc[0]
    assert f"{round(head.estimate * 100)}\u00a0% av invånarna" in html


@pytest.mark.parametrize("stem", STEMS)
def test_pdf_is_a4_with_cover_contents_and_page_numbers(sample, stem):
    pdf = PdfReader(reports(sample) / f"{stem}.pdf")
    box = pdf.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    text = [page.extract_text() for page in pdf.pages]
    assert "Syntetiska exempeldata" in text[0]
    assert "Innehåll" in text[1]
    for i, page in enumerate(text, start=1):
        assert f"Sida {i} av {len(text)}" in page
    joined = "\n".join(text)
    assert "import " not in joined and "report.load_" not in joined


def test_survey_report_pages(sample):
    pages = len(PdfReader(reports(sample) / f"{STEMS[0]}.pdf").pages)
    assert 8 <= pages <= 25


def test_papermill_cli_runs_the_survey_notebook(sample, tmp_path):
    """The bare papermill command works too (issue 5): another year, no trygghet CLI."""
    out = tmp_path / "out.ipynb"
    res = subprocess.run([sys.executable, "-m", "papermill",
                          str(NOTEBOOKS / "trygghetsrapport.ipynb"), str(out),
                          "-p", "year", "2021", "--cwd", str(sample)],
                         capture_output=True, text=True)
    # 2021 has not been estimated in this copy: the notebook says so in one message.
    if res.returncode != 0:
        assert "trygghet estimate --year 2021" in res.stdout + res.stderr
        assert main(["--root", str(sample), "estimate", "--year", "2021"]) == 0
        res = subprocess.run(res.args, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "Sammanfattning" in out.read_text(encoding="utf-8")


def test_area_report_is_about_its_area(sample):
    """An area report leads with the area's own figures, not the municipality's."""
    from bs4 import BeautifulSoup

    from trygghet.schema import slug

    area = "Upphärad"
    html = reports(sample) / f"trygghetsrapport_{YEAR}_{slug(area)}.html"
    soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
    summary = soup.find(["h2"], string=re.compile("Sammanfattning")).find_next("ul").get_text()
    assert f"I {area} känner sig" in summary and "områden" in summary
    heads = [h.get_text(" ", strip=True) for h in soup.find_all("h2")]
    assert heads.index(f"Fördjupning: {area}") == heads.index("Sammanfattning") + 1
    captions = " ".join(c.get_text(" ", strip=True) for c in soup.find_all("caption"))
    assert f"Andel i {area} som ser problemet" in captions
    assert f"Vad de svarande i {area} vill" in captions


def test_an_unknown_area_is_one_message_naming_the_areas(sample, capsys):
    before = sorted(p.name for p in reports(sample).iterdir())
    assert main(["--root", str(sample), "report", "--year", str(YEAR),
                 "--area", "Atlantis"]) == 2
    err = capsys.readouterr().err
    assert "okänt område 'Atlantis'" in err and "Kronogården" in err and "Traceback" not in err
    assert sorted(p.name for p in reports(sample).iterdir()) == before


def test_survey_notebook_in_english(sample, tmp_path):
    """language=en: the published text, tables and charts are in English."""
    out = tmp_path / "en.ipynb"
    res = subprocess.run([sys.executable, "-m", "papermill",
                          str(NOTEBOOKS / "trygghetsrapport.ipynb"), str(out),
                          "-p", "year", str(YEAR), "-p", "language", "en",
                          "--cwd", str(sample)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-2000:]
    import nbformat

    # What is published: the outputs, not the notebook's code.
    text = "\n".join(str(value) for cell in nbformat.read(out, as_version=4).cells
                      for output in cell.get("outputs", [])
                      for value in output.get("data", {}).values())
    for english in ("Summary", "Problems in the neighbourhood", "Rowdy young people",
                    "Women", "Appendix: tables", "95% CI"):
        assert english in text, english
    # One word per group in charts and tables alike (tables said "Woman" before).
    for swedish in ("Sammanfattning", "Bråkiga ungdomar", "Kvinna", "Woman", "\u00a0% KI"):
        assert swedish not in text, swedish


def test_survey_report_shows_the_reference_values(sample):
    """The bundled NTU value for the report year is in the summary, the charts and the
    appendix table, with its source; the verdict follows the published interval."""
    from bs4 import BeautifulSoup

    from trygghet import references

    refs = references.read_references(sample / "data" / "reference", YEAR)
    ref = refs[refs["indicator"] == "otrygg_kvall"].iloc[0]
    assert "andrahandsuppgift" in ref["source"]  # 2020's value is labelled as secondary
    est = pd.read_parquet(sample / f"data/processed/{YEAR}/estimates.parquet")
    head = est[(est.indicator == "otrygg_kvall") & (est.group_var == "total")].iloc[0]
    verdict = references.compare(head, ref["value"])
    phrase = {"higher": "högre än riket", "lower": "lägre än riket",
              "same": "i nivå med riket"}[verdict]
    html = (reports(sample) / f"{STEMS[0]}.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    summary = soup.find("h2", string="Sammanfattning").find_next("ul").get_text(" ")
    value = f"{round(ref['value'] * 100)}\u00a0%"
    assert f"Det är {phrase}: {value} enligt {ref['source']}." in summary
    alts = [img["alt"] for img in soup.find_all("img")]
    assert sum(f"Som jämförelse (streckprickad linje): Riket {value}." in a for a in alts) == 2
    notes = " ".join(d.get_text(" ") for d in soup.find_all("div", class_="table-notes"))
    assert f"Riket: {ref['source']}. {ref['note']}" in notes
    assert "**" not in soup.get_text() and "Jämförelse med referensvärden." in soup.get_text()
