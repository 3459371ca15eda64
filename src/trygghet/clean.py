"""Cleaning: a raw export → the canonical respondent table, with nothing lost.

Every raw row ends in exactly one of three places:

* **clean** — a row of ``responses.parquet``;
* **quarantine** — unusable, with one reason (below), the column and the
  offending value, so the analyst can fix the mapping or the export;
* **duplicate** — a double submission of a row that was kept.

``rows_in = rows_clean + rows_quarantined + duplicates_removed`` is checked
before anything is written; if it does not add up the run fails.

How a value is read
    Labels are compared after folding case, spacing and dash variants
    (:func:`mapping.normalise`), then looked up in the scale's table
    (:func:`answers.answer_table`: its labels, the mapping's ``labels:`` and
    ``codes:``, the codebook's codes of that question). "Vet ej" and blanks are
    missing answers, not errors. Ages come from an age (``"45"``, ``"45 år"``),
    a birth year (age = survey year − birth year) or an age-group label. Areas
    are matched by name, alias, code or postcode.
Check-boxes
    Multi-select answers come as one column (``"Kväll; Natt"``, matched against
    the option texts longest first, so an option holding the separator stays
    whole) or one column per option (ticked = a value listed under ``checked``,
    or the option's own label). Who ticked anything, or a "none of these"
    answer, has No for the options not ticked; who ticked nothing did not
    answer (missing), unless the mapping's ``blank: nej``. Ja/Nej batteries
    (``batteries:``) follow the same rule, Ja for ticked, Nej for not ticked.
Problems of one answer
    An unknown label or option, or more choices than allowed
    (:data:`ITEM_REASONS`), makes that answer missing and keeps the respondent;
    each is listed in the quarantine table with ``level`` *svar* and counted in
    the log (``answers_missing``). Under the mapping's ``item_problems:
    respondent`` they quarantine the row instead.

Quarantine reasons of a row (first that applies): see :data:`REASONS`.
:func:`kept.check_kept` stops a run that quarantined too much, or whose
indicators show the mark of blanks read the wrong way, before anything is written.

Duplicates
    Among usable rows: the same respondent id (kept: the earliest submission),
    then identical answers to every mapped question submitted within the
    mapping's ``duplicates.window_minutes`` (kept: the earliest). Rows that are
    unusable are quarantined rather than compared, so a corrected resubmission
    is never thrown away in favour of a broken first attempt.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

import numpy as np
import pandas as pd

from .answers import NONE_ANSWER, answer_table, area_table, split_answer
from .errors import TrygghetError
from .load import RawExport
from .mapping import Battery, Multi, SurveyMapping, normalise, normalise_postcode
from .privacy import Pseudonymiser, pseudonymise
from .schema import (
    AGE_GROUP,
    MAX_AGE,
    MIN_AGE,
    OTHER_AREA,
    Question,
    age_to_group,
    canonical_columns,
    option_column,
)

__all__ = ["CleanResult", "REASONS", "ITEM_REASONS", "answer_table", "clean", "resolve_columns"]

# Reason code → Swedish description, in order of precedence.
REASONS = {
    "tom_rad": "tom rad",
    "fel_antal_falt": "raden har fel antal fält",
    "ogiltigt_tecken": "fältet innehåller ett NUL-tecken (byte 0): raden kan vara skadad",
    "ogiltig_alder": "omöjlig eller oläslig ålder",
    "okant_omrade": "okänt område",
    "okant_svarsalternativ": "okänt svarsalternativ",
    "for_manga_val": "fler val än frågan tillåter",
    "ogiltigt_datum": "oläsligt datum",
    "saknar_bakgrund": "obligatorisk bakgrundsuppgift saknas",
    "inga_svar": "inga svar på enkätfrågorna",
}
# Problems of one answer: under the mapping's ``item_problems: answer`` (the default) the
# answer is missing and the respondent kept; under ``respondent`` the row is quarantined.
ITEM_REASONS = ("okant_svarsalternativ", "for_manga_val")
DUPLICATE_RULES = {
    "samma_id": "samma respondent-id",
    "identiska_svar": "identiska svar inom tidsfönstret",
}
_AGE = re.compile(r"^(\d{1,3})(?:[.,]0+)?\s*(?:år)?$")
# A birth year, also with a thousands separator as spreadsheets write it ("1 950").
_YEAR = re.compile(r"^(\d)[ \u00a0\u202f]?(\d{3})(?:[.,]0+)?$")
# A time of day followed by a UTC offset: "T17:00:00+02:00", " 12:00 +0200", "T12Z".
_TZ_SUFFIX = r"[T\s]\d\d(?::?\d\d(?::?\d\d(?:[.,]\d+)?)?)?\s*(?:[zZ]|[+-]\d\d(?::?\d\d)?)$"
_DATE_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d.%m.%Y %H:%M:%S",
                 "%d.%m.%Y %H:%M", "%d.%m.%Y", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
                 "%Y/%m/%d", "%Y%m%d")


@dataclass
class CleanResult:
    """What :func:`clean` produces: the table, the set-aside rows and the log."""

    responses: pd.DataFrame
    quarantine: pd.DataFrame
    duplicates: pd.DataFrame
    log: dict


class _Issues:
    """Collects per-row problems; the first by precedence becomes the row's reason.

    ``item`` problems (an unknown answer, too many choices: :data:`ITEM_REASONS`
    under the mapping's ``item_problems: answer``) cost only that answer: they
    are listed on their own, one per answer, and quarantine no row.
    """

    def __init__(self, n: int, item_level: bool = True):
        self.n = n
        self.item_level = item_level
        self.found: list[tuple[str, np.ndarray, str, np.ndarray | pd.Series | None]] = []
        self.items: list[tuple[str, np.ndarray, str, np.ndarray | pd.Series | None]] = []

    def add(self, reason: str, mask: np.ndarray, column: str = "",
            values: np.ndarray | pd.Series | None = None) -> None:
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            # The values are kept as given: only the few offending ones are read
            # out in resolve(), not a million-row column per check.
            problem = (reason, mask, column, values)
            if self.item_level and reason in ITEM_REASONS:
                self.items.append(problem)
            else:
                self.found.append(problem)

    def resolve(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per row: reason code ('' if none), column, value, number of problems."""
        # The precedence is worked out on small integers (which problem came first),
        # and only the few rows with a problem get text: comparing a million Python
        # strings once per problem found is what this used to spend its time on.
        first_problem = np.full(self.n, -1, dtype=np.int64)
        count = np.zeros(self.n, dtype=np.int64)
        order = list(REASONS)
        found = sorted(self.found, key=lambda f: order.index(f[0]))
        for k, (_, mask, _, _) in enumerate(found):
            first_problem[mask & (first_problem < 0)] = k
            count += mask
        for _, mask, _, _ in self.items:
            count += mask
        reason = np.full(self.n, "", dtype=object)
        column = np.full(self.n, "", dtype=object)
        value = np.full(self.n, "", dtype=object)
        for k, (code, _, col, vals) in enumerate(found):
            rows = np.flatnonzero(first_problem == k)
            reason[rows], column[rows] = code, col
            if vals is not None:
                value[rows] = _values_at(vals, rows)
            if code == "tom_rad":
                count[rows] = 1  # a blank row has no further problems worth listing
        return reason, column, value, count

    def answers(self, keep: np.ndarray, source_rows: np.ndarray) -> pd.DataFrame:
        """One row per answer set missing in a kept row: source row, reason, column, value."""
        parts = []
        for code, mask, col, vals in self.items:
            rows = np.flatnonzero(mask & keep)
            if len(rows):
                parts.append(pd.DataFrame({
                    "source_row": source_rows[rows], "reason": code,
                    "description": REASONS[code] + " – svaret räknas som saknat, "
                                                   "respondenten behålls",
                    "column": col,
                    "value": [str(v)[:200].replace("\x00", "\\x00")
                              for v in _values_at(vals, rows)],
                }))
        if not parts:
            return pd.DataFrame(columns=["source_row", "reason", "description", "column",
                                         "value"])
        return pd.concat(parts, ignore_index=True)


def _values_at(values: np.ndarray | pd.Series | None, rows: np.ndarray) -> np.ndarray:
    if values is None:
        return np.full(len(rows), "", dtype=object)
    if isinstance(values, pd.Series):
        return values.iloc[rows].to_numpy(dtype=object)
    return np.asarray(values, dtype=object)[rows]


# --- Value readers -----------------------------------------------------------

def _distinct(values: pd.Series, table: dict[str, object]) -> tuple[np.ndarray, list[str],
                                                                     np.ndarray]:
    """Codes of the distinct values (−1 = missing), their normalised keys, and the rows
    whose value is not in ``table``.

    The readers below work on the distinct values only, so a million rows cost
    what their few dozen labels cost.
    """
    codes, uniques = pd.factorize(values, sort=False)
    keys = [normalise(u) for u in uniques]
    unknown = np.array([k not in table for k in keys] + [False])
    return codes, keys, unknown[codes]


def _lookup(values: pd.Series, table: dict[str, object]) -> tuple[np.ndarray, np.ndarray]:
    """Map text values through ``table`` (keys normalised); unknown → invalid."""
    codes, keys, unknown = _distinct(values, table)
    mapped = np.array([table.get(k) for k in keys] + [None], dtype=object)
    return mapped[codes], unknown


def _categorical(values: pd.Series, table: dict[str, object],
                 dtype: pd.CategoricalDtype) -> tuple[pd.Categorical, np.ndarray]:
    """Like :func:`_lookup`, straight to a categorical of ``dtype`` (and the invalid rows).

    Building the categorical from codes of the distinct values, rather than
    from a million label strings, is what keeps cleaning fast at scale.
    """
    codes, keys, unknown = _distinct(values, table)
    position = {c: i for i, c in enumerate(dtype.categories)}
    cat = np.array([position.get(table.get(k), -1) for k in keys] + [-1], dtype=np.int32)
    return pd.Categorical.from_codes(cat[codes], dtype=dtype), unknown


def read_area(values: pd.Series, mapping: SurveyMapping) -> tuple[pd.Categorical, np.ndarray]:
    """Areas by name, alias or postcode, as a categorical of the year's areas.

    Returns the categorical (missing where blank or unknown) and a boolean
    array marking the unknown values.
    """
    table, postcodes = area_table(mapping)
    for u in pd.unique(values):
        key = normalise(u)
        digits = normalise_postcode(u)
        if key not in table and re.fullmatch(r"[\d\s]+", u.strip()) and digits in postcodes:
            table[key] = postcodes[digits]
    dtype = pd.CategoricalDtype([*mapping.area_names, OTHER_AREA], ordered=False)
    return _categorical(values, table, dtype)


def _read_age(values: pd.Series, kind: str, year: int) -> tuple[pd.Series, np.ndarray]:
    """Age group from an age or birth year given as text; invalid if unreadable or impossible."""
    codes, uniques = pd.factorize(values, sort=False)
    ages = []
    for u in uniques:
        text = u.strip().casefold()
        if not text or text == "vet ej":
            ages.append(np.nan)
            continue
        m = (_AGE if kind == "age" else _YEAR).match(text)
        if m is None:
            ages.append(-1.0)
            continue
        age = int(m.group(1)) if kind == "age" else year - int("".join(m.groups()))
        ages.append(float(age) if MIN_AGE <= age <= MAX_AGE else -1.0)
    age = np.array(ages + [np.nan])[codes]
    invalid = age == -1.0
    age[invalid] = np.nan
    return age_to_group(pd.Series(age)), invalid


# The span of pandas' nanosecond timestamps (1677-09-21 … 2262-04-11). A date
# outside it ("9999-12-31 23:59:59", many tools' "no date") is an unreadable
# date of that row, not an error of the file.
_NS_MIN, _NS_MAX = pd.Timestamp.min, pd.Timestamp.max


def _ns(parsed: pd.Series) -> pd.Series:
    """Naive timestamps as ``datetime64[ns]``; values outside its span become NaT.

    pandas 3 parses "9999-12-31" at a coarser resolution, which the cast to
    nanoseconds would refuse with an error for the whole column.
    """
    if parsed.dtype == "datetime64[ns]":
        return parsed
    inside = parsed.isna() | ((parsed >= _NS_MIN) & (parsed <= _NS_MAX))
    return parsed.where(inside).astype("datetime64[ns]")


def _one_iso_date(text: str) -> pd.Timestamp:
    """One ISO 8601 value in Swedish local time, or NaT."""
    try:
        t = pd.Timestamp(text)
        t = t.tz_convert("Europe/Stockholm").tz_localize(None) if t.tzinfo else t
    except (ValueError, OverflowError):
        return pd.NaT
    return t if _NS_MIN <= t <= _NS_MAX else pd.NaT


def _parse_iso(text: pd.Series) -> pd.Series:
    """ISO 8601 timestamps as naive Swedish local time; NaT where not ISO.

    One vectorised parse in the usual case. Timestamps with a UTC offset
    ("…T17:00:00+02:00", "…Z") are brought to Swedish local time; a column
    that mixes offsets (summer and winter time) or mixes them with local times
    makes pandas refuse the lot (or, in pandas 2.2, return objects), and is then
    parsed in two parts.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # pandas 2.2: mixed offsets
        try:
            parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
        except ValueError:
            parsed = None
    if parsed is not None and parsed.dtype != object:
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_convert("Europe/Stockholm").dt.tz_localize(None)
        return _ns(parsed)
    aware = text.str.contains(_TZ_SUFFIX, regex=True, na=False).to_numpy()
    local = ~aware & text.notna().to_numpy()
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    if local.any():
        try:
            out[local] = _ns(pd.to_datetime(text[local], format="ISO8601", errors="coerce"))
        except ValueError:  # an offset form the pattern missed: the values one by one
            out[local] = text[local].map(_one_iso_date)
    if aware.any():
        utc = pd.to_datetime(text[aware], format="ISO8601", errors="coerce", utc=True)
        out[aware] = _ns(utc.dt.tz_convert("Europe/Stockholm").dt.tz_localize(None))
    return out


def _read_dates(values: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Timestamps in ISO or common Swedish/Excel forms.

    Returns the timestamps, which are invalid (text that no format fits), and
    which carry a time of day (a date alone cannot place two submissions
    minutes apart).
    """
    text = values.str.strip()
    parsed = _parse_iso(text.where(text != ""))
    todo = parsed.isna() & (text != "")
    for fmt in _DATE_FORMATS:
        if not todo.any():
            break
        parsed[todo] = _ns(pd.to_datetime(text[todo], format=fmt, errors="coerce"))
        todo = parsed.isna() & (text != "")
    if todo.any():  # Excel serial day numbers (1900 date system)
        serial = pd.to_numeric(text[todo], errors="coerce")
        serial = serial.where((serial > 20000) & (serial < 80000))
        parsed[todo] = pd.to_datetime(serial, unit="D", origin="1899-12-30")
        todo = parsed.isna() & (text != "")
    parsed = parsed.astype("datetime64[ns]")
    has_time = parsed.notna() & (text.str.contains(":") | (parsed != parsed.dt.normalize()))
    return parsed, todo.to_numpy(), has_time.to_numpy()


def _read_multi(frame: pd.DataFrame, cols: dict, question: Question, spec: Multi,
                mapping: SurveyMapping, issues: _Issues,
                headers: list[str]) -> tuple[dict, np.ndarray]:
    """Boolean option columns of a multi-select question, and who answered it.

    Check-box semantics (:class:`mapping.Multi`): who ticked anything, or a
    "none of these" answer, has False for every option not ticked; who ticked
    nothing has all options missing, or all False under ``blank: nej``. An
    unknown option, or more choices than allowed, makes the respondent's answer
    to the question missing (and is listed as a problem of that answer).
    """
    name = question.name
    levels = question.answer_scale.levels
    n = len(frame)
    ticked = np.zeros((n, len(levels)), dtype=bool)
    none = np.zeros(n, dtype=bool)
    invalid = np.zeros(n, dtype=bool)
    if spec.header is not None:
        table = answer_table(question.answer_scale, mapping, name)
        table.update(dict.fromkeys(spec.none, NONE_ANSWER))
        values = frame[cols[name]]
        codes, uniques = pd.factorize(values, sort=False)
        rows, bad, nothing = [], [], []
        for u in uniques:
            picked = np.zeros(len(levels), dtype=bool)
            keys, left_over = split_answer(u, spec.separator, table)
            answers = [table[k] for k in keys]
            for answer in answers:
                if answer is not None and answer != NONE_ANSWER:
                    picked[levels.index(str(answer))] = True
            rows.append(picked)
            bad.append(left_over)
            nothing.append(NONE_ANSWER in answers)
        ticked = np.vstack(rows + [np.zeros(len(levels), dtype=bool)])[codes]
        none = np.array(nothing + [False])[codes]
        invalid = np.array(bad + [False])[codes]
        issues.add("okant_svarsalternativ", invalid, headers[cols[name]], values)
    else:
        checked = set(mapping.checked)
        unchecked = set(mapping.unchecked)
        for j, level in enumerate(levels):
            if level not in spec.options:
                continue
            idx = cols[f"{name}.{level}"]
            table = {**dict.fromkeys(unchecked, False), **dict.fromkeys(checked, True),
                     normalise(level): True}
            values = frame[idx]
            got, unknown = _lookup(values, table)
            ticked[:, j] = got == True  # noqa: E712 - object array of True/False/None
            invalid |= unknown
            issues.add("okant_svarsalternativ", unknown, headers[idx], values)
    if question.max_choices:
        too_many = ticked.sum(axis=1) > question.max_choices
        where = headers[cols[name]] if spec.header is not None else name
        # (the value shown in the quarantine, written only for the rows it concerns)
        shown = np.full(n, "", dtype=object)
        shown[too_many] = [f"{k} val" for k in ticked.sum(axis=1)[too_many]]
        issues.add("for_manga_val", too_many, where, shown)
        invalid = invalid | too_many  # (not in place: the issue above holds that mask)
    answered = (ticked.any(axis=1) | none) & ~invalid
    filled = (answered | ~invalid) if spec.blank_no else answered
    # Options without a column of their own were not offered that year: missing, not False.
    offered = levels if spec.header is not None else tuple(spec.options)
    out = {}
    for j, level in enumerate(levels):
        col = pd.array(ticked[:, j], dtype="boolean")
        col[~filled | (level not in offered)] = pd.NA
        out[option_column(name, level)] = col
    return out, answered


# What a cell of a check-box battery says (:func:`_read_battery`).
_TICKED, _EXPLICIT_NO, _UNTICKED, _SKIPPED, _UNKNOWN = 1, 0, -1, -2, -9


def _read_battery(frame: pd.DataFrame, cols: dict, battery: Battery,
                  questions: dict[str, Question], mapping: SurveyMapping, issues: _Issues,
                  headers: list[str]) -> tuple[dict, np.ndarray]:
    """The Ja/Nej questions of a check-box battery (:class:`mapping.Battery`), and who
    answered the battery: ticked = Ja; not ticked by one who ticked something (or
    "none of these") = Nej; nothing ticked = missing, or Nej under ``blank: nej``."""
    n = len(frame)
    names = battery.questions
    state = np.full((n, len(names)), _UNTICKED, dtype=np.int8)
    none = np.zeros(n, dtype=bool)
    invalid = np.zeros(n, dtype=bool)
    if battery.header is not None:
        table: dict[str, object] = {"": None}
        for q in names:
            table.update({normalise(m): None for m in questions[q].answer_scale.missing})
        table.update({normalise(text): q for q, text in battery.items.items()})
        table.update(dict.fromkeys(battery.none, NONE_ANSWER))
        values = frame[cols[f"battery.{battery.name}"]]
        codes, uniques = pd.factorize(values, sort=False)
        rows, bad, nothing = [], [], []
        for u in uniques:
            keys, left_over = split_answer(u, battery.separator, table)
            picked = {table[k] for k in keys}
            rows.append([_TICKED if q in picked else _UNTICKED for q in names])
            bad.append(left_over)
            nothing.append(NONE_ANSWER in picked)
        state = np.array(rows + [[_UNTICKED] * len(names)], dtype=np.int8)[codes]
        invalid = np.array(bad + [False])[codes]
        none = np.array(nothing + [False])[codes]
        issues.add("okant_svarsalternativ", invalid, battery.header, values)
    else:
        for j, q in enumerate(names):
            scale = questions[q].answer_scale
            table = {"": _UNTICKED, **dict.fromkeys(mapping.unchecked, _UNTICKED),
                     **dict.fromkeys(mapping.checked, _TICKED)}
            table.update({k: (_SKIPPED if v is None else
                              _TICKED if v == scale.levels[0] else _EXPLICIT_NO)
                          for k, v in answer_table(scale, mapping, q).items() if k})
            values = frame[cols[f"battery.{battery.name}.{q}"]]
            got, unknown = _lookup(values, table)
            state[:, j] = np.where(unknown, _UNKNOWN,
                                   np.where(pd.isna(got), _UNTICKED, got)).astype(np.int8)
            invalid |= unknown
            issues.add("okant_svarsalternativ", unknown, battery.columns[q], values)
    answered = ((state == _TICKED) | (state == _EXPLICIT_NO)).any(axis=1) | none
    answered &= ~invalid
    filled = (answered | ~invalid) if battery.blank_no else answered
    out = {}
    for j, q in enumerate(names):
        yes, no = questions[q].answer_scale.levels
        level = np.full(n, None, dtype=object)
        level[state[:, j] == _TICKED] = yes
        level[(state[:, j] == _UNTICKED) | (state[:, j] == _EXPLICIT_NO)] = no
        level[~filled | (state[:, j] == _SKIPPED)] = None
        out[q] = pd.Categorical(level, dtype=questions[q].answer_scale.dtype)
    return out, answered


# --- The cleaning ------------------------------------------------------------

def resolve_columns(raw: RawExport, mapping: SurveyMapping) -> tuple[dict, list[str]]:
    """Positions of the mapped headers in the export; unmapped headers.

    A mapped header that is missing, or present twice, is an error naming the
    file, the header and the field, with the likeliest cause as the hint: the
    closest header (a typo, or a header the tool lengthened, "Kön (man/kvinna)"),
    letters lost to a wrong encoding ("K�n"), or the wrong file altogether
    when not one mapped header is there.
    """
    positions: dict[str, list[int]] = {}
    for i, h in enumerate(raw.headers):
        positions.setdefault(normalise(h), []).append(i)
    # A second name of a column (an SPSS variable name beside its label, Qualtrics'
    # short name above the question text): either may be mapped.
    for i, h in enumerate(raw.names):
        if h and normalise(h) != normalise(raw.headers[i]):
            positions.setdefault(normalise(h), []).append(i)
    cols: dict[str, int] = {}
    wanted: list[tuple[str, str]] = []
    for name, spec in mapping.columns.items():
        if isinstance(spec, Multi):
            if spec.header is not None:
                wanted.append((name, spec.header))
            else:
                wanted += [(f"{name}.{level}", header) for level, header in spec.options.items()]
        else:
            wanted.append((name, spec))
    for battery in mapping.batteries.values():
        if battery.header is not None:
            wanted.append((f"battery.{battery.name}", battery.header))
        else:
            wanted += [(f"battery.{battery.name}.{q}", header)
                       for q, header in battery.columns.items()]
    if not any(normalise(header) in positions for _, header in wanted):
        shown = ", ".join(f"'{h[:40]}'" for h in raw.headers[:4] if h.strip()) or "inget"
        raise TrygghetError(
            "ingen av mappningens rubriker finns i filen", file=raw.path,
            row=raw.info.get("header_row"),
            hint=f"fel fil eller fel mappning? Rubrikraden börjar med {shown}; mappningen "
                 f"{mapping.path} väntar sig t.ex. '{wanted[0][1]}'")
    for key, header in wanted:
        found = positions.get(normalise(header), [])
        if not found:
            field = key.split(".")[1] if key.startswith("battery.") else key.split(".")[0]
            raise TrygghetError(
                f"kolumnen saknas i filen (mappad till {field})", file=raw.path,
                column=header, hint=_missing_header_hint(header, raw.headers, mapping))
        if len(found) > 1:
            raise TrygghetError(
                f"rubriken finns i flera kolumner ({', '.join(str(i + 1) for i in found)})",
                file=raw.path, column=header,
                hint="byt namn på den ena i en kopia av exporten och peka ut kopian med --input")
        cols[key] = found[0]
    used = set(cols.values())
    ignored = {normalise(h) for h in mapping.ignore}
    unmapped = [h or f"(kolumn {i + 1} utan rubrik)" for i, h in enumerate(raw.headers)
                if i not in used and normalise(h) not in ignored]
    return cols, unmapped


def _missing_header_hint(header: str, headers: list[str], mapping: SurveyMapping) -> str:
    """What to do about a mapped header the export lacks (the likeliest cause first)."""
    import difflib

    if any("\ufffd" in h for h in headers):
        return ("rubrikerna innehåller '\ufffd': filen har sparats med fel teckenkodning och "
                "å, ä, ö har gått förlorade. Exportera den igen från enkätverktyget (öppna och "
                "spara den inte i en textredigerare)")
    folded: dict[str, str] = {}
    for h in headers:
        folded.setdefault(normalise(h), h)
    key = normalise(header)
    # A header the tool lengthened or shortened, else the most similar one.
    close = [h for k, h in folded.items() if len(k) > 2 and (k.startswith(key) or
                                                             key.startswith(k))]
    close += [folded[k] for k in difflib.get_close_matches(key, list(folded), n=1, cutoff=0.6)]
    if close:
        return f"närmast finns '{close[0]}': rätta rubriken i {mapping.path}"
    return (f"rätta rubriken i {mapping.path} eller ta bort fältet om frågan inte ställdes "
            "i år")


def clean(raw: RawExport, mapping: SurveyMapping, *, key: bytes,
          questions: dict[str, Question] | None = None) -> CleanResult:
    """Clean one export with its mapping; see the module docstring for the rules.

    Parameters
    ----------
    raw
        The export, as read by :func:`load.read_export`.
    mapping
        The year's validated mapping.
    key
        Secret key for pseudonymising respondent ids (:mod:`privacy`).
    questions
        The questionnaire's questions by canonical name (default: the mapping's questionnaire).
    """
    questions = mapping.questions if questions is None else questions
    cols, unmapped = resolve_columns(raw, mapping)
    frame, headers, year = raw.frame, raw.headers, mapping.year
    n = len(frame)
    issues = _Issues(n, item_level=mapping.item_problems == "answer")
    out: dict[str, object] = {}
    failed: dict[str, np.ndarray] = {}  # field → rows where its value was invalid
    answered_by: dict[str, np.ndarray] = {}  # check-box questions: who really answered
    has_time = np.zeros(n, dtype=bool)
    hashing: Pseudonymiser | None = None

    blank = np.ones(n, dtype=bool)
    for c in frame.columns:
        # Only the rows still blank are looked at: after the first column or two
        # that is a handful, not a million rows per column.
        rows = np.flatnonzero(blank)
        if not len(rows):
            break
        values = frame[c] if len(rows) == n else frame[c].iloc[rows]
        blank[rows] = (values.str.strip() == "").to_numpy()
    issues.add("tom_rad", blank)
    if raw.info.get("nul"):  # only then: a search of every cell costs time at scale
        for c in sorted(set(cols.values())):
            values = frame[c]
            issues.add("ogiltigt_tecken", values.str.contains("\x00", regex=False).to_numpy(),
                       headers[c], values)

    for name, spec in mapping.columns.items():
        question = questions.get(name)
        if isinstance(spec, Multi):
            options, answered_by[name] = _read_multi(frame, cols, questions[name], spec,
                                                     mapping, issues, headers)
            out.update(options)
            continue
        values = frame[cols[name]]
        header = headers[cols[name]]
        if name in ("age", "birth_year"):
            out["age_group"], bad = _read_age(values, name, year)
            issues.add("ogiltig_alder", bad, header, values)
            failed["age_group"] = bad
        elif name == "age_group":
            out["age_group"], bad = _categorical(values, answer_table(AGE_GROUP, mapping, name),
                                                 AGE_GROUP.dtype)
            issues.add("ogiltig_alder", bad, header, values)
            failed["age_group"] = bad
        elif name == "area":
            out["area"], bad = read_area(values, mapping)
            issues.add("okant_omrade", bad, header, values)
            failed["area"] = bad
        elif name == "submitted":
            out["submitted"], bad, has_time = _read_dates(values)
            issues.add("ogiltigt_datum", bad, header, values)
        elif name == "respondent_id":
            raw_ids = values.str.strip().to_numpy(dtype=object)
            out["_raw_id"] = raw_ids
            # Every id is hashed, kept or not, on another core while cleaning goes on.
            hashing = Pseudonymiser(raw_ids, key, context=str(year))
        elif (question := questions[name]).kind == "text":
            text = values.str.strip()
            out[name] = pd.array(text.where(text != ""), dtype=pd.StringDtype())
        elif question is not None and question.kind == "number":
            text = values.str.strip().str.replace(",", ".", regex=False)
            number = pd.to_numeric(text.where(text != ""), errors="coerce")
            out[name] = pd.array(number, dtype=pd.Float64Dtype())
            bad = (number.isna() & (text != "")).to_numpy()
            issues.add("okant_svarsalternativ", bad, header, values)
            failed[name] = bad
        else:
            scale = question.answer_scale
            out[name], bad = _categorical(values, answer_table(scale, mapping, name), scale.dtype)
            issues.add("okant_svarsalternativ", bad, header, values)
            failed[name] = bad
    for battery in mapping.batteries.values():
        items, answered = _read_battery(frame, cols, battery, questions, mapping, issues,
                                        headers)
        out.update(items)
        answered_by.update(dict.fromkeys(items, answered))

    answered = np.zeros(n, dtype=bool)
    for q in questions.values():
        if q.background or q.kind == "text":
            continue
        if q.name in answered_by:  # (a blank check-box list read as No is no answer)
            answered |= answered_by[q.name]
            continue
        for c in q.columns:
            if c in out:
                answered |= pd.notna(pd.Series(out[c])).to_numpy()
    issues.add("inga_svar", ~answered & ~blank)
    for name in mapping.required:
        got = out.get(name)
        missing = pd.isna(pd.Series(got)).to_numpy() if got is not None else np.ones(n, bool)
        # An invalid value is already a reason; blank rows have only that one.
        missing = missing & ~failed.get(name, np.zeros(n, bool)) & ~blank
        issues.add("saknar_bakgrund", missing, name)

    reason, column, value, count = issues.resolve()
    valid = reason == ""

    # Duplicates among usable rows.
    canonical = _assemble(out, mapping, n)
    raw_id = np.asarray(out.get("_raw_id", np.full(n, "", dtype=object)), dtype=object)
    dup_of, dup_rule = _find_duplicates(canonical, raw_id, raw.source_rows, valid, has_time,
                                        mapping.duplicate_window_minutes)
    keep = valid & (dup_rule == "")

    responses = canonical.loc[keep].reset_index(drop=True)
    responses["respondent_id"] = pd.array(_pseudonyms(raw_id, keep, raw.source_rows, key,
                                                      str(year), hashing),
                                          dtype=pd.StringDtype())
    responses.attrs = {
        "year": year, "title": mapping.title, "sampling": mapping.design.sampling,
        "sent": mapping.design.sent, "areas": mapping.area_names, "not_asked": mapping.not_asked,
        "free_text": [q.name for q in mapping.questions.values() if q.kind == "text"],
        "strata": mapping.design.strata,
        "period": [d.isoformat() for d in mapping.design.period] if mapping.design.period
        else None,
    }

    quarantine = _quarantine_frame(raw, reason, column, value, count, valid,
                                   issues.answers(keep, raw.source_rows))
    dups = valid & (dup_rule != "")
    duplicates = pd.DataFrame({
        "source_row": raw.source_rows[dups],
        "duplicate_of_row": dup_of[dups],
        "rule": dup_rule[dups],
        "description": [DUPLICATE_RULES[r] for r in dup_rule[dups]],
    })
    log = _log(raw, mapping, responses, quarantine, duplicates, unmapped)
    return CleanResult(responses, quarantine, duplicates, log)


def _assemble(out: dict, mapping: SurveyMapping, n: int) -> pd.DataFrame:
    """The canonical frame (every row, typed); questions not asked stay empty."""
    data = {}
    for col in canonical_columns(mapping.questions, mapping.area_names):
        values = np.full(n, mapping.year) if col.name == "year" else out.get(col.name)
        if values is None:
            series = pd.Series([None] * n, dtype=object)
        else:
            series = pd.Series(values.array if isinstance(values, pd.Series) else values)
        data[col.name] = series.astype(col.dtype)
    return pd.DataFrame(data)


def _pseudonyms(raw_id: np.ndarray, keep: np.ndarray, source_rows: np.ndarray, key: bytes,
                context: str, hashing: Pseudonymiser | None) -> np.ndarray:
    """The kept rows' pseudonyms: of the id, or of ``rad<source row>`` for a row without one.

    ``hashing`` holds the pseudonyms of every row's id (blank ones included)
    when the export has an id column.
    """
    has_id = raw_id[keep] != ""
    out = np.empty(int(keep.sum()), dtype=object)
    if hashing is not None:
        out[has_id] = np.asarray(hashing.result(), dtype=object)[keep][has_id]
    else:
        out[has_id] = pseudonymise(raw_id[keep][has_id], key, context=context)
    no_id = np.char.add("rad", source_rows[keep][~has_id].astype(str))
    out[~has_id] = pseudonymise(no_id, key, context=context)
    return out


def _find_duplicates(frame: pd.DataFrame, raw_id: np.ndarray, rows: np.ndarray,
                     valid: np.ndarray, has_time: np.ndarray,
                     window_minutes: float) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the source row it duplicates (0 if none) and the rule ('' if none).

    Sorted with ``np.lexsort`` on integer keys (id codes, nanoseconds, row
    numbers), not pandas' sort of a million id strings: the same order among
    rows of one id or one set of answers, which is all the rules look at.
    """
    n = len(frame)
    dup_of = np.zeros(n, dtype=np.int64)
    rule = np.full(n, "", dtype=object)
    order_time = frame["submitted"].to_numpy()
    nanos = order_time.astype("datetime64[ns]").view(np.int64)

    # 1. Same respondent id: keep the earliest submission (unknown time last).
    idx = np.flatnonzero(valid & (raw_id != ""))
    if len(idx):
        ids, _ = pd.factorize(raw_id[idx], sort=False)
        t = np.where(np.isnat(order_time[idx]), np.iinfo(np.int64).max, nanos[idx])
        order = np.lexsort((rows[idx], t, ids))
        is_dup, first_row = _runs(ids[order], rows[idx][order])
        rule[idx[order][is_dup]] = "samma_id"
        dup_of[idx[order][is_dup]] = first_row[is_dup]

    # 2. Identical answers within the window (both times of day known: two paper
    #    forms registered on the same date are not a double submission).
    idx = np.flatnonzero(valid & (rule == "") & has_time)
    if len(idx):
        answers = frame.drop(columns=["respondent_id", "submitted", "year"])
        # (each row's hash is its own: hashing every row and picking saves a copy)
        h = pd.util.hash_pandas_object(answers, index=False).to_numpy()[idx]
        t = nanos[idx]
        order = np.lexsort((rows[idx], t, h))
        h, t = h[order], t[order]
        window = pd.Timedelta(minutes=window_minutes).value
        is_dup = np.zeros(len(idx), dtype=bool)
        is_dup[1:] = (h[1:] == h[:-1]) & (t[1:] - t[:-1] <= window)
        _, first_row = _runs(np.cumsum(~is_dup), rows[idx][order])
        rule[idx[order][is_dup]] = "identiska_svar"
        dup_of[idx[order][is_dup]] = first_row[is_dup]
    return dup_of, rule


def _runs(key: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For a sorted ``key``: which entries repeat the one before, and each run's first row."""
    start = np.ones(len(key), dtype=bool)
    start[1:] = key[1:] != key[:-1]
    first = np.maximum.accumulate(np.where(start, np.arange(len(key)), 0))
    return ~start, rows[first]


def _quarantine_frame(raw: RawExport, reason, column, value, count, valid,
                      answers: pd.DataFrame) -> pd.DataFrame:
    """``quarantine.csv``: the rows set aside (``level`` rad) and, after them, the single
    answers set missing in rows that were kept (``level`` svar), by source row."""
    bad = ~valid
    extra = count[bad] - 1
    desc = [REASONS[r] + (f" (+{e} fler problem på raden)" if e > 0 else "")
            for r, e in zip(reason[bad], extra, strict=True)]
    q = pd.DataFrame({
        "source_row": raw.source_rows[bad],
        "reason": reason[bad].astype(str),
        "description": desc,
        "column": column[bad].astype(str),
        "value": [str(v)[:200].replace("\x00", "\\x00") for v in value[bad]],
    })
    broken = pd.DataFrame({
        "source_row": [r for r, _ in raw.bad_rows],
        "reason": "fel_antal_falt",
        "description": [f"{REASONS['fel_antal_falt']}: {d}" for _, d in raw.bad_rows],
        "column": "",
        "value": "",
    })
    q = pd.concat([q, broken], ignore_index=True) if len(broken) else q
    q["level"] = "rad"
    if len(answers):
        q = pd.concat([q, answers.assign(level="svar")], ignore_index=True)
    return q.sort_values("source_row", kind="stable").reset_index(drop=True)


def _log(raw: RawExport, mapping: SurveyMapping, responses: pd.DataFrame,
         quarantine: pd.DataFrame, duplicates: pd.DataFrame, unmapped: list[str]) -> dict:
    rows_in = raw.rows_in
    rows = quarantine["level"] == "rad"
    rows_clean, rows_q, rows_d = len(responses), int(rows.sum()), len(duplicates)
    if rows_in != rows_clean + rows_q + rows_d:
        raise TrygghetError(
            f"avstämningen går inte ihop: {rows_in} rader in men {rows_clean} rensade + "
            f"{rows_q} i karantän + {rows_d} dubbletter", file=raw.path,
            hint="detta är ett programfel: rapportera det")
    warnings = list(raw.warnings)
    if unmapped:
        warnings.append(f"{len(unmapped)} kolumn(er) i filen är inte mappade och lästes inte: "
                        + ", ".join(f"'{h[:60]}'" for h in unmapped))
    try:
        pkg_version = version("trygghet")
    except PackageNotFoundError:  # running from a source tree
        pkg_version = "okänd"
    reasons = quarantine.loc[rows, "reason"].value_counts()
    answer_reasons = quarantine.loc[~rows, "reason"].value_counts()
    return {
        "year": mapping.year,
        "sampling": mapping.design.sampling,
        "rows_in": rows_in,
        "rows_clean": rows_clean,
        "rows_quarantined": rows_q,
        "duplicates_removed": rows_d,
        "reconciled": True,
        "reasons": {r: int(reasons[r]) for r in REASONS if r in reasons},
        # Answers set missing in kept rows (item_problems: answer), by reason.
        "answers_missing": int((~rows).sum()),
        "answer_reasons": {r: int(answer_reasons[r]) for r in REASONS if r in answer_reasons},
        "item_problems": mapping.item_problems,
        "duplicates": {r: int((duplicates["rule"] == r).sum()) for r in DUPLICATE_RULES},
        "not_asked": mapping.not_asked,
        "unmapped_columns": unmapped,
        "ignored_columns": list(mapping.ignore),
        "read": raw.info,
        "warnings": warnings,
        "trygghet_version": pkg_version,
    }

