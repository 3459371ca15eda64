"""The report's tables: estimates as display text, and accessible HTML.

* :func:`display_table` turns published estimates into display strings with
  the official symbols (``..`` suppressed, ``.`` missing, ``–`` zero), and
  :func:`footnote` explains the symbols a table uses.
* :func:`indicator_table`, :func:`appendix_table`, :func:`ranked_table` and
  :func:`area_table` are the survey report's tables, built from a
  :class:`~trygghet.report_survey.SurveyReport`. Each frame lists its
  right-aligned (numeric) columns in ``frame.attrs["numeric"]`` and the
  notes under it in ``frame.attrs["notes"]``. Reference values
  (:mod:`trygghet.references`) sit beside the local figures: a section of
  rows *Referensvärden* where the columns are indicators or one indicator's
  figures, a column where the rows are indicators; their sources are notes.
  :func:`response_table` gives the response rate per stratum.
* :func:`table_html` writes a table as HTML a screen reader can navigate
  (caption, ``<th scope>`` header cells, row-group headings, the symbols'
  key); :func:`table` displays it in a notebook, :func:`say` and
  :func:`heading` display the paragraphs around it.

Every heading and label comes from :mod:`trygghet.vocabulary`; only figures
that passed :func:`trygghet.suppress.protect` reach these functions.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from . import fmt, references, vocabulary
from .fmt import MISSING, SUPPRESSED, ZERO
from .theme import STATUSES
from .vocabulary import Translator, label, tr

if TYPE_CHECKING:
    from .report_survey import SurveyReport

BREAKDOWNS = ("total", "sex", "age_group", "area")


# --- Estimates as text ------------------------------------------------------------

def display_table(table: pd.DataFrame,
                  columns: tuple[str, ...] = ("n", "estimate", "ci_low", "ci_high"),
                  language: str = "sv") -> pd.DataFrame:
    """A copy of ``table`` with ``columns`` as display strings and the official symbols.

    Shares (``kind == "share"``) print in per cent with one decimal
    (``12,5 %``), means with two (``1,78``), counts grouped (``1 417``), all
    through :mod:`trygghet.fmt`. A suppressed row shows ``..`` (``.`` when not
    asked) in every one of ``columns``; a zero estimate shows ``–``. Nothing
    suppressed is ever shown as 0.
    """
    out = table.copy()
    kind = out["kind"] if "kind" in out.columns else pd.Series("share", index=out.index)
    symbol = out["symbol"] if "symbol" in out.columns else pd.Series("", index=out.index)
    for col in columns:
        if col not in out.columns:
            continue
        texts = []
        for value, k, sym in zip(out[col], kind, symbol, strict=True):
            if sym in (SUPPRESSED, MISSING):
                texts.append(sym)
            elif col in ("n", "n_from", "n_to"):
                texts.append(fmt.number(value, missing=SUPPRESSED, language=language))
            elif col in ("estimate", "diff") and sym == ZERO:
                texts.append(ZERO)
            elif col == "diff" and k == "share":
                texts.append(fmt.points(value, short=True, missing=SUPPRESSED,
                                        language=language))
            elif k == "share":
                texts.append(fmt.percent(value, missing=SUPPRESSED, language=language))
            else:
                texts.append(fmt.number(value, 2, missing=SUPPRESSED, language=language))
        out[col] = pd.Series(texts, index=out.index, dtype=object).astype(str)
    return out


def footnote(symbols: Any = None, language: str = "sv") -> str:
    """The explanation of the symbols used (all three by default)."""
    used = [s for s in fmt.SYMBOLS if symbols is None or s in set(symbols)]
    return (f"{tr('symbol_key.head', language)}: "
            + "; ".join(f"{s} {fmt.symbol_text(s, language=language)}" for s in used) + ".")


def ci_texts(rows: pd.DataFrame, probability: bool, language: str) -> list[str]:
    """The confidence interval per row as text; the symbol where suppressed; '–' without one.

    An opt-in year (``probability`` false) has no interval at all.
    """
    if not probability:
        return ["–" if s == "" else s for s in rows["symbol"]]
    return [s if s in ("..", ".") else
            fmt.interval(lo, hi, kind=k, language=language) if pd.notna(lo) else "–"
            for s, lo, hi, k in zip(rows["symbol"], rows["ci_low"], rows["ci_high"],
                                    rows["kind"], strict=True)]


def short_label(indicator: str, language: str) -> str:
    """An indicator's name without its family ("Stort problem: nedskräpning" → "nedskräpning")."""
    return label("indicator", indicator, language).split(": ", 1)[-1]


def group_label(group_var: str, group: str, t: Translator) -> str:
    """A row's group as shown: "Totalt" for the total, else the group's label."""
    return t("group.Totalt") if group_var == "total" else t.label("group", group)


def breakdown_label(group_var: str, t: Translator) -> str:
    """The heading of a breakdown ("Kön"); the total has none."""
    return "" if group_var == "total" else t.label("group_var", group_var)


def _headings(t: Translator, level: float) -> dict[str, str]:
    level_text = fmt.level(level, language=t.language)
    return {"group": t("column.group"), "estimate": t("column.estimate"),
            "ci": t("column.ci", level=level_text), "n": t("column.n"),
            "indicator": t("column.indicator")}


def _numeric(frame: pd.DataFrame, columns: Iterable[str],
             notes: Sequence[str] = ()) -> pd.DataFrame:
    frame.attrs["numeric"] = list(columns)
    if notes:
        frame.attrs["notes"] = list(notes)
    return frame


# --- Reference values beside the local figures ---------------------------------------------

def _references(rep: SurveyReport, indicators: Iterable[str]) -> pd.DataFrame:
    """The report's reference values of ``indicators``, by indicator then level."""
    parts = [references.for_indicator(rep.references, i) for i in indicators]
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else \
        pd.DataFrame(columns=list(references.COLUMNS))


def _reference_key(ref) -> tuple[str, str]:
    return ref["level"], ref["label"] if isinstance(ref["label"], str) else ""


def reference_notes(rep: SurveyReport, indicators: Iterable[str]) -> list[str]:
    """The sources (and notes) of the reference values shown for ``indicators``."""
    refs = _references(rep, indicators)
    notes = []
    for _, ref in refs.iterrows():
        extra = f" {ref['note']}" if isinstance(ref["note"], str) and ref["note"] else ""
        text = rep.tr("reference.table_note", label=references.label(ref, rep.language),
                      source=ref["source"], note=extra)
        if text not in notes:
            notes.append(text)
    return notes


def _reference_text(ref, kind: str, probability_style: bool, language: str) -> str:
    """A reference value as an appendix-table cell: "28,0" or "28,0 (27,1–28,9)"."""
    scale, decimals = (100, 1) if kind == "share" else (1, 2)
    text = fmt.number(ref["value"] * scale, decimals, language=language)
    if probability_style and pd.notna(ref["ci_low"]):
        text += (f" ({fmt.number(ref['ci_low'] * scale, decimals, language=language)}–"
                 f"{fmt.number(ref['ci_high'] * scale, decimals, language=language)})")
    return text


# --- The survey report's tables ---------------------------------------------------------

def _ordered(rows: pd.DataFrame, group_vars: Sequence[str]) -> pd.DataFrame:
    order = {g: i for i, g in enumerate(group_vars)}
    return rows.assign(_o=rows["group_var"].map(order)).sort_values("_o", kind="stable")


def indicator_table(rep: SurveyReport, indicator: str,
                    group_vars: Sequence[str] = BREAKDOWNS) -> pd.DataFrame:
    """Display strings for one indicator by group (primary estimates of the report year)."""
    p = rep.primary()
    rows = _ordered(p[(p["indicator"] == indicator) & p["group_var"].isin(list(group_vars))],
                    group_vars)
    t, col = rep.tr, _headings(rep.tr, rep.level)
    shown = display_table(rows, language=rep.language)
    frame = pd.DataFrame({
        col["group"]: [group_label(gv, g, t)
                       for gv, g in zip(rows["group_var"], rows["group"], strict=True)],
        col["estimate"]: shown["estimate"].to_numpy(),
        col["ci"]: ci_texts(rows, rep.probability, rep.language),
        col["n"]: shown["n"].to_numpy(),
        "_section": [breakdown_label(gv, t) for gv in rows["group_var"]],
    })
    refs = _references(rep, [indicator])
    if len(refs):
        kind = rows["kind"].iloc[0] if len(rows) else "share"
        extra = pd.DataFrame({
            col["group"]: [references.label(r, rep.language) for _, r in refs.iterrows()],
            col["estimate"]: [fmt.estimate(v, kind, language=rep.language)
                              for v in refs["value"]],
            col["ci"]: [fmt.interval(lo, hi, kind=kind, language=rep.language)
                        if pd.notna(lo) else "" for lo, hi in zip(refs["ci_low"],
                                                                  refs["ci_high"], strict=True)],
            col["n"]: "",
            "_section": t("reference.section"),
        })
        frame = pd.concat([frame, extra], ignore_index=True)
    return _numeric(frame, [col["estimate"], col["ci"], col["n"]],
                    reference_notes(rep, [indicator]))


def ranked_table(rep: SurveyReport, rows: pd.DataFrame) -> pd.DataFrame:
    """Indicators of one family as a ranked display table (``rows``: :func:`ranked_rows`)."""
    language, col = rep.language, _headings(rep.tr, rep.level)
    shown = display_table(rows, language=language)
    probability = not (~rows["generalisable"]).any() if "generalisable" in rows else True
    frame = pd.DataFrame({
        col["indicator"]: [fmt.upper_first(short_label(i, language)) for i in rows["indicator"]],
        col["estimate"]: shown["estimate"].to_numpy(),
        col["ci"]: ci_texts(rows, probability, language),
        col["n"]: shown["n"].to_numpy(),
    })
    return _numeric(frame, [col["estimate"], col["ci"], col["n"]])


HEADLINE = ("otrygg_kvall", "otrygg_dag", "oro", "avstatt", "utsatt", "problemindex",
            "trygghetsindex")


def area_table(rep: SurveyReport, area: str, indicators: Sequence[str] = HEADLINE
               ) -> pd.DataFrame:
    """One area's headline figures beside the whole municipality's."""
    from .report_survey import area_response

    t = rep.tr
    p = rep.primary()
    area_ci = t("column.area_ci", level=fmt.level(rep.level, language=t.language), area=area)
    rows, shown = [], []
    for ind in indicators:
        here = p[(p["indicator"] == ind) & (p["group_var"] == "area") & (p["group"] == area)]
        whole = p[(p["indicator"] == ind) & (p["group_var"] == "total")]
        if here.empty or whole.empty:
            continue
        shown.append(ind)
        rows.append({
            t("column.indicator"): t.label("indicator", ind),
            area: display_table(here, language=rep.language)["estimate"].iloc[0],
            area_ci: ci_texts(here, rep.probability, rep.language)[0],
            t("column.whole"): display_table(whole, language=rep.language)["estimate"].iloc[0],
        })
    frame = pd.DataFrame(rows)
    # One column per reference (Riket, Polisregionen …), filled where it has a value.
    refs = _references(rep, shown)
    columns = {}
    for _, ref in refs.iterrows():
        head = references.label(ref, rep.language)
        kind = p.loc[p["indicator"] == ref["indicator"], "kind"].iloc[0]
        columns.setdefault(head, {})[ref["indicator"]] = fmt.estimate(
            ref["value"], kind, language=rep.language)
    for head, values in columns.items():
        frame[head] = [values.get(ind, "") for ind in shown]
    notes = reference_notes(rep, shown)
    response = area_response(rep).strip()
    return _numeric(frame, [area, area_ci, t("column.whole"), *columns],
                    [*notes, response] if response else notes)


def appendix_table(rep: SurveyReport, indicators: Sequence[str],
                   group_vars: Sequence[str] = BREAKDOWNS) -> pd.DataFrame:
    """Several indicators by group in one compact table: estimate and interval per cell.

    Shares are in per cent without the sign (the caption says so), means on
    their 0–6 scale; a random-sample year shows ``"29,4 (26,7–32,2)"``, an
    opt-in year the estimate alone. Suppressed cells show the symbol. The Excel
    appendix has every figure with its n.
    """
    t, lang = rep.tr, rep.language
    p = rep.primary()
    p = p[p["indicator"].isin(list(indicators)) & p["group_var"].isin(list(group_vars))]
    keys = _ordered(p[["group_var", "group"]].drop_duplicates(), group_vars)

    def cell(r) -> str:
        if r["symbol"] in ("..", "."):
            return r["symbol"]
        scale = 100 if r["kind"] == "share" else 1
        decimals = 1 if r["kind"] == "share" else 2
        text = r["symbol"] or fmt.number(r["estimate"] * scale, decimals, language=lang)
        if rep.probability and pd.notna(r["ci_low"]):
            text += (f" ({fmt.number(r['ci_low'] * scale, decimals, language=lang)}–"
                     f"{fmt.number(r['ci_high'] * scale, decimals, language=lang)})")
        return text

    cells = {(r["indicator"], r["group_var"], r["group"]): cell(r) for _, r in p.iterrows()}
    pairs = list(zip(keys["group_var"], keys["group"], strict=True))
    # Reference values: one row per level (Riket …) in a section of their own.
    refs = _references(rep, indicators)
    levels = list(dict.fromkeys(_reference_key(r) for _, r in refs.iterrows()))
    named = {_reference_key(r): references.label(r, lang) for _, r in refs.iterrows()}
    kinds = dict(zip(p["indicator"], p["kind"], strict=False))
    ref_cells = {(r["indicator"], _reference_key(r)):
                 _reference_text(r, kinds.get(r["indicator"], "share"), rep.probability, lang)
                 for _, r in refs.iterrows()}
    out = {t("column.group"): [group_label(gv, g, t) for gv, g in pairs]
           + [named[k] for k in levels]}
    for ind in indicators:
        short = f"short.{ind}"
        head = t(short) if short in vocabulary.active() else short_label(ind, lang)
        out[head] = [cells.get((ind, gv, g), ".") for gv, g in pairs] \
            + [ref_cells.get((ind, k), "") for k in levels]
    out["_section"] = [breakdown_label(gv, t) for gv, _ in pairs] \
        + [t("reference.section")] * len(levels)
    frame = pd.DataFrame(out)
    return _numeric(frame, list(frame.columns[1:-1]), reference_notes(rep, indicators))


def response_table(rep: SurveyReport) -> pd.DataFrame | None:
    """Sent, usable answers and response rate per stratum and in total, or None.

    Only for a random sample whose mapping gives ``design.strata.sent``. The
    answers and rates have passed the disclosure gate
    (:attr:`~trygghet.report_survey.SurveyReport.response`); how many were
    sent is the design, not a count of respondents, and is always shown.
    """
    rates = rep.response
    if rates is None:
        return None
    t, lang = rep.tr, rep.language
    sent = pd.DataFrame(rep.weighting["response"])["n"]
    rates = rates.assign(sent=sent.to_numpy())
    rates = pd.concat([rates[rates["group_var"] != "total"], rates[rates["group_var"] == "total"]])
    strata = rates.loc[rates["group_var"] != "total", "group_var"]
    head = t.label("group_var", strata.iloc[0]) if len(strata) else t("column.group")
    frame = pd.DataFrame({
        head: [group_label(gv, g, t)
               for gv, g in zip(rates["group_var"], rates["group"], strict=True)],
        t("response.sent"): [fmt.number(n, language=lang) for n in rates["sent"]],
        t("response.answers"): [sym if sym in (SUPPRESSED, MISSING) else
                                fmt.number(v, language=lang)
                                for v, sym in zip(rates["count"], rates["symbol"], strict=True)],
        t("response.rate"): display_table(rates, ("estimate",), language=lang)["estimate"]
        .to_numpy(),
    })
    return _numeric(frame, list(frame.columns[1:]), [t("response.definition").strip()])


# --- HTML -------------------------------------------------------------------------

def status_badge(value: str, language: str) -> str:
    """A promise status as colour, symbol and word (never colour alone)."""
    spec = STATUSES.get(value)
    if spec is None:
        return html.escape(value)
    return (f'<span class="status" style="background-color:{spec["color"]}">'
            f'{spec["symbol"]} {html.escape(label("status", value, language))}</span>')


def table_html(frame: pd.DataFrame, caption: str, *, language: str = "sv",
               numeric: Sequence[str] | None = None, notes: Sequence[str] = (),
               status: Sequence[str] = ()) -> str:
    """``frame`` as an accessible HTML table with a caption and the symbols' key.

    Columns in ``numeric`` (default ``frame.attrs["numeric"]``) are
    right-aligned. A column ``_section`` starts a new header row (``<th
    scope="rowgroup">``) whenever its value changes. Columns in ``status``
    hold promise statuses, shown as coloured badges with symbol and word. The
    footnote explains the symbols that occur (``..``, ``.``, ``–``), followed by
    ``frame.attrs["notes"]`` (e.g. the sources of reference values) and ``notes``.
    """
    esc = html.escape
    numeric = frame.attrs.get("numeric", ()) if numeric is None else numeric
    cols = [c for c in frame.columns if c != "_section"]
    num = ' class="num"'
    head = "".join(f'<th scope="col"{num if c in numeric else ""}>{esc(str(c))}</th>'
                   for c in cols)
    body, section, symbols = [], None, set()
    for _, r in frame.iterrows():
        if "_section" in frame.columns and r["_section"] != section:
            section = r["_section"]
            if section:  # an empty section (the total) has no heading row
                body.append(f'<tr class="section"><th scope="rowgroup" colspan="{len(cols)}">'
                            f"{esc(str(section))}</th></tr>")
        cells = []
        for i, c in enumerate(cols):
            value = "" if pd.isna(r[c]) else str(r[c])
            symbols |= {s for s in ("..", ".", "–") if value == s}
            cls = num if c in numeric else ""
            tag = ("th", ' scope="row"') if i == 0 else ("td", "")
            content = status_badge(value, language) if c in status else esc(value)
            cells.append(f"<{tag[0]}{tag[1]}{cls}>{content}</{tag[0]}>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    foot = [footnote(sorted(symbols), language)] if symbols else []
    foot += [*frame.attrs.get("notes", ()), *notes]
    foot_html = "".join(f"<p>{esc(t)}</p>" for t in foot)
    # The wrapper keeps caption, table and notes together on a page (a <caption>
    # alone does not: WeasyPrint may leave it behind at a page break).
    return ('<div class="table-block">'
            f'<table class="data"><caption>{esc(caption)}</caption><thead><tr>{head}</tr>'
            f"</thead><tbody>{''.join(body)}</tbody></table>"
            + (f'<div class="table-notes">{foot_html}</div>' if foot_html else "")
            + "</div>")


# --- In the notebook ------------------------------------------------------------------

def table(frame: pd.DataFrame, caption: str, *, language: str = "sv",
          numeric: Sequence[str] | None = None, notes: Sequence[str] = (),
          status: Sequence[str] = ()) -> None:
    """Display :func:`table_html` of ``frame`` in the notebook."""
    from IPython.display import HTML, display

    display(HTML(table_html(frame, caption, language=language, numeric=numeric, notes=notes,
                            status=status)))


def say(text: str) -> None:
    """Display a paragraph (markdown) in the notebook: the report's text."""
    from IPython.display import Markdown, display

    display(Markdown(text))


def heading(text: str, level: int = 2) -> None:
    """Display a section heading (``##`` by default): it becomes the report's contents."""
    say(f"{'#' * level} {text}")
