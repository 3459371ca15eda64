"""What a report notebook declares about itself, from inside the kernel.

:func:`document_info` displays an invisible output of type
:data:`DOCUMENT_MIME` that :func:`trygghet.render.to_html` reads to build the
cover, the ``lang`` attribute and the "Syntetiska exempeldata" notice. This
module is imported by every report notebook, so it imports nothing heavy.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from typing import Any

from .. import fmt, provenance, vocabulary
from ..vocabulary import LANGUAGES, check_language

DOCUMENT_MIME = "application/vnd.trygghet.document+json"

# Words of the page furniture, by report language (vocabulary.yml: page.*).
TEXT = {language: vocabulary.words("page", language) for language in LANGUAGES}


def document_info(title: str, *, subtitle: str | None = None,
                  organisation: str | Iterable[str] | None = None,
                  date: str | dt.date | None = None, synthetic: bool = False,
                  language: str = "sv", running_title: str | None = None,
                  description: str | None = None, cover: bool = True,
                  contents: bool = True) -> dict[str, Any]:
    """Declare the report's title page and properties; call once, early in the notebook.

    Displays an output that the HTML template reads (and that renders as
    nothing). Nothing about it is interpolated into markdown: the notebook
    computes the values, e.g. ``synthetic=settings["synthetic_data"]``.

    Parameters
    ----------
    title
        The report's one ``<h1>`` (on the cover) and the PDF's title.
    subtitle
        A line under the title, e.g. "Resultat från trygghetsmätningen 2020".
    organisation
        Publisher line(s) on the cover, e.g. ``["Trollhättans stad",
        "Lokalpolisområde Östra Fyrbodal"]``.
    date
        Publication date (ISO string or date); default today, or the date of
        ``SOURCE_DATE_EPOCH`` when that is set (reproducible builds).
    synthetic
        The data are synthetic: the cover and every page footer say
        "Syntetiska exempeldata".
    language
        ``"sv"`` or ``"en"``: ``<html lang>``, page furniture and dates.
    running_title
        Short title for the page header of the PDF (default ``title``).
    description
        A sentence or two on the cover under the subtitle.
    cover
        Give the title its own page (the cover). ``False`` puts the same
        title block at the top of the first page instead: a leaflet of a
        page or two, such as the residents' page.
    contents
        A table of contents of the ``<h2>`` sections (with page numbers in
        the PDF) after the title. ``False``: none.

    Returns
    -------
    The information as a dict (also what the output holds).
    """
    check_language(language)
    if date is None:
        date = _today()
    if isinstance(organisation, str):
        organisation = [organisation]
    info = {
        "title": str(title),
        "subtitle": subtitle,
        "organisation": list(organisation or []),
        "date": fmt.date(date, "iso"),
        "synthetic": bool(synthetic),
        "language": language,
        "running_title": running_title or str(title),
        "description": description,
        "cover": bool(cover),
        "contents": bool(contents),
        "generator": provenance.summary(),  # <meta name="generator">, the PDF's Creator
    }
    try:
        from IPython.display import display
    except ImportError:  # pragma: no cover - outside Jupyter there is nothing to display
        return info
    summary = f"Rapport: {info['title']} ({info['date']}, {language})"
    if synthetic:
        summary += " – " + TEXT[language]["synthetic"]
    display({DOCUMENT_MIME: info, "text/plain": summary}, raw=True)
    return info


def _today() -> dt.date:
    moment = source_date()
    return moment.date() if moment else dt.date.today()


def source_date() -> dt.datetime | None:
    """The moment ``SOURCE_DATE_EPOCH`` names (UTC), or None when it is not set.

    Reproducible builds set it so that dates written into a report (cover,
    PDF metadata) do not depend on when the report was made.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC) if epoch else None
