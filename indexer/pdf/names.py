"""People's names in printed bylines, citation lines and metadata author strings."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from indexer.pdf.clean import clean_text, count_letters

# A name word: capitalised letters ("Czymara", "López-Ortega", "O’Brien"); initials ("S.",
# "A.C.G.", "J.-P.", "C"); and lower-case particles inside a name ("van der Velden").
_NAME_WORD = re.compile(r"[^\W\d_][^\W\d_]*(?:['’-][^\W\d_]+)*")
_INITIALS = re.compile(r"(?:[A-Z]\.-?){1,4}|[A-Z]{1,2}")
_PARTICLES = {
    "van", "der", "den", "de", "del", "della", "des", "di", "da", "dos", "du", "la", "le",
    "ten", "ter", "te", "'t", "von", "vom", "zu", "zur", "af", "av", "bin", "al", "el",
}  # fmt: skip
_NAME_JOINERS = {"and", "und", "en", "et", "&"}


# Footnote marks and affiliation numbers after a name: "Czymara1,2*", "Bansak,1,2*", "Kraft†".
NAME_MARKS = re.compile(r"[\d*∗⁎†‡§¶#]+")


_NAME_SEPARATORS = re.compile(r"\s*(?:[,;|·•&]|(?<!\S)(?:and|und|en|et)(?!\S))\s*", re.IGNORECASE)
_NAME_NOISE = re.compile(
    r"\S+@\S+|https?://\S+|(?i:\borcid\b(?:\s*id)?:?)|\b\d{4}-\d{4}-\d{4}-\d{3}[\dX]\b|\(\s*[A-Za-z]?\s*\)"
    r"|[\ue000-\uf8ff\r\n\t()\[\]]"
)
# Words that are never part of a person's name, though printed with a capital.
_NOT_NAME_WORDS = set(
    """
    abstract access accepted appendix article articles association author authors brief center centre chapter
    citation college commons contents copyright correspondence creative data department discussion draft edited
    edition editor editors faculteit faculty figure foundation group gmbh inc institut institute instituut
    introduction issue journal keywords lab laboratory letter letters licence license ltd manuscript material
    media ministry news note notes open original paper partij politics political press print program programma
    programme project published received report research review reviewed reviews school science sciences section
    series social society special specialty studies study summary supplementary table universidad universiteit
    university universität université verkiezingsprogramma version volume working
    the of for in on to with from our your we het een voor onze naar met die das les des
    germany deutschland netherlands nederland belgium france israel switzerland kingdom states america europe
    european national public opinion policy evidence attitudes immigration immigrants migrants refugees asylum
    integration election elections voting voters democracy democratic populism populist polarization
    polarisation parties parliament government crisis analysis effects effect experiment survey theory approach
    perspective comparison comparative impact trust identity culture cultural economic threat framing discourse
    coverage methods results conclusion conference proceedings workshop thesis dissertation
    beleid onderzoek rapport verkiezingen migratie integratie samenleving forschung bericht studie gesellschaft
    politik
    """.split()  # noqa: SIM905 - a word list reads better as text
)


AFFILIATION_WORD = re.compile(
    r"\b(?:Univ\w*|Institut\w*|College|School|Department|Dept\.|Centre|Center|Faculty|Faculteit|Hochschule"
    r"|Laborator\w*|Academy|Akademie|GESIS|Ministry|Foundation)\b"
)


_BYLINE_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")


# A word of two letters or more that starts in lower case and is no particle: not a byline.
_LOWER_WORD = re.compile(
    r"(?<![\w'’-])(?!(?:" + "|".join(sorted(map(re.escape, _PARTICLES | _NAME_JOINERS))) + r")(?![\w'’-]))"
    r"[a-zß-öø-ÿ][\w'’-]"
)


def could_be_names(text: str) -> bool:
    """A cheap first look: a short line without lower-case words other than particles."""
    return len(text) <= 200 and not _LOWER_WORD.search(text) and any(ch.isupper() for ch in text)


def _decapitalise(piece: str) -> str:
    """ "LISA JANSSEN" -> "Lisa Janssen", "VAN DER MEER" -> "van der Meer"; mixed case stays."""
    if any(ch.islower() for ch in piece):
        return piece
    words = []
    for index, word in enumerate(piece.split()):
        if _INITIALS.fullmatch(word) and (len(word) == 1 or "." in word):
            words.append(word)
        elif index and word.lower() in _PARTICLES:
            words.append(word.lower())
        else:
            words.append(re.sub(r"[^\W\d_]+", lambda m: m.group(0).capitalize(), word))
    return " ".join(words)


def _as_name(piece: str) -> str | None:
    """The piece if it reads as one person's name: 2-5 capitalised words and initials,
    particles inside; None for anything else."""
    words = _decapitalise(piece).split()
    if not 2 <= len(words) <= 7 or words[0].lower() in _PARTICLES:
        return None
    core = 0
    for index, word in enumerate(words):
        last = index == len(words) - 1
        if word in _PARTICLES and not last:
            continue
        if _INITIALS.fullmatch(word) and not last:
            core += 1
            continue
        if (
            not word[0].isupper()
            or not _NAME_WORD.fullmatch(word)
            or not any(ch.islower() for ch in word)
            or word.lower() in _NOT_NAME_WORDS
        ):
            return None
        core += 1
    return " ".join(words) if 2 <= core <= 5 else None


def name_pieces(text: str, *, allow_tail: bool = False) -> list[str] | None:
    """The names in an author line, or None unless every part of it is a name.

    With allow_tail, an unfinished name at the end ("..., Alexandra" or "Denise J.", its
    rest on the next line) is allowed and left out.
    """
    text = _NAME_NOISE.sub(" ", clean_text(text))
    if _BYLINE_YEAR.search(text):
        return None  # "November 29, 2023": marks are small numbers, never years
    text = NAME_MARKS.sub(",", re.sub(r"(?i)^\s*(?:by|door)\s+", "", text))
    names: list[str] = []
    pieces = [piece.strip(" .-–") for piece in _NAME_SEPARATORS.split(f" {text} ")]
    pieces = [re.sub(r"(?<=[^\W\d_]{2})\.$", "", piece) for piece in pieces if piece]
    for index, piece in enumerate(pieces):
        name = _as_name(piece)
        if name is None:
            unfinished = len(piece.split()) == 1 or _INITIALS.fullmatch(piece.split()[-1])
            if allow_tail and index == len(pieces) - 1 and unfinished and _as_name(f"{piece} Xx") is not None:
                break
            return None
        names.append(name)
    return unique(names) if names else None


def parse_name_line(text: str) -> list[str]:
    """The authors in a printed byline ("LISA JANSSEN1 & EMMA TURKENBURG2"); [] if it is no byline."""
    name_part, _ = split_affiliation(text)
    return (name_pieces(name_part) or []) if name_part else []


def split_affiliation(text: str) -> tuple[str | None, bool]:
    """The names in a line that may end in an affiliation, and whether it has one.

    "Christian S. Czymara, Goethe University Frankfurt", "JENS HAINMUELLER Massachusetts
    Institute of Technology", "Jens Hainmueller Stanford University"; None if the line is
    only an affiliation or cannot be split safely.
    """
    match = AFFILIATION_WORD.search(text)
    if not match:
        return text, False
    before = text[: match.start()]
    cut = max(before.rfind(","), before.rfind(";"))
    if cut > 0 and name_pieces(before[:cut]):
        return before[:cut], True
    words = before.split()
    caps = 0
    while caps < len(words) and words[caps].isupper():
        caps += 1
    if caps >= 2 and (caps < len(words) or not match.group(0).isupper()):
        return " ".join(words[:caps]), True
    if match.group(0) in ("University", "College") and not text[match.end() :].strip() and len(words) >= 3:
        return " ".join(words[:-1]), True  # "Daniel J. Hopkins Georgetown University"
    return None, True


def join_name_lines(texts: Sequence[str]) -> str:
    """Byline lines as one: a name broken over two lines is joined, whole names are kept apart."""
    joined = ""
    for text in texts:
        text = text.strip()
        if not joined:
            joined = text
            continue
        pieces = _NAME_SEPARATORS.split(f" {NAME_MARKS.sub(',', joined)} ")
        tail = pieces[-1].strip(" .") if pieces else ""
        continues = (
            not tail
            or _NAME_SEPARATORS.match(f" {text}")
            or len(tail.split()) == 1
            or _INITIALS.fullmatch(tail.split()[-1])
        )
        joined = f"{joined} {text}" if continues else f"{joined}, {text}"
    return joined


_TO_CITE = re.compile(
    r"(?is)\b(?:to\s+cite\s+this\s+article|cite\s+this\s+article(?:\s+as)?|how\s+to\s+cite(?:\s+this\s+article)?)"
    r"\s*:\s*(?P<names>.{3,400}?)\s*\(\s*(?:19|20)\d\d[a-z]?\s*\)"
)
_CITATION_LABEL = re.compile(r"(?s)\bCitation:\s*(?P<names>[^()]{3,300}?)\s*\((?:19|20)\d\d\)")
_AUTHORS_LABEL = re.compile(
    r"(?im)^(?:authors?|auteurs?|autor(?:en|innen)?)\s*:\s*"
    r"(?P<names>[^\n]+(?:,\s*\n[^\n]+|\n(?:and|en|und|&)\s[^\n]+)*)"  # on, after a comma or "and"
)
_COPYRIGHT_BY = re.compile(r"(?is)©\s*(?:19|20)\d\d\s+by\s+(?P<names>.{3,300}?)\.\s*All\s+rights\s+reserved")
# "Czymara CS and Eisentraut M", "van der Veen AM": surname, then initials without dots.
_VANCOUVER_NAME = re.compile(
    r"(?P<surname>(?:[a-z]+\s+)*[^\W\d_a-z][\w'’-]+(?:\s+[^\W\d_a-z][\w'’-]+)?)\s+(?P<initials>[A-Z]{1,3})\b"
)
# "Czymara, C. S., Gorodzeisky, A. & Leykin, I.": surname, comma, initials with dots.
_REFERENCE_NAME = re.compile(r"(?P<surname>(?:[a-z]+\s+)*[^\W\d_a-z][\w'’-]+),\s*(?P<initials>(?:[A-Z]\.\s?-?)+)")


def _cited_names(text: str) -> list[str] | None:
    """Names at the start of a suggested citation, in any of the three common forms."""
    text = " ".join(text.split()).strip(" ,.")
    return (
        name_pieces(text)
        or _initialled_names(text, _REFERENCE_NAME, whole=False)
        or _initialled_names(text, _VANCOUVER_NAME, whole=True)
    )


_NAME_LIST_GAP = re.compile(r"\s*(?:,|&|\band\b)\s*")


def _initialled_names(text: str, pattern: re.Pattern[str], *, whole: bool) -> list[str] | None:
    """Names written surname first ("Czymara, C. S." or "Czymara CS") as "C. S. Czymara".

    The list must open the text; with whole, it must be all of it (a Vancouver list is
    too easily confused with other words to stop anywhere).
    """
    names: list[str] = []
    position = 0
    while match := pattern.match(text, position):
        initials = re.sub(r"[\s.-]", "", match.group("initials"))
        names.append(" ".join([*(f"{letter}." for letter in initials), match.group("surname")]))
        position = match.end()
        gap = _NAME_LIST_GAP.match(text, position)
        if not gap or gap.end() == position:
            break
        position = gap.end()
    if not names or (whole and text[position:].strip(" ,.")) or not all(_as_name(name) for name in names):
        return None
    return names


def find_cited_authors(text: str) -> list[str]:
    """Authors from "To cite this article:", "Citation:", "Authors:" or "© 2024 by" lines."""
    for pattern in (_TO_CITE, _CITATION_LABEL):
        match = pattern.search(text)
        if match:
            names = _cited_names(match.group("names"))
            if names:
                return names
    for pattern in (_AUTHORS_LABEL, _COPYRIGHT_BY):
        match = pattern.search(text)
        if match:
            names = name_pieces(" ".join(match.group("names").split()))
            if names:
                return names
    return []


def surname_key(name: str) -> str:
    """The last word of a name, lower case, without accents: "López-Ortega" -> "lopezortega"."""
    last = name.split()[-1] if name.split() else ""
    return "".join(ch for ch in unicodedata.normalize("NFKD", last.lower()) if ch.isalnum())


_PAREN = re.compile(r"\([^)]*\)")


def split_authors(text: str) -> list[str]:
    """Names from an author string: "A and B", "A; B", "A, B" (full names), "A & B"."""
    text = _PAREN.sub(" ", text)
    names: list[str] = []
    for part in re.split(r";|&| and | und | en |\n", text):
        pieces = [piece.strip() for piece in part.split(",")]
        # "Czymara, Christian" is one name; "Jens Hainmueller, Michael Hiscox" are two.
        if len(pieces) > 1 and all(len(piece.split()) >= 2 for piece in pieces if piece):
            names.extend(pieces)
        elif len(pieces) == 2 and all(pieces):
            names.append(f"{pieces[1]} {pieces[0]}")
        else:
            names.append(part.strip())
    return unique(_tidy_name(name) for name in names)


def _tidy_name(name: str) -> str:
    name = re.sub(r"[\d*†‡§¶]+", " ", name)
    name = " ".join(name.replace("·", " ").split()).strip(" ,.;")
    if name.isupper():
        name = " ".join(word.capitalize() if len(word) > 2 else word for word in name.split())
    return name if count_letters(name) >= 2 and "@" not in name else ""


def unique(items: Iterable[str]) -> list[str]:
    """The non-empty items in order, without case-insensitive repeats."""
    seen: dict[str, str] = {}
    for item in items:
        if item and item.lower() not in seen:
            seen[item.lower()] = item
    return list(seen.values())
