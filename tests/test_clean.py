import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from helpers import EXPORT_HEADERS, mini_mapping, row, write_export
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trygghet.clean import clean
from trygghet.errors import TrygghetError
from trygghet.load import read_export
from trygghet.mapping import load_mapping
from trygghet.schema import canonical_columns

KEY = b"k" * 32


def run(tmp_path, rows, mapping=None, **export_kwargs):
    mpath = tmp_path / "m.yml"
    mpath.write_text(yaml.safe_dump(mapping or mini_mapping(), allow_unicode=True),
                     encoding="utf-8")
    m = load_mapping(mpath)
    raw = read_export(write_export(tmp_path / "e.csv", rows, **export_kwargs), m)
    return clean(raw, m, key=KEY)


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    """The mini mapping, loaded once (for property tests)."""
    path = tmp_path_factory.mktemp("mapping") / "m.yml"
    path.write_text(yaml.safe_dump(mini_mapping(), allow_unicode=True), encoding="utf-8")
    return load_mapping(path)


def reasons(result) -> dict[int, str]:
    return dict(zip(result.quarantine["source_row"], result.quarantine["reason"], strict=True))


def one(tmp_path, **values):
    """Clean a single row; return the result."""
    return run(tmp_path, [row(respondent_id="r1", **values)])


# --- labels and scales -------------------------------------------------------

def test_labels_are_normalised_and_variants_mapped(tmp_path):
    res = run(tmp_path, [row(respondent_id="1", safe_evening="  ganska   OTRYGG "),
                         row(respondent_id="2", safe_evening="Mkt trygg")])
    assert list(res.responses["safe_evening"]) == ["Ganska otrygg", "Mycket trygg"]
    assert res.responses["safe_evening"].dtype == pd.CategoricalDtype(
        res.responses["safe_evening"].cat.categories, ordered=True)


def test_vet_ej_and_blank_are_missing_not_errors(tmp_path):
    res = run(tmp_path, [row(respondent_id="1", safe_evening="Vet ej"),
                         row(respondent_id="2", safe_evening="")])
    assert len(res.quarantine) == 0
    assert res.responses["safe_evening"].isna().all()


def test_unknown_label_is_quarantined_with_column_and_value(tmp_path):
    res = one(tmp_path, worry="Ibland")
    q = res.quarantine.iloc[0]
    assert (q["reason"], q["column"], q["value"], q["level"]) == (
        "okant_svarsalternativ", "Oro för brott?", "Ibland", "svar")
    assert len(res.responses) == 1 and res.responses["worry"].isna().all()
    # item_problems: respondent quarantines the whole row instead
    res = run(tmp_path, [row(respondent_id="r1", worry="Ibland")],
              mini_mapping(item_problems="respondent"))
    assert res.quarantine["level"].tolist() == ["rad"] and len(res.responses) == 0


def test_sex_other_is_missing(tmp_path):
    assert one(tmp_path, sex="Vill ej uppge").responses["sex"].isna().all()


# --- age ----------------------------------------------------------------------

@pytest.mark.parametrize(("age", "group"), [("16", "16–24"), ("24", "16–24"), ("25", "25–44"),
                                            ("45 år", "45–64"), ("64,0", "45–64"),
                                            ("80", "80+"), ("103", "80+")])
def test_age_group_from_age(tmp_path, age, group):
    assert one(tmp_path, age=age).responses["age_group"].iloc[0] == group


@pytest.mark.parametrize("age", ["7", "15", "111", "134", "fyrtio", "-3"])
def test_impossible_age_is_quarantined(tmp_path, age):
    res = one(tmp_path, age=age)
    assert reasons(res) == {2: "ogiltig_alder"}


def test_age_group_from_birth_year(tmp_path):
    m = mini_mapping()
    m["columns"]["birth_year"] = m["columns"].pop("age")
    res = run(tmp_path, [row(respondent_id="1", age="1996"), row(respondent_id="2", age="1890"),
                         row(respondent_id="3", age="2015")], mapping=m)
    assert list(res.responses["age_group"]) == ["16–24"]  # 2020 - 1996 = 24
    assert reasons(res) == {3: "ogiltig_alder", 4: "ogiltig_alder"}


# --- area ---------------------------------------------------------------------

@pytest.mark.parametrize(("given", "area"), [("Norr", "Norr"), ("norra ", "Norr"),
                                             ("46130", "Norr"), ("461 40", "Söder"),
                                             ("Annat område", "Annat område")])
def test_area_by_name_alias_postcode(tmp_path, given, area):
    assert one(tmp_path, area=given).responses["area"].iloc[0] == area


def test_unknown_area_is_quarantined(tmp_path):
    assert reasons(one(tmp_path, area="Vänersborg")) == {2: "okant_omrade"}


# --- multi-select -----------------------------------------------------------

def test_multi_one_column(tmp_path):
    res = one(tmp_path, priorities="Trafik; Mängdbrott", relation="bor;arbetar")
    r = res.responses.iloc[0]
    assert r["priorities_trafik"] and r["priorities_mangdbrott"]
    assert not r["priorities_annat"]
    assert r["relation_bor"] and r["relation_arbetar"] and not r["relation_vistas"]


def test_multi_one_column_per_option(tmp_path):
    res = run(tmp_path, [row(respondent_id="1", **{"time_Kväll": "1", "time_Natt": "0"}),
                         row(respondent_id="2", **{"time_Natt": "X"}),
                         row(respondent_id="3")])
    t = res.responses[["unsafe_times_kvall", "unsafe_times_natt", "unsafe_times_dagtid"]]
    assert t.iloc[0].tolist() == [True, False, False]
    assert t.iloc[1].tolist() == [False, True, False]
    assert t.iloc[2].isna().all()  # nothing ticked: the question was not answered
    # Options the mapping does not list were not offered: missing, not False.
    assert res.responses["unsafe_times_tidig_morgon"].isna().all()


def test_unknown_option_token(tmp_path):
    assert reasons(one(tmp_path, priorities="Trafik;Skolan")) == {2: "okant_svarsalternativ"}


def test_too_many_priorities(tmp_path):
    res = one(tmp_path, priorities="Trafik;Annat;Mängdbrott;Våld utomhus")
    assert reasons(res) == {2: "for_manga_val"}


# --- other rules ---------------------------------------------------------------

@pytest.mark.parametrize("text", ["2020-10-01 12:00", "2020-10-01T12:00:00", "01/10/2020 12:00",
                                  "1.10.2020 12:00", "44105.5"])
def test_date_formats(tmp_path, text):
    got = one(tmp_path, submitted=text).responses["submitted"].iloc[0]
    assert got == pd.Timestamp("2020-10-01 12:00")


def test_utc_offsets_mixed_with_local_times(tmp_path):
    # pandas refuses a column mixing offsets (summer/winter) or offsets and local times.
    res = run(tmp_path, [row(respondent_id="1", submitted="2020-10-01T17:00:00+02:00"),
                         row(respondent_id="2", submitted="2020-03-01T17:00:00+01:00"),
                         row(respondent_id="3", submitted="2020-10-01T16:00:00Z"),
                         row(respondent_id="4", submitted="2020-10-01T14Z"),
                         row(respondent_id="5", submitted="2020-10-01 12:00")])
    assert res.responses["submitted"].tolist() == [pd.Timestamp(t) for t in (
        "2020-10-01 17:00", "2020-03-01 17:00", "2020-10-01 18:00", "2020-10-01 16:00",
        "2020-10-01 12:00")]  # Swedish local time, naive


def test_unreadable_date(tmp_path):
    assert reasons(one(tmp_path, submitted="igår kväll")) == {2: "ogiltigt_datum"}


def test_blank_row_and_row_without_answers(tmp_path):
    res = run(tmp_path, [[""] * len(EXPORT_HEADERS),
                         row(respondent_id="x", safe_evening="", worry="", priorities="")])
    assert reasons(res) == {2: "tom_rad", 3: "inga_svar"}


def test_required_background(tmp_path):
    m = mini_mapping(required=["sex", "area"])
    res = run(tmp_path, [row(respondent_id="1", sex=""), row(respondent_id="2")], mapping=m)
    assert reasons(res) == {2: "saknar_bakgrund"}
    assert len(res.responses) == 1


def test_first_reason_wins_and_others_are_counted(tmp_path):
    res = one(tmp_path, age="7", area="Mars", worry="Ibland")
    q = res.quarantine.iloc[0]
    assert q["reason"] == "ogiltig_alder" and "+2 fler" in q["description"]


def test_missing_mapped_column_names_file_and_column(tmp_path):
    headers = [h if h != "Oro för brott?" else "Oro?" for h in EXPORT_HEADERS]
    with pytest.raises(TrygghetError) as err:
        run(tmp_path, [row()], headers=headers)
    assert err.value.column == "Oro för brott?" and err.value.file.endswith("e.csv")


def test_lengthened_header_is_suggested(tmp_path):
    headers = [h if h != "Kön" else "Kön (man/kvinna)" for h in EXPORT_HEADERS]
    with pytest.raises(TrygghetError) as err:
        run(tmp_path, [row()], headers=headers)
    assert err.value.column == "Kön" and "närmast finns 'Kön (man/kvinna)'" in err.value.hint


def test_lost_letters_in_headers_say_to_export_again(tmp_path):
    headers = [h.replace("ö", "\ufffd") for h in EXPORT_HEADERS]
    with pytest.raises(TrygghetError) as err:
        run(tmp_path, [row()], headers=headers)
    assert "ö" in err.value.column and "fel teckenkodning" in err.value.hint


def test_wrong_file_is_one_message_not_the_first_missing_column(tmp_path):
    with pytest.raises(TrygghetError, match="ingen av mappningens rubriker") as err:
        run(tmp_path, [["Kvinna", "12"]], headers=["level", "population"])
    assert err.value.row == 1 and "'level', 'population'" in err.value.hint


def test_duplicated_mapped_header(tmp_path):
    headers = [h if h != "Extra kolumn" else "Kön" for h in EXPORT_HEADERS]
    with pytest.raises(TrygghetError, match="flera kolumner"):
        run(tmp_path, [row()], headers=headers)


def test_unmapped_columns_are_reported(tmp_path):
    headers = [h if h != "Extra kolumn" else "Okänd" for h in EXPORT_HEADERS]
    res = run(tmp_path, [row(respondent_id="1")], headers=headers)
    assert res.log["unmapped_columns"] == ["Okänd"]


# --- duplicates -----------------------------------------------------------------

def test_same_id_keeps_earliest(tmp_path):
    res = run(tmp_path, [row(respondent_id="a", submitted="2020-10-02 09:00", worry="Aldrig"),
                         row(respondent_id="a", submitted="2020-10-01 09:00",
                             worry="Mycket ofta")])
    assert res.responses["worry"].tolist() == ["Mycket ofta"]
    d = res.duplicates.iloc[0]
    assert (d["source_row"], d["duplicate_of_row"], d["rule"]) == (2, 3, "samma_id")


def test_identical_answers_within_window(tmp_path):
    res = run(tmp_path, [row(submitted="2020-10-01 12:00"), row(submitted="2020-10-01 12:09"),
                         row(submitted="2020-10-01 12:30"), row(submitted="2020-10-01 12:35",
                                                               worry="Mycket ofta")])
    assert res.duplicates["source_row"].tolist() == [3]
    assert res.duplicates["duplicate_of_row"].tolist() == [2]
    assert len(res.responses) == 3


def test_dates_without_time_are_not_merged(tmp_path):
    res = run(tmp_path, [row(submitted="2020-10-01"), row(submitted="2020-10-01")])
    assert len(res.responses) == 2 and len(res.duplicates) == 0


def test_invalid_required_field_is_one_problem(tmp_path):
    m = mini_mapping(required=["area"])
    res = run(tmp_path, [row(area="Mars"), [""] * len(EXPORT_HEADERS)], mapping=m)
    assert res.quarantine["description"].tolist() == ["okänt område", "tom rad"]


def test_broken_first_attempt_does_not_hide_correction(tmp_path):
    res = run(tmp_path, [row(respondent_id="a", age="7"), row(respondent_id="a")])
    assert len(res.responses) == 1 and len(res.duplicates) == 0 and len(res.quarantine) == 1


# --- identity, typing, not asked ----------------------------------------------

def test_ids_are_pseudonymised_with_the_key(tmp_path):
    res = run(tmp_path, [row(respondent_id="19450101-1234")])
    pid = res.responses["respondent_id"].iloc[0]
    assert "1945" not in pid and len(pid) == 16
    m = load_mapping(tmp_path / "m.yml")
    other = clean(read_export(tmp_path / "e.csv", m), m, key=b"z" * 32)
    assert other.responses["respondent_id"].iloc[0] != pid


def test_pseudonyms_are_the_published_hmac():
    """Against the standard library's one-shot HMAC (RFC 2104), for any key and id."""
    import hashlib
    import hmac

    from trygghet.privacy import pseudonymise

    ids = ["19450101-1234", "a", "", "Åsa", 17]
    for key, context in [(b"k" * 32, ""), (b"\x00other", "2020")]:
        expected = [hmac.new(key, f"{context}|{i}".encode(), hashlib.sha256).hexdigest()[:16]
                    for i in ids]
        assert pseudonymise(ids, key, context=context) == expected


@given(st.lists(st.sampled_from(["Mycket trygg", "mkt trygg", " MYCKET TRYGG ", "Vet ej",
                                 "", "Ganska otrygg", "okänt", "Trygg?"]), max_size=30))
def test_categorical_from_codes_equals_labels_looked_up_one_by_one(mini, values):
    """The fast categorical against a plain per-value dictionary lookup."""
    from trygghet.clean import _categorical, answer_table
    from trygghet.mapping import normalise
    m = mini
    table = answer_table("safety", m)
    dtype = m.scales["safety"].dtype
    got, unknown = _categorical(pd.Series(values, dtype=object), table, dtype)
    assert list(unknown) == [normalise(v) not in table for v in values]
    expected = pd.Categorical([table.get(normalise(v)) for v in values], dtype=dtype)
    assert got.dtype == dtype and list(got.codes) == list(expected.codes)


def test_canonical_columns_and_types(tmp_path):
    res = one(tmp_path)
    expected = canonical_columns(["Norr", "Söder"])
    assert list(res.responses.columns) == [c.name for c in expected]
    for c in expected:
        assert str(res.responses[c.name].dtype) == str(c.dtype), c.name


def test_not_asked_is_distinguishable_from_missing(tmp_path):
    res = one(tmp_path, worry="")
    assert "safe_day" in res.responses.attrs["not_asked"]
    assert "worry" not in res.responses.attrs["not_asked"]
    assert res.responses["worry"].isna().all() and res.responses["safe_day"].isna().all()


def test_parquet_round_trip_keeps_types_and_attrs(tmp_path):
    res = one(tmp_path)
    res.responses.to_parquet(tmp_path / "r.parquet")
    back = pd.read_parquet(tmp_path / "r.parquet")
    pd.testing.assert_frame_equal(back, res.responses)
    assert back.attrs["not_asked"] == res.responses.attrs["not_asked"]


def test_deterministic(tmp_path):
    rows = [row(respondent_id=str(i), age=str(20 + i)) for i in range(20)]
    a, b = run(tmp_path, rows), run(tmp_path, rows)
    pd.testing.assert_frame_equal(a.responses, b.responses)
    buf_a, buf_b = io.BytesIO(), io.BytesIO()
    a.responses.to_parquet(buf_a)
    b.responses.to_parquet(buf_b)
    assert buf_a.getvalue() == buf_b.getvalue()
    assert a.log == b.log


def test_export_where_every_record_is_broken(tmp_path):
    rows = [[*row(respondent_id=str(i)), "a", "b"] for i in range(3)]
    res = run(tmp_path, rows)
    assert len(res.responses) == 0 and reasons(res) == dict.fromkeys((2, 3, 4), "fel_antal_falt")
    assert res.log["rows_in"] == 3


# --- nothing is lost -------------------------------------------------------------

CELL = st.sampled_from(["", " ", "Vet ej", "Kvinna", "man", "Norr", "461 40", "Mars", "45", "7",
                        "45 år", "Ganska trygg", "MKT TRYGG", "Aldrig", "Trafik", "Trafik;Annat",
                        "1", "0", "X", "2020-10-01 12:00", "igår", "=1+1", "a", "b", "bor",
                        "Trafik;Annat;Mängdbrott;Narkotika/dopning", "ja, ofta", "\n"])


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(CELL, min_size=len(EXPORT_HEADERS), max_size=len(EXPORT_HEADERS)),
                min_size=1, max_size=25))  # zero records is refused by the loader
def test_random_messy_input_never_loses_a_row(tmp_path, rows):
    res = run(tmp_path, rows)
    log = res.log
    assert log["rows_in"] == len(rows)
    assert log["rows_in"] == log["rows_clean"] + log["rows_quarantined"] + \
        log["duplicates_removed"]
    # Every source row is accounted for exactly once: set aside whole (level "rad"), as a
    # duplicate, or kept. A kept row may also be listed for an answer it lost ("svar").
    q = res.quarantine
    whole = q.loc[q["level"] == "rad", "source_row"]
    seen = np.concatenate([whole, res.duplicates["source_row"]])
    assert len(set(seen)) == len(seen)
    assert len(seen) + len(res.responses) == len(rows)


# --- Hardening (issue 11) --------------------------------------------------------------

@pytest.mark.parametrize("text", ["9999-12-31 23:59:59", "9999-12-31", "31/12/9999 23:59",
                                  "9999-12-31T23:59:59+02:00", "0001-01-01 00:00",
                                  "1600-01-01", "2263-01-01"])
def test_a_date_outside_pandas_range_quarantines_its_row(tmp_path, text):
    # pandas' nanosecond timestamps end in 2262; "9999-12-31" is many tools' "no date".
    res = run(tmp_path, [row(respondent_id="1", submitted=text),
                         row(respondent_id="2", submitted="2020-10-01 12:00")])
    assert reasons(res) == {2: "ogiltigt_datum"}
    assert res.quarantine["value"].tolist() == [text]
    assert res.responses["submitted"].tolist() == [pd.Timestamp("2020-10-01 12:00")]


def test_out_of_range_dates_among_mixed_utc_offsets(tmp_path):
    # The two-part parse (offsets mixed with local times) has its own casts.
    res = run(tmp_path, [row(respondent_id="1", submitted="2020-10-01T17:00:00+02:00"),
                         row(respondent_id="2", submitted="9999-12-31T23:59:59+01:00"),
                         row(respondent_id="3", submitted="9999-12-31 23:59:59"),
                         row(respondent_id="4", submitted="2020-10-01 12:00")])
    assert reasons(res) == {3: "ogiltigt_datum", 4: "ogiltigt_datum"}
    assert res.responses["submitted"].tolist() == [pd.Timestamp("2020-10-01 17:00"),
                                                   pd.Timestamp("2020-10-01 12:00")]


def test_a_zero_byte_in_a_mapped_cell_quarantines_the_row_naming_the_column(tmp_path):
    res = run(tmp_path, [row(respondent_id="1", comment="Bra\x00\x00"),
                         row(respondent_id="2", area="No\x00rr", worry="Ibland"),
                         row(respondent_id="3", extra="x\x00"),   # a column not read
                         row(respondent_id="4", worry="Ganska ofta")])
    assert reasons(res) == {2: "ogiltigt_tecken", 3: "ogiltigt_tecken"}
    q = res.quarantine
    assert q["column"].tolist() == ["Synpunkter", "Område"]
    assert q["value"].tolist() == ["Bra\\x00\\x00", "No\\x00rr"]  # shown, not written raw
    assert "+2 fler problem" in q["description"].iloc[1]  # the area and the unknown label
    assert len(res.responses) == 2 and res.log["reasons"] == {"ogiltigt_tecken": 2}


PLAIN_AREAS = {"Upphärad": {}, "Kronogården": {}, "Strömslund": {"aliases": ["Asen"]},
               "Åby": {}, "Äby": {}, "Åsen": {}}


@pytest.mark.parametrize(("given", "area"), [
    ("Uppharad", "Upphärad"), ("UPPHAERAD", "Upphärad"), ("Kronogaarden", "Kronogården"),
    ("kronogarden", "Kronogården"), ("Stroemslund", "Strömslund"),
    ("Strömslund", "Strömslund"), ("Aaby", "Åby"), ("Aeby", "Äby"),
    ("Asen", "Strömslund"),  # a spelling that is itself an alias keeps its meaning
    ("Aasen", "Åsen"),
])
def test_area_names_without_diacritics(tmp_path, given, area):
    res = run(tmp_path, [row(respondent_id="1", area=given)],
              mapping=mini_mapping(areas=PLAIN_AREAS))
    assert res.responses["area"].tolist() == [area]


@pytest.mark.parametrize("given", ["Aby", "ABY", "Kronogardn"])
def test_ambiguous_or_misspelt_plain_area_stays_unknown(tmp_path, given):
    # "Aby" is Åby or Äby: guessing would put a respondent in the wrong area.
    res = run(tmp_path, [row(respondent_id="1", area=given)],
              mapping=mini_mapping(areas=PLAIN_AREAS))
    assert reasons(res) == {2: "okant_omrade"}


def test_the_sample_areas_are_found_without_diacritics(tmp_path):
    example = Path(__file__).resolve().parents[1] / "examples" / "trollhattan"
    sample = yaml.safe_load((example / "config" / "surveys" / "2020.yml").read_text(
        encoding="utf-8"))
    given = ["Uppharad", "Kronogaarden", "Stroemslund", "stromslund", "Kronogarden"]
    res = run(tmp_path, [row(respondent_id=str(i), area=a, submitted=f"2020-10-0{i + 1} 12:00")
                         for i, a in enumerate(given)], mapping=mini_mapping(areas=sample["areas"]))
    assert res.responses["area"].tolist() == ["Upphärad", "Kronogården", "Strömslund",
                                              "Strömslund", "Kronogården"]


@pytest.mark.parametrize("given", ["1 950", "1\u00a0950", "1\u202f950", " 1 950 ", "1 950,0"])
def test_birth_year_with_a_thousands_separator(tmp_path, given):
    m = mini_mapping()
    m["columns"]["birth_year"] = m["columns"].pop("age")
    res = run(tmp_path, [row(respondent_id="1", age=given), row(respondent_id="2", age="19 50"),
                         row(respondent_id="3", age="1 95")], mapping=m)
    assert res.responses["age_group"].tolist() == ["65–79"]  # 2020 − 1950 = 70
    assert reasons(res) == {3: "ogiltig_alder", 4: "ogiltig_alder"}


def test_clean_hashes_ids_in_a_child_process_as_in_its_own(tmp_path, monkeypatch):
    """The pseudonyms of a cleaned export are the same whether the child process
    (issue 19) hashed the ids or this process did; rows without an id get the
    pseudonym of ``rad<source row>``."""
    from trygghet.privacy import Pseudonymiser

    rows = [row(respondent_id=f"id{k}" if k < 6 else "", submitted=f"2020-10-0{k + 1} 12:00")
            for k in range(7)]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    here = run(tmp_path / "a", rows).responses["respondent_id"].tolist()
    monkeypatch.setattr(Pseudonymiser, "min_ids", 0)
    started = []
    real_init = Pseudonymiser.__init__

    def spy(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        started.append(self._thread is not None)

    monkeypatch.setattr(Pseudonymiser, "__init__", spy)
    child = run(tmp_path / "b", rows).responses["respondent_id"].tolist()
    assert started == [True] and child == here and len(set(child)) == 7
