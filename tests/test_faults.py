"""Faults end to end: interrupts, a failing notebook, no room to write.

Each test works on its own copy of the rendered sample (``sample_run`` in
conftest: processed data and last run's reports in place) and runs the real
``trygghet`` command. Whatever goes wrong, the previous reports and processed
files must be byte-identical afterwards, nothing temporary may be left under
``reports/`` or ``data/processed/``, no Jupyter kernel may outlive the run, and
the user gets one Swedish message (status 2) or "avbrutet" (status 130) —
never a traceback.

``tests/test_render.py`` covers one ``render_notebook``; here it is the whole
run: the parallel path (two reports in two worker processes, each with its own
kernel), the sequential one, and the stages before rendering.
"""

from __future__ import annotations

import errno
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import psutil
import pytest
from helpers import SAMPLE_EPOCH, SAMPLE_KEY, write_notebook

from trygghet.cli import main

YEAR = "2020"
v4 = nbformat.v4


@pytest.fixture
def project(sample_run, tmp_path) -> Path:
    """A copy of the rendered sample; modification times kept, so nothing is stale."""
    root = tmp_path / "projekt"
    for part in ("config", "notebooks", "data", "reports"):
        shutil.copytree(sample_run / part, root / part)
    return root


@pytest.fixture
def env(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SAMPLE_EPOCH)
    monkeypatch.setenv("TRYGGHET_PSEUDONYM_KEY", SAMPLE_KEY)
    return {**os.environ}


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes()
            for folder in ("reports", "data/processed")
            for p in sorted((root / folder).rglob("*")) if p.is_file()}


def leftovers(root: Path) -> list[str]:
    """Hidden or temporary files and folders: a staging folder, an atomic writer's file."""
    return sorted(str(p.relative_to(root))
                  for folder in ("reports", "data/processed")
                  for p in (root / folder).rglob("*")
                  if p.name.startswith(".") or p.name.endswith(".tmp"))


def kernels(root: Path) -> list[psutil.Process]:
    """Jupyter kernels running in this project (their working folder is its notebooks/)."""
    found = []
    for proc in psutil.process_iter(["cmdline", "cwd", "status"]):
        try:
            cmdline = " ".join(proc.info["cmdline"] or [])
            if "ipykernel" in cmdline and (proc.info["cwd"] or "").startswith(str(root)) \
                    and proc.info["status"] != psutil.STATUS_ZOMBIE:
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def assert_no_kernels(root: Path, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while kernels(root):
        if time.monotonic() > deadline:
            stray = kernels(root)
            for proc in stray:
                proc.kill()
            pytest.fail(f"kernels outlived the run: {[p.pid for p in stray]}")
        time.sleep(0.2)


def trygghet(root: Path, *args: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "trygghet.cli", "--root", str(root), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        # A background job may have SIGINT ignored: restore the default.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


# --- Interrupted while rendering -------------------------------------------------------------

@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
@pytest.mark.parametrize("signum, jobs, moment", [
    (signal.SIGINT, 2, "kernels"),     # both kernels starting or running
    (signal.SIGTERM, 2, "printing"),   # one report past its kernel (HTML, PDF), one running
    (signal.SIGTERM, 1, "kernels"),
], ids=["SIGINT-parallel", "SIGTERM-parallel", "SIGTERM-sequential"])
def test_interrupted_report_run_leaves_previous_reports(project, env, signum, jobs, moment):
    before = snapshot(project)
    proc = trygghet(project, "report", "--year", YEAR, "--jobs", str(jobs), env=env)
    deadline = time.monotonic() + 180

    def wait(condition, what):
        while not condition():
            if proc.poll() is not None:
                pytest.fail(f"the run ended before {what}:\n" + proc.communicate()[1])
            assert time.monotonic() < deadline, f"never {what}"
            time.sleep(0.1)

    # Wait until every worker has had its kernel: the renders are under way.
    seen: set[int] = set()

    def started() -> bool:
        seen.update(p.pid for p in kernels(project))
        return len(seen) >= jobs

    wait(started, "the renders started")
    if moment == "printing":
        wait(lambda: len(kernels(project)) < jobs, "a notebook finished")
    assert [p for p in (project / "reports" / YEAR).iterdir() if p.name.startswith(".")]
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, (out, err)
    assert "avbrutet" in err and "Traceback" not in err, err
    assert_no_kernels(project)
    assert snapshot(project) == before
    assert leftovers(project) == []


# --- A notebook fails -------------------------------------------------------------------------

def test_failing_notebook_stops_the_run_and_leaves_previous_reports(project, env):
    """The follow-up fails in its third cell while the survey report renders in the other
    worker: that render is stopped too, and neither report is replaced."""
    path = project / "notebooks" / "loftesuppfoljning.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(2, v4.new_code_cell("raise RuntimeError('trasig cell i testet')"))
    nbformat.write(nb, path)
    before = snapshot(project)
    start = time.monotonic()
    proc = trygghet(project, "report", "--year", YEAR, env=env)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 2, (out, err)
    assert "loftesuppfoljning.ipynb" in err and "cell 3" in err, err
    assert "RuntimeError: trasig cell i testet" in err
    assert "Traceback" not in err and err.count("fel:") == 1, err
    assert_no_kernels(project)
    assert snapshot(project) == before
    assert leftovers(project) == []
    print(f"failing run took {time.monotonic() - start:.1f} s")


# --- Interrupted in the stages before rendering -------------------------------------------------

DRIVER = textwrap.dedent('''\
    # SIGTERM arrives while a stage writes its file: right after the atomic writer
    # has written the temporary file, before it is moved into place.
    import os, signal, sys, time
    import pandas as pd
    target = sys.argv[1]
    method = "to_csv" if target.endswith(".csv") else "to_parquet"
    original = getattr(pd.DataFrame, method)
    def writing(self, path, *args, **kwargs):
        result = original(self, path, *args, **kwargs)
        if os.path.basename(str(path)).startswith("." + target + "."):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(30)
        return result
    setattr(pd.DataFrame, method, writing)
    from trygghet.cli import main
    sys.exit(main(sys.argv[2:]))
''')


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
@pytest.mark.parametrize("command, target", [("clean", "responses.parquet"),
                                             ("estimate", "estimates.parquet"),
                                             ("promises", "promises.csv")])
def test_interrupted_stage_leaves_previous_files(project, env, command, target):
    before = snapshot(project)
    res = subprocess.run([sys.executable, "-c", DRIVER, target, "--root", str(project),
                          command, "--year", YEAR], capture_output=True, text=True, env=env,
                         timeout=120)
    assert res.returncode == 130, (res.stdout[-500:], res.stderr)
    assert "avbrutet" in res.stderr and "Traceback" not in res.stderr
    after = snapshot(project)
    assert after[f"data/processed/{YEAR}/{target}"] == before[f"data/processed/{YEAR}/{target}"]
    assert after == before   # what was written before the interrupt is the same data
    assert leftovers(project) == []


# --- No room to write ----------------------------------------------------------------------------

def _tiny_notebooks(root: Path) -> None:
    """Replace the report notebooks by one-cell ones: these tests are about writing."""
    for name, params in (("trygghetsrapport.ipynb", "year = 2020\narea = None"),
                         ("loftesuppfoljning.ipynb", "year = 2020")):
        write_notebook(root / "notebooks" / name, [v4.new_markdown_cell("## Avsnitt\n\nText.")],
                       params)


def _run(capsys, *args) -> tuple[int, str]:
    status = main(list(args))
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("fel:") == 1, err
    return status, err


def _full(*_, **__):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_full_disk_while_cleaning(project, env, monkeypatch, capsys):
    before = snapshot(project)
    monkeypatch.setattr(os, "replace", _full)
    status, err = _run(capsys, "--root", str(project), "clean", "--year", YEAR)
    assert status == 2
    assert "disken är full" in err and f"data/processed/{YEAR}/responses.parquet" in err
    assert snapshot(project) == before and leftovers(project) == []


@pytest.mark.parametrize("where", ["write", "publish"])
def test_full_disk_while_rendering(project, env, monkeypatch, capsys, where):
    _tiny_notebooks(project)
    before = snapshot(project)
    if where == "write":   # the HTML cannot be written into the temporary folder
        original = pathlib.Path.write_text

        def write_text(self, *args, **kwargs):
            if self.suffix == ".html":
                _full()
            return original(self, *args, **kwargs)

        monkeypatch.setattr(pathlib.Path, "write_text", write_text)
    else:                  # the finished files cannot be moved into place
        monkeypatch.setattr(os, "replace", _full)
    status, err = _run(capsys, "--root", str(project), "report", "--year", YEAR,
                       "--jobs", "1", "--format", "html")
    assert status == 2
    assert "disken är full" in err and f"reports/{YEAR}" in err, err
    assert ".tmp" not in err      # names the folder the user knows, not a staging folder
    assert snapshot(project) == before and leftovers(project) == []
    assert_no_kernels(project)


def _read_only(folder: Path) -> bool:
    """Make ``folder`` read-only; False where that does not stop writes (root)."""
    folder.chmod(0o555)
    probe = folder / ".probe"
    try:
        probe.write_text("x")
    except PermissionError:
        return True
    probe.unlink()
    folder.chmod(0o755)
    return False


def test_read_only_reports_folder(project, env, capsys):
    _tiny_notebooks(project)
    folder = project / "reports" / YEAR
    if not _read_only(folder):
        pytest.skip("running as root: chmod does not stop writes (see the file-in-the-way test)")
    try:
        before = snapshot(project)
        status, err = _run(capsys, "--root", str(project), "report", "--year", YEAR,
                           "--format", "html")
        assert status == 2 and "saknar skrivrättighet" in err and f"reports/{YEAR}" in err
        assert snapshot(project) == before
    finally:
        folder.chmod(0o755)


def test_file_in_the_way_of_the_reports_folder(project, env, capsys):
    """reports/2020 is a file, so the folder cannot be created (works as root too)."""
    _tiny_notebooks(project)
    folder = project / "reports" / YEAR
    shutil.rmtree(folder)
    folder.write_text("inte en mapp")
    before = snapshot(project)
    status, err = _run(capsys, "--root", str(project), "report", "--year", YEAR,
                       "--format", "html")
    assert status == 2
    assert "mappen kan inte skapas" in err and f"reports/{YEAR}" in err, err
    assert snapshot(project) == before and leftovers(project) == []


def test_file_in_the_way_of_the_processed_folder(project, env, capsys):
    folder = project / "data" / "processed" / YEAR
    shutil.rmtree(folder)
    folder.write_text("inte en mapp")
    status, err = _run(capsys, "--root", str(project), "clean", "--year", YEAR)
    assert status == 2
    assert "mappen kan inte skapas" in err and f"data/processed/{YEAR}" in err, err
    assert folder.read_text() == "inte en mapp" and leftovers(project) == []
