"""PDF extraction: text repair, metadata parsing, and real files from the shared corpus."""

from __future__ import annotations

import csv
import multiprocessing
import re
import time
from pathlib import Path

import pytest
from rapidfuzz import fuzz
from rapidfuzz.utils import default_process

from indexer._pdf import clean_text, extract_pdf, find_printed_date, parse_pdf_date, parse_xmp, split_authors
from kenniskamer.errors import ExtractionError
from kenniskamer.models import FLAG_NEEDS_OCR, Extracted

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
    ],
)
def test_find_printed_date(text: str, iso: str | None) -> None:
    assert find_printed_date(text) == iso


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
    for number in range(1, len(pvv) + 1):
        assert re.search(rf"PARTIJ VOOR DE VRIJHEID {number}\b", pvv[number - 1]), number
    denk = topical["nl_denk_verkiezingsprogramma-2025.pdf"].pages
    assert denk[1] == ""  # an empty page keeps its place
    assert "Inhoudsopgave" in denk[2]
    # The 1,460 pages of the topical corpus, each its own entry.
    assert sum(len(doc.pages) for doc in topical.values()) == 1460


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
    assert (polls.date, polls.provenance["date"]) == ("2022-06-23", "heuristic")  # "Published online: 23 June 2022"
    assert polls.mime == "application/pdf" and polls.flags == ()
    # Only the creation date is known: it is the fallback, from the metadata.
    kraft = topical["en_kraft_change-my-view-moral-appeals-compromise.pdf"]
    assert (kraft.date, kraft.provenance["date"]) == ("2023-08-07", "metadata")
    # Journal and year from a citation in /Subject: "Science 2016.354:217-222".
    science = topical["en_bansak-et-al2016_attitudes-toward-asylum-seekers_science.pdf"]
    assert (science.publisher, science.date) == ("Science", "2016")
    lee = topical["en_lee-et-al2026_linguistic-polarization-minority-representation.pdf"]
    assert len(lee.authors) == 4 and "Florencia Piñeyrúa" in lee.authors  # XMP has all four, /Author one


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
    except BaseException as err:  # noqa: BLE001 - the test reports it as a failure
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
