"""Free text: the answers that never reach a published file.

Free-text answers (*Övriga synpunkter*) are personal data: people write names,
addresses and phone numbers into them, their own and their neighbours'. Two
rules keep them out of every report, beside the pseudonyms (``privacy``) and
the disclosure control (``suppress``):

1. **Structurally.** The cleaned respondent table that estimation and the
   notebooks read (``data/processed/<year>/responses.parquet``) has no
   free-text column: the clean stage writes the answers to a file of their
   own, ``free_text.parquet`` (pseudonym and answer), through :func:`split`.
   Nothing in the report API reads that file; only the analyst reads it, on
   purpose (:func:`load_answers`), and the check below.
2. **The last check before publishing.** A report notebook is code, and code
   can read any file. Before a report set is published, every finished file
   (the executed notebook's every string, the HTML's text and embedded SVG)
   is searched for the answers of every survey year, *as sequences of
   words*: the text is case-folded and split into words (letters and digits;
   punctuation, quotes, brackets and line breaks do not count), so an answer
   in capitals, cut short by a displayed table, or printed as a list of its
   words is found all the same (:func:`check_published`). A file holds part
   of an answer when it contains

   * a run of :data:`SHINGLE` consecutive words of the answer that is not
     *public text*; or
   * a run of :data:`QUOTE` consecutive words of the answer, public or not.

   Public text is what the toolkit and the analyst wrote, which cannot
   reveal anyone: the questionnaire, the toolkit's own wording (every string
   in its code and templates) and what the caller names (the report
   notebooks as written, the project's settings, mappings and promise
   files). Without it, an answer that says "… när det är mörkt" would stop
   every report whose text says "Otryggheten är störst när det är mörkt
   ute": four words in a row are common Swedish. With it, a leak is still
   found by the answer's other words (names, places, numbers), and a quote
   of eight words is refused even when each of its four-word runs is common.
"""

from __future__ import annotations

import ast
import base64
import binascii
import functools
import html
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import TrygghetError
from .fmt import number
from .schema import FREE_TEXT

FILE_NAME = "free_text.parquet"
#: Consecutive words of an answer that, found in a published file and not public
#: text, refuse it.
SHINGLE = 4
#: Consecutive words of an answer that refuse a file even when they are public text.
QUOTE = 8

# Modules whose strings are data, not the toolkit's wording.
_NOT_WORDING = ("sample.py",)
_WORD = re.compile(r"\w+")
_ATTRIBUTE = re.compile(r"""\b(?:alt|title|aria-label|content)\s*=\s*(?:"([^"]*)"|'([^']*)')""",
                        re.I)
_SVG_DATA = re.compile(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=\s]+)")


# --- The structural rule: free text in a file of its own ----------------------------------

def split(responses: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The respondent table without free text, and the free text on its own.

    Returns
    -------
    responses
        ``responses`` without the :data:`~trygghet.schema.FREE_TEXT` columns
        (``attrs`` kept).
    answers
        ``respondent_id`` and the free-text columns, one row per respondent who
        wrote something (blank answers are left out).
    """
    # The default's free text and every text question of the year's questionnaire
    # (listed by cleaning in attrs["free_text"]).
    names = dict.fromkeys([*FREE_TEXT, *responses.attrs.get("free_text", [])])
    present = [c for c in names if c in responses.columns]
    kept = responses.drop(columns=present)
    kept.attrs = dict(responses.attrs)
    answers = responses[["respondent_id", *present]]
    written = np.zeros(len(answers), dtype=bool)
    for c in present:
        written |= answers[c].fillna("").astype(str).str.strip().ne("").to_numpy(dtype=bool)
    answers = answers[written].reset_index(drop=True)
    answers.attrs = {}
    return kept, answers


def load_answers(folder: str | Path) -> list[str]:
    """The free-text answers of one processed year (``<folder>/free_text.parquet``).

    For the analyst's own reading and for :func:`check_published`; never for a
    report. Empty if the year has none (or was cleaned before free text had a
    file of its own: then ``responses.parquet`` still holds it, and is read
    instead, for the check).
    """
    folder = Path(folder)
    for path in (folder / FILE_NAME, folder / "responses.parquet"):
        try:
            frame = pd.read_parquet(path)
        except (OSError, ValueError):
            continue
        columns = ([c for c in frame.columns if c != "respondent_id"]
                   if path.name == FILE_NAME else [c for c in FREE_TEXT if c in frame.columns])
        return [str(v) for c in columns for v in frame[c].dropna() if str(v).strip()]
    return []


# --- The last check: word sequences -------------------------------------------------------

def words(text: str) -> list[str]:
    """``text`` as case-folded words (letters and digits; NFKC, so ``ﬁ`` is ``fi``)."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def shingles(seq: list[str], k: int = SHINGLE) -> set[tuple[str, ...]]:
    """Every run of ``k`` consecutive words of ``seq``."""
    return {tuple(seq[i:i + k]) for i in range(len(seq) - k + 1)}


def _questionnaire_text() -> Iterator[str]:
    from .questionnaire import default_questionnaire

    for q in default_questionnaire().questions.values():
        yield q.text
        if q.scale is not None:
            yield from (str(label) for label in q.scale.levels)


@functools.cache
def _toolkit_text() -> tuple[str, ...]:
    """Every string in trygghet's code (docstrings aside), templates and data files.

    The wording of every sentence, label and heading the toolkit can put in a
    report (an f-string's fixed parts included): public text. Not the sample
    generator's: its strings are the synthetic survey's answers.
    """
    package = Path(__file__).resolve().parent
    texts: list[str] = []
    for path in sorted(package.rglob("*")):
        if "__pycache__" in path.parts or not path.is_file() or path.name in _NOT_WORDING:
            continue
        if path.suffix == ".py":
            tree = ast.parse(path.read_text(encoding="utf-8"))
            docs = {id(node.body[0].value) for node in ast.walk(tree)
                    if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef,
                                         ast.AsyncFunctionDef))
                    and node.body and isinstance(node.body[0], ast.Expr)}
            texts += [node.value for node in ast.walk(tree)
                      if isinstance(node, ast.Constant) and isinstance(node.value, str)
                      and id(node) not in docs]
        elif path.suffix in (".j2", ".yml", ".json", ".css"):
            texts.append(path.read_text(encoding="utf-8"))
    return tuple(texts)


def public_shingles(texts: Iterable[str] = (), k: int = SHINGLE) -> set[tuple[str, ...]]:
    """Runs of ``k`` words of public text: the questionnaire, the toolkit's wording, ``texts``."""
    found: set[tuple[str, ...]] = set()
    for text in (*_questionnaire_text(), *_toolkit_text(), *texts):
        found |= shingles(words(text), k)
    return found


def public_files(paths: Iterable[str | Path]) -> list[str]:
    """The text of project files that count as public (see :func:`check_published`).

    A notebook gives the text of its cells as written (markdown and code, no
    outputs); any other file its whole text. Missing files are skipped.
    """
    texts = []
    for path in paths:
        path = Path(path)
        try:
            raw = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if path.suffix == ".ipynb":
            try:
                cells = json.loads(raw).get("cells", [])
            except (ValueError, AttributeError):
                continue
            texts += ["".join(c.get("source", "")) if isinstance(c.get("source"), list)
                      else str(c.get("source", "")) for c in cells if isinstance(c, dict)]
        else:
            texts.append(raw)
    return texts


def _strings(document) -> Iterator[str]:
    """Every string value in a JSON document (a notebook: sources, outputs, metadata)."""
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            yield node
        elif isinstance(node, dict):
            stack.extend(reversed(list(node.values())))
        elif isinstance(node, list):
            stack.extend(reversed(node))


def _svg_texts(text: str) -> Iterator[str]:
    """The SVG images embedded as base64 data (a chart's labels are text in them)."""
    for match in _SVG_DATA.finditer(text):
        try:
            yield base64.b64decode("".join(match.group(1).split())).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            continue


def published_text(path: Path) -> str:
    """What a reader or a program can read in a published file, as one string.

    An executed notebook: every string in it (sources, outputs, metadata). An
    HTML page: its text with entities decoded, the text of its attributes (alt
    text, titles) and of the SVG embedded in it.
    The PDF is printed from the HTML and holds nothing else.
    """
    raw = Path(path).read_text(encoding="utf-8", errors="replace")
    if Path(path).suffix == ".ipynb":
        parts = list(_strings(json.loads(raw)))
    else:
        parts = [raw, *_svg_texts(raw)]
        # Text in attributes: an image's alt text, a tooltip.
        parts += [a or b for p in list(parts) for a, b in _ATTRIBUTE.findall(p)]
    # Tags and entities: "<td>Kalle</td><td>på</td>" is "Kalle på".
    return "\n".join(html.unescape(re.sub(r"<[^>]*>", " ", p)) for p in parts)


def check_published(answers: Iterable[str], files: Iterable[str | Path], *,
                    public: Iterable[str] = (), k: int = SHINGLE, quote: int = QUOTE) -> None:
    """Refuse files that contain part of a free-text answer (see the module docstring).

    Parameters
    ----------
    answers
        The free-text answers (:func:`load_answers` of each survey year).
    files
        The finished files; ``.ipynb`` and ``.html`` are read
        (:func:`published_text`), others (the PDF, printed from the HTML) skipped.
    public
        Texts that may be published although an answer shares words with
        them (:func:`public_files` of the notebooks and project files); the
        questionnaire and the toolkit's wording are always public.
    k, quote
        Words per run that is not public text, and per run that is refused
        regardless. An answer shorter than ``k`` words cannot be told from
        ordinary words ("Nej tack") and is not looked for.

    Raises
    ------
    TrygghetError
        Naming the first file that holds part of an answer, and how many
        answers it holds part of. The answers themselves are not repeated.
    """
    allowed = public_shingles(public, k)
    private: dict[tuple[str, ...], set[int]] = {}
    quoted: dict[tuple[str, ...], set[int]] = {}
    for i, answer in enumerate(answers):
        seq = words(answer)
        for s in shingles(seq, k) - allowed:
            private.setdefault(s, set()).add(i)
        for s in shingles(seq, quote):
            quoted.setdefault(s, set()).add(i)
    if not private and not quoted:
        return
    for path in sorted(Path(p) for p in files):
        if path.suffix not in (".html", ".ipynb"):
            continue
        seq = words(published_text(path))
        found = {i for s in shingles(seq, k) for i in private.get(s, ())}
        found |= {i for s in shingles(seq, quote) for i in quoted.get(s, ())}
        if found:
            raise TrygghetError(
                f"rapporten innehåller delar av {number(len(found))} fritextsvar från "
                "enkäten och publiceras inte", file=path,
                hint="fritextsvar publiceras aldrig, inte heller omskrivna eller i delar: "
                     "ta bort det som visar svaren ur notebooken (de tidigare rapporterna "
                     "är orörda)")
