"""What every chart shares: the estimates it reads, its words, one bar's data.

* :func:`select` picks one year's primary estimates of some indicators and
  breakdowns (:func:`primary_rows`: weighted, or for an opt-in year the
  unweighted share of respondents) and fails with one Swedish message when
  there are none.
* :class:`Bar` is what a bar (or a point) shows: value, interval, symbol.
* :func:`chart_text`, :func:`indicator_label`, :func:`group_label` pick the
  chart's words from :mod:`trygghet.vocabulary`; :func:`ci_level` is the
  confidence level the note states.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import fmt
from ..errors import TrygghetError
from ..vocabulary import label as label_of
from ..vocabulary import tr

# --- Words ---------------------------------------------------------------------
# Every word is in vocabulary.yml; these helpers pick the chart's ones.

#: The confidence level a chart's note states when the estimates table has no
#: ``ci_level`` column (the estimation stage's default).
DEFAULT_LEVEL = 0.95

COLUMNS = ("year", "indicator", "kind", "group_var", "group", "estimate", "ci_low", "ci_high",
           "suppressed", "symbol")


def chart_text(key: str, language: str, **fields) -> str:
    return tr(f"chart.{key}", language, **fields)


def indicator_label(indicator: str, language: str) -> str:
    return label_of("indicator", indicator, language)


def group_label(group_var: str, group: str, language: str) -> str:
    if group_var == "total":
        return tr("group.Totalt", language)
    if group_var == "age_group":
        return chart_text("age", language, group=group)
    return label_of("group", group, language)


def ci_level(rows: pd.DataFrame) -> float:
    """The confidence level of the intervals in ``rows`` (column ``ci_level``)."""
    if "ci_level" in rows.columns:
        levels = rows["ci_level"].dropna().unique()
        if len(levels) == 1:
            return float(levels[0])
        if len(levels) > 1:
            raise ValueError(f"the estimates mix confidence levels {sorted(levels)}")
    return DEFAULT_LEVEL


# --- Data ----------------------------------------------------------------------------------

def check_columns(estimates: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in COLUMNS if c not in estimates.columns]
    if missing:
        raise ValueError(f"the estimates table lacks the columns {missing}")
    return estimates


def latest_year(rows: pd.DataFrame, year: int | None, what: str) -> int:
    if year is not None:
        return int(year)
    if rows.empty:
        raise TrygghetError(f"inga skattningar att visa för {what}")
    return int(rows["year"].max())


def primary_rows(rows: pd.DataFrame, estimate_type: str | None) -> pd.DataFrame:
    """One estimate per cell: the year's primary type, or the one asked for.

    An opt-in year has two rows per cell: the share of respondents
    (``unweighted``, the primary figure) and a model-based ``adjusted`` one. A
    probability year has ``weighted``. Charts show the primary figure unless
    ``estimate_type`` asks for another.
    """
    if "estimate_type" not in rows.columns or rows.empty:
        return rows
    if estimate_type is not None:
        return rows[rows["estimate_type"] == estimate_type]
    rank = rows["estimate_type"].map({"weighted": 0, "unweighted": 1, "adjusted": 2}).fillna(3)
    best = rank.groupby(rows["year"]).transform("min")
    return rows[rank == best]


def select(estimates: pd.DataFrame, indicators: Iterable[str], year: int | None,
           group_vars: Iterable[str],
           estimate_type: str | None = None) -> tuple[pd.DataFrame, int]:
    est = check_columns(estimates)
    indicators, group_vars = list(indicators), list(group_vars)
    rows = est[est["indicator"].isin(indicators) & est["group_var"].isin(group_vars)]
    year = latest_year(rows, year, ", ".join(indicators))
    rows = primary_rows(rows[rows["year"] == year], estimate_type)
    if rows.empty:
        raise TrygghetError(f"inga skattningar för {', '.join(indicators)} år {year}",
                            hint="kör skattningen för året först")
    return rows.reset_index(drop=True), year


def as_float(value) -> float:
    return float("nan") if fmt.is_missing(value) else float(value)


def symbol_of(row) -> str:
    """The table symbol of a row; a suppressed row without one still gets ``..``."""
    symbol = row.get("symbol", "")
    symbol = "" if fmt.is_missing(symbol) else str(symbol)
    if not symbol and bool(row.get("suppressed", False)):
        return fmt.SUPPRESSED
    if not symbol and fmt.is_missing(row.get("estimate")):
        return fmt.MISSING
    return symbol


def not_generalisable(rows: pd.DataFrame) -> bool:
    if "generalisable" not in rows.columns:
        return False
    shown = rows[rows.apply(symbol_of, axis=1) == ""]
    return bool((~shown["generalisable"].astype(bool)).any())


@dataclass
class Bar:
    label: str
    value: float
    low: float
    high: float
    symbol: str
    color: str
    extra: str = ""            # text after the value, e.g. the band label
    generalisable: bool = True
    adjusted: bool = False
    group_var: str = ""
    group: str = ""
    time: str = ""             # by_time_of_day: the answer option (Kväll, Natt, …)


def bar_from_row(row, label: str, color: str) -> Bar:
    symbol = symbol_of(row)
    group_var, group = str(row.get("group_var", "")), str(row.get("group", ""))
    generalisable = bool(row.get("generalisable", True))
    adjusted = row.get("estimate_type", "") == "adjusted"
    if symbol in (fmt.SUPPRESSED, fmt.MISSING):
        return Bar(label, math.nan, math.nan, math.nan, symbol, color,
                   group_var=group_var, group=group)
    value = 0.0 if symbol == fmt.ZERO else as_float(row["estimate"])
    low, high = as_float(row["ci_low"]), as_float(row["ci_high"])
    if not generalisable and not adjusted:
        # An opt-in sample has no sampling error to show: no interval at all.
        low = high = math.nan
    return Bar(label, value, low, high, symbol, color, generalisable=generalisable,
               adjusted=adjusted, group_var=group_var, group=group)


def n_label(label: str, row, language: str) -> str:
    n = row.get("n")
    if fmt.is_missing(n):
        return label
    return chart_text("n_label", language, label=label, n=fmt.number(n, language=language))


def value_text(value: float, kind: str, language: str) -> str:
    if kind == "share":
        return fmt.percent(value, 0, language=language)
    return fmt.index(value, language=language)


def symbol_text(symbol: str, language: str) -> str:
    return f"{symbol}\u2002{fmt.symbol_word(symbol, language=language)}"


def axis_label(rows: pd.DataFrame, kind: str, language: str) -> str:
    if kind != "share":
        return chart_text("index_axis", language)
    return chart_text("share_resp" if not_generalisable(rows) else "share", language)


def find_row(rows: pd.DataFrame, **where) -> pd.Series | None:
    mask = np.ones(len(rows), dtype=bool)
    for col, value in where.items():
        mask &= (rows[col] == value).to_numpy()
    hit = rows[mask]
    return None if hit.empty else hit.iloc[0]
