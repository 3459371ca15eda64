"""Drafting a year's mapping from an export: headers → questions, answers → scale levels.

``trygghet mapping draft`` reads an export nobody has mapped yet and proposes
the mapping file (:mod:`trygghet.mapping`) an analyst would otherwise write by
hand. Every proposal carries a *confidence* in [0, 1]; the writer
(:mod:`trygghet.mapping_draft_yaml`) marks those below :data:`SURE` with
``# KONTROLLERA``. Nothing here is certain: the draft saves typing, the
analyst still decides.

How a header is matched to a question
    Header and question texts are compared word by word (:mod:`trygghet.mapping_match`:
    folding, word weights, prefixes). The answers then confirm or refute: the
    *fit* is the share of a column's non-blank answers that read as a level
    (or a "no answer" label) of the question's scale. A column's score for a
    question is ``text · (0.4 + 0.6·fit)``; for the area and the register
    fields (id, date, age, birth year) a good fit alone may place a column
    ("Postnummer" whose values are the areas' postcodes). Columns and
    questions are paired greedily, best score first, each used once. A pairing
    whose runner-up (another field for the column, another column for the
    field) scores within 0.1 is capped at 0.7, so it is marked; one far ahead
    of every runner-up gains half its lead beyond 0.1 (at most 0.95).

Multi-select questions
    One column per option ("F3. Mest otrygg: Kväll", "Q4_3 Kväll", Qualtrics'
    "… - Kväll") is recognised by a common *stem* before ": " or " - ", or a
    common question number; the group goes to the multi question whose levels
    its option texts name. One column of joined answers ("Kväll; Natt") is read
    by trying each separator; pieces are joined back when together they name
    an option, so an option containing the separator survives.

Answers
    Per distinct value, :func:`mapping_match.match_label` (labels) or
    :func:`mapping_match.codes_by_order` (numeric codes that fit the scale, read
    in its order: confidence 0.6, always KONTROLLERA). Value labels (an SPSS
    file's, or a codebook's), when given, turn a code into its label first.
Areas
    Matched to the workspace's area list (:func:`workspace_areas`) by name,
    alias or postcode as cleaning reads them, else by folded text or a close
    spelling (0.7).
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .config import Project
from .errors import TrygghetError
from .load import RawExport, read_export
from .mapping import Area, SurveyMapping, load_mapping, normalise, normalise_postcode
from .mapping_match import (
    SEPARATORS,
    TextIndex,
    codes_by_order,
    fold,
    match_label,
    split_joined,
    stems,
)
from .population import read_population_file
from .schema import OTHER_AREA, Question

OTHER_ALIASES = SurveyMapping.other_area_aliases  # the mapping's default variants
SURE = 0.8  # below this a proposal is marked KONTROLLERA

# Register and identifier fields: what exports usually call them (folded).
META_NAMES: dict[str, tuple[str, ...]] = {
    "respondent_id": ("lopnummer", "svar id", "svarsid", "respondentid", "respondent id", "id",
                      "response id", "responseid", "id nummer", "lopnr"),
    "submitted": ("inkom datum", "tidsstampel", "tidstampel", "datum", "timestamp", "startdate",
                  "enddate", "recordeddate", "recorded date", "svarsdatum", "inskickad", "tid",
                  "submitdate", "datum for svar", "slutford"),
    "age": ("alder", "age", "alder ar"),
    "birth_year": ("fodelsear", "fodd ar", "fodd", "birth year"),
}
# Further names of the background questions, beside the questionnaire's text.
EXTRA_NAMES: dict[str, tuple[str, ...]] = {
    "area": ("bostadsomrade", "omrade", "stadsdel", "postnummer", "kommundel", "bostadsort"),
    "sex": ("kon", "kon register", "gender"),
}
_DATE = re.compile(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|^\d{1,2}[./]\d{1,2}[./]\d{4}|^\d{8}$")


@dataclass
class Answer:
    """One distinct answer read as a level: ``label`` is a level, MISSING or None (unknown)."""

    value: str
    label: object
    confidence: float
    count: int
    scale: str
    note: str = ""


@dataclass
class Placement:
    """A field placed on the export: one column, a joined column, or one column per option."""

    name: str  # the canonical field
    header: str | None
    confidence: float
    note: str = ""
    separator: str | None = None
    options: dict[str, tuple[str, float]] = field(default_factory=dict)  # level → (header, conf)
    extra_options: list[str] = field(default_factory=list)  # headers naming no known option


@dataclass
class Draft:
    """A proposed mapping: see :mod:`trygghet.mapping_draft_yaml` for how it is written."""

    year: int
    raw: RawExport
    placements: list[Placement]
    answers: list[Answer]
    areas: dict[str, Area]
    area_source: str
    area_answers: list[Answer]
    unplaced: list[tuple[str, str]]  # (header, why)
    checked: tuple[str, ...] = ()
    unchecked: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)


# --- Columns' values ---------------------------------------------------------------

def _distinct(raw: RawExport, skip: set[int]) -> list[Counter[str]]:
    keep = [i for i in range(len(raw.frame)) if i not in skip]
    frame = raw.frame.iloc[keep]
    return [Counter(frame[c].str.strip()) for c in frame.columns]


def _share(counts: Counter[str], ok) -> float:
    total = sum(n for v, n in counts.items() if v)
    return sum(n for v, n in counts.items() if v and ok(v)) / total if total else 0.0


# What tools write in a ticked / an unticked option's column (LimeSurvey: "Y").
_CHECKED = {"1", "x", "y", "yes", "ja", "true", "sant", "vald", "ikryssad"}
_UNCHECKED = {"0", "n", "no", "nej", "false", "falskt"}


def _checkbox(counts: Counter[str]) -> bool:
    """A check-box column: at most two values, each meaning ticked or not ticked."""
    values = {normalise(v) for v in counts if v}
    return 0 < len(values) <= 2 and values <= _CHECKED | _UNCHECKED


class _Reader:
    """Reads a column's answers as a field's levels (value labels first)."""

    def __init__(self, questions: Mapping[str, Question], areas: dict[str, Area],
                 value_labels: dict[str, dict[str, str]] | None):
        self.questions = questions
        self.value_labels = {normalise(h): {str(k).strip(): str(v) for k, v in m.items()}
                             for h, m in (value_labels or {}).items()}
        self.area_keys: dict[str, str] = {}
        self._areas: dict[str, tuple[object, float]] = {}
        # What cleaning reads without help: names, aliases and "Annat område"'s variants.
        self.exact = {normalise(a): OTHER_AREA for a in (OTHER_AREA, *OTHER_ALIASES)}
        self.exact.update({normalise(k): a.name for a in areas.values()
                           for k in (a.name, *a.aliases)})
        for a in areas.values():
            for k in (a.name, *a.aliases):
                self.area_keys[fold(k)] = a.name
            for p in a.postcodes:
                self.area_keys[p] = a.name

    def labelled(self, header: str, value: str) -> str:
        return self.value_labels.get(normalise(header), {}).get(value.strip(), value)

    def answers(self, header: str, counts: Counter[str], name: str) -> list[Answer]:
        q = self.questions[name]
        scale = q.scale
        if scale is None:
            return []
        coded = None if normalise(header) in self.value_labels else \
            codes_by_order(list(counts), scale.levels)
        out = []
        for v, n in sorted(counts.items()):
            if not v:
                continue
            shown = self.labelled(header, v)
            if coded is not None and v in coded:
                label, conf = coded[v], 0.6
                note = "kod tolkad i skalans ordning"
            else:
                label, conf = match_label(shown, scale.levels, scale.missing)
                note = f"värdeetikett '{shown}'" if shown != v else ""
            out.append(Answer(v, label, conf, n, scale.name, note))
        return out

    def joined(self, counts: Counter[str], levels: tuple[str, ...], missing: tuple[str, ...]
               ) -> tuple[str, float, Counter[str]]:
        """The separator that splits the answers into options best, its fit, and the pieces."""
        best: tuple[str, float, Counter[str]] = (";", -1.0, Counter())
        for sep in SEPARATORS:
            pieces: Counter[str] = Counter()
            for v, n in counts.items():
                for piece in split_joined(v, sep, levels):
                    pieces[piece] += n
            fit = _share(pieces, lambda p: match_label(p, levels, missing)[1] >= 0.75)
            fit += 0.01 * any(sep in v for v in counts)  # a separator that is used wins a tie
            if fit > best[1]:
                best = (sep, fit, pieces)
        return best

    def area(self, value: str) -> tuple[object, float]:
        """The area a value names (1.0: as cleaning reads it; below: a guess), or None."""
        if value not in self._areas:
            self._areas[value] = self._area(value)
        return self._areas[value]

    def _area(self, value: str) -> tuple[object, float]:
        if normalise(value) in self.exact:
            return self.exact[normalise(value)], 1.0
        digits = normalise_postcode(value)
        if re.fullmatch(r"[\d\s]+", value) and digits in self.area_keys:
            return self.area_keys[digits], 1.0
        key = fold(value)
        if key in self.area_keys:
            return self.area_keys[key], 0.95
        if len(key) > 40:  # a sentence, not a misspelt area
            return None, 0.0
        close = difflib.get_close_matches(key, list(self.area_keys), n=2, cutoff=0.75)
        if len(close) == 1 or (close and self.area_keys[close[0]] == self.area_keys[close[1]]):
            return self.area_keys[close[0]], 0.7
        return None, 0.0

    def fit(self, name: str, header: str, counts: Counter[str], year: int) -> float:
        """Share of the column's non-blank answers that read as ``name``'s answers."""
        if name == "respondent_id":  # (nearly) one value per row: double submissions repeat
            total = sum(counts.values())
            filled = sum(n for v, n in counts.items() if v)
            distinct = sum(1 for v in counts if v)
            dates = _share(counts, lambda v: bool(_DATE.match(v)))
            return float(filled >= 0.95 * total and distinct >= 0.9 * filled and dates < 0.5)
        if name == "submitted":
            return _share(counts, lambda v: bool(_DATE.match(v)))
        if name == "age":
            return _share(counts, lambda v: bool(re.fullmatch(r"\d{1,3}(?:\s*år)?", v))
                          and 10 <= int(v.split()[0].removesuffix("år")) <= 110)
        if name == "birth_year":
            return _share(counts, lambda v: bool(re.fullmatch(r"(19|20)\d\d", v))
                          and year - 110 <= int(v) <= year - 10)
        if name == "area":
            return _share(counts, lambda v: self.area(v)[1] >= 0.7)
        q = self.questions[name]
        if q.kind == "number":
            return _share(counts, lambda v: bool(re.fullmatch(r"-?\d+(?:[.,]\d+)?", v)))
        if q.kind == "text":
            texts = [v for v in counts if v]
            long_ = sum(len(v) > 15 for v in texts)
            return 1.0 if len(texts) > 20 and long_ >= 0.3 * len(texts) else 0.2
        if q.scale is None:
            return 0.0
        if q.kind == "multi":
            return min(1.0, self.joined(counts, q.scale.levels, q.scale.missing)[1])
        if normalise(header) not in self.value_labels and \
                codes_by_order(list(counts), q.scale.levels) is not None:
            return 0.7
        return _share(counts, lambda v: match_label(self.labelled(header, v), q.scale.levels,
                                                    q.scale.missing)[1] >= 0.75)


# --- The draft ------------------------------------------------------------------------

# Fields whose answers alone can place a column, and the score they then get at most.
VALUE_DECIDES = {"area": 0.85, "submitted": 0.8, "birth_year": 0.8, "age": 0.7,
                 "respondent_id": 0.6}


def _metadata_rows(raw: RawExport) -> set[int]:
    """Records that are a tool's metadata, not answers (Qualtrics' ``{"ImportId": …}`` row)."""
    out = set()
    for i in range(min(len(raw.frame), 3)):
        cells = [c for c in raw.frame.iloc[i] if c.strip()]
        if cells and sum(c.lstrip().startswith('{"ImportId"') for c in cells) >= len(cells) / 2:
            out.add(i)
    return out


def _index(questions: Mapping[str, Question]) -> TextIndex:
    texts: dict[str, tuple[str, ...]] = {name: names for name, names in META_NAMES.items()}
    for q in questions.values():
        texts[q.name] = (q.text, *EXTRA_NAMES.get(q.name, ()))
    return TextIndex(texts)


def _option_groups(raw: RawExport, counts: list[Counter[str]], questions: Mapping[str, Question],
                   index: TextIndex) -> list[Placement]:
    """Multi-select questions given as one column per option."""
    out = []
    taken: set[int] = set()
    multis = [q for q in questions.values() if q.kind == "multi" and q.scale is not None]
    for _, members in sorted(stems(raw.headers, taken).items()):
        ticks = all(_checkbox(counts[i]) or {fold(v) for v in counts[i] if v} <= {fold(o)}
                    for i, o in members)
        if not ticks:
            continue
        best = None
        for q in multis:
            if q.scale is None:
                continue
            matched: dict[str, tuple[str, float]] = {}
            for i, option in members:
                level, conf = match_label(option, q.scale.levels)
                if isinstance(level, str) and conf >= 0.75 and level not in matched:
                    matched[level] = (raw.headers[i], conf)
            share = len(matched) / len(members)
            if share >= 0.5 and (best is None or share > best[0]):
                best = (share, q, matched)
        if best is None:
            continue
        share, q, matched = best
        stem = members[0][1]
        head = raw.headers[members[0][0]]
        stem_text = head[: len(head) - len(stem)]
        # Three or more columns that each name an option: the options alone are good evidence.
        base = 0.85 if len(matched) >= 3 else 0.7
        sure = share * (base + (1 - base) * index.score(stem_text, q.name))
        used = {h for h, _ in matched.values()}
        out.append(Placement(
            q.name, None, round(sure, 2),
            options={lv: (h, round(min(c, sure + 0.1), 2)) for lv, (h, c) in matched.items()},
            extra_options=[raw.headers[i] for i, _ in members if raw.headers[i] not in used]))
    return out


def draft_mapping(raw: RawExport, questions: Mapping[str, Question], areas: dict[str, Area], *,
                  year: int, area_source: str = "",
                  value_labels: dict[str, dict[str, str]] | None = None) -> Draft:
    """Propose the mapping of ``raw`` onto ``questions`` (see the module docstring).

    Parameters
    ----------
    raw
        The export, read with :func:`read_for_draft` (or :func:`load.read_export`).
    questions
        The workspace's questionnaire: canonical name → question.
    areas
        The workspace's areas (:func:`workspace_areas`); empty: the area
        column's own values are proposed as areas.
    year
        The survey year (ages from birth years, the file's ``year:``).
    area_source
        Where the areas came from, for the draft's comment.
    value_labels
        Header → {code: label}, e.g. an SPSS file's value labels: codes are read
        through them before they are matched to a scale.
    """
    skip = _metadata_rows(raw)
    counts = _distinct(raw, skip)
    index = _index(questions)
    reader = _Reader(questions, areas, value_labels)
    placements = _option_groups(raw, counts, questions, index)
    taken = {h for p in placements for h, _ in p.options.values()}
    taken |= {h for p in placements for h in p.extra_options}
    fields = [*META_NAMES, *(q.name for q in questions.values()
                             if q.name not in {p.name for p in placements})]
    scored: list[tuple[float, int, str]] = []
    for i, header in enumerate(raw.headers):
        if header in taken or not header.strip():
            continue
        for name in fields:
            text = index.score(header, name)
            if text < 0.3 and name not in VALUE_DECIDES:
                continue
            fit = reader.fit(name, header, counts[i], year)
            score = text * (0.4 + 0.6 * fit)
            if fit >= 0.9 and name in VALUE_DECIDES:
                score = max(score, VALUE_DECIDES[name] * fit)
            if score >= 0.35:
                scored.append((round(score, 4), i, name))
    scored.sort(key=lambda s: (-s[0], s[1], s[2]))
    by_column: dict[int, list[tuple[float, str]]] = {}
    by_field: dict[str, list[tuple[float, int]]] = {}
    for score, i, name in scored:
        by_column.setdefault(i, []).append((score, name))
        by_field.setdefault(name, []).append((score, i))
    used_cols: set[int] = set()
    used_fields = {p.name for p in placements}
    answers: list[Answer] = []
    area_answers: list[Answer] = []
    for score, i, name in scored:
        if i in used_cols or name in used_fields:
            continue
        used_cols.add(i)
        used_fields.add(name)
        header = raw.headers[i]
        rivals = [(s, f"fältet {n}") for s, n in by_column[i] if n != name and n not in used_fields]
        rivals += [(s, f"kolumnen '{raw.headers[j]}'") for s, j in by_field[name]
                   if j != i and j not in used_cols]
        note, conf = "", score
        runner_up = max(rivals, default=(0.0, ""))
        if score - runner_up[0] < 0.1:
            conf, note = min(score, 0.7), f"nästan lika nära {runner_up[1]}"
        else:  # far ahead of every other reading: surer than the score alone says
            conf = min(max(score, 0.95), score + 0.5 * (score - runner_up[0] - 0.1))
        p = Placement(name, header, round(min(conf, 1.0), 2), note)
        q = questions.get(name)
        if name == "area":
            area_answers = [Answer(v, *reader.area(v), n, "area") for v, n in
                            sorted(counts[i].items()) if v]
        elif q is not None and q.kind == "multi" and q.scale is not None:
            p.separator, _, pieces = reader.joined(counts[i], q.scale.levels, q.scale.missing)
            for v, n in sorted(pieces.items()):
                label, conf = match_label(v, q.scale.levels, q.scale.missing)
                note = "" if label is not None else "alternativet finns inte i frågeformuläret"
                answers.append(Answer(v, label, conf, n, q.scale.name, note))
        elif q is not None and q.kind == "single" and q.scale is not None:
            answers += reader.answers(header, counts[i], name)
        placements.append(p)
    unplaced = [(h, _why_unplaced(counts[i]))
                for i, h in enumerate(raw.headers) if i not in used_cols and h not in taken]
    checked, unchecked = _ticks(raw, counts, placements)
    notes = []
    if skip:
        notes.append(f"rad {', '.join(str(raw.source_rows[i]) for i in sorted(skip))} är "
                     "enkätverktygets metadata (ImportId), inte svar: ta bort den ur exporten")
    # The reader passes over Qualtrics' header rows itself and says so.
    notes += [w for w in raw.warnings if "ImportId" in w]
    order = {name: k for k, name in enumerate([*META_NAMES, *questions])}
    placements.sort(key=lambda p: order.get(p.name, len(order)))
    if not areas:
        areas = {a.value: Area(a.value) for a in area_answers if a.value.strip()}
        area_answers = [Answer(a.value, a.value, 0.5, a.count, "area") for a in area_answers]
        area_source = "kolumnens egna värden (ingen områdeslista i arbetsmappen)"
    return Draft(year, raw, placements, _merged(answers), areas, area_source, area_answers,
                 unplaced, checked, unchecked, notes)


def _why_unplaced(counts: Counter[str]) -> str:
    distinct = sum(1 for v in counts if v)
    if not distinct:
        return "kolumnen är tom"
    return f"ingen fråga i frågeformuläret liknar rubriken ({distinct} olika värden)"


def _ticks(raw: RawExport, counts: list[Counter[str]], placements: list[Placement]
           ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The values that mean ticked / not ticked in the one-column-per-option questions."""
    position = {h: i for i, h in enumerate(raw.headers)}
    seen: set[str] = set()
    for p in placements:
        for header, _ in p.options.values():
            seen |= {v for v in counts[position[header]] if v}
    if not seen:
        return (), ()
    checked = tuple(sorted(v for v in seen if normalise(v) in _CHECKED))
    unchecked = tuple(sorted(v for v in seen if normalise(v) not in _CHECKED)) + ("",)
    return checked, unchecked


def _merged(answers: list[Answer]) -> list[Answer]:
    """One answer per (scale, value): counts added; different readings lower the confidence."""
    out: dict[tuple[str, str], Answer] = {}
    for a in answers:
        key = (a.scale, normalise(a.value))
        if key not in out:
            out[key] = Answer(a.value, a.label, a.confidence, a.count, a.scale, a.note)
            continue
        b = out[key]
        if a.count > b.count:  # the commonest spelling is the one shown
            b.value = a.value
        b.count += a.count
        if b.label is not a.label and b.label != a.label:
            b.confidence, b.note = min(b.confidence, a.confidence, 0.5), "olika i olika kolumner"
        else:
            b.confidence = min(b.confidence, a.confidence)
    return sorted(out.values(), key=lambda a: (a.scale, normalise(a.value)))


# --- Reading the export and the workspace --------------------------------------------

def read_for_draft(path: str | Path, questions: Mapping[str, Question], *,
                   sheet: str | int | None = None, header_row: int | None = None) -> RawExport:
    """Read an export for drafting: the sheet and header row that read most like questions.

    Without a mapping the reader takes the first sheet and its first non-blank
    row as the header. Here a title row above the header is skipped; when a
    row below reads more like the questionnaire (Qualtrics writes short ids in
    row 1 and the question texts in row 2) that row is taken; and of a
    workbook's sheets (answers, and often the questionnaire itself) the one
    whose header reads most like the questionnaire wins.
    """
    index = _index(questions)

    def likeness(cells: list[str]) -> float:
        return sum(max(index.score(c, n) for n in index.texts) for c in cells if c.strip())

    raw = _read_sheet(path, sheet, header_row, likeness)
    if sheet is None and raw.info.get("format") == "xlsx":
        best = likeness(raw.headers)
        for number in range(2, 21):
            try:
                other = _read_sheet(path, number, header_row, likeness)
            except TrygghetError as err:
                if "finns inte" in err.message:  # no more sheets
                    break
                continue  # an empty sheet, or one without records
            if likeness(other.headers) > best:
                raw, best = other, likeness(other.headers)
    return raw


def _read_sheet(path: str | Path, sheet: str | int | None, header_row: int | None,
                likeness: Callable[[list[str]], float]) -> RawExport:
    """One sheet (or the CSV) with its header row found as :func:`read_for_draft` says."""
    raw = read_export(path, sheet=sheet, header_row=header_row)
    if header_row is not None:
        return raw
    row = raw.info.get("header_row", 1)
    for _ in range(10):  # a title row: one cell, the records wider
        if sum(1 for h in raw.headers if h.strip()) > 1 or len(raw.frame) == 0 and \
                not raw.bad_rows:
            break
        row += 1
        raw = read_export(path, sheet=sheet, header_row=row)
    first = raw.info.get("header_row", row)
    if raw.names and likeness(list(raw.names)) > likeness(list(raw.headers)):
        # Qualtrics: the reader took the short ids as the header and the question texts
        # below as second names; the texts are what a mapping names.
        return read_export(path, sheet=sheet, header_row=first + 1)
    rows = [list(raw.headers)] + [list(raw.frame.iloc[i]) for i in range(min(2, len(raw.frame)))]
    scores = [likeness(r) for r in rows]
    best = max(range(len(rows)), key=lambda k: (scores[k], -k))
    if best and len(raw.frame) > best:  # (records must remain below the new header)
        raw = read_export(path, sheet=sheet, header_row=raw.info.get("header_row", row) + best)
    return raw


def workspace_areas(project: Project, year: int) -> tuple[dict[str, Area], str]:
    """The workspace's areas for drafting ``year``'s mapping, and where they came from.

    The areas (with aliases, postcodes and DeSO codes) of the mapping of the
    nearest other year, an earlier year first; else the area levels of the
    population file (``population_<year>.csv``, else the latest one); else
    none. The year's own mapping is passed over: a draft is made to be
    compared with it, never copied from it.
    """
    years = sorted((y for y in project.survey_years() if y != year),
                   key=lambda y: (y > year, abs(y - year)))
    if years:
        mapping_file = project.mapping(years[0])
        return (dict(load_mapping(mapping_file, project.questionnaire).areas),
                f"områdena i {mapping_file.relative_to(project.root)}")
    files = sorted(project.reference.glob("population_*.csv"))
    own = project.reference / f"population_{year}.csv"
    path: Path | None = own if own.exists() else (files[-1] if files else None)
    if path is None:
        return {}, ""
    pop = read_population_file(path)
    names = [str(n) for n in pop.loc[pop["dimension"] == "area", "level"]]
    if not names:
        return {}, ""
    return {n: Area(n) for n in names}, f"områdena i {path.relative_to(project.root)}"
