"""Fenced runs and the consumer runtime on a real nats-server (issue 11 points 1 and 2)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from convoscope_common import names
from convoscope_common.config import Settings
from convoscope_common.consumer import JobConsumer
from convoscope_common.lease import (
    LeaseLostError,
    cancel_unfinished,
    claim,
    export_fencing,
    job_fencing,
)
from convoscope_common.options import ExportOptions
from convoscope_common.provisioning import provision
from convoscope_common.records import ExportState, JobState
from convoscope_common.storage import Stores
from convoscope_common.wire import ExportJob, encode
from convoscope_exporter.worker import ExporterHandler
from convoscope_exporter.worker import make_consumer as exporter_consumer
from tests.worker_fakes import FakeCtx, FakeMsg

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 1, tzinfo=UTC)


async def _stores(js: JetStreamContext, settings: Settings | None = None) -> Stores:
    await provision(js, settings or Settings())
    return await Stores.open(js)


async def _job(stores: Stores, job_id: str = "job_1") -> None:
    await stores.put_job(JobState(job_id=job_id, file_id="f", created_at=NOW, updated_at=NOW))


async def test_a_stale_run_cannot_write_once_another_run_took_the_job_over(
    js: JetStreamContext,
) -> None:
    stores = await _stores(js)
    await _job(stores)
    fencing = job_fencing(stores)
    first = await claim(fencing, "job_1", "run_a", solo=True)
    assert first is not None and not first.took_over
    first.state.progress = 40.0
    await first.lease.write(first.state)
    # Paused past ack_wait: the redelivered copy takes the job over.
    second = await claim(fencing, "job_1", "run_b", solo=True)
    assert second is not None and second.took_over
    assert second.state.progress == 40.0  # progress carries over: never backwards
    assert second.state.crashes == 1  # the first run had its replica to itself
    first.state.progress = 60.0
    with pytest.raises(LeaseLostError) as lost:
        await first.lease.write(first.state)
    assert not lost.value.ended  # another run holds it: stand down, do not ack
    second.state.status = "complete"
    await second.lease.write(second.state)
    # The stale run's terminal write is refused, and nobody can claim a finished job.
    first.state.status = "failed"
    with pytest.raises(LeaseLostError):
        await first.lease.write(first.state)
    assert await claim(fencing, "job_1", "run_c", solo=True) is None
    final = await stores.get_job("job_1")
    assert final is not None and final.status == "complete" and final.run_id == "run_b"


async def test_a_cancel_is_announced_once_and_ends_the_running_lease(js: JetStreamContext) -> None:
    stores = await _stores(js)
    await _job(stores)
    fencing = job_fencing(stores)
    run = await claim(fencing, "job_1", "run_a", solo=True)
    assert run is not None
    assert await cancel_unfinished(fencing, "job_1", NOW)  # this caller announces it
    assert not await cancel_unfinished(fencing, "job_1", NOW)  # a second DELETE does not
    run.state.status = "complete"
    with pytest.raises(LeaseLostError) as lost:
        await run.lease.write(run.state)
    assert lost.value.ended  # the job ended: the worker acks without announcing
    final = await stores.get_job("job_1")
    assert final is not None and final.status == "cancelled"


async def test_crashes_are_charged_only_to_jobs_that_ran_alone_and_shutdown_is_free(
    js: JetStreamContext,
) -> None:
    stores = await _stores(js)
    await _job(stores)
    fencing = job_fencing(stores)
    shared = await claim(fencing, "job_1", "run_a", solo=False)
    assert shared is not None
    # The replica died with a neighbour running too: not this job's fault.
    after_neighbour = await claim(fencing, "job_1", "run_b", solo=True)
    assert after_neighbour is not None and after_neighbour.took_over
    assert after_neighbour.state.crashes == 0
    # A shutdown gives the job back cleanly: the next run is not a takeover.
    await after_neighbour.lease.release(after_neighbour.state, "requeued")
    resumed = await claim(fencing, "job_1", "run_c", solo=True)
    assert resumed is not None and not resumed.took_over
    assert resumed.state.crashes == 0


async def test_an_export_that_keeps_crashing_its_exporter_ends_failed(
    js: JetStreamContext, nc: NATS
) -> None:
    """Before: terminated after MAX_ATTEMPTS and left `processing` for ever."""
    settings = Settings()
    stores = await _stores(js, settings)
    await stores.put_export(
        ExportState(export_id="export_1", job_id="job_1", created_at=NOW, updated_at=NOW)
    )
    fencing = export_fencing(stores)
    for i in range(settings.max_attempts):  # runs that died without settling
        assert await claim(fencing, "export_1", f"run_{i}", solo=True) is not None
    heard: list[str] = []

    async def on_event(msg: Any) -> None:
        heard.append(msg.subject.rsplit(".", 1)[-1])

    sub = await nc.subscribe(f"{names.PREFIX}.events.export_1.*", cb=on_event)
    job = ExportJob(
        export_id="export_1", job_id="job_1", file_id="f", corpus_object="c",
        results_object="r", formats=["json"], options=ExportOptions(), submitted_at=NOW,
    )  # fmt: skip
    msg = FakeMsg(encode(job))
    consumer = exporter_consumer(ExporterHandler(cast(Any, FakeCtx(settings, nc=nc)), stores))
    await consumer.process(cast(Any, msg))
    await nc.flush()
    await asyncio.sleep(0.1)
    await sub.unsubscribe()
    assert msg.settled == ["ack"]
    state = await stores.get_export("export_1")
    assert state is not None and state.status == "failed"
    assert state.error is not None and state.error.code == "export_failed_repeatedly"
    assert heard == ["error"]


async def test_shutdown_interrupts_a_fetch_loop_waiting_for_a_slot(js: JetStreamContext) -> None:
    """Before: the loop waited on slots.acquire() and never saw shutdown."""
    await _stores(js)
    stopping = asyncio.Event()
    consumer: JobConsumer[object] = JobConsumer(
        js,
        names.JOBS_STREAM,
        [names.EXPORTER_DURABLE],
        cast(Any, object()),
        slots=1,
        stopping=stopping,
        ack_wait=30,
    )
    assert await consumer.slots.acquire()  # every slot busy with a long job
    loop = asyncio.create_task(consumer.run())
    await asyncio.sleep(0.3)
    assert not loop.done()
    stopping.set()
    await asyncio.wait_for(loop, 2)


class _Unavailable:
    """A pull subscription whose fetch fails like JetStream during a server restart."""

    def __init__(self, stopping: asyncio.Event) -> None:
        self.calls = 0
        self.stopping = stopping

    async def fetch(self, batch: int, timeout: float) -> list[object]:
        from nats.js.errors import ServiceUnavailableError

        self.calls += 1
        if self.calls >= 3:
            self.stopping.set()
        raise ServiceUnavailableError(
            code=503, description="JetStream system temporarily unavailable"
        )

    async def unsubscribe(self) -> None:
        pass


async def test_the_fetch_loop_survives_a_jetstream_503() -> None:
    """Before: only timeouts were caught; an APIError 503 ended the worker's loop."""
    stopping = asyncio.Event()
    sub = _Unavailable(stopping)

    class Js:
        async def pull_subscribe_bind(self, **_: Any) -> _Unavailable:
            return sub

    consumer: JobConsumer[object] = JobConsumer(
        cast(Any, Js()), "S", ["d"], cast(Any, object()), slots=1, stopping=stopping, ack_wait=30
    )
    await asyncio.wait_for(consumer.run(), 10)
    assert sub.calls >= 3
    assert consumer.slots.free == 1  # no slot leaked by the failed fetches
