"""Indicators and indices, computed per respondent.

Each indicator turns a respondent's answers into one value: 1/0 for a share
("feels unsafe" or not), a score for an index, and missing where the
respondent is outside the indicator's base. Estimation (``estimate.py``) then
only ever takes weighted means of these columns, which keeps every definition
in this one module.

Definitions follow Brå and the Police's local survey method:

* ``otrygg_kvall`` / ``otrygg_dag`` — share *Ganska otrygg*, *Mycket otrygg* or
  *Går inte ut ensam p.g.a. otrygghet*; *Går inte ut av andra skäl* and
  *Vet ej* are outside the base (Brå's definition).
* ``oro`` — worries *Mycket* or *Ganska ofta*.
* ``avstatt`` — often refrained from an activity (*Ja, ofta*; Brå counts
  "often" for avoidance, as for worry).
* ``utsatt`` — victim of at least one crime in 12 months; missing if no item
  is *Ja* and some are unanswered.
* ``problemindex`` / ``trygghetsindex`` — the 0–6 scores of ``indices.yml``,
  averaged over the items answered (at least half of them).
* ``tid_<time>`` — most unsafe at that time of day; ``prio_<area>`` — wants
  that area prioritised; ``stort_problem_<item>`` — sees the problem as
  *Mycket* or *Ganska stort*; ``fortroende_polis`` / ``fortroende_kommun`` —
  *Mycket* or *Ganska stort* trust.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .schema import PRIORITIES, PROBLEM_ITEMS, QUESTIONS, UNSAFE_TIMES, option_column, slug

INDEX_CONFIG = Path(__file__).with_name("indices.yml")

UNSAFE = ("Ganska otrygg", "Mycket otrygg", "Går inte ut ensam p.g.a. otrygghet")
SAFE = ("Mycket trygg", "Ganska trygg")


@dataclass(frozen=True)
class Indicator:
    """What an indicator is called, what it needs and how it is shown.

    ``kind`` is ``"share"`` (estimate in [0, 1], shown in per cent) or
    ``"mean"`` (an index score on 0–6). ``questions`` are the canonical
    questions it is computed from: if none of them was asked in a year the
    indicator is *not available* that year (symbol ``.``).
    """

    name: str
    label: str
    label_en: str
    theme: str
    kind: str
    questions: tuple[str, ...]


# English names of the answer options that name indicators (reports in English).
_EN = {
    "Tidig morgon": "early morning", "Dagtid": "daytime", "Kväll": "evening",
    "Natt": "night", "Aldrig": "never",
    "Tillgänglighet": "Accessibility", "Våld utomhus": "Outdoor violence",
    "Organiserad brottslighet": "Organised crime", "Mängdbrott": "Volume crime",
    "Narkotika/dopning": "Drugs/doping", "Trafik": "Traffic",
    "Nedskräpning/skadegörelse": "Litter/vandalism", "Annat": "Other",
    "nedskräpning": "litter", "skadegörelse/klotter": "vandalism/graffiti",
    "bråkiga ungdomar": "rowdy young people", "berusade personer": "drunk people",
    "personer påverkade av narkotika": "people under the influence of drugs",
    "öppen narkotikahandel": "open drug dealing",
    "bilar som körs på ett störande sätt": "cars driven in a disturbing way",
    "våld i offentlig miljö": "violence in public places",
    "inbrott i bostäder": "burglary in homes", "stölder ur bilar": "theft from cars",
    "otrygga platser (dålig belysning, buskage)": "unsafe places (poor lighting, bushes)",
}


def _build() -> dict[str, Indicator]:
    ind = [
        Indicator("otrygg_kvall", "Känner sig otrygg ute ensam sent en kväll",
                  "Feels unsafe out alone late in the evening", "Trygghet", "share",
                  ("safe_evening",)),
        Indicator("otrygg_dag", "Känner sig otrygg ute ensam dagtid",
                  "Feels unsafe out alone in the daytime", "Trygghet", "share", ("safe_day",)),
        Indicator("oro", "Oroar sig ofta för att utsättas för brott",
                  "Often worries about crime", "Oro och avstående", "share", ("worry",)),
        Indicator("avstatt", "Har ofta avstått från aktivitet p.g.a. oro för brott",
                  "Often refrained from an activity for fear of crime", "Oro och avstående",
                  "share", ("refrained",)),
        Indicator("utsatt", "Utsatt för brott senaste 12 månaderna",
                  "Victim of crime in the last 12 months", "Utsatthet", "share",
                  tuple(q for q in QUESTIONS if q.startswith("victim_"))),
        Indicator("problemindex", "Problemindex (0–6, egen beräkning)",
                  "Problem index (0–6, own calculation)", "Index", "mean",
                  tuple(f"problem_{k}" for k in PROBLEM_ITEMS)),
        Indicator("trygghetsindex", "Trygghetsindex (0–6, egen beräkning)",
                  "Insecurity index (0–6, own calculation)", "Index", "mean",
                  ("safe_evening", "worry", "refrained")),
        Indicator("fortroende_polis", "Stort förtroende för polisens trygghetsarbete",
                  "High trust in the police's safety work", "Förtroende", "share",
                  ("trust_police",)),
        Indicator("fortroende_kommun", "Stort förtroende för kommunens trygghetsarbete",
                  "High trust in the municipality's safety work", "Förtroende", "share",
                  ("trust_municipality",)),
    ]
    ind += [Indicator(f"tid_{slug(t)}", f"Mest otrygg: {t.lower()}",
                      f"Most unsafe: {_EN.get(t, t)}", "Otrygga tider", "share",
                      ("unsafe_times",)) for t in UNSAFE_TIMES.levels]
    ind += [Indicator(f"prio_{slug(p)}", f"Vill prioritera: {p}",
                      f"Wants prioritised: {_EN.get(p, p)}", "Prioriteringar", "share",
                      ("priorities",)) for p in PRIORITIES.levels]
    ind += [Indicator(f"stort_problem_{k}", f"Stort problem: {v}",
                      f"Big problem: {_EN.get(v, v)}", "Problem i området", "share",
                      (f"problem_{k}",))
            for k, v in PROBLEM_ITEMS.items()]
    return {i.name: i for i in ind}


INDICATORS: dict[str, Indicator] = _build()

# The indicators whose names the issues fix; the rest are derived families.
HEADLINE = ("otrygg_kvall", "otrygg_dag", "avstatt", "oro", "utsatt", "problemindex",
            "trygghetsindex")


@cache
def _load_config(path: str) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def index_config(path: str | Path | None = None) -> dict:
    """The index scoring and bands of ``indices.yml`` (or another file)."""
    return _load_config(str(path or INDEX_CONFIG))


def band(value: float, config: dict | None = None) -> str | None:
    """The text label of the colour band ``value`` falls in (None if missing)."""
    if value is None or np.isnan(value):
        return None
    bands = (config or index_config())["bands"]
    label = bands[0][1]
    for lower, name in bands:
        if value >= lower:
            label = name
    return label


def _codes(series: pd.Series) -> tuple[np.ndarray, list]:
    """Integer codes (−1 = missing) and the distinct values of a column.

    A categorical column already has them; anything else is factorised once.
    Everything below then works on the few distinct labels, never on a
    million strings.
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.cat.codes.to_numpy(), list(series.cat.categories)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    return codes, list(uniques)


def _lookup(series: pd.Series, table: dict[str, float]) -> np.ndarray:
    """``table[answer]`` per row as floats; NaN for a missing answer or one not in ``table``."""
    codes, labels = _codes(series)
    values = np.array([table.get(label, np.nan) for label in labels] + [np.nan], dtype=float)
    return values[codes]  # code −1 picks the trailing NaN


def _share(series: pd.Series, yes: tuple[str, ...], no: tuple[str, ...]) -> np.ndarray:
    """1 where the answer is in ``yes``, 0 where in ``no``, NaN otherwise."""
    return _lookup(series, {**dict.fromkeys(no, 0.0), **dict.fromkeys(yes, 1.0)})


def _bool(series: pd.Series) -> np.ndarray:
    """A (nullable) boolean column as 1.0/0.0/NaN."""
    if isinstance(series.dtype, pd.BooleanDtype) or series.dtype == bool:
        return series.to_numpy(dtype=float, na_value=np.nan)
    return series.astype("Float64").astype(float).to_numpy()


def _mean_score(frame: pd.DataFrame, scores: dict[str, dict[str, float]], min_answered: float,
                asked: list[str]) -> np.ndarray:
    """Average score over the asked items, if at least ``min_answered`` of them are answered."""
    total = np.zeros(len(frame))
    answered = np.zeros(len(frame))
    for c in asked:
        v = _lookup(frame[c], scores[c])
        ok = ~np.isnan(v)
        total += np.where(ok, v, 0.0)
        answered += ok
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / answered
    mean[(answered == 0) | (answered < min_answered * len(asked))] = np.nan
    return mean


def respondent_values(responses: pd.DataFrame, config: dict | None = None) -> pd.DataFrame:
    """One column per indicator: 1/0/NaN for shares, the 0–6 score for indices.

    Questions listed in ``responses.attrs["not_asked"]`` are treated as not
    asked: indicators built only on them are all-missing, and an index uses
    only the items that were asked.
    """
    config = config or index_config()
    not_asked = set(responses.attrs.get("not_asked", []))
    # A view without attrs: pandas deep-copies attrs (the year's area names, thousands
    # at national scale) into every column taken from the frame.
    r = responses.copy(deep=False)
    r.attrs = {}
    out = {
        "otrygg_kvall": _share(r["safe_evening"], UNSAFE, SAFE),
        "otrygg_dag": _share(r["safe_day"], UNSAFE, SAFE),
        "oro": _share(r["worry"], ("Mycket ofta", "Ganska ofta"), ("Ganska sällan", "Aldrig")),
        "avstatt": _share(r["refrained"], ("Ja, ofta",), ("Ja, ibland", "Nej")),
        "fortroende_polis": _share(r["trust_police"], ("Mycket stort", "Ganska stort"),
                                   ("Ganska litet", "Mycket litet")),
        "fortroende_kommun": _share(r["trust_municipality"], ("Mycket stort", "Ganska stort"),
                                    ("Ganska litet", "Mycket litet")),
    }
    victim = [c for c in INDICATORS["utsatt"].questions if c not in not_asked]
    if victim:
        yes = np.zeros(len(r), dtype=bool)
        all_answered = np.ones(len(r), dtype=bool)
        for c in victim:
            codes, labels = _codes(r[c])
            is_yes = np.array([label == "Ja" for label in labels] + [False])
            yes |= is_yes[codes]
            all_answered &= codes >= 0
        out["utsatt"] = np.where(yes, 1.0, np.where(all_answered, 0.0, np.nan))
    else:
        out["utsatt"] = np.full(len(r), np.nan)

    pi = config["problemindex"]
    items = [c for c in INDICATORS["problemindex"].questions if c not in not_asked]
    out["problemindex"] = _mean_score(r, dict.fromkeys(items, pi["scores"]),
                                      config["min_answered"], items)
    ti = config["trygghetsindex"]["scores"]
    t_items = [c for c in ti if c not in not_asked]
    out["trygghetsindex"] = _mean_score(r, ti, config["min_answered"], t_items)

    for t in UNSAFE_TIMES.levels:
        out[f"tid_{slug(t)}"] = _bool(r[option_column("unsafe_times", t)])
    for p in PRIORITIES.levels:
        out[f"prio_{slug(p)}"] = _bool(r[option_column("priorities", p)])
    for k in PROBLEM_ITEMS:
        out[f"stort_problem_{k}"] = _share(r[f"problem_{k}"],
                                           ("Mycket stort problem", "Ganska stort problem"),
                                           ("Ganska litet problem", "Inget problem alls"))
    # One float block, filled column by column: no stacking or reordering copies.
    names = list(INDICATORS)
    block = np.empty((len(names), len(r)))
    for j, name in enumerate(names):
        if all(q in not_asked for q in INDICATORS[name].questions):
            block[j] = np.nan
        else:
            block[j] = out[name]
    return pd.DataFrame(block.T, index=r.index, columns=names, copy=False)


def available(indicator: str, not_asked: list[str] | set[str]) -> bool:
    """Whether ``indicator`` can be computed in a year that did not ask ``not_asked``."""
    return not all(q in set(not_asked) for q in INDICATORS[indicator].questions)
