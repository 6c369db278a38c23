"""The Dutch-English thesaurus: loading data/thesaurus.tsv (with a cached index) and looking terms up in it."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from kenniskamer.config import data_files
from kenniskamer.errors import KennisError
from kenniskamer.startup import cache_file, read_cache, write_cache
from kenniskamer.text import prose
from kenniskamer.text.prose import STEMMED_LANGUAGES as LANGUAGES
from kenniskamer.text.prose import fold, term_stem, term_stems
from kenniskamer.text.prose import words as folded_words

THESAURUS_FILE = "thesaurus.tsv"


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
                key = term_stems(term, language)
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
        return {word for pair in self.pairs for term in pair for word in folded_words(term) if word.isalpha()}

    def equivalents(self, phrase: str) -> tuple[str, ...]:
        """The other-language terms for a word or phrase, and same-language variants sharing one."""
        tokens = folded_words(phrase)
        if not tokens:
            return ()
        return self._lookup(phrase, {language: tuple(term_stem(t, language) for t in tokens) for language in LANGUAGES})

    def find_phrases(self, tokens: Sequence[str]) -> list[tuple[int, int, tuple[str, ...]]]:
        """Longest thesaurus entries in a token sequence, left to right: (start, end, equivalents).

        ``end`` is exclusive; entries without equivalents are skipped.
        """
        normalised = [tuple(folded_words(token)) for token in tokens]
        stems = {
            language: [tuple(term_stem(part, language) for part in parts) for parts in normalised]
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


def _thesaurus_problem(path: Path | Traversable, message: str) -> KennisError:
    """The error for a thesaurus file that cannot be used."""
    return KennisError(f"Thesaurus file {path} is not valid: {message}. Fix the file and try again.")


def load_thesaurus(path: Path | Traversable | None = None) -> Thesaurus:
    """The thesaurus in a tab-separated nl/en file (default: the package's data/thesaurus.tsv).

    Indexing its terms (stemming some 1,800) takes 15-20 ms, which every `kenniskamer
    search` would pay; the index is kept in the user's cache folder, under a key made of
    the file's bytes and this module's source, and read back in about 3 ms.
    """
    path = path if path is not None else data_files() / THESAURUS_FILE
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
    found = read_cache(cached, lambda data: Thesaurus.from_state(json.loads(data)))
    if found is not None:
        return found
    thesaurus = Thesaurus(_thesaurus_pairs(path, text))
    write_cache(cached, json.dumps(thesaurus.state(), ensure_ascii=False).encode())
    return thesaurus


def _thesaurus_pairs(path: Path | Traversable, text: str) -> list[tuple[str, str]]:
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
        if not folded_words(dutch) or not folded_words(english):
            raise _thesaurus_problem(path, f"line {number} has a term without any letters: {line!r}")
        pairs.append((dutch, english))
    if not header_seen:
        raise _thesaurus_problem(path, 'it has no header line "nl<TAB>en"')
    return pairs


def _cache_file(raw: bytes) -> Path | None:
    """Where the index of a thesaurus file with these bytes is kept; None if there is no cache folder."""
    try:
        # a change to the stemming (text/prose.py) or to the index (here) means another key
        source = Path(__file__).read_bytes() + Path(prose.__file__).read_bytes()
    except OSError:
        return None
    return cache_file("thesaurus", raw + b"\0" + source, ".json")
