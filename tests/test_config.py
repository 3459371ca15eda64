"""Project settings and the strict YAML reader: wrong kinds of values are one message."""

from pathlib import Path

import pytest
import yaml

from trygghet.config import (
    DEFAULT_SETTINGS,
    MAX_YAML_VALUES,
    Project,
    check_settings,
    load_settings,
    read_yaml,
)
from trygghet.errors import TrygghetError

ROOT = Path(__file__).resolve().parents[1] / "examples" / "trollhattan"  # the example workspace


def settings_with(tmp_path: Path, text: str) -> Path:
    (tmp_path / "config" / "surveys").mkdir(parents=True, exist_ok=True)
    path = tmp_path / "config" / "trygghet.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_bundled_settings_pass():
    settings = load_settings(Project(ROOT))
    assert settings["estimation"]["by"] == ["sex", "age_group", "area", "relation"]


# --- estimation.by: only declared categorical questions --------------------------------

@pytest.mark.parametrize(("by", "why"), [
    ("[respondent_id]", "varje svarande blev en egen grupp"),   # 1 124 pseudonyms as labels
    ("[submitted]", "varje inskickningstid blev en egen grupp"),
    ("[comment]", "fritext publiceras aldrig"),
    ("[year]", "året är redan en egen tabell"),
    ("[age]", "ingen kategorisk fråga"),          # raw ages: one group per age
    ("[birth_year]", "ingen kategorisk fråga"),
    ("[Kön]", "ingen kategorisk fråga"),          # a header, not a canonical name
    ("[[sex]]", "ingen kategorisk fråga"),
])
def test_groupings_that_would_publish_people_are_refused(tmp_path, by, why):
    path = settings_with(tmp_path, f"estimation:\n  by: {by}\n")
    with pytest.raises(TrygghetError, match=why) as err:
        load_settings(Project(tmp_path))
    e = err.value
    assert (e.file, e.column) == (str(path), "estimation.by")
    assert "sex, age_group, area, relation" in e.hint


@pytest.mark.parametrize("by", ["[]", "[sex]", "[area, relation]", "[safe_evening, worry]",
                                "[trust_police]", "[priorities]"])
def test_categorical_questions_with_declared_levels_are_groupings(tmp_path, by):
    settings_with(tmp_path, f"estimation:\n  by: {by}\n")
    assert load_settings(Project(tmp_path))["estimation"]["by"] == yaml.safe_load(by)


@pytest.mark.parametrize(("by", "message"), [("sex", "ska vara en lista, inte 'sex'"),
                                             ("[sex, sex]", "'sex' förekommer två gånger")])
def test_groupings_must_be_a_list_of_distinct_names(tmp_path, by, message):
    settings_with(tmp_path, f"estimation:\n  by: {by}\n")
    with pytest.raises(TrygghetError, match=message):
        load_settings(Project(tmp_path))


# --- types of the other settings --------------------------------------------------------

@pytest.mark.parametrize(("text", "column", "message"), [
    ("municipality: [Trollhättan]\n", "municipality", "inte en lista"),
    ("municipality: ''\n", "municipality", "inte tomt"),
    ("police_area: 12\n", "police_area", "lokalpolisområdets namn"),
    ("synthetic_data: ja\n", "synthetic_data", "true eller false, inte 'ja'"),
    ("weighting:\n  margins: area\n", "weighting.margins", "en lista med marginaler"),
    ("weighting:\n  margins: [[area]]\n", "weighting.margins", "en lista med marginaler"),
    ("weighting:\n  tolerance: x\n", "weighting.tolerance", "ett positivt tal, inte 'x'"),
    ("weighting:\n  tolerance: -1.0\n", "weighting.tolerance", "ett positivt tal"),
    ("weighting:\n  tolerance: .nan\n", "weighting.tolerance", "ett positivt tal"),
    ("weighting:\n  max_iter: 1.0e+9\n", "weighting.max_iter", "heltal från 1"),
    ("weighting:\n  max_iter: 0\n", "weighting.max_iter", "heltal från 1"),
    ("weighting:\n  max_iter: true\n", "weighting.max_iter", "heltal från 1"),
    ("weighting:\n  collapse: [area]\n", "weighting.collapse", "nivå att slås ihop med"),
    ("weighting:\n  collapse: {area: [Sylte]}\n", "weighting.collapse", "nivå att slås ihop"),
    ("weighting:\n  collapse: {area: {Sylte: [a]}}\n", "weighting.collapse", "slås ihop"),
    ("estimation:\n  level: hög\n", "estimation.level", "ett tal, inte 'hög'"),
    ("estimation:\n  level: .inf\n", "estimation.level", "ett tal"),
    ("estimation:\n  ci_method: [wilson]\n", "estimation.ci_method", "en text, inte en lista"),
])
def test_a_setting_of_the_wrong_kind_names_itself(tmp_path, text, column, message):
    path = settings_with(tmp_path, text)
    with pytest.raises(TrygghetError, match=message) as err:
        load_settings(Project(tmp_path))
    assert (err.value.file, err.value.column) == (str(path), column)


def test_an_empty_collapse_is_no_collapse(tmp_path):
    settings_with(tmp_path, "weighting:\n  collapse:\n")
    assert load_settings(Project(tmp_path))["weighting"]["collapse"] is None


def test_check_settings_on_a_dict_built_in_code():
    settings = {k: (dict(v) if isinstance(v, dict) else v) for k, v in DEFAULT_SETTINGS.items()}
    check_settings(settings)
    settings["estimation"]["by"] = ["respondent_id"]
    with pytest.raises(TrygghetError, match="egen grupp") as err:
        check_settings(settings)
    assert err.value.file is None and err.value.column == "estimation.by"


# --- the YAML reader ----------------------------------------------------------------------

def test_aliases_within_the_limit_are_read(tmp_path):
    path = tmp_path / "a.yml"
    path.write_text("common: &c {Mkt trygg: Mycket trygg}\nsafety: *c\ntrust: *c\n",
                    encoding="utf-8")
    data = read_yaml(path)
    assert data["safety"] == data["trust"] == {"Mkt trygg": "Mycket trygg"}


def test_alias_expansion_is_counted_not_the_lines(tmp_path):
    # Ten levels of two aliases: 2**11 values, far below the limit, from ten lines.
    lines = ["l0: &l0 [a, b]"] + [f"l{i}: &l{i} [*l{i - 1}, *l{i - 1}]" for i in range(1, 11)]
    path = tmp_path / "ok.yml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert len(read_yaml(path)["l10"]) == 2
    # Seventeen levels: 2**18 values once expanded, above it.
    lines += [f"l{i}: &l{i} [*l{i - 1}, *l{i - 1}]" for i in range(11, 18)]
    assert MAX_YAML_VALUES < 2 ** 18
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(TrygghetError, match="via alias") as err:
        read_yaml(path)
    assert err.value.file == str(path)


def test_an_empty_file_is_none_and_a_missing_one_a_message(tmp_path):
    (tmp_path / "tom.yml").write_text("", encoding="utf-8")
    assert read_yaml(tmp_path / "tom.yml") is None
    with pytest.raises(TrygghetError, match="filen finns inte"):
        read_yaml(tmp_path / "saknas.yml")


def test_a_file_that_is_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "cp.yml"
    path.write_bytes("year: 2020\ntitle: Trygghetsmätning\n".encode("cp1252"))
    with pytest.raises(TrygghetError, match="inte UTF-8") as err:
        read_yaml(path)
    assert err.value.row == 2


def test_groupings_default_to_the_questionnaires_background_questions():
    # A new workspace's settings leave estimation.by out: a questionnaire without a
    # question on relation to the area (Exempelby's) must still estimate.
    from trygghet.config import groupings_of
    from trygghet.questionnaire import default_questionnaire, load_questionnaire

    own = load_questionnaire(ROOT.parents[1] / "tests" / "fixtures" / "exempelby" / "config"
                             / "frageformular.yml")
    assert DEFAULT_SETTINGS["estimation"]["by"] is None
    assert groupings_of(None, own.questions) == ["sex", "age_group", "area"]
    assert groupings_of(None, default_questionnaire().questions) == \
        ["sex", "age_group", "area", "relation"]
    assert groupings_of(["area"], own.questions) == ["area"]
