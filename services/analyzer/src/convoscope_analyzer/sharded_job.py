"""A large job run as shards over the bus, from the coordinating run's side."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
from typing import TYPE_CHECKING

from convoscope_analyzer.engine.encoded_index import JoinedIndex
from convoscope_analyzer.engine.topic_models import TopicModels
from convoscope_analyzer.memory import give_back
from convoscope_analyzer.privacy import PrivacyConfig
from convoscope_analyzer.progress_publisher import ProgressPublisher
from convoscope_analyzer.raw_corpus import EncodedCorpus, RawCorpus
from convoscope_analyzer.running import RunSupersededError, WorkerShutdownError
from convoscope_analyzer.shard_bus import BusShards
from convoscope_analyzer.shard_corpus import EncodedShards
from convoscope_analyzer.sharded import run_sharded
from convoscope_analyzer.stages import stage
from convoscope_common.faults import is_transient
from convoscope_common.lease import LeaseLostError
from convoscope_common.logs import get_logger
from convoscope_common.results import AnalysisResults

if TYPE_CHECKING:
    from convoscope_analyzer.job_run import JobRun

log = get_logger(__name__)


async def run_sharded_job(
    run: JobRun,
    raw: RawCorpus,
    privacy: PrivacyConfig,
    shards: int,
    publisher: ProgressPublisher,
    models: TopicModels | None = None,
) -> tuple[AnalysisResults, JoinedIndex]:
    """The pipeline with its costly stages in shards any analyzer replica takes: the
    results, and their message index left encoded.

    The redacted corpus is stored (``run.store_redacted``) while the shards analyse,
    once their inputs are written (they wait for them; the results do not wait for it
    until the end), instead of being kept until the results are stored.
    """
    records = run.handler.shard_records
    assert records is not None
    loop = asyncio.get_running_loop()
    bus = BusShards(run, records, loop, run.running.checkpoint)
    writes: list[concurrent.futures.Future[None]] = []

    async def store(stream: EncodedCorpus) -> None:
        await bus.dispatched.wait()
        await run.store_redacted(stream)
        # The redacted conversations (a copy of the corpus) are freed: hand their heap
        # pages back before the partials and the merge need memory.
        stream.close()
        await asyncio.to_thread(give_back)

    def on_redacted(redacted: RawCorpus) -> None:  # in the job's thread
        # A stream of the encoding: stored piece by piece, never joined into one more
        # copy of the corpus beside the one the analysis reads (it holds the redacted
        # conversations until written, whatever the shards' dispatch releases).
        writes.append(asyncio.run_coroutine_threadsafe(store(EncodedCorpus(redacted)), loop))

    async def clean_early() -> None:
        # Every shard's output is read once the analyse stage ends: the records and
        # objects go while the merge runs in the job's thread, not after it (0.2-0.3 s
        # of requests on the benchmark export). Records first, objects after, as
        # ``cleanup`` does: a run that takes the job over after an interrupted cleanup
        # finds no complete record without its output.
        await bus.collected.wait()
        if await _holds_job(run):
            with stage("shard_cleanup", shards=shards):
                await bus.cleanup(shards)

    cleaning = asyncio.ensure_future(clean_early())
    log.info("job_sharded", shards=shards)
    handed_over = False
    # This process's shard slot cuts its detect ranges from ``raw`` instead of reading
    # the stored corpus once more (shard_inputs.py).
    lent = run.handler.corpora.lend(run.job.corpus_object, raw)
    try:
        with lent, stage("sharded", shards=shards):
            output = await asyncio.to_thread(
                run_sharded,
                EncodedShards(raw),
                run.job.options,
                privacy,
                shards=shards,
                runner=bus,
                taxonomy=run.handler.taxonomy,
                prices=run.handler.prices,
                progress=publisher,
                on_redacted=on_redacted,
                models=models,
                encoded_index=True,
            )
            results, index = output.results, output.message_index
            del output
            assert index is not None
        for write in writes:
            await asyncio.wrap_future(write)
        run.shard_wall, run.shard_work = bus.wall, bus.work
        return results, index
    except (LeaseLostError, RunSupersededError, WorkerShutdownError):
        # Another run holds the job, or will: the shards' records and objects are its
        # now (it keeps the complete ones). Removing them would fail it.
        handed_over = True
        raise
    except Exception as exc:
        # A transient error (e.g. a request that timed out across a SIGSTOP) gives the
        # job back (JobRun._on_error): the run that takes it again keeps the complete
        # shards. Removing them here would race with that run, which may claim the job
        # while this cleanup still deletes (seen in the sharded chaos run).
        handed_over = is_transient(exc)
        raise
    finally:
        run.handler.corpora.drop_inputs(run.job.job_id)
        for write in writes:
            write.cancel()
        cleaned = cleaning.done() and not cleaning.cancelled() and not cleaning.exception()
        if not cleaning.done():
            cleaning.cancel()
            with contextlib.suppress(BaseException):
                await cleaning
        if not cleaned and not handed_over and await _holds_job(run):
            await bus.cleanup(shards)


async def _holds_job(run: JobRun) -> bool:
    """Whether the job's record is still this run's (or gone): a run that was paused
    past ``ack_wait`` may find another run holding the job, which uses the shards."""
    lease = run.lease
    if lease.lost is not None:
        return False
    try:
        current = await lease.fencing.read(lease.key)
    except Exception:  # the store does not answer: leave the shards to expire
        return False
    return current is None or current[0].run_id == lease.run_id
