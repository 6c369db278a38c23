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


def _imports(path: Path) -> set[str]:
    """The modules a file imports (``from a.b import c`` counts as a.b and a.b.c)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _sources(*folders: str) -> list[Path]:
    return [path for folder in folders for path in sorted(REPO.glob(f"{folder}/**/*.py"))]


def test_the_site_never_writes_the_library() -> None:
    """webui/ reads: it imports none of the modules that write (curate, the index writer, ingestion)."""
    writers = ("kenniskamer.library.curate", "kenniskamer.library.backup", "kenniskamer.index.write", "indexer")
    found = {
        f"{path.relative_to(REPO).as_posix()}: {name}"
        for path in _sources("webui")
        for name in _imports(path)
        if any(name == writer or name.startswith(writer + ".") for writer in writers)
    }
    assert found == set()


def test_the_site_calls_no_write_method_of_the_library() -> None:
    writes = {"insert", "update_extracted", "set_edits", "delete", "store_original", "writing", "log", "set_meta"}
    calls = {
        f"{path.relative_to(REPO).as_posix()}: {node.func.attr}"
        for path in _sources("webui")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in writes
    }
    assert calls == set()


def test_ingestion_never_imports_the_shells() -> None:
    found = {
        f"{path.relative_to(REPO).as_posix()}: {name}"
        for path in _sources("indexer", "kenniskamer")
        for name in _imports(path)
        if name.split(".")[0] in ("webui", "cli")
    }
    assert found == set()


def test_only_the_library_package_names_the_catalog_file() -> None:
    """Shells and the rest of the core ask the Library (exists, change_stamp); they never build its paths."""
    sources = [*_sources("kenniskamer", "indexer", "webui"), REPO / "cli.py"]
    naming = {
        path.relative_to(REPO).as_posix()
        for path in sources
        if "catalog.sqlite3" in path.read_text() and not path.is_relative_to(REPO / "kenniskamer" / "library")
    }
    assert naming == set()


def test_no_module_grows_into_several() -> None:
    """A module over 700 lines bundles several ideas: split it where the folders say (../shared/DESIGN.md, Layout)."""
    paths = [*REPO.glob("kenniskamer/**/*.py"), *REPO.glob("indexer/**/*.py"), *REPO.glob("webui/**/*.py"), REPO / "cli.py"]
    sizes = {path.relative_to(REPO).as_posix(): len(path.read_text().splitlines()) for path in paths}
    assert {name: lines for name, lines in sizes.items() if lines > 700} == {}
