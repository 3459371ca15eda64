"""The analyst's workbench: ad-hoc questions answered in one line, protected by default.

When a board member asks "are young women in Kronogården less safe than last
year?" or "is the difference between Lextorp and Sylte real?", the answer should
take a minute, with the right weights, honest intervals and no disclosure risk.
:class:`Workbench` opens the project (workspace) and answers such questions in
JupyterLab; every answer is a formatted, protected table or sentence in Swedish:

>>> wb = Workbench(year=2020)
>>> wb.indicators()                    # the indicators and their questions
>>> wb.groupings()                     # what tables can be broken down by
>>> wb.table("otrygg_kvall", by="area")
>>> wb.table("otrygg_kvall", by=["sex", "area"])    # sex × area, with margins
>>> wb.table(["otrygg_kvall", "oro"], by="area",
...          where={"sex": "Kvinna", "age_group": "16–24"})   # women aged 16–24
>>> wb.compare_groups("otrygg_kvall", {"area": "Lextorp"}, {"area": "Sylte"})
>>> wb.compare_years("otrygg_kvall", where={"area": "Kronogården"})  # last year → this
>>> wb.trend("problemindex").chart()
>>> wb.table("otrygg_kvall", by=["sex", "area"]).to_excel("kon_omrade.xlsx")

What every answer guarantees:

* **Weights and intervals as published.** The year's primary design
  (:func:`trygghet.survey.primary_design`: raked to the population for a random
  sample) and the project's confidence level and interval method; a group is a
  domain of the whole sample, never a subset of the data. An opt-in year gives
  shares *of the respondents* and says so, with no interval and no claim of
  significance.
* **Disclosure control by default** (:mod:`trygghet.adhoc`): the same rules as
  the published tables, secondary suppression included, audited together with
  the year's published figures so that nothing is revealed by subtraction.
  ``protect=False`` switches it off for internal work only: a Swedish warning
  is printed and logged (logger ``trygghet.workbench``), and the table is
  marked *INTERNT – får inte publiceras* on screen and in Excel.
* **A difference of two groups of one year** uses the linearised covariance of
  the two domains (:mod:`trygghet.contrast`, equal to R's ``svycontrast``); of
  two years, independent samples, ``SE = √(SE₁² + SE₂²)``
  (:func:`trygghet.survey.changes`), with series breaks. The sentence says
  whether the difference is statistically certain ("Skillnaden är statistiskt
  säkerställd") or not, and never for an opt-in year.
* **Only aggregates.** No method returns or shows respondent rows or free text.

The coupling to the project's layout and questionnaire is in three small
functions (:func:`find_project`, :func:`indicator_catalogue`,
:func:`question_texts`), so that a workspace with its own questionnaire only
changes them.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import adhoc, comparability, fmt, survey, tables
from .config import Project, load_settings
from .contrast import group_difference
from .errors import TrygghetError
from .vocabulary import Translator, translator

log = logging.getLogger("trygghet.workbench")
# The warning is printed by the workbench itself; without a handler of the application's,
# logging's last resort would print it a second time.
log.addHandler(logging.NullHandler())
Where = Mapping[str, "str | Sequence[str]"]


# --- The coupling to the project and its questionnaire ---------------------------------------

def find_project(root: str | Path | None = None) -> Project:
    """The project (workspace) at ``root``, or the one containing the working folder."""
    return Project(Path(root).resolve()) if root is not None else Project.find()


def _questionnaire(project: Project | None):
    """The workspace's questionnaire: ``project``'s, else the one of the workspace
    containing the working folder, else (outside any workspace) the default."""
    from .questionnaire import default_questionnaire

    if project is None:
        try:
            project = find_project()
        except TrygghetError:
            return default_questionnaire()
    return project.questionnaire


def indicator_catalogue(project: Project | None = None) -> dict[str, Any]:
    """The indicators of the workspace's questionnaire: ``{name: Indicator}``."""
    return _questionnaire(project).indicators


def question_texts(indicator: str, project: Project | None = None) -> list[str]:
    """The questions an indicator is computed from, as the questionnaire asks them."""
    q = _questionnaire(project)
    return [q.questions[name].text for name in q.indicators[indicator].questions
            if name in q.questions]


# --- Words ----------------------------------------------------------------------------------

def _grouping_label(name: str, t: Translator) -> str:
    # A background variable's name, else the question's own text (the questionnaire's words).
    key = f"group_var.{name}"
    from .vocabulary import active

    return t(key) if key in active() else t.label("question", name)


def _level_label(name: str, level: str, t: Translator) -> str:
    """A group inside a sentence: "kvinnor", "16–24 år", "Centrum", "bor i området"."""
    if name == "age_group":
        return t("chart.age", group=level)
    if name == "sex":
        return fmt.lower_first(t.label("group", level))
    if name == "relation":
        return t("analys.relation", relation=t.label("group", level))
    if name == "area":
        return level
    return f"{fmt.lower_first(_grouping_label(name, t))}: {fmt.lower_first(level)}"


def describe(where: Where | None, t: Translator) -> str:
    """The group a filter picks, in words: ``{"sex": "Kvinna", "age_group": "16–24"}`` →
    "kvinnor, 16–24 år"."""
    parts = []
    for name, levels in (where or {}).items():
        wanted = [levels] if isinstance(levels, str) else list(levels)
        parts.append(fmt.join([_level_label(name, lev, t) for lev in wanted],
                              language=t.language) if name != "area" or len(wanted) == 1
                     else fmt.join(wanted, language=t.language))
    return ", ".join(parts) if parts else t("analys.everyone")


def _level_text(name: str, level: str, t: Translator) -> str:
    """A group as a table shows it: "Kvinnor", "16–24 år", "Centrum"."""
    return t("chart.age", group=level) if name == "age_group" else t.label("group", level)


def _level(row, i: int) -> str | None:
    """A row's level of the table's ``i``-th grouping; None for a margin or the total."""
    value = row.get(f"level_{i}")
    return None if value is None or pd.isna(value) else str(value)


def _value(row, language: str) -> str:
    return fmt.estimate(row["estimate"], row["kind"], symbol=row["symbol"], language=language)


# --- Results ----------------------------------------------------------------------------------

@dataclass
class Table:
    """A protected (or explicitly internal) table: ``rows`` in the estimates contract.

    Display it in a notebook (accessible HTML with caption and notes), draw it
    (:meth:`chart`) or write it to Excel with the appendix's formats
    (:meth:`to_excel`). ``rows`` holds aggregates only.
    """

    rows: pd.DataFrame
    indicators: list[str]
    by: list[str]
    year: int | None
    where: dict[str, Any]
    caption: str
    notes: list[str]
    probability: bool
    level: float
    internal: bool
    language: str
    workbench: Workbench = field(repr=False)
    kind: str = "table"        # or "trend"

    @property
    def t(self) -> Translator:
        return translator(self.language)

    def frames(self) -> list[tuple[str, pd.DataFrame]]:
        """The table as display frames: (caption, frame) per indicator."""
        out = []
        for name in self.indicators:
            rows = self.rows[self.rows["indicator"] == name]
            head = self.t.label("indicator", name)
            if self.kind == "trend":
                out.append((head, self._trend_frame(rows)))
            elif len(self.by) == 2:
                out.append((head, self._cross_frame(rows)))
            else:
                out.append((head, self._list_frame(rows)))
        return out

    def _label(self, row) -> str:
        t = self.t
        if row["part"] == "total":
            return (fmt.upper_first(describe(self.where, t)) if self.where
                    else t("group.Totalt"))
        name = self.by[0] if _level(row, 1) is not None else self.by[-1]
        level = _level(row, 1) if name == self.by[0] else _level(row, 2)
        return _level_text(name, str(level), t)

    def _headings(self) -> dict[str, str]:
        t = self.t
        level = fmt.level(self.level, language=self.language)
        return {"group": t("column.group"), "estimate": t("column.estimate"),
                "ci": t("column.ci", level=level), "n": t("column.n"),
                "year": t("column.year"), "note": t("analys.note")}

    def _list_frame(self, rows: pd.DataFrame) -> pd.DataFrame:
        col = self._headings()
        shown = tables.display_table(rows, language=self.language)
        section = [("" if part == "total" else _grouping_label(self.by[0], self.t))
                   for part in rows["part"]]
        frame = pd.DataFrame({
            col["group"]: [self._label(r) for _, r in rows.iterrows()],
            col["estimate"]: shown["estimate"].to_numpy(),
            col["ci"]: tables.ci_texts(rows, self.probability, self.language),
            col["n"]: shown["n"].to_numpy(),
            "_section": section})
        frame.attrs["numeric"] = [col["estimate"], col["ci"], col["n"]]
        return frame

    def _cross_frame(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Rows: the second grouping's levels and the total; columns: the first's and the
        total. A cell: the estimate, and its interval in a random-sample year."""
        t, lang = self.t, self.language
        a, b = self.by

        def text(r) -> str:
            value = _value(r, lang)
            if self.probability and not r["symbol"] and pd.notna(r["ci_low"]):
                ci = fmt.interval(r["ci_low"], r["ci_high"], kind=r["kind"], language=lang)
                value += f" ({ci})"
            return value

        cells = {}
        for _, r in rows.iterrows():
            cells[(_level(r, 1), _level(r, 2))] = text(r)
        levels_a = [lev for lev in dict.fromkeys(rows["level_1"].dropna())]
        levels_b = [lev for lev in dict.fromkeys(rows["level_2"].dropna())]
        total = t("group.Totalt")
        out = {_grouping_label(b, t): [_level_text(b, lb, t) for lb in levels_b] + [total]}
        for la in levels_a:
            out[_level_text(a, la, t)] = ([cells.get((la, lb), fmt.MISSING) for lb in levels_b]
                               + [cells.get((la, None), fmt.MISSING)])
        out[total] = ([cells.get((None, lb), fmt.MISSING) for lb in levels_b]
                      + [cells.get((None, None), fmt.MISSING)])
        frame = pd.DataFrame(out)
        frame.attrs["numeric"] = list(frame.columns[1:])
        return frame

    def _trend_frame(self, rows: pd.DataFrame) -> pd.DataFrame:
        col = self._headings()
        shown = tables.display_table(rows, language=self.language)
        probability = rows["generalisable"].astype(bool).to_numpy()
        ci = [tables.ci_texts(rows.iloc[[i]], bool(p), self.language)[0]
              for i, p in enumerate(probability)]
        frame = pd.DataFrame({
            col["year"]: [fmt.year(y) for y in rows["year"]],
            col["estimate"]: shown["estimate"].to_numpy(), col["ci"]: ci,
            col["n"]: shown["n"].to_numpy(),
            col["note"]: rows["trend_note"].to_numpy()})
        frame.attrs["numeric"] = [col["estimate"], col["ci"], col["n"]]
        return frame

    def html(self) -> str:
        """The table (one per indicator) as accessible HTML, with its notes."""
        parts = []
        if self.internal:
            parts.append(f'<p class="internal"><strong>{self.t("analys.internal")}</strong></p>')
        frames = self.frames()
        for i, (head, frame) in enumerate(frames):
            caption = f"{head} – {self.caption}" if len(frames) > 1 or self.kind == "trend" \
                else f"{head}, {self.caption}"
            notes = self.notes if i == len(frames) - 1 else ()
            parts.append(tables.table_html(frame, caption, language=self.language,
                                           notes=notes))
        return "".join(parts)

    def _repr_html_(self) -> str:
        return self.html()

    def __repr__(self) -> str:
        lines = [self.t("analys.internal")] if self.internal else []
        for head, frame in self.frames():
            lines += [f"{head}, {self.caption}",
                      frame.drop(columns=["_section"], errors="ignore").to_string(index=False)]
        return "\n".join(lines + self.notes)

    def chart(self, *, show: bool = True):
        """Draw the table (``charts/`` conventions: alt text, symbols, intervals).

        A trend is a line over the years (series breaks marked); one grouping is
        bars by group (by area: highest first, the total as a line); two crossed
        groupings are bars of every cell, grouped by the first. Only the first
        indicator is drawn. Displayed with :func:`trygghet.charts.show`; with
        ``show=False`` the Axes is returned instead.
        """
        from . import charts
        from .charts.draw import hidden_clause, set_alt_text, subject_of, value_phrase

        t, name = self.t, self.indicators[0]
        rows = self.rows[self.rows["indicator"] == name].copy()
        rows["ci_level"] = self.level
        subject = describe(self.where, t)
        title = t.label("indicator", name) + (f" – {subject}" if self.where else "")
        if self.kind == "trend":
            rows["group_var"], rows["group"] = "filter", fmt.upper_first(subject) \
                if self.where else t("group.Totalt")
            ax = charts.trend(rows, name, group_var="filter", title=title,
                              breaks=self.workbench.series_breaks(rows["year"], name),
                              language=self.language)
        else:
            rows.loc[rows["part"] == "total", "group_var"] = "total"
            year = int(self.year or rows["year"].iloc[0])
            title += f", {fmt.year(year)}"
            if len(self.by) < 2 and self.by == ["area"]:
                rows.loc[rows["part"] != "total", "group_var"] = "area"
                ax = charts.by_area(rows, name, year, title=title, language=self.language)
            elif len(self.by) < 2:
                gv = self.by[0] if self.by else "total"
                rows.loc[rows["part"] != "total", "group_var"] = gv
                ax = charts.by_group(rows, name, year, group_vars=("total", gv), title=title,
                                     language=self.language)
            else:
                a, b = self.by
                cells = rows[rows["part"] == "cell"].copy()
                cells["group_var"] = cells["level_1"].astype(str)
                cells["group"] = [f"{_level_text(a, x, t)} – {_level_text(b, y, t)}"
                                  for x, y in zip(cells["level_1"], cells["level_2"],
                                                  strict=True)]
                sections = list(dict.fromkeys(cells["group_var"]))
                frame = pd.concat([rows[rows["part"] == "total"], cells])
                ax = charts.by_group(frame, name, year, group_vars=("total", *sections),
                                     title=title, language=self.language)
                bars = [charts.common.bar_from_row(r, r["group"], "") for _, r in
                        cells.iterrows()]
                shown = [bar for bar in bars if not np.isnan(bar.value)]
                kind = rows["kind"].iloc[0]
                subj = subject_of(name, year, self.language)
                if shown:
                    hi, lo = max(shown, key=lambda x: x.value), min(shown, key=lambda x: x.value)
                    text = t("alt.extremes", subject=subj, plural=t("analys.groups"),
                             count=len(shown), high=value_phrase(hi, kind, self.language),
                             low=value_phrase(lo, kind, self.language))
                else:
                    text = t("alt.none_shown", subject=subj, plural=t("analys.groups"))
                set_alt_text(ax, text + hidden_clause(bars, self.language) + ".")
        if not show:
            return ax
        charts.show(ax)
        return None

    def excel_path(self, path: str | Path) -> Path:
        """Where :meth:`to_excel` writes ``path``: a relative one in ``reports/<year>/analys/``."""
        path = Path(path)
        if path.is_absolute():
            return path
        year = self.year or int(self.rows["year"].max())
        return self.workbench.project.reports(year) / "analys" / path

    def to_excel(self, path: str | Path) -> None:
        """Write the table to Excel with the appendix's formats (:mod:`trygghet.appendix`).

        A relative ``path`` is put in ``reports/<year>/analys/`` of the project.
        Shares in per cent with one decimal, indices with two, suppressed cells
        as ``..`` and the symbols' key; the notes (design, filter, protection —
        or *INTERNT*) on the first sheet; the file written is printed
        (:meth:`excel_path`).
        """
        from .appendix import write_appendix

        path = self.excel_path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        t = self.t
        out = self.rows.copy()
        if self.kind == "trend":
            out["group_var"] = t("column.year")
            out["group"] = [fmt.year(y) for y in out["year"]]
        else:
            by_label = " × ".join(_grouping_label(b, t) for b in self.by)
            out["group"] = [self._label(r) if r["part"] != "cell" or len(self.by) < 2 else
                            f"{_level_text(self.by[0], r['level_1'], t)} × "
                            f"{_level_text(self.by[1], r['level_2'], t)}"
                            for _, r in out.iterrows()]
            out["group_var"] = [("total" if r["part"] == "total" and not self.where
                                 else by_label if r["part"] == "cell"
                                 else _grouping_label(self.by[0] if _level(r, 1) is not None
                                                      else self.by[-1], t)
                                 if r["part"] == "margin"
                                 else fmt.upper_first(describe(self.where, t)))
                                for _, r in out.iterrows()]
        out["band"] = ""
        title = f"{self.workbench.settings['municipality']}: {self.caption}"
        if self.internal:
            title = f"{t('analys.internal')}: {title}"
        notes = ([t("analys.internal")] if self.internal else []) + self.notes
        write_appendix(out, path, title=title, notes=notes, level=self.level)
        root = self.workbench.project.root
        shown = path.relative_to(root) if path.is_relative_to(root) else path
        print(t("analys.written", path=str(shown)))


@dataclass
class Comparison:
    """A difference between two groups or two years, with its interval and a sentence."""

    row: dict[str, Any]
    sentence: str
    caption: str
    notes: list[str]
    language: str
    sides: pd.DataFrame = field(repr=False)

    def frame(self) -> pd.DataFrame:
        """The two sides and the difference as a display table."""
        t, lang, r = translator(self.language), self.language, self.row
        shown = tables.display_table(self.sides, language=lang)
        ci = tables.ci_texts(self.sides, bool(r["probability"]), lang)
        col = {"group": t("column.group"), "estimate": t("column.estimate"),
               "ci": t("column.ci", level=fmt.level(r["level"], language=lang)),
               "n": t("column.n")}
        frame = pd.DataFrame({col["group"]: list(self.sides["label"]),
                              col["estimate"]: shown["estimate"].to_numpy(), col["ci"]: ci,
                              col["n"]: shown["n"].to_numpy()})
        diff = {col["group"]: t("analys.difference"), col["estimate"]: r["diff_text"],
                col["ci"]: r["ci_text"], col["n"]: ""}
        frame = pd.concat([frame, pd.DataFrame([diff])], ignore_index=True)
        frame.attrs["numeric"] = [col["estimate"], col["ci"], col["n"]]
        return frame

    def html(self) -> str:
        return (tables.table_html(self.frame(), self.caption, language=self.language,
                                  notes=self.notes)
                + f'<p class="conclusion"><strong>{self.sentence}</strong></p>')

    def _repr_html_(self) -> str:
        return self.html()

    def __repr__(self) -> str:
        return "\n".join([self.caption, self.frame().to_string(index=False), self.sentence,
                          *self.notes])


# --- The workbench -------------------------------------------------------------------------

class Workbench:
    """Ad-hoc tables, differences and trends of a project's survey years, protected.

    Parameters
    ----------
    project
        A :class:`~trygghet.config.Project`, a folder, or None for the project
        containing the working folder (``notebooks/`` included).
    year
        The year questions are about unless they name one; default the latest
        survey year.
    language
        ``"sv"`` (default) or ``"en"``.
    """

    def __init__(self, project: Project | str | Path | None = None, *, year: int | None = None,
                 language: str = "sv"):
        self.project = project if isinstance(project, Project) else find_project(project)
        self.settings = load_settings(self.project)
        self.language = language
        # The workspace questionnaire's words, without installing them for everyone.
        self.t = translator(language, self.project.questionnaire.vocabulary)
        self.years = self.project.survey_years()
        if not self.years:
            raise TrygghetError("projektet har inga enkätår", file=self.project.config,
                                hint="lägg en mappning i config/surveys/<år>.yml")
        self.year = int(year) if year is not None else self.years[-1]
        if self.year not in self.years:
            raise TrygghetError(f"det finns ingen enkät för {self.year}",
                                hint="enkätåren är " + ", ".join(map(str, self.years)))
        self._years: dict[int, adhoc.SurveyYear] = {}

    def __repr__(self) -> str:
        return self.t("analys.summary", municipality=self.settings["municipality"],
                      year=self.year, years=", ".join(map(str, self.years)))

    # --- Data of a year --------------------------------------------------------------------

    def survey_year(self, year: int | None = None) -> adhoc.SurveyYear:
        """The year's respondents, design and published figures (cleaned first if needed)."""
        from . import manifest, pipeline
        from .mapping import used_mapping
        from .population import read_population

        year = self.year if year is None else int(year)
        if year not in self.years:
            raise TrygghetError(f"det finns ingen enkät för {year}",
                                hint="enkätåren är " + ", ".join(map(str, self.years)))
        if year not in self._years:
            root, folder = self.project.root, self.project.processed(year)
            mapping_path, input_path = used_mapping(self.project, year)  # clean --mapping's
            if manifest.stale(root, folder, "clean", [mapping_path]):
                pipeline.clean_year(self.project, year, input_path=input_path,
                                    mapping_path=mapping_path, echo=lambda _: None)
            responses = pipeline.load_responses(self.project, year)
            self._years[year] = adhoc.SurveyYear.of(responses,
                                                    read_population(self.project, year),
                                                    self.settings, self.project.questionnaire)
        return self._years[year]

    def series_breaks(self, years: Sequence[int], indicator: str) -> list[int]:
        """Years that start a new series for ``indicator``: the design or the questions
        behind it changed from the survey year before."""
        years = sorted({int(y) for y in years})
        out = []
        for a, b in zip(years, years[1:], strict=False):
            ya, yb = self.survey_year(a), self.survey_year(b)
            qa = ya.context([indicator])["questions"].iloc[0]
            qb = yb.context([indicator])["questions"].iloc[0]
            if ya.sampling != yb.sampling or (qa and qb and qa != qb):
                out.append(b)
        return out

    # --- What there is ----------------------------------------------------------------------

    def indicators(self) -> pd.DataFrame:
        """The indicators: name (to use in calls), label, share or index, theme, question."""
        t = self.t
        rows = []
        for name, ind in indicator_catalogue(self.project).items():
            questions = question_texts(name, self.project)
            text = questions[0] if questions else ""
            if len(questions) > 1:
                text += " " + t("analys.more_questions", n=len(questions) - 1)
            rows.append({t("analys.name"): name, t("column.indicator"): t.label("indicator",
                                                                               name),
                         t("analys.kind"): t(f"analys.kind_{ind.kind}"),
                         t("analys.theme"): ind.theme, t("analys.question"): text})
        return pd.DataFrame(rows)

    def groupings(self, year: int | None = None) -> pd.DataFrame:
        """What tables can be broken down or filtered by, with the year's groups."""
        t = self.t
        sy = self.survey_year(year)
        rows = []
        for name in adhoc.grouping_names(sy.responses, sy.survey.questions):
            levels = list(adhoc.grouping_masks(sy.responses, name, sy.survey.questions))
            rows.append({t("analys.name"): name, t("analys.grouping"): _grouping_label(name, t),
                         t("analys.levels"): ", ".join(levels),
                         t("analys.published"): t("column.yes") if name in
                         sy.published_groupings else t("column.no")})
        return pd.DataFrame(rows)

    # --- Tables ----------------------------------------------------------------------------------

    def table(self, indicators: str | Sequence[str], by: str | Sequence[str] | None = None,
              year: int | None = None, where: Where | None = None, *,
              protect: bool = True) -> Table:
        """Indicators by up to two groupings, for one year, optionally within a group.

        Parameters
        ----------
        indicators
            One indicator or several (:meth:`indicators` lists them).
        by
            A grouping (``"area"``), two crossed (``["sex", "area"]``: every cell
            with the row and column margins), or None for the total only.
        year
            The survey year (default the workbench's).
        where
            Only respondents in a group: ``{"sex": "Kvinna", "age_group": "16–24"}``;
            a list of levels takes any of them (``{"age_group": ["16–24", "25–44"]}``).
        protect
            Disclosure control (default). ``False`` is for internal work only: it
            prints and logs a warning and marks the table *INTERNT – får inte
            publiceras*.

        Examples
        --------
        >>> wb.table("otrygg_kvall", by=["sex", "area"])
        """
        names = [indicators] if isinstance(indicators, str) else list(indicators)
        self._check_indicators(names)
        by = [] if by is None else [by] if isinstance(by, str) else list(by)
        sy = self.survey_year(year)
        where = dict(where or {})
        if not protect:
            self._warn_internal()
        rows = adhoc.table(sy, names, by, where, protected=protect)
        return Table(rows=rows, indicators=names, by=by, year=sy.year, where=where,
                     caption=self._caption(by, sy.year, where), notes=self._notes(sy, where,
                                                                                 protect),
                     probability=sy.sampling == "probability",
                     level=float(self.settings["estimation"]["level"]), internal=not protect,
                     language=self.language, workbench=self)

    def chart(self, indicators: str | Sequence[str], by: str | Sequence[str] | None = None,
              year: int | None = None, where: Where | None = None):
        """The chart of :meth:`table` with the same arguments (protected)."""
        return self.table(indicators, by, year, where).chart()

    def trend(self, indicator: str, where: Where | None = None, *,
              protect: bool = True) -> Table:
        """An indicator in every survey year, within ``where``; series breaks marked.

        Each year's figure is protected like a table of that year. Years of a
        different design (opt-in web survey against a random sample) or with
        other questions behind the indicator start a new series: the table says
        so and the chart draws no line across the break.
        """
        self._check_indicators([indicator])
        where = dict(where or {})
        if not protect:
            self._warn_internal()
        for year in self.years:  # cleaned first: a year's municipality is recorded then
            self.survey_year(year)
        left_out = self._not_comparable(self.year, self.years, by_area="area" in where)
        parts = []
        for year in self.years:
            if year in left_out:
                continue
            sy = self.survey_year(year)
            rows = adhoc.table(sy, [indicator], [], where, protected=protect)
            parts.append(rows[rows["part"] == "total"])
        rows = pd.concat(parts, ignore_index=True)
        breaks = self.series_breaks(rows["year"], indicator)
        notes = []
        for y, reason, sampling in zip(rows["year"], rows["suppression_reason"],
                                       rows["sampling"], strict=True):
            text = []
            if int(y) in breaks:
                text.append(self.t("chart.series_break"))
            if reason == "not_asked":
                text.append(self.t("analys.not_asked"))
            if sampling != "probability":
                text.append(self.t("analys.respondents_only"))
            notes.append("; ".join(text))
        rows["trend_note"] = notes
        t = self.t
        caption = t("analys.trend_caption", first=self.years[0], last=self.years[-1])
        if where:
            caption += ", " + describe(where, t)
        table_notes = []
        if where:
            table_notes.append(t("analys.filter_note", filter=describe(where, t)))
        for b in breaks:
            earlier = max(y for y in self.years if y < b)
            table_notes.append(t("chart.series_break_note", series_break=t("chart.series_break"),
                                 a=earlier, b=b))
        table_notes += [v.note(self.language) for v in left_out.values()]
        table_notes += self._common_notes(protect)
        return Table(rows=rows, indicators=[indicator], by=[], year=None, where=where,
                     caption=caption, notes=table_notes, probability=True,
                     level=float(self.settings["estimation"]["level"]), internal=not protect,
                     language=self.language, workbench=self, kind="trend")

    # --- Differences -------------------------------------------------------------------------

    def compare_groups(self, indicator: str, a: Where, b: Where, year: int | None = None,
                       where: Where | None = None) -> Comparison:
        """The difference of ``indicator`` between two groups of one year, and whether it is
        statistically certain.

        ``a`` and ``b`` name the groups (``{"area": "Lextorp"}``, ``{"area": "Sylte"}``);
        ``where`` narrows both (``{"sex": "Kvinna"}``). They are domains of one
        sample: the standard error uses their linearised covariance
        (:func:`trygghet.contrast.group_difference`). An opt-in year gives the
        difference of the shares of the respondents, without an interval or a
        claim of significance. Each group is protected as a table of its own
        beside the published figures; if either cannot be shown, neither can the
        difference.

        Examples
        --------
        >>> wb.compare_groups("otrygg_kvall", {"area": "Lextorp"}, {"area": "Sylte"})
        """
        self._check_indicators([indicator])
        sy = self.survey_year(year)
        t, lang = self.t, self.language
        base = dict(where or {})
        groups = [{**base, **dict(a)}, {**base, **dict(b)}]
        sides = []
        for group in groups:
            rows = adhoc.table(sy, [indicator], [], group)
            side = rows[rows["part"] == "total"].iloc[[0]].copy()
            side["label"] = fmt.upper_first(describe(group, t))
            sides.append(side)
        sides_frame = pd.concat(sides, ignore_index=True)
        probability = sy.sampling == "probability"
        level = float(self.settings["estimation"]["level"])
        hidden = bool(sides_frame["suppressed"].any())
        row = {"indicator": indicator, "year": sy.year, "probability": probability,
               "level": level, "diff": np.nan, "se": np.nan, "ci_low": np.nan,
               "ci_high": np.nan, "significant": None}
        kind = indicator_catalogue(self.project)[indicator].kind
        if not hidden:
            masks = [adhoc.condition_mask(sy.responses, g, sy.survey.questions) for g in groups]
            d = group_difference(sy.values[indicator], sy.design, *masks, kind=kind,
                                 level=level)
            row["diff"] = d.diff
            if probability:
                row.update(se=d.se, ci_low=d.ci_low, ci_high=d.ci_high,
                           significant=d.significant)
        names = [describe(g, t) for g in groups]
        subject = t.label("indicator", indicator)
        caption = t("analys.compare_caption", indicator=subject, a=names[0], b=names[1],
                    year=sy.year)
        sentence = self._sentence(row, sides_frame, kind, opt_in_year=sy.year)
        return self._comparison(row, sides_frame, kind, sentence, caption,
                                self._notes(sy, base, True), lang)

    def compare_years(self, indicator: str, years: Sequence[int] | None = None,
                      where: Where | None = None) -> Comparison:
        """The change of ``indicator`` within ``where`` from one survey year to another.

        ``years`` defaults to the survey year before the workbench's year and
        that year. The years are independent samples: ``SE = √(SE₁² + SE₂²)``
        and the change is certain when its interval excludes 0
        (:func:`trygghet.survey.changes`). Across a series break (another
        design or other questions) and between opt-in years nothing is claimed.

        Examples
        --------
        >>> wb.compare_years("otrygg_kvall", where={"sex": "Kvinna", "age_group": "16–24",
        ...                                         "area": "Kronogården"})
        """
        self._check_indicators([indicator])
        t, lang = self.t, self.language
        where = dict(where or {})
        if years is None:
            earlier = [y for y in self.years if y < self.year]
            if not earlier:
                return self._no_earlier(indicator, where)
            years = (earlier[-1], self.year)
        y0, y1 = (int(y) for y in years)
        self.survey_year(y0), self.survey_year(y1)  # cleaned, so their municipality is known
        apart = self._not_comparable(y1, [y0], by_area="area" in where)
        if apart:
            raise TrygghetError(apart[y0].note(lang),
                                hint="jämför bara år som gäller samma kommun och områden")
        tables_ = []
        for year in (y0, y1):
            sy = self.survey_year(year)
            rows = adhoc.table(sy, [indicator], [], where)
            side = rows[rows["part"] == "total"].iloc[[0]].copy()
            side["group_var"], side["group"] = "filter", "filter"
            side["label"] = fmt.year(year)
            tables_.append(side)
        level = float(self.settings["estimation"]["level"])
        change = survey.changes(tables_[0], tables_[1], level).iloc[0]
        sides = pd.concat(tables_, ignore_index=True)
        probability = bool(sides["generalisable"].astype(bool).all())
        inference = pd.notna(change["se"])
        row = {"indicator": indicator, "year": y1, "probability": probability, "level": level,
               "diff": change["diff"], "se": change["se"] if inference else np.nan,
               "ci_low": change["ci_low"] if inference else np.nan,
               "ci_high": change["ci_high"] if inference else np.nan,
               "significant": bool(change["significant"]) if inference else None,
               "note": change["note"]}
        kind = indicator_catalogue(self.project)[indicator].kind
        who = describe(where, t)
        caption = t("analys.years_caption", indicator=t.label("indicator", indicator),
                    who=who, a=y0, b=y1)
        sentence = self._sentence(row, sides, kind, opt_in_year=None)
        notes = ([t("analys.filter_note", filter=who)] if where else []) \
            + self._common_notes(True)
        return self._comparison(row, sides, kind, sentence, caption, notes, lang)

    # --- Helpers ----------------------------------------------------------------------------------

    def _not_comparable(self, year: int, years: Sequence[int], *,
                        by_area: bool) -> dict[int, comparability.Verdict]:
        """The years of ``years`` that cannot be put beside ``year`` (wholly, or by area
        when the question is about an area), by the one rule of :mod:`comparability`."""
        verdicts = comparability.verdicts(self.project, year, years,
                                          self.settings["municipality"], self.language)
        return {y: v for y, v in verdicts.items()
                if not v.comparable or (by_area and not v.areas_comparable)}

    def _check_indicators(self, names: Sequence[str]) -> None:
        unknown = [n for n in names if n not in indicator_catalogue(self.project)]
        if unknown or not names:
            raise TrygghetError(f"okänd indikator '{unknown[0] if unknown else ''}'",
                                hint="wb.indicators() listar indikatorerna, t.ex. otrygg_kvall")

    def _warn_internal(self) -> None:
        text = self.t("analys.internal_warning", min_cell=self.settings["disclosure"]["min_cell"])
        log.warning(text)
        print(text, file=sys.stderr)

    def _caption(self, by: Sequence[str], year: int, where: Where) -> str:
        t = self.t
        text = t("analys.by", by=" × ".join(fmt.lower_first(_grouping_label(b, t)) for b in by)) \
            if by else ""
        who = f", {describe(where, t)}" if where else ""
        return f"{fmt.year(year)}{who}{text}"

    def _common_notes(self, protect: bool) -> list[str]:
        t = self.t
        rules = self.settings["disclosure"]
        notes = [t("analys.protected", min_cell=rules["min_cell"], min_n=rules["min_n"])
                 if protect else t("analys.internal")]
        if self.settings.get("synthetic_data"):
            notes.append(t("page.synthetic") + ".")
        return notes

    def _notes(self, sy: adhoc.SurveyYear, where: Where, protect: bool) -> list[str]:
        t = self.t
        notes = [t("analys.filter_note", filter=describe(where, t))] if where else []
        if sy.sampling == "probability":
            notes.append(t("analys.weighted", level=fmt.level(
                self.settings["estimation"]["level"], language=self.language)))
        else:
            notes.append(t("analys.opt_in", year=sy.year))
        return notes + self._common_notes(protect)

    def _sentence(self, row: dict, sides: pd.DataFrame, kind: str,
                  opt_in_year: int | None) -> str:
        t, lang = self.t, self.language
        if sides["suppressed"].any():
            return t("analys.hidden")
        values = [f"{label} {_value(r, lang)}" for label, (_, r) in
                  zip(sides["label"], sides.iterrows(), strict=True)]
        diff = (fmt.points(row["diff"], language=lang) if kind == "share"
                else fmt.change(row["diff"], 2, language=lang))
        text = t("analys.difference_sentence", values=fmt.join(values, language=lang),
                 diff=diff)
        if row.get("note"):
            return f"{text} {row['note']}"
        if not row["probability"]:
            return f"{text} {t('analys.no_test', year=opt_in_year)}"
        if row["significant"] is None:
            return f"{text} {t('analys.not_certain')}"
        return f"{text} {t('msg.significant' if row['significant'] else 'analys.not_certain')}"

    def _comparison(self, row, sides, kind, sentence, caption, notes, lang) -> Comparison:
        row = dict(row)
        row["diff_text"] = (fmt.MISSING if pd.isna(row["diff"]) else
                            fmt.points(row["diff"], short=True, language=lang) if kind == "share"
                            else fmt.change(row["diff"], 2, language=lang))
        if sides["suppressed"].any():
            row["diff_text"] = fmt.SUPPRESSED
        if pd.notna(row["se"]):
            ends = [fmt.points(row[c], short=True, language=lang) if kind == "share"
                    else fmt.change(row[c], 2, language=lang) for c in ("ci_low", "ci_high")]
            row["ci_text"] = f" {self.t('analys.to')} ".join(ends)
        else:
            row["ci_text"] = "–"
        return Comparison(row=row, sentence=sentence, caption=caption, notes=notes,
                          language=lang, sides=sides)

    def _no_earlier(self, indicator: str, where: Where) -> Comparison:
        t = self.t
        sy = self.survey_year()
        rows = adhoc.table(sy, [indicator], [], where)
        side = rows[rows["part"] == "total"].iloc[[0]].copy()
        side["label"] = fmt.year(sy.year)
        row = {"indicator": indicator, "year": sy.year, "probability": sy.sampling ==
               "probability", "level": float(self.settings["estimation"]["level"]),
               "diff": np.nan, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan,
               "significant": None}
        caption = f"{t.label('indicator', indicator)}, {describe(where, t)}, {sy.year}"
        return self._comparison(row, side, indicator_catalogue(self.project)[indicator].kind,
                                t("analys.no_earlier", year=sy.year), caption,
                                self._notes(sy, where, True), self.language)
