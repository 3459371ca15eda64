"""Reading raw survey exports: CSV in any of the usual encodings, or ``.xlsx``.

Survey tools export in many shapes. This module turns any of them into a
:class:`RawExport`: the header texts, every record as text (blank = ``""``),
and each record's row number in the file, so that later messages can point to
"rad 57". Nothing is interpreted here; the mapping and cleaning do that.

Format
    Decided by the content, not the name: a ZIP is read as ``.xlsx`` (even
    when renamed ``.csv``), text named ``.xlsx`` is read as CSV with a warning.
    An OLE2 file (old ``.xls`` or a password-protected workbook) is refused.
Encoding
    A BOM decides (UTF-8, UTF-16, UTF-32); UTF-16 without BOM is recognised by its
    zero bytes. Otherwise UTF-8 is tried and, line by line where it fails,
    Windows-1252 — the encoding of Swedish Excel's "CSV (semikolonavgränsad)".
    A file saved as UTF-8 after being misread as Windows-1252 ("Ã¶" for "ö")
    is repaired line by line and a warning says so; one whose letters were
    already lost ("�") gets a warning. The encoding can be forced (mapping
    ``source.encoding`` or argument).
Delimiter and line ends
    ``;``, ``,``, tab or ``|``: the one that splits the header row into the
    mapping's headers, else the most consistent one over the first records.
    CRLF, LF and old Mac CR line ends are all read, and so is ``\r\r\n`` (a CRLF
    file written again through a Windows text-mode file): one line end.
Header row
    Exports sometimes carry a title above the header; the header is the row
    among the first 20 that holds the most of the mapping's headers. Qualtrics'
    three header rows (short names, question texts, ``{"ImportId": …}``) are
    recognised by the last: records start after it, and the other of the
    names and texts is each column's second name (``RawExport.names``).
SPSS
    A ``.sav`` is read with its variable and value labels (:mod:`trygghet.spss`).
Records
    Every record after the header is kept, blank ones included (cleaning
    quarantines them). A record with more non-empty fields than the header, or
    one that holds a whole record split by another delimiter, is set aside in
    ``bad_rows`` with its row number; trailing empty fields (a delimiter at
    the end of each line) are not extra fields.

Zero bytes
    A text export can hold a NUL byte in a cell (database exports pad fixed-width
    fields with them): the file is read, ``info["nul"]`` says so, and cleaning
    quarantines the rows concerned. A NUL in a header, or NULs with other
    control characters or filling most of the file (binary), refuse the file.

Problems are :class:`TrygghetError` messages naming the file (and row): a
missing, empty, binary, corrupt or password-protected file, an old ``.xls``,
a header without records, a quote that is never closed, or a path that is not
a regular file within the size limit (:mod:`trygghet.inputs`).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import TrygghetError
from .inputs import read_export_bytes
from .mapping import SurveyMapping, normalise

DELIMITERS = (";", ",", "\t", "|")
HEADER_SEARCH_ROWS = 20
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, or any password-protected Office file
ZIP_MAGIC = b"PK\x03\x04"
SAV_MAGIC = (b"$FL2", b"$FL3")  # SPSS .sav (and compressed .zsav)
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
    names
        A second name per column, where the export has one (an SPSS variable's
        name beside its label, Qualtrics' short name above the question text);
        a mapping may name either. Empty when the export has only one.
    value_labels
        Per header, the export's own code → label lists (an SPSS ``.sav``'s
        value labels), already applied to ``frame``; kept for drafting a mapping.
    """

    path: Path
    headers: list[str]
    frame: pd.DataFrame
    source_rows: np.ndarray
    info: dict = field(default_factory=dict)
    bad_rows: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    value_labels: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def rows_in(self) -> int:
        return len(self.frame) + len(self.bad_rows)


def read_export(path: str | Path, mapping: SurveyMapping | None = None, *,
                encoding: str | None = None, delimiter: str | None = None,
                sheet: str | int | None = None,
                header_row: int | str | None = None) -> RawExport:
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

    Raises
    ------
    TrygghetError
        The file cannot be read as an export, or it holds a header but not a
        single record (nothing to clean is an input problem, not a result).
    """
    path = Path(path)
    src = mapping.source if mapping is not None else None
    encoding = encoding or (src.encoding if src else "auto")
    delimiter = delimiter or (src.delimiter if src else "auto")
    sheet = sheet if sheet is not None else (src.sheet if src else None)
    header_row = header_row or (src.header_row if src else None) or "auto"
    hints = {normalise(h) for h in mapping.headers()} if mapping is not None else set()

    # A regular file within the size limit: not a FIFO, /dev/zero or a disk image.
    data = read_export_bytes(path, hint="kontrollera sökvägen (mappningens source.file eller "
                                        "--input)")
    if re.search(rb"\S", data) is None:  # (not data.strip(): that copies a big file)
        raise TrygghetError("filen är tom", file=path, hint="exportera enkätsvaren igen")
    suffix = path.suffix.lower()
    if data.startswith(OLE_MAGIC):
        raise TrygghetError(
            "filen är lösenordsskyddad eller i det gamla .xls-formatet", file=path,
            hint="öppna den i Excel, ta bort lösenordet och spara som .xlsx eller CSV (UTF-8)")
    if data.startswith(SAV_MAGIC):
        from .spss import read_sav  # only SPSS users pay for pyreadstat

        raw = read_sav(path)
    elif data.startswith(ZIP_MAGIC):  # the content decides: a renamed .xlsx is still one
        _refuse_plain_zip(path, data)
        raw = _read_xlsx(path, data, sheet, header_row, hints)
    elif suffix in (".sav", ".zsav"):
        raise TrygghetError("filen heter .sav men är ingen SPSS-fil (skadad?)", file=path,
                            hint="exportera SPSS-filen igen från enkätverktyget")
    elif suffix in (".xls", ".ods", ".numbers"):
        raise TrygghetError(f"filformatet {suffix} stöds inte", file=path,
                            hint="spara som .xlsx eller CSV (UTF-8)")
    elif suffix in (".xlsx", ".xlsm") and not _looks_like_text(data):
        raise TrygghetError("filen är inte en läsbar Excel-fil (skadad?)", file=path,
                            hint="öppna den i Excel och spara den igen som .xlsx")
    else:
        raw = _read_csv(path, data, encoding, delimiter, header_row, hints)
        if suffix in (".xlsx", ".xlsm"):
            raw.warnings.insert(0, f"filen heter {suffix} men är en textfil; lästes som CSV")
    if raw.rows_in == 0:
        raise TrygghetError(
            "filen har en rubrikrad men inga svar", file=path, row=raw.info.get("header_row"),
            hint="exportera igen med alla svar (kontrollera filter och datumintervall i "
                 "enkätverktyget)")
    return raw


def release_memory() -> None:
    """Give the memory of raw tables that were dropped back to the system.

    Arrow's allocator keeps freed memory for later tables; after cleaning, the
    raw export's 0.5–1 GB would otherwise stay counted in the process while the
    estimates are computed.
    """
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


# --- CSV -------------------------------------------------------------------

def _looks_like_text(data: bytes) -> bool:
    """Whether bytes can be a CSV export: a BOM, or not binary (or UTF-16's pattern)."""
    if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", _UTF32_BE_BOM)):
        return True
    return not _binary(data) or _utf16_without_bom(data) is not None


# C0 control characters no text export holds (tab, line ends, form feed, vertical
# tab and DOS's end-of-file Ctrl-Z do occur).
_CONTROL = re.compile(rb"[\x01-\x08\x0e-\x19\x1b-\x1f]")
_UTF32_BE_BOM = b"\x00\x00\xfe\xff"


def _binary(data: bytes) -> bool:
    """Whether the head of ``data`` is binary: zero bytes together with other
    control characters (images, archives, executables all have them), or
    mostly zero bytes (a file of zeroed blocks).

    A text export can carry NUL bytes in its cells (a database's fixed-width
    padding, a damaged copy): those rows are quarantined, the file is read.
    """
    head = data[:4096]
    nul = head.count(0)
    if not nul:
        return False
    return nul > len(head) // 2 or _CONTROL.search(head) is not None


def _utf16_without_bom(data: bytes) -> str | None:
    """``"utf-16-le"``/``"-be"`` if the zero bytes say so, else None.

    Text in UTF-16 has a zero byte beside nearly every Latin letter, always on
    the same side; a binary file has them anywhere.
    """
    sample = data[:4096]
    even, odd = sample[0::2], sample[1::2]
    if len(odd) < 8:
        return None
    if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def _decode(path: Path, data: bytes, encoding: str) -> tuple[str, str, list[str], bytes | None]:
    """Bytes → text, the encoding used, warnings, and the UTF-8 bytes of the text.

    The last is ``data`` (without a BOM) when the text is exactly its UTF-8
    decoding — the common case — so that a parser can read the bytes without
    encoding the text again; otherwise None.
    """
    warnings: list[str] = []
    if encoding not in ("auto", None):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as err:
            line = data[: err.start].count(b"\n") + 1
            raise TrygghetError(f"kan inte läsas som {encoding} (byte 0x{data[err.start]:02x})",
                                file=path, row=line,
                                hint="ange rätt teckenkodning eller source.encoding: auto") from err
        exact: bytes | None = None
        if encoding == "utf-8":
            exact = data
        elif encoding == "utf-8-sig":
            exact = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
        return text, encoding, warnings, exact
    if data.startswith((b"\xff\xfe\x00\x00", _UTF32_BE_BOM)):  # before UTF-16: same start
        try:
            return data.decode("utf-32").lstrip("\ufeff"), "utf-32", warnings, None
        except UnicodeDecodeError as err:
            raise TrygghetError("filen är UTF-32 men trasig (avkortad?)", file=path,
                                hint="exportera filen igen") from err
    utf16 = ("utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff"))
             else _utf16_without_bom(data) if b"\x00" in data[:4096] else None)
    if utf16:
        try:
            return data.decode(utf16).lstrip("\ufeff"), "utf-16", warnings, None
        except UnicodeDecodeError as err:  # e.g. cut off in the middle of a character
            row = data[: err.start].decode(utf16, errors="replace").count("\n") + 1
            raise TrygghetError("filen är UTF-16 men trasig (avkortad?)", file=path, row=row,
                                hint="exportera filen igen") from err
    if _binary(data):
        raise TrygghetError("filen verkar inte vara en textfil (CSV)", file=path,
                            hint="exportera som CSV eller .xlsx")
    # "\ufffd" stored in the file: letters replaced by an editor that misread it.
    lost = data.find("\ufffd".encode())
    lost_row = data.count(b"\n", 0, lost) + 1 if lost >= 0 else 0
    used = "utf-8"
    if data.startswith(b"\xef\xbb\xbf"):
        data, used = data[3:], "utf-8-sig"
    exact = None
    try:
        text = data.decode("utf-8")
        exact = data
    except UnicodeDecodeError:
        # Line by line: a Windows-1252 file fails on every line with å/ä/ö,
        # while a UTF-8 file with a few stray bytes fails only on those lines.
        lines, fallback = [], []
        for i, raw in enumerate(data.split(b"\n"), start=1):
            try:
                lines.append(raw.decode("utf-8"))
            except UnicodeDecodeError:
                # A line that also holds valid UTF-8 (text pasted together) keeps it:
                # only the bytes that are not UTF-8 are read as Windows-1252.
                mixed = _UTF8_SEQUENCE.search(raw) is not None
                lines.append(raw.decode("utf-8", errors=_CP1252_BYTES) if mixed
                             else raw.decode("cp1252", errors="replace"))
                fallback.append(i)
        text = "\n".join(lines)
        non_ascii = sum(1 for ln in lines if not ln.isascii())
        used = "cp1252" if len(fallback) == non_ascii and used == "utf-8" else "blandad"
        if used == "blandad":
            warnings.append(f"blandad teckenkodning: {len(fallback)} rader lästes som "
                            f"Windows-1252 (första: rad {fallback[0]})")
    # A second BOM (a BOM file saved again by a tool that adds one) is not text.
    decoded = text
    text = _repair_mojibake(text.lstrip("\ufeff"), warnings)
    if text is not decoded:  # (both calls return the very same object when they change nothing)
        exact = None
    if lost_row:
        warnings.append(f"filen innehåller '\ufffd' (första: rad {lost_row}): tecken som å, ä, ö "
                        "har gått förlorade när filen sparats med fel teckenkodning – exportera "
                        "den igen")
    return text, used, warnings, exact


def _cp1252_bytes(err: UnicodeError) -> tuple[str | bytes, int]:
    """Decode error handler: the offending bytes as Windows-1252 (U+FFFD if undefined)."""
    assert isinstance(err, UnicodeDecodeError)  # (registered for decoding only)
    return err.object[err.start:err.end].decode("cp1252", errors="replace"), err.end


_CP1252_BYTES = "trygghet-cp1252"
codecs.register_error(_CP1252_BYTES, _cp1252_bytes)
# A multi-byte UTF-8 character (lead byte + continuation bytes).
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")


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
    if not repaired:
        return text
    warnings.append(f"reparerade felkodade tecken (t.ex. 'Ã¶' → 'ö') på {repaired} rader")
    return "\n".join(lines)


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` (with their ``\\n``), lazily: the head of a 400 MB
    export is read without copying the whole text."""
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start)
        end = size if end < 0 else end + 1
        yield text[start:end]
        start = end


def _body_offset(text: str, delim: str, records: int) -> int:
    """Character offset just after the first ``records`` records (header and above)."""
    reader = csv.reader(_lines(text), delimiter=delim)
    for _ in zip(range(records), reader, strict=False):
        pass
    offset = 0
    for _ in range(reader.line_num):
        offset = text.find("\n", offset) + 1
        if offset == 0:
            return len(text)
    return offset


def _split_head(text: str, delim: str, limit: int = HEADER_SEARCH_ROWS + 5) -> list[list[str]]:
    rows = []
    reader = csv.reader(_lines(text), delimiter=delim)
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


def _header_index(path: Path, rows: list[list[str]], header_row: int | str | None,
                  hints: set[str]) -> int:
    """Index of the header row among the first ``rows``: the one given (1-based), or
    with ``auto`` the row holding the most of the mapping's headers."""
    hidx = _best_header(rows, hints)[0] if header_row in ("auto", None) else int(header_row) - 1
    if hidx >= len(rows):
        raise TrygghetError(f"rubrikraden {hidx + 1} finns inte", file=path,
                            hint="kontrollera source.header_row i mappningen (auto letar själv)")
    return hidx


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


# What the fast path leaves to the careful one: "Ã" or "Â", which may start mojibake
# ("Ã¶"), and letters already lost ("\ufffd"), in UTF-8.
_CAREFUL = (b"\xc3\x82", b"\xc3\x83", b"\xef\xbf\xbd")


def _holds_any(data: bytes, needles: tuple[bytes, ...], most: int = 10_000) -> bool:
    """Whether ``data`` holds any of ``needles`` (True too after ``most`` near misses).

    Searched by each needle's last byte, which is rare in Swedish text (``bytes.find``
    of a needle starting with the common lead byte of å, ä, ö is several times slower).
    """
    for needle in needles:
        k = len(needle) - 1
        pos = data.find(needle[k:], k)
        for _ in range(most):
            if pos < 0:
                break
            if data[pos - k:pos + 1] == needle:
                return True
            pos = data.find(needle[k:], pos + 1)
        else:
            return True
    return False
_HEAD_BYTES = 1 << 22  # the head decoded to find the delimiter and the header (4 MB)


def _read_csv_utf8(path: Path, data: bytes, encoding: str, delimiter: str,
                   header_row: int | str, hints: set[str]) -> RawExport | None:
    """A plain UTF-8 export straight from its bytes, or None for the careful reader.

    The usual export — UTF-8, LF or CRLF line ends, no NUL, nothing to repair —
    is read exactly as :func:`_read_csv` reads it, without its two copies of the
    whole file: the line ends are not rewritten (Arrow reads CRLF itself) and
    the file is never decoded into one Python string (for a million rows that
    is 400 MB of bytes, a 400 MB copy and up to 800 MB of text; Arrow checks
    the UTF-8 as it parses). Only a head of the file is decoded, to choose the
    delimiter and find the header, and only where it holds every row those
    searches read. Anything else returns None: a BOM for another encoding, a
    lone CR, possible mojibake or lost letters, a head that is too short, or
    a body Arrow declines (invalid UTF-8, ragged records).
    """
    if encoding not in ("auto", None, "utf-8", "utf-8-sig") or b"\x00" in data:
        return None
    used = "utf-8" if encoding in ("auto", None) else encoding
    start = 0
    if data.startswith(b"\xef\xbb\xbf") and encoding != "utf-8":
        start, used = 3, ("utf-8-sig" if encoding in ("auto", None) else encoding)
    if data.startswith((b"\xff\xfe", b"\xfe\xff", _UTF32_BE_BOM, b"\xef\xbb\xbf"), start):
        return None  # another encoding's BOM, or a second BOM
    crlf = b"\r" in data
    if crlf and _lone_cr(data):
        return None  # lone CRs (old Mac, or CR CR LF)
    if _holds_any(data, _CAREFUL):
        return None
    whole = len(data) - start <= _HEAD_BYTES
    cut = len(data) if whole else data.rfind(b"\n", start, start + _HEAD_BYTES) + 1
    if cut <= start:
        return None
    try:
        head_text = data[start:cut].decode("utf-8")
    except UnicodeDecodeError:
        return None
    if crlf:
        head_text = head_text.replace("\r\n", "\n")
    if whole:  # as _read_csv: empty lines after the last record are not records
        head_text = head_text.rstrip("\n ") + "\n"
    n_lines = head_text.count("\n")
    if not whole:
        # Each search reads at most HEADER_SEARCH_ROWS + 5 records: they must all
        # end inside the head, whatever the delimiter.
        for d in DELIMITERS:
            reader = csv.reader(_lines(head_text), delimiter=d)
            try:
                for _ in zip(range(HEADER_SEARCH_ROWS + 5), reader, strict=False):
                    pass
            except csv.Error:
                return None
            if reader.line_num >= n_lines:
                return None
    csv.field_size_limit(max(csv.field_size_limit(), min(len(data) + 1, 2**31 - 1)))
    delim = _choose_delimiter(head_text, hints) if delimiter in ("auto", None) else delimiter
    head = _split_head(head_text, delim)
    hidx = _best_header(head, hints)[0] if header_row in ("auto", None) else int(header_row) - 1
    if hidx >= len(head):
        return None  # the careful reader words the error
    headers = head[hidx]
    last, names, warnings = _header_rows(head, hidx)
    offset = _body_offset(head_text, delim, last + 1)
    if offset >= len(head_text) and not whole:
        return None
    # The same number of line ends into the bytes ("\r\n" became "\n" in the head).
    body_start = start
    for _ in range(head_text.count("\n", 0, offset)):
        body_start = data.index(b"\n", body_start) + 1
    end = len(data)
    while end > body_start and data[end - 1] in b"\r\n ":
        end -= 1
    if end <= body_start:
        return None
    width = len(headers)
    first = len(head[last + 1]) if last + 1 < len(head) else 0
    ncol = max(width, first)
    # Line breaks inside quoted values: "\r\n" there is "\n", as in _read_csv.
    frame = _arrow_records(memoryview(data)[body_start:end], delim, ncol, crlf=crlf)
    if frame is None:
        return None
    frame, positions, bad = _surplus_fields(frame, width, ncol, last)
    frame, positions, bad = _set_aside_other_delimiter(frame, positions, bad, delim, last)
    info = {"format": "csv", "encoding": used, "delimiter": delim, "header_row": hidx + 1}
    return RawExport(path, headers, frame, positions + last + 2, info, bad, warnings,
                     names=names)


def _read_csv(path: Path, data: bytes, encoding: str, delimiter: str, header_row: int | str,
              hints: set[str]) -> RawExport:
    fast = _read_csv_utf8(path, data, encoding, delimiter, header_row, hints)
    if fast is not None:
        return fast
    if b"\r" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")) \
            and b"\x00" not in data[:4096]:
        # One line end for every parser: CRLF (Windows) and a lone CR (old Mac
        # Excel's "CSV (Macintosh)") both end a line. On the bytes, before
        # decoding: "\r" and "\n" are the same bytes in UTF-8 and Windows-1252.
        data = data.replace(b"\r\n", b"\n")
        if b"\r" in data:  # (a fast memchr; false for LF and CRLF files)
            if b"\r\n" in data:
                # It was "\r\r\n": a CRLF file written again through a Windows
                # text-mode file (each "\n" becomes "\r\n"). One line end, not a
                # blank record after every record.
                data = re.sub(rb"\r+\n", b"\n", data)
            data = data.replace(b"\r", b"\n")
    text, used, warnings, exact = _decode(path, data, encoding)
    if "\r" in text:  # UTF-16 (or a file with zero bytes)
        text = re.sub("\r+\n", "\n", text).replace("\r", "\n")
        exact = None
    # Empty lines after the last record are not records; everything before is.
    end = len(text)
    while end and text[end - 1] in "\n ":
        end -= 1
    if text[end:] != "\n":  # copy only when the ending needs changing
        text = text[:end] + "\n"
    # A free-text answer can be far longer than the csv module's default 128 kB limit.
    csv.field_size_limit(max(csv.field_size_limit(), min(len(text) + 1, 2**31 - 1)))
    delim = _choose_delimiter(text, hints) if delimiter in ("auto", None) else delimiter
    head = _split_head(text, delim)
    hidx = _header_index(path, head, header_row, hints)
    headers = head[hidx]
    # A zero byte is U+0000 in the 8-bit encodings: searching the bytes is a
    # memchr; only UTF-16/32 text (whose bytes are full of zeros) is searched.
    nul = "\x00" in text if used in ("utf-16", "utf-32") else b"\x00" in data
    if nul:
        _refuse_nul_header(path, headers, hidx + 1)
    last, names, note = _header_rows(head, hidx)
    warnings += note

    first = len(head[last + 1]) if last + 1 < len(head) else 0
    frame, positions, bad = _csv_records(path, text, delim, last, headers, first, exact)
    frame, positions, bad = _set_aside_other_delimiter(frame, positions, bad, delim, last)
    rows = positions + last + 2
    info = {"format": "csv", "encoding": used, "delimiter": delim, "header_row": hidx + 1}
    if nul:  # cleaning looks for the cells (and quarantines their rows) only then
        info["nul"] = True
    return RawExport(path, headers, frame, rows, info, bad, warnings, names=names)


def _header_rows(head: list[list[str]], hidx: int) -> tuple[int, list[str], list[str]]:
    """The last header row, the columns' second names and what to tell the analyst.

    Qualtrics writes three header rows: short names, question texts, and
    ``{"ImportId":"QID1"}`` per column. The records start after the last.
    """
    last, names = _extra_header_rows(head, hidx)
    if last > hidx:
        return last, names, [f"Qualtrics-export: rad {min(hidx, last - 2) + 1}–{last + 1} är "
                             "rubrikrader (kortnamn, frågetext, ImportId); svaren börjar på "
                             f"rad {last + 2}"]
    if hidx:
        return last, names, [f"hoppade över {hidx} rad(er) ovanför rubrikraden "
                             f"(rad {hidx + 1})"]
    return last, names, []


_IMPORT_ID = re.compile(r'^\{\s*"ImportId"\s*:', re.IGNORECASE)


def _extra_header_rows(head: list[list[str]], hidx: int) -> tuple[int, list[str]]:
    """The last header row (``hidx`` unless Qualtrics' ImportId row follows) and the
    columns' second names (the other of Qualtrics' name and text rows; else none)."""
    for k in (hidx + 1, hidx + 2):
        if k >= len(head):
            break
        cells = [c for c in head[k] if c.strip()]
        if cells and sum(bool(_IMPORT_ID.match(c.strip())) for c in cells) * 2 >= len(cells):
            other = hidx + 1 if k == hidx + 2 else hidx - 1
            names = head[other] if 0 <= other < k and len(head[other]) == len(head[hidx]) \
                else []
            return k, names
    return hidx, []


def _refuse_nul_header(path: Path, headers: list[str], row: int) -> None:
    """A zero byte in a header: no column can be matched, so the file is refused."""
    for header in headers:
        if "\x00" in header:
            raise TrygghetError("rubriken innehåller ett NUL-tecken (byte 0)", file=path, row=row,
                                column=header.replace("\x00", "\\x00"),
                                hint="ta bort tecknet i en textredigerare eller exportera igen")


def _too_many(n: int, width: int) -> str:
    return f"{n} fält men rubrikraden har {width}"


def _csv_records(path: Path, text: str, delim: str, hidx: int, headers: list[str],
                 first: int, exact: bytes | None = None
                 ) -> tuple[pd.DataFrame, np.ndarray, list[tuple[int, str]]]:
    """Records after the header: string frame, their positions, and set-aside records.

    The fast path is pandas' C parser, given as many columns as the widest of
    the header and the first record: pandas silently turns surplus leading
    fields into an index when the first record is wider than the names it is
    given, shifting every answer one column. Surplus fields that are empty
    (a delimiter at the end of each line) are dropped; a record with surplus
    values is set aside. When a later record is wider still, the csv module
    re-reads the file so that exactly those records are set aside.
    """
    width = len(headers)
    ncol = max(width, first)
    offset = _body_offset(text, delim, hidx + 1)
    if exact is not None:
        # The same records as bytes, without copying: where the header ends in
        # bytes, and the end without trailing blank lines.
        end = len(exact)
        while end and exact[end - 1] in b"\n ":
            end -= 1
        body: str | memoryview = memoryview(exact)[len(text[:offset].encode("utf-8")):end]
    else:  # (without the final line break, as the bytes: the unclosed-quote check
        # below compares the file's last bytes with its last value)
        body = text[offset:len(text) - 1] if text.endswith("\n") else text[offset:]
    frame = _arrow_records(body, delim, ncol)
    if frame is None:
        try:
            frame = pd.read_csv(
                io.StringIO(text), sep=delim, header=None, skiprows=hidx + 1,
                names=range(ncol), dtype=str, keep_default_na=False, na_filter=False,
                skip_blank_lines=False, engine="c",
            ).fillna("")
        except pd.errors.EmptyDataError:
            return pd.DataFrame(columns=range(width), dtype=str), np.zeros(0, np.int64), []
        except pd.errors.ParserError:
            return _csv_records_slow(path, text, delim, hidx, headers)
    return _surplus_fields(frame, width, ncol, hidx)


def _surplus_fields(frame: pd.DataFrame, width: int, ncol: int,
                    hidx: int) -> tuple[pd.DataFrame, np.ndarray, list[tuple[int, str]]]:
    """Drop empty surplus fields; set aside records with values past the header."""
    positions = np.arange(len(frame), dtype=np.int64)
    bad: list[tuple[int, str]] = []
    if ncol > width:
        filled = np.column_stack([(frame[c].str.strip() != "").to_numpy()
                                  for c in range(width, ncol)])
        wide = filled.any(axis=1)
        if wide.any():
            # Fields up to the last non-empty one count, as the csv module sees them.
            last = ncol - np.argmax(filled[:, ::-1], axis=1)
            bad = [(int(p) + hidx + 2, _too_many(int(k), width))
                   for p, k in zip(positions[wide], last[wide], strict=True)]
        frame = frame.loc[~wide, list(range(width))].reset_index(drop=True)
        positions = positions[~wide]
    return frame, positions, bad


def _lone_cr(data: bytes, block: int = 1 << 24) -> bool:
    """Whether ``data`` holds a CR that is not followed by LF.

    Compared block by block as bytes in NumPy: a tenth of the time of
    ``data.count(b"\r") != data.count(b"\r\n")`` for a 400 MB export (both
    counts run a byte at a time), and at most a 16 MB mask in memory.
    """
    view = np.frombuffer(data, dtype=np.uint8)
    for lo in range(0, len(view), block):
        part = view[lo:lo + block + 1]  # (one byte more: a CR at a block's end)
        cr = part[:-1] == 13 if lo + block < len(view) else part == 13
        nxt = part[1:] if lo + block < len(view) else np.append(part[1:], np.uint8(0))
        if np.any(cr & (nxt != 10)):
            return True
    return False


def _holds_byte(array, byte: int) -> bool:
    """Whether any value of an Arrow (large) string array holds ``byte``.

    Read from the array's data buffer (between its first and last offset, so a
    slice reads only its own values) without a Python string per value.
    """
    import pyarrow as pa

    offsets_type = np.int64 if pa.types.is_large_string(array.type) else np.int32
    _, offsets, values = array.buffers()
    if values is None or not len(array):
        return False
    off = np.frombuffer(offsets, dtype=offsets_type, count=len(array) + 1,
                        offset=array.offset * np.dtype(offsets_type).itemsize)
    return bool(np.any(np.frombuffer(values, dtype=np.uint8)[off[0]:off[-1]] == byte))


def _arrow_records(body: str | memoryview, delim: str, ncol: int,
                   crlf: bool = False) -> pd.DataFrame | None:
    """Records as strings with Arrow's multithreaded parser, or None to fall back.

    Arrow builds the string columns directly (no Python string per cell), which
    makes a million-row export several times faster and lighter to read than
    pandas' C parser. It accepts only well-formed files: every record exactly
    ``ncol`` fields, no empty lines. Anything else (ragged or blank records,
    unbalanced quotes) returns None, and the careful readers below take over.
    With ``crlf`` (a file without lone CRs), line breaks inside quoted values
    become "\n", as the careful reader makes them; only the columns whose
    bytes hold a CR are rewritten.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    if isinstance(body, str):
        body = memoryview(body.encode("utf-8"))
    if re.search(rb"\S", body) is None:  # (not body.strip(): a copy of a big file)
        return None

    names = [str(i) for i in range(ncol)]
    try:
        table = pacsv.read_csv(
            pa.py_buffer(body),
            read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=delim, newlines_in_values=True,
                                             ignore_empty_lines=False),
            # Large strings: what pandas' Arrow-backed "str" holds, so that the frame
            # wraps Arrow's buffers instead of copying them (0.8 s for a million rows).
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.large_string()), strings_can_be_null=False,
                quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        return None
    if table.num_rows and ncol:
        # Arrow reads an unclosed quote to the end of the file as one value, where
        # pandas stops: then the file ends with the quote and that value, escaped.
        # (The field must start there, after a delimiter or a line break: a closed
        # field `""""` holding one quote also ends with the three bytes `"""`.)
        last = table.column(ncol - 1)[-1].as_py()
        tail = ('"' + last.replace('"', '""')).encode("utf-8")
        start = len(body) - len(tail)
        if start >= 0 and body[start:] == tail and \
                (start == 0 or body[start - 1:start] in (delim.encode("utf-8"), b"\n")):
            return None
    if crlf:
        for i, column in enumerate(table.columns):
            if any(_holds_byte(chunk, 13) for chunk in column.chunks):
                table = table.set_column(i, table.field(i),
                                         pc.replace_substring(column, "\r\n", "\n"))
    dtype = _STR_DTYPE if isinstance(_STR_DTYPE, pd.StringDtype) else None
    frame = table.to_pandas(types_mapper={pa.large_string(): dtype}.get if dtype else None)
    frame.columns = range(ncol)
    return frame


# What read_csv(dtype=str) gives: the Arrow-backed "str" on pandas 3, object on 2.x.
_STR_DTYPE = pd.Series([""], dtype=str).dtype


def _csv_records_slow(path: Path, text: str, delim: str, hidx: int,
                      headers: list[str]) -> tuple[pd.DataFrame, np.ndarray,
                                                   list[tuple[int, str]]]:
    """The csv module's reading of the records; only for files pandas refuses."""
    width = len(headers)
    rows, bad, positions = [], [], []
    reader = csv.reader(io.StringIO(text), delimiter=delim)
    i, begins, ends = -1, 0, 0  # the last record's first line and the line after it
    try:
        for i, row in enumerate(reader):  # noqa: B007 - i is used after the loop
            begins, ends = ends, reader.line_num
            if i > hidx:
                while len(row) > width and row[-1].strip() == "":
                    row.pop()
                if len(row) > width:
                    bad.append((i + 1, _too_many(len(row), width)))
                else:
                    rows.append(row + [""] * (width - len(row)))
                    positions.append(i - hidx - 1)
    except csv.Error as err:
        raise TrygghetError(f"raden kan inte delas upp i fält ({err})", file=path, row=i + 2,
                            hint="öppna filen i en textredigerare och rätta raden, eller "
                                 "exportera igen") from err
    if i > hidx:
        _check_closed_quote(path, text, delim, begins, row=i + 1, headers=headers)
    frame = pd.DataFrame(rows, columns=range(width), dtype=str) if rows else \
        pd.DataFrame(columns=range(width), dtype=str)
    return frame, np.asarray(positions, dtype=np.int64), bad


def _check_closed_quote(path: Path, text: str, delim: str, begins: int, *, row: int,
                        headers: list[str]) -> None:
    """Refuse a file whose last record opens a quote that never closes.

    The lenient reader takes the rest of the file as one field: every
    respondent below it would silently vanish into one free-text answer. Only
    the last record can be affected, so only it (from line ``begins``) is read
    again, strictly.
    """
    lines = io.StringIO(text).readlines()
    tail = "".join(lines[begins:])
    try:
        for _ in csv.reader(io.StringIO(tail), delimiter=delim, strict=True):
            pass
    except csv.Error as err:
        if "end of data" not in str(err):  # strict also refuses quirks Excel accepts
            return
        fields = next(csv.reader(io.StringIO(tail), delimiter=delim))
        column = headers[len(fields) - 1] if len(fields) <= len(headers) else None
        raise TrygghetError(
            f"ett citattecken (\") avslutas aldrig, så resten av filen (rad {begins + 1}–"
            f"{len(lines)} i en textredigerare) skulle bli ett enda fält", file=path, row=row,
            column=column,
            hint="avsluta fältet med \" (ett \" inuti texten skrivs \"\") eller exportera "
                 "igen") from err


def _set_aside_other_delimiter(frame: pd.DataFrame, positions: np.ndarray,
                               bad: list[tuple[int, str]], delim: str,
                               hidx: int) -> tuple[pd.DataFrame, np.ndarray,
                                                   list[tuple[int, str]]]:
    """Set aside records that hold a whole record split by another delimiter.

    Rows pasted in from another export (commas in a semicolon file) arrive as
    one field and empty others; cleaning would read them as a respondent with
    only an id. Vectorised, and only records whose other fields are all empty
    are looked at closely.
    """
    width = frame.shape[1]
    if width < 3 or frame.empty:
        return frame, positions, bad
    # Cheap first: such a record has its second field empty; few records do.
    maybe = np.flatnonzero((frame[1] == "").to_numpy())
    if len(maybe):
        rest_blank = (frame.iloc[maybe, 1:] == "").all(axis=1).to_numpy()
        maybe = maybe[rest_blank]
    if not len(maybe):
        return frame, positions, bad
    first = frame[0].iloc[maybe]
    found = np.zeros(len(maybe), dtype=bool)
    extra = []
    for other in DELIMITERS:
        if other == delim:
            continue
        hit = ~found & (first.str.count(re.escape(other)) >= (width - 1) // 2).to_numpy()
        extra += [(int(p) + hidx + 2,
                   f"1 fält men rubrikraden har {width} – raden verkar avgränsad med "
                   f"{_DELIM_NAMES[other]} i stället för {_DELIM_NAMES[delim]}")
                  for p in positions[maybe[hit]]]
        found |= hit
    if not found.any():
        return frame, positions, bad
    keep = np.ones(len(frame), dtype=bool)
    keep[maybe[found]] = False
    return frame.loc[keep].reset_index(drop=True), positions[keep], sorted(bad + extra)


_DELIM_NAMES = {";": "semikolon", ",": "komma", "\t": "tabb", "|": "'|'"}


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


def _refuse_plain_zip(path: Path, data: bytes) -> None:
    """A zip archive that is not a workbook: survey tools often deliver the export zipped."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a readable zip: _read_xlsx says "skadad"
    if "[Content_Types].xml" in names or any(n.startswith("xl/") for n in names):
        return
    inside = ", ".join(names[:3]) + (" …" if len(names) > 3 else "")
    raise TrygghetError(f"filen är ett zip-arkiv, inte en export ({inside or 'tomt'})",
                        file=path, hint="packa upp arkivet och ange exportfilen i det med --input")


def _sheet_grid(ws) -> list[list[str]]:
    """A worksheet's cells as text, row by row (row i = spreadsheet row i + 1)."""
    # Streaming writers often store a wrong or partial size ("A1"); read-only
    # openpyxl trusts it and silently drops the rest, so the size is re-read.
    ws.reset_dimensions()
    return [[_cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]


def _read_xlsx(path: Path, data: bytes, sheet: str | int | None, header_row: int | str,
               hints: set[str]) -> RawExport:
    """A workbook's answers sheet, without openpyxl's warnings on stderr.

    openpyxl warns about what it cannot represent (a date cell whose serial
    number is out of range, an unsupported extension); the cell still reaches
    cleaning as its text ("#VALUE!") and is quarantined there with its row.
    """
    import warnings as python_warnings

    with python_warnings.catch_warnings():
        python_warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
        return _read_workbook(path, data, sheet, header_row, hints)


def _read_workbook(path: Path, data: bytes, sheet: str | int | None, header_row: int | str,
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
            grid = _sheet_grid(ws)
        else:
            # The sheet that holds the mapping's headers; the first if none does.
            best: tuple[int, str, list[list[str]]] | None = None
            for ws in wb.worksheets:
                grid_ = _sheet_grid(ws)
                hits = _best_header(grid_, hints)[1] if hints else 0
                if best is None or hits > best[0]:
                    best = (hits, ws.title, grid_)
            assert best is not None  # (a workbook has at least one sheet)
            _, title, grid = best
            if len(wb.sheetnames) > 1:
                warnings.append(f"arbetsboken har {len(wb.sheetnames)} blad; läste '{title}'")
            ws = wb[title]
        sheet_name = ws.title
    finally:
        wb.close()

    if not grid or not any(any(c.strip() for c in r) for r in grid):
        raise TrygghetError(f"bladet '{sheet_name}' är tomt", file=path,
                            hint="ange bladet med svaren i mappningens source.sheet")
    hidx = _header_index(path, grid, header_row, hints)
    if hidx:
        warnings.append(f"hoppade över {hidx} rad(er) ovanför rubrikraden (rad {hidx + 1})")
    # Rows without a single value after the last record are sheet formatting, not records.
    body = grid[hidx + 1:]
    while body and not any(c.strip() for c in body[-1]):
        body.pop()
    # Rows are as long as their last stored cell: data may reach past the header.
    width = max(len(r) for r in [grid[hidx], *body])
    headers = (grid[hidx] + [""] * width)[:width]
    # Trailing columns with neither header nor data are formatting, not data.
    while width and not headers[width - 1].strip() and \
            all(len(r) < width or not r[width - 1].strip() for r in body):
        width -= 1
    headers = headers[:width]
    body = [(r + [""] * width)[:width] for r in body]
    frame = pd.DataFrame(body, columns=range(width), dtype=str) if body else \
        pd.DataFrame(columns=range(width), dtype=str)
    rows = np.arange(len(frame), dtype=np.int64) + hidx + 2
    info = {"format": "xlsx", "sheet": sheet_name, "header_row": hidx + 1}
    return RawExport(path, headers, frame, rows, info, [], warnings)
