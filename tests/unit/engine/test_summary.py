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


def test_summary_counts_what_people_do_besides_typing() -> None:
    t = datetime(2024, 5, 1, 12, tzinfo=UTC)
    calendar = ToolUse(name="Calendar:list_events", server="Calendar")
    corpus = Corpus(
        conversations=[
            Conversation(
                id="v",
                messages=[
                    Message(id="v1", role="user", text="draw", created_at=t, voice=True),
                    Message(
                        id="v2",
                        role="assistant",
                        text="here",
                        created_at=t,
                        voice=True,
                        images_generated=2,
                        thinking_blocks=3,  # more blocks than readable texts
                        thinking=["only one readable"],
                        tool_uses=[
                            calendar,
                            calendar,
                            ToolUse(name="web_search"),
                            ToolUse(name="canmore.create_textdoc", creates_document=True),
                        ],
                    ),
                    Message(id="v3", role="user", text="photo", created_at=t, images_uploaded=1),
                ],
            )
        ]
    )
    s = analyze(corpus, EngineOptions()).summary
    assert (s.voice_turns, s.images_generated, s.images_uploaded) == (2, 2, 1)
    assert s.thinking_blocks == 3
    assert s.tool_calls_by_tool == {
        "Calendar:list_events": 2,
        "canmore.create_textdoc": 1,
        "web_search": 1,
    }
    assert s.tool_calls_by_mcp_server == {"Calendar": 2}
    assert s.canvas_documents == 1


def test_tool_names_beyond_the_cap_are_summed_as_other() -> None:
    tools = [ToolUse(name=f"tool{i:03d}") for i in range(60)] + [ToolUse(name="tool000")]
    corpus = Corpus(
        conversations=[
            Conversation(
                id="c", messages=[Message(id="m", role="assistant", text="x", tool_uses=tools)]
            )
        ]
    )
    by_tool = analyze(corpus, EngineOptions()).summary.tool_calls_by_tool
    assert len(by_tool) == 51
    assert by_tool["tool000"] == 2
    assert by_tool["(other)"] == 10
    assert sum(by_tool.values()) == 61
