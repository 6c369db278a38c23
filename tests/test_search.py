"""The search core: analysis, query syntax, facets, sorting, suggestions and thread safety."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from indexer.pipeline import AddOptions, run
from kenniskamer.errors import QueryError
from kenniskamer.library import Library
from kenniskamer.search import SearchEngine, SearchQuery
from kenniskamer.search.passages import highlight
from kenniskamer.text.layout import reference_spans

PAGE = """<!doctype html><html lang="{lang}"><head><title>{title}</title></head>
<body><article><h1>{title}</h1>{body}</article></body></html>"""


def _html(folder: Path, name: str, title: str, paragraphs: list[str], lang: str = "nl") -> Path:
    path = folder / name
    body = "".join(f"<p>{text}</p>" for text in paragraphs)
    path.write_text(PAGE.format(lang=lang, title=title, body=body), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> SearchEngine:
    """A library of three short Dutch and English web pages written for these tests."""
    folder = tmp_path_factory.mktemp("pages")
    _html(folder, "ruine.html", "De ruïne van de coöperatie", [
        "Na de brand bleef van het gebouw van de coöperatie alleen een ruïne over. De leden van de coöperatie "
        "kwamen bijeen om te bespreken hoe het draagvlak voor herbouw in het dorp kon worden vergroot.",
        "Vluchtelingen die in het dorp woonden hielpen mee met de opbouw, wat de houding van de inwoners veranderde.",
    ])
    _html(folder, "polarisation.html", "Polarization and public support for refugees", [
        "Affective polarization between voters has grown in many European democracies over the last decade. "
        "This article asks how polarization shapes public support for refugees and for the reception of asylum seekers.",
        "We find that support for refugees falls when the debate is framed as a threat to national identity.",
    ], lang="en")
    _html(folder, "contact.html", "Contact en ontmoeting in de wijk", [
        "Ontmoetingen tussen buurtbewoners en nieuwkomers verminderen vooroordelen, zo blijkt uit dit onderzoek "
        "in drie wijken. De onderzoekers volgden bewoners twee jaar lang met een enquête en interviews.",
    ])
    library = Library.open(tmp_path_factory.mktemp("small") / "library", create=True)
    report = run(library, [str(folder)], AddOptions(jobs=1))
    assert not report.failed
    return SearchEngine(library)


def titles(page) -> list[str]:
    return [hit.doc.title for hit in page.hits]


@pytest.mark.parametrize("query", ["ruine", "ruïne", "RUÏNE", "cooperatie", "coöperatie"])
def test_accents_fold_at_index_and_query_time(small: SearchEngine, query: str) -> None:
    assert titles(small.search(SearchQuery(query))) == ["De ruïne van de coöperatie"]


def test_dutch_stemming_finds_other_forms(small: SearchEngine) -> None:
    # "ontmoeting" and "ontmoetingen", "vooroordeel" and "vooroordelen" share Dutch stems.
    assert titles(small.search(SearchQuery("ontmoeting vooroordeel"))) == ["Contact en ontmoeting in de wijk"]


def test_a_dutch_query_finds_an_english_study_and_says_what_it_added(small: SearchEngine) -> None:
    page = small.search(SearchQuery("polarisatie"))
    assert titles(page) == ["Polarization and public support for refugees"]
    assert "polarization" in page.expansions


def test_expansions_rank_below_exact_matches(small: SearchEngine) -> None:
    # The English page says "public support"; found through the thesaurus ("draagvlak") it scores lower.
    english = "Polarization and public support for refugees"
    words = SearchEngine(small.library, meaning=False)  # the word scores, before meaning is fused in
    exact = {h.doc.title: h.score for h in words.search(SearchQuery("public support")).hits}[english]
    expanded = {h.doc.title: h.score for h in words.search(SearchQuery("draagvlak")).hits}[english]
    assert 0 < expanded < exact / 2
    assert titles(small.search(SearchQuery("draagvlak", expand=False))) == ["De ruïne van de coöperatie"]


def test_phrase_and_boolean_operators(small: SearchEngine) -> None:
    assert titles(small.search(SearchQuery('"national identity"'))) == ["Polarization and public support for refugees"]
    assert small.search(SearchQuery('"identity national"', expand=False)).total == 0
    both = small.search(SearchQuery("vluchtelingen OR nieuwkomers", expand=False))
    assert set(titles(both)) == {"De ruïne van de coöperatie", "Contact en ontmoeting in de wijk"}
    assert titles(small.search(SearchQuery("wijk NOT brand", expand=False))) == ["Contact en ontmoeting in de wijk"]
    assert titles(small.search(SearchQuery("wijk NIET brand", expand=False))) == ["Contact en ontmoeting in de wijk"]
    assert small.search(SearchQuery("brand AND enquête", expand=False)).total == 0


def test_field_queries_in_dutch_and_english(small: SearchEngine) -> None:
    assert titles(small.search(SearchQuery("titel:ontmoeting"))) == ["Contact en ontmoeting in de wijk"]
    assert titles(small.search(SearchQuery("title:polarization"))) == ["Polarization and public support for refugees"]
    assert small.search(SearchQuery("taal:en")).total == 1
    assert small.search(SearchQuery("lang:Nederlands")).total == 2


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("framing AND", "AND needs a word on both sides"),
        ("jaar:2022..2019", "runs backwards"),
        ("jaar:twintig", "is not a year"),
        ("thema:onbekend", "is not a theme"),
        ("taal:klingon", "is not a language"),
        ("x" * 600, "the limit is 500"),
    ],
)
def test_malformed_queries_are_user_errors(small: SearchEngine, query: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        small.search(SearchQuery(query))


@pytest.mark.parametrize(
    ("query", "read_as"),
    [('"ruïne', "ruïne"), ("(ruïne", "ruïne"), ("ruïne)", "ruïne"), ('"ruïne van" "coöperatie', '"ruïne van" coöperatie')],
)
def test_an_unpaired_quote_or_bracket_is_dropped_and_the_page_says_how_it_read_the_query(
    small: SearchEngine, query: str, read_as: str
) -> None:
    page = small.search(SearchQuery(query))
    assert page.read_as == read_as
    assert page.total == small.search(SearchQuery(read_as)).total > 0
    assert small.search(SearchQuery("ruïne")).read_as is None  # a query read as typed has no notice


def test_did_you_mean_and_corrected_results(small: SearchEngine) -> None:
    page = small.search(SearchQuery("vluchtelingn"))
    assert page.corrected_from == "vluchtelingn"
    assert page.suggestion and page.suggestion.startswith("vluchteling")
    assert "De ruïne van de coöperatie" in titles(page)


def test_facets_count_documents_and_follow_filters(sample_library: Path) -> None:
    engine = SearchEngine(Library.open(sample_library))
    page = engine.search(SearchQuery("migration"))
    years = {c.value: c.count for c in page.facets["year"]}
    assert sum(years.values()) == page.total
    chosen = next(iter(years))
    narrowed = engine.search(SearchQuery("migration", filters={"year": (chosen,)}))
    assert narrowed.total == years[chosen]
    assert all(hit.doc.year == int(chosen) for hit in narrowed.hits)
    assert [c for c in narrowed.facets["year"] if c.selected] and all(
        c.count == narrowed.total for c in narrowed.facets["year"] if c.selected
    )
    # Values of one facet combine with OR, so the chosen facet keeps counting the other
    # years (what adding one would bring); every other facet counts within the filter.
    assert {c.value: c.count for c in narrowed.facets["year"]} == years
    assert sum(c.count for c in narrowed.facets["language"]) == narrowed.total
    with pytest.raises(QueryError, match="Unknown filter"):
        engine.search(SearchQuery("migration", filters={"colour": ("red",)}))


def test_hits_carry_up_to_three_passages_with_page_numbers(sample_library: Path) -> None:
    engine = SearchEngine(Library.open(sample_library))
    page = engine.search(SearchQuery("refugees"))
    assert page.hits
    for hit in page.hits:
        assert len(hit.passages) <= 3
        for passage in hit.passages:
            assert 1 <= passage.page <= hit.doc.page_count
        # A page chosen by meaning shows its closest stretch unmarked; one found by words is marked.
        marked = [any(m for _, m in passage.fragments) for passage in hit.passages]
        assert any(marked) != hit.by_meaning


def test_a_document_page_leads_with_the_passage_that_made_the_hit_rank(topical_library: Path) -> None:
    """Hits and a document's own passages come from one ranker: the hit's passages are the
    document page's first ones, in the same order, and the page keeps to its limit."""
    engine = SearchEngine(Library.open(topical_library))
    for text in ("polarisatie", "houding tegenover vluchtelingen", '"public support"'):
        for hit in engine.search(SearchQuery(text)).hits[:3]:
            passages = engine.passages(hit.doc.doc_id, text, limit=4)
            assert len(passages) <= 4
            assert [p.page for p in passages[: len(hit.passages)]] == [p.page for p in hit.passages]


def test_passages_mark_the_words_searched_for_not_stop_words(topical_library: Path) -> None:
    """Stop words are not marked, not even inside a phrase: text in other languages is indexed
    without a stop list, so "van" and "de" are terms there, and marked in every passage they hid
    the words that matched."""
    engine = SearchEngine(Library.open(topical_library))
    page = engine.search(SearchQuery('"polarisatie in de samenleving"'))
    dutch = [hit for hit in page.hits if hit.doc.language == "nl"]
    marked = {text.lower() for hit in dutch for passage in hit.passages for text, hit_ in passage.fragments if hit_}
    assert marked == {"polarisatie", "samenleving"}
    # Nor short Dutch stop words in English text, where the English analyzer keeps them as terms.
    english = [hit for hit in engine.search(SearchQuery("beeldvorming van moslims in de media")).hits
               if hit.doc.language == "en"]
    marked = {text.lower() for hit in english for passage in hit.passages for text, hit_ in passage.fragments if hit_}
    assert {"media", "muslims"} <= marked and not {"de", "in"} & marked
    # A Dutch stop word that is an English word is still marked in English text.
    men = engine.search(SearchQuery("men", filters={"language": ("en",)}))
    assert men.hits and all(
        any(text.lower().startswith("men") for passage in hit.passages for text, hit_ in passage.fragments if hit_)
        for hit in men.hits
    )


def test_sorting_and_paging(sample_library: Path) -> None:
    engine = SearchEngine(Library.open(sample_library))
    newest = engine.search(SearchQuery("migration", sort="newest", page_size=50))
    years = [hit.doc.year or 0 for hit in newest.hits]
    assert years == sorted(years, reverse=True)
    first = engine.search(SearchQuery("migration", page_size=3, page=1))
    second = engine.search(SearchQuery("migration", page_size=3, page=2))
    assert not {h.doc.doc_id for h in first.hits} & {h.doc.doc_id for h in second.hits}
    assert first.total == second.total and first.page_count == -(-first.total // 3)


def test_related_studies_exclude_the_document_itself(sample_library: Path) -> None:
    engine = SearchEngine(Library.open(sample_library))
    doc = engine.search(SearchQuery('"Junge Freiheit"')).hits[0].doc
    related = engine.related(doc.doc_id, limit=3)
    assert related and doc.doc_id not in [hit.doc.doc_id for hit in related]


def test_threads_share_an_engine_safely(sample_library: Path) -> None:
    engine = SearchEngine(Library.open(sample_library))
    queries = ["polarization", "refugees Germany", '"national identity"', "thema:polarisatie", "vluchtelingen"]
    expected = {q: [h.doc.doc_id for h in engine.search(SearchQuery(q)).hits] for q in queries}
    problems: list[str] = []

    def worker(offset: int) -> None:
        for step in range(15):
            query = queries[(offset + step) % len(queries)]
            try:
                if [h.doc.doc_id for h in engine.search(SearchQuery(query)).hits] != expected[query]:
                    problems.append(f"different hits for {query}")
            except Exception as err:  # what the test looks for
                problems.append(repr(err))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine.close()
    assert problems == []


@pytest.mark.parametrize(
    ("fieldname", "terms"),
    [
        ("body_en", ["migrat"]),  # over 128 postings: several posting blocks
        ("body_en", ["refuge"]),
        ("title_en", ["polar"]),
        ("summary_en", ["attitud"]),
        ("author", ["hopkins"]),
        ("body_en", ["public", "support"]),  # phrases need positions
        ("body_en", ["asylum", "seeker"]),
        ("body_en", ["far", "right", "parti"]),
        ("body_en", ["support", "public"]),  # both words, rarely in this order
    ],
)
def test_bulk_scores_are_whooshs_scores(topical_library: Path, fieldname: str, terms: list[str]) -> None:
    """The array scoring (kenniskamer.index.postings) gives exactly the records and scores of Whoosh's own matchers."""
    from whoosh import query as wq

    from kenniskamer.index.postings import PostingCache
    from kenniskamer.index.read import Snapshot, open_index

    ix = open_index(Library.open(topical_library))
    with ix.searcher() as searcher:
        cache = PostingCache(searcher.reader().doc_count_all())
        if len(terms) == 1:
            records, scores = cache.scores(Snapshot(searcher), fieldname, terms[0], 0.4)
            expected = dict(searcher.search(wq.Term(fieldname, terms[0], boost=0.4), limit=None).items())
        else:
            records, scores = cache.phrase_scores(Snapshot(searcher), fieldname, terms, 0.4)
            expected = dict(searcher.search(wq.Phrase(fieldname, terms, boost=0.4), limit=None).items())
        ours = dict(zip(records.tolist(), scores.tolist()))
    ix.close()
    assert ours.keys() == expected.keys()
    assert all(abs(ours[record] - expected[record]) < 1e-9 for record in expected)
    assert len(expected) > (128 if terms in (["migrat"], ["refuge"]) else 0)


def test_filters_take_theme_labels_with_hyphens_and_refuse_odd_digits(sample_library: Path) -> None:
    engine = SearchEngine(Library.open(sample_library))
    by_label = engine.search(SearchQuery("", filters={"theme": ("Populisme en radicaal-rechts",)}))
    by_id = engine.search(SearchQuery("", filters={"theme": ("populisme",)}))
    assert by_label.total == by_id.total > 0
    for odd in ("²", "12345", "２０２０"):  # digits to str.isdigit(), not years
        with pytest.raises(QueryError, match="is not a year"):
            engine.search(SearchQuery("", filters={"year": (odd,)}))


def test_a_thread_never_answers_from_an_older_commit_than_another_thread_saw(
    writable_sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A web worker that opens its searcher after a commit sees it; the others must follow at once,
    not a second later, or one client would see a document appear and vanish again."""
    import kenniskamer.search.engine as search_module

    monkeypatch.setattr(search_module, "FRESHNESS_SECONDS", 1e9)  # only opening a searcher finds a commit
    engine = SearchEngine(Library.open(writable_sample))
    old_hand, new_hand = ThreadPoolExecutor(max_workers=1), ThreadPoolExecutor(max_workers=1)  # two web workers
    query = SearchQuery('"De ruïne van de coöperatie"')
    assert old_hand.submit(engine.search, query).result().total == 0
    page = _html(tmp_path, "ruine.html", "De ruïne van de coöperatie", ["Van de coöperatie bleef een ruïne over. " * 20])
    assert not run(Library.open(writable_sample), [str(page)], AddOptions(jobs=1)).failed
    assert new_hand.submit(engine.search, query).result().total == 1  # a new thread opens the new commit
    assert old_hand.submit(engine.search, query).result().total == 1  # and the old thread moves on with it
    old_hand.shutdown()
    new_hand.shutdown()
    engine.close()


def test_an_empty_library_answers_every_search_with_nothing(tmp_path: Path) -> None:
    """A new library, and one whose every document was removed again: no error, no hits, no facets."""
    from kenniskamer.index.read import open_index
    from kenniskamer.library.curate import remove_document

    fresh = Library.open(tmp_path / "fresh", create=True)
    open_index(fresh, create=True)
    emptied = Library.open(tmp_path / "emptied", create=True)
    page = _html(tmp_path, "een.html", "Een pagina over draagvlak", ["Draagvlak voor vluchtelingen in de gemeente. " * 20])
    assert not run(emptied, [str(page)], AddOptions(jobs=1)).failed
    for doc_id in emptied.doc_ids():
        remove_document(emptied, doc_id)
    for library in (fresh, emptied):
        engine = SearchEngine(library)
        for text in ("draagvlak", "", '"public support"', "vluchtelingn", "jaar:2019..2022"):
            found = engine.search(SearchQuery(text, filters={"language": ("nl",)}))
            assert found.total == 0 and not found.hits
            assert all(not counts or all(c.selected for c in counts) for counts in found.facets.values())
        engine.close()


def test_a_stop_word_is_not_translated_by_the_thesaurus(sample_library: Path) -> None:
    """"met" (with) stems like "meten" (to measure): a question's small words bring no expansions."""
    page = SearchEngine(Library.open(sample_library)).search(SearchQuery("studenten met een migratieachtergrond"))
    assert "measure" not in page.expansions and "migration background" in page.expansions
    assert page.hits[0].doc.title == "Vooringenomenheid voorkomen"


def test_function_words_of_either_language_are_no_condition(topical_library: Path) -> None:
    """"and" and "for" are terms in Dutch text (an English analyzer drops them): as conditions
    they let Dutch party programmes through and kept out the study the question is after."""
    engine = SearchEngine(Library.open(topical_library))
    for text in ("terror attacks and support for refugees", "media coverage and support for refugees"):
        top = [hit.doc.filename for hit in engine.search(SearchQuery(text)).hits[:3]]
        assert "en_schmidt-catran-czymara2020_did-you-read-about-berlin.pdf" in top
        assert not any(name.startswith("nl_") for name in top)


def test_a_passage_stays_out_of_the_reference_list_on_its_page() -> None:
    text = "Framing shapes opinion, as the literature shows.\nReferences\nSmith, J. (2019). Framing effects. Politics, 3 (2), 1–9."
    start = text.index("References")
    passage = highlight(text, 4, {"frame"}, "en", references=(start, len(text)))
    assert passage is not None and "Smith" not in passage.text and passage.marked().startswith("[Framing]")
    assert highlight(text[start:], 5, {"frame"}, "en", references=(0, len(text) - start)) is None


def test_passages_never_come_from_a_reference_list(topical_library: Path) -> None:
    # "Refugees Unwelcome?" (Czymara 2017): its list of references starts halfway down page 12,
    # full of "refugee" in cited titles, and runs on over page 13.
    library = Library.open(topical_library)
    engine = SearchEngine(library)
    doc = next(d for d in library.documents() if d.filename == "en_czymara2017_refugees-unwelcome_ESR.pdf")
    pages = library.pages(doc.doc_id)
    spans = reference_spans(pages)
    assert spans[11] is not None and spans[11][0] > 0 and spans[12] is not None
    hit = next(h for h in engine.search(SearchQuery("refugees Germany", page_size=20)).hits if h.doc.doc_id == doc.doc_id)
    shown = list(hit.passages) + list(engine.passages(doc.doc_id, "refugees", limit=20))
    assert len(shown) > 10
    for passage in shown:
        text = pages[passage.page - 1]
        span = spans[passage.page - 1]
        plain = passage.text.removeprefix("… ").removesuffix(" …")
        at = " ".join(text.split()).find(" ".join(plain.split()))
        assert at >= 0
        if span is not None:  # the passage lies before the reference list or after it
            before = " ".join(text[: span[0]].split())
            after = " ".join(text[span[1] :].split())
            assert " ".join(plain.split()) in before or " ".join(plain.split()) in after
