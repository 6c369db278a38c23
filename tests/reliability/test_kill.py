"""kill -9 at seeded random moments: nothing reported is lost, and `check --repair` mends the rest.

Issue 7: killing `add` (the command and its workers, as one process group) at any moment
never leaves a library that `check` cannot repair, and never loses a document that the
output reported as added. Each seed picks a moment, shown in the test id: after the N-th
"added" line plus a fraction of a second, or (N = 0) some time after the start, before
anything is reported. The seeds were picked to spread from the start-up to the final
commit. The batch is the twelve smallest topical files: about 6 s to add on the two-core
test machine, 10-18 s a seed with the re-run and checks, about 90 s for the file with other
suites running beside it (33 s of CPU).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO, TOPICAL, needs_corpus

from kenniskamer.library import Library
from kenniskamer.search import SearchEngine, SearchQuery

CLI = [sys.executable, "-u", str(REPO / "cli.py")]  # unbuffered: a line is reported once it is written
BATCH = sorted(TOPICAL.iterdir(), key=lambda p: p.stat().st_size)[:12] if TOPICAL.is_dir() else []
ADD_SEEDS = (31, 14, 16, 10, 26)  # after 0 (1.4 s from the start), 1, 5, 9 and all 12 "added" lines
CURATOR_SEED = 7


def _doc_id(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def _add_moment(seed: int) -> tuple[int, float]:
    """(lines to wait for, seconds to wait after them) drawn from the seed."""
    rng = random.Random(seed)
    lines = rng.randrange(len(BATCH) or 12)
    return lines, rng.uniform(0, 3.0 if lines == 0 else 0.3)


def _add_id(seed: int) -> str:
    lines, seconds = _add_moment(seed)
    return f"seed{seed}-after-{lines}-added+{seconds:.2f}s"


def _run_and_kill(command: list[str], kill_when: Callable[[list[str]], bool], delay: float, *,
                  timeout: float = 120) -> tuple[list[str], int]:
    """Start ``command`` in its own process group; once ``kill_when(lines so far)`` holds, wait ``delay``
    seconds and kill -9 the whole group (the command and its workers at once). Return every
    line it wrote to stdout and its exit status (0 or 1 if it ended before the kill)."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                               start_new_session=True)
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if kill_when(lines):
                ready.set()
        ready.set()  # it ended by itself

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    if kill_when(lines):
        ready.set()
    assert ready.wait(timeout), f"no kill moment within {timeout} s: {lines[-3:]}"
    time.sleep(delay)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    reader.join(timeout=30)  # end of file once the last process of the group is gone
    assert not reader.is_alive(), "a process of the killed group still holds its output open"
    assert process.stdout is not None
    process.stdout.close()
    return lines, process.returncode


def _check_or_repair(invoke, library: Path) -> None:
    """`check` passes, or `check --repair` makes it pass."""
    checked = invoke("check", "--quick", "--library", library)
    if checked.exit_code != 0:
        repaired = invoke("check", "--repair", "--library", library)
        assert repaired.exit_code == 0, checked.stdout + repaired.stdout + repaired.stderr
        assert "repaired: " in repaired.stdout
    checked = invoke("check", "--library", library)
    assert checked.exit_code == 0, checked.stdout


def _title_query(title: str) -> SearchQuery:
    words = re.findall(r"\w+", title)[:6]
    return SearchQuery(f'titel:"{" ".join(words)}"', expand=False, page_size=50)


def _found(engine: SearchEngine, doc_id: str, title: str) -> bool:
    return doc_id in [hit.doc.doc_id for hit in engine.search(_title_query(title)).hits]


@pytest.fixture(scope="module")
def batch_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The batch added without interruption (shared; tests work on copies)."""
    needs_corpus()
    library = tmp_path_factory.mktemp("batch") / "library"
    done = subprocess.run([*CLI, "add", *map(str, BATCH), "--jobs", "2", "--library", str(library)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert Library.open(library).doc_ids() == {_doc_id(path) for path in BATCH}
    return library


# -- kill -9 during add ------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", ADD_SEEDS, ids=_add_id)
def test_kill_9_during_add_loses_nothing_reported_as_added(seed: int, invoke, tmp_path: Path) -> None:
    needs_corpus()
    library_path = tmp_path / "library"
    wanted, delay = _add_moment(seed)
    lines, status = _run_and_kill(
        [*CLI, "add", *map(str, BATCH), "--jobs", "2", "--library", str(library_path)],
        lambda lines: sum(line.startswith("added ") for line in lines) >= wanted, delay,
    )
    assert status in (-signal.SIGKILL, 0), lines
    reported = [line.split()[1] for line in lines if line.startswith("added ")]
    files = {_doc_id(path): path for path in BATCH}
    assert len(reported) >= wanted and set(reported) <= set(files)

    if (library_path / "catalog.sqlite3").exists():
        library = Library.open(library_path)
        assert set(reported) <= library.doc_ids()  # in the catalog: the source of truth ...
        for doc_id in reported:  # ... with its original, byte for byte
            assert library.original_of(library.get(doc_id)).read_bytes() == files[doc_id].read_bytes()
        _check_or_repair(invoke, library_path)
        engine = SearchEngine(Library.open(library_path))
        for doc_id in reported:
            assert _found(engine, doc_id, library.get(doc_id).title), doc_id
        before = library.doc_ids()
    else:  # killed before the library was made
        assert reported == []
        before = set()

    again = invoke("add", *BATCH, "--jobs", "2", "--library", library_path)  # the same command once more
    assert again.exit_code == 0, again.stderr
    added = [line.split()[1] for line in again.stdout.splitlines() if line.startswith("added ")]
    assert not set(added) & before
    assert again.stderr.count("duplicate: ") == len(before)
    library = Library.open(library_path)
    assert library.count() == len(BATCH)
    assert library.doc_ids() == set(files)  # the whole batch, each file once
    assert invoke("check", "--library", library_path).exit_code == 0


# -- kill -9 during edit, remove, add and reindex ------------------------------------------------

# A curator at work: edits of titles, removals, additions of removed files and reindexes, one
# command after another through the CLI, each between two JSON lines ("begin", then "done").
_CURATOR = """
import json, random, sys
sys.path.insert(0, {repo!r})
from cli import cli
rng = random.Random({seed})
files = {files!r}
present = sorted(files)
removed = []
for step in range(100_000):
    op = rng.choice(["edit", "edit", "edit", "remove", "add", "reindex"])
    if op == "remove" and len(present) > 4:
        doc_id = rng.choice(present)
        args, record = ["remove", doc_id], {{"op": "remove", "id": doc_id}}
        present.remove(doc_id)
        removed.append(doc_id)
    elif op == "add" and removed:
        doc_id = rng.choice(removed)
        args, record = ["add", files[doc_id], "--jobs", "1"], {{"op": "add", "id": doc_id}}
        removed.remove(doc_id)
        present.append(doc_id)
    elif op == "reindex":
        args, record = ["reindex"], {{"op": "reindex"}}
    else:
        doc_id = rng.choice(present)
        title = f"Bewerkte titel k{{step}}x{seed} over draagvlak"
        args, record = ["edit", doc_id, "--title", title], {{"op": "edit", "id": doc_id, "title": title}}
    print(json.dumps({{"begin": record}}), flush=True)
    cli.main([*args, "--library", {library!r}], standalone_mode=False)
    print(json.dumps({{"done": record}}), flush=True)
"""


def _apply(state: dict[str, str | None], record: dict[str, str]) -> dict[str, str | None]:
    """The documents present (id -> the curator's title, or None) after one command."""
    state = dict(state)
    if record["op"] == "remove":
        del state[record["id"]]
    elif record["op"] == "add":
        state[record["id"]] = None  # added again: its old edits went with it
    elif record["op"] == "edit":
        state[record["id"]] = record["title"]
    return state


def _curator_moment(seed: int) -> tuple[int, float]:
    """(commands to wait for, seconds to wait after the last of them) drawn from the seed."""
    rng = random.Random(seed)
    return rng.randrange(5, 20), rng.uniform(0, 0.5)


def _curator_id(seed: int) -> str:
    commands, seconds = _curator_moment(seed)
    return f"seed{seed}-after-{commands}-commands+{seconds:.2f}s"


@pytest.mark.parametrize("seed", [CURATOR_SEED], ids=_curator_id)
def test_kill_9_during_edit_remove_and_reindex_keeps_what_was_reported(
    seed: int, batch_library: Path, invoke, tmp_path: Path,
) -> None:
    library_path = tmp_path / "library"
    shutil.copytree(batch_library, library_path)
    files = {_doc_id(path): str(path) for path in BATCH}
    first_titles = {doc.doc_id: doc.title for doc in Library.open(batch_library).documents()}
    code = textwrap.dedent(_CURATOR).format(repo=str(REPO), seed=seed, files=files, library=str(library_path))
    wanted, delay = _curator_moment(seed)
    lines, status = _run_and_kill([sys.executable, "-u", "-c", code],
                                  lambda lines: sum(line.startswith('{"done"') for line in lines) >= wanted, delay)
    assert status == -signal.SIGKILL, lines[-3:]
    records = [json.loads(line) for line in lines if line.startswith("{")]
    done = [r["done"] for r in records if "done" in r]
    begun = [r["begin"] for r in records if "begin" in r]
    assert begun[: len(done)] == done
    in_flight = begun[len(done):]  # the command the kill interrupted, if any

    state: dict[str, str | None] = dict.fromkeys(files)
    for record in done:
        state = _apply(state, record)
    possible = [state] + [_apply(state, record) for record in in_flight]  # it may or may not have happened

    _check_or_repair(invoke, library_path)
    library = Library.open(library_path)
    docs = library.documents()
    found = {doc.doc_id: doc.title if doc.provenance.get("title") == "curator" else None for doc in docs}
    assert found in possible, (found, possible)
    engine = SearchEngine(library)
    for doc in docs:
        assert _found(engine, doc.doc_id, doc.title), (doc.doc_id, doc.title)
        assert library.original_of(doc).read_bytes() == Path(files[doc.doc_id]).read_bytes()
    for doc_id in set(files) - set(found):
        assert not _found(engine, doc_id, first_titles[doc_id]), doc_id

    again = invoke("add", *BATCH, "--jobs", "2", "--library", library_path)  # the removed files come back
    assert again.exit_code == 0, again.stderr
    assert Library.open(library_path).doc_ids() == set(files)
    assert invoke("check", "--library", library_path).exit_code == 0
