"""The open-data release as a whole: ``reports/<year>/oppna-data/``.

The open data law (*öppna datalagen*) expects figures a municipality already
publishes in its reports to be published as data too. The release holds the
tables of :mod:`trygghet.opendata` and two descriptions of them:

* ``datapackage.json`` — a Frictionless Data Package (v2): field types,
  units (``trygghet:unit``), missing values (``""``), primary and foreign
  keys, sizes and SHA-256 hashes, licence (CC BY 4.0 or CC0), publisher and
  contact;
* ``dcat.jsonld`` — a DCAT-AP-SE 3.0.1 description of the dataset (JSON-LD):
  title and description (``sv``, ``en``), publisher, contact point, period
  (``dct:temporal``: the survey's field period, else the calendar year),
  spatial coverage, theme, licence, one distribution per file. Sweden's data
  portal harvests RDF/XML; ``rdflib`` converts the JSON-LD in one call.

**Deterministic.** Sorted JSON keys, fixed decimals, no time stamps unless
``SOURCE_DATE_EPOCH`` is set (then ``created`` / ``dct:issued``): two
releases of the same estimates and settings are byte-identical.

A PX file for PxWeb is not written: no maintained Python PX writer exists.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import TrygghetError
from .opendata import LICENCES, OpenDataSettings, Table, build_tables
from .writers import atomic_path

FOLDER = "oppna-data"
EU = "http://publications.europa.eu/resource/authority"
CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "dcatap": "http://data.europa.eu/r5r/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}


def _texts(od: OpenDataSettings, year: int, title: str | None, min_cell: int,
           opt_in: bool) -> dict[str, dict[str, str]]:
    """Title and description of the dataset in Swedish and English."""
    sv_title = title or f"Trygghetsmätning {year}"
    texts = {
        "title": {"sv": f"{sv_title} – {od.municipality}: skattningar",
                  "en": f"Citizen safety survey {year} – {od.municipality}: estimates"},
        "description": {
            "sv": (f"Andelar och index med konfidensintervall från trygghetsmätningen i "
                   f"{od.municipality} {year}, totalt och per kön, åldersgrupp, område och "
                   f"relation till området, och förändringen från tidigare år. Uppgifter som "
                   f"bygger på färre än {min_cell} svarande, eller som skulle avslöja sådana, "
                   f"redovisas inte: cellen är tom och kolumnen symbol säger varför ('..' "
                   f"redovisas inte, '.' frågan ställdes inte, '–' noll). Inga enskilda svar "
                   f"och inga fritextsvar ingår."),
            "en": (f"Shares and indices with confidence intervals from the citizen safety "
                   f"survey {year} in {od.municipality}, overall and by sex, age group, area "
                   f"and relation to the area, and the change from earlier years. Figures "
                   f"based on fewer than {min_cell} respondents, or that would reveal such "
                   f"figures, are not published: the cell is empty and the column symbol says "
                   f"why ('..' suppressed, '.' not asked, '–' zero). No individual answers "
                   f"and no free text are included."),
        },
    }
    if opt_in:
        texts["description"]["sv"] += (" Ett år med självselekterad webbenkät gäller bara de "
                                        "svarande (kolumnen generaliserbar är false).")
        texts["description"]["en"] += (" A year with a self-selected web survey describes "
                                        "the respondents only (generaliserbar is false).")
    if od.synthetic:
        for key in texts:
            texts[key]["sv"] = "SYNTETISKA EXEMPELDATA – " + texts[key]["sv"]
            texts[key]["en"] = "SYNTHETIC SAMPLE DATA – " + texts[key]["en"]
    return texts


def _created() -> str | None:
    """``SOURCE_DATE_EPOCH`` as RFC 3339 (UTC), or None: no time stamp otherwise."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return None
    return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _url(od: OpenDataSettings, year: int, name: str = "") -> str:
    """Where a file of the release will be: absolute under ``base_url``, else relative."""
    return f"{od.base_url}/{year}/{name}" if od.base_url else (name or "./")


def datapackage(tables: list[Table], od: OpenDataSettings, *, year: int,
                texts: dict[str, dict[str, str]], period: tuple[dt.date, dt.date],
                created: str | None = None) -> dict[str, Any]:
    """The Frictionless Data Package (v2) describing ``tables``."""
    licence_path, licence_title = LICENCES[od.licence]
    resources = []
    for t in tables:
        schema: dict[str, Any] = {"fields": [f.schema() for f in t.fields],
                                  "missingValues": [""], "primaryKey": t.primary_key}
        if t.indicator_key:
            schema["foreignKeys"] = [{"fields": ["indikator"], "reference": {
                "resource": "indikatorer", "fields": ["indikator"]}}]
        resources.append({
            "name": t.name, "type": "table", "path": t.path, "title": t.title,
            "description": t.description, "format": "csv", "mediatype": "text/csv",
            "encoding": "utf-8", "bytes": len(t.data),
            "hash": "sha256:" + hashlib.sha256(t.data).hexdigest(),
            "dialect": {"header": True, "delimiter": ",", "lineTerminator": "\n"},
            "schema": schema,
        })
    package: dict[str, Any] = {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": f"trygghetsmatning-{od.kommunkod}-{year}",
        "title": texts["title"]["sv"],
        "description": texts["description"]["sv"],
        "keywords": _keywords(od),
        "licenses": [{"name": od.licence, "path": licence_path, "title": licence_title}],
        "contributors": [
            {"title": od.publisher, "roles": ["publisher"]},
            {"title": od.contact_name, "email": od.contact_email, "roles": ["contact"]},
        ],
        "resources": resources,
        "trygghet:kommunkod": od.kommunkod,
        "trygghet:lan": od.county_iso,
        "trygghet:period": {"start": period[0].isoformat(), "end": period[1].isoformat()},
        "trygghet:syntetiska_data": od.synthetic,
    }
    if od.base_url:
        package["id"] = _url(od, year, "datapackage.json")
        package["homepage"] = _url(od, year)
    if created:
        package["created"] = created
    return package


def _keywords(od: OpenDataSettings) -> list[str]:
    words = ["trygghet", "trygghetsmätning", "medborgarlöfte", "brottsförebyggande arbete",
             od.municipality]
    return words + (["syntetiska exempeldata"] if od.synthetic else [])


def dcat(tables: list[Table], package_bytes: bytes, od: OpenDataSettings, *, year: int,
         texts: dict[str, dict[str, str]], period: tuple[dt.date, dt.date],
         created: str | None = None) -> dict[str, Any]:
    """The DCAT-AP-SE description of the dataset as JSON-LD (one ``@graph``).

    Mandatory and recommended properties of DCAT-AP-SE 3.0.1: for the dataset
    title, description, publisher (``foaf:Agent`` with ``dct:type``
    LocalAuthority), contact point (``vcard:Organization`` with ``fn`` and
    ``hasEmail``), keywords, theme (JUST), spatial, temporal
    (``dct:PeriodOfTime`` with ``xsd:date`` bounds), access rights, language;
    for each distribution access/download URL, format, media type, licence,
    byte size and availability. Without ``base_url`` the IRIs are relative
    and resolve against where the file is published.
    """
    def lang(texts_by_lang: dict[str, str]) -> list[dict[str, str]]:
        return [{"@language": k, "@value": v} for k, v in sorted(texts_by_lang.items())]

    def date(d: dt.date) -> dict[str, str]:
        return {"@type": "xsd:date", "@value": d.isoformat()}

    licence = {"@id": LICENCES[od.licence][0]}
    dataset_id = _url(od, year, "dcat.jsonld") + "#dataset"
    publisher_id = (f"http://dataportal.se/organisation/SE{od.publisher_orgnr}"
                    if od.publisher_orgnr else _url(od, year, "dcat.jsonld") + "#utgivare")
    contact_id = _url(od, year, "dcat.jsonld") + "#kontakt"
    period_id = _url(od, year, "dcat.jsonld") + "#period"
    place_id = od.spatial or _url(od, year, "dcat.jsonld") + "#kommun"
    files = [(t.path, t.title, t.data, "CSV", "text/csv") for t in tables]
    files.append(("datapackage.json", "Datapaket (Frictionless Data Package)", package_bytes,
                  "JSON", "application/json"))
    distributions = []
    for path, title, data, fmt, media in files:
        url = _url(od, year, path)
        distributions.append({
            "@id": url + "#distribution", "@type": "dcat:Distribution",
            "dct:title": {"@language": "sv", "@value": title},
            "dcat:accessURL": {"@id": url}, "dcat:downloadURL": {"@id": url},
            "dct:format": {"@id": f"{EU}/file-type/{fmt}"},
            "dcat:mediaType": {"@id": f"https://www.iana.org/assignments/media-types/{media}"},
            "dct:license": licence,
            "dcat:byteSize": {"@type": "xsd:nonNegativeInteger", "@value": str(len(data))},
            "dcatap:availability": {"@id": f"{EU}/planned-availability/STABLE"},
        })
    dataset: dict[str, Any] = {
        "@id": dataset_id, "@type": "dcat:Dataset",
        "dct:title": lang(texts["title"]), "dct:description": lang(texts["description"]),
        "dct:identifier": f"trygghetsmatning-{od.kommunkod}-{year}",
        "dct:publisher": {"@id": publisher_id},
        "dcat:contactPoint": {"@id": contact_id},
        "dcat:keyword": [{"@language": "sv", "@value": k} for k in _keywords(od)],
        "dcat:theme": {"@id": f"{EU}/data-theme/JUST"},
        "dct:spatial": {"@id": place_id},
        "dct:temporal": {"@id": period_id},
        "dct:accessRights": {"@id": f"{EU}/access-right/PUBLIC"},
        "dct:language": {"@id": f"{EU}/language/SWE"},
        "dct:license": licence,
        "dcat:distribution": [{"@id": d["@id"]} for d in distributions],
    }
    if created:
        dataset["dct:issued"] = date(dt.date.fromisoformat(created[:10]))
    graph = [
        dataset,
        {"@id": publisher_id, "@type": "foaf:Agent",
         "foaf:name": {"@language": "sv", "@value": od.publisher},
         "dct:type": {"@id": "http://purl.org/adms/publishertype/LocalAuthority"}},
        {"@id": contact_id, "@type": "vcard:Organization", "vcard:fn": od.contact_name,
         "vcard:hasEmail": {"@id": f"mailto:{od.contact_email}"}},
        {"@id": period_id, "@type": "dct:PeriodOfTime",
         "dcat:startDate": date(period[0]), "dcat:endDate": date(period[1])},
        {"@id": place_id, "@type": "dct:Location",
         "skos:prefLabel": {"@language": "sv", "@value": od.municipality},
         "dct:identifier": od.kommunkod},
        *distributions,
    ]
    return {"@context": CONTEXT, "@graph": graph}


def _json(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


def build_release(estimates: pd.DataFrame, changes: pd.DataFrame, od: OpenDataSettings, *,
                  year: int, level: float = 0.95, min_cell: int = 5,
                  period: tuple[dt.date, dt.date] | None = None,
                  title: str | None = None, questionnaire: Any = None) -> dict[str, bytes]:
    """Every file of the release, name → bytes, in the order they are written.

    Pure and deterministic: the same tables and settings give the same bytes
    (``SOURCE_DATE_EPOCH``, if set, is the only time stamp).
    """
    period = period or (dt.date(year, 1, 1), dt.date(year, 12, 31))
    tables = build_tables(estimates, changes, od, year=year, level=level,
                          questionnaire=questionnaire)
    opt_in = "generalisable" in estimates.columns and \
        not estimates["generalisable"].fillna(True).astype(bool).all()
    texts = _texts(od, year, title, min_cell, opt_in)
    created = _created()
    package = _json(datapackage(tables, od, year=year, texts=texts, period=period,
                                created=created))
    files = {t.path: t.data for t in tables}
    files["datapackage.json"] = package
    files["dcat.jsonld"] = _json(dcat(tables, package, od, year=year, texts=texts,
                                      period=period, created=created))
    return files


def write_release(files: dict[str, bytes], folder: str | Path) -> list[Path]:
    """Write the files atomically, the metadata last (it describes the data files)."""
    folder = Path(folder)
    written = []
    for name, data in files.items():
        with atomic_path(folder / name) as tmp:
            tmp.write_bytes(data)
        written.append(folder / name)
    return written


def release_year(project: Any, year: int, *, echo: Callable[[str], object] = print,
                 required: bool = False) -> list[Path]:
    """Write ``reports/<year>/oppna-data/`` from the year's published estimates.

    Without an ``open_data`` block in the settings nothing is written (a note
    is echoed), unless ``required`` (the ``open-data`` command), which makes
    it an error.
    """
    from .config import load_settings
    from .mapping import load_mapping, used_mapping

    settings = load_settings(project)
    source = project.config / "trygghet.yml"
    od = OpenDataSettings.from_settings(settings, source)
    if od is None:
        if required:
            raise TrygghetError("inställningen open_data saknas", file=source,
                                column="open_data",
                                hint="lägg till licens, kommunkod, utgivare och kontakt, se "
                                     "README (Öppna data)")
        echo("  öppna data: ingen open_data-inställning i config/trygghet.yml – hoppar över")
        return []
    processed = project.processed(year)
    est_path, ch_path = processed / "estimates.parquet", processed / "changes.parquet"
    if not est_path.exists():
        raise TrygghetError("skattningarna saknas", file=est_path,
                            hint=f"kör trygghet estimate --year {year}")
    estimates = pd.read_parquet(est_path)
    changes = pd.read_parquet(ch_path) if ch_path.exists() else pd.DataFrame(
        columns=["kind", "indicator", "group_var", "suppressed", "symbol"])
    period, title = None, None
    mapping_path = used_mapping(project, year)[0]  # the one `trygghet clean` used
    if mapping_path.exists():
        mapping = load_mapping(mapping_path, project.questionnaire)
        period, title = mapping.design.period, mapping.title
    files = build_release(estimates, changes, od, year=year,
                          level=settings["estimation"]["level"],
                          min_cell=settings["disclosure"]["min_cell"], period=period,
                          title=title, questionnaire=project.questionnaire)
    folder = project.reports(year) / FOLDER
    written = write_release(files, folder)
    try:
        shown = folder.relative_to(project.root)
    except ValueError:
        shown = folder
    echo(f"  öppna data: skrev {shown}/: {', '.join(files)}")
    return written
