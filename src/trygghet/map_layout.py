"""How a map is laid out and drawn: areas, labels on them or beside them, legend, notes.

:func:`draw_map` takes the shapes of an :class:`~trygghet.geo.AreaMap` and,
per area, a fill, an optional hatch and a label, and lays the map out on a
figure as wide as the PDF's text column: the title, the map at equal aspect,
the legend on the right and the footnotes below. The layout is computed here,
not by matplotlib's layout engine, so that labels can be fitted first: each
goes at its area's pole of inaccessibility (the point farthest from the
edge), in a white box that keeps it readable on any fill; a label that does
not fit inside its area goes in a column beside the map, on the area's side,
with a leader line. Labels stay text in the SVG (no path effects), which keeps
the SVG small and quick for WeasyPrint, and makes them searchable.

The choropleth (:mod:`trygghet.maps`) and the rounds map
(:mod:`trygghet.rounds_map`) decide what is drawn; this module only how.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path as MplPath
from matplotlib.textpath import TextToPath
from shapely.geometry.base import BaseGeometry
from shapely.ops import polylabel

from . import theme
from .geo import AreaMap

# --- Style ------------------------------------------------------------------------------------

#: Fill of an area without a value (hatched as well): the page colour.
NO_VALUE = theme.BACKGROUND
#: The label box: white, slightly translucent, so that it reads on every fill.
LABEL_BOX = {"boxstyle": "round,pad=0.18,rounding_size=0.25", "facecolor": theme.BACKGROUND,
             "edgecolor": "none", "alpha": 0.9}
HATCH = "////"

# Layout, in inches.
LABEL_SIZE = 7.5
_LEGEND_WIDTH = 1.85
_MAP_HEIGHT = 4.3
_GAP = 0.12


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
class MapArea:
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
    w, h = _text_inches(label, LABEL_SIZE)
    half_w, half_h = (w / 2 + 0.05) / scale, (h / 2 + 0.04) / scale
    box = shapely.box(point.x - half_w, point.y - half_h, point.x + half_w, point.y + half_h)
    return part.intersection(box).area >= 0.9 * box.area


def _place_labels(shapes: dict[str, BaseGeometry], areas: Sequence[MapArea], scale: float,
                  points: np.ndarray | None, middle: float):
    """Each label's place, and the areas whose label goes beside the map (left or right)."""
    dots = (None if points is None or not len(points) else
            shapely.MultiPoint(points).buffer(0.12 / scale))
    anchors: dict[str, shapely.Point] = {}
    beside: dict[str, list[MapArea]] = {"left": [], "right": []}
    for area in areas:
        part, point = _anchor(shapes[area.name], dots)
        anchors[area.name] = point
        if not _fits(part, point, area.label, scale):
            beside["left" if point.x < middle else "right"].append(area)
    return anchors, beside


def draw_map(area_map: AreaMap, areas: Sequence[MapArea], *, title: str,
             legend: Sequence[tuple[Artist, str]], legend_title: str, notes: Sequence[str],
             highlight: str | None = None, points: np.ndarray | None = None) -> Axes:
    """Lay out and draw a map: title, areas with labels, legend, leader labels, notes.

    ``areas`` say how each area of ``area_map`` is drawn, ``legend`` is
    ``(handle, label)`` pairs (see :func:`swatch`), ``highlight`` an area to
    outline, ``points`` (SWEREF 99 TM, n × 2) dots to mark. Returns the map's Axes.

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
        widths = {side: (max(_text_inches(a.label, LABEL_SIZE)[0] for a in group) + 0.3
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
        ax.text(point.x, point.y, area.label, ha="center", va="center", fontsize=LABEL_SIZE,
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


def _leader_labels(ax: Axes, group: Sequence[MapArea], anchors: dict, scale: float, side: str,
                   bounds: tuple[float, float, float, float], highlight: str | None) -> None:
    """Labels of areas too small for them, in a column beside the map, with leader lines.

    Each label goes to its area's height, moved just enough not to overlap the
    one above it (and the column up again if that pushes it below the map).
    """
    if not group:
        return
    x0, y0, x1, y1 = bounds

    def height(area: MapArea) -> float:  # in map units, with a gap
        return (_text_inches(area.label, LABEL_SIZE)[1] + 0.08) / scale

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
                    fontsize=LABEL_SIZE, color=theme.TEXT, annotation_clip=False, zorder=5,
                    fontweight="bold" if area.name == highlight else "normal",
                    arrowprops={"arrowstyle": "-", "color": theme.TEXT, "linewidth": 0.6,
                                "shrinkA": 1, "shrinkB": 0})


def swatch(color: str, hatch: str | None = None) -> Patch:
    """A legend key: the class colour, or hatching on white with a grey edge."""
    return Patch(facecolor=color, edgecolor=theme.MUTED if hatch else color, hatch=hatch,
                 linewidth=0.6)


__all__ = ["MapArea", "draw_map", "swatch", "LABEL_BOX", "LABEL_SIZE", "HATCH", "NO_VALUE"]
