"""Executing a report notebook with papermill, in a kernel that never outlives the run.

papermill runs the notebook with its parameters in ipykernel's own kernel (the
interpreter running trygghet), over local sockets. A failing cell becomes a
:class:`NotebookError` naming the notebook and the cell as the author numbers
them; an interrupt stops the kernel; what differs between runs (clock times,
absolute paths, random cell ids) is taken out of the executed notebook, so
that the same inputs give the same bytes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .. import fmt
from ..errors import TrygghetError
from . import warm

DEFAULT_KERNEL = "python3"   # ipykernel's own kernel: the interpreter running trygghet
DEFAULT_TIMEOUT = 600        # seconds per cell


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
                         hint=_cell_hint(err.ename, evalue, err.source or ""))


def _cell_hint(ename: str, evalue: str, source: str) -> str:
    """What to do about a failed cell: the data's own fix where the data is the cause.

    A :class:`TrygghetError` raised in the cell already says what to do (its
    "Åtgärd"); a cell that draws an indicator points to that indicator's figures.
    Only an error with neither is sent to Jupyter.
    """
    if ename == "TrygghetError" and "Åtgärd:" in evalue:
        return evalue.split("Åtgärd:", 1)[1].strip()
    from ..indicators import INDICATORS

    named = [n for n in dict.fromkeys(re.findall(r"[\"']([a-z_]+)[\"']", source))
             if n in INDICATORS]
    if named:
        return (f"cellen visar {', '.join(named)}: kontrollera värdena för "
                f"{named[0]} i data/processed/<år>/estimates.parquet (t.ex. exakt 0 eller "
                "100 %, eller bara undertryckta värden) och hur svaren lästes (trygghet clean "
                "--year <år> skriver vad som hamnade i karantän)")
    return "öppna notebooken i Jupyter och kör cellen för att se felet"


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
                     cwd: str | Path | None = None,
                     kernel_started: Callable[[], object] | None = None) -> Path:
    """Execute ``path`` with papermill and write the executed notebook to ``out_ipynb``.

    Parameters
    ----------
    path
        The report notebook (committed without outputs).
    out_ipynb
        Where the executed notebook goes (written by papermill; render into a
        temporary folder — see :func:`trygghet.render.render_notebook`).
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
    kernel_started
        Called once the kernel process is started: from then on this process
        only waits for the kernel's messages (and has imported everything it
        needs for that), so :func:`~trygghet.render.render_notebook` lets a
        thread prepare the HTML and PDF steps.

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
            config=config,
            kernel_manager_class=_tracked_kernel_manager(managers, kernel_started),
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


def _tracked_kernel_manager(managers: list, started: Callable[[], object] | None = None):
    """A kernel manager class that records each kernel process it launches in ``managers``
    (and then calls ``started``)."""
    from jupyter_client.manager import AsyncKernelManager

    class TrackedKernelManager(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd, **kw):
            # A kernel forked from this process's warm zygote when there is one
            # (trygghet.render.warm), else started as jupyter_client starts it.
            forked = warm.launch(kernel_cmd, kw.get("cwd"), kw.get("env") or os.environ)
            if forked is None:
                await super()._async_launch_kernel(kernel_cmd, **kw)
            else:
                provisioner: Any = self.provisioner  # (a LocalProvisioner)
                provisioner.process = forked
                provisioner.pid = provisioner.pgid = forked.pid
                provisioner.cwd = kw.get("cwd")
                self._reconcile_connection_info(provisioner.connection_info)
            managers.append((self, getattr(self.provisioner, "process", None)))
            if started is not None:
                started()

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
