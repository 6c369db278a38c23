"""Ingest quality bars (issue 3), measured on the shared corpus.

    .venv/bin/python bench/quality.py [--library PATH] [--markdown]

1. Topical: every file of ../shared/corpus/topical is added (65), its title is close to the
   title column of SOURCES.tsv (rapidfuzz token_set_ratio >= 80 after removing a
   parenthesised venue suffix; bar: 90% of the files) and its language right (SOURCES
   language column: en, nl or other; de/fr/es count as other; bar: 95%).
2. Robustness: every file of ../shared/corpus/robustness is added or refused with one
   line, no crash or hang, the whole folder within 2 minutes, and `kenniskamer check`
   passes afterwards. Prints a table of what each file became.

Without --library, both folders are added into temporary libraries with `--jobs 2`.
``measure_topical`` and ``measure_robustness`` are used by tests/test_ingest.py too.
"""

from __future__ import annotations

import argparse
import csv
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rapidfuzz import fuzz, utils  # noqa: E402

from kenniskamer.library import Library  # noqa: E402
from kenniskamer.text.prose import fold  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"
TOPICAL = CORPUS / "topical"
ROBUSTNESS = CORPUS / "robustness"
TITLE_CLOSE = 80.0
TITLE_BAR = 0.90
LANGUAGE_BAR = 0.95
ROBUSTNESS_SECONDS = 120.0
_VENUE = re.compile(r"\s*\([^()]*\)\s*$")


@dataclass(frozen=True)
class Source:
    """One row of SOURCES.tsv."""

    name: str
    title: str
    language: str  # en, nl or other
    note: str


def load_sources(folder: str) -> dict[str, Source]:
    """The SOURCES.tsv rows of one corpus folder ("topical" or "robustness"), by file name."""
    rows: dict[str, Source] = {}
    with (CORPUS / "SOURCES.tsv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            path = row["path"]
            if path.startswith(folder + "/"):
                name = path.split("/", 1)[1]
                rows[name] = Source(name, row["title"] or "", row["language"] or "", row["note"] or "")
    return rows


def expected_title(title: str) -> str:
    """A SOURCES title without its "(Journal 2020)" venue suffix."""
    return _VENUE.sub("", title).strip()


def title_score(expected: str, found: str) -> float:
    """rapidfuzz token_set_ratio, 0-100, of the titles folded (case, accents) and without punctuation
    (rapidfuzz's default_process), so that “Het kan wél” matches Het kan wel."""
    return fuzz.token_set_ratio(fold(expected_title(expected)), fold(found), processor=utils.default_process)


def language_group(code: str | None) -> str:
    """en, nl or other."""
    return code if code in ("en", "nl") else "other"


@dataclass
class TopicalResult:
    """Title and language accuracy over the topical corpus."""

    files: int
    added: int
    titles_close: int
    languages_right: int
    title_misses: list[tuple[str, str, str, float]] = field(default_factory=list)  # name, expected, found, score
    language_misses: list[tuple[str, str, str | None]] = field(default_factory=list)  # name, expected, found

    @property
    def title_share(self) -> float:
        """Share of files whose title is close."""
        return self.titles_close / self.files

    @property
    def language_share(self) -> float:
        """Share of files whose language is right."""
        return self.languages_right / self.files


def measure_topical(library: Library) -> TopicalResult:
    """Compare the library's documents with SOURCES.tsv (one document per topical file)."""
    sources = load_sources("topical")
    docs = {doc.filename: doc for doc in library.documents()}
    result = TopicalResult(files=len(sources), added=0, titles_close=0, languages_right=0)
    for name, source in sorted(sources.items()):
        doc = docs.get(name)
        if doc is None:
            result.title_misses.append((name, expected_title(source.title), "(not added)", 0.0))
            result.language_misses.append((name, source.language, None))
            continue
        result.added += 1
        score = title_score(source.title, doc.title)
        if score >= TITLE_CLOSE:
            result.titles_close += 1
        else:
            result.title_misses.append((name, expected_title(source.title), doc.title, score))
        if language_group(doc.language) == source.language:
            result.languages_right += 1
        else:
            result.language_misses.append((name, source.language, doc.language))
    return result


@dataclass
class RobustnessResult:
    """What every robustness file became."""

    files: int
    seconds: float
    exit_code: int
    outcomes: dict[str, tuple[str, str]]  # file name -> (outcome, message or title)
    stray_lines: list[str]  # output lines that are not one of the per-file lines or the summary
    check_ok: bool
    check_output: str


def add_folder(folder: Path, library: Path, *, jobs: int = 2, timeout: float = 600) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run `kenniskamer add FOLDER --jobs N` and return the finished process and its wall time."""
    command = [sys.executable, str(REPO / "cli.py"), "add", str(folder), "--jobs", str(jobs), "--library", str(library)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    return done, time.perf_counter() - started


def measure_robustness(library: Path) -> RobustnessResult:
    """Add the robustness folder into an empty library and check the library afterwards."""
    names = sorted(p.name for p in ROBUSTNESS.iterdir() if p.is_file())
    done, seconds = add_folder(ROBUSTNESS, library)
    outcomes: dict[str, tuple[str, str]] = {}
    stray = []
    by_source = {doc.doc_id: doc for doc in Library.open(library).documents()} if Library.exists(library) else {}
    for line in done.stdout.splitlines():
        match = re.match(r"added (\w+)  (.*)", line)
        if match and match.group(1) in by_source:
            doc = by_source[match.group(1)]
            outcomes[doc.filename] = ("added", doc.title)
        else:
            stray.append(line)
    for line in done.stderr.splitlines():
        match = re.match(r"(failed|duplicate|near-duplicate|added): (\S+): (.*)", line)
        if match and Path(match.group(2)).name in names:
            outcomes[Path(match.group(2)).name] = (match.group(1), match.group(3))
        elif not re.match(r"added \d+, duplicates \d+, failed \d+", line):
            stray.append(line)
    checked = subprocess.run(
        [sys.executable, str(REPO / "cli.py"), "check", "--library", str(library)], capture_output=True, text=True, check=False
    )
    return RobustnessResult(
        files=len(names), seconds=seconds, exit_code=done.returncode, outcomes=outcomes, stray_lines=stray,
        check_ok=checked.returncode == 0, check_output=(checked.stdout + checked.stderr).strip(),
    )


def _print_topical(result: TopicalResult) -> None:
    print(f"topical: {result.added}/{result.files} added; titles close {result.titles_close}/{result.files} "
          f"({result.title_share:.0%}, bar {TITLE_BAR:.0%}); languages right {result.languages_right}/{result.files} "
          f"({result.language_share:.0%}, bar {LANGUAGE_BAR:.0%})")
    for name, expected, found, score in result.title_misses:
        print(f"  title {score:3.0f}  {name}\n         expected: {expected}\n         found:    {found}")
    for name, expected, found in result.language_misses:
        print(f"  language  {name}: expected {expected}, found {found}")


def _print_robustness(result: RobustnessResult, *, markdown: bool) -> None:
    added = sum(1 for outcome, _ in result.outcomes.values() if outcome == "added")
    print(f"robustness: {result.files} files in {result.seconds:.1f} s (bar {ROBUSTNESS_SECONDS:.0f} s), "
          f"exit {result.exit_code}; {added} added, {result.files - added} refused; "
          f"{len(result.outcomes)} with one line; stray lines: {len(result.stray_lines)}; "
          f"check {'passes' if result.check_ok else 'FAILS: ' + result.check_output}")
    for line in result.stray_lines:
        print(f"  stray: {line}")
    missing = sorted(set(p.name for p in ROBUSTNESS.iterdir()) - set(result.outcomes))
    for name in missing:
        print(f"  no line for {name}")
    if markdown:
        print("\n| file | outcome | message (refused) or title (added) |\n|---|---|---|")
    for name, (outcome, text) in sorted(result.outcomes.items(), key=lambda kv: (kv[1][0] == "added", kv[0])):
        text = text.replace("|", "\\|")
        if markdown:
            print(f"| {name} | {outcome} | {text[:160]} |")
        else:
            print(f"  {outcome:15} {name}: {text[:150]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--library", type=Path, help="An existing library built from the topical folder.")
    parser.add_argument("--markdown", action="store_true", help="Print the robustness table as Markdown.")
    parser.add_argument("--skip-robustness", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kk-quality-") as tmp:
        library_path = args.library
        if library_path is None:
            library_path = Path(tmp) / "topical"
            done, seconds = add_folder(TOPICAL, library_path)
            print(f"topical: added with --jobs 2 in {seconds:.1f} s: {done.stderr.strip().splitlines()[-1]}")
        topical = measure_topical(Library.open(library_path))
        _print_topical(topical)
        robustness = None
        if not args.skip_robustness:
            robustness = measure_robustness(Path(tmp) / "robustness")
            _print_robustness(robustness, markdown=args.markdown)
    ok = (topical.added == topical.files and topical.title_share >= TITLE_BAR and topical.language_share >= LANGUAGE_BAR)
    if robustness is not None:
        ok = ok and (robustness.seconds <= ROBUSTNESS_SECONDS and robustness.check_ok and not robustness.stray_lines
                     and len(robustness.outcomes) == robustness.files)
    print("all bars met" if ok else "some bars NOT met")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
