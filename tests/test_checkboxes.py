"""Check-box semantics, joined cells, item-level problems, codebooks, .sav and Qualtrics
headers: each on a small export written as the tool writes it, with hand-derived answers."""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pytest
import yaml
from helpers import mini_mapping, run_main

from trygghet.answers import split_answer
from trygghet.clean import clean
from trygghet.errors import TrygghetError
from trygghet.kept import check_kept
from trygghet.load import read_export
from trygghet.mapping import load_mapping

KEY = b"k" * 32
BASE = ["ID", "Kön", "Ålder", "Område"]


def _csv(path, headers, rows, delimiter=","):
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\n").writerows([headers, *rows])
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def _mapping(tmp_path, **extra):
    m = mini_mapping()
    m["columns"] = {"respondent_id": "ID", "sex": "Kön", "age": "Ålder", "area": "Område"}
    m.update(extra)
    path = tmp_path / "m.yml"
    path.write_text(yaml.safe_dump(m, allow_unicode=True), encoding="utf-8")
    return load_mapping(path)


def _clean(tmp_path, headers, rows, delimiter=",", **extra):
    m = _mapping(tmp_path, **extra)
    raw = read_export(_csv(tmp_path / "e.csv", headers, rows, delimiter), m)
    return clean(raw, m, key=KEY)


def _person(i, *cells):
    return [str(i), "Kvinna", "40", "Norr", *cells]


# --- joined cells -------------------------------------------------------------------------

def test_an_option_holding_the_separator_survives_longest_first():
    table = {"inbrott, stölder och skadegörelse": "A", "inbrott": "B", "stölder": "C",
             "trafik": "D", "": None}
    keys, unknown = split_answer("Trafik, Inbrott, stölder och skadegörelse", ", ", table)
    assert (keys, unknown) == (["trafik", "inbrott, stölder och skadegörelse"], False)
    keys, unknown = split_answer("Inbrott, Stölder", ", ", table)
    assert (keys, unknown) == (["inbrott", "stölder"], False)
    # Microsoft Forms ends every joined cell with ";"
    assert split_answer("Kväll;Natt;", ";", {"kväll": 1, "natt": 2}) == (["kväll", "natt"],
                                                                          False)
    assert split_answer("Kväll, Helger", ", ", {"kväll": 1}) == (["kväll"], True)


def test_google_forms_checkboxes_with_a_comma_in_an_option(tmp_path):
    option = "Mängdbrott (stöld, inbrott, skadegörelse)"
    extra = {"labels": {"priorities": {option: "Mängdbrott"}}}
    res = _clean(tmp_path, [*BASE, "Prioritera"],
                 [_person(1, f"Trafik, {option}"), _person(2, option), _person(3, ""),
                  _person(4, "Trafik")],
                 **extra, columns={"respondent_id": "ID", "sex": "Kön", "age": "Ålder",
                                   "area": "Område",
                                   "priorities": {"header": "Prioritera", "separator": ", "}},
                 )
    r = res.responses
    # Nothing unknown: the option with commas was not split. Row 4 (the third kept) did
    # not tick Mängdbrott: No. Row 3 answered nothing (its only question): quarantined.
    assert "okant_svarsalternativ" not in set(res.quarantine["reason"])
    assert r["priorities_mangdbrott"].tolist() == [True, True, False]
    assert r["priorities_trafik"].tolist() == [True, False, True]
    assert res.quarantine["source_row"].tolist() == [4]


# --- check-box semantics ------------------------------------------------------------------

def _times(tmp_path, rows, **spec):
    cols = {"respondent_id": "ID", "sex": "Kön", "age": "Ålder", "area": "Område",
            "worry": "Oro",
            "unsafe_times": {"header": "Mest otrygg", "separator": ";", **spec}}
    return _clean(tmp_path, [*BASE, "Oro", "Mest otrygg"], rows, columns=cols)


def test_not_ticked_is_no_for_who_answered_and_missing_for_who_did_not(tmp_path):
    res = _times(tmp_path, [_person(1, "Aldrig", "Kväll;Natt"), _person(2, "Aldrig", ""),
                            _person(3, "Aldrig", "Inget av detta")],
                 none=["Inget av detta"])
    r = res.responses
    assert r["unsafe_times_kvall"][0] == True  # noqa: E712
    assert r["unsafe_times_dagtid"][0] == False  # noqa: E712 - ticked something: No
    assert r["unsafe_times_dagtid"].isna()[1]  # ticked nothing: missing
    assert r["unsafe_times_kvall"][2] == False  # noqa: E712 - "none of these": No
    assert r["unsafe_times_natt"][2] == False  # noqa: E712


def test_blank_nej_reads_an_empty_list_as_no(tmp_path):
    res = _times(tmp_path, [_person(1, "Aldrig", "Kväll"), _person(2, "Aldrig", "")],
                 blank="nej")
    assert res.responses["unsafe_times_kvall"].tolist() == [True, False]
    assert res.responses["unsafe_times_natt"].tolist() == [False, False]


def test_a_blank_nej_list_is_no_answer_to_the_survey(tmp_path):
    # Only the check-box list, left empty, and blank: nej: the row still answered nothing.
    res = _clean(tmp_path, [*BASE, "Mest otrygg"], [_person(1, "")],
                 columns={"respondent_id": "ID", "sex": "Kön", "age": "Ålder",
                          "area": "Område",
                          "unsafe_times": {"header": "Mest otrygg", "blank": "nej"}})
    assert res.quarantine["reason"].tolist() == ["inga_svar"]


VICTIMS = {"victim_stold": "Stöld", "victim_hot": "Hot", "victim_vald": "Våld"}
COLS = {"respondent_id": "ID", "sex": "Kön", "age": "Ålder", "area": "Område"}


def test_victim_battery_in_one_joined_cell(tmp_path):
    battery = {"utsatt": {"header": "Utsatt för", "separator": ", ", "items": VICTIMS,
                          "none": ["Inget av detta"]}}
    res = _clean(tmp_path, [*BASE, "Utsatt för"],
                 [_person(1, "Hot"), _person(2, "Inget av detta"), _person(3, "Stöld, Våld")],
                 columns=COLS, batteries=battery)
    r = res.responses
    assert r["victim_hot"].tolist() == ["Ja", "Nej", "Nej"]
    assert r["victim_stold"].tolist() == ["Nej", "Nej", "Ja"]
    assert r.attrs["not_asked"].count("victim_hot") == 0


def test_victim_battery_as_checkbox_columns(tmp_path):
    battery = {"utsatt": {"columns": {"victim_stold": "F7a", "victim_hot": "F7b"}}}
    res = _clean(tmp_path, [*BASE, "F7a", "F7b", "Oro"],
                 [_person(1, "X", "", "Aldrig"), _person(2, "", "", "Aldrig"),
                  _person(3, "", "X", "Aldrig")],
                 columns={**COLS, "worry": "Oro"}, batteries=battery, checked=["X"],
                 unchecked=[""])
    r = res.responses
    assert r["victim_stold"].tolist()[0] == "Ja" and r["victim_hot"].tolist()[0] == "Nej"
    assert r["victim_stold"].isna().tolist() == [False, True, False]  # row 2: nothing ticked
    assert r["victim_stold"].tolist()[2] == "Nej"


def test_blank_checkboxes_read_as_missing_stop_the_run(tmp_path):
    """The issue's case: victim boxes X/blank mapped one by one made utsatt 100 %."""
    rows = [_person(i, "X" if i % 4 == 0 else "", "", ("Aldrig", "Ganska ofta")[i % 2])
            for i in range(1, 501)]
    labels = {"yes_no": {"X": "Ja"}}
    res = _clean(tmp_path, [*BASE, "F7a", "F7b", "Oro"], rows,
                 columns={**COLS, "worry": "Oro", "victim_stold": "F7a", "victim_hot": "F7b"},
                 labels=labels)
    m = _mapping(tmp_path, columns={**COLS, "worry": "Oro", "victim_stold": "F7a",
                                    "victim_hot": "F7b"}, labels=labels)
    with pytest.raises(TrygghetError) as err:
        check_kept(res, m)
    assert "utsatt blir exakt 100 %" in err.value.message
    assert "batteri" in err.value.hint
    check_kept(res, m, allow_constant=["utsatt"])  # a figure that is real may be allowed
    # Read as a battery: 125 of 500 victims, 25 %.
    res = _clean(tmp_path, [*BASE, "F7a", "F7b", "Oro"], rows, columns={**COLS, "worry": "Oro"},
                 batteries={"u": {"columns": {"victim_stold": "F7a", "victim_hot": "F7b"},
                                  "blank": "nej"}}, checked=["X"], unchecked=[""])
    assert (res.responses["victim_stold"] == "Ja").mean() == pytest.approx(0.25)
    check_kept(res, _mapping(tmp_path, columns={**COLS, "worry": "Oro"}))


# --- item-level problems -----------------------------------------------------------------

def test_an_unknown_label_costs_one_answer_with_row_column_value(tmp_path):
    res = _clean(tmp_path, [*BASE, "Oro", "Mest otrygg"],
                 [_person(1, "Ibland", "Kväll"), _person(2, "Aldrig", "Kväll;Helger"),
                  _person(3, "", "")],
                 columns={**COLS, "worry": "Oro", "unsafe_times": "Mest otrygg"})
    q = res.quarantine
    answers = q[q["level"] == "svar"]
    assert answers[["source_row", "reason", "column", "value"]].values.tolist() == [
        [2, "okant_svarsalternativ", "Oro", "Ibland"],
        [3, "okant_svarsalternativ", "Mest otrygg", "Kväll;Helger"]]
    assert q[q["level"] == "rad"]["reason"].tolist() == ["inga_svar"]
    r = res.responses
    assert len(r) == 2 and r["worry"].isna().tolist() == [True, False]
    assert r["unsafe_times_kvall"].isna().tolist() == [False, True]  # the whole answer
    log = res.log
    assert (log["rows_in"], log["rows_clean"], log["rows_quarantined"]) == (3, 2, 1)
    assert log["answers_missing"] == 2 and log["answer_reasons"] == {
        "okant_svarsalternativ": 2}


def test_item_problems_respondent_keeps_the_old_rule(tmp_path):
    res = _clean(tmp_path, [*BASE, "Oro"], [_person(1, "Ibland"), _person(2, "Aldrig")],
                 columns={**COLS, "worry": "Oro"}, item_problems="respondent")
    assert res.quarantine["reason"].tolist() == ["okant_svarsalternativ"]
    assert len(res.responses) == 1


def test_too_many_quarantined_stops_with_the_cause_and_fix(tmp_path):
    rows = [[str(i), "Kvinna", "40", "Okänt ställe", "Aldrig"] for i in range(10)]
    res = _clean(tmp_path, [*BASE, "Oro"], rows, columns={**COLS, "worry": "Oro"})
    with pytest.raises(TrygghetError) as err:
        check_kept(res, _mapping(tmp_path, columns={**COLS, "worry": "Oro"}))
    e = err.value
    assert "10 av 10 rader (100%)" in e.message and "okänt område" in e.message
    assert (e.row, e.column) == (2, "Område") and "aliases" in e.hint


# --- codebooks ----------------------------------------------------------------------------

def test_codebook_swedish_excel_with_question_once(tmp_path):
    (tmp_path / "kodbok.csv").write_bytes(
        "Fråga;Kod;Etikett\r\nOro;1;Mycket ofta\r\n;2;Ganska ofta\r\n;3;Ganska sällan\r\n"
        ";4;Aldrig\r\n;9;Vet ej\r\nKön;1;Man\r\n;2;Kvinna\r\nSvarsform;1;Webb\r\n"
        .encode("cp1252"))
    res = _clean(tmp_path, [*BASE, "Oro"],
                 [["1", "2", "40", "Norr", "1"], ["2", "1", "40", "Norr", "9"],
                  ["3", "2", "40", "Norr", "4"]],
                 columns={**COLS, "worry": "Oro"}, codebook="kodbok.csv")
    # 9 = Vet ej: a missing answer (row 3 then answered nothing), not an unknown code
    assert res.responses["worry"].tolist() == ["Mycket ofta", "Aldrig"]
    assert res.quarantine[["source_row", "reason"]].values.tolist() == [[3, "inga_svar"]]
    assert res.responses["sex"].tolist() == ["Kvinna", "Kvinna"]


def test_codebook_label_off_the_scale_names_file_row_column_value(tmp_path):
    (tmp_path / "kodbok.csv").write_text("question,code,label\nworry,1,Jämt\n",
                                         encoding="utf-8")
    with pytest.raises(TrygghetError) as err:
        _mapping(tmp_path, columns={**COLS, "worry": "Oro"}, codebook="kodbok.csv")
    e = err.value
    assert e.file.endswith("kodbok.csv") and (e.row, e.column) == (2, "label")
    assert "'Jämt'" in e.message and "labels.worry" in e.hint


def test_codes_and_labels_disagreeing_is_an_error(tmp_path):
    with pytest.raises(TrygghetError, match="betyder"):
        _mapping(tmp_path, labels={"worry": {"1": "Aldrig"}}, codes={"worry": {1: "Mycket ofta"}})


# --- SPSS and Qualtrics -------------------------------------------------------------------

def test_sav_value_labels_names_and_user_missing(tmp_path):
    import pyreadstat

    df = pd.DataFrame({"id": ["a", "b", "c"], "kon": [1.0, 2.0, 2.0],
                       "alder": [40.0, 55.0, 30.0], "omr": [1.0, 1.0, 2.0],
                       "Q5": [1.0, 9.0, 1.0]})
    pyreadstat.write_sav(
        df, str(tmp_path / "e.sav"),
        column_labels=["ID", "Kön", None, "Område", "Hur ofta oroar du dig?"],
        variable_value_labels={"kon": {1.0: "Man", 2.0: "Kvinna"},
                               "omr": {1.0: "Norr", 2.0: "Söder"},
                               "Q5": {1.0: "Mycket ofta", 9.0: "Vet ej"}},
        missing_ranges={"Q5": [9.0]})
    m = _mapping(tmp_path, columns={**COLS, "age": "alder", "worry": "Q5"})  # names or labels
    raw = read_export(tmp_path / "e.sav", m)
    assert raw.headers == ["ID", "Kön", "alder", "Område", "Hur ofta oroar du dig?"]
    assert raw.value_labels["Kön"] == {"1": "Man", "2": "Kvinna"}
    assert raw.frame[4].tolist() == ["Mycket ofta", "", "Mycket ofta"]  # 9 declared missing
    res = clean(raw, m, key=KEY)
    assert res.responses["sex"].tolist() == ["Man", "Kvinna"]
    assert res.responses["area"].tolist() == ["Norr", "Söder"]
    assert res.quarantine[["source_row", "reason"]].values.tolist() == [[2, "inga_svar"]]


def test_qualtrics_three_header_rows(tmp_path):
    rows = [["Q1", "Q2", "Q3", "Q4", "Q5"],
            ["ID", "Kön", "Ålder", "Område", "Oro"],
            ['{"ImportId":"_recordId"}', '{"ImportId":"QID1"}', '{"ImportId":"QID2"}',
             '{"ImportId":"QID3"}', '{"ImportId":"QID4"}'],
            ["r1", "Man", "40", "Norr", "Aldrig"]]
    path = tmp_path / "q.csv"
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    m = _mapping(tmp_path, columns={**COLS, "worry": "Q5"})  # short name for one column
    raw = read_export(path, m)
    assert raw.rows_in == 1 and raw.source_rows.tolist() == [4]
    res = clean(raw, m, key=KEY)
    assert res.responses["worry"].tolist() == ["Aldrig"] and len(res.quarantine) == 0


# --- the stage: nothing written on a failed run, --mapping recorded -----------------------

def test_a_run_that_quarantines_everything_keeps_the_old_outputs(project):
    from helpers import row, write_export

    write_export(project / "export.csv", [row(respondent_id=str(i)) for i in range(5)])
    assert run_main("--root", str(project), "clean", "--year", "2020").returncode == 0
    out = project / "data" / "processed" / "2020"
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    write_export(project / "export.csv", [row(respondent_id=str(i), area="Mars")
                                          for i in range(5)])
    done = run_main("--root", str(project), "clean", "--year", "2020")
    assert done.returncode == 2
    assert "5 av 5 rader" in done.stderr and "förra körningens filer är orörda" in done.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_clean_mapping_is_recorded_and_used_later(project):
    from helpers import row, write_export

    from trygghet.config import Project
    from trygghet.mapping import used_mapping

    write_export(project / "other.csv", [row(respondent_id=str(i)) for i in range(5)])
    m = yaml.safe_load((project / "config/surveys/2020.yml").read_text(encoding="utf-8"))
    m["design"]["mode"] = "Postenkät"
    (project / "alt.yml").write_text(yaml.safe_dump(m, allow_unicode=True), encoding="utf-8")
    done = run_main("--root", str(project), "clean", "--year", "2020", "--mapping",
                    str(project / "alt.yml"), "--input", str(project / "other.csv"))
    assert done.returncode == 0, done.stderr
    log = json.loads((project / "data/processed/2020/cleaning_log.json").read_text())
    assert (log["mapping_file"], log["input_file"]) == ("alt.yml", "other.csv")
    path, given = used_mapping(Project(project), 2020)
    assert path == project / "alt.yml" and given == project / "other.csv"
    assert load_mapping(path).design.mode == "Postenkät"


def test_pdf_only_names_an_older_html_beside_it(tmp_path):
    from trygghet.pipeline import _older_formats

    pdf, html = tmp_path / "r.pdf", tmp_path / "r.html"
    pdf.write_bytes(b"%PDF"), html.write_text("old")
    assert "r.html är från en tidigare körning" in _older_formats([pdf], ("ipynb", "pdf"))[0]
    assert _older_formats([pdf, html], ("ipynb", "html", "pdf")) == []


def test_a_failing_cell_points_to_the_data_not_to_jupyter():
    from trygghet.render.execute import _cell_hint

    own = "x.csv: fel\n  Åtgärd: lägg till blank: nej"
    assert _cell_hint("TrygghetError", own, "") == "lägg till blank: nej"
    hint = _cell_hint("ValueError", "bad", 'charts.show(charts.by_group(est, "utsatt", year))')
    assert "utsatt" in hint and "estimates.parquet" in hint and "Jupyter" not in hint
    assert "Jupyter" in _cell_hint("NameError", "x", "print(x)")
