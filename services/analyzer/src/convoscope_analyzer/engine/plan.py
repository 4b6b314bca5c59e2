"""What every shard of one analysis must agree on, decided once before the shards run.

Two answers depend on the whole corpus: the language given to conversations with no
readable text (the corpus's dominant language) and the learned topics. Both are taken
from one bounded, evenly spread sample of the corpus's non-empty conversations, so a
corpus analysed in one process and the same corpus analysed in any number of shards
use the same plan and give the same results.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC

import msgspec

from convoscope_analyzer.engine.language import assign_languages
from convoscope_analyzer.engine.learned import LearnedModel, fit_learned, sample_positions
from convoscope_analyzer.engine.prepared import prepare_corpus
from convoscope_analyzer.engine.topics import learned_documents
from convoscope_common.corpus import Corpus


@dataclass
class AnalysisPlan:
    """The corpus-wide decisions shards share (picklable, for a process pool)."""

    fallback_language: str  # for conversations with no readable text
    learned: LearnedModel  # topic models per language, numbered in this order


def plan_sample(sizes: list[int]) -> list[int]:
    """Positions of the conversations :func:`make_plan` reads, from the message count of
    every conversation of the corpus: ``make_plan`` of a corpus holding only these
    conversations (in this order) is the plan of the whole corpus."""
    non_empty = [i for i, size in enumerate(sizes) if size]
    return [non_empty[i] for i in sample_positions(len(non_empty))]


def make_plan(corpus: Corpus, pulse: Callable[[], None] | None = None) -> AnalysisPlan:
    """The plan of ``corpus`` (redacted when the analysis reads redacted text).

    Reads only the sample: its languages are detected and the topic models fitted on
    it. ``pulse`` is called between the costly parts (progress, cancellation).
    """
    non_empty = [c for c in corpus.conversations if c.messages]
    sample = [non_empty[i] for i in sample_positions(len(non_empty))]
    prepared = prepare_corpus(msgspec.structs.replace(corpus, conversations=sample), UTC)
    stats = assign_languages(prepared)
    if pulse is not None:
        pulse()
    learned = fit_learned(learned_documents(prepared), pulse)
    return AnalysisPlan(fallback_language=stats.fallback, learned=learned)
