"""A digest as Markdown, e-mail-safe HTML or JSON, in Dutch or English."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta
from typing import Any

from kenniskamer.cite import parse_name
from kenniskamer.digest.select import OTHER_LABEL, Digest, DigestItem, format_time, parse_time
from kenniskamer.errors import KennisError
from kenniskamer.models import DOC_TYPES, LANGUAGES, Document

FORMATS = ("markdown", "html", "json")
_WS = re.compile(r"\s+")

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
    "other": OTHER_LABEL,
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


def item_to_dict(item: DigestItem) -> dict[str, Any]:
    """The JSON form of a digest item."""
    doc = item.doc
    return {
        "id": doc.doc_id, "title": doc.title, "url": item.url, "authors": list(doc.authors),
        "authors_short": short_authors(doc), "year": doc.year, "date": doc.date, "publisher": doc.publisher,
        "type": doc.doc_type, "language": doc.language, "summary": item.summary,
        "summary_origin": doc.provenance.get("summary"), "theme": item.theme or None,
        "themes": list(doc.theme_ids), "added": doc.added,
    }


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
            {"theme": s.theme or None, "label": digest.label(s.theme, language), "items": [item_to_dict(i) for i in s.items]}
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
