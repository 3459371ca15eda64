"""The canonical survey model: one row per respondent, fixed names and scales.

Every survey year, whatever its export looked like, is mapped onto the columns
defined here (see ``mapping.py``), so that weighting, estimation and reports are
written once. Answer scales are ordered categoricals with the Swedish labels of
the Police's local safety survey (*trygghetsmätning*) and Brå's NTU.

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

    @property
    def dtype(self) -> pd.CategoricalDtype:
        return pd.CategoricalDtype(list(self.levels), ordered=self.ordered)


@dataclass(frozen=True)
class Question:
    """A canonical question: name, Swedish text, kind and scale."""

    name: str
    text: str
    kind: str  # "single", "multi" or "text"
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


# --- Scales -----------------------------------------------------------------

SEX = Scale("sex", ("Kvinna", "Man"), missing=("Annat", "Vill ej uppge", "Vet ej"), ordered=False)
AGE_GROUP = Scale("age_group", ("16–24", "25–44", "45–64", "65–79", "80+"))
# Lower and upper bounds (inclusive) of each age group; 80+ is open.
AGE_BOUNDS = {"16–24": (16, 24), "25–44": (25, 44), "45–64": (45, 64), "65–79": (65, 79),
              "80+": (80, 200)}
MIN_AGE, MAX_AGE = 16, 110  # outside this an age is impossible for this survey

SAFETY = Scale("safety", (
    "Mycket trygg",
    "Ganska trygg",
    "Ganska otrygg",
    "Mycket otrygg",
    "Går inte ut ensam p.g.a. otrygghet",
    "Går inte ut av andra skäl",
))
RELATION = Scale("relation", ("bor", "arbetar", "vistas"), ordered=False)
UNSAFE_TIMES = Scale("unsafe_times", ("Tidig morgon", "Dagtid", "Kväll", "Natt", "Aldrig"))
REFRAINED = Scale("refrained", ("Ja, ofta", "Ja, ibland", "Nej"))
WORRY = Scale("worry", ("Mycket ofta", "Ganska ofta", "Ganska sällan", "Aldrig"))
PROBLEM = Scale("problem", (
    "Mycket stort problem",
    "Ganska stort problem",
    "Ganska litet problem",
    "Inget problem alls",
))
YES_NO = Scale("yes_no", ("Ja", "Nej"), ordered=False)
PRIORITIES = Scale("priorities", (
    "Tillgänglighet",
    "Våld utomhus",
    "Organiserad brottslighet",
    "Mängdbrott",
    "Narkotika/dopning",
    "Trafik",
    "Nedskräpning/skadegörelse",
    "Annat",
), ordered=False)
TRUST = Scale("trust", ("Mycket stort", "Ganska stort", "Ganska litet", "Mycket litet"))

SCALES = {s.name: s for s in (SEX, AGE_GROUP, SAFETY, RELATION, UNSAFE_TIMES, REFRAINED,
                               WORRY, PROBLEM, YES_NO, PRIORITIES, TRUST)}

# The Police's common problem items: slug → how the question names it.
PROBLEM_ITEMS = {
    "nedskrapning": "nedskräpning",
    "klotter": "skadegörelse/klotter",
    "brakiga_ungdomar": "bråkiga ungdomar",
    "berusade": "berusade personer",
    "narkotikapaverkade": "personer påverkade av narkotika",
    "narkotikahandel": "öppen narkotikahandel",
    "storande_trafik": "bilar som körs på ett störande sätt",
    "vald_offentlig_miljo": "våld i offentlig miljö",
    "bostadsinbrott": "inbrott i bostäder",
    "stold_ur_bil": "stölder ur bilar",
    "otrygga_platser": "otrygga platser (dålig belysning, buskage)",
}
VICTIM_ITEMS = {
    "stold": "stöld",
    "inbrott": "inbrott",
    "skadegorelse": "skadegörelse",
    "hot": "hot",
    "vald": "våld",
    "bedrageri": "bedrägeri",
}


def _questions() -> dict[str, Question]:
    qs = [
        Question("sex", "Kön", "single", SEX, background=True),
        Question("age_group", "Ålder", "single", AGE_GROUP, background=True),
        # area's levels come from the year's mapping (the municipality's areas)
        Question("area", "Vilket område bor du i?", "single", None, background=True),
        Question("relation", "Bor, arbetar eller vistas du i området?", "multi", RELATION,
                 background=True),
        Question("safe_day", "Hur trygg känner du dig om du går ut ensam dagtid i ditt "
                 "bostadsområde?", "single", SAFETY),
        Question("safe_evening", "Hur trygg eller otrygg känner du dig om du går ut ensam sent "
                 "en kväll i det område där du bor?", "single", SAFETY),
        Question("unsafe_times", "När känner du dig mest otrygg?", "multi", UNSAFE_TIMES),
        Question("refrained", "Har du under de senaste 12 månaderna avstått från någon "
                 "aktivitet på grund av oro för brott?", "single", REFRAINED),
        Question("worry", "Hur ofta oroar du dig för att utsättas för brott?", "single", WORRY),
    ]
    qs += [Question(f"problem_{k}", f"Hur stort problem är {v} i ditt område?", "single",
                    PROBLEM) for k, v in PROBLEM_ITEMS.items()]
    qs += [Question(f"victim_{k}", f"Har du de senaste 12 månaderna utsatts för {v}?",
                    "single", YES_NO) for k, v in VICTIM_ITEMS.items()]
    qs += [
        Question("priorities", "Vilka områden tycker du att polisen och kommunen ska "
                 "prioritera?", "multi", PRIORITIES, max_choices=3),
        Question("trust_police", "Hur stort förtroende har du för polisens arbete med trygghet "
                 "i ditt område?", "single", TRUST),
        Question("trust_municipality", "Hur stort förtroende har du för kommunens arbete med "
                 "trygghet i ditt område?", "single", TRUST),
        Question("comment", "Övriga synpunkter", "text"),
    ]
    return {q.name: q for q in qs}


QUESTIONS: dict[str, Question] = _questions()

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


def canonical_columns(areas: list[str]) -> list[Column]:
    """All columns of the canonical frame, in order, with their dtypes.

    ``areas`` are the municipality's areas for the year; "Annat område" is
    added as the last level.
    """
    cols = [
        Column("respondent_id", "respondent_id", pd.StringDtype()),
        Column("year", "year", pd.Int64Dtype()),
        Column("submitted", "submitted", "datetime64[ns]"),
    ]
    area_dtype = pd.CategoricalDtype([*areas, OTHER_AREA], ordered=False)
    for q in QUESTIONS.values():
        if q.kind == "multi":
            cols += [Column(c, q.name, pd.BooleanDtype()) for c in q.columns]
        elif q.kind == "text":
            cols.append(Column(q.name, q.name, pd.StringDtype()))
        elif q.name == "area":
            cols.append(Column("area", "area", area_dtype))
        else:
            cols.append(Column(q.name, q.name, q.answer_scale.dtype))
    return cols


def empty_frame(areas: list[str]) -> pd.DataFrame:
    """A zero-row canonical frame with every column typed."""
    return pd.DataFrame({c.name: pd.Series(dtype=c.dtype) for c in canonical_columns(areas)})


def age_to_group(age: pd.Series) -> pd.Series:
    """Age in whole years → ``age_group`` (ordered categorical); NaN stays missing."""
    edges = [AGE_BOUNDS[g][0] for g in AGE_GROUP.levels] + [AGE_BOUNDS["80+"][1] + 1]
    return pd.cut(age, bins=edges, right=False, labels=list(AGE_GROUP.levels)).astype(
        AGE_GROUP.dtype
    )
