"""The site in a real browser: Playwright driving Debian's chromium against `kenniskamer serve`."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(sample_library: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`kenniskamer serve` (waitress) in a subprocess on a free port of 127.0.0.1."""
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, str(REPO / "cli.py"), "serve", "--port", str(port), "--library", str(sample_library)],
            stdout=output, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                with urllib.request.urlopen(url + "/", timeout=2):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"the server did not start: {log.read_text()}")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is required for the browser tests: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.mark.parametrize("width", [360, 1280])
def test_search_in_the_browser(server: str, browser, width: int) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(server + "/")
    page.get_by_label("Zoek in de kenniskamer").fill("nonlinear")
    page.get_by_role("button", name="Zoeken").click()
    page.wait_for_url("**/?q=nonlinear*")
    first = page.locator("li.hit").first
    assert "Breaking free from linear assumptions" in first.locator("h3").inner_text()
    assert first.locator("mark").first.inner_text().lower() == "nonlinear"
    link = first.locator("a.pageref", has_text="p. 5")
    assert link.get_attribute("href").endswith("/original#page=5")
    page.screenshot(path=str(ARTIFACTS / f"search-{width}.png"), full_page=True)
    page.close()
