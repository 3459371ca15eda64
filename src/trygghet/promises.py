"""Medborgarlöfte follow-up: the promise register, indicator rules, status with reasons.

A *medborgarlöfte* (citizen promise) is a yearly list of *inriktningar* that the
municipality and the Police promise to work on. By the end of the first quarter
of the next year the steering group gets every inriktning with an honest status
and the numbers behind it. This module judges; :mod:`trygghet.promise_files`
reads and validates the files::

    medborgarlofte_<year>.yml ──promise_files.load_promise──▶ Promise
    utfall.csv · trygghetsronder.csv · milstolpar.csv ──promise_files──▶ Outcomes
    survey estimates (estimates.parquet, changes.parquet) ──pipeline──▶ Outcomes
    evaluate(promise, outcomes) ──▶ FollowUp: per inriktning a Status and a Swedish reason

Everything here takes and returns plain objects and DataFrames, so each rule
can be tested with hand-made frames.

Statuses
--------
``Uppfyllt`` (met, with evidence), ``Delvis uppfyllt`` (part of it met),
``Ej uppfyllt`` (measured, and not met), ``Pågår`` (not yet due: a milestone
before its deadline) and ``Underlag saknas`` (no basis for a judgement: a value
missing, a series break, no survey estimates). Missing data is never turned into
*Ej uppfyllt*: absence of evidence is not evidence of failure, and the board
must be able to tell the two apart.

Rules
-----
Every indicator of an inriktning names a *rule*: a small function that judges
one indicator against the outcome data and writes one sentence that cites the
numbers. Rules live in :data:`RULES`, keyed by name; a new kind of indicator is
a new function decorated with :func:`register_rule` (its parameters are then
validated in promise files automatically). The bundled rules:

``increase`` / ``decrease``
    A yearly count (``utfall.csv``) rises / falls compared with the previous
    year (or ``compare_with``). Unchanged is *Ej uppfyllt*: the promise was a
    change.
``target_count``
    At least ``target`` trygghetsronder held in the year (``trygghetsronder.csv``),
    optionally in ``areas`` different areas and with children and youth taking
    part in ``every`` / ``any`` round. All conditions met → *Uppfyllt*; some
    rounds held but a condition short → *Delvis uppfyllt*; none held → *Ej
    uppfyllt*; no round (held or cancelled) registered for the year → *Underlag
    saknas*.
``milestone``
    Something is in place by ``deadline`` (``milstolpar.csv``), judged at the
    follow-up date: reached by then → *Uppfyllt*; not reached and the deadline
    still ahead → *Pågår*; not reached and the deadline passed → *Ej uppfyllt*.
``survey``
    A survey share (``otrygg_kvall`` …) moves in ``direction``, judged with the
    change's confidence interval from the estimation stage: a significant move
    the right way → *Uppfyllt*, the wrong way → *Ej uppfyllt*, no significant
    change → ``if_no_change`` (default *Ej uppfyllt*: a fall was promised and
    cannot be shown — the sentence says "inte statistiskt säkerställd", which
    is a result, not a gap). Across a series break (an opt-in web survey one
    year, a random sample the next) no conclusion can be drawn → *Underlag
    saknas*, and the sentence says why.

Combining the indicators of one inriktning (:func:`combine`)
------------------------------------------------------------
1. All indicators have the same status → that status.
2. Otherwise, if any is *Uppfyllt* or *Delvis uppfyllt* → *Delvis uppfyllt*.
   (So *Uppfyllt* needs every indicator met: one without data stops a full
   *Uppfyllt*, but does not count as a failure.)
3. Otherwise, if any is *Pågår* → *Pågår* (nothing met yet, the judgement is
   not final).
4. Otherwise → *Ej uppfyllt*: at least one indicator was measured and not met;
   the others lack data.

The reason of an inriktning is its indicators' sentences, in order.
"""

from __future__ import annotations

import difflib
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

import pandas as pd

from . import fmt, vocabulary

NBSP = fmt.NBSP


class Status(StrEnum):
    """The five statuses of a follow-up; the value is what the board reads."""

    MET = "Uppfyllt"
    PARTLY_MET = "Delvis uppfyllt"
    NOT_MET = "Ej uppfyllt"
    IN_PROGRESS = "Pågår"
    NO_DATA = "Underlag saknas"


# --- The promise --------------------------------------------------------------

@dataclass(frozen=True)
class IndicatorSpec:
    """One measurable indicator of an inriktning, as the promise file states it.

    ``indicator`` names the data: a row key in ``utfall.csv`` or
    ``milstolpar.csv``, the register ``trygghetsronder``, or a survey indicator
    of the workspace's questionnaire. ``label`` is the noun phrase the
    sentence uses ("antalet redovisade mängdbrottsutredningar"). ``year`` is the
    promise year and ``as_of`` the date the status is judged at (the promise's
    follow-up deadline unless the indicator sets ``as_of``). ``where`` locates
    the indicator in its file for error messages.
    """

    indicator: str
    label: str
    rule: str
    year: int
    as_of: date
    params: dict[str, Any] = field(default_factory=dict)
    inriktning: int = 0
    where: str = ""


@dataclass(frozen=True)
class Inriktning:
    """One line of the promise with the seed's four fields.

    ``scope`` is *Omfattning*, ``responsible`` *Ansvarig*, ``follow_up``
    *Uppföljning* and ``evaluation`` *Utvärdering*, verbatim.
    """

    number: int
    text: str
    scope: str
    responsible: str
    follow_up: str
    evaluation: str
    indicators: tuple[IndicatorSpec, ...]


@dataclass(frozen=True)
class Promise:
    """A year's medborgarlöfte: who promised what, and when it is followed up."""

    year: int
    municipality: str
    police_area: str
    period: tuple[date, date]
    steering_group: tuple[str, ...]
    follow_up_by: date
    inriktningar: tuple[Inriktning, ...]
    synthetic: bool = False
    source: str | None = None
    promise_text: str | None = None
    follow_up_text: str | None = None
    path: Path | None = None

    @property
    def indicators(self) -> list[IndicatorSpec]:
        return [spec for inr in self.inriktningar for spec in inr.indicators]


# --- Outcome data and results -------------------------------------------------

@dataclass
class Outcomes:
    """The evidence the rules judge: plain DataFrames, so tests can hand-make them.

    ``values`` (``read_values``), ``rounds`` (``read_rounds``) and
    ``milestones`` (``read_milestones``) come from ``data/reference/``;
    ``estimates`` and ``changes`` are the estimation stage's tables (all years
    needed, concatenated). ``survey_missing`` says why the estimates are absent,
    if they are. ``files`` maps a data kind to the file it was read from, for
    messages.
    """

    values: pd.DataFrame | None = None
    rounds: pd.DataFrame | None = None
    milestones: pd.DataFrame | None = None
    estimates: pd.DataFrame | None = None
    changes: pd.DataFrame | None = None
    survey_missing: str | None = None
    ci_level: float = 0.95
    files: dict[str, Path] = field(default_factory=dict)


@dataclass(frozen=True)
class IndicatorResult:
    """A rule's verdict on one indicator: status, sentence and the numbers cited.

    ``numbers`` holds what the rule measured, under the keys of
    :data:`NUMBER_COLUMNS` (``year_from``, ``value_from``, ``target`` …).
    """

    spec: IndicatorSpec
    status: Status
    reason: str
    numbers: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InriktningResult:
    inriktning: Inriktning
    status: Status
    reason: str
    indicators: tuple[IndicatorResult, ...]


NUMBER_COLUMNS = ("year_from", "value_from", "year_to", "value_to", "change", "change_pct",
                  "target", "ci_low", "ci_high", "significant", "deadline", "reached_on",
                  "source", "extracted")


@dataclass(frozen=True)
class FollowUp:
    """The follow-up of one promise: a result per inriktning."""

    promise: Promise
    results: tuple[InriktningResult, ...]

    def table(self) -> pd.DataFrame:
        """One row per indicator; the inriktning's own columns repeat on each of its rows.

        ``status``/``reason`` are the inriktning's, ``indicator_status`` and
        ``indicator_reason`` the single indicator's. Survey values are shares
        (0–1); dates are ISO strings.
        """
        rows = []
        for res in self.results:
            inr = res.inriktning
            for ind in res.indicators:
                numbers = {k: ind.numbers.get(k) for k in NUMBER_COLUMNS}
                for k in ("deadline", "reached_on", "extracted"):
                    if isinstance(when := numbers[k], date):
                        numbers[k] = when.isoformat()
                rows.append({
                    "year": self.promise.year, "inriktning": inr.number, "text": inr.text,
                    "scope": inr.scope, "responsible": inr.responsible,
                    "follow_up": inr.follow_up, "evaluation": inr.evaluation,
                    "status": str(res.status), "reason": res.reason,
                    "indicator": ind.spec.indicator, "label": ind.spec.label,
                    "rule": ind.spec.rule, "indicator_status": str(ind.status),
                    "indicator_reason": ind.reason, **numbers,
                    "as_of": ind.spec.as_of.isoformat(),
                })
        frame = pd.DataFrame(rows, columns=[*rows[0]] if rows else None)
        return frame.astype({"year_from": "Int64", "year_to": "Int64", "value_from": float,
                             "value_to": float, "change": float, "change_pct": float,
                             "target": float, "ci_low": float, "ci_high": float,
                             "significant": "boolean"})

    def counts(self) -> dict[Status, int]:
        """How many inriktningar have each status, in the order of :class:`Status`."""
        return {s: sum(r.status == s for r in self.results) for s in Status}


# --- The rule registry --------------------------------------------------------

class BadValue(ValueError):
    """A value that does not parse; ``hint`` says what to write instead."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


@dataclass(frozen=True)
class Param:
    """A rule parameter in the promise file: how to parse it, whether it is required."""

    parse: Callable[[Any], Any]
    required: bool = False
    default: Any = None


# --- Parameter parsers: promise-file values → Python, or BadValue ---------------

def parse_year(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1900 <= value <= 2100:
        raise BadValue(f"ska vara ett årtal, inte '{value}'", "skriv t.ex. 2019")
    return value


def parse_positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BadValue(f"ska vara ett positivt heltal, inte '{value}'")
    return value


def parse_choice(*options: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if value not in options:
            raise BadValue(f"ska vara {fmt.join(options).replace(' och ', ' eller ')}, "
                           f"inte '{value}'")
        return value
    return parse


def parse_date(value: Any) -> date:
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as err:
        raise BadValue(f"ogiltigt datum '{value}'", "skriv datum som ÅÅÅÅ-MM-DD") from err


def parse_text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadValue("ska vara en text")
    return value.strip()


@dataclass(frozen=True)
class Rule:
    """A way to judge an indicator.

    ``data`` is the kind of evidence it reads (``"values"``, ``"rounds"``,
    ``"milestones"`` or ``"survey"``), which decides the files the pipeline
    loads; ``check`` validates the indicator name when the promise is loaded.
    """

    name: str
    data: str
    params: dict[str, Param]
    judge: Callable[[IndicatorSpec, Outcomes], IndicatorResult]
    check: Callable[[str], str | None] | None = None


RULES: dict[str, Rule] = {}
DATA_KINDS = ("values", "rounds", "milestones", "survey")


def register_rule(name: str, data: str, *, check: Callable[[str], str | None] | None = None,
                  **params: Param):
    """Decorator adding a rule to :data:`RULES` — the one step to a new kind of indicator.

    Parameters
    ----------
    name
        What promise files write after ``rule:``.
    data
        The evidence it reads: one of :data:`DATA_KINDS`.
    check
        Optional: given the indicator name, a Swedish message if it is not valid.
    **params
        The rule's parameters in the promise file, each a :class:`Param`.

    The decorated function takes ``(spec, outcomes)`` and returns an
    :class:`IndicatorResult`. It must return *Underlag saknas* where the data
    does not allow a judgement, never *Ej uppfyllt*.
    """
    if data not in DATA_KINDS:
        raise ValueError(f"data must be one of {DATA_KINDS}, not {data!r}")

    def add(judge: Callable[[IndicatorSpec, Outcomes], IndicatorResult]):
        if name in RULES:
            raise ValueError(f"rule {name!r} is already registered")
        RULES[name] = Rule(name, data, dict(params), judge, check)
        return judge
    return add


def judge(spec: IndicatorSpec, outcomes: Outcomes) -> IndicatorResult:
    """Judge one indicator with its rule."""
    return RULES[spec.rule].judge(spec, outcomes)


def combine(statuses: Iterable[Status]) -> Status:
    """The status of an inriktning from its indicators' (rule in the module docstring)."""
    found = [Status(s) for s in statuses]
    if not found:
        raise ValueError("an inriktning needs at least one indicator")
    if len(set(found)) == 1:
        return found[0]
    if Status.MET in found or Status.PARTLY_MET in found:
        return Status.PARTLY_MET
    if Status.IN_PROGRESS in found:
        return Status.IN_PROGRESS
    # Only NOT_MET and NO_DATA remain, so at least one indicator truly failed.
    return Status.NOT_MET


def evaluate(promise: Promise, outcomes: Outcomes) -> FollowUp:
    """Judge every inriktning of ``promise`` on ``outcomes``.

    Data read from files should first pass
    :func:`trygghet.promise_files.check_outcomes`: an indicator with no data in
    any year is a typo or a forgotten file, which the rules would otherwise
    report as *Underlag saknas*.
    """
    results = []
    for inr in promise.inriktningar:
        judged = tuple(judge(spec, outcomes) for spec in inr.indicators)
        results.append(InriktningResult(inr, combine(r.status for r in judged),
                                        " ".join(r.reason for r in judged), judged))
    return FollowUp(promise, tuple(results))


def data_needed(promise: Promise) -> set[str]:
    """The kinds of evidence the promise's rules read (which files to load)."""
    return {RULES[spec.rule].data for spec in promise.indicators}


# --- Small helpers for sentences ----------------------------------------------

def _value(x: float) -> str:
    """A count as an integer ("1 417"), anything else with one decimal."""
    return fmt.number(x, 0 if float(x).is_integer() else 1)


def _pct_change(a: float, b: float) -> tuple[float | None, str]:
    """Relative change from ``a`` to ``b``: (fraction, "+10 %"); one decimal below 1 %."""
    if a == 0:
        return None, ""
    rel = (b - a) / abs(a)
    return rel, fmt.percent(rel, 0 if abs(rel) >= 0.005 else 1, sign=True)


def _clean(value: Any) -> Any:
    """None for NaN/NA/None, the value otherwise (and numpy scalars as Python ones)."""
    if fmt.is_missing(value):
        return None
    return value.item() if hasattr(value, "item") else value


def _why_hidden(reason: Any) -> str:
    """Why an estimate is not published (suppress.REASONS), inside a Swedish sentence."""
    text = _note(reason)
    return vocabulary.label("suppression_reason", text or "default")


def _note(text: Any) -> str:
    """A free-text note without its final full stop, to sit inside a sentence."""
    text = _clean(text)
    return "" if text is None else str(text).strip().rstrip(".")


def _rows(frame: pd.DataFrame | None, **where: Any) -> pd.DataFrame:
    """Rows of ``frame`` matching every ``column=value`` (empty if no frame)."""
    if frame is None:
        return pd.DataFrame()
    mask = pd.Series(True, index=frame.index)
    for col, value in where.items():
        if col not in frame.columns:
            return frame.iloc[0:0]
        mask &= frame[col].eq(value).fillna(False).astype(bool)
    return frame[mask]


# --- increase / decrease ------------------------------------------------------

def _value_row(values: pd.DataFrame | None, indicator: str, year: int) -> dict | None:
    rows = _rows(values, indicator=indicator, year=year)
    return None if rows.empty else {k: _clean(v) for k, v in rows.iloc[0].items()}


def _judge_trend(spec: IndicatorSpec, outcomes: Outcomes, want: int) -> IndicatorResult:
    """Shared by ``increase`` (want +1) and ``decrease`` (want −1)."""
    base = spec.params.get("compare_with") or spec.year - 1
    rows = {y: _value_row(outcomes.values, spec.indicator, y) for y in (base, spec.year)}
    numbers: dict[str, Any] = {"year_from": base, "year_to": spec.year}
    latest = rows[spec.year] or rows[base] or {}
    numbers |= {"source": latest.get("source"), "extracted": latest.get("extracted")}
    missing = [y for y, r in rows.items() if r is None or r["value"] is None]
    for y in (base, spec.year):
        numbers["value_from" if y == base else "value_to"] = (rows[y] or {}).get("value")
    if missing:
        notes = [_note(r.get("note")) for r in (rows[y] for y in missing) if r is not None]
        notes = [n for n in notes if n]
        reason = (f"Uppgift om {spec.label} saknas för {fmt.join([str(y) for y in missing])}"
                  + (f" ({'; '.join(notes)})" if notes else "") + ".")
        return IndicatorResult(spec, Status.NO_DATA, reason, numbers)

    first, last = rows[base], rows[spec.year]
    assert first is not None and last is not None  # neither year is missing
    a, b = first["value"], last["value"]
    rel, pct = _pct_change(a, b)
    numbers |= {"change": b - a, "change_pct": rel}
    # Years are named only when the comparison is not with the previous year.
    from_year = "" if base == spec.year - 1 else f" år {base}"
    to_year = "" if base == spec.year - 1 else f" år {spec.year}"
    if a == b:
        reason = (f"{fmt.upper_first(spec.label)} låg kvar på {_value(a)} både {base} och "
                  f"{spec.year}.")
    else:
        verb = "ökade" if b > a else "minskade"
        reason = (f"{fmt.upper_first(spec.label)} {verb} från {_value(a)}{from_year} till "
                  f"{_value(b)}{to_year}" + (f" ({pct})" if pct else "") + ".")
    met = (b - a) * want > 0
    return IndicatorResult(spec, Status.MET if met else Status.NOT_MET, reason, numbers)


@register_rule("increase", "values", compare_with=Param(parse_year))
def judge_increase(spec: IndicatorSpec, outcomes: Outcomes) -> IndicatorResult:
    """*Uppfyllt* if the value rose compared with the previous year (or ``compare_with``).

    Used for "Polisen ökar antalet redovisade mängdbrottsutredningar till
    åklagare jämfört med föregående år": the promise is a direction, so any
    rise is met and no rise (unchanged included) is not.
    """
    return _judge_trend(spec, outcomes, +1)


@register_rule("decrease", "values", compare_with=Param(parse_year))
def judge_decrease(spec: IndicatorSpec, outcomes: Outcomes) -> IndicatorResult:
    """*Uppfyllt* if the value fell compared with the previous year (or ``compare_with``).

    Used for "minska antalet anmälningar gällande våld i offentlig miljö".
    Note that a count of reported crimes also moves with the propensity to
    report; the sentence states the numbers, the reader weighs them.
    """
    return _judge_trend(spec, outcomes, -1)


# --- target_count: trygghetsronder --------------------------------------------

REGISTERS = {"trygghetsronder": ("trygghetsrond", "trygghetsronder")}


def _check_register(name: str) -> str | None:
    if name not in REGISTERS:
        return f"okänt register '{name}' (target_count räknar {', '.join(REGISTERS)})"
    return None


def rounds_of(register: pd.DataFrame) -> pd.DataFrame:
    """One row per trygghetsrond: the register has one row per observation/action."""
    return register.drop_duplicates(["area", "date"]).sort_values(["date", "area"])


@register_rule("target_count", "rounds", check=_check_register,
               target=Param(parse_positive_int, required=True), areas=Param(parse_positive_int),
               children_youth=Param(parse_choice("every", "any")))
def judge_target_count(spec: IndicatorSpec, outcomes: Outcomes) -> IndicatorResult:
    """At least ``target`` rounds held in the year, with optional conditions.

    The seed's "Trygghetsronder genomförs i två geografiska områden. Även barn
    och unga deltar i ronderna." is ``target: 2, areas: 2, children_youth:
    every``. All conditions met → *Uppfyllt*; rounds held but a condition short
    → *Delvis uppfyllt*; only cancelled rounds → *Ej uppfyllt*; nothing in the
    register for the year → *Underlag saknas* (an empty register year may be an
    unkept register, so cancelled rounds should be registered as ``held: nej``).
    """
    one, many = REGISTERS[spec.indicator]
    register = outcomes.rounds if outcomes.rounds is not None else pd.DataFrame(
        columns=["area", "date", "held", "children_youth"])
    rounds = rounds_of(register)
    in_year = rounds[pd.Series([d.year == spec.year for d in rounds["date"]],
                               index=rounds.index, dtype=bool)]
    target = spec.params["target"]
    min_areas = spec.params.get("areas")
    kids_rule = spec.params.get("children_youth")
    numbers: dict[str, Any] = {"year_to": spec.year, "target": target}
    if in_year.empty:
        return IndicatorResult(spec, Status.NO_DATA,
                               f"Registret över {many} har inga uppgifter för {spec.year}.",
                               numbers)
    held = in_year[in_year["held"].astype(bool)]
    n, cancelled = len(held), len(in_year) - len(held)
    numbers["value_to"] = n
    goal = f"{target} {one if target == 1 else 'ronder'}" + (
        f" i {min_areas} olika områden" if min_areas and min_areas > 1 else "")
    if n == 0:
        reason = (f"Ingen {one} genomfördes under {spec.year}; målet var {goal}. "
                  + ("Den planerade ronden" if cancelled == 1
                     else f"Alla {cancelled} planerade ronderna") + " ställdes in.")
        return IndicatorResult(spec, Status.NOT_MET, reason, numbers)

    areas = list(dict.fromkeys(held["area"]))
    sentences = [f"Under {spec.year} genomfördes {n} {one if n == 1 else many} i "
                 f"{fmt.join(areas)}; målet var {goal}."]
    ok = n >= target and (not min_areas or len(areas) >= min_areas)
    if kids_rule:
        with_kids = held[held["children_youth"] > 0]
        m, total = len(with_kids), int(held["children_youth"].sum())
        persons = f", sammanlagt {fmt.number(total)} {'person' if total == 1 else 'personer'}"
        if n == 1:
            sentences.append(f"Barn och unga deltog {'i' if m else 'inte i'} ronden"
                             + (persons if m else "") + ".")
        elif m == n:
            which = "båda ronderna" if n == 2 else f"alla {n} ronderna"
            sentences.append(f"Barn och unga deltog i {which}{persons}.")
        elif m == 0:
            sentences.append("Barn och unga deltog inte i någon av ronderna.")
        else:
            sentences.append(f"Barn och unga deltog i {m} av {n} ronder "
                             f"({fmt.join(list(dict.fromkeys(with_kids['area'])))}){persons}.")
        ok = ok and (m == n if kids_rule == "every" else m > 0)
    if cancelled:
        sentences.append(f"Dessutom ställdes {cancelled} "
                         f"{'planerad rond' if cancelled == 1 else 'planerade ronder'} in.")
    return IndicatorResult(spec, Status.MET if ok else Status.PARTLY_MET, " ".join(sentences),
                           numbers)


# --- milestone ----------------------------------------------------------------

@register_rule("milestone", "milestones", deadline=Param(parse_date, required=True),
               as_of=Param(parse_date))
def judge_milestone(spec: IndicatorSpec, outcomes: Outcomes) -> IndicatorResult:
    """Something in place by ``deadline``, judged at the follow-up date ``as_of``.

    "Kontaktcenter i drift under 2021" is ``deadline: 2021-12-31``, judged at
    the 2020 follow-up (2021-03-31): not yet in operation then is *Pågår*, not
    a failure. What the register knows is only known up to its extraction
    date, so the judgement uses the earlier of ``as_of`` and ``extracted``.
    """
    deadline = spec.params["deadline"]
    rows = _rows(outcomes.milestones, indicator=spec.indicator)
    numbers: dict[str, Any] = {"deadline": deadline}
    name = f"Milstolpen ”{spec.label}”"
    if rows.empty:
        return IndicatorResult(spec, Status.NO_DATA, f"Uppgift om milstolpen ”{spec.label}” "
                               "saknas.", numbers)
    row = {k: _clean(v) for k, v in rows.iloc[0].items()}
    reached, extracted = row["reached_on"], row["extracted"]
    numbers |= {"reached_on": reached, "source": row.get("source"), "extracted": extracted}
    if reached is not None and reached <= spec.as_of:
        numbers["value_to"] = 1
        if reached <= deadline:
            return IndicatorResult(spec, Status.MET, f"{name} nåddes {fmt.date(reached)} "
                                   f"(mål: senast {fmt.date(deadline)}).", numbers)
        return IndicatorResult(spec, Status.NOT_MET, f"{name} nåddes först "
                               f"{fmt.date(reached)} (mål: senast {fmt.date(deadline)}).",
                               numbers)
    numbers["value_to"] = 0
    known_at = min(spec.as_of, extracted)
    when = (f"vid uppföljningen {fmt.date(spec.as_of)}" if known_at == spec.as_of
            else f"enligt uppgift {fmt.date(known_at)}")
    later = f" (nåddes senare, {fmt.date(reached)})" if reached is not None else ""
    if known_at <= deadline:
        return IndicatorResult(spec, Status.IN_PROGRESS, f"{name} ska nås senast "
                               f"{fmt.date(deadline)} och var inte nådd {when}{later}.", numbers)
    return IndicatorResult(spec, Status.NOT_MET, f"{name} skulle nås senast "
                           f"{fmt.date(deadline)} men var inte nådd {when}{later}.", numbers)


# --- survey -------------------------------------------------------------------

def survey_indicator_problem(name: str, known: Iterable[str] | None = None) -> str | None:
    """A Swedish message if ``name`` is none of the ``known`` survey indicators (default:
    the default questionnaire's; a workspace passes its own questionnaire's)."""
    if known is None:
        from .questionnaire import default_questionnaire

        known = default_questionnaire().indicators
    known = list(known)
    if name not in known:
        close = difflib.get_close_matches(name, known, n=1)
        return f"okänd enkätindikator '{name}'" + (f" (menade du '{close[0]}'?)" if close else "")
    return None


def _check_survey(name: str) -> str | None:
    return survey_indicator_problem(name)


def _no_change_status(value: Any) -> Status:
    allowed = (Status.NOT_MET, Status.PARTLY_MET)
    if value not in allowed:
        raise BadValue(f"ska vara '{allowed[0]}' eller '{allowed[1]}', inte '{value}'")
    return Status(value)


def _estimate(estimates: pd.DataFrame | None, year: int, spec: IndicatorSpec) -> dict | None:
    """The primary estimate of a year: weighted (probability sample), else unweighted.

    An opt-in year's raked "adjusted" estimate is a model-based aside and is
    never what a promise is judged on.
    """
    rows = _rows(estimates, year=year, indicator=spec.indicator,
                 group_var=spec.params.get("group_var", "total"),
                 group=spec.params.get("group", "Totalt"))
    if rows.empty:
        return None
    if "estimate_type" in rows.columns:
        for kind in ("weighted", "unweighted"):
            primary = rows[rows["estimate_type"].eq(kind).fillna(False).astype(bool)]
            if not primary.empty:
                rows = primary
                break
        else:
            return None
    return {k: _clean(v) for k, v in rows.iloc[0].items()}


@register_rule("survey", "survey", check=_check_survey,
               direction=Param(parse_choice("decrease", "increase"), default="decrease"),
               group_var=Param(parse_text, default="total"),
               group=Param(parse_text, default="Totalt"),
               compare_with=Param(parse_year),
               if_no_change=Param(_no_change_status, default=Status.NOT_MET))
def judge_survey(spec: IndicatorSpec, outcomes: Outcomes) -> IndicatorResult:
    """A survey share moves in ``direction``, judged with the change's confidence interval.

    Reads the estimation stage's ``estimates`` (the two years' values, for the
    sentence) and ``changes`` (difference, its CI, ``significant``,
    ``series_break``, ``note``). A difference that is not statistically
    significant is reported as such and gets ``if_no_change``. Two years that
    are not both probability samples (a ``series_break``, or an estimate not
    ``generalisable``) allow no conclusion: *Underlag saknas*, with the reason.
    """
    year, base = spec.year, spec.params.get("compare_with") or spec.year - 1
    label = fmt.upper_first(spec.label)
    numbers: dict[str, Any] = {"year_from": base, "year_to": year}

    def no_data(reason: str) -> IndicatorResult:
        return IndicatorResult(spec, Status.NO_DATA, reason, numbers)

    if outcomes.estimates is None:
        why = _note(outcomes.survey_missing) or f"enkätskattningar för {year} saknas"
        return no_data(f"{label} kan inte bedömas: {why}.")
    found = {y: _estimate(outcomes.estimates, y, spec) for y in (base, year)}
    est: dict[int, dict] = {}
    for y in (year, base):
        row = found[y]
        if row is None:
            return no_data(f"{label} kan inte bedömas: skattning för {y} saknas.")
        if row.get("suppressed"):
            why = _why_hidden(row.get("suppression_reason"))
            return no_data(f"{label} kan inte bedömas: skattningen för {y} redovisas inte "
                           f"({why}).")
        est[y] = row
    numbers |= {"value_from": est[base]["estimate"], "value_to": est[year]["estimate"]}
    shares = {y: fmt.percent(est[y]["estimate"]) for y in (base, year)}
    opt_in = {y: est[y].get("generalisable") is False for y in (base, year)}
    shown = {y: f"{shares[y]} år {y}" + (" (andel av de svarande, ej slumpmässigt urval)"
                                         if opt_in[y] else "") for y in (base, year)}
    both = f"{label} var {shown[base]} och {shown[year]}"

    ch_rows = _rows(outcomes.changes, year_from=base, year_to=year, indicator=spec.indicator,
                    group_var=spec.params.get("group_var", "total"),
                    group=spec.params.get("group", "Totalt"))
    change = None if ch_rows.empty else {k: _clean(v) for k, v in ch_rows.iloc[0].items()}
    if any(opt_in.values()):
        # Whatever the change table says: significance needs two probability samples.
        opt_years = fmt.join([str(y) for y in (base, year) if opt_in[y]])
        return no_data(f"{both}, men ingen slutsats om förändring kan dras: {opt_years} var "
                       "inte ett slumpmässigt urval (seriebrott).")
    if change is not None and change.get("series_break"):
        # Another break (a changed questionnaire, say): the estimation stage's note says which.
        note = _note(change.get("note"))
        return no_data(f"{both}, men ingen slutsats om förändring kan dras"
                       + (f". {fmt.upper_first(note)}." if note else
                          ": undersökningen gjordes på olika sätt åren emellan (seriebrott)."))
    if change is not None and change.get("suppressed"):
        why = _why_hidden(change.get("suppression_reason"))
        return no_data(f"{both}, men förändringen redovisas inte ({why}).")
    if change is None or change.get("significant") is None or change.get("diff") is None:
        return no_data(f"{both}, men förändringens osäkerhet saknas i skattningarna, "
                       "så ingen slutsats kan dras.")

    diff, low, high = change["diff"], change.get("ci_low"), change.get("ci_high")
    numbers |= {"change": diff, "ci_low": low, "ci_high": high,
                "significant": bool(change["significant"])}
    ci = ""
    if low is not None and high is not None:
        level = fmt.number(outcomes.ci_level * 100, 0)
        ci = (f", {level}{NBSP}% konfidensintervall {fmt.number(low * 100, 1)} till "
              f"{fmt.number(high * 100, 1)}")
    size = f"({fmt.points(diff)}{ci})"
    if change["significant"]:
        verb = "minskade" if diff < 0 else "ökade"
        reason = (f"{label} {verb} från {shares[base]} år {base} till {shares[year]} år {year} "
                  f"{size}; förändringen är statistiskt säkerställd.")
        right_way = (diff < 0) == (spec.params.get("direction", "decrease") == "decrease")
        return IndicatorResult(spec, Status.MET if right_way else Status.NOT_MET, reason,
                               numbers)
    reason = f"{both} {size}; förändringen är inte statistiskt säkerställd."
    return IndicatorResult(spec, Status(spec.params.get("if_no_change", Status.NOT_MET)),
                           reason, numbers)


# --- The terminal table -------------------------------------------------------

def format_follow_up(follow_up: FollowUp, width: int = 100) -> str:
    """The follow-up as a plain-text table (Nr, Inriktning, Status, Motivering).

    Long cells wrap within their column; numbers never break at their
    non-breaking spaces ("1 417", "12,5 %").
    """
    p = follow_up.promise
    width = max(width, 60)
    title = f"Uppföljning av medborgarlöftet {p.year} – {p.municipality} och {p.police_area}"
    if p.synthetic:
        title += " (syntetiskt exempel)"
    lines = textwrap.wrap(title, width) + textwrap.wrap(
        f"Bedömt per {fmt.date(p.follow_up_by)} för styrgruppen: "
        f"{fmt.join(list(p.steering_group))}.", width)
    status_w = max(len(s) for s in Status)
    rest = width - 3 - status_w - 6
    text_w = max(20, rest * 2 // 5)
    reason_w = max(24, rest - text_w)
    widths = (3, text_w, status_w, reason_w)

    def row(cells: Iterable[str]) -> list[str]:
        wrapped = [textwrap.wrap(c, w, break_on_hyphens=False) or [""]
                   for c, w in zip(cells, widths, strict=True)]
        height = max(len(w) for w in wrapped)
        return ["  ".join((w[i] if i < len(w) else "").ljust(n)
                          for w, n in zip(wrapped, widths, strict=True)).rstrip()
                for i in range(height)]

    lines += [""] + row(vocabulary.tr(f"column.{c}")
                        for c in ("number", "commitment", "status", "reason"))
    lines.append("  ".join("-" * n for n in widths))
    for i, res in enumerate(follow_up.results):
        if i:
            lines.append("")
        lines += row((str(res.inriktning.number), res.inriktning.text, str(res.status),
                      res.reason))
    counts = [f"{s} {n}" for s, n in follow_up.counts().items() if n]
    lines += ["", *textwrap.wrap(f"Antal inriktningar: {', '.join(counts)}.", width)]
    return "\n".join(lines)
