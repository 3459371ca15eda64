"""Which sections the survey report has, and their data-dependent sentences.

The report follows the workspace's questionnaire (:mod:`trygghet.questionnaire`):

* an indicator is **shown** when the questionnaire has it, does not hide it
  (``hidden: true``) and it was asked in the report's year;
* the **known themes** keep their sections (safety in the evening, when it
  feels unsafe, problems, worry and victimisation, priorities, trust), each
  with only the indicators that are shown;
* every other shown indicator — an extra question, an extra battery — lands
  in a **generic section** per theme, in the questionnaire's order
  (:func:`generic_sections`): a chart by group with confidence intervals
  for each single indicator, a ranked table for an item or option family,
  and a table by group.

Sentences whose truth depends on the data are computed here or left out:
the definition of the headline is read from the indicator's declaration
(:func:`definition_text`), the darkness sentence is said only when the
evening or night share is higher than the daytime one (:func:`when_text`),
and the säkerhet/trygghet text compares the areas' reported crime with
their insecurity instead of asserting that beliefs are wrong
(:func:`safety_text`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from . import fmt
from .report_survey import SurveyReport, crime_frame

#: Indicators and families (``family`` of an item/option indicator) that the
#: known sections of the notebook show.
KNOWN_INDICATORS = ("otrygg_kvall", "otrygg_dag", "oro", "avstatt", "utsatt", "problemindex",
                    "trygghetsindex", "fortroende_polis", "fortroende_kommun")
KNOWN_FAMILIES = ("tid", "prio", "stort_problem")
#: The trust indicators the trust section shows (police, then municipality).
TRUST = ("fortroende_polis", "fortroende_kommun")


@dataclass(frozen=True)
class Section:
    """A generic section: its heading (the theme), single indicators and families."""

    title: str
    indicators: tuple[str, ...]
    families: tuple[str, ...]


def shown(rep: SurveyReport, indicator: str) -> bool:
    """Whether the report shows ``indicator``: declared, not hidden, asked in the year."""
    ind = rep.survey.indicators.get(indicator)
    if ind is None or ind.hidden:
        return False
    rows = rep.primary()
    rows = rows[rows["indicator"] == indicator]
    return bool(len(rows)) and not rows["suppression_reason"].eq("not_asked").all()


def shown_family(rep: SurveyReport, family: str) -> dict[str, str]:
    """``{indicator: option}`` of a family's shown indicators (questionnaire order)."""
    return {name: option for name, option in rep.survey.family(family).items()
            if shown(rep, name)}


def family_prefix(rep: SurveyReport, family: str) -> str:
    """The common name prefix of a family's indicators (``"stort_problem_"``)."""
    names = list(rep.survey.family(family))
    return _common_prefix(names) if names else f"{family}_"


def _common_prefix(names: list[str]) -> str:
    first, last = min(names), max(names)
    i = 0
    while i < min(len(first), len(last)) and first[i] == last[i]:
        i += 1
    prefix = first[:i]
    return prefix if len(names) > 1 else prefix.rsplit("_", 1)[0] + "_"


def generic_sections(rep: SurveyReport) -> list[Section]:
    """Sections for the shown indicators no known section covers, by theme, in order."""
    themes: dict[str, tuple[list[str], list[str]]] = {}
    for name, ind in rep.survey.indicators.items():
        if name in KNOWN_INDICATORS or (ind.family in KNOWN_FAMILIES) or not shown(rep, name):
            continue
        singles, families = themes.setdefault(ind.theme, ([], []))
        if ind.family is None:
            singles.append(name)
        elif ind.family not in families:
            families.append(ind.family)
    return [Section(theme, tuple(singles), tuple(families))
            for theme, (singles, families) in themes.items()]


def section_title(rep: SurveyReport, battery: str, key: str) -> str:
    """A known section's heading: the questionnaire's title of its battery, else ``key``'s."""
    b = rep.survey.batteries.get(battery)
    return b.title[rep.language] if b is not None else rep.tr(key)


def trust_indicators(rep: SurveyReport) -> list[str]:
    """The trust indicators shown: the police's and the municipality's, where asked."""
    return [name for name in TRUST if shown(rep, name)]


def _options(values: list[str], language: str) -> str:
    """``*a*, *b* eller *c*``: answer options inside a sentence."""
    from .vocabulary import tr

    items = [f"*{fmt.lower_first(v)}*" for v in values]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {tr('unit.or', language)} " + items[-1]


def definition_text(rep: SurveyReport, indicator: str) -> str:
    """What a share counts, read from its declaration: counts, base and what is outside.

    For the headline it says in words whether those who do not go out *because*
    they feel unsafe count as unsafe — as the questionnaire declares it, so a
    workspace with another rule gets a sentence that matches its figures.
    """
    t, lang = rep.tr, rep.language
    ind = rep.survey.indicators.get(indicator)
    if ind is None or ind.rule != "share":
        return ""
    question = rep.survey.questions[ind.questions[0]]
    english = rep.survey.level_english.get(question.answer_scale.name, {})

    def words(levels) -> list[str]:  # the scale's own words in the report's language
        names = {"sv": {v: v for v in levels}, "en": english}[lang]
        return [names.get(v, v) for v in levels]

    outside = [v for v in question.answer_scale.levels if v not in (*ind.counts, *ind.base)]
    text = t("survey.definition", name=fmt.lower_first(t.label("indicator", indicator)),
             counts=_options(words(ind.counts), lang),
             question=t.label("question", question.name))
    if outside:
        text += " " + t("survey.definition_outside", outside=_options(words(outside), lang))
    return text


def when_text(rep: SurveyReport) -> str:
    """The darkness sentence, only when evening or night is above daytime (published)."""
    family = rep.survey.family("tid")
    by_time = {option: rep.value(name) for name, option in family.items()}
    rows = [by_time.get(o) for o in ("Dagtid", "Kväll", "Natt")]
    shown = [r for r in rows if r is not None and not r["suppressed"] and pd.notna(r["estimate"])]
    if len(shown) < 3:
        return ""
    day, evening, night = (float(r["estimate"]) for r in shown)
    if max(evening, night) <= day:
        return rep.tr("survey.when_not_dark")
    return rep.tr("survey.when_dark")


def problems_text(rep: SurveyReport) -> str:
    """What the problem index summarises, naming the questionnaire's first items."""
    items = [rep.survey.items[q][rep.language] for q in
             rep.survey.indices.get("problemindex", {}).get("questions", ())
             if q in rep.survey.items][:4]
    if not items:
        return ""
    return rep.tr("survey.problems_text", items=", ".join(items))


def safety_text(rep: SurveyReport) -> str:
    """*Säkerhet* and *trygghet*: a definition and what this year's areas show.

    The comparison is computed: whether the area where most feel unsafe is
    also the one with the most reported crimes per inhabitant. Nothing is
    said about residents' beliefs, which the survey does not measure.
    """
    t = rep.tr
    text = t("survey.safety_intro")
    frame = crime_frame(rep)
    if frame is None:
        return text
    unsafe = rep.primary()
    unsafe = unsafe[(unsafe["indicator"] == "otrygg_kvall") & (unsafe["group_var"] == "area")
                    & ~unsafe["suppressed"].astype(bool)]
    frame = frame[frame["area"].isin(unsafe["group"]) & frame["share_unsafe"].notna()]
    if len(frame) < 3:
        return text
    most_unsafe = frame.loc[frame["share_unsafe"].idxmax(), "area"]
    most_crime = frame.loc[frame["crimes_per_1000"].idxmax(), "area"]
    key = "survey.safety_same" if most_unsafe == most_crime else "survey.safety_differs"
    return text + " " + t(key, unsafe=most_unsafe, crime=most_crime)


def trend_breaks(rep: SurveyReport, indicator: str) -> list[int]:
    """Years the questionnaire says start a new series for ``indicator``.

    A year whose question (wording, scale) is not comparable with the
    previous compared year's (:meth:`~trygghet.questionnaire.Questionnaire.comparable`)
    is not joined to it in the trend chart.
    """
    if indicator not in rep.survey.indicators:
        return []
    years = sorted(rep.years)
    return [b for a, b in zip(years, years[1:], strict=False)
            if not rep.survey.comparable(indicator, a, b)[0]]
