"""Taking shards of large analyses from the bus: any analyzer replica runs any shard.

A shard runs under its record's lease, like a job: claimed by compare-and-set, its
output object written, then its record set ``complete`` through the lease, then the
message acknowledged. A replica killed mid-shard leaves the message unacknowledged; it
comes back after ``ack_wait`` and the next run takes the record over and computes the
shard again, writing the same object name, so the merge counts it once.
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
import structlog

from convoscope_analyzer.corpus_loading import load_corpus
from convoscope_analyzer.engine.options import engine_options
from convoscope_analyzer.engine.plan import ShardPlan
from convoscope_analyzer.engine.taxonomy import Taxonomy
from convoscope_analyzer.memory import WRITE_WINDOW_BYTES, give_back
from convoscope_analyzer.privacy import PrivacyConfig
from convoscope_analyzer.raw_corpus import RawCorpus
from convoscope_analyzer.running import WorkerShutdownError
from convoscope_analyzer.shard_inputs import CorpusShare
from convoscope_analyzer.shard_redaction import (
    apply_patches,
    record_detections,
    text_patches_decoder,
)
from convoscope_analyzer.shard_store import ShardRecords
from convoscope_analyzer.sharded import shard_partial
from convoscope_analyzer.stages import stage as timed
from convoscope_common import collector, names
from convoscope_common.clock import new_id, utcnow
from convoscope_common.comparison_types import PriceTable
from convoscope_common.consumer import Ack, Delivery, JobConsumer, Outcome, Retry, StandDown
from convoscope_common.corpus import Corpus
from convoscope_common.faults import backoff, is_transient
from convoscope_common.lease import LeaseLostError, claim, left_unsettled, peek
from convoscope_common.logs import get_logger
from convoscope_common.metrics import Counter
from convoscope_common.records import TERMINAL_STATUSES, JobState
from convoscope_common.runtime import ServiceContext
from convoscope_common.shard_jobs import ShardTask, shard_key, shard_object, shard_task_decoder
from convoscope_common.storage import Stores
from convoscope_common.wire import ErrorInfo

log = get_logger(__name__)

SHARDS = Counter("convoscope_analyzer_shards_total", "Analysis shards by outcome", ["outcome"])


class ShardStopped(Exception):
    """The replica is shutting down: give the shard back."""


class ShardHandler:
    """Turns one shard message into an outcome (see :class:`JobConsumer`)."""

    def __init__(
        self,
        ctx: ServiceContext,
        stores: Stores,
        records: ShardRecords,
        privacy: PrivacyConfig,
        taxonomy: Taxonomy | None = None,
        prices: PriceTable | None = None,
        corpora: CorpusShare | None = None,
    ) -> None:
        self.ctx = ctx
        # The stored corpora shards cut their ranges from (shared with this process's
        # coordinating runs, which lend their corpus and redacted ranges).
        self.corpora = corpora if corpora is not None else CorpusShare(stores)
        self.prices = prices
        self.settings = ctx.settings
        self.stores = stores
        self.records = records
        self.privacy = privacy
        self.taxonomy = taxonomy
        self.stopping = False
        self.active = 0  # shard tasks being handled (the replica is not idle)
        self.finished = 0  # shard tasks handled so far

    def decode(self, data: bytes) -> ShardTask:
        return shard_task_decoder.decode(data)

    def key(self, task: ShardTask) -> str:
        return shard_key(task.job_id, task.stage, task.index)

    def interrupt(self) -> None:
        self.stopping = True

    async def give_up(self, task: ShardTask, reason: str) -> None:
        """The store kept failing: fail the shard (its job then fails)."""
        got = await claim(self.records.fencing, self.key(task), new_id("run"), solo=False)
        if got is None:
            return
        try:
            await self._fail(got.state, got.lease, "store_unavailable", reason)
        except LeaseLostError:
            pass

    async def handle(self, task: ShardTask, delivery: Delivery) -> Outcome:
        self.active += 1
        try:
            return await self._handle(task, delivery)
        finally:
            self.active -= 1
            self.finished += 1

    async def _handle(self, task: ShardTask, delivery: Delivery) -> Outcome:
        key = self.key(task)
        # Taken before the shard is claimed: the coordinating run lets a lent input go
        # once it sees the shard claimed (whoever claimed it).
        lent = self.corpora.take_input(key) if task.whole_corpus else None
        with structlog.contextvars.bound_contextvars(job_id=task.job_id, shard=key):
            current = await peek(self.records.fencing, key)
            if current is None or current.status in TERMINAL_STATUSES:
                return Ack()  # done before a lost ack, or the job was cleaned up
            if left_unsettled(current):
                if delivery.attempt == 1 or _holder_message_differs(current, delivery):
                    # Another task for a shard another run holds: a coordinator that
                    # runs the job again (after a transient error, or taking it over)
                    # dispatches every range anew, and an older task given back comes
                    # back after a newer one took the shard. Only the holder's own
                    # message coming back means that run stopped (it is unacknowledged
                    # until then); taking the shard over now computed it twice (seen
                    # under load in CI).
                    SHARDS.labels(outcome="duplicate").inc()
                    return Ack()
                if not await delivery.run_alone():
                    return Retry(delay=0, reason="shutdown")
            got = await claim(
                self.records.fencing,
                key,
                new_id("run"),
                solo=delivery.alone,
                message_seq=delivery.sequence,
            )
            if got is None:
                return Ack()
            state, lease = got.state, got.lease
            where = {"shard_stage": task.stage, "index": task.index}
            state.started_at = utcnow()  # its time counts in the job's duration model
            if got.took_over:
                log.info("shard_taken_over", crashes=state.crashes)
            try:
                if state.crashes >= self.settings.max_attempts:
                    await self._fail(state, lease, "shard_failed_repeatedly", "")
                    return Ack()
                with timed("shard_input_read", **where) as extra:
                    blob, patches = await self._input(task, lent)
                    del lent
                    extra["bytes"] = len(blob)
                data = await asyncio.to_thread(self._compute, task, blob, patches)
                del blob, patches
                give_back()  # the shard's corpus and intermediate rows are freed
                if self.stopping:
                    raise ShardStopped
                with timed("shard_output_store", bytes=len(data), **where):
                    await self.stores.write_object(
                        self.stores.results_data,
                        shard_object(task.job_id, task.stage, task.index),
                        data,
                        window_bytes=WRITE_WINDOW_BYTES,
                    )
                state.status = "complete"
                state.progress = 100.0
                state.finished_at = state.updated_at = utcnow()
                await lease.write(state)
                SHARDS.labels(outcome="complete").inc()
                return Ack()
            except LeaseLostError as lost:
                return Ack() if lost.ended else StandDown("another run holds the shard")
            except (ShardStopped, WorkerShutdownError):
                await lease.release(state, "requeued")
                return Retry(delay=0, reason="shutdown")
            except Exception as exc:
                if is_transient(exc):
                    await lease.release(state, "retrying")
                    return Retry(delay=backoff(delivery.attempt), reason=type(exc).__name__)
                log.error("shard_failed", error=type(exc).__name__)
                await self._fail(state, lease, "analysis_failed", type(exc).__name__)
                return Ack()

    async def _fail(self, state: JobState, lease: object, code: str, details: str) -> None:
        state.status = "failed"
        state.error = ErrorInfo(code=code, status=500, message="a shard failed", details=details)
        state.finished_at = state.updated_at = utcnow()
        await lease.write(state)  # type: ignore[attr-defined]
        SHARDS.labels(outcome="failed").inc()

    async def _input(
        self, task: ShardTask, lent: RawCorpus | None
    ) -> tuple[bytes | bytearray, bytes | None]:
        """The shard's conversations, encoded as a corpus without projects, and the
        patches that redact them (encoded; None: they are as the shard reads them).
        ``lent``: the input this process's job run lent for it, if any."""
        if not task.whole_corpus:
            data = await self.stores.read_object(self.stores.results_data, task.corpus_object)
            return data, None
        if lent is not None:  # this process's job run holds the range as analysed
            return lent.encode(projects=False), None
        blob = await self.corpora.encoded_range(task.corpus_object, task.start, task.end)
        if not task.patch_object:
            return blob, None
        patches = await self.stores.read_object(self.stores.results_data, task.patch_object)
        return blob, bytes(patches)

    def _compute(
        self, task: ShardTask, blob: bytes | bytearray, patches: bytes | None = None
    ) -> bytes:
        """The shard's output (runs in a thread): detections or a partial, as msgpack."""
        where = {"shard_stage": task.stage, "index": task.index}
        with timed("shard_input_decode", bytes=len(blob), **where) as extra:
            corpus = load_corpus(blob)
            extra["messages"] = sum(len(c.messages) for c in corpus.conversations)
        if patches is not None:
            with timed("shard_input_redact", bytes=len(patches), **where):
                apply_patches(corpus, text_patches_decoder.decode(patches))
        # The shard's messages live until it ends, as a job's do in run_pipeline: the
        # collections its scan or analysis triggers need not walk them (or the modules
        # loaded at start) again and again (~14 % of an analyse shard's CPU, ~10 % of a
        # detect shard's, on the benchmark export).
        with collector.long_lived_frozen():
            return self._compute_loaded(task, corpus, where)

    def _compute_loaded(self, task: ShardTask, corpus: Corpus, where: dict[str, Any]) -> bytes:
        if task.stage == "detect":
            privacy = self.privacy.for_owner(task.owner)
            with timed("shard_detect", **where):
                recorded = record_detections(corpus, privacy, 0, len(corpus.conversations))
            with timed("shard_output_encode", **where) as extra:
                out = msgspec.msgpack.encode(recorded)
                extra["bytes"] = len(out)
            return out
        options = engine_options(task.options, self.taxonomy, self.prices)
        # No topic models: the coordinator fits them meanwhile and reads the learned
        # topics from the terms the partial carries.
        plan = ShardPlan(fallback_language=task.fallback)
        with timed("shard_analyse", **where):
            partial = shard_partial(corpus, task.start, plan, options, self._checkpoint)
        with timed("shard_output_encode", **where) as extra:
            out = msgspec.msgpack.encode(partial)
            extra["bytes"] = len(out)
        return out

    def _checkpoint(self) -> None:
        if self.stopping:
            raise ShardStopped


def _holder_message_differs(current: JobState, delivery: Delivery) -> bool:
    """Whether the run holding the shard claimed it for another message than this one
    (records written before the sequence was kept say 0: not known)."""
    return bool(current.message_seq and delivery.sequence) and (
        current.message_seq != delivery.sequence
    )


def make_shard_consumer(handler: ShardHandler) -> JobConsumer[ShardTask]:
    """The runtime around the shard handler: its own slot, so a replica whose other slot
    coordinates a sharded job still takes shards."""
    ctx = handler.ctx
    return JobConsumer(
        ctx.js,
        names.JOBS_STREAM,
        [names.SHARD_DURABLE],
        handler,
        slots=1,
        stopping=ctx.stopping,
        ack_wait=ctx.settings.ack_wait,
    )
