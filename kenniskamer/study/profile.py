"""Reading a document's study profile from its text: kind, methods, countries, groups, each with evidence.

The text is cut into sentences, each with a weight for where it stands: the title and
summary say what a study is, a method or data section what it did, the rest of the text
counts least. Reference lists, affiliations, acknowledgements and funding lines are left
out: a country named there, or only in a citation, proves nothing. Every term found adds
its weight times the sentence's; per term, repetition adds less and less
(count ** TERM_EXPONENT). A value is kept when its score reaches the category's floor and
a share of the best value's score. The constants were tuned on the labels in
tests/study/labels.toml (every document of the shared topical corpus, labelled by reading).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from kenniskamer.models import HTML, Evidence, StudyProfile
from kenniskamer.study.vocabulary import CATEGORIES, Vocabulary
from kenniskamer.text.layout import reference_spans
from kenniskamer.text.prose import fold

TITLE_WEIGHT = 4.0
SUMMARY_WEIGHT = 3.0
METHOD_WEIGHT = 2.0
BODY_WEIGHT = 1.0
TERM_EXPONENT = 0.7
MAX_TEXT_CHARS = 600_000  # what is read of a very long document (a 300-page programme)
METHOD_SECTION_CHARS = 12_000
HEADING_CHARS = 80  # longer lines are no heading  # a method section runs to the next heading, or this far

# Kinds.
RESEARCH_FLOOR = 14.0  # research terms and the best method together
REVIEW_FLOOR = 8.0  # review terms
HEADLINE_METHOD = 8.0  # a method named this strongly in the summary or a method section: not a review
MANIFESTO_FLOOR = 8.0  # a programme that does not name itself in its title speaks as a party
POLICY_FLOOR = 8.0
OTHER_FLOOR = 3.0  # slides and the like say so on their first page
# Methods: the best, and the second when it reaches this share of the best.
METHOD_FLOOR = 4.0
EXPERIMENTS = ("survey-experiment", "field-experiment", "lab-experiment")
HEADLINE_EXPERIMENT = 3.0  # an experiment named this strongly in the title or summary is the main method
SECOND_METHOD = 0.5
MAX_METHODS = 2
# Countries: the best one from COUNTRY_MIN (a short article names its country a few times),
# others from COUNTRY_FLOOR, and each at least COUNTRY_SHARE of the best one's score.
COUNTRY_MIN = 2.5
COUNTRY_FLOOR = 6.0
COUNTRY_SHARE = 0.35
EU_KEEP = 0.5
EUROPE_POOLED = 4  # more European countries than this are written as "EU"
# Groups.
GROUP_FLOOR = 8.0
GROUP_SHARE = 0.25
EVIDENCE_PER_VALUE = 2
EVIDENCE_CHARS = 300

_HEADING_NUMBER = r"(?:(?:\d+(?:\.\d+)*|[ivx]+|[a-h])[.)]?\s+)?"
_METHOD_HEADING = re.compile(
    _HEADING_NUMBER
    + r"(?:data|methods?|methodology|research design|study design|experimental design|design|sample|participants|"
    r"procedure|measures|measurement|empirical strategy|analytical strategy|data and methods?|data and measures?|"
    r"data, methods? and measures?|materials and methods|the experiment|experimental setup|case selection|"
    r"methode|methoden|methodologie|onderzoeksopzet|onderzoeksmethode|aanpak|werkwijze|verantwoording|"
    r"data en methoden?|opzet van het onderzoek|daten und methoden?|methode und daten)\b[\w\s,&:-]{0,50}$"
)
_END_HEADING = re.compile(
    _HEADING_NUMBER
    + r"(?:results?|findings|discussion|conclusions?|analysis and results|empirical results|"
    r"resultaten|bevindingen|conclusies?|discussie|ergebnisse|diskussion|fazit)\b[\w\s,&:-]{0,50}$"
)
_REVIEW_HEADING = re.compile(r"(?:literature review|review|overview|introduction to the special issue)\b")
# Lines that say who wrote or paid for a study, not what it studied.
_NOISE = re.compile(
    r"universit|department|faculty|facult|\binstitut|@|e-?mail|correspond|acknowledg|we thank|grateful|dankwoord|"
    r"funded by|funding|financed by|gefinancierd|grant\b|grant agreement|copyright|©|\bdoi\b|orcid|"
    r"received:|accepted:|published online|downloaded from|licen[cs]e|creative commons|\bisbn\b|\bissn\b"
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"“'(\[]?[A-Z0-9À-Ý])")
# A country adjective right before a group names where people came from, not where they were studied.
_ORIGIN_AFTER = re.compile(
    r"[\s\-]+(?:refugee|asylum|immigrant|migrant|vluchteling|asielzoeker|migrant|statushouder|fluchtling|"
    r"gefluchtete|newcomer|nieuwkomer|descent|origin|afkomst|herkomst|community|communities|diaspora|"
    r"background|achtergrond|worker|arbeid|speak|minorit|population|descent|diaspora|displace|invasion)"
)


@dataclass(frozen=True)
class _Sentence:
    text: str
    folded: str
    page: int  # 0: the title or summary
    weight: float
    zone: str  # "title", "summary", "method", "body"
    noise: bool = False  # an affiliation, acknowledgement or funding line: names no country studied


@dataclass(frozen=True)
class _Hit:
    value: str
    term: str
    weight: float  # the term's weight times the sentence's
    sentence: _Sentence


def _dehyphenate(lines: Sequence[str]) -> str:
    text = ""
    for line in lines:
        line = line.strip()
        if text.endswith("-") and line[:1].islower():
            text = text[:-1] + line
        else:
            text = f"{text} {line}" if text else line
    return text


def _split(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]


def _paragraph(lines: list[str], page: int, weight: float) -> Iterator[_Sentence]:
    zone = "method" if weight == METHOD_WEIGHT else "body"
    for sentence in _split(_dehyphenate(lines)):
        folded = fold(sentence)
        if len(folded) >= 12:
            yield _Sentence(sentence, folded, page, weight, zone, bool(_NOISE.search(folded)))
    lines.clear()


def sentences(title: str, summary: str, pages: Sequence[str],
              references: Sequence[tuple[int, int] | None] | None = None) -> Iterator[_Sentence]:
    """Every sentence of a document worth reading, with its page and weight.

    ``references`` are the pages' reference lists if already found (text.layout.reference_spans).
    """
    if title.strip():
        yield _Sentence(title.strip(), fold(title), 0, TITLE_WEIGHT, "title")
    for sentence in _split(summary):
        yield _Sentence(sentence, fold(sentence), 0, SUMMARY_WEIGHT, "summary")
    budget = MAX_TEXT_CHARS
    method_left = 0  # characters of a method section still to come
    spans = reference_spans(pages) if references is None else references
    for number, (page, span) in enumerate(zip(pages, spans), start=1):
        if budget <= 0:
            break
        if span is not None:
            page = page[: span[0]] + "\n\n" + page[span[1] :]
        budget -= len(page)
        lines: list[str] = []
        weight = METHOD_WEIGHT if method_left > 0 else BODY_WEIGHT
        for line in page.split("\n"):
            stripped = line.strip()
            if not stripped:
                yield from _paragraph(lines, number, weight)
                continue
            heading = fold(stripped) if len(stripped) <= HEADING_CHARS else ""
            if heading and (_METHOD_HEADING.match(heading) or _END_HEADING.match(heading)):
                yield from _paragraph(lines, number, weight)
                starts = bool(_METHOD_HEADING.match(heading))
                method_left, weight = (METHOD_SECTION_CHARS, METHOD_WEIGHT) if starts else (0, BODY_WEIGHT)
                continue
            lines.append(stripped)
            if method_left > 0:
                method_left -= len(stripped)
                if method_left <= 0:
                    yield from _paragraph(lines, number, weight)
                    weight = BODY_WEIGHT
        yield from _paragraph(lines, number, weight)


def _hits(vocabulary: Vocabulary, read: Sequence[_Sentence]) -> dict[str, list[_Hit]]:
    """Per category, every term found in the sentences (a country adjective before a group noun left out)."""
    hits: dict[str, list[_Hit]] = {name: [] for name in CATEGORIES}
    for sentence in read:
        folded = sentence.folded
        for category, value, weight, _start, end in vocabulary.matcher.find(folded):
            if category == "country" and (sentence.noise or _ORIGIN_AFTER.match(folded, end)):
                continue
            hits[category].append(_Hit(value, folded[_start:end], weight * sentence.weight, sentence))
    return hits


def _scores(hits: Sequence[_Hit], zones: set[str] | None = None) -> dict[str, float]:
    """Per value, the sum over its terms of weight * (weighted count) ** TERM_EXPONENT."""
    per_term: dict[tuple[str, str], list[float]] = defaultdict(list)
    for hit in hits:
        if zones is None or hit.sentence.zone in zones:
            per_term[(hit.value, hit.term)].append(hit.weight)
    scores: dict[str, float] = defaultdict(float)
    for (value, _term), weights in per_term.items():
        # The sum of weights is (term weight x zone weights): damp the count, keep the weight.
        top = max(weights)
        scores[value] += top * (sum(weights) / top) ** TERM_EXPONENT
    return dict(scores)


def _ranked(scores: dict[str, float]) -> list[tuple[str, float]]:
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def _evidence(hits: Sequence[_Hit], values: Sequence[str]) -> tuple[Evidence, ...]:
    found: list[Evidence] = []
    for value in values:
        # The strongest sentences first; an affiliation or funding line only when nothing else says it.
        best = sorted((hit for hit in hits if hit.value == value),
                      key=lambda hit: (hit.sentence.noise, -hit.weight, hit.sentence.page))
        seen: set[str] = set()
        for hit in best:
            if hit.sentence.text in seen:
                continue
            seen.add(hit.sentence.text)
            text = hit.sentence.text
            found.append(Evidence(value, text if len(text) <= EVIDENCE_CHARS else text[: EVIDENCE_CHARS - 1] + "…",
                                  hit.sentence.page))
            if len(seen) >= EVIDENCE_PER_VALUE:
                break
    return tuple(found)


def _kind(hits: Sequence[_Hit], mime: str, doc_type: str | None, methods: dict[str, float],
          headline_methods: dict[str, float]) -> tuple[str, list[_Hit]]:
    """The kind, and the hits that say so; the order of the rules matters (see each)."""

    def said(kind: str) -> tuple[str, list[_Hit]]:
        return kind, [hit for hit in hits if hit.value == kind]

    scores = _scores(hits)
    title = _scores(hits, {"title"})
    front = _scores([hit for hit in hits if hit.sentence.page <= 1])
    research = scores.get("research", 0.0) + max(methods.values(), default=0.0)
    # A programme names itself in its title (or the extractor found it on its cover); a
    # study of manifestos names them in its summary, which proves nothing.
    if doc_type == "manifesto" or title.get("manifesto", 0.0) > 0:
        return said("manifesto")
    if doc_type == "slides" or front.get("other", 0.0) >= OTHER_FLOOR:
        return said("other")
    if mime == HTML and doc_type in ("article", "webpage") and research < 2 * RESEARCH_FLOOR:
        return said("article")
    # A review says so, and has no method section of its own nor a method in its summary.
    if scores.get("review", 0.0) >= REVIEW_FLOOR and max(headline_methods.values(), default=0.0) < HEADLINE_METHOD:
        return said("review")
    if research >= RESEARCH_FLOOR:
        return said("research")
    if scores.get("manifesto", 0.0) >= MANIFESTO_FLOOR:
        return said("manifesto")
    if scores.get("policy", 0.0) >= POLICY_FLOOR:
        return said("policy")
    return said("article" if mime == HTML else "review")


def _methods(hits: Sequence[_Hit]) -> list[str]:
    """The main methods: the strongest, and the next one if it is not far behind.

    An experiment a summary names comes first: experimental studies also speak at length of
    their survey, respondents and waves, which the survey method counts.
    """
    ranked = [(value, score) for value, score in _ranked(_scores(hits)) if score >= METHOD_FLOOR]
    if not ranked:
        return []
    headline = _scores(hits, {"title", "summary"})
    named = [value for value, _ in _ranked(headline) if value in EXPERIMENTS and headline[value] >= HEADLINE_EXPERIMENT]
    if named:
        ranked.sort(key=lambda item: item[0] != named[0])
    best = max(score for _, score in ranked)
    chosen = [ranked[0][0]] + [value for value, score in ranked[1:] if score >= SECOND_METHOD * best]
    return chosen[:MAX_METHODS]


def _countries(vocabulary: Vocabulary, hits: Sequence[_Hit], kind: str) -> list[str]:
    """The countries studied: the best one from COUNTRY_MIN, others from COUNTRY_FLOOR, each a share of the best.

    "EU" (a pooled European survey, "15 European countries") counts only where the summary
    (or a study's method section) says so. Beside two to four European countries that each
    weigh half as much as it, it is the set of those countries and gives way to them;
    otherwise it stands for the European countries that weigh less than it does. More than
    EUROPE_POOLED European countries are written as "EU".
    """
    zones = ("title", "summary", "method") if kind == "research" else ("title", "summary")
    scores = _scores(hits)
    for wide in ("EU", "multi"):
        if not any(hit.value == wide and hit.sentence.zone in zones for hit in hits):
            scores.pop(wide, None)
    if kind != "research" and scores.get("EU", 0.0) < max((v for k, v in scores.items() if k != "EU"), default=0.0):
        scores.pop("EU", None)  # a programme or an article about one country that also speaks of Europe
    ranked = _ranked(scores)
    best = ranked[0][1] if ranked else 0.0
    chosen = [value for index, (value, score) in enumerate(ranked)
              if score >= COUNTRY_MIN and score >= COUNTRY_SHARE * best and (index == 0 or score >= COUNTRY_FLOOR)]
    countries = vocabulary["country"]
    european = [value for value in chosen if value not in ("EU", "multi") and countries.entry(value).european]
    if "EU" in chosen:
        eu = scores["EU"]
        if 2 <= len(european) <= EUROPE_POOLED and all(scores[value] >= EU_KEEP * eu for value in european):
            chosen.remove("EU")
        else:
            chosen = [value for value in chosen if value not in european or scores[value] > eu]
    elif len(european) > EUROPE_POOLED:
        chosen = [value for value in chosen if value not in european] + ["EU"]
    return chosen


def _groups(hits: Sequence[_Hit]) -> list[str]:
    ranked = [(value, score) for value, score in _ranked(_scores(hits)) if score >= GROUP_FLOOR]
    if not ranked:
        return []
    best = ranked[0][1]
    return [value for value, score in ranked if score >= GROUP_SHARE * best]


def read_profile(vocabulary: Vocabulary, *, title: str, summary: str | None, pages: Sequence[str], mime: str,
                 doc_type: str | None, references: Sequence[tuple[int, int] | None] | None = None) -> StudyProfile:
    """The study profile of a document, from its title, summary and page text (and its reference lists, if found)."""
    hits = _hits(vocabulary, list(sentences(title, summary or "", pages, references)))
    method_hits, country_hits, group_hits = hits["method"], hits["country"], hits["group"]
    kind, kind_hits = _kind(hits["kind"], mime, doc_type, _scores(method_hits),
                            _scores(method_hits, {"title", "summary", "method"}))
    methods = _methods(method_hits) if kind == "research" else []
    countries = _countries(vocabulary, country_hits, kind)
    groups = _groups(group_hits)
    evidence = {
        "kind": _evidence(kind_hits, [kind]),
        "methods": _evidence(method_hits, methods),
        "countries": _evidence(country_hits, countries),
        "groups": _evidence(group_hits, groups),
    }
    return StudyProfile(kind, tuple(methods), tuple(countries), tuple(groups),
                        {name: found for name, found in evidence.items() if found}, vocabulary.rules)
