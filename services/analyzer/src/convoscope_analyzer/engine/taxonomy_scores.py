"""Taxonomy keyword hits of a conversation: each category's keywords counted in its words.

A category's hits are, for each of its English keywords, the times it occurs among the
text's ASCII words, and for each keyword of the conversation's language, the times it
occurs among the words of that language (Chinese and Japanese: as a substring of the
lower-cased text). A phrase ("unit test") occurs where its words follow each other,
counted as ``str.count`` counts `` unit test `` in the words joined by spaces.

The keywords are read into lookup tables once per taxonomy and language
(:class:`_Keywords`): a conversation's hits come from the words it holds that are
keywords (one set intersection), and a phrase is counted only when every one of its
words is among the text's words (else its count is 0: the joined text holds no other
words). The counts are the ones of looping over every keyword of every category
(``tests/unit/engine/test_taxonomy_scores.py`` checks it on more than 10,000
conversations). Nothing is cached per text.
"""

from __future__ import annotations

from collections import Counter
from typing import NamedTuple

from convoscope_analyzer.engine.taxonomy import Taxonomy
from convoscope_analyzer.engine.words import CJK, words
from convoscope_common.results import TopicScore

__all__ = ["MIN_HITS", "MIN_TAXONOMY_SHARE", "taxonomy_scores"]

# A category is assigned when its keyword hits reach this many, or it is the top one.
MIN_HITS = 2
# ...and it holds at least this share of the conversation's keyword hits.
MIN_TAXONOMY_SHARE = 0.2


class _Phrase(NamedTuple):
    """A keyword with a space: the string counted in the joined words, its words after
    the first, and its category."""

    needle: str
    rest: tuple[str, ...]
    category: int


class _Keywords(NamedTuple):
    """One list of keywords (a language's) of every category, as lookup tables."""

    # word -> the category of each listing of it (a category listing it twice: twice)
    single: dict[str, tuple[int, ...]]
    # first word of a phrase -> the phrases starting with it
    phrases: dict[str, tuple[_Phrase, ...]]


def _keywords(listed: list[tuple[int, tuple[str, ...]]]) -> _Keywords:
    single: dict[str, list[int]] = {}
    phrases: dict[str, list[_Phrase]] = {}
    for category, keywords in listed:
        for keyword in keywords:
            if " " in keyword:
                first, *rest = keyword.split(" ")
                phrases.setdefault(first, []).append(_Phrase(f" {keyword} ", tuple(rest), category))
            else:
                single.setdefault(keyword, []).append(category)
    return _Keywords(
        {word: tuple(found) for word, found in single.items()},
        {word: tuple(found) for word, found in phrases.items()},
    )


class _Compiled:
    """A taxonomy's keyword tables: the English ones, and per language its own."""

    __slots__ = ("english", "ids", "own", "substrings", "taxonomy")

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy  # held so that its id is not reused while cached
        self.ids = tuple(category.id for category in taxonomy.categories)
        self.english = _keywords([(i, c.keywords) for i, c in enumerate(taxonomy.categories)])
        self.own: dict[str, _Keywords] = {}
        self.substrings: dict[str, tuple[tuple[str, int], ...]] = {}

    def own_keywords(self, language: str) -> _Keywords:
        found = self.own.get(language)
        if found is None:
            found = _keywords(
                [
                    (i, c.translations.get(language, ()))
                    for i, c in enumerate(self.taxonomy.categories)
                ]
            )
            self.own[language] = found
        return found

    def substring_keywords(self, language: str) -> tuple[tuple[str, int], ...]:
        found = self.substrings.get(language)
        if found is None:
            found = tuple(
                (keyword, i)
                for i, c in enumerate(self.taxonomy.categories)
                for keyword in c.translations.get(language, ())
            )
            self.substrings[language] = found
        return found


_COMPILED: dict[int, _Compiled] = {}
_MAX_COMPILED = 8  # taxonomies in use at once (the default and a few deployments' own)


def _compiled(taxonomy: Taxonomy) -> _Compiled:
    found = _COMPILED.get(id(taxonomy))
    if found is None or found.taxonomy is not taxonomy:
        if len(_COMPILED) >= _MAX_COMPILED:
            _COMPILED.clear()
        found = _COMPILED[id(taxonomy)] = _Compiled(taxonomy)
    return found


def _add_hits(hits: list[int], keywords: _Keywords, toks: list[str]) -> None:
    """Add to ``hits`` (per category) the occurrences of ``keywords`` among ``toks``."""
    counts = Counter(toks)
    single = keywords.single
    for word in single.keys() & counts.keys():
        n = counts[word]
        for category in single[word]:
            hits[category] += n
    phrases = keywords.phrases
    if phrases:
        starts = phrases.keys() & counts.keys()
        if starts:
            joined = " " + " ".join(toks) + " "
            for word in starts:
                for phrase in phrases[word]:
                    # A phrase whose words are not all among ``toks`` cannot occur in
                    # ``joined``, whose words are ``toks``: its count is 0.
                    if all(rest in counts for rest in phrase.rest):
                        hits[phrase.category] += joined.count(phrase.needle)


def taxonomy_scores(text: str, taxonomy: Taxonomy, language: str | None = None) -> list[TopicScore]:
    """The categories of a conversation's text read in ``language``, with their share of
    its keyword hits (the top one always; others with ``MIN_HITS`` hits and
    ``MIN_TAXONOMY_SHARE``), best first."""
    compiled = _compiled(taxonomy)
    hits = [0] * len(compiled.ids)
    # The English keywords (technical words in any language).
    _add_hits(hits, compiled.english, words(text, None))
    if language is not None and language != "en":
        # The conversation's own words, read only when its language has keywords.
        key = language or "en"  # (an empty code reads the "en" translations)
        if language in CJK:  # no spaces between words: count the keyword itself
            substrings = compiled.substring_keywords(key)
            if substrings:
                lowered = text.lower()
                for keyword, category in substrings:
                    hits[category] += lowered.count(keyword)
        else:
            own = compiled.own_keywords(key)
            if own.single or own.phrases:
                _add_hits(hits, own, words(text, language))
    found = {compiled.ids[i]: n for i, n in enumerate(hits) if n}
    total = sum(found.values())
    if not total:
        return []
    ranked = sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))
    scores = []
    for rank, (topic_id, n) in enumerate(ranked):
        share = n / total
        if rank == 0 or (n >= MIN_HITS and share >= MIN_TAXONOMY_SHARE):
            scores.append(TopicScore(topic_id=topic_id, score=round(share, 4)))
    return scores
