"""load_corpus: the same corpus as decode_corpus, with one shared empty list per field."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
import pytest

from convoscope_analyzer.corpus_loading import load_corpus
from convoscope_common.corpus import (
    Attachment,
    Conversation,
    Corpus,
    Message,
    ParseHealth,
    Project,
    ToolUse,
    decode_corpus,
    encode_corpus,
)


def _corpus() -> Corpus:
    when = datetime(2025, 1, 2, 3, 4, tzinfo=UTC)
    return Corpus(
        format="claude_zip",
        conversations=[
            Conversation(
                id="c1",
                title="First",
                created_at=when,
                messages=[
                    Message(id="m1", role="user", created_at=when, text="hello"),
                    Message(
                        id="m2",
                        role="assistant",
                        text="hi",
                        thinking=["hmm"],
                        tool_uses=[ToolUse(id="t", name="search", input_json="{}")],
                        attachments=[Attachment(file_name="a.txt", extracted_text="x")],
                        abandoned_alternatives=2,
                    ),
                ],
                abandoned_branches=1,
            ),
            Conversation(id="c2"),
            Conversation(id="c3", messages=[Message(id="m3", role="user", files=["f.png"])]),
        ],
        health=ParseHealth(items_parsed=3, skipped_reasons={"empty": 1}),
        projects=[Project(id="p1", name="P")],
    )


def test_equals_decode_corpus_and_encodes_to_the_same_bytes() -> None:
    data = encode_corpus(_corpus())
    loaded = load_corpus(data)
    assert loaded == decode_corpus(data)
    assert encode_corpus(loaded) == data


def test_empty_lists_are_one_shared_object_and_full_lists_are_kept() -> None:
    loaded = load_corpus(encode_corpus(_corpus()))
    m1, m2 = loaded.conversations[0].messages
    m3 = loaded.conversations[2].messages[0]
    assert m1.thinking == [] and m1.thinking is m3.thinking is m1.files is m2.citations
    assert m2.thinking == ["hmm"] and m3.files == ["f.png"]
    assert m2.thinking is not m1.thinking


def test_empty_corpus_and_bad_data() -> None:
    assert load_corpus(encode_corpus(Corpus())) == Corpus()
    with pytest.raises(msgspec.DecodeError):
        load_corpus(b"\xc1 not msgpack")
    with pytest.raises(msgspec.ValidationError):
        load_corpus(msgspec.msgpack.encode({"conversations": [{"title": "no id"}]}))
