"""Estimates: weighted shares and means with design-based standard errors and CIs.

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
   stage, no strata, with-replacement approximation, no fpc).

The implementation never builds ``x``: weights are constant within a raking
cell up to the base weight, so all sums in steps 2–3 reduce to per-(domain,
cell) sums of the answers (one ``bincount`` per variable over the rows) and
small level × level matrices of design constants; the margin with most
levels is carried as sparse plus low rank (see :func:`_residualise`). That
is R's arithmetic reorganised: a million rows, 33 variables, by 2,900 areas
raked on those areas, take under two seconds.

Degrees of freedom ``df = (rows of the domain with non-zero weight) − 1``,
rows with a missing answer included — R's ``degf()`` of the domain design.

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
from .weights import Design

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


def _design_constants(design: Design) -> _DesignConstants:
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
    return _DesignConstants(
        n_level=[np.bincount(lev[m], weights=n_c, minlength=size[m]) for m in margins],
        cross=cross, prod=prod,
        psw_sum=[np.bincount(lev[m], weights=b1 * fac[m], minlength=size[m]) for m in margins])


def _linearise(design: Design, const: _DesignConstants, sums: dict[str, np.ndarray],
               pair_dom: np.ndarray, pair_cell: np.ndarray, n_dom: int):
    """Weighted means and their variances for every (domain, variable).

    ``sums`` holds per-(pair, variable) sums over answering rows of
    ``w0^a · y^b`` under keys ``"a,b"``.

    The residualised influence values are ``x = x0 − Σ_m psw_m · adj_m[level_m]``.
    R's update of margin ``m`` subtracts ``psw_m · ave_m(x/psw_m)``, which makes
    ``adj_m = (a_m − Σ_{j≠m} T_mj adj_j) / n_m`` with ``a_m = Σ_level x0/psw_m``
    and ``T_mj[l, l'] = Σ psw_j/psw_m`` over the rows in ``(l, l')``. Only
    level-space arrays are used. The margin with most levels (the areas) is
    never held densely: its adjustment is always ``a_L/n_L − Σ_j U_j g_j`` with
    ``U_j = T_Lj/n_L`` and ``g_j`` the other margins' adjustments when it was
    last updated — sparse plus low rank — so thousands of areas cost little.
    """
    f = design.factor[pair_cell][:, None]
    w_sum = _scatter(pair_dom, n_dom, f * sums["1,0"])
    wy_sum = _scatter(pair_dom, n_dom, f * sums["1,1"])
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = wy_sum / w_sum
    ybar = np.nan_to_num(mean)[pair_dom]                     # (pairs, K)
    inv_w = np.where(w_sum > 0, 1 / np.where(w_sum > 0, w_sum, 1), 0.0)[pair_dom]
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


def _residualise(design, const, sums, pair_dom, pair_cell, n_dom, f, ybar, inv_w, sum_x,
                 sum_x2):
    """Σx and Σx² after R's ten rounds of backfitting on the raking margins."""
    k = sum_x.shape[1]
    cols = n_dom * k
    sizes = [len(lab) for lab in design.margin_labels]
    big = int(np.argmax(sizes))
    others = [m for m in range(len(sizes)) if m != big]

    def pair_values(m: int, kind: str) -> np.ndarray:
        # Per pair: Σ x0/psw_m ("a", what ave() needs) or Σ x0·psw_m ("b", for Σx²).
        fm = design.margin_factor[m][pair_cell][:, None]
        if kind == "a":
            return f / fm * (sums["0,1"] - ybar * sums["0,0"]) * inv_w
        return f * fm * (sums["2,1"] - ybar * sums["2,0"]) * inv_w

    a, b = {}, {}
    for m in others:  # dense (level, domain × variable)
        idx = design.margin_level[m][pair_cell] * n_dom + pair_dom
        a[m] = _scatter(idx, sizes[m] * n_dom, pair_values(m, "a")).reshape(sizes[m], cols)
        b[m] = _scatter(idx, sizes[m] * n_dom, pair_values(m, "b")).reshape(sizes[m], cols)
    # The big margin: only its observed (level, domain) combinations.
    key = design.margin_level[big][pair_cell].astype(np.int64) * n_dom + pair_dom
    combos, inverse = np.unique(key, return_inverse=True)
    inverse = inverse.reshape(-1)
    ld_lev, ld_dom = (combos // n_dom).astype(np.intp), (combos % n_dom).astype(np.intp)
    n_big = const.n_level[big]
    s_big = _scatter(inverse, len(combos), pair_values(big, "a")) / n_big[ld_lev][:, None]
    b_big = _scatter(inverse, len(combos), pair_values(big, "b"))

    def apply(mat: np.ndarray, values: np.ndarray) -> np.ndarray:
        """``mat @ values`` for a (rows × big levels) matrix and the sparse big-margin values."""
        r = mat.shape[0]
        prod = mat[:, ld_lev].T[:, :, None] * values[:, None, :]       # (combos, r, K)
        out = _scatter(ld_dom, n_dom, prod.reshape(len(combos), r * k))
        return out.reshape(n_dom, r, k).transpose(1, 0, 2).reshape(r, cols)

    u = {j: const.cross[big, j] / n_big[:, None] for j in others}     # U_j
    c = {m: apply(const.cross[m, big], s_big) for m in others}          # T_mL a_L/n_L
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
    return sum_x.reshape(n_dom, k), sum_x2.reshape(n_dom, k)


def _linearise_chunked(design, const, sums, pair_dom, pair_cell, n_dom):
    """:func:`_linearise` over blocks of domains, bounding the level × domain × variable
    arrays (thousands of areas as both margin and domain would not fit at once)."""
    k = next(iter(sums.values())).shape[1]
    # The widest margin is never dense (see _residualise); the next widest sets the size.
    widest = max(sorted(len(lab) for lab in design.margin_labels)[:-1], default=1)
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


def estimate(values: pd.DataFrame | pd.Series, design: Design | None = None, *,
             weights: Any = None, by: Any = None, kind: Any = None, total: bool = True,
             ci_method: str = "wilson", level: float = 0.95) -> pd.DataFrame:
    """Shares and means of any columns, overall and by any groups, with SE and CI.

    Parameters
    ----------
    values
        One column per variable, one row per respondent (aligned by position
        with the design). Missing = not in the variable's base.
    design
        A (raked) :class:`~trygghet.weights.Design`; or give ``weights`` for an
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
        design = Design.weighted(weights)
    if design is not None and design.n != n:
        raise ValueError(f"design has {design.n} rows, values have {n}")
    kinds = _kinds(values, kind)
    names = list(values.columns)
    domains = _domains(by, n, total)
    if design is None:
        cell, n_cells, base = np.zeros(n, dtype=np.intp), 1, np.ones(n)
    else:
        cell, n_cells, base = design.cell, design.n_cells, design.base
    const = _design_constants(design) if design is not None and design.calibrated else None
    constant_base = bool(np.all(base == base[0])) if n else True

    # One pass over the rows per variable; the rest works on atoms and pairs.
    atom, atom_cell, atom_doms = _atoms(cell, n_cells, domains)
    n_atoms = len(atom_cell)
    atom_rows = np.bincount(atom, minlength=n_atoms).astype(float)
    atom_nonzero = np.bincount(atom, weights=(base > 0).astype(float), minlength=n_atoms)
    atom_sums = _atom_sums(values, names, atom, n_atoms, base, constant_base)

    pieces = []
    k = len(names)
    for dom, atom_dom in zip(domains, atom_doms, strict=True):
        atom_pair, pair_dom, pair_cell = _pairs(atom_dom, atom_cell, n_cells)
        n_dom = len(dom.labels)
        domain_rows = _scatter(atom_dom, n_dom, atom_rows[:, None])[:, 0]
        df = _scatter(atom_dom, n_dom, atom_nonzero[:, None])[:, 0] - 1
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
               base: np.ndarray, constant_base: bool) -> dict[str, np.ndarray]:
    """Per (atom, variable): sums of ``w0^a · y^b`` over answering rows, keys ``"a,b"``.

    With a constant base weight ``b`` (simple random sampling) only the
    unweighted sums are taken and scaled by ``b^a``.
    """
    keys = ["0,0", "0,1", "0,2"] if constant_base else \
        ["0,0", "0,1", "0,2", "1,0", "1,1", "2,0", "2,1", "2,2"]
    out = {key: np.empty((n_atoms, len(names))) for key in keys}
    if all(d == np.float64 for d in values.dtypes):
        matrix = values.to_numpy()  # one float block (respondent_values): a view, no copy
    else:
        matrix = values.to_numpy(dtype=float, na_value=np.nan)
    atom3 = atom.astype(np.int64) * 3
    for j in range(len(names)):
        y = matrix[:, j]
        answered = ~np.isnan(y)
        if constant_base and not np.any((y != 0) & (y != 1) & answered):
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
    return out


def _unweighted(sums, pair_dom, n_dom, n_ans, kinds, cols):
    """Plain figures of the respondents: binomial SE for shares, s/√n for means."""
    sy = _scatter(pair_dom, n_dom, sums["0,1"])
    syy = _scatter(pair_dom, n_dom, sums["0,2"])
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = sy / n_ans
        share = np.array([kinds[c] == "share" for c in cols])[None, :]
        ss = np.maximum(syy - n_ans * mean ** 2, 0.0)  # Σ(y − ȳ)²
        var = np.where(share, mean * (1 - mean) / n_ans, ss / (n_ans - 1) / n_ans)
    return mean, var, n_ans.copy(), n_ans - 1


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
    empty = n_ans == 0
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


# --- A survey year: the estimates table of the output contract -----------------

ESTIMATE_COLUMNS = ["year", "indicator", "kind", "group_var", "group", "estimate_type", "n",
                    "count", "estimate", "se", "ci_low", "ci_high", "ci_method", "df",
                    "generalisable", "model_based", "sampling", "questions", "suppressed",
                    "suppression_reason", "symbol", "band", "note"]
NOTES = {
    "unweighted": "Andel av de svarande (ovägd). Ej slumpmässigt urval – resultaten kan inte "
                  "generaliseras till befolkningen.",
    "adjusted": "Modellbaserad justering: de svarande kalibrerade mot befolkningens fördelning "
                "({margins}). Intervallet är indikativt, inte en felmarginal.",
    "weighted": "",
}


@dataclass
class SurveyEstimates:
    """Everything the estimation stage computes for one survey year.

    ``estimates`` follows the output contract but is *not yet* through
    disclosure control (:func:`trygghet.suppress.protect`); ``weights`` has
    ``respondent_id, weight`` for the raked respondents; ``diagnostics`` is
    what ``weighting.json`` holds.
    """

    estimates: pd.DataFrame
    weights: pd.DataFrame | None
    diagnostics: dict[str, Any]


def group_columns(responses: pd.DataFrame, names: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """Groupings for :func:`estimate` from canonical columns.

    A single-choice column (sex, area, …) is a partition; a multi-select
    question (relation) gives overlapping groups, one per option, labelled
    by the option (``bor``, ``arbetar``, ``vistas``).
    """
    from .schema import QUESTIONS, option_column

    out: dict[str, Any] = {}
    for name in names:
        q = QUESTIONS.get(name)
        if q is not None and q.kind == "multi":
            out[name] = pd.DataFrame({lev: responses[option_column(name, lev)]
                                      for lev in q.scale.levels}, index=responses.index)
        elif name in responses.columns and (q is None or q.kind == "single"):
            out[name] = responses[name]
        else:
            raise TrygghetError(f"kan inte redovisa efter '{name}': ingen sådan "
                                "bakgrundsfråga", column="estimation.by")
    return out


def estimate_survey(responses: pd.DataFrame, population: pd.DataFrame | None,
                    settings: dict[str, Any] | None = None) -> SurveyEstimates:
    """Weights and estimates of every indicator × group for one survey year.

    The year's design (``responses.attrs["sampling"]``) decides the method:

    * ``probability`` — rake all respondents to the population margins
      (a respondent who cannot be raked is an error) and publish weighted
      estimates with design-based CIs (``estimate_type = "weighted"``).
    * ``opt_in`` — the primary figures are unweighted shares *of the
      respondents* (``"unweighted"``, not generalisable). Beside them sits a
      raked, model-based ``"adjusted"`` estimate with an indicative interval;
      respondents who cannot be raked (no sex/age/area, "Annat område") are
      left out of that one only, and counted in the diagnostics.

    Indicators whose questions were not asked that year get rows with
    ``suppression_reason = "not_asked"`` (symbol ``.``).
    """
    from .config import DEFAULT_SETTINGS
    from .indicators import INDICATORS, respondent_values

    settings = settings or DEFAULT_SETTINGS
    wset = {**DEFAULT_SETTINGS["weighting"], **settings.get("weighting", {})}
    eset = {**DEFAULT_SETTINGS["estimation"], **settings.get("estimation", {})}
    attrs = responses.attrs
    sampling = attrs.get("sampling")
    if sampling not in ("opt_in", "probability"):
        raise TrygghetError("okänd urvalsdesign för året (attrs['sampling'])",
                            hint="mappningens design.sampling ska vara opt_in eller probability")
    year = _survey_year(responses)
    not_asked = set(attrs.get("not_asked", []))
    values = respondent_values(responses)
    kinds = {name: INDICATORS[name].kind for name in values.columns}
    by = group_columns(responses, eset["by"])
    est_args = {"kind": kinds, "ci_method": eset["ci_method"], "level": eset["level"]}
    rake_args = _rake_args(wset)
    diagnostics: dict[str, Any] = {"year": year, "sampling": sampling,
                                   "respondents": len(responses)}
    frames, weights = [], None

    if sampling == "probability":
        raking = _rake_probability(responses, population, rake_args, year)
        frames.append(_typed(estimate(values, raking.design, by=by, **est_args),
                             "weighted", generalisable=True, model_based=False))
        diagnostics["weighting"] = raking.diagnostics
        weights = _weights_frame(responses, raking)
    else:
        frames.append(_typed(estimate(values, None, by=by, **est_args), "unweighted",
                             generalisable=False, model_based=False))
        if population is None:
            diagnostics["weighting"] = None
            diagnostics["adjusted"] = "ingen befolkningsfil: ingen justerad skattning"
        else:
            raking = _rake_or_base(responses, population, {**rake_args,
                                                           "unrakeable": "exclude"})
            keep = raking.included
            sub_by = {k: (v[keep]) for k, v in by.items()}
            adjusted = estimate(values[keep], raking.design, by=sub_by, **est_args)
            note = NOTES["adjusted"].format(margins=", ".join(_margin_text(m)
                                                              for m in wset["margins"]))
            frames.append(_typed(adjusted, "adjusted", generalisable=False, model_based=True,
                                 note=note))
            diagnostics["weighting"] = raking.diagnostics
            weights = _weights_frame(responses, raking)

    table = pd.concat(frames, ignore_index=True)
    table.insert(0, "year", year)
    table = table.rename(columns={"variable": "indicator"})
    table["sampling"] = sampling
    asked = {name: ",".join(q for q in ind.questions if q not in not_asked)
             for name, ind in INDICATORS.items()}
    table["questions"] = table["indicator"].map(asked).fillna("")
    unavailable = table["questions"].eq("")
    table["suppressed"] = unavailable.to_numpy()
    table["suppression_reason"] = np.where(unavailable, "not_asked", "")
    table["symbol"] = ""
    table["band"] = ""
    # Keep the first estimate type of each indicator × group first (primary, then adjusted).
    order = {t: i for i, t in enumerate(("weighted", "unweighted", "adjusted"))}
    ind_order = {name: i for i, name in enumerate(INDICATORS)}
    table = table.assign(_i=table["indicator"].map(ind_order),
                         _t=table["estimate_type"].map(order))
    table = table.sort_values(["_i", "_t"], kind="stable").drop(columns=["_i", "_t"])
    return SurveyEstimates(estimates=table[ESTIMATE_COLUMNS].reset_index(drop=True),
                           weights=weights, diagnostics=diagnostics)


def primary_design(responses: pd.DataFrame, population: pd.DataFrame | None,
                   settings: dict[str, Any] | None = None) -> Design | None:
    """The design of the year's primary estimates, for an analyst's own breakdowns.

    A random sample is raked exactly as :func:`estimate_survey` rakes it; an
    opt-in survey has no design (``None``): its primary figures are the plain
    shares of the respondents. Pass the result to :func:`estimate`.
    """
    from .config import DEFAULT_SETTINGS

    settings = settings or DEFAULT_SETTINGS
    if responses.attrs.get("sampling") != "probability":
        return None
    wset = {**DEFAULT_SETTINGS["weighting"], **settings.get("weighting", {})}
    return _rake_probability(responses, population, _rake_args(wset),
                             _survey_year(responses)).design


def _rake_args(wset: dict[str, Any]) -> dict[str, Any]:
    return {"margins": wset["margins"], "tolerance": wset["tolerance"],
            "max_iter": wset["max_iter"], "trim": wset["trim"], "collapse": wset["collapse"]}


def _survey_year(responses: pd.DataFrame) -> int:
    return int(responses.attrs.get("year") or responses["year"].dropna().iloc[0])


def _rake_probability(responses, population, rake_args, year: int):
    """A random sample must be weighted: rake it, or say that the population is missing."""
    if population is None:
        raise TrygghetError(f"befolkningsuppgifter saknas för {year}: ett slumpmässigt "
                            "urval måste vägas", hint=f"lägg in population_{year}.csv "
                            "(dimension,level,population) i data/reference/")
    return _rake_or_base(responses, population, rake_args)


def _margin_text(margin: str) -> str:
    names = {"sex": "kön", "age_group": "ålder", "area": "område"}
    return " × ".join(names.get(v, v) for v in margin.split(":"))


def _rake_or_base(responses, population, args):
    """Rake; with no margins configured, the base weights ``N/n`` alone."""
    from .weights import Raking, check_population, kish, rake

    if args["margins"]:
        return rake(responses, population, **args)
    pop = check_population(population)
    total = float(pop.groupby("dimension")["population"].sum().iloc[0])
    w = np.full(len(responses), total / len(responses))
    return Raking(weights=pd.Series(w, index=responses.index, name="weight"),
                  design=Design.weighted(w), included=np.ones(len(responses), dtype=bool),
                  diagnostics={"n": len(w), "population": total, "kish_n_eff": kish(w),
                               "deff": 1.0, "margins": {}, "excluded": 0})


def _weights_frame(responses: pd.DataFrame, raking) -> pd.DataFrame:
    ids = (responses["respondent_id"] if "respondent_id" in responses.columns
           else pd.Series(responses.index.astype(str), index=responses.index))
    return pd.DataFrame({"respondent_id": ids[raking.included].astype(str).to_numpy(),
                         "weight": raking.weights.to_numpy()})


def _typed(frame: pd.DataFrame, estimate_type: str, *, generalisable: bool, model_based: bool,
           note: str | None = None) -> pd.DataFrame:
    out = frame.drop(columns=["n_domain", "weight_sum"])
    out["estimate_type"] = estimate_type
    out["generalisable"] = generalisable
    out["model_based"] = model_based
    out["note"] = NOTES[estimate_type] if note is None else note
    if estimate_type == "unweighted":
        out.loc[out["kind"] == "mean", "note"] = out["note"].str.replace(
            "Andel av de svarande", "Medelvärde för de svarande", regex=False)
    return out


def add_bands(table: pd.DataFrame) -> pd.DataFrame:
    """Fill ``band`` with the text label of an index value (``indices.yml``); "" otherwise."""
    from .indicators import band

    out = table.copy()
    is_mean = out["kind"].eq("mean") & out["estimate"].notna()
    out["band"] = [band(v) or "" if m else ""
                   for v, m in zip(out["estimate"].to_numpy(dtype=float, na_value=np.nan),
                                   is_mean, strict=True)]
    return out


# --- Change between years -------------------------------------------------------

CHANGE_COLUMNS = ["year_from", "year_to", "indicator", "kind", "group_var", "group",
                  "estimate_type_from", "estimate_type_to", "estimate_from", "estimate_to",
                  "n_from", "n_to", "n", "diff", "se", "ci_low", "ci_high", "significant",
                  "series_break", "note", "suppressed", "suppression_reason", "symbol"]
PRIMARY = ("weighted", "unweighted")


def changes(earlier: pd.DataFrame, later: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Change of every indicator × group between two years' *published* estimates.

    ``diff = later − earlier`` (for shares a difference of proportions, i.e.
    procentenheter / 100). Between two probability samples asking the same
    questions, the two estimates are independent: ``SE = √(SE₁² + SE₂²)``,
    CI ``diff ± z·SE`` (normal ``z``), *significant* when the CI excludes 0.

    A **series break** — a change of design (opt-in ↔ probability sample)
    or of the questions behind the indicator — gets ``series_break = True``,
    no SE, CI or significance (NA), and a Swedish note saying why. Two opt-in
    years are no break but allow no inference either. A side that is
    suppressed suppresses the change (``secondary``; ``not_asked`` if the
    question was not asked).
    """
    keys = ["indicator", "kind", "group_var", "group"]
    cols = keys + ["year", "estimate_type", "estimate", "se", "n", "sampling", "questions",
                   "suppressed", "suppression_reason"]
    a = earlier[earlier["estimate_type"].isin(PRIMARY)][cols]
    b = later[later["estimate_type"].isin(PRIMARY)][cols]
    m = a.merge(b, on=keys, suffixes=("_from", "_to"), how="inner")
    if m.empty:
        return pd.DataFrame(columns=CHANGE_COLUMNS)
    y0, y1 = int(m["year_from"].iloc[0]), int(m["year_to"].iloc[0])
    s0, s1 = m["sampling_from"].iloc[0], m["sampling_to"].iloc[0]
    design_break = s0 != s1
    both_opt_in = s0 == s1 == "opt_in"
    question_break = (m["questions_from"] != m["questions_to"]) & (m["questions_from"] != "") \
        & (m["questions_to"] != "")
    brk = design_break | question_break.to_numpy()
    inference = ~brk & (not both_opt_in)

    est0 = m["estimate_from"].to_numpy(dtype=float, na_value=np.nan)
    est1 = m["estimate_to"].to_numpy(dtype=float, na_value=np.nan)
    se0 = m["se_from"].to_numpy(dtype=float, na_value=np.nan)
    se1 = m["se_to"].to_numpy(dtype=float, na_value=np.nan)
    diff = est1 - est0
    se = np.where(inference, np.sqrt(se0 ** 2 + se1 ** 2), np.nan)
    z = special.ndtri(0.5 + level / 2)
    low, high = diff - z * se, diff + z * se
    significant = pd.array(np.where(np.isnan(se), None, (low > 0) | (high < 0)),
                           dtype="boolean")

    design_names = {"opt_in": "en självselekterad webbenkät", "probability":
                    "ett slumpmässigt urval"}
    notes = np.full(len(m), "", dtype=object)
    if both_opt_in:
        notes[:] = (f"Både {y0} och {y1} är självselekterade webbenkäter: förändringen kan "
                    "inte signifikansprövas.")
    notes[question_break.to_numpy()] = (f"Seriebrott: frågorna bakom indikatorn skiljer sig "
                                        f"mellan {y0} och {y1}. Ingen slutsats om förändring "
                                        "kan dras.")
    if design_break:
        notes[:] = (f"Seriebrott: {y0} var {design_names.get(s0, s0)}, {y1} "
                    f"{design_names.get(s1, s1)}. Åren visas var för sig; ingen slutsats om "
                    "förändring kan dras.")
    not_asked = (m["suppression_reason_from"].eq("not_asked")
                 | m["suppression_reason_to"].eq("not_asked")).to_numpy()
    hidden = (m["suppressed_from"].astype(bool) | m["suppressed_to"].astype(bool)).to_numpy()
    reason = np.where(not_asked, "not_asked", np.where(hidden, "secondary", ""))
    for col, y in (("suppression_reason_from", y0), ("suppression_reason_to", y1)):
        notes[m[col].eq("not_asked").to_numpy()] = f"Frågan ställdes inte {y}."
    notes[(reason == "secondary")] = ("Minst ett av åren redovisas inte (för få svarande "
                                      "eller röjanderisk): förändringen redovisas inte heller.")
    n0 = m["n_from"].astype("Int64")
    n1 = m["n_to"].astype("Int64")
    out = pd.DataFrame({
        "year_from": y0, "year_to": y1,
        "indicator": m["indicator"], "kind": m["kind"], "group_var": m["group_var"],
        "group": m["group"],
        "estimate_type_from": m["estimate_type_from"], "estimate_type_to": m["estimate_type_to"],
        "estimate_from": est0, "estimate_to": est1, "n_from": n0, "n_to": n1,
        "n": pd.concat([n0, n1], axis=1).min(axis=1, skipna=False).astype("Int64"),
        "diff": diff, "se": se, "ci_low": low, "ci_high": high, "significant": significant,
        "series_break": brk, "note": notes.astype(str),
        "suppressed": reason != "", "suppression_reason": reason, "symbol": "",
    })
    return out[CHANGE_COLUMNS].reset_index(drop=True)
