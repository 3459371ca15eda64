"""The yearly survey report (*trygghetsrapport*): its figures, key messages and method.

``notebooks/trygghetsrapport.ipynb`` tells the story; this module does the
repeatable work behind it, so that no logic is copied between notebooks:

* :func:`load_survey_report` gathers everything the report needs — estimates
  of every year compared (read from ``data/processed/``, computed once by
  ``trygghet estimate``), changes, weighting diagnostics, the year's design,
  the confidence level — and passes every table once more through the
  disclosure gate with the report's own ``min_cell``.
* :func:`key_messages` computes the *Sammanfattning* from the figures (and
  :func:`area_messages` for an area report); it is never hand-written prose.
* :func:`method_text` states the design and what it allows one to say;
  :func:`cover` gives the title page.

The tables are in :mod:`trygghet.tables`, the charts in :mod:`trygghet.charts`,
every word in :mod:`trygghet.vocabulary`. Only figures that passed
:func:`trygghet.suppress.protect` reach these functions; free text and
respondent rows never do.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeGuard

import numpy as np
import pandas as pd

from . import comparability, fmt, references
from .config import Project, load_settings
from .errors import TrygghetError
from .mapping import SamplingDesign, load_mapping, used_mapping
from .questionnaire import Questionnaire, resolve
from .suppress import Rules, protect
from .survey import differ
from .tables import short_label
from .vocabulary import Translator, check_language, translator

PRIMARY = ("weighted", "unweighted")  # the estimate a report leads with, by design


@dataclass
class SurveyReport:
    """Everything the yearly survey report shows, already through the disclosure gate.

    Attributes
    ----------
    estimates
        Published estimates of ``years`` (primary and, for opt-in years,
        adjusted rows), protected with ``rules``, with the column
        ``ci_level`` (the charts state it).
    changes
        Change from each earlier year in ``years`` to ``year``, protected.
    design
        The survey design of ``year`` (``design.sampling`` decides the claims).
    weighting, cleaning
        ``weighting.json`` and ``cleaning_log.json`` of ``year``.
    crimes
        Reported crimes per area for ``year`` (``brott_<year>.csv``), if present.
    level
        The confidence level of the intervals (``estimation.level``).
    references
        The year's reference values (``referensvarden_<year>.csv``, see
        :mod:`trygghet.references`), if present.
    not_comparable
        Years left out of the comparison, wholly or by area, each with its
        :class:`~trygghet.comparability.Verdict` (``.note()`` says why).
    questionnaire
        The workspace's questionnaire: which indicators the report shows, in
        which sections, under which names (:attr:`survey`).
    """

    year: int
    years: list[int]
    municipality: str
    police_area: str | None
    language: str
    area: str | None
    rules: Rules
    synthetic: bool
    design: SamplingDesign
    title: str
    estimates: pd.DataFrame
    changes: pd.DataFrame
    weighting: dict
    cleaning: dict
    crimes: pd.DataFrame | None = None
    designs: dict[int, SamplingDesign] = field(default_factory=dict)
    level: float = 0.95
    references: pd.DataFrame | None = None
    not_comparable: dict[int, comparability.Verdict] = field(default_factory=dict)
    questionnaire: Questionnaire | None = None

    @property
    def survey(self) -> Questionnaire:
        """The workspace's questionnaire (the default one if none was given)."""
        return resolve(self.questionnaire)

    @property
    def probability(self) -> bool:
        return self.design.is_probability

    @property
    def response(self) -> pd.DataFrame | None:
        """The response rates (overall and per stratum, ``weighting.json``'s ``response``,
        see :func:`trygghet.survey.response_rates`) through the disclosure gate, or None."""
        records = self.weighting.get("response")
        return protect(pd.DataFrame(records), self.rules) if records else None

    @property
    def tr(self) -> Translator:
        """The report's words: ``rep.tr("msg.headline", …)`` in the report's language, the
        questionnaire's own where it has them."""
        return translator(self.language, self.survey.vocabulary)

    def primary(self, year: int | None = None) -> pd.DataFrame:
        """The estimates a report leads with: weighted, or unweighted for an opt-in year."""
        year = self.year if year is None else year
        e = self.estimates
        return e[(e["year"] == year) & e["estimate_type"].isin(PRIMARY)]

    def value(self, indicator: str, group_var: str = "total", group: str = "Totalt",
              year: int | None = None) -> pd.Series | None:
        """The primary estimate row of one indicator and group, or None if absent."""
        p = self.primary(year)
        rows = p[(p["indicator"] == indicator) & (p["group_var"] == group_var)
                 & (p["group"] == group)]
        return None if rows.empty else rows.iloc[0]


def _read_json(path: Path) -> dict:
    if not path.exists():
        raise TrygghetError("filen saknas", file=path, hint="kör trygghet estimate först")
    return json.loads(path.read_text(encoding="utf-8"))


def published_estimates(year: int, *, project: Project | None = None) -> pd.DataFrame:
    """``estimates.parquet`` of ``year`` with its confidence level (column ``ci_level``).

    The level is the project's ``estimation.level``, which the estimation
    stage used; the charts and tables state it.
    """
    project = project or Project.find()
    path = project.processed(year) / "estimates.parquet"
    if not path.exists():
        raise TrygghetError(f"skattningar för {year} saknas", file=path,
                            hint=f"kör trygghet estimate --year {year}")
    frame = pd.read_parquet(path)
    frame["ci_level"] = float(load_settings(project)["estimation"]["level"])
    return frame


def load_survey_report(year: int, *, compare_years: Sequence[int] | None = None,
                       area: str | None = None, min_cell: int | None = None,
                       language: str = "sv", municipality: str | None = None,
                       project: Project | None = None) -> SurveyReport:
    """Load and protect what the survey report of ``year`` needs.

    ``compare_years`` defaults to every survey year up to ``year``. ``min_cell``
    can only tighten the project's disclosure threshold, never loosen it.
    """
    check_language(language)
    project = project or Project.find()
    settings = load_settings(project)
    base = Rules.from_settings(settings)
    rules = Rules(min_cell=max(base.min_cell, min_cell or 0), min_n=base.min_n)
    years = sorted(set(compare_years or [y for y in project.survey_years() if y <= year])
                   | {year})
    # Only years that compare with this one are put beside it; the others are named.
    verdicts = comparability.verdicts(project, year, years, settings["municipality"], language)
    years = [y for y in years if y == year or verdicts[y].comparable]
    frames = [published_estimates(y, project=project) for y in years]
    frames = [f if y == year or verdicts[y].areas_comparable else f[f["group_var"] != "area"]
              for y, f in zip(years, frames, strict=True)]
    designs = {y: load_mapping(used_mapping(project, y)[0], project.questionnaire).design
               for y in years}
    estimates = protect(pd.concat(frames, ignore_index=True), rules)
    changes_path = project.processed(year) / "changes.parquet"
    changes = pd.read_parquet(changes_path) if changes_path.exists() else pd.DataFrame()
    if len(changes):
        changes = protect(changes[changes["year_from"].isin(years)], rules)
    crimes_path = project.reference / f"brott_{year}.csv"
    # (clean --mapping's, if given)
    mapping = load_mapping(used_mapping(project, year)[0], project.questionnaire)
    if area is not None and area not in mapping.areas:
        raise TrygghetError(f"okänt område '{area}'",
                            hint=f"områdena är: {', '.join(mapping.areas)}")
    return SurveyReport(
        year=year, years=years,
        municipality=municipality or settings["municipality"],
        police_area=settings["police_area"], language=language, area=area, rules=rules,
        synthetic=bool(settings["synthetic_data"]), design=mapping.design, title=mapping.title,
        estimates=estimates, changes=changes,
        weighting=_read_json(project.processed(year) / "weighting.json"),
        cleaning=_read_json(project.processed(year) / "cleaning_log.json"),
        crimes=pd.read_csv(crimes_path) if crimes_path.exists() else None,
        designs=designs, level=float(settings["estimation"]["level"]),
        references=references.read_references(project.reference, year,
                                              project.questionnaire),
        questionnaire=project.questionnaire,
        not_comparable={y: v for y, v in verdicts.items() if not v.areas_comparable},
    )


def _in_sentence(rep: SurveyReport, text: str | None) -> str:
    """The survey's own words inside a sentence: first letter lower-cased, unless the text
    begins with the municipality's or an area's name."""
    areas = rep.estimates.loc[rep.estimates["group_var"] == "area", "group"]
    return fmt.lower_first(text or "", names=[rep.municipality, *areas.unique()])


def cover(rep: SurveyReport) -> dict:
    """The report's title page, as the arguments of :func:`trygghet.render.document_info`."""
    t = rep.tr
    where = t("survey.where", area=rep.area) if rep.area else ""
    return {"title": t("survey.title", municipality=rep.municipality, year=rep.year,
                       where=where),
            "subtitle": t("survey.subtitle", survey=_in_sentence(rep, rep.title),
                          year=rep.year),
            "description": t("survey.description"),
            "organisation": [rep.municipality, rep.police_area],
            "synthetic": rep.synthetic, "language": rep.language}


# --- Key messages --------------------------------------------------------------------

def _share(row, language: str) -> str:
    return fmt.percent(row["estimate"], 0, language=language)


def is_published(row: pd.Series | None) -> TypeGuard[pd.Series]:
    """Whether ``row`` (one estimate, from :meth:`SurveyReport.value`) may be quoted:
    it exists, is not suppressed and has a value."""
    return row is not None and not row["suppressed"] and bool(pd.notna(row["estimate"]))


def _areas(rep: SurveyReport) -> pd.DataFrame:
    """The published headline per named area (not *Annat område*)."""
    p = rep.primary()
    return p[(p["indicator"] == "otrygg_kvall") & (p["group_var"] == "area")
             & ~p["suppressed"] & (p["group"] != "Annat område")]


def key_messages(rep: SurveyReport) -> list[str]:
    """Three to five key messages for the *Sammanfattning*, computed from the figures.

    Each message is only made when its figures are published (not suppressed)
    and phrased according to the design: shares of the population with a
    confidence interval for a random sample, shares *of the respondents* for
    an opt-in survey, where no difference is called statistically significant.
    """
    if rep.area:
        return area_messages(rep)
    t, lang = rep.tr, rep.language
    msgs: list[str] = []
    whom = t("whom.population_aged" if rep.probability else "whom.respondents")

    head = rep.value("otrygg_kvall")
    if is_published(head):
        ci = t("msg.ci", level=fmt.level(rep.level, language=lang),
               ci=fmt.interval(head["ci_low"], head["ci_high"], decimals=0, language=lang)) \
            if rep.probability else ""
        msgs.append(t("msg.headline", share=_share(head, lang), whom=whom, ci=ci)
                    + reference_sentences(rep, head))

    women, men = rep.value("otrygg_kvall", "sex", "Kvinna"), rep.value("otrygg_kvall", "sex", "Man")
    if is_published(women) and is_published(men) and women["estimate"] > men["estimate"]:
        sure = ""
        if rep.probability:
            significant = differ(women, men, rep.level)
            sure = " " + t("msg.significant" if significant else "msg.not_significant")
        msgs.append(t("msg.women_more", women=_share(women, lang), men=_share(men, lang),
                      sure=sure))

    times = {t_: rep.value(f"tid_{t_}") for t_ in ("kvall", "natt", "tidig_morgon", "dagtid")}
    shown = {k: r for k, r in times.items() if is_published(r)}
    if len(shown) == len(times):
        dark = max(shown["kvall"]["estimate"], shown["natt"]["estimate"])
        if dark > shown["dagtid"]["estimate"]:
            msgs.append(t("msg.dark", evening=_share(shown["kvall"], lang),
                          night=_share(shown["natt"], lang), day=_share(shown["dagtid"], lang)))

    areas = _areas(rep)
    if len(areas) >= 3:
        hi, lo = areas.loc[areas["estimate"].idxmax()], areas.loc[areas["estimate"].idxmin()]
        msgs.append(t("msg.areas_differ", high=hi["group"], high_share=_share(hi, lang),
                      low=lo["group"], low_share=_share(lo, lang)))

    change = _headline_change(rep)
    if change:
        msgs.append(change)

    prio = rep.primary()
    prio = prio[prio["indicator"].str.startswith("prio_") & (prio["group_var"] == "total")
                & ~prio["suppressed"] & (prio["indicator"] != "prio_annat")]
    if len(prio) >= 3 and len(msgs) < 5:
        top = prio.sort_values("estimate", ascending=False).head(3)
        msgs.append(t("msg.priorities", items=_ranked_phrases(top, lang)))
    return msgs[:5]


def _ranked_phrases(rows: pd.DataFrame, language: str) -> str:
    """"trafik (35 %), nedskräpning (20 %) och …": indicators' short names and shares."""
    return fmt.join([f"{fmt.lower_first(short_label(i, language))} ({_share(r, language)})"
                     for i, (_, r) in zip(rows["indicator"], rows.iterrows(), strict=True)],
                    language=language)


def _headline_change(rep: SurveyReport, group_var: str = "total",
                     group: str = "Totalt") -> str | None:
    """The change in the headline from the previous compared year, honestly phrased."""
    t, lang = rep.tr, rep.language
    earlier = [y for y in rep.years if y < rep.year]
    if not earlier or rep.changes.empty:
        return None
    prev = max(earlier)
    c = rep.changes
    row = c[(c["year_from"] == prev) & (c["indicator"] == "otrygg_kvall")
            & (c["group_var"] == group_var) & (c["group"] == group)]
    if row.empty:
        return None
    row = row.iloc[0]
    where = t("msg.where", group=group) if group_var != "total" else ""
    if row["series_break"]:
        return t("msg.series_break", prev=prev)
    if row["suppressed"] or pd.isna(row["diff"]):
        return None
    a = fmt.percent(row["estimate_from"], 0, language=lang)
    b = fmt.percent(row["estimate_to"], 0, language=lang)
    if row["significant"]:
        return t("msg.change", where=where, prev=prev, a=a, b=b,
                 verb=t("msg.fallen" if row["diff"] < 0 else "msg.risen"),
                 points=fmt.points(abs(row["diff"]), decimals=1, sign=False, language=lang))
    return t("msg.no_change", where=where, prev=prev, a=a, b=b) + " " + \
        t("msg.not_significant")


def area_messages(rep: SurveyReport) -> list[str]:
    """Key messages for an area report (``rep.area``), computed from the area's figures.

    The area's headline beside the municipality's and its rank among the
    areas; when it feels most unsafe there; the biggest problems residents
    see there; what they want prioritised; and the change since the previous
    year. As :func:`key_messages`, only published figures are used.
    """
    t, lang, area = rep.tr, rep.language, rep.area
    if area is None:
        raise ValueError("area_messages needs an area report (rep.area)")
    msgs: list[str] = []
    p = rep.primary()
    here = p[(p["group_var"] == "area") & (p["group"] == area) & ~p["suppressed"]]

    head, whole = rep.value("otrygg_kvall", "area", area), rep.value("otrygg_kvall")
    if is_published(head):
        areas = _areas(rep)
        rank = int((areas["estimate"] > head["estimate"]).sum()) + 1
        versus = t("msg.versus", share=_share(whole, lang)) if is_published(whole) else ""
        msgs.append(t("msg.area_headline", area=area, share=_share(head, lang), versus=versus,
                      whom=t("whom.population" if rep.probability else "whom.respondents"),
                      rank=rank_text(rank, len(areas), lang))
                    + reference_sentences(rep, head))
    elif head is not None:
        msgs.append(t("msg.area_hidden", area=area))

    def top(prefix: str, k: int = 3, exclude: tuple[str, ...] = ()) -> str:
        rows = here[here["indicator"].str.startswith(prefix)
                    & ~here["indicator"].isin(list(exclude)) & (here["estimate"] > 0)]
        return _ranked_phrases(rows.sort_values("estimate", ascending=False).head(k), lang)

    family = rep.survey.family("tid")
    times = here[here["indicator"].isin([i for i, o in family.items() if o != "Aldrig"])
                 & (here["estimate"] > 0)]
    if len(times):
        row = times.loc[times["estimate"].idxmax()]
        msgs.append(t("msg.area_time", area=area, share=_share(row, lang),
                      when=t.label("time_phrase", family[row["indicator"]])))
    problems = top("stort_problem_")
    if problems:
        msgs.append(t("msg.area_problems", area=area, items=problems))
    prio = top("prio_", exclude=("prio_annat",))
    if prio:
        msgs.append(t("msg.area_priorities", area=area, items=prio))
    change = _headline_change(rep, "area", area)
    if change:
        msgs.append(change)
    return msgs[:5]


def reference_sentences(rep: SurveyReport, row: pd.Series, indicator: str = "otrygg_kvall"
                        ) -> str:
    """" Det är högre än riket: 28 % enligt …": a published estimate beside its references.

    For a random sample the reference is compared with the estimate's
    confidence interval (:func:`trygghet.references.compare`): outside it
    *högre/lägre än*, inside it *i nivå med*. An opt-in year states the
    reference as a comparison and claims nothing. "" without references.
    """
    t, lang = rep.tr, rep.language
    out = []
    for _, ref in references.for_indicator(rep.references, indicator).iterrows():
        value = fmt.estimate(ref["value"], row["kind"], language=lang,
                             decimals=0 if row["kind"] == "share" else None)
        if not rep.probability:
            out.append(t("reference.opt_in", label=references.label(ref, lang), value=value,
                         source=ref["source"]))
            continue
        verdict = references.compare(row, ref["value"])
        if verdict is not None:
            out.append(t(f"reference.{verdict}", name=references.name(ref, lang), value=value,
                         source=ref["source"]))
    return "".join(" " + s for s in out)


def rank_text(rank: int, of: int, language: str) -> str:
    """Where an area ranks among ``of`` areas, 1 = the highest share."""
    t = translator(language)
    words = {1: "rank.highest", of: "rank.lowest"}
    if of >= 5:  # "second" only where it is not also the middle
        words |= {2: "rank.second_highest", of - 1: "rank.second_lowest"}
    if rank in words:
        return t("rank.named", word=t(words[rank]), of=of)
    return t("rank.number", rank=rank, of=of)


# --- Method ------------------------------------------------------------------------

def method_text(rep: SurveyReport) -> str:
    """The method section (markdown): design, period, n, weighting, uncertainty, rules."""
    t, lang = rep.tr, rep.language
    d, w, log = rep.design, rep.weighting.get("weighting", {}), rep.cleaning
    n = log["rows_clean"]

    def number(value, decimals: int = 0) -> str:
        return fmt.number(value, decimals, language=lang)

    period = ""
    if d.period:
        period = t("method.period", start=fmt.date(d.period[0], language=lang),
                   end=fmt.date(d.period[1], language=lang))
    parts = []
    if d.is_probability:
        head = rep.value("otrygg_kvall")
        margin = ""
        if is_published(head):
            half = (head["ci_high"] - head["ci_low"]) / 2
            margin = t("method.margin", half=fmt.points(half, 1, sign=False, language=lang))
        parts.append(t("method.sample", sent=number(d.sent), n=number(n), period=period,
                       population=_in_sentence(rep, d.population)
                       or t("method.default_population"),
                       mode=_in_sentence(rep, d.mode) or t("method.default_mode"),
                       rate=fmt.percent(n / d.sent, 0, language=lang))
                     + t("response.definition") + _strata_rates(rep) + area_response(rep))
        parts.append(t("method.weighting", n_eff=number(w.get("kish_n_eff", np.nan)),
                       deff=number(w.get("deff", np.nan), 2), margin=margin,
                       level=fmt.level(rep.level, language=lang)) + _reconciled(rep))
        if w.get("strata"):
            parts.append(_strata_text(rep))
    else:
        parts.append(t("method.opt_in", n=number(n), period=period,
                       mode=_in_sentence(rep, d.mode) or t("method.default_open_mode")))
    parts.append(t("method.cleaning", rows_in=number(log["rows_in"]),
                   quarantined=number(log["rows_quarantined"]),
                   duplicates=number(log["duplicates_removed"])))
    parts.append(t("method.disclosure", min_cell=rep.rules.min_cell, min_n=rep.rules.min_n)
                 + _indices_text(rep))
    breaks = [y for y in rep.years if y < rep.year and rep.designs.get(y)
              and rep.designs[y].sampling != d.sampling]
    if breaks:
        parts.append(t("method.series_break",
                       years=fmt.join([str(y) for y in breaks], language=lang)))
    if rep.references is not None and len(rep.references):
        parts.append(_references_text(rep))
    return "\n\n".join(parts)


def _indices_text(rep: SurveyReport) -> str:
    """" Problemindex och trygghetsindex är kommunens egen beräkning …": the questionnaire's
    indices that the report shows, or "" if it shows none."""
    words = rep.survey.vocabulary
    names = [words.tr("short." + name, rep.language) if "short." + name in words
             else words.label("indicator", name, rep.language)
             for name, ind in rep.survey.indicators.items()
             if ind.rule == "index" and not ind.hidden and rep.value(name) is not None]
    if not names:
        return ""
    names = names[:1] + [fmt.lower_first(n) for n in names[1:]]
    return " " + rep.tr("method.indices", names=fmt.join(names, language=rep.language))


def _group_var_name(rep: SurveyReport, column: str) -> str:
    """"område", "kön × ålder": a stratum column or a margin inside a sentence."""
    return " × ".join(fmt.lower_first(rep.tr.label("group_var", v.strip()))
                      for v in column.split(":"))


def _strata_rates(rep: SurveyReport) -> str:
    """" Svarsandelen per område varierade från 18 % (A) till 41 % (B).", or ""."""
    rates = rep.response
    if rates is None:
        return ""
    shown = rates[(rates["group_var"] != "total") & ~rates["suppressed"]]
    if len(shown) < 2:
        return ""
    lo, hi = shown.loc[shown["estimate"].idxmin()], shown.loc[shown["estimate"].idxmax()]
    return rep.tr("response.strata", group_var=_group_var_name(rep, lo["group_var"]),
                  low=fmt.percent(lo["estimate"], 0, language=rep.language), low_group=lo["group"],
                  high=fmt.percent(hi["estimate"], 0, language=rep.language),
                  high_group=hi["group"])


def area_response(rep: SurveyReport) -> str:
    """" Svarsandelen i Kronogården var 18 % (72 av 400 utskick), mot 31 % i hela kommunen."

    For an area report of a sample stratified by area with ``sent`` per
    stratum; "" otherwise. A rate the disclosure gate hides is said to be hidden.
    """
    rates = rep.response
    if rates is None or rep.area is None:
        return ""
    mine = rates[(rates["group_var"] == "area") & (rates["group"] == rep.area)]
    whole = rates[rates["group_var"] == "total"]
    if mine.empty or whole.empty:
        return ""
    mine, whole = mine.iloc[0], whole.iloc[0]
    lang = rep.language
    if mine["suppressed"]:
        return " " + rep.tr("response.area_hidden", area=rep.area)
    return " " + rep.tr("response.area", area=rep.area,
                        rate=fmt.percent(mine["estimate"], 0, language=lang),
                        answers=fmt.number(mine["count"], language=lang),
                        sent=fmt.number(mine["n"], language=lang),
                        whole=fmt.percent(whole["estimate"], 0, language=lang))


def _reconciled(rep: SurveyReport) -> str:
    """The reconciled margins (``weighting.reconciliation``) as one sentence, or ""."""
    info = rep.weighting.get("weighting", {}).get("reconciliation") or {}
    if not info.get("reconciled"):
        return ""
    lang = rep.language
    totals = ", ".join(f"{_group_var_name(rep, m)} {fmt.number(v, language=lang)}"
                       for m, v in info["totals"].items())
    return rep.tr("response.reconciled", totals=totals,
                  total=fmt.number(info["control_total"], language=lang))


def _strata_text(rep: SurveyReport) -> str:
    """The stratified design (``weighting.strata``): strata, share answering, fpc."""
    strata = rep.weighting["weighting"]["strata"]
    column = (rep.design.strata or {}).get("column", "")
    fractions = [s["fraction"] for s in strata.values() if s.get("fraction") is not None]
    shares = ""
    if fractions:
        shares = rep.tr("response.fractions",
                        low=fmt.percent(min(fractions), 1, language=rep.language),
                        high=fmt.percent(max(fractions), 1, language=rep.language))
    return rep.tr("response.strata_method", k=len(strata), fractions=shares,
                  group_var=_group_var_name(rep, column))


def _references_text(rep: SurveyReport) -> str:
    """What the reference values are and the rule by which the report compares with them."""
    lang = rep.language
    if rep.references is None:
        return ""
    refs = rep.references.drop_duplicates(["level", "label", "source"])
    items = fmt.join([f"{references.name(r, lang)} ({r['source']})" for _, r in refs.iterrows()],
                     language=lang)
    return rep.tr("reference.method", items=items, level=fmt.level(rep.level, language=lang),
                  opt_in="" if rep.probability else rep.tr("reference.method_opt_in"))


# --- Data for tables and charts ------------------------------------------------------

def ranked_rows(rep: SurveyReport, prefix: str, group_var: str = "total",
                group: str = "Totalt") -> pd.DataFrame:
    """The primary rows of one indicator family (e.g. ``"stort_problem_"``) for one
    group, largest first; suppressed ones last."""
    p = rep.primary()
    # An item not asked that year is left out, not listed with the symbol ".".
    rows = p[p["indicator"].str.startswith(prefix) & (p["group_var"] == group_var)
             & (p["group"] == group) & p["suppression_reason"].ne("not_asked")]
    return rows.sort_values(["suppressed", "estimate"], ascending=[True, False],
                            kind="stable")


def crime_frame(rep: SurveyReport) -> pd.DataFrame | None:
    """Per area: reported crimes per 1,000 inhabitants and the share feeling unsafe."""
    if rep.crimes is None:
        return None
    unsafe = rep.primary()
    unsafe = unsafe[(unsafe["indicator"] == "otrygg_kvall") & (unsafe["group_var"] == "area")]
    c = rep.crimes
    df = pd.DataFrame({"area": c["area"],
                       "crimes_per_1000": c["reported_crimes"] / c["inhabitants"] * 1000})
    return df.merge(unsafe[["group", "estimate"]].rename(
        columns={"group": "area", "estimate": "share_unsafe"}), on="area", how="left")
