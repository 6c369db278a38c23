"""Keeping the vectors in step with the catalog: check them, and encode what is missing or out of date.

A vector is reused whenever the model id and the hash of its text are the ones it was made
with, so `reindex` encodes nothing for an unchanged library, a changed summary re-encodes one
vector, and a new model id re-encodes everything (with progress through ``on_item``). The
same holds for each document's retrieval vector (kenniskamer.meaning.e5): a library made
before it existed gets them from `reindex` or `check --repair`, its passages kept.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kenniskamer.meaning import e5
from kenniskamer.meaning.encoder import MODEL_ID, Encoder, load_encoder
from kenniskamer.meaning.store import StoredVectors, VectorStore
from kenniskamer.meaning.vectors import Retriever, encode_document, expected_hashes, retrieval_text, text_hash

if TYPE_CHECKING:
    from kenniskamer.library.catalog import Library


@dataclass
class VectorsReport:
    """What disagrees between the catalog and the vectors."""

    missing: list[str] = field(default_factory=list)  # no vectors (or retrieval vector), another model's, or passage rows unreadable
    stale: list[str] = field(default_factory=list)  # made from another text than the catalog holds
    extra: list[str] = field(default_factory=list)  # vectors of documents the catalog no longer has

    @property
    def ok(self) -> bool:
        """True if every document has vectors of the current model made from its current text, and no more."""
        return not (self.missing or self.stale or self.extra)

    @property
    def to_encode(self) -> list[str]:
        """The documents whose vectors must be (partly) encoded again."""
        return self.missing + self.stale


def _readable(store: VectorStore, entry: StoredVectors, sizes: dict[str, int]) -> bool:
    if entry.file not in sizes:
        try:
            sizes[entry.file] = (store.folder / entry.file).stat().st_size
        except OSError:
            sizes[entry.file] = -1
    return entry.offset + entry.count * entry.dimensions * 2 <= sizes[entry.file]


def check_vectors(
    library: Library, *, verify: bool = True, model_id: str = MODEL_ID, retrieval_model: str | None = e5.MODEL_ID,
) -> VectorsReport:
    """Compare the vectors with the catalog; ``verify`` also re-hashes every document's texts (reads all pages).

    ``retrieval_model``: the retrieval vectors' model every document should have (None: not checked).
    """
    report = VectorsReport()
    store = VectorStore(library.vectors_dir)
    entries = store.entries()
    sizes: dict[str, int] = {}
    doc_ids = set()
    for doc in library.documents():
        doc_ids.add(doc.doc_id)
        entry = entries.get(doc.doc_id)
        other_retrieval = retrieval_model is not None and entry is not None and entry.retrieval_model != retrieval_model
        if entry is None or entry.model_id != model_id or other_retrieval or not _readable(store, entry, sizes):
            report.missing.append(doc.doc_id)
        elif verify and _stale(library, entry, retrieval_model is not None):
            report.stale.append(doc.doc_id)
    report.extra = sorted(set(entries) - doc_ids)
    return report


def _stale(library: Library, entry: StoredVectors, retrieval: bool) -> bool:
    """Whether a document's vectors were made from other texts than the catalog's."""
    doc, pages = library.get(entry.doc_id), library.pages(entry.doc_id)
    if (entry.text_hash, entry.hashes) != expected_hashes(doc, pages):
        return True
    return retrieval and entry.retrieval_hash != text_hash(retrieval_text(doc, pages))


def repair_vectors(
    library: Library,
    report: VectorsReport,
    *,
    encoder: Encoder | None = None,
    retriever: Retriever | None = None,
    on_item: Callable[[str], None] | None = None,
) -> int:
    """Encode the vectors ``report`` finds missing or stale (reusing what still matches), drop the extra; return how many were encoded.

    The caller holds the library's write lock. The encoder is loaded only if there is something to encode.
    """
    store = VectorStore(library.vectors_dir)
    store.remove_many(report.extra)
    if report.to_encode:
        encoder = encoder or load_encoder()
        retriever = retriever or e5.retriever_or_none()
        for doc_id in report.to_encode:
            _encode_one(library, store, doc_id, encoder, retriever)
            if on_item:
                on_item(doc_id)
    store.compact()
    count = len(report.to_encode)
    report.missing, report.stale, report.extra = [], [], []
    return count


def update_vectors(
    library: Library, doc_ids: Sequence[str], *, encoder: Encoder | None = None, retriever: Retriever | None = None,
) -> int:
    """Bring these documents' vectors up to date (after an edit); return how many needed encoding."""
    if not library.meaning:
        return 0
    store = VectorStore(library.vectors_dir)
    entries = store.entries()
    model_id = encoder.model_id if encoder else MODEL_ID
    retrieval_model = retriever.model_id if retriever else e5.MODEL_ID
    stale = []
    for doc_id in doc_ids:
        entry = entries.get(doc_id)
        if entry is None or (entry.model_id, entry.retrieval_model) != (model_id, retrieval_model) or _stale(library, entry, True):
            stale.append(doc_id)
    if stale:
        encoder = encoder or load_encoder()
        retriever = retriever or e5.retriever_or_none()
        for doc_id in stale:
            _encode_one(library, store, doc_id, encoder, retriever)
    return len(stale)


def _encode_one(library: Library, store: VectorStore, doc_id: str, encoder: Encoder, retriever: Retriever | None) -> None:
    doc, pages = library.get(doc_id), library.pages(doc_id)
    store.put(doc_id, encode_document(doc, pages, encoder, previous=store.get(doc_id), retriever=retriever))


def remove_vectors(library: Library, doc_id: str) -> None:
    """Forget a removed document's vectors (even with meaning off: they describe a document that is gone)."""
    VectorStore(library.vectors_dir).remove(doc_id)
