"""Typed CLI errors; each carries the process exit code the issue defines.

0 done; 2 usage error; 3 the export was rejected (same code and message as the API);
4 server unreachable or unauthorised; 5 analysis failed.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_REJECTED = 3
EXIT_SERVER = 4
EXIT_FAILED = 5


class CliError(Exception):
    """Base: a message for one stderr line and an exit code."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)

    def line(self) -> str:
        """The one line printed on stderr."""
        return f"convoscope: {self.message}"

    def as_json(self) -> dict[str, object]:
        """The error for ``--json`` output."""
        return {"status": "error", "exit_code": self.exit_code, "message": self.message}


class UsageError(CliError):
    """Bad arguments (unknown format, timezone, filter, a missing file, ...)."""

    exit_code = EXIT_USAGE


class ExportRejectedError(CliError):
    """The export was refused, with the API's error code, HTTP status and message."""

    exit_code = EXIT_REJECTED

    def __init__(self, code: str, status: int, message: str) -> None:
        self.code = code
        self.status = status
        super().__init__(message)

    def line(self) -> str:
        return f"convoscope: rejected: {self.status} {self.code}: {self.message}"

    def as_json(self) -> dict[str, object]:
        return {
            "status": "rejected",
            "exit_code": self.exit_code,
            "error": {"code": self.code, "status": self.status, "message": self.message},
        }


class ServerError(CliError):
    """The server cannot be reached, refused the key, or is not ready (503)."""

    exit_code = EXIT_SERVER


class AnalysisFailedError(CliError):
    """The analysis or the rendering of the reports failed."""

    exit_code = EXIT_FAILED
