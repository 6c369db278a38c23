"""The site keeps answering, with whole results, while `add` ingests a batch; a full disk loses nothing."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import REPO, SAMPLE, TOPICAL, needs_corpus, serving

from indexer.pipeline import AddOptions, run
from kenniskamer.errors import StorageError
from kenniskamer.library import Library
from kenniskamer.library.check import check_library

BATCH = [
    "en_bansak-et-al2016_attitudes-toward-asylum-seekers_science.pdf",
    "en_czymara2017_refugees-unwelcome_ESR.pdf",
    "en_hainmueller-hopkins2014_public-attitudes-toward-immigration_annrev.pdf",
    "nl_smartbonnie_asielsituatie-europees-perspectief.html",
    "nl_pvv_verkiezingsprogramma-2025.pdf",
    "en_harder-et-al2018_measure-of-immigrant-integration_PNAS.pdf",
]


def test_the_site_answers_while_add_writes(writable_sample: Path, tmp_path: Path) -> None:
    needs_corpus()
    totals: dict[int, list[int]] = {}
    errors: list[str] = []
    stop = threading.Event()

    def client(url: str, number: int) -> None:
        seen = totals.setdefault(number, [])
        while not stop.is_set():
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    data = json.load(response)
                ids = [hit["id"] for hit in data["hits"]]
                if len(ids) != len(set(ids)) or len(ids) != min(50, data["total"]):
                    errors.append(f"inconsistent page: {data['total']} total, {len(ids)} hits")
                seen.append(data["total"])
            except Exception as err:  # any failure is what the test is looking for
                errors.append(repr(err))
            time.sleep(0.02)

    with serving(writable_sample, tmp_path) as base:
        url = f"{base}/search.json?q=refugees&size=50"
        before = json.load(urllib.request.urlopen(url, timeout=10))["total"]
        threads = [threading.Thread(target=client, args=(url, n)) for n in range(3)]
        for thread in threads:
            thread.start()
        added = subprocess.run(
            [sys.executable, str(REPO / "cli.py"), "add", *[str(TOPICAL / name) for name in BATCH],
             "--library", str(writable_sample), "--jobs", "2"],
            capture_output=True, text=True, timeout=300,
        )
        assert added.returncode == 0, added.stderr
        time.sleep(2.5)  # the site looks for a newer commit once a second (and its page cache waits 2 s)
        stop.set()
        for thread in threads:
            thread.join()
        # After the writer's commit every answer shows the new documents: nothing stale.
        after = [json.load(urllib.request.urlopen(url, timeout=10))["total"] for _ in range(20)]
    assert errors == []
    assert sum(len(seen) for seen in totals.values()) > 20
    assert len(set(after)) == 1 and after[0] > before
    assert all(before <= total <= after[0] for seen in totals.values() for total in seen)
    # No client sees an older commit after a newer one (threads move to the newest commit any of them opened).
    assert all(seen == sorted(seen) for seen in totals.values()), totals
    assert check_library(Library.open(writable_sample)).ok


def test_a_full_disk_gives_a_clear_error_and_no_half_written_record(tmp_path: Path, monkeypatch) -> None:
    library = Library.open(tmp_path / "library", create=True)
    run(library, [str(SAMPLE / "en_czymara2020_threat-to-the-occident_frontiers.pdf")], AddOptions(jobs=1))
    real_replace = os.replace

    def full(src, dst, *args, **kwargs):  # type: ignore[no-untyped-def]
        if "originals" in str(dst):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr("kenniskamer.library.catalog.os.replace", full)
    with pytest.raises(StorageError, match="The disk is full"):
        run(library, [str(SAMPLE / "en_janssen-turkenburg2024_affective-polarization-democratic-support_EJPR.pdf")],
            AddOptions(jobs=1))
    monkeypatch.setattr("kenniskamer.library.catalog.os.replace", real_replace)
    assert library.count() == 1
    assert not [p for p in library.originals_dir.rglob(".tmp-*")]
    assert check_library(library).ok
    shutil.rmtree(tmp_path / "library")
