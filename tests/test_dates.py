"""kenniskamer.text.dates: the one date parser, on the forms PDFs, printed pages and web pages use."""

from __future__ import annotations

from datetime import date

import pytest

from kenniskamer.text.dates import (
    MONTHS,
    find_date,
    in_future,
    is_date_line,
    parse_date,
    parse_pdf_date,
    to_iso,
    year_of,
)

NEXT_YEAR = date.today().year + 1


# --- metadata dates of web pages (what indexer/_html.iso_date did) ----------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2015/07/24", "2015-07-24"),
        ("2024-12-06T22:00:40.000Z", "2024-12-06"),
        ("20150724", "2015-07-24"),
        ("24.07.2015", "2015-07-24"),
        ("07/24/2015", "2015-07-24"),  # American: the month cannot be 24
        ("24/07/2015", "2015-07-24"),
        ("July 24, 2015", "2015-07-24"),
        ("July 24th, 2015", "2015-07-24"),
        ("Jul. 24 2015", "2015-07-24"),
        ("24 juli 2015", "2015-07-24"),
        ("24. Juli 2015", "2015-07-24"),
        ("Fri, 24 juillet 2015 10:00:00 GMT", "2015-07-24"),
        ("3 maart 2021", "2021-03-03"),
        ("1 déc 2019", "2019-12-01"),
        ("2018-05", "2018-05"),
        ("2015", "2015"),
        (" 2015 ", "2015"),
        ("1850-03-01", "1850-03-01"),  # an archive item: metadata may date before 1900
        ("0999-01-01", None),
        (f"{NEXT_YEAR + 1}-01-01", None),
        ("2015-02-30", None),  # not on the calendar: the value is wrong, not just its day
        ("2015-13-01", None),
        ("20150230", None),
        ("31 foo 2015", None),
        ("Fri Mar 13 21:30:09 EST 2015", None),
        ("soon", None),
        ("", None),
    ],
)
def test_parse_date(value: str, expected: str | None) -> None:
    assert parse_date(value) == expected


# --- PDF and XMP dates -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("D:20200512143000+02'00'", "2020-05-12"),
        ("D:202005", "2020-05"),
        ("D:2020", "2020"),
        ("20200512", "2020-05-12"),
        ("2020-05-12T10:00:00Z", "2020-05-12"),
        ("2020-05", "2020-05"),
        ("D:20200230", "2020-02"),  # a misread day: the month is still right
        ("D:20201300", "2020"),
        ("D:18991231", None),  # before 1900: never a real creation date of a PDF
        ("", None),
        ("yesterday", None),
    ],
)
def test_parse_pdf_date(raw: str, iso: str | None) -> None:
    assert parse_pdf_date(raw) == iso


# --- dates written out on a page --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("Published: 12 May 2020 in print", "2020-05-12"),
        ("May 12, 2020", "2020-05-12"),
        ("version of 2020-05-12", "2020-05-12"),
        ("Den Haag, maart 2021", "2021-03"),
        ("3 juni 2019", "2019-06-03"),
        ("12. März 2018", "2018-03-12"),
        ("le 5 juillet 2017", "2017-07-05"),
        ("Sept. 2016", "2016-09"),
        ("seen in 2020, then May 2021", "2021-05"),
        ("12 May 1850", None),  # only years from 1900 on count in running text
        ("Table 12 shows 2020", None),
    ],
)
def test_find_date(text: str, iso: str | None) -> None:
    assert find_date(text) == iso


def test_the_earliest_date_in_the_text_wins() -> None:
    assert find_date("Revised June 2021; first draft 3 March 2020") == "2021-06"
    assert find_date("3 March 2020, revised June 2021") == "2020-03-03"


@pytest.mark.parametrize(
    ("line", "is_date"),
    [("March 2021", True), ("12 May 2020", True), ("  2020-05-12 ", True), ("Amsterdam, March 2021", False),
     ("Working paper, May 2020", False), ("", False), ("2020", False)],
)  # fmt: skip
def test_is_date_line(line: str, is_date: bool) -> None:
    assert is_date_line(line) is is_date


# --- parts, years, the future -----------------------------------------------------------


def test_to_iso_keeps_what_is_right_unless_strict() -> None:
    assert to_iso(2020, 2, 30) == "2020-02"
    assert to_iso(2020, 13, 1) == "2020"
    assert to_iso(2020, 2, 30, strict=True) is None
    assert to_iso(2020, 13, strict=True) is None
    assert to_iso(2020, 2, 29, strict=True) == to_iso(2020, 2, 29) == "2020-02-29"
    assert to_iso(1899) is None
    assert to_iso(1899, strict=True) == "1899"
    assert to_iso(NEXT_YEAR) == str(NEXT_YEAR)
    assert to_iso(NEXT_YEAR + 1) is None


def test_month_names_in_the_languages_of_the_corpus() -> None:
    for name, number in [("januari", 1), ("jänner", 1), ("février", 2), ("mrt", 3), ("märz", 3), ("mei", 5),
                         ("juin", 6), ("août", 8), ("okt", 10), ("décembre", 12), ("dez", 12)]:  # fmt: skip
        assert MONTHS[name] == number


def test_year_of() -> None:
    assert year_of("2020-05-12") == 2020
    assert year_of("2020") == 2020
    assert year_of("") is None
    assert year_of(None) is None
    assert year_of("20") is None
    assert year_of("n.d.") is None


def test_in_future() -> None:
    assert in_future(f"{NEXT_YEAR}")
    assert in_future(f"{NEXT_YEAR}-01-01")
    assert not in_future(date.today().isoformat())
    assert not in_future(str(date.today().year))
    assert not in_future("2020-05")
