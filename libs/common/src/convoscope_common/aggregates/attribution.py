"""Which vendor and model each message belongs to (shared by comparison and usage)."""

from __future__ import annotations

from collections import Counter

from convoscope_common.aggregates.prepared import PreparedConversation
from convoscope_common.aggregates.tokens import message_tokens


def unknown_model(vendor: str) -> str:
    """The model name of replies whose export does not say (claude.ai exports)."""
    return f"{vendor}: model not in export"


def message_models(item: PreparedConversation) -> list[str]:
    """The model of each message of a conversation, in order.

    A reply is its own model (the message's, else the conversation's); a user message
    takes the model of the next reply (the one that answered it), else the last seen.
    """
    conversation = item.conversation
    fallback = conversation.model or unknown_model(conversation.source)
    models: list[str | None] = []
    for pm in item.messages:
        message = pm.message
        models.append((message.model or fallback) if message.role == "assistant" else None)
    following: str | None = None
    for index in range(len(models) - 1, -1, -1):
        if models[index] is None:
            models[index] = following
        else:
            following = models[index]
    last: str | None = None
    resolved: list[str] = []
    for model in models:
        last = model or last
        resolved.append(last or fallback)
    return resolved


def main_model(item: PreparedConversation, models: list[str]) -> str:
    """The model of most of a conversation's replies (the first one on a tie)."""
    replies = [
        m for pm, m in zip(item.messages, models, strict=True) if pm.message.role == "assistant"
    ]
    if not replies:
        return models[0] if models else unknown_model(item.conversation.source)
    counts = Counter(replies)
    top = max(counts.values())
    return next(m for m in replies if counts[m] == top)


def message_usage(item: PreparedConversation) -> list[tuple[str, int, int]]:
    """Per message of a conversation (model, input tokens, output tokens): its
    :func:`message_models` and :func:`~.tokens.message_tokens`, computed on first use and
    kept with the conversation (the comparison and usage tallies both read them)."""
    usage = item.usage
    if usage is None:
        vendor = item.conversation.source
        usage = item.usage = [
            (model, *message_tokens(pm.message, vendor))
            for pm, model in zip(item.messages, message_models(item), strict=True)
        ]
    return usage
