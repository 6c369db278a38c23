"""The page title: site-name affixes cut off, cut-off headlines completed, fallbacks in order."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import lxml.html

from indexer.html.head import Meta
from indexer.html.plain import element_text

# Separators between a title and a site name: "Title - BBC News", "Title | DW | 19.01.2020",
# "标题_科技_腾讯网". A hyphen counts only with spaces around it ("U.S.-Israeli").
_SEPARATOR = re.compile(r"\s*(?:\||_|::|·|•|»|«)\s*|\s+[-–—~]\s+")
_DATE_ONLY = re.compile(r"^\d{1,4}[-./]\d{1,2}[-./]\d{1,4}$")
_ELLIPSIS = re.compile(r"\s*(?:\.{3}|…)$")


def _squeeze(value: str) -> str:
    """Only letters and digits, case-folded: for comparing names and titles."""
    return "".join(char for char in value.casefold() if char.isalnum())


def site_names_of(meta: Meta, publishers: Iterable[str | None], url: str | None) -> list[str]:
    """Names the site goes by, squeezed: og:site_name, application-name, publisher, host."""
    keys = ("og:site_name", "application-name", "apple-mobile-web-app-title")
    names = [value for key in keys for value in meta.get(key, [])]
    names += [value.lstrip("@") for value in meta.get("twitter:site", [])]
    names += [value for value in publishers if value]
    host = (urlsplit(url).hostname or "") if url else ""
    labels = [label for label in host.split(".") if label not in ("www", "m", "amp")]
    if labels:
        names += [labels[0], "".join(labels)]
    return [squeezed for name in names if len(squeezed := _squeeze(name)) >= 2]


def _is_affix(segment: str, site_names: list[str]) -> bool:
    """Whether a title segment is the site's name ("The Washington Post", "DW") or a date."""
    squeezed = _squeeze(segment)
    if not squeezed:
        return True
    if _DATE_ONLY.match(segment.strip()):
        return True
    short = len(segment.split()) <= 4
    return any(
        squeezed == name
        or (short and len(name) >= 3 and name in squeezed)  # "The Washington Post"
        or (len(squeezed) >= 2 and name.startswith(squeezed))  # "DW" for "DW.COM"
        for name in site_names
    )


def clean_title(title: str, site_names: list[str], shorter: Iterable[str] = ()) -> str:
    """A title without site-name affixes, e.g. "Obama admits ... - BBC News" -> "Obama admits ..."."""
    # A shorter title elsewhere on the page (h1, a second <title>, twitter:title) that the
    # title starts with tells where the suffix begins, even for an unknown site name.
    cuts = [found.start() for found in _SEPARATOR.finditer(title)]
    wanted = {_squeeze(value) for value in shorter if len(_squeeze(value)) >= 3}
    for cut in cuts:
        if _squeeze(title[:cut]) in wanted:
            return title[:cut].strip()
    segments = [part.strip() for part in _SEPARATOR.split(title)]
    while len(segments) > 1 and _is_affix(segments[-1], site_names):
        segments.pop()
    if len(segments) == len(cuts) + 1:
        return title.strip()
    # Cut the original at the separator before the first dropped segment, so inner
    # separators survive ("Woonfraude in Nederland - Een Analyse ... - Bonnies Smarties").
    # Leading segments stay: "Yahoo News - Latest News" names the page it is.
    return title[: cuts[len(segments) - 1]].strip()


def _untruncated(title: str, candidates: Iterable[str]) -> str | None:
    """A longer candidate that a title cut off with "..." is the start of."""
    stem = _squeeze(_ELLIPSIS.sub("", title))
    for candidate in candidates:
        if len(_squeeze(candidate)) > len(stem) and _squeeze(candidate).startswith(stem):
            return candidate
    return None


def h1_texts(tree: lxml.html.HtmlElement) -> list[str]:
    return [text for element in tree.iter("h1") if (text := element_text(element))][:5]


def choose_title(
    found: dict[str, Any],
    origins: dict[str, str],
    og_title: str | None,
    titles: list[str],
    h1s: list[str],
    site_names: list[str],
    shorter: list[str],
) -> None:
    """Set the title: metadata first (OpenGraph's without site suffix), then <title>, then <h1>."""
    if og_title and found.get("title") == og_title:
        found["title"] = clean_title(og_title, site_names, shorter) or og_title
    if not found.get("title"):
        page_title = next((clean_title(title, site_names, shorter) for title in titles if title), "")
        fallback = page_title or (h1s[0] if h1s else "")
        if fallback:
            found["title"], origins["title"] = fallback, "heuristic"
    title = found.get("title")
    if title and _ELLIPSIS.search(title):
        # JSON-LD headlines are sometimes cut off ("...leader..."); the page has the rest.
        longer = _untruncated(title, [*h1s, *(clean_title(t, site_names, shorter) for t in titles)])
        if longer:
            found["title"], origins["title"] = longer, "heuristic"
