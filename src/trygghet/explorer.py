"""The explorer: the workbench's tables and charts in JupyterLab, without writing code.

>>> from trygghet.explorer import explore
>>> explore()                                   # doctest: +SKIP

Pick an indicator, up to two groupings, a year (or every year, as a trend) and,
if you like, a group (sex, age group, area); the table and the chart update.
Everything shown comes from :class:`~trygghet.workbench.Workbench` — protected
by the same disclosure rules as the published tables, never respondent rows or
free text. Words are Swedish (``language="en"`` for English).
"""

from __future__ import annotations

import html
from typing import Any

from .errors import TrygghetError
from .workbench import Workbench, indicator_catalogue

#: The groupings offered (the report's own); others are one call away in code.
GROUPINGS = ("sex", "age_group", "area", "relation")
FILTERS = ("sex", "age_group", "area")


class Explorer:
    """Widgets for one :class:`Workbench`: choices above, table and chart below.

    ``widget`` is the box to display; :meth:`update` redraws (it runs on every
    change of a choice). ``table_html`` and ``chart_html`` hold what is shown.
    """

    def __init__(self, workbench: Workbench | None = None, *, language: str = "sv"):
        import ipywidgets as w

        from .adhoc import grouping_masks

        self.wb = workbench or Workbench(language=language)
        t = self.wb.t
        self._levels = grouping_masks
        none, everyone = (t("analys.explorer_none"), None), (t("analys.explorer_all"), "")
        self.indicator = w.Dropdown(description=t("column.indicator"), options=[
            (t.label("indicator", name), name) for name in indicator_catalogue(self.wb.project)])
        groupings = [none, *((t.label("group_var", g), g) for g in GROUPINGS)]
        self.by = w.Dropdown(description=t("analys.explorer_by"), options=groupings)
        self.by2 = w.Dropdown(description=t("analys.explorer_by2"), options=groupings)
        self.view = w.ToggleButtons(options=[(t("analys.explorer_one_year"), "year"),
                                             (t("analys.explorer_trend"), "trend")])
        self.year = w.Dropdown(description=t("column.year"), value=self.wb.year,
                               options=[(str(y), y) for y in self.wb.years])
        self.filters = {name: w.Dropdown(description=t.label("group_var", name),
                                         options=[everyone]) for name in FILTERS}
        self.status = w.HTML()
        self.table_view = w.HTML()
        self.chart_view = w.HTML()
        self._fill_filters()
        for control in (self.indicator, self.by, self.by2, self.view, self.year,
                        *self.filters.values()):
            control.observe(self._changed, names="value")
        title = w.HTML(f"<h3>{html.escape(t('analys.explorer_title'))}</h3>"
                       f"<p>{html.escape(t('analys.explorer_help'))}</p>")
        self.widget = w.VBox([
            title, w.HBox([self.indicator, self.view]),
            w.HBox([self.by, self.by2, self.year]),
            w.HBox(list(self.filters.values())), self.status, self.table_view,
            self.chart_view])
        self.update()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def _fill_filters(self) -> None:
        """The groups of the chosen year (areas change between years)."""
        t = self.wb.t
        responses = self.wb.survey_year(self.year.value).responses
        for name, control in self.filters.items():
            chosen = control.value
            options = [(t("analys.explorer_all"), "")]
            questions = self.wb.project.questionnaire.questions
            options += [(t("chart.age", group=lev) if name == "age_group"
                         else t.label("group", lev), lev)
                        for lev in self._levels(responses, name, questions)]
            control.options = options
            control.value = chosen if chosen in dict((v, k) for k, v in options) else ""

    def _changed(self, change: dict[str, Any]) -> None:
        if change.get("owner") is self.year:
            self._fill_filters()
        self.update()

    def choices(self) -> dict[str, Any]:
        """The current choices as the workbench's arguments."""
        by = [b for b in (self.by.value, self.by2.value) if b]
        by = list(dict.fromkeys(by))
        where = {name: c.value for name, c in self.filters.items() if c.value}
        return {"indicator": self.indicator.value, "by": by, "year": self.year.value,
                "where": where, "trend": self.view.value == "trend"}

    def update(self) -> None:
        """Recompute the table and the chart for the current choices."""
        from .charts import alt_text, svg_data_uri

        c = self.choices()
        self.year.disabled = self.by.disabled = self.by2.disabled = c["trend"]
        try:
            if c["trend"]:
                result = self.wb.trend(c["indicator"], where=c["where"])
            else:
                result = self.wb.table(c["indicator"], by=c["by"], year=c["year"],
                                       where=c["where"])
            self.table_html = result.html()
            ax = result.chart(show=False)
            self.chart_html = (f'<img src="{svg_data_uri(ax.figure)}" '
                               f'alt="{html.escape(alt_text(ax), quote=True)}" '
                               'style="max-width:100%">')
            self.status.value = ""
        except TrygghetError as err:
            self.table_html, self.chart_html = "", ""
            self.status.value = f'<p role="alert">{html.escape(str(err))}</p>'
        self.table_view.value = self.table_html
        self.chart_view.value = self.chart_html


def explore(workbench: Workbench | None = None, *, language: str = "sv") -> Explorer:
    """The explorer for ``workbench`` (default: the project of the working folder)."""
    return Explorer(workbench, language=language)
