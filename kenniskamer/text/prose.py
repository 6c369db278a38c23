"""Text normalisation shared by the index, search, dedupe, themes and the thesaurus.

The one fold, the one tokeniser (:func:`words`) and the one stemmer (:func:`stem`, Snowball
through PyStemmer, per language). Theme and thesaurus terms are matched by :func:`term_stem`:
the same stems, a little more lenient for Dutch, and short and function words as written.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import Stemmer

_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_SPECIAL = {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}
# A regex finds the few letters NFKD leaves alone: str.translate with a table walks every
# character in Python-level lookups and took 60% of a fold.
_SPECIAL_RE = re.compile("[" + "".join(_SPECIAL) + "]")
WORD = re.compile(r"\w+")


def fold(text: str) -> str:
    """Lower-case, compatibility-normalise and strip accents: ``Coöperatie`` -> ``cooperatie``."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = _COMBINING.sub("", text)
    return _SPECIAL_RE.sub(lambda match: _SPECIAL[match[0]], text) if _SPECIAL_RE.search(text) else text


def words(text: str) -> list[str]:
    """The folded words of a text."""
    return WORD.findall(fold(text))


# The classic Snowball Dutch stemmer (as in Lucene and Whoosh) is "dutch_porter" since
# Snowball 3 (PyStemmer 3) and "dutch" before; the new "dutch" conflates too much
# (waarden -> waar, houding -> houd, gemeente -> meen).
_DUTCH = "dutch_porter" if "dutch_porter" in Stemmer.algorithms() else "dutch"
_STEMMERS = {"en": Stemmer.Stemmer("english"), "nl": Stemmer.Stemmer(_DUTCH)}
# The languages with a stemmer and a stop list: their text has index fields of its own, and
# theme and thesaurus terms are written in them. Dutch first, so that a term listed in both
# languages counts as Dutch.
STEMMED_LANGUAGES = ("nl", "en")
_STEMS: dict[str, dict[str, str]] = {language: {} for language in _STEMMERS}  # folded word -> stem
_STEM_CACHE_LIMIT = 500_000


def stem(word: str, language: str) -> str:
    """The Snowball stem of one folded word in "en" or "nl"."""
    cache = _STEMS[language]
    found = cache.get(word)
    if found is None:
        if len(cache) >= _STEM_CACHE_LIMIT:
            cache.clear()
        found = cache[word] = _STEMMERS[language].stemWord(word)
    return found


SHORT_WORD = 3  # words this short are matched as written, never stemmed
# Function words are matched as written: stemming them gains nothing, and their short stems
# ("tegen" -> "teg") would make the themes' pre-filter let through every word that starts
# with the same letters.
FUNCTION_WORDS = {
    "nl": frozenset(
        "aan als bij door het een dat die dit deze daar dus geen"  # noqa: SIM905 - a word list reads better as text
        " hun hoe maar meer met naar niet noch omdat onder over tegen tegenover tussen toen tot uit"
        " van voor waar want wat wij zij zijn zich zo zonder jegens binnen buiten echter ook nog".split()
    ),
    "en": frozenset(
        "about above after against among and are because been"  # noqa: SIM905 - a word list reads better as text
        " before being between both but from have into more most other over such than that their them then there these"
        " they this those through toward towards under versus very were what when where which"
        " while with within without".split()
    ),
}
_TERM_STEMS: dict[str, dict[str, str]] = {language: {} for language in _STEMMERS}


def _dutch_term_stem(word: str) -> str:
    """Snowball Dutch, plus the plural -s after e and the v/f, z/s alternation."""
    if len(word) > 5 and word.endswith("es") and word[-3] not in "aeos":
        word = word[:-1]  # campagnes -> campagne, emoties -> emotie
    found = stem(word, "nl")
    if len(found) > 3 and found[-1] in "vz":
        found = found[:-1] + ("f" if found[-1] == "v" else "s")  # narratiev -> narratief
    return found


def term_stem(word: str, language: str) -> str:
    """The stem a folded word meets theme and thesaurus terms by; short and function words stay as written."""
    if len(word) <= SHORT_WORD or not word.isalpha() or word in FUNCTION_WORDS[language]:
        return word
    cache = _TERM_STEMS[language]
    found = cache.get(word)
    if found is None:
        if len(cache) >= _STEM_CACHE_LIMIT:
            cache.clear()
        found = cache[word] = _dutch_term_stem(word) if language == "nl" else stem(word, language)
    return found


def term_stems(phrase: str, language: str) -> tuple[str, ...]:
    """The term stems of a word or phrase in "en" or "nl"."""
    return tuple(term_stem(word, language) for word in words(phrase))


def vocabulary(pages: Iterable[str], *, min_length: int = 3, max_length: int = 30) -> set[str]:
    """The distinct folded words of a document that "did you mean" may suggest."""
    found: set[str] = set()
    for page in pages:
        found.update(w for w in WORD.findall(fold(page)) if min_length <= len(w) <= max_length and not w.isdigit())
    return found
