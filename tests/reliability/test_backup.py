"""Backup and restore: an export restores to a library that checks clean and searches the same."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path


def _search(invoke, library: Path, query: str) -> list[tuple[str, int | None]]:
    data = json.loads(invoke("search", query, "--json", "--library", library).stdout)
    return [(hit["id"], hit["page"]) for hit in data["hits"]]


def test_export_then_import_gives_the_same_library(invoke, writable_sample: Path, tmp_path: Path) -> None:
    archive = tmp_path / "backup.zip"
    exported = invoke("export", archive, "--library", writable_sample)
    assert exported.exit_code == 0, exported.stderr
    assert exported.stdout.startswith("exported 11 documents (11 originals")

    restored = tmp_path / "restored"
    imported = invoke("import", archive, "--library", restored)
    assert imported.exit_code == 0, imported.stderr
    assert "imported 11 documents" in imported.stdout
    assert invoke("check", "--library", restored).exit_code == 0
    for query in ("polarization", "vluchtelingen", '"national identity"', "auteur:czymara"):
        assert _search(invoke, restored, query) == _search(invoke, writable_sample, query)


def test_a_damaged_archive_is_refused_and_the_target_left_untouched(invoke, writable_sample: Path, tmp_path: Path) -> None:
    archive = tmp_path / "backup.zip"
    invoke("export", archive, "--library", writable_sample)
    damaged = tmp_path / "damaged.zip"
    bad = None
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("originals/") and bad is None:
                data = data[:-10] + b"0123456789"  # one original changed: its checksum must fail
                bad = item.filename
            target.writestr(item, data)
    assert bad is not None
    restored = tmp_path / "restored"
    result = invoke("import", damaged, "--library", restored)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and bad in result.stderr and "checksum" in result.stderr
    assert not restored.exists()
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".kk-import")] == []


def test_import_refuses_a_folder_that_is_not_empty(invoke, writable_sample: Path, tmp_path: Path) -> None:
    archive = tmp_path / "backup.zip"
    invoke("export", archive, "--library", writable_sample)
    result = invoke("import", archive, "--library", writable_sample)
    assert result.exit_code == 1
    assert "is not empty" in result.stderr
    assert invoke("check", "--library", writable_sample).exit_code == 0


def test_a_file_that_is_no_zip_is_refused(invoke, tmp_path: Path) -> None:
    fake = tmp_path / "backup.zip"
    fake.write_text("not a zip")
    result = invoke("import", fake, "--library", tmp_path / "restored")
    assert result.exit_code == 1
    assert "cannot be read as a zip archive" in result.stderr
