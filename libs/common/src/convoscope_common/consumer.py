"""One consumer runtime for the job workers (analyzer and exporter).

It owns everything around a job: a bounded pull loop over one or more durable
consumers (highest priority first), slots, an ``in_progress`` keep-alive, the
in-process duplicate check, shutdown, and the one mapping from a job's
:data:`Outcome` to ack / nak-with-delay / term. A worker supplies a
:class:`JobHandler` that turns one job into an outcome.

Attempts: JetStream counts every delivery, including naks at shutdown and
redeliveries after a neighbour's crash; handlers count the failures a job
caused themselves (see ``lease.claim``), never with ``num_delivered``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import msgspec
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.errors import FetchTimeoutError

from convoscope_common.faults import backoff, is_transient
from convoscope_common.logs import get_logger

log = get_logger(__name__)

# Transient failures (store or bus unavailable) are retried this many deliveries
# before the handler is asked to fail the job.
TRANSIENT_RETRIES = 8


@dataclass(frozen=True)
class Ack:
    """The job reached a final state (or had nothing left to do): remove the message."""


@dataclass(frozen=True)
class Retry:
    """Send the message back after ``delay`` seconds (not an attempt of the job)."""

    delay: float
    reason: str


@dataclass(frozen=True)
class Term:
    """Never deliver this message again (it is not a job, or its final state is written)."""

    reason: str


@dataclass(frozen=True)
class StandDown:
    """Another run owns the job now: leave the message to it, settle nothing."""

    reason: str


Outcome = Ack | Retry | Term | StandDown


async def settle(msg: Msg, outcome: Outcome) -> None:
    """The one place an outcome becomes a JetStream acknowledgement."""
    match outcome:
        case Ack():
            await msg.ack()
        case Retry(delay=delay):
            await msg.nak(delay=delay)
        case Term():
            await msg.term()
        case StandDown():
            pass


class SlotPool:
    """Job slots, granted first come first served; a wait ends when the service stops.

    A job suspected of crashing its replica takes every slot (runs alone); the
    first-come order keeps the fetch loop from overtaking it for ever.
    """

    def __init__(self, size: int, stopping: asyncio.Event) -> None:
        self.size = size
        self.free = size
        self._stopping = stopping
        self._waiters: deque[tuple[int, asyncio.Future[None]]] = deque()

    async def acquire(self, n: int = 1) -> bool:
        """Take ``n`` slots; False (nothing taken) as soon as the service is stopping."""
        if self._stopping.is_set():
            return False
        if not self._waiters and self.free >= n:
            self.free -= n
            return True
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (n, granted)
        self._waiters.append(entry)
        stop: asyncio.Future[Any] = asyncio.ensure_future(self._stopping.wait())
        either: set[asyncio.Future[Any]] = {granted, stop}
        try:
            await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
            if not granted.done():
                self._waiters.remove(entry)
                granted.cancel()
        return granted.done() and not granted.cancelled()

    async def release(self, n: int = 1) -> None:
        self.free += n
        while self._waiters and self._waiters[0][0] <= self.free:
            wanted, granted = self._waiters.popleft()
            self.free -= wanted
            granted.set_result(None)


class Delivery:
    """The newest delivery of one running job: the keep-alive and the final
    settlement use it (a redelivered copy of a running job replaces the handle)."""

    def __init__(self, msg: Msg, key: str, slots: SlotPool, keepalive_interval: float) -> None:
        self.msg = msg
        self.key = key
        self.slots = slots
        self.held = 1
        self.interval = keepalive_interval
        self.last_keepalive = time.monotonic()
        self._keepalive: asyncio.Task[None] | None = None

    @property
    def attempt(self) -> int:
        """JetStream's delivery count of the newest copy (1 for a first delivery)."""
        return int(self.msg.metadata.num_delivered or 1)

    @property
    def sequence(self) -> int:
        """The message's stream sequence: the same for every delivery of one message."""
        return int(self.msg.metadata.sequence.stream or 0)

    @property
    def alone(self) -> bool:
        """True while this job holds every slot of the replica."""
        return self.held >= self.slots.size

    async def run_alone(self) -> bool:
        """Wait for the other jobs of this replica to end and take every slot.

        The job's own slot is handed back first and all are queued for at once, so two
        jobs that both want to run alone never wait for each other.
        """
        if self.alone:
            return True
        await self.slots.release(self.held)
        self.held = 0
        if not await self.slots.acquire(self.slots.size):
            return False
        self.held = self.slots.size
        return True

    def replace(self, msg: Msg) -> None:
        """A redelivered copy arrived while this job runs here: continue with its handle."""
        self.msg = msg
        self._touch()

    def start_keepalive(self) -> None:
        self._keepalive = asyncio.create_task(self._keep_alive())

    async def stop_keepalive(self) -> None:
        if self._keepalive is not None:
            self._keepalive.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keepalive

    def _touch(self) -> None:
        task = asyncio.ensure_future(self.msg.in_progress())
        task.add_done_callback(lambda t: t.cancelled() or t.exception())

    async def _keep_alive(self) -> None:
        # The engine runs in a worker thread; this task runs on the event loop, which
        # gets the GIL back at least every switch interval (5 ms), so a busy engine
        # delays it by milliseconds, not by ack_wait. A lateness warning shows a
        # replica that was paused (SIGSTOP, swap) and may have lost its lease.
        while True:
            await asyncio.sleep(self.interval)
            late = time.monotonic() - self.last_keepalive - self.interval
            if late > self.interval:
                log.warning("keepalive_late", key=self.key, seconds=round(late, 1))
            self.last_keepalive = time.monotonic()
            with contextlib.suppress(Exception):
                await self.msg.in_progress()


J = TypeVar("J")


class JobHandler(Protocol[J]):
    """What a worker plugs into the runtime."""

    def decode(self, data: bytes) -> J:
        """The job in a message (raises msgspec.DecodeError for anything else)."""
        ...

    def key(self, job: J) -> str:
        """The id two copies of one job share."""
        ...

    async def handle(self, job: J, delivery: Delivery) -> Outcome:
        """Run the job to an outcome (its final state written when the outcome is Ack)."""
        ...

    async def give_up(self, job: J, reason: str) -> None:
        """Write the job's final ``failed`` state after transient errors did not pass."""
        ...

    def interrupt(self) -> None:
        """Ask running jobs to stop at their next checkpoint (shutdown grace is over)."""
        ...


# An idle pull loop over several priorities polls the higher ones this long each and
# waits on the lowest (or, with a doorbell, on the doorbell) this long.
POLL_TIMEOUT = 0.05
IDLE_WAIT = 0.5


class Doorbell:
    """Rings when a job is published: a core subscription to the jobs' own subject.

    A pull loop over several priorities can wait on one of them only. Without a
    doorbell it waited on the lowest, so a default (normal) job published meanwhile
    waited up to :data:`IDLE_WAIT` (about 0.27 s on average) before it was fetched;
    with one, an idle loop fetches as soon as a job is published. The payload is not
    read (the job comes through its consumer, acknowledged there). A missed ring (a
    reconnect) costs at most :data:`IDLE_WAIT`: the loop looks again then anyway.
    """

    def __init__(self, nc: NATS, subject: str) -> None:
        self.nc = nc
        self.subject = subject
        self.rung = asyncio.Event()
        self._sub: Any = None

    async def open(self) -> None:
        """Subscribe (the pull loop calls this once, before its first fetch)."""
        self._sub = await self.nc.subscribe(self.subject, cb=self._ring)

    async def _ring(self, _msg: Msg) -> None:
        self.rung.set()

    async def wait(self, timeout: float, stopping: asyncio.Event) -> None:
        """Until a ring since the last :meth:`reset`, ``stopping``, or ``timeout`` seconds."""
        waits = {asyncio.ensure_future(self.rung.wait()), asyncio.ensure_future(stopping.wait())}
        try:
            await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()

    def reset(self) -> None:
        """Forget earlier rings (before a look at every priority)."""
        self.rung.clear()

    async def close(self) -> None:
        """Unsubscribe (best effort: the connection may be closing)."""
        if self._sub is not None:
            with contextlib.suppress(Exception):
                await self._sub.unsubscribe()
            self._sub = None


class JobConsumer(Generic[J]):
    """Pull jobs from ``durables`` (in priority order) and run up to ``slots`` at once.

    With a ``doorbell`` (several priorities), an idle loop waits for a ring instead of
    on its lowest priority.
    """

    def __init__(
        self,
        js: JetStreamContext,
        stream: str,
        durables: Sequence[str],
        handler: JobHandler[J],
        *,
        slots: int,
        stopping: asyncio.Event,
        ack_wait: float,
        shutdown_grace: float = 10.0,
        doorbell: Doorbell | None = None,
    ) -> None:
        self.js = js
        self.doorbell = doorbell
        self.stream = stream
        self.durables = list(durables)
        self.handler = handler
        self.stopping = stopping
        self.slots = SlotPool(slots, stopping)
        self.keepalive_interval = max(0.2, ack_wait / 4)
        self.shutdown_grace = shutdown_grace
        self.active: dict[str, Delivery] = {}
        self.tasks: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        """The pull loop, until ``stopping``; then a graceful shutdown."""
        subs = [
            await self.js.pull_subscribe_bind(durable=d, stream=self.stream) for d in self.durables
        ]
        if self.doorbell is not None:
            await self.doorbell.open()
        failures = 0
        try:
            while not self.stopping.is_set():
                if not await self.slots.acquire():
                    break
                try:
                    msg = await self._next_message(subs)
                    failures = 0
                except Exception as exc:  # e.g. a JetStream 503 while the server restarts
                    failures += 1
                    log.warning("fetch_failed", error=type(exc).__name__, failures=failures)
                    msg = None
                    await self._pause(backoff(failures, cap=5.0))
                if msg is None:
                    await self.slots.release()
                    continue
                self._start(msg)
        finally:
            if self.doorbell is not None:
                await self.doorbell.close()
            await self._shutdown()
            for sub in subs:  # a pull subscription left open makes the drain time out
                with contextlib.suppress(Exception):
                    await sub.unsubscribe()

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), seconds)

    async def _next_message(self, subs: list[JetStreamContext.PullSubscription]) -> Msg | None:
        """One message, highest priority first; None after a short idle wait."""
        bell = self.doorbell
        if bell is not None:
            bell.reset()  # a job published from here on rings again
        for i, sub in enumerate(subs):
            if self.stopping.is_set():
                return None
            # Higher priorities are polled; the lowest waits long, unless the doorbell
            # ends the wait.
            timeout = POLL_TIMEOUT if i < len(subs) - 1 or bell is not None else IDLE_WAIT
            try:
                msgs = await sub.fetch(1, timeout=timeout)
            except (FetchTimeoutError, TimeoutError):
                continue
            if msgs:
                return msgs[0]
        if bell is not None and not self.stopping.is_set():
            await bell.wait(IDLE_WAIT, self.stopping)
        return None

    async def process(self, msg: Msg) -> None:
        """Run one message to its settlement, as the pull loop does (tests, tools)."""
        if await self.slots.acquire():
            await self._run_one(msg)

    def _start(self, msg: Msg) -> None:
        task = asyncio.create_task(self._run_one(msg))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _run_one(self, msg: Msg) -> None:
        delivery: Delivery | None = None
        try:
            try:
                job = self.handler.decode(msg.data)
            except msgspec.DecodeError:
                # Not a job at all: redelivering it would loop forever.
                log.error("bad_job_message", subject=getattr(msg, "subject", ""))
                await settle(msg, Term("undecodable"))
                return
            key = self.handler.key(job)
            running = self.active.get(key)
            if running is not None:
                # A redelivered copy of a job that runs here (this replica was paused
                # past ack_wait): the running copy carries on with the new handle.
                log.info("duplicate_delivery_joined", key=key)
                running.replace(msg)
                return
            delivery = Delivery(msg, key, self.slots, self.keepalive_interval)
            self.active[key] = delivery
            delivery.start_keepalive()
            outcome = await self._outcome(job, delivery)
            await delivery.stop_keepalive()
            with contextlib.suppress(Exception):  # an unsettled message is redelivered
                await settle(delivery.msg, outcome)
        finally:
            if delivery is not None:
                await delivery.stop_keepalive()
                if self.active.get(delivery.key) is delivery:
                    del self.active[delivery.key]
                await self.slots.release(delivery.held)
            else:
                await self.slots.release()

    async def _outcome(self, job: J, delivery: Delivery) -> Outcome:
        try:
            return await self.handler.handle(job, delivery)
        except Exception as exc:
            transient = is_transient(exc)
            if transient and delivery.attempt < TRANSIENT_RETRIES:
                log.warning("job_retry_transient", error=type(exc).__name__, n=delivery.attempt)
                return Retry(delay=backoff(delivery.attempt), reason=type(exc).__name__)
            # A permanent error the handler did not turn into a final state, or transient
            # errors that did not pass: fail the job once, with the error's name.
            log.error("job_given_up", error=type(exc).__name__, transient=transient)
            try:
                await self.handler.give_up(job, type(exc).__name__)
            except Exception as again:
                log.error("give_up_failed", error=type(again).__name__)
                return Retry(delay=backoff(delivery.attempt), reason="final state not written")
            return Term("failed")

    async def _shutdown(self) -> None:
        """Let running jobs finish for the grace period, then interrupt them (their
        handlers give the job back: an uncharged nak)."""
        if not self.tasks:
            return
        _done, pending = await asyncio.wait(set(self.tasks), timeout=self.shutdown_grace)
        if pending:
            self.handler.interrupt()
            await asyncio.wait(pending, timeout=self.shutdown_grace)
