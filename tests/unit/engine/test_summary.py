from datetime import UTC, datetime

from convoscope_analyzer.engine import EngineOptions, analyze
from convoscope_common.corpus import Attachment, Conversation, Corpus, Message, ToolResult, ToolUse


def _corpus() -> Corpus:
    t = datetime(2024, 5, 1, 12, tzinfo=UTC)
    return Corpus(
        conversations=[
            Conversation(
                id="a",
                model="claude-x",
                abandoned_branches=2,
                abandoned_messages=3,
                messages=[
                    Message(id="a1", role="user", text="one two three", created_at=t),
                    Message(
                        id="a2",
                        role="assistant",
                        text="four five",
                        created_at=t,
                        thinking=["hmm"],
                        tool_uses=[ToolUse(name="search")],
                        tool_results=[ToolResult(name="search", is_error=True)],
                    ),
                    Message(
                        id="a3",
                        role="user",
                        text="six",
                        created_at=t,
                        attachments=[Attachment(file_name="x.txt")],
                    ),
                    Message(
                        id="a4",
                        role="assistant",
                        text="a b c d e f g",
                        model="claude-y",
                        created_at=t,
                    ),
                ],
            ),
            Conversation(
                id="b",
                model="claude-x",
                messages=[
                    Message(id="b1", role="user", text="hi", created_at=t),
                    Message(id="b2", role="assistant", text="hello there", created_at=t),
                ],
            ),
            Conversation(id="empty"),
        ]
    )


def test_summary_counts_exact() -> None:
    s = analyze(_corpus(), EngineOptions()).summary
    assert s.conversations == 3
    assert s.empty_conversations == 1
    assert s.empty_conversation_ids == ["empty"]
    assert s.messages == 6
    assert s.messages_by_role == {"user": 3, "assistant": 3}
    assert s.words == 3 + 2 + 1 + 7 + 1 + 2
    assert s.words_by_role == {"user": 5, "assistant": 11}
    assert s.characters == len("one two three") + len("four five") + 3 + 13 + 2 + 11
    assert s.mean_messages_per_conversation == 2.0  # (4 + 2 + 0) / 3
    assert s.median_messages_per_conversation == 2.0
    assert s.median_words_per_message == 2.0  # 1,1,2,2,3,7
    assert s.median_words_by_role == {"user": 1.0, "assistant": 2.0}
    assert s.models == {"claude-x": 2, "claude-y": 1}
    assert (s.thinking_blocks, s.tool_uses, s.tool_errors, s.attachments) == (1, 1, 1, 1)
    assert (s.abandoned_branches, s.abandoned_messages) == (2, 3)
    assert s.date_range == ["2024-05-01", "2024-05-01"]


def test_message_index_has_every_message() -> None:
    results = analyze(_corpus(), EngineOptions(timezone="Asia/Tokyo"))
    assert [r.message_id for r in results.message_index] == ["a1", "a2", "a3", "a4", "b1", "b2"]
    # 12:00 UTC is 21:00 in Tokyo, a Wednesday.
    assert {(r.date, r.weekday, r.hour) for r in results.message_index} == {("2024-05-01", 2, 21)}
