"""The difference between two groups of one sample: hand-derived cases, and R on the sample.

R's reference is ``svyby(~y, ~group, raked design, svymean, na.rm = TRUE, covmat =
TRUE)`` followed by ``svycontrast`` (``tests/r/contrasts.R``), on the cleaned sample of
2020 and 2021. Its figures are committed in ``tests/r/contrasts/`` (regenerate them with
``.venv/bin/python tests/r/contrasts.py``, which needs R), so the comparison runs without
R too; with R installed it also runs live.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import copy_sample

from trygghet import pipeline, survey
from trygghet.config import Project, load_settings
from trygghet.contrast import group_difference
from trygghet.estimate import estimate
from trygghet.indicators import INDICATORS, respondent_values
from trygghet.population import read_population
from trygghet.weights import WeightedDesign

R_DIR = Path(__file__).parent / "r"
FIXTURE = R_DIR / "contrasts"
YEARS = (2020, 2021)
# (variable, grouping column, group a, group b): areas, sexes, a crossed group
# (women against men aged 16–24), an index, and groups of different sizes.
CASES = [
    ("otrygg_kvall", "area", "Lextorp", "Sylte"),
    ("otrygg_kvall", "area", "Kronogården", "Centrum"),
    ("otrygg_kvall", "sex", "Kvinna", "Man"),
    ("otrygg_kvall", "sexage", "Kvinna:16–24", "Man:16–24"),
    ("problemindex", "area", "Lextorp", "Sylte"),
    ("utsatt", "age_group", "16–24", "65–79"),
    ("oro", "area", "Upphärad", "Skoftebyn"),
    ("trygghetsindex", "sex", "Kvinna", "Man"),
]


# --- Hand-derived cases ------------------------------------------------------------------

def test_two_disjoint_groups_without_weights_have_the_textbook_variance():
    """Unweighted, the linearised variance of ȳ_A − ȳ_B is n/(n−1) · Σ x_i² with
    x_i = (y_i − ȳ_D)/n_D inside each group: Σ (y − ȳ_A)²/n_A² + Σ (y − ȳ_B)²/n_B²,
    i.e. p_A q_A / n_A + p_B q_B / n_B for shares, times n/(n−1)."""
    rng = np.random.default_rng(3)
    n = 500
    group = rng.choice(["a", "b", "c"], n)
    y = (rng.random(n) < np.where(group == "a", 0.4, 0.25)).astype(float)
    y[rng.random(n) < 0.1] = np.nan
    d = group_difference(pd.Series(y), None, group == "a", group == "b")
    ya, yb = y[(group == "a") & ~np.isnan(y)], y[(group == "b") & ~np.isnan(y)]
    pa, pb = ya.mean(), yb.mean()
    expected = np.sqrt(n / (n - 1) * (pa * (1 - pa) / len(ya) + pb * (1 - pb) / len(yb)))
    assert d.diff == pytest.approx(pa - pb, abs=1e-15)
    assert d.se == pytest.approx(expected, rel=1e-12)
    assert (d.n_a, d.n_b) == (len(ya), len(yb))
    assert d.ci_low == pytest.approx(d.diff - 1.959963984540054 * d.se, rel=1e-12)


def test_overlapping_groups_carry_their_covariance():
    """A group against a group containing it: the shared respondents cancel. With
    A ⊂ B the influence values are x_i = (y_i − ȳ_A)/n_A − (y_i − ȳ_B)/n_B on A and
    −(y_i − ȳ_B)/n_B on B \\ A; independence would overstate the SE."""
    rng = np.random.default_rng(5)
    n = 400
    y = (rng.random(n) < 0.3).astype(float)
    b = rng.random(n) < 0.6
    a = b & (rng.random(n) < 0.5)
    d = group_difference(pd.Series(y), None, a, b)
    x = np.where(a, (y - y[a].mean()) / a.sum(), 0) - np.where(b, (y - y[b].mean()) / b.sum(), 0)
    expected = np.sqrt(n / (n - 1) * ((x - x.mean()) ** 2).sum())
    assert d.se == pytest.approx(expected, rel=1e-12)
    independent = np.hypot(y[a].std() / np.sqrt(a.sum()), y[b].std() / np.sqrt(b.sum()))
    assert d.se < 0.9 * independent


def test_a_group_against_itself_differs_by_nothing():
    y = pd.Series(np.random.default_rng(1).random(50))
    member = np.arange(50) < 30
    d = group_difference(y, WeightedDesign.weighted(np.full(50, 3.0)), member, member,
                         kind="mean")
    assert d.diff == 0 and d.se == pytest.approx(0, abs=1e-15) and not d.significant


# --- R on the sample -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample_years(tmp_path_factory):
    """The cleaned sample years: (responses, population, design, settings) per year."""
    root = copy_sample(tmp_path_factory.mktemp("contrast"))
    project = Project(root)
    settings = load_settings(project)
    out = {}
    for year in YEARS:
        pipeline.clean_year(project, year, echo=lambda _: None)
        responses = pipeline.load_responses(project, year)
        population = read_population(project, year)
        out[year] = (responses, population,
                     survey.primary_design(responses, population, settings), settings)
    return out


def r_inputs(folder: Path, responses: pd.DataFrame, population: pd.DataFrame,
             settings: dict) -> Path:
    """Write the year's respondents, margins and CASES for tests/r/contrasts.R."""
    folder.mkdir(parents=True, exist_ok=True)
    values = respondent_values(responses)
    sexage = responses["sex"].astype(str) + ":" + responses["age_group"].astype(str)
    data = pd.DataFrame({"id": np.arange(len(responses)), "sexage": sexage.to_numpy(),
                         "area": responses["area"].astype(str).to_numpy(),
                         "sex": responses["sex"].astype(str).to_numpy(),
                         "age_group": responses["age_group"].astype(str).to_numpy()})
    for name in dict.fromkeys(c[0] for c in CASES):
        data[name] = values[name].to_numpy()
    data.to_csv(folder / "data.csv", index=False)
    names = {"sex:age_group": "sexage", "area": "area"}
    margins = settings["weighting"]["margins"]
    for m in margins:
        p = population[population["dimension"] == m]
        pd.DataFrame({"level": p["level"], "Freq": p["population"]}).to_csv(
            folder / f"pop_{names[m]}.csv", index=False)
    pd.DataFrame({"key": ["margins", "epsilon", "maxit"],
                  "value": [";".join(names[m] for m in margins), "1e-12", "1000"]}).to_csv(
        folder / "spec.csv", index=False)
    pd.DataFrame([{"case": i, "variable": v, "by": by, "a": a, "b": b}
                  for i, (v, by, a, b) in enumerate(CASES)]).to_csv(folder / "cases.csv",
                                                                    index=False)
    return folder


def run_r(folders: list[Path]) -> None:
    if shutil.which("Rscript") is None:
        pytest.skip("Rscript saknas")
    run = subprocess.run(["Rscript", str(R_DIR / "contrasts.R"), *map(str, folders)],
                         capture_output=True, text=True)
    if run.returncode != 0:
        if "survey" in run.stderr and "no package" in run.stderr:
            pytest.skip("R-paketet survey saknas")
        raise AssertionError(run.stderr)


def ours(responses: pd.DataFrame, design) -> pd.DataFrame:
    values = respondent_values(responses)
    sexage = (responses["sex"].astype(str) + ":" + responses["age_group"].astype(str))
    columns = {"sexage": sexage, "area": responses["area"].astype(str),
               "sex": responses["sex"].astype(str),
               "age_group": responses["age_group"].astype(str)}
    rows = []
    for i, (v, by, a, b) in enumerate(CASES):
        col = columns[by].to_numpy()
        d = group_difference(values[v], design, col == a, col == b, kind=INDICATORS[v].kind)
        rows.append({"case": i, "estimate_a": d.estimate_a, "estimate_b": d.estimate_b,
                     "diff": d.diff, "se": d.se})
    return pd.DataFrame(rows)


def compare(mine: pd.DataFrame, r: pd.DataFrame) -> None:
    m = mine.merge(r, on="case", suffixes=("", "_r"))
    assert len(m) == len(CASES)
    for col in ("estimate_a", "estimate_b", "diff", "se"):
        assert np.max(np.abs(m[col] - m[f"{col}_r"])) < 1e-9, col
    # Not independence: R's covariance is in the SE (disjoint domains of a raked sample
    # have a small, non-zero covariance).
    assert (m["se"] > 0).all()


@pytest.mark.slow
@pytest.mark.parametrize("year", YEARS)
def test_group_differences_equal_r_figures_in_the_fixture(sample_years, year):
    responses, _, design, _ = sample_years[year]
    compare(ours(responses, design), pd.read_csv(FIXTURE / f"contrasts_{year}.csv"))


@pytest.mark.slow
def test_group_differences_equal_r_run_live(sample_years, tmp_path):
    folders = {y: r_inputs(tmp_path / str(y), *(sample_years[y][i] for i in (0, 1, 3)))
               for y in YEARS}
    run_r(list(folders.values()))
    for year, folder in folders.items():
        live = pd.read_csv(folder / "contrasts.csv")
        compare(ours(sample_years[year][0], sample_years[year][2]), live)
        fixture = pd.read_csv(FIXTURE / f"contrasts_{year}.csv")
        assert np.allclose(live["se"], fixture["se"], rtol=1e-12, atol=0)  # the fixture is R's


@pytest.mark.slow
def test_the_covariance_matters(sample_years):
    """Against independence (√(SE_A² + SE_B²)) the raked sample's SEs differ, a little for
    disjoint areas and a lot for a group against the whole (which contains it)."""
    responses, _, design, _ = sample_years[2020]
    values = respondent_values(responses)["otrygg_kvall"]
    area = responses["area"].astype(str).to_numpy()
    d = group_difference(values, design, area == "Lextorp", area == "Sylte")
    est = estimate(values, design, by=responses["area"]).set_index("group")
    independent = np.hypot(est.loc["Lextorp", "se"], est.loc["Sylte", "se"])
    assert d.se != pytest.approx(independent, rel=1e-6)
    whole = group_difference(values, design, area == "Lextorp", np.ones(len(area), bool))
    assert whole.se < 0.95 * np.hypot(est.loc["Lextorp", "se"], est.loc["Totalt", "se"])
