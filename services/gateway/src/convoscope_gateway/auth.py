"""Optional API keys (the rate limiter is in :mod:`convoscope_gateway.limits`).

With ``CONVOSCOPE_API_KEYS`` set, every route but ``/api/health`` and the web
app's page and assets (which ask the person for a key) needs a
key (``X-API-Key`` or ``Authorization: Bearer``); files, jobs and exports are
visible only to the key that created them. Owners are stored as a digest of
the key, never the key itself.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from convoscope_common.config import Settings
from convoscope_gateway.errors import UnauthorizedError
from convoscope_gateway.keyring import keyring_for, owner_digest, presented_key
from convoscope_gateway.limits import TokenBucket
from convoscope_gateway.web import is_web_path

__all__ = ["OWNER", "PUBLIC_PATHS", "TokenBucket", "check_key", "owner_digest", "owner_of"]
__all__ += ["make_auth_middleware", "presented_key"]

# The owner id of the request's API key (None when keys are not configured).
OWNER: web.RequestKey[str | None] = web.RequestKey("owner")
# The only route open without a key (load balancers and orchestrators probe it).
PUBLIC_PATHS = frozenset({"/api/health"})


def check_key(settings: Settings, key: str | None) -> str | None:
    """The owner id for ``key``; raises UnauthorizedError when keys are required and it is bad."""
    keyring = keyring_for(settings.api_keys)
    if not keyring.enabled:
        return None
    if key is None:
        raise UnauthorizedError("an API key is required: send it in the X-API-Key header")
    owner = keyring.owner_for(key)
    if owner is None:
        raise UnauthorizedError("the API key is not valid")
    return owner


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
