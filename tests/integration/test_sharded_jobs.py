"""Shards over the bus, on a real nats-server: a large job split across two analyzer
replicas gives exactly the one-process results; a shard whose run is abandoned after
claiming it is redone by another run and counted once; progress stays monotone and the
job ends once."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime
from typing import Any, cast

import msgspec
import pytest
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from convoscope_analyzer.pipeline import run_pipeline
from convoscope_analyzer.privacy import PrivacyConfig
from convoscope_analyzer.shard_store import ShardRecords
from convoscope_analyzer.shard_worker import ShardHandler, make_shard_consumer
from convoscope_analyzer.worker import AnalyzerHandler, make_consumer
from convoscope_common import names
from convoscope_common.cache import cache_key
from convoscope_common.config import Settings
from convoscope_common.consumer import Ack, Delivery, Outcome, SlotPool, StandDown
from convoscope_common.corpus import decode_corpus, encode_corpus
from convoscope_common.lease import claim
from convoscope_common.options import AnalysisOptions
from convoscope_common.ownership import add_ref
from convoscope_common.provisioning import provision
from convoscope_common.records import JobState
from convoscope_common.results import AnalysisResults, decode_results
from convoscope_common.shard_jobs import ShardTask, shard_key
from convoscope_common.storage import Stores
from convoscope_common.wire import AnalyzeJob, ProgressEvent, encode, job_event_decoder
from convoscope_ingest.parsing import parse_export
from tests.export_texts import load_generator
from tests.worker_fakes import FakeCtx, FakeMetadata, FakeMsg, FakeSequence

pytestmark = pytest.mark.integration

SETTINGS = Settings(shard_min_messages=500, analysis_shards=4, ack_wait=2.0)
SECTIONS = [f for f in AnalysisResults.__struct_fields__ if f != "generated_at"]


class _Replica:
    """One analyzer replica: its job consumer and its shard consumer."""

    def __init__(self, name: str, js: JetStreamContext, nc: NATS, stores: Stores,
                 records: ShardRecords, computed: Counter[tuple[str, str]],
                 abandon: set[str] | None = None) -> None:  # fmt: skip
        ctx = cast(Any, FakeCtx(SETTINGS, js=js, nc=nc))
        self.ctx = ctx
        self.jobs = AnalyzerHandler(ctx, stores, PrivacyConfig(), None, records)
        # One process: its shard slot cuts detect ranges from the corpus its own job
        # runs lend (as worker.run wires them).
        shards = _CountingShards(ctx, stores, records, PrivacyConfig(), corpora=self.jobs.corpora)
        # One set shared by both replicas: whichever takes the shard first abandons it.
        shards.replica, shards.computed = name, computed
        shards.abandon = abandon if abandon is not None else set()
        shards.seen = []
        self.shards = shards
        self.tasks = [
            asyncio.create_task(make_consumer(self.jobs).run()),
            asyncio.create_task(make_shard_consumer(shards).run()),
        ]

    async def stop(self) -> None:
        self.ctx.stopping.set()
        await asyncio.wait_for(asyncio.gather(*self.tasks), 30)


class _CountingShards(ShardHandler):
    replica = ""
    computed: Counter[tuple[str, str]]
    abandon: set[str]
    seen: list[ShardTask]

    async def handle(self, task: ShardTask, delivery: Delivery) -> Outcome:
        self.seen.append(task)
        key = self.key(task)
        if key in self.abandon:
            # A run that claimed the shard and died: the record says "processing" under
            # its run id, and the message is never acknowledged.
            self.abandon.discard(key)
            await claim(self.records.fencing, key, "run_killed", solo=True)
            return StandDown("killed")
        return await super().handle(task, delivery)

    def _compute(
        self, task: ShardTask, blob: bytes | bytearray, patches: bytes | None = None
    ) -> bytes:
        self.computed[(self.replica, self.key(task))] += 1
        data = super()._compute(task, blob, patches)
        import time

        time.sleep(0.3)  # long enough that the other replica takes shards too
        return data


class _FlakyRecords(ShardRecords):
    """The coordinator's first look at each of ``fail_once`` times out (a request lost
    across a pause): its run fails with a transient error and the job is run again."""

    fail_once: set[str]

    async def get(self, key: str) -> JobState | None:
        if key in self.fail_once:
            self.fail_once.discard(key)
            raise TimeoutError
        return await super().get(key)


async def _submit(
    js: JetStreamContext, stores: Stores, job_id: str, options: AnalysisOptions
) -> tuple[bytes, AnalyzeJob]:
    export = load_generator().generate_claude_export(120, seed=11)
    blob = encode_corpus(parse_export(export).corpus)
    await stores.write_object(stores.corpora, f"corpus-{job_id}", blob)
    key = cache_key(f"sha256:{job_id}", options)
    now = datetime.now(UTC)
    await stores.put_job(
        JobState(job_id=job_id, file_id="f", cache_key=key, created_at=now, updated_at=now)
    )
    await add_ref(stores, key, job_id)
    job = AnalyzeJob(
        job_id=job_id, file_id="f", file_hash=f"sha256:{job_id}", corpus_object=f"corpus-{job_id}",
        options=options, cache_key=key, submitted_at=now,
    )  # fmt: skip
    return blob, job


async def _run(
    js: JetStreamContext,
    nc: NATS,
    job_id: str,
    abandon: set[str],
    left: list[JobState] | None = None,
    removed: list[str] | None = None,
    fail_once: set[str] | None = None,
    options: AnalysisOptions | None = None,
) -> dict[str, Any]:
    options = options or AnalysisOptions()
    await provision(js, SETTINGS)
    stores = await Stores.open(js)
    records = _FlakyRecords(await js.key_value(names.KV_SHARDS))
    records.fail_once = fail_once if fail_once is not None else set()
    blob, job = await _submit(js, stores, job_id, options)
    for record in left or []:  # what an earlier run of this job left behind
        assert await records.create(record)
    now = datetime.now(UTC)
    for key in removed or []:  # records an earlier run made, then removed (its cleanup)
        record = JobState(job_id=key, file_id="f", created_at=now, updated_at=now)
        assert await records.create(record)
        await records.delete(key)
    progress: list[float] = []
    endings: list[str] = []

    async def on_event(msg: Any) -> None:
        kind = msg.subject.rsplit(".", 1)[-1]
        if kind == "progress":
            event = job_event_decoder.decode(msg.data)
            assert isinstance(event, ProgressEvent)
            progress.append(event.progress)
        else:
            endings.append(kind)

    sub = await nc.subscribe(names.events_of(job_id), cb=on_event)
    computed: Counter[tuple[str, str]] = Counter()
    replicas = [
        _Replica("a", js, nc, stores, records, computed, abandon),
        _Replica("b", js, nc, stores, records, computed, abandon),
    ]
    await js.publish(names.analyze_subject("normal"), encode(job))
    try:
        for _ in range(600):
            state = await stores.get_job(job_id)
            if state is not None and state.status in ("complete", "failed", "cancelled"):
                break
            await asyncio.sleep(0.2)
        await asyncio.sleep(0.5)  # the last events arrive
    finally:
        for replica in replicas:
            await replica.stop()
        await sub.unsubscribe()
    assert state is not None and state.status == "complete", state
    index = await stores.get_result_index(job.cache_key)
    assert index is not None
    results = decode_results(await stores.read_object(stores.results_data, index.results_object))
    expected = run_pipeline(decode_corpus(blob), options, PrivacyConfig()).results
    for name in SECTIONS:
        got = msgspec.msgpack.encode(getattr(results, name))
        assert got == msgspec.msgpack.encode(getattr(expected, name)), name
    leftovers = [
        await records.get(shard_key(job_id, stage, i)) for stage in ("detect", "analyze")
        for i in range(SETTINGS.analysis_shards)
    ]  # fmt: skip
    return {
        "progress": progress,
        "endings": endings,
        "computed": computed,
        "leftovers": leftovers,
        "tasks": [task for replica in replicas for task in replica.shards.seen],
        "corpus_reads": [replica.jobs.corpora.reads for replica in replicas],
    }


async def test_a_large_job_is_split_across_two_analyzers_with_identical_results(
    js: JetStreamContext, nc: NATS
) -> None:
    run = await _run(js, nc, "job_sharded", abandon=set())
    computed: Counter[tuple[str, str]] = run["computed"]
    # Every shard of both stages computed exactly once, by either replica; both took some.
    per_shard = Counter(key for (_, key) in computed.elements())
    assert sorted(per_shard) == sorted(
        shard_key("job_sharded", stage, i)
        for stage in ("detect", "analyze")
        for i in range(SETTINGS.analysis_shards)
    )
    assert set(per_shard.values()) == {1}
    assert {replica for replica, _ in computed} == {"a", "b"}
    assert run["progress"] == sorted(run["progress"]) and run["progress"][-1] == 100.0
    assert run["endings"] == ["complete"]
    assert run["leftovers"] == [None] * (2 * SETTINGS.analysis_shards)
    # Detect shards cut their ranges from the job's stored corpus (no input of their own
    # is written); the replica that does not coordinate reads it once at most, the
    # coordinator's slot not at all (its run lends the corpus it holds).
    tasks: list[ShardTask] = run["tasks"]
    assert {t.whole_corpus for t in tasks if t.stage == "detect"} == {True}
    assert {t.corpus_object for t in tasks if t.stage == "detect"} == {"corpus-job_sharded"}
    # Analyse shards too, redacting their range again from the replay's patches (the
    # generated export has personal data in every range); the coordinator's own slot
    # takes the redacted range its run lends.
    analyse = [t for t in tasks if t.stage == "analyze"]
    assert {t.whole_corpus for t in analyse} == {True}
    assert all(t.patch_object for t in analyse)
    assert sum(run["corpus_reads"]) <= 1


async def test_with_privacy_off_the_shards_analyse_the_stored_ranges_as_they_are(
    js: JetStreamContext, nc: NATS
) -> None:
    run = await _run(js, nc, "job_plain", abandon=set(),
                     options=AnalysisOptions(enable_privacy=False))  # fmt: skip
    tasks: list[ShardTask] = run["tasks"]
    assert {t.whole_corpus for t in tasks} == {True}
    assert not any(t.patch_object for t in tasks)  # nothing to redact again
    assert run["endings"] == ["complete"]


async def test_an_abandoned_shard_is_redone_once_and_counted_once(
    js: JetStreamContext, nc: NATS
) -> None:
    killed = shard_key("job_killed", "analyze", 1)
    abandon = {killed}
    run = await _run(js, nc, "job_killed", abandon=abandon)
    assert not abandon  # the first delivery was claimed and abandoned
    per_shard = Counter(key for (_, key) in run["computed"].elements())
    # The killed run computed nothing; the redelivery took the record over and ran it once.
    assert per_shard[killed] == 1
    assert set(per_shard.values()) == {1}
    assert run["progress"] == sorted(run["progress"])
    assert run["endings"] == ["complete"]


async def test_a_shard_an_earlier_run_left_failed_is_computed_again(
    js: JetStreamContext, nc: NATS
) -> None:
    """A coordinator taking a job over (the earlier one paused past its lease, or killed)
    finds the shard records that run left: a failed one is that run's end, not a verdict
    on this run's shard (before: the new run failed at once with ShardFailedError)."""
    now = datetime.now(UTC)
    left = [
        JobState(
            job_id=shard_key("job_retaken", stage, i),
            file_id="f",
            status=status,
            created_at=now,
            updated_at=now,
        )
        for stage, i, status in (("detect", 0, "failed"), ("analyze", 2, "cancelled"))
    ]
    run = await _run(js, nc, "job_retaken", abandon=set(), left=left)
    per_shard = Counter(key for (_, key) in run["computed"].elements())
    assert per_shard[shard_key("job_retaken", "detect", 0)] == 1
    assert per_shard[shard_key("job_retaken", "analyze", 2)] == 1
    assert set(per_shard.values()) == {1}
    assert run["endings"] == ["complete"]


async def test_shard_records_removed_by_a_cleanup_are_created_again(js: JetStreamContext) -> None:
    """A removed record leaves a delete marker: "create" must write over it (before, the
    compare-and-set on no revision failed on the marker while reading said "absent", and
    ``create_or_renew`` went round that for ever)."""
    await provision(js, SETTINGS)
    records = await ShardRecords.open(js)
    now = datetime.now(UTC)
    key = shard_key("job_cleaned", "detect", 0)
    record = JobState(job_id=key, file_id="f", created_at=now, updated_at=now)
    assert await records.create(record)
    assert not await records.create(record)  # there already
    await records.delete(key)
    assert await records.get(key) is None
    assert await asyncio.wait_for(records.create_or_renew(record), 10)
    assert (got := await records.get(key)) is not None and got.status == "pending"
    await records.delete(key)
    assert await asyncio.wait_for(records.create(record), 10)


async def test_a_job_run_again_after_a_run_that_removed_its_shards_completes(
    js: JetStreamContext, nc: NATS
) -> None:
    """A coordinator that fails with a transient error (e.g. a request timing out across
    a SIGSTOP) removes its shards' records and gives the job back; the retry creates them
    again. Before, it never got past its first dispatch (the chaos run's hang)."""
    removed = [
        shard_key("job_again", stage, i) for stage in ("detect", "analyze") for i in range(4)
    ]
    run = await _run(js, nc, "job_again", abandon=set(), removed=removed)
    per_shard = Counter(key for (_, key) in run["computed"].elements())
    assert sorted(per_shard) == sorted(removed)
    assert set(per_shard.values()) == {1}
    assert run["endings"] == ["complete"]


async def test_a_run_that_fails_transiently_leaves_its_shards_to_the_next_run(
    js: JetStreamContext, nc: NATS
) -> None:
    """The coordinator times out once reading a shard's record (the analyse stage): the
    job is given back and run again, which keeps the shards the first run completed.
    Before, the first run removed them on its way out: computed twice, and a cleanup
    still running when the next run claimed the job removed that run's new records."""
    fail_once = {shard_key("job_flaky", "analyze", 0)}
    run = await _run(js, nc, "job_flaky", abandon=set(), fail_once=fail_once)
    assert not fail_once  # the coordinator did fail once
    per_shard = Counter(key for (_, key) in run["computed"].elements())
    detect = [shard_key("job_flaky", "detect", i) for i in range(SETTINGS.analysis_shards)]
    assert [per_shard[key] for key in detect] == [1] * len(detect)
    assert run["endings"] == ["complete"]
    assert run["leftovers"] == [None] * (2 * SETTINGS.analysis_shards)


class _HeldShard:
    """One detect shard whose record a live run holds (``run_id``, claimed for the
    message of stream sequence ``message_seq``), its input, its task, and a replica's
    shard handler that counts what it computes."""

    def __init__(self, records: ShardRecords, shards: _CountingShards, job_id: str) -> None:
        self.records = records
        self.shards = shards
        self.key = shard_key(job_id, "detect", 0)
        self.task = ShardTask(
            job_id=job_id, stage="detect", index=0, start=0, end=3,
            corpus_object=f"{job_id}-in", fallback="", options=AnalysisOptions(),
        )  # fmt: skip

    @classmethod
    async def make(
        cls, js: JetStreamContext, nc: NATS, job_id: str, run_id: str, message_seq: int = 0
    ) -> _HeldShard:
        await provision(js, SETTINGS)
        stores = await Stores.open(js)
        records = await ShardRecords.open(js)
        shards = _CountingShards(cast(Any, FakeCtx(SETTINGS, js=js, nc=nc)), stores, records,
                                 PrivacyConfig())  # fmt: skip
        shards.replica, shards.computed, shards.abandon, shards.seen = "b", Counter(), set(), []
        held = cls(records, shards, job_id)
        now = datetime.now(UTC)
        assert await records.create(
            JobState(job_id=held.key, file_id="f", created_at=now, updated_at=now)
        )
        claimed = await claim(records.fencing, held.key, run_id, solo=False,
                              message_seq=message_seq)  # fmt: skip
        assert claimed is not None
        export = load_generator().generate_claude_export(3, seed=5)
        blob = encode_corpus(parse_export(export).corpus)
        await stores.write_object(stores.results_data, held.task.corpus_object, blob)
        return held

    async def deliver(self, attempt: int, sequence: int = 0) -> Outcome:
        """Hand the shard's task to the handler as JetStream's delivery ``attempt`` of
        the message of stream sequence ``sequence``."""
        metadata = FakeMetadata(num_delivered=attempt, sequence=FakeSequence(stream=sequence))
        msg = FakeMsg(b"", metadata=metadata)
        delivery = Delivery(cast(Any, msg), self.key, SlotPool(1, asyncio.Event()), 1.0)
        assert delivery.sequence == sequence
        return await self.shards.handle(self.task, delivery)

    async def held_by(self, run_id: str) -> bool:
        state = await self.records.get(self.key)
        return state is not None and state.status == "processing" and state.run_id == run_id

    async def complete(self) -> bool:
        state = await self.records.get(self.key)
        return state is not None and state.status == "complete"


async def test_a_second_task_for_a_shard_another_run_holds_is_dropped(
    js: JetStreamContext, nc: NATS
) -> None:
    """A coordinator that runs the job again publishes every range's task anew. A first
    delivery that finds the shard held by another run leaves it to that run (whose own
    message comes back if it stopped); before, it took the shard over and every shard
    was computed twice (the CI failure of this module's transient-error test, under
    load). A redelivered copy still takes over a run that stopped."""
    shard = await _HeldShard.make(js, nc, "job_dup", "run_alive")
    assert isinstance(await shard.deliver(1), Ack)
    assert not shard.shards.computed
    assert await shard.held_by("run_alive")
    # The holder stopped: its message comes back (attempt 2) and takes the shard over.
    assert isinstance(await shard.deliver(2), Ack)
    assert shard.shards.computed == Counter({("b", shard.key): 1})
    assert await shard.complete()


async def test_an_older_task_that_comes_back_leaves_the_shard_to_the_newer_runs_holder(
    js: JetStreamContext, nc: NATS
) -> None:
    """A shard given back (shutdown, a transient error) has its message come back later;
    meanwhile a coordinator that ran the job again published a newer task, and that
    task's run holds the shard. The older message's redelivery is not the holder's: it
    leaves the shard alone (before, it took the live run over and the shard was
    computed twice). The holder's own message coming back still takes over."""
    shard = await _HeldShard.make(js, nc, "job_old", "run_newer", message_seq=42)
    assert (await shard.records.get(shard.key)).message_seq == 42  # type: ignore[union-attr]
    # The older task (sequence 17) comes back: the newer task's run keeps the shard.
    assert isinstance(await shard.deliver(2, sequence=17), Ack)
    assert not shard.shards.computed
    assert await shard.held_by("run_newer")
    # The holder's message (sequence 42) comes back: its run stopped, the shard is redone.
    assert isinstance(await shard.deliver(2, sequence=42), Ack)
    assert shard.shards.computed == Counter({("b", shard.key): 1})
    assert await shard.complete()
