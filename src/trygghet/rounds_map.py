"""Where the trygghetsronder were held, on the map of the areas (the promise follow-up).

The register ``data/reference/trygghetsronder.csv`` names each round's area
and may give, per row (observation), its place: ``lat``/``lon`` (WGS 84) or
``sweref_n``/``sweref_e`` (SWEREF 99 TM). :func:`read_round_places` reads
those columns (the register's other columns are validated by
:func:`trygghet.promise_files.read_rounds`); :func:`rounds_map` fills the
areas where a round was held, hatches those whose round was cancelled, and
marks each place with a dot. Words are :mod:`trygghet.maps`'.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from . import fmt, theme
from .boundary_files import TARGET_EPSG
from .charts import set_alt_text
from .errors import TrygghetError
from .geo import AreaMap
from .map_layout import HATCH, NO_VALUE, MapArea, draw_map, swatch
from .mapping import normalise
from .maps import geography_note, map_text
from .promise_files import read_reference_csv
from .vocabulary import check_language

#: An area where a trygghetsrond was held (≥ 4.5:1 on white).
ROUND_COLOR = theme.PALETTE["green"]

def _word(key: str, language: str) -> str:
    return map_text(key, language)


def _joined(items, language: str) -> str:
    return fmt.join(list(items), language=language)


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
    rows = read_reference_csv(path, ("area", "date"))
    fields = set(rows[0][1]) if rows else set()
    for a, b in (("lat", "lon"), ("sweref_n", "sweref_e")):
        if (a in fields) != (b in fields):
            raise TrygghetError(f"kolumnen '{b if a in fields else a}' saknas", file=path, row=1,
                                hint=f"en plats anges med både {a} och {b}")
    to_sweref = Transformer.from_crs("EPSG:4326", f"EPSG:{TARGET_EPSG}", always_xy=True)
    records = []
    for number, cells in rows:
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
        # Both of a pair or neither (checked above); the second test narrows the type.
        if lat is not None and lon is not None:
            if not (_LAT[0] <= lat <= _LAT[1] and _LON[0] <= lon <= _LON[1]):
                swapped = _LAT[0] <= lon <= _LAT[1] and _LON[0] <= lat <= _LON[1]
                raise TrygghetError(f"platsen ({lat}, {lon}) ligger inte i Sverige", file=path,
                                    row=number, column="lat",
                                    hint="lat och lon har bytt plats" if swapped else
                                    "ange WGS 84 i decimala grader, t.ex. lat 58.28, lon 12.29")
            x, y = to_sweref.transform(lon, lat)
        elif north is not None and east is not None:
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
    check_language(language)  # an unknown language is an error here, before anything is drawn
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
                raise TrygghetError(f"platsen ligger inte i {_joined(areas, language)}", file=path,
                                    row=int(r["row"]), column="lat",
                                    hint="kontrollera koordinaterna (och områdesnamnet)")
            points.append((r["x"], r["y"]))
    cancelled = {a: d for a, d in cancelled.items() if a not in held}

    def dates(ds: list[date]) -> str:
        return ", ".join(fmt.date(d, language=language).rsplit(" ", 1)[0] for d in sorted(ds))

    drawn = []
    for area in area_map.areas:
        if area in held:
            drawn.append(MapArea(area, f"{area}\n{dates(held[area])}", ROUND_COLOR))
        elif area in cancelled:
            label = map_text("rounds_cancelled_label", language, date=dates(cancelled[area]))
            drawn.append(MapArea(area, f"{area}\n{label}", NO_VALUE, HATCH, theme.MUTED))
        else:
            drawn.append(MapArea(area, area, NO_VALUE, None, theme.MUTED))
    legend: list[tuple[Artist, str]] = [(swatch(ROUND_COLOR), _word("rounds_held", language))]
    if cancelled:
        legend.append((swatch(NO_VALUE, HATCH), _word("rounds_cancelled", language)))
    if points:
        legend.append((Line2D([], [], linestyle="none", marker="o", markersize=5.5,
                              markerfacecolor=theme.TEXT, markeredgecolor=theme.BACKGROUND),
                       _word("rounds_point", language)))
    notes = [n for n in (geography_note(area_map, language),) if n]
    has_places = rows["x"].notna().any() if len(rows) else False
    if not area_map.geographic and has_places:
        notes.append(_word("rounds_points_tiles", language))
    ax = draw_map(area_map, drawn,
               title=map_text("rounds_title", language, year=year) if title is None else title,
               legend=legend, legend_title="", notes=notes,
               points=np.array(points) if points else None)
    order = [a for a in area_map.areas if a in held]
    text = (map_text("rounds_alt_held", language,
        year=year, areas=_joined([f"{a} ({dates(held[a])})" for a in order], language))
        if order else map_text("rounds_alt_none", language, year=year))
    if cancelled:
        text += "; " + map_text("rounds_alt_cancelled", language,
            areas=_joined([f"{a} ({dates(d)})" for a, d in cancelled.items()], language))
    if points:
        text += "; " + (_word("rounds_alt_point", language) if len(points) == 1 else
                        map_text("rounds_alt_points", language, n=len(points)))
    note = geography_note(area_map, language)
    set_alt_text(ax, text + "." + (f" {note}" if note else ""))
    return ax


__all__ = ["read_round_places", "rounds_map", "ROUND_COLOR"]
