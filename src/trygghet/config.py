"""Where things live, and strict reading of the project's YAML files.

A *project* is a folder laid out like this repository::

    config/trygghet.yml          project settings (municipality, thresholds, weighting)
    config/surveys/<year>.yml    one mapping per survey year (see mapping.py)
    data/raw/<year>/             raw exports, never modified
    data/reference/              population margins, promises, outcome data
    data/processed/<year>/       everything the pipeline writes
    reports/<year>/              published reports and the Excel appendix

Only the CLI and the rendering code choose file locations; the statistical
modules take and return DataFrames.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import TrygghetError


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys.

    Plain YAML keeps the last of two equal keys without a word; in a mapping
    file that hides a header mapped twice to one field.
    """


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False):
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None,
                f"nyckeln '{key}' förekommer två gånger (rad {seen[key] + 1} och "
                f"{key_node.start_mark.line + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
# Dates stay strings until the code that owns them parses them, so that a bad
# date is reported with its field name rather than as a YAML error.
_StrictLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in _StrictLoader.yaml_implicit_resolvers.items()
}


def read_yaml(path: str | Path) -> Any:
    """Read a YAML file strictly: duplicate keys and syntax errors name file and line."""
    path = Path(path)
    if not path.is_file():
        raise TrygghetError("filen finns inte", file=path)
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.load(fh, Loader=_StrictLoader)  # noqa: S506 (a SafeLoader subclass)
    except UnicodeDecodeError as err:
        raise TrygghetError("filen är inte UTF-8", file=path,
                            hint="spara YAML-filen som UTF-8") from err
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
        problem = getattr(err, "problem", None) or str(err)
        raise TrygghetError(f"ogiltig YAML: {problem}", file=path,
                            row=None if mark is None else mark.line + 1) from err


@dataclass(frozen=True)
class Project:
    """Paths of a trygghet project rooted at ``root``."""

    root: Path

    @classmethod
    def find(cls, start: str | Path | None = None) -> Project:
        """The project containing ``start`` (default: ``$TRYGGHET_ROOT`` or the cwd).

        Walks up until a folder with ``config/surveys`` is found, so the CLI
        works from any sub-folder, notebooks/ included.
        """
        start = Path(start or os.environ.get("TRYGGHET_ROOT") or Path.cwd()).resolve()
        for folder in (start, *start.parents):
            if (folder / "config" / "surveys").is_dir():
                return cls(folder)
        raise TrygghetError(
            "hittar ingen trygghet-projektmapp (med config/surveys/) här eller ovanför",
            file=start, hint="kör kommandot i projektmappen eller sätt TRYGGHET_ROOT",
        )

    @property
    def config(self) -> Path:
        return self.root / "config"

    def mapping(self, year: int) -> Path:
        return self.config / "surveys" / f"{year}.yml"

    def survey_years(self) -> list[int]:
        """Years that have a mapping file, ascending."""
        return sorted(int(p.stem) for p in (self.config / "surveys").glob("*.yml")
                      if p.stem.isdigit())

    @property
    def reference(self) -> Path:
        return self.root / "data" / "reference"

    def processed(self, year: int) -> Path:
        return self.root / "data" / "processed" / str(year)

    def reports(self, year: int) -> Path:
        return self.root / "reports" / str(year)


DEFAULT_SETTINGS: dict[str, Any] = {
    "municipality": "Kommunen",
    "police_area": None,
    "synthetic_data": False,
    "weighting": {"margins": ["sex:age_group", "area"], "tolerance": 1e-12, "max_iter": 1000,
                  "trim": None, "collapse": {},
                  # margins within max(relative · total, persons) are scaled to one total
                  "reconcile": {"relative": 0.005, "persons": 50, "control": None}},
    "estimation": {"ci_method": "wilson", "level": 0.95,
                   "by": ["sex", "age_group", "area", "relation"]},
    "disclosure": {"min_cell": 5, "min_n": 30},
    # `trygghet population import` (scb.py): the survey population's oldest age.
    "population_import": {"max_age": None},
    # The open-data release (opendata.py validates the block; None: no release).
    "open_data": None,
    "maps": None,  # boundaries for the maps: parsed and validated by geo.MapSettings
}


def load_settings(project: Project) -> dict[str, Any]:
    """``config/trygghet.yml`` over :data:`DEFAULT_SETTINGS` (one level deep)."""
    path = project.config / "trygghet.yml"
    given = read_yaml(path) if path.exists() else {}
    if not isinstance(given, dict):
        raise TrygghetError("ska vara en samling nyckel: värde", file=path)
    unknown = set(given) - set(DEFAULT_SETTINGS)
    if unknown:
        raise TrygghetError(f"okänd inställning '{sorted(unknown)[0]}'", file=path,
                            hint=f"tillåtna: {', '.join(DEFAULT_SETTINGS)}")
    settings = {}
    for key, default in DEFAULT_SETTINGS.items():
        value = given.get(key, default)
        if isinstance(default, dict):
            if not isinstance(value, dict):
                raise TrygghetError("ska vara en samling nyckel: värde", file=path, column=key)
            extra = set(value) - set(default)
            if extra:
                raise TrygghetError(f"okänd nyckel '{sorted(extra)[0]}'", file=path, column=key)
            value = {**default, **value}
        settings[key] = value
    return settings
