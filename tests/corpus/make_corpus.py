"""Regenerate the bad-input corpus: ``python tests/corpus/make_corpus.py``.

Each file is one realistic way a survey export goes wrong (see README.md).
The files are committed; this script documents how each was made and rebuilds
them byte for byte (fixed zip timestamps). ``password_protected.xlsx`` is kept
as committed (encryption salts at random); ``--password`` makes it again, with
``msoffcrypto-tool`` (``pip install msoffcrypto-tool``: a generator-only tool,
not a dependency of trygghet).
"""

from __future__ import annotations

import csv
import io
import re
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
HEADERS = ["ID", "Inskickad", "Kön", "Ålder", "Område", "Relation", "Trygg på kvällen?",
           "Oro för brott?", "Prioritera (högst tre)", "Synpunkter", "Otrygg: Kväll",
           "Otrygg: Natt", "Otrygg: Dagtid", "Extra kolumn"]
FIXED = (2020, 1, 1, 0, 0, 0)


def rec(i: int, **values: str) -> list[str]:
    """Respondent ``i``: a valid answer, one hour after the previous one."""
    base = {"ID": f"r{i}", "Inskickad": f"2020-10-01 {7 + i:02d}:00", "Kön": "Kvinna",
            "Ålder": "40", "Område": "Norr", "Relation": "bor",
            "Trygg på kvällen?": "Ganska trygg", "Oro för brott?": "Aldrig",
            "Prioritera (högst tre)": "Trafik", "Synpunkter": "", "Otrygg: Kväll": "",
            "Otrygg: Natt": "", "Otrygg: Dagtid": "", "Extra kolumn": "x"}
    base.update(values)
    return [base[h] for h in HEADERS]


def csv_text(rows: list[list[str]], *, headers: list[str] = HEADERS, delimiter: str = ",",
             newline: str = "\n", quoting: int = csv.QUOTE_MINIMAL) -> str:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, delimiter=delimiter, lineterminator=newline, quoting=quoting)
    w.writerow(headers)
    w.writerows(rows)
    return buf.getvalue()


def save(name: str, data: str | bytes, encoding: str = "utf-8") -> None:
    (HERE / name).write_bytes(data if isinstance(data, bytes) else data.encode(encoding))


def xlsx_bytes(sheets: dict[str, list[list]], merge: dict[str, list[str]] | None = None) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
        for rng in (merge or {}).get(title, []):
            ws.merge_cells(rng)
    wb.properties.creator = "trygghet corpus"
    import datetime as dt

    wb.properties.created = wb.properties.modified = dt.datetime(*FIXED)
    buf = io.BytesIO()
    wb.save(buf)
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in sorted(src.namelist()):
            data = src.read(name)
            if name == "docProps/core.xml":  # openpyxl stamps "modified" with the clock
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*",
                              rb"\g<1>2020-01-01T00:00:00Z", data)
            info = zipfile.ZipInfo(name, date_time=FIXED)
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, data)
    return out.getvalue()


def _with_dimension(xlsx: bytes, ref: str) -> bytes:
    """The workbook with the answers sheet's stored size replaced by ``ref``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"\s*/>',
                              f'<dimension ref="{ref}"/>'.encode(), data)
            dst.writestr(info, data)
    return out.getvalue()


THREE = [rec(1, Synpunkter="Mörkt vid Ängen, träffade Åsa"),
         rec(2, Område="Söder", **{"Trygg på kvällen?": "Ganska otrygg"}),
         rec(3, Kön="Man", Ålder="67", **{"Otrygg: Kväll": "1"})]


def main() -> None:
    # --- encodings -----------------------------------------------------------------
    good = csv_text(THREE)
    # UTF-8 opened as Windows-1252 in an editor and saved again as UTF-8: "ö" → "Ã¶".
    save("utf8_mojibake.csv", good.encode("utf-8").decode("cp1252"))
    # Windows-1252 opened as UTF-8 and saved again: every å/ä/ö is now "�", for good.
    save("cp1252_saved_as_utf8.csv",
         good.encode("cp1252").decode("utf-8", errors="replace"))
    save("cp1252_semicolon_crlf.csv", csv_text(THREE, delimiter=";", newline="\r\n"), "cp1252")
    save("utf8_bom_semicolon.csv", "\ufeff" + csv_text(THREE, delimiter=";", newline="\r\n"))
    save("double_bom.csv", "\ufeff\ufeff" + good)
    # Excel "Unicode-text (*.txt)": UTF-16 LE with BOM, tab-separated, CRLF.
    save("utf16_unicode_text.txt", csv_text(THREE, delimiter="\t", newline="\r\n"), "utf-16")
    # A UTF-8 file where two records were pasted in from a Windows-1252 file.
    data = csv_text([*THREE, rec(4, Synpunkter="Otryggt på gång- och cykelvägen")]).encode()
    lines = data.split(b"\n")
    lines[2] = lines[2].decode().encode("cp1252")  # "Söder" in cp1252
    lines[4] = lines[4].replace("gång".encode(), b"g\xe5ng\x81")  # å in cp1252, undefined 0x81
    save("non_utf8_bytes.csv", b"\n".join(lines))

    # --- delimiters and line ends ------------------------------------------------------
    save("tab_delimited.tsv", csv_text(THREE, delimiter="\t"))
    save("pipe_delimited.csv", csv_text(THREE, delimiter="|"))
    # Semicolon file whose free text has commas, written without quotes (QUOTE_NONE):
    # the commas must not be mistaken for the delimiter.
    save("semicolon_unquoted_commas.csv", csv_text(
        [rec(1, Synpunkter="Bra belysning, men mörkt vid torget, och i parken"),
         rec(2, Synpunkter="Mer polis, tack"), rec(3)],
        delimiter=";", quoting=csv.QUOTE_NONE), "cp1252")
    # Semicolon file whose one-column multi-select answer "Trafik;Mängdbrott" was
    # not quoted: that record splits into one field too many.
    text = csv_text([rec(1), rec(2, **{"Prioritera (högst tre)": "Trafik"}), rec(3)],
                    delimiter=";")
    lines = text.split("\n")
    lines[2] = lines[2].replace(";Trafik;", ";Trafik;Mängdbrott;")
    save("semicolon_multiselect_unquoted.csv", "\n".join(lines))
    # Records pasted from another (comma) export into a semicolon file.
    semi = csv_text([rec(1), rec(3)], delimiter=";").split("\n")
    comma = csv_text([rec(2)]).split("\n")[1]
    save("mixed_delimiters.csv", "\n".join([semi[0], semi[1], comma, *semi[2:]]))
    # Every record, but not the header, ends with a delimiter.
    text = csv_text(THREE).split("\n")
    save("trailing_delimiters.csv", "\n".join([text[0], *(ln + "," for ln in text[1:4]), ""]))
    save("cr_line_ends.csv", csv_text(THREE, newline="\r"))
    # One record with a field too many (an unquoted comma), one with trailing fields dropped.
    text = csv_text(THREE).split("\n")
    text[1] = text[1].replace('"Mörkt vid Ängen, träffade Åsa"', "Mörkt vid Ängen, träffade Åsa")
    text[3] = ",".join(text[3].split(",")[:10])
    save("ragged_rows.csv", "\n".join(text))
    # A free-text answer opens a quote that never closes: the rest of the file is one field.
    text = csv_text([rec(1), rec(2), rec(3), rec(4)]).split("\n")
    text[2] = text[2].replace("Trafik,", 'Trafik,"Bra jobbat med ""trygghetsvandringen,', 1)
    save("unbalanced_quote.csv", "\n".join(text))
    save("embedded_newlines.csv", csv_text(
        [rec(1, Synpunkter="Första raden\r\nandra raden\r\n\r\ntredje stycket"),
         rec(2, **{"Oro för brott?": "Ibland\r\n(på kvällen)"}),
         rec(3)], newline="\r\n"))

    # --- columns -----------------------------------------------------------------------
    save("renamed_column.csv", csv_text(
        THREE, headers=[h if h != "Kön" else "Kön (man/kvinna)" for h in HEADERS]))
    drop = HEADERS.index("Oro för brott?")
    save("missing_column.csv", csv_text(
        [r[:drop] + r[drop + 1:] for r in THREE], headers=HEADERS[:drop] + HEADERS[drop + 1:]))
    save("wrong_file.csv", "dimension,level,population\nsex,Kvinna,120\nsex,Man,115\n")
    save("extra_columns.csv", csv_text(
        [[*r, "Firefox", "10.0.0.1", "x"] for r in THREE],
        headers=[*HEADERS, "Webbläsare", "IP-adress", ""]))
    save("duplicated_mapped_header.csv", csv_text(
        THREE, headers=[h if h != "Extra kolumn" else "Kön" for h in HEADERS]))
    save("duplicated_unmapped_header.csv", csv_text(
        [[*r, "y", "", ""] for r in THREE], headers=[*HEADERS, "Extra kolumn", "", ""]))

    # --- values ------------------------------------------------------------------------
    save("unknown_labels.csv", csv_text([
        rec(1, **{"Trygg på kvällen?": "Mkt trygg"}),
        rec(2, **{"Oro för brott?": "Ibland"}),
        rec(3, Område="Mars"),
        rec(4, **{"Prioritera (högst tre)": "Trafik;Skolan"}),
    ]))
    save("blank_rows.csv", csv_text([rec(1)]) + "\n" + "," * 13 + "\n" +
         csv_text([rec(2)]).split("\n", 1)[1] + "  , ,\t,\n" + csv_text([rec(3)]).split(
             "\n", 1)[1] + "\n\n\n")
    save("header_only.csv", csv_text([]))
    save("header_only_bom.csv", "\ufeff" + csv_text([], delimiter=";", newline="\r\n"))
    save("one_row.csv", csv_text([rec(1)]))
    save("empty.csv", b"")
    save("date_formats.csv", csv_text([
        rec(1, Inskickad="2020-10-01 12:00"),
        rec(2, Inskickad="2020-10-01T13:00:00"),
        rec(3, Inskickad="01/10/2020 14:00"),
        rec(4, Inskickad="1.10.2020 15:00"),
        rec(5, Inskickad="44105.666666667"),
        rec(6, Inskickad="2020-10-01T17:00:00+02:00"),
        rec(7, Inskickad="2020-03-01T17:00:00+01:00"),
        rec(8, Inskickad="2020-10-01T16:00:00Z"),
        rec(9, Inskickad="20201001"),
        rec(10, Inskickad="1 okt 2020"),
        rec(11, Inskickad="13/13/2020"),
        rec(12, Inskickad=""),
    ]))
    save("age_as_text.csv", csv_text([
        rec(1, Ålder="45 år"), rec(2, Ålder="45år"), rec(3, Ålder="45 ÅR"), rec(4, Ålder="45,0"),
        rec(5, Ålder=" 45 "), rec(6, Ålder="fyrtiofem"), rec(7, Ålder="ca 45"),
        rec(8, Ålder=""), rec(9, Ålder="45–54"),
    ]))
    save("duplicate_submissions.csv", csv_text([
        rec(1), rec(1, Inskickad="2020-10-01 09:30"),          # same id, later: a duplicate
        rec(2, ID="", Inskickad="2020-10-02 10:00"),
        rec(3, ID="", Inskickad="2020-10-02 10:04"),          # identical answers 4 min later
        rec(4, ID="", Inskickad="2020-10-02 10:30"),          # 26 min later: a new respondent
    ]))
    save("binary_image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    # An old Excel 97-2003 workbook (an OLE2 compound file) renamed to .csv.
    save("xls_renamed.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    # UTF-16 without a BOM (some tools' "Unicode" export), comma-separated.
    save("utf16_no_bom.csv", good, "utf-16-le")
    # "No date" as tools write it: year 9999 (a common placeholder; SQL Server's
    # largest datetime with milliseconds), .NET's DateTime.MinValue in UTC; all
    # outside pandas' timestamps (1677–2262).
    save("date_out_of_range.csv", csv_text([
        rec(1, Inskickad="9999-12-31 23:59:59"),
        rec(2),
        rec(3, Inskickad="31/12/9999 23:59"),
        rec(4, Inskickad="9999-12-31 23:59:59.997"),
        rec(5, Inskickad="0001-01-01T00:00:00Z"),
        rec(6),
    ]))
    # A database export that pads a fixed-width text field with zero bytes.
    save("nul_in_cell.csv", csv_text([
        THREE[0], rec(2, Område="Söder", Synpunkter="Bra\x00\x00\x00\x00",
                      **{"Trygg på kvällen?": "Ganska otrygg"}), THREE[2]]))
    save("nul_in_header.csv", csv_text(THREE, headers=[h.replace("Kön", "K\x00n")
                                                       for h in HEADERS]))
    # A CRLF file written again through a Windows text-mode file, which turns
    # every "\n" into "\r\n": each line now ends "\r\r\n".
    save("crcrlf_line_ends.csv", csv_text(THREE, newline="\r\n").replace("\n", "\r\n"))
    # Areas typed on a keyboard without å, ä, ö (or by a system that strips them).
    save("areas_without_diacritics.csv", csv_text([
        rec(1, Område="Soder"), rec(2, Område="SOEDER"), rec(3, Område="Sodr"),
        rec(4, Område="Norr")]))
    # Birth years as Swedish Excel writes numbers formatted with a thousands
    # separator ("CSV UTF-8": BOM, semicolons, CRLF, a no-break space in "1 980").
    born = [h if h != "Ålder" else "Födelseår" for h in HEADERS]
    save("birth_year_spaced.csv", "\ufeff" + csv_text([
        rec(1, Ålder="1\u00a0980"), rec(2, Ålder="1 980"), rec(3, Ålder="1953"),
        rec(4, Ålder="1\u202f953"), rec(5, Ålder="19 53")],
        headers=born, delimiter=";", newline="\r\n"))

    # --- Excel ---------------------------------------------------------------------------
    import datetime as dt

    def typed(r: list[str]) -> list:
        """As a survey tool's workbook holds them: numbers and dates typed."""
        out = list(r)
        out[HEADERS.index("Ålder")] = float(r[HEADERS.index("Ålder")])
        out[HEADERS.index("Inskickad")] = dt.datetime.fromisoformat(r[1])
        return [None if v == "" else v for v in out]

    body = [typed(r) for r in THREE]
    body[1][HEADERS.index("Område")] = 46140  # a postcode typed as a number
    save("title_row.xlsx", xlsx_bytes({"Svar": [["Trygghetsmätning 2020 – export"], [],
                                                HEADERS, *body]}))
    save("several_sheets.xlsx", xlsx_bytes({
        "Om enkäten": [["Enkät"], ["Trygghetsmätning 2020"]],
        "Svar": [HEADERS, *body],
        "Frågor": [["Kolumn", "Fråga"], ["Kön", "Kön"]],
    }))
    whole = xlsx_bytes({"Svar": [HEADERS, *body]})
    save("corrupt.xlsx", whole[: len(whole) // 2])  # an interrupted download
    save("xlsx_renamed.csv", whole)
    save("csv_renamed.xlsx", good)
    save("xlsx_header_only.xlsx", xlsx_bytes({"Svar": [HEADERS]}))
    # A streaming writer's workbook whose stored size says A1:N2 though the data
    # reach row 4: read-only openpyxl trusts the size unless told otherwise.
    save("xlsx_wrong_dimension.xlsx", _with_dimension(whole, "A1:N2"))
    # The export as a survey tool delivers it: zipped.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("export_2020.csv", date_time=FIXED), good)
    save("zipped_export.zip", buf.getvalue())
    # Two header rows: a merged group title above the real headers, and a column
    # whose header cell was left blank but holds data.
    merged = [["Bakgrund", None, None, None, None, None, "Frågor"] + [None] * 8,
              [*HEADERS, None], *([*b, "okänt"] for b in body)]
    save("merged_header.xlsx", xlsx_bytes({"Svar": merged},
                                          merge={"Svar": ["A1:F1", "G1:O1"]}))
    # Encryption salts at random: made only when missing or asked for (--password).
    if "--password" in sys.argv or not (HERE / "password_protected.xlsx").exists():
        from msoffcrypto.format.ooxml import OOXMLFile  # pip install msoffcrypto-tool

        out = io.BytesIO()
        OOXMLFile(io.BytesIO(whole)).encrypt("hemligt", out)
        save("password_protected.xlsx", out.getvalue())

    # --- mappings ------------------------------------------------------------------------
    mapping = (HERE / "mapping.yml").read_text(encoding="utf-8")
    save("mapping_two_headers_one_field.yml", mapping.replace(
        "  sex: Kön\n", "  sex: Kön\n  age: Ålder (år)\n", 1))
    save("mapping_one_header_two_fields.yml", mapping.replace(
        "  comment: Synpunkter\n", "  comment: Synpunkter\n  safe_day: Trygg på kvällen?\n", 1))
    save("mapping_wrong_year.yml", mapping.replace("year: 2020", "year: 2019", 1))
    save("mapping_cp1252.yml", mapping, "cp1252")
    save("mapping_tab_indent.yml", mapping.replace("  sex: Kön", "\tsex: Kön", 1))
    save("mapping_birth_year.yml",
         mapping.replace("  age: Ålder\n", "  birth_year: Födelseår\n", 1))
    # "Billion laughs": nine aliases of nine aliases … of "lol" are 9**9 values
    # once expanded (printing `ignore` as text did that and took 24 GB).
    bomb = "".join(f"  - &l{i} [{', '.join([f'*l{i - 1}' if i else 'lol'] * 9)}]\n"
                   for i in range(9))
    save("mapping_yaml_bomb.yml", mapping.replace("ignore: [Extra kolumn]\n",
                                                  "ignore:\n  - Extra kolumn\n" + bomb, 1))
    save("mapping_window_1e300.yml", mapping.replace(
        "required:", "duplicates:\n  window_minutes: 1.0e+300\nrequired:", 1))
    save("mapping_empty_key.yml", mapping.replace("areas:\n", 'areas:\n  "": {}\n', 1))


if __name__ == "__main__":
    main()
