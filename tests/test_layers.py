"""Imports point down only: the core never pulls in the shells' frameworks."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_core_imports_neither_flask_nor_click() -> None:
    code = (
        "import sys, kenniskamer.search.engine, kenniskamer.library.curate, kenniskamer.library.check, indexer.pipeline;"
        "print(sorted(m for m in ('flask', 'click', 'webui', 'cli') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_only_the_index_and_search_modules_import_whoosh() -> None:
    importers = set()
    for path in [*REPO.glob("kenniskamer/**/*.py"), *REPO.glob("indexer/**/*.py"), *REPO.glob("webui/**/*.py"), REPO / "cli.py"]:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(name.split(".")[0] == "whoosh" for name in names):
                importers.add(path.relative_to(REPO).as_posix())
    assert importers == {"kenniskamer/index/analysis.py", "kenniskamer/index/codec.py", "kenniskamer/index/read.py", "kenniskamer/index/write.py", "kenniskamer/index/postings.py"}


def test_searching_does_not_import_what_a_search_does_not_need() -> None:
    """`kenniskamer search` starts in about half a second; these imports cost 0.2 s of CPU together."""
    code = (
        "import sys, kenniskamer.search.engine;"
        "print(sorted(m for m in ('http.client', 'ssl', 'rapidfuzz', 'tomllib', 'whoosh.lang.morph_en') if m in sys.modules));"
        "import urllib.request; print(callable(urllib.request.urlopen));"  # URL ingestion still gets the real module
        "from whoosh.query.terms import variations; print('ran' in variations('running'))"  # and Whoosh its word forms
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["[]", "True", "True"]
