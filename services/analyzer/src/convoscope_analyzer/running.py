"""The in-memory side of one running analysis: the stop flag its engine thread checks."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from convoscope_common.wire import AnalyzeJob


class JobCancelledError(Exception):
    """Raised at a checkpoint when the user cancelled the job."""


class JobTimedOutError(Exception):
    """Raised at a checkpoint when the job ran past JOB_TIMEOUT."""


class WorkerShutdownError(Exception):
    """Raised at a checkpoint when this replica is stopping: the job goes back to the queue."""


class RunSupersededError(Exception):
    """Raised at a checkpoint when this run lost its lease (another run or the user owns
    the job now): it stops without writing or announcing anything."""


@dataclass
class RunningJob:
    """One job running in this replica."""

    job: AnalyzeJob
    stop: threading.Event = field(default_factory=threading.Event)
    reason: type[Exception] = JobCancelledError
    deadline: float = 0.0

    def request_stop(self, reason: type[Exception]) -> None:
        """Make the next checkpoint raise ``reason`` (the first reason wins)."""
        if not self.stop.is_set():
            self.reason = reason
            self.stop.set()

    def checkpoint(self) -> None:
        """Called by the engine between units of work."""
        if self.deadline and time.monotonic() > self.deadline:
            self.request_stop(JobTimedOutError)
        if self.stop.is_set():
            raise self.reason()
