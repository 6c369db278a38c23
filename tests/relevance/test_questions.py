"""The question-style judgments (questions.toml) are well-formed: no library needed."""

from __future__ import annotations

import tomllib

import pytest
from evaluate import JUDGMENTS, QUESTIONS, TOPICAL, load_judgments, load_set

GRADES = {1, 2, 3}


@pytest.fixture(scope="module")
def questions():
    return load_judgments(QUESTIONS)


def test_the_questions_cover_what_the_issue_asks(questions) -> None:
    assert len(questions) >= 30
    assert sum(q.lang == "nl" for q in questions) * 2 >= len(questions)
    assert {q.lang for q in questions} == {"nl", "en"}
    assert {q.kind for q in questions} == {"question"}
    assert len({q.id for q in questions}) == len(questions)


def test_every_question_has_a_grade_3_answer_and_a_note(questions) -> None:
    notes = {q["id"]: q.get("note", "") for q in tomllib.loads(QUESTIONS.read_text(encoding="utf-8"))["query"]}
    for query in questions:
        assert set(query.grades.values()) <= GRADES, query.id
        assert 3 in query.grades.values(), query.id
        assert notes[query.id].strip(), query.id


def test_every_judged_file_is_in_the_corpus(questions) -> None:
    if not TOPICAL.is_dir():
        pytest.skip(f"the shared corpus is not at {TOPICAL}")
    corpus = {path.name for path in TOPICAL.iterdir()}
    missing = {(q.id, name) for q in questions for name in q.grades if name not in corpus}
    assert not missing


def test_the_questions_do_not_copy_the_keyword_queries(questions) -> None:
    keywords = {q.text.casefold() for q in load_judgments(JUDGMENTS)}
    assert not [q.text for q in questions if q.text.casefold() in keywords]


def test_the_sets() -> None:
    assert load_set() == load_judgments()
    assert len(load_set("all")) == len(load_set("keywords")) + len(load_set("questions"))
    with pytest.raises(ValueError):
        load_set("nonsense")
