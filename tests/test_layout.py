"""kenniskamer.text.layout: running lines under the two rules its callers use, and the reference list."""

from __future__ import annotations

from kenniskamer.text.layout import edge_lines, line_key, reference_pages, running_keys


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


def test_reference_pages_run_from_the_heading_to_an_appendix() -> None:
    pages = ["Contents\nReferences 9", "Intro", "Method", "Results", "References\nAbbott, A.", "Zeller, Z.",
             "Appendix A\nTables", "More tables"]  # fmt: skip
    assert reference_pages(pages) == frozenset({5, 6})
    assert reference_pages(pages[:4]) == frozenset()  # the contents line in the first half does not count
