"""Printing the report page to a tagged A4 PDF (PDF/UA-1) with WeasyPrint.

The template's print CSS gives the cover, the table of contents with page
numbers, the running header and "Sida N av M" in the footer. Fonts come from
matplotlib's own copy of DejaVu Sans, so every machine embeds the same font;
WeasyPrint may read nothing but embedded data and those fonts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.util
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path

from ..errors import TrygghetError
from .document import source_date


def _matplotlib_data() -> Path:
    """matplotlib's ``mpl-data`` folder (``matplotlib.get_data_path()``), found without
    importing matplotlib: the process that prints the PDF has no other use for it, and
    the import costs a tenth of a second."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or spec.origin is None:  # pragma: no cover - matplotlib is a dependency
        raise TrygghetError("matplotlib saknas", hint="installera miljön igen (make venv)")
    return Path(spec.origin).parent / "mpl-data"


def _font_css() -> str:
    """@font-face rules for DejaVu Sans from matplotlib's own copy.

    matplotlib ships the fonts, so the PDF looks the same (and embeds the same
    font) on every machine, whatever the system has installed.
    """
    ttf = _matplotlib_data() / "fonts" / "ttf"
    faces = [("DejaVuSans.ttf", 400, "normal"), ("DejaVuSans-Bold.ttf", 700, "normal"),
             ("DejaVuSans-Oblique.ttf", 400, "italic"),
             ("DejaVuSans-BoldOblique.ttf", 700, "italic")]
    # Also under its own name, for the text in the charts' SVG.
    rules = [f"@font-face {{ font-family: '{family}'; src: url('{(ttf / f).as_uri()}'); "
             f"font-weight: {w}; font-style: {s}; }}"
             for family in ("Trygghet Sans", "DejaVu Sans")
             for f, w, s in faces if (ttf / f).exists()]
    rules.append("html, body, table, input, code, pre { font-family: 'Trygghet Sans' !important; }")
    rules.append("@page { font-family: 'Trygghet Sans'; }")
    return "\n".join(rules)


def _url_fetcher():
    """WeasyPrint may read embedded data and matplotlib's fonts; nothing else."""
    from weasyprint.urls import URLFetcher

    allowed = _matplotlib_data().resolve().as_uri()

    class LocalOnly(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:") or url.startswith(allowed):
                return super().fetch(url, headers)
            raise ValueError(f"blocked: {url[:80]}")

    return LocalOnly(fail_on_errors=True)


def _creation_time() -> str:
    moment = source_date() or dt.datetime.now(dt.UTC).replace(microsecond=0)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class _DropFontNotice(logging.Filter):
    """WeasyPrint logs, on every PDF, that it subsets fonts with fontTools because
    the system lacks libharfbuzz-subset. True, harmless and not the user's business."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "HarfBuzz-Subset" not in record.getMessage()


@contextlib.contextmanager
def _quiet_font_notice() -> Iterator[None]:
    logger = logging.getLogger("weasyprint")
    notice = _DropFontNotice()
    logger.addFilter(notice)
    try:
        yield
    finally:
        logger.removeFilter(notice)


def _import_weasyprint() -> None:
    """Import WeasyPrint without its notice that it subsets fonts with fontTools.

    The same notice as :class:`_DropFontNotice`, as a DeprecationWarning on
    first import. The filter is installed for good rather than with
    ``warnings.catch_warnings``: :func:`warm_up` imports WeasyPrint in a
    background thread, and ``catch_warnings`` swaps the process's filters
    under every other thread.
    """
    warnings.filterwarnings("ignore", message=".*HarfBuzz-Subset", category=DeprecationWarning)
    import weasyprint  # noqa: F401


def warm_up() -> None:
    """Do once what the first :func:`to_pdf` of a process pays before its own page.

    Imports WeasyPrint (Pango, HarfBuzz and fontconfig through cffi) and lays
    out a one-line page with the report's fonts, which loads fontconfig and
    Pango's font map: together about half a second the first time, nothing
    afterwards. :func:`~trygghet.render.render_notebook` calls it in a
    background thread while the kernel runs the notebook, when this process
    is otherwise waiting; the PDF is not made any differently.
    """
    _import_weasyprint()
    from weasyprint import CSS, HTML

    fetcher = _url_fetcher()
    with _quiet_font_notice():
        HTML(string="<p lang='sv'>Å</p>", url_fetcher=fetcher).render(
            stylesheets=[CSS(string=_font_css(), url_fetcher=fetcher)])


def to_pdf(html: str, path: str | Path | None = None) -> bytes:
    """Print the report HTML to a tagged A4 PDF (PDF/UA-1) with WeasyPrint.

    The print CSS of the template gives the cover, the table of contents with
    page numbers, the running header and "Sida N av M". Fonts are embedded
    (DejaVu Sans, from matplotlib). With ``SOURCE_DATE_EPOCH`` set, the PDF's
    dates come from it and two renders are byte-identical.

    Parameters
    ----------
    html
        A page from :func:`to_html`.
    path
        If given, the PDF is also written there atomically.

    Returns
    -------
    The PDF's bytes.
    """
    _import_weasyprint()
    from weasyprint import CSS, HTML
    from weasyprint.urls import FatalURLFetchingError

    fetcher = _url_fetcher()
    with _quiet_font_notice():
        try:
            document = HTML(string=html, url_fetcher=fetcher).render(
                stylesheets=[CSS(string=_font_css(), url_fetcher=fetcher)])
        except FatalURLFetchingError as err:
            raise TrygghetError(f"PDF:en skulle hämta en extern resurs ({err})") from err
        stamp = _creation_time()
        document.metadata.created = stamp
        document.metadata.modified = stamp
        pdf = document.write_pdf(pdf_variant="pdf/ua-1")
    if path is not None:
        from ..writers import atomic_path

        with atomic_path(path) as tmp:
            tmp.write_bytes(pdf)
    return pdf
