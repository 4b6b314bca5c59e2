"""A collection's analysis job: incremental, with the pieces its previous analysis left.

``job_run`` calls :func:`start_loading` first (the pieces load, and the job's topic-model
child process starts importing its libraries, while the corpus is read and decoded), then
:func:`run_collection` instead of the one-process or sharded pipeline, and
:func:`keep_pieces` once the results are stored: the pieces are written in the background
(they serve the next run, not this one), so the job completes without waiting for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from typing import TYPE_CHECKING

from convoscope_analyzer.incremental_pipeline import StoredPieces, run_incremental
from convoscope_analyzer.partial_store import delete_pieces, load_pieces, save_pieces
from convoscope_analyzer.pipeline import PipelineOutput
from convoscope_analyzer.privacy import PrivacyConfig
from convoscope_analyzer.progress_publisher import ProgressPublisher
from convoscope_analyzer.topic_process import TopicProcess, job_topic_process
from convoscope_common.corpus import Corpus
from convoscope_common.logs import get_logger
from convoscope_common.metrics import Counter

if TYPE_CHECKING:
    from convoscope_analyzer.job_run import JobRun

log = get_logger(__name__)

REUSED = Counter(
    "convoscope_analyzer_incremental_conversations_total",
    "Conversations of collection analyses, reused from the previous analysis or analysed",
    ["kind"],
)


class _Child:
    """A job's topic-model process, from :func:`start_loading` to :func:`run_collection`."""

    def __init__(self) -> None:
        self.stack = contextlib.ExitStack()
        # The replica's spare child when one waits (its imports done), else a new one.
        self.models: TopicProcess = self.stack.enter_context(job_topic_process())


# The child of each run between start_loading and run_collection.
_children: weakref.WeakKeyDictionary[JobRun, _Child] = weakref.WeakKeyDictionary()


def start_loading(run: JobRun) -> asyncio.Task[StoredPieces | None]:
    """Start reading the collection's pieces (they load while the job reads its corpus;
    :func:`load_pieces` raises nothing: None when there are none to use), and start the
    job's topic-model process (its imports, about 2 s of CPU, run while the corpus is
    read, mostly I/O)."""
    assert run.job.collection_id is not None
    child = _Child()
    child.models.prepare()
    _children[run] = child
    # A job that fails before run_collection takes it: the child ends with the run.
    weakref.finalize(run, child.models.close)
    return asyncio.create_task(load_pieces(run.stores, run.job.collection_id))


async def run_collection(
    run: JobRun,
    corpus: Corpus,
    privacy: PrivacyConfig,
    publisher: ProgressPublisher,
    loading: asyncio.Task[StoredPieces | None],
) -> PipelineOutput:
    """Redact and analyse a collection's merged corpus, reusing its pieces (``loading``:
    from :func:`start_loading`)."""
    job = run.job
    assert job.collection_id is not None
    # The topic models are fitted and read in the child process (this service never
    # imports scikit-learn).
    child = _children.pop(run, None) or _Child()
    with child.stack:
        models = child.models
        models.prepare()
        previous = await loading
        result = await asyncio.to_thread(
            run_incremental,
            corpus,
            job.options,
            privacy,
            previous,
            taxonomy=run.handler.taxonomy,
            prices=run.handler.prices,
            progress=publisher,
            checkpoint=run.running.checkpoint,
            in_place=True,
            models=models,
            encoded_index=True,
        )
    stats = result.stats
    REUSED.labels(kind="reused").inc(stats.conversations_reused)
    REUSED.labels(kind="analysed").inc(stats.conversations_analysed)
    log.info(
        "incremental_analysis",
        collection_id=job.collection_id,
        chunks=stats.chunks,
        chunks_reused=stats.chunks_reused,
        conversations_reused=stats.conversations_reused,
        conversations_analysed=stats.conversations_analysed,
        scanned=result.texts_scanned,
        steps={name: round(seconds, 3) for name, seconds in stats.timings.items()},
    )
    run.pieces = result.pieces
    if stats.conversations_reused:
        run.reused_analysed = stats.messages_analysed
    return result.output


# Pieces being written after their job completed.
_saving: set[asyncio.Task[None]] = set()


async def keep_pieces(run: JobRun) -> None:
    """Store the pieces of a finished collection run for the next one, in the background
    (best effort; :func:`pieces_saved` waits for them).

    A run cancelled or superseded meanwhile takes them away again: a collection deleted
    while its job ran keeps nothing.
    """
    job, pieces = run.job, run.pieces
    if job.collection_id is None or pieces is None:
        return
    run.pieces = None
    task = asyncio.create_task(_save(run, job.collection_id, pieces))
    _saving.add(task)
    task.add_done_callback(_saving.discard)


async def _save(run: JobRun, collection_id: str, pieces: StoredPieces) -> None:
    try:
        size = await save_pieces(run.stores, run.settings, collection_id, pieces)
        del pieces
        if size and (run.lease.lost is not None or await run.stores.is_cancelled(run.job.job_id)):
            await delete_pieces(run.stores, collection_id)
            return
        log.info("pieces_kept", collection_id=collection_id, size=size)
    except Exception as exc:  # the next run reuses nothing; this job is complete anyway
        log.warning("pieces_keep_failed", error=type(exc).__name__)


def pieces_pending() -> bool:
    """Whether pieces of a finished collection run are still being written (held in
    memory until they are)."""
    return bool(_saving)


async def pieces_saved(timeout: float | None = None) -> None:
    """Wait for the pieces being written (a replica shutting down, tests)."""
    if _saving:
        await asyncio.wait(set(_saving), timeout=timeout)
