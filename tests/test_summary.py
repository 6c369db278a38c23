"""find_summary: the abstract or the first real paragraph, from literal strings and real pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.pdf import extract_pdf
from indexer.summary import find_summary

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"

ABSTRACT = (
    "Based on an innovative design, combining a multi-factorial survey experiment with a longitudinal "
    "perspective, we examine changes in the public acceptance of immigrants in Germany. Most strikingly, "
    "we find that refugees were generally highly accepted and even more so in the second wave."
)


def lines(text: str, width: int = 70) -> str:
    """Text wrapped into printed lines, as a PDF page gives it."""
    out, line = [], ""
    for word in text.split():
        if line and len(line) + len(word) > width:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "\n".join([*out, line])


def test_abstract_after_heading_up_to_keywords() -> None:
    page = "\n".join(
        [
            "Refugees Unwelcome? Changes in the Public Acceptance",
            "Christian S. Czymara and Alexander W. Schmidt-Catran",
            "Abstract",
            lines(ABSTRACT),
            "Keywords: migration, refugees, survey experiment",
            "1 Introduction",
            lines("Germany received more than a million asylum seekers in 2015 and 2016. " * 3),
        ]
    )
    assert find_summary([page]) == ABSTRACT


@pytest.mark.parametrize("heading", ["Samenvatting", "Summary:", "Zusammenfassung", "Résumé —", "ABSTRACT"])
def test_abstract_headings_in_several_languages(heading: str) -> None:
    page = f"Een titel\n{heading}\n{lines(ABSTRACT)}\nTrefwoorden: migratie, draagvlak"
    assert find_summary([page]) == ABSTRACT


def test_inline_heading_and_end_at_numbered_section() -> None:
    page = f"Zusammenfassung {lines(ABSTRACT)}\n1 Einleitung\nZunehmende Wahlerfolge ..."
    assert find_summary([page]) == ABSTRACT


def test_hyphenation_and_soft_hyphens_are_joined() -> None:
    page = (
        "Abstract\nBased on an innovative design, we examine changes in the public accep-\n"
        "tance of immigrants in Germany from the beginning of the so-called crisis to after\n"
        "the sexual assaults of New Year's Eve. Our approach allows to differen\ufffetiate changes\n"
        "along various immigrant characteristics and over two survey waves in total.\nKeywords: x"
    )
    summary = find_summary([page])
    assert summary is not None
    assert "public acceptance of immigrants" in summary and "differentiate changes" in summary


def test_cut_at_a_sentence_end_within_max_words() -> None:
    summary = find_summary([f"Abstract\n{lines(ABSTRACT)}"], max_words=30)
    assert summary == ABSTRACT.split(". ")[0] + "."
    assert len(summary.split()) <= 30


def test_one_overlong_sentence_is_cut_at_a_word() -> None:
    sentence = "We examine " + " and ".join(f"aspect {i}" for i in range(80)) + " of public support."
    summary = find_summary([f"Abstract\n{lines(sentence)}"], max_words=20)
    assert summary is not None and summary.endswith(" …")
    assert len(summary.split()) == 21  # 20 words and the ellipsis


def test_first_paragraph_skips_titles_names_and_licences() -> None:
    paragraph = (
        "Nederland is een prachtig land. Iedere dag zetten vele Nederlanders zich in om ons land een "
        "stukje mooier te maken. Politieagenten, verpleegkundigen en leraren werken met toewijding aan "
        "veiligheid, zorg en onderwijs."
    )
    page = "\n".join(
        [
            "Bouwen op vertrouwen.",
            "Onze keuzes voor een fatsoenlijk land.",
            "Mariken van der Velden",
            "© 2025 CDA. This work is licensed under a Creative Commons licence; all rights",
            "reserved for the pictures, which may not be reused without written permission of",
            "the owners. Contact us at info@example.org for more information, please.",
            "",
            lines(paragraph, 60),
        ]
    )
    assert find_summary(["", page]) == paragraph


def test_running_headers_and_page_numbers_are_dropped() -> None:
    body = lines(
        "Media coverage of Muslims has been repeatedly shown to be negative, and attitudes toward Muslims "
        "in American society are typically more negative than attitudes toward other groups. Does the tone "
        "of coverage directly affect public attitudes? We use an online experiment to find out."
    )
    first, rest = body.split("\n", 2)[:2], body.split("\n", 2)[2]
    pages = [
        "Politics and Religion\n" + "\n".join(first) + "\n1",
        "Politics and Religion\n" + rest + "\n2",
        "Politics and Religion\nMore text follows here on this page of the article.\n3",
    ]
    summary = find_summary(pages)
    assert summary is not None and summary.startswith("Media coverage of Muslims")
    assert "Politics and Religion" not in summary and " 1 " not in summary


def test_no_prose_gives_none() -> None:
    assert find_summary([]) is None
    assert find_summary(["", "Inhoudsopgave\nVoorwoord 3\n1 Totale asielstop 6\n2 Veiligheid 11"]) is None


# --------------------------------------------------------------------------- real pages


@pytest.fixture(scope="module")
def summaries() -> dict[str, str | None]:
    """The summary of a few real PDFs of different kinds."""
    names = [
        "en_czymara2017_refugees-unwelcome_ESR.pdf",  # "Abstract" heading
        "en_czymara2020_threat-to-the-occident_frontiers.pdf",  # abstract without a heading
        "en_bleich-bloemraad-degraauw2015_migrants-minorities-media_JEMS.pdf",  # behind a publisher's cover
        "de_langenkamp-czymara2026_zuwanderung-islamismus-afd.pdf",  # German chapter, no abstract
        "nl_pvv_verkiezingsprogramma-2025.pdf",  # manifesto: cover, contents, foreword
    ]
    folder = CORPUS / "topical"
    if not folder.is_dir():
        pytest.skip(f"the shared test corpus is not at {CORPUS}")
    return {name: find_summary(extract_pdf((folder / name).read_bytes()).pages) for name in names}


@pytest.mark.parametrize(
    ("name", "start"),
    [
        ("en_czymara2017_refugees-unwelcome_ESR.pdf", "Based on an innovative design, combining a multi-factorial"),
        ("en_czymara2020_threat-to-the-occident_frontiers.pdf", "With a growing Muslim population, many European"),
        ("en_bleich-bloemraad-degraauw2015_migrants-minorities-media_JEMS.pdf", "Scholars of political communication"),
        ("de_langenkamp-czymara2026_zuwanderung-islamismus-afd.pdf", "Zunehmende Wahlerfolge rechtspopulistischer"),
        ("nl_pvv_verkiezingsprogramma-2025.pdf", "Dit is úw land! Nederland is vol"),
    ],
)
def test_real_summaries(summaries: dict[str, str | None], name: str, start: str) -> None:
    summary = summaries[name]
    assert summary is not None and summary.startswith(start)
    assert 25 <= len(summary.split()) <= 120
    assert summary[-1] in ".!?”’)"


SAMENVATTING = (
    "De Dienst Uitvoering Onderwijs heeft jarenlang een eenvoudig risicoprofiel gebruikt bij het "
    "tegengaan van onrechtmatig gebruik van de uitwonendenbeurs. Studenten met een migratieachtergrond "
    "werden daarbij vaker geselecteerd voor een huisbezoek dan andere studenten."
)


def test_a_numbered_samenvatting_gives_way_to_the_management_summary_below_it() -> None:
    pages = [
        "Vooringenomenheid voorkomen\nFebruari 2024",
        lines("Over de stichting. Wij zijn een Europees kennisplatform voor het testen van algoritmes op bias en "
              "adviseren over ethische kwesties in concrete toepassingen van algoritmes bij overheden."),
        "\n".join([
            "1. Samenvatting",
            "Hieronder volgen de managementsamenvatting (§1.1) en de bevindingen (§1.2).",
            "1.1 Managementsamenvatting",
            lines(SAMENVATTING),
            "1.2 Bevindingen",
            lines("Het profiel selecteerde vaker studenten die dichter bij hun ouders wonen."),
        ]),
    ]
    assert find_summary(pages) == SAMENVATTING


def test_words_on_a_heading_line_belong_to_the_heading() -> None:
    pages = ["Adviesdocument", "Samenvatting advies\n" + lines(SAMENVATTING)]
    assert find_summary(pages) == SAMENVATTING
    inline = ["Abstract We study\n" + lines(ABSTRACT)]  # a capital word goes on into the abstract itself
    assert find_summary(inline).startswith("We study Based on")


def test_a_report_summary_after_cover_colophon_and_contents() -> None:
    colophon = lines("Dit rapport is geschreven in opdracht van de gemeente en is vrij te gebruiken met bronvermelding. "
                     "De auteurs danken iedereen die aan de interviews heeft meegewerkt voor hun tijd en inzichten.")
    contents = "Inhoud\nSamenvatting 5\nInleiding 7\nMethode 9"
    pages = ["Rapport", colophon, contents, "Voorwoord\n" + lines("Een kort woord vooraf. " * 3),
             "Samenvatting\n" + lines(SAMENVATTING), "Inleiding\n" + lines(ABSTRACT)]
    assert find_summary(pages) == SAMENVATTING


def test_the_duo_report_summary_comes_from_its_samenvatting() -> None:
    data = (Path(__file__).resolve().parents[1] / "data" / "sample"
            / "nl_algorithmaudit_vooringenomenheid-voorkomen-cub-duo_2024.pdf").read_bytes()
    summary = find_summary(extract_pdf(data).pages)
    assert summary is not None and summary.startswith("De Dienst Uitvoering Onderwijs (DUO) heeft in de periode 2010-2023")
