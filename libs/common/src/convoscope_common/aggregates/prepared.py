"""The corpus read once into the shape every aggregate needs (local times, word counts)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from convoscope_common.aggregates.localtime import message_time, month_key, to_local
from convoscope_common.corpus import Conversation, Corpus, Message


def word_count(text: str) -> int:
    """Whitespace-separated words (what a reader would count)."""
    return len(text.split())


@dataclass(slots=True)
class PreparedMessage:
    """A message with what every analysis asks of it, computed once."""

    conversation_id: str
    message: Message
    position: int  # index in the conversation's visible branch
    local: datetime | None  # wall-clock time in the requested timezone
    words: int
    # ISO 639-1 code set by the engine's language detection; None: not detected.
    language: str | None = None


@dataclass(slots=True)
class PreparedConversation:
    """A conversation with its prepared messages and the month it belongs to."""

    conversation: Conversation
    messages: list[PreparedMessage] = field(default_factory=list)
    first_local: datetime | None = None
    month: str | None = None  # "YYYY-MM" of its first activity
    language: str | None = None  # dominant language of its user messages (engine)

    @property
    def id(self) -> str:
        """The conversation's id."""
        return self.conversation.id


def prepare_corpus(
    corpus: Corpus, zone: tzinfo, tick: Callable[[], None] | None = None
) -> list[PreparedConversation]:
    """Every conversation with local times and word counts, in corpus order.

    ``tick`` is called once per conversation (progress and checkpoints).
    """
    prepared: list[PreparedConversation] = []
    for conversation in corpus.conversations:
        if tick is not None:
            tick()
        item = PreparedConversation(conversation=conversation)
        for position, message in enumerate(conversation.messages):
            when = message_time(message, conversation)
            local = to_local(when, zone) if when is not None else None
            item.messages.append(
                PreparedMessage(
                    conversation_id=conversation.id,
                    message=message,
                    position=position,
                    local=local,
                    words=word_count(message.text),
                )
            )
        times = [m.local for m in item.messages if m.local is not None]
        if times:
            item.first_local = min(times)
        elif conversation.created_at is not None:
            created = message_time(Message(id="", role="user"), conversation)
            item.first_local = to_local(created, zone) if created is not None else None
        item.month = month_key(item.first_local) if item.first_local is not None else None
        prepared.append(item)
    return prepared
