"""Measured analysis throughput, shared by analyzers (writers) and gateways (readers)."""

from __future__ import annotations

import msgspec

from convoscope_common.storage import Stores

THROUGHPUT_KEY = "_throughput"
# Until the first job has been measured, a prior stands in: the engine's measured rate
# on a 2-core machine (bench/bench_analysis.py: about 7,000 messages/s with every option).
_PRIOR = (6000.0, 2.0)
_KEEP = 24  # the newest jobs kept for the fit
_MAX_OVERHEAD = 30.0


class Throughput(msgspec.Struct, kw_only=True):
    """Analysis time as ``overhead_seconds + messages / messages_per_second``.

    Fitted by least squares over the newest jobs (``recent``: messages, seconds), so
    that a stream of tiny jobs, whose time is nearly all fixed overhead, does not make
    a large job look slow (a rate per job would: 10 messages in 0.5 s is "20 msg/s").
    """

    messages_per_second: float = _PRIOR[0]
    overhead_seconds: float = _PRIOR[1]
    samples: int = 0
    recent: list[tuple[int, float]] = msgspec.field(default_factory=list)

    def seconds_for(self, messages: int) -> float:
        """Expected seconds for a job of ``messages`` messages."""
        return self.overhead_seconds + messages / self.messages_per_second


_decoder = msgspec.msgpack.Decoder(Throughput)


async def read_throughput(stores: Stores) -> Throughput:
    """The current estimate (the prior when nothing has been measured yet)."""
    try:
        entry = await stores.jobs.get(THROUGHPUT_KEY)
    except Exception:
        return Throughput()
    return _decoder.decode(entry.value) if entry.value else Throughput()


def updated(current: Throughput, messages: int, seconds: float) -> Throughput:
    """Fold one finished job (``messages`` analysed in ``seconds``) into the model."""
    if messages <= 0 or seconds <= 0:
        return current
    recent = [*current.recent, (messages, seconds)][-_KEEP:]
    rate, overhead = _fit(recent, current.overhead_seconds)
    return Throughput(
        messages_per_second=rate,
        overhead_seconds=overhead,
        samples=current.samples + 1,
        recent=recent,
    )


def _fit(recent: list[tuple[int, float]], overhead: float) -> tuple[float, float]:
    """(messages per second, overhead seconds) from the jobs in ``recent``."""
    sizes = [m for m, _ in recent]
    if len(recent) >= 2 and max(sizes) >= 2 * min(sizes):
        n = len(recent)
        mean_m = sum(sizes) / n
        mean_s = sum(s for _, s in recent) / n
        spread = sum((m - mean_m) ** 2 for m in sizes)
        slope = sum((m - mean_m) * (s - mean_s) for m, s in recent) / spread
        intercept = mean_s - slope * mean_m
        if slope > 0 and 0 <= intercept <= _MAX_OVERHEAD:
            return 1 / slope, intercept
    # Sizes too alike to separate overhead from per-message cost: the rate of the
    # newest of the largest jobs, overhead included (it errs on the slow side).
    messages, seconds = max(reversed(recent), key=lambda job: job[0])
    return messages / seconds, overhead


async def record_throughput(stores: Stores, messages: int, seconds: float) -> None:
    """Store the average updated with one finished job."""
    current = await read_throughput(stores)
    await stores.jobs.put(
        THROUGHPUT_KEY, msgspec.msgpack.encode(updated(current, messages, seconds))
    )
