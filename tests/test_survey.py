"""The survey year: estimate_survey, changes, significance, strata, reconciled margins.

The numerical engine is tested against hand-derived cases and R in
``test_estimate.py``; here the survey-year layer (``survey.py``) on canonical
frames, and the estimation stage with its files and CLI messages.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from test_estimate import AREAS, Z, canonical, population

from trygghet import cli, pipeline
from trygghet.appendix import write_appendix
from trygghet.config import DEFAULT_SETTINGS, Project
from trygghet.errors import TrygghetError
from trygghet.estimate import estimate, t_quantile, wilson_interval
from trygghet.indicators import INDICATORS, respondent_values
from trygghet.schema import OTHER_AREA
from trygghet.suppress import protect
from trygghet.survey import (
    CHANGE_COLUMNS,
    ESTIMATE_COLUMNS,
    changes,
    differ,
    estimate_survey,
    group_columns,
    normal_quantile,
)
from trygghet.weights import Strata, rake
from trygghet.writers import write_parquet

# --- The survey year --------------------------------------------------------------


def test_probability_year_contract():
    resp = canonical()
    res = estimate_survey(resp, population())
    est = res.estimates
    assert list(est.columns) == ESTIMATE_COLUMNS
    assert set(est["estimate_type"]) == {"weighted"} and est["generalisable"].all()
    assert set(est["indicator"]) == set(INDICATORS)
    assert set(est["group_var"]) == {"total", "sex", "age_group", "area", "relation"}
    assert set(est.loc[est["group_var"] == "relation", "group"]) == {"bor", "arbetar", "vistas"}
    assert str(est["n"].dtype) == "Int64" and est["year"].eq(2020).all()
    tot = est[(est["group_var"] == "total")].set_index("indicator")
    assert tot.loc["problemindex", "kind"] == "mean"
    assert 0 <= tot.loc["problemindex", "estimate"] <= 6
    assert (est["ci_low"] <= est["estimate"] + 1e-12).all()
    w = res.weights
    assert list(w.columns) == ["respondent_id", "weight"] and len(w) == len(resp)
    assert res.diagnostics["weighting"]["converged"]
    # The weighted estimate really is Σwy/Σw of the indicator.
    from trygghet.indicators import respondent_values
    y = respondent_values(resp)["otrygg_kvall"].to_numpy()
    ok = ~np.isnan(y)
    ww = w["weight"].to_numpy()
    assert tot.loc["otrygg_kvall", "estimate"] == pytest.approx(
        np.sum(ww[ok] * y[ok]) / np.sum(ww[ok]), rel=1e-12)


def test_worry_and_avoidance_count_often_as_bra_does():
    """domain.md: Brå's indicators count (ganska/mycket) "ofta" for worry and avoidance."""
    from trygghet.indicators import respondent_values

    resp = canonical(n=8)
    resp["worry"] = pd.Categorical(["Mycket ofta", "Ganska ofta", "Ganska sällan", "Aldrig",
                                    None, "Aldrig", "Ganska ofta", "Aldrig"],
                                   dtype=resp["worry"].dtype)
    resp["refrained"] = pd.Categorical(["Ja, ofta", "Ja, ibland", "Nej", None, "Ja, ofta",
                                        "Ja, ibland", "Nej", "Nej"],
                                       dtype=resp["refrained"].dtype)
    v = respondent_values(resp)
    assert v["oro"].tolist()[:4] == [1, 1, 0, 0] and np.isnan(v["oro"].iloc[4])
    assert v["avstatt"].tolist()[:3] == [1, 0, 0] and np.isnan(v["avstatt"].iloc[3])
    assert v["avstatt"].sum() == 2


def test_probability_year_needs_population_and_rakeable_rows():
    with pytest.raises(TrygghetError, match="befolkningsuppgifter saknas"):
        estimate_survey(canonical(), None)
    resp = canonical()
    resp.loc[5, "sex"] = np.nan
    with pytest.raises(TrygghetError, match="kan inte viktas"):
        estimate_survey(resp, population())


def test_opt_in_year_unweighted_primary_and_adjusted_beside():
    resp = canonical(n=500, year=2019, sampling="opt_in",
                     not_asked=("trust_municipality",))
    resp.loc[:9, "sex"] = np.nan
    resp.loc[10:14, "area"] = OTHER_AREA
    res = estimate_survey(resp, population())
    est = res.estimates
    assert res.diagnostics["weighting"]["excluded"] == 15
    unw = est[est["estimate_type"] == "unweighted"]
    adj = est[est["estimate_type"] == "adjusted"]
    assert not est["generalisable"].any()
    assert adj["model_based"].all() and not unw["model_based"].any()
    assert unw["note"].str.contains("kan inte generaliseras").all()
    assert adj["note"].str.contains("indikativt").all()
    t = unw[(unw["indicator"] == "otrygg_kvall") & (unw["group_var"] == "total")].iloc[0]
    p, n = t["estimate"], int(t["n"])
    assert t["se"] == pytest.approx(math.sqrt(p * (1 - p) / n))
    assert (t["ci_low"], t["ci_high"]) == pytest.approx(wilson_interval(p, n, t_quantile(n - 1)))
    from trygghet.indicators import respondent_values
    y = respondent_values(resp)["otrygg_kvall"]
    assert p == pytest.approx(y.mean()) and n == y.notna().sum()
    a = adj[(adj["indicator"] == "otrygg_kvall") & (adj["group_var"] == "total")].iloc[0]
    assert a["n"] == y.notna().sum() - y.iloc[:15].notna().sum()
    # "Annat område" has unweighted rows but, unraked, no adjusted one.
    assert OTHER_AREA in set(unw["group"]) and OTHER_AREA not in set(adj["group"])
    na = est[est["indicator"] == "fortroende_kommun"]
    assert na["suppression_reason"].eq("not_asked").all() and na["estimate"].isna().all()
    assert len(res.weights) == 485


def test_changes_between_probability_years_by_hand():
    a = estimate_survey(canonical(seed=1, year=2020), population()).estimates
    b = estimate_survey(canonical(seed=2, year=2021, shift=0.1), population()).estimates
    ch = changes(protect(a), protect(b))
    assert list(ch.columns) == CHANGE_COLUMNS
    row = ch[(ch["indicator"] == "otrygg_kvall") & (ch["group_var"] == "total")].iloc[0]
    ea = a[(a["indicator"] == "otrygg_kvall") & (a["group_var"] == "total")].iloc[0]
    eb = b[(b["indicator"] == "otrygg_kvall") & (b["group_var"] == "total")].iloc[0]
    se = math.sqrt(ea["se"] ** 2 + eb["se"] ** 2)
    assert row["diff"] == pytest.approx(eb["estimate"] - ea["estimate"])
    assert row["se"] == pytest.approx(se)
    assert row["ci_low"] == pytest.approx(row["diff"] - Z * se)
    assert bool(row["significant"]) == (abs(row["diff"]) > Z * se)
    assert bool(row["significant"])  # the shift is large
    assert not ch["series_break"].any() and (row["year_from"], row["year_to"]) == (2020, 2021)


def test_series_break_across_design_and_questions():
    opt = estimate_survey(canonical(year=2019, sampling="opt_in",
                                    not_asked=("problem_stold_ur_bil",)), population())
    prob = estimate_survey(canonical(year=2020), population())
    ch = changes(protect(opt.estimates), protect(prob.estimates))
    assert ch["series_break"].all()
    assert ch["significant"].isna().all() and ch["se"].isna().all()
    assert ch.loc[~ch["suppressed"], "note"].str.contains("Seriebrott").all()
    assert set(ch["estimate_type_from"]) == {"unweighted"}
    # Same design, different questions behind problemindex: a break for that indicator only.
    p1 = estimate_survey(canonical(year=2020, not_asked=("problem_stold_ur_bil",)),
                         population()).estimates
    ch = changes(protect(p1), protect(prob.estimates.assign(year=2021)))
    brk = ch.groupby("indicator")["series_break"].all()
    assert brk["problemindex"] and not brk["otrygg_kvall"]
    assert brk["stort_problem_stold_ur_bil"] is np.False_ or not brk.get(
        "stort_problem_stold_ur_bil", False)
    na = ch[ch["indicator"] == "stort_problem_stold_ur_bil"]
    assert na["suppression_reason"].eq("not_asked").all() and na["note"].str.contains(
        "ställdes inte 2020").all()


def test_change_with_a_suppressed_side_is_suppressed():
    a = protect(estimate_survey(canonical(seed=1, n=200, year=2020), population()).estimates)
    b = protect(estimate_survey(canonical(seed=2, n=2000, year=2021), population()).estimates)
    ch = protect(changes(a, b))
    hidden = a.set_index(["indicator", "group_var", "group"])["suppressed"]
    key = ch.set_index(["indicator", "group_var", "group"]).index
    expect = hidden.reindex(key).fillna(False).to_numpy(dtype=bool)
    assert expect.any()  # small areas in the 200-respondent year
    got = ch["suppressed"].to_numpy()
    assert (got[expect]).all() and ch.loc[expect, "diff"].isna().all()
    assert set(ch.loc[expect, "suppression_reason"]) <= {"secondary", "not_asked"}


# --- The stage with files, the CLI and the appendix ----------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Project:
    (tmp_path / "config" / "surveys").mkdir(parents=True)
    for y in (2019, 2020, 2021):
        (tmp_path / "config" / "surveys" / f"{y}.yml").write_text(f"year: {y}\n")
    (tmp_path / "config" / "trygghet.yml").write_text(
        "municipality: Testkommun\nsynthetic_data: true\n", encoding="utf-8")
    (tmp_path / "data" / "reference").mkdir(parents=True)
    for y in (2019, 2020, 2021):
        population().to_csv(tmp_path / "data" / "reference" / f"population_{y}.csv",
                            index=False)
    write_parquet(canonical(year=2019, sampling="opt_in", seed=3),
                  tmp_path / "data" / "processed" / "2019" / "responses.parquet")
    write_parquet(canonical(year=2020, seed=4, n=700),
                  tmp_path / "data" / "processed" / "2020" / "responses.parquet")
    return Project(tmp_path)


def test_estimate_year_writes_everything(project: Project):
    lines: list[str] = []
    text = pipeline.estimate_year(project, 2020, echo=lines.append)
    out = project.processed(2020)
    for name in ("weights.parquet", "weighting.json", "estimates.parquet", "changes.parquet"):
        assert (out / name).exists(), name
    est = pd.read_parquet(out / "estimates.parquet")
    assert set(ESTIMATE_COLUMNS) <= set(est.columns)
    published = est[~est["suppressed"]]
    assert (published["n"] >= DEFAULT_SETTINGS["disclosure"]["min_n"]).all()
    assert est.loc[est["suppressed"], "estimate"].isna().all()
    assert est.loc[est["suppressed"], "n"].isna().all()
    ch = pd.read_parquet(out / "changes.parquet")
    assert set(ch["year_from"]) == {2019} and ch["series_break"].all()
    assert "2020: slumpmässigt urval" in text and "\n".join(lines) == text
    assert "seriebrott" in text
    xlsx = project.reports(2020) / "tabeller_2020.xlsx"
    first = xlsx.read_bytes()
    pipeline.estimate_year(project, 2020, echo=lambda s: None)
    assert xlsx.read_bytes() == first  # deterministic bytes
    wb = openpyxl.load_workbook(xlsx)
    assert wb.sheetnames[0] == "Om tabellerna" and "Trygghet" in wb.sheetnames
    ws = wb["Trygghet"]
    assert ws["F3"].value == "Antal svarande" and ws["G3"].value == "Andel (%)"
    assert isinstance(ws["G4"].value, float) and isinstance(ws["F4"].value, int)
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert any(t.startswith("Teckenförklaring") for t in texts)
    assert wb.properties.created.year == 2000
    diag = json.loads((out / "weighting.json").read_text(encoding="utf-8"))
    assert diag["sampling"] == "probability" and diag["weighting"]["converged"]


def test_opt_in_year_and_missing_years(project: Project):
    text = pipeline.estimate_year(project, 2019, echo=lambda s: None)
    assert "självselekterad" in text and "kunde inte kalibreras" in text
    est = pd.read_parquet(project.processed(2019) / "estimates.parquet")
    assert {"unweighted", "adjusted"} == set(est["estimate_type"])
    # 2021 has no cleaned data: clean runs first (here a stand-in), then estimation.
    calls = []

    def fake_clean(project, year, echo):
        calls.append(year)
        write_parquet(canonical(year=2021, seed=9), project.processed(2021) /
                      "responses.parquet")

    old = pipeline.clean_year
    pipeline.clean_year = fake_clean
    try:
        assert cli.main(["--root", str(project.root), "estimate", "--year", "2021"]) == 0
    finally:
        pipeline.clean_year = old
    assert calls == [2021]
    ch = pd.read_parquet(project.processed(2021) / "changes.parquet")
    assert set(ch["year_from"]) == {2019, 2020}  # 2020 estimated in memory for the comparison
    both = ch[ch["year_from"] == 2020]
    assert not both["series_break"].any() and both["significant"].notna().any()


def test_cli_reports_input_errors(project: Project, capsys):
    pop = population()
    pop.loc[pop["dimension"] == "area", "population"] *= 0.95  # an area missing, as it were
    pop.to_csv(project.reference / "population_2020.csv", index=False)
    assert cli.main(["--root", str(project.root), "estimate", "--year", "2020"]) == 2
    err = capsys.readouterr().err
    assert "population_2020.csv" in err and "kön × ålder 18\u00a0150" in err
    assert "område 17\u00a0242 (−5,0\u00a0%)" in err and "saknas ett område" in err
    assert "Traceback" not in err and err.count("fel:") == 1
    (project.reference / "population_2020.csv").write_text("", encoding="utf-8")
    assert cli.main(["--root", str(project.root), "estimate", "--year", "2020"]) == 2
    err = capsys.readouterr().err
    assert "population_2020.csv" in err and "tom" in err and "Traceback" not in err


def test_appendix_neutralises_and_marks_symbols(tmp_path: Path):
    est = protect(estimate_survey(canonical(n=300), population()).estimates)
    est = est.copy()
    est.loc[est.index[0], "group"] = "=HYPERLINK(\"x\")"
    path = write_appendix(est, tmp_path / "t.xlsx", title="=Test")
    wb = openpyxl.load_workbook(path)
    ws = wb["Trygghet"]
    assert ws["D4"].value.startswith("'=")
    assert wb["Om tabellerna"]["A1"].value == "'=Test"
    sup = est[est["suppressed"] & est["indicator"].isin(["otrygg_kvall", "otrygg_dag"])]
    values = [c.value for row in ws.iter_rows(min_row=4) for c in row[5:7]]
    assert (".." in values) == (len(sup) > 0)
    assert 0 not in [v for v in values if v == ".."]


# --- Significance ---------------------------------------------------------------------


def test_differ_at_the_configured_level():
    """|diff| > z·√(SE₁² + SE₂²) with the normal z of the level: 1,645 at 0,90, 1,960 at 0,95."""
    a, b = {"estimate": 0.30, "se": 0.02}, {"estimate": 0.25, "se": 0.015}
    se = math.hypot(0.02, 0.015)  # 0.025: the difference 0.05 is 2.0 SE
    assert differ(a, b) and differ(a, b, level=0.90) and not differ(a, b, level=0.99)
    near = {"estimate": 0.25 + 1.8 * se, "se": 0.02}  # between z(0,90) and z(0,95)
    assert differ(near, b, 0.90) and not differ(near, b, 0.95)
    assert normal_quantile(0.95) == Z and normal_quantile(0.90) == pytest.approx(1.6448536)
    assert not differ(a, {"estimate": 0.1, "se": np.nan})  # no SE (opt-in, suppressed)
    assert not differ(a, {"estimate": pd.NA, "se": pd.NA})
    assert not differ({"estimate": 1.0, "se": 0.0}, {"estimate": 0.0, "se": 0.0})
    with pytest.raises(TrygghetError, match="konfidensnivån"):
        differ(a, b, level=95)


# --- Reconciled population margins ------------------------------------------------------


def ckm_noise(pop: pd.DataFrame, seed: int = 0, persons: int = 3) -> pd.DataFrame:
    """SCB's Cell Key Method as it looks to us: every figure moved by a few persons."""
    rng = np.random.default_rng(seed)
    out = pop.copy()
    out["population"] = (out["population"].round()
                         + rng.integers(-persons, persons + 1, len(out))).astype(float)
    return out


def test_noisy_margins_are_reconciled_and_said():
    pop = ckm_noise(population())
    totals = pop.groupby("dimension")["population"].sum()
    assert totals["area"] != totals["sex:age_group"]
    res = estimate_survey(canonical(), pop)
    w = res.diagnostics["weighting"]
    rec = w["reconciliation"]
    assert rec["reconciled"] and rec["control"] == "sex:age_group"  # the most levels
    assert rec["totals"] == {"sex:age_group": totals["sex:age_group"], "area": totals["area"]}
    assert rec["factors"]["area"] == totals["sex:age_group"] / totals["area"]
    assert rec["factors"]["sex:age_group"] == 1.0
    assert "kön × ålder" in rec["text"] and "skalades de proportionellt" in rec["text"]
    assert rec["text"].count(".") == 1  # one sentence
    assert res.weights["weight"].sum() == pytest.approx(totals["sex:age_group"], rel=1e-12)
    # The same as raking on the area margin scaled by hand.
    by_hand = pop.copy()
    area = by_hand["dimension"] == "area"
    by_hand.loc[area, "population"] *= totals["sex:age_group"] / totals["area"]
    ref = estimate_survey(canonical(), by_hand)
    assert not ref.diagnostics["weighting"]["reconciliation"]["reconciled"]
    assert np.allclose(res.estimates["se"], ref.estimates["se"], rtol=1e-12, equal_nan=True)
    # Margins the weighting does not use are neither checked nor changed.
    odd = pop.copy()
    odd.loc[odd["dimension"] == "sex", "population"] *= 2
    assert estimate_survey(canonical(), odd).estimates.equals(res.estimates)


def test_margins_too_far_apart_name_the_likely_cause():
    def message(pop, settings=None) -> str:
        with pytest.raises(TrygghetError) as err:
            estimate_survey(canonical(), pop, settings)
        return err.value.message

    pop = population()
    fewer = pop.copy()
    fewer.loc[fewer["dimension"] == "area", "population"] *= 0.95
    text = message(fewer)
    assert "kön × ålder 18\u00a0150, område 17\u00a0242 (−5,0\u00a0%)" in text
    assert "saknas ett område" in text and "toleransen (91 personer)" in text
    later = pop.copy()
    later.loc[later["dimension"] == "area", "population"] *= 1.02
    assert "olika datum" in message(later)
    wider = pop.copy()
    wider.loc[wider["dimension"] == "area", "population"] *= 1.12
    assert "olika åldersintervall" in message(wider)
    # A wider tolerance in the settings lets 2 % through; the control total can be named.
    settings = {"weighting": {"reconcile": {"relative": 0.03, "control": "area"}}}
    rec = estimate_survey(canonical(), later, settings).diagnostics["weighting"][
        "reconciliation"]
    assert rec["control"] == "area" and rec["factors"]["sex:age_group"] == pytest.approx(1.02)
    settings = {"weighting": {"reconcile": {"relative": 0.03, "control": 18300}}}
    rec = estimate_survey(canonical(), later, settings).diagnostics["weighting"][
        "reconciliation"]
    assert rec["control_total"] == 18300
    assert rec["factors"]["area"] == pytest.approx(18300 / (18150 * 1.02), rel=1e-12)
    with pytest.raises(TrygghetError, match="okänd nyckel 'tolerans'"):
        estimate_survey(canonical(), later, {"weighting": {"reconcile": {"tolerans": 1}}})


# --- Stratified samples -----------------------------------------------------------------


def area_populations(pop: pd.DataFrame) -> dict[str, float]:
    rows = pop[pop["dimension"] == "area"]
    return dict(zip(rows["level"], rows["population"], strict=True))


def test_stratified_year_uses_strata_and_fpc():
    pop = population(scale=1.0)  # N ≈ 3 600 for 600 respondents: fractions of 10–40 %
    resp = canonical()
    plain = estimate_survey(resp, pop).estimates
    resp.attrs["strata"] = {"column": "area", "population": area_populations(pop)}
    res = estimate_survey(resp, pop)
    strata = Strata.from_column(resp["area"], population=area_populations(pop))
    design = rake(resp, pop, strata=strata).design
    values = respondent_values(resp)
    direct = estimate(values, design, by=group_columns(resp, DEFAULT_SETTINGS["estimation"]["by"]),
                      kind={c: INDICATORS[c].kind for c in values.columns})
    got = res.estimates.set_index(["indicator", "group_var", "group"])
    ref = direct.set_index(["variable", "group_var", "group"]).reindex(got.index)
    assert np.allclose(got["se"], ref["se"], rtol=1e-13, equal_nan=True)
    assert (got["df"].to_numpy() == ref["df"].to_numpy()).all()
    tot = got.loc[("otrygg_kvall", "total", "Totalt")]
    before = plain.set_index(["indicator", "group_var", "group"]).loc[
        ("otrygg_kvall", "total", "Totalt")]
    assert tot["estimate"] == pytest.approx(before["estimate"], rel=1e-9)  # same weights
    assert tot["se"] < 0.95 * before["se"]  # the finite population correction
    assert tot["df"] == len(resp) - len(AREAS)
    strata_diag = res.diagnostics["weighting"]["strata"]
    assert set(strata_diag) == set(AREAS)
    n_c = int((resp["area"] == "Centrum").sum())
    assert strata_diag["Centrum"]["respondents"] == n_c
    assert strata_diag["Centrum"]["fraction"] == pytest.approx(n_c / area_populations(pop)[
        "Centrum"])
    # The sampling fraction, read as R reads fpc ≤ 1, gives the same design.
    resp.attrs["strata"] = {"column": "area", "fraction": {
        a: int((resp["area"] == a).sum()) / n for a, n in area_populations(pop).items()}}
    again = estimate_survey(resp, pop).estimates
    assert np.allclose(again["se"], res.estimates["se"], rtol=1e-12, equal_nan=True)


def test_stratified_sample_from_the_mapping_to_weighting_json(tmp_path, monkeypatch):
    """design.strata in the sample's 2020 mapping: clean keeps it, estimate uses it."""
    import yaml
    from conftest import copy_sample

    root = copy_sample(tmp_path)
    monkeypatch.setenv("TRYGGHET_ROOT", str(root))
    path = root / "config" / "surveys" / "2020.yml"
    mapping = yaml.safe_load(path.read_text(encoding="utf-8"))
    pop = pd.read_csv(root / "data" / "reference" / "population_2020.csv")
    mapping["design"]["strata"] = {"column": "area", "population": {
        k: int(v) for k, v in area_populations(pop).items()}}
    path.write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")
    base = ["--root", str(root)]
    assert cli.main([*base, "clean", "--year", "2020"]) == 0
    assert cli.main([*base, "estimate", "--year", "2020"]) == 0
    diag = json.loads((root / "data" / "processed" / "2020" / "weighting.json").read_text(
        encoding="utf-8"))
    assert set(diag["weighting"]["strata"]) == set(area_populations(pop))
    est = pd.read_parquet(root / "data" / "processed" / "2020" / "estimates.parquet")
    tot = est[(est["indicator"] == "otrygg_kvall") & (est["group_var"] == "total")].iloc[0]
    assert tot["df"] == diag["respondents"] - 12


def test_strata_only_for_columns_the_survey_has():
    resp = canonical()
    resp.attrs["strata"] = {"column": "deso", "population": {"x": 100}}
    with pytest.raises(TrygghetError, match="stratumkolumnen 'deso'"):
        estimate_survey(resp, population())
    resp.attrs["strata"] = {"column": "area", "population": {"Centrum": 100}}
    with pytest.raises(TrygghetError, match="'Sylte' har .* svarande men ingen befolkning"):
        estimate_survey(resp, population())


# --- Response rates per stratum (design.strata.sent) --------------------------------------


def stratified(sent: dict[str, int]) -> pd.DataFrame:
    resp = canonical()
    resp.attrs["strata"] = {"column": "area", "population": area_populations(population(1.0)),
                            "sent": sent}
    return resp


def test_response_rate_per_stratum_is_usable_answers_over_sent():
    from trygghet.survey import response_rates

    sent = {"Centrum": 400, "Sylte": 300, "Lextorp": 500, "Sjuntorp": 1000}
    resp = stratified(sent)
    counts = resp["area"].value_counts()
    rates = response_rates(resp).set_index("group")
    assert rates.loc["Totalt", "n"] == 2200 and rates.loc["Totalt", "count"] == len(resp)
    for area, n_sent in sent.items():
        assert rates.loc[area, "group_var"] == "area"
        assert rates.loc[area, "count"] == counts[area]
        assert rates.loc[area, "estimate"] == counts[area] / n_sent
    # weighting.json keeps them for the report and the Excel appendix.
    diag = estimate_survey(resp, population(1.0)).diagnostics
    assert {r["group"]: r["count"] for r in diag["response"]} == rates["count"].to_dict()
    # Only a random sample with sent per stratum has them.
    assert response_rates(canonical()) is None
    resp.attrs["strata"] = {"column": "area", "fraction": 0.1}
    assert response_rates(resp) is None


def test_response_rate_per_stratum_errors():
    from trygghet.survey import response_rates

    resp = stratified({"Centrum": 400, "Sylte": 300, "Lextorp": 500, "Sjuntorp": 1000,
                       "Norr": 50})
    with pytest.raises(TrygghetError, match="nämner stratumet 'Norr'") as caught:
        response_rates(resp)
    assert "Centrum" in caught.value.hint
    resp = stratified({"Centrum": 400, "Sylte": 300, "Lextorp": 500})
    with pytest.raises(TrygghetError, match="'Sjuntorp' har .* svarande men inget antal"):
        response_rates(resp)
    resp = stratified({"Centrum": 400, "Sylte": 30, "Lextorp": 500, "Sjuntorp": 1000})
    with pytest.raises(TrygghetError, match="'Sylte' har .* användbara svar men bara 30") as e:
        response_rates(resp)
    assert e.value.column == "design.strata.sent.Sylte"


def test_an_area_without_answers_has_a_rate_of_zero():
    """An area of the mapping can be sent the survey and give no usable answer."""
    from trygghet.survey import response_rates

    resp = stratified({"Centrum": 400, "Sylte": 300, "Lextorp": 500, "Sjuntorp": 1000,
                       "Norr": 50})
    resp.attrs["areas"] = [*AREAS, "Norr"]
    rates = response_rates(resp).set_index("group")
    assert (rates.loc["Norr", "count"], rates.loc["Norr", "estimate"]) == (0, 0.0)
    assert rates.loc["Totalt", "n"] == 2250


# --- What may be a grouping: one rule for settings files and settings built in code -------

@pytest.mark.parametrize("name", ["respondent_id", "submitted", "comment", "age"])
def test_group_columns_refuses_what_the_settings_refuse(name):
    from trygghet.config import check_settings, load_settings

    resp = canonical()
    resp["comment"] = pd.array(["fritext"] * len(resp), dtype="string")
    resp["age"] = pd.array(range(len(resp)), dtype="Int64")
    with pytest.raises(TrygghetError) as in_code:
        group_columns(resp, ["sex", name])
    settings = {**load_settings(Project(Path("/nonexistent"))),
                "estimation": {**DEFAULT_SETTINGS["estimation"], "by": ["sex", name]}}
    with pytest.raises(TrygghetError) as in_file:
        check_settings(settings)
    assert in_code.value.message == in_file.value.message
    assert in_code.value.column == "estimation.by"
    with pytest.raises(TrygghetError, match=f"kan inte redovisa efter '{name}'"):
        estimate_survey(resp, population(), {"estimation": {"by": [name]}})
