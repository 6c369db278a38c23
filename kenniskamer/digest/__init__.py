"""The newsletter digest: documents added in a window (select), grouped by theme, as Markdown, HTML or JSON (render)."""

from kenniskamer.digest.render import (
    FORMATS,
    TEXTS,
    details,
    intro,
    item_to_dict,
    long_date,
    md_escape,
    render,
    render_html,
    render_markdown,
    short_authors,
    text,
    to_dict,
)
from kenniskamer.digest.select import (
    NO_THEME,
    SUMMARY_WORDS,
    WATERMARK_KEY,
    Digest,
    DigestItem,
    DigestSection,
    Watermark,
    Window,
    build,
    digest_summary,
    document_url,
    format_time,
    mark,
    parse_time,
    read_watermark,
    resolve_window,
    select,
    week_window,
    weekly,
)

__all__ = [
    "FORMATS", "NO_THEME", "SUMMARY_WORDS", "TEXTS", "WATERMARK_KEY", "Digest", "DigestItem", "DigestSection",
    "Watermark", "Window", "build", "details", "digest_summary", "document_url", "format_time", "intro",
    "item_to_dict", "long_date", "mark", "md_escape", "parse_time", "read_watermark", "render", "render_html",
    "render_markdown", "resolve_window", "select", "short_authors", "text", "to_dict", "week_window", "weekly",
]
