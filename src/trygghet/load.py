"""Reading raw survey exports: CSV in any of the usual encodings, or ``.xlsx``.

Survey tools export in many shapes. This module turns any of them into a
:class:`RawExport`: the header texts, every record as text (blank = ``""``),
and each record's row number in the file, so that later messages can point to
"rad 57". Nothing is interpreted here; the mapping and cleaning do that.

Encoding
    A BOM decides (UTF-8, UTF-16). Otherwise UTF-8 is tried and, line by
    line where it fails, Windows-1252 — the encoding of Swedish Excel's "CSV
    (semikolonavgränsad)". A file saved as UTF-8 after being misread as
    Windows-1252 ("Ã¶" for "ö") is repaired line by line and a warning says
    so. The encoding can be forced (mapping ``source.encoding`` or argument).
Delimiter
    ``;``, ``,``, tab or ``|``: the one that splits the header row into the
    mapping's headers, else the most consistent one over the first records.
Header row
    Exports sometimes carry a title above the header; the header is the row
    among the first 20 that holds the most of the mapping's headers.

Problems are :class:`TrygghetError` messages naming the file (and row):
a missing, empty, binary, corrupt or password-protected file, or an old
``.xls``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import TrygghetError
from .mapping import SurveyMapping, normalise

DELIMITERS = (";", ",", "\t", "|")
HEADER_SEARCH_ROWS = 20
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, or any password-protected Office file
ZIP_MAGIC = b"PK\x03\x04"
_MOJIBAKE = re.compile("[ÃÂ][\u0080-\u00bf\u2013-\u203a\u0152-\u017e\u02c6\u02dc\u20ac\u2122]")


@dataclass
class RawExport:
    """A survey export as text, before any interpretation.

    Attributes
    ----------
    path
        The file read.
    headers
        Header texts in file order (a column without header gets ``""``).
    frame
        One row per record, columns ``0 … len(headers)-1``, all ``str``.
    source_rows
        Row number of each record in the file as a spreadsheet shows it
        (the header row's number + 1 for the first record).
    info
        How the file was read: format, encoding, delimiter, sheet, header row.
    bad_rows
        Records that could not be split into the header's columns:
        ``(row, description)``; cleaning quarantines them.
    warnings
        Things the analyst should know (repaired characters, skipped rows).
    """

    path: Path
    headers: list[str]
    frame: pd.DataFrame
    source_rows: np.ndarray
    info: dict = field(default_factory=dict)
    bad_rows: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def rows_in(self) -> int:
        return len(self.frame) + len(self.bad_rows)


def read_export(path: str | Path, mapping: SurveyMapping | None = None, *,
                encoding: str | None = None, delimiter: str | None = None,
                sheet: str | int | None = None, header_row: int | None = None) -> RawExport:
    """Read a CSV or ``.xlsx`` survey export.

    Parameters
    ----------
    path
        The export.
    mapping
        The year's mapping: supplies the defaults of the other arguments and
        the headers used to find the header row, delimiter and sheet.
    encoding, delimiter, sheet, header_row
        Override the mapping (``"auto"`` or ``None`` detects).
    """
    path = Path(path)
    src = mapping.source if mapping is not None else None
    encoding = encoding or (src.encoding if src else "auto")
    delimiter = delimiter or (src.delimiter if src else "auto")
    sheet = sheet if sheet is not None else (src.sheet if src else None)
    header_row = header_row or (src.header_row if src else "auto")
    hints = {normalise(h) for h in mapping.headers()} if mapping is not None else set()

    if not path.exists():
        raise TrygghetError("filen finns inte", file=path,
                            hint="kontrollera sökvägen (mappningens source.file eller --input)")
    if path.is_dir():
        raise TrygghetError("är en mapp, inte en fil", file=path)
    data = path.read_bytes()
    if not data.strip():
        raise TrygghetError("filen är tom", file=path, hint="exportera enkätsvaren igen")
    suffix = path.suffix.lower()
    if data.startswith(OLE_MAGIC):
        raise TrygghetError(
            "filen är lösenordsskyddad eller i det gamla .xls-formatet", file=path,
            hint="öppna den i Excel, ta bort lösenordet och spara som .xlsx eller CSV (UTF-8)")
    if suffix in (".xlsx", ".xlsm") or data.startswith(ZIP_MAGIC):
        return _read_xlsx(path, data, sheet, header_row, hints)
    if suffix in (".xls", ".ods", ".numbers"):
        raise TrygghetError(f"filformatet {suffix} stöds inte", file=path,
                            hint="spara som .xlsx eller CSV (UTF-8)")
    return _read_csv(path, data, encoding, delimiter, header_row, hints)


# --- CSV -------------------------------------------------------------------

def _decode(path: Path, data: bytes, encoding: str) -> tuple[str, str, list[str]]:
    """Bytes → text, the encoding used, and warnings."""
    warnings: list[str] = []
    if encoding not in ("auto", None):
        try:
            return data.decode(encoding), encoding, warnings
        except UnicodeDecodeError as err:
            line = data[: err.start].count(b"\n") + 1
            raise TrygghetError(f"kan inte läsas som {encoding} (byte 0x{data[err.start]:02x})",
                                file=path, row=line,
                                hint="ange rätt teckenkodning eller source.encoding: auto") from err
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig", warnings
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16", warnings
    if b"\x00" in data[:4096]:
        raise TrygghetError("filen verkar inte vara en textfil (CSV)", file=path,
                            hint="exportera som CSV eller .xlsx")
    try:
        text, used = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        # Line by line: a Windows-1252 file fails on every line with å/ä/ö,
        # while a UTF-8 file with a few stray bytes fails only on those lines.
        lines, fallback = [], []
        for i, raw in enumerate(data.split(b"\n"), start=1):
            try:
                lines.append(raw.decode("utf-8"))
            except UnicodeDecodeError:
                lines.append(raw.decode("cp1252", errors="replace"))
                fallback.append(i)
        text = "\n".join(lines)
        non_ascii = sum(1 for ln in lines if not ln.isascii())
        used = "cp1252" if len(fallback) == non_ascii else "blandad"
        if used == "blandad":
            warnings.append(f"blandad teckenkodning: {len(fallback)} rader lästes som "
                            f"Windows-1252 (första: rad {fallback[0]})")
    return _repair_mojibake(text, warnings), used, warnings


def _repair_mojibake(text: str, warnings: list[str]) -> str:
    """Undo UTF-8 that was read as Windows-1252 and saved again ("Ã¶" → "ö")."""
    if not _MOJIBAKE.search(text):
        return text
    repaired = 0
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if _MOJIBAKE.search(line):
            try:
                fixed = line.encode("cp1252").decode("utf-8")
            except (UnicodeEncodeError, UnicodeDecodeError):
                continue
            lines[i] = fixed
            repaired += 1
    if repaired:
        warnings.append(f"reparerade felkodade tecken (t.ex. 'Ã¶' → 'ö') på {repaired} rader")
    return "\n".join(lines)


def _split_head(text: str, delim: str, limit: int = HEADER_SEARCH_ROWS + 5) -> list[list[str]]:
    rows = []
    reader = csv.reader(io.StringIO(text), delimiter=delim)
    try:
        for row in reader:
            rows.append(row)
            if len(rows) >= limit:
                break
    except csv.Error:
        pass
    return rows


def _best_header(rows: list[list[str]], hints: set[str]) -> tuple[int, int]:
    """(index of the header row, number of hint headers in it)."""
    best, best_hits = None, 0
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        hits = len({normalise(c) for c in row} & hints)
        if hits > best_hits:
            best, best_hits = i, hits
    if best is None:  # no hints: the first non-blank row
        best = next((i for i, r in enumerate(rows) if any(c.strip() for c in r)), 0)
    return best, best_hits


def _choose_delimiter(text: str, hints: set[str]) -> str:
    scored = []
    for delim in DELIMITERS:
        rows = _split_head(text, delim)
        _, hits = _best_header(rows, hints) if hints else (0, 0)
        widths = [len(r) for r in rows if any(c.strip() for c in r)]
        if not widths:
            continue
        mode = max(set(widths), key=widths.count)
        consistency = widths.count(mode) / len(widths)
        scored.append((hits, mode > 1, consistency, mode, delim))
    if not scored:
        return ","
    return max(scored)[-1]


def _read_csv(path: Path, data: bytes, encoding: str, delimiter: str, header_row: int | str,
              hints: set[str]) -> RawExport:
    text, used, warnings = _decode(path, data, encoding)
    # Empty lines after the last record are not records; everything before is.
    text = text.rstrip("\r\n ") + "\n"
    delim = _choose_delimiter(text, hints) if delimiter in ("auto", None) else delimiter
    head = _split_head(text, delim)
    if header_row in ("auto", None):
        hidx, _ = _best_header(head, hints)
    else:
        hidx = int(header_row) - 1
    if hidx >= len(head):
        raise TrygghetError(f"rubrikraden {hidx + 1} finns inte", file=path)
    headers = head[hidx]
    if hidx:
        warnings.append(f"hoppade över {hidx} rad(er) ovanför rubrikraden (rad {hidx + 1})")

    frame, bad = _csv_records(path, text, delim, hidx, len(headers))
    positions = np.asarray(frame.attrs.pop("positions", range(len(frame))), dtype=np.int64)
    rows = positions + hidx + 2
    info = {"format": "csv", "encoding": used, "delimiter": delim, "header_row": hidx + 1}
    return RawExport(path, headers, frame, rows, info, bad, warnings)


def _csv_records(path: Path, text: str, delim: str, hidx: int,
                 width: int) -> tuple[pd.DataFrame, list[tuple[int, str]]]:
    """Records after the header as a string frame, plus records of the wrong width.

    The fast path is pandas' C parser; when a record has more fields than the
    header, the csv module re-reads the file so that exactly those records are
    set aside (trailing empty fields are dropped first, as Excel writes them).
    """
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=delim, header=None, skiprows=hidx + 1, names=range(width),
            dtype=str, keep_default_na=False, na_filter=False, skip_blank_lines=False,
            engine="c",
        )
        return frame.fillna(""), []
    except pd.errors.ParserError:
        pass
    except pd.errors.EmptyDataError:
        return pd.DataFrame(columns=range(width), dtype=str), []
    rows, bad = [], []
    reader = csv.reader(io.StringIO(text), delimiter=delim)
    for i, row in enumerate(reader):
        if i <= hidx:
            continue
        while len(row) > width and row[-1].strip() == "":
            row.pop()
        if len(row) > width:
            bad.append((i + 1, f"raden har {len(row)} fält men rubrikraden {width}"))
            rows.append(None)
        else:
            rows.append(row + [""] * (width - len(row)))
    # Keep positions: bad records are dropped from the frame but keep their row numbers.
    keep = [r for r in rows if r is not None]
    frame = pd.DataFrame(keep, columns=range(width), dtype=str) if keep else \
        pd.DataFrame(columns=range(width), dtype=str)
    frame.attrs["positions"] = [i for i, r in enumerate(rows) if r is not None]
    return frame, bad


# --- XLSX ------------------------------------------------------------------

def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _read_xlsx(path: Path, data: bytes, sheet: str | int | None, header_row: int | str,
               hints: set[str]) -> RawExport:
    import openpyxl  # imported here: only Excel users pay for it
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as err:
        raise TrygghetError("filen är inte en läsbar Excel-fil (skadad?)", file=path,
                            hint="öppna den i Excel och spara den igen som .xlsx") from err
    warnings: list[str] = []
    try:
        if not wb.worksheets:
            raise TrygghetError("arbetsboken har inga kalkylblad (skadad?)", file=path,
                                hint="öppna den i Excel och spara den igen som .xlsx")
        if sheet is not None:
            names = wb.sheetnames
            if isinstance(sheet, int):
                if not 1 <= sheet <= len(names):
                    raise TrygghetError(f"bladet nummer {sheet} finns inte", file=path,
                                        hint=f"bladen heter: {', '.join(names)}")
                ws = wb[names[sheet - 1]]
            elif sheet not in names:
                raise TrygghetError(f"bladet '{sheet}' finns inte", file=path,
                                    hint=f"bladen heter: {', '.join(names)}")
            else:
                ws = wb[sheet]
            grid = [[_cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
        else:
            # The sheet that holds the mapping's headers; the first if none does.
            best = None
            for ws in wb.worksheets:
                grid_ = [[_cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
                hits = _best_header(grid_, hints)[1] if hints else 0
                if best is None or hits > best[0]:
                    best = (hits, ws.title, grid_)
            _, title, grid = best
            if len(wb.sheetnames) > 1:
                warnings.append(f"arbetsboken har {len(wb.sheetnames)} blad; läste '{title}'")
            ws = wb[title]
        sheet_name = ws.title
    finally:
        wb.close()

    if not grid or not any(any(c.strip() for c in r) for r in grid):
        raise TrygghetError(f"bladet '{sheet_name}' är tomt", file=path)
    if header_row in ("auto", None):
        hidx, _ = _best_header(grid, hints)
    else:
        hidx = int(header_row) - 1
    if hidx >= len(grid):
        raise TrygghetError(f"rubrikraden {hidx + 1} finns inte", file=path)
    if hidx:
        warnings.append(f"hoppade över {hidx} rad(er) ovanför rubrikraden (rad {hidx + 1})")
    headers = grid[hidx]
    # Trailing columns with neither header nor data are formatting, not data.
    width = len(headers)
    while width and not headers[width - 1].strip() and \
            all(len(r) < width or not r[width - 1].strip() for r in grid[hidx + 1:]):
        width -= 1
    headers = headers[:width]
    # Rows without a single value after the last record are sheet formatting, not records.
    body = grid[hidx + 1:]
    while body and not any(c.strip() for c in body[-1]):
        body.pop()
    body = [(r + [""] * width)[:width] for r in body]
    frame = pd.DataFrame(body, columns=range(width), dtype=str) if body else \
        pd.DataFrame(columns=range(width), dtype=str)
    rows = np.arange(len(frame), dtype=np.int64) + hidx + 2
    info = {"format": "xlsx", "sheet": sheet_name, "header_row": hidx + 1}
    return RawExport(path, headers, frame, rows, info, [], warnings)
