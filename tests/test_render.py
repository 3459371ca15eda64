"""Rendering: papermill → HTML (own template) → PDF/UA, atomically.

One notebook is executed once for the module (``rendered``); most tests read
its outputs. Tests that must execute again (determinism, failure, interrupt)
use notebooks as small as possible.
"""

import io
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from helpers import pdf_structure, write_notebook
from pypdf import PdfReader

from trygghet import render
from trygghet.errors import TrygghetError

v4 = nbformat.v4

SETUP = '''\
import sys
import numpy as np
import pandas as pd
from IPython.display import HTML, Markdown, display
from trygghet import charts, fmt, render, theme

# The kernel must be the interpreter running the tests (the venv's), not a system one.
assert sys.prefix == expected_prefix, (sys.prefix, expected_prefix)
theme.set_theme()
render.document_info(title, subtitle="Resultat från trygghetsmätningen 2020",
                     organisation=["Exempelkommunen", "Lokalpolisområde Exempel"],
                     date="2021-03-31", synthetic=synthetic, language=language)
'''

CHART = '''\
rows = [dict(year=2020, indicator="otrygg_kvall", kind="share", group_var="area", group=g,
             n=n, estimate=e, se=0.03, ci_low=e - 0.06, ci_high=e + 0.06, ci_method="logit",
             estimate_type="weighted", generalisable=True, suppressed=False,
             suppression_reason="", symbol="")
        for g, n, e in [("Centrum", 120, 0.18), ("Sylte", 90, 0.31), ("Lextorp", 150, 0.12)]]
rows.append(dict(rows[0], group="Sjuntorp", n=pd.NA, estimate=np.nan, se=np.nan,
                 ci_low=np.nan, ci_high=np.nan, suppressed=True,
                 suppression_reason="disclosure", symbol=".."))
estimates = pd.DataFrame(rows)
charts.show(charts.by_area(estimates, year=2020))
print("debug output that must not reach the report")
'''

TABLE = '''\
display(HTML("<table><caption>Andel per område</caption><thead><tr><th scope='col'>Område"
             "</th><th scope='col'>Andel</th></tr></thead><tbody><tr><th scope='row'>Centrum"
             f"</th><td>{fmt.percent(0.18)}</td></tr></tbody></table>"))
'''


def report_notebook(folder: Path) -> Path:
    return write_notebook(folder / "rapport.ipynb", [
        v4.new_code_cell(SETUP),
        v4.new_markdown_cell("## Sammanfattning\n\nDet här är en **testrapport**."),
        v4.new_markdown_cell("## Resultat per område\n\n### Otrygghet"),
        v4.new_code_cell(CHART),
        v4.new_markdown_cell("## Tabeller"),
        v4.new_code_cell(TABLE),
    ], parameters=('title = "Testrapport"  # report title\n'
                   'language = "sv"  # sv | en\n'
                   'synthetic = True  # synthetic data notice\n'
                   'expected_prefix = ""  # the venv'))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    folder = tmp_path_factory.mktemp("render")
    notebook = report_notebook(folder)
    result = render.render_notebook(
        notebook, folder / "out", "rapport_2020",
        {"title": "Trygghetsrapport 2020", "expected_prefix": sys.prefix},
        formats=("ipynb", "html", "pdf"), timeout=120)
    print("render timings (s):", {k: round(v, 2) for k, v in result.timings.items()})
    html = result.files["html"].read_text(encoding="utf-8")
    return {"folder": folder, "notebook": notebook, "result": result, "html": html,
            "soup": BeautifulSoup(html, "html.parser"),
            "pdf": PdfReader(result.files["pdf"])}


# --- Files ------------------------------------------------------------------------------------

def test_render_writes_exactly_the_requested_files(rendered):
    out = rendered["folder"] / "out"
    assert sorted(p.name for p in out.iterdir()) == \
        ["rapport_2020.html", "rapport_2020.ipynb", "rapport_2020.pdf"]
    assert set(rendered["result"].timings) == {"execute", "html", "pdf"}


def test_notebook_parameters_are_read_from_the_tagged_cell(rendered):
    params = render.notebook_parameters(rendered["notebook"])
    assert set(params) == {"title", "language", "synthetic", "expected_prefix"}


# --- HTML -------------------------------------------------------------------------------

def test_html_loads_nothing_remote(rendered):
    soup, html = rendered["soup"], rendered["html"]
    assert not soup.find("script") and not soup.find("link")
    for tag in soup.find_all(src=True):
        assert tag["src"].startswith("data:")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html)
    assert "require.js" not in html and "MathJax" not in html


def test_html_is_accessible(rendered):
    soup = rendered["soup"]
    assert soup.html["lang"] == "sv"
    assert soup.title.get_text() == "Trygghetsrapport 2020"
    assert len(soup.find_all("h1")) == 1
    levels = [int(h.name[1]) for h in soup.find_all(re.compile(r"^h[1-6]$"))]
    assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False))
    images = soup.find_all("img")
    assert images
    for img in images:
        assert img.get("alt", "").strip()
        assert img["src"].startswith("data:image/svg+xml;base64,")
    assert "Sjuntorp redovisas inte" in images[0]["alt"]
    table = soup.find("main").find("table")
    assert table.find("caption") and table.find("th")


def test_html_has_no_code_and_no_stray_output(rendered):
    html, soup = rendered["html"], rendered["soup"]
    assert "In [" not in html and "In&nbsp;[" not in html
    for code in ("import ", "charts.show", "render.document_info", "expected_prefix",
                 "debug output", "<Axes"):
        assert code not in soup.get_text(), code
    assert not soup.find("pre") and not soup.find("code")


def test_html_has_cover_contents_and_synthetic_notice(rendered):
    soup = rendered["soup"]
    cover = soup.find("header", class_="cover")
    assert cover.find("h1").get_text() == "Trygghetsrapport 2020"
    assert "Syntetiska exempeldata" in cover.get_text()
    assert "31\u00a0mars 2021" in cover.get_text()
    assert "Syntetiska exempeldata" in soup.find("footer").get_text()
    toc = [a.get_text() for a in soup.find("nav", class_="toc").find_all("a")]
    assert toc == ["Sammanfattning", "Resultat per område", "Tabeller"]
    for a in soup.find("nav", class_="toc").find_all("a"):
        assert soup.find(id=a["href"][1:]).name == "h2"


def test_html_render_is_identical_across_runs(rendered, tmp_path):
    again = render.render_notebook(
        rendered["notebook"], tmp_path, "rapport_2020",
        {"title": "Trygghetsrapport 2020", "expected_prefix": sys.prefix}, formats=("html",))
    assert again.files["html"].read_text(encoding="utf-8") == rendered["html"]
    assert render.to_html(rendered["result"].files["ipynb"]) == rendered["html"]


# --- PDF ---------------------------------------------------------------------------------

def test_pdf_is_a4_tagged_and_titled(rendered):
    pdf = rendered["pdf"]
    for page in pdf.pages:
        box = page.mediabox
        assert round(float(box.width)) == 595 and round(float(box.height)) == 842
    root = pdf.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert root["/MarkInfo"]["/Marked"]
    assert root["/Lang"] == "sv"
    assert pdf.metadata.title == "Trygghetsrapport 2020"
    figures = list(pdf_structure(root["/StructTreeRoot"], "/Figure"))
    assert figures and all(str(f.get("/Alt", "")).strip() for f in figures)
    assert pdf.outline  # bookmarks from the headings


def test_pdf_has_cover_contents_page_numbers_and_no_code(rendered):
    pages = [p.extract_text() for p in rendered["pdf"].pages]
    assert "Trygghetsrapport 2020" in pages[0]
    assert "Syntetiska exempeldata" in pages[0]
    assert "Sida 1 av" in pages[0]
    n = len(pages)
    assert all(f"Sida {i} av {n}" in text for i, text in enumerate(pages, start=1))
    assert all("Syntetiska exempeldata" in text for text in pages)   # footer, every page
    contents = pages[1]
    assert "Innehåll" in contents
    assert re.search(r"Sammanfattning[ .]*\d", contents)              # leader and page number
    text = "\n".join(pages)
    assert "import " not in text and "charts.show" not in text


def _fonts(resources, seen):
    """Every font dictionary reachable from a resource dictionary (XObjects included)."""
    resources = resources.get_object() if resources is not None else {}
    for font in (resources.get("/Font") or {}).values():
        yield font.get_object()
    for xobject in (resources.get("/XObject") or {}).values():
        xobject = xobject.get_object()
        if id(xobject) not in seen:
            seen.add(id(xobject))
            yield from _fonts(xobject.get("/Resources"), seen)
    for pattern in (resources.get("/Pattern") or {}).values():
        pattern = pattern.get_object()
        if id(pattern) not in seen:
            seen.add(id(pattern))
            yield from _fonts(pattern.get("/Resources"), seen)


def test_pdf_fonts_are_embedded(rendered):
    fonts = [f for page in rendered["pdf"].pages for f in _fonts(page.get("/Resources"), set())]
    assert fonts
    for font in fonts:
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"] \
            if font["/Subtype"] == "/Type0" else font["/FontDescriptor"]
        descriptor = descriptor.get_object()
        assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), font


def test_pdf_is_identical_with_source_date_epoch(rendered, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1617148800")  # 2021-03-31
    one = render.to_pdf(rendered["html"])
    two = render.to_pdf(rendered["html"])
    assert one == two
    created = PdfReader(io.BytesIO(one)).metadata.creation_date
    assert created.isoformat().startswith("2021-03-31T00:00:00")


def _preload_threads():
    import threading

    return [t for t in threading.enumerate() if t.name == "trygghet-preload"]


def test_publishing_warm_up_ends_with_the_render(rendered):
    # The HTML and PDF steps' start-up runs in a thread beside the kernel; it is joined
    # before render_notebook returns (a process forked while it imports would hang), and
    # the warm-ups can run again (a later render in the same process) without effect.
    assert _preload_threads() == []
    render.html.warm_up()
    render.pdf.warm_up()
    assert render.to_html(rendered["folder"] / "out" / "rapport_2020.ipynb") == \
        rendered["html"]


# --- Failures ----------------------------------------------------------------------------------

def test_failing_cell_names_notebook_and_cell_and_leaves_nothing(tmp_path, monkeypatch):
    # As in a fresh process: the publishing warm-up thread starts with this run.
    monkeypatch.setattr(render.batch, "_WARMED", False)
    notebook = write_notebook(tmp_path / "trasig.ipynb", [
        v4.new_markdown_cell("## Rubrik"),
        v4.new_code_cell("import math\n\nmath.sqrt(-x)"),
    ], parameters="x = 1")
    out = tmp_path / "reports"
    out.mkdir()
    (out / "trasig.html").write_text("förra årets rapport", encoding="utf-8")
    with pytest.raises(render.NotebookError) as caught:
        render.render_notebook(notebook, out, "trasig", {"x": 2})
    assert _preload_threads() == []  # a failed run leaves no thread behind either
    err = caught.value
    assert isinstance(err, TrygghetError)
    assert err.cell == 3 and err.first_line == "import math" and err.ename == "ValueError"
    message = str(err)
    assert "trasig.ipynb" in message and "cell 3" in message
    assert "math.sqrt(-x)" in message and "math domain error" in message
    # The previous report is intact and nothing else is there, not even a temp folder.
    assert [p.name for p in out.iterdir()] == ["trasig.html"]
    assert (out / "trasig.html").read_text(encoding="utf-8") == "förra årets rapport"
    # An output folder created for the run is removed again.
    with pytest.raises(render.NotebookError):
        render.render_notebook(notebook, tmp_path / "ny", "trasig", {"x": 2})
    assert not (tmp_path / "ny").exists()


def test_unknown_parameter_and_missing_notebook(tmp_path):
    notebook = write_notebook(tmp_path / "nb.ipynb", [], parameters="year = 2020")
    with pytest.raises(TrygghetError, match="okänd parameter 'yaer'"):
        render.execute_notebook(notebook, tmp_path / "out.ipynb", {"yaer": 2021})
    with pytest.raises(TrygghetError, match="finns inte"):
        render.execute_notebook(tmp_path / "saknas.ipynb", tmp_path / "out.ipynb")
    with pytest.raises(TrygghetError, match="format"):
        render.render_notebook(notebook, tmp_path, "x", formats=("docx",))


def _node(cells):
    nb = v4.new_notebook(cells=cells)
    return nb


def test_image_without_alt_text_is_refused():
    output = v4.new_output("display_data", data={"image/png": "iVBORw0KGgo="})
    cell = v4.new_code_cell("plt.show()", outputs=[output])
    with pytest.raises(TrygghetError, match="alternativtext"):
        render.to_html(_node([v4.new_markdown_cell("## A"), cell]))


def test_remote_resources_are_refused():
    md = v4.new_markdown_cell("## A\n\n![logga](https://example.com/logo.png)")
    with pytest.raises(TrygghetError, match="extern"):
        render.to_html(_node([md]))
    raw = v4.new_raw_cell('<script src="https://cdn.example.com/x.js"></script>',
                          metadata={"raw_mimetype": "text/html"})
    with pytest.raises(TrygghetError, match="skript"):
        render.to_html(_node([raw]))


def test_title_from_markdown_when_no_document_info():
    nb = _node([v4.new_markdown_cell("# Min rapport\n\nInledning."),
                v4.new_markdown_cell("## Del ett\n\n# Felaktig nivå")])
    soup = BeautifulSoup(render.to_html(nb, language="en"), "html.parser")
    assert soup.html["lang"] == "en"
    assert [h.get_text() for h in soup.find_all("h1")] == ["Min rapport"]
    assert soup.find("nav", class_="toc").find("h2").get_text() == "Contents"
    assert "Synthetic" not in soup.get_text()


def test_page_numbers_in_english():
    nb = _node([v4.new_markdown_cell("# Report\n\n## Part")])
    html = render.to_html(nb, language="en")
    text = PdfReader(io.BytesIO(render.to_pdf(html))).pages[0].extract_text()
    assert "Page 1 of" in text


# --- Interrupts --------------------------------------------------------------------------

# The driver widens the window in which the interrupt's aftermath shows (see
# render.execute._DropKernelAftermath): after the kernel is stopped, its clean-up
# waits longer than nbclient's 1-second check that the kernel is alive, so
# the abandoned cell always finds its kernel dead.
DRIVER = textwrap.dedent('''\
    import asyncio, sys
    from jupyter_client.manager import AsyncKernelManager
    from trygghet import render

    cleanup = AsyncKernelManager._async_cleanup_resources

    async def slow_cleanup(self, *args, **kwargs):
        await asyncio.sleep(1.5)
        return await cleanup(self, *args, **kwargs)

    AsyncKernelManager._async_cleanup_resources = slow_cleanup
    try:
        render.render_notebook(sys.argv[1], sys.argv[2], "rapport", {"pidfile": sys.argv[3]})
    except KeyboardInterrupt:
        sys.exit(130)
''')


@pytest.mark.slow
@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupt_leaves_previous_reports_and_no_partial_files(tmp_path, signum):
    notebook = write_notebook(tmp_path / "lang.ipynb", [
        v4.new_code_cell("import os, time\nopen(pidfile, 'w').write(str(os.getpid()))\n"
                         "time.sleep(60)"),
    ], parameters='pidfile = ""')
    out = tmp_path / "reports"
    out.mkdir()
    (out / "rapport.pdf").write_bytes(b"%PDF old")
    pidfile = tmp_path / "kernel.pid"
    proc = subprocess.Popen([sys.executable, "-c", DRIVER, str(notebook), str(out),
                             str(pidfile)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            # a background job may have SIGINT ignored: restore the default
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while not (pidfile.exists() and pidfile.read_text()):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the kernel never started"
        time.sleep(0.1)
    kernel = int(pidfile.read_text())
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "Traceback" not in err.decode() and "Kernel died" not in err.decode(), err
    assert [p.name for p in out.iterdir()] == ["rapport.pdf"]
    assert (out / "rapport.pdf").read_bytes() == b"%PDF old"
    # The kernel went with it.
    for _ in range(50):
        try:
            os.kill(kernel, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(kernel, signal.SIGKILL)
        pytest.fail("the kernel outlived the interrupted render")


# An interrupt's aftermath depends on timing (see render.execute._DropKernelAftermath):
# this reproduces both messages it can leave, deterministically, next to an
# unrelated asyncio error that must still get through.
AFTERMATH = textwrap.dedent('''\
    import asyncio, gc, logging, sys
    from nbclient.exceptions import DeadKernelError
    from trygghet.render import execute
    if sys.argv[1] == "quiet":
        execute._quiet_kernel_aftermath()
        execute._quiet_kernel_aftermath()   # twice: one filter, not two

    class NotebookClient:
        async def async_execute_cell(self):
            raise DeadKernelError("Kernel died")

    async def other():
        raise ValueError("ett annat fel")

    loop = asyncio.new_event_loop()
    for coro in (NotebookClient().async_execute_cell(), other()):
        task = loop.create_task(coro)
        loop.run_until_complete(asyncio.wait([task]))
        del task   # never retrieved: asyncio logs it when the task is collected
        gc.collect()
    logging.getLogger("papermill").error("Kernel died while waiting for execute reply.")
    print(len(logging.getLogger("asyncio").filters), file=sys.stderr)
''')


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["quiet", "default"])
def test_kernel_aftermath_is_dropped_and_nothing_else(mode):
    err = subprocess.run([sys.executable, "-c", AFTERMATH, mode], capture_output=True,
                         text=True, check=True).stderr
    assert "ett annat fel" in err
    dropped = ["DeadKernelError", "Kernel died while waiting"]
    if mode == "quiet":
        assert not any(d in err for d in dropped), err
        assert err.rstrip().endswith("1")
    else:
        # The reproduction does produce the noise the filter is there for.
        assert all(d in err for d in dropped), err
