"""Split a top-level JSON array into its elements while the bytes arrive.

The parser is msgspec itself: decoding ``msgspec.Raw`` from an element's first byte
skips exactly one JSON value at C speed and then reports "trailing characters (byte
N)" just past the separator that follows, which is where the element ends. Strings holding
brackets, quotes or escapes are therefore handled by a real JSON parser, not by a
hand-written scanner. An element that is still incomplete reports "truncated"; it is
tried again only once the buffered bytes have doubled, so a huge element costs a
bounded number of passes (linear time), and memory holds one element plus a chunk.

Anything this splitter does not expect (a top level that is not an array, malformed
JSON, a missing ``]``) raises :class:`NotStreamable`: the caller then reads the whole
document the classic way, which gives the exact error (with its line and column).
"""

from __future__ import annotations

import re

import msgspec

_NON_WS = re.compile(rb"[^ \t\r\n]")
_TRAILING = re.compile(r"trailing characters \(byte (\d+)\)")
_AT_BYTE = re.compile(r"\(byte (\d+)\)")
# A value cut by the end of the buffer fails within a token's length of that end (a
# number cut after "1." is "invalid number", not "truncated").
_CUT_MARGIN = 64
_raw_decoder = msgspec.json.Decoder(msgspec.Raw)

_OPEN, _FIRST, _ELEMENT, _SEPARATOR, _END = range(5)


class NotStreamable(Exception):
    """The bytes are not a plain, well-formed JSON array (or not yet known to be)."""


class ArraySplitter:
    """Feed bytes with :meth:`feed`; each call returns the elements completed so far.

    ``finish()`` checks that the array was closed and only whitespace followed it.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._state = _OPEN
        # Do not try the pending element again before the buffer is this long.
        self._retry_at = 0
        self.count = 0

    def feed(self, chunk: bytes | bytearray | memoryview) -> list[bytes]:
        """Add ``chunk``; return the complete elements it finished (in order)."""
        self._buffer += chunk
        return self._drain(final=False)

    def finish(self) -> list[bytes]:
        """End of input: the last elements, or :class:`NotStreamable` if the array is open."""
        elements = self._drain(final=True)
        if self._state != _END:
            raise NotStreamable("the array is not closed")
        return elements

    def _drain(self, final: bool) -> list[bytes]:
        buffer = self._buffer
        elements: list[bytes] = []
        pos = 0
        while True:
            match = _NON_WS.search(buffer, pos)
            if match is None:
                pos = len(buffer)
                break
            pos = match.start()
            byte = buffer[pos]
            state = self._state
            if state == _OPEN:
                if byte != 0x5B:  # "["
                    raise NotStreamable("the top level is not an array")
                self._state = _FIRST
                pos += 1
            elif state == _SEPARATOR or (state == _FIRST and byte == 0x5D):
                if byte == 0x2C and state == _SEPARATOR:  # ","
                    self._state = _ELEMENT
                elif byte == 0x5D:  # "]"
                    self._state = _END
                else:
                    raise NotStreamable("expected ',' or ']'")
                pos += 1
            elif state == _END:
                raise NotStreamable("data after the end of the array")
            else:
                end = self._element_end(buffer, pos, final)
                if end is None:
                    break
                elements.append(bytes(buffer[pos:end]))
                self.count += 1
                self._state = _SEPARATOR
                pos = end
        if pos:
            del buffer[:pos]
            self._retry_at = max(0, self._retry_at - pos)
        return elements

    def _element_end(self, buffer: bytearray, pos: int, final: bool) -> int | None:
        """Offset just past the element starting at ``pos`` (plus trailing whitespace),
        or None when more bytes are needed."""
        if not final and len(buffer) < self._retry_at:
            return None
        view = memoryview(buffer)[pos:]
        try:
            try:
                value = _raw_decoder.decode(view)
            except msgspec.DecodeError as exc:
                text = str(exc)
                found = _TRAILING.search(text)
                if found:
                    # msgspec counts the offending byte as read: it sits just before N.
                    end = pos + int(found.group(1)) - 1
                    if not pos < end < len(buffer) or buffer[end] in b" \t\r\n":
                        raise NotStreamable("unexpected decoder report") from None
                    return end
                if not final and _may_be_cut(text, len(view)):
                    # Try again once the incomplete part has doubled.
                    self._retry_at = len(buffer) + max(len(buffer) - pos, 1 << 16)
                    return None
                raise NotStreamable("malformed element") from None
            except (RecursionError, UnicodeDecodeError):
                raise NotStreamable("malformed element") from None
            del value
        finally:
            view.release()
        if final:
            raise NotStreamable("the array is not closed")
        # A complete value with nothing after it yet: wait for its separator.
        self._retry_at = len(buffer) + 1
        return None


def _may_be_cut(text: str, available: int) -> bool:
    """Whether a decode error could be the end of the buffer rather than bad JSON."""
    if "truncated" in text:
        return True
    found = _AT_BYTE.search(text)
    return found is None or int(found.group(1)) >= available - _CUT_MARGIN
