"""Every word a reader sees, in Swedish and English: one registry, one lookup, one check.

Reports are Swedish; a municipality may also publish them in English. Each
user-facing text — group and status labels, index bands, chart notes, table
headings, key-message and method sentences, the symbols' key, indicator names,
page furniture — is one *entry* with a Swedish and an English text, so the two
languages cannot drift apart and a word is translated in one place only.

Entries are grouped in namespaces and addressed as ``"namespace.key"``: the
key may be any text, including a Swedish data value (``"group.Kvinna"``,
``"status.Uppfyllt"``, ``"band.Låg nivå"``). A text may have named fields,
filled by :meth:`Vocabulary.tr` with :meth:`str.format` rules
(``"Felstaplarna visar {level} konfidensintervall."``).

The bundled words are in ``vocabulary.yml``. The same format (a YAML mapping
``namespace → key → {sv, en}``) lets other sources add or replace words at
run time: a questionnaire file names its own questions, options and indicators
(:meth:`trygghet.questionnaire.Questionnaire.vocabulary` overlays them with
:meth:`Vocabulary.overlay`), and :func:`install` (or :func:`using`) makes the
result the vocabulary every report function reads; without one, the default
questionnaire's words are read. Nothing else in the package holds a
translation table.

Examples
--------
>>> tr("group.Kvinna", "en")
'Women'
>>> tr("column.ci", "sv", level="95\\u00a0%")
'95\\xa0% KI'
>>> label("group", "Centrum", "en")   # no entry: a name is shown as it is
'Centrum'
"""

from __future__ import annotations

import contextlib
import string
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from .errors import TrygghetError

LANGUAGES = ("sv", "en")
WORDS_FILE = Path(__file__).with_name("vocabulary.yml")


class LanguageError(TrygghetError, ValueError):
    """A report language other than Swedish (``sv``) or English (``en``).

    Also a :class:`ValueError`: it is a bad value of a parameter.
    """


def check_language(language: Any, *, file: str | Path | None = None) -> str:
    """``language`` if it is one the reports are written in, else a :class:`LanguageError`."""
    if language not in LANGUAGES:
        raise LanguageError(f"okänt språk '{language}'", file=file,
                            hint="använd 'sv' (svenska) eller 'en' (engelska)")
    return language


def fields(text: str) -> set[str]:
    """The names of the ``{fields}`` of a text."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class Vocabulary:
    """A read-only registry of texts in both report languages.

    Parameters
    ----------
    entries
        ``{"namespace.key": {"sv": …, "en": …}}``; use :func:`load` or
        :meth:`overlay` to build one from the nested YAML form.
    """

    def __init__(self, entries: Mapping[str, Mapping[str, str]]):
        self._entries = {key: dict(value) for key, value in entries.items()}

    def __contains__(self, key: str) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def keys(self) -> list[str]:
        return list(self._entries)

    def tr(self, key: str, language: str, /, **fields: Any) -> str:
        """The text of ``key`` in ``language``, with ``fields`` filled in."""
        check_language(language)
        try:
            text = self._entries[key][language]
        except KeyError:
            raise KeyError(f"the vocabulary has no text {key!r}") from None
        return text.format_map(fields)

    def label(self, namespace: str, value: Any, language: str) -> str:
        """The display label of a data value, or the value itself where it has no entry.

        Names of municipalities, areas and age groups need no translation and
        keep their capitals.
        """
        key = f"{namespace}.{value}"
        return self.tr(key, language) if key in self._entries else str(value)

    def words(self, namespace: str, language: str) -> dict[str, str]:
        """Every entry of ``namespace`` in ``language``: ``{key: text}``."""
        check_language(language)
        prefix = namespace + "."
        return {k[len(prefix):]: v[language] for k, v in self._entries.items()
                if k.startswith(prefix)}

    def overlay(self, words: Mapping[str, Mapping[str, Mapping[str, str]]], *,
                source: str | Path | None = None) -> Vocabulary:
        """A new vocabulary with ``words`` (nested ``namespace → key → {sv, en}``) added.

        Entries of ``words`` replace those with the same key; ``self`` is not
        changed. Every entry needs a non-empty Swedish and an English text;
        ``source`` (the file they came from) is named in the error otherwise.
        The two may have different :func:`fields`: English may leave out a
        Swedish-only detail, such as the survey's own name for its population.
        """
        return Vocabulary(self._entries | _flatten(words, source))

    def __repr__(self) -> str:
        return f"<Vocabulary: {len(self)} texts>"


def _flatten(words: Any, source: str | Path | None) -> dict[str, dict[str, str]]:
    """``namespace → key → {sv, en}`` as ``{"namespace.key": {sv, en}}``, validated."""
    if not isinstance(words, Mapping):
        raise TrygghetError("texterna ska vara en tabell: namnrymd → nyckel → sv/en",
                            file=source)
    out: dict[str, dict[str, str]] = {}
    for namespace, entries in words.items():
        if not isinstance(entries, Mapping) or "." in str(namespace):
            raise TrygghetError(f"'{namespace}' ska vara en namnrymd (utan punkt) med texter",
                                file=source)
        for key, texts in entries.items():
            name = f"{namespace}.{key}"
            if not isinstance(texts, Mapping) or set(texts) != set(LANGUAGES):
                raise TrygghetError(f"texten '{name}' ska ha exakt en svensk (sv) och en "
                                    f"engelsk (en) version", file=source)
            if not all(isinstance(texts[lang], str) and texts[lang].strip()
                       for lang in LANGUAGES):
                raise TrygghetError(f"texten '{name}' är tom", file=source,
                                    hint="skriv texten på både svenska och engelska")
            out[name] = {lang: texts[lang] for lang in LANGUAGES}
    return out


def load(path: str | Path, base: Vocabulary | None = None) -> Vocabulary:
    """The texts of a YAML file, over ``base`` (default: none)."""
    path = Path(path)
    try:
        # libyaml's loader where installed: the bundled words load 10 times faster.
        words = yaml.load(path.read_text(encoding="utf-8"),
                          Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except OSError as err:
        raise TrygghetError(f"kunde inte läsa texterna ({err.strerror or err})",
                            file=path) from err
    except yaml.YAMLError as err:
        raise TrygghetError(f"texterna är inte giltig YAML ({err})", file=path) from err
    return (base or Vocabulary({})).overlay(words or {}, source=path)


#: The words bundled with trygghet (without any questionnaire's).
BUILTIN = load(WORDS_FILE)
# None: the default questionnaire's vocabulary, built on first use (the bundled
# words overlaid with frageformular.yml's indicator names, options and questions).
_active: Vocabulary | None = None


def active() -> Vocabulary:
    """The vocabulary the report functions read.

    The one :func:`install` made active, else the default questionnaire's
    (:attr:`trygghet.questionnaire.Questionnaire.vocabulary`).
    """
    if _active is not None:
        return _active
    from .questionnaire import default_questionnaire

    return default_questionnaire().vocabulary


def install(vocabulary: Vocabulary | None) -> Vocabulary | None:
    """Make ``vocabulary`` the one the report functions read; returns the previous one.

    A report notebook calls it once with its workspace's questionnaire's words:
    ``install(questionnaire_for(project).vocabulary)``. ``None`` goes back to
    the default questionnaire's. Tests and library code use :func:`using`,
    which puts the previous one back.
    """
    global _active
    previous, _active = _active, vocabulary
    return previous


@contextlib.contextmanager
def using(vocabulary: Vocabulary) -> Iterator[Vocabulary]:
    """Use ``vocabulary`` inside a ``with`` block and restore the previous one after."""
    previous = install(vocabulary)
    try:
        yield vocabulary
    finally:
        install(previous)


def tr(key: str, language: str = "sv", /, **fields: Any) -> str:
    """The text of ``key`` in ``language`` from the active vocabulary."""
    return active().tr(key, language, **fields)


def label(namespace: str, value: Any, language: str = "sv") -> str:
    """The display label of a data value (the value itself where it has no entry)."""
    return active().label(namespace, value, language)


def words(namespace: str, language: str = "sv") -> dict[str, str]:
    """Every text of ``namespace`` in ``language``."""
    return active().words(namespace, language)


class Translator:
    """The texts of one report language: ``t("msg.headline", share=…)``, ``t.label(…)``.

    Checks the language once, when it is made (:func:`translator`). Bound to a
    ``vocabulary`` (a questionnaire's, say), it reads that one; else the active one.
    """

    def __init__(self, language: str, vocabulary: Vocabulary | None = None):
        self.language = check_language(language)
        self.vocabulary = vocabulary

    def _words(self) -> Vocabulary:
        return self.vocabulary if self.vocabulary is not None else active()

    def __call__(self, key: str, /, **fields: Any) -> str:
        return self._words().tr(key, self.language, **fields)

    def label(self, namespace: str, value: Any) -> str:
        return self._words().label(namespace, value, self.language)

    def words(self, namespace: str) -> dict[str, str]:
        return self._words().words(namespace, self.language)


def translator(language: str, vocabulary: Vocabulary | None = None) -> Translator:
    """A :class:`Translator` for ``language`` (a :class:`LanguageError` if unknown),
    reading ``vocabulary`` if given, else the active one."""
    return Translator(language, vocabulary)


__all__ = ["LANGUAGES", "LanguageError", "check_language", "Vocabulary", "load", "BUILTIN",
           "active", "install", "using", "tr", "label", "words", "Translator", "translator",
           "fields"]
