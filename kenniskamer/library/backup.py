"""Backup and restore: a zip of the catalog, the originals and a manifest with checksums.

The catalog is copied with SQLite's backup API, so an export is consistent while the
site reads and even while another process writes. An import verifies every checksum
before it touches the target, and builds the index afresh from the restored catalog.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from kenniskamer import __version__
from kenniskamer.errors import KennisError, StorageError
from kenniskamer.index.write import rebuild_index
from kenniskamer.library.catalog import CATALOG_NAME, Library, extension_for, utc_now
from kenniskamer.meaning.sync import check_vectors, repair_vectors

MANIFEST = "manifest.json"
FORMAT = "kenniskamer-backup/1"


@dataclass(frozen=True)
class BackupSummary:
    """What an export wrote or an import restored."""

    documents: int
    originals: int
    bytes: int


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def export_library(library: Library, target: Path) -> BackupSummary:
    """Write the library to a zip archive at ``target`` (written beside it, then renamed)."""
    target = Path(target)
    with tempfile.TemporaryDirectory(prefix="kk-export-") as scratch:
        snapshot = Path(scratch) / CATALOG_NAME
        source = library.connect()
        copy = sqlite3.connect(snapshot)
        try:
            source.backup(copy)
        finally:
            copy.close()
        # The originals of the documents in the snapshot (not of later writes).
        conn = sqlite3.connect(snapshot)
        try:
            rows = conn.execute("SELECT sha256, mime FROM documents").fetchall()
        finally:
            conn.close()
        files = {CATALOG_NAME: snapshot}
        for sha256, mime in rows:
            path = library.original_path(sha256, extension_for(mime))
            if not path.exists():
                raise KennisError(f"The original of a document ({path.name}) is missing; run `kenniskamer check` first.")
            files[f"originals/{path.parent.name}/{path.name}"] = path
        sizes = {name: path.stat().st_size for name, path in files.items()}
        manifest = {
            "format": FORMAT,
            "kenniskamer": __version__,
            "created": utc_now(),
            "documents": len(rows),
            "files": {name: {"sha256": _sha256_file(path), "size": sizes[name]} for name, path in files.items()},
        }
        partial = target.with_name(f".{target.name}.partial")
        try:
            with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
                archive.writestr(MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False))
                for name, path in files.items():
                    archive.write(path, name)
            os.replace(partial, target)
        except OSError as err:
            partial.unlink(missing_ok=True)
            raise StorageError(f"Could not write {target}: {err.strerror or err}. Check the folder and free space.") from err
    return BackupSummary(len(rows), len(files) - 1, sum(sizes.values()))


def _read_manifest(archive: zipfile.ZipFile, source: Path) -> dict[str, dict[str, object]]:
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except KeyError:
        raise KennisError(f"{source} is not a kenniskamer backup (it has no {MANIFEST}).") from None
    except ValueError as err:
        raise KennisError(f"{source}: its {MANIFEST} is damaged ({err}).") from err
    if manifest.get("format") != FORMAT:
        raise KennisError(f"{source} is a backup of format {manifest.get('format')!r}; this version reads {FORMAT}.")
    files: dict[str, dict[str, object]] = manifest["files"]
    for name in files:
        if name != CATALOG_NAME and not (name.startswith("originals/") and ".." not in name.split("/")):
            raise KennisError(f"{source}: the archive names an unexpected file {name!r}; it is not restored.")
    return files


def import_library(source: Path, target: Path, *, meaning: bool | None = None) -> BackupSummary:
    """Restore a backup into an empty (or missing) library folder and rebuild its index (and vectors: ``meaning``)."""
    source, target = Path(source), Path(target)
    if target.exists() and any(target.iterdir()):
        raise KennisError(f"{target} is not empty; import into a new or empty folder.")
    try:
        archive = zipfile.ZipFile(source)
    except (OSError, zipfile.BadZipFile) as err:
        raise KennisError(f"{source} cannot be read as a zip archive ({err}); it may be damaged.") from err
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".kk-import-", dir=target.parent))
    try:
        with archive:
            files = _read_manifest(archive, source)
            present = set(archive.namelist()) - {MANIFEST}
            missing = sorted(set(files) - present)
            if missing:
                raise KennisError(f"{source}: {missing[0]} is listed in the manifest but missing from the archive.")
            for name, expected in files.items():
                destination = staging / name
                destination.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                try:
                    with archive.open(name) as member, destination.open("wb") as out:
                        for block in iter(lambda: member.read(1 << 20), b""):
                            digest.update(block)
                            out.write(block)
                except (zipfile.BadZipFile, OSError, EOFError) as err:
                    raise KennisError(f"{source}: {name} cannot be read ({err}); the archive is damaged.") from err
                if digest.hexdigest() != expected["sha256"]:
                    raise KennisError(f"{source}: {name} does not match its checksum; the archive is damaged.")
        library = Library.open(staging, meaning=meaning)
        documents = library.count()
        with library.writing():
            rebuild_index(library)
            if library.meaning:  # derived like the index, so not in the archive: encoded again
                repair_vectors(library, check_vectors(library, verify=False))
        library.close()
        (staging / "write.lock").unlink(missing_ok=True)
        if target.exists():
            target.rmdir()  # only an empty folder may be replaced
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    size = sum(int(entry["size"]) for entry in files.values())  # type: ignore[call-overload]
    return BackupSummary(documents, len(files) - 1, size)
