"""Meaning benchmark (issue 14): encoder load and throughput, and the vector index at 10,000 documents.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/meaning.py [--documents 10000] [--passages 20]

1. Loads the encoder in fresh processes (5 times; the cache is warm after the first) and
   prints the median load time and first-query time.
2. Encodes 200 chunks of 110 words of real page text (a sample library's pages): chunks/s.
3. Writes a synthetic store of N documents (random unit vectors; ``--passages`` each) into a
   temporary folder, opens a MeaningIndex on it and times open, document_scores over all
   documents and passages() of ten documents; prints the in-memory matrix size.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kenniskamer.meaning.store import VectorStore  # noqa: E402
from kenniskamer.meaning.vectors import DocumentVectors, text_hash  # noqa: E402

LOAD = (
    "import time; t = time.perf_counter(); import numpy;"
    "from kenniskamer.meaning.encoder import load_encoder; t1 = time.perf_counter(); e = load_encoder();"
    "t2 = time.perf_counter(); e.encode(['wat werkt om draagvlak voor opvang te vergroten']); t3 = time.perf_counter();"
    "print(t1 - t, t2 - t1, t3 - t2)"
)


def load_times(runs: int) -> None:
    figures = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", LOAD], cwd=REPO, capture_output=True, text=True, check=True,
                             env={"PYTHONPATH": str(REPO), "OPENBLAS_NUM_THREADS": "1", "HOME": str(Path.home())})
        figures.append([float(x) for x in out.stdout.split()])
    imports, loads, queries = zip(*figures, strict=True)
    print(f"encoder in a fresh process ({runs} runs): numpy + modules {statistics.median(imports) * 1000:.0f} ms, "
          f"load {statistics.median(loads) * 1000:.0f} ms (first run {loads[0] * 1000:.0f} ms), "
          f"first query {statistics.median(queries) * 1000:.1f} ms")


def throughput() -> None:
    from kenniskamer.meaning.encoder import load_encoder

    words = (REPO / "README.md").read_text().split() * 20
    chunks = [" ".join(words[i : i + 110]) for i in range(0, 110 * 200, 110)]
    encoder = load_encoder()
    encoder.warm_up()
    started = time.perf_counter()
    encoder.encode(chunks)
    seconds = time.perf_counter() - started
    print(f"encoding: {len(chunks) / seconds:.0f} chunks of 110 words/s, {110 * len(chunks) / seconds:.0f} words/s (one core)")


def index_at(documents: int, passages: int) -> None:
    from kenniskamer.meaning.index import MeaningIndex

    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory() as folder:
        store = VectorStore(Path(folder))
        started = time.perf_counter()
        for n in range(documents):
            vectors = rng.standard_normal((passages + 1, 512)).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            store.put(f"doc{n:06d}", DocumentVectors(
                model_id="bench", text_hash=text_hash(str(n)), vector=vectors[0].astype(np.float16),
                spans=np.array([(1 + i // 4, 0, 10) for i in range(passages)], dtype=np.int32),
                hashes=b"".join(text_hash(f"{n}-{i}") for i in range(passages)), passages=vectors[1:].astype(np.float16),
            ))
        print(f"wrote {documents} documents x {passages} passages in {time.perf_counter() - started:.1f} s, "
              f"{sum(p.stat().st_size for p in Path(folder).iterdir()) / 1e6:.0f} MB on disk")
        started = time.perf_counter()
        index = MeaningIndex(store, model_id="bench")
        opened = time.perf_counter() - started
        ids = [f"doc{n:06d}" for n in range(documents)]
        query = rng.standard_normal(512).astype(np.float32)
        query /= np.linalg.norm(query)
        timings = []
        for _ in range(30):
            started = time.perf_counter()
            index.document_scores(query, ids)
            timings.append(time.perf_counter() - started)
        passage_times = []
        for n in range(0, documents, max(1, documents // 10)):
            started = time.perf_counter()
            index.passages(query, ids[n], 3)
            passage_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        index.refresh()
        refresh = time.perf_counter() - started
        matrix = index._snapshot.matrix
        print(f"{documents} documents: open {opened * 1000:.0f} ms; document_scores over all: median "
              f"{statistics.median(timings) * 1000:.1f} ms, max {max(timings) * 1000:.1f} ms; passages() of one document: "
              f"median {statistics.median(passage_times) * 1000:.2f} ms; refresh unchanged {refresh * 1e6:.0f} us; "
              f"matrix {matrix.nbytes / 1e6:.1f} MB in memory ({matrix.nbytes / documents / 1024:.1f} KB a document)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=10000)
    parser.add_argument("--passages", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    load_times(args.runs)
    throughput()
    index_at(args.documents, args.passages)


if __name__ == "__main__":
    main()
