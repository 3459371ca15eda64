"""How a run treats SIGINT and SIGTERM: clean up, and never publish half a set.

Ctrl-C raises :class:`KeyboardInterrupt`; :func:`sigterm_as_interrupt` makes
SIGTERM do the same, so that ``finally`` blocks remove temporary folders and
stop kernels. :func:`signals_deferred` holds both signals for the few renames
that publish a set of files, so that an interrupt lands before or after them,
never in between.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator


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
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM for the few renames that publish a set of files.

    A signal arriving in between is delivered right after, when the set is
    complete, instead of leaving a new HTML beside an old PDF. Where signals
    cannot be blocked (Windows, a thread other than the main one) this does
    nothing.
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
