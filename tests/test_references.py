"""Reference values: the file an analyst writes, the comparison, and where they are shown.

The files are written as Swedish Excel writes them (semicolons, a byte-order mark,
CRLF, decimal comma, "28 %"); the comparison is checked on hand-made estimates, the
charts in their SVG, the tables as the report shows them.
"""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from helpers import run_main
from test_report_survey import AREA_ROWS, BASE, NB, make_report, row

from trygghet import charts, references, tables, theme
from trygghet.errors import TrygghetError
from trygghet.report_survey import area_messages, key_messages, method_text

HEAD = "indicator;level;value;ci_low;ci_high;source;label;note"


def excel_csv(tmp_path, *lines: str, name: str = "referensvarden_2020.csv",
              encoding: str = "utf-8-sig"):
    """A file as Swedish Excel saves "CSV UTF-8": BOM, semicolons, CRLF line ends."""
    path = tmp_path / name
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def test_reads_what_an_analyst_writes(tmp_path):
    path = excel_csv(
        tmp_path, HEAD,
        "otrygg_kvall;Riket;28 %;;;Brå, Nationella trygghetsundersökningen 2022;;",
        "otrygg_kvall;polisomrade;0,31;0,29;0,33;Exempelvärde (påhittat);Polisområde Trollhättan;"
        "Påhittat",
        "fortroende_polis;Normalvärde;58,5 %;57 %;60 %;Leverantören 2021;;",
        ";;;;;;;",  # a row Excel leaves behind
        "problemindex;kommungrupp;1,8;;;KKiK 2021;Kommungrupp B3;")
    refs = references.read_reference_file(path)
    assert list(refs.columns) == list(references.COLUMNS)
    assert refs["level"].tolist() == ["riket", "polisområde", "normalvärde", "kommungrupp"]
    assert refs["value"].tolist() == pytest.approx([0.28, 0.31, 0.585, 1.8])
    assert refs["ci_low"].tolist()[1:3] == pytest.approx([0.29, 0.57])
    assert np.isnan(refs["ci_low"].iloc[0])
    assert refs["label"].iloc[1] == "Polisområde Trollhättan" and pd.isna(refs["label"].iloc[0])
    assert references.label(refs.iloc[0], "sv") == "Riket"
    assert references.label(refs.iloc[0], "en") == "Sweden"
    assert references.label(refs.iloc[1], "en") == "Polisområde Trollhättan"
    assert references.name(refs.iloc[2], "sv") == "normalvärdet"


@pytest.mark.parametrize("line, column, message, hint", [
    # "28,0" in a share column: the analyst wrote per cent without the sign.
    ("otrygg_kvall;riket;28,0;;;Brå NTU 2022;;", "value", "andelen '28,0' ligger utanför 0–1",
     f"0,28 eller med procenttecken, t.ex. 28{NB}%"),
    ("otrygg_kvall;riket;128 %;;;Brå NTU 2022;;", "value", "andelen '128 %' ligger utanför 0–1",
     None),
    ("otryg_kvall;riket;0,28;;;Brå NTU 2022;;", "indicator", "okänd indikator 'otryg_kvall'",
     "menade du 'otrygg_kvall'?"),
    ("otrygg_kvall;landet;0,28;;;Brå NTU 2022;;", "level", "okänd nivå 'landet'", "riket"),
    ("otrygg_kvall;riket;0,28;;;;;", "source", "källa saknas", "Exempelvärde (påhittat)"),
    ("otrygg_kvall;riket;;;;Brå NTU 2022;;", "value", "värde saknas", None),
    ("otrygg_kvall;riket;ca 28;;;Brå NTU 2022;;", "value", "'ca 28' är inte ett tal", "28 %"),
    ("otrygg_kvall;riket;0,28;0,27;;Brå NTU 2022;;", "ci_high", "intervallet saknar en gräns",
     None),
    ("otrygg_kvall;riket;0,28;0,29;0,31;Brå NTU 2022;;", "ci_low",
     "intervallet 0,29–0,31 innehåller inte värdet 0,28", None),
    ("problemindex;riket;18 %;;;KKiK;;", "value", "'18 %' är ett procenttal", "utan procenttecken"),
    ("problemindex;riket;7,5;;;KKiK;;", "value", "indexvärdet '7,5' ligger utanför skalan 0–6",
     None),
])
def test_one_swedish_message_per_problem(tmp_path, line, column, message, hint):
    path = excel_csv(tmp_path, HEAD, "otrygg_kvall;polisregion;30 %;;;Brå NTU 2022;;", line)
    with pytest.raises(TrygghetError) as caught:
        references.read_reference_file(path)
    err = caught.value
    assert (err.file, err.row, err.column) == (str(path), 3, column)
    assert message in err.message
    if hint:
        assert hint in err.hint


def test_the_same_value_twice_names_the_first_row(tmp_path):
    path = excel_csv(tmp_path, HEAD, "otrygg_kvall;riket;28 %;;;Brå NTU 2022;;",
                     "otrygg_kvall;Riket;0,27;;;Brå NTU 2023;;")
    with pytest.raises(TrygghetError, match="finns redan på rad 2") as caught:
        references.read_reference_file(path)
    assert caught.value.row == 3
    # Two values of one level are fine when their labels tell them apart.
    path = excel_csv(tmp_path, HEAD, "otrygg_kvall;kommungrupp;28 %;;;KKiK;B3 median;",
                     "otrygg_kvall;kommungrupp;0,33;;;KKiK;B3 kvartil 3;")
    assert len(references.read_reference_file(path)) == 2


def test_a_file_saved_as_windows_1252_or_without_a_column(tmp_path):
    path = excel_csv(tmp_path, HEAD, "otrygg_kvall;riket;28 %;;;Brå NTU 2022;;",
                     encoding="cp1252")
    with pytest.raises(TrygghetError, match="inte UTF-8") as caught:
        references.read_reference_file(path)
    assert "UTF-8" in caught.value.hint
    path = excel_csv(tmp_path, "indicator;level;value", "otrygg_kvall;riket;28 %")
    with pytest.raises(TrygghetError, match="kolumnen saknas") as caught:
        references.read_reference_file(path)
    assert caught.value.column == "source"


def test_a_bad_file_stops_the_estimate_with_one_message(project, tmp_path):
    """The estimation stage writes the Excel appendix with the references: it reads them
    first, so a bad file is one message (exit 2) and nothing is written."""
    from helpers import row, write_export

    write_export(project / "export.csv", [row(respondent_id=str(i)) for i in range(3)])
    (project / "data" / "reference").mkdir(parents=True)
    excel_csv(project / "data" / "reference", HEAD, "otrygg_kvall;riket;28,0;;;Brå NTU 2022;;")
    res = run_main("--root", str(project), "estimate", "--year", "2020")
    assert res.returncode == 2
    assert "referensvarden_2020.csv, rad 2, kolumn 'value'" in res.stderr
    assert "Traceback" not in res.stderr
    assert not (project / "data" / "processed" / "2020" / "estimates.parquet").exists()


# --- The comparison -----------------------------------------------------------------------

@pytest.mark.parametrize("reference, verdict", [
    (0.25, "higher"), (0.35, "lower"), (0.29, "same"), (0.28, "same"), (0.2799, "higher")])
def test_compare_uses_the_local_interval(reference, verdict):
    est = pd.Series({"estimate": 0.30, "ci_low": 0.28, "ci_high": 0.32, "generalisable": True,
                     "suppressed": False})
    assert references.compare(est, reference) == verdict


def test_compare_claims_nothing_without_an_interval_or_a_sample():
    est = {"estimate": 0.30, "ci_low": 0.28, "ci_high": 0.32, "generalisable": True}
    assert references.compare(est | {"generalisable": False}, 0.1) is None
    assert references.compare(est | {"ci_low": np.nan}, 0.1) is None
    assert references.compare(est | {"estimate": np.nan, "suppressed": True}, 0.1) is None


# --- Key messages and method text -------------------------------------------------------

def refs_frame(value=0.25, level="riket", source="Brå, NTU 2022", indicator="otrygg_kvall",
               **extra):
    rec = {"indicator": indicator, "level": level, "label": None, "value": value,
           "ci_low": np.nan, "ci_high": np.nan, "source": source, "note": None} | extra
    return pd.DataFrame([rec], columns=list(references.COLUMNS))


@pytest.mark.parametrize("value, phrase", [
    (0.25, f"Det är högre än riket: 25{NB}% enligt Brå, NTU 2022."),
    (0.35, f"Det är lägre än riket: 35{NB}% enligt Brå, NTU 2022."),
    (0.29, f"Det är i nivå med riket: 29{NB}% enligt Brå, NTU 2022."),
])
def test_the_summary_says_where_the_local_figure_stands(value, phrase):
    """BASE's headline: 30 %, SE 0.01, 95 % KI 28,04–31,96 %."""
    rep = make_report(BASE)
    rep.references = refs_frame(value)
    head = key_messages(rep)[0]
    assert head.startswith(f"30{NB}% av invånarna") and head.endswith(" " + phrase)
    # Without references the message is as before.
    rep.references = None
    assert key_messages(rep)[0].endswith(f"(95{NB}% KI 28–32{NB}%).")


def test_the_level_of_the_interval_decides():
    """At 90 % the interval is narrower: 0,282 lies inside the 95 % but outside the 90 %
    interval of an estimate of 0,30 with SE 0,01 (±1,96 against ±1,64)."""
    rows90 = [dict(r, ci_low=r["estimate"] - 1.645 * r["se"],
                   ci_high=r["estimate"] + 1.645 * r["se"]) for r in BASE]
    rep = make_report(BASE)
    rep.references = refs_frame(0.282)
    assert "i nivå med riket" in key_messages(rep)[0]
    rep = make_report(rows90, level=0.90)
    rep.references = refs_frame(0.282)
    assert "högre än riket" in key_messages(rep)[0]


def test_an_opt_in_year_makes_no_claim():
    rows = [dict(r, estimate_type="unweighted", generalisable=False) for r in BASE]
    rep = make_report(rows, sampling="opt_in")
    rep.references = refs_frame(0.20)
    head = key_messages(rep)[0]
    assert f"Som jämförelse: Riket 20{NB}% enligt Brå, NTU 2022." in head
    assert "ingen slutsats" in head
    assert not re.search("högre|lägre|i nivå", head)
    assert "ingen skillnad prövas" in method_text(rep)


def test_the_area_summary_compares_the_area_and_english_too():
    rep = make_report(AREA_ROWS)
    rep.area = "Mitt"  # 25 %, 95 % KI 23–27 %
    rep.references = refs_frame(0.28, level="polisregion", source="Exempelvärde (påhittat)")
    first = area_messages(rep)[0]
    assert first.startswith("I Mitt känner sig")
    assert first.endswith(f"Det är lägre än polisregionen: 28{NB}% enligt Exempelvärde "
                          "(påhittat).")
    rep.language = "en"
    assert area_messages(rep)[0].endswith(
        "That is lower than the police region's figure: 28% according to Exempelvärde "
        "(påhittat).")


def test_the_method_text_states_the_rule_and_sources():
    rep = make_report(BASE)
    rep.references = pd.concat([refs_frame(0.25),
                                refs_frame(0.3, level="normalvärde", source="Leverantören")])
    text = method_text(rep).split("\n\n")[-1]
    assert text.startswith("**Jämförelse med referensvärden.**")
    assert "riket (Brå, NTU 2022) och normalvärdet (Leverantören)" in text
    assert f"utanför kommunens 95{NB}% konfidensintervall" in text
    assert "**Jämförelse" not in method_text(make_report(BASE))


# --- Charts ------------------------------------------------------------------------------

def chart_estimates() -> pd.DataFrame:
    rows = [*BASE, row("otrygg_kvall", 0.33, group_var="age_group", group="16–24"),
            row("otrygg_kvall", 0.26, group_var="age_group", group="65–79")]
    est = pd.DataFrame(rows)
    est["n"] = est["n"].astype("Int64")
    return est


@pytest.fixture
def themed():
    """The report's theme: text stays text in the SVG, ids are fixed."""
    with theme.theme_context():
        yield


def svg_texts(svg: str) -> list[str]:
    return [t.replace("&#160;", NB) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


@pytest.mark.parametrize("chart", [charts.by_group, charts.by_area])
def test_a_reference_is_a_dash_dotted_line_named_in_text(chart, themed):
    refs = pd.concat([refs_frame(0.28, source="Brå, Nationella trygghetsundersökningen 2022"),
                      refs_frame(0.31, level="polisregion", source="Exempelvärde (påhittat)",
                                 label="Polisregion Väst")])
    ax = chart(chart_estimates(), "otrygg_kvall", 2020, reference_values=refs)
    svg = charts.to_svg(ax.figure)
    texts = svg_texts(svg)
    for i, (name, value) in enumerate((("Riket", 28), ("Polisregion Väst", 31))):
        line = re.search(rf'<g id="reference-{i}">(.*?)</g>', svg, re.S)
        assert line and "stroke-dasharray" in line.group(1), name
        assert f"{name} {value}{NB}%" in texts  # the line's label, in text
    notes = "\n".join(texts)
    assert (f"Streckprickad linje: Riket 28{NB}% (Brå, Nationella trygghetsundersökningen "
            "2022).") in notes.replace("\n", " ")
    assert "(Exempelvärde (påhittat))" in notes
    alt = charts.alt_text(ax)
    assert alt.endswith(f"Som jämförelse (streckprickad linje): Riket 28{NB}% och "
                        f"Polisregion Väst 31{NB}%.")
    # The line is drawn where the value is: its x is the axis position of 28 %.
    xs = [ln.get_xdata()[0] for ln in ax.get_lines() if str(ln.get_gid()).startswith("ref")]
    assert xs == pytest.approx([0.28, 0.31])


def test_no_reference_draws_nothing_and_another_indicator_is_ignored(themed):
    est = chart_estimates()
    plain = charts.to_svg(charts.by_group(est, "otrygg_kvall", 2020).figure)
    other = charts.to_svg(charts.by_group(est, "otrygg_kvall", 2020, reference_values=refs_frame(
        0.5, indicator="fortroende_polis")).figure)
    assert "reference-0" not in plain and plain == other


def test_a_reference_beyond_the_bars_widens_the_axis():
    ax = charts.by_group(chart_estimates(), "otrygg_kvall", 2020,
                         reference_values=refs_frame(0.62))
    assert ax.get_xlim()[1] > 0.62


# --- Tables -------------------------------------------------------------------------------

def test_tables_show_the_reference_beside_the_local_figures():
    rep = make_report(AREA_ROWS)
    rep.references = pd.concat([
        refs_frame(0.28, note="Victimisation avser året före."),
        refs_frame(0.31, level="polisregion", source="Exempelvärde (påhittat)",
                   ci_low=0.29, ci_high=0.33)])
    # The indicator table: a section of reference rows after the groups.
    frame = tables.indicator_table(rep, "otrygg_kvall")
    refs_part = frame[frame["_section"] == "Referensvärden"]
    assert refs_part.iloc[:, 0].tolist() == ["Riket", "Polisregionen"]
    assert refs_part["Skattning"].tolist() == [f"28,0{NB}%", f"31,0{NB}%"]
    assert refs_part.iloc[1]["95\u00a0% KI"] == f"29,0–33,0{NB}%"
    html = tables.table_html(frame, "Otrygga")
    assert 'scope="rowgroup" colspan="4">Referensvärden' in html
    assert "Riket: Brå, NTU 2022. Victimisation avser året före." in html
    assert "Polisregionen: Exempelvärde (påhittat)." in html
    # The compact appendix table: the same, one row per level.
    app = tables.appendix_table(rep, ["otrygg_kvall", "oro"])
    last = app[app["_section"] == "Referensvärden"].set_index("Grupp")
    assert last.loc["Riket"].iloc[0] == "28,0" and last.loc["Riket"].iloc[1] == ""
    assert last.loc["Polisregionen"].iloc[0] == "31,0 (29,0–33,0)"
    # The area beside the municipality: a column per reference.
    rep.area = "Mitt"
    area = tables.area_table(rep, "Mitt", ["otrygg_kvall", "tid_kvall"])
    assert list(area.columns[-2:]) == ["Riket", "Polisregionen"]
    assert area["Riket"].tolist() == [f"28,0{NB}%", ""]
    assert "Riket" in area.attrs["numeric"] and area.attrs["notes"][0].startswith("Riket: ")


def test_tables_without_references_are_as_before():
    rep = make_report(AREA_ROWS)
    frame = tables.indicator_table(rep, "otrygg_kvall")
    assert "Referensvärden" not in set(frame["_section"]) and "notes" not in frame.attrs
    assert list(tables.area_table(rep, "Mitt").columns) == ["Indikator", "Mitt",
                                                            "95\u00a0% KI (Mitt)",
                                                            "Hela kommunen"]
