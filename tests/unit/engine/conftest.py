"""Builders for small hand-made corpora."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from convoscope_common.corpus import Conversation, Corpus, Message

T0 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)  # a Monday


def conversation(
    cid: str, *turns: tuple[str, str], start: datetime = T0, step_s: int = 60, **kw
) -> Conversation:
    """A conversation from (role, text) pairs, one message every ``step_s`` seconds."""
    messages = [
        Message(
            id=f"{cid}-m{i}", role=role, text=text, created_at=start + timedelta(seconds=step_s * i)
        )
        for i, (role, text) in enumerate(turns)
    ]
    return Conversation(id=cid, created_at=start, messages=messages, **kw)


@pytest.fixture
def make_conversation():
    return conversation


@pytest.fixture
def corpus_of():
    def build(*conversations: Conversation) -> Corpus:
        return Corpus(conversations=list(conversations))

    return build
