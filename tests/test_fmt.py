"""Swedish (and English) number, date and symbol formatting."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from trygghet import fmt

NB = "\u00a0"   # no-break space
MINUS = "\u2212"


@pytest.mark.parametrize(("value", "decimals", "expected"), [
    (0.125, 1, f"12,5{NB}%"),
    (0.0125, 1, f"1,3{NB}%"),        # half away from zero, not half-even
    (0.5, 0, f"50{NB}%"),
    (1.0, 0, f"100{NB}%"),
    (0.0, 1, f"0,0{NB}%"),
    (12.3456, 1, f"1{NB}234,6{NB}%"),
    (-0.0001, 1, f"0,0{NB}%"),       # no "−0,0"
    (-0.05, 0, f"{MINUS}5{NB}%"),
])
def test_percent(value, decimals, expected):
    assert fmt.percent(value, decimals) == expected


@pytest.mark.parametrize(("value", "decimals", "expected"), [
    (1417, 0, f"1{NB}417"),
    (999, 0, "999"),
    (1000, 0, f"1{NB}000"),
    (1234567.891, 2, f"1{NB}234{NB}567,89"),
    (2.345, 2, "2,35"),
    (-2.345, 2, f"{MINUS}2,35"),
    (-1417, 0, f"{MINUS}1{NB}417"),
    (0.05, 1, "0,1"),
    (np.float64(3.5), 0, "4"),
    (np.int64(72900), 0, f"72{NB}900"),
])
def test_number(value, decimals, expected):
    assert fmt.number(value, decimals) == expected


def test_years_are_never_grouped():
    assert fmt.year(2020) == "2020"
    assert fmt.year(np.int64(2019)) == "2019"
    assert fmt.year_formatter()(2021.0) == "2021"
    assert fmt.year_formatter()(2020.5) == ""


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA, float("nan")])
def test_missing_values_print_the_missing_symbol(missing):
    assert fmt.number(missing) == "."
    assert fmt.percent(missing) == "."
    assert fmt.points(missing) == "."
    assert fmt.percent(missing, missing="..") == ".."


def test_percentage_points():
    assert fmt.points(0.023) == f"+2,3{NB}procentenheter"
    assert fmt.points(-0.023) == f"{MINUS}2,3{NB}procentenheter"
    assert fmt.points(0.023, short=True) == f"+2,3{NB}pe"
    assert fmt.points(0.01, 0) == f"+1{NB}procentenhet"
    assert fmt.points(0.0) == f"0,0{NB}procentenheter"
    assert fmt.points(0.023, language="en") == "+2.3\u00a0percentage points"
    assert fmt.points(0.023, short=True, language="en") == "+2.3\u00a0pp"


def test_signed_changes_and_indices():
    assert fmt.change(0.3) == "+0,3"
    assert fmt.change(-1.25) == f"{MINUS}1,3"
    assert fmt.change(0) == "0,0"
    assert fmt.index(1.78) == "1,78"
    assert fmt.index(1.625) == "1,63"


def test_interval():
    assert fmt.interval(0.102, 0.148) == f"10,2–14,8{NB}%"
    assert fmt.interval(1.52, 1.8, kind="mean", decimals=2) == "1,52–1,80"
    assert fmt.interval(np.nan, 0.2) == "."
    assert fmt.interval(0.102, 0.148, language="en") == "10.2–14.8%"


@pytest.mark.parametrize(("value", "expected"), [
    (0.95, f"95{NB}%"), (0.975, f"97,5{NB}%"), (0.9, f"90{NB}%"), (0.995, f"99,5{NB}%"),
])
def test_confidence_level_has_the_decimals_it_needs(value, expected):
    assert fmt.level(value) == expected


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_confidence_level_must_be_finite(value):
    with pytest.raises(ValueError, match="finite"):
        fmt.level(value)


def test_estimate_prints_symbols_not_withheld_values():
    assert fmt.estimate(0.125) == f"12,5{NB}%"
    assert fmt.estimate(0.125, symbol="..") == ".."
    assert fmt.estimate(np.nan, symbol=".") == "."
    assert fmt.estimate(0.0, symbol="–") == "–"
    assert fmt.estimate(1.784, kind="mean") == "1,78"
    assert fmt.SUPPRESSED == ".." and fmt.MISSING == "." and fmt.ZERO == "\u2013"


def test_dates():
    day = dt.date(2021, 3, 31)
    assert fmt.date(day, "iso") == "2021-03-31"
    assert fmt.date(day) == f"31{NB}mars 2021"
    assert fmt.date("2021-03-31") == f"31{NB}mars 2021"
    assert fmt.date(pd.Timestamp("2021-01-05 13:00")) == f"5{NB}januari 2021"
    assert fmt.date(dt.datetime(2021, 12, 1, 8), "iso") == "2021-12-01"
    assert fmt.date(day, language="en") == f"31{NB}March 2021"
    with pytest.raises(ValueError):
        fmt.date(day, "short")


def test_english_numbers():
    assert fmt.percent(0.125, language="en") == "12.5%"
    assert fmt.number(1417, language="en") == "1,417"
    assert fmt.number(-2.5, 1, language="en") == f"{MINUS}2.5"
    with pytest.raises(ValueError):
        fmt.number(1, language="de")


def test_join():
    assert fmt.join(["a"]) == "a"
    assert fmt.join(["a", "b"]) == "a och b"
    assert fmt.join(["a", "b", "c"]) == "a, b och c"
    assert fmt.join(["a", "b"], language="en") == "a and b"
    assert fmt.join([]) == ""


def test_tick_formatters():
    pct = fmt.percent_formatter()
    assert pct(0.25) == f"25{NB}%"
    assert fmt.percent_formatter(1)(0.125) == f"12,5{NB}%"
    assert fmt.number_formatter(1)(1.5) == "1,5"
    assert fmt.number_formatter(0)(2000) == f"2{NB}000"
    assert fmt.percent_formatter(language="en")(0.25) == "25%"
