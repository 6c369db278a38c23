"""Search latency: in process on the topical library, and on a generated 10,000-document library.

    python bench/search.py --topical /tmp/topical-lib          # build it with `kenniskamer add`
    python bench/search.py --large /tmp/large-lib --build      # generates 10,000 documents first

A "full search" is what the site does for a results page: matching, ranking, facet
counts and three highlighted passages with page numbers for each of the top 10 hits.
The 10,000 documents are made from real text: pages of the topical corpus shuffled
and recombined, with varied titles, years, languages, types and themes.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kenniskamer.index.write import rebuild_index  # noqa: E402
from kenniskamer.library import Library  # noqa: E402
from kenniskamer.meaning.e5 import load_retriever  # noqa: E402
from kenniskamer.meaning.encoder import load_encoder  # noqa: E402
from kenniskamer.meaning.store import VectorStore  # noqa: E402
from kenniskamer.meaning.vectors import encode_document, text_hash  # noqa: E402
from kenniskamer.models import Document, ThemeMatch  # noqa: E402
from kenniskamer.search import SearchEngine, SearchQuery  # noqa: E402
from tests.relevance.evaluate import load_judgments  # noqa: E402

QUERIES = [
    "polarisatie", "draagvlak voor asielzoekers", "houding tegenover vluchtelingen", "framing van migratie",
    "beeldvorming moslims in de media", "public support", "immigration attitudes", '"affective polarization"',
    '"national identity"', "terror attacks online hostility", "populisme", "integratie", "arbeidsmigratie",
    "verkiezingsprogramma asielbeleid", "media effects", "conjoint analysis", "vluchtelingn", "refugees Germany",
    "titel:framing", "auteur:czymara", "jaar:2019..2022 vluchtelingen", "thema:polarisatie", "migratie NOT arbeid",
    "statushouders", "welfare state", "contact hypothesis", "Muslim immigrants values", "elite discourse",
]
FILTERED = [("migration", {"language": ("en",)}), ("refugees", {"theme": ("asiel-opvang",), "year": ("2016",)})]


def judged_queries() -> list[str]:
    """The 66 queries of the relevance evaluation (researchers' questions, Dutch and English)."""
    return [judged.text for judged in load_judgments()]


def percentile(values: list[float], share: float) -> float:
    """The value below which ``share`` of the values lie."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def measure(library: Library, rounds: int) -> dict[str, float]:
    """Latency in ms (median, p95, max) of full searches over the query lists.

    The engine keeps the posting and position arrays it read, per commit, so a word is
    read from disk once. "Cold" is the first round: the bench queries and then the
    judged queries of tests/relevance, about a hundred distinct searches in a fresh
    engine, each meeting whichever of its words earlier ones did not read (what a site
    meets after a restart or a commit). "Warm" is the later rounds, repeating the bench
    queries (what a running site meets for its common words and thesaurus phrases).
    """
    engine = SearchEngine(library)
    started = time.perf_counter()
    engine.search(SearchQuery("warm up"))  # opens the searcher and builds its tables once
    opened = (time.perf_counter() - started) * 1000
    bench = [(q, {}) for q in QUERIES] + FILTERED
    warm: list[float] = []
    cold: list[float] = []
    for round_number in range(rounds):
        queries = bench + [(q, {}) for q in judged_queries()] if round_number == 0 else bench
        for text, filters in queries:
            started = time.perf_counter()
            engine.search(SearchQuery(text, filters=filters, page_size=10, passages=3))
            (cold if round_number == 0 else warm).append((time.perf_counter() - started) * 1000)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "searches": len(cold) + len(warm), "cold_searches": len(cold), "cold_median_ms": statistics.median(cold),
        "cold_p95_ms": percentile(cold, 0.95), "cold_max_ms": max(cold),
        "median_ms": statistics.median(warm or cold), "p95_ms": percentile(warm or cold, 0.95),
        "max_ms": max(warm or cold), "open_ms": opened, "max_rss_mb": rss,
    }


def measure_cli(library: Path, runs: int = 10) -> dict[str, float]:
    """Wall time in ms of `kenniskamer search` as a whole process (start, imports, search, output)."""
    command = [sys.executable, str(REPO / "cli.py"), "search", "--library", str(library)]
    # As on a user's machine: Python may cache compiled modules (some shells and CI set
    # PYTHONDONTWRITEBYTECODE, which makes every start compile kenniskamer again).
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([*command, "warm up"], capture_output=True, check=True, env=env)
    timings = []
    for _ in range(runs):
        for text in ("polarisatie", "draagvlak voor asielzoekers", '"public support"'):
            started = time.perf_counter()
            subprocess.run([*command, text], capture_output=True, check=True, env=env)
            timings.append((time.perf_counter() - started) * 1000)
    return {"runs": len(timings), "median_ms": statistics.median(timings), "max_ms": max(timings)}


def generate(target: Path, source: Path, count: int, seed: int = 7) -> Library:
    """A library of ``count`` documents recombined from the pages of the library at ``source``."""
    rng = random.Random(seed)
    origin = Library.open(source)
    pool = [(doc, library_pages) for doc in origin.documents() if (library_pages := origin.pages(doc.doc_id))]
    library = Library.open(target, create=True)
    themes = sorted({theme for doc, _ in pool for theme in doc.theme_ids})
    types = ["study", "report", "article", "webpage", "manifesto"]
    started = time.monotonic()
    for number in range(count):
        base, _ = rng.choice(pool)
        page_count = max(1, min(60, int(rng.lognormvariate(2.2, 0.7))))
        pages = []
        for _ in range(page_count):
            doc, doc_pages = rng.choice(pool)
            pages.append(rng.choice(doc_pages))
        words = base.title.split()
        rng.shuffle(words)
        digest = hashlib.sha256(f"{seed}-{number}".encode()).hexdigest()
        year = rng.randint(1995, 2026)
        chosen = rng.sample(themes, k=rng.randint(0, 3))
        doc = Document(
            doc_id=digest[:12], title=" ".join(words), source=f"generated/{number}.pdf", filename=f"{number}.pdf",
            sha256=digest, mime="application/pdf", size=sum(len(p) for p in pages), added=f"{year}-01-01T00:00:00Z",
            page_count=len(pages), authors=tuple(rng.sample(["Czymara, C. S.", "Bleich, E.", "Hainmueller, J.",
                                                             "Janssen, L.", "De Vries, A.", "Jansen, M."], k=2)),
            date=f"{year}-{rng.randint(1, 12):02d}-01", year=year, publisher=rng.choice(["SCP", "WRR", "Springer", "OUP", ""]) or None,
            language=base.language, doc_type=rng.choice(types), summary=" ".join(pages[0].split()[:80]),
            themes=tuple(ThemeMatch(t, 1.0, {}) for t in chosen), provenance={}, content_key=digest,
        )
        library.insert(doc, tuple(pages))
        if number % 1000 == 999:
            print(f"  catalog: {number + 1} documents, {time.monotonic() - started:.0f} s", flush=True)
    started = time.monotonic()
    with library.writing():
        rebuild_index(library, procs=2)
    print(f"  index: {library.count()} documents in {time.monotonic() - started:.0f} s", flush=True)
    if VectorStore(origin.vectors_dir).exists():
        started = time.monotonic()
        encoded = generate_vectors(library, origin)
        print(f"  vectors: {library.count()} documents ({encoded} texts encoded, the rest known) in "
              f"{time.monotonic() - started:.0f} s", flush=True)
    return library


class KnownTexts:
    """The real encoder, with the vectors the source library already holds for the very same texts.

    A generated document's pages are copies of source pages: their passages were encoded
    when the source was added, so only the new texts (each document's title and summary)
    go through the encoder. The vectors are what the encoder makes of these texts either way.
    """

    def __init__(self, origin: Library):
        self.encoder = load_encoder()
        self.model_id, self.dimensions = self.encoder.model_id, self.encoder.dimensions
        self.known: dict[bytes, np.ndarray] = {}
        self.encoded = 0
        store = VectorStore(origin.vectors_dir)
        for doc in origin.documents():
            vectors, pages = store.get(doc.doc_id), origin.pages(doc.doc_id)
            if vectors is None or vectors.model_id != self.model_id:
                continue
            for (page, start, end), row in zip(vectors.spans.tolist(), vectors.passages):
                self.known[text_hash(pages[page - 1][start:end])] = row.astype(np.float32)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        rows = [self.known.get(text_hash(text)) for text in texts]
        new = [text for text, row in zip(texts, rows) if row is None]
        fresh = iter(self.encoder.encode(new)) if new else iter(())
        self.encoded += len(new)
        return np.array([row if row is not None else next(fresh) for row in rows], dtype=np.float32).reshape(len(texts), -1)


def generate_vectors(library: Library, origin: Library) -> int:
    """Vectors for every generated document, as ingest makes them; returns how many texts the encoder read."""
    encoder, retriever = KnownTexts(origin), load_retriever()
    store = VectorStore(library.vectors_dir)
    for number, doc in enumerate(library.documents(), start=1):
        store.put(doc.doc_id, encode_document(doc, library.pages(doc.doc_id), encoder, retriever=retriever))
        if number % 1000 == 0:
            print(f"  vectors: {number} documents", flush=True)
    store.close()
    return encoder.encoded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--topical", type=Path, help="a library built from ../shared/corpus/topical")
    parser.add_argument("--large", type=Path, help="the generated library (made with --build)")
    parser.add_argument("--build", action="store_true", help="generate the large library from --topical first")
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if args.topical and not args.large:
        figures = measure(Library.open(args.topical), args.rounds)
        print(f"topical ({Library.open(args.topical).count()} documents): " + _format(figures))
        cli = measure_cli(args.topical)
        print(f"kenniskamer search, whole process: {cli['runs']:.0f} runs, median {cli['median_ms']:.0f} ms, "
              f"max {cli['max_ms']:.0f} ms")
    if args.large:
        if args.build:
            if not args.topical:
                parser.error("--build needs --topical as the source of real pages")
            generate(args.large, args.topical, args.count)
        library = Library.open(args.large)
        figures = measure(library, args.rounds)
        print(f"large ({library.count()} documents): " + _format(figures))


def _format(figures: dict[str, float]) -> str:
    return (
        f"{figures['searches']:.0f} searches; cold (first round, {figures['cold_searches']:.0f}) median {figures['cold_median_ms']:.1f} ms, "
        f"p95 {figures['cold_p95_ms']:.1f} ms, max {figures['cold_max_ms']:.1f} ms; warm (later rounds) median "
        f"{figures['median_ms']:.1f} ms, p95 {figures['p95_ms']:.1f} ms, max {figures['max_ms']:.1f} ms; "
        f"first search after opening {figures['open_ms']:.0f} ms; "
        f"peak memory {figures['max_rss_mb']:.0f} MB; load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
