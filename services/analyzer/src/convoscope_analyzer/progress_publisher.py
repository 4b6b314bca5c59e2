"""Engine progress (from the pipeline thread) as throttled job-state writes and events."""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

import msgspec

from convoscope_analyzer.engine import ProgressUpdate
from convoscope_common.clock import utcnow
from convoscope_common.records import JobState
from convoscope_common.wire import ProgressEvent

PROGRESS_INTERVAL = 0.5  # seconds between job-state writes and events


class ProgressSink(Protocol):
    """Where progress goes: a fenced state write, then the event."""

    async def publish_progress(self, state: JobState, event: ProgressEvent) -> None: ...


class ProgressPublisher:
    """Turns engine progress (from the worker thread) into events and job-state writes."""

    def __init__(self, worker: ProgressSink, state: JobState) -> None:
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
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Future[None]) -> None:
        self.tasks.discard(task)
        # A refused write (the run lost its lease) already stopped the run; nothing to add.
        if not task.cancelled():
            task.exception()

    async def drain(self) -> None:
        if self.trailing is not None:  # the job is over: no late progress after its end
            self.trailing.cancel()
            self.trailing = None
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
