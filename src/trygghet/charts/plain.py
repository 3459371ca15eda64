"""Plain charts for readers without statistics: the residents' page.

The survey report's charts draw every confidence interval and explain it in a
note. A leaflet for residents says the same thing in words instead ("small
differences can be chance", given by the caller), so these charts draw whole
per cents without intervals. Everything else is as in the other charts: the
estimates have passed the disclosure gate, a withheld group keeps its place
with its symbol, and the alt text is computed from what the chart shows.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .. import fmt, theme
from ..errors import TrygghetError
from ..vocabulary import check_language, tr
from .common import Bar, bar_from_row, chart_text, find_row, select, value_text
from .draw import extremes_sentence, hbars, set_alt_text


def _without_interval(bar: Bar) -> Bar:
    bar.low = bar.high = math.nan
    return bar


def _areas_highest_first(rows: pd.DataFrame) -> pd.DataFrame:
    """The areas of ``rows``: published ones by estimate (highest first), then the withheld."""
    areas = rows[rows["group_var"] == "area"]
    hidden = areas["suppressed"].astype(bool) | areas["estimate"].isna()
    shown = areas[~hidden].sort_values(["estimate", "group"], ascending=[False, True])
    return pd.concat([shown, areas[hidden].sort_values("group")])


def plain_by_area(estimates: pd.DataFrame, indicator: str = "otrygg_kvall",
                  year: int | None = None, *, title: str, notes: Sequence[str] = (),
                  symbols: Mapping[str, str] | None = None, total: str | None = None,
                  width: float = theme.TEXT_WIDTH, language: str = "sv") -> Axes:
    """An indicator for the whole municipality and by area, in whole per cents.

    The municipality comes first (in the total's colour), then the areas,
    highest first; withheld areas last with their symbol. No intervals: the
    caller says in ``notes`` what the reader should know about uncertainty.

    Parameters
    ----------
    estimates
        Published estimates (after the disclosure gate).
    indicator, year
        A share indicator and its year (default the latest).
    title
        The chart's title (the page's words).
    notes
        Sentences under the chart; the meaning of any symbol shown is added.
    symbols
        What a withheld bar's symbol (``..``, ``.``) means, in the caller's
        words; default the official tables' explanation
        (:func:`trygghet.fmt.symbol_text`).
    total
        The label of the municipality's bar; default "Hela kommunen". An
        open survey's total is everyone who answered, not the municipality.
    width
        Figure width in inches: the width it is shown at, so that its text
        prints at the theme's size.
    language
        ``"sv"`` or ``"en"``.

    Returns
    -------
    The Axes; :func:`~trygghet.charts.alt_text` gives its alt text.
    """
    language = check_language(language)
    rows, year = select(estimates, [indicator], year, ("total", "area"))
    if rows["kind"].iloc[0] != "share":
        raise TrygghetError(f"{indicator} är inte en andel och kan inte visas i procent")
    total_row = find_row(rows, group_var="total")
    areas = _areas_highest_first(rows)
    if total_row is None or areas.empty:
        raise TrygghetError(f"inga skattningar per område för {indicator} år {year}")
    whole = _without_interval(bar_from_row(total_row, total or tr("column.whole", language),
                                           theme.GROUP_COLORS["Totalt"]))
    bars = [_without_interval(bar_from_row(row, str(row["group"]), theme.SERIES_COLOR))
            for _, row in areas.iterrows()]
    positions = [0.0, *[1.5 + i for i in range(len(bars))]]
    fig = Figure(figsize=(width, 0.8 + 0.15 * (len(bars) + 2.5)))
    ax = fig.add_subplot()
    hbars(ax, [whole, *bars], positions, "share", language, height=0.66)
    ax.set_title(title, loc="left")
    words = dict(symbols or {})
    shown = [s for s in (fmt.SUPPRESSED, fmt.MISSING) if s in {b.symbol for b in bars}]
    lines = [*notes, *(chart_text("symbol_note", language, symbol=s,
                                  text=words.get(s) or fmt.symbol_text(s, language=language))
                       for s in shown)]
    ax.set_xticks([])  # every bar carries its value: no scale to read off
    if lines:
        chars = int(width * 13)  # 7.5 pt characters in a line from the axis to the edge
        ax.set_xlabel("\n".join(textwrap.fill(line, chars) for line in lines), loc="left",
                      fontsize=7.5, color=theme.MUTED, labelpad=6, linespacing=1.4)
    sentence = extremes_sentence(title, bars, "share", language)
    if not math.isnan(whole.value):
        sentence = f"{sentence[:-1]}; {whole.label} {value_text(whole.value, 'share', language)}."
    set_alt_text(ax, sentence)
    return ax
