"""Tune the fusion of words and meaning (kenniskamer/search/hybrid.py) on both judgment sets.

    python bench/fusion.py --library LIB [--questions tests/relevance/questions.toml] [--grid]

LIB is a library of ../shared/corpus/topical with vectors (`kenniskamer add` with meaning on).
Prints nDCG@10 per set and language for words alone, meaning as it is set, and with --grid
for every combination of the constants below, best first by the mean of the two sets'
nDCG (the keyword set must not lose what it has).
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import kenniskamer.search.hybrid as hybrid  # noqa: E402
from kenniskamer.library import Library  # noqa: E402
from kenniskamer.search import SearchEngine  # noqa: E402
from tests.relevance.evaluate import load_judgments, run_queries, summarise  # noqa: E402

GRID = {
    "RRF_K": (10.0, 20.0, 60.0),
    "MEANING_WEIGHT_KEYWORDS": (0.3, 0.6, 1.0),
    "MEANING_WEIGHT_QUESTIONS": (1.0, 1.5, 2.5),
    "DENSE_FLOOR": (0.25, 0.30, 0.35),
    "DENSE_MARGIN": (0.08, 0.12, 0.20),
}


def scores(engine: SearchEngine, sets: dict[str, list]) -> dict[str, dict[str, float]]:
    """nDCG@10 per set and language."""
    found = {}
    for name, judged in sets.items():
        summary = summarise(judged, run_queries(engine, judged))
        found[name] = {group: round(values["ndcg"], 3) for group, values in summary.items()}
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--library", type=Path, required=True)
    parser.add_argument("--questions", type=Path, default=REPO / "tests" / "relevance" / "questions.toml")
    parser.add_argument("--grid", action="store_true")
    args = parser.parse_args()
    library = Library.open(args.library)
    sets = {"keywords": load_judgments()}
    if args.questions.exists():
        sets["questions"] = load_judgments(args.questions)
    print("words alone ", scores(SearchEngine(library, meaning=False), sets))
    engine = SearchEngine(library)
    print("as set      ", scores(engine, sets))
    if not args.grid:
        return
    results = []
    for values in itertools.product(*GRID.values()):
        for name, value in zip(GRID, values):
            setattr(hybrid, name, value)
        found = scores(engine, sets)
        mean = sum(found[name]["all"] for name in found) / len(found)
        results.append((mean, dict(zip(GRID, values)), found))
    for mean, values, found in sorted(results, key=lambda item: -item[0])[:15]:
        print(f"{mean:.3f}", values, found)


if __name__ == "__main__":
    main()
