"""Check that catalog, originals and index agree; repair the index from the catalog."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from kenniskamer.errors import IndexMissingError
from kenniskamer.index.read import indexed_stamps
from kenniskamer.index.write import rebuild_index, stamp, updating
from kenniskamer.library.catalog import Library


@dataclass
class CheckReport:
    """What disagrees between catalog, originals and index."""

    documents: int = 0
    missing_originals: list[str] = field(default_factory=list)  # doc ids
    damaged_originals: list[str] = field(default_factory=list)  # doc ids whose bytes changed
    orphan_originals: list[Path] = field(default_factory=list)  # files with no catalog row
    not_indexed: list[str] = field(default_factory=list)
    stale_in_index: list[str] = field(default_factory=list)  # index differs from the catalog
    extra_in_index: list[str] = field(default_factory=list)  # removed from the catalog
    index_problem: str | None = None  # the index cannot be opened at all
    repaired: list[str] = field(default_factory=list)

    @property
    def index_ok(self) -> bool:
        """True if the index holds exactly the catalog's documents, up to date."""
        return not (self.index_problem or self.not_indexed or self.stale_in_index or self.extra_in_index)

    @property
    def ok(self) -> bool:
        """True if nothing needs attention."""
        return self.index_ok and not (self.missing_originals or self.damaged_originals or self.orphan_originals)

    def lines(self) -> list[str]:
        """One line per problem (or one saying all is well)."""
        out = []
        if self.index_problem:
            out.append(f"index: {self.index_problem}")
        for name, ids in (
            ("not in the index", self.not_indexed),
            ("out of date in the index", self.stale_in_index),
            ("in the index but not in the catalog", self.extra_in_index),
            ("original missing", self.missing_originals),
            ("original changed on disk (checksum differs)", self.damaged_originals),
        ):
            if ids:
                out.append(f"{name}: {len(ids)} ({', '.join(ids[:10])}{', ...' if len(ids) > 10 else ''})")
        if self.orphan_originals:
            out.append(f"originals without a catalog row: {len(self.orphan_originals)}")
        out.extend(self.repaired)
        if not out:
            out.append(f"ok: {self.documents} documents; catalog, originals and index agree")
        return out

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict."""
        return json.loads(json.dumps(self.__dict__, default=str)) | {"ok": self.ok}


def check_library(library: Library, *, verify_checksums: bool = True, repair: bool = False) -> CheckReport:
    """Compare catalog, originals and index; with ``repair``, make the index follow the catalog."""
    report = CheckReport()
    docs = {doc.doc_id: doc for doc in library.documents()}
    report.documents = len(docs)
    expected = set()
    for doc in docs.values():
        path = library.original_of(doc)
        expected.add(path)
        if not path.exists():
            report.missing_originals.append(doc.doc_id)
        elif verify_checksums and _sha256(path) != doc.sha256:
            report.damaged_originals.append(doc.doc_id)
    if library.originals_dir.exists():
        report.orphan_originals = sorted(p for p in library.originals_dir.rglob("*") if p.is_file() and p not in expected)
    try:
        stamps = indexed_stamps(library)
    except IndexMissingError as err:
        report.index_problem = str(err).split(". Run")[0]
        stamps = None
    if stamps is not None:
        for doc_id, doc in docs.items():
            if doc_id not in stamps:
                report.not_indexed.append(doc_id)
            elif stamps[doc_id] != stamp(doc):
                report.stale_in_index.append(doc_id)
        report.extra_in_index = sorted(set(stamps) - set(docs))
    if repair:
        _repair(library, report)
    return report


def _repair(library: Library, report: CheckReport) -> None:
    with library.writing():
        if report.index_problem:
            count = rebuild_index(library)
            report.repaired.append(f"repaired: rebuilt the index from the catalog ({count} documents)")
            report.index_problem = None
            report.not_indexed, report.stale_in_index, report.extra_in_index = [], [], []
        elif not report.index_ok:
            with updating(library) as index:
                for doc_id in report.not_indexed + report.stale_in_index:
                    index.add(library.get(doc_id), library.pages(doc_id))
                for doc_id in report.extra_in_index:
                    index.remove(doc_id)
            fixed = len(report.not_indexed) + len(report.stale_in_index) + len(report.extra_in_index)
            report.repaired.append(f"repaired: updated {fixed} documents in the index from the catalog")
            report.not_indexed, report.stale_in_index, report.extra_in_index = [], [], []
        for path in report.orphan_originals:
            path.unlink(missing_ok=True)
        if report.orphan_originals:
            report.repaired.append(f"repaired: removed {len(report.orphan_originals)} originals without a catalog row")
            report.orphan_originals = []


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sync_index(library: Library) -> int:
    """Bring the index in line with the catalog (cheap: no checksums); return documents fixed.

    Run at the start of every write, so an interrupted earlier run is repaired.
    """
    report = check_library(library, verify_checksums=False)
    if report.index_ok:
        return 0
    report.orphan_originals = []  # left for `check --repair`, which says what it removes
    _repair(library, report)
    return len(report.repaired)
