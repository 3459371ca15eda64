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


def neutralise(value: Any) -> Any:
    """Prefix a text value that a spreadsheet would run as a formula with ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
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
    except OSError as err:
        raise _os_error(err, path) from err
    tmp = Path(tmp)
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as err:
        raise _os_error(err, path) from err
    finally:
        tmp.unlink(missing_ok=True)


def _os_error(err: OSError, path: Path) -> TrygghetError:
    if err.errno == errno.ENOSPC:
        return TrygghetError("disken är full", file=path, hint="frigör utrymme och kör igen")
    if err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return TrygghetError("saknar skrivrättighet", file=path,
                             hint="kontrollera behörigheten till mappen")
    return TrygghetError(f"kunde inte skriva filen ({err.strerror})", file=path)


def write_csv(frame: pd.DataFrame, path: str | Path, **kwargs: Any) -> Path:
    """Write UTF-8 CSV (comma, ``\\n``), formula-neutralised, atomically."""
    with atomic_path(path) as tmp:
        neutralise_frame(frame).to_csv(tmp, index=False, lineterminator="\n", **kwargs)
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
