"""The open-data release: a valid data package, nothing suppressed, no free text, same bytes.

End to end on the sample (``sample_run``: ``trygghet report --year 2020`` wrote
``reports/2020/oppna-data/``), checked with standard tools rather than with the
code that wrote it: the ``frictionless`` validator (types, constraints, keys,
sizes and hashes), ``rdflib`` for the DCAT-AP-SE JSON-LD (SPARQL over the
parsed graph), and the published ``estimates.parquet`` / ``changes.parquet``
read back with pandas.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
from pathlib import Path

import frictionless
import numpy as np
import pandas as pd
import pytest
import rdflib
from conftest import SAMPLE_EPOCH, SAMPLE_REPORT_YEAR, SAMPLE_YEARS

from trygghet import free_text, opendata, opendata_package
from trygghet.cli import main
from trygghet.config import Project, load_settings
from trygghet.errors import TrygghetError

# rdflib's JSON-LD parser uses its own deprecated ConjunctiveGraph internally.
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated")
YEAR = SAMPLE_REPORT_YEAR
FILES = {f"andelar_{YEAR}.csv", f"index_{YEAR}.csv", f"forandringar_andelar_{YEAR}.csv",
         f"forandringar_index_{YEAR}.csv", "indikatorer.csv", "datapackage.json",
         "dcat.jsonld"}
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
DCT = rdflib.Namespace("http://purl.org/dc/terms/")
FOAF = rdflib.Namespace("http://xmlns.com/foaf/0.1/")
VCARD = rdflib.Namespace("http://www.w3.org/2006/vcard/ns#")
XSD = rdflib.Namespace("http://www.w3.org/2001/XMLSchema#")
CC_BY = rdflib.URIRef("http://creativecommons.org/licenses/by/4.0/")
SETTINGS = {"municipality": "Trollhättan", "synthetic_data": False, "open_data": {
    "licence": "CC-BY-4.0", "kommunkod": "1488",
    "publisher": {"name": "Exempelkommunen", "orgnr": "212000-0000"},
    "contact": {"name": "Trygghetssamordnaren", "email": "trygghet@kommun.example"},
    "base_url": "https://kommun.example/oppna-data/trygghet/"}}


@pytest.fixture(scope="module")
def release(sample_run) -> Path:
    return sample_run / "reports" / str(YEAR) / "oppna-data"


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def settings(**open_data) -> dict:
    block = {**SETTINGS["open_data"], **open_data}
    return {**SETTINGS, "open_data": {k: v for k, v in block.items() if v is not None}}


def od(**open_data) -> opendata.OpenDataSettings:
    return opendata.OpenDataSettings.from_settings(settings(**open_data), "trygghet.yml")


# --- End to end on the sample -------------------------------------------------------------


def test_report_writes_a_valid_data_package(release):
    """`trygghet report` wrote the release; frictionless validates all of it."""
    assert {p.name for p in release.iterdir()} == FILES
    package = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))
    assert len(package["resources"]) == 5  # frictionless passes an empty list: check it here
    report = frictionless.validate(str(release / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]
    assert [t.stats["rows"] for t in report.tasks if t.name == "andelar"][0] > 500
    # Licence, units and missing values as promised.
    assert package["licenses"] == [{"name": "CC-BY-4.0",
                                    "path": "http://creativecommons.org/licenses/by/4.0/",
                                    "title": opendata.LICENCES["CC-BY-4.0"][1]}]
    fields = {f["name"]: f for f in package["resources"][0]["schema"]["fields"]}
    assert fields["varde"]["trygghet:unit"] == "procent"
    assert fields["standardfel"]["trygghet:unit"] == "procentenheter"
    assert package["resources"][0]["schema"]["missingValues"] == [""]
    assert package["resources"][1]["schema"]["fields"][9]["trygghet:unit"] == \
        "indexpoäng (0–6)"
    # The sample says what it is, in the data package and in DCAT.
    assert package["title"].startswith("SYNTETISKA EXEMPELDATA")
    assert "SYNTETISKA EXEMPELDATA" in (release / "dcat.jsonld").read_text(encoding="utf-8")


def test_the_validator_is_not_a_rubber_stamp(release, tmp_path):
    """A share above 100 %, and a file changed after the package was written, are caught."""
    copy = shutil.copytree(release, tmp_path / "copy")
    path = copy / f"andelar_{YEAR}.csv"
    text = path.read_text(encoding="utf-8")
    row = next(line for line in text.splitlines()[1:] if line.split(",")[9])
    cells = row.split(",")
    cells[9] = "129.4"
    path.write_text(text.replace(row, ",".join(cells), 1), encoding="utf-8")
    report = frictionless.validate(str(copy / "datapackage.json"))
    kinds = {e[2] for e in report.flatten(["rowNumber", "fieldName", "type", "note"])}
    assert not report.valid and {"constraint-error", "hash-count"} <= kinds


def _published(sample_run: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(sample_run / "data" / "processed" / str(YEAR) / name)


def test_no_suppressed_value_and_every_published_one(sample_run, release):
    """Row for row against estimates.parquet: suppressed → empty with its symbol; else equal."""
    est = _published(sample_run, "estimates.parquet")
    for kind, name, scale, dv in (("share", "andelar", 100, 1), ("mean", "index", 1, 2)):
        rows = read_csv(release / f"{name}_{YEAR}.csv")
        part = est[est["kind"] == kind]
        assert len(rows) == len(part)
        for r, e in zip(rows, part.itertuples(index=False), strict=True):
            assert (r["indikator"], r["grupp"], r["symbol"]) == (e.indicator, e.group, e.symbol)
            numbers = [r[k] for k in ("antal_svarande", "varde", "standardfel", "ki_nedre",
                                      "ki_ovre")]
            if e.suppressed:
                assert e.symbol in ("..", ".") and numbers == [""] * 5
            else:
                assert float(r["varde"]) == pytest.approx(round(e.estimate * scale, dv))
                assert int(r["antal_svarande"]) == e.n
                assert float(r["ki_nedre"]) <= float(r["varde"]) <= float(r["ki_ovre"])
    assert (est["symbol"] == "..").sum() > 20  # the sample has suppressed cells to hide
    changes = _published(sample_run, "changes.parquet")
    rows = read_csv(release / f"forandringar_andelar_{YEAR}.csv") + \
        read_csv(release / f"forandringar_index_{YEAR}.csv")
    assert len(rows) == len(changes)
    hidden = [r for r in rows if r["symbol"] in ("..", ".")]
    assert len(hidden) == int(changes["suppressed"].sum()) > 0
    for r in hidden:
        assert all(r[k] == "" for k in ("antal_svarande_fran", "antal_svarande_till",
                                        "varde_fran", "varde_till", "skillnad",
                                        "standardfel", "ki_nedre", "ki_ovre", "signifikant"))


def test_no_free_text_no_respondent_data(sample_run, release):
    """No four-word sequence of any comment, no id or pseudonym, in any released file."""
    texts = {p.name: " ".join(re.findall(r"\w+", p.read_text(encoding="utf-8").casefold()))
             for p in release.iterdir()}
    grams, ids = set(), set()
    for year in SAMPLE_YEARS:
        folder = sample_run / "data" / "processed" / str(year)
        responses = pd.read_parquet(folder / "responses.parquet")
        for comment in free_text.load_answers(folder):
            words = re.findall(r"\w+", str(comment).casefold())
            grams |= {" ".join(words[i:i + 4]) for i in range(len(words) - 3)}
        ids |= set(responses["respondent_id"].astype(str))
    assert len(grams) > 150 and len(ids) > 3000
    for name, text in texts.items():
        found = [g for g in grams if g in text]
        assert not found, (name, found[:5])
        tokens = set(text.split())
        assert not tokens & ids, name
    header = {c for p in release.glob("*.csv") for c in next(csv.reader(p.open()))}
    assert not header & {"count", "comment", "respondent_id", "note", "suppression_reason"}


def test_the_release_is_byte_identical_when_made_again(sample_run, release, tmp_path,
                                                       monkeypatch):
    """Made again, elsewhere, from the same published tables and settings: the same bytes."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SAMPLE_EPOCH)
    shutil.copytree(sample_run / "config", tmp_path / "config")
    processed = Path("data") / "processed" / str(YEAR)
    for name in ("estimates.parquet", "changes.parquet"):
        (tmp_path / processed).mkdir(parents=True, exist_ok=True)
        shutil.copy(sample_run / processed / name, tmp_path / processed / name)
    said = []
    written = opendata_package.release_year(Project(tmp_path), YEAR, echo=said.append)
    again = {p.name: p.read_bytes() for p in written}
    assert again == {p.name: p.read_bytes() for p in release.iterdir()}
    assert said == [f"  öppna data: skrev reports/{YEAR}/oppna-data/: " + ", ".join(again)]
    package = json.loads(again["datapackage.json"])
    assert package["created"] == "2026-01-01T00:00:00Z"  # from SOURCE_DATE_EPOCH only


def test_dcat_ap_se_properties(sample_run, release):
    """Mandatory and recommended DCAT-AP-SE properties, read with rdflib from the JSON-LD."""
    g = rdflib.Graph().parse(release / "dcat.jsonld", format="json-ld")
    (ds,) = list(g.subjects(rdflib.RDF.type, DCAT.Dataset))
    assert {lit.language for lit in g.objects(ds, DCT.title)} == {"sv", "en"}
    assert {lit.language for lit in g.objects(ds, DCT.description)} == {"sv", "en"}
    (publisher,) = list(g.objects(ds, DCT.publisher))
    assert g.value(publisher, DCT.type) == rdflib.URIRef(
        "http://purl.org/adms/publishertype/LocalAuthority")
    assert str(g.value(publisher, FOAF.name)).startswith("Exempelkommunen")
    contact = g.value(ds, DCAT.contactPoint)
    assert g.value(contact, VCARD.hasEmail) == rdflib.URIRef("mailto:trygghet@kommun.example")
    assert g.value(contact, VCARD.fn) is not None
    period = g.value(ds, DCT.temporal)
    start, end = g.value(period, DCAT.startDate), g.value(period, DCAT.endDate)
    assert (start.datatype, end.datatype) == (XSD.date, XSD.date)
    assert (start.toPython(), end.toPython()) == (dt.date(2020, 9, 28), dt.date(2020, 11, 20))
    place = g.value(ds, DCT.spatial)
    assert str(g.value(place, DCT.identifier)) == "1488"
    assert g.value(ds, DCT.accessRights) == rdflib.URIRef(
        "http://publications.europa.eu/resource/authority/access-right/PUBLIC")
    distributions = list(g.objects(ds, DCAT.distribution))
    assert len(distributions) == 6
    sizes = {p.name: p.stat().st_size for p in release.iterdir()}
    for d in distributions:
        url = str(g.value(d, DCAT.accessURL))
        assert url.startswith("https://kommun.example/oppna-data/trygghet/2020/")
        assert g.value(d, DCT.license) == CC_BY and g.value(d, DCT["format"]) is not None
        assert int(g.value(d, DCAT.byteSize)) == sizes[url.rsplit("/", 1)[1]]
    assert all(isinstance(n, rdflib.URIRef) for n in g.all_nodes()
               if not isinstance(n, rdflib.Literal))  # no blank nodes: every entity has an IRI


# --- Built from small tables ----------------------------------------------------------------


def small_estimates(**change) -> pd.DataFrame:
    rows = [
        dict(indicator="otrygg_kvall", kind="share", group_var="total", group="Totalt",
             n=400, count=100, estimate=0.25, se=0.02, ci_low=0.21, ci_high=0.29),
        dict(indicator="otrygg_kvall", kind="share", group_var="area", group="=HYPERLINK(1)",
             n=np.nan, count=np.nan, estimate=np.nan, se=np.nan, ci_low=np.nan,
             ci_high=np.nan, suppressed=True, symbol=".."),
        dict(indicator="otrygg_dag", kind="share", group_var="total", group="Totalt",
             n=400, count=0, estimate=0.0, se=0.0, ci_low=0.0, ci_high=0.0095, symbol="–"),
        dict(indicator="trygghetsindex", kind="mean", group_var="total", group="Totalt",
             n=380, count=np.nan, estimate=1.234567, se=0.04444, ci_low=1.15, ci_high=1.31),
    ]
    frame = pd.DataFrame([{"year": 2020, "estimate_type": "weighted", "ci_method": "wilson",
                           "generalisable": True, "suppressed": False, "symbol": "", **r}
                          for r in rows])
    for key, value in change.items():
        frame.loc[1, key] = value
    return frame


def small_changes() -> pd.DataFrame:
    return pd.DataFrame([dict(
        year_from=2019, year_to=2020, indicator="otrygg_kvall", kind="share", group_var="total",
        group="Totalt", estimate_type_from="weighted", estimate_type_to="weighted",
        estimate_from=0.25, estimate_to=0.2500004, n_from=390, n_to=400, diff=-0.0000004,
        se=0.028, ci_low=-0.055, ci_high=0.055, significant=False, series_break=False,
        suppressed=False, symbol="")])


def test_cells_from_small_tables():
    files = opendata_package.build_release(small_estimates(), small_changes(), od(), year=2020)
    shares = read_text_rows(files["andelar_2020.csv"])
    assert shares[1] == ["1488", "Trollhättan", "2020", "otrygg_kvall", "totalt", "Totalt",
                         "viktad", "true", "400", "25.0", "2.00", "21.0", "29.0", "wilson", ""]
    # Suppressed: every number empty, symbol '..'; a formula-like name neutralised.
    assert shares[2][5] == "'=HYPERLINK(1)" and shares[2][8:13] == [""] * 5
    assert shares[2][14] == ".."
    # An exact zero is published as 0 with '–'.
    assert shares[3][9] == "0.0" and shares[3][14] == "–"
    index = read_text_rows(files["index_2020.csv"])
    assert index[1][9:13] == ["1.23", "0.044", "1.15", "1.31"]
    change = read_text_rows(files["forandringar_andelar_2020.csv"])
    assert change[1][13] == "0.0"  # never "-0.0"
    assert change[1][17:19] == ["false", "false"]
    names = read_text_rows(files["indikatorer.csv"])
    assert [r[0] for r in names[1:]] == ["otrygg_kvall", "otrygg_dag", "trygghetsindex"]
    # Same inputs, same bytes; no time stamp without SOURCE_DATE_EPOCH.
    assert files == opendata_package.build_release(small_estimates(), small_changes(), od(),
                                                   year=2020)
    assert b"created" not in files["datapackage.json"]
    assert b"issued" not in files["dcat.jsonld"]


def read_text_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"))))


def test_unprotected_tables_are_refused():
    leaked = small_estimates(estimate=0.5)  # suppressed row that still has its value
    with pytest.raises(TrygghetError, match="undertryckt"):
        opendata_package.build_release(leaked, small_changes(), od(), year=2020)
    with pytest.raises(TrygghetError, match="röjandekontrollen"):
        opendata_package.build_release(small_estimates().drop(columns="symbol"),
                                       small_changes(), od(), year=2020)


def test_small_release_validates_with_cc0_and_relative_iris(tmp_path):
    """CC0 and no base_url: valid package; relative IRIs resolve where the file is put."""
    settings_ = od(licence="cc0", base_url=None, publisher="Kommunen")
    files = opendata_package.build_release(small_estimates(), small_changes(), settings_,
                                           year=2020,
                                           period=(dt.date(2020, 9, 1), dt.date(2020, 10, 31)))
    opendata_package.write_release(files, tmp_path)
    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    package = json.loads(files["datapackage.json"])
    assert package["licenses"][0]["name"] == "CC0-1.0" and "id" not in package
    base = "https://example.org/data/2020/dcat.jsonld"
    g = rdflib.Graph().parse(data=files["dcat.jsonld"], format="json-ld", publicID=base)
    (ds,) = list(g.subjects(rdflib.RDF.type, DCAT.Dataset))
    assert str(ds) == base + "#dataset"
    assert set(g.objects(None, DCT.license)) == {
        rdflib.URIRef("http://creativecommons.org/publicdomain/zero/1.0/")}
    urls = {str(u) for u in g.objects(None, DCAT.accessURL)}
    assert "https://example.org/data/2020/andelar_2020.csv" in urls


@pytest.mark.parametrize("change, column, words", [
    ({"contact": None}, "open_data.contact.email", "kontakt"),
    ({"contact": {"name": "Trygghet"}}, "open_data.contact.email", "kontakt"),
    ({"contact": {"email": "trygghet.kommun.se"}}, "open_data.contact.email", "e-post"),
    ({"kommunkod": 76}, "open_data.kommunkod", "'76'"),       # YAML read 0114 as octal
    ({"kommunkod": "9999"}, "open_data.kommunkod", "kommunkod"),
    ({"kommunkod": None}, "open_data.kommunkod", "saknas"),
    ({"licence": "GPL"}, "open_data.licence", "licens"),
    ({"publisher": None}, "open_data.publisher", "utgivare"),
    ({"publisher": {"name": "X", "orgnr": "123"}}, "open_data.publisher.orgnr", "123"),
    ({"base_url": "kommun.se/data"}, "open_data.base_url", "webbadress"),
    ({"licens": "CC0"}, "open_data.licens", "okänd nyckel"),
])
def test_settings_are_checked(change, column, words):
    with pytest.raises(TrygghetError) as info:
        od(**change)
    err = info.value
    assert err.column == column and words in err.message and err.file == "trygghet.yml"
    assert err.hint


def test_settings_accept_the_usual_forms():
    s = od(kommunkod=1488, licence="CC BY 4.0", contact="trygghet@kommun.se",
           publisher="Exempelkommunen")
    assert (s.kommunkod, s.licence, s.contact_email, s.contact_name) == \
        ("1488", "CC-BY-4.0", "trygghet@kommun.se", "Exempelkommunen")
    assert od().county_iso == "SE-O" and od().base_url.endswith("/trygghet")
    assert opendata.OpenDataSettings.from_settings({"municipality": "X"}) is None


def test_command_without_settings(tmp_path, capsys):
    """`trygghet open-data` needs the settings; `trygghet report` just skips the release."""
    (tmp_path / "config" / "surveys").mkdir(parents=True)
    (tmp_path / "config" / "trygghet.yml").write_text("municipality: X\n", encoding="utf-8")
    assert main(["--root", str(tmp_path), "open-data", "--year", "2020"]) == 2
    err = capsys.readouterr().err
    assert "open_data" in err and "Åtgärd" in err and "Traceback" not in err
    said = []
    assert opendata_package.release_year(Project(tmp_path), 2020, echo=said.append) == []
    assert "hoppar över" in said[0]
    # With settings but no estimates: one message naming the file.
    (tmp_path / "config" / "trygghet.yml").write_text(
        "municipality: X\nopen_data:\n  kommunkod: '1488'\n  publisher: X\n"
        "  contact: a@b.se\n", encoding="utf-8")
    assert load_settings(Project(tmp_path))["open_data"]["kommunkod"] == "1488"
    assert main(["--root", str(tmp_path), "open-data", "--year", "2020"]) == 2
    assert "estimates.parquet" in capsys.readouterr().err
