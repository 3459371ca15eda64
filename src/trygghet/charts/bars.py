"""Bar charts: an indicator by group, by area, by time of day; an index by area; priorities."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from .. import fmt, references, theme
from ..errors import TrygghetError
from ..indicators import index_config
from ..questionnaire import resolve
from ..vocabulary import check_language, tr
from ..vocabulary import label as label_of
from .common import (
    Bar,
    axis_label,
    bar_from_row,
    chart_text,
    ci_level,
    find_row,
    group_label,
    indicator_label,
    n_label,
    not_generalisable,
    select,
    symbol_of,
    value_text,
)
from .draw import (
    draw_footnote,
    extremes_sentence,
    hbars,
    hidden_clause,
    new_axes,
    notes_for,
    reference_extra_height,
    reference_lines,
    set_alt_text,
    set_title,
    subject_of,
)


def _groups_sentence(subject: str, bars: Sequence[Bar], kind: str, language: str) -> str:
    """Alt text of :func:`by_group`: total, women and men, highest and lowest age group."""
    shown = {(b.group_var, b.group): b for b in bars if not math.isnan(b.value)}

    def value(b: Bar) -> str:
        return value_text(b.value, kind, language)

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
        parts.append(tr("alt.ages", language, high=group_label("age_group", hi.group, language),
                        high_value=value(hi), low=group_label("age_group", lo.group, language),
                        low_value=value(lo)))
    if not parts:
        parts.append(tr("alt.no_groups", language))
    return f"{subject}: " + "; ".join(parts) + hidden_clause(bars, language) + "."


def _time_sentence(bars: Sequence[Bar], by: str, year: int, language: str) -> str:
    groups = ["Totalt"] if by == "total" else ["Kvinna", "Man"]
    parts = []
    for group in groups:
        mine = [b for b in bars if not math.isnan(b.value)
                and (by == "total" or b.group == group)]
        if not mine:
            continue
        ranked = sorted(mine, key=lambda b: -b.value)

        def phrase(b: Bar) -> str:
            return (f"{tr(f'time_phrase.{b.time}', language)} "
                    f"({value_text(b.value, 'share', language)})")

        top = fmt.join([phrase(b) for b in ranked[:2]], language=language)
        who = "" if by == "total" else group_label("sex", group, language).lower() + " "
        text = tr("alt.times_top", language, who=who, top=top)
        if len(ranked) > 2:
            text += tr("alt.times_least", language, phrase=phrase(ranked[-1]))
        parts.append(text)
    if not parts:
        return tr("alt.times_none", language, year=fmt.year(year))
    return (tr("alt.times_head", language, year=fmt.year(year)) + "; ".join(parts)
            + hidden_clause(bars, language) + ".")


# --- Charts ------------------------------------------------------------------------------

_AGE_ORDER = ("16–24", "25–44", "45–64", "65–79", "80+")


def _sorted_areas(rows: pd.DataFrame) -> pd.DataFrame:
    """Areas by estimate, highest first; suppressed and missing last, alphabetically."""
    areas = rows[rows["group_var"] == "area"].copy()
    areas["_hidden"] = areas.apply(symbol_of, axis=1).isin([fmt.SUPPRESSED, fmt.MISSING])
    areas["_sort"] = np.where(areas["_hidden"], -np.inf,
                              pd.to_numeric(areas["estimate"], errors="coerce"))
    return areas.sort_values(["_hidden", "_sort", "group"], ascending=[True, False, True])


def by_group(estimates: pd.DataFrame, indicator: str = "otrygg_kvall", year: int | None = None,
             *, group_vars: Sequence[str] = ("total", "sex", "age_group"), ax: Axes | None = None,
             title: str | None = None, show_n: bool | None = None,
             estimate_type: str | None = None, reference_values: pd.DataFrame | None = None,
             language: str = "sv") -> Axes:
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
    reference_values
        Reference values (:func:`trygghet.references.read_references`, the
        report's ``rep.references``): each one of ``indicator`` is drawn as a
        dash-dotted line named in text ("Riket 28 %"), its source in a footnote.
    language
        ``"sv"`` or ``"en"``.

    Returns
    -------
    The Axes; :func:`alt_text` gives its alt text.
    """
    language = check_language(language)
    rows, year = select(estimates, [indicator], year, group_vars, estimate_type)
    kind = rows["kind"].iloc[0]
    if show_n is None:
        show_n = not_generalisable(rows)
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
            label = group_label(group_var, row["group"], language)
            if show_n:
                label = n_label(label, row, language)
            color = theme.GROUP_COLORS.get(row["group"],
                                           colors.get(group_var, theme.SERIES_COLOR))
            bars.append(bar_from_row(row, label, color))
            positions.append(y)
            y += 1.0
        y += 0.6  # a gap between breakdowns
    refs = references.for_indicator(reference_values, indicator)
    ax = new_axes(ax, 1.1 + 0.3 * len(bars) + reference_extra_height(refs))
    hbars(ax, bars, positions, kind, language)
    ref_notes, ref_alt = reference_lines(ax, refs, kind, language)
    ax.set_xlabel(axis_label(rows, kind, language))
    set_title(ax, title, f"{indicator_label(indicator, language)}, {fmt.year(year)}")
    draw_footnote(ax, notes_for(bars, language, level=ci_level(rows)) + ref_notes)
    set_alt_text(ax, _groups_sentence(subject_of(indicator, year, language), bars, kind,
                                      language) + ref_alt)
    return ax


def by_area(estimates: pd.DataFrame, indicator: str = "otrygg_kvall", year: int | None = None,
            *, ax: Axes | None = None, title: str | None = None, reference: bool = True,
            show_n: bool | None = None, estimate_type: str | None = None,
            reference_values: pd.DataFrame | None = None, language: str = "sv") -> Axes:
    """An indicator by area, highest first, with CIs; suppressed areas last.

    ``reference`` draws the municipality's total as a dashed line;
    ``reference_values`` (e.g. the national figure) are dash-dotted lines
    named below the bars. Other parameters as in :func:`by_group`.
    """
    language = check_language(language)
    rows, year = select(estimates, [indicator], year, ("area", "total"), estimate_type)
    kind = rows["kind"].iloc[0]
    areas = _sorted_areas(rows)
    if areas.empty:
        raise TrygghetError(f"inga skattningar per område för {indicator} år {year}")
    if show_n is None:
        show_n = not_generalisable(rows)
    bars = []
    for _, row in areas.iterrows():
        label = n_label(row["group"], row, language) if show_n else str(row["group"])
        bars.append(bar_from_row(row, label, theme.SERIES_COLOR))
    refs = references.for_indicator(reference_values, indicator)
    ax = new_axes(ax, 1.2 + 0.27 * len(bars) + reference_extra_height(refs))
    hbars(ax, bars, [float(i) for i in range(len(bars))], kind, language, height=0.62)
    ref_notes, ref_alt = reference_lines(ax, refs, kind, language)
    total = find_row(rows, group_var="total")
    if reference and total is not None and symbol_of(total) == "":
        value = float(total["estimate"])
        ax.axvline(value, color=theme.MUTED, linestyle=(0, (4, 3)), linewidth=1.0, zorder=4)
        ax.annotate(f"{tr('group.Totalt', language)} {value_text(value, kind, language)}",
                    xy=(value, 1.0), xycoords=("data", "axes fraction"), xytext=(0, 3),
                    textcoords="offset points", ha="center", va="bottom", fontsize=7.5,
                    color=theme.MUTED)
    ax.set_xlabel(axis_label(rows, kind, language))
    set_title(ax, title, f"{indicator_label(indicator, language)}, {fmt.year(year)}", pad=16)
    draw_footnote(ax, notes_for(bars, language, level=ci_level(rows)) + ref_notes)
    set_alt_text(ax, extremes_sentence(subject_of(indicator, year, language), bars, kind,
                                       language) + ref_alt)
    return ax


def by_time_of_day(estimates: pd.DataFrame, year: int | None = None, *, by: str = "total",
                   ax: Axes | None = None, title: str | None = None,
                   include_never: bool = False, estimate_type: str | None = None,
                   language: str = "sv", times: dict[str, str] | None = None) -> Axes:
    """When people feel most unsafe (the ``tid_*`` indicators), in the order of the day.

    This is the darkness finding: insecurity rises in the evening and at night.

    Parameters
    ----------
    by
        ``"total"`` for one bar per time, ``"sex"`` for women and men side by side.
    include_never
        Also show the answer *Aldrig* (never unsafe).
    times
        ``{indicator: time of day}`` in the order of the day: the questionnaire's
        ``tid`` family (:meth:`~trygghet.questionnaire.Questionnaire.family`);
        default the bundled questionnaire's. Times not asked that year are left out.
    """
    times = resolve(None).family("tid") if times is None else times
    language = check_language(language)
    if by not in ("total", "sex"):
        raise ValueError("by must be 'total' or 'sex'")
    indicators = [i for i, t in times.items() if include_never or t != "Aldrig"]
    rows, year = select(estimates, indicators, year, (by,), estimate_type)
    asked = set(rows.loc[rows["suppression_reason"].ne("not_asked"), "indicator"])
    indicators = [i for i in indicators if i in asked]
    groups = ["Totalt"] if by == "total" else ["Kvinna", "Man"]
    bars, positions = [], []
    step = 1.0 if by == "total" else 2.5
    for i, indicator in enumerate(indicators):
        time = times[indicator]
        time_label = label_of("option", time, language)
        for j, group in enumerate(groups):
            row = find_row(rows, indicator=indicator, group_var=by) if by == "total" else \
                find_row(rows, indicator=indicator, group=group)
            label = time_label if by == "total" else \
                f"{time_label}, {group_label('sex', group, language).lower()}"
            color = theme.SERIES_COLOR if by == "total" else theme.GROUP_COLORS[group]
            bar = bar_from_row(row, label, color) if row is not None else \
                Bar(label, math.nan, math.nan, math.nan, fmt.MISSING, color, group=group)
            bar.time = time
            bars.append(bar)
            positions.append(i * step + j * 0.9)
    ax = new_axes(ax, 1.2 + (0.3 if by == "total" else 0.24) * len(bars))
    hbars(ax, bars, positions, "share", language, height=0.68 if by == "total" else 0.82)
    if by == "sex":
        # One tick label per time of day; the legend tells women from men.
        ax.set_yticks([i * step + 0.45 for i in range(len(indicators))],
                      [b.label.split(",")[0] for b in bars[::2]])
        handles = [Patch(color=theme.GROUP_COLORS[g], label=group_label("sex", g, language))
                   for g in groups]
        ax.legend(handles=handles, loc="lower right", ncols=2)
    ax.set_xlabel(axis_label(rows, "share", language))
    set_title(ax, title, f"{chart_text('by_time_title', language)}, {fmt.year(year)}")
    draw_footnote(ax, notes_for(bars, language, level=ci_level(rows)))
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
    rows, year = select(estimates, [indicator], year, ("area", "total"), estimate_type)
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
        return label_of("band", name, language)

    bars = []
    for _, row in areas.iterrows():
        bar = bar_from_row(row, str(row["group"]), theme.SERIES_COLOR)
        if not math.isnan(bar.value):
            bar.color = colors[band_of(bar.value)]
            bar.extra = shown_name(band_of(bar.value)).lower()
        bars.append(bar)
    ax = new_axes(ax, 1.3 + 0.27 * len(bars))
    hbars(ax, bars, [float(i) for i in range(len(bars))], "mean", language, xmax=6.0,
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
    ax.set_xlabel(chart_text("index_axis", language))
    set_title(ax, title, f"{indicator_label(indicator, language)}, {fmt.year(year)}", pad=26)
    draw_footnote(ax, notes_for(bars, language, [chart_text("index_note", language)],
                                level=ci_level(rows)))
    sentence = extremes_sentence(subject_of(indicator, year, language), bars, "mean", language)
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
               estimate_type: str | None = None, language: str = "sv",
               options: dict[str, str] | None = None) -> Axes:
    """The areas residents want prioritised (``prio_*``), most wanted first.

    ``group`` picks the row of the estimates (``"Totalt"``, ``"Kvinna"``, an area…).
    ``options`` is ``{indicator: option}`` of the options the questionnaire
    offered (its ``prio`` family; default the bundled questionnaire's); an
    option not asked that year is left out, not shown as missing.
    """
    language = check_language(language)
    options = resolve(None).family("prio") if options is None else options
    rows, year = select(estimates, list(options), year,
                         ("total", "sex", "age_group", "area", "relation"), estimate_type)
    rows = rows[(rows["group"] == group) & rows["suppression_reason"].ne("not_asked")]
    if rows.empty:
        raise TrygghetError(f"inga skattningar av prioriteringar för gruppen {group} år {year}")
    bars = []
    other = label_of("option", "Annat", language)
    for _, row in rows.iterrows():
        name = label_of("option", options[row["indicator"]], language)
        bars.append(bar_from_row(row, name, theme.PALETTE["purple"]))
    # Most wanted first; "Annat" (other) and unpublishable rows last.
    bars.sort(key=lambda b: (math.isnan(b.value), b.label == other,
                             0 if math.isnan(b.value) else -b.value))
    ax = new_axes(ax, 1.2 + 0.3 * len(bars))
    hbars(ax, bars, [float(i) for i in range(len(bars))], "share", language)
    ax.set_xlabel(axis_label(rows, "share", language))
    default = chart_text("prio_title", language) + f", {fmt.year(year)}"
    if group != "Totalt":
        default += f" ({group_label('', group, language)})"
    set_title(ax, title, default)
    draw_footnote(ax, notes_for(bars, language, [chart_text("prio_note", language)],
                                level=ci_level(rows)))
    shown = [b for b in bars if not math.isnan(b.value)]
    phrases = [f"{fmt.lower_first(b.label)} ({value_text(b.value, 'share', language)})"
               for b in shown[:3]]
    if shown:
        text = tr("alt.priorities", language, title=chart_text("prio_title", language),
                  year=fmt.year(year), items=fmt.join(phrases, language=language))
    else:
        text = tr("alt.priorities_none", language, year=fmt.year(year))
    set_alt_text(ax, text + hidden_clause(bars, language) + ".")
    return ax
