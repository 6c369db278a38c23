"""Search: a query and filters in, our own values out (never Whoosh objects).

Matching is decided per document (a document matches ``a b`` when it holds both words
anywhere); ranking comes from the best-scoring records of each document, so every hit
can show its best passages with their page numbers.
"""

from __future__ import annotations

import math
import re
import threading
from bisect import bisect_left
import time
import warnings
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import OSA

from kenniskamer.errors import DocumentNotFoundError, QueryError
from kenniskamer.index import analyze, open_index, stopwords
from kenniskamer.library import Library
from kenniskamer.models import Document
from kenniskamer.query import (
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
from kenniskamer.schema import FACET_FIELDS, TEXT_SUFFIXES, text_suffix
from kenniskamer.taxonomy import Theme, Thesaurus, load_themes, load_thesaurus
from kenniskamer.text import WORD, fold

with warnings.catch_warnings():
    warnings.simplefilter("ignore", SyntaxWarning)
    warnings.simplefilter("ignore", DeprecationWarning)
    from whoosh import query as wq
    from whoosh.query.compound import DefaultOr
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


class _DocTable:
    """Facet values of every document and the record -> document map, for one searcher."""

    def __init__(self, searcher: Searcher):
        reader = searcher.reader()
        self.doc_ids: list[str] = []
        self.facets: list[dict[str, Any]] = []
        ordinal: dict[str, int] = {}
        for docnum in searcher.document_numbers(kind="doc"):
            stored = searcher.stored_fields(docnum)
            ordinal[stored["doc_id"]] = len(self.doc_ids)
            self.doc_ids.append(stored["doc_id"])
            themes = tuple(t for t in (stored.get("theme") or "").split(",") if t)
            year = stored.get("year")
            self.facets.append(
                {
                    "theme": themes,
                    "type": stored.get("type") or "",
                    "language": stored.get("language") or "",
                    "year": year,
                    "decade": (year // 10 * 10) if year else None,
                    "publisher": stored.get("publisher") or "",
                    "added": stored.get("added") or "",
                    "date": stored.get("date") or "",
                }
            )
        doc_column = reader.column_reader("doc_id")
        page_column = reader.column_reader("page")
        self.record_doc = [ordinal.get(_text(value), -1) for value in doc_column]
        self.record_page = list(page_column)
        self.record_refs = list(reader.column_reader("refs"))
        self.records_of: list[list[int]] = [[] for _ in self.doc_ids]
        for docnum, owner in enumerate(self.record_doc):
            if owner >= 0 and reader.is_deleted(docnum) is False:
                self.records_of[owner].append(docnum)
        self.all = frozenset(range(len(self.doc_ids)))
        self._terms: dict[tuple[str, str], bool] = {}

    def has_term(self, searcher: Searcher, fieldname: str, text: str) -> bool:
        """True if the term occurs in the field (cached for this searcher)."""
        key = (fieldname, text)
        found = self._terms.get(key)
        if found is None:
            found = self._terms[key] = searcher.reader().doc_frequency(fieldname, text) > 0
        return found


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


# -- the engine -----------------------------------------------------------------------------


class SearchEngine:
    """Searches one library; reuses its searcher until the index changes."""

    def __init__(self, library: Library, *, themes: Sequence[Theme] | None = None, thesaurus: Thesaurus | None = None):
        self.library = library
        self.themes = tuple(load_themes() if themes is None else themes)
        self.thesaurus = load_thesaurus() if thesaurus is None else thesaurus
        self._lock = threading.Lock()
        self._index: Any = None
        self._local = threading.local()  # each thread's searcher and when it last looked for a commit
        self._open: list[Searcher] = []
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
            local.searcher = searcher
        latest = self._latest_generation()
        if latest is not None and searcher.reader().generation() != latest:
            # refresh() hands the unchanged segment readers on to the new searcher,
            # so the old one must not be closed (that would close them too).
            fresh = searcher.refresh()
            with self._lock:
                self._open[self._open.index(searcher)] = fresh
            searcher = local.searcher = fresh
        generation = searcher.reader().generation()
        table = self._tables.get(generation)
        if table is None:
            with self._lock:
                table = self._tables.get(generation)
                if table is None:
                    table = _DocTable(searcher)
                    self._tables = {generation: table}
        return searcher, table

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
            for searcher in self._open:
                searcher.close()
            self._open.clear()
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

    def theme_id(self, value: str) -> str:
        """A theme id from an id or a Dutch or English label; QueryError otherwise."""
        folded = fold(value).replace("-", " ").strip()
        for theme in self.themes:
            if folded in (fold(theme.id).replace("-", " "), fold(theme.label_nl), fold(theme.label_en)):
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
        selected = self._filter(table, query.filters)
        run = _Run(self, searcher, table, query.expand)
        matched = run.documents(tree) & selected
        notices: list[str] = []
        suggestion = self._suggest(tree)
        corrected_from = None
        if suggestion is not None:
            # A word the library does not know at all is most likely misspelt: if the
            # corrected query finds something, show that (and say so).
            corrected = merge_phrases(parse_query(suggestion, self._resolve), self.thesaurus.find_phrases)
            fixed_run = _Run(self, searcher, table, query.expand)
            fixed = fixed_run.documents(corrected) & selected
            if fixed:
                matched, tree, run, corrected_from = fixed, corrected, fixed_run, query.text
        if not matched and _is_bag_of_words(tree):
            loose = run.documents(Or(tree.parts)) & selected  # type: ignore[union-attr]
            if loose:
                matched = loose
                tree = Or(tree.parts)  # type: ignore[union-attr]
                notices.append("no-document-has-all-words")
        ranked = run.rank(tree, matched, query.sort)
        start = (query.page - 1) * query.page_size
        shown = ranked[start : start + query.page_size]
        hits = run.hits(shown, query.passages)
        return SearchPage(
            query=query,
            hits=tuple(hits),
            total=len(matched),
            facets=self._facets(table, matched, query.filters),
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
        terms = run.highlight[suffix] | run.highlight["other"]
        found = (highlight(texts.get((doc_id, page), ""), page, terms, suffix) for page in pages)
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
            owner = table.record_doc[docnum]
            if owner >= 0 and table.doc_ids[owner] != doc_id:
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

    def _filter(self, table: _DocTable, filters: Mapping[str, Sequence[str]]) -> frozenset[int]:
        selected = table.all
        for name, values in filters.items():
            if not values:
                continue
            if name not in FILTER_FIELDS:
                raise QueryError(f"Unknown filter {name!r}; use one of {', '.join(FILTER_FIELDS)}.")
            wanted = {self._filter_value(name, value) for value in values}
            selected = frozenset(
                o for o in selected if _facet_values(table.facets[o], name) & wanted
            )
        return selected

    def _filter_value(self, name: str, value: str) -> Any:
        if name in ("year", "decade"):
            if not str(value).isdigit():
                raise QueryError(f"{name}={value!r} is not a year; use four digits, e.g. 2020.")
            return int(value)
        return self._resolve(name, value) if name in ("theme", "language", "type") else value

    def _facets(
        self, table: _DocTable, matched: Iterable[int], filters: Mapping[str, Sequence[str]]
    ) -> dict[str, list[FacetCount]]:
        counters: dict[str, Counter[Any]] = {name: Counter() for name in FACET_FIELDS + ("decade",)}
        for ordinal in matched:
            facets = table.facets[ordinal]
            for name, counter in counters.items():
                counter.update(_facet_values(facets, name))
        result: dict[str, list[FacetCount]] = {}
        for name, counter in counters.items():
            chosen = {str(v) for v in filters.get(name, ())}
            if name in ("year", "decade"):
                order = sorted(counter, reverse=True)
            else:
                order = sorted(counter, key=lambda v: (-counter[v], str(v)))
            counts = [FacetCount(str(v), counter[v], str(v) in chosen) for v in order]
            missing = chosen - {c.value for c in counts}
            counts.extend(FacetCount(v, 0, True) for v in sorted(missing))
            result[name] = counts
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


def _facet_values(facets: Mapping[str, Any], name: str) -> set[Any]:
    value = facets[name]
    if isinstance(value, tuple):
        return set(value)
    return {value} if value not in (None, "") else set()


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


class _Run:
    """Evaluates one query tree against one searcher."""

    def __init__(self, engine: SearchEngine, searcher: Searcher, table: _DocTable, expand: bool):
        self.engine = engine
        self.searcher = searcher
        self.table = table
        self.expand = expand
        self.expansions: list[str] = []
        self.highlight: dict[str, set[str]] = defaultdict(set)  # field language -> terms to mark
        self._sets: dict[Node, frozenset[int]] = {}
        self._scores: dict[Node, dict[int, float] | None] = {}

    # -- leaves to index queries --

    def leaf_query(self, leaf: Node) -> wq.Query | None:
        """The index query of one leaf; None when it has nothing to search for (stop words)."""
        if isinstance(leaf, YearRange):
            return wq.NumericRange("year", leaf.low, leaf.high)
        if isinstance(leaf, Value):
            return wq.Term({"language": "language"}.get(leaf.field, leaf.field), leaf.value)
        assert isinstance(leaf, (Words, Phrase))
        bases = ("title", "summary", "body") if leaf.field is None else ("title",) if leaf.field == "title" else ()
        parts = [q for q in (self._text_query(leaf.text, bases, 1.0),) if q is not None]
        if leaf.field in (None, "author"):
            author = self._phrase_or_term("author", analyze(leaf.text, "other"), FIELD_BOOSTS["author"])
            if author is not None and (leaf.field == "author" or not _only_stopwords(leaf.text)):
                parts.append(author)
        if self.expand and leaf.field is None:
            for equivalent in self.engine.thesaurus.equivalents(leaf.text):
                query = self._text_query(equivalent, bases, EXPANSION_BOOST)
                if query is not None:
                    parts.append(query)
                    if equivalent not in self.expansions:
                        self.expansions.append(equivalent)
        if parts:
            return _any(parts)
        # Stop words alone constrain nothing; words that occur nowhere match nothing.
        return None if _only_stopwords(leaf.text) else wq.NullQuery

    def _text_query(self, text: str, bases: Sequence[str], boost: float) -> wq.Query | None:
        parts = []
        for suffix in TEXT_SUFFIXES:
            terms = analyze(text, suffix)
            if suffix == "other" and _only_stopwords(text):
                terms = []
            self.highlight[suffix].update(terms)
            for base in bases:
                query = self._phrase_or_term(f"{base}_{suffix}", terms, FIELD_BOOSTS[base] * boost)
                if query is not None:
                    parts.append(query)
        return _any(parts) if parts else None

    def _phrase_or_term(self, fieldname: str, terms: Sequence[str], boost: float) -> wq.Query | None:
        """A Term or Phrase query, or None if a term does not occur in the field at all.

        Leaving out absent terms keeps the query tree small: each clause costs a
        matcher per segment even when it matches nothing.
        """
        if not terms or not all(self.table.has_term(self.searcher, fieldname, term) for term in set(terms)):
            return None
        if len(terms) == 1:
            return wq.Term(fieldname, terms[0], boost=boost)
        return wq.Phrase(fieldname, list(terms), boost=boost)

    # -- document sets --

    def documents(self, node: Node | None) -> frozenset[int]:
        """The documents a tree matches (all documents for an empty query)."""
        if node is None:
            return self.table.all
        if isinstance(node, And):
            positives = [p for p in node.parts if not isinstance(p, Not)]
            needed = required_parts(len(positives)) if node.loose else len(positives)
            if needed < len(positives):
                counts: Counter[int] = Counter()
                for part in positives:
                    counts.update(self.documents(part))
                result = frozenset(o for o, n in counts.items() if n >= needed)
            else:
                result = self.table.all
                for part in sorted(positives, key=lambda p: isinstance(p, (Or, And))):
                    result = result & self.documents(part)
                    if not result:
                        return result
            for part in node.parts:
                if isinstance(part, Not):
                    result = result - self.documents(part.part)
            return result
        if isinstance(node, Or):
            union: set[int] = set()
            for part in node.parts:
                union |= self.documents(part)
            return frozenset(union)
        if isinstance(node, Not):
            return self.table.all - self.documents(node.part)
        if node not in self._sets:
            self._sets[node] = self._leaf_documents(node)
        return self._sets[node]

    def _leaf_scores(self, leaf: Node) -> dict[int, float] | None:
        """Record -> score of every record a text leaf matches (None: only stop words)."""
        if leaf not in self._scores:
            query = self.leaf_query(leaf)
            self._scores[leaf] = None if query is None else dict(self.searcher.search(query, limit=None).items())
        return self._scores[leaf]

    def _leaf_documents(self, leaf: Node) -> frozenset[int]:
        owners = self.table.record_doc
        if isinstance(leaf, (Words, Phrase)):
            scores = self._leaf_scores(leaf)
            if scores is None:  # only stop words: no constraint
                return self.table.all
            return frozenset(owners[d] for d in scores if owners[d] >= 0)
        query = self.leaf_query(leaf)
        assert query is not None
        docnums = self.searcher.docs_for_query(wq.And([query, wq.Term("kind", "doc")]))
        return frozenset(owners[d] for d in docnums if owners[d] >= 0)

    # -- ranking --

    def scoring_query(self, tree: Node | None) -> wq.Query | None:
        """The OR of every positive text leaf: what ranks records."""
        queries = [q for leaf in self._positive_text(tree) for q in (self.leaf_query(leaf),) if q is not None]
        return _any(queries) if queries else None

    @staticmethod
    def _positive_text(tree: Node | None) -> list[Node]:
        return [leaf for leaf, negated in leaves(tree) if not negated and isinstance(leaf, (Words, Phrase))]

    def score(self, tree: Node | None, matched: frozenset[int]) -> dict[int, tuple[float, list[tuple[float, int]]]]:
        """Per matched document: its score and its scored pages (score, page), best first.

        A record's score is the sum of its leaves' scores (what an OR query would
        give); a document's is its doc record's plus its best pages', weighted.
        """
        record_scores: dict[int, float] = defaultdict(float)
        for leaf in self._positive_text(tree):
            for docnum, score in (self._leaf_scores(leaf) or {}).items():
                record_scores[docnum] += score
        per_doc: dict[int, list[tuple[float, int]]] = defaultdict(list)
        doc_scores: dict[int, float] = defaultdict(float)
        owners, pages, refs = self.table.record_doc, self.table.record_page, self.table.record_refs
        for docnum, score in record_scores.items():
            owner = owners[docnum]
            if owner < 0 or owner not in matched:
                continue
            page = pages[docnum]
            if page == 0:
                doc_scores[owner] += score
            else:
                per_doc[owner].append((score * (REFERENCES_WEIGHT if refs[docnum] else 1.0), page))
        scored: dict[int, tuple[float, list[tuple[float, int]]]] = {}
        for owner in set(per_doc) | set(doc_scores):
            page_scores = sorted(per_doc.get(owner, ()), reverse=True)
            total = doc_scores.get(owner, 0.0) + sum(w * s for w, (s, _) in zip(PAGE_WEIGHTS, page_scores))
            scored[owner] = (total, page_scores)
        return scored

    def rank(self, tree: Node | None, matched: frozenset[int], sort: str) -> list[tuple[int, float, list[int]]]:
        """(document, score, best pages) for every matched document, in the asked order."""
        scored = self.score(tree, matched) if matched else {}
        facets = self.table.facets
        rows = [(o, scored[o][0] if o in scored else 0.0, [p for _, p in scored[o][1]] if o in scored else []) for o in matched]
        if sort == "newest" or (sort == "relevance" and not scored):
            rows.sort(key=lambda r: (facets[r[0]]["date"] or str(facets[r[0]]["year"] or ""), r[1]), reverse=True)
        elif sort == "added":
            rows.sort(key=lambda r: (facets[r[0]]["added"], r[1]), reverse=True)
        else:
            rows.sort(key=lambda r: (-r[1], facets[r[0]]["added"]))
        return rows

    def hits(self, rows: Sequence[tuple[int, float, list[int]]], passages: int) -> list[Hit]:
        """Hits with highlighted passages for the shown rows."""
        table = self.table
        docs = self.engine._documents([table.doc_ids[o] for o, _, _ in rows])
        wanted: list[tuple[str, int]] = []
        pages_of: dict[str, list[int]] = {}
        for ordinal, _score, pages in rows:
            doc_id = table.doc_ids[ordinal]
            chosen = pages[:passages]
            pages_of[doc_id] = chosen
            wanted.extend((doc_id, page) for page in chosen)
        texts = self.engine.library.page_texts(wanted)
        hits = []
        for ordinal, score, _pages in rows:
            doc_id = table.doc_ids[ordinal]
            if doc_id not in docs:
                continue
            doc = docs[doc_id]
            suffix = text_suffix(doc.language)
            found = []
            for page in pages_of[doc_id]:
                passage = highlight(texts.get((doc_id, page), ""), page, self.highlight[suffix] | self.highlight["other"], suffix)
                if passage is not None:
                    found.append(passage)
            hits.append(Hit(doc, score, tuple(found)))
        return hits

    def _best_pages(self, scoring: wq.Query, doc_id: str, limit: int) -> list[int]:
        """The best-scoring pages of one document (the rare doc_id term drives the intersection)."""
        query = wq.And([wq.Term("doc_id", doc_id), wq.Term("kind", "page"), scoring])
        results = self.searcher.search(query, limit=limit)
        return [self.table.record_page[docnum] for docnum in results.docs()]




def _only_stopwords(text: str) -> bool:
    folded = WORD.findall(fold(text))
    return all(word in stopwords("nl") or word in stopwords("en") for word in folded)


# -- highlighting ----------------------------------------------------------------------------------


@lru_cache(maxsize=200_000)
def _term(token: str, suffix: str) -> str | None:
    terms = analyze(token, suffix)
    return terms[0] if terms else None


_ACCENTED = {
    "a": "aàáâãäå", "c": "cç", "e": "eèéêë", "i": "iìíîï", "n": "nñ", "o": "oòóôõöø", "u": "uùúûü", "y": "yýÿ",
}


@lru_cache(maxsize=4096)
def _candidates(starts: frozenset[str]) -> re.Pattern[str]:
    """A regex for words beginning with any of these folded starts, accents allowed."""
    def letter(char: str) -> str:
        variants = _ACCENTED.get(char, char)
        return f"[{variants}{variants.upper()}]" if len(variants) > 1 else re.escape(char)

    alternatives = sorted(("".join(letter(c) for c in start) for start in starts), key=len, reverse=True)
    return re.compile(r"\b(?i:" + "|".join(alternatives) + r")\w*")


def highlight(text: str, page: int, terms: set[str], suffix: str, *, width: int = PASSAGE_CHARS) -> Passage | None:
    """The stretch of about ``width`` characters of a page with the most query terms, marked.

    Only words that start like a query term are analysed (stems are prefixes of the
    words they come from), so a page costs one regex scan, not one stemmer call per word.
    """
    if not text or not terms:
        return None
    pattern = _candidates(frozenset(term[:3] for term in terms))
    found: list[tuple[int, int, str]] = []
    for match in pattern.finditer(text):
        word = match.group()
        term = _term(word, suffix)
        if term in terms or fold(word) in terms:
            found.append((match.start(), match.end(), term or word))
    if not found:
        return None
    starts = [begin for begin, _, _ in found]
    best, best_score = 0, -1
    for index, (begin, _, _) in enumerate(found):
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
