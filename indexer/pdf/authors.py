"""The authors: metadata, the byline under the title, or a suggested citation."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from indexer.pdf.lines import Line
from indexer.pdf.metadata import Meta, metadata_authors
from indexer.pdf.names import (
    AFFILIATION_WORD,
    NAME_MARKS,
    could_be_names,
    find_cited_authors,
    join_name_lines,
    name_pieces,
    split_affiliation,
    surname_key,
    unique,
)
from indexer.pdf.title import TitleSpot, is_furniture, same_size

_AFFILIATION_LINE = re.compile(r"@|(?i:correspond|e-?mail\b|present address)")


_MARK_LINE = re.compile(r"[\W\d_]*[a-z]?[\W\d_]*")  # "*", "1", "a", "†", "1,2": marks on a line of their own


@dataclass
class _Byline:
    """Byline lines being collected below a title."""

    texts: list[str] = field(default_factory=list)
    size: float = 0.0
    marked: bool = False  # footnote marks or superscripts: names, not a subtitle
    affiliated: bool = False

    def take(self, line: Line, text: str, affiliated: bool) -> None:
        self.texts.append(text)
        self.size = self.size or line.size
        self.marked = self.marked or line.plain is not None or bool(NAME_MARKS.search(text))
        self.affiliated = self.affiliated or affiliated


def _byline_names(texts: Sequence[str]) -> list[str] | None:
    """The names in byline lines; a last line that only seemed to go on is left out."""
    for end in range(len(texts), 0, -1):
        names = name_pieces(join_name_lines(texts[:end]))
        if names:
            return names
    return None


def _names_below(lines: Sequence[Line], last: int) -> tuple[list[str], bool]:
    """Names in the lines right below a title (lines[last] is its last line), and whether
    something beside the names (marks, an affiliation) says they are authors."""
    names: list[str] = []
    evidence = False
    byline, previous, skipped = _Byline(), lines[last], 0
    first_size = 0.0
    for line in lines[last + 1 : last + 14]:
        text = (line.plain or line.text).strip()
        if _MARK_LINE.fullmatch(text):
            byline.marked = byline.marked or bool(byline.texts)
            continue
        gap = previous.y - line.y
        if not -0.5 * line.size <= gap <= (4.5 if not names and not byline.texts else 3.0) * line.size:
            break
        previous = line
        name_part, affiliated = split_affiliation(text)
        may_continue = not names or (
            len(names) == 1 and (same_size(line.size, first_size) or (affiliated and evidence))
        )
        taken = bool(
            name_part
            and may_continue
            and name_pieces(join_name_lines([*byline.texts, name_part]), allow_tail=True)
        )
        if taken and name_part:
            byline.take(line, name_part, affiliated)
            if not affiliated:
                continue
        if byline.texts:
            found = _byline_names(byline.texts)
            if not found:
                break
            names.extend(found)
            evidence = evidence or byline.marked or byline.affiliated
            first_size = first_size or byline.size
            byline = _Byline()
            if len(names) >= 2 and len(found) >= 2:
                break
            if taken:
                continue
        if AFFILIATION_WORD.search(text) or _AFFILIATION_LINE.search(text):
            if not names:
                break
            evidence = True
        elif names or skipped >= 2 or not is_furniture(text):
            break
        else:
            skipped += 1
    if byline.texts:
        found = _byline_names(byline.texts)
        if found:
            names.extend(found)
            evidence = evidence or byline.marked or byline.affiliated
    return unique(names), evidence


def _names_above(lines: Sequence[Line], spot: TitleSpot) -> tuple[list[str], bool]:
    """Names printed just before the title in reading order: above it, or (in some working
    papers) below it but read first."""
    top, bottom = lines[spot.first].y, lines[spot.last].y
    picked: list[Line] = []
    for line in reversed(lines[max(0, spot.first - 3) : spot.first]):
        text = (line.plain or line.text).strip()
        if _MARK_LINE.fullmatch(text):
            continue
        if not could_be_names(text):
            break
        picked.insert(0, line)
    # The lines nearest the title that read as names together ("Communications 2022; 47(1)"
    # above a byline does not).
    for start in range(len(picked)):
        named = picked[start:]
        names = name_pieces(join_name_lines([line.plain or line.text for line in named]))
        if not names:
            continue
        near = min(line.y - top if line.y > top else bottom - line.y for line in named)
        steps = [abs(a.y - b.y) for a, b in zip(named, named[1:])]
        if not 0 < near <= 4 * named[0].size or any(step > 2.5 * named[0].size for step in steps):
            return [], False
        return names, any(line.plain is not None or NAME_MARKS.search(line.text) for line in named)
    return [], False


def _layout_authors(layouts: Sequence[Sequence[Line]], spot: TitleSpot | None) -> list[str]:
    """Authors printed with the title: below it, else just before it; one name only with
    marks or an affiliation beside it (a lone "Onze Welvaart" is no author)."""
    if spot is None or spot.page is None or spot.page >= len(layouts):
        return []
    lines = layouts[spot.page]
    names, evidence = _names_below(lines, spot.last)
    if not names:
        names, evidence = _names_above(lines, spot)
    return names if len(names) >= 2 or evidence else []


def _covers(more: Sequence[str], fewer: Sequence[str]) -> bool:
    """Whether every surname in fewer is among those in more."""
    return {surname_key(name) for name in fewer} <= {surname_key(name) for name in more}


def choose_authors(
    meta: Meta, layouts: Sequence[Sequence[Line]], spot: TitleSpot | None, first_pages: str
) -> tuple[tuple[str, ...], str | None]:
    """The authors and where they came from: metadata, else the byline under the title
    ("layout"), else a suggested citation ("heuristic"). A printed list that holds all the
    metadata names and more wins: metadata often names only the first author."""
    from_meta = metadata_authors(meta)
    printed, origin = _layout_authors(layouts, spot), "layout"
    cited = find_cited_authors(first_pages)
    if not printed or (len(cited) > len(printed) and _covers(cited, printed)):
        printed, origin = cited, "heuristic"
    if from_meta and not (len(printed) > len(from_meta) and _covers(printed, from_meta)):
        return from_meta, "metadata"
    return (tuple(printed), origin) if printed else ((), None)
