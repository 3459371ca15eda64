"""Privacy end to end: nothing personal leaves ``data/processed/``.

The whole yearly cycle runs once on a copy of the sample (``sample_run`` in
conftest: clean, estimate and promises for 2019–2021, the 2020 survey report,
promise follow-up and the area report of the smallest area). Every file under
``reports/`` — HTML (with the charts' SVG decoded), PDF (text, metadata,
bookmarks, structure tree), executed notebooks (every string, outputs and
metadata), the Excel appendices (every cell, property and XML part) — and the
follow-up tables in ``data/processed/`` are then scanned for

* the sample's free text: every comment in ``responses.parquet`` and every
  free-text cell of the raw exports (quarantined and duplicate rows included);
* raw respondent ids, their pseudonyms, IP addresses and submission times;
* values that only the quarantine file may hold (misspelt areas, broken dates);
* absolute paths of the machine and the pseudonymisation key;

and every published estimate, count and change is checked against the
disclosure rules: n ≥ 30 or the symbol ``..``/``.``.

Short numeric ids (2020's *Löpnummer*, 1–4 digits) cannot be told apart from
published counts by scanning; for them the test relies on the pseudonym scan
and on no output holding respondent-level rows.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import json
import os
import re
import subprocess
import sys
import urllib.parse
import zipfile
from pathlib import Path

import nbformat
import openpyxl
import pandas as pd
import pytest
from bs4 import BeautifulSoup
from helpers import (
    EXAMPLE,
    NOTEBOOKS,
    REPO,
    SAMPLE_AREAS,
    SAMPLE_KEY,
    SAMPLE_REPORT_YEAR,
    SAMPLE_YEARS,
    write_notebook,
)
from pypdf import PdfReader

from trygghet import clean, free_text, load, pipeline, privacy, render, report_survey
from trygghet.config import Project
from trygghet.errors import TrygghetError
from trygghet.mapping import load_mapping
from trygghet.schema import slug

MIN_N = 30          # config/trygghet.yml → disclosure.min_n
MIN_CELL = 5        # config/trygghet.yml → disclosure.min_cell
SYMBOLS = ("..", ".")


# --- What a reader or a program can get out of a file ---------------------------------------

def _strings(node):
    """Every key and string value in a JSON document."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)
    elif isinstance(node, str):
        yield node


def _pdf_objects(node, seen):
    """Strings in a PDF object graph (structure tree: alt texts, actual texts, titles)."""
    node = node.get_object() if hasattr(node, "get_object") else node
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("/P", "/Pg", "/Parent", "/ParentTree"):
                continue
            yield from _pdf_objects(value, seen)
    elif isinstance(node, list):
        for value in node:
            yield from _pdf_objects(value, seen)
    elif isinstance(node, str):
        yield str(node)


def readable(path: Path) -> list[str]:
    """Every text in an output file, as a reader or a program could get it."""
    suffix = path.suffix.lower()
    if suffix == ".html":
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        parts = []
        for tag in soup.find_all(src=True):
            meta, _, data = tag["src"].partition(",")
            if meta.startswith("data:"):
                parts.append(base64.b64decode(data).decode("utf-8", "replace")
                             if meta.endswith(";base64") else urllib.parse.unquote(data))
                tag["src"] = ""   # decoded above; base64 noise would only hide things
        markup = str(soup)
        parts += [markup, html.unescape(markup), soup.get_text(" ")]
        return parts
    if suffix == ".ipynb":
        return list(_strings(json.loads(path.read_text(encoding="utf-8"))))
    if suffix == ".pdf":
        reader = PdfReader(path)
        parts = [page.extract_text() for page in reader.pages]
        parts += [str(v) for v in (reader.metadata or {}).values()]
        root = reader.trailer["/Root"]
        if "/Metadata" in root:  # XMP
            parts.append(root["/Metadata"].get_object().get_data().decode("utf-8", "replace"))
        if "/StructTreeRoot" in root:
            parts += list(_pdf_objects(root["/StructTreeRoot"], set()))

        def titles(outline):
            for item in outline:
                if isinstance(item, list):
                    yield from titles(item)
                else:
                    yield str(item.title)

        parts += list(titles(reader.outline))
        return parts
    if suffix == ".xlsx":
        wb = workbook(path)
        parts = list(wb.sheetnames)
        for ws in wb.worksheets:
            parts += [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
        props = wb.properties
        parts += [str(getattr(props, k)) for k in ("creator", "title", "subject", "description",
                                                   "keywords", "lastModifiedBy", "category")]
        with zipfile.ZipFile(path) as z:  # anything openpyxl does not surface
            parts += [z.read(n).decode("utf-8", "replace") for n in z.namelist()
                      if n.endswith((".xml", ".rels"))]
        return parts
    return [path.read_bytes().decode("utf-8", "replace")]


@functools.cache
def workbook(path: Path):
    """An Excel appendix, loaded once for all the tests that read it."""
    return openpyxl.load_workbook(path)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _tokens(text: str) -> set[str]:
    """Id-like tokens; a dot or dash inside keeps a decimal (an SVG coordinate) whole."""
    return {t.strip(".-") for t in re.findall(r"[0-9A-Za-z][0-9A-Za-z.\-]*", text)}


# --- The sample's personal data ---------------------------------------------------------------

def _raw_exports(root: Path):
    project = Project.find(root)
    for year in SAMPLE_YEARS:
        mapping = load_mapping(project.mapping(year))
        raw = load.read_export(mapping.source_path(project.root), mapping)
        frame = raw.frame.copy()
        frame.columns = raw.headers
        yield year, mapping, frame


@pytest.fixture(scope="module")
def personal(sample_run):
    """What must never be published, from the processed data and the raw exports."""
    comments, ids, ips, stamps = set(), set(), set(), set()
    for _year, mapping, frame in _raw_exports(sample_run):
        comments |= {_norm(c) for c in frame[mapping.columns["comment"]] if c.strip()}
        ids |= {i.strip() for i in frame[mapping.columns["respondent_id"]] if i.strip()}
        if "IP-adress" in frame:
            ips |= {i.strip() for i in frame["IP-adress"] if i.strip()}
        stamps |= {_norm(s) for s in frame[mapping.columns["submitted"]]
                   if re.search(r"\d:\d\d", s)}
    pseudonyms, quarantined = set(), set()
    for year in SAMPLE_YEARS:
        folder = sample_run / "data" / "processed" / str(year)
        responses = pd.read_parquet(folder / "responses.parquet")
        comments |= {_norm(c) for c in free_text.load_answers(folder) if c.strip()}
        pseudonyms |= set(responses["respondent_id"])
        q = pd.read_csv(folder / "quarantine.csv", dtype=str, keep_default_na=False)
        # Misspelt areas, postcodes and broken dates; not plain words ("saknas").
        quarantined |= {v for v in q.loc[q["reason"].isin(["okant_omrade", "ogiltigt_datum"]),
                                         "value"] if len(v) >= 6 and not v.islower()}
    return {"comments": comments, "ids": ids, "ips": ips, "stamps": stamps,
            "pseudonyms": pseudonyms, "quarantined": quarantined}


def test_the_sample_has_personal_data_to_look_for(personal):
    # Otherwise the scans below would pass vacuously.
    assert len(personal["comments"]) > 50
    assert any("@" in c for c in personal["comments"])          # an e-mail address
    assert any("70 123" in c for c in personal["comments"])     # a phone number
    assert len(personal["ids"]) > 3000 and len(personal["ips"]) > 200
    assert len(personal["pseudonyms"]) > 3000 and len(personal["stamps"]) > 1000
    assert {"Vänersborg", "Kronogårdn"} <= personal["quarantined"]


def published_files(root: Path) -> list[Path]:
    """Everything under reports/, and the follow-up tables the notebooks publish from."""
    files = sorted(p for p in (root / "reports").rglob("*") if p.is_file())
    files += sorted((root / "data" / "processed").glob("*/promises.csv"))
    return files


def test_everything_was_rendered(sample_run):
    names = {p.name for p in published_files(sample_run)}
    y = SAMPLE_REPORT_YEAR
    stems = [f"trygghetsrapport_{y}", f"loftesuppfoljning_{y}", f"invanarsrapport_{y}",
             *(f"trygghetsrapport_{y}_{slug(a)}" for a in SAMPLE_AREAS)]
    assert {f"{s}.{x}" for s in stems for x in ("ipynb", "html", "pdf")} <= names
    assert {f"tabeller_{year}.xlsx" for year in SAMPLE_YEARS} <= names
    assert names >= {"promises.csv"}


@pytest.fixture(scope="module")
def texts(sample_run):
    """Per published file: all its readable text, whitespace-normalised."""
    return {p: _norm("\n".join(readable(p))) for p in published_files(sample_run)}


def test_no_free_text_in_any_output(texts, personal):
    needles = sorted(personal["comments"])
    squeezed = {c: _squeeze(c) for c in needles}
    found = {}
    for path, text in texts.items():
        hits = [c for c in needles if c in text]
        if path.suffix == ".pdf":  # text extraction may drop or add spaces
            flat = _squeeze(text)
            hits += [c for c in needles if len(squeezed[c]) >= 8 and squeezed[c] in flat]
        if hits:
            found[path.name] = sorted(set(hits))[:5]
    assert not found


def test_no_ids_pseudonyms_addresses_or_times_in_any_output(texts, personal):
    long_ids = {i for i in personal["ids"] if len(i) >= 5}
    assert len(long_ids) > 2500   # 2019's six-digit ids and 2021's TM21-xxxxx
    for path, text in texts.items():
        tokens = _tokens(text)
        assert not tokens & long_ids, (path.name, sorted(tokens & long_ids)[:5])
        assert not tokens & personal["pseudonyms"], path.name
        assert not tokens & personal["ips"], path.name
        assert not re.search(r"\b192\.0\.2\.\d{1,3}\b", text), path.name
        stamps = set(re.findall(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(?::\d\d)?|\d\d/\d\d/\d{4} \d\d:\d\d",
                                text))
        assert not stamps & personal["stamps"], (path.name, sorted(stamps)[:3])


def test_no_quarantined_values_in_any_output(texts, personal):
    for path, text in texts.items():
        for value in personal["quarantined"]:
            assert not re.search(rf"(?<!\w){re.escape(value)}(?!\w)", text), (path.name, value)


def test_no_paths_of_the_machine_and_no_key_in_any_output(texts, sample_run):
    # An absolute path can name the user (/home/anna.svensson/…); the key must stay secret.
    machine = {str(sample_run), str(sample_run.resolve()), str(REPO), sys.prefix,
               str(Path.home()) if len(str(Path.home())) > 1 else str(REPO)}
    for path, text in texts.items():
        assert not [m for m in machine if m in text], path.name
        assert SAMPLE_KEY not in text, path.name
    for path in (sample_run / "data" / "processed").rglob("*"):
        if path.is_file():
            assert SAMPLE_KEY.encode() not in path.read_bytes(), path
    # The key came from the environment: no key file was written into the project.
    assert not (sample_run / privacy.KEY_FILE).exists()


def test_executed_notebooks_hold_only_what_the_report_shows(sample_run):
    """No printed output, warning, error or DataFrame repr: a ``df.head()`` or a library
    warning (with its file path) would otherwise be published with the .ipynb."""
    for path in sorted((sample_run / "reports").rglob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for number, cell in enumerate(nb.cells, start=1):
            for output in cell.get("outputs", []):
                where = f"{path.name}, cell {number}"
                assert output["output_type"] in ("display_data", "execute_result"), where
                data = output.get("data", {})
                assert 'class="dataframe"' not in data.get("text/html", ""), where
                assert not set(data) - {"text/plain", "text/markdown", "text/html",
                                        "image/svg+xml", render.DOCUMENT_MIME}, where
        # Run metadata: no clock times, no absolute paths (see render.execute._reproducible).
        run = nb.metadata["papermill"]
        assert not {"start_time", "end_time", "duration"} & set(run)
        assert run["input_path"] in ("trygghetsrapport.ipynb", "loftesuppfoljning.ipynb",
                                     "invanarsrapport.ipynb")
        assert run["output_path"] == path.name
        assert all("execution" not in c.metadata for c in nb.cells)


def test_pdf_metadata_names_nothing_personal(sample_run):
    for path in sorted((sample_run / "reports").rglob("*.pdf")):
        meta = PdfReader(path).metadata
        assert set(meta) <= {"/Title", "/Author", "/Creator", "/Producer", "/CreationDate",
                             "/ModDate", "/Subject", "/Keywords", "/Lang"}, path.name
        assert "Trollhättan" in str(meta.get("/Author", "Trollhättan"))


def test_appendix_has_no_hidden_parts(sample_run):
    for path in sorted((sample_run / "reports").rglob("*.xlsx")):
        wb = workbook(path)
        assert all(ws.sheet_state == "visible" for ws in wb.worksheets), path.name
        assert not list(wb.defined_names), path.name
        for ws in wb.worksheets:
            assert not [c for row in ws.iter_rows() for c in row if c.comment], path.name
        with zipfile.ZipFile(path) as z:
            assert not [n for n in z.namelist() if "comment" in n or "customXml" in n
                        or n.startswith("xl/media")], path.name


# --- The processed data keep pseudonyms, never raw ids ----------------------------------------

def test_processed_data_hold_pseudonyms_not_raw_ids(sample_run, personal):
    for year in SAMPLE_YEARS:
        folder = sample_run / "data" / "processed" / str(year)
        for name in ("responses.parquet", "weights.parquet"):
            ids = pd.read_parquet(folder / name)["respondent_id"].astype(str)
            assert ids.str.fullmatch(r"[0-9a-f]{16}").all(), (year, name)
            assert not set(ids) & personal["ids"], (year, name)
        responses = pd.read_parquet(folder / "responses.parquet")
        assert not [c for c in responses.columns if "ip" in c.lower().split("_")]
        for name in ("duplicates.csv", "quarantine.csv", "cleaning_log.json",
                     "weighting.json"):
            text = (folder / name).read_text(encoding="utf-8")
            assert not re.search(r"\b192\.0\.2\.\d{1,3}\b", text), (year, name)
            assert not _tokens(text) & {i for i in personal["ids"] if len(i) >= 5}, (year, name)
        # Free text stays in responses.parquet: not even the quarantine file holds it.
        q = (folder / "quarantine.csv").read_text(encoding="utf-8")
        assert not [c for c in personal["comments"] if len(c) >= 12 and c in _norm(q)]


def test_pseudonyms_change_with_the_key_and_hide_the_id(sample_run):
    project = Project.find(sample_run)
    mapping = load_mapping(project.mapping(2021))
    raw = load.read_export(mapping.source_path(project.root), mapping)
    one = clean.clean(raw, mapping, key=b"a" * 40).responses
    two = clean.clean(raw, mapping, key=b"b" * 40).responses
    assert len(one) == len(two) > 1000
    assert one["respondent_id"].is_unique
    assert not set(one["respondent_id"]) & set(two["respondent_id"])
    # Everything but the id is the same, row for row.
    pd.testing.assert_frame_equal(one.drop(columns="respondent_id"),
                                  two.drop(columns="respondent_id"))
    raw_ids = {i for i in raw.frame[raw.headers.index(mapping.columns["respondent_id"])] if i}
    assert len(raw_ids) > 1000
    for pid in one["respondent_id"]:
        assert re.fullmatch(r"[0-9a-f]{16}", pid)
        assert not [i for i in raw_ids if i in pid]
    # Keyed: not the plain hash of the id, which anyone could recompute from a guess.
    plain = {hashlib.sha256(i.encode()).hexdigest()[:16] for i in raw_ids}
    assert not plain & set(one["respondent_id"])


def test_key_comes_from_environment_or_an_ignored_file(tmp_path, monkeypatch):
    monkeypatch.setenv(privacy.KEY_ENV, "x" * 40)
    assert privacy.pseudonym_key(tmp_path) == b"x" * 40
    assert not (tmp_path / privacy.KEY_FILE).exists()     # the environment wins; no file
    monkeypatch.delenv(privacy.KEY_ENV)
    key = privacy.pseudonym_key(tmp_path)
    path = tmp_path / privacy.KEY_FILE
    assert path.read_text().strip().encode() == key and len(key) >= 64
    assert path.stat().st_mode & 0o777 == 0o600           # readable by the owner only
    assert privacy.pseudonym_key(tmp_path) == key          # kept, not regenerated


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: p.mkdir(), "är en mapp"),
    (lambda p: os.mkfifo(p), "namngiven pipe"),              # reading would block for ever
    (lambda p: p.symlink_to("/dev/zero"), "enhetsfil"),       # reading would never end
    (lambda p: p.symlink_to(p.parent / "borta"), "länken pekar på en fil som inte finns"),
    (lambda p: p.write_bytes(b"\xff\xfe" * 40), "inte text"),
])
def test_a_key_file_that_cannot_be_a_key_is_one_message(tmp_path, monkeypatch, make, message):
    """The key file is never replaced behind the analyst's back: a new key is new pseudonyms."""
    monkeypatch.delenv(privacy.KEY_ENV)
    path = tmp_path / privacy.KEY_FILE
    make(path)
    with pytest.raises(TrygghetError, match=message) as err:
        privacy.pseudonym_key(tmp_path)
    assert err.value.file == str(path) and err.value.hint
    assert path.is_symlink() or path.exists()  # left as it was


def test_a_short_key_in_the_environment_is_refused(tmp_path, monkeypatch):
    """A guessable key would let anyone recompute the pseudonyms from guessed ids."""
    monkeypatch.setenv(privacy.KEY_ENV, "hemligt")
    with pytest.raises(TrygghetError, match="för kort") as err:
        privacy.pseudonym_key(tmp_path)
    assert err.value.column == privacy.KEY_ENV and "secrets.token_hex" in err.value.hint


def test_free_text_cut_short_by_a_displayed_table_is_still_found(tmp_path):
    """pandas shows 50 characters of a long answer and '...': still an answer."""
    long = ("Anna Andersson på Storgatan 12 ringer polisen varje kväll om grannens hund "
            "och ingen gör något åt saken")
    shown = tmp_path / "r.html"
    shown.write_text(f"<td>{long[:47]}...</td>", encoding="utf-8")
    with pytest.raises(TrygghetError, match="1 fritextsvar") as err:
        free_text.check_published([long, "Nej tack", "Nej tack igen"], [shown])
    assert err.value.file == str(shown) and long[:20] not in str(err.value)
    clean_page = tmp_path / "ok.html"
    clean_page.write_text("<p>Nej tack. Anna är ett vanligt namn.</p>", encoding="utf-8")
    free_text.check_published([long, "Nej tack"], [clean_page])  # short answers never block


ANSWER = "Grannen Anna Svensson på Parkvägen 12 langar, alla vet det."


@pytest.mark.parametrize("shown", [
    "<td>GRANNEN ANNA SVENSSON PÅ PARKVÄGEN 12 LANGAR, ALLA VET DET.</td>",  # .str.upper()
    "['Grannen', 'Anna', 'Svensson', 'på', 'Parkvägen', '12', 'langar,']",   # .split()
    "Grannen\nAnna\nSvensson\npå\nParkvägen",                              # a word a line
    "<td>grannen</td><td>anna</td><td>svensson</td><td>på</td>",             # a word a cell
    "<p>… anna svensson på parkvägen …</p>",                                 # four words of it
    '<img alt="Grannen Anna Svensson på" src="data:image/png;base64,AAAA">',  # in alt text
], ids=["upper", "split", "lines", "cells", "four-words", "alt-text"])
def test_free_text_rewritten_or_in_pieces_is_still_found(tmp_path, shown):
    """Case, punctuation, brackets, quotes and markup do not hide an answer's words."""
    page = tmp_path / "r.html"
    page.write_text(shown, encoding="utf-8")
    with pytest.raises(TrygghetError, match="1 fritextsvar"):
        free_text.check_published([ANSWER, "Mer belysning behövs i parken"], [page])


def test_an_answer_in_a_chart_is_found(tmp_path):
    """Chart labels are text in the SVG, embedded as base64 in the page."""
    svg = f"<svg><text>{ANSWER.upper()}</text></svg>".encode()
    page = tmp_path / "r.html"
    page.write_text(f'<img alt="Diagram" src="data:image/svg+xml;base64,'
                    f'{base64.b64encode(svg).decode()}">', encoding="utf-8")
    with pytest.raises(TrygghetError, match="fritextsvar"):
        free_text.check_published([ANSWER], [page])


def test_common_words_an_answer_shares_with_the_report_do_not_block_it(tmp_path):
    """Four words in a row are common Swedish: an answer that says "… när bussen är sen"
    must not stop a report whose notebook says "Många väntar vid hållplatsen när bussen är
    sen". (The words must not be the toolkit's own, which are always public.) Text the
    analyst or the toolkit wrote is public; a leak is still found by the
    answer's own words, and a quote of eight words is refused even if every four-word
    run of it is public."""
    answer = "Äldre känner sig otrygga att gå till affären när bussen är sen."
    notebook = "say('Många väntar vid hållplatsen när bussen är sen på kvällen och natten.')"
    page = tmp_path / "r.html"
    page.write_text("<p>Många väntar vid hållplatsen när bussen är sen på kvällen.</p>",
                    encoding="utf-8")
    with pytest.raises(TrygghetError):   # without the notebook's text as public text
        free_text.check_published([answer], [page])
    free_text.check_published([answer], [page], public=[notebook])
    # Questions' wording is always public: an answer that echoes it is not a leak.
    echo = "Hur trygg eller otrygg känner du dig? Ganska otrygg faktiskt"
    question = tmp_path / "q.html"
    question.write_text("<p>Hur trygg eller otrygg känner du dig</p>", encoding="utf-8")
    free_text.check_published([echo], [question])
    # A leak beside public words is found by the answer's own words.
    page.write_text("<p>ÄLDRE KÄNNER SIG OTRYGGA ATT GÅ TILL AFFÄREN när bussen är sen</p>",
                    encoding="utf-8")
    with pytest.raises(TrygghetError):
        free_text.check_published([answer], [page], public=[notebook])
    # A quote made of public text is still a quote.
    quote = "Många väntar vid hållplatsen när bussen är sen på kvällen och natten, ingen bryr sig"
    page.write_text(f"<p>{quote}</p>", encoding="utf-8")
    with pytest.raises(TrygghetError):
        free_text.check_published([quote], [page], public=[notebook])


def test_key_file_is_git_ignored_and_no_key_is_tracked():
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    ignored = subprocess.run(["git", "-C", str(REPO), "check-ignore", "-q", privacy.KEY_FILE])
    assert ignored.returncode == 0, ".trygghet_key must be listed in .gitignore"
    tracked = subprocess.run(["git", "-C", str(REPO), "ls-files"], capture_output=True,
                             text=True, check=True).stdout.splitlines()
    keylike = re.compile(r"(^|/)(\.trygghet_key|\.env|id_rsa|id_ed25519)$|"
                         r"\.(key|pem|p12|pfx)$|secret|token", re.I)
    assert not [f for f in tracked if keylike.search(f)]
    # Nor is a key written into any tracked text file.
    for name in tracked:
        path = REPO / name
        if path.suffix in (".py", ".yml", ".yaml", ".toml", ".cfg", ".ini", ".json", ".md"):
            assert not re.search(rf"{privacy.KEY_ENV}\s*=\s*['\"]?[0-9a-f]{{32,}}",
                                 path.read_text(encoding="utf-8", errors="replace")), name


def test_raw_exports_are_only_read(sample_run):
    """After the whole cycle the raw folder holds exactly the files it was given."""
    given = {p.relative_to(EXAMPLE / "data" / "raw"): p.read_bytes()
             for p in (EXAMPLE / "data" / "raw").rglob("*") if p.is_file()}
    after = {p.relative_to(sample_run / "data" / "raw"): p.read_bytes()
             for p in (sample_run / "data" / "raw").rglob("*") if p.is_file()}
    assert after == given


def test_raw_data_outside_the_sample_is_git_ignored():
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    for candidate in ("data/raw/2022/export.csv", "data/raw/2020/riktig_export.xlsx",
                      "data/processed/2020/responses.parquet", "reports/2020/rapport.html",
                      "examples/trollhattan/data/raw/2022/export.csv",
                      "examples/trollhattan/data/raw/2020/riktig_export.xlsx",
                      "examples/trollhattan/data/processed/2020/responses.parquet",
                      "examples/trollhattan/reports/2020/rapport.html",
                      "examples/trollhattan/.trygghet_key"):
        ignored = subprocess.run(["git", "-C", str(REPO), "check-ignore", "-q", candidate])
        assert ignored.returncode == 0, candidate


# --- Disclosure control on everything published -------------------------------------------------

def test_published_estimates_rest_on_enough_answers(sample_run):
    for year in SAMPLE_YEARS:
        est = pd.read_parquet(sample_run / "data" / "processed" / str(year) / "estimates.parquet")
        shown = est[~est["suppressed"]]
        assert (shown["n"] >= MIN_N).all(), year
        assert shown["estimate"].notna().all(), year
        hidden = est[est["suppressed"]]
        assert hidden["n"].isna().all() and hidden["estimate"].isna().all(), year
        assert hidden[["se", "ci_low", "ci_high"]].isna().all().all(), year
        assert set(hidden["symbol"]) <= set(SYMBOLS), year
        changes = pd.read_parquet(sample_run / "data" / "processed" / str(year)
                                  / "changes.parquet")
        if changes.empty:   # the first year has nothing to change from
            continue
        moved = changes[~changes["suppressed"]]
        assert ((moved["n_from"] >= MIN_N) & (moved["n_to"] >= MIN_N)).all(), year
        assert changes.loc[changes["suppressed"], "diff"].isna().all(), year
    # The sample does exercise the rule (2019: respondents aged 80+ and outside the areas).
    est = pd.read_parquet(sample_run / "data" / "processed" / "2019" / "estimates.parquet")
    assert (est["suppression_reason"] == "reliability").sum() > 0


def test_no_published_share_reveals_fewer_than_five_people(sample_run):
    """Tallied again from the cleaned responses: for every published share, the
    respondents with the trait and those without are each none or at least five."""
    from trygghet.indicators import respondent_values

    checked = 0
    for year in SAMPLE_YEARS:
        folder = sample_run / "data" / "processed" / str(year)
        est = pd.read_parquet(folder / "estimates.parquet")
        responses = pd.read_parquet(folder / "responses.parquet")
        values = respondent_values(responses)
        shown = est[~est["suppressed"] & est["kind"].eq("share")
                    & est["estimate_type"].isin(["weighted", "unweighted"])]
        for group_var in ("total", "sex", "age_group", "area"):
            rows = shown[shown["group_var"] == group_var]
            keys = (pd.Series("Totalt", index=responses.index) if group_var == "total"
                    else responses[group_var].astype(str))
            yes = values.eq(1).groupby(keys).sum()
            no = values.eq(0).groupby(keys).sum()
            for ind, group in zip(rows["indicator"], rows["group"], strict=True):
                for k in (yes.loc[group, ind], no.loc[group, ind]):
                    assert k == 0 or k >= MIN_CELL, (year, ind, group_var, group, k)
                checked += 1
    assert checked > 1000
    # The rule is exercised: some shares with enough respondents are hidden for their cells.
    est = pd.read_parquet(sample_run / "data" / "processed" / "2020" / "estimates.parquet")
    cells = est[est["suppression_reason"].eq("disclosure") | est["suppression_reason"]
                .eq("secondary")]
    assert len(cells) > 0


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def test_appendix_cells_rest_on_enough_answers(sample_run):
    for year in SAMPLE_YEARS:
        path = sample_run / "reports" / str(year) / f"tabeller_{year}.xlsx"
        wb = workbook(path)
        changes = pd.read_parquet(sample_run / "data" / "processed" / str(year)
                                  / "changes.parquet")
        symbols = 0
        for ws in wb.worksheets[1:]:
            if ws.title == "Referensvärden":  # others' published figures, no respondents
                continue
            rows = list(ws.iter_rows(min_row=3, values_only=True))
            head, body = rows[0], [r for r in rows[1:] if r[1]]
            if ws.title == "Förändringar":
                col = {h: i for i, h in enumerate(head)}
                index = {(r.indicator, r.group, r.year_from): r
                         for r in changes.itertuples(index=False)}
                assert len(index) == len(changes)
                for r in body:
                    values = [r[col["Värde från"]], r[col["Värde till"]], r[col["Skillnad"]]]
                    if not any(_is_number(v) for v in values):
                        continue
                    m = index[(r[col["Indikatornamn"]], str(r[col["Grupp"]]).lstrip("'"),
                               r[col["Från år"]])]
                    assert not m.suppressed and min(m.n_from, m.n_to) >= MIN_N, (path.name, r)
                continue
            col = {h: i for i, h in enumerate(head)}
            n_col = col["Antal svarande"]
            value_cols = [i for h, i in col.items()
                          if h.startswith(("Andel", "Medelvärde", "Värde", "Standardfel",
                                           "Nedre", "Övre"))]
            for r in body:
                n = r[n_col]
                if n in SYMBOLS:
                    symbols += 1
                    assert not [r[i] for i in value_cols if _is_number(r[i])], \
                        (path.name, ws.title, r[:6])
                else:
                    assert _is_number(n) and n >= MIN_N, (path.name, ws.title, r[:6])
        if year == 2019:
            assert symbols > 0   # the rule is exercised


def _html_number(text: str) -> float | None:
    text = text.replace("\u00a0", "").replace(" ", "").replace("%", "").replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return None


def _report_tables(path: Path):
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    for table in soup.find_all("table"):
        head = [th.get_text(" ", strip=True) for th in table.find("thead").find_all("th")]
        for tr in table.find("tbody").find_all("tr"):
            cells = [c.get_text(" ", strip=True) for c in tr.find_all(["th", "td"])]
            if len(cells) == len(head):
                yield table.find("caption").get_text(strip=True), dict(zip(head, cells,
                                                                           strict=True))


def test_report_tables_show_no_small_groups(sample_run):
    seen = 0
    for path in sorted((sample_run / "reports").rglob("*.html")):
        for caption, row in _report_tables(path):
            if "Antal svar" not in row:
                continue
            seen += 1
            n = row["Antal svar"]
            if n in SYMBOLS:
                assert row["Skattning"] in SYMBOLS, (path.name, caption, row)
                assert row.get("95\u00a0% KI", "..") in SYMBOLS + ("–",), (path.name, row)
            else:
                assert _html_number(n) >= MIN_N, (path.name, caption, row)
    assert seen > 15


def test_area_report_of_a_small_area_shows_only_symbols(sample_run, tmp_path, monkeypatch):
    """With the report's min_cell raised above the area's size, the area report
    publishes no figure for the area (the report can only tighten the rule)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    area = SAMPLE_AREAS[0]
    est = pd.read_parquet(sample_run / "data" / "processed" / "2020" / "estimates.parquet")
    n_area = est[(est["group_var"] == "area") & (est["group"] == area)]["n"].max()
    result = render.render_notebook(
        NOTEBOOKS / "trygghetsrapport.ipynb", tmp_path, "liten",
        {"year": 2020, "area": area, "min_cell": int(n_area) + 1}, formats=("html",),
        cwd=sample_run)
    path = result.files["html"]
    rows = [(c, r) for c, r in _report_tables(path)]
    focus = [r for c, r in rows if c.startswith(f"{area} jämfört")]
    assert focus, "the area report has its focus table"
    for r in focus:
        assert r[area] in SYMBOLS, r
    by_group = [(c, r) for c, r in rows if next(iter(r.values())) == area]
    assert by_group, "the appendix has a row for the area"
    for caption, r in by_group:
        assert all(v in SYMBOLS for v in list(r.values())[1:]), (caption, r)
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    alts = [img["alt"] for img in soup.find_all("img") if area in img["alt"]]
    assert alts, "the charts by area say that the area is not shown"
    for alt in alts:
        assert "redovisas inte" in alt and not re.search(rf"{area} \(\d", alt), alt


# How a notebook might show the answers: each must be refused, whole or in pieces.
LEAKS = {
    "table": "display(answers.to_frame().head(20))",
    "upper": "display(answers.str.upper().to_frame())",
    "split": "for a in answers:\n    print(a.split())",
    "markdown": "from IPython.display import Markdown\n"
                "display(Markdown(' '.join(w for a in answers for w in a.split())))",
}


@pytest.mark.parametrize("how", list(LEAKS))
def test_a_notebook_that_shows_free_text_is_not_published(sample_run, tmp_path, monkeypatch,
                                                           capsys, how):
    """Defence in depth: a report notebook is code, and it can read the free-text file
    (the report API never gives it the answers). Shown as a table, upper-cased, split into
    words or run together, ``trygghet report`` finds them in the rendered files and
    refuses: exit 2, nothing published."""
    import shutil

    from trygghet.cli import main

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    root = tmp_path / "projekt"
    for part in ("config", "data", "reports"):
        shutil.copytree(sample_run / part, root / part)
    (root / "notebooks").mkdir()  # the workspace's own report notebooks, written below
    v4 = nbformat.v4
    for name, params in (("trygghetsrapport.ipynb", "year = 2020\narea = None"),
                         ("loftesuppfoljning.ipynb", "year = 2020")):
        write_notebook(root / "notebooks" / name, [
            v4.new_markdown_cell("## Synpunkter"),
            v4.new_code_cell(
                "import pandas as pd\nfrom IPython.display import display\n"
                "from trygghet.config import Project\n"
                "folder = Project.find().processed(year)\n"
                "answers = pd.read_parquet(folder / 'free_text.parquet')['comment']\n"
                "answers = answers[answers.str.contains('Parkvägen')]\n" + LEAKS[how]
                if name.startswith("trygghet") else "x = 1"),
        ], params)
    before = {p: p.read_bytes() for p in (root / "reports").rglob("*") if p.is_file()}
    status = main(["--root", str(root), "report", "--year", "2020", "--format", "html",
                   "--jobs", "1"])
    err = capsys.readouterr().err
    assert status == 2, err
    assert "fritextsvar" in err and "trygghetsrapport_2020" in err and "Traceback" not in err
    assert "Parkvägen" not in err and "PARKVÄGEN" not in err  # the message repeats nothing
    after = {p: p.read_bytes() for p in (root / "reports").rglob("*") if p.is_file()}
    assert after == before
    assert not [p for p in (root / "reports").rglob(".*")]


def test_no_free_text_where_notebooks_read(sample_run):
    """Structural: the tables a notebook reads have no free-text column, and hold none of
    the answers; the report API and load_responses hand out no free text."""
    project = Project(sample_run)
    for year in SAMPLE_YEARS:
        folder = project.processed(year)
        answers = {a for a in free_text.load_answers(folder) if len(a.split()) >= 4}
        assert answers, year
        assert {"respondent_id", "comment"} <= set(pd.read_parquet(
            folder / free_text.FILE_NAME).columns)
        for path in sorted(folder.glob("*")):
            if path.name == free_text.FILE_NAME or path.suffix not in (".parquet", ".csv",
                                                                      ".json"):
                continue
            if path.suffix == ".parquet":
                frame = pd.read_parquet(path)
                assert not set(frame.columns) & set(free_text.FREE_TEXT), path
                cells = {str(v) for c in frame.columns if frame[c].dtype != float
                         for v in frame[c].dropna().unique()}
            else:
                cells = {path.read_text(encoding="utf-8")}
            text = "\n".join(cells)
            assert not [a for a in answers if a in text], path.name
        responses = pipeline.load_responses(project, year)
        assert not set(responses.columns) & set(free_text.FREE_TEXT)
    rep = report_survey.load_survey_report(SAMPLE_REPORT_YEAR, project=project)
    for value in vars(rep).values():
        if isinstance(value, pd.DataFrame):
            assert not set(value.columns) & set(free_text.FREE_TEXT)


def test_pseudonyms_equal_the_standard_hmac_for_long_keys_and_many_ids():
    """The copied SHA-256 states (issue 19) against :func:`hmac.new`: a key longer than
    SHA-256's block is hashed first (RFC 2104), a short one padded with zeros."""
    import hashlib
    import hmac

    from trygghet.privacy import pseudonymise

    ids = [str(i) for i in range(500)] + ["Åsa Öberg", "", "x" * 300]
    for key in (b"L" * 100, b"k" * 64, b"\x00" * 33, bytes(range(65))):
        expected = [hmac.new(key, f"2020|{i}".encode(), hashlib.sha256).hexdigest()[:16]
                    for i in ids]
        assert pseudonymise(ids, key, context="2020") == expected


def test_pseudonymiser_in_a_child_process_gives_the_same_pseudonyms(monkeypatch):
    """The child process (issue 19) against :func:`pseudonymise` in this process, and
    against the standard HMAC: non-ASCII, blank, long ids; key and ids by pipe."""
    import hashlib
    import hmac

    from trygghet.privacy import Pseudonymiser, pseudonymise

    monkeypatch.setattr(Pseudonymiser, "min_ids", 0)
    ids = [str(i) for i in range(300)] + ["Åsa Öberg", "", "x" * 300, "a;b\tc", "日本"]
    key = b"K" * 80
    job = Pseudonymiser(ids, key, context="2021")
    assert job._thread is not None  # (the child was started)
    got = job.result()
    assert job._out is not None     # (and its answer used)
    assert got == pseudonymise(ids, key, context="2021")
    assert got[-1] == hmac.new(key, "2021|日本".encode(), hashlib.sha256).hexdigest()[:16]


@pytest.mark.parametrize("ids", [["a", "b\nc", "d"], ["a", "b\r", "c"], []])
def test_pseudonymiser_hashes_here_what_a_line_cannot_carry(monkeypatch, ids):
    """An id with a line break cannot go one per line: hashed in this process, same result."""
    from trygghet.privacy import Pseudonymiser, pseudonymise

    monkeypatch.setattr(Pseudonymiser, "min_ids", 0)
    job = Pseudonymiser(ids, b"k" * 32, context="2020")
    assert job._thread is None
    assert job.result() == pseudonymise(ids, b"k" * 32, context="2020")


def test_pseudonymiser_falls_back_when_the_child_fails(monkeypatch):
    """A child that cannot hash (here: a Python that exits at once) costs nothing but time."""
    import sys

    from trygghet import privacy

    monkeypatch.setattr(privacy.Pseudonymiser, "min_ids", 0)
    monkeypatch.setattr(privacy.sys, "executable", sys.executable)
    real_popen = privacy.subprocess.Popen

    def failing(args, **kwargs):
        return real_popen([sys.executable, "-c", "import sys; sys.exit(3)"], **kwargs)

    monkeypatch.setattr(privacy.subprocess, "Popen", failing)
    ids = ["1", "2", "3"]
    job = privacy.Pseudonymiser(ids, b"k" * 32, context="2020")
    assert job.result() == privacy.pseudonymise(ids, b"k" * 32, context="2020")
    assert job._out is None
