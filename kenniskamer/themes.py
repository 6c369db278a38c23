"""Themes: loading data/themes.toml (format described at its top) and matching text against it.

Matching folds, tokenises and stems with :mod:`kenniskamer.text.prose` (``term_stem``, per
language: Dutch or English), so ``Vluchtelingen`` meets ``vluchteling`` and ``refugees``
meets ``refugee``.

Theme scores: every hit of a term adds its weight; hits in the title and summary count
extra, hits in the body are damped per term and divided by a power of the text's length.
The constants below were tuned by hand on the 65 documents of the shared topical corpus.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources.abc import Traversable
from itertools import compress
from pathlib import Path

from kenniskamer.config import data_files, read_data_toml
from kenniskamer.errors import KennisError
from kenniskamer.models import ThemeMatch
from kenniskamer.text.prose import FUNCTION_WORDS, SHORT_WORD, STEMMED_LANGUAGES, fold, term_stem, term_stems
from kenniskamer.text.prose import words as folded_words

THEMES_FILE = "themes.toml"

LANGUAGES = STEMMED_LANGUAGES

# Scoring. A term hit counts its weight; hits in the title and summary count extra because
# they say what a document is about, not what it mentions on the way.
TITLE_WEIGHT = 6.0
SUMMARY_WEIGHT = 2.0
# Body hits are divided by (words / 1000) ** LENGTH_EXPONENT: between raw counts (long texts
# win) and density (a 300-page manifesto with one migration chapter is drowned by its other
# chapters). Tuned on the 65 topical test documents.
LENGTH_EXPONENT = 0.4
MIN_WORDS = 1000  # shorter texts are scored as if they had this many words
# A subject a long report treats throughout is not drowned by its length: the length
# damping shrinks with the share of 1,000-word stretches that hold a specific term of the theme
# (all of them: 1 - SPREAD_WEIGHT of the exponent is left). Reports under MIN_CHUNKS
# stretches are damped as before.
SPREAD_WEIGHT = 0.5
CHUNK_WORDS = 1000
MIN_CHUNKS = 3
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
_WEIGHT_RE = re.compile(r"^(?P<term>.+?)\s*:\s*(?P<weight>[0-9]+(?:\.[0-9]+)?)$")
_MIN_PREFIX = 4  # a prefix term ("asiel*") needs at least this many characters


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


# --- themes: loading -----------------------------------------------------------------------


def _problem(path: Path | Traversable, message: str) -> KennisError:
    """The error for a theme file that cannot be used."""
    return KennisError(f"Theme file {path} is not valid: {message}. Fix the file and try again.")


def _parse_terms(path: Path | Traversable, theme_id: str, key: str, raw: object) -> tuple[tuple[str, ...], tuple[float, ...]]:
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
            if " " in stem_part or len(fold(stem_part)) < _MIN_PREFIX or not folded_words(stem_part):
                raise _problem(
                    path,
                    f"theme {theme_id!r} has prefix term {term!r}; a prefix is one word of"
                    f" at least {_MIN_PREFIX} letters",
                )
        elif not folded_words(term):
            raise _problem(path, f"theme {theme_id!r} has term {term!r} without any letters")
        if term in terms:
            raise _problem(path, f"theme {theme_id!r} lists {term!r} twice in {key}")
        terms.append(term)
        weights.append(weight)
    return tuple(terms), tuple(weights)


def load_themes(path: Path | Traversable | None = None) -> tuple[Theme, ...]:
    """The themes in a themes.toml file (default: the package's data/themes.toml)."""
    path = path if path is not None else data_files() / THEMES_FILE
    _raw, data = read_data_toml(path, "Theme file", THEMES_FILE)
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


def theme_ids(ids: Iterable[str]) -> list[str]:
    """The given theme ids, checked against data/themes.toml (KennisError naming the valid ones)."""
    wanted = list(ids)
    if not wanted:  # most calls: no theme given, no file to read
        return []
    known = load_themes()
    return [theme_by_id(known, id).id for id in wanted]


# --- themes: matching ----------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Rule:
    """One compiled term: which theme, how it is written, its weight."""

    theme_index: int
    term: str
    weight: float


@dataclass(frozen=True)
class _Scan:
    """A text tokenised once: its folded words in order, and each distinct word's count."""

    tokens: list[str]
    counts: dict[str, int]


def _scan(text: str) -> _Scan:
    """Fold and tokenise a text once."""
    tokens = folded_words(text)
    return _Scan(tokens=tokens, counts=Counter(tokens))


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
        if len(token) <= SHORT_WORD or token in self.exact:
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
            stems = term_stems(term, language)
            if stems in taken:  # "polarized" after "polarization": counted once, first spelling
                continue
            taken.add(stems)
            for token, token_stem in zip(folded_words(term), stems):
                if token == token_stem and (len(token) <= SHORT_WORD or token in FUNCTION_WORDS[language]):
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
        if len(item) <= SHORT_WORD:
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
    stems: dict[str, str] = {}  # word -> stem, for words worth stemming
    language, wants, words, prefixes = matcher.language, matcher.wants, matcher.words, matcher.prefixes
    for token, count in scan.counts.items():
        if wants(token):
            token_stem = term_stem(token, language)
            stems[token] = token_stem
            for rule in words.get(token_stem, ()):
                hits[rule] = hits.get(rule, 0) + count
        for prefix, rule in prefixes.get(token[:_MIN_PREFIX], ()):
            if token.startswith(prefix):
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


def _spread(matchers: dict[str, _LanguageMatcher], tokens: list[str], language: str | None, count: int) -> list[float]:
    """Per theme, the share of the text's stretches of CHUNK_WORDS words that hold one of its specific terms."""
    chunks = [tokens[start : start + CHUNK_WORDS] for start in range(0, len(tokens), CHUNK_WORDS)]
    spread = [0.0] * count
    if len(chunks) < MIN_CHUNKS:
        return spread
    for chunk in chunks:
        scan = _Scan(tokens=chunk, counts=Counter(chunk))
        found = {rule.theme_index for term_language in _languages(language)
                 for rule in _count_hits(matchers[term_language], scan) if rule.weight >= STRONG_WEIGHT}
        for index in found:
            spread[index] += 1 / len(chunks)
    return spread


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
    spread = _spread(matchers, parts["text"].tokens, language, len(themes))
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
                    # and divided by the length less a subject that runs through the whole text
                    damping = length_factor ** (1 - SPREAD_WEIGHT * spread[index])
                    scores[index] += rule.weight * count**TERM_EXPONENT / damping
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
