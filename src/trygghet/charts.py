"""The report's charts: one function per chart type.

Every function takes data that has already passed the disclosure gate and an
optional ``ax``, draws on it (or on a new figure the width of the PDF's text
column) and returns the Axes. The conventions, so that readers can trust what
they see:

* Swedish labels and numbers (``12 %``, ``1,78``) via :mod:`trygghet.fmt`;
  ``language="en"`` gives English. Every word is in :mod:`trygghet.vocabulary`.
* Confidence intervals are drawn as error bars wherever the estimates table
  has them for a probability sample, and the note states their level (the
  table's ``ci_level`` column, else 95 %); model-based adjustments are called
  *indikativa intervall*; an opt-in year gets no interval and the note that
  its shares are *andel av de svarande* and cannot be generalised.
* A suppressed group keeps its place in the chart with the table symbol and
  words (``.. redovisas inte``) and a footnote; it is never drawn as zero nor
  silently left out.
* Bands and statuses carry a text label as well as a colour
  (:mod:`trygghet.theme` has the colours).
* Each chart records a one-sentence alt text computed from the data; read it
  with :func:`alt_text`. :func:`show` displays a chart in a notebook as SVG with
  that alt text in the output's metadata, which the report template puts in
  the ``<img alt="…">`` of the HTML (see :mod:`trygghet.render`).

The estimates table has one row per year × indicator × group, with the
columns ``year, indicator, kind, group_var, group, n, estimate, se, ci_low,
ci_high, ci_method, estimate_type, generalisable, suppressed,
suppression_reason, symbol`` (and, from :mod:`trygghet.report_survey`, ``ci_level``).
"""

from __future__ import annotations

import base64
import io
import math
import re
import textwrap
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import Bbox

from . import fmt, theme
from .errors import TrygghetError
from .indicators import PRIORITY_INDICATORS, TIME_INDICATORS, index_config
from .vocabulary import check_language, tr
from .vocabulary import label as _word

# --- Words ---------------------------------------------------------------------
# Every word is in vocabulary.yml; these helpers pick the chart's ones.

#: The confidence level a chart's note states when the estimates table has no
#: ``ci_level`` column (the estimation stage's default).
DEFAULT_LEVEL = 0.95

_COLUMNS = ("year", "indicator", "kind", "group_var", "group", "estimate", "ci_low", "ci_high",
            "suppressed", "symbol")


def _t(key: str, language: str, **fields) -> str:
    return tr(f"chart.{key}", language, **fields)


def _indicator_label(indicator: str, language: str) -> str:
    return _word("indicator", indicator, language)


def _group_label(group_var: str, group: str, language: str) -> str:
    if group_var == "total":
        return tr("group.Totalt", language)
    if group_var == "age_group":
        return _t("age", language, group=group)
    return _word("group", group, language)


def _level(rows: pd.DataFrame) -> float:
    """The confidence level of the intervals in ``rows`` (column ``ci_level``)."""
    if "ci_level" in rows.columns:
        levels = rows["ci_level"].dropna().unique()
        if len(levels) == 1:
            return float(levels[0])
        if len(levels) > 1:
            raise ValueError(f"the estimates mix confidence levels {sorted(levels)}")
    return DEFAULT_LEVEL


# --- Alt text --------------------------------------------------------------------------

_ALT: weakref.WeakKeyDictionary[Axes, str] = weakref.WeakKeyDictionary()


def set_alt_text(ax: Axes, text: str) -> Axes:
    """Record the alt text of a chart drawn by hand (the chart functions do it themselves)."""
    # Collapse line breaks but keep no-break spaces ("12\u00a0%").
    _ALT[ax] = re.sub(r"[ \t\r\n]+", " ", str(text)).strip()
    return ax


def alt_text(obj: Axes | Figure) -> str:
    """The alt text of a chart: of one Axes, or of all charted Axes of a Figure in order."""
    if isinstance(obj, Figure):
        return " ".join(_ALT[a] for a in obj.axes if a in _ALT)
    return _ALT.get(obj, "")


# --- Data ----------------------------------------------------------------------------------

def _check(estimates: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in _COLUMNS if c not in estimates.columns]
    if missing:
        raise ValueError(f"the estimates table lacks the columns {missing}")
    return estimates


def _latest_year(rows: pd.DataFrame, year: int | None, what: str) -> int:
    if year is not None:
        return int(year)
    if rows.empty:
        raise TrygghetError(f"inga skattningar att visa för {what}")
    return int(rows["year"].max())


def _primary(rows: pd.DataFrame, estimate_type: str | None) -> pd.DataFrame:
    """One estimate per cell: the year's primary type, or the one asked for.

    An opt-in year has two rows per cell: the share of respondents
    (``unweighted``, the primary figure) and a model-based ``adjusted`` one. A
    probability year has ``weighted``. Charts show the primary figure unless
    ``estimate_type`` asks for another.
    """
    if "estimate_type" not in rows.columns or rows.empty:
        return rows
    if estimate_type is not None:
        return rows[rows["estimate_type"] == estimate_type]
    rank = rows["estimate_type"].map({"weighted": 0, "unweighted": 1, "adjusted": 2}).fillna(3)
    best = rank.groupby(rows["year"]).transform("min")
    return rows[rank == best]


def _select(estimates: pd.DataFrame, indicators: Iterable[str], year: int | None,
            group_vars: Iterable[str],
            estimate_type: str | None = None) -> tuple[pd.DataFrame, int]:
    est = _check(estimates)
    indicators, group_vars = list(indicators), list(group_vars)
    rows = est[est["indicator"].isin(indicators) & est["group_var"].isin(group_vars)]
    year = _latest_year(rows, year, ", ".join(indicators))
    rows = _primary(rows[rows["year"] == year], estimate_type)
    if rows.empty:
        raise TrygghetError(f"inga skattningar för {', '.join(indicators)} år {year}",
                            hint="kör skattningen för året först")
    return rows.reset_index(drop=True), year


def _float(value) -> float:
    return float("nan") if fmt.is_missing(value) else float(value)


def _symbol(row) -> str:
    """The table symbol of a row; a suppressed row without one still gets ``..``."""
    symbol = row.get("symbol", "")
    symbol = "" if fmt.is_missing(symbol) else str(symbol)
    if not symbol and bool(row.get("suppressed", False)):
        return fmt.SUPPRESSED
    if not symbol and fmt.is_missing(row.get("estimate")):
        return fmt.MISSING
    return symbol


def _not_generalisable(rows: pd.DataFrame) -> bool:
    if "generalisable" not in rows.columns:
        return False
    shown = rows[rows.apply(_symbol, axis=1) == ""]
    return bool((~shown["generalisable"].astype(bool)).any())


@dataclass
class _Bar:
    label: str
    value: float
    low: float
    high: float
    symbol: str
    color: str
    extra: str = ""            # text after the value, e.g. the band label
    generalisable: bool = True
    adjusted: bool = False
    group_var: str = ""
    group: str = ""
    time: str = ""             # by_time_of_day: the answer option (Kväll, Natt, …)


def _bar_from_row(row, label: str, color: str) -> _Bar:
    symbol = _symbol(row)
    where = {"group_var": str(row.get("group_var", "")), "group": str(row.get("group", ""))}
    generalisable = bool(row.get("generalisable", True))
    adjusted = row.get("estimate_type", "") == "adjusted"
    if symbol in (fmt.SUPPRESSED, fmt.MISSING):
        return _Bar(label, math.nan, math.nan, math.nan, symbol, color, **where)
    value = 0.0 if symbol == fmt.ZERO else _float(row["estimate"])
    low, high = _float(row["ci_low"]), _float(row["ci_high"])
    if not generalisable and not adjusted:
        # An opt-in sample has no sampling error to show: no interval at all.
        low = high = math.nan
    return _Bar(label, value, low, high, symbol, color, generalisable=generalisable,
                adjusted=adjusted, **where)


def _n_label(label: str, row, language: str) -> str:
    n = row.get("n")
    if fmt.is_missing(n):
        return label
    return _t("n_label", language, label=label, n=fmt.number(n, language=language))


# --- Drawing helpers ---------------------------------------------------------------------

def _new_axes(ax: Axes | None, height: float) -> Axes:
    """``ax``, or the Axes of a new Figure as wide as the PDF's text column.

    A plain :class:`~matplotlib.figure.Figure` rather than pyplot: the chart is
    not registered with pyplot, so Jupyter's inline backend does not print it a
    second time (as PNG, without alt text) at the end of the cell.
    """
    if ax is not None:
        return ax
    fig = Figure(figsize=(theme.TEXT_WIDTH, height))
    return fig.add_subplot()


def _value_text(value: float, kind: str, language: str) -> str:
    if kind == "share":
        return fmt.percent(value, 0, language=language)
    return fmt.index(value, language=language)


def _symbol_text(symbol: str, language: str) -> str:
    return f"{symbol}\u2002{fmt.symbol_word(symbol, language=language)}"


def _halo(width: float = 2.2) -> list:
    # A white outline keeps a dark line visible where it crosses a coloured bar.
    return [patheffects.withStroke(linewidth=width, foreground=theme.BACKGROUND)]


# A white box behind a label that may cross a line. Not a path effect: that
# would turn the text into glyph outlines, several times the SVG and far slower
# for WeasyPrint to draw.
_KNOCKOUT = {"boxstyle": "square,pad=0.1", "facecolor": theme.BACKGROUND, "edgecolor": "none"}


def _value_axis(ax: Axes, kind: str, top: float, language: str, axis: str = "x") -> None:
    if kind == "share":
        upper = min(1.0, top)
        ticks = [t for t in MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]).tick_values(0, upper)
                 if -1e-9 <= t <= upper + 1e-9]
        formatter = fmt.percent_formatter(0, language=language)
    else:
        ticks = list(range(0, 7))
        formatter = fmt.number_formatter(0, language=language)
    if axis == "x":
        ax.set_xticks(ticks)
        ax.xaxis.set_major_formatter(formatter)
    else:
        ax.set_yticks(ticks)
        ax.yaxis.set_major_formatter(formatter)


def _hbars(ax: Axes, bars: Sequence[_Bar], positions: Sequence[float], kind: str,
           language: str, xmax: float | None = None, height: float = 0.68) -> None:
    """Horizontal bars with CIs, value labels and suppressed rows, top to bottom."""
    shown = [b for b in bars if not math.isnan(b.value)]
    top = max([max(b.value, b.high if not math.isnan(b.high) else b.value) for b in shown],
              default=0.0)
    if xmax is None:
        xmax = max(top * 1.22, 0.1 if kind == "share" else 1.0)
    pad = xmax * 0.012
    for bar, y in zip(bars, positions, strict=True):
        if math.isnan(bar.value):
            ax.text(pad, y, _symbol_text(bar.symbol, language), va="center", ha="left",
                    color=theme.MUTED, fontsize=8)
            continue
        ax.barh(y, bar.value, height=height, color=bar.color, zorder=2)
        end = bar.value
        if not (math.isnan(bar.low) or math.isnan(bar.high)):
            eb = ax.errorbar(bar.value, y, xerr=_error(bar),
                             fmt="none", ecolor=theme.TEXT, elinewidth=1.0, capsize=2.5,
                             capthick=1.0, zorder=3)
            for artist in (*eb.lines[1], *eb.lines[2]):
                artist.set_path_effects(_halo())
            end = max(end, bar.high)
        label = fmt.ZERO if bar.symbol == fmt.ZERO else _value_text(bar.value, kind, language)
        if bar.extra:
            label += f"\u2002{bar.extra}"
        ax.text(end + pad * 1.5, y, label, va="center", ha="left", color=theme.TEXT,
                fontsize=8, bbox=_KNOCKOUT, zorder=5)
    ax.set_yticks(list(positions), [b.label for b in bars])
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(max(positions) + 0.7, min(positions) - 0.7)  # first bar on top
    ax.set_xlim(0, xmax)
    ax.grid(axis="y", visible=False)
    ax.spines["bottom"].set_visible(False)
    ax.tick_params(axis="x", length=0)
    _value_axis(ax, kind, xmax, language)


def _error(bar: _Bar) -> list[list[float]]:
    """The error bar's lengths below and above the value, never negative.

    At a share of exactly 0 or 1 the estimate can lie a rounding error
    (1e-16) outside its own interval; matplotlib refuses a negative length.
    """
    return [[max(bar.value - bar.low, 0.0)], [max(bar.high - bar.value, 0.0)]]


def _notes(bars: Iterable[_Bar], language: str, extra: Iterable[str] = (),
           level: float = DEFAULT_LEVEL) -> list[str]:
    """Footnotes for what the bars show: intervals and their level, opt-in shares, symbols."""
    bars = list(bars)
    notes = list(extra)
    shown = [b for b in bars if not math.isnan(b.value)]
    with_ci = [b for b in shown if not (math.isnan(b.low) or math.isnan(b.high))]
    if any(not b.adjusted for b in with_ci):
        notes.append(_t("ci", language, level=fmt.level(level, language=language)))
    if any(b.adjusted for b in with_ci):
        notes.append(_t("ci_adjusted", language))
    if any(not b.generalisable for b in shown):
        notes.append(_t("opt_in", language))
    symbols = {b.symbol for b in bars}
    notes += [_t("symbol_note", language, symbol=s,
                 text=fmt.symbol_text(s, language=language))
              for s in fmt.SYMBOLS if s in symbols]
    return notes


def _footnote(ax: Axes, notes: Sequence[str]) -> None:
    """Notes under the chart, left-aligned with the figure, inside the layout."""
    if not notes:
        return
    text = "\n".join(textwrap.fill(n, 110) for n in notes)

    def corner(renderer) -> Bbox:
        # Left of the y tick labels, below the x tick labels and axis label:
        # wherever those end up, also with several charts in one figure.
        frame = ax.get_window_extent(renderer)
        left = ax.yaxis.get_tightbbox(renderer) or frame
        below = ax.xaxis.get_tightbbox(renderer) or frame
        return Bbox.from_extents(left.x0, below.y0, left.x0 + 1, below.y0 + 1)

    ax.annotate(text, xy=(0, 0), xycoords=corner, xytext=(0, -8),
                textcoords="offset points", va="top", ha="left", fontsize=7.5,
                color=theme.MUTED, annotation_clip=False, linespacing=1.4)


def _title(ax: Axes, title: str | None, default: str, pad: float | None = None) -> None:
    text = default if title is None else title
    if text:
        ax.set_title(textwrap.fill(text, 80), pad=pad)


def _axis_label(rows: pd.DataFrame, kind: str, language: str) -> str:
    if kind != "share":
        return _t("index_axis", language)
    return _t("share_resp" if _not_generalisable(rows) else "share", language)


def _row(rows: pd.DataFrame, **where) -> pd.Series | None:
    mask = np.ones(len(rows), dtype=bool)
    for col, value in where.items():
        mask &= (rows[col] == value).to_numpy()
    hit = rows[mask]
    return None if hit.empty else hit.iloc[0]


# --- Alt-text sentences --------------------------------------------------------------------
# One sentence per chart, computed from what the chart shows: the reader of the
# HTML who cannot see the chart gets the same message, including what is withheld.

def _subject(indicator: str, year: int, language: str) -> str:
    """'Känner sig otrygg ute ensam sent en kväll, 2020': works for every indicator label."""
    return tr("alt.subject", language, indicator=_indicator_label(indicator, language),
              year=fmt.year(year))


_N_SUFFIX = re.compile(r" \(n\u00a0=\u00a0[^)]*\)$")


def _plain(label: str) -> str:
    """A bar label without its " (n = 123)": the sentence gives the value instead."""
    return _N_SUFFIX.sub("", label)


def _value_phrase(bar: _Bar, kind: str, language: str) -> str:
    return f"{_plain(bar.label)} ({_value_text(bar.value, kind, language)})"


def _not_shown(language: str) -> str:
    return _t("not_shown", language, word=fmt.symbol_word(fmt.SUPPRESSED, language=language))


def _hidden_clause(bars: Sequence[_Bar], language: str) -> str:
    hidden = [_plain(b.label) for b in bars if math.isnan(b.value)]
    if not hidden:
        return ""
    return f"; {fmt.join(hidden, language=language)} {_not_shown(language)}"


def _extremes_sentence(subject: str, bars: Sequence[_Bar], kind: str, language: str) -> str:
    """'<subject>: högst i A (31 %) och lägst i B (8 %) av 12 områden; C redovisas inte …'."""
    shown = [b for b in bars if not math.isnan(b.value)]
    plural = _t("areas", language)
    if shown:
        hi = max(shown, key=lambda b: b.value)
        lo = min(shown, key=lambda b: b.value)
        text = tr("alt.extremes", language, subject=subject, plural=plural, count=len(shown),
                  high=_value_phrase(hi, kind, language), low=_value_phrase(lo, kind, language))
    else:
        text = tr("alt.none_shown", language, subject=subject, plural=plural)
    return text + _hidden_clause(bars, language) + "."


def _groups_sentence(subject: str, bars: Sequence[_Bar], kind: str, language: str) -> str:
    """Alt text of :func:`by_group`: total, women and men, highest and lowest age group."""
    shown = {(b.group_var, b.group): b for b in bars if not math.isnan(b.value)}

    def value(b: _Bar) -> str:
        return _value_text(b.value, kind, language)

    parts = []
    total = next((b for (gv, _), b in shown.items() if gv == "total"), None)
    if total is not None:
        parts.append(tr("alt.total", language, value=value(total)))
    women, men = shown.get(("sex", "Kvinna")), shown.get(("sex", "Man"))
    if women and men:
        parts.append(tr("alt.sexes", language, women=value(women), men=value(men)))
    ages = [b for (gv, _), b in shown.items() if gv == "age_group"]
    if len(ages) >= 2:
        hi = max(ages, key=lambda b: b.value)
        lo = min(ages, key=lambda b: b.value)
        parts.append(tr("alt.ages", language, high=_group_label("age_group", hi.group, language),
                        high_value=value(hi), low=_group_label("age_group", lo.group, language),
                        low_value=value(lo)))
    if not parts:
        parts.append(tr("alt.no_groups", language))
    return f"{subject}: " + "; ".join(parts) + _hidden_clause(bars, language) + "."


def _time_sentence(bars: Sequence[_Bar], by: str, year: int, language: str) -> str:
    groups = ["Totalt"] if by == "total" else ["Kvinna", "Man"]
    parts = []
    for group in groups:
        mine = [b for b in bars if not math.isnan(b.value)
                and (by == "total" or b.group == group)]
        if not mine:
            continue
        ranked = sorted(mine, key=lambda b: -b.value)

        def phrase(b: _Bar) -> str:
            return (f"{tr(f'time_phrase.{b.time}', language)} "
                    f"({_value_text(b.value, 'share', language)})")

        top = fmt.join([phrase(b) for b in ranked[:2]], language=language)
        who = "" if by == "total" else _group_label("sex", group, language).lower() + " "
        text = tr("alt.times_top", language, who=who, top=top)
        if len(ranked) > 2:
            text += tr("alt.times_least", language, phrase=phrase(ranked[-1]))
        parts.append(text)
    if not parts:
        return tr("alt.times_none", language, year=fmt.year(year))
    return (tr("alt.times_head", language, year=fmt.year(year)) + "; ".join(parts)
            + _hidden_clause(bars, language) + ".")


# --- Charts ------------------------------------------------------------------------------

_AGE_ORDER = ("16–24", "25–44", "45–64", "65–79", "80+")


def _sorted_areas(rows: pd.DataFrame) -> pd.DataFrame:
    """Areas by estimate, highest first; suppressed and missing last, alphabetically."""
    areas = rows[rows["group_var"] == "area"].copy()
    areas["_hidden"] = areas.apply(_symbol, axis=1).isin([fmt.SUPPRESSED, fmt.MISSING])
    areas["_sort"] = np.where(areas["_hidden"], -np.inf,
                              pd.to_numeric(areas["estimate"], errors="coerce"))
    return areas.sort_values(["_hidden", "_sort", "group"], ascending=[True, False, True])


def by_group(estimates: pd.DataFrame, indicator: str = "otrygg_kvall", year: int | None = None,
             *, group_vars: Sequence[str] = ("total", "sex", "age_group"), ax: Axes | None = None,
             title: str | None = None, show_n: bool | None = None,
             estimate_type: str | None = None, language: str = "sv") -> Axes:
    """An indicator for the whole population, by sex and by age group.

    Parameters
    ----------
    estimates
        The estimates table (after the disclosure gate).
    indicator, year
        What to show; ``year=None`` takes the latest year in the table.
    group_vars
        The breakdowns, drawn in this order with a gap between them.
    ax
        Axes to draw on; a new figure if None.
    title
        Chart title; default the indicator's label and the year, ``""`` for none.
    show_n
        Put ``n`` beside each label; default: only for an opt-in year, where the
        number of respondents is the context the reader needs.
    estimate_type
        Which estimate to show where the table has several per cell; default
        the year's primary one (``weighted``, or for an opt-in year the
        ``unweighted`` share of respondents). ``"adjusted"`` shows the
        model-based adjustment, with its indicative interval.
    language
        ``"sv"`` or ``"en"``.

    Returns
    -------
    The Axes; :func:`alt_text` gives its alt text.
    """
    language = check_language(language)
    rows, year = _select(estimates, [indicator], year, group_vars, estimate_type)
    kind = rows["kind"].iloc[0]
    if show_n is None:
        show_n = _not_generalisable(rows)
    colors = {"total": theme.GROUP_COLORS["Totalt"], "age_group": theme.AGE_COLOR}
    bars, positions, y = [], [], 0.0
    for group_var in group_vars:
        part = rows[rows["group_var"] == group_var]
        if part.empty:
            continue
        if group_var == "age_group":
            order = {g: i for i, g in enumerate(_AGE_ORDER)}
            part = part.sort_values("group", key=lambda s: s.map(order).fillna(99))
        elif group_var == "sex":
            part = part.sort_values("group", key=lambda s: s.map({"Kvinna": 0, "Man": 1}))
        for _, row in part.iterrows():
            label = _group_label(group_var, row["group"], language)
            if show_n:
                label = _n_label(label, row, language)
            color = theme.GROUP_COLORS.get(row["group"],
                                           colors.get(group_var, theme.SERIES_COLOR))
            bars.append(_bar_from_row(row, label, color))
            positions.append(y)
            y += 1.0
        y += 0.6  # a gap between breakdowns
    ax = _new_axes(ax, 1.1 + 0.3 * len(bars))
    _hbars(ax, bars, positions, kind, language)
    ax.set_xlabel(_axis_label(rows, kind, language))
    _title(ax, title, f"{_indicator_label(indicator, language)}, {fmt.year(year)}")
    _footnote(ax, _notes(bars, language, level=_level(rows)))
    set_alt_text(ax, _groups_sentence(_subject(indicator, year, language), bars, kind,
                                      language))
    return ax


def by_area(estimates: pd.DataFrame, indicator: str = "otrygg_kvall", year: int | None = None,
            *, ax: Axes | None = None, title: str | None = None, reference: bool = True,
            show_n: bool | None = None, estimate_type: str | None = None,
            language: str = "sv") -> Axes:
    """An indicator by area, highest first, with CIs; suppressed areas last.

    ``reference`` draws the municipality's total as a dashed line. Other
    parameters as in :func:`by_group`.
    """
    language = check_language(language)
    rows, year = _select(estimates, [indicator], year, ("area", "total"), estimate_type)
    kind = rows["kind"].iloc[0]
    areas = _sorted_areas(rows)
    if areas.empty:
        raise TrygghetError(f"inga skattningar per område för {indicator} år {year}")
    if show_n is None:
        show_n = _not_generalisable(rows)
    bars = []
    for _, row in areas.iterrows():
        label = _n_label(row["group"], row, language) if show_n else str(row["group"])
        bars.append(_bar_from_row(row, label, theme.SERIES_COLOR))
    ax = _new_axes(ax, 1.2 + 0.27 * len(bars))
    _hbars(ax, bars, [float(i) for i in range(len(bars))], kind, language, height=0.62)
    total = _row(rows, group_var="total")
    if reference and total is not None and _symbol(total) == "":
        value = float(total["estimate"])
        ax.axvline(value, color=theme.MUTED, linestyle=(0, (4, 3)), linewidth=1.0, zorder=4)
        ax.annotate(f"{tr('group.Totalt', language)} {_value_text(value, kind, language)}",
                    xy=(value, 1.0), xycoords=("data", "axes fraction"), xytext=(0, 3),
                    textcoords="offset points", ha="center", va="bottom", fontsize=7.5,
                    color=theme.MUTED)
    ax.set_xlabel(_axis_label(rows, kind, language))
    _title(ax, title, f"{_indicator_label(indicator, language)}, {fmt.year(year)}", pad=16)
    _footnote(ax, _notes(bars, language, level=_level(rows)))
    set_alt_text(ax, _extremes_sentence(_subject(indicator, year, language), bars, kind,
                                        language))
    return ax


def by_time_of_day(estimates: pd.DataFrame, year: int | None = None, *, by: str = "total",
                   ax: Axes | None = None, title: str | None = None,
                   include_never: bool = False, estimate_type: str | None = None,
                   language: str = "sv") -> Axes:
    """When people feel most unsafe (the ``tid_*`` indicators), in the order of the day.

    This is the darkness finding: insecurity rises in the evening and at night.

    Parameters
    ----------
    by
        ``"total"`` for one bar per time, ``"sex"`` for women and men side by side.
    include_never
        Also show the answer *Aldrig* (never unsafe).
    """
    language = check_language(language)
    if by not in ("total", "sex"):
        raise ValueError("by must be 'total' or 'sex'")
    indicators = [i for i, t in TIME_INDICATORS.items() if include_never or t != "Aldrig"]
    rows, year = _select(estimates, indicators, year, (by,), estimate_type)
    groups = ["Totalt"] if by == "total" else ["Kvinna", "Man"]
    bars, positions = [], []
    step = 1.0 if by == "total" else 2.5
    for i, indicator in enumerate(indicators):
        time = TIME_INDICATORS[indicator]
        time_label = _word("option", time, language)
        for j, group in enumerate(groups):
            row = _row(rows, indicator=indicator, group_var=by) if by == "total" else \
                _row(rows, indicator=indicator, group=group)
            label = time_label if by == "total" else \
                f"{time_label}, {_group_label('sex', group, language).lower()}"
            color = theme.SERIES_COLOR if by == "total" else theme.GROUP_COLORS[group]
            bar = _bar_from_row(row, label, color) if row is not None else \
                _Bar(label, math.nan, math.nan, math.nan, fmt.MISSING, color, group=group)
            bar.time = time
            bars.append(bar)
            positions.append(i * step + j * 0.9)
    ax = _new_axes(ax, 1.2 + (0.3 if by == "total" else 0.24) * len(bars))
    _hbars(ax, bars, positions, "share", language, height=0.68 if by == "total" else 0.82)
    if by == "sex":
        # One tick label per time of day; the legend tells women from men.
        ax.set_yticks([i * step + 0.45 for i in range(len(indicators))],
                      [b.label.split(",")[0] for b in bars[::2]])
        handles = [Patch(color=theme.GROUP_COLORS[g], label=_group_label("sex", g, language))
                   for g in groups]
        ax.legend(handles=handles, loc="lower right", ncols=2)
    ax.set_xlabel(_axis_label(rows, "share", language))
    _title(ax, title, f"{_t('by_time_title', language)}, {fmt.year(year)}")
    _footnote(ax, _notes(bars, language, level=_level(rows)))
    set_alt_text(ax, _time_sentence(bars, by, year, language))
    return ax


def index_by_area(estimates: pd.DataFrame, indicator: str = "problemindex",
                  year: int | None = None, *, ax: Axes | None = None, title: str | None = None,
                  bands: Sequence[tuple[float, str]] | None = None,
                  estimate_type: str | None = None, language: str = "sv") -> Axes:
    """An index (0–6) by area, each bar coloured *and labelled* with its band.

    ``bands`` defaults to ``indices.yml``: ``[(lower bound, label), …]``.
    """
    language = check_language(language)
    bands = [(float(lo), str(name)) for lo, name in (bands or index_config()["bands"])]
    colors = theme.band_colors([name for _, name in bands])
    rows, year = _select(estimates, [indicator], year, ("area", "total"), estimate_type)
    areas = _sorted_areas(rows)
    if areas.empty:
        raise TrygghetError(f"inga skattningar per område för {indicator} år {year}")

    def band_of(value: float) -> str:
        label = bands[0][1]
        for lower, name in bands:
            if value >= lower:
                label = name
        return label

    def shown_name(name: str) -> str:
        return _word("band", name, language)

    bars = []
    for _, row in areas.iterrows():
        bar = _bar_from_row(row, str(row["group"]), theme.SERIES_COLOR)
        if not math.isnan(bar.value):
            bar.color = colors[band_of(bar.value)]
            bar.extra = shown_name(band_of(bar.value)).lower()
        bars.append(bar)
    ax = _new_axes(ax, 1.3 + 0.27 * len(bars))
    _hbars(ax, bars, [float(i) for i in range(len(bars))], "mean", language, xmax=6.0,
           height=0.62)
    # Band boundaries, named above the chart: the scale's meaning in words.
    uppers = [lo for lo, _ in bands[1:]] + [6.0]
    for (lower, name), upper in zip(bands, uppers, strict=True):
        if lower > 0:
            ax.axvline(lower, color=theme.MUTED, linewidth=0.7, linestyle=(0, (1, 2)), zorder=1)
        ax.annotate(textwrap.fill(shown_name(name), 10), xy=((lower + upper) / 2, 1.0),
                    xycoords=("data", "axes fraction"), xytext=(0, 3),
                    textcoords="offset points", ha="center", va="bottom", fontsize=7,
                    color=theme.MUTED, linespacing=1.1)
    ax.set_xlabel(_t("index_axis", language))
    _title(ax, title, f"{_indicator_label(indicator, language)}, {fmt.year(year)}", pad=26)
    _footnote(ax, _notes(bars, language, [_t("index_note", language)], level=_level(rows)))
    sentence = _extremes_sentence(_subject(indicator, year, language), bars, "mean", language)
    shown = [b for b in bars if not math.isnan(b.value)]
    if shown:
        above = sum(band_of(b.value) != bands[0][1] for b in shown)
        sentence = sentence[:-1] + tr("alt.bands_above", language, above=above,
                                      count=len(shown),
                                      band=shown_name(bands[0][1]).lower())
    set_alt_text(ax, sentence)
    return ax


def priorities(estimates: pd.DataFrame, year: int | None = None, *, group: str = "Totalt",
               ax: Axes | None = None, title: str | None = None,
               estimate_type: str | None = None, language: str = "sv") -> Axes:
    """The areas residents want prioritised (``prio_*``), most wanted first.

    ``group`` picks the row of the estimates (``"Totalt"``, ``"Kvinna"``, an area…).
    """
    language = check_language(language)
    rows, year = _select(estimates, list(PRIORITY_INDICATORS), year,
                         ("total", "sex", "age_group", "area", "relation"), estimate_type)
    rows = rows[rows["group"] == group]
    if rows.empty:
        raise TrygghetError(f"inga skattningar av prioriteringar för gruppen {group} år {year}")
    bars = []
    other = _word("option", "Annat", language)
    for _, row in rows.iterrows():
        name = _word("option", PRIORITY_INDICATORS[row["indicator"]], language)
        bars.append(_bar_from_row(row, name, theme.PALETTE["purple"]))
    # Most wanted first; "Annat" (other) and unpublishable rows last.
    bars.sort(key=lambda b: (math.isnan(b.value), b.label == other,
                             0 if math.isnan(b.value) else -b.value))
    ax = _new_axes(ax, 1.2 + 0.3 * len(bars))
    _hbars(ax, bars, [float(i) for i in range(len(bars))], "share", language)
    ax.set_xlabel(_axis_label(rows, "share", language))
    default = _t("prio_title", language) + f", {fmt.year(year)}"
    if group != "Totalt":
        default += f" ({_group_label('', group, language)})"
    _title(ax, title, default)
    _footnote(ax, _notes(bars, language, [_t("prio_note", language)], level=_level(rows)))
    shown = [b for b in bars if not math.isnan(b.value)]
    phrases = [f"{fmt.lower_first(b.label)} ({_value_text(b.value, 'share', language)})"
               for b in shown[:3]]
    if shown:
        text = tr("alt.priorities", language, title=_t("prio_title", language),
                  year=fmt.year(year), items=fmt.join(phrases, language=language))
    else:
        text = tr("alt.priorities_none", language, year=fmt.year(year))
    set_alt_text(ax, text + _hidden_clause(bars, language) + ".")
    return ax


def _design_breaks(rows: pd.DataFrame) -> list[int]:
    """Years that start a new series: the survey design differs from the year before."""
    keys = ["generalisable", "estimate_type"]
    keys = [k for k in keys if k in rows.columns]
    if not keys:
        return []
    design = rows.groupby("year")[keys].first().sort_index()
    years = list(design.index)
    return [int(b) for a, b in zip(years, years[1:], strict=False)
            if tuple(design.loc[a]) != tuple(design.loc[b])]


def trend(estimates: pd.DataFrame, indicator: str = "otrygg_kvall", *,
          group_var: str = "total", groups: Sequence[str] | None = None,
          breaks: Sequence[int] | None = None, ax: Axes | None = None,
          title: str | None = None, estimate_type: str | None = None,
          language: str = "sv") -> Axes:
    """An indicator across survey years, with CIs and marked series breaks.

    Parameters
    ----------
    group_var, groups
        ``"total"`` for one line, ``"sex"`` for women and men, or e.g.
        ``"area"`` with ``groups=["Centrum", "Kronogården"]``.
    breaks
        Years that start a new series (a change of design or questionnaire);
        default: wherever ``generalisable`` or ``estimate_type`` changes from
        one year to the next (the 2019 opt-in → 2020 random sample). No line
        joins points across a break, and a dotted line and a note mark it.
    """
    language = check_language(language)
    est = _check(estimates)
    rows = est[(est["indicator"] == indicator) & (est["group_var"] == group_var)]
    rows = _primary(rows, estimate_type)
    if groups is not None:
        rows = rows[rows["group"].isin(groups)]
    if rows.empty:
        raise TrygghetError(f"inga skattningar över tid för {indicator}")
    kind = rows["kind"].iloc[0]
    years = sorted(int(y) for y in rows["year"].unique())
    breaks = sorted(_design_breaks(rows) if breaks is None else [int(b) for b in breaks])
    if groups is None:
        groups = list(dict.fromkeys(rows.sort_values("group")["group"]))
        if group_var == "sex":
            groups = [g for g in ("Kvinna", "Man") if g in groups]
    ax = _new_axes(ax, 3.2)
    palette = iter(theme.CATEGORICAL)
    all_bars: list[_Bar] = []
    summaries = []
    for group in groups:
        color = theme.GROUP_COLORS.get(group) or next(palette)
        name = _group_label(group_var, group, language)
        points = []
        for yr in years:
            row = _row(rows, year=yr, group=group)
            bar = _bar_from_row(row, name, color) if row is not None else \
                _Bar(name, math.nan, math.nan, math.nan, fmt.MISSING, color)
            all_bars.append(bar)
            points.append((yr, bar))
        # Lines only within a series: split at every break.
        segments, current = [], []
        for yr, bar in points:
            if current and yr in breaks:
                segments.append(current)
                current = []
            current.append((yr, bar))
        segments.append(current)
        for segment in segments:
            xs = [yr for yr, b in segment if not math.isnan(b.value)]
            ys = [b.value for yr, b in segment if not math.isnan(b.value)]
            if len(xs) > 1:
                ax.plot(xs, ys, color=color, zorder=2)
        for yr, bar in points:
            if math.isnan(bar.value):
                ax.annotate(bar.symbol, xy=(yr, 0), xycoords=("data", "axes fraction"),
                            xytext=(0, 4), textcoords="offset points", ha="center",
                            color=theme.MUTED)
                continue
            # Opt-in years are hollow: a share of respondents, not of the population.
            face = color if bar.generalisable else theme.BACKGROUND
            if not (math.isnan(bar.low) or math.isnan(bar.high)):
                ax.errorbar(yr, bar.value, yerr=_error(bar),
                            fmt="none", ecolor=color, elinewidth=1.0, capsize=2.5, zorder=2)
            ax.plot([yr], [bar.value], marker="o", markersize=6, color=color,
                    markerfacecolor=face, markeredgewidth=1.5, zorder=3, linestyle="none")
            if len(groups) == 1:
                ax.annotate(_value_text(bar.value, kind, language), xy=(yr, bar.value),
                            xytext=(7, 0), textcoords="offset points", va="center",
                            fontsize=8, bbox=_KNOCKOUT)
        shown = [(yr, b) for yr, b in points if not math.isnan(b.value)]
        if shown:
            # A group inside the sentence: "kvinnor", but an area keeps its capital.
            summaries.append((fmt.lower_first(name) if group_var == "sex" else name, shown))
            if len(groups) > 1:  # name the line at its end rather than in a legend
                last_year, last = shown[-1]
                ax.annotate(name, xy=(last_year, last.value), xytext=(8, 0),
                            textcoords="offset points", va="center", fontsize=8,
                            color=color, fontweight="bold", bbox=_KNOCKOUT)
    for b in breaks:
        ax.axvline(b - 0.5, color=theme.MUTED, linestyle=(0, (1, 2)), linewidth=1.0)
        ax.annotate(_t("series_break", language), xy=(b - 0.5, 1.0),
                    xycoords=("data", "axes fraction"), xytext=(0, 3),
                    textcoords="offset points", ha="center", va="bottom", fontsize=7,
                    color=theme.MUTED)
    ax.set_xticks(years, [fmt.year(y) for y in years])
    ax.set_xlim(years[0] - 0.6, years[-1] + (0.9 if len(groups) > 1 else 0.6))
    ax.grid(axis="x", visible=False)
    ax.tick_params(axis="x", length=0)
    top = max([max(b.value, b.high if not math.isnan(b.high) else b.value)
               for b in all_bars if not math.isnan(b.value)], default=0.1)
    if kind == "share":
        ax.set_ylim(0, max(0.1, top * 1.2))
        _value_axis(ax, "share", max(0.1, top * 1.2), language, axis="y")
    else:
        ax.set_ylim(0, 6)
        _value_axis(ax, "mean", 6, language, axis="y")
    ax.set_ylabel(_t("share" if kind == "share" else "index_axis", language))
    _title(ax, title, _indicator_label(indicator, language), pad=16 if breaks else None)
    extra = [_t("series_break_note", language, series_break=_t("series_break", language),
                a=max(y for y in years if y < b), b=b)
             for b in breaks if any(y < b for y in years)]
    _footnote(ax, _notes(all_bars, language, extra, level=_level(rows)))
    set_alt_text(ax, _trend_sentence(indicator, summaries, breaks, kind, language))
    return ax


def _trend_sentence(indicator: str, summaries, breaks: Sequence[int], kind: str,
                    language: str) -> str:
    parts = []
    for name, shown in summaries:
        values = fmt.join([f"{_value_text(b.value, kind, language)} {fmt.year(yr)}"
                           for yr, b in shown], language=language)
        parts.append(f"{name} {values}" if len(summaries) > 1 else values)
    text = tr("alt.trend", language, indicator=_indicator_label(indicator, language)) + \
        "; ".join(parts)
    if breaks:
        years = fmt.join([fmt.year(b) for b in breaks], language=language)
        text += tr("alt.trend_break", language, years=years)
    return text + "."


def crime_vs_unsafe(data: pd.DataFrame, *, year: int | None = None, synthetic: bool = False,
                    ax: Axes | None = None, title: str | None = None,
                    language: str = "sv") -> Axes:
    """*Säkerhet och trygghet*: reported crime against the share feeling unsafe, per area.

    The point (from the seed) is that beliefs about *other* areas are often
    wrong: an area can feel unsafe with little crime, and the reverse.

    Parameters
    ----------
    data
        One row per area: ``area``, ``crimes_per_1000``, ``share_unsafe`` (0–1).
        An area whose share was suppressed has ``share_unsafe`` missing (or a
        true ``suppressed`` column); it is named in a footnote, not plotted.
    synthetic
        The crime counts are synthetic sample data: say so in a footnote.
    """
    language = check_language(language)
    needed = {"area", "crimes_per_1000", "share_unsafe"}
    if not needed <= set(data.columns):
        raise ValueError(f"data needs the columns {sorted(needed)}")
    df = data.copy()
    hidden_mask = df["share_unsafe"].isna() | df["crimes_per_1000"].isna()
    if "suppressed" in df.columns:
        hidden_mask |= df["suppressed"].fillna(False).astype(bool)
    hidden = sorted(df.loc[hidden_mask, "area"].astype(str))
    df = df[~hidden_mask]
    ax = _new_axes(ax, 4.2)
    x = df["crimes_per_1000"].astype(float).to_numpy()
    y = df["share_unsafe"].astype(float).to_numpy()
    ax.scatter(x, y, s=30, color=theme.SERIES_COLOR, zorder=3, linewidths=0)
    if len(df) >= 3:
        for value, vertical in ((np.median(x), True), (np.median(y), False)):
            if vertical:
                ax.axvline(value, color=theme.MUTED, linestyle=(0, (4, 3)), linewidth=0.8)
            else:
                ax.axhline(value, color=theme.MUTED, linestyle=(0, (4, 3)), linewidth=0.8)
    xmax = max(float(x.max()) * 1.15, 1.0) if len(x) else 1.0
    ymax = max(float(y.max()) * 1.15, 0.1) if len(y) else 0.1
    ax.set_xlim(0, xmax)
    ax.set_ylim(0, min(1.0, ymax))
    _place_labels(ax, x, y, list(df["area"].astype(str)))
    ax.xaxis.set_major_formatter(fmt.number_formatter(0, language=language))
    _value_axis(ax, "share", min(1.0, ymax), language, axis="y")
    ax.set_xlabel(_t("crime_x", language))
    ax.set_ylabel(_t("crime_y", language))
    default = _t("crime_title", language) + (f", {fmt.year(year)}" if year else "")
    _title(ax, title, default)
    notes = []
    if len(df) >= 3:
        notes.append(_t("median", language))
    if synthetic:
        notes.append(_t("crime_synthetic", language))
    if hidden:
        notes.append(f"{fmt.SUPPRESSED} {fmt.join(hidden, language=language)} "
                     f"{_not_shown(language)}.")
    _footnote(ax, notes)
    set_alt_text(ax, _crime_sentence(df, hidden, language))
    return ax


def _crime_sentence(df: pd.DataFrame, hidden: Sequence[str], language: str) -> str:
    n = len(df)
    if n == 0:
        return tr("alt.crime_none", language)
    most_crime = df.loc[df["crimes_per_1000"].astype(float).idxmax()]
    most_unsafe = df.loc[df["share_unsafe"].astype(float).idxmax()]
    crime = fmt.number(most_crime["crimes_per_1000"], 0, language=language)
    unsafe = fmt.percent(most_unsafe["share_unsafe"], 0, language=language)
    text = tr("alt.crime", language, n=n, crime_area=most_crime["area"], crime=crime,
              unsafe_area=most_unsafe["area"], unsafe=unsafe)
    if n >= 3:
        r = float(np.corrcoef(df["crimes_per_1000"].astype(float),
                              df["share_unsafe"].astype(float))[0, 1])
        rr = fmt.number(r, 2, language=language)
        if not math.isnan(r) and abs(r) < 0.1:
            text += tr("alt.no_association", language, r=rr)
        elif not math.isnan(r):
            strength = "weak" if abs(r) < 0.3 else "moderate" if abs(r) < 0.6 else "strong"
            text += tr("alt.association", language, r=rr,
                       strength=tr(f"alt.{strength}", language),
                       sign=tr("alt.positive" if r >= 0 else "alt.negative", language))
    if hidden:
        text += f"; {fmt.join(list(hidden), language=language)} {_not_shown(language)}"
    return text + "."


def _place_labels(ax: Axes, x: np.ndarray, y: np.ndarray, labels: Sequence[str]) -> None:
    """Label points, trying eight positions each so that labels do not overlap."""
    fig = ax.figure
    if not hasattr(fig.canvas, "get_renderer"):
        FigureCanvasAgg(fig)  # a bare Figure has no renderer to measure text with
    fig.draw_without_rendering()  # run the layout first: positions are final
    renderer = fig.canvas.get_renderer()
    offsets = [(5, 3, "left", "bottom"), (5, -3, "left", "top"), (-5, 3, "right", "bottom"),
               (-5, -3, "right", "top"), (0, 6, "center", "bottom"), (0, -6, "center", "top"),
               (8, 0, "left", "center"), (-8, 0, "right", "center")]
    placed = []
    axes_box = ax.get_window_extent(renderer)
    points = [ax.transData.transform((xi, yi)) for xi, yi in zip(x, y, strict=True)]
    # Label the most crowded points first: they have the fewest free positions.
    order = sorted(range(len(labels)), key=lambda i: sum(
        np.hypot(*(points[i] - p)) < 40 for p in points), reverse=True)
    for i in order:
        best = None
        for dx, dy, ha, va in offsets:
            text = ax.annotate(labels[i], xy=(x[i], y[i]), xytext=(dx, dy),
                               textcoords="offset points", ha=ha, va=va, fontsize=7.5,
                               color=theme.TEXT, bbox=_KNOCKOUT)
            box = text.get_window_extent(renderer).expanded(1.05, 1.1)
            clash = sum(box.overlaps(p) for p in placed)
            clash += sum(box.contains(*pt) for j, pt in enumerate(points) if j != i)
            outside = not (axes_box.contains(box.x0, box.y0) and axes_box.contains(box.x1,
                                                                                    box.y1))
            score = clash * 10 + outside * 5
            if best is None or score < best[0]:
                if best is not None:
                    best[1].remove()
                best = (score, text, box)
            else:
                text.remove()
            if score == 0:
                break
        placed.append(best[2])


def promise_status(promises: pd.DataFrame, *, ax: Axes | None = None,
                   title: str | None = None, width: int = 66, language: str = "sv") -> Axes:
    """The status of each *inriktning* of the promise: text, colour, symbol and word.

    Parameters
    ----------
    promises
        Columns ``inriktning`` (text) and ``status``, one of
        :data:`trygghet.theme.STATUSES` (*Uppfyllt*, *Delvis uppfyllt*,
        *Ej uppfyllt*, *Pågår*, *Underlag saknas*).
    width
        Characters per line of the wrapped *inriktning* text.
    """
    language = check_language(language)
    if not {"inriktning", "status"} <= set(promises.columns):
        raise ValueError("promises needs the columns 'inriktning' and 'status'")
    unknown = sorted(set(promises["status"]) - set(theme.STATUSES))
    if unknown:
        raise TrygghetError(f"okänd status '{unknown[0]}'",
                            hint=f"tillåtna: {', '.join(theme.STATUSES)}")
    texts = [textwrap.wrap(str(t), width) or [""] for t in promises["inriktning"]]
    gap = 1.0  # blank line between rows, in text lines
    total = sum(len(t) for t in texts) + gap * len(texts)
    ax = _new_axes(ax, 0.55 + 0.175 * total)
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(total, 0)
    y = 0.0
    for i, (text, status) in enumerate(zip(texts, promises["status"], strict=True)):
        info = theme.STATUSES[status]
        middle = y + (len(text) + gap) / 2
        ax.text(0.0, middle, "\n".join(text), va="center", ha="left", fontsize=8.5,
                linespacing=1.4, color=theme.TEXT)
        word = _word("status", status, language)
        # White bold text on the status colour (all ≥ 4.5:1), plus a symbol.
        ax.text(0.745, middle, f"{info['symbol']}\u2002{word}", va="center", ha="left",
                fontsize=8.5, color=theme.BACKGROUND, fontweight="bold",
                bbox={"boxstyle": "round,pad=0.45,rounding_size=0.35",
                      "facecolor": info["color"], "edgecolor": "none"})
        y += len(text) + gap
        if i < len(texts) - 1:
            ax.axhline(y, color=theme.GRID, linewidth=0.6)
    _title(ax, title, _t("status_title", language))
    counts = promises["status"].value_counts()
    parts = [f"{_word('status', s, language).lower()}: {counts[s]}"
             for s in theme.STATUSES if s in counts]
    set_alt_text(ax, tr("alt.status", language, n=len(promises),
                        parts=fmt.join(parts, language=language)))
    return ax


# --- Output ------------------------------------------------------------------------------------

def to_svg(fig: Figure) -> str:
    """The figure as SVG text, byte-identical between runs.

    No date in the metadata and (with the theme's ``svg.hashsalt``) fixed ids,
    so that two renders of a report give the same HTML.
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return buf.getvalue().decode("utf-8")


def show(obj: Axes | Figure, *, alt: str | None = None, caption: str | None = None) -> None:
    """Display a chart in a notebook as SVG with its alt text.

    The output carries the alt text in its metadata
    (``metadata["image/svg+xml"]["alt"]``) and as the ``text/plain`` fallback;
    the report template turns it into ``<img alt="…">``, and ``caption`` into a
    visible ``<figcaption>``. The figure is closed afterwards if pyplot knows it,
    so that the inline backend does not show it again without alt text.

    Parameters
    ----------
    obj
        An Axes returned by a chart function, or a whole Figure.
    alt
        Alt text; default :func:`alt_text` of ``obj``. A chart without any is
        an error: the report must not publish an image without alt text.
    caption
        Optional visible caption under the chart.
    """
    from IPython.display import display  # only needed inside a kernel

    fig = obj if isinstance(obj, Figure) else obj.figure
    text = alt if alt is not None else alt_text(obj)
    if not text.strip():
        raise ValueError("the chart has no alt text: pass alt=… or use set_alt_text()")
    svg = to_svg(fig)
    meta = {"image/svg+xml": {"alt": text}}
    if caption:
        meta["trygghet"] = {"caption": caption}
    display({"image/svg+xml": svg, "text/plain": text}, raw=True, metadata=meta)
    _close(fig)


def _close(fig: Figure) -> None:
    manager = getattr(fig.canvas, "manager", None)
    if manager is not None:  # a pyplot figure: close it so the backend forgets it
        import matplotlib.pyplot as plt

        plt.close(fig)


def svg_data_uri(fig: Figure) -> str:
    """``data:image/svg+xml;base64,…`` of a figure, for hand-written HTML."""
    return "data:image/svg+xml;base64," + base64.b64encode(to_svg(fig).encode()).decode()


__all__ = [
    "by_group", "by_area", "by_time_of_day", "index_by_area", "priorities", "trend",
    "crime_vs_unsafe", "promise_status", "alt_text", "set_alt_text", "show", "to_svg",
    "svg_data_uri", "TIME_INDICATORS", "PRIORITY_INDICATORS",
]
