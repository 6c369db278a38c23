"""HTML extraction: encodings, main text, head metadata, titles, hostile and broken input."""

from __future__ import annotations

import csv
import json
import socket
from pathlib import Path

import pytest
from rapidfuzz import fuzz

import indexer.html
from indexer.html import extract_html
from indexer.html import main as html_main
from indexer.html.decode import decode_html
from indexer.html.title import clean_title
from kenniskamer.errors import ExtractionError
from kenniskamer.models import Extracted
from kenniskamer.text.dates import parse_date

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
BODY = (
    "<p>Het draagvlak voor de opvang van vluchtelingen hangt samen met contact tussen groepen.</p>"
    "<p>Public support for refugees depends on how the media frame migration and integration.</p>"
)


def page(head: str = "", body: str = BODY, *, html_attrs: str = "") -> bytes:
    """A small HTML page with enough body text for trafilatura."""
    return f"<!DOCTYPE html><html{html_attrs}><head>{head}</head><body>{body}</body></html>".encode()


def corpus_file(relative: str) -> bytes:
    """The bytes of a shared corpus file; skip the test when the corpus is absent."""
    path = CORPUS / relative
    if not path.exists():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    return path.read_bytes()


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """htmldate and trafilatura must never fetch anything, not even for a URL argument."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("HTML extraction tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture(scope="module")
def topical() -> dict[str, tuple[str, Extracted]]:
    """Expected title and metadata of each topical HTML file listed in SOURCES.tsv."""
    sources = CORPUS / "SOURCES.tsv"
    if not sources.exists():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    with sources.open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle, delimiter="\t") if row["kind"] == "html"]
    # Titles come from the head and <h1>; skipping trafilatura and htmldate keeps this fast.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(html_main, "_trafilatura_text", lambda tree, url: "main text")
        patch.setattr(indexer.html, "htmldate_date", lambda tree, url: None)
        return {
            row["path"]: (row["title"], extract_html((CORPUS / row["path"]).read_bytes()))
            for row in rows
            if row["path"].startswith("topical/")
        }


# --- metadata sources, one literal page each --------------------------------------------


def test_citation_tags() -> None:
    head = (
        '<meta name="citation_title" content="Refugees Unwelcome?">'
        '<meta name="citation_author" content="Czymara, Christian S.">'
        '<meta name="citation_author" content="Schmidt-Catran, Alexander W.">'
        '<meta name="citation_publication_date" content="2017/08/01">'
        '<meta name="citation_journal_title" content="European Sociological Review">'
        '<meta name="citation_abstract" content="&lt;p&gt;We study acceptance &amp;amp; change.&lt;/p&gt;">'
        '<meta name="citation_language" content="en">'
        '<meta property="og:title" content="Not this one"><title>Nor this | Journal</title>'
    )
    result = extract_html(page(head))
    assert result.title == "Refugees Unwelcome?"
    assert result.authors == ("Czymara, Christian S.", "Schmidt-Catran, Alexander W.")
    assert result.date == "2017-08-01"
    assert result.publisher == "European Sociological Review"
    assert result.summary == "We study acceptance & change."
    assert result.language_hint == "en"
    assert result.doc_type_hint == "ScholarlyArticle"
    assert result.mime == "text/html" and len(result.pages) == 1
    for name in ("title", "authors", "date", "publisher", "summary", "language", "doc_type"):
        assert result.provenance[name] == "metadata"


def test_dublin_core_names_are_case_insensitive() -> None:
    head = (
        '<meta name="DC.title" content="Draagvlak voor opvang">'
        '<meta name="dc.Creator" content="Jansen, A.; De Vries, B.">'
        '<meta name="DCTERMS.issued" content="2018-05">'
        '<meta name="DC.publisher" content="Kennisplatform Inclusief Samenleven">'
        '<meta name="DC.language" content="nl">'
        '<meta name="dcterms.abstract" content="Een studie naar draagvlak.">'
        '<meta property="og:title" content="Lower priority">'
    )
    result = extract_html(page(head))
    assert result.title == "Draagvlak voor opvang"
    assert result.authors == ("Jansen, A.", "De Vries, B.")
    assert result.date == "2018-05"
    assert result.publisher == "Kennisplatform Inclusief Samenleven"
    assert result.language_hint == "nl"
    assert result.summary == "Een studie naar draagvlak."


def test_opengraph_with_site_suffix() -> None:
    head = (
        '<meta property="og:title" content="Obama admits US gun laws are his biggest frustration - BBC News">'
        '<meta property="og:site_name" content="BBC News">'
        '<meta property="og:type" content="article">'
        '<meta property="og:description" content="The president speaks to the BBC.">'
        '<meta property="article:published_time" content="2015-07-24T05:36:09+01:00">'
        '<meta property="article:author" content="Jon Sopel">'
        '<meta property="article:author" content="https://www.facebook.com/bbcnews">'
    )
    result = extract_html(page(head))
    assert result.title == "Obama admits US gun laws are his biggest frustration"
    assert result.publisher == "BBC News"
    assert result.doc_type_hint == "article"
    assert result.summary == "The president speaks to the BBC."
    assert result.date == "2015-07-24"
    assert result.authors == ("Jon Sopel",)
    assert result.provenance["title"] == "metadata"


ARTICLE = {
    "@type": "ScholarlyArticle",
    "headline": "Framing effects in the wild",
    "author": [{"@type": "Person", "name": "Nicolai Berk"}, {"@type": "Person", "name": "A. Co-Author"}],
    "datePublished": "2022-09-02T10:00:00Z",
    "publisher": {"@id": "#org"},
    "description": "Does news framing affect public opinion?",
    "inLanguage": "en-GB",
    "keywords": "framing, public opinion",
}
ORGANIZATION = {"@type": "Organization", "@id": "#org", "name": "EPSA"}
BREADCRUMBS = {"@type": "BreadcrumbList", "name": "Home > Papers"}


@pytest.mark.parametrize(
    "payload",
    [
        {"@context": "https://schema.org", **ARTICLE, "publisher": ORGANIZATION},
        [BREADCRUMBS, ORGANIZATION, ARTICLE],
        {"@context": "https://schema.org", "@graph": [BREADCRUMBS, ORGANIZATION, ARTICLE]},
    ],
    ids=["object", "list", "graph"],
)
def test_json_ld(payload: object) -> None:
    script = f'<script type="application/ld+json">//<![CDATA[\n{json.dumps(payload)}\n//]]></script>'
    result = extract_html(page(script + '<meta property="og:title" content="Lower priority">'))
    assert result.title == "Framing effects in the wild"
    assert result.authors == ("Nicolai Berk", "A. Co-Author")
    assert result.date == "2022-09-02"
    assert result.publisher == "EPSA"
    assert result.summary == "Does news framing affect public opinion?"
    assert result.language_hint == "en-GB"
    assert result.keywords == ("framing", "public opinion")
    assert result.doc_type_hint == "ScholarlyArticle"
    assert result.provenance["title"] == "metadata"


def test_broken_json_ld_is_skipped() -> None:
    script = '<script type="application/ld+json">{ &#34;@type&#34;: [[[ </script>'
    result = extract_html(page(script + '<meta property="og:title" content="From OpenGraph">'))
    assert result.title == "From OpenGraph"


def test_time_element_and_html_lang_and_h1() -> None:
    time = '<time datetime="2019-03-04T10:00">4 maart</time>'
    body = f"<h1>Contact en ontmoeting</h1><p>Geplaatst {time}.</p>{BODY}"
    result = extract_html(page(body=body, html_attrs=' lang="nl-NL"'))
    assert result.date == "2019-03-04"
    assert result.provenance["date"] == "heuristic"
    assert result.language_hint == "nl-NL"
    assert result.title == "Contact en ontmoeting"
    assert result.provenance["title"] == "heuristic"


def test_date_from_url_never_fetches() -> None:
    head = '<link rel="canonical" href="https://example.org/nieuws/2021/06/15/draagvlak">'
    result = extract_html(page(head), url="https://example.org/nieuws/2021/06/15/draagvlak")
    assert result.date == "2021-06-15"
    assert result.provenance["date"] == "heuristic"


def test_title_suffix_from_repeated_h1() -> None:
    head = "<title>Vluchtelingen welkom? - Opinie - De Krant</title>"
    body = "<h1>Vluchtelingen welkom?</h1>" + BODY
    result = extract_html(page(head, body))
    assert result.title == "Vluchtelingen welkom?"
    assert result.provenance["title"] == "heuristic"


@pytest.mark.parametrize(
    ("title", "sites", "shorter", "expected"),
    [
        ("Obama admits - BBC News", ["bbcnews"], [], "Obama admits"),
        ("Where do relations go?\n - The Washington Post", ["washingtonpost"], [], "Where do relations go?"),
        ("Berlin confronts its past | DW | 19.01.2020", ["dwcom"], [], "Berlin confronts its past"),
        ("Woonfraude - Een Analyse - Bonnies Smarties", ["bonniessmarties"], [], "Woonfraude - Een Analyse"),
        ("U.S.-Israeli relations", ["bbcnews"], [], "U.S.-Israeli relations"),
        ("Yahoo News - Latest News", ["yahoonews"], [], "Yahoo News - Latest News"),
        ("宇航员在太空中喝酒 _探索者 _光明网", [], ["宇航员在太空中喝酒"], "宇航员在太空中喝酒"),
    ],
)
def test_clean_title(title: str, sites: list[str], shorter: list[str], expected: str) -> None:
    assert clean_title(title, sites, shorter) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2015/07/24", "2015-07-24"),
        ("2024-12-06T22:00:40.000Z", "2024-12-06"),
        ("20150724", "2015-07-24"),
        ("24.07.2015", "2015-07-24"),
        ("07/24/2015", "2015-07-24"),
        ("July 24, 2015", "2015-07-24"),
        ("24 juli 2015", "2015-07-24"),
        ("2018-05", "2018-05"),
        ("2015", "2015"),
        ("2015-02-30", None),
        ("Fri Mar 13 21:30:09 EST 2015", None),
        ("soon", None),
    ],
)
def test_iso_date(value: str, expected: str | None) -> None:
    assert parse_date(value) == expected


# --- hostile input ----------------------------------------------------------------------


def test_script_in_title_is_literal_text() -> None:
    result = extract_html(page("<title><script>alert(1)</script> Migratie &amp; media</title>"))
    assert result.title == "<script>alert(1)</script> Migratie & media"


def test_script_in_meta_and_json_ld_becomes_plain_text() -> None:
    ld = {
        "@type": "Article",
        "author": {"name": "<img src=x onerror=alert(2)>Eve"},
        "description": "<b>Bold</b>",
    }
    head = (
        '<meta name="citation_title" content="&lt;script&gt;alert(1)&lt;/script&gt;Draagvlak">'
        f'<script type="application/ld+json">{json.dumps(ld)}</script>'
    )
    body = "<script>var secret = 'leaked';</script>" + BODY
    result = extract_html(page(head, body))
    assert result.title == "alert(1) Draagvlak"
    assert result.authors == ("Eve",)
    assert result.summary == "Bold"
    assert "leaked" not in result.pages[0]


@pytest.mark.parametrize(
    "data",
    [
        page(body='<div id="root"></div><script>renderApp()</script><noscript>Enable JavaScript.</noscript>'),
        b"<html><head><title>Only a title</title></head><body></body></html>",
    ],
    ids=["javascript-app", "empty-body"],
)
def test_page_without_text_is_refused(data: bytes) -> None:
    with pytest.raises(ExtractionError, match="no readable text .*JavaScript.*File > Save as"):
        extract_html(data)


@pytest.mark.parametrize("data", [b"", b"  \n\t", b"<!-- nothing -->"])
def test_empty_input_is_refused(data: bytes) -> None:
    with pytest.raises(ExtractionError, match="File > Save as"):
        extract_html(data)


@pytest.mark.parametrize(
    "data", [bytes(range(256)) * 40, b"\x1f\x8b\x08\x00" + bytes(range(256)) * 8], ids=["binary", "gzip"]
)
def test_binary_input_is_refused(data: bytes) -> None:
    with pytest.raises(ExtractionError, match="binary data"):
        extract_html(data)


def test_deeply_nested_page(monkeypatch: pytest.MonkeyPatch) -> None:
    # The bs4 fallback once inserted marker nodes, which is quadratic in the depth:
    # 20,000 nested <div>s took 71 s. lxml caps depth at 255, bs4 does not.
    monkeypatch.setattr(html_main.trafilatura, "bare_extraction", lambda *args, **kwargs: None)
    data = b"<html><body>" + b"<div>" * 5_000 + b"diep geneste tekst" + b"</div>" * 5_000 + b"</body></html>"
    assert extract_html(data).pages == ("diep geneste tekst",)


def test_fallback_when_trafilatura_finds_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(html_main.trafilatura, "bare_extraction", lambda *args, **kwargs: None)
    body = (
        "<nav>Home Nieuws Contact</nav><header>Kop van de site</header>"
        "<div>Eerste alinea over <b>draagvlak</b>.<p>Tweede alinea.</p>Derde deel.</div>"
        "<footer>Cookies en privacy</footer><script>var x = 1;</script>"
    )
    result = extract_html(page(body=body))
    assert result.pages == ("Eerste alinea over draagvlak.\n\nTweede alinea.\n\nDerde deel.",)


# --- encodings on real files --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("html_charset-declared-gb2312-but-utf8.html", "DeepMind新电脑已可利用记忆自学"),
        ("html_utf16be.html", "𐌓𐌀𐌔𐌍𐌀"),
        ("html_windows-1252.html", "lift £825"),
        ("html_koi8r-no-charset.html", "МОСКВА, 9 янв - РИА Новости"),
        ("html_shift-jis-no-charset.html", "衆院議院運営委員会"),
        ("html_windows-1254-no-charset.html", "Atatürk Orman Çiftliği"),
        ("html_japanese-fairy-tale.html", "欲張りなイヌ"),
        ("html_two-title-tags-chinese.html", "宇航员在太空中喝酒会怎么样"),
        ("html_entities-no-title.html", "&amp;#x1F62D;"),
        ("html_euc-jp-39-bytes.html", "ログイン"),
        ("html_no-title-no-head.html", "AI hasn’t meaningfully changed"),
    ],
)
def test_encodings(name: str, expected: str) -> None:
    assert expected in decode_html(corpus_file(f"robustness/{name}"))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ('<meta charset="iso-8859-1"><p>\x93draagvlak\x94 caf\xe9</p>'.encode("latin-1"), "“draagvlak” café"),
        ('<meta http-equiv="Content-Type" content="text/html; charset=windows-1251"><p>Привет</p>'.encode("cp1251"), "Привет"),
        ('<meta charset="windows-1252"><p>Zoë – één</p>'.encode(), "Zoë – één"),  # declared, but UTF-8
        ("\ufeff<p>Zoë</p>".encode("utf-16-le"), "<p>Zoë</p>"),
        ("<html><p>Zoë en één</p></html>".encode("utf-16-le"), "<p>Zoë en één</p>"),  # no BOM
        (b"<meta charset='utf-16'><p>ASCII only</p>", "<p>ASCII only</p>"),  # impossible label
    ],
    ids=["latin-1-as-cp1252", "declared-cp1251", "utf8-wins", "utf16-bom", "utf16-no-bom", "bogus-utf16"],
)
def test_decode_literal_bytes(data: bytes, expected: str) -> None:
    assert expected in decode_html(data)


def test_encoding_reaches_the_extracted_text() -> None:
    result = extract_html(corpus_file("robustness/html_windows-1254-no-charset.html"))
    assert "Atatürk Orman Çiftliği" in result.pages[0]
    assert result.title == "windows-1254"


def test_every_robustness_page_gives_text_or_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    if not (CORPUS / "robustness").exists():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    # The date is not under test here; htmldate's first free-text search loads dateparser (~1 s).
    monkeypatch.setattr(indexer.html, "htmldate_date", lambda tree, url: None)
    results = {}
    for path in sorted((CORPUS / "robustness").glob("html_*")):
        try:
            results[path.name] = extract_html(path.read_bytes())
        except ExtractionError as err:
            assert "\n" not in str(err)
        else:
            assert results[path.name].pages[0].strip(), path.name
    chinese = results["html_two-title-tags-chinese.html"]
    assert chinese.title == "宇航员在太空中喝酒会怎么样？后果很严重"
    declared_gb2312 = results["html_charset-declared-gb2312-but-utf8.html"]
    assert declared_gb2312.title == "DeepMind新电脑已可利用记忆自学 人工智能迈上新台阶"
    assert "𐌓𐌀𐌔𐌍𐌀" in results["html_utf16be.html"].pages[0]


# --- real topical pages ---------------------------------------------------------------------


def test_titles_match_sources(topical: dict[str, tuple[str, Extracted]]) -> None:
    misses = {
        path: (result.title, expected)
        for path, (expected, result) in topical.items()
        if fuzz.token_set_ratio((result.title or "").lower(), expected.lower()) < 85
    }
    assert len(topical) == 17
    assert not misses, f"{len(topical) - len(misses)}/{len(topical)} titles match; misses: {misses}"


def test_main_text_of_a_news_page() -> None:
    result = extract_html(corpus_file("topical/en_bbc_obama-gun-laws.html"))
    text = result.pages[0]
    assert 'failure to pass "common sense gun safety laws"' in text
    assert "first US president to address the African Union" in text
    boilerplate = ("Skip to content", "Accessibility Help", "CBeebies", "Privacy Policy", "Cookies", "bbccookies")
    assert [snippet for snippet in boilerplate if snippet in text] == []
    assert "\n\n" in text
    assert result.date == "2015-07-24"


def test_main_text_of_a_dutch_page() -> None:
    result = extract_html(corpus_file("topical/nl_smartbonnie_asielsituatie-europees-perspectief.html"))
    text = result.pages[0]
    assert "aanmeldcentrum Ter Apel" in text
    assert "| Nederland | 2023 | 38.185 |" in text  # tables are kept
    assert "Skip to primary navigation" not in text and "Powered by Jekyll" not in text
    assert text.count("\n\n") > 50
    assert result.authors == ("SmartBonnie",)
    assert result.date == "2025-06-25"
    assert result.publisher == "Bonnies Smarties"
    assert result.language_hint == "nl_Nl"  # og:locale as found; enrich normalises it


def test_json_ld_on_a_real_page(topical: dict[str, tuple[str, Extracted]]) -> None:
    _, result = topical["topical/en_korea-impeachment-fails.html"]
    assert result.authors == ("Stella Kim", "Jennifer Jett")
    assert result.doc_type_hint == "NewsArticle"
    assert result.publisher == "NBC News"
    assert result.date == "2024-12-06"
