"""Progress from the engine thread reaches subscribers at least every PROGRESS_INTERVAL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, cast

from convoscope_analyzer.engine import ProgressUpdate
from convoscope_analyzer.progress_publisher import PROGRESS_INTERVAL, ProgressPublisher
from convoscope_common.records import JobState
from convoscope_common.wire import ProgressEvent

NOW = datetime(2026, 1, 1, tzinfo=UTC)


class RecordingWorker:
    def __init__(self) -> None:
        self.sent: list[ProgressEvent] = []

    async def publish_progress(self, state: JobState, event: ProgressEvent) -> None:
        self.sent.append(event)


def _update(fraction: float, insights: list[str] | None = None) -> ProgressUpdate:
    return ProgressUpdate(
        fraction=fraction,
        step="Analyzing sentiment",
        message=f"{fraction:.0%}",
        new_insights=insights or [],
    )


async def test_a_throttled_update_is_sent_later_not_dropped() -> None:
    worker = RecordingWorker()
    state = JobState(job_id="j", file_id="f", created_at=NOW, updated_at=NOW)
    publisher = ProgressPublisher(cast(Any, worker), state)
    publisher._on_update(_update(0.10))  # sent at once
    publisher._on_update(_update(0.20))  # throttled...
    publisher._on_update(_update(0.30))  # ...and superseded
    await asyncio.sleep(0)
    assert [e.progress for e in worker.sent] == [10.0]
    await asyncio.sleep(PROGRESS_INTERVAL + 0.1)
    assert [e.progress for e in worker.sent] == [10.0, 30.0]


async def test_insights_go_out_at_once_and_progress_never_goes_back() -> None:
    worker = RecordingWorker()
    state = JobState(job_id="j", file_id="f", created_at=NOW, updated_at=NOW)
    publisher = ProgressPublisher(cast(Any, worker), state)
    publisher._on_update(_update(0.50))
    publisher._on_update(_update(0.40, ["Found 13 different topics"]))
    await asyncio.sleep(0)
    assert [e.progress for e in worker.sent] == [50.0, 50.0]
    assert worker.sent[-1].insights == ["Found 13 different topics"]
    publisher._on_update(_update(0.60))
    await publisher.drain()  # the job ended: the pending trailing send is dropped
    await asyncio.sleep(PROGRESS_INTERVAL + 0.1)
    assert len(worker.sent) == 2
