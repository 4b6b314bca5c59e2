"""The analyzer worker: pulls jobs from JetStream and runs the pipeline around the engine.

A job message is acknowledged only after its result and final state are
written, so a worker killed mid-job leaves the message to be redelivered
(after ``ack_wait``) to another replica. Long jobs call ``in_progress()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from dataclasses import dataclass, field

import msgspec
import structlog
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.errors import FetchTimeoutError

from convoscope_analyzer.corpus_loading import load_corpus
from convoscope_analyzer.drilldown_service import make_handler
from convoscope_analyzer.engine import (
    ProgressUpdate,
    Taxonomy,
    TaxonomyError,
    load_taxonomy,
    warm_up,
)
from convoscope_analyzer.pipeline import PipelineOutput, run_pipeline
from convoscope_analyzer.privacy import PrivacyConfig, PrivacyConfigError, privacy_config_from_env
from convoscope_common import names
from convoscope_common.cache import delete_results, evict_lru, usable_index
from convoscope_common.clock import utcnow
from convoscope_common.config import ConfigurationError, Settings
from convoscope_common.corpus import encode_corpus
from convoscope_common.logs import get_logger
from convoscope_common.messages import (
    AnalyzeJob,
    CancelledEvent,
    CompleteEvent,
    ErrorEvent,
    ErrorInfo,
    JobState,
    ProgressEvent,
    ResultIndex,
    analyze_job_decoder,
    cancel_request_decoder,
    encode,
)
from convoscope_common.metrics import Counter, Gauge, Histogram
from convoscope_common.results import ENGINE_VERSION, encode_results
from convoscope_common.runtime import ServiceContext
from convoscope_common.storage import ObjectMissingError, Stores
from convoscope_common.throughput import record_throughput

log = get_logger(__name__)

JOBS = Counter("convoscope_analyzer_jobs_total", "Analysis jobs by outcome", ["outcome"])
ACTIVE = Gauge("convoscope_analyzer_active_jobs", "Jobs running in this replica")
DURATION = Histogram(
    "convoscope_analysis_duration_seconds",
    "Wall time of one analysis",
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600),
)
REDELIVERIES = Counter("convoscope_analyzer_redeliveries_total", "Jobs received more than once")
MESSAGES = Counter("convoscope_analyzer_messages_total", "Messages analysed")

PROGRESS_INTERVAL = 0.5  # seconds between job-state writes and events


class JobCancelledError(Exception):
    """Raised at a checkpoint when the user cancelled the job."""


class JobTimedOutError(Exception):
    """Raised at a checkpoint when the job ran past JOB_TIMEOUT."""


class WorkerShutdownError(Exception):
    """Raised at a checkpoint when this replica is stopping: the job goes back to the queue."""


@dataclass
class RunningJob:
    """The in-memory side of one job: the stop flag its thread checks."""

    job: AnalyzeJob
    stop: threading.Event = field(default_factory=threading.Event)
    reason: type[Exception] = JobCancelledError
    deadline: float = 0.0

    def request_stop(self, reason: type[Exception]) -> None:
        self.reason = reason
        self.stop.set()

    def checkpoint(self) -> None:
        """Called by the engine between units of work."""
        if self.deadline and time.monotonic() > self.deadline:
            self.request_stop(JobTimedOutError)
        if self.stop.is_set():
            raise self.reason()


class ProgressPublisher:
    """Turns engine progress (from the worker thread) into events and job-state writes."""

    def __init__(self, worker: AnalyzerWorker, state: JobState) -> None:
        self.worker = worker
        self.state = state
        self.loop = asyncio.get_running_loop()
        self.last_sent = 0.0
        self.percent = state.progress
        # A throttled update is sent later rather than dropped, so subscribers hear at
        # least every PROGRESS_INTERVAL while the engine moves.
        self.trailing: asyncio.TimerHandle | None = None
        self.tasks: set[asyncio.Future[None]] = set()

    def __call__(self, update: ProgressUpdate) -> None:
        # Runs in the pipeline thread: hand over to the event loop.
        self.loop.call_soon_threadsafe(self._on_update, update)

    def _on_update(self, update: ProgressUpdate) -> None:
        percent = round(max(self.percent, min(99.0, update.fraction * 100)), 1)
        self.percent = percent  # progress never goes backwards
        self.state.insights.extend(update.new_insights)
        self.state.progress = percent
        self.state.current_step = update.step
        self.state.message = update.message
        wait = PROGRESS_INTERVAL - (time.monotonic() - self.last_sent)
        if update.new_insights or wait <= 0:
            self.flush()
        elif self.trailing is None:
            self.trailing = self.loop.call_later(wait, self.flush)

    def flush(self) -> None:
        """Publish the latest state now (and cancel a pending trailing send)."""
        if self.trailing is not None:
            self.trailing.cancel()
            self.trailing = None
        self.last_sent = time.monotonic()
        event = ProgressEvent(
            job_id=self.state.job_id,
            progress=self.state.progress,
            current_step=self.state.current_step,
            message=self.state.message,
            insights=list(self.state.insights),
        )
        snapshot = msgspec.structs.replace(
            self.state, updated_at=utcnow(), insights=list(self.state.insights)
        )
        task = asyncio.ensure_future(self.worker.publish_progress(snapshot, event))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def drain(self) -> None:
        if self.trailing is not None:  # the job is over: no late progress after its end
            self.trailing.cancel()
            self.trailing = None
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)


class AnalyzerWorker:
    """Runs up to ``MAX_CONCURRENT_JOBS`` analyses at once in this replica."""

    def __init__(
        self,
        ctx: ServiceContext,
        stores: Stores,
        privacy: PrivacyConfig,
        taxonomy: Taxonomy | None = None,
    ) -> None:
        self.ctx = ctx
        self.taxonomy = taxonomy
        self.settings = ctx.settings
        self.stores = stores
        self.privacy = privacy
        self.slots = asyncio.Semaphore(self.settings.max_concurrent_jobs)
        self.running: dict[str, RunningJob] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self._state_locks: dict[str, asyncio.Lock] = {}

    # --- the pull loop ------------------------------------------------------------

    async def run(self) -> None:
        js: JetStreamContext = self.ctx.js
        subs = [
            await js.pull_subscribe_bind(
                durable=f"{names.ANALYZER_DURABLE}-{priority}", stream=names.JOBS_STREAM
            )
            for priority in names.JOB_PRIORITIES
        ]
        cancel_sub = await self.ctx.nc.subscribe(names.CANCEL_ALL, cb=self._on_cancel)
        try:
            while not self.ctx.stopping.is_set():
                await self.slots.acquire()
                msg = await self._next_message(subs)
                if msg is None:
                    self.slots.release()
                    continue
                task = asyncio.create_task(self._guarded(msg))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)
        finally:
            await cancel_sub.unsubscribe()
            await self._shutdown()
            # A pull subscription left open makes the connection drain time out.
            for sub in subs:
                await sub.unsubscribe()

    async def _next_message(self, subs: list[JetStreamContext.PullSubscription]) -> Msg | None:
        """One message, highest priority first; None after a short idle wait."""
        for i, sub in enumerate(subs):
            if self.ctx.stopping.is_set():
                return None
            # Only the last (lowest) priority waits long; higher ones are polled.
            timeout = 0.05 if i < len(subs) - 1 else 0.5
            try:
                msgs = await sub.fetch(1, timeout=timeout)
            except (FetchTimeoutError, TimeoutError):
                continue
            if msgs:
                return msgs[0]
        return None

    async def _shutdown(self, grace: float = 10.0) -> None:
        """Let running jobs finish for ``grace`` seconds, then send them back to the queue."""
        if not self.tasks:
            return
        _done, pending = await asyncio.wait(set(self.tasks), timeout=grace)
        for running in self.running.values():
            running.request_stop(WorkerShutdownError)
        if pending:
            await asyncio.wait(pending, timeout=grace)

    async def _guarded(self, msg: Msg) -> None:
        try:
            await self.process(msg)
        except msgspec.DecodeError:
            # Not a job at all: redelivering it (max_deliver is unlimited) would loop forever.
            log.error("bad_analysis_job")
            with contextlib.suppress(Exception):
                await msg.term()
        except Exception as exc:  # never let one job kill the loop
            log.error("job_crashed", error=type(exc).__name__)
            with contextlib.suppress(Exception):
                await msg.nak(delay=1)
        finally:
            self.slots.release()

    async def _on_cancel(self, msg: Msg) -> None:
        try:
            req = cancel_request_decoder.decode(msg.data)
        except msgspec.DecodeError:
            return
        running = self.running.get(req.job_id)
        if running is not None:
            log.info("job_cancel_requested", job_id=req.job_id)
            running.request_stop(JobCancelledError)

    # --- one job --------------------------------------------------------------------

    async def process(self, msg: Msg) -> None:
        """Run one job message to a final state, then acknowledge it."""
        job = analyze_job_decoder.decode(msg.data)
        try:
            await self._process(msg, job)
        finally:
            self._state_locks.pop(job.job_id, None)

    async def _process(self, msg: Msg, job: AnalyzeJob) -> None:
        with structlog.contextvars.bound_contextvars(job_id=job.job_id, file_id=job.file_id):
            attempts = msg.metadata.num_delivered or 1
            if attempts > 1:
                REDELIVERIES.inc()
            state = await self.stores.get_job(job.job_id)
            if state is None or state.status in ("complete", "failed", "cancelled"):
                # Deleted, or finished before a crash lost the ack: nothing left to do.
                await msg.ack()
                return
            if await self.stores.is_cancelled(job.job_id):
                await self._finish_cancelled(state)
                await msg.ack()
                return
            if attempts > self.settings.max_attempts:
                await self._finish_failed(
                    state,
                    ErrorInfo(
                        code="job_failed_repeatedly",
                        status=500,
                        message=f"the analysis stopped unexpectedly {attempts - 1} times; "
                        "it was given up",
                    ),
                )
                await msg.ack()
                return
            await self._run(msg, job, state, attempts)

    async def _run(self, msg: Msg, job: AnalyzeJob, state: JobState, attempts: int) -> None:
        running = RunningJob(job, deadline=time.monotonic() + self.settings.job_timeout)
        self.running[job.job_id] = running
        ACTIVE.inc()
        keepalive = asyncio.create_task(self._keep_alive(msg))
        started = time.perf_counter()
        state.status = "processing"
        state.attempts = attempts
        state.started_at = state.started_at or utcnow()
        state.current_step = "Loading data"
        state.message = "Reading the normalised conversations"
        state.updated_at = utcnow()
        publisher = ProgressPublisher(self, state)
        try:
            await self.publish_progress(
                state,
                ProgressEvent(
                    job_id=job.job_id,
                    progress=state.progress,
                    current_step=state.current_step,
                    message=state.message,
                    insights=list(state.insights),
                ),
            )
            if await self._complete_from_cache(job, state):
                JOBS.labels(outcome="cache_hit").inc()
                await msg.ack()
                return
            # The msgpack bytes are freed as soon as they are decoded.
            corpus = load_corpus(
                await self.stores.read_object(self.stores.corpora, job.corpus_object)
            )
            n_messages = sum(len(c.messages) for c in corpus.conversations)
            MESSAGES.inc(n_messages)
            # in_place: with privacy on, the corpus is redacted in place (one copy in memory).
            output = await asyncio.to_thread(
                run_pipeline,
                corpus,
                job.options,
                # Each owner's pseudonyms under its own derived key.
                self.privacy.for_owner(job.owner),
                taxonomy=self.taxonomy,
                progress=publisher,
                checkpoint=running.checkpoint,
                in_place=True,
            )
            del corpus
            await publisher.drain()
            # A cancel that came after the last checkpoint: store nothing.
            if await self.stores.is_cancelled(job.job_id):
                raise JobCancelledError
            output.results.generated_at = utcnow()
            # The coroutine gets the only reference, so it can free the results before
            # it encodes the corpus.
            storing = self._store_results(job, output)
            del output
            await storing
            state.progress = 100.0
            state.status = "complete"
            state.current_step = "Complete"
            state.message = "Analysis complete"
            state.finished_at = state.updated_at = utcnow()
            if not await self._announce_complete(state):
                # Cancelled (or deleted) while the results were being stored: the user
                # asked for them to be gone, and nobody may hear `complete`.
                await delete_results(self.stores, job.cache_key)
                await msg.ack()
                return
            elapsed = time.perf_counter() - started
            DURATION.observe(elapsed)
            JOBS.labels(outcome="complete").inc()
            log.info("job_complete", seconds=round(elapsed, 3))
            await msg.ack()
            await self._after_complete(job, n_messages, elapsed)
        except JobCancelledError:
            await publisher.drain()
            await self._finish_cancelled(state)
            await msg.ack()
        except JobTimedOutError:
            await publisher.drain()
            await self._finish_failed(
                state,
                ErrorInfo(
                    code="job_timeout",
                    status=504,
                    message=f"the analysis took longer than the {self.settings.job_timeout:g} s "
                    "limit (JOB_TIMEOUT) and was stopped",
                ),
            )
            await msg.ack()
        except WorkerShutdownError:
            await publisher.drain()
            log.info("job_requeued_on_shutdown")
            await msg.nak()
        except ObjectMissingError:
            await self._finish_failed(
                state,
                ErrorInfo(
                    code="upload_expired",
                    status=410,
                    message="the uploaded file has expired or was deleted; upload it again",
                ),
            )
            await msg.ack()
        except Exception as exc:
            await publisher.drain()
            log.error("job_failed", error=type(exc).__name__)
            await self._finish_failed(
                state,
                ErrorInfo(
                    code="analysis_failed",
                    status=500,
                    message="the analysis failed because of an internal error",
                    details=type(exc).__name__,
                ),
            )
            await msg.ack()
        finally:
            keepalive.cancel()
            self.running.pop(job.job_id, None)
            ACTIVE.dec()

    async def _after_complete(self, job: AnalyzeJob, messages: int, seconds: float) -> None:
        """Bookkeeping that must never turn a finished job into a failed one."""
        try:
            await record_throughput(self.stores, messages, seconds)
            await evict_lru(self.stores, self.settings.cache_max_size, keep=job.cache_key)
        except Exception as exc:
            log.warning("post_job_bookkeeping_failed", error=type(exc).__name__)

    async def _keep_alive(self, msg: Msg) -> None:
        """Tell JetStream the job is still being worked on, well within ack_wait."""
        interval = max(0.5, self.settings.ack_wait / 3)
        while True:
            await asyncio.sleep(interval)
            with contextlib.suppress(Exception):
                await msg.in_progress()

    async def _complete_from_cache(self, job: AnalyzeJob, state: JobState) -> bool:
        if await usable_index(self.stores, job.cache_key) is None:
            return False
        state.complete_from_cache(utcnow())
        await self._announce_complete(state)
        return True

    async def _announce_complete(self, state: JobState) -> bool:
        """Write the final state, then tell subscribers: 100 % progress, then complete.

        False (and nothing announced) when the job was cancelled or deleted meanwhile.
        """
        if not await self._write_state(state):
            return False
        await self._publish(
            state.job_id,
            "progress",
            ProgressEvent(
                job_id=state.job_id,
                progress=100.0,
                current_step=state.current_step,
                message=state.message,
                insights=list(state.insights),
            ),
        )
        await self._publish(
            state.job_id,
            "complete",
            CompleteEvent(job_id=state.job_id, results_url=f"/api/analysis/{state.job_id}"),
        )
        return True

    async def _store_results(self, job: AnalyzeJob, output: PipelineOutput) -> None:
        """Write the results and the redacted corpus, then their index.

        Peak memory: one encoded blob at a time, and the result objects are freed
        (when the caller kept no reference to ``output``) before the corpus is encoded.
        """
        results_name = job.cache_key
        corpus_name = f"{job.cache_key}.corpus"
        blob = encode_results(output.results)
        corpus = output.redacted_corpus
        del output
        size = len(blob)
        await self.stores.write_object(self.stores.results_data, results_name, blob)
        blob = encode_corpus(corpus)
        del corpus
        size += len(blob)
        await self.stores.write_object(self.stores.results_data, corpus_name, blob)
        del blob
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

    # --- state and events -------------------------------------------------------------

    async def _write_state(self, state: JobState) -> bool:
        """Write the job's state unless it was deleted or cancelled meanwhile; True if written."""
        lock = self._state_locks.setdefault(state.job_id, asyncio.Lock())
        async with lock:
            current = await self.stores.get_job(state.job_id)
            if current is None:
                return False  # deleted by the user meanwhile: don't resurrect it
            if current.status == "cancelled" and state.status != "cancelled":
                return False
            await self.stores.put_job(state)
            return True

    async def publish_progress(self, state: JobState, event: ProgressEvent) -> None:
        await self._write_state(state)
        await self._publish(state.job_id, "progress", event)

    async def _publish(self, job_id: str, kind: str, event: msgspec.Struct) -> None:
        await self.ctx.nc.publish(names.event_subject(job_id, kind), encode(event))

    async def _finish_cancelled(self, state: JobState) -> None:
        state.cancel(utcnow())
        await self._write_state(state)
        await self._publish(state.job_id, "cancelled", CancelledEvent(job_id=state.job_id))
        JOBS.labels(outcome="cancelled").inc()
        log.info("job_cancelled")

    async def _finish_failed(self, state: JobState, error: ErrorInfo) -> None:
        state.status = "failed"
        state.error = error
        state.current_step = "Failed"
        state.message = error.message
        state.finished_at = state.updated_at = utcnow()
        await self._write_state(state)
        await self._publish(
            state.job_id,
            "error",
            ErrorEvent(job_id=state.job_id, error=error.message, details=error.details),
        )
        JOBS.labels(outcome="failed").inc()
        log.warning("job_failed_final", code=error.code)


def load_job_config(settings: Settings) -> tuple[PrivacyConfig, Taxonomy | None]:
    """The redaction settings and topic taxonomy, or :class:`ConfigurationError`."""
    try:
        privacy = privacy_config_from_env(os.environ)
        taxonomy = None
        if settings.topic_taxonomy:
            mode = "replace" if settings.topic_taxonomy_mode == "replace" else "extend"
            taxonomy = load_taxonomy(settings.topic_taxonomy, mode)
    except (PrivacyConfigError, TaxonomyError) as exc:
        raise ConfigurationError(str(exc)) from None
    return privacy, taxonomy


async def run(ctx: ServiceContext) -> None:
    """The analyzer service body."""
    privacy, taxonomy = load_job_config(ctx.settings)
    stores = await Stores.open(ctx.js)
    # Load scikit-learn and the VADER lexicon before the first job, not during it.
    await asyncio.to_thread(warm_up)
    worker = AnalyzerWorker(ctx, stores, privacy, taxonomy)
    ctx.active_jobs = lambda: len(worker.running)
    drill = await ctx.nc.subscribe(
        names.ANALYZER_DRILLDOWN, queue=names.ANALYZER_QUEUE, cb=make_handler(stores)
    )
    try:
        await worker.run()
    finally:
        await drill.unsubscribe()
