"""Numbers, dates and table symbols the Swedish way (and the English way).

Swedish official statistics write a decimal comma, a non-breaking space
(U+00A0) between groups of three digits and before the per cent sign, and the
minus sign U+2212 rather than a hyphen: ``12,5 %``, ``1 417``, ``−2,3``.
Years are never grouped (``2020``). This module does all of that by hand: the
``locale`` module is process-global, may be missing on a server, and groups
years too ("2 020").

Every function takes ``language`` (``"sv"`` or ``"en"``); English output uses
a decimal point, a comma as thousands separator and ``12.5%``. The words
(months, "procentenheter", "och", what the symbols mean) are in
:mod:`trygghet.vocabulary`.

Rounding is half away from zero on the shortest decimal representation of the
value (``percent(0.0125) == "1,3 %"``), as in published tables; Python's own
``format`` rounds half to even on the binary value and would print ``1,2 %``.

Missing values print as the official symbols: ``..`` suppressed (too few
answers or too uncertain), ``.`` missing (e.g. not asked that year) and ``–``
exactly zero (only where a table uses it; :func:`number` prints ``0``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from .vocabulary import check_language, tr

NBSP = "\u00a0"
MINUS = "\u2212"
EN_DASH = "\u2013"

SUPPRESSED = ".."
MISSING = "."
ZERO = EN_DASH
SYMBOLS = (SUPPRESSED, MISSING, ZERO)

# Typography of each report language (not words: those are in vocabulary.yml):
# decimal separator, thousands separator, what comes between a number and "%".
_LOCALE = {"sv": (",", NBSP, NBSP + "%"), "en": (".", ",", "%")}


def is_missing(value) -> bool:
    """True for None, NaN and pandas' NA."""
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN and NA are not equal to themselves
    except TypeError:  # pd.NA raises on bool()
        return True


def _round(value: float | Decimal, decimals: int) -> Decimal:
    """``value`` rounded half away from zero, via its shortest decimal repr."""
    exp = Decimal(1).scaleb(-decimals)
    return Decimal(repr(float(value))).quantize(exp, rounding=ROUND_HALF_UP)


def _digits(value: Decimal, decimals: int, language: str, group: bool) -> str:
    """Unsigned digits of ``value`` with the language's separators."""
    point, sep, _ = _LOCALE[language]
    text = f"{abs(value):.{decimals}f}"
    whole, _, frac = text.partition(".")
    # Swedish practice groups from four digits on (1 417); so does English.
    if group and len(whole) > 3:
        head = len(whole) % 3 or 3
        whole = sep.join([whole[:head]] + [whole[i:i + 3] for i in range(head, len(whole), 3)])
    return whole + (point + frac if decimals > 0 else "")


def _signed(value: Decimal, body: str, sign: bool) -> str:
    if value == 0:  # no "−0,0" and no "+0,0"
        return body
    if value < 0:
        return MINUS + body
    return ("+" + body) if sign else body


def number(value, decimals: int = 0, *, language: str = "sv", sign: bool = False,
           missing: str = MISSING) -> str:
    """A number with decimal comma and grouped thousands.

    Parameters
    ----------
    value
        The number; None/NaN/NA print as ``missing``.
    decimals
        Digits after the decimal separator.
    sign
        Prefix ``+`` to positive values (negative ones always get ``−``).
    missing
        What to print for a missing value (default the symbol ``.``).

    Examples
    --------
    >>> number(1417)
    '1\\xa0417'
    >>> number(-2.345, 2)
    '−2,35'
    """
    check_language(language)
    if is_missing(value):
        return missing
    rounded = _round(value, decimals)
    return _signed(rounded, _digits(rounded, decimals, language, group=True), sign)


def year(value) -> str:
    """A year, never grouped: ``2020``."""
    if is_missing(value):
        return MISSING
    return str(int(value))


def percent(share, decimals: int = 1, *, language: str = "sv", sign: bool = False,
            missing: str = MISSING) -> str:
    """A share in [0, 1] as per cent: ``percent(0.125) == "12,5 %"`` (U+00A0 before %)."""
    check_language(language)
    if is_missing(share):
        return missing
    rounded = _round(Decimal(repr(float(share))) * 100, decimals)
    body = _digits(rounded, decimals, language, group=True)
    return _signed(rounded, body, sign) + _LOCALE[language][2]


def points(diff, decimals: int = 1, *, short: bool = False, language: str = "sv",
           sign: bool = True, missing: str = MISSING) -> str:
    """A difference of two shares in percentage points.

    ``diff`` is the difference of the shares (0.023, not 2.3):
    ``points(0.023) == "+2,3 procentenheter"``, ``short=True`` gives ``"+2,3 pe"``.
    """
    check_language(language)
    if is_missing(diff):
        return missing
    rounded = _round(Decimal(repr(float(diff))) * 100, decimals)
    body = _signed(rounded, _digits(rounded, decimals, language, group=True), sign)
    unit = "points_short" if short else ("point" if abs(rounded) == 1 else "points")
    return body + NBSP + tr(f"unit.{unit}", language)


def change(diff, decimals: int = 1, *, language: str = "sv", missing: str = MISSING) -> str:
    """A signed change of a number or index: ``+0,3``, ``−1,2``, ``0,0``."""
    return number(diff, decimals, language=language, sign=True, missing=missing)


def index(value, decimals: int = 2, *, language: str = "sv", missing: str = MISSING) -> str:
    """A 0–6 index value as published by the Police: two decimals (``1,78``)."""
    return number(value, decimals, language=language, missing=missing)


def interval(low, high, kind: str = "share", decimals: int = 1, *,
             language: str = "sv", missing: str = MISSING) -> str:
    """A confidence interval: ``"10,2–14,8 %"`` for shares, ``"1,52–1,80"`` for means."""
    if is_missing(low) or is_missing(high):
        return missing
    if kind == "share":
        lo = percent(low, decimals, language=language)
        hi = percent(high, decimals, language=language)
        return lo.removesuffix(_LOCALE[language][2]) + EN_DASH + hi
    return (number(low, decimals, language=language) + EN_DASH
            + number(high, decimals, language=language))


def estimate(value, kind: str = "share", *, symbol: str = "", decimals: int | None = None,
             language: str = "sv") -> str:
    """One published estimate: its symbol if it has one, else the formatted value.

    Parameters
    ----------
    value
        A share (0–1) or an index value.
    kind
        ``"share"`` or ``"mean"`` (as in the estimates table).
    symbol
        The estimates table's ``symbol`` column: ``..``, ``.``, ``–`` or ``""``.
        A suppressed cell never prints its (withheld) value.
    decimals
        Default 1 for shares, 2 for means.
    """
    if symbol:
        return symbol
    if kind == "share":
        return percent(value, 1 if decimals is None else decimals, language=language)
    return number(value, 2 if decimals is None else decimals, language=language)


def date(value, style: str = "long", *, language: str = "sv") -> str:
    """A date as ISO (``style="iso"``: 2021-03-31) or in words (``"31 mars 2021"``).

    ``value`` may be a :class:`datetime.date`, a datetime, a pandas Timestamp
    or an ISO string.
    """
    check_language(language)
    if is_missing(value):
        return MISSING
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    elif isinstance(value, dt.datetime) or hasattr(value, "to_pydatetime"):
        value = value.date()
    if style == "iso":
        return value.isoformat()
    if style != "long":
        raise ValueError(f"style must be 'iso' or 'long', not {style!r}")
    # A no-break space keeps "31 mars" together at a line end.
    return f"{value.day}{NBSP}{tr(f'month.{value.month}', language)} {value.year}"


def join(items: Sequence[str], *, language: str = "sv") -> str:
    """``["a", "b", "c"]`` → ``"a, b och c"`` (``"a, b and c"``)."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {tr('unit.and', language)} " + items[-1]


def level(value, *, language: str = "sv") -> str:
    """A confidence level as per cent with the decimals it needs: ``95 %``, ``97,5 %``."""
    exponent = Decimal(repr(float(value))).scaleb(2).normalize().as_tuple().exponent
    if not isinstance(exponent, int):  # "n", "N" or "F": NaN or infinity
        raise ValueError(f"a confidence level must be a finite number, not {value!r}")
    return percent(value, max(0, -exponent), language=language)


def lower_first(text: str, *, names: Sequence[str] = ()) -> str:
    """``text`` with its first letter in lower case, the rest as written.

    For a label inside a sentence: ``"Webbenkät via länk (Facebook)"`` →
    ``"webbenkät via länk (Facebook)"``; :meth:`str.lower` would also
    lower-case names of places and organisations. A text that begins with one
    of ``names`` (the municipality, an area) keeps its capital:
    ``lower_first("Trollhättans enkät", names=["Trollhättan"])``.
    """
    if any(name and text.startswith(name) for name in names):
        return text
    return text[:1].lower() + text[1:]


def upper_first(text: str) -> str:
    """``text`` with its first letter in upper case, the rest as written.

    Unlike :meth:`str.capitalize`, which lower-cases every other letter.
    """
    return text[:1].upper() + text[1:]


_SYMBOL_NAMES = {SUPPRESSED: "suppressed", MISSING: "missing", ZERO: "zero"}


def symbol_word(symbol: str, *, language: str = "sv") -> str:
    """What a table symbol says, in a word or two: ``..`` → ``"redovisas inte"``."""
    return tr(f"symbol.{_SYMBOL_NAMES[symbol]}", language)


def symbol_text(symbol: str, *, language: str = "sv") -> str:
    """What a table symbol means, for a footnote: ``"redovisas inte: för få svar, …"``."""
    return tr(f"symbol_key.{_SYMBOL_NAMES[symbol]}", language,
              word=symbol_word(symbol, language=language))


# --- Matplotlib tick formatters ------------------------------------------------
# matplotlib is imported only here, so that formatting a number in the CLI does
# not load it.

def _func_formatter(func):
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(func)


def percent_formatter(decimals: int = 0, *, language: str = "sv"):
    """Tick labels for an axis of shares in [0, 1]: ``0 %``, ``25 %``, …"""
    check_language(language)
    return _func_formatter(lambda x, pos=None: percent(x, decimals, language=language))


def number_formatter(decimals: int = 1, *, language: str = "sv"):
    """Tick labels with decimal comma (and grouped thousands): ``1,5``, ``2 000``."""
    check_language(language)
    return _func_formatter(lambda x, pos=None: number(x, decimals, language=language))


def year_formatter():
    """Tick labels for years: integers ungrouped, fractional positions blank."""
    def _fmt(x: float, pos=None) -> str:
        return str(int(round(x))) if math.isclose(x, round(x)) else ""
    return _func_formatter(_fmt)


__all__ = [
    "NBSP", "MINUS", "EN_DASH", "SUPPRESSED", "MISSING", "ZERO", "SYMBOLS",
    "is_missing", "number", "year", "percent", "points", "change", "index", "interval",
    "estimate", "date", "join", "level", "lower_first", "upper_first", "symbol_word",
    "symbol_text", "percent_formatter", "number_formatter", "year_formatter",
]
