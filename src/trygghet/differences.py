"""Secondary suppression: what subtracting published figures reveals.

Published cells nest in one another, and the difference of two nested
published figures is itself a group of people:

* a table's total and the levels of a grouping that partitions it (sex, age
  group, area): total − published levels = the suppressed levels *plus the
  respondents with no level* (not stated, allowed in an opt-in year). That
  *remainder* is a hidden cell of the partition like any other;
* the total and a group of an overlapping grouping (relation: bor, arbetar,
  vistas): total − "bor" = those who do not live there (the group's
  *complement*);
* two tables of which one rests on a subset of the other's respondents
  (an opt-in year's adjusted figures rest on the respondents who could be
  calibrated, a subset of those behind the unweighted figure of the same
  group): parent − child is a group for every cell, a *difference table*
  with its own total, partitions and remainders;
* a change table: each row publishes two cells, one per year (for an
  unweighted share, ``estimate × n`` is its count), and each year's cells
  nest as above;
* cells the caller declares to lie *within* other cells of the same table
  (``within``): the cells of a crossed table (women in Centrum) within each of
  their margins (women; Centrum), a filtered group (women aged 16–24) within
  the published groups it is cut from (women; 16–24). The cells of one
  grouping within one parent partition it: parent − its cells is a hidden
  *within-remainder* (women with no stated area), checked like a partition's
  remainder (the textbook rule included). A cell that is merely a *subset* of
  its parent (women aged 16–24 in Centrum, within Centrum), or one of a
  grouping whose groups overlap, has its own complement in the parent.

:func:`secondary_suppression` writes this down as equations ``parent =
Σ children`` over cells — the rows' own plus the hidden remainders,
complements and differences — and audits them the way an attacker would.
Starting from the published cells and from hidden cells known to be empty (a
remainder of 0, such as the adjusted table's: every calibrated respondent has
a sex, an age group and an area), it derives every cell that is the only
unknown of an equation, again and again. Every derived cell, and every hidden
sum (parent − known children), must then hold 0 or at least ``min_cell``
respondents, with and without the trait alike; where one does not, the
smallest published cell that adds to the short sum is suppressed too, and the
audit runs again until nothing is short. Two rules come on top:

* the *textbook rule*: the suppressed levels of a partition hold at least
  ``min_cell`` together even if the remainder were known (the number who did
  not answer a background question is no secret);
* a child table's cell is hidden wherever its parent's is: otherwise what the
  parent hides less the child's cells inside it (the unweighted remainder and
  Man, less the adjusted Man) is a group of its own.

A top-up never makes another sum short: a published cell's masses are each 0
or at least ``min_cell``. Each round is vectorised over all equations; only
the few equations found short are topped up one by one. Against an exact
reference — every set of respondents whose size lies in the row space of the
published figures, on small tables — nothing short is left
(``tests/test_suppress.py``). The audit does not solve the whole linear system
of a large table, and it knows only the nestings the table's columns
describe (not, say, areas inside the municipalities of a national table).

Rows marked ``fixed`` are already public (or already withheld) elsewhere —
the published report's figures, when an analyst's own table is audited
together with them: the attacker knows them, and the audit never changes
them; it hides the other rows instead. Should no other row help, every other
row of that indicator's tables is withheld.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

TOTAL = "total"  # the group_var of a table's total row
_CELL = ["year", "indicator", "estimate_type", "group_var", "group"]
# Roles of a cell: a row's level (or the total), and the hidden cells of a table.
# _WREST and _WCOMP are the within-remainders and within-complements of ``within``.
_LEVEL, _REST, _COMPLEMENT, _STATED, _NONE, _WREST, _WCOMP = range(7)
_NESTABLE = (_LEVEL, _REST, _COMPLEMENT, _WREST, _WCOMP)


def numbers(col: pd.Series | None, length: int = 0) -> np.ndarray:
    """A column as floats (NaN for missing); ``length`` NaNs for no column."""
    if col is None:
        return np.full(length, np.nan)
    return pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def few(x: np.ndarray, min_cell: int) -> np.ndarray:
    """Between 1 and ``min_cell − 1`` (a NaN, for a mean's count, is not)."""
    with np.errstate(invalid="ignore"):
        return (x > 0) & (x < min_cell)


def secondary_suppression(table: pd.DataFrame, reason: np.ndarray, min_cell: int, *,
                          overlapping: tuple[str, ...], nested: Mapping[str, str],
                          within: Iterable[tuple[str, ...]] = (),
                          fixed: np.ndarray | None = None) -> np.ndarray:
    """``reason`` per row, with ``"secondary"`` (and, for a change table's counts,
    ``"disclosure"``) added until no subtraction reveals 1 to ``min_cell − 1`` people.

    ``overlapping``: group_vars whose groups overlap; ``nested``: ``{child: parent}``
    estimate types, the child's respondents a subset of the parent's, group by group;
    ``within``: ``(group_var, group, parent_group_var, parent_group)``, the cell
    inside the parent cell in every table that has both, with ``"subset"`` as a
    fifth item where the cell's grouping does not partition the parent; ``fixed``:
    rows whose state is given (already public or withheld), never changed.
    """
    layout = _Layout.of(table, overlapping, nested, tuple(within))
    fixed = np.zeros(len(table), dtype=bool) if fixed is None else np.asarray(fixed, bool)
    return _Audit(layout, min_cell, fixed).run(reason)


def _three(n: np.ndarray, k: np.ndarray) -> np.ndarray:
    """The masses a cell publishes: its respondents, those with the trait, those without."""
    return np.column_stack([n, k, n - k])


def _sides(table: pd.DataFrame) -> list[dict[str, Any]]:
    """The cells each row publishes: one, or two for a change table (one per year)."""
    def column(name: str) -> Any:
        return table[name] if name in table.columns else pd.Series("", index=table.index)

    def side(year: Any, etype: Any, n: np.ndarray, k: np.ndarray) -> dict[str, Any]:
        return {"year": year, "indicator": column("indicator" if "indicator" in table.columns
                                                   else "variable"),
                "estimate_type": etype, "group_var": column("group_var"),
                "group": column("group"), "n": n, "k": k}

    if {"n_from", "n_to"} <= set(table.columns):
        shares = (table["kind"].eq("share").to_numpy() if "kind" in table.columns
                  else np.ones(len(table), dtype=bool))
        out = []
        for name in ("from", "to"):
            etype = column(f"estimate_type_{name}")
            n = numbers(table[f"n_{name}"])
            est = numbers(table.get(f"estimate_{name}"), len(table))
            # What the published share reveals: exact for an unweighted share.
            k = np.where(shares & etype.eq("unweighted").to_numpy(), np.round(est * n), np.nan)
            out.append(side(column(f"year_{name}"), etype, n, k))
        return out
    return [side(column("year"), column("estimate_type"), numbers(table["n"]),
                 numbers(table.get("count"), len(table)))]


class _Keys:
    """One integer per combination of codes (each from −1 up), for hashing and lookups."""

    def __init__(self, sizes: tuple[int, ...]):
        self.bases = [m + 2 for m in sizes]
        if np.prod([float(b) for b in self.bases]) >= 2.0 ** 62:
            raise ValueError("too many distinct cells to key")  # not with any real table

    def __call__(self, *cols: np.ndarray) -> np.ndarray:
        key = np.asarray(cols[0], dtype=np.int64) + 1
        for col, base in zip(cols[1:], self.bases[1:], strict=False):
            key = key * base + (np.asarray(col, dtype=np.int64) + 1)
        return key


class _Cells:
    """Coordinates of the cells: year, indicator, estimate type, grouping, level (codes),
    role and, for a within-remainder or -complement, its parent's grouping and level
    (``par``, −1 otherwise); the rows' cells first, hidden cells appended."""

    def __init__(self, y, i, t, g, lev):
        self.y, self.i, self.t, self.g, self.lev = y, i, t, g, lev
        self.role = np.full(len(y), _LEVEL)
        self.par = np.full(len(y), -1)

    def add(self, cells: np.ndarray, **change) -> np.ndarray:
        """Append copies of ``cells`` with some coordinates changed; their ids."""
        start = len(self.y)
        for name in ("y", "i", "t", "g", "lev", "role", "par"):
            old = getattr(self, name)
            new = np.broadcast_to(change.get(name, old[cells]), len(cells))
            setattr(self, name, np.concatenate([old, new]))
        return start + np.arange(len(cells))

    def __len__(self) -> int:
        return len(self.y)


@dataclass
class _Layout:
    """Cells and the equations ``parent = Σ children`` that tie them together.

    Cells ``0 … n_rows − 1`` are published by rows (``side_cell[j]`` is the cell
    of side ``j``, which belongs to row ``side_row[j]``); the others are hidden
    by construction. Equation ``q`` has parent ``parent[q]`` and children
    ``e_cell[eq_ptr[q]:eq_ptr[q + 1]]``.
    """

    side_row: np.ndarray
    side_cell: np.ndarray
    row_table: np.ndarray  # per row: its year and indicator (one code per pair)
    is_row: np.ndarray
    true: np.ndarray       # (cells, 3): n, with, without; NaN where not known to us
    zero: np.ndarray       # hidden cells known to be empty (a remainder of 0, say)
    assumed: np.ndarray    # hidden cells taken as known, for checking only
    assumed_parent: np.ndarray  # … once this cell is known (−1: from the start)
    parent: np.ndarray
    derive: np.ndarray     # equations an attacker derives cells from (others: checks only)
    nested: np.ndarray     # (pairs, 2): a parent table's row cell and the child's inside it
    e_eq: np.ndarray
    e_cell: np.ndarray
    eq_ptr: np.ndarray

    @classmethod
    def of(cls, table: pd.DataFrame, overlapping: tuple[str, ...],
           nested: Mapping[str, str],
           within: tuple[tuple[str, ...], ...] = ()) -> _Layout:
        sides = _sides(table)
        side_row = np.tile(np.arange(len(table)), len(sides))
        code, names = {}, {}
        for col in _CELL:
            values = sides[0][col] if len(sides) == 1 else pd.concat(
                [s[col] for s in sides], ignore_index=True)
            code[col], names[col] = pd.factorize(values, use_na_sentinel=False)
        types = {v: c for c, v in enumerate(names["estimate_type"])}
        # (parent, child, difference) type codes of the nested tables
        triples = [(types[p], types[c], len(types) + j) for j, (c, p) in enumerate(
            (c, p) for c, p in nested.items() if c in types and p in types)]
        n_gv, n_g = len(names["group_var"]), len(names["group"])
        key = _Keys((len(names["year"]), len(names["indicator"]), len(types) + len(triples),
                     n_gv, n_g, _WCOMP + 1, (n_gv + 1) * (n_g + 1)))
        side_cell, uniq = pd.factorize(key(*(code[c] for c in _CELL)))
        first = (np.arange(len(side_cell)) if len(uniq) == len(side_cell)
                 else np.unique(side_cell, return_index=True)[1])
        cells = _Cells(*(code[c][first] for c in _CELL))
        n_rows = len(cells)
        for tp, tc, td in triples:
            _pair_tables(cells, key, tp, tc, td)
        groupvars = list(names["group_var"])
        total = groupvars.index(TOTAL) if TOTAL in groupvars else -1
        over = [c for c, v in enumerate(groupvars) if v in overlapping and v != TOTAL]
        eqs = _Equations(cells, key, total, over, [td for *_, td in triples])
        if within:
            codes = {col: {v: c for c, v in enumerate(names[col])}
                     for col in ("group_var", "group")}
            links = [(codes["group_var"][g], codes["group"][lev], codes["group_var"][pg],
                      codes["group"][plev], int("subset" in kind))
                     for g, lev, pg, plev, *kind in within
                     if g in codes["group_var"] and pg in codes["group_var"]
                     and lev in codes["group"] and plev in codes["group"]]
            eqs.add_within(np.array(links, dtype=np.int64).reshape(-1, 5), over, n_g)
        nest_p, nest_c, nest_d = _nestings(cells, key, triples)
        eqs.add(nest_p, [nest_c, nest_d])
        eqs.add_stated()

        tn = np.full(len(cells), np.nan)
        tk = np.full(len(cells), np.nan)
        tn[side_cell] = np.concatenate([s["n"] for s in sides])
        tk[side_cell] = np.concatenate([s["k"] for s in sides])
        eqs.fill_true(tn, tk, nest_p, nest_c, nest_d)

        is_row = np.arange(len(cells)) < n_rows
        role, is_diff = cells.role, eqs.is_diff
        structural = np.isin(role, (_REST, _WREST)) | ((role == _LEVEL) & ~is_diff)
        parent, derive, e_eq, e_cell, eq_ptr = eqs.arrays()
        assumed_parent = np.full(len(cells), -1)
        if eqs.within is not None:
            stated, *_, stated_parent = eqs.within_stated
            assumed_parent[stated] = stated_parent
        row_table = pd.factorize(key(code["year"][:len(table)],
                                     code["indicator"][:len(table)]))[0]
        return cls(side_row=side_row, side_cell=side_cell, row_table=row_table, is_row=is_row,
                   true=_three(tn, tk), zero=structural & (tn == 0),
                   assumed=(role == _STATED) & ~is_diff & ~np.isnan(tn),
                   assumed_parent=assumed_parent, parent=parent,
                   derive=derive, e_eq=e_eq, e_cell=e_cell, eq_ptr=eq_ptr,
                   nested=np.column_stack([nest_p, nest_c])[is_row[nest_p] & is_row[nest_c]])

    def published(self, suppressed: np.ndarray) -> np.ndarray:
        shown = np.zeros(len(self.is_row), dtype=bool)
        shown[self.side_cell[~suppressed[self.side_row]]] = True
        return shown

    def close(self, published: np.ndarray):
        """Everything an attacker derives from the published cells, one equation at a time.

        Returns ``known``, the values ``val`` of the known cells, and for each
        derived cell the equation it came from (``by``, −1 for none) and whether
        it was its only unknown child (``as_child``) rather than its parent.
        """
        later = self.assumed & (self.assumed_parent >= 0)
        known = published | self.zero | (self.assumed & ~later)
        val = np.full(self.true.shape, np.nan)
        val[known] = self.true[known]
        val[self.zero] = 0.0
        by = np.full(len(known), -1)
        as_child = np.zeros(len(known), dtype=bool)
        n_eq = len(self.parent)
        n_children = np.diff(self.eq_ptr)
        while n_eq:
            now = later & ~known
            now[now] = known[self.assumed_parent[now]]
            known[now], val[now] = True, self.true[now]
            unknown = ~known[self.e_cell]
            n_unknown = np.bincount(self.e_eq, unknown, minlength=n_eq)
            parent_known = known[self.parent]
            child_eq = self.derive & parent_known & (n_unknown == 1)
            parent_eq = self.derive & ~parent_known & (n_unknown == 0) & (n_children > 0)
            if not (child_eq.any() or parent_eq.any()):
                break
            sums = self._sums((child_eq | parent_eq)[self.e_eq] & ~unknown, val)
            sel = child_eq[self.e_eq] & unknown
            cells, first = np.unique(self.e_cell[sel], return_index=True)
            eqs = self.e_eq[sel][first]
            val[cells] = val[self.parent[eqs]] - sums[eqs]
            known[cells], by[cells], as_child[cells] = True, eqs, True
            eqs = np.flatnonzero(parent_eq)
            cells, first = np.unique(self.parent[eqs], return_index=True)
            fresh = ~known[cells]
            cells, eqs = cells[fresh], eqs[first][fresh]
            val[cells] = sums[eqs]
            known[cells], by[cells] = True, eqs
        return known, val, by, as_child

    def _sums(self, edges: np.ndarray, val: np.ndarray) -> np.ndarray:
        """Per equation, the sum of the values of its children along ``edges`` (a mask)."""
        eq, values = self.e_eq[edges], val[self.e_cell[edges]]
        return np.column_stack([np.bincount(eq, values[:, m], minlength=len(self.parent))
                                for m in range(values.shape[1])])

    def hidden(self, known, val, by, as_child) -> tuple[np.ndarray, np.ndarray]:
        """Per equation with a known parent: how many children are hidden, and the sum
        the parent less the known children reveals of them (a child the equation itself
        derived is hidden). Where the parent is unknown the count is 0."""
        hid = ~known[self.e_cell] | (as_child[self.e_cell] & (by[self.e_cell] == self.e_eq))
        count = np.bincount(self.e_eq, hid, minlength=len(self.parent))
        count[~known[self.parent]] = 0
        return count, val[self.parent] - self._sums((count > 0)[self.e_eq] & ~hid, val)


def _pair_tables(cells: _Cells, key: _Keys, tp: int, tc: int, td: int) -> None:
    """Nested tables (parent type ``tp``, child ``tc``) of each year and indicator: the
    levels one of them lacks, added hidden there (the adjusted table has no "Annat
    område"), and a difference table ``td`` with every level of either."""
    pair = key(cells.y, cells.i)
    both = np.intersect1d(pair[cells.t == tc], pair[cells.t == tp])
    level = key(cells.y, cells.i, np.zeros(len(cells)), cells.g, cells.lev)
    sel = np.flatnonzero(((cells.t == tc) | (cells.t == tp)) & np.isin(pair, both))
    union = sel[np.unique(level[sel], return_index=True)[1]]
    lacking = {tt: union[~np.isin(level[union], level[cells.t == tt])] for tt in (tc, tp)}
    for tt, missing in lacking.items():
        cells.add(missing, t=tt)
    cells.add(union, t=td)


def _nestings(cells: _Cells, key: _Keys, triples: list) -> tuple[np.ndarray, ...]:
    """For every cell of a parent table: its child cell and their difference."""
    empty = np.zeros(0, dtype=np.int64)
    if not triples:
        return empty, empty, empty
    types = np.array(triples).ravel()
    member = np.flatnonzero(np.isin(cells.t, types) & np.isin(cells.role, _NESTABLE))
    same, _ = pd.factorize(key(cells.y[member], cells.i[member], np.zeros(len(member)),
                               cells.g[member], cells.lev[member], cells.role[member],
                               cells.par[member]))
    where = {}
    for tt in types:
        where[tt] = np.full(same.max() + 1, -1)
        where[tt][same[cells.t[member] == tt]] = member[cells.t[member] == tt]
    out: list[list[np.ndarray]] = [[], [], []]
    for tp, tc, td in triples:
        ok = (where[tp] >= 0) & (where[tc] >= 0) & (where[td] >= 0)
        for part, tt in zip(out, (tp, tc, td), strict=True):
            part.append(where[tt][ok])
    return tuple(np.concatenate(part) for part in out)


class _Equations:
    """Builds the equations: each partition (total = levels + remainder), each
    overlapping group (total = group + complement), each cell within another
    (parent = cells + within-remainder, or parent = cell + within-complement), each
    nesting (parent cell = child cell + difference) and, for checking only, the
    levels of a real table's partition and the cells within a parent (stated =
    levels)."""

    def __init__(self, cells: _Cells, key: _Keys, total: int, over: list[int],
                 diff_types: list[int]):
        self.cells = cells
        table_of, _ = pd.factorize(key(cells.y, cells.i, cells.t))
        root_of = np.full(table_of.max() + 1 if len(table_of) else 0, -1)
        totals = np.flatnonzero(cells.g == total)[::-1]
        root_of[table_of[totals]] = totals   # the first total row of each table
        is_over = np.isin(cells.g, over)
        levels = np.flatnonzero((cells.g != total) & ~is_over)
        groups = np.flatnonzero((cells.g != total) & is_over)
        level_eq, part_key = pd.factorize(key(cells.y[levels], cells.i[levels],
                                              cells.t[levels], cells.g[levels]))
        n_part = len(part_key)
        head = levels[np.unique(level_eq, return_index=True)[1]]   # one level per partition
        rests = cells.add(head, lev=-1, role=_REST)
        comps = cells.add(groups, role=_COMPLEMENT)
        self.stated = cells.add(head, lev=-1, role=_STATED)
        none = cells.add(np.zeros(1, dtype=np.int64), lev=-1, role=_NONE)[0]  # no total
        table_of = np.concatenate([table_of, table_of[head], table_of[groups],
                                   table_of[head], [0]])
        self.diff_types = diff_types
        self.is_diff = np.isin(cells.t, diff_types)
        self.is_diff[none] = True
        self.within: tuple[np.ndarray, ...] | None = None
        root_of[root_of < 0] = none

        self.parents: list[np.ndarray] = []
        self.children: list[tuple[np.ndarray, np.ndarray]] = []   # (equation, cell)
        self.check_only: int | None = None   # the first check-only equation (add_stated)
        part_parent = root_of[table_of[head]]
        part = np.concatenate([levels, rests])
        part_eq = np.concatenate([level_eq, np.arange(n_part)])
        keep = part_parent[part_eq] != none
        self.parents.append(part_parent)
        self.children.append((part_eq[keep], part[keep]))
        self.part = (part_parent, part_eq[keep], part[keep])
        pair_parent = root_of[table_of[groups]]
        keep = pair_parent != none
        self.pairs = (pair_parent[keep], groups[keep], comps[keep])
        self.add(pair_parent[keep], [groups[keep], comps[keep]])
        self.levels, self.level_eq, self.n_part = levels, level_eq, n_part

    def add(self, parents: np.ndarray, children: list[np.ndarray]) -> None:
        """One equation per parent; ``children``: arrays aligned with ``parents``."""
        first = sum(len(p) for p in self.parents)
        self.parents.append(parents)
        eq = first + np.arange(len(parents))
        for child in children:
            self.children.append((eq, child))

    def add_within(self, links: np.ndarray, over: list[int], n_groups: int) -> None:
        """Equations for the cells declared inside other cells of the same table.

        ``links`` holds rows ``(group_var, group, parent group_var, parent group,
        subset)`` (codes, and 1 for a mere subset). In every table with both cells,
        the cells of one grouping within one parent are a partition of it plus a
        hidden within-remainder; a subset, or a grouping in ``over`` (overlapping
        groups), gives each of its cells a hidden within-complement instead.
        """
        cells = self.cells
        level = np.flatnonzero(cells.role == _LEVEL)
        frame = pd.DataFrame({"cell": level, "y": cells.y[level], "i": cells.i[level],
                              "t": cells.t[level], "g": cells.g[level],
                              "lev": cells.lev[level]})
        spec = pd.DataFrame(links, columns=["g", "lev", "pg", "plev", "subset"])
        spec = spec.drop_duplicates(["g", "lev", "pg", "plev"])
        parents = frame.rename(columns={"cell": "pcell", "g": "pg", "lev": "plev"})
        pairs = frame.merge(spec, on=["g", "lev"]).merge(parents, on=["y", "i", "t", "pg",
                                                                       "plev"])
        pairs = pairs[pairs["cell"] != pairs["pcell"]].sort_values(["pcell", "g", "cell"])
        if pairs.empty:
            return
        par = (pairs["pg"].to_numpy() + 1) * (n_groups + 1) + pairs["plev"].to_numpy() + 1
        child, parent = pairs["cell"].to_numpy(), pairs["pcell"].to_numpy()
        overlapping = np.isin(pairs["g"].to_numpy(), over) | pairs["subset"].eq(1).to_numpy()
        # Overlapping groups: parent = cell + its complement in the parent.
        comps = cells.add(child[overlapping], role=_WCOMP, par=par[overlapping])
        self.add(parent[overlapping], [child[overlapping], comps])
        # A partition: parent = its cells + the within-remainder.
        part = ~overlapping
        groupvar = pairs["g"].to_numpy()[part]
        eq, head = pd.factorize(parent[part] * (groupvar.max(initial=0) + 2) + groupvar + 1)
        eq = eq.astype(np.int64)
        lead = np.unique(eq, return_index=True)[1]     # one row per equation
        rests = cells.add(parent[part][lead], g=groupvar[lead], lev=-1,
                          role=_WREST, par=par[part][lead])
        start = sum(len(p) for p in self.parents)
        self.parents.append(parent[part][lead])
        self.children.append((start + eq, child[part]))
        self.children.append((start + np.arange(len(head)), rests))
        added = np.concatenate([comps, rests])
        self.is_diff = np.concatenate([self.is_diff, np.isin(cells.t[added], self.diff_types)])
        # Partitions: parents, each cell's equation, cells, remainders; then the
        # overlapping groups: parents, cells, complements.
        self.within = (parent[part][lead], eq, child[part], rests,
                       parent[overlapping], child[overlapping], comps)

    def add_stated(self) -> None:
        real = ~self.is_diff[self.levels]
        first = sum(len(p) for p in self.parents)
        self.parents.append(self.stated)
        self.children.append((first + self.level_eq[real], self.levels[real]))
        self.check_only = first
        if self.within is None:
            return
        # The textbook rule for the cells within a parent, as for a partition's levels.
        parents, eq, child, rests, *_ = self.within
        real = ~self.is_diff[rests]
        stated = self.cells.add(rests[real], role=_STATED)
        self.is_diff = np.concatenate([self.is_diff, np.zeros(len(stated), dtype=bool)])
        renumber = np.full(len(rests), -1)
        renumber[real] = np.arange(real.sum())
        keep = real[eq]
        start = sum(len(p) for p in self.parents)
        self.parents.append(stated)
        self.children.append((start + renumber[eq[keep]], child[keep]))
        # A parent's stated cells are known only once the parent is (unlike a table's
        # total, a parent may itself be hidden).
        self.within_stated = (stated, renumber[eq[keep]], child[keep], parents[real])

    def fill_true(self, tn, tk, nest_p, nest_c, nest_d) -> None:
        """What we know of the hidden cells: a remainder is the total less the levels
        (0 if they add up to the total), a complement the total less the group, a
        difference the parent less the child, the stated the sum of the levels."""
        part_parent, part_eq, part = self.part
        real = ~self.is_diff[part]
        pe, pc = part_eq[real], part[real]
        unknown = np.isnan(tn[pc])
        n_part = self.n_part
        left = np.column_stack([tn, tk])[part_parent] - np.column_stack([
            np.bincount(pe, np.where(unknown, 0, tn[pc]), minlength=n_part),
            np.bincount(pe, np.where(unknown, 0, tk[pc]), minlength=n_part)])
        n_unknown = np.bincount(pe, unknown, minlength=n_part)
        empty = left[:, 0] == 0
        fill = unknown & (empty | (n_unknown == 1))[pe]
        tn[pc[fill]] = np.where(empty[pe[fill]], 0, left[pe[fill], 0])
        tk[pc[fill]] = np.where(empty[pe[fill]], 0, left[pe[fill], 1])
        root, group, comp = self.pairs
        real = ~self.is_diff[group]
        tn[comp[real]] = tn[root[real]] - tn[group[real]]
        tk[comp[real]] = tk[root[real]] - tk[group[real]]
        if self.within is not None:  # a difference table's come from the nesting below
            parents, eq, child, rests, o_parent, o_child, comps = self.within
            for t in (tn, tk):
                left = t[parents] - np.bincount(eq, t[child], minlength=len(rests))
                real = ~self.is_diff[rests]
                t[rests[real]] = left[real]
                real = ~self.is_diff[comps]
                t[comps[real]] = t[o_parent[real]] - t[o_child[real]]
        tn[nest_d], tk[nest_d] = tn[nest_p] - tn[nest_c], tk[nest_p] - tk[nest_c]
        tn[self.stated] = np.bincount(self.level_eq, tn[self.levels], minlength=n_part)
        tk[self.stated] = np.bincount(self.level_eq, tk[self.levels], minlength=n_part)
        if self.within is not None:
            stated, eq, child, _ = self.within_stated
            tn[stated] = np.bincount(eq, tn[child], minlength=len(stated))
            tk[stated] = np.bincount(eq, tk[child], minlength=len(stated))

    def arrays(self):
        """parent, derive, e_eq, e_cell (sorted by equation) and eq_ptr."""
        parent = np.concatenate(self.parents).astype(np.int64)
        e_eq = np.concatenate([e for e, _ in self.children]).astype(np.int64)
        e_cell = np.concatenate([c for _, c in self.children]).astype(np.int64)
        order = np.argsort(e_eq, kind="stable")
        e_eq, e_cell = e_eq[order], e_cell[order]
        n_derive = len(parent) if self.check_only is None else self.check_only
        derive = np.arange(len(parent)) < n_derive
        return parent, derive, e_eq, e_cell, np.searchsorted(e_eq, np.arange(len(parent) + 1))


class _Audit:
    """Secondary suppression: suppress published cells until no audit finds a short sum.

    ``fixed`` rows keep their state: a cell published by one of them cannot be hidden.
    """

    def __init__(self, layout: _Layout, min_cell: int, fixed: np.ndarray):
        self.layout = layout
        self.min_cell = min_cell
        self.fixed = fixed
        order = np.argsort(layout.side_cell, kind="stable")
        self.rows_by_cell = layout.side_row[order]
        self.row_ptr = np.searchsorted(layout.side_cell[order],
                                       np.arange(len(layout.is_row) + 1))
        self.fixed_cell = np.zeros(len(layout.is_row), dtype=bool)
        self.fixed_cell[layout.side_cell[fixed[layout.side_row]]] = True

    def run(self, reason: np.ndarray) -> np.ndarray:
        lay = self.layout
        self.reason = reason.copy()
        self.suppressed = self.reason != ""
        self.known = np.zeros(len(lay.is_row), dtype=bool)
        # A side of a change table publishes a count no column holds (share × n).
        self.pub = lay.published(self.suppressed)
        small = self.pub & few(lay.true, self.min_cell).any(axis=1)
        rows = lay.side_row[small[lay.side_cell] & ~self.suppressed[lay.side_row]]
        rows = rows[~self.fixed[rows]]
        self.suppressed[rows] = True
        self.reason[rows] = "disclosure"
        while True:
            self._follow_parents()
            self.pub = lay.published(self.suppressed)
            self.known, self.val, self.by, self.as_child = lay.close(self.pub)
            count, hidden = lay.hidden(self.known, self.val, self.by, self.as_child)
            short = (count > 0) & few(hidden, self.min_cell).any(axis=1)
            if not short.any():
                break
            progress = False
            for eq in np.flatnonzero(short):
                progress |= self._top_up(int(eq))
            # Nothing left to suppress that would help (unless fixed rows stood in the way).
            if not progress and not self._withhold_around(np.flatnonzero(short)):
                break
        return self.reason

    def _withhold_around(self, equations: np.ndarray) -> bool:
        """Where hiding single cells cannot help because the cells that would are fixed
        (already public), withhold every other row of the equations' tables."""
        lay = self.layout
        if not self.fixed.any():
            return False
        cells = np.concatenate([lay.parent[equations],
                                *(self._children(eq) for eq in equations)])
        cells = cells[lay.is_row[cells]]
        tables = np.unique(lay.row_table[lay.side_row[np.isin(lay.side_cell, cells)]])
        rows = np.flatnonzero(np.isin(lay.row_table, tables) & ~self.suppressed & ~self.fixed)
        self.suppressed[rows] = True
        self.reason[rows] = "secondary"
        return len(rows) > 0

    def _follow_parents(self) -> None:
        """A child table's cell is hidden wherever the parent table's is: otherwise
        what the parent hides less the child's cells inside it (the unweighted
        remainder less the adjusted level, say) is a group of its own."""
        lay = self.layout
        while True:
            self.pub = lay.published(self.suppressed)
            parent, child = lay.nested[:, 0], lay.nested[:, 1]
            orphans = child[~self.pub[parent] & self.pub[child] & ~self.fixed_cell[child]]
            if not len(orphans):
                return
            rows = lay.side_row[np.isin(lay.side_cell, orphans) & ~self.suppressed[lay.side_row]]
            rows = rows[~self.fixed[rows]]
            self.suppressed[rows] = True
            self.reason[rows] = "secondary"

    def _children(self, eq: int) -> np.ndarray:
        lay = self.layout
        return lay.e_cell[lay.eq_ptr[eq]:lay.eq_ptr[eq + 1]]

    def _top_up(self, eq: int) -> bool:
        """Hide the smallest known children that add to the short sums of ``eq``."""
        lay = self.layout
        parent = lay.parent[eq]
        if not self.known[parent]:
            return False
        children = self._children(eq)
        hid = ~self.known[children] | (self.as_child[children] & (self.by[children] == eq))
        shown = children[~hid]
        hidden = self.val[parent] - self.val[shown].sum(axis=0)
        shown = shown[np.lexsort((shown, self.val[shown, 0],
                                  ~(lay.is_row[shown] & self.pub[shown])
                                  | self.fixed_cell[shown]))]
        progress = False
        for m in range(3):
            for cell in shown:
                if not few(hidden[m], self.min_cell):
                    break
                if self.known[cell] and self.val[cell, m] > 0 and self._hide(cell, m):
                    hidden += self.val[cell]
                    progress = True
        return progress

    def _hide(self, cell: int, mass: int, depth: int = 4) -> bool:
        """Make a known cell unknown: suppress it, or a cell it was derived from."""
        lay = self.layout
        if lay.is_row[cell] and self.pub[cell] and not self.fixed_cell[cell]:
            self._suppress(cell, "secondary")
            return True
        eq = self.by[cell]
        if depth == 0 or eq < 0:
            return False
        terms = np.concatenate([self._children(eq), [lay.parent[eq]]])
        terms = terms[(terms != cell) & self.known[terms] & (self.val[terms, mass] > 0)]
        terms = terms[np.lexsort((terms, self.val[terms, 0], terms == lay.parent[eq],
                                  ~(lay.is_row[terms] & self.pub[terms])
                                  | self.fixed_cell[terms]))]
        for term in terms:
            if self._hide(term, mass, depth - 1):
                self.known[cell] = False
                return True
        return False

    def _suppress(self, cell: int, why: str) -> None:
        rows = self.rows_by_cell[self.row_ptr[cell]:self.row_ptr[cell + 1]]
        rows = rows[~self.suppressed[rows] & ~self.fixed[rows]]
        self.suppressed[rows] = True
        self.reason[rows] = why
        self.pub[cell] = False
        self.known[cell] = False
