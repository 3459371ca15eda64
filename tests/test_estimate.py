"""Estimates: hand-derived cases that always run, R's survey package as reference when present.

The R comparison writes small frames to a temporary folder and runs
``tests/r/reference.R`` once for all cases (``svydesign`` + ``rake`` with
``epsilon = 1e-12``, ``svymean``, ``svyciprop`` logit and beta, ``confint``
with ``df = degf``). It is skipped when ``Rscript`` or the survey package is
missing.
"""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from trygghet import cli, pipeline
from trygghet.config import DEFAULT_SETTINGS, Project
from trygghet.errors import TrygghetError
from trygghet.estimate import (
    effective_n,
    estimate,
    korn_graubard_interval,
    logit_interval,
    t_quantile,
    wilson_interval,
)
from trygghet.indicators import INDICATORS
from trygghet.schema import OTHER_AREA, canonical_columns
from trygghet.suppress import Rules, protect
from trygghet.survey import CHANGE_COLUMNS, ESTIMATE_COLUMNS, changes, estimate_survey
from trygghet.weights import WeightedDesign, rake
from trygghet.writers import write_appendix, write_parquet

R_SCRIPT = Path(__file__).parent / "r" / "reference.R"
Z = 1.959963984540054
SEXES = ["Kvinna", "Man"]
AGES = ["16–24", "25–44", "45–64", "65–79", "80+"]
AREAS = ["Centrum", "Sylte", "Lextorp", "Sjuntorp"]


# --- Synthetic canonical frames ------------------------------------------------


def canonical(n: int = 600, seed: int = 0, year: int = 2020, sampling: str = "probability",
              not_asked: tuple[str, ...] = (), shift: float = 0.0) -> pd.DataFrame:
    """A typed canonical frame (schema.canonical_columns) with random answers."""
    rng = np.random.default_rng(seed)
    cols = {}
    for c in canonical_columns(AREAS):
        if c.name == "respondent_id":
            cols[c.name] = pd.array([f"{year}-{i:05d}" for i in range(n)], dtype="string")
        elif c.name == "year":
            cols[c.name] = pd.array([year] * n, dtype="Int64")
        elif c.name == "submitted":
            cols[c.name] = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
        elif isinstance(c.dtype, pd.CategoricalDtype):
            cats = [x for x in c.dtype.categories if x != OTHER_AREA]
            p = None
            if c.name == "sex":
                p = [0.55, 0.45]
            if c.name in ("safe_evening", "safe_day"):
                p = np.array([0.3 - shift, 0.35, 0.15 + shift, 0.08, 0.05, 0.07])
            codes = rng.choice(len(cats), n, p=p)
            s = pd.Series(pd.Categorical.from_codes(codes, categories=cats)).astype(c.dtype)
            if c.name not in ("sex", "age_group", "area"):
                s = s.mask(rng.random(n) < 0.05)
            cols[c.name] = s
        elif isinstance(c.dtype, pd.BooleanDtype):
            share = 0.8 if c.name == "relation_bor" else 0.3
            cols[c.name] = pd.array(rng.random(n) < share, dtype="boolean")
        else:
            cols[c.name] = pd.array([None] * n, dtype="string")
    df = pd.DataFrame(cols)
    for q in not_asked:
        for col in [c.name for c in canonical_columns(AREAS) if c.question == q]:
            df[col] = df[col].mask(np.ones(n, dtype=bool))
    df.attrs = {"year": year, "sampling": sampling, "not_asked": list(not_asked),
                "areas": AREAS, "title": f"Testmätning {year}",
                "sent": 2000 if sampling == "probability" else None}
    return df


def population(scale: float = 10.0) -> pd.DataFrame:
    cross = {f"{s}:{a}": (100 + 37 * i + (15 if s == "Man" else 0)) * scale
             for i, a in enumerate(AGES) for s in SEXES}
    total = sum(cross.values())
    share = np.array([4.0, 3.0, 2.0, 1.0])
    area = dict(zip(AREAS, total * share / share.sum(), strict=True))
    rows = ([("sex:age_group", k, v) for k, v in cross.items()]
            + [("area", k, v) for k, v in area.items()]
            + [("sex", s, sum(v for k, v in cross.items() if k.startswith(s))) for s in SEXES])
    return pd.DataFrame(rows, columns=["dimension", "level", "population"])


# --- Hand-computed cases (always run) -------------------------------------------


def test_weighted_share_and_mean_by_hand():
    values = pd.DataFrame({"y": [1, 0, 1, np.nan, 0], "m": [2.0, 4.0, 6.0, 0.0, np.nan]})
    w = [1.0, 2.0, 3.0, 4.0, 5.0]
    by = pd.Series(["a", "a", "b", "b", "b"], name="g")
    out = estimate(values, weights=w, by=by, kind={"y": "share", "m": "mean"})
    row = out.set_index(["variable", "group"])
    assert row.loc[("y", "Totalt"), "estimate"] == pytest.approx((1 + 3) / (1 + 2 + 3 + 5))
    assert row.loc[("y", "Totalt"), "n"] == 4
    assert row.loc[("y", "a"), "estimate"] == pytest.approx(1 / 3)
    assert row.loc[("y", "b"), "estimate"] == pytest.approx(3 / 8)
    assert row.loc[("m", "Totalt"), "estimate"] == pytest.approx((2 + 8 + 18 + 0) / 10)
    assert row.loc[("m", "b"), "estimate"] == pytest.approx(18 / 7)
    # Rows with a missing answer stay in the domain's degrees of freedom (R's degf).
    assert row.loc[("y", "b"), "df"] == 2 and row.loc[("y", "b"), "n"] == 2
    assert list(out.columns[:4]) == ["variable", "kind", "group_var", "group"]


def test_linearised_variance_by_its_definition():
    """Row by row: x_i = w_i (y_i − ȳ_d)/W_d in the domain, 0 elsewhere; n/(n−1) Σ (x − x̄)²."""
    rng = np.random.default_rng(4)
    n = 50
    y = rng.integers(0, 2, n).astype(float)
    y[rng.random(n) < 0.2] = np.nan
    w = rng.uniform(1, 9, n)
    g = rng.choice(["a", "b", "c"], n)
    out = estimate(pd.DataFrame({"y": y}), weights=w, by=pd.Series(g, name="g"))
    for level in ("Totalt", "a", "b", "c"):
        dom = np.ones(n, bool) if level == "Totalt" else g == level
        ok = dom & ~np.isnan(y)
        ybar = np.sum(w[ok] * y[ok]) / np.sum(w[ok])
        x = np.zeros(n)
        x[ok] = w[ok] * (y[ok] - ybar) / np.sum(w[ok])
        var = n / (n - 1) * np.sum((x - x.mean()) ** 2)
        got = out[out["group"] == level].iloc[0]
        assert got["estimate"] == pytest.approx(ybar, rel=1e-13)
        assert got["se"] == pytest.approx(math.sqrt(var), rel=1e-11)


def test_post_stratified_mean_closed_form():
    """One margin: V = n/(n−1) Σ_h W_h² (n_h − 1) s_h² / n_h², W_h = N_h/N."""
    rng = np.random.default_rng(7)
    n = 90
    strata = pd.Categorical(rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2]))
    y = rng.normal(3, 1, n)
    pop = pd.DataFrame({"dimension": "h", "level": ["a", "b", "c"],
                        "population": [1000.0, 3000.0, 6000.0]})
    r = rake(pd.DataFrame({"h": strata}), pop, ["h"])
    got = estimate(pd.DataFrame({"y": y}), r.design, kind="mean").iloc[0]
    big_n, v, mean = 10000.0, 0.0, 0.0
    for h, n_pop in zip("abc", (1000.0, 3000.0, 6000.0), strict=True):
        yh = y[np.asarray(strata) == h]
        wh = n_pop / big_n
        mean += wh * yh.mean()
        v += wh ** 2 * (len(yh) - 1) * yh.var(ddof=1) / len(yh) ** 2
    v *= n / (n - 1)
    assert got["estimate"] == pytest.approx(mean, rel=1e-13)
    assert got["se"] == pytest.approx(math.sqrt(v), rel=1e-10)
    q = t_quantile(n - 1)
    assert got["ci_low"] == pytest.approx(mean - q * math.sqrt(v), rel=1e-12)


def test_srs_share_variance():
    """Equal weights, whole sample: V = n/(n−1) Σ((y − p)/n)² = p(1 − p)/(n − 1)."""
    y = np.array([1.0] * 30 + [0.0] * 70)
    got = estimate(pd.Series(y, name="y"), weights=np.full(100, 50.0)).iloc[0]
    assert got["estimate"] == pytest.approx(0.3)
    assert got["se"] == pytest.approx(math.sqrt(0.3 * 0.7 / 99), rel=1e-12)


def test_unweighted_figures_of_the_respondents():
    y = np.array([1.0] * 30 + [0.0] * 70 + [np.nan] * 5)
    m = np.r_[np.arange(100) % 7, [np.nan] * 5].astype(float)
    got = estimate(pd.DataFrame({"y": y, "m": m}), kind={"y": "share", "m": "mean"})
    share, mean = got.iloc[0], got.iloc[1]
    assert share["n"] == 100 and share["se"] == pytest.approx(math.sqrt(0.3 * 0.7 / 100))
    assert share["df"] == 99
    low, high = wilson_interval(0.3, 100, t_quantile(99))
    assert (share["ci_low"], share["ci_high"]) == pytest.approx((low, high))
    vals = m[:100]
    assert mean["se"] == pytest.approx(vals.std(ddof=1) / 10)
    assert mean["ci_method"] == "t" and share["ci_method"] == "wilson"


def test_wilson_textbook_values():
    """Newcombe (1998), Stat Med 17:857, Table II (score method, z = 1.96)."""
    cases = {(81, 263): (0.2553, 0.3662), (15, 148): (0.0624, 0.1605),
             (0, 20): (0.0, 0.1611), (1, 29): (0.0061, 0.1718)}
    for (x, n), expected in cases.items():
        low, high = wilson_interval(x / n, n, Z)
        assert (round(float(low), 4), round(float(high), 4)) == expected


def test_wilson_on_effective_n():
    assert effective_n(0.2, 0.0016, 500) == pytest.approx(100)  # 0.16 / 0.0016
    assert effective_n(0.2, 0.0001, 500) == 500  # capped at the domain's n
    assert effective_n(0.0, 0.0, 80) == 80 and effective_n(1.0, 0.0, 80) == 80
    low, high = wilson_interval(0.0, effective_n(0.0, 0.0, 80), Z)
    assert low == 0 and high == pytest.approx(Z ** 2 / (80 + Z ** 2))  # no collapse at p = 0


def test_logit_interval_by_hand():
    p, se, q = 0.2, 0.03, 1.97
    half = q * se / (p * (1 - p))
    expect = [1 / (1 + math.exp(-(math.log(p / (1 - p)) + s * half))) for s in (-1, 1)]
    assert logit_interval(p, se, q) == pytest.approx(tuple(expect), rel=1e-14)
    assert logit_interval(0.0, 0.0, q) == (0.0, 0.0)  # collapses (R: ≈1e-12)
    assert logit_interval(1.0, 0.0, q) == (1.0, 1.0)


def test_korn_graubard_known_beta_quantiles():
    """B⁻¹(q; 1, b) = 1 − (1−q)^(1/b) and B⁻¹(q; a, 1) = q^(1/a); equal to Clopper–Pearson
    when the variance is binomial and N = df + 1."""
    n = 20
    p = 1 / n  # n_eff·p = 1: the lower bound has the closed form
    low, _ = korn_graubard_interval(p, p * (1 - p) / n, n, n - 1, n)
    assert low == pytest.approx(1 - 0.975 ** (1 / 20), rel=1e-12)
    p = 19 / 20  # n_eff·(1−p) = 1: the upper bound has it
    _, high = korn_graubard_interval(p, p * (1 - p) / n, n, n - 1, n)
    assert high == pytest.approx(0.975 ** (1 / 20), rel=1e-12)
    low, high = korn_graubard_interval(0.0, 0.0, n, n - 1, n)  # R: NaN; we: Clopper–Pearson
    assert low == 0 and high == pytest.approx(1 - 0.025 ** (1 / 20), rel=1e-12)
    # The t-ratio factor: with N rows ≫ df the effective size shrinks.
    wide = korn_graubard_interval(0.3, 0.001, 210, 30, 2000)
    narrow = korn_graubard_interval(0.3, 0.001, 210, 1999, 2000)
    assert wide[1] - wide[0] > narrow[1] - narrow[0]


def test_overlapping_groups_and_any_column():
    values = pd.DataFrame({"y": [1, 0, 1, 1, 0, 0.0]})
    rel = pd.DataFrame({"bor": [True, True, False, True, False, pd.NA],
                        "arbetar": [False, True, True, False, False, False]})
    rel = rel.astype("boolean")
    trust = pd.Series(["hög", "låg", "hög", "hög", None, "låg"], name="trust")
    out = estimate(values, by={"relation": rel, "trust": trust}, total=False)
    got = out.set_index(["group_var", "group"])["estimate"]
    assert got[("relation", "bor")] == pytest.approx(2 / 3)
    assert got[("relation", "arbetar")] == pytest.approx(1 / 2)
    assert got[("trust", "hög")] == 1 and got[("trust", "låg")] == 0
    assert "Totalt" not in out["group"].tolist()


def test_kind_inference_and_bad_input():
    out = estimate(pd.DataFrame({"s": [0, 1, 1.0], "m": [0, 2.5, 6.0]}))
    assert out.set_index("variable")["kind"].to_dict() == {"s": "share", "m": "mean"}
    with pytest.raises(TrygghetError, match="KI-metod"):
        estimate(pd.DataFrame({"s": [0, 1.0]}), ci_method="exakt")


def test_empty_and_single_respondent_domains():
    values = pd.DataFrame({"y": [1.0, 0.0, 1.0, np.nan]})
    by = pd.Series(pd.Categorical(["a", "a", "b", "c"], ["a", "b", "c", "d"]), name="g")
    out = estimate(values, weights=[1, 1, 1, 1], by=by).set_index("group")
    assert "d" not in out.index  # no rows in the group: no row
    assert out.loc["c", "n"] == 0 and np.isnan(out.loc["c", "estimate"])
    assert out.loc["b", "n"] == 1 and np.isnan(out.loc["b", "ci_low"])  # df = 0: no interval


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
    import json
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
    (project.reference / "population_2020.csv").write_text(
        "dimension,level,population\narea,Centrum,10\nsex,Kvinna,11\n", encoding="utf-8")
    assert cli.main(["--root", str(project.root), "estimate", "--year", "2020"]) == 2
    err = capsys.readouterr().err
    assert "population_2020.csv" in err and "samma total" in err


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


# --- R's survey package as the reference --------------------------------------------


def _r_case(root: Path, name: str, df: pd.DataFrame, values: pd.DataFrame, margins: list[str],
            pop: pd.DataFrame, w0=None) -> Path:
    d = root / name
    d.mkdir()
    data = pd.DataFrame({"id": np.arange(len(df))})
    if w0 is not None:
        data["w0"] = w0
    data["sexage"] = (df["sex"].astype(str) + ":" + df["age_group"].astype(str)).to_numpy()
    data["area"] = df["area"].astype(str).to_numpy()
    data["sex"] = df["sex"].astype(str).to_numpy()
    data["relation"] = np.where(df["relation_bor"].fillna(False).to_numpy(bool), "bor", None)
    for c in values.columns:
        data[c] = values[c].to_numpy()
    data.to_csv(d / "data.csv", index=False)
    col = {"sex:age_group": "sexage", "area": "area"}
    for m in ("sex:age_group", "area"):
        p = pop[pop["dimension"] == m]
        pd.DataFrame({"level": p["level"], "Freq": p["population"]}).to_csv(
            d / f"pop_{col[m]}.csv", index=False)
    spec = {"margins": ";".join(col[m] for m in margins), "shares": "y1;y2", "means": "m",
            "by": "sex;area;relation", "epsilon": "1e-12", "maxit": "1000", "level": "0.95"}
    pd.DataFrame({"key": list(spec), "value": list(spec.values())}).to_csv(d / "spec.csv",
                                                                            index=False)
    return d


@pytest.fixture(scope="module")
def r_reference(tmp_path_factory):
    """Our figures and R's for three designs and an empty cell, from one Rscript run."""
    if shutil.which("Rscript") is None:
        pytest.skip("Rscript saknas")
    root = tmp_path_factory.mktemp("r")
    rng = np.random.default_rng(11)
    n = 400
    df = canonical(n=n, seed=11)
    # A tiny area (3 respondents) and a rare outcome with p = 0 in some groups.
    df.loc[:2, "area"] = "Sjuntorp"
    rest = df.loc[3:, "area"]
    df.loc[3:, "area"] = rest.where(rest != "Sjuntorp", "Lextorp")
    y1 = (rng.random(n) < np.where(df["sex"] == "Kvinna", 0.35, 0.2)).astype(float)
    y1[rng.random(n) < 0.1] = np.nan
    y2 = (rng.random(n) < 0.02).astype(float)
    y2[:3] = 0.0
    m = np.round(rng.uniform(0, 6, n), 3)
    m[rng.random(n) < 0.2] = np.nan
    values = pd.DataFrame({"y1": y1, "y2": y2, "m": m})
    pop = population()
    w0 = rng.uniform(20, 200, n)
    margins = ["sex:age_group", "area"]
    designs = {"raked": rake(df, pop, margins).design,
               "raked_base": rake(df, pop, margins, base_weights=w0).design,
               "uncalibrated": WeightedDesign.weighted(w0)}
    dirs = {"raked": _r_case(root, "raked", df, values, margins, pop),
            "raked_base": _r_case(root, "raked_base", df, values, margins, pop, w0),
            "uncalibrated": _r_case(root, "uncalibrated", df, values, [], pop, w0)}
    empty = df[~((df["sex"] == "Man") & (df["age_group"] == "80+"))].reset_index(drop=True)
    dirs["empty"] = _r_case(root, "empty", empty, values.iloc[: len(empty)], margins, pop)
    run = subprocess.run(["Rscript", str(R_SCRIPT), *map(str, dirs.values())],
                         capture_output=True, text=True)
    if run.returncode != 0:
        if "survey" in run.stderr and "no package" in run.stderr:
            pytest.skip("R-paketet survey saknas")
        raise AssertionError(run.stderr)
    by = {"sex": df["sex"], "area": df["area"],
          "relation": pd.DataFrame({"bor": df["relation_bor"]})}
    kinds = {"y1": "share", "y2": "share", "m": "mean"}
    ours = {name: {meth: estimate(values, des, by=by, kind=kinds, ci_method=meth)
                   for meth in ("logit", "beta", "wilson")} for name, des in designs.items()}
    return {"dirs": dirs, "designs": designs, "ours": ours, "empty": empty, "pop": pop}


@pytest.mark.parametrize("name", ["raked", "raked_base", "uncalibrated"])
def test_weights_and_estimates_equal_r(r_reference, name):
    d = r_reference["dirs"][name]
    rw = pd.read_csv(d / "weights.csv")
    assert np.max(np.abs(rw["weight"].to_numpy() - r_reference["designs"][name].weights)) < 1e-9
    re = pd.read_csv(d / "estimates.csv", keep_default_na=False, na_values=["NA"])
    re["group"] = re["group"].astype(str)
    ours = r_reference["ours"][name]
    m = ours["logit"].merge(re, on=["variable", "group_var", "group"], suffixes=("", "_r"))
    assert len(m) == len(re) == len(ours["logit"]) - 0
    assert np.max(np.abs(m["estimate"] - m["estimate_r"])) < 1e-12
    assert np.max(np.abs(m["se"] - m["se_r"])) < 1e-9
    assert (m["df"].astype(int) == m["df_r"]).all()
    sh, mn = m[m["kind"] == "share"], m[m["kind"] == "mean"]
    inner = sh[(sh["estimate"] > 0) & (sh["estimate"] < 1)]
    # logit: R's point is an IRLS fit (converged to ~1e-10), ours the exact mean.
    assert np.max(np.abs(inner["ci_low"] - inner["logit_low"])) < 1e-8
    assert np.max(np.abs(inner["ci_high"] - inner["logit_high"])) < 1e-8
    # At p = 0 R's IRLS diverges (its interval is arbitrary); ours collapses to [0, 0].
    assert (sh.loc[sh["estimate"] == 0, ["ci_low", "ci_high"]] == 0).all().all()
    assert np.max(np.abs(mn["ci_low"] - mn["t_low"])) < 1e-9
    assert np.max(np.abs(mn["ci_high"] - mn["t_high"])) < 1e-9
    b = ours["beta"].merge(re, on=["variable", "group_var", "group"], suffixes=("", "_r"))
    b = b[(b["kind"] == "share") & b["beta_low"].notna()]
    assert len(b) > 0
    assert np.max(np.abs(b["ci_low"] - b["beta_low"])) < 1e-9
    assert np.max(np.abs(b["ci_high"] - b["beta_high"])) < 1e-9
    # The tiny area and the p = 0 groups are in the comparison.
    assert (m["group"] == "Sjuntorp").any() and (sh["estimate"] == 0).any()


def test_wilson_uses_the_r_standard_error(r_reference):
    """The default interval: Wilson on n* = p(1−p)/SE² from the same SE R computes."""
    d = r_reference["dirs"]["raked"]
    re = pd.read_csv(d / "estimates.csv", keep_default_na=False, na_values=["NA"])
    re["group"] = re["group"].astype(str)
    w = r_reference["ours"]["raked"]["wilson"].merge(re, on=["variable", "group_var", "group"])
    w = w[w["kind"] == "share"]
    n_star = effective_n(w["estimate_y"], w["se_y"] ** 2, w["n"].astype(float))
    low, high = wilson_interval(w["estimate_y"], n_star, t_quantile(w["df_y"]))
    assert np.max(np.abs(w["ci_low"] - low)) < 1e-9 and np.max(np.abs(w["ci_high"] - high)) < 1e-9
    zero = w[w["estimate_x"] == 0]
    assert (zero["ci_high"] > 0).all()  # where logit collapses, Wilson does not


def test_empty_cell_errors_in_r_and_here(r_reference):
    err = r_reference["dirs"]["empty"] / "error.txt"
    assert err.exists() and "absent from sample" in err.read_text()
    with pytest.raises(TrygghetError, match="Man:80\\+"):
        rake(r_reference["empty"], r_reference["pop"])


def test_rules_come_from_settings():
    assert Rules.from_settings(DEFAULT_SETTINGS) == Rules(5, 30)
