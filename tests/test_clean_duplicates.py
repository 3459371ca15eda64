"""The duplicate search (``clean._find_duplicates``, sorted on integer keys since
issue 19) against the rules written out row by row.

1. Same respondent id: the earliest submission is kept (unknown time last, then
   the earlier row); the others point to it.
2. Then identical answers, both times of day known, within the window of the
   previous submission of the same answers: a chain of such submissions points
   to its first.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from trygghet.clean import _find_duplicates

WINDOW = 10  # minutes


def _reference(ids, times, answers, rows, valid, has_time):
    n = len(ids)
    rule, dup_of = [""] * n, [0] * n
    far = pd.Timestamp.max
    groups: dict = {}
    for i in range(n):
        if valid[i] and ids[i] != "":
            groups.setdefault(ids[i], []).append(i)
    for members in groups.values():
        members.sort(key=lambda i: (times[i] if not pd.isna(times[i]) else far, rows[i]))
        for i in members[1:]:
            rule[i], dup_of[i] = "samma_id", int(rows[members[0]])
    groups = {}
    for i in range(n):
        if valid[i] and rule[i] == "" and has_time[i]:
            groups.setdefault(answers[i], []).append(i)
    for members in groups.values():
        members.sort(key=lambda i: (times[i], rows[i]))
        first = members[0]
        for prev, i in zip(members, members[1:], strict=False):
            if times[i] - times[prev] <= pd.Timedelta(minutes=WINDOW):
                rule[i], dup_of[i] = "identiska_svar", int(rows[first])
            else:
                first = i
    return np.array(dup_of), np.array(rule, dtype=object)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["", "a", "b", "c"]),
                          st.one_of(st.none(), st.integers(0, 40)),
                          st.sampled_from(["Ja", "Nej", None]),
                          st.sampled_from(["x", "y"]),
                          st.booleans(), st.booleans()), min_size=1, max_size=40),
       st.randoms(use_true_random=False))
def test_duplicates_follow_the_rules_row_by_row(records, rnd):
    ids = np.array([r[0] for r in records], dtype=object)
    base = pd.Timestamp("2020-03-01 12:00")
    times = pd.Series([base + pd.Timedelta(minutes=5 * r[1]) if r[1] is not None else pd.NaT
                       for r in records], dtype="datetime64[ns]").to_numpy()
    rows = np.array(rnd.sample(range(2, 2 + 3 * len(records)), len(records)), dtype=np.int64)
    valid = np.array([r[4] for r in records])
    has_time = np.array([r[5] for r in records]) & ~np.isnat(times)
    frame = pd.DataFrame({
        "respondent_id": pd.array([None] * len(records), dtype=pd.StringDtype()),
        "submitted": times, "year": 2020,
        "q1": pd.Categorical([r[2] for r in records], categories=["Ja", "Nej"]),
        "q2": pd.Categorical([r[3] for r in records], categories=["x", "y"])})
    answers = [(r[2], r[3]) for r in records]
    got = _find_duplicates(frame, ids, rows, valid, has_time, WINDOW)
    want = _reference(ids, pd.Series(times), answers, rows, valid, has_time)
    assert np.array_equal(got[0], want[0])
    assert list(got[1]) == list(want[1])
