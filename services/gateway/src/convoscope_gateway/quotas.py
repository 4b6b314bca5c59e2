"""Per-key quotas: analysis jobs at once, high-priority jobs, stored upload bytes.

One record per owner in the ``jobs`` bucket (``_active.<owner>``) lists the
owner's unfinished jobs; a submission re-checks only those (at most the quota,
so O(quota) reads, never a scan) and writes the record back with optimistic
concurrency, so gateway replicas cannot together overshoot. A second record
(``_bytes.<owner>``) lists the owner's live uploads with size and expiry; expired
ones drop out as uploads expire. Quotas apply when API keys are configured
(without keys there is one tenant). The ``jobs`` bucket is used because its
reader already treats records that are not jobs as absent.
"""

from __future__ import annotations

import msgspec
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError, NotFoundError

from convoscope_common.records import TERMINAL_STATUSES
from convoscope_common.storage import Stores
from convoscope_gateway.errors import QuotaExceededError, ServiceUnavailableError

PREFIX = "_active."
BYTES_PREFIX = "_bytes."
# Most live uploads one key may hold (bounds the record whatever the byte quota).
MAX_UPLOADS_PER_KEY = 5000
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


class StoredUpload(msgspec.Struct, array_like=True):
    file_id: str
    size: int
    expires: float  # wall-clock seconds


class StoredUploads(msgspec.Struct):
    items: list[StoredUpload] = []


_decoder = msgspec.msgpack.Decoder(ActiveJobs)
_bytes_decoder = msgspec.msgpack.Decoder(StoredUploads)


async def _still_active(stores: Stores, item: Reservation, now: float) -> bool:
    state = await stores.get_job(item.job_id)
    if state is None:
        return now - item.at < RESERVATION_GRACE
    return state.status not in TERMINAL_STATUSES


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
        revision, raw = await _read(stores, key)
        current = _decoder.decode(raw) if raw else ActiveJobs()
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
        if await _write(stores, key, msgspec.msgpack.encode(ActiveJobs(active)), revision):
            return
    raise ServiceUnavailableError("too many concurrent submissions for this key; retry")


async def _read(stores: Stores, key: str) -> tuple[int, bytes]:
    try:
        entry = await stores.jobs.get(key)
    except (KeyNotFoundError, NotFoundError):
        return 0, b""
    return entry.revision or 0, entry.value or b""


async def _write(stores: Stores, key: str, value: bytes, revision: int) -> bool:
    """Compare-and-set; False when another writer came first."""
    try:
        if revision:
            await stores.jobs.update(key, value, last=revision)
        else:
            await stores.jobs.create(key, value)
    except KeyWrongLastSequenceError:
        return False
    except Exception as exc:
        if "wrong last sequence" in str(exc).lower():
            return False
        raise
    return True


async def reserve_bytes(
    stores: Stores,
    owner: str,
    file_id: str,
    size: int,
    *,
    max_bytes: int,
    ttl: float,
    now: float,
) -> None:
    """Count an upload of ``size`` bytes against ``owner``'s stored-bytes quota.

    A re-upload of the same file replaces its entry (and restarts its expiry).
    Raises :class:`QuotaExceededError` with Retry-After set to when the oldest
    upload expires.
    """
    if max_bytes <= 0:
        return
    key = BYTES_PREFIX + owner
    for _ in range(_ATTEMPTS):
        revision, raw = await _read(stores, key)
        current = _bytes_decoder.decode(raw) if raw else StoredUploads()
        live = [i for i in current.items if i.expires > now and i.file_id != file_id]
        used = sum(i.size for i in live)
        if used + size > max_bytes or len(live) >= MAX_UPLOADS_PER_KEY:
            wait = min((i.expires for i in live), default=now + 60) - now
            raise QuotaExceededError(
                f"this API key stores {used} bytes of uploads; with this one it would "
                f"pass its quota of {max_bytes} bytes until older uploads expire",
                headers={"Retry-After": str(max(1, int(wait) + 1))},
            )
        live.append(StoredUpload(file_id, size, now + ttl))
        if await _write(stores, key, msgspec.msgpack.encode(StoredUploads(live)), revision):
            return
    raise ServiceUnavailableError("too many concurrent uploads for this key; retry")


async def release_bytes(stores: Stores, owner: str, file_id: str) -> None:
    """Forget ``file_id``'s bytes (a rejected upload stored nothing)."""
    key = BYTES_PREFIX + owner
    for _ in range(_ATTEMPTS):
        revision, raw = await _read(stores, key)
        if not raw:
            return
        current = _bytes_decoder.decode(raw)
        kept = [i for i in current.items if i.file_id != file_id]
        if len(kept) == len(current.items):
            return
        if await _write(stores, key, msgspec.msgpack.encode(StoredUploads(kept)), revision):
            return
