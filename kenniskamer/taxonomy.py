"""Themes and the Dutch-English thesaurus: loading the data files and matching text against them.

Both files live in ``DATA_DIR``: ``themes.toml`` (theme rules, format described at its top)
and ``thesaurus.tsv`` (Dutch-English term pairs). Matching folds case and accents and stems
each word with the Snowball stemmer of its language (Dutch or English), so ``Vluchtelingen``
meets ``vluchteling`` and ``refugees`` meets ``refugee``.

Theme scores: every hit of a term adds its weight; hits in the title and summary count
extra, hits in the body are damped per term and divided by a power of the text's length.
The constants below were tuned by hand on the 65 documents of the shared topical corpus.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import compress
from pathlib import Path
from typing import Any

import snowballstemmer

from kenniskamer.errors import KennisError
from kenniskamer.models import ThemeMatch

_PACKAGE_DIR = Path(__file__).resolve().parent


def _find_data_dir() -> Path:
    """The folder holding themes.toml: inside the package when installed, else the repo's data/."""
    for candidate in (_PACKAGE_DIR / "data", _PACKAGE_DIR.parent / "data"):
        if (candidate / "themes.toml").is_file():
            return candidate
    return _PACKAGE_DIR.parent / "data"


DATA_DIR: Path = _find_data_dir()
THEMES_FILE = "themes.toml"
THESAURUS_FILE = "thesaurus.tsv"

LANGUAGES = ("nl", "en")

# Scoring. A term hit counts its weight; hits in the title and summary count extra because
# they say what a document is about, not what it mentions on the way.
TITLE_WEIGHT = 6.0
SUMMARY_WEIGHT = 2.0
# Body hits are divided by (words / 1000) ** LENGTH_EXPONENT: between raw counts (long texts
# win) and density (a 300-page manifesto with one migration chapter is drowned by its other
# chapters). Tuned on the 65 topical test documents.
LENGTH_EXPONENT = 0.4
MIN_WORDS = 1000  # shorter texts are scored as if they had this many words
TERM_EXPONENT = 0.7  # per term, count ** TERM_EXPONENT: repetition adds less and less
# A theme is assigned when its score reaches THRESHOLD and at least MIN_HITS term hits
# (or one title hit) support it, and its score is at least RELATIVE_CUTOFF of the best one.
THRESHOLD = 13.0
MIN_HITS = 4
# ...and at least one hit of a specific term (weight >= STRONG_WEIGHT): "media" and "news"
# alone never make a page about media portrayal.
STRONG_WEIGHT = 2.0
RELATIVE_CUTOFF = 0.15
MAX_THEMES = 5

_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Words are runs of digits and Latin letters (with accents); other scripts are not matched.
# Narrower than \w+ and about 40% faster on long texts.
_TOKEN_RE = re.compile("[0-9A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u0300-\u036f]+")
_WEIGHT_RE = re.compile(r"^(?P<term>.+?)\s*:\s*(?P<weight>[0-9]+(?:\.[0-9]+)?)$")
_MIN_PREFIX = 4  # a prefix term ("asiel*") needs at least this many characters
_SHORT = 3  # tokens this short are compared as written, never stemmed
_COMBINING_RE = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# Function words are compared as written: stemming them gains nothing, and their short
# stems ("tegen" -> "teg") would make the pre-filter in _LanguageMatcher.wants let through
# every word that starts with the same letters.
_FUNCTION_WORDS = {
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

# The classic Snowball Dutch stemmer (as in Lucene and Whoosh) is "dutch_porter" since
# snowballstemmer 3 and "dutch" before; the new "dutch" of version 3 conflates too much for
# matching (waarden -> waar, houding -> houd, gemeente -> meen).
_DUTCH = "dutch_porter" if "dutch_porter" in snowballstemmer.algorithms() else "dutch"
_STEMMERS = {"nl": snowballstemmer.stemmer(_DUTCH), "en": snowballstemmer.stemmer("english")}
_STEM_CACHE: dict[str, dict[str, str]] = {"nl": {}, "en": {}}
_STEM_CACHE_LIMIT = 200_000


@dataclass(frozen=True)
class Theme:
    """A theme with labels, descriptions and weighted Dutch and English terms."""

    id: str
    label_nl: str
    label_en: str
    description_nl: str
    description_en: str
    terms_nl: tuple[str, ...]  # as written in themes.toml, without the weight
    terms_en: tuple[str, ...]
    weights_nl: tuple[float, ...]  # one per term in terms_nl
    weights_en: tuple[float, ...]

    def label(self, language: str | None = None) -> str:
        """The label in the given language ("nl" or "en"; Dutch otherwise)."""
        return self.label_en if language == "en" else self.label_nl

    def description(self, language: str | None = None) -> str:
        """The description in the given language ("nl" or "en"; Dutch otherwise)."""
        return self.description_en if language == "en" else self.description_nl

    def weighted_terms(self, language: str) -> tuple[tuple[str, float], ...]:
        """The (term, weight) pairs for "nl" or "en"."""
        if language == "en":
            return tuple(zip(self.terms_en, self.weights_en))
        return tuple(zip(self.terms_nl, self.weights_nl))


# --- normalisation -------------------------------------------------------------------------


def fold(text: str) -> str:
    """Lower-case text with accents removed ("Coöperatie" -> "cooperatie")."""
    text = text.casefold()
    if text.isascii():
        return text
    return _COMBINING_RE.sub("", unicodedata.normalize("NFKD", text))


def tokenize(text: str) -> list[str]:
    """Folded word tokens of a text; hyphens, apostrophes and punctuation split words."""
    return _TOKEN_RE.findall(fold(text))


def _dutch_stem(token: str) -> str:
    """Classic Snowball Dutch, plus the plural -s after e and the v/f, z/s alternation."""
    if len(token) > 5 and token.endswith("es") and token[-3] not in "aeos":
        token = token[:-1]  # campagnes -> campagne, emoties -> emotie
    stem: str = _STEMMERS["nl"].stemWord(token)
    if len(stem) > 3 and stem[-1] in "vz":
        stem = stem[:-1] + ("f" if stem[-1] == "v" else "s")  # narratiev -> narratief
    return stem


def stem(token: str, language: str) -> str:
    """The stem of one folded token in "nl" or "en"; short tokens are kept as written."""
    if len(token) <= _SHORT or not token.isalpha() or token in _FUNCTION_WORDS[language]:
        return token
    cache = _STEM_CACHE[language]
    found = cache.get(token)
    if found is None:
        found = _dutch_stem(token) if language == "nl" else _STEMMERS["en"].stemWord(token)
        if len(cache) >= _STEM_CACHE_LIMIT:
            cache.clear()
        cache[token] = found
    return found


def stem_phrase(phrase: str, language: str) -> tuple[str, ...]:
    """The stems of a word or phrase in "nl" or "en"."""
    return tuple(stem(token, language) for token in tokenize(phrase))


# --- themes: loading -----------------------------------------------------------------------


def _problem(path: Path, message: str) -> KennisError:
    """The error for a theme file that cannot be used."""
    return KennisError(f"Theme file {path} is not valid: {message}. Fix the file and try again.")


def _parse_terms(path: Path, theme_id: str, key: str, raw: object) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """Split "term" / "term:2.0" entries into terms and weights, checking each one."""
    if not isinstance(raw, list) or not raw:
        raise _problem(path, f"theme {theme_id!r} needs a non-empty list {key}")
    terms: list[str] = []
    weights: list[float] = []
    for entry in raw:
        if not isinstance(entry, str) or not entry.strip():
            raise _problem(path, f"theme {theme_id!r} has a {key} entry that is not a text: {entry!r}")
        match = _WEIGHT_RE.match(entry.strip())
        term, weight = (match["term"], float(match["weight"])) if match else (entry.strip(), 1.0)
        if weight <= 0:
            raise _problem(path, f"theme {theme_id!r} gives {term!r} weight {weight}; use a weight above 0")
        if term.endswith("*"):
            stem_part = term[:-1]
            if " " in stem_part or len(fold(stem_part)) < _MIN_PREFIX or not tokenize(stem_part):
                raise _problem(
                    path,
                    f"theme {theme_id!r} has prefix term {term!r}; a prefix is one word of"
                    f" at least {_MIN_PREFIX} letters",
                )
        elif not tokenize(term):
            raise _problem(path, f"theme {theme_id!r} has term {term!r} without any letters")
        if term in terms:
            raise _problem(path, f"theme {theme_id!r} lists {term!r} twice in {key}")
        terms.append(term)
        weights.append(weight)
    return tuple(terms), tuple(weights)


def load_themes(path: Path | None = None) -> tuple[Theme, ...]:
    """The themes in a themes.toml file (default: DATA_DIR / "themes.toml")."""
    import tomllib  # here, not at the top: `kenniskamer search` seldom needs it (10 ms)

    path = Path(path) if path is not None else DATA_DIR / THEMES_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KennisError(f"Theme file {path} does not exist. Check the path or restore data/{THEMES_FILE}.") from None
    except (OSError, UnicodeDecodeError) as err:
        raise KennisError(f"Theme file {path} cannot be read: {err}.") from err
    except tomllib.TOMLDecodeError as err:
        raise _problem(path, f"TOML syntax error ({err})") from err
    tables = data.get("theme")
    if not isinstance(tables, list) or not tables:
        raise _problem(path, "it has no [[theme]] tables")
    themes: list[Theme] = []
    seen: set[str] = set()
    for number, table in enumerate(tables, start=1):
        if not isinstance(table, dict):
            raise _problem(path, f"theme number {number} is not a table")
        theme_id = table.get("id")
        if not isinstance(theme_id, str) or not _ID_RE.fullmatch(theme_id):
            raise _problem(
                path,
                f"theme number {number} needs an id of lower-case ascii letters, digits and hyphens, not {theme_id!r}",
            )
        if theme_id in seen:
            raise _problem(path, f"theme id {theme_id!r} is used twice")
        seen.add(theme_id)
        texts: dict[str, str] = {}
        for key in ("label_nl", "label_en", "description_nl", "description_en"):
            value = table.get(key)
            if not isinstance(value, str) or not value.strip():
                raise _problem(path, f"theme {theme_id!r} needs a non-empty text {key}")
            texts[key] = value.strip()
        unknown = sorted(set(table) - {"id", "terms_nl", "terms_en", *texts})
        if unknown:
            raise _problem(path, f"theme {theme_id!r} has unknown keys {', '.join(unknown)}")
        terms_nl, weights_nl = _parse_terms(path, theme_id, "terms_nl", table.get("terms_nl"))
        terms_en, weights_en = _parse_terms(path, theme_id, "terms_en", table.get("terms_en"))
        themes.append(
            Theme(
                id=theme_id,
                label_nl=texts["label_nl"],
                label_en=texts["label_en"],
                description_nl=texts["description_nl"],
                description_en=texts["description_en"],
                terms_nl=terms_nl,
                terms_en=terms_en,
                weights_nl=weights_nl,
                weights_en=weights_en,
            )
        )
    return tuple(themes)


def theme_by_id(themes: Iterable[Theme], id: str) -> Theme:
    """The theme with the given id; KennisError naming the valid ids otherwise."""
    known = tuple(themes)
    for theme in known:
        if theme.id == id:
            return theme
    valid = ", ".join(theme.id for theme in known)
    raise KennisError(f"Unknown theme {id!r}. Valid themes are: {valid}.")


# --- themes: matching ----------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Rule:
    """One compiled term: which theme, how it is written, its weight."""

    theme_index: int
    term: str
    weight: float


@dataclass(frozen=True)
class _Scan:
    """A text tokenised once: tokens as found, in order, and each distinct token's count and form."""

    tokens: list[str]  # as found in the text: case and accents still on
    counts: dict[str, int]  # token as found -> count
    forms: dict[str, str]  # token as found -> lower case, accents folded


def _scan(text: str) -> _Scan:
    """Tokenise a text once; case and accents are folded per distinct token, not per character."""
    tokens = _TOKEN_RE.findall(text)
    counts = Counter(tokens)
    forms = {
        token: (token if token.islower() else token.lower()) if token.isascii() else fold(token) for token in counts
    }
    return _Scan(tokens=tokens, counts=counts, forms=forms)


@dataclass(frozen=True)
class _LanguageMatcher:
    """The compiled terms of one language: stemmed words, stemmed phrases and prefixes."""

    language: str
    words: dict[str, list[_Rule]]  # stem -> rules
    phrases: dict[str, list[tuple[tuple[str, ...], _Rule]]]  # first stem -> (all stems, rule)
    prefixes: dict[str, list[tuple[str, _Rule]]]  # first 4 letters -> (prefix, rule)
    starts: dict[str, tuple[str, ...]]  # first 3 letters -> how words with a term stem begin
    tiny: tuple[str, ...]  # starts shorter than 3 letters
    exact: frozenset[str]  # short words and function words that can match as written

    def wants(self, token: str) -> bool:
        """Whether a folded token could stem to a term stem, so that it is worth stemming.

        Stemming is the slow part of matching; most words of a text begin like no term stem.
        """
        if len(token) <= _SHORT or token in self.exact:
            return token in self.exact
        return token.startswith(self.starts.get(token[:3], ())) or token.startswith(self.tiny)


_UNDOUBLED_RE = re.compile(r"[^aeiouy][aeou][^aeiouy]$")


def _starts(item: str, language: str) -> set[str]:
    """How a word whose stem is ``item`` begins: Snowball stemmers mostly cut a word's end.

    Checked against the 38,000 distinct words of the topical test corpus: besides the rules
    here, only a handful of proper names (yoon -> yon) begin otherwise.
    """
    if language == "en":
        if item.endswith(("bl", "ie")):  # possibility -> possibl, dying -> die
            return {item[:-2]}
        return {item[:-1]} if item.endswith(("i", "e")) else {item}  # policy -> polici, hoping -> hope
    if item.endswith("heid"):  # vrijheden -> vrijheid
        return {item[:-3]}
    starts = {item[:-1]} if item.endswith(("f", "s")) else {item}  # narratieven -> narratief
    if _UNDOUBLED_RE.search(item):  # huur -> hur, verhaal -> verhal
        starts.add(item[:-2] + item[-2] * 2)
    return starts


def _compile_language(themes: tuple[Theme, ...], language: str) -> _LanguageMatcher:
    """Stem every term of one language once, merging spellings that share a stem."""
    words: dict[str, list[_Rule]] = {}
    phrases: dict[str, list[tuple[tuple[str, ...], _Rule]]] = {}
    prefixes: dict[str, list[tuple[str, _Rule]]] = {}
    needed: set[str] = set()
    exact: set[str] = set()
    for index, theme in enumerate(themes):
        taken: set[tuple[str, ...]] = set()
        for term, weight in theme.weighted_terms(language):
            rule = _Rule(index, term, weight)
            if term.endswith("*"):
                prefix = fold(term[:-1])
                prefixes.setdefault(prefix[:_MIN_PREFIX], []).append((prefix, rule))
                continue
            stems = stem_phrase(term, language)
            if stems in taken:  # "polarized" after "polarization": counted once, first spelling
                continue
            taken.add(stems)
            for token, token_stem in zip(tokenize(term), stems):
                if token == token_stem and (len(token) <= _SHORT or token in _FUNCTION_WORDS[language]):
                    exact.add(token)
                else:
                    needed.add(token_stem)
            if len(stems) == 1:
                words.setdefault(stems[0], []).append(rule)
            else:
                phrases.setdefault(stems[0], []).append((stems, rule))
    starts: dict[str, set[str]] = {}
    tiny: set[str] = set()
    for item in needed:
        if len(item) <= _SHORT:
            exact.add(item)  # short words are never stemmed, so "cue" can match as written
        for start in _starts(item, language):
            if len(start) < 3:
                tiny.add(start)
            else:
                starts.setdefault(start[:3], set()).add(start)
    return _LanguageMatcher(
        language=language,
        words=words,
        phrases=phrases,
        prefixes=prefixes,
        starts={key: tuple(sorted(values)) for key, values in starts.items()},
        tiny=tuple(sorted(tiny)),
        exact=frozenset(exact),
    )


@lru_cache(maxsize=8)
def _compile(themes: tuple[Theme, ...]) -> dict[str, _LanguageMatcher]:
    """Compiled matchers for both languages, cached per set of themes."""
    return {language: _compile_language(themes, language) for language in LANGUAGES}


def _count_hits(matcher: _LanguageMatcher, scan: _Scan) -> dict[_Rule, int]:
    """How often each rule of one language matches a scanned text."""
    hits: dict[_Rule, int] = {}
    stems: dict[str, str] = {}  # token as found -> stem, for tokens worth stemming
    language, wants, words, prefixes = matcher.language, matcher.wants, matcher.words, matcher.prefixes
    for token, count in scan.counts.items():
        form = scan.forms[token]
        if wants(form):
            token_stem = stem(form, language)
            stems[token] = token_stem
            for rule in words.get(token_stem, ()):
                hits[rule] = hits.get(rule, 0) + count
        for prefix, rule in prefixes.get(form[:_MIN_PREFIX], ()):
            if form.startswith(prefix):
                hits[rule] = hits.get(rule, 0) + count
    if matcher.phrases:
        _count_phrases(matcher, scan, stems, hits)
    return hits


def _count_phrases(matcher: _LanguageMatcher, scan: _Scan, stems: dict[str, str], hits: dict[_Rule, int]) -> None:
    """Add the hits of phrase terms: walk the positions of their first word, check the rest."""
    present = set(stems.values())
    pairs: dict[tuple[str, str], list[tuple[tuple[str, ...], _Rule]]] = {}
    for first, options in matcher.phrases.items():
        if first in present:
            for phrase, rule in options:
                if present.issuperset(phrase):
                    pairs.setdefault((first, phrase[1]), []).append((phrase, rule))
    if not pairs:
        return
    firsts = {first for first, _ in pairs}
    seconds = {second for _, second in pairs}
    heads = {token for token, token_stem in stems.items() if token_stem in firsts}
    nexts = {token for token, token_stem in stems.items() if token_stem in seconds}
    tokens = scan.tokens
    last = len(tokens)
    # compress and map keep the walk over every token in C; few head positions remain.
    for position in compress(range(last - 1), map(heads.__contains__, tokens)):
        if tokens[position + 1] not in nexts:
            continue
        for phrase, rule in pairs.get((stems[tokens[position]], stems[tokens[position + 1]]), ()):
            size = len(phrase)
            if position + size > last:
                continue
            offset = 2
            while offset < size and stems.get(tokens[position + offset]) == phrase[offset]:
                offset += 1
            if offset == size:
                hits[rule] = hits.get(rule, 0) + 1


def _languages(language: str | None) -> tuple[str, ...]:
    """The term languages to match for a document language (both when unknown or other)."""
    code = (language or "").lower()[:2]
    return (code,) if code in LANGUAGES else LANGUAGES


def match_themes(
    themes: Sequence[Theme],
    *,
    title: str | None,
    summary: str | None,
    text: str,
    language: str | None,
) -> tuple[ThemeMatch, ...]:
    """The themes a document is about, strongest first, each with its term evidence."""
    themes = tuple(themes)
    if not themes:
        return ()
    matchers = _compile(tuple(themes))
    parts = {"title": _scan(title or ""), "summary": _scan(summary or ""), "text": _scan(text)}
    words = max(len(parts["text"].tokens), MIN_WORDS)
    length_factor = (words / 1000) ** LENGTH_EXPONENT
    scores = [0.0] * len(themes)
    hit_counts = [0] * len(themes)
    strong = [False] * len(themes)
    in_title = [False] * len(themes)
    evidence: list[dict[str, int]] = [{} for _ in themes]
    counted: set[tuple[int, str]] = set()  # a term listed for both languages counts once
    for term_language in _languages(language):
        done: set[tuple[int, str]] = set()
        for part, scan in parts.items():
            for rule, count in _count_hits(matchers[term_language], scan).items():
                index = rule.theme_index
                if (index, rule.term) in counted:
                    continue
                done.add((index, rule.term))
                if part == "text":
                    # damped: a word repeated 100 times is not 100 times the evidence
                    scores[index] += rule.weight * count**TERM_EXPONENT / length_factor
                else:
                    bonus = TITLE_WEIGHT if part == "title" else SUMMARY_WEIGHT
                    scores[index] += rule.weight * bonus * min(count, 3)
                    in_title[index] = in_title[index] or part == "title"
                hit_counts[index] += count
                strong[index] = strong[index] or rule.weight >= STRONG_WEIGHT
                evidence[index][rule.term] = evidence[index].get(rule.term, 0) + count
        counted |= done
    ranked = sorted(range(len(themes)), key=lambda i: (-scores[i], themes[i].id))
    best = scores[ranked[0]]
    matches: list[ThemeMatch] = []
    for index in ranked:
        score = scores[index]
        if score < THRESHOLD or score < RELATIVE_CUTOFF * best or len(matches) == MAX_THEMES:
            break
        if not strong[index] or (hit_counts[index] < MIN_HITS and not in_title[index]):
            continue
        ordered = dict(sorted(evidence[index].items(), key=lambda item: (-item[1], item[0])))
        matches.append(ThemeMatch(theme_id=themes[index].id, score=round(score, 2), evidence=ordered))
    return tuple(matches)


# --- thesaurus -----------------------------------------------------------------------------


class Thesaurus:
    """Dutch-English term pairs, looked up by stemmed, folded words or phrases."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Index (Dutch, English) pairs in both directions."""
        self.pairs: tuple[tuple[str, str], ...] = tuple(pairs)
        self._partners: dict[tuple[str, str], list[str]] = {}  # (language, term) -> other-language terms
        self._index: dict[str, dict[tuple[str, ...], list[str]]] = {"nl": {}, "en": {}}
        for dutch, english in self.pairs:
            for language, term, partner in (("nl", dutch, english), ("en", english, dutch)):
                partners = self._partners.setdefault((language, term), [])
                if partner not in partners:
                    partners.append(partner)
                key = stem_phrase(term, language)
                entries = self._index[language].setdefault(key, [])
                if term not in entries:
                    entries.append(term)
        self.max_words = max((len(key) for index in self._index.values() for key in index), default=0)

    def __len__(self) -> int:
        """The number of Dutch-English pairs."""
        return len(self.pairs)

    def state(self) -> dict[str, Any]:
        """The pairs and the built index, as JSON values (see ``load_thesaurus``)."""
        return {
            "pairs": self.pairs,
            "partners": [[language, term, partners] for (language, term), partners in self._partners.items()],
            "index": {language: [[key, terms] for key, terms in index.items()] for language, index in self._index.items()},
            "max_words": self.max_words,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> Thesaurus:
        """The thesaurus ``state()`` describes, without indexing its terms again."""
        thesaurus = cls.__new__(cls)
        thesaurus.pairs = tuple((dutch, english) for dutch, english in state["pairs"])
        thesaurus._partners = {(language, term): list(partners) for language, term, partners in state["partners"]}
        thesaurus._index = {
            language: {tuple(key): list(terms) for key, terms in state["index"][language]} for language in LANGUAGES
        }
        thesaurus.max_words = int(state["max_words"])
        return thesaurus

    def languages_of(self, term: str) -> tuple[str, ...]:
        """The languages ("nl", "en") in which ``term`` is an entry, as written in the file."""
        return tuple(language for language in LANGUAGES if (language, term) in self._partners)

    def _lookup(self, query: str, stems_by_language: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
        """Partners, then partners' other partners, of every entry matching the given stems."""
        found = [
            (language, term)
            for language, key in stems_by_language.items()
            for term in self._index[language].get(key, ())
        ]
        if not found:
            return ()
        other = {"nl": "en", "en": "nl"}
        result: list[str] = []
        seen = {fold(query)}

        def add(term: str) -> None:
            if fold(term) not in seen:
                seen.add(fold(term))
                result.append(term)

        for language, term in found:
            for partner in self._partners[(language, term)]:
                add(partner)
        # The query's own forms (vluchteling for "vluchtelingen") are not equivalents, unless
        # they also translate another match ("toon" found by Dutch stemming of "tone").
        seen.update(fold(term) for _, term in found)
        for language, term in found:
            for partner in self._partners[(language, term)]:
                for variant in self._partners[(other[language], partner)]:
                    add(variant)
        return tuple(result)

    def words(self) -> set[str]:
        """Every folded single word in the thesaurus (for spelling suggestions)."""
        return {word for pair in self.pairs for term in pair for word in tokenize(term) if word.isalpha()}

    def equivalents(self, phrase: str) -> tuple[str, ...]:
        """The other-language terms for a word or phrase, and same-language variants sharing one."""
        tokens = tokenize(phrase)
        if not tokens:
            return ()
        return self._lookup(phrase, {language: tuple(stem(t, language) for t in tokens) for language in LANGUAGES})

    def find_phrases(self, tokens: Sequence[str]) -> list[tuple[int, int, tuple[str, ...]]]:
        """Longest thesaurus entries in a token sequence, left to right: (start, end, equivalents).

        ``end`` is exclusive; entries without equivalents are skipped.
        """
        normalised = [tuple(tokenize(token)) for token in tokens]
        stems = {
            language: [tuple(stem(part, language) for part in parts) for parts in normalised]
            for language in LANGUAGES
        }
        found: list[tuple[int, int, tuple[str, ...]]] = []
        start = 0
        while start < len(tokens):
            for end in range(min(len(tokens), start + self.max_words), start, -1):
                keys = {
                    language: tuple(part for parts in stems[language][start:end] for part in parts)
                    for language in LANGUAGES
                }
                if not keys["nl"]:
                    continue
                equivalents = self._lookup(" ".join(tokens[start:end]), keys)
                if equivalents:
                    found.append((start, end, equivalents))
                    start = end
                    break
            else:
                start += 1
        return found


def _thesaurus_problem(path: Path, message: str) -> KennisError:
    """The error for a thesaurus file that cannot be used."""
    return KennisError(f"Thesaurus file {path} is not valid: {message}. Fix the file and try again.")


def load_thesaurus(path: Path | None = None) -> Thesaurus:
    """The thesaurus in a tab-separated nl/en file (default: DATA_DIR / "thesaurus.tsv").

    Indexing its terms (stemming some 1,800) takes 15-20 ms, which every `kenniskamer
    search` would pay; the index is kept in the user's cache folder, under a key made of
    the file's bytes and this module's source, and read back in about 3 ms.
    """
    path = Path(path) if path is not None else DATA_DIR / THESAURUS_FILE
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise KennisError(
            f"Thesaurus file {path} does not exist. Check the path or restore data/{THESAURUS_FILE}."
        ) from None
    except (OSError, UnicodeDecodeError) as err:
        raise KennisError(f"Thesaurus file {path} cannot be read: {err}.") from err
    cached = _cache_file(raw)
    found = _read_cached(cached) if cached is not None else None
    if found is not None:
        return found
    thesaurus = Thesaurus(_thesaurus_pairs(path, text))
    if cached is not None:
        _write_cached(cached, thesaurus)
    return thesaurus


def _thesaurus_pairs(path: Path, text: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    header_seen = False
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = line.split("\t")
        if not header_seen:
            if [cell.strip().lower() for cell in cells] != ["nl", "en"]:
                raise _thesaurus_problem(path, f'line {number} should be the header "nl<TAB>en", not {line!r}')
            header_seen = True
            continue
        if len(cells) != 2 or not cells[0].strip() or not cells[1].strip():
            raise _thesaurus_problem(
                path, f"line {number} should be a Dutch term, one tab and an English term, not {line!r}"
            )
        dutch, english = cells[0].strip(), cells[1].strip()
        if not tokenize(dutch) or not tokenize(english):
            raise _thesaurus_problem(path, f"line {number} has a term without any letters: {line!r}")
        pairs.append((dutch, english))
    if not header_seen:
        raise _thesaurus_problem(path, 'it has no header line "nl<TAB>en"')
    return pairs


# --- thesaurus: the cached index -----------------------------------------------------------


def _cache_file(raw: bytes) -> Path | None:
    """Where the index of a thesaurus file with these bytes is kept; None if there is no cache folder."""
    try:
        folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kenniskamer"
        source = Path(__file__).read_bytes()  # a change to the stemming or the index means another key
    except (OSError, RuntimeError):  # RuntimeError: no home folder
        return None
    key = hashlib.sha256(raw + b"\0" + source).hexdigest()[:24]
    return folder / f"{_CACHE_PREFIX}{key}.json"


_CACHE_PREFIX = "thesaurus-"


def _read_cached(path: Path) -> Thesaurus | None:
    """The thesaurus kept in ``path``; None if there is none, or it cannot be read."""
    try:
        return Thesaurus.from_state(json.loads(path.read_bytes()))
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def _write_cached(path: Path, thesaurus: Thesaurus) -> None:
    """Keep the thesaurus in ``path`` (written whole or not at all), and drop older versions; never fails."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        temporary.write_text(json.dumps(thesaurus.state(), ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, path)
        for older in path.parent.glob(f"{_CACHE_PREFIX}*.json"):
            if older != path:
                older.unlink(missing_ok=True)
    except OSError:
        pass
