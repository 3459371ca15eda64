"""Warm kernels: every report in a fresh kernel, without paying the kernel's start-up.

A report notebook runs in its own Jupyter kernel, so that nothing one report
does (a global, a matplotlib setting, a warning shown once, a cache) can
change the next. Starting that kernel costs more than a second of CPU: Python,
ipykernel and IPython, then pandas, matplotlib and trygghet's report modules
when the first cell imports them. A region of 33 municipal reports pays it 33
times, and a single report pays it after papermill, not beside it.

A *zygote* removes that cost without giving up the fresh kernel. It is a
process of the same interpreter that imports those libraries once and then
waits. For each notebook it forks: the child is a copy of the warm process
that has never run a cell, and becomes the kernel (ipykernel's own
``IPKernelApp``, exactly what ``python -m ipykernel_launcher -f …`` runs),
with the working folder and environment the kernel manager asked for. Kernels
forked from one zygote share nothing after the fork, so each report sees a
kernel in the same state as a kernel started afresh — except that the
modules are already imported — and its outputs are byte for byte those of a
cold kernel (checked by ``tests/test_warm_kernels.py``).

Why not one kernel re-used for every report (``%reset`` between them)? Its
state leaks: warnings shown once are not shown again, matplotlib's settings
and trygghet's caches carry over, execution counts run on. The outputs would
depend on the order of the reports.

How it is used: :func:`start` starts (or keeps) this process's zygote in the
background — call it early, the imports then run beside the caller's own work
(papermill, nbconvert, WeasyPrint) on another core; :func:`launch` is called
by :func:`~trygghet.render.execute_notebook`'s kernel manager and forks a
kernel when a zygote for the same interpreter and environment is ready, and
returns ``None`` (a normal kernel start) otherwise. The zygote ends with the
process that started it (its stdin closes), killing any kernel it forked that
is still running.

Linux only (``fork`` of a process with numpy loaded); elsewhere every kernel starts
normally. A forked kernel that fails to start exits silently (the run reports the dead
kernel); ``TRYGGHET_DEBUG=1`` prints its traceback.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from typing import Any

#: What the report notebooks import (and ipykernel itself), imported once per zygote.
#: Not matplotlib's inline backend: it hooks itself into the IPython shell when it is
#: imported, and the zygote has no shell yet (plt.show() would then show nothing).
PRELOAD = (
    "ipykernel.kernelapp", "ipykernel.ipkernel", "IPython.display", "numpy", "pandas",
    "pyarrow", "matplotlib", "matplotlib.pyplot",
    "trygghet.charts", "trygghet.fmt", "trygghet.tables", "trygghet.theme", "trygghet.geo",
    "trygghet.maps", "trygghet.rounds_map", "trygghet.report_survey",
    "trygghet.report_promises", "trygghet.report_residents", "trygghet.vocabulary",
    "trygghet.render.document", "trygghet.config",
)
#: Environment variables the kernel manager sets for every kernel: not a reason to
#: start another zygote.
_PER_KERNEL = frozenset({"JPY_PARENT_PID", "JPY_SESSION_NAME", "PYDEVD_DISABLE_FILE_VALIDATION"})
_LAUNCHER = ("-m", "ipykernel_launcher")
_INLINE = "module://matplotlib_inline.backend_inline"


class Zygote:
    """A warm process that forks kernels on request (one per process that renders)."""

    def __init__(self, env: Mapping[str, str] | None = None):
        self.env = dict(os.environ if env is None else env)
        self.owner = os.getpid()  # a forked worker inherits the object, not the zygote
        self._lock = threading.Lock()
        self._ready = False
        # stdout is the reply channel; stderr is the caller's (kernels write there, as
        # kernels started by jupyter_client do).
        # -P: the working folder is not put on sys.path (nothing is read from it, as
        # ipykernel_launcher removes it). "ipykernel" in the command line: the forked
        # kernels carry it, and are recognised as kernels (ps, psutil) as any other.
        # Its own folder is "/": each kernel moves to the one it is asked for.
        self.proc = subprocess.Popen(
            [sys.executable, "-P", "-c", "from trygghet.render.warm import serve; serve()",
             "ipykernel-zygote"], cwd="/",
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=self.env, text=True, bufsize=1,
            start_new_session=True)  # a Ctrl-C is the parent's to handle, not the zygote's

    def matches(self, env: Mapping[str, str]) -> bool:
        """Whether a kernel for ``env`` can come from this zygote (same environment)."""
        def key(e):
            return {k: v for k, v in e.items() if k not in _PER_KERNEL}
        return (self.owner == os.getpid() and self.proc.poll() is None
                and key(env) == key(self.env))

    def fork(self, argv: list[str], cwd: str | None, env: Mapping[str, str]) -> int:
        """A new kernel ``ipykernel_launcher argv`` in ``cwd`` with ``env``: its process id."""
        with self._lock:
            if not self._ready:
                self._expect("ready")
                self._ready = True
            assert self.proc.stdin is not None
            self.proc.stdin.write(json.dumps({"argv": argv, "cwd": cwd, "env": dict(env)})
                                  + "\n")
            self.proc.stdin.flush()
            return int(self._expect("pid"))

    def _expect(self, key: str) -> Any:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise OSError("the kernel zygote ended")
        return json.loads(line)[key]

    def close(self) -> None:
        """End the zygote (it kills kernels of its own still running)."""
        with contextlib.suppress(OSError, ValueError):
            if self.proc.stdin:
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()


_ZYGOTE: Zygote | None = None
_GUARD = threading.Lock()


def supported() -> bool:
    """Linux only: on macOS, forking a process that has loaded system frameworks
    (numpy's Accelerate) is not safe; Windows has no fork."""
    return hasattr(os, "fork") and sys.platform.startswith("linux")


def enabled() -> bool:
    """Warm kernels are used unless ``TRYGGHET_WARM_KERNELS=0`` (then every kernel starts
    as jupyter_client starts it)."""
    return supported() and os.environ.get("TRYGGHET_WARM_KERNELS", "1").strip() != "0"


def start() -> Zygote | None:
    """This process's zygote for the current environment, started if needed (not waited for)."""
    global _ZYGOTE
    if not supported():
        return None
    if not enabled():
        return None
    with _GUARD:
        if _ZYGOTE is not None and _ZYGOTE.owner != os.getpid():
            _ZYGOTE = None  # the parent's, inherited by a forked worker: not ours to use
        if _ZYGOTE is not None and not _ZYGOTE.matches(os.environ):
            _ZYGOTE.close()
            _ZYGOTE = None
        if _ZYGOTE is None:
            _ZYGOTE = Zygote()
            if not getattr(start, "_registered", False):
                atexit.register(stop)
                start._registered = True  # type: ignore[attr-defined]
        return _ZYGOTE


def stop() -> None:
    """End this process's zygote, if any."""
    global _ZYGOTE
    with _GUARD:
        if _ZYGOTE is not None and _ZYGOTE.owner == os.getpid():
            _ZYGOTE.close()
        _ZYGOTE = None


def kernel_argv(cmd: list[str]) -> list[str] | None:
    """The arguments after ``python -m ipykernel_launcher`` if ``cmd`` starts this
    interpreter's ipykernel (the ``python3`` kernel), else None."""
    if len(cmd) >= 3 and os.path.realpath(cmd[0]) == os.path.realpath(sys.executable) \
            and tuple(cmd[1:3]) == _LAUNCHER:
        return list(cmd[3:])
    return None


def launch(cmd: list[str], cwd: str | None, env: Mapping[str, str]) -> ForkedKernel | None:
    """Fork the kernel ``cmd`` from this process's zygote; None to start it normally."""
    argv = kernel_argv(cmd)
    zygote = _ZYGOTE
    if argv is None or zygote is None or not zygote.matches(env):
        return None
    try:
        # (papermill changes this process's folder for the run: a kernel started
        # normally inherits it)
        # As jupyter_client's launcher: the kernel learns who started it.
        env = {**env, "JPY_PARENT_PID": str(os.getpid())}
        return ForkedKernel(zygote.fork(argv, cwd or os.getcwd(), env))
    except OSError:
        return None


class ForkedKernel:
    """A kernel forked by the zygote, with the part of :class:`subprocess.Popen` that
    jupyter_client's provisioner uses (it is not our child: the zygote reaps it)."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = 0  # (the zygote reaped it; its status is not ours to know)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            time.sleep(0.01)
        return int(self.returncode or 0)

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


# --- The zygote process ---------------------------------------------------------

_REPLY = None  # the zygote's reply channel (closed in the kernels it forks)


def serve() -> None:
    """The zygote: import, then fork one kernel per request line until stdin closes."""
    import importlib

    # As ipykernel_launcher: the working folder is not on the path while importing
    # (the kernel puts it back, InteractiveShellApp.init_path).
    if sys.path and (sys.path[0] in ("", os.getcwd())):
        del sys.path[0]
    # As ipykernel does before anything imports matplotlib (IPKernelApp.init_gui_pylab).
    if not os.environ.get("MPLBACKEND"):
        os.environ["MPLBACKEND"] = _INLINE
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # kernels are reaped automatically
    global _REPLY
    reply = _REPLY = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # what the imports or kernels print goes to stderr, not the reply channel
    for name in PRELOAD:
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    reply.write(json.dumps({"ready": True}) + "\n")
    children: list[int] = []
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _become_kernel(request)  # never returns
        children.append(pid)
        reply.write(json.dumps({"pid": pid}) + "\n")
    for pid in children:  # the parent is gone: so are its kernels
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def _become_kernel(request: dict) -> None:
    """In the forked child: become ``python -m ipykernel_launcher argv``."""
    code = 1
    try:
        os.setsid()  # its own process group, as jupyter_client starts kernels
        if _REPLY is not None:  # the zygote's channel: its end must close with the zygote
            os.close(_REPLY.fileno())
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.environ.clear()
        os.environ.update(request["env"])
        if request.get("cwd"):
            os.chdir(request["cwd"])
        import ipykernel_launcher
        from ipykernel.kernelapp import IPKernelApp

        sys.argv = [ipykernel_launcher.__file__, *request["argv"]]
        # (ipykernel reads the parent's process id from the environment when it is
        # imported, which was in the zygote)
        parent = int(os.environ.get("JPY_PARENT_PID") or 0)
        IPKernelApp.launch_instance(argv=request["argv"], parent_handle=parent)
        code = 0
    except SystemExit as err:
        code = err.code if isinstance(err.code, int) else 0
    except BaseException:  # noqa: BLE001 - a kernel that cannot start must not return to the loop
        # No traceback on the user's terminal (the run's one message is the kernel
        # manager's: the kernel died). Most often the run is being stopped while this
        # kernel starts (another report failed, Ctrl-C), and its sockets are gone.
        if os.environ.get("TRYGGHET_DEBUG"):
            import traceback

            traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


