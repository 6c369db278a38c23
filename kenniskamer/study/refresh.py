"""Reading the study profiles of stored documents again, from their stored text (`kenniskamer reindex`)."""

from __future__ import annotations

from collections.abc import Callable

from kenniskamer.library.catalog import Library
from kenniskamer.models import StudyProfile
from kenniskamer.study.profile import read_profile
from kenniskamer.study.vocabulary import Vocabulary, default_vocabulary

BATCH = 200  # profiles stored per transaction


def stale_profiles(library: Library, vocabulary: Vocabulary | None = None) -> list[str]:
    """The documents whose profile was read with other rules or vocabulary, or not at all."""
    rules = (vocabulary or default_vocabulary()).rules
    return sorted(doc_id for doc_id, read_with in library.study_rules().items() if read_with != rules)


def refresh_profiles(library: Library, doc_ids: list[str], vocabulary: Vocabulary | None = None, *,
                     on_item: Callable[[str], None] | None = None) -> int:
    """Read the profiles of these documents again from the catalog's text; return how many were read.

    No original is opened: title, summary and page text come from the catalog, so a
    library of any size is brought up to date in seconds per thousand pages.
    """
    vocabulary = vocabulary or default_vocabulary()
    read: dict[str, StudyProfile] = {}
    for doc_id in doc_ids:
        doc = library.get(doc_id)
        read[doc_id] = read_profile(vocabulary, title=doc.title, summary=doc.summary, pages=library.pages(doc_id),
                                    mime=doc.mime, doc_type=doc.doc_type)
        if on_item is not None:
            on_item(doc_id)
        if len(read) >= BATCH:
            library.set_studies(read)
            read = {}
    if read:
        library.set_studies(read)
    return len(doc_ids)
