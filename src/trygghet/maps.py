"""Maps of the areas: choropleths of the survey's figures and where the trygghetsronder were.

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

A map takes the whole width of the PDF's text column; its layout (title, map,
legend, leader-line labels, footnotes) is computed here rather than by
matplotlib's layout engine, so that the labels can be fitted to the areas
before anything is drawn.
"""

from __future__ import annotations

import csv
import io
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path as MplPath
from matplotlib.textpath import TextToPath
from shapely.geometry.base import BaseGeometry
from shapely.ops import polylabel

from . import fmt, theme
from .charts import set_alt_text
from .errors import TrygghetError
from .geo import TARGET_EPSG, AreaMap, tile_map
from .indicators import INDICATORS, index_config
from .mapping import normalise

# --- Words (one dict; the lead moves them to the vocabulary module) ---------------------------

WORDS = {
    "sv": {
        "title": "{label}, {year}",
        "share": "Andel",
        "share_resp": "Andel av de svarande",
        "index": "Indexvärde (0–6)",
        "area": "Område",
        "class": "Klass",
        "legend_share": "Andel",
        "legend_index": "Problemindex (0–6)",
        "suppressed": "redovisas inte",
        "missing": "uppgift saknas",
        "sym_suppressed": ".. = redovisas inte: för få svar, eller så få med ett visst svar "
                          "att någon skulle kunna pekas ut.",
        "sym_missing": ". = uppgift saknas (frågan ställdes inte).",
        "schematic": "Schematisk karta, inte verkliga gränser.",
        "tiles": "Rutkarta: en ruta per område. Rutorna visar inte områdenas läge eller storlek.",
        "no_ci": "Kartan visar skattningarna utan felmarginaler; konfidensintervallen finns i "
                 "diagrammet och tabellerna.",
        "opt_in": "Ej slumpmässigt urval: andel av de svarande, som inte kan generaliseras "
                  "till befolkningen.",
        "highlight": "Tjock kant: {area}.",
        "not_on_map": "{areas} finns inte på kartan.",
        "index_note": "Kommunens egen beräkning på Polisens skala 0–6 (lägre är bättre); "
                      "nivåerna är projektets egen indelning.",
        "map_of": "Karta",
        "alt_extremes": "{subject} per område: högst i {hi} och lägst i {lo} av {n} områden",
        "alt_none": "{subject} per område: inga områden kan redovisas",
        "alt_class": "{label}: {areas}",
        "alt_hidden": "{areas} redovisas inte",
        "alt_highlight": "{area} är markerat med tjock kant",
        "rounds_title": "Var trygghetsronderna hölls, {year}",
        "rounds_held": "Trygghetsrond genomförd",
        "rounds_cancelled": "Inställd trygghetsrond",
        "rounds_point": "Plats för iakttagelse",
        "rounds_cancelled_label": "inställd {date}",
        "rounds_alt_held": "Trygghetsronder {year}: genomförda i {areas}",
        "rounds_alt_none": "Inga trygghetsronder genomfördes {year}",
        "rounds_alt_cancelled": "inställda i {areas}",
        "rounds_alt_points": "{n} platser för iakttagelser är markerade",
        "rounds_alt_point": "1 plats för en iakttagelse är markerad",
        "rounds_points_tiles": "Rutkartan visar områdena där ronderna hölls; platserna inom "
                               "områdena kan visas först när kartan har gränser.",
        "and": "och",
    },
    "en": {
        "title": "{label}, {year}",
        "share": "Share",
        "share_resp": "Share of respondents",
        "index": "Index (0–6)",
        "area": "Area",
        "class": "Class",
        "legend_share": "Share",
        "legend_index": "Problem index (0–6)",
        "suppressed": "not shown",
        "missing": "not available",
        "sym_suppressed": ".. = not shown: too few answers, or so few with a given answer "
                          "that someone could be identified.",
        "sym_missing": ". = not available (the question was not asked).",
        "schematic": "Schematic map, not real boundaries.",
        "tiles": "Tile map: one square per area. The squares show neither location nor size.",
        "no_ci": "The map shows the estimates without margins of error; the confidence "
                 "intervals are in the chart and the tables.",
        "opt_in": "Not a random sample: shares of the respondents, which cannot be generalised "
                  "to the population.",
        "highlight": "Thick outline: {area}.",
        "not_on_map": "{areas} not on the map.",
        "index_note": "The municipality's own calculation on the Police's 0–6 scale (lower is "
                      "better); the levels are the project's own convention.",
        "map_of": "Map",
        "alt_extremes": "{subject} by area: highest in {hi} and lowest in {lo} of {n} areas",
        "alt_none": "{subject} by area: no areas can be shown",
        "alt_class": "{label}: {areas}",
        "alt_hidden": "{areas} not shown",
        "alt_highlight": "{area} has a thick outline",
        "rounds_title": "Where the safety walks were held, {year}",
        "rounds_held": "Safety walk held",
        "rounds_cancelled": "Safety walk cancelled",
        "rounds_point": "Place of an observation",
        "rounds_cancelled_label": "cancelled {date}",
        "rounds_alt_held": "Safety walks {year}: held in {areas}",
        "rounds_alt_none": "No safety walks were held in {year}",
        "rounds_alt_cancelled": "cancelled in {areas}",
        "rounds_alt_points": "{n} places of observations are marked",
        "rounds_alt_point": "1 place of an observation is marked",
        "rounds_points_tiles": "The tile map shows the areas where the walks were held; the "
                               "places within them need a map with boundaries.",
        "and": "and",
    },
}
BANDS_EN = {"Låg nivå": "Low level", "Måttlig nivå": "Moderate level",
            "Förhöjd nivå": "Elevated level", "Hög nivå": "High level"}

# --- Colours ----------------------------------------------------------------------------------

#: Classes of a share, lightest first: ColorBrewer PuRd (colour-blind safe, sequential in
#: lightness), its five darkest steps, each ≥ 3:1 against white (3.2, 4.1, 5.5, 8.7, 13.2).
SHARE_RAMP = ("#DF65B0", "#E7298A", "#CE1256", "#980043", "#67001F")
#: Fill of an area without a value (hatched as well): the page colour.
NO_VALUE = theme.BACKGROUND
#: An area where a trygghetsrond was held (≥ 4.5:1 on white).
ROUND_COLOR = theme.PALETTE["green"]
#: The label box: white, slightly translucent, so that it reads on every fill.
LABEL_BOX = {"boxstyle": "round,pad=0.18,rounding_size=0.25", "facecolor": theme.BACKGROUND,
             "edgecolor": "none", "alpha": 0.9}
HATCH = "////"

# Layout, in inches.
_LABEL_SIZE = 7.5
_LEGEND_WIDTH = 1.85
_MAP_HEIGHT = 4.3
_GAP = 0.12


def _t(key: str, language: str) -> str:
    return WORDS[language][key]


def _language(language: str) -> str:
    if language not in WORDS:
        raise ValueError(f"language must be 'sv' or 'en', not {language!r}")
    return language


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
    unit = f"{fmt.NBSP}%" if language == "sv" else "%"
    labels = [f"{s}{unit}" if s >= 100 else f"{s}{fmt.EN_DASH}{min(s + width - 1, 100)}{unit}"
              for s in starts]
    colors = _spread(len(starts), SHARE_RAMP)
    return [MapClass(s, s + width, label, color)
            for s, label, color in zip(starts, labels, colors, strict=True)]


def index_classes(values: Sequence[float], *, language: str = "sv") -> list[MapClass]:
    """The index bands of ``indices.yml`` from the lowest to the highest of ``values``.

    ``values`` are as written (2 decimals); a band between two used ones is
    kept, so that the legend's scale has no gap.
    Labelled with name and limits (``Måttlig nivå 1,50–2,49``), coloured like
    the bands in :func:`trygghet.charts.index_by_area`.
    """
    bands = [(float(lo), str(name)) for lo, name in index_config()["bands"]]
    colors = theme.band_colors([name for _, name in bands])
    uppers = [lo for lo, _ in bands[1:]] + [math.inf]
    used = [i for i, ((lower, _), upper) in enumerate(zip(bands, uppers, strict=True))
            if any(lower <= v < upper for v in values)]
    out = []
    for i, ((lower, name), upper) in enumerate(zip(bands, uppers, strict=True)):
        if not used or not used[0] <= i <= used[-1]:
            continue
        shown = name if language == "sv" else BANDS_EN.get(name, name)
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
           estimate_type: str | None, language: str):
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
        cells.append(_Cell(area, value, _written(raw, kind, language), symbol,
                           generalisable=generalisable))
    shown = [c.value for c in cells if not math.isnan(c.value)]
    classes = (share_classes([int(v) for v in shown], language=language) if kind == "share"
               else index_classes(shown, language=language))
    for c in cells:
        if not math.isnan(c.value):
            c.cls = next(k for k in classes if k.contains(c.value))
    off_map = sorted(set(by_area) - set(area_map.areas))
    return cells, classes, year, kind, off_map


def _indicator_label(indicator: str, language: str) -> str:
    ind = INDICATORS.get(indicator)
    if ind is None:
        return indicator
    return ind.label if language == "sv" else ind.label_en


def _order(cells: Sequence[_Cell]) -> list[_Cell]:
    """Highest value first; withheld and missing last, by name (as in the by-area chart)."""
    return sorted(cells, key=lambda c: (math.isnan(c.value),
                                        -c.value if not math.isnan(c.value) else 0, c.area))


def map_table(estimates: pd.DataFrame, indicator: str = "otrygg_kvall",
              year: int | None = None, area_map: AreaMap | None = None, *,
              estimate_type: str | None = None, language: str = "sv") -> pd.DataFrame:
    """The figures of :func:`choropleth` as a table: area, value as written, class.

    Same rows, values and symbols as the map, highest first; show it beside or
    below the map (``report.table(frame, caption, numeric=[frame.columns[1]])``).
    """
    language = _language(language)
    area_map = area_map or _default_map(estimates, indicator)
    cells, _, _, kind, _ = _cells(estimates, indicator, year, area_map, estimate_type, language)
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


# --- Drawing ----------------------------------------------------------------------------------

_TEXT_TO_PATH = TextToPath()


def _text_inches(text: str, size: float) -> tuple[float, float]:
    """Width and height (inches) of a multi-line text at ``size`` points, without a renderer."""
    prop = FontProperties(size=size)
    lines = text.split("\n")
    width = max(_TEXT_TO_PATH.get_text_width_height_descent(line, prop, ismath=False)[0]
                for line in lines)
    return width / 72, len(lines) * size * 1.2 / 72


def _mpl_path(geometry: BaseGeometry) -> MplPath:
    """A (multi)polygon with holes as one matplotlib path (exteriors CCW, holes CW)."""
    vertices, codes = [], []
    for polygon in shapely.get_parts(shapely.orient_polygons(geometry)):
        for ring in (polygon.exterior, *polygon.interiors):
            xy = np.asarray(ring.coords)
            vertices.append(xy)
            codes.append([MplPath.MOVETO] + [MplPath.LINETO] * (len(xy) - 2)
                         + [MplPath.CLOSEPOLY])
    return MplPath(np.concatenate(vertices), np.concatenate(codes).astype(np.uint8))


def _anchor(geometry: BaseGeometry,
            avoid: BaseGeometry | None = None) -> tuple[BaseGeometry, shapely.Point]:
    """The largest part of a shape and its pole of inaccessibility (the label's place).

    ``avoid`` (the dots of a rounds map) is cut out first, so the label does
    not hide them.
    """
    part = max(shapely.get_parts(geometry), key=lambda p: p.area)
    if avoid is not None and part.intersects(avoid):
        rest = part.difference(avoid)
        if not rest.is_empty:
            inner = max(shapely.get_parts(rest), key=lambda p: p.area)
            return part, polylabel(inner, tolerance=math.sqrt(inner.area) / 100)
    if shapely.get_num_coordinates(part) == 5 and part.equals(part.envelope):
        return part, part.centroid  # a tile
    return part, polylabel(part, tolerance=math.sqrt(part.area) / 100)


@dataclass
class _Area:
    """How one area is drawn."""

    name: str
    label: str
    fill: str
    hatch: str | None = None
    edge: str = theme.BACKGROUND


def _simplified(area_map: AreaMap) -> dict[str, BaseGeometry]:
    """Real boundaries can carry far more detail than a 6-inch map shows: drop it."""
    shapes = area_map.shapes
    if sum(shapely.get_num_coordinates(g) for g in shapes.values()) <= 3000:
        return dict(shapes)
    x0, y0, x1, y1 = shapely.total_bounds(list(shapes.values()))
    tolerance = max(x1 - x0, y1 - y0) / 2000
    return {a: shapely.simplify(g, tolerance, preserve_topology=True) for a, g in shapes.items()}


def _fits(part: BaseGeometry, point: shapely.Point, label: str, scale: float) -> bool:
    """Whether a label's box (at ``scale`` inches per map unit) lies (90 %) inside ``part``."""
    w, h = _text_inches(label, _LABEL_SIZE)
    half_w, half_h = (w / 2 + 0.05) / scale, (h / 2 + 0.04) / scale
    box = shapely.box(point.x - half_w, point.y - half_h, point.x + half_w, point.y + half_h)
    return part.intersection(box).area >= 0.9 * box.area


def _place_labels(shapes: dict[str, BaseGeometry], areas: Sequence[_Area], scale: float,
                  points: np.ndarray | None, middle: float):
    """Each label's place, and the areas whose label goes beside the map (left or right)."""
    dots = (None if points is None or not len(points) else
            shapely.MultiPoint(points).buffer(0.12 / scale))
    anchors: dict[str, shapely.Point] = {}
    beside: dict[str, list[_Area]] = {"left": [], "right": []}
    for area in areas:
        part, point = _anchor(shapes[area.name], dots)
        anchors[area.name] = point
        if not _fits(part, point, area.label, scale):
            beside["left" if point.x < middle else "right"].append(area)
    return anchors, beside


def _draw(area_map: AreaMap, areas: Sequence[_Area], *, title: str,
          legend: Sequence[tuple[object, str]], legend_title: str, notes: Sequence[str],
          highlight: str | None = None, points: np.ndarray | None = None) -> Axes:
    """Lay out and draw a map: title, areas with labels, legend, leader labels, notes.

    Layout, left to right: leader labels of small areas on the left half, the
    map, those of the right half, the legend. Labels are fitted first at the
    widest possible scale; an area whose label does not fit gets it beside the
    map, with a line to the area.
    """
    shapes = _simplified(area_map)
    x0, y0, x1, y1 = shapely.total_bounds(list(shapes.values()))
    pad = 0.02 * max(x1 - x0, y1 - y0)
    x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
    room = theme.TEXT_WIDTH - _LEGEND_WIDTH - _GAP
    scale = min(room / (x1 - x0), _MAP_HEIGHT / (y1 - y0))  # inches per map unit
    # Labels that do not fit widen the side columns, which shrinks the map, so that
    # more may not fit: repeat until nothing changes (the scale only ever falls).
    for _ in range(6):
        anchors, beside = _place_labels(shapes, areas, scale, points, (x0 + x1) / 2)
        widths = {side: (max(_text_inches(a.label, _LABEL_SIZE)[0] for a in group) + 0.3
                         if group else 0.0) for side, group in beside.items()}
        fitted = min((room - widths["left"] - widths["right"]) / (x1 - x0),
                     _MAP_HEIGHT / (y1 - y0))
        if fitted >= scale * 0.999:
            break
        scale = fitted
    scale = min(scale, fitted)
    map_w, map_h = (x1 - x0) * scale, (y1 - y0) * scale
    title_lines = textwrap.wrap(title, 80) or [""]
    note_lines = [line for n in notes for line in (textwrap.wrap(n, 105) or [""])]
    legend = [(h, textwrap.fill(label, 21)) for h, label in legend]
    title_h = 0.1 + len(title_lines) * 0.19 + 0.12
    legend_h = 0.35 + sum(0.2 + 0.13 * label.count("\n") for _, label in legend)
    body_h = max(map_h, legend_h)
    notes_h = (0.12 + len(note_lines) * 0.155) if note_lines else 0.0
    height = title_h + body_h + notes_h + 0.08
    fig = Figure(figsize=(theme.TEXT_WIDTH, height))
    fig.set_layout_engine("none")  # the layout is computed here, not by matplotlib
    ax = fig.add_axes((widths["left"] / theme.TEXT_WIDTH,
                       (notes_h + 0.04 + body_h - map_h) / height,
                       map_w / theme.TEXT_WIDTH, map_h / height))
    ax.set_axis_off()
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal", adjustable="box")
    fig.text(0, 1 - 0.1 / height, "\n".join(title_lines), ha="left", va="top",
             fontsize=theme.RC["axes.titlesize"], fontweight="bold", color=theme.TEXT,
             linespacing=1.3)
    for area in areas:
        ax.add_patch(PathPatch(_mpl_path(shapes[area.name]), facecolor=area.fill,
                               edgecolor=area.edge, linewidth=0.8 if area.hatch is None else 0.6,
                               hatch=area.hatch, zorder=2 if area.hatch is None else 1.5))
    outline = shapely.union_all(list(shapes.values()))
    ax.add_patch(PathPatch(_mpl_path(outline), facecolor="none", edgecolor=theme.MUTED,
                           linewidth=0.7, zorder=3))
    if highlight is not None:
        ax.add_patch(PathPatch(_mpl_path(shapes[highlight]), facecolor="none",
                               edgecolor=theme.TEXT, linewidth=2.4, zorder=4,
                               joinstyle="round"))
    if points is not None and len(points):
        ax.plot(points[:, 0], points[:, 1], linestyle="none", marker="o", markersize=5.5,
                markerfacecolor=theme.TEXT, markeredgecolor=theme.BACKGROUND,
                markeredgewidth=1.0, zorder=6)
    aside = {a.name for group in beside.values() for a in group}
    for area in areas:
        if area.name in aside:
            continue
        point = anchors[area.name]
        ax.text(point.x, point.y, area.label, ha="center", va="center", fontsize=_LABEL_SIZE,
                color=theme.TEXT, linespacing=1.2, bbox=LABEL_BOX, zorder=5,
                fontweight="bold" if area.name == highlight else "normal")
    for side, group in beside.items():
        _leader_labels(ax, group, anchors, scale, side, (x0, y0, x1, y1), highlight)
    fig.legend([h for h, _ in legend], [label for _, label in legend], title=legend_title or None,
               loc="upper left",
               bbox_to_anchor=((theme.TEXT_WIDTH - _LEGEND_WIDTH + 0.1) / theme.TEXT_WIDTH,
                               1 - title_h / height),
               alignment="left", handlelength=1.6, handleheight=1.1, borderaxespad=0)
    if note_lines:
        fig.text(0, (notes_h - 0.1) / height, "\n".join(note_lines), ha="left", va="top",
                 fontsize=7.5, color=theme.MUTED, linespacing=1.4)
    return ax


def _leader_labels(ax: Axes, group: Sequence[_Area], anchors: dict, scale: float, side: str,
                   bounds: tuple[float, float, float, float], highlight: str | None) -> None:
    """Labels of areas too small for them, in a column beside the map, with leader lines.

    Each label goes to its area's height, moved just enough not to overlap the
    one above it (and the column up again if that pushes it below the map).
    """
    if not group:
        return
    x0, y0, x1, y1 = bounds
    def height(area: _Area) -> float:  # in map units, with a gap
        return (_text_inches(area.label, _LABEL_SIZE)[1] + 0.08) / scale

    wanted = sorted(group, key=lambda a: -anchors[a.name].y)
    ys, bottom = [], y1
    for area in wanted:  # centres, each below the one above it
        y = min(anchors[area.name].y, bottom - height(area) / 2)
        ys.append(y)
        bottom = y - height(area) / 2
    if ys[-1] < y0:
        ys = [y + (y0 - ys[-1]) for y in ys]
    text_x = x1 + 0.2 / scale if side == "right" else x0 - 0.2 / scale
    for area, y in zip(wanted, ys, strict=True):
        point = anchors[area.name]
        ax.annotate(area.label, xy=(point.x, point.y), xytext=(text_x, y), linespacing=1.2,
                    ha="left" if side == "right" else "right", va="center",
                    fontsize=_LABEL_SIZE, color=theme.TEXT, annotation_clip=False, zorder=5,
                    fontweight="bold" if area.name == highlight else "normal",
                    arrowprops={"arrowstyle": "-", "color": theme.TEXT, "linewidth": 0.6,
                                "shrinkA": 1, "shrinkB": 0})


def _swatch(color: str, hatch: str | None = None) -> Patch:
    return Patch(facecolor=color, edgecolor=theme.MUTED if hatch else color, hatch=hatch,
                 linewidth=0.6)


def _geography_note(area_map: AreaMap, language: str) -> str | None:
    if area_map.kind == "schematic":
        return _t("schematic", language)
    if area_map.kind == "tiles":
        return _t("tiles", language)
    return area_map.attribution


# --- Choropleth -------------------------------------------------------------------------------

def choropleth(estimates: pd.DataFrame, indicator: str = "otrygg_kvall",
               year: int | None = None, area_map: AreaMap | None = None, *,
               highlight: str | None = None, title: str | None = None,
               estimate_type: str | None = None, language: str = "sv") -> Axes:
    """An indicator by area on the map: classes by colour, every value written on its area.

    Parameters
    ----------
    estimates
        The estimates table after the disclosure gate (rows with ``group_var
        == "area"`` are used).
    indicator, year
        What to show; ``year=None`` takes the latest year. Shares get classes
        of whole per cents (:func:`share_classes`), indices the bands of
        ``indices.yml`` (:func:`index_classes`).
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
    language = _language(language)
    area_map = area_map or _default_map(estimates, indicator)
    if highlight is not None and highlight not in area_map.shapes:
        raise TrygghetError(f"området '{highlight}' finns inte på kartan",
                            hint=f"områdena är: {', '.join(area_map.areas)}")
    cells, classes, year, kind, off_map = _cells(estimates, indicator, year, area_map,
                                                 estimate_type, language)
    drawn = [_Area(c.area, f"{c.area}\n{c.text}", c.cls.color if c.cls else NO_VALUE,
                   None if c.cls else HATCH, theme.BACKGROUND if c.cls else theme.MUTED)
             for c in cells]
    legend: list[tuple[object, str]] = [(_swatch(k.color), k.label) for k in reversed(classes)]
    symbols = {c.symbol for c in cells if c.cls is None}
    for symbol, word in ((fmt.SUPPRESSED, "suppressed"), (fmt.MISSING, "missing")):
        if symbol in symbols:
            legend.append((_swatch(NO_VALUE, HATCH), f"{symbol}{fmt.NBSP}{_t(word, language)}"))
    label = _indicator_label(indicator, language)
    notes = [n for n in (_geography_note(area_map, language),) if n]
    if highlight is not None:
        notes.append(_t("highlight", language).format(area=highlight))
    if kind != "share":
        notes.append(_t("index_note", language))
    if not all(c.generalisable for c in cells if c.cls):
        notes.append(_t("opt_in", language))
    else:
        notes.append(_t("no_ci", language))
    if fmt.SUPPRESSED in symbols:
        notes.append(_t("sym_suppressed", language))
    if fmt.MISSING in symbols:
        notes.append(_t("sym_missing", language))
    if off_map:
        notes.append(_t("not_on_map", language).format(areas=_join(off_map, language)))
    default = _t("title", language).format(label=label, year=fmt.year(year))
    legend_title = _t("legend_share" if kind == "share" else "legend_index", language)
    if kind != "share" and indicator != "problemindex":
        legend_title = f"{label} (0–6)"
    ax = _draw(area_map, drawn, title=default if title is None else title, legend=legend,
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
        text = head + _t("alt_extremes", language).format(
            subject=subject, hi=f"{hi.area} ({hi.text})", lo=f"{lo.area} ({lo.text})",
            n=len(shown))
    else:
        text = head + _t("alt_none", language).format(subject=subject)
    parts = []
    for k in reversed(classes):
        members = [c.area for c in _order(shown) if c.cls is k]
        if members:
            parts.append(_t("alt_class", language).format(label=k.label,
                                                          areas=_join(members, language)))
    hidden = [c.area for c in cells if not c.cls]
    if hidden:
        parts.append(_t("alt_hidden", language).format(areas=_join(hidden, language)))
    if highlight is not None:
        parts.append(_t("alt_highlight", language).format(area=highlight))
    text += "; " + "; ".join(parts) if parts else ""
    note = _geography_note(area_map, language)
    return text + "." + (f" {note}" if note else "")


# --- Trygghetsronder --------------------------------------------------------------------------

#: Rough bounds of Sweden for coordinates in the rounds register.
_LAT, _LON = (55.0, 69.5), (10.0, 24.5)
_NORTH, _EAST = (6_100_000.0, 7_700_000.0), (200_000.0, 1_000_000.0)


def _coordinate(path: Path, row: int, column: str, text: str) -> float | None:
    text = text.strip().replace(fmt.NBSP, "").replace(" ", "")
    if not text:
        return None
    try:
        value = float(text.replace(",", ".")) if text.count(",") == 1 and "." not in text \
            else float(text)
    except ValueError:
        raise TrygghetError(f"'{text}' är inte ett tal", file=path, row=row,
                            column=column) from None
    if not math.isfinite(value):
        raise TrygghetError(f"'{text}' är inte ett tal", file=path, row=row, column=column)
    return value


def read_round_places(path: str | Path) -> pd.DataFrame:
    """Where each trygghetsrond (or each observation of one) was, from ``trygghetsronder.csv``.

    Reads the columns this module needs: ``area``, ``date``, ``held`` (ja/nej,
    empty = ja) and, optionally per row, the place of the observation as
    ``lat``/``lon`` (WGS 84, decimal degrees) or ``sweref_n``/``sweref_e``
    (SWEREF 99 TM, metres). Returns one row per register row with
    ``row, area, date, held, x, y`` (x/y in SWEREF 99 TM, NaN without a place).
    The register's other columns are validated by
    :func:`trygghet.promise_files.read_rounds`.
    """
    from pyproj import Transformer

    path = Path(path)
    if not path.is_file():
        raise TrygghetError("filen finns inte", file=path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise TrygghetError("filen är inte UTF-8", file=path,
                            hint="spara som CSV UTF-8 (kommaavgränsad)") from err
    header = text.split("\n", 1)[0]
    rows = list(csv.reader(io.StringIO(text, newline=""),
                           delimiter=";" if header.count(";") > header.count(",") else ","))
    fields = [f.strip() for f in rows[0]] if rows else []
    for column in ("area", "date"):
        if column not in fields:
            raise TrygghetError("kolumnen saknas", file=path, row=1, column=column)
    for a, b in (("lat", "lon"), ("sweref_n", "sweref_e")):
        if (a in fields) != (b in fields):
            raise TrygghetError(f"kolumnen '{b if a in fields else a}' saknas", file=path, row=1,
                                hint=f"en plats anges med både {a} och {b}")
    to_sweref = Transformer.from_crs("EPSG:4326", f"EPSG:{TARGET_EPSG}", always_xy=True)
    records = []
    for number, values in enumerate(rows[1:], start=2):  # spreadsheet rows: header = 1
        cells = {f: (values[i].strip() if i < len(values) else "")
                 for i, f in enumerate(fields) if f}
        if not any(cells.values()):
            continue
        try:
            when = date.fromisoformat(cells["date"])
        except ValueError:
            raise TrygghetError(f"ogiltigt datum '{cells['date']}'", file=path, row=number,
                                column="date", hint="skriv datum som ÅÅÅÅ-MM-DD") from None
        held = cells.get("held", "").casefold() or "ja"
        if held not in ("ja", "nej"):
            raise TrygghetError(f"ska vara ja eller nej, inte '{cells['held']}'", file=path,
                                row=number, column="held")
        x = y = math.nan
        lat = _coordinate(path, number, "lat", cells.get("lat", ""))
        lon = _coordinate(path, number, "lon", cells.get("lon", ""))
        north = _coordinate(path, number, "sweref_n", cells.get("sweref_n", ""))
        east = _coordinate(path, number, "sweref_e", cells.get("sweref_e", ""))
        if (lat is None) != (lon is None) or (north is None) != (east is None):
            column = "lon" if (lat is None) != (lon is None) else "sweref_e"
            raise TrygghetError("en plats behöver båda koordinaterna", file=path, row=number,
                                column=column)
        if lat is not None and north is not None:
            raise TrygghetError("platsen anges två gånger (lat/lon och sweref_n/sweref_e)",
                                file=path, row=number, column="lat", hint="ange ett av paren")
        if lat is not None:
            if not (_LAT[0] <= lat <= _LAT[1] and _LON[0] <= lon <= _LON[1]):
                swapped = _LAT[0] <= lon <= _LAT[1] and _LON[0] <= lat <= _LON[1]
                raise TrygghetError(f"platsen ({lat}, {lon}) ligger inte i Sverige", file=path,
                                    row=number, column="lat",
                                    hint="lat och lon har bytt plats" if swapped else
                                    "ange WGS 84 i decimala grader, t.ex. lat 58.28, lon 12.29")
            x, y = to_sweref.transform(lon, lat)
        elif north is not None:
            if not (_NORTH[0] <= north <= _NORTH[1] and _EAST[0] <= east <= _EAST[1]):
                swapped = _NORTH[0] <= east <= _NORTH[1] and _EAST[0] <= north <= _EAST[1]
                raise TrygghetError(f"platsen (N {north:.0f}, E {east:.0f}) ligger inte i "
                                    "Sverige i SWEREF 99 TM", file=path, row=number,
                                    column="sweref_n",
                                    hint="sweref_n och sweref_e har bytt plats" if swapped else
                                    "ange SWEREF 99 TM i meter, t.ex. sweref_n 6463000, "
                                    "sweref_e 341000")
            x, y = east, north
        if not cells["area"]:
            raise TrygghetError("värde saknas", file=path, row=number, column="area")
        records.append({"row": number, "area": cells["area"], "date": when,
                        "held": held == "ja", "x": x, "y": y})
    return pd.DataFrame(records, columns=["row", "area", "date", "held", "x", "y"])


def _resolve(text: str, aliases: dict[str, str]) -> list[str] | None:
    """The map's areas that a register's area names: one area, an alias, or 'A/B/C'."""
    key = normalise(text)
    if key in aliases:
        return [aliases[key]]
    parts = [normalise(p) for p in text.replace(",", "/").split("/")]
    if len(parts) > 1 and all(p in aliases for p in parts):
        return list(dict.fromkeys(aliases[p] for p in parts))
    return None


def rounds_map(places: pd.DataFrame, area_map: AreaMap, year: int, *,
               path: str | Path | None = None, title: str | None = None,
               language: str = "sv") -> Axes:
    """Where the trygghetsronder of ``year`` were held: their areas, and the places if given.

    Parameters
    ----------
    places
        From :func:`read_round_places`.
    area_map
        From :func:`trygghet.geo.load_area_map` (its aliases name the areas too). A tile
        map marks the areas only.
    path
        The register, for messages.

    An area whose round was held is filled (and labelled with the date); one
    whose round was cancelled is hatched and says so; each place given is a
    dot, and must lie in (or within 250 m of) its round's area.
    """
    language = _language(language)
    lookup = {normalise(a): a for a in area_map.areas}
    for area, more in area_map.aliases.items():
        lookup.update({normalise(m): area for m in more})
    rows = places[[d.year == year for d in places["date"]]] if len(places) else places
    held: dict[str, list[date]] = {}
    cancelled: dict[str, list[date]] = {}
    points = []
    for _, r in rows.iterrows():
        areas = _resolve(str(r["area"]), lookup)
        if areas is None:
            raise TrygghetError(f"okänt område '{r['area']}'", file=path, row=int(r["row"]),
                                column="area", hint=f"områdena är: {', '.join(area_map.areas)}")
        for a in areas:
            target = held if r["held"] else cancelled
            if r["date"] not in target.setdefault(a, []):
                target[a].append(r["date"])
        if not math.isnan(r["x"]) and area_map.geographic:
            where = shapely.union_all([area_map.shapes[a] for a in areas])
            if where.distance(shapely.Point(r["x"], r["y"])) > 250:
                raise TrygghetError(f"platsen ligger inte i {_join(areas, language)}", file=path,
                                    row=int(r["row"]), column="lat",
                                    hint="kontrollera koordinaterna (och områdesnamnet)")
            points.append((r["x"], r["y"]))
    cancelled = {a: d for a, d in cancelled.items() if a not in held}

    def dates(ds: list[date]) -> str:
        return ", ".join(fmt.date(d, language=language).rsplit(" ", 1)[0] for d in sorted(ds))

    drawn = []
    for area in area_map.areas:
        if area in held:
            drawn.append(_Area(area, f"{area}\n{dates(held[area])}", ROUND_COLOR))
        elif area in cancelled:
            label = _t("rounds_cancelled_label", language).format(date=dates(cancelled[area]))
            drawn.append(_Area(area, f"{area}\n{label}", NO_VALUE, HATCH, theme.MUTED))
        else:
            drawn.append(_Area(area, area, NO_VALUE, None, theme.MUTED))
    legend: list[tuple[object, str]] = [(_swatch(ROUND_COLOR), _t("rounds_held", language))]
    if cancelled:
        legend.append((_swatch(NO_VALUE, HATCH), _t("rounds_cancelled", language)))
    if points:
        legend.append((Line2D([], [], linestyle="none", marker="o", markersize=5.5,
                              markerfacecolor=theme.TEXT, markeredgecolor=theme.BACKGROUND),
                       _t("rounds_point", language)))
    notes = [n for n in (_geography_note(area_map, language),) if n]
    has_places = rows["x"].notna().any() if len(rows) else False
    if not area_map.geographic and has_places:
        notes.append(_t("rounds_points_tiles", language))
    ax = _draw(area_map, drawn,
               title=_t("rounds_title", language).format(year=year) if title is None else title,
               legend=legend, legend_title="", notes=notes,
               points=np.array(points) if points else None)
    order = [a for a in area_map.areas if a in held]
    text = (_t("rounds_alt_held", language).format(
        year=year, areas=_join([f"{a} ({dates(held[a])})" for a in order], language))
        if order else _t("rounds_alt_none", language).format(year=year))
    if cancelled:
        text += "; " + _t("rounds_alt_cancelled", language).format(
            areas=_join([f"{a} ({dates(d)})" for a, d in cancelled.items()], language))
    if points:
        text += "; " + (_t("rounds_alt_point", language) if len(points) == 1 else
                        _t("rounds_alt_points", language).format(n=len(points)))
    note = _geography_note(area_map, language)
    set_alt_text(ax, text + "." + (f" {note}" if note else ""))
    return ax


__all__ = [
    "WORDS", "SHARE_RAMP", "MapClass", "share_classes", "index_classes", "choropleth",
    "map_table", "read_round_places", "rounds_map",
]
