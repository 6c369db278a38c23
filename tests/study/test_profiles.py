"""Study profiles (kind, methods, countries, groups): read from real documents, kept by the catalog,
edited by curators, read again by reindex, and searched as facets and query fields."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from conftest import SAMPLE, needs_corpus
from score_profiles import load_labels, profiles, score

from kenniskamer.config import Settings
from kenniskamer.errors import KennisError, QueryError
from kenniskamer.library import Library
from kenniskamer.search import SearchEngine, SearchQuery
from kenniskamer.search.query import resolve_study
from kenniskamer.study import default_vocabulary, load_vocabulary, read_profile
from webui.app import create_app


def test_profiles_match_what_a_reader_labelled(topical_library: Path) -> None:
    """The issue's bars, on every topical document labelled by reading it (tests/study/labels.toml)."""
    figures = score(load_labels(), profiles(Library.open(topical_library)))
    assert figures.documents == 65
    assert figures.kind >= 0.90
    assert figures.research >= 30 and figures.main_method >= 0.85
    assert figures.countries_f1 >= 0.85
    assert figures.groups_f1 >= 0.75


def test_every_value_says_where_it_was_read(topical_library: Path) -> None:
    library = Library.open(topical_library)
    doc = next(d for d in library.documents() if d.filename == "en_czymara2017_refugees-unwelcome_ESR.pdf")
    study = doc.study
    assert (study.kind, study.methods[0], study.countries) == ("research", "survey-experiment", ("DE",))
    method = study.evidence["methods"][0]
    assert method.value == "survey-experiment" and "survey experiment" in method.text.lower()
    for name in ("kind", "methods", "countries", "groups"):
        assert study.evidence[name], name
        for evidence in study.evidence[name]:
            pages = library.pages(doc.doc_id)
            where = (doc.title + " " + (doc.summary or "")) if evidence.page == 0 else pages[evidence.page - 1]
            start = evidence.text.rstrip("…")[:40]
            assert " ".join(start.split()) in " ".join(where.split()), (name, evidence)


def test_a_manifesto_is_about_its_country_not_a_study_with_methods(topical_library: Path) -> None:
    library = Library.open(topical_library)
    pvv = next(d for d in library.documents() if d.filename == "nl_pvv_verkiezingsprogramma-2025.pdf")
    assert pvv.study.kind == "manifesto" and pvv.study.methods == () and pvv.study.countries == ("NL",)
    assert "refugees" in pvv.study.groups


def test_a_country_in_the_references_or_an_affiliation_proves_nothing() -> None:
    vocabulary = default_vocabulary()
    pages = [
        "Public attitudes towards refugees\nJane Doe, University of Amsterdam, the Netherlands\n\n"
        "We conducted a survey experiment among 2,000 German respondents. Respondents in Germany were "
        "randomly assigned to one of two vignettes about refugees. German respondents were more "
        "welcoming when refugees were described as fleeing war. Syrian refugees were rated like others.",
        "Results\nGermans in the east and west of Germany did not differ.\n\nReferences\n"
        "Hainmueller, J. (2015). Attitudes in the Netherlands. American Journal of Political Science, 59(3), 529-548.\n"
        "Doe, J. (2019). Dutch views on asylum. Acta Politica, 54, 1-20.\n"
        "Smith, A. (2018). The Netherlands and Belgium compared. West European Politics, 41, 2-30.\n"
        "Jones, B. (2017). Refugees in Sweden. Journal of Ethnic and Migration Studies, 43, 5-25.\n",
    ]
    summary = ("We conducted a survey experiment among 2,000 respondents in Germany. Our data show that "
               "respondents were more welcoming when refugees fled war; this study tests three hypotheses.")
    profile = read_profile(vocabulary, title="Public attitudes towards refugees", summary=summary, pages=pages,
                           mime="application/pdf", doc_type="study")
    assert profile.kind == "research"
    assert profile.countries == ("DE",)  # not NL (affiliation, references), not SY (where refugees came from)
    assert profile.methods[0] == "survey-experiment" and profile.groups == ("refugees",)


def test_values_are_typed_as_ids_or_dutch_or_english_labels() -> None:
    assert resolve_study("group", "Vluchtelingen") == "refugees"
    assert resolve_study("country", "Nederland") == "NL" and resolve_study("country", "nl") == "NL"
    assert resolve_study("method", "surveyexperiment") == "survey-experiment"
    assert resolve_study("kind", "onderzoek") == "research" and resolve_study("kind", "beleid") == "policy"
    with pytest.raises(QueryError, match=r"^land:Atlantis is not known; use one of NL, BE, DE"):
        resolve_study("country", "Atlantis")


def test_a_malformed_vocabulary_is_a_user_error(tmp_path: Path) -> None:
    path = tmp_path / "study.toml"
    path.write_text('[[kind]]\nid = "research"\nlabel_nl = "Onderzoek"\nterms = ["data"]\n', encoding="utf-8")
    with pytest.raises(KennisError, match=r"needs the texts label_nl and label_en\. Fix the file and try again\."):
        load_vocabulary(path)


def test_facets_and_query_fields_find_the_dutch_survey_experiments(topical_library: Path) -> None:
    needs_corpus()
    client = create_app(Settings(library=topical_library, meaning=False)).test_client()
    api = client.get("/api/search?q=land:NL%20methode:survey-experiment&size=50").json
    library = Library.open(topical_library)
    expected = {d.doc_id for d in library.documents() if "NL" in d.study.countries and "survey-experiment" in d.study.methods}
    assert expected and {hit["id"] for hit in api["hits"]} == expected
    for hit in api["hits"]:
        assert "NL" in hit["study"]["countries"] and "survey-experiment" in hit["study"]["methods"]
    # The facet counts agree with the hits, and the filters give what the query fields give.
    by_filter = client.get("/api/search?country=NL&method=survey-experiment&size=50").json
    assert {hit["id"] for hit in by_filter["hits"]} == expected
    germany = client.get("/api/search?q=refugees&size=50").json
    assert germany["total"] <= 50  # every hit on one page, to count them
    counted = {c["value"]: c["count"] for c in germany["facets"]["country"]}
    assert counted["DE"] == sum("DE" in hit["study"]["countries"] for hit in germany["hits"])
    kinds = {c["value"]: c["count"] for c in germany["facets"]["kind"]}
    assert sum(kinds.values()) == germany["total"]
    # The results page labels the facets in Dutch and shows each hit's profile in short.
    page = client.get("/?q=land:NL%20methode:surveyexperiment").get_data(as_text=True)
    for heading in ("Soort document", "Onderzoeksmethode", "Land", "Doelgroep"):
        assert f">{heading}</h3>" in page
    assert '<p class="study"' in page and ">Surveyexperiment</a>" in page and ">Nederland</a>" in page


def test_a_curators_profile_wins_and_survives_reindex(invoke, writable_sample: Path) -> None:
    listed = json.loads(invoke("list", "--json", "--library", writable_sample).stdout)
    doc = next(d for d in listed if "risicoprofilering" in d["source"])
    assert doc["study"]["kind"] == "policy" and doc["study"]["countries"] == ["NL"]
    result = invoke("edit", doc["id"], "--kind", "onderzoek", "--method", "administrative-data", "--country", "nl",
                    "--group", "Etnische minderheden", "--library", writable_sample)
    assert result.exit_code == 0, result.stderr
    assert invoke("reindex", "--library", writable_sample).exit_code == 0
    shown = json.loads(invoke("show", doc["id"], "--json", "--library", writable_sample).stdout)
    assert shown["study"] == {"kind": "research", "methods": ["administrative-data"], "countries": ["NL"],
                              "groups": ["ethnic-minorities"]}
    assert shown["provenance"]["methods"] == "curator"
    found = json.loads(invoke("search", "methode:registerdata doelgroep:\"etnische minderheden\"", "--json",
                              "--library", writable_sample).stdout)
    assert [hit["id"] for hit in found["hits"]] == [doc["id"]]
    assert invoke("edit", doc["id"], "--clear", "kind", "--clear", "method", "--library", writable_sample).exit_code == 0
    shown = json.loads(invoke("show", doc["id"], "--json", "--library", writable_sample).stdout)
    assert shown["study"]["kind"] == "policy" and shown["study"]["methods"] == []
    bad = invoke("edit", doc["id"], "--method", "astrology", "--library", writable_sample)
    assert bad.exit_code == 2 and "Invalid value for --method: 'astrology' is not known; use one of survey-experiment" in bad.stderr


def test_show_and_dry_run_give_the_evidence(invoke, writable_sample: Path, tmp_path: Path) -> None:
    listed = json.loads(invoke("list", "--json", "--library", writable_sample).stdout)
    doc = next(d for d in listed if "vooringenomenheid" in d["source"])
    shown = invoke("show", doc["id"], "--library", writable_sample).stdout
    assert "\ncountries  NL  [heuristic]\n" in shown and '   NL: "' in shown and "(p. " in shown


    dry = invoke("add", "--dry-run", SAMPLE / "nl_algorithmaudit_risicoprofilering-bijstand-advies_2023.pdf",
                 "--library", tmp_path / "new")
    assert dry.exit_code == 0 and "  kind      policy  [heuristic]" in dry.stdout


def test_reindex_reads_profiles_from_the_stored_text_alone(invoke, writable_sample: Path) -> None:
    """A library from before study profiles: reindex fills them in without opening an original."""
    catalog = writable_sample / "catalog.sqlite3"
    with sqlite3.connect(catalog) as conn:
        conn.execute("ALTER TABLE documents DROP COLUMN study")
    for original in (writable_sample / "originals").rglob("*.*"):
        original.unlink()  # no original is read again
    library = Library.open(writable_sample)  # the column comes back, empty
    assert all(doc.study.kind is None for doc in library.documents())
    result = invoke("reindex", "--library", writable_sample)
    assert result.exit_code == 0 and "read the study profiles of 11" in result.stdout
    library = Library.open(writable_sample)
    assert all(doc.study.kind for doc in library.documents())
    engine = SearchEngine(library)
    assert engine.search(SearchQuery(text="soort:beleid")).total >= 1
    again = invoke("reindex", "--library", writable_sample)
    assert "read the study profiles" not in again.stdout  # read with these rules: not again


def test_a_dry_run_shows_the_curators_profile(invoke, tmp_path: Path) -> None:
    dry = invoke("add", "--dry-run", "--method", "survey", "--country", "Duitsland",
                 SAMPLE / "en_czymara2020_threat-to-the-occident_frontiers.pdf", "--library", tmp_path / "new")
    assert dry.exit_code == 0, dry.stderr
    assert "  methods   survey  [curator]" in dry.stdout and "  countries DE  [curator]" in dry.stdout
