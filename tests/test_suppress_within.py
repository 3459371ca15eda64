"""Disclosure control of crossed and filtered tables: cells within other cells.

An analyst's crossed table (sex × area) publishes its cells *and* its row and column
margins; a filtered table (women aged 16–24, by area) publishes groups cut from
published groups. ``protect(..., within=…)`` is told which cell lies inside which
(``differences.py``), and ``fixed`` rows are figures already public; the exact check
of ``exact_audit.py`` then looks at the whole linear system, which the equation audit
(one equation at a time) does not. The reference is the one of ``test_suppress.py``:
respondents fall into a few *atoms* (sex × area × trait, …); an attacker can compute
exactly the sums over the sets of atoms that lie in the row space of the published
figures (n and count of every published row). Every such set must hold 0 or at least
``min_cell`` people.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
import pandas as pd
import pytest

from trygghet.exact_audit import Atoms, audit, pinned_group
from trygghet.suppress import Rules, protect

RULES = Rules(min_cell=5, min_n=10)


@functools.cache
def every_set(n: int) -> np.ndarray:
    """Every non-empty set of ``n`` atoms, one 0/1 row each."""
    return ((np.arange(1, 2 ** n)[:, None] >> np.arange(n)) & 1).astype(float)


def revealed(atoms: np.ndarray, published: list[np.ndarray], k: int) -> list:
    """Sets of atoms whose size the published sums determine and that hold 1 to k − 1."""
    if not published:
        return []
    a = np.array(published, dtype=float)
    projector = np.linalg.pinv(a) @ a
    groups = every_set(len(atoms))
    sizes = groups @ atoms
    small = groups[(sizes > 0) & (sizes < k)]   # only these could be a leak
    pinned = np.abs(small - small @ projector).max(axis=1) < 1e-8
    return [(g, float(g @ atoms)) for g in small[pinned]]


def shown_sets(sets: list[tuple[np.ndarray, np.ndarray]], suppressed) -> list[np.ndarray]:
    return [v for pair, hidden in zip(sets, suppressed, strict=True) if not hidden for v in pair]


def rows_from(specs, keys, atoms):
    """One row per spec ``(group_var, group, member(key) -> bool)`` with its n and count,
    and the atom sets behind them (members; members with the trait)."""
    rows, sets = [], []
    trait = np.array([k[-1] for k in keys], dtype=float)
    for gv, g, member in specs:
        m = np.array([float(member(k)) for k in keys])
        sets.append((m, m * trait))
        rows.append({"year": 2020, "indicator": "x", "kind": "share",
                     "estimate_type": "weighted", "group_var": gv, "group": g,
                     "n": int(m @ atoms), "count": int((m * trait) @ atoms), "estimate": 0.5})
    return pd.DataFrame(rows), sets


def protect_exactly(table, sets, atoms, within, fixed=None) -> np.ndarray:
    """What an analyst's table goes through (``adhoc._protect``): the equation audit with
    the nestings, then the exact check on the atoms. The rows it hides."""
    out = protect(table, RULES, within=within, fixed=fixed)
    members = np.column_stack([m for m, _ in sets])
    trait = (np.column_stack([k for _, k in sets]).sum(axis=1) > 0).astype(float)
    hidden, _ = audit(Atoms.of(members, trait, atoms), out["suppressed"].to_numpy(),
                      fixed=fixed, size=table["n"].to_numpy(), min_cell=RULES.min_cell)
    assert hidden[out["suppressed"].to_numpy()].all()  # the check only ever hides more
    return hidden


def small_atoms(rng, keys, big=lambda key: False) -> np.ndarray:
    return np.array([rng.integers(5, 40) if big(k) else rng.choice([0, 0, 1, 2, 3, 4, 6, 9, 15])
                     for k in keys], dtype=float)


# --- Crossed: sex × area -----------------------------------------------------------------

SEXES = ("K", "M", None)      # None: did not state a sex
AREAS = ("A", "B", None)


def crossed_table(seed: int):
    rng = np.random.default_rng(seed)
    keys = list(itertools.product(SEXES, AREAS, (1, 0)))
    atoms = small_atoms(rng, keys, big=lambda k: k[0] is not None and k[1] is not None
                        and rng.random() < 0.4)
    specs = [("total", "Totalt", lambda k: True)]
    specs += [("sex", s, lambda k, s=s: k[0] == s) for s in SEXES[:2]]
    specs += [("area", a, lambda k, a=a: k[1] == a) for a in AREAS[:2]]
    specs += [("sex × area", f"{s} × {a}", lambda k, s=s, a=a: k[0] == s and k[1] == a)
              for s in SEXES[:2] for a in AREAS[:2]]
    within = [("sex × area", f"{s} × {a}", parent, level)
              for s in SEXES[:2] for a in AREAS[:2]
              for parent, level in (("sex", s), ("area", a))]
    table, sets = rows_from(specs, keys, atoms)
    return atoms, table, sets, within


def test_a_suppressed_cell_cannot_be_recovered_from_the_row_and_column_totals():
    """The classic case: one small cell, its row total and column total shown."""
    keys = list(itertools.product(("K", "M"), ("A", "B"), (1, 0)))
    sizes = {("K", "A"): (2, 1), ("K", "B"): (30, 20), ("M", "A"): (25, 25), ("M", "B"): (40, 30)}
    atoms = np.array([sizes[(s, a)][0] if t else sizes[(s, a)][1] for s, a, t in keys], float)
    specs = [("total", "Totalt", lambda k: True)]
    specs += [("sex", s, lambda k, s=s: k[0] == s) for s in ("K", "M")]
    specs += [("area", a, lambda k, a=a: k[1] == a) for a in ("A", "B")]
    specs += [("sex × area", f"{s} × {a}", lambda k, s=s, a=a: k[:2] == (s, a))
              for s in ("K", "M") for a in ("A", "B")]
    within = [("sex × area", f"{s} × {a}", p, lev) for s in ("K", "M") for a in ("A", "B")
              for p, lev in (("sex", s), ("area", a))]
    table, sets = rows_from(specs, keys, atoms)
    out = protect(table, RULES, within=within)
    hidden = dict(zip(out["group"], out["suppressed"], strict=True))
    # K × A holds 3 people (2 with the trait): suppressed, and so is enough else that
    # neither "K − K × B" nor "A − M × A" gives it back.
    assert hidden["K × A"]
    assert out.loc[out["group"] == "K × A", "suppression_reason"].item() == "disclosure"
    assert sum(hidden.values()) >= 4  # a cell of each of its row and column, at least
    shown = shown_sets(sets, out["suppressed"])
    assert not revealed(atoms, shown, RULES.min_cell)
    # Without the nesting the audit knows only total = cells + rest, and the row and
    # column totals give the small cell away.
    naive = protect(table, RULES)
    assert revealed(atoms, shown_sets(sets, naive["suppressed"]), RULES.min_cell)


@pytest.mark.parametrize("seed", range(40))
def test_no_combination_of_a_crossed_tables_cells_and_margins_pins_a_small_group(seed):
    atoms, table, sets, within = crossed_table(seed)
    hidden = protect_exactly(table, sets, atoms, within)
    assert not revealed(atoms, shown_sets(sets, hidden), RULES.min_cell), (seed, table)


def test_what_each_audit_sees_of_crossed_tables():
    """The reference is not blind: without the nestings many of these tables give a small
    group away; with them the equation audit misses a few (several margins added and
    subtracted at once, e.g. seed 16), which the exact check then closes (above)."""
    plain = nested = 0
    for seed in range(60):
        atoms, table, sets, within = crossed_table(seed)
        plain += bool(revealed(atoms, shown_sets(sets, protect(table, RULES)["suppressed"]),
                               RULES.min_cell))
        nested += bool(revealed(atoms, shown_sets(sets, protect(table, RULES, within=within)[
            "suppressed"]), RULES.min_cell))
    assert plain > 10 and 0 < nested < plain / 4


# --- Filtered: women aged 16–24, by area, beside the published figures -------------------

def filtered_table(seed: int):
    """Atoms (sex, young, area, trait); the published figures (total, sex, age, area)
    are protected first and then fixed; the filtered table (women aged 16–24, and its
    cells by area) is checked beside them."""
    rng = np.random.default_rng(seed)
    keys = list(itertools.product(("K", "M"), (True, False), ("A", "B"), (1, 0)))
    atoms = small_atoms(rng, keys, big=lambda k: rng.random() < 0.3)
    published = [("total", "Totalt", lambda k: True)]
    published += [("sex", s, lambda k, s=s: k[0] == s) for s in ("K", "M")]
    published += [("age_group", y, lambda k, y=y: k[1] == (y == "16–24"))
                  for y in ("16–24", "25+")]
    published += [("area", a, lambda k, a=a: k[2] == a) for a in ("A", "B")]
    own = [("filter", "K 16–24", lambda k: k[0] == "K" and k[1])]
    own += [("filter × area", a, lambda k, a=a: k[0] == "K" and k[1] and k[2] == a)
            for a in ("A", "B")]
    within = [("filter", "K 16–24", "sex", "K"), ("filter", "K 16–24", "age_group", "16–24")]
    within += [("filter × area", a, p, lev) for a in ("A", "B")
               for p, lev in (("filter", "K 16–24"), ("area", a))]
    context, context_sets = rows_from(published, keys, atoms)
    context = protect(context, RULES)
    context["n"], context["count"] = rows_from(published, keys, atoms)[0][["n", "count"]].T.values
    mine, own_sets = rows_from(own, keys, atoms)
    table = pd.concat([context, mine], ignore_index=True)
    fixed = np.arange(len(table)) < len(context)
    return atoms, table, context_sets + own_sets, within, fixed


@pytest.mark.parametrize("seed", range(40))
def test_a_filtered_table_beside_the_published_figures_pins_no_small_group(seed):
    atoms, table, sets, within, fixed = filtered_table(seed)
    before = table.loc[fixed, "suppressed"].to_numpy()
    hidden = protect_exactly(table, sets, atoms, within, fixed)
    # The published figures are as published: never hidden, never revealed.
    assert (hidden[fixed] == before).all()
    assert not revealed(atoms, shown_sets(sets, hidden), RULES.min_cell), (seed, table)


def test_what_each_audit_sees_of_filtered_tables():
    plain = nested = 0
    for seed in range(60):
        atoms, table, sets, within, fixed = filtered_table(seed)
        for links in ((), within):
            out = protect(table, RULES, within=links, fixed=fixed)
            leak = bool(revealed(atoms, shown_sets(sets, out["suppressed"]), RULES.min_cell))
            plain, nested = (plain + leak, nested) if not links else (plain, nested + leak)
    assert plain > 10 and nested < plain / 4


def test_a_filtered_group_that_is_almost_its_published_group_is_withheld():
    """Women aged 16–24 in area A are all but 3 of area A's respondents: A less them
    would publish 3 people. The filtered cell goes, the published area A stays."""
    keys = [("K", "A", 1), ("K", "A", 0), ("M", "A", 1), ("M", "A", 0)]
    atoms = np.array([20, 25, 1, 2], float)
    table, sets = rows_from([("total", "Totalt", lambda k: True),
                             ("area", "A", lambda k: k[1] == "A"),
                             ("filter × area", "A", lambda k: k[0] == "K")], keys, atoms)
    fixed = np.array([True, True, False])
    out = protect(table, RULES, within=[("filter × area", "A", "area", "A")], fixed=fixed)
    assert out["suppressed"].tolist() == [False, False, True]
    assert out["suppression_reason"].tolist()[2] == "secondary"


def test_fixed_rows_keep_their_state_and_others_are_withheld_when_nothing_else_helps():
    """Only public figures could be hidden to close the gap: the analyst's rows go."""
    keys = [("K", 1), ("K", 0), ("M", 1), ("M", 0)]
    atoms = np.array([10, 12, 1, 1], float)
    table, _ = rows_from([("total", "Totalt", lambda k: True),
                          ("mine", "K", lambda k: k[0] == "K")], keys, atoms)
    out = protect(table, RULES, fixed=np.array([True, False]))
    assert out["suppressed"].tolist() == [False, True]


def test_the_exact_check_finds_what_one_equation_at_a_time_misses():
    """Seed 16: total − men − area B + men in B − women in A = the 3 people, with the
    trait, who stated no sex or no area (women without an area, no sex in A, neither)."""
    atoms, table, sets, within = crossed_table(16)
    out = protect(table, RULES, within=within)
    members = np.column_stack([m for m, _ in sets])
    trait = (np.column_stack([k for _, k in sets]).sum(axis=1) > 0).astype(float)
    found = pinned_group(Atoms.of(members, trait, atoms), ~out["suppressed"].to_numpy())
    assert found is not None and found.size == 3
    assert found.atoms is not None
    assert any(size == 3 for _, size in revealed(atoms, shown_sets(sets, out["suppressed"]),
                                                  RULES.min_cell))


def test_the_exact_check_gives_up_honestly():
    """Too many possibilities to try: the table is withheld, the public rows stay."""
    from trygghet import exact_audit

    atoms, table, sets, within = crossed_table(16)
    out = protect(table, RULES, within=within)
    members = np.column_stack([m for m, _ in sets])
    trait = (np.column_stack([k for _, k in sets]).sum(axis=1) > 0).astype(float)
    fixed = np.arange(len(table)) < 5
    old, exact_audit.MAX_CHOICES = exact_audit.MAX_CHOICES, 0
    try:
        hidden, _ = audit(Atoms.of(members, trait, atoms), out["suppressed"].to_numpy(),
                          fixed=fixed)
    finally:
        exact_audit.MAX_CHOICES = old
    assert (hidden[5:]).all()
    assert (hidden[:5] == out["suppressed"].to_numpy()[:5]).all()


def test_within_and_fixed_change_nothing_when_absent():
    atoms, table, _, _ = crossed_table(3)
    a = protect(table, RULES)
    b = protect(table, RULES, within=(), fixed=np.zeros(len(table), dtype=bool))
    pd.testing.assert_frame_equal(a, b)


def test_overlapping_cells_within_a_parent_get_their_own_complement():
    """Relation (overlapping) among women: women − (women who live there) is a group."""
    keys = [("K", "bor", 1), ("K", "bor", 0), ("K", "-", 1), ("K", "-", 0),
            ("M", "bor", 1), ("M", "bor", 0), ("M", "-", 1), ("M", "-", 0)]
    atoms = np.array([20, 20, 1, 2, 20, 20, 20, 20], float)
    table, sets = rows_from([("total", "Totalt", lambda k: True),
                             ("sex", "K", lambda k: k[0] == "K"),
                             ("sex", "M", lambda k: k[0] == "M"),
                             ("sex × relation", "K × bor", lambda k: k[:2] == ("K", "bor"))],
                            keys, atoms)
    out = protect(table, RULES, overlapping=("total", "relation", "sex × relation"),
                  within=[("sex × relation", "K × bor", "sex", "K")])
    assert not revealed(atoms, shown_sets(sets, out["suppressed"]), RULES.min_cell)
    assert out["suppressed"].any()
