"""The analyzer worker: the job handler the shared consumer runtime runs.

A job message is acknowledged only after its final state is written, so a
worker killed mid-job leaves the message to be redelivered (after ``ack_wait``)
to another replica. A run owns its job through a lease (``convoscope_common.lease``):
a redelivered copy of a job that runs in this replica joins it; one whose run
stopped elsewhere takes the job over, and the old run's writes are refused.
"""

from __future__ import annotations

import asyncio
import sys

import msgspec
import structlog
from nats.aio.msg import Msg

from convoscope_analyzer.calibration import calibrate
from convoscope_analyzer.drilldown_service import make_handler
from convoscope_analyzer.engine import Taxonomy, warm_up
from convoscope_analyzer.idle_memory import IdleRelease
from convoscope_analyzer.incremental_job import pieces_pending, pieces_saved
from convoscope_analyzer.job_config import load_job_config
from convoscope_analyzer.job_run import JobRun, failure
from convoscope_analyzer.privacy import PrivacyConfig
from convoscope_analyzer.running import JobCancelledError, RunningJob, WorkerShutdownError
from convoscope_analyzer.shard_inputs import CorpusShare
from convoscope_analyzer.shard_store import ShardRecords
from convoscope_analyzer.shard_worker import ShardHandler, make_shard_consumer
from convoscope_analyzer.stages import stage
from convoscope_analyzer.topic_process import start_spare, stop_spare
from convoscope_common import names
from convoscope_common.clock import new_id, utcnow
from convoscope_common.consumer import (
    Ack,
    Delivery,
    Doorbell,
    JobConsumer,
    Outcome,
    Retry,
)
from convoscope_common.lease import (
    LeaseLostError,
    claim,
    job_fencing,
    left_unsettled,
    peek,
)
from convoscope_common.logs import get_logger
from convoscope_common.metrics import Counter, Gauge
from convoscope_common.pricing import load_price_table
from convoscope_common.records import TERMINAL_STATUSES
from convoscope_common.runtime import ServiceContext
from convoscope_common.storage import Stores
from convoscope_common.wire import AnalyzeJob, analyze_job_decoder, cancel_request_decoder

log = get_logger(__name__)

ACTIVE = Gauge("convoscope_analyzer_active_jobs", "Jobs running in this replica")
REDELIVERIES = Counter("convoscope_analyzer_redeliveries_total", "Jobs received more than once")


class AnalyzerHandler:
    """Turns one analysis job message into an outcome (see :class:`JobConsumer`)."""

    def __init__(
        self,
        ctx: ServiceContext,
        stores: Stores,
        privacy: PrivacyConfig,
        taxonomy: Taxonomy | None = None,
        shard_records: ShardRecords | None = None,
        corpora: CorpusShare | None = None,
    ) -> None:
        self.ctx = ctx
        # Where this process's shard slot cuts its ranges (its sharded runs lend their
        # corpus and their redacted ranges there).
        self.corpora = corpora if corpora is not None else CorpusShare(stores)
        # None: this replica never splits a job into shards over the bus.
        self.shard_records = shard_records
        self.settings = ctx.settings
        self.stores = stores
        self.privacy = privacy
        self.taxonomy = taxonomy
        self.prices = load_price_table(ctx.settings)
        self.fencing = job_fencing(stores)
        self.running: dict[str, RunningJob] = {}
        self.finished = 0  # job deliveries handled so far

    def decode(self, data: bytes) -> AnalyzeJob:
        return analyze_job_decoder.decode(data)

    def key(self, job: AnalyzeJob) -> str:
        return job.job_id

    def interrupt(self) -> None:
        for running in self.running.values():
            running.request_stop(WorkerShutdownError)

    async def handle(self, job: AnalyzeJob, delivery: Delivery) -> Outcome:
        with structlog.contextvars.bound_contextvars(job_id=job.job_id, file_id=job.file_id):
            if delivery.attempt > 1:
                REDELIVERIES.inc()
            with stage("claim", attempt=delivery.attempt) as extra:
                current = await peek(self.fencing, job.job_id)
                if current is None or current.status in TERMINAL_STATUSES:
                    # Deleted, or finished before a crash lost the ack: nothing left to do.
                    return Ack()
                extra["queued_seconds"] = round((utcnow() - current.created_at).total_seconds(), 3)
                # The run before this delivery stopped without settling: it may have taken
                # its replica down, so this one runs alone and is charged if it does too.
                if left_unsettled(current) and not await delivery.run_alone():
                    return Retry(delay=0, reason="shutdown")
                got = await claim(self.fencing, job.job_id, new_id("run"), solo=delivery.alone)
                if got is None:
                    return Ack()
            ACTIVE.inc()
            try:
                return await JobRun(self, job, got.lease, got.state, delivery).execute()
            finally:
                ACTIVE.dec()
                self.finished += 1

    async def give_up(self, job: AnalyzeJob, reason: str) -> None:
        """Fail the job once, after errors its run could not turn into a final state."""
        got = await claim(self.fencing, job.job_id, new_id("run"), solo=False)
        if got is None:
            return
        run = JobRun(self, job, got.lease, got.state)
        try:
            await run.finish_failed(
                failure(
                    "store_unavailable",
                    503,
                    "the analysis could not be stored because the message store kept failing",
                    reason,
                )
            )
        except LeaseLostError:
            pass

    async def on_cancel(self, msg: Msg) -> None:
        try:
            req = cancel_request_decoder.decode(msg.data)
        except msgspec.DecodeError:
            return
        running = self.running.get(req.job_id)
        if running is not None:
            log.info("job_cancel_requested", job_id=req.job_id)
            running.request_stop(JobCancelledError)


def make_consumer(handler: AnalyzerHandler) -> JobConsumer[AnalyzeJob]:
    """The runtime around the handler: high before normal before low priority, an idle
    loop woken as soon as a job is published."""
    ctx = handler.ctx
    return JobConsumer(
        ctx.js,
        names.JOBS_STREAM,
        [f"{names.ANALYZER_DURABLE}-{priority}" for priority in names.JOB_PRIORITIES],
        handler,
        slots=ctx.settings.max_concurrent_jobs,
        stopping=ctx.stopping,
        ack_wait=ctx.settings.ack_wait,
        doorbell=Doorbell(ctx.nc, names.JOBS_ANALYZE_ALL),
    )


# The interpreter's switch interval while this replica runs (CPython's default: 5 ms).
# Its event loop (object chunks and their acknowledgements, shard records, outputs)
# shares the interpreter lock with up to three computing threads (a job's, its topic
# fit, a shard); each time it wakes it waits up to one interval for the lock, so at
# 5 ms a sharded job's input writes and output reads took 4-10x their CPU time.
SWITCH_INTERVAL = 0.001
# How long a stopping replica waits for collection pieces still being written (seconds).
PIECES_SAVE_WAIT = 10.0


async def run(ctx: ServiceContext) -> None:
    """The analyzer service body."""
    sys.setswitchinterval(SWITCH_INTERVAL)
    privacy, taxonomy = load_job_config(ctx.settings)
    stores = await Stores.open(ctx.js)
    # Load the language model, lexicons and cue files before the first job, not during
    # it (scikit-learn is never loaded here: the topic models run in a child process).
    await asyncio.to_thread(warm_up)
    # The first job's topic-model child, its libraries imported while the replica waits.
    start_spare()
    records = await ShardRecords.open(ctx.js)
    handler = AnalyzerHandler(ctx, stores, privacy, taxonomy, records)
    shard_handler = ShardHandler(
        ctx, stores, records, privacy, taxonomy, handler.prices, corpora=handler.corpora
    )
    ctx.active_jobs = lambda: len(handler.running)
    drill = await ctx.nc.subscribe(
        names.ANALYZER_DRILLDOWN, queue=names.ANALYZER_QUEUE, cb=make_handler(stores)
    )
    cancels = await ctx.nc.subscribe(names.CANCEL_ALL, cb=handler.on_cancel)
    # The first estimate, before any job here was measured, scaled to this machine.
    calibration = asyncio.create_task(
        calibrate(stores, lambda: not handler.running and not shard_handler.active)
    )

    def idle() -> bool:  # nothing runs, and nothing of a job is held any more
        busy = handler.running or shard_handler.active
        return not (busy or handler.corpora.holding or pieces_pending())

    # What a job leaves in this process goes back once it is idle; a replica that
    # stays well above its starting size is started afresh (CONVOSCOPE_ANALYZER_RECYCLE_MB).
    releasing = asyncio.create_task(
        IdleRelease(
            lambda: handler.finished + shard_handler.finished,
            idle,
            recycle_above_mb=ctx.settings.analyzer_recycle_mb,
            recycle=ctx.end_for_restart,
        ).run()
    )
    try:
        # Shards have their own slot: a replica coordinating a sharded job (waiting,
        # not computing) still computes shards, its own job's included.
        await asyncio.gather(make_consumer(handler).run(), make_shard_consumer(shard_handler).run())
    finally:
        calibration.cancel()
        releasing.cancel()
        handler.corpora.close()
        stop_spare()
        await cancels.unsubscribe()
        await drill.unsubscribe()
        # Collection pieces still being written after their jobs completed.
        await pieces_saved(timeout=PIECES_SAVE_WAIT)
