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


_REFERENCES_HEADING = re.compile(
    r"^\s*(?:\d+\.?\s*)?(references|bibliography|literature( cited)?|works cited|literatuur(lijst)?|bronnen"
    r"|literaturverzeichnis|literatur|bibliographie|références|referencias|reference list)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_BACK_MATTER = re.compile(r"^\s*(appendix|bijlage|supplementary|online appendix|anhang|annexe)\b", re.IGNORECASE | re.MULTILINE)


def reference_heading(page: str) -> int | None:
    """Where a reference-list heading starts on a page (character offset), or None."""
    match = _REFERENCES_HEADING.search(page)
    return match.start() if match else None


def reference_pages(pages: Sequence[str]) -> frozenset[int]:
    """Page numbers (1-based) of the reference list: from its heading to an appendix or the end.

    Only a heading in the second half of a document counts, so a table of contents
    that mentions "References" does not swallow the whole text.
    """
    start = None
    for number in range(len(pages), len(pages) // 2, -1):
        if _REFERENCES_HEADING.search(pages[number - 1]):
            start = number
            break
    if start is None:
        return frozenset()
    found = {start}
    for number in range(start + 1, len(pages) + 1):
        if _BACK_MATTER.search(pages[number - 1][:300]):
            break
        found.add(number)
    return frozenset(found)
