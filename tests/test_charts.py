"""Charts and theme: Axes returned, suppressed groups shown as such, alt text, contrast."""

import itertools

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.container import ErrorbarContainer
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from trygghet import charts, theme
from trygghet.errors import TrygghetError
from trygghet.questionnaire import default_questionnaire

AREAS = ["Centrum", "Kronogården", "Lextorp", "Sylte", "Sjuntorp"]
TIMES = list(default_questionnaire().family("tid"))
PRIOS = list(default_questionnaire().family("prio"))


def _row(year, indicator, group_var, group, estimate, n=200, kind="share", suppressed=False,
         reason="disclosure", symbol=None):
    generalisable = year != 2019
    if suppressed:
        return dict(year=year, indicator=indicator, kind=kind, group_var=group_var,
                    group=group, n=pd.NA, estimate=np.nan, se=np.nan, ci_low=np.nan,
                    ci_high=np.nan, ci_method="", estimate_type="weighted" if generalisable
                    else "unweighted", generalisable=generalisable, suppressed=True,
                    suppression_reason=reason, symbol=symbol or "..")
    se = np.sqrt(estimate * (1 - estimate) / n) if kind == "share" else 0.5 / np.sqrt(n)
    return dict(year=year, indicator=indicator, kind=kind, group_var=group_var, group=group,
                n=n, estimate=estimate, se=se, ci_low=max(estimate - 1.96 * se, 0),
                ci_high=estimate + 1.96 * se, ci_method="logit" if generalisable else "",
                estimate_type="weighted" if generalisable else "unweighted",
                generalisable=generalisable, suppressed=False, suppression_reason="",
                symbol=symbol or "")


def make_estimates():
    """A hand-made estimates table: 2019 opt-in, 2020 and 2021 random samples.

    In 2020 the age group 80+ and the area Sjuntorp are suppressed.
    """
    rows = []
    for year, base in ((2019, 0.27), (2020, 0.22), (2021, 0.20)):
        rows += [_row(year, "otrygg_kvall", "total", "Totalt", base, 1100),
                 _row(year, "otrygg_kvall", "sex", "Kvinna", base * 1.45, 560),
                 _row(year, "otrygg_kvall", "sex", "Man", base * 0.55, 520)]
        for group, f in zip(["16–24", "25–44", "45–64", "65–79", "80+"],
                            [1.2, 1.0, 0.9, 0.85, 1.1], strict=True):
            suppressed = group == "80+" and year == 2020
            rows.append(_row(year, "otrygg_kvall", "age_group", group, base * f,
                             suppressed=suppressed, reason="reliability"))
        for k, area in enumerate(AREAS):
            suppressed = area == "Sjuntorp" and year == 2020
            rows.append(_row(year, "otrygg_kvall", "area", area, 0.1 + 0.05 * k, 80,
                             suppressed=suppressed))
            rows.append(_row(year, "problemindex", "area", area, 0.9 + 0.7 * k, 80,
                             kind="mean", suppressed=suppressed))
        rows.append(_row(year, "problemindex", "total", "Totalt", 1.8, 1100, kind="mean"))
        for indicator, f in zip(TIMES, [0.08, 0.04, 0.38, 0.45, 0.3], strict=True):
            rows += [_row(year, indicator, "total", "Totalt", f, 1000),
                     _row(year, indicator, "sex", "Kvinna", f * 1.3, 500),
                     _row(year, indicator, "sex", "Man", f * 0.7, 500)]
        for indicator, f in zip(PRIOS, [0.52, 0.41, 0.3, 0.28, 0.25, 0.15, 0.18, 0.05],
                                strict=True):
            rows.append(_row(year, indicator, "total", "Totalt", f, 1000,
                             suppressed=indicator == "prio_trafik" and year == 2020))
    # An opt-in year also has a model-based adjusted estimate beside each share.
    adjusted = [dict(r, estimate_type="adjusted", estimate=r["estimate"] * 0.9,
                     ci_low=r["estimate"] * 0.7, ci_high=r["estimate"] * 1.1)
                for r in rows if r["year"] == 2019 and not r["suppressed"]]
    frame = pd.DataFrame(rows + adjusted)
    frame["n"] = frame["n"].astype("Int64")
    return frame


@pytest.fixture(scope="module")
def est():
    return make_estimates()


@pytest.fixture(autouse=True)
def _theme():
    with theme.theme_context():
        yield


def texts(ax: Axes) -> list[str]:
    """Every text drawn in the Axes (labels, annotations, tick labels, title)."""
    out = [t.get_text().replace("\n", " ") for t in ax.texts]
    out += [t.get_text() for t in ax.get_yticklabels() + ax.get_xticklabels()]
    out += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
    return out


def bars(ax: Axes) -> list[Rectangle]:
    return [p for p in ax.patches if isinstance(p, Rectangle) and p.get_width() > 0
            and p.get_height() > 0]


def check_alt(ax: Axes) -> str:
    alt = charts.alt_text(ax)
    assert alt and alt.endswith(".") and "\n" not in alt
    assert alt.count(". ") == 0, "alt text should be one sentence"
    return alt


# --- Theme -------------------------------------------------------------------------

def test_contrast_ratio_matches_wcag_reference_values():
    assert theme.contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert theme.contrast_ratio("#FFFFFF", "#FFFFFF") == pytest.approx(1.0)
    assert theme.contrast_ratio("#767676") == pytest.approx(4.54, abs=0.01)  # the AA limit grey
    assert theme.contrast_ratio("#FFFFFF", "#0072B2") == theme.contrast_ratio("#0072B2")


def test_palette_contrast_on_white():
    for color in [*theme.CATEGORICAL, *theme.GROUP_COLORS.values(), theme.SERIES_COLOR,
                  theme.AGE_COLOR, *theme.BAND_RAMP]:
        assert theme.contrast_ratio(color) >= 3.0, color      # WCAG 1.4.11 graphics
    for color in [theme.TEXT, theme.MUTED, *theme.CATEGORICAL]:
        assert theme.contrast_ratio(color) >= 4.5, color      # WCAG 1.4.3 text
    for status in theme.STATUSES.values():                   # white text on the status box
        assert theme.contrast_ratio("#FFFFFF", status["color"]) >= 4.5, status


# Machado, Oliveira & Fernandes (2009) at full severity, on linear RGB.
CVD = {
    "protan": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
               [-0.003882, -0.048116, 1.051998]],
    "deutan": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
               [-0.011820, 0.042940, 0.968881]],
    "tritan": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
               [0.004733, 0.691367, 0.303900]],
}


def _lab(color, matrix):
    rgb = np.array(matplotlib.colors.to_rgb(color))
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    linear = np.clip(np.array(matrix) @ linear, 0, 1)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ linear / np.array([0.95047, 1, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


@pytest.mark.parametrize(("colors", "min_delta"), [
    ([theme.GROUP_COLORS["Kvinna"], theme.GROUP_COLORS["Man"], theme.GROUP_COLORS["Totalt"]],
     20),
    (list(theme.BAND_RAMP), 10),
    (theme.CATEGORICAL, 10),
    # Statuses also carry a symbol and a word; colour only has to help.
    ([s["color"] for s in theme.STATUSES.values()], 5),
])
def test_colours_stay_apart_for_colour_blind_readers(colors, min_delta):
    for name, matrix in CVD.items():
        for a, b in itertools.combinations(colors, 2):
            delta = np.linalg.norm(_lab(a, matrix) - _lab(b, matrix))
            assert delta >= min_delta, (name, a, b, delta)


def test_set_theme_applies_the_explicit_rc():
    with theme.theme_context(font_scale=2):
        assert matplotlib.rcParams["font.size"] == theme.RC["font.size"] * 2
        assert matplotlib.rcParams["svg.hashsalt"] == "trygghet"
    assert set(theme.rc()) == set(theme.RC)


def test_band_colors_follow_the_configured_bands():
    colors = theme.band_colors(["Låg nivå", "Måttlig nivå", "Förhöjd nivå", "Hög nivå"])
    assert list(colors.values()) == list(theme.BAND_RAMP)
    assert len(set(theme.band_colors(["a", "b"]).values())) == 2


# --- Charts -----------------------------------------------------------------------------

def test_by_group_shows_suppressed_group_and_gives_alt_text(est):
    ax = charts.by_group(est, "otrygg_kvall", 2020)
    assert isinstance(ax, Axes) and isinstance(ax.figure, Figure)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["Totalt", "Kvinnor", "Män", "16–24\u00a0år", "25–44\u00a0år",
                      "45–64\u00a0år", "65–79\u00a0år", "80+\u00a0år"]
    assert len(bars(ax)) == 7                          # 80+ has no bar: not drawn as zero
    drawn = texts(ax)
    assert any(t.startswith("..") and "redovisas inte" in t for t in drawn)
    assert any(".. = redovisas inte: för få svar" in t for t in drawn)  # and the footnote says why
    assert any("konfidensintervall" in t for t in drawn)
    alt = check_alt(ax)
    assert "32\u00a0% bland kvinnor" in alt and "80+\u00a0år redovisas inte" in alt
    assert "Kvinna" not in alt


def test_opt_in_year_is_labelled_as_share_of_respondents(est):
    ax = charts.by_group(est, "otrygg_kvall", 2019)
    assert ax.get_xlabel() == "Andel av de svarande"
    drawn = texts(ax)
    assert any("inte kan generaliseras till befolkningen" in t for t in drawn)
    assert not any("konfidensintervall" in t for t in drawn)  # no interval for opt-in
    assert not ax.containers or all(not hasattr(c, "has_xerr") for c in ax.containers)
    assert any("(n\u00a0=\u00a01\u00a0100)" in t for t in drawn)  # n shown by default


def test_opt_in_year_can_show_the_adjusted_estimate(est):
    primary = charts.by_group(est, "otrygg_kvall", 2019)
    assert len(bars(primary)) == 8                     # one bar per group, not two
    ax = charts.by_group(est, "otrygg_kvall", 2019, estimate_type="adjusted")
    assert len(bars(ax)) == 8
    assert any("indikativa intervall" in t for t in texts(ax))
    assert "27 %" in charts.alt_text(primary) and "24 %" in charts.alt_text(ax)


def test_by_area_sorted_with_suppressed_last(est):
    ax = charts.by_area(est, "otrygg_kvall", 2020)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[-1] == "Sjuntorp"
    assert labels[:-1] == ["Sylte", "Lextorp", "Kronogården", "Centrum"]  # highest first
    assert len(bars(ax)) == 4
    assert any(t.startswith("..") for t in texts(ax))
    alt = check_alt(ax)
    assert "högst i Sylte" in alt and "Sjuntorp redovisas inte" in alt


def test_by_time_of_day_keeps_the_order_of_the_day(est):
    ax = charts.by_time_of_day(est, 2020)
    assert [t.get_text() for t in ax.get_yticklabels()] == \
        ["Tidig morgon", "Dagtid", "Kväll", "Natt"]
    assert "på natten (45\u00a0%)" in check_alt(ax)
    ax = charts.by_time_of_day(est, 2020, by="sex")
    assert len(bars(ax)) == 8
    assert "kvinnor oftast på natten" in check_alt(ax)
    with pytest.raises(ValueError):
        charts.by_time_of_day(est, 2020, by="area")


def test_index_by_area_labels_every_band_in_text(est):
    ax = charts.index_by_area(est, "problemindex", 2020)
    drawn = texts(ax)
    colors = {matplotlib.colors.to_hex(b.get_facecolor()).upper() for b in bars(ax)}
    assert colors <= set(theme.BAND_RAMP)
    # Kronogården 1,60 is "måttlig", Lextorp 2,30 "måttlig", Sylte 3,00 "förhöjd".
    for value, band in [("1,60", "måttlig nivå"), ("2,30", "måttlig nivå"),
                        ("3,00", "förhöjd nivå")]:
        assert any(t.startswith(value) and t.endswith(band) for t in drawn), value
    assert any("egen beräkning" in t or "egen indelning" in t for t in drawn)
    assert any(t.startswith("..") for t in drawn)
    check_alt(ax)


def test_priorities_ranked_with_suppressed_last(est):
    ax = charts.priorities(est, 2020)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[:3] == ["Tillgänglighet", "Våld utomhus", "Organiserad brottslighet"]
    assert labels[-2:] == ["Annat", "Trafik"]
    assert "tillgänglighet (52\u00a0%)" in check_alt(ax)


def test_trend_does_not_join_points_across_the_series_break(est):
    ax = charts.trend(est, "otrygg_kvall")
    for line in ax.get_lines():
        xs = np.asarray(line.get_xdata(), dtype=float)
        if len(xs) > 1:
            assert not (xs.min() <= 2019 and xs.max() >= 2020), "a line crosses the break"
    assert any(t == "Seriebrott" for t in texts(ax))
    assert any("Seriebrott mellan 2019 och 2020" in t for t in texts(ax))
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2019", "2020", "2021"]
    alt = check_alt(ax)
    assert "seriebrott före 2020" in alt
    ax = charts.trend(est, "otrygg_kvall", group_var="sex")
    assert "kvinnor 39\u00a0% 2019" in check_alt(ax)


def test_crime_vs_unsafe_labels_points_and_names_suppressed_areas():
    data = pd.DataFrame({"area": AREAS, "crimes_per_1000": [80.0, 30.0, 55.0, 20.0, 40.0],
                         "share_unsafe": [0.12, 0.31, 0.2, 0.08, np.nan]})
    ax = charts.crime_vs_unsafe(data, year=2020, synthetic=True)
    drawn = texts(ax)
    for area in AREAS[:4]:
        assert area in drawn
    assert "Sjuntorp" not in drawn
    assert any("Sjuntorp redovisas inte" in t for t in drawn)
    assert any("syntetiska exempeldata" in t for t in drawn)
    alt = check_alt(ax)
    assert "flest anmälda brott per 1\u00a0000 invånare har Centrum" in alt


def test_promise_status_has_colour_symbol_and_word():
    promises = pd.DataFrame({
        "inriktning": ["Polisen ökar antalet redovisade mängdbrottsutredningar till åklagare.",
                       "Trygghetsronder genomförs i två geografiska områden.",
                       "Ett kontaktcenter inrättas."],
        "status": ["Uppfyllt", "Delvis uppfyllt", "Pågår"]})
    ax = charts.promise_status(promises)
    drawn = texts(ax)
    for status in promises["status"]:
        info = theme.STATUSES[status]
        label = next(t for t in ax.texts if t.get_text().endswith(status))
        assert label.get_text().startswith(info["symbol"])
        face = matplotlib.colors.to_hex(label.get_bbox_patch().get_facecolor()).upper()
        assert face == info["color"]
    assert any("kontaktcenter" in t for t in drawn)
    assert check_alt(ax) == ("Status för löftets 3 inriktningar – uppfyllt: 1, "
                             "delvis uppfyllt: 1 och pågår: 1.")
    with pytest.raises(TrygghetError):
        charts.promise_status(pd.DataFrame({"inriktning": ["x"], "status": ["Klart"]}))


def test_charts_draw_on_a_given_axes(est):
    fig = Figure(figsize=(8, 4))
    left, right = fig.subplots(1, 2)
    assert charts.by_group(est, year=2020, ax=left) is left
    assert charts.by_area(est, year=2020, ax=right) is right
    assert charts.alt_text(fig) == f"{charts.alt_text(left)} {charts.alt_text(right)}"


def test_english_labels_and_alt_text(est):
    ax = charts.by_group(est, year=2020, language="en")
    assert [t.get_text() for t in ax.get_yticklabels()][:3] == ["Total", "Women", "Men"]
    assert ax.get_xlabel() == "Share"
    alt = check_alt(ax)
    assert "among women" in alt and "32%" in alt
    assert "too few answers" in " ".join(texts(ax))


def test_missing_indicator_or_year_is_a_clear_error(est):
    with pytest.raises(TrygghetError, match="otrygg_dag"):
        charts.by_area(est, "otrygg_dag", 2020)
    with pytest.raises(TrygghetError, match="2030"):
        charts.by_group(est, year=2030)


def test_svg_is_identical_between_renders(est):
    with theme.theme_context():
        one = charts.to_svg(charts.by_area(est, year=2020).figure)
        two = charts.to_svg(charts.by_area(est, year=2020).figure)
    assert one == two
    assert "<dc:date>" not in one


def test_show_puts_the_alt_text_in_the_output_metadata(est, monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display",
                        lambda *objs, **kw: shown.append((objs, kw)))
    ax = charts.by_area(est, year=2020)
    charts.show(ax, caption="Figur 1")
    (bundle,), kw = shown[0]
    assert bundle["image/svg+xml"].lstrip().startswith("<?xml")
    assert kw["metadata"]["image/svg+xml"]["alt"] == charts.alt_text(ax)
    assert kw["metadata"]["trygghet"]["caption"] == "Figur 1"
    assert bundle["text/plain"] == charts.alt_text(ax)
    with pytest.raises(ValueError, match="alt text"):
        charts.show(Figure())


# --- issue 12: the stated level, and shares of exactly 0 and 100 % ------------------------

def test_the_note_states_the_level_of_the_intervals(est):
    """``estimation.level: 0.90`` draws 90 % intervals; the chart must not say 95 %."""
    ninety = est.assign(ci_level=0.90)
    for language, note in (("sv", "Felstaplarna visar 90\u00a0% konfidensintervall."),
                           ("en", "Error bars show 90% confidence intervals.")):
        for ax in (charts.by_group(ninety, year=2020, language=language),
                   charts.by_area(ninety, year=2020, language=language),
                   charts.trend(ninety, language=language)):
            drawn = " ".join(texts(ax))
            assert note in drawn and "95" not in drawn
    assert "95\u00a0% konfidensintervall" in " ".join(texts(charts.by_group(est, year=2020)))
    with pytest.raises(ValueError, match="mix confidence levels"):
        charts.by_group(ninety.assign(ci_level=np.where(ninety["group"] == "Man", 0.95, 0.9)),
                        year=2020)


@pytest.mark.parametrize("share", [0.0, 1.0])
def test_a_share_of_exactly_0_or_100_percent_is_drawn(share):
    """An interval of a share of 0 or 1 may end a rounding error on the wrong side of the
    estimate (``ci_high`` = 1 − 1e-16 < 1): no negative error bar (matplotlib refused it)."""
    low, high = (np.nextafter(0.0, 1.0), 0.05) if share == 0 else (0.95, np.nextafter(1.0, 0.0))
    groups = [("total", "Totalt"), ("sex", "Kvinna"), ("sex", "Man"),
              *[("area", a) for a in AREAS[:3]]]
    frame = pd.DataFrame([_row(y, "otrygg_kvall", gv, g, share, 300)
                          for y in (2020, 2021) for gv, g in groups])
    frame["n"] = frame["n"].astype("Int64")
    frame[["ci_low", "ci_high"]] = [low, high]
    for ax in (charts.by_group(frame, year=2021), charts.by_area(frame, year=2021),
               charts.trend(frame, group_var="sex")):
        errorbars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
        assert errorbars
        for container in errorbars:
            for segment in container.lines[2][0].get_segments():
                assert (np.diff(segment, axis=0) >= 0).all()  # drawn low → high
    alt = charts.alt_text(charts.by_group(frame, year=2021))
    assert alt.startswith(f"Känner sig otrygg ute ensam sent en kväll, 2021: totalt "
                          f"{round(share * 100)}\u00a0%")
