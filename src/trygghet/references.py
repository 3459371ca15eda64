"""Reference values: the figures a local result is read against (a *lägesbild*).

Brå defines a *lägesbild* as a comparison with reference data, and real
reports put the local share beside one: Brå's national survey (NTU), the
police region's or polisområde's average, a survey supplier's *normalvärde*,
the quartile of the municipality group. The analyst writes them per survey
year in ``data/reference/referensvarden_<year>.csv``:

=========== ============================================================
``indicator``  an indicator of the estimates (``otrygg_kvall`` …)
``level``      ``riket``, ``polisregion``, ``polisområde``, ``normalvärde``
               or ``kommungrupp`` (case and å/ä/ö folded)
``value``      a share as ``0,28``, ``0.28`` or ``28 %``; an index on 0–6
``ci_low``,    optional: the reference's own interval, both or neither,
``ci_high``    in the same form as ``value``
``source``     the publication and its year, e.g. *Brå, Nationella
               trygghetsundersökningen 2022*; for an invented value
               *Exempelvärde (påhittat)*
``label``      optional: the name shown instead of the level's
               (*Polisregion Väst*, *Kommungrupp B3*)
``note``       optional: what the reader should know (another population,
               a secondary source, victimisation that refers to the year
               before the survey year as in NTU)
=========== ============================================================

UTF-8, comma or semicolon separated (Swedish Excel), as the other files of
``data/reference/``. Every problem is one :class:`~trygghet.errors.TrygghetError`
naming the file, the spreadsheet row and the column: an unknown indicator or
level, a share outside 0–1 (``28,0`` is refused with the hint to write
``28 %`` or ``0,28``), an interval that does not contain its value, a
missing source, the same indicator and level twice.

:func:`compare` says whether a local estimate differs from a reference
beyond the local confidence interval, the only claim the reports make.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from pathlib import Path
from typing import Any

import pandas as pd

from . import vocabulary
from .errors import TrygghetError
from .promise_files import read_reference_csv

#: The levels a reference value can have, in the order the reports list them.
LEVELS = ("riket", "polisregion", "polisområde", "kommungrupp", "normalvärde")
REQUIRED = ("indicator", "level", "value", "source")
OPTIONAL = ("ci_low", "ci_high", "label", "note")
COLUMNS = ("indicator", "level", "label", "value", "ci_low", "ci_high", "source", "note")
INDEX_MAX = 6.0  # the Police's 0–6 scale of problemindex and trygghetsindex
EXAMPLE_SOURCE = "Exempelvärde (påhittat)"


def reference_file(reference: Path, year: int) -> Path:
    """Where the reference values of survey year ``year`` live in a reference folder."""
    return Path(reference) / f"referensvarden_{year}.csv"


def read_references(reference: Path, year: int, questionnaire: Any = None
                    ) -> pd.DataFrame | None:
    """The checked reference values of ``year`` (:func:`read_reference_file`), or None
    when the year has no file."""
    path = reference_file(reference, year)
    return read_reference_file(path, questionnaire) if path.exists() else None


def _fold(text: str) -> str:
    """Case, spacing and diacritics folded: "Polisområde" and "polisomrade" are one level."""
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return re.sub(r"\s+", " ", "".join(c for c in decomposed if not unicodedata.combining(c)))


_LEVEL_KEYS = {_fold(level): level for level in LEVELS}


def _fail(path: Path, row: int, column: str, message: str, hint: str | None = None):
    return TrygghetError(message, file=path, row=row, column=column, hint=hint)


def _value(path: Path, row: int, column: str, text: str, kind: str) -> float:
    """A share (``0,28``, ``0.28``, ``28 %``) as a fraction, or an index value on 0–6."""
    percent = text.rstrip().endswith("%")
    body = re.sub(r"[\s\u00a0\u202f]", "", text.rstrip().rstrip("%"))
    if "," in body and "." not in body:
        body = body.replace(",", ".")
    try:
        value = float(body)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise _fail(path, row, column, f"'{text}' är inte ett tal",
                    "skriv en andel som 0,28 eller 28 %" if kind == "share"
                    else "skriv indexvärdet som ett tal, t.ex. 1,8")
    if kind == "share":
        value = value / 100 if percent else value
        if not 0 <= value <= 1:
            raise _fail(path, row, column, f"andelen '{text}' ligger utanför 0–1",
                        f"skriv andelen som {_share_hint(value)} eller med procenttecken, "
                        f"t.ex. {_share_hint(value, percent=True)}")
        return value
    if percent:
        raise _fail(path, row, column, f"'{text}' är ett procenttal men indikatorn är ett "
                    "index på skalan 0–6", "skriv indexvärdet utan procenttecken, t.ex. 1,8")
    if not 0 <= value <= INDEX_MAX:
        raise _fail(path, row, column, f"indexvärdet '{text}' ligger utanför skalan 0–6")
    return value


def _share_hint(value: float, *, percent: bool = False) -> str:
    """"0,28" / "28 %" for a value written as 28: what the analyst probably meant."""
    share = value / 100 if 1 < value <= 100 else 0.28
    if percent:
        return f"{share * 100:.1f}".replace(".", ",").removesuffix(",0") + "\u00a0%"
    return f"{share:.3f}".rstrip("0").replace(".", ",")


def read_reference_file(path: str | Path, questionnaire: Any = None) -> pd.DataFrame:
    """Read and check one reference file (see the module docstring for its columns).

    Returns
    -------
    DataFrame
        One row per value: ``indicator, level, label, value, ci_low, ci_high,
        source, note`` with shares as fractions, ``level`` as one of
        :data:`LEVELS` and ``label`` None where the file gives none; rows in
        the file's order.
    """
    from .questionnaire import resolve

    INDICATORS = resolve(questionnaire).indicators  # noqa: N806 (the workspace's indicators)

    path = Path(path)
    rows = read_reference_csv(path, REQUIRED)
    records: list[dict] = []
    seen: dict[tuple[str, str, str], int] = {}
    for row, cells in rows:
        indicator = cells["indicator"]
        if indicator not in INDICATORS:
            close = difflib.get_close_matches(indicator, list(INDICATORS), n=1)
            raise _fail(path, row, "indicator", f"okänd indikator '{indicator}'",
                        f"menade du '{close[0]}'?" if close else
                        "indikatorerna heter som i skattningarna, t.ex. otrygg_kvall")
        level = _LEVEL_KEYS.get(_fold(cells["level"]))
        if level is None:
            raise _fail(path, row, "level", f"okänd nivå '{cells['level']}'",
                        f"välj en av: {', '.join(LEVELS)}")
        kind = INDICATORS[indicator].kind
        if not cells["value"]:
            raise _fail(path, row, "value", "värde saknas")
        value = _value(path, row, "value", cells["value"], kind)
        low_text, high_text = cells.get("ci_low", ""), cells.get("ci_high", "")
        if bool(low_text) != bool(high_text):
            raise _fail(path, row, "ci_high" if low_text else "ci_low",
                        "intervallet saknar en gräns", "ange både ci_low och ci_high, eller "
                        "ingen av dem")
        low = _value(path, row, "ci_low", low_text, kind) if low_text else math.nan
        high = _value(path, row, "ci_high", high_text, kind) if high_text else math.nan
        if low_text and not low <= value <= high:
            raise _fail(path, row, "ci_low", f"intervallet {low_text}–{high_text} innehåller "
                        f"inte värdet {cells['value']}",
                        "kontrollera att gränserna hör till samma värde och skrivs på samma sätt")
        source = cells["source"]
        if not source:
            raise _fail(path, row, "source", "källa saknas",
                        "ange publikationen och dess år, t.ex. 'Brå, Nationella "
                        f"trygghetsundersökningen 2022', eller '{EXAMPLE_SOURCE}'")
        label = cells.get("label") or None
        key = (indicator, level, _fold(label or ""))
        if key in seen:
            raise _fail(path, row, "indicator", f"'{indicator}' på nivån {level} finns redan "
                        f"på rad {seen[key]}", "en rad per indikator och nivå (ange label för "
                        "att skilja två värden på samma nivå åt)")
        seen[key] = row
        records.append({"indicator": indicator, "level": level, "label": label,
                        "value": value, "ci_low": low, "ci_high": high, "source": source,
                        "note": cells.get("note") or None})
    frame = pd.DataFrame(records, columns=list(COLUMNS))
    for col in ("value", "ci_low", "ci_high"):
        frame[col] = frame[col].astype("float64")
    frame.attrs["path"] = str(path)
    return frame


def for_indicator(references: pd.DataFrame | None, indicator: str) -> pd.DataFrame:
    """The reference values of one indicator, in the order of :data:`LEVELS` (then the file's)."""
    if references is None or references.empty:
        return pd.DataFrame(columns=list(COLUMNS))
    rows = references[references["indicator"] == indicator]
    order = rows["level"].map({level: i for i, level in enumerate(LEVELS)})
    return rows.assign(_o=order).sort_values("_o", kind="stable").drop(columns="_o")


def compare(estimate, reference: float) -> str | None:
    """Whether a local estimate lies above, below or around a reference value.

    ``estimate`` is a published estimate row (``estimate``, ``ci_low``,
    ``ci_high``, ``generalisable``). A reference value outside the local
    confidence interval gives ``"higher"`` (the local figure is higher) or
    ``"lower"``; inside it ``"same"`` (*i nivå med*). The reference is taken
    as a fixed value: NTU's national figures rest on tens of thousands of
    answers, so their own uncertainty is small beside a municipality's.
    ``None`` — no claim — for a suppressed or missing estimate, one without
    an interval, and an opt-in survey (``generalisable`` false), whose
    respondents are not a sample of anyone.
    """
    values = [estimate.get(k) for k in ("estimate", "ci_low", "ci_high")]
    if any(v is None or pd.isna(v) for v in values) or pd.isna(reference):
        return None
    if not bool(estimate.get("generalisable", True)) or bool(estimate.get("suppressed", False)):
        return None
    _, low, high = (float(v) for v in values)
    if reference < low:
        return "higher"
    if reference > high:
        return "lower"
    return "same"


def label(ref: pd.Series, language: str) -> str:
    """A reference value's name as a label: the file's ``label``, else its level's ("Riket")."""
    given = ref.get("label")
    return given if isinstance(given, str) and given else \
        vocabulary.label("reference_level", ref["level"], language)


def name(ref: pd.Series, language: str) -> str:
    """A reference value's name inside a sentence ("högre än riket")."""
    given = ref.get("label")
    return given if isinstance(given, str) and given else \
        vocabulary.label("reference_name", ref["level"], language)
