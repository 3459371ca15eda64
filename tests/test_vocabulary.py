"""The vocabulary: one home per word, both languages complete, open to a questionnaire's words."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from trygghet import charts, tables, theme, vocabulary
from trygghet.errors import TrygghetError
from trygghet.indicators import index_config
from trygghet.questionnaire import default_questionnaire
from trygghet.vocabulary import BUILTIN, LanguageError, Vocabulary, tr

DEFAULT = default_questionnaire()
#: The words a report of the default questionnaire reads: the bundled ones and its own.
WORDS = DEFAULT.vocabulary

SRC = Path(vocabulary.__file__).parent
NOTEBOOKS = SRC.parents[1] / "notebooks"
# Where English leaves out a Swedish-only detail of the survey (its own wording).
FIELDS_MAY_DIFFER = {"method.sample", "method.opt_in", "survey.subtitle"}
# Swedish terms that an English text names on purpose.
SWEDISH_IN_ENGLISH = {"follow_up.intro": "medborgarlöfte"}


def raw(key: str, language: str) -> str:
    namespace, name = key.split(".", 1)
    return WORDS.words(namespace, language)[name]


def test_every_text_exists_in_both_languages_with_the_same_fields():
    assert len(BUILTIN) > 250
    assert len(WORDS) > len(BUILTIN) + 60  # the questionnaire's indicators, options, questions
    for key in WORDS:
        sv, en = raw(key, "sv"), raw(key, "en")
        assert sv.strip() and en.strip(), key
        if key not in FIELDS_MAY_DIFFER:
            assert vocabulary.fields(sv) == vocabulary.fields(en), key
    for key in FIELDS_MAY_DIFFER:  # the exception is real, not a stale entry
        assert vocabulary.fields(raw(key, "sv")) != vocabulary.fields(raw(key, "en"))


def test_each_english_text_has_one_home():
    """The drift of issue 12 ("Women" in charts, "Woman" in tables) cannot come back:
    no English text is written twice."""
    english = [raw(k, "en") for k in BUILTIN]  # (a questionnaire may reuse a word: "Sex")
    twice = sorted({t for t in english if english.count(t) > 1})
    assert twice == []


def test_english_texts_have_no_swedish_words_left():
    for key in WORDS:
        text = raw(key, "en").replace(SWEDISH_IN_ENGLISH.get(key, "\0"), "")
        assert not set("åäöÅÄÖ") & set(text), (key, text)


def test_every_indicator_status_band_and_option_is_named():
    for name in DEFAULT.indicators:
        assert f"indicator.{name}" in WORDS, name
    for status in theme.STATUSES:
        assert tr(f"status.{status}", "sv") == status
    for _, band in index_config()["bands"]:
        assert f"band.{band}" in BUILTIN, band
    for option in [*DEFAULT.family("tid").values(), *DEFAULT.family("prio").values()]:
        assert tr(f"option.{option}", "sv") == option
    for time in DEFAULT.scales["unsafe_times"].levels:
        assert f"time_phrase.{time}" in BUILTIN


@pytest.mark.parametrize("language", ["sv", "en"])
def test_derived_indicators_name_their_option_as_the_option_does(language):
    """``tid_kvall`` is "Mest otrygg: kväll" because the option "Kväll" is: one source."""
    family = {"sv": ("Mest otrygg: ", "Vill prioritera: "),
              "en": ("Most unsafe: ", "Wants prioritised: ")}[language]
    for name, option in DEFAULT.family("tid").items():
        assert tr(f"indicator.{name}", language) == \
            family[0] + tr(f"option.{option}", language).lower()
    for name, option in DEFAULT.family("prio").items():
        assert tr(f"indicator.{name}", language) == family[1] + tr(f"option.{option}", language)
    for question in DEFAULT.grids["problem"]:
        item = DEFAULT.items[question]["sv"]
        assert tr(f"indicator.stort_problem_{question.removeprefix('problem_')}", "sv") == \
            f"Stort problem: {item}"


def test_fields_are_filled_and_a_missing_text_is_a_clear_error():
    assert tr("column.ci", "sv", level="90\u00a0%") == "90\u00a0% KI"
    assert tr("column.ci", "en", level="90%") == "90% CI"
    with pytest.raises(KeyError, match="no text 'column.nope'"):
        tr("column.nope", "sv")
    assert vocabulary.label("group", "Centrum", "en") == "Centrum"  # a name stays a name
    assert vocabulary.label("group", "Kvinna", "en") == "Women"


@pytest.mark.parametrize("call", [
    lambda: tr("group.Kvinna", "de"),
    lambda: vocabulary.translator("EN"),
    lambda: charts.by_group(pd.DataFrame(), language="fi"),
])
def test_one_language_check_with_a_swedish_message(call):
    with pytest.raises(LanguageError) as caught:
        call()
    assert isinstance(caught.value, TrygghetError)
    assert "okänt språk" in str(caught.value) and "'sv'" in str(caught.value)


QUESTIONNAIRE = """
# What a municipality's questionnaire file adds: its own questions' words.
indicator:
  otrygg_kvall:
    sv: Otrygg i centrum sent en kväll
    en: Unsafe in the town centre late in the evening
  trygg_park: {sv: Trygg i parken, en: Safe in the park}
option:
  Kväll: {sv: Kvällstid, en: Evening time}
"""


def test_a_questionnaire_overlays_its_own_words(tmp_path):
    path = tmp_path / "enkat.yml"
    path.write_text(QUESTIONNAIRE, encoding="utf-8")
    words = vocabulary.load(path, base=WORDS)
    assert words.tr("indicator.trygg_park", "en") == "Safe in the park"
    assert words.tr("indicator.otrygg_kvall", "sv") == "Otrygg i centrum sent en kväll"
    assert words.tr("group.Kvinna", "sv") == "Kvinnor"             # the rest is kept
    assert WORDS.tr("option.Kväll", "en") == "Evening"              # the base is unchanged
    # Installed, the questionnaire's words reach what the report functions print.
    with vocabulary.using(words):
        assert tr("option.Kväll", "en") == "Evening time"
        assert tables.short_label("otrygg_kvall", "en") == \
            "Unsafe in the town centre late in the evening"
    assert vocabulary.active() is WORDS  # nothing leaks: the default questionnaire's again


def test_each_questionnaire_has_its_own_words_and_none_leak(tmp_path):
    """Two questionnaires side by side: each report reads its own names, and after
    ``using`` the default questionnaire's words are back."""
    text = DEFAULT.path.read_text(encoding="utf-8").replace(
        'label: {sv: "Känner sig otrygg ute ensam sent en kväll"',
        'label: {sv: "Otrygg på kvällen i Exempelby"')
    path = tmp_path / "frageformular.yml"
    path.write_text(text, encoding="utf-8")
    own = vocabulary_of(path)
    assert own.tr("indicator.otrygg_kvall", "sv") == "Otrygg på kvällen i Exempelby"
    assert "indicator.otrygg_kvall" not in BUILTIN  # the bundled words hold no indicator
    with vocabulary.using(own):
        assert tables.short_label("otrygg_kvall", "sv") == "Otrygg på kvällen i Exempelby"
    assert tr("indicator.otrygg_kvall", "sv") == "Känner sig otrygg ute ensam sent en kväll"


def vocabulary_of(path):
    from trygghet.questionnaire import load_questionnaire

    return load_questionnaire(path).vocabulary


@pytest.mark.parametrize("text, message", [
    ("indicator:\n  x: {sv: Bara svenska}\n", "'indicator.x' ska ha exakt en svensk"),
    ("indicator:\n  x: {sv: '', en: Empty}\n", "'indicator.x' är tom"),
    ("indicator: [a, b]\n", "'indicator' ska vara en namnrymd"),
    ("- a\n", "ska vara en tabell"),
    ("indicator: {x: {sv: a, en: [b}\n", "inte giltig YAML"),
])
def test_a_bad_words_file_is_one_message_naming_it(tmp_path, text, message):
    path = tmp_path / "enkat.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TrygghetError, match=re.escape(message)) as caught:
        vocabulary.load(path, base=BUILTIN)
    assert str(path) in str(caught.value)


def test_overlay_replaces_and_adds_without_touching_the_original():
    base = Vocabulary({"a.x": {"sv": "ett", "en": "one"}})
    new = base.overlay({"a": {"y": {"sv": "två", "en": "two"}, "x": {"sv": "1", "en": "1"}}})
    assert (new.tr("a.x", "en"), new.tr("a.y", "sv"), base.tr("a.x", "en")) == ("1", "två", "one")
    assert "a.y" not in base and len(new) == 2


BILINGUAL = re.compile(r"""if sv else|==\s*["'](sv|en)["']|["'](sv|en)["']\s*=="""
                       r"""|\bsv\s*=\s*\w+\s*==""")


def test_no_bilingual_expressions_outside_the_vocabulary():
    """The words have one home: no ``x if sv else y`` in the library or the notebooks."""
    sources = [*SRC.glob("*.py"), *SRC.glob("templates/**/*.j2"), *NOTEBOOKS.glob("*.ipynb")]
    found = [f"{p.name}: {m.group(0)}" for p in sources
             for m in BILINGUAL.finditer(p.read_text(encoding="utf-8"))]
    assert found == []
