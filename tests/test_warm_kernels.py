"""Warm kernels (issue 19): forked from a zygote, yet every report as from a fresh kernel.

A kernel forked from :mod:`trygghet.render.warm`'s zygote must give the same
executed notebook, byte for byte, as a kernel started afresh; no state may
pass from one notebook to the next; no kernel or zygote may outlive its run;
and a police region rendered in one run (``trygghet report --root A --root B``)
must give each workspace exactly the files a run of its own gives.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from helpers import sample_env

from trygghet.render import execute_notebook, warm

pytestmark = pytest.mark.skipif(not warm.supported(), reason="warm kernels need fork()")

CELLS = [
    "import os, warnings\nimport matplotlib\nimport matplotlib.pyplot as plt\nimport pandas as pd",
    "leaked = globals().get('LEAK', 'none')\n"
    "print('leak:', leaked, matplotlib.rcParams['lines.linewidth'])",
    "LEAK = 'set'\nmatplotlib.rcParams['lines.linewidth'] = 7\nwarnings.warn('visas en gång')",
    "fig, ax = plt.subplots(figsize=(2, 1))\nax.plot([1, 3, 2])\nplt.show()",
    "pd.DataFrame({'a': [1, 2]})",
    "print(os.getcwd().endswith('nb'), os.environ.get('WARM_TEST'))",
]


def _notebook(folder: Path) -> Path:
    cells = [{"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {},
              "outputs": [], "source": src} for i, src in enumerate(CELLS)]
    nb = {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "language": "python",
                                                      "display_name": "Python 3"}},
          "nbformat": 4, "nbformat_minor": 5}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "test.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def _run(nb: Path, out: Path, forked: list) -> bytes:
    original = warm.launch

    def spy(*args, **kwargs):
        kernel = original(*args, **kwargs)
        forked.append(kernel)
        return kernel

    warm.launch = spy
    try:
        # (started here, not in the fixture: pytest changes PYTEST_CURRENT_TEST between
        # a fixture and its test, and a zygote serves only its own environment)
        warm.start()
        execute_notebook(nb, out, cwd=nb.parent)
    finally:
        warm.launch = original
    # A warning names the kernel's temporary folder, which holds its process id: a
    # different number in every kernel, forked or not.
    return re.sub(rb"ipykernel_\d+", b"ipykernel_N", out.read_bytes())


@pytest.fixture
def zygote(monkeypatch):
    monkeypatch.setenv("WARM_TEST", "ja")
    monkeypatch.delenv("TRYGGHET_WARM_KERNELS", raising=False)
    warm.stop()
    yield
    warm.stop()


def test_a_forked_kernel_gives_the_bytes_of_a_fresh_one(tmp_path, zygote, monkeypatch):
    nb = _notebook(tmp_path / "nb")
    forked: list = []
    first = _run(nb, _out(tmp_path, "warm1"), forked)
    second = _run(nb, _out(tmp_path, "warm2"), forked)
    assert all(k is not None for k in forked) and len(forked) == 2  # both from the zygote
    monkeypatch.setenv("TRYGGHET_WARM_KERNELS", "0")
    cold_forks: list = []
    cold = _run(nb, _out(tmp_path, "cold"), cold_forks)
    assert cold_forks == [None]  # started as jupyter_client starts it
    assert b"image/png" in cold  # (plt.show() through the inline backend)
    assert first == cold
    assert second == cold  # nothing of the first run reached the second


def _out(tmp_path: Path, run: str) -> Path:
    (tmp_path / run).mkdir()
    return tmp_path / run / "out.ipynb"


def test_every_notebook_starts_from_a_fresh_kernel(tmp_path, zygote):
    nb = _notebook(tmp_path / "nb")
    for i in range(2):
        _run(nb, tmp_path / f"run{i}.ipynb", [])
        cells = json.loads((tmp_path / f"run{i}.ipynb").read_text(encoding="utf-8"))["cells"]
        text = "".join("".join(o.get("text", "")) for c in cells for o in c["outputs"])
        # The previous run's global and matplotlib setting are not there; the warning
        # shown once per kernel is shown again; cwd and environment are the run's.
        assert "leak: none 1.5" in text
        assert "visas en gång" in "".join("".join(o.get("text", ""))
                                          for o in cells[2]["outputs"])
        assert "True ja" in text


def test_no_kernel_outlives_its_run_and_the_zygote_takes_its_kernels_along(tmp_path, zygote):
    nb = _notebook(tmp_path / "nb")
    forked: list = []
    _run(nb, tmp_path / "out.ipynb", forked)
    kernel = forked[0]
    assert kernel.wait(timeout=10) is not None  # the run stopped it

    # A kernel still running when its zygote ends is killed with it.
    process = warm.start().proc
    kernel = warm.launch([os.path.realpath(os.sys.executable), "-m", "ipykernel_launcher",
                          "-f", str(tmp_path / "kernel.json")], str(tmp_path), dict(os.environ))
    assert kernel is not None and kernel.poll() is None
    warm.stop()
    assert process.poll() is not None
    kernel.wait(timeout=10)


def test_another_environment_gets_another_zygote(zygote, monkeypatch):
    first = warm.start()
    assert first.matches(os.environ)
    monkeypatch.setenv("WARM_TEST", "annat")
    assert not first.matches(os.environ)
    again = warm.start()
    assert again is not first and again.matches(os.environ)
    assert first.proc.wait(timeout=10) is not None


@pytest.mark.slow
def test_a_region_in_one_run_gives_each_workspace_its_own_single_run_files(
        sample_run, tmp_path, monkeypatch):
    """``trygghet report --root A --root B``: one pool, warm kernels, and for each
    workspace the very bytes of the single run of the sample (the ``sample_run``)."""
    from trygghet.cli import main

    sample_env(monkeypatch)
    roots = []
    for name in ("a", "b"):
        root = tmp_path / name
        shutil.copytree(sample_run, root, ignore=shutil.ignore_patterns("reports"))
        roots.append(root)
    args = [a for r in roots for a in ("--root", str(r))]
    assert main(["report", "--year", "2020", *args, "--jobs", "2"]) == 0
    single = sample_run / "reports" / "2020"
    # The single run's kernels were forked warm too: the survey report once more with a
    # kernel started afresh gives the same bytes.
    from trygghet.config import Project
    from trygghet.pipeline import SURVEY_NOTEBOOK
    from trygghet.render import render_notebook

    monkeypatch.setenv("TRYGGHET_WARM_KERNELS", "0")
    cold = render_notebook(Project(sample_run).notebook(SURVEY_NOTEBOOK), tmp_path / "cold",
                           "trygghetsrapport_2020", {"year": 2020}, ("ipynb", "html", "pdf"),
                           cwd=sample_run)
    for kind, path in cold.files.items():
        assert path.read_bytes() == (single / path.name).read_bytes(), kind
    for root in roots:
        written = sorted(p.relative_to(root / "reports" / "2020")
                         for p in (root / "reports" / "2020").rglob("*") if p.is_file())
        assert written
        for rel in written:
            got = (root / "reports" / "2020" / rel).read_bytes()
            assert got == (single / rel).read_bytes(), rel
