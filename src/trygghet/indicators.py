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
    """What an indicator needs and how it is shown.

    ``kind`` is ``"share"`` (estimate in [0, 1], shown in per cent) or
    ``"mean"`` (an index score on 0–6). ``theme`` groups indicators (a sheet
    of the Excel appendix). ``questions`` are the canonical questions it is
    computed from: if none of them was asked in a year the indicator is *not
    available* that year (symbol ``.``). What it is called, in Swedish and
    English, is in :mod:`trygghet.vocabulary` (``indicator.<name>``).
    """

    name: str
    theme: str
    kind: str
    questions: tuple[str, ...]


#: The ``tid_*`` indicators and the time of day (answer option) each stands for.
TIME_INDICATORS = {f"tid_{slug(t)}": t for t in UNSAFE_TIMES.levels}
#: The ``prio_*`` indicators and the priority (answer option) each stands for.
PRIORITY_INDICATORS = {f"prio_{slug(p)}": p for p in PRIORITIES.levels}


def _build() -> dict[str, Indicator]:
    ind = [
        Indicator("otrygg_kvall", "Trygghet", "share", ("safe_evening",)),
        Indicator("otrygg_dag", "Trygghet", "share", ("safe_day",)),
        Indicator("oro", "Oro och avstående", "share", ("worry",)),
        Indicator("avstatt", "Oro och avstående", "share", ("refrained",)),
        Indicator("utsatt", "Utsatthet", "share",
                  tuple(q for q in QUESTIONS if q.startswith("victim_"))),
        Indicator("problemindex", "Index", "mean", tuple(f"problem_{k}" for k in PROBLEM_ITEMS)),
        Indicator("trygghetsindex", "Index", "mean", ("safe_evening", "worry", "refrained")),
        Indicator("fortroende_polis", "Förtroende", "share", ("trust_police",)),
        Indicator("fortroende_kommun", "Förtroende", "share", ("trust_municipality",)),
    ]
    ind += [Indicator(name, "Otrygga tider", "share", ("unsafe_times",))
            for name in TIME_INDICATORS]
    ind += [Indicator(name, "Prioriteringar", "share", ("priorities",))
            for name in PRIORITY_INDICATORS]
    ind += [Indicator(f"stort_problem_{k}", "Problem i området", "share", (f"problem_{k}",))
            for k in PROBLEM_ITEMS]
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
