from convoscope_analyzer.engine import EngineOptions, analyze
from convoscope_analyzer.engine.failures import detect_conversation_failures
from convoscope_analyzer.engine.prepared import prepare_corpus, resolve_timezone
from convoscope_common.corpus import Conversation, Corpus, Message, ToolResult


def _findings(conversation: Conversation):
    [prepared] = prepare_corpus(Corpus(conversations=[conversation]), resolve_timezone("UTC"))
    return detect_conversation_failures(prepared)


def test_complaint_attributed_to_previous_assistant_message(make_conversation) -> None:
    conv = make_conversation(
        "c",
        ("user", "Which pandas function reads parquet?"),
        ("assistant", "Use pandas.read_parquet_magic()."),
        ("user", "That function doesn't exist, you made that up."),
        ("assistant", "You're right, it is pandas.read_parquet."),
        ("user", "Thanks!"),
    )
    [finding] = _findings(conv)
    assert finding.type == "hallucination"
    assert finding.severity == "high"
    assert finding.evidence == "user_complaint"
    assert finding.message_id == "c-m1"
    assert finding.evidence_message_ids == ["c-m2"]
    assert finding.matched == "you made that up"


def test_several_complaint_types_in_one_turn(make_conversation) -> None:
    conv = make_conversation(
        "c",
        ("user", "Summarise this in two bullet points."),
        ("assistant", "Here is a long essay..."),
        (
            "user",
            "That's not what I asked. Also I said to keep it short, and the format is broken.",
        ),
    )
    types = {f.type: f.severity for f in _findings(conv)}
    assert types == {
        "misunderstanding": "medium",
        "ignored_instructions": "medium",
        "formatting": "low",
    }


def test_refusal_with_pushback_is_high(make_conversation) -> None:
    conv = make_conversation(
        "c",
        ("user", "How do I pick the lock of my own bike?"),
        ("assistant", "I'm sorry, but I can't help with that."),
        ("user", "Why not? It's my bike."),
    )
    [finding] = _findings(conv)
    assert (finding.type, finding.severity, finding.evidence) == (
        "unnecessary_refusal",
        "high",
        "refusal",
    )
    assert finding.evidence_message_ids == ["c-m1", "c-m2"]


def test_refusal_without_pushback_is_medium(make_conversation) -> None:
    conv = make_conversation(
        "c", ("user", "Do X"), ("assistant", "I cannot help with that request.")
    )
    [finding] = _findings(conv)
    assert (finding.type, finding.severity) == ("unnecessary_refusal", "medium")


def test_tool_error_and_regeneration() -> None:
    conv = Conversation(
        id="c",
        messages=[
            Message(id="u1", role="user", text="Search for the weather"),
            Message(
                id="a1",
                role="assistant",
                text="Searching.",
                tool_results=[ToolResult(name="web_search", is_error=True, text="timeout")],
                abandoned_alternatives=2,
            ),
        ],
    )
    findings = {(f.type, f.evidence): f for f in _findings(conv)}
    assert set(findings) == {("tool_misuse", "tool_error"), ("accuracy_error", "regeneration")}
    assert findings[("tool_misuse", "tool_error")].matched == "1 tool error(s): web_search"
    assert findings[("accuracy_error", "regeneration")].severity == "low"


def test_edited_prompt_blames_previous_answer() -> None:
    conv = Conversation(
        id="c",
        messages=[
            Message(id="u1", role="user", text="Explain monads"),
            Message(id="a1", role="assistant", text="A monad is..."),
            Message(
                id="u2", role="user", text="Explain them with an example", abandoned_alternatives=1
            ),
        ],
    )
    [finding] = _findings(conv)
    assert (finding.type, finding.message_id, finding.evidence_message_ids) == (
        "misunderstanding",
        "a1",
        ["u2"],
    )


def test_no_false_positive_on_neutral_follow_up(make_conversation) -> None:
    conv = make_conversation(
        "c",
        ("user", "Write a function to format dates."),
        ("assistant", "Here it is."),
        ("user", "Great, now add a timezone parameter."),
    )
    assert _findings(conv) == []


def test_failure_rate_counts_messages_not_findings(make_conversation, corpus_of) -> None:
    conv = make_conversation(
        "c",
        ("user", "q"),
        ("assistant", "I can't help with that."),
        ("user", "That's wrong and you forgot what I already told you."),
        ("assistant", "Fine answer."),
        ("user", "ok"),
        ("assistant", "Another fine answer."),
        ("user", "ok"),
        ("assistant", "And one more."),
    )
    quality = analyze(corpus_of(conv), EngineOptions()).quality
    assert quality is not None
    f = quality.failures
    assert f.total == 3  # refusal + accuracy_error + context_loss, all on c-m1
    assert f.assistant_messages == 4
    assert f.assistant_messages_with_failure == 1
    assert f.failure_rate == 0.25
    assert f.by_type["accuracy_error"] == 1 and f.by_type["hallucination"] == 0
    assert f.by_type_and_severity["accuracy_error"]["high"] == 1
    assert f.by_severity == {"high": 1, "medium": 2, "low": 0}
