"""The newsletter digest: windows by ingest time, grouping by theme, summaries, formats, the watermark."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from _batches import DATES, LATE_DATE, LATE_FILE, add, copy_of, three_batches
from click.testing import CliRunner

from cli import cli
from kenniskamer import digest
from kenniskamer.digest import Watermark, Window, build
from kenniskamer.library import Library
from kenniskamer.library.curate import edit_document
from kenniskamer.models import Document, ThemeMatch
from kenniskamer.text.summary import clean_summary, shorten_summary, split_sentences
from kenniskamer.themes import load_themes

BASE = "https://kenniskamer.example.org"


def make_doc(doc_id: str, added: str, themes: tuple[str, ...] = (), **fields) -> Document:
    values = dict(
        doc_id=doc_id, title=f"Title {doc_id}", source=f"/tmp/{doc_id}.pdf", filename=f"{doc_id}.pdf",
        sha256=doc_id * 4, mime="application/pdf", size=1, added=added,
        themes=tuple(ThemeMatch(t, 10.0 - n, {}) for n, t in enumerate(themes)),
    )
    values.update(fields)
    return Document(**values)


# -- summaries ---------------------------------------------------------------------------------


def test_summary_joins_hyphenation_breaks_and_drops_page_furniture() -> None:
    raw = (
        "Journal of Ethnic and Migration Studies, 2015 Vol. 41, No. 6, 857–873\n"
        "We study the accept-\nance of refugees in Ger- many and the Nether­lands.\n"
        "https://doi.org/10.1080/1369183X.2014.1002199\n"
        "12\n"
        "Attitudes are stable (Hainmueller & Hopkins, 2014; Czymara 2020) over time.1 © 2015 Taylor & Francis"
    )
    assert clean_summary(raw) == (
        "We study the acceptance of refugees in Germany and the Netherlands. Attitudes are stable over time."
    )


def test_summary_keeps_conjunctions_after_a_hyphen() -> None:
    assert clean_summary("Het asiel- en migratiebeleid en de pre- and post-test zijn besproken.") == (
        "Het asiel- en migratiebeleid en de pre- and post-test zijn besproken."
    )


def test_summary_is_whole_sentences_of_at_most_sixty_words() -> None:
    sentence = "This sentence has exactly ten words in it, believe it. "
    assert clean_summary(sentence * 8) == (sentence * 8).strip()  # cleaning keeps the length; a digest shortens
    summary = shorten_summary(clean_summary(sentence * 8), digest.SUMMARY_WORDS)
    assert summary == (sentence * 6).strip()
    assert len(summary.split()) <= 60


def test_a_too_long_first_sentence_is_cut_with_an_ellipsis() -> None:
    words = " ".join(f"w{n}" for n in range(80))
    summary = shorten_summary(clean_summary(f"First part, {words} end."), digest.SUMMARY_WORDS)
    assert summary.endswith(" …") and len(summary.split()) <= 61


def test_a_clipped_teaser_is_left_out_and_a_trailing_fragment_dropped() -> None:
    assert clean_summary("Taiwanese President Tsai Ing-wen’s") == ""
    assert clean_summary("Vorweg: das stimmt. Die Parteikollegen wollen das, was alle …") == "Vorweg: das stimmt."


def test_cleaning_a_clean_summary_changes_nothing() -> None:
    """`kenniskamer reindex` cleans stored summaries again: a clean one stays as it is."""
    raw = "We study the accept-\nance of refugees (Czymara 2020).1 Attitudes are stable. Die Parteikollegen wollen"
    once = clean_summary(raw)
    assert once == "We study the acceptance of refugees. Attitudes are stable."
    assert clean_summary(once) == once


def test_the_digest_shows_the_stored_summary_shortened_not_cleaned_again() -> None:
    stored = "Het asiel- en migratiebeleid (zie Jansen 2020) is besproken. " * 12
    item = build([make_doc("a", "2026-11-02T09:00:00Z", summary=stored)], load_themes()).items[0]
    assert item.summary == shorten_summary(stored, digest.SUMMARY_WORDS)
    assert "(zie Jansen 2020)" in item.summary


def test_sentences_do_not_end_at_abbreviations_or_initials() -> None:
    text = "Studies (e.g. by C. S. Czymara et al. in 2020) agree. Zie bijv. de PVV. Dat klopt!"
    assert split_sentences(text) == ["Studies (e.g. by C. S. Czymara et al. in 2020) agree.", "Zie bijv. de PVV.", "Dat klopt!"]


# -- grouping ----------------------------------------------------------------------------------

THEMES = load_themes()


def test_each_document_once_under_its_strongest_theme_with_the_others_named() -> None:
    docs = [
        make_doc("a", "2025-10-01T10:00:00Z", ("framing", "draagvlak")),
        make_doc("b", "2025-10-02T10:00:00Z", ("draagvlak",)),
        make_doc("c", "2025-10-03T10:00:00Z"),
    ]
    result = build(docs, THEMES, base_url=BASE)
    assert [(s.theme, [i.doc.doc_id for i in s.items]) for s in result.sections] == [
        ("draagvlak", ["b"]), ("framing", ["a"]), ("", ["c"]),  # taxonomy order; no theme last
    ]
    item = result.sections[1].items[0]
    assert item.other_themes == ("draagvlak",)
    assert item.url == f"{BASE}/doc/a"
    assert result.label("", "nl") == "Overig"


def test_restricted_to_themes_a_document_goes_under_the_strongest_wanted_one() -> None:
    docs = [make_doc("a", "2025-10-01T10:00:00Z", ("framing", "draagvlak")), make_doc("b", "2025-10-01T10:00:00Z")]
    result = build(docs, THEMES, only=["draagvlak"])
    assert [(s.theme, [i.doc.doc_id for i in s.items]) for s in result.sections] == [("draagvlak", ["a"])]
    assert result.sections[0].items[0].other_themes == ("framing",)


def test_watermark_covers_what_was_added_up_to_its_second() -> None:
    mark = Watermark("2025-11-03T09:00:00Z", ("a",))
    assert mark.covers(make_doc("a", "2025-11-03T09:00:00Z"))
    assert not mark.covers(make_doc("b", "2025-11-03T09:00:00Z"))  # same second, not yet shown
    assert mark.covers(make_doc("c", "2025-11-03T08:59:59Z"))
    assert not mark.covers(make_doc("d", "2025-11-03T09:00:01Z"))
    assert Watermark.from_json(mark.to_json()) == mark


def test_window_bounds_are_since_inclusive_until_exclusive() -> None:
    window = Window(since="2025-10-06T00:00:00Z", until="2025-10-13T00:00:00Z")
    assert window.contains(make_doc("a", "2025-10-06T00:00:00Z"))
    assert not window.contains(make_doc("b", "2025-10-13T00:00:00Z"))
    assert not window.contains(make_doc("c", "2025-10-05T23:59:59Z"))


# -- on a library of three batches ------------------------------------------------------------------


@pytest.fixture(scope="module")
def batches(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[list[str]]]:
    return three_batches(tmp_path_factory)


def run_cli(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, [str(a) for a in args], env=env, catch_exceptions=False)


def ids_in(markdown: str) -> list[str]:
    return re.findall(r"/doc/([0-9a-f]{12})\)", markdown)


@pytest.mark.parametrize("batch", [0, 1, 2])
def test_since_returns_exactly_that_batch_grouped_by_theme_in_markdown(batches, batch: int) -> None:
    root, ids = batches
    args = ["digest", "--library", root, "--since", DATES[batch], "--base-url", BASE]
    if batch < 2:
        args += ["--until", DATES[batch + 1]]
    result = run_cli(*args)
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert sorted(ids_in(text)) == sorted(ids[batch])
    assert text.startswith("# Nieuw in de kenniskamer\n\n5 nieuwe documenten, toegevoegd ")
    headings = re.findall(r"^## (.+) \((\d+)\)$", text, flags=re.M)
    assert sum(int(count) for _, count in headings) == 5  # each document once
    assert headings[-1][0] == "Overig"  # the batch's document without a theme comes last
    library = Library.open(root)
    for doc_id in ids[batch]:  # under its strongest theme
        doc = library.get(doc_id)
        section = text[: text.index(f"/doc/{doc_id})")].rsplit("\n## ", 1)[1]
        expected = next(t.label_nl for t in load_themes() if doc.theme_ids and t.id == doc.theme_ids[0]) \
            if doc.theme_ids else "Overig"
        assert section.startswith(expected + " (")
    assert "5 nieuwe documenten" in result.stdout and "new documents" in result.stderr


def test_since_in_json_and_html(batches) -> None:
    root, ids = batches
    data = json.loads(run_cli("digest", "--library", root, "--since", DATES[2], "--format", "json",
                              "--base-url", BASE).stdout)
    assert data["count"] == 5 and data["since"] == f"{DATES[2]}T00:00:00Z"
    listed = [item["id"] for section in data["sections"] for item in section["items"]]
    assert sorted(listed) == sorted(ids[2])
    assert data["sections"][-1]["theme"] is None and data["sections"][-1]["label"] == "Overig"
    for section in data["sections"][:-1]:
        for item in section["items"]:
            assert item["theme"] == section["theme"] == item["themes"][0]
            assert item["url"] == f"{BASE}/doc/{item['id']}"
            assert item["added"].startswith(DATES[2])
            assert len(item["summary"].split()) <= 61
    html = run_cli("digest", "--library", root, "--since", DATES[2], "--format", "html", "--base-url", BASE).stdout
    assert sorted(set(re.findall(r'href="[^"]*/doc/([0-9a-f]{12})"', html))) == sorted(ids[2])
    assert html.count("<h2 ") == len(data["sections"])


class _Resources(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.urls: list[tuple[str, str, str]] = []
        self.styles: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "srcset", "background", "action", "poster", "data"):
                self.urls.append((tag, name, value or ""))
            if name == "style":
                self.styles.append(value or "")
            assert not name.startswith("on"), f"event handler {name} on <{tag}>"


def test_html_digest_has_no_script_and_no_external_resource(batches) -> None:
    root, ids = batches
    html = run_cli("digest", "--library", root, "--since", DATES[0], "--format", "html", "--base-url", BASE).stdout
    parser = _Resources()
    parser.feed(html)
    assert "script" not in parser.tags and "<script" not in html.lower()
    assert not {"img", "link", "style", "iframe", "object", "embed", "form", "video", "audio"} & set(parser.tags)
    assert parser.urls, "the digest links its documents"
    for tag, name, value in parser.urls:  # the only URLs are links to document pages
        assert (tag, name) == ("a", "href") and re.fullmatch(rf"{re.escape(BASE)}/doc/[0-9a-f]{{12}}", value), value
    assert parser.styles and not any("url(" in s or "@import" in s for s in parser.styles)
    assert html.startswith("<!DOCTYPE html>") and 'charset="utf-8"' in html


def test_titles_and_summaries_are_escaped_in_html_and_markdown() -> None:
    doc = make_doc("abcdefabcdef", "2025-10-01T10:00:00Z", ("framing",), title="<script>alert(1)</script> *bold* [x](y)",
                   summary="Fish & chips <b>are</b> served.")
    result = build([doc], THEMES, base_url=BASE)
    html = digest.render_html(result)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Fish &amp; chips &lt;b&gt;are&lt;/b&gt; served." in html
    markdown = digest.render_markdown(result)
    assert r"### [\<script\>alert(1)\</script\> \*bold\* \[x\](y)](https://kenniskamer.example.org/doc/abcdefabcdef)" in markdown


def test_days_and_repeated_theme_options(batches) -> None:
    root, ids = batches
    from datetime import date

    days = (date.today() - date.fromisoformat(DATES[2])).days + 1
    result = run_cli("digest", "--library", root, "--days", str(days), "--format", "json")
    assert sorted(i["id"] for s in json.loads(result.stdout)["sections"] for i in s["items"]) == sorted(ids[2])
    data = json.loads(run_cli("digest", "--library", root, "--since", DATES[0], "--format", "json",
                              "--theme", "framing", "--theme", "populisme").stdout)
    assert [s["theme"] for s in data["sections"]] == ["framing", "populisme"]
    library = Library.open(root)
    expected = {d.doc_id for d in library.documents() if {"framing", "populisme"} & set(d.theme_ids)}
    assert {i["id"] for s in data["sections"] for i in s["items"]} == expected


def test_base_url_from_the_environment(batches) -> None:
    root, _ = batches
    result = run_cli("digest", "--library", root, "--since", DATES[2], env={"KENNISKAMER_BASE_URL": "https://kk.test/"})
    assert "](https://kk.test/doc/" in result.stdout and "relative" not in result.stderr


def test_an_empty_window_says_so_on_stderr_and_exits_0(batches) -> None:
    root, _ = batches
    result = run_cli("digest", "--library", root, "--since", "2099-01-01")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr.strip() == "No new documents, added since 1 January 2099."


def test_usage_errors(batches) -> None:
    root, _ = batches
    result = run_cli("digest", "--library", root, "--since", DATES[0], "--days", "3")
    assert result.exit_code == 2 and "Give only one of --since, --days and --since-last" in result.stderr
    result = run_cli("digest", "--library", root, "--since", "1 november")
    assert result.exit_code == 1 and "Error: '1 november' is not a date; write YYYY-MM-DD" in result.stderr
    result = run_cli("digest", "--library", root, "--theme", "nonsense", "--since", DATES[0])
    assert result.exit_code == 1 and "Error: Unknown theme 'nonsense'" in result.stderr


def test_since_last_before_any_mark_is_a_clear_error(batches) -> None:
    root, _ = batches
    result = run_cli("digest", "--library", root, "--since-last")
    assert result.exit_code == 1
    assert "Error: No digest has been marked yet" in result.stderr and "--mark" in result.stderr


def test_since_last_after_mark_is_empty_until_more_is_added(batches, tmp_path: Path) -> None:
    root, ids = batches
    library_root = copy_of(root, tmp_path / "library")
    first = run_cli("digest", "--library", library_root, "--since", DATES[1], "--mark")
    assert sorted(ids_in(first.stdout)) == sorted(ids[1] + ids[2])
    assert "Marked: the next `kenniskamer digest --since-last` lists what is added after 2025-11-03 09:00:00 UTC" \
        in first.stderr
    again = run_cli("digest", "--library", library_root, "--since-last")
    assert again.exit_code == 0 and again.stdout == ""
    assert "No new documents, added since the previous newsletter (3 November 2025, 09:00 UTC)." in again.stderr

    # Editing an old document does not make it new again.
    edit_document(Library.open(library_root), ids[0][0], {"title": "Een nieuwe titel", "summary": "Nieuw."})
    assert run_cli("digest", "--library", library_root, "--since-last").stdout == ""

    late = add(library_root, (LATE_FILE,), LATE_DATE)
    news = run_cli("digest", "--library", library_root, "--since-last", "--format", "json")
    assert [i["id"] for s in json.loads(news.stdout)["sections"] for i in s["items"]] == late
    run_cli("digest", "--library", library_root, "--since-last", "--mark")
    assert run_cli("digest", "--library", library_root, "--since-last").stdout == ""
    # Without a window, the digest starts at the mark.
    assert "since the last --mark" in run_cli("digest", "--library", library_root).stderr


def test_a_document_added_in_the_marked_second_is_not_lost(batches, tmp_path: Path) -> None:
    root, ids = batches
    library_root = copy_of(root, tmp_path / "library")
    library = Library.open(library_root)
    # The third batch was added within one second; pretend the mark was taken after two of them.
    shown = sorted(ids[2])[:2]
    library.set_meta(digest.WATERMARK_KEY, Watermark(f"{DATES[2]}T09:00:00Z", tuple(shown)).to_json())
    result = run_cli("digest", "--library", library_root, "--since-last", "--format", "json")
    assert sorted(i["id"] for s in json.loads(result.stdout)["sections"] for i in s["items"]) == sorted(ids[2])[2:]


def test_a_watermark_never_moves_back(batches, tmp_path: Path) -> None:
    root, ids = batches
    library = Library.open(copy_of(root, tmp_path / "library"))
    with library.writing():
        newest = digest.mark(library)
        older = digest.mark(library, Window(until=DATES[1]))
    assert newest == older and newest.added == f"{DATES[2]}T09:00:00Z" and sorted(newest.doc_ids) == sorted(ids[2])


def test_list_added_since_sorted_by_added_for_scripts(batches) -> None:
    root, ids = batches
    result = run_cli("list", "--library", root, "--added-since", DATES[1], "--sort", "added", "--json")
    rows = json.loads(result.stdout)
    assert sorted(row["id"] for row in rows[:5]) == sorted(ids[1])  # oldest first
    assert sorted(row["id"] for row in rows) == sorted(ids[1] + ids[2])
    assert [row["added"] for row in rows] == sorted(row["added"] for row in rows)
    plain = run_cli("list", "--library", root, "--added-since", DATES[2], "--sort", "added")
    assert sorted(line.split()[0] for line in plain.stdout.splitlines()) == sorted(ids[2])
    assert plain.stderr.strip() == "5 documents"


def test_digest_english_labels(batches) -> None:
    root, _ = batches
    text = run_cli("digest", "--library", root, "--since", DATES[2], "--lang", "en").stdout
    assert text.startswith("# New in the knowledge room\n\n5 new documents, added since 3 November 2025.")
    assert "\n## Other (" in text and "added 3 November 2025" in text
