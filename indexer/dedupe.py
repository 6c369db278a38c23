"""Dedupe: exact copies by content hash, near-duplicates by title and text similarity."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from kenniskamer.index import fold

SAMPLE_WORDS = 1500  # words of normalised text kept per document for comparisons
TITLE_SIMILARITY = 90.0  # rapidfuzz token_sort_ratio, 0-100
TEXT_SIMILARITY = 0.85  # share of the text sample that must match

_WORD = re.compile(r"\w+")


def normalise(text: str) -> str:
    """Folded words separated by single spaces: what near-duplicate checks compare."""
    return " ".join(_WORD.findall(fold(text)))


def content_key(pages: Sequence[str]) -> str:
    """A hash of the normalised text: equal for the same text in another file."""
    digest = hashlib.sha256()
    for page in pages:
        digest.update(normalise(page).encode())
        digest.update(b" ")
    return digest.hexdigest()[:32]


def text_sample(pages: Sequence[str]) -> str:
    """The first SAMPLE_WORDS normalised words, compared between documents."""
    words: list[str] = []
    for page in pages:
        words.extend(normalise(page).split())
        if len(words) >= SAMPLE_WORDS:
            break
    return " ".join(words[:SAMPLE_WORDS])


@dataclass(frozen=True)
class NearDuplicate:
    """An existing document that looks like the same work."""

    doc_id: str
    title: str
    similarity: float  # 0-1, of the text samples


def find_near_duplicate(
    title: str, key: str, sample: str, existing: Iterable[tuple[str, str, str, str]]
) -> NearDuplicate | None:
    """The most similar existing (doc_id, title, content_key, sample), if it is the same work."""
    best: NearDuplicate | None = None
    folded_title = fold(title)
    for doc_id, other_title, other_key, other_sample in existing:
        if key and key == other_key:
            return NearDuplicate(doc_id, other_title, 1.0)
        if not sample or not other_sample:
            continue
        if fuzz.token_sort_ratio(folded_title, fold(other_title)) < TITLE_SIMILARITY:
            continue
        similarity = fuzz.ratio(sample, other_sample) / 100.0
        if similarity >= TEXT_SIMILARITY and (best is None or similarity > best.similarity):
            best = NearDuplicate(doc_id, other_title, similarity)
    return best
