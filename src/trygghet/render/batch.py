"""Rendering jobs: one notebook to its files, and a set of them in worker processes.

:func:`render_notebook` runs execute → HTML → PDF for one notebook in a
staging folder and publishes its files together. :func:`render_set` renders
a year's reports (the survey report, the promise follow-up, one report per
area) in up to ``workers`` processes into one staging folder, lets the caller
check the finished files (the free-text guard, say) and publishes the whole
set only when every report is complete and the check passed.

Worker processes and signals: SIGINT belongs to the parent. A Ctrl-C in the
terminal reaches the whole process group, and the parent then stops each
worker once, with SIGTERM. SIGTERM during a render raises
KeyboardInterrupt there (the render cleans up and stops its kernel); between
renders it only marks the worker as stopping, so that it starts no queued
render and exits quietly, without a traceback.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import TrygghetError
from . import html, pdf, warm
from .execute import DEFAULT_KERNEL, DEFAULT_TIMEOUT, execute_notebook
from .signals import sigterm_as_interrupt
from .staging import Publication

FORMATS = ("ipynb", "html", "pdf")


@dataclass
class RenderResult:
    """What :func:`render_notebook` wrote, and how long each step took (seconds)."""

    files: dict[str, Path] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


def render_notebook(notebook: str | Path, outdir: str | Path, stem: str,
                    parameters: Mapping[str, Any] | None = None,
                    formats: Iterable[str] = ("html", "pdf"), *,
                    kernel_name: str = DEFAULT_KERNEL, timeout: float = DEFAULT_TIMEOUT,
                    cwd: str | Path | None = None) -> RenderResult:
    """Execute a report notebook and write ``outdir/stem.{ipynb,html,pdf}``, all or nothing.

    Everything happens in a hidden staging folder inside ``outdir``; only
    when every requested file is finished are they moved into place (with
    :func:`os.replace`, signals held). On any failure, Ctrl-C or SIGTERM the
    staging folder is removed, the files already in ``outdir`` are left as
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
        As in :func:`~trygghet.render.execute_notebook`.

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
    if kernel_name == DEFAULT_KERNEL:
        # The kernel's imports start now, on another core, beside papermill's.
        warm.start()
    preload = _Preload(formats)
    notebook, outdir = Path(notebook), Path(outdir)
    result = RenderResult()
    try:
        with sigterm_as_interrupt(), Publication(stem) as run:
            _render_into(run.stage(outdir), notebook, stem, parameters, formats, kernel_name,
                         timeout, cwd, result.timings, preload)
            for target in run.publish():
                result.files[target.suffix.lstrip(".")] = target
    finally:
        preload.finish()
    return result


#: Libraries of the PDF step that share no import with papermill: loaded in a thread
#: beside papermill's own import (papermill and nbconvert share jupyter_client, whose
#: circular imports break when two threads import it at once).
_PUBLISHING = ("fontTools.subset", "fontTools.ttLib.tables.otTables", "tinycss2",
               "cssselect2", "pydyf")
_WARMED = False  # this process has paid the publishing steps' first-use costs


class _Preload:
    """The first-use costs of the HTML and PDF steps, paid while the kernel runs.

    The first :func:`~trygghet.render.to_html` and :func:`~trygghet.render.to_pdf`
    of a process spend about a second before their own page: importing nbconvert
    and WeasyPrint, setting up the markdown renderer, the templates, fontconfig
    and Pango (:func:`.html.warm_up`, :func:`.pdf.warm_up`). A thread pays them
    while this process waits for the kernel, on the core the kernel leaves free:
    the libraries that share nothing with papermill beside its import, the rest
    once the kernel has started (when every import of the main thread is done).
    Nothing of the report is made there, and the thread is joined before the HTML
    step uses the libraries, and before :func:`render_notebook` returns (a
    process forked while another thread imports would inherit its import locks).
    """

    def __init__(self, formats: Sequence[str]):
        import threading

        self.kernel_started = threading.Event()
        self.cancelled = False
        self.thread: threading.Thread | None = None
        if not _WARMED:
            self.thread = threading.Thread(target=self._run, args=(tuple(formats),),
                                           daemon=True, name="trygghet-preload")
            self.thread.start()

    def _run(self, formats: tuple[str, ...]) -> None:
        global _WARMED
        import importlib

        for name in _PUBLISHING:
            with contextlib.suppress(Exception):  # the step itself reports a missing library
                importlib.import_module(name)
        self.kernel_started.wait()
        if self.cancelled:
            return
        try:
            if "html" in formats or "pdf" in formats:
                html.warm_up()
            if "pdf" in formats:
                pdf.warm_up()
        except Exception:  # noqa: BLE001 - the step itself reports what fails, in its place
            return
        _WARMED = "pdf" in formats

    def release(self) -> None:
        """Let the thread go on: the kernel has started."""
        self.kernel_started.set()

    def join(self) -> None:
        """Wait for the thread: the HTML and PDF steps are not run beside it."""
        self.release()
        if self.thread is not None:
            self.thread.join()

    def finish(self) -> None:
        """End the thread at the end of a run, without the steps not begun (a run
        that failed before its kernel started, or that made no HTML or PDF)."""
        self.cancelled = True
        self.join()


def _render_into(tmp: Path, notebook: Path, stem: str, parameters, formats, kernel_name,
                 timeout, cwd, timings: dict[str, float], preload: _Preload) -> None:
    """Write the requested files of ``stem`` into ``tmp`` (and nothing else visible)."""
    if "ipynb" in formats:
        executed = tmp / f"{stem}.ipynb"
    else:  # executed all the same, but hidden: it is not to be published
        (tmp / ".executed").mkdir()
        executed = tmp / ".executed" / f"{stem}.ipynb"
    start = time.perf_counter()
    execute_notebook(notebook, executed, parameters, kernel_name=kernel_name, timeout=timeout,
                     cwd=cwd, kernel_started=preload.release)
    timings["execute"] = time.perf_counter() - start
    if "html" in formats or "pdf" in formats:
        start = time.perf_counter()
        preload.join()  # (what it has not done yet, the HTML step would do itself)
        page = html.to_html(executed)
        timings["html"] = time.perf_counter() - start
        if "html" in formats:
            (tmp / f"{stem}.html").write_text(page, encoding="utf-8")
        if "pdf" in formats:
            start = time.perf_counter()
            (tmp / f"{stem}.pdf").write_bytes(pdf.to_pdf(page))
            timings["pdf"] = time.perf_counter() - start


# --- A set of reports ---------------------------------------------------------------------

@dataclass(frozen=True)
class RenderJob:
    """One report to render: :func:`render_notebook`'s arguments, picklable for a worker."""

    notebook: Path
    outdir: Path
    stem: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    formats: tuple[str, ...] = ("ipynb", "html", "pdf")
    cwd: str | None = None


_STOPPING = False   # this worker was told to stop: start no queued render
_RENDERING = False  # this worker is rendering: a SIGTERM interrupts the render


def _worker_stop(signum, frame) -> None:
    global _STOPPING
    _STOPPING = True
    if _RENDERING:
        raise KeyboardInterrupt("SIGTERM")


def _worker_init() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _worker_stop)
    warm.start()  # this worker's kernels are forked warm, report after report


_SHARED: Any = None  # the pool of worker_pool(), used by every render_parallel() inside it


@contextlib.contextmanager
def worker_pool(workers: int) -> Iterator[None]:
    """Keep one pool of ``workers`` processes for every set rendered inside the block.

    A police region's reports (``trygghet report --root A --root B …``) are many
    sets, one per workspace: with one pool the workers keep papermill, nbconvert,
    WeasyPrint and their warm kernel zygote (:mod:`~trygghet.render.warm`) from
    the first report to the last, instead of starting afresh for each set.
    """
    global _SHARED
    from concurrent.futures import ProcessPoolExecutor

    if workers <= 1 or _SHARED is not None:
        yield
        return
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_worker_init)
    _SHARED = pool
    try:
        yield
    finally:
        _SHARED = None
        pool.shutdown(wait=True, cancel_futures=True)


def render_job(job: RenderJob) -> tuple[str, dict[str, str], dict[str, float]]:
    """Render one job (in a worker process, or in this one): stem, files written, timings."""
    global _RENDERING
    _RENDERING = True
    try:
        if _STOPPING:
            raise KeyboardInterrupt("SIGTERM")
        result = render_notebook(job.notebook, job.outdir, job.stem, job.parameters,
                                 job.formats, cwd=job.cwd)
    finally:
        _RENDERING = False
    return job.stem, {k: str(v) for k, v in result.files.items()}, result.timings


def render_parallel(jobs: Sequence[RenderJob], workers: int,
                    done: Callable[..., object]) -> None:
    """Render ``jobs`` in up to ``workers`` processes; on any failure stop them all.

    ``done(stem, files, timings)`` is called as each job finishes. A failing
    notebook, Ctrl-C or SIGTERM cancels the renders not yet started and
    interrupts those under way (each removes its staging folder and stops its
    kernel) before the error is raised: nothing keeps running.
    """
    import os
    import signal
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    shared = _SHARED
    pool = shared or ProcessPoolExecutor(max_workers=min(workers, len(jobs)),
                                         initializer=_worker_init)
    futures = []
    try:
        futures = [pool.submit(render_job, job) for job in jobs]
        for future in as_completed(futures):
            done(*future.result())
    except BaseException as err:
        for f in futures:
            f.cancel()
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            with contextlib.suppress(ProcessLookupError, TypeError):
                os.kill(process.pid, signal.SIGTERM)
        if isinstance(err, BrokenProcessPool):
            raise TrygghetError("en renderingsprocess avbröts oväntat (slut på minne?)",
                                hint="kör igen, eventuellt med --jobs 1") from err
        raise
    finally:
        if pool is not shared:
            pool.shutdown(wait=True, cancel_futures=True)


def render_set(jobs: Sequence[RenderJob], outdir: str | Path, *, workers: int = 1,
               done: Callable[..., object] = lambda *_: None,
               check: Callable[[list[Path]], object] | None = None,
               label: str = "rapporter") -> list[Path]:
    """Render ``jobs`` into one staging folder of ``outdir`` and publish them all together.

    Parameters
    ----------
    jobs
        The reports; their ``outdir`` is replaced by the staging folder.
    outdir
        Where the set is published, e.g. ``reports/2020``.
    workers
        Parallel processes (one: render here, one job after the other).
    done
        Called with ``(stem, files, timings)`` as each report is finished.
    check
        Called with the finished files before anything is published; raise
        :class:`~trygghet.errors.TrygghetError` to publish nothing (the
        error's file is renamed from the staging folder to ``outdir``).

    Returns
    -------
    The published paths, sorted. A failing notebook, a failed check, Ctrl-C or
    SIGTERM stops every render (and its kernel), removes the staging folder and
    leaves the previous reports exactly as they were.
    """
    outdir = Path(outdir)
    with Publication(label) as run:
        staged = [replace(job, outdir=run.stage(outdir)) for job in jobs]
        if (workers <= 1 or len(staged) == 1) and _SHARED is None:
            for job in staged:
                done(*render_job(job))
        else:
            render_parallel(staged, workers, done)
        if check is not None:
            check(list(run.staged().values()))
        return sorted(run.publish())
