"""The residents' page (*invånarrapport*): "Vi frågade – ni svarade – vi gjorde".

One or two A4 pages for the people who answered the survey and everyone who
lives in the municipality, read in two minutes. ``notebooks/invanarsrapport.ipynb``
lays it out; this module writes every part of it:

* :func:`we_asked` — who was asked and how many answered, from the year's
  design (random sample of N people, or an open survey and what that means)
  and its cleaning log;
* :func:`key_results` — three to five results computed from the published
  estimates, and :func:`results_chart`, the one chart;
* :func:`we_did` — each inriktning of the year's medborgarlöfte with its
  status and one sentence, and :func:`next_promise`, what is promised next
  (when next year's promise file exists).

Plain language (*klarspråk*, Språkrådet): short sentences, everyday words,
"vi" and "ni"; shares in whole per cent beside a natural frequency ("ungefär
3 av 10 (29 %)", :func:`in_ten`); no confidence intervals, but one plain
sentence where chance could explain a difference, judged with the survey
report's own test (:func:`trygghet.survey.differ`, the change table's
``significant``). The design decides the claims as everywhere: an opt-in
year's figures are those "av dem som svarade", and the page says they cannot
be applied to everyone who lives in the municipality.

Every figure comes from :func:`trygghet.report_survey.load_survey_report`
(the published estimates, through the disclosure gate once more) and is
marked up as ``<data value="year|indicator|group_var|group">`` so that the
page can be checked against the estimates. Every word is in
:mod:`trygghet.vocabulary` (``residents.*``).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from . import fmt, promise_files
from .config import Project
from .promises import Promise
from .report_promises import load_follow_up
from .report_survey import SurveyReport, is_published, load_survey_report
from .survey import differ
from .tables import short_label, status_badge
from .vocabulary import Translator, translator

#: The language promise files, and the follow-up's sentences about them, are written in.
PROMISE_LANGUAGE = "sv"

UNSAFE = "otrygg_kvall"
VICTIM = "utsatt"
TRUST = ("fortroende_polis", "fortroende_kommun")
PROBLEMS, PRIORITIES = "stort_problem_", "prio_"
OTHER_PRIORITY = "prio_annat"  # "Annat": not a priority anyone can act on


@dataclass
class ResidentsPage:
    """What the residents' page of ``survey.year`` shows.

    Attributes
    ----------
    survey
        The year's published figures, design and cleaning log
        (:func:`~trygghet.report_survey.load_survey_report`).
    follow_up
        The follow-up of the year's medborgarlöfte (``promises.csv``), or None.
    promise, next_promise
        The promises of the year and of the next year, where their files exist.
    """

    survey: SurveyReport
    follow_up: pd.DataFrame | None = None
    promise: object | None = None
    next_promise: Promise | None = None

    @property
    def year(self) -> int:
        return self.survey.year

    @property
    def language(self) -> str:
        return self.survey.language

    @property
    def tr(self) -> Translator:
        return self.survey.tr


def _promise(project: Project, year: int):
    path = promise_files.promise_file(project.reference, year)
    return promise_files.load_promise(path, project.questionnaire) if path.exists() else None


def load_residents_page(year: int, *, language: str = "sv", municipality: str | None = None,
                        project: Project | None = None) -> ResidentsPage:
    """Gather what the residents' page of ``year`` needs (run ``trygghet report`` first)."""
    project = project or Project.find()
    survey = load_survey_report(year, language=language, municipality=municipality,
                                project=project)
    return ResidentsPage(survey=survey,
                         follow_up=load_follow_up(year, project=project, missing_ok=True),
                         promise=_promise(project, year),
                         next_promise=_promise(project, year + 1))


def masthead(page: ResidentsPage) -> dict:
    """The title block, as the arguments of :func:`trygghet.render.document_info`.

    No cover page and no table of contents: the page is a leaflet.
    """
    t, rep = page.tr, page.survey
    return {"title": t("residents.title", municipality=rep.municipality, year=rep.year),
            "subtitle": t("residents.subtitle", year=rep.year),
            "description": t("residents.description"),
            "organisation": [rep.municipality, rep.police_area],
            "synthetic": rep.synthetic, "language": rep.language,
            "cover": False, "contents": False}


# --- Numbers in words -----------------------------------------------------------------

def _whole_percent(share: float) -> int:
    """The share in whole per cent as :func:`trygghet.fmt.percent` rounds it (half up)."""
    value = Decimal(repr(float(share))) * 100
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def in_ten(share: float, language: str = "sv") -> str:
    """A share as a natural frequency: 0.29 → "ungefär 3 av 10".

    Counted from the whole per cent shown beside it, so the two always agree:
    0 % "nästan ingen" (exactly 0: "ingen"), 1–9 % "färre än 1 av 10",
    45–54 % "ungefär hälften", 95–99 % "nästan alla", 100 % "alla",
    otherwise "ungefär k av 10" with k the per cent divided by ten, rounded
    half up (35 % → 4).
    """
    t = translator(language)
    percent = _whole_percent(share)
    if share == 0:
        return t("residents.none")
    if percent == 0:
        return t("residents.almost_none")
    if percent < 10:
        return t("residents.under_one")
    if percent >= 100:
        return t("residents.all")
    if percent >= 95:
        return t("residents.almost_all")
    tenths = int((Decimal(percent) / 10).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return t("residents.half") if tenths == 5 else t("residents.in_ten", k=tenths)


def figure_key(row) -> str:
    """What a ``<data>`` element on the page refers to: ``year|indicator|group_var|group``."""
    return f"{int(row['year'])}|{row['indicator']}|{row['group_var']}|{row['group']}"


def _data(row, text: str) -> str:
    return f'<data value="{html.escape(figure_key(row))}">{html.escape(text)}</data>'


def share_html(row, language: str) -> str:
    """A published share in whole per cent, marked up with its key: ``29 %``."""
    return _data(row, fmt.percent(row["estimate"], 0, language=language))


def about_html(row, language: str, *, first: bool = False) -> str:
    """A published share as a natural frequency, marked up and in bold: ``ungefär 3 av 10``."""
    text = in_ten(row["estimate"], language)
    return f"<strong>{_data(row, fmt.upper_first(text) if first else text)}</strong>"


# --- Vi frågade -------------------------------------------------------------------------

_AGES = re.compile(r"(\d{1,3})\s*[–-]\s*(\d{1,3})\s*år")


def _ages(page: ResidentsPage) -> str:
    """" i åldern 16–84 år" from the design's population, or nothing if it names no ages."""
    t = page.tr
    text = page.survey.design.population or t("method.default_population")
    found = _AGES.search(text)
    if not found:
        return ""
    return t("residents.ages", ages=f"{found.group(1)}{fmt.EN_DASH}{found.group(2)}")


def _period(page: ResidentsPage) -> str:
    period = page.survey.design.period
    if not period:
        return ""
    lang = page.language
    start, end = (fmt.date(d, language=lang) for d in period)
    if period[0].year == period[1].year:  # "28 september till 20 november 2020"
        start = start.removesuffix(f" {period[0].year}")
    return page.tr("residents.period", start=start, end=end)


def we_asked(page: ResidentsPage) -> str:
    """*Vi frågade*: who was asked, when, and how many answered (HTML paragraphs).

    A random sample says how many were drawn and the response rate, and that
    the answers were weighted to the population; an open survey says that
    anyone could answer and that the figures therefore describe only those
    who did (:func:`opt_in_caveat`).
    """
    t, rep, lang = page.tr, page.survey, page.language
    n = rep.cleaning["rows_clean"]
    ages = _ages(page)
    if rep.probability and rep.design.sent:
        first = [t("residents.sample", sent=fmt.number(rep.design.sent, language=lang),
                   ages=ages, municipality=rep.municipality), _period(page)]
        rate = n / rep.design.sent
        second = [t("residents.answers_rate", n=fmt.number(n, language=lang),
                    about=in_ten(rate, lang), rate=fmt.percent(rate, 0, language=lang)),
                  t("residents.weighted", ages=ages)]
        paragraphs = [first, second]
    else:
        paragraphs = [[t("residents.open_survey"), _period(page),
                       t("residents.answers", n=fmt.number(n, language=lang))]]
    out = ["<p>" + " ".join(html.escape(s) for s in p if s) + "</p>" for p in paragraphs]
    if not rep.probability:
        out.append(f'<p class="caveat"><strong>{html.escape(opt_in_caveat(page))}</strong></p>')
    return "\n".join(out)


def opt_in_caveat(page: ResidentsPage) -> str:
    """What an open survey's figures cannot say (the page's "cannot be generalised")."""
    return page.tr("residents.opt_in_caveat")


# --- Ni svarade -----------------------------------------------------------------------

def _who(page: ResidentsPage) -> str:
    return "" if page.survey.probability else html.escape(page.tr("residents.who_answered"))


def _tr_html(page: ResidentsPage, key: str, **fields: str) -> str:
    """A sentence of the vocabulary as HTML: its words escaped, ``fields`` (HTML) put in."""
    marks = {name: f"\x00{i}\x00" for i, name in enumerate(fields)}
    text = html.escape(page.tr(key, **marks))
    for name, mark in marks.items():
        text = text.replace(html.escape(mark), fields[name])
    return text


def _sentence(page: ResidentsPage, key: str, row, *, first: bool = True) -> str:
    """A sentence with a share in words: "Ungefär 3 av 10 (29 %) …" (``first``: it opens
    the sentence)."""
    lang = page.language
    return _tr_html(page, key, about=about_html(row, lang, first=first), who=_who(page),
                    share=share_html(row, lang))


def _flag(value) -> bool | None:
    """A yes/no column of a table read back from CSV: True, False or None (no answer)."""
    if isinstance(value, str):
        return {"true": True, "false": False}.get(value.strip().lower())
    return None if pd.isna(value) else bool(value)


def _change(page: ResidentsPage, indicator: str) -> str:
    """The change since the previous survey year, in words, or "" when there is none."""
    rep, t = page.survey, page.tr
    earlier = [y for y in rep.years if y < rep.year]
    if not earlier or rep.changes.empty:
        return ""
    prev = max(earlier)
    c = rep.changes
    rows = c[(c["year_from"] == prev) & (c["indicator"] == indicator)
             & (c["group_var"] == "total")]
    if rows.empty:
        return ""
    change = rows.iloc[0]
    if _flag(change["series_break"]):
        return html.escape(t("residents.no_compare", prev=prev))
    before = rep.value(indicator, year=prev)
    if _flag(change["suppressed"]) or not is_published(before):
        return ""
    was = {"prev": str(prev), "share": share_html(before, page.language)}
    significant = _flag(change["significant"])
    if significant is None:  # two open surveys: no test, only the figures
        return _tr_html(page, "residents.change_was", **was)
    if significant:
        key = "residents.change_fewer" if change["diff"] < 0 else "residents.change_more"
        return _tr_html(page, key, **was)
    return _tr_html(page, "residents.change_was", **was) + " " + \
        html.escape(t("residents.chance"))


def _unsafe(page: ResidentsPage) -> str | None:
    row = page.survey.value(UNSAFE)
    if not is_published(row):
        return None
    return " ".join(s for s in (_sentence(page, "residents.unsafe", row),
                                _change(page, UNSAFE)) if s)


def _sexes(page: ResidentsPage) -> str | None:
    rep, lang = page.survey, page.language
    women, men = rep.value(UNSAFE, "sex", "Kvinna"), rep.value(UNSAFE, "sex", "Man")
    if not (is_published(women) and is_published(men)):
        return None
    w, m = _whole_percent(women["estimate"]), _whole_percent(men["estimate"])
    if rep.probability:
        lead = ("residents.women_more" if w > m else "residents.men_more") \
            if differ(women, men, rep.level) else "residents.sexes_chance"
    else:  # the respondents as they are: no test, and nothing said of everyone else
        lead = "residents.sexes_alike" if w == m else \
            "residents.women_more_answered" if w > m else "residents.men_more_answered"
    return html.escape(page.tr(lead)) + " " + _tr_html(
        page, "residents.sexes", women=about_html(women, lang),
        women_share=share_html(women, lang), men=about_html(men, lang),
        men_share=share_html(men, lang))


def _family(page: ResidentsPage, prefix: str, exclude: tuple[str, ...] = ()) -> pd.DataFrame:
    """The published, non-zero totals of an indicator family, largest first."""
    p = page.survey.primary()
    rows = p[p["indicator"].str.startswith(prefix) & (p["group_var"] == "total")
             & ~p["indicator"].isin(list(exclude)) & ~p["suppressed"].astype(bool)
             & (p["estimate"] > 0)]
    return rows.sort_values(["estimate", "indicator"], ascending=[False, True])


def _item(indicator: str, language: str) -> str:
    """An indicator's option as words in a sentence, without a bracketed explanation."""
    return fmt.lower_first(re.sub(r"\s*\([^)]*\)", "", short_label(indicator, language)))


def _items(rows: pd.DataFrame, language: str) -> str:
    """"nedskräpning (38 %) och otrygga platser (35 %)"."""
    return fmt.join([f"{html.escape(_item(r['indicator'], language))} "
                     f"({share_html(r, language)})" for _, r in rows.iterrows()],
                    language=language)


def _problems(page: ResidentsPage) -> str | None:
    rows = _family(page, PROBLEMS).head(3)
    if rows.empty:
        return None
    top = rows.iloc[0]
    parts = [_tr_html(page, "residents.problem_top",
                      item=html.escape(_item(top["indicator"], page.language))),
             _sentence(page, "residents.problem_share", top, first=False)]
    if len(rows) > 1:
        parts.append(_tr_html(page, "residents.then",
                              items=_items(rows.iloc[1:], page.language)))
    return " ".join(parts)


def _priorities(page: ResidentsPage) -> str | None:
    rows = _family(page, PRIORITIES, exclude=(OTHER_PRIORITY,)).head(3)
    if rows.empty:
        return None
    return _tr_html(page, "residents.priorities", items=_items(rows, page.language))


def _victims(page: ResidentsPage) -> str | None:
    row = page.survey.value(VICTIM)
    return _sentence(page, "residents.victims", row) if is_published(row) else None


def _trust(page: ResidentsPage) -> str | None:
    police, municipality = (page.survey.value(i) for i in TRUST)
    if not is_published(police):
        return None
    text = _sentence(page, "residents.trust_police", police)
    if is_published(municipality):
        text += " " + _tr_html(page, "residents.trust_municipality",
                               about=about_html(municipality, page.language),
                               share=share_html(municipality, page.language))
    return text


#: The key results in the order they are considered; the first five that the year's
#: published figures allow are shown.
RESULTS = (_unsafe, _sexes, _problems, _priorities, _victims, _trust)


def key_results(page: ResidentsPage) -> list[str]:
    """Three to five key results (HTML sentences), computed from the published figures.

    In this order, each only where its figures exist and are published: the
    share feeling unsafe late in the evening (with the change since the last
    survey), women and men, the biggest problems, what people want the police
    and the municipality to prioritise, victims of crime, trust. An indicator
    the year's questionnaire did not have is simply left out. The problem
    index is not used: a 0–6 index needs more explaining than a leaflet has
    room for.
    """
    found = [text for make in RESULTS if (text := make(page))]
    return found[:5]


def results_html(page: ResidentsPage) -> str:
    """*Ni svarade*: the key results as a list (with the open survey's reminder)."""
    items = "".join(f"<li>{text}</li>" for text in key_results(page))
    lead = "" if page.survey.probability else \
        f"<p>{html.escape(page.tr('residents.figures_answered'))}</p>"
    return f'{lead}<ul class="key-results">{items}</ul>' if items else lead


def results_chart(page: ResidentsPage, width: float = 5.0):
    """The one chart: feeling unsafe late in the evening, for the municipality and by area.

    None when the year has no published figure by area for it.
    """
    from .charts import plain_by_area

    rep, t = page.survey, page.tr
    p = rep.primary()
    areas = p[(p["indicator"] == UNSAFE) & (p["group_var"] == "area")]
    if not is_published(rep.value(UNSAFE)) or areas.empty:
        return None
    note = t("residents.chart_chance" if rep.probability else "residents.chart_answered")
    hidden = t("residents.hidden")
    return plain_by_area(rep.estimates, UNSAFE, rep.year,
                         title=t("residents.chart_title", year=rep.year), notes=[note],
                         symbols={fmt.SUPPRESSED: hidden, fmt.MISSING: hidden},
                         total=None if rep.probability else t("residents.all_answered"),
                         width=width, language=page.language)


# --- Vi gjorde --------------------------------------------------------------------------

def _quote(page: ResidentsPage, text: str, tag: str = "p", cls: str = "") -> str:
    """A promise text as written, marked as Swedish on a page in another language."""
    lang = f' lang="{PROMISE_LANGUAGE}"' if page.language != PROMISE_LANGUAGE else ""
    cls = f' class="{cls}"' if cls else ""
    return f"<{tag}{cls}{lang}>{html.escape(str(text))}</{tag}>"


def _first_sentence(text: str) -> str:
    """The first sentence of a follow-up reason, without long asides.

    "… ökade från 412 till 455 (+10 %)." stays; a bracketed explanation of
    four words or more goes, and a clause after a semicolon becomes a
    sentence of its own.
    """
    first = re.split(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ])", str(text).strip())[0]
    first = re.sub(r"\s*\((?:[^()]*?\s){3,}[^()]*\)", "", first)
    return re.sub(r";\s+(\w)", lambda m: ". " + m.group(1).upper(), first)


def _survey_sentence(page: ResidentsPage, row) -> str:
    """A survey indicator's outcome in plain words: the two years' figures, and whether
    they can be compared or the difference could be chance."""
    t, lang = page.tr, page.language
    if pd.isna(row["value_from"]) or pd.isna(row["value_to"]):
        return _first_sentence(row["indicator_reason"])
    y0, y1 = int(row["year_from"]), int(row["year_to"])
    text = t("residents.survey_values", label=fmt.upper_first(str(row["label"])),
             a=fmt.percent(row["value_from"], 0, language=lang), y0=y0,
             b=fmt.percent(row["value_to"], 0, language=lang), y1=y1)
    designs = page.survey.designs
    if y0 in designs and y1 in designs and designs[y0].sampling != designs[y1].sampling:
        return text + " " + t("residents.no_compare", prev=y0)
    if _flag(row["significant"]) is False:
        return text + " " + t("residents.chance")
    return text


def _outcome(page: ResidentsPage, rows: pd.DataFrame) -> str:
    """The sentence after an inriktning's status.

    On a Swedish page, what the follow-up found (its own first sentence per
    indicator; a survey indicator in the page's plain words); on a page in
    another language, what the status means, since the follow-up's sentences
    are Swedish.
    """
    status = rows.iloc[0]["status"]
    if page.language != PROMISE_LANGUAGE:
        return page.tr(f"residents.outcome_{status}")
    parts = [_survey_sentence(page, r) if r["rule"] == "survey"
             else _first_sentence(r["indicator_reason"]) for _, r in rows.iterrows()]
    return " ".join(dict.fromkeys(p for p in parts if p))


def we_did(page: ResidentsPage) -> str:
    """*Vi gjorde*: each inriktning of the year's promise, its status and one sentence."""
    t, lang, fu = page.tr, page.language, page.follow_up
    if page.promise is None and fu is None:
        return f"<p>{html.escape(t('residents.no_promise', year=page.year))}</p>"
    if fu is None or fu.empty:
        return f"<p>{html.escape(t('residents.no_follow_up', year=page.year))}</p>"
    count = fu["inriktning"].nunique()
    out = [f"<p>{html.escape(t('residents.promise_intro', count=count, year=page.year))}</p>"]
    if lang != PROMISE_LANGUAGE:
        out.append(f'<p class="note">{html.escape(t("residents.promise_quoted"))}</p>')
    items = []
    for _, rows in fu.groupby("inriktning", sort=True):
        first = rows.iloc[0]
        items.append(f"<li>{_quote(page, first['text'], cls='promise')}"
                     f"<p>{status_badge(first['status'], lang)} "
                     f"{html.escape(_outcome(page, rows))}</p></li>")
    out.append(f'<ol class="promises">{"".join(items)}</ol>')
    return "\n".join(out)


def next_promise(page: ResidentsPage) -> tuple[str, str] | None:
    """``(heading, HTML list)`` of what is promised for next year, or None."""
    promise = page.next_promise
    if promise is None:
        return None
    items = "".join(_quote(page, i.text, tag="li") for i in promise.inriktningar)
    return (page.tr("residents.next", year=promise.year),
            f'<ul class="promises-next">{items}</ul>')


def read_more(page: ResidentsPage) -> str:
    """Where the whole report is (a paragraph of markdown)."""
    t, rep = page.tr, page.survey
    report = t("survey.title", municipality=rep.municipality, year=rep.year, where="")
    return t("residents.more", report=report)
