"""The digest as an e-mail and /nieuw in a real browser (Debian's chromium through Playwright)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _batches import DATES, three_batches
from click.testing import CliRunner
from conftest import ARTIFACTS, serving

from cli import cli

pytestmark = pytest.mark.browser
BASE = "https://kenniskamer.example.org"


@pytest.fixture(scope="module")
def batches(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[list[str]]]:
    return three_batches(tmp_path_factory)


@pytest.fixture(scope="module")
def server(batches, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`kenniskamer serve` on the three-batch library, on a free port of 127.0.0.1."""
    with serving(batches[0], tmp_path_factory.mktemp("server"), ready_path="/nieuw") as url:
        yield url


@pytest.mark.parametrize("width", [360, 700])
def test_html_digest_reads_as_an_email(batches, browser, width: int) -> None:
    root, ids = batches
    result = CliRunner().invoke(cli, ["digest", "--library", str(root), "--since", DATES[1], "--format", "html",
                                      "--base-url", BASE])
    assert result.exit_code == 0
    page = browser.new_page(viewport={"width": width, "height": 900})
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.set_content(result.stdout, wait_until="load")
    assert requests == []  # nothing fetched: no images, fonts, sheets or scripts
    assert page.locator("h1").inner_text() == "Nieuw in de kenniskamer"
    assert page.locator("h3 a").count() == 10
    sections = page.locator("h2").all_inner_texts()
    assert sections[-1] == "Overig (2)"
    # Readable: body text at least 14 px, dark on light, and no sideways scrolling on a phone.
    summary = page.locator("p", has_text="the").first
    assert float(summary.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 14
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    links = page.locator("h3 a").evaluate_all("els => els.map(e => e.href)")
    assert all(link.startswith(f"{BASE}/doc/") for link in links)
    ARTIFACTS.mkdir(exist_ok=True)
    name = "digest.png" if width == 700 else f"digest-{width}.png"
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    page.close()


def test_nieuw_copies_a_week_as_markdown_and_filters_by_theme(server: str, browser) -> None:
    context = browser.new_context(viewport={"width": 1100, "height": 900},
                                  permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    problems: list[str] = []

    def console(message) -> None:
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            problems.append(message.text)

    page.on("console", console)
    page.goto(server + "/nieuw")
    week = page.locator("section.nieuw-week").first
    assert week.locator("h2").inner_text().startswith("Week 45: 3–9 november 2025")
    copy = week.get_by_role("button", name="Kopieer als Markdown")
    assert copy.is_visible()  # nieuw.js ran under the site's CSP and showed the buttons
    copy.click()
    from playwright.sync_api import expect  # imported here like test_browser.py: only browser runs need it

    expect(week.locator(".nieuw-status")).to_have_text("Gekopieerd; plak het in de nieuwsbrief.")
    pasted = page.evaluate("navigator.clipboard.readText()")
    assert pasted.startswith("# Nieuw in de kenniskamer\n\n5 nieuwe documenten, toegevoegd van 3 november 2025")
    assert problems == [], problems  # nieuw.js runs under the site's CSP without complaint

    page.evaluate("navigator.clipboard.writeText('')")
    week.get_by_role("button", name="Kopieer als HTML").click()
    for _ in range(50):  # the copy finishes after a fetch
        pasted = page.evaluate("navigator.clipboard.readText()")
        if pasted:
            break
        page.wait_for_timeout(100)
    assert pasted.startswith('<table role="presentation"')  # the source, for an HTML block
    rich = page.evaluate("""async () => {
        const [item] = await navigator.clipboard.read();
        return await (await item.getType("text/html")).text();
    }""")
    assert "<h1 style=" in rich and "/doc/" in rich  # rich text with its inline styles, for an editor
    # Chromium sanitises clipboard HTML inside the page, and the page's CSP reports every style
    # attribute it meets there ("Applying inline style violates ..."). The styles reach the
    # clipboard all the same (above); those reports are the only errors allowed.
    problems[:] = [p for p in problems if not p.startswith("Applying inline style violates")]
    assert problems == [], problems
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "nieuw.png"), full_page=True)

    page.get_by_label("Thema").select_option("populisme")
    page.get_by_role("button", name="Toon").click()
    page.wait_for_url("**/nieuw?theme=populisme")
    themes = page.locator("h3.nieuw-theme").all_inner_texts()
    assert themes and all(text.startswith("Populisme") for text in themes)
    assert problems == [], problems
    context.close()


def test_nieuw_without_javascript_offers_downloads(server: str, browser) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(server + "/nieuw")
    week = page.locator("section.nieuw-week").first
    assert not week.get_by_role("button", name="Kopieer als Markdown").is_visible()
    link = week.get_by_role("link", name="Download als Markdown")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "kenniskamer-2025-W45.md"
    context.close()
