"""How text becomes index terms: folding, stop words and stemming per field language."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from kenniskamer.startup import importing_whoosh
from kenniskamer.text.prose import fold

with importing_whoosh():
    from whoosh.analysis import Analyzer, RegexTokenizer, StemFilter, StopFilter
    from whoosh.lang import stemmer_for_language, stopwords_for_language



TOKEN_PATTERN = r"\w+"


class FoldingTokenizer(RegexTokenizer):
    """Splits folded text (lower case, no accents) into words: one fold per text, not per token."""

    def __call__(self, value: str, **kwargs: Any) -> Any:
        return super().__call__(fold(value), **kwargs)


@cache
def analyzer_for(language: str) -> Analyzer:
    """The analyzer of a text field: accent and case folding, plus stop words and stemming for en/nl."""
    base = FoldingTokenizer(TOKEN_PATTERN)
    if language in ("en", "nl"):
        return base | StopFilter(stoplist=stopwords(language), minsize=2) | StemFilter(lang=language, cachesize=200_000)
    return base


@cache
def stopwords(language: str) -> frozenset[str]:
    """The folded stop words of a language (empty for languages without a list)."""
    if language not in ("en", "nl"):
        return frozenset()
    return frozenset(fold(word) for word in stopwords_for_language(language))


def analyze(text: str, language: str) -> list[str]:
    """The index terms a text turns into under a field language's analyzer."""
    return [token.text for token in analyzer_for(language)(text)]


_STEMS: dict[str, dict[str, str]] = {}  # per language: folded word -> stem, for analyze_words


def analyze_words(words: Sequence[str], language: str) -> list[str]:
    """The index terms of already folded words (``text.words(text)``): what :func:`analyze` gives for the text.

    Lets an extraction worker analyse a document once, beside everything else it derives
    from the folded words, so the process that writes the index only adds terms.
    """
    language = "other" if language == "name" else language
    if language not in ("en", "nl"):
        return list(words)
    _tokenizer, stop, stemmer = analyzer_for(language).items
    stops, minsize = stop.stops | stemmer.ignore, stop.min
    stem_word = stemmer_for_language(stemmer.lang) if stemmer.lang else stemmer.stemfn
    stems = _STEMS.setdefault(language, {})
    if len(stems) > 500_000:
        stems.clear()
    terms = []
    for word in words:
        if len(word) < minsize or word in stops:
            continue
        term = stems.get(word)
        if term is None:
            term = stems[word] = stem_word(word)
        terms.append(term)
    return terms
