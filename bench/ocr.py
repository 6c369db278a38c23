"""OCR: Tesseract on pages rendered by pypdfium2 (what indexer.ocr does) against OCRmyPDF, on the same scans.

The scans: pages of the Dutch corpus reports rendered at 150 dpi in greyscale and wrapped as
image-only PDFs (as tests/test_ocr.py makes them), plus the real two-page scan of the
robustness corpus. For each, the wall time of each way (one core: OMP_THREAD_LIMIT=1, ``-j 1``)
and, for the made scans, the share of the original text layer's words (4+ letters) read back.

    .venv/bin/python bench/ocr.py            # needs tesseract-ocr(-nld, -eng); ocrmypdf optional
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pypdfium2 as pdfium

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from test_ocr import make_pdf, text_layer  # noqa: E402

from indexer.ocr import PageReader, find_engine  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"
SCANS = (
    ("DUO report p. 5-6 (made)", CORPUS / "dutch" / "nl_algorithmaudit_vooringenomenheid-voorkomen-cub-duo_2024.pdf", (4, 5)),
    ("welfare advice p. 3-4 (made)", CORPUS / "dutch" / "nl_algorithmaudit_risicoprofilering-bijstand-advies_2023.pdf", (2, 3)),
    ("robustness scan, 2 pages (real)", CORPUS / "robustness" / "pdf_scanned-image-only-2pages.pdf", None),
)


def _words(text: str) -> list[str]:
    return [word.lower() for word in re.findall(r"\w{4,}", text)]


def _recall(truth: list[str], text: str) -> float:
    got = set(_words(text))
    return sum(word in got for word in truth) / max(1, len(truth))


def main() -> None:
    engine = find_engine()
    if engine is None:
        sys.exit("Tesseract is not installed: apt-get install tesseract-ocr tesseract-ocr-nld tesseract-ocr-eng")
    ocrmypdf = shutil.which("ocrmypdf")
    print(f"{engine.name} ({engine.language_arg}); ocrmypdf: {ocrmypdf or 'not installed'}")
    print("| scan | pages | tesseract on rendered pages | words read back | OCRmyPDF --skip-text --sidecar | words read back |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for name, source, pages in SCANS:
            if pages is None:
                scan, truths = source, None
            else:
                scan = make_pdf(source, [(index, True) for index in pages], Path(folder) / f"{source.stem}.pdf")
                truths = [_words(text_layer(source, index)) for index in pages]
            pdf = pdfium.PdfDocument(scan)
            started = time.perf_counter()
            read = PageReader(engine).read(pdf, range(len(pdf)), "bench")
            ours = time.perf_counter() - started
            texts = [read.texts.get(index, "") for index in range(len(pdf))]
            ours_recall = _recall_all(truths, texts)
            theirs, theirs_recall = "-", "-"
            if ocrmypdf:
                sidecar = Path(folder) / "sidecar.txt"
                started = time.perf_counter()
                subprocess.run([ocrmypdf, "-q", "-l", engine.language_arg, "--skip-text", "-j", "1", "--sidecar",
                                str(sidecar), "--output-type", "pdf", str(scan), str(Path(folder) / "out.pdf")],
                               check=True, env=dict(os.environ, OMP_THREAD_LIMIT="1"))
                theirs = f"{time.perf_counter() - started:.1f} s"
                theirs_recall = _recall_all(truths, sidecar.read_text(encoding="utf-8").split("\f"))
            print(f"| {name} | {len(pdf)} | {ours:.1f} s | {ours_recall} | {theirs} | {theirs_recall} |")


def _recall_all(truths: list[list[str]] | None, texts: list[str]) -> str:
    if truths is None:
        return "-"
    return " / ".join(f"{_recall(truth, text):.3f}" for truth, text in zip(truths, texts, strict=False))


if __name__ == "__main__":
    main()
