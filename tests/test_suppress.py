"""Disclosure control: primary, reliability and secondary suppression; symbols."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from trygghet.errors import TrygghetError
from trygghet.suppress import Rules, protect
from trygghet.survey import changes


def table(ns, group_var="area", estimates=None, indicator="otrygg_kvall", kind="share",
          total=None) -> pd.DataFrame:
    """One indicator: a total row and one row per level with the given n."""
    groups = [f"G{i}" for i in range(len(ns))]
    est = estimates if estimates is not None else [0.2] * len(ns)
    rows = [{"year": 2020, "indicator": indicator, "kind": kind, "estimate_type": "weighted",
             "group_var": "total", "group": "Totalt", "n": total or sum(ns),
             "estimate": 0.2, "se": 0.01, "ci_low": 0.18, "ci_high": 0.22}]
    rows += [{"year": 2020, "indicator": indicator, "kind": kind, "estimate_type": "weighted",
              "group_var": group_var, "group": g, "n": n, "estimate": e, "se": 0.05,
              "ci_low": max(e - 0.1, 0), "ci_high": e + 0.1}
             for g, n, e in zip(groups, ns, est, strict=True)]
    out = pd.DataFrame(rows)
    out["n"] = out["n"].astype("Int64")
    return out


def by_group(t: pd.DataFrame) -> pd.DataFrame:
    return t.set_index("group")


def test_disclosure_and_reliability_rules():
    t = by_group(protect(table([3, 12, 200, 150])))
    assert t.loc["G0", "suppression_reason"] == "disclosure"
    assert t.loc["G1", "suppression_reason"] == "reliability"
    assert t.loc["G2", "suppression_reason"] == "" and not t.loc["G2", "suppressed"]
    for g in ("G0", "G1"):
        assert t.loc[g, "suppressed"] and t.loc[g, "symbol"] == ".."
        assert pd.isna(t.loc[g, "n"])  # absent, never zero
        assert t.loc[g, ["estimate", "se", "ci_low", "ci_high"]].isna().all()
    assert t.loc["G2", "n"] == 200 and t.loc["G2", "estimate"] == 0.2


def test_boundaries_are_inclusive_for_publishing():
    t = by_group(protect(table([4, 5, 29, 30]), Rules(min_cell=5, min_n=30)))
    assert t["suppression_reason"].to_dict() == {"Totalt": "", "G0": "disclosure",
                                                 "G1": "reliability", "G2": "reliability",
                                                 "G3": ""}


def test_min_n_below_ten_is_refused():
    with pytest.raises(TrygghetError, match="min_n"):
        Rules(min_cell=5, min_n=9)
    with pytest.raises(TrygghetError, match="min_n"):
        Rules.from_settings({"disclosure": {"min_cell": 5, "min_n": 3}})
    with pytest.raises(TrygghetError, match="min_cell"):
        Rules(min_cell=0, min_n=30)
    assert Rules.from_settings({"disclosure": {"min_cell": 3, "min_n": 10}}) == Rules(3, 10)


def test_secondary_suppression_of_a_lone_disclosive_level():
    """Total − published levels would reveal the one small level: suppress the next smallest."""
    t = by_group(protect(table([3, 40, 35, 300])))
    assert t.loc["G0", "suppression_reason"] == "disclosure"
    assert t.loc["G2", "suppression_reason"] == "secondary"  # the smallest published one
    assert t.loc["G2", "symbol"] == ".." and np.isnan(t.loc["G2", "estimate"])
    assert not t.loc["G1", "suppressed"] and not t.loc["G3", "suppressed"]
    assert not t.loc["Totalt", "suppressed"]


def test_secondary_until_the_hidden_levels_hold_min_cell():
    # Two disclosive levels (1 + 2 = 3 < 5): one more level must go.
    t = by_group(protect(table([1, 2, 50, 60])))
    assert t.loc["G2", "suppression_reason"] == "secondary"
    assert not t.loc["G3", "suppressed"]
    # 2 + 3 = 5 hidden together: already protected, nothing more.
    t = by_group(protect(table([2, 3, 50, 60])))
    assert (t["suppression_reason"] == "secondary").sum() == 0


def test_no_secondary_for_a_reliability_level():
    """A level hidden only as unreliable (n ≥ min_cell) reveals no small cell."""
    t = by_group(protect(table([12, 40, 300])))
    assert t.loc["G0", "suppression_reason"] == "reliability"
    assert (t["suppression_reason"] == "secondary").sum() == 0


def test_no_secondary_where_groups_overlap_or_are_empty():
    t = by_group(protect(table([3, 40, 300], group_var="relation")))
    assert (t["suppression_reason"] == "secondary").sum() == 0
    t = by_group(protect(table([0, 40, 300])))  # nobody there: nothing to reveal
    assert t.loc["G0", "suppressed"] and (t["suppression_reason"] == "secondary").sum() == 0


def test_secondary_is_per_indicator_and_estimate_type():
    a = table([3, 40, 35], indicator="oro")
    b = table([50, 40, 35], indicator="avstatt")
    t = protect(pd.concat([a, b], ignore_index=True))
    assert t.loc[t["indicator"] == "avstatt", "suppressed"].sum() == 0
    assert t.loc[t["indicator"] == "oro", "suppression_reason"].tolist() == [
        "", "disclosure", "", "secondary"]


def test_not_asked_and_zero_symbols():
    t = table([100, 100], estimates=[0.0, 0.3])
    t["suppression_reason"] = ["", "", ""]
    t.loc[2, "suppression_reason"] = "not_asked"
    t["suppressed"] = t["suppression_reason"] != ""
    out = by_group(protect(t))
    assert out.loc["G1", "symbol"] == "." and out.loc["G1", "suppression_reason"] == "not_asked"
    assert out.loc["G0", "symbol"] == "–" and out.loc["G0", "estimate"] == 0.0
    assert out.loc["Totalt", "symbol"] == ""


def test_protect_is_idempotent_and_keeps_columns():
    once = protect(table([3, 12, 40, 35, 300]))
    twice = protect(once)
    pd.testing.assert_frame_equal(once, twice)
    assert {"suppressed", "suppression_reason", "symbol"} <= set(once.columns)
    with pytest.raises(ValueError, match="'n'"):
        protect(once.drop(columns="n"))


def test_unknown_n_is_not_published():
    t = table([50, 60])
    t.loc[1, "n"] = pd.NA
    assert by_group(protect(t)).loc["G0", "suppression_reason"] == "disclosure"


def test_change_rows_follow_their_sides():
    def year(y, ns, sampling="probability"):
        t = table(ns)
        t["year"] = y
        t["sampling"] = sampling
        t["questions"] = "safe_evening"
        return protect(t)

    ch = protect(changes(year(2020, [3, 40, 35, 300]), year(2021, [50, 40, 35, 300])))
    row = ch.set_index("group")
    assert row.loc["G0", "suppression_reason"] == "secondary"  # 2020 side suppressed
    assert row.loc["G2", "suppression_reason"] == "secondary"  # its secondary partner too
    assert np.isnan(row.loc["G0", "diff"]) and pd.isna(row.loc["G0", "significant"])
    assert not row.loc["G1", "suppressed"] and row.loc["G1", "symbol"] == "–"  # no change
    assert row.loc["G1", "significant"] == False  # noqa: E712 (pandas boolean)


# --- cell counts of a share ------------------------------------------------------

def with_counts(ns, counts, total_count=None, **kwargs) -> pd.DataFrame:
    """:func:`table` with the share's unweighted counts (the total row: their sum)."""
    t = table(ns, estimates=[k / n for k, n in zip(counts, ns, strict=True)], **kwargs)
    t["count"] = pd.array([total_count if total_count is not None else sum(counts), *counts],
                          dtype="Int64")
    return t


def test_a_share_resting_on_one_to_four_people_is_suppressed():
    """'2 of 63 feel unsafe' is a cell of two people; so is '61 of 63' (two are not)."""
    t = by_group(protect(with_counts([63, 63, 63, 63, 63, 63], [2, 61, 0, 63, 5, 58])))
    assert t["suppression_reason"].to_dict() == {
        "Totalt": "", "G0": "disclosure", "G1": "disclosure", "G2": "", "G3": "",
        "G4": "", "G5": ""}  # (hidden together: 63 with the trait and 63 without)
    # Zero (and all) are published, as '–' for a zero estimate, never suppressed as such.
    assert t.loc["G2", "symbol"] == "–" and t.loc["G2", "count"] == 0
    assert t.loc["G3", "estimate"] == 1.0
    assert t.loc[["G0", "G1"], ["count", "estimate", "n"]].isna().all().all()


def test_hidden_counts_are_topped_up_to_the_threshold():
    """Hand-worked: G0 (2 of 40) is suppressed; total − published would reveal its 2,
    so the smallest level that has the trait joins it (G2: 30 of 45; not G1, which
    adds nothing: 0 of 35). Hidden: 32 with and 53 without the trait, both ≥ 5."""
    t = by_group(protect(with_counts([40, 35, 45, 200], [2, 0, 30, 50])))
    assert t["suppression_reason"].to_dict() == {
        "Totalt": "", "G0": "disclosure", "G1": "", "G2": "secondary", "G3": ""}
    # Reference: what total minus the published levels reveals, with and without the trait.
    published = t.drop(index="Totalt")
    hidden = published[published["suppressed"]].index
    counts, ns = np.array([2, 0, 30, 50]), np.array([40, 35, 45, 200])
    idx = [int(g[1:]) for g in hidden]
    assert counts[idx].sum() >= 5 and (ns - counts)[idx].sum() >= 5


def test_a_short_complement_is_topped_up_with_levels_that_add_to_it():
    """Hand-worked: G0 (3 of 3) is too small; hidden: 3 respondents, 3 with the trait,
    0 without. The smallest level joins for n and the count (G1: 35 of 35), which adds
    nobody without the trait; total − published then still reveals nothing without
    it (0). G2 (20 of 40) is left published."""
    t = by_group(protect(with_counts([3, 35, 40], [3, 35, 20])))
    assert t["suppression_reason"].to_dict() == {
        "Totalt": "", "G0": "disclosure", "G1": "secondary", "G2": ""}


def test_means_and_shares_without_counts_follow_n_only():
    t = table([63, 63], kind="mean", indicator="problemindex", estimates=[1.5, 2.0])
    t["count"] = pd.array([pd.NA] * 3, dtype="Int64")
    assert not protect(t)["suppressed"].any()
    assert not protect(table([63, 63]))["suppressed"].any()  # no count column at all


def test_estimates_carry_the_unweighted_count_of_a_share():
    """The count is of respondents, not of weights: against a plain tally."""
    from trygghet.estimate import estimate

    rng = np.random.default_rng(3)
    y = pd.Series(rng.integers(0, 2, 200).astype(float), name="y")
    y[rng.random(200) < 0.1] = np.nan
    area = pd.Series(rng.choice(["A", "B", "C"], 200), name="area")
    w = rng.uniform(0.5, 4, 200)
    out = estimate(y, weights=w, by=area).set_index("group")
    assert out.loc["Totalt", "count"] == int((y == 1).sum())
    for g in "ABC":
        assert out.loc[g, "count"] == int(((y == 1) & (area == g)).sum())
        assert out.loc[g, "n"] == int((y.notna() & (area == g)).sum())
    means = estimate(y * 3, weights=w, by=area, kind="mean")
    assert means["count"].isna().all()


# --- Differences of published cells: remainders, overlapping groups, nested tables -------

def cells(spec, estimate_type="unweighted", year=2019, indicator="x") -> list[dict]:
    """Rows from (group_var, group, n, count); the share is count / n."""
    return [{"year": year, "indicator": indicator, "kind": "share",
             "estimate_type": estimate_type, "group_var": gv, "group": g, "n": n, "count": k,
             "estimate": k / n, "se": 0.01, "ci_low": 0.0, "ci_high": 1.0}
            for gv, g, n, k in spec]


def frame(*parts: list[dict]) -> pd.DataFrame:
    t = pd.DataFrame([row for part in parts for row in part])
    t["n"] = t["n"].astype("Int64")
    t["count"] = t["count"].astype("Int64")
    return t


def reasons(t: pd.DataFrame) -> dict:
    return {(r.estimate_type, r.group): r.suppression_reason
            for r in protect(t).itertuples(index=False)}


def test_those_who_did_not_state_the_grouping_are_a_hidden_cell():
    """The 2019 leak (issue 11): Totalt 1 207 of whom 187 see open drug dealing as a big
    problem, Kvinna 746 (146), Man 435 (40). Totalt − Kvinna − Man: the 26 who did not state
    their sex, 1 of them with the trait. The smallest level that has the trait joins them:
    hidden are then Man and the 26, 461 respondents, 41 with the trait and 420 without."""
    t = frame(cells([("total", "Totalt", 1207, 187), ("sex", "Kvinna", 746, 146),
                     ("sex", "Man", 435, 40)]))
    assert reasons(t) == {("unweighted", "Totalt"): "", ("unweighted", "Kvinna"): "",
                          ("unweighted", "Man"): "secondary"}


def test_a_suppressed_level_and_the_remainder_are_checked_together():
    """utsatt by age (issue 11): 80+ (20 respondents, 1 victim) is suppressed; with the 13
    who gave no age, total − published age groups = 33 respondents with 4 victims. The
    smallest group with victims joins: 25–44 (n 45, 9), so 78 are hidden, 13 of them victims.
    The old rule alone (suppressed levels ≥ 5, remainder ignored) found nothing short."""
    t = frame(cells([("total", "Totalt", 478, 90), ("age_group", "16–24", 60, 0),
                     ("age_group", "25–44", 45, 9), ("age_group", "45–64", 200, 45),
                     ("age_group", "65–79", 140, 32), ("age_group", "80+", 20, 1)]))
    assert reasons(t) == {("unweighted", "Totalt"): "", ("unweighted", "16–24"): "",
                          ("unweighted", "25–44"): "secondary", ("unweighted", "45–64"): "",
                          ("unweighted", "65–79"): "", ("unweighted", "80+"): "disclosure"}


def test_a_remainder_short_only_with_the_trait():
    """Totalt 120 (30), Kvinna 70 (20), Man 40 (8): the 10 without a sex hold 2 with the
    trait. Man, the smallest level with the trait, joins (hidden: 50, 10 with, 40 without)."""
    t = frame(cells([("total", "Totalt", 120, 30), ("sex", "Kvinna", 70, 20),
                     ("sex", "Man", 40, 8)]))
    assert reasons(t)[("unweighted", "Man")] == "secondary"
    assert reasons(t)[("unweighted", "Kvinna")] == ""


def test_an_overlapping_group_is_checked_against_the_total():
    """relation: 197 of 200 live in the area, 49 of the 50 with the trait: total − bor
    reveals 3 who do not, one with the trait. 'arbetar' (60, 20) leaves 140 (30): fine."""
    t = frame(cells([("total", "Totalt", 200, 50), ("relation", "bor", 197, 49),
                     ("relation", "arbetar", 60, 20)]))
    assert reasons(t) == {("unweighted", "Totalt"): "", ("unweighted", "bor"): "secondary",
                          ("unweighted", "arbetar"): ""}


def test_the_adjusted_table_nests_in_the_unweighted_one():
    """Hand-worked. Unweighted Kvinna 160 (50) − adjusted Kvinna 157 (49) = 3 women who
    could not be calibrated, 1 with the trait: adjusted Kvinna goes. But every calibrated
    respondent has a sex, so adjusted Kvinna = adjusted Totalt − adjusted Man: adjusted Man
    goes too. Left: unweighted − adjusted Totalt = 13 (6 with, 7 without), no smaller."""
    t = frame(cells([("total", "Totalt", 300, 90), ("sex", "Kvinna", 160, 50),
                     ("sex", "Man", 140, 40)]),
              cells([("total", "Totalt", 287, 84), ("sex", "Kvinna", 157, 49),
                     ("sex", "Man", 130, 35)], "adjusted"))
    assert reasons(t) == {("unweighted", "Totalt"): "", ("unweighted", "Kvinna"): "",
                          ("unweighted", "Man"): "", ("adjusted", "Totalt"): "",
                          ("adjusted", "Kvinna"): "secondary", ("adjusted", "Man"): "secondary"}
    # Without the nesting the tables are each fine.
    alone = protect(t, nested={})
    assert not alone["suppressed"].any()


def test_a_short_difference_of_totals_hides_the_adjusted_total():
    """Unweighted 300 (90) − adjusted 292 (89): 8 not calibrated, 1 with the trait. Three of
    them are women (160 (50) − 157 (49)), one with the trait; the five men have none. Both
    adjusted Totalt and adjusted Kvinna go (the unweighted figures are the primary ones);
    adjusted Man stays: with two unknowns each, Totalt = Kvinna + Man + 0 and the
    unweighted = adjusted + difference equations no longer pin down a small group."""
    t = frame(cells([("total", "Totalt", 300, 90), ("sex", "Kvinna", 160, 50),
                     ("sex", "Man", 140, 40)]),
              cells([("total", "Totalt", 292, 89), ("sex", "Kvinna", 157, 49),
                     ("sex", "Man", 135, 40)], "adjusted"))
    assert reasons(t) == {("unweighted", "Totalt"): "", ("unweighted", "Kvinna"): "",
                          ("unweighted", "Man"): "", ("adjusted", "Totalt"): "secondary",
                          ("adjusted", "Kvinna"): "secondary", ("adjusted", "Man"): ""}


def change_rows(rows_from, rows_to, year_from=2019, type_from="unweighted") -> pd.DataFrame:
    """A change table as published: one row per group, both years side by side."""
    out = []
    for (gv, g, n0, e0), (_, _, n1, e1) in zip(rows_from, rows_to, strict=True):
        out.append({"year_from": year_from, "year_to": 2020, "indicator": "x", "kind": "share",
                    "group_var": gv, "group": g, "estimate_type_from": type_from,
                    "estimate_type_to": "weighted", "estimate_from": e0, "estimate_to": e1,
                    "n_from": n0, "n_to": n1, "n": min(n0, n1), "diff": e1 - e0,
                    "se": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                    "significant": pd.NA, "series_break": True, "note": "",
                    "suppressed": False, "suppression_reason": "", "symbol": ""})
    t = pd.DataFrame(out)
    for c in ("n_from", "n_to", "n"):
        t[c] = t[c].astype("Int64")
    return t


def test_a_change_table_publishes_the_cells_of_both_years():
    """The 2019 side is unweighted: share × n gives its counts. Totalt 100 (30), Kvinna 60
    (21), Man 37 (8): the remainder, 3 respondents and 1 with the trait, would be revealed;
    Man's change row goes. The 2020 side (weighted, n only) adds up and reveals nothing."""
    ch = change_rows([("total", "Totalt", 100, 0.30), ("sex", "Kvinna", 60, 0.35),
                      ("sex", "Man", 37, 8 / 37)],
                     [("total", "Totalt", 200, 0.25), ("sex", "Kvinna", 100, 0.30),
                      ("sex", "Man", 100, 0.20)])
    out = protect(ch).set_index("group")
    assert out["suppression_reason"].to_dict() == {"Totalt": "", "Kvinna": "",
                                                   "Man": "secondary"}
    assert np.isnan(out.loc["Man", "diff"]) and pd.isna(out.loc["Man", "n_from"])
    # A weighted 2019 side publishes no counts: n alone (3 left over) is short as well.
    weighted = protect(ch.assign(estimate_type_from="weighted")).set_index("group")
    assert weighted.loc["Man", "suppression_reason"] == "secondary"


def test_a_year_in_two_change_rows_is_one_cell():
    """2020's Man appears beside 2019 and beside 2018: hidden beside 2019 (its 2019 side
    must go), it is still published beside 2018, and 2018's side adds up."""
    a = change_rows([("total", "Totalt", 100, 0.30), ("sex", "Kvinna", 60, 0.35),
                     ("sex", "Man", 37, 8 / 37)],
                    [("total", "Totalt", 200, 0.25), ("sex", "Kvinna", 100, 0.30),
                     ("sex", "Man", 100, 0.20)])
    b = change_rows([("total", "Totalt", 90, 0.3), ("sex", "Kvinna", 50, 0.3),
                     ("sex", "Man", 40, 0.3)],
                    [("total", "Totalt", 200, 0.25), ("sex", "Kvinna", 100, 0.30),
                     ("sex", "Man", 100, 0.20)], year_from=2018, type_from="weighted")
    out = protect(pd.concat([a, b], ignore_index=True))
    hidden = out.loc[out["suppressed"], ["year_from", "group"]].values.tolist()
    assert hidden == [[2019, "Man"]]


def test_min_cell_below_three_is_refused_in_swedish():
    for value in (1, 2):
        with pytest.raises(TrygghetError, match="min_cell = .* för lågt") as err:
            Rules(min_cell=value, min_n=30)
        assert err.value.column == "disclosure.min_cell" and "minst 3" in str(err.value.hint)
    with pytest.raises(TrygghetError, match="min_cell"):
        Rules.from_settings({"disclosure": {"min_cell": 2, "min_n": 30}})
    assert Rules(min_cell=3, min_n=10).min_cell == 3


def test_protect_is_idempotent_with_remainders_and_nesting():
    t = frame(cells([("total", "Totalt", 300, 90), ("sex", "Kvinna", 160, 50),
                     ("sex", "Man", 137, 39), ("relation", "bor", 296, 88)]),
              cells([("total", "Totalt", 287, 84), ("sex", "Kvinna", 157, 49),
                     ("sex", "Man", 130, 35), ("relation", "bor", 280, 80)], "adjusted"))
    once = protect(t)
    assert once["suppressed"].any()
    pd.testing.assert_frame_equal(protect(once), once)
    # A stricter rule later (a report's own min_cell) only adds suppression.
    stricter = protect(once, Rules(min_cell=10, min_n=30))
    assert (stricter["suppressed"] >= once["suppressed"]).all()


# --- Against an exact reference: every group the published figures pin down ------------
# A small table is built from "atoms" — the respondents of one sex (or none), calibrated
# or not (or living in the area or not), with or without the trait. Each published figure
# (n and count of a published row) is the sum over some atoms; an attacker can compute
# exactly the sums over those sets of atoms that lie in the row space of the published
# figures (plus the atoms known to be empty). Every such set must hold 0 or ≥ min_cell.

SEXES = ("Kvinna", "Man", None)   # None: did not state a sex


def _revealed(atoms: np.ndarray, published: list[np.ndarray], k: int) -> list:
    if not published:
        return []
    a = np.array(published, dtype=float)
    projector = np.linalg.pinv(a) @ a
    groups = np.array(list(itertools.product([0, 1], repeat=len(atoms))), dtype=float)[1:]
    pinned = np.abs(groups - groups @ projector).max(axis=1) < 1e-8
    sizes = groups[pinned] @ atoms
    return [(g, s) for g, s in zip(groups[pinned], sizes, strict=True) if 0 < s < k]


def _random_table(seed: int, second: str):
    """Atoms (sex, second ∈ {1, 0}, trait) and the rows published from them. ``second``
    is "adjusted" (1 = calibrated: a nested adjusted table, no adjusted respondent without
    a sex) or "relation" (1 = lives in the area: an overlapping group 'bor')."""
    rng = np.random.default_rng(seed)
    keys = list(itertools.product(SEXES, (1, 0), (1, 0)))
    empty = [second == "adjusted" and s is None and c == 1 for s, c, _ in keys]
    atoms = np.array([0 if e else rng.integers(0, 40) if (s and c) else
                      rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 9])
                      for (s, c, _), e in zip(keys, empty, strict=True)], dtype=float)
    # (estimate type, group_var, group, the sex it takes (None: all), second it needs)
    specs = [("unweighted", "total", "Totalt", None, None),
             ("unweighted", "sex", "Kvinna", "Kvinna", None),
             ("unweighted", "sex", "Man", "Man", None)]
    if second == "adjusted":
        specs += [("adjusted", gv, g, sex, 1) for _, gv, g, sex, _ in specs]
    else:
        specs.append(("unweighted", "relation", "bor", None, 1))
    rows, sets = [], []
    for etype, gv, g, sex, needs in specs:
        members = np.array([float(sex in (None, s) and needs in (None, c)) for s, c, _ in keys])
        trait = members * np.array([t for *_, t in keys])
        sets.append((members, trait))
        rows.append({"year": 2019, "indicator": "x", "kind": "share", "estimate_type": etype,
                     "group_var": gv, "group": g, "n": int(members @ atoms),
                     "count": int(trait @ atoms), "estimate": 0.5})
    known_empty = [np.eye(len(keys))[j] for j in np.flatnonzero(empty)]
    return atoms, frame(rows), sets, known_empty


@pytest.mark.parametrize("second", ["adjusted", "relation"])
def test_no_published_combination_pins_down_a_small_group(second):
    rules = Rules(min_cell=5, min_n=10)
    leaky = 0
    for seed in range(100):
        atoms, t, sets, known_empty = _random_table(seed, second)
        # The reference is not blind: with the primary rules alone (no group_var, so no
        # secondary suppression) many of these tables give a small group away.
        primary = protect(t.drop(columns="group_var"), rules)["suppressed"]
        shown = [v for pair, h in zip(sets, primary, strict=True) if not h for v in pair]
        leaky += bool(_revealed(atoms, known_empty + shown, rules.min_cell))
        out = protect(t, rules)
        shown = [v for pair, h in zip(sets, out["suppressed"], strict=True) if not h
                 for v in pair]
        assert not _revealed(atoms, known_empty + shown, rules.min_cell), (seed, out)
    assert leaky > 20
