"""Soak (issue 7): adds, edits, removals and reindexes on one library for ten minutes while it is searched.

    .venv/bin/python bench/soak.py                      # 10 minutes on a fresh library in a temporary folder
    .venv/bin/python bench/soak.py --minutes 2 --seed 3 --library /tmp/soak-lib --keep

The main thread is the curator, one command after another with short pauses:
- add: `kenniskamer add --json` of one to three files of ../shared/corpus (topical and
  robustness) not tried yet, often with a file already in the library (it must be refused
  as a duplicate of that document) and one removed earlier (it must come back, same id);
- add a copy of a stored web page with a comment appended (other bytes, same text: it
  must be refused as a near-duplicate of the stored one);
- edit the title, year or themes of a random document, or drop the curator's title;
- remove a random document (it is added again later);
- reindex (the whole index rebuilt beside the old one and swapped in).
Edits and removals go through `kenniskamer.library.curate`, the API the command line uses, and one
in four through the command line itself. After each command the catalog must hold what it
said: the new values, the added documents, no removed one.

Meanwhile two searchers run: a thread with the in-process engine, and a thread asking a live
`kenniskamer serve` over HTTP. Each alternates judged queries (anything but a whole answer
is an error) with checks of a document whose last change is a few seconds old (2 s in
process, 4 s over HTTP, where the page cache waits 2 s after a change): a present document
must be found by its title, with its year or a theme as a filter half the time, and show
the catalog's title, year and themes; a removed one must not be found, and over HTTP its
/api/documents page must be a 404. A results page whose total counts a document being
removed (from the removal's catalog commit until searches see its index commit, at most a
second later) shows one hit fewer than its total: counted apart, not as an error.

Every few minutes and at the end `kenniskamer check` runs (at the end with checksums) and the
catalog is compared with the set of documents the script expects: one missing is lost, one
too many was let in. Exit status 1 if anything went wrong.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import traceback
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from load import percentile, start_server  # noqa: E402

from kenniskamer.errors import DocumentNotFoundError  # noqa: E402
from kenniskamer.library import Library  # noqa: E402
from kenniskamer.library.curate import edit_document, remove_document  # noqa: E402
from kenniskamer.search import FRESHNESS_SECONDS, SearchEngine, SearchQuery  # noqa: E402
from kenniskamer.themes import load_themes  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"
CLI = [sys.executable, str(REPO / "cli.py")]
JUDGMENTS = REPO / "tests" / "relevance" / "judgments.toml"
SETTLE = {"engine": 2.0, "http": 4.0}  # seconds after a change before a searcher must see it
FIRST_BATCH = 8  # topical files added before the searchers start
KEEP_PRESENT = 8  # never remove below this many documents
OPERATIONS = {"add": 3, "near-duplicate": 0.7, "edit": 12, "remove": 3, "reindex": 0.5}  # weights


def doc_id_of(path: Path) -> str:
    """The id a file gets: the first 12 hex digits of its SHA-256."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


@dataclass(frozen=True)
class Entry:
    """What the library should hold for one document."""

    path: str  # the file it was added from
    present: bool
    title: str = ""
    year: int | None = None
    themes: tuple[str, ...] = ()
    settled: float = 0.0  # time.monotonic() of its last change; infinity while a change is under way
    version: int = 0


class Ledger:
    """The documents the library should hold, shared by the curator and the searchers."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: dict[str, Entry] = {}
        self.removals: list[tuple[float, float]] = []  # (start, end) of every removal, end inf while it runs

    def changing(self, doc_ids: list[str]) -> None:
        """These documents are about to change: searchers leave them alone until ``changed``."""
        with self.lock:
            for doc_id in doc_ids:
                if doc_id in self.entries:
                    entry = self.entries[doc_id]
                    self.entries[doc_id] = replace(entry, settled=math.inf, version=entry.version + 1)

    def changed(self, doc_id: str, path: str | None = None, **values: Any) -> None:
        """Record a document's new state (``present``, ``title``, ...), settled from now on."""
        with self.lock:
            entry = self.entries.get(doc_id) or Entry(path=path or "", present=False)
            self.entries[doc_id] = replace(entry, **values, settled=time.monotonic(), version=entry.version + 1)

    def settle(self, doc_ids: list[str]) -> None:
        """These documents did not change after all."""
        with self.lock:
            for doc_id in doc_ids:
                if doc_id in self.entries and self.entries[doc_id].settled == math.inf:
                    self.entries[doc_id] = replace(self.entries[doc_id], settled=time.monotonic())

    def pick(self, rng: random.Random, age: float) -> tuple[str, Entry] | None:
        """A document whose last change is at least ``age`` seconds old: a removed one a third of the time."""
        now = time.monotonic()
        with self.lock:
            ready = [(doc_id, entry) for doc_id, entry in self.entries.items() if entry.settled <= now - age]
        removed = [item for item in ready if not item[1].present]
        if removed and rng.random() < 1 / 3:
            return rng.choice(removed)
        return rng.choice(ready) if ready else None

    def unchanged(self, doc_id: str, entry: Entry) -> bool:
        with self.lock:
            return self.entries[doc_id].version == entry.version

    def removing(self, start: float, end: float = math.inf) -> None:
        with self.lock:
            if self.removals and self.removals[-1] == (start, math.inf):
                self.removals[-1] = (start, end)
            else:
                self.removals.append((start, end))

    def removal_during(self, start: float, end: float, *, lag: float = 0.0) -> bool:
        """True if a removal ran (or ended less than ``lag`` seconds before) between ``start`` and ``end``."""
        with self.lock:
            return any(begun <= end and start <= ended + lag for begun, ended in self.removals[-20:])

    def present(self) -> dict[str, Entry]:
        with self.lock:
            return {doc_id: entry for doc_id, entry in self.entries.items() if entry.present}

    def absent(self) -> dict[str, Entry]:
        with self.lock:
            return {doc_id: entry for doc_id, entry in self.entries.items() if not entry.present}


class Tally:
    """Operations per kind, search latencies and errors, from all threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.errors: list[str] = []
        self.latencies: dict[str, list[float]] = {"engine": [], "http": []}

    def count(self, kind: str, n: int = 1) -> None:
        with self.lock:
            self.counts[kind] += n

    def error(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)
        print(f"ERROR {message}", file=sys.stderr, flush=True)

    def took(self, searcher: str, seconds: float) -> None:
        with self.lock:
            self.latencies[searcher].append(seconds)


def where(err: BaseException) -> str:
    """The innermost frames of an exception's traceback, as (file:line in function, ...)."""
    frames = traceback.extract_tb(err.__traceback__)[-3:]
    return "(" + ", ".join(f"{Path(f.filename).name}:{f.lineno} in {f.name}" for f in frames) + ")"


def title_query(title: str) -> str | None:
    """A phrase query on the first six words of a title (None if it has no words)."""
    words = re.findall(r"\w+", title)[:6]
    return f'titel:"{" ".join(words)}"' if words else None


# -- the curator ------------------------------------------------------------------------------


class Curator:
    """Runs one write command at a time and checks that the catalog holds what it said."""

    def __init__(self, library_path: Path, work: Path, ledger: Ledger, tally: Tally, rng: random.Random):
        self.path, self.work, self.ledger, self.tally, self.rng = library_path, work, ledger, tally, rng
        self.library = Library.open(library_path, create=True)
        self.theme_ids = [theme.id for theme in load_themes()]
        files = sorted(p for folder in ("topical", "robustness") for p in (CORPUS / folder).iterdir() if p.is_file())
        self.untried = [str(p) for p in files]
        rng.shuffle(self.untried)
        self.outcomes: dict[str, str] = {}  # path -> "added" or "failed: message" (the first time)
        self.copies = 0
        self.step = 0

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*CLI, *args, "--library", str(self.path)], capture_output=True, text=True, timeout=900)

    def do(self, operation: str) -> None:
        self.step += 1
        getattr(self, operation.replace("-", "_"))()

    # -- add --

    def first_batch(self) -> None:
        topical = sorted((p for p in self.untried if "/topical/" in p), key=lambda p: Path(p).stat().st_size)
        self._add(topical[:FIRST_BATCH])

    def add(self) -> None:
        batch = [self.untried.pop() for _ in range(self.rng.randint(1, 3)) if self.untried]
        present = [e.path for e in self.ledger.present().values() if Path(e.path).parent.parent == CORPUS]
        absent = [e.path for e in self.ledger.absent().values() if Path(e.path).parent.parent == CORPUS]
        if present and self.rng.random() < 0.5:
            batch.append(self.rng.choice(present))
        if absent and self.rng.random() < 0.7:
            batch.append(self.rng.choice(absent))
        if not batch:
            return self.edit()
        self._add(batch)

    def near_duplicate(self) -> None:
        pages = [e.path for e in self.ledger.present().values() if e.path.endswith(".html") and "/topical/" in e.path]
        if not pages:
            return self.add()
        original = Path(self.rng.choice(pages))
        self.copies += 1
        copy = self.work / f"copy{self.copies}-{original.name}"
        copy.write_bytes(original.read_bytes() + f"\n<!-- soak copy {self.copies} -->\n".encode())
        self._add([str(copy)], near_of=doc_id_of(original))

    def _add(self, paths: list[str], *, near_of: str | None = None) -> None:
        ids = {path: doc_id_of(Path(path)) for path in paths}
        before = self.ledger.present()
        self.ledger.changing(list(ids.values()))
        self.tally.count("add commands")
        done = self.cli("add", *paths, "--json", "--jobs", "2")
        try:
            report = json.loads(done.stdout)
        except ValueError:
            self.tally.error(f"add {paths}: exit {done.returncode}, no JSON: {done.stderr[-500:]}")
            report = {"added": [], "duplicates": [], "failed": []}
        added = {doc["id"]: doc for doc in report["added"]}
        refused = {item["location"]: item for item in report["duplicates"]}
        failed = {item["location"]: item["message"] for item in report["failed"]}
        if done.returncode != (1 if failed else 0):
            self.tally.error(f"add {paths}: exit {done.returncode} with {len(failed)} failed: {done.stderr[-500:]}")
        for path, doc_id in ids.items():
            self._judge_add(path, doc_id, doc_id in before, added, refused, failed, near_of)
        self.ledger.settle(list(ids.values()))

    def _judge_add(self, path: str, doc_id: str, was_present: bool, added: dict[str, Any],
                   refused: dict[str, Any], failed: dict[str, str], near_of: str | None) -> None:
        first = self.outcomes.get(path)
        if doc_id in added:
            self.tally.count("files added")
            if was_present:
                self.tally.error(f"let in: {path} was added again beside {doc_id}")
            elif near_of is not None:
                self.tally.error(f"let in: {path} was added although it has the text of {near_of}")
            if first is not None and first.startswith("failed"):
                self.tally.error(f"{path} was refused before ({first}), now added")
            if first == "added":
                self.tally.count("files added again after removal")
            self.outcomes.setdefault(path, "added")
            try:
                doc = self.library.get(doc_id)
            except DocumentNotFoundError:
                self.tally.error(f"lost: {path} reported as added as {doc_id}, not in the catalog")
                return
            self.ledger.changed(doc_id, path=path, present=True, title=doc.title, year=doc.year, themes=doc.theme_ids)
        elif path in refused:
            item = refused[path]
            near = item["similarity"] is not None
            self.tally.count("near-duplicates refused" if near else "duplicates refused")
            if was_present and (near or item["existing_id"] != doc_id):
                self.tally.error(f"{path} (in the library as {doc_id}) refused as a copy of {item['existing_id']}")
            elif near_of is not None and item["existing_id"] != near_of:
                self.tally.error(f"{path} refused as a copy of {item['existing_id']}, expected {near_of}")
            elif not was_present and not near:
                self.tally.error(f"{path} refused as a duplicate of {item['existing_id']}, which is not in the library")
            self.outcomes.setdefault(path, "refused")
        elif path in failed:
            self.tally.count("files failed (refused with a reason)")
            if was_present:
                self.tally.error(f"{path} (in the library as {doc_id}) failed: {failed[path]}")
            if first == "added":
                self.tally.error(f"{path} was added before, now failed: {failed[path]}")
            self.outcomes.setdefault(path, f"failed: {failed[path]}")
        else:
            self.tally.error(f"add: no outcome for {path}")

    # -- edit, remove, reindex --

    def edit(self) -> None:
        present = self.ledger.present()
        if not present:
            return
        doc_id = self.rng.choice(sorted(present))
        kind = self.rng.choice(["title", "title", "year", "themes", "clear-title"])
        if kind == "title":
            values: dict[str, Any] = {"title": f"Soak titel s{self.step}k over draagvlak voor opvang"}
            args = ["--title", values["title"]]
        elif kind == "year":
            values = {"year": self.rng.randint(1990, 2026)}
            args = ["--year", str(values["year"])]
        elif kind == "themes":
            values = {"themes": self.rng.sample(self.theme_ids, self.rng.randint(1, 2))}
            args = [arg for theme in values["themes"] for arg in ("--theme", theme)]
        else:
            values, args = {"title": None}, ["--clear", "title"]
        self.ledger.changing([doc_id])
        via_cli = self.rng.random() < 0.25
        self.tally.count(f"edits ({kind}, {'command line' if via_cli else 'API'})")
        if via_cli:
            done = self.cli("edit", doc_id, *args)
            if done.returncode != 0:
                self.tally.error(f"edit {doc_id} {args}: exit {done.returncode}: {done.stderr[-300:]}")
        else:
            edit_document(self.library, doc_id, values)
        doc = self.library.get(doc_id)
        for name, value in values.items():
            got = getattr(doc, "theme_ids" if name == "themes" else name)
            if name == "themes":
                value = tuple(value)
            if value is None:
                if doc.provenance.get(name) == "curator":
                    self.tally.error(f"edit {doc_id}: the curator's {name} is still there after --clear")
            elif got != value:
                self.tally.error(f"edit {doc_id}: the catalog has {name} {got!r}, set {value!r}")
        self.ledger.changed(doc_id, title=doc.title, year=doc.year, themes=doc.theme_ids)

    def remove(self) -> None:
        present = self.ledger.present()
        if len(present) <= KEEP_PRESENT:
            return self.add()
        doc_id = self.rng.choice(sorted(present))
        doc = self.library.get(doc_id)
        self.ledger.changing([doc_id])
        began = time.monotonic()
        self.ledger.removing(began)
        via_cli = self.rng.random() < 0.25
        self.tally.count(f"removals ({'command line' if via_cli else 'API'})")
        if via_cli:
            done = self.cli("remove", doc_id)
            if done.returncode != 0:
                self.tally.error(f"remove {doc_id}: exit {done.returncode}: {done.stderr[-300:]}")
        else:
            remove_document(self.library, doc_id)
        self.ledger.removing(began, time.monotonic())
        if doc_id in self.library.doc_ids():
            self.tally.error(f"remove {doc_id}: still in the catalog")
        if self.library.original_of(doc).exists():
            self.tally.error(f"remove {doc_id}: its original is still there")
        self.ledger.changed(doc_id, present=False)

    def reindex(self) -> None:
        self.tally.count("reindexes")
        done = self.cli("reindex")
        if done.returncode != 0:
            self.tally.error(f"reindex: exit {done.returncode}: {done.stderr[-300:]}")

    # -- check --

    def check(self, *, full: bool = False) -> None:
        """`kenniskamer check`, and the catalog against the expected documents."""
        self.tally.count("`kenniskamer check` runs")
        done = self.cli("check", "--json", *([] if full else ["--quick"]))
        if done.returncode != 0:
            self.tally.count("`kenniskamer check` failures")
            self.tally.error(f"check: exit {done.returncode}: {done.stdout[-800:]}")
        catalog = self.library.doc_ids()
        expected = set(self.ledger.present())
        for doc_id in sorted(expected - catalog):
            self.tally.count("documents lost")
            self.tally.error(f"lost: {doc_id} ({self.ledger.entries[doc_id].path}) is not in the catalog")
        for doc_id in sorted(catalog - expected):
            self.tally.count("documents let in")
            self.tally.error(f"let in: {doc_id} is in the catalog but was never reported as added (or was removed)")


# -- the searchers ----------------------------------------------------------------------------


def judged_queries() -> list[str]:
    return [entry["text"] for entry in tomllib.loads(JUDGMENTS.read_text(encoding="utf-8"))["query"]]


class Searcher(threading.Thread):
    """Judged queries and checks of settled documents, until stopped."""

    name_: str = ""

    def __init__(self, ledger: Ledger, tally: Tally, seed: int, stop: threading.Event, pause: float):
        super().__init__(daemon=True)
        self.ledger, self.tally, self.stop, self.pause = ledger, tally, stop, pause
        self.rng = random.Random(seed)
        self.queries = judged_queries()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                if self.rng.random() < 0.5:
                    self.load()
                else:
                    self.verify()
            except Exception as err:  # anything unexpected is what the soak is looking for
                self.tally.error(f"{self.name_}: {type(err).__name__}: {err} {where(err)}")
            self.stop.wait(self.pause)

    def search(self, text: str, filters: dict[str, str]) -> tuple[int, list[dict[str, Any]]]:
        raise NotImplementedError

    def load(self) -> None:
        text = self.rng.choice(self.queries)
        began = time.monotonic()
        total, hits = self.search(text, {})
        ended = time.monotonic()
        self.tally.took(self.name_, ended - began)
        self.tally.count(f"searches ({self.name_})")
        ids = [hit["id"] for hit in hits]
        lag = FRESHNESS_SECONDS + 0.5
        if len(ids) == len(set(ids)) and len(ids) < min(total, 50) and self.ledger.removal_during(began, ended, lag=lag):
            # From a removal's catalog commit until a search sees its index commit (up to a second
            # later) the index still counts the document, which the catalog no longer shows.
            self.tally.count(f"pages with a document being removed counted, not shown ({self.name_})")
        elif len(ids) != len(set(ids)) or len(ids) != min(total, 50):
            self.tally.error(f"{self.name_}: {text!r}: {total} total, {len(ids)} hits, {len(set(ids))} distinct")

    def verify(self) -> None:
        picked = self.ledger.pick(self.rng, SETTLE[self.name_])
        if picked is None:
            return
        doc_id, entry = picked
        query = title_query(entry.title)
        if query is None:
            self.tally.count(f"checks skipped: title without words ({self.name_})")
            return
        filters: dict[str, str] = {}
        if entry.present and self.rng.random() < 0.5:
            if entry.year and (not entry.themes or self.rng.random() < 0.5):
                filters["year"] = str(entry.year)
            elif entry.themes:
                filters["theme"] = self.rng.choice(entry.themes)
        total, hits = self.search(query, filters)
        gone = self.gone(doc_id) if not entry.present else None
        if not self.ledger.unchanged(doc_id, entry):
            self.tally.count(f"checks skipped: changed meanwhile ({self.name_})")
            return
        found = [hit for hit in hits if hit["id"] == doc_id]
        kind = "present" if entry.present else "removed"
        self.tally.count(f"checks of {kind} documents ({self.name_})")
        if entry.present and not found:
            self.tally.error(f"{self.name_}: {doc_id} not found by {query} {filters} ({total} hits); "
                             f"changed {time.monotonic() - entry.settled:.1f} s ago")
        elif entry.present:
            hit = found[0]
            shown = (hit["title"], hit["year"], tuple(hit["themes"]))
            if shown != (entry.title, entry.year, entry.themes):
                self.tally.error(f"{self.name_}: {doc_id} shown as {shown}, the catalog has "
                                 f"{(entry.title, entry.year, entry.themes)}")
        elif found or gone is False:
            self.tally.error(f"{self.name_}: removed {doc_id} still found by {query} ({'search' if found else 'API'}), "
                             f"removed {time.monotonic() - entry.settled:.1f} s ago")

    def gone(self, doc_id: str) -> bool | None:
        """Whether the document's own page says it is gone (None: this searcher has none)."""
        return None


class EngineSearcher(Searcher):
    """The in-process engine, as the web app uses it."""

    name_ = "engine"

    def __init__(self, library_path: Path, *args: Any):
        super().__init__(*args)
        self.engine = SearchEngine(Library.open(library_path))

    def search(self, text: str, filters: dict[str, str]) -> tuple[int, list[dict[str, Any]]]:
        page = self.engine.search(SearchQuery(text, filters={k: (v,) for k, v in filters.items()}, expand=False,
                                              page_size=50))
        return page.total, [{"id": h.doc.doc_id, "title": h.doc.title, "year": h.doc.year,
                             "themes": list(h.doc.theme_ids)} for h in page.hits]


class HttpSearcher(Searcher):
    """A client of the live `kenniskamer serve`."""

    name_ = "http"

    def __init__(self, base: str, *args: Any):
        super().__init__(*args)
        self.base = base

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(self.base + path, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()

    def search(self, text: str, filters: dict[str, str]) -> tuple[int, list[dict[str, Any]]]:
        status, body = self.get("/search.json?" + urlencode({"q": text, "size": 50, "expand": 0, **filters}))
        if status != 200:
            raise RuntimeError(f"HTTP {status} for {text!r} {filters}: {body[:300]!r}")
        data = json.loads(body)
        return data["total"], data["hits"]

    def gone(self, doc_id: str) -> bool:
        status, _ = self.get(f"/api/documents/{doc_id}")
        if status not in (200, 404):
            raise RuntimeError(f"HTTP {status} for /api/documents/{doc_id}")
        return status == 404


# -- the run ------------------------------------------------------------------------------------


def summary(tally: Tally, args: argparse.Namespace, seconds: float, commit: str, loads: list[tuple[float, ...]],
            documents: int) -> str:
    lines = [f"soak: {seconds / 60:.1f} min at {commit}, seed {args.seed}, {os.cpu_count()} CPUs, "
             f"load average {min(avg[0] for avg in loads):.1f}-{max(avg[0] for avg in loads):.1f} "
             "(1 min, sampled each minute)"]
    last = ("`kenniskamer check` failures", "documents lost", "documents let in")
    for kind, count in sorted(tally.counts.items()):
        if kind not in last:
            lines.append(f"  {kind:55} {count:6}")
    for name, values in tally.latencies.items():
        if values:
            lines.append(f"  search latency ({name}) ms: p50 {1000 * percentile(values, 0.5):.0f}, "
                         f"p95 {1000 * percentile(values, 0.95):.0f}, max {1000 * max(values):.0f}")
    for kind in last:
        lines.append(f"  {kind:55} {tally.counts[kind]:6}")
    lines.append(f"  {'documents at the end':55} {documents:6}")
    lines.append(f"  {'errors':55} {len(tally.errors):6}")
    # Alike errors grouped: quoted values and numbers left out.
    kinds = Counter(re.sub(r"'[^']*'|\"[^\"]*\"|b'.*|\d+(\.\d+)?", "_", error)[:150] for error in tally.errors)
    lines.extend(f"    {count:4} x {kind}" for kind, count in kinds.most_common(12))
    lines.extend(f"    e.g. {error[:300]}" for error in tally.errors[:3])
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0, help="how long to run (default 10)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the curator's and searchers' choices")
    parser.add_argument("--library", type=Path, help="library folder (default: a new temporary one, removed after)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary library and the server log")
    parser.add_argument("--check-every", type=float, default=3.0, help="minutes between checks (default 3)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="kenniskamer-soak-"))
    library_path = args.library or work / "library"
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    commit += " (+ uncommitted changes)" if dirty else ""
    rng = random.Random(args.seed)
    ledger, tally, stop = Ledger(), Tally(), threading.Event()
    curator = Curator(library_path, work, ledger, tally, rng)
    began = time.monotonic()
    curator.first_batch()
    server, base = start_server(library_path, 8, True, work / "serve.log")
    searchers = [EngineSearcher(library_path, ledger, tally, args.seed + 1, stop, 0.2),
                 HttpSearcher(base, ledger, tally, args.seed + 2, stop, 0.1)]
    for searcher in searchers:
        searcher.start()
    loads = [os.getloadavg()]
    deadline = began + 60 * args.minutes
    next_check = began + 60 * args.check_every
    next_load = began + 60
    names, weights = list(OPERATIONS), list(OPERATIONS.values())
    try:
        while time.monotonic() < deadline:
            operation = rng.choices(names, weights)[0]
            try:
                curator.do(operation)
            except Exception as err:
                tally.error(f"{operation}: {type(err).__name__}: {err} {where(err)}")
            now = time.monotonic()
            if now >= next_check:
                curator.check()
                next_check = now + 60 * args.check_every
            if now >= next_load:
                loads.append(os.getloadavg())
                next_load = now + 60
            time.sleep(rng.uniform(0.1, 0.5))
        time.sleep(SETTLE["http"] + 1)  # the searchers check the last changes too
    finally:
        stop.set()
        for searcher in searchers:
            searcher.join(timeout=120)
        server.terminate()
        server.wait(timeout=30)
    log = (work / "serve.log").read_text(errors="replace")
    if "Traceback" in log:
        raised = Counter(re.findall(r"^([\w.]+(?:Error|Exception|Closed)): ", log, flags=re.MULTILINE))
        tally.error(f"the server logged {log.count('Traceback')} tracebacks ("
                    + ", ".join(f"{n} x {name}" for name, n in raised.most_common()) + f"); see {work / 'serve.log'}")
    curator.check(full=True)
    loads.append(os.getloadavg())
    print(summary(tally, args, time.monotonic() - began, commit, loads, curator.library.count()))
    if args.keep:
        print(f"library and server log kept in {work}" if args.library is None else f"server log in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if tally.errors else 0)


if __name__ == "__main__":
    main()
