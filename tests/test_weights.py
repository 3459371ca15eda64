"""Raking: margins reproduced, hand-derived cases, and the refusals (empty cells & co).

Agreement with R's ``rake()`` is tested in ``test_estimate.py`` (one batched R run).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trygghet.config import DEFAULT_SETTINGS
from trygghet.errors import TrygghetError
from trygghet.population import validate
from trygghet.weights import Strata, WeightedDesign, ipf, kish, rake

SEXES = ["Kvinna", "Man"]
AGES = ["16–24", "25–44", "45–64", "65–79", "80+"]
AREAS = ["Centrum", "Sylte", "Lextorp"]


def frame(n: int = 400, seed: int = 1, areas=AREAS) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "respondent_id": [f"r{i:04d}" for i in range(n)],
        "sex": pd.Categorical(rng.choice(SEXES, n, p=[0.6, 0.4]), SEXES),
        "age_group": pd.Categorical(rng.choice(AGES, n, p=[0.1, 0.2, 0.35, 0.25, 0.1]), AGES),
        "area": pd.Categorical(rng.choice(areas, n), [*areas, "Annat område"]),
    })


def population(areas=AREAS, scale: float = 1.0) -> pd.DataFrame:
    cross = {f"{s}:{a}": (1000 + 300 * i + (200 if s == "Man" else 0)) * scale
             for i, a in enumerate(AGES) for s in SEXES}
    total = sum(cross.values())
    shares = np.linspace(1, 2, len(areas))
    area = dict(zip(areas, total * shares / shares.sum(), strict=True))
    sex = {s: sum(v for k, v in cross.items() if k.startswith(s)) for s in SEXES}
    rows = ([("sex", k, v) for k, v in sex.items()]
            + [("sex:age_group", k, v) for k, v in cross.items()]
            + [("area", k, v) for k, v in area.items()])
    return pd.DataFrame(rows, columns=["dimension", "level", "population"])


def margin_sums(df: pd.DataFrame, w: np.ndarray) -> dict[str, pd.Series]:
    label = df["sex"].astype(str) + ":" + df["age_group"].astype(str)
    return {"sex:age_group": pd.Series(w).groupby(label.to_numpy()).sum(),
            "area": pd.Series(w).groupby(df["area"].astype(str).to_numpy()).sum()}


def test_raking_reproduces_every_margin():
    df, pop = frame(), population()
    r = rake(df, pop)
    w = r.weights.to_numpy()
    assert np.all(np.isfinite(w)) and np.all(w > 0)
    for margin, sums in margin_sums(df, w).items():
        target = pop[pop["dimension"] == margin].set_index("level")["population"]
        assert np.allclose(sums.reindex(target.index), target, rtol=1e-10, atol=0), margin
    d = r.diagnostics
    assert d["converged"] and d["max_margin_deviation"] < 1e-6
    assert d["n"] == len(df) and d["excluded"] == 0
    assert d["kish_n_eff"] == pytest.approx(w.sum() ** 2 / (w ** 2).sum())
    assert d["deff"] == pytest.approx(len(df) / d["kish_n_eff"])
    assert d["weight_ratio"] == pytest.approx(w.max() / w.min())
    assert d["weight_sum"] == pytest.approx(pop[pop["dimension"] == "area"]["population"].sum())
    # The design reproduces the weights and keeps one factor set per margin.
    assert np.allclose(r.design.weights, w, rtol=1e-15)
    assert r.design.margin_names == ("sex:age_group", "area")


def test_single_margin_is_post_stratification():
    df = frame(120)
    pop = population()
    r = rake(df, pop, ["area"])
    n_h = df["area"].astype(str).value_counts()
    target = pop[pop["dimension"] == "area"].set_index("level")["population"]
    expected = df["area"].astype(str).map(target / n_h).to_numpy()
    assert np.allclose(r.weights.to_numpy(), expected, rtol=1e-13)
    assert r.diagnostics["iterations"] == 2  # the second pass only confirms convergence


def test_two_by_two_keeps_the_sample_odds_ratio():
    """IPF fits the margins and keeps the sample's cross-product ratio (Deming–Stephan)."""
    counts = {("a", "x"): 30, ("a", "y"): 10, ("b", "x"): 20, ("b", "y"): 40}
    rows = [k for k, c in counts.items() for _ in range(c)]
    df = pd.DataFrame({"r": pd.Categorical([k[0] for k in rows]),
                       "c": pd.Categorical([k[1] for k in rows])})
    pop = pd.DataFrame([("r", "a", 600), ("r", "b", 400), ("c", "x", 700), ("c", "y", 300)],
                       columns=["dimension", "level", "population"])
    w = rake(df, pop, ["r", "c"]).weights.to_numpy()
    table = pd.Series(w).groupby([df["r"].astype(str).to_numpy(),
                                  df["c"].astype(str).to_numpy()]).sum()
    assert table["a"].sum() == pytest.approx(600) and table[:, "x"].sum() == pytest.approx(700)
    odds = table["a", "x"] * table["b", "y"] / (table["a", "y"] * table["b", "x"])
    assert odds == pytest.approx(30 * 40 / (10 * 20), rel=1e-9)


def test_ipf_pass_by_pass():
    """One pass by hand: post-stratify rows, then columns; R's stopping rule on the table."""
    base_sum = np.array([30.0, 10.0, 20.0, 40.0])        # cells (a,x) (a,y) (b,x) (b,y)
    rows, cols = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
    factor, margin_factor, passes, converged = ipf(
        base_sum, [rows, cols], [np.array([60.0, 40.0]), np.array([70.0, 30.0])],
        epsilon=1e-9, max_iter=1)
    after_rows = np.array([60 / 40, 60 / 40, 40 / 60, 40 / 60])
    assert np.allclose(margin_factor[0], after_rows)
    col_sums = np.array([30 * 1.5 + 20 * 40 / 60, 10 * 1.5 + 40 * 40 / 60])
    assert np.allclose(factor, after_rows * (np.array([70.0, 30.0]) / col_sums)[cols])
    assert passes == 1 and not converged


def test_tiny_cell_is_raked_not_dropped():
    df = frame(300, seed=2)
    df.loc[df.index[:1], "area"] = "Lextorp"
    rest = df.loc[df.index[1:], "area"]
    df.loc[df.index[1:], "area"] = rest.where(rest != "Lextorp", "Sylte")
    r = rake(df, population())
    w = r.weights.to_numpy()
    lone = w[0]
    target = population().query("level == 'Lextorp'")["population"].iloc[0]
    assert lone == pytest.approx(target)  # one respondent carries the whole area
    assert np.all(np.isfinite(w))


def test_empty_level_is_a_clear_error():
    """R stops with "Some strata absent from sample"; so do we, naming margin and level."""
    df = frame()
    df = df[~((df["sex"] == "Man") & (df["age_group"] == "80+"))].reset_index(drop=True)
    with pytest.raises(TrygghetError) as err:
        rake(df, population())
    msg = str(err.value)
    assert "Man:80+" in msg and "sex:age_group" in msg and "inga svarande" in msg
    assert "collapse" in msg  # the hint says how to get round it
    # The comma survives, and the thousands get a (non-breaking) space of their own.
    assert "har inga svarande, men befolkningen har 2\u00a0400 personer där" in msg


def test_strata_give_base_weights_and_cells_inside_strata():
    """Cells never cross a stratum; strata that are a raking margin leave the weights as
    they are (raking absorbs a per-level factor of the base weights) but keep N_h."""
    df, pop = frame(), population()
    n_h = pop[pop["dimension"] == "area"].set_index("level")["population"].to_dict()
    strata = Strata.from_column(df["area"], population=n_h)
    r = rake(df, pop, strata=strata)
    plain = rake(df, pop)
    assert np.allclose(r.weights, plain.weights, rtol=1e-9)
    assert r.design.stratified and not plain.design.stratified
    assert np.array_equal(r.design.cell_stratum[r.design.cell], strata.codes)
    counts = df["area"].value_counts()
    assert r.diagnostics["strata"]["Centrum"] == {
        "respondents": int(counts["Centrum"]), "population": n_h["Centrum"],
        "fraction": counts["Centrum"] / n_h["Centrum"]}
    base = strata.base_weights()
    assert base[0] == n_h[df["area"].iloc[0]] / counts[df["area"].iloc[0]]
    # Strata that cut across the margins (here: by sex) split the cells.
    by_sex = Strata.from_column(df["sex"], population={"Kvinna": 9000, "Man": 8000})
    d = rake(df, pop, ["area"], strata=by_sex).design
    assert d.n_cells == 2 * len(AREAS)


def test_documented_collapse_merges_an_empty_level():
    df = frame()
    df = df[~((df["sex"] == "Man") & (df["age_group"] == "80+"))].reset_index(drop=True)
    pop = population()
    r = rake(df, pop, collapse={"sex:age_group": {"Man:80+": "Man:65–79"}})
    w = r.weights.to_numpy()
    assert np.all(np.isfinite(w)) and np.all(w > 0)
    sums = margin_sums(df, w)["sex:age_group"]
    target = pop.set_index("level")["population"]
    assert sums["Man:65–79"] == pytest.approx(target["Man:65–79"] + target["Man:80+"])
    assert sums["Kvinna:80+"] == pytest.approx(target["Kvinna:80+"])
    assert r.diagnostics["collapsed"] == {"sex:age_group": {"Man:80+": "Man:65–79"}}


def test_collapse_must_name_known_levels():
    with pytest.raises(TrygghetError, match="collapse"):
        rake(frame(), population(), collapse={"area": {"Centrum": "Atlantis"}})


def test_margin_totals_that_disagree_are_an_error():
    pop = population()
    pop.loc[pop["dimension"] == "area", "population"] *= 1.01
    with pytest.raises(TrygghetError, match="samma total"):
        rake(frame(), pop)


def test_population_errors_name_the_problem():
    pop = population()
    with pytest.raises(TrygghetError, match="saknar dimensionen 'sex:age_group'"):
        rake(frame(), pop[pop["dimension"] != "sex:age_group"])
    bad = pop.copy()
    bad.loc[bad["level"] == "Centrum", "level"] = "Atlantis"
    with pytest.raises(TrygghetError, match="Atlantis"):
        rake(frame(), bad)
    neg = pop.copy()
    neg.loc[0, "population"] = -5
    with pytest.raises(TrygghetError, match="befolkningstal") as err:
        validate(neg)
    assert err.value.row == 2
    with pytest.raises(TrygghetError, match="kolumnerna"):
        validate(pop.rename(columns={"population": "antal"}))
    dup = pd.concat([pop, pop.iloc[[2]]], ignore_index=True)
    dup.loc[dup.index[-1], "population"] = 0  # keep the totals equal: the duplicate is the fault
    dup.loc[dup.index[-2], "population"] = pop.iloc[2]["population"]
    with pytest.raises(TrygghetError):
        rake(frame(), dup)


def test_levels_match_despite_dash_and_case():
    pop = population()
    pop["level"] = pop["level"].str.replace("–", "-").str.upper()
    w1 = rake(frame(), population()).weights
    w2 = rake(frame(), pop).weights
    assert np.allclose(w1, w2, rtol=1e-14)


def test_population_zero_where_there_are_respondents():
    pop = population()
    pop.loc[pop["level"] == "Centrum", "population"] = 0
    pop.loc[pop["level"] == "Sylte", "population"] += population().query(
        "level == 'Centrum'")["population"].iloc[0]
    with pytest.raises(TrygghetError, match="befolkningen är 0"):
        rake(frame(), pop)


def test_unrakeable_respondents():
    df = frame(200)
    df.loc[[3, 7], "sex"] = np.nan
    df.loc[[11], "area"] = "Annat område"
    with pytest.raises(TrygghetError) as err:
        rake(df, population())  # a probability sample: an error, with ids
    assert "r0003" in str(err.value) or "r0011" in str(err.value)
    r = rake(df, population(), unrakeable="exclude")  # opt-in: left out, and counted
    assert r.diagnostics["excluded"] == 3
    assert not r.included[[3, 7, 11]].any() and r.included.sum() == 197
    assert len(r.weights) == 197 and r.design.n == 197
    by = r.diagnostics["excluded_by_margin"]
    assert by["sex:age_group"]["saknar_varde"] == 2 and by["area"]["ej_i_befolkningen"] == 1


def test_no_convergence_is_an_error():
    with pytest.raises(TrygghetError, match="konvergerade inte"):
        rake(frame(), population(), tolerance=1e-15, max_iter=1)


def test_trimming_bounds_and_margins():
    df = frame(300, seed=5)
    r0 = rake(df, population())
    w0 = r0.weights.to_numpy()
    low, high = 0.33, 4.8
    assert w0.max() / w0.mean() > high and w0.min() / w0.mean() < low  # something to trim
    r = rake(df, population(), trim=(low, high))
    w = r.weights.to_numpy()
    info = r.diagnostics["trim"]
    assert info["rounds"] >= 1 and info["within_bounds"]
    assert w.max() / w.mean() <= high * (1 + 1e-6) and w.min() / w.mean() >= low * (1 - 1e-6)
    pop = population()
    for margin, sums in margin_sums(df, w).items():  # re-raked: the margins still hold
        target = pop[pop["dimension"] == margin].set_index("level")["population"]
        assert np.allclose(sums.reindex(target.index), target, rtol=1e-9)
    assert r.diagnostics["kish_n_eff"] > r0.diagnostics["kish_n_eff"]
    # Bounds the margins cannot meet are reported, not silently claimed.
    tight = rake(df, population(), trim=(0.5, 1.6)).diagnostics["trim"]
    assert not tight["within_bounds"]
    with pytest.raises(TrygghetError, match="trim"):
        rake(df, population(), trim=(2, 3))


def test_settings_defaults_match_r_reference():
    w = DEFAULT_SETTINGS["weighting"]
    assert w["margins"] == ["sex:age_group", "area"] and w["tolerance"] == 1e-12
    assert w["max_iter"] == 1000


def test_design_helpers():
    d = WeightedDesign.weighted([1.0, 2.0, 3.0])
    assert d.n == 3 and not d.calibrated and np.array_equal(d.weights, [1, 2, 3])
    assert kish(np.array([1.0, 1.0, 1.0, 1.0])) == 4
    assert kish(np.array([1.0, 3.0])) == pytest.approx(16 / 10)
    with pytest.raises(TrygghetError):
        WeightedDesign.weighted([1.0, np.nan])
