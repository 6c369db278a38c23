"""Dates as the project reads them: ISO, PDF and XMP dates, dates written out in several languages, years."""

from __future__ import annotations

import re
from datetime import date

# Month names and abbreviations in English, Dutch, German, French and Spanish, lower case.
MONTHS: dict[str, int] = {
    name: number
    for number, names in enumerate(
        [
            "january jan januari janvier januar jänner enero ene",
            "february feb februari février fevrier fév fev februar febrero",
            "march mar maart mrt maa mars märz marz maerz mär marzo",
            "april apr avril avr abril abr",
            "may mei mai mayo",
            "june jun juni juin junio",
            "july jul juli juillet julio",
            "august aug augustus août aout agosto ago",
            "september sep sept septembre septiembre",
            "october oct oktober okt octobre octubre",
            "november nov novembre noviembre",
            "december dec dez décembre déc decembre dezember diciembre dic",
        ],
        start=1,
    )
    for name in names.split()
}
# Dates written in running text (a first page): only years 1900-2099 are looked for, so
# that other numbers are not taken for years; a month by name, or an ISO date.
_MONTH = r"(?P<month>[A-Za-zéûäè]{3,9})\.?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_DATE_FORMS = [
    re.compile(rf"(?P<day>\d{{1,2}})\.?\s+{_MONTH},?\s+{_YEAR}\b"),
    re.compile(rf"\b{_MONTH}\s+(?P<day>\d{{1,2}}),?\s+{_YEAR}\b"),
    re.compile(rf"\b{_YEAR}-(?P<monthnum>\d\d)-(?P<day>\d\d)\b"),
    re.compile(rf"\b{_MONTH}\s+{_YEAR}\b"),
]
# A PDF date ("D:20200512143000+02'00'") or the ISO date XMP uses.
_PDF_DATE = re.compile(r"^(?:D:)?(\d{4})(\d\d)?(\d\d)?")
_ISO_DATE = re.compile(r"^(\d{4})(?:-(\d\d))?(?:-(\d\d))?")


# Metadata dates (a web page's <meta>, JSON-LD, <time>): ISO, compact, numeric day first
# or American, and day or month first with a month name.
_META_ISO = re.compile(r"(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?(?![\d])")
_META_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})(?!\d)")
_META_DAY_FIRST = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?!\d)")
_META_DAY_MONTH = re.compile(r"(\d{1,2})\.?\s+([^\W\d_]{3,})\.?,?\s+(\d{4})(?!\d)")
_META_MONTH_DAY = re.compile(r"([^\W\d_]{3,})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})(?!\d)")


def to_iso(year: int, month: int | None = None, day: int | None = None, *, strict: bool = False) -> str | None:
    """An ISO date of the precision given ("2020-05-12", "2020-05", "2020"), or None if it is no real date.

    Read from printed text or a PDF (strict=False), a year before 1900 is a misreading,
    and a month or day that is not on the calendar is dropped, keeping what comes before
    it. A web page's metadata (strict=True) may date an archive item before 1900; a
    month or day not on the calendar there means the whole value is wrong.
    """
    if not (1000 if strict else 1900) <= year <= date.today().year + 1:
        return None
    if month is None or not 1 <= month <= 12:
        return None if strict and month is not None else f"{year:04d}"
    if day is None:
        return f"{year:04d}-{month:02d}"
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None if strict else f"{year:04d}-{month:02d}"


def parse_date(value: str) -> str | None:
    """An ISO date ("2020-05-01", "2020-05" or "2020") from a metadata date string, or None.

    Takes "2015/07/24", "2024-12-06T22:00:40Z", "20150724", "24.07.2015", "07/24/2015",
    "July 24, 2015" and "24 juli 2015".
    """
    value = value.strip()
    if found := _META_COMPACT.match(value):
        return _strict(found.group(1), found.group(2), found.group(3))
    if found := _META_ISO.match(value):
        return _strict(*found.groups())
    if found := _META_DAY_FIRST.match(value):
        day, month, year = (int(part) for part in found.groups())
        if month > 12 >= day:  # 12/31/2019: an American date
            day, month = month, day
        return to_iso(year, month, day, strict=True)
    if found := _META_DAY_MONTH.search(value):
        return _named_month(found.group(3), found.group(2), found.group(1))
    if found := _META_MONTH_DAY.search(value):
        return _named_month(found.group(3), found.group(1), found.group(2))
    return None


def _strict(year: str, month: str | None, day: str | None) -> str | None:
    return to_iso(int(year), int(month) if month is not None else None, int(day) if day is not None else None, strict=True)


def _named_month(year: str, month_name: str, day: str) -> str | None:
    month = MONTHS.get(month_name.casefold().rstrip("."))
    return to_iso(int(year), month, int(day), strict=True) if month else None


def parse_pdf_date(text: str) -> str | None:
    """An ISO date from a PDF date ("D:20200512...") or an XMP date ("2020-05-12T...")."""
    text = text.strip()
    match = _PDF_DATE.match(text) if text.startswith("D:") or "-" not in text[:8] else None
    match = match or _ISO_DATE.match(text)
    if not match:
        return None
    year, month, day = (int(group) if group else None for group in match.groups())
    return to_iso(year or 0, month, day)


def find_date(text: str) -> str | None:
    """The first written date in text: "12 May 2020", "May 12, 2020", "2020-05-12", "May 2020"."""
    best: tuple[int, str] | None = None
    for form in _DATE_FORMS:
        for match in form.finditer(text):
            found = _date_from_match(match)
            if found and (best is None or match.start() < best[0]):
                best = (match.start(), found)
                break
    return best[1] if best else None


def _date_from_match(match: re.Match[str]) -> str | None:
    groups = match.groupdict()
    month = int(groups["monthnum"]) if groups.get("monthnum") else MONTHS.get((groups.get("month") or "").lower())
    if month is None:
        return None
    day = int(groups["day"]) if groups.get("day") else None
    return to_iso(int(groups["year"]), month, day)


def in_future(found: str) -> bool:
    """Whether an ISO date (of any precision) lies after today: never a publication date."""
    return found > date.today().isoformat()[: len(found)]


def is_date_line(line: str) -> bool:
    """A line that is only a date, like the version date under a working paper's title."""
    line = line.strip()
    if not line or len(line) > 30:
        return False
    found = find_date(line)
    if not found:
        return False
    rest = line
    for form in _DATE_FORMS:
        rest = form.sub("", rest)
    return not re.search(r"[^\W\d_]{2,}", rest)


def year_of(iso: str | None) -> int | None:
    """The year of an ISO date string, or None."""
    if iso and len(iso) >= 4 and iso[:4].isdigit():
        return int(iso[:4])
    return None
