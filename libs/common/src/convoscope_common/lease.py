"""Fenced job runs: a run owns its job's KV record through a lease.

A run *claims* a job by writing its ``run_id`` into the record with a
compare-and-set on the record's KV revision; every later write of that run is a
compare-and-set on the revision it wrote last. Anyone else's write in between
(another run that took the job over after a redelivery, the gateway cancelling
or deleting it) makes the next write fail: the run has lost its lease, writes
nothing more and publishes no event. Who writes a terminal state is the only one
who announces it, and nobody can claim or write a record once it is terminal, so
each job has exactly one terminal state and one terminal event.

The same mechanics serve analysis jobs (``jobs`` bucket) and exports (``exports``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, NoReturn, TypeVar

from convoscope_common.logs import get_logger
from convoscope_common.records import TERMINAL_STATUSES, ExportState, JobState
from convoscope_common.storage import Stores

log = get_logger(__name__)


R = TypeVar("R", JobState, ExportState)


class LeaseLostError(Exception):
    """Someone else wrote the record: this run must stop writing and announcing.

    ``ended`` is True when the job was finished or deleted by someone else (its
    message can be acknowledged), False when another run holds it now.
    """

    def __init__(self, ended: bool, status: str | None = None) -> None:
        super().__init__("ended" if ended else "taken over")
        self.ended = ended
        # What the record says now: "cancelled", another final status, None when deleted.
        self.status = status


@dataclass(frozen=True)
class Fencing(Generic[R]):
    """How to read and compare-and-set one kind of record."""

    read: Callable[[str], Awaitable[tuple[R, int] | None]]
    swap: Callable[[R, int], Awaitable[int | None]]


def job_fencing(stores: Stores) -> Fencing[JobState]:
    """Fencing over the ``jobs`` bucket."""
    return Fencing(stores.job_entry, stores.swap_job)


def export_fencing(stores: Stores) -> Fencing[ExportState]:
    """Fencing over the ``exports`` bucket."""
    return Fencing(stores.export_entry, stores.swap_export)


class Lease(Generic[R]):
    """One run's hold on one record; writes are serialised and compare-and-set."""

    def __init__(
        self,
        fencing: Fencing[R],
        key: str,
        run_id: str,
        revision: int,
        on_lost: Callable[[LeaseLostError], None] | None = None,
    ) -> None:
        self.fencing: Fencing[R] = fencing
        self.key = key
        self.run_id = run_id
        self.revision = revision
        self.on_lost = on_lost
        self.lost: LeaseLostError | None = None
        self._lock = asyncio.Lock()

    async def write(self, state: R) -> None:
        """Write ``state`` as this run, or raise :class:`LeaseLostError`."""
        async with self._lock:
            await self._write(state, self.run_id)

    async def release(self, state: R, message: str) -> None:
        """Give the job back (shutdown, transient error): pending, no owner, no charge."""
        state.status = "pending"
        state.solo = False
        if isinstance(state, JobState):
            state.message = message
        async with self._lock:
            await self._write(state, "")

    async def _write(self, state: R, run_id: str) -> None:
        if self.lost is not None:
            raise self.lost
        state.run_id = run_id
        for _ in range(3):
            revision = await self.fencing.swap(state, self.revision)
            if revision is not None:
                self.revision = revision
                return
            current = await self.fencing.read(self.key)
            if current is None or current[0].status in TERMINAL_STATUSES:
                status = None if current is None else current[0].status
                self._lose(LeaseLostError(ended=True, status=status))
            elif current[0].run_id != self.run_id:
                self._lose(LeaseLostError(ended=False, status=current[0].status))
            # Our own run id, not terminal: a write we did not see land (a retried
            # publish); continue from its revision.
            self.revision = current[1]
        self._lose(LeaseLostError(ended=False))

    def _lose(self, error: LeaseLostError) -> NoReturn:
        self.lost = error
        log.warning("lease_lost", key=self.key, ended=error.ended)
        if self.on_lost is not None:
            self.on_lost(error)
        raise error


@dataclass
class Claim(Generic[R]):
    """A successful claim: the lease, the record as claimed, and whether a previous run
    had left the job without settling it (crashed, or paused past ``ack_wait``)."""

    lease: Lease[R]
    state: R
    took_over: bool


async def peek(fencing: Fencing[R], key: str) -> R | None:
    """The record, or None when it is gone."""
    entry = await fencing.read(key)
    return None if entry is None else entry[0]


def left_unsettled(state: JobState | ExportState) -> bool:
    """True when a run holds the record (so a redelivered copy means that run stopped)."""
    return state.status == "processing" and bool(state.run_id)


async def claim(
    fencing: Fencing[R], key: str, run_id: str, *, solo: bool, message_seq: int = 0
) -> Claim[R] | None:
    """Take the job for ``run_id`` (``message_seq``: the stream sequence of the message
    it runs for, kept in the record); None when it is gone or already terminal.

    A previous run that never settled is charged to the job (``crashes``) only when
    it ran alone in its replica: a job that shared a replica with the one that took
    the process down is not to blame.
    """
    for _ in range(5):
        entry = await fencing.read(key)
        if entry is None:
            return None
        state, revision = entry
        if state.status in TERMINAL_STATUSES:
            return None
        took_over = left_unsettled(state)
        if took_over and state.solo:
            state.crashes += 1
        state.attempts += 1
        state.status = "processing"
        state.run_id = run_id
        state.solo = solo
        state.message_seq = message_seq
        new_revision = await fencing.swap(state, revision)
        if new_revision is not None:
            return Claim(Lease(fencing, key, run_id, new_revision), state, took_over)
    return None


async def cancel_unfinished(fencing: Fencing[JobState], job_id: str, now: datetime) -> bool:
    """Move a pending or running job to ``cancelled`` (compare-and-set); True when this
    call made the transition (its caller announces it), False when the job had already
    ended or is gone. The run holding the job loses its lease at its next write."""
    for _ in range(10):
        entry = await fencing.read(job_id)
        if entry is None or entry[0].status in TERMINAL_STATUSES:
            return False
        state, revision = entry
        state.cancel(now)
        if await fencing.swap(state, revision) is not None:
            return True
    return False
