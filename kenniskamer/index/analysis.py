"""How text becomes index terms: folding, stop words and stemming per field language."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from kenniskamer.startup import importing_whoosh
from kenniskamer.text.prose import STEMMED_LANGUAGES, WORD, fold, stem

with importing_whoosh():
    from whoosh.analysis import Analyzer, Filter, RegexTokenizer, StopFilter
    from whoosh.lang import stopwords_for_language


TOKEN_PATTERN = WORD.pattern  # the words of text.prose.words


class FoldingTokenizer(RegexTokenizer):
    """Splits folded text (lower case, no accents) into words: one fold per text, not per token."""

    def __call__(self, value: str, **kwargs: Any) -> Any:
        return super().__call__(fold(value), **kwargs)


class ProseStemFilter(Filter):
    """Stems each token with :func:`kenniskamer.text.prose.stem`, the stemmer everything else uses."""

    is_morph = True  # Whoosh leaves it out where it analyses without morphology

    def __init__(self, language: str) -> None:
        """A filter for "en" or "nl"."""
        self.language = language

    def __call__(self, tokens: Any) -> Any:
        """Stem the tokens that are not stop words."""
        language = self.language
        for token in tokens:
            if not token.stopped:
                token.text = stem(token.text, language)
            yield token


@cache
def analyzer_for(language: str) -> Analyzer:
    """The analyzer of a text field: accent and case folding, plus stop words and stemming for en/nl."""
    base = FoldingTokenizer(TOKEN_PATTERN)
    if language in STEMMED_LANGUAGES:
        return base | StopFilter(stoplist=stopwords(language), minsize=2) | ProseStemFilter(language)
    return base


@cache
def stopwords(language: str) -> frozenset[str]:
    """The folded stop words of a language (empty for languages without a list)."""
    if language not in STEMMED_LANGUAGES:
        return frozenset()
    return frozenset(fold(word) for word in stopwords_for_language(language))


def analyze(text: str, language: str) -> list[str]:
    """The index terms a text turns into under a field language's analyzer."""
    return [token.text for token in analyzer_for(language)(text)]


def analyze_words(words: Sequence[str], language: str) -> list[str]:
    """The index terms of already folded words (``text.words(text)``): what :func:`analyze` gives for the text.

    Lets an extraction worker analyse a document once, beside everything else it derives
    from the folded words, so the process that writes the index only adds terms.
    """
    language = "other" if language == "name" else language
    if language not in STEMMED_LANGUAGES:
        return list(words)
    stop = analyzer_for(language).items[1]
    stops, minsize = stop.stops, stop.min
    return [stem(word, language) for word in words if len(word) >= minsize and word not in stops]
