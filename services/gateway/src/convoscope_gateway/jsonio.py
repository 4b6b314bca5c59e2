"""JSON in and out of handlers with msgspec (typed decoding, readable errors)."""

from __future__ import annotations

import re
import zlib
from typing import Any, TypeVar

import msgspec
from aiohttp import web

from convoscope_gateway.errors import BadRequestError, UnsupportedMediaTypeError, ValidationError
from convoscope_gateway.state import GATEWAY

T = TypeVar("T")

MAX_JSON_BODY = 1024 * 1024
DEFAULT_MAX_DEPTH = 64
# Strings (with their escapes) are removed before brackets are counted.
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_AS_PARENS = bytes.maketrans(b"[{]}", b"(())")


def nested_deeper_than(body: bytes, limit: int) -> bool:
    """Whether the arrays and objects of a JSON text nest more than ``limit`` deep.

    msgspec's decoder is recursive, so a body nested thousands deep must be refused
    before decoding, or it raises RecursionError (a 500) instead of a clear 400. All at
    C speed: a run of more than ``limit`` openers is too deep at once; otherwise each
    pass removes the innermost pair of every nest, and a pair left after ``limit``
    passes sat deeper than ``limit``.
    """
    brackets = _JSON_STRING.sub(b"", body).translate(_AS_PARENS, _NOT_BRACKETS)
    run = b"(" * (limit + 1)
    for _ in range(limit):
        if run in brackets:
            return True
        if b"()" not in brackets:
            return False
        brackets = brackets.replace(b"()", b"")
    return b"()" in brackets or run in brackets


# Documents at least this large are gzip-compressed for clients that accept it: the light
# results document of a large export is ~0.9 MB of JSON, ~0.16 MB at level 1. Level 1
# costs a few milliseconds for that (level 6: ten times more, for 20 % less).
COMPRESS_FROM = 64 * 1024
COMPRESS_UP_TO = 8 * 1024 * 1024
_GZIP_LEVEL = 1


def json_response(
    obj: Any, status: int = 200, *, request: web.Request | None = None
) -> web.Response:
    """Encode a Struct (or builtins) as a JSON response.

    With ``request``, a large body is sent gzip-compressed when the client accepts it.
    """
    body = msgspec.json.encode(obj)
    if (
        request is not None
        and COMPRESS_FROM <= len(body) <= COMPRESS_UP_TO
        and "gzip" in request.headers.get("Accept-Encoding", "")
    ):
        packed = zlib.compress(body, _GZIP_LEVEL, wbits=31)  # wbits 31: a gzip stream
        return web.Response(
            status=status,
            body=packed,
            content_type="application/json",
            headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"},
        )
    return web.Response(status=status, body=body, content_type="application/json")


async def read_json(request: web.Request, type_: type[T]) -> T:
    """Decode the body as ``type_``: 415 if not JSON, 400 if malformed, 422 if invalid."""
    if request.content_type not in ("application/json", ""):
        raise UnsupportedMediaTypeError(
            f"send the body as application/json, not {request.content_type}"
        )
    if request.content_length is not None and request.content_length > MAX_JSON_BODY:
        raise BadRequestError("the JSON body is too large")
    body = await request.read()
    if not body.strip():
        raise BadRequestError("the request body is empty; send a JSON object")
    gateway = request.app.get(GATEWAY)
    max_depth = gateway.settings.max_json_depth if gateway is not None else DEFAULT_MAX_DEPTH
    if nested_deeper_than(body, max_depth):
        raise BadRequestError(f"the JSON body is nested more than {max_depth} levels deep")
    try:
        raw = msgspec.json.decode(body)
    except (msgspec.DecodeError, RecursionError) as exc:
        raise BadRequestError(f"the body is not valid JSON: {exc}") from None
    try:
        return msgspec.convert(raw, type_)
    except msgspec.ValidationError as exc:
        raise ValidationError(f"the request is not valid: {exc}") from None
