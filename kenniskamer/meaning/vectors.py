"""What is encoded of a document (its text, and its pages in chunks of ~110 words) and the vectors made of it."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from kenniskamer.meaning.encoder import Encoder
from kenniskamer.models import Document
from kenniskamer.text.layout import reference_spans

CHUNK_WORDS = (100, 110, 120)  # a passage ends after a sentence between the outer two, else at the middle
TAIL_WORDS = 40  # a page's last chunk with fewer words joins the one before
DOCUMENT_WORDS = 300  # the document text: title, summary, then the first page, up to this many words
RETRIEVAL_WORDS = 150  # the same for the retrieval encoder (e5): the question judgments scored 0.72 at 95 words, 0.74 at 150, 0.72 at 300
HASH_BYTES = 8

_WORD = re.compile(r"\S+")
_SENTENCE_END = re.compile(r"[.!?:;][\"')\]]*$")


def document_text(doc: Document, pages: Sequence[str], words: int = DOCUMENT_WORDS) -> str:
    """The text of a document's vector: its title, summary and first page with text, cut at ``words`` words."""
    first_page = next((page for page in pages if page.strip()), "")
    return " ".join(" ".join(part for part in (doc.title, doc.summary or "", first_page) if part).split()[:words])


def retrieval_text(doc: Document, pages: Sequence[str]) -> str:
    """The text of a document's retrieval vector (kenniskamer.meaning.e5): its document text, cut at RETRIEVAL_WORDS."""
    return document_text(doc, pages, RETRIEVAL_WORDS)


def page_chunks(text: str) -> list[tuple[int, int]]:
    """(start, end) character offsets of a page's passages: ~110 words each, ending after a sentence if one ends near."""
    words = [(match.start(), match.end()) for match in _WORD.finditer(text)]
    low, middle, high = CHUNK_WORDS
    spans: list[tuple[int, int]] = []
    first = 0
    while first < len(words):
        if len(words) - first <= high:
            last = len(words) - 1
        else:
            ends = [i for i in range(first + low - 1, first + high) if _SENTENCE_END.search(text[slice(*words[i])])]
            last = min(ends, key=lambda i: abs(i - (first + middle - 1))) if ends else first + middle - 1
        if spans and last - first + 1 < TAIL_WORDS:
            spans[-1] = (spans[-1][0], words[last][1])
        else:
            spans.append((words[first][0], words[last][1]))
        first = last + 1
    return spans


def passages_of(pages: Sequence[str], references: Sequence[tuple[int, int] | None] | None = None) -> list[tuple[int, int, int]]:
    """(page number from 1, start, end) of every passage of a document's pages, the reference list left out.

    A reference list is never shown as a passage, and leaving it out saves its encoding (a
    sixth of a typical article's pages): a page's text before and after its list is kept.
    ``references``: the pages' reference lists, if already found.
    """
    spans: list[tuple[int, int, int]] = []
    found = reference_spans(pages) if references is None else references
    for number, (text, span) in enumerate(zip(pages, found), start=1):
        low, high = span if span is not None else (len(text), len(text))
        before = page_chunks(text[:low])
        after = [(start + high, end + high) for start, end in page_chunks(text[high:])]
        spans.extend((number, start, end) for start, end in [*before, *after])
    return spans


def text_hash(text: str) -> bytes:
    """A short hash of a text a vector was made from: the same text (and model) means the vector can be reused."""
    return hashlib.blake2b(text.encode(), digest_size=HASH_BYTES).digest()


class Retriever(Protocol):
    """The second encoder, for documents only (kenniskamer.meaning.e5.E5Small)."""

    model_id: str
    dimensions: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class Retrieval:
    """A document's vector by the retrieval encoder, and what it was made from."""

    model_id: str
    text_hash: bytes  # of retrieval_text
    vector: np.ndarray  # (dimensions,) float16, L2-normalised


@dataclass(frozen=True)
class DocumentVectors:
    """A document's vectors, with what they were made from: one for the document, one per passage."""

    model_id: str
    text_hash: bytes  # of document_text
    vector: np.ndarray  # (dimensions,) float16, L2-normalised
    spans: np.ndarray  # (passages, 3) int32: page number, start and end offsets into the stored page text
    hashes: bytes  # HASH_BYTES per passage, of its text
    passages: np.ndarray  # (passages, dimensions) float16, L2-normalised
    retrieval: Retrieval | None = None  # the retrieval encoder's document vector, if it was asked for

    def passage_hashes(self) -> list[bytes]:
        """The hash of each passage's text, in order."""
        return [self.hashes[i : i + HASH_BYTES] for i in range(0, len(self.hashes), HASH_BYTES)]


def expected_hashes(doc: Document, pages: Sequence[str]) -> tuple[bytes, bytes]:
    """The document-text hash and the joined passage hashes a document's vectors should carry."""
    texts = [pages[page - 1][start:end] for page, start, end in passages_of(pages)]
    return text_hash(document_text(doc, pages)), b"".join(map(text_hash, texts))


def encode_document(
    doc: Document, pages: Sequence[str], encoder: Encoder, *, previous: DocumentVectors | None = None,
    references: Sequence[tuple[int, int] | None] | None = None, retriever: Retriever | None = None,
) -> DocumentVectors:
    """Encode a document and its passages; texts whose hash ``previous`` (same model) holds keep their vector.

    ``references``: the pages' reference lists, if already found (text.layout.reference_spans).
    ``retriever``: also the document's retrieval vector (kept from ``previous`` the same way).
    """
    spans = passages_of(pages, references)
    texts = [pages[page - 1][start:end] for page, start, end in spans]
    hashes = [text_hash(text) for text in texts]
    doc_text = document_text(doc, pages)
    doc_hash = text_hash(doc_text)
    known: dict[bytes, np.ndarray] = {}
    doc_vector = None
    if previous is not None and previous.model_id == encoder.model_id:
        known = dict(zip(previous.passage_hashes(), previous.passages, strict=True))
        if previous.text_hash == doc_hash:
            doc_vector = previous.vector
    wanted = [i for i, digest in enumerate(hashes) if digest not in known]
    to_encode = [texts[i] for i in wanted] + ([doc_text] if doc_vector is None else [])
    fresh = encoder.encode(to_encode).astype(np.float16) if to_encode else np.zeros((0, encoder.dimensions), np.float16)
    passages = np.empty((len(texts), encoder.dimensions), dtype=np.float16)
    for row, i in enumerate(wanted):
        passages[i] = fresh[row]
    for i, digest in enumerate(hashes):
        if digest in known:
            passages[i] = known[digest]
    return DocumentVectors(
        model_id=encoder.model_id,
        text_hash=doc_hash,
        vector=fresh[-1] if doc_vector is None else doc_vector,
        spans=np.array(spans, dtype=np.int32).reshape(len(spans), 3),
        hashes=b"".join(hashes),
        passages=passages,
        retrieval=_retrieval(doc, pages, retriever, previous.retrieval if previous else None),
    )


def _retrieval(doc: Document, pages: Sequence[str], retriever: Retriever | None, previous: Retrieval | None) -> Retrieval | None:
    """The retrieval vector to store: ``previous`` if made from the same text (by ``retriever``'s model, if one is
    given), else encoded by ``retriever``; None without one."""
    text = retrieval_text(doc, pages)
    digest = text_hash(text)
    if previous is not None and previous.text_hash == digest and (retriever is None or previous.model_id == retriever.model_id):
        return previous
    if retriever is None:
        return None
    return Retrieval(retriever.model_id, digest, retriever.encode([text])[0].astype(np.float16))
