from pathlib import Path

import pytest
import yaml
from helpers import mini_mapping

from trygghet.errors import TrygghetError
from trygghet.mapping import Multi, load_mapping, normalise

ROOT = Path(__file__).resolve().parents[1]


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
