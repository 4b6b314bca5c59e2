"""The corpus read once into the shape every aggregate needs (local times, days, months,
word counts)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo

from convoscope_common.aggregates.localtime import message_time, month_key, to_local
from convoscope_common.corpus import Conversation, Corpus, Message

# ASCII whitespace (as ``str.split`` knows it, \x1c-\x1f included) as b" ", the rest b"x".
_SPACE_OR_X = bytes(32 if chr(code).isspace() else 120 for code in range(128)) + b"x" * 128


def word_count(text: str) -> int:
    """Whitespace-separated words (what a reader would count): ``len(text.split())``."""
    if text.isascii():
        # Each word starts the text or follows a space: counted in C, without the words.
        marked = text.encode().translate(_SPACE_OR_X)
        return marked.count(b" x") + marked.startswith(b"x")
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
    # The local day ("YYYY-MM-DD") and month (:func:`month_key`) of ``local``; None
    # without a time. One string object per distinct day of a preparation.
    day: str | None = None
    month: str | None = None


@dataclass(slots=True)
class PreparedConversation:
    """A conversation with its prepared messages and the month it belongs to."""

    conversation: Conversation
    messages: list[PreparedMessage] = field(default_factory=list)
    first_local: datetime | None = None
    month: str | None = None  # "YYYY-MM" of its first activity
    language: str | None = None  # dominant language of its user messages (engine)
    # Per message (model, input tokens, output tokens): filled on first use by
    # aggregates.attribution.message_usage (comparison and usage both read it).
    usage: list[tuple[str, int, int]] | None = None

    @property
    def id(self) -> str:
        """The conversation's id."""
        return self.conversation.id


class _DayKeys(dict[date, tuple[str, str]]):
    """(day, month) strings of each local date met, formatted once per date (a preparation
    meets a few hundred days in tens of thousands of messages)."""

    def __missing__(self, day: date) -> tuple[str, str]:
        keys = self[day] = (day.isoformat(), month_key(day))
        return keys


def prepare_corpus(
    corpus: Corpus, zone: tzinfo, tick: Callable[[], None] | None = None
) -> list[PreparedConversation]:
    """Every conversation with local times, days, months and word counts, in corpus order.

    ``tick`` is called once per conversation (progress and checkpoints).
    """
    prepared: list[PreparedConversation] = []
    days = _DayKeys()
    for conversation in corpus.conversations:
        if tick is not None:
            tick()
        item = PreparedConversation(conversation=conversation)
        messages = item.messages
        cid = conversation.id
        created = conversation.created_at
        first: datetime | None = None
        for position, message in enumerate(conversation.messages):
            # message_time and to_local, inline: this runs once per message.
            when = message.created_at or created
            if when is None:
                messages.append(
                    PreparedMessage(cid, message, position, None, word_count(message.text))
                )
                continue
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            local = when.astimezone(zone)
            if first is None or local < first:
                first = local
            day, month = days[local.date()]
            messages.append(
                PreparedMessage(
                    cid, message, position, local, word_count(message.text), None, day, month
                )
            )
        if first is not None:
            item.first_local = first
        elif created is not None:
            when = message_time(Message(id="", role="user"), conversation)
            item.first_local = to_local(when, zone) if when is not None else None
        item.month = month_key(item.first_local) if item.first_local is not None else None
        prepared.append(item)
    return prepared
