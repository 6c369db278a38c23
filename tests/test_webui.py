"""The web site through Flask's test client, on the sample library."""

from __future__ import annotations

import re

import pytest

from kenniskamer.config import Settings
from webui import create_app


@pytest.fixture
def client(settings: Settings):
    app = create_app(settings)
    app.testing = True
    return app.test_client()


def test_search_page_shows_hits_with_highlighted_passages_and_page_links(client) -> None:
    response = client.get("/?q=nonlinear")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="nl">' in html
    assert "Breaking free from linear assumptions" in html
    assert "<mark>nonlinear</mark>" in html
    links = re.findall(r'href="(/doc/[0-9a-f]{12}/original#page=(\d+))"', html)
    assert ("5") in [page for _, page in links]


def test_page_link_serves_the_pdf_inline(client) -> None:
    html = client.get("/?q=nonlinear").get_data(as_text=True)
    link = re.search(r'href="(/doc/[0-9a-f]{12}/original)#page=5"', html).group(1)
    with client.get(link) as response:
        assert response.status_code == 200
        assert response.mimetype == "application/pdf"
        assert response.headers["Content-Disposition"].startswith("inline")
        assert response.data.startswith(b"%PDF-")


def test_document_page_shows_metadata_and_matching_passages(client) -> None:
    html = client.get("/?q=nonlinear").get_data(as_text=True)
    doc_url = re.search(r'href="(/doc/[0-9a-f]{12})\?q=nonlinear"', html).group(1)
    page = client.get(doc_url + "?q=nonlinear").get_data(as_text=True)
    assert "<h1>Breaking free from linear assumptions" in page
    assert "<mark>nonlinear</mark>" in page
    assert "#page=5" in page


def test_english_switch(client) -> None:
    html = client.get("/?q=refugees&lang=en").get_data(as_text=True)
    assert '<html lang="en">' in html and "results" in html


def test_bad_query_is_a_400_page_with_the_message(client) -> None:
    response = client.get('/?q="unclosed')
    assert response.status_code == 400
    assert "A quote is not closed" in response.get_data(as_text=True)


def test_unknown_filter_is_400(client) -> None:
    response = client.get("/?q=x&colour=red")
    assert response.status_code == 400
    assert "Unknown parameter" in response.get_data(as_text=True)


def test_unknown_document_is_404_in_the_site_layout(client) -> None:
    response = client.get("/doc/000000000000")
    assert response.status_code == 404
    assert "No document with id" in response.get_data(as_text=True)
    assert 'class="top"' in response.get_data(as_text=True)


def test_security_headers(client) -> None:
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]
