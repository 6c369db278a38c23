"""Check that catalog, originals, index and vectors agree; repair or rebuild the index and the vectors from the catalog."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

from kenniskamer.errors import IndexMissingError
from kenniskamer.index.read import indexed_stamps
from kenniskamer.index.write import rebuild_index, stamp, updating
from kenniskamer.library.catalog import Library
from kenniskamer.meaning import e5
from kenniskamer.meaning.sync import VectorsReport, check_vectors, repair_vectors
from kenniskamer.models import FLAG_NEEDS_OCR


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
    vectors_missing: list[str] = field(default_factory=list)  # no vectors of the current model (meaning on)
    vectors_stale: list[str] = field(default_factory=list)  # vectors made from another text than the catalog's
    vectors_extra: list[str] = field(default_factory=list)  # vectors of documents no longer in the catalog
    waiting_for_ocr: list[str] = field(default_factory=list)  # flagged needs-ocr: not a fault, but not searchable
    orphan_ocr: list[Path] = field(default_factory=list)  # OCR text of files not in the catalog: a cache, not a fault
    repaired: list[str] = field(default_factory=list)

    @property
    def index_ok(self) -> bool:
        """True if the index holds exactly the catalog's documents, up to date."""
        return not (self.index_problem or self.not_indexed or self.stale_in_index or self.extra_in_index)

    @property
    def vectors_ok(self) -> bool:
        """True if every document has up-to-date vectors and no removed one has any (always, with meaning off)."""
        return not (self.vectors_missing or self.vectors_stale or self.vectors_extra)

    @property
    def ok(self) -> bool:
        """True if nothing needs attention."""
        return self.index_ok and self.vectors_ok and not (self.missing_originals or self.damaged_originals or self.orphan_originals)

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
            ("without vectors (search by meaning)", self.vectors_missing),
            ("vectors out of date", self.vectors_stale),
            ("vectors but not in the catalog", self.vectors_extra),
        ):
            if ids:
                out.append(f"{name}: {len(ids)} ({', '.join(ids[:10])}{', ...' if len(ids) > 10 else ''})")
        if self.orphan_originals:
            out.append(f"originals without a catalog row: {len(self.orphan_originals)}")
        out.extend(self.repaired)
        if not out:
            out.append(f"ok: {self.documents} documents; catalog, originals and index agree")
        if self.orphan_ocr:
            out.append(f"OCR text of files no longer in the catalog: {len(self.orphan_ocr)} "
                       "(kept so that adding them again reads no page twice; `kenniskamer check --repair` removes it)")
        if self.waiting_for_ocr:
            ids = self.waiting_for_ocr
            out.append(f"waiting for OCR (pages without text, flagged needs-ocr): {len(ids)} "
                       f"({', '.join(ids[:10])}{', ...' if len(ids) > 10 else ''}); "
                       "run `kenniskamer reindex --extract --only needs-ocr`")
        return out

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict."""
        return json.loads(json.dumps(self.__dict__, default=str)) | {"ok": self.ok}


def check_library(
    library: Library, *, verify_checksums: bool = True, repair: bool = False, vectors: bool | None = None,
    retrieval: bool = True,
) -> CheckReport:
    """Compare catalog, originals, index and vectors; with ``repair``, make the index and vectors follow the catalog.

    ``vectors``: check the vectors too (default: if the library has meaning on); with
    ``verify_checksums`` their texts' hashes are compared as well. ``retrieval``: also every
    document's retrieval vector (kenniskamer.meaning.e5).
    """
    report = CheckReport()
    docs = {doc.doc_id: doc for doc in library.documents()}
    report.documents = len(docs)
    report.waiting_for_ocr = sorted(doc_id for doc_id, doc in docs.items() if FLAG_NEEDS_OCR in doc.flags)
    expected = set()
    for doc in docs.values():
        path = library.original_of(doc)
        expected.add(path)
        if not path.exists():
            report.missing_originals.append(doc.doc_id)
        elif verify_checksums and _sha256(path) != doc.sha256:
            report.damaged_originals.append(doc.doc_id)
    shas = {doc.sha256 for doc in docs.values()}
    report.orphan_ocr = sorted(path for sha256, path in library.ocr_files().items() if sha256 not in shas)
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
    if library.meaning if vectors is None else vectors:
        found = check_vectors(library, verify=verify_checksums, retrieval_model=e5.MODEL_ID if retrieval else None)
        report.vectors_missing, report.vectors_stale, report.vectors_extra = found.missing, found.stale, found.extra
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
        if not report.vectors_ok:
            found = VectorsReport(report.vectors_missing, report.vectors_stale, report.vectors_extra)
            encoded = repair_vectors(library, found)
            removed = len(report.vectors_extra)
            report.repaired.append(f"repaired: encoded the vectors of {encoded} documents, removed those of {removed}")
            report.vectors_missing, report.vectors_stale, report.vectors_extra = [], [], []
        for path in report.orphan_originals:
            path.unlink(missing_ok=True)
        if report.orphan_originals:
            report.repaired.append(f"repaired: removed {len(report.orphan_originals)} originals without a catalog row")
            report.orphan_originals = []
        for path in report.orphan_ocr:
            path.unlink(missing_ok=True)
        if report.orphan_ocr:
            report.repaired.append(f"repaired: removed the OCR text of {len(report.orphan_ocr)} files not in the catalog")
            report.orphan_ocr = []


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
    # Vectors too, without re-hashing texts: a crash after the catalog row leaves a document
    # without them. (A library made before search by meaning, or with it off, is encoded whole
    # by its first write with meaning on: `reindex` does the same with progress.) Not the
    # retrieval vectors a library made before them lacks: 60 ms a document, left to `reindex`
    # and `check --repair`, which show progress (a document missing all its vectors gets them).
    report = check_library(library, verify_checksums=False, retrieval=False)
    if report.index_ok and report.vectors_ok:
        return 0
    report.orphan_originals = []  # left for `check --repair`, which says what it removes
    _repair(library, report)
    return len(report.repaired)


Stage = Callable[[str, int], AbstractContextManager[Callable[[str], None]]]
"""(what is about to be done, to how many documents) -> a context giving the step called after each document."""


def _quiet_stage(what: str, count: int) -> AbstractContextManager[Callable[[str], None]]:
    return contextlib.nullcontext(lambda doc_id: None)


def reindex_library(library: Library, *, stage: Stage = _quiet_stage) -> tuple[int, int, int]:
    """Rebuild the index from the catalog; return (documents indexed, study profiles read, vectors encoded).

    First the study profiles read with other rules (or none yet) are read again from the
    stored text, then the index is rebuilt, then the vectors that are missing or stale are
    encoded (all of them for a new model; meaning on only). No original is opened.
    """
    from kenniskamer.study.refresh import refresh_profiles, stale_profiles

    with library.writing():
        stale = stale_profiles(library)
        with stage(f"reading the study profiles of {len(stale)} documents from their stored text", len(stale)) as step:
            profiles = refresh_profiles(library, stale, on_item=step)
        count = rebuild_index(library, procs=2 if library.count() > 200 else 1)
        encoded = 0
        if library.meaning:
            report = check_vectors(library)
            wanted = len(report.to_encode)
            with stage(f"encoding the vectors of {wanted} documents (search by meaning)", wanted) as step:
                encoded = repair_vectors(library, report, on_item=step)
    return count, profiles, encoded
