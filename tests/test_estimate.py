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
import pandas as pd
import pytest

from trygghet.config import DEFAULT_SETTINGS
from trygghet.errors import TrygghetError
from trygghet.estimate import (
    effective_n,
    estimate,
    korn_graubard_interval,
    logit_interval,
    t_quantile,
    wilson_interval,
)
from trygghet.schema import OTHER_AREA, canonical_columns
from trygghet.suppress import Rules
from trygghet.weights import Strata, WeightedDesign, rake

R_SCRIPT = Path(__file__).parent / "r" / "reference.R"
API_DIR = Path(__file__).parent / "r" / "apistrat"
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


def test_one_answer_has_standard_error_zero():
    """R centres each answer on the mean before summing: one answer, x = 0, SE exactly 0.

    The expanded sums Σw²y² − 2ȳΣw²y + ȳ²Σw² used to leave about 1e-8 × ȳ of
    rounding noise there (for 5.123456789 in the raked design: 8e-8).
    """
    df = canonical(n=400, seed=11)
    df.loc[:2, "area"] = "Sjuntorp"
    rest = df.loc[3:, "area"]
    df.loc[3:, "area"] = rest.where(rest != "Sjuntorp", "Lextorp")
    pop = population()
    strata = area_strata(df, pop)
    rng = np.random.default_rng(5)
    designs = [rake(df, pop).design, rake(df, pop, strata=strata).design,
               WeightedDesign.weighted(rng.uniform(1, 9, len(df))),
               WeightedDesign.weighted(strata.base_weights(), strata)]
    m = np.round(rng.uniform(0, 6, len(df)), 3)
    m[1:3] = np.nan
    for value in [5.123456789, *rng.uniform(0, 6, 20)]:
        m[0] = value
        for design in designs:
            out = estimate(pd.DataFrame({"m": m}), design, by={"area": df["area"]}, kind="mean")
            one = out[out["group"] == "Sjuntorp"].iloc[0]
            assert one["n"] == 1 and one["estimate"] == pytest.approx(value, rel=1e-14)
            assert one["se"] == 0, (value, one["se"])
    # Equal answers in a larger domain likewise; unequal ones keep their variance.
    out = estimate(pd.DataFrame({"m": [4.1, 4.1, 4.1, 2.0, 3.0]}), weights=[1, 2, 3, 1, 1],
                   by=pd.Series(list("aaabb"), name="g"), kind="mean").set_index("group")
    assert out.loc["a", "se"] == 0 and out.loc["b", "se"] > 0


def test_domain_of_zero_weights_has_no_estimate_and_df_zero():
    """R's degf() of a domain whose rows all have weight 0 is 0 (no rows, no strata), not −1."""
    values = pd.DataFrame({"m": [2.3, 1.1, 4.7, 0.1, 5.0]})
    out = estimate(values, weights=[0, 0, 1, 1, 1.0], by=pd.Series(list("aabbb"), name="g"),
                   kind="mean").set_index("group")
    assert out.loc["a", "df"] == 0 and out.loc["b", "df"] == 2 and out.loc["Totalt", "df"] == 2
    assert np.isnan(out.loc["a", "estimate"]) and np.isnan(out.loc["a", "se"])
    assert np.isnan(out.loc["a", "ci_low"])


# --- Stratified designs ------------------------------------------------------------


def test_stratified_mean_closed_form():
    """``V = Σ_h (N_h/N)² (1 − n_h/N_h) s_h²/n_h`` (Cochran 5.6); ``df = n − H``."""
    rng = np.random.default_rng(2)
    sizes, pops = {"a": 12, "b": 30, "c": 8}, {"a": 40.0, "b": 900.0, "c": 10.0}
    strata_col = pd.Series(np.repeat(list(sizes), list(sizes.values())), name="s")
    y = rng.normal(5, 2, len(strata_col))
    strata = Strata.from_column(strata_col, population=pops)
    got = estimate(pd.DataFrame({"y": y}), WeightedDesign.weighted(strata.base_weights(),
                                                                    strata), kind="mean").iloc[0]
    big_n = sum(pops.values())
    mean = sum(pops[h] / big_n * y[strata_col == h].mean() for h in sizes)
    var = sum((pops[h] / big_n) ** 2 * (1 - sizes[h] / pops[h])
              * y[strata_col == h].var(ddof=1) / sizes[h] for h in sizes)
    assert got["estimate"] == pytest.approx(mean, rel=1e-13)
    assert got["se"] == pytest.approx(math.sqrt(var), rel=1e-11)
    assert got["df"] == len(y) - 3
    # A sampling fraction f_h is read as R reads fpc ≤ 1: N_h = n_h / f_h.
    fractions = {h: sizes[h] / pops[h] for h in sizes}
    by_fraction = Strata.from_column(strata_col, fraction=fractions)
    assert np.allclose(by_fraction.population, strata.population, rtol=1e-14)
    # A census of one stratum (n_h = N_h) adds nothing; without fpc, one stratum is the
    # unstratified design exactly.
    full = Strata.from_column(strata_col, population={**pops, "c": 8.0})
    cut = estimate(pd.DataFrame({"y": y}), WeightedDesign.weighted(full.base_weights(), full),
                   kind="mean").iloc[0]
    big_n = full.population.sum()
    var_c = sum((full.population[i] / big_n) ** 2 * (1 - sizes[h] / full.population[i])
                * y[strata_col == h].var(ddof=1) / sizes[h] for i, h in enumerate(sizes))
    assert cut["se"] == pytest.approx(math.sqrt(var_c), rel=1e-11)
    w = rng.uniform(1, 5, len(y))
    one = Strata.from_column(pd.Series(["x"] * len(y)))
    a = estimate(pd.DataFrame({"y": y}), WeightedDesign.weighted(w, one), kind="mean").iloc[0]
    b = estimate(pd.DataFrame({"y": y}), weights=w, kind="mean").iloc[0]
    assert a["se"] == pytest.approx(b["se"], rel=1e-12) and a["df"] == b["df"]


def test_domains_in_blocks_give_the_same_figures(monkeypatch):
    """Thousands of areas are estimated a block of domains at a time; blocks of one or two
    domains must give what one block gives, stratified or not."""
    import trygghet.estimate as engine

    df, pop = canonical(n=500, seed=3), population()
    strata = area_strata(df, pop)
    values = pd.DataFrame({"y": np.random.default_rng(1).integers(0, 2, len(df)) * 1.0,
                           "m": np.random.default_rng(2).uniform(0, 6, len(df))})
    by = {"area": df["area"], "age_group": df["age_group"]}
    for design in (rake(df, pop).design, rake(df, pop, strata=strata).design):
        whole = estimate(values, design, by=by)
        monkeypatch.setattr(engine, "_LEVEL_SPACE_FLOATS", 30.0)
        blocks = estimate(values, design, by=by)
        monkeypatch.undo()
        assert np.allclose(blocks["se"], whole["se"], rtol=1e-12, atol=0)
        assert blocks["estimate"].equals(whole["estimate"])


def test_strata_refusals():
    col = pd.Series(["a", "a", "b", "b", "c"], name="område")
    with pytest.raises(TrygghetError, match="stratumet 'c' har bara en svarande"):
        s = Strata.from_column(col, population={"a": 10, "b": 10, "c": 10})
        WeightedDesign.weighted(s.base_weights(), s)
    with pytest.raises(TrygghetError, match="befolkning på bara 1"):
        s = Strata.from_column(col, population={"a": 1, "b": 10, "c": 10})
        WeightedDesign.weighted(np.ones(5), s)
    with pytest.raises(TrygghetError, match="'c' har 1 svarande men ingen befolkning"):
        Strata.from_column(col, population={"a": 10, "b": 10})
    with pytest.raises(TrygghetError, match="'d'"):
        Strata.from_column(col, population={"a": 10, "b": 10, "c": 10, "d": 4})
    with pytest.raises(TrygghetError, match="saknar stratum"):
        Strata.from_column(pd.Series(["a", None, "b"], name="område"), fraction=0.1)
    with pytest.raises(TrygghetError, match=r"\(0, 1\]"):
        Strata.from_column(col, fraction=1.5)
    # A census stratum of one respondent is no lonely stratum: it adds nothing.
    s = Strata.from_column(col, population={"a": 10, "b": 10, "c": 1})
    assert WeightedDesign.weighted(s.base_weights(), s).fpc_scale[2] == 0


def run_reference(dirs: list[Path]) -> None:
    """``Rscript tests/r/reference.R`` on the folders; the test is skipped without R."""
    if shutil.which("Rscript") is None:
        pytest.skip("Rscript saknas")
    run = subprocess.run(["Rscript", str(R_SCRIPT), *map(str, dirs)], capture_output=True,
                         text=True)
    if run.returncode != 0:
        if "survey" in run.stderr and "no package" in run.stderr:
            pytest.skip("R-paketet survey saknas")
        raise AssertionError(run.stderr)


def _apistrat() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, Strata]:
    """R's apistrat (tests/r/apistrat/, from tests/r/apistrat.R): data, frame, margins, strata."""
    data = pd.read_csv(API_DIR / "data.csv")
    frame = pd.DataFrame({c: data[c].astype(str).astype("category")
                          for c in ("stype", "sch.wide", "comp.imp", "cname")})
    pop = pd.read_csv(API_DIR / "population.csv")
    strata = Strata.from_column(frame["stype"],
                                population=data.groupby("stype")["fpc"].first().to_dict())
    return data, frame, pop, strata


def _apistrat_ours(name: str) -> tuple[pd.DataFrame, WeightedDesign]:
    data, frame, pop, strata = _apistrat()
    design = (WeightedDesign.weighted(strata.base_weights(), strata) if name == "strat"
              else rake(frame, pop, ["sch.wide", "comp.imp"], strata=strata).design)
    kinds = {"awards": "share", "api00": "mean", "api99_gaps": "mean"}
    out = {m: estimate(data[list(kinds)], design, by={"stype": frame["stype"],
                                                      "cname": frame["cname"]},
                       kind=kinds, ci_method=m) for m in ("logit", "beta")}
    return out, design


def _compare_with_r(ours: dict[str, pd.DataFrame], re: pd.DataFrame) -> pd.DataFrame:
    re = re.assign(group=re["group"].astype(str))
    m = ours["logit"].merge(re, on=["variable", "group_var", "group"], suffixes=("", "_r"))
    # R skips a domain without answers (api99_gaps in a one-school county); we give NaN.
    assert len(m) == len(re) and ours["logit"].loc[~ours["logit"].set_index(
        ["variable", "group_var", "group"]).index.isin(m.set_index(
            ["variable", "group_var", "group"]).index), "n"].eq(0).all()
    # Raked weights agree to R's convergence (epsilon 1e-12 of the total), about 1e-11.
    scale = np.maximum(1.0, np.abs(m["estimate_r"]))
    assert np.max(np.abs(m["estimate"] - m["estimate_r"]) / scale) < 1e-10
    assert np.max(np.abs(m["se"] - m["se_r"])) < 1e-9
    assert (m["df"].astype(int) == m["df_r"]).all()
    mn = m[m["kind"] == "mean"]
    assert np.max(np.abs(mn["ci_low"] - mn["t_low"]) / np.abs(mn["t_low"])) < 1e-10
    b = ours["beta"].merge(re, on=["variable", "group_var", "group"], suffixes=("", "_r"))
    b = b[b["beta_low"].notna()]
    assert len(b) > 10 and np.max(np.abs(b["ci_low"] - b["beta_low"])) < 1e-9
    assert np.max(np.abs(b["ci_high"] - b["beta_high"])) < 1e-9
    one = m[m["n"] == 1]  # a one-school county: no variance (R: 0, or 1e-13 of rounding)
    assert len(one) > 5 and (one["se"] == 0).all() and (one["se_r"] < 1e-12).all()
    return m


@pytest.mark.parametrize("name", ["strat", "strat_raked"])
def test_apistrat_equals_r_figures_in_the_fixture(name):
    """R's figures for its own stratified example, committed: runs without R."""
    ours, design = _apistrat_ours(name)
    re = pd.read_csv(API_DIR / f"{name}_estimates.csv", keep_default_na=False,
                     na_values=["NA"])
    m = _compare_with_r(ours, re)
    if name == "strat":  # svymean(~api00, dstrat): 662.29, SE 9.4089 (survey's manual)
        tot = m[(m["variable"] == "api00") & (m["group_var"] == "total")].iloc[0]
        assert (round(tot["estimate"], 2), round(tot["se"], 4)) == (662.29, 9.4089)
    else:
        rw = pd.read_csv(API_DIR / f"{name}_weights.csv")
        assert np.max(np.abs(rw["weight"].to_numpy() - design.weights)) < 1e-9


def test_apistrat_equals_r_run_live(tmp_path):
    """The same comparison with R run now on the committed data (skipped without R)."""
    data, _, pop, _ = _apistrat()
    dirs = {}
    for name, margins in (("strat", ""), ("strat_raked", "sch.wide;comp.imp")):
        d = dirs[name] = tmp_path / name
        d.mkdir()
        data.to_csv(d / "data.csv", index=False)
        for dim, rows in pop.groupby("dimension"):
            pd.DataFrame({"level": rows["level"], "Freq": rows["population"]}).to_csv(
                d / f"pop_{dim}.csv", index=False)
        spec = {"margins": margins, "shares": "awards", "means": "api00;api99_gaps",
                "by": "stype;cname", "epsilon": "1e-12", "maxit": "1000", "level": "0.95",
                "strata": "stype", "fpc": "fpc"}
        pd.DataFrame({"key": list(spec), "value": list(spec.values())}).to_csv(
            d / "spec.csv", index=False)
    run_reference(list(dirs.values()))
    for name, d in dirs.items():
        live = pd.read_csv(d / "estimates.csv", keep_default_na=False, na_values=["NA"])
        _compare_with_r(_apistrat_ours(name)[0], live)
        fixture = pd.read_csv(API_DIR / f"{name}_estimates.csv", keep_default_na=False,
                              na_values=["NA"])
        assert np.allclose(live["se"], fixture["se"], rtol=1e-13, atol=0)  # the fixture is R's


# --- R's survey package as the reference --------------------------------------------


def _r_case(root: Path, name: str, df: pd.DataFrame, values: pd.DataFrame, margins: list[str],
            pop: pd.DataFrame, w0=None, strata: Strata | None = None) -> Path:
    d = root / name
    d.mkdir()
    data = pd.DataFrame({"id": np.arange(len(df))})
    if w0 is not None:
        data["w0"] = w0
    if strata is not None:  # R: svydesign(ids = ~1, strata = ~stratum, fpc = ~fpc)
        data["stratum"] = np.asarray(strata.labels)[strata.codes]
        data["fpc"] = strata.population[strata.codes]
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
    if strata is not None:
        spec |= {"strata": "stratum", "fpc": "fpc"}
    pd.DataFrame({"key": list(spec), "value": list(spec.values())}).to_csv(d / "spec.csv",
                                                                            index=False)
    return d


def area_strata(df: pd.DataFrame, pop: pd.DataFrame) -> Strata:
    """The areas as strata, with the population's area margin as ``N_h``."""
    n_h = pop[pop["dimension"] == "area"].set_index("level")["population"].to_dict()
    return Strata.from_column(df["area"], population=n_h)


@pytest.fixture(scope="module")
def r_reference(tmp_path_factory):
    """Our figures and R's for five designs and an empty cell, from one Rscript run."""
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
    m[:3] = [5.123456789, np.nan, np.nan]  # the tiny area: one answer, R's SE exactly 0
    values = pd.DataFrame({"y1": y1, "y2": y2, "m": m})
    pop = population()
    w0 = rng.uniform(20, 200, n)
    margins = ["sex:age_group", "area"]
    strata = area_strata(df, pop)
    designs = {"raked": rake(df, pop, margins).design,
               "raked_base": rake(df, pop, margins, base_weights=w0).design,
               "uncalibrated": WeightedDesign.weighted(w0),
               "stratified": WeightedDesign.weighted(strata.base_weights(), strata),
               "stratified_raked": rake(df, pop, margins, strata=strata).design}
    dirs = {"raked": _r_case(root, "raked", df, values, margins, pop),
            "raked_base": _r_case(root, "raked_base", df, values, margins, pop, w0),
            "uncalibrated": _r_case(root, "uncalibrated", df, values, [], pop, w0),
            "stratified": _r_case(root, "stratified", df, values, [], pop, strata=strata),
            "stratified_raked": _r_case(root, "stratified_raked", df, values, margins, pop,
                                        strata=strata)}
    empty = df[~((df["sex"] == "Man") & (df["age_group"] == "80+"))].reset_index(drop=True)
    dirs["empty"] = _r_case(root, "empty", empty, values.iloc[: len(empty)], margins, pop)
    run_reference(list(dirs.values()))
    by = {"sex": df["sex"], "area": df["area"],
          "relation": pd.DataFrame({"bor": df["relation_bor"]})}
    kinds = {"y1": "share", "y2": "share", "m": "mean"}
    ours = {name: {meth: estimate(values, des, by=by, kind=kinds, ci_method=meth)
                   for meth in ("logit", "beta", "wilson")} for name, des in designs.items()}
    return {"dirs": dirs, "designs": designs, "ours": ours, "empty": empty, "pop": pop}


@pytest.mark.parametrize("name", ["raked", "raked_base", "uncalibrated", "stratified",
                                  "stratified_raked"])
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
    # One answer in the tiny area: R's SE is exactly 0, and so is ours (it used to be
    # about 1e-8 × the mean, the rounding noise of sums of squares never centred).
    one = m[(m["variable"] == "m") & (m["group"] == "Sjuntorp")].iloc[0]
    assert one["n"] == 1 and one["se_r"] == 0 and one["se"] == 0


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
