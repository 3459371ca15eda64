"""Drafting a year's mapping from an export: headers → questions, answers → scale levels.

``trygghet mapping draft`` reads an export nobody has mapped yet and proposes
the mapping file (:mod:`trygghet.mapping`) an analyst would otherwise write by
hand. Every proposal carries a *confidence* in [0, 1]; the writer
(:mod:`trygghet.mapping_draft_yaml`) marks those below :data:`SURE` with
``# KONTROLLERA``. Nothing here is certain: the draft saves typing, the
analyst still decides.

How a header is matched to a question
    Texts are *folded* (:func:`fold`): case and diacritics dropped ("Ålder" →
    "alder"), abbreviations' dots removed ("p.g.a." → "pga"), other
    punctuation made a space, and a leading question number ("F6a.", "Q7_1",
    "3)") removed. The folded texts are compared as sets of words, stop words
    left out, each word weighted by its inverse document frequency over the
    questionnaire, ``idf(w) = log(1 + N / df(w))``, so that a word that names
    one question ("nedskräpning") counts for more than one that many share
    ("problem"). Two words match when equal or when the shorter (at least four
    letters) begins the longer ("polisen"/"polisens", "stöld"/"stölder"). The
    text score is ``0.6·(share of the header's weight matched) + 0.4·(share of
    the question's weight matched)``, the best of the header with and without
    its parenthesised parts, and never below :func:`difflib.SequenceMatcher`'s
    ratio of the two folded texts.

    The answers then confirm or refute: the *fit* is the share of a column's
    non-blank answers that read as a level (or a "no answer" label) of the
    question's scale (:func:`match_label`). A column's score for a question is
    ``text · (0.4 + 0.6·fit)``; for the area and the register fields (id, date,
    age, birth year) a good fit alone may place a column ("Postnummer" whose
    values are the areas' postcodes). Columns and questions are paired
    greedily, best score first, each used once. A pairing whose runner-up for
    the same column scores within 0.1 is capped at 0.7 (so: KONTROLLERA).

Multi-select questions
    One column per option ("F3. Mest otrygg: Kväll", "Q4_3 Kväll", Qualtrics'
    "… - Kväll") is recognised by a common *stem* before ": " or " - ", or a
    common question number; the group goes to the multi question whose levels
    its option texts name. One column of joined answers ("Kväll; Natt") is read
    by trying each separator; pieces are joined back when together they name
    an option, so an option containing the separator survives.

Answers
    Per distinct value: the level whose folded text is equal (1.0), equal after
    common abbreviations and synonyms ("Mkt" → "mycket", "ej" → "inte"; 0.9),
    a unique prefix either way ("Inget problem" → "Inget problem alls", "K" →
    "Kvinna"; 0.85, one letter 0.75), else the closest by
    :class:`difflib.SequenceMatcher` (ratio · 0.85, when clearly ahead).
    Numeric codes whose distinct values fit the scale (1…k, k ≤ number of
    levels, 9/99 for "vet ej") are read in the scale's order (0.6: always
    KONTROLLERA). Value labels (an SPSS file's, or a codebook's), when given,
    turn a code into its label first.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .config import Project
from .errors import TrygghetError
from .load import RawExport, read_export
from .mapping import Area, SurveyMapping, load_mapping, normalise, normalise_postcode
from .schema import OTHER_AREA, Question

OTHER_ALIASES = SurveyMapping.other_area_aliases  # the mapping's default variants
SURE = 0.8  # below this a proposal is marked KONTROLLERA
MISSING = object()  # a value that reads as "no answer" (null in the mapping)

# Register and identifier fields: what exports usually call them (folded).
META_NAMES: dict[str, tuple[str, ...]] = {
    "respondent_id": ("lopnummer", "svar id", "svarsid", "respondentid", "respondent id", "id",
                      "response id", "responseid", "id nummer", "lopnr"),
    "submitted": ("inkom datum", "tidsstampel", "datum", "timestamp", "startdate", "enddate",
                  "recordeddate", "recorded date", "svarsdatum", "inskickad", "tid", "submitdate",
                  "datum for svar", "slutford"),
    "age": ("alder", "age", "alder ar"),
    "birth_year": ("fodelsear", "fodd ar", "fodd", "birth year"),
}
# Further names of the background questions, beside the questionnaire's text.
EXTRA_NAMES: dict[str, tuple[str, ...]] = {
    "area": ("bostadsomrade", "omrade", "stadsdel", "postnummer", "kommundel", "bostadsort"),
    "sex": ("kon", "kon register", "gender"),
}
# Words worth nothing for matching (folded).
STOP = frozenset({
    "du", "dig", "din", "ditt", "dina", "i", "for", "att", "har", "hur", "pa", "av", "en", "ett",
    "det", "den", "och", "ar", "om", "eller", "som", "till", "med", "under", "de", "nagon",
    "nagot", "vilket", "vilka", "vilken", "sig", "sa", "kan", "ska", "nar", "vad",
    "the", "of", "you", "do", "in", "a", "to", "is", "your", "are", "how", "what"})
# Abbreviations and synonyms in answer labels: folded word → its canonical word.
SYNONYMS = {"mkt": "mycket", "gsk": "ganska", "ej": "inte", "icke": "inte", "kvinnor": "kvinna",
            "vetej": "vet inte"}
MISSING_CODES = ("9", "99", "999", "-1", "-9", "-99")
_NUMBER = re.compile(r"^\s*(?:[A-Za-z]{1,2}\s?)?\d{1,3}(?:[a-z](?![a-zåäö])|[._]\d{1,3}[a-z]?)*"
                     r"[.:)]?(?=\s)")
_PARENS = re.compile(r"\([^()]*\)")
_STEM = re.compile(r"^(.*\S)\s*(?::|\s[-–—])\s+(\S.*)$")
_NUMBERED = re.compile(r"^\s*([A-Za-z]{0,2}\d{1,3})[_.]?(\d{1,3}|[a-z])[.:)]?\s+(\S.*)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}|^\d{1,2}[./]\d{1,2}[./]\d{4}|^\d{8}$")
SEPARATORS = (";", ",", "|", "\n")


def fold(text: object) -> str:
    """Fold a header or label for matching (see the module docstring).

    ``"F6a. Hur stort problem är nedskräpning?"`` → ``"hur stort problem ar
    nedskrapning"``; ``"Går ej ut p.g.a. otrygghet"`` → ``"gar ej ut pga otrygghet"``.
    """
    s = str(text or "")
    stripped = _NUMBER.sub("", s, count=1)
    s = stripped if stripped.strip() else s
    s = unicodedata.normalize("NFKD", s.casefold())
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = re.sub(r"(?<=\w)\.(?=\w)", "", s)  # p.g.a. → pga (an abbreviation is one word)
    s = re.sub(r"[^\w]+", " ", s)
    return re.sub(r"\s+", " ", s).strip()


def _synonyms(folded: str) -> str:
    words = [SYNONYMS.get(w, w) for w in folded.split()]
    return " ".join(words).replace("pa grund av", "pga")


def _words(text: str) -> list[str]:
    return [w for w in fold(text).split() if w not in STOP]


def _same_word(a: str, b: str) -> float:
    if a == b:
        return 1.0
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) >= 4 and long_.startswith(short):
        return 0.9
    return 0.0


class TextIndex:
    """The questionnaire's texts, with word weights, for scoring headers against them.

    Parameters
    ----------
    texts
        Field name → the texts that name it (the question text, other names).
    """

    def __init__(self, texts: Mapping[str, tuple[str, ...]]):
        self.texts = {name: [(t, _words(t)) for t in ts] for name, ts in texts.items()}
        df: Counter[str] = Counter()
        for variants in self.texts.values():
            df.update({w for _, words in variants for w in words})
        n = max(len(self.texts), 1)
        self.idf = {w: math.log(1 + n / c) for w, c in df.items()}
        self.unseen = math.log(1 + n)

    def weight(self, word: str) -> float:
        return self.idf.get(word, self.unseen)

    def score(self, header: str, name: str) -> float:
        """How well ``header`` names the field ``name`` (0–1)."""
        variants = {header, _PARENS.sub(" ", header)}
        best = 0.0
        for h in variants:
            hw = _words(h)
            for text, qw in self.texts[name]:
                overlap = self._overlap(hw, qw)
                # The letters' ratio only where the words say little: two long questions
                # that differ in one word ("polisens"/"kommunens") are not near-equal.
                if overlap < 0.5:
                    overlap = max(overlap, 0.8 * difflib.SequenceMatcher(
                        None, fold(h), fold(text)).ratio())
                best = max(best, overlap)
        return best

    def _overlap(self, hw: list[str], qw: list[str]) -> float:
        if not hw or not qw:
            return 0.0
        got_h = sum(self.weight(w) * max(_same_word(w, q) for q in qw) for w in hw)
        got_q = sum(self.weight(q) * max(_same_word(w, q) for w in hw) for q in qw)
        return (0.6 * got_h / sum(self.weight(w) for w in hw)
                + 0.4 * got_q / sum(self.weight(q) for q in qw))


# --- Answers ---------------------------------------------------------------------

def match_label(value: str, levels: tuple[str, ...], missing: tuple[str, ...] = ()
                ) -> tuple[object, float]:
    """The level an answer label means, and how sure that is.

    Returns ``(level, confidence)``; ``level`` is :data:`MISSING` for a
    "no answer" label and ``None`` when nothing fits (confidence 0).
    """
    v = fold(value)
    if not v:
        return MISSING, 1.0
    targets = [(lv, fold(lv)) for lv in levels] + [(MISSING, fold(m)) for m in missing]
    for lv, t in targets:
        if v == t:
            return lv, 1.0 if normalise(value) in {normalise(x) for x in (*levels, *missing)} \
                else 0.95
    vs = _synonyms(v)
    for lv, t in targets:
        if vs == _synonyms(t):
            return lv, 0.9
    bare = fold(_PARENS.sub(" ", value))
    for lv, t in targets:
        if bare and bare == t:
            return lv, 0.9
    # A unique prefix either way: "Inget problem" / "Inget problem alls", "K" / "Kvinna",
    # "Bor i området" / "bor".
    joined = re.search(r"[;,|\n]", value) is not None  # "Kväll;Natt" names no one level
    prefix = {lv for lv, t in targets if t.startswith(vs) or t.startswith(v)
              or (not joined and vs.startswith(t + " "))}
    if len(prefix) == 1:
        return prefix.pop(), 0.75 if len(v) == 1 else 0.85
    ratios = sorted(((difflib.SequenceMatcher(None, vs, _synonyms(t)).ratio(), i)
                     for i, (_, t) in enumerate(targets)), reverse=True)
    if ratios and ratios[0][0] >= 0.7 and (len(ratios) == 1 or ratios[0][0] - ratios[1][0] >= 0.1):
        return targets[ratios[0][1]][0], round(ratios[0][0] * 0.85, 2)
    return None, 0.0


def codes_by_order(values: list[str], levels: tuple[str, ...]) -> dict[str, object] | None:
    """Numeric codes read in the scale's order, or None when the codes do not fit.

    ``1…k`` with ``k ≤ len(levels)`` are the levels in order; 9, 99 (and
    negative codes) are "vet ej". ``0`` counts as the first level only when
    codes start at 0 (``0…k-1``).
    """
    codes = {v.strip() for v in values if v.strip()}
    if not codes or not all(re.fullmatch(r"-?\d{1,3}", c) for c in codes):
        return None
    answers = sorted(int(c) for c in codes if c not in MISSING_CODES)
    if not answers:
        return None
    base = 0 if answers[0] == 0 else 1
    if answers[-1] - base >= len(levels) or answers[0] < 0:
        return None
    out: dict[str, object] = {c: MISSING for c in codes if c in MISSING_CODES}
    out.update({str(a): levels[a - base] for a in answers})
    return out


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

    field: str
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


def _checkbox(counts: Counter[str]) -> bool:
    values = {normalise(v) for v in counts if v}
    return 0 < len(values) <= 2 and values <= {"0", "1", "x", "ja", "nej", "true", "false",
                                               "sant", "falskt", "vald", "ikryssad"}


class _Reader:
    """Reads a column's answers as a field's levels (value labels first)."""

    def __init__(self, questions: Mapping[str, Question], areas: dict[str, Area],
                 value_labels: dict[str, dict[str, str]] | None):
        self.questions = questions
        self.value_labels = {normalise(h): {str(k).strip(): str(v) for k, v in m.items()}
                             for h, m in (value_labels or {}).items()}
        self.area_keys: dict[str, str] = {}
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
        if normalise(value) in self.exact:
            return self.exact[normalise(value)], 1.0
        digits = normalise_postcode(value)
        if re.fullmatch(r"[\d\s]+", value) and digits in self.area_keys:
            return self.area_keys[digits], 1.0
        key = fold(value)
        if key in self.area_keys:
            return self.area_keys[key], 0.95
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
        if q.kind == "text":
            filled = [v for v in counts if v]
            long_ = sum(len(v) > 15 for v in filled)
            return 1.0 if filled and len(filled) > 20 and long_ >= 0.3 * len(filled) else 0.2
        if q.scale is None:
            return 0.0
        if q.kind == "multi":
            return min(1.0, self.joined(counts, q.scale.levels, q.scale.missing)[1])
        if normalise(header) not in self.value_labels and \
                codes_by_order(list(counts), q.scale.levels) is not None:
            return 0.7
        return _share(counts, lambda v: match_label(self.labelled(header, v), q.scale.levels,
                                                    q.scale.missing)[1] >= 0.75)


def split_joined(value: str, separator: str, levels: tuple[str, ...]) -> list[str]:
    """Split a joined multi-select answer, keeping options that contain the separator.

    Adjacent pieces are joined back, longest first, when together they name an
    option (``"Mängdbrott (stöld, inbrott)"`` split on ``","`` is one option).
    """
    pieces = [p.strip() for p in value.split(separator)]
    out, i = [], 0
    while i < len(pieces):
        for j in range(len(pieces), i + 1, -1):
            joined = separator.join(pieces[i:j])
            if match_label(joined, levels)[1] >= 0.9:
                out.append(joined.strip())
                i = j
                break
        else:
            out.append(pieces[i])
            i += 1
    return [p for p in out if p]


def _stems(headers: list[str], taken: set[int]) -> dict[str, list[tuple[int, str]]]:
    """Headers grouped by a common stem: ``{stem: [(column, option text), …]}``."""
    groups: dict[str, list[tuple[int, str]]] = {}
    for i, h in enumerate(headers):
        if i in taken or not h.strip():
            continue
        m = _STEM.match(h.strip())
        if m:
            stem = re.sub(r"\s*-\s*selected choice$", "", m.group(1), flags=re.I)
            key, option = "t:" + fold(stem), m.group(2)
        else:
            n = _NUMBERED.match(h)
            if not n:
                continue
            key, option = "n:" + n.group(1).casefold(), n.group(3)
        groups.setdefault(key, []).append((i, option))
    return {k: v for k, v in groups.items() if len(v) >= 2}


# --- The draft ------------------------------------------------------------------------

# Fields whose answers alone can place a column, and the score they then get at most.
VALUE_DECIDES = {"area": 0.85, "submitted": 0.8, "birth_year": 0.8, "age": 0.7,
                 "respondent_id": 0.6}
_CHECKED = {"1", "x", "ja", "true", "sant", "vald", "ikryssad"}


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
    for _, members in sorted(_stems(raw.headers, taken).items()):
        ticks = all(_checkbox(counts[i]) or {fold(v) for v in counts[i] if v} <= {fold(o)}
                    for i, o in members)
        if not ticks:
            continue
        best = None
        for q in multis:
            matched: dict[str, tuple[str, float]] = {}
            for i, option in members:
                level, conf = match_label(option, q.scale.levels)
                if level not in (None, MISSING) and conf >= 0.75 and level not in matched:
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
                             if q.name not in {p.field for p in placements})]
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
    used_fields = {p.field for p in placements}
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
        elif q is not None and q.kind == "multi":
            p.separator, _, pieces = reader.joined(counts[i], q.scale.levels, q.scale.missing)
            answers += [Answer(v, *match_label(v, q.scale.levels, q.scale.missing), n,
                               q.scale.name) for v, n in sorted(pieces.items())]
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
    order = {name: k for k, name in enumerate([*META_NAMES, *questions])}
    placements.sort(key=lambda p: order.get(p.field, len(order)))
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
    """Read an export for drafting: the header row is the one that reads most like questions.

    Without a mapping the reader takes the first non-blank row as the header.
    A title row above it is skipped, and when a row below reads more like the
    questionnaire (Qualtrics writes short ids in row 1 and the question texts
    in row 2) that row is taken instead.
    """
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
    index = _index(questions)

    def likeness(cells: list[str]) -> float:
        return sum(max(index.score(c, n) for n in index.texts) for c in cells if c.strip())

    rows = [list(raw.headers)] + [list(raw.frame.iloc[i]) for i in range(min(2, len(raw.frame)))]
    scores = [likeness(r) for r in rows]
    best = max(range(len(rows)), key=lambda k: (scores[k], -k))
    if best:
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
        path = project.mapping(years[0])
        return dict(load_mapping(path).areas), f"områdena i {path.relative_to(project.root)}"
    from .population import read_population_file

    files = sorted(project.reference.glob("population_*.csv"))
    own = project.reference / f"population_{year}.csv"
    path = own if own.exists() else (files[-1] if files else None)
    if path is None:
        return {}, ""
    pop = read_population_file(path)
    names = [str(n) for n in pop.loc[pop["dimension"] == "area", "level"]]
    if not names:
        return {}, ""
    return {n: Area(n) for n in names}, f"områdena i {path.relative_to(project.root)}"


def draft_path(project: Project, year: int, output: Path | None) -> Path:
    """Where the draft goes; refuses a file that exists (a draft never overwrites)."""
    path = Path(output) if output else project.mapping(year).with_suffix(".utkast.yml")
    if path.exists():
        mine = path.resolve() == project.mapping(year).resolve()
        raise TrygghetError(
            "filen finns redan och skrivs inte över" + (" (årets mappning)" if mine else ""),
            file=path, hint="ta bort eller byt namn på filen, eller ange en annan fil med "
                            "--output")
    return path
