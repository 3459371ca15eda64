"""Writing files: atomically, deterministically, and safe to open in Excel.

* **Atomic** — every file is written to a temporary name in the same folder and
  moved into place with :func:`os.replace`, so a crash or Ctrl-C never leaves
  half a file where a whole one was.
* **Deterministic** — same data, same bytes: sorted JSON keys, fixed line
  endings, no timestamps.
* **Formula injection** (OWASP "CSV injection") — a text cell that begins with
  ``=``, ``+``, ``-``, ``@``, tab or carriage return is run as a formula by
  spreadsheet programs. Free text and area names come from the public, so every
  such cell is prefixed with an apostrophe before it is written to CSV or XLSX
  (:func:`neutralise_frame` for a table, :func:`neutralise_workbook` for an
  openpyxl workbook such as :mod:`trygghet.appendix`'s).
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
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        # mkstemp creates 0600; give the file the permissions a plain open() would.
        os.chmod(name, 0o666 & ~_UMASK)
    except OSError as err:
        raise os_error(err, path) from err
    tmp = Path(name)
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


def neutralise_workbook(wb) -> None:
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
