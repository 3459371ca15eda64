"""An executed notebook as one self-contained, accessible HTML page (nbconvert).

trygghet's own template (``templates/trygghet``) gives a cover with the single
``<h1>``, a table of contents of the ``<h2>`` sections and all CSS inline.

Publishing rules enforced by :func:`to_html` (an error, not a warning): every
image has alt text; no ``<script>``, no external stylesheet, no image or font
that is not embedded. Text reaches the report only through markdown cells and
rich outputs (markdown, HTML, SVG); ``print`` output, warnings and bare
``text/plain`` results (``<Axes: …>``) are left out, as are cells tagged
``remove-cell`` and the outputs of cells tagged ``remove-output``.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

from .. import fmt
from ..errors import TrygghetError
from ..vocabulary import check_language
from .document import DOCUMENT_MIME, TEXT

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
TEMPLATE_NAME = "trygghet"


def _exporter():
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    config = Config()
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = {"remove-cell", "remove_cell"}
    config.TagRemovePreprocessor.remove_all_outputs_tags = {"remove-output", "remove_output"}
    config.TagRemovePreprocessor.remove_input_tags = {"remove-input", "remove_input"}
    return HTMLExporter(
        config=config,
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_anchor_links=True,
        # Only raw cells explicitly marked as HTML reach the page.
        raw_mimetypes=["text/html"],
    )


def _read_notebook(ipynb):
    import nbformat

    if isinstance(ipynb, (str, Path)):
        path = Path(ipynb)
        if not path.is_file():
            raise TrygghetError("notebooken finns inte", file=path)
        return nbformat.read(path, as_version=4), path
    return nbformat.from_dict(ipynb.copy() if hasattr(ipynb, "copy") else ipynb), None


def _take_document_info(nb) -> dict[str, Any]:
    """Remove the :func:`document_info` outputs from ``nb`` and return the last one."""
    info: dict[str, Any] = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if DOCUMENT_MIME in data:
                info = dict(data[DOCUMENT_MIME])
            else:
                kept.append(output)
        cell.outputs = kept
    return info


_IMAGE_MIMES = ("image/svg+xml", "image/png", "image/jpeg")


def _check_alt(nb, name: str) -> None:
    """Every image output must carry alt text (``metadata[mime]["alt"]``)."""
    for number, cell in enumerate(nb.cells, start=1):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if any(m in data for m in ("text/html", "text/markdown")):
                continue  # the image mime is not the one shown
            for mime in _IMAGE_MIMES:
                if mime in data:
                    alt = output.get("metadata", {}).get(mime, {}).get("alt", "")
                    if not str(alt).strip():
                        raise TrygghetError(
                            f"cell {number}: en bild saknar alternativtext", file=name,
                            hint="visa diagram med trygghet.charts.show(ax), som ger alt-text")
                    break


def _slug(text: str, taken: set[str]) -> str:
    base = unicodedata.normalize("NFKD", text.casefold())
    base = "".join(c for c in base if not unicodedata.combining(c))
    base = re.sub(r"[^a-z0-9]+", "-", base).strip("-") or "avsnitt"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def _finish(html: str, words: dict[str, str], name: str) -> str:
    """Headings, table of contents and the no-remote-resources check, on the page."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    main = soup.find("main")
    assert main is not None, "templates/trygghet/index.html.j2 writes a <main>"
    # One <h1>: the cover's. Headings written as "#" in the notebook move down a
    # level (and the rest with them) so that the outline stays ordered.
    headings = main.find_all(re.compile(r"^h[1-6]$"))
    if any(h.name == "h1" for h in headings):
        for h in headings:
            h.name = f"h{min(int(h.name[1]) + 1, 6)}"
    # str(): bs4 types an attribute as str or a list (class); an id is always one str.
    taken = {str(tag["id"]) for tag in soup.find_all(id=True)}
    entries = []
    for h in main.find_all(re.compile(r"^h[2-3]$")):
        if not h.get("id"):
            h["id"] = _slug(h.get_text(" ", strip=True), taken)
        if h.name == "h2":
            entries.append((h["id"], h.get_text(" ", strip=True)))
    toc = soup.find("nav", id="toc")
    if toc is not None:
        if entries:
            heading = soup.new_tag("h2", id="innehall")
            heading.string = words["contents"]
            toc.append(heading)
            ol = soup.new_tag("ol")
            for target, text in entries:
                li = soup.new_tag("li")
                a = soup.new_tag("a", href=f"#{target}")
                a.string = text
                li.append(a)
                ol.append(li)
            toc.append(ol)
        else:
            toc.decompose()
    _check_published(soup, name)
    return "<!DOCTYPE html>\n" + str(soup).removeprefix("<!DOCTYPE html>").lstrip("\n")


_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)|@import\s+['"]([^'"]+)""", re.I)


def _check_published(soup, name: str) -> None:
    """Refuse a page that would fetch anything or show an image without alt text.

    Hyperlinks (``<a href>``) are fine: following one is the reader's choice.
    """
    if soup.find("script"):
        raise TrygghetError("rapporten innehåller ett skript", file=name,
                            hint="rapporten får inte köra eller hämta något")
    if soup.find("link"):
        raise TrygghetError("rapporten länkar in en extern fil (<link>)", file=name)
    for tag in soup.find_all(["img", "iframe", "video", "audio", "source", "track", "embed",
                              "object", "input", "image", "use"]):
        for attr in ("src", "href", "xlink:href", "data", "srcset", "poster"):
            value = tag.get(attr)
            if value and not str(value).startswith(("data:", "#")):
                raise TrygghetError(f"rapporten hämtar en extern resurs: {value[:80]}",
                                    file=name, hint="bädda in bilder som data i notebooken")
        if tag.name == "img" and not str(tag.get("alt", "")).strip():
            raise TrygghetError("en bild i rapporten saknar alternativtext", file=name,
                                hint="visa diagram med trygghet.charts.show(ax)")
    css = [style.get_text() for style in soup.find_all("style")]
    css += [tag["style"] for tag in soup.find_all(style=True)]
    for text in css:
        for match in _CSS_URL.finditer(text):
            url = match.group(1) or match.group(2)
            if not url.startswith(("data:", "#")):
                raise TrygghetError(f"rapportens CSS hämtar en extern resurs: {url[:80]}",
                                    file=name)


def to_html(ipynb, *, language: str | None = None) -> str:
    """An executed notebook as one self-contained, accessible HTML page.

    Parameters
    ----------
    ipynb
        Path of an executed notebook, or a notebook node.
    language
        Overrides the language of :func:`document_info` (and of a ``language``
        papermill parameter); default ``"sv"``.

    Returns
    -------
    The page: ``<html lang>``, a cover with the single ``<h1>``, a table of
    contents of the ``<h2>`` sections, the notebook's markdown and rich outputs
    without code, charts as ``<img src="data:image/svg+xml;base64,…" alt="…">``,
    and all CSS inline.

    Raises
    ------
    TrygghetError
        An image without alt text, or anything that would load a remote resource.
    """
    nb, path = _read_notebook(ipynb)
    name = str(path) if path else "notebook"
    info = _take_document_info(nb)
    params = nb.metadata.get("papermill", {}).get("parameters", {}) or {}
    language = language or info.get("language") or params.get("language") or "sv"
    check_language(language, file=name)
    if not info.get("title"):
        info["title"] = _title_from_markdown(nb) or (path.stem if path else "Rapport")
        _drop_title_heading(nb, info["title"])
    info.setdefault("running_title", info["title"])
    info.setdefault("organisation", [])
    info.setdefault("cover", True)
    info.setdefault("contents", True)
    info["date_long"] = fmt.date(info["date"], "long", language=language) \
        if info.get("date") else None
    _check_alt(nb, name)
    words = TEXT[language]
    resources = {"trygghet": {"info": info, "lang": language, "text": words}}
    body, _ = _exporter().from_notebook_node(nb, resources=resources)
    return _finish(body, words, name)


def warm_up() -> None:
    """Do once what the first :func:`to_html` of a process pays before its own page.

    Converts a two-cell notebook (a heading, a paragraph, a table and an SVG
    output): nbconvert, its markdown renderer, Jinja's template loading and
    BeautifulSoup are imported and set up, a quarter of a second the first
    time. :func:`~trygghet.render.render_notebook` calls it in a background
    thread while the kernel runs the notebook.
    """
    import nbformat

    v4 = nbformat.v4
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"></svg>'
    outputs = [v4.new_output("display_data", {"text/markdown": "Text *med* betoning."}),
               v4.new_output("display_data", {"text/html": "<table><tr><td>1</td></tr></table>"}),
               v4.new_output("display_data", {"image/svg+xml": svg, "text/plain": "Bild"},
                             metadata={"image/svg+xml": {"alt": "Bild"}})]
    to_html(v4.new_notebook(cells=[v4.new_markdown_cell("# Rubrik\n\n## Avsnitt"),
                                   v4.new_code_cell("", outputs=outputs)]))


_H1 = re.compile(r"^\s*#\s+(.+?)\s*#*\s*$", re.M)


def _title_from_markdown(nb) -> str | None:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = _H1.search(cell.source)
            if m:
                return m.group(1)
    return None


def _drop_title_heading(nb, title: str) -> None:
    """Remove the markdown ``# title`` that became the cover's heading."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = _H1.search(cell.source)
            if m and m.group(1) == title:
                cell.source = (cell.source[:m.start()] + cell.source[m.end():]).strip()
                return
