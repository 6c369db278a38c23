"""Publication dates: metadata date strings, htmldate, and <time> elements."""

from __future__ import annotations

import calendar
import re
from datetime import date

import htmldate
import lxml.html

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            (),
            ("january", "januari", "januar", "janvier", "enero", "jan", "ene"),
            ("february", "februari", "februar", "février", "fevrier", "febrero", "feb", "fév", "fev"),
            ("march", "maart", "märz", "maerz", "mars", "marzo", "mar", "mrt", "mär", "maa"),
            ("april", "avril", "abril", "apr", "avr", "abr"),
            ("may", "mei", "mai", "mayo"),
            ("june", "juni", "juin", "junio", "jun"),
            ("july", "juli", "juillet", "julio", "jul"),
            ("august", "augustus", "août", "aout", "agosto", "aug", "ago"),
            ("september", "septembre", "septiembre", "sep", "sept"),
            ("october", "oktober", "octobre", "octubre", "oct", "okt"),
            ("november", "novembre", "noviembre", "nov"),
            ("december", "dezember", "décembre", "decembre", "diciembre", "dec", "dez", "déc", "dic"),
        )
    )
    for name in names
}
_ISO = re.compile(r"(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?(?![\d])")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})(?!\d)")
_DAY_FIRST = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?!\d)")
_DAY_MONTH = re.compile(r"(\d{1,2})\.?\s+([^\W\d_]{3,})\.?,?\s+(\d{4})(?!\d)")
_MONTH_DAY = re.compile(r"([^\W\d_]{3,})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})(?!\d)")


def iso_date(value: str) -> str | None:
    """An ISO date ("2020-05-01", "2020-05" or "2020") from a metadata date string, or None."""
    value = value.strip()
    if found := _COMPACT.match(value):
        return _checked(found.group(1), found.group(2), found.group(3))
    if found := _ISO.match(value):
        return _checked(*found.groups())
    if found := _DAY_FIRST.match(value):
        day, month, year = (int(part) for part in found.groups())
        if month > 12 >= day:  # 12/31/2019: an American date
            day, month = month, day
        return _checked(str(year), str(month), str(day))
    if found := _DAY_MONTH.search(value):
        return _named_month(found.group(3), found.group(2), found.group(1))
    if found := _MONTH_DAY.search(value):
        return _named_month(found.group(3), found.group(1), found.group(2))
    return None


def _named_month(year: str, month_name: str, day: str) -> str | None:
    month = _MONTHS.get(month_name.casefold().rstrip("."))
    return _checked(year, str(month), day) if month else None


def _checked(year: str, month: str | None, day: str | None) -> str | None:
    """The ISO form of a date whose parts exist on the calendar, else None."""
    number = int(year)
    if not 1000 <= number <= date.today().year + 1:
        return None
    if month is None:
        return f"{number:04d}"
    if not 1 <= int(month) <= 12:
        return None
    if day is None:
        return f"{number:04d}-{int(month):02d}"
    if not 1 <= int(day) <= calendar.monthrange(number, int(month))[1]:
        return None
    return f"{number:04d}-{int(month):02d}-{int(day):02d}"


def dated(value: str | None) -> str | None:
    return iso_date(value) if value else None


def time_date(tree: lxml.html.HtmlElement) -> str | None:
    """The date of the first <time datetime>, preferring one marked as the publication date."""
    times = [element for element in tree.iter("time") if element.get("datetime")]
    marked = [element for element in times if "publish" in (element.get("itemprop") or "").lower()]
    for element in marked + times:
        if found := iso_date(element.get("datetime", "")):
            return found
    return None


def htmldate_date(tree: lxml.html.HtmlElement, url: str | None) -> str | None:
    """The publication date htmldate finds (never fetching: it gets a tree, not a URL string)."""
    try:
        # original_date: the default took the modified date on 4 of 11 pages measured here.
        # extensive_search stays on: it dated 2 of 20 pages the fast mode left undated, at 0-40 ms
        # a page, but its first use in a process loads dateparser (0.6-1.5 s, once).
        found = htmldate.find_date(tree, original_date=True, url=url)
    except Exception:  # htmldate raises assorted errors on odd trees; the date is optional
        return None
    return iso_date(found) if found else None
