"""Turn an API error answer into the CLI error with the right exit code."""

from __future__ import annotations

import msgspec

from convoscope_cli.errors import (
    AnalysisFailedError,
    CliError,
    ExportRejectedError,
    ServerError,
    UsageError,
)
from convoscope_common.api import ErrorBody

# Answers of POST /api/upload that mean "this export was refused".
_REJECTED = {400, 408, 413, 415, 422}


def api_error(status: int, body: bytes, *, stage: str) -> CliError:
    """The error for a non-2xx answer; ``stage`` is ``upload``, ``analysis`` or ``export``."""
    try:
        error = msgspec.json.decode(body, type=ErrorBody)
        code, message = error.error, error.message
    except msgspec.DecodeError:
        code, message = f"http_{status}", body[:200].decode("utf-8", "replace").strip()
    if status in (401, 403, 429, 502, 503, 504):  # 502/504: a proxy without its server
        return ServerError(f"{status} {code}: {message}")
    if stage == "upload" and status in _REJECTED:
        return ExportRejectedError(code, status, message)
    if status == 422:
        return UsageError(f"{status} {code}: {message}")
    return AnalysisFailedError(f"{stage} failed: {status} {code}: {message}")
