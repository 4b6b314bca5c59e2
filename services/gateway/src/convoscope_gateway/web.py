"""The web app at ``/``: static files of this package, same origin as the API.

Assets live under ``/assets/<build>/...`` where ``<build>`` is a digest of every
file in ``static/``: a changed file changes every asset URL, so assets can be
cached for a year (``immutable``) while the page itself is never cached. Plain
ES modules, no build step; vendored libraries sit in ``static/vendor`` with
their licenses (docs/web.md). Every response carries a strict
Content-Security-Policy: nothing loads from outside the origin.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import mimetypes
from pathlib import Path

from aiohttp import web

from convoscope_gateway.errors import NotFoundError

STATIC = Path(__file__).parent / "static"
ASSETS_PREFIX = "/assets/"

CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
_TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css"}


@functools.cache
def build_id() -> str:
    """A digest of every static file (names and bytes)."""
    digest = hashlib.sha256()
    for path in sorted(STATIC.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(STATIC).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@functools.cache
def _index_html() -> bytes:
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    return html.replace("/assets/BUILD/", f"{ASSETS_PREFIX}{build_id()}/").encode()


def is_web_path(path: str) -> bool:
    """The page and its assets: open without an API key (the page asks for one)."""
    return path == "/" or path.startswith(ASSETS_PREFIX)


async def get_index(_request: web.Request) -> web.Response:
    """``GET /``: the single page (its state lives in the query string)."""
    return web.Response(
        body=_index_html(),
        content_type="text/html",
        charset="utf-8",
        headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"},
    )


async def get_asset(request: web.Request) -> web.Response:
    """``GET /assets/{build}/{path}``: a static file, cached for a year when the build matches."""
    build, rel = request.match_info["build"], request.match_info["path"]
    if build != build_id():
        raise NotFoundError("no such asset (the page was updated: reload it)")
    try:
        target = (STATIC / rel).resolve()
        usable = STATIC.resolve() in target.parents and target.is_file() and rel != "index.html"
    except (OSError, ValueError):  # NUL bytes, names too long: no such file either way
        usable = False
    if not usable:
        raise NotFoundError(f"no such asset {rel!r}")
    content_type = _TYPES.get(target.suffix) or mimetypes.guess_type(target.name)[0]
    headers = {
        **SECURITY_HEADERS,
        "Cache-Control": "public, max-age=31536000, immutable",
        "Vary": "Accept-Encoding",
    }
    plain, packed = _asset_bytes(target)
    body = plain
    if packed is not None and "gzip" in request.headers.get("Accept-Encoding", ""):
        body, headers["Content-Encoding"] = packed, "gzip"
    return web.Response(
        body=body, content_type=content_type or "application/octet-stream", headers=headers
    )


@functools.cache
def _asset_bytes(path: Path) -> tuple[bytes, bytes | None]:
    """The file and, for text worth it, its gzip (computed once per process)."""
    data = path.read_bytes()
    if path.suffix in (".js", ".mjs", ".css", ".svg", ".json") and len(data) > 1024:
        return data, gzip.compress(data, compresslevel=6, mtime=0)
    return data, None
