"""Accessibility (WCAG 2.1 AA, EN 301 549) of the real rendered sample reports.

Reads the 2020 survey report, the promise follow-up and the area report that
``sample_run`` (conftest) rendered from the bundled sample, and checks what the
DOS-lagen requires of a public-sector web document: language, one ``h1`` and
no skipped heading level, alt text on every chart, tables with captions and
header cells with scope, data colours in the charts with at least 3:1 contrast
against their background (every fill and stroke in the charts' SVG), and every
piece of text — in the charts and on the page, computed from the page's own CSS
for screen and for print — with at least 4.5:1.
"""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import tinycss2
from bs4 import BeautifulSoup, NavigableString
from bs4.element import Comment
from helpers import SAMPLE_AREAS, SAMPLE_REPORT_YEAR, pdf_structure
from matplotlib.colors import to_hex, to_rgba
from pypdf import PdfReader

from trygghet import theme
from trygghet.schema import slug

TEXT_MIN = 4.5      # WCAG 1.4.3
GRAPHICS_MIN = 3.0  # WCAG 1.4.11
WHITE = "#ffffff"

STEMS = (f"trygghetsrapport_{SAMPLE_REPORT_YEAR}", f"loftesuppfoljning_{SAMPLE_REPORT_YEAR}",
         *(f"trygghetsrapport_{SAMPLE_REPORT_YEAR}_{slug(a)}" for a in SAMPLE_AREAS))


@pytest.fixture(scope="module")
def pages(sample_run) -> dict[str, BeautifulSoup]:
    folder = sample_run / "reports" / str(SAMPLE_REPORT_YEAR)
    return {stem: BeautifulSoup((folder / f"{stem}.html").read_text(encoding="utf-8"),
                                "html.parser") for stem in STEMS}


@pytest.fixture(params=STEMS)
def page(request, pages) -> BeautifulSoup:
    return pages[request.param]


# --- Structure --------------------------------------------------------------------------------

def test_language_and_title(page):
    assert page.html["lang"] == "sv"
    assert page.title.get_text(strip=True)


def test_one_h1_and_no_skipped_heading_level(page):
    headings = page.find_all(re.compile(r"^h[1-6]$"))
    assert len([h for h in headings if h.name == "h1"]) == 1
    levels = [int(h.name[1]) for h in headings]
    assert levels[0] == 1
    for heading, before, level in zip(headings[1:], levels, levels[1:], strict=False):
        assert level <= before + 1, f"h{before} → {heading.name}: {heading.get_text()!r}"
    assert all(h.get_text(strip=True) for h in headings)


def test_every_chart_has_alt_text(page):
    images = page.find_all("img")
    assert images
    for img in images:
        alt = img.get("alt", "").strip()
        assert len(alt) >= 20, alt                      # a description, not a label
        assert not re.search(r"\.(svg|png|jpe?g)$|^(diagram|chart|bild)$", alt, re.I), alt
        assert img.find_parent("figure") is not None


def test_every_table_has_caption_and_header_cells(page):
    tables = page.find_all("table")
    assert tables
    for table in tables:
        caption = table.find("caption")
        assert caption is not None and caption.get_text(strip=True), str(table)[:200]
        head = table.find("thead")
        assert head is not None and head.find_all("th"), caption.get_text()
        assert not head.find("td"), caption.get_text()
        for th in table.find_all("th"):
            assert th.get("scope") in ("col", "row", "rowgroup", "colgroup"), str(th)[:120]
            assert th.get_text(strip=True) or th.get("scope") == "row", str(th)[:120]
        assert all(th["scope"] == "col" for th in head.find_all("th"))
        for tr in table.find("tbody").find_all("tr"):
            first = tr.find(["th", "td"])
            assert first.name == "th" and first["scope"] in ("row", "rowgroup"), str(tr)[:200]


def test_ids_are_unique_and_references_resolve(page):
    ids = [tag["id"] for tag in page.find_all(id=True)]
    assert len(ids) == len(set(ids))
    for a in page.find_all("a", href=re.compile("^#")):
        assert a["href"][1:] in ids, a["href"]
    for tag in page.find_all(attrs={"aria-labelledby": True}):
        assert tag["aria-labelledby"] in ids


def test_status_is_never_colour_alone(pages):
    badges = pages[STEMS[1]].find_all("span", class_="status")
    assert badges
    for badge in badges:
        assert re.search(r"\w{3,}", badge.get_text()), badge   # a word, not only a colour


def test_pdf_is_tagged_in_swedish_with_alt_text_on_every_figure(sample_run):
    for stem in STEMS:
        pdf = PdfReader(sample_run / "reports" / str(SAMPLE_REPORT_YEAR) / f"{stem}.pdf")
        root = pdf.trailer["/Root"]
        assert root["/Lang"] == "sv" and root["/MarkInfo"]["/Marked"]
        assert pdf.metadata.title
        figures = list(pdf_structure(root["/StructTreeRoot"], "/Figure"))
        assert figures, stem
        assert all(str(f.get("/Alt", "")).strip() for f in figures), stem


# --- Colours: the constants -----------------------------------------------------------------

@pytest.mark.parametrize("name, color, minimum", [
    *[(f"PALETTE[{k}]", v, TEXT_MIN) for k, v in theme.PALETTE.items()],
    *[(f"GROUP_COLORS[{k}]", v, TEXT_MIN) for k, v in theme.GROUP_COLORS.items()],
    ("SERIES_COLOR", theme.SERIES_COLOR, TEXT_MIN), ("AGE_COLOR", theme.AGE_COLOR, TEXT_MIN),
    *[(f"BAND_RAMP[{i}]", v, GRAPHICS_MIN) for i, v in enumerate(theme.BAND_RAMP)],
    *[(f"STATUSES[{k}]", v["color"], TEXT_MIN) for k, v in theme.STATUSES.items()],
    ("TEXT", theme.TEXT, TEXT_MIN), ("MUTED", theme.MUTED, TEXT_MIN),
])
def test_theme_colour_contrast_on_white(name, color, minimum):
    assert theme.contrast_ratio(color, theme.BACKGROUND) >= minimum, name
    if name.startswith("STATUSES"):  # white bold text on the status colour
        assert theme.contrast_ratio(WHITE, color) >= TEXT_MIN, name


# --- Colours: what the charts actually draw -----------------------------------------------------

SVG = "{http://www.w3.org/2000/svg}"


def _svg_style(element) -> dict[str, str]:
    props = {k: element.get(k) for k in ("fill", "stroke", "opacity", "fill-opacity",
                                         "stroke-opacity") if element.get(k)}
    for part in (element.get("style") or "").split(";"):
        key, _, value = part.partition(":")
        if value.strip():
            props[key.strip()] = value.strip()
    return props


def _blend(color: str, alpha: float, background: str = WHITE) -> str:
    """The colour a reader sees: ``color`` at ``alpha`` over ``background``."""
    r, g, b, a = to_rgba(color)
    a *= alpha
    br, bg, bb, _ = to_rgba(background)
    return to_hex((r * a + br * (1 - a), g * a + bg * (1 - a), b * a + bb * (1 - a)))


def chart_colours(svg_text: str):
    """``(kind, colour, background, where)`` for every painted element of a chart.

    kind is ``"text"`` for text (its background is the fill of the box drawn
    behind it, if any, else white), ``"grid"`` for lines in the theme's grid
    colour (decoration: gridlines and row separators, no data), else ``"mark"``.
    """
    root = ET.fromstring(svg_text)
    parents = {child: parent for parent in root.iter() for child in parent}

    def box_behind(text):
        group = parents.get(text)
        for sibling in list(group) if group is not None else []:
            if sibling.tag == f"{SVG}g" and (sibling.get("id") or "").startswith("patch"):
                for path in sibling.iter(f"{SVG}path"):
                    fill = _svg_style(path).get("fill")
                    if fill and fill != "none":
                        return fill
        return WHITE

    for element in root.iter():
        if element.tag in (f"{SVG}defs", f"{SVG}clipPath", f"{SVG}style") or \
                any(p.tag == f"{SVG}clipPath" for p in _ancestors(element, parents)):
            continue
        style = _svg_style(element)
        opacity = float(style.get("opacity", 1))
        where = element.get("id") or (parents.get(element).get("id") if element in parents
                                       else "") or element.tag
        for prop in ("fill", "stroke"):
            color = style.get(prop)
            if not color or color == "none" or color.startswith("url("):
                continue
            color = _blend(color, opacity * float(style.get(f"{prop}-opacity", 1)))
            if element.tag == f"{SVG}text":
                if prop == "fill":
                    yield "text", color, box_behind(element), where
            elif prop == "stroke" and color.lower() == theme.GRID.lower() \
                    and style.get("fill", "none") == "none":
                yield "grid", color, WHITE, where
            else:
                yield "mark", color, WHITE, where


def _ancestors(element, parents):
    while element in parents:
        element = parents[element]
        yield element


def _charts(page):
    for img in page.find_all("img"):
        meta, _, data = img["src"].partition(",")
        assert meta == "data:image/svg+xml;base64", meta
        yield img["alt"][:60], base64.b64decode(data).decode("utf-8")


def test_chart_colours_have_enough_contrast(page):
    marks = set()
    for alt, svg in _charts(page):
        for kind, color, background, where in chart_colours(svg):
            if kind == "text":
                assert theme.contrast_ratio(color, background) >= TEXT_MIN, \
                    (alt, where, color, background)
            elif kind == "mark" and color.lower() != background.lower():
                marks.add(color.lower())
                assert theme.contrast_ratio(color, background) >= GRAPHICS_MIN, \
                    (alt, where, color)
    # The charts draw data in colour at all (the check is not vacuous).
    assert marks - {theme.TEXT.lower(), theme.MUTED.lower()}


def test_grid_colour_is_only_decoration(pages):
    """The light grey (1.4:1) is allowed for gridlines and separators only: never as the
    fill of a bar, a marker or a legend key."""
    for page in pages.values():
        for alt, svg in _charts(page):
            for kind, color, _, where in chart_colours(svg):
                if color.lower() == theme.GRID.lower():
                    assert kind == "grid", (alt, where)


def test_chart_colour_check_catches_a_light_colour():
    light = ('<svg xmlns="http://www.w3.org/2000/svg"><g id="patch_1"><path d="M0 0" '
             'style="fill: #ffcc00; stroke: none"/></g><g id="text_1"><text '
             'style="fill: #999999">x</text></g></svg>')
    found = {(k, c) for k, c, _, _ in chart_colours(light)}
    assert found == {("mark", "#ffcc00"), ("text", "#999999")}
    assert theme.contrast_ratio("#ffcc00") < GRAPHICS_MIN
    assert _blend("#0072B2", 0.3) != "#0072b2"


# --- Colours: the page's CSS ------------------------------------------------------------------

def _declarations(content) -> dict[str, str]:
    out = {}
    for decl in tinycss2.parse_declaration_list(content, skip_comments=True,
                                                skip_whitespace=True):
        if decl.type == "declaration":
            out[decl.lower_name] = tinycss2.serialize(decl.value).strip()
    return out


def _specificity(selector: str) -> tuple[int, int, int]:
    s = re.sub(r"\([^)]*\)", "", selector)
    ids = s.count("#")
    classes = len(re.findall(r"\.[\w-]+|\[[^\]]*\]|(?<!:):[\w-]+", s))
    types = len(re.findall(r"(?:^|[\s>+~])([a-zA-Z][\w-]*)", s))
    return ids, classes, types


def css_rules(page) -> dict[str, list]:
    """``{"screen": [...], "print": [...], "page": [...]}`` rules of the page's CSS.

    Each rule is ``(selector, specificity, order, declarations)``; ``page`` holds the
    declarations of ``@page`` and its margin boxes.
    """
    rules = {"screen": [], "print": [], "page": []}
    order = 0

    def take(nodes, media):
        nonlocal order
        for node in nodes:
            if node.type == "qualified-rule":
                decls = _declarations(node.content)
                for selector in tinycss2.serialize(node.prelude).split(","):
                    order += 1
                    rules[media].append((selector.strip(), _specificity(selector), order,
                                         decls))
            elif node.type == "at-rule" and node.lower_at_keyword == "media":
                media_query = tinycss2.serialize(node.prelude).strip()
                if "print" in media_query:
                    take(tinycss2.parse_rule_list(node.content, skip_comments=True,
                                                  skip_whitespace=True), "print")
            elif node.type == "at-rule" and node.lower_at_keyword == "page":
                _page_boxes(node.content, rules["page"])

    for style in page.find_all("style"):
        take(tinycss2.parse_stylesheet(style.get_text(), skip_comments=True,
                                       skip_whitespace=True), "screen")
    return rules


def _page_boxes(content, out):
    decls = []
    for node in tinycss2.parse_blocks_contents(content, skip_comments=True,
                                               skip_whitespace=True):
        if node.type == "at-rule" and node.content is not None:   # @top-left { … }
            out.append((node.lower_at_keyword, _declarations(node.content)))
        elif node.type == "declaration":
            decls.append(node)
    if decls:
        out.append(("page", {d.lower_name: tinycss2.serialize(d.value).strip() for d in decls}))


def _variables(rules) -> dict[str, str]:
    out = {}
    for selector, _, _, decls in rules["screen"]:
        if selector == ":root":
            out |= {k: v for k, v in decls.items() if k.startswith("--")}
    return out


_COLOR = re.compile(r"#[0-9a-fA-F]{3,8}\b|\b(?:white|black|transparent)\b")


def _color(value: str | None, variables: dict[str, str]) -> str | None:
    if not value:
        return None
    value = re.sub(r"var\(\s*(--[\w-]+)\s*\)", lambda m: variables.get(m.group(1), ""), value)
    if value.strip() == "inherit":
        return "inherit"
    match = _COLOR.search(value)
    return match.group(0) if match else None


def _applies(rule_selector: str) -> bool:
    # Interaction states (:focus, :hover) and generated content are checked elsewhere or
    # have no text of their own.
    return not re.search(r"::|:(focus|hover|active|visited|focus-visible)\b", rule_selector)


def _matching(page, rules):
    """Per element: the declarations that apply, lowest priority first."""
    matched: dict[int, list] = {}
    for selector, specificity, order, decls in rules:
        if not _applies(selector):
            continue
        for tag in page.select(selector):
            matched.setdefault(id(tag), []).append((specificity, order, decls))
    return {k: [d for _, _, d in sorted(v, key=lambda x: (x[0], x[1]))]
            for k, v in matched.items()}


def _own(tag, prop, matched, variables):
    """The value of ``prop`` the cascade gives ``tag`` itself (inline style last)."""
    value = None
    for decls in matched.get(id(tag), []):
        names = (prop, "background") if prop == "background-color" else (prop,)
        for name in names:
            if name in decls and _color(decls[name], variables):
                value = _color(decls[name], variables)
    if tag.get("style"):
        inline = _declarations(tag["style"])
        for name in ((prop, "background") if prop == "background-color" else (prop,)):
            if name in inline and _color(inline[name], variables):
                value = _color(inline[name], variables)
    return value


def _nearest(chain, prop: str, unset: tuple[str, ...], matched, variables) -> str | None:
    """``prop`` of the nearest element in ``chain`` (the tag, then its parents) that sets it."""
    for t in chain:
        if t.name in (None, "[document]"):
            return None
        value = _own(t, prop, matched, variables)
        if value and value not in unset:
            return value
    return None


def text_colours(page, mode: str):
    """``(text, colour, background)`` for every element with text of its own."""
    rules = css_rules(page)
    variables = _variables(rules)
    active = rules["screen"] + (rules["print"] if mode == "print" else [])
    matched = _matching(page, active)
    hidden = {"running-title", "skip-link"}
    for tag in page.body.find_all(True):
        own_text = "".join(s for s in tag.children
                           if isinstance(s, NavigableString) and not isinstance(s, Comment))
        if not own_text.strip():
            continue
        chain = [tag, *tag.parents]
        if any(hidden & set(t.get("class") or []) for t in chain if t.name):
            continue
        color = _nearest(chain, "color", ("inherit",), matched, variables)
        background = _nearest(chain, "background-color", ("inherit", "transparent"), matched,
                              variables)
        yield own_text.strip()[:40], color or "#000000", background or WHITE


@pytest.mark.parametrize("mode", ["screen", "print"])
def test_text_contrast_from_the_pages_css(page, mode):
    seen = set()
    for text, color, background in text_colours(page, mode):
        seen.add((color.lower(), background.lower()))
        assert theme.contrast_ratio(color, background) >= TEXT_MIN, (text, color, background)
    # Body text, muted text and links at least were found and checked.
    colors = {c for c, _ in seen}
    assert {theme.TEXT.lower(), theme.MUTED.lower()} <= colors


def test_text_contrast_covers_badges_notice_and_table_heads(pages):
    pairs = {(c.lower(), b.lower()) for page in pages.values()
             for _, c, b in text_colours(page, "screen")}
    status = {(WHITE if c in ("#fff", WHITE) else c, b) for c, b in pairs
              if b in {s["color"].lower() for s in theme.STATUSES.values()}}
    assert status, "white text on the status colours was checked"
    backgrounds = {b for _, b in pairs}
    assert len(backgrounds) >= 3   # white, the notice's tint, the table heads', the badges'


def test_page_margin_text_contrast(page):
    rules = css_rules(page)
    variables = _variables(rules)
    boxes = [(name, _color(decls.get("color"), variables)) for name, decls in rules["page"]]
    colored = [(name, c) for name, c in boxes if c]
    assert colored   # running header, page numbers, the synthetic-data notice
    for name, color in colored:
        assert theme.contrast_ratio(color, WHITE) >= TEXT_MIN, (name, color)


def test_css_contrast_check_catches_light_text():
    page = BeautifulSoup('<html><head><style>:root{--m:#AAAAAA} .a{color:var(--m)}'
                         '.b{background:#000}</style></head><body><p class="a">grå</p>'
                         '<p class="b">svart på svart</p></body></html>', "html.parser")
    found = {t: (c, b) for t, c, b in text_colours(page, "screen")}
    assert found["grå"] == ("#AAAAAA", WHITE)
    assert found["svart på svart"] == ("#000000", "#000")


def test_report_css_file_and_template_agree(page):
    """The checks above read the CSS embedded in the page; it is the package's."""
    css = (Path(theme.__file__).parent / "templates" / "trygghet" / "report.css").read_text(
        encoding="utf-8")
    assert "--text: #1A1A1A" in css
    assert any("--text: #1A1A1A" in s.get_text() for s in page.find_all("style"))
