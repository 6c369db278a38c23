"""Dedupe: exact copies by content hash, near-duplicates by title and text similarity."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from kenniskamer.text.prose import fold, words

SAMPLE_WORDS = 1500  # words of normalised text kept per document for comparisons
TITLE_SIMILARITY = 90.0  # rapidfuzz token_sort_ratio, 0-100
TEXT_SIMILARITY = 0.85  # share of the text sample that must match


def normalise(text: str) -> str:
    """Folded words separated by single spaces: what near-duplicate checks compare."""
    return " ".join(words(text))


def page_words(pages: Sequence[str]) -> list[list[str]]:
    """The folded words of every page: computed once, then used for the key, the sample and the index."""
    return [words(page) for page in pages]


def content_key(pages: Sequence[str]) -> str:
    """A hash of the normalised text: equal for the same text in another file."""
    return content_key_of(page_words(pages))


def content_key_of(folded_pages: Sequence[Sequence[str]]) -> str:
    """:func:`content_key` of pages already split into folded words."""
    digest = hashlib.sha256()
    for page in folded_pages:
        digest.update(" ".join(page).encode())
        digest.update(b" ")
    return digest.hexdigest()[:32]


def text_sample(pages: Sequence[str]) -> str:
    """The first SAMPLE_WORDS normalised words, compared between documents."""
    collected: list[str] = []
    for page in pages:
        collected.extend(words(page))
        if len(collected) >= SAMPLE_WORDS:
            break
    return " ".join(collected[:SAMPLE_WORDS])


def sample_of(folded_pages: Sequence[Sequence[str]]) -> str:
    """:func:`text_sample` of pages already split into folded words."""
    collected: list[str] = []
    for page in folded_pages:
        collected.extend(page[: SAMPLE_WORDS - len(collected)])
        if len(collected) >= SAMPLE_WORDS:
            break
    return " ".join(collected)


@dataclass(frozen=True)
class NearDuplicate:
    """An existing document that looks like the same work."""

    doc_id: str
    title: str
    similarity: float  # 0-1, of the text samples


@dataclass
class KnownDocuments:
    """The documents a new one is compared with: content keys, folded titles and text samples."""

    ids: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    folded_titles: list[str] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)
    keys: dict[str, int] = field(default_factory=dict)  # content key -> position

    @classmethod
    def of(cls, rows: Iterable[tuple[str, str, str, str]]) -> KnownDocuments:
        """From (doc_id, title, content_key, sample) rows, e.g. ``Library.samples()``."""
        known = cls()
        for row in rows:
            known.add(*row)
        return known

    def add(self, doc_id: str, title: str, key: str, sample: str) -> None:
        """Remember a document."""
        if key:
            self.keys.setdefault(key, len(self.ids))
        self.ids.append(doc_id)
        self.titles.append(title)
        self.folded_titles.append(fold(title))
        self.samples.append(sample)

    def find(self, title: str, key: str, sample: str) -> NearDuplicate | None:
        """The most similar known document if it is the same work: same normalised text,
        or a similar title and mostly the same text sample."""
        if key and key in self.keys:
            position = self.keys[key]
            return NearDuplicate(self.ids[position], self.titles[position], 1.0)
        if not sample:
            return None
        best: NearDuplicate | None = None
        # Titles first, in C over the whole list: only similar titles get the costlier text comparison.
        candidates = process.extract(
            fold(title), self.folded_titles, scorer=fuzz.token_sort_ratio, score_cutoff=TITLE_SIMILARITY, limit=None
        )
        for _title, _score, position in candidates:
            other = self.samples[position]
            if not other:
                continue
            similarity = fuzz.ratio(sample, other) / 100.0
            if similarity >= TEXT_SIMILARITY and (best is None or similarity > best.similarity):
                best = NearDuplicate(self.ids[position], self.titles[position], similarity)
        return best


def find_near_duplicate(
    title: str, key: str, sample: str, existing: Iterable[tuple[str, str, str, str]]
) -> NearDuplicate | None:
    """The most similar existing (doc_id, title, content_key, sample), if it is the same work."""
    return KnownDocuments.of(existing).find(title, key, sample)
