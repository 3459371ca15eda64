import zipfile

import openpyxl
import pytest
import yaml
from conftest import EXPORT_HEADERS, mini_mapping, row, write_export

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
