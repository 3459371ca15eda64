"""The difference of an estimate between two groups of one sample, with its standard error.

Two groups of one survey year — two areas, women and men, women aged 16–24 and
everyone else — are *domains* of the same sample: their estimates share the
weights, the calibration and (where they overlap) respondents, so they are not
independent. The variance of the difference is that of the difference of their
linearised influence values, as R computes it with ``svyby(..., covmat =
TRUE)`` and ``svycontrast``::

    V(ȳ_A − ȳ_B) = V(Σ_i x_i),   x_i = w_i (y_i − ȳ_A) 1[i ∈ A] / W_A
                                       − w_i (y_i − ȳ_B) 1[i ∈ B] / W_B

(``W_D`` the weight of domain ``D``'s respondents with an answer; rows
without an answer contribute 0), residualised on the raking margins and
summed with the design's strata and finite population correction exactly as
for one estimate. The engine (:func:`trygghet.estimate.estimate`) already
computes that variance for the weighted mean of any variable; for the
variable ``z_i = x_i / w_i`` over all respondents, whose weighted mean is 0,
the influence value is ``w_i z_i / W`` (``W`` = all the weight), so
``SE(ȳ_A − ȳ_B) = W · SE(z̄)``. No covariance is assumed away: for disjoint
domains of a raked sample it is small but not zero, and for overlapping groups
it is large.

The interval is ``diff ± z_{1−α/2} · SE`` (normal, as ``confint(svycontrast(…))``
and the changes between years); the difference is *significant* when it
excludes 0. Two years are independent samples: see
:func:`trygghet.survey.changes` (``SE = √(SE₁² + SE₂²)``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .estimate import estimate
from .survey import normal_quantile
from .weights import WeightedDesign


@dataclass(frozen=True)
class GroupDifference:
    """``estimate_a − estimate_b`` with its linearised SE and normal interval."""

    estimate_a: float
    estimate_b: float
    n_a: int
    n_b: int
    diff: float
    se: float
    ci_low: float
    ci_high: float

    @property
    def significant(self) -> bool:
        """The interval excludes 0 (never, without a standard error)."""
        return bool(np.isfinite(self.se) and self.se > 0
                    and (self.ci_low > 0 or self.ci_high < 0))


def group_difference(values: pd.Series, design: WeightedDesign | None, in_a, in_b, *,
                     kind: str = "share", level: float = 0.95) -> GroupDifference:
    """The difference of one variable's estimate between two domains of one sample.

    Parameters
    ----------
    values
        One value per respondent (1/0 for a share, a score for an index; NaN
        outside the variable's base), aligned with ``design``.
    design
        The year's design (:func:`trygghet.survey.primary_design`); ``None`` for
        plain figures of the respondents, whose SE is then the same
        linearisation without weights (n/(n−1) over all rows).
    in_a, in_b
        Boolean per respondent: membership of the two groups (they may overlap).
    kind, level
        ``"share"`` or ``"mean"``; the confidence level.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> y = pd.Series([1.0, 0.0, 1.0, 1.0, 0.0, 0.0])
    >>> d = group_difference(y, None, np.array([1, 1, 1, 0, 0, 0], bool),
    ...                      np.array([0, 0, 0, 1, 1, 1], bool))
    >>> round(d.diff, 4)
    0.3333
    """
    y = pd.Series(np.asarray(values, dtype=float))
    in_a, in_b = np.asarray(in_a, dtype=bool), np.asarray(in_b, dtype=bool)
    groups = pd.DataFrame({"a": in_a, "b": in_b})
    sides = estimate(y.rename("y"), design, by={"groups": groups}, kind=kind, total=False,
                     level=level).set_index("group")
    if not {"a", "b"} <= set(sides.index):
        raise ValueError("both groups need respondents")
    a, b = sides.loc["a"], sides.loc["b"]
    mean_a, mean_b = float(a["estimate"]), float(b["estimate"])
    answered = y.notna().to_numpy()
    yv = y.fillna(0.0).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (np.where(in_a & answered, (yv - mean_a) / float(a["weight_sum"]), 0.0)
             - np.where(in_b & answered, (yv - mean_b) / float(b["weight_sum"]), 0.0))
    # Rows outside both groups, or without an answer, carry z = 0: in the base of z̄,
    # with no influence of their own (domains, not dropped rows).
    whole = estimate(pd.Series(z, name="z"), design, kind="mean", level=level).iloc[0]
    se = float(whole["se"]) * float(whole["weight_sum"])
    diff = mean_a - mean_b
    q = normal_quantile(level)
    return GroupDifference(estimate_a=mean_a, estimate_b=mean_b, n_a=int(a["n"]),
                           n_b=int(b["n"]), diff=diff, se=se, ci_low=diff - q * se,
                           ci_high=diff + q * se)
