"""Population files as analysts save them, and margins reconciled as SCB's noise requires.

Files are written the way Swedish Excel and SCB's tables write them (semicolons,
a byte-order mark, Windows-1252, "16-24" typed with a hyphen, spaces between
thousands, trailing empty columns), not only as the sample generator does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trygghet.errors import TrygghetError
from trygghet.population import (
    read_population_file,
    reconcile,
    reconcile_settings,
    validate,
)

ROWS = [("sex:age_group", "Kvinna:16–24", 1210), ("sex:age_group", "Man:16–24", 1302),
        ("sex:age_group", "Kvinna:25–84", 5121), ("sex:age_group", "Man:25–84", 4980),
        ("area", "Centrum", 5101), ("area", "Södra Åsen", 7507)]  # 12 613 against 12 608


def write(path, text: str, encoding: str = "utf-8") -> object:
    path.write_bytes(text.encode(encoding))
    return path


def test_the_plain_file(tmp_path):
    text = "dimension,level,population\n" + "".join(f"{d},{lev},{v}\n" for d, lev, v in ROWS)
    pop = read_population_file(write(tmp_path / "p.csv", text))
    assert list(pop.columns) == ["dimension", "level", "population"]
    assert pop["population"].tolist() == [float(v) for *_, v in ROWS]
    assert pop.attrs["path"].endswith("p.csv")


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252"])
def test_a_file_saved_from_swedish_excel(tmp_path, encoding):
    """Semicolons, CRLF, a BOM or Windows-1252, hyphens for en dashes, thousands spaced."""
    lines = ["dimension;level;population;;"]
    for d, lev, v in ROWS:
        number = f"{v:,}".replace(",", "\u00a0" if encoding == "utf-8-sig" else " ")
        lines.append(f"{d};{lev.replace('–', '-')};{number};;")
    lines += [";;;;", ""]
    pop = read_population_file(write(tmp_path / "p.csv", "\r\n".join(lines), encoding))
    assert pop["level"].tolist() == [lev for _, lev, _ in ROWS]  # "16-24" → "16–24", Å kept
    assert pop["population"].tolist() == [float(v) for *_, v in ROWS]
    assert len(pop) == len(ROWS)


def test_tab_separated_with_swedish_headers(tmp_path):
    text = "Dimension\tNivå\tBefolkning\n" + "".join(f"{d}\t{lev}\t{v}\n" for d, lev, v in ROWS)
    pop = read_population_file(write(tmp_path / "p.txt", text))
    assert pop["population"].sum() == sum(v for *_, v in ROWS)


@pytest.mark.parametrize("text, message", [
    ("", "befolkningsfilen är tom"),
    ("\r\n;;\r\n", "befolkningsfilen är tom"),
    ("dimension;level;population\r\n", "har rubriker men inga rader"),
    ("område;antal\nCentrum;5104\n", "kolumnerna dimension, level, population (filen har: "
                                     "område, population)"),
    ("dimension,level,population\narea,Centrum,många\n", "ogiltigt befolkningstal 'många'"),
    ("dimension,level,population\narea,Centrum,-4\n", "ogiltigt befolkningstal '-4'"),
])
def test_bad_files_get_one_swedish_message(tmp_path, text, message):
    path = write(tmp_path / "population_2025.csv", text)
    with pytest.raises(TrygghetError) as err:
        read_population_file(path)
    assert message in err.value.message and str(err.value.file).endswith("population_2025.csv")


def test_a_binary_file_is_no_population_file(tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes(b"PK\x03\x04\x00\x00binary")
    with pytest.raises(TrygghetError, match="inte en textfil"):
        read_population_file(path)


def frame(rows) -> pd.DataFrame:
    return validate(pd.DataFrame(rows, columns=["dimension", "level", "population"]))


def test_equal_totals_are_left_exactly_as_they_are():
    pop = frame(ROWS[:4] + [("area", "Centrum", 5104), ("area", "Söder", 7509)])  # 12 613
    out, info = reconcile(pop, ["sex:age_group", "area"])
    assert out is pop and not info["reconciled"] and info["text"] == ""
    assert info["factors"] == {"sex:age_group": 1.0, "area": 1.0}


def test_noise_of_a_few_persons_is_scaled_to_the_most_detailed_margin():
    pop = frame(ROWS + [("sex", "Kvinna", 6330), ("sex", "Man", 6290)])
    out, info = reconcile(pop, ["sex:age_group", "area"])
    t_sa, t_area = 12613.0, 12608.0
    assert info["totals"] == {"sex:age_group": t_sa, "area": t_area}
    assert info["control"] == "sex:age_group" and info["control_total"] == t_sa
    assert info["factors"]["area"] == t_sa / t_area
    area = out[out["dimension"] == "area"]["population"].to_numpy()
    assert area == pytest.approx(np.array([5101, 7507]) * t_sa / t_area, rel=1e-15)
    assert area.sum() == pytest.approx(t_sa, rel=1e-14)
    # A dimension the weighting does not use is neither checked nor scaled.
    assert out[out["dimension"] == "sex"]["population"].tolist() == [6330.0, 6290.0]
    assert info["tolerance"] == pytest.approx(63.065)  # 0,5 % of 12 613 > 50 persons
    assert "(kön × ålder 12\u00a0613, område 12\u00a0608)" in info["text"]
    assert info["text"].endswith("12\u00a0613 personer.")


def test_tolerance_and_control_from_the_settings():
    pop = frame(ROWS)
    pop.loc[pop["dimension"] == "area", "population"] += [22, 23]  # 12 653: 40 persons over
    _, info = reconcile(pop, ["sex:age_group", "area"], relative=0.0, persons=50)
    assert info["reconciled"] and info["tolerance"] == 50
    with pytest.raises(TrygghetError, match="mer än toleransen \\(30 personer\\)"):
        reconcile(pop, ["sex:age_group", "area"], relative=0.0, persons=30)
    _, info = reconcile(pop, ["sex:age_group", "area"], control="area")
    assert info["control_total"] == 12653 and info["factors"]["area"] == 1.0
    with pytest.raises(TrygghetError, match="'kommun' är ingen av viktningsmarginalerna"):
        reconcile(pop, ["sex:age_group", "area"], control="kommun")
    assert reconcile_settings({"reconcile": {"persons": 10}}) == {
        "relative": 0.005, "persons": 10, "control": None}
    for bad in ({"relative": -1}, {"persons": "många"}, {"control": True}, {"tol": 1}):
        with pytest.raises(TrygghetError):
            reconcile_settings({"reconcile": bad})


def test_a_missing_margin_is_named():
    with pytest.raises(TrygghetError, match="saknar dimensionen 'sex:age_group'"):
        reconcile(frame(ROWS[4:]), ["sex:age_group", "area"])
