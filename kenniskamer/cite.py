"""Citations of a catalog document: APA (7th edition), BibTeX and RIS.

The catalog knows authors as written ("Christian S. Czymara", "Mariken A.C.G. van der
Velden", "Czymara, Christian S."), a year or a full date, a publisher (often the journal)
and a document type. That is all a citation can use: there are no volume, issue or page
numbers, so the output is as complete as the catalog and no more.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from kenniskamer.errors import KennisError
from kenniskamer.models import Document

STYLES = ("apa", "bibtex", "ris")

# Name particles that belong to the family name ("van der Velden", "von Daniels").
_PARTICLES = frozenset((
    "van", "von", "der", "den", "de", "del", "della", "di", "da", "das", "dos", "du", "le", "la", "ter",
    "ten", "te", "'t", "in", "op", "vande", "vom", "zu", "zur", "y",
))
_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Name:
    """A person's name split for citing; an organisation has only ``family`` and ``literal``."""

    family: str
    given: tuple[str, ...] = ()  # given names as written: ("Christian", "S.")
    suffix: str = ""
    literal: bool = False  # an organisation: cite as written, never abbreviate

    def initials(self) -> str:
        """APA initials: ``Mariken A.C.G.`` -> ``M. A. C. G.``, ``Jean-Pierre`` -> ``J.-P.``."""
        parts: list[str] = []
        for given in self.given:
            for piece in (p for p in given.split(".") if p):
                hyphenated = [h for h in piece.split("-") if h]
                parts.append("-".join(f"{h[0].upper()}." for h in hyphenated))
        return " ".join(parts)


def format_citation(doc: Document, style: str) -> str:
    """The citation of ``doc`` in ``style``: "apa", "bibtex" or "ris" (plain text, no markup)."""
    key = style.lower().strip()
    if key == "apa":
        return apa(doc)
    if key == "bibtex":
        return bibtex(doc)
    if key == "ris":
        return ris(doc)
    raise KennisError(f"Unknown citation style {style!r}; use one of: {', '.join(STYLES)}.")


# -- names -----------------------------------------------------------------------------------


def parse_name(raw: str) -> Name:
    """Split an author as the catalog holds it into family name, given names and suffix."""
    text = _clean(raw)
    if not text:
        return Name("", literal=True)
    if "," in text:  # "Czymara, Christian S." or "Czymara, C. S., Jr."
        family, _, rest = text.partition(",")
        rest_parts = [p.strip() for p in rest.split(",") if p.strip()]
        suffix = ""
        if len(rest_parts) > 1 and rest_parts[-1].lower() in _SUFFIXES:
            suffix = rest_parts.pop()
        return Name(family.strip(), tuple(" ".join(rest_parts).split()), suffix)
    words = text.split()
    if _looks_like_organisation(text, words):
        return Name(text, literal=True)
    suffix = ""
    if len(words) > 2 and words[-1].lower() in _SUFFIXES:
        suffix = words.pop()
    # The family name starts at the first particle after the first given name, else it is the last word.
    start = len(words) - 1
    for index in range(1, len(words) - 1):
        if words[index].lower() in _PARTICLES:
            start = index
            break
    return Name(" ".join(words[start:]), tuple(words[:start]), suffix)


def _looks_like_organisation(text: str, words: list[str]) -> bool:
    if len(words) == 1:
        return True
    return bool(any(ch.isdigit() for ch in text) or re.search(r"[()@/&]|www\.|\.(com|org|nl|de|net)\b", text))


# -- APA -------------------------------------------------------------------------------------


def apa(doc: Document) -> str:
    """APA 7: ``Czymara, C. S., & Eisentraut, M. (2020). Title. Publisher. URL``."""
    names = [parse_name(a) for a in doc.authors if _clean(a)]
    title = _sentence(_clean(doc.title))
    when = f"({_apa_date(doc)})."
    parts = [f"{_sentence(_apa_authors(names))} {when}", title] if names else [title, when]
    publisher = _clean(doc.publisher or "")
    if publisher and not _same_as_author(publisher, names):
        parts.append(_sentence(publisher))
    url = doc.url
    if url:
        parts.append(url)
    return " ".join(parts)


def _apa_author(name: Name) -> str:
    if name.literal or not name.given:
        return name.family
    text = f"{name.family}, {name.initials()}"
    return f"{text}, {name.suffix}" if name.suffix else text


def _apa_authors(names: list[Name]) -> str:
    cited = [_apa_author(n) for n in names]
    if len(cited) == 1:
        return cited[0]
    if len(cited) <= 20:
        return ", ".join(cited[:-1]) + ", & " + cited[-1]
    # APA 7: the first nineteen, an ellipsis, then the last author.
    return ", ".join(cited[:19]) + ", . . . " + cited[-1]


def _apa_date(doc: Document) -> str:
    date = doc.date or ""
    dated_kinds = ("article", "webpage")  # news and web pages are cited with their day
    if doc.doc_type in dated_kinds and re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        year, month, day = (int(p) for p in date.split("-"))
        if 1 <= month <= 12:
            return f"{year}, {_MONTHS[month - 1]} {day}"
    return str(doc.year) if doc.year else "n.d."


def _same_as_author(publisher: str, names: list[Name]) -> bool:
    # APA leaves out a publisher that is also the (organisational) author.
    return any(n.literal and n.family.casefold() == publisher.casefold() for n in names)


# -- BibTeX ----------------------------------------------------------------------------------

_BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$",
    "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}
_BIBTEX_RE = re.compile("|".join(re.escape(ch) for ch in _BIBTEX_SPECIAL))


def bibtex_escape(text: str) -> str:
    """Escape the characters LaTeX treats specially; other Unicode is kept (biber and BibTeX 0.99+ read UTF-8)."""
    return _BIBTEX_RE.sub(lambda m: _BIBTEX_SPECIAL[m.group(0)], text)


def bibtex_key(doc: Document) -> str:
    """A readable key: first author's family name, year, first word of the title: ``czymara2020propagated``."""
    names = [parse_name(a) for a in doc.authors if _clean(a)]
    if names:
        # "van der Velden" -> "velden"; an organisation by its first word: "Deutsche Welle" -> "deutsche"
        words = names[0].family.split()
        head = _ascii_word(words[0] if names[0].literal else words[-1])
    else:
        head = ""
    title_words = [w for w in (_ascii_word(w) for w in _clean(doc.title).split()) if len(w) > 3]
    if not head and title_words:  # no author: the title's first word leads, as in a reference list
        head = title_words.pop(0)
    word = title_words[0] if title_words else ""
    key = f"{head}{doc.year or ''}{word}" or f"kk{doc.doc_id}"
    return key if key[0].isalpha() else f"kk{key}"


def bibtex(doc: Document) -> str:
    """A BibTeX entry: ``@article{czymara2020propagated, author = {...}, ...}``."""
    kind = _kind(doc)
    entry = {"journal": "article", "report": "techreport"}.get(kind, "misc")
    names = [parse_name(a) for a in doc.authors if _clean(a)]
    fields: list[tuple[str, str]] = []
    if names:
        fields.append(("author", " and ".join(_bibtex_name(n) for n in names)))
    fields.append(("title", bibtex_escape(_clean(doc.title))))
    if doc.year:
        fields.append(("year", str(doc.year)))
    publisher = bibtex_escape(_clean(doc.publisher or ""))
    if publisher:
        fields.append({"journal": ("journal", publisher), "report": ("institution", publisher)}.get(
            kind, ("publisher", publisher)))
    url = doc.url
    if url:
        fields.append(("url", bibtex_escape(url)))
    if doc.language:
        fields.append(("langid", doc.language))
    width = max(len(name) for name, _ in fields)
    body = ",\n".join(f"  {name.ljust(width)} = {{{value}}}" for name, value in fields)
    return f"@{entry}{{{bibtex_key(doc)},\n{body}\n}}"


def _bibtex_name(name: Name) -> str:
    if name.literal or not name.given:
        return "{" + bibtex_escape(name.family) + "}"  # braces: an organisation is not split
    given = bibtex_escape(" ".join(name.given))
    family = bibtex_escape(name.family)
    return f"{family}, {bibtex_escape(name.suffix)}, {given}" if name.suffix else f"{family}, {given}"


# -- RIS -------------------------------------------------------------------------------------

_RIS_TYPES = {"journal": "JOUR", "report": "RPRT", "news": "NEWS", "web": "ELEC", "slides": "SLIDE", "other": "GEN"}


def ris(doc: Document) -> str:
    """A RIS record (TY first, ER last), one ``TAG  - value`` per line."""
    kind = _kind(doc)
    lines = [("TY", _RIS_TYPES[kind])]
    for raw in doc.authors:
        name = parse_name(raw)
        if not name.family:
            continue
        if name.literal or not name.given:
            lines.append(("AU", name.family))
        else:
            lines.append(("AU", f"{name.family}, {' '.join(name.given)}" + (f", {name.suffix}" if name.suffix else "")))
    lines.append(("TI", _clean(doc.title)))
    if doc.year:
        lines.append(("PY", str(doc.year)))
    if doc.date and re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", doc.date):  # PY already holds a bare year
        pieces = doc.date.split("-") + ["", ""]
        lines.append(("DA", f"{pieces[0]}/{pieces[1]}/{pieces[2]}/"))
    publisher = _clean(doc.publisher or "")
    if publisher:
        lines.append(("JO", publisher) if kind == "journal" else ("PB", publisher))
    if doc.language:
        lines.append(("LA", doc.language))
    url = doc.url
    if url:
        lines.append(("UR", url))
    lines.append(("ID", doc.doc_id))
    lines.append(("ER", ""))
    return "\n".join(f"{tag}  - {value}".rstrip() if tag == "ER" else f"{tag}  - {value}" for tag, value in lines)


# -- shared ----------------------------------------------------------------------------------


def _kind(doc: Document) -> str:
    """What sort of publication the document is, for the entry and record types."""
    if doc.doc_type == "study":  # a study with a publisher is (almost always) a journal article
        return "journal" if doc.publisher else "other"
    if doc.doc_type == "report":
        return "report"
    if doc.doc_type == "article":
        return "news" if doc.is_web else "journal"
    if doc.doc_type == "webpage":
        return "web"
    if doc.doc_type == "slides":
        return "slides"
    return "other"




def _clean(text: str) -> str:
    """One line: control characters and runs of white space become single spaces."""
    # Format characters (soft hyphens, zero-width spaces) vanish; other controls split words.
    text = "".join(
        "" if unicodedata.category(ch) == "Cf" else " " if unicodedata.category(ch)[0] == "C" else ch for ch in text
    )
    return _WHITESPACE.sub(" ", text).strip()


def _sentence(text: str) -> str:
    """``text`` ending in a full stop, unless it already ends in one, or in ? or !."""
    text = text.rstrip()
    return text if not text or text[-1] in ".?!" else text + "."


def _ascii_word(word: str) -> str:
    folded = unicodedata.normalize("NFKD", word)
    return "".join(ch for ch in folded if ch.isascii() and ch.isalnum()).lower()
