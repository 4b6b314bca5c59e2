"""What every shard of one analysis must agree on, decided once for the whole corpus.

Two answers depend on the whole corpus: the language given to conversations with no
readable text (the corpus's dominant language: the **fallback**) and the learned topics.
Both are taken from one bounded, evenly spread sample of the corpus's non-empty
conversations, so a corpus analysed in one process and the same corpus analysed in any
number of shards use the same plan and give the same results.

A shard needs only the fallback; the learned topics are applied to its rows afterwards
(``topics.apply_learned``), so a sharded run reads the sample's languages
(:class:`SampleReader`), starts the shards with the fallback and fits the topic models
while they run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC

from convoscope_analyzer.engine import language as languages
from convoscope_analyzer.engine.language import UNKNOWN, assign_languages, dominant
from convoscope_analyzer.engine.learned import LearnedModel, sample_positions
from convoscope_analyzer.engine.prepared import prepare_corpus
from convoscope_analyzer.engine.topic_models import InProcess, TopicModels
from convoscope_analyzer.engine.topics import user_text
from convoscope_common.corpus import Conversation, Corpus


@dataclass
class AnalysisPlan:
    """The corpus-wide decisions shards share (picklable, for a process pool)."""

    fallback_language: str  # for conversations with no readable text
    learned: LearnedModel  # topic models per language, numbered in this order


@dataclass
class ShardPlan:
    """What a shard needs to start: the fallback language. Its learned-topic rows are
    read later, once the topic models are fitted (it records their input instead)."""

    fallback_language: str
    learned: None = None


def plan_sample(sizes: list[int]) -> list[int]:
    """Positions of the conversations :func:`make_plan` reads, from the message count of
    every conversation of the corpus: ``make_plan`` of a corpus holding only these
    conversations (in this order) is the plan of the whole corpus."""
    non_empty = [i for i, size in enumerate(sizes) if size]
    return [non_empty[i] for i in sample_positions(len(non_empty))]


class SampleReader:
    """The plan's sample (read whole or in pieces, in corpus order): each conversation's
    own language (before any fallback) and user text; then the fallback and the fit."""

    def __init__(self) -> None:
        self.languages: list[str] = []
        self.texts: list[str] = []

    def add(self, conversations: Sequence[Conversation]) -> None:
        """Read the next sample conversations (as the analysis reads them: redacted when
        it reads redacted text)."""
        if not conversations:
            return
        # Each conversation's own language does not depend on the others (no fallback).
        self.languages += [own_language(c) for c in conversations]
        self.texts += [user_text(c) for c in conversations]

    def fallback(self) -> str:
        """The language of conversations with no readable text: the sample's dominant."""
        return dominant(self.languages)

    def settled_fallback(self, left: int) -> str | None:
        """:meth:`fallback` as it will be once ``left`` more sample conversations are
        read, when none of them can change it (else None): a sharded run starts its
        analyse shards with it while the last ranges are still detected."""
        return settled_dominant(self.languages, left)

    def documents(self) -> list[tuple[str | None, str]]:
        """What the topic models are fitted on: each sample conversation's language (the
        fallback for one with none) and its user text."""
        fallback = self.fallback()
        return [
            (language if language != UNKNOWN else fallback, text)
            for language, text in zip(self.languages, self.texts, strict=True)
        ]

    def plan(
        self, pulse: Callable[[], None] | None = None, models: TopicModels | None = None
    ) -> AnalysisPlan:
        """The plan: the fallback and the topic models fitted on the sample (by
        ``models``; default: in this process)."""
        fitter = models if models is not None else InProcess()
        learned = fitter.fit(self.documents(), pulse or _no_pulse)
        return AnalysisPlan(fallback_language=self.fallback(), learned=learned)


def settled_dominant(languages: list[str], left: int) -> str | None:
    """``dominant(languages + more)`` for every list ``more`` of ``left`` languages, when
    they all give the same answer (else None).

    ``dominant`` counts known languages and gives the first seen on a tie; a language not
    seen yet would be seen after every one counted here.
    """
    if left <= 0:
        return dominant(languages)
    counts: dict[str, int] = {}  # known languages, in first-seen order
    for language in languages:
        if language != UNKNOWN:
            counts[language] = counts.get(language, 0) + 1
    if not counts:
        return None
    leader = max(counts, key=counts.__getitem__)
    lead = counts[leader]
    before = True  # whether the language looked at was seen before the leader
    for language, count in counts.items():
        if language == leader:
            before = False
            continue
        # ``language`` may get all ``left``: it wins with more, or as many when seen first.
        if count + left > lead or (count + left == lead and before):
            return None
    # A language not seen yet may get all ``left`` (and loses a tie: it comes later).
    return leader if left <= lead else None


def _no_pulse() -> None:
    pass


def own_language(conversation: Conversation) -> str:
    """The conversation's own language (before any fallback), as ``assign_languages``
    gives it in ``own``, detecting no more of its user messages than it takes: once one
    language leads every other by more than the messages left, none of them can change
    the answer (a third of the sample's detections on the benchmark export)."""
    texts = [m.text for m in conversation.messages if m.role == "user" and m.text.strip()]
    counts: dict[str, int] = {}  # known languages, in first-seen order
    left = len(texts)
    for text in texts:
        left -= 1
        language = languages.detect(text).language
        if language == UNKNOWN:
            continue
        counts[language] = counts.get(language, 0) + 1
        ordered = sorted(counts.values(), reverse=True)
        if ordered[0] > (ordered[1] if len(ordered) > 1 else 0) + left:
            break
    if counts:
        # ``dominant``: the most frequent, the first seen on a tie.
        return max(counts, key=counts.__getitem__)
    # No user message sure of its language: the guesses, then the first answers, decide.
    prepared = prepare_corpus(Corpus(conversations=[conversation]), UTC)
    return assign_languages(prepared, fallback=UNKNOWN).own[0]


def make_plan(corpus: Corpus, pulse: Callable[[], None] | None = None) -> AnalysisPlan:
    """The plan of ``corpus`` (redacted when the analysis reads redacted text).

    Reads only the sample: its languages are detected and the topic models fitted on
    it. ``pulse`` is called between the costly parts (progress, cancellation).
    """
    reader = SampleReader()
    sample = plan_sample([len(c.messages) for c in corpus.conversations])
    reader.add([corpus.conversations[i] for i in sample])
    if pulse is not None:
        pulse()
    return reader.plan(pulse)
