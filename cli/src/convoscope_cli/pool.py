"""The sharded analysis on every core: the per-shard stages in forked worker processes.

:func:`convoscope_analyzer.sharded.run_sharded` splits the corpus into conversation
ranges; here each range's detection and analysis run in a process pool
(:class:`PoolRunner`). Workers are forked, so they read the corpus (and the plan) they
inherit instead of receiving a copy through a pipe; a shard's partial comes back as
msgpack. The redaction, the topic-model fit (beside the analysing workers) and the merge
run in this process, so the results equal one process's (a test compares them).
Where ``fork`` is not available, or one process is asked for, the stages run here.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed

import msgspec

from convoscope_analyzer.engine import EngineOptions, ProgressUpdate, Taxonomy, warm_up
from convoscope_analyzer.engine.partial import ShardPartial
from convoscope_analyzer.engine.plan import ShardPlan
from convoscope_analyzer.pipeline import PipelineOutput
from convoscope_analyzer.privacy import PrivacyConfig
from convoscope_analyzer.shard_corpus import DecodedShards
from convoscope_analyzer.shard_redaction import Recorded, record_detections
from convoscope_analyzer.sharded import Ranges, ShardRunner, run_sharded, shard_partial
from convoscope_common.comparison_types import PriceTable
from convoscope_common.corpus import Corpus
from convoscope_common.options import AnalysisOptions
from convoscope_exporter.parallel import can_fork

# Several shards per worker, so a slow shard does not leave the others idle at the end.
SHARDS_PER_WORKER = 4
# Below this many messages the pool costs more than it saves: one shard, here.
MIN_MESSAGES = 2_000

# What forked workers read: set in the parent just before each pool forks.
_SHARED: dict[str, object] = {}

_recorded_decoder = msgspec.msgpack.Decoder(list[Recorded])
_partial_decoder = msgspec.msgpack.Decoder(ShardPartial)


def _detect_worker(start: int, end: int) -> bytes:
    corpus = _SHARED["corpus"]
    privacy = _SHARED["privacy"]
    assert isinstance(corpus, Corpus) and isinstance(privacy, PrivacyConfig)
    return msgspec.msgpack.encode(record_detections(corpus, privacy, start, end))


def _analyze_worker(start: int, end: int) -> bytes:
    corpus = _SHARED["corpus"]
    plan = _SHARED["plan"]
    options = _SHARED["options"]
    assert isinstance(corpus, Corpus) and isinstance(plan, ShardPlan)
    assert isinstance(options, EngineOptions)
    part = msgspec.structs.replace(corpus, conversations=corpus.conversations[start:end])
    return msgspec.msgpack.encode(shard_partial(part, start, plan, options))


def _in_pool(
    workers: int, ranges: Ranges, task: Callable[[int, int], bytes], shared: dict[str, object]
) -> Iterator[tuple[int, bytes]]:
    """Fork the workers and submit ``task`` over every range now; the iterator yields
    (index, result) as they finish them."""
    sys.stdout.flush()
    sys.stderr.flush()
    _SHARED.update(shared)
    try:
        context = multiprocessing.get_context("fork")
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
        # The workers fork at the first submit, with what _SHARED holds now.
        futures = {pool.submit(task, a, b): i for i, (a, b) in enumerate(ranges)}
    finally:
        _SHARED.clear()
    return _results(pool, futures)


def _results(pool: ProcessPoolExecutor, futures: dict) -> Iterator[tuple[int, bytes]]:  # type: ignore[type-arg]
    with pool:
        for future in as_completed(futures):
            yield futures[future], future.result()


class PoolRunner:
    """The per-shard stages in ``workers`` forked processes (a decoded corpus)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def detect(
        self, corpus: Corpus, privacy: PrivacyConfig, ranges: Ranges
    ) -> Iterator[tuple[int, list[Recorded]]]:
        shared: dict[str, object] = {"corpus": corpus, "privacy": privacy}
        for index, data in _in_pool(self.workers, ranges, _detect_worker, shared):
            yield index, _recorded_decoder.decode(data)

    def analyze(
        self, corpus: Corpus, ranges: Ranges, plan: ShardPlan, options: EngineOptions
    ) -> Iterator[tuple[int, ShardPartial]]:
        shared: dict[str, object] = {"corpus": corpus, "plan": plan, "options": options}
        started = _in_pool(self.workers, ranges, _analyze_worker, shared)
        return ((index, _partial_decoder.decode(data)) for index, data in started)


def analyze_on_cores(
    corpus: Corpus,
    options: AnalysisOptions,
    privacy: PrivacyConfig,
    *,
    jobs: int,
    taxonomy: Taxonomy | None = None,
    prices: PriceTable | None = None,
    in_place: bool = False,
    progress: Callable[[ProgressUpdate], None] | None = None,
) -> PipelineOutput:
    """Redact and analyse ``corpus`` with up to ``jobs`` worker processes; the same output
    as :func:`convoscope_analyzer.pipeline.run_pipeline`.

    ``in_place`` hands the corpus over as in ``run_pipeline``."""
    access = DecodedShards(corpus, hand_over=in_place and options.enable_privacy)
    total = sum(access.sizes)
    runner: ShardRunner[Corpus] | None = None
    shards = 1
    if jobs > 1 and total >= MIN_MESSAGES and can_fork():
        # Models the workers use (language identifier, VADER, cue books, scikit-learn)
        # are loaded once here and inherited, not loaded again in every forked worker.
        warm_up()
        runner, shards = PoolRunner(jobs), jobs * SHARDS_PER_WORKER
    output = run_sharded(
        access, options, privacy, shards=shards, runner=runner, taxonomy=taxonomy,
        prices=prices, progress=progress,
    )  # fmt: skip
    assert output.redacted is not None
    return PipelineOutput(results=output.results, redacted_corpus=output.redacted)
