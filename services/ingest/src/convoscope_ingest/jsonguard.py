"""Checks that run on raw bytes before any JSON decoder sees them.

Binary sniffing, byte-order marks, a depth limit enforced by a cheap scan (msgspec's
decoder is recursive, so a hostile file must be refused before decoding), and the
translation of decoder failures into typed errors with line and column.
"""

from __future__ import annotations

import codecs
import re

import msgspec

from convoscope_ingest.errors import (
    BinaryFileError,
    EmptyFileError,
    InvalidJsonError,
    InvalidUtf8Error,
    TooDeeplyNestedError,
)
from convoscope_ingest.textpos import describe_position

UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

# Magic numbers of files people upload by mistake (images, PDFs, archives we do not read).
_BINARY_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ", "an xz archive"),
    (b"\x7fELF", "an executable"),
    (b"MZ", "an executable"),
    (b"SQLite format 3", "an SQLite database"),
)

# The depth scan keeps only brackets and quotes; openers become "(" and closers ")" so
# one ``replace(b"()", b"")`` pass removes exactly one nesting level everywhere.
_SCAN_TABLE = bytes.maketrans(b"[{]}", b"(())")
_NOT_SCANNED = bytes(b for b in range(256) if b not in b'[]{}"')
_STRING = re.compile(rb'"[^"]*"')
_SCAN_CHUNK = 8 << 20


def strip_bom(data: bytes | bytearray) -> bytes | bytearray:
    """Drop a UTF-8 byte-order mark; refuse UTF-16 text with a clear message."""
    if data.startswith(UTF8_BOM):
        return data[len(UTF8_BOM) :]
    if data.startswith(_UTF16_BOMS):
        raise InvalidUtf8Error(
            "the file is UTF-16 text; exports are UTF-8, so upload the file as downloaded"
        )
    return data


def first_significant_byte(data: bytes | bytearray) -> int | None:
    """Offset of the first non-whitespace byte, or None when there is none."""
    match = re.search(rb"[^ \t\r\n]", data)
    return match.start() if match else None


def refuse_binary(data: bytes | bytearray) -> None:
    """Raise :class:`BinaryFileError` for known binary types or NUL bytes near the start."""
    for magic, what in _BINARY_MAGIC:
        if data.startswith(magic):
            raise BinaryFileError(f"the file is {what}, not a JSON or ZIP export")
    if b"\x00" in data[:8192]:
        raise BinaryFileError()


def _structure(data: bytes | bytearray) -> bytes:
    """Only the structural brackets of ``data`` (as "(" and ")"), strings removed.

    Works in chunks with C-speed byte operations, so memory stays flat: escaped
    backslashes and escaped quotes go first (a chunk never ends inside a run of
    backslashes), then everything but brackets and quotes. Adjacent quotes enclose no
    bracket (an empty string, or the bracket-free gap between two strings), so they go
    too; the few strings left are removed with a regex.
    """
    reduced: list[bytes | bytearray] = []
    start = 0
    while start < len(data):
        end = min(start + _SCAN_CHUNK, len(data))
        while end < len(data) and data[end - 1] == 0x5C:  # 0x5C is a backslash
            end += 1
        chunk = data[start:end].replace(b"\\\\", b"").replace(b'\\"', b"")
        reduced.append(chunk.translate(_SCAN_TABLE, _NOT_SCANNED).replace(b'""', b""))
        start = end
    joined = b"".join(reduced).replace(b'""', b"")
    return _STRING.sub(b"", joined).replace(b'"', b"")


def json_depth_exceeds(data: bytes | bytearray, max_depth: int) -> bool:
    """True when the nesting of arrays and objects in ``data`` is deeper than ``max_depth``.

    Each pass removes the innermost bracket pairs; a well-formed document empties in
    exactly "depth" passes. For malformed input the estimate errs on the deep side,
    which is the safe side.
    """
    brackets = _structure(data)
    passes = 0
    while brackets:
        if passes >= max_depth:
            return True
        shorter = brackets.replace(b"()", b"")
        if len(shorter) == len(brackets):
            # Unbalanced: what is left is ")))(((" ; its openers still nest.
            return passes + shorter.count(b"(") > max_depth
        brackets = shorter
        passes += 1
    return False


def check_depth(data: bytes | bytearray, max_depth: int) -> None:
    """Raise :class:`TooDeeplyNestedError` when ``data`` nests deeper than ``max_depth``."""
    if json_depth_exceeds(data, max_depth):
        raise TooDeeplyNestedError(
            f"the JSON is nested more than {max_depth} levels deep, which no export does"
        )


def first_invalid_utf8(data: bytes | bytearray, chunk_size: int = 1 << 20) -> int | None:
    """Byte offset of the first invalid UTF-8 sequence, or None; reads in chunks."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    for start in range(0, len(data), chunk_size):
        chunk = data[start : start + chunk_size]
        try:
            decoder.decode(chunk, final=start + chunk_size >= len(data))
        except UnicodeDecodeError as exc:
            # Bytes held back from the previous chunk belong before this chunk.
            pending = len(decoder.getstate()[0]) if exc.start < 0 else 0
            return max(0, start + exc.start - pending)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return len(data) - len(decoder.getstate()[0])
    return None


_BYTE_POSITION = re.compile(r"\(byte (\d+)\)")


def is_invalid_utf8(exc: BaseException) -> bool:
    """True when ``exc`` reports invalid UTF-8 inside a JSON string.

    msgspec up to 0.22 raises ``UnicodeDecodeError`` for such bytes in a typed ``str``;
    0.23 raises ``msgspec.DecodeError("Invalid UTF-8 encoded string")``. Both mean the
    same to the person who uploaded the file.
    """
    if isinstance(exc, UnicodeDecodeError):
        return True
    return (
        isinstance(exc, msgspec.DecodeError)
        and not isinstance(exc, msgspec.ValidationError)
        and "utf-8" in str(exc).lower()
    )


def decode_error(exc: Exception, data: bytes | bytearray) -> Exception:
    """Translate a msgspec or codec failure on ``data`` into a typed ingest error."""
    if is_invalid_utf8(exc):
        offset = first_invalid_utf8(data)
        where = "" if offset is None else f" at {describe_position(data, offset)}"
        return InvalidUtf8Error(f"the file is not valid UTF-8 text: invalid bytes{where}")
    if isinstance(exc, RecursionError):
        return TooDeeplyNestedError()
    text = str(exc)
    if "truncated" in text:
        return InvalidJsonError(
            f"the file is not valid JSON: unexpected end of data at "
            f"{describe_position(data, len(data))}"
        )
    match = _BYTE_POSITION.search(text)
    reason = text.removeprefix("JSON is malformed: ")
    reason = _BYTE_POSITION.sub("", reason).strip()
    if match:
        where = describe_position(data, int(match.group(1)))
        return InvalidJsonError(f"the file is not valid JSON: {reason} at {where}")
    return InvalidJsonError(f"the file is not valid JSON: {reason}")


def decode_top_level(data: bytes | bytearray) -> object:
    """Decode ``data`` into ``list[msgspec.Raw]`` or ``dict[str, msgspec.Raw]``.

    Only the outer container is materialised: every element stays a zero-copy slice of
    ``data``, so each conversation can be decoded (and freed) one at a time.
    """
    start = first_significant_byte(data)
    if start is None:
        raise EmptyFileError("the file is empty (only whitespace)")
    opener = data[start : start + 1]
    target: type = list[msgspec.Raw] if opener == b"[" else dict[str, msgspec.Raw]
    try:
        return msgspec.json.decode(data, type=target)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as exc:
        if isinstance(exc, msgspec.ValidationError):
            return _decode_scalar(data)
        raise decode_error(exc, data) from None


def _decode_scalar(data: bytes | bytearray) -> object:
    """A top level that is neither an array nor an object: valid JSON, but not an export."""
    try:
        return msgspec.json.decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise decode_error(exc, data) from None
