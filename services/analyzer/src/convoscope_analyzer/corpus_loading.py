"""``load_corpus``: decode a stored corpus with a small memory footprint, for analysis.

msgspec gives every message a fresh empty list for each list field it lacks (thinking,
tool uses, citations, ...): about seven lists, some 500 bytes, per message, which on a
large export is a third of the decoded corpus. Here conversations are decoded one at
a time and their empty lists swapped for one shared empty list, so the memory of one
conversation's lists is reused by the next instead of piling up. The result equals
``decode_corpus(data)`` field for field and encodes to the same bytes.

A corpus loaded this way is read-only in one respect: its empty lists are one shared
object, so they must be replaced, never appended to (the redaction and the engine only
ever assign new lists).
"""

from __future__ import annotations

from typing import Any

import msgspec

from convoscope_common import collector
from convoscope_common.corpus import Conversation, Corpus, Message, corpus_shell_type

# One empty list shared by every empty list field of a loaded corpus.
_SHARED_EMPTY: list[Any] = []

# The list fields of Message with an empty default (msgspec reports ``[]`` as a factory).
_MESSAGE_LIST_FIELDS = tuple(
    f.name for f in msgspec.structs.fields(Message) if f.default_factory is list
)


_shell_decoder = msgspec.msgpack.Decoder(corpus_shell_type())
_conversation_decoder = msgspec.msgpack.Decoder(Conversation)


def _share_empty_lists(conversation: Conversation) -> None:
    for message in conversation.messages:
        for name in _MESSAGE_LIST_FIELDS:
            if not getattr(message, name):
                setattr(message, name, _SHARED_EMPTY)


def load_corpus(data: bytes | bytearray) -> Corpus:
    """Decode what :func:`convoscope_common.corpus.encode_corpus` wrote, compactly.

    Raises ``msgspec.DecodeError`` / ``msgspec.ValidationError`` like ``decode_corpus``.
    """
    with collector.paused():  # a bulk decode: millions of objects, no cycles
        shell = _shell_decoder.decode(data)
        raw_conversations = shell.conversations  # type: ignore[attr-defined]
        conversations: list[Conversation] = []
        for i, raw in enumerate(raw_conversations):
            conversation = _conversation_decoder.decode(raw)
            raw_conversations[i] = None  # drop the slice's reference as we go
            _share_empty_lists(conversation)
            conversations.append(conversation)
    values = {name: getattr(shell, name) for name in shell.__struct_fields__}
    values["conversations"] = conversations
    return Corpus(**values)
