"""Which documents a digest lists: the window, the watermark, the grouping by theme.

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

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from kenniskamer.errors import KennisError, OptionsError
from kenniskamer.library import Library
from kenniskamer.models import Document
from kenniskamer.text.summary import shorten_summary
from kenniskamer.themes import Theme

WATERMARK_KEY = "digest.watermark"
SUMMARY_WORDS = 60  # a digest shortens the stored summary to about this many words
NO_THEME = ""  # the section of documents without a theme
OTHER_LABEL = ("Overig", "Other")  # the section label of NO_THEME, Dutch and English

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
        raise OptionsError(f"Give only one of --since, --days and --since-last, not {' and '.join(chosen)}.")
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
    summary: str  # the stored (clean) summary, shortened to about SUMMARY_WORDS words
    theme: str  # the section it is listed under (NO_THEME if none)
    other_themes: tuple[str, ...]
    url: str  # the document page on the public site


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
            return OTHER_LABEL[1 if language == "en" else 0]
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
            doc=doc, summary=digest_summary(doc), theme=section,
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


def digest_summary(doc: Document) -> str:
    """A document's summary as a digest or feed lists it: the stored one, shortened to SUMMARY_WORDS."""
    return shorten_summary(doc.summary or "", SUMMARY_WORDS)


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
