"""PDF extraction: text repair, metadata parsing, and real files from the shared corpus."""

from __future__ import annotations

import csv
import multiprocessing
import re
import time
from datetime import date
from pathlib import Path

import pytest
from rapidfuzz import fuzz
from rapidfuzz.utils import default_process

from indexer.pdf import extract_pdf
from indexer.pdf.clean import clean_text
from indexer.pdf.metadata import parse_xmp
from indexer.pdf.names import find_cited_authors, parse_name_line, split_authors
from indexer.pdf.printed import find_printed_date, find_printed_venue
from kenniskamer.errors import ExtractionError
from kenniskamer.models import FLAG_NEEDS_OCR, Extracted
from kenniskamer.text.dates import parse_pdf_date
from kenniskamer.text.layout import find_running_lines, strip_running_lines

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
TOPICAL = CORPUS / "topical"
ROBUSTNESS = CORPUS / "robustness"
needs_corpus = pytest.mark.skipif(
    not (CORPUS / "SOURCES.tsv").is_file(), reason=f"the shared test corpus is not at {CORPUS}"
)
# Each robustness file gets this long in a worker process before it counts as hanging.
ROBUSTNESS_TIMEOUT = 60.0


def read(path: Path) -> bytes:
    return path.read_bytes()


def sources() -> dict[str, dict[str, str]]:
    with (CORPUS / "SOURCES.tsv").open(encoding="utf-8", newline="") as handle:
        return {row["path"]: row for row in csv.DictReader(handle, delimiter="\t")}


# --------------------------------------------------------------------------- text cleaning


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("coöpe\x02\r\nratie", "coöperatie"),  # older pdfium: \x02 and a line break
        ("per\ufffespective", "perspective"),  # newer pdfium: U+FFFE within the line
        ("digi\r\n\xad\r\ntale", "digitale"),  # a printed soft hyphen on a line of its own
        ("multi-\nfactorial design", "multifactorial design"),
        ("Schmidt-\nCatran", "Schmidt-\nCatran"),  # not a lower-case continuation
        ("Universita¨tsstr. 22a, Ko¨ln", "Universitätsstr. 22a, Köln"),  # mark after its letter
        ("Alberto L´opez-Ortega and Jos´e", "Alberto López-Ortega and José"),  # TeX: mark first
        ("Fran¸cois, na¨ıve", "François, naïve"),
        ("don´t and it´s", "don´t and it´s"),  # an apostrophe typed as an acute stays
        ("The People as `Volk' or `Bürger'", "The People as `Volk' or `Bürger'"),
        ("ﬁnancial ﬂows", "financial flows"),
        ("multi‑party", "multi-party"),
        ("one  two\tthree \r\nfour", "one two three\nfour"),
        ("para one.\r\n\r\n\r\n\r\npara two.", "para one.\n\npara two."),  # a paragraph break stays
        ("J. Exp. (cid:12)Soc.", "J. Exp. Soc."),
    ],
)
def test_clean_text_repairs_pdf_text(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("D:20200512103000+02'00'", "2020-05-12"),
        ("D:2016", "2016"),
        ("20171128165505+05'30'", "2017-11-28"),
        ("2016-06-20T11:46:25+02:00", "2016-06-20"),
        ("2021-06", "2021-06"),
        ("D:20201399", "2020"),  # month 13: keep what is right
        ("D:18991231", None),
        ("yesterday", None),
    ],
)
def test_parse_pdf_date(raw: str, iso: str | None) -> None:
    assert parse_pdf_date(raw) == iso


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("Received: 3 March 2020\nPublished: 12 May 2020\n", "2020-05-12"),
        ("PUBLISHED: 26 JUNE 2017 | VOLUME: 1", "2017-06-26"),
        ("Date de publication : 1 juin 2022", "2022-06-01"),
        ("© The Author(s) 2020. This article is licensed", "2020"),
        ("Journal of Computational Social Science (2024) 7:1305–1325", "2024"),
        ("Some Title\nNovember 29, 2023\nAbstract", "2023-11-29"),
        ("Downloaded from https://x.org on 01 December 2017", None),
        ("We surveyed 2,000 people in May and 2019 respondents.", None),
        # Online first, then in an issue: citations use the year.
        ("Acta Politica (2023) 58:461–482\nAccepted: 23 May 2022 / Published online: 23 June 2022", "2023"),
        ("Published online: 25 Jul 2023.\nTo cite this article: C. S. Czymara & L. Bauer (2025) Discursive", "2025"),
        ("Social Forces 99(3) 1306–1333, March 2021\nAdvance Access publication on 24 June 2020", "2021-03"),
        # The same year: the exact date stays.
        ("Journal of Computational Social Science (2024) 7:1305–1325\nPublished online: 27 April 2024", "2024-04-27"),
        ("American Political Science Review Vol. 104, No. 1 February 2010", "2010-02"),
    ],
)
def test_find_printed_date(text: str, iso: str | None) -> None:
    assert find_printed_date(text) == iso


def test_a_printed_date_in_the_future_is_not_taken() -> None:
    next_year = date.today().year + 1
    assert find_printed_date(f"Published: 31 December {next_year}\n© The Author(s) 2020") == "2020"


@pytest.mark.parametrize(
    ("text", "venue"),
    [
        (
            "RESEARCH ARTICLE\nJournal of Computational Social Science (2024) 7:1305–1325",
            "Journal of Computational Social Science",
        ),
        ("Czymara et al. Comparative Migration Studies (2025) 13:63", "Comparative Migration Studies"),
        ("European Sociological Review, 2017, Vol. 33, No. 6, 735–751", "European Sociological Review"),
        ("Communications 2022; 47(1): 136–162", "Communications"),
        (
            "Mass Communication and Society\nISSN: (Print) (Online) Journal homepage: https://www.tandfonline.com",
            "Mass Communication and Society",
        ),
        (
            "To cite this article: Christian S. Czymara & Leo Bauer (2025) Discursive Shifts in the German "
            "Right-Wing Newspaper Junge Freiheit 1997–2019: A Computational Approach, German Politics, 34:1, "
            "128-155, DOI: 10.1080/09644008.2023.2231353",
            "German Politics",
        ),
        (  # the name in full rather than abbreviated
            "Annu. Rev. Polit. Sci. 2014. 17:225–49\nThe Annual Review of Political Science is online at",
            "Annual Review of Political Science",
        ),
        ("Published online: 23 June 2022\nWe surveyed 2,000 people (Smith 2019) in 2020.", None),
        ("© The Author(s) 2025. Open Access This article is licensed under a Creative Commons", None),
    ],
)
def test_find_printed_venue(text: str, venue: str | None) -> None:
    assert find_printed_venue(text) == venue


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("LISA JANSSEN1 & EMMA TURKENBURG2", ["Lisa Janssen", "Emma Turkenburg"]),
        ("Antonia C May1 | Christian S Czymara2,3", ["Antonia C May", "Christian S Czymara"]),
        (
            "Christian S. Czymara1,2* , Anastasia Gorodzeisky2 and Inna Leykin3",
            ["Christian S. Czymara", "Anastasia Gorodzeisky", "Inna Leykin"],
        ),
        (
            "Tom W. G. van der Meer1 · Lisa Janssen1 · Tom Louwerse2",
            ["Tom W. G. van der Meer", "Lisa Janssen", "Tom Louwerse"],
        ),
        (
            "MICHAEL M. BECHTEL, JENS HAINMUELLER AND MARC HELBLING",
            ["Michael M. Bechtel", "Jens Hainmueller", "Marc Helbling"],
        ),
        ("Alexander Langenkamp und Christian Czymara", ["Alexander Langenkamp", "Christian Czymara"]),
        (
            "Mariken A.C.G. van der Velden†, Alberto L´opez-Ortega†",
            ["Mariken A.C.G. van der Velden", "Alberto López-Ortega"],
        ),
        ("Erik Bleich (https://orcid.org/0000-0001-2345-6789), ebleich@middlebury.edu", ["Erik Bleich"]),
        # A name with its affiliation on the same line.
        ("JENS HAINMUELLER Massachusetts Institute of Technology", ["Jens Hainmueller"]),
        ("Christian S. Czymara, Goethe University Frankfurt", ["Christian S. Czymara"]),
        ("Daniel J. Hopkins Georgetown University", ["Daniel J. Hopkins"]),
        # Not bylines.
        ("1Department of Political Science, Ghent University, Belgium; 2Strategic Communication Group", []),
        ("Radboud University Nijmegen", []),
        ("European Journal of Political Research", []),
        ("Public Opinion and Policy Change", []),
        ("November 29, 2023", []),
        ("Abstract", []),
        ("Onze Welvaart", []),
        ("Czymara et al. 2020", []),
    ],
)
def test_parse_name_line(line: str, names: list[str]) -> None:
    assert parse_name_line(line) == names


@pytest.mark.parametrize(
    ("text", "names"),
    [
        (
            "To cite this article: Erik Bleich, Irene Bloemraad & Els de Graauw (2015) Migrants, Minorities and",
            ["Erik Bleich", "Irene Bloemraad", "Els de Graauw"],
        ),
        (
            "Citation:\nCzymara CS and Eisentraut M (2020)\nA Threat to the Occident?",
            ["C. S. Czymara", "M. Eisentraut"],
        ),
        (
            "Cite this article as: Czymara, C. S., Gorodzeisky, A. & Leykin, I. Political legacies. CMS (2025)",
            ["C. S. Czymara", "A. Gorodzeisky", "I. Leykin"],
        ),
        (
            "Authors: Erik Bleich, Emma Brown,\nand A. Maurits van der Veen\nLayout: Diana Diaz",
            ["Erik Bleich", "Emma Brown", "A. Maurits van der Veen"],
        ),
        (
            "© 2024 by Mathis Herpell and Jens\nHainmueller. All rights reserved.",
            ["Mathis Herpell", "Jens Hainmueller"],
        ),
        ("Recommended citation: Media Portrayals of Minorities Project (2021) Report on", []),
    ],
)
def test_find_cited_authors(text: str, names: list[str]) -> None:
    assert find_cited_authors(text) == names


XMP = b"""<?xpacket begin='\xef\xbb\xbf' id='W5M0MpCehiHzreSzNTczkc9d'?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"
      xmlns:pdf="http://ns.adobe.com/pdf/1.3/" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
      xmlns:prism="http://prismstandard.org/namespaces/basic/2.0/"
      pdf:Keywords="Opinion polls; Elections" xmp:CreateDate="2022-06-23T03:57:04+05:30">
   <dc:title><rdf:Alt>
    <rdf:li xml:lang="nl">Titel</rdf:li><rdf:li xml:lang="x-default">The Title</rdf:li>
   </rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>Tom van der Meer</rdf:li><rdf:li>Lisa Janssen</rdf:li></rdf:Seq></dc:creator>
   <prism:publicationName>Acta Politica</prism:publicationName>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end='w'?>"""


def test_parse_xmp_reads_elements_attributes_and_lists() -> None:
    found = parse_xmp(XMP)
    assert found["dc:title"][0] == "The Title"
    assert found["dc:creator"] == ["Tom van der Meer", "Lisa Janssen"]
    assert found["pdf:Keywords"] == ["Opinion polls; Elections"]
    assert found["xmp:CreateDate"] == ["2022-06-23T03:57:04+05:30"]
    assert found["prism:publicationName"] == ["Acta Politica"]


def test_parse_xmp_refuses_doctype_and_garbage() -> None:
    laughs = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><x>&b;</x>'
    assert parse_xmp(laughs) == {}
    assert parse_xmp(b"\x00\x01 not xml <<<") == {}


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        ("Antonia C May and Christian S Czymara", ["Antonia C May", "Christian S Czymara"]),
        ("JENS HAINMUELLER, MICHAEL J. HISCOX", ["Jens Hainmueller", "Michael J. Hiscox"]),
        ("Bleich, Erik", ["Erik Bleich"]),
        ("A. Smith; B. Jones & C. de Vries", ["A. Smith", "B. Jones", "C. de Vries"]),
        (
            "Maurits Meijers () and (Radboud University) and Mariken van der Velden ()",
            ["Maurits Meijers", "Mariken van der Velden"],
        ),
    ],
)
def test_split_authors(raw: str, names: list[str]) -> None:
    assert split_authors(raw) == names


def test_empty_and_non_pdf_bytes_raise_one_line_errors() -> None:
    with pytest.raises(ExtractionError, match="empty"):
        extract_pdf(b"")
    with pytest.raises(ExtractionError, match="damaged.*re-saving") as err:
        extract_pdf(b"<html><body>not a pdf</body></html>")
    assert "\n" not in str(err.value)


# --------------------------------------------------------------------------- the topical corpus


@pytest.fixture(scope="module")
def topical() -> dict[str, Extracted]:
    """Every topical PDF extracted once (about 7 s on one core)."""
    if not TOPICAL.is_dir():
        pytest.skip(f"the shared test corpus is not at {CORPUS}")
    return {path.name: extract_pdf(read(path)) for path in sorted(TOPICAL.glob("*.pdf"))}


def title_closeness(expected: str, found: str) -> float:
    """How well an extracted title matches the reference title, 0-100."""
    expected = re.sub(r"\s*\([^()]*\)\s*$", "", expected)  # "(European Sociological Review 2017)"
    return max(
        fuzz.token_set_ratio(expected, found, processor=default_process),
        fuzz.partial_ratio(expected.lower(), found.lower()),
    )


@needs_corpus
def test_titles_match_the_reference_titles(topical: dict[str, Extracted]) -> None:
    rows = sources()
    scores = {name: title_closeness(rows[f"topical/{name}"]["title"], doc.title or "") for name, doc in topical.items()}
    misses = {name: topical[name].title for name, score in scores.items() if score < 80}
    assert len(topical) == 48
    assert len(misses) <= len(topical) // 10, misses  # at least 90% right (46/48 when written)


@needs_corpus
def test_title_provenance(topical: dict[str, Extracted]) -> None:
    # Info /Title of this file is "OP-ESRJ170072 735..751": the title comes from the layout.
    esr = topical["en_czymara2017_refugees-unwelcome_ESR.pdf"]
    assert esr.title is not None and esr.title.startswith("Refugees Unwelcome? Changes in the Public")
    assert esr.provenance["title"] == "layout"
    # The info title is cut short; the XMP title is whole.
    shifts = topical["en_czymara2025_discursive-shifts-junge-freiheit.pdf"]
    assert shifts.title == (
        "Discursive Shifts in the German Right-Wing Newspaper Junge Freiheit 1997–2019: A Computational Approach"
    )
    assert shifts.provenance["title"] == "metadata"
    # The layout adds the subtitle the info title (UTF-16) leaves out.
    berk = topical["en_berk2022_limits-of-media-effects_manuscript.pdf"]
    assert berk.title == "Limits of Media Effects: How Politicisation Shapes the Pace of Attitudinal Change"


@needs_corpus
def test_page_numbers_are_kept(topical: dict[str, Extracted]) -> None:
    pvv = topical["nl_pvv_verkiezingsprogramma-2025.pdf"].pages
    assert len(pvv) == 41
    # Each chapter opens on the page whose footer (now gone) printed that number.
    chapters = {6: "1 Totale asielstop", 11: "2 Veiligheid", 39: "11 Koopkracht en Financiën"}
    for number, heading in chapters.items():
        assert pvv[number - 1].startswith(heading), number
    assert pvv[4] == pvv[9] == ""  # pages with only the running footer keep their place
    denk = topical["nl_denk_verkiezingsprogramma-2025.pdf"].pages
    assert denk[1] == ""  # an empty page keeps its place
    assert "Inhoudsopgave" in denk[2]
    # The 1,460 pages of the topical corpus, each its own entry.
    assert sum(len(doc.pages) for doc in topical.values()) == 1460


# --------------------------------------------------------------------------- running headers and footers


def synthetic_article() -> list[str]:
    """Eight pages with a title page, alternating running heads, a download note and page numbers."""
    topics = ["housing", "labour", "schools", "crime", "welfare", "language", "religion", "borders"]
    pages = []
    for number, topic in enumerate(topics, start=1):
        body = [f"Attitudes toward {topic} differ between the regions.", f"The {topic} effect holds in every model."]
        if number in (3, 5):
            body.insert(0, "The results are shown in Table 2.")  # a sentence that starts two pages
        if number == 6:
            body.append("2018")  # a year in a table at the foot of the page
        if number == 1:
            head = ["A Study of Things", "Jane Doe and John Roe"]
        elif number % 2 == 0:
            head = [f"{number} J. DOE AND J. ROE"]
        else:
            head = [f"A STUDY OF THINGS {number}"]
        foot = ["Downloaded from example.org on 03 May 2024", str(number)]
        pages.append("\n".join([*head, *body, *foot]))
    return pages


def test_find_running_lines_on_a_synthetic_article() -> None:
    pages = synthetic_article()
    found = find_running_lines(pages, keep=("A Study of Things", "Jane Doe", "John Roe"))
    # Page 1 keeps its title and byline; it loses the download note and its number.
    assert found[0] == {4, 5}
    for number, lines in enumerate(found[1:], start=2):
        split = pages[number - 1].split("\n")
        assert [split[index] for index in sorted(lines)] == [
            split[0], "Downloaded from example.org on 03 May 2024", str(number)
        ], number
    stripped = strip_running_lines(pages, keep=("A Study of Things",))
    assert stripped[2] == (
        "The results are shown in Table 2.\n"
        "Attitudes toward schools differ between the regions.\n"
        "The schools effect holds in every model."
    )
    assert stripped[4].startswith("The results are shown in Table 2.")
    assert stripped[5].endswith("every model.\n2018")
    assert len(stripped) == len(pages)


def test_find_running_lines_leaves_short_documents_and_pages_alone() -> None:
    pages = synthetic_article()
    assert find_running_lines(pages[:3]) == [set(), set(), set()]  # too few pages to tell
    potatoes = [f"Potato {n}" for n in range(30)]  # one line per page: all of it is content
    assert strip_running_lines(potatoes) == potatoes
    # A cover that repeats the footer beside its own text keeps both lines.
    cover = "Concept-verkiezingsprogramma 2025\nHet kan wél"
    topics = ["wonen", "werk", "zorg", "onderwijs", "klimaat", "veiligheid"]
    inner = [f"Concept-verkiezingsprogramma 2025\nOver {topic}.\nWat wij willen: {topic}.\n{n}" for n, topic in enumerate(topics, 2)]
    stripped = strip_running_lines([cover, *inner])
    assert stripped[0] == cover
    assert stripped[1] == "Over wonen.\nWat wij willen: wonen."


@needs_corpus
@pytest.mark.parametrize(
    ("name", "running", "kept"),
    [
        # Short title on odd pages and the journal on even pages, each with the page number.
        (
            "en_czymara2025_discursive-shifts-junge-freiheit.pdf",
            ["DISCURSIVE SHIFTS IN THE GERMAN RIGHT-WING NEWSPAPER JUNGE FREIHEIT 1997–2019 133", "134 GERMAN POLITICS"],
            "and the goal of unrestrained German sovereignty (Pfahl-Traughber",
        ),
        # A three-line download note and the journal line at the foot of every page.
        (
            "en_czymara2017_refugees-unwelcome_ESR.pdf",
            ["Downloaded from https://academic.oup.com/esr/article-abstract/33/6/735/4557564", "on 01 December 2017",
             "738 European Sociological Review, 2017, Vol. 33, No. 6"],
            "Salient events and attacks: C. H.: Charlie Hebdo",
        ),
        # Publisher's licence line and Wiley's download note on every page, the short title on odd ones.
        (
            "en_janssen-turkenburg2024_affective-polarization-democratic-support_EJPR.pdf",
            ["BREAKING FREE FROM LINEAR ASSUMPTIONS 5", "Downloaded from https://ejpr.onlinelibrary.wiley.com",
             "© 2024 The Author(s). European Journal of Political Research published by John Wiley"],
            "Especially in cross-national research, the reliance on vertical like/dislike items",
        ),
        # Cairn's download note, printed twice at the foot of every page.
        (
            "fr_bleich2022_couverture-black-lives-matter-france.pdf",
            ["Téléchargé le 24/10/2022 sur www.cairn.info"],
            "Accès : https://www.acpm.fr/Les-chiffres",
        ),
        # A party manifesto's footer: slogan and name on 88 of 91 pages.
        (
            "nl_cda_verkiezingsprogramma-2025.pdf",
            ["Bouwen op vertrouwen. Onze keuzes voor een fatsoenlijk land.", "CDA verkiezingsprogramma 2025"],
            "Geluk zit in een klein ho",
        ),
    ],
)  # fmt: skip
def test_running_headers_and_footers_are_removed(
    topical: dict[str, Extracted], name: str, running: list[str], kept: str
) -> None:
    doc = topical[name]
    inner = doc.pages[2:]  # page 1 keeps what is its own (a title page, a cover)
    for line in running:
        assert not any(line in page for page in inner), line
    assert any(kept in page for page in doc.pages)


@needs_corpus
def test_title_and_byline_stay_on_the_first_page(topical: dict[str, Extracted]) -> None:
    # "Wer ist in Deutschland willkommen?" heads the odd pages and is the title on page 1.
    wer = topical["de_czymara-schmidt-catran2016_wer-ist-in-deutschland-willkommen.pdf"].pages
    assert "Wer ist in Deutschland willkommen?\nEine Vignettenanalyse" in wer[0]
    # (Three pages keep it where pdfium glued it to a table heading: only whole lines go.)
    heads = [n for n, page in enumerate(wer) if "Wer ist in Deutschland willkommen?" in page.split("\n")]
    assert heads == [0]
    # The byline heads the even pages: it stays under the title on page 1 only.
    frames = topical["en_czymara-klingeren2022_frame-occurrence-migration-crisis.pdf"].pages
    assert "Christian S. Czymara* and Marijn van Klingeren" in frames[0]
    lines = [line for page in frames[1:] for line in page.split("\n")]
    assert not any(line.endswith("Christian S. Czymara and Marijn van Klingeren") for line in lines)
    # The "Downloaded from" note goes from page 1 too.
    assert not any("Downloaded from" in page for page in topical["en_czymara2017_refugees-unwelcome_ESR.pdf"].pages)


@needs_corpus
def test_real_text_is_repaired(topical: dict[str, Extracted]) -> None:
    esr = topical["en_czymara2017_refugees-unwelcome_ESR.pdf"].pages[0]
    assert "Universitätsstr" in esr and "Köln" in esr
    assert "¨" not in esr
    assert "perspective, we examine" in esr  # "per\ufffespective": a soft hyphen dropped
    populism = topical["en_vandervelden-et-al_populism-polarization-nostalgic-narrative_draft.pdf"].pages[0]
    assert "López-Ortega" in populism
    everything = "".join(page for doc in topical.values() for page in doc.pages)
    assert not re.search("[\x02\ufffe\xad\ufb00-\ufb06]", everything)


@needs_corpus
def test_metadata_fields(topical: dict[str, Extracted]) -> None:
    polls = topical["en_vandermeer-et-al2023_predictive-value-polls-netherlands_ActaPol.pdf"]
    assert polls.authors == ("Tom W. G. van der Meer", "Lisa Janssen", "Tom Louwerse")
    assert polls.publisher == "Acta Politica"
    assert polls.keywords[:2] == ("Opinion polls", "Elections")
    assert polls.language_hint == "EN"
    # "Published online: 23 June 2022", in "Acta Politica (2023) 58:461–482": the year is cited.
    assert (polls.date, polls.provenance["date"]) == ("2023", "heuristic")
    assert polls.mime == "application/pdf" and polls.flags == ()
    # Only the creation date is known: it is the fallback, from the metadata.
    kraft = topical["en_kraft_change-my-view-moral-appeals-compromise.pdf"]
    assert (kraft.date, kraft.provenance["date"]) == ("2023-08-07", "metadata")
    # Journal and year from a citation in /Subject: "Science 2016.354:217-222".
    science = topical["en_bansak-et-al2016_attitudes-toward-asylum-seekers_science.pdf"]
    assert (science.publisher, science.date) == ("Science", "2016")
    lee = topical["en_lee-et-al2026_linguistic-polarization-minority-representation.pdf"]
    assert len(lee.authors) == 4 and "Florencia Piñeyrúa" in lee.authors  # XMP has all four, /Author one


@needs_corpus
@pytest.mark.parametrize(
    ("name", "authors", "origin", "publisher", "year"),
    [
        # Capitals, affiliation digits and "&" under the title; the journal in the page header.
        (
            "en_janssen-turkenburg2024_affective-polarization-democratic-support_EJPR.pdf",
            ("Lisa Janssen", "Emma Turkenburg"), "layout", "European Journal of Political Research", "2024",
        ),
        # Superscript letters glued to the names ("Hardera", "Hangartnerb,c,d"), over two lines.
        (
            "en_harder-et-al2018_measure-of-immigrant-integration_PNAS.pdf",
            ("Niklas Harder", "Lucila Figueroa", "Rachel M. Gillum", "Dominik Hangartner", "David D. Laitin",
             "Jens Hainmueller"),
            "layout", "PNAS", "2018",
        ),
        # Digits, asterisks and "and"; the journal after "Czymara et al." in the running head.
        (
            "en_czymara2025_political-legacies-perceptions-migrants_CMS.pdf",
            ("Christian S. Czymara", "Anastasia Gorodzeisky", "Inna Leykin"), "layout", "Comparative Migration Studies",
            "2025",
        ),
        # Each name on a line of its own, with its university.
        (
            "en_hainmueller-hopkins2015_hidden-american-immigration-consensus.pdf",
            ("Jens Hainmueller", "Daniel J. Hopkins"), "layout", "American J Political Sci", "2015",
        ),
        # The byline above the title, under "Communications 2022; 47(1): 136–162".
        (
            "en_czymara-klingeren2022_frame-occurrence-migration-crisis.pdf",
            ("Christian S. Czymara", "Marijn van Klingeren"), "layout", "Communications", "2022",
        ),
        # Read before the title though printed below it; "Alexandra / Orlova" broken over two lines.
        (
            "en_herpell-et-al2024_private-hosting-ukrainian-refugees_wp.pdf",
            ("Mathis Herpell", "Moritz Marbach", "Niklas Harder", "Alexandra Orlova", "Dominik Hangartner",
             "Jens Hainmueller"),
            "layout", None, "2024",
        ),
        # The metadata names the first author only; the byline names both.
        (
            "en_czymara2020_threat-to-the-occident_frontiers.pdf",
            ("Christian S. Czymara", "Marcus Eisentraut"), "layout", "Frontiers in Sociology", "2020",
        ),
        # Capitals over two lines, "AND"; the journal line has volume, pages and month.
        (
            "en_reality-bites_framing-effects_PSRM2015.pdf",
            ("Michael M. Bechtel", "Jens Hainmueller", "Dominik Hangartner", "Marc Helbling"), "layout",
            "Political Science Research and Methods", "2015",
        ),
        # A report with "Authors:" on its cover and no title metadata.
        (
            "en_bleich-et-al2020_media-portrayals-of-minorities-annual-report.pdf",
            ("Erik Bleich", "Emma Brown", "Abigail Chang", "Lukas Kauth", "Kai Milici", "Nicolas Pantelick",
             "Emily Wander", "A. Maurits van der Veen"),
            "heuristic", None, "2021",
        ),
        # "Nations and Nationalism. 2024;30:90–109" rather than "© 2023 The Authors".
        (
            "en_may-czymara2024_careless-whisper-elite-discourse.pdf",
            ("Antonia C May", "Christian S Czymara"), "metadata", "Nations and Nationalism", "2024",
        ),
    ],
)  # fmt: skip
def test_authors_publisher_and_year_from_page_one(
    topical: dict[str, Extracted], name: str, authors: tuple[str, ...], origin: str, publisher: str | None, year: str
) -> None:
    doc = topical[name]
    assert doc.authors == authors
    assert doc.provenance["authors"] == origin
    assert doc.publisher == publisher
    assert doc.date is not None and doc.date[:4] == year


@needs_corpus
def test_authors_across_the_topical_corpus(topical: dict[str, Extracted]) -> None:
    # Party manifestos print no authors, and the anonymised draft leaves them out.
    without = {name for name, doc in topical.items() if not doc.authors}
    manifestos = {name for name in topical if name.startswith("nl_") and "election-study" not in name}
    assert without == manifestos | {"en_vandervelden-et-al2023_dont-budge-cost-of-compromise_draft.pdf"}
    # ... nor a publisher, but for the PVV's, whose every footer says "PARTIJ VOOR DE VRIJHEID"
    publishers = {name: topical[name].publisher for name in manifestos if topical[name].publisher}
    assert publishers == {"nl_pvv_verkiezingsprogramma-2025.pdf": "Partij voor de Vrijheid"}
    for name, doc in topical.items():
        if doc.provenance.get("authors") in ("layout", "heuristic"):
            first_pages = clean_text(" ".join(doc.pages[:2])).lower()
            assert all(author.split()[-1].lower() in first_pages for author in doc.authors), (name, doc.authors)
        assert doc.date is None or doc.date <= date.today().isoformat(), (name, doc.date)


# --------------------------------------------------------------------------- robustness files


PASSWORD_FILES = [
    "pdf_encrypted-aes256-r6-userpw.pdf",
    "pdf_encrypted-nonascii-password.pdf",
    "pdf_encrypted-r6-saslprep-password.pdf",
    "pdf_encrypted-r6-userpw-view-30pages.pdf",
    "pdf_encrypted-rc4-40-userpw-foo.pdf",
    "pdf_encrypted-userpw-openpassword.pdf",
]


def note_password(note: str) -> str | None:
    """The user password a SOURCES.tsv note gives, e.g. "user password 'foo', owner 'baz'"."""
    match = re.search(r"password (?:is non-ASCII )?'([^']+)'", note)
    return match.group(1) if match else None


@needs_corpus
@pytest.mark.parametrize("name", PASSWORD_FILES)
def test_encrypted_pdf_asks_for_password(name: str) -> None:
    with pytest.raises(ExtractionError, match="--password") as err:
        extract_pdf(read(ROBUSTNESS / name))
    assert "encrypted" in str(err.value)
    with pytest.raises(ExtractionError, match="password for this PDF is wrong"):
        extract_pdf(read(ROBUSTNESS / name), password="not-the-password")


@needs_corpus
def test_encrypted_pdfs_open_with_the_password_from_the_notes() -> None:
    opened = []
    for name in PASSWORD_FILES:
        password = note_password(sources()[f"robustness/{name}"]["note"])
        if password:
            doc = extract_pdf(read(ROBUSTNESS / name), password=password)
            assert doc.pages and doc.pages[0], name
            opened.append(name)
    assert len(opened) >= 5
    foo = extract_pdf(read(ROBUSTNESS / "pdf_encrypted-rc4-40-userpw-foo.pdf"), password="foo")
    assert foo.pages == ("Secret!",)


@needs_corpus
def test_an_empty_user_password_needs_no_password() -> None:
    # RC4 and AES-256 files that anyone may open (only the owner password is set) are read as is.
    junk = extract_pdf(read(ROBUSTNESS / "pdf_leading-junk-encrypted.pdf"))
    assert junk.pages[:2] == ("Potato 0", "Potato 1") and len(junk.pages) == 30
    gazette = extract_pdf(read(ROBUSTNESS / "pdf_japanese-gazette-vertical-encrypted.pdf"))
    # pypdfium2 5.15 reads its vertical lines itself, a character a line; earlier ones left it to pdfminer.
    assert "道路交通法施行令の一部を改正する政令" in "".join(gazette.pages[0].split())
    # pdf.js's empty_protected.pdf (AES-256, "no copy") opens too, but its one page has no
    # content stream and no resources: Acrobat's blank page ("Page vierge" is its only
    # bookmark), empty in pdftotext as well. So it is refused as blank, not as encrypted.
    with pytest.raises(ExtractionError, match="only blank pages") as err:
        extract_pdf(read(ROBUSTNESS / "pdf_encrypted-aes256-empty-userpw-nocopy.pdf"))
    assert "password" not in str(err.value)


@needs_corpus
@pytest.mark.parametrize(
    ("name", "page_count"),
    [("pdf_scanned-image-only-2pages.pdf", 2), ("pdf_image-only-ccittfax.pdf", 1), ("pdf_image-only-jbig2.pdf", 1)],
)
def test_image_only_pdf_needs_ocr(name: str, page_count: int) -> None:
    doc = extract_pdf(read(ROBUSTNESS / name))
    assert doc.flags == (FLAG_NEEDS_OCR,)
    assert doc.pages == ("",) * page_count


@needs_corpus
def test_pdfminer_reads_what_pdfium_cannot() -> None:
    # A Czech font without a usable Unicode map: pdfium gives "3HQČåQtSURVWĜHGN...".
    garbled = extract_pdf(read(ROBUSTNESS / "pdf_non-unicode-cmap-garbled.pdf"))
    assert "Peněžní prostředky" in garbled.pages[0]
    # A Japanese gazette in vertical writing: pdfium reads 28 characters, pdfminer thousands.
    gazette = extract_pdf(read(ROBUSTNESS / "pdf_japanese-gazette-vertical-encrypted.pdf"))
    assert len(gazette.pages[0]) > 1000
    # Sparse, but pdfium is right and pdfminer gives "(cid:224)": pdfium's text stays.
    french = extract_pdf(read(ROBUSTNESS / "pdf_french-diacritics.pdf"))
    assert french.pages[0].startswith("à À â Â ä Ä ç Ç é É è È")


@needs_corpus
@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("pdf_zero-pages.pdf", "has no pages"),
        ("pdf_truncated-23-bytes.pdf", "damaged and no text could be read"),
        ("pdf_brotli-filter-unsupported.pdf", "BrotliDecode"),
        ("pdf_pages-tree-loop.pdf", "damaged"),
    ],
)
def test_broken_pdf_errors_say_what_to_do(name: str, message: str) -> None:
    with pytest.raises(ExtractionError, match=message) as err:
        extract_pdf(read(ROBUSTNESS / name))
    assert "\n" not in str(err.value)
    assert "check that it is the right file" in str(err.value) or "re-saving" in str(err.value)


def extract_in_worker(path: str) -> tuple[str, str, float]:
    """Run in a worker process: ("ok", flags, s), ("error", message, s) or ("crash", repr, s)."""
    start = time.perf_counter()
    try:
        doc = extract_pdf(Path(path).read_bytes())
        outcome = ("ok", ",".join(doc.flags))
    except ExtractionError as err:
        outcome = ("error", str(err))
    except BaseException as err:  # the test reports it as a failure
        outcome = ("crash", repr(err))
    return outcome[0], outcome[1], time.perf_counter() - start


@needs_corpus
def test_every_robustness_pdf_ends_in_extracted_or_extraction_error() -> None:
    paths = sorted(ROBUSTNESS.glob("pdf_*.pdf"))
    # Worker processes, so that a hang or a crash of the PDF libraries is caught too.
    pool = multiprocessing.get_context("spawn").Pool(2)
    try:
        pending = {path.name: pool.apply_async(extract_in_worker, (str(path),)) for path in paths}
        results, hung = {}, []
        deadline = time.monotonic() + ROBUSTNESS_TIMEOUT
        for name, result in pending.items():
            try:
                results[name] = result.get(timeout=max(0.1, deadline - time.monotonic()))
            except multiprocessing.TimeoutError:
                hung.append(name)
    finally:
        pool.terminate()
    assert not hung, f"no result within {ROBUSTNESS_TIMEOUT:.0f} s: {hung}"
    crashes = {name: detail for name, (kind, detail, _) in results.items() if kind == "crash"}
    assert not crashes
    for name, (kind, detail, _) in results.items():
        if kind == "error":
            assert "\n" not in detail and detail.endswith("."), (name, detail)
    assert sum(kind == "ok" for kind, _, _ in results.values()) >= 30


def _report_pages(footer: str, count: int = 6) -> list[str]:
    body = "De commissie adviseert over risicoprofilering en de inzet van algoritmes bij de gemeente."
    return [f"Hoofdstuk {n}\n{body}\n{body}\n{footer.format(n=n)}" for n in range(1, count + 1)]


@pytest.mark.parametrize(
    ("footer", "publisher"),
    [
        ("{n} Risicoprofilering heronderzoek – Algorithm Audit", "Algorithm Audit"),
        ("PARTIJ VOOR DE VRIJHEID {n}", "Partij voor de Vrijheid"),
        ("Sociaal en Cultureel Planbureau | {n}", "Sociaal en Cultureel Planbureau"),
        ("{n} C. S. Czymara", None),  # a person's initials
        ("{n} Czymara and Schmidt", None),  # the authors
        ("{n} Vooringenomenheid Voorkomen", None),  # the running title
        ("Downloaded from https://academic.oup.com {n}", None),
        ("CDA verkiezingsprogramma {n}", None),  # not a name
    ],
)
def test_a_publisher_is_read_from_the_running_lines(footer: str, publisher: str | None) -> None:
    from indexer.pdf.publisher import find_running_publisher

    found = find_running_publisher(_report_pages(footer), title="Vooringenomenheid voorkomen",
                                   authors=["Christian Czymara", "Alexander Schmidt"])
    assert found == publisher


def test_the_duo_report_names_its_publisher_in_every_footer() -> None:
    data = (Path(__file__).resolve().parents[1] / "data" / "sample"
            / "nl_algorithmaudit_vooringenomenheid-voorkomen-cub-duo_2024.pdf").read_bytes()
    extracted = extract_pdf(data)
    assert extracted.publisher == "Algorithm Audit" and extracted.provenance["publisher"] == "layout"
