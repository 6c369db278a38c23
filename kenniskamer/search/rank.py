"""The one ranker: which documents a query tree matches, and BM25F scores of their records, pages and documents.

Hits, the passages shown for them and related documents are all scored here, from whole
posting arrays (kenniskamer.index.postings), so the passage shown is the page that made
the hit rank.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from kenniskamer.index.analysis import analyze, stopwords
from kenniskamer.index.read import Snapshot
from kenniskamer.index.schema import TEXT_SUFFIXES
from kenniskamer.search.facets import FACETS, year_mask
from kenniskamer.search.query import And, Node, Not, Or, Phrase, Value, Words, YearRange, leaves
from kenniskamer.search.table import DocTable
from kenniskamer.text.prose import WORD, fold
from kenniskamer.thesaurus import Thesaurus

FIELD_BOOSTS = {"title": 3.0, "summary": 2.0, "body": 1.0, "author": 2.0}


EXPANSION_BOOST = 0.4  # thesaurus terms rank below what the user typed


PAGE_WEIGHTS = (1.0, 0.5, 0.25)


REFERENCES_WEIGHT = 0.2  # a word in a cited title says little about what a study is about  # best pages of a document, added up with these weights


def required_parts(count: int) -> int:
    """How many of ``count`` typed words a document must match: all of 1-2, all but one of 3-5, 80% of more."""
    if count <= 2:
        return count
    if count <= 5:
        return count - 1
    return math.ceil(count * 0.8)


def is_bag_of_words(tree: Node | None) -> bool:
    """True for words typed one after another (no operators), where any-word matching may help."""
    return isinstance(tree, And) and tree.loose and all(isinstance(p, (Words, Phrase)) for p in tree.parts)


@dataclass(frozen=True)
class Part:
    """One scored clause of a leaf: a term (or a phrase) in one field, with its boost."""

    fieldname: str
    terms: tuple[str, ...]
    boost: float


class Run:
    """Evaluates one query tree against one snapshot.

    Document sets are boolean arrays over the table's ordinals; record scores come from
    whole posting arrays (kenniskamer.index.postings), phrases from their position arrays.
    """

    def __init__(self, thesaurus: Thesaurus, snapshot: Snapshot, table: DocTable, expand: bool):
        self.thesaurus = thesaurus
        self.snapshot = snapshot
        self.table = table
        self.expand = expand
        self.expansions: list[str] = []
        self.highlight: dict[str, set[str]] = defaultdict(set)  # field language -> terms to mark
        self._parts: dict[Node, list[Part] | None] = {}
        self._sets: dict[Node, np.ndarray] = {}
        self._scores: dict[Node, tuple[np.ndarray, np.ndarray] | None] = {}
        self._pages: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # owner, page, score: best first

    # -- leaves to clauses --

    def leaf_parts(self, leaf: Words | Phrase) -> list[Part] | None:
        """The scored clauses of a text leaf; None when it has nothing to search for (stop words)."""
        if leaf in self._parts:
            return self._parts[leaf]
        bases = ("title", "summary", "body") if leaf.field is None else ("title",) if leaf.field == "title" else ()
        parts = self._text_parts(leaf.text, bases, 1.0)
        if leaf.field in (None, "author"):
            author = self._part("author", _analyzed(leaf.text, "other"), FIELD_BOOSTS["author"])
            if author is not None and (leaf.field == "author" or not only_stopwords(leaf.text)):
                parts.append(author)
        if self.expand and leaf.field is None and not only_stopwords(leaf.text):  # "met" is not "meten"
            thesaurus = self.thesaurus
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
        found = None if not parts and only_stopwords(leaf.text) else parts
        self._parts[leaf] = found
        return found

    def _text_parts(
        self, text: str, bases: Sequence[str], boost: float, suffixes: Sequence[str] = TEXT_SUFFIXES
    ) -> list[Part]:
        parts = []
        for suffix in suffixes:
            terms = _analyzed(text, suffix)
            if suffix == "other" and only_stopwords(text):
                terms = ()
            self.highlight[suffix].update(terms)
            for base in bases:
                part = self._part(f"{base}_{suffix}", terms, FIELD_BOOSTS[base] * boost)
                if part is not None:
                    parts.append(part)
        return parts

    def _part(self, fieldname: str, terms: Sequence[str], boost: float) -> Part | None:
        """A clause, or None if a term does not occur in the field at all."""
        if not terms or not all(self.table.has_term(self.snapshot, fieldname, term) for term in set(terms)):
            return None
        return Part(fieldname, tuple(terms), boost)

    # -- document sets --

    def documents(self, node: Node | None) -> np.ndarray:
        """The documents a tree matches (all documents for an empty query)."""
        table = self.table
        if node is None:
            return table.all
        if isinstance(node, And):
            positives = [p for p in node.parts if not isinstance(p, Not)]
            if node.loose:
                # Words typed one after another: a stop word of either language ("and", "for",
                # "de") is no condition. It is a term in the other language's fields, where
                # "and" and "for" occur in Dutch party programmes and not in English studies
                # (their analyzer drops them): as conditions they let Dutch documents through
                # and kept "terror attacks and support for refugees" from the English study.
                positives = [p for p in positives if not (isinstance(p, Words) and only_stopwords(p.text))] or positives
            # Only typed words may be missed; a field value (land:NL, jaar:2020) always holds.
            words = [p for p in positives if isinstance(p, (Words, Phrase))] if node.loose else []
            needed = required_parts(len(words))
            result = table.all
            if needed < len(words):
                counts = np.zeros(table.size, dtype=np.int64)
                for word in words:
                    counts += self.documents(word)
                result = counts >= needed
                positives = [p for p in positives if not isinstance(p, (Words, Phrase))]
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
            return year_mask(table, leaf.low, leaf.high)
        if isinstance(leaf, Value):
            return FACETS[leaf.field].mask(table, {leaf.value})
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
        return sum_scores(self.table.postings.record_count, pieces)

    def _part_scores(self, part: Part) -> tuple[np.ndarray, np.ndarray]:
        postings = self.table.postings
        if len(part.terms) == 1:
            return postings.scores(self.snapshot, part.fieldname, part.terms[0], part.boost)
        return postings.phrase_scores(self.snapshot, part.fieldname, part.terms, part.boost)

    # -- ranking --

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
        page_scores = scores[~is_doc] * np.where(table.record_refs[records[~is_doc]], REFERENCES_WEIGHT, 1.0)
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

    def conditions(self, node: Node | None) -> np.ndarray:
        """The documents the tree allows apart from its free words: fields, years, values, NOT.

        What meaning search may add to: ``thema:framing vluchtelingen`` lets meaning find
        documents about refugees without the word, but only among those on framing.
        """
        table = self.table
        if node is None or (isinstance(node, (Words, Phrase)) and node.field is None):
            return table.all
        if isinstance(node, And):
            result = table.all
            for part in node.parts:
                result = result & self.conditions(part)
            return result
        if isinstance(node, Or):
            masks = [self.conditions(part) for part in node.parts]
            return table.all if any(mask.all() for mask in masks) else np.logical_or.reduce(masks)
        return self.documents(node)

    def rank(
        self, tree: Node | None, matched: np.ndarray, sort: str, *, relevance: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The matched documents in the asked order, and every document's score.

        ``relevance`` replaces the word scores as the score (meaning fused in, kenniskamer.search.hybrid).
        """
        table = self.table
        totals, scored = self.score(tree, matched)
        if relevance is not None:
            totals, scored = relevance, relevance > 0
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



def only_stopwords(text: str) -> bool:
    folded = WORD.findall(fold(text))
    return all(word in stopwords("nl") or word in stopwords("en") for word in folded)


@lru_cache(maxsize=20_000)
def _analyzed(text: str, suffix: str) -> tuple[str, ...]:
    """The index terms of a query's words (the thesaurus brings the same ones back often)."""
    return tuple(analyze(text, suffix))


def sum_scores(record_count: int, pieces: Sequence[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """(records, summed scores) of several (records, scores) with unique records each: an OR of clauses."""
    total = np.zeros(record_count)
    hit = np.zeros(record_count, dtype=bool)
    for records, scores in pieces:
        total[records] += scores
        hit[records] = True
    records = np.flatnonzero(hit)
    return records, total[records]
