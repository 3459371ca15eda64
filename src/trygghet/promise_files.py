"""Reading and validating the medborgarlöfte files: the promise and its outcome data.

The judgement itself (rules, statuses, sentences) is in :mod:`trygghet.promises`;
this module only turns files into its objects and refuses a malformed file with
one :class:`TrygghetError` naming the file, the line or row, and the field:

``data/reference/medborgarlofte_<year>.yml``
    The promise (:func:`load_promise`).
``data/reference/utfall.csv``
    Indicator values per year with source and extraction date (:func:`read_values`).
``data/reference/trygghetsronder.csv``
    The trygghetsrond register (:func:`read_rounds`).
``data/reference/milstolpar.csv``
    When each milestone was reached (:func:`read_milestones`).

The CSV files are UTF-8, comma- or semicolon-separated (Swedish Excel saves
with semicolons), and count rows as a spreadsheet does (header = row 1). The
formats are described in ``data/reference/README.md``.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from .config import read_yaml
from .errors import TrygghetError
from .fmt import NBSP
from .inputs import MAX_TABLE_BYTES, read_input_bytes
from .promises import (
    RULES,
    BadValue,
    IndicatorSpec,
    Inriktning,
    Outcomes,
    Promise,
    data_needed,
    parse_date,
    parse_positive_int,
    parse_text,
    parse_year,
    survey_indicator_problem,
)

VALUES_FILE = "utfall.csv"
ROUNDS_FILE = "trygghetsronder.csv"
MILESTONES_FILE = "milstolpar.csv"
FILES = {"values": VALUES_FILE, "rounds": ROUNDS_FILE, "milestones": MILESTONES_FILE}


def promise_file(reference: Path, year: int) -> Path:
    """Where the promise of ``year`` lives in a reference folder."""
    return Path(reference) / f"medborgarlofte_{year}.yml"


def load_outcomes(reference: str | Path, promise: Promise) -> Outcomes:
    """Read the outcome files ``promise``'s rules need from ``reference`` and check them.

    Survey estimates are not read here: they are the estimation stage's output
    (see ``pipeline.promises_year``).
    """
    reference = Path(reference)
    outcomes = Outcomes()
    readers = {"values": read_values, "rounds": read_rounds, "milestones": read_milestones}
    for kind in sorted(data_needed(promise) - {"survey"}):
        path = reference / FILES[kind]
        setattr(outcomes, kind, readers[kind](path))
        outcomes.files[kind] = path
    check_outcomes(promise, outcomes)
    return outcomes


# --- Reading the promise file -------------------------------------------------

PROMISE_KEYS = {"year", "municipality", "police_area", "period", "steering_group",
                "follow_up_by", "inriktningar", "synthetic", "source", "promise_text",
                "follow_up_text"}
INRIKTNING_KEYS = ("number", "text", "scope", "responsible", "follow_up", "evaluation",
                   "indicators")
INDICATOR_KEYS = ("indicator", "label", "rule")


def _label(keys: list) -> str:
    """``["inriktningar", 1, "rule"]`` → ``"inriktningar[2].rule"`` (counted from 1)."""
    out = ""
    for key in keys:
        out += f"[{key + 1}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out


def _line(path: Path | None, keys: list) -> int | None:
    """The line of ``keys`` in the YAML file, or of the deepest parent that exists."""
    if path is None:
        return None
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, yaml.YAMLError):
        return None
    line = None
    for key in keys:
        if isinstance(node, yaml.MappingNode):
            match = [(k, v) for k, v in node.value if k.value == str(key)]
            if not match:
                break
            line, node = match[0][0].start_mark.line + 1, match[0][1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) \
                and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _promise_error(path: Path | None, where: str | list, message: str,
                   hint: str | None = None) -> TrygghetError:
    keys = where if isinstance(where, list) else _parse_label(where)
    return TrygghetError(message, file=path, row=_line(path, keys), column=_label(keys),
                         hint=hint)


def _parse_label(label: str) -> list:
    """Inverse of :func:`_label`, for errors raised after loading."""
    keys: list = []
    for part in label.replace("[", ".[").split("."):
        if part.startswith("["):
            keys.append(int(part.strip("[]")) - 1)
        elif part:
            keys.append(part)
    return keys


def load_promise(path: str | Path, questionnaire: Any = None) -> Promise:
    """Read and validate a promise file (``medborgarlofte_<year>.yml``).

    A survey indicator must be one of ``questionnaire``'s (the workspace's;
    default: the bundled questionnaire's).

    Every problem — a missing field, an unknown key or rule, a bad date, a
    value of the wrong type — raises one :class:`TrygghetError` naming the
    file, the line and the field (``inriktningar[2].indicators[1].rule``,
    counted from 1). See ``data/reference/README.md`` for the format.
    """
    path = Path(path)
    raw = read_yaml(path)

    def fail(keys: list, message: str, hint: str | None = None) -> TrygghetError:
        return _promise_error(path, keys, message, hint)

    def get(d: dict, keys: list, parse: Callable[[Any], Any], required: bool = True,
            default: Any = None) -> Any:
        if keys[-1] not in d or d[keys[-1]] is None:
            if required:
                raise fail(keys, "fältet saknas")
            return default
        try:
            return parse(d[keys[-1]])
        except BadValue as err:
            raise fail(keys, str(err), err.hint) from err

    def mapping(value: Any, keys: list) -> dict:
        if not isinstance(value, dict):
            raise fail(keys, "ska vara en samling nyckel: värde")
        return value

    def unknown(d: dict, keys: list, allowed: Iterable[str]) -> None:
        allowed = sorted(allowed)
        for key in d:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                raise fail([*keys, key], "okänd nyckel",
                           f"menade du '{close[0]}'?" if close
                           else f"tillåtna: {', '.join(allowed)}")

    top = mapping(raw, [])
    unknown(top, [], PROMISE_KEYS)
    year = get(top, ["year"], parse_year)
    about = {k: get(top, [k], parse_text) for k in ("municipality", "police_area")}
    about |= {k: get(top, [k], parse_text, required=False)
              for k in ("source", "promise_text", "follow_up_text")}
    synthetic = get(top, ["synthetic"], _bool, required=False, default=False)
    period = get(top, ["period"], _period)
    follow_up_by = get(top, ["follow_up_by"], parse_date)
    if follow_up_by < period[1]:
        raise fail(["follow_up_by"], "uppföljningen ligger före periodens slut",
                   "uppföljning sker efter perioden, senast första kvartalet året efter")
    steering = get(top, ["steering_group"], _text_list)

    inriktningar = []
    items = top.get("inriktningar")
    if items is None:
        raise fail(["inriktningar"], "fältet saknas")
    if not isinstance(items, list) or not items:
        raise fail(["inriktningar"], "ska vara en lista med minst en inriktning")
    seen: set[int] = set()
    for i, item in enumerate(items):
        keys = ["inriktningar", i]
        item = mapping(item, keys)
        unknown(item, keys, INRIKTNING_KEYS)
        number = get(item, [*keys, "number"], parse_positive_int)
        if number in seen:
            raise fail([*keys, "number"], f"inriktning {number} finns redan")
        seen.add(number)
        fields = {k: get(item, [*keys, k], parse_text) for k in INRIKTNING_KEYS[1:6]}
        specs = item.get("indicators")
        if not isinstance(specs, list) or not specs:
            raise fail([*keys, "indicators"], "varje inriktning behöver minst en mätbar "
                       "indikator med en regel", "se data/reference/README.md")
        indicators = []
        for j, spec in enumerate(specs):
            ikeys = [*keys, "indicators", j]
            spec = mapping(spec, ikeys)
            rule_name = get(spec, [*ikeys, "rule"], parse_text)
            if rule_name not in RULES:
                close = difflib.get_close_matches(rule_name, list(RULES), n=1)
                raise fail([*ikeys, "rule"], f"okänd regel '{rule_name}'",
                           (f"menade du '{close[0]}'? " if close else "")
                           + f"tillgängliga regler: {', '.join(sorted(RULES))}")
            rule = RULES[rule_name]
            unknown(spec, ikeys, [*INDICATOR_KEYS, *rule.params])
            name = get(spec, [*ikeys, "indicator"], parse_text)
            if rule.data == "survey" and questionnaire is not None:
                problem = survey_indicator_problem(name, questionnaire.indicators)
            else:
                problem = rule.check(name) if rule.check else None
            if problem:
                raise fail([*ikeys, "indicator"], problem)
            params = {k: get(spec, [*ikeys, k], p.parse, p.required, p.default)
                      for k, p in rule.params.items()}
            params = {k: v for k, v in params.items() if v is not None}
            as_of = params.pop("as_of", None) or follow_up_by
            indicators.append(IndicatorSpec(
                indicator=name, label=get(spec, [*ikeys, "label"], parse_text), rule=rule_name,
                year=year, as_of=as_of, params=params, inriktning=number,
                where=_label(ikeys)))
        inriktningar.append(Inriktning(number=number, **fields, indicators=tuple(indicators)))

    return Promise(year=year, period=period, steering_group=tuple(steering),
                   follow_up_by=follow_up_by, inriktningar=tuple(inriktningar),
                   synthetic=synthetic, path=path, **about)


def _period(value: Any) -> tuple[date, date]:
    if not isinstance(value, list) or len(value) != 2:
        raise BadValue("ska vara [startdatum, slutdatum]", "t.ex. [2020-01-01, 2020-12-31]")
    start, end = parse_date(value[0]), parse_date(value[1])
    if end < start:
        raise BadValue("slutdatum före startdatum")
    return start, end


def _text_list(value: Any) -> list[str]:
    if not isinstance(value, list) or not value:
        raise BadValue("ska vara en lista med minst en text")
    return [parse_text(v) for v in value]


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise BadValue(f"ska vara true eller false, inte '{value}'")
    return value


def check_outcomes(promise: Promise, outcomes: Outcomes) -> None:
    """Every value and milestone indicator has rows; the register exists if needed.

    A year without a value is a legitimate *Underlag saknas*; an indicator
    with no row in any year means the name is misspelt or the data was never
    entered, and the follow-up would silently be empty.
    """
    for spec in promise.indicators:
        kind = RULES[spec.rule].data
        if kind == "survey":
            continue
        frame = getattr(outcomes, kind)
        file = outcomes.files.get(kind, FILES[kind])
        if frame is None:
            raise _promise_error(promise.path, spec.where + ".rule",
                                 f"regeln '{spec.rule}' behöver {Path(file).name}, "
                                 "som inte är inläst")
        if kind == "rounds":
            continue
        known = sorted(set(frame["indicator"]))
        if spec.indicator not in known:
            close = difflib.get_close_matches(spec.indicator, known, n=1)
            hint = (f"menade du '{close[0]}'?" if close
                    else f"lägg till värden för '{spec.indicator}' i {Path(file).name}")
            raise _promise_error(promise.path, spec.where + ".indicator",
                                 f"indikatorn '{spec.indicator}' har inga uppgifter i "
                                 f"{Path(file).name}", hint)


# --- Reading the outcome files ------------------------------------------------

def _read_csv(path: Path, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """Rows of a small reference CSV as (spreadsheet row number, {column: text}).

    UTF-8 (with or without BOM), comma or semicolon (Swedish Excel) delimited;
    blank rows are skipped. Row numbers count the header as 1.
    """
    data = read_input_bytes(path, limit=MAX_TABLE_BYTES)  # a regular file of sane size
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise TrygghetError("filen är inte UTF-8", file=path,
                            hint="spara som CSV UTF-8 (kommaavgränsad)") from err
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    if not rows:
        raise TrygghetError("filen är tom", file=path,
                            hint=f"första raden ska vara kolumnrubrikerna {', '.join(required)}")
    header = [h.strip() for h in rows[0]]
    for col in required:
        if col not in header:
            raise TrygghetError("kolumnen saknas", file=path, row=1, column=col,
                                hint=f"filen ska ha kolumnerna {', '.join(required)}")
    for col in header:
        if col and header.count(col) > 1:
            raise TrygghetError("kolumnrubriken förekommer två gånger", file=path, row=1,
                                column=col)
    out = []
    for number, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            raise TrygghetError("raden har fler värden än det finns kolumner", file=path,
                                row=number, hint="citattecken runt text som innehåller "
                                f"'{delimiter}'")
        out.append((number, {h: (cells[i].strip() if i < len(cells) else "")
                             for i, h in enumerate(header) if h}))
    return out


def read_reference_csv(path: str | Path,
                       required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """:func:`_read_csv` for other modules (the maps read the rounds' places with it)."""
    return _read_csv(Path(path), tuple(required))


def _cell(path: Path, row: int, column: str, text: str, parse: Callable[[str], Any],
          required: bool = True) -> Any:
    """Parse one cell; an empty optional cell is None."""
    if not text:
        if required:
            raise TrygghetError("värde saknas", file=path, row=row, column=column)
        return None
    try:
        return parse(text)
    except BadValue as err:
        raise TrygghetError(str(err), file=path, row=row, column=column, hint=err.hint) from err


def _number(text: str) -> float:
    # Swedish spreadsheets write "1 417" and "12,5"; both are unambiguous here.
    cleaned = text.replace(NBSP, "").replace(" ", "")
    if "," in cleaned and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        raise BadValue(f"'{text}' är inte ett tal") from None
    if not math.isfinite(value):
        raise BadValue(f"'{text}' är inte ett tal")
    return value


def _amount(text: str) -> float:
    """An outcome value: a count, a rate or a share, never negative."""
    value = _number(text)
    if value < 0:
        raise BadValue(f"ska vara ett tal ≥ 0 (ett antal, en andel eller en takt), inte '{text}'",
                       "ett utfall kan inte vara negativt: kontrollera tecknet och källan")
    return value


def _count(text: str) -> int:
    value = _number(text)
    if not value.is_integer() or value < 0:
        raise BadValue(f"ska vara ett heltal ≥ 0, inte '{text}'")
    return int(value)


def _year_text(text: str) -> int:
    if not (text.isdigit() and len(text) == 4):
        raise BadValue(f"ogiltigt år '{text}'", "skriv året med fyra siffror, t.ex. 2020")
    return parse_year(int(text))


def _yes_no(text: str) -> bool:
    answer = text.casefold()
    if answer not in ("ja", "nej"):
        raise BadValue(f"ska vara ja eller nej, inte '{text}'")
    return answer == "ja"


VALUE_COLUMNS = ("indicator", "year", "value", "source", "extracted")


def read_values(path: str | Path) -> pd.DataFrame:
    """Read ``utfall.csv``: one value per indicator and year, with its provenance.

    Columns ``indicator, year, value, source, extracted`` (the date the value
    was taken out of the source system) and optional ``note``. An empty
    ``value`` is allowed only with a ``note`` saying why: the follow-up then
    reports *Underlag saknas* with that reason.
    """
    path = Path(path)
    records = []
    seen: dict[tuple[str, int], int] = {}
    for row, r in _read_csv(path, VALUE_COLUMNS):
        rec = {
            "indicator": _cell(path, row, "indicator", r["indicator"], str),
            "year": _cell(path, row, "year", r["year"], _year_text),
            "value": _cell(path, row, "value", r["value"], _amount, required=False),
            "source": _cell(path, row, "source", r["source"], str),
            "extracted": _cell(path, row, "extracted", r["extracted"], parse_date),
            "note": r.get("note") or None,
        }
        if rec["value"] is None and not rec["note"]:
            raise TrygghetError("värde saknas", file=path, row=row, column="value",
                                hint="ange värdet, eller skriv orsaken i kolumnen note")
        if rec["extracted"].year < rec["year"]:
            raise TrygghetError(f"uttaget {rec['extracted']} är gjort före år {rec['year']}",
                                file=path, row=row, column="extracted")
        key = (rec["indicator"], rec["year"])
        if key in seen:
            raise TrygghetError(f"'{key[0]}' {key[1]} finns redan på rad {seen[key]}",
                                file=path, row=row, column="indicator")
        seen[key] = row
        records.append(rec)
    return pd.DataFrame({
        "indicator": pd.Series([r["indicator"] for r in records], dtype=object),
        "year": pd.Series([r["year"] for r in records], dtype="int64"),
        "value": pd.Series([r["value"] for r in records], dtype="float64"),
        "source": pd.Series([r["source"] for r in records], dtype=object),
        "extracted": pd.Series([r["extracted"] for r in records], dtype=object),
        "note": pd.Series([r["note"] for r in records], dtype=object),
    })


ROUND_COLUMNS = ("area", "date", "participants", "children_youth")
ROUND_OPTIONAL = ("held", "participant_groups", "observation", "action", "responsible",
                  "action_status")
ACTION_STATUS = ("ej påbörjad", "pågår", "klar")


def read_rounds(path: str | Path) -> pd.DataFrame:
    """Read ``trygghetsronder.csv``: the trygghetsrond register.

    One row per observation and action of a round; a round is identified by
    ``area`` and ``date``, and its own fields (``held`` ja/nej — empty means ja —,
    ``participants``, ``children_youth`` = how many of them were children and
    youth, ``participant_groups``) must agree on all its rows. An action needs
    a ``responsible`` and an ``action_status`` (ej påbörjad, pågår, klar).
    """
    path = Path(path)
    records = []
    first: dict[tuple[str, date], tuple[int, tuple]] = {}
    for row, r in _read_csv(path, ROUND_COLUMNS):
        held = _cell(path, row, "held", r.get("held", ""), _yes_no, required=False)
        held = True if held is None else held
        rec = {
            "area": _cell(path, row, "area", r["area"], str),
            "date": _cell(path, row, "date", r["date"], parse_date),
            "held": held,
            "participants": _cell(path, row, "participants", r["participants"], _count,
                                  required=held) or 0,
            "children_youth": _cell(path, row, "children_youth", r["children_youth"], _count,
                                    required=held) or 0,
            **{c: r.get(c) or None for c in ROUND_OPTIONAL[1:]},
        }
        if rec["children_youth"] > rec["participants"]:
            raise TrygghetError("fler barn och unga än deltagare", file=path, row=row,
                                column="children_youth")
        if rec["action"]:
            for col in ("responsible", "action_status"):
                if not rec[col]:
                    raise TrygghetError("en åtgärd behöver ansvarig och åtgärdsstatus",
                                        file=path, row=row, column=col)
        if rec["action_status"] and rec["action_status"].casefold() not in ACTION_STATUS:
            raise TrygghetError(f"okänd åtgärdsstatus '{rec['action_status']}'", file=path,
                                row=row, column="action_status",
                                hint=f"välj {', '.join(ACTION_STATUS)}")
        if rec["action_status"]:
            rec["action_status"] = rec["action_status"].casefold()
        key = (rec["area"], rec["date"])
        own = tuple(rec[c] for c in ("held", "participants", "children_youth",
                                     "participant_groups"))
        if key in first and first[key][1] != own:
            raise TrygghetError(f"ronden {key[0]} {key[1]} har andra uppgifter om deltagare "
                                f"än på rad {first[key][0]}", file=path, row=row,
                                hint="en ronds held, participants, children_youth och "
                                     "participant_groups ska vara lika på alla dess rader")
        first.setdefault(key, (row, own))
        records.append(rec)
    columns = ["area", "date", "held", "participants", "children_youth", *ROUND_OPTIONAL[1:]]
    frame = pd.DataFrame(records, columns=columns)
    return frame.astype({"held": bool, "participants": "int64", "children_youth": "int64"})


MILESTONE_COLUMNS = ("indicator", "reached_on", "source", "extracted")


def read_milestones(path: str | Path) -> pd.DataFrame:
    """Read ``milstolpar.csv``: when each milestone was reached (empty: not yet).

    Columns ``indicator, reached_on, source, extracted`` and optional ``note``.
    An empty ``reached_on`` means "not reached as of ``extracted``".
    """
    path = Path(path)
    records = []
    seen: dict[str, int] = {}   # indicator → the row that named it first
    for row, r in _read_csv(path, MILESTONE_COLUMNS):
        rec = {
            "indicator": _cell(path, row, "indicator", r["indicator"], str),
            "reached_on": _cell(path, row, "reached_on", r["reached_on"], parse_date,
                                required=False),
            "source": _cell(path, row, "source", r["source"], str),
            "extracted": _cell(path, row, "extracted", r["extracted"], parse_date),
            "note": r.get("note") or None,
        }
        if rec["reached_on"] and rec["reached_on"] > rec["extracted"]:
            raise TrygghetError(f"datumet ligger efter uttaget {rec['extracted']}", file=path,
                                row=row, column="reached_on",
                                hint="en milstolpe kan inte vara nådd efter uppgiftens datum")
        if rec["indicator"] in seen:
            raise TrygghetError(f"'{rec['indicator']}' finns redan på rad "
                                f"{seen[rec['indicator']]}", file=path, row=row,
                                column="indicator")
        seen[rec["indicator"]] = row
        records.append(rec)
    return pd.DataFrame(records, columns=[*MILESTONE_COLUMNS, "note"], dtype=object)


