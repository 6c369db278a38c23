"""Interface texts in Dutch (default) and English."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "site": ("Kenniskamer", "Knowledge room"),
    "tagline": ("Onderzoek naar draagvlak voor migratie", "Research on public support for migration"),
    "skip": ("Naar de inhoud", "Skip to content"),
    "search": ("Zoeken", "Search"),
    "search_label": ("Zoek in de kenniskamer", "Search the knowledge room"),
    "placeholder": ("bijv. polarisatie, \"publieke opinie\", thema:framing", "e.g. polarisation, \"public opinion\", theme:framing"),
    "results": ("resultaten", "results"),
    "result": ("resultaat", "result"),
    "no_results": ("Geen documenten gevonden.", "No documents found."),
    "did_you_mean": ("Bedoelde je", "Did you mean"),
    "corrected": ("Niets gevonden voor", "Nothing found for"),
    "showing_for": ("resultaten voor", "showing results for"),
    "also_searched": ("Ook gezocht op", "Also searched for"),
    "not_all_words": ("Geen document bevat alle woorden; documenten met een deel ervan.", "No document holds every word; showing documents with some of them."),
    "page": ("p.", "p."),
    "pages": ("pagina's", "pages"),
    "open_page": ("Open de PDF op pagina", "Open the PDF at page"),
    "filters": ("Filters", "Filters"),
    "facet_theme": ("Thema", "Theme"),
    "facet_type": ("Soort", "Type"),
    "facet_language": ("Taal", "Language"),
    "facet_year": ("Jaar", "Year"),
    "facet_decade": ("Decennium", "Decade"),
    "facet_publisher": ("Uitgever", "Publisher"),
    "remove_filter": ("Filter verwijderen", "Remove filter"),
    "sort": ("Sorteren", "Sort"),
    "sort_relevance": ("Relevantie", "Relevance"),
    "sort_newest": ("Nieuwste publicatie", "Newest publication"),
    "sort_added": ("Laatst toegevoegd", "Recently added"),
    "previous": ("Vorige", "Previous"),
    "next": ("Volgende", "Next"),
    "authors": ("Auteurs", "Authors"),
    "year": ("Jaar", "Year"),
    "date": ("Datum", "Date"),
    "publisher": ("Uitgever", "Publisher"),
    "language": ("Taal", "Language"),
    "type": ("Soort", "Type"),
    "themes": ("Thema's", "Themes"),
    "summary": ("Samenvatting", "Summary"),
    "source": ("Bron", "Source"),
    "added": ("Toegevoegd", "Added"),
    "download": ("Download het origineel", "Download the original"),
    "passages": ("Passages", "Passages"),
    "evidence": ("Waarom dit thema", "Why this theme"),
    "set_by_curator": ("door de redactie toegekend", "set by a curator"),
    "related": ("Verwante studies", "Related studies"),
    "back": ("Terug naar de resultaten", "Back to the results"),
    "error": ("Er ging iets mis", "Something went wrong"),
    "error_500": ("Er ging iets mis aan onze kant. Probeer het later opnieuw.", "Something went wrong on our side. Please try again later."),
    "home": ("Naar de zoekpagina", "To the search page"),
    "newest": ("Nieuw in de kenniskamer", "New in the knowledge room"),
    "switch": ("English", "Nederlands"),
    "needs_ocr": ("Geen tekstlaag: deze PDF is een scan en is niet doorzoekbaar.", "No text layer: this PDF is a scan and cannot be searched."),
}


def translate(key: str, language: str) -> str:
    """The text for ``key`` in the interface language (the key itself if unknown)."""
    pair = TEXTS.get(key)
    if pair is None:
        return key
    return pair[1] if language == "en" else pair[0]
