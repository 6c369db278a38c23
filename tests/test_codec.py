"""The packed posting blocks (kenniskamer.index.codec): Whoosh reads them as its own, and the fast reader agrees."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from whoosh import fields as wf
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3Codec
from whoosh.filedb.filestore import FileStorage

from kenniskamer.index.analysis import analyzer_for
from kenniskamer.index.codec import PackedCodec, PackedPositions
from kenniskamer.index.postings import _matcher_postings, _position_keys, _read_term

WORDS = ["draagvlak", "public", "support", "asylum", "seeker", "polarisatie", "media", "frame"]


def _pages(seed: int = 3) -> list[str]:
    """Pages of varied length: a word on more than 128 pages (several blocks), repeats, far positions."""
    rng = random.Random(seed)
    pages = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 60))) for _ in range(700)]
    pages.append(" ".join(["filler"] * 70_000 + ["public", "support"]))  # positions past 65,535
    pages.append("frame " * 300)  # one word, many times: a weight unlike the others
    return pages


def _build(folder: Path, *, packed: bool) -> Any:
    """The same pages in three commits (three segments), some deleted, under either codec."""
    field = wf.TEXT(analyzer=analyzer_for("other"), phrase=True)
    if packed:
        field.format = PackedPositions(field_boost=1.0)
    schema = wf.Schema(key=wf.ID(stored=True, unique=True), body=field)
    folder.mkdir()
    ix = FileStorage(str(folder), supports_mmap=False).create_index(schema)
    codec = PackedCodec() if packed else W3Codec(compression=0)
    pages = _pages()
    for chunk in (pages[:300], pages[300:500], pages[500:]):
        writer = ix.writer(codec=codec)
        for page in chunk:
            writer.add_document(key=str(pages.index(page)), body=page)
        writer.commit(merge=False)
    writer = ix.writer(codec=codec)
    for number in range(0, 600, 7):
        writer.delete_by_term("key", str(number))
    writer.commit(merge=False)
    return ix


@pytest.fixture(scope="module")
def indexes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    folder = tmp_path_factory.mktemp("codec")
    return _build(folder / "packed", packed=True), _build(folder / "whoosh", packed=False)


@pytest.mark.parametrize(
    "query",
    [
        wq.Term("body", "public"),
        wq.Term("body", "frame"),
        wq.Phrase("body", ["public", "support"]),
        wq.Phrase("body", ["asylum", "seeker", "media"]),
        wq.Or([wq.Term("body", "draagvlak"), wq.Phrase("body", ["seeker", "asylum"])]),
    ],
    ids=repr,
)
def test_whoosh_searches_a_packed_index_as_its_own(indexes: tuple[Any, Any], query: wq.Query) -> None:
    packed, plain = indexes
    with packed.searcher() as ours, plain.searcher() as theirs:
        found = [(hit["key"], round(hit.score, 6)) for hit in ours.search(query, limit=None)]
        expected = [(hit["key"], round(hit.score, 6)) for hit in theirs.search(query, limit=None)]
    assert found == expected
    assert len(found) > 0


@pytest.mark.parametrize("word", ["public", "support", "frame", "filler", "seeker"])
def test_the_fast_reader_gives_what_whooshs_matchers_give(
    indexes: tuple[Any, Any], word: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Record numbers, frequencies and positions from the packed blocks equal the per-posting public API."""
    import kenniskamer.index.postings

    packed, _ = indexes
    with packed.searcher() as searcher:
        with monkeypatch.context() as patched:  # the packed blocks are read by the fast reader, not the fallback
            patched.setattr(kenniskamer.index.postings, "_matcher_postings", None)
            ids, freqs, keys = _read_term(searcher, "body", word, positions=True)
        reader = searcher.reader()
        live = np.array([not reader.is_deleted(record) for record in ids.tolist()], dtype=bool)
        if word == "public":
            assert not live.all()  # the fast reader reads deleted records too; the search maps them to nothing
        ids, freqs, keys = ids[live], freqs[live], keys[np.isin(keys >> 32, ids[live])]
        slow: list[tuple[np.ndarray, ...]] = []
        for segment, base in reader.leaf_readers():
            if ("body", word) in segment:
                block_ids, block_freqs, counts, steps = _matcher_postings(segment.postings("body", word), True)
                slow.append((block_ids + base, block_freqs, counts, steps))
    slow_ids, slow_freqs, counts, steps = (np.concatenate(column) for column in zip(*slow))
    assert ids.tolist() == slow_ids.tolist()
    assert freqs.tolist() == slow_freqs.tolist()
    assert keys.tolist() == _position_keys(slow_ids, counts, steps).tolist()
    if word == "filler":
        assert (keys & 0xFFFFFFFF).max() > 65_535


def test_position_keys_place_every_position_under_its_record() -> None:
    records = np.array([2, 5, 9], dtype=np.int64)
    positions = [[0, 4], [7], [1, 70_000, 70_001]]
    steps = np.array([p - q for ps in positions for q, p in zip([0, *ps], ps)], dtype=np.int64)
    counts = np.array([len(p) for p in positions], dtype=np.int64)
    expected = [(r << 32) | p for r, ps in zip(records.tolist(), positions) for p in ps]
    assert _position_keys(records, counts, steps).tolist() == expected
