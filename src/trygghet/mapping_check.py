"""Checking a mapping against its export before cleaning: what would go unread or unknown.

``trygghet mapping check --year Y`` answers the questions an analyst has
after writing (or drafting) a mapping, with the export in hand:

* which columns of the export the mapping does not use (named in full, however
  long: a Qualtrics header can be a paragraph, and two can differ only at the end);
* which answers it cannot read — per column, the value, how many gave it and
  the first rows (spreadsheet numbering) where it stands;
* which options of a multi-select question appear in the data but not in the
  questionnaire: pieces of joined answers that name no option, and option
  columns beside the mapped ones ("F3. Mest otrygg: Helger").

Values are read exactly as cleaning reads them (:func:`answers.answer_table`,
:func:`clean.read_area`, the mapping's ``checked``/``unchecked``), so what
this lists is what cleaning would find. Free-text columns are not read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .answers import answer_table
from .clean import read_area, resolve_columns
from .config import Project
from .errors import shown
from .load import RawExport, read_export
from .mapping import Multi, SurveyMapping, load_year_mapping, normalise
from .mapping_match import stems

UNKNOWN = object()  # a value the mapping cannot read
EXAMPLE_ROWS = 3


@dataclass
class Finding:
    """One value of one column: how many rows hold it and the first of them."""

    column: str
    field: str
    value: str
    count: int
    rows: list[int]


@dataclass
class CheckResult:
    """What :func:`check_mapping` found."""

    rows: int
    unmapped: list[str]
    unknown: list[Finding] = field(default_factory=list)
    extra_options: list[Finding] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.unmapped or self.unknown or self.extra_options)


def reading(mapping: SurveyMapping, name: str, value: str) -> object:
    """How ``mapping`` reads one answer ``value`` of the field ``name``.

    ``name`` is a canonical field, or ``question.level`` for one option's
    column of a multi-select question. Returns a level, an area, ``True`` /
    ``False`` (ticked or not), ``None`` (no answer) or :data:`UNKNOWN`.
    """
    if name == "area":
        cat, bad = read_area(pd.Series([value], dtype=object), mapping)
        return UNKNOWN if bad[0] else (None if pd.isna(cat[0]) else cat[0])
    base, _, level = name.partition(".")
    question = mapping.questions[base]
    if level:
        key = normalise(value)
        if key in mapping.checked or key == normalise(level):
            return True
        return False if key in mapping.unchecked else UNKNOWN
    if question.scale is None:
        return UNKNOWN
    return answer_table(question.scale, mapping, base).get(normalise(value), UNKNOWN)


def _values(raw: RawExport, position: int) -> dict[str, np.ndarray]:
    """Distinct values of a column → the spreadsheet rows holding them (in file order).

    Grouped by sorting the values' codes once, so a million rows cost a sort,
    not a Python loop per row.
    """
    codes, uniques = pd.factorize(raw.frame[position], sort=False)
    order = np.argsort(codes, kind="stable")
    ends = np.cumsum(np.bincount(codes, minlength=len(uniques)))
    rows = np.asarray(raw.source_rows)[order]
    return {str(u): rows[end - n:end] for u, end, n in
            zip(uniques, ends, np.bincount(codes, minlength=len(uniques)), strict=True)}


def answers(raw: RawExport, mapping: SurveyMapping) -> list[tuple[str, str, str, np.ndarray]]:
    """Every distinct answer the mapping reads: ``(field, column, value, rows)``.

    A joined multi-select answer counts once per piece (``field`` is the
    question); a column per option counts under ``question.level``. Free text
    and the register fields (id, date, age) are left out.
    """
    cols, _ = resolve_columns(raw, mapping)
    out = []
    for name, spec in mapping.columns.items():
        question = mapping.questions.get(name)
        if question is None or question.kind in ("text", "number"):
            continue
        if isinstance(spec, Multi) and spec.header is None:
            for level, header in (spec.options or {}).items():
                key = f"{name}.{level}"
                out += [(key, header, v, r) for v, r in _values(raw, cols[key]).items()]
            continue
        header = (spec.header or "") if isinstance(spec, Multi) else spec
        for value, rows in _values(raw, cols[name]).items():
            if isinstance(spec, Multi):
                # Split as cleaning splits a joined answer: on the mapping's separator.
                pieces = dict.fromkeys(p.strip() for p in value.split(spec.separator))
                out += [(name, header, p, rows) for p in pieces if p]
            else:
                out.append((name, header, value, rows))
    return out


def check_mapping(raw: RawExport, mapping: SurveyMapping) -> CheckResult:
    """Unmapped columns, unknown answers and unknown multi-select options of ``raw``."""
    _, unmapped = resolve_columns(raw, mapping)
    result = CheckResult(len(raw.frame), unmapped)
    merged: dict[tuple[str, str, str], list[np.ndarray]] = {}
    for name, header, value, rows in answers(raw, mapping):
        if reading(mapping, name, value) is UNKNOWN:
            merged.setdefault((name, header, value), []).append(rows)
    for (name, header, value), parts in merged.items():
        rows = np.unique(np.concatenate(parts))
        finding = Finding(header, name, value, len(rows), [int(r) for r in rows[:EXAMPLE_ROWS]])
        spec = mapping.columns.get(name)
        joined = isinstance(spec, Multi) and spec.header is not None
        (result.extra_options if joined else result.unknown).append(finding)
    result.extra_options += _extra_option_columns(raw, mapping, unmapped)
    return result


def _extra_option_columns(raw: RawExport, mapping: SurveyMapping, unmapped: list[str]
                          ) -> list[Finding]:
    """Unmapped columns that share a stem with a question's mapped option columns."""
    owner = {normalise(h): name for name, spec in mapping.columns.items()
             if isinstance(spec, Multi) and spec.options for h in spec.options.values()}
    free = {normalise(h) for h in unmapped}
    out = []
    for members in stems(raw.headers, set()).values():
        names = {owner[normalise(raw.headers[i])] for i, _ in members
                 if normalise(raw.headers[i]) in owner}
        if len(names) != 1:
            continue
        name = next(iter(names))
        for i, option in members:
            if normalise(raw.headers[i]) in free:
                ticked = raw.frame[i].str.strip() != ""
                rows = [int(r) for r in raw.source_rows[ticked.to_numpy()]]
                out.append(Finding(raw.headers[i], name, option, len(rows), rows[:EXAMPLE_ROWS]))
    return out


def _rows(rows: list[int], count: int) -> str:
    more = " …" if count > len(rows) else ""
    return ", ".join(str(r) for r in rows) + more


def check_lines(result: CheckResult, mapping_file: str, export_file: str) -> list[str]:
    """The check's report as Swedish lines for the terminal."""
    out = [f"Kontroll av {mapping_file} mot {export_file} ({result.rows} rader)"]
    if result.unmapped:
        out.append(f"Kolumner som mappningen inte använder ({len(result.unmapped)}; mappa "
                   "dem under columns eller lägg dem i ignore):")
        out += [f"  - {h}" for h in result.unmapped]
    if result.unknown:
        out.append(f"Okända svar ({len(result.unknown)}; lägg till dem under labels, eller "
                   "null för inget svar):")
        out += [f"  - kolumn '{f.column}' ({f.field}): {shown(f.value)} – {f.count} svar, "
                f"rad {_rows(f.rows, f.count)}" for f in result.unknown]
    if result.extra_options:
        out.append(f"Flervalsalternativ i data som inte finns i frågeformuläret "
                   f"({len(result.extra_options)}):")
        out += [f"  - {f.field}: {shown(f.value)} i kolumn '{f.column}' – {f.count} svar, "
                f"rad {_rows(f.rows, f.count)}" for f in result.extra_options]
    if result.clean:
        out.append("Inga problem: alla kolumner och svar kan läsas.")
    return out


def check_year(project: Project, year: int, *, mapping_path: Path | None = None,
               input_path: Path | None = None,
               echo: Callable[[str], None] = print) -> CheckResult:
    """Check ``year``'s mapping (or ``mapping_path``) against its export (or ``input_path``),
    with the workspace's questionnaire."""
    mapping_path = Path(mapping_path) if mapping_path else project.mapping(year)
    mapping = load_year_mapping(mapping_path, year, project.questionnaire)
    source = Path(input_path).absolute() if input_path else mapping.source_path(project.root)
    raw = read_export(source, mapping)
    result = check_mapping(raw, mapping)
    def shown_path(path: Path) -> str:  # (relative to the project where it lies inside)
        path = path.absolute()
        root = project.root.absolute()
        return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)

    for line in check_lines(result, shown_path(mapping_path), shown_path(source)):
        echo(line)
    return result
