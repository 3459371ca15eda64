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
from helpers import NOTEBOOKS, SAMPLE_EPOCH, SAMPLE_KEY, write_notebook

from trygghet.cli import main

YEAR = "2020"
v4 = nbformat.v4


@pytest.fixture
def project(sample_run, tmp_path) -> Path:
    """A copy of the rendered sample; modification times kept, so nothing is stale. The
    toolkit's notebooks are copied in as the workspace's own, for the tests to break."""
    root = tmp_path / "projekt"
    for part in ("config", "data", "reports"):
        shutil.copytree(sample_run / part, root / part)
    shutil.copytree(NOTEBOOKS, root / "notebooks")
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
    """Jupyter kernels running in this workspace (their working folder is its root)."""
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


# --- A stage's outputs together or not at all (issue 11) ----------------------------------------

def _appendix_agrees(root: Path) -> None:
    """The Excel appendix shows the interval that estimates.parquet holds (first row)."""
    import openpyxl
    import pandas as pd

    ws = openpyxl.load_workbook(root / "reports" / YEAR / f"tabeller_{YEAR}.xlsx")["Trygghet"]
    indicator, group = ws["B4"].value, ws["D4"].value
    est = pd.read_parquet(root / "data" / "processed" / YEAR / "estimates.parquet")
    row = est[(est["indicator"] == indicator) & (est["group"] == group)
              & est["estimate_type"].eq("weighted")].iloc[0]
    assert ws["I4"].value == pytest.approx(100 * row["ci_low"], abs=1e-9)
    assert ws["J4"].value == pytest.approx(100 * row["ci_high"], abs=1e-9)


@pytest.mark.parametrize("fault", ["full-disk", "open-in-excel"])
def test_estimate_that_cannot_write_the_appendix_publishes_nothing(project, env, monkeypatch,
                                                                    capsys, fault):
    """Changed settings, then the appendix cannot be written (no room; on Windows the workbook
    is open in Excel): estimates.parquet must not be replaced either, and the next report
    run must make both again, so that the report and the appendix agree."""
    _tiny_notebooks(project)
    settings = project / "config" / "trygghet.yml"
    settings.write_text(settings.read_text(encoding="utf-8").replace(
        "ci_method: wilson", "ci_method: logit"), encoding="utf-8")
    before = snapshot(project)
    xlsx = project / "reports" / YEAR / f"tabeller_{YEAR}.xlsx"
    with monkeypatch.context() as m:
        if fault == "full-disk":
            original = pathlib.Path.write_bytes

            def write_bytes(self, *args, **kwargs):
                if ".xlsx" in self.name:
                    _full()
                return original(self, *args, **kwargs)

            m.setattr(pathlib.Path, "write_bytes", write_bytes)
        else:
            replace = os.replace

            def locked(src, dst, *args, **kwargs):
                if xlsx in (Path(src), Path(dst)):
                    raise PermissionError(errno.EACCES, "The process cannot access the file "
                                          "because it is being used by another process")
                return replace(src, dst, *args, **kwargs)

            m.setattr(os, "replace", locked)
        status, err = _run(capsys, "--root", str(project), "estimate", "--year", YEAR)
    assert status == 2
    assert f"reports/{YEAR}/tabeller_{YEAR}.xlsx" in err and ".tmp" not in err, err
    assert ("disken är full" if fault == "full-disk" else "saknar skrivrättighet") in err
    assert snapshot(project) == before and leftovers(project) == []
    # The next report notices that the settings changed and makes both again.
    assert main(["--root", str(project), "report", "--year", YEAR, "--format", "html",
                 "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert f"{YEAR}: skattar (config/trygghet.yml har ändrats)" in out
    _appendix_agrees(project)
    assert xlsx.read_bytes() != before[f"reports/{YEAR}/tabeller_{YEAR}.xlsx"]
    assert leftovers(project) == []


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


@pytest.mark.parametrize("name, damage", [
    ("estimates.parquet", "truncated"),
    ("changes.parquet", "empty"),
    ("responses.parquet", "truncated"),
    ("weights.parquet", "empty"),
    ("estimates.parquet", "another year's"),   # valid parquet: used silently before
    ("manifest_estimate.json", "deleted"),     # as a run killed while publishing leaves it
])
def test_damaged_stage_output_is_noticed_and_made_again(project, env, capsys, name, damage):
    _tiny_notebooks(project)
    before = snapshot(project)
    path = project / "data" / "processed" / YEAR / name
    if damage == "truncated":
        _truncate(path)
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "deleted":
        path.unlink()
    else:
        shutil.copy(project / "data" / "processed" / "2019" / name, path)
    status = main(["--root", str(project), "report", "--year", YEAR, "--format", "html",
                   "--jobs", "1"])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert "Traceback" not in err and "ArrowInvalid" not in out + err
    stage = "rensar" if name == "responses.parquet" else "skattar"
    assert f"{YEAR}: {stage} (" in out, out
    after = snapshot(project)
    processed = {k for k in before if k.startswith("data/processed/")}
    assert {k: after[k] for k in processed} == {k: before[k] for k in processed}
    assert leftovers(project) == []


def test_estimate_cleans_again_when_the_cleaned_answers_are_damaged(project, env, capsys):
    before = snapshot(project)
    _truncate(project / "data" / "processed" / YEAR / "responses.parquet")
    status, out = main(["--root", str(project), "estimate", "--year", YEAR]), \
        capsys.readouterr().out
    assert status == 0
    assert "rensade svar är skadade" in out and "rader in" in out
    assert snapshot(project) == before


# --- Killed outright (kill -9): the next run clears up -----------------------------------------

KILLER = textwrap.dedent('''\
    # SIGKILL while the estimation stage writes into its staging folder: no clean-up runs.
    import os, signal, sys
    import pandas as pd
    original = pd.DataFrame.to_parquet
    def writing(self, path, *args, **kwargs):
        if ".trygghet-estimate." in str(path) and "estimates.parquet" in str(path):
            os.kill(os.getpid(), signal.SIGKILL)
        return original(self, path, *args, **kwargs)
    pd.DataFrame.to_parquet = writing
    from trygghet.cli import main
    sys.exit(main(sys.argv[1:]))
''')


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
def test_staging_folder_left_by_kill_9_is_removed_by_the_next_run(project, env):
    before = snapshot(project)
    res = subprocess.run([sys.executable, "-c", KILLER, "--root", str(project), "estimate",
                          "--year", YEAR], capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == -signal.SIGKILL
    left = leftovers(project)
    assert any(".trygghet-estimate." in p for p in left), left
    visible = {k: v for k, v in snapshot(project).items()
               if not any(part.startswith(".") for part in Path(k).parts)}
    assert visible == before                # nothing was published
    res = subprocess.run([sys.executable, "-m", "trygghet.cli", "--root", str(project),
                          "estimate", "--year", YEAR], capture_output=True, text=True,
                         env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    assert leftovers(project) == []
    assert snapshot(project) == before


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
def test_report_run_killed_while_rendering_is_cleared_up(project, env):
    """kill -9 of the whole process group (CLI, workers, kernels) in the middle of the
    renders; the next report run removes the staging folder and publishes the set."""
    _tiny_notebooks(project)
    nb = nbformat.read(project / "notebooks" / "trygghetsrapport.ipynb", as_version=4)
    # The kernel works in the workspace's root.
    nb.cells.append(v4.new_code_cell("import time, pathlib\n"
                                     "pathlib.Path('rendering').touch()\ntime.sleep(60)"))
    nbformat.write(nb, project / "notebooks" / "trygghetsrapport.ipynb")
    proc = subprocess.Popen([sys.executable, "-m", "trygghet.cli", "--root", str(project),
                             "report", "--year", YEAR, "--format", "html"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    while not (project / "rendering").exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the render never started"
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    assert_no_kernels(project)
    assert leftovers(project)            # the killed run could not clear up
    nb.cells.pop()
    nbformat.write(nb, project / "notebooks" / "trygghetsrapport.ipynb")
    assert main(["--root", str(project), "report", "--year", YEAR, "--format", "html",
                 "--jobs", "1"]) == 0
    assert leftovers(project) == []
    assert (project / "reports" / YEAR / f"trygghetsrapport_{YEAR}.html").exists()
