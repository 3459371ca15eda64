"""The status of each inriktning of the medborgarlöfte: text, colour, symbol and word."""

from __future__ import annotations

import textwrap

import pandas as pd
from matplotlib.axes import Axes

from .. import fmt, theme
from ..errors import TrygghetError
from ..vocabulary import check_language, tr
from ..vocabulary import label as label_of
from .common import chart_text
from .draw import new_axes, set_alt_text, set_title


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
    ax = new_axes(ax, 0.55 + 0.175 * total)
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(total, 0)
    y = 0.0
    for i, (text, status) in enumerate(zip(texts, promises["status"], strict=True)):
        info = theme.STATUSES[status]
        middle = y + (len(text) + gap) / 2
        ax.text(0.0, middle, "\n".join(text), va="center", ha="left", fontsize=8.5,
                linespacing=1.4, color=theme.TEXT)
        word = label_of("status", status, language)
        # White bold text on the status colour (all ≥ 4.5:1), plus a symbol.
        ax.text(0.745, middle, f"{info['symbol']}\u2002{word}", va="center", ha="left",
                fontsize=8.5, color=theme.BACKGROUND, fontweight="bold",
                bbox={"boxstyle": "round,pad=0.45,rounding_size=0.35",
                      "facecolor": info["color"], "edgecolor": "none"})
        y += len(text) + gap
        if i < len(texts) - 1:
            ax.axhline(y, color=theme.GRID, linewidth=0.6)
    set_title(ax, title, chart_text("status_title", language))
    counts = promises["status"].value_counts()
    parts = [f"{label_of('status', s, language).lower()}: {counts[s]}"
             for s in theme.STATUSES if s in counts]
    set_alt_text(ax, tr("alt.status", language, n=len(promises),
                        parts=fmt.join(parts, language=language)))
    return ax
