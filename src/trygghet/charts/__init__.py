"""The report's charts: one function per chart type.

Every function takes data that has already passed the disclosure gate and an
optional ``ax``, draws on it (or on a new figure the width of the PDF's text
column) and returns the Axes. The conventions, so that readers can trust what
they see:

* Swedish labels and numbers (``12 %``, ``1,78``) via :mod:`trygghet.fmt`;
  ``language="en"`` gives English. Every word is in :mod:`trygghet.vocabulary`.
* Confidence intervals are drawn as error bars wherever the estimates table
  has them for a probability sample, and the note states their level (the
  table's ``ci_level`` column, else 95 %); model-based adjustments are called
  *indikativa intervall*; an opt-in year gets no interval and the note that
  its shares are *andel av de svarande* and cannot be generalised.
* A suppressed group keeps its place in the chart with the table symbol and
  words (``.. redovisas inte``) and a footnote; it is never drawn as zero nor
  silently left out.
* Bands and statuses carry a text label as well as a colour
  (:mod:`trygghet.theme` has the colours).
* Each chart records a one-sentence alt text computed from the data; read it
  with :func:`alt_text`. :func:`show` displays a chart in a notebook as SVG with
  that alt text in the output's metadata, which the report template puts in
  the ``<img alt="…">`` of the HTML (see :mod:`trygghet.render`).

The package has a module per family of charts (:mod:`.bars`, :mod:`.trend`,
:mod:`.scatter`, :mod:`.status`), what they share (:mod:`.common`: data and
words; :mod:`.draw`: bars, notes, alt text) and :mod:`.output` (SVG, ``show``);
everything a notebook needs is importable from ``trygghet.charts``.

The estimates table has one row per year × indicator × group, with the
columns ``year, indicator, kind, group_var, group, n, estimate, se, ci_low,
ci_high, ci_method, estimate_type, generalisable, suppressed,
suppression_reason, symbol`` (and, from :mod:`trygghet.report_survey`, ``ci_level``).
"""

from .bars import by_area, by_group, by_time_of_day, index_by_area, priorities
from .draw import alt_text, set_alt_text
from .output import show, svg_data_uri, to_svg
from .plain import plain_by_area
from .scatter import crime_vs_unsafe
from .status import promise_status
from .trend import trend

__all__ = [
    "by_group", "by_area", "by_time_of_day", "index_by_area", "priorities", "trend",
    "crime_vs_unsafe", "promise_status", "plain_by_area", "alt_text", "set_alt_text", "show",
    "to_svg", "svg_data_uri",
]
