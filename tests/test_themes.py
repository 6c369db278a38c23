"""Themes: the theme file and theme matching, on literal texts and on real documents."""

from __future__ import annotations

import html
import re
import time
from pathlib import Path

import pytest

from kenniskamer.errors import KennisError
from kenniskamer.models import ThemeMatch
from kenniskamer.text.prose import fold, term_stems, words
from kenniskamer.themes import Theme, load_themes, match_themes, theme_by_id

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
TOPICAL = CORPUS / "topical"

REQUIRED_THEMES = {
    "draagvlak",
    "polarisatie",
    "framing",
    "effectmeting",
    "morele-drijfveren",
    "narratieven",
    "beeldvorming-media",
    "contact-ontmoeting",
    "campagnes-communicatie",
    "asiel-opvang",
    "integratie",
    "arbeidsmigratie",
    "desinformatie",
}
# Themes that say a document is about migration (all but the generic ones).
MIGRATION_THEMES = {"draagvlak", "asiel-opvang", "integratie", "arbeidsmigratie", "huisvesting", "islam-moslims"}


@pytest.fixture(scope="module")
def themes() -> tuple[Theme, ...]:
    return load_themes()


def ids(matches: tuple[ThemeMatch, ...]) -> list[str]:
    return [match.theme_id for match in matches]


# --- the theme file ------------------------------------------------------------------------


def test_themes_load_with_labels_descriptions_and_terms(themes: tuple[Theme, ...]) -> None:
    assert {theme.id for theme in themes} >= REQUIRED_THEMES
    assert len(themes) <= 18
    assert len({theme.id for theme in themes}) == len(themes)
    for theme in themes:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", theme.id)
        for text in (theme.label_nl, theme.label_en, theme.description_nl, theme.description_en):
            assert text.strip() and "\n" not in text
        assert theme.terms_nl and theme.terms_en
        assert len(theme.weights_nl) == len(theme.terms_nl)
        assert len(theme.weights_en) == len(theme.terms_en)
        assert all(weight > 0 for weight in theme.weights_nl + theme.weights_en)
        assert all(":" not in term for term in theme.terms_nl + theme.terms_en)
        assert theme.label("en") == theme.label_en and theme.label("nl") == theme.label_nl


def test_weights_are_read_from_the_terms(themes: tuple[Theme, ...]) -> None:
    polarisatie = theme_by_id(themes, "polarisatie")
    weights = dict(polarisatie.weighted_terms("nl"))
    assert weights["polarisatie"] == 3.0
    assert all(isinstance(weight, float) for weight in weights.values())


def test_theme_by_id_names_the_valid_ids(themes: tuple[Theme, ...]) -> None:
    assert theme_by_id(themes, "framing").label_nl == "Framing"
    with pytest.raises(KennisError) as err:
        theme_by_id(themes, "klimaat")
    assert "'klimaat'" in str(err.value)
    assert "draagvlak" in str(err.value) and "framing" in str(err.value)


VALID_THEME = """
[[theme]]
id = "framing"
label_nl = "Framing"
label_en = "Framing"
description_nl = "Hoe frames werken."
description_en = "How frames work."
terms_nl = ["framing:3", "frame"]
terms_en = ["framing:3"]
"""


def test_a_small_theme_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "themes.toml"
    path.write_text(VALID_THEME, encoding="utf-8")
    (theme,) = load_themes(path)
    assert theme.terms_nl == ("framing", "frame")
    assert theme.weights_nl == (3.0, 1.0)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (VALID_THEME.replace('terms_en = ["framing:3"]', "terms_en = ["), "TOML syntax error"),
        (VALID_THEME.replace('label_en = "Framing"\n', ""), "label_en"),
        (VALID_THEME.replace('id = "framing"', 'id = "Framing effects"'), "id"),
        (VALID_THEME.replace('"frame"', '"frame:0"'), "weight"),
        (VALID_THEME.replace('"frame"', '"fr*"'), "prefix"),
        (VALID_THEME.replace('terms_en = ["framing:3"]', "terms_en = []"), "terms_en"),
        (VALID_THEME + VALID_THEME, "used twice"),
        ("title = 'no themes'\n", "no [[theme]]"),
        (VALID_THEME.replace('terms_en =', 'colour = "red"\nterms_en ='), "unknown keys colour"),
    ],
)
def test_a_malformed_theme_file_is_a_user_error(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "themes.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KennisError) as err:
        load_themes(path)
    assert str(path) in str(err.value)
    assert problem in str(err.value)


def test_a_missing_theme_file_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(KennisError, match="does not exist"):
        load_themes(tmp_path / "nope.toml")


# --- theme matching ------------------------------------------------------------------------

DUTCH_POLARISATIE = """
Polarisatie in het migratiedebat. Dit onderzoek beschrijft hoe de polarisatie over migratie
in Nederland toeneemt. Gepolariseerde debatten op sociale media versterken het wij tegen zij
denken, en affectieve polarisatie maakt compromissen moeilijker. De verdeeldheid tussen
voor- en tegenstanders groeit; polariserende uitspraken van politici voeden de tweedeling.
Wij bespreken wat gemeenten tegen polarisatie kunnen doen.
"""

ENGLISH_FRAMING = """
Framing effects in immigration news. We study how news frames shape attitudes toward
immigrants. In a survey experiment, respondents read an article that framed immigration
either as an economic threat or as a humanitarian issue. The framing of the story changed
support for admitting refugees: equivalence framing and emphasis framing had different
effects, and episodic frames were more persuasive than thematic ones.
"""

OFF_TOPIC = """
The president's impeachment motion failed on Saturday after lawmakers of the ruling party
walked out of the chamber. Protesters gathered outside the National Assembly in the cold,
and the opposition vowed to try again next week. The won fell against the dollar and stocks
in Seoul slid as investors weighed the political uncertainty.
"""


def test_a_dutch_text_about_polarisatie_gets_polarisatie_with_evidence(themes: tuple[Theme, ...]) -> None:
    matches = match_themes(themes, title="", summary="", text=DUTCH_POLARISATIE, language="nl")
    assert ids(matches)[0] == "polarisatie"
    evidence = matches[0].evidence
    assert evidence["polarisatie"] == 4  # "Polarisatie", "polarisatie" x2, "polarisatie" in "affectieve polarisatie"
    assert evidence["gepolariseerd"] == 1  # "Gepolariseerde": stemmed
    assert evidence["wij tegen zij"] == 1  # a phrase
    assert all(isinstance(count, int) and count > 0 for count in evidence.values())


def test_an_english_text_about_framing_effects_gets_framing(themes: tuple[Theme, ...]) -> None:
    matches = match_themes(themes, title="Framing effects in the news", summary="", text=ENGLISH_FRAMING, language="en")
    assert ids(matches)[0] == "framing"
    evidence = matches[0].evidence
    assert evidence["framing"] >= 5  # framing, frames, framed, framing effects, ... share the stem
    assert "equivalence framing" in evidence


def test_matches_are_ordered_strongest_first(themes: tuple[Theme, ...]) -> None:
    matches = match_themes(themes, title="", summary="", text=ENGLISH_FRAMING + DUTCH_POLARISATIE, language=None)
    scores = [match.score for match in matches]
    assert scores == sorted(scores, reverse=True)
    assert {"framing", "polarisatie"} <= set(ids(matches))


def test_an_off_topic_text_gets_no_theme(themes: tuple[Theme, ...]) -> None:
    assert match_themes(themes, title="Impeachment fails", summary="", text=OFF_TOPIC, language="en") == ()


def test_an_incidental_mention_assigns_nothing(themes: tuple[Theme, ...]) -> None:
    text = OFF_TOPIC * 3 + " One speaker mentioned refugees and asylum in passing."
    assert "asiel-opvang" not in ids(match_themes(themes, title="", summary="", text=text, language="en"))


def test_case_accents_plurals_and_prefixes_are_folded(themes: tuple[Theme, ...]) -> None:
    text = "ASIELZOEKERS en Vluchtelingen in het asielzoekerscentrum; de opvang van asielzoekers. " * 3
    matches = match_themes(themes, title="", summary="", text=text, language="nl")
    (match,) = [m for m in matches if m.theme_id == "asiel-opvang"]
    assert match.evidence["asiel*"] == 9  # asielzoekers, asielzoekerscentrum: one prefix term
    assert match.evidence["vluchteling*"] == 3
    assert match.evidence["opvang"] == 3
    assert fold("Coöperatie Één") == "cooperatie een"
    assert words("anti-immigratie, d'Hondt") == ["anti", "immigratie", "d", "hondt"]
    assert term_stems("Vluchtelingen", "nl") == term_stems("vluchteling", "nl")
    assert term_stems("campagnes", "nl") == term_stems("campagne", "nl")


def test_the_title_weighs_more_than_the_text(themes: tuple[Theme, ...]) -> None:
    text = "A study of newspapers and their readers. " * 20 + "It touches on framing once."
    assert "framing" not in ids(match_themes(themes, title="", summary="", text=text, language="en"))
    assert "framing" in ids(match_themes(themes, title="Framing the news", summary="", text=text, language="en"))


def test_an_unknown_language_matches_both_term_lists(themes: tuple[Theme, ...]) -> None:
    both = ENGLISH_FRAMING + DUTCH_POLARISATIE
    assert "polarisatie" not in ids(match_themes(themes, title="", summary="", text=both, language="en"))
    assert {"framing", "polarisatie"} <= set(ids(match_themes(themes, title="", summary="", text=both, language=None)))
    assert {"framing", "polarisatie"} <= set(ids(match_themes(themes, title="", summary="", text=both, language="de")))


def test_long_texts_are_normalised_by_length(themes: tuple[Theme, ...]) -> None:
    # The same three sentences on asylum weigh less in a long text on something else.
    asylum = "Asylum seekers wait for the asylum procedure. Refugees need reception. " * 3
    filler = OFF_TOPIC * 200
    short = match_themes(themes, title="", summary="", text=asylum, language="en")
    long = match_themes(themes, title="", summary="", text=filler + asylum, language="en")
    assert "asiel-opvang" in ids(short)
    assert "asiel-opvang" not in ids(long)


def test_matching_a_300_page_document_is_fast(themes: tuple[Theme, ...]) -> None:
    words = (ENGLISH_FRAMING + DUTCH_POLARISATIE + OFF_TOPIC).split()
    text = " ".join(words[i % len(words)] + ("" if i % 7 else f"x{i}") for i in range(150_000))
    match_themes(themes, title="", summary="", text=text[:1000], language=None)  # compile the terms once
    started = time.perf_counter()
    match_themes(themes, title="", summary="", text=text, language="en")
    # Well under this bound on an idle machine (about 70 ms); the bound leaves room for a busy CI.
    assert time.perf_counter() - started < 1.0


# --- real documents ------------------------------------------------------------------------


def pdf_text(path: Path) -> str:
    pdfium = pytest.importorskip("pypdfium2")
    document = pdfium.PdfDocument(str(path))
    try:
        pages = []
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            pages.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return "\n".join(pages)
    finally:
        document.close()


def html_text(path: Path) -> str:
    raw = path.read_bytes().decode("utf-8", "replace")
    raw = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", raw)
    return html.unescape(re.sub(r"<[^>]+>", " ", raw))


def corpus_file(name: str) -> Path:
    path = TOPICAL / name
    if not path.is_file():
        pytest.skip(f"test corpus file {path} is not available")
    return path


@pytest.mark.parametrize(
    ("name", "language", "theme"),
    [
        ("en_czymara-klingeren2022_frame-occurrence-migration-crisis.pdf", "en", "framing"),
        ("en_janssen-turkenburg2024_affective-polarization-democratic-support_EJPR.pdf", "en", "polarisatie"),
        ("nl_pvv_verkiezingsprogramma-2025.pdf", "nl", "asiel-opvang"),
        ("en_hainmueller-hiscox2010_highly-skilled-low-skilled-immigration_APSR.pdf", "en", "arbeidsmigratie"),
        ("en_emeriau-et-al2023_integration-contracts-france_wp.pdf", "en", "integratie"),
        ("en_nisar-bleich2020_jews-muslims-nyt-guardian-headlines_CMS.pdf", "en", "beeldvorming-media"),
        ("en_kraft_change-my-view-moral-appeals-compromise.pdf", "en", "morele-drijfveren"),
    ],
)
def test_real_studies_get_their_theme(themes: tuple[Theme, ...], name: str, language: str, theme: str) -> None:
    text = pdf_text(corpus_file(name))
    matches = match_themes(themes, title="", summary="", text=text, language=language)
    assert theme in ids(matches)[:3], ids(matches)
    (match,) = [m for m in matches if m.theme_id == theme]
    assert sum(match.evidence.values()) >= 10


@pytest.mark.parametrize(
    "name",
    ["en_korea-impeachment-fails.html", "en_bbc_obama-gun-laws.html", "en_telegraph_zimbabwe-coup.html"],
)
def test_off_topic_news_pages_get_no_migration_theme(themes: tuple[Theme, ...], name: str) -> None:
    text = html_text(corpus_file(name))
    matches = match_themes(themes, title="", summary="", text=text, language="en")
    assert not set(ids(matches)) & MIGRATION_THEMES, ids(matches)
    assert len(matches) <= 1
