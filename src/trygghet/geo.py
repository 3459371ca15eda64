"""The areas' shapes for the maps: the settings, matching a boundary file to the areas, tiles.

A municipality's survey areas get their shapes from one **boundary file**, a
GeoPackage (``.gpkg``, what SCB publishes DeSO and RegSO in) or a GeoJSON
(``.geojson``, what most web tools and many municipalities export), named in
``config/trygghet.yml``::

    maps:
      boundaries: data/reference/omraden.gpkg   # relative to the project root
      match: name            # name: a feature's name is an area's name or alias
                             # code: a feature's code is one of an area's `codes`
      name_field: namn       # the feature property holding the name (default: guessed)
      code_field: desokod    # the property holding the DeSO/RegSO code (match: code)
      layer: null            # GeoPackage table, if it has several
      filter: {}             # keep only features with these values, e.g. {kommunkod: "1488"}
      ignore: []             # features that deliberately belong to no area (names or codes)
      attribution: "Källa: SCB"   # credit printed under every map (required unless schematic)
      make_valid: false      # repair invalid shapes instead of stopping (see below)
      tiles: null            # tile-map layout when there is no boundary file: {area: [row, col]}

With ``match: code`` each area of the year's mapping (``config/surveys/<year>.yml``)
lists its codes, ``Centrum: {codes: [1488C1010, 1488C1020]}``, and is drawn as
the union of those features. Without ``boundaries`` the maps are **tile maps**:
one square per area (:func:`tile_map`).

The file is read, reprojected to SWEREF 99 TM and checked by
:mod:`trygghet.boundary_files`; this module parses the settings and matches
the features to the areas. Every area must get a shape and every feature
(after ``filter`` and ``ignore``) must belong to an area; anything else is one
:class:`~trygghet.errors.TrygghetError` listing what is missing. Real
boundaries must name their source (``attribution``), which every map prints.

**Dependencies.** shapely (GEOS) and pyproj (PROJ), not GDAL
(pyogrio/fiona/geopandas, a 33 MB wheel and about 100 MB installed for formats
the toolkit does not need). See the README.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from .boundary_files import CODE_FIELDS, NAME_FIELDS, Boundaries, read_boundaries
from .errors import TrygghetError
from .mapping import normalise

# --- Settings ---------------------------------------------------------------------------------

MATCH = ("name", "code")
SETTING_KEYS = ("boundaries", "match", "name_field", "code_field", "layer", "filter", "ignore",
                "attribution", "make_valid", "tiles")


@dataclass(frozen=True)
class MapSettings:
    """The ``maps`` section of ``config/trygghet.yml``, validated.

    Build it with :meth:`from_settings`; the defaults give tile maps.
    """

    boundaries: Path | None = None
    match: str = "name"
    name_field: str | None = None
    code_field: str | None = None
    layer: str | None = None
    filter: tuple[tuple[str, str], ...] = ()
    ignore: tuple[str, ...] = ()
    attribution: str | None = None
    make_valid: bool = False
    tiles: tuple[tuple[str, int, int], ...] | None = None
    source: Path | None = None  # the settings file, for messages

    @classmethod
    def from_settings(cls, maps: Any, root: str | Path,
                      source: str | Path | None = None) -> MapSettings:
        """Parse ``settings["maps"]`` (None or a dict); paths are relative to ``root``."""
        source = Path(source) if source else Path(root) / "config" / "trygghet.yml"
        if maps is None:
            return cls(source=source)

        def fail(key: str, message: str, hint: str | None = None) -> TrygghetError:
            return TrygghetError(message, file=source, column=f"maps.{key}" if key else "maps",
                                 hint=hint)

        if not isinstance(maps, dict):
            raise fail("", "ska vara en samling nyckel: värde",
                       "t.ex. maps: {boundaries: data/reference/omraden.gpkg, match: name}")
        for key in maps:
            if key not in SETTING_KEYS:
                raise fail(str(key), "okänd nyckel", f"tillåtna: {', '.join(SETTING_KEYS)}")

        def text(key: str) -> str | None:
            value = maps.get(key)
            if value is None:
                return None
            if isinstance(value, bool) or not isinstance(value, str | int) \
                    or not str(value).strip():
                raise fail(key, "ska vara en text")
            return str(value).strip()

        boundaries = text("boundaries")
        match = text("match") or "name"
        if match not in MATCH:
            raise fail("match", f"okänt sätt att matcha '{match}'",
                       "name (namn eller alias) eller code (DeSO-/RegSO-koder)")
        filt = maps.get("filter") or {}
        if not isinstance(filt, dict):
            raise fail("filter", "ska vara en samling fält: värde", "t.ex. {kommunkod: '1488'}")
        ignore = maps.get("ignore") or []
        if isinstance(ignore, str | int):
            ignore = [ignore]
        if not isinstance(ignore, list):
            raise fail("ignore", "ska vara en lista")
        make_valid = maps.get("make_valid", False)
        if not isinstance(make_valid, bool):
            raise fail("make_valid", "ska vara true eller false")
        return cls(
            boundaries=None if boundaries is None else Path(root) / boundaries,
            match=match, name_field=text("name_field"), code_field=text("code_field"),
            layer=text("layer"),
            filter=tuple((str(k), str(v)) for k, v in filt.items()),
            ignore=tuple(str(v) for v in ignore), attribution=text("attribution"),
            make_valid=make_valid, tiles=_tile_layout(maps.get("tiles"), fail), source=source,
        )


def _tile_layout(raw: Any, fail) -> tuple[tuple[str, int, int], ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not raw:
        raise fail("tiles", "ska vara en samling område: [rad, kolumn]",
                   "t.ex. tiles: {Centrum: [1, 2], Sylte: [2, 1]}")
    out = []
    for name, cell in raw.items():
        if (not isinstance(cell, list) or len(cell) != 2
                or not all(isinstance(c, int) and not isinstance(c, bool) and c >= 1
                           for c in cell)):
            raise fail(f"tiles.{name}", f"ska vara [rad, kolumn] med heltal ≥ 1, inte {cell!r}")
        out.append((str(name), cell[0], cell[1]))
    return tuple(out)


# --- Area maps ------------------------------------------------------------------------------

@dataclass(frozen=True)
class AreaMap:
    """The shapes to draw, one per area, in the areas' order.

    ``kind`` is ``"boundaries"`` (real boundaries: print ``attribution``),
    ``"schematic"`` (made-up shapes: say so on the map) or ``"tiles"`` (one
    square per area; squares show neither location nor size). Coordinates are
    SWEREF 99 TM metres, or tile units for a tile map.
    """

    shapes: dict[str, BaseGeometry]
    kind: str
    attribution: str | None = None
    source: Path | None = None
    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # other names per area

    @property
    def areas(self) -> list[str]:
        return list(self.shapes)

    @property
    def geographic(self) -> bool:
        """True when the shapes are places on the ground (points can be drawn on them)."""
        return self.kind != "tiles"


@dataclass(frozen=True)
class AreaKey:
    """What a boundary feature can be matched on: an area's name, aliases and codes."""

    name: str
    aliases: tuple[str, ...] = ()
    codes: tuple[str, ...] = field(default_factory=tuple)


def area_keys(areas: Mapping[str, Any]) -> list[AreaKey]:
    """:class:`AreaKey` per area of a mapping's ``areas`` (name → object with aliases/codes)."""
    return [AreaKey(name, tuple(getattr(a, "aliases", ()) or ()),
                    tuple(getattr(a, "codes", ()) or ())) for name, a in areas.items()]


# --- Matching features to areas ---------------------------------------------------------------

def _pick_field(boundaries: Boundaries, configured: str | None, candidates: Sequence[str],
                setting: str, source: Path | None) -> str:
    if configured is not None:
        if configured not in boundaries.fields:
            raise TrygghetError(f"fältet '{configured}' finns inte i gränsfilen {boundaries.path}",
                                file=source, column=f"maps.{setting}",
                                hint=f"fälten är: {', '.join(boundaries.fields) or '(inga)'}")
        return configured
    lowered = {f.casefold(): f for f in boundaries.fields}
    for candidate in candidates:
        if candidate in lowered:
            return lowered[candidate]
    raise TrygghetError(f"vet inte vilket fält i gränsfilen som håller områdets "
                        f"{'namn' if setting == 'name_field' else 'kod'}",
                        file=source, column=f"maps.{setting}",
                        hint=f"ange maps.{setting}; fälten är: "
                             f"{', '.join(boundaries.fields) or '(inga)'}")


def _listing(items: Sequence[str], limit: int = 6) -> str:
    shown = ", ".join(f"'{i}'" for i in items[:limit])
    return shown + (f" och {len(items) - limit} till" if len(items) > limit else "")


def match_areas(boundaries: Boundaries, areas: Sequence[AreaKey],
                settings: MapSettings | None = None, *,
                mapping_file: str | Path | None = None) -> AreaMap:
    """One shape per area: the union of the features matched to it.

    Parameters
    ----------
    boundaries
        From :func:`read_boundaries`.
    areas
        The areas in display order, with aliases and (for ``match: code``) codes.
    settings
        ``match``, ``name_field``/``code_field``, ``filter``, ``ignore`` and
        ``attribution``; default: match names, guess the field.
    mapping_file
        Where the areas are defined, for messages.

    Every area must get a shape and every feature (after ``filter`` and
    ``ignore``) must belong to an area; anything else is an error that lists
    what is missing.
    """
    settings = settings or MapSettings()
    source = settings.source
    fields = boundaries.fields
    features = list(boundaries.features)
    for key, value in settings.filter:
        if key not in fields:
            raise TrygghetError(f"fältet '{key}' finns inte i gränsfilen", file=source,
                                column="maps.filter", hint=f"fälten är: {', '.join(fields)}")
        features = [f for f in features if normalise(f.properties.get(key)) == normalise(value)]
        if not features:
            raise TrygghetError(f"inga objekt i gränsfilen har {key} = '{value}'", file=source,
                                column="maps.filter")
    by_code = settings.match == "code"
    field_name = (_pick_field(boundaries, settings.code_field, CODE_FIELDS, "code_field", source)
                  if by_code else
                  _pick_field(boundaries, settings.name_field, NAME_FIELDS, "name_field", source))
    ignored = {normalise(v) for v in settings.ignore}
    lookup: dict[str, str] = {}
    for area in areas:
        keys = ([normalise(c) for c in area.codes] if by_code
                else [normalise(area.name), *map(normalise, area.aliases)])
        if by_code and not keys:
            raise TrygghetError(f"området {area.name} har inga koder (codes)", file=mapping_file,
                                column=f"areas.{area.name}.codes",
                                hint="ange områdets DeSO- eller RegSO-koder, t.ex. "
                                     "codes: [1488C1010, 1488C1020], eller använd match: name")
        for key in keys:
            if lookup.get(key, area.name) != area.name:
                raise TrygghetError(f"koden '{key}' hör till både {lookup[key]} och {area.name}",
                                    file=mapping_file, column=f"areas.{area.name}.codes")
            lookup[key] = area.name
    parts: dict[str, list[BaseGeometry]] = {a.name: [] for a in areas}
    stray: list[str] = []
    for feature in features:
        field_value = feature.properties.get(field_name)
        key = normalise(field_value)
        if not key:
            raise TrygghetError(f"{feature.label()} saknar värde i fältet '{field_name}'",
                                file=boundaries.path, column=field_name)
        if key in ignored:
            continue
        if key in lookup:
            parts[lookup[key]].append(feature.geometry)
        else:
            stray.append(str(field_value))
    where = f"fältet '{field_name}'"
    if stray:
        raise TrygghetError(
            f"{len(stray)} {'yta' if len(stray) == 1 else 'ytor'} i gränsfilen hör inte till "
            f"något område ({where}): {_listing(stray)}", file=boundaries.path, column=field_name,
            hint=("lägg till koden under codes för rätt område i mappningen" if by_code else
                  "lägg till namnet som alias till rätt område i mappningen")
            + ", begränsa med maps.filter, eller ange det under maps.ignore om det inte ska med")
    missing = [name for name, geoms in parts.items() if not geoms]
    if missing:
        raise TrygghetError(
            f"{len(missing)} {'område' if len(missing) == 1 else 'områden'} saknar yta i "
            f"gränsfilen: {_listing(missing)}", file=boundaries.path, column=field_name,
            hint=("kontrollera områdenas koder (codes) i mappningen" if by_code else
                  f"kontrollera stavningen i {where} eller lägg till alias i mappningen"))
    if by_code:
        found = {normalise(f.properties.get(field_name)) for f in features}
        for area in areas:
            absent = [c for c in area.codes if normalise(c) not in found]
            if absent:
                raise TrygghetError(f"koderna {_listing(absent)} för området {area.name} finns "
                                    f"inte i gränsfilen ({where})", file=mapping_file,
                                    column=f"areas.{area.name}.codes")
    shapes = {name: _union(geoms) for name, geoms in parts.items()}
    kind = "schematic" if boundaries.schematic else "boundaries"
    if kind == "boundaries" and not settings.attribution:
        raise TrygghetError("källan för gränserna saknas", file=source,
                            column="maps.attribution",
                            hint="ange källan som ska stå under kartorna, t.ex. "
                                 "attribution: \"Källa: SCB\" eller \"Källa: Trollhättans stad\"")
    return AreaMap(shapes, kind, settings.attribution, boundaries.path)


def _union(geoms: list[BaseGeometry]) -> BaseGeometry:
    # The general union, not GEOS' faster coverage union: a boundary file whose
    # neighbours overlap or leave slivers is common, and a coverage union of such
    # input is undefined.
    return geoms[0] if len(geoms) == 1 else shapely.union_all(geoms)


# --- Tile maps --------------------------------------------------------------------------------

#: A tile's side and the gap between tiles, in tile units.
TILE = 1.0
TILE_GAP = 0.08


def tile_map(areas: Sequence[str], layout: Iterable[tuple[str, int, int]] | None = None, *,
             columns: int | None = None, source: str | Path | None = None) -> AreaMap:
    """One square per area, in a grid: the map where no boundaries exist.

    Parameters
    ----------
    areas
        The areas in their order (the mapping's).
    layout
        ``(area, row, column)`` for every area (1-based; row 1 at the top), e.g.
        a rough geography the readers recognise. Default: the areas' order,
        filled row by row.
    columns
        Columns of the default layout; default about √n, wider than tall.
    """
    areas = list(areas)
    if layout is None:
        columns = columns or max(1, math.ceil(math.sqrt(len(areas) * 1.3)))
        cells = {a: (i // columns + 1, i % columns + 1) for i, a in enumerate(areas)}
    else:
        cells = {}
        seen: dict[tuple[int, int], str] = {}
        for name, row, col in layout:
            if name not in areas:
                raise TrygghetError(f"okänt område '{name}' i rutkartan", file=source,
                                    column=f"maps.tiles.{name}",
                                    hint=f"områdena är: {', '.join(areas)}")
            if (row, col) in seen:
                raise TrygghetError(f"{name} och {seen[(row, col)]} har samma ruta",
                                    file=source, column=f"maps.tiles.{name}")
            seen[(row, col)] = name
            cells[name] = (row, col)
        missing = [a for a in areas if a not in cells]
        if missing:
            raise TrygghetError(f"rutkartan saknar {_listing(missing)}", file=source,
                                column="maps.tiles", hint="ange en ruta för varje område")
    size = TILE - TILE_GAP
    shapes = {a: shapely.box(cells[a][1] * TILE, -cells[a][0] * TILE,
                             cells[a][1] * TILE + size, -cells[a][0] * TILE + size)
              for a in areas}
    return AreaMap(shapes, "tiles")


# --- The project's map ------------------------------------------------------------------------

def load_area_map(year: int | None = None, *, project=None) -> AreaMap:
    """The project's area map for ``year``: its boundaries if configured, else tiles.

    The areas and their aliases and codes come from the mapping of ``year``
    (or of the latest survey year before it, as for a promise year without a
    survey; ``year=None``: the latest); the boundary file and how to match it
    from ``config/trygghet.yml`` → ``maps``.
    """
    from .config import Project, load_settings
    from .mapping import load_mapping

    project = project or Project.find()
    years = project.survey_years()
    if not years:
        raise TrygghetError("inga mappningar i config/surveys/", file=project.config)
    earlier = [y for y in years if year is None or y <= year]
    mapping = load_mapping(project.mapping(earlier[-1] if earlier else years[0]),
                           project.questionnaire)
    settings = MapSettings.from_settings(load_settings(project).get("maps"), project.root,
                                         project.config / "trygghet.yml")
    aliases = {name: tuple(area.aliases) for name, area in mapping.areas.items()}
    if settings.boundaries is None:
        area_map = tile_map(mapping.area_names, settings.tiles, source=settings.source)
    else:
        boundaries = read_boundaries(settings.boundaries, layer=settings.layer,
                                     make_valid=settings.make_valid)
        area_map = match_areas(boundaries, area_keys(mapping.areas), settings,
                               mapping_file=mapping.path)
    return replace(area_map, aliases=aliases)


__all__ = [
    "MapSettings", "AreaMap", "AreaKey", "area_keys", "match_areas", "tile_map",
    "load_area_map", "MATCH", "SETTING_KEYS",
]
