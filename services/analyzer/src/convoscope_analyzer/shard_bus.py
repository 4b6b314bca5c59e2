"""A large job's shards over the bus: the coordinating run's side of ``run_sharded``.

The run that holds the job runs :func:`~convoscope_analyzer.sharded.run_sharded` in its
thread with :class:`BusShards` as the runner: for each conversation range a stage
creates the range's fenced record and publishes a
:class:`~convoscope_common.shard_jobs.ShardTask` (each shard cuts its range from the
job's stored corpus, ``shard_inputs.py``; the analyse stage first writes the texts the
replay replaced in the range, which the shard applies again); any analyzer
replica (this one included, in its shard slot) computes it; the run collects the
outputs as their records turn ``complete`` and hands them over, and ``run_sharded``
redacts, plans and merges exactly as one process does. The job's own lease, progress
and terminal event stay with this run, so subscribers see one monotone progress and one
ending.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import functools
import queue
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import msgspec

from convoscope_analyzer.engine import EngineOptions
from convoscope_analyzer.engine.plan import ShardPlan
from convoscope_analyzer.held_partial import HeldPartial
from convoscope_analyzer.memory import WRITE_WINDOW_BYTES
from convoscope_analyzer.privacy import PrivacyConfig
from convoscope_analyzer.raw_corpus import RawCorpus
from convoscope_analyzer.shard_inputs import CorpusShare
from convoscope_analyzer.shard_redaction import Recorded
from convoscope_analyzer.shard_store import ShardRecords
from convoscope_analyzer.sharded import Ranges
from convoscope_analyzer.stages import stage as timed
from convoscope_common import collector, names
from convoscope_common.clock import utcnow
from convoscope_common.logs import get_logger
from convoscope_common.records import JobState
from convoscope_common.shard_jobs import (
    ShardStage,
    ShardTask,
    job_object,
    shard_key,
    shard_object,
)
from convoscope_common.wire import encode

if TYPE_CHECKING:
    from convoscope_analyzer.job_run import JobRun

log = get_logger(__name__)

POLL_INTERVAL = 0.2  # seconds between looks at the pending shards' records
_Cut = Callable[[], bytes]  # cuts a range's input from the corpus the coordinator holds

_recorded_decoder = msgspec.msgpack.Decoder(list[Recorded])


@dataclass
class _Input:
    """One range's input: written by the coordinator (``cut`` cuts it from the corpus it
    holds), or cut by the shard from the job's stored corpus (``cut`` None), then
    redacted again there from ``patches`` (analyze, privacy on)."""

    index: int
    start: int
    end: int
    cut: _Cut | None = None
    patches: bytes = b""  # encoded (shard_redaction.encode_patches); b"": none


class _Feed:
    """The inputs of one shard stage, handed from the job's thread to its dispatch on
    the event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.items: collections.deque[_Input] = collections.deque()
        self.wake = asyncio.Event()  # a new input, or a changed record of the stage

    def put(self, item: _Input) -> None:
        """Hand over one more input (from another thread)."""
        self.loop.call_soon_threadsafe(self._arrive, item)

    def _arrive(self, item: _Input) -> None:
        self.items.append(item)
        self.wake.set()


class ShardFailedError(Exception):
    """A shard ended failed (or its record vanished): the job cannot be merged."""


class BusShards:
    """The shard runner ``run_sharded`` calls from the job's thread, backed by the bus."""

    # Its analyse shards redo each range's redaction on the original range from the
    # replay's patches (``sharded_early.PatchedStage``).
    patched = True

    def __init__(
        self,
        run: JobRun,
        records: ShardRecords,
        loop: asyncio.AbstractEventLoop,
        checkpoint: Callable[[], None],
    ) -> None:
        self.run = run
        self.records = records
        self.loop = loop
        self.checkpoint = checkpoint
        # This process's shard slot takes the analyse inputs lent there (shard_inputs.py).
        self.corpora: CorpusShare = run.handler.corpora
        # For the duration model: wall seconds of the shard stages, and the seconds the
        # shards computed (summed over shards, whichever replica ran them).
        self.wall = 0.0
        self.work = 0.0
        # Set once the analyse stage's inputs are all written and its tasks published
        # (the redacted corpus is stored after them: the shards wait for theirs).
        self.dispatched = asyncio.Event()
        # Set once every analyse shard's output is read (nothing of the shards is read
        # again: their records and objects may go).
        self.collected = asyncio.Event()

    def detect(
        self, raw: RawCorpus, privacy: PrivacyConfig, ranges: Ranges
    ) -> Iterator[tuple[int, list[Recorded]]]:
        # Dispatched now, not at the first look for an output: the driver reads meanwhile.
        # No inputs are written: the shards cut their ranges from the stored corpus (this
        # process's slot from ``raw``, lent by ``run_sharded_job``; shard_inputs.py).
        finished = self._stage("detect", raw, ranges, "", whole_corpus=True)
        return self._recordings(finished)

    def _recordings(
        self, finished: Iterator[tuple[int, bytes]]
    ) -> Iterator[tuple[int, list[Recorded]]]:
        for index, data in finished:
            with timed("shard_output_decode", shard_stage="detect", index=index, bytes=len(data)):
                with collector.paused():
                    recorded = _recorded_decoder.decode(data)
            yield index, recorded

    def analyze(
        self, raw: RawCorpus, ranges: Ranges, plan: ShardPlan, options: EngineOptions
    ) -> Iterator[tuple[int, HeldPartial]]:
        # Shards get the fallback language only: the learned topics are read afterwards.
        def release() -> None:
            # Every input is stored: the coordinator keeps no copy of the corpus while
            # the shards analyse (the detect stage's corpus is still to be redacted).
            raw.let_go()

        finished = self._stage("analyze", raw, ranges, plan.fallback_language, release)
        return self._partials(finished)

    def start_analysis(
        self, ranges: Ranges, plan: ShardPlan, options: EngineOptions
    ) -> BusAnalysis:
        """The analyse stage, its shards dispatched one by one as the driver starts them
        (``sharded_early.EarlyRunner``): each range's input is written and its task published
        as soon as it is redacted, while later ranges are still detected."""
        return BusAnalysis(self, ranges, plan.fallback_language)

    def _partials(self, finished: Iterator[tuple[int, bytes]]) -> Iterator[tuple[int, HeldPartial]]:
        for index, data in finished:
            # Held encoded until the merge (held_partial.py): a third of the memory.
            with timed("shard_output_decode", shard_stage="analyze", index=index, bytes=len(data)):
                partial = HeldPartial(data)
            yield index, partial

    def _stage(
        self,
        stage: ShardStage,
        raw: RawCorpus,
        ranges: Ranges,
        fallback: str,
        dispatched: Callable[[], None] | None = None,
        *,
        whole_corpus: bool = False,
    ) -> Iterator[tuple[int, bytes]]:
        """Start the stage's shards now, every range at once; the iterator yields (index,
        output) of every range as they finish (in the job's thread). ``whole_corpus``:
        the shards read their ranges from the job's stored corpus (nothing is written)."""
        feed = _Feed(self.loop)
        for index, (start, end) in enumerate(ranges):
            # Each input is cut from the encoded corpus just before it is written (bytes
            # copied, nothing decoded), so at most one slice exists beside the corpus.
            cut: _Cut | None = None
            if not whole_corpus:
                cut = functools.partial(raw.encode, start, end, projects=False)
            feed.items.append(_Input(index, start, end, cut))
        done: queue.Queue[tuple[int, bytes]] = queue.Queue()
        future = asyncio.run_coroutine_threadsafe(
            self._run_stage(stage, len(ranges), fallback, feed, done, dispatched), self.loop
        )
        return self._collect(future, done, len(ranges))

    def _collect(
        self,
        future: concurrent.futures.Future[None],
        done: queue.Queue[tuple[int, bytes]],
        count: int,
    ) -> Iterator[tuple[int, bytes]]:
        got = 0
        started = time.perf_counter()
        try:
            while got < count:
                self.checkpoint()  # cancel, timeout, lost lease: stop waiting
                try:
                    item = done.get(timeout=POLL_INTERVAL)
                except queue.Empty:
                    if future.done():
                        future.result()  # the waiter's error, if it failed
                    continue
                got += 1
                yield item
        finally:
            future.cancel()
            self.wall += time.perf_counter() - started

    async def _run_stage(
        self,
        stage: ShardStage,
        count: int,
        fallback: str,
        feed: _Feed,
        done: queue.Queue[tuple[int, bytes]],
        dispatched: Callable[[], None] | None,
    ) -> None:
        """Dispatch the ranges ``feed`` brings as they come, and hand over each output as
        its record turns ``complete``, until all ``count`` are."""
        job = self.run.job
        pending: set[int] = set()  # dispatched, output not read yet
        sent = 0
        # Woken as soon as a record of the stage changes (a watch) or an input comes, else
        # every POLL_INTERVAL: a finished shard is read without waiting for the next look.
        watching = asyncio.ensure_future(self._watch(f"{job.job_id}.{stage}.*", feed.wake))
        try:
            while sent < count or pending:
                feed.wake.clear()
                if feed.items:
                    with timed("shard_dispatch", shard_stage=stage, shards=len(feed.items)):
                        while feed.items:
                            item = feed.items.popleft()
                            await self._dispatch(stage, item, fallback)
                            pending.add(item.index)
                            del item
                            sent += 1
                    if sent == count:
                        if dispatched is not None:
                            dispatched()
                        if stage == "analyze":
                            self.dispatched.set()
                if pending:
                    await self._look(stage, pending, done)
                if sent < count or pending:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(feed.wake.wait(), POLL_INTERVAL)
            if stage == "analyze":
                self.collected.set()
        finally:
            watching.cancel()
            with contextlib.suppress(BaseException):
                await watching

    async def _watch(self, pattern: str, changed: asyncio.Event) -> None:
        """Set ``changed`` on every update of a record under ``pattern`` (best effort: the
        stage also looks every POLL_INTERVAL)."""
        watcher = await self.records.kv.watch(pattern, ignore_deletes=True, meta_only=True)
        try:
            async for _ in watcher:
                changed.set()
        finally:
            await watcher.stop()  # type: ignore[no-untyped-call]

    async def _look(
        self, stage: ShardStage, pending: set[int], done: queue.Queue[tuple[int, bytes]]
    ) -> None:
        """Hand over the output of every pending shard whose record is complete."""
        job = self.run.job
        stores = self.run.stores
        order = sorted(pending)
        states = await asyncio.gather(
            *(self.records.get(shard_key(job.job_id, stage, index)) for index in order)
        )
        for index, state in zip(order, states, strict=True):
            if state is None:
                raise ShardFailedError(f"{stage} shard {index} vanished")
            if stage == "analyze" and state.status != "pending":
                # Claimed: by this process's slot, which took its lent input first, or by
                # another replica, which redoes the range from the stored corpus. The
                # range goes now, not once the shard is done (memory beside the partials).
                self.corpora.drop_input(shard_key(job.job_id, stage, index))
            if state.status == "complete":
                if state.started_at is not None and state.finished_at is not None:
                    self.work += (state.finished_at - state.started_at).total_seconds()
                with timed("shard_output_read", shard_stage=stage, index=index) as extra:
                    data = await stores.read_object(
                        stores.results_data, shard_object(job.job_id, stage, index)
                    )
                    extra["bytes"] = len(data)
                done.put((index, bytes(data)))
                pending.discard(index)
            elif state.status in ("failed", "cancelled"):
                code = state.error.code if state.error is not None else state.status
                raise ShardFailedError(f"{stage} shard {index}: {code}")

    async def _dispatch(self, stage: ShardStage, item: _Input, fallback: str) -> None:
        """Write the range's input (or its patches), create its record, publish its task."""
        job = self.run.job
        stores = self.run.stores
        js = self.run.handler.ctx.js
        index, cut = item.index, item.cut
        whole = cut is None
        patch_name = ""
        if cut is None:
            name = job.corpus_object  # the shard cuts its range from the stored corpus
            if item.patches:
                patch_name = job_object(job.job_id, f"{stage}-patch/{index}")
                await stores.write_object(stores.results_data, patch_name, item.patches)
        else:
            name = job_object(job.job_id, f"{stage}-in/{index}")
            item.cut = None
            blob = cut()
            del cut
            await stores.write_object(
                stores.results_data, name, blob, window_bytes=WRITE_WINDOW_BYTES
            )
            del blob
        key = shard_key(job.job_id, stage, index)
        now = utcnow()
        # A record left by an earlier run of this job is kept (its output is the same)
        # unless that run's shard ended failed or cancelled: this run computes it again.
        await self.records.create_or_renew(
            JobState(
                job_id=key,
                file_id=job.file_id,
                owner=job.owner,
                created_at=now,
                updated_at=now,
            )
        )
        task = ShardTask(
            job_id=job.job_id, stage=stage, index=index, start=item.start, end=item.end,
            corpus_object=name, fallback=fallback, owner=job.owner, options=job.options,
            whole_corpus=whole, patch_object=patch_name,
        )  # fmt: skip
        await js.publish(names.JOBS_SHARD, encode(task))

    async def cleanup(self, shards: int) -> None:
        """Remove the shards' records and objects (best effort: both expire anyway)."""
        stores = self.run.stores
        job_id = self.run.job.job_id
        names_: list[str] = []
        for stage in ("detect", "analyze"):
            for index in range(shards):
                names_.append(shard_object(job_id, stage, index))
                if stage == "analyze":  # detect shards read the stored corpus
                    names_.append(job_object(job_id, f"{stage}-in/{index}"))
                    names_.append(job_object(job_id, f"{stage}-patch/{index}"))
                with contextlib.suppress(Exception):
                    await self.records.delete(shard_key(job_id, stage, index))
        for name in names_:
            with contextlib.suppress(Exception):
                await stores.delete_object(stores.results_data, name)


class BusAnalysis:
    """The analyse stage over the bus, its ranges started one by one by the driver
    (``sharded_early.AnalyseStage``)."""

    def __init__(self, bus: BusShards, ranges: Ranges, fallback: str) -> None:
        self.bus = bus
        self.ranges = ranges
        self.feed = _Feed(bus.loop)
        self.done: queue.Queue[tuple[int, bytes]] = queue.Queue()
        self.future = asyncio.run_coroutine_threadsafe(
            bus._run_stage("analyze", len(ranges), fallback, self.feed, self.done, None),
            bus.loop,
        )

    def start(self, index: int, part: RawCorpus) -> None:
        """Write range ``index``'s input (``part``, its conversations) and publish its
        task, on the loop; a failed dispatch raises here or from :meth:`finished`."""
        self._running()
        start, end = self.ranges[index]
        self.feed.put(_Input(index, start, end, functools.partial(part.encode, projects=False)))

    def start_patched(self, index: int, part: RawCorpus, patches: bytes) -> None:
        """Publish range ``index``'s task with the replay's ``patches`` (written when
        there are any; none with privacy off): the shard cuts the original range from
        the job's stored corpus and redacts it again from them. This process's own shard
        slot takes ``part`` (the range as analysed) instead, lent until a replica claims
        the shard."""
        self._running()
        start, end = self.ranges[index]
        bus = self.bus
        bus.corpora.lend_input(shard_key(bus.run.job.job_id, "analyze", index), part)
        self.feed.put(_Input(index, start, end, None, patches))

    def _running(self) -> None:
        if self.future.done():
            self.future.result()  # its error (or the stage was stopped)

    def finished(self) -> Iterator[tuple[int, HeldPartial]]:
        """The partials as the shards finish (every range started)."""
        return self.bus._partials(self.bus._collect(self.future, self.done, len(self.ranges)))

    def close(self) -> None:
        """Stop the stage's dispatch and waiting (a no-op once every output is read)."""
        self.future.cancel()
