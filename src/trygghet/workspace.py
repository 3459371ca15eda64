"""``trygghet init``: a new workspace for one municipality.

A workspace holds everything of one municipality's surveys — settings,
questionnaire, one mapping per year, raw exports, reference files, processed
data and reports — and the commands never read outside it
(:class:`trygghet.config.Project`). This module writes a new one from the
templates in ``templates/workspace/`` (package data): Swedish settings with
every optional setting commented out at its default, the package's default
questionnaire, a guide to writing mappings, the empty data folders, a README
in Swedish and a ``.gitignore`` that keeps personal data and generated files
out of git.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from .config import MARKER
from .errors import TrygghetError
from .questionnaire import DEFAULT_FILE as DEFAULT_QUESTIONNAIRE
from .questionnaire import WORKSPACE_FILE

TEMPLATES = Path(__file__).with_name("templates") / "workspace"
# Package data cannot hold empty folders (nor, portably, a file named .gitignore).
FOLDERS = ("config/surveys", "data/raw", "data/reference", "data/processed", "reports")
RENAMED = {"gitignore": ".gitignore"}
PLACEHOLDER = "__KOMMUN__"
MAX_NAME = 100


def check_municipality(name: str) -> str:
    """The municipality's name, stripped; refused if empty, multi-line or overlong."""
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME or any(not c.isprintable() for c in name):
        raise TrygghetError(f"ogiltigt kommunnamn {json.dumps(name, ensure_ascii=False)}",
                            column="--municipality",
                            hint=f"ange kommunens namn på en rad, högst {MAX_NAME} tecken, "
                                 "t.ex. --municipality Vänersborg")
    return name


def _refuse_location(root: Path) -> None:
    """Refuse a folder that is not empty, or one inside an existing workspace."""
    if root.exists() and not root.is_dir():
        raise TrygghetError("finns redan och är inte en mapp", file=root,
                            hint="välj en ny mapp för arbetsytan")
    if root.is_dir() and any(root.iterdir()):
        what = "är redan en arbetsyta" if (root / MARKER).exists() else "är inte tom"
        raise TrygghetError(f"mappen {what}", file=root,
                            hint="ange en ny eller tom mapp, t.ex. trygghet init "
                                 "../kommunnamn --municipality Kommunnamn")
    for folder in root.parents:
        if (folder / MARKER).is_file():
            raise TrygghetError(f"mappen ligger inuti arbetsytan {folder}", file=root,
                                hint="lägg varje arbetsyta i en egen mapp utanför andra "
                                     "arbetsytor")


def init_workspace(root: str | Path, municipality: str) -> list[Path]:
    """Create the workspace ``root`` for ``municipality``; return the files written.

    The workspace is written into a hidden folder beside ``root`` and renamed into
    place at the end, so that a failure (a full disk, no permission) leaves no half
    workspace that a second try would refuse as not empty.

    Raises :class:`TrygghetError` (nothing written) when ``root`` is a non-empty
    folder, a file, or inside another workspace, when the name is not a name, or
    when the folder cannot be written.
    """
    municipality = check_municipality(municipality)
    root = Path(root).resolve()
    _refuse_location(root)
    if not DEFAULT_QUESTIONNAIRE.is_file():
        raise TrygghetError("standardformuläret saknas i installationen",
                            file=DEFAULT_QUESTIONNAIRE, hint="installera om trygghet")
    staging = root.parent / f".{root.name}.init-{os.getpid()}"
    try:
        staging.mkdir(parents=True)
        _write(staging, municipality)
        os.replace(staging, root)  # onto a missing or empty folder
    except OSError as err:
        raise TrygghetError(f"kan inte skapa arbetsytan: {err.strerror or err}", file=root,
                            hint="välj en mapp där du får skriva") from err
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return sorted(p for p in root.rglob("*") if p.is_file())


def _write(root: Path, municipality: str) -> None:
    """The workspace's folders and files, from the templates, into ``root``."""
    for folder in FOLDERS:
        (root / folder).mkdir(parents=True, exist_ok=True)
    # A YAML double-quoted scalar: JSON's string syntax is a subset of it.
    quoted = json.dumps(municipality, ensure_ascii=False)
    for template in sorted(p for p in TEMPLATES.rglob("*") if p.is_file()):
        relative = template.relative_to(TEMPLATES)
        target = root / relative.parent / RENAMED.get(relative.name, relative.name)
        text = template.read_text(encoding="utf-8")
        text = text.replace(PLACEHOLDER, quoted if target.suffix == ".yml" else municipality)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    shutil.copyfile(DEFAULT_QUESTIONNAIRE, root / WORKSPACE_FILE)
