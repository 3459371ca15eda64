import os
import zipfile

import openpyxl
import pytest
import yaml
from helpers import EXPORT_HEADERS, mini_mapping, row, write_export
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trygghet import inputs
from trygghet.errors import TrygghetError
from trygghet.load import read_export
from trygghet.mapping import load_mapping


@pytest.fixture
def mapping(tmp_path):
    path = tmp_path / "m.yml"
    path.write_text(yaml.safe_dump(mini_mapping(), allow_unicode=True), encoding="utf-8")
    return load_mapping(path)


ROWS = [row(respondent_id="1", comment="Åsa på Ängsvägen, ö"), row(respondent_id="2")]


@pytest.mark.parametrize(("delimiter", "encoding", "expected"), [
    (",", "utf-8", "utf-8"),
    (",", "utf-8-sig", "utf-8-sig"),
    (";", "cp1252", "cp1252"),
    ("\t", "utf-8", "utf-8"),
    ("|", "cp1252", "cp1252"),
])
def test_csv_encodings_and_delimiters(tmp_path, mapping, delimiter, encoding, expected):
    path = write_export(tmp_path / "e.csv", ROWS, delimiter=delimiter, encoding=encoding)
    raw = read_export(path, mapping)
    assert raw.info["delimiter"] == delimiter
    assert raw.info["encoding"] == expected
    assert raw.headers == EXPORT_HEADERS
    assert raw.frame.iloc[0, EXPORT_HEADERS.index("Synpunkter")] == "Åsa på Ängsvägen, ö"
    assert list(raw.source_rows) == [2, 3]


def test_encoding_can_be_forced(tmp_path, mapping):
    path = write_export(tmp_path / "e.csv", ROWS, encoding="cp1252")
    with pytest.raises(TrygghetError) as err:
        read_export(path, mapping, encoding="utf-8")
    assert err.value.row == 1 and "utf-8" in str(err.value)  # "Kön" in the header
    assert read_export(path, mapping, encoding="cp1252").info["encoding"] == "cp1252"


def test_double_encoded_utf8_is_repaired(tmp_path, mapping):
    good = write_export(tmp_path / "g.csv", ROWS).read_text(encoding="utf-8")
    # UTF-8 read as Windows-1252 and saved again as UTF-8: "ö" becomes "Ã¶".
    bad = tmp_path / "b.csv"
    bad.write_text(good.encode("utf-8").decode("cp1252"), encoding="utf-8")
    raw = read_export(bad, mapping)
    assert raw.headers == EXPORT_HEADERS
    assert any("reparerade" in w for w in raw.warnings)


def test_mixed_encodings_are_read_line_by_line(tmp_path, mapping):
    path = write_export(tmp_path / "e.csv", ROWS)
    data = path.read_bytes().replace("Ängsvägen".encode(), "Ängsvägen".encode("cp1252"))
    path.write_bytes(data)
    raw = read_export(path, mapping)
    assert raw.info["encoding"] == "blandad"
    assert "Ängsvägen" in raw.frame.iloc[0, EXPORT_HEADERS.index("Synpunkter")]


def test_title_row_above_header(tmp_path, mapping):
    path = write_export(tmp_path / "e.csv", ROWS, title="Export från enkätverktyget;;")
    raw = read_export(path, mapping)
    assert raw.headers == EXPORT_HEADERS
    assert list(raw.source_rows) == [3, 4]


def test_embedded_newlines_and_row_numbers(tmp_path, mapping):
    rows = [row(respondent_id="1", comment="rad ett\nrad två"), row(respondent_id="2")]
    raw = read_export(write_export(tmp_path / "e.csv", rows), mapping)
    assert raw.frame.iloc[0, EXPORT_HEADERS.index("Synpunkter")] == "rad ett\nrad två"
    assert list(raw.source_rows) == [2, 3]


def test_blank_records_are_kept_empty_lines_at_end_are_not(tmp_path, mapping):
    path = write_export(tmp_path / "e.csv", [ROWS[0], [""] * len(EXPORT_HEADERS), ROWS[1]])
    path.write_bytes(path.read_bytes() + b"\n,,,\n\n\n")
    raw = read_export(path, mapping)
    assert len(raw.frame) == 5 and list(raw.source_rows) == [2, 3, 4, 5, 6]
    assert (raw.frame.iloc[[1, 3, 4]] == "").all(axis=None)


def test_record_with_too_many_fields_is_set_aside(tmp_path, mapping):
    rows = [ROWS[0], [*ROWS[1], "överflöd"], row(respondent_id="3")]
    raw = read_export(write_export(tmp_path / "e.csv", rows), mapping)
    assert len(raw.frame) == 2 and list(raw.source_rows) == [2, 4]
    assert raw.bad_rows[0][0] == 3
    assert raw.rows_in == 3


def write_xlsx(path, sheets: dict[str, list[list]]):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


def test_xlsx_with_title_row_and_several_sheets(tmp_path, mapping):
    data = [["Trygghetsmätning 2020"], [], EXPORT_HEADERS,
            [45.0 if h == "Ålder" else c for h, c in zip(EXPORT_HEADERS, ROWS[0], strict=True)]]
    path = write_xlsx(tmp_path / "e.xlsx", {"Om enkäten": [["Frågor"], ["F1"]], "Svar": data})
    raw = read_export(path, mapping)
    assert raw.info == {"format": "xlsx", "sheet": "Svar", "header_row": 3}
    assert raw.frame.iloc[0, EXPORT_HEADERS.index("Ålder")] == "45"
    assert list(raw.source_rows) == [4]


def test_xlsx_unknown_sheet(tmp_path, mapping):
    path = write_xlsx(tmp_path / "e.xlsx", {"Svar": [EXPORT_HEADERS]})
    with pytest.raises(TrygghetError, match="bladet 'Blad1' finns inte"):
        read_export(path, mapping, sheet="Blad1")


@pytest.mark.parametrize(("content", "message"), [
    (b"", "tom"),
    (b"   \n", "tom"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "lösenordsskyddad"),
    (b"PK\x03\x04garbage", "inte en läsbar Excel-fil"),
    (b"\x00\x01\x02binary\x00", "inte vara en textfil"),
])
def test_unreadable_files(tmp_path, content, message):
    path = tmp_path / ("e.xlsx" if content.startswith(b"PK") else "e.csv")
    path.write_bytes(content)
    with pytest.raises(TrygghetError, match=message) as err:
        read_export(path)
    assert err.value.file == str(path)


def test_corrupt_zip_xlsx(tmp_path, mapping):
    good = write_xlsx(tmp_path / "g.xlsx", {"Svar": [EXPORT_HEADERS, ROWS[0]]})
    bad = tmp_path / "b.xlsx"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(bad, "w") as zout:
        for item in zin.infolist():
            if "sheet" not in item.filename:
                zout.writestr(item, zin.read(item))
    with pytest.raises(TrygghetError, match="Excel"):
        read_export(bad, mapping)


def test_missing_file(tmp_path):
    with pytest.raises(TrygghetError, match="finns inte"):
        read_export(tmp_path / "saknas.csv")


# --- Hardening (issue 6): one test per failure the bad-input corpus found -------------------

def _csv(rows: list[list[str]], delimiter: str = ",", newline: str = "\n") -> str:
    import csv
    import io

    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator=newline).writerows(rows)
    return buf.getvalue()


def test_trailing_delimiter_on_every_record_does_not_shift_columns(tmp_path, mapping):
    # pandas makes surplus leading fields an index when the first record is wider
    # than the names it is given: every answer moved one column to the right.
    text = _csv([EXPORT_HEADERS]) + "".join(line + ",\n" for line in
                                            _csv(ROWS).splitlines())
    (tmp_path / "e.csv").write_text(text, encoding="utf-8")
    raw = read_export(tmp_path / "e.csv", mapping)
    assert raw.frame.iloc[:, 0].tolist() == ["1", "2"]
    assert raw.frame.iloc[0, EXPORT_HEADERS.index("Synpunkter")] == "Åsa på Ängsvägen, ö"
    assert raw.bad_rows == []


def test_too_wide_first_record_is_set_aside_without_shifting_the_rest(tmp_path, mapping):
    rows = [[*ROWS[0], "överflöd"], ROWS[1], row(respondent_id="3")[:5]]
    raw = read_export(write_export(tmp_path / "e.csv", rows), mapping)
    assert raw.bad_rows == [(2, f"{len(EXPORT_HEADERS) + 1} fält men rubrikraden har "
                                f"{len(EXPORT_HEADERS)}")]
    assert raw.frame.iloc[:, 0].tolist() == ["2", "3"]
    assert list(raw.source_rows) == [3, 4]
    assert raw.frame.iloc[1, 5:].eq("").all()  # the short record is padded, not an error


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(1, len(EXPORT_HEADERS) + 3), st.booleans()),
                min_size=1, max_size=12))
def test_any_mix_of_record_widths_keeps_every_value_in_its_column(tmp_path, mapping, shapes):
    """Records of any width: each one is either set aside or read with no value moved."""
    width = len(EXPORT_HEADERS)
    records = []
    for i, (n, fill) in enumerate(shapes):
        cells = [f"v{i}_{j}" for j in range(min(n, width))]
        # Surplus fields are empty (a trailing delimiter) or hold a value.
        cells += [f"x{i}" if fill else "" for _ in range(n - len(cells))]
        records.append(cells)
    path = tmp_path / "e.csv"
    path.write_text(_csv([EXPORT_HEADERS, *records]), encoding="utf-8")
    raw = read_export(path, mapping)
    assert raw.rows_in == len(records)
    set_aside = {r for r, _ in raw.bad_rows}
    for i, cells in enumerate(records):
        too_wide = len(cells) > width and any(cells[width:])
        assert (i + 2 in set_aside) == too_wide
    for k, source in enumerate(raw.source_rows):
        cells = records[source - 2][:width]
        assert raw.frame.iloc[k].tolist() == cells + [""] * (width - len(cells))


def test_cr_only_line_ends(tmp_path, mapping):
    path = tmp_path / "e.csv"
    path.write_text(_csv([EXPORT_HEADERS, *ROWS], newline="\r"), encoding="utf-8")
    raw = read_export(path, mapping)
    assert raw.headers == EXPORT_HEADERS and list(raw.source_rows) == [2, 3]


def test_line_breaks_inside_fields_become_newlines(tmp_path, mapping):
    rows = [row(respondent_id="1", comment="ett\r\ntvå\rtre")]
    path = tmp_path / "e.csv"
    path.write_text(_csv([EXPORT_HEADERS, *rows], newline="\r\n"), encoding="utf-8")
    raw = read_export(path, mapping)
    assert raw.frame.iloc[0, EXPORT_HEADERS.index("Synpunkter")] == "ett\ntvå\ntre"


def test_unclosed_quote_names_row_and_column(tmp_path, mapping):
    rows = _csv([EXPORT_HEADERS, *ROWS, row(respondent_id="3")]).splitlines()
    rows[2] = rows[2].replace(",Trafik,", ',Trafik,"Bra men ', 1)
    path = tmp_path / "e.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(TrygghetError, match="avslutas aldrig") as err:
        read_export(path, mapping)
    assert (err.value.row, err.value.column) == (3, "Synpunkter") and err.value.hint


@pytest.mark.parametrize("record", [1, 2])
def test_unclosed_quote_in_the_last_column_loses_no_record(tmp_path, mapping, record):
    """Opened in the last column, a quote swallows every later record into one value
    for a lenient parser; here it is refused, naming where it opens."""
    lines = _csv([EXPORT_HEADERS, *ROWS, row(respondent_id="3")]).splitlines()
    lines[record] = lines[record].rsplit(",", 1)[0] + ',"Bra men'
    path = tmp_path / "e.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(TrygghetError, match="avslutas aldrig") as err:
        read_export(path, mapping)
    assert (err.value.row, err.value.column) == (record + 1, EXPORT_HEADERS[-1])


def test_free_text_longer_than_the_csv_modules_field_limit(tmp_path, mapping):
    long = "x" * 300_000
    rows = [row(respondent_id="1", comment=long), [*ROWS[1], "extra"]]  # the ragged row
    raw = read_export(write_export(tmp_path / "e.csv", rows), mapping)  # takes the slow path
    assert raw.frame.iloc[0, EXPORT_HEADERS.index("Synpunkter")] == long
    assert [r for r, _ in raw.bad_rows] == [3]


def test_record_split_by_another_delimiter_is_set_aside(tmp_path, mapping):
    lines = _csv([EXPORT_HEADERS, *ROWS], delimiter=";").splitlines()
    lines.insert(2, _csv([row(respondent_id="9")]).strip())  # a comma record
    path = tmp_path / "e.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    raw = read_export(path, mapping)
    assert raw.info["delimiter"] == ";"
    assert raw.bad_rows[0][0] == 3 and "komma i stället för semikolon" in raw.bad_rows[0][1]
    assert list(raw.source_rows) == [2, 4] and raw.rows_in == 3


@pytest.mark.parametrize("name", ["e.csv", "e.xlsx"])
def test_header_without_records_is_refused(tmp_path, mapping, name):
    path = tmp_path / name
    if name.endswith(".xlsx"):
        write_xlsx(path, {"Svar": [["Export"], EXPORT_HEADERS]})
    else:
        write_export(path, [])
    with pytest.raises(TrygghetError, match="inga svar") as err:
        read_export(path, mapping)
    assert err.value.row == (2 if name.endswith(".xlsx") else 1) and err.value.hint


def test_utf16_without_bom(tmp_path, mapping):
    path = tmp_path / "e.csv"
    path.write_bytes(_csv([EXPORT_HEADERS, *ROWS], delimiter="\t").encode("utf-16-le"))
    raw = read_export(path, mapping)
    assert raw.info["encoding"] == "utf-16" and raw.headers == EXPORT_HEADERS


def test_truncated_utf16_is_a_message(tmp_path, mapping):
    path = tmp_path / "e.txt"
    path.write_bytes(_csv([EXPORT_HEADERS, *ROWS], delimiter="\t").encode("utf-16") + b"\x00")
    with pytest.raises(TrygghetError, match="UTF-16 men trasig"):
        read_export(path, mapping)


def test_repeated_bom_and_stray_cp1252_after_a_bom(tmp_path, mapping):
    # A BOM no longer means "decode everything, replacing what fails with '�'".
    text = _csv([EXPORT_HEADERS, *ROWS])
    lines = text.encode("utf-8").split(b"\n")
    lines[1] = lines[1].decode("utf-8").encode("cp1252")
    path = tmp_path / "e.csv"
    path.write_bytes(b"\xef\xbb\xbf\xef\xbb\xbf" + b"\n".join(lines))
    raw = read_export(path, mapping)
    assert raw.headers == EXPORT_HEADERS
    assert raw.frame.iloc[0, EXPORT_HEADERS.index("Synpunkter")] == "Åsa på Ängsvägen, ö"
    assert raw.info["encoding"] == "blandad"


def test_line_mixing_utf8_and_cp1252_keeps_both(tmp_path, mapping):
    path = write_export(tmp_path / "e.csv", ROWS)
    path.write_bytes(path.read_bytes().replace("Ängsvägen".encode(), "Ängsv".encode() +
                                               "ägen".encode("cp1252")))
    raw = read_export(path, mapping)
    assert raw.frame.iloc[0, EXPORT_HEADERS.index("Synpunkter")] == "Åsa på Ängsvägen, ö"


def test_replacement_characters_in_the_file_are_reported(tmp_path, mapping):
    path = write_export(tmp_path / "e.csv", [row(respondent_id="1", comment="K\ufffdpt"),
                                             ROWS[1]])
    raw = read_export(path, mapping)
    assert any("'\ufffd'" in w and "rad 2" in w for w in raw.warnings)


def test_content_decides_the_format(tmp_path, mapping):
    text = write_export(tmp_path / "e.csv", ROWS).read_bytes()
    (tmp_path / "csv.xlsx").write_bytes(text)
    raw = read_export(tmp_path / "csv.xlsx", mapping)
    assert raw.info["format"] == "csv" and "lästes som CSV" in raw.warnings[0]
    (tmp_path / "bin.xlsx").write_bytes(b"\x00\x01binary\x00" * 10)
    with pytest.raises(TrygghetError, match="inte en läsbar Excel-fil"):
        read_export(tmp_path / "bin.xlsx", mapping)


def test_zip_archive_is_not_taken_for_a_workbook(tmp_path, mapping):
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("svar.csv", "a,b\n")
    with pytest.raises(TrygghetError, match="zip-arkiv.*svar.csv") as err:
        read_export(path, mapping)
    assert "packa upp" in err.value.hint


def _set_dimension(path, ref):
    import re

    data = {}
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            data[name] = z.read(name)
    for name in data:
        if name.startswith("xl/worksheets/"):
            data[name] = re.sub(rb'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>'
                                .encode(), data[name])
    with zipfile.ZipFile(path, "w") as z:
        for name, content in data.items():
            z.writestr(name, content)


def test_xlsx_with_a_wrong_stored_size_loses_no_row(tmp_path, mapping):
    # Read-only openpyxl trusts <dimension>; streaming writers often store "A1".
    path = write_xlsx(tmp_path / "e.xlsx", {"Svar": [EXPORT_HEADERS, *ROWS]})
    _set_dimension(path, "A1:B2")
    raw = read_export(path, mapping)
    assert raw.headers == EXPORT_HEADERS
    assert raw.frame.iloc[:, 0].tolist() == ["1", "2"]
    assert raw.frame.iloc[0, EXPORT_HEADERS.index("Synpunkter")] == "Åsa på Ängsvägen, ö"


def test_xlsx_data_beyond_the_last_header_is_kept_as_a_column(tmp_path, mapping):
    path = write_xlsx(tmp_path / "e.xlsx", {"Svar": [EXPORT_HEADERS, [*ROWS[0], None, "sen"]]})
    raw = read_export(path, mapping)
    assert raw.headers == [*EXPORT_HEADERS, "", ""]
    assert raw.frame.iloc[0, -1] == "sen"


# --- the fast parser against the careful one -----------------------------------

_FIELD = st.lists(st.sampled_from(list('aåÖ é,;"\n\r\t0') + ["Ã¶", "€"]), max_size=8).map("".join)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(_FIELD, min_size=len(EXPORT_HEADERS), max_size=len(EXPORT_HEADERS)),
                min_size=1, max_size=6),
       st.sampled_from([",", ";"]), st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
       st.sampled_from(["\n", "\r\n"]))
def test_arrow_fast_path_reads_what_the_pandas_parser_reads(tmp_path, mapping, monkeypatch,
                                                             records, delim, encoding, newline):
    """Quotes, delimiters, line breaks and non-ASCII in fields: Arrow's reading of a
    well-formed export is the same, value for value and row for row, as pandas'."""
    import trygghet.load as load

    if encoding == "cp1252":
        records = [[c.replace("€", "e") for c in r] for r in records]
    path = tmp_path / "e.csv"
    path.write_bytes(_csv([EXPORT_HEADERS, *records], delimiter=delim,
                          newline=newline).encode(encoding))
    used, real = [], load._arrow_records

    def spy(*args, **kwargs):
        frame = real(*args, **kwargs)
        used.append(frame is not None)
        return frame

    # (monkeypatch.context: hypothesis runs many examples in one test call)
    with monkeypatch.context() as mp:
        mp.setattr(load, "_arrow_records", spy)
        fast = read_export(path, mapping, delimiter=delim)
    with monkeypatch.context() as mp:
        mp.setattr(load, "_arrow_records", lambda *args, **kwargs: None)
        careful = read_export(path, mapping, delimiter=delim)
    assert fast.frame.astype(object).equals(careful.frame.astype(object))
    assert list(fast.source_rows) == list(careful.source_rows)
    assert fast.bad_rows == careful.bad_rows and fast.warnings == careful.warnings
    # The property is about the fast path: it must have been taken, unless a bare
    # CR (unquoted by the csv module when lines end in LF) broke a record in two.
    if newline == "\r\n" or not any("\r" in c for r in records for c in r):
        assert used == [True]


def test_a_closed_last_field_holding_a_quote_is_not_taken_for_an_unclosed_one(tmp_path,
                                                                              mapping):
    # `""""` (one quote, quoted) ends with the same bytes as an unclosed `"""`.
    import trygghet.load as load

    records = [[""] * len(EXPORT_HEADERS), [""] * (len(EXPORT_HEADERS) - 1) + ['"']]
    body = _csv(records).rstrip("\n").encode()
    frame = load._arrow_records(memoryview(body), ",", len(EXPORT_HEADERS))
    assert frame is not None and frame.iloc[1, -1] == '"'
    unclosed = body[:-1]  # the closing quote lost: `"""` = an open quote and one `""`
    assert load._arrow_records(memoryview(unclosed), ",", len(EXPORT_HEADERS)) is None


@pytest.mark.parametrize("last", ['"', "\n", 'x"'])
def test_arrow_reads_a_repaired_file_ending_in_a_quoted_field(tmp_path, mapping, monkeypatch,
                                                              last):
    # A repaired ("Ã¶" → "ö") file is handed over as text, which kept its final
    # line break: `"\n"` + "\n" looked like an unclosed quote holding "\n".
    import trygghet.load as load

    path = tmp_path / "e.csv"
    path.write_text(_csv([EXPORT_HEADERS, [""] * 12 + ["Ã¶", last]]), encoding="utf-8")
    used, real = [], load._arrow_records
    monkeypatch.setattr(load, "_arrow_records",
                        lambda *a, **k: used.append(real(*a, **k)) or used[-1])
    raw = read_export(path, mapping, delimiter=",")
    assert used[0] is not None and raw.frame.iloc[0, -2:].tolist() == ["ö", last]


def test_arrow_fast_path_declines_ragged_records():
    from trygghet.load import _arrow_records

    assert _arrow_records("a,b\nc,d\n", ",", 2).values.tolist() == [["a", "b"], ["c", "d"]]
    assert _arrow_records(memoryview("å,\"x\ny\"\n".encode()), ",", 2).values.tolist() == \
        [["å", "x\ny"]]
    assert _arrow_records("a,b\nc\n", ",", 2) is None       # a short record
    # A blank line is a record of empty fields, as for pandas (skip_blank_lines=False).
    assert _arrow_records("a,b\n\nc,d\n", ",", 2).values.tolist() == \
        [["a", "b"], ["", ""], ["c", "d"]]
    # An unclosed quote, which pandas refuses and Arrow reads to the end of the file.
    assert _arrow_records("a,\"b\n", ",", 2) is None
    assert _arrow_records(memoryview(b'a,"b""c'), ",", 2) is None
    assert _arrow_records("a,\"b\nc,d\n", ",", 2) is None
    assert _arrow_records('a,"b"\n', ",", 2).values.tolist() == [["a", "b"]]
    assert _arrow_records('a,b"\n', ",", 2).values.tolist() == [["a", 'b"']]
    assert _arrow_records("\n \n", ",", 2) is None           # nothing but blanks


@given(st.text(alphabet="\r\na", max_size=40), st.integers(1, 6))
def test_lone_cr_is_what_the_two_counts_say(text, block):
    """The block-wise NumPy test agrees with counting CRs and CRLFs, at any block edge."""
    from trygghet.load import _lone_cr

    data = text.encode()
    assert _lone_cr(data, block) == (data.count(b"\r") != data.count(b"\r\n"))


def test_arrow_fast_path_gives_line_breaks_in_values_as_lf_in_a_crlf_file():
    from trygghet.load import _arrow_records

    body = memoryview(b'a,"x\r\ny"\r\nb,c\r\n"d\r\n\r\ne",f')
    frame = _arrow_records(body, ",", 2, crlf=True)
    assert frame.values.tolist() == [["a", "x\ny"], ["b", "c"], ["d\n\ne", "f"]]
    # Without crlf the values are as Arrow read them.
    assert _arrow_records(body, ",", 2).values.tolist()[0] == ["a", "x\r\ny"]


# --- Hardening (issue 11): line ends, zero bytes, files that are not files ---------------

def test_crlf_written_again_in_text_mode_is_one_line_end(tmp_path, mapping):
    # Python's or .NET's text-mode writer on Windows turns each "\n" of a CRLF text
    # into "\r\n": every record ended "\r\r\n" and rows_in was doubled by blank rows.
    text = _csv([EXPORT_HEADERS, *ROWS], newline="\r\n").replace("\n", "\r\n")
    for name, data in (("e.csv", text.encode("utf-8")), ("e.txt", text.encode("utf-16"))):
        (tmp_path / name).write_bytes(data)
        raw = read_export(tmp_path / name, mapping)
        assert raw.rows_in == 2 and list(raw.source_rows) == [2, 3]
        assert raw.frame.iloc[0, EXPORT_HEADERS.index("Synpunkter")] == "Åsa på Ängsvägen, ö"


def test_a_zero_byte_in_a_cell_is_read_not_refused(tmp_path, mapping):
    rows = [row(respondent_id="1", comment="Bra\x00\x00"), row(respondent_id="2")]
    raw = read_export(write_export(tmp_path / "e.csv", rows), mapping)
    assert raw.info["nul"] is True and raw.rows_in == 2
    assert raw.frame.iloc[0, EXPORT_HEADERS.index("Synpunkter")] == "Bra\x00\x00"
    # A file without one says nothing about it (the cleaning log stays as it was).
    raw = read_export(write_export(tmp_path / "f.csv", ROWS), mapping)
    assert "nul" not in raw.info


def test_padding_in_every_record_is_read_but_zeroed_blocks_are_not(tmp_path, mapping):
    # A fixed-width database field padded with zero bytes in each of 40 records.
    rows = [row(respondent_id=str(i), comment="Ok" + "\x00" * 30) for i in range(40)]
    raw = read_export(write_export(tmp_path / "e.csv", rows), mapping)
    assert raw.rows_in == 40 and raw.info["nul"]
    # A file whose blocks were zeroed (an interrupted copy) is not text.
    path = tmp_path / "z.csv"
    path.write_bytes(_csv([EXPORT_HEADERS]).encode() + b"\x00" * 8192)
    with pytest.raises(TrygghetError, match="inte vara en textfil"):
        read_export(path, mapping)


def test_a_zero_byte_in_a_header_is_refused_with_row_and_column(tmp_path, mapping):
    headers = [h.replace("Område", "Omr\x00de") for h in EXPORT_HEADERS]
    path = write_export(tmp_path / "e.csv", ROWS, headers=headers)
    with pytest.raises(TrygghetError, match="NUL-tecken") as err:
        read_export(path, mapping)
    assert (err.value.row, err.value.column) == (1, "Omr\\x00de")


@pytest.mark.parametrize("encoding", ["utf-32", "utf-32-be"])
def test_utf32_with_bom(tmp_path, mapping, encoding):
    text = _csv([EXPORT_HEADERS, *ROWS])
    data = text.encode(encoding)
    if encoding == "utf-32-be":
        data = b"\x00\x00\xfe\xff" + data
    (tmp_path / "e.csv").write_bytes(data)
    raw = read_export(tmp_path / "e.csv", mapping)
    assert raw.info["encoding"] == "utf-32" and raw.headers == EXPORT_HEADERS
    assert raw.frame.iloc[0, EXPORT_HEADERS.index("Synpunkter")] == "Åsa på Ängsvägen, ö"


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: os.mkfifo(p), r"namngiven pipe \(FIFO\)"),
    (lambda p: p.symlink_to("/dev/zero"), "enhetsfil"),
    (lambda p: p.symlink_to("/dev/null"), "enhetsfil"),
    (lambda p: p.mkdir(), "är en mapp"),
    (lambda p: p.symlink_to(p), "symboliska länkar i en slinga"),
])
def test_an_input_that_is_not_a_regular_file_is_refused(tmp_path, mapping, make, message):
    path = tmp_path / "export.csv"
    make(path)
    with pytest.raises(TrygghetError, match=message) as err:
        read_export(path, mapping)
    assert err.value.file == str(path) and err.value.hint


def test_an_export_over_the_size_limit_is_refused_before_it_is_read(tmp_path, mapping,
                                                                     monkeypatch):
    path = write_export(tmp_path / "e.csv", ROWS * 15_000)
    assert 2 << 20 < path.stat().st_size < 3 << 20
    monkeypatch.setenv(inputs.LIMIT_ENV, "2")
    with pytest.raises(TrygghetError, match=r"för stor \(2,\d MB; gränsen är 2 MB\)") as err:
        read_export(path, mapping)
    assert inputs.LIMIT_ENV in err.value.hint
    monkeypatch.setenv(inputs.LIMIT_ENV, "3")
    assert read_export(path, mapping).rows_in == 30_000
    monkeypatch.setenv(inputs.LIMIT_ENV, "tre")
    with pytest.raises(TrygghetError, match="ogiltig storleksgräns"):
        read_export(path, mapping)


def test_xlsx_dates_out_of_range_reach_cleaning_without_warnings(tmp_path, mapping, recwarn):
    import datetime as dt

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Svar"
    ws.append(EXPORT_HEADERS)
    for r in ROWS:
        ws.append(r)
    ws["B2"] = 3e9  # a serial day number far past 9999-12-31, formatted as a date
    ws["B2"].number_format = "yyyy-mm-dd"
    ws["B3"] = dt.datetime(9999, 12, 31, 23, 59, 59)
    wb.save(tmp_path / "e.xlsx")
    raw = read_export(tmp_path / "e.xlsx", mapping)
    assert raw.frame[1].tolist() == ["#VALUE!", "9999-12-31 23:59:59"]
    assert not [w for w in recwarn if "openpyxl" in str(w.filename)]


# --- SPSS .sav ---------------------------------------------------------------------------

def _sav(path, **kwargs):
    import datetime as dt

    import pandas as pd
    import pyreadstat

    df = pd.DataFrame({"ID": ["1", "2"], "Kon": [2.0, 1.0],
                       "Inskickad": [dt.datetime(2020, 10, 1, 12, 30), dt.datetime(2020, 10, 2)],
                       "Alder": [40.0, float("nan")], "Text": ["Åsa på Ängsvägen", ""]})
    pyreadstat.write_sav(df, str(path), column_labels=["ID", "Kön", "Inskickad", None, None],
                         variable_value_labels={"Kon": {1.0: "Man", 2.0: "Kvinna"}}, **kwargs)
    return path


def test_sav_reads_labels_dates_numbers_and_text(tmp_path):
    raw = read_export(_sav(tmp_path / "e.sav"))
    assert raw.info["format"] == "sav" and raw.headers == ["ID", "Kön", "Inskickad", "Alder",
                                                           "Text"]
    assert raw.names == ["ID", "Kon", "Inskickad", "Alder", "Text"]
    assert raw.frame.values.tolist() == [
        ["1", "Kvinna", "2020-10-01 12:30:00", "40", "Åsa på Ängsvägen"],
        ["2", "Man", "2020-10-02 00:00:00", "", ""]]
    assert raw.source_rows.tolist() == [1, 2]


def test_sav_compressed_is_read_by_content_not_name(tmp_path):
    path = _sav(tmp_path / "e.sav", compress=True)
    renamed = path.rename(tmp_path / "export.dat")
    assert read_export(renamed).frame[1].tolist() == ["Kvinna", "Man"]


def test_broken_sav_is_one_message(tmp_path):
    path = _sav(tmp_path / "e.sav")
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(TrygghetError) as err:
        read_export(path)
    assert "SPSS-filen kan inte läsas" in err.value.message and ".sav" in err.value.hint
    (tmp_path / "text.sav").write_text("ID,Kön\n1,Man\n", encoding="utf-8")
    with pytest.raises(TrygghetError, match="ingen SPSS-fil"):
        read_export(tmp_path / "text.sav")
