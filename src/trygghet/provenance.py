"""Provenance: which code and which libraries made a published file.

A figure in a yearly report must be traceable years later to the code that
computed it. Every published product therefore records the same three facts:

- the toolkit's version (``trygghet.__version__``, its one home, which the
  package metadata also reads);
- the git commit the package runs from, when it runs from a git checkout of
  trygghet (an editable install, as ``make venv`` makes); ``-dirty`` is added
  when the package's code (``src/``, ``notebooks/``) differs from that commit.
  An installed copy (a wheel in ``site-packages``) has no commit: ``None``;
- the versions of the libraries that shape the numbers and the documents
  (:data:`KEY_PACKAGES`) and of Python.

Written into ``weighting.json`` (``pipeline.estimate_year``), the Excel
appendix (``write_appendix``: document properties and the *Om tabellerna*
sheet) and the reports' document information (``render.document_info``: the
HTML ``<meta name="generator">`` and so the PDF's *Creator*).

Nothing here may stop a run: without ``git``, outside a checkout or on any
git error the commit is ``None``. Nothing depends on the clock or on paths, so
the same code and libraries give the same text (the commit is one of the
inputs of a deterministic run).
"""

from __future__ import annotations

import functools
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from . import __version__

#: The libraries whose versions are recorded: numerics, file formats, charts, rendering.
KEY_PACKAGES = ("pandas", "numpy", "scipy", "pyarrow", "matplotlib", "papermill", "nbconvert",
                "weasyprint")

# Variables that would point git at another repository than the package's (set, for
# example, while a git hook runs).
_GIT_LOCATION = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
                 "GIT_COMMON_DIR", "GIT_NAMESPACE", "GIT_CEILING_DIRECTORIES")


def package_versions(names: tuple[str, ...] = KEY_PACKAGES) -> dict[str, str | None]:
    """Installed version of each distribution in ``names`` (``None`` if absent)."""
    versions: dict[str, str | None] = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _git(cwd: Path, *args: str) -> str | None:
    """Output of ``git -C cwd args`` stripped, or ``None`` if git is missing or fails."""
    env = {k: v for k, v in os.environ.items() if k not in _GIT_LOCATION}
    env["LC_ALL"] = "C"
    try:
        res = subprocess.run(["git", "--no-optional-locks", "-C", str(cwd), *args],
                             capture_output=True, text=True, timeout=20, env=env, check=False,
                             stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    return res.stdout.strip() if res.returncode == 0 else None


def git_commit(package_dir: str | Path | None = None) -> str | None:
    """The commit of the trygghet checkout the package runs from, or ``None``.

    ``package_dir`` is the package's folder (default: this package's). Only a
    checkout whose ``src/trygghet`` *is* that folder counts: an installed copy
    that merely sits inside some other repository (a virtual environment in an
    analyst's project) has no commit. ``<sha>-dirty`` when tracked files under
    ``src/`` or ``notebooks/`` differ from the commit. Cached per process.
    """
    return _git_commit(str(Path(package_dir or Path(__file__).parent).resolve()))


@functools.cache
def _git_commit(package_dir: str) -> str | None:
    package = Path(package_dir)
    top = _git(package, "rev-parse", "--show-toplevel")
    if not top:
        return None
    top_dir = Path(top).resolve()
    if top_dir / "src" / package.name != package:
        return None
    commit = _git(top_dir, "rev-parse", "--verify", "HEAD")
    if not commit:
        return None
    changed = _git(top_dir, "status", "--porcelain", "--untracked-files=no", "--",
                   "src", "notebooks")
    return f"{commit}-dirty" if changed else commit


def provenance() -> dict[str, Any]:
    """The toolkit's version, commit, Python and key library versions, as a dict.

    The form written into ``weighting.json``::

        {"trygghet": "0.1.0", "commit": "3f2c…", "python": "3.11.7",
         "packages": {"pandas": "3.1.1", "numpy": "2.4.6", …}}
    """
    return {
        "trygghet": __version__,
        "commit": git_commit(),
        "python": platform.python_version(),
        "packages": package_versions(),
    }


def summary(info: dict[str, Any] | None = None) -> str:
    """One line for document properties, e.g.
    ``trygghet 0.1.0 (commit 3f2c…); Python 3.11.7; pandas 3.1.1, numpy 2.4.6, …``.

    Names and version numbers only, so the same line serves Swedish and English
    documents; a missing commit or library is left out, not guessed.
    """
    info = provenance() if info is None else info
    head = f"trygghet {info['trygghet']}"
    if info.get("commit"):
        head += f" (commit {info['commit']})"
    libraries = ", ".join(f"{name} {version}" for name, version in info["packages"].items()
                          if version)
    return "; ".join(part for part in (head, f"Python {info['python']}", libraries) if part)
