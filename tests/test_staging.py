"""Publishing a run's files together (``trygghet.render.staging``).

A run's files are staged in hidden, locked folders beside their destinations
and published all or nothing; what a killed run leaves is removed by the next
run into the same folder, and a live run's folder is never touched. The
end-to-end versions (a stage, a report set, SIGTERM and kill -9) are in
``tests/test_faults.py``.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from trygghet.errors import TrygghetError
from trygghet.render import Publication, remove_abandoned, staging
from trygghet.render.staging import ORPHAN_AGE, PREFIX


def hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_publication_moves_every_visible_file_and_removes_what_is_no_longer_made(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    (a / "old.parquet").write_text("gammal")
    (a / "gone.parquet").write_text("ska bort")
    (a / "manifest.json").write_text("gammalt manifest")
    with Publication("test") as run:
        run.stage(a).joinpath("old.parquet").write_text("ny")
        run.stage(a).joinpath("manifest.json").write_text("nytt manifest")
        run.stage(a).joinpath(".hidden.tmp").write_text("not published")
        run.stage(b).joinpath("tabell.xlsx").write_text("bilaga")
        run.remove(a / "gone.parquet")
        order = run.publish(last=[a / "manifest.json"])
    assert order[-1] == a / "manifest.json"
    assert set(order) == {a / "old.parquet", a / "manifest.json", b / "tabell.xlsx"}
    assert (a / "old.parquet").read_text() == "ny" and (b / "tabell.xlsx").read_text() == "bilaga"
    assert (a / "manifest.json").read_text() == "nytt manifest"
    assert not (a / "gone.parquet").exists()
    assert hidden(a) == [] and hidden(b) == []


def test_a_failed_rename_puts_everything_back(tmp_path, monkeypatch):
    """A workbook open in Excel cannot be replaced: the files already moved go back."""
    (tmp_path / "1.parquet").write_text("gammal 1")
    (tmp_path / "3.xlsx").write_text("gammal 3")
    (tmp_path / "m.json").write_text("gammalt manifest")
    replace = os.replace

    def locked(src, dst):   # as on Windows: an open file can be neither moved nor replaced
        if tmp_path / "3.xlsx" in (Path(src), Path(dst)):
            raise PermissionError(errno.EACCES, "in use")
        return replace(src, dst)

    monkeypatch.setattr(os, "replace", locked)
    with pytest.raises(TrygghetError, match="saknar skrivrättighet") as err, \
            Publication("test") as run:
        for name in ("1.parquet", "2.parquet", "3.xlsx", "m.json"):
            run.stage(tmp_path).joinpath(name).write_text("ny")
        run.publish(last=[tmp_path / "m.json"])
    assert err.value.file == str(tmp_path / "3.xlsx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["1.parquet", "3.xlsx", "m.json"]
    assert (tmp_path / "1.parquet").read_text() == "gammal 1"
    assert (tmp_path / "m.json").read_text() == "gammalt manifest"


def test_leaving_without_publishing_leaves_nothing(tmp_path):
    out = tmp_path / "ny" / "mapp"
    with pytest.raises(TrygghetError) as err, Publication("test") as run:
        stage = run.stage(out)
        (stage / "a.csv").write_text("x")
        raise TrygghetError("fel i en fil", file=stage / "a.csv")
    assert err.value.file == str(out / "a.csv")   # the destination, not the staging folder
    assert not out.exists()                       # created for the run, removed again
    assert (tmp_path / "ny").exists()


def test_an_os_error_names_the_destination_folder(tmp_path):
    with pytest.raises(TrygghetError, match="disken är full") as err, \
            staging(tmp_path, "test"):
        raise OSError(errno.ENOSPC, "No space left on device")
    assert err.value.file == str(tmp_path) and hidden(tmp_path) == []


HOLDER = textwrap.dedent('''\
    import os, sys, time
    from trygghet.render import staging
    with staging(sys.argv[1], "holder") as stage:
        print(stage, flush=True)
        if sys.argv[2] == "die":
            os._exit(9)      # as kill -9: no clean-up
        time.sleep(60)
''')


def _holder(folder: Path, mode: str) -> tuple[subprocess.Popen, Path]:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(folder), mode],
                            stdout=subprocess.PIPE, text=True)
    return proc, Path(proc.stdout.readline().strip())


def test_only_the_staging_folders_of_dead_runs_are_removed(tmp_path):
    live, busy = _holder(tmp_path, "live")
    try:
        dead, stage = _holder(tmp_path, "die")   # (its own start leaves the live one alone)
        dead.wait(timeout=30)
        assert stage.is_dir() and stage.name.startswith(PREFIX) and busy.is_dir()
        old = tmp_path / ".estimates.parquet.abc.tmp"   # an atomic writer's, an hour old
        old.write_text("x")
        os.utime(old, (time.time() - ORPHAN_AGE - 60,) * 2)
        fresh = tmp_path / ".responses.parquet.def.tmp"  # perhaps another run's, being written
        fresh.write_text("x")
        assert set(remove_abandoned(tmp_path)) == {stage, old}
        with staging(tmp_path, "mine") as mine:
            assert remove_abandoned(tmp_path) == []   # neither this run's nor the live one's
            assert mine.is_dir()
        assert busy.is_dir() and fresh.exists()
    finally:
        live.kill()
        live.wait()
    assert remove_abandoned(tmp_path) == [busy]   # its process is gone now
