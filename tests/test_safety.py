"""Safety: worker limits on hostile files, two writers, check and repair, write order.

kill -9 at random moments of `add`, `edit`, `remove` and `reindex`: tests/reliability/test_kill.py.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from conftest import REPO, ROBUSTNESS, SAMPLE, TOPICAL, needs_corpus

from indexer.pipeline import AddOptions, run
from kenniskamer.index.write import updating
from kenniskamer.library import Library
from kenniskamer.library.check import check_library
from kenniskamer.search import SearchEngine, SearchQuery

CLI = [sys.executable, "-u", str(REPO / "cli.py")]
THREAT = SAMPLE / "en_czymara2020_threat-to-the-occident_frontiers.pdf"
HOSTILITY = SAMPLE / "en_czymara2024_hostility-twitter-terror-attacks.pdf"
LECTURE_NOTES = ROBUSTNESS / "pdf_117-pages-german-lecture-notes.pdf"  # about 0.3 s to read here
BOMB = ROBUSTNESS / "pdf_giant-image-stream-bomb.pdf"  # claims a 100000 x 100000 JBIG2 image


def cli(*args: object, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=600, **kwargs)  # type: ignore[call-overload]


def _alive(library: Path) -> list[int]:
    """Pids of processes whose command line names this library (the CLI and its workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                cmdline = (entry / "cmdline").read_bytes()
                state = (entry / "stat").read_text().split(") ")[-1][0]
            except OSError:
                continue
            if str(library).encode() in cmdline and state != "Z":
                found.append(int(entry.name))
    return found


# -- worker limits ---------------------------------------------------------------------------------


def test_a_file_over_the_time_limit_fails_alone_and_the_batch_goes_on(tmp_path: Path) -> None:
    needs_corpus()
    library = tmp_path / "library"
    small = ROBUSTNESS / "pdf_helloworld-bad.pdf"
    done = cli("add", LECTURE_NOTES, small, "--timeout", "0.1", "--jobs", "1", "--library", library)
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert lines[0] == (
        f"failed: {LECTURE_NOTES}: Reading the file took longer than 0.1 s (it may be damaged or hostile); skipped."
    )
    assert lines[1].startswith("added 1, duplicates 0, failed 1,")
    assert done.stdout.startswith("added ")  # the next file, read by a fresh worker
    assert cli("check", "--library", library).returncode == 0


def test_the_decompression_bomb_stays_within_a_tight_memory_limit(tmp_path: Path) -> None:
    """The bomb claims a 100000 x 100000 image; only text is read, so it never gets decoded and the
    file is added within 20 MB beyond a worker's start. A file that needs more than the limit fails
    with one line, and the next file gets a fresh worker."""
    needs_corpus()
    huge = tmp_path / "huge.html"  # 40 MB of page: more than 20 MB just to hold it
    huge.write_text("<html><body>" + "<p>Draagvlak voor opvang van vluchtelingen.</p>" * 900_000 + "</body></html>")
    library = Library.open(tmp_path / "library", create=True)
    report = run(library, [str(BOMB), str(huge), str(THREAT)], AddOptions(jobs=1, memory_mb=20))
    outcomes = [(Path(item.location).name, item.outcome, item.message) for item in report.items]
    assert outcomes[0] == (BOMB.name, "added", "")
    # Where the allocation fails decides the words: in Python it is a MemoryError (the worker
    # names the limit); inside lxml, under memory pressure, a parse error. Either is one line.
    assert outcomes[1][:2] == ("huge.html", "failed")
    assert outcomes[1][2] in (
        "Reading the file needed more than the 20 MB memory limit; it may be damaged or a decompression bomb.",
        "This file could not be read as an HTML page; save the page from a browser (File > Save as) or print it "
        "to PDF, and add that file.",
    )
    assert outcomes[2][:2] == (THREAT.name, "added")
    assert check_library(library).ok


def test_workers_end_with_the_parent(tmp_path: Path) -> None:
    needs_corpus()
    library = tmp_path / "library"
    with subprocess.Popen([*CLI, "add", str(TOPICAL), "--jobs", "2", "--library", str(library)],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as process:
        assert process.stdout is not None
        process.stdout.readline()
        assert len(_alive(library)) == 3  # the command and its two workers
        process.send_signal(signal.SIGKILL)
        process.wait()
    deadline = time.monotonic() + 10
    while _alive(library) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _alive(library) == []


# -- two writers --------------------------------------------------------------------------------


def test_a_second_writer_is_told_the_library_is_busy(tmp_path: Path) -> None:
    library = tmp_path / "library"
    with subprocess.Popen([*CLI, "add", str(SAMPLE), "--glob", "*.pdf", "--jobs", "1", "--library", str(library)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as first:
        assert first.stdout is not None
        first.stdout.readline()  # it holds the lock while it adds
        for command in (["add", THREAT], ["edit", "0123456789ab", "--title", "x"]):
            second = cli(*command, "--library", library)
            assert second.returncode == 1, command
            assert second.stderr == (f"Error: The library at {library} is busy: another kenniskamer command "
                                     f"(pid {first.pid}) is writing to it. Wait until it has finished and try again.\n")
        out, err = first.communicate(timeout=600)
    assert first.returncode == 0, err
    assert "added 11, duplicates 0, failed 0" in err
    assert cli("check", "--library", library).returncode == 0  # the index is whole
    assert Library.open(library).count() == 11


def test_every_writing_command_takes_the_lock(tmp_path: Path, writable_sample: Path) -> None:
    library = Library.open(writable_sample)
    doc_id = sorted(library.doc_ids())[0]
    with library.writing():  # this test process is the writer now
        for command in (["add", THREAT], ["edit", doc_id, "--title", "x"], ["remove", doc_id], ["check", "--repair"],
                        ["reindex"], ["reindex", "--extract"]):
            second = cli(*command, "--library", writable_sample)
            assert second.returncode == 1, command
            assert second.stderr.startswith(f"Error: The library at {writable_sample} is busy: another kenniskamer "
                                            f"command (pid {os.getpid()}) is writing to it."), command
    assert cli("check", "--library", writable_sample).returncode == 0


# -- check and repair ------------------------------------------------------------------------------


def test_check_finds_missing_stale_and_extra_index_entries_and_repair_fixes_them(writable_sample: Path) -> None:
    library = Library.open(writable_sample)
    ids = sorted(library.doc_ids())
    missing, stale, gone = ids[0], ids[1], ids[2]
    with library.writing(), updating(library) as index:
        index.remove(missing)  # the index lost a document
    conn = sqlite3.connect(writable_sample / "catalog.sqlite3")
    with conn:
        conn.execute("UPDATE documents SET title = 'Een andere titel' WHERE doc_id = ?", (stale,))
        conn.execute("DELETE FROM documents WHERE doc_id = ?", (gone,))  # the index has one too many
    conn.close()

    checked = cli("check", "--library", writable_sample)
    assert checked.returncode == 1
    assert f"not in the index: 1 ({missing})" in checked.stdout
    assert f"out of date in the index: 1 ({stale})" in checked.stdout
    assert f"in the index but not in the catalog: 1 ({gone})" in checked.stdout
    assert "originals without a catalog row: 1" in checked.stdout
    assert "Run `kenniskamer check --repair`" in checked.stderr
    as_json = json.loads(cli("check", "--json", "--library", writable_sample).stdout)
    assert as_json["ok"] is False and as_json["not_indexed"] == [missing]

    repaired = cli("check", "--repair", "--library", writable_sample)
    assert repaired.returncode == 0, repaired.stdout
    assert "repaired: updated 3 documents in the index from the catalog" in repaired.stdout
    assert "repaired: removed 1 originals without a catalog row" in repaired.stdout
    assert cli("check", "--library", writable_sample).stdout.startswith("ok: 10 documents")
    engine = SearchEngine(Library.open(writable_sample))
    assert stale in [hit.doc.doc_id for hit in engine.search(SearchQuery('titel:"een andere titel"')).hits]


def test_a_missing_index_is_rebuilt_by_repair(writable_sample: Path) -> None:
    import shutil

    shutil.rmtree(writable_sample / "index")
    checked = cli("check", "--library", writable_sample)
    assert checked.returncode == 1 and checked.stdout.startswith("index: No index in ")
    repaired = cli("check", "--repair", "--library", writable_sample)
    assert "repaired: rebuilt the index from the catalog (11 documents)" in repaired.stdout
    assert cli("check", "--library", writable_sample).returncode == 0


# -- the order of a write ----------------------------------------------------------------------------

_CRASH = """
import os, sys
sys.path.insert(0, {repo!r})
import kenniskamer.{module} as target
def crash(*args, **kwargs):
    os._exit(9)  # the process dies here, as with kill -9 or a power cut
setattr({owner}, {name!r}, crash)
from cli import cli
cli(["add", {file!r}, "--library", {library!r}])
"""


def _add_crashing_at(module: str, owner: str, name: str, file: Path, library: Path) -> subprocess.CompletedProcess[str]:
    code = textwrap.dedent(_CRASH).format(repo=str(REPO), module=module, owner=owner, name=name, file=str(file),
                                          library=str(library))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)


def test_a_crash_between_catalog_and_index_is_repaired_by_the_next_write(tmp_path: Path) -> None:
    library_path = tmp_path / "library"
    crashed = _add_crashing_at("index.write", "target.IndexUpdater", "add", THREAT, library_path)
    assert crashed.returncode == 9
    library = Library.open(library_path)
    assert len(library.doc_ids()) == 1  # the catalog row was committed ...
    (doc_id,) = library.doc_ids()
    assert library.original_of(library.get(doc_id)).read_bytes() == THREAT.read_bytes()  # ... after the original
    checked = cli("check", "--library", library_path)
    assert checked.returncode == 1  # ... and the index is behind

    later = cli("add", HOSTILITY, "--library", library_path)  # the next write repairs first
    assert later.returncode == 0, later.stderr
    assert cli("check", "--library", library_path).returncode == 0
    page = SearchEngine(Library.open(library_path)).search(SearchQuery('titel:"threat to the occident"', expand=False))
    assert doc_id in [hit.doc.doc_id for hit in page.hits]


def test_a_crash_between_original_and_catalog_leaves_only_a_stray_original(tmp_path: Path) -> None:
    library_path = tmp_path / "library"
    crashed = _add_crashing_at("library.catalog", "target.Library", "insert", THREAT, library_path)
    assert crashed.returncode == 9
    library = Library.open(library_path)
    assert library.count() == 0  # no catalog row without its original, and none here at all
    assert len([p for p in library.originals_dir.rglob("*") if p.is_file()]) == 1
    checked = cli("check", "--library", library_path)
    assert checked.returncode == 1 and "originals without a catalog row: 1" in checked.stdout
    assert cli("check", "--repair", "--library", library_path).returncode == 0
    assert cli("check", "--library", library_path).returncode == 0
    assert cli("add", THREAT, "--library", library_path).returncode == 0
