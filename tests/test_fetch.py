"""Fetching: local files and http(s) URLs from a server on 127.0.0.1 started by the test."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SAMPLE, QuietHandler, QuietServer, start_server

import indexer.fetch as fetch_module
from indexer.fetch import expand_locations, fetch, fetch_url, read_file, sniff_mime
from kenniskamer.errors import FetchError

PDF = SAMPLE / "en_czymara2020_threat-to-the-occident_frontiers.pdf"
HTML = b"""<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>Draagvlak voor opvang</title>
<meta name="citation_title" content="Draagvlak voor opvang van vluchtelingen in gemeenten">
<meta name="citation_author" content="Jansen, Anna"><meta name="citation_publication_date" content="2023/05/04">
</head><body><nav><a href="/">Home</a></nav><article><h1>Draagvlak voor opvang van vluchtelingen in gemeenten</h1>
<p>Gemeenten die asielzoekers opvangen merken dat het draagvlak onder inwoners afhangt van de manier waarop
zij betrokken worden. Bewonersavonden, duidelijke afspraken en contact tussen nieuwkomers en buurtbewoners
maken het verschil, zo blijkt uit interviews met wethouders en bewoners in twaalf gemeenten.</p>
<p>Het onderzoek laat zien dat framing in lokale media en de toon van het debat de houding van inwoners
sterk bepalen. Waar de gemeente vroeg en open communiceert, blijft de steun voor opvang groter.</p>
</article><footer>Cookies en privacy</footer></body></html>"""


class _Handler(QuietHandler):
    """Serves a few fixed answers; the content types lie on purpose."""

    def do_GET(self) -> None:
        if self.path.startswith("/download"):  # a PDF behind a URL without .pdf, served as a generic type
            self.send_body(200, PDF.read_bytes(), "application/octet-stream")
        elif self.path == "/artikel":
            self.send_body(200, HTML, "text/plain")
        elif self.path == "/plaatje":
            self.send_body(200, b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "text/html")
        elif self.path == "/verhuisd":
            self.send_response(302)
            self.send_header("Location", "/download?id=1")
            self.end_headers()
        elif self.path == "/groot":
            self.send_response(200)
            self.send_header("Content-Length", str(10**10))
            self.end_headers()
        elif self.path == "/traag":
            time.sleep(3)
            self.send_body(200, HTML, "text/html")
        else:
            self.send_body(404, b"not here", "text/plain")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """A web server on 127.0.0.1 (a free port) for this module; yields its base URL."""
    httpd = start_server(QuietServer(("127.0.0.1", 0), _Handler))
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


# -- the fetch stage -----------------------------------------------------------------------------


def test_a_url_serving_a_pdf_is_a_pdf_whatever_the_server_says(server: str) -> None:
    fetched = fetch_url(f"{server}/download?id=3", allow_private=True)
    assert fetched.mime == "application/pdf"
    assert fetched.content_type == "application/octet-stream"
    assert fetched.data == PDF.read_bytes()
    assert fetched.source == f"{server}/download?id=3"
    assert fetched.filename == "download"


def test_html_is_sniffed_from_the_bytes_and_redirects_are_followed(server: str) -> None:
    assert fetch_url(f"{server}/artikel", allow_private=True).mime == "text/html"
    moved = fetch_url(f"{server}/verhuisd", allow_private=True)
    assert moved.mime == "application/pdf"
    assert moved.source == f"{server}/verhuisd"  # the address the curator gave


def test_loopback_and_private_addresses_need_allow_private(server: str) -> None:
    with pytest.raises(FetchError) as err:
        fetch(f"{server}/artikel")
    assert str(err.value) == (
        f"{server}/artikel points to a private or local address (127.0.0.1); use --allow-private if that is intended."
    )


def test_only_http_and_https(tmp_path: Path) -> None:
    for url in ("ftp://example.org/x.pdf", f"file://{tmp_path}/x.pdf"):
        with pytest.raises(FetchError, match="only http and https addresses can be added"):
            fetch(url)


def test_http_errors_timeouts_and_size_caps_are_one_sentence_with_advice(server: str, monkeypatch) -> None:
    with pytest.raises(FetchError) as err:
        fetch_url(f"{server}/nergens", allow_private=True)
    assert str(err.value) == f"{server}/nergens answered HTTP 404 Not Found; check the address or try later."

    with pytest.raises(FetchError) as err:
        fetch_url(f"{server}/traag", allow_private=True, timeout=0.5)
    assert str(err.value) == f"{server}/traag did not answer within 0.5 s; try again later."

    with pytest.raises(FetchError) as err:  # refused on its Content-Length, before downloading
        fetch_url(f"{server}/groot", allow_private=True)
    assert str(err.value) == f"{server}/groot is larger than the 200 MB limit; download it and split it first."

    monkeypatch.setattr(fetch_module, "MAX_BYTES", 1000)
    with pytest.raises(FetchError, match="is larger than the 1000 bytes limit"):
        fetch_url(f"{server}/download?id=4", allow_private=True)


def test_an_unreachable_host_says_so() -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FetchError) as err:
        fetch_url(f"http://127.0.0.1:{port}/rapport.pdf", allow_private=True, timeout=5)
    assert str(err.value).startswith(f"http://127.0.0.1:{port}/rapport.pdf cannot be reached (")
    assert str(err.value).endswith("); check the address or your connection.")
    with pytest.raises(FetchError, match="the host .* cannot be found; check the address"):
        fetch("https://nonexistent.invalid/rapport.pdf")


def test_local_files(tmp_path: Path) -> None:
    assert read_file(PDF).source == str(PDF.resolve())
    with pytest.raises(FetchError, match="does not exist; check the path"):
        read_file(tmp_path / "nothing.pdf")
    with pytest.raises(FetchError, match="is a folder"):
        read_file(tmp_path)


def test_folders_expand_recursively_with_globs_and_skip_hidden_files(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / ".git").mkdir()
    for name in ("a/x.pdf", "a/b/y.html", "a/b/z.txt", ".git/w.pdf", "a/.hidden.pdf"):
        (tmp_path / name).write_bytes(b"")
    found = list(expand_locations([str(tmp_path), "# a comment", "", "https://example.org/r.pdf"], pattern="*.pdf,*.html"))
    assert found == [str(tmp_path / "a" / "b" / "y.html"), str(tmp_path / "a" / "x.pdf"), "https://example.org/r.pdf"]


def test_sniffing_uses_magic_bytes_not_names() -> None:
    assert sniff_mime(b"   %PDF-1.7\n") == "application/pdf"
    assert sniff_mime(b"\xef\xbb\xbf<!DOCTYPE html><p>x") == "text/html"
    assert sniff_mime(b'<?xml version="1.0"?><rss></rss>') is None
    assert sniff_mime(b"Gewoon een tekstbestand.") is None


# -- through the command line --------------------------------------------------------------------


def test_add_a_url_stores_the_fetched_bytes_with_the_url_as_source(invoke, library_path: Path, server: str) -> None:
    url = f"{server}/download?id=5"
    result = invoke("add", url, f"{server}/artikel", "--allow-private", "--library", library_path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("added ") == 2
    listed = {d["source"]: d for d in json.loads(invoke("list", "--json", "--library", library_path).stdout)}
    assert set(listed) == {url, f"{server}/artikel"}
    shown = json.loads(invoke("show", listed[url]["id"], "--json", "--library", library_path).stdout)
    assert shown["source"] == url and shown["mime"] == "application/pdf"
    assert Path(shown["original"]).read_bytes() == PDF.read_bytes()
    assert Path(shown["original"]).suffix == ".pdf"
    page = json.loads(invoke("show", listed[f"{server}/artikel"]["id"], "--json", "--library", library_path).stdout)
    assert page["title"] == "Draagvlak voor opvang van vluchtelingen in gemeenten"
    assert page["authors"] == ["Anna Jansen"] or page["authors"] == ["Jansen, Anna"]
    assert page["language"] == "nl"
    found = json.loads(invoke("search", "bewonersavonden", "--json", "--library", library_path).stdout)
    assert found["hits"][0]["url"] == f"{server}/artikel"


def test_bad_urls_are_one_line_each_and_the_batch_goes_on(invoke, library_path: Path, server: str) -> None:
    result = invoke(
        "add", f"{server}/nergens", f"{server}/plaatje", f"{server}/artikel", f"{server}/artikel",
        "--allow-private", "--library", library_path,
    )
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert f"failed: {server}/nergens: {server}/nergens answered HTTP 404 Not Found; check the address or try later." in lines
    assert any(line.startswith(f"failed: {server}/plaatje: Unsupported type: this is a PNG image;") for line in lines)
    assert any(line.startswith(f"duplicate: {server}/artikel: already in the library as ") for line in lines)
    assert lines[-1].startswith("added 1, duplicates 1, failed 2,")
    assert len(lines) == 4
