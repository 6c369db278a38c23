"""Property-based tests: any input gives a result or a user error, never a crash."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from conftest import ROBUSTNESS, needs_corpus
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.fetch import sniff_mime
from indexer.html import extract_html
from indexer.pipeline import process
from kenniskamer.errors import ExtractionError, QueryError
from kenniskamer.library import Library
from kenniskamer.models import Fetched
from kenniskamer.search import SearchEngine, SearchQuery
from kenniskamer.search.query import parse_query

QUERY_ALPHABET = st.sampled_from(
    list('abcdeéïöAZ019 "()-:*?.,;&|!~^\\/') + ["AND", "OR", "NOT", "EN", "OF", "NIET", "titel:", "jaar:", "thema:",
                                                 "taal:", "type:", "auteur:", "2019..2022", "..", "\t", "\n", "ß", "🙂"]
)
queries = st.lists(QUERY_ALPHABET, max_size=25).map("".join) | st.text(max_size=80)


@pytest.fixture(scope="module")
def engine(sample_library: Path) -> SearchEngine:
    return SearchEngine(Library.open(sample_library))


@given(text=queries)
@settings(max_examples=300, deadline=None)
def test_the_parser_gives_a_tree_or_a_query_error(text: str) -> None:
    try:
        parse_query(text, lambda field, value: value)
    except QueryError as err:
        assert str(err) and "\n" not in str(err)


@given(text=queries)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_query_gives_results_or_a_user_error(engine: SearchEngine, text: str) -> None:
    try:
        page = engine.search(SearchQuery(text))
    except QueryError as err:
        assert str(err)
        return
    assert page.total >= len(page.hits)
    assert all(hit.doc.title for hit in page.hits)


FILTER_NAMES = st.sampled_from(["theme", "type", "language", "year", "decade", "publisher", "colour", ""])
filter_values = st.one_of(st.sampled_from(["polarisatie", "framing", "en", "nl", "2020", "2010", "study", "Engels"]), st.text(max_size=12))


@given(filters=st.dictionaries(FILTER_NAMES, st.lists(filter_values, max_size=3).map(tuple), max_size=4),
       sort=st.sampled_from(["relevance", "newest", "added", "random"]), page=st.integers(-2, 30),
       size=st.integers(-1, 60))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_filters_from_url_parameters_give_results_or_a_user_error(engine: SearchEngine, filters, sort, page, size) -> None:
    try:
        result = engine.search(SearchQuery("migration", filters=filters, sort=sort, page=page, page_size=size))
    except QueryError as err:
        assert str(err)
        return
    assert len(result.hits) <= size


html_bytes = st.one_of(
    st.binary(max_size=2000),
    st.text(max_size=2000).map(lambda t: f"<html><head><title>{t[:40]}</title></head><body><p>{t}</p></body></html>".encode()),
    st.lists(st.sampled_from([b"<html>", b"<head>", b"<meta charset=utf-16>", b"<title>", b"</title>", b"<script>",
                              b"<p>", b"text ", b"\xff\xfe", b"\x00", b"&amp;", b"&#0;", b"<!--", b"]]>", b"<body>",
                              b'<meta name="citation_title" content="', b'"/>', b"\xc3\xa9"]), max_size=60).map(b"".join),
)


@given(data=html_bytes)
@settings(max_examples=150, deadline=None)
def test_any_bytes_give_html_text_or_an_extraction_error(data: bytes) -> None:
    try:
        extracted = extract_html(data)
    except ExtractionError as err:
        assert str(err) and "\n" not in str(err)
        return
    assert len(extracted.pages) == 1 and isinstance(extracted.pages[0], str)


def _mutations(seed: int, count: int) -> list[bytes]:
    """Byte-level mutations of the robustness corpus's small PDFs (flips, cuts, splices)."""
    rng = random.Random(seed)
    sources = [p.read_bytes() for p in sorted(ROBUSTNESS.glob("pdf_*.pdf")) if p.stat().st_size < 60_000]
    out = []
    for _ in range(count):
        data = bytearray(rng.choice(sources))
        for _ in range(rng.randint(1, 8)):
            kind = rng.random()
            position = rng.randrange(len(data)) if data else 0
            if kind < 0.5 and data:
                data[position] = rng.randrange(256)
            elif kind < 0.75:
                del data[position : position + rng.randint(1, 200)]
            else:
                other = rng.choice(sources)
                start = rng.randrange(len(other))
                data[position:position] = other[start : start + rng.randint(1, 300)]
        out.append(bytes(data))
    return out


def test_mutated_pdfs_end_in_text_or_a_clean_error_within_the_worker_limits(tmp_path: Path) -> None:
    """200 mutations run through the real pipeline (worker processes with time and memory limits)."""
    needs_corpus()
    from indexer.pipeline import AddOptions, run

    folder = tmp_path / "mutants"
    folder.mkdir()
    for number, data in enumerate(_mutations(seed=2026, count=200)):
        (folder / f"mutant-{number:03d}.pdf").write_bytes(data)
    library = Library.open(tmp_path / "library", create=True)
    report = run(library, [str(folder)], AddOptions(jobs=2, timeout=20))
    assert len(report.items) == 200
    for item in report.items:
        assert item.outcome in ("added", "duplicate", "near-duplicate", "failed")
        if item.outcome == "failed":
            assert item.message and "\n" not in item.message
            assert "Traceback" not in item.message


def test_sniffing_never_fails_on_junk() -> None:
    rng = random.Random(1)
    for _ in range(2000):
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(64)))
        assert sniff_mime(data) in (None, "application/pdf", "text/html")


def test_the_worker_function_raises_a_clean_error_for_plain_text(tmp_path: Path) -> None:
    with pytest.raises(ExtractionError, match="Unsupported type: this is plain text"):
        process(Fetched(b"plain words", "", str(tmp_path / "x.txt"), "x.txt"), (), password=None, added="2026-01-01T00:00:00Z")
