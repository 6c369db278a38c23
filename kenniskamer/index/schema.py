"""The index's field list, in plain Python, beside the version that guards it.

``index/read.py`` turns this into a Whoosh schema; nothing else needs to know Whoosh.
The index holds two kinds of records: one ``doc`` record per document (title, summary,
authors, facets) and one ``page`` record per page with text (title, authors, page text,
facets), so a hit can name the page its best passage is on.
"""

from __future__ import annotations

from dataclasses import dataclass

from kenniskamer.text.prose import STEMMED_LANGUAGES

# Bump when a field, an analyzer or the record layout changes: an index of another
# version asks the user to run `kenniskamer reindex`. 4: the analyzer and codec classes the
# schema pickles by module path moved into kenniskamer.index, and words are stemmed by
# PyStemmer (text.prose.stem), not Whoosh's own Snowball port. 5: page records say where on
# the page their reference list is (refs_from, refs_to), and refs marks pages mostly made of one.
SCHEMA_VERSION = 5


# Text in a language without a stemmer goes to the *_other fields.
TEXT_SUFFIXES = STEMMED_LANGUAGES + ("other",)


@dataclass(frozen=True)
class FieldSpec:
    """One index field: its name and what kind of values it holds."""

    name: str
    kind: str  # "id", "text", "keyword", "number"
    stored: bool = False
    sortable: bool = False
    language: str | None = None  # analyzer of a text field: "en", "nl", "other", "name"


def text_suffix(language: str | None) -> str:
    """Which language variant of the text fields holds text of this language."""
    return language if language in STEMMED_LANGUAGES else "other"


def _text_fields(base: str) -> list[FieldSpec]:
    return [FieldSpec(f"{base}_{suffix}", "text", language=suffix) for suffix in TEXT_SUFFIXES]


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("key", "id", stored=True),  # "d:<doc_id>" or "p:<doc_id>:<page>", unique
    FieldSpec("record", "id"),  # "doc" or "page"
    FieldSpec("stamp", "id", stored=True),  # hash of the indexed metadata, for `check`
    FieldSpec("doc_id", "id", stored=True, sortable=True),
    FieldSpec("page", "number", stored=True, sortable=True),  # 0 for the doc record
    FieldSpec("refs", "number", sortable=True),  # 1 for a page mostly made of its reference list
    # Where the page's reference list is (text.layout.reference_spans): its first character + 1
    # (0: none) and its end (0: the end of the page), so passages are chosen outside it.
    FieldSpec("refs_from", "number", sortable=True),
    FieldSpec("refs_to", "number", sortable=True),
    *_text_fields("title"),
    *_text_fields("summary"),
    *_text_fields("body"),
    FieldSpec("author", "text", language="name"),
    # Facets, on every record so that filters apply to pages as well as documents.
    FieldSpec("theme", "keyword", stored=True),
    FieldSpec("type", "id", stored=True),
    FieldSpec("language", "id", stored=True),
    FieldSpec("year", "number", stored=True, sortable=True),
    FieldSpec("publisher", "id", stored=True),
    # The study profile (kenniskamer.study): kind is one id, the others comma-separated ids.
    FieldSpec("kind", "id", stored=True),
    FieldSpec("method", "keyword", stored=True),
    FieldSpec("country", "keyword", stored=True),
    FieldSpec("group", "keyword", stored=True),
    FieldSpec("added", "id", stored=True, sortable=True),
    FieldSpec("date", "id", stored=True, sortable=True),
)


FACET_FIELDS = ("theme", "type", "language", "year", "publisher", "kind", "method", "country", "group")
