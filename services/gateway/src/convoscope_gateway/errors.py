"""API errors as types, and the middleware that turns every failure into a JSON body."""

from __future__ import annotations

import msgspec
from aiohttp import web
from aiohttp.typedefs import Handler

from convoscope_common.api import ErrorBody
from convoscope_common.faults import is_storage_full, is_transient
from convoscope_common.logs import get_logger
from convoscope_common.wire import ErrorInfo

log = get_logger(__name__)


class ApiError(Exception):
    """An error with an HTTP status, a machine code and a sentence for people."""

    status = 400
    code = "bad_request"

    def __init__(
        self, message: str, *, details: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers or {}


class BadRequestError(ApiError):
    status, code = 400, "bad_request"


class EmptyUploadError(ApiError):
    status, code = 400, "empty_file"


class UnauthorizedError(ApiError):
    status, code = 401, "unauthorized"


class ForbiddenError(ApiError):
    status, code = 403, "forbidden"


class NotFoundError(ApiError):
    status, code = 404, "not_found"


class RequestTimeoutError(ApiError):
    status, code = 408, "request_timeout"


class ConflictError(ApiError):
    status, code = 409, "conflict"


class GoneError(ApiError):
    status, code = 410, "gone"


class PayloadTooLargeError(ApiError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaTypeError(ApiError):
    status, code = 415, "unsupported_media_type"


class ValidationError(ApiError):
    status, code = 422, "validation_error"


class RateLimitedError(ApiError):
    status, code = 429, "rate_limited"


class QuotaExceededError(ApiError):
    """A per-key quota (jobs at once, high-priority jobs) is used up."""

    status, code = 429, "quota_exceeded"


class ServiceUnavailableError(ApiError):
    status, code = 503, "service_unavailable"


class InsufficientStorageError(ApiError):
    status, code = 507, "storage_full"


class UpstreamError(ApiError):
    """An error another service reported as data (ErrorInfo)."""

    def __init__(self, info: ErrorInfo) -> None:
        super().__init__(info.message, details=info.details)
        self.status = info.status
        self.code = info.code


_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    409: "Conflict",
    410: "Gone",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    507: "Insufficient Storage",
}


def json_error(
    status: int,
    code: str,
    message: str,
    details: str | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """A JSON error response (``{"error", "message", "details"}``)."""
    body = ErrorBody(error=code, message=message, details=details)
    return web.Response(
        status=status,
        body=msgspec.json.encode(body),
        content_type="application/json",
        headers=headers,
    )


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Map ApiError and aiohttp's own HTTP errors to JSON; never leak a stack trace."""
    try:
        return await handler(request)
    except ApiError as exc:
        return json_error(exc.status, exc.code, exc.message, exc.details, exc.headers)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _REASONS.get(exc.status, "error").lower().replace(" ", "_")
        message = {
            404: "no such endpoint",
            405: f"method {request.method} is not allowed here",
        }.get(exc.status, exc.reason or code)
        headers = {k: v for k, v in exc.headers.items() if k.lower() in {"allow", "retry-after"}}
        return json_error(exc.status, code, message, headers=headers)
    except Exception as exc:
        if is_storage_full(exc):
            log.warning("storage_full", route=request.path)
            return json_error(
                507,
                "storage_full",
                "the server's storage is full; delete old uploads or analyses, or ask the "
                "operator to raise the storage limits",
            )
        if is_transient(exc):
            log.warning("store_unavailable", route=request.path, error=type(exc).__name__)
            return json_error(
                503,
                "service_unavailable",
                "the message store did not answer; try again shortly",
                headers={"Retry-After": "5"},
            )
        log.error("unhandled_error", route=request.path, error=type(exc).__name__)
        return json_error(500, "internal_error", "an unexpected error occurred")
