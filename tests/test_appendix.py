"""The Excel appendix: its headings state the level, symbols stay symbols, same bytes twice."""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd

from trygghet.appendix import sheet_name, write_appendix

NB = "\u00a0"


def published() -> pd.DataFrame:
    rows = [("otrygg_kvall", "share", "total", "Totalt", "weighted", 900, 0.3, 0.015, ""),
            ("otrygg_kvall", "share", "sex", "Kvinna", "weighted", 450, 0.4, 0.02, ""),
            ("otrygg_kvall", "share", "area", "Liten", "weighted", pd.NA, np.nan, np.nan, ".."),
            ("problemindex", "mean", "total", "Totalt", "unweighted", 800, 1.78, 0.05, "")]
    frame = pd.DataFrame(rows, columns=["indicator", "kind", "group_var", "group",
                                        "estimate_type", "n", "estimate", "se", "symbol"])
    frame["n"] = frame["n"].astype("Int64")
    frame["ci_low"], frame["ci_high"] = frame["estimate"] - 0.03, frame["estimate"] + 0.03
    frame["ci_method"] = np.where(frame["kind"] == "share", "wilson", "t")
    frame["band"], frame["note"] = "", ""
    return frame


def changes() -> pd.DataFrame:
    return pd.DataFrame([{"indicator": "otrygg_kvall", "kind": "share", "group_var": "total",
                          "group": "Totalt", "year_from": 2019, "year_to": 2020,
                          "estimate_from": 0.34, "estimate_to": 0.3, "diff": -0.04,
                          "ci_low": -0.07, "ci_high": -0.01, "significant": True,
                          "series_break": False, "note": "", "symbol": ""}])


def test_headings_state_the_level_and_words_come_from_the_vocabulary(tmp_path):
    path = write_appendix(published(), tmp_path / "t.xlsx", title="Trygghetsmätning 2020",
                          changes=changes(), level=0.90, notes=["Syntetiska exempeldata."])
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Om tabellerna", "Trygghet", "Index", "Förändringar"]
    head = [c.value for c in wb["Trygghet"][3]]
    assert head[:7] == ["Indikator", "Indikatornamn", "Redovisningsgrupp", "Grupp", "Skattning",
                        "Antal svarande", "Andel (%)"]
    assert head[8:10] == [f"Nedre gräns (90{NB}% KI)", f"Övre gräns (90{NB}% KI)"]
    first = [c.value for c in wb["Trygghet"][4]]
    assert first[:5] == ["Känner sig otrygg ute ensam sent en kväll", "otrygg_kvall",
                         "Totalt", "Totalt", "Vägd"]
    assert first[10] == "Wilson (effektivt n)"
    small = [c.value for c in wb["Trygghet"][6]]
    assert small[5:8] == ["..", "..", ".."]  # a suppressed cell holds the symbol, never 0
    index = [c.value for c in wb["Index"][4]]
    assert index[4] == "Ovägd (medelvärde för de svarande)" and index[10] == "t-fördelning"
    change = [c.value for c in wb["Förändringar"][4]]
    assert change[11:13] == ["Ja", "Nej"]
    assert [c.value for c in wb["Förändringar"][3]][12] == "Seriebrott"


def test_same_tables_same_bytes(tmp_path):
    one = write_appendix(published(), tmp_path / "a.xlsx", title="T", changes=changes())
    two = write_appendix(published(), tmp_path / "b.xlsx", title="T", changes=changes())
    assert one.read_bytes() == two.read_bytes()


def test_sheet_names_are_valid_in_excel():
    assert sheet_name("Oro/avstående: [a]*?") == "Oro-avstående- -a---"
    assert len(sheet_name("x" * 40)) == 31
