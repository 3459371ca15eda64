"""The open-data release's tables: tidy CSV from the published estimates.

See :mod:`trygghet.opendata_package` for the release as a whole (the data
package, the DCAT-AP-SE description, writing). This module turns the
*published* estimates (after disclosure control: ``estimates.parquet`` and
``changes.parquet`` as ``suppress.protect`` left them) into

* ``andelar_<year>.csv``, ``index_<year>.csv`` — shares (per cent) and the
  0–6 indices, overall and by group;
* ``forandringar_andelar_<year>.csv``, ``forandringar_index_<year>.csv`` —
  the change from earlier years;
* ``indikatorer.csv`` — the indicators' codes and names.

One table per unit, so that every number column has one unit. And it
validates the ``open_data:`` settings block.

**Tidy and plain.** UTF-8 without BOM, one header row, comma, decimal point,
``\n`` line ends; the municipality by its code (``kommunkod``, SCB's four
digits). A cell that is not published is *empty*, and its reason is in
``symbol``: ``..`` suppressed (too few respondents, disclosure risk or too
uncertain), ``.`` not asked that year, ``–`` exactly zero (the value is then
0). Whether a cell was suppressed for disclosure or reliability, or as a
secondary cell, is not released: that would point at the small cells.

**Nothing personal.** No respondent rows, no pseudonyms, no free text; the
counts behind a share (how many have the trait) are not released either,
as in the Excel appendix. A suppressed row that still carries a value is
refused: the table has not been through disclosure control.

**Fixed decimals.** Per cent with one decimal and standard errors with two;
indices with two and three — the precision of the published tables.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from . import vocabulary
from .errors import TrygghetError
from .fmt import MISSING, SUPPRESSED, ZERO
from .writers import neutralise

LICENCES = {
    "CC-BY-4.0": ("http://creativecommons.org/licenses/by/4.0/",
                  "Creative Commons Erkännande 4.0 Internationell (CC BY 4.0)"),
    "CC0-1.0": ("http://creativecommons.org/publicdomain/zero/1.0/",
                "Creative Commons Zero 1.0 Universal (CC0 1.0)"),
}
_LICENCE_ALIASES = {"ccby40": "CC-BY-4.0", "ccby": "CC-BY-4.0", "cc0": "CC0-1.0",
                    "cc010": "CC0-1.0"}
# SCB's county codes (the first two digits of a kommunkod) and ISO 3166-2:SE.
COUNTIES = {"01": "AB", "03": "C", "04": "D", "05": "E", "06": "F", "07": "G", "08": "H",
            "09": "I", "10": "K", "12": "M", "13": "N", "14": "O", "17": "S", "18": "T",
            "19": "U", "20": "W", "21": "X", "22": "Y", "23": "Z", "24": "AC", "25": "BD"}
SETTINGS_KEYS = ("licence", "kommunkod", "publisher", "contact", "base_url", "spatial")
_EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")
_GROUP_VARS = {"total": "totalt", "sex": "kon", "age_group": "aldersgrupp", "area": "omrade",
               "relation": "relation"}
_ESTIMATE_TYPES = {"weighted": "viktad", "unweighted": "ovagd", "adjusted": "justerad"}


# --- Settings ------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenDataSettings:
    """The ``open_data:`` block of ``config/trygghet.yml``, validated.

    ::

        open_data:
          licence: CC-BY-4.0          # or CC0-1.0
          kommunkod: "1488"           # SCB's code, in quotes
          publisher: {name: Exempelkommunen, orgnr: "2120000000"}   # orgnr optional
          contact: {name: Trygghetssamordnaren, email: trygghet@kommun.se}
          base_url: https://kommun.se/oppna-data/trygghet   # optional: <base_url>/<year>/
          spatial: http://sws.geonames.org/...               # optional: a place URI
    """

    municipality: str
    kommunkod: str
    licence: str
    publisher: str
    contact_name: str
    contact_email: str
    publisher_orgnr: str | None = None
    base_url: str | None = None
    spatial: str | None = None
    synthetic: bool = False

    @classmethod
    def from_settings(cls, settings: dict[str, Any], source: str | Path | None = None
                      ) -> OpenDataSettings | None:
        """The validated block, or None when ``open_data`` is not set."""
        block = settings.get("open_data")
        if block is None:
            return None

        def fail(key: str, message: str, hint: str | None = None) -> TrygghetError:
            return TrygghetError(message, file=source, column=f"open_data.{key}".rstrip("."),
                                 hint=hint)

        if not isinstance(block, dict):
            raise fail("", "ska vara en samling nyckel: värde",
                       "se README, avsnittet om öppna data")
        unknown = sorted(set(block) - set(SETTINGS_KEYS))
        if unknown:
            raise fail(unknown[0], f"okänd nyckel '{unknown[0]}'",
                       f"tillåtna: {', '.join(SETTINGS_KEYS)}")
        code = block.get("kommunkod")
        if isinstance(code, int) and not isinstance(code, bool) and code >= 1000:
            code = str(code)
        if not isinstance(code, str) or not re.fullmatch(r"\d{4}", code.strip()) \
                or code.strip()[:2] not in COUNTIES:
            shown = "saknas" if code is None else f"'{code}' är ingen kommunkod"
            raise fail("kommunkod", f"kommunkoden {shown}",
                       "SCB:s fyrsiffriga kod inom citattecken, t.ex. kommunkod: \"0114\" "
                       "(utan citattecken läses en inledande nolla bort)")
        licence = str(block.get("licence") or "CC-BY-4.0")
        key = re.sub(r"[^a-z0-9]", "", licence.casefold())
        licence = next((k for k in LICENCES if re.sub(r"[^a-z0-9]", "", k.casefold()) == key),
                       _LICENCE_ALIASES.get(key, licence))
        if licence not in LICENCES:
            raise fail("licence", f"okänd licens '{block.get('licence')}'",
                       f"välj {' eller '.join(LICENCES)}")
        def part(key: str, main: str, other: str, missing: str, example: str) -> dict:
            """A sub-block such as ``publisher``: a mapping, or just its main value."""
            value = block.get(key)
            if isinstance(value, str):
                value = {main: value}
            if not isinstance(value, dict) or not str(value.get(main) or "").strip():
                raise fail(f"{key}.{main}" if key == "contact" else key, missing,
                           f"t.ex. {key}: {example}")
            extra = sorted(set(value) - {main, other})
            if extra:
                raise fail(f"{key}.{extra[0]}", f"okänd nyckel '{extra[0]}'",
                           f"tillåtna: {main}, {other}")
            return value

        publisher = part("publisher", "name", "orgnr", "utgivaren saknas",
                         "{name: Exempelkommunen, orgnr: \"212000-0000\"}")
        orgnr = publisher.get("orgnr")
        if orgnr is not None:
            orgnr = re.sub(r"[\s-]", "", str(orgnr))
            if not re.fullmatch(r"\d{10}", orgnr):
                raise fail("publisher.orgnr", f"'{publisher['orgnr']}' är inget "
                           "organisationsnummer", "tio siffror, t.ex. \"212000-0000\"")
        contact = part("contact", "email", "name",
                       "kontaktadress saknas: öppna data ska ha en kontaktpunkt (DCAT-AP-SE)",
                       "{name: Trygghetssamordnaren, email: trygghet@kommun.se} (en "
                       "funktionsadress)")
        email = str(contact["email"]).strip()
        if not _EMAIL.fullmatch(email):
            raise fail("contact.email", f"'{email}' är ingen e-postadress",
                       "t.ex. trygghet@kommun.se")
        urls = {}
        for name in ("base_url", "spatial"):
            value = block.get(name)
            if value is not None and (not isinstance(value, str) or
                                      not re.fullmatch(r"https?://[^\s<>\"{}|\\^`]+", value)):
                raise fail(name, f"'{value}' är ingen absolut webbadress",
                           "börja med https:// (eller http://), inga mellanslag")
            urls[name] = value.rstrip("/") if name == "base_url" and value else value
        name = str(publisher["name"]).strip()
        return cls(municipality=str(settings.get("municipality") or name),
                   kommunkod=code.strip(), licence=licence, publisher=name,
                   contact_name=str(contact.get("name") or name).strip(),
                   contact_email=email, publisher_orgnr=orgnr,
                   base_url=urls["base_url"], spatial=urls["spatial"],
                   synthetic=bool(settings.get("synthetic_data")))

    @property
    def county_iso(self) -> str:
        """ISO 3166-2 code of the county, e.g. ``SE-O``."""
        return f"SE-{COUNTIES[self.kommunkod[:2]]}"


# --- Tables --------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One column of a released table: its name, type, text and how it is filled."""

    name: str
    type: str
    title: str
    description: str
    value: Callable[[Any], Any]
    unit: str | None = None
    constraints: dict[str, Any] | None = None

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type, "title": self.title,
                               "description": self.description}
        if self.unit:
            out["trygghet:unit"] = self.unit
        if self.constraints:
            out["constraints"] = self.constraints
        return out


def _number(value: Any, decimals: int, scale: float = 1.0) -> str:
    """Fixed decimals with a decimal point; empty for a missing value; never ``-0.0``."""
    if value is None or value is pd.NA or pd.isna(value):
        return ""
    text = f"{round(float(value) * scale, decimals):.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def _integer(value: Any) -> str:
    return "" if value is None or value is pd.NA or pd.isna(value) else str(int(value))


def _boolean(value: Any) -> str:
    return "" if value is None or value is pd.NA else ("true" if bool(value) else "false")


def _symbol_field() -> Field:
    return Field("symbol", "string", "Symbol",
                 "Varför värdet saknas: '..' redovisas inte (för få svarande, röjanderisk "
                 "eller för osäker skattning), '.' frågan ställdes inte, '–' exakt noll (värdet "
                 "är då 0). Tomt när värdet redovisas.",
                 lambda r: r.symbol or "",
                 constraints={"enum": [SUPPRESSED, MISSING, ZERO]})


def _key_fields(od: OpenDataSettings) -> list[Field]:
    return [
        Field("kommunkod", "string", "Kommunkod", "SCB:s kommunkod (fyra siffror).",
              lambda r: od.kommunkod, constraints={"required": True, "pattern": r"^\d{4}$"}),
        Field("kommun", "string", "Kommun", "Kommunens namn.", lambda r: od.municipality),
    ]


def _group_fields(group_vars: list[str]) -> list[Field]:
    return [
        Field("indikator", "string", "Indikator",
              "Indikatorns kod; namn och definition i indikatorer.csv.",
              lambda r: r.indicator, constraints={"required": True}),
        Field("redovisningsgrupp", "string", "Redovisningsgrupp",
              "Vad gruppen delar efter: totalt, kon (kön), aldersgrupp, omrade "
              "(bostadsområde) eller relation (bor, arbetar eller vistas i området; "
              "grupperna överlappar).",
              lambda r: _GROUP_VARS.get(r.group_var, r.group_var),
              constraints={"required": True, "enum": group_vars}),
        Field("grupp", "string", "Grupp",
              "Gruppen: Totalt, Kvinna/Man, åldersgrupp (16–24 …), områdets namn eller "
              "relationen.", lambda r: r.group, constraints={"required": True}),
    ]


def _value_fields(kind: str) -> tuple[int, int, float, str, str]:
    """Decimals for value and SE, the scale, the value unit and the difference unit."""
    if kind == "share":
        return 1, 2, 100.0, "procent", "procentenheter"
    return 2, 3, 1.0, "indexpoäng (0–6)", "indexpoäng"


def estimate_fields(kind: str, od: OpenDataSettings, group_vars: list[str],
                    level: float) -> list[Field]:
    """The columns of ``andelar_<year>.csv`` (kind ``share``) or ``index_<year>.csv``."""
    dv, ds, scale, unit, diff_unit = _value_fields(kind)
    pct = f"{100 * level:g}"
    what = "Andel" if kind == "share" else "Medelvärde"
    bounds = {"minimum": 0, "maximum": 100} if kind == "share" else {"minimum": 0, "maximum": 6}
    return [
        *_key_fields(od),
        Field("ar", "year", "År", "Enkätåret.", lambda r: str(int(r.year)),
              constraints={"required": True}),
        *_group_fields(group_vars),
        Field("skattningstyp", "string", "Skattningstyp",
              "viktad: kalibrerad mot befolkningen (slumpmässigt urval); ovagd: andel av de "
              "svarande (självselekterad enkät); justerad: modellbaserad viktning av en "
              "självselekterad enkät, vägledande.",
              lambda r: _ESTIMATE_TYPES.get(r.estimate_type, r.estimate_type),
              constraints={"required": True, "enum": sorted(_ESTIMATE_TYPES.values())}),
        Field("generaliserbar", "boolean", "Generaliserbar",
              "true om skattningen gäller befolkningen (slumpmässigt urval), false om den "
              "bara gäller de svarande.", lambda r: _boolean(r.generalisable)),
        Field("antal_svarande", "integer", "Antal svarande",
              "Svarande som skattningen bygger på (ovägt).", lambda r: _integer(r.n),
              unit="personer", constraints={"minimum": 0}),
        Field("varde", "number", what, f"{what} ({unit}).",
              lambda r: _number(r.estimate, dv, scale), unit=unit, constraints=bounds),
        Field("standardfel", "number", "Standardfel", f"Standardfel ({diff_unit}).",
              lambda r: _number(r.se, ds, scale), unit=diff_unit,
              constraints={"minimum": 0}),
        Field("ki_nedre", "number", f"Nedre gräns ({pct} % KI)",
              f"Konfidensintervallets nedre gräns ({unit}).",
              lambda r: _number(r.ci_low, dv, scale), unit=unit, constraints=bounds),
        Field("ki_ovre", "number", f"Övre gräns ({pct} % KI)",
              f"Konfidensintervallets övre gräns ({unit}).",
              lambda r: _number(r.ci_high, dv, scale), unit=unit, constraints=bounds),
        Field("ki_metod", "string", "Intervallmetod",
              "wilson (Wilson på effektivt urval), logit, beta (Korn–Graubard) eller t "
              "(t-fördelning, för index).", lambda r: r.ci_method or "",
              constraints={"enum": ["beta", "logit", "t", "wilson"]}),
        _symbol_field(),
    ]


def change_fields(kind: str, od: OpenDataSettings, group_vars: list[str],
                  level: float) -> list[Field]:
    """The columns of ``forandringar_andelar_<year>.csv`` / ``forandringar_index_<year>.csv``."""
    dv, ds, scale, unit, diff_unit = _value_fields(kind)
    pct = f"{100 * level:g}"
    types = sorted(_ESTIMATE_TYPES.values())
    return [
        *_key_fields(od),
        Field("ar_fran", "year", "Från år", "Jämförelseåret.",
              lambda r: str(int(r.year_from)), constraints={"required": True}),
        Field("ar_till", "year", "Till år", "Enkätåret.", lambda r: str(int(r.year_to)),
              constraints={"required": True}),
        *_group_fields(group_vars),
        Field("skattningstyp_fran", "string", "Skattningstyp från",
              "Skattningstypen jämförelseåret (se andelar/index).",
              lambda r: _ESTIMATE_TYPES.get(r.estimate_type_from, r.estimate_type_from),
              constraints={"enum": types}),
        Field("skattningstyp_till", "string", "Skattningstyp till",
              "Skattningstypen enkätåret.",
              lambda r: _ESTIMATE_TYPES.get(r.estimate_type_to, r.estimate_type_to),
              constraints={"enum": types}),
        Field("antal_svarande_fran", "integer", "Antal svarande från", "Jämförelseåret.",
              lambda r: _integer(r.n_from), unit="personer", constraints={"minimum": 0}),
        Field("antal_svarande_till", "integer", "Antal svarande till", "Enkätåret.",
              lambda r: _integer(r.n_to), unit="personer", constraints={"minimum": 0}),
        Field("varde_fran", "number", "Värde från", f"Jämförelseårets värde ({unit}).",
              lambda r: _number(r.estimate_from, dv, scale), unit=unit),
        Field("varde_till", "number", "Värde till", f"Enkätårets värde ({unit}).",
              lambda r: _number(r.estimate_to, dv, scale), unit=unit),
        Field("skillnad", "number", "Skillnad", f"Värde till minus värde från ({diff_unit}).",
              lambda r: _number(r.diff, dv, scale), unit=diff_unit),
        Field("standardfel", "number", "Standardfel", f"Skillnadens standardfel ({diff_unit}).",
              lambda r: _number(r.se, ds, scale), unit=diff_unit,
              constraints={"minimum": 0}),
        Field("ki_nedre", "number", f"Nedre gräns ({pct} % KI)",
              f"Skillnadens konfidensintervall, nedre gräns ({diff_unit}).",
              lambda r: _number(r.ci_low, dv, scale), unit=diff_unit),
        Field("ki_ovre", "number", f"Övre gräns ({pct} % KI)",
              f"Skillnadens konfidensintervall, övre gräns ({diff_unit}).",
              lambda r: _number(r.ci_high, dv, scale), unit=diff_unit),
        Field("signifikant", "boolean", "Statistiskt säkerställd",
              f"true om skillnaden är statistiskt säkerställd på {pct} % nivå; tomt när "
              "ingen test görs (seriebrott eller värdet redovisas inte).",
              lambda r: _boolean(r.significant)),
        Field("seriebrott", "boolean", "Seriebrott",
              "true om åren inte är jämförbara (t.ex. självselekterad webbenkät mot "
              "slumpmässigt urval): ingen slutsats om förändring.",
              lambda r: _boolean(r.series_break)),
        _symbol_field(),
    ]


def _check_published(frame: pd.DataFrame, values: tuple[str, ...], what: str) -> None:
    """Refuse a table that has not been through disclosure control."""
    for col in ("suppressed", "symbol"):
        if col not in frame.columns:
            raise TrygghetError(f"{what} saknar kolumnen '{col}': tabellen har inte gått "
                                "igenom röjandekontrollen", column=col,
                                hint="kör trygghet estimate igen")
    hidden = frame["suppressed"].fillna(False).astype(bool) | \
        frame["symbol"].isin([SUPPRESSED, MISSING])
    for col in values:
        if col in frame.columns and frame.loc[hidden, col].notna().any():
            raise TrygghetError(f"{what}: en undertryckt cell har ett värde i '{col}'",
                                column=col, hint="kör trygghet estimate igen")


def _csv_bytes(fields: list[Field], rows: Iterable[Any]) -> bytes:
    """One header row of field names, then the rows; text cells formula-neutralised."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow([f.name for f in fields])
    hidden_types = {"number", "integer"}
    for r in rows:
        symbol = getattr(r, "symbol", "") or ""
        cells = []
        for f in fields:
            value = f.value(r)
            if f.type in hidden_types and symbol in (SUPPRESSED, MISSING):
                value = ""  # not published: empty, the reason is in `symbol`
            if f.type == "string" and f.name != "symbol":
                value = neutralise(value)
            cells.append(value)
        w.writerow(cells)
    return out.getvalue().encode("utf-8")


def indicator_fields() -> list[Field]:
    """The columns of ``indikatorer.csv``."""
    return [
        Field("indikator", "string", "Indikator", "Indikatorns kod.", lambda r: r.name,
              constraints={"required": True, "unique": True}),
        Field("namn", "string", "Namn", "Indikatorns namn (svenska).",
              lambda r: vocabulary.label("indicator", r.name, "sv")),
        Field("namn_en", "string", "Namn (engelska)", "Indikatorns namn (engelska).",
              lambda r: vocabulary.label("indicator", r.name, "en")),
        Field("tema", "string", "Tema", "Temat som indikatorn hör till.", lambda r: r.theme),
        Field("typ", "string", "Typ", "andel (procent) eller index (0–6).",
              lambda r: "andel" if r.kind == "share" else "index",
              constraints={"enum": ["andel", "index"]}),
    ]


# --- The release ---------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """One CSV of the release with what the data package says about it."""

    name: str
    path: str
    title: str
    description: str
    fields: list[Field]
    data: bytes
    primary_key: list[str]
    indicator_key: bool = True  # ``indikator`` refers to indikatorer.csv


def _rows(frame: pd.DataFrame, kind: str) -> list[Any]:
    part = frame[frame["kind"] == kind] if "kind" in frame.columns else frame.iloc[:0]
    return list(part.itertuples(index=False))


def build_tables(estimates: pd.DataFrame, changes: pd.DataFrame, od: OpenDataSettings, *,
                 year: int, level: float = 0.95, questionnaire: Any = None) -> list[Table]:
    """The release's CSV tables from the published estimates and changes of ``year``.

    ``indikatorer.csv`` names the indicators of ``questionnaire`` (default: the bundled
    one) that the tables use.
    """
    from .questionnaire import resolve

    INDICATORS = resolve(questionnaire).indicators  # noqa: N806 (the questionnaire's table)

    _check_published(estimates, ("estimate", "se", "ci_low", "ci_high", "n", "count"),
                     "skattningarna")
    if not changes.empty:
        _check_published(changes, ("estimate_from", "estimate_to", "diff", "se", "ci_low",
                                   "ci_high", "n_from", "n_to"), "förändringarna")
    estimates = estimates[estimates["year"] == year]
    group_vars = sorted({_GROUP_VARS.get(g, g) for g in
                         [*estimates["group_var"], *changes.get("group_var", [])]})
    pct = f"{100 * level:g}"
    specs = [  # (frame, kind, file stem, fields, title, description, primary key)
        (estimates, "share", "andelar", estimate_fields("share", od, group_vars, level),
         f"Andelar {year}", f"Andelar (procent) med {pct} % konfidensintervall, totalt och "
         "per grupp.", ["ar", "indikator", "redovisningsgrupp", "grupp", "skattningstyp"]),
        (estimates, "mean", "index", estimate_fields("mean", od, group_vars, level),
         f"Index {year}", f"Index (indexpoäng 0–6) med {pct} % konfidensintervall, totalt "
         "och per grupp.", ["ar", "indikator", "redovisningsgrupp", "grupp", "skattningstyp"]),
    ] + [
        (changes, kind, stem, change_fields(kind, od, group_vars, level),
         f"Förändring av {what} till {year}", f"Förändring av {what} från tidigare år till "
         f"{year}, med konfidensintervall och test.",
         ["ar_fran", "ar_till", "indikator", "redovisningsgrupp", "grupp"])
        for kind, stem, what in (("share", "forandringar_andelar", "andelar"),
                                 ("mean", "forandringar_index", "index"))
    ]
    tables = [Table(stem, f"{stem}_{year}.csv", title, text, fields,
                    _csv_bytes(fields, _rows(frame, kind)), key)
              for frame, kind, stem, fields, title, text, key in specs]
    used = set(estimates["indicator"]) | set(changes.get("indicator", []))
    fields = indicator_fields()
    tables.append(Table("indikatorer", "indikatorer.csv", "Indikatorer",
                        "Indikatorernas koder och namn.", fields,
                        _csv_bytes(fields, [i for n, i in INDICATORS.items() if n in used]),
                        ["indikator"], indicator_key=False))
    return tables
