"""The estimation engine: weighted shares and means with design-based SEs and CIs.

Any per-respondent values, any design (:class:`~trygghet.weights.WeightedDesign`:
raked or not, stratified or not), any groups. What a survey year publishes —
which design, which indicators, the output contract — is :mod:`trygghet.survey`.

Point estimates
    The weighted mean ``ȳ_d = Σ_{i∈d} w_i y_i / Σ_{i∈d} w_i`` over the
    respondents of domain ``d`` who answered (a share is the mean of a 1/0
    indicator; an index the mean of 0–6 scores).

Variance: Taylor linearisation of the calibrated estimator, exactly as R's
``survey`` package computes ``svymean``/``svyciprop`` after ``rake()``:

1. Influence values ``x_i = w_i (y_i − ȳ_d) / Σ_d w`` for the domain's
   respondents with an answer, **0 for every other row** — item non-response
   and other groups are *domains*, never dropped rows.
2. Residualise on the raking margins by R's fixed ten rounds of backfitting:
   for each margin ``m``, ``x ← x − psw_m · ave_m(x / psw_m)``, where
   ``psw_m`` are the weights stored when margin ``m`` was fitted in the last
   raking pass and ``ave_m`` is the *unweighted* mean within the row's level
   of ``m`` over all rows.
3. ``V = n/(n−1) · Σ_i (x_i − x̄)²`` over all ``n`` rows of the design (one
   stage, with-replacement approximation, no fpc). A **stratified** design
   (``svydesign(ids = ~1, strata = ~s, fpc = ~N)``) centres within each
   stratum and applies the finite population correction:
   ``V = Σ_h (1 − n_h/N_h) · n_h/(n_h−1) · Σ_{i∈h} (x_i − x̄_h)²``.

Where every answer in a domain is the same value (one answer, say) each
``y − ȳ`` is zero and so is the variance, exactly as R computes it; the
engine's expanded sums would leave rounding noise of about ``1e-8 · ȳ`` in
the SE there, so such domains get ``V = 0`` outright.

The implementation never builds ``x``: weights are constant within a raking
cell up to the base weight, so all sums in steps 2–3 reduce to per-(domain,
cell) sums of the answers (one ``bincount`` per variable over the rows) and
small level × level matrices of design constants; the margin with most
levels is carried as sparse plus low rank (see :func:`_residualise`). That
is R's arithmetic reorganised: a million rows, 33 variables, by 2,900 areas
raked on those areas, take under two seconds.

Degrees of freedom ``df = (rows of the domain with non-zero weight) − (strata
among them)``, rows with a missing answer included — R's ``degf()`` of the
domain design: ``n − 1`` unstratified, and 0 (not −1) for a domain whose rows
all have weight 0, which has no estimate.

Confidence intervals (level ``1 − α``; ``q = t_{1−α/2, df}``)

* ``wilson`` (default for shares): the Wilson score interval on the
  design-effective sample size ``n* = p̂(1−p̂)/SE²``, capped at the domain's
  ``n`` (``n* = n`` when ``p̂ ∈ {0, 1}``)::

      centre = (p̂ + q²/2n*) / (1 + q²/n*)
      half   = q / (1 + q²/n*) · √(p̂(1−p̂)/n* + q²/4n*²)

  Unlike the logit interval it does not collapse to a point at ``p̂ = 0``.
* ``logit`` — ``svyciprop(method = "logit")``:
  ``expit(logit p̂ ± q · SE / (p̂(1−p̂)))``; ``[0, 0]`` at ``p̂ = 0`` and
  ``[1, 1]`` at ``p̂ = 1``, where R's ``svyglm`` diverges and its interval is
  arbitrary (a point near 1e-12, or a wide one) — the collapse is why it is
  not the default.
* ``beta`` — Korn–Graubard, ``svyciprop(method = "beta")``:
  ``n_eff = p̂(1−p̂)/SE² · (t_{α/2, N−1} / t_{α/2, df})²`` with ``N`` the rows
  of the design (all rows if calibrated, the domain's rows otherwise, as
  R's subsetting does), and ``(B⁻¹(α/2; n_eff p̂, n_eff(1−p̂)+1),
  B⁻¹(1−α/2; n_eff p̂+1, n_eff(1−p̂)))``. At ``p̂ ∈ {0, 1}`` R gives NaN; we use
  ``n_eff = n`` (then it is the Clopper–Pearson interval).
* ``t`` (means): ``ȳ ± q · SE`` — R's ``confint(svymean(...), df = degf(design))``.

Without a design (``design=None, weights=None``) estimates are the plain,
unweighted figures *of the respondents*: ``SE = √(p̂(1−p̂)/n)`` for a share,
``s/√n`` for a mean, ``df = n − 1``, with the same CI formulas.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse, special

from .errors import TrygghetError
from .weights import WeightedDesign

CI_METHODS = ("wilson", "logit", "beta")
BACKFIT_ROUNDS = 10  # fixed in R's svyrecvar for "raking" post-strata
# Floats per level-space array (levels × domains × variables) before domains are chunked.
_LEVEL_SPACE_FLOATS = 4e6
TOTAL = "Totalt"


# --- Confidence intervals ----------------------------------------------------


def t_quantile(df: Any, level: float = 0.95) -> np.ndarray:
    """``t_{1−α/2, df}``; NaN where ``df < 1`` (an interval needs two rows)."""
    df = np.asarray(df, dtype=float)
    out = np.full(df.shape, np.nan)
    ok = df >= 1
    out[ok] = special.stdtrit(df[ok], 0.5 + level / 2)
    return out


def wilson_interval(p: Any, n: Any, q: Any) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion ``p`` from ``n`` with quantile ``q``."""
    p, n, q = (np.asarray(a, dtype=float) for a in (p, n, q))
    with np.errstate(divide="ignore", invalid="ignore"):
        q2n = q * q / n
        centre = (p + q2n / 2) / (1 + q2n)
        half = q / (1 + q2n) * np.sqrt(p * (1 - p) / n + q2n / (4 * n))
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def effective_n(p: Any, var: Any, n: Any) -> np.ndarray:
    """``n* = p(1−p)/V`` capped at ``n``; ``n`` where ``p ∈ {0,1}`` or ``V = 0``."""
    p, var, n = (np.asarray(a, dtype=float) for a in (p, var, n))
    pq = p * (1 - p)
    with np.errstate(divide="ignore", invalid="ignore"):
        n_star = np.where((pq > 0) & (var > 0), pq / var, n)
    return np.minimum(n_star, n)


def logit_interval(p: Any, se: Any, q: Any) -> tuple[np.ndarray, np.ndarray]:
    """``expit(logit p ± q·SE/(p(1−p)))``, as ``svyciprop(method = "logit")``."""
    p, se, q = (np.asarray(a, dtype=float) for a in (p, se, q))
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = np.log(p) - np.log1p(-p)
        half = q * se / (p * (1 - p))
        low = 1 / (1 + np.exp(-(centre - half)))
        high = 1 / (1 + np.exp(-(centre + half)))
    low = np.where(p <= 0, 0.0, np.where(p >= 1, 1.0, low))
    high = np.where(p <= 0, 0.0, np.where(p >= 1, 1.0, high))
    nan = np.isnan(p) | np.isnan(q) | np.isnan(se)
    return np.where(nan, np.nan, low), np.where(nan, np.nan, high)


def korn_graubard_interval(p: Any, var: Any, n: Any, df: Any, rows: Any,
                           level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Korn–Graubard beta interval, as ``svyciprop(method = "beta")``.

    ``rows`` is R's ``nrow(design)``; ``n`` (the domain's respondents) is used
    as the effective size where ``p ∈ {0, 1}``.
    """
    p, var, n, df, rows = (np.asarray(a, dtype=float) for a in (p, var, n, df, rows))
    alpha = 1 - level
    with np.errstate(divide="ignore", invalid="ignore"):
        pq = p * (1 - p)
        n_eff = np.where((pq > 0) & (var > 0), pq / var, n)
        ratio = (special.stdtrit(rows - 1, alpha / 2) / special.stdtrit(df, alpha / 2)) ** 2
        n_eff = n_eff * ratio
        low = np.where(p <= 0, 0.0, special.betaincinv(n_eff * p, n_eff * (1 - p) + 1,
                                                         alpha / 2))
        high = np.where(p >= 1, 1.0, special.betaincinv(n_eff * p + 1, n_eff * (1 - p),
                                                          1 - alpha / 2))
    bad = ~(df >= 1) | np.isnan(p)
    return np.where(bad, np.nan, low), np.where(bad, np.nan, high)


# --- Domains -----------------------------------------------------------------


@dataclass
class _Domains:
    """One ``group_var``: row → domain code (−1: in none), and domain labels.

    Overlapping groups (a multi-select question such as relation) are several
    one-level domain variables sharing a ``group_var``.
    """

    group_var: str
    labels: list[str]
    code: np.ndarray = field(repr=False)


def _domains(by: Any, n: int, total: bool) -> list[_Domains]:
    out = []
    if total:
        out.append(_Domains("total", [TOTAL], np.zeros(n, dtype=np.intp)))
    if by is None:
        return out
    if isinstance(by, pd.Series):
        by = {by.name or "group": by}
    elif isinstance(by, pd.DataFrame):
        by = {c: by[c] for c in by.columns}
    for name, spec in by.items():
        if len(spec) != n:
            raise ValueError(f"grouping {name!r} has {len(spec)} rows, values have {n}")
        if isinstance(spec, pd.DataFrame):  # overlapping: one boolean column per group
            for col in spec.columns:
                member = spec[col].astype("boolean").fillna(False).to_numpy(dtype=bool)
                out.append(_Domains(str(name), [str(col)],
                                    np.where(member, 0, -1).astype(np.intp)))
            continue
        s = pd.Series(spec)
        if not isinstance(s.dtype, pd.CategoricalDtype):
            s = s.astype("category")
        out.append(_Domains(str(name), [str(c) for c in s.cat.categories],
                            s.cat.codes.to_numpy(dtype=np.intp)))
    return out


def _atoms(cell: np.ndarray, n_cells: int, domains: list[_Domains]):
    """Row → atom: the observed combinations of raking cell and every domain code.

    All sums over rows are taken once per variable onto the atoms (one
    ``bincount`` each); domains, cells and margin levels are unions of atoms.
    Returns the row's atom, and per atom its cell and its code in each domain.
    """
    key = cell.astype(np.int64)
    radix = n_cells
    for dom in domains:
        size = len(dom.labels) + 1
        if radix * size >= 2 ** 62:  # keep the mixed-radix key inside int64
            _, key = np.unique(key, return_inverse=True)
            key = key.reshape(-1).astype(np.int64)
            radix = int(key.max()) + 1 if len(key) else 1
        key = key * size + (dom.code + 1)
        radix *= size
    uniq, atom = np.unique(key, return_inverse=True)
    atom = atom.reshape(-1).astype(np.intp)
    first = np.zeros(len(uniq), dtype=np.intp)
    first[atom[::-1]] = np.arange(len(atom))[::-1]
    return atom, cell[first], [dom.code[first] for dom in domains]


def _pairs(atom_dom: np.ndarray, atom_cell: np.ndarray, n_cells: int):
    """Observed (domain, cell) pairs: atom → pair (−1 outside), pair → domain, pair → cell."""
    inside = atom_dom >= 0
    key = atom_dom[inside].astype(np.int64) * n_cells + atom_cell[inside]
    uniq, inverse = np.unique(key, return_inverse=True)
    atom_pair = np.full(len(atom_dom), -1, dtype=np.intp)
    atom_pair[inside] = inverse.reshape(-1)
    return atom_pair, (uniq // n_cells).astype(np.intp), (uniq % n_cells).astype(np.intp)


# Scatter matrices by index array: the same few indices (atom → pair, pair → domain,
# …) are scattered onto many times per estimate, so each matrix is built once. Keyed
# by id with a weak reference to the array itself, which is made read-only so that a
# cached matrix can never describe a changed index.
_SCATTER_CACHE: dict[int, tuple[weakref.ref, int, sparse.csr_matrix]] = {}


def _scatter_matrix(index: np.ndarray, size: int) -> sparse.csr_matrix:
    hit = _SCATTER_CACHE.get(id(index))
    if hit is not None and hit[0]() is index and hit[1] == size:
        return hit[2]
    keep = np.flatnonzero(index >= 0)
    g = sparse.csr_matrix((np.ones(len(keep)), (index[keep], keep)),
                          shape=(size, len(index)))
    try:
        ref = weakref.ref(index)
    except TypeError:  # not weak-referenceable: do not cache
        return g
    index.flags.writeable = False
    for key in [k for k, v in _SCATTER_CACHE.items() if v[0]() is None]:
        del _SCATTER_CACHE[key]
    _SCATTER_CACHE[id(index)] = (ref, size, g)
    return g


def _scatter(index: np.ndarray, size: int, values: np.ndarray) -> np.ndarray:
    """``out[index[p]] += values[p]`` for a (items × columns) array; ``index < 0`` dropped."""
    return np.asarray(_scatter_matrix(index, size) @ values)


# --- The linearised variance -------------------------------------------------


@dataclass
class _DesignConstants:
    """Level-space pieces of the backfitting that do not depend on ``y``."""

    n_level: list[np.ndarray]                 # rows per level of each margin
    cross: dict[tuple[int, int], np.ndarray]  # T[m,m'][l,l'] = Σ psw_m'/psw_m over rows in (l,l')
    prod: dict[tuple[int, int], np.ndarray]   # P[m,m'][l,l'] = Σ psw_m psw_m' (m = m': diagonal)
    psw_sum: list[np.ndarray]                 # p_m[l] = Σ psw_m
    strata: _StrataConstants | None = None


@dataclass
class _StrataConstants:
    """The pieces of a stratified design's variance that do not depend on ``y``.

    ``c_h = (1 − n_h/N_h) · n_h/(n_h − 1)`` weighs each row's square by its
    stratum; ``kprod`` are the prod tables with that weight,
    ``Σ c · psw_m psw_j`` over the rows in ``(l, l')``; ``psw[m][h, l]`` sums
    ``psw_m`` over the rows of stratum ``h`` in level ``l`` (sparse).
    """

    scale: np.ndarray
    rows: np.ndarray
    cell_scale: np.ndarray
    kprod: dict[tuple[int, int], np.ndarray]
    psw: list[sparse.csr_matrix]


def _design_constants(design: WeightedDesign) -> _DesignConstants:
    """Cell sums aggregated to (level, level') tables with ``bincount`` (no dense one-hots)."""
    n_c = np.bincount(design.cell, minlength=design.n_cells).astype(float)
    b1 = np.bincount(design.cell, weights=design.base, minlength=design.n_cells)
    b2 = np.bincount(design.cell, weights=design.base ** 2, minlength=design.n_cells)
    lev, fac = design.margin_level, design.margin_factor
    size = [len(lab) for lab in design.margin_labels]

    def table(m: int, j: int, values: np.ndarray) -> np.ndarray:
        key = lev[m].astype(np.int64) * size[j] + lev[j]
        return np.bincount(key, weights=values, minlength=size[m] * size[j]).reshape(
            size[m], size[j])

    cross, prod = {}, {}
    margins = range(len(size))
    for m in margins:
        for j in margins:
            if m != j:
                cross[m, j] = table(m, j, n_c * fac[j] / fac[m])
                prod[m, j] = table(m, j, b2 * fac[m] * fac[j])
            else:  # one level per row: the (m, m) tables are diagonal, kept as vectors
                prod[m, m] = np.bincount(lev[m], weights=b2 * fac[m] ** 2, minlength=size[m])
    strata = None
    if design.strata is not None:
        scale, stratum = design.fpc_scale, design.cell_stratum
        cell_scale = scale[stratum]
        kb2 = cell_scale * b2
        kprod = {(m, j): table(m, j, kb2 * fac[m] * fac[j]) for m in margins for j in margins
                 if m != j}
        kprod |= {(m, m): np.bincount(lev[m], weights=kb2 * fac[m] ** 2, minlength=size[m])
                  for m in margins}
        psw = [sparse.csr_matrix((b1 * fac[m], (stratum, lev[m])),
                                 shape=(len(scale), size[m])) for m in margins]
        strata = _StrataConstants(scale, design.strata.rows, cell_scale, kprod, psw)
    return _DesignConstants(
        n_level=[np.bincount(lev[m], weights=n_c, minlength=size[m]) for m in margins],
        cross=cross, prod=prod,
        psw_sum=[np.bincount(lev[m], weights=b1 * fac[m], minlength=size[m]) for m in margins],
        strata=strata)


def _linearise(design: WeightedDesign, const: _DesignConstants, sums: dict[str, np.ndarray],
               pair_dom: np.ndarray, pair_cell: np.ndarray, n_dom: int):
    """Weighted means and their variances for every (domain, variable).

    ``sums`` holds per-(pair, variable) sums over answering rows of
    ``w0^a · y^b`` under keys ``"a,b"``.

    The residualised influence values are ``x = x0 − Σ_m psw_m · adj_m[level_m]``
    (see :func:`_backfit`). Without strata ``V = n/(n−1) (Σx² − (Σx)²/n)``,
    with both sums taken in level space (:func:`_residualise`); a stratified
    design goes through :func:`_stratified_variance`.
    """
    f = design.factor[pair_cell][:, None]
    w_sum = _scatter(pair_dom, n_dom, f * sums["1,0"])
    wy_sum = _scatter(pair_dom, n_dom, f * sums["1,1"])
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = wy_sum / w_sum
    ybar = np.nan_to_num(mean)[pair_dom]                     # (pairs, K)
    inv_w = np.where(w_sum > 0, 1 / np.where(w_sum > 0, w_sum, 1), 0.0)[pair_dom]
    if design.stratified:
        var = _stratified_variance(design, const, sums, pair_dom, pair_cell, n_dom, f, ybar,
                                   inv_w)
        return mean, np.maximum(var, 0.0), w_sum
    # Σ x0 and Σ x0² per domain, x0 = w (y − ȳ)/W over answering rows.
    sum_x = _scatter(pair_dom, n_dom, f * (sums["1,1"] - ybar * sums["1,0"]) * inv_w)
    sum_x2 = _scatter(pair_dom, n_dom, f ** 2 * (sums["2,2"] - 2 * ybar * sums["2,1"]
                                                 + ybar ** 2 * sums["2,0"]) * inv_w ** 2)
    if design.calibrated:
        sum_x, sum_x2 = _residualise(design, const, sums, pair_dom, pair_cell, n_dom, f, ybar,
                                     inv_w, sum_x, sum_x2)
    n = design.n
    var = n / (n - 1) * (sum_x2 - sum_x ** 2 / n) if n > 1 else np.full_like(sum_x2, np.nan)
    return mean, np.maximum(var, 0.0), w_sum


def _pair_values(design, sums, pair_cell, f, ybar, inv_w, m: int, kind: str) -> np.ndarray:
    """Per pair: Σ x0/psw_m (``"a"``, what ave() needs) or Σ x0·psw_m (``"b"``, for Σx²)."""
    fm = design.margin_factor[m][pair_cell][:, None]
    if kind == "a":
        return f / fm * (sums["0,1"] - ybar * sums["0,0"]) * inv_w
    return f * fm * (sums["2,1"] - ybar * sums["2,0"]) * inv_w


@dataclass
class _Backfit:
    """The adjustments of R's ten backfitting rounds, in level space.

    ``x = x0 − Σ_m psw_m · adj_m[level_m]``. R's update of margin ``m``
    subtracts ``psw_m · ave_m(x/psw_m)``, which makes
    ``adj_m = (a_m − Σ_{j≠m} T_mj adj_j) / n_m`` with ``a_m = Σ_level x0/psw_m``
    and ``T_mj[l, l'] = Σ psw_j/psw_m`` over the rows in ``(l, l')``. The
    margin with most levels (the areas, ``big``) is never held densely: its
    adjustment is always ``a_L/n_L − Σ_j U_j g_j`` with ``U_j = T_Lj/n_L`` and
    ``g_j`` the other margins' adjustments when it was last updated — sparse
    plus low rank — so thousands of areas cost little. ``a_L/n_L`` is kept
    at the observed (level, domain) combinations only (``s_big``).
    """

    n_dom: int
    k: int
    big: int
    others: list[int]
    ld_lev: np.ndarray           # combination → level of the big margin
    ld_dom: np.ndarray           # combination → domain
    inverse: np.ndarray          # pair → combination
    s_big: np.ndarray            # (combinations, K): a_L/n_L
    u: dict[int, np.ndarray]     # U_j
    adj: dict[int, np.ndarray]   # adj_m of the other margins, (levels, domains × K)
    g: dict[int, np.ndarray]

    def apply(self, mat: np.ndarray, values: np.ndarray) -> np.ndarray:
        """``mat @ values`` for a (rows × big levels) matrix and the sparse big-margin values."""
        r, k, n_dom = mat.shape[0], self.k, self.n_dom
        prod = mat[:, self.ld_lev].T[:, :, None] * values[:, None, :]       # (combos, r, K)
        out = _scatter(self.ld_dom, n_dom, prod.reshape(len(self.ld_lev), r * k))
        return out.reshape(n_dom, r, k).transpose(1, 0, 2).reshape(r, n_dom * k)

    def big_adjustment(self, n_levels: int) -> np.ndarray:
        """``adj_L`` densely, (levels, domains × K): for a block of few domains only."""
        key = self.ld_lev.astype(np.int64) * self.n_dom + self.ld_dom
        dense = _scatter(key, n_levels * self.n_dom, self.s_big).reshape(n_levels,
                                                                          self.n_dom * self.k)
        for j in self.others:
            dense -= self.u[j] @ self.g[j]
        return dense


def _backfit(design, const, sums, pair_dom, pair_cell, n_dom, f, ybar, inv_w) -> _Backfit:
    """Solve R's ten rounds of backfitting on the raking margins (see :class:`_Backfit`)."""
    k = ybar.shape[1]
    cols = n_dom * k
    sizes = [len(lab) for lab in design.margin_labels]
    big = int(np.argmax(sizes))
    others = [m for m in range(len(sizes)) if m != big]

    a = {}
    for m in others:  # dense (level, domain × variable)
        idx = design.margin_level[m][pair_cell] * n_dom + pair_dom
        a[m] = _scatter(idx, sizes[m] * n_dom, _pair_values(
            design, sums, pair_cell, f, ybar, inv_w, m, "a")).reshape(sizes[m], cols)
    # The big margin: only its observed (level, domain) combinations.
    key = design.margin_level[big][pair_cell].astype(np.int64) * n_dom + pair_dom
    combos, inverse = np.unique(key, return_inverse=True)
    inverse = inverse.reshape(-1)
    ld_lev, ld_dom = (combos // n_dom).astype(np.intp), (combos % n_dom).astype(np.intp)
    n_big = const.n_level[big]
    s_big = _scatter(inverse, len(combos), _pair_values(
        design, sums, pair_cell, f, ybar, inv_w, big, "a")) / n_big[ld_lev][:, None]
    u = {j: const.cross[big, j] / n_big[:, None] for j in others}     # U_j
    bf = _Backfit(n_dom, k, big, others, ld_lev, ld_dom, inverse, s_big, u, {}, {})

    c = {m: bf.apply(const.cross[m, big], s_big) for m in others}       # T_mL a_L/n_L
    r_mat = {(m, j): const.cross[m, big] @ u[j] for m in others for j in others}
    adj = {m: np.zeros((sizes[m], cols)) for m in others}
    g = None  # the others' adjustments when the big margin was last updated
    for _ in range(BACKFIT_ROUNDS):
        for m in range(len(sizes)):
            if m == big:
                g = {j: adj[j] for j in others}
                continue
            resid = a[m].copy()
            for j in others:
                if j != m:
                    resid -= const.cross[m, j] @ adj[j]
            if g is not None:
                resid -= c[m] - sum(r_mat[m, j] @ g[j] for j in others)
            adj[m] = resid / const.n_level[m][:, None]
    assert g is not None  # every round updates the big margin
    bf.adj, bf.g = adj, g
    return bf


def _residualise(design, const, sums, pair_dom, pair_cell, n_dom, f, ybar, inv_w, sum_x,
                 sum_x2):
    """Σx and Σx² after R's ten rounds of backfitting on the raking margins."""
    bf = _backfit(design, const, sums, pair_dom, pair_cell, n_dom, f, ybar, inv_w)
    big, others, adj, g, u, s_big = bf.big, bf.others, bf.adj, bf.g, bf.u, bf.s_big
    ld_lev, ld_dom, apply = bf.ld_lev, bf.ld_dom, bf.apply
    sizes = [len(lab) for lab in design.margin_labels]
    b = {}
    for m in others:
        idx = design.margin_level[m][pair_cell] * n_dom + pair_dom
        b[m] = _scatter(idx, sizes[m] * n_dom, _pair_values(
            design, sums, pair_cell, f, ybar, inv_w, m, "b")).reshape(sizes[m], n_dom * bf.k)
    b_big = _scatter(bf.inverse, len(ld_lev), _pair_values(
        design, sums, pair_cell, f, ybar, inv_w, big, "b"))

    sum_x = sum_x.reshape(-1).copy()
    sum_x2 = sum_x2.reshape(-1).copy()
    p_big = const.psw_sum[big]
    sum_x -= apply(p_big[None, :], s_big)[0]
    sum_x2 -= 2 * _scatter(ld_dom, n_dom, s_big * b_big).reshape(-1)
    diag_big = const.prod[big, big]
    sum_x2 += _scatter(ld_dom, n_dom, diag_big[ld_lev][:, None] * s_big ** 2).reshape(-1)
    for j in others:
        sum_x += (p_big @ u[j]) @ g[j]
        sum_x2 += 2 * (g[j] * apply(u[j].T, b_big)).sum(0)
        sum_x2 -= 2 * (g[j] * apply(u[j].T * diag_big[None, :], s_big)).sum(0)
        for j2 in others:
            sum_x2 += (g[j] * (((u[j].T * diag_big[None, :]) @ u[j2]) @ g[j2])).sum(0)
    for m in others:
        sum_x -= const.psw_sum[m] @ adj[m]
        sum_x2 -= 2 * (adj[m] * b[m]).sum(0)
        sum_x2 += (const.prod[m, m][:, None] * adj[m] ** 2).sum(0)
        for j in others:
            if j != m:
                sum_x2 += (adj[m] * (const.prod[m, j] @ adj[j])).sum(0)
        # 2 · adj_m' P_mL adj_L, with adj_L = a_L/n_L − Σ_j U_j g_j
        p_adj_big = apply(const.prod[m, big], s_big) - sum(
            (const.prod[m, big] @ u[j]) @ g[j] for j in others)
        sum_x2 += 2 * (adj[m] * p_adj_big).sum(0)
    return sum_x.reshape(n_dom, bf.k), sum_x2.reshape(n_dom, bf.k)


def _stratified_variance(design, const, sums, pair_dom, pair_cell, n_dom, f, ybar, inv_w):
    """``V = Σ_h c_h Σ_{i∈h} (x_i − x̄_h)²``, R's ``onestage`` with strata and fpc.

    With ``c_h = (1 − n_h/N_h) · n_h/(n_h − 1)`` (:attr:`WeightedDesign.fpc_scale`)
    that is ``Σ_i c_h(i) x_i² − Σ_h (c_h/n_h) X_h²``, ``X_h = Σ_{i∈h} x_i``. Cells
    nest in strata and within a cell ``x_i = x0_i − w0_i · G_c`` with ``G_c =
    Σ_m F_m[c] · adj_m[level_m(c)]`` (:func:`_backfit`), so

    * ``Σ c x² = Σ c x0² − 2 Σ c G · x0 w0 + Σ_{m,j} adj_m' K_mj adj_j``: the
      first two over the observed (domain, cell) pairs, the last with the
      ``c``-weighted prod tables ``K_mj`` in level space;
    * ``X_h = Σ_{i∈h} x0_i − Σ_m Q_m[h, ·] adj_m`` with ``Q_m`` the strata ×
      levels sums of ``psw_m``.

    Arrays are (levels or strata, domains × variables): :func:`_linearise_chunked`
    passes few enough domains at a time.
    """
    st = const.strata
    k = ybar.shape[1]
    cols = n_dom * k
    n_strata = len(st.rows)
    kc = st.cell_scale[pair_cell][:, None]
    x0 = f * (sums["1,1"] - ybar * sums["1,0"]) * inv_w                            # Σ x0
    x0_sq = f ** 2 * (sums["2,2"] - 2 * ybar * sums["2,1"] + ybar ** 2 * sums["2,0"]) \
        * inv_w ** 2                                                                 # Σ x0²
    var = _scatter(pair_dom, n_dom, kc * x0_sq)
    x_h = _scatter(design.cell_stratum[pair_cell] * n_dom + pair_dom, n_strata * n_dom,
                   x0).reshape(n_strata, cols)
    if design.calibrated:
        bf = _backfit(design, const, sums, pair_dom, pair_cell, n_dom, f, ybar, inv_w)
        adj = dict(bf.adj)
        adj[bf.big] = bf.big_adjustment(len(design.margin_labels[bf.big]))
        g = np.zeros_like(x0)                                                       # G at pairs
        for m, a in adj.items():
            g += design.margin_factor[m][pair_cell][:, None] * a.reshape(-1, n_dom, k)[
                design.margin_level[m][pair_cell], pair_dom]
        x0_w0 = f * (sums["2,1"] - ybar * sums["2,0"]) * inv_w                      # Σ x0·w0
        var -= 2 * _scatter(pair_dom, n_dom, kc * g * x0_w0)
        quad = np.zeros(cols)
        for m, a in adj.items():
            quad += (st.kprod[m, m][:, None] * a ** 2).sum(0)
            for j, b in adj.items():
                if j != m:
                    quad += (a * (st.kprod[m, j] @ b)).sum(0)
            x_h -= st.psw[m] @ a
        var += quad.reshape(n_dom, k)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_row = np.where(st.rows > 0, st.scale / st.rows, 0.0)
    var -= (per_row[:, None] * x_h ** 2).sum(0).reshape(n_dom, k)
    return var


def _linearise_chunked(design, const, sums, pair_dom, pair_cell, n_dom):
    """:func:`_linearise` over blocks of domains, bounding the level × domain × variable
    arrays (thousands of areas as both margin and domain would not fit at once)."""
    k = next(iter(sums.values())).shape[1]
    # The widest margin is never dense (see _backfit); the next widest sets the size —
    # unless the design is stratified, whose arrays are (levels or strata) × domains.
    sizes = sorted(len(lab) for lab in design.margin_labels)
    widest = max(sizes[:-1], default=1)
    if design.stratified:
        widest = max([len(design.strata.labels), *sizes])
    step = max(1, int(_LEVEL_SPACE_FLOATS // max(widest * k, 1)))
    if step >= n_dom:
        return _linearise(design, const, sums, pair_dom, pair_cell, n_dom)
    parts = []
    for start in range(0, n_dom, step):
        stop = min(start + step, n_dom)
        sel = (pair_dom >= start) & (pair_dom < stop)
        parts.append(_linearise(design, const, {key: v[sel] for key, v in sums.items()},
                                pair_dom[sel] - start, pair_cell[sel], stop - start))
    return tuple(np.concatenate([p[i] for p in parts]) for i in range(3))


# --- The public API ----------------------------------------------------------


def _kinds(values: pd.DataFrame, kind: Any) -> dict[str, str]:
    if isinstance(kind, str):
        return dict.fromkeys(values.columns, kind)
    kind = dict(kind or {})
    out = {}
    for col in values.columns:
        k = kind.get(col)
        if k is None:
            v = values[col].to_numpy(dtype=float, na_value=np.nan)
            v = v[~np.isnan(v)]
            k = "share" if np.all((v == 0) | (v == 1)) else "mean"
        if k not in ("share", "mean"):
            raise ValueError(f"kind must be 'share' or 'mean', not {k!r}")
        out[col] = k
    return out


def estimate(values: pd.DataFrame | pd.Series, design: WeightedDesign | None = None, *,
             weights: Any = None, by: Any = None, kind: Any = None, total: bool = True,
             ci_method: str = "wilson", level: float = 0.95) -> pd.DataFrame:
    """Shares and means of any columns, overall and by any groups, with SE and CI.

    Parameters
    ----------
    values
        One column per variable, one row per respondent (aligned by position
        with the design). Missing = not in the variable's base.
    design
        A (raked) :class:`~trygghet.weights.WeightedDesign`; or give ``weights`` for an
        uncalibrated weighted design; with neither, unweighted estimates.
    by
        A Series (its name is the ``group_var``), or a dict
        ``{group_var: Series}``; a DataFrame value holds overlapping groups,
        one boolean column per group (e.g. relation bor/arbetar/vistas).
    kind
        ``"share"``/``"mean"``, or a dict per column; by default a column of
        only 0/1 is a share.
    total
        Include the whole sample (``group_var = "total"``, ``group = "Totalt"``).
    ci_method
        For shares: ``"wilson"``, ``"logit"`` or ``"beta"``. Means: t-interval.

    Returns
    -------
    DataFrame
        One row per variable × group: ``variable, kind, group_var, group, n``
        (answering respondents), ``count`` (for a share: how many of them have
        the trait, unweighted; NA for a mean), ``n_domain`` (rows in the
        group), ``df``,
        ``weight_sum``, ``estimate, se, ci_low, ci_high, ci_method``.
    """
    if ci_method not in CI_METHODS:
        raise TrygghetError(f"okänd KI-metod '{ci_method}'", column="estimation.ci_method",
                            hint="välj wilson, logit eller beta")
    if not 0 < level < 1:
        raise TrygghetError("konfidensnivån ska ligga mellan 0 och 1", column="estimation.level")
    if isinstance(values, pd.Series):
        values = values.to_frame(values.name or "value")
    n = len(values)
    if design is None and weights is not None:
        design = WeightedDesign.weighted(weights)
    if design is not None and design.n != n:
        raise ValueError(f"design has {design.n} rows, values have {n}")
    kinds = _kinds(values, kind)
    names = list(values.columns)
    domains = _domains(by, n, total)
    if design is None:
        cell, n_cells, base = np.zeros(n, dtype=np.intp), 1, np.ones(n)
    else:
        cell, n_cells, base = design.cell, design.n_cells, design.base
    const = (_design_constants(design) if design is not None
             and (design.calibrated or design.stratified) else None)
    constant_base = bool(np.all(base == base[0])) if n else True

    # One pass over the rows per variable; the rest works on atoms and pairs.
    atom, atom_cell, atom_doms = _atoms(cell, n_cells, domains)
    n_atoms = len(atom_cell)
    atom_rows = np.bincount(atom, minlength=n_atoms).astype(float)
    atom_nonzero = np.bincount(atom, weights=(base > 0).astype(float), minlength=n_atoms)
    atom_sums, ranges = _atom_sums(values, names, atom, n_atoms, base, constant_base)

    pieces = []
    k = len(names)
    for dom, atom_dom in zip(domains, atom_doms, strict=True):
        atom_pair, pair_dom, pair_cell = _pairs(atom_dom, atom_cell, n_cells)
        n_dom = len(dom.labels)
        domain_rows = _scatter(atom_dom, n_dom, atom_rows[:, None])[:, 0]
        df = _degrees_of_freedom(design, atom_dom, atom_cell, atom_nonzero, n_dom)
        sums = {key: _scatter(atom_pair, len(pair_dom), v) for key, v in atom_sums.items()}
        n_ans = _scatter(pair_dom, n_dom, sums["0,0"])
        # Unweighted Σy: for a share, the answering respondents who have the trait,
        # the count the disclosure rule looks at.
        count = _scatter(pair_dom, n_dom, sums["0,1"])
        if design is None:
            mean, var, w_sum, df_k = _unweighted(sums, pair_dom, n_dom, n_ans, kinds, names)
            rows_for_kg = n_ans
        else:
            mean, var, w_sum = _linearise_chunked(design, const, sums, pair_dom, pair_cell,
                                                  n_dom)
            df_k = np.repeat(df[:, None], k, axis=1)
            # R's nrow() of a domain: all rows if calibrated, the domain's rows otherwise.
            rows_for_kg = np.repeat((np.full(n_dom, float(design.n)) if design.calibrated
                                     else domain_rows)[:, None], k, axis=1)
        if ranges:
            constant = _constant_domains(ranges, atom_dom, n_dom, k) & (n_ans > 0)
            if design is None:  # s/√n needs two answers
                constant &= n_ans > 1
            var = np.where(constant, 0.0, var)
        for j, col in enumerate(names):
            pieces.append(_rows(col, kinds[col], dom, domain_rows, n_ans[:, j], count[:, j],
                                df_k[:, j], w_sum[:, j], mean[:, j], var[:, j],
                                rows_for_kg[:, j], ci_method, level))
    _SCATTER_CACHE.clear()  # the matrices belong to this call's index arrays
    if not pieces:
        return pd.DataFrame(columns=OUTPUT_COLUMNS)
    out = pd.DataFrame({c: np.concatenate([p[c] for p in pieces]) for c in OUTPUT_COLUMNS})
    for c in ("n", "n_domain", "df"):
        out[c] = pd.array(out[c].astype(np.int64), dtype="Int64")
    out["count"] = pd.array(out["count"], dtype="Float64").round().astype("Int64")
    for c in ("variable", "kind", "group_var", "group", "ci_method"):
        out[c] = out[c].astype(str)
    # Variables in input order, then group_vars in the order given.
    out["_v"] = out["variable"].map({c: i for i, c in enumerate(names)})
    gv = list(dict.fromkeys(d.group_var for d in domains))
    out["_g"] = out["group_var"].map({g: i for i, g in enumerate(gv)})
    out = out.sort_values(["_v", "_g"], kind="stable").drop(columns=["_v", "_g"])
    return out.reset_index(drop=True)


OUTPUT_COLUMNS = ["variable", "kind", "group_var", "group", "n", "count", "n_domain", "df",
                  "weight_sum", "estimate", "se", "ci_low", "ci_high", "ci_method"]


def _atom_sums(values: pd.DataFrame, names: list[str], atom: np.ndarray, n_atoms: int,
               base: np.ndarray, constant_base: bool):
    """Per (atom, variable): sums of ``w0^a · y^b`` over answering rows, keys ``"a,b"``.

    With a constant base weight ``b`` (simple random sampling) only the
    unweighted sums are taken and scaled by ``b^a``. Also returns, for every
    variable that is not 0/1, the smallest and largest answer per atom
    (``inf``/``−inf`` where none): see :func:`_constant_domains`.
    """
    keys = ["0,0", "0,1", "0,2"] if constant_base else \
        ["0,0", "0,1", "0,2", "1,0", "1,1", "2,0", "2,1", "2,2"]
    out = {key: np.empty((n_atoms, len(names))) for key in keys}
    if all(d == np.float64 for d in values.dtypes):
        matrix = values.to_numpy()  # one float block (respondent_values): a view, no copy
    else:
        matrix = values.to_numpy(dtype=float, na_value=np.nan)
    atom3 = atom.astype(np.int64) * 3
    ranges: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for j in range(len(names)):
        y = matrix[:, j]
        answered = ~np.isnan(y)
        binary = not np.any((y != 0) & (y != 1) & answered)
        if not binary:
            lo, hi = np.full(n_atoms, np.inf), np.full(n_atoms, -np.inf)
            np.fmin.at(lo, atom, y)  # fmin/fmax skip the NaN of a missing answer
            np.fmax.at(hi, atom, y)
            ranges[j] = lo, hi
        if constant_base and binary:
            # A 0/1 indicator: one integer bincount of (atom, 0 | 1 | missing) gives
            # every sum (y² = y), exactly as the weighted bincounts would.
            code = (y == 1).view(np.int8) + 2 * (~answered).view(np.int8)
            counts = np.bincount(atom3 + code, minlength=3 * n_atoms).reshape(n_atoms, 3)
            out["0,0"][:, j] = counts[:, 0] + counts[:, 1]
            out["0,1"][:, j] = counts[:, 1]
            out["0,2"][:, j] = counts[:, 1]
            continue
        yf = np.where(answered, y, 0.0)
        rows = {"0,0": answered.astype(float), "0,1": yf, "0,2": yf * yf}
        if not constant_base:
            w1, w2 = base * answered, base * base * answered
            rows.update({"1,0": w1, "1,1": w1 * yf, "2,0": w2, "2,1": w2 * yf,
                         "2,2": w2 * yf * yf})
        for key in keys:
            out[key][:, j] = np.bincount(atom, weights=rows[key], minlength=n_atoms)
    if constant_base:
        b = float(base[0]) if len(base) else 1.0
        out.update({"1,0": b * out["0,0"], "1,1": b * out["0,1"], "2,0": b * b * out["0,0"],
                    "2,1": b * b * out["0,1"], "2,2": b * b * out["0,2"]})
    return out, ranges


def _constant_domains(ranges: dict[int, tuple[np.ndarray, np.ndarray]], atom_dom: np.ndarray,
                      n_dom: int, k: int) -> np.ndarray:
    """(domain, variable): every answer in the domain is the same value.

    There every ``y − ȳ`` and so every influence value is zero, and R's
    variance is exactly 0 (``svymean`` centres each answer on the mean before
    it sums). The expanded sums ``Σw²y² − 2ȳΣw²y + ȳ²Σw²`` leave rounding
    noise of about ``1e-8 · ȳ`` in the SE there instead; a 0/1 variable never
    does (its sums are then exactly equal), so only other variables are
    checked.
    """
    out = np.zeros((n_dom, k), dtype=bool)
    inside = atom_dom >= 0
    for j, (lo, hi) in ranges.items():
        d_lo, d_hi = np.full(n_dom, np.inf), np.full(n_dom, -np.inf)
        np.fmin.at(d_lo, atom_dom[inside], lo[inside])
        np.fmax.at(d_hi, atom_dom[inside], hi[inside])
        out[:, j] = d_lo == d_hi
    return out


def _degrees_of_freedom(design, atom_dom, atom_cell, atom_nonzero, n_dom) -> np.ndarray:
    """R's ``degf()`` of each domain: rows with non-zero weight minus strata among them.

    Rows with a missing answer count. A domain whose rows all have weight 0
    has 0 (R: no rows, no strata), never −1.
    """
    nonzero = _scatter(atom_dom, n_dom, atom_nonzero[:, None])[:, 0]
    if design is None or not design.stratified:
        return nonzero - (nonzero > 0)
    n_strata = len(design.strata.labels)
    keep = (atom_dom >= 0) & (atom_nonzero > 0)
    key = np.unique(atom_dom[keep].astype(np.int64) * n_strata
                    + design.cell_stratum[atom_cell[keep]])
    return nonzero - np.bincount(key // n_strata, minlength=n_dom)


def _unweighted(sums, pair_dom, n_dom, n_ans, kinds, cols):
    """Plain figures of the respondents: binomial SE for shares, s/√n for means."""
    sy = _scatter(pair_dom, n_dom, sums["0,1"])
    syy = _scatter(pair_dom, n_dom, sums["0,2"])
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = sy / n_ans
        share = np.array([kinds[c] == "share" for c in cols])[None, :]
        ss = np.maximum(syy - n_ans * mean ** 2, 0.0)  # Σ(y − ȳ)²
        var = np.where(share, mean * (1 - mean) / n_ans, ss / (n_ans - 1) / n_ans)
    return mean, var, n_ans.copy(), np.maximum(n_ans - 1, 0)


def _rows(col, kind, dom, domain_rows, n_ans, count, df, w_sum, mean, var, rows_for_kg,
          ci_method, level) -> dict[str, np.ndarray]:
    keep = domain_rows > 0
    se = np.sqrt(var)
    q = t_quantile(df, level)
    if kind == "mean":
        method = "t"
        low, high = mean - q * se, mean + q * se
    elif ci_method == "wilson":
        method = "wilson"
        low, high = wilson_interval(mean, effective_n(mean, var, n_ans), q)
    elif ci_method == "logit":
        method = "logit"
        low, high = logit_interval(mean, se, q)
    else:
        method = "beta"
        low, high = korn_graubard_interval(mean, var, n_ans, df, rows_for_kg, level)
    empty = (n_ans == 0) | np.isnan(mean)  # no answers, or only answers of weight 0
    rows = int(keep.sum())

    def nan(a):
        return np.where(empty, np.nan, a)[keep]

    return {
        "variable": np.full(rows, col, dtype=object),
        "kind": np.full(rows, kind, dtype=object),
        "group_var": np.full(rows, dom.group_var, dtype=object),
        "group": np.asarray(dom.labels, dtype=object)[keep],
        "n": n_ans[keep].round(),
        "count": (np.where(empty, np.nan, count) if kind == "share"
                  else np.full(len(count), np.nan))[keep],
        "n_domain": domain_rows[keep],
        "df": np.asarray(df, dtype=float)[keep].round(),
        "weight_sum": w_sum[keep],
        "estimate": nan(mean),
        "se": nan(se),
        "ci_low": nan(low),
        "ci_high": nan(high),
        "ci_method": np.full(rows, method, dtype=object),
    }
