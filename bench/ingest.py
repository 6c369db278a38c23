"""Ingest benchmark (issue 3): build a library from the topical corpus, and time recollindex on it.

    .venv/bin/python bench/ingest.py [--runs 3] [--jobs 2] [--folder ../shared/corpus/topical]

Each run starts `kenniskamer add FOLDER --jobs N` (the real command line, in a subprocess)
on an empty library in a temporary folder and measures wall time and CPU time (user +
system, the workers included). Then, if `recollindex` is installed (Debian: `apt-get install
recollcmd poppler-utils`; recoll reads PDFs with pdftotext), it indexes the same folder into
a temporary RECOLL_CONFDIR from scratch, the same number of times. Prints min and median
of each and the ratios. The two alternate, run by run, and the load average is printed:
other work on a shared machine slows both, so the minimum is the fairest figure.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TOPICAL = REPO.parent / "shared" / "corpus" / "topical"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    cpu = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - started
    return wall, _children_cpu() - cpu, done


def run_kenniskamer(folder: Path, jobs: int, work: Path) -> dict[str, float]:
    """One ingest into an empty library: documents, pages, wall and CPU seconds."""
    library = work / "library"
    shutil.rmtree(library, ignore_errors=True)
    command = [sys.executable, str(REPO / "cli.py"), "add", str(folder), "--jobs", str(jobs), "--library", str(library)]
    wall, cpu, done = _timed(command)
    if done.returncode not in (0, 1):
        raise SystemExit(f"kenniskamer add failed ({done.returncode}):\n{done.stderr[-2000:]}")
    stats = json.loads(subprocess.run(
        [sys.executable, str(REPO / "cli.py"), "stats", "--json", "--library", str(library)],
        capture_output=True, text=True, check=True,
    ).stdout)
    failed = sum(1 for line in done.stderr.splitlines() if line.startswith("failed:"))
    return {"documents": stats["documents"], "pages": stats["pages"], "failed": failed, "wall": wall, "cpu": cpu}


def run_recoll(folder: Path, work: Path) -> dict[str, float] | None:
    """One full recollindex of the folder into a fresh configuration folder, or None without recoll."""
    if shutil.which("recollindex") is None:
        return None
    confdir = work / "recoll"
    shutil.rmtree(confdir, ignore_errors=True)
    confdir.mkdir()
    (confdir / "recoll.conf").write_text(f"topdirs = {folder}\nnoaspell = 1\nloglevel = 1\n")
    env = dict(os.environ, RECOLL_CONFDIR=str(confdir))
    wall, cpu, done = _timed(["recollindex", "-c", str(confdir)], env=env)
    if done.returncode != 0:
        raise SystemExit(f"recollindex failed ({done.returncode}):\n{done.stderr[-2000:]}")
    status = dict(
        line.split(" = ", 1) for line in (confdir / "idxstatus.txt").read_text().splitlines() if " = " in line
    )
    return {"documents": int(status.get("docsdone", 0)), "errors": int(status.get("fileerrors", 0)), "wall": wall, "cpu": cpu}


def _summary(values: list[float]) -> str:
    return f"min {min(values):.1f} s, median {statistics.median(values):.1f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folder", type=Path, default=TOPICAL)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--no-recoll", action="store_true", help="Skip the recollindex comparison.")
    args = parser.parse_args()
    if not args.folder.is_dir():
        raise SystemExit(f"No folder {args.folder}: the shared corpus belongs beside the repository.")

    print(f"machine: {os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="kk-bench-") as tmp:
        work = Path(tmp)
        ours: list[dict[str, float]] = []
        recoll: list[dict[str, float]] = []
        # Alternate the two, so that both meet the same conditions on a shared machine.
        for number in range(1, args.runs + 1):
            result = run_kenniskamer(args.folder, args.jobs, work)
            ours.append(result)
            print(
                f"kenniskamer run {number}: {result['documents']} documents, {result['pages']} pages, "
                f"{result['failed']} failed, {result['wall']:.1f} s wall, {result['cpu']:.1f} s CPU, "
                f"{result['pages'] / result['wall']:.0f} pages/s; load {os.getloadavg()[0]:.2f}"
            )
            if args.no_recoll:
                continue
            found = run_recoll(args.folder, work)
            if found is None:
                print("recollindex is not installed (apt-get install recollcmd poppler-utils): no comparison")
                args.no_recoll = True
                continue
            recoll.append(found)
            print(f"recollindex run {number}: {found['documents']} documents (the folder counts as one), "
                  f"{found['errors']} errors, {found['wall']:.1f} s wall, {found['cpu']:.1f} s CPU")

    walls = [r["wall"] for r in ours]
    best = min(walls)
    pages = ours[0]["pages"]
    print()
    print(f"kenniskamer add --jobs {args.jobs}: {ours[0]['documents']} documents, {pages} pages; "
          f"{_summary(walls)} wall ({pages / statistics.median(walls):.0f} pages/s at the median); "
          f"CPU {_summary([r['cpu'] for r in ours])}")
    if recoll:
        recoll_walls = [r["wall"] for r in recoll]
        print(f"recollindex: {_summary(recoll_walls)} wall; CPU {_summary([r['cpu'] for r in recoll])}")
        print(f"ratio kenniskamer / recollindex: {best / min(recoll_walls):.2f} (min wall), "
              f"{statistics.median(walls) / statistics.median(recoll_walls):.2f} (median wall), "
              f"{min(r['cpu'] for r in ours) / min(r['cpu'] for r in recoll):.2f} (min CPU)")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
