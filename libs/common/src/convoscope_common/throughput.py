"""Measured analysis throughput, shared by analyzers (writers) and gateways (readers)."""

from __future__ import annotations

import msgspec

from convoscope_common.storage import Stores

THROUGHPUT_KEY = "_throughput"
# Until the first job has been measured, a conservative prior stands in.
_PRIOR = (1500.0, 2.0)
_WEIGHT = 0.3  # weight of the newest job in the moving average


class Throughput(msgspec.Struct, kw_only=True):
    """An exponentially weighted average of recent jobs."""

    messages_per_second: float = _PRIOR[0]
    overhead_seconds: float = _PRIOR[1]
    samples: int = 0


_decoder = msgspec.msgpack.Decoder(Throughput)


async def read_throughput(stores: Stores) -> Throughput:
    """The current estimate (the prior when nothing has been measured yet)."""
    try:
        entry = await stores.jobs.get(THROUGHPUT_KEY)
    except Exception:
        return Throughput()
    return _decoder.decode(entry.value) if entry.value else Throughput()


def updated(current: Throughput, messages: int, seconds: float) -> Throughput:
    """Fold one finished job (``messages`` analysed in ``seconds``) into the average."""
    if messages <= 0 or seconds <= 0:
        return current
    rate = messages / seconds
    if current.samples == 0:
        return Throughput(
            messages_per_second=rate, overhead_seconds=current.overhead_seconds, samples=1
        )
    blended = (1 - _WEIGHT) * current.messages_per_second + _WEIGHT * rate
    return Throughput(
        messages_per_second=blended,
        overhead_seconds=current.overhead_seconds,
        samples=current.samples + 1,
    )


async def record_throughput(stores: Stores, messages: int, seconds: float) -> None:
    """Store the average updated with one finished job."""
    current = await read_throughput(stores)
    await stores.jobs.put(
        THROUGHPUT_KEY, msgspec.msgpack.encode(updated(current, messages, seconds))
    )
