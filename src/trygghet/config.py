"""Where things live, and strict reading of the project's YAML files.

A *workspace* is one municipality's folder (``trygghet init`` makes one; the
bundled sample is the example workspace ``examples/trollhattan/``)::

    config/trygghet.yml          settings (municipality, thresholds, weighting): the marker
    config/frageformular.yml     the questionnaire
    config/surveys/<year>.yml    one mapping per survey year (see mapping.py)
    data/raw/<year>/             raw exports, never modified
    data/reference/              population margins, promises, outcome data
    data/processed/<year>/       everything the pipeline writes
    reports/<year>/              published reports and the Excel appendix

Every path a stage reads or writes is one of these, under the workspace's
root: a year of the workspace is a mapping in *its* ``config/surveys/``, and
nothing outside the workspace is data (the report notebooks are the toolkit's
code, :func:`toolkit_notebooks`). Only the CLI and the rendering code choose
file locations; the statistical modules take and return DataFrames.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import TrygghetError, shown
from .inputs import MAX_YAML_BYTES, read_input_bytes

# A YAML alias (*name) repeats what its anchor (&name) holds. Nested, a few
# lines expand to billions of values ("billion laughs"): a mapping did that and
# grew the process to 24 GB. A project file is read only if it holds at most
# this many values with every alias expanded; real files hold a few hundred.
MAX_YAML_VALUES = 100_000


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys.

    Plain YAML keeps the last of two equal keys without a word; in a mapping
    file that hides a header mapped twice to one field.
    """


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False):
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key is None or isinstance(key, list | dict | set) or \
                (isinstance(key, str) and not key.strip()):
            # A list as a key ("? [a, b]") cannot be looked up, and an empty key
            # names nothing: neither means anything in a trygghet file.
            raise yaml.constructor.ConstructorError(
                None, None, f"nyckeln på rad {key_node.start_mark.line + 1} är "
                f"{'tom' if not isinstance(key, list | dict | set) else 'en lista eller samling'}"
                ", men en nyckel ska vara en text", key_node.start_mark)
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


def _expanded_size(node: yaml.Node, sizes: dict[int, int], open_: set[int]) -> int:
    """Values under ``node`` with every alias expanded (memoised: linear in the file).

    A node that contains itself (``&a [*a]``) is infinitely large.
    """
    key = id(node)
    if key in sizes:
        return sizes[key]
    if key in open_:
        return MAX_YAML_VALUES + 1
    open_.add(key)
    total = 1
    if isinstance(node, yaml.SequenceNode):
        for item in node.value:
            total += _expanded_size(item, sizes, open_)
            if total > MAX_YAML_VALUES:
                break
    elif isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            total += _expanded_size(k, sizes, open_) + _expanded_size(v, sizes, open_)
            if total > MAX_YAML_VALUES:
                break
    open_.discard(key)
    sizes[key] = total
    return total


def read_yaml(path: str | Path) -> Any:
    """Read a YAML file strictly: duplicate keys and syntax errors name file and line.

    Refused besides: a file larger than :data:`inputs.MAX_YAML_BYTES` or not a
    regular file, keys that are empty or lists, nesting deeper than Python can
    follow, and aliases that expand to more than :data:`MAX_YAML_VALUES` values.
    """
    path = Path(path)
    data = read_input_bytes(path, limit=MAX_YAML_BYTES)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise TrygghetError("filen är inte UTF-8", file=path, row=data.count(b"\n", 0, err.start)
                            + 1, hint="spara YAML-filen som UTF-8") from err
    loader = None
    try:
        loader = _StrictLoader(text)  # (the reader refuses a NUL byte already here)
        node = loader.get_single_node()
        if node is not None and _expanded_size(node, {}, set()) > MAX_YAML_VALUES:
            raise TrygghetError(
                f"filen upprepar innehåll via alias (*namn) till mer än {MAX_YAML_VALUES:,} "
                "värden".replace(",", "\u00a0"), file=path,
                hint="skriv ut värdena i stället för att upprepa dem med &ankare och *alias")
        return None if node is None else loader.construct_document(node)
    except yaml.reader.ReaderError as err:  # a character YAML does not allow (a NUL byte)
        row = text.count("\n", 0, err.position) + 1
        raise TrygghetError(f"ogiltig YAML: otillåtet tecken (kod {err.character:#06x})",
                            file=path, row=row) from err
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
        problem = getattr(err, "problem", None) or str(err)
        raise TrygghetError(f"ogiltig YAML: {problem}", file=path,
                            row=None if mark is None else mark.line + 1) from err
    except RecursionError as err:
        raise TrygghetError("ogiltig YAML: för djupt nästlad", file=path,
                            hint="en projektfil har några få nivåer av indrag och listor") from err
    finally:
        if loader is not None:
            loader.dispose()


# The file that makes a folder a workspace; `trygghet init` writes it.
MARKER = Path("config") / "trygghet.yml"
# Environment variable naming the workspace (JupyterLab, and the report notebooks' kernels).
ROOT_ENV = "TRYGGHET_ROOT"


def toolkit_root() -> Path:
    """The checkout the package runs from (``src/trygghet/`` → two levels up)."""
    return Path(__file__).resolve().parents[2]


def example_workspace() -> Path:
    """The bundled example workspace (synthetic Trollhättan-like sample)."""
    return toolkit_root() / "examples" / "trollhattan"


def toolkit_notebooks() -> Path:
    """The toolkit's report notebooks, used for every workspace without its own."""
    return toolkit_root() / "notebooks"


@dataclass(frozen=True)
class Project:
    """Paths of one workspace rooted at ``root`` (see the module docstring)."""

    root: Path

    @classmethod
    def find(cls, start: str | Path | None = None) -> Project:
        """The workspace ``start`` names (``--root``), else ``$TRYGGHET_ROOT``, else the one
        containing the working folder.

        A named folder must itself be a workspace: a folder that happens to lie
        inside another municipality's workspace is not taken for it. From the
        working folder the search walks up until a folder with
        ``config/trygghet.yml`` is found, so the CLI works from any sub-folder.
        There is no fallback: outside every workspace this is an error, never
        the bundled example, so that one municipality's commands cannot read
        another's files.
        """
        named = start or os.environ.get(ROOT_ENV)
        hint = ("skapa en med trygghet init MAPP --municipality KOMMUN, gå till arbetsytan "
                "eller ange den med --root MAPP (exemplet: --root examples/trollhattan)")
        if named:
            folder = Path(named).resolve()
            if not (folder / MARKER).is_file():
                raise TrygghetError("är ingen arbetsyta (config/trygghet.yml saknas)",
                                    file=folder, hint=hint)
            return cls(folder)
        start = Path.cwd().resolve()
        for folder in (start, *start.parents):
            if (folder / MARKER).is_file():
                return cls(folder)
        raise TrygghetError("hittar ingen arbetsyta (en mapp med config/trygghet.yml) här "
                            "eller ovanför", file=start, hint=hint)

    @contextmanager
    def active(self) -> Iterator[Project]:
        """Name this workspace in ``$TRYGGHET_ROOT`` while the block runs.

        The report notebooks run in kernels (child processes) that find their
        workspace with :meth:`find`; a value inherited from the user's shell
        would otherwise point them at another workspace than ``--root`` named.
        """
        before = os.environ.get(ROOT_ENV)
        os.environ[ROOT_ENV] = str(self.root.resolve())
        try:
            yield self
        finally:
            if before is None:
                os.environ.pop(ROOT_ENV, None)
            else:
                os.environ[ROOT_ENV] = before

    def notebook(self, name: str) -> Path:
        """Report notebook ``name``: the workspace's own adaptation in ``notebooks/`` if
        there is one, else the toolkit's (code, not data: no municipality's files)."""
        own = self.root / "notebooks" / name
        return own if own.is_file() else toolkit_notebooks() / name

    @property
    def config(self) -> Path:
        return self.root / "config"

    def mapping(self, year: int) -> Path:
        return self.config / "surveys" / f"{year}.yml"

    @property
    def questionnaire_file(self) -> Path:
        """The workspace's questionnaire (``config/frageformular.yml``), else the default's."""
        from .questionnaire import questionnaire_file

        return questionnaire_file(self)

    @property
    def questionnaire(self):
        """The workspace's :class:`~trygghet.questionnaire.Questionnaire` (validated)."""
        from .questionnaire import questionnaire_for

        return questionnaire_for(self)

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
                   # None: the questionnaire's background questions (sex, age_group, area,
                   # relation in the default), so a questionnaire without one still runs
                   "by": None},
    "disclosure": {"min_cell": 5, "min_n": 30},
    # `trygghet clean` stops, keeping the previous outputs, when more than this share of the
    # rows is quarantined, or when a share indicator is exactly 0 % or 100 % of more than
    # 100 respondents (a sign of how blanks were read) unless listed in allow_constant.
    "cleaning": {"max_quarantined": 0.20, "allow_constant": []},
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
    check_settings(settings, path)
    return settings


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) \
        and math.isfinite(value)


def check_settings(settings: dict[str, Any], path: str | Path | None = None) -> None:
    """Refuse settings of the wrong type, and groupings that would publish people.

    The types are checked here, once, so that a typo is one message naming the
    setting rather than a Python error deep in the statistics; the statistical
    modules check what only they understand (the confidence level's range, the
    CI method, trimming bounds, the disclosure thresholds).

    ``estimation.by`` decides which groups every figure is published for, and
    the group's value becomes a label in the reports and the Excel appendix.
    Only the canonical categorical questions qualify — the background
    variables (sex, age group, area, relation) and the answers on a fixed
    scale — whose levels are declared (by the schema, or for areas by the
    year's mapping). An identifier (``respondent_id``), a timestamp
    (``submitted``), free text (``comment``) or a raw age would publish one
    group per respondent, each label a pseudonym, a submission time or an age.
    """
    def fail(where: str, message: str, hint: str | None = None) -> TrygghetError:
        return TrygghetError(message, file=path, column=where, hint=hint)

    if not isinstance(settings["municipality"], str) or not settings["municipality"].strip():
        raise fail("municipality",
                   f"ska vara kommunens namn, inte {shown(settings['municipality'])}")
    if settings["police_area"] is not None and not isinstance(settings["police_area"], str):
        raise fail("police_area", f"ska vara lokalpolisområdets namn, inte "
                   f"{shown(settings['police_area'])}")
    if not isinstance(settings["synthetic_data"], bool):
        raise fail("synthetic_data", f"ska vara true eller false, inte "
                   f"{shown(settings['synthetic_data'])}")

    w = settings["weighting"]
    margins = w["margins"]
    if not isinstance(margins, list) or not all(isinstance(m, str) and m.strip()
                                                for m in margins):
        raise fail("weighting.margins", "ska vara en lista med marginaler",
                   't.ex. ["sex:age_group", area]')
    if not _number(w["tolerance"]) or w["tolerance"] <= 0:
        raise fail("weighting.tolerance",
                   f"ska vara ett positivt tal, inte {shown(w['tolerance'])}", "standard 1.0e-12")
    if isinstance(w["max_iter"], bool) or not isinstance(w["max_iter"], int) \
            or not 1 <= w["max_iter"] <= 1_000_000:
        raise fail("weighting.max_iter", f"ska vara ett heltal från 1 till 1 000 000, inte "
                   f"{shown(w['max_iter'])}", "standard 1000")
    collapse = w["collapse"] or {}
    if not isinstance(collapse, dict) or not all(
            isinstance(levels, dict) and all(isinstance(a, str) and isinstance(b, str)
                                             for a, b in levels.items())
            for levels in collapse.values()):
        raise fail("weighting.collapse", "ska vara marginal: {nivå: nivå att slås ihop med}",
                   "t.ex. collapse: {area: {Upphärad: Sjuntorp}}")

    c = settings["cleaning"]
    if not _number(c["max_quarantined"]) or not 0 <= c["max_quarantined"] <= 1:
        raise fail("cleaning.max_quarantined", f"ska vara en andel från 0 till 1, inte "
                   f"{shown(c['max_quarantined'])}", "standard 0.20 (20 % av raderna)")
    if not isinstance(c["allow_constant"], list) or not all(
            isinstance(x, str) for x in c["allow_constant"]):
        raise fail("cleaning.allow_constant", "ska vara en lista med indikatornamn",
                   "t.ex. [prio_annat]")

    e = settings["estimation"]
    if not _number(e["level"]):
        raise fail("estimation.level", f"ska vara ett tal, inte {shown(e['level'])}",
                   "t.ex. 0.95 för 95 % konfidensintervall")
    if not isinstance(e["ci_method"], str):
        raise fail("estimation.ci_method", f"ska vara en text, inte {shown(e['ci_method'])}",
                   "välj wilson, logit eller beta")
    if e["by"] is not None:
        check_by(e["by"], path)


def groupings_of(by: list[str] | tuple[str, ...] | None, questions: dict) -> list[str]:
    """The published groupings: ``estimation.by`` as given, or by default (``None``)
    the questionnaire's background questions in its order."""
    if by is None:
        return [name for name, q in questions.items() if q.background]
    return list(by)


def check_by(by: Any, path: str | Path | None = None, questions: dict | None = None) -> None:
    """Refuse an ``estimation.by`` that is not a list of categorical questions.

    The one rule for what a published grouping may be (see
    :func:`check_settings`); :func:`trygghet.survey.group_columns` applies it
    too, for settings built in code.
    """
    def fail(where: str, message: str, hint: str | None = None) -> TrygghetError:
        return TrygghetError(message, file=path, column=where, hint=hint)

    from .questionnaire import resolve

    questions = resolve(None).questions if questions is None else questions
    groupings = [name for name, q in questions.items() if q.kind in ("single", "multi")]
    background = ", ".join(q.name for q in questions.values() if q.background)
    if not isinstance(by, list | tuple):
        raise fail("estimation.by", f"ska vara en lista, inte {shown(by)}",
                   f"t.ex. [{background}]; [] för bara totalen")
    by = list(by)
    for name in by:
        if not isinstance(name, str) or name not in groupings:
            why = {"respondent_id": "varje svarande blev en egen grupp",
                   "submitted": "varje inskickningstid blev en egen grupp",
                   "comment": "fritext publiceras aldrig",
                   "year": "året är redan en egen tabell"}.get(str(name), "")
            raise fail("estimation.by", f"kan inte redovisa efter {shown(name)}"
                       + (f": {why}" if why else ": ingen kategorisk fråga"),
                       f"välj bakgrundsvariabler ({background}) eller andra frågor med "
                       "fasta svarsalternativ")
        if by.count(name) > 1:
            raise fail("estimation.by", f"'{name}' förekommer två gånger")
