"""Incremental analysis: the results of a whole corpus, computing only what changed.

Identical to :func:`~convoscope_analyzer.engine.pipeline.analyze` on the same corpus:

1. Every conversation gets a digest of what the engine reads from it; the corpus is cut
   into content-defined chunks (engine/pieces.py). A chunk whose digest has a piece is
   reused; the others are analysed (:func:`analyze_shard`), only they.
2. The plan is made as :func:`make_plan` makes it, from the same sample, but from cached
   parts: the fallback language from the conversations' own languages (cached, or
   detected for new conversations), the topic model fitted on the sample's texts.
3. The learned topics of every conversation are recomputed under the new model from its
   cached term counts (no text is tokenised again); a chunk analysed under another
   fallback language, when one of its conversations relied on it, is analysed again.
4. The chunk partials, re-based to their positions, merge as shards do
   (:func:`merge_partials`).

The new pieces (those of this corpus only) come back for the next run.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import msgspec

from convoscope_analyzer.engine.encoded_index import JoinedIndex, settled
from convoscope_analyzer.engine.language import UNKNOWN, assign_languages, dominant
from convoscope_analyzer.engine.learned import (
    Document,
    LearnedModel,
    LearnedRow,
    sample_positions,
    term_counts,
)
from convoscope_analyzer.engine.merge import merge_encoded
from convoscope_analyzer.engine.options import Checkpoint, EngineOptions, ProgressCallback
from convoscope_analyzer.engine.options import ProgressUpdate as Update
from convoscope_analyzer.engine.partial import ShardPartial, analyze_shard
from convoscope_analyzer.engine.pieces import (
    MAX_CUTS,
    ChunkPiece,
    ConversationPiece,
    EnginePieces,
    chunk_bounds,
    chunk_digest,
    conversation_digest,
)
from convoscope_analyzer.engine.pipeline import STEP_WEIGHTS, insights
from convoscope_analyzer.engine.plan import AnalysisPlan
from convoscope_analyzer.engine.prepared import prepare_corpus, resolve_timezone
from convoscope_analyzer.engine.progress import ProgressTracker
from convoscope_analyzer.engine.topic_models import InProcess, TopicModels
from convoscope_analyzer.engine.topics import LearnedInput, TopicRows, user_text
from convoscope_common.corpus import Conversation, Corpus
from convoscope_common.results import AnalysisResults

STEP_REUSE = "Reusing earlier results"
STEP_NEW = "Analysing new and changed conversations"
STEP_TOPICS = "Classifying topics"
STEP_MERGE = "Building charts"


@dataclass
class IncrementalStats:
    """What one incremental run reused and computed (for logs, metrics and the bench)."""

    conversations: int = 0
    chunks: int = 0
    chunks_reused: int = 0
    conversations_reused: int = 0  # in reused chunks
    conversations_analysed: int = 0  # in analysed chunks
    messages_analysed: int = 0  # their messages
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class IncrementalOutput:
    """Results, the pieces to keep, and what was reused; with the message index left
    encoded (``encoded_index``), the index beside the results."""

    results: AnalysisResults
    pieces: EnginePieces
    stats: IncrementalStats
    message_index: JoinedIndex | None = None


def analyze_incremental(
    corpus: Corpus,
    options: EngineOptions,
    previous: EnginePieces | None,
    *,
    progress: ProgressCallback | None = None,
    checkpoint: Checkpoint | None = None,
    now: datetime | None = None,
    models: TopicModels | None = None,
    encoded_index: bool = False,
    digests: list[str] | None = None,
) -> IncrementalOutput:
    """Analyse ``corpus`` (as the engine reads it: redacted when privacy is on), reusing
    ``previous`` pieces (made under the same fingerprint; None: none).

    ``digests``: the conversations' content keys when the caller has them
    (``pieces.redacted_digest``; the same kind as the ``previous`` pieces were made
    with); default :func:`conversation_digest` of each.

    Results are identical to ``analyze(corpus, options)``. ``progress`` gets monotonic
    updates from 0 to 1; ``checkpoint`` is called between chunks and what it raises
    propagates. ``models`` fits and reads the learned topics (default: in this process);
    models elsewhere (the service's child process) fit while the new chunks are analysed
    here. ``encoded_index`` leaves the message index encoded (``output.message_index``).
    Raises :class:`InvalidTimezoneError` for an unknown timezone.
    """
    zone = resolve_timezone(options.timezone)
    old = previous or EnginePieces()
    conversations = corpus.conversations
    n = len(conversations)
    stats = IncrementalStats(conversations=n)
    check = checkpoint or (lambda: None)

    def report(fraction: float, step: str, message: str, found: list[str] | None = None) -> None:
        if progress is not None:
            update = Update(fraction=round(fraction, 4), step=step, message=message)
            progress(msgspec.structs.replace(update, new_insights=found or []))

    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now_ = time.perf_counter()
        stats.timings[name] = stats.timings.get(name, 0.0) + now_ - clock
        clock = now_

    report(0.0, STEP_REUSE, f"Comparing {n:,} conversations with the earlier analysis")
    if digests is None:
        digests = [conversation_digest(c) for c in conversations]
    elif len(digests) != n:
        raise ValueError(f"{len(digests)} digests for {n} conversations")
    present = set(digests)
    cuts = [d for d in old.cuts if d in present]
    bounds = chunk_bounds(digests, frozenset(cuts))
    if digests and digests[-1] not in cuts:
        cuts = [*cuts, digests[-1]][-MAX_CUTS:]
    keys = [chunk_digest(digests[a:b]) for a, b in bounds]
    stats.chunks = len(bounds)

    # Own languages: cached; the sample's others are detected now (the plan needs them,
    # as make_plan detects its sample's), the rest as their chunks are analysed.
    own: list[str | None] = [None] * n
    for i, digest in enumerate(digests):
        cached = old.conversations.get(digest)
        if cached is not None:
            own[i] = cached.language
    sample = _sample(corpus)
    missing = [i for i in sample if own[i] is None]
    if missing:
        part = msgspec.structs.replace(corpus, conversations=[conversations[i] for i in missing])
        prepared = prepare_corpus(part, zone)
        stats_ = assign_languages(prepared, fallback=UNKNOWN)  # each its own language
        for i, language in zip(missing, stats_.own, strict=True):
            own[i] = language
        del prepared, part
    check()
    lap("digests and sample languages")

    def counts(i: int, language: str) -> dict[str, int]:
        cached = old.conversations.get(digests[i])
        if cached is not None and cached.terms_language == language:
            return cached.terms
        return term_counts(language, user_text(conversations[i]))

    fallback, documents = _plan_inputs(sample, own, counts)
    lap("plan inputs")
    # The model is fitted again: the sample is spread evenly over the corpus, so any
    # added conversation moves it (a from-scratch analysis fits on the new sample).
    topic_models: TopicModels = models if models is not None else InProcess()
    no_learned = AnalysisPlan(fallback_language=fallback, learned=LearnedModel(models=[]))

    def analyse_chunks() -> tuple[list[ShardPartial], dict[str, ChunkPiece]]:
        return _chunks(
            corpus, bounds, keys, old, own, fallback, no_learned, options, stats, report, checkpoint
        )

    early: dict[int, LearnedInput] = {}
    early_rows: list[LearnedRow] = []
    if isinstance(topic_models, InProcess):
        # In this process a fit beside the chunks would contend for the GIL (measured
        # slower on a loaded machine): one after the other.
        learned = topic_models.fit(documents, check)
        lap("topic fit")
        report(0.1, STEP_REUSE, "Topic models fitted on the sample")
        partials, chunks = analyse_chunks()
        lap("chunks")
    else:
        # Another process fits, then reads the learned rows of the conversations whose
        # input is known already (cached), while the new chunks are analysed here.
        early = _known_inputs(conversations, digests, own, fallback, bounds, keys, old)
        fitting = _Fitting(topic_models, documents, check, list(early.values()))
        partials, chunks = analyse_chunks()
        lap("chunks")
        learned, early_rows = fitting.result()
        lap("topic fit and known rows (waited for)")
    plan = AnalysisPlan(fallback_language=fallback, learned=learned)
    report(0.8, STEP_TOPICS, "Reading learned topics")
    pieces = _learned_rows(
        corpus, digests, own, plan, partials, old, topic_models, early, early_rows
    )
    check()
    lap("learned topics")
    report(0.9, STEP_MERGE, "Merging")
    results, joined = merge_encoded(partials, plan, options, conversations=n, now=now)
    message_index = settled(results, joined, encoded_index)
    lap("merge")
    for partial in partials:  # the pieces keep no plan-dependent rows
        partial.topics.learned = []
        partial.start, partial.end = 0, partial.end - partial.start
    report(1.0, "Complete", "Analysis complete", insights(results))
    kept = EnginePieces(chunks=chunks, conversations=pieces, cuts=cuts)
    return IncrementalOutput(
        results=results,
        pieces=kept,
        stats=stats,
        message_index=message_index,
    )


def _sample(corpus: Corpus) -> list[int]:
    """Positions of the conversations :func:`make_plan` samples."""
    non_empty = [i for i, c in enumerate(corpus.conversations) if c.messages]
    return [non_empty[p] for p in sample_positions(len(non_empty))]


def _plan_inputs(
    sample: list[int],
    own: list[str | None],
    counts: Callable[[int, str], dict[str, int]],
) -> tuple[str, list[tuple[str | None, Document]]]:
    """What :func:`make_plan` decides and fits from: the fallback language (from the
    sample's own languages) and the sample's documents (as cached term counts)."""
    languages = [own[i] or UNKNOWN for i in sample]
    fallback = dominant(languages)
    documents: list[tuple[str | None, Document]] = []
    for i, language in zip(sample, languages, strict=True):
        read_as = language if language != UNKNOWN else fallback
        documents.append((read_as, counts(i, read_as)))
    return fallback, documents


def _chunks(
    corpus: Corpus,
    bounds: list[tuple[int, int]],
    keys: list[str],
    old: EnginePieces,
    own: list[str | None],
    fallback: str,
    no_learned: AnalysisPlan,
    options: EngineOptions,
    stats: IncrementalStats,
    report: Callable[[float, str, str], None],
    checkpoint: Checkpoint | None,
) -> tuple[list[ShardPartial], dict[str, ChunkPiece]]:
    """The partial of every chunk, reused when its piece was made under this fallback (or
    needs none), else analysed; and the chunk pieces of this corpus."""
    conversations = corpus.conversations
    check = checkpoint or (lambda: None)
    total_messages = sum(len(c.messages) for c in conversations) or 1
    done_messages = 0
    partials: list[ShardPartial] = []
    chunks: dict[str, ChunkPiece] = {}
    for (a, b), key in zip(bounds, keys, strict=True):
        piece = old.chunks.get(key)
        if piece is not None and (
            piece.fallback not in (None, fallback)
            or key in chunks
            or any(own[i] is None for i in range(a, b))
        ):
            # Another fallback; a repeated chunk, whose piece is in use; or (never from
            # a store this module wrote) a conversation without its piece.
            piece = None
        in_chunk = sum(len(c.messages) for c in conversations[a:b])
        if piece is None:
            tracker = ProgressTracker(dict(STEP_WEIGHTS), None, checkpoint)
            found: list[str] = []
            partial = analyze_shard(
                corpus, conversations[a:b], a, no_learned, options, tracker, found
            )
            own[a:b] = found
            relies = UNKNOWN in found
            piece = ChunkPiece(partial=partial, fallback=fallback if relies else None)
            stats.conversations_analysed += b - a
            stats.messages_analysed += in_chunk
        else:
            stats.chunks_reused += 1
            stats.conversations_reused += b - a
        piece.partial.start, piece.partial.end = a, b
        partials.append(piece.partial)
        chunks[key] = piece
        check()
        done_messages += in_chunk
        report(
            0.1 + 0.7 * done_messages / total_messages,
            STEP_NEW,
            f"{stats.chunks_reused:,} of {len(bounds):,} chunks reused",
        )
    return partials, chunks


class _Fitting:
    """The topic models fitted, then ``known`` inputs read with them, in a thread (which
    waits on the process that does both)."""

    def __init__(
        self,
        models: TopicModels,
        documents: Sequence[tuple[str | None, Document]],
        pulse: Callable[[], None],
        known: list[LearnedInput],
    ) -> None:
        self._models = models
        self._documents = documents
        self._pulse = pulse
        self._known = known
        self._model: LearnedModel | None = None
        self._rows: list[LearnedRow] = []
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="topic-fit", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            model = self._models.fit(self._documents, self._pulse)
            rows = TopicRows(deferred=self._known)
            self._models.read(rows, model)
            self._model, self._rows = model, rows.learned
        except BaseException as exc:  # raised again in the caller's thread
            self._error = exc

    def result(self) -> tuple[LearnedModel, list[LearnedRow]]:
        """The fitted models and the known inputs' rows (what the thread raised is
        raised here)."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._model is not None
        return self._model, self._rows


def _known_inputs(
    conversations: Sequence[Conversation],
    digests: list[str],
    own: list[str | None],
    fallback: str,
    bounds: list[tuple[int, int]],
    keys: list[str],
    old: EnginePieces,
) -> dict[int, LearnedInput]:
    """The learned-topic input of each conversation known before any chunk is analysed:
    in a chunk with a stored piece (its id and month) and with cached term counts in the
    language it is read in. By position; :func:`_learned_rows` checks each against the
    input it builds once the chunks are done and reads again any that differ."""
    known: dict[int, LearnedInput] = {}
    for (a, b), key in zip(bounds, keys, strict=True):
        piece = old.chunks.get(key)
        if piece is None:
            continue
        months = piece.partial.months
        for i in range(a, b):
            cached = old.conversations.get(digests[i])
            mine = own[i]
            if cached is None or mine is None or not conversations[i].messages:
                continue
            language = mine if mine != UNKNOWN else fallback
            if cached.terms_language != language:
                continue
            cid, month = months[i - a]
            title = conversations[i].title or ""
            known[i] = LearnedInput(i, cid, month, title, language, cached.terms)
    return known


def _learned_rows(
    corpus: Corpus,
    digests: list[str],
    own: list[str | None],
    plan: AnalysisPlan,
    partials: list[ShardPartial],
    old: EnginePieces,
    models: TopicModels,
    early: dict[int, LearnedInput],
    early_rows: list[LearnedRow],
) -> dict[str, ConversationPiece]:
    """Learned-topic rows of every conversation under ``plan`` (read by ``models``; those
    of the ``early`` inputs were read already, ``early_rows``, and are kept where the
    input is still the same), put into the partials holding them; returns the
    conversation pieces of this corpus."""
    learned = plan.learned
    pieces: dict[str, ConversationPiece] = {}
    deferred: list[LearnedInput] = []
    confirmed: set[int] = set()  # early inputs still the same: their rows are kept
    conversations = corpus.conversations
    for partial in partials:
        months = partial.months
        for offset, (cid, month) in enumerate(months):
            i = partial.start + offset
            conversation = conversations[i]
            digest = digests[i]
            mine = own[i] or UNKNOWN
            language = mine if mine != UNKNOWN else plan.fallback_language
            piece = old.conversations.get(digest)
            if piece is None or piece.terms_language != language:
                terms = (
                    term_counts(language, user_text(conversation)) if conversation.messages else {}
                )
                piece = ConversationPiece(language=mine, terms_language=language, terms=terms)
            pieces[digest] = piece
            if not conversation.messages or learned.index_of(language) is None:
                continue
            title = conversation.title or ""
            item = LearnedInput(i, cid, month, title, language, piece.terms)
            read = early.get(i)
            if read is not None and _same_input(read, item):
                confirmed.add(i)
                continue
            deferred.append(item)
    rows = TopicRows(deferred=deferred)
    models.read(rows, learned)  # the rows in position order
    found = rows.learned
    if early_rows:
        found = [*found, *(row for row in early_rows if row.position in confirmed)]
        found.sort(key=lambda row: row.position)
    # Into the partial covering each row's position (partials are in corpus order).
    at = 0
    for partial in partials:
        partial.topics.learned = []
    for row in found:
        while partials[at].end <= row.position:
            at += 1
        partials[at].topics.learned.append(row)
    return pieces


def _same_input(a: LearnedInput, b: LearnedInput) -> bool:
    return (
        a.position == b.position
        and a.conversation_id == b.conversation_id
        and a.month == b.month
        and a.title == b.title
        and a.language == b.language
        and (a.terms is b.terms or a.terms == b.terms)
    )
