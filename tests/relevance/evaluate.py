"""Relevance of the search engine on the judged queries in judgments.toml and questions.toml.

Prints nDCG@10, recall@10 and MRR per query language and overall, with and without
the thesaurus, for a library built from ../shared/corpus/topical:

    python tests/relevance/evaluate.py --library /tmp/topical-library
    python tests/relevance/evaluate.py --build   # builds the library in a temp folder first
    python tests/relevance/evaluate.py --build --set questions   # the question-style set

--set keywords (the default) is judgments.toml, the keyword queries; --set questions is
questions.toml, questions as researchers, policy makers and NGO staff ask them; --set all
is both. The judgments were made by reading the documents (see the headers of the files).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import tomllib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from kenniskamer.library import Library  # noqa: E402
from kenniskamer.search import SearchEngine, SearchQuery  # noqa: E402

JUDGMENTS = Path(__file__).with_name("judgments.toml")
QUESTIONS = Path(__file__).with_name("questions.toml")
SETS: dict[str, tuple[Path, ...]] = {
    "keywords": (JUDGMENTS,),
    "questions": (QUESTIONS,),
    "all": (JUDGMENTS, QUESTIONS),
}
TOPICAL = REPO.parent / "shared" / "corpus" / "topical"
CUTOFF = 10


@dataclass(frozen=True)
class Judged:
    """One query with its graded judgments (file name -> grade)."""

    id: str
    text: str
    lang: str
    kind: str
    grades: dict[str, int]


def load_judgments(path: Path = JUDGMENTS) -> list[Judged]:
    """The judged queries."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [Judged(q["id"], q["text"], q["lang"], q["kind"], dict(q["judgments"])) for q in data["query"]]


def load_set(name: str = "keywords") -> list[Judged]:
    """The judged queries of a named set: 'keywords', 'questions' or 'all' (both)."""
    if name not in SETS:
        raise ValueError(f"unknown set {name!r}: choose from {', '.join(SETS)}")
    judged = [query for path in SETS[name] for query in load_judgments(path)]
    ids = [query.id for query in judged]
    if len(ids) != len(set(ids)):
        raise ValueError(f"query ids repeat across the files of set {name!r}")
    return judged


def ndcg(ranked: list[str], grades: dict[str, int], k: int = CUTOFF) -> float:
    """Normalised discounted cumulative gain at k (gain 2^grade - 1)."""
    gain = sum((2 ** grades.get(name, 0) - 1) / math.log2(rank + 2) for rank, name in enumerate(ranked[:k]))
    ideal_order = sorted(grades.values(), reverse=True)[:k]
    ideal = sum((2**grade - 1) / math.log2(rank + 2) for rank, grade in enumerate(ideal_order))
    return gain / ideal if ideal else 0.0


def recall(ranked: list[str], grades: dict[str, int], k: int = CUTOFF) -> float:
    """Share of the relevant documents (grade >= 1) in the top k."""
    relevant = {name for name, grade in grades.items() if grade > 0}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


def reciprocal_rank(ranked: list[str], grades: dict[str, int]) -> float:
    """1 / rank of the first relevant document (0 if none)."""
    for rank, name in enumerate(ranked, start=1):
        if grades.get(name, 0) > 0:
            return 1.0 / rank
    return 0.0


def run_queries(engine: SearchEngine, judged: list[Judged], *, expand: bool = True) -> dict[str, dict[str, float]]:
    """Per query id: its nDCG@10, recall@10 and reciprocal rank."""
    scores: dict[str, dict[str, float]] = {}
    for query in judged:
        page = engine.search(SearchQuery(query.text, page_size=CUTOFF, expand=expand, passages=0))
        ranked = [hit.doc.filename for hit in page.hits]
        scores[query.id] = {
            "ndcg": ndcg(ranked, query.grades),
            "recall": recall(ranked, query.grades),
            "mrr": reciprocal_rank(ranked, query.grades),
        }
    return scores


def summarise(judged: list[Judged], scores: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """Mean of each measure per query language and overall."""
    groups: dict[str, list[str]] = defaultdict(list)
    for query in judged:
        groups[query.lang].append(query.id)
        groups["all"].append(query.id)
    return {
        group: {m: sum(scores[i][m] for i in ids) / len(ids) for m in ("ndcg", "recall", "mrr")} | {"n": len(ids)}
        for group, ids in groups.items()
    }


def build_library(root: Path) -> Library:
    """A library of the topical corpus (added with two worker processes)."""
    from indexer.pipeline import AddOptions, run

    library = Library.open(root, create=True)
    if library.count() == 0:
        run(library, [str(TOPICAL)], AddOptions(jobs=2))
    return library


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--library", type=Path, help="a library built from the topical corpus")
    parser.add_argument("--build", action="store_true", help="build the library first (in --library or a temp folder)")
    parser.add_argument("--per-query", action="store_true", help="also print every query's figures")
    parser.add_argument(
        "--set",
        choices=sorted(SETS),
        default="keywords",
        help="which judgments: keywords (judgments.toml, the default), questions (questions.toml) or all",
    )
    args = parser.parse_args()
    root = args.library or Path(tempfile.mkdtemp(prefix="kk-relevance-")) / "library"
    library = build_library(root) if args.build or not args.library else Library.open(root)
    judged = load_set(args.set)
    engine = SearchEngine(library)
    print(f"{len(judged)} queries ({args.set}) on {library.count()} documents ({root})")
    print(f"{'':22}{'nDCG@10':>9}{'recall@10':>11}{'MRR':>7}{'n':>5}")
    for expand in (True, False):
        scores = run_queries(engine, judged, expand=expand)
        label = "with thesaurus" if expand else "without thesaurus"
        for group, figures in sorted(summarise(judged, scores).items()):
            print(f"{label + ' ' + group:22}{figures['ndcg']:9.3f}{figures['recall']:11.3f}{figures['mrr']:7.3f}{int(figures['n']):5}")
        if args.per_query:
            for query in judged:
                s = scores[query.id]
                print(f"   {query.id:8} {s['ndcg']:.2f} {s['recall']:.2f} {s['mrr']:.2f}  {query.kind:15} {query.text}")


if __name__ == "__main__":
    main()
