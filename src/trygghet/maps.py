"""Choropleth maps of the survey's figures by area, and the same figures as a table.

The shapes come from :mod:`trygghet.geo` (:func:`~trygghet.geo.load_area_map`):
the municipality's boundaries, the sample's schematic map, or a **tile map**
(one square per area) where no boundaries exist. The maps follow the chart
module's conventions (:mod:`trygghet.charts`), so that a reader can trust them:

* **Never colour alone.** Every area carries its value written on it, in a
  white box so it reads on any fill; areas too small for their label get it
  beside the map with a leader line. The legend names each class with its
  limits (``20–29 %``; for the 0–6 indices, the project's bands from
  ``indices.yml`` with their limits). The same figures come as a table from
  :func:`map_table`, to print beside or below the map.
* **Suppressed is never a colour.** An area whose figure is withheld is hatched
  and labelled ``..`` (``.`` where the question was not asked), explained in a
  footnote; its value appears nowhere in the drawing.
* **Colours** are colour-blind safe and sequential (ColorBrewer's PuRd for
  shares, the index bands' own ramp for indices), each with at least 3:1
  contrast against the white page; areas are separated by white lines.
* **Honest geography.** A schematic map says *Schematisk karta, inte verkliga
  gränser*, a tile map says that its squares show neither location nor size,
  real boundaries carry their source (``maps.attribution``, e.g. *Källa: SCB*).
* **Alt text** computed from the data: the extremes and every class with its
  areas. Read it with :func:`trygghet.charts.alt_text`; show the map with
  :func:`trygghet.charts.show`.

How a map is laid out and drawn is :mod:`trygghet.map_layout`'s job; where
the trygghetsronder were held is :mod:`trygghet.rounds_map`. The words of all
three are in the vocabulary (``map.*``, :func:`map_text`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes

from . import fmt, theme
from .charts import set_alt_text
from .errors import TrygghetError
from .geo import AreaMap, tile_map
from .indicators import index_config
from .map_layout import HATCH, NO_VALUE, MapArea, draw_map, swatch
from .vocabulary import check_language, label, tr

# --- Colours ----------------------------------------------------------------------------------

SHARE_RAMP = theme.SHARE_RAMP  # the classes of a share on a map (theme.py)


#: Words of the map that the charts share (vocabulary keys); the rest are ``map.<key>``.
SHARED_WORDS = {"share": "chart.share", "share_resp": "chart.share_resp",
                "index": "chart.index_axis", "suppressed": "symbol.suppressed",
                "missing": "symbol.missing", "opt_in": "chart.opt_in",
                "index_note": "chart.index_note", "and": "unit.and",
                "area": "group_var.area"}


def map_text(key: str, language: str, **fields) -> str:
    """A word of the maps from the vocabulary (``map.<key>`` or a shared chart word)."""
    return tr(SHARED_WORDS.get(key, f"map.{key}"), language, **fields)


def _t(key: str, language: str) -> str:
    return map_text(key, language)


def _join(items: Sequence[str], language: str) -> str:
    return fmt.join(list(items), language=language)


# --- Classes ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class MapClass:
    """A legend class: the values ``lower ≤ v < upper`` (as written on the map), its colour."""

    lower: float
    upper: float
    label: str
    color: str

    def contains(self, value: float) -> bool:
        return self.lower <= value < self.upper


def _spread(n: int, ramp: Sequence[str]) -> list[str]:
    """``n`` colours from a ramp, as far apart as possible, lightest first."""
    if n == 1:
        return [ramp[len(ramp) // 2]]
    return [ramp[int(round(i))] for i in np.linspace(0, len(ramp) - 1, n)]


def share_classes(percents: Sequence[int], *, language: str = "sv") -> list[MapClass]:
    """Equal classes of whole per cents covering ``percents`` (the values as written).

    The width is the smallest of 5, 10, 20 and 25 percentage points that needs
    at most five classes, so ``[8, 45]`` gives ``0–9 %`` … ``40–49 %``. Class
    limits are whole per cents because the map writes whole per cents: a value
    written ``20 %`` is always in the class ``20–29 %``.
    """
    if not len(percents):
        return []
    lo, hi = min(percents), max(percents)
    width = next(w for w in (5, 10, 20, 25, 50) if hi // w - lo // w + 1 <= 5)
    starts = list(range(lo // width * width, hi // width * width + 1, width))
    unit = fmt.percent(0, 0, language=language).removeprefix("0")
    labels = [f"{s}{unit}" if s >= 100 else f"{s}{fmt.EN_DASH}{min(s + width - 1, 100)}{unit}"
              for s in starts]
    colors = _spread(len(starts), SHARE_RAMP)
    return [MapClass(s, s + width, label, color)
            for s, label, color in zip(starts, labels, colors, strict=True)]


def index_classes(values: Sequence[float], *, language: str = "sv",
                  bands: Sequence[Sequence[Any]] | None = None) -> list[MapClass]:
    """The index bands from the lowest to the highest of ``values``.

    ``bands`` are the questionnaire's ``indices.bands`` (``[[lower, name], …]``;
    default: the bundled questionnaire's).

    ``values`` are as written (2 decimals); a band between two used ones is
    kept, so that the legend's scale has no gap.
    Labelled with name and limits (``Måttlig nivå 1,50–2,49``), coloured like
    the bands in :func:`trygghet.charts.index_by_area`.
    """
    bands = [(float(lo), str(name)) for lo, name in (bands or index_config()["bands"])]
    colors = theme.band_colors([name for _, name in bands])
    uppers = [lo for lo, _ in bands[1:]] + [math.inf]
    used = [i for i, ((lower, _), upper) in enumerate(zip(bands, uppers, strict=True))
            if any(lower <= v < upper for v in values)]
    out = []
    for i, ((lower, name), upper) in enumerate(zip(bands, uppers, strict=True)):
        if not used or not used[0] <= i <= used[-1]:
            continue
        shown = label("band", name, language)
        limits = (f"{fmt.number(lower, 2, language=language)}{fmt.EN_DASH}"
                  f"{fmt.number(upper - 0.01, 2, language=language)}"
                  if math.isfinite(upper) else
                  f"≥{fmt.NBSP}{fmt.number(lower, 2, language=language)}")
        out.append(MapClass(lower, upper, f"{shown} {limits}", colors[name]))
    return out


# --- The figures per area ---------------------------------------------------------------------

_RANK = {"weighted": 0, "unweighted": 1, "adjusted": 2}


@dataclass
class _Cell:
    area: str
    value: float          # the value as written (rounded); NaN when withheld or missing
    text: str             # what is written on the map
    symbol: str           # "", "..", "." or "–"
    cls: MapClass | None = None
    generalisable: bool = True


def _symbol(row: pd.Series) -> str:
    symbol = row.get("symbol", "")
    symbol = "" if fmt.is_missing(symbol) else str(symbol)
    if not symbol and bool(row.get("suppressed", False)):
        symbol = fmt.SUPPRESSED
    if not symbol and fmt.is_missing(row.get("estimate")):
        symbol = fmt.MISSING
    return symbol


def _area_rows(estimates: pd.DataFrame, indicator: str, year: int | None,
               estimate_type: str | None) -> tuple[pd.DataFrame, int, str]:
    """The primary (or requested) estimate of ``indicator`` per area, for ``year``."""
    needed = {"year", "indicator", "kind", "group_var", "group", "estimate", "suppressed",
              "symbol", "estimate_type"}
    missing = needed - set(estimates.columns)
    if missing:
        raise ValueError(f"the estimates table lacks the columns {sorted(missing)}")
    rows = estimates[(estimates["indicator"] == indicator) & (estimates["group_var"] == "area")]
    if rows.empty:
        raise TrygghetError(f"inga skattningar per område för {indicator}",
                            hint="kör skattningen för året först")
    year = int(rows["year"].max()) if year is None else int(year)
    rows = rows[rows["year"] == year]
    if estimate_type is not None:
        rows = rows[rows["estimate_type"] == estimate_type]
    elif not rows.empty:
        rank = rows["estimate_type"].map(_RANK).fillna(9)
        rows = rows[rank == rank.min()]
    if rows.empty:
        raise TrygghetError(f"inga skattningar per område för {indicator} år {year}",
                            hint="kör skattningen för året först")
    return rows, year, str(rows["kind"].iloc[0])


def _written(value: float, kind: str, language: str) -> str:
    if kind == "share":
        return fmt.percent(value, 0, language=language)
    return fmt.index(value, language=language)


def _cells(estimates: pd.DataFrame, indicator: str, year: int | None, area_map: AreaMap,
           estimate_type: str | None, language: str, bands=None):
    rows, year, kind = _area_rows(estimates, indicator, year, estimate_type)
    by_area = {str(r["group"]): r for _, r in rows.iterrows()}
    cells = []
    for area in area_map.areas:
        row = by_area.get(area)
        if row is None:
            cells.append(_Cell(area, math.nan, fmt.MISSING, fmt.MISSING))
            continue
        symbol = _symbol(row)
        generalisable = bool(row.get("generalisable", True))
        if symbol in (fmt.SUPPRESSED, fmt.MISSING):
            # Withheld: the value never leaves the table, not even into the figure.
            cells.append(_Cell(area, math.nan, symbol, symbol, generalisable=generalisable))
            continue
        raw = 0.0 if symbol == fmt.ZERO else float(row["estimate"])
        # Classify by the value as written, so that "20 %" is always in "20–29 %".
        value = (round(float(fmt.percent(raw, 0, language="en").rstrip("%")))
                 if kind == "share" else float(fmt.index(raw, language="en")))
        text = fmt.ZERO if symbol == fmt.ZERO else _written(raw, kind, language)
        cells.append(_Cell(area, value, text, symbol, generalisable=generalisable))
    shown = [c.value for c in cells if not math.isnan(c.value)]
    classes = (share_classes([int(v) for v in shown], language=language) if kind == "share"
               else index_classes(shown, language=language, bands=bands))
    for c in cells:
        if not math.isnan(c.value):
            c.cls = next(k for k in classes if k.contains(c.value))
    off_map = sorted(set(by_area) - set(area_map.areas))
    return cells, classes, year, kind, off_map


def _indicator_label(indicator: str, language: str) -> str:
    return label("indicator", indicator, language)


def _order(cells: Sequence[_Cell]) -> list[_Cell]:
    """Highest value first; withheld and missing last, by name (as in the by-area chart)."""
    return sorted(cells, key=lambda c: (math.isnan(c.value),
                                        -c.value if not math.isnan(c.value) else 0, c.area))


def map_table(estimates: pd.DataFrame, indicator: str = "otrygg_kvall",
              year: int | None = None, area_map: AreaMap | None = None, *,
              estimate_type: str | None = None, language: str = "sv",
              bands: Sequence[Sequence[Any]] | None = None) -> pd.DataFrame:
    """The figures of :func:`choropleth` as a table: area, value as written, class.

    Same rows, values and symbols as the map, highest first; show it beside or
    below the map (``report.table(frame, caption, numeric=[frame.columns[1]])``).
    """
    check_language(language)  # an unknown language is an error here, before anything is drawn
    area_map = area_map or _default_map(estimates, indicator)
    cells, _, _, kind, _ = _cells(estimates, indicator, year, area_map, estimate_type, language,
                                  bands)
    value_col = _t("share" if kind == "share" else "index", language)
    if kind == "share" and not all(c.generalisable for c in cells):
        value_col = _t("share_resp", language)
    return pd.DataFrame({
        _t("area", language): [c.area for c in _order(cells)],
        value_col: [c.text for c in _order(cells)],
        _t("class", language): [c.cls.label if c.cls else c.symbol for c in _order(cells)],
    })


def _default_map(estimates: pd.DataFrame, indicator: str) -> AreaMap:
    """A tile map of the areas in the estimates, in their order of appearance."""
    rows = estimates[(estimates["indicator"] == indicator) & (estimates["group_var"] == "area")]
    return tile_map(list(dict.fromkeys(rows["group"].astype(str))))


# --- Notes ------------------------------------------------------------------------------------

def geography_note(area_map: AreaMap, language: str) -> str | None:
    if area_map.kind == "schematic":
        return _t("schematic", language)
    if area_map.kind == "tiles":
        return _t("tiles", language)
    return area_map.attribution


# --- Choropleth -------------------------------------------------------------------------------

def choropleth(estimates: pd.DataFrame, indicator: str = "otrygg_kvall",
               year: int | None = None, area_map: AreaMap | None = None, *,
               highlight: str | None = None, title: str | None = None,
               estimate_type: str | None = None, language: str = "sv",
               bands: Sequence[Sequence[Any]] | None = None) -> Axes:
    """An indicator by area on the map: classes by colour, every value written on its area.

    Parameters
    ----------
    estimates
        The estimates table after the disclosure gate (rows with ``group_var
        == "area"`` are used).
    indicator, year
        What to show; ``year=None`` takes the latest year. Shares get classes
        of whole per cents (:func:`share_classes`), indices the bands of the
        questionnaire (``bands``, :func:`index_classes`).
    area_map
        From :func:`trygghet.geo.load_area_map`; default a tile map of the
        areas in the estimates.
    highlight
        An area to outline (the area of an area report).
    title
        Default: the indicator's label and the year; ``""`` for none.
    estimate_type
        As in :func:`trygghet.charts.by_area`: default the year's primary estimate.
    language
        ``"sv"`` or ``"en"``.

    Returns
    -------
    The map's Axes (on a new figure); :func:`trygghet.charts.alt_text` gives its alt text.
    """
    check_language(language)  # an unknown language is an error here, before anything is drawn
    area_map = area_map or _default_map(estimates, indicator)
    if highlight is not None and highlight not in area_map.shapes:
        raise TrygghetError(f"området '{highlight}' finns inte på kartan",
                            hint=f"områdena är: {', '.join(area_map.areas)}")
    cells, classes, year, kind, off_map = _cells(estimates, indicator, year, area_map,
                                                 estimate_type, language, bands)
    drawn = [MapArea(c.area, f"{c.area}\n{c.text}", c.cls.color if c.cls else NO_VALUE,
                     None if c.cls else HATCH, theme.BACKGROUND if c.cls else theme.MUTED)
             for c in cells]
    legend: list[tuple[Artist, str]] = [(swatch(k.color), k.label) for k in reversed(classes)]
    symbols = {c.symbol for c in cells if c.cls is None}
    for symbol, word in ((fmt.SUPPRESSED, "suppressed"), (fmt.MISSING, "missing")):
        if symbol in symbols:
            legend.append((swatch(NO_VALUE, HATCH), f"{symbol}{fmt.NBSP}{_t(word, language)}"))
    opt_in = not all(c.generalisable for c in cells if c.cls)  # an opt-in year
    notes = [n for n in (geography_note(area_map, language),) if n]
    if highlight is not None:
        notes.append(map_text("highlight", language, area=highlight))
    if kind != "share":
        notes.append(_t("index_note", language))
    notes.append(_t("opt_in" if opt_in else "no_ci", language))
    for symbol, key in ((fmt.SUPPRESSED, "sym_suppressed"), (fmt.MISSING, "sym_missing")):
        if symbol in symbols:
            notes.append(_t(key, language))
    if any(c.symbol == fmt.ZERO for c in cells):
        notes.append(_t("sym_zero", language))
    if off_map:
        notes.append(map_text("not_on_map", language, areas=_join(off_map, language)))
    label = _indicator_label(indicator, language)
    default = map_text("title", language, label=label, year=fmt.year(year))
    legend_title = _t(("share_resp" if opt_in else "share") if kind == "share" else "index",
                      language)
    ax = draw_map(area_map, drawn, title=default if title is None else title, legend=legend,
                  legend_title=legend_title, notes=notes, highlight=highlight)
    set_alt_text(ax, _alt(cells, classes, f"{label}, {fmt.year(year)}", area_map, highlight,
                          language))
    return ax


def _alt(cells: Sequence[_Cell], classes: Sequence[MapClass], subject: str,
         area_map: AreaMap, highlight: str | None, language: str) -> str:
    """'Karta: <subject> per område: högst i A (45 %) och lägst i B (8 %) …; 40–49 %: A; …'."""
    shown = [c for c in cells if c.cls]
    head = f"{_t('map_of', language)}: "
    if shown:
        hi = max(shown, key=lambda c: c.value)
        lo = min(shown, key=lambda c: c.value)
        text = head + map_text("alt_extremes", language,
            subject=subject, hi=f"{hi.area} ({hi.text})", lo=f"{lo.area} ({lo.text})",
            n=len(shown))
    else:
        text = head + map_text("alt_none", language, subject=subject)
    parts = []
    for k in reversed(classes):
        members = [c.area for c in _order(shown) if c.cls is k]
        if members:
            parts.append(map_text("alt_class", language, label=k.label,
                                                          areas=_join(members, language)))
    hidden = [c.area for c in cells if not c.cls]
    if hidden:
        parts.append(map_text("alt_hidden", language, areas=_join(hidden, language)))
    if highlight is not None:
        parts.append(map_text("alt_highlight", language, area=highlight))
    text += "; " + "; ".join(parts) if parts else ""
    note = geography_note(area_map, language)
    return text + "." + (f" {note}" if note else "")


__all__ = [
    "map_text", "SHARE_RAMP", "MapClass", "share_classes", "index_classes", "choropleth",
    "map_table", "geography_note",
]
