"""The machinery of the canonical survey frame: one row per respondent, typed columns.

Which questions, scales and items a survey has is not fixed here: it is the
workspace's questionnaire (``config/frageformular.yml``, or the default bundled
as ``frageformular.yml``; see :mod:`trygghet.questionnaire`). Every survey
year, whatever its export looked like, is mapped onto the columns that
questionnaire defines (see ``mapping.py``), so that weighting, estimation and
reports are written once. This module holds what every questionnaire shares:
:class:`Scale` and :class:`Question`, column names (:func:`option_column`), the
age groups population files and raking use, and :func:`canonical_columns`.

Three kinds of question:

* **single** — one answer from a scale, stored as an ordered categorical;
  "Vet ej" and blanks become missing.
* **multi** — several options may be ticked ("Kväll; Natt"); stored as one
  nullable boolean column per option, named ``<question>_<option slug>``
  (``unsafe_times_kvall``). A respondent who skipped the question has missing
  values in all its option columns.
* **text** — free text (``comment``). Personal data: it never leaves
  ``data/processed/``.

A question that was not asked in a year keeps its (all-missing) columns and is
listed in ``DataFrame.attrs["not_asked"]``, which parquet preserves; that is how
"not asked" stays distinguishable from "not answered".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

# Labels that mean "no answer" wherever they appear.
MISSING_LABELS = ("Vet ej",)


@dataclass(frozen=True)
class Scale:
    """An answer scale: the ordered Swedish labels, plus labels read as missing."""

    name: str
    levels: tuple[str, ...]
    missing: tuple[str, ...] = MISSING_LABELS
    ordered: bool = True
    # Levels off the scale's steps ("Går inte ut ensam p.g.a. otrygghet"): every
    # indicator on the scale must say whether they count, are in the base or not.
    special: tuple[str, ...] = ()

    @property
    def dtype(self) -> pd.CategoricalDtype:
        return pd.CategoricalDtype(list(self.levels), ordered=self.ordered)


@dataclass(frozen=True)
class Question:
    """A canonical question: name, Swedish text, kind and scale."""

    name: str
    text: str
    kind: str  # "single", "multi", "number" or "text"
    scale: Scale | None = None
    max_choices: int | None = None  # multi only
    background: bool = False  # sex, age, area, relation: not a survey answer

    @property
    def answer_scale(self) -> Scale:
        """The scale of a single or multi question (a text question has none)."""
        if self.scale is None:
            raise TypeError(f"question {self.name!r} has no answer scale")
        return self.scale

    @property
    def columns(self) -> list[str]:
        """The columns this question occupies in the canonical frame."""
        if self.kind == "multi":
            return [option_column(self.name, level) for level in self.answer_scale.levels]
        return [self.name]


def slug(label: str) -> str:
    """ASCII identifier for a Swedish label: ``"Tidig morgon"`` → ``"tidig_morgon"``."""
    text = unicodedata.normalize("NFKD", label.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def option_column(question: str, level: str) -> str:
    """Column name of one option of a multi-select question."""
    return f"{question}_{slug(level)}"


# --- Age groups (generic: population files and raking use the same groups) ------

AGE_GROUP = Scale("age_group", ("16–24", "25–44", "45–64", "65–79", "80+"))
# Lower and upper bounds (inclusive) of each age group; 80+ is open.
AGE_BOUNDS = {"16–24": (16, 24), "25–44": (25, 44), "45–64": (45, 64), "65–79": (65, 79),
              "80+": (80, 200)}
MIN_AGE, MAX_AGE = 16, 110  # outside this an age is impossible for this survey

# Fields a mapping may name besides the questions: identifiers and the raw
# inputs from which age_group is derived.
META_FIELDS = ("respondent_id", "submitted", "age", "birth_year")
FREE_TEXT = ("comment",)

OTHER_AREA = "Annat område"


@dataclass(frozen=True)
class Column:
    """A column of the canonical frame and the question it belongs to."""

    name: str
    question: str
    dtype: object = field(compare=False)


def canonical_columns(questions: Mapping[str, Question] | list[str],
                      areas: list[str] | None = None) -> list[Column]:
    """All columns of the canonical frame, in order, with their dtypes.

    ``questions`` are a questionnaire's canonical questions
    (:attr:`trygghet.questionnaire.Questionnaire.questions`); ``areas`` are
    the municipality's areas for the year; "Annat område" is added as the
    last level. Called with the areas alone, the default questionnaire's
    questions are used (the form of older code).
    """
    if areas is None:
        from .questionnaire import default_questionnaire

        questions, areas = default_questionnaire().questions, list(questions)
    assert isinstance(questions, Mapping)
    cols = [
        Column("respondent_id", "respondent_id", pd.StringDtype()),
        Column("year", "year", pd.Int64Dtype()),
        Column("submitted", "submitted", "datetime64[ns]"),
    ]
    area_dtype = pd.CategoricalDtype([*areas, OTHER_AREA], ordered=False)
    for q in questions.values():
        if q.kind == "multi":
            cols += [Column(c, q.name, pd.BooleanDtype()) for c in q.columns]
        elif q.kind == "text":
            cols.append(Column(q.name, q.name, pd.StringDtype()))
        elif q.name == "area":
            cols.append(Column("area", "area", area_dtype))
        elif q.kind == "number":
            cols.append(Column(q.name, q.name, pd.Float64Dtype()))
        else:
            cols.append(Column(q.name, q.name, q.answer_scale.dtype))
    return cols


def empty_frame(questions: Mapping[str, Question] | list[str],
                areas: list[str] | None = None) -> pd.DataFrame:
    """A zero-row canonical frame with every column typed (arguments as
    :func:`canonical_columns`)."""
    return pd.DataFrame({c.name: pd.Series(dtype=c.dtype)
                         for c in canonical_columns(questions, areas)})


def age_to_group(age: pd.Series) -> pd.Series:
    """Age in whole years → ``age_group`` (ordered categorical); NaN stays missing."""
    edges = [AGE_BOUNDS[g][0] for g in AGE_GROUP.levels] + [AGE_BOUNDS["80+"][1] + 1]
    return pd.cut(age, bins=edges, right=False, labels=list(AGE_GROUP.levels)).astype(
        AGE_GROUP.dtype
    )
