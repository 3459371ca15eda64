"""Notebook → executed notebook → HTML → A4 PDF, atomically.

The route (measured in ``rendering.md``): papermill executes the report
notebook with its parameters; nbconvert turns the executed notebook into one
self-contained HTML page with trygghet's own template (no code, no prompts, no
scripts, nothing fetched from the network); WeasyPrint prints that page to a
tagged A4 PDF (PDF/UA-1) with a cover, a table of contents with page numbers,
a running header and "Sida N av M" in the footer.

Two halves:

*Inside the notebook* (cheap imports only):

* :func:`document_info` declares the title, date, language and whether the
  data are synthetic. It displays an invisible output of type
  :data:`DOCUMENT_MIME` that :func:`to_html` reads to build the cover, the
  ``lang`` attribute and the "Syntetiska exempeldata" notice.
* :func:`trygghet.charts.show` displays a chart as SVG with its alt text in the
  output metadata; the template writes it into ``<img alt="…">``.

*Outside* (the CLI, tests): :func:`execute_notebook`, :func:`to_html`,
:func:`to_pdf` and :func:`render_notebook`, which runs all three in a
temporary folder and moves the finished files into place only at the end, so
that a failure or an interrupt (Ctrl-C, SIGTERM) leaves the previous reports
as they were and nothing half-written.

Publishing rules enforced by :func:`to_html` (an error, not a warning): every
image has alt text; no ``<script>``, no external stylesheet, no image or font
that is not embedded. Text reaches the report only through markdown cells and
rich outputs (markdown, HTML, SVG); ``print`` output, warnings and bare
``text/plain`` results (``<Axes: …>``) are left out, as are cells tagged
``remove-cell`` and the outputs of cells tagged ``remove-output``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import re
import shutil
import signal
import tempfile
import threading
import time
import unicodedata
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import fmt, vocabulary
from .errors import TrygghetError
from .vocabulary import LANGUAGES, check_language

TEMPLATES = Path(__file__).with_name("templates")
TEMPLATE_NAME = "trygghet"
DOCUMENT_MIME = "application/vnd.trygghet.document+json"
FORMATS = ("ipynb", "html", "pdf")
DEFAULT_KERNEL = "python3"   # ipykernel's own kernel: the interpreter running trygghet
DEFAULT_TIMEOUT = 600        # seconds per cell

# Words of the page furniture, by report language (vocabulary.yml: page.*).
TEXT = {language: vocabulary.words("page", language) for language in LANGUAGES}


# --- Inside the notebook --------------------------------------------------------------

def document_info(title: str, *, subtitle: str | None = None,
                  organisation: str | Iterable[str] | None = None,
                  date: str | dt.date | None = None, synthetic: bool = False,
                  language: str = "sv", running_title: str | None = None,
                  description: str | None = None) -> dict[str, Any]:
    """Declare the report's title page and properties; call once, early in the notebook.

    Displays an output that the HTML template reads (and that renders as
    nothing). Nothing about it is interpolated into markdown: the notebook
    computes the values, e.g. ``synthetic=settings["synthetic_data"]``.

    Parameters
    ----------
    title
        The report's one ``<h1>`` (on the cover) and the PDF's title.
    subtitle
        A line under the title, e.g. "Resultat från trygghetsmätningen 2020".
    organisation
        Publisher line(s) on the cover, e.g. ``["Trollhättans stad",
        "Lokalpolisområde Östra Fyrbodal"]``.
    date
        Publication date (ISO string or date); default today, or the date of
        ``SOURCE_DATE_EPOCH`` when that is set (reproducible builds).
    synthetic
        The data are synthetic: the cover and every page footer say
        "Syntetiska exempeldata".
    language
        ``"sv"`` or ``"en"``: ``<html lang>``, page furniture and dates.
    running_title
        Short title for the page header of the PDF (default ``title``).
    description
        A sentence or two on the cover under the subtitle.

    Returns
    -------
    The information as a dict (also what the output holds).
    """
    check_language(language)
    if date is None:
        date = _today()
    if isinstance(organisation, str):
        organisation = [organisation]
    info = {
        "title": str(title),
        "subtitle": subtitle,
        "organisation": list(organisation or []),
        "date": fmt.date(date, "iso"),
        "synthetic": bool(synthetic),
        "language": language,
        "running_title": running_title or str(title),
        "description": description,
    }
    try:
        from IPython.display import display
    except ImportError:  # pragma: no cover - outside Jupyter there is nothing to display
        return info
    summary = f"Rapport: {info['title']} ({info['date']}, {language})"
    if synthetic:
        summary += " – " + TEXT[language]["synthetic"]
    display({DOCUMENT_MIME: info, "text/plain": summary}, raw=True)
    return info


def _today() -> dt.date:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date()
    return dt.date.today()


# --- Errors -----------------------------------------------------------------------------------

class NotebookError(TrygghetError):
    """A report notebook failed; names the notebook and the cell.

    Attributes
    ----------
    notebook
        Path of the notebook that failed.
    cell
        1-based number of the failing cell in the notebook as written (markdown
        cells counted, papermill's injected parameter cell not), or None.
    first_line
        The first non-empty line of the failing cell's code.
    ename, evalue
        The Python exception raised in the kernel.
    """

    def __init__(self, message: str, *, notebook: str | Path, cell: int | None = None,
                 first_line: str = "", ename: str = "", evalue: str = "",
                 hint: str | None = None):
        super().__init__(message, file=notebook, hint=hint)
        self.notebook = str(notebook)
        self.cell = cell
        self.first_line = first_line
        self.ename = ename
        self.evalue = evalue

    def __reduce__(self):
        # Picklable, so that a worker process (area reports in parallel) can send
        # it back: the default would call __init__ without the keyword arguments.
        return (_rebuild_notebook_error, (self.message, self.notebook), self.__dict__)


def _rebuild_notebook_error(message: str, notebook: str) -> NotebookError:
    return NotebookError(message, notebook=notebook)


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip():
            return line.strip()[:80]
    return ""


_ARROW = re.compile(r"^\s*-+>\s*(\d+)\s(.*)$", re.M)


def _failing_line(traceback: list[str]) -> tuple[int, str] | None:
    """Line number and code of the failing line in the cell (IPython's ``---->``)."""
    # The first frame of an IPython traceback is the cell itself.
    for block in traceback:
        match = _ARROW.search(_ANSI.sub("", block))
        if match:
            return int(match.group(1)), match.group(2).strip()[:80]
    return None


def _cell_error(err, executed: Path | None, notebook: Path) -> NotebookError:
    """A :class:`NotebookError` from papermill's ``PapermillExecutionError``."""
    index = err.cell_index
    tags = []
    if executed is not None and executed.exists():
        import nbformat

        with contextlib.suppress(OSError, ValueError):
            tags = [c.metadata.get("tags", [])
                    for c in nbformat.read(executed, as_version=4).cells]
        # papermill puts an error banner on top of the saved notebook after it
        # has counted the cells; it is not part of the count.
        tags = [t for t in tags if "papermill-error-cell-tag" not in t]
    injected = [i for i, t in enumerate(tags) if "injected-parameters" in t]
    if injected and injected[0] == index:
        cell = None  # the parameter cell papermill wrote
    else:
        # papermill counts its injected cell; the author's notebook has none.
        cell = index + 1 - sum(i < index for i in injected)
    first = _first_line(err.source or "")
    evalue = _ANSI.sub("", str(err.evalue or "")).strip()
    where = "parametercellen" if cell is None else f"cell {cell}"
    details = []
    if first:
        details.append(f"börjar ”{first}”")
    failing = _failing_line(err.traceback or [])
    if failing and failing[1] != first:
        details.append(f"fel på rad {failing[0]}: ”{failing[1]}”")
    message = f"{where} misslyckades"
    if details:
        message += f" ({'; '.join(details)})"
    message += f": {err.ename}: {evalue}" if evalue else f": {err.ename}"
    return NotebookError(message, notebook=notebook, cell=cell, first_line=first,
                         ename=err.ename, evalue=evalue,
                         hint="öppna notebooken i Jupyter och kör cellen för att se felet")


# --- Execute -----------------------------------------------------------------------------

def notebook_parameters(path: str | Path) -> dict[str, dict]:
    """The parameters a notebook declares in its ``parameters``-tagged cell.

    Returns papermill's description of each (``name → {"default", "inferred_type_name",
    "help"}``); empty if the notebook has no parameters cell.
    """
    import papermill as pm

    return dict(pm.inspect_notebook(str(path)))


def execute_notebook(path: str | Path, out_ipynb: str | Path,
                     parameters: Mapping[str, Any] | None = None, *,
                     kernel_name: str = DEFAULT_KERNEL, timeout: float = DEFAULT_TIMEOUT,
                     cwd: str | Path | None = None) -> Path:
    """Execute ``path`` with papermill and write the executed notebook to ``out_ipynb``.

    Parameters
    ----------
    path
        The report notebook (committed without outputs).
    out_ipynb
        Where the executed notebook goes (written by papermill; render into a
        temporary folder — see :func:`render_notebook`).
    parameters
        Values for the notebook's ``parameters`` cell. A name the cell does not
        declare is an error (papermill itself would only log a warning).
    kernel_name
        Jupyter kernel; ``"python3"`` is ipykernel's own kernel, which starts
        the interpreter running trygghet (the venv's), so no kernel needs
        registering.
    timeout
        Seconds any one cell may run before the run is stopped.
    cwd
        Working folder of the kernel; default the notebook's folder, so that
        :meth:`trygghet.config.Project.find` finds the project above it.

    Raises
    ------
    NotebookError
        A cell failed, timed out or the kernel died; names notebook and cell.
    TrygghetError
        The notebook or kernel is missing, or a parameter is unknown.
    """
    import papermill as pm
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError
    from traitlets.config import Config

    path, out_ipynb = Path(path), Path(out_ipynb)
    if not path.is_file():
        raise TrygghetError("notebooken finns inte", file=path)
    parameters = dict(parameters or {})
    if parameters:
        declared = notebook_parameters(path)
        if not declared:
            raise TrygghetError("notebooken saknar en cell taggad 'parameters'", file=path,
                                hint="tagga cellen med standardvärdena 'parameters'")
        unknown = sorted(set(parameters) - set(declared))
        if unknown:
            raise TrygghetError(f"okänd parameter '{unknown[0]}'", file=path,
                                hint=f"notebooken tar: {', '.join(declared)}")
    _quiet_kernel_aftermath()
    config = Config()
    sockets = None
    if os.name == "posix":
        # Local sockets rather than TCP: nothing listens on the network, and
        # ipykernel does not warn about unencrypted TCP on every run. Each run
        # gets its own socket folder: kernels started at the same time (area
        # reports in parallel) would otherwise pick the same socket names.
        sockets = tempfile.mkdtemp(prefix="trygghet-kernel-")
        config.KernelManager.transport = "ipc"
        config.KernelManager.ip = os.path.join(sockets, "kernel")
    managers: list = []
    try:
        pm.execute_notebook(
            str(path), str(out_ipynb), parameters=parameters, kernel_name=kernel_name,
            execution_timeout=timeout, cwd=str(cwd or path.parent), progress_bar=False,
            log_output=False, request_save_on_cell_execute=False, start_timeout=120,
            config=config, kernel_manager_class=_tracked_kernel_manager(managers),
            # Every output is collected once the last cell has run: stop the kernel
            # at once instead of the polite shutdown that waits for it and, when
            # it is slow, interrupts it (and logs "KeyboardInterrupt caught").
            shutdown_kernel="immediate",
        )
    except PapermillExecutionError as err:
        raise _cell_error(err, out_ipynb, path) from None
    except CellTimeoutError as err:
        raise NotebookError(f"en cell körde längre än {fmt.number(timeout)} s och stoppades",
                            notebook=path, hint="höj tidsgränsen eller leta efter en "
                            "oändlig loop") from err
    except DeadKernelError as err:
        raise NotebookError("Python-kärnan dog under körningen (slut på minne?)",
                            notebook=path) from err
    except NoSuchKernel as err:
        raise TrygghetError(f"Jupyter-kärnan '{kernel_name}' finns inte", file=path,
                            hint="installera ipykernel i miljön (make venv)") from err
    finally:
        # An interrupt while the kernel starts escapes nbclient's clean-up: the
        # kernel would live on and, once its socket folder is gone, die with a
        # traceback on the user's terminal. Stop it first.
        for manager in managers:
            _kill_kernel(manager)
        if sockets:
            shutil.rmtree(sockets, ignore_errors=True)
    _reproducible(out_ipynb, path)
    return out_ipynb


class _DropKernelAftermath(logging.Filter):
    """Drop what nbclient's event loop logs after a run was stopped or its kernel died.

    An interrupt (Ctrl-C, or SIGTERM in a render worker) lands in the middle
    of nbclient's event loop. Its clean-up stops the kernel, and the cell
    still waiting for its reply then fails: nbclient logs "Kernel died while
    waiting for execute reply." and, when the abandoned task is collected,
    asyncio prints "Task exception was never retrieved" with a traceback.
    Whether that happens depends on timing. The user has already been told
    ("avbrutet", or :class:`NotebookError` when a kernel really died), so
    neither line adds anything, and a traceback on the terminal reads as a
    crash.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        from nbclient.exceptions import DeadKernelError

        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, DeadKernelError):
            return False
        message = record.getMessage()
        return not (message.startswith("Kernel died while waiting")
                    or (record.name == "asyncio" and "nbclient" in message))


def _quiet_kernel_aftermath() -> None:
    """Install :class:`_DropKernelAftermath` once for this process.

    For good, not for the duration of one run: asyncio logs an unretrieved
    exception when the task is garbage-collected, which may be after the run.
    """
    for name in ("asyncio", "papermill"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _DropKernelAftermath) for f in logger.filters):
            logger.addFilter(_DropKernelAftermath())


def _tracked_kernel_manager(managers: list):
    """A kernel manager class that records each kernel process it launches in ``managers``."""
    from jupyter_client.manager import AsyncKernelManager

    class TrackedKernelManager(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd, **kw):
            await super()._async_launch_kernel(kernel_cmd, **kw)
            managers.append((self, getattr(self.provisioner, "process", None)))

    return TrackedKernelManager


def _kill_kernel(entry) -> None:
    """Kill a kernel process that is still running, and remove its connection file."""
    manager, process = entry
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(OSError):
        process.kill()
    with contextlib.suppress(Exception):
        process.wait(timeout=10)
    with contextlib.suppress(Exception):
        manager.cleanup_connection_file()


#: Per-run metadata papermill writes into the notebook and each cell.
_RUN_KEYS = ("start_time", "end_time", "duration")


def _reproducible(out_ipynb: Path, notebook: Path) -> None:
    """Drop from the executed notebook what differs between runs, and absolute paths.

    papermill records when the notebook and each cell ran and for how long, and
    the absolute paths of the notebook and of its (temporary) output; the
    kernel stamps each cell's messages. None of it belongs in a published
    file: the same inputs must give the same bytes, and a path can name the
    user (``/home/anna.svensson/…``). The paths become file names, and a cell
    papermill added (the injected parameters, with a random id) gets a fixed id.
    """
    import nbformat

    nb = nbformat.read(out_ipynb, as_version=4)
    run = nb.metadata.get("papermill")
    if run is not None:
        for key in _RUN_KEYS:
            run.pop(key, None)
        run["input_path"] = notebook.name
        run["output_path"] = out_ipynb.name
    authored = {c.get("id") for c in nbformat.read(notebook, as_version=4).cells}
    for number, cell in enumerate(nb.cells, start=1):
        cell.metadata.pop("execution", None)
        for key in _RUN_KEYS:
            cell.metadata.get("papermill", {}).pop(key, None)
        if "id" in cell and cell["id"] not in authored:
            cell["id"] = ("injected-parameters"
                          if "injected-parameters" in cell.metadata.get("tags", [])
                          else f"papermill-{number}")
    nbformat.write(nb, out_ipynb)


# --- HTML ------------------------------------------------------------------------------

def _exporter():
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    config = Config()
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = {"remove-cell", "remove_cell"}
    config.TagRemovePreprocessor.remove_all_outputs_tags = {"remove-output", "remove_output"}
    config.TagRemovePreprocessor.remove_input_tags = {"remove-input", "remove_input"}
    return HTMLExporter(
        config=config,
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_anchor_links=True,
        # Only raw cells explicitly marked as HTML reach the page.
        raw_mimetypes=["text/html"],
    )


def _read_notebook(ipynb):
    import nbformat

    if isinstance(ipynb, (str, Path)):
        path = Path(ipynb)
        if not path.is_file():
            raise TrygghetError("notebooken finns inte", file=path)
        return nbformat.read(path, as_version=4), path
    return nbformat.from_dict(ipynb.copy() if hasattr(ipynb, "copy") else ipynb), None


def _take_document_info(nb) -> dict[str, Any]:
    """Remove the :func:`document_info` outputs from ``nb`` and return the last one."""
    info: dict[str, Any] = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if DOCUMENT_MIME in data:
                info = dict(data[DOCUMENT_MIME])
            else:
                kept.append(output)
        cell.outputs = kept
    return info


_IMAGE_MIMES = ("image/svg+xml", "image/png", "image/jpeg")


def _check_alt(nb, name: str) -> None:
    """Every image output must carry alt text (``metadata[mime]["alt"]``)."""
    for number, cell in enumerate(nb.cells, start=1):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if any(m in data for m in ("text/html", "text/markdown")):
                continue  # the image mime is not the one shown
            for mime in _IMAGE_MIMES:
                if mime in data:
                    alt = output.get("metadata", {}).get(mime, {}).get("alt", "")
                    if not str(alt).strip():
                        raise TrygghetError(
                            f"cell {number}: en bild saknar alternativtext", file=name,
                            hint="visa diagram med trygghet.charts.show(ax), som ger alt-text")
                    break


def _slug(text: str, taken: set[str]) -> str:
    base = unicodedata.normalize("NFKD", text.casefold())
    base = "".join(c for c in base if not unicodedata.combining(c))
    base = re.sub(r"[^a-z0-9]+", "-", base).strip("-") or "avsnitt"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def _finish(html: str, words: dict[str, str], name: str) -> str:
    """Headings, table of contents and the no-remote-resources check, on the page."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    main = soup.find("main")
    # One <h1>: the cover's. Headings written as "#" in the notebook move down a
    # level (and the rest with them) so that the outline stays ordered.
    headings = main.find_all(re.compile(r"^h[1-6]$"))
    if any(h.name == "h1" for h in headings):
        for h in headings:
            h.name = f"h{min(int(h.name[1]) + 1, 6)}"
    taken = {tag["id"] for tag in soup.find_all(id=True)}
    entries = []
    for h in main.find_all(re.compile(r"^h[2-3]$")):
        if not h.get("id"):
            h["id"] = _slug(h.get_text(" ", strip=True), taken)
        if h.name == "h2":
            entries.append((h["id"], h.get_text(" ", strip=True)))
    toc = soup.find("nav", id="toc")
    if toc is not None:
        if entries:
            heading = soup.new_tag("h2", id="innehall")
            heading.string = words["contents"]
            toc.append(heading)
            ol = soup.new_tag("ol")
            for target, text in entries:
                li = soup.new_tag("li")
                a = soup.new_tag("a", href=f"#{target}")
                a.string = text
                li.append(a)
                ol.append(li)
            toc.append(ol)
        else:
            toc.decompose()
    _check_published(soup, name)
    return "<!DOCTYPE html>\n" + str(soup).removeprefix("<!DOCTYPE html>").lstrip("\n")


_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)|@import\s+['"]([^'"]+)""", re.I)


def _check_published(soup, name: str) -> None:
    """Refuse a page that would fetch anything or show an image without alt text.

    Hyperlinks (``<a href>``) are fine: following one is the reader's choice.
    """
    if soup.find("script"):
        raise TrygghetError("rapporten innehåller ett skript", file=name,
                            hint="rapporten får inte köra eller hämta något")
    if soup.find("link"):
        raise TrygghetError("rapporten länkar in en extern fil (<link>)", file=name)
    for tag in soup.find_all(["img", "iframe", "video", "audio", "source", "track", "embed",
                              "object", "input", "image", "use"]):
        for attr in ("src", "href", "xlink:href", "data", "srcset", "poster"):
            value = tag.get(attr)
            if value and not str(value).startswith(("data:", "#")):
                raise TrygghetError(f"rapporten hämtar en extern resurs: {value[:80]}",
                                    file=name, hint="bädda in bilder som data i notebooken")
        if tag.name == "img" and not str(tag.get("alt", "")).strip():
            raise TrygghetError("en bild i rapporten saknar alternativtext", file=name,
                                hint="visa diagram med trygghet.charts.show(ax)")
    css = [style.get_text() for style in soup.find_all("style")]
    css += [tag["style"] for tag in soup.find_all(style=True)]
    for text in css:
        for match in _CSS_URL.finditer(text):
            url = match.group(1) or match.group(2)
            if not url.startswith(("data:", "#")):
                raise TrygghetError(f"rapportens CSS hämtar en extern resurs: {url[:80]}",
                                    file=name)


def to_html(ipynb, *, language: str | None = None) -> str:
    """An executed notebook as one self-contained, accessible HTML page.

    Parameters
    ----------
    ipynb
        Path of an executed notebook, or a notebook node.
    language
        Overrides the language of :func:`document_info` (and of a ``language``
        papermill parameter); default ``"sv"``.

    Returns
    -------
    The page: ``<html lang>``, a cover with the single ``<h1>``, a table of
    contents of the ``<h2>`` sections, the notebook's markdown and rich outputs
    without code, charts as ``<img src="data:image/svg+xml;base64,…" alt="…">``,
    and all CSS inline.

    Raises
    ------
    TrygghetError
        An image without alt text, or anything that would load a remote resource.
    """
    nb, path = _read_notebook(ipynb)
    name = str(path) if path else "notebook"
    info = _take_document_info(nb)
    params = nb.metadata.get("papermill", {}).get("parameters", {}) or {}
    language = language or info.get("language") or params.get("language") or "sv"
    check_language(language, file=name)
    if not info.get("title"):
        info["title"] = _title_from_markdown(nb) or (path.stem if path else "Rapport")
        _drop_title_heading(nb, info["title"])
    info.setdefault("running_title", info["title"])
    info.setdefault("organisation", [])
    info["date_long"] = fmt.date(info["date"], "long", language=language) \
        if info.get("date") else None
    _check_alt(nb, name)
    words = TEXT[language]
    resources = {"trygghet": {"info": info, "lang": language, "text": words}}
    body, _ = _exporter().from_notebook_node(nb, resources=resources)
    return _finish(body, words, name)


_H1 = re.compile(r"^\s*#\s+(.+?)\s*#*\s*$", re.M)


def _title_from_markdown(nb) -> str | None:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = _H1.search(cell.source)
            if m:
                return m.group(1)
    return None


def _drop_title_heading(nb, title: str) -> None:
    """Remove the markdown ``# title`` that became the cover's heading."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = _H1.search(cell.source)
            if m and m.group(1) == title:
                cell.source = (cell.source[:m.start()] + cell.source[m.end():]).strip()
                return


# --- PDF -------------------------------------------------------------------------------

def _font_css() -> str:
    """@font-face rules for DejaVu Sans from matplotlib's own copy.

    matplotlib ships the fonts, so the PDF looks the same (and embeds the same
    font) on every machine, whatever the system has installed.
    """
    import matplotlib

    ttf = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    faces = [("DejaVuSans.ttf", 400, "normal"), ("DejaVuSans-Bold.ttf", 700, "normal"),
             ("DejaVuSans-Oblique.ttf", 400, "italic"),
             ("DejaVuSans-BoldOblique.ttf", 700, "italic")]
    # Also under its own name, for the text in the charts' SVG.
    rules = [f"@font-face {{ font-family: '{family}'; src: url('{(ttf / f).as_uri()}'); "
             f"font-weight: {w}; font-style: {s}; }}"
             for family in ("Trygghet Sans", "DejaVu Sans")
             for f, w, s in faces if (ttf / f).exists()]
    rules.append("html, body, table, input, code, pre { font-family: 'Trygghet Sans' !important; }")
    rules.append("@page { font-family: 'Trygghet Sans'; }")
    return "\n".join(rules)


def _url_fetcher():
    """WeasyPrint may read embedded data and matplotlib's fonts; nothing else."""
    import matplotlib
    from weasyprint.urls import URLFetcher

    allowed = Path(matplotlib.get_data_path()).resolve().as_uri()

    class LocalOnly(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:") or url.startswith(allowed):
                return super().fetch(url, headers)
            raise ValueError(f"blocked: {url[:80]}")

    return LocalOnly(fail_on_errors=True)


def _creation_time() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = (dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC) if epoch
              else dt.datetime.now(dt.UTC).replace(microsecond=0))
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class _DropFontNotice(logging.Filter):
    """WeasyPrint logs, on every PDF, that it subsets fonts with fontTools because
    the system lacks libharfbuzz-subset. True, harmless and not the user's business."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "HarfBuzz-Subset" not in record.getMessage()


@contextlib.contextmanager
def _quiet_font_notice() -> Iterator[None]:
    logger = logging.getLogger("weasyprint")
    notice = _DropFontNotice()
    logger.addFilter(notice)
    try:
        yield
    finally:
        logger.removeFilter(notice)


def to_pdf(html: str, path: str | Path | None = None) -> bytes:
    """Print the report HTML to a tagged A4 PDF (PDF/UA-1) with WeasyPrint.

    The print CSS of the template gives the cover, the table of contents with
    page numbers, the running header and "Sida N av M". Fonts are embedded
    (DejaVu Sans, from matplotlib). With ``SOURCE_DATE_EPOCH`` set, the PDF's
    dates come from it and two renders are byte-identical.

    Parameters
    ----------
    html
        A page from :func:`to_html`.
    path
        If given, the PDF is also written there atomically.

    Returns
    -------
    The PDF's bytes.
    """
    with warnings.catch_warnings():
        # Same notice as _DropFontNotice, as a DeprecationWarning on first import.
        warnings.filterwarnings("ignore", message=".*HarfBuzz-Subset", category=DeprecationWarning)
        from weasyprint import CSS, HTML
        from weasyprint.urls import FatalURLFetchingError

    fetcher = _url_fetcher()
    with _quiet_font_notice():
        try:
            document = HTML(string=html, url_fetcher=fetcher).render(
                stylesheets=[CSS(string=_font_css(), url_fetcher=fetcher)])
        except FatalURLFetchingError as err:
            raise TrygghetError(f"PDF:en skulle hämta en extern resurs ({err})") from err
        stamp = _creation_time()
        document.metadata.created = stamp
        document.metadata.modified = stamp
        pdf = document.write_pdf(pdf_variant="pdf/ua-1")
    if path is not None:
        from .writers import atomic_path

        with atomic_path(path) as tmp:
            tmp.write_bytes(pdf)
    return pdf


# --- All of it, atomically ---------------------------------------------------------

@dataclass
class RenderResult:
    """What :func:`render_notebook` wrote, and how long each step took (seconds)."""

    files: dict[str, Path] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt, so that clean-up code runs.

    By default SIGTERM ends Python at once, skipping ``finally`` blocks: the
    temporary folder would stay behind. Only in the main thread, and only if
    nobody else has claimed the signal.
    """
    if threading.current_thread() is not threading.main_thread() \
            or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return

    def handler(signum, frame):
        raise KeyboardInterrupt("SIGTERM")

    signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM for the few renames that publish a report set.

    A signal arriving in between is delivered right after, when the set is
    complete, instead of leaving a new HTML beside an old PDF.
    """
    can_block = hasattr(signal, "pthread_sigmask") and \
        threading.current_thread() is threading.main_thread()
    if can_block:
        old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        if can_block:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)


@contextlib.contextmanager
def staging(outdir: Path, prefix: str) -> Iterator[Path]:
    """A hidden folder inside ``outdir`` to render into before publishing.

    Inside ``outdir`` so that the final :func:`os.replace` is a rename on one
    file system. Afterwards (done, failed or interrupted) the folder is
    removed, and an ``outdir`` this created is removed too if nothing was
    published into it. An OS error (full disk, no permission) becomes one
    message naming ``outdir``.
    """
    from .writers import _os_error

    created = not outdir.exists()
    try:
        outdir.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=prefix, suffix=".tmp", dir=outdir))
    except OSError as err:
        raise _os_error(err, outdir) from err
    try:
        yield stage
    except OSError as err:
        raise _os_error(err, outdir) from err
    finally:
        with _signals_deferred():
            shutil.rmtree(stage, ignore_errors=True)
            if created:
                with contextlib.suppress(OSError):
                    outdir.rmdir()  # only if empty: another process may be using it


def render_notebook(notebook: str | Path, outdir: str | Path, stem: str,
                    parameters: Mapping[str, Any] | None = None,
                    formats: Iterable[str] = ("html", "pdf"), *,
                    kernel_name: str = DEFAULT_KERNEL, timeout: float = DEFAULT_TIMEOUT,
                    cwd: str | Path | None = None) -> RenderResult:
    """Execute a report notebook and write ``outdir/stem.{ipynb,html,pdf}``, all or nothing.

    Everything happens in a hidden temporary folder inside ``outdir``; only
    when every requested file is finished are they moved into place (with
    :func:`os.replace`, signals held). On any failure, Ctrl-C or SIGTERM the
    temporary folder is removed, the files already in ``outdir`` are left as
    they were, and an ``outdir`` created for this run is removed again.
    Separate processes may render different stems into the same ``outdir``
    at the same time.

    Parameters
    ----------
    notebook
        The report notebook.
    outdir
        Destination folder, e.g. ``reports/2020``.
    stem
        File name without suffix, e.g. ``"trygghetsrapport_2020"``.
    parameters
        Papermill parameters, e.g. ``{"year": 2020, "area": "Centrum"}``.
    formats
        Any of ``"ipynb"`` (the executed notebook), ``"html"``, ``"pdf"``.
        The PDF is made from the HTML either way.
    kernel_name, timeout, cwd
        As in :func:`execute_notebook`.

    Returns
    -------
    :class:`RenderResult` with the paths written and the seconds spent in
    ``execute``, ``html`` and ``pdf``.
    """
    formats = tuple(dict.fromkeys(formats))
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise TrygghetError(f"okänt format '{bad[0] if bad else ''}'",
                            hint=f"välj bland {', '.join(FORMATS)}")
    notebook, outdir = Path(notebook), Path(outdir)
    result = RenderResult()
    with sigterm_as_interrupt(), staging(outdir, f".{stem}.") as tmp:
        finished = _render_into(tmp, notebook, stem, parameters, formats, kernel_name,
                                timeout, cwd, result.timings)
        with _signals_deferred():
            for fmt_name, src in finished.items():
                target = outdir / src.name
                os.replace(src, target)
                result.files[fmt_name] = target
    return result


def _render_into(tmp: Path, notebook: Path, stem: str, parameters, formats, kernel_name,
                 timeout, cwd, timings: dict[str, float]) -> dict[str, Path]:
    executed = tmp / f"{stem}.ipynb"
    start = time.perf_counter()
    execute_notebook(notebook, executed, parameters, kernel_name=kernel_name, timeout=timeout,
                     cwd=cwd)
    timings["execute"] = time.perf_counter() - start
    finished = {}
    if "ipynb" in formats:
        finished["ipynb"] = executed
    if "html" in formats or "pdf" in formats:
        start = time.perf_counter()
        html = to_html(executed)
        timings["html"] = time.perf_counter() - start
        if "html" in formats:
            finished["html"] = tmp / f"{stem}.html"
            finished["html"].write_text(html, encoding="utf-8")
        if "pdf" in formats:
            start = time.perf_counter()
            finished["pdf"] = tmp / f"{stem}.pdf"
            finished["pdf"].write_bytes(to_pdf(html))
            timings["pdf"] = time.perf_counter() - start
    return finished


__all__ = [
    "DOCUMENT_MIME", "FORMATS", "DEFAULT_KERNEL", "DEFAULT_TIMEOUT", "NotebookError",
    "RenderResult", "document_info", "notebook_parameters", "execute_notebook", "to_html",
    "to_pdf", "render_notebook",
]
