"""Scanned pages are read by OCR at ingest: real corpus pages rendered to images and wrapped as image-only PDFs.

The scans are made here from the Dutch Algorithm Audit reports in ../shared/corpus/dutch (CC BY
4.0): each page is rendered at 150 dpi in greyscale and put on an empty page as one image, as a
scanner would, so the PDF has no text layer at all. The words of the original text layer tell
what OCR should give back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from conftest import ARTIFACTS, CORPUS, needs_corpus, needs_tesseract, serving

from indexer.pdf.clean import clean_text

DUTCH = CORPUS / "dutch"
DUO = DUTCH / "nl_algorithmaudit_vooringenomenheid-voorkomen-cub-duo_2024.pdf"
BIJSTAND = DUTCH / "nl_algorithmaudit_risicoprofilering-bijstand-advies_2023.pdf"
SCANNED = (4, 5)  # pages (from 0) of the DUO report made into a two-page scan


def make_pdf(source: Path, pages: Sequence[tuple[int, bool]], target: Path, dpi: int = 150) -> Path:
    """A PDF of ``source``'s pages: (index, scanned) each, a scanned one as a greyscale image only."""
    original = pdfium.PdfDocument(source)
    made = pdfium.PdfDocument.new()
    for index, scanned in pages:
        if not scanned:
            made.import_pages(original, [index])
            continue
        page = original[index]
        width, height = page.get_size()
        bitmap = page.render(scale=dpi / 72, grayscale=True)
        blank = made.new_page(width, height)
        image = pdfium.PdfImage.new(made)
        image.set_bitmap(bitmap)
        image.set_matrix(pdfium.PdfMatrix().scale(width, height))
        blank.insert_obj(image)
        blank.gen_content()
    made.save(target)
    return target


def text_layer(source: Path, index: int) -> str:
    """The text of a page of ``source`` as its own text layer has it."""
    page = pdfium.PdfDocument(source)[index]
    return page.get_textpage().get_text_range()


def distinctive_words(source: Path, indexes: Sequence[int], per_page: int) -> dict[str, int]:
    """Long words of each page's text layer found on none of the other pages: word -> page number in the scan."""
    words = [set(re.findall(r"[a-zé]{10,}", text_layer(source, index).lower())) for index in indexes]
    chosen: dict[str, int] = {}
    for number, own in enumerate(words, start=1):
        others = set().union(*(w for n, w in enumerate(words, start=1) if n != number))
        chosen.update(dict.fromkeys(sorted(own - others)[:per_page], number))
    return chosen


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    needs_corpus()
    folder = tmp_path_factory.mktemp("scans")
    return {
        "scan": make_pdf(DUO, [(index, True) for index in SCANNED], folder / "gescand-cub-rapport.pdf"),
        # Text, scan, text: only the middle page needs OCR.
        "mixed": make_pdf(BIJSTAND, [(2, False), (3, True), (4, False)], folder / "bijstand-met-scan.pdf"),
    }


@pytest.fixture(scope="module")
def library(scans: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A library the two scans were added to with a plain `kenniskamer add`."""
    needs_tesseract()
    from click.testing import CliRunner

    from cli import cli

    root = tmp_path_factory.mktemp("ocr") / "library"
    result = CliRunner().invoke(cli, ["add", str(scans["scan"]), str(scans["mixed"]), "--library", str(root)])
    assert result.exit_code == 0, result.output
    return root


def _doc(invoke, library: Path, filename: str) -> dict:
    listing = json.loads(invoke("list", "--json", "--library", library).stdout)
    doc_id = next(doc["id"] for doc in listing if doc["source"] == filename)
    return json.loads(invoke("show", doc_id, "--json", "--pages", "--library", library).stdout)


def test_a_scanned_report_is_searchable_on_the_right_page(invoke, library: Path) -> None:
    words = distinctive_words(DUO, SCANNED, per_page=4)
    assert len(words) == 8
    doc = _doc(invoke, library, "gescand-cub-rapport.pdf")
    assert doc["ocr"]["pages"] == [1, 2] and doc["ocr"]["pending"] == [] and doc["flags"] == []
    assert doc["ocr"]["engine"].startswith("tesseract ") and doc["ocr"]["languages"] == "nld+eng"
    found = 0
    for word, page in words.items():
        result = json.loads(invoke("search", word, "--json", "--no-expand", "--library", library).stdout)
        hit = next((hit for hit in result["hits"] if hit["id"] == doc["id"]), None)
        found += hit is not None and hit["page"] == page and word in doc["pages"][page - 1].lower()
    assert found >= 7, words


def test_only_the_scanned_page_of_a_mixed_pdf_is_ocrd(invoke, library: Path) -> None:
    doc = _doc(invoke, library, "bijstand-met-scan.pdf")
    assert doc["ocr"]["pages"] == [2] and doc["page_count"] == 3
    # The text pages keep their own text layer: every long word of it is there, none misread.
    for number, index in ((1, 2), (3, 4)):
        own = set(re.findall(r"\w{8,}", clean_text(text_layer(BIJSTAND, index)).lower()))
        stored = set(re.findall(r"\w{8,}", doc["pages"][number - 1].lower()))
        assert own and own <= stored
    scanned = set(re.findall(r"[a-z]{8,}", text_layer(BIJSTAND, 3).lower()))
    read = set(re.findall(r"[a-z]{8,}", doc["pages"][1].lower()))
    assert len(scanned & read) >= 0.9 * len(scanned)


def test_a_hit_and_its_passages_say_text_from_ocr(invoke, library: Path) -> None:
    words = distinctive_words(BIJSTAND, (2, 3, 4), per_page=2)
    for word, page in words.items():
        result = json.loads(invoke("search", word, "--json", "--no-expand", "--library", library).stdout)
        hit = next(hit for hit in result["hits"] if hit["title"] and hit["source"] == "bijstand-met-scan.pdf")
        assert hit["page"] == page, word
        assert [passage["ocr"] for passage in hit["passages"]] == [p["page"] == 2 for p in hit["passages"]]


def test_reading_the_original_again_takes_the_ocr_from_the_cache(invoke, library: Path, monkeypatch, tmp_path) -> None:
    import shutil

    copy = tmp_path / "library"
    shutil.copytree(library, copy)
    before = _doc(invoke, copy, "gescand-cub-rapport.pdf")
    monkeypatch.setenv("KENNISKAMER_TESSERACT", str(tmp_path / "no-tesseract-here"))  # no OCR possible now
    result = invoke("reindex", "--extract", before["id"], "--library", copy)
    assert result.exit_code == 0 and f"updated {before['id']}" in result.stdout
    after = _doc(invoke, copy, "gescand-cub-rapport.pdf")
    assert after["pages"] == before["pages"] and after["ocr"] == before["ocr"] and after["flags"] == []


def test_removing_a_scan_removes_its_ocr_text_and_check_repair_removes_text_left_over(invoke, library: Path, tmp_path) -> None:
    import shutil

    copy = tmp_path / "library"
    shutil.copytree(library, copy)
    doc = _doc(invoke, copy, "gescand-cub-rapport.pdf")
    ocr = copy / "ocr" / f"{doc['sha256']}.jsonl"
    assert ocr.exists()
    left_over = ocr.with_name(f"{'0' * 64}.jsonl")  # as a batch killed between OCR and storing would leave it
    shutil.copy(ocr, left_over)
    assert invoke("remove", doc["id"], "--library", copy).exit_code == 0
    assert not ocr.exists() and left_over.exists()
    checked = invoke("check", "--library", copy)
    assert checked.exit_code == 0 and "OCR text of files no longer in the catalog: 1" in checked.stdout
    repaired = invoke("check", "--repair", "--library", copy)
    assert "removed the OCR text of 1 files not in the catalog" in repaired.stdout and not left_over.exists()
    assert "OCR text" not in invoke("check", "--library", copy).stdout


def test_a_dry_run_says_which_pages_ocr_would_read_and_how_long(invoke, scans: dict[str, Path], tmp_path) -> None:
    needs_tesseract()
    result = invoke("add", scans["mixed"], "--dry-run", "--library", tmp_path / "library")
    assert result.exit_code == 0
    assert "would read page 2 by OCR, about 3 s on one core" in result.stdout
    assert not (tmp_path / "library" / "ocr").exists()


def test_ocr_out_of_time_keeps_what_it_read_and_says_how_to_go_on(invoke, scans: dict[str, Path], tmp_path) -> None:
    needs_tesseract()
    library = tmp_path / "library"
    result = invoke("add", scans["scan"], "--ocr-time", "1", "--library", library)
    assert result.exit_code == 0
    assert "OCR stopped after 1 s with page 2 left: flagged needs-ocr" in result.stdout
    assert "kenniskamer reindex --extract --only needs-ocr --ocr-time 3600" in result.stdout
    doc = _doc(invoke, library, "gescand-cub-rapport.pdf")
    assert doc["flags"] == ["needs-ocr"] and doc["ocr"]["pages"] == [1] and doc["ocr"]["pending"] == [2]
    assert "waiting for OCR" in invoke("check", "--library", library).stdout
    again = invoke("reindex", "--extract", "--only", "needs-ocr", "--library", library)
    assert again.exit_code == 0 and f"updated {doc['id']}" in again.stdout
    done = _doc(invoke, library, "gescand-cub-rapport.pdf")
    assert done["flags"] == [] and done["ocr"]["pages"] == [1, 2]
    assert done["pages"][0] == doc["pages"][0]  # page 1 came from the cache
    assert "waiting for OCR" not in invoke("check", "--library", library).stdout


@pytest.mark.browser
def test_the_site_says_which_text_is_from_ocr(library: Path, browser, tmp_path: Path) -> None:
    word = next(w for w, page in distinctive_words(BIJSTAND, (2, 3, 4), per_page=3).items() if page == 2)
    with serving(library, tmp_path) as url:
        tab = browser.new_page(viewport={"width": 1280, "height": 900})
        tab.goto(f"{url}/?q={word}")
        hit = tab.locator("li.hit").first
        assert hit.locator("a.pageref").first.inner_text() == "p. 2"
        assert hit.locator(".from-ocr").first.inner_text() == "tekst via OCR"
        ARTIFACTS.mkdir(exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / "ocr-search-1280.png"), full_page=True)
        hit.locator("h3 a").click()
        notice = tab.locator("p.notice").first.inner_text()
        assert notice.startswith("De tekst van pagina 2 is gelezen met OCR (tesseract ")
        assert tab.locator("section.in-document .from-ocr").count() >= 1
        tab.screenshot(path=str(ARTIFACTS / "ocr-document-1280.png"), full_page=True)
        tab.close()


def test_a_page_number_or_a_logo_read_as_a_letter_is_never_part_of_a_title() -> None:
    from indexer.enrich import enrich
    from kenniskamer.models import PDF, Extracted, Fetched

    body = "Dit programma gaat over wonen, werk en zorg voor iedereen in Nederland, in stad en dorp."
    for first, title in (
        ("1 EEN EERLIJK LAND", "EEN EERLIJK LAND"),
        ("e Kwantitatieve en kwalitatieve analyse CUB-proces", "Kwantitatieve en kwalitatieve analyse CUB-proces"),
        ("Het Nederland van morgen 12", "Het Nederland van morgen"),
        ("§ 3 ; = Ed) 21", "Dit programma gaat over wonen, werk en zorg voor iedereen in Nederland, in stad en dorp."),
    ):
        extracted = Extracted(mime=PDF, pages=(f"{first}\n\n{body}",))
        doc = enrich(Fetched(b"%PDF-1.7", PDF, "/scans/p.pdf", "p.pdf"), extracted, (), added="2026-12-03T00:00:00Z")
        assert doc.title == title


def test_a_scan_takes_its_year_from_its_text_not_from_the_day_it_was_scanned(monkeypatch, scans) -> None:
    needs_tesseract()
    import indexer.pdf
    from indexer.ocr import PageReader, find_engine
    from indexer.pdf.metadata import Meta

    scanned_today = Meta(info={"CreationDate": "D:20261203101500+01'00'", "Producer": "Scanner"})
    monkeypatch.setattr(indexer.pdf, "read_meta", lambda doc: scanned_today)
    extracted = indexer.pdf.extract_pdf(scans["scan"].read_bytes(), ocr=PageReader(find_engine()))
    assert extracted.ocr is not None and extracted.ocr.pages == (1, 2)
    assert extracted.date is None or not extracted.date.startswith("2026")
