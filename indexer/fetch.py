"""Fetch: the only stage that touches disk or network. Bytes in, type sniffed from them."""

from __future__ import annotations

import fnmatch
import http.client
import ipaddress
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator
from email.message import Message
from pathlib import Path

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


def _check_host(url: str, *, allow_private: bool) -> None:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchError(f"{url}: only http and https addresses can be added, not {parts.scheme or 'this'}:.")
    if not parts.hostname:
        raise FetchError(f"{url} has no host name; check the address.")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror as err:
        raise FetchError(f"{url}: the host {parts.hostname} cannot be found; check the address.") from err
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise FetchError(
                f"{url} points to a private or local address ({address}); use --allow-private if that is intended."
            )


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """Follows redirects only to http(s) addresses that pass the same host check."""

    def __init__(self, allow_private: bool):
        self.allow_private = allow_private

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        _check_host(newurl, allow_private=self.allow_private)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _size(count: int) -> str:
    """A byte count for people: 200 MB, 512 KB, 10 bytes."""
    if count >= 2**20:
        return f"{count / 2**20:.0f} MB"
    if count >= 2**10:
        return f"{count / 2**10:.0f} KB"
    return f"{count} bytes"


def fetch_url(url: str, *, allow_private: bool = False, timeout: float = URL_TIMEOUT) -> Fetched:
    """Download an http(s) URL (size-capped, redirects checked) and sniff its type from the bytes."""
    _check_host(url, allow_private=allow_private)
    opener = urllib.request.build_opener(_CheckedRedirects(allow_private))
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
