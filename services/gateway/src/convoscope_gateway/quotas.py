"""Per-key quotas on analysis jobs: how many at once, how many at high priority.

One record per owner in the ``jobs`` bucket (``_active.<owner>``) lists the
owner's unfinished jobs; a submission re-checks only those (at most the quota,
so O(quota) reads, never a scan) and writes the record back with optimistic
concurrency, so gateway replicas cannot together overshoot. Quotas apply when
API keys are configured (without keys there is one tenant).
"""

from __future__ import annotations

import msgspec
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError, NotFoundError

from convoscope_common.storage import Stores
from convoscope_gateway.errors import QuotaExceededError, ServiceUnavailableError

PREFIX = "_active."
_TERMINAL = frozenset({"complete", "failed", "cancelled"})
# A reservation whose job record is not written yet (a gateway between the two
# writes, or one that died there) counts for this long, then lapses.
RESERVATION_GRACE = 60.0
_ATTEMPTS = 8


class Reservation(msgspec.Struct, array_like=True):
    job_id: str
    priority: str
    at: float  # wall-clock seconds


class ActiveJobs(msgspec.Struct):
    jobs: list[Reservation] = []


_decoder = msgspec.msgpack.Decoder(ActiveJobs)


async def _still_active(stores: Stores, item: Reservation, now: float) -> bool:
    state = await stores.get_job(item.job_id)
    if state is None:
        return now - item.at < RESERVATION_GRACE
    return state.status not in _TERMINAL


async def reserve(
    stores: Stores,
    owner: str,
    job_id: str,
    priority: str,
    *,
    max_active: int,
    max_high: int,
    now: float,
) -> None:
    """Count ``job_id`` against ``owner``'s quotas, or raise :class:`QuotaExceededError`."""
    if max_active <= 0 and max_high <= 0:
        return
    key = PREFIX + owner
    for _ in range(_ATTEMPTS):
        revision = 0
        current = ActiveJobs()
        try:
            entry = await stores.jobs.get(key)
            revision = entry.revision or 0
            if entry.value:
                current = _decoder.decode(entry.value)
        except (KeyNotFoundError, NotFoundError):
            pass
        active = [item for item in current.jobs if await _still_active(stores, item, now)]
        if max_active > 0 and len(active) >= max_active:
            raise QuotaExceededError(
                f"at most {max_active} analyses may run at once per API key; "
                "wait for one to finish or cancel one",
                headers={"Retry-After": "10"},
            )
        high = sum(1 for item in active if item.priority == "high")
        if priority == "high" and max_high > 0 and high >= max_high:
            raise QuotaExceededError(
                f"at most {max_high} high-priority analyses at once per API key; "
                "use priority 'normal' or wait",
                headers={"Retry-After": "10"},
            )
        active.append(Reservation(job_id, priority, now))
        value = msgspec.msgpack.encode(ActiveJobs(active))
        try:
            if revision:
                await stores.jobs.update(key, value, last=revision)
            else:
                await stores.jobs.create(key, value)
            return
        except KeyWrongLastSequenceError:
            continue  # another gateway wrote first: count again
        except Exception as exc:
            # create() on an existing key raises a bad-request error: recount.
            if "wrong last sequence" in str(exc).lower():
                continue
            raise
    raise ServiceUnavailableError("too many concurrent submissions for this key; retry")
