"""The report's tables: display text with the official symbols, headings, accessible HTML."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_report_survey import AREA_ROWS, BASE, NB, make_report, row

from trygghet import charts, tables, vocabulary
from trygghet.suppress import protect


def estimates(ns, estimates=None, kind="share"):
    """A protected table of one grouping with the given n and estimates."""
    estimates = estimates or [0.3] * len(ns)
    t = pd.DataFrame({"indicator": "otrygg_kvall", "kind": kind, "group_var": "area",
                      "group": [f"G{i}" for i in range(len(ns))], "n": ns,
                      "estimate": estimates, "se": 0.02, "ci_low": 0.1, "ci_high": 0.5})
    t["n"] = t["n"].astype("Int64")
    return protect(t)


def test_display_uses_symbols_and_swedish_numbers():
    t = estimates([3, 40, 35, 1500], estimates=[0.5, 0.125, 0.3, 0.0])
    shown = tables.display_table(t).set_index("group")
    assert shown.loc["G0", "estimate"] == ".." and shown.loc["G0", "n"] == ".."
    assert shown.loc["G1", "estimate"] == f"12,5{NB}%"
    assert shown.loc["G3", "estimate"] == "–" and shown.loc["G3", "n"] == f"1{NB}500"
    assert "0" not in shown.loc["G0"].tolist()
    means = tables.display_table(estimates([100], kind="mean", estimates=[1.784]))
    assert means.set_index("group").loc["G0", "estimate"] == "1,78"
    assert tables.footnote().startswith("Teckenförklaring: .. ")
    assert "." in tables.footnote(["."]) and "–" not in tables.footnote(["."])
    assert tables.footnote([".."], "en") == ("Symbols: .. not shown: too few answers, "
                                             "disclosure risk or too uncertain.")


def test_table_html_is_accessible_and_explains_symbols():
    frame = pd.DataFrame({"Grupp": ["Totalt", "Män"], "Skattning": [f"30{NB}%", ".."],
                          "_section": ["Totalt", "Kön"]})
    html = tables.table_html(frame, "Otrygga <kväll>", numeric=["Skattning"])
    assert "<caption>Otrygga &lt;kväll&gt;</caption>" in html
    assert '<th scope="col" class="num">Skattning</th>' in html
    assert '<th scope="row">Män</th><td class="num">..</td>' in html
    assert '<th scope="rowgroup" colspan="2">Kön</th>' in html
    assert "Teckenförklaring: .." in html


def test_status_badge_has_symbol_and_word_in_the_reports_language():
    frame = pd.DataFrame({"Nr": ["1"], "Status": ["Ej uppfyllt"]})
    html = tables.table_html(frame, "Status", status=["Status"])
    assert "✗ Ej uppfyllt</span>" in html and "background-color:" in html
    english = tables.table_html(frame, "Status", status=["Status"], language="en")
    assert "✗ Not fulfilled</span>" in english


@pytest.mark.parametrize("language", ["sv", "en"])
def test_indicator_table_keeps_symbols(language):
    rows = [*BASE, dict(row("otrygg_kvall", np.nan, group_var="area", group="Liten", n=None),
                        suppressed=True, symbol="..")]
    table = tables.indicator_table(make_report(rows, language=language), "otrygg_kvall")
    small = table[table.iloc[:, 0] == "Liten"].iloc[0]
    assert list(small.iloc[1:4]) == ["..", "..", ".."]
    assert table.attrs["numeric"] == list(table.columns[1:4])


def test_headings_state_the_configured_level():
    rep = make_report(AREA_ROWS, level=0.90)
    assert f"90{NB}% KI" in tables.indicator_table(rep, "otrygg_kvall").columns
    ranked = tables.ranked_table(rep, pd.DataFrame(AREA_ROWS[3:7]))
    assert f"90{NB}% KI" in ranked.columns
    area = tables.area_table(rep, "Mitt", ["otrygg_kvall"])
    assert list(area.columns) == ["Indikator", "Mitt", f"90{NB}% KI (Mitt)", "Hela kommunen"]
    # Every figure of the area table is right-aligned (they were not before).
    html = tables.table_html(area, "Mitt")
    assert html.count('class="num"') == 3 + 3


def test_english_tables_name_groups_as_the_charts_do():
    """One English word per group: the table says "Women" where the chart says "Women"."""
    rep = make_report(BASE, language="en")
    table = tables.appendix_table(rep, ["otrygg_kvall"])
    assert list(table.iloc[:, 0])[:3] == ["Total", "Women", "Men"]
    assert list(table["_section"])[:3] == ["", "Sex", "Sex"]
    assert list(tables.indicator_table(rep, "otrygg_kvall").iloc[:3, 0]) == \
        ["Total", "Women", "Men"]
    ax = charts.by_group(rep.estimates, year=2020, language="en")
    assert [t.get_text() for t in ax.get_yticklabels()][:3] == ["Total", "Women", "Men"]
    sv = tables.appendix_table(make_report(BASE), ["otrygg_kvall"])
    assert list(sv.iloc[:, 0])[:3] == ["Totalt", "Kvinnor", "Män"]


def test_ranked_table_names_the_indicators_with_their_capitals():
    rep = make_report(AREA_ROWS)
    table = tables.ranked_table(rep, pd.DataFrame(AREA_ROWS[-8:-3]))
    assert list(table["Indikator"])[:2] == ["Nedskräpning", "Skadegörelse/klotter"]
    # A questionnaire's item that names a place keeps the place's capital.
    words = vocabulary.BUILTIN.overlay({"indicator": {"stort_problem_klotter": {
        "sv": "Stort problem: klotter vid Stadshuset", "en": "Big problem: graffiti"}}})
    with vocabulary.using(words):
        table = tables.ranked_table(rep, pd.DataFrame(AREA_ROWS[-7:-6]))
    assert list(table["Indikator"]) == ["Klotter vid Stadshuset"]
