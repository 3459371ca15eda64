"""Writing files: atomically, deterministically, and safe to open in Excel.

* **Atomic** — every file is written to a temporary name in the same folder and
  moved into place with :func:`os.replace`, so a crash or Ctrl-C never leaves
  half a file where a whole one was.
* **Deterministic** — same data, same bytes: sorted JSON keys, fixed line
  endings, no timestamps.
* **Formula injection** (OWASP "CSV injection") — a text cell that begins with
  ``=``, ``+``, ``-``, ``@``, tab or carriage return is run as a formula by
  spreadsheet programs. Free text and area names come from the public, so every
  such cell is prefixed with an apostrophe before it is written to CSV or XLSX.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import TrygghetError

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_UMASK = os.umask(0)
os.umask(_UMASK)


def neutralise(value: Any) -> Any:
    """Prefix a text value that a spreadsheet would run as a formula with ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def restore(value: Any) -> Any:
    """Undo :func:`neutralise` when reading our own CSV back (``"'=x"`` → ``"=x"``)."""
    if isinstance(value, str) and value.startswith("'") and value[1:2] and \
            value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell (and header) neutralised."""
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            out[col] = s.cat.rename_categories([neutralise(c) for c in s.cat.categories])
        elif s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            out[col] = s.map(neutralise, na_action="ignore")
    out.columns = [neutralise(c) for c in out.columns]
    return out


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place on success.

    On any error (KeyboardInterrupt included) the temporary file is removed and
    ``path`` is left as it was. ``OSError``s such as a read-only folder or a
    full disk become a :class:`TrygghetError` naming the file.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        # mkstemp creates 0600; give the file the permissions a plain open() would.
        os.chmod(tmp, 0o666 & ~_UMASK)
    except OSError as err:
        raise os_error(err, path) from err
    tmp = Path(tmp)
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as err:
        raise os_error(err, path) from err
    finally:
        tmp.unlink(missing_ok=True)


def os_error(err: OSError, path: Path) -> TrygghetError:
    """One Swedish message naming ``path`` for an operating-system error while writing."""
    if err.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return TrygghetError("disken är full", file=path, hint="frigör utrymme och kör igen")
    if err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return TrygghetError("saknar skrivrättighet", file=path,
                             hint="kontrollera behörigheten till mappen")
    if err.errno in (errno.ENOTDIR, errno.EEXIST):
        # A file where a folder should be (reports/2020 as a file, say).
        where = path if not err.filename or str(err.filename).endswith(".tmp") else err.filename
        return TrygghetError("mappen kan inte skapas: det finns en fil med samma namn",
                             file=where, hint="flytta eller byt namn på filen och kör igen")
    return TrygghetError(f"kunde inte skriva filen ({err.strerror or err})", file=path)


def write_csv(frame: pd.DataFrame, path: str | Path, **kwargs: Any) -> Path:
    """Write UTF-8 CSV (comma, ``\\n``), formula-neutralised, atomically.

    A carriage return inside a cell must be quoted: a spreadsheet ends the row
    at a bare CR, and the rest of the cell, starting a row of its own, could be
    a formula. The csv module quotes only the line terminator's characters, so
    a table holding a CR is written with RFC 4180's CRLF line ends instead.
    """
    safe = neutralise_frame(frame)
    text = [c for c in safe.columns if safe[c].dtype == object or
            pd.api.types.is_string_dtype(safe[c].dtype) or
            isinstance(safe[c].dtype, pd.CategoricalDtype)]
    has_cr = any(safe[c].astype(str).str.contains("\r", regex=False).any() for c in text) or \
        any("\r" in str(c) for c in safe.columns)
    with atomic_path(path) as tmp:
        safe.to_csv(tmp, index=False, lineterminator="\r\n" if has_cr else "\n", **kwargs)
    return Path(path)


def write_json(data: Any, path: str | Path) -> Path:
    """Write pretty, key-sorted UTF-8 JSON atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True,
                                  default=str) + "\n", encoding="utf-8")
    return Path(path)


def write_parquet(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write parquet (categoricals dictionary-encoded, ``attrs`` kept) atomically."""
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False, engine="pyarrow", compression="zstd")
    return Path(path)


# --- The Excel appendix (estimation stage) ------------------------------------------

# Fixed document and zip timestamps: same tables, same bytes.
APPENDIX_TIMESTAMP = (2000, 1, 1, 0, 0, 0)
_GROUP_VARS_SV = {"total": "Totalt", "sex": "Kön", "age_group": "Ålder", "area": "Område",
                  "relation": "Relation till området"}
_ESTIMATE_TYPES_SV = {"weighted": "Vägd", "unweighted": "Ovägd (andel av de svarande)",
                      "adjusted": "Justerad (modellbaserad)"}
_CI_METHODS_SV = {"wilson": "Wilson (effektivt n)", "logit": "Logit", "beta": "Korn–Graubard",
                  "t": "t-fördelning"}


def write_appendix(estimates: pd.DataFrame, path: str | Path, *, title: str,
                   notes: list[str] | tuple[str, ...] = (),
                   changes: pd.DataFrame | None = None, level: float = 0.95) -> Path:
    """Write the analysts' Excel appendix: one sheet per indicator theme.

    ``estimates`` is the *published* estimates table (through
    ``suppress.protect``). Headers are Swedish; numbers are numbers (shares in
    per cent, one decimal shown; means on 0–6 with two); a suppressed cell
    holds its symbol (``..``, ``.``; a zero estimate ``–``) and each sheet ends
    with a footnote explaining the symbols. Text cells are formula-neutralised,
    all at once when the workbook is complete (:func:`_neutralise_workbook`).
    The workbook's created/modified dates and the zip entries' timestamps are
    fixed, so the same tables give the same bytes.
    """
    import io
    import re
    import zipfile

    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    from .indicators import INDICATORS
    from .provenance import summary
    from .suppress import footnote

    made_with = summary()

    pct = f"{100 * level:g}".replace(".", ",") + "\u00a0%"
    low_head, high_head = f"Nedre gräns ({pct} KI)", f"Övre gräns ({pct} KI)"
    wb = Workbook()
    about = wb.active
    about.title = "Om tabellerna"
    bold = Font(bold=True)
    about.append([title])
    about["A1"].font = Font(bold=True, size=14)
    about.append([])
    for line in notes:
        about.append([line])
    about.append([])
    about.append([footnote()])
    about.append([])
    about.append([f"Framställt med {made_with}"])  # provenance: code and library versions
    about.column_dimensions["A"].width = 110

    themes: dict[str, list[str]] = {}
    for name, ind in INDICATORS.items():
        themes.setdefault(ind.theme, []).append(name)
    for theme, names in themes.items():
        rows = estimates[estimates["indicator"].isin(names)]
        if rows.empty:
            continue
        rows = rows.assign(_i=rows["indicator"].map({n: i for i, n in enumerate(names)}))
        rows = rows.sort_values("_i", kind="stable")
        ws = wb.create_sheet(_sheet_name(theme))
        kinds = set(rows["kind"])
        value_head = ("Andel (%)" if kinds == {"share"} else "Medelvärde (0–6)"
                      if kinds == {"mean"} else "Värde (andel i %, index 0–6)")
        ws.append([f"{theme} – {title}"])
        ws["A1"].font = Font(bold=True, size=12)
        ws.append([])
        header = ["Indikator", "Indikatornamn", "Redovisningsgrupp", "Grupp", "Skattning",
                  "Antal svarande", value_head, "Standardfel", low_head, high_head,
                  "KI-metod", "Nivå", "Anmärkning"]
        ws.append(header)
        for cell in ws[3]:
            cell.font = bold
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        used = set()
        row = 3
        for r in rows.itertuples(index=False):
            symbol = r.symbol
            used.add(symbol)
            scale = 100.0 if r.kind == "share" else 1.0
            fmt_value = "0.0" if r.kind == "share" else "0.00"
            fmt_se = "0.00" if r.kind == "share" else "0.000"

            def num(value, symbol=symbol, scale=scale):
                return _number_cell(value, symbol, scale)

            estimate = "–" if symbol == "–" else num(r.estimate)
            n = symbol if symbol in ("..", ".") else (".." if pd.isna(r.n) else int(r.n))
            kind_sv = _ESTIMATE_TYPES_SV.get(r.estimate_type, r.estimate_type)
            if r.kind == "mean":  # an index is a mean, not a share, of the respondents
                kind_sv = kind_sv.replace("andel av", "medelvärde för")
            ws.append([
                INDICATORS[r.indicator].label, r.indicator,
                _GROUP_VARS_SV.get(r.group_var, str(r.group_var)), str(r.group), kind_sv,
                n, estimate, num(r.se), num(r.ci_low), num(r.ci_high),
                _CI_METHODS_SV.get(r.ci_method, r.ci_method), r.band or "", r.note or "",
            ])
            row += 1
            ws.cell(row, 6).number_format = "#,##0"
            ws.cell(row, 7).number_format = fmt_value
            for col in (8,):
                ws.cell(row, col).number_format = fmt_se
            for col in (9, 10):
                ws.cell(row, col).number_format = fmt_value
            for col in (6, 7, 8, 9, 10):
                if isinstance(ws.cell(row, col).value, str):
                    ws.cell(row, col).alignment = Alignment(horizontal="right")
        ws.append([])
        ws.append([footnote(used | {"..", "."})])
        ws.append(["Andelar och deras gränser i procent, standardfel i procentenheter; "
                   "index på skalan 0–6 (egen beräkning)."])
        for col, width in zip("ABCDEFGHIJKLM", (44, 22, 20, 18, 26, 10, 12, 11, 12, 12, 18, 14,
                                                  60), strict=True):
            ws.column_dimensions[col].width = width
        ws.freeze_panes = "A4"

    if changes is not None and not changes.empty:
        ws = wb.create_sheet("Förändringar")
        ws.append([f"Förändring mellan åren – {title}"])
        ws["A1"].font = Font(bold=True, size=12)
        ws.append([])
        ws.append(["Indikator", "Indikatornamn", "Redovisningsgrupp", "Grupp", "Från år",
                   "Till år", "Värde från", "Värde till", "Skillnad", low_head, high_head,
                   "Statistiskt säkerställd", "Seriebrott",
                   "Anmärkning"])
        for cell in ws[3]:
            cell.font = bold
        row = 3
        for r in changes.itertuples(index=False):
            scale = 100.0 if r.kind == "share" else 1.0

            def cnum(value, symbol=r.symbol, scale=scale):
                return _number_cell(value, symbol, scale)

            sig = r.significant
            ws.append([INDICATORS[r.indicator].label if r.indicator in INDICATORS
                       else r.indicator, r.indicator,
                       _GROUP_VARS_SV.get(r.group_var, str(r.group_var)),
                       str(r.group), int(r.year_from), int(r.year_to),
                       cnum(r.estimate_from), cnum(r.estimate_to), cnum(r.diff),
                       cnum(r.ci_low), cnum(r.ci_high),
                       "." if sig is None or sig is pd.NA else ("Ja" if sig else "Nej"),
                       "Ja" if r.series_break else "Nej", r.note or ""])
            row += 1
            for col in (7, 8, 9, 10, 11):
                ws.cell(row, col).number_format = "0.0" if r.kind == "share" else "0.00"
        ws.append([])
        ws.append([footnote()])
        ws.append(["Skillnader mellan andelar i procentenheter. Seriebrott: ingen slutsats om "
                   "förändring kan dras."])
        ws.freeze_panes = "A4"

    _neutralise_workbook(wb)
    wb.properties.creator = "trygghet"
    wb.properties.description = made_with
    buf = io.BytesIO()
    wb.save(buf)
    y, mo, d, h, mi, sec = APPENDIX_TIMESTAMP
    stamp = f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{sec:02d}Z"
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                              rb"\g<1>" + stamp.encode() + rb"\g<2>", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=APPENDIX_TIMESTAMP)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, data)
    with atomic_path(path) as tmp:
        tmp.write_bytes(out.getvalue())
    return Path(path)


def _number_cell(value: Any, symbol: str, scale: float) -> Any:
    """A number for a table cell (times ``scale``), or the row's symbol, or ``..``."""
    if symbol in ("..", "."):
        return symbol
    if value is None or value is pd.NA or value != value:
        return ".."
    return float(value) * scale


def _neutralise_workbook(wb) -> None:
    """Neutralise every text cell of every sheet, once the workbook is complete.

    One pass over the finished workbook rather than a call at each cell: a
    single missed area name or label would otherwise run in Excel, as openpyxl
    stores a string that begins with "=" as a formula. Numbers are not text and
    keep their sign.
    """
    for ws in wb.worksheets:
        for cells in ws.iter_rows():
            for cell in cells:
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_PREFIXES):
                    cell.value = neutralise(cell.value)


def _sheet_name(text: str) -> str:
    """An Excel sheet name: at most 31 characters, none of ``[]:*?/\\``."""
    for ch in "[]:*?/\\":
        text = text.replace(ch, "-")
    return text[:31]
