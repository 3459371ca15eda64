"""Boundary files: read a GeoPackage or GeoJSON into polygons in SWEREF 99 TM.

The formats are read here, without GDAL: GeoJSON with :mod:`json` (RFC 7946,
WGS 84 longitude/latitude, or the 2008 spec's ``crs`` member), a GeoPackage
(OGC 12-128) with :mod:`sqlite3`: its tables name the layers and their CRS,
and each geometry is a small header (``GP``, version, flags, SRS id, envelope)
before standard WKB, which shapely (GEOS) parses. pyproj (PROJ) reprojects
any CRS to SWEREF 99 TM (EPSG:3006), the national grid in metres, so shapes,
points and distances can be drawn with equal aspect.

**The file is untrusted input**, read defensively: size, feature and vertex
counts are capped, SQLite runs read-only and immutable with no trust in the
file's schema and a time budget, nothing is fetched over the network (PROJ's
network grids are switched off). Every problem is one
:class:`~trygghet.errors.TrygghetError` naming the file, the feature and the
field: not a polygon, an invalid polygon (a boundary that crosses itself is
named with the place where it does), an unknown or undeclared coordinate
system, coordinates that land outside Sweden after reprojection (swapped axes,
a GeoJSON in metres without ``crs``), an empty file, a format it cannot read
(Shapefile, zip, curved geometries: with how to convert). ``make_valid=True``
repairs invalid polygons with GEOS' ``make_valid`` instead: only when asked,
since a repaired shape may not be the one its author meant.

Matching the features to the survey's areas is :mod:`trygghet.geo`'s job.
"""

from __future__ import annotations

import json
import re
import sqlite3
import struct
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.request import pathname2url

import numpy as np
import shapely
from shapely.geometry import mapping as geometry_mapping
from shapely.geometry import shape as geometry_shape
from shapely.geometry.base import BaseGeometry

from .errors import TrygghetError

# --- Limits and constants ---------------------------------------------------------------------

#: SWEREF 99 TM, the CRS every shape is drawn in.
TARGET_EPSG = 3006
#: Largest boundary file read. SCB's national DeSO GeoPackage is well below it;
#: anything larger is more likely a mistake (or an attack) than a boundary file.
MAX_BYTES = {"gpkg": 300 * 2**20, "geojson": 100 * 2**20}
#: Most features read (Sweden has about 6 200 DeSO and 3 400 RegSO).
MAX_FEATURES = 20_000
#: Most vertices over all features.
MAX_VERTICES = 10_000_000
#: Seconds of SQLite work allowed on a GeoPackage before it is refused.
MAX_SQLITE_SECONDS = 60.0
#: Generous bounding box of Sweden in SWEREF 99 TM (metres): where every shape must land.
SWEDEN_BOUNDS = (150_000.0, 6_050_000.0, 1_050_000.0, 7_750_000.0)

#: Property names tried, in order, when ``name_field`` / ``code_field`` is not set.
NAME_FIELDS = ("namn", "name", "område", "omrade", "omradesnamn", "regsonamn", "regso",
               "desonamn")
CODE_FIELDS = ("desokod", "deso", "regsokod", "kod", "code", "id")
#: The property that marks a bundled, made-up boundary file (``trygghet sample``).
SCHEMATIC_PROPERTY = "schematisk"

_CONVERT_HINT = ("spara gränserna som GeoPackage (.gpkg) eller GeoJSON (.geojson), t.ex. i "
                 "QGIS: högerklicka på lagret → Exportera → Spara objekt som")


# --- What the reader returns ------------------------------------------------------------------

@dataclass(frozen=True)
class Feature:
    """One feature of a boundary file: its position, properties and (polygonal) shape."""

    number: int                 # 1-based position in the file
    properties: dict[str, Any]
    geometry: BaseGeometry      # in SWEREF 99 TM once read

    def label(self) -> str:
        return f"objekt {self.number}"


@dataclass(frozen=True)
class Boundaries:
    """A boundary file as read: features in SWEREF 99 TM, and where they came from."""

    path: Path
    crs: str                    # the file's CRS, for messages ("EPSG:3006", "WGS 84")
    fields: tuple[str, ...]
    features: tuple[Feature, ...]
    schematic: bool = False     # the file says it is a made-up (schematic) map


# --- Reading ----------------------------------------------------------------------------------

def read_boundaries(path: str | Path, *, layer: str | None = None,
                    make_valid: bool = False) -> Boundaries:
    """Read a GeoPackage or GeoJSON boundary file into SWEREF 99 TM.

    The format is decided by the content, not the file name. Every feature
    must be a valid polygon or multipolygon (``make_valid`` repairs invalid
    ones instead of stopping).
    """
    path = Path(path)
    if not path.is_file():
        raise TrygghetError("gränsfilen finns inte", file=path,
                            hint="ange sökvägen under maps.boundaries i config/trygghet.yml, "
                                 "relativt projektmappen")
    with path.open("rb") as fh:
        head = fh.read(16)
    size = path.stat().st_size
    if size == 0:
        raise TrygghetError("gränsfilen är tom", file=path, hint=_CONVERT_HINT)
    if head.startswith(b"SQLite format 3\x00"):
        kind = "gpkg"
    elif head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith((b"{", b"[")):
        kind = "geojson"
    elif head.startswith(b"PK"):
        raise TrygghetError("gränsfilen är en zip-fil", file=path,
                            hint="packa upp den och ange .gpkg- eller .geojson-filen i den")
    elif head[:4] == b"\x00\x00\x27\x0a":
        raise TrygghetError("Shapefile stöds inte", file=path, hint=_CONVERT_HINT)
    else:
        raise TrygghetError("okänt filformat för gränser", file=path, hint=_CONVERT_HINT)
    if size > MAX_BYTES[kind]:
        raise TrygghetError(f"gränsfilen är för stor ({size / 2**20:.0f} MB; högst "
                            f"{MAX_BYTES[kind] // 2**20} MB)", file=path,
                            hint="spara bara kommunens områden i en egen fil")
    if kind == "gpkg":
        crs, fields, raw = _read_gpkg(path, layer)
    else:
        crs, fields, raw = _read_geojson(path)
    if not raw:
        raise TrygghetError("gränsfilen innehåller inga objekt", file=path, hint=_CONVERT_HINT)
    features = _to_sweref(path, crs, raw, make_valid)
    schematic = any(f.properties.get(SCHEMATIC_PROPERTY) is True for f in features)
    return Boundaries(path, _crs_name(crs), tuple(fields), tuple(features), schematic)


def _read_geojson(path: Path) -> tuple[Any, list[str], list[tuple[int, dict, BaseGeometry]]]:
    try:
        doc = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as err:
        raise TrygghetError("GeoJSON-filen är inte UTF-8", file=path,
                            hint="GeoJSON ska vara UTF-8 (RFC 7946)") from err
    except json.JSONDecodeError as err:
        raise TrygghetError(f"ogiltig JSON: {err.msg}", file=path, row=err.lineno,
                            hint=_CONVERT_HINT) from err
    except RecursionError as err:
        raise TrygghetError("JSON-filen är för djupt nästlad", file=path) from err
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        items = [doc]
    elif isinstance(doc, dict) and doc.get("type") == "FeatureCollection":
        features = doc.get("features")
        if not isinstance(features, list):
            raise TrygghetError("FeatureCollection utan lista 'features'", file=path,
                                hint=_CONVERT_HINT)
        items = features
    else:
        raise TrygghetError("filen är inte en GeoJSON FeatureCollection", file=path,
                            hint=_CONVERT_HINT)
    if len(items) > MAX_FEATURES:
        raise TrygghetError(f"för många objekt ({len(items)}; högst {MAX_FEATURES})", file=path,
                            hint="spara bara kommunens områden i en egen fil")
    crs = _geojson_crs(path, doc)
    fields: dict[str, None] = {}
    raw = []
    for number, item in enumerate(items, start=1):
        where = f"objekt {number}"
        if not isinstance(item, dict) or item.get("type") != "Feature":
            raise TrygghetError(f"{where} är inte ett GeoJSON-objekt (Feature)", file=path)
        props = item.get("properties") or {}
        if not isinstance(props, dict):
            raise TrygghetError(f"{where}: 'properties' ska vara en samling", file=path)
        fields.update(dict.fromkeys(map(str, props)))
        geometry = item.get("geometry")
        if not geometry:
            raise TrygghetError(f"{where}{_named(props)} saknar geometri", file=path,
                                column="geometry")
        try:
            shape = geometry_shape(geometry)
        except Exception as err:  # noqa: BLE001 (shapely raises many kinds on bad input)
            raise TrygghetError(f"{where}{_named(props)}: ogiltig geometri ({err})", file=path,
                                column="geometry", hint=_CONVERT_HINT) from err
        raw.append((number, props, shape))
    return crs, list(fields), raw


def _geojson_crs(path: Path, doc: dict) -> Any:
    """The CRS of a GeoJSON: RFC 7946 says WGS 84 lon/lat; the 2008 spec allowed ``crs``."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    member = doc.get("crs")
    if member is None:
        return CRS.from_user_input("OGC:CRS84")
    name = member.get("properties", {}).get("name") if isinstance(member, dict) else None
    if not isinstance(name, str):
        raise TrygghetError("kan inte läsa GeoJSON-filens 'crs'", file=path, column="crs",
                            hint="ta bort 'crs' och spara i WGS 84 (RFC 7946), eller ange "
                                 "t.ex. urn:ogc:def:crs:EPSG::3006")
    try:
        return CRS.from_user_input(name)
    except CRSError as err:
        raise TrygghetError(f"okänt koordinatsystem '{name}'", file=path, column="crs",
                            hint="spara i WGS 84 (RFC 7946) eller SWEREF 99 TM "
                                 "(EPSG:3006)") from err


class _Budget:
    """A SQLite progress handler that stops a query running longer than the budget."""

    def __init__(self, seconds: float):
        self.deadline = time.monotonic() + seconds
        self.exceeded = False

    def __call__(self) -> int:
        if time.monotonic() > self.deadline:
            self.exceeded = True
            return 1  # non-zero aborts the statement
        return 0


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _read_gpkg(path: Path, layer: str | None) -> tuple[Any, list[str],
                                                       list[tuple[int, dict, BaseGeometry]]]:
    """Features of one table of a GeoPackage (OGC 12-128), without GDAL.

    The file is opened read-only and immutable (nothing is ever written, no
    journal is replayed), its schema is not trusted (no functions from views
    or triggers), and the queries have a time budget.
    """
    uri = f"file:{pathname2url(str(path.resolve()))}?mode=ro&immutable=1"
    budget = _Budget(MAX_SQLITE_SECONDS)
    try:
        con = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as err:
        raise TrygghetError(f"kan inte öppna GeoPackage-filen ({err})", file=path) from err
    try:
        con.set_progress_handler(budget, 10_000)
        con.execute("PRAGMA trusted_schema = OFF")
        return _gpkg_features(con, path, layer)
    except sqlite3.DatabaseError as err:
        if budget.exceeded:
            raise TrygghetError("det tar för lång tid att läsa GeoPackage-filen", file=path,
                                hint="spara bara kommunens områden i en egen fil") from err
        raise TrygghetError(f"GeoPackage-filen går inte att läsa ({err})", file=path,
                            hint=_CONVERT_HINT) from err
    finally:
        con.close()


def _gpkg_features(con: sqlite3.Connection, path: Path, layer: str | None):
    tables = {row[0] for row in con.execute(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
    for needed in ("gpkg_contents", "gpkg_geometry_columns", "gpkg_spatial_ref_sys"):
        if needed not in tables:
            raise TrygghetError(f"SQLite-filen är ingen GeoPackage (tabellen {needed} saknas)",
                                file=path, hint=_CONVERT_HINT)
    layers = [row[0] for row in con.execute(
        "SELECT c.table_name FROM gpkg_contents c JOIN gpkg_geometry_columns g "
        "ON c.table_name = g.table_name WHERE c.data_type = 'features' ORDER BY c.table_name")]
    if not layers:
        raise TrygghetError("GeoPackage-filen har inga lager med ytor", file=path,
                            hint=_CONVERT_HINT)
    if layer is None:
        if len(layers) > 1:
            raise TrygghetError(f"GeoPackage-filen har {len(layers)} lager: "
                                f"{', '.join(layers)}", file=path,
                                hint="ange vilket under maps.layer i config/trygghet.yml")
        layer = layers[0]
    elif layer not in layers:
        raise TrygghetError(f"lagret '{layer}' finns inte", file=path, column="maps.layer",
                            hint=f"lagren är: {', '.join(layers)}")
    column, srs_id = con.execute(
        "SELECT column_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?",
        (layer,)).fetchone()
    crs = _gpkg_crs(con, path, srs_id)
    names = [row[1] for row in con.execute(f"PRAGMA table_info({_quote(layer)})")]
    if column not in names:
        raise TrygghetError(f"geometrikolumnen '{column}' saknas i lagret '{layer}'", file=path)
    (count,) = con.execute(f"SELECT count(*) FROM {_quote(layer)}").fetchone()
    if count > MAX_FEATURES:
        raise TrygghetError(f"för många objekt ({count}; högst {MAX_FEATURES})", file=path,
                            hint="spara bara kommunens områden i en egen fil (eller ange "
                                 "maps.layer med ett mindre lager)")
    others = [n for n in names if n != column]
    select = ", ".join(_quote(n) for n in [column, *others])
    raw = []
    for number, row in enumerate(con.execute(f"SELECT {select} FROM {_quote(layer)}"), start=1):
        props = dict(zip(others, row[1:], strict=True))
        raw.append((number, props, _gpkg_geometry(path, number, props, row[0], column)))
    return crs, others, raw


def _gpkg_crs(con: sqlite3.Connection, path: Path, srs_id: int) -> Any:
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    if srs_id in (0, -1):
        raise TrygghetError("GeoPackage-filens koordinatsystem är inte angivet", file=path,
                            hint="ange lagrets koordinatsystem (t.ex. SWEREF 99 TM, EPSG:3006) "
                                 "i QGIS och spara igen")
    row = con.execute("SELECT organization, organization_coordsys_id, definition "
                      "FROM gpkg_spatial_ref_sys WHERE srs_id = ?", (srs_id,)).fetchone()
    if row is None:
        raise TrygghetError(f"koordinatsystemet {srs_id} saknas i gpkg_spatial_ref_sys",
                            file=path, hint=_CONVERT_HINT)
    organization, code, definition = row
    try:
        if str(organization).upper() == "EPSG" and code:
            return CRS.from_epsg(int(code))
        return CRS.from_wkt(str(definition))
    except (CRSError, ValueError, TypeError) as err:
        raise TrygghetError(f"okänt koordinatsystem ({organization} {code})", file=path,
                            hint="spara om lagret i SWEREF 99 TM (EPSG:3006)") from err


#: Bytes of the envelope after a GeoPackage geometry header, by its indicator (bits 1–3).
_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}
#: WKB types GEOS cannot read: curves and surfaces (ISO 13249-3).
_CURVED = {8, 9, 10, 11, 12, 13, 14, 15, 16, 17}


def _gpkg_geometry(path: Path, number: int, props: dict, blob: Any,
                   column: str) -> BaseGeometry:
    """A GeoPackage geometry blob: ``GP``, version, flags, srs_id, envelope, then WKB."""
    where = f"objekt {number}{_named(props)}"
    if blob is None:
        raise TrygghetError(f"{where} saknar geometri", file=path, column=column)
    blob = bytes(blob)
    if len(blob) < 8 or blob[:2] != b"GP":
        raise TrygghetError(f"{where}: geometrin är inte i GeoPackage-format", file=path,
                            column=column, hint=_CONVERT_HINT)
    flags = blob[3]
    if flags & 0b0010_0000:
        raise TrygghetError(f"{where}: utökad GeoPackage-geometri stöds inte", file=path,
                            column=column, hint=_CONVERT_HINT)
    envelope = (flags >> 1) & 0b111
    if envelope not in _ENVELOPE_BYTES:
        raise TrygghetError(f"{where}: ogiltigt geometrihuvud", file=path, column=column)
    if flags & 0b0001_0000:
        raise TrygghetError(f"{where} har en tom geometri", file=path, column=column)
    wkb = blob[8 + _ENVELOPE_BYTES[envelope]:]
    if len(wkb) >= 5:
        order = "<" if wkb[0] == 1 else ">"
        (code,) = struct.unpack(order + "I", wkb[1:5])
        if (code & 0xFFFF) % 1000 in _CURVED:
            raise TrygghetError(f"{where}: kurvor (cirkelbågar) stöds inte", file=path,
                                column=column, hint="spara om lagret med raka linjer, t.ex. i "
                                                    "QGIS med 'Segmentera'")
    try:
        return shapely.from_wkb(wkb)
    except Exception as err:  # noqa: BLE001 (GEOS reports bad WKB in several ways)
        raise TrygghetError(f"{where}: ogiltig geometri ({err})", file=path, column=column,
                            hint=_CONVERT_HINT) from err


def _named(props: dict) -> str:
    """`` ('Centrum')`` after a feature's number, from its most name-like property."""
    lowered = {str(k).casefold(): v for k, v in props.items()}
    for key in (*NAME_FIELDS, *CODE_FIELDS):
        value = lowered.get(key)
        if value not in (None, ""):
            return f" ('{value}')"
    return ""


# --- CRS, validity, reprojection --------------------------------------------------------------

def _crs_name(crs: Any) -> str:
    epsg = crs.to_epsg(min_confidence=90)
    if crs.is_geographic and (epsg == 4326 or "CRS84" in crs.srs):
        return "WGS 84"
    return f"EPSG:{epsg}" if epsg else crs.name


_REASONS = {
    "self-intersection": "gränsen korsar sig själv",
    "ring self-intersection": "en ring korsar sig själv",
    "too few points": "för få punkter för en yta",
    "interior is disconnected": "ytan är delad i flera delar av ett hål",
    "hole lies outside shell": "ett hål ligger utanför ytan",
    "nested holes": "hål ligger i varandra",
    "nested shells": "ytor ligger i varandra",
    "duplicate rings": "samma ring förekommer två gånger",
    "invalid coordinate": "ogiltig koordinat (NaN eller oändlig)",
    "ring is not closed": "ringen är inte sluten",
}


def _invalid_reason(reason: str) -> str:
    """GEOS' ``is_valid_reason`` in Swedish, with the place: 'gränsen korsar sig själv vid …'."""
    match = re.match(r"\s*([^\[]+?)\s*(?:\[(.*)\])?\s*$", reason)
    what, where = (match.group(1), match.group(2)) if match else (reason, None)
    text = _REASONS.get(what.casefold(), f"ogiltig yta ({what})")
    if where:
        try:
            x, y = (f"{float(v):.6f}".rstrip("0").rstrip(".") for v in where.split()[:2])
            text += f" vid ({x}, {y})"
        except ValueError:
            pass
    return text


def _polygonal(geometry: BaseGeometry) -> BaseGeometry:
    """The polygons of a geometry (``make_valid`` may add lines or points)."""
    parts = [g for g in shapely.get_parts(geometry)
             if g.geom_type in ("Polygon", "MultiPolygon") and not g.is_empty]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _to_sweref(path: Path, crs: Any, raw: list[tuple[int, dict, BaseGeometry]],
               make_valid: bool) -> list[Feature]:
    from pyproj import Transformer
    from pyproj.exceptions import ProjError

    geoms = np.array([shapely.force_2d(g) for _, _, g in raw], dtype=object)
    vertices = int(shapely.get_num_coordinates(geoms).sum())
    if vertices > MAX_VERTICES:
        raise TrygghetError(f"gränserna har för många punkter ({vertices}; högst "
                            f"{MAX_VERTICES})", file=path,
                            hint="förenkla gränserna eller spara bara kommunens områden")
    for (number, props, _), geom in zip(raw, geoms, strict=True):
        where = f"objekt {number}{_named(props)}"
        if geom.is_empty:
            raise TrygghetError(f"{where} har en tom geometri", file=path, column="geometry")
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            raise TrygghetError(f"{where} är en {_GEOM_TYPES.get(geom.geom_type, geom.geom_type)}"
                                ", inte en yta", file=path, column="geometry",
                                hint="gränsfilen ska ha områdenas ytor (polygoner)")
    invalid = ~shapely.is_valid(geoms)
    for i in np.flatnonzero(invalid):
        number, props, _ = raw[i]
        if make_valid:
            geoms[i] = _polygonal(shapely.make_valid(geoms[i]))
            continue
        reason = _invalid_reason(shapely.is_valid_reason(geoms[i]))
        raise TrygghetError(f"objekt {number}{_named(props)}: {reason} (i filens koordinater, "
                            f"{_crs_name(crs)})", file=path, column="geometry",
                            hint="rätta gränsen i QGIS (Vektor → Geometriverktyg → Kontrollera "
                                 "giltighet), eller sätt maps.make_valid: true för att låta "
                                 "trygghet laga den")
    if crs.is_geocentric or crs.is_vertical or not (crs.is_geographic or crs.is_projected):
        raise TrygghetError(f"koordinatsystemet {_crs_name(crs)} stöds inte", file=path,
                            hint="spara i SWEREF 99 TM (EPSG:3006) eller WGS 84")
    if crs.is_geographic:
        bounds = shapely.bounds(geoms)
        if np.nanmax(np.abs(bounds[:, [1, 3]])) > 90 or np.nanmax(np.abs(bounds[:, [0, 2]])) > 180:
            raise TrygghetError(
                f"koordinaterna ser ut att vara meter, men filen säger {_crs_name(crs)} "
                "(longitud, latitud i grader)", file=path, column="geometry",
                hint="GeoJSON utan 'crs' ska vara WGS 84 (RFC 7946): spara om filen som GeoJSON "
                     "i WGS 84 (EPSG:4326), eller som GeoPackage i SWEREF 99 TM")
    epsg = crs.to_epsg(min_confidence=90)
    if epsg != TARGET_EPSG:
        try:
            transformer = Transformer.from_crs(crs, f"EPSG:{TARGET_EPSG}", always_xy=True)

            def project(coords: np.ndarray) -> np.ndarray:
                x, y = transformer.transform(coords[:, 0], coords[:, 1], errcheck=True)
                return np.column_stack([x, y])

            geoms = shapely.transform(geoms, project)
        except ProjError as err:
            raise TrygghetError(f"koordinaterna går inte att räkna om från {_crs_name(crs)} "
                                "till SWEREF 99 TM", file=path,
                                hint="kontrollera filens koordinatsystem") from err
    bounds = shapely.bounds(geoms)
    x0, y0, x1, y1 = SWEDEN_BOUNDS
    outside = ~((bounds[:, 0] >= x0) & (bounds[:, 1] >= y0) & (bounds[:, 2] <= x1)
                & (bounds[:, 3] <= y1))
    if outside.any():
        number, props, _ = raw[int(np.flatnonzero(outside)[0])]
        hint = ("har longitud och latitud bytt plats?" if crs.is_geographic else
                "är koordinatsystemet rätt angivet? (eller har x och y bytt plats?)")
        raise TrygghetError(f"objekt {number}{_named(props)} hamnar utanför Sverige efter "
                            f"omräkning från {_crs_name(crs)}", file=path, column="geometry",
                            hint=hint)
    still = ~shapely.is_valid(geoms)
    for i in np.flatnonzero(still):  # rare: valid in the file's CRS, not after reprojection
        geoms[i] = _polygonal(shapely.make_valid(geoms[i]))
    return [Feature(number, props, geom)
            for (number, props, _), geom in zip(raw, geoms, strict=True)]


_GEOM_TYPES = {"Point": "punkt", "MultiPoint": "samling punkter", "LineString": "linje",
               "MultiLineString": "samling linjer", "LinearRing": "ring",
               "GeometryCollection": "blandad geometrisamling"}


# --- Writing (the sample's schematic map, test files) -----------------------------------------

def to_geojson(shapes: Mapping[str, BaseGeometry], *, name_field: str = "namn",
               properties: Mapping[str, Any] | None = None,
               members: Mapping[str, Any] | None = None, source_epsg: int = TARGET_EPSG,
               decimals: int = 6) -> str:
    """Shapes as an RFC 7946 GeoJSON FeatureCollection (WGS 84 lon/lat), deterministic.

    ``properties`` are added to every feature and ``members`` to the collection
    (foreign members, e.g. a description); coordinates are rounded to
    ``decimals`` (6 decimals of a degree is about 0.1 m). One feature a line.
    """
    from pyproj import Transformer

    transformer = Transformer.from_crs(f"EPSG:{source_epsg}", "OGC:CRS84", always_xy=True)

    def project(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.round(np.column_stack([x, y]), decimals)

    def dump(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    lines = []
    for area, shape in shapes.items():
        lonlat = shapely.transform(shapely.orient_polygons(shape, exterior_cw=False), project)
        lines.append(dump({"type": "Feature",
                           "properties": {name_field: area, **(properties or {})},
                           "geometry": geometry_mapping(lonlat)}))
    head = "".join(f"{dump(k)}:{dump(v)}," for k, v in (members or {}).items())
    return ('{"type":"FeatureCollection",' + head + '"features":[\n'
            + ",\n".join(lines) + "\n]}\n")


def _disable_network() -> None:
    """PROJ may fetch transformation grids from the network; a report never does."""
    try:
        import pyproj.network

        pyproj.network.set_network_enabled(active=False)
    except ImportError:  # pragma: no cover (pyproj is a dependency)
        pass


_disable_network()

__all__ = [
    "Feature", "Boundaries", "read_boundaries", "to_geojson", "TARGET_EPSG", "MAX_BYTES",
    "MAX_FEATURES", "MAX_VERTICES", "NAME_FIELDS", "CODE_FIELDS", "SCHEMATIC_PROPERTY",
]
