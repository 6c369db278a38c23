"""Search: a query and filters in, our own values out (never Whoosh objects).

Matching is decided per document (a document matches ``a b`` when it holds both words
anywhere); ranking comes from the best-scoring records of each document, so every hit
can show its best passages with their page numbers.
"""

from __future__ import annotations

import math
import re
import threading
import time
import weakref
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from kenniskamer.errors import DocumentNotFoundError, QueryError
from kenniskamer.index.analysis import analyze, stopwords
from kenniskamer.index.codec import importing_whoosh
from kenniskamer.index.postings import PostingCache, column_values
from kenniskamer.index.read import open_index
from kenniskamer.index.schema import FACET_FIELDS, TEXT_SUFFIXES, text_suffix
from kenniskamer.library.catalog import Library
from kenniskamer.models import Document
from kenniskamer.search.query import (
    And,
    Node,
    Not,
    Or,
    Phrase,
    Value,
    Words,
    YearRange,
    leaves,
    merge_phrases,
    parse_query,
    resolve_language,
    resolve_type,
    to_text,
)
from kenniskamer.text.prose import WORD, fold
from kenniskamer.themes import Theme, load_themes
from kenniskamer.thesaurus import Thesaurus, load_thesaurus

with importing_whoosh():
    from whoosh import query as wq
    from whoosh.index import IndexError as WhooshIndexError
    from whoosh.query.compound import DefaultOr
    from whoosh.reading import ReaderClosed, TermNotFound
    from whoosh.searching import Searcher


def _any(queries: Sequence[wq.Query]) -> wq.Query:
    """An OR of queries as a tree of union matchers.

    Whoosh's automatic choice preloads every match into an array sized to the
    whole index for small indexes, which costs more than the search itself.
    """
    return queries[0] if len(queries) == 1 else DefaultOr(list(queries))

SORTS = ("relevance", "newest", "added")
FILTER_FIELDS = FACET_FIELDS + ("decade",)
FIELD_BOOSTS = {"title": 3.0, "summary": 2.0, "body": 1.0, "author": 2.0}
EXPANSION_BOOST = 0.4  # thesaurus terms rank below what the user typed
PAGE_WEIGHTS = (1.0, 0.5, 0.25)
REFERENCES_WEIGHT = 0.2  # a word in a cited title says little about what a study is about  # best pages of a document, added up with these weights
FRESHNESS_SECONDS = 1.0  # how often a search checks for a newer commit
PASSAGE_CHARS = 320  # characters of page text around the matches
TERM_CACHE_SIZE = 200_000  # (field, term) -> occurs at all, per commit


# -- values ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchQuery:
    """What a user asked for."""

    text: str = ""
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sort: str = "relevance"
    page: int = 1
    page_size: int = 10
    expand: bool = True  # use the thesaurus
    passages: int = 3  # highlighted passages per hit


@dataclass(frozen=True)
class Passage:
    """A highlighted stretch of one page: fragments of (text, is_match)."""

    page: int
    fragments: tuple[tuple[str, bool], ...]

    @property
    def text(self) -> str:
        """The passage as plain text."""
        return "".join(text for text, _ in self.fragments)

    def marked(self, before: str = "[", after: str = "]") -> str:
        """The passage with matches wrapped in ``before`` and ``after``."""
        return "".join(f"{before}{text}{after}" if hit else text for text, hit in self.fragments)


@dataclass(frozen=True)
class Hit:
    """One document in a result list."""

    doc: Document
    score: float
    passages: tuple[Passage, ...] = ()

    @property
    def page(self) -> int | None:
        """The page of the best passage, if any."""
        return self.passages[0].page if self.passages else None


@dataclass(frozen=True)
class FacetCount:
    """One value of a facet with the number of matching documents."""

    value: str
    count: int
    selected: bool = False


@dataclass(frozen=True)
class SearchPage:
    """One page of results with everything a shell needs to draw it."""

    query: SearchQuery
    hits: tuple[Hit, ...]
    total: int
    facets: dict[str, list[FacetCount]]
    suggestion: str | None = None  # "did you mean"
    corrected_from: str | None = None  # the results are for `suggestion`, not for this
    expansions: tuple[str, ...] = ()  # what the thesaurus added ("ook gezocht op")
    notices: tuple[str, ...] = ()  # e.g. "no document holds every word"
    elapsed_ms: float = 0.0

    @property
    def page_count(self) -> int:
        """How many result pages there are."""
        return max(1, -(-self.total // max(1, self.query.page_size)))


# -- the per-commit table of documents -------------------------------------------------------

SINGLE_FACETS = ("type", "language", "year", "decade", "publisher")  # one value per document


class _DocTable:
    """What one commit's searches share: every document's facet values, the record -> document
    map, and the posting arrays read so far. Built once per commit, used by every thread.

    Documents are numbered 0..n-1 (ordinals); record numbers are Whoosh's. Sets of
    documents are boolean arrays over the ordinals.
    """

    def __init__(self, searcher: Searcher):
        reader = searcher.reader()
        self.doc_ids: list[str] = []
        ordinal: dict[str, int] = {}
        values: dict[str, list[Any]] = {name: [] for name in SINGLE_FACETS}
        themes: list[tuple[str, ...]] = []
        added: list[str] = []
        dated: list[str] = []
        for docnum in searcher.document_numbers(kind="doc"):
            stored = searcher.stored_fields(docnum)
            ordinal[stored["doc_id"]] = len(self.doc_ids)
            self.doc_ids.append(stored["doc_id"])
            year = stored.get("year")
            values["type"].append(stored.get("type") or None)
            values["language"].append(stored.get("language") or None)
            values["year"].append(year or None)
            values["decade"].append(year // 10 * 10 if year else None)
            values["publisher"].append(stored.get("publisher") or None)
            themes.append(tuple(t for t in (stored.get("theme") or "").split(",") if t))
            added.append(stored.get("added") or "")
            dated.append(stored.get("date") or str(year or ""))
        count = self.size = len(self.doc_ids)
        # Each single-valued facet: its distinct values and every document's code (-1: none).
        self.values: dict[str, list[Any]] = {}
        self.codes: dict[str, np.ndarray] = {}
        for name, column in values.items():
            distinct = sorted({v for v in column if v is not None}, key=str)
            code = {v: i for i, v in enumerate(distinct)}
            self.values[name] = distinct
            self.codes[name] = np.array([code.get(v, -1) if v is not None else -1 for v in column], dtype=np.int64)
        self.values["theme"] = sorted({t for ts in themes for t in ts})
        theme_code = {t: i for i, t in enumerate(self.values["theme"])}
        self.theme_matrix = np.zeros((count, len(self.values["theme"])), dtype=bool)
        for row, ts in enumerate(themes):
            self.theme_matrix[row, [theme_code[t] for t in ts]] = True
        # Sort keys as dense ranks: the newest publication date, the latest addition.
        self.date_rank = _ranks(dated)
        self.added_rank = _ranks(added)
        self.years = np.array([year or 0 for year in values["year"]], dtype=np.int64)  # 0: unknown
        # Records: their document (``size`` for a deleted or orphaned record), page and weight.
        owners = np.array([ordinal.get(v, count) for v in column_values(searcher, "doc_id")], dtype=np.int64)
        if reader.has_deletions():
            alive = np.zeros(len(owners), dtype=bool)
            alive[np.fromiter(reader.all_doc_ids(), dtype=np.int64)] = True
            owners[~alive] = count
        self.record_doc = owners
        self.record_page = np.array(column_values(searcher, "page"), dtype=np.int64)
        refs = np.array(column_values(searcher, "refs"), dtype=np.int64)
        self.record_weight = np.where(refs > 0, REFERENCES_WEIGHT, 1.0)
        self.all = np.ones(count, dtype=bool)
        self.none = np.zeros(count, dtype=bool)
        self.postings = PostingCache(len(owners))
        self._terms: dict[tuple[str, str], bool] = {}

    def has_term(self, searcher: Searcher, fieldname: str, text: str) -> bool:
        """True if the term occurs in the field (cached for this commit)."""
        key = (fieldname, text)
        found = self._terms.get(key)
        if found is None:
            if len(self._terms) >= TERM_CACHE_SIZE:  # random queries must not grow it without end
                self._terms.clear()
            found = self._terms[key] = searcher.reader().doc_frequency(fieldname, text) > 0
        return found

    def documents_of(self, records: np.ndarray) -> np.ndarray:
        """The set of documents owning these records."""
        found = np.zeros(self.size + 1, dtype=bool)
        found[self.record_doc[records]] = True
        return found[: self.size]

    def value_mask(self, name: str, wanted: Iterable[Any]) -> np.ndarray:
        """Documents whose facet ``name`` has any of the wanted values."""
        wanted = set(wanted)
        chosen = [i for i, v in enumerate(self.values[name]) if v in wanted]
        if not chosen:
            return self.none.copy()
        if name == "theme":
            return np.asarray(self.theme_matrix[:, chosen].any(axis=1))
        return np.isin(self.codes[name], chosen)

    def year_mask(self, low: int | None, high: int | None) -> np.ndarray:
        """Documents published from ``low`` to ``high`` (inclusive; None: open)."""
        years = self.years
        mask = years > 0
        if low is not None:
            mask &= years >= low
        if high is not None:
            mask &= years <= high
        return mask


def _ranks(keys: Sequence[str]) -> np.ndarray:
    """Each key's place among the distinct keys, in ascending order (equal keys, equal places)."""
    return np.unique(np.array(keys, dtype=str), return_inverse=True)[1].astype(np.int64)


# -- the engine -----------------------------------------------------------------------------


class SearchEngine:
    """Searches one library; reuses its searcher until the index changes."""

    def __init__(self, library: Library, *, themes: Sequence[Theme] | None = None, thesaurus: Thesaurus | None = None):
        self.library = library
        self._themes = None if themes is None else tuple(themes)
        self.thesaurus = load_thesaurus() if thesaurus is None else thesaurus
        self._lock = threading.Lock()
        self._index: Any = None
        self._local = threading.local()  # each thread's searcher and when it last looked for a commit
        self._open: list[Searcher] = []
        # Searchers hold their segment files open: closed with the engine, or when it is dropped.
        weakref.finalize(self, _close_all, self._open)
        self._tables: dict[int, _DocTable] = {}
        self._latest: int | None = None  # the newest commit seen, shared by all threads
        self._checked = 0.0
        self._vocabulary: tuple[int, dict[str, int], dict[int, list[str]]] | None = None

    # -- plumbing --

    def _current(self) -> tuple[Searcher, _DocTable]:
        """This thread's searcher on the latest commit, and the shared table of that commit.

        Whoosh searchers are not safe to share between threads, so each thread (a
        waitress worker, say) keeps its own; the table depends only on the commit,
        so threads share one per commit.
        """
        local = self._local
        searcher: Searcher | None = getattr(local, "searcher", None)
        if searcher is None:
            with self._lock:
                if self._index is None:
                    self._index = open_index(self.library)
                searcher = self._index.searcher()
                self._open.append(searcher)
                self._seen(_generation(searcher))
            local.searcher = searcher
        latest = self._latest_generation()
        if latest is not None and _generation(searcher) != latest:
            searcher = local.searcher = self._reopen(searcher)
        generation = _generation(searcher)
        table = self._tables.get(generation)
        if table is None:
            with self._lock:
                table = self._tables.get(generation)
                if table is None:
                    table = _DocTable(searcher)
                    # Threads meet at most two commits at once (the old one until they refresh).
                    newest = max(self._tables, default=generation)
                    self._tables = {g: t for g, t in self._tables.items() if g == newest} | {generation: table}
        return searcher, table

    def _reopen(self, searcher: Searcher) -> Searcher:
        """A searcher on the newest commit in place of ``searcher``; ``searcher`` itself if that fails.

        A new searcher rather than ``Searcher.refresh()``: Whoosh 2.7.4 closes the old
        readers on each of its retries when a writer merges a segment away meanwhile,
        which left the thread with a closed searcher for good. Opening can fail the same
        way; the old searcher still reads its own commit (its files stay open), and the
        next search tries again.
        """
        assert self._index is not None
        try:
            fresh = self._index.searcher()
        except (OSError, EOFError, ValueError, ReaderClosed, TermNotFound, WhooshIndexError):
            # (WhooshIndexError: no commit at all, e.g. for the instant `reindex` swaps folders)
            return searcher
        with self._lock:
            self._open[self._open.index(searcher)] = fresh
            self._seen(_generation(fresh))
        searcher.close()
        return fresh

    def _seen(self, generation: int) -> None:
        """A searcher was opened on ``generation``, the newest on disk at that moment (hold the lock).

        Every thread moves on to it at its next search, so no response shows an older
        commit than one before it did. (Opening a searcher always takes the newest commit,
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
        """Release every thread's searcher and the index files."""
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
        tree = parse_query(query.text, self._resolve)
        if query.expand and tree is not None:
            tree = merge_phrases(tree, self.thesaurus.find_phrases)
        searcher, table = self._current()
        chosen = self._chosen(query.filters)
        masks = {name: table.value_mask(name, values) for name, values in chosen.items()}
        selected = _all_of(table, masks.values())
        run = _Run(self, searcher, table, query.expand)
        found = run.documents(tree)  # what the query alone matches; the filters narrow it down
        notices: list[str] = []
        suggestion = self._suggest(tree)
        corrected_from = None
        if suggestion is not None:
            # A word the library does not know at all is most likely misspelt: if the
            # corrected query finds something, show that (and say so).
            corrected = merge_phrases(parse_query(suggestion, self._resolve), self.thesaurus.find_phrases)
            fixed_run = _Run(self, searcher, table, query.expand)
            fixed = fixed_run.documents(corrected)
            if (fixed & selected).any():
                found, tree, run, corrected_from = fixed, corrected, fixed_run, query.text
        if not (found & selected).any() and _is_bag_of_words(tree):
            loose = run.documents(Or(tree.parts))  # type: ignore[union-attr]
            if (loose & selected).any():
                found = loose
                tree = Or(tree.parts)  # type: ignore[union-attr]
                notices.append("no-document-has-all-words")
        matched = found & selected
        ranked, totals = run.rank(tree, matched, query.sort)
        start = (query.page - 1) * query.page_size
        shown = ranked[start : start + query.page_size].tolist()
        hits = run.hits(shown, totals, query.passages)
        # A document removed from the catalog stays in the index until the remover's index
        # commit, a moment later: it is not shown, so it is not counted either.
        total = int(matched.sum()) - (len(shown) - len(hits))
        return SearchPage(
            query=query,
            hits=tuple(hits),
            total=total,
            facets=self._facets(table, found, masks, chosen),
            suggestion=suggestion,
            corrected_from=corrected_from,
            expansions=tuple(run.expansions),
            notices=tuple(notices),
            elapsed_ms=(time.perf_counter() - started) * 1000,
        )

    def passages(self, doc_id: str, text: str, *, limit: int = 10) -> tuple[Passage, ...]:
        """The best passages of one document for a query, in page order of relevance."""
        doc = self.library.get(doc_id)
        tree = parse_query(text, self._resolve)
        if tree is None:
            return ()
        searcher, table = self._current()
        run = _Run(self, searcher, table, True)
        scoring = run.scoring_query(merge_phrases(tree, self.thesaurus.find_phrases))
        if scoring is None:
            return ()
        pages = run._best_pages(scoring, doc_id, limit)
        texts = self.library.page_texts([(doc_id, page) for page in pages])
        suffix = text_suffix(doc.language)
        found = (highlight(texts.get((doc_id, page), ""), page, run.marked(suffix), suffix) for page in pages)
        return tuple(passage for passage in found if passage is not None)

    def related(self, doc_id: str, *, limit: int = 5) -> list[Hit]:
        """Documents most like this one (shared key terms and themes)."""
        searcher, table = self._current()
        doc = self.library.get(doc_id)
        suffix = text_suffix(doc.language)
        text = " ".join((doc.title, doc.title, doc.summary or "", *self.library.pages(doc_id)[:30]))
        terms = searcher.key_terms_from_text(f"body_{suffix}", text, numterms=25)
        if not terms:
            return []
        scoring = _any([wq.Term(f"body_{suffix}", term, boost=weight) for term, weight in terms])
        theme_query = [wq.Term("theme", theme, boost=2.0) for theme in doc.theme_ids]
        if theme_query:
            scoring = _any([scoring, *theme_query])
        totals: dict[int, float] = defaultdict(float)
        for docnum, score in searcher.search(scoring, limit=500).items():
            owner = int(table.record_doc[docnum])
            if owner < table.size and table.doc_ids[owner] != doc_id:
                totals[owner] = max(totals[owner], score)
        ordered = sorted(totals, key=lambda o: -totals[o])[:limit]
        docs = self._documents([table.doc_ids[o] for o in ordered])
        return [Hit(docs[table.doc_ids[o]], totals[o]) for o in ordered if table.doc_ids[o] in docs]

    def _documents(self, doc_ids: Sequence[str]) -> dict[str, Document]:
        found: dict[str, Document] = {}
        for doc_id in doc_ids:
            try:
                found[doc_id] = self.library.get(doc_id)
            except DocumentNotFoundError:  # removed from the catalog, index not yet repaired
                continue
        return found

    # -- filters and facets --

    def _chosen(self, filters: Mapping[str, Sequence[str]]) -> dict[str, set[Any]]:
        """Per filtered facet, its chosen values as the index holds them (a facet's values combine
        with OR, facets with AND)."""
        chosen = {}
        for name, values in filters.items():
            if not values:
                continue
            if name not in FILTER_FIELDS:
                raise QueryError(f"Unknown filter {name!r}; use one of {', '.join(FILTER_FIELDS)}.")
            chosen[name] = {self._filter_value(name, value) for value in values}
        return chosen

    def _filter_value(self, name: str, value: str) -> Any:
        if name in ("year", "decade"):
            text = str(value)
            if not (text.isascii() and text.isdigit() and len(text) <= 4):
                raise QueryError(f"{name}={value!r} is not a year; use four digits, e.g. 2020.")
            return int(value)
        return self._resolve(name, value) if name in ("theme", "language", "type") else value

    def _facets(
        self, table: _DocTable, found: np.ndarray, masks: Mapping[str, np.ndarray], chosen: Mapping[str, set[Any]]
    ) -> dict[str, list[FacetCount]]:
        """Counts per facet value among the documents the query finds.

        A facet's own filter is left out of its counts (the other facets' filters apply):
        with ``language=en`` chosen, the language facet still says how many Dutch
        documents adding ``nl`` would bring, since values of one facet combine with OR.
        """
        result: dict[str, list[FacetCount]] = {}
        for name in FILTER_FIELDS:
            matched = found & _all_of(table, [mask for other, mask in masks.items() if other != name])
            if name == "theme":
                counts = table.theme_matrix[matched].sum(axis=0)
            else:
                codes = table.codes[name][matched]
                counts = np.bincount(codes[codes >= 0], minlength=len(table.values[name]))
            present = [(value, int(n)) for value, n in zip(table.values[name], counts.tolist()) if n]
            if name in ("year", "decade"):
                present.sort(key=lambda item: item[0], reverse=True)
            else:
                present.sort(key=lambda item: (-item[1], str(item[0])))
            selected = {str(value) for value in chosen.get(name, ())}
            facet = [FacetCount(str(value), n, str(value) in selected) for value, n in present]
            missing = selected - {c.value for c in facet}
            facet.extend(FacetCount(v, 0, True) for v in sorted(missing))
            result[name] = facet
        return result

    # -- did you mean --

    def vocabulary(self) -> tuple[dict[str, int], dict[int, list[str]]]:
        """The library's words with their document frequency, and the words by length."""
        count = self.library.count()
        if self._vocabulary is None or self._vocabulary[0] != count:
            # The thesaurus's own words count too: a misspelt Dutch word can be
            # corrected (and then translated) even when only English studies hold it.
            words = dict.fromkeys(self.thesaurus.words(), 1) | self.library.vocabulary()
            by_length: dict[int, list[str]] = defaultdict(list)
            for word in words:
                by_length[len(word)].append(word)
            self._vocabulary = (count, words, dict(by_length))
        return self._vocabulary[1], self._vocabulary[2]

    def suggest_word(self, word: str) -> str | None:
        """The closest frequent word of the library (edit distance <= 2) for an unknown word."""
        folded = fold(word)
        if len(folded) < 4 or not folded.isalpha() or folded in stopwords("nl") or folded in stopwords("en"):
            return None
        # One indexed look-up for a known word; the whole vocabulary only for an unknown one.
        if self.library.word_frequencies([folded])[folded] > 0 or self.thesaurus.equivalents(folded):
            return None
        words, by_length = self.vocabulary()
        candidates = [w for n in range(len(folded) - 2, len(folded) + 3) for w in by_length.get(n, ())]
        from rapidfuzz import process  # only for an unknown word: not on every command's start
        from rapidfuzz.distance import OSA

        found = process.extract(folded, candidates, scorer=OSA.distance, score_cutoff=2, limit=50)
        if not found:
            return None
        best = min(found, key=lambda item: (item[1], -words[item[0]]))
        return str(best[0])

    def _suggest(self, tree: Node | None) -> str | None:
        changed = False

        def fix(node: Node) -> Node:
            nonlocal changed
            if isinstance(node, Words) and " " not in node.text:
                better = self.suggest_word(node.text)
                if better:
                    changed = True
                    return Words(better, node.field)
                return node
            if isinstance(node, Phrase):
                fixed = [self.suggest_word(w) or w for w in node.text.split()]
                if fixed != node.text.split():
                    changed = True
                    return Phrase(" ".join(fixed), node.field)
                return node
            if isinstance(node, (And, Or)):
                return type(node)(tuple(fix(part) for part in node.parts))
            if isinstance(node, Not):
                return Not(fix(node.part))
            return node

        if tree is None:
            return None
        fixed = fix(tree)
        return to_text(fixed) if changed else None


def _generation(searcher: Searcher) -> int:
    """The commit a searcher reads; -1 for an index without documents (Whoosh says None)."""
    generation = searcher.reader().generation()
    return -1 if generation is None else int(generation)


def _close_all(searchers: list[Searcher]) -> None:
    for searcher in searchers:
        searcher.close()
    searchers.clear()


def _all_of(table: _DocTable, masks: Iterable[np.ndarray]) -> np.ndarray:
    """The documents in every one of the sets (all documents for none)."""
    result = table.all
    for mask in masks:
        result = result & mask
    return result


def required_parts(count: int) -> int:
    """How many of ``count`` typed words a document must match: all of 1-2, all but one of 3-5, 80% of more."""
    if count <= 2:
        return count
    if count <= 5:
        return count - 1
    return math.ceil(count * 0.8)


def _is_bag_of_words(tree: Node | None) -> bool:
    """True for words typed one after another (no operators), where any-word matching may help."""
    return isinstance(tree, And) and tree.loose and all(isinstance(p, (Words, Phrase)) for p in tree.parts)


# -- one search's work ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Part:
    """One scored clause of a leaf: a term (or a phrase) in one field, with its boost."""

    fieldname: str
    terms: tuple[str, ...]
    boost: float

    def query(self) -> wq.Query:
        if len(self.terms) == 1:
            return wq.Term(self.fieldname, self.terms[0], boost=self.boost)
        return wq.Phrase(self.fieldname, list(self.terms), boost=self.boost)


class _Run:
    """Evaluates one query tree against one searcher.

    Document sets are boolean arrays over the table's ordinals; record scores come from
    whole posting arrays (kenniskamer.index.postings), phrases from Whoosh's phrase matcher.
    """

    def __init__(self, engine: SearchEngine, searcher: Searcher, table: _DocTable, expand: bool):
        self.engine = engine
        self.searcher = searcher
        self.table = table
        self.expand = expand
        self.expansions: list[str] = []
        self.highlight: dict[str, set[str]] = defaultdict(set)  # field language -> terms to mark
        self._parts: dict[Node, list[_Part] | None] = {}
        self._sets: dict[Node, np.ndarray] = {}
        self._scores: dict[Node, tuple[np.ndarray, np.ndarray] | None] = {}
        self._pages: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # owner, page, score: best first

    # -- leaves to clauses --

    def leaf_parts(self, leaf: Words | Phrase) -> list[_Part] | None:
        """The scored clauses of a text leaf; None when it has nothing to search for (stop words)."""
        if leaf in self._parts:
            return self._parts[leaf]
        bases = ("title", "summary", "body") if leaf.field is None else ("title",) if leaf.field == "title" else ()
        parts = self._text_parts(leaf.text, bases, 1.0)
        if leaf.field in (None, "author"):
            author = self._part("author", _analyzed(leaf.text, "other"), FIELD_BOOSTS["author"])
            if author is not None and (leaf.field == "author" or not _only_stopwords(leaf.text)):
                parts.append(author)
        if self.expand and leaf.field is None:
            thesaurus = self.engine.thesaurus
            for equivalent in thesaurus.equivalents(leaf.text):
                # A Dutch or English term is looked for in text of its language (and of others),
                # where its words are stemmed as it was meant.
                languages = thesaurus.languages_of(equivalent)
                suffixes = (*languages, "other") if len(languages) == 1 else TEXT_SUFFIXES
                more = self._text_parts(equivalent, bases, EXPANSION_BOOST, suffixes)
                if more:
                    parts.extend(more)
                    if equivalent not in self.expansions:
                        self.expansions.append(equivalent)
        # Stop words alone constrain nothing; words that occur nowhere match nothing.
        found = None if not parts and _only_stopwords(leaf.text) else parts
        self._parts[leaf] = found
        return found

    def leaf_query(self, leaf: Node) -> wq.Query | None:
        """The Whoosh query of a text leaf (for ranking one document's pages)."""
        assert isinstance(leaf, (Words, Phrase))
        parts = self.leaf_parts(leaf)
        if parts is None:
            return None
        return _any([part.query() for part in parts]) if parts else wq.NullQuery

    def _text_parts(
        self, text: str, bases: Sequence[str], boost: float, suffixes: Sequence[str] = TEXT_SUFFIXES
    ) -> list[_Part]:
        parts = []
        for suffix in suffixes:
            terms = _analyzed(text, suffix)
            if suffix == "other" and _only_stopwords(text):
                terms = ()
            self.highlight[suffix].update(terms)
            for base in bases:
                part = self._part(f"{base}_{suffix}", terms, FIELD_BOOSTS[base] * boost)
                if part is not None:
                    parts.append(part)
        return parts

    def _part(self, fieldname: str, terms: Sequence[str], boost: float) -> _Part | None:
        """A clause, or None if a term does not occur in the field at all."""
        if not terms or not all(self.table.has_term(self.searcher, fieldname, term) for term in set(terms)):
            return None
        return _Part(fieldname, tuple(terms), boost)

    # -- document sets --

    def documents(self, node: Node | None) -> np.ndarray:
        """The documents a tree matches (all documents for an empty query)."""
        table = self.table
        if node is None:
            return table.all
        if isinstance(node, And):
            positives = [p for p in node.parts if not isinstance(p, Not)]
            needed = required_parts(len(positives)) if node.loose else len(positives)
            if needed < len(positives):
                counts = np.zeros(table.size, dtype=np.int64)
                for part in positives:
                    counts += self.documents(part)
                result = counts >= needed
            else:
                result = table.all
                for part in sorted(positives, key=lambda p: isinstance(p, (Or, And))):
                    result = result & self.documents(part)
                    if not result.any():
                        return result
            for negated in node.parts:
                if isinstance(negated, Not):
                    result = result & ~self.documents(negated.part)
            return result
        if isinstance(node, Or):
            union = table.none
            for alternative in node.parts:
                union = union | self.documents(alternative)
            return union
        if isinstance(node, Not):
            return ~self.documents(node.part)
        if node not in self._sets:
            self._sets[node] = self._leaf_documents(node)
        return self._sets[node]

    def _leaf_documents(self, leaf: Node) -> np.ndarray:
        table = self.table
        if isinstance(leaf, YearRange):
            return table.year_mask(leaf.low, leaf.high)
        if isinstance(leaf, Value):
            return table.value_mask(leaf.field, {leaf.value})
        assert isinstance(leaf, (Words, Phrase))
        scores = self._leaf_scores(leaf)
        if scores is None:  # only stop words: no constraint
            return table.all
        return table.documents_of(scores[0])

    def _leaf_scores(self, leaf: Words | Phrase) -> tuple[np.ndarray, np.ndarray] | None:
        """(records, scores) of every record a text leaf matches; None: only stop words.

        A record's score is the sum of its clauses' scores, as an OR query of them would give.
        """
        if leaf in self._scores:
            return self._scores[leaf]
        parts = self.leaf_parts(leaf)
        found: tuple[np.ndarray, np.ndarray] | None = None
        if parts is not None:
            pieces = [self._part_scores(part) for part in parts]
            pieces = [piece for piece in pieces if len(piece[0])]
            if not pieces:
                found = (np.zeros(0, dtype=np.int64), np.zeros(0))
            elif len(pieces) == 1:
                found = pieces[0]
            else:
                found = self._sum(pieces)
        self._scores[leaf] = found
        return found

    def _sum(self, pieces: Sequence[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
        """(records, summed scores) of several (records, scores) with unique records each."""
        total = np.zeros(self.table.postings.record_count)
        hit = np.zeros(self.table.postings.record_count, dtype=bool)
        for records, scores in pieces:
            total[records] += scores
            hit[records] = True
        records = np.flatnonzero(hit)
        return records, total[records]

    def _part_scores(self, part: _Part) -> tuple[np.ndarray, np.ndarray]:
        postings = self.table.postings
        if len(part.terms) == 1:
            return postings.scores(self.searcher, part.fieldname, part.terms[0], part.boost)
        return postings.phrase_scores(self.searcher, part.fieldname, part.terms, part.boost)

    # -- ranking --

    def scoring_query(self, tree: Node | None) -> wq.Query | None:
        """The OR of every positive text leaf: what ranks records."""
        queries = [q for leaf in self._positive_text(tree) for q in (self.leaf_query(leaf),) if q is not None]
        return _any(queries) if queries else None

    @staticmethod
    def _positive_text(tree: Node | None) -> list[Words | Phrase]:
        return [leaf for leaf, negated in leaves(tree) if not negated and isinstance(leaf, (Words, Phrase))]

    def score(self, tree: Node | None, matched: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every document's score, and which documents were scored at all.

        A record's score is the sum of its leaves' scores; a document's is its doc record's
        plus its best pages', weighted by PAGE_WEIGHTS (reference-list pages count less).
        The matched documents' pages, best first, are kept for ``pages``.
        """
        table = self.table
        pieces = [s for leaf in self._positive_text(tree) for s in (self._leaf_scores(leaf),) if s is not None and len(s[0])]
        totals = np.zeros(table.size + 1)
        scored = np.zeros(table.size + 1, dtype=bool)
        if not pieces:
            nothing = np.zeros(0, dtype=np.int64)
            self._pages = (nothing, nothing, np.zeros(0))
            return totals[: table.size], scored[: table.size]
        records, scores = self._sum(pieces)
        owners = table.record_doc[records]
        keep = np.append(matched, False)[owners]
        records, scores, owners = records[keep], scores[keep], owners[keep]
        scored[owners] = True
        pages = table.record_page[records]
        is_doc = pages == 0
        totals += np.bincount(owners[is_doc], weights=scores[is_doc], minlength=table.size + 1)
        page_owners, page_numbers = owners[~is_doc], pages[~is_doc]
        page_scores = scores[~is_doc] * table.record_weight[records[~is_doc]]
        order = np.lexsort((-page_numbers, -page_scores, page_owners))  # by document, best page first
        page_owners, page_numbers, page_scores = page_owners[order], page_numbers[order], page_scores[order]
        if len(order):
            starts = np.flatnonzero(np.r_[True, page_owners[1:] != page_owners[:-1]])
            rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
            best = rank < len(PAGE_WEIGHTS)
            weights = np.asarray(PAGE_WEIGHTS)[rank[best]]
            totals += np.bincount(page_owners[best], weights=page_scores[best] * weights, minlength=table.size + 1)
        self._pages = (page_owners, page_numbers, page_scores)
        return totals[: table.size], scored[: table.size]

    def rank(self, tree: Node | None, matched: np.ndarray, sort: str) -> tuple[np.ndarray, np.ndarray]:
        """The matched documents in the asked order, and every document's score."""
        table = self.table
        totals, scored = self.score(tree, matched)
        ordinals = np.flatnonzero(matched)
        score = totals[ordinals]
        if sort == "newest" or (sort == "relevance" and not scored.any()):
            order = np.lexsort((-score, -table.date_rank[ordinals]))
        elif sort == "added":
            order = np.lexsort((-score, -table.added_rank[ordinals]))
        else:
            order = np.lexsort((table.added_rank[ordinals], -score))
        return ordinals[order], totals

    def pages(self, ordinal: int) -> list[int]:
        """The scored pages of a matched document, best first (after ``score``)."""
        if self._pages is None:
            return []
        owners, numbers, _ = self._pages
        low, high = np.searchsorted(owners, [ordinal, ordinal + 1])
        return numbers[low:high].tolist()

    def marked(self, suffix: str) -> set[str]:
        """The words to mark in a passage of a document in this language (``text_suffix``).

        The query's terms for that language, and its unstemmed terms but Dutch and English
        stop words: text in other languages is indexed without a stop list, so "van" and "de"
        of a Dutch query are terms there, and marked in every passage they hid the words
        that matched. A language's own terms hold none of its stop words, and may hold the
        other's: "men" and "door" are English words, but the short ones ("en", "de", "op")
        are not words in the other language's text, and looking for them costs a string
        search hit at almost every word.
        """
        stop = stopwords("nl") | stopwords("en")
        unstemmed = self.highlight["other"] - stop
        if suffix == "other":
            return unstemmed
        return {term for term in self.highlight[suffix] if len(term) > 2 or term not in stop} | unstemmed

    def hits(self, ordinals: Sequence[int], totals: np.ndarray, passages: int) -> list[Hit]:
        """Hits with highlighted passages for the shown documents."""
        table = self.table
        docs = self.engine._documents([table.doc_ids[o] for o in ordinals])
        pages_of = {table.doc_ids[o]: self.pages(o)[:passages] for o in ordinals}
        texts = self.engine.library.page_texts([(doc_id, page) for doc_id, pages in pages_of.items() for page in pages])
        marked = {suffix: self.marked(suffix) for suffix in TEXT_SUFFIXES}
        hits = []
        for ordinal in ordinals:
            doc_id = table.doc_ids[ordinal]
            if doc_id not in docs:
                continue
            doc = docs[doc_id]
            suffix = text_suffix(doc.language)
            found = [highlight(texts.get((doc_id, page), ""), page, marked[suffix], suffix) for page in pages_of[doc_id]]
            hits.append(Hit(doc, float(totals[ordinal]), tuple(p for p in found if p is not None)))
        return hits

    def _best_pages(self, scoring: wq.Query, doc_id: str, limit: int) -> list[int]:
        """The best-scoring pages of one document (the rare doc_id term drives the intersection)."""
        query = wq.And([wq.Term("doc_id", doc_id), wq.Term("kind", "page"), scoring])
        results = self.searcher.search(query, limit=limit)
        return [int(self.table.record_page[docnum]) for docnum in results.docs()]


def _only_stopwords(text: str) -> bool:
    folded = WORD.findall(fold(text))
    return all(word in stopwords("nl") or word in stopwords("en") for word in folded)


# -- highlighting ----------------------------------------------------------------------------------


@lru_cache(maxsize=20_000)
def _analyzed(text: str, suffix: str) -> tuple[str, ...]:
    """The index terms of a query's words (the thesaurus brings the same ones back often)."""
    return tuple(analyze(text, suffix))


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


def highlight(text: str, page: int, terms: set[str], suffix: str, *, width: int = PASSAGE_CHARS) -> Passage | None:
    """The stretch of about ``width`` characters of a page with the most query terms, marked.

    Only words that start like a query term are analysed (stems are prefixes of the
    words they come from), so a page costs a few string searches, not one stemmer call per word.
    """
    if not text or not terms:
        return None
    found: list[tuple[int, int, str]] = []
    matched: dict[str, str | None] = {}  # a page repeats its words: each is analysed once
    for begin, end, word in _word_starts(text, {term[:3] for term in terms}):
        if word not in matched:
            term = _term(word, suffix)
            matched[word] = (term or word) if term in terms or fold(word) in terms else None
        marked = matched[word]
        if marked is not None:
            found.append((begin, end, marked))
    if not found:
        return None
    starts = [begin for begin, _, _ in found]
    best, best_score = 0, -1
    for begin, _, _ in found:
        low = max(0, begin - width // 5)
        inside = found[bisect_left(starts, low) : bisect_left(starts, low + width)]
        score = 2 * len({term for _, _, term in inside}) + len(inside)
        if score > best_score:
            best, best_score = low, score
    window_start = best
    if window_start > 0:  # start at a word boundary
        space = text.find(" ", window_start, found[0][0] if found[0][0] > window_start else len(text))
        window_start = space + 1 if 0 <= space < window_start + 30 else window_start
    window_end = min(len(text), window_start + width)
    if window_end < len(text):
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
