"""/api/search over HTTP: every judged query asked once, one after another, against a fresh server.

    .venv/bin/kenniskamer add /work/shared/corpus/topical --library /tmp/topical-m   # with vectors
    .venv/bin/python bench/api.py --library /tmp/topical-m
    .venv/bin/python bench/api.py --library /tmp/topical-m --rounds 3    # three fresh servers

The queries are the 66 keyword queries of tests/relevance/judgments.toml and the 33
questions of tests/relevance/questions.toml, each asked once (distinct, so no answer is
served twice), on one kept-alive connection, in a shuffled order with a fixed seed. The
server is new, so its first searches (encoder load, first commit tables) are in the figures.
Latency is from sending the request to the last byte of the answer; anything but a 200 with
JSON is an error.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import sys
import tempfile
import time
import tomllib
from pathlib import Path
from urllib.parse import urlencode, urlsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import start_server  # noqa: E402

SETS = {"keywords": REPO / "tests" / "relevance" / "judgments.toml",
        "questions": REPO / "tests" / "relevance" / "questions.toml"}


def queries(seed: int = 7) -> list[tuple[str, str]]:
    """(set, query text) of every judged query, shuffled."""
    found = [(name, entry["text"]) for name, path in SETS.items()
             for entry in tomllib.loads(path.read_text(encoding="utf-8"))["query"]]
    random.Random(seed).shuffle(found)
    return found


def ask_all(url: str, asked: list[tuple[str, str]]) -> dict[str, list[float]]:
    """Milliseconds per query, by set; SystemExit on an error."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    times: dict[str, list[float]] = {name: [] for name in SETS}
    for name, text in asked:
        started = time.perf_counter()
        connection.request("GET", "/api/search?" + urlencode({"q": text}))
        response = connection.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != 200:
            raise SystemExit(f"{text!r}: HTTP {response.status}: {body[:200]!r}")
        json.loads(body)
        times[name].append(elapsed)
    connection.close()
    return times


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--library", type=Path, default=Path("/tmp/topical-m"), help="library to serve")
    parser.add_argument("--rounds", type=int, default=1, help="fresh servers, one after another")
    args = parser.parse_args()
    asked = queries()
    for number in range(1, args.rounds + 1):
        with tempfile.TemporaryDirectory() as folder:
            process, url = start_server(args.library, threads=8, cache=False, log=Path(folder) / "server.log")
            try:
                times = ask_all(url, asked)
            finally:
                process.terminate()
                process.wait(timeout=30)
        every = [t for values in times.values() for t in values]
        line = [f"round {number}: {len(every)} queries"]
        for name, values in (("all", every), *times.items()):
            line.append(f"{name} median {statistics.median(values):.1f} ms, p95 {percentile(values, 0.95):.1f} ms, "
                        f"max {max(values):.1f} ms")
        print("; ".join(line))


if __name__ == "__main__":
    main()
