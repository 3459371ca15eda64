"""Stage manifests: what a stage read and wrote, by content.

Each stage of a survey year (clean, estimate, promises) publishes, with its
outputs and after them, ``data/processed/<year>/manifest_<stage>.json``: the
SHA-256 of every file it read (export, mapping, settings, population file,
the earlier stages' tables; ``null`` for one that did not exist), of every
file it wrote (``null`` for one it removed), and a fingerprint of the code
that ran (:func:`code_version`). Paths are relative to the project, so a
copied or moved project keeps its manifests, and nothing in a manifest
depends on when or where it was written.

A stage's outputs are *current* (:func:`stale` returns None) when the
manifest exists, the code is the same, every input listed — and every input
the stage would read now — has the content it had, and every output still
has the content the stage wrote. Anything else runs the stage again: an
edited mapping or settings file, a new population file, a year cleaned
since, a truncated or emptied ``estimates.parquet``, a run killed while it
published (the manifest is taken away first and put back last), processed
data of an older version. Modification times play no part: a copied
project, a clock that jumps or a file restored from a backup with its old
date cannot make a stale table look current.

The raw export is a *source*: read once, and often moved off the machine
after cleaning (it holds personal data). That it no longer exists does not
make the cleaned data stale; that its content changed does.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

FORMAT = 1
_CHUNK = 1 << 20
#: Package files that make up the code's fingerprint.
_CODE_SUFFIXES = (".py", ".yml", ".yaml", ".j2", ".css", ".json")


def file_hash(path: str | Path) -> str | None:
    """SHA-256 of a file's bytes (hex), or None if there is no such regular file.

    Only a regular file has content to hash: a device (``--input /dev/zero``),
    FIFO or folder is refused by the stage that reads it (:mod:`trygghet.inputs`),
    never read here, where it could block or never end.
    """
    digest = hashlib.sha256()
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        with open(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError, OSError):
        return None
    return digest.hexdigest()


@functools.cache
def code_version() -> str:
    """A fingerprint of the installed trygghet: SHA-256 over its source and data files.

    Any change to the code (a new release, a local edit) changes it, so that
    every stage runs again with the code that will be credited with the
    results.
    """
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(p for p in package.rglob("*")
                       if p.suffix in _CODE_SUFFIXES and "__pycache__" not in p.parts):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update((file_hash(path) or "").encode() + b"\0")
    return digest.hexdigest()


def key(path: str | Path, root: str | Path) -> str:
    """How a manifest names ``path``: relative to the project ``root`` where possible."""
    path, root = Path(path), Path(root)
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path.resolve())


def path_of(name: str, root: str | Path) -> Path:
    """The file a manifest key names (the inverse of :func:`key`)."""
    path = Path(name)
    return path if path.is_absolute() else Path(root) / path


def hashes(paths: Iterable[str | Path], root: str | Path) -> dict[str, str | None]:
    """``{key: SHA-256 or None}`` for ``paths``, hashed now (just before they are read)."""
    return {key(p, root): file_hash(p) for p in paths}


@dataclass
class Manifest:
    """What one stage of one year read and wrote (see the module docstring)."""

    stage: str
    year: int
    inputs: dict[str, str | None]
    outputs: dict[str, str | None]
    sources: list[str] = field(default_factory=list)
    code: str = field(default_factory=code_version)

    def to_dict(self) -> dict:
        return {"format": FORMAT, "stage": self.stage, "year": self.year, "code": self.code,
                "inputs": self.inputs, "outputs": self.outputs,
                "sources": sorted(self.sources)}

    @classmethod
    def read(cls, path: str | Path) -> Manifest | None:
        """The manifest at ``path``, or None if it is missing, unreadable or not one."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            if data.get("format") != FORMAT:
                return None
            return cls(stage=str(data["stage"]), year=int(data["year"]),
                       inputs=dict(data["inputs"]), outputs=dict(data["outputs"]),
                       sources=list(data.get("sources", [])), code=str(data["code"]))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None


def location(folder: str | Path, stage: str) -> Path:
    """Where the manifest of ``stage`` lives: ``<folder>/manifest_<stage>.json``."""
    return Path(folder) / f"manifest_{stage}.json"


def build(stage: str, year: int, root: str | Path, inputs: Mapping[str, str | None],
          outputs: Mapping[Path, Path | None], sources: Iterable[str | Path] = ()) -> Manifest:
    """The manifest of a finished stage.

    Parameters
    ----------
    inputs
        From :func:`hashes`, taken when the stage read its inputs.
    outputs
        Destination → the staged file that will be published there (hashed
        now), or None for an output the stage removes.
    sources
        Inputs whose later absence does not make the outputs stale (the raw export).
    """
    return Manifest(stage=stage, year=year, inputs=dict(inputs),
                    outputs={key(target, root): None if staged is None else file_hash(staged)
                             for target, staged in outputs.items()},
                    sources=[key(s, root) for s in sources])


def stale(root: str | Path, folder: str | Path, stage: str,
          expected: Iterable[str | Path] = ()) -> str | None:
    """Why the outputs of ``stage`` in ``folder`` must be made again; None if current.

    ``expected`` are the inputs the stage would read now; one that the
    manifest does not list counts as having been absent. The reason is
    Swedish, for the run's log ("data/processed/2020/estimates.parquet har
    ändrats").
    """
    manifest = Manifest.read(location(folder, stage))
    if manifest is None:
        return "resultaten saknas eller saknar innehållsförteckning"
    if manifest.code != code_version():
        return "programmet har ändrats sedan förra körningen"
    inputs = dict(manifest.inputs)
    for p in expected:
        inputs.setdefault(key(p, root), None)
    for name, recorded in sorted(inputs.items()):
        now = file_hash(path_of(name, root))
        if now is None and recorded is not None and name in manifest.sources:
            continue  # the export was moved away after cleaning: nothing newer to read
        if now != recorded:
            return (f"{name} har tillkommit" if recorded is None else
                    f"{name} saknas" if now is None else f"{name} har ändrats")
    for name, recorded in sorted(manifest.outputs.items()):
        if file_hash(path_of(name, root)) != recorded:
            return f"{name} saknas eller har ändrats"
    return None


def output_is_current(root: str | Path, folder: str | Path, stage: str, target: str | Path) -> bool:
    """Whether ``target`` holds what ``stage`` wrote there (its manifest says so)."""
    manifest = Manifest.read(location(folder, stage))
    if manifest is None:
        return False
    recorded = manifest.outputs.get(key(target, root))
    return recorded is not None and file_hash(target) == recorded
