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
        if self.column:
            where.append(f"kolumn '{self.column}'")
        text = (": ".join([", ".join(where), self.message]) if where else self.message)
        if self.hint:
            text += f"\n  Åtgärd: {self.hint}"
        return text
