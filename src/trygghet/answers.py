"""How an answer in an export — a label, a variant, a code — becomes a canonical label.

One home for the lookup tables that cleaning uses and that drafting or
checking a mapping can reuse:

* :func:`answer_table` — a scale's table: its levels, the labels that mean
  "missing" ("Vet ej"), the mapping's ``labels:`` and ``codes:`` for the scale
  and, for one question, the codes of the survey's codebook;
* :func:`area_table` — the year's areas by name, alias, "Annat område" and the
  spellings without å, ä, ö;
* :func:`read_codebook` — a codebook file (question, code, label per row) read
  into codes per question.

Keys are folded with :func:`mapping.normalise`; a value ``None`` means a missing
answer, :data:`NONE_ANSWER` "none of these" in a check-box question.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .errors import TrygghetError
from .mapping import Multi, normalise
from .schema import OTHER_AREA, Scale

if TYPE_CHECKING:
    from .mapping import SurveyMapping

# The value of an answer that means "none of these" (a check-box list answered without a tick).
NONE_ANSWER = "\x00inget av detta"

# Accepted names of a codebook's three columns (folded): English, Swedish, SPSS-ish.
CODEBOOK_COLUMNS = {
    "question": ("question", "fråga", "fraga", "header", "rubrik", "variable", "variabel",
                 "kolumn", "column"),
    "code": ("code", "kod", "value", "värde", "varde"),
    "label": ("label", "etikett", "value label", "värdeetikett", "text", "svar",
              "svarsalternativ"),
}
_ROLE_SV = {"question": "fråga", "code": "kod", "label": "etikett"}


def answer_table(scale: Scale | str, mapping: SurveyMapping,
                 question: str | None = None) -> dict[str, object]:
    """Folded answer text → canonical label (``None``: a missing answer) for one scale.

    Parameters
    ----------
    scale
        The scale (or its name): its levels, and its ``missing`` labels ("Vet ej").
    mapping
        The year's mapping: its ``labels:`` and ``codes:`` for the scale are added,
        over the scale's own labels.
    question
        Also the codes the codebook gives this question (they win: a code means
        what the codebook says for that very question).
    """
    scale = mapping.scales[scale] if isinstance(scale, str) else scale
    table: dict[str, object] = {"": None}
    table.update({normalise(m): None for m in scale.missing})
    table.update({normalise(level): level for level in scale.levels})
    table.update(mapping.labels.get(scale.name, {}))
    if question is not None:
        table.update(mapping.question_codes.get(question, {}))
    return table


def area_table(mapping: SurveyMapping) -> tuple[dict[str, object], dict[str, str]]:
    """Folded area text → area (``None`` missing); and postcode digits → area."""
    table: dict[str, object] = {"": None, "vet ej": None}
    table.update({normalise(a): OTHER_AREA for a in mapping.other_area_aliases})
    postcodes = {}
    for area in mapping.areas.values():
        table[normalise(area.name)] = area.name
        table.update({normalise(a): area.name for a in area.aliases})
        postcodes.update(dict.fromkeys(area.postcodes, area.name))
    table.update(mapping.labels.get("area", {}))
    table.update(mapping.question_codes.get("area", {}))
    return _with_plain_letters(table), postcodes


# How å, ä and ö are written on a keyboard without them (or in a system that
# strips them): "Upphärad" → "Uppharad", "Kronogården" → "Kronogaarden",
# "Strömslund" → "Stroemslund".
_PLAIN = {"å": ("a", "aa"), "ä": ("a", "ae"), "ö": ("o", "oe")}
_MAX_VARIANTS = 256  # 3 options per letter: names with up to five å/ä/ö get every mix


def _plain_variants(key: str) -> set[str]:
    """``key`` (normalised) with its å, ä, ö written without diacritics, every mix."""
    positions = [i for i, c in enumerate(key) if c in _PLAIN]
    if not positions:
        return set()
    if 3 ** len(positions) > _MAX_VARIANTS:  # only the consistent spellings
        plain: list[dict[str, str | int | None]] = [
            {c: o[k] for c, o in _PLAIN.items()} for k in (0, 1)]
        return {key.translate(str.maketrans(p)) for p in plain}
    out = {""}
    start = 0
    for i in positions:
        out = {v + key[start:i] + o for v in out for o in (key[i], *_PLAIN[key[i]])}
        start = i + 1
    return {v + key[start:] for v in out} - {key}


def _with_plain_letters(table: dict[str, object]) -> dict[str, object]:
    """``table`` plus each key's spellings without å, ä, ö where they name one area only.

    A spelling that two areas share ("Sodra" for both "Södra" and "Sodra") is
    left out, so such a value stays unknown and is quarantined as ``okant_omrade``;
    a spelling that is itself a key keeps its own meaning.
    """
    found: dict[str, set] = {}
    for key, value in table.items():
        for variant in _plain_variants(key):
            found.setdefault(variant, set()).add(value)
    extra = {v: next(iter(values)) for v, values in found.items()
             if len(values) == 1 and v not in table}
    return {**table, **extra}


# --- Codebooks ---------------------------------------------------------------------------

def _question_keys(mapping: SurveyMapping) -> dict[str, str]:
    """Folded names a codebook may use for a question → the question: its canonical
    name, or the export header the mapping gives it (one column per question)."""
    keys = {normalise(q): q for q in mapping.questions}
    for name, spec in mapping.columns.items():
        if isinstance(spec, Multi):
            if spec.header is not None:
                keys[normalise(spec.header)] = name
        elif name in mapping.questions:
            keys[normalise(spec)] = name
    return keys


def _label_table(question: str, mapping: SurveyMapping) -> dict[str, object]:
    if question == "area":
        return area_table(mapping)[0]
    table = answer_table(mapping.questions[question].answer_scale, mapping)
    spec = mapping.columns.get(question)
    if isinstance(spec, Multi):
        table.update(dict.fromkeys(spec.none, NONE_ANSWER))
    return table


def read_codebook(path: Path, mapping: SurveyMapping) -> dict[str, dict[str, object]]:
    """A codebook file → ``{question: {code: canonical label}}``.

    The file is a table (CSV in any encoding or delimiter the exports may have,
    Swedish Excel's semicolons included, or ``.xlsx``) with three columns:
    the question (its canonical name or the export header the mapping gives
    it; blank = the question of the row above, as codebooks list it once),
    the code and the label. A label is read like an answer: a level of the
    scale, a variant under ``labels:``, or a "missing" label ("Vet ej"). Rows
    for columns the mapping does not read are skipped.

    Raises
    ------
    TrygghetError
        A column is missing, a code is blank, a label is on no scale of its
        question (naming file, row, column and value), or no row matches a
        mapped question.
    """
    from .load import read_export  # (load imports mapping, which imports this lazily)

    raw = read_export(path)
    folded = [normalise(h) for h in raw.headers]
    at = {}
    for role, names in CODEBOOK_COLUMNS.items():
        found = [i for i, h in enumerate(folded) if h in names]
        if not found:
            raise TrygghetError(
                f"kodboken saknar kolumnen för {_ROLE_SV[role]}",
                file=path, row=raw.info.get("header_row"),
                hint="kodboken ska ha kolumnerna question (eller fråga), code (kod) och "
                     "label (etikett), en rad per svarskod")
        at[role] = found[0]
    keys = _question_keys(mapping)
    out: dict[str, dict[str, object]] = {}
    current: str | None = None  # the question of the rows below a filled-in one
    skipped = True
    for i, source_row in enumerate(raw.source_rows):
        cells = {role: str(raw.frame.iat[i, j]).strip() for role, j in at.items()}
        if not any(cells.values()):
            continue
        if cells["question"]:
            current = keys.get(normalise(cells["question"]))
            skipped = current is None
        if skipped or current is None:
            continue
        if not cells["code"]:
            raise TrygghetError("koden saknas", file=path, row=int(source_row),
                                column=raw.headers[at["code"]],
                                hint="skriv svarskoden (t.ex. 1) på raden eller ta bort raden")
        table = _label_table(current, mapping)
        key = normalise(cells["label"])
        if key not in table:
            scale = "area" if current == "area" else mapping.questions[current].answer_scale.name
            raise TrygghetError(
                f"etiketten '{cells['label']}' (kod {cells['code']}) finns inte bland svaren "
                f"på {current}", file=path, row=int(source_row), column=raw.headers[at["label"]],
                hint=f"lägg till den under labels.{scale} i mappningen ('{cells['label']}': "
                     "svarsalternativet, eller null = saknas) eller rätta kodboken")
        out.setdefault(current, {})[normalise(cells["code"])] = table[key]
    if not out:
        raise TrygghetError("ingen rad i kodboken gäller en fråga som mappningen läser",
                            file=path, hint="frågan anges med sitt kanoniska namn (t.ex. "
                            "safe_evening) eller med rubriken i exporten, som under columns")
    return out


def split_answer(text: str, separator: str, table: dict[str, object]) -> tuple[list[str], bool]:
    """The answers in one joined check-box cell ("Kväll, Natt"): folded keys of ``table``.

    Known answers are found first, longest first, each standing between
    separators (or the cell's ends), so that an option whose own text holds the
    separator ("Inbrott, stölder och skadegörelse" in a ", "-joined Google Forms
    cell) survives whole; only what is left is split on the separator. Returns
    the keys found (in order of the cell) and whether anything was left that no
    key matches.
    """
    cell = normalise(text)
    sep = normalise(separator) or separator  # ", " folds to ","; a lone space stays
    if not cell:
        return [], False
    if sep not in cell:
        return ([cell], False) if cell in table else ([], True)
    found: list[tuple[int, str]] = []
    for key in sorted((k for k in table if k and sep in k), key=len, reverse=True):
        start = 0
        while (at := cell.find(key, start)) >= 0:
            end = at + len(key)
            before = cell[:at].rstrip()
            after = cell[end:].lstrip()
            if (not before or before.endswith(sep)) and (not after or after.startswith(sep)):
                found.append((at, key))
                cell = cell[:at] + "\x00" * len(key) + cell[end:]  # (positions stay put)
            start = end
    unknown = False
    pos = 0
    for part in cell.split(sep):
        token = part.strip().strip("\x00").strip()
        if token and token in table:
            found.append((pos, token))
        elif token:
            unknown = True
        pos += len(part) + len(sep)
    return [k for _, k in sorted(found)], unknown
