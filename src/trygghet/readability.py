"""How easy a text is to read: LIX (*läsbarhetsindex*) and sentence length.

LIX (Björnsson 1968) is the readability measure Swedish plain-language work
(*klarspråk*) uses::

    LIX = O / M + 100 · L / O

with O the number of words, M the number of sentences and L the number of
long words (more than six letters). The first term is the mean sentence
length, the second the share of long words in per cent. The usual reading of
the scale (lix.se): below 30 very easy (children's books), 30–40 easy
(fiction, popular press), 40–50 medium (ordinary newspaper text), 50–60
difficult (normal for official texts), above 60 very difficult.

LIX counts; it does not know whether a word is difficult, only whether it is
long. A text can pass and still be jargon, so it is a check beside reading,
not instead of it.

Counting rules (as in the usual calculators):

* a word is a run of letters, hyphenated parts joined (``sms-lån`` is one
  word); numbers and signs are not words;
* a sentence ends at ``.``, ``!``, ``?`` or ``:`` followed by a space or the
  end of the text, and at a line break (a heading or a list item without a
  full stop is a sentence of its own);
* a long word has more than six letters (hyphens not counted).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LONG_WORD = 6  # letters; a word with more is long

_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_SENTENCE_END = re.compile(r"[.!?:]+(?=\s|$)|\n+")


@dataclass(frozen=True)
class Readability:
    """Word, sentence and long-word counts of a text, and what follows from them."""

    words: int
    sentences: int
    long_words: int

    @property
    def sentence_length(self) -> float:
        """Mean words per sentence (O / M)."""
        return self.words / self.sentences if self.sentences else 0.0

    @property
    def long_share(self) -> float:
        """Share of long words (L / O), 0–1."""
        return self.long_words / self.words if self.words else 0.0

    @property
    def lix(self) -> float:
        """LIX = O / M + 100 · L / O."""
        return self.sentence_length + 100 * self.long_share


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` (those with at least one word)."""
    return [s.strip() for s in _SENTENCE_END.split(text) if _WORD.search(s)]


def words(text: str) -> list[str]:
    """The words of ``text``: runs of letters, hyphenated parts joined."""
    return _WORD.findall(text)


def readability(text: str) -> Readability:
    """Count the words, sentences and long words of ``text``.

    Examples
    --------
    >>> r = readability("Katten sov i solen. Hunden sprang ut: där fanns ingenting!")
    >>> (r.words, r.sentences, r.long_words)
    (10, 3, 1)
    >>> round(r.lix, 1)
    13.3
    """
    found = words(text)
    long_words = sum(len(w.replace("-", "")) > LONG_WORD for w in found)
    return Readability(words=len(found), sentences=len(sentences(text)), long_words=long_words)


def lix(text: str) -> float:
    """The LIX of ``text`` (see :func:`readability`)."""
    return readability(text).lix
