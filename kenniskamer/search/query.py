"""The query language: words, "phrases", AND/OR/NOT (EN/OF/NIET), ( ), -word, and fields.

Fields have Dutch and English names: ``titel:``/``title:``, ``auteur:``/``author:``,
``jaar:2019..2022``/``year:``, ``thema:``/``theme:``, ``taal:``/``lang:``, ``type:``/``vorm:``,
``uitgever:``/``publisher:``, and the study profile's ``soort:``/``kind:``,
``methode:``/``method:``, ``land:``/``country:`` and ``doelgroep:``/``group:``. Parsing gives a small tree of plain values; ``search.py``
turns it into index queries. Whoosh is not involved here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kenniskamer.errors import QueryError
from kenniskamer.models import DOC_TYPES, LANGUAGES
from kenniskamer.text.prose import fold

FIELD_NAMES = {
    "titel": "title",
    "title": "title",
    "auteur": "author",
    "author": "author",
    "jaar": "year",
    "year": "year",
    "thema": "theme",
    "theme": "theme",
    "taal": "language",
    "lang": "language",
    "language": "language",
    "type": "type",
    "vorm": "type",
    "uitgever": "publisher",
    "publisher": "publisher",
    # The study profile (kenniskamer.study).
    "soort": "kind",
    "kind": "kind",
    "methode": "method",
    "method": "method",
    "land": "country",
    "country": "country",
    "doelgroep": "group",
    "group": "group",
}
TEXT_FIELDS = ("title", "author")  # fields whose values are searched as text
VALUE_FIELDS = ("theme", "language", "type", "publisher", "kind", "method", "country", "group")
OPERATORS = {"AND": "AND", "EN": "AND", "OR": "OR", "OF": "OR", "NOT": "NOT", "NIET": "NOT"}
MIN_YEAR, MAX_YEAR = 1000, 2999

ValueResolver = Callable[[str, str], str]
PhraseFinder = Callable[[Sequence[str]], list[tuple[int, int, tuple[str, ...]]]]


@dataclass(frozen=True)
class Words:
    """One word, or a run of words that the thesaurus knows as one term ("public support")."""

    text: str
    field: str | None = None  # None: every text field; "title" or "author"


@dataclass(frozen=True)
class Phrase:
    """Words that must appear next to each other, in this order."""

    text: str
    field: str | None = None


@dataclass(frozen=True)
class YearRange:
    """Publication years from ``low`` to ``high``, inclusive (None: open)."""

    low: int | None
    high: int | None


@dataclass(frozen=True)
class Value:
    """A facet value: a theme id, language code, document type or publisher."""

    field: str
    value: str


@dataclass(frozen=True)
class And:
    """Every part must match (anywhere in the document).

    ``loose`` marks words that were simply typed one after the other (no AND): for
    three or more of them, a document may miss one (see ``search.required_parts``),
    so that a Dutch query word without an English counterpart does not hide every
    English study.
    """

    parts: tuple[Node, ...]
    loose: bool = False


@dataclass(frozen=True)
class Or:
    """At least one part must match."""

    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    """The part must not match."""

    part: Node


Node = Words | Phrase | YearRange | Value | And | Or | Not


class UnbalancedError(QueryError):
    """A quote or bracket without its partner: people type these by accident, so :func:`read_query` repairs them."""

_TOKEN = re.compile(
    r'''(?P<quote>"[^"]*"?)|(?P<open>\()|(?P<close>\))|(?P<field>[^\W\d_]+):(?=\S)|(?P<word>[^\s()"]+)'''
)


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "word"
        value = match.group()
        if kind == "quote":
            if len(value) < 2 or not value.endswith('"'):
                raise UnbalancedError('A quote is not closed: put a " after the phrase.')
            value = value[1:-1]
        elif kind == "field":
            name = FIELD_NAMES.get(value[:-1].lower())
            if name is None:  # "note:" or "COVID:" is text, not a field
                kind, value = "word", value[:-1]
            else:
                value = name
        elif kind == "word" and value in OPERATORS:
            kind, value = "op", OPERATORS[value]
        tokens.append((kind, value))
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], resolve: ValueResolver):
        self.tokens = tokens
        self.position = 0
        self.resolve = resolve

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def parse(self) -> Node | None:
        node = self.or_expr()
        if self.peek() is not None:
            raise UnbalancedError("A closing bracket ) has no opening bracket (; remove it or add one.")
        return node

    def or_expr(self) -> Node | None:
        parts = [self.and_expr()]
        while self.peek() == ("op", "OR"):
            self.take()
            if self.peek() is None or self.peek() in (("close", ")"), ("op", "OR")):
                raise QueryError("OR needs a word on both sides, e.g. `migratie OR immigratie`.")
            parts.append(self.and_expr())
        present = tuple(part for part in parts if part is not None)
        if len(present) <= 1:
            return present[0] if present else None
        return Or(present)

    def and_expr(self) -> Node | None:
        parts: list[Node] = []
        explicit = False
        while True:
            token = self.peek()
            if token is None or token[0] == "close" or token == ("op", "OR"):
                break
            if token == ("op", "AND"):
                self.take()
                following = self.peek()
                if not parts or following is None or following[0] == "close" or following == ("op", "OR"):
                    raise QueryError("AND needs a word on both sides, e.g. `framing AND migratie`.")
                explicit = True
                continue
            node = self.unary()
            if node is not None:
                parts.append(node)
        if len(parts) <= 1:
            return parts[0] if parts else None
        return And(tuple(parts), loose=not explicit)

    def unary(self) -> Node | None:
        token = self.peek()
        if token == ("op", "NOT") or (token and token[0] == "word" and token[1].startswith("-") and len(token[1]) > 1):
            if token == ("op", "NOT"):
                self.take()
                if self.peek() is None or self.peek()[0] in ("close", "op"):  # type: ignore[index]
                    raise QueryError("NOT needs a word after it, e.g. `migratie NOT arbeid`.")
            else:
                self.tokens[self.position] = ("word", token[1][1:])
            part = self.atom()
            return Not(part) if part is not None else None
        return self.atom()

    def atom(self) -> Node | None:
        kind, value = self.take()
        if kind == "open":
            node = self.or_expr()
            if self.peek() != ("close", ")"):
                raise UnbalancedError("A bracket ( is not closed; add a ) or remove it.")
            self.take()
            return node
        if kind == "close":
            raise UnbalancedError("A closing bracket ) has no opening bracket (; remove it or add one.")
        if kind == "op":
            raise QueryError(f"{value} cannot stand here; put it between two words, e.g. `a {value} b`.")
        if kind == "quote":
            return Phrase(value) if value.strip() else None
        if kind == "field":
            return self.field_value(value)
        return Words(value)

    def field_value(self, field: str) -> Node | None:
        token = self.peek()
        if token is None or token[0] in ("close", "op", "open"):
            raise QueryError(f"{field}: needs a value right after the colon, e.g. `jaar:2020` or `titel:framing`.")
        kind, value = self.take()
        if field in TEXT_FIELDS:
            return Phrase(value, field) if kind == "quote" else Words(value, field)
        if field == "year":
            return parse_years(value)
        return Value(field, self.resolve(field, value))





def parse_years(value: str) -> YearRange:
    """``2019``, ``2019..2022``, ``2019-2022``, ``..2020`` or ``2019..`` as a YearRange."""
    match = re.fullmatch(r"(\d{4})?\s*(?:(\.\.|-|–)\s*(\d{4})?)?", value.strip())
    if not match or not (match.group(1) or match.group(3)):
        raise QueryError(f"jaar:{value} is not a year; write jaar:2020 or jaar:2019..2022.")
    low = int(match.group(1)) if match.group(1) else None
    high = int(match.group(3)) if match.group(3) else None
    if match.group(2) is None:
        high = low
    for year in (low, high):
        if year is not None and not MIN_YEAR <= year <= MAX_YEAR:
            raise QueryError(f"jaar:{value} is outside the years documents can have.")
    if low is not None and high is not None and low > high:
        raise QueryError(f"jaar:{value} runs backwards; write the earlier year first, e.g. jaar:2019..2022.")
    return YearRange(low, high)


def resolve_language(value: str) -> str:
    """A language code from a code or a Dutch or English name (``Engels``, ``english``, ``en``)."""
    folded = fold(value)
    for code, (dutch, english) in LANGUAGES.items():
        if folded in (code, fold(dutch), fold(english)):
            return code
    names = ", ".join(LANGUAGES)
    raise QueryError(f"taal:{value} is not a language of the library; use one of {names}.")


def resolve_type(value: str) -> str:
    """A document type id from an id or a Dutch or English label."""
    folded = fold(value).replace(" ", "")
    for type_id, (dutch, english) in DOC_TYPES.items():
        if folded in (type_id, fold(dutch).replace(" ", ""), fold(english).replace(" ", "")):
            return type_id
    raise QueryError(f"type:{value} is not a document type; use one of {', '.join(DOC_TYPES)}.")


# The study profile's facets, each with the field name a Dutch user types, for error messages.
STUDY_FACETS = {"kind": "soort", "method": "methode", "country": "land", "group": "doelgroep"}


def resolve_study(field: str, value: str, *, typed: str | None = None) -> str:
    """A study profile value from its id or a Dutch or English label (``land:Nederland`` -> NL).

    ``typed`` is how the value was given, for the error (default: the Dutch query field, ``land:...``).
    """
    from kenniskamer.study import default_vocabulary  # loaded when a study field is first used

    vocabulary = default_vocabulary()
    found = vocabulary.resolve(field, value)
    if found is None:
        ids = ", ".join(entry.id for entry in vocabulary[field].entries)
        raise QueryError(f"{typed or f'{STUDY_FACETS[field]}:{value}'} is not known; use one of {ids}.")
    return found


def parse_query(text: str, resolve: ValueResolver, *, max_length: int = 500) -> Node | None:
    """Parse a query; None for an empty one. ``resolve(field, value)`` checks facet values."""
    if len(text) > max_length:
        raise QueryError(f"The query is {len(text)} characters long; the limit is {max_length}. Shorten it.")
    return _Parser(_tokens(text), resolve).parse()


def read_query(text: str, resolve: ValueResolver, *, max_length: int = 500) -> tuple[Node | None, str | None]:
    """Parse a query as a search site would: an unbalanced quote or bracket is dropped, not an error.

    Returns the tree and, when something was dropped, the query as it was read (for a notice);
    queries that mean something impossible (a year range backwards, an unknown theme) still raise.
    """
    try:
        return parse_query(text, resolve, max_length=max_length), None
    except UnbalancedError:
        repaired = balance(text)
        return parse_query(repaired, resolve, max_length=max_length), repaired


def balance(text: str) -> str:
    """The query without its unpaired quote (the last of an odd number) and its unpaired brackets."""
    if text.count('"') % 2:
        at = text.rfind('"')
        text = text[:at] + text[at + 1 :]
    drop: list[int] = []
    opened: list[int] = []
    quoted = False
    for at, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif char == "(":
            opened.append(at)
        elif char == ")":
            if opened:
                opened.pop()
            else:
                drop.append(at)
    dropped = set(drop + opened)
    return " ".join("".join(c for at, c in enumerate(text) if at not in dropped).split())


def leaves(node: Node | None, *, negated: bool = False) -> list[tuple[Node, bool]]:
    """Every leaf of a tree with whether it sits under a NOT."""
    if node is None:
        return []
    if isinstance(node, (And, Or)):
        return [leaf for part in node.parts for leaf in leaves(part, negated=negated)]
    if isinstance(node, Not):
        return leaves(node.part, negated=not negated)
    return [(node, negated)]


def merge_phrases(node: Node | None, find_phrases: PhraseFinder) -> Node | None:
    """Join runs of plain words that the thesaurus knows as one term into one Words leaf."""
    if isinstance(node, Or):
        return Or(tuple(p for p in (merge_phrases(part, find_phrases) for part in node.parts) if p is not None))
    if isinstance(node, Not):
        inner = merge_phrases(node.part, find_phrases)
        return Not(inner) if inner is not None else None
    if not isinstance(node, And):
        return node
    parts: list[Node] = []
    run: list[Words] = []

    def flush() -> None:
        if len(run) > 1:
            spans = {start: end for start, end, _ in find_phrases([w.text for w in run])}
            index = 0
            while index < len(run):
                end = spans.get(index)
                if end is not None and end - index > 1:
                    parts.append(Words(" ".join(w.text for w in run[index:end])))
                    index = end
                else:
                    parts.append(run[index])
                    index += 1
        else:
            parts.extend(run)
        run.clear()

    for part in node.parts:
        if isinstance(part, Words) and part.field is None:
            run.append(part)
            continue
        flush()
        merged = merge_phrases(part, find_phrases)
        if merged is not None:
            parts.append(merged)
    flush()
    return And(tuple(parts), loose=node.loose) if len(parts) > 1 else (parts[0] if parts else None)


def to_text(node: Node | None) -> str:
    """The query text of a tree (used to show a corrected query)."""
    if node is None:
        return ""
    if isinstance(node, Words):
        return f"{node.field}:{node.text}" if node.field else node.text
    if isinstance(node, Phrase):
        return f'{node.field + ":" if node.field else ""}"{node.text}"'
    if isinstance(node, YearRange):
        low = node.low or ""
        return f"jaar:{low}" if node.low == node.high else f"jaar:{low}..{node.high or ''}"
    if isinstance(node, Value):
        return f"{node.field}:{node.value}"
    if isinstance(node, Not):
        return f"NOT {to_text(node.part)}"
    joiner = " OR " if isinstance(node, Or) else " "
    inner = joiner.join(to_text(part) for part in node.parts)
    return f"({inner})" if isinstance(node, Or) and len(node.parts) > 1 else inner
