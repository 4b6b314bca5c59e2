"""Optional API keys and per-client rate limiting.

With ``CONVOSCOPE_API_KEYS`` set, every route but ``/api/health`` and the web
app's page and assets (which ask the person for a key) needs a
key (``X-API-Key`` or ``Authorization: Bearer``); files, jobs and exports are
visible only to the key that created them. Owners are stored as a digest of
the key, never the key itself.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from convoscope_common.config import Settings
from convoscope_gateway.errors import RateLimitedError, UnauthorizedError
from convoscope_gateway.web import is_web_path

# The owner id of the request's API key (None when keys are not configured).
OWNER: web.RequestKey[str | None] = web.RequestKey("owner")
# The only route open without a key (load balancers and orchestrators probe it).
PUBLIC_PATHS = frozenset({"/api/health"})


def owner_digest(key: str) -> str:
    """A stable, non-reversible owner id for an API key."""
    return hashlib.sha256(f"convoscope-owner:{key}".encode()).hexdigest()[:24]


def presented_key(headers: dict[str, str] | object) -> str | None:
    """The API key a request carries, if any."""
    get = getattr(headers, "get")  # noqa: B009 - multidict and dict alike
    key = get("X-API-Key")
    if key:
        return str(key)
    auth = get("Authorization") or ""
    if isinstance(auth, str) and auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return None


def check_key(settings: Settings, key: str | None) -> str | None:
    """The owner id for ``key``; raises UnauthorizedError when keys are required and it is bad."""
    if not settings.api_keys:
        return None
    if key is None:
        raise UnauthorizedError("an API key is required: send it in the X-API-Key header")
    if not any(hmac.compare_digest(key, known) for known in settings.api_keys):
        raise UnauthorizedError("the API key is not valid")
    return owner_digest(key)


def owner_of(request: web.Request) -> str | None:
    """The owner id bound to this request by the auth middleware (None without keys)."""
    return request.get(OWNER)


def make_auth_middleware(settings: Settings) -> Middleware:
    """Require a key on every non-public route when keys are configured."""

    @web.middleware
    async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        # Socket.IO clients are checked in its connect handler (auth payload or header).
        if (
            request.path in PUBLIC_PATHS
            or request.path.startswith("/socket.io/")
            or is_web_path(request.path)
        ):
            return await handler(request)
        request[OWNER] = check_key(settings, presented_key(request.headers))
        return await handler(request)

    return auth_middleware


class TokenBucket:
    """Requests per minute per client, refilled continuously."""

    def __init__(self, per_minute: int) -> None:
        self.rate = per_minute / 60.0
        self.capacity = float(per_minute)
        self.buckets: dict[str, tuple[float, float]] = {}

    def take(self, client: str, now: float | None = None) -> float:
        """0 if allowed, else seconds until a request would be allowed."""
        now = time.monotonic() if now is None else now
        tokens, last = self.buckets.get(client, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        if tokens >= 1.0:
            self.buckets[client] = (tokens - 1.0, now)
            return 0.0
        self.buckets[client] = (tokens, now)
        if len(self.buckets) > 10_000:  # forget idle clients
            self.buckets = {k: v for k, v in self.buckets.items() if now - v[1] < 120}
        return (1.0 - tokens) / self.rate


def make_rate_limit_middleware(settings: Settings) -> Middleware:
    """429 with Retry-After once a client (API key, else address) exceeds its rate."""
    bucket = TokenBucket(settings.rate_limit_per_minute)

    @web.middleware
    async def rate_limit_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if (
            settings.rate_limit_per_minute <= 0
            or request.path in PUBLIC_PATHS
            or is_web_path(request.path)
        ):
            return await handler(request)
        key = presented_key(request.headers)
        client = owner_digest(key) if key else (request.remote or "unknown")
        wait = bucket.take(client)
        if wait > 0:
            raise RateLimitedError(
                "too many requests; slow down and retry later",
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )
        return await handler(request)

    return rate_limit_middleware
