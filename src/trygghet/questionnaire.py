"""The questionnaire as configuration: questions, scales, batteries, indicators, indices.

A workspace describes its survey in ``config/frageformular.yml``; without one it
uses the questionnaire bundled with the package (``frageformular.yml`` next to
this module: the Police's and Brå's core set, today's canonical model). The file
is read and validated by :mod:`trygghet.questionnaire_load`; this module holds
what it becomes:

* :class:`~trygghet.schema.Question` and :class:`~trygghet.schema.Scale` per
  canonical question (a *grid* — one scale, many items — becomes one question
  per item, ``problem_nedskrapning``), in the order of the file;
* **batteries**, named groups of questions (``problems``, ``victimisation``,
  ``priorities``, ``trust`` have sections of their own in the report; any other
  battery gets a generic one);
* **indicators**, declared rather than coded: which answers count, which form
  the base (the denominator), which stand outside it — and the rule, written
  in the file, that a person who does not go out *because* they feel unsafe
  counts as unsafe; ``any_of`` over a battery (victim of any crime), one share
  per item of a battery or per option of a multi-select question, and indices;
* **indices** (items, scores, bands), formerly ``indices.yml``;
* the **year map**: in which years a question was asked and when its wording
  or scale changed, so that years across a change are not compared.

Every statistical stage takes the questionnaire as a parameter; ``None``
means the default one, so that code written for the default model keeps
working, while a workspace's own questionnaire is always passed explicitly
(:func:`questionnaire_for`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .schema import Column, Question, Scale, canonical_columns

if TYPE_CHECKING:
    from .config import Project
    from .vocabulary import Vocabulary

#: The questionnaire bundled with the package (copied into new workspaces).
DEFAULT_FILE = Path(__file__).with_name("frageformular.yml")
#: Where a workspace keeps its own questionnaire, relative to its root.
WORKSPACE_FILE = Path("config") / "frageformular.yml"
#: Batteries the survey report knows and gives sections of their own.
KNOWN_BATTERIES = ("problems", "victimisation", "priorities", "trust")


@dataclass(frozen=True)
class Indicator:
    """One estimated quantity, as the questionnaire declares it.

    ``kind`` is ``"share"`` (estimate in [0, 1], shown in per cent) or
    ``"mean"`` (an index score on 0–6). ``theme`` groups indicators (a sheet
    of the Excel appendix). ``questions`` are the canonical questions it is
    computed from: if none of them was asked in a year the indicator is *not
    available* that year (symbol ``.``). ``rule`` says how a respondent's
    answers become its value:

    * ``share`` — 1 for an answer in ``counts``, 0 for one in ``base``,
      missing otherwise (outside the base: e.g. *Går inte ut av andra skäl*);
    * ``any_of`` — 1 if any question has an answer in ``counts``, 0 if all
      are answered and none does, missing otherwise;
    * ``option`` — the tick of one option of a multi-select question
      (``column``);
    * ``index`` — the score of :attr:`Questionnaire.indices` ``[index]``.

    ``family`` is the declaration an item/option indicator was expanded
    from (``"prio"``), ``option`` the answer option or item text it stands
    for, ``label``/``short`` its names in ``{"sv": …, "en": …}``.
    """

    name: str
    theme: str
    kind: str
    questions: tuple[str, ...]
    rule: str = "share"
    counts: tuple[str, ...] = ()
    base: tuple[str, ...] = ()
    column: str | None = None
    index: str | None = None
    hidden: bool = False
    family: str | None = None
    option: str | None = None
    label: dict[str, str] = field(default_factory=dict, compare=False)
    short: dict[str, str] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Battery:
    """Questions that belong together (a grid's items, or several single questions)."""

    name: str
    title: dict[str, str]
    questions: tuple[str, ...]

    @property
    def known(self) -> bool:
        """Whether the survey report has a section of its own for this battery."""
        return self.name in KNOWN_BATTERIES


@dataclass(frozen=True)
class QuestionYears:
    """When a question was asked (``None`` = every year) and when it changed."""

    asked: tuple[int, ...] | None = None
    changes: tuple[tuple[int, str], ...] = ()


@dataclass
class Questionnaire:
    """A validated questionnaire: build it with :func:`load_questionnaire`.

    ``questions`` are the canonical questions in file order, a grid expanded
    into one question per item; ``grids`` maps a grid's id to its item
    questions; ``items`` maps an item question to its item text
    ``{"sv", "en"}``; ``english`` holds each question's English text;
    ``indices`` is the index configuration (``min_answered``, one entry per
    index with ``scores``, ``bands``).
    """

    path: Path | None
    version: int | float | str
    name: dict[str, str]
    scales: dict[str, Scale]
    questions: dict[str, Question]
    grids: dict[str, tuple[str, ...]]
    items: dict[str, dict[str, str]]
    english: dict[str, str]
    batteries: dict[str, Battery]
    indicators: dict[str, Indicator]
    indices: dict[str, Any]
    years: dict[str, QuestionYears]
    level_english: dict[str, dict[str, str]] = field(default_factory=dict)

    # --- Questions by year ----------------------------------------------------------

    def asked(self, year: int) -> list[str]:
        """The questions the questionnaire says were asked in ``year`` (file order)."""
        return [name for name in self.questions if self._asked_in(name, year)]

    def _asked_in(self, name: str, year: int) -> bool:
        years = self.years.get(name, QuestionYears()).asked
        return years is None or year in years

    def comparable(self, name: str, year_a: int, year_b: int) -> tuple[bool, str]:
        """Whether a question or indicator can be compared between two years, and why not.

        An indicator is comparable when each of its questions is. A question
        is not when it was not asked in one of the years, or when its
        wording or scale changed in a year after the earlier and up to the
        later one. Returns ``(True, "")`` or ``(False, reason in Swedish)``.
        """
        if name in self.indicators:
            for q in self.indicators[name].questions:
                ok, why = self.comparable(q, year_a, year_b)
                if not ok:
                    return ok, why
            return True, ""
        if name not in self.questions:
            raise KeyError(f"no question or indicator {name!r} in the questionnaire")
        low, high = sorted((year_a, year_b))
        for year in (low, high):
            if not self._asked_in(name, year):
                return False, f"frågan {name} ställdes inte {year}"
        for year, note in self.years.get(name, QuestionYears()).changes:
            if low < year <= high:
                return False, f"frågan {name} ändrades {year}" + (f": {note}" if note else "")
        return True, ""

    # --- Derived views ----------------------------------------------------------------

    def columns(self, areas: list[str]) -> list[Column]:
        """The canonical frame's columns for this questionnaire (see ``schema``)."""
        return canonical_columns(self.questions, areas)

    def family(self, family: str) -> dict[str, str]:
        """``{indicator: option}`` of an item or option family (``"tid"``, ``"prio"``)."""
        return {name: ind.option or "" for name, ind in self.indicators.items()
                if ind.family == family}

    def family_of_question(self, question: str) -> dict[str, str]:
        """``{indicator: option}`` of the option indicators of a multi-select question."""
        return {name: ind.option or "" for name, ind in self.indicators.items()
                if ind.rule == "option" and ind.questions == (question,)}

    def battery_indicators(self, battery: str) -> list[str]:
        """Indicators computed from the questions of ``battery`` only (file order)."""
        members = set(self.batteries[battery].questions)
        return [name for name, ind in self.indicators.items()
                if ind.questions and set(ind.questions) <= members]

    def themes(self) -> dict[str, list[str]]:
        """``{theme: [indicator, …]}`` in file order."""
        out: dict[str, list[str]] = {}
        for name, ind in self.indicators.items():
            out.setdefault(ind.theme, []).append(name)
        return out

    def words(self) -> dict[str, dict[str, dict[str, str]]]:
        """The questionnaire's own wording for the vocabulary (``namespace → key → {sv, en}``).

        Indicator names and short headings, the questions' texts, item texts,
        battery titles and every answer option, so that reports use the
        questionnaire's words and not the default model's.
        """
        out: dict[str, dict[str, dict[str, str]]] = {
            "indicator": {}, "short": {}, "question": {}, "item": {}, "battery": {},
            "option": {}}
        for name, ind in self.indicators.items():
            out["indicator"][name] = dict(ind.label)
            if ind.short:
                out["short"][name] = dict(ind.short)
        for name, q in self.questions.items():
            out["question"][name] = {"sv": q.text, "en": self.english.get(name) or q.text}
        for name, texts in self.items.items():
            out["item"][name] = dict(texts)
        for name, b in self.batteries.items():
            out["battery"][name] = dict(b.title)
        for q in self.questions.values():
            if q.kind == "multi" and q.scale is not None and not q.background:
                english = self.level_english.get(q.scale.name, {})
                for level in q.scale.levels:
                    out["option"][level] = {"sv": level, "en": english.get(level, level)}
        return {k: v for k, v in out.items() if v}

    @cached_property
    def vocabulary(self) -> Vocabulary:
        """The bundled words overlaid with this questionnaire's (:meth:`words`)."""
        from .vocabulary import BUILTIN

        return BUILTIN.overlay(self.words(), source=self.path)


KIND_WORDS = {"single": "ett svar", "multi": "flera svar", "grid": "frågebatteri",
              "number": "tal", "text": "fritext, publiceras aldrig"}


def describe(questionnaire: Questionnaire, year: int | None = None,
             source: str | None = None, mapped: list[str] | None = None) -> list[str]:
    """The questionnaire as ``trygghet questions`` prints it (Swedish lines).

    Every question with its id (the name mapping files use), kind, text and
    scale (levels in order, what counts as missing, special answers), when
    it was asked and changed; a grid once with its items; then the
    indicators. With ``year``, only what was asked that year: by the
    questionnaire's year map and, where the year has a mapping file, the
    questions it maps (``mapped``).
    """
    q = questionnaire
    head = f"Frågeformulär: {q.name['sv'] or 'utan namn'} (version {q.version})"
    lines = [head + (f", {source}" if source else "")]
    asked = set(q.questions) if year is None else set(q.asked(year))
    if mapped is not None:
        asked &= set(mapped)
    if year is not None:
        lines.append(f"Frågor som ställdes {year}: {len(asked)} av {len(q.questions)}")
    in_grid = {name: grid for grid, names in q.grids.items() for name in names}
    done: set[str] = set()
    for name, question in q.questions.items():
        grid = in_grid.get(name)
        if grid in done or name not in asked:
            continue
        lines.append("")
        if grid is not None:
            done.add(grid)
            members = [m for m in q.grids[grid] if m in asked]
            lines.append(f"{grid}  ({KIND_WORDS['grid']}, {len(members)} påståenden)")
            lines.append(f"  {question.text.replace(q.items[name]['sv'], '{item}')}")
            lines += [f"    {m}: {q.items[m]['sv']}" for m in members]
        else:
            extra = ", bakgrund" if question.background else ""
            lines.append(f"{name}  ({KIND_WORDS[question.kind]}{extra})")
            lines.append(f"  {question.text}")
        lines += _scale_lines(q, question)
        lines += _year_lines(q, name)
    lines += ["", "Indikatorer (id – namn, tema):"]
    for name, ind in q.indicators.items():
        if year is not None and all(c not in asked for c in ind.questions):
            continue
        hidden = ", dold i rapporten" if ind.hidden else ""
        lines.append(f"  {name} – {ind.label.get('sv', name)} ({ind.theme}{hidden})")
    return lines


def _scale_lines(q: Questionnaire, question: Question) -> list[str]:
    if question.name == "area":
        return ["  svar: kommunens områden (ur årets mappningsfil) och Annat område"]
    if question.scale is None:
        return []
    scale = question.scale
    lines = [f"  skala {scale.name}: {' · '.join(scale.levels)}"]
    if scale.missing:
        lines.append(f"    saknas: {', '.join(scale.missing)}")
    if scale.special:
        lines.append(f"    särskilda svar: {', '.join(scale.special)}")
    if question.max_choices:
        lines.append(f"    högst {question.max_choices} val")
    return lines


def _year_lines(q: Questionnaire, name: str) -> list[str]:
    years = q.years.get(name, QuestionYears())
    lines = []
    if years.asked is not None:
        shown = sorted(years.asked)
        span = (f"{shown[0]}–{shown[-1]}" if len(shown) > 3
                and shown == list(range(shown[0], shown[-1] + 1))
                else ", ".join(str(y) for y in shown))
        lines.append(f"  ställd: {span}")
    lines += [f"  ändrad {year}{': ' + note if note else ''} (jämförs inte över ändringen)"
              for year, note in years.changes]
    return lines


def load_questionnaire(path: str | Path) -> Questionnaire:
    """Read and validate a questionnaire file; errors name the line and what is wrong."""
    from .questionnaire_load import read_questionnaire

    return read_questionnaire(Path(path))


@cache
def default_questionnaire() -> Questionnaire:
    """The questionnaire bundled with the package (read once per process)."""
    return load_questionnaire(DEFAULT_FILE)


def questionnaire_file(project: Project) -> Path:
    """The workspace's questionnaire file, or the bundled default if it has none."""
    own = project.root / WORKSPACE_FILE
    return own if own.is_file() else DEFAULT_FILE


def questionnaire_for(project: Project) -> Questionnaire:
    """The questionnaire of a workspace: ``config/frageformular.yml``, else the default."""
    path = questionnaire_file(project)
    return default_questionnaire() if path == DEFAULT_FILE else _cached_load(
        str(path.resolve()), path.stat().st_mtime_ns, path.stat().st_size)


@cache
def _cached_load(path: str, mtime: int, size: int) -> Questionnaire:
    # Keyed by modification time and size: an edited file is read again.
    return load_questionnaire(path)


def resolve(questionnaire: Questionnaire | None) -> Questionnaire:
    """``questionnaire``, or the default one for code written before questionnaires."""
    return default_questionnaire() if questionnaire is None else questionnaire
