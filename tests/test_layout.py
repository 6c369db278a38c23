"""kenniskamer.text.layout: running lines under the two rules its callers use, and the reference list."""

from __future__ import annotations

from kenniskamer.text.layout import edge_lines, line_key, reference_share, reference_spans, running_keys


def test_line_key_keeps_the_letters_of_a_line() -> None:
    assert line_key("12 E. Bleich et al.") == line_key("E. Bleich et al. 13") == "ebleichetal"
    assert line_key("  - 12 -  ") == "- 12 -"  # no letters: the line is its own key


def test_edge_lines_are_the_first_and_last_non_blank_lines() -> None:
    lines = ["", "a", "b", "", "c", "d", "e", ""]
    assert edge_lines(lines, depth=2) == [1, 2, 5, 6]
    assert edge_lines(lines) == [1, 2, 4, 5, 6]  # five at each end: all of them, each once


def test_the_strip_rule_wants_most_odd_or_even_pages() -> None:
    # The journal heads the left pages, the short title the right ones.
    pages = [
        [f"{n} JOURNAL OF THINGS" if n % 2 else f"A Study {n}", f"Page {n} starts {'ab' * n}.", f"It ends {'cd' * n}.", str(n)]
        for n in range(1, 9)
    ]
    assert running_keys(pages) == {"journalofthings", "astudy"}
    # The short title on two of the four right pages only: no longer most of them.
    pages[1][0] = pages[3][0] = "Something else"
    assert running_keys(pages) == {"journalofthings"}


def test_the_title_and_summary_rule_takes_two_pages() -> None:
    pages = [["Header of this report", "Text one."], ["Text two.", "more"], ["Header of this report", "Text three."]]
    assert running_keys(pages, depth=2, min_lines=1, min_repeats=2, share=0.0) == {"headerofthisreport"}
    assert running_keys(pages) == set()  # too few lines and repeats for stripping


PROSE = """The public debate on asylum changed after 2015. Several studies found that media
coverage shaped attitudes toward refugees (Czymara and Dochow 2018), and that the tone of
headlines matters more than their number (Bleich et al., 2015). We build on that work and
ask whether the effect lasts. Our data come from a panel survey held in three waves, and we
measure support for refugees with four items on a five-point scale that earlier research used."""

REFERENCES = """References
Bansak, K., Hainmueller, J. and Hangartner, D. (2016). How economic, humanitarian, and
religious concerns shape European attitudes toward asylum seekers. Science, 354, 217–222.
Bleich, E., Stonebraker, H., Nisar, H. and Abdelhamid, R. (2015). Media portrayals of minorities:
Muslims in British newspaper headlines, 2001–2012. Journal of Ethnic and Migration Studies,
41 (6), 942–962. https://doi.org/10.1080/1369183X.2014.1002200
Czymara, C. S. and Dochow, S. (2018). Mass media and concerns about immigration in Germany
in the 21st century. European Sociological Review, 34 (4), 381–401.
Hopkins, D. J. (2010). Politicized places: explaining where and when immigrants provoke
local opposition. American Political Science Review, 104 (1), 40–60."""


def _pages(*middle: str) -> list[str]:
    """A document: three pages of prose, then ``middle``."""
    return [PROSE, PROSE, PROSE, *middle]


def test_a_reference_list_that_starts_halfway_down_a_page_is_found_from_its_heading() -> None:
    page = PROSE + "\n" + REFERENCES
    last = "Jones, A. (2020). The last entry. Politics, 12 (3), 1–9."
    spans = reference_spans(_pages(page, last))
    assert spans[:3] == [None, None, None]
    assert spans[3] == (len(PROSE) + 1, len(page))  # from the heading on, the prose above it stays
    assert page[spans[3][0] :].startswith("References")
    assert spans[4] == (0, len(last))  # and runs on over the next page
    assert 0.5 < reference_share(page, spans[3]) < 0.7


def test_a_reference_list_without_a_heading_is_found_by_its_lines() -> None:
    entries = REFERENCES.removeprefix("References\n")
    spans = reference_spans(_pages(PROSE + "\n" + entries))
    assert spans[3] == (len(PROSE) + 1, len(PROSE) + 1 + len(entries))


def test_a_page_of_endnotes_full_of_citations_is_references() -> None:
    notes = """Notes
1. R. M. Chow, J. Galak, The effect of inequality frames on support for redistributive tax
policies. Psychol. Sci. 23, 1467–1469 (2012).
2. M. Fleming, Statement by UN High Commissioner for Refugees on the Refugee Crisis in Europe
(UNHCR, Geneva, 2015); www.unhcr.org/55e9459f6.html.
3. Gallie WB (1955) Essentially contested concepts. Proc Aristotelian Soc 56:167–198.
4. Kymlicka W (1995) Multicultural Citizenship: A Liberal Theory of Minority Rights (Clarendon
Press, Oxford, 1995).
5. D. J. Hopkins, Politicized places. Am. Polit. Sci. Rev. 104, 40–60 (2010)."""
    assert reference_spans(_pages(notes))[3] == (0, len(notes))


def test_prose_that_cites_studies_in_passing_is_not_references() -> None:
    assert reference_spans(_pages(PROSE, PROSE)) == [None] * 5
    # Notes that explain rather than cite are not a reference list either.
    notes = "Notes\n1. We asked the question in Dutch.\n2. The wording follows Hopkins (2010).\n3. Results hold without weights."
    assert reference_spans(_pages(notes)) == [None] * 4


def test_a_reference_list_ends_at_an_appendix() -> None:
    appendix = "Appendix A\nTable A1 shows the items, 2015-2016.\n" + PROSE
    spans = reference_spans(_pages(REFERENCES, appendix))
    assert spans[3] == (0, len(REFERENCES))
    assert spans[4] is None


def test_a_heading_in_the_contents_starts_nothing() -> None:
    contents = "Contents\nIntroduction 1\nReferences\nAppendix 9"
    assert reference_spans([contents, PROSE, PROSE, PROSE, PROSE]) == [None] * 5
