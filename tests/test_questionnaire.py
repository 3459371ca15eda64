"""The questionnaire as configuration: the default reproduces today's model, validation
names the line, the year map keeps changed questions apart (issue 13)."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from helpers import SAMPLE_KEY, copy_sample

from trygghet import report_sections
from trygghet.errors import TrygghetError
from trygghet.indicators import respondent_values
from trygghet.questionnaire import (
    DEFAULT_FILE,
    default_questionnaire,
    describe,
    load_questionnaire,
    questionnaire_for,
)
from trygghet.schema import canonical_columns
from trygghet.survey import changes

DEFAULT = default_questionnaire()


def frame(**columns) -> pd.DataFrame:
    """A canonical frame of the default questionnaire with the given answers (rest missing)."""
    n = len(next(iter(columns.values())))
    data = {}
    for col in canonical_columns(DEFAULT.questions, ["A", "B"]):
        values = columns.get(col.name, [None] * n)
        data[col.name] = pd.Series(values, dtype=object).astype(col.dtype)
    out = pd.DataFrame(data)
    out.attrs["not_asked"] = []
    return out


def test_the_default_questionnaire_is_todays_model():
    # The names every published table, mapping and promise file uses.
    assert list(DEFAULT.indicators)[:9] == [
        "otrygg_kvall", "otrygg_dag", "oro", "avstatt", "utsatt", "problemindex",
        "trygghetsindex", "fortroende_polis", "fortroende_kommun"]
    assert len(DEFAULT.indicators) == 33
    assert DEFAULT.grids["problem"][0] == "problem_nedskrapning"
    assert DEFAULT.questions["problem_otrygga_platser"].text == \
        "Hur stort problem är otrygga platser (dålig belysning, buskage) i ditt område?"
    assert DEFAULT.questions["priorities"].max_choices == 3
    assert DEFAULT.indicators["tid_kvall"].column == "unsafe_times_kvall"
    assert DEFAULT.indices["problemindex"]["questions"] == DEFAULT.grids["problem"]


def test_indicator_values_by_hand():
    """Brå's rule for the headline and the other declared rules, one respondent each."""
    r = frame(
        safe_evening=["Mycket trygg", "Ganska otrygg", "Går inte ut ensam p.g.a. otrygghet",
                      "Går inte ut av andra skäl", None],
        worry=["Ganska ofta", "Ganska sällan", None, "Mycket ofta", "Aldrig"],
        refrained=["Ja, ibland", "Ja, ofta", "Nej", None, None],
        victim_stold=["Ja", "Nej", "Nej", None, "Nej"],
        victim_hot=["Nej", "Nej", None, "Nej", "Nej"],
        problem_nedskrapning=["Mycket stort problem", "Inget problem alls", None, None, None],
        problem_klotter=["Ganska litet problem", None, None, None, None],
        unsafe_times_kvall=[True, False, None, None, None],
    )
    for name in DEFAULT.grids["victim"]:
        if name not in ("victim_stold", "victim_hot"):
            r[name] = r["victim_hot"]  # the other items as victim_hot
    v = respondent_values(r)
    np.testing.assert_array_equal(v["otrygg_kvall"], [0, 1, 1, np.nan, np.nan])
    np.testing.assert_array_equal(v["oro"], [1, 0, np.nan, 1, 0])
    np.testing.assert_array_equal(v["avstatt"], [0, 1, 0, np.nan, np.nan])
    # any_of: a "Ja" counts even beside a missing item; no "Ja" and a gap is missing.
    np.testing.assert_array_equal(v["utsatt"], [1, 0, np.nan, np.nan, 0])
    # Problem index: 2 and 1 of 11 items answered, below half: missing (the rule of
    # test_problem_index_averages_the_answered_items_if_half_are).
    assert v["problemindex"].iloc[:2].isna().all()
    # Trygghetsindex of respondent 2: safe_evening 4, worry 2, refrained 6 → 4.
    assert v["trygghetsindex"].iloc[1] == pytest.approx(4.0)
    np.testing.assert_array_equal(v["tid_kvall"], [1, 0, np.nan, np.nan, np.nan])


def test_problem_index_averages_the_answered_items_if_half_are():
    answers = ["Mycket stort problem", "Ganska stort problem", "Ganska litet problem",
               "Inget problem alls"]
    items = DEFAULT.grids["problem"]
    cols = {name: [answers[i % 4], answers[i % 4] if i < 6 else None]
            for i, name in enumerate(items)}
    v = respondent_values(frame(**cols))
    scores = [6, 4, 2, 0]
    everyone = np.mean([scores[i % 4] for i in range(len(items))])
    six = np.mean([scores[i % 4] for i in range(6)])  # 6 of 11 answered: over half
    assert v["problemindex"].tolist() == pytest.approx([everyone, six])


def test_an_explicit_copy_gives_the_same_values_as_the_default(tmp_path):
    copy = tmp_path / "frageformular.yml"
    shutil.copy(DEFAULT_FILE, copy)
    rng = np.random.default_rng(3)
    n = 200
    cols = {q: rng.choice([*DEFAULT.questions[q].answer_scale.levels, None], n)
            for q in DEFAULT.questions
            if DEFAULT.questions[q].kind == "single" and q != "area"}
    r = frame(**cols)
    pd.testing.assert_frame_equal(respondent_values(r),
                                  respondent_values(r, questionnaire=load_questionnaire(copy)))


@pytest.mark.slow
def test_the_sample_estimates_are_the_same_with_an_explicit_copy(tmp_path, monkeypatch):
    """Estimating with the default questionnaire and with a workspace's copy of it gives
    the same table, row for row (the published sample's numbers cannot move)."""
    from trygghet.cli import main

    monkeypatch.setenv("TRYGGHET_PSEUDONYM_KEY", SAMPLE_KEY)
    tables = {}
    for name, own in (("default", False), ("copy", True)):
        root = copy_sample(tmp_path / name)
        if own:
            shutil.copy(DEFAULT_FILE, root / "config" / "frageformular.yml")
        for command in ("clean", "estimate"):
            assert main(["--root", str(root), command, "--year", "2021"]) == 0
        tables[name] = pd.read_parquet(root / "data/processed/2021/estimates.parquet")
    pd.testing.assert_frame_equal(tables["default"], tables["copy"], check_exact=True)
    total = tables["default"].query("group_var == 'total' and estimate_type == 'weighted'")
    assert len(total) == 33 and set(total["indicator"]) == set(DEFAULT.indicators)


def test_a_workspace_without_a_questionnaire_uses_the_default_and_one_with_its_own(tmp_path):
    from trygghet.config import Project

    project = Project(tmp_path)
    assert questionnaire_for(project) is DEFAULT
    own = tmp_path / "config" / "frageformular.yml"
    own.parent.mkdir()
    own.write_text(DEFAULT_FILE.read_text(encoding="utf-8").replace(
        "version: 1", "version: 7"), encoding="utf-8")
    assert project.questionnaire_file == own
    assert questionnaire_for(project).version == 7


# --- Validation: the line and what is wrong ------------------------------------------------

def _with(tmp_path: Path, old: str, new: str) -> tuple[Path, int]:
    """The default file with ``old`` replaced by ``new``; and the line where ``new`` starts."""
    text = DEFAULT_FILE.read_text(encoding="utf-8")
    assert old in text, old
    line = text[:text.index(old)].count("\n") + 1
    path = tmp_path / "frageformular.yml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path, line


@pytest.mark.parametrize("old, new, offset, message", [
    # offset: the offending key's line, counted from the first line of ``new``
    ("    scale: trust\n    text: {sv: \"Hur stort förtroende har du för kommunens",
     "    scale: tillit\n    text: {sv: \"Hur stort förtroende har du för kommunens", 0,
     "okänd skala 'tillit'"),
    ("    counts: [Mycket ofta, Ganska ofta]",
     "    counts: [Mycket ofta, Ofta]", 0, "'Ofta' finns inte på skalan worry"),
    ("    base: [Mycket trygg, Ganska trygg]\n    exclude: [Går inte ut av andra skäl]\n"
     "    label: {sv: \"Känner sig otrygg ute ensam sent",
     "    base: [Mycket trygg, Ganska trygg]\n"
     "    label: {sv: \"Känner sig otrygg ute ensam sent", -1,
     "säg om svaret 'Går inte ut av andra skäl' räknas"),
    ("  - id: worry\n    kind: single", "  - id: worry\n    kind: singel", 1,
     "okänd frågetyp 'singel'"),
    ("    battery: victimisation\n    counts: [Ja]", "    battery: utsatthet\n    counts: [Ja]",
     0, "okänt batteri 'utsatthet'"),
    ("  - id: oro\n", "  - id: otrygg_kvall\n", 0, "indikatorn 'otrygg_kvall' finns redan"),
    ("      - {id: hot, sv: hot, en: threats}", "      - {id: hot, sv: hot}", 0,
     "texten på engelska (en) saknas"),
])
def test_validation_names_the_line_and_what_is_wrong(tmp_path, old, new, offset, message):
    path, line = _with(tmp_path, old, new)
    line += offset
    with pytest.raises(TrygghetError) as caught:
        load_questionnaire(path)
    err = caught.value
    assert message in err.message
    assert err.file == str(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    # The line named is the one holding the offending key (or the entry it belongs to).
    assert err.row == line, (err.row, line, lines[(err.row or 1) - 1])
    assert f"rad {err.row}" in str(err)


def test_a_yaml_error_and_a_missing_version_are_named_too(tmp_path):
    path = tmp_path / "frageformular.yml"
    path.write_text("version: 1\nscales: {a: [}\n", encoding="utf-8")
    with pytest.raises(TrygghetError, match="ogiltig YAML") as caught:
        load_questionnaire(path)
    assert caught.value.row == 2
    path.write_text("name: {sv: x, en: y}\n", encoding="utf-8")
    with pytest.raises(TrygghetError, match="version") as caught:
        load_questionnaire(path)


# --- Years: asked, changed, not compared ----------------------------------------------------

def changed_questionnaire(tmp_path: Path):
    path, _ = _with(tmp_path, "  - id: safe_evening\n    kind: single\n",
                    "  - id: safe_evening\n    kind: single\n"
                    "    changed: [{year: 2021, note: nytt svarsalternativ}]\n"
                    "    asked: {from: 2019}\n")
    return load_questionnaire(path)


def test_asked_and_comparable_follow_the_year_map(tmp_path):
    q = changed_questionnaire(tmp_path)
    assert "safe_evening" in q.asked(2019) and "safe_evening" not in q.asked(2018)
    assert q.comparable("safe_evening", 2019, 2020) == (True, "")
    ok, why = q.comparable("otrygg_kvall", 2020, 2021)
    assert not ok and why == "frågan safe_evening ändrades 2021: nytt svarsalternativ"
    assert not q.comparable("trygghetsindex", 2021, 2019)[0]  # built on safe_evening too
    assert q.comparable("oro", 2020, 2021) == (True, "")
    assert q.comparable("otrygg_kvall", 2018, 2019)[1] == "frågan safe_evening ställdes inte 2018"


def published(year: int, sampling: str = "probability") -> pd.DataFrame:
    """Two indicators' published primary rows for ``year`` (hand-made)."""
    rows = []
    for ind, est in (("otrygg_kvall", 0.25 + (year - 2020) * 0.05), ("oro", 0.2)):
        rows.append({"year": year, "indicator": ind, "kind": "share", "group_var": "total",
                     "group": "Totalt", "estimate_type": "weighted", "estimate": est,
                     "se": 0.01, "n": 900, "sampling": sampling,
                     "questions": "safe_evening" if ind == "otrygg_kvall" else "worry",
                     "suppressed": False, "suppression_reason": ""})
    return pd.DataFrame(rows)


def test_a_changed_question_is_a_series_break_in_the_changes_table(tmp_path):
    q = changed_questionnaire(tmp_path)
    table = changes(published(2020), published(2021), questionnaire=q).set_index("indicator")
    kvall, oro = table.loc["otrygg_kvall"], table.loc["oro"]
    assert kvall["series_break"] and pd.isna(kvall["significant"]) and pd.isna(kvall["se"])
    assert "ändrades 2021: nytt svarsalternativ" in kvall["note"]
    assert "jämförs inte" in kvall["note"]
    # The 5-point rise with SE √2 % is significant where the question did not change.
    assert not oro["series_break"] and oro["note"] == ""
    plain = changes(published(2020), published(2021)).set_index("indicator")
    assert not plain.loc["otrygg_kvall", "series_break"]
    assert bool(plain.loc["otrygg_kvall", "significant"])


def test_the_trend_does_not_join_years_across_a_changed_question(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from trygghet import charts

    q = changed_questionnaire(tmp_path)
    rep = SimpleNamespace(survey=q, years=[2019, 2020, 2021])
    breaks = report_sections.trend_breaks(rep, "otrygg_kvall")
    assert breaks == [2021] and report_sections.trend_breaks(rep, "oro") == []
    est = pd.concat([published(y) for y in (2019, 2020, 2021)], ignore_index=True)
    est = est.assign(ci_low=est["estimate"] - 0.02, ci_high=est["estimate"] + 0.02,
                     symbol="", generalisable=True, ci_level=0.95, n=900, count=200)
    ax = charts.trend(est, "otrygg_kvall", more_breaks=breaks)
    joined = [line for line in ax.get_lines() if len(line.get_xdata()) > 1
              and line.get_linestyle() == "-"]
    # One segment 2019–2020; 2021 stands alone after the break.
    assert [list(line.get_xdata()) for line in joined] == [[2019, 2020]]


def test_describe_lists_ids_scales_and_the_years(tmp_path):
    q = changed_questionnaire(tmp_path)
    text = "\n".join(describe(q))
    assert "problem  (frågebatteri, 11 påståenden)" in text
    assert "    problem_stold_ur_bil: stölder ur bilar" in text
    assert "skala safety: Mycket trygg · Ganska trygg" in text
    assert "särskilda svar: Går inte ut ensam p.g.a. otrygghet" in text
    assert "ändrad 2021: nytt svarsalternativ (jämförs inte över ändringen)" in text
    only = "\n".join(describe(q, 2018))
    assert "safe_evening" not in only.split("Indikatorer")[0]


def test_a_broken_workspace_questionnaire_is_one_message_and_exit_2(tmp_path, capsys):
    from trygghet.cli import main

    (tmp_path / "config" / "surveys").mkdir(parents=True)
    path, line = _with(tmp_path / "config", "    counts: [Mycket ofta, Ganska ofta]",
                       "    counts: [Mycket ofta, Ofta]")
    assert main(["--root", str(tmp_path), "questions"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fel: ") and "Traceback" not in err
    assert f"frageformular.yml, rad {line}, kolumn 'indicators[2].counts'" in err
    assert "'Ofta' finns inte på skalan worry" in err
