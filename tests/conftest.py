"""Shared fixtures: real documents from data/sample and ../shared/corpus, libraries in tmp_path."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from indexer.pipeline import AddOptions, run
from kenniskamer.config import Settings
from kenniskamer.library import Library

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"
SAMPLE_PATTERN = "*.pdf,*.html"  # data/sample also holds SOURCES.md
CORPUS = REPO.parent / "shared" / "corpus"
TOPICAL = CORPUS / "topical"
ROBUSTNESS = CORPUS / "robustness"

# A PDF and an HTML page from the shared corpus, with a word that is on a known page.
PDF_FILE = TOPICAL / "en_janssen-turkenburg2024_affective-polarization-democratic-support_EJPR.pdf"
HTML_FILE = TOPICAL / "nl_smartbonnie_woonfraude-framing-statushouders.html"
# The browser tests: Debian's chromium driven by Playwright; screenshots land in test-artifacts/.
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-browser", action="store_true", help="run the Playwright browser tests")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    required = bool(os.environ.get("KENNISKAMER_REQUIRE_BROWSER"))
    have_chromium = Path("/usr/bin/chromium").exists()
    if required or have_chromium or config.getoption("--run-browser"):
        return
    skip = pytest.mark.skip(reason="chromium is not installed (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


def needs_corpus() -> None:
    """Skip when ../shared/corpus is not beside the repository."""
    if not TOPICAL.is_dir():
        pytest.skip(f"the shared corpus is not at {CORPUS}")


@pytest.fixture(scope="module")
def browser():
    """Chromium, headless, for a module's browser tests."""
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is required for the browser tests: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def needs_tesseract() -> None:
    """Skip without Tesseract (Dutch and English); CI sets KENNISKAMER_REQUIRE_OCR=1 so that it fails instead."""
    from indexer.ocr import PACKAGES, find_engine

    if find_engine() is None:
        if os.environ.get("KENNISKAMER_REQUIRE_OCR"):
            pytest.fail(f"Tesseract is required here: apt-get install {PACKAGES}")
        pytest.skip(f"Tesseract is not installed (apt-get install {PACKAGES})")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def invoke(runner: CliRunner):
    """Run the real CLI group; returns click's Result (stdout and stderr apart)."""

    def call(*args: str, input: str | None = None):
        return runner.invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)

    return call


@pytest.fixture
def library_path(tmp_path: Path) -> Path:
    return tmp_path / "library"


@pytest.fixture(scope="session")
def sample_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The library built from data/sample (built once; tests must not change it)."""
    root = tmp_path_factory.mktemp("sample") / "library"
    report = run(Library.open(root, create=True), [str(SAMPLE)], AddOptions(jobs=2, pattern=SAMPLE_PATTERN))
    assert not report.failed, report.items
    return root


@pytest.fixture(scope="session")
def topical_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The library built from ../shared/corpus/topical (built once; tests must not change it)."""
    needs_corpus()
    root = tmp_path_factory.mktemp("topical") / "library"
    report = run(Library.open(root, create=True), [str(TOPICAL)], AddOptions(jobs=2))
    assert not report.failed, [item for item in report.items if not item.ok]
    return root


@pytest.fixture
def writable_sample(sample_library: Path, tmp_path: Path) -> Path:
    """A copy of the sample library that a test may change."""
    target = tmp_path / "library"
    shutil.copytree(sample_library, target)
    return target


@pytest.fixture
def settings(sample_library: Path) -> Settings:
    return Settings(library=sample_library)


# A web page whose head and body try to inject markup and script everywhere a value can come from.
HOSTILE_HTML = """<!doctype html>
<html lang="en"><head>
<meta charset="utf-8">
<title>Hostile <script>alert(1)</script> title about refugees</title>
<meta name="description" content="Summary <script>alert(2)</script><img src=x onerror=alert(3)> of xenokrates">
<meta name="citation_title" content="Hostile <script>alert(1)</script> title about refugees">
<meta name="citation_author" content="Mallory <script>alert(4)</script>">
<meta name="citation_publisher" content='Evil "><svg onload=alert(5)> Press'>
<meta name="citation_publication_date" content="2021-03-04">
<meta property="og:title" content="Hostile <script>alert(1)</script> title about refugees">
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "Article",
 "headline": "Hostile <script>alert(1)<\\/script> title about refugees",
 "author": {"@type": "Person", "name": "<img src=x onerror=alert(7)>"},
 "publisher": {"@type": "Organization", "name": "Evil \\"><svg onload=alert(5)> Press"},
 "datePublished": "2021-03-04", "description": "Summary <script>alert(2)</script> of xenokrates"}</script>
</head><body><article>
<h1>Hostile &lt;script&gt;alert(1)&lt;/script&gt; title about refugees</h1>
<p>The xenokrates survey asked voters about refugees and asylum seekers. &lt;script&gt;alert(8)&lt;/script&gt;
Public support for refugees depends on how the media frame the arrival of asylum seekers, and
polarisation between groups of voters grew over the years of the survey.</p>
<p>A second paragraph about xenokrates, public opinion, migration policy and the attitudes of
voters toward refugees, with &lt;img src=x onerror=alert(9)&gt; in the text and "quotes" &amp; ampersands.</p>
<p>A third paragraph so that the main text is long enough for the extractor: the survey ran in
several countries, and respondents answered questions on housing, work and integration of refugees.</p>
</article></body></html>
"""


HOSTILE_EDITS = {
    "title": "Hostile <script>alert(1)</script> title about refugees",
    "authors": ["Mallory <script>alert(4)</script>", "<img src=x onerror=alert(7)>"],
    "publisher": 'Evil "><svg onload=alert(5)> Press',
}


@pytest.fixture(scope="session")
def hostile_library(sample_library: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample library plus one web page full of markup and script (built once; do not change it).

    The extractor drops tags from head metadata, so a curator's edit puts them back into the
    title, authors and publisher; the summary and page text keep the escaped markup of the body.
    """
    from kenniskamer.library.curate import edit_document

    root = tmp_path_factory.mktemp("hostile")
    page = root / "hostile.html"
    page.write_text(HOSTILE_HTML, encoding="utf-8")
    target = root / "library"
    shutil.copytree(sample_library, target)
    library = Library.open(target)
    report = run(library, [str(page)], AddOptions(jobs=1))
    assert not report.failed, report.items
    doc_id = next(doc.doc_id for doc in library.documents() if doc.filename == "hostile.html")
    edit_document(library, doc_id, HOSTILE_EDITS)
    return target


class QuietHandler(BaseHTTPRequestHandler):
    """Request handler of a test's own web server: ``send_body`` answers, nothing is logged."""

    def send_body(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class QuietServer(ThreadingHTTPServer):
    """A test's own web server: request threads die with the tests, and clients that give up early
    (timeouts, size limits, refused redirects) are expected, not errors."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass


def start_server(server: QuietServer) -> QuietServer:
    """``server`` answering in a background thread (stop it with ``shutdown`` and ``server_close``)."""
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(library: Path, log_dir: Path, *, ready_path: str = "/") -> Iterator[str]:
    """`kenniskamer serve` (waitress) in a subprocess on a free port; yields its base URL.

    The server's output goes to a file (a pipe nobody reads would fill up and stall it).
    """
    port = free_port()
    log = log_dir / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, str(REPO / "cli.py"), "serve", "--port", str(port), "--library", str(library)],
            stdout=output, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                with urllib.request.urlopen(url + ready_path, timeout=2):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"the server did not start: {log.read_text()}")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
