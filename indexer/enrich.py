"""Enrich: turn extracted text and metadata into a catalog Document."""

from __future__ import annotations

import hashlib
import pickle
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path, PurePath
from typing import Any

from indexer.summary import find_summary
from kenniskamer.models import LANGUAGES, STUDY_FIELDS, Document, Extracted, Fetched
from kenniskamer.startup import cache_file, read_cache, write_cache
from kenniskamer.study import default_vocabulary, read_profile
from kenniskamer.text.dates import year_of
from kenniskamer.text.summary import clean_summary
from kenniskamer.themes import Theme, match_themes

ROOM_LANGUAGES = tuple(LANGUAGES)
# py3langid is right from a few words on and its cost grows with the text: two pieces of
# 2,000 characters (the start and the middle) decide as well as 20,000 did on the topical
# corpus, in a fifth of the time.
LANGUAGE_SAMPLE_CHARS = 2_000
THEME_TEXT_CHARS = 2_000_000  # a bound on what theme matching reads of a huge document


# Loading py3langid's model (LZMA-compressed arrays) takes 0.9 s, in every extraction worker
# of every `add`; a pickle of the loaded model in the user's cache folder takes 0.15 s.
_LANGUAGE_CHECKS = {"nl": "Dit is een Nederlandse zin over de opvang van vluchtelingen in gemeenten.",
                    "en": "This is an English sentence about public attitudes towards refugees."}


def _model_cache() -> Path | None:
    """Where the loaded language model is cached, keyed by py3langid's version and model file."""
    try:
        from importlib.metadata import version

        from py3langid.langid import MODEL_DIR, MODEL_FILE

        model = Path(MODEL_DIR) / MODEL_FILE
        stat = model.stat()
        key = f"{version('py3langid')}-{stat.st_size}-{stat.st_mtime_ns}-{'-'.join(ROOM_LANGUAGES)}"
    except Exception:  # a py3langid without these names: no cache
        return None
    return cache_file("py3langid", key.encode(), ".pickle")


def _checked(identifier: Any) -> bool:
    return all(identifier.classify(text)[0] == language for language, text in _LANGUAGE_CHECKS.items())


@lru_cache(maxsize=1)
def _identifier() -> Any:
    cache = _model_cache()
    identifier = read_cache(cache, pickle.loads)
    if identifier is not None and _checked(identifier):
        return identifier
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(ROOM_LANGUAGES))
    write_cache(cache, pickle.dumps(identifier, protocol=5))
    return identifier


def detect_language(text: str, *, hint: str | None = None) -> str | None:
    """The language of a text (nl, en, de, fr, es), the hint for very short texts, else None."""
    sample = text[:LANGUAGE_SAMPLE_CHARS]
    if len(text) > 2 * LANGUAGE_SAMPLE_CHARS:
        middle = len(text) // 2
        sample += "\n" + text[middle : middle + LANGUAGE_SAMPLE_CHARS]
    if len(re.findall(r"[^\W\d_]{2,}", sample[:2000])) >= 4:
        language, _probability = _identifier().classify(sample)
        return str(language)
    return normalise_language(hint)


def normalise_language(value: str | None) -> str | None:
    """``en-US`` -> ``en``; None for languages outside the room."""
    if not value:
        return None
    code = value.strip().lower().replace("_", "-").split("-")[0]
    aliases = {"dut": "nl", "nld": "nl", "eng": "en", "ger": "de", "deu": "de", "fre": "fr", "fra": "fr", "spa": "es"}
    code = aliases.get(code, code)
    return code if code in ROOM_LANGUAGES else None


def clean_line(text: str) -> str:
    """Collapse whitespace in a one-line value."""
    return re.sub(r"\s+", " ", text).strip()


def trim_words(text: str, max_words: int) -> str:
    """At most ``max_words`` words, cut after a sentence end where one is near."""
    words = clean_line(text).split(" ")
    if len(words) <= max_words:
        return " ".join(words)
    cut = " ".join(words[:max_words])
    end = max(cut.rfind(". "), cut.rfind("? "), cut.rfind("! "))
    if end > len(cut) // 2:
        return cut[: end + 1]
    return cut + " …"


# A page number before or after a heading ("1 EEN EERLIJK LAND", OCR'd), or a logo OCR'd as a
# letter or sign before it ("e Kwantitatieve analyse"): never part of a title.
_PAGE_NUMBER = re.compile(r"^(?:\d{1,3}|[^\w\s]+|[a-z])\s+(?=[^\W\d_])|\s+\d{1,3}$")


def _first_line_title(pages: Sequence[str]) -> str | None:
    for page in pages[:2]:
        for line in page.splitlines():
            line = _PAGE_NUMBER.sub("", clean_line(line))
            words = line.split()
            # Mostly words: not a line of OCR noise from a stamp or a logo ("oe mies, Em GW").
            wordlike = sum(1 for word in words if len(re.sub(r"[\W\d_]", "", word)) >= 2)
            if 3 <= len(words) <= 30 and re.search(r"[^\W\d_]{3,}", line) and 3 * wordlike >= 2 * len(words):
                return line[:300]
    return None


def guess_type(extracted: Extracted, text_head: str, page_count: int) -> str:
    """A document type from hints and the text: manifesto, study, report, slides, article, webpage."""
    head = text_head.lower()
    hint = (extracted.doc_type_hint or "").lower()
    if "verkiezingsprogramma" in head or "election manifesto" in head or "wahlprogramm" in head:
        return "manifesto"
    if extracted.mime == "text/html":
        if "slide" in hint or "presentation" in hint:
            return "slides"
        if "scholarly" in hint:
            return "study"
        return "article" if "article" in hint else "webpage"
    has_abstract = bool(re.search(r"\b(abstract|samenvatting|zusammenfassung|résumé)\b", head))
    if has_abstract and page_count <= 80:
        return "study"
    if page_count >= 40:
        return "report"
    if re.search(r"\b(journal|doi|working paper)\b", head):
        return "study"
    return "article" if page_count < 40 else "report"


def enrich(fetched: Fetched, extracted: Extracted, themes: Sequence[Theme], *, added: str,
           references: Sequence[tuple[int, int] | None] | None = None) -> Document:
    """A catalog Document (not yet stored) from fetched bytes and what was extracted from them.

    ``references``: the pages' reference lists, if already found (text.layout.reference_spans).
    """
    sha256 = hashlib.sha256(fetched.data).hexdigest()
    pages = extracted.pages
    text = "\n\n".join(pages)
    provenance = dict(extracted.provenance)

    title = clean_line(extracted.title or "")
    if not title:
        title = _first_line_title(pages) or PurePath(fetched.filename).stem.replace("_", " ").replace("-", " ")
        provenance["title"] = "heuristic"

    language = detect_language(text, hint=extracted.language_hint)
    provenance["language"] = "heuristic" if len(text) > 40 else "metadata"

    summary = trim_words(extracted.summary, 120) if extracted.summary else None
    if not summary or len(summary.split()) < 12:
        found = find_summary(pages)
        if found:
            summary, provenance["summary"] = found, "heuristic"
    summary = (clean_summary(summary) or None) if summary else None  # cleaned once, here, for every reader
    head = text[:15_000]
    doc_type = guess_type(extracted, head, len(pages))
    provenance["doc_type"] = "heuristic"
    matches = match_themes(themes, title=title, summary=summary or "", text=text[:THEME_TEXT_CHARS], language=language)
    provenance["themes"] = "heuristic"
    publisher = clean_line(extracted.publisher) if extracted.publisher else None
    study = read_profile(default_vocabulary(), title=title, summary=summary, pages=pages, mime=extracted.mime,
                         doc_type=doc_type, references=references)
    provenance.update(dict.fromkeys(STUDY_FIELDS, "heuristic"))
    return Document(
        doc_id=sha256[:12],
        title=title,
        source=fetched.source,
        filename=fetched.filename,
        sha256=sha256,
        mime=extracted.mime,
        size=len(fetched.data),
        added=added,
        page_count=len(pages),
        authors=tuple(clean_line(a) for a in extracted.authors if clean_line(a)),
        date=extracted.date,
        year=year_of(extracted.date),
        publisher=publisher or None,
        language=language,
        doc_type=doc_type,
        summary=summary,
        themes=matches,
        study=study,
        provenance=provenance,
        flags=extracted.flags,
        ocr=extracted.ocr,
    )
