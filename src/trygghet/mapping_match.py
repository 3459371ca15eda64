"""Matching texts: a header to a question, an answer label to a scale level.

The pieces :mod:`trygghet.mapping_draft` proposes a mapping with.

Folding
    :func:`fold` drops case and diacritics ("Ålder" → "alder"), removes the dots
    of abbreviations ("p.g.a." → "pga"), makes other punctuation a space, and
    removes a leading question number ("F6a.", "Q7_1", "3)").
Header against question
    :class:`TextIndex` compares folded texts as sets of words, stop words left
    out, each word weighted by its inverse document frequency over the
    questionnaire, ``idf(w) = log(1 + N / df(w))``, so that a word naming one
    question ("nedskräpning") counts for more than one many share ("problem").
    Two words match when equal or when the shorter (at least four letters)
    begins the longer ("polisen"/"polisens", "stöld"/"stölder"). The score is
    ``0.6·(share of the header's weight matched) + 0.4·(share of the
    question's weight matched)``, the best of the header with and without its
    parenthesised parts; only where the words say little (score < 0.5) does
    :class:`difflib.SequenceMatcher`'s letter ratio (· 0.8) count, since two
    long questions differing in one word ("polisens"/"kommunens") are not
    near-equal in meaning.
Answer against scale
    :func:`match_label`: equal folded text (1.0), equal after abbreviations and
    synonyms ("Mkt" → "mycket", "ej" → "inte"; 0.9), without parenthesised
    parts (0.9), a unique prefix either way ("Inget problem" → "Inget problem
    alls", "K" → "Kvinna"; 0.85, one letter 0.75), else the closest by letter
    ratio when clearly ahead (ratio · 0.85). :func:`codes_by_order` reads
    numeric codes in the scale's order when they fit it.
"""

from __future__ import annotations

import difflib
import functools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping

from .mapping import normalise

MISSING = object()  # a value that reads as "no answer" (null in the mapping)
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
        self._scores: dict[tuple[str, str], float] = {}

    def weight(self, word: str) -> float:
        return self.idf.get(word, self.unseen)

    def score(self, header: str, name: str) -> float:
        """How well ``header`` names the field ``name`` (0–1)."""
        key = (header, name)
        if key not in self._scores:
            self._scores[key] = self._score(header, name)
        return self._scores[key]

    def _score(self, header: str, name: str) -> float:
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

@functools.lru_cache(maxsize=65536)  # a column repeats its few labels; drafting asks often
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


def split_joined(value: str, separator: str, levels: tuple[str, ...]) -> list[str]:
    """Split a joined multi-select answer, keeping options that contain the separator.

    Adjacent pieces are joined back, longest first, when together they name an
    option (``"Mängdbrott (stöld, inbrott)"`` split on ``","`` is one option).
    """
    pieces = value.split(separator)  # (unstripped: a piece joined back keeps its spaces)
    out, i = [], 0
    while i < len(pieces):
        for j in range(len(pieces), i + 1, -1):
            joined = separator.join(pieces[i:j]).strip()
            if match_label(joined, levels)[1] >= 0.9:
                out.append(joined)
                i = j
                break
        else:
            out.append(pieces[i].strip())
            i += 1
    return [p for p in out if p]


def stems(headers: list[str], taken: set[int]) -> dict[str, list[tuple[int, str]]]:
    """Headers grouped by a common stem: ``{stem: [(column, option text), …]}``.

    The stem is the text before the last ": " or " - " ("F3. Mest otrygg: Kväll",
    Qualtrics' "… - Selected Choice - Kväll"), else a shared question number
    ("Q4_1 Tidig morgon", "Q4_2 Dagtid"). Only groups of two or more columns;
    columns in ``taken`` are passed over.
    """
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
