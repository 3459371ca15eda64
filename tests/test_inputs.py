"""Opening user files: regular files of a bounded size, or one message."""

import os

import pytest

from trygghet import inputs
from trygghet.errors import TrygghetError
from trygghet.inputs import check_input_file, read_input_bytes


def test_a_regular_file_within_the_limit_is_read(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(b"x" * 100)
    assert read_input_bytes(path, limit=100) == b"x" * 100
    assert check_input_file(path, limit=100).st_size == 100


def test_one_byte_over_the_limit_is_refused_with_both_sizes(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(b"x" * 2049)
    with pytest.raises(TrygghetError) as err:
        read_input_bytes(path, limit=2048, too_large="ta en mindre fil")
    assert err.value.message == "filen är för stor (2\u00a0049 byte; gränsen är 2\u00a0048 byte)"
    assert err.value.hint == "ta en mindre fil" and err.value.file == str(path)


@pytest.mark.parametrize(("make", "message"), [
    (os.mkfifo, "namngiven pipe"),
    (lambda p: p.symlink_to("/dev/zero"), "enhetsfil"),
    (lambda p: p.symlink_to("/dev/urandom"), "enhetsfil"),
    (lambda p: p.mkdir(), "är en mapp"),
    (lambda p: p.symlink_to(p.parent / "saknas"), "länken pekar på en fil som inte finns"),
    (lambda p: p.symlink_to(p), "slinga"),
    (lambda p: None, "filen finns inte"),
])
def test_what_is_not_a_regular_file_is_refused_before_it_is_opened(tmp_path, make, message):
    path = tmp_path / "in.csv"
    make(path)
    with pytest.raises(TrygghetError, match=message) as err:
        read_input_bytes(path, limit=1 << 20, hint="kontrollera --input")
    assert err.value.file == str(path)


def test_sizes_are_given_in_swedish_units(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(b"x" * (3 << 19))  # 1,5 MB
    with pytest.raises(TrygghetError, match=r"för stor \(1,5 MB; gränsen är 1 MB\)"):
        read_input_bytes(path, limit=1 << 20)


def test_a_socket_is_not_a_file(tmp_path):
    import socket

    path = tmp_path / "s"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(path))
        with pytest.raises(TrygghetError, match="en socket"):
            check_input_file(path, limit=10)


def test_the_export_limit_can_be_raised_but_not_garbled(monkeypatch):
    monkeypatch.delenv(inputs.LIMIT_ENV, raising=False)
    assert inputs.export_limit() == inputs.MAX_EXPORT_BYTES == 1 << 30
    monkeypatch.setenv(inputs.LIMIT_ENV, "4096")
    assert inputs.export_limit() == 4096 << 20
    for bad in ("0", "-1", "1,5", "stor"):
        monkeypatch.setenv(inputs.LIMIT_ENV, bad)
        with pytest.raises(TrygghetError, match="ogiltig storleksgräns") as err:
            inputs.export_limit()
        assert err.value.column == inputs.LIMIT_ENV
