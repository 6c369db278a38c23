"""The study profile's vocabulary: data/study.toml (format described at its top), loaded and compiled.

A term is matched in folded text (:func:`kenniskamer.text.prose.fold`) word by word: the
words of a text are looked up in a dictionary of the terms' first words, so a sentence is
read once per category whatever the number of terms (one regular expression of every term
took 8 minutes for the topical corpus).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources.abc import Traversable
from pathlib import Path

from kenniskamer.config import data_files, read_data_toml
from kenniskamer.errors import KennisError
from kenniskamer.text.prose import fold

STUDY_FILE = "study.toml"
CATEGORIES = ("kind", "method", "country", "group")
# Stored profiles read with other rules are read again by `reindex`; the rules hash holds
# this version, data/study.toml and profile.py.
RULES_VERSION = 1

MIN_PREFIX = 4  # letters of a label typed as the start of it
_ID_RE = re.compile(r"^(?:[a-z0-9]+(?:-[a-z0-9]+)*|[A-Z]{2}|EU)$")
_WEIGHT_RE = re.compile(r"^(?P<term>.+?)\s*:\s*(?P<weight>[0-9]+(?:\.[0-9]+)?)$")


@dataclass(frozen=True)
class Entry:
    """One value of a category: a kind, method, country or group, its labels and its weighted terms."""

    id: str
    label_nl: str
    label_en: str
    terms: tuple[tuple[str, float], ...]
    european: bool = False  # countries: counts towards "EU" when more than four are studied

    def label(self, language: str | None = None) -> str:
        """The label in the given language ("en"; Dutch otherwise)."""
        return self.label_en if language == "en" else self.label_nl


_WORD = re.compile(r"\w+")
_PREFIX_KEY = 3  # prefix terms are looked up by their first letters


@dataclass(frozen=True)
class _Term:
    words: tuple[str, ...]
    prefix: bool  # the last word may go on ("vluchteling*")
    category: str  # kind, method, country, group, or ignore: a phrase that must not count
    value: str
    weight: float

    def matches(self, tokens: list[re.Match[str]], at: int) -> bool:
        if at + len(self.words) > len(tokens):
            return False
        last = len(self.words) - 1
        for offset, word in enumerate(self.words):
            token = tokens[at + offset][0]
            if not (token.startswith(word) if self.prefix and offset == last else token == word):
                return False
        return True


class Matcher:
    """Finds terms in folded text by their first word: a dictionary look-up per word, whatever the number of terms."""

    def __init__(self, terms: list[tuple[str, str, str, float]]):
        self._exact: dict[str, list[_Term]] = {}
        self._prefixed: dict[str, list[_Term]] = {}
        for term, category, value, weight in terms:
            words = tuple(_WORD.findall(fold(term.rstrip("*"))))
            if not words:
                continue
            found = _Term(words, term.endswith("*"), category, value, weight)
            if found.prefix and len(words) == 1:
                self._prefixed.setdefault(words[0][:_PREFIX_KEY], []).append(found)
            else:
                self._exact.setdefault(words[0], []).append(found)
        for table in (self._exact, self._prefixed):
            for listed in table.values():
                listed.sort(key=lambda t: (-len(t.words), -sum(map(len, t.words))))  # the longest term wins

    def find(self, folded: str) -> list[tuple[str, str, float, int, int]]:
        """(category, value, weight, start, end) of every term in a folded text, left to right, longest first,
        not overlapping; the phrases to ignore are left out (they only keep their words from counting)."""
        tokens = list(_WORD.finditer(folded))
        found = []
        at = 0
        while at < len(tokens):
            word = tokens[at][0]
            best: _Term | None = None
            for term in self._exact.get(word, ()):
                if term.matches(tokens, at):
                    best = term
                    break
            if best is None:
                for term in self._prefixed.get(word[:_PREFIX_KEY], ()):
                    if word.startswith(term.words[0]):
                        best = term
                        break
            if best is None:
                at += 1
                continue
            end = at + len(best.words) - 1
            if best.category != "ignore":
                found.append((best.category, best.value, best.weight, tokens[at].start(), tokens[end].end()))
            at = end + 1
        return found


@dataclass(frozen=True)
class Category:
    """The entries of one category: kinds, methods, countries or groups."""

    name: str
    entries: tuple[Entry, ...]

    def entry(self, id: str) -> Entry:
        """The entry with this id; KeyError otherwise."""
        for entry in self.entries:
            if entry.id == id:
                return entry
        raise KeyError(id)


@dataclass(frozen=True)
class Vocabulary:
    """Every category of data/study.toml, the phrases that must not count, and a hash of both."""

    categories: dict[str, Category]
    matcher: Matcher  # the terms of every category and the phrases to ignore
    rules: str  # RULES_VERSION and a hash of the file: stored profiles read with another are stale

    def __getitem__(self, name: str) -> Category:
        return self.categories[name]

    def resolve(self, name: str, value: str) -> str | None:
        """An entry id from an id or a Dutch or English label, folded (``Vluchtelingen`` -> refugees), or
        the start of one label ("beleid" for "Beleid en advies"); None if unknown or ambiguous."""
        wanted = _loose(value)
        entries = self.categories[name].entries
        for entry in entries:
            if wanted in (_loose(entry.id), _loose(entry.label_nl), _loose(entry.label_en)):
                return entry.id
        starts = {entry.id for entry in entries for label in (entry.label_nl, entry.label_en)
                  if len(wanted) >= MIN_PREFIX and _loose(label).startswith(wanted)}
        return starts.pop() if len(starts) == 1 else None

    def label(self, name: str, id: str, language: str | None = None) -> str:
        """The label of an entry ("en": English, else Dutch); the id itself for an unknown one."""
        try:
            return self.categories[name].entry(id).label(language)
        except KeyError:
            return id


def _loose(text: str) -> str:
    return re.sub(r"[\s\-_+]", "", fold(text))


def _problem(path: Path | Traversable, message: str) -> KennisError:
    return KennisError(f"Study vocabulary {path} is not valid: {message}. Fix the file and try again.")


def _terms(path: Path | Traversable, where: str, raw: object) -> tuple[tuple[str, float], ...]:
    if not isinstance(raw, list) or not raw:
        raise _problem(path, f"{where} needs a non-empty list terms")
    terms = []
    for item in raw:
        if not isinstance(item, str) or not fold(item).strip(" *"):
            raise _problem(path, f"{where} has a term that is not a text: {item!r}")
        match = _WEIGHT_RE.match(item.strip())
        term, weight = (match["term"], float(match["weight"])) if match else (item.strip(), 1.0)
        if weight <= 0:
            raise _problem(path, f"{where} gives {term!r} weight {weight}; use a weight above 0")
        terms.append((term, weight))
    return tuple(terms)


def _category(path: Path | Traversable, name: str, tables: object) -> tuple[Category, list[tuple[str, str, str, float]]]:
    if not isinstance(tables, list) or not tables:
        raise _problem(path, f"it has no [[{name}]] tables")
    entries: list[Entry] = []
    terms_found: list[tuple[str, str, str, float]] = []
    key = "code" if name == "country" else "id"
    for number, table in enumerate(tables, start=1):
        if not isinstance(table, dict):
            raise _problem(path, f"{name} number {number} is not a table")
        entry_id = table.get(key)
        if not isinstance(entry_id, str) or not _ID_RE.fullmatch(entry_id) and entry_id != "multi":
            raise _problem(path, f"{name} number {number} needs a {key} (lower-case words with hyphens, or a country code), not {entry_id!r}")
        if any(entry.id == entry_id for entry in entries):
            raise _problem(path, f"{name} {entry_id!r} is listed twice")
        labels = [table.get(label) for label in ("label_nl", "label_en")]
        if not all(isinstance(label, str) and label.strip() for label in labels):
            raise _problem(path, f"{name} {entry_id!r} needs the texts label_nl and label_en")
        unknown = sorted(set(table) - {key, "label_nl", "label_en", "terms", "european"})
        if unknown:
            raise _problem(path, f"{name} {entry_id!r} has unknown keys {', '.join(unknown)}")
        terms = _terms(path, f"{name} {entry_id!r}", table.get("terms"))
        entry = Entry(entry_id, str(labels[0]).strip(), str(labels[1]).strip(), terms, bool(table.get("european", False)))
        entries.append(entry)
        terms_found.extend((term, name, entry_id, weight) for term, weight in terms)
    return Category(name, tuple(entries)), terms_found


def load_vocabulary(path: Path | Traversable | None = None) -> Vocabulary:
    """The vocabulary in a study.toml file (default: the package's data/study.toml)."""
    path = path if path is not None else data_files() / STUDY_FILE
    raw, data = read_data_toml(path, "Study vocabulary", STUDY_FILE)
    unknown = sorted(set(data) - {*CATEGORIES, "ignore"})
    if unknown:
        raise _problem(path, f"it has unknown tables {', '.join(unknown)}")
    categories: dict[str, Category] = {}
    terms: list[tuple[str, str, str, float]] = []
    for name in CATEGORIES:
        categories[name], found = _category(path, name, data.get(name))
        terms += found
    ignored = (data.get("ignore") or {}).get("terms", [])
    if not isinstance(ignored, list) or not all(isinstance(term, str) and term.strip() for term in ignored):
        raise _problem(path, "[ignore] terms must be a list of texts")
    terms += [(term, "ignore", "", 1.0) for term in ignored]
    # The rules are the vocabulary and the code that reads with it: a change to either makes
    # `reindex` read the stored profiles again (seconds per thousand pages).
    reader = Path(__file__).with_name("profile.py").read_bytes()
    rules = f"{RULES_VERSION}-{hashlib.sha256(raw + reader).hexdigest()[:12]}"
    return Vocabulary(categories, Matcher(terms), rules)


@lru_cache(maxsize=1)
def default_vocabulary() -> Vocabulary:
    """The package's vocabulary, loaded once per process."""
    return load_vocabulary()
