"""*Säkerhet och trygghet*: reported crime against the share feeling unsafe, per area."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Annotation
from matplotlib.transforms import Bbox

from .. import fmt, theme
from ..vocabulary import check_language, tr
from .common import chart_text
from .draw import KNOCKOUT, draw_footnote, new_axes, not_shown, set_alt_text, set_title, value_axis


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
    ax = new_axes(ax, 4.2)
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
    value_axis(ax, "share", min(1.0, ymax), language, axis="y")
    ax.set_xlabel(chart_text("crime_x", language))
    ax.set_ylabel(chart_text("crime_y", language))
    default = chart_text("crime_title", language) + (f", {fmt.year(year)}" if year else "")
    set_title(ax, title, default)
    notes = []
    if len(df) >= 3:
        notes.append(chart_text("median", language))
    if synthetic:
        notes.append(chart_text("crime_synthetic", language))
    if hidden:
        notes.append(f"{fmt.SUPPRESSED} {fmt.join(hidden, language=language)} "
                     f"{not_shown(language)}.")
    draw_footnote(ax, notes)
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
        text += f"; {fmt.join(list(hidden), language=language)} {not_shown(language)}"
    return text + "."


def _place_labels(ax: Axes, x: np.ndarray, y: np.ndarray, labels: Sequence[str]) -> None:
    """Label points, trying eight positions each so that labels do not overlap."""
    fig = ax.get_figure(root=True)
    assert isinstance(fig, Figure)
    if not hasattr(fig.canvas, "get_renderer"):
        FigureCanvasAgg(fig)  # a bare Figure has no renderer to measure text with
    fig.draw_without_rendering()  # run the layout first: positions are final
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]  # Agg has one
    offsets = [(5, 3, "left", "bottom"), (5, -3, "left", "top"), (-5, 3, "right", "bottom"),
               (-5, -3, "right", "top"), (0, 6, "center", "bottom"), (0, -6, "center", "top"),
               (8, 0, "left", "center"), (-8, 0, "right", "center")]
    placed: list[Bbox] = []
    axes_box = ax.get_window_extent(renderer)
    points = [ax.transData.transform((xi, yi)) for xi, yi in zip(x, y, strict=True)]
    # Label the most crowded points first: they have the fewest free positions.
    order = sorted(range(len(labels)), key=lambda i: sum(
        np.hypot(*(points[i] - p)) < 40 for p in points), reverse=True)
    for i in order:
        best: tuple[int, Annotation, Bbox] | None = None
        for dx, dy, ha, va in offsets:
            text = ax.annotate(labels[i], xy=(x[i], y[i]), xytext=(dx, dy),
                               textcoords="offset points", ha=ha, va=va, fontsize=7.5,
                               color=theme.TEXT, bbox=KNOCKOUT)
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
        assert best is not None  # eight positions were tried
        placed.append(best[2])
