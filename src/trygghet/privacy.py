"""Pseudonymisation of respondent ids.

A survey tool's respondent id can often be traced back to a person (an
invitation code linked to the population register, an e-mail hash). The
processed data therefore carry a *keyed* hash of it: HMAC-SHA-256 with a
secret key, truncated to 16 hex digits. Without the key the pseudonym cannot
be recomputed from a guessed id (a plain hash could: ids are short and
enumerable); with it, the same respondent gets the same pseudonym in every run,
which keeps the output deterministic.

The key comes from the environment variable ``TRYGGHET_PSEUDONYM_KEY`` or,
failing that, from the git-ignored file ``.trygghet_key`` in the project root,
created with a random key on first use. It is never in the repository.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import subprocess
import sys
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

from .errors import TrygghetError
from .inputs import MAX_KEY_BYTES, read_input_bytes

KEY_ENV = "TRYGGHET_PSEUDONYM_KEY"
KEY_FILE = ".trygghet_key"
MIN_KEY_LENGTH = 32


def pseudonym_key(root: Path) -> bytes:
    """The pseudonymisation key: from the environment, else the project's key file."""
    env = os.environ.get(KEY_ENV)
    if env:
        _check_length(env, f" i {KEY_ENV}", column=KEY_ENV)
        return env.encode("utf-8")
    path = Path(root) / KEY_FILE
    if not path.exists() and not path.is_symlink():  # (a dangling link is refused below)
        try:
            # O_EXCL: two processes starting at once must not write two keys.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32) + "\n")
        except FileExistsError:
            pass
        except OSError as err:
            raise TrygghetError("kan inte skapa nyckelfilen för pseudonymisering", file=path,
                                hint=f"sätt miljövariabeln {KEY_ENV}") from err
    # A regular file of a key's size: not a folder, a FIFO (which would block) or /dev/zero.
    data = read_input_bytes(path, limit=MAX_KEY_BYTES,
                            hint=f"återställ nyckelfilen från säkerhetskopian eller sätt {KEY_ENV}")
    try:
        key = data.decode("utf-8").strip()
    except UnicodeDecodeError as err:
        raise TrygghetError("nyckelfilen för pseudonymisering är inte text (UTF-8)", file=path,
                            hint="återställ nyckelfilen från säkerhetskopian; en ny nyckel ger "
                                 "nya pseudonymer") from err
    _check_length(key, "", file=path)
    return key.encode("utf-8")


def _check_length(key: str, where: str, **context) -> None:
    """Refuse a short key: it can be guessed, and with it every pseudonym recomputed."""
    if len(key.strip()) < MIN_KEY_LENGTH:
        raise TrygghetError(f"nyckeln för pseudonymisering{where} är för kort (minst "
                            f"{MIN_KEY_LENGTH} tecken)", **context,
                            hint="skapa en med: python -c \"import secrets; "
                                 "print(secrets.token_hex(32))\"")


def pseudonymise(ids: Iterable[str], key: bytes, *, context: str = "") -> list[str]:
    """HMAC-SHA-256 of ``context|id`` under ``key``, as 16 hex digits per id.

    HMAC (RFC 2104) is ``H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m))``. The two SHA-256
    states after the padded key blocks (and the inner one after the prefix
    ``context|``) are computed once and copied per id — the same digests as
    :func:`hmac.new` (a test compares them), without its Python wrapper per id:
    a third less time for a million ids than copying an ``hmac`` object.
    """
    block = hashlib.sha256().block_size
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    inner.update(f"{context}|".encode())
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
    inner_copy, outer_copy = inner.copy, outer.copy
    out = []
    for i in ids:
        h = inner_copy()
        h.update(str(i).encode("utf-8"))
        o = outer_copy()
        o.update(h.digest())
        out.append(o.hexdigest()[:16])
    return out


class Pseudonymiser:
    """:func:`pseudonymise` of many ids in a child process, while the caller goes on.

    Hashing a million ids is about a second of Python that holds the GIL: in a
    thread it would only take turns with cleaning. A child Python
    (``python -I -m trygghet.privacy``) hashes them on the second core instead,
    from the moment the id column is read until the kept rows are known. The
    key and the ids go through a pipe (never the command line, which other
    users of the machine can read), the pseudonyms come back the same way, and
    they are exactly :func:`pseudonymise`'s: where the child cannot be used —
    fewer ids than are worth a process, an id with a line break, a child that
    fails — they are computed here, in the caller's process.

    Parameters
    ----------
    ids
        The ids, as text; :meth:`result` returns their pseudonyms in order.
    key, context
        As for :func:`pseudonymise`.
    """

    #: Fewer ids than this are hashed in the caller's process (a child costs ~40 ms).
    min_ids = 100_000

    def __init__(self, ids: Sequence[str], key: bytes, *, context: str = ""):
        self.ids, self.key, self.context = ids, key, context
        self._out: bytes | None = None
        self._thread: threading.Thread | None = None
        if len(ids) < self.min_ids or "\n" in context or "\r" in context:
            return
        payload = "\n".join(ids)
        if payload.count("\n") != len(ids) - 1 or "\r" in payload:
            return  # an id with a line break: not one id per line
        message = b"%s\n%s\n%s" % (key.hex().encode(), context.encode("utf-8"),
                                     payload.encode("utf-8"))
        try:
            proc = subprocess.Popen([sys.executable, "-I", "-m", "trygghet.privacy"],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL)
        except OSError:
            return
        # The pipe is fed and read by a thread that waits on I/O, without the GIL.
        self._thread = threading.Thread(target=self._talk, args=(proc, message), daemon=True)
        self._thread.start()

    def _talk(self, proc: subprocess.Popen, message: bytes) -> None:
        out, _ = proc.communicate(message)
        if proc.returncode == 0 and len(out) == 16 * len(self.ids):
            self._out = out

    def result(self) -> list[str]:
        """The pseudonyms, in the order of the ids."""
        if self._thread is not None:
            self._thread.join()
        if self._out is None:
            return pseudonymise(self.ids, self.key, context=self.context)
        text = self._out.decode("ascii")
        return [text[k:k + 16] for k in range(0, len(text), 16)]


def _child() -> None:
    """The child of :class:`Pseudonymiser`: key (hex), context and ids on stdin, one per
    line; the pseudonyms, 16 hex digits each without separators, on stdout."""
    data = sys.stdin.buffer.read()
    key_hex, context, ids = data.split(b"\n", 2)
    out = pseudonymise(ids.decode("utf-8").split("\n"), bytes.fromhex(key_hex.decode()),
                       context=context.decode("utf-8"))
    sys.stdout.buffer.write("".join(out).encode("ascii"))


if __name__ == "__main__":
    _child()
