"""CORS for the REST API, origins from ``CONVOSCOPE_CORS_ORIGINS`` ("*" allows any)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from convoscope_common.config import Settings

_ALLOW_HEADERS = "Content-Type, Authorization, X-API-Key"
_ALLOW_METHODS = "GET, POST, DELETE, OPTIONS"


def make_cors_middleware(settings: Settings) -> Middleware:
    """Answer preflights and tag responses for allowed origins only."""
    allowed = set(settings.cors_origins)

    def allow(origin: str | None) -> str | None:
        if not origin:
            return None
        if "*" in allowed:
            return "*"
        return origin if origin in allowed else None

    @web.middleware
    async def cors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/socket.io"):
            return await handler(request)  # python-socketio applies the same origins itself
        origin = allow(request.headers.get("Origin"))
        if request.method == "OPTIONS" and request.headers.get("Access-Control-Request-Method"):
            response: web.StreamResponse = web.Response(status=204 if origin else 403)
        else:
            response = await handler(request)
        if origin:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Vary"] = "Origin"
            response.headers["Access-Control-Allow-Headers"] = _ALLOW_HEADERS
            response.headers["Access-Control-Allow-Methods"] = _ALLOW_METHODS
            response.headers["Access-Control-Expose-Headers"] = "Retry-After, Content-Disposition"
        return response

    return cors_middleware


def socket_origin_check(settings: Settings) -> Callable[[str | None, dict[str, Any]], bool]:
    """Socket.IO origins: the configured ones plus the gateway's own (the web app at ``/``).

    A page served by the gateway talks to its own origin, which needs no CORS entry; the
    host it was reached by comes from the request (or ``X-Forwarded-*`` behind a proxy).
    """
    configured = set(settings.cors_origins)

    def allowed(origin: str | None, environ: dict[str, Any]) -> bool:
        if not origin or "*" in configured or origin in configured:
            return True
        host = environ.get("HTTP_X_FORWARDED_HOST") or environ.get("HTTP_HOST", "")
        scheme = environ.get("HTTP_X_FORWARDED_PROTO") or environ.get("wsgi.url_scheme", "http")
        own = f"{scheme.split(',')[0].strip()}://{host.split(',')[0].strip()}"
        return origin == own

    return allowed
