"""Web load: N concurrent clients against `kenniskamer serve` (waitress) on 127.0.0.1.

    .venv/bin/kenniskamer add /work/shared/corpus/topical --library /tmp/topical-lib
    .venv/bin/python bench/load.py --library /tmp/topical-lib                 # 16 clients, 30 s
    .venv/bin/python bench/load.py --library /tmp/topical-lib --no-cache      # the page cache off
    .venv/bin/python bench/load.py --url http://127.0.0.1:5000                # a server already running

The request list is what researchers do on the search page: the 66 judged queries of
tests/relevance/judgments.toml (Dutch, English, phrases, fields, typos), each also with
a facet filter, the next result page, another sort order, or the English interface,
shuffled with a fixed seed. Every client keeps one HTTP/1.1 connection open and walks
the list from its own starting point. Anything but a 200 with a full body is an error.
The figures include the cold start: the server is new and its page cache empty.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

REPO = Path(__file__).resolve().parents[1]
JUDGMENTS = REPO / "tests" / "relevance" / "judgments.toml"
THEMES = ("draagvlak", "polarisatie", "framing", "asiel-opvang", "beeldvorming-media", "populisme")


def search_urls(seed: int = 5) -> list[str]:
    """Search page URLs: every judged query, plain and with a filter, page 2, a sort or lang=en."""
    queries = [entry["text"] for entry in tomllib.loads(JUDGMENTS.read_text(encoding="utf-8"))["query"]]
    rng = random.Random(seed)
    urls = []
    for text in queries:
        urls.append("/?" + urlencode({"q": text}))
        variant = rng.choice(("theme", "language", "page", "sort", "lang", "year"))
        params: list[tuple[str, str]] = [("q", text)]
        if variant == "theme":
            params.append(("theme", rng.choice(THEMES)))
        elif variant == "language":
            params.append(("language", rng.choice(("nl", "en"))))
        elif variant == "page":
            params.append(("page", "2"))
        elif variant == "sort":
            params.append(("sort", rng.choice(("newest", "added"))))
        elif variant == "year":
            params.append(("decade", "2010"))
        else:
            params.append(("lang", "en"))
        urls.append("/?" + urlencode(params))
    urls += ["/", "/?theme=framing", "/?sort=added", "/?q=&language=nl"]
    rng.shuffle(urls)
    return urls


@dataclass
class Tally:
    """What one client saw."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cache_hits: int = 0
    bytes: int = 0


def client(host: str, port: int, urls: list[str], start: int, deadline: float, tally: Tally) -> None:
    """One researcher's browser: one kept-alive connection, requests back to back until the deadline."""
    connection = http.client.HTTPConnection(host, port, timeout=30)
    index = start
    while time.perf_counter() < deadline:
        url = urls[index % len(urls)]
        index += 1
        began = time.perf_counter()
        try:
            connection.request("GET", url, headers={"Accept": "text/html", "Accept-Encoding": "identity"})
            response = connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as err:
            tally.errors.append(f"{url}: {type(err).__name__}: {err}")
            connection.close()
            connection = http.client.HTTPConnection(host, port, timeout=30)
            continue
        tally.latencies.append(time.perf_counter() - began)
        tally.bytes += len(body)
        if response.status != 200 or not body.rstrip().endswith(b"</html>"):
            tally.errors.append(f"{url}: HTTP {response.status}")
        if response.getheader("X-Page-Cache") == "hit":
            tally.cache_hits += 1
    connection.close()


def percentile(values: list[float], share: float) -> float:
    """The value below which ``share`` of the values lie."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def run_load(url: str, clients: int, seconds: float) -> dict[str, float]:
    """Run the clients against ``url``; return the figures."""
    parts = urlsplit(url)
    urls = search_urls()
    tallies = [Tally() for _ in range(clients)]
    deadline = time.perf_counter() + seconds
    began = time.perf_counter()
    threads = [
        threading.Thread(target=client, args=(parts.hostname, parts.port or 80, urls, i * len(urls) // clients, deadline, t))
        for i, t in enumerate(tallies)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    latencies = [value for tally in tallies for value in tally.latencies]
    errors = [error for tally in tallies for error in tally.errors]
    for error in errors[:10]:
        print("error:", error, file=sys.stderr)
    done = len(latencies)
    return {
        "requests": done,
        "seconds": elapsed,
        "rps": done / elapsed,
        "errors": len(errors),
        "p50": 1000 * percentile(latencies, 0.50) if done else 0.0,
        "p90": 1000 * percentile(latencies, 0.90) if done else 0.0,
        "p99": 1000 * percentile(latencies, 0.99) if done else 0.0,
        "max": 1000 * max(latencies) if done else 0.0,
        "mean": 1000 * statistics.fmean(latencies) if done else 0.0,
        "cache_hits": sum(t.cache_hits for t in tallies) / done if done else 0.0,
        "distinct_urls": len(set(urls)),
        "mb": sum(t.bytes for t in tallies) / 1e6,
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(library: Path, threads: int, cache: bool, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`kenniskamer serve` on a free port, its output to ``log``; the process and its address once it answers.

    The output goes to a file, not a pipe: waitress warns about its task queue on every
    busy request, and a pipe nobody reads fills up and stops the server.
    """
    port = _free_port()
    env = dict(os.environ, KENNISKAMER_PAGE_CACHE="512" if cache else "0")
    command = [sys.executable, str(REPO / "cli.py"), "serve", "--port", str(port), "--threads", str(threads),
               "--library", str(library)]
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with urllib.request.urlopen(url + "/static/style.css", timeout=2):
                return process, url
        except OSError:
            if process.poll() is not None:
                raise SystemExit(f"the server stopped: {log.read_text(errors='replace')}") from None
            time.sleep(0.1)
    process.terminate()
    raise SystemExit("the server did not answer within 30 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--library", type=Path, default=Path("/tmp/topical-lib"), help="library to serve")
    parser.add_argument("--build", action="store_true", help="build the library from ../shared/corpus/topical if missing")
    parser.add_argument("--url", help="load an already running server instead of starting one")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--threads", type=int, default=8, help="waitress threads of the started server")
    parser.add_argument("--no-cache", action="store_true", help="start the server with the page cache off")
    args = parser.parse_args()

    process = None
    url = args.url
    if url is None:
        if not (args.library / "catalog.sqlite3").exists():
            if not args.build:
                raise SystemExit(f"No library at {args.library}; build it with --build or `kenniskamer add`.")
            corpus = REPO.parent / "shared" / "corpus" / "topical"
            subprocess.run([sys.executable, str(REPO / "cli.py"), "add", str(corpus), "--library", str(args.library)],
                           check=True)
        log = Path(tempfile.gettempdir()) / f"kenniskamer-load-{os.getpid()}.log"
        process, url = start_server(args.library, args.threads, not args.no_cache, log)
        print(f"server log: {log}", file=sys.stderr)
    try:
        figures = run_load(url, args.clients, args.seconds)
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=10)
    cores = os.cpu_count()
    print(f"{args.clients} clients, {figures['seconds']:.1f} s, {figures['distinct_urls']} distinct search URLs, "
          f"page cache {'off' if args.no_cache else 'on'}, waitress threads {args.threads}, {cores} CPUs"
          )
    print(f"requests {figures['requests']}  ->  {figures['rps']:.0f} requests/s, errors {figures['errors']}, "
          f"{figures['mb']:.0f} MB")
    print(f"latency ms: p50 {figures['p50']:.1f}  p90 {figures['p90']:.1f}  p99 {figures['p99']:.1f}  "
          f"max {figures['max']:.0f}  mean {figures['mean']:.1f}")
    print(f"answered from the page cache: {100 * figures['cache_hits']:.0f}%")
    sys.exit(1 if figures["errors"] else 0)


if __name__ == "__main__":
    main()
