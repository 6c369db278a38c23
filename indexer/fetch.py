"""Fetch: the only stage that touches disk or network. Bytes in, type sniffed from them."""

from __future__ import annotations

import fnmatch
import functools
import http.client
import ipaddress
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator
from email.message import Message
from pathlib import Path
from typing import Any

from kenniskamer.errors import FetchError
from kenniskamer.models import Fetched

MAX_BYTES = 200 * 1024 * 1024  # larger files are refused, not truncated
URL_TIMEOUT = 30.0  # seconds, per network operation
USER_AGENT = "kenniskamer/0.1 (+knowledge room ingestion)"

_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<meta", b"<title", b"<div", b"<p>", b"<article")


def sniff_mime(data: bytes) -> str | None:
    """The type of these bytes from their content: ``application/pdf``, ``text/html`` or None."""
    head = data[:4096]
    if b"%PDF-" in data[:1024]:
        return "application/pdf"
    if head.startswith((b"\xfe\xff", b"\xff\xfe")) or _looks_utf16(head):  # compare without the zero bytes
        head = head.replace(b"\x00", b"")
    lowered = head.lower().lstrip(b"\xef\xbb\xbf \t\r\n")
    if lowered.startswith(b"<?xml") and b"<html" not in lowered:
        return None
    if any(marker in lowered for marker in _HTML_MARKERS):
        return "text/html"
    return None


def _looks_utf16(head: bytes) -> bool:
    """UTF-16 without a byte order mark: ASCII text with a zero byte before or after every character."""
    sample = head[:512]
    if len(sample) < 16:
        return False
    even, odd = sample[0::2], sample[1::2]
    return even.count(0) > 0.9 * len(even) or odd.count(0) > 0.9 * len(odd)


def describe_unknown(data: bytes) -> str:
    """A short name for bytes of a type kenniskamer does not read, for error messages."""
    if not data:
        return "an empty file"
    signatures = {
        b"PK\x03\x04": "a ZIP/Office file (.docx, .xlsx, .epub?)",
        b"\xd0\xcf\x11\xe0": "an old Office file (.doc, .xls)",
        b"\x89PNG": "a PNG image",
        b"\xff\xd8\xff": "a JPEG image",
        b"GIF8": "a GIF image",
        b"{\\rtf": "an RTF file",
    }
    for magic, name in signatures.items():
        if data.startswith(magic):
            return name
    try:
        data[:4096].decode("utf-8")
    except UnicodeDecodeError:
        return "a binary file of unknown type"
    return "plain text"


def is_url(location: str) -> bool:
    """True if the location looks like a URL rather than a path."""
    return "://" in location[:16]


def fetch(location: str, *, allow_private: bool = False, timeout: float = URL_TIMEOUT) -> Fetched:
    """Read a local file or an http(s) URL."""
    if is_url(location):
        return fetch_url(location, allow_private=allow_private, timeout=timeout)
    return read_file(Path(location))


def read_file(path: Path) -> Fetched:
    """Read a local file and sniff its type."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise FetchError(f"{path} is {_size(size)}, more than the {_size(MAX_BYTES)} limit; split it first.")
        data = path.read_bytes()
    except FileNotFoundError as err:
        raise FetchError(f"{path} does not exist; check the path.") from err
    except IsADirectoryError as err:
        raise FetchError(f"{path} is a folder; give the folder itself to `add` to add what is in it.") from err
    except PermissionError as err:
        raise FetchError(f"{path} cannot be read (permission denied); check its permissions.") from err
    except OSError as err:
        raise FetchError(f"{path} cannot be read: {err.strerror or err}.") from err
    return Fetched(data=data, mime=sniff_mime(data) or "", source=str(path.resolve()), filename=path.name)


def _check_url(url: str, *, allow_private: bool, via: str | None = None) -> None:
    """Refuse a URL that is not http(s), or whose host has a private or local address (unless allowed).

    ``via`` is the address that redirected to ``url``; the message then names both.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https"):
        scheme = parts.scheme or "this"
        if via:
            raise FetchError(f"{via} redirects to {url}; only http and https addresses are followed, not {scheme}:.")
        raise FetchError(f"{url}: only http and https addresses can be added, not {scheme}:.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as err:
        raise FetchError(f"{url} has an invalid port number; check the address.") from err
    if not parts.hostname:
        raise FetchError(f"{url} has no host name; check the address.")
    if not allow_private:
        _public_addresses(parts.hostname, port, url=url, via=via)


def _public_addresses(host: str, port: int, *, url: str, via: str | None = None) -> list[str]:
    """The addresses of ``host``; FetchError if it cannot be found or any address is private or local."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as err:
        raise FetchError(f"{url}: the host {host} cannot be found; check the address.") from err
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    for address in addresses:
        if not _is_public(ipaddress.ip_address(address)):
            where = f"{via} redirects to {url}, a" if via else f"{url} points to a"
            raise FetchError(f"{where} private or local address ({address}); use --allow-private if that is intended.")
    return addresses


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for an address on the public internet; an IPv6 form of a local IPv4 address is local too."""
    if isinstance(address, ipaddress.IPv6Address):
        packed = address.packed
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and packed[:12] == bytes(12):  # IPv4-compatible, ::a.b.c.d
            embedded = ipaddress.IPv4Address(packed[12:])
        if embedded is not None and not embedded.is_global:
            return False
    return address.is_global


def _connect_checked(
    url: str, address: tuple[str, int], timeout: float | None, source_address: tuple[str, int] | None = None
) -> socket.socket:
    """A connection to one of the host's addresses, each checked on the same lookup that found it.

    Checked on one lookup and connected on another, a name could answer a public address first
    and a private one a moment later (DNS rebinding).
    """
    host, port = address
    error: OSError | None = None
    for checked in _public_addresses(host, port, url=url):
        try:
            return socket.create_connection((checked, port), timeout, source_address)
        except OSError as err:
            error = err
    raise error or OSError(f"no address for {host}")


def _checked_connection(connection_class: type[http.client.HTTPConnection], req: urllib.request.Request) -> Any:
    """``connection_class``, connecting only to checked addresses.

    Through a proxy (the user's own setting) it connects to the proxy; the target's name was checked before.
    """
    if req.has_proxy() or getattr(req, "_tunnel_host", None):
        return connection_class

    def connection(host: str, **kwargs: Any) -> http.client.HTTPConnection:
        made = connection_class(host, **kwargs)
        made._create_connection = functools.partial(_connect_checked, req.full_url)  # type: ignore[attr-defined]
        return made

    return connection


class _CheckedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_checked_connection(http.client.HTTPConnection, req), req)


class _CheckedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        context = self._context  # type: ignore[attr-defined]
        return self.do_open(_checked_connection(http.client.HTTPSConnection, req), req, context=context)


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """Follows redirects only to http(s) addresses that pass the same check, and says where they went."""

    def __init__(self, allow_private: bool):
        self.allow_private = allow_private

    def http_error_302(self, req, fp, code, msg, headers):  # type: ignore[no-untyped-def]
        location = headers.get("Location") or headers.get("URI")
        if location:  # checked before urllib looks at it: it refuses file: with a confusing HTTP error
            try:
                _check_url(urllib.parse.urljoin(req.full_url, location.strip()), allow_private=self.allow_private,
                           via=req.full_url)
            except FetchError:
                fp.close()
                raise
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def _size(count: int) -> str:
    """A byte count for people: 200 MB, 512 KB, 10 bytes."""
    if count >= 2**20:
        return f"{count / 2**20:.0f} MB"
    if count >= 2**10:
        return f"{count / 2**10:.0f} KB"
    return f"{count} bytes"


def fetch_url(url: str, *, allow_private: bool = False, timeout: float = URL_TIMEOUT) -> Fetched:
    """Download an http(s) URL (size-capped, redirects checked) and sniff its type from the bytes."""
    _check_url(url, allow_private=allow_private)
    checked = [] if allow_private else [_CheckedHTTPHandler(), _CheckedHTTPSHandler()]
    opener = urllib.request.build_opener(_CheckedRedirects(allow_private), *checked)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "text/html,application/pdf,*/*"})
    too_large = f"{url} is larger than the {_size(MAX_BYTES)} limit; download it and split it first."
    try:
        with opener.open(request, timeout=timeout) as response:
            final_url = response.geturl()
            headers: Message = response.headers
            declared = headers.get("Content-Length", "")
            if declared.strip().isdigit() and int(declared) > MAX_BYTES:
                raise FetchError(too_large)  # refused before downloading
            data = response.read(MAX_BYTES + 1)
    except FetchError:
        raise
    except urllib.error.HTTPError as err:
        raise FetchError(f"{url} answered HTTP {err.code} {err.reason}; check the address or try later.") from err
    except urllib.error.URLError as err:
        reason = err.reason
        if isinstance(reason, FetchError):
            raise reason from err
        if isinstance(reason, TimeoutError):
            raise FetchError(f"{url} did not answer within {timeout:g} s; try again later.") from err
        raise FetchError(f"{url} cannot be reached ({reason}); check the address or your connection.") from err
    except TimeoutError as err:
        raise FetchError(f"{url} did not answer within {timeout:g} s; try again later.") from err
    except (OSError, http.client.HTTPException) as err:
        raise FetchError(f"{url} cannot be read ({type(err).__name__}: {err}); try again later.") from err
    if len(data) > MAX_BYTES:
        raise FetchError(too_large)
    parts = urllib.parse.urlsplit(final_url)
    name = Path(urllib.parse.unquote(parts.path)).name or parts.hostname or "page"
    return Fetched(
        data=data, mime=sniff_mime(data) or "", source=url, filename=name, content_type=headers.get_content_type()
    )


def expand_locations(locations: Iterable[str], *, pattern: str = "*") -> Iterator[str]:
    """Paths and URLs with every folder replaced by the files in it (recursively, sorted).

    ``pattern`` picks files from folders by name; several are separated by commas
    (``*.pdf,*.html``). Hidden files and folders are skipped.
    """
    patterns = [p.strip() for p in pattern.split(",") if p.strip()] or ["*"]
    for location in locations:
        location = location.strip()
        if not location or location.startswith("#"):
            continue
        if is_url(location):
            yield location
            continue
        path = Path(location).expanduser()
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in child.relative_to(path).parts)
                if child.is_file() and not hidden and any(fnmatch.fnmatch(child.name, p) for p in patterns):
                    yield str(child)
        else:
            yield str(path)
