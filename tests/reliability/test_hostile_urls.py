"""URLs that try to lead ingestion somewhere it should not go: refused in one line, never followed.

A test server on 127.0.0.1 is itself a private address, so these tests let one address count
as public: 127.0.0.2 (on Linux the whole of 127.0.0.0/8 is loopback). The "public" server there
redirects to the "internal" servers on 127.0.0.1 and [::1], on the same port, which record every
request they get. A refusal must come before any request reaches them.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import QuietHandler, QuietServer, start_server

import indexer.fetch as fetch_module
from indexer.fetch import fetch_url
from kenniskamer.errors import FetchError

PUBLIC = ipaddress.ip_address("127.0.0.2")
PAGE = b"""<!doctype html><html lang="en"><head><title>Public page</title></head><body><article>
<p>Public support for refugees depends on how the media frame the arrival of asylum seekers.</p>
</article></body></html>"""


class _Handler(QuietHandler):
    """/to/CODE?TARGET redirects there with that status; /page is a page; anything else a secret."""

    server: _Server

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        path, _, query = self.path.partition("?")
        if path.startswith("/to/"):
            self.send_response(int(path[4:]))
            self.send_header("Location", urllib.parse.unquote(query))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_body(200, PAGE if path == "/page" else b"<html><body><p>internal secret</p></body></html>", "text/html")


class _Server(QuietServer):
    requests: list[str]


class _Server6(_Server):
    address_family = socket.AF_INET6


@dataclass
class Servers:
    port: int
    public: str  # base URL on 127.0.0.2
    internal: _Server  # 127.0.0.1, same port
    internal6: _Server | None  # [::1], same port, when IPv6 is there
    started: list[_Server] = field(default_factory=list)

    def internal_requests(self) -> list[str]:
        return self.internal.requests + (self.internal6.requests if self.internal6 else [])

    def to(self, target: str, code: int = 302) -> str:
        """A URL on the public server that redirects to ``target``."""
        return f"{self.public}/to/{code}?{urllib.parse.quote(target, safe='')}"


def _start(server: _Server) -> _Server:
    server.requests = []
    start_server(server)
    return server


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    """The public server on 127.0.0.2 and the internal ones on 127.0.0.1 and [::1], all on one port."""
    internal = _start(_Server(("127.0.0.1", 0), _Handler))
    port = internal.server_address[1]
    try:
        public = _start(_Server((str(PUBLIC), port), _Handler))
    except OSError as err:
        internal.shutdown()
        internal.server_close()
        pytest.skip(f"cannot listen on {PUBLIC} ({err}); these tests need 127.0.0.0/8 on loopback, as on Linux")
    try:
        internal6: _Server | None = _start(_Server6(("::1", port), _Handler))
    except OSError:
        internal6 = None
    running = [s for s in (internal, public, internal6) if s is not None]
    yield Servers(port, f"http://{PUBLIC}:{port}", internal, internal6, running)
    for server in running:
        server.shutdown()
        server.server_close()


@pytest.fixture
def public_only(servers: Servers, monkeypatch: pytest.MonkeyPatch) -> Servers:
    """Only 127.0.0.2 counts as a public address; the request logs start empty."""
    monkeypatch.setattr(fetch_module, "_is_public", lambda address: address == PUBLIC)
    for server in servers.started:
        server.requests.clear()
    return servers


def test_the_public_server_is_reachable(public_only: Servers) -> None:
    """Without this, the refusals below would prove nothing."""
    fetched = fetch_url(f"{public_only.public}/page")
    assert fetched.data == PAGE and fetched.mime == "text/html"
    moved = fetch_url(public_only.to(f"{public_only.public}/page", 301))
    assert moved.data == PAGE
    assert public_only.internal_requests() == []


PRIVATE_TARGETS = {  # name: (target URL with {port}, the address the refusal names)
    "loopback": ("http://127.0.0.1:{port}/secret", "127.0.0.1"),
    "localhost": ("http://localhost:{port}/secret", None),  # whichever address the name has first
    "decimal loopback": ("http://2130706433:{port}/secret", "127.0.0.1"),
    "any address": ("http://0.0.0.0:{port}/secret", "0.0.0.0"),
    "IPv6 loopback": ("http://[::1]:{port}/secret", "::1"),
    "IPv4-mapped loopback": ("http://[::ffff:127.0.0.1]:{port}/secret", "::ffff:127.0.0.1"),
    "private network": ("http://10.0.0.1/secret", "10.0.0.1"),
    "cloud metadata": ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
}


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("name", PRIVATE_TARGETS)
def test_a_redirect_to_a_private_address_is_refused(public_only: Servers, name: str, code: int) -> None:
    target, address = PRIVATE_TARGETS[name]
    target = target.format(port=public_only.port)
    if address is None:
        address = socket.getaddrinfo("localhost", public_only.port, proto=socket.IPPROTO_TCP)[0][4][0]
    url = public_only.to(target, code)
    with pytest.raises(FetchError) as err:
        fetch_url(url, timeout=5)
    assert str(err.value) == (
        f"{url} redirects to {target}, a private or local address ({address}); use --allow-private if that is intended."
    )
    assert public_only.internal_requests() == []


def test_a_private_address_two_redirects_away_is_refused(public_only: Servers) -> None:
    secret = f"http://127.0.0.1:{public_only.port}/secret"
    second = public_only.to(secret, 307)
    with pytest.raises(FetchError) as err:
        fetch_url(public_only.to(second), timeout=5)
    assert str(err.value).startswith(f"{second} redirects to {secret}, a private or local address (127.0.0.1);")
    assert public_only.internal_requests() == []


def test_a_scheme_relative_redirect_to_a_private_address_is_refused(public_only: Servers) -> None:
    url = public_only.to(f"//127.0.0.1:{public_only.port}/secret")
    with pytest.raises(FetchError, match=r"redirects to http://127\.0\.0\.1:\d+/secret, a private or local address"):
        fetch_url(url, timeout=5)
    assert public_only.internal_requests() == []


SCHEMES = ["file:///etc/passwd", "file://localhost/etc/passwd", "FILE:///etc/passwd", "ftp://127.0.0.1/x.pdf",
           "gopher://127.0.0.1:70/", "data:text/html,<p>x</p>", "jar:file:///x.jar!/", "javascript:alert(1)"]


@pytest.mark.parametrize("allow_private", [False, True], ids=["default", "allow-private"])
@pytest.mark.parametrize("target", SCHEMES)
def test_a_redirect_to_another_scheme_is_refused_even_with_allow_private(
    public_only: Servers, target: str, allow_private: bool
) -> None:
    url = public_only.to(target)
    with pytest.raises(FetchError) as err:
        fetch_url(url, allow_private=allow_private, timeout=5)
    scheme = target.split(":", 1)[0].lower()
    assert str(err.value) == f"{url} redirects to {target}; only http and https addresses are followed, not {scheme}:."
    assert public_only.internal_requests() == []


def test_a_name_that_turns_private_after_the_check_is_refused(
    public_only: Servers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the name is public when checked and private a moment later, when connecting."""
    real = socket.getaddrinfo
    answers = iter([str(PUBLIC)])

    def rebinding(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        if host == "rebinding.test":
            host = next(answers, "127.0.0.1")
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    url = f"http://rebinding.test:{public_only.port}/page"
    with pytest.raises(FetchError) as err:
        fetch_url(url, timeout=5)
    assert str(err.value) == (
        f"{url} points to a private or local address (127.0.0.1); use --allow-private if that is intended."
    )
    assert public_only.internal_requests() == []


def test_add_refuses_a_redirect_to_a_file_in_one_line(invoke, library_path: Path, servers: Servers) -> None:
    """Through the command line, with --allow-private (the server is on 127.0.0.1): file: stays refused."""
    local = f"http://127.0.0.1:{servers.port}"
    url = f"{local}/to/302?{urllib.parse.quote('file:///etc/passwd', safe='')}"
    result = invoke("add", url, f"{local}/page", "--allow-private", "--library", library_path)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == (
        f"failed: {url}: {url} redirects to file:///etc/passwd; only http and https addresses are followed, not file:."
    )
    assert lines[-1].startswith("added 1, duplicates 0, failed 1")
    assert len(lines) == 2
    listed = json.loads(invoke("list", "--json", "--library", library_path).stdout)
    assert [doc["source"] for doc in listed] == [f"{local}/page"]


def test_add_refuses_a_private_url_without_allow_private(invoke, library_path: Path, servers: Servers) -> None:
    url = f"http://127.0.0.1:{servers.port}/page"
    servers.internal.requests.clear()
    result = invoke("add", url, "--library", library_path)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"failed: {url}: {url} points to a private or local address (127.0.0.1); use --allow-private if that is intended."
    )
    assert servers.internal.requests == []
