"""Indicators and indices, computed per respondent from the questionnaire's declarations.

Each indicator turns a respondent's answers into one value: 1/0 for a share
("feels unsafe" or not), a score for an index, and missing where the
respondent is outside the indicator's base. Estimation (``estimate.py``) then
only ever takes weighted means of these columns, which keeps every rule in
this one module. *Which* indicators there are, and which answers count, is
declared in the questionnaire (``frageformular.yml``, see
:mod:`trygghet.questionnaire`); the default one follows Brå and the Police's
local survey method:

* ``otrygg_kvall`` / ``otrygg_dag`` — share *Ganska otrygg*, *Mycket otrygg* or
  *Går inte ut ensam p.g.a. otrygghet*; *Går inte ut av andra skäl* and
  *Vet ej* are outside the base (Brå's definition).
* ``oro`` — worries *Mycket* or *Ganska ofta*; ``avstatt`` — often refrained
  from an activity (*Ja, ofta*; Brå counts "often" for avoidance too).
* ``utsatt`` — victim of at least one crime in 12 months (``any_of`` the
  victimisation battery); missing if no item is *Ja* and some are unanswered.
* ``problemindex`` / ``trygghetsindex`` — the 0–6 scores of the
  questionnaire's ``indices``, averaged over the items answered (at least
  ``min_answered`` of them).
* ``tid_<time>``, ``prio_<area>`` — one share per option of a multi-select
  question; ``stort_problem_<item>`` — one share per item of the problem
  battery; ``fortroende_polis`` / ``fortroende_kommun`` — high trust.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .questionnaire import Indicator, Questionnaire, load_questionnaire, resolve

__all__ = ["Indicator", "index_config", "band", "respondent_values", "available",
           "indicator_table", "HEADLINE"]

# The indicators whose names the issues fix (present in the default questionnaire).
HEADLINE = ("otrygg_kvall", "otrygg_dag", "avstatt", "oro", "utsatt", "problemindex",
            "trygghetsindex")


def indicator_table(questionnaire: Questionnaire | None = None) -> dict[str, Indicator]:
    """The indicators of ``questionnaire`` (default: the bundled one), in file order."""
    return resolve(questionnaire).indicators


def __getattr__(name: str) -> Any:
    # The default questionnaire's families under their former constant names, for code
    # and notebooks written before questionnaires; new code passes a questionnaire.
    if name == "INDICATORS":
        return resolve(None).indicators
    if name == "TIME_INDICATORS":
        return resolve(None).family("tid")
    if name == "PRIORITY_INDICATORS":
        return resolve(None).family("prio")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def index_config(source: str | Path | Questionnaire | None = None) -> dict:
    """The index scoring and bands of a questionnaire (``indices``; default: the bundled one).

    ``source`` may be a questionnaire or the path of a questionnaire file.
    """
    if isinstance(source, str | Path):
        return load_questionnaire(source).indices
    return resolve(source).indices


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


def _any_of(r: pd.DataFrame, questions: list[str], counts: tuple[str, ...]) -> np.ndarray:
    """1 if any question has an answer in ``counts``, 0 if all are answered, else NaN."""
    if not questions:
        return np.full(len(r), np.nan)
    yes = np.zeros(len(r), dtype=bool)
    all_answered = np.ones(len(r), dtype=bool)
    for c in questions:
        codes, labels = _codes(r[c])
        is_yes = np.array([label in counts for label in labels] + [False])
        yes |= is_yes[codes]
        all_answered &= codes >= 0
    return np.where(yes, 1.0, np.where(all_answered, 0.0, np.nan))


def _index(r: pd.DataFrame, spec: dict, min_answered: float, not_asked: set[str]
           ) -> np.ndarray:
    """An index: scores per answer of each asked item, averaged (see :func:`_mean_score`)."""
    items = [q for q in spec["questions"] if q not in not_asked]
    scores = spec["scores"]
    per_item = scores if "battery" not in spec else dict.fromkeys(items, scores)
    return _mean_score(r, per_item, min_answered, items)


def respondent_values(responses: pd.DataFrame, config: dict | None = None,
                      questionnaire: Questionnaire | None = None) -> pd.DataFrame:
    """One column per indicator: 1/0/NaN for shares, the 0–6 score for indices.

    The indicators and their rules are the questionnaire's (default: the
    bundled one); ``config`` replaces its index configuration. Questions
    listed in ``responses.attrs["not_asked"]`` are treated as not asked:
    indicators built only on them are all-missing, and an index or an
    ``any_of`` uses only the items that were asked.
    """
    q = resolve(questionnaire)
    config = config or q.indices
    not_asked = set(responses.attrs.get("not_asked", []))
    # A view without attrs: pandas deep-copies attrs (the year's area names, thousands
    # at national scale) into every column taken from the frame.
    r = responses.copy(deep=False)
    r.attrs = {}
    names = list(q.indicators)
    # One float block, filled row by row: no stacking or reordering copies.
    block = np.empty((len(names), len(r)))
    for j, name in enumerate(names):
        ind = q.indicators[name]
        if all(c in not_asked for c in ind.questions):
            block[j] = np.nan
        elif ind.rule == "share":
            block[j] = _share(r[ind.questions[0]], ind.counts, ind.base)
        elif ind.rule == "any_of":
            block[j] = _any_of(r, [c for c in ind.questions if c not in not_asked], ind.counts)
        elif ind.rule == "option":
            block[j] = _bool(r[ind.column])
        else:
            block[j] = _index(r, config[str(ind.index)], config["min_answered"], not_asked)
    return pd.DataFrame(block.T, index=r.index, columns=names, copy=False)


def available(indicator: str, not_asked: list[str] | set[str],
              questionnaire: Questionnaire | None = None) -> bool:
    """Whether ``indicator`` can be computed in a year that did not ask ``not_asked``."""
    return not all(q in set(not_asked) for q in resolve(questionnaire).indicators[indicator]
                   .questions)
