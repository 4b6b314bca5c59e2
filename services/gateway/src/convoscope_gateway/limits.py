"""Who is calling, and how fast: caller identity and a bounded per-identity rate limiter.

The caller is identified *before* it is limited: a valid API key's owner, else
the client address. ``X-Forwarded-For`` is believed only when the connection
comes from a configured trusted proxy, and then only up to the first address
no trusted proxy vouches for. IPv6 clients are grouped by /64 (one subscriber's
allocation), so an attacker cannot mint identities by rotating addresses inside it.
Keys that are not valid never name an identity: rotating random keys gets no
fresh budget.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import OrderedDict
from collections.abc import Iterable

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from convoscope_common.config import ConfigurationError, Settings
from convoscope_gateway.errors import RateLimitedError
from convoscope_gateway.keyring import KeyRing
from convoscope_gateway.web import is_web_path

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# The caller's identity, set by the rate-limit middleware ("key:<owner>" or "addr:<ip>").
IDENTITY: web.RequestKey[str] = web.RequestKey("identity")
# Routes exempt from the limiter (probes must not be starved by a flood).
UNLIMITED_PATHS = frozenset({"/api/health"})
# Most identities one limiter remembers; the least recently seen is forgotten first.
MAX_TRACKED = 10_000


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """Trusted-proxy networks from addresses or CIDRs (``ConfigurationError`` on a bad one)."""
    networks: list[Network] = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ConfigurationError(
                f"CONVOSCOPE_TRUSTED_PROXIES: {entry!r} is not an address or network"
            ) from None
    return tuple(networks)


def _parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip().strip('"')
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _trusted(
    addr: ipaddress.IPv4Address | ipaddress.IPv6Address, proxies: tuple[Network, ...]
) -> bool:
    return any(addr in net for net in proxies)


def client_address(
    remote: str | None, forwarded_for: str | None, proxies: tuple[Network, ...]
) -> str:
    """The address the limiter keys on (IPv6 folded to its /64)."""
    addr = _parse_ip(remote or "")
    if addr is None:
        return remote or "unknown"
    if forwarded_for and _trusted(addr, proxies):
        # Right to left: each trusted hop vouches for the one before it.
        for hop in reversed(forwarded_for.split(",")):
            hop_addr = _parse_ip(hop)
            if hop_addr is None:
                break  # garbage from an untrusted hop: stay with the last vouched address
            addr = hop_addr
            if not _trusted(hop_addr, proxies):
                break
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            return str(addr.ipv4_mapped)
        return str(ipaddress.IPv6Network((addr, 64), strict=False))
    return str(addr)


class TokenBucket:
    """Requests per minute per identity, refilled continuously, in bounded memory.

    At most ``max_tracked`` identities are remembered (least recently seen
    forgotten first). Forgetting one is harmless once it has been idle for a
    minute, because its bucket is full again by then; the bound is sized so that
    only a flood of *distinct* callers reaches it, and each of those gets no
    more than its own budget.
    """

    def __init__(self, per_minute: int, max_tracked: int = MAX_TRACKED) -> None:
        self.rate = per_minute / 60.0
        self.capacity = float(per_minute)
        self.max_tracked = max_tracked
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, client: str, now: float | None = None) -> float:
        """0 if allowed, else seconds until a request would be allowed."""
        now = time.monotonic() if now is None else now
        tokens, last = self.buckets.pop(client, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        allowed = tokens >= 1.0
        self.buckets[client] = (tokens - 1.0 if allowed else tokens, now)
        while len(self.buckets) > self.max_tracked:
            self.buckets.popitem(last=False)
        return 0.0 if allowed else (1.0 - tokens) / self.rate

    def forget(self, client: str) -> None:
        """Drop ``client`` (a closed connection)."""
        self.buckets.pop(client, None)


def identify(request: web.Request, keyring: KeyRing, proxies: tuple[Network, ...]) -> str:
    """The caller's identity: a valid key's owner, else its (proxy-resolved) address."""
    owner = keyring.owner_for(keyring.presented(request.headers)) if keyring.enabled else None
    if owner is not None:
        return f"key:{owner}"
    forwarded = request.headers.get("X-Forwarded-For")
    return f"addr:{client_address(request.remote, forwarded, proxies)}"


def make_rate_limit_middleware(settings: Settings, keyring: KeyRing) -> Middleware:
    """429 with Retry-After once an identity exceeds its rate (identity found first)."""
    bucket = TokenBucket(settings.rate_limit_per_minute)
    proxies = parse_networks(settings.trusted_proxies)

    @web.middleware
    async def rate_limit_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        identity = identify(request, keyring, proxies)
        request[IDENTITY] = identity
        if (
            settings.rate_limit_per_minute <= 0
            or request.path in UNLIMITED_PATHS
            or is_web_path(request.path)  # the web app's page and static assets
        ):
            return await handler(request)
        wait = bucket.take(identity)
        if wait > 0:
            raise RateLimitedError(
                "too many requests; slow down and retry later",
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )
        return await handler(request)

    return rate_limit_middleware
