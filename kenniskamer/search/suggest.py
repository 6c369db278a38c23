"""Did you mean: the closest frequent word of the library for a word it does not know."""

from __future__ import annotations

from collections import defaultdict

from kenniskamer.index.analysis import stopwords
from kenniskamer.library import Library
from kenniskamer.search.query import And, Node, Not, Or, Phrase, Words, to_text
from kenniskamer.text.prose import fold
from kenniskamer.thesaurus import Thesaurus


class Suggester:
    """Spelling suggestions from the library's vocabulary and the thesaurus's words."""

    def __init__(self, library: Library, thesaurus: Thesaurus):
        self.library = library
        self.thesaurus = thesaurus
        self._vocabulary: tuple[int, dict[str, int], dict[int, list[str]]] | None = None

    def vocabulary(self) -> tuple[dict[str, int], dict[int, list[str]]]:
        """The library's words with their document frequency, and the words by length."""
        count = self.library.count()
        if self._vocabulary is None or self._vocabulary[0] != count:
            # The thesaurus's own words count too: a misspelt Dutch word can be
            # corrected (and then translated) even when only English studies hold it.
            words = dict.fromkeys(self.thesaurus.words(), 1) | self.library.vocabulary()
            by_length: dict[int, list[str]] = defaultdict(list)
            for word in words:
                by_length[len(word)].append(word)
            self._vocabulary = (count, words, dict(by_length))
        return self._vocabulary[1], self._vocabulary[2]

    def word(self, word: str) -> str | None:
        """The closest frequent word of the library (edit distance <= 2) for an unknown word."""
        folded = fold(word)
        if len(folded) < 4 or not folded.isalpha() or folded in stopwords("nl") or folded in stopwords("en"):
            return None
        # One indexed look-up for a known word; the whole vocabulary only for an unknown one.
        if self.library.word_frequencies([folded])[folded] > 0 or self.thesaurus.equivalents(folded):
            return None
        words, by_length = self.vocabulary()
        candidates = [w for n in range(len(folded) - 2, len(folded) + 3) for w in by_length.get(n, ())]
        from rapidfuzz import process  # only for an unknown word: not on every command's start
        from rapidfuzz.distance import OSA

        found = process.extract(folded, candidates, scorer=OSA.distance, score_cutoff=2, limit=50)
        if not found:
            return None
        best = min(found, key=lambda item: (item[1], -words[item[0]]))
        return str(best[0])

    def query(self, tree: Node | None) -> str | None:
        """The query with every unknown word replaced by its suggestion; None if none changed."""
        changed = False

        def fix(node: Node) -> Node:
            nonlocal changed
            if isinstance(node, Words) and " " not in node.text:
                better = self.word(node.text)
                if better:
                    changed = True
                    return Words(better, node.field)
                return node
            if isinstance(node, Phrase):
                fixed = [self.word(w) or w for w in node.text.split()]
                if fixed != node.text.split():
                    changed = True
                    return Phrase(" ".join(fixed), node.field)
                return node
            if isinstance(node, (And, Or)):
                return type(node)(tuple(fix(part) for part in node.parts))
            if isinstance(node, Not):
                return Not(fix(node.part))
            return node

        if tree is None:
            return None
        fixed = fix(tree)
        return to_text(fixed) if changed else None
