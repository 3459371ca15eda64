"""Disclosure control: the one gate every published table goes through.

Two separate rules, both configurable (``disclosure`` in ``config/trygghet.yml``):

* **Disclosure** (confidentiality, offentlighets- och sekretesslagen): no
  cell, count or estimate from fewer than ``min_cell`` respondents (5;
  refused below 3). A share published with its ``n`` also publishes its cell
  counts: how many have the trait (``count``) and how many have not
  (``n − count``). Each of them must be 0 or at least ``min_cell``: "2 of 63
  feel unsafe in daytime" is a cell of two people, whatever the group's size.
  (A zero is published as ``–``, as in official tables.)
* **Reliability**: no estimate from fewer than ``min_n`` respondents (30;
  refused below 10).

**Nothing may be revealed by subtraction either** (secondary suppression,
:mod:`trygghet.differences`): a total less its published parts is the
suppressed parts plus those who did not state the grouping (allowed in an
opt-in year); a total less a group of an overlapping grouping (relation:
"bor") is those outside it; an unweighted figure less the adjusted figure
nested in it is the respondents who could not be calibrated; and a change
table publishes the cells of two years; an analyst's crossed or filtered
table publishes cells within its margins and within the groups it is cut
from (``within``), beside figures already public (``fixed``). Each such
group must hold 0 or at least ``min_cell`` respondents, with and without the
trait; where one would not, more cells are suppressed (``secondary``).

A suppressed cell is *absent*: its estimate, interval and count become
NaN/NA, never 0. Its ``symbol`` follows Swedish official tables:

=======  =============================================================
``..``   suppressed: too few respondents, or would reveal such a cell
``.``    data missing (e.g. the question was not asked that year)
``–``    magnitude zero (an estimate that is exactly 0)
=======  =============================================================
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .differences import few, numbers, secondary_suppression
from .errors import TrygghetError
from .fmt import MISSING, SUPPRESSED, ZERO

REASONS = ("", "disclosure", "reliability", "secondary", "not_asked")
HARD_MIN_N = 10  # the reliability rule may never go below this
HARD_MIN_CELL = 3  # nor the disclosure rule below this
# Columns blanked in a suppressed row, where present.
VALUE_COLUMNS = ("estimate", "count", "se", "ci_low", "ci_high", "df", "estimate_from",
                 "estimate_to", "n_from", "n_to", "diff")
OVERLAPPING = ("total", "relation")
# Child estimate type → the estimate type of the same year and indicator whose
# respondents, group by group, include the child's (the adjusted figures rest on
# the respondents who could be calibrated).
NESTED = {"adjusted": "unweighted"}


@dataclass(frozen=True)
class Rules:
    """The two thresholds. ``min_cell`` below 3 and ``min_n`` below 10 are refused."""

    min_cell: int = 5
    min_n: int = 30

    def __post_init__(self):
        for name in ("min_cell", "min_n"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise TrygghetError(f"disclosure.{name} ska vara ett positivt heltal",
                                    column=f"disclosure.{name}")
        if self.min_cell < HARD_MIN_CELL:
            raise TrygghetError(
                f"disclosure.min_cell = {self.min_cell} är för lågt: en uppgift om färre än "
                f"{HARD_MIN_CELL} svarande röjer enskilda personer och publiceras aldrig",
                column="disclosure.min_cell",
                hint=f"sätt min_cell till minst {HARD_MIN_CELL} (standard 5)")
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
            nested: Mapping[str, str] = NESTED,
            value_columns: tuple[str, ...] = VALUE_COLUMNS,
            within: Iterable[tuple[str, ...]] = (),
            fixed: Any = None) -> pd.DataFrame:
    """Apply disclosure and reliability control to a table about to be published.

    Parameters
    ----------
    table
        One row per cell with an ``n`` column (respondents behind the cell)
        and, for shares, optionally ``count`` (those of them with the trait).
        ``group_var``/``group`` and the key columns (``year``, ``indicator``,
        ``estimate_type``) place each cell in its table: the row with
        ``group_var == "total"`` is the table's total, every other
        ``group_var`` a grouping of it. A change table (``n_from``, ``n_to``,
        ``year_from``, ``year_to``, ``estimate_type_from``/``_to``,
        ``estimate_from``/``_to``) publishes two cells per row, one per
        year; an unweighted share's count is what ``estimate × n`` reveals.
        Rows already marked ``suppressed`` (e.g. ``suppression_reason =
        "not_asked"``) stay so.
    rules
        Thresholds; default 5 and 30.
    overlapping
        ``group_var`` values whose groups overlap (a multi-select question):
        each group is checked against the total on its own.
    nested
        ``{child: parent}`` estimate types: the child's respondents are, group
        by group, a subset of the parent's (default: adjusted ⊂ unweighted).
    within
        ``(group_var, group, parent_group_var, parent_group)``: the cell lies
        inside the parent cell, in every table (year, indicator, estimate type)
        that has both — a crossed table's cell within each of its margins
        (``("sex × area", "Kvinna × Centrum", "sex", "Kvinna")``). The cells of
        one grouping within one parent partition it, up to those who did not
        state the grouping, unless the grouping is in ``overlapping`` or the
        link ends in ``"subset"`` (a filtered group within a published group it
        is cut from: ``("filter", "…", "sex", "Kvinna", "subset")``).
    fixed
        A boolean per row: figures already public (or withheld) elsewhere, such
        as the published report's when an analyst's own table is checked
        beside them. Their ``suppressed``/``suppression_reason`` are kept as
        given; the rules and the audit only ever hide the other rows.

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
    n = numbers(out["n"])
    reason = (out["suppression_reason"].fillna("").astype(str).to_numpy(dtype=object)
              if "suppression_reason" in out.columns else np.full(len(out), "", dtype=object))
    if "suppressed" in out.columns:
        already = out["suppressed"].fillna(False).to_numpy(dtype=bool)
        reason = np.where(already & (reason == ""), "disclosure", reason)
    fixed = (np.zeros(len(out), dtype=bool) if fixed is None
             else np.asarray(fixed, dtype=bool).reshape(len(out)))
    free = (reason == "") & ~fixed
    # Unknown n cannot be vouched for: treat as too small.
    reason = np.where(free & ~(n >= rules.min_cell), "disclosure", reason)
    if "count" in out.columns:
        k = numbers(out["count"])
        small = few(k, rules.min_cell) | few(n - k, rules.min_cell)
        reason = np.where((reason == "") & small & ~fixed, "disclosure", reason)
    reason = np.where((reason == "") & ~(n >= rules.min_n) & ~fixed, "reliability", reason)
    if "group_var" in out.columns and len(out):
        reason = secondary_suppression(out, reason, rules.min_cell, overlapping=overlapping,
                                       nested=nested, within=within, fixed=fixed)

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
