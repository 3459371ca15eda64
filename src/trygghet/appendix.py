"""The analysts' Excel appendix (``reports/<year>/tabeller_<year>.xlsx``).

Written by the estimation stage from the *published* estimates (through
:func:`trygghet.suppress.protect`): every figure with its n, standard error
and interval, one sheet per indicator theme, and a sheet of changes between
years; with the year's reference values (:mod:`trygghet.references`) a column
per reference beside every figure of its indicator and a sheet listing them
with their sources. Swedish headings (from :mod:`trygghet.vocabulary`); numbers are numbers
(shares in per cent, one decimal shown; means on 0–6 with two); a suppressed
cell holds its symbol and each sheet ends with the symbols' key. Text cells
are formula-neutralised (:func:`trygghet.writers.neutralise_workbook`) and the
file is written atomically with fixed timestamps, so the same tables give the
same bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd

from . import fmt, provenance, references, vocabulary
from .questionnaire import Questionnaire, resolve
from .tables import footnote
from .vocabulary import Translator, translator
from .writers import atomic_path, neutralise_workbook

#: Fixed document and zip timestamps: same tables, same bytes.
APPENDIX_TIMESTAMP = (2000, 1, 1, 0, 0, 0)
LANGUAGE = "sv"


def _number_cell(value: Any, symbol: str, scale: float) -> Any:
    """A number for a table cell (times ``scale``), or the row's symbol, or ``..``."""
    if symbol in ("..", "."):
        return symbol
    if value is None or value is pd.NA or value != value:
        return ".."
    return float(value) * scale


def sheet_name(text: str) -> str:
    """An Excel sheet name: at most 31 characters, none of ``[]:*?/\\``."""
    for ch in "[]:*?/\\":
        text = text.replace(ch, "-")
    return text[:31]


def _breakdown(group_var: str, t: Translator) -> str:
    return t("group.Totalt") if group_var == "total" else t.label("group_var", group_var)


def _estimate_type(estimate_type: str, kind: str, t: Translator) -> str:
    # An index is a mean, not a share, of the respondents: its own words where they differ.
    mean = f"estimate_type.{estimate_type}_mean"
    if kind == "mean" and mean in vocabulary.active():
        return t(mean)
    return t.label("estimate_type", estimate_type)


def _reference_columns(refs: pd.DataFrame | None, names: list[str], t: Translator
                       ) -> dict[str, dict[str, float]]:
    """``{heading: {indicator: value}}``: one column per reference (level and label)."""
    out: dict[str, dict[str, float]] = {}
    for name in names:
        for _, ref in references.for_indicator(refs, name).iterrows():
            head = t("reference.appendix_column", label=references.label(ref, LANGUAGE))
            out.setdefault(head, {})[name] = float(ref["value"])
    return out


def _indicator_sheets(wb, estimates: pd.DataFrame, title: str, t: Translator,
                      low_head: str, high_head: str, refs: pd.DataFrame | None,
                      questionnaire: Questionnaire) -> None:
    from openpyxl.styles import Alignment, Font

    # Every indicator of the questionnaire, hidden ones too: one sheet per theme.
    for theme, names in questionnaire.themes().items():
        rows = estimates[estimates["indicator"].isin(names)]
        if rows.empty:
            continue
        rows = rows.assign(_i=rows["indicator"].map({n: i for i, n in enumerate(names)}))
        rows = rows.sort_values("_i", kind="stable")
        ws = wb.create_sheet(sheet_name(theme))
        kinds = set(rows["kind"])
        value_head = t("appendix.value_share" if kinds == {"share"} else "appendix.value_mean"
                       if kinds == {"mean"} else "appendix.value_mixed")
        ws.append([t("appendix.sheet_title", theme=theme, title=title)])
        ws["A1"].font = Font(bold=True, size=12)
        ws.append([])
        ref_columns = _reference_columns(refs, names, t)
        ws.append([t("column.indicator"), t("appendix.indicator_name"), t("appendix.breakdown"),
                   t("column.group"), t("appendix.estimate_type"), t("appendix.respondents"),
                   value_head, t("appendix.se"), low_head, high_head, t("appendix.ci_method"),
                   t("appendix.band"), t("appendix.note"), *ref_columns])
        for cell in ws[3]:
            cell.font = Font(bold=True)
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
            ws.append([
                t.label("indicator", r.indicator), r.indicator, _breakdown(r.group_var, t),
                str(r.group), _estimate_type(r.estimate_type, r.kind, t),
                n, estimate, num(r.se), num(r.ci_low), num(r.ci_high),
                t.label("ci_method", r.ci_method), r.band or "", r.note or "",
                *[values[r.indicator] * scale if r.indicator in values else None
                  for values in ref_columns.values()],
            ])
            row += 1
            for col in range(14, 14 + len(ref_columns)):
                ws.cell(row, col).number_format = fmt_value
            ws.cell(row, 6).number_format = "#,##0"
            ws.cell(row, 7).number_format = fmt_value
            ws.cell(row, 8).number_format = fmt_se
            for col in (9, 10):
                ws.cell(row, col).number_format = fmt_value
            for col in (6, 7, 8, 9, 10):
                if isinstance(ws.cell(row, col).value, str):
                    ws.cell(row, col).alignment = Alignment(horizontal="right")
        ws.append([])
        ws.append([footnote(used | {"..", "."}, LANGUAGE)])
        ws.append([t("appendix.units")])
        for letter, width in zip("ABCDEFGHIJKLM", (44, 22, 20, 18, 26, 10, 12, 11, 12, 12, 18,
                                                     14, 60), strict=True):
            ws.column_dimensions[letter].width = width
        for letter in "NOPQR"[:len(ref_columns)]:
            ws.column_dimensions[letter].width = 16
        ws.freeze_panes = "A4"


def _references_sheet(wb, refs: pd.DataFrame, title: str, t: Translator,
                      questionnaire: Questionnaire) -> None:
    """Every reference value of the year with its level, interval, source and note."""
    from openpyxl.styles import Alignment, Font

    ws = wb.create_sheet(sheet_name(t("reference.section")))
    ws.append([t("reference.appendix_title", title=title)])
    ws["A1"].font = Font(bold=True, size=12)
    ws.append([])
    ws.append([t("column.indicator"), t("appendix.indicator_name"), t("reference.appendix_level"),
               t("appendix.value_mixed"), t("reference.appendix_low"), t("reference.appendix_high"),
               t("reference.appendix_source"),
               t("appendix.note")])
    for cell in ws[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row, (_, ref) in enumerate(refs.iterrows(), start=4):
        share = questionnaire.indicators[ref["indicator"]].kind == "share"
        scale = 100.0 if share else 1.0
        ws.append([t.label("indicator", ref["indicator"]), ref["indicator"],
                   references.label(ref, LANGUAGE), ref["value"] * scale,
                   *[None if pd.isna(ref[c]) else ref[c] * scale for c in ("ci_low", "ci_high")],
                   ref["source"], ref["note"] if isinstance(ref["note"], str) else ""])
        for col in (4, 5, 6):
            ws.cell(row, col).number_format = "0.0" if share else "0.00"
    ws.append([])
    ws.append([t("reference.appendix_units")])
    for letter, width in zip("ABCDEFGH", (44, 22, 18, 12, 12, 12, 60, 60), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A4"


def _changes_sheet(wb, changes: pd.DataFrame, title: str, t: Translator,
                   low_head: str, high_head: str) -> None:
    from openpyxl.styles import Font

    ws = wb.create_sheet(t("appendix.changes"))
    ws.append([t("appendix.changes_title", title=title)])
    ws["A1"].font = Font(bold=True, size=12)
    ws.append([])
    ws.append([t("column.indicator"), t("appendix.indicator_name"), t("appendix.breakdown"),
               t("column.group"), t("appendix.year_from"), t("appendix.year_to"),
               t("appendix.value_from"), t("appendix.value_to"), t("appendix.diff"), low_head,
               high_head, t("appendix.significant"), t("chart.series_break"),
               t("appendix.note")])
    for cell in ws[3]:
        cell.font = Font(bold=True)
    yes, no = fmt.upper_first(t("column.yes")), fmt.upper_first(t("column.no"))
    row = 3
    for r in changes.itertuples(index=False):
        scale = 100.0 if r.kind == "share" else 1.0

        def cnum(value, symbol=r.symbol, scale=scale):
            return _number_cell(value, symbol, scale)

        sig = r.significant
        ws.append([t.label("indicator", r.indicator), r.indicator, _breakdown(r.group_var, t),
                   str(r.group), int(r.year_from), int(r.year_to),
                   cnum(r.estimate_from), cnum(r.estimate_to), cnum(r.diff),
                   cnum(r.ci_low), cnum(r.ci_high),
                   "." if sig is None or sig is pd.NA else (yes if sig else no),
                   yes if r.series_break else no, r.note or ""])
        row += 1
        for col in (7, 8, 9, 10, 11):
            ws.cell(row, col).number_format = "0.0" if r.kind == "share" else "0.00"
    ws.append([])
    ws.append([footnote(None, LANGUAGE)])
    ws.append([t("appendix.changes_units", series_break=t("chart.series_break"))])
    ws.freeze_panes = "A4"


def write_appendix(estimates: pd.DataFrame, path: str | Path, *, title: str,
                   notes: list[str] | tuple[str, ...] = (),
                   changes: pd.DataFrame | None = None, level: float = 0.95,
                   reference_values: pd.DataFrame | None = None,
                   questionnaire: Questionnaire | None = None) -> Path:
    """Write the Excel appendix: an about sheet, one sheet per indicator theme, changes.

    ``estimates`` (and ``changes``) are the *published* tables;
    ``notes`` are the about sheet's lines (design, weighting, rules) and
    ``level`` the confidence level of the intervals, which the headings state.
    ``reference_values`` (:func:`trygghet.references.read_references`) add a
    column per reference to the indicator sheets and a sheet of their own.
    The sheets, their order and the indicators' names follow ``questionnaire``
    (default: the bundled one).
    """
    questionnaire = resolve(questionnaire)
    with vocabulary.using(questionnaire.vocabulary):
        return _write(estimates, Path(path), title=title, notes=notes, changes=changes,
                      level=level, reference_values=reference_values,
                      questionnaire=questionnaire)


def _write(estimates: pd.DataFrame, path: Path, *, title: str, notes, changes, level: float,
           reference_values: pd.DataFrame | None, questionnaire: Questionnaire) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    t = translator(LANGUAGE)
    pct = fmt.level(level, language=LANGUAGE)
    low_head, high_head = t("appendix.low", level=pct), t("appendix.high", level=pct)
    wb = Workbook()
    about = wb.active
    about.title = t("appendix.about")
    about.append([title])
    about["A1"].font = Font(bold=True, size=14)
    about.append([])
    for line in notes:
        about.append([line])
    about.append([])
    about.append([footnote(None, LANGUAGE)])
    made_with = provenance.summary()
    about.append([])
    about.append([t("appendix.made_with", provenance=made_with)])  # code and library versions
    about.column_dimensions["A"].width = 110
    _indicator_sheets(wb, estimates, title, t, low_head, high_head, reference_values,
                      questionnaire)
    if changes is not None and not changes.empty:
        _changes_sheet(wb, changes, title, t, low_head, high_head)
    if reference_values is not None and len(reference_values):
        _references_sheet(wb, reference_values, title, t, questionnaire)

    neutralise_workbook(wb)
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
