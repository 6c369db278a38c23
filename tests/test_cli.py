"""The CLI end to end through CliRunner: real files, real library, exit codes and streams."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import HTML_FILE, PDF_FILE, ROBUSTNESS, SAMPLE, needs_corpus, needs_tesseract


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
    assert len(listed) == 11
    for entry in listed:
        assert {"id", "title", "source", "language", "year", "added"} <= set(entry)
        assert entry["language"] == ("nl" if Path(entry["source"]).name.startswith("nl_") else "en")


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
    assert result.exit_code == 0 and "reindexed 11 documents" in result.stdout
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


def test_an_unpaired_quote_or_bracket_is_searched_as_words_with_a_notice(invoke, sample_library: Path) -> None:
    for typed, read in (('"polarization', "polarization"), ("(framing", "framing"), ("framing)", "framing")):
        result = invoke("search", typed, "--library", sample_library)
        assert result.exit_code == 0 and result.stdout.startswith("1. ")
        assert f"Read as: {read} (a quote or bracket without its partner was left out)." in result.stderr


def test_demo_exits_1_with_the_reason_when_a_sample_cannot_be_added(
    invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cli as cli_module

    samples = tmp_path / "data"
    (samples / "sample").mkdir(parents=True)
    (samples / "sample" / "kapot.pdf").write_bytes(b"%PDF-1.7\n% this file stops here")
    monkeypatch.setattr(cli_module, "REPO_DATA", samples)
    result = invoke("demo", "--no-serve", "--library", tmp_path / "demo")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith(f"failed: {samples / 'sample' / 'kapot.pdf'}: ")
    assert lines[-1].startswith(f"Error: The demo library {tmp_path / 'demo'} is incomplete")


def test_a_malformed_query_is_a_user_error(invoke, sample_library: Path) -> None:
    result = invoke("search", "jaar:2022..2019", "--library", sample_library)
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: jaar:2022..2019 runs backwards; write the earlier year first, e.g. jaar:2019..2022."


def test_bad_usage_exits_2(invoke) -> None:
    assert invoke("add").exit_code == 2
    assert invoke("search", "x", "--sort", "random").exit_code == 2


def test_library_from_the_environment(runner, sample_library: Path) -> None:
    from cli import cli

    result = runner.invoke(cli, ["list"], env={"KENNISKAMER_LIBRARY": str(sample_library)})
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 11


# -- curators (issue 3): lists, dry runs, their own values, near-duplicates, bad input ------------

THREAT = SAMPLE / "en_czymara2020_threat-to-the-occident_frontiers.pdf"
HOSTILITY = SAMPLE / "en_czymara2024_hostility-twitter-terror-attacks.pdf"


def test_add_from_a_list_file_and_from_stdin(invoke, library_path: Path, tmp_path: Path) -> None:
    listing = tmp_path / "te-doen.txt"
    listing.write_text(f"# rapporten voor de nieuwsbrief\n\n{THREAT}\n")
    result = invoke("add", "--from", listing, "--library", library_path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("added ")
    result = invoke("add", "--from", "-", "--library", library_path, input=f"{HOSTILITY}\n{THREAT}\n")
    assert result.exit_code == 0
    assert result.stdout.count("added ") == 1
    assert "duplicate: " in result.stderr and "added 1, duplicates 1, failed 0" in result.stderr
    assert len(json.loads(invoke("list", "--json", "--library", library_path).stdout)) == 2


def test_dry_run_shows_the_record_with_themes_and_evidence_and_stores_nothing(invoke, tmp_path: Path) -> None:
    library = tmp_path / "nieuw"
    result = invoke("add", THREAT, "--dry-run", "--library", library)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.startswith(f"would add {THREAT.resolve()}")
    assert "  title     A Threat to the Occident?" in out
    assert "  language  en  [heuristic]" in out
    assert "  theme     islam-moslims (" in out  # extracted themes with their evidence: term xN
    assert re.search(r"  theme     islam-moslims \([0-9.]+\): muslim\* x\d+, islam\* x\d+", out)
    assert "would add 1, duplicates 0, failed 0, pages 15" in result.stderr
    assert not library.exists()
    mine = invoke("add", THREAT, "--dry-run", "--theme", "framing", "--theme", "islam-moslims", "--library", library)
    assert "  theme     framing (0.00): set by curator" in mine.stdout
    assert re.search(r"  theme     islam-moslims \([0-9.]+\): muslim\* x\d+, islam\* x\d+", mine.stdout)
    assert "  title     A Threat to the Occident?" in mine.stdout
    assert not library.exists()


def test_dry_run_on_a_library_checks_duplicates_and_changes_nothing(invoke, writable_sample: Path) -> None:
    catalog = writable_sample / "catalog.sqlite3"
    before = catalog.read_bytes()
    result = invoke("add", THREAT, SAMPLE / "nothing.pdf", "--dry-run", "--library", writable_sample)
    assert result.exit_code == 1
    assert "duplicate: " in result.stderr and "already in the library as" in result.stderr
    assert "does not exist; check the path." in result.stderr
    assert catalog.read_bytes() == before


def test_curator_values_at_add_win_and_survive_reextraction_and_reindex(invoke, library_path: Path) -> None:
    result = invoke(
        "add", THREAT, "--title", "Een bedreiging voor het Avondland?", "--author", "C. Czymara", "--author", "M. Eisentraut",
        "--year", "2021", "--theme", "framing", "--theme", "polarisatie", "--type", "report",
        "--summary", "Waarden van moslimmigranten en autochtonen vergeleken.", "--library", library_path,
    )
    assert result.exit_code == 0, result.stderr
    doc_id = result.stdout.split()[1]

    def shown() -> dict:
        return json.loads(invoke("show", doc_id, "--json", "--library", library_path).stdout)

    expected = {
        "title": "Een bedreiging voor het Avondland?", "authors": ["C. Czymara", "M. Eisentraut"], "year": 2021,
        "themes": ["framing", "polarisatie"], "type": "report",
        "summary": "Waarden van moslimmigranten en autochtonen vergeleken.",
    }
    for step in ("added", "reindex --extract", "reindex"):
        data = shown()
        assert {key: data[key] for key in expected} == expected, step
        for field in ("title", "authors", "year", "themes", "doc_type", "summary"):
            assert data["provenance"][field] == "curator", (step, field)
        assert data["language"] == "en" and data["provenance"]["language"] == "heuristic"
        found = json.loads(invoke("search", "Avondland", "--json", "--library", library_path).stdout)
        assert [hit["id"] for hit in found["hits"]] == [doc_id], step
        if step == "added":
            again = invoke("reindex", "--extract", "--library", library_path)
            assert again.exit_code == 0, again.stderr
            assert again.stdout.startswith(f"updated {doc_id}  Een bedreiging voor het Avondland?")
        elif step == "reindex --extract":
            assert invoke("reindex", "--library", library_path).exit_code == 0
    assert invoke("check", "--library", library_path).exit_code == 0
    cleared = invoke("edit", doc_id, "--clear", "title", "--library", library_path)
    assert cleared.exit_code == 0
    assert shown()["title"].startswith("A Threat to the Occident?")


def test_edit_changes_fields_and_themes_and_the_index_follows(invoke, writable_sample: Path) -> None:
    listed = json.loads(invoke("list", "--json", "--library", writable_sample).stdout)
    doc_id = next(d["id"] for d in listed if "janssen" in d["source"])
    result = invoke(
        "edit", doc_id, "--title", "Polarisatie en democratie", "--add-theme", "draagvlak", "--language", "en",
        "--library", writable_sample,
    )
    assert result.exit_code == 0 and result.stdout.strip() == f"edited {doc_id}: language, themes, title"
    data = json.loads(invoke("show", doc_id, "--json", "--library", writable_sample).stdout)
    assert data["title"] == "Polarisatie en democratie" and "draagvlak" in data["themes"]
    assert data["provenance"]["themes"] == "curator"
    found = json.loads(invoke("search", "titel:democratie", "--theme", "draagvlak", "--json", "--library", writable_sample).stdout)
    assert doc_id in [hit["id"] for hit in found["hits"]]
    assert invoke("edit", doc_id, "--remove-theme", "draagvlak", "--library", writable_sample).exit_code == 0
    assert "draagvlak" not in json.loads(invoke("show", doc_id, "--json", "--library", writable_sample).stdout)["themes"]
    assert invoke("reindex", "--library", writable_sample).exit_code == 0
    assert json.loads(invoke("show", doc_id, "--json", "--library", writable_sample).stdout)["title"] == "Polarisatie en democratie"
    assert invoke("check", "--library", writable_sample).exit_code == 0
    bad = invoke("edit", doc_id, "--theme", "astrologie", "--library", writable_sample)
    assert bad.exit_code == 1 and bad.stderr.startswith("Error: Unknown theme 'astrologie'. Valid themes are: ")


def test_a_re_exported_pdf_is_a_near_duplicate_until_allowed(invoke, library_path: Path, tmp_path: Path) -> None:
    import pypdfium2 as pdfium

    copy = tmp_path / "threat-reexported.pdf"
    pdf = pdfium.PdfDocument(THREAT)
    pdf.save(copy, version=17)  # another file: other bytes, same text and title
    pdf.close()
    assert copy.read_bytes() != THREAT.read_bytes()
    first = invoke("add", THREAT, copy, "--library", library_path)
    assert first.exit_code == 0
    doc_id = first.stdout.split()[1]
    assert first.stdout.count("added ") == 1
    line = next(line for line in first.stderr.splitlines() if line.startswith("near-duplicate:"))
    assert line == (
        f"near-duplicate: {copy}: looks like {doc_id} (A Threat to the Occident? Comparing Human Values of Muslim I; "
        "100% the same text); add it with --allow-duplicate if it is another work"
    )
    assert "added 1, duplicates 1, failed 0" in first.stderr
    data = json.loads(invoke("add", copy, "--json", "--library", library_path).stdout)
    assert data["duplicates"][0]["existing_id"] == doc_id and data["duplicates"][0]["similarity"] == 1.0
    allowed = invoke("add", copy, "--allow-duplicate", "--library", library_path)
    assert allowed.exit_code == 0 and allowed.stdout.startswith("added ")
    assert allowed.stdout.split()[1] != doc_id


def test_encrypted_pdfs_say_so_and_open_with_the_password(invoke, library_path: Path) -> None:
    needs_corpus()
    locked = ROBUSTNESS / "pdf_encrypted-userpw-openpassword.pdf"  # SOURCES.tsv: user password 'openpassword'
    result = invoke("add", locked, "--library", library_path)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"failed: {locked}: This PDF is encrypted; add it again with --password if you know the password."
    )
    wrong = invoke("add", locked, "--password", "geheim", "--library", library_path)
    assert wrong.exit_code == 1 and "The password for this PDF is wrong" in wrong.stderr
    opened = invoke("add", locked, "--password", "openpassword", "--library", library_path)
    assert opened.exit_code == 0 and opened.stdout.startswith("added ")
    doc_id = opened.stdout.split()[1]
    found = json.loads(invoke("search", "lorem", "--json", "--library", library_path).stdout)
    assert doc_id in [hit["id"] for hit in found["hits"]]


def test_without_tesseract_a_scan_is_stored_flagged_and_one_command_reads_it_later(
    invoke, library_path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    needs_corpus()
    needs_tesseract()
    scan = ROBUSTNESS / "pdf_scanned-image-only-2pages.pdf"
    monkeypatch.setenv("KENNISKAMER_TESSERACT", str(tmp_path / "not-installed"))
    result = invoke("add", scan, "--library", library_path)
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 1
    assert (
        "; no text layer on pages 1-2: stored with its metadata and flagged needs-ocr; install Tesseract "
        "(`apt-get install tesseract-ocr tesseract-ocr-nld tesseract-ocr-eng`), then run "
        "`kenniskamer reindex --extract --only needs-ocr`"
    ) in result.stdout
    doc_id = result.stdout.split()[1]
    data = json.loads(invoke("show", doc_id, "--json", "--library", library_path).stdout)
    assert data["flags"] == ["needs-ocr"] and data["page_count"] == 2 and data["ocr"]["pending"] == [1, 2]
    assert json.loads(invoke("stats", "--json", "--library", library_path).stdout)["needs_ocr"] == 1
    check = invoke("check", "--library", library_path)
    assert check.exit_code == 0 and f"waiting for OCR (pages without text, flagged needs-ocr): 1 ({doc_id})" in check.stdout
    assert not invoke("search", "accessory", "--json", "--library", library_path).stdout.count(doc_id)

    monkeypatch.delenv("KENNISKAMER_TESSERACT")  # installed now
    read = invoke("reindex", "--extract", "--only", "needs-ocr", "--library", library_path)
    assert read.exit_code == 0 and f"updated {doc_id}" in read.stdout and "read by OCR (tesseract" in read.stdout
    data = json.loads(invoke("show", doc_id, "--json", "--library", library_path).stdout)
    assert data["flags"] == [] and data["ocr"]["pages"] == [1, 2]
    assert data["title"] == "WEIGHT AND BALANCE CHANGE:" and data["year"] == 1974  # from the page, not the scan
    hits = json.loads(invoke("search", "accessory", "--json", "--library", library_path).stdout)["hits"]
    assert hits[0]["id"] == doc_id and hits[0]["page"] == 1
    assert "waiting for OCR" not in invoke("check", "--library", library_path).stdout
    nothing = invoke("reindex", "--extract", "--only", "needs-ocr", "--library", library_path)
    assert nothing.exit_code == 0 and nothing.stdout == "No document has the flag needs-ocr.\n"


def test_bad_input_is_one_line_each_with_what_to_do(invoke, library_path: Path, tmp_path: Path) -> None:
    (tmp_path / "leeg.pdf").write_bytes(b"")
    (tmp_path / "alleen-menu.html").write_text(
        "<html><head><title>Menu</title></head><body><nav><a href='/'>Home</a></nav><script>app()</script></body></html>"
    )
    (tmp_path / "verslag.docx").write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    (tmp_path / "notities.txt").write_text("Gewone aantekeningen, geen PDF of HTML.\n")
    result = invoke("add", tmp_path, tmp_path / "weg.pdf", "--library", library_path)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[-1].startswith("added 0, duplicates 0, failed 5,")
    failures = dict(line.split(": ", 2)[1:] for line in lines[:-1])
    assert failures == {
        str(tmp_path / "alleen-menu.html"): failures[str(tmp_path / "alleen-menu.html")],
        str(tmp_path / "leeg.pdf"): failures[str(tmp_path / "leeg.pdf")],
        str(tmp_path / "notities.txt"): failures[str(tmp_path / "notities.txt")],
        str(tmp_path / "verslag.docx"): failures[str(tmp_path / "verslag.docx")],
        str(tmp_path / "weg.pdf"): failures[str(tmp_path / "weg.pdf")],
    }
    assert failures[str(tmp_path / "leeg.pdf")].startswith("The file is empty")
    assert "no readable text" in failures[str(tmp_path / "alleen-menu.html")]
    assert failures[str(tmp_path / "verslag.docx")].startswith("Unsupported type: this is a ZIP/Office file")
    assert failures[str(tmp_path / "notities.txt")].startswith("Unsupported type: this is plain text")
    assert failures[str(tmp_path / "weg.pdf")] == f"{tmp_path / 'weg.pdf'} does not exist; check the path."
    for message in failures.values():
        assert ";" in message  # the problem, then what the curator can do


def test_the_console_script_answers_and_exits_as_documented(sample_library: Path, tmp_path: Path) -> None:
    """The whole process (cli.main, not click's test runner): output, and exit status 0, 1 and 2."""
    import subprocess
    import sys

    cli = Path(__file__).resolve().parents[1] / "cli.py"

    def kenniskamer(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, str(cli), *args], capture_output=True, text=True, timeout=60)

    library = tmp_path / "lib"
    added = kenniskamer("add", str(SAMPLE / "en_czymara2020_threat-to-the-occident_frontiers.pdf"), "--library", str(library))
    assert added.returncode == 0, added.stderr
    # Every catalog connection was closed at exit: the write-ahead log is back in the catalog file.
    assert not (library / "catalog.sqlite3-wal").exists()
    found = kenniskamer("search", "refugees", "--library", str(sample_library), "--json")
    assert found.returncode == 0 and json.loads(found.stdout)["total"] > 0
    missing = kenniskamer("search", "refugees", "--library", str(tmp_path / "none"))
    assert missing.returncode == 1 and missing.stderr.startswith("Error: No library at")
    assert kenniskamer("search", "--no-such-option").returncode == 2


SHOW_LABELS = ["id", "title", "authors", "date", "year", "publisher", "language", "type", "pages", "source", "added",
               "summary", "flags", "original"]


def test_show_prints_each_value_with_its_origin_then_the_themes_and_study_with_evidence(invoke, sample_library: Path) -> None:
    listed = json.loads(invoke("list", "--json", "--library", sample_library).stdout)
    doc_id = next(d["id"] for d in listed if "czymara2020" in d["source"])
    lines = invoke("show", doc_id, "--library", sample_library).stdout.splitlines()
    assert [line.split()[0] for line in lines[: len(SHOW_LABELS)]] == SHOW_LABELS
    assert lines[0] == f"id         {doc_id}"
    assert "language   en  [heuristic]" in lines and "flags      -" in lines
    rest = lines[len(SHOW_LABELS):]
    themes = [line for line in rest if line.startswith("theme ")]
    assert themes == rest[: len(themes)]  # the themes, then the study profile
    assert themes and all(re.fullmatch(r"theme      [a-z-]+: [^,]+ x\d+(, [^,]+ x\d+)*", line) for line in themes)
    study = [line.split()[0] for line in rest[len(themes):] if not line.startswith(" ")]
    assert study == ["kind", "methods", "countries", "groups"]
    counts = [[int(n) for n in re.findall(r" x(\d+)", line)] for line in themes]
    assert all(c == sorted(c, reverse=True) for c in counts)  # the most frequent term first


def test_stats_and_themes_count_the_documents(invoke, sample_library: Path, tmp_path: Path) -> None:
    stats = json.loads(invoke("stats", "--json", "--library", sample_library).stdout)
    assert list(stats) == ["documents", "pages", "languages", "types", "needs_ocr", "bytes_on_disk"]
    assert stats["documents"] == 11 and stats["languages"] == {"en": 9, "nl": 2} and stats["needs_ocr"] == 0
    text = invoke("stats", "--library", sample_library).stdout.splitlines()
    assert text[:3] == ["documents      11", f"pages          {stats['pages']}", "languages      {'en': 9, 'nl': 2}"]
    themes = json.loads(invoke("themes", "--json", "--library", sample_library).stdout)
    listed = json.loads(invoke("list", "--json", "--library", sample_library).stdout)
    for theme in themes:
        assert theme["documents"] == sum(theme["id"] in d["themes"] for d in listed)
    assert set(themes[0]) == {"id", "label_nl", "label_en", "description_nl", "description_en", "documents"}
    text = invoke("themes", "--library", sample_library).stdout.splitlines()
    assert text[0] == f"{themes[0]['id']:24} {themes[0]['documents']:4}  {themes[0]['label_nl']} / {themes[0]['label_en']}"
    # Without a library the themes are listed all the same, each with no documents.
    empty = json.loads(invoke("themes", "--json", "--library", tmp_path / "geen").stdout)
    assert [t["id"] for t in empty] == [t["id"] for t in themes] and {t["documents"] for t in empty} == {0}
    assert not (tmp_path / "geen").exists()


def test_a_field_has_one_key_and_one_format_in_every_json_output(invoke, sample_library: Path) -> None:
    """list, show and search --json and the API give a document's fields the same keys and values."""
    from kenniskamer.config import Settings
    from webui import create_app

    client = create_app(Settings(library=sample_library), page_cache=0).test_client()
    listed = {d["id"]: d for d in json.loads(invoke("list", "--json", "--library", sample_library).stdout)}
    found = json.loads(invoke("search", "polarization", "--json", "--limit", "5", "--library", sample_library).stdout)
    api = client.get("/api/search?q=polarization&size=5").json
    assert [h["id"] for h in found["hits"]] == [h["id"] for h in api["hits"]]
    for cli_hit, api_hit in zip(found["hits"], api["hits"]):
        assert {k: v for k, v in api_hit.items() if k != "links"} == cli_hit
        entry = listed[cli_hit["id"]]
        assert {k: cli_hit[k] for k in entry if k in cli_hit} == {k: v for k, v in entry.items() if k in cli_hit}
        shown = json.loads(invoke("show", cli_hit["id"], "--json", "--library", sample_library).stdout)
        document = client.get(f"/api/documents/{cli_hit['id']}").json
        assert entry["page_count"] == shown["page_count"] == document["page_count"]
        same = set(shown) & set(document) - {"themes"}
        assert same >= {"id", "title", "source", "filename", "year", "type", "added", "provenance", "flags"}
        assert {k: shown[k] for k in same} == {k: document[k] for k in same}
        # The two forms of themes: ids with theme_evidence (CLI), or objects with id, score, evidence (API).
        assert shown["themes"] == [t["id"] for t in document["themes"]] == entry["themes"]
        assert shown["theme_evidence"] == {t["id"]: t["evidence"] for t in document["themes"]}
