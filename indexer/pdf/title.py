"""The title: the largest-type block of page 1 or 2, or the metadata title when it is printed there."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from indexer.pdf.clean import clean_text, count_letters
from indexer.pdf.lines import LAYOUT_PAGES, Line
from indexer.pdf.metadata import Meta
from indexer.pdf.pages import Pages
from kenniskamer.text.dates import is_date_line
from kenniskamer.text.layout import line_key, running_keys

_TITLE_FILE = re.compile(
    r"(?i)^(microsoft (word|powerpoint|excel)|untitled|title|no title|(powerpoint )?presentation|"
    r"document\d*|slide \d+|layout \d+|none|unknown)\b|\.(pdf|docx?|pptx?|xlsx?|tex|dvi|indd|rtf|odt|txt|e?ps|qxd)\b"
)
_ID_TOKEN = re.compile(r"(?=\S*\d{4})(?=\S*[A-Za-z])\S+|\d+\.\.\d+")
_JOURNAL = re.compile(
    r"(?i)^(?:the\s+)?(?:[\w-]+\s+){0,2}(?:journal|annals|proceedings|bulletin|annual\s+review)\s+(?:of|for|on)\b"
)
_FURNITURE = re.compile(
    r"(?ix) \bdoi\b | \b10\.\d{4,9}/ | https?:// | www\. | @ | © | \bopen\ access\b"
    r" | ^(?:research|original|review|short|brief)?\s*(?:research\ )?(?:article|paper|report|letters?|communication)\W*$"
    r" | ^(?:chapter|hoofdstuk|kapitel)\s+\d+ | ^(?:abstract|keywords?|key\ words|introduction|inleiding|einleitung"
    r"|contents|inhoud(?:sopgave)?|samenvatting|zusammenfassung|summary|résumé|preface|voorwoord)\b"
    r" | \b(?:accepted|author)\ manuscript\b | ^(?:pre-?print|draft)\W*$ | (?:click|check)\ for\ updates"
    r" | \b(?:downloaded|this\ article\ was|to\ cite\ this\ article|published\ online|issn|isbn|copyright"
    r"|all\ rights\ reserved|creative\ commons|licen[cs]ed?\b|e-?mail|corresponding\ author)"
    r" | \b(?:vol\.?|volume|issue|no\.)\s*\d | \d+\s*\(\d+\)\s*: | \(\s*(?:19|20)\d\d\s*\)\s*\d+\s*:"
    r" | working\ paper\s+(?:no|series|\d) | discussion\ paper\s+(?:no|series|\d)"
)
_SPACED_LETTERS = re.compile(r"^(?:\w{1,2} ){4,}")
_ONE_CAPS_WORD = re.compile(r"^[^\W\d_a-zß]{3,}\W*$")
_NAME_PARTICLES = set("van der den de von da di du la le y and und en et zu ten ter het".split())  # noqa: SIM905
_AUTHOR_JOINERS = re.compile(r",| and | und | en | et |&|·|\||[†‡§¶*]|\w\d")
_TRAILING_MARKS = re.compile(r"[\s*∗†‡§¶]+$")
_AFFILIATION = re.compile(
    r"\b(Univ\w*|Institut\w*|College|School|Department|Dept\.|Centre|Center|Faculty|Faculteit)\b"
)
_CAPS_NAME = re.compile(r"^(?:[A-Z][A-Z.'’-]+\s+){1,3}[A-Z][A-Z'’-]+\b")  # "JENS HAINMUELLER Harvard ..."


_NOT_ALNUM = re.compile(r"[\W_]+")


def _squash(text: str) -> str:
    """Lower-case letters and digits only: for comparing titles across sources."""
    return _NOT_ALNUM.sub("", text.lower())


def _running_headers(texts: Sequence[str | None]) -> set[str]:
    """Keys (line_key) of lines that open or close at least two of pages 2-6: running headers and footers."""
    # Once is not running: an inner title page repeats the cover's title once. Keys of
    # fewer than six letters (a bare page number has none) say too little to rule out a title.
    pages = [(text or "").splitlines() for text in texts[1:6]]
    found = running_keys(pages, depth=2, min_lines=1, min_repeats=2, share=0.0)
    return {key for key in found if len(key) >= 6 and key.isalpha()}


def is_furniture(text: str) -> bool:
    """A line that is never a title: labels, DOIs, dates, page numbers, journal lines."""
    stripped = text.strip()
    return (
        count_letters(stripped) < 3
        or bool(_FURNITURE.search(stripped))
        or bool(_JOURNAL.search(stripped))
        or bool(_SPACED_LETTERS.search(stripped))
        or bool(_ONE_CAPS_WORD.match(stripped))
        or is_date_line(stripped)
    )


def _is_year_line(text: str) -> bool:
    return bool(re.fullmatch(r"\W*(?:19|20)\d\d(?:\W+(?:19|20)\d\d)?\W*", text.strip()))


def _is_author_line(text: str) -> bool:
    """Names rather than a subtitle: capitalised words, with commas, "and", or markers."""
    words = re.findall(r"[^\W\d_][\w.'’-]*", text)
    if "@" in text or _AFFILIATION.search(text) or (_CAPS_NAME.match(text) and not text.isupper()):
        return True
    if not words or re.search(r"[?:!]", text):
        return False
    if any(word[0].islower() and word.lower() not in _NAME_PARTICLES for word in words):
        return False
    return bool(_AUTHOR_JOINERS.search(text)) or len(words) <= 4


def _body_size(lines: Sequence[Line]) -> float:
    """The font size most running text on the page is set in; 0 on a cover without any."""
    weight: Counter[float] = Counter()
    for line in lines:
        if len(line.text.split()) >= 5:
            weight[round(line.size, 1)] += len(line.text)
    return weight.most_common(1)[0][0] if weight else 0.0


def same_size(a: float, b: float) -> bool:
    """Whether two font sizes are the same type size, allowing for rounding."""
    return abs(a - b) <= max(0.3, 0.03 * max(a, b))


def _join_title_lines(lines: Iterable[str]) -> str:
    """Title lines as one string, rejoining words hyphenated at a line end."""
    text = ""
    for line in lines:
        line = line.strip()
        if not text:
            text = line
        elif text[-1] in "\x02\ufffe\xad" or (
            text.endswith("-") and line[:1].islower() and text[-2:-1].isalpha()
        ):
            text = text[:-1] + line
        else:
            text = f"{text} {line}"
    return _TRAILING_MARKS.sub("", " ".join(clean_text(text).split()))


def _blocks(lines: Sequence[Line], size: float) -> list[list[int]]:
    """Runs of consecutive, closely spaced lines in the given size (indexes into lines)."""
    blocks: list[list[int]] = []
    current: list[int] = []
    for index, line in enumerate(lines):
        fits = same_size(line.size, size) and (count_letters(line.text) > 0 or _is_year_line(line.text))
        if fits and current:
            gap = lines[current[-1]].y - line.y
            # Title lines run down the page, about a line apart; a jump starts a new block.
            if not -0.5 * size <= gap <= 2.6 * size:
                blocks.append(current)
                current = []
        if fits:
            current.append(index)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _subtitle(lines: Sequence[Line], after: int, size: float, body: float) -> tuple[str, int]:
    """Lines right below a title in a smaller but not body size, unless they are names;
    and the index of the last title or subtitle line."""
    picked: list[int] = []
    for index in range(after + 1, min(after + 5, len(lines))):
        line, previous = lines[index], lines[picked[-1] if picked else after]
        sub_size = lines[picked[0]].size if picked else line.size
        gap = previous.y - line.y
        fits = (
            body + 0.5 <= line.size
            and 0.5 * size <= line.size < size - 0.3
            and same_size(line.size, sub_size)
            and 0 < gap <= (2.2 if picked else 2.6) * (sub_size if picked else line.size)
            and not is_furniture(line.text)
            and (picked or not _is_author_line(line.text))
        )
        if not fits:
            break
        picked.append(index)
    return _join_title_lines(lines[i].text for i in picked), (picked[-1] if picked else after)


def _combine(title: str, subtitle: str) -> str:
    if not subtitle:
        return title
    return f"{title} {subtitle}" if title[-1:] in ":?!.;" else f"{title}: {subtitle}"


@dataclass(frozen=True)
class TitleSpot:
    """A title found in the layout, and where: the page and its first and last line
    (the subtitle included); page is None for a title taken from a running header."""

    text: str
    page: int | None = None
    first: int = 0
    last: int = 0


def _title_from_lines(lines: Sequence[Line], headers: set[str]) -> TitleSpot | None:
    """The largest-font block of lines that reads like a title, with its subtitle."""
    body = _body_size(lines)
    sizes = sorted({round(line.size, 1) for line in lines if line.size >= body + 0.5 and not is_furniture(line.text)})
    for size in reversed(sizes[-3:]):
        for block in _blocks(lines, size):
            # Labels and DOIs go, but a year range set in the title's size is part of it.
            block = [i for i in block if _is_year_line(lines[i].text) or not is_furniture(lines[i].text)]
            if not block:
                continue
            title = _join_title_lines(lines[i].text for i in block)
            if count_letters(title) < 4 or _is_page_header(title, block, len(lines), headers):
                continue
            subtitle, last = _subtitle(lines, block[-1], lines[block[0]].size, body)
            return TitleSpot(_combine(title, subtitle), None, block[0], last)
    return None


def _is_page_header(title: str, block: Sequence[int], count: int, headers: set[str]) -> bool:
    """A running header at the top or bottom of page 1 too (a title may also be a running
    header on later pages, but on page 1 it stands below the header, in large type)."""
    at_edge = block[0] < 2 or block[-1] >= count - 2
    return at_edge and line_key(title) in headers


def _header_title(lines: Sequence[Line], headers: set[str]) -> str | None:
    """On a cover with (almost) no text, the running header often names the document."""
    if sum(len(line.text.split()) for line in lines) > 40:
        return None
    named = [line.text for line in lines if line_key(line.text) in headers and len(line.text.split()) >= 3]
    if not named:
        return None
    best = max(named, key=count_letters)
    return _join_title_lines([re.sub(r"\s+\d{1,4}$", "", best)]) or None


def _layout_title(layouts: Sequence[Sequence[Line]], headers: set[str]) -> TitleSpot | None:
    """The title printed largest on page 1 (page 2 if page 1 is a cover without one)."""
    for page, lines in enumerate(layouts[:LAYOUT_PAGES]):
        spot = _title_from_lines(lines, headers)
        if spot:
            return replace(spot, page=page)
    title = _header_title(layouts[0], headers) if layouts else None
    return TitleSpot(title) if title else None


def _usable_title(title: str, first_pages: str) -> bool:
    """A metadata title worth showing: not a file name, an id, a journal or boilerplate."""
    words = title.split()
    if len(words) < 2 or count_letters(title) < 6 or _TITLE_FILE.search(title) or _JOURNAL.search(title):
        return False
    if sum(bool(_ID_TOKEN.fullmatch(word)) for word in words) * 3 >= len(words):
        return False
    squashed_page = _squash(first_pages)
    if len(squashed_page) < 200:
        return len(words) >= 3  # nothing to check it against (a scan): trust a real-looking one
    # A real title is printed on the first pages; "Science Journals — AAAS" is not.
    return _squash(title) in squashed_page


def _metadata_title(meta: Meta, first_pages: str) -> str | None:
    candidates = [*meta.xmp.get("dc:title", [])[:1], meta.info.get("Title", "")]
    usable = [title for title in candidates if title and _usable_title(title, first_pages)]
    if not usable:
        return None
    best = usable[0]
    for other in usable[1:]:
        # One of them may be cut short (info strings are often truncated at 100 characters).
        if len(other) > len(best) and _squash(other).startswith(_squash(best)):
            best = other
    return best


def choose_title(
    meta: Meta, pages: Pages, texts: Sequence[str]
) -> tuple[str | None, str | None, TitleSpot | None]:
    """The title, where it came from ("metadata" or "layout"), and where the layout has one."""
    first_pages = "\n".join(texts[:2])
    from_meta = _metadata_title(meta, first_pages)
    spot = _layout_title(pages.layouts, _running_headers(texts))
    from_layout = spot.text if spot else None
    # The layout often adds the subtitle the metadata left out.
    if (
        from_meta
        and from_layout
        and len(from_layout) > len(from_meta)
        and _squash(from_layout).startswith(_squash(from_meta))
    ):
        return from_layout, "layout", spot
    if from_meta:
        return from_meta, "metadata", spot
    return (from_layout, "layout", spot) if from_layout else (None, None, spot)
