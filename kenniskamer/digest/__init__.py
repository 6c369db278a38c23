"""The newsletter digest: documents added in a window, grouped by theme, as Markdown, HTML or JSON.

"New" means added to the library (the ``added`` time of ingest), never the publication
date: a 2015 study added this week is new, and editing a document does not make it new
again. Times are UTC.

Each document is listed once, under its strongest theme (the first of ``Document.themes``),
with its other themes named beside it: an editor wants a newsletter without repeats. When
the digest is restricted to some themes, a document goes under the strongest of those.
Sections follow the order of ``data/themes.toml``, so they stay in the same place from one
issue to the next; documents without a theme come last, under "Overig".

``--since-last`` uses a watermark stored in the catalog's meta table. It records the newest
``added`` time covered by the last marked digest and the ids added at exactly that second,
so a document added in the same second after the mark is not lost.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from kenniskamer.cite import parse_name
from kenniskamer.errors import KennisError
from kenniskamer.library import Library
from kenniskamer.models import DOC_TYPES, LANGUAGES, Document
from kenniskamer.themes import Theme

WATERMARK_KEY = "digest.watermark"
FORMATS = ("markdown", "html", "json")
SUMMARY_WORDS = 60
_MIN_FRAGMENT = 8  # words: a shorter summary that is not a sentence is left out
NO_THEME = ""  # the section of documents without a theme

# -- windows and the watermark ----------------------------------------------------------------


@dataclass(frozen=True)
class Watermark:
    """What the last marked digest covered: everything added up to ``added`` (those ids included)."""

    added: str  # ISO time, "YYYY-MM-DDTHH:MM:SSZ"
    doc_ids: tuple[str, ...] = ()  # the documents added at exactly ``added``

    def covers(self, doc: Document) -> bool:
        """True if the marked digest already covered this document."""
        when, mark = parse_time(doc.added), parse_time(self.added)
        return when < mark or (when == mark and doc.doc_id in self.doc_ids)

    def to_json(self) -> str:
        """The value stored in the catalog."""
        return json.dumps({"added": self.added, "ids": list(self.doc_ids)})

    @classmethod
    def from_json(cls, value: str) -> Watermark:
        """Read a stored watermark (a bare time from an older version is accepted too)."""
        try:
            data = json.loads(value)
        except json.JSONDecodeError:
            data = {"added": value}
        if isinstance(data, str):
            data = {"added": data}
        return cls(format_time(parse_time(data["added"])), tuple(data.get("ids", ())))


@dataclass(frozen=True)
class Window:
    """Which additions a digest shows: ``since <= added < until`` and not covered by ``after``."""

    since: str | None = None  # ISO time, inclusive
    until: str | None = None  # ISO time, exclusive
    after: Watermark | None = None  # the last marked digest

    def contains(self, doc: Document) -> bool:
        """True if the document was added inside the window."""
        when = parse_time(doc.added)
        if self.since and when < parse_time(self.since):
            return False
        if self.until and when >= parse_time(self.until):
            return False
        return not (self.after and self.after.covers(doc))

    @property
    def start(self) -> str | None:
        """The earliest time in the window, for display."""
        return self.after.added if self.after else self.since


def parse_time(value: str) -> datetime:
    """A UTC datetime from an ISO date or time ("2026-11-01", "2026-11-01T09:00:00Z", "...+01:00")."""
    text = value.strip()
    try:
        if len(text) == 10:
            parsed = datetime.combine(date.fromisoformat(text), datetime.min.time())
        else:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        raise KennisError(f"{value!r} is not a date; write YYYY-MM-DD (or YYYY-MM-DDTHH:MM:SSZ).") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_time(moment: datetime) -> str:
    """``2026-11-28T19:30:00Z``, the form the catalog stores ``added`` in."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_watermark(library: Library) -> Watermark | None:
    """The watermark stored by the last ``digest --mark``, or None."""
    value = library.get_meta(WATERMARK_KEY)
    return Watermark.from_json(value) if value else None


def resolve_window(
    library: Library,
    *,
    since: str | None = None,
    until: str | None = None,
    days: int | None = None,
    since_last: bool = False,
    now: datetime | None = None,
) -> Window:
    """The window a user asked for: one of ``since``, ``days`` or ``since_last``, optionally ``until``."""
    chosen = [name for name, given in (("--since", since), ("--days", days is not None), ("--since-last", since_last)) if given]
    if len(chosen) > 1:
        raise KennisError(f"Give only one of --since, --days and --since-last, not {' and '.join(chosen)}.")
    end = format_time(parse_time(until)) if until else None
    if since_last:
        mark = read_watermark(library)
        if mark is None:
            raise KennisError(
                "No digest has been marked yet, so there is no 'last' one. Make the first with a date, "
                "e.g. `kenniskamer digest --since 2026-11-01 --mark`; later ones can use --since-last."
            )
        return Window(until=end, after=mark)
    if days is not None:
        if days < 0:
            raise KennisError("--days must be 0 or more.")
        moment = (now or datetime.now(UTC)) - timedelta(days=days)
        return Window(since=format_time(moment), until=end)
    if since:
        return Window(since=format_time(parse_time(since)), until=end)
    raise KennisError("Say which additions to show: --since DATE, --days N or --since-last.")


def select(library: Library, window: Window, *, themes: Sequence[str] = ()) -> list[Document]:
    """The documents added inside the window (having one of ``themes``, if given), newest first."""
    start = window.start
    # The catalog compares `added` as text; ask for a day earlier and compare exactly here.
    coarse = (parse_time(start) - timedelta(days=1)).date().isoformat() if start else None
    docs = [doc for doc in library.documents(since=coarse) if window.contains(doc)]
    if themes:
        wanted = set(themes)
        docs = [doc for doc in docs if wanted & set(doc.theme_ids)]
    return sorted(docs, key=lambda d: (parse_time(d.added), d.doc_id), reverse=True)


def mark(library: Library, window: Window | None = None) -> Watermark | None:
    """Store a watermark covering every document added before the window's end; return it.

    Call it while holding ``library.writing()``, with the digest selected under the same lock:
    a batch being added holds that lock, so no document can arrive between digest and mark
    with an earlier ``added`` time. A watermark never moves back.
    """
    until = parse_time(window.until) if window and window.until else None
    covered = [doc for doc in library.documents() if until is None or parse_time(doc.added) < until]
    current = read_watermark(library)
    if not covered:
        return current
    newest = max(parse_time(doc.added) for doc in covered)
    mark_ = Watermark(format_time(newest), tuple(sorted(d.doc_id for d in covered if parse_time(d.added) == newest)))
    if current is not None and parse_time(current.added) > newest:
        return current
    if current is not None and current.added == mark_.added:
        mark_ = Watermark(mark_.added, tuple(sorted(set(current.doc_ids) | set(mark_.doc_ids))))
    library.set_meta(WATERMARK_KEY, mark_.to_json())
    return mark_


# -- the digest ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestItem:
    """One document as the newsletter lists it."""

    doc: Document
    summary: str  # cleaned, whole sentences, at most about SUMMARY_WORDS words
    theme: str  # the section it is listed under (NO_THEME if none)
    other_themes: tuple[str, ...]
    url: str  # the document page on the public site

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the item."""
        doc = self.doc
        return {
            "id": doc.doc_id, "title": doc.title, "url": self.url, "authors": list(doc.authors),
            "authors_short": short_authors(doc), "year": doc.year, "date": doc.date, "publisher": doc.publisher,
            "type": doc.doc_type, "language": doc.language, "summary": self.summary,
            "summary_origin": doc.provenance.get("summary"), "theme": self.theme or None,
            "themes": list(doc.theme_ids), "added": doc.added,
        }


@dataclass(frozen=True)
class DigestSection:
    """The additions listed under one theme."""

    theme: str  # theme id, or NO_THEME
    items: tuple[DigestItem, ...]


@dataclass(frozen=True)
class Digest:
    """Additions in a window, grouped by theme, ready to render."""

    window: Window
    sections: tuple[DigestSection, ...]
    theme_labels: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # id -> (nl, en)
    only_themes: tuple[str, ...] = ()

    @property
    def count(self) -> int:
        """How many documents the digest lists."""
        return sum(len(section.items) for section in self.sections)

    @property
    def items(self) -> list[DigestItem]:
        """Every item, section by section."""
        return [item for section in self.sections for item in section.items]

    @property
    def newest(self) -> str | None:
        """The newest ``added`` time listed."""
        return max((item.doc.added for item in self.items), key=parse_time, default=None)

    @property
    def oldest(self) -> str | None:
        """The oldest ``added`` time listed."""
        return min((item.doc.added for item in self.items), key=parse_time, default=None)

    def label(self, theme_id: str, language: str = "nl") -> str:
        """A theme's label in the interface language."""
        if theme_id == NO_THEME:
            return text("other", language)
        pair = self.theme_labels.get(theme_id)
        return theme_id if pair is None else pair[1 if language == "en" else 0]


def build(
    docs: Iterable[Document],
    themes: Sequence[Theme],
    *,
    window: Window | None = None,
    only: Sequence[str] = (),
    base_url: str = "",
) -> Digest:
    """Group documents by their strongest theme (of ``only``, if given), in taxonomy order."""
    order = {theme.id: number for number, theme in enumerate(themes)}
    wanted = [t for t in only if t]
    groups: dict[str, list[DigestItem]] = {}
    for doc in docs:
        ids = doc.theme_ids
        candidates = [t for t in ids if t in wanted] if wanted else list(ids)
        if wanted and not candidates:
            continue
        section = candidates[0] if candidates else NO_THEME
        item = DigestItem(
            doc=doc, summary=clean_summary(doc.summary or ""), theme=section,
            other_themes=tuple(t for t in ids if t != section), url=document_url(base_url, doc.doc_id),
        )
        groups.setdefault(section, []).append(item)
    sections = []
    for theme_id in sorted(groups, key=lambda t: (t == NO_THEME, order.get(t, len(order)), t)):
        items = sorted(groups[theme_id], key=lambda i: (parse_time(i.doc.added), i.doc.doc_id), reverse=True)
        sections.append(DigestSection(theme_id, tuple(items)))
    return Digest(
        window=window or Window(), sections=tuple(sections),
        theme_labels={theme.id: (theme.label_nl, theme.label_en) for theme in themes}, only_themes=tuple(wanted),
    )


def document_url(base_url: str, doc_id: str) -> str:
    """The public address of a document page: ``<base>/doc/<id>`` (relative without a base)."""
    return f"{base_url.rstrip('/')}/doc/{doc_id}"


def weekly(docs: Iterable[Document], themes: Sequence[Theme], *, weeks: int = 8, only: Sequence[str] = (),
           base_url: str = "") -> list[tuple[str, Digest]]:
    """The digests of the ``weeks`` most recent ISO weeks with additions, newest first: ("2026-W48", digest)."""
    by_week: dict[tuple[int, int], list[Document]] = {}
    wanted = set(only)
    for doc in docs:
        if wanted and not wanted & set(doc.theme_ids):
            continue
        year, week, _ = parse_time(doc.added).isocalendar()
        by_week.setdefault((year, week), []).append(doc)
    result = []
    for year, week in sorted(by_week, reverse=True)[:weeks]:
        monday = datetime.fromisocalendar(year, week, 1).replace(tzinfo=UTC)
        window = Window(since=format_time(monday), until=format_time(monday + timedelta(days=7)))
        digest = build(by_week[(year, week)], themes, window=window, only=only, base_url=base_url)
        result.append((f"{year}-W{week:02d}", digest))
    return result


def week_window(week: str) -> Window:
    """The window of an ISO week written as ``2026-W48``."""
    match = re.fullmatch(r"(\d{4})-W(\d{2})", week)
    if not match:
        raise KennisError(f"{week!r} is not a week; write it as 2026-W48.")
    try:
        monday = datetime.fromisocalendar(int(match[1]), int(match[2]), 1).replace(tzinfo=UTC)
    except ValueError:
        raise KennisError(f"{week!r} is not a week; write it as 2026-W48.") from None
    return Window(since=format_time(monday), until=format_time(monday + timedelta(days=7)))


# -- summaries -----------------------------------------------------------------------------------

_HYPHEN_LINE = re.compile(r"(?<=[^\W\d_])[-\u00ad\u2010]\s*\n\s*(?=[^\W\d_])")
# "Zuwande- rung": a word broken at a line end whose line break became a space. Not before
# a conjunction ("pre- and post-", "Ein- und Ausreise", "asiel- en migratiebeleid").
_HYPHEN_SPACE = re.compile(
    r"(?<=[^\W\d_]{2})- (?!(?:and|or|und|oder|en|of|et|ou|y|o|bis|tot|to)\b)(?=[a-zà-ÿ]{2})"
)
_SOFT = re.compile("[\u00ad\u0002\u200b\u200c\u200d\ufeff]")
_WS = re.compile(r"\s+")
# Lines of page furniture: journal running heads, page numbers, licences, download notes.
_FURNITURE_LINE = re.compile(
    r"(?i)^\s*(?:page\s+\d+(?:\s+(?:of|van)\s+\d+)?|pagina\s+\d+|\d{1,4}(?:\s*/\s*\d{1,4})?"
    r"|.*\bvol(?:ume)?\.?\s*\d+.*\b(?:no|issue)\.?\s*\d+.*|.*\b(?:doi|issn|isbn)\b.*|.*https?://\S+.*"
    r"|.*(?:all rights reserved|downloaded from|creative commons).*)\s*$"
)
_COPYRIGHT = re.compile(r"(?im)\s*(?:©|\(c\)\s*(?=\d{4})|\bcopyright\b).*$")  # runs to the end of its line
# Sentences that are furniture rather than summary.
_FURNITURE_SENTENCE = re.compile(
    r"(?i)©|\bcopyright\b|all rights reserved|downloaded from|creative commons|https?://|\bdoi\b|www\.\S+"
)
# (Bennett and Entman 2001; Chong 2007) or (Bernhard & Kriesi, 2019): author-year citations.
_CITATION = re.compile(
    r"\s*\((?:see |e\.g\.,? |cf\. |zie |vgl\. |bijv\. )?[A-ZÀ-Þ][^()]{0,160}?,? (?:19|20)\d{2}[a-z]?"
    r"(?:[;,] [^()]{0,160}?(?:19|20)\d{2}[a-z]?)*\)"
)
# [12], [3, 4] or [e.g., B. S. Lowery, J. Exp. Soc. Psychol. 45, 375–378, 2009]: numbered references.
_BRACKETS = re.compile(r"\s*\[(?:[\d,;\s–-]+|[^\[\]]{0,200}?(?:19|20)\d{2}[a-z]?)\]")
# A footnote number glued to a word or stop: "bronnen.1 Deze", "Einwanderung2 und".
_FOOTNOTE = re.compile(
    r"(?:(?<=[^\W\d_]{3})|(?<=[^\W\d_]{2}[.,;:]))(?:\d{1,2}|[¹²³⁴⁵⁶⁷⁸⁹⁰]+)(?=\s|$)"
)
_ABBREVIATIONS = frozenset((
    "e.g", "i.e", "et", "al", "vs", "cf", "ca", "etc", "dr", "prof", "mr", "mrs", "ms", "st", "no", "nr",
    "vol", "pp", "fig", "bijv", "o.a", "d.w.z", "e.d", "m.b.t", "t.a.v", "z.b", "u.a", "bzw", "resp",
    "jr", "sr", "inc", "ltd",
))
_SENTENCE_END = re.compile(r"[.!?…](?:[\"'”’)\]])*\s+(?=[\"'“‘(\[]?[A-ZÀ-ÞĀ-Ž0-9])")


def clean_summary(raw: str, *, max_words: int = SUMMARY_WORDS) -> str:
    """A catalog summary made fit to print: no page furniture, hyphenation breaks joined, whole sentences.

    At most about ``max_words`` words: whole sentences while they fit; a first sentence that is
    longer is cut at a comma or word and ends in an ellipsis.
    """
    if not raw:
        return ""
    text = unicodedata.normalize("NFC", _SOFT.sub("", raw))
    text = _COPYRIGHT.sub("", _HYPHEN_LINE.sub("", text))
    lines = [line for line in text.splitlines() if line.strip() and not _FURNITURE_LINE.match(line)]
    text = _WS.sub(" ", " ".join(lines)).strip()
    text = _HYPHEN_SPACE.sub("", text)
    text = _CITATION.sub("", text)
    text = _BRACKETS.sub("", text)
    text = _FOOTNOTE.sub("", text)
    text = re.sub(r"\s+([.,;:!?])", r"\1", text)
    sentences = [s for s in split_sentences(text) if not _FURNITURE_SENTENCE.search(s)]
    if not sentences:
        return ""
    if len(sentences) > 1 and not _complete(sentences[-1]):
        sentences.pop()  # a trailing fragment ("Die Parteikollegen wollen das, was alle …")
    if len(sentences) == 1 and not _complete(sentences[0]) and len(sentences[0].split()) < _MIN_FRAGMENT:
        return ""  # a clipped teaser ("Taiwanese President Tsai Ing-wen’s") says nothing
    chosen: list[str] = []
    count = 0
    for sentence in sentences:
        words = len(sentence.split())
        if chosen and count + words > max_words:
            break
        chosen.append(sentence)
        count += words
    if count > max_words or not _complete(chosen[-1]):
        return _shorten(" ".join(chosen), max_words)
    return " ".join(chosen)


def split_sentences(text: str) -> list[str]:
    """Sentences of a paragraph; abbreviations ("e.g.", "bijv.", initials) do not end one."""
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.start() + 1
        before = text[start:end].rstrip(".!?…\"'”’)]")
        last_word = before.split()[-1].lower() if before.split() else ""
        if text[match.start()] == "." and (last_word in _ABBREVIATIONS or re.fullmatch(r"[^\W\d_]", last_word)):
            continue
        sentences.append(text[start:match.end()].strip())
        start = match.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def _complete(sentence: str) -> bool:
    return bool(re.search(r"[.!?](?:[\"'”’)\]])*$", sentence)) and not sentence.endswith(("…", "..."))


def _shorten(text: str, max_words: int) -> str:
    words = text.rstrip(" .…").split()
    if len(words) > max_words:
        words = words[:max_words]
        cut = " ".join(words)
        comma = max(cut.rfind(","), cut.rfind(";"), cut.rfind(":"))
        if comma > len(cut) // 2:  # end at a clause if that keeps most of it
            cut = cut[:comma]
    else:
        cut = " ".join(words)
    return cut.rstrip(",;: ") + " …"


# -- texts and small formatters ---------------------------------------------------------------------

TEXTS: dict[str, tuple[str, str]] = {
    "heading": ("Nieuw in de kenniskamer", "New in the knowledge room"),
    "no_documents": ("Geen nieuwe documenten", "No new documents"),
    "one_document": ("1 nieuw document", "1 new document"),
    "documents": ("{n} nieuwe documenten", "{n} new documents"),
    "since": ("toegevoegd sinds {start}", "added since {start}"),
    "since_mark": ("toegevoegd sinds de vorige nieuwsbrief ({start})", "added since the previous newsletter ({start})"),
    "between": ("toegevoegd van {start} tot en met {end}", "added from {start} to {end}"),
    "themes_only": ("Alleen de thema's: {themes}.", "Only the themes: {themes}."),
    "other": ("Overig", "Other"),
    "also": ("Ook over", "Also about"),
    "added": ("toegevoegd", "added"),
    "nd": ("z.j.", "n.d."),
    "empty": ("Geen nieuwe documenten in deze periode.", "No new documents in this period."),
    "footer": (
        "Alle documenten staan in de kenniskamer; de datum is die van toevoegen, niet van publicatie.",
        "Every document is in the knowledge room; the date is when it was added, not when it was published.",
    ),
}
_MONTHS_NL = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
              "november", "december")
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December")


def text(key: str, language: str = "nl", **values: Any) -> str:
    """A digest text in Dutch or English, with values filled in."""
    pair = TEXTS[key]
    return (pair[1] if language == "en" else pair[0]).format(**values)


def long_date(value: str, language: str = "nl") -> str:
    """``5 november 2026`` (or ``5 November 2026``) from an ISO date or time."""
    moment = parse_time(value)
    months = _MONTHS_EN if language == "en" else _MONTHS_NL
    return f"{moment.day} {months[moment.month - 1]} {moment.year}"


def short_authors(doc: Document) -> str:
    """Authors as a newsletter names them: ``May, A. C., & Czymara, C. S.``; four or more: ``May, A. C., et al.``."""
    names = [parse_name(a) for a in doc.authors if a.strip()]
    cited = [n.family if n.literal or not n.given else f"{n.family}, {n.initials()}" for n in names]
    if not cited:
        return ""
    if len(cited) == 1:
        return cited[0]
    if len(cited) <= 3:
        return ", ".join(cited[:-1]) + ", & " + cited[-1]
    return f"{cited[0]}, et al."


def details(item: DigestItem, language: str = "nl") -> list[str]:
    """The parts of an item's detail line: authors (year), publisher, type, language."""
    doc = item.doc
    year = str(doc.year) if doc.year else text("nd", language)
    authors = short_authors(doc)
    parts = [f"{authors} ({year})" if authors else year]
    if doc.publisher:
        parts.append(doc.publisher)
    index = 1 if language == "en" else 0
    if doc.doc_type in DOC_TYPES:
        parts.append(DOC_TYPES[doc.doc_type][index])
    if doc.language in LANGUAGES:
        parts.append(LANGUAGES[doc.language][index])
    return parts


def intro(digest: Digest, language: str = "nl") -> str:
    """One sentence saying how many documents were added in which period."""
    count = {0: text("no_documents", language), 1: text("one_document", language)}.get(
        digest.count, text("documents", language, n=digest.count)
    )
    window = digest.window
    start = window.start or digest.oldest
    end = window.until
    if end:
        last = format_time(parse_time(end) - timedelta(seconds=1))
        period = text("between", language, start=long_date(start or last, language), end=long_date(last, language))
    elif window.after:
        stamp = parse_time(window.after.added).strftime("%H:%M UTC")
        period = text("since_mark", language, start=f"{long_date(window.after.added, language)}, {stamp}")
    elif start:
        period = text("since", language, start=long_date(start, language))
    else:
        period = ""
    sentence = f"{count}, {period}." if period else f"{count}."
    if digest.only_themes:
        labels = ", ".join(digest.label(t, language) for t in digest.only_themes)
        sentence += " " + text("themes_only", language, themes=labels)
    return sentence


# -- Markdown ------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~])")


def md_escape(value: str) -> str:
    """Text that Markdown shows as written (no emphasis, links or HTML from a title)."""
    escaped = _MD_SPECIAL.sub(r"\\\1", _WS.sub(" ", value).strip())
    return re.sub(r"^([-+=]|\d+\.)(?=\s)", r"\\\1", escaped)  # a title that would start a list


def _md_url(url: str) -> str:
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def render_markdown(digest: Digest, *, language: str = "nl", heading: bool = True) -> str:
    """The digest as Markdown: a heading per theme, a linked heading per document."""
    out: list[str] = []
    if heading:
        out += [f"# {text('heading', language)}", ""]
    out += [md_escape(intro(digest, language)), ""]
    if not digest.count:
        out += [text("empty", language), ""]
    for section in digest.sections:
        out += [f"## {md_escape(digest.label(section.theme, language))} ({len(section.items)})", ""]
        for item in section.items:
            out += [f"### [{md_escape(item.doc.title)}]({_md_url(item.url)})", ""]
            out += [" · ".join(md_escape(part) for part in details(item, language)), ""]
            if item.summary:
                out += [md_escape(item.summary), ""]
            tail = []
            if item.other_themes:
                also = ", ".join(digest.label(t, language) for t in item.other_themes)
                tail.append(f"{text('also', language)}: {also}")
            tail.append(f"{text('added', language)} {long_date(item.doc.added, language)}")
            out += ["*" + md_escape(" · ".join(tail)) + "*", ""]
    return "\n".join(out).rstrip("\n") + "\n"


# -- HTML for e-mail --------------------------------------------------------------------------------

# E-mail clients drop <style> blocks and external sheets, so every style is inline; tables do
# the layout (Outlook ignores max-width on divs). System fonts only: no web fonts, no images.
_FONT = "font-family:Georgia,'Times New Roman',serif;"
_SANS = "font-family:Arial,Helvetica,sans-serif;"
_INK = "#1f2328"
_MUTED = "#57606a"
_ACCENT = "#0b5394"
_S = {
    "body": f"margin:0;padding:0;background:#f4f4f1;color:{_INK};",
    "outer": "width:100%;background:#f4f4f1;border-collapse:collapse;",
    "inner": "width:100%;max-width:640px;background:#ffffff;border-collapse:collapse;",
    "cell": "padding:24px 28px;",
    "h1": f"{_SANS}font-size:24px;line-height:1.25;margin:0 0 8px;color:{_INK};",
    "intro": f"{_SANS}font-size:15px;line-height:1.5;margin:0 0 8px;color:{_MUTED};",
    "h2": f"{_SANS}font-size:18px;line-height:1.3;margin:28px 0 4px;padding:0 0 6px;color:{_ACCENT};"
          f"border-bottom:2px solid {_ACCENT};",
    "h3": f"{_FONT}font-size:17px;line-height:1.35;margin:18px 0 4px;font-weight:bold;",
    "link": f"color:{_ACCENT};text-decoration:underline;",
    "meta": f"{_SANS}font-size:13px;line-height:1.45;margin:0 0 6px;color:{_MUTED};",
    "summary": f"{_FONT}font-size:15px;line-height:1.55;margin:0 0 6px;color:{_INK};",
    "tail": f"{_SANS}font-size:12px;line-height:1.45;margin:0 0 4px;color:{_MUTED};font-style:italic;",
    "footer": f"{_SANS}font-size:12px;line-height:1.45;margin:24px 0 0;color:{_MUTED};",
}


def _e(value: str) -> str:
    return html.escape(value, quote=True)


def render_html(digest: Digest, *, language: str = "nl", fragment: bool = False) -> str:
    """The digest as e-mail-safe HTML: inline styles, no scripts, no images, no external resources.

    With ``fragment`` only the content table, to paste into a newsletter tool's HTML block.
    """
    rows: list[str] = [
        f'<h1 style="{_S["h1"]}">{_e(text("heading", language))}</h1>',
        f'<p style="{_S["intro"]}">{_e(intro(digest, language))}</p>',
    ]
    if not digest.count:
        rows.append(f'<p style="{_S["summary"]}">{_e(text("empty", language))}</p>')
    for section in digest.sections:
        label = f"{digest.label(section.theme, language)} ({len(section.items)})"
        rows.append(f'<h2 style="{_S["h2"]}">{_e(label)}</h2>')
        for item in section.items:
            rows.append(
                f'<h3 style="{_S["h3"]}"><a href="{_e(item.url)}" style="{_S["link"]}">{_e(item.doc.title)}</a></h3>'
            )
            rows.append(f'<p style="{_S["meta"]}">{_e(" · ".join(details(item, language)))}</p>')
            if item.summary:
                rows.append(f'<p style="{_S["summary"]}">{_e(item.summary)}</p>')
            tail = []
            if item.other_themes:
                tail.append(f"{text('also', language)}: " + ", ".join(digest.label(t, language) for t in item.other_themes))
            tail.append(f"{text('added', language)} {long_date(item.doc.added, language)}")
            rows.append(f'<p style="{_S["tail"]}">{_e(" · ".join(tail))}</p>')
    rows.append(f'<p style="{_S["footer"]}">{_e(text("footer", language))}</p>')
    content = "\n".join(f"      {row}" for row in rows)
    table = (
        f'<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="{_S["inner"]}">\n'
        f'  <tr>\n    <td style="{_S["cell"]}">\n{content}\n    </td>\n  </tr>\n</table>'
    )
    if fragment:
        return table + "\n"
    title = _e(f"{text('heading', language)}: {intro(digest, language)}")
    return (
        f'<!DOCTYPE html>\n<html lang="{_e(language)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n</head>\n"
        f'<body style="{_S["body"]}">\n'
        f'<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="{_S["outer"]}">\n'
        f'<tr><td align="center" style="padding:16px 8px;">\n{table}\n</td></tr>\n</table>\n</body>\n</html>\n'
    )


# -- JSON ------------------------------------------------------------------------------------------


def to_dict(digest: Digest, *, language: str = "nl") -> dict[str, Any]:
    """The digest as a JSON-ready dict."""
    window = digest.window
    return {
        "since": window.since, "until": window.until,
        "after_mark": {"added": window.after.added, "ids": list(window.after.doc_ids)} if window.after else None,
        "themes_only": list(digest.only_themes), "count": digest.count, "newest_added": digest.newest,
        "sections": [
            {"theme": s.theme or None, "label": digest.label(s.theme, language), "items": [i.to_dict() for i in s.items]}
            for s in digest.sections
        ],
    }


def render(digest: Digest, fmt: str, *, language: str = "nl") -> str:
    """The digest in one of FORMATS."""
    if fmt == "markdown":
        return render_markdown(digest, language=language)
    if fmt == "html":
        return render_html(digest, language=language)
    if fmt == "json":
        return json.dumps(to_dict(digest, language=language), ensure_ascii=False, indent=2) + "\n"
    raise KennisError(f"Unknown digest format {fmt!r}; use one of: {', '.join(FORMATS)}.")
