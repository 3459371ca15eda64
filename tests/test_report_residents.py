"""The residents' page: its sentences from hand-made figures, then the rendered sample.

The first part builds a :class:`~trygghet.report_survey.SurveyReport` by hand
(``make_report`` of test_report_survey) and checks what the page says: shares
in words beside whole per cents, the design's claims (an open survey speaks of
those who answered and says the figures cannot be applied to everyone), the
chance sentences, what is left out when an indicator is missing or withheld,
and the promises. The second part reads the pages that ``trygghet report``
rendered from the sample (``sample_run``) and two more renders (English, and
the 2019 open survey): their numbers against the published estimates, their
length on paper, accessibility and readability (LIX, :mod:`trygghet.readability`).
"""

from __future__ import annotations

import base64
import re
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace

import nbformat
import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup
from helpers import NOTEBOOKS, SAMPLE_REPORT_YEAR, pdf_structure, sample_env
from pypdf import PdfReader
from test_accessibility import GRAPHICS_MIN, TEXT_MIN, chart_colours, text_colours
from test_report_survey import BASE, make_report, row

from trygghet import charts, render, report_residents, theme, vocabulary
from trygghet.charts import alt_text
from trygghet.readability import lix, readability, sentences, words
from trygghet.report_residents import ResidentsPage, in_ten

NB = "\u00a0"


def tr(key: str, language: str = "sv", **fields) -> str:
    return vocabulary.tr(f"residents.{key}", language, **fields)


def text_of(html: str) -> str:
    return BeautifulSoup(html, "html.parser").get_text()


# --- LIX ----------------------------------------------------------------------------------

def test_lix_of_a_hand_counted_text():
    # Words: Katten sov i solen | Hunden sprang ut | där fanns ingenting = 10; long
    # (more than 6 letters): ingenting = 1; sentences: 3 (". ", ": ", "!").
    r = readability("Katten sov i solen. Hunden sprang ut: där fanns ingenting!")
    assert (r.words, r.sentences, r.long_words) == (10, 3, 1)
    assert r.lix == pytest.approx(10 / 3 + 100 * 1 / 10)
    # Numbers and signs are not words; a hyphenated word is one word, its hyphen not a
    # letter ("sms-lån" has 6 letters: short); a line break ends a sentence.
    text = "Ungefär 3 av 10 (29 %) tog sms-lån.\nRubrik utan punkt\nSkillnaden är liten."
    assert words(text) == ["Ungefär", "av", "tog", "sms-lån", "Rubrik", "utan", "punkt",
                           "Skillnaden", "är", "liten"]
    assert sentences(text) == ["Ungefär 3 av 10 (29 %) tog sms-lån", "Rubrik utan punkt",
                               "Skillnaden är liten"]
    r = readability(text)
    # Long: Ungefär (7), Skillnaden (10) → L = 2; O = 10, M = 3.
    assert (r.words, r.sentences, r.long_words) == (10, 3, 2)
    assert lix(text) == pytest.approx(10 / 3 + 20)
    assert readability("").lix == 0.0


# --- Shares in words ------------------------------------------------------------------------

@pytest.mark.parametrize("share, sv, en", [
    (0.2936, "ungefär 3 av 10", "about 3 in 10"),
    (0.196, "ungefär 2 av 10", "about 2 in 10"),
    (0.349, "ungefär 4 av 10", "about 4 in 10"),     # shown as 35 %: 3.5 tenths, half up
    (0.344, "ungefär 3 av 10", "about 3 in 10"),     # 34 %
    (0.45, "ungefär hälften", "about half"),         # 45 % → 4.5 → 5
    (0.5, "ungefär hälften", "about half"),
    (0.095, "ungefär 1 av 10", "about 1 in 10"),     # shown as 10 %
    (0.094, "färre än 1 av 10", "fewer than 1 in 10"),  # 9 %
    (0.004, "nästan ingen", "almost nobody"),        # 0 %
    (0.0, "ingen", "nobody"),
    (0.949, "nästan alla", "almost everyone"),       # 95 %
    (1.0, "alla", "everyone"),
])
def test_shares_in_words_agree_with_the_per_cent_beside_them(share, sv, en):
    assert (in_ten(share, "sv"), in_ten(share, "en")) == (sv, en)


# --- Key results from hand-made figures -------------------------------------------------------

MORE = [
    row("stort_problem_nedskrapning", 0.38), row("stort_problem_klotter", 0.30),
    row("stort_problem_storande_trafik", 0.43), row("stort_problem_berusade", 0.20),
    row("stort_problem_otrygga_platser", 0.35),
    row("prio_annat", 0.90), row("prio_trafik", 0.16), row("prio_vald_utomhus", 0.61),
    row("prio_tillganglighet", 0.68), row("prio_mangdbrott", 0.39),
    row("utsatt", 0.193), row("fortroende_polis", 0.68), row("fortroende_kommun", 0.60),
]


def page_of(rows, **kw) -> ResidentsPage:
    return ResidentsPage(survey=make_report(rows, **kw))


def test_key_results_of_a_random_sample():
    results = report_residents.key_results(page_of(BASE + MORE))
    assert len(results) == 5
    texts = [text_of(r) for r in results]
    assert texts[0] == (f"Ungefär 3 av 10 (30{NB}%) känner sig otrygga när de går ut ensamma "
                        "sent en kväll där de bor.")
    # 0.40 against 0.20 with SE 0.02 each: z ≈ 7, a difference chance does not explain.
    assert texts[1] == (f"{tr('women_more')} Det gäller ungefär 4 av 10 kvinnor (40{NB}%) och "
                        f"ungefär 2 av 10 män (20{NB}%).")
    assert texts[2] == ("Flest ser bilar som körs på ett störande sätt som ett stort problem där "
                        f"de bor. Det gäller ungefär 4 av 10 (43{NB}%). Sedan kommer "
                        f"nedskräpning (38{NB}%) och otrygga platser (35{NB}%).")
    # "Annat" is never a priority, however many chose it.
    assert texts[3] == ("Flest vill att polisen och kommunen prioriterar tillgänglighet "
                        f"(68{NB}%), våld utomhus (61{NB}%) och mängdbrott (39{NB}%).")
    assert texts[4] == f"Ungefär 2 av 10 (19{NB}%) har utsatts för brott under det senaste året."
    # Trust was the sixth result: at most five are shown.
    assert not any("förtroende" in t for t in texts)


def test_every_figure_is_marked_up_with_what_it_is():
    html = report_residents.results_html(page_of(BASE + MORE))
    soup = BeautifulSoup(html, "html.parser")
    values = {d["value"] for d in soup.find_all("data")}
    assert "2020|otrygg_kvall|sex|Kvinna" in values
    assert "2020|stort_problem_otrygga_platser|total|Totalt" in values
    # Every per cent on the list is inside a <data> element.
    for li in soup.find_all("li"):
        bare = "".join(s for s in li.find_all(string=True) if s.parent.name != "data")
        assert not re.search(r"\d", bare), bare


def test_a_difference_between_women_and_men_that_may_be_chance():
    rows = [r for r in BASE if r["group_var"] != "sex"]
    rows += [row("otrygg_kvall", 0.32, se=0.03, group_var="sex", group="Kvinna"),
             row("otrygg_kvall", 0.28, se=0.03, group_var="sex", group="Man")]
    texts = [text_of(r) for r in report_residents.key_results(page_of(rows))]
    assert texts[1].startswith(tr("sexes_chance"))


def test_an_open_survey_speaks_of_those_who_answered():
    rows = [dict(r, estimate_type="unweighted", generalisable=False) for r in BASE + MORE]
    page = page_of(rows, sampling="opt_in")
    texts = [text_of(r) for r in report_residents.key_results(page)]
    assert texts[0].startswith(f"Ungefär 3 av 10 av dem som svarade (30{NB}%) känner sig")
    assert texts[1].startswith(tr("women_more_answered"))
    assert "Det gäller ungefär 4 av 10 av dem som svarade" in texts[2]
    assert not any("slumpen" in t for t in texts)   # no test, so no claim about chance
    assert text_of(report_residents.results_html(page)).startswith(tr("figures_answered"))
    asked = text_of(report_residents.we_asked(page))
    assert tr("open_survey") in asked and tr("opt_in_caveat") in asked
    assert "slumpvis" not in asked.replace(tr("opt_in_caveat"), "") and "%" not in asked
    # The chart's first bar is everyone who answered, not the whole municipality.
    ax = report_residents.results_chart(page)
    assert ax.get_yticklabels()[0].get_text() == tr("all_answered")
    assert tr("chart_answered") in ax.get_xlabel() and "slumpen" not in ax.get_xlabel()


def test_missing_and_withheld_figures_are_left_out():
    # A questionnaire without the evening question, problems or priorities.
    rows = [row("utsatt", 0.2), row("fortroende_polis", 0.7)]
    page = page_of(rows)
    texts = [text_of(r) for r in report_residents.key_results(page)]
    assert len(texts) == 2 and texts[0].startswith("Ungefär 2 av 10")
    assert report_residents.results_chart(page) is None
    assert report_residents.key_results(page_of([row("oro", 0.3)])) == []
    # A withheld figure is never used, not even the largest problem.
    hidden = dict(row("stort_problem_narkotikahandel", np.nan), suppressed=True, symbol="..")
    rows = [dict(BASE[0], suppressed=True, estimate=np.nan, symbol=".."), *BASE[1:], *MORE,
            hidden]
    texts = [text_of(r) for r in report_residents.key_results(page_of(rows))]
    assert not any("känner sig otrygga när" in t for t in texts)
    assert not any("narkotika" in t for t in texts)


def _change(**kw):
    base = {"year_from": 2019, "indicator": "otrygg_kvall", "group_var": "total",
            "group": "Totalt", "series_break": False, "suppressed": False, "diff": -0.05,
            "significant": True}
    return pd.DataFrame([base | kw])


@pytest.mark.parametrize("change, expected", [
    ({"series_break": True, "significant": pd.NA}, tr("no_compare", prev=2019)),
    ({}, f"Det är färre än år 2019, då det var 35{NB}%."),
    ({"diff": 0.05}, f"Det är fler än år 2019, då det var 35{NB}%."),
    ({"significant": False}, f"År 2019 var det 35{NB}%. {tr('chance')}"),
    ({"significant": pd.NA}, f"År 2019 var det 35{NB}%."),   # two open surveys: no test
    ({"suppressed": True}, ""),
])
def test_the_change_since_the_last_survey(change, expected):
    rows = BASE + [dict(row("otrygg_kvall", 0.35), year=2019)]
    page = page_of(rows, changes=_change(**change), years=(2019, 2020))
    first = text_of(report_residents.key_results(page)[0])
    assert first.removeprefix(f"Ungefär 3 av 10 (30{NB}%) känner sig otrygga när de går ut "
                              "ensamma sent en kväll där de bor.").strip() == expected


def test_who_was_asked_in_a_random_sample():
    asked = text_of(report_residents.we_asked(page_of(BASE)))
    # make_report: 2 000 drawn, 1 000 clean answers; no population text, so the
    # project's default (16–84) gives the ages.
    assert f"Vi skickade en enkät till 2{NB}000 personer i åldern 16–84{NB}år" in asked
    assert f"Totalt svarade 1{NB}000 personer. Det är ungefär hälften (50{NB}%)." in asked
    assert tr("weighted", ages=tr("ages", ages="16–84")) in asked
    assert tr("opt_in_caveat") not in asked


def test_the_chart_has_no_intervals_and_says_what_it_shows():
    hidden = dict(row("otrygg_kvall", np.nan, group_var="area", group="Väster"),
                  suppressed=True, symbol="..")
    page = page_of(BASE + [hidden])
    ax = report_residents.results_chart(page)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["Hela kommunen", "Norr", "Mitt", "Söder", "Väster"]  # highest first
    assert not ax.containers or all(type(c).__name__ == "BarContainer" for c in ax.containers)
    shown = [t.get_text() for t in ax.texts]
    assert f"30{NB}%" in shown and f"..\u2002{vocabulary.tr('symbol.suppressed')}" in shown
    note = ax.get_xlabel()
    assert tr("chart_chance") in note and f".. = {tr('hidden')}." in note.replace("\n", " ")
    assert alt_text(ax) == (f"{tr('chart_title', year=2020)}: högst i Norr (45{NB}%) och lägst "
                            f"i Söder (10{NB}%) av 3 områden; Väster redovisas inte (för få "
                            f"svar eller röjanderisk); Hela kommunen 30{NB}%.")
    with pytest.raises(Exception, match="inte en andel"):
        charts.plain_by_area(pd.DataFrame([dict(row("problemindex", 1.9), kind="mean")]),
                             "problemindex", 2020, title="x")


# --- Vi gjorde ---------------------------------------------------------------------------------

FOLLOW_UP = pd.DataFrame([
    {"inriktning": 1, "text": "Polisen ökar antalet utredningar.", "status": "Uppfyllt",
     "rule": "increase", "label": "antalet utredningar", "year_from": 2019, "value_from": 412,
     "year_to": 2020, "value_to": 455, "significant": np.nan,
     "indicator_reason": "Antalet utredningar ökade från 412 till 455 (+10 %)."},
    {"inriktning": 2, "text": "Minska våldet och otryggheten.", "status": "Underlag saknas",
     "rule": "decrease", "label": "anmälningar", "year_from": 2019, "value_from": np.nan,
     "year_to": 2020, "value_to": 164, "significant": np.nan,
     "indicator_reason": "Uppgift om anmälningar saknas för 2019 (Polisen redovisade då hela "
                         "området). Mer text här."},
    {"inriktning": 2, "text": "Minska våldet och otryggheten.", "status": "Underlag saknas",
     "rule": "survey", "label": "andelen som känner sig otrygga", "year_from": 2019,
     "value_from": 0.336, "year_to": 2020, "value_to": 0.294, "significant": np.nan,
     "indicator_reason": "Andelen … (seriebrott)."},
    {"inriktning": 3, "text": "Två trygghetsronder.", "status": "Delvis uppfyllt",
     "rule": "target_count", "label": "trygghetsronder", "year_from": np.nan,
     "value_from": np.nan, "year_to": 2020, "value_to": 2, "significant": np.nan,
     "indicator_reason": "Under 2020 genomfördes 2 ronder; målet var 2 ronder. Barn deltog i 1."},
])
NEXT = SimpleNamespace(year=2021, inriktningar=[SimpleNamespace(text="Fler ronder & mer ljus."),
                                               SimpleNamespace(text="Kontaktcenter.")])


def outcome_of(item) -> str:
    """The sentence after the status badge of a promise on the list."""
    line = item.find_all("p")[1]
    return line.get_text()[len(line.find("span", class_="status").get_text()):].strip()


def test_each_promise_with_its_status_and_one_sentence():
    page = ResidentsPage(survey=make_report(BASE, years=(2019, 2020)), follow_up=FOLLOW_UP,
                         promise=object(), next_promise=NEXT)
    soup = BeautifulSoup(report_residents.we_did(page), "html.parser")
    assert soup.p.get_text() == tr("promise_intro", count=3, year=2020)
    items = soup.find("ol", class_="promises").find_all("li", recursive=False)
    assert [i.find("p", class_="promise").get_text() for i in items] == [
        "Polisen ökar antalet utredningar.", "Minska våldet och otryggheten.",
        "Två trygghetsronder."]
    assert [i.find("span", class_="status").get_text() for i in items] == [
        "\u2713 Uppfyllt", "? Underlag saknas", "\u25d0 Delvis uppfyllt"]
    outcome = [outcome_of(i) for i in items]
    assert outcome[0] == "Antalet utredningar ökade från 412 till 455 (+10 %)."
    # The first sentence without its long aside; the survey indicator in plain words,
    # with the series break (2019 an open survey, 2020 a random sample) said plainly.
    assert outcome[1] == ("Uppgift om anmälningar saknas för 2019. Andelen som känner sig "
                          f"otrygga var 34{NB}% år 2019 och 29{NB}% år 2020. "
                          + tr("no_compare", prev=2019))
    assert outcome[2] == "Under 2020 genomfördes 2 ronder. Målet var 2 ronder."
    assert not soup.find(attrs={"lang": True})   # a Swedish page quotes Swedish as it is
    heading, items = report_residents.next_promise(page)
    assert heading == tr("next", year=2021)
    assert "Fler ronder &amp; mer ljus." in items


def test_an_english_page_quotes_the_promise_in_swedish():
    page = ResidentsPage(survey=make_report(BASE, language="en"), follow_up=FOLLOW_UP,
                         promise=object(), next_promise=NEXT)
    soup = BeautifulSoup(report_residents.we_did(page), "html.parser")
    assert tr("promise_quoted", "en") in soup.get_text()
    quotes = soup.find_all("p", class_="promise")
    assert quotes and all(q["lang"] == "sv" for q in quotes)
    outcomes = [outcome_of(li) for li in soup.select("ol.promises > li")]
    assert outcomes == [tr(f"outcome_{s}", "en")
                        for s in ("Uppfyllt", "Underlag saknas", "Delvis uppfyllt")]
    _, items = report_residents.next_promise(page)
    assert all(li["lang"] == "sv" for li in BeautifulSoup(items, "html.parser").find_all("li"))


def test_a_year_without_a_promise_or_a_follow_up():
    page = ResidentsPage(survey=make_report(BASE))
    assert text_of(report_residents.we_did(page)) == tr("no_promise", year=2020)
    page.promise = object()
    assert text_of(report_residents.we_did(page)) == tr("no_follow_up", year=2020)
    assert report_residents.next_promise(page) is None


def test_the_page_has_no_cover_and_no_contents():
    info = report_residents.masthead(page_of(BASE))
    assert info["cover"] is False and info["contents"] is False and info["synthetic"]
    cell = nbformat.v4.new_code_cell("", outputs=[nbformat.v4.new_output(
        "display_data", data={render.DOCUMENT_MIME: render.document_info(**info)})])
    md = nbformat.v4.new_markdown_cell("## Vi frågade\n\nText.")
    soup = BeautifulSoup(render.to_html(nbformat.v4.new_notebook(cells=[cell, md])),
                         "html.parser")
    assert soup.body["class"] == ["no-cover"] and soup.find("nav") is None
    assert [h.name for h in soup.find_all(re.compile("^h[1-6]$"))] == ["h1", "h2"]
    assert "Syntetiska exempeldata" in soup.find("header").get_text()
    # A report keeps its cover page and contents (the defaults).
    info = render.document_info("Rapport")
    assert info["cover"] and info["contents"]


# --- The rendered sample ------------------------------------------------------------------------

YEAR = SAMPLE_REPORT_YEAR
STEM = f"invanarsrapport_{YEAR}"


@pytest.fixture(scope="module")
def rendered(sample_run, tmp_path_factory):
    """``{(year, language): (html path, pdf path)}``: the Swedish page ``trygghet report``
    wrote, and the English page and the 2019 (open survey) page rendered here."""
    out = tmp_path_factory.mktemp("residents")
    pages = {(YEAR, "sv"): (sample_run / "reports" / str(YEAR) / f"{STEM}.html",
                            sample_run / "reports" / str(YEAR) / f"{STEM}.pdf")}
    with pytest.MonkeyPatch.context() as mp:
        sample_env(mp)
        for year, language in ((YEAR, "en"), (2019, "sv")):
            result = render.render_notebook(
                NOTEBOOKS / "invanarsrapport.ipynb", out,
                f"invanarsrapport_{year}_{language}", {"year": year, "language": language},
                formats=("html", "pdf"), cwd=sample_run)
            pages[(year, language)] = (result.files["html"], result.files["pdf"])
    return pages


def soup_of(rendered, key) -> BeautifulSoup:
    return BeautifulSoup(rendered[key][0].read_text(encoding="utf-8"), "html.parser")


def test_rendered_beside_the_other_reports(sample_run):
    names = {p.name for p in (sample_run / "reports" / str(YEAR)).iterdir()}
    assert {f"{STEM}.ipynb", f"{STEM}.html", f"{STEM}.pdf"} <= names


def test_at_most_two_a4_pages(rendered):
    for key, (_, pdf) in rendered.items():
        pages = PdfReader(pdf).pages
        assert 1 <= len(pages) <= 2, key
        for page in pages:
            width, height = (float(v) for v in page.mediabox[2:])
            assert (round(width), round(height)) == (595, 842), key   # A4 in points
            text = page.extract_text()
            synthetic = vocabulary.tr("page.synthetic", key[1])
            assert synthetic in text, key          # the sample says so on every page


def _expected_words(share: float, language: str) -> str:
    """The natural frequency, counted independently: whole per cent, then tenths."""
    percent = int((Decimal(repr(share)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    words = vocabulary.words("residents", language)
    if share == 0:
        return words["none"]
    if percent == 0:
        return words["almost_none"]
    if percent < 10:
        return words["under_one"]
    if percent == 100:
        return words["all"]
    if percent >= 95:
        return words["almost_all"]
    tenths = (percent + 5) // 10
    return words["half"] if tenths == 5 else words["in_ten"].format(k=tenths)


def test_every_number_is_a_published_estimate(rendered, sample_run):
    checked = 0
    for (year, language), _ in rendered.items():
        soup = soup_of(rendered, (year, language))
        for data in soup.find_all("data"):
            y, indicator, group_var, group = data["value"].split("|")
            est = pd.read_parquet(sample_run / "data" / "processed" / y / "estimates.parquet")
            hit = est[(est["indicator"] == indicator) & (est["group_var"] == group_var)
                      & (est["group"] == group)
                      & est["estimate_type"].isin(["weighted", "unweighted"])]
            assert len(hit) == 1, data["value"]
            published = hit.iloc[0]
            assert not published["suppressed"] and published["symbol"] == "", data["value"]
            text = data.get_text()
            if "%" in text:
                percent = int((Decimal(repr(float(published["estimate"]))) * 100).quantize(
                    Decimal(1), rounding=ROUND_HALF_UP))
                sign = f"{NB}%" if language == "sv" else "%"
                assert text == f"{percent}{sign}", (data["value"], text)
            else:
                expected = _expected_words(float(published["estimate"]), language)
                assert text.lower() == expected.lower(), (data["value"], text)
            checked += 1
        # No figure of the results escapes the check: every digit in the list is marked up.
        for li in soup.find("ul", class_="key-results").find_all("li"):
            bare = "".join(s for s in li.find_all(string=True) if s.parent.name != "data")
            assert not re.search(r"\d", bare.replace(str(year - 1), "")), bare
    assert checked >= 30


def test_who_was_asked_and_how_many_answered(rendered, sample_run):
    import json

    from trygghet.config import Project
    from trygghet.mapping import load_mapping

    project = Project.find(sample_run)
    for (year, language), _ in rendered.items():
        text = soup_of(rendered, (year, language)).find("main").get_text(" ")
        log = json.loads((project.processed(year) / "cleaning_log.json").read_text())
        n = log["rows_clean"]
        design = load_mapping(project.mapping(year)).design
        sep = NB if language == "sv" else ","
        assert f"{n // 1000}{sep}{n % 1000:03d} " in text, year
        if design.is_probability:
            assert f"{design.sent // 1000}{sep}{design.sent % 1000:03d} " in text
            rate = round(100 * n / design.sent)
            assert f"({rate}{NB if language == 'sv' else ''}%)" in text


def test_the_open_survey_page_says_its_figures_cannot_be_generalised(rendered):
    opt_in = soup_of(rendered, (2019, "sv"))
    caveat = opt_in.find("p", class_="caveat")
    assert caveat is not None and caveat.get_text(strip=True) == tr("opt_in_caveat")
    first = opt_in.find("ul", class_="key-results").li.get_text(" ", strip=True)
    assert "av dem som svarade" in first
    img = opt_in.find("img")
    assert tr("chart_answered") not in img["alt"]   # the note is drawn; the alt has the figures
    random_sample = soup_of(rendered, (YEAR, "sv"))
    assert random_sample.find("p", class_="caveat") is None
    assert "av dem som svarade" not in random_sample.get_text()


def test_the_promises_of_the_year_and_the_next(rendered, sample_run):
    follow_up = pd.read_csv(sample_run / "data" / "processed" / str(YEAR) / "promises.csv")
    first = follow_up.drop_duplicates("inriktning").sort_values("inriktning")
    for language in ("sv", "en"):
        soup = soup_of(rendered, (YEAR, language))
        badges = [b.get_text() for b in soup.select("ol.promises span.status")]
        assert badges == [f"{theme.STATUSES[s]['symbol']} {vocabulary.label('status', s, language)}"
                          for s in first["status"]]
        upcoming = soup.find("ul", class_="promises-next").find_all("li")
        assert len(upcoming) == 4 and soup.find("h3").get_text() == tr("next", language,
                                                                        year=YEAR + 1)
    # 2019 had no promise; the 2020 promise is what comes next.
    opt_in = soup_of(rendered, (2019, "sv"))
    assert tr("no_promise", year=2019) in opt_in.get_text()
    assert opt_in.find("h3").get_text() == tr("next", year=2020)


# --- Accessibility (the checks of test_accessibility on these pages) ----------------------------

def test_structure_language_and_alt_text(rendered):
    for (year, language), (_, pdf) in rendered.items():
        soup = soup_of(rendered, (year, language))
        assert soup.html["lang"] == language and soup.title.get_text(strip=True)
        headings = soup.find_all(re.compile(r"^h[1-6]$"))
        levels = [int(h.name[1]) for h in headings]
        assert levels[0] == 1 and levels.count(1) == 1
        assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), levels
        assert [h.get_text() for h in headings[1:4]] == [
            tr(k, language) for k in ("asked", "answered", "did")]
        images = soup.find_all("img")
        assert len(images) == 1 and images[0].find_parent("figure") is not None
        assert len(images[0]["alt"]) >= 40 and re.search(r"\d", images[0]["alt"])
        assert soup.find("nav") is None and not soup.find_all("table")
        ids = [t["id"] for t in soup.find_all(id=True)]
        assert len(ids) == len(set(ids))
        for badge in soup.find_all("span", class_="status"):   # never colour alone
            assert re.search(r"\w{3,}", badge.get_text())
        if language != report_residents.PROMISE_LANGUAGE:   # WCAG 3.1.2, language of parts
            quotes = soup.select("p.promise, ul.promises-next li")
            assert quotes and all(q.get("lang") == "sv" for q in quotes)
        reader = PdfReader(pdf)
        root = reader.trailer["/Root"]
        assert root["/Lang"] == language and root["/MarkInfo"]["/Marked"]
        figures = list(pdf_structure(root["/StructTreeRoot"], "/Figure"))
        assert figures and all(str(f.get("/Alt", "")).strip() for f in figures)


@pytest.mark.parametrize("mode", ["screen", "print"])
def test_text_and_chart_contrast(rendered, mode):
    for key in rendered:
        soup = soup_of(rendered, key)
        pairs = list(text_colours(soup, mode))
        assert pairs
        for text, color, background in pairs:
            assert theme.contrast_ratio(color, background) >= TEXT_MIN, (key, text, color)
        img = soup.find("img")
        svg = base64.b64decode(img["src"].partition(",")[2]).decode("utf-8")
        for kind, color, background, where in chart_colours(svg):
            minimum = TEXT_MIN if kind == "text" else GRAPHICS_MIN
            if kind != "grid" and color.lower() != background.lower():
                assert theme.contrast_ratio(color, background) >= minimum, (key, where, color)


# --- Readability ---------------------------------------------------------------------------------
# LIX < 40 is "lättläst" on the usual scale (fiction, the popular press; 40–50 is an
# ordinary newspaper, 50–60 normal for official texts). It is asked of everything the page
# writes itself: our sentences and the follow-up's. The promise texts are quoted as the
# municipality and the Police wrote them (long words such as
# "mängdbrottsutredningar"), so the whole page, quotations included, is held to the
# research note's outer limit, 45. Sentences average at most 15 words (Språkrådet: short
# sentences; an ordinary newspaper has about 15–20) and none is over 25.

def body_blocks(soup, *, quotes: bool):
    main = soup.find("main")
    for block in main.find_all(["p", "li"]):
        if block.find("p"):
            continue   # a list item holding paragraphs: its paragraphs count
        quoted = "promise" in (block.get("class") or []) or block.find_parent(
            "ul", class_="promises-next") is not None
        if quotes or not quoted:
            yield block.get_text(" ", strip=True)


@pytest.mark.parametrize("key", [(YEAR, "sv"), (2019, "sv")])
def test_the_swedish_page_is_easy_to_read(rendered, key):
    soup = soup_of(rendered, key)
    own = readability("\n".join(body_blocks(soup, quotes=False)))
    whole = readability("\n".join(body_blocks(soup, quotes=True)))
    assert own.words > 150     # the check reads the page, not an empty string
    assert own.lix < 40, own
    assert whole.lix < 45, whole
    assert own.sentence_length <= 15, own
    longest = max(sentences("\n".join(body_blocks(soup, quotes=False))),
                  key=lambda s: len(words(s)))
    assert len(words(longest)) <= 25, longest


def test_the_english_page_has_short_sentences(rendered):
    text = "\n".join(body_blocks(soup_of(rendered, (YEAR, "en")), quotes=False))
    r = readability(text)
    assert r.words > 150 and r.sentence_length <= 15, r
    assert not re.search(r"[åäöÅÄÖ]", re.sub(r"Trollhättan|Östra Fyrbodal|Kronogården|"
                                               r"Lextorp|Sjuntorp|Upphärad|Strömslund", "",
                                               text))


def test_pdf_text_reads_in_order(rendered):
    """The PDF's text has the three parts in order (what a screen reader follows)."""
    text = "".join(p.extract_text() for p in PdfReader(rendered[(YEAR, "sv")][1]).pages)
    positions = [text.find(tr(k)) for k in ("asked", "answered", "did")]
    assert -1 not in positions and positions == sorted(positions)
