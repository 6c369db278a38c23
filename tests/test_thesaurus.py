"""The thesaurus: its file, cross-language lookup and its cached index."""

from __future__ import annotations

from pathlib import Path

import pytest

from kenniskamer.errors import KennisError
from kenniskamer.thesaurus import Thesaurus, load_thesaurus


@pytest.fixture(scope="module")
def thesaurus() -> Thesaurus:
    return load_thesaurus()


# --- the thesaurus -------------------------------------------------------------------------

PAIRS = [
    ("vluchteling", "refugee"),
    ("asielzoeker", "asylum seeker"),
    ("draagvlak", "public support"),
    ("houding", "attitude"),
    ("beeldvorming", "media portrayal"),
    ("effectmeting", "impact evaluation"),
    ("polarisatie", "polarization"),
    ("polarisatie", "polarisation"),
    ("migratie", "migration"),
    ("immigratie", "immigration"),
    ("integratie", "integration"),
    ("vooroordeel", "prejudice"),
    ("verkiezingsprogramma", "party manifesto"),
    ("opvang", "reception"),
    ("arbeidsmigrant", "labour migrant"),
    ("statushouder", "refugee with residence permit"),
    ("nieuwkomer", "newcomer"),
    ("verhaal", "narrative"),
    ("waarden", "values"),
    ("populisme", "populism"),
    ("extreemrechts", "far right"),
    ("partij", "party"),
    ("kiezer", "voter"),
    ("verkiezing", "election"),
    ("enquête", "survey"),
    ("steekproef", "sample"),
    ("peiling", "poll"),
    ("vignet", "vignette"),
    ("moslim", "Muslim"),
    ("huisvesting", "housing"),
    ("woningnood", "housing shortage"),
    ("angst", "fear"),
    ("dreiging", "threat"),
    ("discriminatie", "discrimination"),
    ("sociale cohesie", "social cohesion"),
    ("desinformatie", "disinformation"),
    ("campagne", "campaign"),
]


def test_the_thesaurus_has_hundreds_of_pairs(thesaurus: Thesaurus) -> None:
    assert len(thesaurus) >= 400
    assert ("vluchteling", "refugee") in thesaurus.pairs


@pytest.mark.parametrize(("dutch", "english"), PAIRS)
def test_equivalents_work_both_ways(thesaurus: Thesaurus, dutch: str, english: str) -> None:
    assert english in thesaurus.equivalents(dutch)
    assert dutch in thesaurus.equivalents(english)


def test_equivalents_include_variants_and_fold_case_accents_and_plurals(thesaurus: Thesaurus) -> None:
    assert {"polarization", "polarisation"} <= set(thesaurus.equivalents("polarisatie"))
    assert "polarisation" in thesaurus.equivalents("polarization")  # a variant sharing a partner
    assert "draagvlak" in thesaurus.equivalents("Public Support")
    assert "refugee" in thesaurus.equivalents("vluchtelingen")
    assert "refugee" in thesaurus.equivalents("VLUCHTELINGEN")
    assert "vluchteling" in thesaurus.equivalents("refugees")
    assert "survey" in thesaurus.equivalents("enquete")
    assert "asylum seeker" in thesaurus.equivalents("asielzoekers")
    assert "polarisatie" not in thesaurus.equivalents("polarisatie")
    assert thesaurus.equivalents("zimbabwe") == ()
    assert thesaurus.equivalents("") == ()


def test_find_phrases_finds_the_longest_entries(thesaurus: Thesaurus) -> None:
    found = thesaurus.find_phrases(["public", "support", "for", "refugees"])
    assert [(start, end) for start, end, _ in found] == [(0, 2), (3, 4)]
    assert "draagvlak" in found[0][2]
    assert "vluchteling" in found[1][2]
    found = thesaurus.find_phrases(["Affectieve", "polarisatie", "en", "draagvlak"])
    assert [(start, end) for start, end, _ in found] == [(0, 2), (3, 4)]
    assert "affective polarization" in found[0][2]
    assert thesaurus.find_phrases(["the", "zimbabwe", "coup"]) == []


def test_a_thesaurus_built_from_pairs() -> None:
    thesaurus = Thesaurus([("polarisatie", "polarization"), ("polarisatie", "polarisation")])
    assert thesaurus.equivalents("polarization") == ("polarisatie", "polarisation")


def test_the_thesaurus_knows_the_language_of_its_terms() -> None:
    """The search looks for an expansion in text of its own language, stemmed as meant."""
    thesaurus = Thesaurus([("asielzoeker", "asylum seeker"), ("framing", "framing")])
    assert thesaurus.languages_of("asielzoeker") == ("nl",)
    assert thesaurus.languages_of("asylum seeker") == ("en",)
    assert thesaurus.languages_of("framing") == ("nl", "en")
    assert thesaurus.languages_of("vluchteling") == ()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("vluchteling\trefugee\n", "header"),
        ("nl\ten\nvluchteling\trefugee\textra\n", "line 2"),
        ("nl\ten\n# a comment\n\nvluchteling refugee\n", "line 4"),
        ("nl\ten\nvluchteling\t\n", "line 2"),
        ("# only a comment\n", "header"),
    ],
)
def test_a_malformed_thesaurus_is_a_user_error(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "thesaurus.tsv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KennisError) as err:
        load_thesaurus(path)
    assert str(path) in str(err.value)
    assert problem in str(err.value)


def test_a_missing_thesaurus_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(KennisError, match="does not exist"):
        load_thesaurus(tmp_path / "nope.tsv")


def test_the_thesaurus_index_is_kept_in_the_cache_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`kenniskamer search` reads the built index back instead of stemming every term again;
    a changed thesaurus file, or a damaged or unwritable cache, never gives a wrong one."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    source = tmp_path / "thesaurus.tsv"
    source.write_text("nl\ten\nasielzoeker\tasylum seeker\nvluchteling\trefugee\n", encoding="utf-8")
    built = load_thesaurus(source)
    kept = list((cache / "kenniskamer").glob("thesaurus-*.json"))
    assert len(kept) == 1
    with monkeypatch.context() as patched:  # the second load must not index the terms again
        patched.setattr(Thesaurus, "__init__", None)
        again = load_thesaurus(source)
    assert again.equivalents("asielzoekers") == built.equivalents("asielzoekers") == ("asylum seeker",)
    assert again.find_phrases(["asylum", "seekers"]) == built.find_phrases(["asylum", "seekers"])
    assert len(again) == 2 and again.languages_of("refugee") == ("en",)

    source.write_text("nl\ten\nasielzoeker\tasylum applicant\n", encoding="utf-8")
    assert load_thesaurus(source).equivalents("asielzoeker") == ("asylum applicant",)
    assert [path.name for path in (cache / "kenniskamer").glob("thesaurus-*.json")] != [kept[0].name]

    for path in (cache / "kenniskamer").glob("thesaurus-*.json"):
        path.write_text('{"pairs": [["kapot"', encoding="utf-8")
    assert load_thesaurus(source).equivalents("asielzoeker") == ("asylum applicant",)
    monkeypatch.setenv("XDG_CACHE_HOME", str(source))  # a file, not a folder: nothing can be kept
    assert load_thesaurus(source).equivalents("asielzoeker") == ("asylum applicant",)
