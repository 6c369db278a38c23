"""Shared fixtures: real documents from data/sample and ../shared/corpus, libraries in tmp_path."""

from __future__ import annotations

import os
import shutil
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
