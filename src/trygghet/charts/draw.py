"""Drawing helpers shared by the charts: bars with intervals, notes, titles, alt text.

:func:`hbars` draws horizontal bars with their intervals, value labels and the
symbols of suppressed rows; :func:`notes_for` writes the footnotes that say
what the bars show; :func:`set_alt_text` / :func:`alt_text` keep each chart's
one-sentence alt text, built from the data (:func:`extremes_sentence` …).
"""

from __future__ import annotations

import math
import re
import textwrap
import weakref
from collections.abc import Iterable, Sequence

import pandas as pd
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import Bbox

from .. import fmt, references, theme
from ..vocabulary import tr
from .common import DEFAULT_LEVEL, Bar, chart_text, indicator_label, symbol_text, value_text

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


# --- Drawing helpers ---------------------------------------------------------------------

def new_axes(ax: Axes | None, height: float) -> Axes:
    """``ax``, or the Axes of a new Figure as wide as the PDF's text column.

    A plain :class:`~matplotlib.figure.Figure` rather than pyplot: the chart is
    not registered with pyplot, so Jupyter's inline backend does not print it a
    second time (as PNG, without alt text) at the end of the cell.
    """
    if ax is not None:
        return ax
    fig = Figure(figsize=(theme.TEXT_WIDTH, height))
    return fig.add_subplot()


def halo(width: float = 2.2) -> list:
    # A white outline keeps a dark line visible where it crosses a coloured bar.
    return [patheffects.withStroke(linewidth=width, foreground=theme.BACKGROUND)]


# A white box behind a label that may cross a line. Not a path effect: that
# would turn the text into glyph outlines, several times the SVG and far slower
# for WeasyPrint to draw.
KNOCKOUT = {"boxstyle": "square,pad=0.1", "facecolor": theme.BACKGROUND, "edgecolor": "none"}


def value_axis(ax: Axes, kind: str, top: float, language: str, axis: str = "x") -> None:
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


def hbars(ax: Axes, bars: Sequence[Bar], positions: Sequence[float], kind: str,
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
            ax.text(pad, y, symbol_text(bar.symbol, language), va="center", ha="left",
                    color=theme.MUTED, fontsize=8)
            continue
        ax.barh(y, bar.value, height=height, color=bar.color, zorder=2)
        end = bar.value
        if not (math.isnan(bar.low) or math.isnan(bar.high)):
            eb = ax.errorbar(bar.value, y, xerr=error_lengths(bar),
                             fmt="none", ecolor=theme.TEXT, elinewidth=1.0, capsize=2.5,
                             capthick=1.0, zorder=3)
            for artist in (*eb.lines[1], *eb.lines[2]):
                artist.set_path_effects(halo())
            end = max(end, bar.high)
        label = fmt.ZERO if bar.symbol == fmt.ZERO else value_text(bar.value, kind, language)
        if bar.extra:
            label += f"\u2002{bar.extra}"
        ax.text(end + pad * 1.5, y, label, va="center", ha="left", color=theme.TEXT,
                fontsize=8, bbox=KNOCKOUT, zorder=5)
    ax.set_yticks(list(positions), [b.label for b in bars])
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(max(positions) + 0.7, min(positions) - 0.7)  # first bar on top
    ax.set_xlim(0, xmax)
    ax.grid(axis="y", visible=False)
    ax.spines["bottom"].set_visible(False)
    ax.tick_params(axis="x", length=0)
    value_axis(ax, kind, xmax, language)


# A reference value's line: dash-dotted and dark, unlike the municipality's muted dashes,
# and always named in text beside it (never told apart by colour or pattern alone).
REFERENCE_DASH = (0, (6, 2, 1.5, 2))
REFERENCE_ROW = 0.62  # height of a label row under the bars, in bar positions


def reference_extra_height(refs: pd.DataFrame) -> float:
    """Inches a chart grows by for the label rows of ``refs``' lines."""
    return 0.17 * len(refs)


def reference_lines(ax: Axes, refs: pd.DataFrame, kind: str,
                    language: str) -> tuple[list[str], str]:
    """Draw each reference value of ``refs`` as a labelled vertical line across the bars.

    ``refs`` are one indicator's reference values
    (:func:`trygghet.references.for_indicator`). Each line is dash-dotted,
    with its name and value ("Riket 28 %") on a row of its own below the
    bars, so that labels of close values never overlap; the value axis is
    widened if a reference lies beyond it. Call after :func:`hbars`.

    Returns
    -------
    notes, alt
        The footnotes naming each line's source, and a sentence for the alt text.
    """
    if refs is None or refs.empty:
        return [], ""
    _, xmax = ax.get_xlim()
    top = float(refs["value"].max())
    if top * 1.12 > xmax:
        xmax = min(top * 1.15, 1.0) if kind == "share" else min(top * 1.15, 6.0)
        ax.set_xlim(0, xmax)
        value_axis(ax, kind, xmax, language)
    low, high = ax.get_ylim()  # inverted: the first bar on top
    pad = xmax * 0.012
    notes, phrases = [], []
    for i, (_, ref) in enumerate(refs.iterrows()):
        value, name = float(ref["value"]), references.label(ref, language)
        shown = value_text(value, kind, language)
        ax.axvline(value, color=theme.TEXT, linestyle=REFERENCE_DASH, linewidth=1.1, zorder=4,
                   path_effects=halo(2.4), gid=f"reference-{i}")
        right = value > 0.7 * xmax
        ax.text(value + (-pad if right else pad), low + (i + 0.5) * REFERENCE_ROW,
                tr("reference.line_label", language, label=name, value=shown),
                ha="right" if right else "left", va="center", fontsize=7.5, color=theme.TEXT,
                bbox=KNOCKOUT, zorder=5, parse_math=False)  # a "$" in a name is a "$"
        notes.append(tr("reference.chart_note", language, label=name, value=shown,
                        source=ref["source"]))
        phrases.append(tr("reference.line_label", language, label=name, value=shown))
    ax.set_ylim(low + len(refs) * REFERENCE_ROW, high)
    return notes, tr("reference.alt", language, items=fmt.join(phrases, language=language))


def error_lengths(bar: Bar) -> list[list[float]]:
    """The error bar's lengths below and above the value, never negative.

    At a share of exactly 0 or 1 the estimate can lie a rounding error
    (1e-16) outside its own interval; matplotlib refuses a negative length.
    """
    return [[max(bar.value - bar.low, 0.0)], [max(bar.high - bar.value, 0.0)]]


def notes_for(bars: Iterable[Bar], language: str, extra: Iterable[str] = (),
              level: float = DEFAULT_LEVEL) -> list[str]:
    """Footnotes for what the bars show: intervals and their level, opt-in shares, symbols."""
    bars = list(bars)
    notes = list(extra)
    shown = [b for b in bars if not math.isnan(b.value)]
    with_ci = [b for b in shown if not (math.isnan(b.low) or math.isnan(b.high))]
    if any(not b.adjusted for b in with_ci):
        notes.append(chart_text("ci", language, level=fmt.level(level, language=language)))
    if any(b.adjusted for b in with_ci):
        notes.append(chart_text("ci_adjusted", language))
    if any(not b.generalisable for b in shown):
        notes.append(chart_text("opt_in", language))
    symbols = {b.symbol for b in bars}
    notes += [chart_text("symbol_note", language, symbol=s,
                         text=fmt.symbol_text(s, language=language))
              for s in fmt.SYMBOLS if s in symbols]
    return notes


def draw_footnote(ax: Axes, notes: Sequence[str]) -> None:
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


def set_title(ax: Axes, title: str | None, default: str, pad: float | None = None) -> None:
    text = default if title is None else title
    if text:
        ax.set_title(textwrap.fill(text, 80), pad=pad)


# --- Alt-text sentences --------------------------------------------------------------------
# One sentence per chart, computed from what the chart shows: the reader of the
# HTML who cannot see the chart gets the same message, including what is withheld.

def subject_of(indicator: str, year: int, language: str) -> str:
    """'Känner sig otrygg ute ensam sent en kväll, 2020': works for every indicator label."""
    return tr("alt.subject", language, indicator=indicator_label(indicator, language),
              year=fmt.year(year))


_N_SUFFIX = re.compile(r" \(n\u00a0=\u00a0[^)]*\)$")


def plain_label(label: str) -> str:
    """A bar label without its " (n = 123)": the sentence gives the value instead."""
    return _N_SUFFIX.sub("", label)


def value_phrase(bar: Bar, kind: str, language: str) -> str:
    return f"{plain_label(bar.label)} ({value_text(bar.value, kind, language)})"


def not_shown(language: str) -> str:
    return chart_text("not_shown", language,
                      word=fmt.symbol_word(fmt.SUPPRESSED, language=language))


def hidden_clause(bars: Sequence[Bar], language: str) -> str:
    hidden = [plain_label(b.label) for b in bars if math.isnan(b.value)]
    if not hidden:
        return ""
    return f"; {fmt.join(hidden, language=language)} {not_shown(language)}"


def extremes_sentence(subject: str, bars: Sequence[Bar], kind: str, language: str) -> str:
    """'<subject>: högst i A (31 %) och lägst i B (8 %) av 12 områden; C redovisas inte …'."""
    shown = [b for b in bars if not math.isnan(b.value)]
    plural = chart_text("areas", language)
    if shown:
        hi = max(shown, key=lambda b: b.value)
        lo = min(shown, key=lambda b: b.value)
        text = tr("alt.extremes", language, subject=subject, plural=plural, count=len(shown),
                  high=value_phrase(hi, kind, language), low=value_phrase(lo, kind, language))
    else:
        text = tr("alt.none_shown", language, subject=subject, plural=plural)
    return text + hidden_clause(bars, language) + "."
