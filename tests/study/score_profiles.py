"""How well study profiles are read: kind, main method, countries and groups against labels.toml.

Reads every labelled document of a library built from ../shared/corpus/topical, from its
stored text as `kenniskamer reindex` does, and prints per field what the issue measures:
kind accuracy, the share of research documents whose labelled main method is among the
methods read, and micro-averaged F1 of countries and groups:

    python tests/study/score_profiles.py --library /tmp/topical-library
    python tests/study/score_profiles.py --library /tmp/topical-library --show   # every disagreement
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from kenniskamer.library import Library  # noqa: E402
from kenniskamer.models import StudyProfile  # noqa: E402
from kenniskamer.study import default_vocabulary, read_profile  # noqa: E402

LABELS = Path(__file__).with_name("labels.toml")


@dataclass(frozen=True)
class Label:
    """A document's profile as read by a person."""

    file: str
    kind: str
    methods: tuple[str, ...]
    countries: tuple[str, ...]
    groups: tuple[str, ...]


@dataclass(frozen=True)
class Scores:
    """The figures the issue's bars are about, and the counts behind them."""

    documents: int
    kind: float
    research: int
    main_method: float
    countries_f1: float
    groups_f1: float


def load_labels(path: Path = LABELS) -> list[Label]:
    """The labelled documents."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [Label(d["file"], d["kind"], tuple(d["methods"]), tuple(d["countries"]), tuple(d["groups"])) for d in data["doc"]]


def profiles(library: Library) -> dict[str, StudyProfile]:
    """File name -> the profile read from the stored text of every document in the library."""
    vocabulary = default_vocabulary()
    found = {}
    for doc in library.documents():
        pages = library.pages(doc.doc_id)
        found[doc.filename] = read_profile(vocabulary, title=doc.title, summary=doc.summary, pages=pages,
                                           mime=doc.mime, doc_type=doc.doc_type)
    return found


def _f1(pairs: list[tuple[set[str], set[str]]]) -> float:
    right = sum(len(truth & read) for truth, read in pairs)
    read = sum(len(r) for _, r in pairs)
    truth = sum(len(t) for t, _ in pairs)
    precision = right / read if read else 1.0
    recall = right / truth if truth else 1.0
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def score(labels: list[Label], read: dict[str, StudyProfile]) -> Scores:
    """The figures for the labelled documents found in ``read``."""
    judged = [(label, read[label.file]) for label in labels if label.file in read]
    research = [(label, profile) for label, profile in judged if label.kind == "research" and label.methods]
    return Scores(
        documents=len(judged),
        kind=sum(label.kind == profile.kind for label, profile in judged) / len(judged),
        research=len(research),
        main_method=sum(label.methods[0] in profile.methods for label, profile in research) / len(research),
        countries_f1=_f1([(set(label.countries), set(profile.countries)) for label, profile in judged]),
        groups_f1=_f1([(set(label.groups), set(profile.groups)) for label, profile in judged]),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--library", type=Path, required=True, help="a library built from the topical corpus")
    parser.add_argument("--show", action="store_true", help="print every document where a field disagrees")
    args = parser.parse_args()
    labels = load_labels()
    read = profiles(Library.open(args.library))
    if args.show:
        for label in labels:
            profile = read.get(label.file)
            if profile is None:
                print(f"{label.file}: not in the library")
                continue
            wrong = []
            if label.kind != profile.kind:
                wrong.append(f"kind {profile.kind} (label {label.kind})")
            if label.kind == "research" and label.methods and label.methods[0] not in profile.methods:
                wrong.append(f"methods {list(profile.methods)} (label {list(label.methods)})")
            for name in ("countries", "groups"):
                truth, got = set(getattr(label, name)), set(getattr(profile, name))
                if truth != got:
                    wrong.append(f"{name} {sorted(got)} (label {sorted(truth)})")
            if wrong:
                print(f"{label.file}:\n    " + "\n    ".join(wrong))
    figures = score(labels, read)
    print(f"{figures.documents} documents: kind {figures.kind:.1%}; main method among those read "
          f"{figures.main_method:.1%} of {figures.research} research documents; countries F1 {figures.countries_f1:.3f}; "
          f"groups F1 {figures.groups_f1:.3f}")


if __name__ == "__main__":
    main()
