"""Which survey years of a workspace can be compared with each other: the one rule.

Trends, changes between years and the report's sentences about "last time"
put two years side by side. That is honest only when both are surveys of the
same municipality, over the same areas; otherwise the reports say *inte
jämförbart* and why, instead of drawing a line between two different things
(two towns that both have a "Centrum", say). Every place that compares years
asks :func:`judge` (or :func:`not_comparable`), so the rule lives here and
nowhere else; a change of survey *design* is a series break
(``survey.changes``), shown with both years, not a reason to leave one out.

What a year is compared by (:class:`YearProfile`):

- **municipality**: recorded in ``data/processed/<year>/cleaning_log.json``
  when the year was cleaned (the workspace's ``municipality`` setting then).
  A year cleaned in another workspace and copied here keeps its own name, so
  it is never joined with this municipality's years. A year cleaned before the
  name was recorded (an older version) counts as this workspace's: nothing
  says otherwise, and the area rule still applies.
- **areas**: the named areas of the year's mapping. No area in common means
  another municipality's survey whatever the recorded name; some areas
  different (a new area, a merged one) means the totals compare but the area
  figures do not. A mapping that cannot be read says nothing about areas here
  (cleaning and the reports refuse it with its own message).

Question-level reasons (a question whose wording or scale changed) belong here
too, as further checks in :func:`judge`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from .config import Project
from .errors import TrygghetError
from .mapping import load_mapping
from .schema import OTHER_AREA
from .vocabulary import tr

RECORD_FILE = "cleaning_log.json"
RECORD_KEY = "municipality"


@dataclass(frozen=True)
class YearProfile:
    """What decides whether a survey year can be compared with another."""

    year: int
    municipality: str | None                 # as recorded at cleaning; None: not recorded
    areas: frozenset[str] | None = None      # the mapping's named areas; None: unknown


@dataclass(frozen=True)
class Verdict:
    """Whether ``year`` compares with the base year, and why not (Swedish or English).

    ``reasons`` rule the year out altogether; ``area_reasons`` only its
    figures by area.
    """

    year: int
    reasons: tuple[str, ...] = ()
    area_reasons: tuple[str, ...] = ()

    @property
    def comparable(self) -> bool:
        return not self.reasons

    @property
    def areas_comparable(self) -> bool:
        return not self.reasons and not self.area_reasons

    def note(self, language: str = "sv") -> str:
        """One sentence for a chart's or table's note; "" when everything compares."""
        if self.reasons:
            return tr("comparability.not_comparable", language, year=self.year,
                      reasons="; ".join(self.reasons))
        if self.area_reasons:
            return tr("comparability.areas_only", language, year=self.year,
                      reasons="; ".join(self.area_reasons))
        return ""


def _same_name(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def recorded_municipality(project: Project, year: int) -> str | None:
    """The municipality ``year`` was cleaned for (None: not cleaned, or not recorded)."""
    path = project.processed(year) / RECORD_FILE
    try:
        value = json.loads(path.read_text(encoding="utf-8")).get(RECORD_KEY)
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) and value.strip() else None


def profile(project: Project, year: int) -> YearProfile:
    """The :class:`YearProfile` of one survey year of ``project``."""
    try:
        mapping = load_mapping(project.mapping(year), project.questionnaire)
        areas: frozenset[str] | None = frozenset(a for a in mapping.areas if a != OTHER_AREA)
    except TrygghetError:
        areas = None
    return YearProfile(year, recorded_municipality(project, year), areas)


def judge(base: YearProfile, other: YearProfile, municipality: str,
          language: str = "sv") -> Verdict:
    """Whether ``other`` can be compared with ``base``, in ``municipality``'s workspace.

    Parameters
    ----------
    base
        The year the report or the estimation is about.
    other
        A year to put beside it.
    municipality
        The workspace's ``municipality`` setting: both years must have been
        cleaned for it.
    """
    reasons: list[str] = []
    for year in (other, base):
        if year.municipality is not None and not _same_name(year.municipality, municipality):
            reasons.append(tr("comparability.other_municipality", language,
                              other=year.municipality, municipality=municipality))
            break
    area_reasons: list[str] = []
    if base.areas is not None and other.areas is not None:  # None: the mapping is unreadable
        if base.areas and other.areas and not base.areas & other.areas:
            reasons.append(tr("comparability.no_common_areas", language))
        elif base.areas != other.areas:
            differ = sorted(base.areas ^ other.areas)
            area_reasons.append(tr("comparability.areas_differ", language,
                                   areas=", ".join(differ)))
    return Verdict(other.year, tuple(reasons), tuple(area_reasons))


def verdicts(project: Project, year: int, years: Iterable[int], municipality: str,
             language: str = "sv") -> dict[int, Verdict]:
    """A :class:`Verdict` for every other year of ``years`` against ``year``."""
    base = profile(project, year)
    return {y: judge(base, profile(project, y), municipality, language)
            for y in sorted(set(years)) if y != year}


def not_comparable(project: Project, year: int, years: Iterable[int], municipality: str,
                   language: str = "sv") -> dict[int, str]:
    """The notes of the years that do not fully compare with ``year`` (year → sentence)."""
    return {y: v.note(language) for y, v in
            verdicts(project, year, years, municipality, language).items() if v.note(language)}
