"""An analyst's own tables: any grouping, two crossed, any filter — under the published rules.

The yearly report publishes every indicator for the whole population and by
each grouping of ``estimation.by`` (sex, age group, area, relation). An
analyst asks for more: the share unsafe among women aged 16–24, by area; sex
crossed with area; the answers to one question by those to another. Each such
table is a set of *domains* of the year's sample (:class:`Domain`), estimated
with the year's primary design like the published figures (domains over all
respondents, never a subset of the data, so that the standard errors are
right), and published only through the same disclosure control:

* every domain is a cell of the table, under the same rules
  (:func:`trygghet.suppress.protect`: ``min_cell``, ``min_n``, the cells of a
  share, secondary suppression);
* the table is audited *together with the year's published figures* of the
  same indicators (``fixed``: already public, never changed): a filtered group
  (women aged 16–24) lies within the published groups it is cut from (women;
  16–24), a filtered or crossed cell within its margins and within the
  published group of its level (Centrum), and the margins of a crossed table
  within its total. These nestings are declared to the audit (``within``), so
  that, say, "Centrum less the women aged 16–24 in Centrum" is checked like
  any hidden cell;
* then the exact check of :mod:`trygghet.exact_audit` on the respondents: no
  combination of the table's shown figures and the published ones determines
  a group of 1 to ``min_cell − 1`` people. The equation audit derives one
  equation at a time; a crossed table's margins allow more (inclusion and
  exclusion over several margins), which only the exact check sees.

What this guarantees: a table from :func:`table`, together with everything
the year's published report shows of the same indicators, reveals no group of
fewer than ``min_cell`` respondents, with or without the trait. What it does
not: two of an analyst's own tables compared with each other (women aged
16–24 by area, and women aged 16–29 by area, were that a grouping) are not
audited together — ask for them in one table, or publish one of them only.
The opt-in year's model-based adjusted figures are in the equation audit
(nested in the unweighted ones, as published) but not in the exact check,
whose atoms are the respondents of the primary figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import survey
from .config import groupings_of
from .errors import TrygghetError
from .estimate import estimate
from .exact_audit import Atoms, audit
from .indicators import respondent_values
from .questionnaire import Questionnaire, resolve
from .schema import Question, option_column
from .suppress import OVERLAPPING, Rules, protect

FILTER = "filter"          # the group_var of a filtered group
CROSS = " × "              # joins the group_vars (and groups) of crossed groupings
TABLE_COLUMNS = ["year", "indicator", "kind", "group_var", "group", "estimate_type", "n",
                 "count", "estimate", "se", "ci_low", "ci_high", "ci_method", "df",
                 "generalisable", "model_based", "sampling", "questions", "suppressed",
                 "suppression_reason", "symbol", "note"]


# --- The groupings of a year ------------------------------------------------------------

def _questions(questions: Mapping[str, Question] | None) -> Mapping[str, Question]:
    # The year's questionnaire (SurveyYear.survey); the default one for older callers.
    return resolve(None).questions if questions is None else questions


def grouping_names(responses: pd.DataFrame,
                   questions: Mapping[str, Question] | None = None) -> list[str]:
    """Questions a table can be broken down or filtered by: the categorical questions
    (fixed answer options, or the year's areas), never ids, times, ages or free text.
    ``questions`` are the questionnaire's (default: the bundled one)."""
    def present(q) -> bool:
        if q.kind == "multi":
            return all(c in responses.columns for c in q.columns)
        return q.kind == "single" and q.name in responses.columns

    return [name for name, q in _questions(questions).items() if present(q)]


def grouping_masks(responses: pd.DataFrame, name: str,
                   questions: Mapping[str, Question] | None = None) -> dict[str, np.ndarray]:
    """``{level: respondents in it}`` for a grouping, in the grouping's order.

    A multi-select question (relation) gives one group per option; they overlap.
    """
    names = grouping_names(responses, questions)
    if name not in names:
        raise TrygghetError(f"kan inte redovisa efter '{name}': ingen sådan gruppering",
                            hint="välj en av " + ", ".join(names))
    q = _questions(questions)[name]
    if q.kind == "multi":
        return {lev: responses[option_column(name, lev)].fillna(False).to_numpy(dtype=bool)
                for lev in q.answer_scale.levels}
    column = responses[name]
    levels = (list(column.cat.categories) if isinstance(column.dtype, pd.CategoricalDtype)
              else sorted(column.dropna().unique()))
    values = column.astype(object).to_numpy()
    return {str(lev): (values == lev) for lev in levels}


def overlapping(name: str, questions: Mapping[str, Question] | None = None) -> bool:
    """Whether a grouping's groups overlap (a multi-select question)."""
    return _questions(questions)[name].kind == "multi"


def condition_mask(responses: pd.DataFrame,
                   where: Mapping[str, str | Sequence[str]] | None,
                   questions: Mapping[str, Question] | None = None) -> np.ndarray:
    """Respondents meeting every condition ``{grouping: level or levels}``."""
    keep = np.ones(len(responses), dtype=bool)
    for name, levels in (where or {}).items():
        masks = grouping_masks(responses, name, questions)
        wanted = [levels] if isinstance(levels, str) else list(levels)
        unknown = [lev for lev in wanted if lev not in masks]
        if unknown or not wanted:
            raise TrygghetError(f"okänd nivå {unknown[0] if unknown else '(ingen)'} för "
                                f"'{name}'", hint="välj bland " + ", ".join(masks))
        keep &= np.logical_or.reduce([masks[lev] for lev in wanted])
    return keep


# --- The domains of a table ------------------------------------------------------------

@dataclass(frozen=True)
class Domain:
    """One cell of an analyst's table: a group of respondents and where it lies.

    ``group_var``/``group`` key the cell (``"sex × area"``, ``"Kvinna × Centrum"``);
    ``within`` lists the cells it lies inside: ``(group_var, group)`` where its
    grouping partitions that cell (a crossed cell in its margins), with a third
    item ``"subset"`` where it is merely cut from it (a filtered group in the
    published group of its level); ``levels`` are its levels of the table's
    groupings (``None`` for a margin or the total); ``part`` is ``"total"``,
    ``"margin"`` or ``"cell"``.
    """

    group_var: str
    group: str
    mask: np.ndarray = field(repr=False)
    within: tuple[tuple[str, ...], ...] = ()
    levels: tuple[str | None, ...] = ()
    part: str = "cell"


def domains(responses: pd.DataFrame, by: Sequence[str] = (),
            where: Mapping[str, str | Sequence[str]] | None = None,
            published: Sequence[str] = (),
            questions: Mapping[str, Question] | None = None) -> list[Domain]:
    """The cells of a table of ``responses`` by up to two groupings, within ``where``.

    ``published`` are the groupings the year's report publishes: their groups are
    public cells the table's cells lie within. Without ``where`` the table's total
    is the published total and a published grouping's margin is the published one.
    """
    by = list(by)
    if len(by) > 2 or len(set(by)) < len(by):
        raise TrygghetError("en tabell kan delas upp efter högst två olika grupperingar",
                            hint="t.ex. by=['sex', 'area']")
    if len(by) == 2 and any(overlapping(b, questions) for b in by):
        raise TrygghetError("en gruppering med överlappande grupper (t.ex. relation) kan "
                            "inte korsas med en annan", hint="välj den ensam eller som urval")
    base = condition_mask(responses, where, questions)
    prefix = f"{FILTER}{CROSS}" if where else ""
    total = Domain(FILTER, FILTER, base, part="total", levels=(None,) * len(by)) if where \
        else Domain("total", "Totalt", base, part="total", levels=(None,) * len(by))
    if where:
        cut_from = [(name, level, "subset") for name, level in where.items()
                    if isinstance(level, str) and name in published]
        total = Domain(total.group_var, total.group, base, tuple(cut_from), total.levels,
                       "total")
    out = [total]
    masks = {name: grouping_masks(responses, name, questions) for name in by}
    for i, name in enumerate(by):
        for level, mask in masks[name].items():
            links: list[tuple[str, ...]] = [(total.group_var, total.group)] if where else []
            if name in published and where:
                links.append((name, level, "subset"))
            levels = tuple(level if j == i else None for j in range(len(by)))
            out.append(Domain(prefix + name, level, base & mask, tuple(links), levels,
                              "margin" if len(by) == 2 else "cell"))
    if len(by) == 2:
        a, b = by
        for la, ma in masks[a].items():
            for lb, mb in masks[b].items():
                out.append(Domain(prefix + a + CROSS + b, la + CROSS + lb, base & ma & mb,
                                  ((prefix + a, la), (prefix + b, lb)), (la, lb), "cell"))
    return out


# --- A survey year, with its published figures ---------------------------------------------

@dataclass
class SurveyYear:
    """What an analyst's tables of one year need: respondents, values, design, and the
    published figures (``estimates`` with their true counts, ``published`` as the
    disclosure control left them: the same rows)."""

    year: int
    responses: pd.DataFrame
    values: pd.DataFrame
    design: Any
    estimates: pd.DataFrame
    published: pd.DataFrame
    settings: dict[str, Any]
    questionnaire: Questionnaire | None = None

    @classmethod
    def of(cls, responses: pd.DataFrame, population: pd.DataFrame | None,
           settings: dict[str, Any], questionnaire: Questionnaire | None = None
           ) -> SurveyYear:
        result = survey.estimate_survey(responses, population, settings, questionnaire)
        published = protect(result.estimates, Rules.from_settings(settings))
        return cls(year=int(result.estimates["year"].iloc[0]), responses=responses,
                   values=respondent_values(responses, questionnaire=questionnaire),
                   design=survey.primary_design(responses, population, settings),
                   estimates=result.estimates, published=published, settings=settings,
                   questionnaire=questionnaire)

    @property
    def survey(self) -> Questionnaire:
        """The year's questionnaire (the default one if none was given)."""
        return resolve(self.questionnaire)

    @property
    def sampling(self) -> str:
        return str(self.responses.attrs.get("sampling"))

    @property
    def primary_type(self) -> str:
        return "weighted" if self.sampling == "probability" else "unweighted"

    @property
    def published_groupings(self) -> list[str]:
        return groupings_of(self.settings["estimation"]["by"], self.survey.questions)

    @property
    def rules(self) -> Rules:
        return Rules.from_settings(self.settings)

    def context(self, indicators: Sequence[str]) -> pd.DataFrame:
        """The published rows of ``indicators`` with their true ``n`` and ``count``."""
        rows = self.estimates["indicator"].isin(list(indicators)).to_numpy()
        out = self.estimates[rows].copy()
        for col in ("suppressed", "suppression_reason", "symbol"):
            out[col] = self.published.loc[rows, col].to_numpy()
        return out

    def context_masks(self) -> dict[tuple[str, str], np.ndarray]:
        """Respondents behind each published group: ``{(group_var, group): mask}``."""
        out = {("total", "Totalt"): np.ones(len(self.responses), dtype=bool)}
        for name in self.published_groupings:
            for level, mask in grouping_masks(self.responses, name,
                                              self.survey.questions).items():
                out[name, level] = mask
        return out


# --- Estimates and protection --------------------------------------------------------------

def _estimate_domains(year: SurveyYear, indicators: Sequence[str],
                      cells: Sequence[Domain]) -> pd.DataFrame:
    """The year's primary estimate of each indicator in each domain (contract columns)."""
    eset = year.settings["estimation"]
    by: dict[str, pd.DataFrame] = {}
    for d in cells:
        by.setdefault(d.group_var, pd.DataFrame(index=year.responses.index))[d.group] = d.mask
    values = year.values[list(indicators)]
    kinds = {name: year.survey.indicators[name].kind for name in indicators}
    raw = estimate(values, year.design, by=by, kind=kinds, total=False,
                   ci_method=eset["ci_method"], level=eset["level"])
    raw = raw.rename(columns={"variable": "indicator"})
    first = year.context(indicators).groupby("indicator").first()
    for col in ("generalisable", "model_based", "sampling", "questions"):
        raw[col] = raw["indicator"].map(first[col])
    raw["year"] = year.year
    raw["estimate_type"] = year.primary_type
    not_asked = raw["indicator"].map(first["suppression_reason"]).eq("not_asked").to_numpy()
    raw["suppressed"] = not_asked
    raw["suppression_reason"] = np.where(not_asked, "not_asked", "")
    raw["symbol"] = ""
    raw["note"] = raw["indicator"].map(year.context(indicators).groupby("indicator")["note"]
                                       .first())
    return raw[TABLE_COLUMNS]


def table(year: SurveyYear, indicators: Sequence[str], by: Sequence[str] = (),
          where: Mapping[str, str | Sequence[str]] | None = None, *,
          protected: bool = True, rules: Rules | None = None) -> pd.DataFrame:
    """An analyst's table: the indicators by up to two groupings, within ``where``.

    Returns the table's rows in the estimates contract (``TABLE_COLUMNS``) plus
    ``part`` and ``level_1``/``level_2`` (the rows' levels of the groupings; NA for
    a margin or the total), after disclosure control unless ``protected`` is false
    (then nothing is withheld but the questions not asked). Published cells keep
    exactly their published figures and symbols.
    """
    rules = rules or year.rules
    indicators = list(dict.fromkeys(indicators))
    cells = domains(year.responses, by, where, year.published_groupings,
                    year.survey.questions)
    context = year.context(indicators)
    context_keys = set(zip(context["group_var"], context["group"], strict=True))
    own = [d for d in cells if (d.group_var, d.group) not in context_keys]
    mine = _estimate_domains(year, indicators, own) if own else context.iloc[:0][TABLE_COLUMNS]
    combined = pd.concat([context[TABLE_COLUMNS], mine], ignore_index=True)
    fixed = np.arange(len(combined)) < len(context)
    if protected and own:
        combined = _protect(year, indicators, combined, fixed, cells, rules)
    elif protected:  # published rows only: as published (values of hidden rows blanked)
        combined = protect(combined, rules, fixed=fixed)
    elif not protected:
        combined = pd.concat([year.estimates[year.estimates["indicator"].isin(indicators)][
            TABLE_COLUMNS], mine], ignore_index=True)
        zero = combined["estimate"].eq(0) & ~combined["suppressed"].astype(bool)
        combined["symbol"] = np.where(combined["suppression_reason"].eq("not_asked"), ".",
                                      np.where(zero, "–", ""))
    # The table's own rows, in the order of its domains, each indicator in turn.
    order = {(d.group_var, d.group): i for i, d in enumerate(cells)}
    key = list(zip(combined["group_var"], combined["group"], strict=True))
    rank = pd.Series([order.get(k, -1) for k in key], index=combined.index)
    primary = combined["estimate_type"].eq(year.primary_type)
    out = combined[(rank >= 0) & primary].assign(_r=rank, _i=combined["indicator"].map(
        {name: i for i, name in enumerate(indicators)}))
    out = out.sort_values(["_i", "_r"], kind="stable")
    info = {(d.group_var, d.group): d for d in cells}
    parts = [info[(gv, g)] for gv, g in zip(out["group_var"], out["group"], strict=True)]
    out["part"] = [d.part for d in parts]
    for j in range(len(by)):
        out[f"level_{j + 1}"] = [d.levels[j] for d in parts]
    return out.drop(columns=["_r", "_i"]).reset_index(drop=True)


def _protect(year: SurveyYear, indicators: Sequence[str], combined: pd.DataFrame,
             fixed: np.ndarray, cells: Sequence[Domain], rules: Rules) -> pd.DataFrame:
    """The equation audit (with the nestings) and the exact check, until both agree."""
    within = [(d.group_var, d.group, *parent) for d in cells for parent in d.within]
    over = tuple(OVERLAPPING) + tuple(
        d.group_var for d in cells if d.group_var.rsplit(CROSS, 1)[-1] in year.survey.questions
        and overlapping(d.group_var.rsplit(CROSS, 1)[-1], year.survey.questions))
    masks = year.context_masks() | {(d.group_var, d.group): d.mask for d in cells}
    true_n = combined["n"].to_numpy(dtype=float, na_value=np.nan)
    table = combined
    for _ in range(len(combined) + 1):
        out = protect(table, rules, overlapping=over, within=within, fixed=fixed)
        hidden = out["suppressed"].to_numpy(dtype=bool).copy()
        for name in indicators:
            rows = np.flatnonzero(combined["indicator"].eq(name).to_numpy()
                                  & combined["estimate_type"].eq(year.primary_type).to_numpy()
                                  & ~combined["suppression_reason"].eq("not_asked").to_numpy())
            if not len(rows):
                continue
            y = year.values[name].to_numpy()
            answered = ~np.isnan(y)
            members = np.column_stack([masks[(gv, g)] for gv, g in zip(
                combined["group_var"].iloc[rows], combined["group"].iloc[rows], strict=True)])
            share = year.survey.indicators[name].kind == "share"
            atoms = Atoms.of(members[answered], y[answered] if share else None)
            now, _ = audit(atoms, hidden[rows], fixed=fixed[rows],
                           size=true_n[rows], min_cell=rules.min_cell)
            hidden[rows] = now
        more = hidden & ~out["suppressed"].to_numpy(dtype=bool)
        if not more.any():
            return out
        # Hide them and let the equation audit follow up what that changes.
        table = table.copy()
        table["suppressed"] = table["suppressed"].astype(bool) | more
        table["suppression_reason"] = np.where(more, "secondary", table["suppression_reason"])
    raise AssertionError("the disclosure audit did not settle")  # pragma: no cover
