"""The one error type users see.

Anything that goes wrong because of the user's input (a file, a mapping, a
parameter) is raised as :class:`TrygghetError`. The CLI prints it as one
readable Swedish message and exits with status 2; it never shows a traceback.
"""

from __future__ import annotations

from pathlib import Path


class TrygghetError(Exception):
    """An input problem, described for the person who has to fix it.

    Parameters
    ----------
    message
        What is wrong, in Swedish.
    file, row, column
        Where: the file, its row (spreadsheet numbering, header = 1 unless a
        title row sits above it) and the column header or field name.
    hint
        What to do about it.
    """

    def __init__(self, message: str, *, file: str | Path | None = None, row: int | None = None,
                 column: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.file = None if file is None else str(file)
        self.row = row
        self.column = column
        self.hint = hint

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.row is not None:
            where.append(f"rad {self.row}")
        if self.column:  # (a header can be a whole pasted paragraph: cut it)
            column = self.column if len(self.column) <= 100 else self.column[:100] + "…"
            where.append(f"kolumn '{column}'")
        text = (": ".join([", ".join(where), self.message]) if where else self.message)
        if self.hint:
            text += f"\n  Åtgärd: {self.hint}"
        return text


def shown(value: object) -> str:
    """A value as a message quotes it: ``'text'`` (cut at 60 characters), or its kind.

    For messages about a setting or a cell of the wrong kind: a list or a
    mapping is named, not printed (it can be long, or a YAML bomb).
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return "tomt"
    if isinstance(value, list | tuple | set):
        return "en lista"
    if isinstance(value, dict):
        return "en samling nyckel: värde"
    text = str(value)
    return f"'{text[:60]}…'" if len(text) > 60 else f"'{text}'"
