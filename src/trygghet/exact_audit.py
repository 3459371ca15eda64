"""The exact disclosure audit of a table whose respondents are at hand.

:func:`trygghet.suppress.protect` audits a table from its figures alone: it
writes the nestings down as equations ``parent = Σ children`` and derives, one
equation at a time, every cell an attacker can compute (:mod:`trygghet.differences`).
One equation at a time is not the whole linear system. In a crossed table
(sex × area) whose hidden cells do not form a rectangle, an attacker who adds
and subtracts several margins — the total, less the men, less one area, plus
the men of that area, less one published cell — can pin down a group no single
equation names: the women without a stated area and those without a stated
sex in one area, say, three people together. Tables of the published report
have one grouping per total and no such cycles; an analyst's crossed or
filtered table does.

Where the respondents are at hand, the question can be answered exactly.
Respondents fall into *atoms*: those in the same rows of the table, with the
same answer (trait or not). Each published figure is a sum over atoms (a
row's ``n``, and for a share its ``count``); what an attacker can compute is
every linear combination of them, and a combination that adds up exactly a
set of atoms reveals the size of that group. The audit asks whether any set of
atoms holding 1 to ``min_cell − 1`` people lies in that span.

The search is exact and small. A set of fewer than ``min_cell`` people holds
no atom of ``min_cell`` or more, so its coefficients ``λ`` over the published
figures annul every large atom: ``λ`` lies in a subspace ``L`` (usually of low
dimension), and on the small atoms the set is ``g = H μ`` for ``μ`` in ``L``'s
coordinates. A set is determined by its values on ``rank(H)`` independent
atoms, so it suffices to try every 0/1 choice of at most ``min_cell − 1`` of
them (:func:`pinned_group`). Atoms no published figure tells apart are merged
first. If the choices are too many to try, the answer is "cannot tell" and
the caller withholds the table (:func:`audit`).

This is the test suite's reference (``tests/test_suppress.py``: every set of
atoms in the row space of the published figures) as a function, run on the
respondents of an analyst's table by :mod:`trygghet.workbench`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy import linalg

#: More 0/1 choices than this and the search gives up ("cannot tell").
MAX_CHOICES = 3_000_000
_TOL = 1e-7


@dataclass(frozen=True)
class Atoms:
    """Respondents grouped by the rows they are counted in and their answer.

    ``members`` (atoms × rows) says which rows count the atom in their ``n``;
    ``trait`` is 1/0 per atom (``None`` for a mean, which publishes no count);
    ``counts`` the respondents per atom.
    """

    members: np.ndarray
    trait: np.ndarray | None
    counts: np.ndarray

    @classmethod
    def of(cls, members: np.ndarray, trait: np.ndarray | None = None,
           counts: np.ndarray | None = None) -> Atoms:
        """Atoms of respondents (``members``: respondents × rows, those who answered).

        ``counts`` gives each row's weight when ``members`` already lists groups.
        """
        members = np.asarray(members, dtype=bool)
        key = members if trait is None else np.column_stack([members, np.asarray(trait) > 0])
        weight = np.ones(len(members)) if counts is None else np.asarray(counts, dtype=float)
        if not len(key):
            return cls(members[:0], None if trait is None else np.zeros(0), np.zeros(0))
        uniq, inverse = np.unique(key, axis=0, return_inverse=True)
        total = np.bincount(inverse.reshape(-1), weights=weight, minlength=len(uniq))
        keep = total > 0
        uniq, total = uniq[keep], total[keep]
        return cls(uniq[:, :members.shape[1]], None if trait is None
                   else uniq[:, -1].astype(float), total)


@dataclass(frozen=True)
class Pinned:
    """A group whose size the published figures determine: its atoms, its size, and
    the rows whose figures the derivation uses (``None`` for "cannot tell")."""

    atoms: np.ndarray | None
    size: float
    rows: np.ndarray


def _functionals(atoms: Atoms, shown: np.ndarray, counted: np.ndarray):
    """The published figures as rows over the atoms, and the table row of each."""
    rows = np.flatnonzero(shown)
    parts, owner = [atoms.members[:, rows].T.astype(float)], [rows]
    if atoms.trait is not None:
        with_count = rows[counted[rows]]
        parts.append(atoms.members[:, with_count].T * atoms.trait[None, :])
        owner.append(with_count)
    return np.concatenate(parts), np.concatenate(owner)


def _null_space(matrix: np.ndarray) -> np.ndarray:
    """An orthonormal basis of {x : matrix @ x = 0} (columns)."""
    if matrix.shape[0] == 0:
        return np.eye(matrix.shape[1])
    return linalg.null_space(matrix, rcond=1e-10)


def pinned_group(atoms: Atoms, shown: np.ndarray, counted: np.ndarray | None = None,
                 min_cell: int = 5) -> Pinned | None:
    """A set of atoms of 1 to ``min_cell − 1`` people that the shown rows determine.

    Parameters
    ----------
    atoms
        The table's respondents as :class:`Atoms`.
    shown
        Per row: its figures are published (or public anyway).
    counted
        Per row: a share, which publishes its count with its ``n`` (default: every
        row, if the atoms have a trait).
    min_cell
        The disclosure threshold.

    Returns
    -------
    None when no such set exists; else the set (``atoms=None`` when there were
    too many possibilities to try: treat it as found).
    """
    shown = np.asarray(shown, dtype=bool)
    counted = np.ones(len(shown), dtype=bool) if counted is None else np.asarray(counted, bool)
    functionals, owner = _functionals(atoms, shown, counted)
    if not len(functionals):
        return None
    # Atoms that no published figure tells apart are one atom to the attacker.
    merged, inverse = np.unique(functionals.T, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    counts = np.bincount(inverse, weights=atoms.counts, minlength=len(merged))
    small = np.flatnonzero(counts < min_cell)
    if not len(small):
        return None
    big = np.flatnonzero(counts >= min_cell)
    basis = _null_space(merged[big])                  # λ: zero on every large atom
    if basis.shape[1] == 0:
        return None
    h = merged[small] @ basis                          # small atoms × dim L
    q, r, pivots = linalg.qr(h.T, pivoting=True, mode="economic")
    diag = np.abs(np.diag(r)) if r.size else np.zeros(0)
    rank = int(np.sum(diag > 1e-9 * max(1.0, diag.max(initial=0.0))))
    if rank == 0:
        return None
    info = np.sort(pivots[:rank])                     # independent small atoms
    expand = h @ np.linalg.pinv(h[info])              # g = expand @ g[info]
    weights = counts[small]
    n_choices = sum(_comb(rank, w) for w in range(1, min_cell))
    if n_choices > MAX_CHOICES:
        return Pinned(atoms=None, size=float("nan"), rows=owner[:0])
    for size in range(1, min_cell):
        for chunk in _chunks(rank, size):
            choice = np.zeros((len(chunk), rank))
            np.put_along_axis(choice, chunk, 1.0, axis=1)
            if (choice @ weights[info] >= min_cell).all():
                continue
            g = choice @ expand.T
            binary = np.all((np.abs(g) < _TOL) | (np.abs(g - 1) < _TOL), axis=1)
            mass = np.where(np.abs(g - 1) < _TOL, 1.0, 0.0) @ weights
            hit = np.flatnonzero(binary & (mass >= 1) & (mass < min_cell))
            if len(hit):
                picked = small[np.abs(g[hit[0]] - 1) < _TOL]
                members = np.isin(inverse, picked)
                lam = np.linalg.lstsq(functionals.T, members.astype(float), rcond=None)[0]
                return Pinned(atoms=np.flatnonzero(members), size=float(mass[hit[0]]),
                              rows=np.unique(owner[np.abs(lam) > 1e-9]))
    return None


def _comb(n: int, k: int) -> int:
    from math import comb

    return comb(n, k)


def _chunks(n: int, size: int, chunk: int = 20_000):
    """All ``size``-subsets of ``range(n)`` as index arrays, ``chunk`` at a time."""
    combos = itertools.combinations(range(n), size)
    while True:
        block = list(itertools.islice(combos, chunk))
        if not block:
            return
        yield np.array(block, dtype=np.intp)


def audit(atoms: Atoms, suppressed: np.ndarray, *, fixed: np.ndarray | None = None,
          counted: np.ndarray | None = None, size: np.ndarray | None = None,
          min_cell: int = 5) -> tuple[np.ndarray, Pinned | None]:
    """Hide rows until no set of 1 to ``min_cell − 1`` people is determined.

    ``suppressed``: rows already hidden (after :func:`trygghet.suppress.protect`);
    ``fixed``: rows that are public anyway (never hidden here); ``size``: each row's
    n, to hide the smallest row that helps first. Returns the new suppressed mask
    and, if a group stays determined by the fixed rows alone, that group (the
    table adds nothing to it). Where the search cannot tell, every row that is not
    fixed is hidden.
    """
    hidden = np.asarray(suppressed, dtype=bool).copy()
    fixed = np.zeros(len(hidden), dtype=bool) if fixed is None else np.asarray(fixed, bool)
    size = np.zeros(len(hidden)) if size is None else np.nan_to_num(np.asarray(size, float))
    counted = np.ones(len(hidden), dtype=bool) if counted is None else np.asarray(counted, bool)
    while True:
        found = pinned_group(atoms, ~hidden, counted, min_cell)
        if found is None:
            return hidden, None
        if found.atoms is None:  # too many possibilities to try: withhold the table
            hidden |= ~fixed
            return hidden, None
        candidates = [j for j in found.rows if not fixed[j] and not hidden[j]]
        if not candidates:
            return hidden, found
        target = np.zeros(len(atoms.counts))
        target[found.atoms] = 1.0
        # Prefer the smallest row without which this very set is no longer determined.
        candidates.sort(key=lambda j: (size[j], j))
        for j in candidates:
            trial = hidden.copy()
            trial[j] = True
            functionals, _ = _functionals(atoms, ~trial, counted)
            residual = target - functionals.T @ np.linalg.lstsq(functionals.T, target,
                                                                 rcond=None)[0]
            if np.abs(residual).max() > 1e-6:
                hidden[j] = True
                break
        else:
            hidden[candidates[0]] = True
