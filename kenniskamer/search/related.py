"""More like this: documents that share a document's key terms and themes, scored by the one ranker."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from kenniskamer.index.read import Snapshot
from kenniskamer.index.schema import text_suffix
from kenniskamer.models import Document
from kenniskamer.search.rank import sum_scores
from kenniskamer.search.table import DocTable

KEY_TERMS = 25  # of the document's text, weighted by how well they tell it apart
THEME_BOOST = 2.0  # a shared theme counts like a good key term
PAGES_READ = 30  # pages of the document its key terms are taken from


def related_documents(
    snapshot: Snapshot, table: DocTable, doc: Document, pages: Sequence[str], *, limit: int
) -> list[tuple[int, float]]:
    """(ordinal, score) of the documents most like ``doc``, best first; a document's score is its best record's."""
    suffix = text_suffix(doc.language)
    text = " ".join((doc.title, doc.title, doc.summary or "", *pages[:PAGES_READ]))
    terms = snapshot.key_terms(f"body_{suffix}", text, KEY_TERMS)
    if not terms:
        return []
    postings = table.postings
    pieces = [postings.scores(snapshot, f"body_{suffix}", term, weight) for term, weight in terms]
    pieces += [postings.scores(snapshot, "theme", theme, THEME_BOOST) for theme in doc.theme_ids]
    records, scores = sum_scores(postings.record_count, [piece for piece in pieces if len(piece[0])])
    best = np.zeros(table.size + 1)
    np.maximum.at(best, table.record_doc[records], scores)
    best = best[: table.size]
    own = table.ordinal.get(doc.doc_id)
    if own is not None:
        best[own] = 0.0
    ordered = np.argsort(-best, kind="stable")[:limit]
    return [(int(o), float(best[o])) for o in ordered if best[o] > 0]
