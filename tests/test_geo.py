"""Boundary files and area maps (boundary_files.py, geo.py): reading, reprojection,
validation, matching to areas, tile maps.

The boundary files here are written the way the tools that make them do,
independently of the module under test: a GeoPackage with :mod:`sqlite3`
following OGC 12-128 (the tables, the ``GP`` geometry header, WKB), a GeoJSON
with :mod:`json` in WGS 84 (RFC 7946). Reprojection is checked against
Lantmäteriet's Gauss–Krüger formulas, written out below, not only against PROJ.
"""

from __future__ import annotations

import json
import math
import sqlite3
import struct
from pathlib import Path

import numpy as np
import pytest
import shapely
from conftest import EXAMPLE
from pyproj import Transformer

from trygghet import boundary_files, geo, sample
from trygghet.boundary_files import read_boundaries
from trygghet.errors import TrygghetError
from trygghet.geo import AreaKey, MapSettings

# --- Test boundaries: four DeSO squares of 1 km in two areas ----------------------------------

E0, N0 = 340_000.0, 6_460_000.0  # SWEREF 99 TM, near Trollhättan


def square(i: int, j: int, size: float = 1000.0) -> shapely.Polygon:
    return shapely.box(E0 + i * size, N0 + j * size, E0 + (i + 1) * size, N0 + (j + 1) * size)


#: DeSO code → (area, shape): Norr is two squares side by side, Söder two more.
DESO = {
    "1488C1010": ("Norr", square(0, 1)), "1488C1020": ("Norr", square(1, 1)),
    "1488C1030": ("Söder", square(0, 0)), "1488C1040": ("Söder", square(1, 0)),
}
AREAS = [AreaKey("Norr", ("Norra",), ("1488C1010", "1488C1020")),
         AreaKey("Söder", (), ("1488C1030", "1488C1040"))]
NAMED = {"Norr": shapely.union_all([square(0, 1), square(1, 1)]),
         "Söder": shapely.union_all([square(0, 0), square(1, 0)])}
REAL = MapSettings(attribution="Källa: testdata")


def gk_forward(lat: float, lon: float, lon0: float = 15.0, k0: float = 0.9996,
               false_easting: float = 500_000.0) -> tuple[float, float]:
    """WGS 84/GRS 80 → SWEREF 99 TM (N, E) by Lantmäteriet's Gauss–Krüger formulas."""
    a, f = 6378137.0, 1 / 298.257222101
    e2 = f * (2 - f)
    n = f / (2 - f)
    a_hat = a / (1 + n) * (1 + n**2 / 4 + n**4 / 64)
    A = e2
    B = (5 * e2**2 - e2**3) / 6
    C = (104 * e2**3 - 45 * e2**4) / 120
    D = 1237 * e2**4 / 1260
    beta = (n / 2 - 2 * n**2 / 3 + 5 * n**3 / 16 + 41 * n**4 / 180,
            13 * n**2 / 48 - 3 * n**3 / 5 + 557 * n**4 / 1440,
            61 * n**3 / 240 - 103 * n**4 / 140,
            49561 * n**4 / 161280)
    phi, dl = math.radians(lat), math.radians(lon - lon0)
    s = math.sin(phi)
    phi_star = phi - s * math.cos(phi) * (A + B * s**2 + C * s**4 + D * s**6)
    xi = math.atan(math.tan(phi_star) / math.cos(dl))
    eta = math.atanh(math.cos(phi_star) * math.sin(dl))
    north = k0 * a_hat * (xi + sum(b * math.sin(2 * (i + 1) * xi) * math.cosh(2 * (i + 1) * eta)
                                   for i, b in enumerate(beta)))
    east = k0 * a_hat * (eta + sum(b * math.cos(2 * (i + 1) * xi) * math.sinh(2 * (i + 1) * eta)
                                   for i, b in enumerate(beta))) + false_easting
    return north, east


def test_gauss_kruger_reference_on_the_central_meridian():
    """The series reference itself: on the central meridian the northing is k0 times the
    meridian arc, integrated here numerically from the ellipsoid's radius of curvature."""
    from scipy.integrate import quad

    a, f = 6378137.0, 1 / 298.257222101
    e2 = f * (2 - f)
    for lat in (55.5, 58.28, 67.0):
        arc, _ = quad(lambda p: a * (1 - e2) / (1 - e2 * math.sin(p) ** 2) ** 1.5, 0,
                      math.radians(lat), epsabs=1e-9)
        north, east = gk_forward(lat, 15.0)
        assert north == pytest.approx(0.9996 * arc, abs=1e-3)
        assert east == pytest.approx(500_000.0, abs=1e-6)


# --- Writing test files -----------------------------------------------------------------------

def wkb_polygon(polygon: shapely.Polygon) -> bytes:
    """ISO WKB of a polygon, little endian, by hand (type 3, rings, points)."""
    rings = [polygon.exterior, *polygon.interiors]
    out = struct.pack("<BII", 1, 3, len(rings))
    for ring in rings:
        coords = list(ring.coords)
        out += struct.pack("<I", len(coords))
        out += b"".join(struct.pack("<dd", x, y) for x, y in coords)
    return out


def gpkg_blob(wkb: bytes, srs_id: int, bounds, *, flags: int | None = None) -> bytes:
    """GeoPackage geometry: 'GP', version 0, flags (little endian, xy envelope), srs, envelope."""
    flags = 0b0000_0011 if flags is None else flags
    minx, miny, maxx, maxy = bounds
    return b"GP" + bytes([0, flags]) + struct.pack("<i", srs_id) + \
        struct.pack("<dddd", minx, maxx, miny, maxy) + wkb


def write_gpkg(path: Path, rows: list[dict], *, epsg: int | None = 3006,
               organization: str = "EPSG", definition: str = "undefined", srs_id: int | None = None,
               table: str = "deso", extra_tables: tuple[str, ...] = ()) -> Path:
    """A GeoPackage of polygons in ``epsg`` (shapes given in SWEREF 99 TM, transformed here)."""
    srs_id = srs_id if srs_id is not None else (epsg or 0)
    to_file = (Transformer.from_crs(3006, epsg, always_xy=True)
               if epsg not in (None, 3006) else None)
    con = sqlite3.connect(path)
    con.execute("PRAGMA application_id = 1196444487")  # 'GPKG'
    con.execute("PRAGMA user_version = 10200")
    con.execute("CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER "
                "PRIMARY KEY, organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT "
                "NULL, definition TEXT NOT NULL, description TEXT)")
    con.executemany("INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)", [
        ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", None),
        ("Undefined geographic SRS", 0, "NONE", 0, "undefined", None),
        ("WGS 84 geodetic", 4326, "EPSG", 4326, "GEOGCS[\"WGS 84\"]", None)])
    if srs_id not in (-1, 0, 4326):
        con.execute("INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)",
                    (f"EPSG {epsg}", srs_id, organization, epsg if organization == "EPSG" else
                     srs_id, definition, None))
    con.execute("CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type "
                "TEXT NOT NULL, identifier TEXT, description TEXT DEFAULT '', last_change "
                "DATETIME, min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER)")
    con.execute("CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT "
                "NOT NULL, geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT "
                "NOT NULL, m TINYINT NOT NULL)")
    for name in (table, *extra_tables):
        quoted = '"' + name.replace('"', '""') + '"'
        con.execute(f"CREATE TABLE {quoted} (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom BLOB, "
                    "desokod TEXT, namn TEXT, kommunkod TEXT)")
        con.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) "
                    "VALUES (?, 'features', ?, ?)", (name, name, srs_id))
        con.execute("INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', 'MULTIPOLYGON', ?, 0, "
                    "0)", (name, srs_id))
    for row in rows:
        shape = row["shape"]
        if to_file is not None:
            shape = shapely.transform(shape, lambda c: np.column_stack(
                to_file.transform(c[:, 0], c[:, 1])))
        blob = row.get("blob") or gpkg_blob(wkb_polygon(shape), srs_id, shape.bounds)
        quoted = '"' + table.replace('"', '""') + '"'
        con.execute(f"INSERT INTO {quoted} (geom, desokod, namn, kommunkod) VALUES (?, ?, ?, ?)",
                    (blob, row.get("code"), row.get("name"), row.get("kommun", "1488")))
    con.commit()
    con.close()
    return path


def deso_rows() -> list[dict]:
    return [{"code": code, "name": f"DeSO {code}", "shape": shape}
            for code, (_, shape) in DESO.items()]


def named_rows() -> list[dict]:
    return [{"name": name, "shape": shape} for name, shape in NAMED.items()]


def write_geojson(path: Path, features: list[tuple[dict, shapely.Polygon]], *,
                  crs: str | None = None, decimals: int = 8) -> Path:
    """An RFC 7946 GeoJSON (WGS 84 lon/lat) of shapes given in SWEREF 99 TM, by hand."""
    to_wgs = Transformer.from_crs(3006, 4326, always_xy=True)
    items = []
    for props, shape in features:
        if crs is None:
            ring = [[round(v, decimals) for v in to_wgs.transform(x, y)]
                    for x, y in shape.exterior.coords]
        else:
            ring = [[x, y] for x, y in shape.exterior.coords]
        items.append({"type": "Feature", "properties": props,
                      "geometry": {"type": "Polygon", "coordinates": [ring]}})
    doc = {"type": "FeatureCollection", "features": items}
    if crs is not None:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def same_shape(a, b, tolerance: float = 0.05) -> bool:
    """Equal within ``tolerance`` metres (Hausdorff distance)."""
    return shapely.hausdorff_distance(a, b) <= tolerance


# --- CRS handling -----------------------------------------------------------------------------

def test_geojson_in_wgs84_and_gpkg_in_sweref_give_the_same_areas(tmp_path):
    gj = write_geojson(tmp_path / "omraden.geojson",
                       [({"namn": n}, s) for n, s in NAMED.items()])
    gp = write_gpkg(tmp_path / "omraden.gpkg", named_rows())
    a = geo.match_areas(read_boundaries(gj), AREAS, REAL)
    b = geo.match_areas(read_boundaries(gp), AREAS, REAL)
    assert read_boundaries(gj).crs == "WGS 84" and read_boundaries(gp).crs == "EPSG:3006"
    for name, truth in NAMED.items():
        assert same_shape(a.shapes[name], truth), name
        assert same_shape(b.shapes[name], truth), name
    assert a.kind == b.kind == "boundaries" and a.attribution == "Källa: testdata"


def test_reprojection_agrees_with_gauss_kruger(tmp_path):
    """A GeoJSON vertex at a known lon/lat lands where Lantmäteriet's formulas put it."""
    lat, lon = 58.2812, 12.2876
    north, east = gk_forward(lat, lon)
    d = 0.01  # degrees
    ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d / 2], [lon, lat + d / 2], [lon, lat]]
    doc = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"namn": "Norr"},
        "geometry": {"type": "Polygon", "coordinates": [ring]}}]}
    path = tmp_path / "a.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    shape = read_boundaries(path).features[0].geometry
    x, y = min(shape.exterior.coords, key=lambda c: (c[0] - east) ** 2 + (c[1] - north) ** 2)
    assert x == pytest.approx(east, abs=0.01) and y == pytest.approx(north, abs=0.01)


def test_gpkg_in_a_local_sweref_zone_and_in_wgs84(tmp_path):
    """SWEREF 99 12 00 (EPSG:3007, Trollhättan's own zone) and lon/lat both reproject."""
    for epsg in (3007, 4326):
        path = write_gpkg(tmp_path / f"z{epsg}.gpkg", named_rows(), epsg=epsg)
        got = geo.match_areas(read_boundaries(path), AREAS, REAL)
        for name, truth in NAMED.items():
            assert same_shape(got.shapes[name], truth, 0.01), (epsg, name)


def test_gpkg_with_only_a_wkt_definition(tmp_path):
    from pyproj import CRS

    wkt = CRS.from_epsg(3006).to_wkt()
    path = write_gpkg(tmp_path / "wkt.gpkg", named_rows(), epsg=3006, srs_id=100000,
                      organization="NONE", definition=wkt)
    got = geo.match_areas(read_boundaries(path), AREAS, REAL)
    assert same_shape(got.shapes["Norr"], NAMED["Norr"])


def test_geojson_with_the_old_crs_member(tmp_path):
    path = write_geojson(tmp_path / "a.geojson", [({"namn": n}, s) for n, s in NAMED.items()],
                         crs="urn:ogc:def:crs:EPSG::3006")
    got = geo.match_areas(read_boundaries(path), AREAS, REAL)
    assert same_shape(got.shapes["Söder"], NAMED["Söder"], 1e-6)


def test_geojson_in_metres_without_crs_is_explained(tmp_path):
    doc = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"namn": "Norr"},
        "geometry": shapely.geometry.mapping(NAMED["Norr"])}]}
    path = tmp_path / "m.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(TrygghetError, match="ser ut att vara meter") as err:
        read_boundaries(path)
    assert err.value.file == str(path) and "WGS 84" in err.value.hint


def test_swapped_lon_lat_lands_outside_sweden(tmp_path):
    to_wgs = Transformer.from_crs(3006, 4326, always_xy=True)
    ring = [list(reversed(to_wgs.transform(x, y))) for x, y in NAMED["Norr"].exterior.coords]
    doc = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"namn": "Norr"},
        "geometry": {"type": "Polygon", "coordinates": [ring]}}]}
    path = tmp_path / "swapped.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(TrygghetError, match="utanför Sverige") as err:
        read_boundaries(path)
    assert "bytt plats" in err.value.hint and "objekt 1 ('Norr')" in err.value.message


@pytest.mark.parametrize("crs, message", [
    ("EPSG:999999", "okänt koordinatsystem"),
    ("urn:ogc:def:crs:EPSG::4978", "stöds inte"),  # geocentric: not a map projection
])
def test_unknown_or_unsupported_crs(tmp_path, crs, message):
    path = write_geojson(tmp_path / "c.geojson", [({"namn": "Norr"}, NAMED["Norr"])], crs=crs)
    with pytest.raises(TrygghetError, match=message):
        read_boundaries(path)


@pytest.mark.parametrize("srs_id", [0, -1])
def test_gpkg_without_a_crs(tmp_path, srs_id):
    path = write_gpkg(tmp_path / "u.gpkg", named_rows(), epsg=None, srs_id=srs_id)
    with pytest.raises(TrygghetError, match="koordinatsystem är inte angivet"):
        read_boundaries(path)


# --- Matching ---------------------------------------------------------------------------------

def test_match_by_name_and_alias(tmp_path):
    path = write_gpkg(tmp_path / "n.gpkg", [{"name": "NORRA ", "shape": NAMED["Norr"]},
                                           {"name": "söder", "shape": NAMED["Söder"]}])
    got = geo.match_areas(read_boundaries(path), AREAS, REAL)
    assert list(got.shapes) == ["Norr", "Söder"]
    assert same_shape(got.shapes["Norr"], NAMED["Norr"], 1e-9)


def test_match_by_code_draws_the_union_of_the_codes(tmp_path):
    path = write_gpkg(tmp_path / "deso.gpkg", deso_rows())
    got = geo.match_areas(read_boundaries(path), AREAS,
                          MapSettings(match="code", code_field="desokod", attribution="Källa: SCB"))
    for name, truth in NAMED.items():
        shape = got.shapes[name]
        assert shape.geom_type == "Polygon", name  # one shape, the inner edge dissolved
        assert shape.area == pytest.approx(2e6) and same_shape(shape, truth, 1e-6)


def test_national_file_filtered_to_the_municipality(tmp_path):
    rows = deso_rows() + [{"code": "1480C1010", "name": "Göteborg", "kommun": "1480",
                           "shape": square(5, 5)}]
    path = write_gpkg(tmp_path / "sverige.gpkg", rows)
    settings = MapSettings(match="code", code_field="desokod", filter=(("kommunkod", "1488"),),
                           attribution="Källa: SCB")
    got = geo.match_areas(read_boundaries(path), AREAS, settings)
    assert set(got.shapes) == {"Norr", "Söder"}
    with pytest.raises(TrygghetError, match="hör inte till något område.*1480C1010"):
        geo.match_areas(read_boundaries(path), AREAS,
                        MapSettings(match="code", code_field="desokod", attribution="x"))


def test_area_without_a_shape(tmp_path):
    path = write_gpkg(tmp_path / "n.gpkg", [{"name": "Norr", "shape": NAMED["Norr"]}])
    with pytest.raises(TrygghetError, match="1 område saknar yta.*'Söder'") as err:
        geo.match_areas(read_boundaries(path), AREAS, REAL)
    assert err.value.file == str(path) and err.value.column == "namn"
    assert "alias" in err.value.hint


def test_shape_without_an_area_and_how_to_ignore_it(tmp_path):
    rows = named_rows() + [{"name": "Stallbacka industriområde", "shape": square(3, 0)}]
    path = write_gpkg(tmp_path / "n.gpkg", rows)
    with pytest.raises(TrygghetError, match="1 yta i gränsfilen hör inte till något område.*"
                                            "Stallbacka") as err:
        geo.match_areas(read_boundaries(path), AREAS, REAL)
    assert "maps.ignore" in err.value.hint
    ok = MapSettings(ignore=("stallbacka industriområde",), attribution="x")
    assert set(geo.match_areas(read_boundaries(path), AREAS, ok).shapes) == {"Norr", "Söder"}


def test_code_errors(tmp_path):
    path = write_gpkg(tmp_path / "deso.gpkg", deso_rows())
    bounds = read_boundaries(path)
    by_code = MapSettings(match="code", code_field="desokod", attribution="x")
    twice = [AreaKey("Norr", codes=("1488C1010", "1488C1020")),
             AreaKey("Söder", codes=("1488C1020", "1488C1030", "1488C1040"))]
    with pytest.raises(TrygghetError, match="hör till både Norr och Söder"):
        geo.match_areas(bounds, twice, by_code)
    absent = [*AREAS[:1], AreaKey("Söder", codes=("1488C1030", "1488C1040", "1488C9999"))]
    with pytest.raises(TrygghetError, match="'1488C9999' för området Söder finns inte"):
        geo.match_areas(bounds, absent, by_code)
    with pytest.raises(TrygghetError, match="området Söder har inga koder"):
        geo.match_areas(bounds, [AREAS[0], AreaKey("Söder")], by_code)
    with pytest.raises(TrygghetError, match="fältet 'regso' finns inte") as err:
        geo.match_areas(bounds, AREAS, MapSettings(match="code", code_field="regso"))
    assert "desokod" in err.value.hint


def test_real_boundaries_need_an_attribution(tmp_path):
    path = write_gpkg(tmp_path / "n.gpkg", named_rows())
    with pytest.raises(TrygghetError, match="källan för gränserna saknas") as err:
        geo.match_areas(read_boundaries(path), AREAS, MapSettings())
    assert err.value.column == "maps.attribution"


# --- Validation of the file -------------------------------------------------------------------

BOWTIE = shapely.Polygon([(E0, N0), (E0 + 1000, N0 + 1000), (E0 + 1000, N0), (E0, N0 + 1000)])


def test_self_intersection_is_named_with_its_place(tmp_path):
    rows = [{"name": "Norr", "shape": NAMED["Norr"]}, {"name": "Söder", "shape": BOWTIE}]
    path = write_gpkg(tmp_path / "bad.gpkg", rows)
    with pytest.raises(TrygghetError) as err:
        read_boundaries(path)
    msg = str(err.value)
    assert "objekt 2 ('Söder')" in msg and "EPSG:3006" in msg
    assert "gränsen korsar sig själv vid (340500, 6460500)" in msg
    assert "make_valid" in err.value.hint and err.value.column == "geometry"


def test_make_valid_only_when_asked(tmp_path):
    rows = [{"name": "Norr", "shape": NAMED["Norr"]}, {"name": "Söder", "shape": BOWTIE}]
    path = write_gpkg(tmp_path / "bad.gpkg", rows)
    fixed = read_boundaries(path, make_valid=True).features[1].geometry
    assert fixed.is_valid and fixed.geom_type == "MultiPolygon" and len(fixed.geoms) == 2
    assert fixed.area == pytest.approx(500_000.0)


def test_points_and_lines_are_not_areas(tmp_path):
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"namn": "Norr"},
         "geometry": {"type": "Point", "coordinates": [12.3, 58.3]}}]}
    path = tmp_path / "p.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(TrygghetError, match="objekt 1 \\('Norr'\\) är en punkt, inte en yta"):
        read_boundaries(path)


@pytest.mark.parametrize("content, message", [
    (b"", "tom"),
    (b'{"type": "FeatureCollection", "features": []}', "inga objekt"),
    (b'{"type": "FeatureCollection", "features": [', "ogiltig JSON"),
    (b'{"type": "Topology", "objects": {}}', "inte en GeoJSON FeatureCollection"),
    (b"PK\x03\x04zipped", "zip-fil"),
    (b"\x00\x00\x27\x0a" + b"\x00" * 96, "Shapefile stöds inte"),
    (b"namn;geometri\nNorr;POLYGON", "okänt filformat"),
    (b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
     b'"geometry": null}]}', "saknar geometri"),
    (b"[" * 100_000, "nästlad|ogiltig JSON"),
])
def test_bad_files_are_one_message(tmp_path, content, message):
    path = tmp_path / "b.geojson"
    path.write_bytes(content)
    with pytest.raises(TrygghetError, match=message) as err:
        read_boundaries(path)
    assert err.value.file == str(path)


def test_missing_file(tmp_path):
    with pytest.raises(TrygghetError, match="finns inte"):
        read_boundaries(tmp_path / "nope.gpkg")


def test_caps_on_size_features_and_work(tmp_path, monkeypatch):
    path = write_gpkg(tmp_path / "many.gpkg",
                      [{"name": f"R{i}", "shape": square(i % 60, i // 60, 10.0)}
                       for i in range(3000)])
    monkeypatch.setattr(boundary_files, "MAX_BYTES", {"gpkg": 1000, "geojson": 1000})
    with pytest.raises(TrygghetError, match="för stor"):
        read_boundaries(path)
    monkeypatch.setattr(boundary_files, "MAX_BYTES", {"gpkg": 2**30, "geojson": 2**30})
    monkeypatch.setattr(boundary_files, "MAX_FEATURES", 100)
    with pytest.raises(TrygghetError, match="för många objekt \\(3000"):
        read_boundaries(path)
    monkeypatch.setattr(boundary_files, "MAX_FEATURES", 10_000)
    monkeypatch.setattr(boundary_files, "MAX_SQLITE_SECONDS", 0.0)
    with pytest.raises(TrygghetError, match="för lång tid"):
        read_boundaries(path)


def test_gpkg_layers_and_odd_names(tmp_path):
    """Several layers need maps.layer; a table name with quotes is quoted, not executed."""
    name = 'omr"; DROP TABLE gpkg_contents; --'
    path = write_gpkg(tmp_path / "l.gpkg", named_rows(), table=name, extra_tables=("regso",))
    with pytest.raises(TrygghetError, match="2 lager") as err:
        read_boundaries(path)
    assert "maps.layer" in err.value.hint
    got = read_boundaries(path, layer=name)
    assert len(got.features) == 2 and "namn" in got.fields
    with pytest.raises(TrygghetError, match="lagret 'x' finns inte"):
        read_boundaries(path, layer="x")
    assert read_boundaries(path, layer=name).features  # the file was not changed


def test_gpkg_geometry_header_variants(tmp_path):
    wkb = wkb_polygon(NAMED["Norr"])
    no_envelope = b"GP\x00\x01" + struct.pack("<i", 3006) + wkb
    ok = write_gpkg(tmp_path / "ok.gpkg", [{"name": "Norr", "shape": NAMED["Norr"],
                                            "blob": no_envelope}])
    assert same_shape(read_boundaries(ok).features[0].geometry, NAMED["Norr"], 1e-9)
    empty = b"GP\x00\x11" + struct.pack("<i", 3006) + wkb
    bad = write_gpkg(tmp_path / "e.gpkg", [{"name": "Norr", "shape": NAMED["Norr"],
                                            "blob": empty}])
    with pytest.raises(TrygghetError, match="tom geometri"):
        read_boundaries(bad)
    curve = b"GP\x00\x01" + struct.pack("<i", 3006) + struct.pack("<BI", 1, 10) + b"\x00" * 8
    bad = write_gpkg(tmp_path / "c.gpkg", [{"name": "Norr", "shape": NAMED["Norr"],
                                            "blob": curve}])
    with pytest.raises(TrygghetError, match="kurvor"):
        read_boundaries(bad)
    junk = write_gpkg(tmp_path / "j.gpkg", [{"name": "Norr", "shape": NAMED["Norr"],
                                             "blob": b"not a geometry"}])
    with pytest.raises(TrygghetError, match="inte i GeoPackage-format"):
        read_boundaries(junk)


# --- Settings and tiles -----------------------------------------------------------------------

def test_settings_are_validated(tmp_path):
    ok = MapSettings.from_settings({"boundaries": "data/reference/a.gpkg", "match": "code",
                                    "code_field": "desokod", "filter": {"kommunkod": 1488},
                                    "ignore": "Stallbacka", "attribution": "Källa: SCB",
                                    "tiles": {"Norr": [1, 1], "Söder": [2, 1]}}, tmp_path)
    assert ok.boundaries == tmp_path / "data/reference/a.gpkg"
    assert ok.filter == (("kommunkod", "1488"),) and ok.ignore == ("Stallbacka",)
    assert ok.tiles == (("Norr", 1, 1), ("Söder", 2, 1))
    assert MapSettings.from_settings(None, tmp_path).boundaries is None
    for bad, message in [({"boundary": "x"}, "okänd nyckel"), ({"match": "namn"}, "okänt sätt"),
                         ({"make_valid": "ja"}, "true eller false"),
                         ({"tiles": {"Norr": [0, 1]}}, "heltal ≥ 1"), ("x", "samling")]:
        with pytest.raises(TrygghetError, match=message) as err:
            MapSettings.from_settings(bad, tmp_path)
        assert err.value.file.endswith("trygghet.yml")


def test_tile_map_layouts():
    auto = geo.tile_map(["A", "B", "C", "D", "E"])
    assert auto.kind == "tiles" and not auto.geographic and auto.areas == ["A", "B", "C", "D", "E"]
    assert {round(s.area, 4) for s in auto.shapes.values()} == {round(0.92**2, 4)}
    assert not any(a.intersects(b) for i, a in enumerate(auto.shapes.values())
                   for b in list(auto.shapes.values())[i + 1:])
    rows = {round(s.bounds[1]) for s in auto.shapes.values()}
    assert len(rows) == 2  # five tiles: 3 + 2, wider than tall
    given = geo.tile_map(["A", "B"], [("A", 1, 2), ("B", 2, 1)])
    assert given.shapes["A"].bounds[0] > given.shapes["B"].bounds[0]
    assert given.shapes["A"].bounds[1] > given.shapes["B"].bounds[1]  # row 1 is on top
    with pytest.raises(TrygghetError, match="samma ruta"):
        geo.tile_map(["A", "B"], [("A", 1, 1), ("B", 1, 1)])
    with pytest.raises(TrygghetError, match="saknar 'B'"):
        geo.tile_map(["A", "B"], [("A", 1, 1)])
    with pytest.raises(TrygghetError, match="okänt område 'C'"):
        geo.tile_map(["A", "B"], [("A", 1, 1), ("B", 1, 2), ("C", 1, 3)])


# --- The bundled schematic map ----------------------------------------------------------------

SCHEMATIC = EXAMPLE / "data" / "reference" / sample.BOUNDARIES_FILE


def test_bundled_schematic_map_is_generated_labelled_and_complete():
    assert SCHEMATIC.read_text(encoding="utf-8") == sample.schematic_geojson(sample.DEFAULT_SEED)
    doc = json.loads(SCHEMATIC.read_text(encoding="utf-8"))
    assert "inte verkliga gränser" in doc["beskrivning"]
    names = [f["properties"]["namn"] for f in doc["features"]]
    assert names == [a.name for a in sample.TROLLHATTAN]
    assert all(f["properties"][boundary_files.SCHEMATIC_PROPERTY] is True for f in doc["features"])
    bounds = read_boundaries(SCHEMATIC)
    assert bounds.schematic and bounds.crs == "WGS 84"
    shapes = [f.geometry for f in bounds.features]
    assert shapely.coverage_is_valid(shapes)  # no overlaps between areas
    assert not shapely.union_all(shapes).interiors  # and no holes


def test_schematic_map_is_seeded():
    assert sample.schematic_geojson(7) == sample.schematic_geojson(7)
    assert sample.schematic_geojson(7) != sample.schematic_geojson(8)


@pytest.mark.parametrize("seed", [0, 1, 55, 123, 9999])
def test_places_near_an_anchor_stay_in_their_area_for_every_seed(seed):
    """trygghetsronder.csv is not generated: its places must fit the map of any seed."""
    shapes = sample.schematic_boundaries(seed)
    for area in shapes:
        for dx, dy in ((0.6, 0), (-0.42, 0.42), (0, -0.6)):
            assert shapes[area].contains(shapely.Point(sample.schematic_point(area, dx, dy)))


def test_load_area_map_from_the_project(tmp_path):
    from conftest import copy_sample

    from trygghet.config import Project

    root = copy_sample(tmp_path)
    area_map = geo.load_area_map(2020, project=Project(root))
    assert area_map.kind == "schematic" and len(area_map.areas) == 12
    assert area_map.aliases["Kronogården"] == ("Kronogarden",)
    config = root / "config" / "trygghet.yml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text[:text.index("\n# Maps")] + "\n", encoding="utf-8")
    tiles = geo.load_area_map(2020, project=Project(root))
    assert tiles.kind == "tiles" and tiles.areas == area_map.areas
    # A promise year without a survey mapping of its own uses the latest one before it.
    assert geo.load_area_map(2030, project=Project(root)).areas == area_map.areas


def test_mapping_areas_may_list_codes(tmp_path):
    import yaml
    from conftest import mini_mapping

    from trygghet.mapping import load_mapping

    m = mini_mapping()
    m["areas"]["Norr"]["codes"] = ["1488C1010", "1488C1020"]
    m["areas"]["Söder"]["codes"] = 1488
    path = tmp_path / "2020.yml"
    path.write_text(yaml.safe_dump(m, allow_unicode=True), encoding="utf-8")
    areas = load_mapping(path).areas
    assert areas["Norr"].codes == ("1488C1010", "1488C1020") and areas["Söder"].codes == ("1488",)
    keys = geo.area_keys(areas)
    assert keys[0] == AreaKey("Norr", ("Norra",), ("1488C1010", "1488C1020"))
