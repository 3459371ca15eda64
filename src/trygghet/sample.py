"""Seeded synthetic sample data: a Trollhättan-like municipality and three survey years.

Everything under ``data/raw/`` and ``data/reference/`` that the project ships is
made here, by ``trygghet sample [--seed N]``; the same seed gives byte-identical
files. Nothing is real survey data.

The model, from the bottom up:

1. **Municipality** — twelve areas (:data:`TROLLHATTAN`), each with a size, an
   age profile, a level of insecurity, a problem profile and a crime rate.
   :func:`population_table` turns them into exact counts by area × sex × age
   (deterministic, no random numbers), from which come the **person register**
   (:func:`build_register`, ages 16–84) and the population margins
   (:func:`population_margins`).
2. **Respondents** — a probability year draws a simple random sample from the
   register and lets people answer with a propensity that rises with age and is
   lowest for young men (:func:`respond`); the opt-in year lets people select
   themselves with a propensity that favours women, ages 45–64, the areas
   where trygghetsronder and the dialogue event were held, and people who feel
   unsafe (:func:`self_select`).
3. **Answers** — every respondent has a latent *insecurity* ``L`` (standard
   normal around a mean set by sex × age, area and year). Each ordinal answer
   is ``L`` plus item noise cut at fixed thresholds, so the answers correlate
   the way real ones do; problem items add the area's problem profile, victim
   items the area's crime rate (:func:`generate_responses`).
4. **Export** — the answers are written the way each year's survey tool wrote
   them, with the headers, label variants, multi-select layout and file format
   its mapping file describes, then a few per cent of deliberate mess is added
   (:func:`build_export`). The ledger of that mess says exactly what the
   cleaning stage must find.

The building blocks take arrays and scale to millions of respondents
(:func:`generate_persons` + :func:`generate_responses`) for the benchmarks.

The model is the same for every seed; the default seed (:data:`DEFAULT_SEED`)
was picked among the first seventy as one whose realised samples show every
designed pattern clearly (sampling noise in ~1,100 answers can hide a fall of
two percentage points), and the tests check those patterns on its files.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from .config import read_yaml
from .errors import TrygghetError
from .mapping import Multi, SurveyMapping, load_mapping, normalise
from .questionnaire import default_questionnaire
from .schema import AGE_GROUP, OTHER_AREA, Scale, canonical_columns, option_column
from .writers import atomic_path

DEFAULT_SEED = 55

# The synthetic sample is a survey in the default questionnaire (frageformular.yml):
# its questions and scales, named as the generator uses them.
_MODEL = default_questionnaire()
QUESTIONS = _MODEL.questions
PRIORITIES, PROBLEM, REFRAINED, SAFETY, TRUST, UNSAFE_TIMES, WORRY = (
    _MODEL.scales[name] for name in ("priorities", "problem", "refrained", "safety", "trust",
                                     "unsafe_times", "worry"))
YEARS = (2019, 2020, 2021)
MIN_AGE, MAX_AGE = 16, 84  # the survey population (as Brå's NTU)

# Codes of single answers: level index ≥ 0 into the scale, or one of these.
BLANK = -1
DONT_KNOW = -2
WITHHELD = -3  # sex: "Ickebinär" / "Vill ej uppge" (a valid answer read as missing)

SEXES = ("Kvinna", "Man")
AGE_GROUPS = AGE_GROUP.levels
# Bands of the area age profiles: children, then the survey's age groups.
AGE_BAND_EDGES = (0, 16, 25, 45, 65, 80, 200)

# ---------------------------------------------------------------------------
# The municipality
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AreaProfile:
    """One residential area of the synthetic municipality.

    Parameters
    ----------
    name
        The area's name, as in the mapping files.
    inhabitants
        All ages, 2019; later years grow by ``growth`` a year.
    age_tilt
        Multipliers of the base age profile for the bands 0–15, 16–24, 25–44,
        45–64, 65–79 and 80+ (a student-heavy centre, a young suburb, an
        ageing village).
    insecurity
        Shift of the residents' latent insecurity, in standard deviations.
    change_2021
        Extra shift in 2021 (negative = safer), on top of the general trend.
    problems
        Shift of individual problem items (items of the default questionnaire's ``problem`` grid)
        on top of the area's general problem level.
    crime_rate, violence_rate
        Police-reported crimes and *våld i offentlig miljö* per 1,000
        inhabitants in 2019. Deliberately not proportional to ``insecurity``.
    kind
        ``centre``, ``suburb``, ``villa`` or ``rural``: steers priorities.
    """

    name: str
    inhabitants: int
    growth: float
    age_tilt: tuple[float, float, float, float, float, float]
    insecurity: float
    change_2021: float
    problems: dict[str, float] = field(default_factory=dict, hash=False)
    crime_rate: float = 100.0
    violence_rate: float = 2.0
    kind: str = "villa"


TROLLHATTAN: tuple[AreaProfile, ...] = (
    # Many visitors, shops and nightlife: most reported crime per inhabitant,
    # but residents feel only moderately unsafe.
    AreaProfile("Centrum", 8200, 0.010, (0.55, 1.35, 1.45, 0.85, 1.0, 1.3), 0.38, -0.15,
                {"berusade": 0.9, "narkotikapaverkade": 0.6, "narkotikahandel": 0.4,
                 "vald_offentlig_miljo": 0.7, "klotter": 0.5, "nedskrapning": 0.4,
                 "bostadsinbrott": -0.4, "storande_trafik": 0.3}, 330, 14.0, "centre"),
    # The most insecure area, with only moderately more crime than average.
    AreaProfile("Kronogården", 8800, 0.012, (1.35, 1.15, 1.15, 0.9, 0.7, 0.6), 0.72, -0.20,
                {"brakiga_ungdomar": 0.7, "narkotikahandel": 0.6, "narkotikapaverkade": 0.4,
                 "klotter": 0.5, "nedskrapning": 0.5, "otrygga_platser": 0.5,
                 "vald_offentlig_miljo": 0.3, "stold_ur_bil": 0.4}, 150, 5.0, "suburb"),
    AreaProfile("Lextorp", 5400, 0.006, (1.2, 1.1, 1.1, 0.9, 0.85, 0.8), 0.50, -0.08,
                {"brakiga_ungdomar": 0.6, "nedskrapning": 0.5, "otrygga_platser": 0.5,
                 "narkotikapaverkade": 0.3, "klotter": 0.4}, 130, 4.0, "suburb"),
    AreaProfile("Sylte", 5900, 0.005, (1.1, 1.0, 1.05, 0.95, 0.95, 0.9), 0.20, -0.04,
                {"brakiga_ungdomar": 0.3, "stold_ur_bil": 0.4, "klotter": 0.2},
                105, 3.0, "suburb"),
    AreaProfile("Halvorstorp", 4300, 0.004, (1.0, 0.95, 0.95, 1.05, 1.05, 1.0), 0.12, -0.03,
                {"otrygga_platser": 0.4, "storande_trafik": 0.2}, 80, 2.0, "suburb"),
    AreaProfile("Sandhem", 3800, 0.004, (1.0, 0.9, 0.95, 1.05, 1.1, 1.0), 0.02, 0.0,
                {"bostadsinbrott": 0.3, "storande_trafik": 0.3}, 65, 1.5, "villa"),
    AreaProfile("Stavre", 3600, 0.003, (1.0, 0.9, 0.9, 1.1, 1.1, 1.0), 0.05, 0.0,
                {"bostadsinbrott": 0.3}, 70, 1.5, "villa"),
    AreaProfile("Skoftebyn", 5300, 0.004, (1.05, 0.8, 0.9, 1.2, 1.15, 1.0), -0.40, -0.02,
                {"bostadsinbrott": 0.4, "storande_trafik": 0.4}, 60, 1.0, "villa"),
    # Feels about average but has a fair amount of car crime (a retail park).
    AreaProfile("Hjortmossen", 3500, 0.003, (1.0, 0.9, 1.0, 1.05, 1.0, 0.95), -0.02, 0.0,
                {"stold_ur_bil": 0.5, "bostadsinbrott": 0.3}, 95, 2.0, "villa"),
    AreaProfile("Strömslund", 4600, 0.004, (1.0, 0.85, 0.95, 1.1, 1.15, 1.1), -0.10, 0.0,
                {"bostadsinbrott": 0.2, "storande_trafik": 0.3}, 60, 1.2, "villa"),
    AreaProfile("Sjuntorp", 3300, 0.002, (1.05, 0.8, 0.85, 1.1, 1.2, 1.0), -0.36, 0.03,
                {"storande_trafik": 0.7, "nedskrapning": -0.2}, 55, 1.0, "rural"),
    AreaProfile("Upphärad", 2300, 0.002, (1.05, 0.75, 0.85, 1.15, 1.2, 1.0), -0.50, 0.0,
                {"storande_trafik": 0.8, "bostadsinbrott": 0.2}, 45, 0.6, "rural"),
)

# Year-on-year factors of reported crime (a slow national fall) and of violence
# in public places (what the 2020 promise set out to reduce).
CRIME_TREND = {2019: 1.00, 2020: 0.97, 2021: 0.94}
VIOLENCE_TREND = {2019: 1.00, 2020: 0.92, 2021: 0.86}
# Municipal totals of violence in public places, shared with the promise
# follow-up's synthetic outcome data (data/reference/utfall.csv, indicator
# anmalningar_vald_offentlig_miljo) so that the two never disagree; the areas
# share each total in proportion to their rates. None = not reported that
# year (in 2019 the Police reported it for the whole police area only).
VIOLENCE_TOTAL: dict[int, int | None] = {2019: None, 2020: 164, 2021: 149}


def _base_age_weights(ages: np.ndarray) -> np.ndarray:
    """Relative size of each one-year age cohort: flat, thinning out after ~75."""
    return 1.0 / (1.0 + np.exp((ages - 84.0) / 5.0))


def _female_share(ages: np.ndarray) -> np.ndarray:
    """Share of women by age: slightly below half, rising in old age."""
    return np.interp(ages, [0, 55, 75, 90, 100], [0.487, 0.49, 0.52, 0.62, 0.75])


def _largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """Integers proportional to ``weights`` that sum exactly to ``total``.

    Hamilton's method: floor the quotas, then give the units left over to the
    largest remainders (ties to the first). No randomness, so the register
    is the same for every seed.
    """
    quota = total * weights / weights.sum()
    counts = np.floor(quota).astype(np.int64)
    left = int(total - counts.sum())
    if left:
        order = np.argsort(-(quota - counts), kind="stable")
        counts[order[:left]] += 1
    return counts


def population_table(year: int, areas: Sequence[AreaProfile] = TROLLHATTAN) -> pd.DataFrame:
    """All inhabitants by area × sex × one-year age (0–100), for ``year``.

    Returns columns ``area, sex, age, population``. Deterministic: the
    reference population does not depend on the seed.
    """
    ages = np.arange(0, 101)
    band = np.searchsorted(AGE_BAND_EDGES, ages, side="right") - 1
    female = _female_share(ages)
    frames = []
    for a in areas:
        total = round(a.inhabitants * (1.0 + a.growth) ** (year - 2019))
        per_age = _largest_remainder(total, _base_age_weights(ages) * np.asarray(a.age_tilt)[band])
        women = np.round(per_age * female).astype(np.int64)
        for sex, counts in (("Kvinna", women), ("Man", per_age - women)):
            frames.append(pd.DataFrame({"area": a.name, "sex": sex, "age": ages,
                                        "population": counts}))
    return pd.concat(frames, ignore_index=True)


def age_groups(age: np.ndarray) -> np.ndarray:
    """Index into ``AGE_GROUP.levels`` (0 = 16–24 … 4 = 80+); -1 outside 16+."""
    edges = np.array([16, 25, 45, 65, 80])
    return np.searchsorted(edges, age, side="right") - 1


def build_register(year: int, areas: Sequence[AreaProfile] = TROLLHATTAN) -> pd.DataFrame:
    """The person register: one row per inhabitant aged 16–84.

    Columns ``person_id`` (0, 1, …), ``area``, ``sex``, ``age``. The same
    counts as :func:`population_margins`, so a sample from it is a sample
    from the reference population.
    """
    table = population_table(year, areas)
    table = table[(table["age"] >= MIN_AGE) & (table["age"] <= MAX_AGE)]
    counts = table["population"].to_numpy()
    reg = pd.DataFrame({
        "area": np.repeat(table["area"].to_numpy(dtype=object), counts),
        "sex": np.repeat(table["sex"].to_numpy(dtype=object), counts),
        "age": np.repeat(table["age"].to_numpy(), counts).astype(np.int64),
    })
    reg.insert(0, "person_id", np.arange(len(reg), dtype=np.int64))
    return reg


def population_margins(year: int, areas: Sequence[AreaProfile] = TROLLHATTAN) -> pd.DataFrame:
    """Population 16–84 in long format: ``dimension, level, population``.

    Dimensions ``sex``, ``age_group``, ``area`` and the crossed
    ``sex:age_group`` (levels ``Kvinna:25–44``); each sums to the same total.
    """
    reg = build_register(year, areas)
    group = np.asarray(AGE_GROUPS, dtype=object)[age_groups(reg["age"].to_numpy())]
    rows = []
    for sex in SEXES:
        rows.append(("sex", sex, int((reg["sex"] == sex).sum())))
    for g in AGE_GROUPS:
        rows.append(("age_group", g, int((group == g).sum())))
    for a in areas:
        rows.append(("area", a.name, int((reg["area"] == a.name).sum())))
    for sex in SEXES:
        for g in AGE_GROUPS:
            rows.append(("sex:age_group", f"{sex}:{g}",
                         int(((reg["sex"] == sex).to_numpy() & (group == g)).sum())))
    return pd.DataFrame(rows, columns=["dimension", "level", "population"])


def crime_table(year: int, rng: np.random.Generator,
                areas: Sequence[AreaProfile] = TROLLHATTAN) -> pd.DataFrame:
    """Synthetic police-reported crimes per area: ``area, inhabitants, reported_crimes,
    violence_public``.

    Poisson counts around each area's rate × inhabitants (all ages) × the
    year's trend. The rates are chosen so that where residents feel unsafe is
    not where most crime per inhabitant is reported (Centrum vs Kronogården).
    Violence in public places is a multinomial split of the year's municipal
    total (:data:`VIOLENCE_TOTAL`) where one is fixed.
    """
    inhabitants = population_table(year, areas).groupby("area", sort=False)["population"].sum()
    inh = np.array([int(inhabitants[a.name]) for a in areas])
    crime = rng.poisson(inh / 1000 * np.array([a.crime_rate for a in areas])
                        * CRIME_TREND.get(year, 1.0))
    expected = inh / 1000 * np.array([a.violence_rate for a in areas])
    if year in VIOLENCE_TOTAL and tuple(areas) == TROLLHATTAN:
        total = VIOLENCE_TOTAL[year]
        violence = ([None] * len(areas) if total is None
                    else rng.multinomial(total, expected / expected.sum()).tolist())
    else:
        violence = rng.poisson(expected * VIOLENCE_TREND.get(year, 1.0))
    return pd.DataFrame({"area": [a.name for a in areas], "inhabitants": inh,
                         "reported_crimes": crime, "violence_public": violence})


# ---------------------------------------------------------------------------
# Who answers
# ---------------------------------------------------------------------------

# Mean latent insecurity by sex × age group (rows Kvinna, Man). Women are
# clearly less safe than men; the young and the old are less safe than the
# middle-aged, and old women most of all.
SEX_AGE_INSECURITY = np.array([
    [0.62, 0.42, 0.40, 0.55, 0.78],
    [-0.18, -0.42, -0.42, -0.25, 0.02],
])
YEAR_INSECURITY = {2019: 0.0, 2020: 0.0, 2021: -0.04}

# Response propensity (log-odds) by sex × age group in the probability years:
# young men answer least, people aged 65–79 most.
RESPONSE_LOGIT = np.array([
    [-0.35, -0.05, 0.35, 0.85, 0.30],
    [-1.15, -0.60, 0.00, 0.65, 0.20],
])
RESPONSE_AREA = {"Kronogården": -0.45, "Lextorp": -0.30, "Centrum": -0.15}

# Self-selection into the 2019 web survey (log-weights): women and ages 45–64
# over-represented, the very old and the young under-represented; the areas
# of the 2019 trygghetsronder and of the dialogue event (Centrum) more; and
# people who feel unsafe more (they have a reason to answer).
OPT_IN_SEX = np.array([0.50, 0.0])
OPT_IN_AGE = np.array([-0.80, 0.0, 0.65, 0.05, -1.30])
OPT_IN_AREA = {"Halvorstorp": 0.45, "Sandhem": 0.45, "Stavre": 0.45, "Sjuntorp": 0.45,
               "Centrum": 0.25}
OPT_IN_INSECURITY = 0.2


def _positions(values: object, names: Sequence[str]) -> np.ndarray:
    """Position of each value in ``names`` (-1 if absent), looking up distinct values only.

    Factorising first keeps a million-row string column (Arrow-backed in
    pandas 3) from being turned into a million Python strings.
    """
    codes, uniques = pd.factorize(pd.Series(values), use_na_sentinel=True)
    idx = pd.Index(list(names)).get_indexer(pd.Index(uniques).astype(object))
    return np.append(idx, -1)[codes].astype(np.int64)


def _area_index(area: object, areas: Sequence[AreaProfile]) -> np.ndarray:
    """Position of each area name in ``areas``; ``len(areas)`` for "Annat område"."""
    idx = _positions(area, [a.name for a in areas])
    return np.where(idx < 0, len(areas), idx)


def _sex_index(sex: object) -> np.ndarray:
    """0 = Kvinna, 1 = Man."""
    return (_positions(sex, SEXES) == 1).astype(np.int64)


def latent_insecurity(persons: pd.DataFrame, rng: np.random.Generator, *, year: int,
                      areas: Sequence[AreaProfile] = TROLLHATTAN) -> np.ndarray:
    """Each person's latent insecurity: a mean by sex × age, area and year, plus N(0, 1).

    People outside the municipality ("Annat område") get the municipal
    average area effect.
    """
    sex = _sex_index(persons["sex"])
    group = np.clip(age_groups(persons["age"].to_numpy()), 0, 4)
    area = _area_index(persons["area"], areas)
    effect = np.array([a.insecurity + (a.change_2021 if year >= 2021 else 0.0) for a in areas])
    effect = np.append(effect, effect.mean())
    mean = SEX_AGE_INSECURITY[sex, group] + effect[area] + YEAR_INSECURITY.get(year, 0.0)
    return mean + rng.standard_normal(len(persons))


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def respond(sample: pd.DataFrame, n: int, rng: np.random.Generator) -> np.ndarray:
    """Which ``n`` of the sampled people answer: positions into ``sample``.

    Response propensities ``p`` (:data:`RESPONSE_LOGIT`, :data:`RESPONSE_AREA`)
    are shifted so that they sum to ``n``; then *Pareto order sampling*
    (Rosén 1997) picks exactly ``n`` people with inclusion probabilities close
    to ``p``: key = odds(U) / odds(p), keep the ``n`` smallest. A fixed number
    of answers keeps the published counts stable across seeds while the
    pattern of nonresponse (young men least) is that of independent coin
    flips.
    """
    sex = _sex_index(sample["sex"])
    group = age_groups(sample["age"].to_numpy())
    by_area = np.array([RESPONSE_AREA.get(a.name, 0.1) for a in TROLLHATTAN] + [0.1])
    logit = RESPONSE_LOGIT[sex, group] + by_area[_area_index(sample["area"], TROLLHATTAN)]
    lo, hi = -10.0, 10.0
    for _ in range(100):  # bisection for the shift that makes Σp = n
        mid = (lo + hi) / 2
        if _logistic(logit + mid).sum() < n:
            lo = mid
        else:
            hi = mid
    p = np.clip(_logistic(logit + hi), 1e-9, 1 - 1e-9)
    u = rng.random(len(sample))
    key = (u / (1 - u)) / (p / (1 - p))
    return np.sort(np.argsort(key, kind="stable")[:n])


def self_select(register: pd.DataFrame, latent: np.ndarray, n: int,
                rng: np.random.Generator) -> np.ndarray:
    """Positions of ``n`` people who choose to answer an open web survey.

    Successive sampling proportional to the self-selection weight, done in
    one vectorised step with the Gumbel-top-k trick: the ``n`` largest
    ``log w + Gumbel`` are a draw without replacement with probabilities ∝ ``w``.
    """
    sex = _sex_index(register["sex"])
    group = age_groups(register["age"].to_numpy())
    by_area = np.array([OPT_IN_AREA.get(a.name, 0.0) for a in TROLLHATTAN] + [0.0])
    log_w = (OPT_IN_SEX[sex] + OPT_IN_AGE[group] + OPT_IN_INSECURITY * latent
             + by_area[_area_index(register["area"], TROLLHATTAN)])
    key = log_w + rng.gumbel(size=len(register))
    return np.sort(np.argsort(-key, kind="stable")[:n])


def generate_persons(n: int, rng: np.random.Generator, *, year: int = 2020,
                     areas: Sequence[AreaProfile] = TROLLHATTAN) -> pd.DataFrame:
    """``n`` people drawn with replacement from the population 16–84 (for large runs).

    Returns ``sex, age, area`` like :func:`build_register` without building
    one row per inhabitant first: a multinomial draw over the population
    table's cells, then one row per drawn person.
    """
    table = population_table(year, areas)
    table = table[(table["age"] >= MIN_AGE) & (table["age"] <= MAX_AGE)]
    counts = rng.multinomial(n, table["population"].to_numpy() / table["population"].sum())
    return pd.DataFrame({
        "sex": np.repeat(table["sex"].to_numpy(dtype=object), counts),
        "age": np.repeat(table["age"].to_numpy(), counts).astype(np.int64),
        "area": np.repeat(table["area"].to_numpy(dtype=object), counts),
    }).sample(frac=1.0, random_state=rng).reset_index(drop=True)


# ---------------------------------------------------------------------------
# What they answer
# ---------------------------------------------------------------------------

# Ordinal answers are the latent insecurity plus item noise, cut at these
# thresholds. Labels below run from least to most insecure.
SAFE_ASC = ("Mycket trygg", "Ganska trygg", "Ganska otrygg", "Mycket otrygg")
SAFE_CUTS = np.array([-0.22, 1.0, 2.0])
SAFE_NOISE = 0.75
DAY_SHIFT = -1.55  # the same person, in daylight
WORRY_ASC = ("Aldrig", "Ganska sällan", "Ganska ofta", "Mycket ofta")
WORRY_CUTS = np.array([-0.95, 1.05, 2.15])
REFRAINED_ASC = ("Nej", "Ja, ibland", "Ja, ofta")
REFRAINED_CUTS = np.array([1.05, 2.25])
PROBLEM_ASC = ("Inget problem alls", "Ganska litet problem", "Ganska stort problem",
               "Mycket stort problem")
PROBLEM_CUTS = np.array([-0.25, 1.05, 2.05])
TRUST_ASC = ("Mycket stort", "Ganska stort", "Ganska litet", "Mycket litet")  # distrust ↑
TRUST_CUTS = np.array([-1.05, 0.55, 1.55])
TRUST_MUNICIPALITY_SHIFT = 0.25  # the municipality is trusted a little less

# General level of each problem item (added to the area's level and profile).
PROBLEM_BASE = {
    "nedskrapning": 0.30, "klotter": 0.0, "brakiga_ungdomar": -0.05, "berusade": -0.35,
    "narkotikapaverkade": -0.35, "narkotikahandel": -0.65, "storande_trafik": 0.40,
    "vald_offentlig_miljo": -0.65, "bostadsinbrott": 0.0, "stold_ur_bil": -0.05,
    "otrygga_platser": 0.20,
}
# People who don't know if there is open drug dealing say so.
PROBLEM_DONT_KNOW = {"narkotikahandel": 0.14, "narkotikapaverkade": 0.09,
                     "vald_offentlig_miljo": 0.07}

# Victimisation in 12 months: base probability by item, raised by the area's
# crime rate, youth (theft, threats, violence) and insecurity.
VICTIM_BASE = {"stold": 0.05, "inbrott": 0.016, "skadegorelse": 0.035, "hot": 0.032,
               "vald": 0.014, "bedrageri": 0.04}
VICTIM_YOUNG = {"stold": 0.5, "hot": 0.6, "vald": 0.7}
VICTIM_OLD = {"stold": -0.3, "hot": -0.5, "vald": -0.6, "bedrageri": 0.25}
VICTIM_TREND = {2021: {"bedrageri": 0.2}}  # the pandemic years' fraud

# Most unsafe times of day: probability of each option for someone who is
# unsafe at some time, before the individual's insecurity shifts it.
TIMES_LOGIT = {"Tidig morgon": -1.35, "Dagtid": -3.0, "Kväll": 1.45, "Natt": 0.55}

# Priorities: relative weights (successive sampling of up to three). The
# seed's ranking: tillgänglighet > våld utomhus > organiserad brottslighet >
# mängdbrott > narkotika/dopning, then the rest.
PRIORITY_WEIGHTS = {"Tillgänglighet": 1.0, "Våld utomhus": 0.70, "Organiserad brottslighet": 0.50,
                    "Mängdbrott": 0.36, "Narkotika/dopning": 0.26, "Trafik": 0.13,
                    "Nedskräpning/skadegörelse": 0.11, "Annat": 0.035}
PRIORITY_KIND = {  # multipliers by area kind
    "centre": {"Våld utomhus": 1.25, "Narkotika/dopning": 1.2},
    "suburb": {"Narkotika/dopning": 1.35, "Organiserad brottslighet": 1.15},
    "villa": {"Mängdbrott": 1.45, "Trafik": 1.3},
    "rural": {"Trafik": 2.2, "Mängdbrott": 1.3, "Tillgänglighet": 1.1},
}
PRIORITY_COUNT = (0.09, 0.16, 0.75)  # share ticking 1, 2 or 3 (of those answering)

# Item nonresponse and "Vet ej".
P_BLANK = 0.012
P_BLANK_OLD = 0.035  # 80+
P_DONT_KNOW = 0.012


@dataclass
class Responses:
    """Answers of ``n`` respondents in code form: fast to make, to subset and to render.

    ``single`` holds one int8 array per single-choice question: the index of
    the answer in the question's scale, or :data:`BLANK` / :data:`DONT_KNOW`.
    ``multi`` holds a boolean ``(n, options)`` matrix per multi-select
    question and ``skipped`` whether the respondent left it out. Background is
    *as reported*: ``sex`` (0 Kvinna, 1 Man, or BLANK/WITHHELD), ``age``
    (-1 = blank), ``area`` (index into the area names, ``len(areas)`` =
    "Annat område", -1 = blank).
    """

    area_names: list[str]
    sex: np.ndarray
    age: np.ndarray
    area: np.ndarray
    single: dict[str, np.ndarray]
    multi: dict[str, np.ndarray]
    skipped: dict[str, np.ndarray]
    comment: np.ndarray
    latent: np.ndarray

    def __len__(self) -> int:
        return len(self.sex)

    def take(self, idx: np.ndarray) -> Responses:
        """The respondents at positions ``idx`` (a copy)."""
        return Responses(
            self.area_names, self.sex[idx], self.age[idx], self.area[idx],
            {k: v[idx] for k, v in self.single.items()},
            {k: v[idx] for k, v in self.multi.items()},
            {k: v[idx] for k, v in self.skipped.items()},
            self.comment[idx], self.latent[idx],
        )

    def signature(self, asked: Sequence[str] | None = None) -> pd.Series:
        """A hash of the answers to the ``asked`` questions (default all), background
        included, as the cleaning stage compares them: equal hashes ⇔ identical clean rows.

        So age counts by age group, and "Vet ej", blank and withheld are all
        one missing value.
        """
        wanted = set(QUESTIONS) if asked is None else set(asked)
        group = np.where(self.age >= 0, age_groups(np.maximum(self.age, 0)), -1)
        cols = {"sex": np.maximum(self.sex, -1), "age_group": group, "area": self.area}
        cols |= {k: np.maximum(v, -1) for k, v in self.single.items() if k in wanted}
        for k, m in self.multi.items():
            if k in wanted:
                bits = (m.astype(np.int64) << np.arange(m.shape[1])).sum(axis=1)
                cols[k] = np.where(self.skipped[k], -1, bits)
        if "comment" in wanted:
            cols["comment"] = pd.Series(self.comment, dtype=object).fillna("").to_numpy()
        return pd.util.hash_pandas_object(pd.DataFrame(cols), index=False)

    def to_canonical(self, mapping: SurveyMapping | None = None) -> pd.DataFrame:
        """The canonical frame (``schema.canonical_columns``) these answers clean to.

        "Vet ej", blanks and withheld sex become missing; with a ``mapping``,
        questions it does not ask are all-missing and listed in
        ``attrs["not_asked"]``, as the cleaning stage does. Identifier and
        timestamp columns are left out.
        """
        n = len(self)
        asked = set(mapping.asked) if mapping is not None else set(QUESTIONS)
        option = {option_column(q.name, lv): (q.name, j) for q in QUESTIONS.values()
                  if q.kind == "multi" for j, lv in enumerate(q.answer_scale.levels)}
        data: dict[str, object] = {}
        for col in canonical_columns(self.area_names):
            if col.question not in QUESTIONS:
                continue
            if col.name == "sex":
                values = pd.Categorical.from_codes(np.where(self.sex >= 0, self.sex, -1),
                                                   dtype=col.dtype)
            elif col.name == "age_group":
                codes = np.where(self.age >= 0, age_groups(np.maximum(self.age, 0)), -1)
                values = pd.Categorical.from_codes(codes, dtype=col.dtype)
            elif col.name == "area":
                values = pd.Categorical.from_codes(self.area, dtype=col.dtype)
            elif col.name in option:
                q, j = option[col.name]
                ticked = np.where(self.skipped[q], None,  # type: ignore[call-overload]
                                  self.multi[q][:, j])
                values = pd.array(ticked, dtype="boolean")
            elif col.name == "comment":
                values = pd.array(self.comment, dtype=pd.StringDtype())
            else:
                codes = self.single[col.name]
                values = pd.Categorical.from_codes(np.where(codes >= 0, codes, -1),
                                                   dtype=col.dtype)
            series = pd.Series(values, index=pd.RangeIndex(n))
            if col.question not in asked:
                series = series.where(np.zeros(n, dtype=bool))
            data[col.name] = series
        frame = pd.DataFrame(data)
        frame.attrs["not_asked"] = sorted(set(QUESTIONS) - asked)
        return frame


def concat_responses(parts: Sequence[Responses]) -> Responses:
    """Stack several :class:`Responses` (same areas) into one."""
    first = parts[0]
    return Responses(
        first.area_names,
        np.concatenate([p.sex for p in parts]), np.concatenate([p.age for p in parts]),
        np.concatenate([p.area for p in parts]),
        {k: np.concatenate([p.single[k] for p in parts]) for k in first.single},
        {k: np.concatenate([p.multi[k] for p in parts]) for k in first.multi},
        {k: np.concatenate([p.skipped[k] for p in parts]) for k in first.skipped},
        np.concatenate([p.comment for p in parts]), np.concatenate([p.latent for p in parts]),
    )


def _ordinal(y: np.ndarray, cuts: np.ndarray, asc: Sequence[str], scale: Scale) -> np.ndarray:
    """Cut ``y`` at ``cuts``; return indices into ``scale.levels`` of the labels ``asc``."""
    to_scale = np.array([scale.levels.index(label) for label in asc], dtype=np.int8)
    return to_scale[np.searchsorted(cuts, y)]


def _item_missing(codes: np.ndarray, rng: np.random.Generator, p_blank: np.ndarray,
                  p_dont_know: float | np.ndarray) -> np.ndarray:
    """Blank out a share of answers and turn a share into "Vet ej"."""
    u = rng.random(len(codes))
    codes = codes.copy()
    codes[u < p_dont_know] = DONT_KNOW
    codes[(u >= p_dont_know) & (u < p_dont_know + p_blank)] = BLANK
    return codes


def generate_responses(persons: pd.DataFrame, rng: np.random.Generator, *, year: int,
                       areas: Sequence[AreaProfile] = TROLLHATTAN,
                       latent: np.ndarray | None = None,
                       comments: Sequence[str] = (), comment_rate: float = 0.12,
                       background_blank: float = 0.0) -> Responses:
    """Answers to the whole canonical questionnaire for ``persons`` (vectorised).

    Parameters
    ----------
    persons
        ``sex`` (Kvinna/Man), ``age`` (years) and ``area`` (an area name or
        "Annat område"), one row per respondent.
    latent
        Their latent insecurity; drawn with :func:`latent_insecurity` if not
        given (the opt-in year passes the values it selected on).
    comments
        Pool of free-text comments; ``comment_rate`` of the respondents write
        one, ``{area}`` in a comment is replaced by the respondent's area.
    background_blank
        Share of respondents leaving each of sex, age and area blank (an open
        web survey; 0 where the register supplies them).

    Every question is answered as if asked; the export leaves out what a
    year did not ask. Each respondent answers at least one question.
    """
    n = len(persons)
    if latent is None:
        latent = latent_insecurity(persons, rng, year=year, areas=areas)
    sex = _sex_index(persons["sex"]).astype(np.int8)
    age = persons["age"].to_numpy().astype(np.int64)
    group = np.clip(age_groups(age), 0, 4)
    area = _area_index(persons["area"], areas)
    outside = area == len(areas)
    old = group == 4
    p_blank = np.where(old, P_BLANK_OLD, P_BLANK)
    L = latent
    single: dict[str, np.ndarray] = {}

    # Safety: the same latent by day and by night; among the very unsafe some
    # do not go out alone at all, more so the older they are.
    e = rng.standard_normal(n) * SAFE_NOISE
    evening = np.searchsorted(SAFE_CUTS, L + e)
    day = np.searchsorted(SAFE_CUTS, L + e + DAY_SHIFT + 0.35 * rng.standard_normal(n))
    stay_in = np.array([0.18, 0.15, 0.25, 0.45, 0.60])[group]
    stay_other = np.array([0.008, 0.008, 0.012, 0.04, 0.14])[group]
    for name, codes in (("safe_evening", evening), ("safe_day", day)):
        codes = codes.astype(np.int8)  # 0..3 = SAFE_ASC = first four levels of SAFETY
        codes[(codes == 3) & (rng.random(n) < stay_in)] = 4  # Går inte ut ensam p.g.a. otrygghet
        codes[rng.random(n) < stay_other] = 5  # Går inte ut av andra skäl
        single[name] = _item_missing(codes, rng, p_blank, P_DONT_KNOW)

    single["worry"] = _item_missing(
        _ordinal(L + rng.standard_normal(n), WORRY_CUTS, WORRY_ASC, WORRY), rng, p_blank, 0.0)
    single["refrained"] = _item_missing(
        _ordinal(0.9 * L + rng.standard_normal(n), REFRAINED_CUTS, REFRAINED_ASC, REFRAINED),
        rng, p_blank, 0.0)

    # Problems: the item's general level + the area's level and profile + how
    # insecure the respondent is. Respondents outside the municipality judge
    # an average area.
    level = np.append([0.5 * a.insecurity for a in areas], 0.0)[area]
    for item, base in PROBLEM_BASE.items():
        profile = np.append([a.problems.get(item, 0.0) for a in areas], 0.0)[area]
        y = base + level + profile + 0.45 * L + rng.standard_normal(n)
        single[f"problem_{item}"] = _item_missing(
            _ordinal(y, PROBLEM_CUTS, PROBLEM_ASC, PROBLEM), rng, p_blank + 0.01,
            PROBLEM_DONT_KNOW.get(item, 0.03))

    # Victimisation: yes/no per crime type.
    crime = np.append([np.log(a.crime_rate / 100.0) for a in areas], 0.0)[area]
    for item, base in VICTIM_BASE.items():
        logit = (np.log(base / (1 - base)) + 0.35 * crime + 0.25 * L
                 + np.where(group == 0, VICTIM_YOUNG.get(item, 0.0), 0.0)
                 + np.where(group >= 3, VICTIM_OLD.get(item, 0.0), 0.0)
                 + VICTIM_TREND.get(year, {}).get(item, 0.0))
        yes = rng.random(n) < _logistic(logit)
        single[f"victim_{item}"] = _item_missing(np.where(yes, 0, 1).astype(np.int8), rng,
                                                 p_blank + 0.01, 0.0)

    for name, shift in (("trust_police", 0.0), ("trust_municipality", TRUST_MUNICIPALITY_SHIFT)):
        y = 0.35 * L + shift + rng.standard_normal(n)
        single[name] = _item_missing(_ordinal(y, TRUST_CUTS, TRUST_ASC, TRUST), rng, p_blank,
                                     0.06)

    multi: dict[str, np.ndarray] = {}
    skipped: dict[str, np.ndarray] = {}

    # Relation: residents live there; some also work or spend time there.
    # People from elsewhere work or spend time in the municipality.
    works = rng.random(n) < np.where((group >= 1) & (group <= 2), 0.32, 0.07)
    visits = rng.random(n) < 0.18
    lives = ~outside & (rng.random(n) < 0.985)
    works |= outside & ~visits
    visits |= ~lives & ~works
    multi["relation"] = np.column_stack([lives, works, visits])
    skipped["relation"] = rng.random(n) < 0.01

    # Most unsafe times: the secure say "Aldrig"; the others mostly name the
    # dark hours, daytime rarely. "Aldrig" excludes the other options.
    p_never = np.array([0.72, 0.30, 0.03, 0.01, 0.01, 0.25])[np.maximum(single["safe_evening"], 0)]
    never = rng.random(n) < np.where(single["safe_evening"] < 0, 0.3, p_never)
    times = np.column_stack([
        rng.random(n) < _logistic(TIMES_LOGIT[t] + 0.45 * L) for t in UNSAFE_TIMES.levels[:-1]
    ])
    none = ~times.any(axis=1)
    times[none, UNSAFE_TIMES.levels.index("Kväll")] = True
    times[never] = False
    multi["unsafe_times"] = np.column_stack([times, never])
    skipped["unsafe_times"] = rng.random(n) < p_blank + 0.01

    # Priorities: up to three, by successive sampling (Gumbel-top-k) with
    # weights that vary a little by area kind and sex.
    log_w = np.tile(np.log([PRIORITY_WEIGHTS[p] for p in PRIORITIES.levels]), (n, 1))
    kinds = np.append([a.kind for a in areas], "centre")[area]
    for kind, factors in PRIORITY_KIND.items():
        for label, f in factors.items():
            log_w[kinds == kind, PRIORITIES.levels.index(label)] += np.log(f)
    log_w[sex == 0, PRIORITIES.levels.index("Våld utomhus")] += np.log(1.12)
    log_w[sex == 0, PRIORITIES.levels.index("Tillgänglighet")] += np.log(1.08)
    log_w[sex == 1, PRIORITIES.levels.index("Trafik")] += np.log(1.3)
    key = log_w + rng.gumbel(size=log_w.shape)
    rank = np.argsort(np.argsort(-key, axis=1), axis=1)
    k = 1 + np.searchsorted(np.cumsum(PRIORITY_COUNT), rng.random(n) * 0.999999)
    multi["priorities"] = rank < k[:, None]
    skipped["priorities"] = rng.random(n) < 0.04

    # Free text: a share writes a comment from the pool.
    comment = np.full(n, None, dtype=object)
    if comments:
        writes = np.flatnonzero(rng.random(n) < comment_rate)
        picks = rng.integers(0, len(comments), size=len(writes))
        # Every comment written out for every area once; respondents index it.
        names = [a.name for a in areas] + ["stan"]
        table = np.array([[c.replace("{area}", name) for name in names] for c in comments],
                         dtype=object)
        comment[writes] = table[picks, area[writes]]

    # Background as reported. An open web survey leaves some of it blank or
    # withheld; the register never does.
    sex_rep = sex.copy()
    age_rep = age.copy()
    area_rep = area.copy()
    if background_blank:
        u = rng.random(n)
        sex_rep[u < background_blank] = BLANK
        sex_rep[(u >= background_blank) & (u < 2 * background_blank)] = WITHHELD
        age_rep[rng.random(n) < background_blank] = -1
        area_rep[rng.random(n) < background_blank / 2] = -1

    out = Responses([a.name for a in areas], sex_rep, age_rep, area_rep, single, multi,
                    skipped, comment, np.asarray(L, dtype=float))
    _ensure_answered(out)
    return out


def _ensure_answered(r: Responses, asked: Sequence[str] | None = None) -> None:
    """Give anyone with no substantive answer to an ``asked`` question a safe_evening
    answer (in place): a row without answers is a different kind of row."""
    wanted = set(QUESTIONS) if asked is None else set(asked)
    answered = np.zeros(len(r), dtype=bool)
    for name, codes in r.single.items():
        if name in wanted:
            answered |= codes >= 0
    for name in ("unsafe_times", "priorities"):
        if name in wanted:
            answered |= ~r.skipped[name]
    r.single["safe_evening"][~answered] = SAFETY.levels.index("Ganska trygg")


# ---------------------------------------------------------------------------
# Free text (synthetic)
# ---------------------------------------------------------------------------

COMMENTS = (
    "Mer polis ute på helgkvällarna, särskilt runt resecentrum.",
    "Bättre belysning på gång- och cykelvägarna, det är kolsvart på vintern.",
    "Buskarna vid busshållplatsen borde klippas ner.",
    "Jag känner mig trygg där jag bor.",
    "Ungdomar samlas vid skolan på kvällarna och skränar.",
    "Bra att ni frågar!",
    "Det körs alldeles för fort på vår gata.",
    "Svårt att nå polisen, man kommer aldrig fram på 114 14.",
    "Mopeder som kör på gångvägarna.",
    "Cykelstölder vid stationen hela tiden.",
    "Fler vuxna ute på kvällarna, t.ex. nattvandrare.",
    "Kameraövervakning vid resecentrum.",
    "Det har blivit lugnare det senaste året.",
    "Inbrott i förråden i vårt hus, ingen gör något.",
    "Klotter överallt i tunneln under järnvägen.",
    "Öppen langning vid torget.",
    "Jag går aldrig ut efter mörkrets inbrott.",
    "Skräpigt i parken efter helgerna.",
    "Fler papperskorgar behövs.",
    "Bra jobbat med trygghetsvandringarna!",
    "Vet inte vem man ska vända sig till.",
    "Enkäten var för lång.",
    "Otryggt vid centrumet i {area} på kvällen.",
    "Fler poliser i {area}!",
    "Lugnt och skönt i {area}.",
    "Belysningen vid skolan i {area} är trasig sedan i våras.",
    "Två saker:\n1. Belysningen\n2. Hastigheten på infarten",
    'Polisen "syns inte"; varken dag eller kväll.',
    "Bilar som spelar hög musik på parkeringen, varje fredag.",
    "Äldre känner sig otrygga att gå till affären när det är mörkt.",
)

# Personal-looking and hostile strings, each placed exactly once per year in a
# valid respondent's comment (and the first also in one quarantined row): they
# test that free text never reaches a report and that CSV/XLSX output is
# neutralised against formula injection. Names, addresses and numbers are
# invented (070-174 06 xx is PTS's range for fiction; 19121212-1212 is
# Skatteverket's test person).
PLANTED_COMMENTS = (
    '=HYPERLINK("http://example.invalid","klicka här")',
    "+46 70 123 45 67 ring mig",
    "-- bra jobbat",
    "@polisen",
    "=1+1",
    "Kalle på Storgatan 5 spelar hög musik varje natt.",
    "Grannen Anna Svensson på Parkvägen 12 langar, alla vet det.",
    "Jag heter Tolvan Tolvansson (19121212-1212), ring 070-174 06 42.",
    "Mejla mig på anna.svensson@example.com",
)
UTF8_ONLY_COMMENTS = ("Tack för att ni lyssnar 👍",)


# ---------------------------------------------------------------------------
# The survey years: design, formats and the mess added
# ---------------------------------------------------------------------------

QUARANTINE_REASONS = ("tom_rad", "inga_svar", "ogiltig_alder", "okant_omrade",
                      "okant_svarsalternativ", "for_manga_val", "ogiltigt_datum",
                      "saknar_bakgrund")
DUPLICATE_KINDS = ("samma_id", "identiska_svar")


@dataclass(frozen=True)
class YearSpec:
    """How one survey year's sample is drawn and its export written.

    ``n_clean`` valid, distinct respondents; ``quarantine`` rows per reason
    and ``duplicates`` rows per kind are added on top, so the cleaning stage
    must find exactly ``n_clean`` clean rows.
    """

    year: int
    n_clean: int
    quarantine: dict[str, int]
    duplicates: dict[str, int]
    period: tuple[str, str]
    peaks: tuple[str, ...]            # days with a mailing or a push: more answers
    encoding: str | None = None       # CSV only
    delimiter: str = ","
    n_outside: int = 0                # opt-in: respondents living elsewhere
    background_blank: float = 0.0
    web_share: float = 1.0            # the rest answered on paper
    variant_share: dict[str, float] = field(default_factory=dict, hash=False)
    paper_variants: tuple[str, ...] = ()  # scales whose variants mark paper forms
    label_mess_rows: float = 0.03     # share of rows with a case/whitespace variant
    comment_rate: float = 0.12
    area_alias_share: float = 0.0     # names: share written as alias / variant / postcode
    text_age_share: float = 0.0       # "45 år"
    slash_date_share: float = 0.0     # "03/10/2019 14:22"


SPECS: dict[int, YearSpec] = {
    2019: YearSpec(
        2019, 1417,
        quarantine={"tom_rad": 4, "inga_svar": 12, "ogiltig_alder": 6, "okant_omrade": 6,
                    "okant_svarsalternativ": 7, "for_manga_val": 9, "ogiltigt_datum": 3},
        duplicates={"samma_id": 11, "identiska_svar": 9},
        period=("2019-09-16", "2019-10-31"), peaks=("2019-09-16", "2019-09-28", "2019-10-10"),
        encoding="utf-8-sig", delimiter=",", n_outside=24, background_blank=0.012,
        variant_share={"safety": 1.0, "priorities": 1.0, "relation": 1.0, "sex": 0.04},
        comment_rate=0.17, area_alias_share=0.06, text_age_share=0.012, slash_date_share=0.12,
    ),
    2020: YearSpec(
        2020, 1124,
        quarantine={"tom_rad": 2, "inga_svar": 9, "ogiltig_alder": 3, "okant_omrade": 3,
                    "okant_svarsalternativ": 4, "for_manga_val": 6, "ogiltigt_datum": 2,
                    "saknar_bakgrund": 3},
        duplicates={"samma_id": 7, "identiska_svar": 2},
        period=("2020-09-28", "2020-11-20"), peaks=("2020-09-28", "2020-10-12", "2020-10-26"),
        encoding="cp1252", delimiter=";", web_share=0.58,
        variant_share={"safety": 1.0, "sex": 1.0, "trust": 1.0}, paper_variants=("safety",),
        comment_rate=0.11,
    ),
    2021: YearSpec(
        2021, 1163,
        quarantine={"tom_rad": 2, "inga_svar": 8, "ogiltig_alder": 2, "okant_omrade": 3,
                    "okant_svarsalternativ": 4, "for_manga_val": 5, "ogiltigt_datum": 2,
                    "saknar_bakgrund": 2},
        duplicates={"samma_id": 6, "identiska_svar": 3},
        period=("2021-09-20", "2021-11-12"), peaks=("2021-09-20", "2021-10-04", "2021-10-18"),
        web_share=0.66,
        variant_share={"safety": 1.0, "problem": 1.0, "priorities": 1.0, "relation": 1.0},
        comment_rate=0.11,
    ),
}

# Values that make a row invalid for exactly one reason.
BAD_AGES = {"age": ["7", "134", "2", "fyrtio", "150 år", "0"],
            "birth_year": ["1890", "2015", "1899", "19xx"]}
UNKNOWN_AREAS = ("Vänersborg", "Kronogårdn", "Göteborg", "Trollhätan", "Uddevalla", "Sylten")
UNKNOWN_POSTCODES = ("462 33", "451 50", "46299")
UNKNOWN_LABELS = {"safety": ["Trygg", "Ganska otryg", "Otrygg"],
                  "worry": ["Ibland", "Ofta"],
                  "problem": ["Stort problem", "Litet problem"],
                  "trust": ["Stort", "Inget förtroende"],
                  "refrained": ["Kanske"],
                  "yes_no": ["Kanske"]}
UNKNOWN_OPTIONS = {"unsafe_times": "Helger", "priorities": "Fler poliser"}
BAD_DATES = {2019: ("igår", "2019-13-03 25:61:00", "32/10/2019 14:22"),
             2020: ("2020-02-30", "okänt"),
             2021: ("15/13/2021", "saknas")}
IGNORED_VALUES = {
    "Hur fick du kännedom om enkäten?": (
        ("Facebook", 0.52), ("Kommunens webbplats", 0.12), ("Polisens webbplats", 0.09),
        ("Dialogmöte i centrum", 0.08), ("Grannsamverkan", 0.08), ("Annat", 0.06), ("", 0.05)),
    "Urvalsstratum": (("Hela kommunen", 1.0),),
}


# ---------------------------------------------------------------------------
# Rendering: answers → the survey tool's raw cells
# ---------------------------------------------------------------------------


@dataclass
class RawTable:
    """A raw export as columns of Python objects (``None`` = empty cell)."""

    columns: list[str]
    data: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(next(iter(self.data.values()))) if self.data else 0

    def take(self, idx: np.ndarray) -> RawTable:
        return RawTable(list(self.columns), {c: v[idx].copy() for c, v in self.data.items()})

    def rows(self) -> list[list[object]]:
        return [list(r) for r in zip(*(self.data[c] for c in self.columns), strict=True)]


def concat_raw(parts: Sequence[RawTable]) -> RawTable:
    cols = parts[0].columns
    return RawTable(list(cols), {c: np.concatenate([p.data[c] for p in parts]) for c in cols})


def _source_file(mapping: SurveyMapping) -> str:
    """The export's file name (every sample mapping names one)."""
    if mapping.source.file is None:
        raise ValueError(f"{mapping.path}: the sample's mapping names no source file")
    return mapping.source.file


def _header(mapping: SurveyMapping, field_: str) -> str:
    """The export header of a one-column field."""
    spec = mapping.columns[field_]
    if not isinstance(spec, str):
        raise TypeError(f"{field_} is not a one-column field in {mapping.path}")
    return spec


def _options(spec: Multi) -> dict[str, str]:
    """Option → header of a multi-select written as one column per option."""
    if spec.header is not None:
        raise TypeError("a multi-select without a header has one column per option")
    return spec.options


def _sent(mapping: SurveyMapping) -> int:
    """How many were sent the survey (a probability design says)."""
    if mapping.design.sent is None:
        raise ValueError(f"{mapping.path}: a probability design names how many were sent")
    return mapping.design.sent


def _yaml_variants(mapping: SurveyMapping) -> dict[str, dict[str | None, list[str]]]:
    """The mapping's label variants with their original spelling: scale → label → variants.

    ``load_mapping`` folds variants to match them; a tool's export shows them
    as written in the YAML, so they are read from the file itself. A variant
    mapped to null is listed under the key ``None``.
    """
    raw = read_yaml(mapping.path).get("labels") or {}
    out: dict[str, dict[str | None, list[str]]] = {}
    for scale, variants in raw.items():
        per: dict[str | None, list[str]] = {}
        for variant, label in (variants or {}).items():
            per.setdefault(label, []).append(str(variant))
        out[scale] = per
    return out


class Renderer:
    """Writes answers the way one year's survey tool did (labels, layout, formats)."""

    def __init__(self, mapping: SurveyMapping, spec: YearSpec, rng: np.random.Generator):
        self.mapping = mapping
        self.spec = spec
        self.rng = rng
        self.variants = _yaml_variants(mapping)

    # -- labels ---------------------------------------------------------------

    def labels(self, scale: Scale, codes: np.ndarray, *, variant_rows: np.ndarray | None = None
               ) -> np.ndarray:
        """Label strings for ``codes`` of ``scale`` (None for BLANK).

        Where the mapping lists a variant for a label, ``variant_share`` of the
        rows (or the rows in ``variant_rows``) get the variant. "Vet ej" is
        written as the scale's null-variant if the mapping has one
        ("Vet inte" in 2020).
        """
        variants = self.variants.get(scale.name, {})
        share = self.spec.variant_share.get(scale.name, 0.0)
        n = len(codes)
        use = variant_rows if variant_rows is not None else self.rng.random(n) < share
        plain = np.array(list(scale.levels) + ["Vet ej"], dtype=object)
        alt = np.array([variants.get(lv, [lv])[0] for lv in scale.levels]
                       + [variants.get(None, ["Vet ej"])[0] if share else "Vet ej"], dtype=object)
        idx = np.where(codes == DONT_KNOW, len(scale.levels), codes)
        out = np.where(use, alt[np.maximum(idx, 0)], plain[np.maximum(idx, 0)]).astype(object)
        out[codes == BLANK] = None
        return out

    def option_labels(self, scale: Scale, use_variant: bool) -> list[str]:
        variants = self.variants.get(scale.name, {})
        return [variants.get(lv, [lv])[0] if use_variant else lv for lv in scale.levels]

    # -- the table ------------------------------------------------------------

    def render(self, r: Responses, *, ids: np.ndarray, submitted: np.ndarray,
               paper: np.ndarray) -> RawTable:
        """The raw export rows for respondents ``r`` (before mess)."""
        m = self.mapping
        n = len(r)
        data: dict[str, np.ndarray] = {}
        columns: list[str] = []

        def put(header: str, values: np.ndarray) -> None:
            columns.append(header)
            data[header] = np.asarray(values, dtype=object)

        for name, spec in m.columns.items():
            if name == "comment":
                self._ignored(put, n, paper, before="comment")
            if isinstance(spec, Multi):
                q = QUESTIONS[name]
                if spec.header:
                    put(spec.header, self.joined(q.answer_scale, r.multi[name], r.skipped[name],
                                                 spec.separator))
                else:
                    for j, level in enumerate(q.answer_scale.levels):
                        put(_options(spec)[level], self.ticks(r.multi[name][:, j],
                                                              r.skipped[name]))
            elif name == "respondent_id":
                put(spec, ids)
            elif name == "submitted":
                put(spec, self.timestamps(submitted, paper))
            elif name == "sex":
                put(spec, self.sex(r.sex))
            elif name == "age":
                put(spec, self.age(r.age))
            elif name == "birth_year":
                put(spec, np.array([None if a < 0 else str(self.spec.year - a) for a in r.age],
                                   dtype=object))
            elif name == "area":
                put(spec, self.area(r.area, r.area_names))
            elif name == "comment":
                put(spec, r.comment)
            else:
                scale = QUESTIONS[name].answer_scale
                rows = paper if scale.name in self.spec.paper_variants else None
                put(spec, self.labels(scale, r.single[name], variant_rows=rows))
            if name in ("submitted", "area"):
                self._ignored(put, n, paper, after=name)
        self._ignored(put, n, paper, rest=set(columns))
        return RawTable(columns, data)

    # Where a tool puts the columns the mapping ignores: after this field.
    IGNORED_AFTER = {"IP-adress": "submitted", "Svarsform": "submitted",
                     "Urvalsstratum": "area"}

    def _ignored(self, put: Callable, n: int, paper: np.ndarray, *, after: str | None = None,
                 before: str | None = None, rest: set[str] | None = None) -> None:
        """Insert the mapping's ``ignore`` columns where a tool would have them
        (``after`` a field, ``before`` the comment, or the ``rest`` at the end)."""
        for header in self.mapping.ignore:
            place = self.IGNORED_AFTER.get(header)
            if rest is not None:
                if header in rest:
                    continue
            elif after is not None and place != after or before is not None and place is not None:
                continue
            if header == "IP-adress":
                octet = self.rng.integers(1, 255, size=n)
                put(header, np.array([f"192.0.2.{o}" for o in octet], dtype=object))
            elif header == "Svarsform":
                put(header, np.where(paper, "Papper", "Webb").astype(object))
            else:
                options = IGNORED_VALUES.get(header, (("", 1.0),))
                p = np.array([w for _, w in options])
                pick = self.rng.choice(len(options), size=n, p=p / p.sum())
                put(header, np.array([v or None for v, _ in options], dtype=object)[pick])

    def sex(self, codes: np.ndarray) -> np.ndarray:
        out = self.labels(QUESTIONS["sex"].answer_scale,
                          np.where(codes == WITHHELD, BLANK, codes))
        withheld = np.flatnonzero(codes == WITHHELD)
        nulls = self.variants.get("sex", {}).get(None, []) + ["Vill ej uppge"]
        out[withheld] = np.array(nulls, dtype=object)[np.arange(len(withheld)) % len(nulls)]
        return out

    def age(self, age: np.ndarray) -> np.ndarray:
        """Ages as the tool writes them: numbers (xlsx), digits, or "45 år" in free entry."""
        if _source_file(self.mapping).endswith(".xlsx"):
            return np.array([None if a < 0 else int(a) for a in age], dtype=object)
        text = self.rng.random(len(age)) < self.spec.text_age_share
        return np.array([None if a < 0 else (f"{a} år" if t else str(a))
                         for a, t in zip(age, text, strict=True)], dtype=object)

    def area(self, codes: np.ndarray, area_names: Sequence[str]) -> np.ndarray:
        """Area names, or postcodes if the export has a postcode column.

        Free-text area answers come as written: mostly the name, some as an
        alias, in another case, or as a postcode; outsiders write one of the
        mapping's other-area labels. ``codes`` index ``area_names``.
        """
        m = self.mapping
        n = len(codes)
        postcode_column = "postnummer" in normalise(m.columns["area"])
        out = np.empty(n, dtype=object)
        u = self.rng.random(n)
        pick = self.rng.integers(0, 1_000_000, size=n)
        share = self.spec.area_alias_share
        for i, c in enumerate(codes):
            if c < 0:
                out[i] = None
                continue
            if c == len(area_names):
                others = m.other_area_aliases
                out[i] = others[pick[i] % len(others)]
                continue
            area = m.areas[area_names[c]]
            if postcode_column or (share and u[i] < share * 0.2 and area.postcodes):
                pc = area.postcodes[pick[i] % len(area.postcodes)]
                out[i] = f"{pc[:3]} {pc[3:]}" if (pick[i] // 7) % 5 < 3 else pc
            elif share and u[i] < share * 0.6 and area.aliases:
                out[i] = area.aliases[pick[i] % len(area.aliases)]
            elif share and u[i] < share:
                out[i] = (area.name.lower(), f" {area.name}", area.name.upper())[pick[i] % 3]
            else:
                out[i] = area.name
        return out

    def joined(self, scale: Scale, ticked: np.ndarray, skipped: np.ndarray, sep: str
               ) -> np.ndarray:
        """One cell per respondent: the ticked options joined ("Kväll; Natt")."""
        share = self.spec.variant_share.get(scale.name, 0.0)
        labels = self.option_labels(scale, share >= 0.5)
        glue = f"{sep} " if sep != "," else ", "
        out = np.empty(len(ticked), dtype=object)
        for i in range(len(ticked)):
            chosen = [labels[j] for j in np.flatnonzero(ticked[i])]
            out[i] = None if skipped[i] or not chosen else glue.join(chosen)
        return out

    def ticks(self, ticked: np.ndarray, skipped: np.ndarray) -> np.ndarray:
        """One cell per respondent and option: the mapping's checked/unchecked marks."""
        on, off = self._marks()
        out = np.where(ticked, on, off).astype(object)  # type: ignore[arg-type]
        out[skipped] = None
        return out

    def _marks(self) -> tuple[str, str | None]:
        checked = self.mapping.checked
        unchecked = self.mapping.unchecked
        on = "1" if "1" in checked else "X"
        off = "0" if "0" in unchecked else None
        return on, off

    def timestamps(self, t: np.ndarray, paper: np.ndarray) -> np.ndarray:
        """Submission times as the tool writes them.

        ISO with seconds for the web, a few in "DD/MM/YYYY HH:MM" (answers
        keyed in from paper at the dialogue event) where ``slash_date_share``
        is set, a date alone for paper forms in a CSV, real datetimes in xlsx.
        """
        iso = np.datetime_as_string(t.astype("datetime64[s]"), unit="s")
        if _source_file(self.mapping).endswith(".xlsx"):
            return np.array([datetime.fromisoformat(s) for s in iso], dtype=object)
        slash = self.rng.random(len(t)) < self.spec.slash_date_share
        out = np.empty(len(t), dtype=object)
        for i, s in enumerate(iso):
            if paper[i]:
                out[i] = s[:10]
            elif slash[i]:
                out[i] = f"{s[8:10]}/{s[5:7]}/{s[:4]} {s[11:16]}"
            else:
                out[i] = s.replace("T", " ")
        return out


# ---------------------------------------------------------------------------
# One year's export: sample, answers, mess
# ---------------------------------------------------------------------------


@dataclass
class YearSample:
    """One generated survey year: its file, its truth and its ledger."""

    year: int
    path: Path
    rows_in: int
    n_clean: int
    quarantine: dict[str, int]
    duplicates: dict[str, int]
    sent: int | None
    responded: int
    truth: pd.DataFrame          # canonical frame of the clean respondents
    persons: pd.DataFrame        # their register background (true sex, age, area)
    responses: Responses         # the same respondents in code form


def _submission_times(n: int, spec: YearSpec, rng: np.random.Generator,
                      paper: np.ndarray) -> np.ndarray:
    """Times of submission: most soon after a mailing or push, evenings for the web."""
    start = np.datetime64(spec.period[0], "D")
    end = np.datetime64(spec.period[1], "D")
    days = np.arange(start, end + 1)
    offset = (days - start).astype(float)
    w = 0.15 + np.zeros(len(days))
    for peak in spec.peaks:
        d = (days - np.datetime64(peak, "D")).astype(float)
        w += np.where(d >= 0, np.exp(-d / 3.5), 0.0)
    w *= np.exp(-offset / 60)
    day = days[rng.choice(len(days), size=n, p=w / w.sum())]
    # Paper forms arrive by post a few days later, on weekdays.
    post = day + rng.integers(2, 6, size=n).astype("timedelta64[D]")
    post = np.busday_offset(post, 0, roll="forward")
    day = np.where(paper, np.minimum(post, end), day)
    hour_w = np.array([1, .5, .3, .2, .2, .4, 1.2, 2.5, 3, 3, 3, 3.2, 3.5, 3.2, 3, 3.2, 3.8,
                       4.2, 5, 6, 6.5, 6, 4.5, 2.5])
    hour = rng.choice(24, size=n, p=hour_w / hour_w.sum())
    seconds = hour * 3600 + rng.integers(0, 3600, size=n)
    return day.astype("datetime64[s]") + seconds.astype("timedelta64[s]")


def _make_unique(r: Responses, rng: np.random.Generator, asked: Sequence[str]) -> None:
    """Change answers until no two respondents have identical answers (in place).

    Two valid respondents with identical answers submitted minutes apart would
    be removed as a double submission; the designed duplicates must be the
    only ones. Nudges ``safe_day`` of the later respondent to another answer.
    """
    for _ in range(100):
        dup = np.flatnonzero(r.signature(asked).duplicated().to_numpy())
        if not len(dup):
            return
        codes = r.single["safe_day"]
        codes[dup] = rng.integers(0, 4, size=len(dup))
    raise RuntimeError("could not make the sample's answers distinct")


def _case_mess(value: str, k: int) -> str:
    """A case or whitespace variant of ``value`` that folds back to it."""
    return (f"  {value.lower()}", value.upper(), f"{value} ", value.lower(),
            value.replace(" ", "  ", 1) if " " in value else f" {value}")[k % 5]


def build_export(mapping: SurveyMapping, spec: YearSpec, seed: int,
                 register: pd.DataFrame) -> tuple[RawTable, YearSample]:
    """Draw the year's respondents, answer, render, and add the designed mess.

    Returns the raw table (rows in file order) and the year's ledger.
    """
    rng = np.random.default_rng([seed, spec.year, 1])
    year = spec.year
    n_bad_persons = sum(v for k, v in spec.quarantine.items() if k != "tom_rad")
    n_people = spec.n_clean + n_bad_persons

    # 1. Who answers.
    if mapping.design.is_probability:
        sent = _sent(mapping)
        drawn = np.sort(rng.choice(len(register), size=sent, replace=False))
        sample = register.iloc[drawn].reset_index(drop=True)
        sample["lopnr"] = np.arange(1, sent + 1)
        chosen = respond(sample, n_people, rng)
        persons = sample.iloc[chosen].reset_index(drop=True)
        latent = latent_insecurity(persons, rng, year=year)
        base_ids = persons["lopnr"].to_numpy()
    else:
        sent = None
        latent_all = latent_insecurity(register, rng, year=year)
        n_inside = n_people - spec.n_outside
        chosen = self_select(register, latent_all, n_inside, rng)
        inside = register.iloc[chosen].reset_index(drop=True)
        outside = pd.DataFrame({
            "person_id": -1,
            "area": OTHER_AREA,
            "sex": np.where(rng.random(spec.n_outside) < 0.6, "Kvinna", "Man"),
            "age": rng.integers(19, 72, size=spec.n_outside),
        })
        persons = pd.concat([inside, outside], ignore_index=True)
        latent = np.concatenate([latent_all[chosen],
                                 latent_insecurity(outside, rng, year=year)])
        order = rng.permutation(len(persons))
        persons, latent = persons.iloc[order].reset_index(drop=True), latent[order]
        base_ids = None

    pool = list(COMMENTS)
    responses = generate_responses(persons, rng, year=year, latent=latent, comments=pool,
                                   comment_rate=spec.comment_rate,
                                   background_blank=spec.background_blank)
    _ensure_answered(responses, mapping.asked)

    # 2. Which of them become the quarantine-bound rows (one reason each).
    bad = rng.permutation(n_people)
    valid_idx = np.sort(bad[:spec.n_clean])
    reasons: list[str] = []
    for reason in QUARANTINE_REASONS:
        if reason != "tom_rad":
            reasons += [reason] * spec.quarantine.get(reason, 0)
    bad_idx = bad[spec.n_clean:]

    # Plant the personal/hostile comments in valid rows, one each.
    planted = list(PLANTED_COMMENTS)
    if spec.encoding != "cp1252":
        planted += list(UTF8_ONLY_COMMENTS)
    hosts = rng.choice(valid_idx, size=len(planted), replace=False)
    responses.comment[hosts] = np.array(planted, dtype=object)
    # A bad row's background must be complete so it fails only for its reason.
    r_bad = responses.take(bad_idx)
    truth_persons = persons.iloc[bad_idx]
    r_bad.sex = _sex_index(truth_persons["sex"]).astype(np.int8)
    r_bad.age = truth_persons["age"].to_numpy().astype(np.int64)
    r_bad.area = _area_index(truth_persons["area"], TROLLHATTAN)
    # One hostile comment also goes to quarantine (a row whose comment survives).
    if "okant_omrade" in reasons:
        r_bad.comment[reasons.index("okant_omrade")] = PLANTED_COMMENTS[0]

    r_valid = responses.take(valid_idx)
    _make_unique(r_valid, rng, mapping.asked)

    # 3. When, how and under which id they answered.
    paper_valid = rng.random(len(r_valid)) >= spec.web_share
    paper_bad = rng.random(len(r_bad)) >= spec.web_share
    t_valid = _submission_times(len(r_valid), spec, rng, paper_valid)
    t_bad = _submission_times(len(r_bad), spec, rng, paper_bad)

    renderer = Renderer(mapping, spec, rng)
    id_header = _header(mapping, "respondent_id")
    ts_header = _header(mapping, "submitted")
    ids_valid = None if base_ids is None else _format_ids(base_ids[valid_idx], year)
    ids_bad = None if base_ids is None else _format_ids(base_ids[bad_idx], year)
    raw_valid = renderer.render(r_valid, ids=ids_valid if ids_valid is not None
                                else np.full(len(r_valid), None, dtype=object),
                                submitted=t_valid, paper=paper_valid)
    raw_bad = renderer.render(r_bad, ids=ids_bad if ids_bad is not None
                              else np.full(len(r_bad), None, dtype=object),
                              submitted=t_bad, paper=paper_bad)
    _label_mess(raw_valid, r_valid, mapping, spec, rng)

    # 4. Corrupt each bad row for its one reason.
    mess = Mess(mapping, renderer, rng)
    for i, reason in enumerate(reasons):
        mess.corrupt(raw_bad, i, reason, r_bad)

    # 5. Duplicates of valid rows.
    dup_parts, dup_times, dup_source, dup_kind = [], [], [], []
    n_same, n_ident = spec.duplicates.get("samma_id", 0), spec.duplicates.get("identiska_svar", 0)
    src = rng.choice(np.flatnonzero(~paper_valid), size=n_same + n_ident, replace=False)
    for k, i in enumerate(src):
        row = raw_valid.take(np.array([i]))
        if k < n_same:
            # Resubmitted under the same id, hours or days later, some answers changed.
            mess.change_answers(row, r_valid.take(np.array([i])))
            later = t_valid[i] + np.timedelta64(int(rng.integers(3600, 4 * 86400)), "s")
            is_paper = bool(mapping.design.is_probability and rng.random() < 0.5)
            dup_kind.append("samma_id")
            if is_paper:
                later = later.astype("datetime64[D]").astype("datetime64[s]") + np.timedelta64(
                    2 * 86400, "s")
                if "Svarsform" in row.data:
                    row.data["Svarsform"][0] = "Papper"
            row.data[ts_header] = renderer.timestamps(np.array([later]), np.array([is_paper]))
        else:
            # Double submission: the same answers a few minutes later, a new id.
            later = t_valid[i] + np.timedelta64(int(rng.integers(90, 480)), "s")
            dup_kind.append("identiska_svar")
            row.data[ts_header] = _shift_like(raw_valid.data[ts_header][i], later, renderer)
        dup_parts.append(row)
        dup_times.append(later)
        dup_source.append(i)

    # 6. Assemble in submission order, give ids, add blank rows.
    parts = [raw_valid, raw_bad, *dup_parts]
    raw = concat_raw(parts)
    times = np.concatenate([t_valid, t_bad, np.array(dup_times, dtype="datetime64[s]")])
    kind = np.array(["valid"] * len(raw_valid) + ["bad"] * len(raw_bad) + dup_kind, dtype=object)
    source = np.concatenate([np.arange(len(raw_valid)), np.full(len(raw_bad), -1),
                             np.array(dup_source, dtype=np.int64)])
    order = np.argsort(times, kind="stable")
    raw, kind, source = raw.take(order), kind[order], source[order]
    if base_ids is None:
        # A web tool numbers submissions in order; a resubmission keeps its id.
        ids = np.empty(len(raw), dtype=object)
        fresh = kind != "samma_id"
        ids[fresh] = [str(100000 + k) for k in range(1, int(fresh.sum()) + 1)]
        pos_of_valid = {int(s): p for p, (s, k) in enumerate(zip(source, kind, strict=True))
                        if k == "valid"}
        for p in np.flatnonzero(~fresh):
            ids[p] = ids[pos_of_valid[int(source[p])]]
        raw.data[id_header] = ids
    else:
        # A double-posted web form got a number the sample never used.
        new = np.flatnonzero(kind == "identiska_svar")
        extra = np.arange(_sent(mapping) + 1, _sent(mapping) + 1 + len(new)) + 7000
        raw.data[id_header][new] = _format_ids(extra, year)

    n_blank = spec.quarantine.get("tom_rad", 0)
    if n_blank:
        blank = RawTable(list(raw.columns), {c: np.full(n_blank, None, dtype=object)
                                             for c in raw.columns})
        at = np.sort(rng.choice(np.arange(1, len(raw)), size=n_blank, replace=False))
        raw = _insert_rows(raw, blank, at)

    truth = r_valid.to_canonical(mapping)
    ledger = YearSample(
        year=year, path=Path(_source_file(mapping)), rows_in=len(raw), n_clean=spec.n_clean,
        quarantine={k: spec.quarantine.get(k, 0) for k in QUARANTINE_REASONS
                    if spec.quarantine.get(k, 0)},
        duplicates={k: spec.duplicates.get(k, 0) for k in DUPLICATE_KINDS},
        sent=sent, responded=n_people, truth=truth,
        persons=persons.iloc[valid_idx].reset_index(drop=True), responses=r_valid,
    )
    return raw, ledger


def _format_ids(numbers: np.ndarray, year: int) -> np.ndarray:
    """Ids as each year's tool writes them: "457" (2020), "TM21-00457" (2021)."""
    if year >= 2021:
        return np.array([f"TM{year % 100}-{int(x):05d}" for x in numbers], dtype=object)
    return np.array([str(int(x)) for x in numbers], dtype=object)


def _shift_like(original: object, later: np.datetime64, renderer: Renderer) -> np.ndarray:
    """Write ``later`` in the same format as ``original`` (a double click keeps the format)."""
    s = np.datetime_as_string(later.astype("datetime64[s]"), unit="s")
    if isinstance(original, datetime):
        return np.array([datetime.fromisoformat(s)], dtype=object)
    if isinstance(original, str) and "/" in original:
        return np.array([f"{s[8:10]}/{s[5:7]}/{s[:4]} {s[11:16]}"], dtype=object)
    return np.array([s.replace("T", " ")], dtype=object)


def _insert_rows(raw: RawTable, extra: RawTable, at: np.ndarray) -> RawTable:
    """Insert ``extra``'s rows before positions ``at`` of ``raw``."""
    data = {c: np.insert(raw.data[c], at, extra.data[c]) for c in raw.columns}
    return RawTable(list(raw.columns), data)


def _label_mess(raw: RawTable, r: Responses, mapping: SurveyMapping, spec: YearSpec,
                rng: np.random.Generator) -> None:
    """Case and whitespace variants in a few per cent of the valid rows (in place)."""
    headers = [_header(mapping, q) for q in mapping.asked
               if QUESTIONS[q].kind == "single" and not QUESTIONS[q].background
               and isinstance(mapping.columns.get(q), str)]
    rows = np.flatnonzero(rng.random(len(raw)) < spec.label_mess_rows)
    for i in rows:
        for h in rng.choice(headers, size=int(rng.integers(1, 3)), replace=False):
            value = raw.data[h][i]
            if isinstance(value, str) and value:
                raw.data[h][i] = _case_mess(value, int(rng.integers(0, 5)))


class Mess:
    """Makes a rendered row invalid for exactly one cleaning reason."""

    def __init__(self, mapping: SurveyMapping, renderer: Renderer, rng: np.random.Generator):
        self.m = mapping
        self.renderer = renderer
        self.rng = rng
        self.counter: dict[str, int] = {}

    def _next(self, reason: str) -> int:
        self.counter[reason] = self.counter.get(reason, 0) + 1
        return self.counter[reason] - 1

    def _question_headers(self) -> list[str]:
        out = []
        for q in self.m.asked:
            spec = self.m.columns.get(q)
            if spec is None or QUESTIONS[q].background:
                continue
            if isinstance(spec, Multi):
                out += [spec.header] if spec.header else list(_options(spec).values())
            else:
                out.append(spec)
        return out

    def corrupt(self, raw: RawTable, i: int, reason: str, r: Responses) -> None:
        m, k = self.m, self._next(reason)
        if reason == "inga_svar":
            for h in self._question_headers():
                raw.data[h][i] = None
        elif reason == "ogiltig_alder":
            field_ = "age" if "age" in m.columns else "birth_year"
            value = BAD_AGES[field_][k % len(BAD_AGES[field_])]
            cell: str | int = value
            if _source_file(m).endswith(".xlsx") and value.isdigit():
                cell = int(value)
            raw.data[_header(m, field_)][i] = cell
        elif reason == "okant_omrade":
            postcode = "postnummer" in normalise(_header(m, "area"))
            pool = UNKNOWN_POSTCODES if postcode else UNKNOWN_AREAS
            raw.data[_header(m, "area")][i] = pool[k % len(pool)]
        elif reason == "okant_svarsalternativ":
            self._unknown_label(raw, i, k)
        elif reason == "for_manga_val":
            self._too_many(raw, i, 4 + k % 2)
        elif reason == "ogiltigt_datum":
            dates = BAD_DATES.get(m.year, ("okänt",))
            raw.data[_header(m, "submitted")][i] = dates[k % len(dates)]
        elif reason == "saknar_bakgrund":
            raw.data[_header(m, "sex")][i] = None
        else:
            raise ValueError(reason)

    def _unknown_label(self, raw: RawTable, i: int, k: int) -> None:
        """An answer that is on no scale, in a single question (or a joined multi)."""
        m = self.m
        candidates = []
        for q in m.asked:
            spec = m.columns.get(q)
            question = QUESTIONS[q]
            if question.background or question.kind == "text" or spec is None:
                continue
            single = question.kind == "single" and question.answer_scale.name in UNKNOWN_LABELS
            joined = isinstance(spec, Multi) and spec.header and q in UNKNOWN_OPTIONS
            if single or joined:
                candidates.append((q, spec))
        # The first such row of a year uses a joined multi-select if there is one
        # ("Kväll; Helger"), the others a random single question.
        multis = [c for c in candidates if isinstance(c[1], Multi)]
        q, spec = multis[0] if k == 0 and multis else candidates[
            int(self.rng.integers(0, len(candidates)))]
        if isinstance(spec, Multi):
            # One real option and one that does not exist: never more than allowed.
            header = spec.header
            assert header, "only joined multi-selects are candidates"
            current = raw.data[header][i]
            first = current.split(spec.separator)[0].strip() if current else None
            raw.data[header][i] = f"{spec.separator} ".join(
                v for v in (first, UNKNOWN_OPTIONS[q]) if v)
        else:
            pool = UNKNOWN_LABELS[QUESTIONS[q].answer_scale.name]
            raw.data[spec][i] = pool[k % len(pool)]

    def _too_many(self, raw: RawTable, i: int, count: int) -> None:
        spec = self.m.columns["priorities"]
        assert isinstance(spec, Multi), "priorities is a multi-select"
        chosen = self.rng.choice(len(PRIORITIES.levels) - 1, size=count, replace=False)
        chosen.sort()
        if spec.header:
            labels = self.renderer.option_labels(
                PRIORITIES, self.renderer.spec.variant_share.get("priorities", 0) >= 0.5)
            raw.data[spec.header][i] = f"{spec.separator} ".join(labels[j] for j in chosen)
        else:
            on, off = self.renderer._marks()
            for j, level in enumerate(PRIORITIES.levels):
                raw.data[_options(spec)[level]][i] = on if j in set(chosen.tolist()) else off

    def change_answers(self, row: RawTable, r: Responses) -> None:
        """A resubmission: change two or three single answers to other valid ones."""
        m = self.m
        names = [q for q in m.asked if QUESTIONS[q].kind == "single"
                 and not QUESTIONS[q].background and isinstance(m.columns.get(q), str)]
        for q in self.rng.choice(names, size=int(self.rng.integers(2, 4)), replace=False):
            scale = QUESTIONS[q].answer_scale
            old = int(r.single[q][0])
            new = int(self.rng.integers(0, min(len(scale.levels), 4)))
            if new == old:
                new = (new + 1) % min(len(scale.levels), 4)
            row.data[_header(m, q)][0] = self.renderer.labels(scale,
                                                              np.array([new], np.int8))[0]


# ---------------------------------------------------------------------------
# Writing files, byte for byte the same every time
# ---------------------------------------------------------------------------

FIXED_TIME = (2022, 1, 1, 0, 0, 0)  # zip entry times and xlsx document properties


def write_csv_export(raw: RawTable, path: Path, *, encoding: str, delimiter: str) -> Path:
    """Write a raw export as a foreign tool would: CRLF, minimal quoting, cells as they are.

    Not formula-neutralised: the raw file simulates another program's output,
    hostile strings included, for the cleaning stage to deal with.
    """
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n",
                        quoting=csv.QUOTE_MINIMAL)
    writer.writerow(raw.columns)
    for row in raw.rows():
        writer.writerow(["" if v is None else v for v in row])
    data = buf.getvalue().encode(encoding, errors="strict")
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return path


def write_xlsx_export(raw: RawTable, path: Path, *, sheet: str, title: str,
                      questionnaire: list[tuple[str, str]]) -> Path:
    """Write a raw export as a survey tool's workbook: a title row above the header,
    the answers on ``sheet`` and the questionnaire on a second sheet "Frågor".

    Text is stored as text even where it starts with "=" (a tool exports the
    answer, not a formula). The file is made reproducible by fixing the
    document properties and rewriting the zip with fixed entry times and order.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append(list(raw.columns))
    for row in raw.rows():
        ws.append(row)
    for cells in ws.iter_rows(min_row=3):
        for cell in cells:
            if isinstance(cell.value, str) and cell.data_type == "f":
                cell.data_type = "s"
            elif isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
    qs = wb.create_sheet("Frågor")
    qs.append(["Kolumn", "Fråga"])
    for header, text in questionnaire:
        qs.append([header, text])
    fixed = datetime(*FIXED_TIME)
    wb.properties.creator = "trygghet sample"
    wb.properties.created = fixed
    wb.properties.modified = fixed
    buf = io.BytesIO()
    wb.save(buf)
    data = _reproducible_zip(buf.getvalue())
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return path


def _reproducible_zip(data: bytes) -> bytes:
    """Rewrite an xlsx zip with sorted entries, fixed times and a fixed modified date."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    stamp = datetime(*FIXED_TIME).strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as dst:
        for name in sorted(src.namelist()):
            content = src.read(name)
            if name == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*",
                                 rb"\g<1>" + stamp.encode(), content)
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            dst.writestr(info, content, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
    return out.getvalue()


def write_text(text: str, path: Path) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_bytes(text.encode("utf-8"))
    return path


def frame_to_csv(frame: pd.DataFrame, path: Path) -> Path:
    """A small reference table as UTF-8 CSV with ``\\n`` line ends."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(list(frame.columns))
    for row in frame.itertuples(index=False):
        writer.writerow(list(row))
    return write_text(buf.getvalue(), path)


# ---------------------------------------------------------------------------
# Schematic boundaries (issue 16): made-up shapes, never presented as real
# ---------------------------------------------------------------------------

#: Each area's made-up centre, in km east and north of the map's centre: the town
#: districts in the middle, the two villages at the edges. Not the real geography.
SCHEMATIC_ANCHORS = {
    "Centrum": (0.0, 0.0), "Strömslund": (2.3, 2.5), "Skoftebyn": (-2.6, 2.7),
    "Hjortmossen": (-0.2, 4.9), "Lextorp": (-3.3, -0.3), "Kronogården": (-1.6, -2.8),
    "Sylte": (1.1, -3.2), "Halvorstorp": (3.4, -0.5), "Sandhem": (5.4, 2.0),
    "Stavre": (5.5, -2.9), "Sjuntorp": (-0.8, -6.7), "Upphärad": (7.9, 5.2),
}
#: The schematic map's centre in SWEREF 99 TM (metres): near Trollhättan, so that
#: coordinates in the sample's files look Swedish; the shapes themselves are made up.
SCHEMATIC_CENTRE = (341_000.0, 6_463_000.0)
#: How far (km) the seed moves each centre: small enough that a point within
#: 600 m of an anchor is always inside its area, whatever the seed (anchors are
#: ≥ 2.6 km apart), so the places in trygghetsronder.csv stay in their areas.
SCHEMATIC_JITTER = 0.35
SCHEMATIC_NOTE = "Schematisk karta, inte verkliga gränser (syntetiska exempeldata)."
BOUNDARIES_FILE = "omraden_schematisk.geojson"


def schematic_point(area: str, east_km: float = 0.0, north_km: float = 0.0) -> tuple[float, float]:
    """A point (SWEREF 99 TM) ``east_km``/``north_km`` from an area's anchor."""
    x, y = SCHEMATIC_ANCHORS[area]
    return (SCHEMATIC_CENTRE[0] + (x + east_km) * 1000, SCHEMATIC_CENTRE[1] + (y + north_km) * 1000)


def schematic_boundaries(seed: int = DEFAULT_SEED,
                         areas: Sequence[AreaProfile] = TROLLHATTAN) -> dict:
    """Made-up polygons for the sample's areas: a Voronoi partition of seeded points.

    Each area's anchor (:data:`SCHEMATIC_ANCHORS`) is moved a little by the
    seed; the points' Voronoi cells are clipped to a made-up outline (their
    convex hull widened by 2 km, its corners moved by the seed) and rounded to
    whole metres. The straight
    edges look schematic on purpose. Returns ``{area: Polygon}`` in SWEREF 99 TM.
    Its random numbers come from a stream of their own, so the survey data do
    not change.
    """
    import shapely

    rng = np.random.default_rng([seed, 16])
    names = [a.name for a in areas]
    anchors = np.array([SCHEMATIC_ANCHORS[n] for n in names])
    sites = (anchors + rng.uniform(-SCHEMATIC_JITTER, SCHEMATIC_JITTER, anchors.shape)) * 1000
    sites += np.array(SCHEMATIC_CENTRE)
    # A made-up outline: the points' hull, widened by 2 km, its corners pushed in or out.
    hull = shapely.MultiPoint(sites).convex_hull.buffer(2000.0, quad_segs=2)
    ring = np.asarray(hull.exterior.coords)[:-1]
    centre = ring.mean(axis=0)
    ring = centre + (ring - centre) * rng.uniform(0.94, 1.06, (len(ring), 1))
    outline = shapely.Polygon(ring)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.MultiPoint(sites),
                                                       extend_to=outline))
    shapes = {}
    for name, site in zip(names, sites, strict=True):
        cell = next(c for c in cells if c.contains(shapely.Point(site)))
        shapes[name] = shapely.normalize(shapely.set_precision(cell.intersection(outline), 1.0))
    return shapes


def schematic_geojson(seed: int = DEFAULT_SEED) -> str:
    """The sample's schematic boundary file (GeoJSON, WGS 84), marked as schematic."""
    from .boundary_files import SCHEMATIC_PROPERTY, to_geojson

    return to_geojson(schematic_boundaries(seed), name_field="namn",
                      properties={SCHEMATIC_PROPERTY: True},
                      members={"name": "Områden (schematiska)", "beskrivning": SCHEMATIC_NOTE,
                               "seed": seed})


# ---------------------------------------------------------------------------
# Everything
# ---------------------------------------------------------------------------


@dataclass
class SampleResult:
    """What :func:`generate` wrote and the ledger of each year."""

    seed: int
    files: list[Path]
    years: dict[int, YearSample]


def check_seed(seed: object) -> int:
    """The seed if it is a non-negative integer, else a :class:`TrygghetError`."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise TrygghetError(f"ogiltigt frö '{seed}'",
                            hint=f"ange ett heltal ≥ 0, t.ex. --seed {DEFAULT_SEED}")
    return int(seed)


def generate(root: str | Path, seed: int = DEFAULT_SEED, *, mapping_dir: str | Path | None = None,
             years: Sequence[int] = YEARS) -> SampleResult:
    """Regenerate the bundled sample under ``root``: raw exports and reference files.

    Parameters
    ----------
    root
        Project root; files go where the mappings say (``data/raw/…``) and to
        ``data/reference/``.
    seed
        Everything random comes from ``numpy.random.default_rng([seed, …])``;
        the same seed gives byte-identical files.
    mapping_dir
        Where the per-year mapping files are (default ``root/config/surveys``).
    """
    check_seed(seed)
    root = Path(root)
    mapping_dir = Path(mapping_dir) if mapping_dir else root / "config" / "surveys"
    files: list[Path] = []
    ledgers: dict[int, YearSample] = {}
    for year in years:
        mapping = load_mapping(mapping_dir / f"{year}.yml")
        spec = SPECS[year]
        register = build_register(year)
        raw, ledger = build_export(mapping, spec, seed, register)
        path = root / _source_file(mapping)
        if path.suffix.lower() == ".xlsx":
            questionnaire = _questionnaire(mapping)
            write_xlsx_export(raw, path, sheet=str(mapping.source.sheet or "Svar"),
                              title=f"{mapping.title} – Trollhättans stad och Polisen "
                                    "(SYNTETISKA EXEMPELDATA)",
                              questionnaire=questionnaire)
        else:
            assert spec.encoding, "every CSV year names its encoding"
            write_csv_export(raw, path, encoding=spec.encoding, delimiter=spec.delimiter)
        ledger.path = path
        ledgers[year] = ledger
        files.append(path)

        ref = root / "data" / "reference"
        files.append(frame_to_csv(population_margins(year), ref / f"population_{year}.csv"))
        crime = crime_table(year, np.random.default_rng([seed, year, 2]))
        files.append(frame_to_csv(crime, ref / f"brott_{year}.csv"))
    files.append(write_text(schematic_geojson(seed), root / "data" / "reference" / BOUNDARIES_FILE))
    files.append(write_text(raw_readme(seed, ledgers, root), root / "data" / "raw" / "README.md"))
    return SampleResult(seed, files, ledgers)


def summary(result: SampleResult, root: str | Path) -> list[str]:
    """Swedish lines for the terminal: the rows of each year and the files written."""
    lines = []
    for year, y in sorted(result.years.items()):
        design = (f"slumpmässigt urval, {_fmt(y.sent)} utskick, {_fmt(y.responded)} svarade"
                  if y.sent else "webbenkät med öppen länk")
        lines.append(f"{year}: {_fmt(y.rows_in)} rader = {_fmt(y.n_clean)} giltiga svar + "
                     f"{_fmt(sum(y.quarantine.values()))} för karantän + "
                     f"{_fmt(sum(y.duplicates.values()))} dubbletter ({design})")
    lines.append("Skrev:")
    for path in result.files:
        size = Path(path).stat().st_size
        lines.append(f"  {_relative(path, Path(root))} ({_fmt(max(1, round(size / 1024)))} kB)")
    lines.append("Alla uppgifter är syntetiska. Tvätta dem med: trygghet clean --year "
                 + " / ".join(str(y) for y in sorted(result.years)))
    return lines


def _questionnaire(mapping: SurveyMapping) -> list[tuple[str, str]]:
    """(export header, question text) for the workbook's "Frågor" sheet."""
    out = []
    for name, spec in mapping.columns.items():
        q = QUESTIONS.get(name)
        text = q.text if q is not None else {"respondent_id": "Respondentens id",
                                             "submitted": "Datum då svaret kom in",
                                             "age": "Ålder enligt registret",
                                             "birth_year": "Födelseår"}.get(name, name)
        if isinstance(spec, Multi):
            if spec.header:
                out.append((spec.header, f"{text} (flera svar möjliga)"))
            else:
                out += [(h, f"{text} – {level}") for level, h in _options(spec).items()]
        else:
            out.append((spec, text))
    return out


def _fmt(n: int) -> str:
    return f"{n:,}".replace(",", "\u00a0")


REASON_TEXT = {
    "tom_rad": "helt tomma rader",
    "inga_svar": "bara bakgrundsuppgifter, inga svar",
    "ogiltig_alder": "omöjlig eller oläslig ålder/födelseår",
    "okant_omrade": "okänt område (t.ex. Vänersborg, felstavat Kronogårdn, okänt postnummer)",
    "okant_svarsalternativ": "svarsalternativ som inte finns på skalan",
    "for_manga_val": "fler än tre prioriteringar ikryssade",
    "ogiltigt_datum": "oläslig tidsstämpel",
    "saknar_bakgrund": "kön saknas trots att det krävs",
}
DUPLICATE_TEXT = {
    "samma_id": "samma svars-id inskickat igen (senare, med ändrade svar)",
    "identiska_svar": "identiska svar några minuter senare med nytt id (dubbelklick)",
}
YEAR_TEXT = {
    2019: ("Webbenkät med öppen länk (Facebook, dialogmöte) – **självselekterat, inget "
           "slumpmässigt urval**. Kommaseparerad CSV i UTF-8 med BOM. Flervalsfrågor i en "
           "kolumn åtskilda med \"; \", ålder som fritext (ibland \"45 år\"), område som "
           "fritext (alias, gemener, postnummer), tidsstämplar i två format "
           "(\"2019-10-03 14:22:51\" och \"03/10/2019 14:22\"), IP-adresser i "
           "dokumentationsintervallet 192.0.2.0/24. Kvinnor och 45–64-åringar är "
           "överrepresenterade, liksom de områden där trygghetsronder hölls (Halvorstorp, "
           "Sandhem, Stavre, Sjuntorp) och Centrum (dialogmötet); den som känner sig otrygg "
           "svarar oftare. Några svarande bor utanför kommunen (\"Annat område\")."),
    2020: ("Slumpmässigt urval av {sent} personer 16–84 år ur befolkningsregistret, webb "
           "eller papper. Semikolonseparerad CSV i Windows-1252. Flervalsfrågor som en "
           "0/1-kolumn per alternativ, födelseår i stället för ålder, kön som K/M, "
           "pappersenkäter med förkortade svar (\"Mkt trygg\") och bara datum. "
           "Bortfallet är störst bland unga män."),
    2021: ("Slumpmässigt urval av {sent} personer 16–84 år ur befolkningsregistret. "
           "Excelfil (.xlsx) med en titelrad ovanför rubrikraden på bladet \"Svar\" och "
           "frågorna på bladet \"Frågor\". Postnummer i stället för områdesnamn (med och utan "
           "mellanslag), flervalsfrågor som \"X\" per alternativ eller i en kolumn, relation "
           "åtskild med kommatecken. Otryggheten har minskat något sedan 2020, mest i "
           "Kronogården och Centrum."),
}


def raw_readme(seed: int, ledgers: dict[int, YearSample], root: Path) -> str:
    """``data/raw/README.md``: what the files are, how they were made, what mess they hold."""
    lines = [
        "# Rådata – SYNTETISKA EXEMPELDATA",
        "",
        "**Allt i den här mappen är påhittat.** Filerna är skapade av `trygghet sample "
        f"--seed {seed}` (modulen `src/trygghet/sample.py`) och innehåller inga svar från "
        "verkliga personer. Kommunen liknar Trollhättan (områdesnamnen är verkliga "
        "stadsdelar), men befolkning, svar, brott och fritextkommentarer är genererade. "
        "Namn, adresser och telefonnummer i kommentarerna är uppdiktade.",
        "",
        "Samma frö ger byte-identiska filer: kör `trygghet sample` för att återskapa dem. "
        "Redigera inte filerna för hand – ändra generatorn.",
        "",
        "Varje fil beskrivs av sin mappning i `config/surveys/<år>.yml` (rubriker, "
        "svarsvarianter, områden). Befolkning och brott per område finns i "
        "`data/reference/` (se README där).",
        "",
        "## Filerna",
        "",
    ]
    for year, ledger in sorted(ledgers.items()):
        rel = _relative(ledger.path, root)
        text = YEAR_TEXT.get(year, "").format(sent=_fmt(ledger.sent or 0))
        lines += [f"### {year}: `{rel}`", "", text, ""]
        outside = int((ledger.truth["area"] == OTHER_AREA).sum())
        if ledger.sent:
            rate = f"{100 * ledger.responded / ledger.sent:.1f}".replace(".", ",")
            design = (f"{_fmt(ledger.sent)} utskick, {_fmt(ledger.responded)} personer svarade "
                      f"({rate}\u00a0%), av dem lämnade {_fmt(ledger.n_clean)} användbara svar")
        else:
            design = (f"{_fmt(ledger.responded)} personer svarade, av dem lämnade "
                      f"{_fmt(ledger.n_clean)} användbara svar (som i fröet: 1\u00a0417), "
                      f"varav {_fmt(outside)} bor utanför kommunen")
        n_quar = sum(ledger.quarantine.values())
        n_dup = sum(ledger.duplicates.values())
        lines += [
            f"- {design}.",
            f"- **{_fmt(ledger.rows_in)} rader** i filen = **{_fmt(ledger.n_clean)} giltiga "
            f"svar** + {_fmt(n_quar)} rader för karantän + {_fmt(n_dup)} dubbletter.",
            "",
            "| Avsiktligt fel | Skäl (karantän) | Rader |",
            "|---|---|---:|",
        ]
        for reason, count in ledger.quarantine.items():
            lines.append(f"| {REASON_TEXT[reason]} | `{reason}` | {count} |")
        for kind, count in ledger.duplicates.items():
            lines.append(f"| {DUPLICATE_TEXT[kind]} | dubblett | {count} |")
        lines.append("")
    lines += [
        "## Övrig avsiktlig oreda (ska rensas, inte kastas)",
        "",
        "- Skiftläge och blanksteg i svar (\"  ganska trygg\", \"MYCKET OTRYGG\"), i några "
        "procent av raderna.",
        "- Svarsvarianter som står i mappningens `labels:` (\"Går ej ut ensam pga "
        "otrygghet\", \"Mkt trygg\", \"K\"/\"M\", \"Vet inte\", korta problemsvar 2021).",
        "- \"Vet ej\" och tomma svar: saknade svar, inte fel.",
        "- Områden som alias (\"Stan\", \"Kronogarden\", \"Upphärad/Väne-Ryr\") och "
        "postnummer med och utan mellanslag.",
        "- Fritext med radbrytningar, citattecken och semikolon; några kommentarer ser "
        "personliga ut (påhittade namn, adresser, telefonnummer, personnummer för testperson) "
        "och några börjar med `=`, `+`, `-` eller `@` – de får aldrig publiceras och ska "
        "neutraliseras i CSV/Excel som verktyget skriver.",
        "- Kolumner som mappningen ignorerar (IP-adress, kännedom om enkäten, urvalsstratum, "
        "svarsform).",
        "",
        "## Mönster som finns inbyggda",
        "",
        "Kvinnor känner sig klart otryggare än män; otryggheten gäller främst kväll, natt och "
        "tidig morgon; en del går inte ut ensamma p.g.a. otrygghet; Kronogården, Lextorp och "
        "Centrum är otryggare, Upphärad, Skoftebyn och Sjuntorp tryggare; prioriteringarna "
        "följer ordningen tillgänglighet, våld utomhus, organiserad brottslighet, mängdbrott, "
        "narkotika/dopning. Centrum har flest anmälda brott per invånare men är inte det "
        "område där de boende känner sig otryggast.",
        "",
    ]
    return "\n".join(lines)


def _relative(path: Path, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return str(path)
