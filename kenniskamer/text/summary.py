"""Cleaning a summary once, where it enters the catalog (at ingest, and again at `kenniskamer reindex`).

``indexer/_summary.py`` finds a summary in the page text; this module makes it (or one from
the file's metadata) fit to show everywhere: no page furniture, hyphenation breaks joined,
citations and footnote marks gone, whole sentences. Shortening it for a newsletter is
presentation: :func:`shorten_summary`, called by the digest.
"""

from __future__ import annotations

import re
import unicodedata

_MIN_FRAGMENT = 8  # words: a shorter summary that is not a sentence is left out
_HYPHEN_LINE = re.compile(r"(?<=[^\W\d_])[-\u00ad\u2010]\s*\n\s*(?=[^\W\d_])")
# "Zuwande- rung": a word broken at a line end whose line break became a space. Not before
# a conjunction ("pre- and post-", "Ein- und Ausreise", "asiel- en migratiebeleid").
_HYPHEN_SPACE = re.compile(
    r"(?<=[^\W\d_]{2})- (?!(?:and|or|und|oder|en|of|et|ou|y|o|bis|tot|to)\b)(?=[a-zà-ÿ]{2})"
)
_SOFT = re.compile("[\u00ad\u0002\u200b\u200c\u200d\ufeff]")
_WS = re.compile(r"\s+")
# Lines of page furniture: journal running heads, page numbers, licences, download notes.
_FURNITURE_LINE = re.compile(
    r"(?i)^\s*(?:page\s+\d+(?:\s+(?:of|van)\s+\d+)?|pagina\s+\d+|\d{1,4}(?:\s*/\s*\d{1,4})?"
    r"|.*\bvol(?:ume)?\.?\s*\d+.*\b(?:no|issue)\.?\s*\d+.*|.*\b(?:doi|issn|isbn)\b.*|.*https?://\S+.*"
    r"|.*(?:all rights reserved|downloaded from|creative commons).*)\s*$"
)
_COPYRIGHT = re.compile(r"(?im)\s*(?:©|\(c\)\s*(?=\d{4})|\bcopyright\b).*$")  # runs to the end of its line
# Sentences that are furniture rather than summary.
_FURNITURE_SENTENCE = re.compile(
    r"(?i)©|\bcopyright\b|all rights reserved|downloaded from|creative commons|https?://|\bdoi\b|www\.\S+"
)
# (Bennett and Entman 2001; Chong 2007) or (Bernhard & Kriesi, 2019): author-year citations.
_CITATION = re.compile(
    r"\s*\((?:see |e\.g\.,? |cf\. |zie |vgl\. |bijv\. )?[A-ZÀ-Þ][^()]{0,160}?,? (?:19|20)\d{2}[a-z]?"
    r"(?:[;,] [^()]{0,160}?(?:19|20)\d{2}[a-z]?)*\)"
)
# [12], [3, 4] or [e.g., B. S. Lowery, J. Exp. Soc. Psychol. 45, 375–378, 2009]: numbered references.
_BRACKETS = re.compile(r"\s*\[(?:[\d,;\s–-]+|[^\[\]]{0,200}?(?:19|20)\d{2}[a-z]?)\]")
# A footnote number glued to a word or stop: "bronnen.1 Deze", "Einwanderung2 und".
_FOOTNOTE = re.compile(
    r"(?:(?<=[^\W\d_]{3})|(?<=[^\W\d_]{2}[.,;:]))(?:\d{1,2}|[¹²³⁴⁵⁶⁷⁸⁹⁰]+)(?=\s|$)"
)
_ABBREVIATIONS = frozenset((
    "e.g", "i.e", "et", "al", "vs", "cf", "ca", "etc", "dr", "prof", "mr", "mrs", "ms", "st", "no", "nr",
    "vol", "pp", "fig", "bijv", "o.a", "d.w.z", "e.d", "m.b.t", "t.a.v", "z.b", "u.a", "bzw", "resp",
    "jr", "sr", "inc", "ltd",
))
_SENTENCE_END = re.compile(r"[.!?…](?:[\"'”’)\]])*\s+(?=[\"'“‘(\[]?[A-ZÀ-ÞĀ-Ž0-9])")


def clean_summary(raw: str) -> str:
    """A summary made fit to show: no page furniture, citations or footnote marks, hyphenation breaks joined, whole sentences."""
    if not raw:
        return ""
    text = unicodedata.normalize("NFC", _SOFT.sub("", raw))
    text = _COPYRIGHT.sub("", _HYPHEN_LINE.sub("", text))
    lines = [line for line in text.splitlines() if line.strip() and not _FURNITURE_LINE.match(line)]
    text = _WS.sub(" ", " ".join(lines)).strip()
    text = _HYPHEN_SPACE.sub("", text)
    text = _CITATION.sub("", text)
    text = _BRACKETS.sub("", text)
    text = _FOOTNOTE.sub("", text)
    text = re.sub(r"\s+([.,;:!?])", r"\1", text)
    sentences = [s for s in split_sentences(text) if not _FURNITURE_SENTENCE.search(s)]
    if not sentences:
        return ""
    if len(sentences) > 1 and not _complete(sentences[-1]):
        sentences.pop()  # a trailing fragment ("Die Parteikollegen wollen das, was alle …")
    if len(sentences) == 1 and not _complete(sentences[0]) and len(sentences[0].split()) < _MIN_FRAGMENT:
        return ""  # a clipped teaser ("Taiwanese President Tsai Ing-wen’s") says nothing
    return " ".join(sentences)


def shorten_summary(text: str, max_words: int) -> str:
    """A clean summary in at most about ``max_words`` words: whole sentences while they fit.

    A first sentence that is longer is cut at a comma or word and ends in an ellipsis.
    """
    sentences = split_sentences(text)
    if not sentences:
        return ""
    chosen: list[str] = []
    count = 0
    for sentence in sentences:
        words = len(sentence.split())
        if chosen and count + words > max_words:
            break
        chosen.append(sentence)
        count += words
    if count > max_words or not _complete(chosen[-1]):
        return _shorten(" ".join(chosen), max_words)
    return " ".join(chosen)


def split_sentences(text: str) -> list[str]:
    """Sentences of a paragraph; abbreviations ("e.g.", "bijv.", initials) do not end one."""
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.start() + 1
        before = text[start:end].rstrip(".!?…\"'”’)]")
        last_word = before.split()[-1].lower() if before.split() else ""
        if text[match.start()] == "." and (last_word in _ABBREVIATIONS or re.fullmatch(r"[^\W\d_]", last_word)):
            continue
        sentences.append(text[start:match.end()].strip())
        start = match.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def _complete(sentence: str) -> bool:
    return bool(re.search(r"[.!?](?:[\"'”’)\]])*$", sentence)) and not sentence.endswith(("…", "..."))


def _shorten(text: str, max_words: int) -> str:
    words = text.rstrip(" .…").split()
    if len(words) > max_words:
        words = words[:max_words]
        cut = " ".join(words)
        comma = max(cut.rfind(","), cut.rfind(";"), cut.rfind(":"))
        if comma > len(cut) // 2:  # end at a clause if that keeps most of it
            cut = cut[:comma]
    else:
        cut = " ".join(words)
    return cut.rstrip(",;: ") + " …"
