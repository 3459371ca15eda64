"""Population figures: the population file, its check, and reconciling its margins.

The population file ``data/reference/population_<year>.csv`` is a long table
``dimension, level, population``: one row per level of each margin the
weighting may use (``sex:age_group`` with levels such as ``Kvinna:16–24``,
``area`` with the survey's areas). An analyst often edits or saves it in
Swedish Excel, so :func:`read_population_file` takes what Excel writes:
semicolon, comma or tab as delimiter, UTF-8 with or without a byte-order mark
or Windows-1252, numbers with spaces between thousands, and "16-24" typed with
a hyphen for "16–24".

**Reconciling the margins.** From reference year 2025 SCB protects its
population statistics with the Cell Key Method: every published figure,
totals included, may be moved by a small random integer, so parts no longer
add up to totals and two margins of one population (sex × age and area) sum
to slightly different totals. Raking cannot meet margins that disagree, so
:func:`reconcile` brings the margins the weighting uses to one *control
total* by proportional scaling, ``N'_ml = N_ml · T / T_m``: the most detailed
margin's total (the one with most levels) unless the settings name another
margin or a number. It does so only when every margin is within a tolerance
of the control total — by default the larger of 0,5 % and 50 persons,
``weighting.reconcile`` in the settings — and otherwise stops with the totals
and the likely cause (a different age range, a different date, a missing
area). Margins that agree to a relative 1e-9 are left exactly as they are.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .config import DEFAULT_SETTINGS, Project
from .errors import TrygghetError
from .inputs import MAX_TABLE_BYTES, check_input_file
from .mapping import normalise

COLUMNS = ("dimension", "level", "population")
# Header names an analyst may write in Swedish, folded with mapping.normalise.
HEADER_ALIASES = {"dimension": "dimension", "level": "level", "nivå": "level", "niva": "level",
                  "population": "population", "befolkning": "population", "antal": "population"}
DELIMITERS = (";", "\t", ",")
# Totals that agree to this relative precision are taken as equal (no reconciling).
TOTAL_RTOL = 1e-9
RECONCILE_DEFAULTS: dict[str, Any] = DEFAULT_SETTINGS["weighting"]["reconcile"]
# Above this relative difference a margin is more likely another population than another date.
DATE_LIKE = 0.03
MARGIN_NAMES = {"sex": "kön", "age_group": "ålder", "area": "område"}


# --- Reading -------------------------------------------------------------------


def read_population(project: Project, year: int) -> pd.DataFrame | None:
    """``data/reference/population_<year>.csv`` checked, or None when the file is absent."""
    path = project.reference / f"population_{year}.csv"
    if not path.exists():
        return None
    return read_population_file(path)


def read_population_file(path: str | Path) -> pd.DataFrame:
    """Read and check a population file (see the module docstring for what it accepts).

    Returns the table of :func:`validate`. Every problem is one
    :class:`TrygghetError` naming the file (and the row and column where
    there is one).
    """
    path = Path(path)
    check_input_file(path, limit=MAX_TABLE_BYTES)  # not a folder, FIFO or device; not huge
    text = _decode(path, path.read_bytes())
    lines = [line for line in text.splitlines() if line.strip(" \t;,")]
    if not lines:
        raise TrygghetError("befolkningsfilen är tom", file=path,
                            hint="första raden ska vara rubrikerna dimension, level, population "
                                 "och varje följande rad en nivå, t.ex. area,Centrum,5400")
    delimiter = _delimiter(lines[0])
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False,
                            skip_blank_lines=True)
    except pd.errors.ParserError as err:
        raise TrygghetError(f"kan inte läsa befolkningsfilen ({err})", file=path,
                            hint="en rad per nivå med tre fält: dimension, level, population"
                            ) from err
    # Excel leaves empty columns behind a trailing delimiter and rows of delimiters only.
    frame = frame.loc[:, [not (str(c).startswith("Unnamed:") and frame[c].eq("").all())
                          for c in frame.columns]]
    frame.columns = [HEADER_ALIASES.get(normalise(c), str(c).strip()) for c in frame.columns]
    frame = frame[~frame.apply(lambda col: col.str.strip().eq("")).all(axis=1)]
    if frame.empty and set(COLUMNS) <= set(frame.columns):
        raise TrygghetError("befolkningsfilen har rubriker men inga rader", file=path,
                            hint="lägg till en rad per nivå, t.ex. area,Centrum,5400")
    try:
        out = validate(frame)
    except TrygghetError as err:
        err.file = err.file or str(path)
        raise
    out.attrs["path"] = str(path)
    return out


def _decode(path: Path, data: bytes) -> str:
    """UTF-8 (a byte-order mark is dropped), else Windows-1252 as Swedish Excel writes it."""
    if b"\x00" in data[:4096]:
        raise TrygghetError("befolkningsfilen är inte en textfil (CSV)", file=path,
                            hint="spara filen som CSV (semikolon- eller kommaseparerad)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _delimiter(header: str) -> str:
    """The delimiter that splits the header into the known column names (else the commonest)."""
    for delim in DELIMITERS:
        names = {HEADER_ALIASES.get(normalise(c)) for c in header.split(delim)}
        if set(COLUMNS) <= names:
            return delim
    return max(DELIMITERS, key=header.count)


# --- Checking --------------------------------------------------------------------


def validate(population: pd.DataFrame) -> pd.DataFrame:
    """The long population table with clean text and float figures.

    Needs the columns ``dimension, level, population``; every figure must be
    a non-negative number (spaces between thousands and a decimal comma are
    accepted). A hyphen between two numbers in a level becomes "–", so
    "16-24" reads as the age group "16–24". Totals are not compared here:
    see :func:`check_totals` and :func:`reconcile`.
    """
    if not set(COLUMNS) <= set(population.columns):
        have = ", ".join(str(c) for c in population.columns)
        raise TrygghetError("befolkningsuppgifterna ska ha kolumnerna dimension, level, "
                            f"population (filen har: {have})",
                            hint="se data/reference/population_<år>.csv; skiljetecken ; , "
                                 "eller tabb går bra")
    pop = population.loc[:, list(COLUMNS)].copy()
    pop["dimension"] = pop["dimension"].astype(str).str.strip()
    pop["level"] = pop["level"].astype(str).str.strip().str.replace(
        r"(?<=\d)\s*[-\u2010-\u2015\u2212]\s*(?=\d)", "–", regex=True)
    raw = pop["population"]
    text = raw.astype(str).str.replace(r"[\s\u00a0\u202f]", "", regex=True).str.replace(
        ",", ".", regex=False) if raw.dtype == object or pd.api.types.is_string_dtype(raw) \
        else raw
    values = pd.to_numeric(text, errors="coerce")
    bad = values.isna() | (values < 0) | ~np.isfinite(values.to_numpy(dtype=float, na_value=0))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise TrygghetError(f"ogiltigt befolkningstal '{raw.iloc[i]}'", row=i + 2,
                            column="population", hint="ange ett icke-negativt tal")
    pop["population"] = values.astype(float)
    pop = pop.reset_index(drop=True)
    pop.attrs = dict(population.attrs)
    return pop


def margin_totals(population: pd.DataFrame, margins: list[str] | tuple[str, ...]
                  ) -> dict[str, float]:
    """The total of each margin's rows (dimensions matched as the weighting matches them)."""
    dims = population["dimension"].map(normalise)
    out = {}
    for margin in margins:
        rows = dims == normalise(margin)
        if not rows.any():
            have = ", ".join(sorted(set(population["dimension"])))
            raise TrygghetError(f"befolkningsuppgifterna saknar dimensionen '{margin}'",
                                hint=f"lägg till raderna för {margin} eller ändra "
                                     f"weighting.margins (finns: {have})")
        out[margin] = float(population.loc[rows, "population"].sum())
    return out


def check_totals(population: pd.DataFrame, margins: list[str] | tuple[str, ...]) -> None:
    """Refuse margins whose totals disagree: raking cannot meet them all."""
    totals = margin_totals(population, margins)
    values = np.array(list(totals.values()))
    if len(values) and not np.allclose(values, values[0], rtol=TOTAL_RTOL, atol=0):
        raise TrygghetError(
            "viktningsmarginalerna summerar inte till samma total: " + _listing(totals),
            column="weighting.margins",
            hint="stäm av marginalerna med population.reconcile (det gör trygghet estimate "
                 "inom toleransen weighting.reconcile)")


# --- Reconciling -------------------------------------------------------------------


def for_weighting(population: pd.DataFrame, margins: list[str] | tuple[str, ...],
                  weighting: dict[str, Any] | None = None
                  ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The population table checked and reconciled for raking on ``margins``.

    :func:`validate`, then :func:`reconcile` with ``weighting.reconcile``
    from the settings. An error names the file the table was read from
    (``attrs["path"]``, set by :func:`read_population_file`).
    """
    settings = reconcile_settings(weighting)
    try:
        return reconcile(validate(population), margins, **settings)
    except TrygghetError as err:
        err.file = err.file or population.attrs.get("path")
        raise


def reconcile_settings(weighting: dict[str, Any] | None) -> dict[str, Any]:
    """``weighting.reconcile`` over :data:`RECONCILE_DEFAULTS`, checked."""
    given = (weighting or {}).get("reconcile") or {}
    if not isinstance(given, dict):
        raise TrygghetError("weighting.reconcile ska vara en samling nyckel: värde",
                            column="weighting.reconcile")
    unknown = set(given) - set(RECONCILE_DEFAULTS)
    if unknown:
        raise TrygghetError(f"okänd nyckel '{sorted(unknown)[0]}'", column="weighting.reconcile",
                            hint="tillåtna: " + ", ".join(RECONCILE_DEFAULTS))
    out = {**RECONCILE_DEFAULTS, **given}
    for key in ("relative", "persons"):
        v = out[key]
        if isinstance(v, bool) or not isinstance(v, int | float) or not v >= 0:
            raise TrygghetError(f"weighting.reconcile.{key} ska vara ett tal ≥ 0",
                                column=f"weighting.reconcile.{key}")
    control = out["control"]
    if control is not None and (isinstance(control, bool)
                                or not isinstance(control, str | int | float)
                                or (not isinstance(control, str) and not control > 0)):
        raise TrygghetError("weighting.reconcile.control ska vara en marginal (t.ex. area) "
                            "eller ett befolkningstal", column="weighting.reconcile.control")
    return out


def reconcile(population: pd.DataFrame, margins: list[str] | tuple[str, ...], *,
              relative: float = 0.005, persons: float = 50, control: str | float | None = None
              ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Bring the weighting's margins to one control total by proportional scaling.

    Parameters
    ----------
    population
        The checked long table (:func:`validate`).
    margins
        The margins the weighting uses; other dimensions are neither checked
        nor changed.
    relative, persons
        The tolerance: every margin's total may differ from the control total
        by at most ``max(relative · T, persons)``.
    control
        ``None``: the total of the most detailed margin (most levels; the
        first of equals); a margin's name: its total; a number: that total.

    Returns
    -------
    population, info
        The table with the margins scaled (unchanged when the totals agree to
        a relative 1e-9), and what was done: ``totals`` before, ``control``
        and ``control_total``, ``tolerance`` in persons, ``factors`` per
        margin, ``reconciled`` and the Swedish sentence ``text`` for the
        method section ("" when nothing was done).

    Raises
    ------
    TrygghetError
        A margin farther from the control total than the tolerance; the
        message lists the totals and names the likely cause.
    """
    totals = margin_totals(population, margins)
    info: dict[str, Any] = {"totals": totals, "control": None, "control_total": None,
                            "tolerance": None, "factors": dict.fromkeys(totals, 1.0),
                            "reconciled": False, "text": ""}
    values = np.array(list(totals.values()))
    if len(values) < 2 or np.allclose(values, values[0], rtol=TOTAL_RTOL, atol=0):
        return population, info
    name, target = _control(population, totals, control)
    tolerance = max(relative * target, float(persons))
    info.update(control=name, control_total=target, tolerance=tolerance)
    off = {m: t for m, t in totals.items() if abs(t - target) > tolerance}
    if off:
        raise TrygghetError(
            "befolkningstalen för viktningsmarginalerna skiljer sig mer än toleransen "
            f"({persons_text(tolerance)} personer) från kontrolltotalen {persons_text(target)}"
            f" ({margin_name(name)}): {_listing(totals, target)}. "
            f"{_likely_cause(off, name, target)}",
            hint="alla marginaler ska avse samma befolkning (samma åldrar, samma datum, alla "
                 "områden); rätta befolkningsfilen, eller ändra weighting.reconcile "
                 "(relative, persons, control) om skillnaden är väntad")
    out = population.copy()
    dims = out["dimension"].map(normalise)
    for margin, total in totals.items():
        factor = target / total if total > 0 else 1.0
        info["factors"][margin] = factor
        rows = (dims == normalise(margin)).to_numpy()
        out.loc[rows, "population"] = out.loc[rows, "population"].to_numpy() * factor
    info["reconciled"] = True
    info["text"] = (
        "Befolkningsuppgifternas marginaler summerade till något olika totaler ("
        + _listing(totals) + "), som väntat när SCB skyddar statistiken med slumpmässigt brus;"
        f" före vägningen skalades de proportionellt till samma total, {persons_text(target)} "
        "personer.")
    return out, info


def _control(population: pd.DataFrame, totals: dict[str, float],
             control: str | float | None) -> tuple[str, float]:
    if control is None:
        dims = population["dimension"].map(normalise)
        levels = {m: int((dims == normalise(m)).sum()) for m in totals}
        name = max(totals, key=lambda m: levels[m])  # first of equals: max keeps the first
        return name, totals[name]
    if isinstance(control, str):
        match = [m for m in totals if normalise(m) == normalise(control)]
        if not match:
            raise TrygghetError(f"weighting.reconcile.control: '{control}' är ingen av "
                                "viktningsmarginalerna", column="weighting.reconcile.control",
                                hint="marginaler: " + ", ".join(totals))
        return match[0], totals[match[0]]
    return "angiven total", float(control)


def _likely_cause(off: dict[str, float], control: str, target: float) -> str:
    """The likeliest reason why a margin's total is far from the control total.

    A few per cent is what a year's change does (another date); an area
    margin with clearly fewer people than the others misses an area; any other
    large difference is most often another age range (16–84 against 16+).
    """
    causes = []
    for margin, total in off.items():
        rel = (total - target) / target
        area_lower = (("area" in margin.split(":") and rel < 0)
                      or ("area" in str(control).split(":") and rel > 0))
        if abs(rel) > DATE_LIKE and area_lower:
            causes.append(f"{margin_name(margin)} skiljer sig {_percent(abs(rel))} och "
                          "områdena har färre personer: troligen saknas ett område (eller "
                          "områdena täcker inte hela kommunen)")
        elif abs(rel) <= DATE_LIKE:
            causes.append(f"{margin_name(margin)} skiljer sig {_percent(abs(rel))}: troligen "
                          "avser marginalerna olika datum")
        else:
            causes.append(f"{margin_name(margin)} skiljer sig {_percent(abs(rel))}: troligen "
                          "avser marginalerna olika åldersintervall (t.ex. 16–84 år och 16 år "
                          "och äldre)")
    return "Trolig orsak: " + "; ".join(causes) + "."


def margin_name(margin: str) -> str:
    """``"sex:age_group"`` → ``"kön × ålder"``, for Swedish text."""
    return " × ".join(MARGIN_NAMES.get(v.strip(), v.strip()) for v in margin.split(":"))


def persons_text(value: float) -> str:
    """A number of persons with a space between thousands: ``2\u00a0400``."""
    return f"{value:,.0f}".replace(",", "\u00a0")


def _percent(share: float) -> str:
    return f"{100 * share:.1f}".replace(".", ",") + "\u00a0%"


def _listing(totals: dict[str, float], target: float | None = None) -> str:
    parts = []
    for margin, total in totals.items():
        diff = "" if target is None or total == target else \
            f" ({'+' if total > target else '−'}{_percent(abs(total - target) / target)})"
        parts.append(f"{margin_name(margin)} {persons_text(total)}{diff}")
    return ", ".join(parts)
