"""Medborgarlöfte follow-up: rules, statuses, sentences, file validation and the CLI.

Every rule is tested on hand-made frames (no file needs to exist), every
sentence against its exact Swedish text, every validation error for the file,
row/line and field it names.
"""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import yaml

from trygghet import cli, pipeline, promise_files, promises
from trygghet.config import Project
from trygghet.errors import TrygghetError
from trygghet.promises import (
    IndicatorSpec,
    Outcomes,
    Status,
    combine,
    evaluate,
    format_follow_up,
    judge,
)

S = "\u00a0"  # the non-breaking space of Swedish number format
M = "\u2212"  # the minus sign
REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "examples" / "trollhattan" / "data" / "reference"
AS_OF = date(2021, 3, 31)


def spec(rule: str, indicator: str = "x", label: str = "antalet x", year: int = 2020,
         as_of: date = AS_OF, **params) -> IndicatorSpec:
    defaults = {"survey": {"direction": "decrease", "group_var": "total", "group": "Totalt"}}
    return IndicatorSpec(indicator=indicator, label=label, rule=rule, year=year, as_of=as_of,
                         params={**defaults.get(rule, {}), **params}, inriktning=1,
                         where="inriktningar[1].indicators[1]")


def values(*rows) -> pd.DataFrame:
    """(indicator, year, value[, note]) tuples → a utfall frame."""
    records = [{"indicator": r[0], "year": r[1], "value": r[2], "source": "Test",
                "extracted": date(r[1] + 1, 1, 15), "note": r[3] if len(r) > 3 else None}
               for r in rows]
    return pd.DataFrame(records)


# --- increase / decrease ------------------------------------------------------

MANGD = "antalet redovisade mängdbrottsutredningar"
VALD = "antalet anmälningar om våld i offentlig miljö"


def test_increase_met_cites_numbers_as_in_the_issue():
    r = judge(spec("increase", "m", MANGD), Outcomes(values=values(("m", 2019, 412),
                                                                   ("m", 2020, 455))))
    assert r.status is Status.MET
    assert r.reason == (f"Antalet redovisade mängdbrottsutredningar ökade från 412 till 455 "
                        f"(+10{S}%).")
    assert r.numbers["year_from"] == 2019 and r.numbers["value_to"] == 455
    assert r.numbers["change"] == 43 and r.numbers["change_pct"] == pytest.approx(43 / 412)


def test_increase_not_met_when_it_fell():
    r = judge(spec("increase", "m", MANGD, year=2021),
              Outcomes(values=values(("m", 2020, 455), ("m", 2021, 431))))
    assert r.status is Status.NOT_MET
    assert r.reason == (f"Antalet redovisade mängdbrottsutredningar minskade från 455 till 431 "
                        f"({M}5{S}%).")


def test_unchanged_is_not_met_for_both_directions():
    data = Outcomes(values=values(("v", 2019, 164), ("v", 2020, 164)))
    for rule in ("increase", "decrease"):
        r = judge(spec(rule, "v", VALD), data)
        assert r.status is Status.NOT_MET
        assert r.reason == ("Antalet anmälningar om våld i offentlig miljö låg kvar på 164 både "
                            "2019 och 2020.")


def test_decrease_met_and_not_met():
    down = judge(spec("decrease", "v", VALD), Outcomes(values=values(("v", 2019, 187),
                                                                     ("v", 2020, 164))))
    assert down.status is Status.MET
    assert down.reason == ("Antalet anmälningar om våld i offentlig miljö minskade från 187 "
                           f"till 164 ({M}12{S}%).")
    up = judge(spec("decrease", "v", VALD), Outcomes(values=values(("v", 2019, 1417),
                                                                   ("v", 2020, 1420))))
    assert up.status is Status.NOT_MET
    assert up.reason == (f"Antalet anmälningar om våld i offentlig miljö ökade från 1{S}417 "
                         f"till 1{S}420 (+0,2{S}%).")


def test_missing_year_is_no_data_never_not_met():
    data = Outcomes(values=values(("v", 2019, None, "Ny områdesindelning."), ("v", 2020, 164)))
    r = judge(spec("decrease", "v", VALD), data)
    assert r.status is Status.NO_DATA
    assert r.reason == ("Uppgift om antalet anmälningar om våld i offentlig miljö saknas för "
                        "2019 (Ny områdesindelning).")
    # A year without a row at all: the same, without a note.
    r = judge(spec("increase", "v", VALD, year=2022), data)
    assert r.status is Status.NO_DATA
    assert r.reason == ("Uppgift om antalet anmälningar om våld i offentlig miljö saknas för "
                        "2021 och 2022.")


def test_compare_with_names_the_years_and_zero_base_has_no_percentage():
    data = Outcomes(values=values(("m", 2018, 0), ("m", 2020, 12.5)))
    r = judge(spec("increase", "m", MANGD, compare_with=2018), data)
    assert r.status is Status.MET
    assert r.reason == ("Antalet redovisade mängdbrottsutredningar ökade från 0 år 2018 till "
                        "12,5 år 2020.")
    assert r.numbers["change_pct"] is None


# --- target_count -------------------------------------------------------------

def rounds(*rows) -> pd.DataFrame:
    """(area, date, held, children_youth) tuples → a register frame."""
    return pd.DataFrame([{"area": a, "date": date.fromisoformat(d), "held": h,
                          "participants": 20 if h else 0, "children_youth": c}
                         for a, d, h, c in rows])


def ronder(**params) -> IndicatorSpec:
    return spec("target_count", "trygghetsronder", "trygghetsronder",
                **({"target": 2, "areas": 2, "children_youth": "every"} | params))


def test_target_count_met():
    data = Outcomes(rounds=rounds(("Sylte", "2020-05-18", True, 5),
                                  ("Centrum", "2020-09-28", True, 7),
                                  ("Centrum", "2019-09-28", True, 0)))
    r = judge(ronder(), data)
    assert r.status is Status.MET
    assert r.reason == ("Under 2020 genomfördes 2 trygghetsronder i Sylte och Centrum; målet "
                        "var 2 ronder i 2 olika områden. Barn och unga deltog i båda ronderna, "
                        "sammanlagt 12 personer.")
    assert r.numbers["value_to"] == 2 and r.numbers["target"] == 2


def test_target_count_partly_when_children_missing_from_a_round():
    data = Outcomes(rounds=rounds(("Sylte", "2020-04-21", False, 0),
                                  ("Kronogården", "2020-06-09", True, 6),
                                  ("Lextorp", "2020-10-13", True, 0)))
    r = judge(ronder(), data)
    assert r.status is Status.PARTLY_MET
    assert r.reason == ("Under 2020 genomfördes 2 trygghetsronder i Kronogården och Lextorp; "
                        "målet var 2 ronder i 2 olika områden. Barn och unga deltog i 1 av 2 "
                        "ronder (Kronogården), sammanlagt 6 personer. Dessutom ställdes 1 "
                        "planerad rond in.")
    # With "any" one round with children is enough.
    assert judge(ronder(children_youth="any"), data).status is Status.MET


def test_target_count_partly_when_short_or_in_one_area():
    one = Outcomes(rounds=rounds(("Sylte", "2020-05-18", True, 1)))
    r = judge(ronder(), one)
    assert r.status is Status.PARTLY_MET
    assert r.reason == ("Under 2020 genomfördes 1 trygghetsrond i Sylte; målet var 2 ronder i "
                        "2 olika områden. Barn och unga deltog i ronden, sammanlagt 1 person.")
    same_area = Outcomes(rounds=rounds(("Sylte", "2020-05-18", True, 1),
                                       ("Sylte", "2020-09-18", True, 2)))
    assert judge(ronder(), same_area).status is Status.PARTLY_MET
    assert judge(ronder(areas=None), same_area).status is Status.MET
    no_kids = Outcomes(rounds=rounds(("Sylte", "2020-05-18", True, 0),
                                     ("Lextorp", "2020-09-18", True, 0)))
    r = judge(ronder(), no_kids)
    assert r.status is Status.PARTLY_MET
    assert r.reason.endswith("Barn och unga deltog inte i någon av ronderna.")


def test_target_count_not_met_when_only_cancelled_and_no_data_when_unregistered():
    cancelled = Outcomes(rounds=rounds(("Sylte", "2020-04-21", False, 0)))
    r = judge(ronder(), cancelled)
    assert r.status is Status.NOT_MET
    assert r.reason == ("Ingen trygghetsrond genomfördes under 2020; målet var 2 ronder i 2 "
                        "olika områden. Den planerade ronden ställdes in.")
    empty_year = Outcomes(rounds=rounds(("Sylte", "2019-04-21", True, 3)))
    r = judge(ronder(), empty_year)
    assert r.status is Status.NO_DATA
    assert r.reason == "Registret över trygghetsronder har inga uppgifter för 2020."


def test_rounds_are_counted_once_however_many_actions():
    register = rounds(("Sylte", "2020-05-18", True, 5), ("Sylte", "2020-05-18", True, 5),
                      ("Centrum", "2020-09-28", True, 7))
    assert judge(ronder(), Outcomes(rounds=register)).numbers["value_to"] == 2


# --- milestone ----------------------------------------------------------------

def milestones(reached: str | None, extracted: str = "2022-01-10") -> pd.DataFrame:
    return pd.DataFrame([{"indicator": "k", "source": "Test", "note": None,
                          "reached_on": date.fromisoformat(reached) if reached else None,
                          "extracted": date.fromisoformat(extracted)}])


def kontakt(**kw) -> IndicatorSpec:
    return spec("milestone", "k", "kontaktcenter i drift", deadline=date(2021, 12, 31), **kw)


def test_milestone_in_progress_before_deadline():
    r = judge(kontakt(), Outcomes(milestones=milestones(None)))
    assert r.status is Status.IN_PROGRESS
    assert r.reason == (f"Milstolpen ”kontaktcenter i drift” ska nås senast 31{S}december 2021 "
                        f"och var inte nådd vid uppföljningen 31{S}mars 2021.")
    later = judge(kontakt(), Outcomes(milestones=milestones("2021-09-06")))
    assert later.status is Status.IN_PROGRESS
    assert later.reason.endswith(f"(nåddes senare, 6{S}september 2021).")


def test_milestone_met_when_reached_by_follow_up():
    r = judge(kontakt(as_of=date(2022, 3, 31)), Outcomes(milestones=milestones("2021-09-06")))
    assert r.status is Status.MET
    assert r.reason == (f"Milstolpen ”kontaktcenter i drift” nåddes 6{S}september 2021 "
                        f"(mål: senast 31{S}december 2021).")
    assert r.numbers["reached_on"] == date(2021, 9, 6)


def test_milestone_not_met_after_deadline_or_late():
    r = judge(kontakt(as_of=date(2022, 3, 31)),
              Outcomes(milestones=milestones(None, "2022-04-05")))
    assert r.status is Status.NOT_MET
    assert r.reason == (f"Milstolpen ”kontaktcenter i drift” skulle nås senast 31{S}december "
                        f"2021 men var inte nådd vid uppföljningen 31{S}mars 2022.")
    late = judge(kontakt(as_of=date(2022, 3, 31)),
                 Outcomes(milestones=milestones("2022-02-01", "2022-03-01")))
    assert late.status is Status.NOT_MET
    assert late.reason == (f"Milstolpen ”kontaktcenter i drift” nåddes först 1{S}februari 2022 "
                           f"(mål: senast 31{S}december 2021).")


def test_milestone_judged_on_what_the_data_knew():
    # Extracted before the deadline and not reached: still in progress, as of the extraction.
    r = judge(kontakt(as_of=date(2022, 3, 31)),
              Outcomes(milestones=milestones(None, "2021-11-15")))
    assert r.status is Status.IN_PROGRESS
    assert r.reason.endswith(f"var inte nådd enligt uppgift 15{S}november 2021.")


# --- survey -------------------------------------------------------------------

OTRYGG = "andelen som känner sig otrygga ute ensamma sent en kväll"


def estimates(*rows) -> pd.DataFrame:
    """(year, estimate, generalisable[, estimate_type, suppressed]) → an estimates frame."""
    out = []
    for r in rows:
        year, value, gen = r[:3]
        out.append({"year": year, "indicator": "otrygg_kvall", "kind": "share",
                    "group_var": "total", "group": "Totalt", "n": 900, "estimate": value,
                    "se": 0.014, "ci_low": value - 0.03, "ci_high": value + 0.03,
                    "ci_method": "wilson",
                    "estimate_type": r[3] if len(r) > 3 else ("weighted" if gen else "unweighted"),
                    "generalisable": gen, "suppressed": r[4] if len(r) > 4 else False,
                    "suppression_reason": "färre än 30 svar" if len(r) > 4 else None,
                    "symbol": ".." if len(r) > 4 and r[4] else ""})
    return pd.DataFrame(out)


def changes(diff, low, high, significant, series_break=False, note=None, year_from=2020,
            year_to=2021) -> pd.DataFrame:
    frame = pd.DataFrame([{"year_from": year_from, "year_to": year_to,
                           "indicator": "otrygg_kvall", "group_var": "total", "group": "Totalt",
                           "diff": diff, "se_diff": 0.02, "ci_low": low, "ci_high": high,
                           "significant": significant, "series_break": series_break,
                           "note": note}])
    frame["significant"] = frame["significant"].astype("boolean")
    return frame


def otrygg(**params) -> IndicatorSpec:
    return spec("survey", "otrygg_kvall", OTRYGG, year=2021, **params)


PROBABILITY = estimates((2020, 0.241, True), (2021, 0.203, True))


def test_survey_significant_decrease_is_met():
    data = Outcomes(estimates=PROBABILITY, changes=changes(-0.038, -0.062, -0.014, True))
    r = judge(otrygg(), data)
    assert r.status is Status.MET
    assert r.reason == (f"Andelen som känner sig otrygga ute ensamma sent en kväll minskade från "
                        f"24,1{S}% år 2020 till 20,3{S}% år 2021 ({M}3,8{S}procentenheter, "
                        f"95{S}% konfidensintervall {M}6,2 till {M}1,4); förändringen är "
                        "statistiskt säkerställd.")
    assert r.numbers["significant"] is True and r.numbers["ci_low"] == -0.062


def test_survey_significant_increase_is_not_met_and_direction_flips_it():
    data = Outcomes(estimates=estimates((2020, 0.203, True), (2021, 0.239, True)),
                    changes=changes(0.036, 0.009, 0.063, True))
    r = judge(otrygg(), data)
    assert r.status is Status.NOT_MET
    assert r.reason == (f"Andelen som känner sig otrygga ute ensamma sent en kväll ökade från "
                        f"20,3{S}% år 2020 till 23,9{S}% år 2021 (+3,6{S}procentenheter, "
                        f"95{S}% konfidensintervall 0,9 till 6,3); förändringen är statistiskt "
                        "säkerställd.")
    assert judge(otrygg(direction="increase"), data).status is Status.MET


def test_survey_no_significant_change_is_a_reported_result():
    data = Outcomes(estimates=estimates((2020, 0.241, True), (2021, 0.230, True)),
                    changes=changes(-0.011, -0.040, 0.018, False))
    r = judge(otrygg(), data)
    assert r.status is Status.NOT_MET
    assert r.reason == (f"Andelen som känner sig otrygga ute ensamma sent en kväll var 24,1{S}% "
                        f"år 2020 och 23,0{S}% år 2021 ({M}1,1{S}procentenheter, 95{S}% "
                        f"konfidensintervall {M}4,0 till 1,8); förändringen är inte statistiskt "
                        "säkerställd.")
    r = judge(otrygg(if_no_change=Status.PARTLY_MET), data)
    assert r.status is Status.PARTLY_MET
    assert r.numbers["significant"] is False


def test_survey_series_break_is_no_data_with_the_reason():
    data = Outcomes(
        estimates=estimates((2019, 0.315, False), (2019, 0.29, False, "adjusted"),
                            (2020, 0.224, True)),
        changes=changes(-0.091, None, None, None, series_break=True, year_from=2019,
                        year_to=2020,
                        note="2019 var en webbenkät med självselekterade svarande."))
    r = judge(spec("survey", "otrygg_kvall", OTRYGG), data)
    assert r.status is Status.NO_DATA
    assert r.reason == (f"Andelen som känner sig otrygga ute ensamma sent en kväll var 31,5{S}% "
                        "år 2019 (andel av de svarande, ej slumpmässigt urval) och 22,4"
                        f"{S}% år 2020, men ingen slutsats om förändring kan dras: 2019 var inte "
                        "ett slumpmässigt urval (seriebrott).")
    # The primary opt-in figure is the unweighted one, never the raked "adjusted" one.
    assert r.numbers["value_from"] == 0.315


def test_survey_opt_in_year_blocks_a_conclusion_even_without_a_break_flag():
    data = Outcomes(estimates=estimates((2019, 0.315, False), (2020, 0.224, True)),
                    changes=changes(-0.091, -0.12, -0.06, True, year_from=2019, year_to=2020))
    r = judge(spec("survey", "otrygg_kvall", OTRYGG), data)
    assert r.status is Status.NO_DATA
    assert r.reason.endswith("men ingen slutsats om förändring kan dras: 2019 var inte ett "
                             "slumpmässigt urval (seriebrott).")


def test_survey_other_series_break_cites_the_estimation_note():
    data = Outcomes(estimates=PROBABILITY,
                    changes=changes(-0.038, None, None, None, series_break=True,
                                    note="frågan formulerades om 2021."))
    r = judge(otrygg(), data)
    assert r.status is Status.NO_DATA
    assert r.reason == (f"Andelen som känner sig otrygga ute ensamma sent en kväll var 24,1{S}% "
                        f"år 2020 och 20,3{S}% år 2021, men ingen slutsats om förändring kan "
                        "dras. Frågan formulerades om 2021.")
    without_note = Outcomes(estimates=PROBABILITY,
                            changes=changes(-0.038, None, None, None, series_break=True))
    assert judge(otrygg(), without_note).reason.endswith(
        "kan dras: undersökningen gjordes på olika sätt åren emellan (seriebrott).")


def test_survey_suppressed_change_is_no_data():
    frame = changes(-0.038, -0.062, -0.014, True)
    frame["suppressed"], frame["suppression_reason"] = True, "färre än 30 svar"
    r = judge(otrygg(), Outcomes(estimates=PROBABILITY, changes=frame))
    assert r.status is Status.NO_DATA
    assert r.reason.endswith("men förändringen redovisas inte (färre än 30 svar).")
    # The codes of suppress.protect read as Swedish, never as the code itself.
    frame["suppression_reason"] = "disclosure"
    r = judge(otrygg(), Outcomes(estimates=PROBABILITY, changes=frame))
    assert r.reason.endswith("men förändringen redovisas inte (för få svarande, röjanderisk).")


def test_survey_missing_or_suppressed_estimates_are_no_data():
    r = judge(otrygg(), Outcomes(survey_missing="enkätskattningarna för 2021 saknas"))
    assert r.status is Status.NO_DATA
    assert r.reason == ("Andelen som känner sig otrygga ute ensamma sent en kväll kan inte "
                        "bedömas: enkätskattningarna för 2021 saknas.")
    only_2021 = Outcomes(estimates=estimates((2021, 0.2, True)), changes=changes(0, 0, 0, False))
    assert judge(otrygg(), only_2021).reason.endswith("kan inte bedömas: skattning för 2020 "
                                                      "saknas.")
    suppressed = Outcomes(estimates=estimates((2020, 0.2, True), (2021, 0.2, True, "weighted",
                                                                  True)),
                          changes=changes(0, 0, 0, False))
    r = judge(otrygg(), suppressed)
    assert r.status is Status.NO_DATA
    assert r.reason.endswith("skattningen för 2021 redovisas inte (färre än 30 svar).")


def test_survey_without_a_change_or_its_significance_is_no_data():
    no_change = Outcomes(estimates=PROBABILITY, changes=changes(0, 0, 0, False, year_from=2018))
    r = judge(otrygg(), no_change)
    assert r.status is Status.NO_DATA
    assert r.reason.endswith("men förändringens osäkerhet saknas i skattningarna, så ingen "
                             "slutsats kan dras.")
    unknown = Outcomes(estimates=PROBABILITY, changes=changes(-0.038, None, None, None))
    assert judge(otrygg(), unknown).status is Status.NO_DATA


# --- combining indicators and evaluating a promise ----------------------------

@pytest.mark.parametrize(("statuses", "expected"), [
    (["Uppfyllt"], "Uppfyllt"),
    (["Uppfyllt", "Uppfyllt"], "Uppfyllt"),
    (["Underlag saknas", "Underlag saknas"], "Underlag saknas"),
    (["Uppfyllt", "Ej uppfyllt"], "Delvis uppfyllt"),
    (["Uppfyllt", "Underlag saknas"], "Delvis uppfyllt"),
    (["Delvis uppfyllt", "Ej uppfyllt"], "Delvis uppfyllt"),
    (["Uppfyllt", "Pågår"], "Delvis uppfyllt"),
    (["Pågår", "Ej uppfyllt"], "Pågår"),
    (["Pågår", "Underlag saknas"], "Pågår"),
    (["Ej uppfyllt", "Underlag saknas"], "Ej uppfyllt"),
])
def test_combine(statuses, expected):
    assert combine(Status(s) for s in statuses) == expected


def test_missing_data_alone_never_gives_not_met():
    for n in (1, 2, 3):
        assert combine([Status.NO_DATA] * n) is Status.NO_DATA


def test_a_rule_can_be_added(tmp_path):
    @promises.register_rule("at_least", "values",
                            minimum=promises.Param(promises.parse_positive_int, required=True))
    def judge_at_least(s, outcomes):
        value = outcomes.values.query("indicator == @s.indicator and year == @s.year")
        ok = value["value"].iloc[0] >= s.params["minimum"]
        return promises.IndicatorResult(s, Status.MET if ok else Status.NOT_MET, "Test.")

    try:
        promise = promise_files.load_promise(_write(tmp_path, _promise_dict(indicators=[
            {"indicator": "m", "label": "x", "rule": "at_least", "minimum": 400}])))
        follow_up = evaluate(promise, Outcomes(values=values(("m", 2020, 455))))
        assert follow_up.results[0].status is Status.MET
        assert promise.indicators[0].params == {"minimum": 400}
    finally:
        del promises.RULES["at_least"]


def test_follow_up_table_and_text_on_the_bundled_2020_promise():
    promise = promise_files.load_promise(REFERENCE / "medborgarlofte_2020.yml")
    outcomes = promise_files.load_outcomes(REFERENCE, promise)
    follow_up = evaluate(promise, outcomes)
    statuses = [r.status for r in follow_up.results]
    assert statuses == [Status.MET, Status.NO_DATA, Status.PARTLY_MET, Status.IN_PROGRESS]
    table = follow_up.table()
    assert list(table["inriktning"]) == [1, 2, 2, 3, 4]
    assert table.loc[2, "indicator_status"] == "Underlag saknas"
    assert str(table["year_from"].dtype) == "Int64"
    text = format_follow_up(follow_up, width=80)
    assert all(len(line) <= 80 for line in text.splitlines())
    assert f"(+10{S}%)" in text  # a number never breaks at its non-breaking space
    assert "Antal inriktningar: Uppfyllt 1, Delvis uppfyllt 1, Pågår 1, Underlag saknas 1." \
        in text


# --- the bundled files --------------------------------------------------------

SEED = [
    ("Polisen ökar antalet redovisade mängdbrottsutredningar till åklagare jämfört med "
     "föregående år.", "Löpande", "Gruppchef", "Lokalpolisområde Östra Fyrbodal",
     "Kommunpolis"),
    ("Genom ökad polisiär närvaro och synlighet minska antalet anmälningar gällande våld i "
     "offentlig miljö.", "Löpande", "Gruppchef", "Lokalpolisområde Östra Fyrbodal",
     "Kommunpolis"),
    ("Trygghetsronder genomförs i två geografiska områden. Även barn och unga deltar i "
     "ronderna.", "2 stycken under 2020.", "Hållbarhetsstrateg.", "Trollhättans stad.",
     "Trollhättans stad,Trygghetsgruppen/Lokala BRÅ."),
    ("Trollhättans Stad har för avsikt att öka tillgängligheten för invånarna genom "
     "inrättande av ett kontaktcenter, arbetet pågår under hela 2020.", "I drift under 2021.",
     "Stadsdirektören.", "Trollhättans stad.",
     "Trollhättans stad, kommunstyrelsens förvaltning."),
]


def test_bundled_2020_promise_is_the_seed_verbatim():
    p = promise_files.load_promise(REFERENCE / "medborgarlofte_2020.yml")
    assert (p.year, p.municipality, p.police_area) == (
        2020, "Trollhättan", "Lokalpolisområde Östra Fyrbodal")
    assert p.period == (date(2020, 1, 1), date(2020, 12, 31))
    assert p.follow_up_by == date(2021, 3, 31)
    assert ", ".join(p.steering_group[:-1]) + " och " + p.steering_group[-1] == (
        "Kommunstyrelsens presidium, stadsdirektören och lokalpolisområdeschef i östra Fyrbodal")
    got = [(i.text, i.scope, i.responsible, i.follow_up, i.evaluation) for i in p.inriktningar]
    assert got == SEED
    assert [s.rule for s in p.indicators] == ["increase", "decrease", "survey", "target_count",
                                              "milestone"]
    assert not p.synthetic


def test_bundled_2021_promise_is_synthetic_and_loads():
    p = promise_files.load_promise(REFERENCE / "medborgarlofte_2021.yml")
    assert p.synthetic and p.year == 2021 and len(p.inriktningar) == 4
    promise_files.load_outcomes(REFERENCE, p)


def test_bundled_outcome_files_are_labelled_synthetic():
    v = promise_files.read_values(REFERENCE / "utfall.csv")
    assert v["source"].str.startswith("Syntetiska exempeldata").all()
    assert set(v["year"]) == {2019, 2020, 2021}
    r = promise_files.read_rounds(REFERENCE / "trygghetsronder.csv")
    assert r["participant_groups"].dropna().str.contains("syntetiskt").all()
    m = promise_files.read_milestones(REFERENCE / "milstolpar.csv")
    assert m["source"].str.startswith("Syntetiska exempeldata").all()


# --- validation of the promise file -------------------------------------------

def _promise_dict(indicators=None, **top) -> dict:
    d = {
        "year": 2020, "municipality": "Testkommun", "police_area": "LPO Test",
        "period": ["2020-01-01", "2020-12-31"], "steering_group": ["presidiet"],
        "follow_up_by": "2021-03-31",
        "inriktningar": [{
            "number": 1, "text": "Polisen ökar antalet.", "scope": "Löpande",
            "responsible": "Gruppchef", "follow_up": "LPO", "evaluation": "Kommunpolis",
            "indicators": indicators or [{"indicator": "m", "label": "antalet m",
                                          "rule": "increase"}],
        }],
    }
    d.update(top)
    return d


def _write(tmp_path: Path, d: dict | str) -> Path:
    path = tmp_path / "medborgarlofte_2020.yml"
    text = d if isinstance(d, str) else yaml.safe_dump(d, allow_unicode=True, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def _error(tmp_path: Path, d: dict | str) -> TrygghetError:
    path = _write(tmp_path, d)
    with pytest.raises(TrygghetError) as info:
        promise_files.load_promise(path)
    assert info.value.file == str(path)
    return info.value


def test_missing_field(tmp_path):
    d = _promise_dict()
    del d["inriktningar"][0]["responsible"]
    err = _error(tmp_path, d)
    assert err.column == "inriktningar[1].responsible"
    assert err.message == "fältet saknas"
    # The line of the inriktning that lacks the field.
    lines = (tmp_path / "medborgarlofte_2020.yml").read_text(encoding="utf-8").splitlines()
    assert lines[err.row - 1].strip() == "- number: 1"


def test_missing_top_level_field(tmp_path):
    d = _promise_dict()
    del d["follow_up_by"]
    err = _error(tmp_path, d)
    assert (err.column, err.message) == ("follow_up_by", "fältet saknas")


def test_unknown_rule(tmp_path):
    d = _promise_dict(indicators=[{"indicator": "m", "label": "x", "rule": "increse"}])
    err = _error(tmp_path, d)
    assert err.column == "inriktningar[1].indicators[1].rule"
    assert err.message == "okänd regel 'increse'"
    assert err.hint.startswith("menade du 'increase'?")
    assert "target_count" in err.hint
    lines = (tmp_path / "medborgarlofte_2020.yml").read_text(encoding="utf-8").splitlines()
    assert "rule: increse" in lines[err.row - 1]


def test_bad_date(tmp_path):
    err = _error(tmp_path, _promise_dict(follow_up_by="2021-02-30"))
    assert (err.column, err.message) == ("follow_up_by", "ogiltigt datum '2021-02-30'")
    assert err.hint == "skriv datum som ÅÅÅÅ-MM-DD"
    d = _promise_dict(indicators=[{"indicator": "k", "label": "k", "rule": "milestone",
                                   "deadline": "31 december 2021"}])
    err = _error(tmp_path, d)
    assert err.column == "inriktningar[1].indicators[1].deadline"


def test_wrong_types(tmp_path):
    err = _error(tmp_path, _promise_dict(year="tjugotjugo"))
    assert (err.column, err.message) == ("year", "ska vara ett årtal, inte 'tjugotjugo'")
    d = _promise_dict(indicators=[{"indicator": "trygghetsronder", "label": "t",
                                   "rule": "target_count", "target": "två"}])
    err = _error(tmp_path, d)
    assert err.column == "inriktningar[1].indicators[1].target"
    assert err.message == "ska vara ett positivt heltal, inte 'två'"
    d = _promise_dict()
    d["inriktningar"][0]["scope"] = ["Löpande"]
    assert _error(tmp_path, d).column == "inriktningar[1].scope"


def test_unknown_key_missing_param_and_bad_choice(tmp_path):
    d = _promise_dict(indicators=[{"indicator": "m", "label": "x", "rule": "increase",
                                   "compare_wiht": 2018}])
    err = _error(tmp_path, d)
    assert (err.column, err.message, err.hint) == (
        "inriktningar[1].indicators[1].compare_wiht", "okänd nyckel",
        "menade du 'compare_with'?")
    d = _promise_dict(indicators=[{"indicator": "trygghetsronder", "label": "t",
                                   "rule": "target_count"}])
    assert _error(tmp_path, d).column == "inriktningar[1].indicators[1].target"
    d = _promise_dict(indicators=[{"indicator": "otrygg_kvall", "label": "a", "rule": "survey",
                                   "direction": "down"}])
    assert _error(tmp_path, d).message == "ska vara decrease eller increase, inte 'down'"


def test_indicator_names_checked_by_their_rule(tmp_path):
    d = _promise_dict(indicators=[{"indicator": "otryg_kvall", "label": "a", "rule": "survey"}])
    err = _error(tmp_path, d)
    assert err.message == "okänd enkätindikator 'otryg_kvall' (menade du 'otrygg_kvall'?)"
    d = _promise_dict(indicators=[{"indicator": "ronder", "label": "a", "rule": "target_count",
                                   "target": 2}])
    assert _error(tmp_path, d).message.startswith("okänt register 'ronder'")


def test_inriktning_without_indicator_and_duplicate_number(tmp_path):
    d = _promise_dict()
    d["inriktningar"][0]["indicators"] = []
    assert _error(tmp_path, d).column == "inriktningar[1].indicators"
    d = _promise_dict()
    d["inriktningar"].append(dict(d["inriktningar"][0]))
    err = _error(tmp_path, d)
    assert (err.column, err.message) == ("inriktningar[2].number", "inriktning 1 finns redan")


def test_follow_up_before_period_end(tmp_path):
    err = _error(tmp_path, _promise_dict(follow_up_by="2020-06-30"))
    assert err.column == "follow_up_by"


def test_duplicate_key_is_reported_by_the_strict_reader(tmp_path):
    err = _error(tmp_path, "year: 2020\nyear: 2021\n")
    assert "två gånger" in err.message and err.row == 2


def test_indicator_without_data(tmp_path):
    promise = promise_files.load_promise(_write(tmp_path, _promise_dict(indicators=[
        {"indicator": "mangdbrot_redovisade", "label": "x", "rule": "increase"}])))
    outcomes = Outcomes(values=values(("mangdbrott_redovisade", 2020, 1)),
                        files={"values": tmp_path / "utfall.csv"})
    with pytest.raises(TrygghetError) as info:
        promise_files.check_outcomes(promise, outcomes)
    err = info.value
    assert err.file == str(tmp_path / "medborgarlofte_2020.yml")
    assert err.column == "inriktningar[1].indicators[1].indicator"
    assert err.message == "indikatorn 'mangdbrot_redovisade' har inga uppgifter i utfall.csv"
    assert err.hint == "menade du 'mangdbrott_redovisade'?"
    assert err.row is not None


def test_missing_outcome_file_is_named(tmp_path):
    promise = promise_files.load_promise(_write(tmp_path, _promise_dict()))
    with pytest.raises(TrygghetError) as info:
        promise_files.load_outcomes(tmp_path, promise)
    assert info.value.file == str(tmp_path / "utfall.csv")
    assert info.value.message == "filen finns inte"


# --- validation of the outcome files ------------------------------------------

def _csv(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


HEAD = "indicator,year,value,source,extracted,note\n"


@pytest.mark.parametrize(("body", "row", "column", "message"), [
    ("m,2020,455,Polisen,2021-13-01,\n", 2, "extracted", "ogiltigt datum '2021-13-01'"),
    ("m,2020,455,Polisen,2021-01-15,\nm,tjugo,1,Polisen,2021-01-15,\n", 3, "year",
     "ogiltigt år 'tjugo'"),
    ("m,2020,många,Polisen,2021-01-15,\n", 2, "value", "'många' är inte ett tal"),
    ("m,2020,,Polisen,2021-01-15,\n", 2, "value", "värde saknas"),
    ("m,2020,455,,2021-01-15,\n", 2, "source", "värde saknas"),
    ("m,2020,455,Polisen,2021-01-15,\nm,2020,456,Polisen,2021-01-15,\n", 3, "indicator",
     "'m' 2020 finns redan på rad 2"),
    ("m,2020,455,Polisen,2019-01-15,\n", 2, "extracted",
     "uttaget 2019-01-15 är gjort före år 2020"),
    # An outcome is a count, rate or share: a minus sign is a typo or a pasted difference.
    ("m,2020,455,Polisen,2021-01-15,\nm,2021,-12,Polisen,2022-01-15,\n", 3, "value",
     "ska vara ett tal ≥ 0 (ett antal, en andel eller en takt), inte '-12'"),
    ("m,2020,\"-1,5\",Polisen,2021-01-15,\n", 2, "value",
     "ska vara ett tal ≥ 0 (ett antal, en andel eller en takt), inte '-1,5'"),
])
def test_values_file_errors(tmp_path, body, row, column, message):
    path = _csv(tmp_path, "utfall.csv", HEAD + body)
    with pytest.raises(TrygghetError) as info:
        promise_files.read_values(path)
    err = info.value
    assert (err.file, err.row, err.column, err.message) == (str(path), row, column, message)


def test_an_outcome_file_that_is_not_a_regular_file_is_refused(tmp_path):
    (tmp_path / "utfall.csv").mkdir()
    with pytest.raises(TrygghetError, match="är en mapp") as info:
        promise_files.read_values(tmp_path / "utfall.csv")
    assert info.value.file == str(tmp_path / "utfall.csv")
    fifo = tmp_path / "milstolpar.csv"
    os.mkfifo(fifo)  # opening it to read would wait for a writer for ever
    with pytest.raises(TrygghetError, match="namngiven pipe"):
        promise_files.read_milestones(fifo)


def test_values_file_missing_column_and_swedish_formats(tmp_path):
    path = _csv(tmp_path, "utfall.csv", "indicator,year,value,source\n")
    with pytest.raises(TrygghetError) as info:
        promise_files.read_values(path)
    assert (info.value.row, info.value.column, info.value.message) == (
        1, "extracted", "kolumnen saknas")
    # Swedish Excel: semicolons, decimal comma, grouped thousands, BOM.
    path.write_bytes(("\ufeffindicator;year;value;source;extracted\n"
                      f"m;2020;1{S}417;Polisen;2021-01-15\nr;2020;12,5;Polisen;2021-01-15\n"
                      ).encode())
    frame = promise_files.read_values(path)
    assert list(frame["value"]) == [1417.0, 12.5]
    assert list(frame["year"]) == [2020, 2020]


RHEAD = ("area,date,held,participants,children_youth,participant_groups,observation,action,"
         "responsible,action_status\n")


@pytest.mark.parametrize(("body", "row", "column", "message"), [
    ("Sylte,2020-05-18,ja,10,12,,,,,\n", 2, "children_youth", "fler barn och unga än deltagare"),
    ("Sylte,2020-05-18,ja,,2,,,,,\n", 2, "participants", "värde saknas"),
    ("Sylte,2020-05-18,kanske,10,2,,,,,\n", 2, "held", "ska vara ja eller nej, inte 'kanske'"),
    ("Sylte,18/5 2020,ja,10,2,,,,,\n", 2, "date", "ogiltigt datum '18/5 2020'"),
    ("Sylte,2020-05-18,ja,10,2,,Mörkt,Belysning,,klar\n", 2, "responsible",
     "en åtgärd behöver ansvarig och åtgärdsstatus"),
    ("Sylte,2020-05-18,ja,10,2,,Mörkt,Belysning,Gata,snart\n", 2, "action_status",
     "okänd åtgärdsstatus 'snart'"),
    ("Sylte,2020-05-18,ja,10,2,,,,,\nSylte,2020-05-18,ja,11,2,,,,,\n", 3, None,
     "ronden Sylte 2020-05-18 har andra uppgifter om deltagare än på rad 2"),
])
def test_rounds_file_errors(tmp_path, body, row, column, message):
    path = _csv(tmp_path, "trygghetsronder.csv", RHEAD + body)
    with pytest.raises(TrygghetError) as info:
        promise_files.read_rounds(path)
    err = info.value
    assert (err.file, err.row, err.column, err.message) == (str(path), row, column, message)


def test_rounds_file_cancelled_round_needs_no_participants(tmp_path):
    path = _csv(tmp_path, "trygghetsronder.csv", RHEAD + "Sylte,2020-04-21,nej,,,,,,,\n"
                "Lextorp,2020-10-13,,14,0,,Klotter,Sanering,Bostadsbolaget,Klar\n")
    frame = promise_files.read_rounds(path)
    assert list(frame["held"]) == [False, True]
    assert list(frame["participants"]) == [0, 14]
    assert frame.loc[1, "action_status"] == "klar"


@pytest.mark.parametrize(("body", "row", "column", "message"), [
    ("k,2021-09-06,Staden,2021-06-01,\n", 2, "reached_on",
     "datumet ligger efter uttaget 2021-06-01"),
    ("k,,Staden,,\n", 2, "extracted", "värde saknas"),
    ("k,,Staden,2021-06-01,\nk,,Staden,2021-06-01,\n", 3, "indicator",
     "'k' finns redan på rad 2"),
])
def test_milestones_file_errors(tmp_path, body, row, column, message):
    path = _csv(tmp_path, "milstolpar.csv", "indicator,reached_on,source,extracted,note\n" + body)
    with pytest.raises(TrygghetError) as info:
        promise_files.read_milestones(path)
    err = info.value
    assert (err.file, err.row, err.column, err.message) == (str(path), row, column, message)


def test_csv_not_utf8(tmp_path):
    path = tmp_path / "utfall.csv"
    path.write_bytes((HEAD + "m,2020,455,Polisen Östra,2021-01-15,\n").encode("cp1252"))
    with pytest.raises(TrygghetError, match="inte UTF-8"):
        promise_files.read_values(path)


# --- pipeline and CLI ---------------------------------------------------------

@pytest.fixture
def sample_project(tmp_path: Path) -> Path:
    """A workspace with the example's reference files and no survey data."""
    (tmp_path / "config" / "surveys").mkdir(parents=True)
    (tmp_path / "config" / "trygghet.yml").write_text("municipality: Trollhättan\n",
                                                      encoding="utf-8")
    shutil.copytree(REFERENCE, tmp_path / "data" / "reference")
    return tmp_path


def _write_survey_tables(root: Path) -> None:
    """Hand-made estimation output for 2019 (opt-in) and 2020 (random sample)."""
    est = estimates((2019, 0.315, False), (2019, 0.29, False, "adjusted"), (2020, 0.224, True))
    for year in (2019, 2020):
        (root / "data" / "processed" / str(year)).mkdir(parents=True, exist_ok=True)
        est[est["year"] == year].to_parquet(root / "data" / "processed" / str(year) /
                                            "estimates.parquet")
    changes(-0.091, None, None, None, series_break=True, year_from=2019, year_to=2020,
            note="2019 var en webbenkät, 2020 ett slumpmässigt urval.").to_parquet(
        root / "data" / "processed" / "2020" / "changes.parquet")


def test_cli_promises_2020_end_to_end(sample_project, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    _write_survey_tables(sample_project)
    assert cli.main(["--root", str(sample_project), "promises", "--year", "2020"]) == 0
    out = capsys.readouterr().out
    assert "Uppföljning av medborgarlöftet 2020 – Trollhättan" in out
    for status in ("Uppfyllt", "Underlag saknas", "Delvis uppfyllt", "Pågår"):
        assert status in out
    assert "skrev data/processed/2020/promises.csv" in out

    table = pd.read_csv(sample_project / "data" / "processed" / "2020" / "promises.csv")
    per_inriktning = table.drop_duplicates("inriktning").set_index("inriktning")
    assert list(per_inriktning.index) == [1, 2, 3, 4]
    assert per_inriktning["status"].tolist() == ["Uppfyllt", "Underlag saknas",
                                                 "Delvis uppfyllt", "Pågår"]
    assert per_inriktning["reason"].str.len().min() > 20
    assert per_inriktning.loc[1, "reason"] == (
        f"Antalet redovisade mängdbrottsutredningar ökade från 412 till 455 (+10{S}%).")
    survey = table[table["rule"] == "survey"].iloc[0]
    assert survey["indicator_status"] == "Underlag saknas"
    assert "ingen slutsats om förändring kan dras: 2019 var inte ett slumpmässigt urval" in \
        survey["indicator_reason"]
    assert {"text", "status", "reason", "indicator", "value_from", "value_to"} <= set(table)


def test_missing_survey_estimates_give_no_data_with_reason(sample_project, monkeypatch,
                                                           capsys):
    calls = []

    def failing_estimate(project, year, echo=print):
        calls.append(year)
        raise TrygghetError("rensade svar saknas")

    monkeypatch.setattr(pipeline, "estimate_year", failing_estimate, raising=False)
    follow_up = pipeline.promises_year(Project(sample_project), 2020, echo=print)
    assert calls == [2019, 2020]
    survey = follow_up.results[1].indicators[1]
    assert survey.status is Status.NO_DATA
    assert survey.reason == ("Andelen som känner sig otrygga ute ensamma sent en kväll kan inte "
                             "bedömas: enkätskattningarna för 2020 saknas.")
    out = capsys.readouterr().out
    assert "obs: skattningarna för 2019 kunde inte tas fram: rensade svar saknas" in out


def test_estimation_stage_runs_when_estimates_are_missing(sample_project, monkeypatch):
    def fake_estimate(project, year, echo=print):
        _write_survey_tables(project.root)

    monkeypatch.setattr(pipeline, "estimate_year", fake_estimate, raising=False)
    follow_up = pipeline.promises_year(Project(sample_project), 2020, echo=lambda _: None)
    assert follow_up.results[1].indicators[1].numbers["value_to"] == 0.224


def test_cli_promises_for_a_year_without_promise(sample_project, capsys):
    assert cli.main(["--root", str(sample_project), "promises", "--year", "2019"]) == 2
    err = capsys.readouterr().err
    assert "medborgarlofte_2019.yml: det finns inget medborgarlöfte för 2019" in err


def test_cli_reports_a_malformed_promise_without_traceback(sample_project, capsys):
    path = sample_project / "data" / "reference" / "medborgarlofte_2020.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("rule: increase", "rule: öka"),
                    encoding="utf-8")
    assert cli.main(["--root", str(sample_project), "promises", "--year", "2020"]) == 2
    err = capsys.readouterr().err
    assert "kolumn 'inriktningar[1].indicators[1].rule': okänd regel 'öka'" in err
    assert "Traceback" not in err
