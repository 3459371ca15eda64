"""The seeded sample generator: determinism, formats, margins, designed patterns, cleaning."""

from __future__ import annotations

import csv
import importlib.util
import io
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from trygghet import cli, sample
from trygghet.config import Project
from trygghet.errors import TrygghetError
from trygghet.indicators import respondent_values
from trygghet.mapping import Multi, load_mapping, normalise
from trygghet.questionnaire import default_questionnaire
from trygghet.schema import AGE_GROUP, OTHER_AREA, option_column

PRIORITIES = default_questionnaire().scales["priorities"]

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "trollhattan"
SURVEYS = EXAMPLE / "config" / "surveys"
YEARS = sample.YEARS
HAS_CLEAN = importlib.util.find_spec("trygghet.clean") is not None


def _project(root: Path) -> Path:
    """A workspace holding a copy of the example's settings and mapping files."""
    shutil.copytree(SURVEYS, root / "config" / "surveys")
    shutil.copyfile(EXAMPLE / "config" / "trygghet.yml", root / "config" / "trygghet.yml")
    return root


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, sample.SampleResult]:
    root = _project(tmp_path_factory.mktemp("sample"))
    return root, sample.generate(root)


@pytest.fixture(scope="module")
def mappings():
    return {y: load_mapping(SURVEYS / f"{y}.yml") for y in YEARS}


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted((root / "data").rglob("*")) if p.is_file()}


def _xlsx_entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist()}


def _csv_rows(path: Path, encoding: str, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode(encoding), newline=""),
                           delimiter=delimiter))


def _values(result: sample.SampleResult, year: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    truth = result.years[year].truth
    return truth, respondent_values(truth)


# --- Determinism --------------------------------------------------------------

def test_same_seed_gives_identical_bytes(generated, tmp_path, capsys):
    root, result = generated
    other = _project(tmp_path / "again")
    assert cli.main(["--root", str(other), "sample", "--seed", str(result.seed)]) == 0
    out = capsys.readouterr().out
    assert "1\u00a0417 giltiga svar" in out and "data/raw/2021/trygghetsmatning_2021.xlsx" in out
    first, second = _files(root), _files(other)
    assert sorted(first) == sorted(second)
    assert len(first) >= 10
    for name in first:
        assert first[name] == second[name], f"{name} differs between two runs"


def test_another_seed_gives_other_answers(generated, tmp_path):
    root, _ = generated
    other = _project(tmp_path / "seed56")
    sample.generate(other, seed=56, years=(2019,))
    rel = "data/raw/2019/medborgarenkat_2019.csv"
    assert (root / rel).read_bytes() != (other / rel).read_bytes()
    # The reference population does not depend on the seed.
    rel = "data/reference/population_2019.csv"
    assert (root / rel).read_bytes() == (other / rel).read_bytes()


def test_xlsx_has_fixed_timestamps(generated):
    root, _ = generated
    data = (root / "data/raw/2021/trygghetsmatning_2021.xlsx").read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert {i.date_time for i in z.infolist()} == {sample.FIXED_TIME}
        assert z.namelist() == sorted(z.namelist())
        core = z.read("docProps/core.xml").decode()
    assert core.count("2022-01-01T00:00:00Z") == 2


def test_bundled_sample_is_what_the_generator_makes(generated):
    """The example's committed files under data/ are up to date with sample.py (default
    seed)."""
    root, result = generated
    assert result.seed == sample.DEFAULT_SEED
    for name, data in _files(root).items():
        bundled = EXAMPLE / name
        assert bundled.exists(), f"{name} is missing: run trygghet sample"
        if name.endswith(".xlsx"):  # compare contents: zlib builds may compress differently
            assert _xlsx_entries(bundled.read_bytes()) == _xlsx_entries(data), name
        else:
            assert bundled.read_bytes() == data, f"{name} is stale: run trygghet sample"


def test_bad_seed_is_a_readable_error(tmp_path):
    with pytest.raises(TrygghetError, match="ogiltigt frö"):
        sample.generate(tmp_path, seed=-1)
    assert cli.main(["--root", str(_project(tmp_path)), "sample", "--seed", "-3"]) == 2


# --- Population and crime reference --------------------------------------------

@pytest.mark.parametrize("year", YEARS)
def test_population_margins_are_consistent(generated, mappings, year):
    root, _ = generated
    pop = pd.read_csv(root / f"data/reference/population_{year}.csv", dtype={"level": str})
    assert list(pop.columns) == ["dimension", "level", "population"]
    totals = pop.groupby("dimension")["population"].sum()
    assert set(totals.index) == {"sex", "age_group", "area", "sex:age_group"}
    assert totals.nunique() == 1, totals.to_dict()
    assert 45_000 <= totals.iloc[0] <= 47_000
    by = {d: g.set_index("level")["population"] for d, g in pop.groupby("dimension")}
    assert list(by["age_group"].index) == list(AGE_GROUP.levels)
    assert list(by["area"].index) == mappings[year].area_names
    assert (pop["population"] > 0).all()
    crossed = by["sex:age_group"]
    parts = crossed.index.str.split(":", expand=True)
    for sex in ("Kvinna", "Man"):
        assert crossed[parts.get_level_values(0) == sex].sum() == by["sex"][sex]
    for group in AGE_GROUP.levels:
        assert crossed[parts.get_level_values(1) == group].sum() == by["age_group"][group]


def test_register_matches_margins():
    reg = sample.build_register(2020)
    pop = sample.population_margins(2020)
    area = pop[pop["dimension"] == "area"].set_index("level")["population"]
    assert reg["area"].value_counts().reindex(area.index).tolist() == area.tolist()
    assert reg["age"].between(16, 84).all()
    assert 58_000 <= sample.population_table(2019)["population"].sum() <= 60_000


@pytest.mark.parametrize("year", YEARS)
def test_crime_is_not_where_insecurity_is(generated, year):
    root, _ = generated
    crime = pd.read_csv(root / f"data/reference/brott_{year}.csv").set_index("area")
    assert list(crime.columns) == ["inhabitants", "reported_crimes", "violence_public"]
    per_1000 = crime["reported_crimes"] / crime["inhabitants"] * 1000
    assert per_1000.idxmax() == "Centrum"
    assert per_1000["Centrum"] > 1.8 * per_1000["Kronogården"]
    municipal = crime["reported_crimes"].sum() / crime["inhabitants"].sum() * 1000
    assert municipal < per_1000["Kronogården"] < 1.4 * municipal  # only moderately higher
    assert 55_000 <= crime["inhabitants"].sum() <= 62_000
    total = sample.VIOLENCE_TOTAL[year]
    if total is None:
        assert crime["violence_public"].isna().all()
    else:
        assert crime["violence_public"].sum() == total


def test_insecurity_model_is_highest_in_kronogarden():
    profiles = {a.name: a for a in sample.TROLLHATTAN}
    most = max(profiles.values(), key=lambda a: a.insecurity)
    assert most.name == "Kronogården"
    assert profiles["Centrum"].crime_rate > 2 * profiles["Kronogården"].crime_rate


# --- Raw exports as the mappings say ---------------------------------------------

def _mapped_headers(mapping) -> list[str]:
    out = []
    for spec in mapping.columns.values():
        if isinstance(spec, Multi):
            out += [spec.header] if spec.header else list(spec.options.values())
        else:
            out.append(spec)
    return out


def test_2019_is_utf8_bom_comma_csv(generated, mappings):
    root, result = generated
    m = mappings[2019]
    path = root / m.source.file
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = _csv_rows(path, "utf-8-sig", ",")
    header = rows[0]
    assert set(_mapped_headers(m)) <= set(header)
    assert set(m.ignore) <= set(header)
    assert len(rows) - 1 == result.years[2019].rows_in
    col = {h: i for i, h in enumerate(header)}
    ips = {r[col["IP-adress"]] for r in rows[1:] if r[col["IP-adress"]]}
    assert ips and all(ip.startswith("192.0.2.") for ip in ips)
    times = [r[col[m.columns["unsafe_times"].header]] for r in rows[1:]]
    assert any("; " in t for t in times)  # "Kväll; Natt"
    ages = [r[col["Ålder"]] for r in rows[1:]]
    assert any(a.endswith(" år") for a in ages)
    stamps = [r[col["Tidsstämpel"]] for r in rows[1:]]
    assert any("/" in s for s in stamps) and any("-" in s for s in stamps)
    areas = {r[col["Vilket område bor du i?"]] for r in rows[1:]}
    assert "Kronogårdn" in areas and "Vänersborg" in areas
    assert set(m.other_area_aliases) & areas
    comments = {r[col["Övriga synpunkter"]] for r in rows[1:]}
    assert set(sample.PLANTED_COMMENTS) <= comments  # raw exports are not neutralised


def test_2020_is_cp1252_semicolon_csv(generated, mappings):
    root, result = generated
    m = mappings[2020]
    path = root / m.source.file
    data = path.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    rows = _csv_rows(path, "cp1252", ";")
    header = rows[0]
    assert set(_mapped_headers(m)) <= set(header) and set(m.ignore) <= set(header)
    assert len(rows) - 1 == result.years[2020].rows_in
    col = {h: i for i, h in enumerate(header)}
    for spec in (m.columns["unsafe_times"], m.columns["priorities"], m.columns["relation"]):
        for h in spec.options.values():
            assert {r[col[h]] for r in rows[1:]} <= {"1", "0", ""}
    years = [int(r[col["Födelseår"]]) for r in rows[1:] if r[col["Födelseår"]].isdigit()]
    assert min(years) < 1900 and max(years) > 2010  # the impossible ones are there
    assert {r[col["Kön"]] for r in rows[1:]} == {"K", "M", ""}
    assert {r[col["Svarsform"]] for r in rows[1:]} == {"Webb", "Papper", ""}


def test_2021_is_xlsx_with_title_row_and_questionnaire(generated, mappings):
    from openpyxl import load_workbook

    root, result = generated
    m = mappings[2021]
    wb = load_workbook(root / m.source.file, read_only=True)
    assert wb.sheetnames == ["Svar", "Frågor"]
    rows = list(wb["Svar"].iter_rows(values_only=True))
    questions = list(wb["Frågor"].iter_rows(values_only=True))
    wb.close()
    assert "SYNTETISKA" in rows[0][0] and all(v is None for v in rows[0][1:])
    header = list(rows[1])
    assert set(_mapped_headers(m)) <= set(header)
    assert len(rows) - 2 == result.years[2021].rows_in
    col = {h: i for i, h in enumerate(header)}
    postcodes = {r[col["Postnummer"]] for r in rows[2:] if r[col["Postnummer"]]}
    assert "461 60" in postcodes and "46160" in postcodes
    for h in m.columns["unsafe_times"].options.values():
        assert {r[col[h]] for r in rows[2:]} <= {"X", None}
    relation = {r[col[m.columns["relation"].header]] for r in rows[2:]}
    assert any(v and ", " in v for v in relation)
    assert questions[0] == ("Kolumn", "Fråga") and len(questions) > 30
    # Hostile text is stored as text, not as a formula.
    comments = {r[col["Q12 Övriga synpunkter"]] for r in rows[2:]}
    assert sample.PLANTED_COMMENTS[0] in comments


def test_headers_are_taken_from_the_mapping(tmp_path):
    """Renaming a header in the mapping renames it in the export: no header lives in code."""
    raw = yaml.safe_load((SURVEYS / "2019.yml").read_text(encoding="utf-8"))
    raw["columns"]["worry"] = "Hur ofta oroar du dig? (NY RUBRIK)"
    raw["ignore"] = ["IP-adress"]
    path = tmp_path / "2019.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    m = load_mapping(path)
    table, _ = sample.build_export(m, sample.SPECS[2019], 1, sample.build_register(2019))
    assert "Hur ofta oroar du dig? (NY RUBRIK)" in table.columns
    assert "Hur fick du kännedom om enkäten?" not in table.columns
    assert table.columns.count("IP-adress") == 1


@pytest.mark.parametrize("year", YEARS)
def test_ledger_adds_up(generated, year):
    _, result = generated
    y = result.years[year]
    assert y.rows_in == y.n_clean + sum(y.quarantine.values()) + sum(y.duplicates.values())
    assert len(y.truth) == y.n_clean
    if year == 2019:
        assert y.n_clean == 1417 and y.sent is None
        assert y.truth["area"].eq(OTHER_AREA).sum() > 0
    else:
        assert 1100 <= y.n_clean <= 1200 and y.sent == 2000
    # Mess stays at a few per cent of the rows.
    assert y.rows_in - y.n_clean < 0.06 * y.rows_in


# --- The seed's patterns, computed from the generated respondents ------------------

@pytest.mark.parametrize("year", YEARS)
def test_women_feel_less_safe_than_men(generated, year):
    truth, v = _values(generated[1], year)
    by_sex = v.groupby(truth["sex"], observed=True)["otrygg_kvall"].mean()
    assert by_sex["Kvinna"] - by_sex["Man"] > 0.1


@pytest.mark.parametrize("year", YEARS)
def test_insecurity_is_in_the_dark(generated, year):
    truth, v = _values(generated[1], year)
    assert 0.25 <= v["otrygg_kvall"].mean() <= 0.36
    assert v["otrygg_kvall"].mean() > 3 * v["otrygg_dag"].mean()
    for dark in ("tid_kvall", "tid_natt", "tid_tidig_morgon"):
        assert v[dark].mean() > 2 * v["tid_dagtid"].mean()
    assert v["tid_dagtid"].mean() < 0.08
    stays_in = (truth["safe_evening"] == "Går inte ut ensam p.g.a. otrygghet").sum()
    assert stays_in >= 10
    never = truth[option_column("unsafe_times", "Aldrig")].fillna(False).astype(bool)
    others = truth[[option_column("unsafe_times", t) for t in ("Kväll", "Natt", "Dagtid")]]
    assert not (never & others.fillna(False).astype(bool).any(axis=1)).any()


@pytest.mark.parametrize("year", YEARS)
def test_priority_ranking(generated, year):
    truth, v = _values(generated[1], year)
    shares = [v[f"prio_{sample_slug}"].mean() for sample_slug in
              ("tillganglighet", "vald_utomhus", "organiserad_brottslighet", "mangdbrott",
               "narkotika_dopning")]
    assert shares == sorted(shares, reverse=True) and len(set(shares)) == 5
    rest = [v[c].mean() for c in ("prio_trafik", "prio_nedskrapning_skadegorelse", "prio_annat")]
    assert max(rest) < shares[-1]
    ticked = truth[[option_column("priorities", p) for p in PRIORITIES.levels]]
    assert ticked.fillna(False).astype(int).sum(axis=1).max() == 3


@pytest.mark.parametrize("year", YEARS)
def test_areas_differ(generated, year):
    truth, v = _values(generated[1], year)
    by_area = v.groupby(truth["area"], observed=True)[
        ["otrygg_kvall", "problemindex", "trygghetsindex"]].mean()
    unsafe = by_area.loc[["Kronogården", "Centrum", "Lextorp"], "otrygg_kvall"]
    safe = by_area.loc[["Upphärad", "Sjuntorp", "Skoftebyn"], "otrygg_kvall"]
    assert unsafe.mean() - safe.mean() > 0.12
    assert unsafe.min() > safe.max()
    # Index values on the 0–6 scale, area means mostly between 1 and 3.
    for index in ("problemindex", "trygghetsindex"):
        means = by_area[index].drop(OTHER_AREA, errors="ignore")
        assert means.between(0.8, 3.6).all()
        assert means.between(1.0, 3.0).mean() >= 0.75


@pytest.mark.parametrize("year", YEARS)
def test_victimisation_level(generated, year):
    _, v = _values(generated[1], year)
    assert 0.15 <= v["utsatt"].mean() <= 0.25


def test_web_survey_over_represents_women_and_45_64(generated):
    result = generated[1]
    pop = sample.population_margins(2019).set_index(["dimension", "level"])["population"]
    total = pop["sex"].sum()
    t19, t20 = result.years[2019].truth, result.years[2020].truth
    women = pop["sex"]["Kvinna"] / total
    middle = pop["age_group"]["45–64"] / total
    assert (t19["sex"] == "Kvinna").sum() / t19["sex"].notna().sum() > women + 0.08
    assert (t19["age_group"] == "45–64").sum() / t19["age_group"].notna().sum() > middle + 0.1
    # The random sample is much closer to the population.
    assert abs((t20["sex"] == "Kvinna").mean() - women) < 0.05


def test_young_men_answer_least():
    """In the probability years nonresponse is highest among men aged 16–24."""
    reg = sample.build_register(2020)
    rng = np.random.default_rng(3)
    gross = reg.iloc[np.sort(rng.choice(len(reg), 20_000, replace=False))].reset_index(drop=True)
    answered = np.zeros(len(gross), dtype=bool)
    answered[sample.respond(gross, 11_500, rng)] = True
    cell = gross["sex"] + ":" + np.asarray(AGE_GROUP.levels, dtype=object)[
        sample.age_groups(gross["age"].to_numpy())]
    rate = pd.Series(answered).groupby(cell.to_numpy()).mean()
    assert rate.idxmin() == "Man:16–24"
    assert answered.sum() == 11_500


def test_2021_is_a_little_safer_than_2020(generated):
    """In the model (whole register) and in the bundled sample."""
    shares = {}
    for year in (2020, 2021):
        reg = sample.build_register(year)
        r = sample.generate_responses(reg, np.random.default_rng(7), year=year)
        t = r.to_canonical()
        v = respondent_values(t)
        shares[year] = v["otrygg_kvall"].mean()
        shares[(year, "K")] = v.loc[t["area"] == "Kronogården", "otrygg_kvall"].mean()
    assert 0.01 <= shares[2020] - shares[2021] <= 0.04
    assert shares[(2020, "K")] - shares[(2021, "K")] > 0.04
    result = generated[1]
    got = {y: _values(result, y)[1]["otrygg_kvall"].mean() for y in (2020, 2021)}
    assert 0.005 <= got[2020] - got[2021] <= 0.05


def test_building_blocks_scale():
    """generate_persons + generate_responses: vectorised, any n, canonical output."""
    rng = np.random.default_rng(0)
    persons = sample.generate_persons(30_000, rng)
    assert len(persons) == 30_000 and persons["age"].between(16, 84).all()
    r = sample.generate_responses(persons, rng, year=2020, comments=sample.COMMENTS)
    frame = r.to_canonical()
    assert len(frame) == 30_000
    assert frame["safe_evening"].notna().mean() > 0.9
    assert frame["comment"].notna().mean() == pytest.approx(0.12, abs=0.01)
    assert r.take(np.arange(10)).signature().is_unique


# --- The cleaning stage finds exactly what was planted -----------------------------

@pytest.mark.skipif(not HAS_CLEAN, reason="trygghet.clean is not there yet")
@pytest.mark.parametrize("year", YEARS)
def test_cleaning_recovers_the_sample(generated, year):
    from trygghet import pipeline

    root, result = generated
    ledger = result.years[year]
    cleaned = pipeline.clean_year(Project(root), year)
    log = cleaned.log
    assert log["rows_in"] == ledger.rows_in
    assert log["rows_clean"] == ledger.n_clean
    if year == 2019:
        assert log["rows_clean"] == 1417
    assert log["reasons"] == ledger.quarantine
    assert log["duplicates"] == ledger.duplicates
    # Row for row (in any order), the clean table is the generated truth.
    truth = ledger.truth
    got = cleaned.responses[list(truth.columns)]

    def rows(frame: pd.DataFrame) -> list[int]:
        return sorted(pd.util.hash_pandas_object(frame.astype(str), index=False).tolist())

    assert rows(got) == rows(truth)
    assert sorted(got.attrs["not_asked"]) == truth.attrs["not_asked"]


def test_label_variants_in_the_exports_fold_to_scale_labels(generated, mappings):
    """Every label written for a single question is a scale label, a mapping variant,
    "Vet ej" or one of the deliberately unknown labels — after folding."""
    root, _ = generated
    m = mappings[2019]
    rows = _csv_rows(root / m.source.file, "utf-8-sig", ",")
    col = {h: i for i, h in enumerate(rows[0])}
    unknown = {normalise(x) for pool in sample.UNKNOWN_LABELS.values() for x in pool}
    QUESTIONS = default_questionnaire().questions  # noqa: N806 (the sample's questionnaire)

    for name, header in m.columns.items():
        q = QUESTIONS.get(name)
        if q is None or q.kind != "single" or q.background:
            continue
        allowed = {normalise(x) for x in (*q.scale.levels, *q.scale.missing, "")}
        allowed |= set(m.labels.get(q.scale.name, {}))
        seen = {normalise(r[col[header]]) for r in rows[1:]}
        assert seen - allowed <= unknown, (name, seen - allowed - unknown)


def test_signature_compares_answers_as_cleaned():
    """Identical clean rows ⇔ equal signatures: age by group, "Vet ej" = blank."""
    persons = pd.DataFrame({"sex": ["Kvinna", "Kvinna"], "age": [30, 40],
                            "area": ["Sylte", "Sylte"]})
    r = sample.generate_responses(persons, np.random.default_rng(1), year=2020)
    one = r.take(np.array([0]))
    twin = sample.concat_responses([one, one])
    twin.age = np.array([30, 40])  # both 25–44
    twin.single["worry"] = np.array([sample.BLANK, sample.DONT_KNOW], dtype=np.int8)
    sig = twin.signature()
    assert sig.iloc[0] == sig.iloc[1]
    twin.age = np.array([30, 50])  # 25–44 vs 45–64
    sig = twin.signature()
    assert sig.iloc[0] != sig.iloc[1]
