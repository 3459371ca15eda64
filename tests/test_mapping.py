import os
from pathlib import Path

import pytest
import yaml
from helpers import mini_mapping

from trygghet.errors import TrygghetError
from trygghet.mapping import Multi, check_sent, load_mapping, normalise

ROOT = Path(__file__).resolve().parents[1] / "examples" / "trollhattan"  # the example workspace


def write(tmp_path, data) -> Path:
    path = tmp_path / "m.yml"
    text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("year", [2019, 2020, 2021])
def test_sample_mappings_are_valid(year):
    m = load_mapping(ROOT / "config" / "surveys" / f"{year}.yml")
    assert m.year == year
    assert len(m.areas) == 12
    assert m.design.is_probability == (year != 2019)


def test_2019_did_not_ask_everything():
    m = load_mapping(ROOT / "config" / "surveys" / "2019.yml")
    assert "trust_municipality" in m.not_asked
    assert "safe_evening" in m.asked and "age_group" in m.asked


def test_normalise_folds_case_space_and_dashes():
    assert normalise("  Ganska   TRYGG ") == normalise("ganska trygg")
    assert normalise("16-24") == normalise("16–24")


def test_minimal_mapping_loads(tmp_path):
    m = load_mapping(write(tmp_path, mini_mapping()))
    assert isinstance(m.columns["unsafe_times"], Multi)
    assert m.columns["unsafe_times"].options["Kväll"] == "Otrygg: Kväll"
    assert m.areas["Norr"].postcodes == ("46130",)


def test_unknown_canonical_name_suggests(tmp_path):
    data = mini_mapping()
    data["columns"]["safe_evning"] = data["columns"].pop("safe_evening")
    with pytest.raises(TrygghetError) as err:
        load_mapping(write(tmp_path, data))
    assert err.value.column == "columns.safe_evning"
    assert "safe_evening" in err.value.hint


def test_two_headers_for_one_field_is_an_error(tmp_path):
    text = yaml.safe_dump(mini_mapping(), allow_unicode=True)
    text = text.replace("  worry: Oro för brott?\n",
                        "  worry: Oro för brott?\n  worry: Hur ofta oroar du dig?\n")
    with pytest.raises(TrygghetError) as err:
        load_mapping(write(tmp_path, text))
    assert "worry" in str(err.value) and "två gånger" in str(err.value)
    assert err.value.file.endswith("m.yml")


def test_one_header_for_two_fields_is_an_error(tmp_path):
    data = mini_mapping()
    data["columns"]["safe_day"] = data["columns"]["safe_evening"]
    with pytest.raises(TrygghetError, match="redan mappad"):
        load_mapping(write(tmp_path, data))


def test_age_from_two_columns_is_an_error(tmp_path):
    data = mini_mapping()
    data["columns"]["birth_year"] = "Födelseår"
    with pytest.raises(TrygghetError, match="ålder anges i flera kolumner"):
        load_mapping(write(tmp_path, data))


def test_probability_design_needs_number_sent(tmp_path):
    with pytest.raises(TrygghetError) as err:
        load_mapping(write(tmp_path, mini_mapping(design={"sampling": "probability"})))
    assert err.value.column == "design.sent"


def test_unknown_sampling(tmp_path):
    with pytest.raises(TrygghetError, match="opt_in eller probability"):
        load_mapping(write(tmp_path, mini_mapping(design={"sampling": "random"})))


def test_label_variant_must_target_the_scale(tmp_path):
    data = mini_mapping(labels={"safety": {"Mkt trygg": "Väldigt trygg"}})
    with pytest.raises(TrygghetError, match="finns inte på skalan"):
        load_mapping(write(tmp_path, data))


def test_alias_in_two_areas(tmp_path):
    data = mini_mapping()
    data["areas"]["Söder"]["aliases"] = ["Norra"]
    with pytest.raises(TrygghetError, match="hör redan till området Norr"):
        load_mapping(write(tmp_path, data))


def test_bad_period_date(tmp_path):
    data = mini_mapping(design={"sampling": "opt_in", "period": ["2020-09-31", "2020-10-31"]})
    with pytest.raises(TrygghetError, match="ogiltigt datum"):
        load_mapping(write(tmp_path, data))


def test_unknown_top_level_key(tmp_path):
    with pytest.raises(TrygghetError, match="okänd nyckel"):
        load_mapping(write(tmp_path, mini_mapping(colums={})))


def test_yaml_syntax_error_names_line(tmp_path):
    with pytest.raises(TrygghetError) as err:
        load_mapping(write(tmp_path, "year: 2020\ncolumns: [a, b\n"))
    assert err.value.row is not None and "ogiltig YAML" in str(err.value)


def test_normalise_drops_invisible_characters():
    assert normalise("\ufeffID") == "id"
    assert normalise("Kö\u200bn") == normalise("Kön")
    assert normalise("Om\u00adråde") == "område"


@pytest.mark.parametrize(("text", "message", "hint"), [
    ("year: 2020\nyear: 2021\n", "två gånger", "ett fält kan bara ha en rubrik"),
    ("year: 2020\ncolumns:\n\tsex: Kön\n", "ogiltig YAML", "inte tabb"),
])
def test_yaml_errors_in_a_mapping_say_what_to_do(tmp_path, text, message, hint):
    with pytest.raises(TrygghetError, match=message) as err:
        load_mapping(write(tmp_path, text))
    assert err.value.row is not None and hint in err.value.hint


def test_missing_mapping_file_has_a_hint(tmp_path):
    with pytest.raises(TrygghetError, match="finns inte") as err:
        load_mapping(tmp_path / "saknas.yml")
    assert "--mapping" in err.value.hint


def test_stratified_design(tmp_path):
    design = {"sampling": "probability", "sent": 100,
              "strata": {"column": "area", "population": {"Norr": 900, "Söder": 1200}}}
    m = load_mapping(write(tmp_path, mini_mapping(design=design)))
    assert m.design.strata == {"column": "area", "population": {"Norr": 900.0, "Söder": 1200.0}}
    design["strata"] = {"column": "area", "fraction": 0.05}
    assert load_mapping(write(tmp_path, mini_mapping(design=design))).design.strata == {
        "column": "area", "fraction": 0.05}


@pytest.mark.parametrize("strata, where", [
    ({"column": "area"}, "design.strata"),
    ({"column": "area", "population": {"Norr": 9}, "fraction": 0.1}, "design.strata"),
    ({"column": "area", "fraction": 1.5}, "design.strata.fraction"),
    ({"column": "area", "population": {"Norr": -3}}, "design.strata.population.Norr"),
    ({"column": "stadsdel", "fraction": 0.1}, "design.strata.column"),
    ({"column": "area", "fraktion": 0.1}, "design.strata.fraktion"),
])
def test_stratified_design_errors(tmp_path, strata, where):
    design = {"sampling": "probability", "sent": 100, "strata": strata}
    with pytest.raises(TrygghetError) as err:
        load_mapping(write(tmp_path, mini_mapping(design=design)))
    assert err.value.column == where


def test_strata_only_for_a_random_sample(tmp_path):
    design = {"sampling": "opt_in", "strata": {"column": "area", "fraction": 0.1}}
    with pytest.raises(TrygghetError, match="bara för slumpmässiga urval"):
        load_mapping(write(tmp_path, mini_mapping(design=design)))
# --- Hardening (issue 11): values of the wrong kind are one message naming the field ------

@pytest.mark.parametrize("window", [1e300, float("inf"), float("nan"), -1, 10081, True, "tio"])
def test_duplicate_window_must_be_a_sane_number_of_minutes(tmp_path, window):
    # 1e300 minutes cannot be a pandas Timedelta; NaN would silently find no duplicate.
    with pytest.raises(TrygghetError, match="från 0 till 10080") as err:
        load_mapping(write(tmp_path, mini_mapping(duplicates={"window_minutes": window})))
    assert err.value.column == "duplicates.window_minutes" and "standard 10" in err.value.hint


@pytest.mark.parametrize("window", [0, 10, 2.5, 10080])
def test_duplicate_window_within_the_limit_is_kept(tmp_path, window):
    m = load_mapping(write(tmp_path, mini_mapping(duplicates={"window_minutes": window})))
    assert m.duplicate_window_minutes == window


@pytest.mark.parametrize(("change", "column", "message"), [
    ({"required": [["sex"]]}, "required", "lista med texter, inte en lista"),
    ({"required": [None]}, "required", "lista med texter, inte tomt"),
    ({"ignore": [{"a": 1}]}, "ignore", "lista med texter"),
    ({"checked": [["1"]]}, "checked", "lista med texter"),
    ({"title": ["Trygghet"]}, "title", "ska vara en text, inte en lista"),
    ({"source": {"file": ["a.csv"]}}, "source.file", "ska vara en text"),
    ({"source": {"delimiter": "\n"}}, "source.delimiter", "skiljetecken"),
    ({"source": {"delimiter": '"'}}, "source.delimiter", "skiljetecken"),
    ({"source": {"delimiter": "a"}}, "source.delimiter", "skiljetecken"),
    ({"source": {"header_row": True}}, "source.header_row", "radnummer"),
    ({"source": {"sheet": ["Svar"]}}, "source.sheet", "bladets namn eller nummer"),
    ({"source": {"encoding": ["utf-8"]}}, "source.encoding", "okänd teckenkodning"),
    ({"design": {"sampling": "probability", "sent": 100, "mode": ["webb"]}}, "design.mode",
     "ska vara en text"),
    ({"design": {"sampling": ["opt_in"]}}, "design.sampling", "opt_in eller probability"),
    ({"duplicates": {"window": 10}}, "duplicates.window", "okänd nyckel"),
])
def test_wrong_kinds_of_values_name_the_field(tmp_path, change, column, message):
    data = mini_mapping()
    data["source"].update(change.pop("source", {}))
    data.update(change)
    with pytest.raises(TrygghetError, match=message) as err:
        load_mapping(write(tmp_path, data))
    assert err.value.column == column


def test_multi_select_separator_must_be_a_character(tmp_path):
    for separator in ("", [";"]):
        data = mini_mapping()
        data["columns"]["relation"]["separator"] = separator
        with pytest.raises(TrygghetError, match="skiljer valen åt") as err:
            load_mapping(write(tmp_path, data))
        assert err.value.column == "columns.relation.separator"


def test_area_lists_hold_texts_and_postcodes_digits(tmp_path):
    for areas, column in (({"Norr": {"aliases": [["a", "b"]]}}, "areas.Norr.aliases"),
                          ({"Norr": {"postcodes": [None]}}, "areas.Norr.postcodes"),
                          ({"Norr": {"postcodes": ["Norr"]}}, "areas.Norr.postcodes")):
        with pytest.raises(TrygghetError) as err:
            load_mapping(write(tmp_path, mini_mapping(areas=areas)))
        assert err.value.column == column


def test_a_blank_label_variant_would_relabel_every_blank_answer(tmp_path):
    # `"  ": Mycket trygg` used to map every unanswered question to "Mycket trygg".
    with pytest.raises(TrygghetError, match="är tom"):
        load_mapping(write(tmp_path, mini_mapping(labels={"safety": {"  ": "Mycket trygg"}})))
    # A zero-width space pasted from a web page is no text either, once folded.
    with pytest.raises(TrygghetError, match="utan text") as err:
        load_mapping(write(tmp_path, mini_mapping(labels={"safety": {"\u200b": "Mycket trygg"}})))
    assert err.value.column == "labels.safety"


def test_area_label_variants_must_name_an_area(tmp_path):
    # An unknown target used to become a missing area without a word.
    with pytest.raises(TrygghetError, match="'Väster' är inget av årets områden") as err:
        load_mapping(write(tmp_path, mini_mapping(labels={"area": {"Västra": "Väster"}})))
    assert err.value.column == "labels.area.västra"
    m = load_mapping(write(tmp_path, mini_mapping(labels={"area": {
        "Nordan": "Norr", "Utsocken": "Annat område", "Okänt": None}})))
    assert m.labels["area"] == {"nordan": "Norr", "utsocken": "Annat område", "okänt": None}


@pytest.mark.parametrize(("text", "row", "message"), [
    ("year: 2020\n? [a, b]\n: c\n", 2, "en lista eller samling"),
    ("year: 2020\nareas:\n  '': {}\n", 3, "är tom"),
    ("year: 2020\nareas:\n  ~: {}\n", 3, "är tom"),
    ("year: 2020\ntitle: K\x00n\n", 2, "otillåtet tecken"),
])
def test_keys_that_name_nothing_and_forbidden_characters(tmp_path, text, row, message):
    with pytest.raises(TrygghetError, match=message) as err:
        load_mapping(write(tmp_path, text))
    assert err.value.row == row and err.value.hint


def test_yaml_bomb_is_refused_before_anything_expands_it(tmp_path):
    """Billion laughs: 9 levels of 9 aliases are 9**9 values (24 GB as text)."""
    bomb = "".join(f"  - &l{i} [{', '.join([f'*l{i - 1}' if i else 'lol'] * 9)}]\n"
                   for i in range(9))
    with pytest.raises(TrygghetError, match="upprepar innehåll via alias") as err:
        load_mapping(write(tmp_path, "year: 2020\nignore:\n" + bomb))
    assert "&ankare" in err.value.hint
    with pytest.raises(TrygghetError, match="via alias"):  # an alias inside itself
        load_mapping(write(tmp_path, "year: 2020\nignore: &a [x, *a]\n"))


def test_deep_nesting_is_a_message_not_a_recursion_error(tmp_path):
    with pytest.raises(TrygghetError, match="för djupt nästlad"):
        load_mapping(write(tmp_path, "year: 2020\nx: " + "[" * 20_000 + "]" * 20_000 + "\n"))


def test_a_mapping_that_is_not_a_small_regular_file_is_refused(tmp_path):
    fifo = tmp_path / "fifo.yml"
    os.mkfifo(fifo)
    with pytest.raises(TrygghetError, match="namngiven pipe"):
        load_mapping(fifo)
    big = write(tmp_path, "year: 2020\n" + "# " + "x" * (1 << 20) + "\n")
    with pytest.raises(TrygghetError, match="för stor"):
        load_mapping(big)


def test_sent_below_the_respondents_is_refused_with_the_counts():
    check_sent(1500, 1500)  # every one answered: possible
    check_sent(None, 1500)  # opt-in: nothing to check
    with pytest.raises(TrygghetError) as err:
        check_sent(100, 1124, file="2020.yml")
    e = err.value
    assert e.message == ("design.sent är 100 utskick men 1\u00a0124 svar kunde användas: "
                         "svarsandelen kan inte vara över 100 %")
    assert (e.file, e.column) == ("2020.yml", "design.sent") and "bruttourvalet" in e.hint


# --- Sent per stratum: the response rate per area (design.strata.sent) --------------------

def test_sent_per_stratum_gives_the_gross_sample(tmp_path):
    strata = {"column": "area", "population": {"Norr": 900, "Söder": 1200},
              "sent": {"Norr": 150, "Söder": 200}}
    m = load_mapping(write(tmp_path, mini_mapping(
        design={"sampling": "probability", "strata": strata})))
    assert m.design.sent == 350 and m.design.strata["sent"] == {"Norr": 150, "Söder": 200}
    m = load_mapping(write(tmp_path, mini_mapping(
        design={"sampling": "probability", "sent": 350, "strata": strata})))
    assert m.design.sent == 350


@pytest.mark.parametrize("sent, total, where, message", [
    ({"Norr": 150, "Söder": 200}, 400, "design.sent", "summerar till 350"),
    ({"Norr": 150, "Söder": 0}, None, "design.strata.sent.Söder", "ogiltigt antal utskick"),
    ({"Norr": 150, "Söder": 12.5}, None, "design.strata.sent.Söder", "ogiltigt antal utskick"),
    ({"Norr": 150, "Söder": "200"}, None, "design.strata.sent.Söder", "ogiltigt antal utskick"),
    ({}, None, "design.strata.sent", "ange antalet utskick i varje stratum"),
    ([150, 200], None, "design.strata.sent", "ska vara en samling"),
])
def test_sent_per_stratum_errors(tmp_path, sent, total, where, message):
    design = {"sampling": "probability",
              "strata": {"column": "area", "fraction": 0.1, "sent": sent}}
    if total is not None:
        design["sent"] = total
    with pytest.raises(TrygghetError, match=message) as err:
        load_mapping(write(tmp_path, mini_mapping(design=design)))
    assert err.value.column == where


# --- codes, codebooks, check-boxes, batteries (issue 14) ----------------------------------

VICTIMS = {"victim_stold": "Stöld", "victim_hot": "Hot"}


@pytest.mark.parametrize(("change", "column", "message"), [
    ({"codes": {"safety": {1: "Väldigt trygg"}}}, "codes.safety.1", "finns inte på skalan"),
    ({"codes": {"trygghet": {1: "Mycket trygg"}}}, "codes.trygghet", "okänd skala"),
    ({"codes": {"area": {1: "Mars"}}}, "labels.area.1", "inget av årets områden"),
    ({"item_problems": "rad"}, "item_problems", "answer eller respondent"),
    ({"batteries": {"u": {"header": "U", "items": {"worry": "Oro"}}}}, "batteries.u.worry",
     "två svarsalternativ"),
    ({"batteries": {"u": {"header": "U"}}}, "batteries.u.items", "vilken fråga"),
    ({"batteries": {"u": {"header": "U", "columns": {"victim_hot": "H"}}}}, "batteries.u",
     "antingen"),
    ({"batteries": {"u": {"header": "U", "items": VICTIMS, "blank": "kanske"}}},
     "batteries.u.blank", "nej eller saknas"),
    ({"batteries": {"u": {"header": "Kön", "items": VICTIMS}}}, "columns.u",
     "redan mappad"),
])
def test_codes_and_batteries_are_checked(tmp_path, change, column, message):
    with pytest.raises(TrygghetError) as err:
        load_mapping(write(tmp_path, mini_mapping(**change)))
    assert err.value.column == column and message in err.value.message


def test_a_battery_question_cannot_also_be_a_column(tmp_path):
    m = mini_mapping(batteries={"u": {"header": "U", "items": VICTIMS}})
    m["columns"]["victim_hot"] = "Hot"
    with pytest.raises(TrygghetError, match="redan mappad"):
        load_mapping(write(tmp_path, m))


def test_battery_questions_are_asked_and_multi_none_blank(tmp_path):
    m = mini_mapping(batteries={"u": {"header": "U", "items": VICTIMS, "blank": "nej"}})
    m["columns"]["unsafe_times"] = {"header": "Tider", "none": ["Inget av detta"],
                                    "blank": "saknas"}
    got = load_mapping(write(tmp_path, m))
    assert {"victim_stold", "victim_hot"} <= set(got.asked)
    assert "victim_vald" in got.not_asked
    assert got.batteries["u"].blank_no and "U" in got.headers()
    assert got.columns["unsafe_times"] == Multi(header="Tider", none=("inget av detta",))
    assert got.item_problems == "answer"


def test_codes_join_the_labels_of_their_scale(tmp_path):
    got = load_mapping(write(tmp_path, mini_mapping(codes={"sex": {1: "Man", 2: "Kvinna"},
                                                           "area": {"01": "Norr"}})))
    assert got.labels["sex"]["1"] == "Man" and got.labels["area"]["01"] == "Norr"


def test_codebook_path_is_relative_to_the_project(tmp_path):
    (tmp_path / "config" / "surveys").mkdir(parents=True)
    (tmp_path / "kodbok.csv").write_text("fråga,kod,etikett\nworry,1,Aldrig\n",
                                         encoding="utf-8")
    path = tmp_path / "config" / "surveys" / "2020.yml"
    path.write_text(yaml.safe_dump(mini_mapping(codebook="kodbok.csv"), allow_unicode=True),
                    encoding="utf-8")
    got = load_mapping(path)
    assert got.codebook == tmp_path / "kodbok.csv"
    assert got.question_codes == {"worry": {"1": "Aldrig"}}


def test_a_codebook_for_nothing_mapped_is_an_error(tmp_path):
    (tmp_path / "kodbok.csv").write_text("question,code,label\nSvarsform,1,Webb\n",
                                         encoding="utf-8")
    with pytest.raises(TrygghetError, match="ingen rad i kodboken"):
        load_mapping(write(tmp_path, mini_mapping(codebook="kodbok.csv")))
    (tmp_path / "kodbok.csv").write_text("fråga;värde\nworry;1\n", encoding="utf-8")
    with pytest.raises(TrygghetError) as err:
        load_mapping(write(tmp_path, mini_mapping(codebook="kodbok.csv")))
    assert "etikett" in err.value.message and "label (etikett)" in err.value.hint


def test_none_of_these_belongs_to_a_joined_cell(tmp_path):
    m = mini_mapping()
    m["columns"]["unsafe_times"] = {"options": {"Kväll": "K"}, "none": ["Inget"]}
    with pytest.raises(TrygghetError) as err:
        load_mapping(write(tmp_path, m))
    assert err.value.column == "columns.unsafe_times.none"


def test_codebook_as_a_workbook(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["Variabel", "Värde", "Värdeetikett"])
    for code, label in ((1, "Mycket ofta"), (2, "Ganska ofta"), (9, "Vet ej")):
        wb.active.append(["Oro för brott?" if code == 1 else None, code, label])
    wb.save(tmp_path / "kodbok.xlsx")
    got = load_mapping(write(tmp_path, mini_mapping(codebook="kodbok.xlsx")))
    assert got.question_codes == {"worry": {"1": "Mycket ofta", "2": "Ganska ofta", "9": None}}
