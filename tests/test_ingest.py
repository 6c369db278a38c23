"""Ingestion on real files: what the workers derive, the topical bars and the robustness folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, ROBUSTNESS, SAMPLE, TOPICAL, needs_corpus

from indexer.dedupe import content_key, page_words, text_sample
from indexer.fetch import read_file, sniff_mime
from indexer.pipeline import AddOptions, prepare, run
from kenniskamer.index.analysis import analyze, analyze_words
from kenniskamer.library import Library
from kenniskamer.text.prose import vocabulary, words

sys.path.insert(0, str(REPO / "bench"))
import quality

SAMPLE_PDF = SAMPLE / "en_czymara2020_threat-to-the-occident_frontiers.pdf"


@pytest.fixture(scope="module")
def topical_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole topical folder added with two workers (built once for this module)."""
    needs_corpus()
    root = tmp_path_factory.mktemp("topical") / "library"
    report = run(Library.open(root, create=True), [str(TOPICAL)], AddOptions(jobs=2))
    assert not report.failed, [(i.location, i.message) for i in report.items if not i.ok]
    return root


# -- what a worker prepares equals what the parent would compute --------------------------------


def test_index_terms_from_folded_words_equal_the_analyzers_terms() -> None:
    """Workers analyse page text for the index; the terms must be exactly the analyzer's."""
    prepared = prepare(read_file(SAMPLE_PDF), (), password=None, added="2026-01-01T00:00:00Z")
    texts = list(prepared.pages) + ["Coöperatie en ruïnes: de vluchtelingen, DE Vluchteling's 2020!", "", "ß æ Ø"]
    for language in ("en", "nl", "other"):
        for text in texts:
            assert analyze_words(words(text), language) == analyze(text, language)


def test_prepared_key_sample_and_vocabulary_are_those_of_the_text() -> None:
    fetched = read_file(SAMPLE_PDF)
    prepared = prepare(fetched, (), password=None, added="2026-01-01T00:00:00Z")
    assert prepared.doc.content_key == content_key(prepared.pages)
    assert prepared.sample == text_sample(prepared.pages)
    assert set(prepared.vocabulary.split()) == vocabulary((prepared.doc.title, *prepared.pages))
    assert prepared.terms.pages is not None and len(prepared.terms.pages) == len(prepared.pages)
    assert prepared.terms.pages[0].split() == analyze(prepared.pages[0], "en")
    assert page_words(prepared.pages)[0][:3] == words(prepared.pages[0])[:3]


def test_utf16_html_without_a_byte_order_mark_is_html() -> None:
    needs_corpus()
    data = (ROBUSTNESS / "html_utf16be.html").read_bytes()
    assert not data.startswith((b"\xfe\xff", b"\xff\xfe"))
    assert sniff_mime(data) == "text/html"
    assert sniff_mime("<html><body><p>Hallo</p></body></html>".encode("utf-16-le")) == "text/html"
    assert sniff_mime("gewone tekst, geen HTML, wel lang genoeg".encode("utf-16-le")) is None


# -- the topical bars (issue 3) --------------------------------------------------------------------


def test_every_topical_file_is_added_with_close_titles_and_right_languages(topical_library: Path) -> None:
    result = quality.measure_topical(Library.open(topical_library))
    assert result.files == 65
    assert result.added == 65
    assert result.titles_close >= 59, result.title_misses  # 90%
    assert result.languages_right >= 62, result.language_misses  # 95%


def test_the_topical_library_checks_clean_and_finds_body_words(topical_library: Path) -> None:
    from kenniskamer.library.check import check_library
    from kenniskamer.search import SearchEngine, SearchQuery

    library = Library.open(topical_library)
    assert check_library(library).ok
    page = SearchEngine(library).search(SearchQuery("statushouders", expand=False))
    assert any(hit.doc.filename == "nl_smartbonnie_woonfraude-framing-statushouders.html" for hit in page.hits)
    # A phrase: positions come from the worker's terms.
    page = SearchEngine(library).search(SearchQuery('"affective polarization"', expand=False))
    assert any("janssen-turkenburg" in hit.doc.filename for hit in page.hits)


def test_themes_lists_every_theme_with_document_counts(invoke, topical_library: Path) -> None:
    result = invoke("themes", "--library", topical_library)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) >= 13
    counts = {line.split()[0]: int(line.split()[1]) for line in lines}
    library = Library.open(topical_library)
    expected: dict[str, int] = {}
    for doc in library.documents():
        for theme in doc.theme_ids:
            expected[theme] = expected.get(theme, 0) + 1
    assert {k: v for k, v in counts.items() if v} == expected
    assert counts["draagvlak"] > 0 and counts["polarisatie"] > 0


# -- the robustness folder -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def robustness_run(tmp_path_factory: pytest.TempPathFactory) -> quality.RobustnessResult:
    needs_corpus()
    return quality.measure_robustness(tmp_path_factory.mktemp("robustness") / "library")


def test_every_robustness_file_is_added_or_refused_with_one_line(robustness_run: quality.RobustnessResult) -> None:
    result = robustness_run
    assert result.stray_lines == []
    assert len(result.outcomes) == result.files == len(list(ROBUSTNESS.iterdir()))
    assert result.exit_code == 1  # some files are refused
    assert result.seconds < quality.ROBUSTNESS_SECONDS
    assert result.check_ok, result.check_output
    refused = {name: message for name, (outcome, message) in result.outcomes.items() if outcome == "failed"}
    assert "password" in refused["pdf_encrypted-userpw-openpassword.pdf"]
    assert "no pages" in refused["pdf_zero-pages.pdf"]
    for message in refused.values():
        assert "Traceback" not in message and message.endswith((".", ")"))


def test_image_only_scans_are_stored_flagged_and_not_taken_for_each_others_copies(
    robustness_run: quality.RobustnessResult,
) -> None:
    outcomes = robustness_run.outcomes
    for name in ("pdf_image-only-ccittfax.pdf", "pdf_image-only-jbig2.pdf", "pdf_scanned-image-only-2pages.pdf"):
        assert outcomes[name][0] == "added", outcomes[name]


def test_bench_scripts_run() -> None:
    """The benchmark scripts are importable and document themselves (they are run by hand)."""
    for script in ("ingest.py", "quality.py"):
        done = subprocess.run([sys.executable, str(REPO / "bench" / script), "--help"], capture_output=True, text=True)
        assert done.returncode == 0 and "usage" in done.stdout


def test_the_language_model_is_cached_and_a_damaged_cache_is_ignored(tmp_path: Path, monkeypatch) -> None:
    from indexer import enrich

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    enrich._identifier.cache_clear()
    try:
        assert enrich.detect_language("Dit is een Nederlandse zin over de opvang van asielzoekers.") == "nl"
        (cached,) = (tmp_path / "kenniskamer").glob("py3langid-*.pickle")
        enrich._identifier.cache_clear()
        assert enrich.detect_language("An English sentence about attitudes towards immigration.") == "en"
        cached.write_bytes(b"not a pickle")
        enrich._identifier.cache_clear()
        assert enrich.detect_language("Ein deutscher Satz über die Aufnahme von Flüchtlingen.") == "de"
        assert cached.stat().st_size > 1_000_000  # written again
    finally:
        enrich._identifier.cache_clear()


# -- summaries are cleaned where they enter ----------------------------------------------------

_RAW_SUMMARY = (
    "We study the accept-\nance of refugees in Germany and the Netherlands over ten years (Czymara 2020)."
    " Attitudes turn out to be stable.1"
)
_CLEAN_SUMMARY = "We study the acceptance of refugees in Germany and the Netherlands over ten years. Attitudes turn out to be stable."


def _page(title: str, description: str) -> str:
    body = " ".join(["Refugees and public opinion in Europe, a study of attitudes."] * 30)
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f'<meta name="description" content="{description}"></head><body><article><h1>{title}</h1>'
        f"<p>{body}</p><p>{title} {body}</p></article></body></html>"
    )


def test_summaries_are_cleaned_at_ingest_and_again_at_reindex_but_not_a_curators(tmp_path: Path) -> None:
    from kenniskamer.index.write import rebuild_index
    from kenniskamer.library.curate import edit_document

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.html").write_text(_page("First page on refugees", _RAW_SUMMARY), encoding="utf-8")
    (folder / "b.html").write_text(_page("Second page on asylum", "Another summary. " * 8), encoding="utf-8")
    library = Library.open(tmp_path / "library", create=True)
    report = run(library, [str(folder)], AddOptions(jobs=1))
    assert not report.failed, report.items
    first, second = sorted(library.documents(), key=lambda doc: doc.title)
    assert first.summary == _CLEAN_SUMMARY

    # A library from before summaries were cleaned at ingest; and a curator's summary.
    with library.connect() as conn:
        conn.execute("UPDATE documents SET summary = ? WHERE doc_id IN (?, ?)", (_RAW_SUMMARY, first.doc_id, second.doc_id))
    assert library.get(first.doc_id).summary == _RAW_SUMMARY
    curated = "Curated: the accept-\nance of asylum seekers (Jansen 2021)."
    edit_document(library, second.doc_id, {"summary": curated})
    with library.writing():
        rebuild_index(library)
    assert library.get(first.doc_id).summary == _CLEAN_SUMMARY
    assert library.get(second.doc_id).summary == curated
    assert library.get(second.doc_id).provenance["summary"] == "curator"
