"""The one walk over a conversation's free texts: which fields are redacted, in what order.

Every redaction goes through :func:`text_slots`: the whole corpus's
(``corpus_redaction``: every text, in place or on a copy), a shard's (the same, on its
range) and an incremental analysis's (``incremental_redaction``: only the texts with a
recorded detection, by their position in this walk). Placeholders are numbered in this
order, so all of them number alike.

Order: title, project, then per message its text, thinking, tool inputs, tool results,
attachments (name, extracted text), files, citations (URL, title). Empty texts are not
visited (nothing to redact, no detection recorded).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import msgspec

from convoscope_common.corpus import Conversation

# Where a text lives: (owner, attribute, index in the attribute's list or None, field of
# the list's struct item or None).
Where = tuple[Any, str, int | None, str | None]
# A text: its value, its message's id ("" for the title and project), the report field
# it is tallied under, and where it lives.
Slot = tuple[str, str, str, Where]
# redact(value, conversation id, message id, report field) -> the redacted value.
RedactText = Callable[[str, str, str, str], str]


def text_slots(conversation: Conversation) -> Iterator[Slot]:
    """Every non-empty free text of ``conversation``, in the order the redaction visits
    them, with the message and report field it is tallied under and where it lives."""
    if conversation.title:
        yield conversation.title, "", "title", (conversation, "title", None, None)
    if conversation.project:
        yield conversation.project, "", "title", (conversation, "project", None, None)
    for m in conversation.messages:
        mid = m.id
        if m.text:
            yield m.text, mid, "text", (m, "text", None, None)
        if m.thinking:
            for j, value in enumerate(m.thinking):
                if value:
                    yield value, mid, "thinking", (m, "thinking", j, None)
        if m.tool_uses:
            for j, use in enumerate(m.tool_uses):
                if use.input_json:
                    yield use.input_json, mid, "tool", (m, "tool_uses", j, "input_json")
        if m.tool_results:
            for j, result in enumerate(m.tool_results):
                if result.text:
                    yield result.text, mid, "tool", (m, "tool_results", j, "text")
        if m.attachments:
            for j, attachment in enumerate(m.attachments):
                if attachment.file_name:
                    where = (m, "attachments", j, "file_name")
                    yield attachment.file_name, mid, "attachment", where
                if attachment.extracted_text:
                    where = (m, "attachments", j, "extracted_text")
                    yield attachment.extracted_text, mid, "attachment", where
        if m.files:
            for j, value in enumerate(m.files):
                if value:
                    yield value, mid, "attachment", (m, "files", j, None)
        if m.citations:
            for j, citation in enumerate(m.citations):
                if citation.url:
                    yield citation.url, mid, "text", (m, "citations", j, "url")
                if citation.title:
                    yield citation.title, mid, "text", (m, "citations", j, "title")


class SlotsOutOfStepError(RuntimeError):
    """Positions to visit that the conversation's walk does not reach: what recorded
    them was made for other texts."""


def slots_at(conversation: Conversation, positions: Iterable[int]) -> Iterator[Slot]:
    """The slots of ``conversation`` at ``positions`` (ascending places in the walk of
    :func:`text_slots`), in order; the walk stops after the last one. Raises
    :class:`SlotsOutOfStepError` when it ends before every position was reached."""
    pending = iter(positions)
    wanted = next(pending, None)
    if wanted is None:
        return
    for k, slot in enumerate(text_slots(conversation)):
        if k != wanted:
            continue
        yield slot
        wanted = next(pending, None)
        if wanted is None:
            return
    raise SlotsOutOfStepError("the texts to visit are out of step with the conversation")


def put(where: Where, value: str) -> None:
    """Store a redacted text; list items are replaced by copies (a list or a struct in
    it is never changed in place: a loaded corpus shares its empty lists, and a copy
    made by :func:`copy_for_redaction` shares the original's)."""
    owner, attribute, index, field = where
    if index is None:
        setattr(owner, attribute, value)
        return
    items = list(getattr(owner, attribute))
    items[index] = (
        value if field is None else msgspec.structs.replace(items[index], **{field: value})
    )
    setattr(owner, attribute, items)


def redact_conversation(conversation: Conversation, redact: RedactText) -> None:
    """Redact every free text of ``conversation`` in place, in walk order."""
    cid = conversation.id
    for value, mid, field, where in text_slots(conversation):
        redacted = redact(value, cid, mid, field)
        if redacted is not value and redacted != value:
            put(where, redacted)


def copy_for_redaction(conversation: Conversation) -> Conversation:
    """A copy of ``conversation`` that :func:`redact_conversation` can change without
    changing the original: the conversation and its messages are new structs; their
    lists are shared (:func:`put` replaces a list, never changes one)."""
    copy = msgspec.structs.replace
    return copy(conversation, messages=[copy(m) for m in conversation.messages])
