"""``trygghet mapping draft`` and ``mapping check``: hit rates on the sample, real tools'
exports, the never-overwrite rule and the check's listing.

The hit rate compares the drafted mapping, written and parsed back with
:func:`mapping.load_mapping`, with the shipped one: a column is a hit when the
draft gives it the field (and option) the shipped mapping gives it; an answer
when the draft reads a distinct value as the shipped mapping does (values the
shipped mapping cannot read itself are left out); an area likewise.
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest
from helpers import EXAMPLE, REPO

from trygghet import cli
from trygghet.config import Project
from trygghet.errors import TrygghetError
from trygghet.load import read_export
from trygghet.mapping import Multi, SurveyMapping, load_mapping, normalise
from trygghet.mapping_check import UNKNOWN, answers, check_lines, check_mapping, reading
from trygghet.mapping_draft import SURE, draft_mapping, read_for_draft, workspace_areas
from trygghet.mapping_draft_yaml import draft_year, render_draft
from trygghet.mapping_match import MISSING, codes_by_order, fold, match_label, split_joined
from trygghet.questionnaire import default_questionnaire

QUESTIONS = default_questionnaire().questions
SAMPLE = {2019: "data/raw/2019/medborgarenkat_2019.csv",
          2020: "data/raw/2020/trygghet_2020_export.csv",
          2021: "data/raw/2021/trygghetsmatning_2021.xlsx"}


# --- The hit rate ----------------------------------------------------------------------------

def placements(mapping: SurveyMapping) -> dict[str, str]:
    """Normalised header → the field it feeds (``question.level`` for an option's column)."""
    out = {}
    for name, spec in mapping.columns.items():
        if isinstance(spec, Multi) and spec.options:
            out.update({normalise(h): f"{name}.{level}" for level, h in spec.options.items()})
        else:
            out[normalise(spec.header if isinstance(spec, Multi) else spec)] = name
    return out


def hit_rates(raw, shipped: SurveyMapping, drafted: SurveyMapping) -> dict[str, tuple]:
    """``{"columns" | "answers" | "areas": (hits, total, misses)}``."""
    ship, draft = placements(shipped), placements(drafted)
    misses = [h for h in ship if draft.get(h) != ship[h]]
    out = {"columns": (len(ship) - len(misses), len(ship), misses)}
    seen: dict[tuple[str, str], bool] = {}
    for name, _, value, _ in answers(raw, shipped):
        key = (name, normalise(value))
        if key in seen:
            continue
        want = reading(shipped, name, value)
        if want is UNKNOWN:
            continue
        seen[key] = reading(drafted, name, value) == want
    for kind, keep in (("answers", lambda n: n != "area"), ("areas", lambda n: n == "area")):
        keys = [k for k in seen if keep(k[0])]
        out[kind] = (sum(seen[k] for k in keys), len(keys), [k for k in keys if not seen[k]])
    return out


def draft_sample(year: int, tmp_path: Path):
    project = Project(EXAMPLE)
    raw = read_for_draft(EXAMPLE / SAMPLE[year], QUESTIONS)
    areas, source = workspace_areas(project, year)
    draft = draft_mapping(raw, QUESTIONS, areas, year=year, area_source=source)
    path = tmp_path / f"{year}.utkast.yml"
    path.write_text(render_draft(draft, SAMPLE[year], list(QUESTIONS)), encoding="utf-8")
    return raw, draft, load_mapping(path), path


@pytest.mark.parametrize("year", [2019, 2020, 2021])
def test_hit_rates_on_the_sample(year, tmp_path, capsys):
    raw, draft, drafted, _ = draft_sample(year, tmp_path)
    shipped = load_mapping(EXAMPLE / "config" / "surveys" / f"{year}.yml")
    rates = hit_rates(read_export(EXAMPLE / SAMPLE[year], shipped), shipped, drafted)
    with capsys.disabled():
        print(f"\n{year}: " + ", ".join(f"{k} {h}/{n} = {h / n:.1%}" for k, (h, n, _) in
                                         rates.items()))
    for hits, total, _ in rates.values():
        assert total > 0
        if year == 2020:
            assert hits / total >= 0.9
    # What the draft got wrong, it marked: a column below SURE or left unplaced.
    sure = {normalise(p.header): p.confidence for p in draft.placements if p.header}
    sure |= {normalise(h): min(p.confidence, c) for p in draft.placements
             for h, c in p.options.values()}
    for header in rates["columns"][2]:
        assert sure.get(header, 0.0) < SURE, header
    read = {(a.scale, normalise(a.value)): a for a in draft.answers}
    for name, value in rates["answers"][2]:
        scale = QUESTIONS[name.split(".")[0]].scale.name
        a = read.get((scale, value))
        assert a is not None and (a.label is None or a.confidence < SURE), (name, value)


def test_the_draft_marks_uncertain_lines_and_lists_what_it_could_not_place(tmp_path):
    _, draft, _, path = draft_sample(2020, tmp_path)
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    # Every proposal under columns and labels carries its confidence.
    for section in ("columns:", "labels:"):
        body = lines[lines.index(section) + 1:]
        body = body[:body.index("")]
        proposals = [line for line in body if not line.lstrip().startswith("#")
                     and not line.rstrip().endswith((":", ": {}"))]
        assert proposals and all("säkerhet" in line for line in proposals), section
    # "K" for Kvinna is a guess (one letter).
    assert any(line.strip().startswith("K: Kvinna") and "KONTROLLERA" in line for line in lines)
    # The columns it could not place are listed, commented.
    assert "#   Svarsform:" in text and "#   Urvalsstratum:" in text
    # Unknown answers are commented with their count, so the file still loads.
    assert "# Litet problem: ?  # KONTROLLERA: okänt svar (2 svar)" in text
    # No free text reaches the draft.
    comments = [v for v in read_export(EXAMPLE / SAMPLE[2020]).frame[46] if len(v) > 20]
    assert comments and not any(c in text for c in comments[:50])


def test_the_draft_is_deterministic(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one = draft_sample(2021, tmp_path / "a")[3]
    two = draft_sample(2021, tmp_path / "b")[3]
    assert one.read_bytes() == two.read_bytes()


def test_hit_rate_holds_when_the_export_is_rewritten(tmp_path):
    """The 2020 export as another tool might write it: headers without question numbers
    or å/ä/ö, columns in another order, UTF-8 with commas: still ≥ 90 %."""
    import re
    import unicodedata

    def rewrite(header: str) -> str:
        header = re.sub(r"^F\d+[a-z]?\. ", "", header)
        return "".join(c for c in unicodedata.normalize("NFKD", header)
                       if not unicodedata.combining(c))

    text = (EXAMPLE / "config" / "surveys" / "2020.yml").read_text(encoding="utf-8")
    original = read_export(EXAMPLE / SAMPLE[2020],
                           load_mapping(EXAMPLE / "config/surveys/2020.yml"))
    for header in sorted(original.headers, key=len, reverse=True):
        text = text.replace(header, rewrite(header))
    order = list(range(len(original.headers)))
    random.Random(5).shuffle(order)
    rows = [[rewrite(original.headers[i]) for i in order]]
    rows += [[r[i] for i in order] for r in original.frame.itertuples(index=False)]
    export = _write(tmp_path / "export.csv", rows)
    shipped_path = tmp_path / "shipped.yml"
    shipped_path.write_text(text.replace(SAMPLE[2020], str(export)), encoding="utf-8")
    shipped = load_mapping(shipped_path)
    raw = read_for_draft(export, QUESTIONS)
    draft = draft_mapping(raw, QUESTIONS, _areas(), year=2020)
    (tmp_path / "draft.yml").write_text(render_draft(draft, str(export), list(QUESTIONS)),
                                        encoding="utf-8")
    rates = hit_rates(read_export(export, shipped), shipped, load_mapping(tmp_path / "draft.yml"))
    assert rates["columns"][1] == 45
    for hits, total, _ in rates.values():
        assert hits / total >= 0.9


def test_hit_rate_on_a_workspace_with_its_own_questionnaire(tmp_path, capsys):
    """Exempelby (tests/fixtures/exempelby, written for issue 13, not for the draft): its
    own questions (belysning, reported, mopedåkning), its own mapping and export."""
    root = REPO / "tests" / "fixtures" / "exempelby"
    project = Project(root)
    questionnaire = project.questionnaire
    export = root / "data" / "raw" / "2024" / "exempelby_2024.csv"
    raw = read_for_draft(export, questionnaire.questions)
    areas, source = workspace_areas(project, 2024)
    assert source == "områdena i data/reference/population_2024.csv"  # no other year's mapping
    draft = draft_mapping(raw, questionnaire.questions, areas, year=2024, area_source=source)
    path = tmp_path / "2024.utkast.yml"
    path.write_text(render_draft(draft, "data/raw/2024/exempelby_2024.csv",
                                 list(questionnaire.questions)), encoding="utf-8")
    shipped = load_mapping(root / "config" / "surveys" / "2024.yml", questionnaire)
    rates = hit_rates(read_export(export, shipped), shipped, load_mapping(path, questionnaire))
    with capsys.disabled():
        print("\nExempelby 2024: " + ", ".join(f"{k} {h}/{n} = {h / n:.1%}"
                                               for k, (h, n, _) in rates.items()))
    for hits, total, _ in rates.values():
        assert total > 0 and hits / total >= 0.9


def test_the_questionnaire_is_a_parameter(tmp_path):
    """A workspace's own question (trivsel) with its own scale is found like any other."""
    from trygghet.schema import Question, Scale

    trivsel = Scale("trivsel", ("Mycket bra", "Ganska bra", "Ganska dåligt", "Mycket dåligt"))
    questions = {"area": QUESTIONS["area"], "safe_day": QUESTIONS["safe_day"],
                 "trivsel": Question("trivsel", "Hur trivs du i ditt bostadsområde?", "single",
                                     trivsel)}
    rows = [["Område", "3. Hur trivs du i bostadsområdet?", "4. Trygg dagtid i området?"]]
    rng = random.Random(4)
    rows += [[rng.choice(["Centrum", "Sylte"]), rng.choice(["Mkt bra", "Ganska bra"]),
              rng.choice(SAFETY)] for _ in range(40)]
    raw = read_export(_write(tmp_path / "own.csv", rows))
    draft = draft_mapping(raw, questions, _areas(), year=2024)
    placed = {p.name: p.header for p in draft.placements}
    assert placed["trivsel"] == rows[0][1] and placed["safe_day"] == rows[0][2]
    assert {a.value: a.label for a in draft.answers}["Mkt bra"] == "Mycket bra"


# --- Exports as real tools write them ----------------------------------------------------

SAFETY = ["Mycket trygg", "Ganska trygg", "Ganska otrygg", "Mycket otrygg"]
TIMES = ["Tidig morgon", "Dagtid", "Kväll", "Natt", "Aldrig"]


def _write(path: Path, rows: list[list[str]], delimiter: str = ",", bom: bool = False) -> Path:
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
        csv.writer(f, delimiter=delimiter).writerows(rows)
    return path


def _areas() -> dict:
    return load_mapping(EXAMPLE / "config" / "surveys" / "2020.yml").areas


def test_qualtrics_three_header_rows_and_long_question_headers(tmp_path):
    rng = random.Random(1)
    ids = ["StartDate", "EndDate", "ResponseId", "Q1", "Q2", "Q3", *[f"Q4_{k}" for k in
                                                                       range(1, 6)], "Q5"]
    texts = ["Start Date", "End Date", "Response ID", "Kön", "Hur trygg eller otrygg känner du "
             "dig om du går ut ensam sent en kväll i det område där du bor? (Tänk på den "
             "senaste månaden när du svarar.)", "Vilket område bor du i?",
             *[f"När känner du dig mest otrygg? - Selected Choice - {t}" for t in TIMES],
             "Hur ofta oroar du dig för att utsättas för brott?"]
    imports = [json.dumps({"ImportId": i}) for i in ids]
    rows = [ids, texts, imports]
    for n in range(60):
        ticks = [rng.choice(["1", ""]) for _ in TIMES]
        rows.append([f"2024-10-0{1 + n % 9} 10:00:00", f"2024-10-0{1 + n % 9} 10:1{n % 10}:00",
                     f"R_{n:04d}abc", rng.choice(["Kvinna", "Man"]), rng.choice(SAFETY),
                     rng.choice(["Centrum", "Sylte", "Lextorp"]), *ticks,
                     rng.choice(["Mycket ofta", "Ganska sällan", "Aldrig"])])
    path = _write(tmp_path / "qualtrics.csv", rows)
    raw = read_for_draft(path, QUESTIONS)
    assert raw.info["header_row"] == 2  # the question texts, not the ids
    draft = draft_mapping(raw, QUESTIONS, _areas(), year=2024)
    placed = {p.name: p for p in draft.placements}
    assert placed["safe_evening"].header == texts[4]
    assert placed["respondent_id"].header == "Response ID"
    assert placed["area"].header == "Vilket område bor du i?"
    assert placed["worry"].header == texts[-1]
    assert {lv: h for lv, (h, _) in placed["unsafe_times"].options.items()} == \
        dict(zip(TIMES, texts[6:11], strict=True))
    # Two date columns fit "submitted" equally: whichever is taken is marked.
    assert placed["submitted"].confidence < SURE
    assert any("ImportId" in note for note in draft.notes)
    text = render_draft(draft, "qualtrics.csv", list(QUESTIONS))
    (tmp_path / "q.yml").write_text(text, encoding="utf-8")
    m = load_mapping(tmp_path / "q.yml")
    assert m.source.header_row == 2 and m.checked == ("1",)


def test_enalyzer_codes_read_in_scale_order_and_marked(tmp_path):
    rng = random.Random(2)
    headers = ["Respondent", "Kön", "Födelseår", "Område", "1. Hur trygg känner du dig om du går "
               "ut ensam dagtid i ditt bostadsområde?", "2. Hur stort förtroende har du för "
               "polisens arbete med trygghet i ditt område?"]
    rows = [["Trygghetsenkät 2024 – export"], headers]  # a title row above the header
    rows += [[str(1000 + n), rng.choice("12"), str(rng.randint(1940, 2005)),
              rng.choice(["Centrum", "Sylte"]), rng.choice("12349"), rng.choice("1234")]
             for n in range(80)]
    rows[5][3] = "Jag bor egentligen i en annan kommun men arbetar i Centrum"
    raw = read_for_draft(_write(tmp_path / "enalyzer.csv", rows, delimiter=";"), QUESTIONS)
    assert raw.info["header_row"] == 2
    draft = draft_mapping(raw, QUESTIONS, _areas(), year=2024)
    placed = {p.name: p.header for p in draft.placements}
    assert placed["safe_day"] == headers[4] and placed["trust_police"] == headers[5]
    assert placed["birth_year"] == "Födelseår" and placed["respondent_id"] == "Respondent"
    read = {(a.scale, a.value): a for a in draft.answers}
    assert read[("safety", "1")].label == "Mycket trygg"
    assert read[("safety", "4")].label == "Mycket otrygg"
    assert read[("safety", "9")].label is MISSING
    assert read[("trust", "2")].label == "Ganska stort"
    assert all(a.confidence < SURE for a in draft.answers)  # an order is a guess
    text = render_draft(draft, "enalyzer.csv", list(QUESTIONS))
    assert '"1": Mycket trygg  # KONTROLLERA' in text
    # An unknown answer that reads like a sentence is counted, not written.
    assert "annan kommun" not in text and "1 okända svar längre än 40 tecken" in text
    (tmp_path / "e.yml").write_text(text, encoding="utf-8")
    assert load_mapping(tmp_path / "e.yml").labels["safety"]["9"] is None

    # Value labels (as an SPSS file carries them) decide over the order: here 1 = worst.
    labels = {headers[4]: {"1": "Mycket otrygg", "2": "Ganska otrygg", "3": "Ganska trygg",
                           "4": "Mycket trygg", "9": "Vet ej"},
              "Kön": {"1": "Man", "2": "Kvinna"}}
    draft = draft_mapping(raw, QUESTIONS, _areas(), year=2024, value_labels=labels)
    read = {(a.scale, a.value): a for a in draft.answers}
    assert read[("safety", "1")].label == "Mycket otrygg"
    assert read[("safety", "4")].label == "Mycket trygg"
    assert read[("safety", "4")].confidence >= SURE
    assert read[("safety", "9")].label is MISSING
    assert read[("sex", "1")].label == "Man" and read[("sex", "2")].label == "Kvinna"


def test_a_workbook_whose_first_sheet_is_the_questionnaire(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    info = wb.active
    info.title = "Frågor"
    info.append(["Fråga", "Svarsalternativ"])
    info.append(["Hur trygg känner du dig om du går ut ensam dagtid?", "Mycket trygg …"])
    answers = wb.create_sheet("Svar")
    answers.append(["Rapport: trygghetsenkät"])  # a title row above the header
    answers.append(["Svarsnummer", "Kön", "Hur trygg känner du dig om du går ut ensam dagtid "
                    "i ditt bostadsområde?"])
    rng = random.Random(6)
    for n in range(30):
        answers.append([n + 1, rng.choice(["Kvinna", "Man"]), rng.choice(SAFETY)])
    wb.save(tmp_path / "export.xlsx")
    raw = read_for_draft(tmp_path / "export.xlsx", QUESTIONS)
    assert raw.info["sheet"] == "Svar" and raw.info["header_row"] == 2
    draft = draft_mapping(raw, QUESTIONS, _areas(), year=2024)
    assert {p.name: p.header for p in draft.placements}["safe_day"].startswith("Hur trygg")
    assert "  sheet: Svar\n  header_row: 2\n" in render_draft(draft, "export.xlsx",
                                                               list(QUESTIONS))


def test_google_forms_joined_checkboxes_with_an_option_containing_the_separator(tmp_path):
    rng = random.Random(3)
    options = ["Mängdbrott (stöld, inbrott, skadegörelse)", "Trafik", "Våld utomhus",
               "Narkotika/dopning"]
    headers = ["Tidstämpel", "Kön", "Ålder", "Vilket område bor du i?",
               "Vilka områden tycker du att polisen och kommunen ska prioritera?",
               "Övriga synpunkter"]
    rows = [headers]
    for n in range(70):
        picked = rng.sample(options, rng.randint(1, 3))
        rows.append([f"2024/10/{1 + n % 28:02d} 12:00:00 CET", rng.choice(["Kvinna", "Man"]),
                     str(rng.randint(16, 90)), rng.choice(["Centrum", "Stan", "Kronogarden"]),
                     ", ".join(picked), f"Synpunkt nummer {n} om belysningen vid torget"])
    raw = read_export(_write(tmp_path / "forms.csv", rows))
    draft = draft_mapping(raw, QUESTIONS, _areas(), year=2024)
    placed = {p.name: p for p in draft.placements}
    assert placed["priorities"].separator == ","
    assert placed["age"].header == "Ålder" and placed["comment"].header == "Övriga synpunkter"
    assert placed["submitted"].header == "Tidstämpel"
    read = {a.value: a.label for a in draft.answers if a.scale == "priorities"}
    assert read[options[0]] == "Mängdbrott"
    assert "stöld" not in read and "inbrott" not in read  # not split inside the option
    assert {a.value: a.label for a in draft.area_answers} == \
        {"Centrum": "Centrum", "Stan": "Centrum", "Kronogarden": "Kronogården"}
    text = render_draft(draft, "forms.csv", list(QUESTIONS))
    assert "belysningen" not in text  # free text never reaches the draft
    (tmp_path / "g.yml").write_text(text, encoding="utf-8")
    assert load_mapping(tmp_path / "g.yml").columns["priorities"].separator == ","


def test_answer_matching_by_hand():
    problem = QUESTIONS["problem_klotter"].scale
    assert match_label("Inget problem", problem.levels) == ("Inget problem alls", 0.85)
    assert match_label("MKT TRYGG", QUESTIONS["safe_day"].scale.levels)[0] == \
        "Mycket trygg"
    assert match_label("Vet inte", problem.levels, problem.missing) == (MISSING, 0.9)
    assert match_label("Litet problem", problem.levels)[0] is None  # ganska or mycket?
    assert codes_by_order(["1", "2", "5"], problem.levels) is None  # 5 > four levels
    assert codes_by_order(["0", "1"], ("Ja", "Nej")) == {"0": "Ja", "1": "Nej"}
    assert split_joined("Kväll;Natt", ";", tuple(TIMES)) == ["Kväll", "Natt"]
    assert fold("F6a. Hur stort problem är nedskräpning?") == "hur stort problem ar nedskrapning"
    assert fold("Går ej ut p.g.a. otrygghet") == "gar ej ut pga otrygghet"


# --- Never overwrite ----------------------------------------------------------------------

def _project(tmp_path: Path) -> Project:
    (tmp_path / "config" / "surveys").mkdir(parents=True)
    (tmp_path / "config" / "trygghet.yml").write_text("municipality: Testkommun\n",
                                                      encoding="utf-8")
    for year in (2019, 2020):
        (tmp_path / "config" / "surveys" / f"{year}.yml").write_bytes(
            (EXAMPLE / "config" / "surveys" / f"{year}.yml").read_bytes())
    return Project(tmp_path)


def test_a_draft_never_overwrites(tmp_path, capsys):
    project = _project(tmp_path)
    export = EXAMPLE / SAMPLE[2020]
    mapping = project.mapping(2020)
    before = mapping.read_bytes()
    path = draft_year(project, 2020, export, echo=lambda _: None)
    assert path == tmp_path / "config" / "surveys" / "2020.utkast.yml"
    assert load_mapping(path).year == 2020
    first = path.read_bytes()
    with pytest.raises(TrygghetError, match="finns redan och skrivs inte över"):
        draft_year(project, 2020, export, echo=lambda _: None)
    with pytest.raises(TrygghetError, match="årets mappning"):
        draft_year(project, 2020, export, output=mapping,
                   echo=lambda _: None)
    assert path.read_bytes() == first and mapping.read_bytes() == before
    # The CLI: one Swedish message, exit 2, nothing written.
    code = cli.main(["--root", str(tmp_path), "mapping", "draft", "--input", str(export),
                     "--year", "2020", "--output", str(mapping)])
    err = capsys.readouterr().err
    assert code == 2 and "skrivs inte över" in err and "Traceback" not in err
    assert mapping.read_bytes() == before
    # A new year's draft, by the CLI, takes the areas of the nearest year's mapping.
    code = cli.main(["--root", str(tmp_path), "mapping", "draft", "--input", str(export),
                     "--year", "2022"])
    out = capsys.readouterr().out
    assert code == 0 and "Skrev utkastet config/surveys/2022.utkast.yml" in out
    assert "Områdena: områdena i config/surveys/2020.yml" in \
        (tmp_path / "config" / "surveys" / "2022.utkast.yml").read_text(encoding="utf-8")


# --- mapping check --------------------------------------------------------------------------

def test_check_lists_full_headers_unknown_answers_and_new_options(tmp_path, capsys):
    long_header = ("F12. Hur väl instämmer du i påståendet att kommunen och polisen tillsammans "
                   "arbetar för att göra ditt bostadsområde tryggare, och varför?")
    assert len(long_header) > 60
    headers = ["ID", "Område", "Hur trygg eller otrygg känner du dig om du går ut ensam sent en "
               "kväll i det område där du bor?", "Otrygg: Kväll", "Otrygg: Natt",
               "Otrygg: Helger", "Prioritera", long_header]
    rows = [headers,
            ["1", "Centrum", "Mkt trygg", "1", "", "", "Trafik;Fler poliser", "a"],
            ["2", "Sylte", "Jätteotrygg", "", "1", "1", "Trafik", ""],
            ["3", "Sylte", "Jätteotrygg", "", "", "1", "Fler poliser", ""],
            ["4", "Atlantis", "Ganska trygg", "1", "1", "", "Trafik", ""]]
    _write(tmp_path / "export.csv", rows)
    (tmp_path / "config" / "surveys").mkdir(parents=True)
    (tmp_path / "config" / "trygghet.yml").write_text("municipality: Testkommun\n",
                                                      encoding="utf-8")
    mapping = {"year": 2020, "source": {"file": "export.csv"},
               "design": {"sampling": "opt_in"},
               "columns": {"respondent_id": "ID", "area": "Område", "safe_evening": headers[2],
                           "unsafe_times": {"options": {"Kväll": "Otrygg: Kväll",
                                                        "Natt": "Otrygg: Natt"}},
                           "priorities": {"header": "Prioritera", "separator": ";"}},
               "labels": {"safety": {"Mkt trygg": "Mycket trygg"}},
               "checked": ["1"], "unchecked": [""],
               "areas": {"Centrum": {}, "Sylte": {}}}
    (tmp_path / "config" / "surveys" / "2020.yml").write_text(json.dumps(mapping),
                                                              encoding="utf-8")
    code = cli.main(["--root", str(tmp_path), "mapping", "check", "--year", "2020"])
    out = capsys.readouterr().out
    assert code == 0
    assert f"  - {long_header}\n" in out  # in full, not cut at 60 characters
    assert "  - Otrygg: Helger\n" in out
    assert "kolumn 'Område' (area): 'Atlantis' – 1 svar, rad 5" in out
    assert f"kolumn '{headers[2]}' (safe_evening): 'Jätteotrygg' – 2 svar, rad 3, 4" in out
    assert "priorities: 'Fler poliser' i kolumn 'Prioritera' – 2 svar, rad 2, 4" in out
    assert "unsafe_times: 'Helger' i kolumn 'Otrygg: Helger' – 2 svar, rad 3, 4" in out
    # Known answers and the mapped check-box values are not listed.
    assert "Mkt trygg" not in out and "'Trafik'" not in out


def test_check_of_the_shipped_2020_mapping_finds_only_the_planted_problems():
    shipped = load_mapping(EXAMPLE / "config" / "surveys" / "2020.yml")
    raw = read_export(EXAMPLE / SAMPLE[2020], shipped)
    result = check_mapping(raw, shipped)
    assert result.unmapped == []  # Svarsform and Urvalsstratum are under ignore
    values = sorted({f.value for f in result.unknown})
    assert values == ["Göteborg", "Kronogårdn", "Litet problem", "Stort problem", "Vänersborg"]
    lines = check_lines(result, "2020.yml", "export.csv")
    assert lines[0] == "Kontroll av 2020.yml mot export.csv (1165 rader)"
