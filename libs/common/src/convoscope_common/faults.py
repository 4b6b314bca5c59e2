"""Which bus and store errors are worth retrying, and which mean "the store is full".

One classification for every service: a worker retries a transient error with
backoff (a JetStream 503 while the server restarts, a timeout, a dropped
connection) and fails a job once, with a clear error, for anything else; the
gateway answers 507 for a full store and 503 for a transient fault.
"""

from __future__ import annotations

import asyncio

import nats.errors
import nats.js.errors

from convoscope_common.objects import ObjectReadError

# JetStream error codes that mean "no room": a stream or bucket at its size limit
# (10077 with "maximum ... exceeded"), the server's store exhausted (10047, 10023, 10028).
_RESOURCE_CODES = frozenset({10023, 10028, 10047})

_TRANSIENT_TYPES: tuple[type[BaseException], ...] = (
    asyncio.TimeoutError,
    TimeoutError,
    ConnectionError,
    nats.errors.TimeoutError,
    nats.errors.ConnectionClosedError,
    nats.errors.ConnectionReconnectingError,
    nats.errors.ConnectionDrainingError,
    nats.errors.NoRespondersError,
    nats.errors.StaleConnectionError,
    nats.errors.OutboundBufferLimitError,
    nats.errors.FlushTimeoutError,
    nats.js.errors.NoStreamResponseError,
    nats.js.errors.ServiceUnavailableError,
    nats.js.errors.ServerError,
    # A chunk that did not come in time, or an object rewritten while it was read.
    ObjectReadError,
)


class StorageFullError(Exception):
    """A bucket, object store or the JetStream store has no room left."""


def is_storage_full(exc: BaseException) -> bool:
    """True for JetStream's "no room" answers (checked before :func:`is_transient`)."""
    if isinstance(exc, StorageFullError):
        return True
    if not isinstance(exc, nats.js.errors.APIError):
        return False
    if exc.err_code in _RESOURCE_CODES:
        return True
    description = (exc.description or "").lower()
    return (exc.err_code == 10077 and "maximum" in description) or "insufficient" in description


def is_transient(exc: BaseException) -> bool:
    """True when retrying later may succeed (and the store is not simply full)."""
    if is_storage_full(exc):
        return False
    if isinstance(exc, _TRANSIENT_TYPES):
        return True
    return isinstance(exc, nats.js.errors.APIError) and exc.code in (408, 500, 503)


def backoff(attempt: int, base: float = 0.5, cap: float = 30.0) -> float:
    """Seconds before retry number ``attempt`` (1-based): doubling, capped."""
    return float(min(cap, base * 2 ** max(0, attempt - 1)))
