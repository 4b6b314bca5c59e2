"""Exception types the exporter raises; the worker maps them to ``ErrorInfo`` codes."""

from __future__ import annotations


class ExportError(Exception):
    """Base class of every exporter error; ``code`` is the machine-readable error code."""

    code = "export_failed"


class UnsupportedExportFormatError(ExportError):
    """The requested format is not one the exporter renders."""

    code = "unsupported_export_format"

    def __init__(self, fmt: str, supported: tuple[str, ...]) -> None:
        self.fmt = fmt
        self.supported = supported
        super().__init__(f"unsupported export format {fmt!r}; use one of: {', '.join(supported)}")


class InvalidFilterError(ExportError):
    """The export filter is malformed; the message is meant for the API user."""

    code = "invalid_filter"
