"""How many of the passages shown for common theme words are reference-list entries.

    python bench/passages.py --library /tmp/topical-lib --build   # builds it from the topical corpus first
    python bench/passages.py --library /tmp/topical-lib --show 30  # and prints 30 passages to read

For each theme word: the passages of the top 5 hits (three each, as the results page
shows them) and those of the same hits' document pages for the word (up to ten, as the
document page shows them). A passage counts as a reference-list entry by a rule of its
own, independent of the detector in kenniskamer.text.layout (strict, so that prose which
cites a study in passing does not count):

- entry: the passage, on a page after the first (where "To cite this article: ..." quotes
  the document itself), says twice where a work was printed (a DOI or web address,
  "volume(issue): pages", "98, 956-966 (2010)", "pp. 118-125", ": 128-145.", "(Eds.)"), or
  once together with a year as reference lists print it ("(2015)", ". 2015. ", ", 2015. "),
  or it holds two years followed by a title ("(2015). Title", ". 2015. “Title") or two
  numbered works by initials and surname ("4. M. Fleming, ...", "[12] J. Smith, ...");
- position: or the passage lies after a heading "References" / "Literatuur" / "Bronnen" /
  "Bibliography" / "Literaturverzeichnis" / "Noten" / "Notes" (a line of its own) on its
  page or an earlier page after the document's first quarter, with no appendix heading
  ("Appendix", "Bijlage", "Anhang", "Annex", "Supplementary materials") in between.

In-text citations ("(Iyengar et al. 2019)", "Mudde (2004)", "(Lajevardi 2020, 108-31)")
do not count by themselves.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kenniskamer.library import Library  # noqa: E402
from kenniskamer.search import SearchEngine, SearchQuery  # noqa: E402
from kenniskamer.search.results import Passage  # noqa: E402

WORDS = ("polarisatie", "framing", "draagvlak", "integratie", "vluchtelingen", "populisme", "beeldvorming", "discriminatie")
TOP = 5
HIT_PASSAGES = 3
PAGE_PASSAGES = 10

_YEAR = r"(?:19|20)\d\d[a-z]?"
# A year as a reference list prints it: "(2015)" or ". 2015." / ", 2015." between the authors and the title.
_ENTRY_YEAR = re.compile(rf"\({_YEAR}\)|(?<=[.,] ){_YEAR}\.(?= )")
# The same followed by the title: "(2015). Title", ". 2015. “Title"; prose rarely ends two sentences so.
_TITLED_YEAR = re.compile(rf"\({_YEAR}\)[.,:]?\s[“\"‘'A-Z]|(?<=[.,] ){_YEAR}\.\s[“\"‘'A-Z]")
# Where a reference says where it was printed: a DOI or web address, volume(issue): pages,
# "98, 956–966 (2010)", "pp. 118–125", ": 128–145.", "(Eds.)".
_TAIL = re.compile(
    r"\b10\.\d{4,9}/|https?://|\b\d{1,4}\s?\(\d{1,4}(?:[-–/]\d{1,4})?\)\s?[:,]\s?\d"
    rf"|\b\d{{1,4}},\s?\d{{1,5}}\s?[–-]\s?\d{{1,5}}\s?\({_YEAR}\)|\bpp?\.\s?\d+\s?[–-]\s?\d+"
    r"|:\s?\d{1,5}\s?[–-]\s?\d{1,5}\.|\(Eds?\.\)|\(red\.\)|\(Hrsg\.\)"
)
_HEADING = re.compile(
    r"^\s*(?:\d+\.?\s*)?(?:references|reference list|bibliography|works cited|literature cited|literatuur(?:lijst)?"
    r"|bronnen(?:lijst)?|literaturverzeichnis|literatur|références|noten|endnotes|notes)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_APPENDIX = re.compile(
    r"^\s*(?:[A-Z]\.?\s+)?(?:online\s+)?(?:appendix|appendices|bijlagen?|anhang|annexe?"
    r"|supplement(?:al|ary)?(?:\s+materials?|\s+information)?|supporting information)\b",
    re.IGNORECASE | re.MULTILINE,
)
_SPACE = re.compile(r"\s+")


# A numbered list of works by initials and surname: "4. M. Fleming, Statement ...", "[12] J. Smith, ..."
_NUMBERED = re.compile(r"(?:^|\s)(?:\d{1,3}\.|\[\d{1,3}\])\s(?:[A-Z]\.\s?){1,3}[A-Z][\w'’-]+,")


def is_entry_text(text: str) -> bool:
    """True when the text holds a reference in a list's form (see the module docstring)."""
    tails = len(_TAIL.findall(text))
    return (
        tails >= 2 or (tails == 1 and bool(_ENTRY_YEAR.search(text))) or len(_TITLED_YEAR.findall(text)) >= 2
        or len(_NUMBERED.findall(text)) >= 2
    )


def after_heading(pages: tuple[str, ...], page: int, at: int) -> bool:
    """True when character ``at`` of page ``page`` (1-based) lies after a reference heading, no appendix between."""
    for number in range(page, len(pages) // 4, -1):
        text = pages[number - 1] if number != page else pages[number - 1][:at]
        headings = [m.start() for m in _HEADING.finditer(text)]
        appendices = [m.start() for m in _APPENDIX.finditer(text)]
        if headings or appendices:
            return bool(headings) and (not appendices or max(headings) > max(appendices))
    return False


def where(page_text: str, passage: Passage) -> int:
    """The passage's character offset on its page (-1 if it cannot be found)."""
    plain = passage.text.removeprefix("… ").removesuffix(" …").strip()
    probe = _SPACE.sub(" ", plain)[:60]
    squashed, offsets = [], []
    previous_space = False
    for index, char in enumerate(page_text):
        space = char.isspace()
        if space and previous_space:
            continue
        squashed.append(" " if space else char)
        offsets.append(index)
        previous_space = space
    found = "".join(squashed).find(probe)
    return offsets[found] if found >= 0 else -1


@dataclass(frozen=True)
class Shown:
    """One passage shown, where, and whether it is a reference entry by the rule."""

    word: str
    where: str  # "hit" or "page"
    filename: str
    page: int
    text: str
    entry: bool  # by the text
    listed: bool  # by its position after a heading

    @property
    def reference(self) -> bool:
        return self.entry or self.listed


def shown_passages(library: Library, words: tuple[str, ...] = WORDS) -> list[Shown]:
    """Every passage the results and document pages show for the words, judged by the rule."""
    engine = SearchEngine(library)
    found: list[Shown] = []
    pages_of: dict[str, tuple[str, ...]] = {}
    for word in words:
        result = engine.search(SearchQuery(word, page_size=TOP, passages=HIT_PASSAGES))
        for hit in result.hits:
            doc = hit.doc
            pages = pages_of.setdefault(doc.doc_id, library.pages(doc.doc_id))
            shown = [("hit", p) for p in hit.passages] + [("page", p) for p in engine.passages(doc.doc_id, word, limit=PAGE_PASSAGES)]
            for place, passage in shown:
                text = pages[passage.page - 1]
                at = where(text, passage)
                found.append(Shown(word, place, doc.filename, passage.page, passage.text, passage.page > 1 and is_entry_text(passage.text),
                                   at >= 0 and after_heading(pages, passage.page, at)))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--library", type=Path, required=True, help="a library of the topical corpus")
    parser.add_argument("--build", action="store_true", help="build the library first if it is empty")
    parser.add_argument("--show", type=int, default=0, help="print this many passages: the reference entries first, then others")
    parser.add_argument("--json", action="store_true", help="print every passage as JSON lines")
    args = parser.parse_args()
    if args.build:
        from tests.relevance.evaluate import build_library

        library = build_library(args.library)
    else:
        library = Library.open(args.library)
    shown = shown_passages(library)
    if args.json:
        for item in shown:
            print(json.dumps(item.__dict__, ensure_ascii=False))
        return
    print(f"{'word':15}{'shown':>7}{'refs':>6}{'hits':>6}{'pages':>7}")
    for word in WORDS:
        mine = [s for s in shown if s.word == word]
        refs = [s for s in mine if s.reference]
        print(f"{word:15}{len(mine):7}{len(refs):6}{sum(s.where == 'hit' for s in refs):6}{sum(s.where == 'page' for s in refs):7}")
    refs = [s for s in shown if s.reference]
    share = len(refs) / len(shown) if shown else 0.0
    by_text, by_place = sum(s.entry for s in refs), sum(s.listed for s in refs)
    print(f"total: {len(refs)} of {len(shown)} passages are reference-list entries ({share:.1%}); "
          f"{by_text} by their text, {by_place} by their place after a heading")
    if args.show:
        others = [s for s in shown if not s.reference]
        for item in (refs + others)[: args.show]:
            label = "REF " + ("text" if item.entry else "") + ("+place" if item.listed else "") if item.reference else "prose"
            print(f"\n[{label}] {item.word} {item.where} {item.filename} p.{item.page}\n  {item.text}")


if __name__ == "__main__":
    main()
