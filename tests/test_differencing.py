"""The differencing attack on everything the sample publishes.

An attacker holds every published file of every sample year: the estimates and
changes tables (``data/processed/<year>/estimates.parquet``, ``changes.parquet``),
the Excel appendices read back with openpyxl (every theme sheet and the change
sheet), the follow-up table ``promises.csv`` and the HTML reports (the
municipality's and an area's). From them they pool every published cell —
indicator × group × estimate type × year, with its ``n`` and, for a share, its
count of respondents with the trait: the published ``count``, or
``round(share × n)`` for an unweighted share (exact) — and then subtract:

1. **total minus the published parts** of every grouping that partitions the
   respondents (sex, age group, area): what is left are the suppressed levels
   plus those who did not state the grouping (allowed in the opt-in year);
2. **every pair of nested published cells**: the total minus any one group
   (this is how an overlapping grouping such as ``relation``, "bor", leaks),
   and, in the opt-in year, the unweighted figure minus the adjusted one of the
   same group or of any group inside it (the adjusted figures rest on the
   respondents who could be calibrated, a subset);
3. **the difference table**: (unweighted − adjusted total) minus the published
   (unweighted − adjusted) parts — the respondents who could not be calibrated,
   by group;
4. first **recovering** what arithmetic gives away: a suppressed level that is the
   only unknown of a partition whose remainder is known — the adjusted figures
   rest only on respondents with a sex, an age group and one of the areas (the
   method note says so), and a hidden sum of 0 means every hidden part is 0;
5. what an unweighted partition hides (1.) **less the adjusted cells inside it**.

Every group so revealed must hold 0 or at least ``min_cell`` respondents, and
likewise 0 or at least ``min_cell`` with and without the trait. The HTML reports
and ``promises.csv`` are checked to publish no figure outside the pool (so the
attack on the pool covers them). The attack is written from the files alone, not
from :mod:`trygghet.suppress`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml
from bs4 import BeautifulSoup
from conftest import SAMPLE_YEARS

from trygghet import references
from trygghet.indicators import INDICATORS
from trygghet.references import read_references
from trygghet.vocabulary import label

PARTITIONS = ("sex", "age_group", "area")   # single-choice questions: disjoint levels
OVERLAPPING = ("relation",)                 # multi-select: bor, arbetar, vistas overlap
NESTED = {"adjusted": "unweighted"}         # child estimate type → the type it nests in
GROUP_VARS = {"Totalt": "total", "Kön": "sex", "Ålder": "age_group", "Område": "area",
              "Relation till området": "relation"}
ESTIMATE_TYPES = {"Ovägd": "unweighted", "Vägd": "weighted", "Justerad": "adjusted"}


def min_cell(root: Path) -> int:
    settings = yaml.safe_load((root / "config" / "trygghet.yml").read_text(encoding="utf-8"))
    return int(settings["disclosure"]["min_cell"])


# --- The pool of published cells -------------------------------------------------------------

class Pool:
    """Every published cell, merged over the files; a cell published twice must agree."""

    def __init__(self):
        self.cells: dict[tuple, dict] = {}
        self.levels: dict[tuple, set] = defaultdict(set)   # (year, ind, type, var) → groups
        self.conflicts: list[str] = []

    def level(self, year, indicator, etype, group_var, group):
        """A row exists (published or shown as a symbol): its level is known."""
        self.levels[(int(year), indicator, etype, group_var)].add(group)

    def add(self, source, year, indicator, etype, group_var, group, *, n=None, share=None,
            count=None):
        key = (int(year), indicator, etype, group_var, str(group))
        self.level(*key)
        cell = self.cells.setdefault(key, {"n": None, "share": None, "count": None})
        for name, value in (("n", n), ("share", share), ("count", count)):
            if value is None or (isinstance(value, float) and math.isnan(value)):
                continue
            old = cell[name]
            if old is not None and not math.isclose(old, value, rel_tol=1e-9, abs_tol=1e-9):
                self.conflicts.append(f"{source}: {key} {name} {value} ≠ {old}")
            cell[name] = float(value)

    def masses(self) -> dict[tuple, np.ndarray]:
        """Per cell: [n, with the trait] (NaN where unknown). For an unweighted share the
        count is recovered as round(share × n), and must agree with a published count."""
        out = {}
        for key, c in self.cells.items():
            if c["n"] is None:
                continue
            k = c["count"]
            share = c["share"]
            if (share is not None and key[2] == "unweighted"
                    and INDICATORS[key[1]].kind == "share"):
                recovered = round(share * c["n"])
                assert abs(share * c["n"] - recovered) < 1e-6, (key, share, c["n"])
                if k is not None and k != recovered:
                    self.conflicts.append(f"{key}: count {k} ≠ share × n {recovered}")
                k = recovered
            out[key] = np.array([c["n"], np.nan if k is None else k])
        return out


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def read_parquets(pool: Pool, root: Path) -> None:
    for year in SAMPLE_YEARS:
        folder = root / "data" / "processed" / str(year)
        est = pd.read_parquet(folder / "estimates.parquet")
        for r in est.itertuples(index=False):
            pool.level(r.year, r.indicator, r.estimate_type, r.group_var, r.group)
            if r.suppressed:
                continue
            pool.add("estimates.parquet", r.year, r.indicator, r.estimate_type, r.group_var,
                     r.group, n=r.n, share=r.estimate if r.kind == "share" else None,
                     count=None if pd.isna(r.count) else r.count)
        ch = pd.read_parquet(folder / "changes.parquet")
        for r in ch[~ch["suppressed"]].itertuples(index=False):
            share = r.kind == "share"
            for side in ("from", "to"):
                pool.add(f"changes.parquet {year}", getattr(r, f"year_{side}"), r.indicator,
                         getattr(r, f"estimate_type_{side}"), r.group_var, r.group,
                         n=getattr(r, f"n_{side}"),
                         share=getattr(r, f"estimate_{side}") if share else None)


def read_appendices(pool: Pool, root: Path) -> int:
    """Every theme sheet and the change sheet of every year's Excel appendix."""
    primary = {}
    rows_read = 0
    for year in SAMPLE_YEARS:
        wb = openpyxl.load_workbook(root / "reports" / str(year) / f"tabeller_{year}.xlsx")
        changes, ccol = [], {}
        for ws in wb.worksheets[1:]:
            if ws.title == "Referensvärden":  # published figures of others, not of the survey
                continue
            rows = list(ws.iter_rows(min_row=3, values_only=True))
            col = {h: i for i, h in enumerate(rows[0]) if h}
            body = [r for r in rows[1:] if r[col["Indikatornamn"]] in INDICATORS]
            if ws.title == "Förändringar":
                changes, ccol = body, col
                continue
            value = next(i for h, i in col.items() if h.startswith(("Andel", "Medelvärde",
                                                                      "Värde")))
            for r in body:
                ind = r[col["Indikatornamn"]]
                etype = next(t for sv, t in ESTIMATE_TYPES.items()
                             if r[col["Skattning"]].startswith(sv))
                group_var = GROUP_VARS[r[col["Redovisningsgrupp"]]]
                group = str(r[col["Grupp"]]).lstrip("'")
                pool.level(year, ind, etype, group_var, group)
                n, v = _number(r[col["Antal svarande"]]), _number(r[value])
                if r[value] == "–":
                    v = 0.0
                share = INDICATORS[ind].kind == "share"
                if n is not None:
                    rows_read += 1
                    pool.add(f"tabeller_{year}.xlsx", year, ind, etype, group_var, group, n=n,
                             share=(v / 100 if share else None) if v is not None else None)
                if etype in ("weighted", "unweighted"):
                    primary[year] = etype
        for r in changes:
            ind = r[ccol["Indikatornamn"]]
            share = INDICATORS[ind].kind == "share"
            for side in ("från", "till"):
                y = r[ccol["Från år" if side == "från" else "Till år"]]
                v = r[ccol[f"Värde {side}"]]
                if _number(v) is None or not share:
                    continue
                pool.add(f"tabeller_{year}.xlsx Förändringar", y, ind, primary[y],
                         GROUP_VARS[r[ccol["Redovisningsgrupp"]]],
                         str(r[ccol["Grupp"]]).lstrip("'"), share=v / 100)
    return rows_read


# --- The attack -------------------------------------------------------------------------------

def _short(x: np.ndarray, k: int) -> bool:
    """A revealed group of 1 to k − 1 people (n, with or without the trait)."""
    with np.errstate(invalid="ignore"):
        return bool(np.any((x > 1e-9) & (x < k - 1e-9)))


def _three(m: np.ndarray) -> np.ndarray:
    """n, with the trait, without it."""
    return np.array([m[0], m[1], m[0] - m[1]])


def recover(pool: Pool, cells: dict[tuple, np.ndarray]) -> dict[tuple, np.ndarray]:
    """What arithmetic gives away: the only unknown part of a partition whose remainder
    is known, and every hidden part of a hidden sum of 0."""
    known = dict(cells)
    # The adjusted figures rest on calibrated respondents only: each has a sex, an age
    # group and one of the areas, so those partitions of the adjusted table have no
    # remainder, and a level of the unweighted table absent from the adjusted one is 0.
    complete = set()
    for (year, ind, etype, var), groups in list(pool.levels.items()):
        if etype in NESTED and var in PARTITIONS:
            parent = pool.levels.get((year, ind, NESTED[etype], var), set())
            for g in parent - groups:
                known.setdefault((year, ind, etype, var, g), np.array([0.0, 0.0]))
                pool.level(year, ind, etype, var, g)
            complete.add((year, ind, etype, var))
    changed = True
    while changed:
        changed = False
        for (year, ind, etype, var), groups in pool.levels.items():
            if var not in PARTITIONS:
                continue
            total = known.get((year, ind, etype, "total", "Totalt"))
            if total is None:
                continue
            parts = [known.get((year, ind, etype, var, g)) for g in sorted(groups)]
            unknown = [g for g, p in zip(sorted(groups), parts, strict=True) if p is None]
            if not unknown:
                continue
            rest = total - sum((p for p in parts if p is not None), np.zeros(2))
            if rest[0] == 0:
                values = [np.array([0.0, 0.0])] * len(unknown)
            elif len(unknown) == 1 and (year, ind, etype, var) in complete:
                values = [rest]
            else:
                continue
            for g, v in zip(unknown, values, strict=True):
                known[(year, ind, etype, var, g)] = v
            changed = True
    return known


def attack(pool: Pool, k: int) -> tuple[list[str], int]:
    """Every group of 1 to k − 1 people the pool reveals, and how many groups were tried."""
    cells = recover(pool, pool.masses())
    found, tried = [], 0

    def check(what, masses):
        nonlocal tried
        tried += 1
        three = _three(masses)
        if np.any(three < -1e-9):
            found.append(f"inconsistent: {what} = {three}")
        elif _short(three, k):
            found.append(f"{what}: n={three[0]:g}, with={three[1]:g}, without={three[2]:g}")

    tables = defaultdict(dict)   # (year, indicator, type) → {(var, group): masses}
    for (year, ind, etype, var, group), m in cells.items():
        tables[(year, ind, etype)][(var, group)] = m
    for key, table in tables.items():
        total = table.get(("total", "Totalt"))
        if total is not None:
            # 1. total minus the published parts of a partition (the remainder included)
            for var in PARTITIONS:
                groups = pool.levels.get((*key, var), set())
                if groups:
                    parts = sum((table[(var, g)] for g in groups if (var, g) in table),
                                np.zeros(2))
                    check(f"{key} Totalt − published {var}", total - parts)
            # 2. the total minus any one group nested in it
            for (var, group), m in table.items():
                if var != "total":
                    check(f"{key} Totalt − {var} {group}", total - m)
        # 2. and 3. the unweighted figure minus the adjusted one nested in it
        year, ind, etype = key
        parent = tables.get((year, ind, NESTED.get(etype)), {})
        if ("total", "Totalt") not in parent:
            continue
        whole = parent[("total", "Totalt")]
        for (var, group), m in table.items():
            check(f"{key} {NESTED[etype]} Totalt − adjusted {var} {group}", whole - m)
            if (var, group) in parent:
                check(f"{key} {NESTED[etype]} − adjusted {var} {group}", parent[(var, group)] - m)
        # 5. what an unweighted partition hides less the adjusted cells inside it
        for var in PARTITIONS:
            groups = pool.levels.get((year, ind, NESTED[etype], var), set())
            hidden = [g for g in groups if (var, g) not in parent]
            inside = [table[(var, g)] for g in hidden if (var, g) in table]
            if inside:
                shown = sum((parent[(var, g)] for g in groups if (var, g) in parent),
                            np.zeros(2))
                check(f"{key} {NESTED[etype]} Totalt − published {var} − adjusted inside",
                      whole - shown - sum(inside, np.zeros(2)))
        if total is None:
            continue
        diff_total = whole - total
        for var in (*PARTITIONS, *OVERLAPPING):
            both = [g for g in pool.levels.get((*key, var), set())
                    if (var, g) in table and (var, g) in parent]
            diffs = [parent[(var, g)] - table[(var, g)] for g in both]
            if var in PARTITIONS:
                check(f"{key} difference table: Totalt − published {var}",
                      diff_total - sum(diffs, np.zeros(2)))
            for g, d in zip(both, diffs, strict=True):
                check(f"{key} difference table: Totalt − {var} {g}", diff_total - d)
    return found, tried


@pytest.fixture(scope="module")
def pool(sample_run) -> Pool:
    p = Pool()
    read_parquets(p, sample_run)
    assert read_appendices(p, sample_run) > 2000
    return p


def test_published_files_agree_with_each_other(pool):
    assert not pool.conflicts, pool.conflicts[:10]


def test_no_difference_of_published_figures_reveals_fewer_than_min_cell(pool, sample_run):
    k = min_cell(sample_run)
    found, tried = attack(pool, k)
    assert tried > 2_000   # the attack did run: every table, grouping and pair
    assert not found, f"{len(found)} groups of 1–{k - 1} people:\n" + "\n".join(found[:25])


def test_the_attack_finds_a_planted_leak(pool, sample_run):
    """The attack is not blind: publishing the 2019 remainder's neighbour reveals it."""
    k = min_cell(sample_run)
    planted = Pool()
    planted.levels = defaultdict(set, {key: set(v) for key, v in pool.levels.items()})
    planted.cells = {key: dict(c) for key, c in pool.cells.items()}
    key = (2019, "otrygg_kvall", "unweighted")
    total = planted.cells[(*key, "total", "Totalt")]
    sexes = sorted(pool.levels[(*key, "sex")])
    # Make the published sexes sum to the total less two people, one with the trait.
    kvinna = planted.cells[(*key, "sex", sexes[0])]
    others = sum(planted.cells[(*key, "sex", g)]["n"] for g in sexes[1:])
    n = total["n"] - others - 2
    count = round(total["share"] * total["n"]) - sum(
        round(planted.cells[(*key, "sex", g)]["share"] * planted.cells[(*key, "sex", g)]["n"])
        for g in sexes[1:]) - 1
    kvinna.update(n=float(n), share=count / n, count=None)
    found, _ = attack(planted, k)
    assert any("2019, 'otrygg_kvall', 'unweighted') Totalt − published sex" in f
               for f in found), found[:5]


# --- The reports and the follow-up publish nothing outside the pool ---------------------------

def _html_value(text: str) -> float | None:
    head = text.split("(")[0].replace("\u00a0", "").replace(" ", "").replace("%", "")
    if head == "–":
        return 0.0
    try:
        return float(head.replace(",", "."))
    except ValueError:
        return None


def _tables(path: Path):
    """Per table of an HTML report: caption, header and the body rows as dicts."""
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    for table in soup.find_all("table"):
        rows = [[c.get_text(" ", strip=True) for c in tr.find_all(["th", "td"])]
                for tr in table.find_all("tr")]
        body = [dict(zip(rows[0], r, strict=True)) for r in rows[1:] if len(r) == len(rows[0])]
        yield table.caption.get_text(" ", strip=True), rows[0], body


def test_html_reports_show_only_pooled_figures(pool, sample_run):
    """Every figure in a survey report's tables (the municipality's and the area's) is a
    published cell: the same n and share, or the same share or index of the same group,
    rounded as shown."""
    checked = 0
    for path in sorted((sample_run / "reports").rglob("trygghetsrapport_*.html")):
        year = int(path.stem.split("_")[1])
        est = pd.read_parquet(sample_run / "data" / "processed" / str(year)
                              / "estimates.parquet")
        est = est[~est["suppressed"] & est["estimate_type"].isin(["weighted", "unweighted"])]
        shares, means = est[est["kind"] == "share"], est[est["kind"] == "mean"]
        with_n = set(zip(shares["n"].astype(float), (100 * shares["estimate"]).round(1),
                         strict=True))
        by_group = {"share": defaultdict(set), "mean": defaultdict(set)}
        # Reference values (Riket …) sit beside the survey's figures: each is the
        # reference file's value, nothing about the respondents.
        refs = read_references(sample_run / "data" / "reference", year)
        reference = {} if refs is None else {
            references.label(r, "sv"): {round(100 * r["value"], 1), round(100 * r["value"])}
            for _, r in refs.iterrows()}
        # Tables show a group by its label ("Kvinnor" for the group "Kvinna").
        for r in shares.itertuples(index=False):
            by_group["share"][label("group", r.group, "sv")].add(round(100 * r.estimate, 1))
        for r in means.itertuples(index=False):
            by_group["mean"][label("group", r.group, "sv")].add(round(r.estimate, 2))
        for caption, head, body in _tables(path):
            if "Antal svar" in head:
                for row in body:
                    n, v = _html_value(row["Antal svar"]), _html_value(row["Skattning"])
                    if n is None:
                        assert row["Skattning"] in ("..", "."), (path.name, row)
                        continue
                    assert (n, v) in with_n, (path.name, caption, row)
                    checked += 1
            elif head[0] == "Grupp" or "jämfört" in caption:
                for row in body:
                    kind = "mean" if caption.startswith("Index") else "share"
                    for name in head[1:]:
                        v = _html_value(row[name])
                        if "KI" in name or v is None:
                            continue
                        if head[0] == "Grupp":
                            group = row["Grupp"]
                        else:   # the area beside the whole municipality
                            group = "Totalt" if name == "Hela kommunen" else name
                            kind = "mean" if "index" in row[head[0]].lower() else "share"
                        if group in reference:
                            assert v in reference[group], (path.name, caption, row, name)
                            continue
                        assert v in by_group[kind][group], (path.name, caption, row, name)
                        checked += 1
    assert checked > 100


def test_promise_follow_up_shows_only_pooled_figures(pool, sample_run):
    """The survey figures in promises.csv are published totals (same share)."""
    checked = 0
    for path in sorted((sample_run / "data" / "processed").glob("*/promises.csv")):
        p = pd.read_csv(path)
        survey = p[p["rule"] == "survey"]
        for r in survey.itertuples(index=False):
            for year, value in ((r.year_from, r.value_from), (r.year_to, r.value_to)):
                if pd.isna(value):
                    continue
                match = [c for key, c in pool.cells.items()
                         if key[0] == int(year) and key[1] == r.indicator
                         and key[3] == "total" and key[2] in ("weighted", "unweighted")]
                assert match and math.isclose(match[0]["share"], value), (path, r)
                checked += 1
    assert checked >= 2
