"""Security headers on every response the gateway sends (pages, API, downloads, errors).

Applied in ``on_response_prepare``, which runs for every response just before
its headers go out, including streamed downloads, static files, Socket.IO's
HTTP answers and errors, so route modules added later are covered without
registering anything.

- The web app gets a strict same-origin policy: scripts, styles and
  connections (Socket.IO included) only from the gateway itself, no plugins,
  no framing (``frame-ancestors 'none'``).
- Export downloads (the HTML report carries its own inline CSS and JS) get a
  policy that allows only inline code, no network access at all, and a sandbox
  with an opaque origin: a report can never call the API or read the app's
  storage, even if a conversation title slipped through escaping.
"""

from __future__ import annotations

import re

from aiohttp import web

APP_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
REPORT_POLICY = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data:; connect-src 'none'; form-action 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; sandbox allow-scripts"
)
_DOWNLOAD = re.compile(r"^/api/export/[^/]+/file/")

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers without CSP 2
    "Cross-Origin-Opener-Policy": "same-origin",
}


def policy_for(path: str) -> str:
    """The Content-Security-Policy for a response to ``path``."""
    return REPORT_POLICY if _DOWNLOAD.match(path) else APP_POLICY


async def add_security_headers(request: web.BaseRequest, response: web.StreamResponse) -> None:
    """Set the headers unless the handler chose its own value."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Content-Security-Policy", policy_for(request.path))


def install(app: web.Application) -> None:
    """Register the headers on ``app`` (every response, whatever route produced it)."""
    app.on_response_prepare.append(add_security_headers)
