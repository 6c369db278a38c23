"""The search engine: a query and filters in, our own values out (never Whoosh objects).

Matching is decided per document (a document matches ``a b`` when it holds both words
anywhere); ranking comes from the best-scoring records of each document, so every hit
can show its best passages with their page numbers.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from kenniskamer.errors import DocumentNotFoundError, QueryError
from kenniskamer.index.read import CommitUnavailable, OpenIndex, Snapshot
from kenniskamer.index.schema import TEXT_SUFFIXES, text_suffix
from kenniskamer.library import Library
from kenniskamer.models import Document
from kenniskamer.search.facets import FACETS, FILTER_FIELDS, chosen_values, facet_counts
from kenniskamer.search.hybrid import (
    KEYWORD_WORDS,
    Meaning,
    blend,
    content_words,
    found_by_meaning,
    fuse,
    fused_pages,
    meaning_text,
    refine,
)
from kenniskamer.search.passages import PASSAGE_CHARS, SPARE_PAGES, candidate_pages, highlight, marked_terms
from kenniskamer.search.query import (
    STUDY_FACETS,
    Node,
    Or,
    merge_phrases,
    parse_query,
    read_query,
    resolve_language,
    resolve_study,
    resolve_type,
)
from kenniskamer.search.rank import Run, is_bag_of_words, only_stopwords
from kenniskamer.search.related import related_documents
from kenniskamer.search.results import Hit, Passage, SearchPage, SearchQuery
from kenniskamer.search.suggest import Suggester
from kenniskamer.search.table import DocTable
from kenniskamer.text.prose import fold
from kenniskamer.themes import Theme, load_themes
from kenniskamer.thesaurus import Thesaurus, load_thesaurus

SORTS = ("relevance", "newest", "added")
FRESHNESS_SECONDS = 1.0  # how often a search checks for a newer commit
PASSAGE_CANDIDATES = 12  # stretches of a document meaning ranks to choose its pages from

__all__ = ["FILTER_FIELDS", "FRESHNESS_SECONDS", "SORTS", "SearchEngine"]


class SearchEngine:
    """Searches one library; reuses its snapshot until the index changes."""

    def __init__(
        self,
        library: Library,
        *,
        themes: Sequence[Theme] | None = None,
        thesaurus: Thesaurus | None = None,
        meaning: Meaning | bool = True,
    ):
        """``meaning``: True opens the library's vectors when first needed (if the library has
        them and meaning search is on), False searches by words alone, or a Meaning to use."""
        self.library = library
        self._meaning: Meaning | bool | None = meaning
        self._meaning_tried = -FRESHNESS_SECONDS
        self._themes = None if themes is None else tuple(themes)
        self.thesaurus = load_thesaurus() if thesaurus is None else thesaurus
        self._suggester = Suggester(library, self.thesaurus)
        self._lock = threading.Lock()
        self._index: OpenIndex | None = None
        self._local = threading.local()  # each thread's snapshot and when it last looked for a commit
        self._open: list[Snapshot] = []
        # Snapshots hold their segment files open: closed with the engine, or when it is dropped.
        weakref.finalize(self, _close_all, self._open)
        self._tables: dict[int, DocTable] = {}
        self._latest: int | None = None  # the newest commit seen, shared by all threads
        self._checked = 0.0

    # -- plumbing --

    def _current(self) -> tuple[Snapshot, DocTable]:
        """This thread's snapshot of the latest commit, and the shared table of that commit.

        Whoosh searchers are not safe to share between threads, so each thread (a
        waitress worker, say) keeps its own; the table depends only on the commit,
        so threads share one per commit.
        """
        local = self._local
        snapshot: Snapshot | None = getattr(local, "snapshot", None)
        if snapshot is None:
            with self._lock:
                if self._index is None:
                    self._index = OpenIndex(self.library)
                snapshot = self._index.snapshot()
                self._open.append(snapshot)
                self._seen(snapshot.generation)
            local.snapshot = snapshot
        latest = self._latest_generation()
        if latest is not None and snapshot.generation != latest:
            snapshot = local.snapshot = self._reopen(snapshot)
        generation = snapshot.generation
        table = self._tables.get(generation)
        if table is None:
            with self._lock:
                table = self._tables.get(generation)
                if table is None:
                    table = DocTable(snapshot)
                    # Threads meet at most two commits at once (the old one until they refresh).
                    newest = max(self._tables, default=generation)
                    self._tables = {g: t for g, t in self._tables.items() if g == newest} | {generation: table}
        return snapshot, table

    def _reopen(self, snapshot: Snapshot) -> Snapshot:
        """A snapshot of the newest commit in place of ``snapshot``; ``snapshot`` itself if that fails.

        A new searcher rather than ``Searcher.refresh()``: Whoosh 2.7.4 closes the old
        readers on each of its retries when a writer merges a segment away meanwhile,
        which left the thread with a closed searcher for good. Opening can fail the same
        way; the old snapshot still reads its own commit (its files stay open), and the
        next search tries again.
        """
        assert self._index is not None
        try:
            fresh = self._index.snapshot()
        except CommitUnavailable:
            return snapshot
        with self._lock:
            self._open[self._open.index(snapshot)] = fresh
            self._seen(fresh.generation)
        snapshot.close()
        return fresh

    def _seen(self, generation: int) -> None:
        """A snapshot was opened on ``generation``, the newest on disk at that moment (hold the lock).

        Every thread moves on to it at its next search, so no response shows an older
        commit than one before it did. (Opening a snapshot always takes the newest commit,
        which can be newer than the once-a-second look-up last saw.)
        """
        if self._latest is None or generation > self._latest:
            self._latest = generation

    def _latest_generation(self) -> int | None:
        """The index's latest commit, looked up at most once a second for all threads.

        Listing the index folder costs milliseconds; sharing the answer also keeps the
        threads in step, so no response shows older results than one before it.
        """
        now = time.monotonic()
        if now - self._checked >= FRESHNESS_SECONDS:
            with self._lock:
                if now - self._checked >= FRESHNESS_SECONDS and self._index is not None:
                    self._latest = self._index.latest_generation()
                    self._checked = now
        return self._latest

    def close(self) -> None:
        """Release every thread's snapshot and the index files."""
        with self._lock:
            _close_all(self._open)
            self._tables = {}
            self._index = None
            self._local = threading.local()

    def _resolve(self, field_name: str, value: str) -> str:
        if field_name == "theme":
            return self.theme_id(value)
        if field_name == "language":
            return resolve_language(value)
        if field_name == "type":
            return resolve_type(value)
        if field_name in STUDY_FACETS:
            return resolve_study(field_name, value)
        return value

    @property
    def themes(self) -> tuple[Theme, ...]:
        """The themes, read when first needed: most searches have no theme filter to resolve."""
        if self._themes is None:
            self._themes = tuple(load_themes())
        return self._themes

    def theme_id(self, value: str) -> str:
        """A theme id from an id or a Dutch or English label; QueryError otherwise."""
        folded = fold(value).replace("-", " ").strip()
        for theme in self.themes:
            if folded in (fold(name).replace("-", " ") for name in (theme.id, theme.label_nl, theme.label_en)):
                return theme.id
        ids = ", ".join(theme.id for theme in self.themes)
        raise QueryError(f"thema:{value} is not a theme; use one of {ids}.")

    # -- searching --

    def search(self, query: SearchQuery) -> SearchPage:
        """Run a query: hits for the asked page, facet counts, suggestions and expansions."""
        started = time.perf_counter()
        if query.sort not in SORTS:
            raise QueryError(f"Cannot sort by {query.sort!r}; use one of {', '.join(SORTS)}.")
        if query.page < 1 or query.page_size < 1:
            raise QueryError("The page number and page size must be at least 1.")
        tree, read_as = read_query(query.text, self._resolve)
        if query.expand and tree is not None:
            tree = merge_phrases(tree, self.thesaurus.find_phrases)
        snapshot, table = self._current()
        chosen = chosen_values(query.filters, self._resolve)
        masks = {name: FACETS[name].mask(table, values) for name, values in chosen.items()}
        selected = table.all_of(list(masks.values()))
        run = Run(self.thesaurus, snapshot, table, query.expand)
        found = run.documents(tree)  # what the query alone matches; the filters narrow it down
        notices: list[str] = []
        suggestion = self._suggester.query(tree)
        corrected_from = None
        if suggestion is not None:
            # A word the library does not know at all is most likely misspelt: if the
            # corrected query finds something, show that (and say so).
            corrected = merge_phrases(parse_query(suggestion, self._resolve), self.thesaurus.find_phrases)
            fixed_run = Run(self.thesaurus, snapshot, table, query.expand)
            fixed = fixed_run.documents(corrected)
            if (fixed & selected).any():
                found, tree, run, corrected_from = fixed, corrected, fixed_run, query.text
        if not (found & selected).any() and is_bag_of_words(tree):
            loose = run.documents(Or(tree.parts))  # type: ignore[union-attr]
            if (loose & selected).any():
                found = loose
                tree = Or(tree.parts)  # type: ignore[union-attr]
                notices.append("no-document-has-all-words")
        sense = self._sense(run, tree)
        relevance = None
        if sense is not None and sense.words > KEYWORD_WORDS and is_bag_of_words(tree):
            # A question: its words find what holds any of them, and the fusion ranks (a
            # Dutch question's own words are seldom all in the English study that answers it).
            found = run.documents(Or(tree.parts))  # type: ignore[union-attr]
        by_words = found
        if sense is not None:
            found = found | found_by_meaning(sense.cosines, run.conditions(tree))
        matched = found & selected
        if sense is not None:
            words_score, scored = run.score(tree, matched)
            relevance = fuse(words_score, scored, sense.cosines, matched, sense.words)
        ranked, totals = run.rank(tree, matched, query.sort, relevance=relevance)
        start = (query.page - 1) * query.page_size
        shown = ranked[start : start + query.page_size].tolist()
        hits = self._hits(run, shown, totals, query.passages, sense, by_words)
        # A document removed from the catalog stays in the index until the remover's index
        # commit, a moment later: it is not shown, so it is not counted either.
        total = int(matched.sum()) - (len(shown) - len(hits))
        return SearchPage(
            query=query,
            hits=tuple(hits),
            total=total,
            facets=facet_counts(table, found, masks, chosen),
            suggestion=suggestion,
            corrected_from=corrected_from,
            expansions=tuple(run.expansions),
            notices=tuple(notices),
            read_as=read_as,
            elapsed_ms=(time.perf_counter() - started) * 1000,
        )

    def _sense(self, run: Run, tree: Node | None, *, ranking: bool = True) -> _Sense | None:
        """The query's vector and every document's closeness to it; None without meaning or words.

        ``ranking``: the closeness ranks documents, so e5's cosines are mixed in (choosing one
        document's pages needs only the vector).
        """
        meaning = self._meaning_index()
        text = meaning_text(tree, run.expansions)
        if meaning is None or not text:
            return None
        ids = run.table.doc_ids
        retrieval = meaning.retrieval_scores_later(text, ids) if ranking else lambda: None  # e5's, beside USE's
        vector = meaning.encode_query(text)
        cosines = blend(refine(meaning, vector, meaning.document_scores(vector, ids), ids), retrieval())
        return _Sense(vector, cosines, content_words(tree, only_stopwords))

    def _meaning_index(self) -> Meaning | None:
        """The library's vectors, opened when first needed and refreshed at most once a second."""
        if self._meaning is True:
            now = time.monotonic()
            if now - self._meaning_tried >= FRESHNESS_SECONDS:  # a library without vectors yet: look again later
                self._meaning_tried = now
                from kenniskamer.meaning.index import MeaningIndex  # the encoder loads only when a search needs it

                opened = MeaningIndex.open(self.library)
                self._meaning = opened if opened is not None else bool(self.library.meaning)
            if self._meaning is True:
                return None
        if self._meaning is False or self._meaning is None:
            return None
        assert not isinstance(self._meaning, bool)
        self._meaning.refresh()
        return self._meaning

    def _hits(
        self, run: Run, ordinals: Sequence[int], totals: np.ndarray, passages: int, sense: _Sense | None = None,
        by_words: np.ndarray | None = None,
    ) -> list[Hit]:
        """Hits with their passages (the best pages by words, and by meaning too) for the shown documents."""
        table = run.table
        docs = self._documents([table.doc_ids[o] for o in ordinals])
        pages_of = {table.doc_ids[o]: self._pages(run, o, sense, passages) for o in ordinals}
        texts = self.library.page_texts(
            [(doc_id, page) for doc_id, pages in pages_of.items() for page, _ in pages]
        )
        marked = {suffix: marked_terms(run.highlight, suffix) for suffix in TEXT_SUFFIXES}
        hits = []
        for ordinal in ordinals:
            doc_id = table.doc_ids[ordinal]
            if doc_id not in docs:
                continue
            doc = docs[doc_id]
            suffix = text_suffix(doc.language)
            references = table.references.get(ordinal, {})
            found = _passages(pages_of[doc_id], texts, doc_id, marked[suffix], suffix, references, passages)
            alone = by_words is not None and not by_words[ordinal]
            hits.append(Hit(doc, float(totals[ordinal]), found, by_meaning=alone))
        return hits

    def _pages(self, run: Run, ordinal: int, sense: _Sense | None, limit: int) -> list[tuple[int, tuple[int, int] | None]]:
        """The pages worth reading for ``limit`` passages of a document, best first, each with the
        stretch meaning chose on it (None: the words choose). No page that is all reference list."""
        references = run.table.references.get(ordinal, {})
        # The word pages fused are as many whatever the limit: a hit's pages are then the first
        # of its document page's (a longer word list changes the fused order).
        word_pages = candidate_pages(run.pages(ordinal), references, max(limit, PASSAGE_CANDIDATES) if limit else 0)
        meaning = self._meaning if sense is not None and not isinstance(self._meaning, bool) else None
        if meaning is None or sense is None:
            return [(page, None) for page in word_pages[: limit + SPARE_PAGES]]
        spans: dict[int, tuple[int, int]] = {}
        for page, begin, end, _ in meaning.passages(sense.vector, run.table.doc_ids[ordinal], PASSAGE_CANDIDATES):
            low, high = references.get(page, (1, 0))
            if page not in spans and not (begin < high and end > low):  # a stretch of the reference list is no passage
                spans[page] = (begin, end)
        chosen = fused_pages(word_pages, list(spans), sense.words, limit + SPARE_PAGES)
        return [(page, spans.get(page)) for page in chosen]

    def passages(self, doc_id: str, text: str, *, limit: int = 10) -> tuple[Passage, ...]:
        """The best passages of one document for a query, best first: its pages as the ranker scores them."""
        doc = self.library.get(doc_id)
        tree, _ = read_query(text, self._resolve)
        if tree is None:
            return ()
        snapshot, table = self._current()
        ordinal = table.ordinal.get(doc_id)
        if ordinal is None:  # in the catalog, not yet in the index
            return ()
        run = Run(self.thesaurus, snapshot, table, True)
        tree = merge_phrases(tree, self.thesaurus.find_phrases)
        run.score(tree, table.only(ordinal))
        pages = self._pages(run, ordinal, self._sense(run, tree, ranking=False), limit)
        texts = self.library.page_texts([(doc_id, page) for page, _ in pages])
        suffix = text_suffix(doc.language)
        marked = marked_terms(run.highlight, suffix)
        return _passages(pages, texts, doc_id, marked, suffix, table.references.get(ordinal, {}), limit)

    def related(self, doc_id: str, *, limit: int = 5) -> list[Hit]:
        """Documents most like this one (shared key terms and themes)."""
        snapshot, table = self._current()
        doc = self.library.get(doc_id)
        ranked = related_documents(snapshot, table, doc, self.library.pages(doc_id), limit=limit)
        docs = self._documents([table.doc_ids[o] for o, _ in ranked])
        return [Hit(docs[table.doc_ids[o]], score) for o, score in ranked if table.doc_ids[o] in docs]

    def _documents(self, doc_ids: Sequence[str]) -> dict[str, Document]:
        found: dict[str, Document] = {}
        for doc_id in doc_ids:
            try:
                found[doc_id] = self.library.get(doc_id)
            except DocumentNotFoundError:  # removed from the catalog, index not yet repaired
                continue
        return found


@dataclass(frozen=True)
class _Sense:
    """A query as meaning search sees it."""

    vector: np.ndarray
    cosines: np.ndarray  # per document ordinal; NaN without a vector
    words: int  # content words of the query


def _passages(
    pages: Sequence[tuple[int, tuple[int, int] | None]],
    texts: Mapping[tuple[str, int], str],
    doc_id: str,
    terms: set[str],
    suffix: str,
    references: Mapping[int, tuple[int, int]],
    limit: int,
) -> tuple[Passage, ...]:
    """Up to ``limit`` passages of the pages in order: the query's words marked where a page has
    them outside its reference list, else the stretch meaning chose there."""
    found: list[Passage] = []
    for page, span in pages:
        if len(found) >= limit:
            break
        text = texts.get((doc_id, page), "")
        passage = highlight(text, page, terms, suffix, references=references.get(page))
        if passage is None and span is not None:
            passage = _stretch(text, page, span)
        if passage is not None:
            found.append(passage)
    return tuple(found)


def _stretch(text: str, page: int, span: tuple[int, int]) -> Passage | None:
    """The stretch of a page meaning chose, unmarked, at most a passage long."""
    begin, end = span
    stretch = " ".join(text[begin:end].split())
    if len(stretch) > PASSAGE_CHARS:
        cut = stretch.rfind(" ", 0, PASSAGE_CHARS)
        stretch = stretch[: cut if cut > 0 else PASSAGE_CHARS] + " …"
    return Passage(page, ((stretch, False),)) if stretch else None


def _close_all(snapshots: list[Snapshot]) -> None:
    for snapshot in snapshots:
        snapshot.close()
    snapshots.clear()
