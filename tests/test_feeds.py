"""/nieuw and the Atom feeds through Flask's test client, on the library of three batches."""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest
from _batches import DATES, copy_of, three_batches

from kenniskamer.config import Settings
from kenniskamer.library import Library
from kenniskamer.library.curate import edit_document
from kenniskamer.models import Document, ThemeMatch
from kenniskamer.search import SearchEngine, SearchQuery
from webui import create_app
from webui.feeds import build_atom, search_feed

BASE = "https://kenniskamer.example.org"


@pytest.fixture(scope="module")
def batches(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[list[str]]]:
    return three_batches(tmp_path_factory)


def client_for(root: Path, **settings):
    app = create_app(Settings(library=root, **settings))
    app.testing = True
    return app.test_client()


@pytest.fixture
def client(batches):
    return client_for(batches[0])  # a fresh one per test: `?lang=en` sets a cookie


def parse(response) -> feedparser.FeedParserDict:
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    feed = feedparser.parse(response.data)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def check_feed(client, feed: feedparser.FeedParserDict) -> None:
    """Required Atom elements, newest first, ids = document URLs, and every link answers 200."""
    assert feed.feed.id and feed.feed.title and feed.feed.updated
    assert any(link.rel == "self" for link in feed.feed.links)
    assert feed.feed.author == "Kenniskamer"
    times = [entry.updated_parsed for entry in feed.entries]
    assert times == sorted(times, reverse=True)
    assert feed.feed.updated_parsed == times[0]
    for entry in feed.entries:
        assert entry.id == entry.link and re.search(r"/doc/[0-9a-f]{12}$", entry.id)
        assert entry.title and entry.updated == entry.published
        assert client.get(path_of(entry.link)).status_code == 200
    assert len({entry.id for entry in feed.entries}) == len(feed.entries)


def test_recent_feed_lists_every_addition_newest_first_with_working_links(client, batches) -> None:
    root, ids = batches
    feed = parse(client.get("/feed.atom"))
    check_feed(client, feed)
    listed = [entry.id.rsplit("/", 1)[1] for entry in feed.entries]
    assert set(listed) == {doc_id for batch in ids for doc_id in batch}
    # Batches in reverse order of their ingest dates.
    assert set(listed[:5]) == set(ids[2]) and set(listed[5:10]) == set(ids[1]) and set(listed[10:]) == set(ids[0])
    assert feed.entries[0].updated.startswith(DATES[2])
    alternate = next(link.href for link in feed.feed.links if link.rel == "alternate")
    assert client.get(path_of(alternate)).status_code == 200


def test_entry_ids_are_stable_and_use_the_public_address(batches) -> None:
    root, _ = batches
    public = client_for(root, base_url=BASE + "/")
    first = parse(public.get("/feed.atom"))
    second = parse(public.get("/feed.atom"))
    assert [e.id for e in first.entries] == [e.id for e in second.entries]
    assert all(e.id.startswith(f"{BASE}/doc/") for e in first.entries)
    assert first.feed.id == f"{BASE}/feed.atom"


def test_entries_carry_authors_themes_summary_and_both_dates(client, batches) -> None:
    root, _ = batches
    library = Library.open(root)
    feed = parse(client.get("/feed.atom"))
    for entry in feed.entries:
        doc = library.get(entry.id.rsplit("/", 1)[1])
        assert entry.title == doc.title
        assert [tag.term for tag in entry.get("tags", [])] == list(doc.theme_ids)
        assert [a.name for a in entry.get("authors", [])] in ([], list(doc.authors))
        assert "Toegevoegd:" in entry.content[0].value and "Gepubliceerd:" in entry.content[0].value


def test_theme_feed_has_exactly_the_documents_with_that_theme(client, batches) -> None:
    root, _ = batches
    library = Library.open(root)
    for theme in ("framing", "asiel-opvang", "populisme"):
        feed = parse(client.get(f"/themes/{theme}.atom"))
        check_feed(client, feed)
        expected = {d.doc_id for d in library.documents() if theme in d.theme_ids}
        assert expected and {e.id.rsplit("/", 1)[1] for e in feed.entries} == expected
    assert parse(client.get("/themes/framing.atom?lang=en")).feed.title == "Knowledge room: Framing"


def test_unknown_theme_feed_is_404_and_unknown_parameters_400(client) -> None:
    response = client.get("/themes/nonsense.atom")
    assert response.status_code == 404 and "No theme 'nonsense'" in html.unescape(response.get_data(as_text=True))
    assert client.get("/feed.atom?colour=red").status_code == 400


def test_editing_a_document_does_not_move_it_in_the_feed(batches, tmp_path: Path) -> None:
    root, ids = batches
    library_root = copy_of(root, tmp_path / "library")
    before = parse(client_for(library_root).get("/feed.atom"))
    oldest = ids[0][0]
    edit_document(Library.open(library_root), oldest, {"title": "Een bijgewerkte titel"})
    after = parse(client_for(library_root).get("/feed.atom"))
    assert [e.id for e in after.entries] == [e.id for e in before.entries]
    entry = next(e for e in after.entries if e.id.endswith(oldest))
    assert entry.title == "Een bijgewerkte titel"
    assert entry.updated == next(e for e in before.entries if e.id.endswith(oldest)).updated


def test_feed_values_are_escaped_and_control_characters_dropped() -> None:
    doc = Document(
        doc_id="abcdefabcdef", title="Fish & <chips> \x02\x0b]]> \"quoted\"", source="/x.pdf", filename="x.pdf",
        sha256="0" * 64, mime="application/pdf", size=1, added="2025-10-01T10:00:00Z",
        authors=("A & B <c>",), summary="Less < more & so on.", themes=(ThemeMatch("framing", 1.0, {}),),
    )
    body = build_atom([doc], title="T & <t>", subtitle="", self_url=f"{BASE}/feed.atom?a=1&b=2",
                      alternate=f"{BASE}/nieuw", base_url=BASE)
    feed = feedparser.parse(body)
    assert not feed.bozo, feed.get("bozo_exception")
    entry = feed.entries[0]
    assert entry.title == "Fish & <chips> ]]> \"quoted\""
    assert entry.author == "A & B <c>"
    assert entry.summary == "Less < more & so on."
    assert feed.feed.title == "T & <t>" and feed.feed.id == f"{BASE}/feed.atom?a=1&b=2"
    assert b"<chips>" not in body


def test_search_feed_helper(batches) -> None:
    root, _ = batches
    app = create_app(Settings(library=root))
    engine = SearchEngine(Library.open(root))
    result = engine.search(SearchQuery("asielzoekers", sort="added", page_size=20))
    assert result.hits
    with app.test_request_context("/search.atom?q=asielzoekers"):
        response = search_feed(result, "http://localhost/search.atom?q=asielzoekers")
    feed = feedparser.parse(response.data)
    assert response.mimetype == "application/atom+xml" and not feed.bozo
    assert feed.feed.id == "http://localhost/search.atom?q=asielzoekers"
    assert "asielzoekers" in feed.feed.title
    assert [e.id.rsplit("/", 1)[1] for e in feed.entries] == [hit.doc.doc_id for hit in result.hits]
    check_feed(app.test_client(), feed)


# -- /nieuw ----------------------------------------------------------------------------------------------


def week_sections(html: str) -> list[tuple[str, list[str]]]:
    """(week heading, document ids) per week section, in page order."""
    found = []
    for part in html.split('<section class="nieuw-week"')[1:]:
        heading = re.sub(r"<[^>]+>", "", re.search(r"<h2[^>]*>(.*?)</h2>", part, re.S).group(1)).strip()
        found.append((re.sub(r"\s+", " ", heading), re.findall(r'<h4><a href="/doc/([0-9a-f]{12})">', part)))
    return found


def test_nieuw_lists_the_additions_week_by_week(client, batches) -> None:
    root, ids = batches
    response = client.get("/nieuw")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    weeks = week_sections(html)
    assert [heading for heading, _ in weeks] == [
        "Week 45: 3–9 november 2025 (5)", "Week 41: 6–12 oktober 2025 (5)", "Week 36: 1–7 september 2025 (5)",
    ]
    assert [sorted(listed) for _, listed in weeks] == [sorted(ids[2]), sorted(ids[1]), sorted(ids[0])]
    assert '<h3 class="nieuw-theme">Overig' in html  # themes within a week
    assert "Toegevoegd" in html and "gepubliceerd" in html  # both dates
    # Without JavaScript: download links work, the copy buttons stay hidden.
    assert re.search(r'<a href="/nieuw/2025-W45.md" download>', html)
    assert re.search(r'<button type="button" class="nieuw-copy" hidden data-kind="markdown"', html)
    assert "<script>" not in html and " style=" not in html  # CSP: no inline script or style
    assert 'src="/static/nieuw.js' in html


def test_nieuw_theme_filter(client, batches) -> None:
    root, _ = batches
    library = Library.open(root)
    html = client.get("/nieuw?theme=populisme").get_data(as_text=True)
    listed = {doc_id for _, found in week_sections(html) for doc_id in found}
    assert listed == {d.doc_id for d in library.documents() if "populisme" in d.theme_ids}
    assert '<option value="populisme" selected>' in html
    assert 'href="/themes/populisme.atom"' in html
    assert 'href="/nieuw/2025-W45.md?theme=populisme"' in html
    assert "Overig" not in html
    assert client.get("/nieuw?theme=nonsense").status_code == 400


def test_nieuw_in_english_and_fewer_weeks(client) -> None:
    html = client.get("/nieuw?lang=en&weeks=1").get_data(as_text=True)
    assert '<html lang="en">' in html and "New in the knowledge room" in html
    assert [h for h, _ in week_sections(html)] == ["Week 45: 3–9 November 2025 (5)"]
    assert "Older weeks" in html and "weeks=2" in html
    assert client.get("/nieuw?weeks=99").status_code == 400


def test_week_downloads(client, batches) -> None:
    root, ids = batches
    markdown = client.get("/nieuw/2025-W41.md")
    assert markdown.status_code == 200 and markdown.mimetype == "text/markdown"
    assert markdown.headers["Content-Disposition"] == 'attachment; filename="kenniskamer-2025-W41.md"'
    text = markdown.get_data(as_text=True)
    assert sorted(re.findall(r"\]\(http://localhost/doc/([0-9a-f]{12})\)", text)) == sorted(ids[1])
    assert "toegevoegd van 6 oktober 2025 tot en met 12 oktober 2025" in text
    html = client.get("/nieuw/2025-W41.html")
    assert html.mimetype == "text/html" and "<script" not in html.get_data(as_text=True)
    assert html.headers["Content-Security-Policy"].startswith("default-src 'none'; style-src 'unsafe-inline'")
    fragment = client.get("/nieuw/2025-W41.html?fragment=1").get_data(as_text=True)
    assert fragment.startswith("<table") and "<html" not in fragment
    assert client.get("/nieuw/2025-W99.md").status_code == 404
    assert client.get("/nieuw/2025-W41.pdf").status_code == 400
