"""The web site through Flask's test client, on the sample library."""

from __future__ import annotations

import html
import json
import re
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import feedparser
import pytest
from conftest import HOSTILE_EDITS, HTML_FILE, needs_corpus

from indexer.pipeline import AddOptions, run
from kenniskamer.config import Settings
from kenniskamer.library import Library
from kenniskamer.search import FILTER_FIELDS, FRESHNESS_SECONDS
from webui import create_app
from webui.cache import PageCache
from webui.chart import year_chart
from webui.site import SEARCH_ARGS, page_window


@pytest.fixture(scope="module")
def app(sample_library: Path):
    """One app for the module: the sample library is read-only, and opening an engine costs time."""
    app = create_app(Settings(library=sample_library))
    app.testing = True
    return app


@pytest.fixture
def client(app):
    return app.test_client()


def _text(response: Any) -> str:
    return response.get_data(as_text=True)


def _links(page: str, pattern: str) -> list[str]:
    return [html.unescape(link) for link in re.findall(rf'href="({pattern}[^"]*)"', page)]


def _total(page: str) -> int:
    return int(re.search(r'<h2 id="results-heading" class="count">(\d+) ', page).group(1))


def _first_doc_url(client, query: str) -> str:
    page = _text(client.get(f"/?q={query}"))
    return re.search(r'href="(/doc/[0-9a-f]{12})', page).group(1)


# -- search page ---------------------------------------------------------------------------------


def test_search_page_shows_hits_with_highlighted_passages_and_page_links(client) -> None:
    response = client.get("/?q=nonlinear")
    assert response.status_code == 200
    page = _text(response)
    assert '<html lang="nl">' in page
    assert "Breaking free from linear assumptions" in page
    assert "<mark>nonlinear</mark>" in page
    links = re.findall(r'href="(/doc/[0-9a-f]{12}/original#page=(\d+))"', page)
    assert "5" in [number for _, number in links]


def test_empty_query_shows_newest_additions_and_themes_with_counts(client) -> None:
    page = _text(client.get("/"))
    assert "Laatst toegevoegd" in page and "Bladeren per thema" in page
    newest = re.search(r'<section class="newest".*?</section>', page, re.S).group(0)
    assert len(re.findall(r'<li class="hit">', newest)) == 8
    polarisation = re.search(r'href="/\?theme=polarisatie"><span class="value">Polarisatie</span> <span class="count">(\d+)', page)
    assert polarisation and int(polarisation.group(1)) == 2
    assert '<svg viewBox=' in page  # the year chart of the whole collection
    assert _links(page, r"/\?year=20")


def test_result_count_facets_with_counts_and_decade(client) -> None:
    page = _text(client.get("/?q=polarization"))
    total = _total(page)
    assert total >= 3
    for heading in ("Thema", "Soort document", "Onderzoeksmethode", "Land", "Doelgroep", "Vorm", "Taal", "Decennium", "Jaar"):
        assert f">{heading}</h3>" in page
    assert re.search(r'href="/\?q=polarization&amp;decade=2020"><span class="value">2020–2029</span> <span class="count">\d+', page)


def test_toggling_a_facet_filters_and_a_chip_removes_the_filter(client) -> None:
    page = _text(client.get("/?q=polarization"))
    total = _total(page)
    link = _links(page, r"/\?q=polarization&amp;theme=polarisatie")[0]
    filtered = _text(client.get(link))
    assert _total(filtered) < total
    assert 'aria-current="true" class="selected"' in filtered
    chip = re.search(r'<a class="chip selected" href="([^"]+)"><span class="visually-hidden">Filter verwijderen: </span>Thema: Polarisatie', filtered)
    assert html.unescape(chip.group(1)) == "/?q=polarization"
    assert _total(_text(client.get("/?q=polarization"))) == total


def test_two_filters_offer_clear_all(client) -> None:
    page = _text(client.get("/?q=polarization&theme=polarisatie&language=en"))
    assert "Alle filters wissen" in page
    clear = re.search(r'<a class="chip clear" href="([^"]+)"', page).group(1)
    assert html.unescape(clear) == "/?q=polarization"


def test_did_you_mean_and_also_searched_for(client) -> None:
    typo = _text(client.get("/?q=polarizaton"))
    assert ("Bedoelde je" in typo and ">polarization</a>" in typo) or ("Niets gevonden voor “polarizaton”" in typo)
    expanded = _text(client.get("/?q=polarisatie"))
    assert "Ook gezocht op" in expanded and "polarization" in expanded
    only_typed = _links(expanded, r"/\?q=polarisatie&amp;expand=0")
    assert only_typed and "Ook gezocht op" not in _text(client.get(only_typed[0]))


def test_sort_and_pagination_keep_the_state_in_the_url(client) -> None:
    first = _text(client.get("/?q=&sort=added&size=2"))
    assert '<option value="added" selected>' in first
    assert 'aria-current="page" aria-label="Pagina 1"' in first
    next_link = _links(first, r"/\?[^\"]*page=2")[0]
    assert parse_qs(urlsplit(next_link).query) == {"sort": ["added"], "size": ["2"], "page": ["2"]}
    second = _text(client.get(next_link))
    assert 'aria-current="page" aria-label="Pagina 2"' in second
    titles = lambda page: re.findall(r'<li class="hit">\s*<h3[^>]*><a [^>]+>([^<]+)</a>', page)  # noqa: E731
    assert titles(first) and titles(second) and not set(titles(first)) & set(titles(second))
    assert '<ol class="hits" start="3">' in second


def test_year_chart_filters_on_click_and_keeps_the_other_years(client) -> None:
    page = _text(client.get("/?q=polarization"))
    bars = re.findall(r'<a href="([^"]+)" class="bar" aria-label="(\d{4}): (\d+) document', page)
    assert len(bars) >= 2
    link, year, count = bars[0]
    filtered = _text(client.get(html.unescape(link)))
    assert _total(filtered) == int(count)
    assert re.search(rf'class="bar selected" aria-label="{year}: {count} document', filtered)
    assert len(re.findall(r'class="bar( selected)?" aria-label=', filtered)) == len(bars)


def test_chart_geometry() -> None:
    chart = year_chart({2010: 1, 2012: 4, 2020: 2}, {2012})
    assert chart is not None
    assert [bar.year for bar in chart.bars] == list(range(2010, 2021))
    tallest = max(chart.bars, key=lambda bar: bar.height)
    assert tallest.year == 2012 and tallest.selected and tallest.y == 0
    assert all(bar.height == 0 for bar in chart.bars if bar.count == 0)
    assert min(bar.height for bar in chart.bars if bar.count) >= 2
    assert year_chart({}) is None


def test_page_window() -> None:
    assert page_window(1, 1) == [1]
    assert page_window(1, 3) == [1, 2, 3]
    assert page_window(6, 20) == [1, None, 4, 5, 6, 7, 8, None, 20]


# -- document page -----------------------------------------------------------------------------------


def test_document_page_shows_metadata_and_matching_passages(client) -> None:
    page = _text(client.get(_first_doc_url(client, "nonlinear") + "?q=nonlinear"))
    assert "Breaking free from linear assumptions" in page
    assert "<mark>nonlinear</mark>" in page
    assert "#page=5" in page


def test_document_page_has_everything_a_researcher_needs(client) -> None:
    doc_url = _first_doc_url(client, "Junge+Freiheit")
    page = _text(client.get(doc_url))
    doc_id = doc_url.rsplit("/", 1)[1]
    for text in ("Gegevens", "Auteurs", "Uitgever", "German Politics", "Toegevoegd", "SHA-256", "Samenvatting",
                 "Waarom dit thema", "Verwante studies", "Citeren", "APA", "BibTeX", "RIS", "Download het origineel",
                 "Herkomst van de gegevens"):
        assert text in page, text
    assert f'href="/doc/{doc_id}/original"' in page
    assert f'href="/doc/{doc_id}/original#page=3"' in page  # the list of pages
    assert f'href="/doc/{doc_id}/cite/bibtex" download' in page
    assert re.search(r'<pre id="cite-apa"[^>]*>Czymara, C. S., &amp; Bauer, L. \(20\d\d\)', page)
    assert 'data-copy="cite-apa"' in page and "hidden>Kopieer APA</button>" in page  # shown by app.js only
    related = re.search(r'<ul class="related">(.*?)</ul>', page, re.S).group(1)
    assert 1 <= related.count("<li>") <= 5 and doc_id not in related


def test_document_page_in_english_marks_the_documents_language(client) -> None:
    nl = _text(client.get(_first_doc_url(client, "nonlinear")))
    assert '<h1 lang="en">' in nl  # an English document inside a Dutch page
    en = _text(client.get(_first_doc_url(client, "nonlinear") + "?lang=en"))
    assert '<html lang="en">' in en and "<h1>" in en and "Related studies" in en


@pytest.mark.parametrize(
    ("style", "mimetype", "extension", "start"),
    [("apa", "text/plain", "txt", ""), ("bibtex", "application/x-bibtex", "bib", "@"), ("ris", "application/x-research-info-systems", "ris", "TY  - ")],
)
def test_citation_downloads(client, style: str, mimetype: str, extension: str, start: str) -> None:
    doc_url = _first_doc_url(client, "Junge+Freiheit")
    response = client.get(f"{doc_url}/cite/{style}")
    assert response.status_code == 200
    assert response.mimetype == mimetype and response.mimetype_params["charset"] == "utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Content-Disposition"].endswith(f'.{extension}"')
    assert _text(response).startswith(start) and "Junge Freiheit" in _text(response)
    assert client.get(f"{doc_url}/cite/chicago").status_code == 404


def test_page_link_serves_the_pdf_inline(client) -> None:
    page = _text(client.get("/?q=nonlinear"))
    link = re.search(r'href="(/doc/[0-9a-f]{12}/original)#page=5"', page).group(1)
    with client.get(link) as response:
        assert response.status_code == 200
        assert response.mimetype == "application/pdf"
        assert response.headers["Content-Disposition"].startswith("inline")
        assert response.data.startswith(b"%PDF-")


def test_originals_are_served_by_id_only(client) -> None:
    for path in ("/doc/../original", "/doc/..%2F..%2Fcatalog.sqlite3/original", "/doc/%2e%2e/original",
                 "/originals/ab/x.pdf", "/doc/000000000000/original"):
        assert client.get(path).status_code == 404, path


# -- themes, help, language ----------------------------------------------------------------------------


def test_themes_page_lists_every_theme_with_terms_and_counts(client, app) -> None:
    page = _text(client.get("/themes"))
    themes = app.extensions["kenniskamer"].engine.themes
    assert len(themes) >= 13
    for theme in themes:
        assert f'id="{theme.id}"' in page and html.escape(theme.label_nl) in page
        assert html.escape(theme.description_nl) in page
    assert "Nederlandse termen" in page and "Engelse termen" in page and "draagvlak*" in page
    assert re.search(r'href="/\?theme=polarisatie">Polarisatie</a> <span class="count">2 documenten', page)


def test_help_page_in_dutch_and_english(client) -> None:
    nl = _text(client.get("/help"))
    assert '<html lang="nl">' in nl and "Zo zoek je" in nl and "jaar:2019..2022" in nl and "/api/openapi.json" in nl
    en = _text(client.get("/help?lang=en"))
    assert '<html lang="en">' in en and "How to search" in en and "year:2019..2022" in en
    assert '<code lang="nl">titel:</code>' in en


def test_english_switch_is_remembered_in_a_cookie(client) -> None:
    response = client.get("/?q=refugees&lang=en")
    assert '<html lang="en">' in _text(response) and "results" in _text(response)
    assert "ui=en" in response.headers["Set-Cookie"]
    assert '<html lang="en">' in _text(client.get("/themes"))  # the cookie is sent back
    back = _text(client.get("/?lang=nl"))
    assert '<html lang="nl">' in back and 'href="/?lang=en" lang="en" hreflang="en">English</a>' in back


def test_every_page_has_a_skip_link_and_one_main(client) -> None:
    doc_url = _first_doc_url(client, "nonlinear")
    for url in ("/", "/?q=polarization", doc_url, "/themes", "/help", "/missing"):
        page = _text(client.get(url))
        assert '<a class="skip" href="#main">' in page and page.count('<main id="main"') == 1, url
        assert len(re.findall(r"<h1[ >]", page)) == 1, url


# -- errors and bounds --------------------------------------------------------------------------------


def test_an_unpaired_quote_or_bracket_gives_results_and_says_how_it_was_read(client) -> None:
    for typed in ('"polarization', "(polarization", "polarization)"):
        response = client.get("/", query_string={"q": typed})
        assert response.status_code == 200
        page = _text(response)
        assert "Gezocht op: polarization (een aanhalingsteken of haakje zonder partner is weggelaten)." in page
        assert 'class="hit' in page
    api = client.get("/api/search", query_string={"q": "polarization)"}).json
    assert api["read_as"] == "polarization" and api["total"] > 0


def test_an_undeclared_method_gets_405_with_allow(client) -> None:
    for path in ("/api/search", "/"):
        response = client.open(path, method="TRACE")
        assert response.status_code == 405 and "GET" in response.headers["Allow"]


def test_bad_query_is_a_400_page_with_the_message(client) -> None:
    response = client.get('/?q="framing" jaar:2022..2019')
    assert response.status_code == 400
    page = _text(response)
    assert "runs backwards" in page and 'class="top"' in page
    assert 'value="&#34;framing&#34; jaar:2022..2019"' in page  # the search box keeps the query to fix


def test_unknown_filter_is_400(client) -> None:
    response = client.get("/?q=x&colour=red")
    assert response.status_code == 400
    assert "Unknown parameter" in _text(response)


@pytest.mark.parametrize(
    "url",
    ["/?q=" + "a" * 501, "/?q=x&page=0", "/?q=x&page=101", "/?q=x&page=two", "/?q=x&size=0", "/?q=x&size=51",
     "/?q=x&sort=random", "/?q=x&year=twenty", "/api/search?q=x&size=1000", "/search.atom?q=x&page=-1",
     "/doc/000000000000?q=" + "a" * 501],
)
def test_query_length_page_and_page_size_are_bounded(client, url: str) -> None:
    response = client.get(url)
    assert response.status_code in (400, 404), url
    if url.startswith("/api/"):
        assert response.json["status"] == 400 and "between 1 and 50" in response.json["error"]


def test_the_largest_allowed_values_work(client) -> None:
    assert client.get("/?q=" + "a" * 500).status_code == 200
    assert client.get("/?q=x&page=100&size=50").status_code == 200


def test_unknown_document_is_404_in_the_site_layout(client) -> None:
    response = client.get("/doc/000000000000")
    assert response.status_code == 404
    assert "No document with id" in _text(response)
    assert 'class="top"' in _text(response)


def test_unknown_page_is_a_translated_404(client) -> None:
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert "Deze pagina bestaat niet" in _text(response) and "Niet gevonden" in _text(response)
    assert client.get("/nowhere?lang=en").get_data(as_text=True).count("This page does not exist") == 1


def test_crash_is_a_500_page_without_details(app, client, monkeypatch, caplog) -> None:
    engine = app.extensions["kenniskamer"].engine

    def explode(query):
        raise RuntimeError("secret detail in /srv/library")

    monkeypatch.setattr(engine, "search", explode)
    caplog.set_level("ERROR")
    response = client.get("/?q=boom")
    assert response.status_code == 500
    assert "Er ging iets mis aan onze kant" in _text(response) and "secret detail" not in _text(response)
    api = client.get("/api/search?q=boom")
    assert api.status_code == 500 and api.json["status"] == 500 and "secret" not in api.json["error"]
    assert "secret detail" in caplog.text  # the traceback goes to the log


# -- security -------------------------------------------------------------------------------------


def test_security_headers_on_every_kind_of_answer(client) -> None:
    doc_url = _first_doc_url(client, "nonlinear")
    for url in ("/", "/?q=x", doc_url, "/themes", "/api/search?q=x", "/search.atom?q=x", "/missing", '/?q="'):
        response = client.get(url)
        csp = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "default-src 'self'" in csp, url
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, url
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"


def test_pages_carry_no_inline_script_style_or_handlers(client) -> None:
    doc_url = _first_doc_url(client, "nonlinear")
    for url in ("/", "/?q=polarization&theme=polarisatie", doc_url + "?q=nonlinear", "/themes", "/help", "/x"):
        page = _text(client.get(url))
        assert re.findall(r"<script\b[^>]*>", page) == [re.search(r'<script src="/static/app.js\?v=\w+" defer>', page).group(0)]
        assert not re.search(r"\sstyle=", page), url
        assert not re.search(r"\son[a-z]+=", page), url
        for asset in re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page):
            assert asset.startswith("/"), asset  # every asset from the app, no CDN


def test_static_assets_are_served_with_a_version(client) -> None:
    page = _text(client.get("/"))
    css = re.search(r'href="(/static/style.css\?v=\w+)"', page).group(1)
    js = re.search(r'src="(/static/app.js\?v=\w+)"', page).group(1)
    with client.get(css) as response:
        assert response.mimetype == "text/css" and "max-age=86400" in response.headers["Cache-Control"]
    with client.get(js) as response:
        assert response.mimetype in ("text/javascript", "application/javascript")


@pytest.fixture(scope="module")
def hostile_client(hostile_library: Path):
    app = create_app(Settings(library=hostile_library))
    app.testing = True
    return app.test_client()


def test_a_hostile_document_is_shown_as_text_everywhere(hostile_client) -> None:
    search = _text(hostile_client.get("/?q=xenokrates"))
    doc_url = re.search(r'href="(/doc/[0-9a-f]{12})\?q=xenokrates"', search).group(1)
    home = _text(hostile_client.get("/"))
    document = _text(hostile_client.get(doc_url + "?q=xenokrates"))
    for page in (search, home, document):
        assert "<script>alert" not in page and "<img src=x" not in page and "<svg onload" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the title, as text
    for page in (search, document):
        assert "Mallory &lt;script&gt;alert(4)&lt;/script&gt;" in page
    assert "&lt;script&gt;alert(8)&lt;/script&gt;" in document  # summary from the body
    assert "Evil &#34;&gt;&lt;svg onload=alert(5)&gt; Press" in document
    api = hostile_client.get("/api" + doc_url.replace("/doc/", "/documents/")).json
    assert api["title"] == HOSTILE_EDITS["title"]
    results = hostile_client.get("/api/search?q=xenokrates").json
    marked = " ".join(p["marked"] for hit in results["hits"] for p in hit["passages"])
    assert "<script>" not in marked and "<img" not in marked
    feed = hostile_client.get("/search.atom?q=xenokrates")
    assert b"<script>" not in feed.data
    parsed = feedparser.parse(feed.data)
    assert not parsed.bozo and parsed.entries[0].title == HOSTILE_EDITS["title"]


def test_a_stored_web_page_is_served_as_an_attachment_in_a_sandbox(hostile_client) -> None:
    doc_id = hostile_client.get("/api/search?q=xenokrates").json["hits"][0]["id"]
    with hostile_client.get(f"/doc/{doc_id}/original") as response:
        assert response.status_code == 200 and response.mimetype == "text/html"
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert response.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert b"<script>alert(1)</script>" in response.data  # the bytes as ingested, never run as the site


# -- API and feeds ------------------------------------------------------------------------------------


def _check(value: Any, schema: dict[str, Any], spec: dict[str, Any], where: str = "$") -> None:
    """A small JSON Schema check for the keywords our OpenAPI document uses."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return _check(value, spec["components"]["schemas"][name], spec, where)
    kinds = schema.get("type")
    if kinds:
        kinds = [kinds] if isinstance(kinds, str) else kinds
        python = {"string": str, "integer": int, "number": (int, float), "boolean": bool, "array": list,
                  "object": dict, "null": type(None)}
        assert any(isinstance(value, python[k]) and not (k in ("integer", "number") and isinstance(value, bool))
                   for k in kinds), f"{where}: {value!r} is not {kinds}"
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"
    if isinstance(value, dict):
        for key in schema.get("required", ()):
            assert key in value, f"{where}: {key} is missing"
        for key, item in value.items():
            if key in schema.get("properties", {}):
                _check(item, schema["properties"][key], spec, f"{where}.{key}")
            elif isinstance(schema.get("additionalProperties"), dict):
                _check(item, schema["additionalProperties"], spec, f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            _check(item, schema["items"], spec, f"{where}[{index}]")


def test_openapi_describes_the_api(client) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.json
    assert spec["openapi"] == "3.1.0" and spec["info"]["title"]
    assert set(spec["paths"]) == {"/api/search", "/api/documents/{id}", "/api/openapi.json"}
    names = {p["name"] for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert names == set(SEARCH_ARGS) | set(FILTER_FIELDS)
    size = next(p for p in spec["paths"]["/api/search"]["get"]["parameters"] if p["name"] == "size")
    assert size["schema"]["maximum"] == 50
    json.dumps(spec)  # plain JSON all the way down


def test_api_search_answers_as_described(client) -> None:
    spec = client.get("/api/openapi.json").json
    response = client.get("/api/search?q=polarization&theme=polarisatie&size=2")
    assert response.status_code == 200 and response.headers["Access-Control-Allow-Origin"] == "*"
    data = response.json
    _check(data, spec["paths"]["/api/search"]["get"]["responses"]["200"]["content"]["application/json"]["schema"], spec)
    assert data["filters"] == {"theme": ["polarisatie"]} and data["page_size"] == 2 and len(data["hits"]) <= 2
    assert any(c["value"] == "polarisatie" and c["selected"] for c in data["facets"]["theme"])
    hit = data["hits"][0]
    assert hit["links"]["html"] == f"/doc/{hit['id']}" and client.get(hit["links"]["api"]).status_code == 200
    assert client.get("/search.json?q=polarization&theme=polarisatie&size=2").json["total"] == data["total"]


def test_api_paging_links(client) -> None:
    data = client.get("/api/search?q=&sort=added&size=3").json
    assert data["page_count"] >= 3 and "prev" not in data["links"]
    second = client.get(data["links"]["next"]).json
    assert second["page"] == 2 and "prev" in second["links"]


def test_api_document_answers_as_described(client) -> None:
    spec = client.get("/api/openapi.json").json
    doc_url = _first_doc_url(client, "nonlinear")
    data = client.get("/api/documents/" + doc_url.rsplit("/", 1)[1] + "?q=nonlinear").json
    _check(data, spec["paths"]["/api/documents/{id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"], spec)
    assert data["passages"] and any(f["match"] for f in data["passages"][0]["fragments"])
    assert data["citations"]["bibtex"].startswith("@") and data["related"]
    missing = client.get("/api/documents/000000000000")
    assert missing.status_code == 404 and missing.json["status"] == 404
    bad = client.get('/api/search?q=jaar:2022..2019')
    assert bad.status_code == 400
    _check(bad.json, spec["components"]["schemas"]["Error"], spec)


def test_search_feed_is_atom_of_the_same_search(client) -> None:
    response = client.get("/search.atom?q=polarization&theme=polarisatie")
    assert response.mimetype == "application/atom+xml"
    feed = feedparser.parse(response.data)
    assert not feed.bozo
    api = client.get("/api/search?q=polarization&theme=polarisatie&sort=added&size=20").json
    assert [entry.link for entry in feed.entries] == [f"http://localhost/doc/{hit['id']}" for hit in api["hits"]]
    page = _text(client.get("/?q=polarization&theme=polarisatie"))
    subscribe = re.search(r'<a class="subscribe" href="([^"]+)"', page).group(1)
    assert html.unescape(subscribe) == "/search.atom?q=polarization&theme=polarisatie"
    assert '<link rel="alternate" type="application/atom+xml" href="/search.atom?q=polarization&amp;theme=polarisatie"' in page


# -- the page cache --------------------------------------------------------------------------------


def test_the_site_sees_a_new_document_without_a_restart(writable_sample: Path) -> None:
    needs_corpus()
    app = create_app(Settings(library=writable_sample))
    client = app.test_client()
    title = "Woonfraude in Nederland"
    before = _text(client.get("/?q=statushouders"))
    assert title not in before
    assert _text(client.get("/?q=statushouders")) == before  # served from the cache
    assert app.extensions["kenniskamer"].cache.hits >= 1
    report = run(Library.open(writable_sample), [str(HTML_FILE)], AddOptions(jobs=1))
    assert not report.failed
    client.get("/?q=statushouders")  # right after the commit: maybe old, but not kept
    time.sleep(FRESHNESS_SECONDS + 0.2)
    after = _text(client.get("/?q=statushouders"))
    assert title in after
    assert _total(after) == _total(before) + 1


def test_the_page_cache_forgets_everything_when_the_library_changes(tmp_path: Path) -> None:
    (tmp_path / "index").mkdir()
    cache = PageCache(tmp_path, size=2, settle=0.3)
    generation = cache.generation()
    assert cache.get("a") is None
    cache.put("a", b"page a", generation)
    assert cache.get("a") == b"page a"
    (tmp_path / "index" / "_MAIN_2.toc").write_bytes(b"a new commit")
    assert cache.get("a") is None  # the index folder changed
    cache.put("a", b"maybe stale", cache.generation())
    assert cache.get("a") is None  # not kept while the engine may still search the old commit
    time.sleep(0.35)
    cache.put("a", b"fresh", cache.generation())
    cache.put("b", b"page b", cache.generation())
    cache.put("c", b"page c", cache.generation())
    assert cache.get("a") is None and cache.get("c") == b"page c"  # at most two pages


def test_the_cache_can_be_turned_off(settings: Settings) -> None:
    app = create_app(settings, page_cache=0)
    client = app.test_client()
    for _ in range(2):
        assert client.get("/?q=polarization").status_code == 200
    assert app.extensions["kenniskamer"].cache.hits == 0


def test_the_same_page_asked_at_once_is_rendered_once(sample_library: Path) -> None:
    app = create_app(Settings(library=sample_library))
    engine = app.extensions["kenniskamer"].engine
    real, calls, statuses = engine.search, [], []

    def slow(query):
        calls.append(query.text)
        time.sleep(0.3)
        return real(query)

    engine.search = slow
    threads = [threading.Thread(target=lambda: statuses.append(app.test_client().get("/?q=polarization").status_code))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 4 and calls == ["polarization"]
