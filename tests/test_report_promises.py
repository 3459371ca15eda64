"""The promise follow-up report's text and tables, from a hand-made follow-up."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pandas as pd
import pytest

from trygghet import report_promises

NB = "\u00a0"


def follow_up() -> pd.DataFrame:
    """Three inriktningar; the second has two indicators."""
    base = {"year": 2020, "scope": "Löpande", "responsible": "Gruppchef",
            "follow_up": "LPO Östra Fyrbodal", "evaluation": "Kommunpolis",
            "source": "Polisens uppföljning", "extracted": "2021-01-18"}
    rows = [
        dict(base, inriktning=1, text="Fler utredningar i Trollhättan", status="Uppfyllt",
             reason="Ökade.", label="utredningar", indicator_reason="Ökade."),
        dict(base, inriktning=2, text="Mindre våld", status="Underlag saknas",
             reason="Saknas. Seriebrott.", label="våld", indicator_reason="Saknas."),
        dict(base, inriktning=2, text="Mindre våld", status="Underlag saknas",
             reason="Saknas. Seriebrott.", label="otrygga", indicator_reason="Seriebrott.",
             source="Trygghetsmätningen", extracted=float("nan")),
        dict(base, inriktning=3, text="Trygghetsronder", status="Ej uppfyllt",
             reason="En rond.", label="ronder", indicator_reason="En rond."),
    ]
    return pd.DataFrame(rows)


PROMISE = SimpleNamespace(year=2020, municipality="Trollhättan",
                          police_area="Lokalpolisområde Östra Fyrbodal",
                          steering_group=("kommunstyrelsens presidium", "stadsdirektören"),
                          follow_up_by=dt.date(2021, 3, 31))


def test_summary_counts_the_statuses_in_the_reports_language():
    sv = report_promises.follow_up_summary(follow_up(), PROMISE)
    assert sv.startswith(f"Medborgarlöftet 2020 hade 3 inriktningar. Vid uppföljningen 31{NB}mars "
                         "2021 bedöms de som: 1 uppfyllt, 1 ej uppfyllt och 1 underlag saknas.")
    assert "*Underlag saknas* betyder" in sv
    en = report_promises.follow_up_summary(follow_up(), PROMISE, "en")
    assert "judged: 1 fulfilled, 1 not fulfilled and 1 no data." in en
    assert "*No data* means" in en


@pytest.mark.parametrize("language, heads", [
    ("sv", ["Nr", "Inriktning", "Status", "Motivering"]),
    ("en", ["No.", "Commitment", "Status", "Reason"]),
])
def test_status_table_one_row_per_inriktning(language, heads):
    table = report_promises.status_table(follow_up(), language)
    assert list(table.columns) == heads
    assert list(table.iloc[:, 0]) == ["1", "2", "3"]
    assert table.iloc[0, 1] == "Fler utredningar i Trollhättan"  # the name keeps its capital


def test_details_and_sources():
    blocks = report_promises.inriktning_details(follow_up(), "en")
    assert blocks[0].startswith("### 1. Fler utredningar i Trollhättan\n\n- Scope: Löpande\n")
    assert blocks[0].endswith("**Status: ✓ Fulfilled.**")
    assert blocks[1].endswith("- Saknas.\n- Seriebrott.")  # two indicators, two sentences
    sources = report_promises.sources_text(follow_up())
    assert sources.startswith("Statusen bedöms per indikator med regler")
    assert "- utredningar: Polisens uppföljning (uttag 2021-01-18)" in sources
    assert "- otrygga: Trygghetsmätningen\n" in sources + "\n"
    assert "(extracted 2021-01-18)" in report_promises.sources_text(follow_up(), "en")


def test_cover_and_intro():
    intro = report_promises.promise_intro(PROMISE, "sv")
    assert "Trollhättan och Polisen (Lokalpolisområde Östra Fyrbodal) lovade" in intro
    assert f"– kommunstyrelsens presidium och stadsdirektören – senast 31{NB}mars 2021." in intro
    cover = report_promises.cover(PROMISE, "en", municipality="Trollhättans stad",
                                  synthetic=True)
    assert cover["title"] == "Citizen promise 2020 – follow-up"
    assert cover["subtitle"] == "Trollhättans stad and the Police, Lokalpolisområde Östra Fyrbodal"
    assert cover["description"] == "Follow-up to the steering group by 31\u00a0March 2021."
