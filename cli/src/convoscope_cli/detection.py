"""Personal-data detection on every core, with exactly the redaction one process makes.

Redaction numbers placeholders across the whole corpus in reading order (the first
e-mail address seen is ``<EMAIL_1>`` everywhere), so the corpus cannot simply be split.
What is expensive, though, is *detection*, and detection of one text depends on that
text alone. So:

1. forked workers each take a contiguous run of conversations and record the detections
   of every text in the order the redaction visits them (the analyzer's own traversal,
   with a recording :class:`Redactor`);
2. this process then runs the ordinary redaction with a :class:`ReplayRedactor` that
   hands out those detections in the same order instead of detecting again, so the
   numbering, the replacements and the privacy report are made by the same code, once,
   in order.

Each recorded entry carries the text's hash (workers are forked, so ``hash`` agrees) and
the replay refuses a text that does not match: a misalignment fails loudly instead of
redacting the wrong spans. A test checks results and redacted corpus against a plain run.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed

import msgspec

from convoscope_analyzer.privacy import (
    Detection,
    PrivacyConfig,
    Redactor,
    redact_corpus_in_place,
)
from convoscope_common.corpus import Corpus
from convoscope_exporter.parallel import can_fork

# Several chunks per worker, so a slow chunk does not leave the others idle at the end.
_CHUNKS_PER_WORKER = 4
# Below this many messages the pool costs more than it saves.
MIN_MESSAGES = 2_000

Recorded = list[tuple[int, list[Detection]]]

# The corpus forked workers read: set in the parent just before the pool forks.
_SHARED: tuple[Corpus, PrivacyConfig] | None = None


class _RecordingRedactor(Redactor):
    """Detects, records, and changes nothing (the worker's copy is thrown away)."""

    def __init__(self, config: PrivacyConfig) -> None:
        super().__init__(config)
        self.recorded: Recorded = []

    def redact_text(self, text: str) -> tuple[str, list[Detection]]:
        self.recorded.append((hash(text), self.detect(text)))
        return text, []


class ReplayRedactor(Redactor):
    """A :class:`Redactor` whose detections come from the workers, in visiting order.

    Texts after the recorded ones (project names, which follow the conversations) are
    detected here as usual.
    """

    def __init__(self, config: PrivacyConfig, recorded: Iterator[tuple[int, list[Detection]]]):
        super().__init__(config)
        self._recorded = recorded

    def detect(self, text: str) -> list[Detection]:
        entry = next(self._recorded, None)
        if entry is None:
            return super().detect(text)
        expected_hash, detections = entry
        if expected_hash != hash(text):
            raise RuntimeError("parallel detection is out of step with the redaction")
        return detections


def chunk_bounds(sizes: list[int], chunks: int) -> list[tuple[int, int]]:
    """Split items with ``sizes`` into at most ``chunks`` contiguous, similar-sized runs."""
    total = sum(sizes)
    if not sizes:
        return []
    target = max(1, total // max(1, chunks))
    bounds: list[tuple[int, int]] = []
    start = acc = 0
    for i, size in enumerate(sizes):
        acc += size
        if acc >= target and len(bounds) < chunks - 1:
            bounds.append((start, i + 1))
            start, acc = i + 1, 0
    if start < len(sizes):
        bounds.append((start, len(sizes)))
    return bounds


def detect_in_parallel(
    corpus: Corpus,
    config: PrivacyConfig,
    workers: int,
    progress: Callable[[int, int], None] | None = None,
) -> ReplayRedactor | None:
    """Detections of every conversation text, computed by ``workers`` forked processes,
    as a redactor for :func:`~convoscope_analyzer.pipeline.run_pipeline`. None when one
    process is as good (one worker, a small corpus, or no ``fork`` here).
    ``progress(done, total)`` counts messages as chunks finish.
    """
    global _SHARED
    sizes = [max(1, len(c.messages)) for c in corpus.conversations]
    total = sum(len(c.messages) for c in corpus.conversations)
    if workers <= 1 or total < MIN_MESSAGES or not _can_fork():
        return None
    bounds = chunk_bounds(sizes, workers * _CHUNKS_PER_WORKER)
    recorded: dict[int, Recorded] = {}
    sys.stdout.flush()
    sys.stderr.flush()
    _SHARED = (corpus, config)
    done = 0
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = {
                pool.submit(_record_chunk, a, b): (i, a, b) for i, (a, b) in enumerate(bounds)
            }
            for future in as_completed(futures):
                index, a, b = futures[future]
                recorded[index] = future.result()
                done += sum(len(c.messages) for c in corpus.conversations[a:b])
                if progress is not None:
                    progress(done, total)
    finally:
        _SHARED = None
    ordered = (entry for index in range(len(bounds)) for entry in recorded[index])
    return ReplayRedactor(config, ordered)


_can_fork = can_fork  # one definition: the exporter's, shared with parallel rendering


def _record_chunk(start: int, end: int) -> Recorded:
    """Runs in a forked worker: the detections of conversations[start:end], in order."""
    assert _SHARED is not None, "detection workers must be forked from detect_in_parallel"
    corpus, config = _SHARED
    part = msgspec.structs.replace(
        corpus, conversations=corpus.conversations[start:end], projects=[]
    )
    recorder = _RecordingRedactor(config)
    # In place is safe: this is the worker's copy-on-write view, and nothing is replaced.
    redact_corpus_in_place(part, config, redactor=recorder)
    return recorder.recorded
