"""Typed ingest errors: each one maps to an HTTP status and a sentence a person understands.

The gateway turns these into ``ErrorInfo`` (and then into a JSON error body). Messages
never quote file content: at most positions (byte, line, column) and member names.
"""

from __future__ import annotations

from convoscope_common.wire import ErrorInfo


class IngestError(Exception):
    """Base of every error ``parse_export`` raises on purpose."""

    code: str = "ingest_error"
    status: int = 400
    default_message: str = "the file could not be read"

    def __init__(self, message: str | None = None, *, details: str | None = None) -> None:
        self.message = message or self.default_message
        self.details = details
        super().__init__(self.message)

    def to_error_info(self) -> ErrorInfo:
        """The error as data, ready to travel in a ``ParseFailed`` reply."""
        return ErrorInfo(
            code=self.code, status=self.status, message=self.message, details=self.details
        )


# --- 400: the content is bad ----------------------------------------------------------


class EmptyFileError(IngestError):
    code = "empty_file"
    default_message = "the file is empty"


class InvalidJsonError(IngestError):
    code = "invalid_json"
    default_message = "the file is not valid JSON"


class InvalidUtf8Error(IngestError):
    code = "invalid_utf8"
    default_message = "the file is not valid UTF-8 text"


class TooDeeplyNestedError(IngestError):
    code = "json_too_deep"
    default_message = "the JSON is nested too deeply"


class CorruptZipError(IngestError):
    code = "corrupt_zip"
    default_message = "the ZIP file is damaged and cannot be read"


class EncryptedZipError(IngestError):
    code = "encrypted_zip"
    default_message = "the ZIP file is password-protected; upload the export as downloaded"


class UnsafeZipMemberError(IngestError):
    code = "unsafe_zip_member"
    default_message = "the ZIP contains a file with an unsafe path"


class ConversationsNotFoundError(IngestError):
    code = "conversations_not_found"
    default_message = "conversations.json not found in the ZIP"


class NoConversationsError(IngestError):
    code = "no_conversations"
    default_message = "the export contains no conversations"


class MixedExportsError(IngestError):
    code = "mixed_exports"
    default_message = (
        "the ZIP mixes claude.ai and ChatGPT conversations; upload each export separately"
    )


# --- 413: too big ---------------------------------------------------------------------


class TooLargeError(IngestError):
    code = "file_too_large"
    status = 413
    default_message = "the file is larger than the upload limit"


class ZipBombError(IngestError):
    code = "zip_bomb"
    status = 413
    default_message = "the ZIP expands to more data than allowed"


class TooManyZipMembersError(IngestError):
    code = "too_many_zip_members"
    status = 413
    default_message = "the ZIP contains more files than allowed"


# --- 415: not a type we read ------------------------------------------------------------


class UnsupportedFormatError(IngestError):
    code = "unsupported_format"
    status = 415
    default_message = "the file is not a claude.ai or ChatGPT conversation export (JSON or ZIP)"


class BinaryFileError(IngestError):
    code = "binary_file"
    status = 415
    default_message = "the file is a binary file, not a JSON or ZIP export"


# --- the service could not finish a request (not the file's fault) ------------------------


class IngestInternalError(IngestError):
    code = "internal_error"
    status = 500
    default_message = "the file could not be processed because of an internal error"


class StoreUnavailableError(IngestError):
    code = "store_unavailable"
    status = 503
    default_message = "the file could not be stored right now; try again shortly"


class IngestTimeoutError(IngestError):
    code = "ingest_timeout"
    status = 503
    default_message = "the file took too long to process; try again, or upload a smaller export"
