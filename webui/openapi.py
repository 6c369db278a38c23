"""The OpenAPI 3.1 description of the JSON API, written by hand beside the routes it describes.

tests/test_webui.py checks the answers of the API against these schemas.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kenniskamer import __version__
from kenniskamer.cite import STYLES
from kenniskamer.config import Settings
from kenniskamer.models import DOC_TYPES, LANGUAGES
from kenniskamer.search import FILTER_FIELDS, SORTS
from kenniskamer.study import default_vocabulary

_NULLABLE_STRING = {"type": ["string", "null"]}
_NULLABLE_INT = {"type": ["integer", "null"]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _filter_parameter(name: str, themes: Sequence[str]) -> dict[str, Any]:
    described = {
        "theme": "Theme id (see /themes), e.g. `framing`; the Dutch or English label also works.",
        "type": f"Document type: {', '.join(DOC_TYPES)}; the Dutch or English label also works.",
        "language": f"Document language: {', '.join(LANGUAGES)}; the Dutch or English name also works.",
        "year": "Publication year, four digits.",
        "decade": "First year of a decade, e.g. `2010` for 2010-2019.",
        "publisher": "Publisher or journal, exactly as in the facet values.",
        "kind": "Kind of document (study profile): research, review, manifesto, policy, article, other; the Dutch "
                "or English label also works (`onderzoek`).",
        "method": "Method of a study: survey-experiment, field-experiment, lab-experiment, survey, content-analysis, "
                  "qualitative, administrative-data, mixed; the Dutch or English label also works.",
        "country": "Country studied: ISO 3166 alpha-2 code (`NL`), `EU` or `multi`; the Dutch or English name also works.",
        "group": "Group studied: refugees, immigrants, muslims, labour-migrants, ethnic-minorities, lgbt, jews; the "
                 "Dutch or English label also works (`vluchtelingen`).",
    }
    year = {"type": "string", "pattern": "^[0-9]{1,4}$"}
    values = {"theme": {"type": "string", "enum": list(themes)},
              "type": {"type": "string", "enum": list(DOC_TYPES)},
              "language": {"type": "string", "enum": list(LANGUAGES)},
              "year": year, "decade": year}
    vocabulary = default_vocabulary()
    for facet in ("kind", "method", "country", "group"):
        values[facet] = {"type": "string", "enum": [entry.id for entry in vocabulary[facet].entries]}
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": described.get(name, name) + " Repeat to allow several values (any of them matches).",
        "schema": {"type": "array", "items": values.get(name, {"type": "string"})},
        "style": "form",
        "explode": True,
        **({} if name == "publisher" else {"allowEmptyValue": True}),  # `theme=` counts as not given
    }


def spec(settings: Settings, *, themes: Sequence[str]) -> dict[str, Any]:
    """The OpenAPI document, with the limits of these settings and these theme ids."""
    q = {
        "name": "q",
        "in": "query",
        "required": False,
        "description": 'The query: words, "phrases", AND/OR/NOT (EN/OF/NIET), -word, ( ), and fields '
        "titel:/title:, auteur:/author:, jaar:/year: (2019..2022), thema:/theme:, taal:/lang:, type:, "
        "uitgever:/publisher:. Empty: every document.",
        "schema": {"type": "string", "maxLength": settings.max_query_length},
    }
    lang = {
        "name": "lang", "in": "query", "required": False,
        "description": f"Interface language ({', '.join(settings.languages)}; other values are ignored); "
        "does not change the JSON.",
        "schema": {"type": "string"},
    }
    error = {"description": "", "content": {"application/json": {"schema": _ref("Error")}}}
    search_parameters = [
        q,
        *(_filter_parameter(name, themes) for name in FILTER_FIELDS),
        {
            "name": "sort", "in": "query", "required": False,
            "description": "relevance (default), newest publication first, or most recently added first.",
            "schema": {"type": "string", "enum": list(SORTS), "default": "relevance"},
            "allowEmptyValue": True,
        },
        {
            "name": "page", "in": "query", "required": False, "description": "Result page, 1 first.",
            "schema": {"type": "integer", "minimum": 1, "maximum": settings.max_page, "default": 1},
            "allowEmptyValue": True,
        },
        {
            "name": "size", "in": "query", "required": False, "description": "Hits per page.",
            "schema": {"type": "integer", "minimum": 1, "maximum": settings.max_page_size, "default": settings.page_size},
            "allowEmptyValue": True,
        },
        {
            "name": "expand", "in": "query", "required": False,
            "description": "0 turns off the thesaurus (no Dutch-English expansion of the query); "
            "any other value leaves it on.",
            "schema": {"type": "string", "default": "1"},
        },
        lang,
    ]
    passage = {
        "type": "object",
        "required": ["page", "ocr", "text", "marked", "fragments"],
        "properties": {
            "page": {"type": "integer", "minimum": 1, "description": "Page number (1 for a web page)."},
            "ocr": {"type": "boolean", "description": "The page is a scan: its text was read by OCR."},
            "text": {"type": "string", "description": "The passage as plain text."},
            "marked": {"type": "string", "description": "The passage as HTML: text escaped, matches in <mark>."},
            "fragments": {
                "type": "array",
                "items": {
                    "type": "object", "required": ["text", "match"],
                    "properties": {"text": {"type": "string"}, "match": {"type": "boolean"}},
                },
            },
        },
    }
    links = {
        "type": "object",
        "required": ["html", "api", "original"],
        "properties": {
            "html": {"type": "string", "description": "The document page."},
            "api": {"type": "string", "description": "This document as JSON."},
            "original": {"type": "string", "description": "The original file (PDF inline; append #page=N)."},
        },
    }
    vocabulary = default_vocabulary()
    study = {
        "type": "object",
        "description": "The study profile, read from the document's text (a curator's values win): what kind of "
                       "document it is, its main methods (research only, at most two), the countries whose people, "
                       "media or politics it studies (ISO 3166 alpha-2; EU: more than four European countries "
                       "pooled, multi: worldwide) and the groups it is about.",
        "required": ["kind", "methods", "countries", "groups"],
        "properties": {
            "kind": {"type": ["string", "null"], "enum": [*(e.id for e in vocabulary["kind"].entries), None]},
            "methods": {"type": "array", "items": {"type": "string", "enum": [e.id for e in vocabulary["method"].entries]}},
            "countries": {"type": "array", "items": {"type": "string", "enum": [e.id for e in vocabulary["country"].entries]}},
            "groups": {"type": "array", "items": {"type": "string", "enum": [e.id for e in vocabulary["group"].entries]}},
        },
    }
    evidence = {
        "type": "object",
        "description": "Per study field (kind, methods, countries, groups), the sentences its values were read from.",
        "additionalProperties": {
            "type": "array",
            "items": {
                "type": "object", "required": ["value", "text", "page"],
                "properties": {"value": {"type": "string"}, "text": {"type": "string"},
                               "page": {"type": "integer", "description": "0: the title or summary."}},
            },
        },
    }
    hit = {
        "type": "object",
        "required": ["id", "title", "source", "url", "page", "score", "snippet", "authors", "year", "language",
                     "type", "themes", "study", "publisher", "passages", "links"],
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "source": {"type": "string", "description": "The file name, or the URL of a web page."},
            "url": {**_NULLABLE_STRING, "description": "The URL it was fetched from, if any."},
            "page": {**_NULLABLE_INT, "description": "Page of the best passage."},
            "score": {"type": "number"},
            "snippet": {"type": "string"},
            "authors": {"type": "array", "items": {"type": "string"}},
            "year": _NULLABLE_INT,
            "date": _NULLABLE_STRING,
            "language": _NULLABLE_STRING,
            "type": _NULLABLE_STRING,
            "themes": {"type": "array", "items": {"type": "string"}},
            "study": _ref("StudyProfile"),
            "publisher": _NULLABLE_STRING,
            "added": {"type": "string", "description": "When it was added (ISO 8601, UTC)."},
            "passages": {"type": "array", "items": _ref("Passage")},
            "found_by_meaning": {"type": "boolean", "description": "Found by meaning alone: no word of the query "
                                 "occurs in it (its passages are the stretches closest in meaning)."},
            "links": _ref("DocumentLinks"),
        },
    }
    facet_count = {
        "type": "object",
        "required": ["value", "count", "selected"],
        "properties": {"value": {"type": "string"}, "count": {"type": "integer"}, "selected": {"type": "boolean"}},
    }
    search_result = {
        "type": "object",
        "required": ["query", "filters", "sort", "total", "page", "page_size", "page_count", "hits", "facets",
                     "suggestion", "corrected_from", "expansions", "notices", "links"],
        "properties": {
            "query": {"type": "string"},
            "filters": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
            "sort": {"type": "string", "enum": list(SORTS)},
            "total": {"type": "integer", "description": "Matching documents."},
            "page": {"type": "integer"},
            "page_size": {"type": "integer"},
            "page_count": {"type": "integer"},
            "hits": {"type": "array", "items": _ref("Hit")},
            "facets": {
                "type": "object",
                "description": "Counts per facet value over the matching documents: "
                + ", ".join(FILTER_FIELDS) + ".",
                "additionalProperties": {"type": "array", "items": _ref("FacetCount")},
            },
            "suggestion": {**_NULLABLE_STRING, "description": "Did you mean: a corrected query."},
            "corrected_from": {**_NULLABLE_STRING, "description": "Set when the hits are for `suggestion` instead."},
            "expansions": {"type": "array", "items": {"type": "string"}, "description": "Also searched for (thesaurus)."},
            "notices": {"type": "array", "items": {"type": "string"}},
            "read_as": {**_NULLABLE_STRING, "description": "How the query was read when a quote or bracket without "
                        "its partner was left out (`\"draagvlak` is read as `draagvlak`); null otherwise."},
            "elapsed_ms": {"type": "number"},
            "links": {
                "type": "object",
                "required": ["html", "atom"],
                "properties": {
                    "html": {"type": "string"}, "atom": {"type": "string"},
                    "next": {"type": "string"}, "prev": {"type": "string"},
                },
            },
        },
    }
    document = {
        "type": "object",
        "required": ["id", "title", "source", "filename", "sha256", "mime", "size", "added", "page_count", "authors",
                     "date", "year", "publisher", "language", "type", "summary", "themes", "study", "study_evidence",
                     "provenance", "flags", "ocr",
                     "passages", "related", "citations", "links"],
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "source": {"type": "string", "description": "Path or URL it was added from."},
            "filename": {"type": "string"},
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "mime": {"type": "string", "enum": ["application/pdf", "text/html"]},
            "size": {"type": "integer"},
            "added": {"type": "string"},
            "page_count": {"type": "integer"},
            "ocr": {
                "type": ["object", "null"],
                "description": "Pages without a text layer: read by OCR, or waiting for it (null: none).",
                "required": ["pages", "pending", "engine", "languages", "reason"],
                "properties": {
                    "pages": {"type": "array", "items": {"type": "integer"}, "description": "Text from OCR."},
                    "pending": {"type": "array", "items": {"type": "integer"}, "description": "Not read yet."},
                    "engine": {"type": "string", "description": "e.g. tesseract 5.3.0; empty if none is installed."},
                    "languages": {"type": "string", "description": "e.g. nld+eng."},
                    "reason": {"type": "string", "enum": ["", "missing", "time", "failed", "planned"]},
                },
            },
            "authors": {"type": "array", "items": {"type": "string"}},
            "date": _NULLABLE_STRING,
            "year": _NULLABLE_INT,
            "publisher": _NULLABLE_STRING,
            "language": _NULLABLE_STRING,
            "type": _NULLABLE_STRING,
            "summary": _NULLABLE_STRING,
            "themes": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "score", "evidence"],
                    "properties": {
                        "id": {"type": "string"},
                        "score": {"type": "number"},
                        "evidence": {
                            "type": "object", "additionalProperties": {"type": "integer"},
                            "description": "Matched term -> count; empty when a curator set the theme.",
                        },
                    },
                },
            },
            "study": _ref("StudyProfile"),
            "study_evidence": evidence,
            "provenance": {
                "type": "object", "additionalProperties": {"type": "string"},
                "description": "Field -> where its value came from (metadata, layout, heuristic, curator).",
            },
            "flags": {"type": "array", "items": {"type": "string"}},
            "passages": {"type": "array", "items": _ref("Passage"), "description": "The best passages for `q`."},
            "related": {
                "type": "array",
                "items": {
                    "type": "object", "required": ["id", "title", "year", "score"],
                    "properties": {"id": {"type": "string"}, "title": {"type": "string"}, "year": _NULLABLE_INT,
                                   "score": {"type": "number"}},
                },
            },
            "citations": {
                "type": "object",
                "required": list(STYLES),
                "properties": {style: {"type": "string"} for style in STYLES},
            },
            "links": _ref("DocumentLinks"),
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Kenniskamer API",
            "version": __version__,
            "summary": "Search research on public support for migration.",
            "description": "Read-only JSON over one knowledge room. The parameters are those of the web pages, "
            "so any search page URL works here with /api/search in front. A parameter with an empty value "
            '(`sort=`) counts as not given. Errors are `{"error": message, "status": code}`.',
        },
        "servers": [{"url": settings.base_url.rstrip("/") or "/"}],
        "paths": {
            "/api/search": {
                "get": {
                    "operationId": "search",
                    "summary": "Search the documents",
                    "description": "Hits with highlighted passages, facet counts, paging, did-you-mean and expansions. "
                    "Also answered at /search.json; /search.atom gives the same search as an Atom feed.",
                    "parameters": search_parameters,
                    "responses": {
                        "200": {"description": "One page of results.",
                                "content": {"application/json": {"schema": _ref("SearchResult")}}},
                        "400": {**error, "description": "A malformed query, an unknown parameter or a value out of bounds."},
                        "503": {**error, "description": "The library has no usable index."},
                    },
                }
            },
            "/api/documents/{id}": {
                "get": {
                    "operationId": "document",
                    "summary": "One document",
                    "description": "All metadata, themes with evidence, related studies, citations, and the best "
                    "passages for `q` when given.",
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                        {**q, "description": "Show the passages of this document that match this query."},
                        lang,
                    ],
                    "responses": {
                        "200": {"description": "The document.",
                                "content": {"application/json": {"schema": _ref("Document")}}},
                        "400": {**error, "description": "A malformed query or an unknown parameter."},
                        "404": {**error, "description": "No document has this id."},
                    },
                }
            },
            "/api/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This description",
                    "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {}}}},
                }
            },
        },
        "components": {
            "schemas": {
                "SearchResult": search_result,
                "Hit": hit,
                "StudyProfile": study,
                "Passage": passage,
                "FacetCount": facet_count,
                "Document": document,
                "DocumentLinks": links,
                "Error": {
                    "type": "object",
                    "required": ["error", "status"],
                    "properties": {"error": {"type": "string"}, "status": {"type": "integer"}},
                },
            }
        },
    }
