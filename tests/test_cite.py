"""Citations: APA, BibTeX and RIS from catalog documents (literal values and a real document)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kenniskamer.cite import bibtex_escape, format_citation, parse_name
from kenniskamer.errors import KennisError
from kenniskamer.library import Library
from kenniskamer.models import Document


def make_doc(**fields) -> Document:
    values = dict(
        doc_id="0123456789ab", title="Title", source="/tmp/x.pdf", filename="x.pdf", sha256="0" * 64,
        mime="application/pdf", size=1, added="2026-01-01T00:00:00Z",
    )
    values.update(fields)
    return Document(**values)


CZYMARA = make_doc(
    title="Whose Support Matters? Attitudes toward Refugees",
    authors=("Christian S. Czymara", "Marcus Eisentraut"),
    year=2020, date="2020", publisher="Frontiers in Sociology", doc_type="study", language="en",
)


def test_apa_two_authors_with_initials_and_ampersand() -> None:
    assert format_citation(CZYMARA, "apa") == (
        "Czymara, C. S., & Eisentraut, M. (2020). Whose Support Matters? Attitudes toward Refugees. "
        "Frontiers in Sociology."
    )


@pytest.mark.parametrize(
    ("raw", "family", "initials"),
    [
        ("Christian S. Czymara", "Czymara", "C. S."),
        ("Antonia C May", "May", "A. C."),
        ("Mariken A.C.G. van der Velden", "van der Velden", "M. A. C. G."),
        ("Czymara, Christian S.", "Czymara", "C. S."),
        ("Jean-Pierre de la Fontaine", "de la Fontaine", "J.-P."),
        ("Justus von Daniels", "von Daniels", "J."),
    ],
)
def test_names_are_split_at_particles_and_abbreviated(raw: str, family: str, initials: str) -> None:
    name = parse_name(raw)
    assert (name.family, name.initials()) == (family, initials)


def test_organisations_are_cited_as_written() -> None:
    doc = make_doc(title="Berlin confronts its past", authors=("Deutsche Welle (www.dw.com)",), year=2020,
                   date="2020-01-19", doc_type="webpage", mime="text/html", source="https://www.dw.com/x")
    assert format_citation(doc, "apa") == (
        "Deutsche Welle (www.dw.com). (2020, January 19). Berlin confronts its past. https://www.dw.com/x"
    )
    assert "author = {{Deutsche Welle (www.dw.com)}}" in format_citation(doc, "bibtex")


def test_apa_without_authors_starts_with_the_title_and_says_nd_without_year() -> None:
    assert format_citation(make_doc(title="Populisme."), "apa") == "Populisme. (n.d.)."


def test_apa_lists_up_to_twenty_authors_then_an_ellipsis() -> None:
    letters = "ABCDEFGHIJKLMNOPQRSTUVW"
    many = tuple(f"{ch}given {ch}family" for ch in letters)  # 23 authors
    text = format_citation(make_doc(authors=many, year=2021), "apa")
    assert text.startswith("Afamily, A., Bfamily, B., ")
    assert "Sfamily, S., . . . Wfamily, W. (2021)." in text and "Tfamily" not in text


def test_bibtex_key_fields_and_escaping() -> None:
    doc = make_doc(
        title="Costs & benefits: 50% of {all} migrants_in #NL", authors=("Mariken A.C.G. van der Velden", "Tom Louwerse"),
        year=2022, publisher="Acta Politica", doc_type="study", source="https://example.org/a?b=1&c=2",
    )
    text = format_citation(doc, "bibtex")
    assert text.startswith("@article{velden2022costs,\n")
    assert "author  = {van der Velden, Mariken A.C.G. and Louwerse, Tom}" in text
    assert r"title   = {Costs \& benefits: 50\% of \{all\} migrants\_in \#NL}" in text
    assert "journal = {Acta Politica}" in text
    assert r"url     = {https://example.org/a?b=1\&c=2}" in text
    assert text.endswith("\n}")
    assert text.count("{") == text.count("}")
    assert bibtex_escape("a~b^c\\d") == r"a\textasciitilde{}b\textasciicircum{}c\textbackslash{}d"


def test_ris_tags_in_order() -> None:
    lines = format_citation(CZYMARA, "ris").splitlines()
    assert lines[0] == "TY  - JOUR"
    assert lines[1:3] == ["AU  - Czymara, Christian S.", "AU  - Eisentraut, Marcus"]
    assert "TI  - Whose Support Matters? Attitudes toward Refugees" in lines
    assert "PY  - 2020" in lines and "JO  - Frontiers in Sociology" in lines
    assert lines[-1] == "ER  -"


def test_unknown_style_is_a_user_error() -> None:
    with pytest.raises(KennisError, match="Unknown citation style 'mla'; use one of: apa, bibtex, ris."):
        format_citation(CZYMARA, "mla")


def careless_whisper(library: Library) -> Document:
    return next(d for d in library.documents() if d.title.startswith("Careless whisper"))


def test_a_real_document_in_all_three_styles(sample_library: Path) -> None:
    doc = careless_whisper(Library.open(sample_library))
    assert format_citation(doc, "apa") == (
        "May, A. C., & Czymara, C. S. (2024). Careless whisper: Political elite discourses activate national "
        "identities for far-right voting preferences. Nations and Nationalism."
    )
    bib = format_citation(doc, "bibtex")
    assert bib.startswith("@article{may2024careless,")
    assert "author  = {May, Antonia C and Czymara, Christian S}" in bib
    ris = format_citation(doc, "ris").splitlines()
    assert ris[:3] == ["TY  - JOUR", "AU  - May, Antonia C", "AU  - Czymara, Christian S"]
    assert "PY  - 2024" in ris and f"ID  - {doc.doc_id}" in ris and ris[-1] == "ER  -"
