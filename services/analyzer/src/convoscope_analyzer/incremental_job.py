"""A collection's analysis job: incremental, with the pieces its previous analysis left.

``job_run`` calls :func:`run_collection` instead of the one-process or sharded pipeline
when the job names a collection (its pieces loading meanwhile, :func:`start_loading`), and
:func:`keep_pieces` once the results are stored.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from convoscope_analyzer.incremental_pipeline import StoredPieces, run_incremental
from convoscope_analyzer.partial_store import delete_pieces, load_pieces, save_pieces
from convoscope_analyzer.pipeline import PipelineOutput
from convoscope_analyzer.privacy import PrivacyConfig
from convoscope_analyzer.progress_publisher import ProgressPublisher
from convoscope_analyzer.topic_process import job_topic_process
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


def start_loading(run: JobRun) -> asyncio.Task[StoredPieces | None]:
    """Start reading the collection's pieces (they load while the job reads its corpus;
    :func:`load_pieces` raises nothing: None when there are none to use)."""
    assert run.job.collection_id is not None
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
    # The topic models are fitted and read in a child process (this service never
    # imports scikit-learn), started now: its imports run while personal data is redacted.
    with job_topic_process() as models:
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
    return result.output


async def keep_pieces(run: JobRun) -> None:
    """Store the pieces of a finished collection run for the next one (best effort).

    A run cancelled or superseded meanwhile takes them away again: a collection deleted
    while its job ran keeps nothing.
    """
    job, pieces = run.job, run.pieces
    if job.collection_id is None or pieces is None:
        return
    run.pieces = None
    size = await save_pieces(run.stores, run.settings, job.collection_id, pieces)
    if size and (run.lease.lost is not None or await run.stores.is_cancelled(job.job_id)):
        await delete_pieces(run.stores, job.collection_id)
        return
    log.info("pieces_kept", collection_id=job.collection_id, size=size)
