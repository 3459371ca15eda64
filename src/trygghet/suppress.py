"""Disclosure control: the one gate every published table goes through.

Two separate rules, both configurable (``disclosure`` in ``config/trygghet.yml``):

* **Disclosure** (confidentiality, offentlighets- och sekretesslagen): no
  cell, count or estimate from fewer than ``min_cell`` respondents (5).
  A share published with its ``n`` also publishes its cell counts: how many
  have the trait (``count``) and how many have not (``n − count``). Each of
  them must be 0 or at least ``min_cell``: "2 of 63 feel unsafe in daytime"
  is a cell of two people, whatever the group's size. (A zero is published
  as ``–``, as in official tables.)
  *Secondary suppression*: within a grouping whose levels partition the
  respondents (sex, age group, area — not relation, whose groups overlap),
  the suppressed levels together must hold at least ``min_cell``
  respondents, and likewise at least ``min_cell`` (or none) with and without
  the trait; otherwise the total minus the published levels would reveal
  them, and the smallest published level that adds to the short sum is
  suppressed too, until none is short. (This also covers the textbook case
  of exactly one suppressed level.)
* **Reliability**: no estimate from fewer than ``min_n`` respondents (30;
  refused below 10).

A suppressed cell is *absent*: its estimate, interval and count become
NaN/NA, never 0. Its ``symbol`` follows Swedish official tables:

=======  =============================================================
``..``   suppressed: too few respondents, or would reveal such a cell
``.``    data missing (e.g. the question was not asked that year)
``–``    magnitude zero (an estimate that is exactly 0)
=======  =============================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .errors import TrygghetError
from .fmt import MISSING, SUPPRESSED, ZERO

REASONS = ("", "disclosure", "reliability", "secondary", "not_asked")
HARD_MIN_N = 10  # the reliability rule may never go below this
# Columns blanked in a suppressed row, where present.
VALUE_COLUMNS = ("estimate", "count", "se", "ci_low", "ci_high", "df", "estimate_from",
                 "estimate_to", "n_from", "n_to", "diff")
PARTITION_KEYS = ("year", "year_from", "indicator", "variable", "estimate_type", "group_var")
OVERLAPPING = ("total", "relation")


@dataclass(frozen=True)
class Rules:
    """The two thresholds. ``min_n`` below 10 is refused."""

    min_cell: int = 5
    min_n: int = 30

    def __post_init__(self):
        for name in ("min_cell", "min_n"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise TrygghetError(f"disclosure.{name} ska vara ett positivt heltal",
                                    column=f"disclosure.{name}")
        if self.min_n < HARD_MIN_N:
            raise TrygghetError(
                f"disclosure.min_n = {self.min_n} är för lågt: skattningar från färre än "
                f"{HARD_MIN_N} svarande publiceras aldrig", column="disclosure.min_n",
                hint=f"sätt min_n till minst {HARD_MIN_N} (standard 30)")

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> Rules:
        d = settings.get("disclosure", settings)
        return cls(min_cell=d.get("min_cell", 5), min_n=d.get("min_n", 30))


def protect(table: pd.DataFrame, rules: Rules | None = None, *,
            overlapping: tuple[str, ...] = OVERLAPPING,
            value_columns: tuple[str, ...] = VALUE_COLUMNS) -> pd.DataFrame:
    """Apply disclosure and reliability control to a table about to be published.

    Parameters
    ----------
    table
        One row per cell with an ``n`` column (respondents behind the cell)
        and, for shares, optionally ``count`` (those of them with the trait).
        Optional ``group_var``/``group`` and key columns (``year``,
        ``indicator``, ``estimate_type``, …) define the groupings checked for
        secondary suppression. Rows already marked ``suppressed`` (e.g.
        ``suppression_reason = "not_asked"``) stay so.
    rules
        Thresholds; default 5 and 30.
    overlapping
        ``group_var`` values whose groups do not partition the respondents
        (no secondary suppression among them).

    Returns
    -------
    DataFrame
        A copy with ``suppressed``, ``suppression_reason`` and ``symbol``
        set, and the value columns and ``n`` of suppressed rows made missing.
    """
    rules = rules or Rules()
    out = table.copy()
    if "n" not in out.columns:
        raise ValueError("a table to protect needs an 'n' column")
    n = pd.to_numeric(out["n"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    reason = (out["suppression_reason"].fillna("").astype(str).to_numpy(dtype=object)
              if "suppression_reason" in out.columns else np.full(len(out), "", dtype=object))
    if "suppressed" in out.columns:
        already = out["suppressed"].fillna(False).to_numpy(dtype=bool)
        reason = np.where(already & (reason == ""), "disclosure", reason)
    free = reason == ""
    # Unknown n cannot be vouched for: treat as too small.
    reason = np.where(free & ~(n >= rules.min_cell), "disclosure", reason)
    masses = [n]
    if "count" in out.columns:
        k = pd.to_numeric(out["count"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        masses += [k, n - k]
        few = _few(k, rules.min_cell) | _few(n - k, rules.min_cell)
        reason = np.where((reason == "") & few, "disclosure", reason)
    reason = np.where((reason == "") & ~(n >= rules.min_n), "reliability", reason)
    reason = _secondary(out, masses, reason, rules, overlapping)

    suppressed = reason != ""
    for col in value_columns:
        if col in out.columns:
            if isinstance(out[col].dtype, pd.api.extensions.ExtensionDtype):
                out[col] = out[col].mask(suppressed)
            else:
                out[col] = out[col].where(~suppressed, np.nan)
    out["n"] = pd.array(np.where(suppressed, np.nan, n), dtype="Float64").round().astype("Int64")
    out["suppressed"] = suppressed
    out["suppression_reason"] = pd.Series(reason, index=out.index, dtype=object).astype(str)
    main = next((c for c in ("estimate", "diff") if c in out.columns), None)
    zero = (~suppressed & (out[main].to_numpy(dtype=float, na_value=np.nan) == 0)
            if main else np.zeros(len(out), dtype=bool))
    symbol = np.where(reason == "not_asked", MISSING,
                      np.where(suppressed, SUPPRESSED, np.where(zero, ZERO, "")))
    out["symbol"] = pd.Series(symbol, index=out.index, dtype=object).astype(str)
    return out


def _few(x: np.ndarray, min_cell: int) -> np.ndarray:
    """Between 1 and ``min_cell − 1`` (a NaN, for a mean's count, is not)."""
    with np.errstate(invalid="ignore"):
        return (x > 0) & (x < min_cell)


def _secondary(table: pd.DataFrame, masses: list[np.ndarray], reason: np.ndarray,
               rules: Rules, overlapping: tuple[str, ...]) -> np.ndarray:
    """Suppress further levels until no hidden sum is between 1 and ``min_cell − 1``.

    ``masses[0]`` is ``n``; the others (the share's ``count`` and ``n − count``)
    are checked the same way. The sum over suppressed levels is what "total
    minus published levels" reveals; levels with no respondents (and
    not-asked rows) reveal nothing and do not count. A short sum is topped up
    with the smallest published levels that add to it. One pass suffices: a
    published level's masses are each 0 or at least ``min_cell``, so adding it
    cannot make another mass's sum short. Loops only over the groupings that
    need attention.
    """
    if "group_var" not in table.columns:
        return reason
    reason = reason.copy()
    n = masses[0]
    keys = [k for k in PARTITION_KEYS if k in table.columns]
    part = ~table["group_var"].isin(overlapping).to_numpy()
    group_id = table.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
    size = int(group_id.max()) + 1 if len(group_id) else 0
    by_n = np.argsort(np.nan_to_num(n, nan=np.inf), kind="stable")
    for mass in masses:
        m = np.nan_to_num(mass, nan=0.0)
        counted = (reason != "") & (reason != "not_asked") & (n > 0) & part
        total = np.bincount(group_id, weights=np.where(counted, m, 0.0), minlength=size)
        is_short = _few(total, rules.min_cell)
        if not is_short.any():
            continue
        # Candidates, smallest groups first: the least information lost.
        cand = by_n[is_short[group_id[by_n]] & part[by_n] & (reason[by_n] == "")
                    & (n[by_n] > 0) & (m[by_n] > 0)]
        for i in cand:
            g = group_id[i]
            if is_short[g]:
                reason[i] = "secondary"
                total[g] += m[i]
                is_short[g] = total[g] < rules.min_cell
    return reason
