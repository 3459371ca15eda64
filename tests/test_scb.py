"""SCB population import, on files built the way SCB's serializers write them.

The reference is independent of the importer: the sample generator's own
population (``sample.population_table``, all ages by area and sex) and its
margins for ages 16–84 (``sample.population_margins``), and sums written out
by hand in the tests. The files follow PxTools' CsvSerializer and
XlsxSerializer: legacy PxWeb (quoted title line, blank line, quoted stub
texts, unquoted numbers, Windows-1252, CRLF), the 2025 Statistikdatabasen
(title line, semicolons, UTF-8 with BOM, "Folkmängd 2025", civil status, the
CKM note after the table), codes and "code - text" labels, and ``.xlsx``
(title in A1, heading rows from row 3, stub labels only where they change).
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook
from openpyxl.styles import Font

from trygghet import population_import as pi
from trygghet import sample, scb
from trygghet.cli import main
from trygghet.errors import TrygghetError
from trygghet.population import check_totals, validate

YEAR = 2020
GROUPS = {"16–24": (16, 24), "25–44": (25, 44), "45–64": (45, 64), "65–79": (65, 79),
          "80+": (80, 84)}  # the sample's survey population is 16–84
SEX_SV = {"Man": "män", "Kvinna": "kvinnor"}
CKM_NOTE = ("Från och med referensåret 2025 och framåt är en liten kontrollerad slumpmässig "
            "osäkerhet införd i samtliga redovisade uppgifter. Till följd av detta så är inte "
            "alltid de redovisade totalerna lika med summan av deras redovisade delar.")


# --- The reference population -----------------------------------------------------


def municipality(year: int = YEAR) -> dict[tuple[str, int], int]:
    """All inhabitants by (sex, age 0–100; 100 = 100 and older) of the sample."""
    pop = sample.population_table(year)
    s = pop.groupby(["sex", "age"])["population"].sum()
    return {(sex, int(age)): int(v) for (sex, age), v in s.items()}


def with_noise(counts: dict, seed: int) -> dict:
    """CKM-like noise: every published cell moved by a small random integer."""
    rng = np.random.default_rng(seed)
    return {k: max(0, v + int(rng.integers(-3, 4))) for k, v in counts.items()}


def expected_groups(counts: dict, groups: dict = GROUPS) -> dict[tuple[str, str], int]:
    """Hand-written sums of single years into the survey's groups."""
    out = {}
    for sex in ("Kvinna", "Man"):
        for label, (lo, hi) in groups.items():
            out[(sex, label)] = sum(counts[(sex, age)] for age in range(lo, hi + 1))
    return out


def frame_values(frame: pd.DataFrame, dimension: str) -> dict[str, int]:
    part = frame[frame["dimension"] == dimension]
    return dict(zip(part["level"], part["population"], strict=True))


def age_label(age: int) -> str:
    return "100+ år" if age == 100 else f"{age} år"


# --- Writers in SCB's layouts -------------------------------------------------------


def legacy_csv(path, regions: dict[str, dict], years: dict[int, str] | None = None, *,
               delimiter=",", encoding="cp1252", heading=True, total_rows=True):
    """Legacy PxWeb CSV "med rubrik": title, blank line, region/ålder/kön × years."""
    years = years or {YEAR: "counts"}
    out = io.StringIO()
    w = csv.writer(out, delimiter=delimiter, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    if heading:
        out.write('"Folkmängden efter region, ålder, kön och år"\r\n\r\n')
    w.writerow(["region", "ålder", "kön", *[str(y) for y in years]])
    for region, by_year in regions.items():
        ages = sorted({a for _, a in next(iter(by_year.values()))})
        for age in ages:
            for sex in ("Man", "Kvinna"):
                w.writerow([region, age_label(age), SEX_SV[sex],
                            *[by_year[y][(sex, age)] for y in years]])
        if total_rows:
            for sex in ("Man", "Kvinna"):
                w.writerow([region, "totalt ålder", SEX_SV[sex],
                            *[sum(v for (s, _), v in by_year[y].items() if s == sex) + 2
                              for y in years]])
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def new_csv(path, region: str, counts: dict, *, year=2025, civil_noise_seed=7, notes=True):
    """Statistikdatabasen 2025 (TAB5557): title, semicolons, texts, civil status, CKM note.

    Each single-year cell is split over four civil statuses; the published
    civil-status total and the age/sex totals carry their own noise, so parts
    and totals disagree as in SCB's tables.
    """
    rng = np.random.default_rng(civil_noise_seed)
    statuses = ("ogifta", "gifta", "skilda", "änkor/änklingar")
    lines = ['"Folkmängden efter region, civilstånd, ålder, kön och år"',
             '"region";"civilstånd";"ålder";"kön";"Folkmängd 2025";"Folkökning 2025"']
    parts_total: dict[tuple[str, int], int] = {}
    for status in (*statuses, "totalt, samtliga civilstånd"):
        for age in range(0, 101):
            for sex in ("Man", "Kvinna"):
                v = counts[(sex, age)]
                if status == "totalt, samtliga civilstånd":
                    value = v + int(rng.integers(-2, 3))
                else:
                    i = statuses.index(status)
                    value = v // 4 + (1 if i < v % 4 else 0)
                    parts_total[(sex, age)] = parts_total.get((sex, age), 0) + value
                lines.append(f'"{region}";"{status}";"{age_label(age)}";"{SEX_SV[sex]}";'
                             f'{value};{int(rng.integers(-20, 20))}')
        lines.append(f'"{region}";"{status}";"totalt, samtliga åldrar";'
                     f'"totalt, samtliga män och kvinnor";{sum(counts.values()) + 5};0')
    if notes:
        lines += ["", f'"{CKM_NOTE}"', '"Källa: SCB"']
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8-sig"))
    return parts_total


def scb_xlsx(path, region: str, counts_by_year: dict[int, dict], *, sheet="TAB5557"):
    """XlsxSerializer's layout: A1 title, row 3 contents, row 4 years, blank repeats."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws["A1"] = "Folkmängden efter region, ålder, kön och år"
    ws["A1"].font = Font(bold=True, size=14)
    years = list(counts_by_year)
    ws.cell(3, 4, "Folkmängd").font = Font(bold=True)
    for j, y in enumerate(years):
        ws.cell(4, 4 + j, str(y)).font = Font(bold=True)
    row = 5
    first_region = True
    for age in range(0, 101):
        first_age = True
        for sex in ("Man", "Kvinna"):
            if first_region:
                ws.cell(row, 1, region)
                first_region = False
            if first_age:
                ws.cell(row, 2, age_label(age))
                first_age = False
            ws.cell(row, 3, SEX_SV[sex])
            for j, y in enumerate(years):
                ws.cell(row, 4 + j, counts_by_year[y][(sex, age)])
            row += 1
    ws.cell(row + 3, 1, CKM_NOTE)  # footnotes after data rows + heading rows + 4
    ws.cell(row + 5, 1, "Källa:")
    ws.cell(row + 6, 1, "SCB")
    wb.save(path)
    return path


DESO = {}  # area → its fictitious DeSO codes (2–4 per area)
for i, profile in enumerate(sample.TROLLHATTAN):
    letter = "A" if profile.name in ("Sjuntorp", "Upphärad") else "C"
    DESO[profile.name] = [f"1488{letter}{100 + 10 * i + j:03d}0" for j in range(2 + i % 3)]


def deso_rows(year: int = YEAR, *, suffix: str = "", extra: dict | None = None):
    """Area × sex × age of the sample spread over each area's DeSO codes."""
    pop = sample.population_table(year)
    out = {}
    for (area, sex, age), v in pop.set_index(["area", "sex", "age"])["population"].items():
        codes = DESO[area]
        for j, code in enumerate(codes):
            share = v // len(codes) + (1 if j < v % len(codes) else 0)
            out[(code + suffix, sex, int(age))] = share
    for key, v in (extra or {}).items():
        out[key] = v
    return out


def deso_csv(path, rows: dict, year: int = YEAR, *, five_year=True, region_label=str):
    """SCB's DeSO table (FolkmDesoAldKon), comma "utan rubrik": 5-year groups, '80- år'."""
    groups = [(lo, lo + 4) for lo in range(0, 80, 5)] + [(80, None)]
    cells: dict[tuple[str, str, str], int] = {}
    for (code, sex, age), v in rows.items():
        if five_year:
            lo, hi = next(g for g in groups if g[0] <= age and (g[1] is None or age <= g[1]))
            label = f"{lo}- år" if hi is None else f"{lo}-{hi} år"
        else:
            label = age_label(age)
        for s in (SEX_SV[sex], "totalt"):
            cells[(code, label, s)] = cells.get((code, label, s), 0) + v
            cells[(code, "totalt", s)] = cells.get((code, "totalt", s), 0) + v
    out = io.StringIO()
    w = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    w.writerow(["region", "ålder", "kön", str(year)])
    for (code, label, s), v in cells.items():
        w.writerow([region_label(code), label, s, v])
    path.write_bytes(out.getvalue().encode("cp1252"))
    return path


def codes_yaml(path, areas: dict[str, list[str]] = DESO):
    path.write_text("".join(f"{a}: [{', '.join(c)}]\n" for a, c in areas.items()),
                    encoding="utf-8")
    return path


# --- Label parsing ----------------------------------------------------------------------


@pytest.mark.parametrize("label, expected", [
    ("16 år", (16, 16)), ("16", (16, 16)), ("0 år", (0, 0)), ("100+ år", (100, None)),
    ("100+", (100, None)), ("100+1", (100, None)), ("100+10", (100, None)),
    ("16–24 år", (16, 24)), ("16-24", (16, 24)), ("20 - 24 år", (20, 24)),
    ("80- år", (80, None)), ("80 år och äldre", (80, None)), ("-4", (0, 4)),
    ("totalt", "total"), ("totalt ålder", "total"), ("totalt, samtliga åldrar", "total"),
    ("TotSA", "total"), ("tot10", "total"), ("Total", "total"),
    ("sexton", None), ("24-16", None), ("", None),
])
def test_parse_age(label, expected):
    assert scb.parse_age(label) == expected


@pytest.mark.parametrize("label, expected", [
    ("män", "Man"), ("Kvinnor", "Kvinna"), ("1", "Man"), ("2", "Kvinna"),
    ("totalt", "total"), ("totalt, samtliga män och kvinnor", "total"), ("1+2", "total"),
    ("TotSa", "total"), ("okänt", None),
])
def test_parse_sex(label, expected):
    assert scb.parse_sex(label) == expected


@pytest.mark.parametrize("label, expected", [
    ("1488 Trollhättan", ("1488", "Trollhättan")),
    ("1488 - Trollhättan", ("1488", "Trollhättan")),
    ("1488", ("1488", "")), ("Trollhättan", (None, "Trollhättan")),
    ("0114A0010", ("0114A0010", "")), ("1488C1010_DeSO2025", ("1488C1010_DESO2025", "")),
    ("0114R001", ("0114R001", "")), ("14 Västra Götalands län", ("14", "Västra Götalands län")),
])
def test_parse_region(label, expected):
    assert scb.parse_region(label) == expected


# --- Municipality files -----------------------------------------------------------------


def check_against_sample(frame: pd.DataFrame, counts: dict) -> None:
    """sex:age_group, sex and age_group equal the hand sums of ``counts``."""
    want = expected_groups(counts)
    got = frame_values(frame, "sex:age_group")
    assert got == {f"{s}:{a}": v for (s, a), v in want.items()}
    assert frame_values(frame, "sex") == {
        s: sum(v for (x, _), v in want.items() if x == s) for s in ("Kvinna", "Man")}
    assert frame_values(frame, "age_group") == {
        a: want[("Kvinna", a)] + want[("Man", a)] for a in GROUPS}
    assert list(frame.columns) == ["dimension", "level", "population"]


def check_population(frame: pd.DataFrame) -> None:
    """What the weighting will read: a valid table whose margins agree exactly."""
    frame = validate(frame)
    check_totals(frame, sorted(frame["dimension"].unique()))


def test_legacy_csv_equals_sample_margins(tmp_path):
    """Without noise, the import gives exactly the sample generator's 16–84 margins."""
    counts = municipality()
    path = legacy_csv(tmp_path / "BE0101N1.csv", {"1488 Trollhättan": {YEAR: counts}})
    result = pi.import_population(path, YEAR, groups=pi.AgeGroups.make(max_age=84))
    ref = sample.population_margins(YEAR)
    for dim in ("sex", "age_group", "sex:age_group"):
        assert frame_values(result.frame, dim) == frame_values(ref, dim)
    check_population(result.frame)  # what the weighting will read
    assert result.regions == ["1488 Trollhättan"]
    # 85+ are outside a 16–84 survey, and said so.
    older = sum(v for (_, age), v in counts.items() if age >= 85)
    assert any(f"{older:,}".replace(",", "\u00a0") in n and "äldre än 84" in n
               for n in result.notes)


@pytest.mark.parametrize("delimiter, encoding", [
    (",", "cp1252"), (";", "cp1252"), ("\t", "utf-8"), (";", "utf-8-sig"), (",", "utf-8-sig"),
])
def test_legacy_layouts_and_encodings(tmp_path, delimiter, encoding):
    counts = with_noise(municipality(), seed=1)
    path = legacy_csv(tmp_path / "f.csv", {"1488 Trollhättan": {YEAR: counts}},
                      delimiter=delimiter, encoding=encoding)
    result = pi.import_population(path, YEAR, groups=pi.AgeGroups.make(max_age=84))
    check_against_sample(result.frame, counts)


def test_picks_year_and_region_among_several(tmp_path):
    """Two years and three regions (as downloaded for a county): the right column and rows."""
    c19, c20 = with_noise(municipality(2019), 2), with_noise(municipality(2020), 3)
    other = with_noise(municipality(2020), 4)
    path = legacy_csv(tmp_path / "f.csv", {
        "1487 Vänersborg": {2019: other, 2020: other},
        "1488 Trollhättan": {2019: c19, 2020: c20},
        "1489 Alingsås": {2019: other, 2020: other}}, years={2019: 0, 2020: 0}, heading=False)
    groups = pi.AgeGroups.make(max_age=84)
    for region in ("1488", "Trollhättan", "1488 Trollhättan", "1488 - Trollhättan",
                   "trollhättan"):
        result = pi.import_population(path, 2019, regions=[region], groups=groups)
        check_against_sample(result.frame, c19)
    result = pi.import_population(path, 2020, regions=["1488"], groups=groups)
    check_against_sample(result.frame, c20)
    # Two regions are summed.
    both = pi.import_population(path, 2020, regions=["1487", "1488"], groups=groups)
    want = {k: other[k] + c20[k] for k in c20}
    check_against_sample(both.frame, want)


def test_statistikdatabasen_2025_with_ckm_noise(tmp_path):
    """TAB5557 as CSV: civil statuses summed, totals (noisy) never added, CKM note skipped."""
    counts = with_noise(municipality(), seed=5)
    path = tmp_path / "TAB5557_20260301-101500.csv"
    parts = new_csv(path, "Trollhättan", counts)
    result = pi.import_population(path, 2025, groups=pi.AgeGroups.make(max_age=84))
    # The four civil statuses add up to the cell; the noisy total row is not used.
    assert parts == counts
    check_against_sample(result.frame, counts)
    # The table's own (noisy) total is reported beside the sum of the ages.
    assert any("totalrad" in n and "Cell Key Method" in n for n in result.notes)


def test_codes_and_code_text_labels(tmp_path):
    """API-style codes (region 1488, age 16 and 100+1, sex 1/2) and "1488 - Trollhättan"."""
    counts = with_noise(municipality(), seed=6)
    for region, age_of, sex_of in (
            ("1488", lambda a: "100+1" if a == 100 else str(a), {"Man": "1", "Kvinna": "2"}),
            ("1488 - Trollhättan", age_label, SEX_SV)):
        lines = ["Region\tÅlder\tKön\tFolkmängd 2024\tFolkmängd 2025"]
        for age in range(0, 101):
            for sex in ("Man", "Kvinna"):
                lines.append(f"{region}\t{age_of(age)}\t{sex_of[sex]}\t1\t{counts[(sex, age)]}")
        path = tmp_path / "codes.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        result = pi.import_population(path, 2025, regions=["1488"],
                                       groups=pi.AgeGroups.make(max_age=84))
        check_against_sample(result.frame, counts)


def test_xlsx_as_scb_writes_it(tmp_path):
    counts = with_noise(municipality(), seed=8)
    path = scb_xlsx(tmp_path / "TAB5557.xlsx", "Trollhättan",
                    {2024: with_noise(counts, 9), 2025: counts})
    result = pi.import_population(path, 2025, groups=pi.AgeGroups.make(max_age=84))
    check_against_sample(result.frame, counts)
    assert result.regions == ["Trollhättan"]


def test_age_groups_that_match_the_survey(tmp_path):
    """A grouped file whose bounds are the survey's ("16-24" with a hyphen, Swedish Excel)."""
    counts = with_noise(municipality(), seed=10)
    bounds = [(0, 15), (16, 24), (25, 44), (45, 64), (65, 79), (80, 84), (85, None)]
    lines = ["region;ålder;kön;2020"]
    for lo, hi in bounds:
        for sex in ("Man", "Kvinna"):
            v = sum(counts[(sex, a)] for a in range(lo, (hi if hi is not None else 100) + 1))
            label = f"{lo}-{hi} år" if hi is not None else f"{lo}+ år"
            lines.append(f"Trollhättan;{label};{SEX_SV[sex]};{v}")
    path = tmp_path / "excel.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    result = pi.import_population(path, YEAR, groups=pi.AgeGroups.make(max_age=84))
    check_against_sample(result.frame, counts)


def test_open_top_group_without_max_age(tmp_path):
    """No max_age: 80+ takes every age from 80 on, the open '100+ år' included."""
    counts = municipality()
    path = legacy_csv(tmp_path / "f.csv", {"1488 Trollhättan": {YEAR: counts}})
    result = pi.import_population(path, YEAR)
    got = frame_values(result.frame, "sex:age_group")
    for sex in ("Kvinna", "Man"):
        assert got[f"{sex}:80+"] == sum(counts[(sex, a)] for a in range(80, 101))
        assert got[f"{sex}:16–24"] == sum(counts[(sex, a)] for a in range(16, 25))


def test_custom_age_groups(tmp_path):
    counts = municipality()
    path = legacy_csv(tmp_path / "f.csv", {"1488 Trollhättan": {YEAR: counts}})
    bounds = {"18–29": (18, 29), "30–49": (30, 49), "50–74": (50, 74)}
    result = pi.import_population(path, YEAR, groups=pi.AgeGroups.make(bounds))
    got = frame_values(result.frame, "sex:age_group")
    assert got == {f"{s}:{a}": sum(counts[(s, x)] for x in range(lo, hi + 1))
                   for s in ("Kvinna", "Man") for a, (lo, hi) in bounds.items()}


# --- Areas from DeSO ------------------------------------------------------------------


def test_deso_areas_hand_derived_split(tmp_path):
    """A five-year group across the survey's lower bound is split by the municipality's years.

    Women 15–19 in the municipality: 10, 20, 30, 40, 50 (16–19: 140 of 150);
    the area's 15–19 women, 300, give 300 · 140/150 = 280. The area's
    20–24 (60) count whole; nobody else lives there.
    """
    counts = {(s, a): 0 for s in ("Man", "Kvinna") for a in range(0, 101)}
    for age, v in zip(range(15, 20), (10, 20, 30, 40, 50), strict=True):
        counts[("Kvinna", age)] = v
    for age in range(20, 25):
        counts[("Kvinna", age)] = 12
    muni = legacy_csv(tmp_path / "kommun.csv", {"1488 Trollhättan": {YEAR: counts}})
    lines = ['"region","ålder","kön","2020"',
             '"1488C1010","15-19 år","kvinnor",300', '"1488C1010","20-24 år","kvinnor",60',
             '"1488C1010","15-19 år","män",0', '"1488C1010","20-24 år","män",0']
    for lo in (0, 5, 10, *range(25, 80, 5)):
        for sex in ("kvinnor", "män"):
            lines.append(f'"1488C1010","{lo}-{lo + 4} år","{sex}",0')
    lines += ['"1488C1010","80- år","kvinnor",0', '"1488C1010","80- år","män",0',
              '"1488C1010","totalt","totalt",360']
    deso = tmp_path / "deso.csv"
    deso.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = pi.import_population(muni, YEAR, areas={"Centrum": ["1488C1010"]},
                                   area_path=deso, groups=pi.AgeGroups.make(max_age=84))
    assert frame_values(result.frame, "area") == {"Centrum": 280 + 60}
    assert any("15–19 år" in n and "delades" in n for n in result.notes)


def test_deso_areas_match_the_sample(tmp_path):
    """Areas as sets of DeSO codes in SCB's five-year table, against the sample's truth.

    15–19 is split at 16 and '80- år' at 84 by the municipality's single
    years of the same sex: area(16–84) = area(20–79) + area(15–19) ·
    M(16–19)/M(15–19) + area(80-) · M(80–84)/M(80-), written out here per
    sex. It differs from the area's true 16–84 population only by how its
    own ages within those two groups differ from the municipality's (under
    1 % of the area; the sample's banded age profiles make that larger
    than real ones would).
    """
    counts = municipality()
    muni = legacy_csv(tmp_path / "kommun.csv", {"1488 Trollhättan": {YEAR: counts}})
    deso = deso_csv(tmp_path / "deso.csv", deso_rows())
    areas = scb.read_area_codes(codes_yaml(tmp_path / "omraden.yml"))
    result = pi.import_population(muni, YEAR, regions=["1488"], areas=areas, area_path=deso,
                                   groups=pi.AgeGroups.make(max_age=84))
    truth = frame_values(sample.population_margins(YEAR), "area")
    got = frame_values(result.frame, "area")
    assert list(got) == list(DESO)  # the areas in the order given
    pop = sample.population_table(YEAR)

    def m(sex, lo, hi):
        return sum(counts[(sex, a)] for a in range(lo, hi + 1))

    for area, v in got.items():
        p = pop[pop["area"] == area].set_index(["sex", "age"])["population"]
        want = 0.0
        for sex in ("Kvinna", "Man"):
            want += sum(p[(sex, a)] for a in range(20, 80))
            want += sum(p[(sex, a)] for a in range(15, 20)) * m(sex, 16, 19) / m(sex, 15, 19)
            want += sum(p[(sex, a)] for a in range(80, 101)) * m(sex, 80, 84) / m(sex, 80, 100)
        assert v == round(want), area
        assert abs(v - truth[area]) < 0.01 * truth[area], area
    # The margins are left for the weighting to reconcile: totals close, not forced.
    assert abs(result.totals["area"] - result.totals["sex:age_group"]) <= 20
    # Single-year DeSO data need no split and are exact.
    exact = deso_csv(tmp_path / "deso1.csv", deso_rows(), five_year=False)
    result = pi.import_population(muni, YEAR, areas=areas, area_path=exact,
                                   groups=pi.AgeGroups.make(max_age=84))
    assert frame_values(result.frame, "area") == truth
    assert result.totals["area"] == result.totals["sex:age_group"]


def test_deso_vintage_suffix_and_csv_codes(tmp_path):
    """Codes given without '_DeSO2025' match the suffixed ones; a CSV code list works."""
    counts = municipality()
    muni = legacy_csv(tmp_path / "kommun.csv", {"1488 Trollhättan": {YEAR: counts}})
    deso = deso_csv(tmp_path / "deso.csv", deso_rows(suffix="_DeSO2025"), five_year=False)
    listing = tmp_path / "koder.csv"
    listing.write_text("område;deso\n" + "".join(
        f"{a};{c.lower()}\n" for a, cs in DESO.items() for c in cs), encoding="cp1252")
    areas = scb.read_area_codes(listing)
    result = pi.import_population(muni, YEAR, areas=areas, area_path=deso,
                                   groups=pi.AgeGroups.make(max_age=84))
    assert frame_values(result.frame, "area") == frame_values(
        sample.population_margins(YEAR), "area")


def test_regso_codes(tmp_path):
    counts = municipality()
    muni = legacy_csv(tmp_path / "kommun.csv", {"1488 Trollhättan": {YEAR: counts}})
    regso = {a: [f"1488R{i + 1:03d}"] for i, a in enumerate(DESO)}
    rows = {}
    for (code, sex, age), v in deso_rows().items():
        area = next(a for a, cs in DESO.items() if code in cs)
        key = (regso[area][0], sex, age)
        rows[key] = rows.get(key, 0) + v
    table = deso_csv(tmp_path / "regso.csv", rows, five_year=False)
    result = pi.import_population(muni, YEAR, areas=regso, area_path=table,
                                   groups=pi.AgeGroups.make(max_age=84))
    assert frame_values(result.frame, "area") == frame_values(
        sample.population_margins(YEAR), "area")


# --- One Swedish message per problem ------------------------------------------------------


def scb_import(path) -> pd.DataFrame:
    return pi.import_population(path, YEAR, groups=pi.AgeGroups.make(max_age=84)).frame


def error(func, *args, **kwargs) -> TrygghetError:
    with pytest.raises(TrygghetError) as info:
        func(*args, **kwargs)
    return info.value


def test_year_missing_lists_the_years(tmp_path):
    path = legacy_csv(tmp_path / "f.csv", {"1488 Trollhättan": {2019: municipality(),
                                                               2020: municipality()}},
                      years={2019: 0, 2020: 0})
    err = error(pi.import_population, path, 2021)
    assert "2021" in err.message and "2019, 2020" in err.message
    assert err.file == str(path) and err.row == 3 and err.hint


def test_region_not_found_lists_the_regions(tmp_path):
    path = legacy_csv(tmp_path / "f.csv", {"1487 Vänersborg": {YEAR: municipality()},
                                           "1489 Alingsås": {YEAR: municipality()}})
    err = error(pi.import_population, path, YEAR, regions=["1488"])
    assert "'1488'" in err.message and "1487 Vänersborg, 1489 Alingsås" in err.message
    assert err.column == "region"
    err = error(pi.import_population, path, YEAR)
    assert "2 regioner" in err.message and "--region" in err.hint


def test_missing_ages_name_the_group(tmp_path):
    counts = {k: v for k, v in municipality().items() if not 70 <= k[1] <= 74}
    path = legacy_csv(tmp_path / "f.csv", {"1488 Trollhättan": {YEAR: counts}})
    err = error(pi.import_population, path, YEAR, groups=pi.AgeGroups.make(max_age=84))
    assert "65–79" in err.message and "70–74 år" in err.message
    assert err.column == "ålder" and "alla åldrar" in err.hint


def test_missing_top_age_without_max_age(tmp_path):
    counts = {k: v for k, v in municipality().items() if k[1] < 100}  # no "100+ år"
    path = legacy_csv(tmp_path / "f.csv", {"1488 Trollhättan": {YEAR: counts}})
    err = error(pi.import_population, path, YEAR)
    assert "80+" in err.message and "100+ år" in err.message and "max_age" in err.hint
    # With the survey's own top age it is fine.
    pi.import_population(path, YEAR, groups=pi.AgeGroups.make(max_age=84))


def test_group_across_a_bound_in_the_municipality_file(tmp_path):
    """Five-year groups for the municipality cannot give 16–24: say so, ask for single years."""
    rows = deso_rows()
    muni = {("1488", s, a): v for (_, s, a), v in rows.items()}
    path = deso_csv(tmp_path / "grupper.csv", muni)
    err = error(pi.import_population, path, YEAR, groups=pi.AgeGroups.make(max_age=84))
    assert "15–19 år" in err.message and "ettårsklasser" in err.hint


def test_not_an_scb_file(tmp_path):
    """The survey's own export is not a population table."""
    from pathlib import Path

    example = Path(__file__).parents[1] / "examples" / "trollhattan"
    raw = example / "data" / "raw" / "2020" / "trygghet_2020_export.csv"
    err = error(pi.import_population, raw, YEAR)
    assert "SCB" in err.message and err.file == str(raw)
    empty = tmp_path / "tom.csv"
    empty.write_text("  \n")
    assert "tom" in error(pi.import_population, empty, YEAR).message
    xls = tmp_path / "gammal.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100))
    assert ".xls" in error(pi.import_population, xls, YEAR).message


def test_bad_numbers_and_missing_values(tmp_path):
    counts = municipality()
    path = legacy_csv(tmp_path / "f.csv", {"1488 Trollhättan": {YEAR: counts}})
    text = path.read_bytes().decode("cp1252").replace(
        f'"40 år","män",{counts[("Man", 40)]}', '"40 år","män",..')
    path.write_bytes(text.encode("cp1252"))
    err = error(pi.import_population, path, YEAR)
    assert "saknas" in err.message and "'..'" in err.message and err.column == "2020"
    line = next(i for i, t in enumerate(text.splitlines(), 1) if '"40 år","män"' in t)
    assert err.row == line
    # A missing number outside the survey's ages does not matter.
    kept = text.replace('"40 år","män",..', f'"40 år","män",{counts[("Man", 40)]}').replace(
        f'"3 år","män",{counts[("Man", 3)]}', '"3 år","män",..')
    path.write_bytes(kept.encode("cp1252"))
    check_against_sample(scb_import(path), counts)
    text = text.replace('"40 år","män",..', '"40 år","män",12,5')
    path.write_bytes(text.encode("cp1252"))
    err = error(pi.import_population, path, YEAR)
    assert err.row == line  # a row of another width in the middle of the table


def test_mixed_classifications_conflict(tmp_path):
    """All of TAB5557's age variants selected: the three '100+ år' rows differ (CKM)."""
    counts = municipality()
    path = legacy_csv(tmp_path / "f.csv", {"1488 Trollhättan": {YEAR: counts}},
                      total_rows=False)
    text = path.read_bytes().decode("cp1252")
    text += f'"1488 Trollhättan","100+ år","män",{counts[("Man", 100)] + 2}\r\n'
    text += '"1488 Trollhättan","20-24 år","män",999\r\n'  # a group beside single years
    path.write_bytes(text.encode("cp1252"))
    err = error(pi.import_population, path, YEAR)
    assert "100+ år" in err.message and "två gånger" in err.message
    # Not used with a 16–84 survey: the single years are taken, the groups ignored.
    result = pi.import_population(path, YEAR, groups=pi.AgeGroups.make(max_age=84))
    check_against_sample(result.frame, counts)


def test_area_code_problems(tmp_path):
    counts = municipality()
    muni = legacy_csv(tmp_path / "kommun.csv", {"1488 Trollhättan": {YEAR: counts}})
    deso = deso_csv(tmp_path / "deso.csv", deso_rows(), five_year=False)
    groups = pi.AgeGroups.make(max_age=84)
    # A code the table lacks.
    areas = {**DESO, "Centrum": [*DESO["Centrum"], "1488C9990"]}
    err = error(pi.import_population, muni, YEAR, areas=areas, area_path=deso, groups=groups)
    assert "1488C9990" in err.message and "Centrum" in err.message
    # A DeSO of the municipality that belongs to no area: the areas would fall short.
    areas = {a: cs for a, cs in DESO.items() if a != "Upphärad"}
    err = error(pi.import_population, muni, YEAR, areas=areas, area_path=deso, groups=groups)
    assert all(c in err.message for c in DESO["Upphärad"]) and "område" in err.hint
    # A code of another municipality.
    other = deso_csv(tmp_path / "deso2.csv", deso_rows(extra={
        ("1487C1010", "Man", 30): 5, ("1487C1010", "Kvinna", 30): 5}), five_year=False)
    areas = {**DESO, "Centrum": [*DESO["Centrum"], "1487C1010"]}
    err = error(pi.import_population, muni, YEAR, regions=["1488"], areas=areas,
                area_path=other, groups=groups)
    assert "1487" in err.message


def test_area_code_files(tmp_path):
    bad = tmp_path / "a.yml"
    bad.write_text("Centrum: [1488C1010, 1488X1]\n", encoding="utf-8")
    err = error(scb.read_area_codes, bad)
    assert "1488X1" in err.message and err.column == "Centrum"
    twice = tmp_path / "b.csv"
    twice.write_text("område,kod\nCentrum,1488C1010\nSylte,1488C1010\n", encoding="utf-8")
    err = error(scb.read_area_codes, twice)
    assert err.row == 3 and "Centrum" in err.message
    err = error(pi.check_area_names, {"Centrum": ["1488C1010"], "Månen": ["1488C1020"]},
                ["Centrum", "Sylte"], "a.yml")
    assert "Månen" in err.message and "Centrum, Sylte" in err.hint
    err = error(pi.check_area_names, {"centrum": ["1488C1010"]}, ["Centrum", "Sylte"], "a.yml")
    assert "Sylte" in err.message
    assert pi.check_area_names({"centrum": ["x"], "SYLTE": ["y"]}, ["Centrum", "Sylte"],
                                "a.yml") == {"Centrum": ["x"], "Sylte": ["y"]}


def test_max_age_setting_is_checked():
    assert "max_age" in error(pi.AgeGroups.make, max_age=70).message
    assert "heltal" in error(pi.AgeGroups.make, max_age="84").message
    assert pi.AgeGroups.make(max_age=84).describe() == "16–84 år"


# --- The command ------------------------------------------------------------------------


@pytest.fixture
def project(tmp_path):
    import shutil
    from pathlib import Path

    root = Path(__file__).parents[1] / "examples" / "trollhattan"
    shutil.copytree(root / "config", tmp_path / "config")
    (tmp_path / "data" / "reference").mkdir(parents=True)
    return tmp_path


def test_cli_writes_the_population_file(project, tmp_path, capsys):
    counts = with_noise(municipality(), seed=11)
    path = scb_xlsx(tmp_path / "TAB5557.xlsx", "Trollhättan", {2020: counts})
    assert main(["--root", str(project), "population", "import", "--year", "2020", str(path),
                 "--max-age", "84"]) == 0
    out = capsys.readouterr().out
    written = project / "data" / "reference" / "population_2020.csv"
    assert "population_2020.csv" in out and "kön × åldersgrupp" in out
    frame = pd.read_csv(written, dtype={"population": "int64"})
    check_against_sample(frame, counts)
    check_population(frame)
    assert written.read_bytes().startswith(b"dimension,level,population\n")


def test_cli_with_areas_and_settings(project, tmp_path, capsys):
    settings = project / "config" / "trygghet.yml"
    settings.write_text(settings.read_text(encoding="utf-8") +
                        "\npopulation_import:\n  max_age: 84\n", encoding="utf-8")
    counts = municipality()
    muni = legacy_csv(tmp_path / "kommun.csv", {"1488 Trollhättan": {YEAR: counts}})
    deso = deso_csv(tmp_path / "deso.csv", deso_rows(), five_year=False)
    codes = codes_yaml(tmp_path / "omraden.yml", {a.lower(): c for a, c in DESO.items()})
    out_path = tmp_path / "ut" / "befolkning.csv"
    assert main(["--root", str(project), "population", "import", "--year", "2020", str(muni),
                 "--region", "1488", "--areas-from-deso", str(deso), "--area-codes",
                 str(codes), "--output", str(out_path)]) == 0
    frame = pd.read_csv(out_path)
    assert frame_values(frame, "area") == frame_values(sample.population_margins(YEAR), "area")
    check_population(frame)
    assert "områden: 12" in capsys.readouterr().out
    # A problem is one message and status 2.
    assert main(["--root", str(project), "population", "import", "--year", "2021",
                 str(muni)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fel: ") and "2021" in err and "Traceback" not in err
    assert main(["--root", str(project), "population", "import", "--year", "2020", str(muni),
                 "--areas-from-deso", str(deso)]) == 2
    assert "--area-codes" in capsys.readouterr().err
