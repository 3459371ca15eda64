"""Maps (maps.py, map_layout.py, rounds_map.py): classes, the choropleth's SVG, the table
beside it, labels beside small areas, the rounds map.

The SVG is read back as text: a value is on the map only if it is a ``<text>``
in it, and a withheld value must be nowhere in it. Colours are checked with
the accessibility suite's own reader of chart SVGs.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
import shapely
from conftest import EXAMPLE
from test_accessibility import GRAPHICS_MIN, TEXT_MIN, chart_colours

from trygghet import geo, maps, rounds_map, theme
from trygghet.charts import alt_text, to_svg
from trygghet.config import Project
from trygghet.errors import TrygghetError
from trygghet.fmt import NBSP

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def _theme():
    with theme.theme_context():  # as in the report notebooks: text stays text in the SVG
        yield

AREAS = ["Centrum", "Kronogården", "Lextorp", "Sylte", "Upphärad"]


def estimates(values: dict[str, float | None], *, indicator: str = "otrygg_kvall",
              kind: str = "share", year: int = 2020, suppressed: tuple[str, ...] = (),
              estimate_type: str = "weighted", generalisable: bool = True) -> pd.DataFrame:
    """An estimates table of one indicator by area, as the estimation stage writes it.

    A suppressed area keeps its (withheld) estimate in the frame, as after
    ``suppress.protect`` — the map must not show it.
    """
    rows = []
    for area, value in values.items():
        hidden = area in suppressed
        rows.append({"year": year, "indicator": indicator, "kind": kind, "group_var": "area",
                     "group": area, "estimate_type": estimate_type, "n": 80,
                     "estimate": value, "ci_low": None, "ci_high": None,
                     "generalisable": generalisable, "suppressed": hidden,
                     "symbol": ".." if hidden else ("." if value is None else "")})
    rows.append({"year": year, "indicator": indicator, "kind": kind, "group_var": "total",
                 "group": "Totalt", "estimate_type": estimate_type, "n": 400, "estimate": 0.3,
                 "ci_low": None, "ci_high": None, "generalisable": generalisable,
                 "suppressed": False, "symbol": ""})
    return pd.DataFrame(rows)


SHARES = {"Centrum": 0.376, "Kronogården": 0.4529, "Lextorp": 0.2049, "Sylte": 0.0777,
          "Upphärad": 0.7321}


def texts(svg: str) -> list[str]:
    """Every text drawn in the SVG (matplotlib writes one <text> per line)."""
    root = ET.fromstring(svg)
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def schematic() -> geo.AreaMap:
    return geo.load_area_map(2020, project=Project(EXAMPLE))


# --- Classes -----------------------------------------------------------------------------------

@pytest.mark.parametrize("percents, labels", [
    ([8, 45], ["0–9 %", "10–19 %", "20–29 %", "30–39 %", "40–49 %"]),
    ([21, 28], ["20–24 %", "25–29 %"]),
    ([33, 33], ["30–34 %"]),
    ([3, 97], ["0–19 %", "20–39 %", "40–59 %", "60–79 %", "80–99 %"]),
    ([60, 100], ["60–69 %", "70–79 %", "80–89 %", "90–99 %", "100 %"]),
])
def test_share_classes_state_their_limits(percents, labels):
    classes = maps.share_classes(percents)
    assert [k.label.replace(NBSP, " ") for k in classes] == labels
    for p in range(min(percents), max(percents) + 1):
        assert sum(k.contains(p) for k in classes) == 1, p  # every value in exactly one


def test_index_classes_are_the_bands_with_limits():
    classes = maps.index_classes([1.05, 2.97])
    # Every band from the lowest to the highest value, also one without an area.
    assert [k.label.replace(NBSP, " ") for k in classes] == [
        "Låg nivå 0,00–1,49", "Måttlig nivå 1,50–2,49", "Förhöjd nivå 2,50–3,49"]
    assert [k.color for k in classes] == [theme.band_colors(
        ["Låg nivå", "Måttlig nivå", "Förhöjd nivå", "Hög nivå"])[n]
        for n in ("Låg nivå", "Måttlig nivå", "Förhöjd nivå")]
    assert maps.index_classes([4.0], language="en")[0].label.replace(NBSP, " ") == \
        "High level ≥ 3.50"


def test_share_ramp_is_sequential_and_visible_on_white():
    lum = [theme.relative_luminance(c) for c in maps.SHARE_RAMP]
    assert lum == sorted(lum, reverse=True)  # darker class = higher value
    assert all(theme.contrast_ratio(c) >= GRAPHICS_MIN for c in maps.SHARE_RAMP)
    # Neighbouring classes differ in lightness, not only in hue (colour vision deficiency).
    assert all(a / b >= 1.2 for a, b in zip(lum, lum[1:], strict=False))


# --- The choropleth ------------------------------------------------------------------------------

def test_values_are_written_on_the_areas_with_alt_text():
    ax = maps.choropleth(estimates(SHARES), area_map=geo.tile_map(AREAS))
    svg = to_svg(ax.figure)
    drawn = texts(svg)
    for area, share in SHARES.items():
        assert area in drawn
        assert f"{round(share * 100)}{NBSP}%" in drawn, area
    alt = alt_text(ax)
    assert alt.startswith("Karta: Känner sig otrygg ute ensam sent en kväll, 2020, per område: "
                          f"högst i Upphärad (73{NBSP}%) och lägst i Sylte (8{NBSP}%) av 5")
    # 8–73 %: classes of 20 points (10 would need eight).
    assert f"40–59{NBSP}%: Kronogården" in alt and "Rutkarta" in alt
    legend = [t for t in drawn if re.fullmatch(rf"\d+–\d+{NBSP}%", t)]
    assert legend == [f"{a}–{a + 19}{NBSP}%" for a in (60, 40, 20, 0)]  # highest on top


def test_a_suppressed_area_is_hatched_labelled_and_never_shows_its_value():
    data = estimates({**SHARES, "Lextorp": 0.6173}, suppressed=("Lextorp",))
    ax = maps.choropleth(data, area_map=geo.tile_map(AREAS))
    svg = to_svg(ax.figure)
    drawn = texts(svg)
    withheld = ("62", "61,7", "0.617", "0,617")
    assert not any(w in t for t in drawn for w in withheld)
    assert not any(w in svg for w in (f"62{NBSP}%", "61,7"))
    assert "..\u00a0redovisas inte" in drawn and drawn.count("..") == 1  # the area's label
    assert "<pattern" in svg  # the hatch
    alt = alt_text(ax)
    assert "Lextorp redovisas inte" in alt and "62" not in alt
    table = maps.map_table(data, area_map=geo.tile_map(AREAS))
    row = table[table["Område"] == "Lextorp"].iloc[0]
    assert list(row) == ["Lextorp", "..", ".."] and table.index[-1] == row.name
    assert not table.astype(str).apply(lambda c: c.str.contains("62")).any().any()
    assert any("för få svar" in t for t in drawn)  # the footnote explains the symbol


def test_missing_area_and_area_not_on_the_map():
    data = estimates({"Centrum": 0.3, "Kronogården": None, "Annat område": 0.25})
    ax = maps.choropleth(data, area_map=geo.tile_map(["Centrum", "Kronogården", "Lextorp"]))
    drawn = texts(to_svg(ax.figure))
    assert drawn.count(".") >= 2  # Kronogården (not asked) and Lextorp (no row)
    assert any("Annat område finns inte på kartan" in t for t in drawn)


def test_the_table_has_the_same_figures_as_the_map():
    data = estimates(SHARES)
    table = maps.map_table(data, area_map=geo.tile_map(AREAS))
    assert list(table.columns) == ["Område", "Andel", "Klass"]
    assert list(table["Område"]) == ["Upphärad", "Kronogården", "Centrum", "Lextorp", "Sylte"]
    drawn = texts(to_svg(maps.choropleth(data, area_map=geo.tile_map(AREAS)).figure))
    assert set(table["Andel"]) <= set(drawn) and set(table["Klass"]) <= set(drawn)
    # A value written "20 %" is in "20–29 %": classes follow the written value.
    edge = maps.map_table(estimates({"A": 0.1996, "B": 0.4}), area_map=geo.tile_map(["A", "B"]))
    assert edge.iloc[1].tolist() == ["A", f"20{NBSP}%", f"20–24{NBSP}%"]  # not 15–19 %


def test_index_map_uses_the_bands():
    data = estimates({"Centrum": 2.584, "Kronogården": 2.97, "Sylte": 1.8535, "Lextorp": 1.2,
                      "Upphärad": 1.0496}, indicator="problemindex", kind="mean")
    ax = maps.choropleth(data, "problemindex", area_map=geo.tile_map(AREAS))
    drawn = texts(to_svg(ax.figure))
    assert {"2,58", "2,97", "1,85", "1,20", "1,05"} <= set(drawn)
    assert "Indexvärde (0–6)" in drawn and any(t.startswith("Förhöjd nivå") for t in drawn)
    assert "Förhöjd nivå 2,50–3,49: Kronogården och Centrum" in alt_text(ax).replace(NBSP, " ")


def test_opt_in_year_says_so_and_english_works():
    data = estimates(SHARES, estimate_type="unweighted", generalisable=False)
    ax = maps.choropleth(data, area_map=geo.tile_map(AREAS), language="en")
    drawn = " ".join(texts(to_svg(ax.figure)))
    assert "Not a random sample" in drawn and "Tile map" in drawn
    assert "Share of respondents" in drawn  # the legend's title
    assert alt_text(ax).startswith("Map: Feels unsafe out alone late in the evening, 2020")
    assert list(maps.map_table(data, area_map=geo.tile_map(AREAS), language="en").columns) == \
        ["Area", "Share of respondents", "Class"]


def test_primary_estimate_is_shown_for_an_opt_in_year():
    both = pd.concat([estimates(SHARES, estimate_type="unweighted", generalisable=False),
                      estimates({a: 0.11 for a in SHARES}, estimate_type="adjusted")])
    table = maps.map_table(both, area_map=geo.tile_map(AREAS))
    assert f"11{NBSP}%" not in set(table.iloc[:, 1])


def test_schematic_map_with_an_outlined_area():
    area_map = schematic()
    ax = maps.choropleth(estimates(dict.fromkeys(area_map.areas, 0.3)), area_map=area_map,
                         highlight="Kronogården")
    svg = to_svg(ax.figure)
    drawn = texts(svg)
    assert "Schematisk karta, inte verkliga gränser." in drawn
    assert "Tjock kant: Kronogården." in drawn
    assert "Kronogården är markerat med tjock kant" in alt_text(ax)
    assert re.search(r"fill: ?none; stroke: ?#1a1a1a; stroke-width: ?2\.4", svg, re.I)
    with pytest.raises(TrygghetError, match="finns inte på kartan"):
        maps.choropleth(estimates({"A": 0.3}), area_map=area_map, highlight="Atlantis")


def test_real_boundaries_carry_their_source():
    shapes = {"Norr": shapely.box(340_000, 6_461_000, 342_000, 6_462_000),
              "Söder": shapely.box(340_000, 6_460_000, 342_000, 6_461_000)}
    area_map = geo.AreaMap(shapes, "boundaries", "Källa: SCB")
    ax = maps.choropleth(estimates({"Norr": 0.2, "Söder": 0.3}), area_map=area_map)
    drawn = texts(to_svg(ax.figure))
    assert "Källa: SCB" in drawn and not any("Schematisk" in t for t in drawn)
    assert alt_text(ax).endswith("Källa: SCB")


def test_small_areas_get_their_label_beside_the_map():
    big = shapely.box(0, 0, 10_000, 10_000)
    tiny = shapely.box(9_900, 5_000, 9_950, 5_050)
    area_map = geo.AreaMap({"Stor": big.difference(tiny), "Liten": tiny}, "boundaries", "x")
    ax = maps.choropleth(estimates({"Stor": 0.2, "Liten": 0.35}), area_map=area_map)
    labels = [a for a in ax.texts if "Liten" in a.get_text()]
    assert len(labels) == 1 and labels[0].get_text() == f"Liten\n35{NBSP}%"
    assert labels[0].arrow_patch is not None  # a leader line to the area
    x = labels[0].get_position()[0]
    assert x > 10_000  # right of the map, where the area is


def test_chart_colours_pass_the_accessibility_check():
    area_map = schematic()
    data = estimates({**dict.fromkeys(area_map.areas, 0.3), "Sylte": 0.08, "Centrum": 0.45},
                     suppressed=("Lextorp",))
    for ax in (maps.choropleth(data, area_map=area_map, highlight="Sylte"),
               maps.choropleth(data, area_map=geo.tile_map(area_map.areas))):
        marks = set()
        for kind, color, background, where in chart_colours(to_svg(ax.figure)):
            if kind == "text":
                assert theme.contrast_ratio(color, background) >= TEXT_MIN, (where, color)
            elif kind == "mark" and color.lower() != background.lower():
                marks.add(color.lower())
                assert theme.contrast_ratio(color, background) >= GRAPHICS_MIN, (where, color)
        assert {c.lower() for c in maps.SHARE_RAMP} & marks


def test_same_map_same_svg():
    area_map = schematic()
    data = estimates(dict.fromkeys(area_map.areas, 0.3))
    first = to_svg(maps.choropleth(data, area_map=area_map).figure)
    assert first == to_svg(maps.choropleth(data, area_map=area_map).figure)


# --- Trygghetsronder -----------------------------------------------------------------------------

HEADER = "area,date,held,participants,children_youth,observation,lat,lon,sweref_n,sweref_e\n"


def register(tmp_path: Path, rows: list[str], header: str = HEADER) -> Path:
    path = tmp_path / "trygghetsronder.csv"
    path.write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_read_round_places(tmp_path):
    path = register(tmp_path, [
        "Kronogården,2020-06-09,ja,20,5,Tunneln,\"58,25100\",12.27103,,",
        "Kronogården,2020-06-09,ja,20,5,Torget,,,,",
        "",
        "Lextorp,2020-10-13,,14,0,Lekplatsen,,,6461000,338000",
        "Sylte,2020-04-21,nej,,,,,,,",
    ])
    places = rounds_map.read_round_places(path)
    assert list(places["row"]) == [2, 3, 5, 6]
    assert list(places["held"]) == [True, True, True, False]
    x, y = places.iloc[0][["x", "y"]]
    from test_geo import gk_forward

    north, east = gk_forward(58.251, 12.27103)
    assert x == pytest.approx(east, abs=0.01) and y == pytest.approx(north, abs=0.01)
    assert places.iloc[2][["x", "y"]].tolist() == [338000.0, 6461000.0]
    assert math.isnan(places.iloc[1]["x"])


@pytest.mark.parametrize("row, message, column, hint", [
    ("A,2020-06-09,ja,1,0,x,12.27,58.25,,", "ligger inte i Sverige", "lat", "bytt plats"),
    ("A,2020-06-09,ja,1,0,x,58.25,,,", "båda koordinaterna", "lon", None),
    ("A,2020-06-09,ja,1,0,x,,,338000,6461000", "ligger inte i Sverige", "sweref_n",
     "bytt plats"),
    ("A,2020-06-09,ja,1,0,x,58.25,12.27,6461000,338000", "två gånger", "lat", None),
    ("A,2020-06-09,ja,1,0,x,nord,12.27,,", "inte ett tal", "lat", None),
    ("A,9 juni,ja,1,0,x,,,,", "ogiltigt datum", "date", "ÅÅÅÅ-MM-DD"),
    ("A,2020-06-09,kanske,1,0,x,,,,", "ja eller nej", "held", None),
])
def test_bad_round_places_are_one_message(tmp_path, row, message, column, hint):
    path = register(tmp_path, [row])
    with pytest.raises(TrygghetError, match=message) as err:
        rounds_map.read_round_places(path)
    assert (err.value.file, err.value.row, err.value.column) == (str(path), 2, column)
    if hint:
        assert hint in err.value.hint


def test_rounds_map_marks_areas_and_places(tmp_path):
    from trygghet import sample

    x, y = sample.schematic_point("Kronogården", 0.3, 0.1)
    path = register(tmp_path, [
        f"Kronogården,2020-06-09,ja,20,5,Tunneln,,,{y},{x}",
        "Halvorstorp/Sandhem,2020-05-14,ja,18,0,Belysning,,,,",
        "Kronogarden,2020-09-01,ja,12,0,Torget,,,,",
        "Sylte,2020-04-21,nej,,,,,,,",
        "Lextorp,2019-10-13,ja,14,0,Lekplatsen,,,,",
    ])
    area_map = schematic()
    ax = rounds_map.rounds_map(rounds_map.read_round_places(path), area_map, 2020, path=path)
    drawn = texts(to_svg(ax.figure))
    assert any(t.endswith(f"9{NBSP}juni, 1{NBSP}september") for t in drawn)
    assert f"14{NBSP}maj" in drawn
    assert f"inställd 21{NBSP}april" in drawn and "Plats för iakttagelse" in drawn
    alt = alt_text(ax).replace(NBSP, " ")
    assert alt.startswith("Trygghetsronder 2020: genomförda i Kronogården (9 juni, 1 september)")
    assert "Halvorstorp (14 maj) och Sandhem (14 maj)" in alt and "inställda i Sylte" in alt
    assert "1 plats för en iakttagelse är markerad" in alt
    assert "Lextorp" not in alt  # 2019 is another year
    tile_map = replace(geo.tile_map(area_map.areas), aliases=area_map.aliases)
    tiles = rounds_map.rounds_map(rounds_map.read_round_places(path), tile_map, 2020)
    assert any("platserna inom områdena" in t for t in texts(to_svg(tiles.figure)))


def test_a_place_outside_its_area_or_an_unknown_area(tmp_path):
    from trygghet import sample

    x, y = sample.schematic_point("Upphärad")
    path = register(tmp_path, [f"Kronogården,2020-06-09,ja,20,5,Tunneln,,,{y},{x}"])
    with pytest.raises(TrygghetError, match="platsen ligger inte i Kronogården") as err:
        rounds_map.rounds_map(rounds_map.read_round_places(path), schematic(), 2020, path=path)
    assert err.value.row == 2
    path = register(tmp_path, ["Atlantis,2020-06-09,ja,20,5,x,,,,"])
    with pytest.raises(TrygghetError, match="okänt område 'Atlantis'") as err:
        rounds_map.rounds_map(rounds_map.read_round_places(path), schematic(), 2020, path=path)
    assert "Kronogården" in err.value.hint


def test_bundled_register_has_places_on_the_sample_map():
    path = EXAMPLE / "data" / "reference" / "trygghetsronder.csv"
    places = rounds_map.read_round_places(path)
    assert places["x"].notna().sum() == 3
    ax = rounds_map.rounds_map(places, schematic(), 2020, path=path)
    assert "3 platser för iakttagelser är markerade" in alt_text(ax)


def test_zero_and_nothing_to_show():
    data = estimates({"Centrum": 0.0, "Lextorp": 0.2})
    data.loc[data["group"] == "Centrum", "symbol"] = "–"
    ax = maps.choropleth(data, area_map=geo.tile_map(["Centrum", "Lextorp"]))
    drawn = texts(to_svg(ax.figure))
    assert "–" in drawn and "– = noll." in drawn
    hidden = estimates({"Centrum": 0.31, "Lextorp": 0.2}, suppressed=("Centrum", "Lextorp"))
    ax = maps.choropleth(hidden, area_map=geo.tile_map(["Centrum", "Lextorp"]))
    assert "inga områden kan redovisas" in alt_text(ax)
    assert not any("%" in t for t in texts(to_svg(ax.figure)))
