"""One run of one analysis job, holding the job's lease: load, analyse, store, finish.

Every state write goes through the lease (compare-and-set), and every event is
published only after its state write succeeded, so a run that lost its lease
(the job was taken over after a redelivery, cancelled or deleted) neither writes
nor announces anything. The run ends in an :data:`Outcome` for the consumer runtime.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import IO, TYPE_CHECKING, Any, cast

import msgspec
import structlog

from convoscope_analyzer.corpus_loading import load_corpus
from convoscope_analyzer.engine.encoded_index import JoinedIndex
from convoscope_analyzer.incremental_job import keep_pieces, run_collection, start_loading
from convoscope_analyzer.memory import WRITE_WINDOW_BYTES, ResultsStream, give_back
from convoscope_analyzer.pipeline import run_pipeline
from convoscope_analyzer.progress_publisher import ProgressPublisher
from convoscope_analyzer.raw_corpus import EncodedCorpus, RawCorpus, StreamedCorpus
from convoscope_analyzer.running import (
    JobCancelledError,
    JobTimedOutError,
    RunningJob,
    RunSupersededError,
    WorkerShutdownError,
)
from convoscope_analyzer.sharded_job import run_sharded_job
from convoscope_analyzer.stages import stage
from convoscope_analyzer.topic_process import TopicProcess, job_topic_process
from convoscope_common import names
from convoscope_common.cache import evict_lru
from convoscope_common.clock import utcnow
from convoscope_common.consumer import Ack, Delivery, Outcome, Retry, StandDown
from convoscope_common.corpus import Corpus
from convoscope_common.faults import backoff, is_storage_full, is_transient
from convoscope_common.lease import Lease, LeaseLostError
from convoscope_common.light import encode_light_bundle
from convoscope_common.logs import get_logger
from convoscope_common.metrics import Counter, Histogram
from convoscope_common.ownership import cached_for_referenced, release_results
from convoscope_common.records import JobState, ResultIndex
from convoscope_common.results import ENGINE_VERSION, AnalysisResults
from convoscope_common.storage import ObjectMissingError
from convoscope_common.throughput import (
    INCREMENTAL_KEY,
    is_sharded,
    read_throughput,
    record_throughput,
    whole_corpus_seconds,
)
from convoscope_common.wire import (
    AnalyzeJob,
    CancelledEvent,
    CompleteEvent,
    ErrorEvent,
    ErrorInfo,
    ProgressEvent,
    encode,
)

if TYPE_CHECKING:
    from convoscope_analyzer.incremental_pipeline import StoredPieces
    from convoscope_analyzer.worker import AnalyzerHandler

log = get_logger(__name__)

JOBS = Counter("convoscope_analyzer_jobs_total", "Analysis jobs by outcome", ["outcome"])
DURATION = Histogram(
    "convoscope_analysis_duration_seconds",
    "Wall time of one analysis",
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600),
)
MESSAGES = Counter("convoscope_analyzer_messages_total", "Messages analysed")
SUPERSEDED = Counter(
    "convoscope_analyzer_runs_superseded_total", "Runs that lost their lease and stood down"
)


async def _all_or_none(steps: list[Coroutine[Any, Any, None]]) -> None:
    """Run ``steps`` at once; the first error stops the others and is raised as it is
    (not in a group: the job's error handling tells transient faults by their type)."""
    tasks = [asyncio.ensure_future(step) for step in steps]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def failure(code: str, status: int, message: str, details: str | None = None) -> ErrorInfo:
    return ErrorInfo(code=code, status=status, message=message, details=details)


class JobRun:
    """A claimed job: ``execute`` runs it to an outcome."""

    def __init__(
        self,
        handler: AnalyzerHandler,
        job: AnalyzeJob,
        lease: Lease[JobState],
        state: JobState,
        delivery: Delivery | None = None,
    ) -> None:
        self.handler = handler
        self.job = job
        self.lease = lease
        self.state = state
        self.delivery = delivery
        self.settings = handler.settings
        self.stores = handler.stores
        self.running = RunningJob(job, deadline=time.monotonic() + self.settings.job_timeout)
        # A lost lease stops the engine at its next checkpoint.
        lease.on_lost = lambda _error: self.running.request_stop(RunSupersededError)
        self.stored = False
        self.redacted_size = 0
        self.shard_wall = self.shard_work = 0.0  # set by a sharded run
        # The pieces an incremental (collection) run keeps for the next one.
        self.pieces: StoredPieces | None = None
        # Messages a collection run analysed afresh when it reused earlier pieces (None:
        # it reused none): its time goes to the incremental model (throughput.py).
        self.reused_analysed: int | None = None

    async def execute(self) -> Outcome:
        """Run the job to a final state (or give it back), then say how to settle."""
        state = self.state
        try:
            if state.crashes >= self.settings.max_attempts:
                await self.finish_failed(
                    failure(
                        "job_failed_repeatedly",
                        500,
                        f"the analysis stopped unexpectedly {state.crashes} times; it was given up",
                    )
                )
                return Ack()
            if await self.stores.is_cancelled(self.job.job_id):
                await self.finish_cancelled()
                return Ack()
            return await self._analyse()
        except LeaseLostError as lost:
            return await self._stand_down(lost)

    async def _stand_down(self, lost: LeaseLostError) -> Outcome:
        if lost.ended and lost.status in ("cancelled", None):
            # The user cancelled or deleted the job; whoever did announced it.
            JOBS.labels(outcome="cancelled").inc()
        else:
            SUPERSEDED.inc()
        if self.stored and lost.ended and lost.status in ("cancelled", None):
            # Cancelled or deleted while the results were stored: they must go. A job
            # another run completed keeps them: that run wrote the same names and the
            # job's reference (a stale run that released them left it answering 404).
            await release_results(self.stores, self.job.cache_key, self.job.job_id)
        log.info("run_stood_down", ended=lost.ended)
        # An ended job can be acknowledged; one that another run holds is left to it.
        return Ack() if lost.ended else StandDown("another run holds the job")

    async def _analyse(self) -> Outcome:
        state, job = self.state, self.job
        started = time.perf_counter()
        state.started_at = state.started_at or utcnow()
        state.current_step = "Loading data"
        state.message = "Reading the normalised conversations"
        state.updated_at = utcnow()
        publisher = ProgressPublisher(self, state)
        self.handler.running[job.job_id] = self.running
        try:
            await self.publish_progress(state, self._progress_event())
            # The gateway referenced the result for this job before queueing it.
            if await cached_for_referenced(self.stores, job.cache_key) is not None:
                state.complete_from_cache(utcnow())
                await self._announce_complete()
                JOBS.labels(outcome="cache_hit").inc()
                return Ack()
            n_messages = await self._run_pipeline(publisher)
            await publisher.drain()
            state.progress = 100.0
            state.status = "complete"
            state.current_step = "Complete"
            state.message = "Analysis complete"
            state.finished_at = state.updated_at = utcnow()
            await self._announce_complete()
            elapsed = time.perf_counter() - started
            DURATION.observe(elapsed)
            JOBS.labels(outcome="complete").inc()
            log.info("job_complete", seconds=round(elapsed, 3))
            await self._after_complete(n_messages, elapsed)
            return Ack()
        except BaseException as exc:
            await publisher.drain()
            if isinstance(exc, Exception):
                return await self._on_error(exc)
            raise
        finally:
            self.handler.running.pop(job.job_id, None)

    async def _run_pipeline(self, publisher: ProgressPublisher) -> int:
        # A collection's pieces load while its corpus is read and decoded.
        loading = start_loading(self) if self.job.collection_id is not None else None
        try:
            if loading is not None:
                return await self._run_stages(publisher, loading, None)
            # The topic models' child process: the spare, its libraries imported while
            # the replica waited, or one started now, importing them at low priority
            # while the corpus is read and redacted (topic_process.py, topic_child.py).
            with job_topic_process() as models:
                models.prepare()
                return await self._run_stages(publisher, None, models)
        finally:
            if loading is not None and not loading.done():
                loading.cancel()

    async def _run_stages(
        self,
        publisher: ProgressPublisher,
        loading: asyncio.Task[StoredPieces | None] | None,
        models: TopicProcess | None,
    ) -> int:
        job = self.job
        with stage("corpus_read") as extra:
            blob = await self.stores.read_object(self.stores.corpora, job.corpus_object)
            extra["bytes"] = len(blob)
        # Each owner's pseudonyms under its own key, derived from the deployment secret.
        privacy = self.handler.privacy.for_owner(job.owner)
        redacted: Corpus | None = None
        if loading is not None:
            # A collection: decoded at once, not split (it is never sharded), reusing
            # what its previous analysis left (incremental analysis).
            with stage("corpus_decode", bytes=len(blob)) as extra:
                corpus = load_corpus(blob)
                del blob
                n_messages = extra["messages"] = sum(len(c.messages) for c in corpus.conversations)
            MESSAGES.inc(n_messages)
            with stage("incremental", messages=n_messages):
                output = await run_collection(self, corpus, privacy, publisher, loading)
            del corpus
            results, redacted, index = output.results, output.redacted_corpus, output.message_index
            del output
        else:
            # Split, not decoded: a sharded job's coordinator never decodes the whole corpus.
            with stage("corpus_split", bytes=len(blob)) as extra:
                raw = RawCorpus.load(blob)
                n_messages = extra["messages"] = raw.messages
            MESSAGES.inc(n_messages)
            shards = self._shards_for(n_messages)
            if shards > 1:
                del blob  # the raw corpus's conversations are views of it
                results, index = await run_sharded_job(
                    self, raw, privacy, shards, publisher, models
                )
            else:
                del raw
                with stage("corpus_decode", bytes=len(blob)):
                    corpus = load_corpus(blob)
                    del blob  # the msgpack bytes are freed as soon as they are decoded
                # in_place: with privacy on, the corpus is redacted in place (one copy).
                with stage("pipeline", messages=n_messages):
                    output = await asyncio.to_thread(
                        run_pipeline,
                        corpus,
                        job.options,
                        privacy,
                        taxonomy=self.handler.taxonomy,
                        prices=self.handler.prices,
                        progress=publisher,
                        checkpoint=self.running.checkpoint,
                        in_place=True,
                        models=models,
                        encoded_index=True,
                    )
                del corpus
                results, redacted = output.results, output.redacted_corpus
                index = output.message_index
                del output
        if models is not None:
            models.close()  # the models are read: the child's memory goes before the store
        self.running.checkpoint()  # a lost lease or a cancel after the last checkpoint
        if await self.stores.is_cancelled(job.job_id):
            raise JobCancelledError
        results.generated_at = utcnow()
        # The coroutine gets the only references, so it can free each part early.
        assert index is not None  # every path above leaves it encoded
        storing = self._store_results(results, redacted, index)
        del results, redacted, index
        await storing
        await keep_pieces(self)
        return n_messages

    def _shards_for(self, n_messages: int) -> int:
        """How many shards over the bus this job is split into (1: none)."""
        settings = self.settings
        if self.handler.shard_records is None or not is_sharded(
            n_messages, settings.shard_min_messages, settings.analysis_shards
        ):
            return 1
        return settings.analysis_shards

    async def store_redacted(self, stream: EncodedCorpus | StreamedCorpus) -> None:
        """Write the redacted corpus (exports without personal data read it) from a
        stream of its encoding."""
        self.stored = True
        with stage("redacted_corpus_store") as extra:
            name = names.redacted_corpus_object(self.job.cache_key)
            await self._write(name, cast(IO[bytes], stream))  # read() is all it reads
            extra["bytes"] = self.redacted_size = stream.size

    async def _write(self, name: str, data: bytes | bytearray | IO[bytes]) -> None:
        await self.stores.write_object(
            self.stores.results_data, name, data, window_bytes=WRITE_WINDOW_BYTES
        )

    async def _on_error(self, exc: Exception) -> Outcome:
        """The one mapping from what stopped a run to its final state and outcome."""
        if isinstance(exc, LeaseLostError):
            return await self._stand_down(exc)
        if isinstance(exc, RunSupersededError):
            assert self.lease.lost is not None
            return await self._stand_down(self.lease.lost)
        if isinstance(exc, JobCancelledError):
            await self.finish_cancelled()
        elif isinstance(exc, WorkerShutdownError):
            log.info("job_requeued_on_shutdown")
            await self.lease.release(self.state, "Waiting for an analyzer (requeued)")
            return Retry(delay=0, reason="shutdown")
        elif isinstance(exc, JobTimedOutError):
            await self.finish_failed(
                failure(
                    "job_timeout",
                    504,
                    f"the analysis took longer than the {self.settings.job_timeout:g} s "
                    "limit (JOB_TIMEOUT) and was stopped",
                )
            )
        elif isinstance(exc, ObjectMissingError):
            await self.finish_failed(
                failure(
                    "upload_expired",
                    410,
                    "the uploaded file has expired or was deleted; upload it again",
                )
            )
        elif is_storage_full(exc):
            await self.finish_failed(
                failure(
                    "storage_full",
                    507,
                    "the result store is full; delete old analyses or ask the operator "
                    "to raise the storage limits",
                )
            )
        elif is_transient(exc):
            log.warning("job_transient_error", error=type(exc).__name__)
            # Give the job back unharmed; the store may not take even that write.
            try:
                await self.lease.release(self.state, "Waiting for an analyzer (retrying)")
            except LeaseLostError as lost:
                return await self._stand_down(lost)
            except Exception:
                raise exc from None
            attempt = self.delivery.attempt if self.delivery is not None else 1
            return Retry(delay=backoff(attempt), reason=type(exc).__name__)
        else:
            log.error("job_failed", error=type(exc).__name__)
            await self.finish_failed(
                failure(
                    "analysis_failed",
                    500,
                    "the analysis failed because of an internal error",
                    type(exc).__name__,
                )
            )
        return Ack()

    async def _after_complete(self, messages: int, seconds: float) -> None:
        """Bookkeeping that must never turn a finished job into a failed one."""
        try:
            if self.reused_analysed is not None:
                # Mostly work over the whole corpus: a model of its own, which learns
                # the time beyond the analysed messages' one-lane time.
                full = await read_throughput(self.stores)
                whole = whole_corpus_seconds(full, seconds, self.reused_analysed)
                model = await record_throughput(self.stores, messages, whole, key=INCREMENTAL_KEY)
            else:
                model = await record_throughput(
                    self.stores,
                    messages,
                    seconds,
                    shard_wall=self.shard_wall,
                    shard_work=self.shard_work,
                )
            log.info(
                "duration_model",
                incremental=self.reused_analysed is not None,
                seconds=round(seconds, 3),
                shard_wall=round(self.shard_wall, 3),
                shard_work=round(self.shard_work, 3),
                messages_per_second=round(model.messages_per_second, 1),
                overhead_seconds=round(model.overhead_seconds, 3),
                parallel_share=round(model.parallel_share, 3),
            )
            await evict_lru(self.stores, self.settings.cache_max_size, keep=self.job.cache_key)
        except Exception as exc:
            log.warning("post_job_bookkeeping_failed", error=type(exc).__name__)

    async def _store_results(
        self, results: AnalysisResults, corpus: Corpus | None, message_index: JoinedIndex
    ) -> None:
        """Write the results (their ``message_index`` still encoded, beside them), the
        light document and the redacted corpus (unless the sharded run stored it
        already), then their index.

        Peak memory: one encoded section at a time. Objects written before a crash and
        never indexed expire with the ``results-data`` store's TTL.
        """
        job = self.job
        results_name = job.cache_key
        corpus_name = names.redacted_corpus_object(job.cache_key)
        # The light document beside the results: the gateway serves the first dashboard
        # from it instead of decoding the whole results (seconds on a large export).
        with stage("light_encode") as extra:
            light = encode_light_bundle(results, messages=message_index.count)
            extra["bytes"] = len(light)
        # Encoded as it is stored, section by section, each let go of once encoded: the
        # whole encoding (32 MB on a 94 MB export) never sits beside the results.
        stream = ResultsStream(results, message_index)
        del results, message_index
        # The redacted corpus (unless the sharded run stored it) likewise, conversation
        # by conversation (its whole encoding was a one-piece job's peak memory), and
        # beside the results: nats-server stores one while this process encodes the
        # other (0.43 s against 0.67 s one after the other for a one-piece job of the
        # 94 MB benchmark export; about the same for collection jobs).
        corpus_stream = StreamedCorpus(corpus) if corpus is not None else None
        del corpus
        self.stored = True
        with stage("results_store") as extra:
            writes = [self._write(results_name, cast(IO[bytes], stream))]
            if corpus_stream is not None:
                writes.append(self.store_redacted(corpus_stream))
            await _all_or_none(writes)
            await self._write(names.light_object(results_name), light)
            extra["bytes"] = stream.size + len(light)
        size = stream.size + len(light) + self.redacted_size
        del light, stream, corpus_stream
        give_back()
        now = utcnow()
        await self.stores.put_result_index(
            ResultIndex(
                cache_key=job.cache_key,
                results_object=results_name,
                size=size,
                file_hash=job.file_hash,
                engine_version=ENGINE_VERSION,
                created_at=now,
                last_access=now,
                redacted_corpus_object=corpus_name,
            )
        )

    # --- state and events (fenced) -----------------------------------------------------

    def _progress_event(self, progress: float | None = None) -> ProgressEvent:
        state = self.state
        return ProgressEvent(
            job_id=state.job_id,
            progress=state.progress if progress is None else progress,
            current_step=state.current_step,
            message=state.message,
            insights=list(state.insights),
        )

    async def publish_progress(self, state: JobState, event: ProgressEvent) -> None:
        """Write a progress snapshot through the lease, then publish it."""
        await self.lease.write(state)
        await self._publish("progress", event)

    async def _publish(self, kind: str, event: msgspec.Struct) -> None:
        subject = names.event_subject(self.job.job_id, kind)
        await self.handler.ctx.nc.publish(subject, encode(event))

    async def _announce_complete(self) -> None:
        """Write the final state, then tell subscribers: 100 % progress, then complete."""
        await self.lease.write(self.state)
        await self._publish("progress", self._progress_event(100.0))
        await self._publish(
            "complete",
            CompleteEvent(job_id=self.job.job_id),
        )

    async def finish_cancelled(self) -> None:
        self.state.cancel(utcnow())
        await self.lease.write(self.state)
        await self._publish("cancelled", CancelledEvent(job_id=self.job.job_id))
        if self.stored:
            await release_results(self.stores, self.job.cache_key, self.job.job_id)
        JOBS.labels(outcome="cancelled").inc()
        log.info("job_cancelled")

    async def finish_failed(self, error: ErrorInfo) -> None:
        state = self.state
        state.status = "failed"
        state.error = error
        state.current_step = "Failed"
        state.message = error.message
        state.finished_at = state.updated_at = utcnow()
        await self.lease.write(state)
        await self._publish(
            "error", ErrorEvent(job_id=state.job_id, error=error.message, details=error.details)
        )
        JOBS.labels(outcome="failed").inc()
        with structlog.contextvars.bound_contextvars(code=error.code):
            log.warning("job_failed_final")
