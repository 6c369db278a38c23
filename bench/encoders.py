"""How much should e5's document cosines weigh beside USE's? The grid over both judgment sets.

    .venv/bin/python bench/encoders.py --library LIB [--shares 0,0.3,0.5,0.6,0.7] [--word-shares 0.05,0.13]

LIB is a library of ../shared/corpus/topical with vectors (`kenniskamer add`). For each share of
the retrieval encoder (kenniskamer.search.hybrid.RETRIEVAL_SHARE; 0 is USE alone) and each
word share of a question (QUESTION_WORD_SHARE), prints nDCG@10 of the keyword and the question
judgments, overall and per language. Measured 2026-12-04 in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "bench")]

from fusion import scores  # noqa: E402

import kenniskamer.search.hybrid as hybrid  # noqa: E402
from kenniskamer.library import Library  # noqa: E402
from kenniskamer.search import SearchEngine  # noqa: E402
from tests.relevance.evaluate import load_judgments  # noqa: E402


def _numbers(text: str) -> list[float]:
    return [float(part) for part in text.split(",") if part.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--library", type=Path, required=True)
    parser.add_argument("--shares", type=_numbers, default=[0.0, 0.3, 0.5, 0.6, 0.7])
    parser.add_argument("--word-shares", type=_numbers, default=[0.05, 0.13])
    args = parser.parse_args()
    library = Library.open(args.library)
    sets = {"keywords": load_judgments(), "questions": load_judgments(REPO / "tests" / "relevance" / "questions.toml")}
    print("e5 share | word share | keywords all / nl / en | questions all / nl / en")
    for word_share in args.word_shares:
        for share in args.shares:
            hybrid.QUESTION_WORD_SHARE, hybrid.RETRIEVAL_SHARE = word_share, share
            found = scores(SearchEngine(library), sets)
            row = " | ".join(" / ".join(f"{found[name][lang]:.3f}" for lang in ("all", "nl", "en")) for name in sets)
            print(f"{share:.2f} | {word_share:.2f} | {row}")


if __name__ == "__main__":
    main()
