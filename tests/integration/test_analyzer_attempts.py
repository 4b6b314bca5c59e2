"""What counts as an attempt, and transient store errors, with the real analyzer handler on a
real nats-server (issue 11 point 2)."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.errors import ServiceUnavailableError

import convoscope_analyzer.job_run as job_run
from convoscope_analyzer.privacy import PrivacyConfig
from convoscope_analyzer.worker import AnalyzerHandler, make_consumer
from convoscope_common.cache import cache_key
from convoscope_common.config import Settings
from convoscope_common.consumer import JobConsumer
from convoscope_common.corpus import encode_corpus
from convoscope_common.lease import claim, job_fencing
from convoscope_common.options import AnalysisOptions
from convoscope_common.ownership import add_ref, refs_of
from convoscope_common.provisioning import provision
from convoscope_common.records import JobState
from convoscope_common.storage import Stores
from convoscope_common.wire import AnalyzeJob, encode
from tests.integration.stored_jobs import one_exchange_corpus
from tests.worker_fakes import FakeCtx, FakeMetadata, FakeMsg

pytestmark = pytest.mark.integration

_corpus = one_exchange_corpus


async def _setup(
    js: JetStreamContext, nc: NATS
) -> tuple[Stores, AnalyzeJob, JobConsumer[Any], AnalyzerHandler]:
    settings = Settings()
    await provision(js, settings)
    stores = await Stores.open(js)
    await stores.corpora.put("corpus", encode_corpus(_corpus()))
    options = AnalysisOptions()
    key = cache_key("sha256:00", options)
    now = datetime.now(UTC)
    await stores.put_job(
        JobState(job_id="job_1", file_id="f", cache_key=key, created_at=now, updated_at=now)
    )
    job = AnalyzeJob(
        job_id="job_1", file_id="f", file_hash="sha256:00", corpus_object="corpus",
        options=options, cache_key=key, submitted_at=now,
    )  # fmt: skip
    handler = AnalyzerHandler(cast(Any, FakeCtx(settings, nc=nc, js=js)), stores, PrivacyConfig())
    return stores, job, make_consumer(handler), handler


async def test_shutdowns_are_not_attempts_a_long_job_survives_rolling_restarts(
    js: JetStreamContext, nc: NATS, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: a nak on shutdown counted as a delivery, so three rolling restarts failed
    a long job ("stopped unexpectedly")."""
    stores, job, consumer, handler = await _setup(js, nc)
    real_pipeline = job_run.run_pipeline
    started = threading.Event()
    restarts = {"left": 4}

    def long_pipeline(*args: Any, **kwargs: Any) -> Any:
        if restarts["left"] > 0:
            restarts["left"] -= 1
            started.set()
            while True:  # a long analysis: stops only at a checkpoint
                kwargs["checkpoint"]()
                time.sleep(0.01)
        return real_pipeline(*args, **kwargs)

    monkeypatch.setattr(job_run, "run_pipeline", long_pipeline)
    for delivery in range(1, 6):
        msg = FakeMsg(encode(job), FakeMetadata(num_delivered=delivery))
        task = asyncio.create_task(consumer.process(cast(Any, msg)))
        if delivery <= 4:
            await asyncio.to_thread(started.wait, 30)
            started.clear()
            handler.interrupt()  # the replica is being restarted
        await asyncio.wait_for(task, 60)
        state = await stores.get_job("job_1")
        assert state is not None
        if delivery <= 4:
            assert msg.settled == ["nak"], delivery
            assert state.status == "pending" and state.run_id == "" and state.crashes == 0
    assert msg.settled == ["ack"]
    assert state.status == "complete", state.error


@pytest.mark.parametrize("operation", ["read_object", "write_object"])
async def test_a_transient_store_error_is_retried_not_a_failed_job(
    js: JetStreamContext, nc: NATS, monkeypatch: pytest.MonkeyPatch, operation: str
) -> None:
    """Before: a store error while loading (the corpus) or storing (the results) marked
    the job `failed` for good."""
    stores, job, consumer, _handler = await _setup(js, nc)
    real = getattr(stores, operation)
    failures = {"left": 1}

    async def flaky(store: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        if failures["left"] > 0:
            failures["left"] -= 1
            raise ServiceUnavailableError(
                code=503, description="JetStream system temporarily unavailable"
            )
        return await real(store, name, *args, **kwargs)

    monkeypatch.setattr(stores, operation, flaky)
    first = FakeMsg(encode(job))
    await consumer.process(cast(Any, first))
    assert failures["left"] == 0  # the fault really happened
    assert first.settled == ["nak"]
    state = await stores.get_job("job_1")
    assert state is not None and state.status in ("pending", "processing"), state
    assert state.crashes == 0
    second = FakeMsg(encode(job), FakeMetadata(num_delivered=2))
    await consumer.process(cast(Any, second))
    assert second.settled == ["ack"]
    state = await stores.get_job("job_1")
    assert state is not None and state.status == "complete"


async def test_a_neighbours_crash_is_not_charged_and_the_job_reruns_alone(
    js: JetStreamContext, nc: NATS
) -> None:
    """Before: a job that shared a replica with one that OOM-killed it was failed after
    three kills."""
    stores, job, consumer, _handler = await _setup(js, nc)
    fencing = job_fencing(stores)
    for i in range(Settings().max_attempts + 1):  # killed with a neighbour, every time
        assert await claim(fencing, "job_1", f"run_{i}", solo=False) is not None
    msg = FakeMsg(encode(job), FakeMetadata(num_delivered=5))
    held = consumer.slots
    assert await held.acquire()  # a neighbour runs in this replica
    task = asyncio.create_task(consumer.process(cast(Any, msg)))
    await asyncio.sleep(0.3)
    assert not task.done()  # the suspect waits to run alone
    await held.release()
    await asyncio.wait_for(task, 60)
    assert msg.settled == ["ack"]
    state = await stores.get_job("job_1")
    assert state is not None and state.status == "complete" and state.crashes == 0
    assert state.solo


async def test_a_redelivered_copy_of_a_job_running_here_joins_it(
    js: JetStreamContext, nc: NATS, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: the copy ran the job a second time, at once (two `complete` events)."""
    stores, job, consumer, _handler = await _setup(js, nc)
    real_pipeline = job_run.run_pipeline
    started, go_on = threading.Event(), threading.Event()
    runs = []

    def slow_pipeline(*args: Any, **kwargs: Any) -> Any:
        runs.append(1)
        started.set()
        go_on.wait(30)
        return real_pipeline(*args, **kwargs)

    monkeypatch.setattr(job_run, "run_pipeline", slow_pipeline)
    first = FakeMsg(encode(job))
    task = asyncio.create_task(consumer.process(cast(Any, first)))
    await asyncio.to_thread(started.wait, 30)
    copy = FakeMsg(encode(job), FakeMetadata(num_delivered=2))  # ack_wait passed meanwhile
    await asyncio.wait_for(consumer.process(cast(Any, copy)), 10)
    go_on.set()
    await asyncio.wait_for(task, 60)
    assert len(runs) == 1
    assert first.settled == [] and copy.settled == ["ack"]  # settled on the newest handle
    state = await stores.get_job("job_1")
    assert state is not None and state.status == "complete"


async def test_a_stale_run_that_stored_results_leaves_them_to_the_run_that_completed(
    js: JetStreamContext, nc: NATS, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by the chaos suite: a run paused after storing its results came back to a
    job another run had completed, released "its" results — the same names — and the
    complete job answered 404 "no longer cached"."""
    stores, job, consumer, handler = await _setup(js, nc)
    real_store = job_run.JobRun._store_results
    stored_once = asyncio.Event()
    other_run_done = asyncio.Event()

    async def store_then_pause(self: job_run.JobRun, *stored: Any) -> None:
        await real_store(self, *stored)
        if not stored_once.is_set():  # the first run pauses past ack_wait here
            stored_once.set()
            await other_run_done.wait()

    await add_ref(stores, job.cache_key, "job_1")  # as the gateway does on submit
    monkeypatch.setattr(job_run.JobRun, "_store_results", store_then_pause)
    stale = FakeMsg(encode(job))
    stale_task = asyncio.create_task(consumer.process(cast(Any, stale)))
    await asyncio.wait_for(stored_once.wait(), 30)
    # The other replica gets the redelivered copy.
    other = make_consumer(AnalyzerHandler(handler.ctx, stores, PrivacyConfig()))
    redelivered = FakeMsg(encode(job), FakeMetadata(num_delivered=2))
    await asyncio.wait_for(other.process(cast(Any, redelivered)), 30)
    state = await stores.get_job("job_1")
    assert state is not None and state.status == "complete"
    other_run_done.set()
    await asyncio.wait_for(stale_task, 30)
    assert stale.settled == ["ack"]  # the job ended: nothing left to redo
    assert await stores.get_result_index(job.cache_key) is not None
    assert await refs_of(stores, job.cache_key) == ["job_1"]
