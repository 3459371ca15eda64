"""Report content: key messages, method text and tables from hand-made estimates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trygghet import report
from trygghet.mapping import SamplingDesign
from trygghet.suppress import Rules

NB = "\u00a0"


def row(indicator, estimate, se=0.01, group_var="total", group="Totalt", n=500, **kw):
    return {"year": 2020, "indicator": indicator, "kind": "share", "group_var": group_var,
            "group": group, "n": n, "estimate": estimate, "se": se,
            "ci_low": estimate - 1.96 * se, "ci_high": estimate + 1.96 * se,
            "estimate_type": kw.get("estimate_type", "weighted"),
            "generalisable": kw.get("generalisable", True),
            "suppressed": kw.get("suppressed", False), "suppression_reason": "",
            "symbol": kw.get("symbol", "")}


def make_report(rows, *, sampling="probability", changes=None, years=(2020,)):
    est = pd.DataFrame(rows)
    est["n"] = est["n"].astype("Int64")
    design = SamplingDesign(sampling=sampling, sent=2000 if sampling == "probability" else None)
    return report.SurveyReport(
        year=2020, years=list(years), municipality="Exempelby", police_area="LPO Test",
        language="sv", area=None, rules=Rules(), synthetic=True, design=design,
        title="Trygghetsmätning 2020", estimates=est,
        changes=changes if changes is not None else pd.DataFrame(),
        weighting={"weighting": {"kish_n_eff": 900.0, "deff": 1.2}},
        cleaning={"rows_in": 1100, "rows_clean": 1000, "rows_quarantined": 80,
                  "duplicates_removed": 20},
        designs={2019: SamplingDesign(sampling="opt_in"), 2020: design})


BASE = [
    row("otrygg_kvall", 0.30),
    row("otrygg_kvall", 0.40, se=0.02, group_var="sex", group="Kvinna"),
    row("otrygg_kvall", 0.20, se=0.02, group_var="sex", group="Man"),
    row("tid_kvall", 0.55), row("tid_natt", 0.45), row("tid_tidig_morgon", 0.15),
    row("tid_dagtid", 0.04),
    row("otrygg_kvall", 0.45, group_var="area", group="Norr"),
    row("otrygg_kvall", 0.25, group_var="area", group="Mitt"),
    row("otrygg_kvall", 0.10, group_var="area", group="Söder"),
]


def test_key_messages_probability_sample():
    msgs = report.key_messages(make_report(BASE))
    assert msgs[0] == (f"30{NB}% av invånarna (16–84 år) känner sig otrygga när de går ut "
                       f"ensamma sent en kväll i sitt bostadsområde (95{NB}% KI 28–32{NB}%).")
    # 0.40 vs 0.20 with SE 0.02 each: z ≈ 7, significant.
    assert msgs[1].endswith("Skillnaden är statistiskt säkerställd.")
    assert "mest otrygga på kvällen" in msgs[2] and f"4{NB}% dagtid" in msgs[2]
    assert "högst andel otrygga finns i Norr" in msgs[3] and "lägst i Söder" in msgs[3]
    assert 3 <= len(msgs) <= 5


def test_sex_difference_not_significant():
    rows = [r for r in BASE if r["group_var"] != "sex"]
    rows += [row("otrygg_kvall", 0.32, se=0.03, group_var="sex", group="Kvinna"),
             row("otrygg_kvall", 0.28, se=0.03, group_var="sex", group="Man")]
    msgs = report.key_messages(make_report(rows))
    assert any(m.endswith("Skillnaden är inte statistiskt säkerställd.") for m in msgs)


def test_opt_in_speaks_of_respondents_and_claims_nothing():
    rows = [dict(r, estimate_type="unweighted", generalisable=False) for r in BASE]
    msgs = report.key_messages(make_report(rows, sampling="opt_in"))
    assert msgs[0].startswith(f"30{NB}% av de svarande")
    assert "KI" not in msgs[0]
    assert not any("säkerställd" in m for m in msgs)


def test_suppressed_headline_gives_no_message():
    rows = [dict(BASE[0], suppressed=True, estimate=np.nan, symbol=".."), *BASE[1:]]
    msgs = report.key_messages(make_report(rows))
    assert not any("av invånarna" in m for m in msgs)


def test_series_break_is_stated():
    changes = pd.DataFrame([{"year_from": 2019, "indicator": "otrygg_kvall", "group_var": "total",
                             "group": "Totalt", "series_break": True, "suppressed": False,
                             "diff": np.nan, "significant": pd.NA}])
    msgs = report.key_messages(make_report(BASE, changes=changes, years=(2019, 2020)))
    assert any("kan inte jämföras med 2019" in m and "seriebrott" in m for m in msgs)


def test_significant_change_is_stated_with_direction():
    changes = pd.DataFrame([{"year_from": 2019, "indicator": "otrygg_kvall", "group_var": "total",
                             "group": "Totalt", "series_break": False, "suppressed": False,
                             "diff": -0.05, "significant": True, "estimate_from": 0.35,
                             "estimate_to": 0.30}])
    msgs = report.key_messages(make_report(BASE, changes=changes, years=(2019, 2020)))
    assert any(f"har minskat sedan 2019, från 35{NB}% till 30{NB}%" in m for m in msgs)


def test_method_text_by_design():
    prob = report.method_text(make_report(BASE))
    assert "slumpmässigt" in prob and f"2{NB}000 personer" in prob and "effektiva" in prob
    opt = report.method_text(make_report(BASE, sampling="opt_in"))
    assert "kan inte generaliseras till befolkningen" in opt
    assert "felmarginal" in opt and "konfidensintervall" not in opt


def test_table_html_is_accessible_and_explains_symbols():
    frame = pd.DataFrame({"Grupp": ["Totalt", "Män"], "Skattning": [f"30{NB}%", ".."],
                          "_section": ["Totalt", "Kön"]})
    html = report.table_html(frame, "Otrygga <kväll>", numeric=["Skattning"])
    assert "<caption>Otrygga &lt;kväll&gt;</caption>" in html
    assert '<th scope="col" class="num">Skattning</th>' in html
    assert '<th scope="row">Män</th><td class="num">..</td>' in html
    assert '<th scope="rowgroup" colspan="2">Kön</th>' in html
    assert "Teckenförklaring: .." in html


def test_status_badge_has_symbol_and_word():
    frame = pd.DataFrame({"Nr": ["1"], "Status": ["Ej uppfyllt"]})
    html = report.table_html(frame, "Status", status=["Status"])
    assert "✗ Ej uppfyllt</span>" in html and "background-color:" in html


@pytest.mark.parametrize("language", ["sv", "en"])
def test_indicator_table_keeps_symbols(language):
    rows = [*BASE, dict(row("otrygg_kvall", np.nan, group_var="area", group="Liten", n=None),
                        suppressed=True, symbol="..")]
    rep = make_report(rows)
    rep.language = language
    table = report.indicator_table(rep, "otrygg_kvall")
    small = table[table.iloc[:, 0] == "Liten"].iloc[0]
    assert list(small.iloc[1:4]) == ["..", "..", ".."]


# --- an area report -----------------------------------------------------------------

AREA_ROWS = BASE + [
    row("tid_kvall", 0.30, group_var="area", group="Mitt"),
    row("tid_natt", 0.50, group_var="area", group="Mitt"),
    row("tid_dagtid", 0.02, group_var="area", group="Mitt"),
    row("stort_problem_nedskrapning", 0.40, group_var="area", group="Mitt"),
    row("stort_problem_klotter", 0.60, group_var="area", group="Mitt"),
    row("stort_problem_berusade", 0.10, group_var="area", group="Mitt"),
    row("stort_problem_bostadsinbrott", 0.20, group_var="area", group="Mitt"),
    row("stort_problem_stold_ur_bil", 0.90, group_var="area", group="Mitt", suppressed=True,
        symbol=".."),
    row("prio_trafik", 0.35, group_var="area", group="Mitt"),
    row("prio_annat", 0.80, group_var="area", group="Mitt"),
    row("stort_problem_klotter", 0.05, group_var="area", group="Norr"),
]


def area_report(rows=AREA_ROWS, area="Mitt"):
    rep = make_report(rows)
    rep.area = area
    return rep


def test_an_area_report_leads_with_its_own_area():
    msgs = report.key_messages(area_report())
    assert msgs[0] == (f"I Mitt känner sig 25{NB}% av invånarna otrygga när de går ut ensamma "
                       f"sent en kväll (hela kommunen 30{NB}%): plats 2 av kommunens 3 områden, "
                       "räknat från den högsta andelen.")
    assert msgs[1] == f"I Mitt är det på natten som flest känner sig mest otrygga (50{NB}%)."
    # The three largest published problems of the area, not the municipality's; a
    # suppressed one is not used, "annat" is no priority worth naming.
    assert msgs[2] == (f"De största problemen i Mitt enligt de svarande: skadegörelse/klotter "
                       f"(60{NB}%), nedskräpning (40{NB}%) och inbrott i bostäder (20{NB}%).")
    assert msgs[3] == (f"I Mitt vill flest att polisen och kommunen prioriterar trafik "
                       f"(35{NB}%).")
    assert report.area_messages(area_report(area="Norr"))[0].endswith(
        "högst av kommunens 3 områden.")
    assert [report._rank_text(r, 12, "sv") for r in (1, 2, 6, 11, 12)] == [
        "högst av kommunens 12 områden", "näst högst av kommunens 12 områden",
        "plats 6 av kommunens 12 områden, räknat från den högsta andelen",
        "näst lägst av kommunens 12 områden", "lägst av kommunens 12 områden"]


def test_ranked_rows_of_one_group_largest_first_suppressed_last():
    rows = report.ranked_rows(area_report(), "stort_problem_", "area", "Mitt")
    assert list(rows["indicator"]) == [
        "stort_problem_klotter", "stort_problem_nedskrapning", "stort_problem_bostadsinbrott",
        "stort_problem_berusade", "stort_problem_stold_ur_bil"]
    assert report.ranked_rows(area_report(), "stort_problem_")["indicator"].empty


def test_english_names_of_every_indicator_and_group():
    """A report in English names indicators and groups in English (no Swedish left)."""
    from trygghet.indicators import INDICATORS

    for name, ind in INDICATORS.items():
        assert not set("åäöÅÄÖ") & set(ind.label_en), (name, ind.label_en)
    rep = make_report(BASE)
    rep.language = "en"
    table = report.appendix_table(rep, ["otrygg_kvall"])
    assert list(table.iloc[:, 0])[:3] == ["Total", "Woman", "Man"]
