"""Find a document's summary in its page text: the abstract, or else the first real paragraph."""

from __future__ import annotations

import re
from collections.abc import Sequence

from kenniskamer.text.layout import line_key, running_keys

# Pages searched: an abstract sits on the first pages; a report's first paragraph may come
# after a cover, a colophon and a table of contents.
_ABSTRACT_PAGES = 3
_PARAGRAPH_PAGES = 8
_MIN_WORDS = 25

_HEADING = re.compile(
    r"(?im)^[ \t]*(?:\d{1,2}(?:\.\d{1,2})*\.?[ \t]+)?"  # a section number: "1. Samenvatting", "1.1 Management summary"
    r"(?:abstract|a\s?b\s?s\s?t\s?r\s?a\s?c\s?t|samenvatting|managementsamenvatting|summary"
    r"|(?:executive|management)\s+summary|zusammenfassung|kurzfassung|r[ée]sum[ée]|resumen)\b[ \t]*[:.—–-]?[ \t]*"
)
# A heading's own line may go on with a few words ("Samenvatting advies", "Summary and
# conclusions"): those are part of the heading, not of the summary.
_QUALIFIER = re.compile(r"[ \t]*(?=[a-zà-ÿ])(?:[^\W\d_]+[ \t]*){1,3}\n")
# Past the first pages, a report's summary has a heading line of its own (after a cover,
# a colophon and a table of contents); an inline "Summary:" there is a passing remark.
_PAGE_NUMBER = re.compile(r"[ \t.]*\d{1,3}[ \t]*\n")
_HEADING_LINE = re.compile(r"[ \t]*(?:[^\W\d_]+[ \t]*){0,3}\n")
# Where an abstract ends: keywords, the introduction, a numbered section, the front
# matter that follows it on the page.
_END = re.compile(
    r"(?i)^\s*(?:key\s?words?|schlüsselwörter|schlagwörter|trefwoorden|mots[- ]cl[ée]s|palabras\s+clave|jel\b"
    r"|(?:\d+(?:\.\d*)?|[IVX]+\.)?\s*(?:introduction|inleiding|einleitung|einführung|background|achtergrond)\b"
    r"|(?-i:\d+(?:\.\d+)*\.?\s+[A-Z][^.]{0,60}$|[IVX]+\.\s+[A-Z]|[A-Z][A-Z ]{2,}:)"
    r"|acknowledg|references\b|literatur\b|©|copyright\b|\*?\s*corresponding|received\b|accepted\b|published\b"
    r"|article\s+history|to\s+cite|citation\b|doi\b|https?://|e-?mail\b)"
)
_FRONT_MATTER = re.compile(
    r"@|©|(?i:copyright|all rights reserved|creative commons|licen[cs]|downloaded|terms (?:and|&) conditions"
    r"|\bdoi\b|https?://|www\.|\bissn\b|\bisbn\b|\bvol\.|\bpp\.|published by|received:|accepted:)"
    r"|\bUniversit(?:y|ät|é|eit|à|at)\b|\b(?:Department|Faculty|School|Institute|Centre|Center) (?:of|for)\b"
    r"|^\s*(?:Edited|Contributed|Reviewed|Approved|Communicated) by\b"
)
_CONTENTS_LINE = re.compile(r"[^\W\d_][\s.]+\d{1,3}\s*$")  # "Veiligheid 11", "Voorwoord ..... 3"
_COVER_PAGE = re.compile(
    r"(?i)this article was downloaded by|full terms (?:and|&) conditions|conditions of access and use"
    r"|please scroll down for article|tous droits réservés|téléchargé le"
)
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"'”’)]))\s+(?=[\"'“‘(]?[A-ZÀ-ÞĀ-Ž0-9])")
_WORD_THEN_STOP = re.compile(r"[^\W\d_]{2}[\"'”’)]?[.!?]")
_WORD = re.compile(r"[^\W\d_]{2,}")
_DROP_CAPITAL = re.compile(r"(?m)^([A-Z])[ \t]*\n(?=[a-z])")
_HYPHEN_BREAK = re.compile(r"(?<=[^\W\d_])-\n(?=[a-zà-ÿ])")


def find_summary(pages: Sequence[str], *, max_words: int = 120) -> str | None:
    """The abstract, or else the first substantial paragraph, cut at a sentence end."""
    furniture = _page_furniture(pages)
    pages = [_strip_furniture(page, furniture) for page in pages[:_PARAGRAPH_PAGES]]
    text = _abstract(pages, max_words) or _first_paragraph(pages)
    return _cut(text, max_words) if text else None


def _page_furniture(pages: Sequence[str]) -> set[str]:
    """Running headers and footers (their line_key): first or last lines repeated on several pages."""
    found = running_keys([page.splitlines() for page in pages[:12]], depth=2, min_lines=1, min_repeats=2, share=0.0)
    # A line without letters is its own key; page numbers and the like go by a pattern below.
    return {key for key in found if key.isalpha()}


def _strip_furniture(page: str, furniture: set[str]) -> str:
    """A page without its running header, footer and page number lines."""
    kept = [
        line
        for line in page.replace("\r\n", "\n").splitlines()
        if not re.fullmatch(r"\s*\d{1,4}\s*", line)
        # (a heading line "Samenvatting" is kept: a short table of contents starts with the same word)
        and (line_key(line) not in furniture or not line.strip() or _is_heading_line(line))
    ]
    # A drop capital comes out as a line of its own: "I" + "n 2015, the number ..."
    return _DROP_CAPITAL.sub(r"\1", "\n".join(kept))


def _is_heading_line(line: str) -> bool:
    """A line that is a summary heading and nothing else ("1. Samenvatting", "Executive summary")."""
    heading = _HEADING.match(line)
    return heading is not None and not line[heading.end() :].strip()


def _abstract(pages: Sequence[str], max_words: int) -> str | None:
    """The text after an Abstract/Samenvatting/Summary heading, up to the next heading.

    On the first pages a heading may run on into its text ("Abstract: We ..."); on later
    pages only a heading line counts. The first summary with a paragraph's worth of words
    wins: a "1. Samenvatting" that only lists its subsections gives way to the
    "1.1 Managementsamenvatting" below it. Failing that, a shorter abstract will do.
    """
    # A page break ends a summary that has a paragraph's worth of words, as a blank line does.
    early = "\n\n".join(pages[:_ABSTRACT_PAGES])
    text = early + "\n\n" + "\n\n".join(pages[_ABSTRACT_PAGES:])
    short = None
    for heading in _HEADING.finditer(text):
        rest = text[heading.end() :]
        if _PAGE_NUMBER.match(rest):  # "Samenvatting 5": an entry of the table of contents
            continue
        line_end = _QUALIFIER.match(rest) if heading.start() < len(early) else _HEADING_LINE.match(rest)
        if heading.start() >= len(early) and line_end is None:
            continue
        if line_end is not None:
            rest = rest[line_end.end() :]
        body = _until_end(rest.lstrip(" \t\n:.—–-"), max_words)
        words = len(_WORD.findall(body))
        if words >= _MIN_WORDS and _is_prose(body):
            return body
        if short is None and words >= _MIN_WORDS // 2 and _is_prose(body) and heading.start() < len(early):
            short = body
    return short


def _until_end(text: str, max_words: int) -> str:
    """Lines up to the next heading, or enough words for the summary."""
    lines: list[str] = []
    words = 0
    for index, line in enumerate(text.splitlines()):
        if index and _END.match(line):
            break
        if not line.strip():
            if words >= _MIN_WORDS:
                break  # a blank line after enough text ends the abstract's paragraph
            continue
        if _FRONT_MATTER.search(line) and words:
            continue  # an affiliation or licence line set beside the abstract
        lines.append(line)
        words += len(line.split())
        if words > 2 * max_words:
            break
    return _join(lines)


def _first_paragraph(pages: Sequence[str]) -> str | None:
    """The first run of prose lines with at least ~25 words of real sentences."""
    # A repository's cover sheet is left out: its disclaimer reads like prose.
    text = _join_pages([page for page in pages if not _COVER_PAGE.search(page)])
    for run in _runs(text):
        paragraph = _join(_trim_heading_lines(run))
        if len(paragraph.split()) >= _MIN_WORDS and _is_prose(paragraph):
            return paragraph
    return None


def _join_pages(pages: Sequence[str]) -> str:
    """Pages as one text; a paragraph goes on over a page break only in mid-sentence."""
    text = ""
    for page in (page.strip() for page in pages):
        if page and text:
            continues = text[-1] not in ".!?:" and page[0].islower()
            text += ("\n" if continues else "\n\n") + page
        elif page:
            text = page
    return text


def _runs(page: str) -> list[list[str]]:
    """Consecutive lines of three words or more; anything else ends a run.

    A licence, copyright, address or affiliation line ends a run too, and throws away a
    run it ends early: what precedes such a line is a title and names, not a paragraph.
    """
    runs: list[list[str]] = []
    current: list[str] = []
    for line in page.splitlines():
        words = line.split()
        if _FRONT_MATTER.search(line):
            if sum(len(kept.split()) for kept in current) >= 2 * _MIN_WORDS:
                runs.append(current)
            current = []
        elif len(words) >= 3 and _has_lower_word(line) and not _is_contents_line(line):
            current.append(line)
        else:
            if words and current and line.rstrip()[-1:] in ".!?" and line[:1].islower():
                current.append(line)  # the short last line of a paragraph
            if current:
                runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def _is_contents_line(line: str) -> bool:
    """A table-of-contents entry: a short heading and a page number, no punctuation."""
    match = _CONTENTS_LINE.search(line)
    if match is None:
        return False
    return len(line.split()) <= 8 and not re.search(r"[,;:?!]", line[: match.start()])


def _has_lower_word(line: str) -> bool:
    # Lines of names only ("David D. Laitin") and labels are not running text.
    return any(word[:1].islower() and len(word) >= 2 for word in line.split())


def _trim_heading_lines(run: list[str]) -> list[str]:
    """Drop title and author lines above a paragraph: they are much shorter than its lines."""
    if len(run) < 4:
        return run
    typical = sorted(len(line) for line in run)[len(run) // 2]
    start = 0
    while start < len(run) - 3 and len(run[start].strip()) < 0.7 * typical:
        start += 1
    return run[start:]


def _is_prose(text: str) -> bool:
    """Real sentences: lower-case words among them and a sentence end after a word."""
    words = text.split()
    if not words:
        return False
    lower = sum(1 for word in words if word[:1].islower())
    # "interviewed." ends a sentence; the initial in "Rosalind M. Chow" does not.
    return bool(_WORD_THEN_STOP.search(text)) and lower >= 0.3 * len(words)


def _join(lines: Sequence[str]) -> str:
    """Lines as one paragraph, rejoining words hyphenated at a line end."""
    text = _HYPHEN_BREAK.sub("", "\n".join(line.strip() for line in lines))
    text = re.sub(r"[\x02\ufffe\xad]\n?", "", text)
    return " ".join(text.split())


def _cut(text: str, max_words: int) -> str | None:
    """At most max_words words, ending at a sentence end where one is in reach."""
    sentences = _SENTENCE_END.split(text)
    kept: list[str] = []
    count = 0
    for sentence in sentences:
        length = len(sentence.split())
        if count + length > max_words:
            break
        kept.append(sentence)
        count += length
    if len(kept) > 1 and not re.search(r"[.!?…][\"'”’)]*$", kept[-1]):
        kept.pop()  # the text stopped in the middle of this one
    if kept:
        return " ".join(kept)
    # The first sentence alone is too long: cut it at a word and say so.
    words = text.split()[:max_words]
    return " ".join(words).rstrip(",;:") + " …" if words else None
