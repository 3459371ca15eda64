"""The UTF-8 fast path of the CSV reader reads exactly what the careful reader reads.

``load._read_csv_utf8`` reads a plain UTF-8 export from its bytes (issue 19:
no decoded copy of the whole file); everything it does not take on returns
None and goes the careful way. Each export here is written the way tools
write them (CRLF, a title row, line breaks inside quoted free text, å/ä/ö,
trailing blank lines) and read both ways; the results must be identical.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trygghet import load

HEADERS = ["Löpnummer", "Kön", "Bostadsområde", "F1. Hur trygg känner du dig?", "Övrigt"]


def _export(rows: int, *, newline: str = "\r\n", title: bool = True, bom: bool = False,
            tail: str = "\r\n\r\n", seed: int = 7) -> bytes:
    rng = np.random.default_rng(seed)
    areas = ["Centrum", "Kronogården", "Lextorp – Öst", "Sylte"]
    answers = ["Mycket trygg", "Ganska trygg", "Ganska otrygg", "Vet ej", ""]
    lines = []
    if title:
        lines.append("Trygghetsmätning 2020 – export;;;;")
    lines.append(";".join(HEADERS))
    for i in range(rows):
        comment = ""
        if i % 97 == 0:  # free text over two lines, with a quote and a delimiter
            comment = f'"Belysningen vid ""torget"";\r\nsaknas {i}"'
        elif i % 13 == 0:
            comment = "Bra, tack"
        lines.append(";".join([str(i + 1), ["Kvinna", "Man"][i % 2],
                               areas[int(rng.integers(len(areas)))],
                               answers[int(rng.integers(len(answers)))], comment]))
    text = newline.join(lines) + tail
    data = text.encode("utf-8")
    return (b"\xef\xbb\xbf" + data) if bom else data


def _both(tmp_path, data: bytes, monkeypatch, name: str = "export.csv", **kw):
    path = tmp_path / name
    path.write_bytes(data)
    taken = []
    fast_reader = load._read_csv_utf8

    def spy(*args, **kwargs):
        out = fast_reader(*args, **kwargs)
        taken.append(out is not None)
        return out

    monkeypatch.setattr(load, "_read_csv_utf8", spy)
    fast = load.read_export(path, **kw)
    monkeypatch.setattr(load, "_read_csv_utf8", lambda *a, **k: None)
    careful = load.read_export(path, **kw)
    return fast, careful, taken[0]


def _assert_same(a, b):
    assert a.headers == b.headers
    pd.testing.assert_frame_equal(a.frame, b.frame, check_exact=True)
    assert np.array_equal(a.source_rows, b.source_rows)
    assert a.info == b.info
    assert a.bad_rows == b.bad_rows
    assert a.warnings == b.warnings


@pytest.mark.parametrize("newline", ["\r\n", "\n"])
def test_a_large_export_reads_the_same_both_ways(tmp_path, monkeypatch, newline):
    # Larger than the decoded head (4 MB, made 64 kB here): the header is found in the
    # head only.
    monkeypatch.setattr(load, "_HEAD_BYTES", 1 << 16)
    data = _export(20_000, newline=newline)
    assert len(data) > 10 * load._HEAD_BYTES
    fast, careful, taken = _both(tmp_path, data, monkeypatch)
    assert taken
    _assert_same(fast, careful)
    # The line break inside a quoted answer is "\n", as the careful reader makes it.
    assert fast.frame[4].str.contains("\n").any()
    assert not fast.frame[4].str.contains("\r").any()


@pytest.mark.parametrize("kw", [{}, {"encoding": "utf-8-sig"}, {"delimiter": ";"},
                                {"header_row": 2}])
def test_a_small_export_with_a_bom_reads_the_same_both_ways(tmp_path, monkeypatch, kw):
    fast, careful, taken = _both(tmp_path, _export(300, bom=True), monkeypatch, **kw)
    assert taken
    _assert_same(fast, careful)
    assert fast.info["encoding"] == "utf-8-sig"


@pytest.mark.parametrize("damage", [
    "lone_cr", "cr_cr_lf", "mojibake", "lost_letters", "nul", "double_bom", "ragged",
    "cp1252", "utf16"])
def test_exports_the_fast_path_declines_are_read_carefully(tmp_path, monkeypatch, damage):
    data = _export(400)
    if damage == "lone_cr":
        data = data.replace(b"\r\n", b"\r")
    elif damage == "cr_cr_lf":
        data = data.replace(b"\r\n", b"\r\r\n")
    elif damage == "mojibake":
        data = data.replace("Kronogården".encode(), "KronogÃ¥rden".encode())
    elif damage == "lost_letters":
        data = data.replace("Kronogården".encode(), "Kronog\ufffdrden".encode())
    elif damage == "nul":
        data = data.replace(b"Bra, tack", b"Bra\x00 tack", 1)
    elif damage == "double_bom":
        data = b"\xef\xbb\xbf\xef\xbb\xbf" + data
    elif damage == "ragged":
        data = data.replace(b"Bra, tack", b"Bra;;;;; tack", 1)
    elif damage == "cp1252":
        data = data.decode("utf-8").replace("–", "-").encode("cp1252")
    else:
        data = data.decode("utf-8").encode("utf-16")
    fast, careful, taken = _both(tmp_path, data, monkeypatch)
    assert not taken
    _assert_same(fast, careful)


def test_qualtrics_three_header_rows_read_the_same_both_ways(tmp_path, monkeypatch):
    import_ids = ";".join(f'"{{""ImportId"":""QID{i}""}}"' for i in (1, 2, 3))
    rows = ["Q1;Q2;Q3", "Kön;Bostadsområde;Hur trygg?", import_ids]
    rows += [f"{['Kvinna', 'Man'][i % 2]};Sylte;Ganska trygg" for i in range(50)]
    data = ("\r\n".join(rows) + "\r\n").encode("utf-8")
    fast, careful, taken = _both(tmp_path, data, monkeypatch)
    assert taken
    _assert_same(fast, careful)
    assert fast.names == careful.names
    assert len(fast.frame) == 50
