"""Publishing a run's files together: staged in hidden folders, moved into place at the end.

Every file a run publishes — a stage's tables, a set of reports — is first
written into a hidden staging folder *inside* its destination folder
(``.trygghet-<label>.<random>.tmp``), so that the final :func:`os.replace` is a
rename on one file system. Only when every file is complete are they moved
into place, with SIGINT/SIGTERM held (:func:`~trygghet.render.signals_deferred`).
Publishing is all or nothing even when a rename fails (a workbook open in
Excel on Windows cannot be replaced): the files it would replace are first
moved aside into the staging folder, and put back if anything goes wrong.
On any failure or interrupt the staging folder is removed and the
destination is left exactly as it was.

A process killed outright (``kill -9``, a power cut) cannot clean up. Each
staging folder therefore holds a lock file that its process keeps locked
(the operating system releases the lock when the process dies): the next run
into the same folder removes every staging folder whose lock is free. A
concurrent run's folder is locked and left alone.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..errors import TrygghetError
from ..writers import os_error
from .signals import signals_deferred

PREFIX = ".trygghet-"
SUFFIX = ".tmp"
LOCK_NAME = ".lock"
BACKUP_NAME = ".replaced"
#: Seconds after which a hidden temporary file or folder that no lock speaks for
#: (an atomic writer's file, a folder of an older version) counts as abandoned.
ORPHAN_AGE = 3600


# --- Locks that die with their process ---------------------------------------------------

def _lock(folder: Path) -> int:
    """Create ``folder/.lock`` and hold an exclusive lock on it; returns the descriptor.

    Where the file system cannot lock (some network shares), the folder is
    left unlocked: :func:`remove_abandoned` then goes by its age.
    """
    fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    _try_lock(fd)
    return fd


def _try_lock(fd: int) -> bool | None:
    """Lock ``fd`` without waiting: True if locked, False if another process holds it,
    None if this file system cannot lock."""
    # A platform test rather than ``except ImportError``: the type checker knows
    # which of msvcrt and fcntl exists on which platform.
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except PermissionError:
            return False
        except OSError:
            return None
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except (BlockingIOError, PermissionError):
        return False
    except OSError:
        return None
    return True


def _abandoned(folder: Path) -> bool:
    """Whether the process that made a staging folder is gone (its lock is free)."""
    try:
        fd = os.open(folder / LOCK_NAME, os.O_RDWR)
    except FileNotFoundError:
        # Killed between creating the folder and its lock, or not one of ours.
        return _older_than(folder, ORPHAN_AGE)
    except OSError:
        return False
    try:
        locked = _try_lock(fd)
    finally:
        os.close(fd)
    return _older_than(folder, ORPHAN_AGE) if locked is None else locked


def _older_than(path: Path, seconds: float) -> bool:
    try:
        return time.time() - path.lstat().st_mtime > seconds
    except OSError:
        return False


def remove_abandoned(folder: str | Path) -> list[Path]:
    """Remove what killed runs left in ``folder``; returns what was removed.

    Staging folders (``.trygghet-*.tmp``) whose process is gone go at once;
    other hidden ``*.tmp`` files and folders (an atomic writer's temporary
    file, a staging folder of an older version) once they are an hour old.
    A live run's staging folder is never touched.
    """
    folder = Path(folder)
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return []
    removed = []
    for entry in entries:
        name = entry.name
        if not (name.startswith(".") and name.endswith(SUFFIX)):
            continue
        ours = name.startswith(PREFIX) and entry.is_dir() and not entry.is_symlink()
        if not (_abandoned(entry) if ours else _older_than(entry, ORPHAN_AGE)):
            continue
        try:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        except OSError:
            continue
        removed.append(entry)
    return removed


# --- One staging folder -------------------------------------------------------------------

def _point_at(err: TrygghetError, stage: Path, outdir: Path) -> None:
    """Name the folder the user knows in ``err``, not the hidden staging folder."""
    if not err.file:
        return
    here = str(stage)
    if err.file == here:
        err.file = str(outdir)
    elif err.file.startswith(here + os.sep):
        err.file = str(outdir / Path(err.file).relative_to(stage))


@contextlib.contextmanager
def staging(outdir: str | Path, label: str) -> Iterator[Path]:
    """A hidden, locked folder inside ``outdir`` to write into before publishing.

    What killed runs left in ``outdir`` is removed first
    (:func:`remove_abandoned`). Afterwards (done, failed or interrupted) the
    folder is removed, and an ``outdir`` this created is removed too if
    nothing was published into it. An OS error (full disk, no permission)
    becomes one message naming ``outdir``; an error naming a file in the
    staging folder names the file's destination instead.
    """
    outdir = Path(outdir)
    created = not outdir.exists()
    stage = None
    try:
        outdir.mkdir(parents=True, exist_ok=True)
        remove_abandoned(outdir)
        stage = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{label}.", suffix=SUFFIX, dir=outdir))
        lock = _lock(stage)
    except OSError as err:
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
        raise os_error(err, outdir) from err
    try:
        yield stage
    except OSError as err:
        raise os_error(err, outdir) from err
    except TrygghetError as err:
        _point_at(err, stage, outdir)
        raise
    finally:
        with signals_deferred():
            os.close(lock)
            shutil.rmtree(stage, ignore_errors=True)
            if created:
                with contextlib.suppress(OSError):
                    outdir.rmdir()  # only if empty: another process may be using it


# --- A run's files in one or more folders, published together ------------------------------

class Publication:
    """The files of one run, staged beside their destinations and published together.

    Use as a context manager::

        with Publication("estimate") as run:
            write_parquet(table, run.stage(processed) / "estimates.parquet")
            write_appendix(..., run.stage(reports) / "tabeller_2020.xlsx")
            run.remove(processed / "weights.parquet")     # no longer made
            run.publish(last=[processed / "manifest_estimate.json"])

    Every visible file in a staging folder is published; hidden ones (locks,
    temporary files) are not. Leaving the block without :meth:`publish`
    (an error, an interrupt) publishes nothing.
    """

    def __init__(self, label: str):
        self.label = label
        self._stack = contextlib.ExitStack()
        self._stages: dict[Path, Path] = {}
        self._removed: list[Path] = []

    def __enter__(self) -> Publication:
        self._stack.__enter__()
        return self

    def __exit__(self, *exc) -> bool | None:
        return self._stack.__exit__(*exc)

    def stage(self, outdir: str | Path) -> Path:
        """The staging folder for the destination folder ``outdir`` (made on first use)."""
        outdir = Path(outdir)
        if outdir not in self._stages:
            self._stages[outdir] = self._stack.enter_context(staging(outdir, self.label))
        return self._stages[outdir]

    def remove(self, target: str | Path) -> None:
        """Remove ``target`` when publishing: an output this run no longer makes."""
        self._removed.append(Path(target))

    @property
    def removed(self) -> list[Path]:
        """The destinations :meth:`publish` will remove."""
        return list(self._removed)

    def staged(self) -> dict[Path, Path]:
        """Destination → staged file, for every file that :meth:`publish` would move."""
        return {outdir / p.name: p for outdir, stage in self._stages.items()
                for p in sorted(stage.iterdir())
                if p.is_file() and not p.name.startswith(".")}

    def publish(self, *, last: Iterable[str | Path] = ()) -> list[Path]:
        """Move every staged file into place, all or nothing; returns the destinations.

        The files in ``last`` are taken away before the others are replaced and
        put in place after them: a run killed in between leaves no ``last``
        file (a stage manifest, say) beside a mix of old and new ones.
        """
        files = self.staged()
        last_paths = [Path(p) for p in last]
        order = [t for t in files if t not in last_paths] + [t for t in last_paths if t in files]
        replaced = [t for t in dict.fromkeys([*last_paths, *files, *self._removed])
                    if t.exists()]
        backups = {t.parent: self._backup_folder(t.parent) for t in replaced}
        aside: list[tuple[Path, Path]] = []     # (destination, where its old file went)
        placed: list[Path] = []
        target: Path | None = None
        with signals_deferred():
            try:
                for target in replaced:
                    os.replace(target, backups[target.parent] / target.name)
                    aside.append((target, backups[target.parent] / target.name))
                for target in order:
                    os.replace(files[target], target)
                    placed.append(target)
            except OSError as err:
                for done in placed:
                    with contextlib.suppress(OSError):
                        done.unlink()
                for original, backup in reversed(aside):
                    with contextlib.suppress(OSError):
                        os.replace(backup, original)
                # Only os.replace raises here, and each loop sets target before it.
                assert target is not None
                raise os_error(err, target) from err
        return order

    def _backup_folder(self, outdir: Path) -> Path:
        folder = self.stage(outdir) / BACKUP_NAME
        folder.mkdir(exist_ok=True)
        return folder
