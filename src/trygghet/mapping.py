"""Per-year mapping files: a survey export's headers and labels → the canonical model.

A new survey year is a new YAML file in ``config/surveys/<year>.yml``, never
new code. The file says where the export is and how it is encoded, what the
survey's design was (which decides what a report may claim), which header
holds which canonical field, which answer variants mean which label, and the
municipality's areas with their aliases and postcodes. See
``config/surveys/2020.yml`` for a commented example.

Questions of the canonical model that a mapping does not name were *not asked*
that year; their columns stay empty and are listed as such.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import read_yaml
from .errors import TrygghetError, shown
from .questionnaire import Questionnaire, resolve
from .schema import META_FIELDS, OTHER_AREA, Question, Scale

if TYPE_CHECKING:
    from .config import Project

SAMPLING = ("opt_in", "probability")
TOP_KEYS = {"year", "title", "source", "design", "required", "duplicates", "columns", "ignore",
            "labels", "codes", "codebook", "batteries", "item_problems", "checked", "unchecked",
            "areas", "other_area_aliases"}
SOURCE_KEYS = {"file", "encoding", "delimiter", "sheet", "header_row"}
DESIGN_KEYS = {"sampling", "sent", "population", "period", "mode", "note", "strata"}
STRATA_KEYS = {"column", "population", "fraction", "sent"}
MULTI_KEYS = {"header", "separator", "options", "none", "blank"}
BATTERY_KEYS = {"header", "separator", "items", "columns", "none", "blank"}
# What a blank (nothing ticked) means in a check-box question: a missing answer, or No.
BLANK = {"saknas": False, "missing": False, "nej": True, "no": True}
# What an item-level problem (an unknown answer) costs: that answer, or the respondent.
ITEM_PROBLEMS = ("answer", "respondent")
ENCODINGS = ("auto", "utf-8", "utf-8-sig", "cp1252")
# The widest duplicate window accepted: a week. Identical answers further apart
# are two respondents, and pandas cannot even represent 1e300 minutes.
MAX_WINDOW_MINUTES = 7 * 24 * 60


# Characters that print as nothing: zero-width space/joiners, word joiner, BOM, soft hyphen.
_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff\u00ad]")


def normalise(text: object) -> str:
    """Fold a label or header for matching: Unicode NFKC, casefold, one space.

    ``" Ganska  TRYGG "`` and ``"ganska trygg"`` compare equal. Dash variants
    (‐ ‑ – —) fold to one dash so "16-24" matches "16–24". Invisible
    characters go: a stray byte-order mark (U+FEFF, from exports glued
    together or saved twice with a BOM) or a zero-width space pasted in from a
    web page must not make a header or label unfindable.
    """
    if text is None:
        return ""
    s = unicodedata.normalize("NFKC", str(text)).casefold()
    s = _INVISIBLE.sub("", s)
    s = re.sub(r"[\u2010-\u2015\u2212]", "-", s)
    return re.sub(r"\s+", " ", s).strip()


def normalise_postcode(text: object) -> str:
    """Digits only: ``"461 30"`` and ``"46130"`` compare equal."""
    return re.sub(r"\D", "", str(text or ""))


@dataclass(frozen=True)
class Source:
    file: str | None
    encoding: str = "auto"
    delimiter: str = "auto"
    sheet: str | int | None = None
    header_row: int | str = "auto"


@dataclass(frozen=True)
class SamplingDesign:
    """How the sample was drawn; it decides what the report may claim."""

    sampling: str  # "opt_in" or "probability"
    sent: int | None = None  # probability: people in the gross sample
    population: str | None = None
    period: tuple[date, date] | None = None
    mode: str | None = None
    note: str | None = None
    # A stratified sample: {"column": canonical column, "population": {stratum: N_h}}
    # or {"column": …, "fraction": f or {stratum: f_h}}; see weights.Strata.
    strata: dict[str, Any] | None = None

    @property
    def is_probability(self) -> bool:
        return self.sampling == "probability"


@dataclass(frozen=True)
class Multi:
    """A multi-select question: one column split on ``separator``, or one column per option.

    Check-box semantics: a respondent who ticked anything (or one of the ``none``
    answers, "Inget av detta") answered the question, so an option not ticked is
    No; one who ticked nothing at all did not answer (missing), unless
    ``blank_no`` (mapping ``blank: nej``) says a blank means No.
    """

    header: str | None = None
    separator: str = ";"
    options: dict[str, str] = field(default_factory=dict)  # canonical option → header
    none: tuple[str, ...] = ()  # normalised answers meaning "none of these"
    blank_no: bool = False


@dataclass(frozen=True)
class Battery:
    """Ja/Nej questions asked as one check-box list ("Har du utsatts för …?").

    Either one joined cell (``header``, ``separator``; ``items`` gives each
    question's option text) or one check-box column per question (``columns``).
    A question ticked is its scale's first level (Ja); not ticked, by a
    respondent who ticked something else or a ``none`` answer, is the second
    (Nej); nothing ticked at all is missing unless ``blank_no``.
    """

    name: str
    header: str | None = None
    separator: str = ";"
    items: dict[str, str] = field(default_factory=dict)  # question → option text (joined cell)
    columns: dict[str, str] = field(default_factory=dict)  # question → header (one per item)
    none: tuple[str, ...] = ()
    blank_no: bool = False

    @property
    def questions(self) -> list[str]:
        return list(self.items or self.columns)


@dataclass(frozen=True)
class Area:
    name: str
    aliases: tuple[str, ...] = ()
    postcodes: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()  # DeSO/RegSO codes whose union is the area (for maps, geo.py)


@dataclass(frozen=True)
class SurveyMapping:
    """A validated mapping file. Build it with :func:`load_mapping`."""

    path: Path
    year: int
    title: str
    source: Source
    design: SamplingDesign
    columns: dict[str, str | Multi]
    areas: dict[str, Area]
    labels: dict[str, dict[str, str | None]] = field(default_factory=dict)
    # Answer codes of one question (from the codebook): question → {code: canonical label}.
    question_codes: dict[str, dict[str, object]] = field(default_factory=dict)
    codebook: Path | None = None
    batteries: dict[str, Battery] = field(default_factory=dict)
    item_problems: str = "answer"  # "answer" or "respondent" (see ITEM_PROBLEMS)
    ignore: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    duplicate_window_minutes: float = 10.0
    checked: tuple[str, ...] = ("1", "x", "ja", "true", "sant", "vald", "ikryssad")
    unchecked: tuple[str, ...] = ("0", "nej", "false", "falskt", "")
    other_area_aliases: tuple[str, ...] = ("Annat område", "Annat", "Bor ej i kommunen")
    # The questionnaire's canonical questions (default questionnaire if not given).
    questions: dict[str, Question] = field(default_factory=lambda: resolve(None).questions,
                                           compare=False, repr=False)

    @property
    def scales(self) -> dict[str, Scale]:
        """The answer scales of the questionnaire's questions, by name."""
        return {q.scale.name: q.scale for q in self.questions.values() if q.scale is not None}

    @property
    def area_names(self) -> list[str]:
        return list(self.areas)

    @property
    def asked(self) -> list[str]:
        """Canonical questions this year's survey asked."""
        names = set(self.columns)
        for battery in self.batteries.values():
            names |= set(battery.questions)
        if names & {"age", "birth_year"}:
            names.add("age_group")
        return [q for q in self.questions if q in names]

    @property
    def not_asked(self) -> list[str]:
        return [q for q in self.questions if q not in self.asked]

    def headers(self) -> set[str]:
        """Every export header the mapping names, for finding the header row."""
        out = set()
        for spec in self.columns.values():
            if isinstance(spec, Multi):
                out |= {spec.header} if spec.header else set(spec.options.values())
            else:
                out.add(spec)
        for battery in self.batteries.values():
            out |= {battery.header} if battery.header else set(battery.columns.values())
        return out

    def source_path(self, root: Path) -> Path:
        if not self.source.file:
            raise TrygghetError("mappningen anger ingen källfil (source.file)", file=self.path,
                                hint="ange source.file eller använd --input")
        return (root / self.source.file).absolute()  # (resolve() fails on a symlink loop)


def _fail(path: Path, where: str, message: str, hint: str | None = None) -> TrygghetError:
    return TrygghetError(message, file=path, column=where, hint=hint)


def _unknown_keys(path: Path, where: str, got: dict, allowed: set[str]) -> None:
    for key in got:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
            hint = (f"menade du '{close[0]}'?" if close
                    else f"tillåtna: {', '.join(sorted(allowed))}")
            raise _fail(path, f"{where}{key}", "okänd nyckel", hint)


def _as_dict(path: Path, where: str, value: Any) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _fail(path, where, "ska vara en samling nyckel: värde")
    return value


def _as_list(path: Path, where: str, value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, str | int):
        return [value]
    if not isinstance(value, list):
        raise _fail(path, where, "ska vara en lista")
    return value


def _texts(path: Path, where: str, value: Any, *, blank: bool = False) -> list[str]:
    """A list of texts (numbers are read as text: a postcode, an answer code "1");
    ``blank``: an empty text is allowed (``unchecked`` lists the blank cell)."""
    out = []
    for item in _as_list(path, where, value):
        if isinstance(item, bool) or not isinstance(item, str | int | float) \
                or not (blank or str(item).strip()):
            raise _fail(path, where, f"ska vara en lista med texter, inte {shown(item)}",
                        "skriv en text per rad i listan, t.ex. [Norra, Norr]")
        out.append(str(item))
    return out


def _text(path: Path, where: str, value: Any, default: str | None = None) -> str | None:
    """An optional text field (numbers are read as text)."""
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _fail(path, where, f"ska vara en text, inte {shown(value)}")
    return str(value)


def _parse_date(path: Path, where: str, value: Any) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError as err:
        raise _fail(path, where, f"ogiltigt datum '{value}'", "skriv datum som ÅÅÅÅ-MM-DD") from err


def _design(path: Path, raw: Any) -> SamplingDesign:
    d = _as_dict(path, "design", raw)
    _unknown_keys(path, "design.", d, DESIGN_KEYS)
    sampling = d.get("sampling")
    if not isinstance(sampling, str) or sampling not in SAMPLING:
        raise _fail(path, "design.sampling",
                    f"ska vara opt_in eller probability, inte '{sampling}'",
                    "opt_in = självselekterad webbenkät; probability = slumpmässigt urval")
    strata = _strata(path, d.get("strata"))
    if strata is not None and sampling != "probability":
        raise _fail(path, "design.strata", "strata anges bara för slumpmässiga urval")
    sent = d.get("sent")
    by_stratum = (strata or {}).get("sent")
    if sampling == "probability":
        if sent is None and by_stratum:
            sent = sum(by_stratum.values())  # the gross sample is the strata's together
        if not isinstance(sent, int) or isinstance(sent, bool) or sent <= 0:
            raise _fail(path, "design.sent", "ett slumpmässigt urval behöver antalet utskick "
                        "(ett positivt heltal)")
        if by_stratum and sent != sum(by_stratum.values()):
            raise _fail(path, "design.sent", f"design.sent är {sent} men utskicken per stratum "
                        f"(design.strata.sent) summerar till {sum(by_stratum.values())}",
                        "ange samma bruttourval på båda ställena, eller stryk design.sent")
    elif sent is not None:
        raise _fail(path, "design.sent", "antal utskick anges bara för slumpmässiga urval")
    period = None
    if d.get("period") is not None:
        p = _as_list(path, "design.period", d["period"])
        if len(p) != 2:
            raise _fail(path, "design.period", "ska vara [startdatum, slutdatum]")
        period = (_parse_date(path, "design.period", p[0]),
                  _parse_date(path, "design.period", p[1]))
        if period[1] < period[0]:
            raise _fail(path, "design.period", "slutdatum före startdatum")
    text = {k: _text(path, f"design.{k}", d.get(k)) for k in ("population", "mode", "note")}
    return SamplingDesign(sampling=sampling, sent=sent, period=period, strata=strata, **text)


def _strata(path: Path, raw: Any) -> dict[str, Any] | None:
    """``design.strata``: the stratum column and ``N_h`` per stratum, or the sampling fraction;
    optionally ``sent``, the gross sample per stratum (for the response rate per stratum)."""
    if raw is None:
        return None
    d = _as_dict(path, "design.strata", raw)
    _unknown_keys(path, "design.strata.", d, STRATA_KEYS)
    column = d.get("column")
    if not isinstance(column, str) or not column.strip():
        raise _fail(path, "design.strata.column", "ange kolumnen som anger stratum, t.ex. area")
    sent = None
    if "sent" in d:
        given = _as_dict(path, "design.strata.sent", d["sent"])
        if not given:
            raise _fail(path, "design.strata.sent", "ange antalet utskick i varje stratum",
                        "sent: {Centrum: 400, Sylte: 300}")
        for k, v in given.items():
            if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
                raise _fail(path, f"design.strata.sent.{k}", f"ogiltigt antal utskick {shown(v)}",
                            "ett positivt heltal: hur många i stratumet som fick enkäten")
        sent = {str(k): int(v) for k, v in given.items()}
    out = _strata_size(path, d, column.strip())
    return out if sent is None else {**out, "sent": sent}


def _strata_size(path: Path, d: dict, column: str) -> dict[str, Any]:
    """``design.strata``'s ``population`` (N_h) or ``fraction`` (f_h), checked."""
    if ("population" in d) == ("fraction" in d):
        raise _fail(path, "design.strata", "ange antingen population (antal per stratum) eller "
                    "fraction (urvalsandel)", "population: {Centrum: 12000, Sylte: 8000}")

    def number(where: str, v: Any, high: float | None) -> float:
        ok = isinstance(v, int | float) and not isinstance(v, bool) and v > 0 \
            and (high is None or v <= high)
        if not ok:
            raise _fail(path, where, f"ogiltigt värde '{v}'",
                        "ett tal > 0" + ("" if high is None else " och ≤ 1"))
        return float(v)

    if "population" in d:
        pop = _as_dict(path, "design.strata.population", d["population"])
        if not pop:
            raise _fail(path, "design.strata.population", "ange befolkningen i varje stratum")
        values = {str(k): number(f"design.strata.population.{k}", v, None)
                  for k, v in pop.items()}
        return {"column": column, "population": values}
    frac = d["fraction"]
    if isinstance(frac, dict):
        values = {str(k): number(f"design.strata.fraction.{k}", v, 1.0)
                  for k, v in frac.items()}
        return {"column": column, "fraction": values}
    return {"column": column, "fraction": number("design.strata.fraction", frac, 1.0)}


def _source(path: Path, raw: Any) -> Source:
    s = _as_dict(path, "source", raw)
    _unknown_keys(path, "source.", s, SOURCE_KEYS)
    encoding = s.get("encoding", "auto")
    encoding = encoding.lower() if isinstance(encoding, str) else encoding
    if encoding not in ENCODINGS:
        raise _fail(path, "source.encoding", f"okänd teckenkodning '{encoding}'",
                    f"välj en av {', '.join(ENCODINGS)}")
    delimiter = s.get("delimiter", "auto")
    if delimiter != "auto" and (not isinstance(delimiter, str) or len(delimiter) != 1
                                or delimiter.isalnum() or delimiter in '"\r\n'):
        raise _fail(path, "source.delimiter", "ska vara auto eller ett enda skiljetecken, "
                    "t.ex. ';' (inte en bokstav, siffra, radbrytning eller \")")
    header_row = s.get("header_row", "auto")
    if header_row != "auto" and (not isinstance(header_row, int) or isinstance(header_row, bool)
                                 or header_row < 1):
        raise _fail(path, "source.header_row",
                    "ska vara auto eller ett radnummer (1 = första raden)")
    sheet = s.get("sheet")
    if sheet is not None and (isinstance(sheet, bool) or not isinstance(sheet, str | int)
                              or (isinstance(sheet, int) and sheet < 1)):
        raise _fail(path, "source.sheet", "ska vara bladets namn eller nummer (1 = första bladet)")
    return Source(file=_text(path, "source.file", s.get("file")), encoding=encoding,
                  delimiter=delimiter, sheet=sheet, header_row=header_row)


class _Headers:
    """Claims export headers for fields: one header can feed one field only."""

    def __init__(self, path: Path):
        self.path = path
        self.used: dict[str, str] = {}  # normalised header → field

    def claim(self, header: Any, name: str) -> str:
        if not isinstance(header, str) or not header.strip():
            raise _fail(self.path, f"columns.{name}", "rubriken ska vara en text")
        key = normalise(header)
        if key in self.used:
            raise _fail(self.path, f"columns.{name}",
                        f"rubriken '{header}' är redan mappad till {self.used[key]}",
                        "en rubrik kan bara mappas till ett fält")
        self.used[key] = name
        return header


def _blank(path: Path, where: str, value: Any) -> bool:
    """``blank: nej`` → True (a blank check-box list means No), ``saknas`` → False."""
    if value is None:
        return False
    key = normalise(value) if isinstance(value, str) else None
    if key not in BLANK:
        raise _fail(path, where, f"ska vara nej eller saknas, inte {shown(value)}",
                    "nej: den som inte kryssat något har svarat Nej på alla; saknas (standard): "
                    "den som inte kryssat något har inte svarat")
    return BLANK[key]


def _separator(path: Path, where: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise _fail(path, where, f"ska vara tecknet som skiljer valen åt, inte {shown(value)}",
                    "t.ex. ';' för \"Kväll; Natt\" eller ', ' för Google Formulär")
    return value


def _columns(path: Path, raw: Any, questions: dict[str, Question],
             claims: _Headers) -> dict[str, str | Multi]:
    cols = _as_dict(path, "columns", raw)
    if not cols:
        raise _fail(path, "columns", "mappningen anger inga kolumner")
    allowed = set(questions) | set(META_FIELDS)
    out: dict[str, str | Multi] = {}
    claim = claims.claim

    for name, spec in cols.items():
        if name not in allowed:
            close = difflib.get_close_matches(str(name), sorted(allowed), n=1)
            raise _fail(path, f"columns.{name}", "okänt kanoniskt namn",
                        f"menade du '{close[0]}'?" if close
                        else "trygghet questions visar frågornas namn")
        question = questions.get(name)
        if question is not None and question.kind == "multi":
            if isinstance(spec, str):
                spec = {"header": spec}
            spec = _as_dict(path, f"columns.{name}", spec)
            _unknown_keys(path, f"columns.{name}.", spec, MULTI_KEYS)
            if ("header" in spec) == ("options" in spec):
                raise _fail(path, f"columns.{name}",
                            "ange antingen header (en kolumn) eller options (en kolumn per val)")
            none = tuple(normalise(v) for v in _texts(path, f"columns.{name}.none",
                                                      spec.get("none")))
            if none and "options" in spec:
                raise _fail(path, f"columns.{name}.none", "none anges för en kolumn med alla "
                            "kryss (header), inte med en kolumn per alternativ",
                            "med en kolumn per alternativ räcker det att den svarande kryssat "
                            "något; ange blank: nej om en tom rad betyder Nej")
            blank_no = _blank(path, f"columns.{name}.blank", spec.get("blank"))
            if "header" in spec:
                separator = _separator(path, f"columns.{name}.separator",
                                       spec.get("separator", ";"))
                out[name] = Multi(header=claim(spec["header"], name), separator=separator,
                                  none=none, blank_no=blank_no)
            else:
                options = _as_dict(path, f"columns.{name}.options", spec["options"])
                levels = {normalise(level): level for level in question.answer_scale.levels}
                mapped = {}
                for option, header in options.items():
                    level = levels.get(normalise(option))
                    if level is None:
                        raise _fail(path, f"columns.{name}.options.{option}",
                                    "okänt svarsalternativ",
                                    f"alternativen är: {', '.join(question.answer_scale.levels)}")
                    mapped[level] = claim(header, f"{name}.{option}")
                out[name] = Multi(options=mapped, none=none, blank_no=blank_no)
        else:
            out[name] = claim(spec, name)
    if len({"age", "birth_year", "age_group"} & set(out)) > 1:
        raise _fail(path, "columns", "ålder anges i flera kolumner (age, birth_year, age_group)",
                    "mappa bara en av dem")
    return out


def _batteries(path: Path, raw: Any, columns: dict[str, str | Multi],
               claims: _Headers, questions: dict[str, Question]) -> dict[str, Battery]:
    """``batteries:``: Ja/Nej questions given as one check-box list (see :class:`Battery`)."""
    out: dict[str, Battery] = {}
    taken: dict[str, str] = {}
    for name, spec in _as_dict(path, "batteries", raw).items():
        where = f"batteries.{name}"
        spec = _as_dict(path, where, spec)
        _unknown_keys(path, f"{where}.", spec, BATTERY_KEYS)
        if ("header" in spec) == ("columns" in spec):
            raise _fail(path, where, "ange antingen header och items (en kolumn med alla "
                        "kryss) eller columns (en kolumn per fråga)")
        if "header" in spec and "items" not in spec:
            raise _fail(path, f"{where}.items", "ange vilken fråga varje kryssalternativ "
                        "svarar på", "items: {victim_stold: Stöld, victim_inbrott: Inbrott}")
        given = _as_dict(path, f"{where}.items" if "header" in spec else f"{where}.columns",
                         spec.get("items") if "header" in spec else spec.get("columns"))
        if not given:
            raise _fail(path, where, "batteriet har inga frågor")
        chosen: dict[str, str] = {}
        for question, text in given.items():
            q = questions.get(question)
            if q is None or q.kind != "single" or q.scale is None or len(q.scale.levels) != 2:
                raise _fail(path, f"{where}.{question}",
                            "ingen fråga med två svarsalternativ (Ja/Nej)",
                            "ett batteri samlar ja/nej-frågor, t.ex. victim_stold")
            if question in columns or question in taken:
                raise _fail(path, f"{where}.{question}", "frågan är redan mappad "
                            f"({'under columns' if question in columns else taken[question]})",
                            "mappa varje fråga bara en gång")
            taken[question] = where
            if "header" in spec:
                chosen[question] = _text(path, f"{where}.items.{question}", text) or ""
            else:
                chosen[question] = claims.claim(text, f"{name}.{question}")
        header = claims.claim(spec["header"], name) if "header" in spec else None
        out[str(name)] = Battery(
            name=str(name), header=header,
            separator=_separator(path, f"{where}.separator", spec.get("separator", ";")),
            items=chosen if header else {}, columns={} if header else chosen,
            none=tuple(normalise(v) for v in _texts(path, f"{where}.none", spec.get("none"))),
            blank_no=_blank(path, f"{where}.blank", spec.get("blank")))
    return out


def _labels(path: Path, raw: Any, scales: dict[str, Scale],
            key: str = "labels") -> dict[str, dict[str, str | None]]:
    """``labels:`` (answer variants) or ``codes:`` (answer codes) per scale → canonical label.

    Both end in one table per scale; codes are only the variants that are numbers
    ("1", "9"), listed apart because that is how a codebook reads.
    """
    labels = _as_dict(path, key, raw)
    out = {}
    example = "Mkt trygg: Mycket trygg" if key == "labels" else "1: Mycket trygg"
    for scale_name, variants in labels.items():
        scale = scales.get(scale_name)
        if scale is None and scale_name != "area":
            raise _fail(path, f"{key}.{scale_name}", "okänd skala",
                        f"skalorna är: {', '.join(scales)}, area")
        variants = _as_dict(path, f"{key}.{scale_name}", variants)
        mapped = {}
        for variant, label in variants.items():
            if isinstance(variant, bool) or not normalise(variant):
                # a blank key would give every blank answer a label; YAML reads Ja as true
                raise _fail(path, f"{key}.{scale_name}", "ett svarsalternativ utan text",
                            f"skriv svarsvarianten som nyckel, t.ex. {example} (inom "
                            "citattecken om den är Ja, Nej, yes eller no)")
            if label is not None and not isinstance(label, str):
                raise _fail(path, f"{key}.{scale_name}.{variant}",
                            f"ska vara ett svarsalternativ (en text) eller null, inte "
                            f"{shown(label)}")
            if label is not None and scale is not None and label not in scale.levels:
                raise _fail(path, f"{key}.{scale_name}.{variant}",
                            f"'{label}' finns inte på skalan",
                            f"välj en av: {', '.join(scale.levels)} (eller null = saknas)")
            mapped[normalise(variant)] = label
        out[scale_name] = mapped
    return out


def _merge_codes(path: Path, labels: dict, codes: dict) -> dict[str, dict[str, str | None]]:
    """``labels`` with the ``codes`` added; one value given two meanings is an error."""
    out = {k: dict(v) for k, v in labels.items()}
    for scale_name, table in codes.items():
        into = out.setdefault(scale_name, {})
        for code, label in table.items():
            if code in into and into[code] != label:
                raise _fail(path, f"codes.{scale_name}.{code}",
                            f"'{code}' betyder {into[code] or 'saknas'} under labels men "
                            f"{label or 'saknas'} under codes", "ange svaret på ett ställe")
            into[code] = label
    return out


def _areas(path: Path, raw: Any) -> dict[str, Area]:
    areas = _as_dict(path, "areas", raw)
    if not areas:
        raise _fail(path, "areas", "mappningen anger inga områden")
    out = {}
    seen: dict[str, str] = {}
    for name, spec in areas.items():
        if isinstance(name, bool) or not isinstance(name, str | int) or not str(name).strip():
            raise _fail(path, "areas", f"ett område utan namn ({shown(name)})",
                        "skriv områdets namn som nyckel, t.ex. Kronogården: {aliases: [...]}")
        spec = _as_dict(path, f"areas.{name}", spec)
        _unknown_keys(path, f"areas.{name}.", spec, {"aliases", "postcodes", "codes"})
        aliases = tuple(_texts(path, f"areas.{name}.aliases", spec.get("aliases")))
        postcodes = tuple(normalise_postcode(p) for p in
                          _texts(path, f"areas.{name}.postcodes", spec.get("postcodes")))
        if not all(postcodes):
            raise _fail(path, f"areas.{name}.postcodes", "ett postnummer utan siffror",
                        "skriv postnumren som \"461 30\"")
        keys = [normalise(name), *map(normalise, aliases), *postcodes]
        for key in keys:
            if key in seen and seen[key] != str(name):
                raise _fail(path, f"areas.{name}", f"'{key}' hör redan till området {seen[key]}")
            seen[key] = str(name)
        codes = tuple(str(c).strip() for c in
                      _as_list(path, f"areas.{name}.codes", spec.get("codes")))
        out[str(name)] = Area(str(name), aliases, postcodes, codes)
    if OTHER_AREA in out:
        raise _fail(path, f"areas.{OTHER_AREA}", "'Annat område' läggs till automatiskt",
                    "ange varianter under other_area_aliases")
    return out


def _yaml_hint(message: str) -> str:
    """What to do about a mapping file the YAML reader refused."""
    if "två gånger" in message:
        return ("ett fält kan bara ha en rubrik: ta bort den ena raden (frågor med en kolumn "
                "per svarsalternativ anges under options)")
    if "finns inte" in message:
        return "kontrollera sökvägen (--mapping eller config/surveys/<år>.yml)"
    if "nyckel ska vara en text" in message:
        return "skriv en text före ':' på raden (ett namn, en rubrik eller ett svarsalternativ)"
    return ("kontrollera raden: indrag med mellanslag (inte tabb), och citattecken runt "
            "rubriker som innehåller ': ' eller börjar med ett specialtecken")


def project_root_of(path: Path) -> Path:
    """The project a mapping file belongs to: the folder above ``config/surveys/``, or,
    for a mapping kept elsewhere, the mapping's own folder (relative paths start there)."""
    folder = path.absolute().parent
    for parent in (folder, *folder.parents):
        if (parent / "config" / "surveys").is_dir():
            return parent
    return folder


def load_mapping(path: str | Path, questionnaire: Questionnaire | None = None,
                 root: str | Path | None = None) -> SurveyMapping:
    """Read and validate a mapping file against a questionnaire (default: the bundled one).

    Every problem is a :class:`TrygghetError` naming the file and the field,
    e.g. an unknown canonical name (with a suggestion), one header mapped to
    two fields, a label outside its scale, or a probability design without
    the number sent. Duplicate YAML keys — two headers for one field — are
    caught by the strict reader.
    """
    path = Path(path)
    root = Path(root) if root is not None else project_root_of(path)
    try:
        raw = read_yaml(path)
    except TrygghetError as err:
        err.hint = err.hint or _yaml_hint(err.message)
        raise
    m = _as_dict(path, "", raw)
    _unknown_keys(path, "", m, TOP_KEYS)
    year = m.get("year")
    if not isinstance(year, int) or not 1990 <= year <= 2100:
        raise _fail(path, "year", f"ogiltigt år '{year}'")
    questions = resolve(questionnaire).questions
    claims = _Headers(path)
    columns = _columns(path, m.get("columns"), questions, claims)
    batteries = _batteries(path, m.get("batteries"), columns, claims, questions)
    required = tuple(_texts(path, "required", m.get("required")))
    for name in required:
        if name not in questions:
            raise _fail(path, "required", f"okänt fält '{name}'")
        derived = name == "age_group" and {"age", "birth_year"} & set(columns)
        in_battery = any(name in b.questions for b in batteries.values())
        if name not in columns and not derived and not in_battery:
            raise _fail(path, "required", f"'{name}' krävs men är inte mappat under columns")
    design = _design(path, m.get("design"))
    if design.strata is not None:
        name = design.strata["column"]
        mapped = name in columns or (name == "age_group" and {"age", "birth_year"} & set(columns))
        question = questions.get(name)
        if not mapped or question is None or question.kind != "single":
            raise _fail(path, "design.strata.column",
                        f"'{name}' är ingen inläst fråga med ett svar per person",
                        "ange en kolumn som mappas under columns, t.ex. area")
    duplicates = _as_dict(path, "duplicates", m.get("duplicates"))
    _unknown_keys(path, "duplicates.", duplicates, {"window_minutes"})
    window = duplicates.get("window_minutes", 10)
    if isinstance(window, bool) or not isinstance(window, int | float) \
            or not math.isfinite(window) or not 0 <= window <= MAX_WINDOW_MINUTES:
        raise _fail(path, "duplicates.window_minutes",
                    f"ska vara ett antal minuter från 0 till {MAX_WINDOW_MINUTES} (en vecka), "
                    f"inte {shown(window)}",
                    "identiska svar inom så många minuter räknas som dubbletter; standard 10")
    kwargs: dict[str, Any] = {}
    for key in ("checked", "unchecked", "other_area_aliases"):
        if key in m:
            kwargs[key] = tuple(normalise(v) if key != "other_area_aliases" else v
                                for v in _texts(path, key, m[key], blank=key == "unchecked"))
    areas = _areas(path, m.get("areas"))
    scales = {q.scale.name: q.scale for q in questions.values() if q.scale is not None}
    labels = _merge_codes(path, _labels(path, m.get("labels"), scales),
                          _labels(path, m.get("codes"), scales, "codes"))
    for variant, area in labels.get("area", {}).items():
        if area is not None and area not in areas and area != OTHER_AREA:
            raise _fail(path, f"labels.area.{variant}", f"'{area}' är inget av årets områden",
                        f"välj ett av: {', '.join(areas)}, {OTHER_AREA} (eller null = saknas)")
    item_problems = m.get("item_problems", "answer")
    if item_problems not in ITEM_PROBLEMS:
        raise _fail(path, "item_problems", f"ska vara answer eller respondent, inte "
                    f"{shown(item_problems)}",
                    "answer (standard): ett okänt svar blir saknat och respondenten behålls; "
                    "respondent: hela respondenten sätts i karantän")
    codebook = None
    if m.get("codebook") is not None:
        given = _text(path, "codebook", m["codebook"]) or ""
        codebook = (root / given).absolute()
    mapping = SurveyMapping(
        path=path,
        year=year,
        title=_text(path, "title", m.get("title")) or f"Trygghetsmätning {year}",
        source=_source(path, m.get("source")),
        design=design,
        columns=columns,
        areas=areas,
        labels=labels,
        ignore=tuple(_texts(path, "ignore", m.get("ignore"))),
        required=required,
        duplicate_window_minutes=float(window),
        questions=questions,
        batteries=batteries,
        item_problems=item_problems,
        codebook=codebook,
        **kwargs,
    )
    if codebook is None:
        return mapping
    from .answers import read_codebook  # (it reads the file with load.py, which imports us)

    return replace(mapping, question_codes=read_codebook(codebook, mapping))


def used_mapping(project: Project, year: int) -> tuple[Path, Path | None]:
    """The mapping and export ``trygghet clean`` last used for ``year`` (its cleaning log).

    ``clean --mapping M --input E`` records both: estimation, reports and a re-run
    of the cleaning by :func:`pipeline.prepare` use them, not the year's default
    mapping, so a report describes the survey that was cleaned. Without a log
    (or if the recorded mapping is gone): ``config/surveys/<year>.yml`` and its
    ``source.file`` (``None``).
    """
    import json

    default = project.mapping(year)
    log = project.processed(year) / "cleaning_log.json"
    try:
        recorded = json.loads(log.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default, None
    if not isinstance(recorded, dict) or not recorded.get("mapping_file"):
        return default, None
    path = project.root / str(recorded["mapping_file"])  # (an absolute path stays one)
    if not path.is_file():
        return default, None
    given = recorded.get("input_file")
    return path, (project.root / str(given)) if given else None


def load_year_mapping(path: str | Path, year: int,
                      questionnaire: Questionnaire | None = None) -> SurveyMapping:
    """The mapping in ``path``, which must exist and be for ``year`` (checked against
    ``questionnaire``, default: the bundled one).

    For the commands that take ``--year`` and an optional ``--mapping``: a missing
    file and a mapping of another year are each one message with the fix.
    """
    path = Path(path)
    if not path.exists():
        raise TrygghetError(f"det finns ingen mappning för {year}", file=path,
                            hint=f"skapa config/surveys/{year}.yml (se 2020.yml, eller föreslå "
                                 f"ett utkast med trygghet mapping draft --year {year} --input "
                                 "EXPORT) eller ange --mapping")
    mapping = load_mapping(path, questionnaire)
    if mapping.year != year:
        raise TrygghetError(f"mappningen gäller år {mapping.year}, inte {year}",
                            file=path, column="year",
                            hint=f"kör med --year {mapping.year} eller ange årets mappning")
    return mapping


def check_sent(sent: int | None, respondents: int, *, file: str | Path | None = None) -> None:
    """Refuse a gross sample (``design.sent``) smaller than the respondents it gave.

    Fewer people sent the survey than answered it is a typo in the mapping (a
    digit lost, the net sample instead of the gross one); the report would
    print a response rate above 100 %. Checked when estimating, where the
    respondents are counted.
    """
    if sent is not None and respondents > sent:
        def count(n: int) -> str:
            return f"{n:,}".replace(",", "\u00a0")

        raise TrygghetError(
            f"design.sent är {count(sent)} utskick men {count(respondents)} svar kunde användas: "
            "svarsandelen kan inte vara över 100 %",
            file=file, column="design.sent",
            hint="ange hela bruttourvalet (alla som fick enkäten) och kör trygghet clean för "
                 "året igen")
