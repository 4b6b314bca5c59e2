"""Taxonomy scoring as it was before the keyword tables (engine/taxonomy_scores.py):
every keyword of every category looked up in turn. Frozen: the reference of
test_taxonomy_scores.py and bench/bench_scoring.py."""

from __future__ import annotations

from collections import Counter

from convoscope_analyzer.engine.taxonomy import Taxonomy
from convoscope_analyzer.engine.words import CJK, words
from convoscope_common.results import TopicScore

MIN_HITS = 2
MIN_TAXONOMY_SHARE = 0.2


def taxonomy_scores(text: str, taxonomy: Taxonomy, language: str | None = None) -> list[TopicScore]:
    toks = words(text, None)  # the English keywords (technical words in any language)
    counts = Counter(toks)
    joined = " " + " ".join(toks) + " "
    own = words(text, language) if language not in (None, "en") else []
    own_counts = Counter(own)
    own_joined = " " + " ".join(own) + " "
    lowered = text.lower() if language in CJK else ""
    hits: dict[str, int] = {}
    for category in taxonomy.categories:
        n = 0
        for keyword in category.keywords:
            n += joined.count(f" {keyword} ") if " " in keyword else counts.get(keyword, 0)
        for keyword in category.translations.get(language or "en", ()):
            if language in CJK:  # no spaces between words: count the keyword itself
                n += lowered.count(keyword)
            elif " " in keyword:
                n += own_joined.count(f" {keyword} ")
            else:
                n += own_counts.get(keyword, 0)
        if n:
            hits[category.id] = n
    total = sum(hits.values())
    if not total:
        return []
    ranked = sorted(hits.items(), key=lambda kv: (-kv[1], kv[0]))
    scores = []
    for rank, (topic_id, n) in enumerate(ranked):
        share = n / total
        if rank == 0 or (n >= MIN_HITS and share >= MIN_TAXONOMY_SHARE):
            scores.append(TopicScore(topic_id=topic_id, score=round(share, 4)))
    return scores
