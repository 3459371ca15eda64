"""Weights: raking (iterative proportional fitting) to population margins.

A probability sample is calibrated so that its weighted counts reproduce the
population on chosen *margins* (default: sex × age group as one crossed
margin, and area). The method is exactly that of R's ``survey`` package,
``rake(svydesign(ids = ~1, weights = ~w0), ...)``, so that weights and
standard errors can be checked against it:

1. **Base weights** ``w0 = N / n`` (population total over respondents) for a
   simple random sample, or any given weights.
2. **Raking passes.** Each pass post-stratifies margin by margin: every weight
   in level ``l`` of margin ``m`` is multiplied by ``N_ml / Σ_{i∈l} w_i``.
3. **Convergence** is judged as R does: after each pass, the largest absolute
   change in any cell of the full cross-table of the margin variables is
   compared with ``epsilon``; ``tolerance < 1`` is relative to the total of the
   base weights (``epsilon = tolerance · Σ w0``), ``tolerance ≥ 1`` is a number
   of persons.

Raking only ever multiplies weights by per-level factors, so every weight is
``w0_i · F_c`` with ``F_c`` constant in the *cell* ``c`` (the combination of
the row's margin levels). The passes therefore run on the small cell table
(e.g. 10 × 13 cells), not on the rows: a million rows rake in milliseconds.

For the variance, :class:`WeightedDesign` keeps what R's ``svyrecvar`` uses after
``rake()``: for every margin, the weights stored when that margin was
post-stratified in the last pass (``attr(margin, "weights")`` in R). See
``estimate.py`` for how they enter the linearised variance.

**Stratified samples.** A sample drawn separately in each stratum (often per
area, with large sampling fractions) is described by :class:`Strata`: the
stratum of every respondent and the population ``N_h`` of every stratum. It
gives the base weights ``N_h / n_h`` and, kept in the design, the strata and
finite population correction of the variance — R's
``rake(svydesign(ids = ~1, strata = ~s, fpc = ~N), ...)``. Raking cells then
never cross a stratum boundary.

Empty cells are refused. R stops with "Some strata absent from sample" when a
population level has no respondents; so do we, naming the margin and level
— unless the settings ask for that level to be merged into another
(``weighting.collapse``), which is applied to sample and population alike.
Never NaN weights.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .errors import TrygghetError
from .mapping import normalise
from .population import check_totals, persons_text, validate

DEFAULT_MARGINS = ("sex:age_group", "area")
TRIM_MAX_ROUNDS = 50
# R's onestrat(): a stratum whose sampling fraction leaves (N − n)/N below this is
# self-representing and adds nothing to the variance.
SELF_REPRESENTING = 1e-7


# --- The calibrated design -----------------------------------------------------


@dataclass(frozen=True)
class Strata:
    """The strata of a stratified sample and their populations.

    ``codes[i]`` is respondent ``i``'s stratum, ``labels`` name the strata
    and ``population[h]`` is ``N_h`` (``inf``: no finite population
    correction). Build it with :meth:`from_column`.
    """

    codes: np.ndarray
    labels: tuple[str, ...]
    population: np.ndarray

    @classmethod
    def from_column(cls, column: pd.Series, population: dict[str, float] | None = None,
                    fraction: dict[str, float] | float | None = None) -> Strata:
        """Strata from a column of stratum labels and ``N_h`` or the sampling fraction.

        ``population`` gives ``N_h`` per stratum label. ``fraction`` gives
        ``f_h`` (one number for every stratum, or one per label), read as R
        reads ``fpc`` values ≤ 1: ``N_h = n_h / f_h`` with ``n_h`` the stratum's
        rows — the respondents — so with non-response give ``population``.
        With neither, the strata have no finite population correction.
        """
        codes, labels = _categories(column)
        if np.any(codes < 0):
            i = int(np.flatnonzero(codes < 0)[0])
            raise TrygghetError(f"{int((codes < 0).sum())} svarande saknar stratum "
                                f"('{column.name}')", row=i + 1, column=str(column.name),
                                hint="i ett stratifierat urval kommer stratumet från registret: "
                                     "kontrollera exporten")
        rows = np.bincount(codes, minlength=len(labels)).astype(float)
        if population is not None and fraction is not None:
            raise ValueError("give population or fraction, not both")
        given = population if population is not None else fraction
        if given is None:
            return cls(codes, tuple(labels), np.full(len(labels), np.inf))
        key = {normalise(k): float(v) for k, v in given.items()} if isinstance(given, dict) \
            else {}
        unknown = sorted(set(key) - {normalise(lab) for lab in labels})
        if unknown:
            raise TrygghetError(f"design.strata nämner stratumet '{unknown[0]}', som inte finns "
                                f"i kolumnen '{column.name}'", column="design.strata",
                                hint="strata: " + ", ".join(labels))
        values = np.empty(len(labels))
        for h, label in enumerate(labels):
            v = key.get(normalise(label)) if isinstance(given, dict) else float(given)
            if v is None:
                if rows[h] == 0:  # an unused category of the column
                    v = np.inf
                else:
                    what = "befolkning" if population is not None else "urvalsandel"
                    raise TrygghetError(f"stratumet '{label}' har {int(rows[h])} svarande men "
                                        f"ingen {what} i design.strata", column="design.strata",
                                        hint="ange en siffra för varje stratum")
            values[h] = v
        if fraction is not None:
            if np.any(~((values > 0) & (values <= 1)) & (rows > 0)):
                raise TrygghetError("design.strata.fraction ska ligga i (0, 1]",
                                    column="design.strata.fraction")
            values = np.where(rows > 0, rows / values, np.inf)
        return cls(codes, tuple(labels), values)

    @property
    def rows(self) -> np.ndarray:
        """``n_h``: rows (respondents) per stratum."""
        return np.bincount(self.codes, minlength=len(self.labels)).astype(float)

    def base_weights(self) -> np.ndarray:
        """``N_h / n_h`` for every row: the weights of a stratified simple random sample."""
        n_h = self.rows
        if np.any(~np.isfinite(self.population[n_h > 0])):
            raise TrygghetError("basvikter kräver befolkningen i varje stratum",
                                column="design.strata")
        with np.errstate(divide="ignore", invalid="ignore"):
            return (self.population / n_h)[self.codes]

    def subset(self, keep: np.ndarray) -> Strata:
        """The strata of the rows ``keep`` (a boolean mask)."""
        return Strata(self.codes[keep], self.labels, self.population)


@dataclass(frozen=True)
class WeightedDesign:
    """A single-stage design without clusters, possibly stratified, possibly raked.

    Weights are ``base[i] * factor[cell[i]]``. For a raked design
    ``margin_level[m][c]`` is the level of margin ``m`` in cell ``c`` and
    ``margin_factor[m][c]`` the cell's factor as it stood right after margin
    ``m`` was post-stratified in the final pass (R's ``attr(, "weights")``
    divided by the base weight). An uncalibrated design has one cell per
    stratum, factor 1 and no margins.

    ``strata`` (``None``: one stratum, with replacement, no fpc) gives each
    row's stratum and ``N_h``; every cell lies inside one stratum.
    """

    base: np.ndarray
    cell: np.ndarray
    factor: np.ndarray
    margin_names: tuple[str, ...] = ()
    margin_level: tuple[np.ndarray, ...] = ()
    margin_factor: tuple[np.ndarray, ...] = ()
    margin_labels: tuple[tuple[str, ...], ...] = ()
    strata: Strata | None = None

    def __post_init__(self) -> None:
        if self.strata is None:
            return
        s = self.strata
        if len(s.codes) != len(self.base):
            raise ValueError(f"strata have {len(s.codes)} rows, the design {len(self.base)}")
        first = self.cell_stratum
        if np.any(first[self.cell] != s.codes):
            raise ValueError("a cell of the design crosses a stratum boundary")
        n_h = s.rows
        over = (n_h > s.population) & (n_h > 0)
        if over.any():
            h = int(np.flatnonzero(over)[0])
            raise TrygghetError(f"stratumet '{s.labels[h]}' har {int(n_h[h])} svarande men en "
                                f"befolkning på bara {persons_text(s.population[h])}",
                                column="design.strata", hint="kontrollera design.strata")
        lonely = (n_h == 1) & (self.fpc_scale > 0)
        if lonely.any():
            h = int(np.flatnonzero(lonely)[0])
            # R: "Stratum (h) has only one PSU at stage 1" (survey.lonely.psu = "fail").
            raise TrygghetError(f"stratumet '{s.labels[h]}' har bara en svarande: variansen "
                                "kan inte skattas inom stratumet", column="design.strata",
                                hint="slå ihop stratumet med ett närliggande i design.strata")

    @classmethod
    def weighted(cls, weights: Any, strata: Strata | None = None) -> WeightedDesign:
        """An uncalibrated design with the given weights.

        R: ``svydesign(ids = ~1, weights = ~w)``, or with ``strata``
        ``svydesign(ids = ~1, strata = ~s, fpc = ~N, weights = ~w)``.
        """
        w = np.asarray(weights, dtype=float)
        if w.ndim != 1 or not np.all(np.isfinite(w)) or np.any(w < 0):
            raise TrygghetError("vikterna måste vara ändliga och icke-negativa tal")
        if strata is None:
            return cls(base=w, cell=np.zeros(len(w), dtype=np.intp), factor=np.ones(1))
        return cls(base=w, cell=strata.codes.astype(np.intp), factor=np.ones(len(strata.labels)),
                   strata=strata)

    @property
    def n(self) -> int:
        """Rows of the design: every respondent, inside a domain or not."""
        return len(self.base)

    @property
    def calibrated(self) -> bool:
        return bool(self.margin_names)

    @property
    def stratified(self) -> bool:
        return self.strata is not None

    @property
    def n_cells(self) -> int:
        return len(self.factor)

    @property
    def weights(self) -> np.ndarray:
        return self.base * self.factor[self.cell]

    @property
    def cell_stratum(self) -> np.ndarray:
        """The stratum of every cell (all 0 without strata)."""
        out = np.zeros(self.n_cells, dtype=np.intp)
        if self.strata is not None:
            out[self.cell] = self.strata.codes
        return out

    @property
    def fpc_scale(self) -> np.ndarray:
        """Per stratum ``(1 − n_h/N_h) · n_h/(n_h − 1)``, R's ``onestrat`` scale.

        Without strata: one stratum of ``n`` rows and no fpc. A stratum with
        one row gets ``1 − n_h/N_h`` (its variance is then 0 or refused), a
        self-representing one 0.
        """
        if self.strata is None:
            n_h, pop = np.array([float(self.n)]), np.array([np.inf])
        else:
            n_h, pop = self.strata.rows, self.strata.population
        with np.errstate(divide="ignore", invalid="ignore"):
            f = np.where(np.isinf(pop), 1.0, (pop - n_h) / pop)
            scale = np.where(n_h > 1, f * n_h / (n_h - 1), f)
        return np.where((f < SELF_REPRESENTING) | (n_h == 0), 0.0, scale)


def kish(weights: np.ndarray) -> float:
    """Kish's effective sample size ``n_eff = (Σw)² / Σw²``."""
    w = np.asarray(weights, dtype=float)
    return float(w.sum() ** 2 / np.sum(w * w))


# --- Margins and population --------------------------------------------------


def margin_variables(margin: str) -> tuple[str, ...]:
    """``"sex:age_group"`` → ``("sex", "age_group")``."""
    parts = tuple(p.strip() for p in str(margin).split(":"))
    if not all(parts):
        raise TrygghetError(f"ogiltig viktningsmarginal '{margin}'",
                            hint="skriv t.ex. sex:age_group eller area")
    return parts


def _categories(series: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Integer codes (−1 = missing) and the string labels of a column."""
    if not isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype("category")
    return series.cat.codes.to_numpy(dtype=np.intp), [str(c) for c in series.cat.categories]


@dataclass
class _Margin:
    name: str
    labels: list[str]              # population levels (after collapsing), in file order
    targets: np.ndarray            # population per level
    codes: np.ndarray              # row → level (−1: cannot be raked)
    missing: np.ndarray = field(repr=False)      # row lacks a margin variable
    not_in_pop: np.ndarray = field(repr=False)   # row's level is not in the population


def _build_margin(frame: pd.DataFrame, margin: str, population: pd.DataFrame,
                  collapse: dict[str, str] | None) -> _Margin:
    variables = margin_variables(margin)
    for v in variables:
        if v not in frame.columns:
            raise TrygghetError(f"viktningsvariabeln '{v}' finns inte i svaren", column=v)
    # Every combination of the variables' categories gets a mixed-radix code.
    codes, cats = zip(*(_categories(frame[v]) for v in variables), strict=True)
    sizes = [len(c) for c in cats]
    combo = np.zeros(len(frame), dtype=np.intp)
    missing = np.zeros(len(frame), dtype=bool)
    for c, size in zip(codes, sizes, strict=True):
        missing |= c < 0
        combo = combo * size + np.maximum(c, 0)
    combo_labels = [":".join(parts) for parts in _product(cats)]
    key = {normalise(lab): lab for lab in combo_labels}

    # Population rows of this margin, matched to the sample's labels.
    pop = population[population["dimension"].map(normalise) == normalise(margin)]
    if pop.empty:
        have = sorted(set(population["dimension"]))
        raise TrygghetError(
            f"befolkningsuppgifterna saknar dimensionen '{margin}'",
            hint=f"lägg till raderna för {margin} eller ändra weighting.margins "
                 f"(finns: {', '.join(have)})")
    totals: dict[str, float] = {}
    for level, value in zip(pop["level"], pop["population"], strict=True):
        label = key.get(normalise(level))
        if label is None:
            raise TrygghetError(
                f"nivån '{level}' i dimensionen '{margin}' motsvarar ingen kategori i enkäten",
                hint="kategorier: " + ", ".join(combo_labels[:20])
                     + (" …" if len(combo_labels) > 20 else ""))
        if label in totals:
            raise TrygghetError(f"nivån '{level}' förekommer två gånger i dimensionen '{margin}'")
        totals[label] = float(value)

    # Optional, explicit merging of levels (documented in config/trygghet.yml).
    into: dict[str, str] = {}
    for src, dst in (collapse or {}).items():
        s, d = key.get(normalise(src)), key.get(normalise(dst))
        if s is None or d is None or s not in totals or d not in totals:
            raise TrygghetError(
                f"weighting.collapse för '{margin}': '{src}' → '{dst}' nämner en nivå som inte "
                "finns i befolkningsuppgifterna", column="weighting.collapse")
        into[s] = d
    for s in list(into):  # follow chains a → b → c
        seen = {s}
        while into[s] in into:
            if into[s] in seen:
                raise TrygghetError(f"weighting.collapse för '{margin}' går i cirkel",
                                    column="weighting.collapse")
            seen.add(into[s])
            into[s] = into[into[s]]
    labels = [lab for lab in totals if lab not in into]
    targets = np.array([totals[lab] + sum(totals[s] for s, d in into.items() if d == lab)
                        for lab in labels])
    index = {lab: i for i, lab in enumerate(labels)}
    lookup = np.array([index.get(into.get(lab, lab), -1) for lab in combo_labels], dtype=np.intp)
    level = lookup[combo]
    level[missing] = -1
    not_in_pop = ~missing & (level < 0)
    # A level with neither population nor respondents is dropped, as R does.
    return _Margin(margin, labels, targets, level, missing, not_in_pop)


def _product(cats: tuple[list[str], ...]) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = [()]
    for c in cats:
        out = [(*prefix, x) for prefix in out for x in c]
    return out


# --- Raking ------------------------------------------------------------------


@dataclass(frozen=True)
class Raking:
    """Result of :func:`rake`: weights, the design for the variance, diagnostics.

    ``included`` marks the rows that were raked (all rows, unless
    ``unrakeable="exclude"`` dropped some); ``weights`` and ``design`` cover
    only those rows, in order.
    """

    weights: pd.Series
    design: WeightedDesign
    included: np.ndarray
    diagnostics: dict[str, Any]


def ipf(base_sum: np.ndarray, levels: list[np.ndarray], targets: list[np.ndarray],
        epsilon: float, max_iter: int) -> tuple[np.ndarray, list[np.ndarray], int, bool]:
    """Iterative proportional fitting on a cell table, pass by pass as R's ``rake``.

    Parameters
    ----------
    base_sum
        Sum of base weights per cell, ``S_c``.
    levels, targets
        Per margin: the level of each cell, and the population per level.
    epsilon, max_iter
        Stop when ``max_c |F_c S_c − F'_c S_c| < epsilon`` between passes, or
        after ``max_iter`` passes.

    Returns
    -------
    factor
        ``F_c``: final weight / base weight.
    margin_factor
        Per margin, ``F_c`` right after that margin was fitted in the last
        pass (what R keeps for the variance).
    passes, converged
    """
    factor = np.ones(len(base_sum))
    margin_factor = [factor] * len(levels)
    old = base_sum.copy()
    passes, converged = 0, False
    while passes < max_iter:
        passes += 1
        for m, (lev, tgt) in enumerate(zip(levels, targets, strict=True)):
            current = np.bincount(lev, weights=factor * base_sum, minlength=len(tgt))
            factor = factor * (tgt / current)[lev]
            margin_factor[m] = factor
        table = factor * base_sum
        if np.max(np.abs(table - old)) < epsilon:
            converged = True
            break
        old = table
    return factor, margin_factor, passes, converged


def rake(frame: pd.DataFrame, population: pd.DataFrame,
         margins: list[str] | tuple[str, ...] = DEFAULT_MARGINS, *,
         base_weights: np.ndarray | None = None, tolerance: float = 1e-12,
         max_iter: int = 1000, trim: tuple[float, float] | None = None,
         collapse: dict[str, dict[str, str]] | None = None,
         unrakeable: str = "error", strata: Strata | None = None) -> Raking:
    """Rake ``frame`` to the population margins.

    Parameters
    ----------
    frame
        One row per respondent with the margin variables (categoricals).
    population
        Long table ``dimension, level, population``; crossed dimensions are
        written ``sex:age_group`` with levels ``Kvinna:25–44``.
    margins
        Dimensions to rake on, each one variable or several joined by ``:``.
    base_weights
        Starting weights; default ``N / n`` (simple random sample), or
        ``N_h / n_h`` with ``strata``.
    tolerance, max_iter
        Convergence as R's ``rake(control = list(epsilon, maxit))``.
    trim
        ``(low, high)`` bounds on weight / mean weight. Weights outside are
        clipped and the sample re-raked, until the raked weights keep within
        the bounds (up to 50 rounds). The variance then treats the trimmed
        weights as base weights (the trimming step itself is not linearised).
    collapse
        ``{margin: {level: into_level}}``: merge levels before raking, in the
        sample and in the population — the documented way round an empty level.
    unrakeable
        Rows lacking a margin variable, or in a level the population lacks
        (e.g. "Annat område"): ``"error"`` (probability samples) or
        ``"exclude"`` (opt-in: they leave the adjusted estimate, and are counted).
    strata
        A stratified sample's strata (:class:`Strata`): the design keeps them
        for the variance (strata and finite population correction).

    Raises
    ------
    TrygghetError
        A population level without respondents, disagreeing margin totals, a
        population of zero where there are respondents, unrakeable rows with
        ``unrakeable="error"``, or no convergence.
    """
    if not margins:
        raise TrygghetError("inga viktningsmarginaler angivna", column="weighting.margins")
    if unrakeable not in ("error", "exclude"):
        raise ValueError(f"unrakeable must be 'error' or 'exclude', not {unrakeable!r}")
    population = validate(population)
    check_totals(population, margins)
    collapse = {normalise(k): v for k, v in (collapse or {}).items()}
    built = [_build_margin(frame, m, population, collapse.get(normalise(m))) for m in margins]

    bad = np.zeros(len(frame), dtype=bool)
    for mg in built:
        bad |= mg.codes < 0
    excluded = {}
    if bad.any():
        if unrakeable == "error":
            mg = next(m for m in built if np.any(m.codes < 0))
            rows = np.flatnonzero(mg.codes < 0)
            ids = _ids(frame, rows)
            what = ("saknar värde på" if mg.missing[rows[0]]
                    else "har en nivå som inte finns i befolkningsuppgifterna för")
            raise TrygghetError(
                f"{len(rows)} svarande {what} viktningsmarginalen '{mg.name}' "
                f"(t.ex. {ids}) och kan inte viktas",
                column=mg.name,
                hint="i ett slumpmässigt urval kommer bakgrundsvariablerna från registret: "
                     "kontrollera exporten och befolkningsfilen")
        for mg in built:
            excluded[mg.name] = {"saknar_varde": int(mg.missing.sum()),
                                 "ej_i_befolkningen": int(mg.not_in_pop.sum())}
    keep = ~bad
    rows = frame.index[keep]
    n = int(keep.sum())
    codes = [mg.codes[keep] for mg in built]
    if n == 0:
        raise TrygghetError("inga svarande kan viktas mot befolkningsuppgifterna")

    # Empty and impossible cells, with R's messages in mind.
    for mg, c in zip(built, codes, strict=True):
        counts = np.bincount(c, minlength=len(mg.labels))
        for label, count, target in zip(mg.labels, counts, mg.targets, strict=True):
            if count == 0 and target > 0:
                raise TrygghetError(
                    f"nivån '{label}' i viktningsmarginalen '{mg.name}' har inga svarande, men "
                    f"befolkningen har {persons_text(target)} personer där: den kan inte få någon "
                    "vikt",
                    column=mg.name,
                    hint=f"slå ihop nivån med en närliggande i config/trygghet.yml, t.ex. "
                         f"weighting: {{collapse: {{'{mg.name}': {{'{label}': '<annan nivå>'}}}}}}"
                         ", eller ta bort marginalen")
            if count > 0 and target == 0:
                raise TrygghetError(
                    f"nivån '{label}' i viktningsmarginalen '{mg.name}' har {count} svarande men "
                    "befolkningen är 0 där", column=mg.name,
                    hint="kontrollera befolkningsfilen")

    total = float(built[0].targets.sum())
    if strata is not None:
        if len(strata.codes) != len(frame):
            raise ValueError(f"strata have {len(strata.codes)} rows, the frame {len(frame)}")
        strata = strata.subset(keep)
    if base_weights is None:
        base = np.full(n, total / n) if strata is None else strata.base_weights()
    else:
        base = np.asarray(base_weights, dtype=float)[keep]
        if not np.all(np.isfinite(base)) or np.any(base <= 0):
            raise TrygghetError("basvikterna måste vara positiva tal")

    # Cells: the observed combinations of margin levels (and stratum: cells nest in strata).
    joint = np.zeros(n, dtype=np.int64)
    for mg, c in zip(built, codes, strict=True):
        joint = joint * len(mg.labels) + c
    if strata is not None:
        joint = joint * len(strata.labels) + strata.codes
    uniq, cell = np.unique(joint, return_inverse=True)
    cell = cell.reshape(-1).astype(np.intp)
    first = np.zeros(len(uniq), dtype=np.intp)
    first[cell[::-1]] = np.arange(n)[::-1]
    cell_levels = [c[first] for c in codes]
    targets = [mg.targets for mg in built]

    trim_info: dict[str, Any] | None = None
    factor, margin_factor, passes, converged = _rake_cells(base, cell, cell_levels, targets,
                                                           tolerance, max_iter)
    if trim is not None:
        low, high = _check_trim(trim)
        rounds, clipped_total = 0, 0
        while rounds < TRIM_MAX_ROUNDS:
            w = base * factor[cell]
            mean = w.mean()
            clipped = np.clip(w, low * mean, high * mean)
            outside = np.abs(clipped - w) > 1e-9 * mean
            if not outside.any():
                break
            rounds += 1
            clipped_total = int(outside.sum())
            base = clipped
            factor, margin_factor, passes, converged = _rake_cells(
                base, cell, cell_levels, targets, tolerance, max_iter)
        w = base * factor[cell]
        trim_info = {"bounds": [low, high], "rounds": rounds, "clipped_last_round": clipped_total,
                     "within_bounds": bool(np.all((w >= low * w.mean() * (1 - 1e-9))
                                                  & (w <= high * w.mean() * (1 + 1e-9))))}

    weights = base * factor[cell]
    deviation = max(float(np.max(np.abs(np.bincount(c, weights=weights, minlength=len(t)) - t)))
                    for c, t in zip(codes, targets, strict=True))
    if not converged:
        raise TrygghetError(
            f"viktningen konvergerade inte efter {passes} varv (största avvikelse från en "
            f"marginal: {deviation:.3g} personer)", column="weighting",
            hint="öka weighting.max_iter, slå ihop glesa nivåer (weighting.collapse) eller "
                 "minska antalet marginaler")

    design = WeightedDesign(base=base, cell=cell, factor=factor,
                    margin_names=tuple(mg.name for mg in built),
                    margin_level=tuple(cell_levels), margin_factor=tuple(margin_factor),
                    margin_labels=tuple(tuple(mg.labels) for mg in built), strata=strata)
    n_eff = kish(weights)
    diagnostics: dict[str, Any] = {
        "n": n,
        "population": total,
        "weight_sum": float(weights.sum()),
        "kish_n_eff": n_eff,
        "deff": n / n_eff,
        "weight_min": float(weights.min()),
        "weight_max": float(weights.max()),
        "weight_mean": float(weights.mean()),
        "weight_ratio": float(weights.max() / weights.min()),
        "iterations": passes,
        "converged": converged,
        "epsilon": tolerance * float(base.sum()) if tolerance < 1 else tolerance,
        "max_margin_deviation": deviation,
        "margins": {mg.name: {lab: {"population": float(t), "respondents": int(k)}
                              for lab, t, k in zip(mg.labels, mg.targets,
                                                   np.bincount(c, minlength=len(mg.labels)),
                                                   strict=True)}
                    for mg, c in zip(built, codes, strict=True)},
        "collapsed": {k: v for k, v in collapse.items() if v},
        "excluded": int(bad.sum()),
        "excluded_by_margin": excluded,
        "trim": trim_info,
    }
    if strata is not None:
        diagnostics["strata"] = strata_diagnostics(strata)
    return Raking(weights=pd.Series(weights, index=rows, name="weight"), design=design,
                  included=keep, diagnostics=diagnostics)


def strata_diagnostics(strata: Strata) -> dict[str, dict[str, float | None]]:
    """Per stratum: respondents, population and sampling fraction (for ``weighting.json``)."""
    n_h = strata.rows
    return {label: {"respondents": int(n), "population": float(N) if np.isfinite(N) else None,
                    "fraction": float(n / N) if np.isfinite(N) and N > 0 else None}
            for label, n, N in zip(strata.labels, n_h, strata.population, strict=True)
            if n > 0}


def _rake_cells(base, cell, cell_levels, targets, tolerance, max_iter):
    base_sum = np.bincount(cell, weights=base)
    epsilon = tolerance * float(base.sum()) if tolerance < 1 else float(tolerance)
    return ipf(base_sum, cell_levels, targets, epsilon, max_iter)


def _check_trim(trim) -> tuple[float, float]:
    try:
        low, high = (float(x) for x in trim)
    except (TypeError, ValueError) as err:
        raise TrygghetError("weighting.trim ska vara [nedre, övre], t.ex. [0.2, 5.0]",
                            column="weighting.trim") from err
    if not 0 <= low < 1 < high:
        raise TrygghetError("weighting.trim: gränserna ska uppfylla 0 ≤ nedre < 1 < övre "
                            "(relativt medelvikten)", column="weighting.trim")
    return low, high


def _ids(frame: pd.DataFrame, rows: np.ndarray, k: int = 3) -> str:
    if "respondent_id" in frame.columns:
        ids = frame["respondent_id"].iloc[rows[:k]].astype(str).tolist()
    else:
        ids = [str(i) for i in frame.index[rows[:k]]]
    return ", ".join(ids) + (" …" if len(rows) > k else "")
