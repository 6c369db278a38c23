"""Page layout in plain text: running headers, footers and page numbers, the reference list."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

# A journal prints its name, the authors, the short title, a "Downloaded from ... on ..."
# note and the page number on most pages; in the index they are noise and they crowd out
# the real passages of a hit. A line counts as running when it stands among the first or
# last lines of a page and comes back (its letters, that is: numbers change) on most odd or
# most even pages (left and right pages often carry different ones).
_RUNNING_MIN_PAGES = 4  # pages of _RUNNING_MIN_LINES lines or more; in fewer, a repeat says little
_RUNNING_MIN_LINES = 3  # on a shorter page (a cover, a picture) every line is at the edge
_RUNNING_EDGE_LINES = 5  # lines at the top and at the bottom of a page where one may stand
_RUNNING_SHARE = 0.6  # of the odd or of the even pages; table rows ("Observations") reach 0.3
_RUNNING_MIN_REPEATS = 3
# Page numbers: the same offset from the page index on this many pages, at most
# _NUMBER_GAP pages apart (a page with a full-page table or figure may have none).
_NUMBER_RUN = 3
_NUMBER_GAP = 4
_NUMBER_LIST = 3  # this many bare numbers at the edges of one page are a list or a table
_PAGE_NUMBER = re.compile(r"\W*(\d{1,4})\W*")  # "12", "- 12 -", "12 |"
_KEPT_WORD = re.compile(r"[^\W\d_]{2,}")
_NAME_JOINS = {"and", "und", "en", "et", "al"}
_BLANK_LINES = re.compile(r"\n{3,}")


def line_key(line: str) -> str:
    """What a running line keeps from page to page: its letters ("12 E. Bleich et al." and
    "E. Bleich et al. 13" are both "ebleichetal"); a line without letters is its own key."""
    return "".join(filter(str.isalpha, line)).casefold() or " ".join(line.split())


def _page_number(line: str) -> int | None:
    match = _PAGE_NUMBER.fullmatch(line)
    return int(match.group(1)) if match else None


def _words(text: str) -> set[str]:
    return set(_KEPT_WORD.findall(text.casefold())) - _NAME_JOINS


def edge_lines(lines: Sequence[str], *, depth: int = _RUNNING_EDGE_LINES) -> list[int]:
    """Indexes of the first and last `depth` non-blank lines of a page (each once)."""
    filled = [index for index, line in enumerate(lines) if line.strip()]
    if len(filled) <= 2 * depth:
        return filled
    return filled[:depth] + filled[-depth:]


def running_keys(
    pages: Sequence[Sequence[str]],
    *,
    depth: int = _RUNNING_EDGE_LINES,
    min_lines: int = _RUNNING_MIN_LINES,
    min_repeats: int = _RUNNING_MIN_REPEATS,
    share: float = _RUNNING_SHARE,
) -> set[str]:
    """The line_key of each running line in pages (the lines of each page): a line among
    the first or last `depth` of a page that comes back on min_repeats pages or more and on
    `share` of the odd or of the even pages with min_lines edge lines or more.

    The defaults are the rule find_running_lines strips by; the title and the summary look
    at a few pages only and take any line that opens or closes two of them (share=0).
    """
    keys = [{index: line_key(lines[index]) for index in edge_lines(lines, depth=depth)} for lines in pages]
    return _repeated(keys, min_lines=min_lines, min_repeats=min_repeats, share=share)


def _repeated(keys: Sequence[dict[int, str]], *, min_lines: int, min_repeats: int, share: float) -> set[str]:
    """The keys of edge lines (line index -> key, per page) that come back on enough of the
    even or of the odd pages (left and right pages often carry different ones)."""
    seen: list[Counter[str]] = [Counter(), Counter()]
    counted = [0, 0]
    for number, page_keys in enumerate(keys):
        if len(page_keys) >= min_lines:
            counted[number % 2] += 1
            seen[number % 2].update(set(page_keys.values()))
    return {
        key
        for key in seen[0].keys() | seen[1].keys()
        if seen[0][key] + seen[1][key] >= min_repeats
        and any(counted[side] and seen[side][key] >= share * counted[side] for side in (0, 1))
    }


def _page_numbers(split: Sequence[Sequence[str]], edges: Sequence[list[int]]) -> set[tuple[int, int]]:
    """(page, line) of the numbers that go up with the pages: the same offset from the page
    index on _NUMBER_RUN pages close together. A year or a count in a table does not."""
    spots: dict[int, dict[int, list[int]]] = {}  # offset -> page -> lines
    for number, edge in enumerate(edges):
        printed = [(index, value) for index in edge if (value := _page_number(split[number][index])) is not None]
        if len(printed) >= _NUMBER_LIST:
            continue
        for index, value in printed:
            spots.setdefault(value - number, {}).setdefault(number, []).append(index)
    found: set[tuple[int, int]] = set()
    for pages in spots.values():
        runs: list[list[int]] = []
        for number in pages:  # in page order
            if runs and number - runs[-1][-1] <= _NUMBER_GAP:
                runs[-1].append(number)
            else:
                runs.append([number])
        for run in runs:
            if len(run) >= _NUMBER_RUN:
                found.update((number, index) for number in run for index in pages[number])
    return found


def find_running_lines(pages: Sequence[str], *, keep: Sequence[str] = ()) -> list[set[int]]:
    """Per page, the indexes in page.split("\\n") of its running header, footer and page-number lines.

    keep: the title and the authors' names; on the first page with text and the first of a
    few lines, where the title is printed, a line made of their words stays even where it
    also runs as a header. A page of one or two lines (a cover) loses its running lines
    only if it holds nothing else.
    """
    split = [page.split("\n") for page in pages]
    found: list[set[int]] = [set() for _ in split]
    edges = [edge_lines(lines) for lines in split]
    full = [number for number, edge in enumerate(edges) if len(edge) >= _RUNNING_MIN_LINES]
    if len(full) < _RUNNING_MIN_PAGES:
        return found
    keys = [{index: line_key(split[number][index]) for index in edge} for number, edge in enumerate(edges)]
    running = _repeated(keys, min_lines=_RUNNING_MIN_LINES, min_repeats=_RUNNING_MIN_REPEATS, share=_RUNNING_SHARE)
    numbers = _page_numbers(split, edges)
    kept_words = set().union(*map(_words, keep))
    title_pages = {full[0], next(number for number, edge in enumerate(edges) if edge)}
    for number, edge in enumerate(edges):
        for index in edge:
            line = split[number][index]
            title_line = number in title_pages and len(words := _words(line)) >= 2 and words <= kept_words
            if (keys[number][index] in running and not title_line) or (number, index) in numbers:
                found[number].add(index)
        if len(edge) < _RUNNING_MIN_LINES and len(found[number]) < len(edge):
            found[number] = set()
    return found


def strip_running_lines(pages: Sequence[str], *, keep: Sequence[str] = ()) -> list[str]:
    """The pages without their running headers, footers and page numbers (same count, same order)."""
    stripped = list(pages)
    for number, drop in enumerate(find_running_lines(pages, keep=keep)):
        if drop:
            kept = "\n".join(line for index, line in enumerate(pages[number].split("\n")) if index not in drop)
            stripped[number] = (_BLANK_LINES.sub("\n\n", kept) if "\n\n\n" in kept else kept).strip()
    return stripped


# -- the reference list --
#
# A reference list is found by its heading and by what its lines look like, so one that
# starts halfway down a page, or runs on over pages without a heading (PNAS and Science
# print none), is found too. A line looks like a reference when it says where a work was
# printed (a DOI or web address, "59 (1): 128-145", "98, 956-966 (2010)", "pp. 111-127",
# "(Eds.)", a publisher and a year) or starts as an entry does ("Bansak, Kirk (2021).",
# "10. B. S. Lowery, D. A. Wout,", "[31] Jagat Kunwar.") and holds a year. Prose that cites
# studies in passing ("(Iyengar et al. 2019)", "Mudde (2004)") has years but neither.
_REFERENCES_HEADING = re.compile(
    r"^\s*(?:\d+\.?\s*)?(references|bibliography|literature( cited)?|works cited|literatuur(lijst)?|bronnen(lijst)?"
    r"|literaturverzeichnis|literatur|bibliographie|références|referencias|reference list|references and notes)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
# Notes are references only where what follows them reads as references (endnotes full of citations).
_NOTES_HEADING = re.compile(r"^\s*(?:\d+\.?\s*)?(notes|endnotes|noten|eindnoten|anmerkungen|fußnoten)\s*$", re.IGNORECASE)
_BACK_MATTER = re.compile(
    r"^\s*(?:[A-Z]\.?\s+)?(?:online\s+)?(appendix|appendices|bijlagen?|anhang|annexe?"
    r"|supplement(?:al|ary)?(?:\s+materials?|\s+information)?|supporting information)\b",
    re.IGNORECASE | re.MULTILINE,
)
_YEAR = re.compile(r"\b(?:19|20)\d\d[a-z]?\b")
_PRINTED = re.compile(
    r"\b10\.\d{4,9}/|https?://|\bwww\.|\b\d{1,4}\s?\(\d{1,4}(?:[-–/]\d{1,4})?\)\s?[:,]\s?[A-Za-z]?\d"
    r"|\b\d{1,4},\s?\d{1,5}\s?[–-]\s?\d{1,5}\s?\((?:19|20)\d\d\)|\b(?:pp\.?|p\.)\s?\d+\s?[–-]\s?\d+|:\s?\d{1,5}\s?[–-]\s?\d{1,5}\.|\b\d{1,4}:\d{1,5}\s?[–-]"
    r"|\((?:eds?|red|hrsg|dir)\.\)|\b(?:university press|press|verlag|uitgeverij|publishing)\b.{0,40}\b(?:19|20)\d\d\b",
    re.IGNORECASE,
)
_ENTRY_START = re.compile(
    r"^\s*(?:(?:\d{1,3}\.|\[\d{1,3}\])\s+[A-ZÀ-ÖØ-Þ]"  # "10. B. S. Lowery", "3. Robinson V", "[31] Jagat"
    r"|(?:(?:van|de|der|den|von|le|la|da|di|ter|ten)\s+)*[A-ZÀ-ÖØ-Þ][\w'’-]+(?:\s[A-ZÀ-ÖØ-Þ][\w'’-]+)?,?\s+"
    r"(?:[A-Z]\.|[A-Z]{1,3}\b|[A-ZÀ-ÖØ-Þ][a-zà-ÿ]+\b(?=.*\b(?:19|20)\d\d)))"  # "Bansak, Kirk", "Robinson V", "Alaoui, M."
)
_REFERENCE_WINDOW = 8  # lines of text looked at together
_REFERENCE_LINES = 4  # of them that look like references: a list (an entry takes 2-3 lines)
_REFERENCE_YEARS = 3  # years in the window
_REFERENCE_GAP = 12  # lines without a reference that end a list
_HEADING_REACH = 6  # lines between a heading and the first entry under it
_WHOLE_PAGE_REST = 80  # characters of other text that still leave a page all references
MOSTLY_REFERENCES = 0.5  # the share of a page's text that makes it a reference page in ranking


def looks_like_reference(line: str) -> bool:
    """True for a line of a reference list: it says where a work was printed, or starts an entry with a year."""
    return bool(_PRINTED.search(line)) or (bool(_ENTRY_START.match(line)) and bool(_YEAR.search(line)))


def reference_spans(pages: Sequence[str]) -> list[tuple[int, int] | None]:
    """Per page, the characters (start, end) of its reference list or endnotes of citations, or None.

    A list starts at a heading (References, Literatuur, Bronnen, ...; Notes only where
    references follow), or where at least _REFERENCE_LINES of _REFERENCE_WINDOW lines look
    like references, and runs over pages until an appendix heading or _REFERENCE_GAP lines
    without a reference. Nothing in the first quarter of a document (its contents, a
    journal's cover page) starts a list. A span that leaves fewer than _WHOLE_PAGE_REST characters of other
    text covers the whole page.
    """
    lines: list[tuple[int, int, int, str]] = []  # page index, start, end, text of every line with text
    for number, page in enumerate(pages):
        at = 0
        for line in page.split("\n"):
            if line.strip():
                lines.append((number, at, at + len(line), line))
            at += len(line) + 1
    referencing = [looks_like_reference(text) for _, _, _, text in lines]
    # Front matter (a contents page, a journal's cover with its DOIs) starts nothing.
    first_page = len(pages) // 4 if len(pages) >= 4 else min(1, len(pages) - 1)
    heading = [number >= first_page and bool(_REFERENCES_HEADING.match(text)) for number, _, _, text in lines]
    notes = [number >= first_page and bool(_NOTES_HEADING.match(text)) for number, _, _, text in lines]
    back = [bool(_BACK_MATTER.match(text)) for _, _, _, text in lines]
    starts = [False] * len(lines)
    for index in range(len(lines)):
        window = range(index, min(len(lines), index + _REFERENCE_WINDOW))
        if lines[index][0] < first_page:
            continue
        if (
            referencing[index]
            and sum(referencing[i] for i in window) >= _REFERENCE_LINES
            and sum(len(_YEAR.findall(lines[i][3])) for i in window) >= _REFERENCE_YEARS
        ):
            starts[index] = True
        if heading[index] and any(referencing[i] for i in range(index + 1, min(len(lines), index + 1 + _HEADING_REACH))):
            starts[index] = True
    inside = [False] * len(lines)
    index = 0
    while index < len(lines):
        if not starts[index]:
            index += 1
            continue
        begin = index
        for before in range(index - 1, max(-1, index - 1 - _HEADING_REACH), -1):  # the heading above the first entry
            if heading[before] or notes[before]:
                begin = before
                break
            if back[before]:
                break
        last = end = index
        while end + 1 < len(lines) and not back[end + 1] and end + 1 - last <= _REFERENCE_GAP:
            end += 1
            if referencing[end] or starts[end]:
                last = end
        for i in range(begin, last + 1):
            inside[i] = True
        index = last + 1
    spans: list[tuple[int, int] | None] = [None] * len(pages)
    for (number, start, end, _), listed in zip(lines, inside):
        if listed:
            span = spans[number]
            spans[number] = (start, end) if span is None else (span[0], end)
    for number, span in enumerate(spans):
        if span is not None:
            text = pages[number]
            start = 0 if len(text[: span[0]].strip()) < _WHOLE_PAGE_REST else span[0]
            end = len(text) if len(text[span[1] :].strip()) < _WHOLE_PAGE_REST else span[1]
            spans[number] = (start, end)
    return spans


def reference_share(text: str, span: tuple[int, int] | None) -> float:
    """The share of a page's text (without spaces) that its reference span covers."""
    if span is None:
        return 0.0
    total = len("".join(text.split()))
    return len("".join(text[span[0] : span[1]].split())) / total if total else 0.0
