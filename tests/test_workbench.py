"""The analyst's workbench on the sample: its figures are the published ones where both
exist, its own tables are protected as the rules say, its answers are honest, and
neither it nor the explorer shows respondent rows or free text.

The sample is cleaned and estimated once for the module (a copy, so that the Excel
files the workbench writes do not touch the shared rendered sample).
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from helpers import REPO, SAMPLE_YEARS, copy_sample, sample_env

from trygghet import adhoc, free_text
from trygghet.contrast import group_difference
from trygghet.errors import TrygghetError
from trygghet.indicators import INDICATORS
from trygghet.workbench import Workbench

PRIMARY = ("weighted", "unweighted")
VALUES = ["estimate", "se", "ci_low", "ci_high"]


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    """The sample's project with every year cleaned and estimated (estimates.parquet)."""
    from trygghet.cli import main

    root = copy_sample(tmp_path_factory.mktemp("workbench"))
    with pytest.MonkeyPatch.context() as mp:
        sample_env(mp)
        for year in SAMPLE_YEARS:
            assert main(["--root", str(root), "estimate", "--year", str(year)]) == 0
    return root


@pytest.fixture(scope="module")
def wb(sample) -> Workbench:
    return Workbench(sample, year=2020)


def published(root: Path, year: int) -> pd.DataFrame:
    e = pd.read_parquet(root / "data" / "processed" / str(year) / "estimates.parquet")
    return e[e["estimate_type"].isin(PRIMARY)]


def same(a: pd.Series, b: pd.Series) -> bool:
    a, b = (pd.to_numeric(x, errors="coerce").to_numpy(dtype=float) for x in (a, b))
    return bool(np.all((np.isnan(a) & np.isnan(b)) | np.isclose(a, b, rtol=0, atol=1e-12)))


# --- The published figures --------------------------------------------------------------------

@pytest.mark.parametrize("year", SAMPLE_YEARS)
def test_tables_by_a_published_grouping_are_the_published_estimates(sample, year):
    wb = Workbench(sample, year=year)
    pub = published(sample, year)
    for by in ("sex", "age_group", "area", "relation"):
        mine = wb.table(list(INDICATORS), by=by).rows
        m = mine.merge(pub, on=["indicator", "group_var", "group"], suffixes=("", "_p"))
        expected = pub[pub["group_var"].isin(["total", by])]
        assert len(m) == len(mine) == len(expected), by
        for col in [*VALUES, "n"]:
            assert same(m[col], m[f"{col}_p"]), (by, col)
        assert (m["symbol"] == m["symbol_p"]).all() and (m["suppressed"] == m["suppressed_p"]).all()


@pytest.mark.parametrize("year", [2019, 2020])
def test_a_filtered_group_is_the_published_group_it_equals(wb, sample, year):
    """A domain of the whole sample, not a subset of the data: women (or Centrum) as a
    filter give exactly the published figures of women (of Centrum), SE included."""
    pub = published(sample, year)
    for name, level in (("sex", "Kvinna"), ("area", "Centrum"), ("relation", "bor")):
        rows = wb.table(["otrygg_kvall", "problemindex", "utsatt"], year=year,
                        where={name: level}).rows
        ref = pub[(pub["group_var"] == name) & (pub["group"] == level)].set_index("indicator")
        rows = rows.set_index("indicator")
        for col in [*VALUES, "n"]:
            assert same(rows[col], ref.loc[rows.index, col]), (name, col)


def test_a_crossed_tables_margins_are_published_and_its_cells_are_weighted_shares(wb, sample):
    rows = wb.table("otrygg_kvall", by=["sex", "area"]).rows
    pub = published(sample, 2020)
    margins = rows[rows["part"] != "cell"].merge(pub, on=["indicator", "group_var", "group"],
                                                 suffixes=("", "_p"))
    assert len(margins) == (rows["part"] != "cell").sum() == 1 + 2 + 12
    assert same(margins["estimate"], margins["estimate_p"])
    # A shown cell is Σ w·y / Σ w over its answering respondents (the raked weights).
    sy = wb.survey_year(2020)
    y = sy.values["otrygg_kvall"].to_numpy()
    w = sy.design.weights
    for _, r in rows[(rows["part"] == "cell") & ~rows["suppressed"]].iterrows():
        inside = ((sy.responses["sex"] == r["level_1"]) & (sy.responses["area"] == r["level_2"])
                  ).to_numpy() & ~np.isnan(y)
        assert r["estimate"] == pytest.approx((w[inside] * y[inside]).sum() / w[inside].sum(),
                                              abs=1e-12)
        assert r["n"] == inside.sum() and r["count"] == y[inside].sum()


# --- Disclosure control of own tables ---------------------------------------------------------

def recoverable(sy: adhoc.SurveyYear, indicator: str, rows: pd.DataFrame,
                masks: dict, target: np.ndarray) -> bool:
    """Whether those of ``target`` (answering) with the trait, or those without, are 1–4
    people whose number can be worked out from what is shown: the table's rows and every
    published row of the indicator (each an n and a count). Linear algebra over the
    respondents, independent of the audit's own machinery. (A part of 0 may be known:
    0 is publishable.)"""
    y = sy.values[indicator].to_numpy()
    answered = ~np.isnan(y)
    pub = sy.published[(sy.published["indicator"] == indicator)
                       & sy.published["estimate_type"].isin(PRIMARY)]
    shown = [masks[(gv, g)] for gv, g in zip(pub["group_var"], pub["group"], strict=True)
             if not pub.loc[(pub["group_var"] == gv) & (pub["group"] == g), "suppressed"].iloc[0]]
    shown += [masks[(gv, g)] for gv, g, hidden in zip(rows["group_var"], rows["group"],
                                                       rows["suppressed"], strict=True)
              if not hidden]
    basis = np.array([m[answered] for m in shown], dtype=float)
    if INDICATORS[indicator].kind == "mean":   # an index publishes no count
        functionals, goals = basis, [target[answered].astype(float)]
    else:
        trait = y[answered]
        functionals = np.vstack([basis, basis * trait])
        goals = [target[answered] * trait, target[answered] * (1 - trait)]
    for goal in goals:
        coef = np.linalg.lstsq(functionals.T, goal.astype(float), rcond=None)[0]
        if np.abs(functionals.T @ coef - goal).max() < 1e-6 and 0 < goal.sum() < 5:
            return True
    return False


def own_masks(sy: adhoc.SurveyYear, by, where=None) -> dict:
    return sy.context_masks() | {(d.group_var, d.group): d.mask for d in adhoc.domains(
        sy.responses, by, where, sy.published_groupings)}


@pytest.mark.parametrize("year, by, secondary", [(2020, ["sex", "area"], True),
                                                 (2019, ["sex", "area"], True),
                                                 (2020, ["age_group", "area"], False)])
def test_a_suppressed_cell_cannot_be_recovered_from_the_row_and_column_totals(wb, year, by,
                                                                               secondary):
    sy = wb.survey_year(year)
    rows = wb.table("otrygg_kvall", by=by, year=year).rows
    masks = own_masks(sy, by)
    hidden = rows[rows["suppressed"] & (rows["part"] == "cell")]
    assert len(hidden) >= 3
    assert (hidden["suppression_reason"] == "secondary").any() == secondary
    # Cells withheld because they hold 1–4 people (with or without the trait). A cell
    # withheld only as unreliable (fewer than min_n, each part at least min_cell) reveals
    # no one; as in the published tables it gets no secondary suppression.
    small = hidden[hidden["suppression_reason"] == "disclosure"]
    assert len(small) >= 1
    for _, r in small.iterrows():
        assert not recoverable(sy, "otrygg_kvall", rows, masks, masks[(r["group_var"],
                                                                      r["group"])]), r["group"]
    # The shown cells were not all hidden to get there.
    assert (~rows["suppressed"] & (rows["part"] == "cell")).sum() >= 10


def test_a_filtered_table_leaves_no_complement_below_min_cell(wb):
    """Women aged 16–24 by area, beside the published figures: no shown cell's complement
    in its published group (the area less them; the women of 16–24 less them) holds 1–4
    people with or without the trait, and no hidden cell can be counted."""
    sy = wb.survey_year(2020)
    where = {"sex": "Kvinna", "age_group": "16–24"}
    for indicator, by in (("otrygg_kvall", ["area"]), ("problemindex", ["area"]),
                          ("oro", ["relation"]), ("otrygg_kvall", ["sex"])):
        rows = wb.table(indicator, by=by, where=where).rows
        masks = own_masks(sy, by, where)
        y = sy.values[indicator].to_numpy()
        answered = ~np.isnan(y)
        for _, r in rows.iterrows():
            mask = masks[(r["group_var"], r["group"])]
            if r["suppressed"]:
                assert not recoverable(sy, indicator, rows, masks, mask), r["group"]
                continue
            parents = [masks[("sex", "Kvinna")], masks[("age_group", "16–24")]]
            if r["part"] == "cell":
                parents.append(masks[(by[0], r["level_1"])])
            for parent in parents:
                rest = parent & ~mask & answered
                counts = [rest.sum()] if INDICATORS[indicator].kind == "mean" else \
                    [(rest & (y == 1)).sum(), (rest & (y == 0)).sum()]
                assert all(c == 0 or c >= 5 for c in counts), (indicator, r["group"])


def test_a_filtered_cell_that_is_almost_its_published_group_is_withheld(wb):
    """Sjuntorp less those who see no big problem with cars … : a filter that leaves 1–4 of
    a published group out of it must not be shown (the published group less it)."""
    sy = wb.survey_year(2020)
    area = sy.responses["area"].astype(str).to_numpy()
    y = sy.values["otrygg_kvall"].to_numpy()
    for level in sy.responses["age_group"].cat.categories:
        # every area but one age group: the complement in each area is that age group
        rows = wb.table("otrygg_kvall", by="area", where={"age_group": [
            a for a in sy.responses["age_group"].cat.categories if a != level]}).rows
        for _, r in rows[rows["part"] == "cell"].iterrows():
            left = (area == r["level_1"]) & (sy.responses["age_group"] == level).to_numpy() \
                & ~np.isnan(y)
            small = any(0 < c < 5 for c in ((left & (y == 1)).sum(), (left & (y == 0)).sum()))
            if small:
                assert r["suppressed"], (level, r["level_1"])


def test_a_single_published_cell_is_not_re_protected_differently(wb, sample):
    """A table of published rows only is exactly as published: the workbench never shows
    a cell the report hides, nor hides one it shows."""
    pub = published(sample, 2020)
    rows = wb.table("otrygg_dag", by="area").rows
    ref = pub[(pub["indicator"] == "otrygg_dag") & pub["group_var"].isin(["total", "area"])]
    assert rows["suppressed"].tolist() == ref["suppressed"].tolist()
    assert rows.loc[rows["suppressed"], "estimate"].isna().all()


def test_the_opt_out_is_explicit_logged_and_marked(wb, capsys, caplog, tmp_path):
    with caplog.at_level(logging.WARNING, logger="trygghet.workbench"):
        table = wb.table("otrygg_kvall", by=["sex", "area"], protect=False)
    err = capsys.readouterr().err
    assert "VARNING" in err and "får inte publiceras" in err
    assert any("protect=False" in r.getMessage() for r in caplog.records)
    assert table.internal and not table.rows["suppressed"].any()
    assert "INTERNT – får inte publiceras" in table.html()
    assert "INTERNT – får inte publiceras" in repr(table)
    protected = wb.table("otrygg_kvall", by=["sex", "area"]).rows
    assert protected["suppressed"].sum() > 0  # what the opt-out shows, protection hides
    from openpyxl import load_workbook

    table.to_excel(tmp_path / "internt.xlsx")
    book = load_workbook(tmp_path / "internt.xlsx")
    assert book.worksheets[0]["A1"].value.startswith("INTERNT – får inte publiceras")
    assert book.worksheets[0]["A3"].value == "INTERNT – får inte publiceras"


# --- Differences --------------------------------------------------------------------------------

def test_two_areas_differ_as_the_linearised_contrast_says(wb):
    c = wb.compare_groups("otrygg_kvall", {"area": "Lextorp"}, {"area": "Sylte"})
    sy = wb.survey_year(2020)
    area = sy.responses["area"].astype(str).to_numpy()
    d = group_difference(sy.values["otrygg_kvall"], sy.design, area == "Lextorp",
                         area == "Sylte")
    assert (c.row["diff"], c.row["se"], c.row["ci_low"]) == (d.diff, d.se, d.ci_low)
    assert c.row["ci_low"] < 0 < c.row["ci_high"]
    assert "Skillnaden kan inte säkerställas statistiskt." in c.sentence
    assert "Lextorp 37,0\u00a0% och Sylte 26,7\u00a0%" in c.sentence
    assert "Lextorp" in c.html() and "procentenheter" in c.sentence


def test_a_clear_difference_is_statistically_certain(wb):
    c = wb.compare_groups("otrygg_kvall", {"sex": "Kvinna"}, {"sex": "Man"})
    assert c.row["ci_low"] > 0 and c.row["significant"]
    assert c.sentence.endswith("Skillnaden är statistiskt säkerställd.")


def test_the_opt_in_year_claims_nothing(sample):
    wb = Workbench(sample, year=2019)
    c = wb.compare_groups("otrygg_kvall", {"sex": "Kvinna"}, {"sex": "Man"})
    assert np.isnan(c.row["se"]) and c.row["significant"] is None
    assert "kan inte prövas statistiskt" in c.sentence and "säkerställd" not in c.sentence
    assert "andelar av de svarande" in " ".join(c.notes)
    years = wb.compare_years("otrygg_kvall")
    assert "ingen tidigare mätning" in years.sentence


def test_a_hidden_side_hides_the_difference(wb):
    c = wb.compare_groups("otrygg_kvall", {"sex": "Kvinna", "area": "Upphärad",
                                           "age_group": "16–24"}, {"area": "Sylte"})
    assert np.isnan(c.row["diff"]) and "redovisas inte" in c.sentence
    assert c.frame().iloc[2, 1] == ".."


def test_two_years_are_the_published_change(sample):
    wb = Workbench(sample, year=2021)
    c = wb.compare_years("otrygg_kvall")
    ch = pd.read_parquet(sample / "data" / "processed" / "2021" / "changes.parquet")
    ref = ch[(ch["year_from"] == 2020) & (ch["indicator"] == "otrygg_kvall")
             & (ch["group_var"] == "total")].iloc[0]
    assert c.row["diff"] == pytest.approx(ref["diff"], abs=1e-15)
    assert c.row["se"] == pytest.approx(np.hypot(*[
        published(sample, y).query("indicator == 'otrygg_kvall' and group_var == 'total'")[
            "se"].iloc[0] for y in (2020, 2021)]), rel=1e-12)
    assert c.row["significant"] == bool(ref["significant"])
    women = wb.compare_years("otrygg_kvall", where={"sex": "Kvinna"})
    ref = ch[(ch["year_from"] == 2020) & (ch["indicator"] == "otrygg_kvall")
             & (ch["group"] == "Kvinna")].iloc[0]
    assert women.row["se"] == pytest.approx(ref["se"], rel=1e-12)


def test_across_the_series_break_no_conclusion_is_drawn(wb):
    c = wb.compare_years("otrygg_kvall", where={"sex": "Kvinna", "age_group": "16–24"})
    assert c.sides["year"].tolist() == [2019, 2020]
    assert "Seriebrott" in c.sentence and np.isnan(c.row["se"]) and c.row["significant"] is None


def test_a_trend_marks_the_series_break(wb, sample):
    t = wb.trend("problemindex")
    assert t.rows["year"].tolist() == list(SAMPLE_YEARS)
    for year in SAMPLE_YEARS:
        ref = published(sample, year).query("indicator == 'problemindex' and "
                                            "group_var == 'total'")["estimate"].iloc[0]
        assert t.rows.loc[t.rows["year"] == year, "estimate"].iloc[0] == ref
    assert t.rows["trend_note"].tolist()[1] == "Seriebrott"
    assert "Seriebrott mellan 2019 och 2020" in t.html()
    ax = t.chart(show=False)
    from trygghet.charts import alt_text

    assert "seriebrott före 2020" in alt_text(ax)


def test_every_chart_has_alt_text(wb):
    from trygghet.charts import alt_text

    for table in (wb.table("otrygg_kvall", by="area"), wb.table("oro", by="sex"),
                  wb.table("otrygg_kvall", by=["sex", "area"]),
                  wb.table("problemindex", by="age_group", where={"sex": "Kvinna"})):
        text = alt_text(table.chart(show=False))
        assert text.endswith(".") and len(text) > 40


def test_an_excel_export_has_the_appendix_formats(wb, tmp_path):
    from openpyxl import load_workbook

    table = wb.table(["otrygg_kvall", "problemindex"], by=["sex", "area"])
    table.to_excel(tmp_path / "a.xlsx")
    table.to_excel(tmp_path / "b.xlsx")
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    book = load_workbook(tmp_path / "a.xlsx")
    about, *sheets = book.worksheets
    assert about.title == "Om tabellerna" and "Skyddad enligt röjandereglerna" in " ".join(
        str(c.value) for c in about["A"])
    cells = [row for ws in sheets for row in ws.iter_rows(min_row=4)]
    shares = [r for r in cells if r[1].value == "otrygg_kvall"]
    assert {r[6].number_format for r in shares if isinstance(r[6].value, float)} == {"0.0"}
    assert any(r[6].value == ".." for r in shares)
    assert any(r[3].value == "Kvinnor × Centrum" for r in shares)
    index = [r for r in cells if r[1].value == "problemindex"]
    assert {r[6].number_format for r in index if isinstance(r[6].value, float)} == {"0.00"}
    # Relative names go to reports/<year>/analys/.
    assert table.excel_path("x.xlsx") == wb.project.reports(2020) / "analys" / "x.xlsx"


def test_bad_questions_are_one_swedish_message(wb):
    with pytest.raises(TrygghetError, match="okänd indikator"):
        wb.table("otrygg")
    with pytest.raises(TrygghetError, match="okänd nivå"):
        wb.table("oro", where={"area": "Atlantis"})
    with pytest.raises(TrygghetError, match="ingen sådan gruppering"):
        wb.table("oro", by="respondent_id")
    with pytest.raises(TrygghetError, match="överlappande"):
        wb.table("oro", by=["relation", "sex"])
    with pytest.raises(TrygghetError, match="ingen enkät för 2018"):
        wb.table("oro", year=2018)


def test_the_lists_name_indicators_questions_and_groupings(wb):
    ind = wb.indicators()
    assert len(ind) == len(INDICATORS)
    row = ind[ind["Namn i anrop"] == "otrygg_kvall"].iloc[0]
    assert row["Fråga"].startswith("Hur trygg eller otrygg känner du dig")
    groups = wb.groupings()
    assert {"sex", "age_group", "area", "relation"} <= set(groups["Namn i anrop"])
    assert not {"respondent_id", "comment", "submitted", "age"} & set(groups["Namn i anrop"])


# --- The explorer ----------------------------------------------------------------------------

def respondent_ids(root: Path) -> list[str]:
    return [str(i) for y in SAMPLE_YEARS for i in pd.read_parquet(
        root / "data" / "processed" / str(y) / "responses.parquet")["respondent_id"]]


def test_the_explorer_updates_its_table_and_chart(wb, sample):
    from trygghet.explorer import explore

    ex = explore(wb)
    first = ex.table_html
    assert "Totalt" in first and 'alt="' in ex.chart_html
    ex.by.value = "area"
    assert "Kronogården" in ex.table_html and ex.table_html != first
    ex.by2.value = "sex"
    assert "Kvinnor" in ex.table_html and "..</td>" in ex.table_html
    ex.filters["age_group"].value = "16–24"
    assert "16–24\u00a0år" in ex.table_html
    ex.view.value = "trend"
    assert "Seriebrott" in ex.table_html and ex.year.disabled
    ex.view.value = "year"
    ex.by.value, ex.by2.value = "relation", "sex"
    assert ex.status.value.startswith('<p role="alert">') and ex.table_html == ""
    ex.year.value = 2019
    assert ex.filters["area"].options[-1][1] == "Annat område"
    shown = ex.table_html + ex.chart_html + ex.status.value
    ids = respondent_ids(sample)
    assert not any(i in shown for i in ids)


# --- The notebook ----------------------------------------------------------------------------

NOTEBOOK = REPO / "notebooks" / "utforska.ipynb"


def notebook_strings(path: Path) -> str:
    """Every string of an executed notebook: sources, outputs, metadata (widget state)."""
    return json.dumps(json.loads(path.read_text(encoding="utf-8")), ensure_ascii=False)


def leaks(path: Path, ids: list[str], answers: list[str], public: list[str]) -> list[str]:
    """What of the respondents an executed notebook shows: ids, and free text (as the
    report set's last check finds it, and as verbatim answers)."""
    text = notebook_strings(path)
    found = [f"id {i}" for i in ids if i in text]
    folded = text.casefold()
    found += [f"svar {a[:20]}" for a in answers if len(a) > 25 and a.casefold() in folded]
    try:
        free_text.check_published(answers, [path], public=public)
    except TrygghetError as err:
        found.append(err.message)
    return found


@pytest.mark.slow
@pytest.mark.parametrize("year", [2020, 2019])
def test_the_notebook_runs_and_shows_no_respondent(sample, year, tmp_path):
    import papermill

    out = tmp_path / f"utforska_{year}.ipynb"
    papermill.execute_notebook(str(NOTEBOOK), str(out),
                               parameters={"year": year}, cwd=str(sample),
                               progress_bar=False, log_output=False)
    nb = json.loads(out.read_text(encoding="utf-8"))
    errors = [o for c in nb["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert errors == []
    text = notebook_strings(out)
    assert "application/vnd.jupyter.widget-view+json" in text    # the explorer is there
    assert "Skyddad enligt röjandereglerna" in text
    if year == 2019:   # the opt-in year: shares of the respondents, and it says so
        assert "andelar av de svarande" in text and "kan inte prövas statistiskt" in text
        assert "Skillnaden är statistiskt säkerställd" not in text
    else:
        assert "Slumpmässigt urval, vägt till befolkningen" in text
        assert re.search(r"Skillnaden (kan inte säkerställas|är statistiskt säkerställd)", text)
    answers = [a for y in SAMPLE_YEARS
               for a in free_text.load_answers(sample / "data" / "processed" / str(y))]
    assert len(answers) > 50
    public = free_text.public_files([NOTEBOOK])
    assert leaks(out, respondent_ids(sample), answers, public) == []


def test_the_leak_scan_finds_rows_and_free_text(sample, tmp_path):
    """The scan above is not blind: a notebook that prints a respondent's id and answer."""
    answers = free_text.load_answers(sample / "data" / "processed" / "2020")
    ids = respondent_ids(sample)
    answer = max(answers, key=len)
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    nb["cells"][2]["outputs"] = [{"output_type": "stream", "name": "stdout",
                                  "text": [f"{ids[7]}  {answer.upper()}\n"]}]
    path = tmp_path / "leaky.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    found = leaks(path, ids, answers, free_text.public_files([NOTEBOOK]))
    assert f"id {ids[7]}" in found and any("fritextsvar" in f for f in found)


def test_the_committed_notebook_is_swedish_without_outputs_and_hooked():
    """utforska.ipynb is covered by the habits (no outputs, the nbstripout hook), is in
    Swedish, and each worked question is one line."""
    from test_habits import NOTEBOOKS, test_committed_notebooks_have_no_outputs

    assert NOTEBOOK in NOTEBOOKS
    test_committed_notebooks_have_no_outputs(NOTEBOOK)
    hooks = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    (strip,) = [h for r in hooks["repos"] for h in r["hooks"] if h["id"] == "nbstripout"]
    assert re.search(strip["files"], "notebooks/utforska.ipynb")
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    text = " ".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert "Frågor på en rad" in text and "Gå vidare" in text and "anteckningsbok" in text
    questions = [c for c in nb["cells"] if c["id"].startswith("q-") and c["cell_type"] == "code"]
    assert len(questions) >= 5
    assert all(len("".join(c["source"]).strip().splitlines()) == 1 for c in questions)
    sources = " ".join("".join(c["source"]) for c in questions)
    for call in ('compare_years("otrygg_kvall", where={"sex": "Kvinna", "age_group": "16–24", '
                 '"area"', 'compare_groups("otrygg_kvall", {"area": "Lextorp"}, {"area": '
                 '"Sylte"})', 'table("otrygg_kvall", by=["sex", "area"])',
                 'trend("problemindex")'):
        assert call in sources
