"""The survey report's text: key messages and method text from hand-made estimates."""

from __future__ import annotations

import numpy as np
import pandas as pd

from trygghet import fmt
from trygghet import report_survey as report
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


def make_report(rows, *, sampling="probability", changes=None, years=(2020,), level=0.95,
                language="sv", mode=None):
    est = pd.DataFrame(rows)
    est["n"] = est["n"].astype("Int64")
    design = SamplingDesign(sampling=sampling, sent=2000 if sampling == "probability" else None,
                    mode=mode)
    return report.SurveyReport(
        year=2020, years=list(years), municipality="Exempelby", police_area="LPO Test",
        language=language, area=None, rules=Rules(), synthetic=True, design=design,
        title="Trygghetsmätning 2020", estimates=est,
        changes=changes if changes is not None else pd.DataFrame(),
        weighting={"weighting": {"kish_n_eff": 900.0, "deff": 1.2}},
        cleaning={"rows_in": 1100, "rows_clean": 1000, "rows_quarantined": 80,
                  "duplicates_removed": 20},
        designs={2019: SamplingDesign(sampling="opt_in"), 2020: design}, level=level)


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
    assert [report.rank_text(r, 12, "sv") for r in (1, 2, 6, 11, 12)] == [
        "högst av kommunens 12 områden", "näst högst av kommunens 12 områden",
        "plats 6 av kommunens 12 områden, räknat från den högsta andelen",
        "näst lägst av kommunens 12 områden", "lägst av kommunens 12 områden"]


def test_ranked_rows_of_one_group_largest_first_suppressed_last():
    rows = report.ranked_rows(area_report(), "stort_problem_", "area", "Mitt")
    assert list(rows["indicator"]) == [
        "stort_problem_klotter", "stort_problem_nedskrapning", "stort_problem_bostadsinbrott",
        "stort_problem_berusade", "stort_problem_stold_ur_bil"]
    assert report.ranked_rows(area_report(), "stort_problem_")["indicator"].empty


# --- the confidence level and the words (issue 12) -------------------------------------

def test_the_configured_level_is_the_level_stated():
    """``estimation.level: 0.90`` publishes 90 % intervals; the text must say 90 %."""
    rep = make_report(BASE, level=0.90)
    msgs, method = report.key_messages(rep), report.method_text(rep)
    assert f"(90{NB}% KI 28–32{NB}%)" in msgs[0]
    assert f"Alla andelar redovisas med 90{NB}% konfidensintervall." in method
    assert "95" not in msgs[0] + method
    english = report.key_messages(make_report(BASE, level=0.90, language="en"))
    assert english[0].endswith("(90% CI 28–32%).")


def test_english_messages_and_method_use_english_words_only():
    rep = make_report(BASE, language="en")
    msgs = report.key_messages(rep)
    assert msgs[0] == ("30% of residents (aged 16–84) feel unsafe walking alone late in the "
                       "evening in their neighbourhood (95% CI 28–32%).")
    assert msgs[1] == ("Women feel unsafe more often than men: 40% compared with 20%. "
                       "The difference is statistically significant.")
    text = (" ".join(msgs) + report.method_text(rep)).replace("Söder", "")  # a name stays
    assert not set("åäöÅÄÖ") & set(text), text


def test_names_keep_their_capitals_inside_a_sentence():
    """The survey's own words are lower-cased at the first letter only: "Facebook" stays."""
    rep = make_report(BASE, sampling="opt_in", mode="Webbenkät via länk (Facebook, Trollhättan)")
    assert "(webbenkät via länk (Facebook, Trollhättan))" in report.method_text(rep)
    rep = make_report(BASE)
    cover = report.cover(rep)
    assert cover["title"] == "Trygghet i Exempelby 2020"
    assert cover["subtitle"] == "Resultat från trygghetsmätning 2020"
    rep.title = "Exempelbys trygghetsmätning 2020"
    assert report.cover(rep)["subtitle"] == "Resultat från Exempelbys trygghetsmätning 2020"
    rep.design = SamplingDesign(sampling="probability", sent=2000,
                                population="Norr och Söder, 16–84 år")
    assert "(Norr och Söder, 16–84 år)" in report.method_text(rep)


def test_a_project_at_90_percent_publishes_90_percent_everywhere(sample_run, tmp_path):
    """End to end: ``estimation.level: 0.90`` in config/trygghet.yml → narrower intervals,
    and every text, heading and chart note of the report says 90 %."""
    import shutil

    import yaml

    from trygghet import charts, tables
    from trygghet.cli import main
    from trygghet.config import Project

    root = tmp_path / "p"
    for part in ("config", "data/raw", "data/reference", "data/processed"):
        shutil.copytree(sample_run / part, root / part)
    settings_file = root / "config" / "trygghet.yml"
    settings = yaml.safe_load(settings_file.read_text(encoding="utf-8"))
    settings["estimation"]["level"] = 0.90
    settings_file.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    for year in (2019, 2020):
        assert main(["--root", str(root), "estimate", "--year", str(year)]) == 0

    rep = report.load_survey_report(2020, project=Project(root))
    wide = report.load_survey_report(2020, project=Project(sample_run)).value("otrygg_kvall")
    head = rep.value("otrygg_kvall")
    assert rep.level == 0.90 and head["ci_high"] - head["ci_low"] < wide["ci_high"] - wide["ci_low"]
    assert f"(90{NB}% KI " in report.key_messages(rep)[0]
    assert f"med 90{NB}% konfidensintervall" in report.method_text(rep)
    assert f"90{NB}% KI" in tables.indicator_table(rep, "otrygg_kvall").columns
    ax = charts.by_group(rep.estimates, year=2020)
    notes = " ".join(t.get_text() for t in ax.texts)
    assert f"Felstaplarna visar 90{NB}% konfidensintervall." in notes


# --- A stratified mini-survey: response rates, strata and reconciled margins (issue 15) ------

def stratified_project(root, *, norr: int = 45, soder: int = 80, population=None):
    """The mini mapping as a sample stratified by area with the number sent per area,
    answers written as a survey tool exports them, raked on area only."""
    import yaml
    from helpers import mini_mapping, row, write_export

    (root / "config" / "surveys").mkdir(parents=True)
    (root / "data" / "reference").mkdir(parents=True)
    design = {"sampling": "probability",
              "strata": {"column": "area", "population": {"Norr": 900, "Söder": 1200},
                         "sent": {"Norr": 150, "Söder": 200}}}
    (root / "config" / "surveys" / "2020.yml").write_text(
        yaml.safe_dump(mini_mapping(design=design), allow_unicode=True), encoding="utf-8")
    (root / "config" / "trygghet.yml").write_text(
        "municipality: Exempelby\nweighting:\n  margins: [area]\n", encoding="utf-8")
    pop = population or "dimension;level;population\narea;Norr;900\narea;Söder;1200\n"
    (root / "data" / "reference" / "population_2020.csv").write_text(pop, encoding="utf-8")
    answers = ["Mycket trygg", "Ganska trygg", "Ganska otrygg", "Mycket otrygg"]
    rows = [row(respondent_id=f"r{i}", area=area, sex=("Kvinna", "Man")[i % 2],
                age=str(20 + i % 60), safe_evening=answers[i % 4],
                submitted=f"2020-10-{1 + i // 24:02d} {i % 24:02d}:00")
            for i, area in enumerate(["Norr"] * norr + ["Söder"] * soder)]
    write_export(root / "export.csv", rows, delimiter=";")
    return root


def test_response_rates_per_stratum_in_the_method_section_and_area_report(tmp_path):
    from helpers import run_main

    from trygghet import tables
    from trygghet.config import Project

    root = stratified_project(tmp_path / "p")
    for stage in ("clean", "estimate"):
        res = run_main("--root", str(root), stage, "--year", "2020")
        assert res.returncode == 0, res.stderr
    rep = report.load_survey_report(2020, project=Project(root))
    text = report.method_text(rep)
    # 125 usable answers of 350 sent; Norr 45 of 150 (30 %), Söder 80 of 200 (40 %).
    assert "350 personer" in text and f"125 svar kunde användas, en svarsandel på 36{NB}%" in text
    assert "antalet användbara svar delat med antalet utskick" in text and "RR2" in text
    assert f"Svarsandelen per område varierade från 30{NB}% (Norr) till 40{NB}% (Söder)." in text
    assert "**Stratifierat urval.** Urvalet drogs för sig i 2 strata efter område" in text
    assert f"mellan 5,0{NB}% och 6,7{NB}% av befolkningen" in text  # 45/900 and 80/1 200
    frame = tables.response_table(rep)
    assert frame.to_dict("list") == {"Område": ["Norr", "Söder", "Totalt"],
                                     "Utskick": ["150", "200", "350"],
                                     "Användbara svar": ["45", "80", "125"],
                                     "Svarsandel": [f"30,0{NB}%", f"40,0{NB}%", f"35,7{NB}%"]}
    assert "utskick" in frame.attrs["notes"][0]
    # The area report says the area's rate beside the municipality's.
    rep.area = "Norr"
    sentence = f"Svarsandelen i Norr var 30{NB}% (45 av 150 utskick), mot 36{NB}% i hela kommunen."
    assert sentence in report.method_text(rep)
    assert sentence in tables.area_table(rep, "Norr").attrs["notes"]
    # The Excel appendix's notes give them too.
    import openpyxl

    wb = openpyxl.load_workbook(root / "reports" / "2020" / "tabeller_2020.xlsx")
    about = " ".join(str(c.value) for c in wb.worksheets[0]["A"] if c.value)
    assert (f"Svarsandel (användbara svar / utskick): 35,7{NB}% totalt; per område: Norr "
            f"30,0{NB}% (45 av 150); Söder 40,0{NB}% (80 av 200).") in about


def test_a_stratum_with_few_answers_hides_its_rate_and_one_more(tmp_path):
    """A rate published with its counts publishes how many answered: 3 answers of 150 is
    a cell of three people, and the total less Söder would give it back."""
    from helpers import run_main

    from trygghet import tables
    from trygghet.config import Project

    root = stratified_project(tmp_path / "p", norr=3, soder=80)
    for stage in ("clean", "estimate"):
        assert run_main("--root", str(root), stage, "--year", "2020").returncode == 0
    rep = report.load_survey_report(2020, project=Project(root))
    frame = tables.response_table(rep).set_index("Område")
    assert frame.loc["Norr", "Användbara svar"] == ".." and frame.loc["Norr", "Svarsandel"] == ".."
    assert frame.loc["Söder", "Svarsandel"] == ".."  # secondary: 83 − 80 = 3
    assert frame.loc["Norr", "Utskick"] == "150"  # the design, not a count of people
    assert "Svarsandelen per område" not in report.method_text(rep)
    rep.area = "Norr"
    assert "Svarsandelen i Norr redovisas inte (för få svar)." in report.method_text(rep)


def test_the_method_text_says_the_margins_were_reconciled(tmp_path):
    """SCB's noisy figures: margins 2 100 / 2 110 persons are scaled to one total, and the
    method text says so in one sentence (weighting.reconciliation)."""
    from helpers import run_main

    from trygghet.config import Project

    pop = ("dimension;level;population\narea;Norr;900\narea;Söder;1200\n"
           "sex;Kvinna;1060\nsex;Man;1050\n")
    root = stratified_project(tmp_path / "p", population=pop)
    (root / "config" / "trygghet.yml").write_text(
        "municipality: Exempelby\nweighting:\n  margins: [sex, area]\n", encoding="utf-8")
    for stage in ("clean", "estimate"):
        res = run_main("--root", str(root), stage, "--year", "2020")
        assert res.returncode == 0, res.stderr
    rep = report.load_survey_report(2020, project=Project(root))
    text = report.method_text(rep)
    info = rep.weighting["weighting"]["reconciliation"]
    assert info["reconciled"] and info["totals"] == {"area": 2100, "sex": 2110}
    assert (f"summerade till något olika totaler (område 2{NB}100, kön 2{NB}110)") in text
    assert f"till samma total, {fmt.number(info['control_total'])} personer." in text
    rep.language = "en"
    english = report.method_text(rep)
    assert "scaled proportionally to one total" in english and "Stratified sample" in english
