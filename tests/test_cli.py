"""The CLI end to end through CliRunner: real files, real library, exit codes and streams."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import HTML_FILE, PDF_FILE, ROBUSTNESS, SAMPLE, needs_corpus


def test_add_pdf_and_html_then_find_each_by_a_body_word(invoke, library_path: Path) -> None:
    needs_corpus()
    result = invoke("add", PDF_FILE, HTML_FILE, "--library", library_path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("added ") == 2
    assert "added 2, duplicates 0, failed 0" in result.stderr

    # "nonparametric" is in the body of the Janssen & Turkenburg article, on page 5 only.
    found = invoke("search", "nonparametric", "--json", "--library", library_path)
    data = json.loads(found.stdout)
    assert data["hits"][0]["source"] == PDF_FILE.name
    assert data["hits"][0]["page"] == 5
    assert "nonparametric" in data["hits"][0]["snippet"].lower()

    # "statushouders" is in the body of the Dutch web article about housing fraud.
    found = invoke("search", "statushouders", "--json", "--library", library_path)
    data = json.loads(found.stdout)
    assert data["hits"][0]["source"] == HTML_FILE.name
    assert data["hits"][0]["page"] == 1


def test_search_json_has_the_promised_fields(invoke, sample_library: Path) -> None:
    result = invoke("search", "polarization", "--json", "--limit", "3", "--library", sample_library)
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["total"] >= 1 and len(data["hits"]) <= 3
    for hit in data["hits"]:
        assert {"id", "title", "source", "page", "score", "snippet"} <= set(hit)
        assert hit["source"].endswith(".pdf")


def test_search_text_output_names_title_year_and_page(invoke, sample_library: Path) -> None:
    result = invoke("search", "Junge Freiheit", "--limit", "1", "--library", sample_library)
    assert result.exit_code == 0
    first = result.stdout.splitlines()
    assert "Junge Freiheit" in first[0] and "(2025)" in first[0] or "(2023)" in first[0]
    assert "p. " in result.stdout


def test_same_bytes_twice_are_refused_with_the_existing_id(invoke, library_path: Path) -> None:
    pdf = SAMPLE / "en_czymara2020_threat-to-the-occident_frontiers.pdf"
    first = invoke("add", pdf, "--library", library_path)
    doc_id = first.stdout.split()[1]
    again = invoke("add", pdf, "--library", library_path)
    assert again.exit_code == 0
    assert again.stdout == ""
    assert f"already in the library as {doc_id}" in again.stderr
    listed = json.loads(invoke("list", "--json", "--library", library_path).stdout)
    assert [d["id"] for d in listed] == [doc_id]


def test_an_unreadable_file_is_reported_and_the_batch_goes_on(invoke, library_path: Path, tmp_path: Path) -> None:
    needs_corpus()
    broken = ROBUSTNESS / "pdf_truncated-23-bytes.pdf"
    text = tmp_path / "notes.txt"
    text.write_text("Dit is gewone tekst, geen PDF of HTML.\n")
    good = SAMPLE / "en_czymara2020_threat-to-the-occident_frontiers.pdf"
    result = invoke("add", broken, text, good, "--library", library_path)
    assert result.exit_code == 1
    assert result.stdout.count("added ") == 1
    failures = [line for line in result.stderr.splitlines() if line.startswith("failed:")]
    assert len(failures) == 2
    assert any("pdf_truncated-23-bytes.pdf" in line for line in failures)
    assert any("notes.txt" in line and "Unsupported type: this is plain text" in line for line in failures)
    assert "added 1, duplicates 0, failed 2" in result.stderr


def test_list_json_fields(invoke, sample_library: Path) -> None:
    listed = json.loads(invoke("list", "--json", "--library", sample_library).stdout)
    assert len(listed) == 9
    for entry in listed:
        assert {"id", "title", "source", "language", "year", "added"} <= set(entry)
        assert entry["language"] == "en"


def test_show_prints_metadata_with_provenance(invoke, sample_library: Path) -> None:
    listed = json.loads(invoke("list", "--json", "--library", sample_library).stdout)
    doc_id = next(d["id"] for d in listed if "janssen" in d["source"])
    result = invoke("show", doc_id, "--library", sample_library)
    assert result.exit_code == 0
    assert "Breaking free from linear assumptions" in result.stdout
    assert "[layout]" in result.stdout or "[metadata]" in result.stdout


def test_reindex_gives_the_same_results(invoke, writable_sample: Path) -> None:
    queries = ["polarization", "refugees Germany", '"national identity"', "Twitter hostility"]
    before = [json.loads(invoke("search", q, "--json", "--library", writable_sample).stdout) for q in queries]
    result = invoke("reindex", "--library", writable_sample)
    assert result.exit_code == 0 and "reindexed 9 documents" in result.stdout
    after = [json.loads(invoke("search", q, "--json", "--library", writable_sample).stdout) for q in queries]
    for old, new in zip(before, after):
        assert [(h["id"], h["page"]) for h in old["hits"]] == [(h["id"], h["page"]) for h in new["hits"]]
        assert old["total"] == new["total"] > 0


def test_remove_takes_the_document_out_of_catalog_index_and_originals(invoke, writable_sample: Path) -> None:
    found = json.loads(invoke("search", "Junge Freiheit", "--json", "--library", writable_sample).stdout)
    doc_id = found["hits"][0]["id"]
    original = json.loads(invoke("show", doc_id, "--json", "--library", writable_sample).stdout)["original"]
    assert Path(original).exists()
    result = invoke("remove", doc_id, "--library", writable_sample)
    assert result.exit_code == 0 and f"removed {doc_id}" in result.stdout
    again = json.loads(invoke("search", "Junge Freiheit", "--json", "--library", writable_sample).stdout)
    assert doc_id not in [h["id"] for h in again["hits"]]
    assert not Path(original).exists()
    assert invoke("check", "--library", writable_sample).exit_code == 0
    missing = invoke("show", doc_id, "--library", writable_sample)
    assert missing.exit_code == 1
    assert missing.stderr.startswith(f"Error: No document with id '{doc_id}'")


def test_errors_are_one_line_with_exit_1(invoke, tmp_path: Path) -> None:
    result = invoke("search", "migratie", "--library", tmp_path / "nowhere")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: No library at ")
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_malformed_query_is_a_user_error(invoke, sample_library: Path) -> None:
    result = invoke("search", '"unclosed phrase', "--library", sample_library)
    assert result.exit_code == 1
    assert result.stderr.strip() == 'Error: A quote is not closed: put a " after the phrase.'


def test_bad_usage_exits_2(invoke) -> None:
    assert invoke("add").exit_code == 2
    assert invoke("search", "x", "--sort", "random").exit_code == 2


def test_library_from_the_environment(runner, sample_library: Path) -> None:
    from cli import cli

    result = runner.invoke(cli, ["list"], env={"KENNISKAMER_LIBRARY": str(sample_library)})
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 9
