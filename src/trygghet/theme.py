"""The look of every chart, set in one place.

Modelled on seaborn's ``rcmod``: :data:`RC` is the explicit list of the
matplotlib parameters trygghet sets, :func:`set_theme` applies them and
:func:`theme_context` applies them temporarily. Nothing else in the package
touches ``rcParams``.

Colours are chosen for the public web (WCAG 2.1 AA, which Swedish public-sector
sites must meet) and for readers with colour vision deficiency:

* every colour that carries data has a contrast of at least 3:1 against the
  white background (WCAG 1.4.11, graphics); the categorical and status
  colours reach 4.5:1 (WCAG 1.4.3, text), so they can also be text or carry
  white text (the status boxes); only the lightest index band is between the two;
* the categorical palette is Okabe–Ito, darkened where the original is too
  light for white paper (orange, sky blue and yellow are dropped);
* the same meaning always gets the same colour — women and men, each index
  band, each promise status — and never colour alone: bands and statuses are
  always drawn with their text label (and statuses with a symbol).

:func:`contrast_ratio` implements WCAG 2.1's definition so tests can check
all of this.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import matplotlib as mpl
from cycler import cycler
from matplotlib.colors import to_rgb

# --- Colours -------------------------------------------------------------------

BACKGROUND = "#FFFFFF"
TEXT = "#1A1A1A"        # body text, 17:1
MUTED = "#595959"       # secondary text, axis lines, footnotes: 7:1
GRID = "#D9D9D9"        # decoration only (gridlines); carries no information

#: Okabe–Ito, darkened to ≥ 4.5:1 on white. Names are for the code, not the reader.
PALETTE = {
    "blue": "#0072B2",
    "vermillion": "#B84E00",
    "green": "#007A5A",
    "purple": "#AA4F86",
    "grey": "#4D4D4D",
}
CATEGORICAL = list(PALETTE.values())

#: One colour per group, the same in every chart.
GROUP_COLORS = {
    "Totalt": PALETTE["grey"],
    "Kvinna": PALETTE["vermillion"],
    "Man": PALETTE["blue"],
}
#: Colour for bars of one series (areas, age groups, times of day, priorities).
SERIES_COLOR = PALETTE["blue"]
AGE_COLOR = PALETTE["green"]

#: Index bands, lowest first: light blue → purple → red → dark red. A ramp in
#: lightness as well as hue, so it survives grey-scale printing and the three
#: common colour vision deficiencies. Band *names* live in indices.yml.
BAND_RAMP = ("#4C91C8", "#895FA2", "#AD3130", "#6F2230")

#: Promise statuses: colour and symbol. Order = display order. Their words, in
#: both languages, are in vocabulary.yml (``status.*``).
STATUSES = {
    "Uppfyllt": {"color": "#1B7A4D", "symbol": "\u2713"},
    "Delvis uppfyllt": {"color": "#8C6D00", "symbol": "\u25d0"},
    "Ej uppfyllt": {"color": "#C03B26", "symbol": "\u2717"},
    "Pågår": {"color": "#3D6FB6", "symbol": "\u2192"},
    "Underlag saknas": {"color": "#6B6B6B", "symbol": "?"},
}
STATUS_COLORS = {k: v["color"] for k, v in STATUSES.items()}


#: Classes of a share, lightest first: ColorBrewer PuRd (colour-blind safe, sequential in
#: lightness), its five darkest steps, each ≥ 3:1 against white (3.2, 4.1, 5.5, 8.7, 13.2).
SHARE_RAMP = ("#DF65B0", "#E7298A", "#CE1256", "#980043", "#67001F")


def band_colors(labels: list[str] | tuple[str, ...]) -> dict[str, str]:
    """Colour of each band label, lowest band first (from ``indices.yml``'s order)."""
    if len(labels) > len(BAND_RAMP):
        raise ValueError(f"at most {len(BAND_RAMP)} bands have colours, got {len(labels)}")
    # Fewer bands take the ramp's ends first so that they stay far apart.
    picks = {1: [3], 2: [0, 3], 3: [0, 2, 3], 4: [0, 1, 2, 3]}[len(labels)] if labels else []
    return {label: BAND_RAMP[i] for label, i in zip(labels, picks, strict=True)}


# --- WCAG contrast -----------------------------------------------------------------

def relative_luminance(color) -> float:
    """WCAG 2.1 relative luminance of a matplotlib colour (0 black … 1 white)."""
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in to_rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(foreground, background=BACKGROUND) -> float:
    """WCAG 2.1 contrast ratio, 1 to 21. Text needs ≥ 4.5, graphics ≥ 3."""
    hi, lo = sorted((relative_luminance(foreground), relative_luminance(background)),
                    reverse=True)
    return (hi + 0.05) / (lo + 0.05)


# --- Matplotlib parameters -------------------------------------------------------------

#: Width of the text column of the A4 PDF (210 mm − 47 mm margins), in inches:
#: charts drawn at this width print at 1:1, so their 8.5 pt text matches the page.
TEXT_WIDTH = 6.4

FONT = "DejaVu Sans"  # ships with matplotlib, so the charts look the same everywhere

# Any, as matplotlib's own RcParams: the values are sizes, colours, flags and cyclers.
RC: dict[str, Any] = {
    # Type: one family, sizes relative to 10 pt body text in the PDF.
    "font.family": "sans-serif",
    "font.sans-serif": [FONT, "Liberation Sans", "Arial", "sans-serif"],
    "font.size": 8.5,
    "axes.titlesize": 9.5,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.titlepad": 10.0,
    "axes.labelsize": 8.5,
    "xtick.labelsize": 8.0,
    "ytick.labelsize": 8.0,
    "legend.fontsize": 8.0,
    "legend.title_fontsize": 8.5,
    "figure.titlesize": 10.0,
    # Colours of text and furniture.
    "text.color": TEXT,
    "axes.labelcolor": TEXT,
    "axes.titlecolor": TEXT,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "xtick.labelcolor": TEXT,
    "ytick.labelcolor": TEXT,
    "axes.edgecolor": MUTED,
    "axes.facecolor": BACKGROUND,
    "figure.facecolor": BACKGROUND,
    "savefig.facecolor": BACKGROUND,
    "axes.prop_cycle": cycler(color=CATEGORICAL),
    # Calm axes: no box, light grid behind the data.
    "axes.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": GRID,
    "grid.linewidth": 0.6,
    "xtick.major.size": 3.0,
    "ytick.major.size": 3.0,
    "xtick.major.width": 0.8,
    "ytick.major.width": 0.8,
    "legend.frameon": False,
    "lines.linewidth": 1.8,
    "lines.markersize": 6.0,
    "patch.linewidth": 0.0,
    "errorbar.capsize": 2.5,
    # Layout and size.
    "figure.figsize": (TEXT_WIDTH, 3.6),
    "figure.dpi": 100,
    "savefig.dpi": 200,
    "figure.constrained_layout.use": True,
    # Numbers: trygghet.fmt formats ticks; the locale never does (it groups years).
    "axes.formatter.use_locale": False,
    "axes.unicode_minus": True,
    # Output. Text as text, not glyph paths: half the PDF's size, and WeasyPrint
    # prints glyph paths in twice the time (measured, issue 19). The SVG names
    # fallbacks (Liberation Sans, Arial), narrower than DejaVu Sans, for the HTML's
    # readers on Windows or macOS; text inside an <img> is not read out anyway (the
    # alt text is). A fixed salt keeps the SVG's ids, and so the HTML, identical.
    "svg.fonttype": "none",
    "svg.hashsalt": "trygghet",
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
}


_FONT_SIZE_KEYS = ("font.size", "axes.titlesize", "axes.labelsize", "xtick.labelsize",
                   "ytick.labelsize", "legend.fontsize", "legend.title_fontsize",
                   "figure.titlesize")


def rc(font_scale: float = 1.0) -> dict:
    """The theme's rcParams, with font sizes multiplied by ``font_scale``."""
    params = dict(RC)
    for key in _FONT_SIZE_KEYS:
        params[key] = RC[key] * font_scale
    return params


def set_theme(font_scale: float = 1.0) -> None:
    """Apply trygghet's chart theme to matplotlib (and so to seaborn).

    Call once at the top of a report notebook; :mod:`trygghet.charts` draws
    with whatever theme is active and picks its semantic colours from here.
    """
    mpl.rcParams.update(rc(font_scale))


@contextlib.contextmanager
def theme_context(font_scale: float = 1.0) -> Iterator[None]:
    """Apply the theme inside a ``with`` block and restore the old parameters after."""
    with mpl.rc_context(rc(font_scale)):
        yield
