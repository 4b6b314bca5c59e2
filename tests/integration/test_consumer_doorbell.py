"""The analyzer's pull loop over three priorities, on a real nats-server: with its
doorbell an idle loop takes a job as soon as it is published. Without it the loop waited
on its lowest priority, and a default (normal) job published meanwhile waited for that
fetch to time out (up to 0.5 s; about 0.27 s on average on every analysis)."""

from __future__ import annotations

import asyncio

import pytest
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from convoscope_common import consumer, names
from convoscope_common.config import Settings
from convoscope_common.consumer import Ack, Delivery, Doorbell, JobConsumer, Outcome
from convoscope_common.provisioning import provision

pytestmark = pytest.mark.integration


class _Recorder:
    """A handler that acknowledges every job and says which it got."""

    def __init__(self) -> None:
        self.jobs: asyncio.Queue[bytes] = asyncio.Queue()

    def decode(self, data: bytes) -> bytes:
        return data

    def key(self, job: bytes) -> str:
        return job.decode()

    async def handle(self, job: bytes, delivery: Delivery) -> Outcome:
        await self.jobs.put(job)
        return Ack()

    async def give_up(self, job: bytes, reason: str) -> None:
        pass

    def interrupt(self) -> None:
        pass


async def test_an_idle_loop_takes_a_job_as_soon_as_it_is_published(
    js: JetStreamContext, nc: NATS, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings()
    await provision(js, settings)
    # The idle wait made so long that only the doorbell can end it within the test.
    monkeypatch.setattr(consumer, "IDLE_WAIT", 120.0)
    stopping = asyncio.Event()
    handler = _Recorder()
    loop = JobConsumer(
        js,
        names.JOBS_STREAM,
        [f"{names.ANALYZER_DURABLE}-{p}" for p in names.JOB_PRIORITIES],
        handler,
        slots=1,
        stopping=stopping,
        ack_wait=settings.ack_wait,
        doorbell=Doorbell(nc, names.JOBS_ANALYZE_ALL),
    )
    running = asyncio.create_task(loop.run())
    try:
        for priority in ("normal", "high", "low", "normal"):
            await asyncio.sleep(0.3)  # the loop has looked at every priority: idle
            await js.publish(names.analyze_subject(priority), priority.encode())
            # Generous for a loaded CI machine; without the doorbell this waits 120 s.
            assert await asyncio.wait_for(handler.jobs.get(), 30) == priority.encode()
    finally:
        stopping.set()
        await asyncio.wait_for(running, 30)  # stopping also ends the doorbell's wait
