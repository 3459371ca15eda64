"""The survey's population file from SCB's tables: age groups, areas, writing.

Weighting needs the population on the survey's margins (``sex:age_group``,
``area``) in the long format of ``data/reference/population_<year>.csv``:
``dimension, level, population``. :mod:`trygghet.scb` reads SCB's tables;
this module adds them up the survey's way.

**Age groups.** Single years are added up into the survey's groups
(:data:`trygghet.schema.AGE_BOUNDS` by default); ``max_age`` drops the ages
the survey did not cover (85+ for a 16–84 survey) while the top group keeps
its label (``80+``). A file of age *groups* must match the survey's bounds;
only an area table (SCB's DeSO and RegSO tables come in five-year groups) may
have a group split at a bound (``15–19`` at 16, ``80-`` at 84), by the
municipality's own single-year distribution of that group for the same sex,
which the summary reports.

**Areas** are sets of DeSO or RegSO codes (:func:`trygghet.scb.read_area_codes`);
an area's population is the sum of its codes in SCB's DeSO/RegSO table over
the survey's ages. A code of the municipality left out of every area is an
error, since the areas would then fall short of the municipality.

**Margins are not forced to agree.** Areas come from another table than sex
× age, and from 2025 every SCB cell carries noise: the totals differ by a few
persons. Reconciling them is the weighting's job, which reports what it did;
the summary here states both totals.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from .errors import TrygghetError
from .mapping import normalise
from .scb import (
    Cells,
    Row,
    ScbTable,
    age_text,
    cell_value,
    code_kind,
    listing,
    match_regions,
    parse_region,
    population_cells,
    read_table,
    region_labels,
)
from .schema import AGE_BOUNDS
from .writers import write_csv

# An upper bound at or above this is an open group ("80+").
OPEN_FROM = 130


@dataclass(frozen=True)
class AgeGroups:
    """The survey's age groups: label → ``(low, high)``; ``high`` None is open.

    ``max_age`` is the oldest age in the survey population (84 for a 16–84
    survey); the top group keeps its label but stops there.
    """

    bounds: tuple[tuple[str, int, int | None], ...]
    max_age: int | None = None

    @classmethod
    def make(cls, bounds: Mapping[str, tuple[int, int | None]] | None = None,
             max_age: int | None = None) -> AgeGroups:
        bounds = AGE_BOUNDS if bounds is None else bounds
        out = []
        for label, (lo, hi) in bounds.items():
            out.append((label, int(lo), None if hi is None or hi >= OPEN_FROM else int(hi)))
        out.sort(key=lambda g: g[1])
        for (a, _, hi_a), (b, lo_b, _) in zip(out, out[1:], strict=False):
            if hi_a is None or hi_a + 1 != lo_b:
                raise TrygghetError(f"åldersgrupperna {a} och {b} hänger inte ihop",
                                    column="age_groups")
        if max_age is not None:
            if isinstance(max_age, bool) or not isinstance(max_age, int):
                raise TrygghetError(f"max_age ska vara ett heltal, inte '{max_age}'",
                                    column="max_age", hint="t.ex. max_age: 84 (eller null)")
            label, lo, hi = out[-1]
            if max_age < lo or (hi is not None and max_age > hi):
                raise TrygghetError(
                    f"max_age = {max_age} ligger utanför den översta åldersgruppen {label}",
                    column="max_age", hint=f"ange en ålder från {lo} och uppåt")
            out[-1] = (label, lo, max_age)
        return cls(tuple(out), max_age)

    @property
    def low(self) -> int:
        return self.bounds[0][1]

    @property
    def high(self) -> int | None:
        return self.bounds[-1][2]

    def needed(self, cells: dict[tuple[str, tuple[int, int | None]], Row]
               ) -> dict[tuple[str, tuple[int, int | None]], Row]:
        """The cells (sex, age interval) that overlap the survey's ages."""
        return {k: v for k, v in cells.items() if _overlap(k[1], self.low, self.high)}

    def describe(self) -> str:
        return f"{self.low}–{self.high} år" if self.high is not None else f"{self.low} år och äldre"


def _partition(cells: Cells) -> list[tuple[int, int | None]]:
    """The intervals to use: single years (and the open top) if present, else the groups."""
    intervals = sorted({age for _, age in cells.values}, key=_order)
    singles = [a for a in intervals if a[1] is not None and a[0] == a[1]]
    if singles:
        top = max(a[0] for a in singles)
        use = singles + [a for a in intervals if a[1] is None and a[0] == top + 1]
    else:
        use = intervals
    use.sort(key=lambda a: a[0])
    for a, b in zip(use, use[1:], strict=False):
        if a[1] is None or a[1] >= b[0]:
            key = next((k for k in cells.values if k[1] == b), None)
            row = cells.rows.get(key) if key is not None else None
            raise TrygghetError(
                f"åldersgrupperna {age_text(a)} och {age_text(b)} överlappar",
                file=cells.table.path, row=row,
                column=cells.table.headers[cells.table.roles["age"]],
                hint="välj bara en åldersindelning (helst ettårsklasser) i SCB:s tabell")
    return use


def _order(a: tuple[int, int | None]) -> tuple[int, int]:
    return a[0], (10**6 if a[1] is None else a[1])


def _overlap(a: tuple[int, int | None], lo: int, hi: int | None) -> tuple[int, int | None] | None:
    """The part of interval ``a`` inside ``[lo, hi]`` (None if empty)."""
    start = max(a[0], lo)
    ends = [e for e in (a[1], hi) if e is not None]
    end = min(ends) if ends else None
    if end is not None and end < start:
        return None
    return start, end


Profile = dict[str, list[tuple[tuple[int, int | None], int]]]


def age_profile(cells: Cells) -> Profile:
    """Single-year populations by sex (and for both sexes), to split groups with."""
    use = _partition(cells)
    profile: Profile = {}
    for (sex, age), v in cells.values.items():
        if age in use:
            profile.setdefault(sex, []).append((age, v))
    both: dict[tuple[int, int | None], int] = {}
    for items in list(profile.values()):
        items.sort(key=lambda x: x[0][0])
        for age, v in items:
            both[age] = both.get(age, 0) + v
    profile["total"] = sorted(both.items(), key=lambda x: x[0][0])
    return profile


def _share(profile: Profile | None, sex: str, a: tuple[int, int | None],
           part: tuple[int, int | None]) -> float | None:
    """The share of group ``a`` that is in ``part``, from the single-year profile."""
    if not profile:
        return None
    items = profile.get(sex) or profile.get("total") or []

    def inside(x: tuple[int, int | None], lo: int, hi: int | None) -> bool:
        return x[0] >= lo and (hi is None or (x[1] is not None and x[1] <= hi))

    whole = [v for x, v in items if inside(x, *a)]
    # The profile must tile the group with single years (and an open top).
    covered = sorted((x for x, _ in items if inside(x, *a)), key=lambda x: x[0])
    if not covered or covered[0][0] != a[0] or (a[1] is None and covered[-1][1] is not None) \
            or (a[1] is not None and covered[-1][1] != a[1]) \
            or any(p[1] is None or p[1] + 1 != q[0] for p, q in zip(covered, covered[1:],
                                                                     strict=False)):
        return None
    total = sum(whole)
    if total == 0:
        return 0.0
    return sum(v for x, v in items if inside(x, *part)) / total


@dataclass
class Grouped:
    """Population by sex and survey age group, with what was done to get it."""

    values: dict[tuple[str, str], float]
    notes: list[str]
    above: int  # persons older than the survey population (``max_age``)


def to_age_groups(cells: Cells, groups: AgeGroups, *, profile: Profile | None = None,
                  what: str = "") -> Grouped:
    """Add the table's ages up into ``groups``; check that no age is missing.

    An interval of the table that straddles a bound of the groups (``15–19``
    at 16, ``80-`` at ``max_age`` 84) is split by ``profile`` (the
    municipality's single years, same sex) when given, else refused.
    ``what`` names the area in messages.
    """
    table = cells.table
    col = table.headers[table.roles["age"]]
    use = _partition(cells)
    values: dict[tuple[str, str], float] = {}
    notes: list[str] = []
    above = 0.0
    sexes = cells.sexes
    for sex in sexes:
        for a in use:
            key = (sex, a)
            pieces = [(label, part) for label, lo, hi in groups.bounds
                      if (part := _overlap(a, lo, hi)) is not None]
            v = cells.values.get(key)
            if not pieces:
                if v is not None and groups.high is not None and a[0] > groups.high:
                    above += v
                continue
            if v is None:
                raise TrygghetError(
                    f"{age_text(a)} saknas för {'män' if sex == 'Man' else 'kvinnor'}"
                    f"{what}", file=table.path, column=col,
                    hint="välj alla åldrar och båda könen i SCB:s tabell")
            if cells.conflicts and key in cells.conflicts:
                first, second = cells.conflicts[key]
                raise TrygghetError(
                    f"åldern {age_text(a)} förekommer två gånger med olika tal (rad {first} "
                    f"och {second}){what}", file=table.path, row=second, column=col,
                    hint="välj bara en åldersindelning (t.ex. ettårsklasser) i SCB:s tabell")
            if len(pieces) == 1 and pieces[0][1] == a:
                values[(sex, pieces[0][0])] = values.get((sex, pieces[0][0]), 0) + v
                continue
            # The interval straddles a bound of the survey's groups or population.
            if profile is None:
                raise TrygghetError(
                    f"åldersgruppen {age_text(a)}{what} går över en gräns för enkätens "
                    f"åldersgrupper ({', '.join(lab for lab, *_ in groups.bounds)}; "
                    f"{groups.describe()})", file=table.path, row=cells.rows.get(key),
                    column=col, hint="ladda ner tabellen med ålder i ettårsklasser")
            kept = 0.0
            for label, part in pieces:
                share = _share(profile, sex, a, part)
                if share is None:
                    raise TrygghetError(
                        f"åldersgruppen {age_text(a)}{what} går över en gräns för enkätens "
                        f"åldersgrupper och kan inte delas: kommunens fil har inte "
                        f"ettårsklasser för {age_text(a)}", file=table.path,
                        row=cells.rows.get(key), column=col,
                        hint="ladda ner kommunens tabell med ålder i ettårsklasser")
                values[(sex, label)] = values.get((sex, label), 0) + share * v
                kept += share * v
            if groups.high is not None and (a[1] is None or a[1] > groups.high):
                above += v - kept
            note = (f"åldersgruppen {age_text(a)} i områdestabellen delades vid enkätens "
                    f"åldersgränser efter kommunens fördelning på ettårsklasser (per kön)")
            if note not in notes:
                notes.append(note)
    # Every age of the survey population must be there.
    for sex in sexes:
        have = sorted((a for s, a in cells.values if s == sex and a in use), key=_order)
        for label, lo, hi in groups.bounds:
            gaps = _gaps(have, lo, hi)
            if gaps:
                who = {"Man": " för män", "Kvinna": " för kvinnor"}.get(sex, "")
                raise TrygghetError(
                    f"åldrar saknas för åldersgruppen {label}{who}{what}: "
                    f"{', '.join(gaps)}", file=table.path, column=col,
                    hint="välj alla åldrar i SCB:s tabell"
                         + ("" if hi is not None else
                            ", även den översta (t.ex. '100+ år'), eller sätt max_age till "
                            "enkätens högsta ålder"))
    return Grouped(values, notes, round(above))


def _gaps(have: list[tuple[int, int | None]], lo: int, hi: int | None) -> list[str]:
    """Ages in ``[lo, hi]`` that no interval of ``have`` covers, as text."""
    gaps = []
    at: int | None = lo
    for a in have:
        if at is None:
            break
        if a[1] is not None and a[1] < at:
            continue
        if hi is not None and a[0] > hi:
            break
        if a[0] > at:
            gaps.append(age_text((at, a[0] - 1)))
        at = None if a[1] is None else a[1] + 1
    if at is not None and (hi is None or at <= hi):
        gaps.append(age_text((at, hi)))
    return gaps


def area_population(table: ScbTable, year: int, areas: dict[str, list[str]],
                    groups: AgeGroups, *, profile: Profile | None = None,
                    kommun: str | None = None) -> tuple[dict[str, float], list[str]]:
    """Population in the survey's ages of each area (a set of DeSO/RegSO codes).

    The codes are looked up in the region column of ``table`` (the vintage
    suffix ``_DeSO2025`` may be left out when only one vintage matches). A
    code of the same kind, vintage and municipality that has people but
    belongs to no area is an error: the areas would not add up to the
    municipality.
    """
    if "region" not in table.roles:
        raise TrygghetError("områdesfilen har ingen kolumn för region (DeSO/RegSO)",
                            file=table.path, row=table.header_row,
                            hint="ta med variabeln region i SCB:s tabell")
    labels = region_labels(table)
    by_code: dict[str, str] = {}
    for lab in labels:
        code, _ = parse_region(lab)
        if code and code_kind(code):
            by_code[code] = lab
    if not by_code:
        raise TrygghetError("områdesfilen har inga DeSO- eller RegSO-koder", file=table.path,
                            column=table.headers[table.roles["region"]],
                            hint="ladda ner SCB:s tabell Folkmängd per region (DeSO/RegSO) "
                                 "efter ålder och kön")
    col = table.value_column(year)
    rj = table.roles["region"]
    resolved: dict[str, list[str]] = {}
    used: set[str] = set()
    for area, codes in areas.items():
        for code in codes:
            hits = [code] if code in by_code else \
                [c for c in by_code if c.split("_")[0] == code]
            if len(hits) != 1:
                which = "finns inte" if not hits else f"finns i flera versioner ({', '.join(hits)})"
                raise TrygghetError(
                    f"koden {code} (område {area}) {which} i områdesfilen", file=table.path,
                    column=table.headers[rj],
                    hint="ladda ner tabellen med kommunens alla DeSO/RegSO, eller skriv koden "
                         "med sin version (t.ex. 1488C1010_DeSO2025)")
            if kommun and not hits[0].startswith(kommun):
                raise TrygghetError(
                    f"koden {hits[0]} (område {area}) hör till kommun {hits[0][:4]}, inte "
                    f"{kommun}", file=table.path, column=table.headers[rj],
                    hint="kontrollera områdenas koder")
            resolved.setdefault(area, []).append(by_code[hits[0]])
            used.add(hits[0])
    # Codes of the same kind, vintage and municipality that nobody claims.
    kinds = {(code_kind(c), c.partition("_")[2], c[:4]) for c in used}
    rows_by_label: dict[str, list[Row]] = {}
    for r in table.rows:
        rows_by_label.setdefault(r.cells[rj], []).append(r)
    orphans = []
    for code, lab in by_code.items():
        if code in used or (code_kind(code), code.partition("_")[2], code[:4]) not in kinds:
            continue
        if any(cell_value(table, r, col) for r in rows_by_label[lab]):
            orphans.append(code)
    if orphans:
        raise TrygghetError(
            f"{len(orphans)} kod(er) i områdesfilen hör inte till något område: "
            f"{listing(sorted(orphans))}", file=table.path, column=table.headers[rj],
            hint="lägg koderna i rätt område (eller i ett eget område) så att områdena "
                 "täcker hela kommunen")
    result: dict[str, float] = {}
    notes: list[str] = []
    for area, labs in resolved.items():
        # Only the area's rows: a national DeSO table has some 300 000.
        mine = replace(table, rows=[r for lab in labs for r in rows_by_label[lab]])
        cells, missing = population_cells(mine, year, labs)
        missing = groups.needed(missing)
        if missing:
            (sex, age), row = next(iter(missing.items()))
            raise TrygghetError(
                f"befolkningstalet saknas ('{row.cells[col]}') för området {area} "
                f"({row.cells[rj]}, {age_text(age)})", file=table.path, row=row.number,
                column=table.headers[col],
                hint=f"SCB redovisar inte koden för {year}: kontrollera DeSO-versionen")
        grouped = to_age_groups(cells, groups, profile=profile, what=f" i området {area}")
        result[area] = sum(grouped.values.values())
        notes += [n for n in grouped.notes if n not in notes]
    return result, notes


# --- The population file ---------------------------------------------------------------


@dataclass
class PopulationImport:
    """The population file's rows and what the import did, for the summary."""

    frame: pd.DataFrame
    regions: list[str]
    notes: list[str]
    totals: dict[str, int]


def import_population(path: str | Path, year: int, *, regions: Sequence[str] | None = None,
                      groups: AgeGroups | None = None, areas: dict[str, list[str]] | None = None,
                      area_path: str | Path | None = None) -> PopulationImport:
    """The long population frame (``dimension, level, population``) of ``year``.

    Parameters
    ----------
    path
        SCB's table by region, age (single years) and sex.
    regions
        The region(s) to take (codes or names); several are summed. Optional
        when the file holds one region.
    groups
        The survey's age groups and ``max_age``; default :data:`AGE_BOUNDS`.
    areas, area_path
        Areas as sets of DeSO/RegSO codes and SCB's DeSO/RegSO table they are
        looked up in; adds the ``area`` dimension.

    Returns
    -------
    PopulationImport
        ``frame`` has the dimensions ``sex``, ``age_group``, (``area``) and
        ``sex:age_group`` (levels ``"Kvinna:16–24"``), in that order, with
        whole persons; margins are *not* forced to agree (that is the
        weighting's reconciliation, which reports it).
    """
    groups = groups or AgeGroups.make()
    table = read_table(path)
    cells, missing = population_cells(table, year, regions)
    chosen = match_regions(table, regions)
    col = table.value_column(year)
    missing = groups.needed(missing)
    if missing:
        (sex, age), row = next(iter(missing.items()))
        raise TrygghetError(f"befolkningstalet saknas ('{row.cells[col]}') för "
                            f"{age_text(age)}", file=table.path, row=row.number,
                            column=table.headers[col],
                            hint=f"SCB redovisar inte uppgiften för {year}; välj ett annat år")
    if not {"Man", "Kvinna"} <= set(cells.sexes):
        raise TrygghetError("filen saknar uppdelning på kön (män och kvinnor)", file=table.path,
                            row=table.header_row,
                            hint="ta med variabeln kön (män, kvinnor) i SCB:s tabell")
    grouped = to_age_groups(cells, groups)
    notes = list(grouped.notes)
    labels = [g[0] for g in groups.bounds]
    sa = {(s, a): int(round(grouped.values.get((s, a), 0))) for s in ("Kvinna", "Man")
          for a in labels}
    rows: list[tuple[str, str, int]] = []
    rows += [("sex", s, sum(sa[(s, a)] for a in labels)) for s in ("Kvinna", "Man")]
    rows += [("age_group", a, sa[("Kvinna", a)] + sa[("Man", a)]) for a in labels]
    total = sum(sa.values())
    totals = {"sex:age_group": total}
    if grouped.above:
        notes.append(f"{_number(grouped.above)} personer äldre än {groups.max_age} år ingår "
                     f"inte (enkätens population är {groups.describe()})")
    if cells.total is not None:
        parts = sum(cells.values.values())
        if parts != cells.total and _covers_all(cells):
            notes.append(f"SCB:s totalrad är {_number(cells.total)} personer, åldrarna "
                         f"summerar till {_number(parts)} (skillnad {parts - cells.total:+d}); "
                         f"åldrarna används (från 2025 har SCB:s tal ett litet slumpmässigt "
                         f"skyddsbrus, Cell Key Method, så delar och totaler stämmer inte "
                         f"exakt)")
    if areas:
        if area_path is None:
            raise TrygghetError("områdenas koder kräver SCB:s tabell per DeSO/RegSO",
                                hint="ange den med --areas-from-deso FIL")
        kommun = None
        codes = {parse_region(c)[0] for c in chosen}
        if len(codes) == 1 and (only := next(iter(codes))) and re.fullmatch(r"\d{4}", only):
            kommun = only
        area_table = read_table(area_path)
        by_area, area_notes = area_population(area_table, year, areas, groups,
                                              profile=age_profile(cells), kommun=kommun)
        notes += [n for n in area_notes if n not in notes]
        area_rows = [("area", a, int(round(v))) for a, v in by_area.items()]
        rows += area_rows
        totals["area"] = sum(v for *_, v in area_rows)
    rows += [("sex:age_group", f"{s}:{a}", sa[(s, a)]) for s in ("Kvinna", "Man") for a in labels]
    frame = pd.DataFrame(rows, columns=["dimension", "level", "population"])
    frame["population"] = frame["population"].astype("int64")
    return PopulationImport(frame, chosen, notes, totals)


def _covers_all(cells: Cells) -> bool:
    have = sorted({a for _, a in cells.values}, key=lambda a: a[0])
    return bool(have) and not _gaps(have, 0, None)


def _number(n: int | float) -> str:
    return f"{int(round(n)):,}".replace(",", "\u00a0")


def write_population(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write the population file (UTF-8 CSV, ``dimension,level,population``) atomically."""
    return write_csv(frame[["dimension", "level", "population"]], path)


def check_area_names(areas: dict[str, list[str]], known: Sequence[str],
                     source: str | Path) -> dict[str, list[str]]:
    """``areas`` renamed to the mapping's spelling; every mapping area must have codes.

    Names are matched as in cleaning (case and spacing do not matter).
    """
    by_key = {normalise(a): a for a in known}
    out: dict[str, list[str]] = {}
    for area, codes in areas.items():
        name = by_key.get(normalise(area))
        if name is None:
            raise TrygghetError(f"området '{area}' finns inte i årets mappning", file=source,
                                column=area, hint=f"områdena: {', '.join(known)}")
        out[name] = codes
    lacking = [a for a in known if a not in out]
    if lacking:
        raise TrygghetError(f"område(n) utan koder: {', '.join(lacking)}", file=source,
                            hint="ange DeSO- eller RegSO-koderna för varje område i "
                                 "mappningen")
    return out


def summary(result: PopulationImport, year: int, groups: AgeGroups, source: Path,
            relative: Callable[[Path], str] = str) -> list[str]:
    """Swedish lines for the terminal: what was read and what the file holds."""
    pop = result.frame
    where = ", ".join(result.regions) or "hela filen"
    lines = [f"Läste {relative(source)}: {year}, {where}, {groups.describe()}."]
    sex = pop[pop["dimension"] == "sex"]
    lines.append("  kön × åldersgrupp: " + _number(result.totals["sex:age_group"]) +
                 " personer (" + ", ".join(f"{lvl} {_number(v)}" for lvl, v in
                                           zip(sex["level"], sex["population"], strict=True))
                 + ")")
    if "area" in result.totals:
        n_areas = int((pop["dimension"] == "area").sum())
        diff = result.totals["area"] - result.totals["sex:age_group"]
        lines.append(f"  områden: {n_areas}, {_number(result.totals['area'])} personer "
                     f"(skillnad mot kön × ålder {diff:+d}; stäms av vid viktningen)")
    for note in result.notes:
        lines.append(f"  obs: {note}")
    return lines
