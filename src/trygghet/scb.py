"""Reading the population tables a user downloads from SCB's Statistikdatabas.

This module knows SCB's file formats; :mod:`trygghet.population_import` turns
what is read here into the survey's population file.

**What is read.** The CSV and ``.xlsx`` files of both generations of SCB's
web interface, as their serializers write them (PxTools' ``CsvSerializer``
and ``XlsxSerializer``):

* legacy PxWeb (until 2025): an optional quoted title line and a blank line,
  a header of quoted stub names (``"region","ålder","kön"``) and one column
  per year (``"2019"``), quoted labels, unquoted numbers; comma, semicolon or
  tab; Windows-1252 or UTF-8;
* the new Statistikdatabasen (2025–): a title line, semicolons, labels as
  text (``"Trollhättan"``), codes (``"1488"``) or both (``"1488 - Trollhättan"``),
  value columns headed by contents and year (``"Folkmängd 2025"``), and the
  Cell Key Method note at the end;
* ``.xlsx``: the title in A1, the heading rows from row 3 (contents, year),
  stub labels written only where they change (the cells below are blank),
  footnotes after a blank row.

Regions are matched by code or name (``1488 Trollhättan``, ``Trollhättan``,
``1488 - Trollhättan``, ``1488``); DeSO (``1488C1010``, optionally with the
vintage suffix ``_DeSO2025``) and RegSO codes (``1488R001``) likewise. Ages in
single years (``16 år``, ``100+ år``) or groups (``16–24 år``, ``16-24``,
``80- år``, the API's ``-4`` and ``100+1``); sex as ``män``/``kvinnor`` or
``1``/``2``. Rows that are totals (``totalt``, ``totalt ålder``, ``totalt,
samtliga åldrar``, ``1+2`` …) are never added to their parts; a civil-status
column is summed over its categories.

**Noise.** From reference year 2025 SCB adds a small random integer to every
published cell (the Cell Key Method), totals included, so parts no longer add
up to totals. The parts are used, never the total rows; the table's own
total is kept only to report the difference.

Every problem is one :class:`~trygghet.errors.TrygghetError` in Swedish that
names the file, row and column and says what to do.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import TrygghetError
from .mapping import normalise

YEAR_RE = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d|21\d\d)(?!\d)")
DESO_RE = re.compile(r"^(\d{4})[ABC]\d{4}(?:_DESO\d{4})?$")
REGSO_RE = re.compile(r"^(\d{4})R\d{3}(?:_REGSO\d{4})?$")
_CODE = (r"\d{4}[A-Ca-c]\d{4}(?:_[Dd]e[Ss][Oo]\d{4})?|\d{4}[Rr]\d{3}(?:_[Rr]eg[Ss][Oo]\d{4})?"
         r"|\d{4}|\d{2}")
_REGION_RE = re.compile(rf"^(?P<code>{_CODE})(?:\s*[-–]\s*|\s+)(?P<name>\S.*)$")
_REGION_CODE_RE = re.compile(rf"^(?:{_CODE})$")
MISSING_CELLS = {"", ".", "..", "...", "-", "–", "—"}
MAX_LISTED = 8

_ROLE_HEADERS = {
    "region": ("region", "kommun", "län", "lan", "deso", "regso", "område", "omrade", "area"),
    "age": ("ålder", "alder", "age", "åldersgrupp", "aldersgrupp", "ålder (år)"),
    "sex": ("kön", "kon", "sex", "gender"),
    "civil": ("civilstånd", "civilstand", "marital status"),
    "contents": ("tabellinnehåll", "tabellinnehall", "contents", "innehåll", "observations"),
}
_SEX = {"män": "Man", "man": "Man", "men": "Man", "male": "Man", "males": "Man", "1": "Man",
        "kvinnor": "Kvinna", "kvinna": "Kvinna", "women": "Kvinna", "female": "Kvinna",
        "females": "Kvinna", "2": "Kvinna"}
_TOTAL_WORDS = ("totalt", "total", "samtliga", "båda könen", "män och kvinnor", "1+2", "totsa",
                "tot", "both sexes", "all ")
_CIVIL_TOTALS = ("totalt", "total", "samtliga", "sc", "tot")
_CIVIL_WORDS = ("ogift", "gift", "skild", "änk", "registrerad partner", "never married",
                "married", "divorced", "widow")


# --- Labels -------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def is_total(label: str) -> bool:
    """A total row's label (``totalt``, ``totalt, samtliga åldrar``, ``TotSA``, ``1+2`` …)."""
    s = normalise(label)
    return s in ("tot", "totsa", "tot1", "tot5", "tot10", "1+2", "sc") or \
        s.startswith(_TOTAL_WORDS)


@lru_cache(maxsize=4096)
def parse_age(label: str) -> tuple[int, int | None] | str | None:
    """An age label as ``(low, high)`` (``high`` None: open), ``"total"``, or None.

    ``"16 år"`` → (16, 16); ``"100+ år"``, ``"100+1"``, ``"80- år"``,
    ``"80 år och äldre"`` → (100, None) / (80, None); ``"16–24 år"``,
    ``"16-24"`` → (16, 24); ``"-4"`` (the API's code for 0–4) → (0, 4).
    """
    s = normalise(label)
    if not s:
        return None
    if is_total(s):
        return "total"
    s = re.sub(r"\b(år|years?|yrs)\b", "", s).strip()
    s = re.sub(r"\s+", " ", s)
    if m := re.fullmatch(r"(\d{1,3}) ?\+ ?\d*", s):
        return int(m[1]), None
    if m := re.fullmatch(r"(\d{1,3}) ?(?:-|(?:och|eller|and) (?:äldre|över|over|older))", s):
        return int(m[1]), None
    if m := re.fullmatch(r"(\d{1,3}) ?- ?(\d{1,3})", s):
        lo, hi = int(m[1]), int(m[2])
        return (lo, hi) if lo <= hi else None
    if m := re.fullmatch(r"- ?(\d{1,3})", s):
        return 0, int(m[1])
    if m := re.fullmatch(r"\d{1,3}", s):
        return int(s), int(s)
    return None


@lru_cache(maxsize=4096)
def parse_sex(label: str) -> str | None:
    """``"Man"``, ``"Kvinna"``, ``"total"`` or None for a sex label or code."""
    s = normalise(label)
    if s in _SEX:
        return _SEX[s]
    if is_total(s):
        return "total"
    return None


@lru_cache(maxsize=4096)
def parse_region(label: str) -> tuple[str | None, str]:
    """``(code, name)`` of a region label; either may be missing (None / "").

    ``"1488 Trollhättan"`` and ``"1488 - Trollhättan"`` → ("1488", "Trollhättan");
    ``"1488"`` → ("1488", ""); ``"Trollhättan"`` → (None, "Trollhättan");
    ``"1488C1010_DeSO2025"`` → ("1488C1010_DESO2025", "").
    """
    s = " ".join(str(label).split())
    if _REGION_CODE_RE.fullmatch(s):
        return s.upper(), ""
    if m := _REGION_RE.fullmatch(s):
        return m["code"].upper(), m["name"].strip()
    return None, s


def age_text(interval: tuple[int, int | None]) -> str:
    lo, hi = interval
    if hi is None:
        return f"{lo}+ år"
    return f"{lo} år" if lo == hi else f"{lo}–{hi} år"


def listing(items: Iterable[str], limit: int = MAX_LISTED) -> str:
    items = list(items)
    shown = ", ".join(items[:limit])
    return shown + (f" … ({len(items)} i allt)" if len(items) > limit else "")


# --- Reading a downloaded table -------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One data row: its number in the file (as a spreadsheet shows it) and its cells."""

    number: int
    cells: tuple[str, ...]


@dataclass
class ScbTable:
    """A downloaded SCB table: stub columns by role, value columns by header.

    Build it with :func:`read_table`. ``roles`` maps ``region``, ``age``,
    ``sex``, ``civil``, ``contents`` (those present) to a stub column index;
    ``headers`` are the column headers (upper heading rows joined, as SCB's
    CSV writes them: ``"Folkmängd 2025"``).
    """

    path: Path
    title: str
    headers: list[str]
    n_stub: int
    roles: dict[str, int]
    rows: list[Row]
    header_row: int = 0

    def years(self) -> list[int]:
        """The years of the value columns, in file order, without repeats."""
        found = []
        for h in self.headers[self.n_stub:]:
            m = YEAR_RE.search(h)
            if m and int(m[1]) not in found:
                found.append(int(m[1]))
        return found

    def value_column(self, year: int) -> int:
        """The index of the population column of ``year``.

        Several columns for one year (``Folkmängd 2025`` and ``Folkökning
        2025``) are narrowed to the one about the population (folkmängd).
        """
        cols = [i for i in range(self.n_stub, len(self.headers))
                if (m := YEAR_RE.search(self.headers[i])) and int(m[1]) == year]
        if not cols:
            have = ", ".join(str(y) for y in self.years()) or "inga"
            raise TrygghetError(f"kolumnen för år {year} saknas (filen har åren {have})",
                                file=self.path, row=self.header_row,
                                hint=f"ladda ner tabellen med året {year} valt, eller ange "
                                     f"ett av åren i filen med --year")
        if len(cols) > 1:
            pop = [i for i in cols if re.search(r"folkmängd|population|antal personer",
                                                normalise(self.headers[i]))]
            if len(pop) != 1:
                raise TrygghetError(
                    f"flera kolumner för år {year}: "
                    f"{listing(repr(self.headers[i]) for i in cols)}",
                    file=self.path, row=self.header_row,
                    hint="välj bara tabellinnehållet Folkmängd i SCB:s tabell")
            cols = pop
        return cols[0]


def _decode(data: bytes, path: Path) -> str:
    """Text of a CSV: UTF-8 (BOM or not), UTF-16 with BOM, else Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as err:
        raise TrygghetError("filen är varken UTF-8 eller Windows-1252", file=path,
                            hint="ladda ner tabellen igen som CSV från SCB") from err


def _csv_rows(text: str) -> tuple[list[list[str]], str]:
    """The rows of ``text``, split on the delimiter that makes a table of them.

    The delimiter is chosen on the first and last lines (title, header, the
    first data rows, any notes): the one whose most common row width (more
    than one field) covers most of them.
    """
    lines = text.splitlines()
    sample = lines[:200] + lines[-50:] if len(lines) > 250 else lines
    best: tuple[int, str] | None = None
    for delim in (";", "\t", ","):
        counts: dict[int, int] = {}
        for row in csv.reader(sample, delimiter=delim):
            if len(row) > 1:
                counts[len(row)] = counts.get(len(row), 0) + 1
        score = max(counts.values(), default=0)
        if best is None or score > best[0]:
            best = (score, delim)
    assert best is not None
    return [row for row in csv.reader(lines, delimiter=best[1])], best[1]


def _xlsx_rows(path: Path) -> tuple[list[list[str]], str]:
    """Cells of the first sheet as text; whole numbers without ``.0``."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        raise TrygghetError(f"kan inte läsa Excel-filen ({type(err).__name__})", file=path,
                            hint="spara om filen som .xlsx eller ladda ner den som CSV") from err
    ws = wb.worksheets[0]
    rows = []
    for values in ws.iter_rows(values_only=True):
        cells = []
        for v in values:
            if v is None:
                cells.append("")
            elif isinstance(v, float) and v.is_integer():
                cells.append(str(int(v)))
            else:
                cells.append(str(v))
        rows.append(cells)
    wb.close()
    return rows, ws.title


def read_table(path: str | Path) -> ScbTable:
    """Read a table downloaded from SCB's Statistikdatabas (CSV or ``.xlsx``).

    The header row is the first row whose cells from some column on are all
    years (``2025``, ``Folkmängd 2025``) with stub columns before them; rows
    above it are the title and, in ``.xlsx``, upper heading rows (contents),
    which are joined to the year as SCB's CSV does. Data rows follow until a
    blank line or a row of another width (SCB's footnotes and the CKM note);
    a data row after that is an error, as is a file that is not such a table.
    """
    path = Path(path)
    if not path.is_file():
        raise TrygghetError("filen finns inte", file=path)
    data = path.read_bytes()
    if not data.strip():
        raise TrygghetError("filen är tom", file=path, hint="ladda ner tabellen igen från SCB")
    if data.startswith(b"PK\x03\x04"):
        grid, _ = _xlsx_rows(path)
        is_csv = False
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        raise TrygghetError("filen är en gammal Excel-fil (.xls)", file=path,
                            hint="spara den som .xlsx eller ladda ner tabellen som CSV")
    else:
        if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise TrygghetError("filen är inte en text- eller Excel-fil", file=path,
                                hint="ladda ner tabellen som CSV eller xlsx från SCB")
        grid, _ = _csv_rows(_decode(data, path))
        is_csv = True
    grid = [[c.strip() for c in row] for row in grid]

    header_at = _find_header(grid)
    if header_at is None:
        raise TrygghetError(
            "hittar ingen rubrikrad med år – filen ser inte ut som en tabell från SCB:s "
            "statistikdatabas", file=path,
            hint="ladda ner tabellen (t.ex. Folkmängden efter region, ålder och kön) som CSV "
                 "eller xlsx med region, ålder och kön som rader och året som kolumn")
    header = grid[header_at]
    first_year = next(i for i, c in enumerate(header) if YEAR_RE.search(c))
    n_stub = first_year
    width = max(i for i, c in enumerate(header) if c) + 1
    # Upper heading rows (xlsx: contents above the years), written once per span.
    uppers = [r for r in grid[:header_at]
              if any(r[first_year:width]) and not any(r[:first_year])]
    headers = list(header[:width]) + [""] * max(0, width - len(header))
    for upper in reversed(uppers):
        last = ""
        for i in range(first_year, width):
            cell = upper[i] if i < len(upper) else ""
            last = cell or last
            if last:
                headers[i] = f"{last} {headers[i]}".strip()
    title = next((r[0] for r in grid[:header_at] if r and r[0] and not any(r[1:])), "")

    rows: list[Row] = []
    ended_at = None
    for i in range(header_at + 1, len(grid)):
        cells = grid[i]
        if not any(cells):
            if rows:
                ended_at = i
                break
            continue
        if is_csv and len(cells) != len(header):
            if rows:
                ended_at = i
                break
            continue
        if not is_csv and not any(cells[n_stub:width]) and rows:
            ended_at = i
            break
        rows.append(Row(i + 1, tuple((list(cells) + [""] * width)[:width])))
    if ended_at is not None:
        for j in range(ended_at + 1, len(grid)):
            cells = grid[j]
            if (len(cells) >= width and any(cells[:n_stub])
                    and all(_is_number(c) for c in cells[n_stub:width])
                    and (not is_csv or len(cells) == len(header))):
                raise TrygghetError(
                    f"tabellen avbryts på rad {ended_at + 1} men fortsätter på rad {j + 1}",
                    file=path, row=ended_at + 1,
                    hint="ta bort den tomma eller avvikande raden, eller ladda ner "
                         "tabellen igen från SCB")
    if not rows:
        raise TrygghetError("tabellen har en rubrikrad men inga datarader", file=path,
                            row=header_at + 1, hint="ladda ner tabellen igen från SCB")
    if not is_csv:
        rows = _fill_down(rows, n_stub)
    table = ScbTable(path=path, title=title, headers=headers, n_stub=n_stub, roles={},
                     rows=rows, header_row=header_at + 1)
    table.roles = _stub_roles(table)
    return table


def _find_header(grid: list[list[str]]) -> int | None:
    for i, row in enumerate(grid[:60]):
        cells = [c for c in row]
        while cells and not cells[-1]:
            cells.pop()
        years = [j for j, c in enumerate(cells) if YEAR_RE.search(c) and not _is_number(c)
                 or re.fullmatch(r"(1[89]|2[01])\d\d", c)]
        if not years or years[0] == 0:
            continue
        tail = cells[years[0]:]
        if not all(YEAR_RE.search(c) for c in tail if c):
            continue
        # A data row of numbers that happen to look like years (a count of 2019):
        # the stub cells of a header are names or empty, never a data label.
        stub = cells[:years[0]]
        if any(parse_age(c) not in (None, "total") or parse_sex(c) in ("Man", "Kvinna")
               for c in stub if c):
            continue
        return i
    return None


def _is_number(text: str) -> bool:
    s = re.sub(r"[\s\u00a0\u202f]", "", text)
    return bool(re.fullmatch(r"\d+(?:\.0+)?", s)) or s in MISSING_CELLS - {""}


def _fill_down(rows: list[Row], n_stub: int) -> list[Row]:
    """SCB's xlsx writes a stub label only where it changes: fill the blanks below it."""
    last = [""] * n_stub
    out = []
    for row in rows:
        cells = list(row.cells)
        for j in range(n_stub):
            if cells[j]:
                last[j] = cells[j]
                # A new label of an outer stub starts new blocks of the inner ones.
            else:
                cells[j] = last[j]
        out.append(Row(row.number, tuple(cells)))
    return out


def _stub_roles(table: ScbTable) -> dict[str, int]:
    """Which stub column holds the region, age, sex, civil status and contents."""
    roles: dict[str, int] = {}
    unknown = []
    for j in range(table.n_stub):
        name = normalise(table.headers[j])
        role = next((r for r, names in _ROLE_HEADERS.items()
                     if name in names or (r == "region" and name.startswith("region"))), None)
        if role and role not in roles:
            roles[role] = j
        else:
            unknown.append(j)
    for j in unknown:
        values = {r.cells[j] for r in table.rows}
        ages = sum(parse_age(v) is not None for v in values)
        sexes = sum(parse_sex(v) is not None for v in values)
        codes = sum(parse_region(v)[0] is not None for v in values)
        guess = None
        if sexes == len(values) and "sex" not in roles:
            guess = "sex"
        elif ages == len(values) and "age" not in roles:
            guess = "age"
        elif codes == len(values) and "region" not in roles:
            guess = "region"
        elif any("folkmängd" in normalise(v) for v in values) and "contents" not in roles:
            guess = "contents"
        elif any(normalise(v).startswith(_CIVIL_WORDS) for v in values) and "civil" not in roles:
            guess = "civil"
        elif "region" not in roles and not ages and not sexes:
            guess = "region"
        if guess:
            roles[guess] = j
        elif len(values) > 1:
            raise TrygghetError(
                f"okänd kolumn med flera värden ({listing(sorted(values))})",
                file=table.path, row=table.header_row,
                column=table.headers[j] or f"kolumn {j + 1}",
                hint="välj bara region, ålder, kön (och civilstånd) som rader i SCB:s tabell")
    if "age" not in roles:
        raise TrygghetError("filen har ingen kolumn för ålder", file=table.path,
                            row=table.header_row,
                            hint="ta med variabeln ålder (ettårsklasser) i SCB:s tabell")
    return roles


# --- From rows to populations by sex and age ----------------------------------------


def cell_value(table: ScbTable, row: Row, col: int) -> int | None:
    text = re.sub(r"[\s\u00a0\u202f]", "", row.cells[col])
    if text in MISSING_CELLS:
        return None
    if re.fullmatch(r"\d+(?:\.0+)?", text):
        return int(text.split(".")[0])
    raise TrygghetError(f"ogiltigt befolkningstal '{row.cells[col]}'", file=table.path,
                        row=row.number, column=table.headers[col],
                        hint="talen ska vara hela, icke-negativa antal personer som i SCB:s fil")


@dataclass(frozen=True)
class Cells:
    """Population by sex and age interval for a set of regions, read from one table.

    ``values`` maps ``(sex, (low, high))`` to persons; sex is ``"Man"``,
    ``"Kvinna"``, or ``"total"`` when the table has no split by sex.
    ``total`` is the table's own total for the same regions, if it has one.
    """

    table: ScbTable
    values: dict[tuple[str, tuple[int, int | None]], int]
    rows: dict[tuple[str, tuple[int, int | None]], int]  # a row number behind each cell
    total: int | None = None
    # Cells given twice with different numbers: the two rows.
    conflicts: dict[tuple[str, tuple[int, int | None]], tuple[int, int]] | None = None

    @property
    def sexes(self) -> list[str]:
        return sorted({s for s, _ in self.values})


def region_labels(table: ScbTable) -> list[str]:
    """The distinct region labels of ``table``, in file order."""
    if "region" not in table.roles:
        return []
    j = table.roles["region"]
    return list(dict.fromkeys(r.cells[j] for r in table.rows))


def match_regions(table: ScbTable, wanted: Sequence[str] | None) -> list[str]:
    """The region labels of ``table`` that ``wanted`` names (by code or name)."""
    labels = region_labels(table)
    if "region" not in table.roles:
        if wanted:
            raise TrygghetError("filen har ingen kolumn för region", file=table.path,
                                row=table.header_row,
                                hint="ta med variabeln region i SCB:s tabell eller utelämna "
                                     "--region")
        return []
    if not wanted:
        if len(labels) == 1:
            return labels
        raise TrygghetError(
            f"filen innehåller {len(labels)} regioner: {listing(labels)}",
            file=table.path, column=table.headers[table.roles["region"]],
            hint="ange vilken med --region (kod eller namn, t.ex. --region 1488)")
    chosen = []
    for want in wanted:
        code, name = parse_region(want)
        hits = [lab for lab in labels
                if (code and parse_region(lab)[0] == code)
                or (not code and normalise(parse_region(lab)[1]) == normalise(name))
                or normalise(lab) == normalise(want)]
        if not hits:
            raise TrygghetError(
                f"regionen '{want}' finns inte i filen (den har {listing(labels)})",
                file=table.path, column=table.headers[table.roles["region"]],
                hint="ange en region som finns i filen, eller ladda ner tabellen med "
                     "din kommun vald")
        chosen += [h for h in hits if h not in chosen]
    return chosen


def _bad_label(table: ScbTable, row: Row, col: int, what: str, hint: str) -> TrygghetError:
    """One message naming the cell whose stub label cannot be parsed."""
    return TrygghetError(f"{what} '{row.cells[col]}'", file=table.path, row=row.number,
                         column=table.headers[col], hint=hint)


def population_cells(table: ScbTable, year: int, regions: Sequence[str] | None = None,
                     ) -> tuple[Cells, dict[tuple[str, tuple[int, int | None]], Row]]:
    """Population by sex and age interval in ``year`` for ``regions`` (summed).

    Total rows are left out (their sum is kept as ``Cells.total``, for the
    report); a civil-status column is summed over its categories (its total
    row used only where a cell has no categories); a sex total is used only
    where the table has no split by sex. The same cell twice with different
    numbers — SCB's age classifications mixed in one file, whose open top
    groups all read "100+ år" — is an error once that cell is used
    (:func:`to_age_groups`). Returns the cells and, separately, the cells
    whose number is missing (``..``), each with a row behind it.
    """
    col = table.value_column(year)
    labels = match_regions(table, regions)
    rj = table.roles.get("region")
    aj, sj = table.roles["age"], table.roles.get("sex")
    cj, kj = table.roles.get("civil"), table.roles.get("contents")
    contents_ok = None
    if kj is not None:
        kinds = {r.cells[kj] for r in table.rows}
        pop = [k for k in kinds if "folkmängd" in normalise(k) or "population" in normalise(k)]
        if len(pop) != 1:
            raise TrygghetError(f"tabellinnehållet är inte entydigt folkmängd "
                                f"({listing(sorted(kinds))})",
                                file=table.path, column=table.headers[kj],
                                hint="välj tabellinnehållet Folkmängd i SCB:s tabell")
        contents_ok = pop[0]

    # key: (region, sex label class, interval) → {civil label: (value, row)}
    parts: dict[tuple[str, str, tuple[int, int | None]], dict[str, tuple[int | None, Row]]] = {}
    totals: dict[tuple[str, str, tuple[int, int | None]], dict[str, tuple[int | None, Row]]] = {}
    age_totals: list[tuple[int | None, str, Row]] = []
    conflicts: dict[tuple[str, tuple[int, int | None]], tuple[int, int]] = {}
    for row in table.rows:
        region = row.cells[rj] if rj is not None else ""
        if rj is not None and region not in labels:
            continue
        if kj is not None and contents_ok is not None and row.cells[kj] != contents_ok:
            continue
        age = parse_age(row.cells[aj])
        if age is None:
            raise _bad_label(table, row, aj, "okänd ålder",
                             "åldrar skrivs som i SCB:s tabeller: '16 år', '100+ år', "
                             "'16–24 år' eller 'totalt'")
        if sj is None:
            sex = "total"
        elif (parsed_sex := parse_sex(row.cells[sj])) is not None:
            sex = parsed_sex
        else:
            raise _bad_label(table, row, sj, "okänt kön",
                             "kön skrivs 'män', 'kvinnor' eller 'totalt' (koderna 1 och 2 "
                             "går också)")
        civil = row.cells[cj] if cj is not None else ""
        civil_total = cj is not None and normalise(civil).startswith(_CIVIL_TOTALS)
        if isinstance(age, str):  # "total", the one word parse_age returns
            if cj is None or civil_total:
                age_totals.append((cell_value(table, row, col), sex, row))
            continue
        target = totals if civil_total else parts
        key = (region, sex, age)
        cell = target.setdefault(key, {})
        value = cell_value(table, row, col)
        if civil in cell:
            if cell[civil][0] != value:
                conflicts.setdefault((sex, age), (cell[civil][1].number, row.number))
            continue
        cell[civil] = (value, row)

    merged: dict[tuple[str, str, tuple[int, int | None]], tuple[int | None, Row]] = {}
    for key in set(parts) | set(totals):
        by_civil = parts.get(key) or totals[key]
        summed: int | None = 0
        for n, _ in by_civil.values():
            summed = None if n is None or summed is None else summed + n
        merged[key] = (summed, next(iter(by_civil.values()))[1])

    # A split by sex where there is one; the sex total only where there is not.
    by_region_age: dict[tuple[str, tuple[int, int | None]],
                        dict[str, tuple[int | None, Row]]] = {}
    for (region, sex, interval), entry in merged.items():
        by_region_age.setdefault((region, interval), {})[sex] = entry
    split = any(s in ("Man", "Kvinna") for d in by_region_age.values() for s in d)
    values: dict[tuple[str, tuple[int, int | None]], int] = {}
    rows: dict[tuple[str, tuple[int, int | None]], int] = {}
    missing: dict[tuple[str, tuple[int, int | None]], Row] = {}
    for (_region, interval), by_sex in by_region_age.items():
        use = {s: v for s, v in by_sex.items() if (s != "total") == split}
        for sex, (v, row) in use.items():
            cell_key = (sex, interval)
            if v is None:
                missing.setdefault(cell_key, row)
                continue
            values[cell_key] = values.get(cell_key, 0) + v
            rows.setdefault(cell_key, row.number)
    if not values and not missing:
        raise TrygghetError(f"filen har inga uppgifter per ålder för {year}",
                            file=table.path, hint="ta med ålder i ettårsklasser i SCB:s tabell")
    # The table's own total, for the report: a total over both sexes, or the
    # age totals of each sex added.
    total: int | None = None
    by: dict[str, list[int | None]] = {}
    for v, s, _ in age_totals:
        by.setdefault(s, []).append(v)
    for keys in (("total",), ("Man", "Kvinna")):
        vals = [v for k in keys for v in by.get(k, [])]
        known = [v for v in vals if v is not None]
        if all(k in by for k in keys) and len(known) == len(vals):
            total = sum(known)
            break
    return Cells(table, values, rows, total, conflicts), missing


# --- DeSO and RegSO codes ---------------------------------------------------


def normalise_code(code: object) -> str:
    """A DeSO/RegSO code in upper case without spaces (``1488c1010`` → ``1488C1010``)."""
    return re.sub(r"\s+", "", str(code)).upper()


def code_kind(code: str) -> str | None:
    """``"DeSO"``, ``"RegSO"`` or None."""
    if DESO_RE.fullmatch(code):
        return "DeSO"
    if REGSO_RE.fullmatch(code):
        return "RegSO"
    return None


def read_area_codes(path: str | Path) -> dict[str, list[str]]:
    """The areas' DeSO/RegSO codes from YAML (``area: [codes]``) or CSV (``area,code``).

    In CSV the first column is the area and the second the code, one code a
    row (a header row naming them is skipped); comma, semicolon or tab. Every
    code must be a DeSO (``1488C1010``) or RegSO (``1488R001``) code and belong
    to one area only.
    """
    from .config import read_yaml

    path = Path(path)
    pairs: list[tuple[str, str, int | None]] = []
    if path.suffix.lower() in (".yml", ".yaml"):
        raw = read_yaml(path)
        if not isinstance(raw, dict) or not raw:
            raise TrygghetError("ska vara en samling område: [koder]", file=path,
                                hint="t.ex.\n    Centrum: [1488C1010, 1488C1020]")
        for area, codes in raw.items():
            if isinstance(codes, str):
                codes = re.split(r"[,;\s]+", codes.strip())
            if not isinstance(codes, list) or not codes:
                raise TrygghetError("ska vara en lista med DeSO- eller RegSO-koder", file=path,
                                    column=str(area), hint=f"t.ex. {area}: [1488C1010]")
            pairs += [(str(area), str(c), None) for c in codes]
    else:
        if not path.is_file():
            raise TrygghetError("filen finns inte", file=path)
        rows, _ = _csv_rows(_decode(path.read_bytes(), path))
        for i, fields in enumerate(rows, start=1):
            cells = [c.strip() for c in fields]
            if not any(cells):
                continue
            if len(cells) < 2 or not cells[0] or not cells[1]:
                raise TrygghetError("raden ska ha område och kod", file=path, row=i,
                                    hint="två kolumner: område,kod")
            if i == 1 and code_kind(normalise_code(cells[1])) is None and \
                    normalise(cells[1]) in ("kod", "code", "deso", "regso", "desokod",
                                            "regsokod", "deso-kod", "regso-kod"):
                continue
            pairs.append((cells[0], cells[1], i))
    areas: dict[str, list[str]] = {}
    owner: dict[str, str] = {}
    for area, code, row in pairs:
        c = normalise_code(code)
        if code_kind(c) is None:
            raise TrygghetError(f"'{code}' är ingen DeSO- eller RegSO-kod", file=path, row=row,
                                column=area,
                                hint="DeSO-koder har nio tecken (1488C1010), RegSO-koder åtta "
                                     "(1488R001)")
        if c in owner:
            raise TrygghetError(f"koden {c} hör redan till området {owner[c]}", file=path,
                                row=row, column=area, hint="varje kod får höra till ett område")
        owner[c] = area
        areas.setdefault(area, []).append(c)
    if not areas:
        raise TrygghetError("filen anger inga områden", file=path)
    return areas
