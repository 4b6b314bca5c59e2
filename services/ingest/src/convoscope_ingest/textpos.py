"""Turn a byte offset into the line and column a person would look for."""

from __future__ import annotations


def line_column(data: bytes | bytearray, offset: int) -> tuple[int, int]:
    """1-based (line, column) of ``offset`` in ``data``; columns count bytes.

    Offsets past the end point just after the last byte (where truncated input ends).
    """
    offset = max(0, min(offset, len(data)))
    line = data.count(b"\n", 0, offset) + 1
    line_start = data.rfind(b"\n", 0, offset) + 1
    return line, offset - line_start + 1


def describe_position(data: bytes | bytearray, offset: int) -> str:
    """``"line L, column C"`` for messages."""
    line, column = line_column(data, offset)
    return f"line {line}, column {column}"
