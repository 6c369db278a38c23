"""Highlighting: the stretch of a page with the most query terms, marked."""

from __future__ import annotations

import re
import sys
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from functools import lru_cache

from kenniskamer.index.analysis import analyze, stopwords
from kenniskamer.search.results import Passage
from kenniskamer.text.prose import fold

PASSAGE_CHARS = 320  # characters of page text around the matches
SPARE_PAGES = 2  # pages read beyond the passages wanted, for those whose matches are all references


def marked_terms(terms: Mapping[str, set[str]], suffix: str) -> set[str]:
    """The words to mark in a passage of a document in this language (``text_suffix``), from a run's terms per language.

    The query's terms for that language, and its unstemmed terms but Dutch and English
    stop words: text in other languages is indexed without a stop list, so "van" and "de"
    of a Dutch query are terms there, and marked in every passage they hid the words
    that matched. A language's own terms hold none of its stop words, and may hold the
    other's: "men" and "door" are English words, but the short ones ("en", "de", "op")
    are not words in the other language's text, and looking for them costs a string
    search hit at almost every word.
    """
    stop = stopwords("nl") | stopwords("en")
    unstemmed = terms.get("other", set()) - stop
    if suffix == "other":
        return unstemmed
    return {term for term in terms.get(suffix, set()) if len(term) > 2 or term not in stop} | unstemmed


@lru_cache(maxsize=200_000)
def _term(token: str, suffix: str) -> str | None:
    terms = analyze(token, suffix)
    return terms[0] if terms else None


_WORD_FROM = re.compile(r"\w+")


_LATIN_ACCENTED = re.compile(r"[\u00c0-\u024f]")


def _word_starts(text: str, starts: set[str]) -> list[tuple[int, int, str]]:
    """(begin, end, word) of every word of the text whose first letters, folded, are one of ``starts``.

    One ``str.find`` sweep per start over the lower-cased text runs at C speed, where a
    case-insensitive regex of alternatives costs about half a microsecond a character;
    words with an accent in their first letters (``ruïne``) are looked up on their own.
    """
    key = text.lower()
    if len(key) != len(text):  # a letter whose lower case is longer (e.g. "İ"): keep the offsets right
        key = "".join(c if len(c) == 1 else "_" for c in map(str.lower, text))
    found: dict[int, tuple[int, int, str]] = {}

    def add(at: int) -> None:
        if at not in found and (at == 0 or not (key[at - 1].isalnum() or key[at - 1] == "_")):
            match = _WORD_FROM.match(text, at)
            if match:
                found[at] = (at, match.end(), match.group())

    for start in starts:
        at = key.find(start)
        while at >= 0:
            add(at)
            at = key.find(start, at + 1)
    if not key.isascii():
        for accent in _LATIN_ACCENTED.finditer(key):
            at = accent.start()
            while at > 0 and accent.start() - at < 2 and (key[at - 1].isalnum() or key[at - 1] == "_"):
                at -= 1
            if fold(key[at : at + 3])[:3] in starts:
                add(at)
    return sorted(found.values())


def highlight(
    text: str,
    page: int,
    terms: set[str],
    suffix: str,
    *,
    width: int = PASSAGE_CHARS,
    references: tuple[int, int] | None = None,
) -> Passage | None:
    """The stretch of about ``width`` characters of a page with the most query terms, marked.

    Only words that start like a query term are analysed (stems are prefixes of the
    words they come from), so a page costs a few string searches, not one stemmer call per word.
    ``references``: the characters (start, end) of the page's reference list, which the
    stretch stays out of; None when only the reference list holds query terms.
    """
    if not text or not terms:
        return None
    refs_start, refs_end = references if references is not None else (len(text), len(text))
    found: list[tuple[int, int, str]] = []
    matched: dict[str, str | None] = {}  # a page repeats its words: each is analysed once
    for begin, end, word in _word_starts(text, {term[:3] for term in terms}):
        if refs_start <= begin < refs_end or refs_start < end <= refs_end:
            continue
        if word not in matched:
            term = _term(word, suffix)
            matched[word] = (term or word) if term in terms or fold(word) in terms else None
        marked = matched[word]
        if marked is not None:
            found.append((begin, end, marked))
    if not found:
        return None
    starts = [begin for begin, _, _ in found]
    best, best_score, lowest, highest = 0, -1, 0, len(text)
    for begin, _, _ in found:
        # The text the stretch may take: before the reference list, or after it.
        floor, ceiling = (0, min(refs_start, len(text))) if begin < refs_start else (min(refs_end, len(text)), len(text))
        low = max(floor, begin - width // 5)
        inside = found[bisect_left(starts, low) : bisect_left(starts, min(low + width, ceiling))]
        score = 2 * len({term for _, _, term in inside}) + len(inside)
        if score > best_score:
            best, best_score, lowest, highest = low, score, floor, ceiling
    window_start = best
    if window_start > lowest:  # start at a word boundary
        space = text.find(" ", window_start, found[0][0] if found[0][0] > window_start else highest)
        window_start = space + 1 if 0 <= space < window_start + 30 else window_start
    window_end = min(highest, window_start + width)
    if window_end < highest:
        space = text.rfind(" ", window_start, window_end)
        window_end = space if space > window_start + width // 2 else window_end
    fragments: list[tuple[str, bool]] = [("… ", False)] if window_start > 0 else []
    cursor = window_start
    for begin, end, _ in found:
        if begin < window_start or end > window_end:
            continue
        if begin > cursor:
            fragments.append((_squash(text[cursor:begin]), False))
        fragments.append((text[begin:end], True))
        cursor = end
    if cursor < window_end:
        fragments.append((_squash(text[cursor:window_end]), False))
    if window_end < len(text):
        fragments.append((" …", False))
    return Passage(page, tuple(_merge(fragments)))


def best_passages(
    pages: Sequence[int],
    texts: Mapping[int, str],
    terms: set[str],
    suffix: str,
    *,
    limit: int,
    references: Mapping[int, tuple[int, int]],
) -> tuple[Passage, ...]:
    """Up to ``limit`` passages of a document's pages in the given order (best first), none from a reference list.

    ``texts``: the text of the pages to look at; ``references``: page -> the characters of
    its reference list. A page that is all reference list, or whose query words are all in
    it, gives no passage, and the next page is looked at.
    """
    found: list[Passage] = []
    for page in pages:
        if len(found) >= limit:
            break
        text = texts.get(page, "")
        passage = highlight(text, page, terms, suffix, references=references.get(page))
        if passage is not None:
            found.append(passage)
    return tuple(found)


def candidate_pages(pages: Sequence[int], references: Mapping[int, tuple[int, int]], limit: int) -> list[int]:
    """The pages worth reading for ``limit`` passages: the best first, without pages that are all reference list.

    A few spare pages stand in for pages whose query words all turn out to be in their reference list.
    """
    kept = [page for page in pages if references.get(page, (1, 0)) != (0, sys.maxsize)]
    return kept[: limit + SPARE_PAGES] if limit else []


def _squash(gap: str) -> str:
    return re.sub(r"\s+", " ", gap)


def _merge(fragments: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    merged: list[tuple[str, bool]] = []
    for text, hit in fragments:
        if merged and merged[-1][1] == hit and not hit:
            merged[-1] = (merged[-1][0] + text, hit)
        else:
            merged.append((text, hit))
    return merged
