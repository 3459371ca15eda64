"""Opening the files a user hands the toolkit: regular files of a sane size only.

Every file trygghet reads on a user's say-so (an export, a mapping or settings
file, a population or outcome CSV, the pseudonymisation key) is opened through
:func:`read_input_bytes` or checked with :func:`check_input_file` first, so that
a path that is not an ordinary file is one Swedish message rather than a hang
or an exhausted machine:

* a FIFO (named pipe) would block the reader forever, ``/dev/zero`` or
  ``/dev/urandom`` never end, a directory cannot be read;
* a file above its limit is refused before it is read. The limits are far
  above any real input (:data:`MAX_EXPORT_BYTES` is two and a half times the
  national one-million-row benchmark export) and exist so that a wrong path —
  a disk image, a database dump — fails at once instead of after minutes of
  swapping. ``TRYGGHET_MAX_INPUT_MB`` raises the export limit.

The size is taken from the file system and enforced again while reading, so a
file that grows between the check and the read is refused too.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from .errors import TrygghetError

MAX_EXPORT_BYTES = 1 << 30  # 1 GiB; the 1,000,000-row benchmark export is 397 MB
MAX_YAML_BYTES = 1 << 20  # 1 MiB; a mapping or promise file is a few kB
MAX_TABLE_BYTES = 64 << 20  # 64 MiB; population and outcome CSVs are a few kB
MAX_KEY_BYTES = 4096  # the pseudonymisation key: 64 hex digits
LIMIT_ENV = "TRYGGHET_MAX_INPUT_MB"


def export_limit() -> int:
    """The export size limit in bytes: :data:`MAX_EXPORT_BYTES` or ``$TRYGGHET_MAX_INPUT_MB``."""
    given = os.environ.get(LIMIT_ENV, "").strip()
    if not given:
        return MAX_EXPORT_BYTES
    if not given.isdigit() or int(given) == 0:
        raise TrygghetError(f"ogiltig storleksgräns '{given}'", column=LIMIT_ENV,
                            hint="ange ett heltal megabyte, t.ex. 4096, eller ta bort variabeln")
    return int(given) << 20


def _size(n: int) -> str:
    """Bytes in Swedish words: ``"1,5 GB"``, ``"64 MB"``, ``"12 kB"``."""
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("kB", 1 << 10)):
        if n >= scale:
            value = f"{n / scale:.1f}".rstrip("0").rstrip(".").replace(".", ",")
            return f"{value} {unit}"
    return f"{n} byte"


def check_input_file(path: str | Path, *, limit: int, hint: str | None = None,
                     too_large: str = "fel fil? Kontrollera sökvägen") -> os.stat_result:
    """Refuse ``path`` unless it is an existing regular file of at most ``limit`` bytes.

    Parameters
    ----------
    path
        The file (symbolic links are followed).
    limit
        Largest size accepted, in bytes.
    hint
        What to do if the file does not exist or is a folder (the caller knows where
        the path came from).
    too_large
        What to do if it is too large.

    Returns
    -------
    os.stat_result
        The file's status, for callers that want its size.
    """
    path = Path(path)
    try:
        st = path.stat()
    except FileNotFoundError as err:
        dangling = path.is_symlink()
        raise TrygghetError("länken pekar på en fil som inte finns" if dangling
                            else "filen finns inte", file=path, hint=hint) from err
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise TrygghetError("symboliska länkar i en slinga", file=path,
                                hint="peka ut själva filen") from err
        if err.errno in (errno.EACCES, errno.EPERM):
            raise TrygghetError("saknar behörighet att läsa filen", file=path,
                                hint="be om läsrätt eller kopiera filen till projektet") from err
        raise TrygghetError(f"kan inte läsa filen ({err.strerror})", file=path,
                            hint=hint or "kontrollera sökvägen") from err
    if stat.S_ISDIR(st.st_mode):
        raise TrygghetError("är en mapp, inte en fil", file=path,
                            hint=hint or "ange själva filen, inte mappen")
    if not stat.S_ISREG(st.st_mode):
        kind = ("en namngiven pipe (FIFO)" if stat.S_ISFIFO(st.st_mode)
                else "en enhetsfil" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
                else "en socket" if stat.S_ISSOCK(st.st_mode) else "inte en vanlig fil")
        raise TrygghetError(f"är {kind}, inte en vanlig fil", file=path,
                            hint="ange en vanlig fil på disk (inte en pipe eller enhet)")
    if st.st_size > limit:
        raise _too_large(path, st.st_size, limit, too_large)
    return st


def read_input_bytes(path: str | Path, *, limit: int, hint: str | None = None,
                     too_large: str = "fel fil? Kontrollera sökvägen") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (see :func:`check_input_file`)."""
    path = Path(path)
    st = check_input_file(path, limit=limit, hint=hint, too_large=too_large)
    try:
        with path.open("rb") as fh:
            data = fh.read(st.st_size + 1)
            if len(data) > st.st_size:  # it grew since stat(): read on, up to the limit
                data += fh.read(limit + 1 - len(data))
    except OSError as err:
        raise TrygghetError(f"kan inte läsa filen ({err.strerror})", file=path,
                            hint=hint or "kontrollera sökvägen och läsrätten") from err
    if len(data) > limit:
        raise _too_large(path, len(data), limit, too_large)
    return data


def read_export_bytes(path: str | Path, *, hint: str | None = None) -> bytes:
    """The bytes of a survey export, within :func:`export_limit`."""
    return read_input_bytes(
        path, limit=export_limit(), hint=hint,
        too_large="fel fil? En enkätexport är sällan större än några hundra MB (en miljon "
                  f"svar: cirka 400 MB); sätt miljövariabeln {LIMIT_ENV} för att höja gränsen")


def _too_large(path: Path, size: int, limit: int, hint: str) -> TrygghetError:
    got, most = _size(size), _size(limit)
    if got == most:  # just over: rounded, both would read the same
        got, most = (f"{n:,} byte".replace(",", "\u00a0") for n in (size, limit))
    return TrygghetError(f"filen är för stor ({got}; gränsen är {most})", file=path, hint=hint)
