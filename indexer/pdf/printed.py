"""What a first page prints about its publication: the journal line and the publication date."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from indexer.pdf.clean import count_letters
from indexer.pdf.names import surname_key
from kenniskamer.text.dates import MONTHS, find_date, in_future, is_date_line, to_iso

_PUBLISHED = re.compile(
    r"(?i)\b(?:first\s+)?(?:published(?:\s+online)?|publication\s+date|advance\s+access\s+publication|"
    r"date\s+(?:of|de)\s+publication|publicatiedatum|"
    r"online\s+(?:publiziert|veröffentlicht)|veröffentlicht|gepubliceerd|publié(?:\s+en\s+ligne)?)"
    r"\b(?:\s+(?:on|in|am|op|le))?\s*[:.]?\s*(?P<rest>.{0,40})"
)
_CITATION_YEAR = [
    re.compile(r"(?i)to cite this article:[^\n]{0,200}?\(((?:19|20)\d\d)\)"),
    re.compile(r"\(((?:19|20)\d\d)\)\s*\d+\s*(?:\(\d+\))?\s*:\s*\w*\d+"),  # (2024) 7:1305–1325
    re.compile(r"\b((?:19|20)\d\d)\s*;\s*\d+\s*\(\d+\)"),  # 2022; 47(1)
]
_COPYRIGHT_YEAR = re.compile(r"(?i)(?:©|\(c\)|copyright\b)[^\n\d]{0,40}((?:19|20)\d\d)\b")
_DOWNLOAD_NOTE = re.compile(r"(?i)download|accessed|generiert|retrieved|this article was")


def find_printed_date(text: str) -> str | None:
    """The publication date printed on a first page ("Published: 12 May 2020", "© 2020"), ISO.

    An article published online first carries the year of its journal issue in the
    journal line or the suggested citation; that year wins, as citations use it.
    """
    lines = [line for line in text.splitlines() if not _DOWNLOAD_NOTE.search(line)]
    kept = "\n".join(lines)
    published = next(
        (
            found
            for match in _PUBLISHED.finditer(kept)
            if (found := find_date(match.group("rest")) or _year_at_start(match.group("rest")))
            and not in_future(found)
        ),
        None,
    )
    cited = _cited_year(kept, lines)
    if published and cited and 0 < int(cited[:4]) - int(published[:4]) <= 2:
        return cited
    if published or cited:
        return published or cited
    for pattern in (*_CITATION_YEAR[1:], _COPYRIGHT_YEAR):
        match = pattern.search(kept)
        if match and not in_future(match.group(1)):
            return to_iso(int(match.group(1)))
    for line in lines:
        if is_date_line(line):
            found = find_date(line)
            if found and not in_future(found):
                return found
    return None


def _cited_year(text: str, lines: Sequence[str]) -> str | None:
    """The year of a suggested citation or of the journal line ("Acta Politica (2023) 58:461")."""
    match = _CITATION_YEAR[0].search(text)
    if match and not in_future(match.group(1)):
        return match.group(1)
    for venue in _venue_lines(lines):
        if venue.year and not in_future(venue.year):
            return venue.year
    return None


def _year_at_start(text: str) -> str | None:
    match = re.match(r"\s*(?P<year>(?:19|20)\d\d)\b", text)
    return to_iso(int(match.group("year"))) if match else None


# The name of a journal or series: capitalised words, small joining words, abbreviations.
_JOURNAL_PART = r"(?P<venue>[^\W\d_a-z][\w.’'&-]*(?:\s+(?:&|[^\W\d_][\w.’'&-]*)){0,11})"
_YEAR_PART = r"(?P<year>(?:19|20)\d\d)"
_MONTH_PART = r"(?:(?P<month>[A-Z][a-z]{2,8})\.?\s+(?:\d{1,2},?\s+)?)?"
# Journal lines, in the forms publishers print them (the year in the group "year").
_VENUE_LINE_FORMS = [
    # Acta Politica (2023) 58:461–482; Politics and Religion (2022), 15, 441–461
    re.compile(rf"{_JOURNAL_PART}\s*\(\s*{_YEAR_PART}\s*\)\s*[,:]?\s*\d"),
    # European Sociological Review, 2017, Vol. 33, No. 6, 735–751
    re.compile(rf"{_JOURNAL_PART},\s*{_YEAR_PART},\s*Vol\b"),
    # Communications 2022; 47(1): 136–162; Nations and Nationalism. 2024;30:90–109
    re.compile(rf"{_JOURNAL_PART}\.?\s+{_YEAR_PART}\s*[;.]\s*\d+\s*[(:;]"),
    # American Political Science Review Vol. 104, No. 1 February 2010
    re.compile(rf"{_JOURNAL_PART},?\s+Vol\.?\s*\d+\b[^|]{{0,40}}?{_MONTH_PART}{_YEAR_PART}\b"),
    # Social Forces 99(3) 1306–1333, March 2021
    re.compile(rf"{_JOURNAL_PART}\s+\d+\s*\(\d+[-–]?\d*\)\s+\d+\s*[–-]\s*\d+,\s*{_MONTH_PART}{_YEAR_PART}"),
    # European Journal of Political Research : – , 2024
    re.compile(rf"{_JOURNAL_PART}\s*:\s*[–-]?\s*,\s*{_YEAR_PART}"),
    # PNAS | November 6, 2018 | vol. 115
    re.compile(rf"{_JOURNAL_PART}\s*\|\s*{_MONTH_PART}{_YEAR_PART}\s*\|"),
    # PNAS 2022 Vol. 119 No. 21
    re.compile(rf"^{_JOURNAL_PART}\s+{_YEAR_PART}\s+Vol\b"),
    # Frontiers in Sociology | www.frontiersin.org
    re.compile(rf"^{_JOURNAL_PART}\s*\|\s*www\."),
    # The Annual Review of Political Science is online at
    re.compile(rf"^(?:The\s+)?{_JOURNAL_PART}\s+is\s+online\s+at\b"),
]
# A journal's own header over the line that follows it (Taylor & Francis, SAGE, Cairn).
_VENUE_HEADER_NEXT = re.compile(
    r"(?i)^(?:ISSN\b|.*\bjournal\s+homepage\b|publication\s+details,\s+including\s+instructions"
    rf"|{_YEAR_PART}(?:,\s*Vol\b|/\d+\s+n°))"
)
# Cairn: "Éditions de l'Université de Lorraine | « Questions de communication »"
_GUILLEMETS = re.compile(r"«\s*([^»]+?)\s*»\s*$")
_VENUE_KEYWORDS = re.compile(
    r"(?i)\b(?:journal|review|studies|politics|political|politica|policy|sociology|sociological|soziologie"
    r"|sociologie|science|sciences|sci|quarterly|society|research|forces|communications?|nationalism|religion"
    r"|behaviou?r|affairs|annals|annu|bulletin|frontiers|tijdschrift|zeitschrift|revue|methods|migration"
    r"|psychology|economics|economic|opinion|democracy|media|nature|proceedings|proc|perspectives|pnas)\b"
)
_VENUE_HINT = re.compile(r"(?:19|20)\d\d|\|\s*www\.|\bis\s+online\s+at\b|«")
_VENUE_SMALL_WORDS = {
    "of", "and", "in", "for", "on", "the", "an", "a", "&", "de", "des", "du", "la", "für", "und", "voor", "en", "van",
}  # fmt: skip
# "To cite this article: ... (2025) Title, German Politics, 34:1, 128-155, DOI: ..."
_CITED_VENUE = re.compile(
    r"(?i)to\s+cite\s+this\s+article:.*?\(\s*(?:19|20)\d\d\s*\).*?,\s*([A-Z][^,]{2,80}?),\s*\d+\s*:\s*\d+\s*,"
)


@dataclass(frozen=True)
class _VenueLine:
    name: str
    year: str | None  # ISO year, or year and month


def _venue_lines(lines: Sequence[str], authors: Sequence[str] = ()) -> Iterable[_VenueLine]:
    """Journal lines in page text: "Journal of Computational Social Science (2024) 7:1305–1325"."""
    for index, line in enumerate(lines):
        # Cheap tests first: this runs over every line of the first pages.
        if not 3 <= len(line) <= 150:
            continue
        following = lines[index + 1].strip() if index + 1 < len(lines) else ""
        hinted = bool(_VENUE_HINT.search(line))
        if not (hinted or _VENUE_HEADER_NEXT.match(following)) or not _VENUE_KEYWORDS.search(line):
            continue
        line = " ".join(line.split())
        found = _venue_in_line(line, authors) if hinted else None
        if found is None:
            found = _venue_over(line, following, authors)
        if found is not None:
            yield found


def _venue_in_line(line: str, authors: Sequence[str]) -> _VenueLine | None:
    for form in _VENUE_LINE_FORMS:
        match = form.search(line)
        name = _venue_name(match.group("venue"), authors) if match else None
        if match and name:
            groups = match.groupdict()
            year, month = groups.get("year"), MONTHS.get((groups.get("month") or "").lower())
            return _VenueLine(name, to_iso(int(year), month) if year else None)
    return None


def _venue_over(line: str, following: str, authors: Sequence[str]) -> _VenueLine | None:
    """A journal's name over its ISSN line, volume line or (Cairn) issue line."""
    header = _VENUE_HEADER_NEXT.match(following)
    if not header:
        return None
    quoted = _GUILLEMETS.search(line)
    name = _venue_name(quoted.group(1), authors, sentence_case=True) if quoted else _venue_name(line, authors)
    return _VenueLine(name, header.group("year")) if name else None


def _venue_name(text: str, authors: Sequence[str], *, sentence_case: bool = False) -> str | None:
    """A journal name from the start of a journal line, without an author prefix; None
    unless it reads as one ("Czymara et al. Comparative Migration Studies" -> the journal)."""
    text = text.strip(" .,;:|")
    if " et al" in text:
        text = text.split(" et al", 1)[1].lstrip(". ")
    words = text.split()
    surnames = {surname_key(name) for name in authors}
    while words and (surname_key(words[0]) in surnames or words[0].strip(",") in ("and", "&")):
        words.pop(0)  # "Nisar and Bleich Comparative Migration Studies"
    while words and words[0].isdigit():
        words.pop(0)
    name = " ".join(words).strip(" .,;:|")
    if not words or len(words) > 10 or count_letters(name) < 3 or not _VENUE_KEYWORDS.search(name):
        return None
    if not words[0][0].isupper() or (
        not sentence_case and any(not (word[0].isupper() or word.lower() in _VENUE_SMALL_WORDS) for word in words)
    ):
        return None
    if re.search(r"(?i)\b(?:doi|https?|www|copyright|licen[cs]e|author|published|downloaded)\b", name):
        return None
    return name


def find_printed_venue(text: str, *, authors: Sequence[str] = ()) -> str | None:
    """The journal a first page names in its citation or journal line, or None."""
    match = _CITED_VENUE.search(" ".join(text.split()))
    if match and _venue_name(match.group(1), authors):
        return _venue_name(match.group(1), authors)
    lines = [line for line in text.splitlines() if not _DOWNLOAD_NOTE.search(line)]
    names = [venue.name for venue in _venue_lines(lines, authors)]
    # "The Annual Review of Political Science" rather than "Annu. Rev. Polit. Sci".
    return next((name for name in names if "." not in name), names[0] if names else None)
