"""Disclosure control: primary, reliability and secondary suppression; symbols."""

from __future__ import annotations

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
