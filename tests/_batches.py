"""A library built from the topical corpus in three batches on three dates, for the digest and feed tests.

Fifteen of the 65 topical files, not all of them: on the two-core test machine the whole
corpus took 95 s to add (jobs=2 and other suites running beside it), while these fifteen
(short PDFs and HTML pages, five a batch, chosen so every batch spans several themes and
holds a document without a theme) take about 20 s. Built once per test session and shared;
a test that changes the library works on a copy (`copy_of`).
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import TOPICAL, needs_corpus

from indexer.pipeline import AddOptions, run
from kenniskamer.library import Library

# The ingest dates (UTC) of the three batches: Mondays, so each batch is one ISO week.
DATES = ("2025-09-01", "2025-10-06", "2025-11-03")
BATCHES = (
    (
        "en_bansak-et-al2016_attitudes-toward-asylum-seekers_science.pdf",
        "en_bansak-et-al2017_proportional-allocation-asylum-seekers.pdf",
        "nl_smartbonnie_populisme.html",
        "en_breitbart_snopes-fact-checker.html",
        "en_bbc_obama-gun-laws.html",  # no theme: listed under "Overig"
    ),
    (
        "en_hainmueller-et-al2016_lives-on-hold-asylum.pdf",
        "en_harder-et-al2018_measure-of-immigrant-integration_PNAS.pdf",
        "nl_smartbonnie_woonfraude-framing-statushouders.html",
        "en_berk2022_framing-effects-in-the-wild_slides.html",  # no summary
        "en_heraldsun_media-surveillance-laws.html",  # no theme
    ),
    (
        "en_jun-et-al2022_chronic-frames-social-inequality_PNAS.pdf",
        "en_meijers-vandervelden_volk-or-buerger-populist-attitudes.pdf",
        "nl_smartbonnie_asielsituatie-europees-perspectief.html",
        "nl_smartbonnie_pvv-stemmer-profiel.html",
        "de_correctiv_keuter-recherche.html",  # no theme
    ),
)
# Added later by tests of --since-last.
LATE_FILE = "en_dw_germany-colonial-past.html"
LATE_DATE = "2025-11-20"


def clock(day: str, *, step: int = 60) -> Callable[[], str]:
    """An ingest clock starting at 09:00 UTC on ``day`` and moving ``step`` seconds a call."""
    start = datetime.fromisoformat(day).replace(hour=9, tzinfo=UTC)
    counter = itertools.count()
    return lambda: (start + timedelta(seconds=step * next(counter))).strftime("%Y-%m-%dT%H:%M:%SZ")


def add(root: Path, files: tuple[str, ...], day: str, *, step: int = 60) -> list[str]:
    """Add topical files with the ingest clock on ``day``; return the new ids."""
    report = run(Library.open(root, create=True), [str(TOPICAL / name) for name in files],
                 AddOptions(jobs=2, clock=clock(day, step=step)))
    assert not report.failed, [item for item in report.items if not item.ok]
    return [item.doc.doc_id for item in report.items if item.outcome == "added" and item.doc]


_BUILT: dict[str, tuple[Path, list[list[str]]]] = {}


def three_batches(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[list[str]]]:
    """The library and the ids of each batch, built once per session. The third batch shares one second."""
    needs_corpus()
    if "library" not in _BUILT:
        root = tmp_path_factory.mktemp("batches") / "library"
        ids = [add(root, files, day, step=0 if number == 2 else 60)
               for number, (files, day) in enumerate(zip(BATCHES, DATES))]
        assert [len(batch) for batch in ids] == [5, 5, 5]
        _BUILT["library"] = (root, ids)
    return _BUILT["library"]


def copy_of(root: Path, target: Path) -> Path:
    """A copy of a library that a test may change."""
    shutil.copytree(root, target)
    return target
