"""What the report notebooks say: data loaded once, key messages, method text, tables.

The notebooks in ``notebooks/`` tell the story; this module does the
repeatable work behind it, so that no logic is copied between notebooks:

* :func:`load_survey_report` and :func:`load_follow_up` gather everything a
  report needs — estimates of every year compared (read from
  ``data/processed/``, computed once by ``trygghet estimate``), changes,
  weighting diagnostics, the year's design — and pass every table once more
  through the disclosure gate with the report's own ``min_cell``.
* :func:`key_messages` computes the *Sammanfattning* from the figures; it is
  never hand-written prose.
* :func:`method_text` states the design and what it allows one to say.
* :func:`table` writes an accessible HTML table (caption, header cells, the
  official symbols and their footnote).
* :func:`narrator` gives the notebooks a ``say(sv=…, en=…)`` that publishes the
  paragraph in the report's language.

Only figures that passed :func:`trygghet.suppress.protect` reach these
functions; free text and respondent rows never do.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import fmt, promise_files
from .config import Project, load_settings
from .errors import TrygghetError
from .indicators import INDICATORS
from .mapping import SamplingDesign, load_mapping
from .suppress import Rules, display_table, footnote, protect
from .survey import differ
from .writers import restore

LANGUAGES = ("sv", "en")
PRIMARY = ("weighted", "unweighted")  # the estimate a report leads with, by design


def narrator(language: str) -> Callable[..., None]:
    """``say(sv=…, en=…)``: display the paragraph (markdown) in the report's language."""
    _check_language(language)

    def say(sv: str, en: str | None = None) -> None:
        from IPython.display import Markdown, display

        display(Markdown(sv if language == "sv" or en is None else en))

    return say


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise TrygghetError(f"okänt språk '{language}'", hint="använd 'sv' eller 'en'")


@dataclass
class SurveyReport:
    """Everything the yearly survey report shows, already through the disclosure gate.

    Attributes
    ----------
    estimates
        Published estimates of ``years`` (primary and, for opt-in years,
        adjusted rows), protected with ``rules``.
    changes
        Change from each earlier year in ``years`` to ``year``, protected.
    design
        The survey design of ``year`` (``design.sampling`` decides the claims).
    weighting, cleaning
        ``weighting.json`` and ``cleaning_log.json`` of ``year``.
    crimes
        Reported crimes per area for ``year`` (``brott_<year>.csv``), if present.
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

    @property
    def probability(self) -> bool:
        return self.design.is_probability

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


def _read_json(path) -> dict:
    import json

    if not path.exists():
        raise TrygghetError("filen saknas", file=path, hint="kör trygghet estimate först")
    return json.loads(path.read_text(encoding="utf-8"))


def load_survey_report(year: int, *, compare_years: Sequence[int] | None = None,
                       area: str | None = None, min_cell: int | None = None,
                       language: str = "sv", municipality: str | None = None,
                       project: Project | None = None) -> SurveyReport:
    """Load and protect what the survey report of ``year`` needs.

    ``compare_years`` defaults to every survey year up to ``year``. ``min_cell``
    can only tighten the project's disclosure threshold, never loosen it.
    """
    _check_language(language)
    project = project or Project.find()
    settings = load_settings(project)
    base = Rules.from_settings(settings)
    rules = Rules(min_cell=max(base.min_cell, min_cell or 0), min_n=base.min_n)
    years = sorted(set(compare_years or [y for y in project.survey_years() if y <= year])
                   | {year})
    frames, designs = [], {}
    for y in years:
        path = project.processed(y) / "estimates.parquet"
        if not path.exists():
            raise TrygghetError(f"skattningar för {y} saknas", file=path,
                                hint=f"kör trygghet estimate --year {y}")
        frames.append(pd.read_parquet(path))
        designs[y] = load_mapping(project.mapping(y)).design
    estimates = protect(pd.concat(frames, ignore_index=True), rules)
    changes_path = project.processed(year) / "changes.parquet"
    changes = pd.read_parquet(changes_path) if changes_path.exists() else pd.DataFrame()
    if len(changes):
        changes = protect(changes[changes["year_from"].isin(years)], rules)
    crimes_path = project.reference / f"brott_{year}.csv"
    mapping = load_mapping(project.mapping(year))
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
        designs=designs,
    )


# --- Words ------------------------------------------------------------------------

def _share(row, language: str) -> str:
    return fmt.percent(row["estimate"], 0, language=language)


def _ci(row, language: str) -> str:
    return fmt.interval(row["ci_low"], row["ci_high"], decimals=0, language=language)


def _published(row) -> bool:
    return row is not None and not row["suppressed"] and pd.notna(row["estimate"])


def key_messages(rep: SurveyReport) -> list[str]:
    """Three to five key messages for the *Sammanfattning*, computed from the figures.

    Each message is only made when its figures are published (not suppressed)
    and phrased according to the design: shares of the population with a
    confidence interval for a random sample, shares *of the respondents* for
    an opt-in survey, where no difference is called statistically significant.
    """
    if rep.area:
        return area_messages(rep)
    sv = rep.language == "sv"
    lang = rep.language
    msgs: list[str] = []
    whom = ("invånarna (16–84 år)" if sv else "residents (aged 16–84)") if rep.probability \
        else ("de svarande" if sv else "the respondents")

    head = rep.value("otrygg_kvall")
    if _published(head):
        ci = f" (95\u00a0% KI {_ci(head, lang)})" if rep.probability and sv else \
            (f" (95% CI {_ci(head, lang)})" if rep.probability else "")
        msgs.append(
            f"{_share(head, lang)} av {whom} känner sig otrygga när de går ut ensamma sent en "
            f"kväll i sitt bostadsområde{ci}." if sv else
            f"{_share(head, lang)} of {whom} feel unsafe walking alone late in the evening in "
            f"their neighbourhood{ci}.")

    women, men = rep.value("otrygg_kvall", "sex", "Kvinna"), rep.value("otrygg_kvall", "sex", "Man")
    if _published(women) and _published(men) and women["estimate"] > men["estimate"]:
        sure = ""
        if rep.probability:
            sure = (" Skillnaden är statistiskt säkerställd." if differ(women, men) else
                    " Skillnaden är inte statistiskt säkerställd.") if sv else \
                (" The difference is statistically significant." if differ(women, men) else
                 " The difference is not statistically significant.")
        msgs.append(f"Kvinnor känner sig oftare otrygga än män: {_share(women, lang)} jämfört "
                    f"med {_share(men, lang)}.{sure}" if sv else
                    f"Women feel unsafe more often than men: {_share(women, lang)} compared "
                    f"with {_share(men, lang)}.{sure}")

    times = {t: rep.value(f"tid_{t}") for t in ("kvall", "natt", "tidig_morgon", "dagtid")}
    if all(_published(r) for r in times.values()):
        dark = max(times["kvall"]["estimate"], times["natt"]["estimate"])
        if dark > times["dagtid"]["estimate"]:
            msgs.append(
                f"Otryggheten hänger ihop med mörkret: {_share(times['kvall'], lang)} känner sig "
                f"mest otrygga på kvällen och {_share(times['natt'], lang)} på natten, men bara "
                f"{_share(times['dagtid'], lang)} dagtid." if sv else
                f"Insecurity follows the dark: {_share(times['kvall'], lang)} feel most unsafe "
                f"in the evening and {_share(times['natt'], lang)} at night, but only "
                f"{_share(times['dagtid'], lang)} in the daytime.")

    areas = rep.primary()
    areas = areas[(areas["indicator"] == "otrygg_kvall") & (areas["group_var"] == "area")
                  & ~areas["suppressed"] & (areas["group"] != "Annat område")]
    if len(areas) >= 3:
        hi, lo = areas.loc[areas["estimate"].idxmax()], areas.loc[areas["estimate"].idxmin()]
        msgs.append(
            f"Otryggheten skiljer sig mellan områdena: högst andel otrygga finns i {hi['group']} "
            f"({_share(hi, lang)}) och lägst i {lo['group']} ({_share(lo, lang)})." if sv else
            f"Insecurity differs between areas: the share feeling unsafe is highest in "
            f"{hi['group']} ({_share(hi, lang)}) and lowest in {lo['group']} "
            f"({_share(lo, lang)}).")

    change = _headline_change(rep)
    if change:
        msgs.append(change)

    prio = rep.primary()
    prio = prio[prio["indicator"].str.startswith("prio_") & (prio["group_var"] == "total")
                & ~prio["suppressed"] & (prio["indicator"] != "prio_annat")]
    if len(prio) >= 3 and len(msgs) < 5:
        top = prio.sort_values("estimate", ascending=False).head(3)
        names = [INDICATORS[i].label.split(": ", 1)[1].lower() for i in top["indicator"]]
        if not sv:
            names = [INDICATORS[i].label_en.split(": ", 1)[1].lower() for i in top["indicator"]]
        parts = [f"{n} ({_share(r, lang)})" for n, (_, r) in zip(names, top.iterrows(),
                                                                    strict=True)]
        msgs.append(f"Flest vill att polisen och kommunen prioriterar {fmt.join(parts)}."
                    if sv else
                    f"Most want the police and the municipality to prioritise "
                    f"{fmt.join(parts, language='en')}.")
    return msgs[:5]


def _headline_change(rep: SurveyReport, group_var: str = "total",
                     group: str = "Totalt") -> str | None:
    """The change in the headline from the previous compared year, honestly phrased."""
    sv = rep.language == "sv"
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
    where = f" i {group}" if sv and group_var != "total" else \
        (f" in {group}" if group_var != "total" else "")
    if row["series_break"]:
        return (f"Resultatet kan inte jämföras med {prev}: då var undersökningen en "
                f"självselekterad webbenkät, i år ett slumpmässigt urval (seriebrott)." if sv else
                f"The result cannot be compared with {prev}: that year's survey was a "
                f"self-selected web survey, this year's a random sample (series break).")
    if row["suppressed"] or pd.isna(row["diff"]):
        return None
    a, b = fmt.percent(row["estimate_from"], 0), fmt.percent(row["estimate_to"], 0)
    pts = fmt.points(abs(row["diff"]), decimals=1, sign=False, language=rep.language)
    if not sv:
        a, b = (fmt.percent(row["estimate_from"], 0, language="en"),
                fmt.percent(row["estimate_to"], 0, language="en"))
    if row["significant"]:
        word = ("minskat" if row["diff"] < 0 else "ökat") if sv else \
            ("fallen" if row["diff"] < 0 else "risen")
        return (f"Andelen otrygga{where} har {word} sedan {prev}, från {a} till {b} ({pts}); "
                f"förändringen är statistiskt säkerställd." if sv else
                f"The share feeling unsafe{where} has {word} since {prev}, from {a} to {b} "
                f"({pts}); the change is statistically significant.")
    return (f"Andelen otrygga{where} är {b}, mot {a} år {prev}. Skillnaden är inte statistiskt "
            f"säkerställd." if sv else
            f"The share feeling unsafe{where} is {b}, against {a} in {prev}. The difference is "
            f"not statistically significant.")


def area_messages(rep: SurveyReport) -> list[str]:
    """Key messages for an area report (``rep.area``), computed from the area's figures.

    The area's headline beside the municipality's and its rank among the
    areas; when it feels most unsafe there; the biggest problems residents
    see there; what they want prioritised; and the change since the previous
    year. As :func:`key_messages`, only published figures are used.
    """
    sv = rep.language == "sv"
    lang = rep.language
    area = rep.area
    msgs: list[str] = []
    p = rep.primary()
    here = p[(p["group_var"] == "area") & (p["group"] == area) & ~p["suppressed"]]
    whom = ("invånarna" if sv else "residents") if rep.probability \
        else ("de svarande" if sv else "the respondents")

    head, whole = rep.value("otrygg_kvall", "area", area), rep.value("otrygg_kvall")
    if _published(head):
        areas = p[(p["indicator"] == "otrygg_kvall") & (p["group_var"] == "area")
                  & ~p["suppressed"] & (p["group"] != "Annat område")]
        rank = int((areas["estimate"] > head["estimate"]).sum()) + 1
        versus = (f" (hela kommunen {_share(whole, lang)})" if sv else
                  f" (whole municipality {_share(whole, lang)})") if _published(whole) else ""
        msgs.append(
            f"I {area} känner sig {_share(head, lang)} av {whom} otrygga när de går ut ensamma "
            f"sent en kväll{versus}: {_rank_text(rank, len(areas), lang)}." if sv else
            f"In {area}, {_share(head, lang)} of {whom} feel unsafe walking alone late in the "
            f"evening{versus}: {_rank_text(rank, len(areas), lang)}.")
    elif head is not None:
        msgs.append(f"Andelen otrygga i {area} redovisas inte: för få svar." if sv else
                    f"The share feeling unsafe in {area} is not shown: too few answers.")

    def top(prefix: str, k: int = 3, exclude: tuple[str, ...] = ()) -> list[str]:
        rows = here[here["indicator"].str.startswith(prefix)
                    & ~here["indicator"].isin(list(exclude)) & (here["estimate"] > 0)]
        rows = rows.sort_values("estimate", ascending=False).head(k)
        return [f"{_short_label(i, lang).lower()} ({_share(r, lang)})"
                for i, (_, r) in zip(rows["indicator"], rows.iterrows(), strict=True)]

    times = here[here["indicator"].isin(list(_WHEN[lang])) & (here["estimate"] > 0)]
    if len(times):
        t = times.loc[times["estimate"].idxmax()]
        msgs.append(f"I {area} är det {_WHEN[lang][t['indicator']]} som flest känner sig mest "
                    f"otrygga ({_share(t, lang)})." if sv else
                    f"In {area}, most people feel most unsafe {_WHEN[lang][t['indicator']]} "
                    f"({_share(t, lang)}).")
    problems = top("stort_problem_")
    if problems:
        msgs.append(f"De största problemen i {area} enligt de svarande: {fmt.join(problems)}."
                    if sv else f"The biggest problems respondents see in {area}: "
                               f"{fmt.join(problems, language='en')}.")
    prio = top("prio_", exclude=("prio_annat",))
    if prio:
        msgs.append(f"I {area} vill flest att polisen och kommunen prioriterar {fmt.join(prio)}."
                    if sv else f"In {area}, most want the police and the municipality to "
                               f"prioritise {fmt.join(prio, language='en')}.")
    change = _headline_change(rep, "area", area)
    if change:
        msgs.append(change)
    return msgs[:5]


_WHEN = {"sv": {"tid_kvall": "på kvällen", "tid_natt": "på natten",
                "tid_tidig_morgon": "tidigt på morgonen", "tid_dagtid": "dagtid"},
         "en": {"tid_kvall": "in the evening", "tid_natt": "at night",
                "tid_tidig_morgon": "early in the morning", "tid_dagtid": "in the daytime"}}


def _rank_text(rank: int, of: int, language: str) -> str:
    """Where an area ranks among ``of`` areas, 1 = the highest share."""
    sv = language == "sv"
    words = {1: "högst" if sv else "the highest", of: "lägst" if sv else "the lowest"}
    if of >= 5:  # "second" only where it is not also the middle
        words |= {2: "näst högst" if sv else "the second highest",
                  of - 1: "näst lägst" if sv else "the second lowest"}
    if rank in words:
        return (f"{words[rank]} av kommunens {of} områden" if sv else
                f"{words[rank]} of the {of} areas")
    return (f"plats {rank} av kommunens {of} områden, räknat från den högsta andelen" if sv
            else f"number {rank} of the {of} areas, highest first")


def method_text(rep: SurveyReport) -> str:
    """The method section (markdown): design, period, n, weighting, uncertainty, rules."""
    sv = rep.language == "sv"
    lang = rep.language
    d, w, log = rep.design, rep.weighting.get("weighting", {}), rep.cleaning
    n = log["rows_clean"]
    period = ""
    if d.period:
        period = (f" Enkäten var öppen {fmt.date(d.period[0], language=lang)}–"
                  f"{fmt.date(d.period[1], language=lang)}." if sv else
                  f" The survey was open {fmt.date(d.period[0], language=lang)}–"
                  f"{fmt.date(d.period[1], language=lang)}.")
    parts = []
    if d.is_probability:
        rate = fmt.percent(n / d.sent, 0, language=lang)
        parts.append(
            f"**Urval.** {fmt.number(d.sent, language=lang)} personer ur befolkningsregistret "
            f"({(d.population or 'folkbokförda 16–84 år').lower()}) valdes slumpmässigt och "
            f"fick enkäten ({(d.mode or '').lower() or 'webb'}).{period} "
            f"{fmt.number(n, language=lang)} svar kunde användas, en svarsandel på {rate}."
            if sv else
            f"**Sample.** {fmt.number(d.sent, language=lang)} people were drawn at random from "
            f"the population register and invited.{period} {fmt.number(n, language=lang)} "
            f"usable answers were received, a response rate of {rate}.")
        head = rep.value("otrygg_kvall")
        moe = ""
        if _published(head):
            half = (head["ci_high"] - head["ci_low"]) / 2
            moe = (f" För andelen otrygga i hela kommunen är felmarginalen ungefär "
                   f"±{fmt.points(half, 1, short=False, sign=False)}." if sv else
                   f" For the share feeling unsafe in the whole municipality the margin of "
                   f"error is about ±{fmt.points(half, 1, sign=False, language='en')}.")
        parts.append(
            f"**Vägning.** Svaren har vägts (kalibrerats med raking) så att de motsvarar "
            f"befolkningens fördelning efter kön och ålder samt område. Vägningen gör att "
            f"grupper som svarat mindre, som unga män, räknas med sin rätta andel. Den "
            f"effektiva urvalsstorleken är {fmt.number(w.get('kish_n_eff', np.nan))} "
            f"(designeffekt {fmt.number(w.get('deff', np.nan), 2)}). Alla andelar redovisas "
            f"med 95\u00a0% konfidensintervall.{moe}" if sv else
            f"**Weighting.** Answers are weighted (calibrated by raking) to the population's "
            f"distribution by sex and age and by area, so that groups that answer less, such "
            f"as young men, count with their true share. The effective sample size is "
            f"{fmt.number(w.get('kish_n_eff', np.nan), language='en')} (design effect "
            f"{fmt.number(w.get('deff', np.nan), 2, language='en')}). All shares are shown "
            f"with 95% confidence intervals.{moe}")
    else:
        parts.append(
            f"**Ej slumpmässigt urval.** Enkäten var en öppen webbenkät som vem som helst "
            f"kunde svara på ({(d.mode or '').lower() or 'länk'}).{period} "
            f"{fmt.number(n, language=lang)} svar kunde användas. De som svarar på en öppen "
            f"enkät är inte ett urval av befolkningen: **resultaten beskriver de svarande och "
            f"kan inte generaliseras till befolkningen.** Därför redovisas andelar *av de "
            f"svarande* utan felmarginal." if sv else
            f"**Not a random sample.** The survey was an open web survey anyone could answer."
            f"{period} {fmt.number(n, language=lang)} usable answers were received. People "
            f"who answer an open survey are not a sample of the population: **the results "
            f"describe the respondents and cannot be generalised to the population.** Shares "
            f"are therefore shown as shares *of the respondents*, without a margin of error.")
    parts.append(
        f"**Rensning.** Av {fmt.number(log['rows_in'], language=lang)} inkomna rader "
        f"sorterades {fmt.number(log['rows_quarantined'], language=lang)} bort som oanvändbara "
        f"(t.ex. tomma rader eller omöjliga åldrar) och "
        f"{fmt.number(log['duplicates_removed'], language=lang)} som dubbletter. Fritextsvar "
        f"publiceras aldrig." if sv else
        f"**Cleaning.** Of {fmt.number(log['rows_in'], language=lang)} rows received, "
        f"{fmt.number(log['rows_quarantined'], language=lang)} were set aside as unusable "
        f"and {fmt.number(log['duplicates_removed'], language=lang)} as duplicates. Free-text "
        f"answers are never published.")
    parts.append(
        f"**Skydd mot röjande och osäkra uppgifter.** Ingen uppgift bygger på färre än "
        f"{rep.rules.min_cell} svar – inte heller en andel där färre än "
        f"{rep.rules.min_cell} av de svarande har (eller saknar) egenskapen –, och inga "
        f"andelar redovisas för grupper med färre än {rep.rules.min_n} svar. Sådana "
        f"uppgifter visas som `..`. Problemindex och "
        f"trygghetsindex är kommunens egen beräkning på Polisens skala 0–6 (lägre är "
        f"bättre), inte Polisens officiella index." if sv else
        f"**Disclosure control.** No figure rests on fewer than {rep.rules.min_cell} answers "
        f"(nor a share where fewer than {rep.rules.min_cell} respondents have, or lack, the "
        f"trait), and no share is shown for a group with fewer than {rep.rules.min_n} "
        f"answers; such "
        f"figures are shown as `..`. The problem and insecurity indices are the "
        f"municipality's own calculation on the Police's 0–6 scale (lower is better), not "
        f"the Police's official index.")
    breaks = [y for y in rep.years if y < rep.year and rep.designs.get(y)
              and rep.designs[y].sampling != d.sampling]
    if breaks:
        parts.append(
            f"**Seriebrott.** Undersökningen {fmt.join([str(y) for y in breaks])} gjordes med "
            f"en annan metod (självselekterad webbenkät) än i år. Åren visas bredvid varandra, "
            f"men ingen slutsats om förändring dras över seriebrottet." if sv else
            f"**Series break.** The survey of {fmt.join([str(y) for y in breaks], language='en')}"
            f" used a different method (self-selected web survey). The years are shown side "
            f"by side, but no conclusion about change is drawn across the break.")
    return "\n\n".join(parts)


# --- Tables -----------------------------------------------------------------------

GROUP_VAR_LABEL = {
    "sv": {"total": "Totalt", "sex": "Kön", "age_group": "Ålder", "area": "Område",
           "relation": "Relation till området"},
    "en": {"total": "Total", "sex": "Sex", "age_group": "Age", "area": "Area",
           "relation": "Relation to the area"},
}
COLUMN_LABEL = {
    "sv": {"group": "Grupp", "n": "Antal svar", "estimate": "Skattning", "ci": "95\u00a0% KI",
           "year": "År", "indicator": "Indikator"},
    "en": {"group": "Group", "n": "Answers", "estimate": "Estimate", "ci": "95% CI",
           "year": "Year", "indicator": "Indicator"},
}


# Column headings for compact tables.
SHORT_LABEL = {
    "sv": {"otrygg_kvall": "Otrygg kväll", "otrygg_dag": "Otrygg dagtid",
           "oro": "Oroar sig ofta", "avstatt": "Har ofta avstått", "utsatt": "Utsatt för brott",
           "problemindex": "Problemindex", "trygghetsindex": "Trygghetsindex"},
    "en": {"otrygg_kvall": "Unsafe evening", "otrygg_dag": "Unsafe daytime",
           "oro": "Often worried", "avstatt": "Often refrained", "utsatt": "Victim of crime",
           "problemindex": "Problem index", "trygghetsindex": "Insecurity index"},
}
NUMERIC = {"sv": ("Skattning", "95\u00a0% KI", "Antal svar"),
           "en": ("Estimate", "95% CI", "Answers")}


def _ci_texts(rows: pd.DataFrame, rep_probability: bool, language: str) -> list[str]:
    """95 % CI per row as text; the official symbol where suppressed; '–' without a CI."""
    if not rep_probability:
        return ["–" if s == "" else s for s in rows["symbol"]]
    return [s if s in ("..", ".") else
            fmt.interval(lo, hi, kind=k, language=language) if pd.notna(lo) else "–"
            for s, lo, hi, k in zip(rows["symbol"], rows["ci_low"], rows["ci_high"],
                                    rows["kind"], strict=True)]


def _short_label(indicator: str, language: str) -> str:
    ind = INDICATORS[indicator]
    label = ind.label if language == "sv" else ind.label_en
    return label.split(": ", 1)[-1]


def ranked_rows(rep: SurveyReport, prefix: str, group_var: str = "total",
                group: str = "Totalt") -> pd.DataFrame:
    """The primary rows of one indicator family (e.g. ``"stort_problem_"``) for one
    group, largest first; suppressed ones last."""
    p = rep.primary()
    rows = p[p["indicator"].str.startswith(prefix) & (p["group_var"] == group_var)
             & (p["group"] == group)]
    return rows.sort_values(["suppressed", "estimate"], ascending=[True, False],
                            kind="stable")


def ranked_table(rows: pd.DataFrame, language: str = "sv") -> pd.DataFrame:
    """Indicators of one family (e.g. ``stort_problem_*``) as a ranked display table."""
    col = COLUMN_LABEL[language]
    shown = display_table(rows, language=language)
    probability = not (~rows["generalisable"]).any() if "generalisable" in rows else True
    return pd.DataFrame({
        col["indicator"]: [_short_label(i, language).capitalize() for i in rows["indicator"]],
        col["estimate"]: shown["estimate"].to_numpy(),
        col["ci"]: _ci_texts(rows, probability, language),
        col["n"]: shown["n"].to_numpy(),
    })


def area_table(rep: SurveyReport, area: str,
               indicators: Sequence[str] = ("otrygg_kvall", "otrygg_dag", "oro", "avstatt",
                                            "utsatt", "problemindex", "trygghetsindex")
               ) -> pd.DataFrame:
    """One area's headline figures beside the whole municipality's."""
    sv = rep.language == "sv"
    p = rep.primary()
    rows = []
    for ind in indicators:
        here = p[(p["indicator"] == ind) & (p["group_var"] == "area") & (p["group"] == area)]
        whole = p[(p["indicator"] == ind) & (p["group_var"] == "total")]
        if here.empty or whole.empty:
            continue
        h = display_table(here, language=rep.language)
        w = display_table(whole, language=rep.language)
        rows.append({
            "Indikator" if sv else "Indicator": (INDICATORS[ind].label if sv
                                                 else INDICATORS[ind].label_en),
            area: h["estimate"].iloc[0],
            f"95\u00a0% KI ({area})" if sv else f"95% CI ({area})":
                _ci_texts(here, rep.probability, rep.language)[0],
            "Hela kommunen" if sv else "Whole municipality": w["estimate"].iloc[0],
        })
    return pd.DataFrame(rows)


def appendix_table(rep: SurveyReport, indicators: Sequence[str],
                   group_vars: Sequence[str] = ("total", "sex", "age_group", "area")
                   ) -> pd.DataFrame:
    """Several indicators by group in one compact table: estimate and 95 % CI per cell.

    Shares are in per cent without the sign (the caption says so), means on
    their 0–6 scale; a random-sample year shows ``"29,4 (26,7–32,2)"``, an
    opt-in year the estimate alone. Suppressed cells show the symbol. The Excel
    appendix has every figure with its n.
    """
    lang = rep.language
    p = rep.primary()
    p = p[p["indicator"].isin(list(indicators)) & p["group_var"].isin(list(group_vars))]
    label = GROUP_VAR_LABEL[lang]
    keys = p[["group_var", "group"]].drop_duplicates()
    order = {g: i for i, g in enumerate(group_vars)}
    keys = keys.assign(_o=keys["group_var"].map(order)).sort_values("_o", kind="stable")

    def cell(r) -> str:
        if r["symbol"] in ("..", "."):
            return r["symbol"]
        scale = 100 if r["kind"] == "share" else 1
        decimals = 1 if r["kind"] == "share" else 2
        text = r["symbol"] or fmt.number(r["estimate"] * scale, decimals, language=lang)
        if rep.probability and pd.notna(r["ci_low"]):
            text += (f" ({fmt.number(r['ci_low'] * scale, decimals, language=lang)}–"
                     f"{fmt.number(r['ci_high'] * scale, decimals, language=lang)})")
        return text

    cells = {(r["indicator"], r["group_var"], r["group"]): cell(r) for _, r in p.iterrows()}
    out = {COLUMN_LABEL[lang]["group"]: [label["total"] if gv == "total" else
                                         _GROUP_EN.get(g, g) if lang == "en" else g
                                         for gv, g in zip(keys["group_var"], keys["group"],
                                                          strict=True)]}
    for ind in indicators:
        head = SHORT_LABEL[lang].get(ind) or _short_label(ind, lang)
        out[head] = [cells.get((ind, gv, g), ".") for gv, g in
                     zip(keys["group_var"], keys["group"], strict=True)]
    out["_section"] = ["" if gv == "total" else label.get(gv, gv) for gv in keys["group_var"]]
    return pd.DataFrame(out)


_GROUP_EN = {"Kvinna": "Woman", "Man": "Man", "bor": "lives", "arbetar": "works",
             "vistas": "visits", "Annat område": "Other area"}


def indicator_table(rep: SurveyReport, indicator: str,
                    group_vars: Iterable[str] = ("total", "sex", "age_group", "area")
                    ) -> pd.DataFrame:
    """Display strings for one indicator by group (primary estimates of the report year)."""
    p = rep.primary()
    rows = p[(p["indicator"] == indicator) & p["group_var"].isin(list(group_vars))]
    order = {g: i for i, g in enumerate(group_vars)}
    rows = rows.assign(_o=rows["group_var"].map(order)).sort_values("_o", kind="stable")
    shown = display_table(rows, language=rep.language)
    label = GROUP_VAR_LABEL[rep.language]
    col = COLUMN_LABEL[rep.language]
    ci = _ci_texts(rows, rep.probability, rep.language)
    return pd.DataFrame({
        col["group"]: [label["total"] if gv == "total" else g
                       for gv, g in zip(rows["group_var"], rows["group"], strict=True)],
        col["estimate"]: shown["estimate"].to_numpy(),
        col["ci"]: ci,
        col["n"]: shown["n"].to_numpy(),
        "_section": ["" if gv == "total" else label.get(gv, gv) for gv in rows["group_var"]],
    })


def table(frame: pd.DataFrame, caption: str, *, language: str = "sv",
          numeric: Sequence[str] = (), notes: Sequence[str] = (),
          status: Sequence[str] = ()) -> None:
    """Display ``frame`` as an accessible HTML table with a caption and the symbols' key.

    Columns in ``numeric`` are right-aligned. A column ``_section`` starts a new
    header row (``<th scope="rowgroup">``) whenever its value changes. The
    footnote explains the symbols that occur (``..``, ``.``, ``–``).
    """
    from IPython.display import HTML, display

    display(HTML(table_html(frame, caption, language=language, numeric=numeric, notes=notes,
                            status=status)))


def _status_badge(value: str, language: str) -> str:
    """A promise status as colour, symbol and word (never colour alone)."""
    from .theme import STATUSES

    spec = STATUSES.get(value)
    if spec is None:
        return html.escape(value)
    word = value if language == "sv" else spec["en"]
    return (f'<span class="status" style="background-color:{spec["color"]}">'
            f'{spec["symbol"]} {html.escape(word)}</span>')


def table_html(frame: pd.DataFrame, caption: str, *, language: str = "sv",
               numeric: Sequence[str] = (), notes: Sequence[str] = (),
               status: Sequence[str] = ()) -> str:
    """The HTML of :func:`table` (tested separately).

    Columns in ``status`` hold promise statuses, shown as coloured badges
    with symbol and word.
    """
    esc = html.escape
    cols = [c for c in frame.columns if c != "_section"]
    num = ' class="num"'
    head = "".join(f'<th scope="col"{num if c in numeric else ""}>{esc(str(c))}</th>'
                   for c in cols)
    body, section, symbols = [], None, set()
    for _, r in frame.iterrows():
        if "_section" in frame.columns and r["_section"] != section:
            section = r["_section"]
            if section:  # an empty section (the total) has no heading row
                body.append(f'<tr class="section"><th scope="rowgroup" colspan="{len(cols)}">'
                            f"{esc(str(section))}</th></tr>")
        cells = []
        for i, c in enumerate(cols):
            value = "" if pd.isna(r[c]) else str(r[c])
            symbols |= {s for s in ("..", ".", "–") if value == s}
            cls = num if c in numeric else ""
            tag = ("th", ' scope="row"') if i == 0 else ("td", "")
            content = _status_badge(value, language) if c in status else esc(value)
            cells.append(f"<{tag[0]}{tag[1]}{cls}>{content}</{tag[0]}>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    foot = [footnote(sorted(symbols), language)] if symbols else []
    foot += list(notes)
    foot_html = "".join(f"<p>{esc(t)}</p>" for t in foot)
    # The wrapper keeps caption, table and notes together on a page (a <caption>
    # alone does not: WeasyPrint may leave it behind at a page break).
    return ('<div class="table-block">'
            f'<table class="data"><caption>{esc(caption)}</caption><thead><tr>{head}</tr>'
            f"</thead><tbody>{''.join(body)}</tbody></table>"
            + (f'<div class="table-notes">{foot_html}</div>' if foot_html else "")
            + "</div>")


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


# --- Promise follow-up ----------------------------------------------------------

def load_follow_up(year: int, *, project: Project | None = None,
                   missing_ok: bool = False) -> pd.DataFrame | None:
    """The follow-up table of ``year`` (``data/processed/<year>/promises.csv``).

    With ``missing_ok``, a year without a follow-up gives None instead of an error.
    """
    project = project or Project.find()
    path = project.processed(year) / "promises.csv"
    if not path.exists():
        if missing_ok:
            return None
        raise TrygghetError("uppföljningen saknas", file=path,
                            hint=f"kör trygghet promises --year {year}")
    frame = pd.read_csv(path, dtype={"inriktning": int})
    # Our CSVs guard text against formula injection; the report shows it as written.
    for col in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[col]):
            frame[col] = frame[col].map(restore, na_action="ignore")
    return frame


def status_table(follow_up: pd.DataFrame, language: str = "sv") -> pd.DataFrame:
    """One row per inriktning: number, text, status and the reason sentence."""
    first = follow_up.drop_duplicates("inriktning").sort_values("inriktning")
    sv = language == "sv"
    return pd.DataFrame({
        "Nr" if sv else "No.": first["inriktning"].astype(str).to_numpy(),
        "Inriktning" if sv else "Commitment": first["text"].to_numpy(),
        "Status": first["status"].to_numpy(),
        "Motivering" if sv else "Reason": first["reason"].to_numpy(),
    })


def load_promise(year: int, *, project: Project | None = None):
    """The promise of ``year`` (``data/reference/medborgarlofte_<year>.yml``)."""
    project = project or Project.find()
    return promise_files.load_promise(promise_files.promise_file(project.reference, year))


def is_synthetic(project: Project | None = None) -> bool:
    """Whether the project's data are the synthetic sample (``synthetic_data``)."""
    return bool(load_settings(project or Project.find())["synthetic_data"])


def status_chart_frame(follow_up: pd.DataFrame) -> pd.DataFrame:
    """``inriktning`` (numbered text) and ``status`` per inriktning, for the status chart."""
    first = follow_up.drop_duplicates("inriktning").sort_values("inriktning")
    return pd.DataFrame({"inriktning": [f"{n}. {t}" for n, t in
                                        zip(first["inriktning"], first["text"], strict=True)],
                         "status": first["status"].to_numpy()})


def follow_up_summary(follow_up: pd.DataFrame, promise, language: str = "sv") -> str:
    """One paragraph counting the statuses (computed, not written by hand)."""
    first = follow_up.drop_duplicates("inriktning")
    from .theme import STATUSES

    counts = first["status"].value_counts()
    sv = language == "sv"
    parts = [f"{fmt.number(counts[s])} {s.lower() if sv else STATUSES[s]['en'].lower()}"
             for s in STATUSES if s in counts]
    total = len(first)
    text = (f"Medborgarlöftet {promise.year} hade {total} inriktningar. Vid uppföljningen "
            f"{fmt.date(promise.follow_up_by)} bedöms de som: {fmt.join(parts)}." if sv else
            f"The citizen promise of {promise.year} had {total} commitments. At the follow-up "
            f"on {fmt.date(promise.follow_up_by, language='en')} they are judged: "
            f"{fmt.join(parts, language='en')}.")
    if "Underlag saknas" in counts:
        text += (" *Underlag saknas* betyder att det inte går att bedöma inriktningen med de "
                 "uppgifter som finns – inte att den misslyckats." if sv else
                 " *No data* means the commitment cannot be judged from the data "
                 "available – not that it failed.")
    return text


def promise_intro(promise, language: str = "sv") -> str:
    """What a medborgarlöfte is, who made this one and who follows it up."""
    sv = language == "sv"
    group = fmt.join(list(promise.steering_group), language=language)
    if sv:
        return (f"Ett medborgarlöfte är ett gemensamt löfte från kommunen och Polisen till "
                f"invånarna, byggt på dialog med dem som bor, verkar eller vistas i kommunen. "
                f"{promise.municipality} och Polisen ({promise.police_area}) lovade att under "
                f"{promise.year} arbeta med inriktningarna nedan. Löftet följs upp och "
                f"rapporteras till styrgruppen – {group} – senast "
                f"{fmt.date(promise.follow_up_by)}.")
    return (f"A citizen promise (medborgarlöfte) is a joint promise from the municipality and "
            f"the Police to residents, built on dialogue with those who live, work or spend "
            f"time in the municipality. {promise.municipality} and the Police "
            f"({promise.police_area}) promised to work on the commitments below during "
            f"{promise.year}. It is followed up and reported to the steering group – {group} – "
            f"by {fmt.date(promise.follow_up_by, language='en')}.")


def inriktning_details(follow_up: pd.DataFrame, language: str = "sv") -> list[str]:
    """A markdown block per inriktning: text, the four fields, status (and, when it
    has several indicators, each indicator's sentence)."""
    sv = language == "sv"
    from .theme import STATUSES

    labels = (("Omfattning", "Ansvarig", "Uppföljning", "Utvärdering") if sv else
              ("Scope", "Responsible", "Follow-up", "Evaluation"))
    blocks = []
    for number, rows in follow_up.groupby("inriktning", sort=True):
        r = rows.iloc[0]
        spec = STATUSES.get(r["status"], {"symbol": "", "en": r["status"]})
        status = f"{spec['symbol']} {r['status'] if sv else spec['en']}"
        fields = "\n".join(f"- {lab}: {r[c]}" for lab, c in zip(
            labels, ("scope", "responsible", "follow_up", "evaluation"), strict=True))
        block = f"### {number}. {r['text']}\n\n{fields}\n\n**Status: {status}.**"
        if len(rows) > 1:  # the table gives the combined reason; here each indicator's
            block += "\n\n" + "\n".join(f"- {t}" for t in rows["indicator_reason"])
        blocks.append(block)
    return blocks


def rounds_table(year: int, language: str = "sv", *,
                 project: Project | None = None) -> pd.DataFrame | None:
    """The year's trygghetsronder: area, date, participants and actions taken.

    Counts only (how many took part, how many children and youth); the
    register's free-text observations are summarised as numbers of actions.
    """
    project = project or Project.find()
    path = project.reference / "trygghetsronder.csv"
    if not path.exists():
        return None
    r = promise_files.read_rounds(path)
    r = r[pd.to_datetime(r["date"]).dt.year == year]
    if r.empty:
        return None
    sv = language == "sv"
    rounds = r.groupby(["area", "date"], sort=True).agg(
        held=("held", "first"), participants=("participants", "first"),
        children=("children_youth", "first"),
        actions=("action", lambda s: int(s.notna().sum())),
        done=("action_status", lambda s: int((s == "klar").sum())))
    yes, no = ("ja", "nej") if sv else ("yes", "no")
    return pd.DataFrame({
        "Område" if sv else "Area": [a for a, _ in rounds.index],
        "Datum" if sv else "Date": [fmt.date(d, "iso") for _, d in rounds.index],
        "Genomförd" if sv else "Held": [yes if h else no for h in rounds["held"]],
        "Deltagare" if sv else "Participants": [fmt.number(v) for v in rounds["participants"]],
        "Varav barn och unga" if sv else "Of whom children/youth":
            [fmt.number(v) for v in rounds["children"]],
        "Åtgärder (klara)" if sv else "Actions (done)":
            [f"{a} ({d})" for a, d in zip(rounds["actions"], rounds["done"], strict=True)],
    })


def sources_text(follow_up: pd.DataFrame, language: str = "sv") -> str:
    """Where each indicator's figures come from, and when they were extracted."""
    sv = language == "sv"
    lines = []
    for _, r in follow_up.iterrows():
        src = r.get("source")
        if isinstance(src, str) and src:
            when = r.get("extracted")
            when = f" ({'uttag' if sv else 'extracted'} {when})" if isinstance(when, str) else ""
            lines.append(f"- {r['label']}: {src}{when}")
    head = ("Statusen bedöms per indikator med regler som är fastställda i förväg "
            "(ökning, minskning, målvärde, milstolpe eller enkätresultat med "
            "konfidensintervall)." if sv else
            "Each indicator is judged by a rule fixed in advance (increase, decrease, target, "
            "milestone, or survey result with confidence interval).")
    return head + ("\n\n" + "\n".join(dict.fromkeys(lines)) if lines else "")
