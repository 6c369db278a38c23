"""Meaning fused with words: which documents meaning adds, the fused order, and the pages shown.

Words (BM25F over the index, with the thesaurus) find what a query names; an offline
multilingual sentence encoder finds what it means, in Dutch and English alike. A document
the words do not find joins the results when its vector is close to the query's; the
order is, for keywords, a weighted reciprocal rank fusion of the two rankings, and for
questions (many content words) the cosine with the word score as a tie-breaker. Tuned on the keyword
judgments and the question judgments in tests/relevance/ (figures in bench/RESULTS.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

from kenniskamer.search.query import Node, Phrase, Words, leaves

RRF_K = 10.0  # the rank offset of reciprocal rank fusion: smaller trusts the top ranks more
WORD_WEIGHT = 1.0
MEANING_WEIGHT_KEYWORDS = 0.6  # up to KEYWORD_WORDS content words
MEANING_WEIGHT_QUESTIONS = 1.5
KEYWORD_WORDS = 3
QUESTION_WORD_SHARE = 0.13  # a question's word score (log-scaled, 1 for the best) beside its cosine
REFINED = 40  # documents closest by their own vector whose passages are compared with the query too
RETRIEVAL_SHARE = 0.6  # the retrieval encoder's (e5's) z-scored cosines beside USE's refined ones: see blend
DENSE_FLOOR = 0.25  # cosine a document needs to be found by meaning alone
DENSE_MARGIN = 0.20  # ... and at most this far below the best document's


class Meaning(Protocol):
    """What the engine needs of the library's vectors (kenniskamer.meaning.MeaningIndex)."""

    def encode_query(self, text: str) -> np.ndarray: ...

    def document_scores(self, query: np.ndarray, doc_ids: Sequence[str]) -> np.ndarray: ...

    def retrieval_scores_later(self, text: str, doc_ids: Sequence[str]) -> Callable[[], np.ndarray | None]: ...

    def passages(self, query: np.ndarray, doc_id: str, limit: int) -> list[tuple[int, int, int, float]]: ...

    def refresh(self) -> None: ...


def meaning_text(tree: Node | None, expansions: Sequence[str]) -> str:
    """The text to encode: the query's positive words and phrases, and what the thesaurus added."""
    words = [leaf.text for leaf, negated in leaves(tree) if not negated and isinstance(leaf, (Words, Phrase))]
    return " ".join([*words, *expansions]).strip()


def content_words(tree: Node | None, is_stop: Callable[[str], bool]) -> int:
    """How many words of the query are not stop words (a question has many)."""
    words = [w for leaf, negated in leaves(tree) if not negated and isinstance(leaf, (Words, Phrase))
             for w in leaf.text.split()]
    return sum(not is_stop(word) for word in words)


def found_by_meaning(cosines: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """The documents close enough to the query by meaning, among those the query's conditions allow."""
    usable = allowed & ~np.isnan(cosines)
    if not usable.any():
        return np.zeros(len(cosines), dtype=bool)
    values = np.where(usable, cosines, -1.0)
    floor = max(DENSE_FLOOR, float(values.max()) - DENSE_MARGIN)
    return usable & (values >= floor)


def fuse(word_scores: np.ndarray, scored: np.ndarray, cosines: np.ndarray, pool: np.ndarray, words: int) -> np.ndarray:
    """The fused relevance of every document of the pool (0 elsewhere).

    Keywords: each ranking gives a document weight / (RRF_K + its rank), words over the
    documents they scored, meaning over the pool's documents with a vector. Questions: the
    cosine itself, plus QUESTION_WORD_SHARE of the log-scaled word score (1 for the best):
    a question's meaning decides, its words break near-ties. Rank fusion threw away how
    close the closest documents are: on the question judgments it scored 0.644 (nDCG@10),
    below meaning alone (0.658); this scores 0.668, and the keyword judgments' longer
    queries gain too (0.858 -> 0.874). bench/RESULTS.md has the grid; the share is the
    middle of the plateau (0.07-0.16) at which "terror attacks and support for refugees"
    keeps the party programmes out of its top 3.
    """
    if words > KEYWORD_WORDS:
        return _fuse_question(word_scores, scored, cosines, pool)
    fused = np.zeros(len(pool))
    meaning_weight = MEANING_WEIGHT_KEYWORDS if words <= KEYWORD_WORDS else MEANING_WEIGHT_QUESTIONS
    by_words = np.flatnonzero(pool & scored & (word_scores > 0))
    if len(by_words):
        order = by_words[np.argsort(-word_scores[by_words], kind="stable")]
        fused[order] += WORD_WEIGHT / (RRF_K + np.arange(1, len(order) + 1))
    by_meaning = np.flatnonzero(pool & ~np.isnan(cosines))
    if len(by_meaning):
        order = by_meaning[np.argsort(-cosines[by_meaning], kind="stable")]
        fused[order] += meaning_weight / (RRF_K + np.arange(1, len(order) + 1))
    return fused


def _fuse_question(word_scores: np.ndarray, scored: np.ndarray, cosines: np.ndarray, pool: np.ndarray) -> np.ndarray:
    with_vector = pool & ~np.isnan(cosines)
    fused = np.where(with_vector, cosines, 0.0)
    by_words = np.where(pool & scored & (word_scores > 0), word_scores, 0.0)
    if by_words.max(initial=0.0) > 0:
        fused = fused + QUESTION_WORD_SHARE * np.log1p(by_words) / np.log1p(by_words.max())
    # Every document of the pool ranks above those outside it (a cosine can be below 0).
    return np.where(pool, fused + 1.0, 0.0)


def fused_pages(word_pages: Sequence[int], meaning_pages: Sequence[int], words: int, limit: int) -> list[int]:
    """A document's pages in the fused order of its word-ranked and its meaning-ranked pages."""
    meaning_weight = MEANING_WEIGHT_KEYWORDS if words <= KEYWORD_WORDS else MEANING_WEIGHT_QUESTIONS
    score: dict[int, float] = {}
    for rank, page in enumerate(word_pages, start=1):
        score[page] = score.get(page, 0.0) + WORD_WEIGHT / (RRF_K + rank)
    for rank, page in enumerate(dict.fromkeys(meaning_pages), start=1):
        score[page] = score.get(page, 0.0) + meaning_weight / (RRF_K + rank)
    return sorted(score, key=lambda page: -score[page])[:limit]


def refine(meaning: Meaning, query: np.ndarray, cosines: np.ndarray, doc_ids: Sequence[str]) -> np.ndarray:
    """Document closeness with their best passage taken into account, for the REFINED closest documents.

    A document's own vector (title, summary, first page) misses what a report says on page
    40; the mean of it and the best passage's cosine does not. Measured on the question
    judgments, by meaning alone: nDCG@10 0.524 with the document vector, 0.655 with the mean.
    Only the closest documents' passage vectors are read, so the cost stays bounded.
    """
    usable = np.flatnonzero(~np.isnan(cosines))
    if not len(usable):
        return cosines
    refined = cosines.copy()
    closest = usable[np.argsort(-cosines[usable], kind="stable")[:REFINED]]
    for ordinal in closest.tolist():
        best = meaning.passages(query, doc_ids[ordinal], 1)
        if best:
            refined[ordinal] = (cosines[ordinal] + best[0][3]) / 2
    return refined


def blend(cosines: np.ndarray, retrieval: np.ndarray | None) -> np.ndarray:
    """USE's refined cosines mixed with the retrieval encoder's: z-scored, RETRIEVAL_SHARE of e5, on USE's scale.

    Both are z-scored over the documents that have them and mixed, the mix z-scored again (two
    scores mixed spread less than either), then put back on the mean and spread of USE's
    cosines, so DENSE_FLOOR and DENSE_MARGIN keep their meaning and a document without a
    retrieval vector (its own z-score of USE) stands beside the others as before. Measured on
    the question judgments (bench/RESULTS.md): nDCG@10 0.670 with USE alone, 0.741-0.743 with
    e5 at 0.5-0.7 (0.6 is the middle); the keyword judgments 0.875 -> 0.878-0.883.
    """
    usable = ~np.isnan(cosines)
    if retrieval is None or not usable.any():
        return cosines
    both = usable & ~np.isnan(retrieval)
    if both.sum() < 2:
        return cosines
    centre, spread = float(cosines[usable].mean()), float(cosines[usable].std()) or 1.0
    mixed = (cosines - centre) / spread
    other = retrieval[both]
    blended = (1 - RETRIEVAL_SHARE) * mixed[both] + RETRIEVAL_SHARE * (other - other.mean()) / (float(other.std()) or 1.0)
    mixed[both] = (blended - blended.mean()) / (float(blended.std()) or 1.0)  # a mix of two spreads less: back to 1
    return (centre + spread * mixed).astype(cosines.dtype)
