"""JSON in and out of handlers with msgspec (typed decoding, readable errors)."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
from aiohttp import web

from convoscope_gateway.errors import BadRequestError, UnsupportedMediaTypeError, ValidationError

T = TypeVar("T")

MAX_JSON_BODY = 1024 * 1024


def json_response(obj: Any, status: int = 200) -> web.Response:
    """Encode a Struct (or builtins) as a JSON response."""
    return web.Response(
        status=status, body=msgspec.json.encode(obj), content_type="application/json"
    )


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
    try:
        raw = msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        raise BadRequestError(f"the body is not valid JSON: {exc}") from None
    try:
        return msgspec.convert(raw, type_)
    except msgspec.ValidationError as exc:
        raise ValidationError(f"the request is not valid: {exc}") from None
