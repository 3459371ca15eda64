"""The bad-input corpus (tests/corpus/README.md) through the loaders and `trygghet clean`.

Every file has one explicit expected outcome in :data:`CASES`: either it is
cleaned (exit 0) with exactly the quarantined and duplicate rows listed, the
reconciliation holding and every source row accounted for once; or it is
refused with one Swedish message (exit 2) that names the file and, where it
matters, the row and column, and says what to do. Never a traceback, never
exit 1 (an unexpected error is a bug).

The CLI runs through its ``main`` in the test process (a new interpreter per file
cost most of a minute); two cases run as a separate process too, and end the same.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import run_main

from trygghet import pipeline
from trygghet.config import Project
from trygghet.errors import TrygghetError
from trygghet.load import read_export
from trygghet.mapping import load_mapping

CORPUS = Path(__file__).resolve().parent / "corpus"
KEY = "test-key-" + "0" * 32


# --- Expected outcomes -----------------------------------------------------------------

@dataclass(frozen=True)
class Cleaned:
    """Exit 0: ``rows_in`` records, these quarantined (row → reason) and duplicates (row → kept)."""

    rows_in: int
    quarantine: dict[int, str] = field(default_factory=dict)
    duplicates: dict[int, int] = field(default_factory=dict)
    read: dict = field(default_factory=dict)  # expected subset of cleaning_log["read"]
    warning: str | None = None  # part of one of the log's warnings
    check: Callable[[pd.DataFrame, pd.DataFrame], None] | None = None  # (responses, quarantine)


@dataclass(frozen=True)
class Refused:
    """Exit 2 with one message: ``says``, naming ``names`` (input or mapping), row and column."""

    says: str
    row: int | None = None
    column: str | None = None
    names: str = "input"  # "input", "mapping" or "config" (the year's default mapping path)
    hint: str | None = None  # part of the Åtgärd


@dataclass(frozen=True)
class Case:
    file: str
    expect: Cleaned | Refused
    mapping: str | None = "mapping.yml"  # None: no --mapping (the project has none for the year)
    year: int = 2020


def three(responses: pd.DataFrame, quarantine: pd.DataFrame) -> None:
    """The three respondents most corpus files hold, read correctly (nothing shifted or lost)."""
    r = responses
    assert r["sex"].tolist() == ["Kvinna", "Kvinna", "Man"]
    assert r["age_group"].tolist() == ["25–44", "25–44", "65–79"]
    assert r["area"].tolist() == ["Norr", "Söder", "Norr"]
    assert r["safe_evening"].tolist() == ["Ganska trygg", "Ganska otrygg", "Ganska trygg"]
    assert r["comment"].iloc[0] == "Mörkt vid Ängen, träffade Åsa"
    assert r["unsafe_times_kvall"].tolist() == [pd.NA, pd.NA, True]
    assert r["submitted"].tolist() == [pd.Timestamp(f"2020-10-01 {h:02d}:00") for h in (8, 9, 10)]


def comment_is(text: str, position: int = 0) -> Callable:
    def check(responses: pd.DataFrame, quarantine: pd.DataFrame) -> None:
        assert responses["comment"].iloc[position] == text
    return check


def _mixed_bytes(responses, quarantine):
    assert responses["area"].tolist() == ["Norr", "Söder", "Norr", "Norr"]
    assert responses["comment"].iloc[3].startswith("Otryggt på gång")  # 0x81 is lost, å is not


def _ragged(responses, quarantine):
    # Row 4 lost its trailing empty fields: still a respondent, nothing ticked.
    assert responses["sex"].tolist() == ["Kvinna", "Man"]
    assert responses["unsafe_times_kvall"].isna().all()
    assert "15 fält men rubrikraden har 14" in quarantine["description"].iloc[0]


def _mixed_delimiters(responses, quarantine):
    assert "komma i stället för semikolon" in quarantine["description"].iloc[0]
    assert len(responses) == 2


def _newlines(responses, quarantine):
    assert responses["comment"].iloc[0] == "Första raden\nandra raden\n\ntredje stycket"
    assert quarantine["value"].iloc[0] == "Ibland\n(på kvällen)"


def _labels(responses, quarantine):
    assert responses["safe_evening"].tolist() == ["Mycket trygg"]  # the mapping's variant
    assert quarantine["value"].tolist() == ["Ibland", "Mars", "Trafik;Skolan"]


def _dates(responses, quarantine):
    got = responses["submitted"].dt.round("s").tolist()
    want = ["2020-10-01 12:00", "2020-10-01 13:00", "2020-10-01 14:00", "2020-10-01 15:00",
            "2020-10-01 16:00",                      # Excel serial day number
            "2020-10-01 17:00", "2020-03-01 17:00",  # summer and winter offsets, local time
            "2020-10-01 18:00",                      # UTC ("Z") → CEST
            "2020-10-01 00:00"]                      # 20201001: a date without time
    assert got[:9] == [pd.Timestamp(w) for w in want]
    assert pd.isna(got[9])  # a blank date is missing, not an error
    assert quarantine["value"].tolist() == ["1 okt 2020", "13/13/2020"]


def _ages(responses, quarantine):
    assert responses["age_group"].tolist() == ["45–64"] * 5
    assert quarantine["value"].tolist() == ["fyrtiofem", "ca 45", "", "45–54"]


def _duplicates(responses, quarantine):
    assert len(responses) == 3


def _long(n: int) -> Callable:
    def check(responses, quarantine):
        assert responses["comment"].str.len().max() == n
    return check


def long_text(path: Path, n: int, *, ragged: bool) -> None:
    """A free-text answer of ``n`` characters (not committed: made here)."""
    text = (CORPUS / "one_row.csv").read_text(encoding="utf-8").splitlines()
    head, body = text[0], text[1]
    long = ("Otryggt vid stationen. " * (n // 23 + 1))[:n]
    cells = body.split(",")
    first = cells.copy()
    first[9] = f'"{long}"'
    rows = [",".join(first)]
    second = cells.copy()
    second[0], second[1] = "r2", "2020-10-01 09:00"
    if ragged:  # a field too many: forces the csv-module path, which has a 128 kB field limit
        second[9] = "en, två"
    rows.append(",".join(second))
    third = cells.copy()
    third[0], third[1] = "r3", "2020-10-01 10:00"
    rows.append(",".join(third))
    path.write_text("\n".join([head, *rows]) + "\n", encoding="utf-8")


def _out_of_range_dates(responses, quarantine):
    assert responses["submitted"].tolist() == [pd.Timestamp("2020-10-01 09:00"),
                                               pd.Timestamp("2020-10-01 13:00")]
    assert quarantine["value"].tolist() == ["9999-12-31 23:59:59", "31/12/9999 23:59",
                                            "9999-12-31 23:59:59.997", "0001-01-01T00:00:00Z"]
    assert set(quarantine["column"]) == {"Inskickad"}


def _nul_cell(responses, quarantine):
    assert responses["sex"].tolist() == ["Kvinna", "Man"]
    q = quarantine.iloc[0]
    assert (q["column"], q["value"]) == ("Synpunkter", "Bra\\x00\\x00\\x00\\x00")


def _plain_areas(responses, quarantine):
    assert responses["area"].tolist() == ["Söder", "Söder", "Norr"]
    assert quarantine["value"].tolist() == ["Sodr"]


def _spaced_birth_years(responses, quarantine):
    # 2020 − 1980 = 40, 2020 − 1953 = 67; "19 53" is not a thousands separator.
    assert responses["age_group"].tolist() == ["25–44", "25–44", "65–79", "65–79"]
    assert quarantine["value"].tolist() == ["19 53"]


def _fifo(path: Path) -> None:
    os.mkfifo(path)  # a reader would wait for a writer for ever


def _device(path: Path) -> None:
    path.symlink_to("/dev/zero")  # a reader would never reach the end


GENERATED = {
    "long_free_text.csv": lambda p: long_text(p, 100_000, ragged=False),
    "long_free_text_ragged.csv": lambda p: long_text(p, 300_000, ragged=True),
    "named_pipe.csv": _fifo,
    "link_to_dev_zero.csv": _device,
    "folder.csv": lambda p: p.mkdir(),
}

Q = "fel_antal_falt"
CASES = [
    # encodings
    Case("utf8_mojibake.csv", Cleaned(3, warning="reparerade felkodade tecken", check=three)),
    Case("cp1252_saved_as_utf8.csv", Refused("kolumnen saknas", column="Kön",
                                             hint="fel teckenkodning")),
    Case("cp1252_semicolon_crlf.csv", Cleaned(3, read={"encoding": "cp1252", "delimiter": ";"},
                                              check=three)),
    Case("utf8_bom_semicolon.csv", Cleaned(3, read={"encoding": "utf-8-sig", "delimiter": ";"},
                                           check=three)),
    Case("double_bom.csv", Cleaned(3, check=three)),
    Case("utf16_unicode_text.txt", Cleaned(3, read={"encoding": "utf-16", "delimiter": "\t"},
                                           check=three)),
    Case("utf16_no_bom.csv", Cleaned(3, read={"encoding": "utf-16", "delimiter": ","},
                                     check=three)),
    Case("non_utf8_bytes.csv", Cleaned(4, read={"encoding": "blandad"},
                                       warning="blandad teckenkodning", check=_mixed_bytes)),
    # delimiters, quoting and line ends
    Case("tab_delimited.tsv", Cleaned(3, read={"delimiter": "\t"}, check=three)),
    Case("pipe_delimited.csv", Cleaned(3, read={"delimiter": "|"}, check=three)),
    Case("semicolon_unquoted_commas.csv", Cleaned(
        3, read={"delimiter": ";"},
        check=comment_is("Bra belysning, men mörkt vid torget, och i parken"))),
    Case("semicolon_multiselect_unquoted.csv", Cleaned(3, {3: Q})),
    Case("mixed_delimiters.csv", Cleaned(3, {3: Q}, read={"delimiter": ";"},
                                         check=_mixed_delimiters)),
    Case("trailing_delimiters.csv", Cleaned(3, check=three)),
    Case("cr_line_ends.csv", Cleaned(3, check=three)),
    Case("ragged_rows.csv", Cleaned(3, {2: Q}, check=_ragged)),
    Case("unbalanced_quote.csv", Refused("citattecken", row=3, column="Synpunkter",
                                         hint="avsluta fältet")),
    Case("embedded_newlines.csv", Cleaned(3, {3: "okant_svarsalternativ"}, check=_newlines)),
    Case("long_free_text.csv", Cleaned(3, check=_long(100_000))),
    Case("long_free_text_ragged.csv", Cleaned(3, {3: Q}, check=_long(300_000))),
    Case("crcrlf_line_ends.csv", Cleaned(3, check=three)),
    # columns
    Case("renamed_column.csv", Refused("kolumnen saknas", column="Kön",
                                       hint="närmast finns 'Kön (man/kvinna)'")),
    Case("missing_column.csv", Refused("kolumnen saknas", column="Oro för brott?",
                                       hint="ta bort fältet")),
    Case("wrong_file.csv", Refused("ingen av mappningens rubriker", row=1, hint="fel fil")),
    Case("extra_columns.csv", Cleaned(3, warning="'Webbläsare', 'IP-adress', '(kolumn 17 utan "
                                                 "rubrik)'", check=three)),
    Case("duplicated_mapped_header.csv", Refused("flera kolumner (3, 14)", column="Kön",
                                                 hint="byt namn")),
    Case("duplicated_unmapped_header.csv", Cleaned(3, check=three)),
    # values and rows
    Case("unknown_labels.csv", Cleaned(4, {3: "okant_svarsalternativ", 4: "okant_omrade",
                                           5: "okant_svarsalternativ"}, check=_labels)),
    Case("blank_rows.csv", Cleaned(6, {3: "tom_rad", 4: "tom_rad", 6: "tom_rad"})),
    Case("header_only.csv", Refused("inga svar", row=1, hint="exportera igen")),
    Case("header_only_bom.csv", Refused("inga svar", row=1, hint="exportera igen")),
    Case("one_row.csv", Cleaned(1)),
    Case("empty.csv", Refused("filen är tom", hint="exportera")),
    Case("date_formats.csv", Cleaned(12, {11: "ogiltigt_datum", 12: "ogiltigt_datum"},
                                     check=_dates)),
    Case("age_as_text.csv", Cleaned(9, {7: "ogiltig_alder", 8: "ogiltig_alder",
                                        9: "saknar_bakgrund", 10: "ogiltig_alder"},
                                    check=_ages)),
    Case("duplicate_submissions.csv", Cleaned(5, duplicates={3: 2, 5: 4}, check=_duplicates)),
    Case("date_out_of_range.csv", Cleaned(6, {2: "ogiltigt_datum", 4: "ogiltigt_datum",
                                              5: "ogiltigt_datum", 6: "ogiltigt_datum"},
                                          check=_out_of_range_dates)),
    Case("nul_in_cell.csv", Cleaned(3, {3: "ogiltigt_tecken"}, check=_nul_cell)),
    Case("nul_in_header.csv", Refused("NUL-tecken", row=1, column="K\\x00n",
                                      hint="ta bort tecknet")),
    Case("areas_without_diacritics.csv", Cleaned(4, {4: "okant_omrade"}, check=_plain_areas)),
    Case("birth_year_spaced.csv", Cleaned(5, {6: "ogiltig_alder"}, read={"delimiter": ";"},
                                          check=_spaced_birth_years),
         mapping="mapping_birth_year.yml"),
    Case("binary_image.csv", Refused("inte vara en textfil", hint="exportera som CSV")),
    # not files at all
    Case("named_pipe.csv", Refused("namngiven pipe (FIFO)", hint="vanlig fil")),
    Case("link_to_dev_zero.csv", Refused("enhetsfil", hint="vanlig fil")),
    Case("folder.csv", Refused("är en mapp", hint="kontrollera sökvägen")),
    Case("xls_renamed.csv", Refused("gamla .xls-formatet", hint="spara som .xlsx")),
    Case("zipped_export.zip", Refused("zip-arkiv", hint="packa upp")),
    # Excel
    Case("title_row.xlsx", Cleaned(3, read={"format": "xlsx", "sheet": "Svar", "header_row": 3},
                                   warning="hoppade över 2 rad(er)", check=three)),
    Case("several_sheets.xlsx", Cleaned(3, read={"sheet": "Svar"}, warning="läste 'Svar'",
                                        check=three)),
    Case("merged_header.xlsx", Cleaned(3, read={"header_row": 2},
                                       warning="'(kolumn 15 utan rubrik)'", check=three)),
    Case("xlsx_wrong_dimension.xlsx", Cleaned(3, check=three)),
    Case("xlsx_renamed.csv", Cleaned(3, read={"format": "xlsx"}, check=three)),
    Case("csv_renamed.xlsx", Cleaned(3, read={"format": "csv"}, warning="lästes som CSV",
                                     check=three)),
    Case("xlsx_header_only.xlsx", Refused("inga svar", row=1, hint="exportera igen")),
    Case("corrupt.xlsx", Refused("inte en läsbar Excel-fil", hint="spara den igen")),
    Case("password_protected.xlsx", Refused("lösenordsskyddad", hint="ta bort lösenordet")),
    # mappings
    Case("one_row.csv", Refused("förekommer två gånger", row=16, names="mapping",
                                hint="ett fält kan bara ha en rubrik"),
         mapping="mapping_two_headers_one_field.yml"),
    Case("one_row.csv", Refused("är redan mappad till safe_evening", column="columns.safe_day",
                                names="mapping", hint="en rubrik kan bara mappas"),
         mapping="mapping_one_header_two_fields.yml"),
    Case("one_row.csv", Refused("gäller år 2019, inte 2020", column="year", names="mapping",
                                hint="--year"),
         mapping="mapping_wrong_year.yml"),
    Case("one_row.csv", Refused("inte UTF-8", names="mapping", hint="UTF-8"),
         mapping="mapping_cp1252.yml"),
    Case("one_row.csv", Refused("ogiltig YAML", row=14, names="mapping", hint="tabb"),
         mapping="mapping_tab_indent.yml"),
    Case("one_row.csv", Refused("upprepar innehåll via alias", names="mapping",
                                hint="&ankare och *alias"), mapping="mapping_yaml_bomb.yml"),
    Case("one_row.csv", Refused("från 0 till 10080", column="duplicates.window_minutes",
                                names="mapping", hint="standard 10"),
         mapping="mapping_window_1e300.yml"),
    Case("one_row.csv", Refused("nyckeln på rad 31 är tom", row=31, names="mapping",
                                hint="skriv en text före ':'"), mapping="mapping_empty_key.yml"),
    Case("one_row.csv", Refused("ingen mappning för 2021", names="config",
                                hint="config/surveys/2021.yml"), mapping=None, year=2021),
]


def case_id(case: Case) -> str:
    return case.file if case.mapping in ("mapping.yml", None) and case.year == 2020 else \
        f"{case.file}+{case.mapping or f'ingen-mappning-{case.year}'}"


IDS = [case_id(c) for c in CASES]


# --- Running ---------------------------------------------------------------------------------

@dataclass
class Run:
    case: Case
    input: Path
    mapping: Path | None
    root: Path
    result: subprocess.CompletedProcess


def _project(root: Path) -> Path:
    """An empty workspace: settings naming the municipality, no mapping yet."""
    (root / "config" / "surveys").mkdir(parents=True)
    # The corpus files are a handful of rows, each file built around its bad ones: the
    # stop for a run that quarantines too much (test_checkboxes) is not what they test.
    (root / "config" / "trygghet.yml").write_text("municipality: Testkommun\n"
                                                  "cleaning: {max_quarantined: 1.0}\n",
                                                  encoding="utf-8")
    return root


def _input(case: Case, folder: Path) -> Path:
    if case.file in GENERATED:
        path = folder / case.file
        GENERATED[case.file](path)
        return path
    return CORPUS / case.file


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Run]:
    """`trygghet clean` on every corpus case, each in its own project, through the
    command's ``main`` in this process (exit status, stdout, stderr as a process gives
    them; :func:`test_a_separate_process_ends_the_same` checks that they are)."""
    made = tmp_path_factory.mktemp("generated")
    done = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TRYGGHET_PSEUDONYM_KEY", KEY)
        for case, cid in zip(CASES, IDS, strict=True):
            root = _project(tmp_path_factory.mktemp("cli"))
            path = _input(case, made)
            mapping = CORPUS / case.mapping if case.mapping else None
            args = ["--root", str(root), "clean", "--year", str(case.year), "--input", str(path)]
            if mapping:
                args += ["--mapping", str(mapping)]
            done[cid] = Run(case, path, mapping, root, run_main(*args))
    return done


# One case cleaned, one refused: the real command in its own process, as a user runs it.
@pytest.mark.parametrize("cid", ["cp1252_semicolon_crlf.csv", "unbalanced_quote.csv"])
def test_a_separate_process_ends_the_same(runs, cid, tmp_path):
    run = runs[cid]
    root = _project(tmp_path / "p")
    args = ["--root", str(root), "clean", "--year", str(run.case.year), "--input",
            str(run.input), "--mapping", str(run.mapping)]
    res = subprocess.run([sys.executable, "-m", "trygghet.cli", *args], capture_output=True,
                         text=True, timeout=120, env={**os.environ, "TRYGGHET_PSEUDONYM_KEY": KEY})
    assert res.returncode == run.result.returncode
    assert res.stdout == run.result.stdout.replace(str(run.root), str(root))
    assert res.stderr == run.result.stderr
    assert "Traceback" not in res.stderr


def test_corpus_is_complete():
    """Every committed export has an expectation and a README line; every file is small."""
    exports = {p.name for p in CORPUS.iterdir()
               if p.suffix not in (".py", ".md") and not p.name.startswith("mapping")}
    assert exports <= {c.file for c in CASES}
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    for path in CORPUS.iterdir():
        if path.name not in ("README.md", "make_corpus.py"):
            assert f"`{path.name}`" in readme, path.name
            assert path.stat().st_size < 16_000, path.name
    for name in GENERATED:
        assert f"`{name}`" in readme
    assert len(CASES) >= 25


@pytest.mark.parametrize("cid", IDS)
def test_cli(runs, cid):
    """`trygghet clean` ends as the table says: cleaned and reconciled, or one message."""
    run = runs[cid]
    res, expect = run.result, run.case.expect
    out = res.stdout + res.stderr
    assert "Traceback" not in out
    assert res.returncode != 1, f"unexpected error (a bug): {res.stderr}"
    processed = run.root / "data" / "processed" / str(run.case.year)
    if isinstance(expect, Refused):
        assert res.returncode == 2, out
        assert res.stdout == ""
        lines = res.stderr.rstrip("\n").split("\n")
        assert lines[0].startswith("fel: ") and expect.says in lines[0], res.stderr
        # One message: the problem, then the hint (which may wrap nothing else).
        assert len(lines) == 2 and lines[1].startswith("  Åtgärd: "), res.stderr
        if expect.hint:
            assert expect.hint in lines[1], res.stderr
        named = {"input": run.input, "mapping": run.mapping,
                 "config": run.root / "config" / "surveys" / f"{run.case.year}.yml"}
        assert str(named[expect.names]) in lines[0], res.stderr
        if expect.row is not None:
            assert f", rad {expect.row}" in lines[0], res.stderr
        if expect.column is not None:
            assert f"kolumn '{expect.column}'" in lines[0], res.stderr
        assert not processed.exists(), "nothing is written when the input is refused"
        return

    assert res.returncode == 0, res.stderr
    assert res.stderr == ""
    log = json.loads((processed / "cleaning_log.json").read_text(encoding="utf-8"))
    quarantine = pd.read_csv(processed / "quarantine.csv", dtype={"value": str},
                             keep_default_na=False)
    duplicates = pd.read_csv(processed / "duplicates.csv")
    responses = pd.read_parquet(processed / "responses.parquet")
    # Free text has a file of its own (trygghet.free_text); joined back by pseudonym.
    assert "comment" not in responses
    answers = pd.read_parquet(processed / "free_text.parquet")
    responses = responses.merge(answers, on="respondent_id", how="left", validate="1:1")
    assert log["rows_in"] == expect.rows_in
    assert log["rows_in"] == log["rows_clean"] + log["rows_quarantined"] + \
        log["duplicates_removed"]
    assert log["reconciled"] is True
    assert len(responses) == log["rows_clean"]
    assert dict(zip(quarantine["source_row"], quarantine["reason"], strict=True)) == \
        expect.quarantine
    assert dict(zip(duplicates["source_row"], duplicates["duplicate_of_row"], strict=True)) == \
        expect.duplicates
    assert set(quarantine["source_row"]).isdisjoint(duplicates["source_row"])
    assert quarantine["source_row"].is_unique and duplicates["source_row"].is_unique
    assert f"{expect.rows_in} rader in = {log['rows_clean']} rensade" in \
        res.stdout.replace("\u00a0", " ")
    for key, value in expect.read.items():
        assert log["read"][key] == value, (key, log["read"])
    if expect.warning:
        assert any(expect.warning in w for w in log["warnings"]), log["warnings"]
    if expect.check:
        expect.check(responses, quarantine)


@pytest.mark.parametrize("cid", IDS)
def test_loaders(runs, cid, tmp_path):
    """The same through the library: every source row once, same outcome as the CLI."""
    run = runs[cid]
    expect = run.case.expect
    project = Project(_project(tmp_path / "p"))
    if isinstance(expect, Refused):
        with pytest.raises(TrygghetError) as err:
            pipeline.clean_year(project, run.case.year, input_path=run.input,
                                mapping_path=run.mapping)
        e = err.value
        assert expect.says in e.message
        assert e.hint
        if expect.row is not None:
            assert e.row == expect.row
        if expect.column is not None:
            assert e.column == expect.column
        return

    mapping = load_mapping(run.mapping)
    raw = read_export(run.input, mapping)
    # The records' row numbers run on from the header without gap or repeat.
    rows = np.concatenate([raw.source_rows, [r for r, _ in raw.bad_rows]]).astype(int)
    first = raw.info["header_row"] + 1
    assert sorted(rows) == list(range(first, first + expect.rows_in))
    result = pipeline.clean_year(project, run.case.year, input_path=run.input,
                                 mapping_path=run.mapping)
    q = dict(zip(result.quarantine["source_row"], result.quarantine["reason"], strict=True))
    d = dict(zip(result.duplicates["source_row"], result.duplicates["duplicate_of_row"],
                 strict=True))
    assert q == expect.quarantine and d == expect.duplicates
    # Each source row is in exactly one place: kept, quarantined or a duplicate.
    kept = set(rows.tolist()) - set(q) - set(d)
    assert len(kept) == len(result.responses) == result.log["rows_clean"]
    assert all(r in rows for r in d.values())  # a duplicate points at a row of the file
    assert not set(d.values()) & (set(q) | set(d))  # … that was kept
    if expect.check:
        expect.check(result.responses, result.quarantine)
