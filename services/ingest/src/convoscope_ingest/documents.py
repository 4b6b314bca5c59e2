"""One JSON document of conversations: guard it, decode its outer shape, tell the vendor.

Vendor detection is by content (EXPORT_FORMATS.md §4): items with ``chat_messages`` are
claude.ai conversations, items with ``mapping`` are ChatGPT ones. The legacy wrapper
``{"conversations": [...]}`` and a single conversation object are accepted too.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from convoscope_common.corpus import Source
from convoscope_ingest.errors import NoConversationsError, UnsupportedFormatError
from convoscope_ingest.jsonguard import check_depth, decode_top_level, strip_bom

# How many leading items may be looked at to find out the vendor.
_SNIFF_ITEMS = 50


class _Sniff(msgspec.Struct):
    chat_messages: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET
    mapping: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET


class _Wrapper(msgspec.Struct):
    conversations: list[msgspec.Raw] | msgspec.UnsetType = msgspec.UNSET


_sniff_decoder = msgspec.json.Decoder(_Sniff)


@dataclass
class ConversationDocument:
    """The undecoded conversations of one document and which vendor wrote them."""

    source: Source
    items: list[msgspec.Raw]
    wrapped: bool = False
    # One conversation object on its own (a web-API capture), not a list.
    single: bool = False


def item_source(item: msgspec.Raw) -> Source | None:
    """``"claude"`` / ``"chatgpt"`` for a conversation object, None for anything else."""
    try:
        sniff = _sniff_decoder.decode(item)
    except (msgspec.DecodeError, UnicodeDecodeError):
        # Not a conversation we can read (wrong shape, or invalid UTF-8 on any msgspec).
        return None
    if sniff.chat_messages is not msgspec.UNSET:
        return "claude"
    if sniff.mapping is not msgspec.UNSET:
        return "chatgpt"
    return None


def read_document(data: bytes | bytearray, max_depth: int) -> ConversationDocument:
    """Check and decode one conversations document (without decoding the conversations).

    Raises InvalidJsonError, InvalidUtf8Error, TooDeeplyNestedError, EmptyFileError,
    NoConversationsError or UnsupportedFormatError.
    """
    data = strip_bom(data)
    check_depth(data, max_depth)
    top = decode_top_level(data)
    wrapped = single = False
    if isinstance(top, dict):
        items = _unwrap(top)
        wrapped = items is not None
        if items is None:
            # a lone conversation object
            encoded = msgspec.Raw(msgspec.json.encode(top))
            single = item_source(encoded) is not None
            items = [encoded] if single else None
        if items is None:
            raise UnsupportedFormatError(
                "the file is JSON, but not a conversation export: expected a list of "
                'conversations or {"conversations": [...]}'
            )
    elif isinstance(top, list):
        items = top
    else:
        raise UnsupportedFormatError(
            "the file is JSON, but not a conversation export: expected a list of conversations"
        )
    if not items:
        raise NoConversationsError()
    for item in items[:_SNIFF_ITEMS]:
        source = item_source(item)
        if source is not None:
            return ConversationDocument(source=source, items=items, wrapped=wrapped, single=single)
    raise UnsupportedFormatError(
        "the file is JSON, but its items are neither claude.ai nor ChatGPT conversations"
    )


def _unwrap(top: dict[str, msgspec.Raw]) -> list[msgspec.Raw] | None:
    raw = top.get("conversations")
    if raw is None:
        return None
    try:
        items = msgspec.json.decode(raw, type=list[msgspec.Raw])
    except msgspec.ValidationError:
        return None
    return items
