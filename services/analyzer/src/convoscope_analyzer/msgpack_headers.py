"""msgpack container headers, written as msgspec writes them, for documents encoded a
piece at a time (the results as they are stored, the redacted corpus as a stream)."""

from __future__ import annotations


def map_header(size: int) -> bytes:
    """The header of a map (a struct) of ``size`` fields."""
    if size < 16:
        return bytes([0x80 | size])
    if size < 1 << 16:
        return b"\xde" + size.to_bytes(2, "big")
    return b"\xdf" + size.to_bytes(4, "big")


def array_header(size: int) -> bytes:
    """The header of an array (a list) of ``size`` items."""
    if size < 16:
        return bytes([0x90 | size])
    if size < 1 << 16:
        return b"\xdc" + size.to_bytes(2, "big")
    return b"\xdd" + size.to_bytes(4, "big")
