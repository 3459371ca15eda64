"""SPSS ``.sav`` exports (Qualtrics, LimeSurvey, Nettskjema, Alchemer, Enalyzer).

A ``.sav`` file carries what a CSV export lacks: each variable's *label* (the
question text) beside its short *name* (``Q2``), and *value labels* (1 =
"Mycket trygg", 9 = "Vet ej"). It is read with pyreadstat into the same
:class:`load.RawExport` as any other export:

* the header of a column is its variable label, or its name where it has no
  label; the name is kept as the column's second name (``RawExport.names``), so
  a mapping may use either;
* a value with a value label becomes that label, so cleaning sees the answers
  as a label export gives them and a ``.sav`` needs no code list; a value
  without one stays its code as text (``1950``, ``3``), a date its ISO form;
* values the file declares missing (SPSS "user missing", e.g. 9 = Vet ej when
  so marked) and system-missing values are blank: missing answers.

Rows are the file's cases, numbered from 1 as SPSS's Data View shows them.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import TrygghetError
from .load import RawExport


def _code_text(value: object) -> str:
    """A stored value as an export writes it: ``1.0`` → ``"1"``, missing → ``""``."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    return str(value)


def read_sav(path: Path) -> RawExport:
    """Read a ``.sav`` (or ``.zsav``) export with its variable and value labels."""
    import pyreadstat

    try:
        df, meta = pyreadstat.read_sav(str(path), apply_value_formats=False)
    except Exception as err:  # noqa: BLE001 - pyreadstat raises several private types
        raise TrygghetError(f"SPSS-filen kan inte läsas ({err})", file=path,
                            hint="exportera SPSS-filen (.sav) igen från enkätverktyget, eller "
                                 "exportera som CSV eller .xlsx") from err
    names = [str(n) for n in meta.column_names]
    labels = list(meta.column_labels or [None] * len(names))
    headers = [str(lab).strip() if lab and str(lab).strip() else name
               for name, lab in zip(names, labels, strict=True)]
    value_labels: dict[str, dict[str, str]] = {}
    columns = {}
    for i, name in enumerate(names):
        texts = [_code_text(v) for v in df[name].tolist()]
        given = meta.variable_value_labels.get(name) or {}
        if given:
            lookup = {_code_text(code): str(label) for code, label in given.items()}
            value_labels[headers[i]] = lookup
            texts = [lookup.get(t, t) for t in texts]
        columns[i] = texts
    frame = pd.DataFrame(columns, columns=range(len(names)), dtype=str) if len(df) else \
        pd.DataFrame(columns=range(len(names)), dtype=str)
    rows = np.arange(len(frame), dtype=np.int64) + 1
    info = {"format": "sav", "encoding": meta.file_encoding or "okänd"}
    return RawExport(path, headers, frame, rows, info, names=names, value_labels=value_labels)
