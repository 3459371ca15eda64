"""An indicator across survey years, with intervals and marked series breaks."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pandas as pd
from matplotlib.axes import Axes

from .. import fmt, theme
from ..comparability import Verdict
from ..errors import TrygghetError
from ..vocabulary import check_language, tr
from .common import (
    Bar,
    bar_from_row,
    chart_text,
    check_columns,
    ci_level,
    find_row,
    group_label,
    indicator_label,
    primary_rows,
    value_text,
)
from .draw import (
    KNOCKOUT,
    draw_footnote,
    error_lengths,
    new_axes,
    notes_for,
    set_alt_text,
    set_title,
    value_axis,
)


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
          not_comparable: Mapping[int, Verdict] | None = None,
          language: str = "sv", more_breaks: Sequence[int] = ()) -> Axes:
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
    not_comparable
        Years that cannot be compared with the others (another municipality,
        areas that do not match: :mod:`trygghet.comparability`). Their points
        are left out, wholly or (areas only) in a chart by area, and the note
        under the chart and the alt text say "inte jämförbart" and why.
    more_breaks
        Further years that start a new series, besides ``breaks`` or the
        design breaks: where the questionnaire says the indicator's question
        changed (:func:`trygghet.report_sections.trend_breaks`).
    """
    language = check_language(language)
    est = check_columns(estimates)
    rows = est[(est["indicator"] == indicator) & (est["group_var"] == group_var)]
    rows = primary_rows(rows, estimate_type)
    if groups is not None:
        rows = rows[rows["group"].isin(groups)]
    excluded = [v for _, v in sorted((not_comparable or {}).items())
                if not v.comparable or (group_var == "area" and not v.areas_comparable)]
    rows = rows[~rows["year"].isin([v.year for v in excluded])]
    if rows.empty:
        raise TrygghetError(f"inga skattningar över tid för {indicator}")
    kind = rows["kind"].iloc[0]
    years = sorted(int(y) for y in rows["year"].unique())
    breaks = sorted({*(_design_breaks(rows) if breaks is None else [int(b) for b in breaks]),
                     *(int(b) for b in more_breaks)})
    if groups is None:
        groups = list(dict.fromkeys(rows.sort_values("group")["group"]))
        if group_var == "sex":
            groups = [g for g in ("Kvinna", "Man") if g in groups]
    ax = new_axes(ax, 3.2)
    palette = iter(theme.CATEGORICAL)
    all_bars: list[Bar] = []
    summaries = []
    for group in groups:
        color = theme.GROUP_COLORS.get(group) or next(palette)
        name = group_label(group_var, group, language)
        points = []
        for yr in years:
            row = find_row(rows, year=yr, group=group)
            bar = bar_from_row(row, name, color) if row is not None else \
                Bar(name, math.nan, math.nan, math.nan, fmt.MISSING, color)
            all_bars.append(bar)
            points.append((yr, bar))
        # Lines only within a series: split at every break.
        segments: list[list[tuple[int, Bar]]] = []
        current: list[tuple[int, Bar]] = []
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
                ax.errorbar(yr, bar.value, yerr=error_lengths(bar),
                            fmt="none", ecolor=color, elinewidth=1.0, capsize=2.5, zorder=2)
            ax.plot([yr], [bar.value], marker="o", markersize=6, color=color,
                    markerfacecolor=face, markeredgewidth=1.5, zorder=3, linestyle="none")
            if len(groups) == 1:
                ax.annotate(value_text(bar.value, kind, language), xy=(yr, bar.value),
                            xytext=(7, 0), textcoords="offset points", va="center",
                            fontsize=8, bbox=KNOCKOUT)
        shown = [(yr, b) for yr, b in points if not math.isnan(b.value)]
        if shown:
            # A group inside the sentence: "kvinnor", but an area keeps its capital.
            summaries.append((fmt.lower_first(name) if group_var == "sex" else name, shown))
            if len(groups) > 1:  # name the line at its end rather than in a legend
                last_year, last = shown[-1]
                ax.annotate(name, xy=(last_year, last.value), xytext=(8, 0),
                            textcoords="offset points", va="center", fontsize=8,
                            color=color, fontweight="bold", bbox=KNOCKOUT)
    for b in breaks:
        ax.axvline(b - 0.5, color=theme.MUTED, linestyle=(0, (1, 2)), linewidth=1.0)
        ax.annotate(chart_text("series_break", language), xy=(b - 0.5, 1.0),
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
        value_axis(ax, "share", max(0.1, top * 1.2), language, axis="y")
    else:
        ax.set_ylim(0, 6)
        value_axis(ax, "mean", 6, language, axis="y")
    ax.set_ylabel(chart_text("share" if kind == "share" else "index_axis", language))
    set_title(ax, title, indicator_label(indicator, language), pad=16 if breaks else None)
    extra = [chart_text("series_break_note", language,
                        series_break=chart_text("series_break", language),
                        a=max(y for y in years if y < b), b=b)
             for b in breaks if any(y < b for y in years)]
    apart = [v.note(language) for v in excluded]
    draw_footnote(ax, notes_for(all_bars, language, [*apart, *extra], level=ci_level(rows)))
    set_alt_text(ax, " ".join([_trend_sentence(indicator, summaries, breaks, kind, language),
                               *apart]))
    return ax


def _trend_sentence(indicator: str, summaries, breaks: Sequence[int], kind: str,
                    language: str) -> str:
    parts = []
    for name, shown in summaries:
        values = fmt.join([f"{value_text(b.value, kind, language)} {fmt.year(yr)}"
                           for yr, b in shown], language=language)
        parts.append(f"{name} {values}" if len(summaries) > 1 else values)
    text = tr("alt.trend", language, indicator=indicator_label(indicator, language)) + \
        "; ".join(parts)
    if breaks:
        years = fmt.join([fmt.year(b) for b in breaks], language=language)
        text += tr("alt.trend_break", language, years=years)
    return text + "."
