"""Truth: failure types whose answers are worked out by hand from docs/results.md.

Each complaint sits in the user's next turn and must land on the assistant
message right before it, with the documented type, severity and phrase.
"""

from convoscope_analyzer.engine import EngineOptions, analyze
from convoscope_analyzer.engine.failures import detect_conversation_failures
from convoscope_analyzer.engine.prepared import prepare_corpus, resolve_timezone
from convoscope_common.corpus import Conversation, Corpus, Message, ToolResult


def _conversation(make_conversation):
    return make_conversation(
        "c",
        ("user", "Write a sorting function."),
        ("assistant", "Here is a sort."),  # c-m1
        ("user", "You keep repeating yourself."),  # repetition -> c-m1
        ("assistant", "I ran the tests and they all pass."),  # c-m3
        ("user", "You didn't actually run them."),  # performance theater -> c-m3
        ("assistant", "def sort(xs):"),  # c-m5
        ("user", "Your answer is incomplete, please send the whole function."),  # -> c-m5
        ("assistant", "Done."),  # c-m7: no finding
    )


def test_repetition_theater_and_incomplete_attributed_to_the_answer_before(
    make_conversation, corpus_of
) -> None:
    quality = analyze(corpus_of(_conversation(make_conversation)), EngineOptions()).quality
    assert quality is not None
    findings = {
        f.message_id: (f.type, f.severity, f.evidence, f.evidence_message_ids, f.matched)
        for f in quality.failures.findings
    }
    assert findings == {
        "c-m1": ("repetition", "low", "user_complaint", ["c-m2"], "you keep repeating"),
        "c-m3": (
            "performance_theater",
            "medium",
            "user_complaint",
            ["c-m4"],
            "you didn't actually",
        ),
        "c-m5": ("incomplete_response", "medium", "user_complaint", ["c-m6"], "is incomplete"),
    }


def test_counts_and_rate_for_the_three_types(make_conversation, corpus_of) -> None:
    quality = analyze(corpus_of(_conversation(make_conversation)), EngineOptions()).quality
    assert quality is not None
    f = quality.failures
    # 4 answers, 3 of them with one finding each.
    assert (f.total, f.assistant_messages, f.assistant_messages_with_failure) == (3, 4, 3)
    assert f.failure_rate == 0.75
    assert {t: n for t, n in f.by_type.items() if n} == {
        "repetition": 1,
        "performance_theater": 1,
        "incomplete_response": 1,
    }
    assert f.by_severity == {"high": 0, "medium": 2, "low": 1}
    assert f.by_type_and_severity["repetition"] == {"high": 0, "medium": 0, "low": 1}
    assert f.by_type_and_severity["performance_theater"] == {"high": 0, "medium": 1, "low": 0}
    assert f.by_type_and_severity["incomplete_response"] == {"high": 0, "medium": 1, "low": 0}


def test_complaint_after_the_400_character_window_is_not_a_finding(make_conversation) -> None:
    # Only the start of the next turn counts: a pasted log that says "truncated" near its
    # end is not a complaint about the answer.
    paste = "x" * 400  # the documented window
    conv = make_conversation(
        "c",
        ("user", "Parse my log."),
        ("assistant", "Send it."),  # c-m1: the phrase starts at character 401
        ("user", f"{paste} truncated"),
        ("assistant", "Parsed."),  # c-m3: the phrase ends at character 390
        ("user", f"{paste[:-20]} truncated"),
    )
    [prepared] = prepare_corpus(Corpus(conversations=[conv]), resolve_timezone("UTC"))
    findings = detect_conversation_failures(prepared)
    assert [(f.message_id, f.type) for f in findings] == [("c-m3", "incomplete_response")]


def test_complaint_about_a_failed_tool_call_keeps_the_user_evidence() -> None:
    # A tool error and the user's "wrong tool" are both medium tool_misuse on a1. One
    # finding per (message, type) is kept, and it must still show the complaint: the user's
    # turn is the evidence, and the answer it complains about scores 0 for effectiveness.
    conv = Conversation(
        id="c",
        messages=[
            Message(id="u1", role="user", text="What is the weather in Oslo"),
            Message(
                id="a1",
                role="assistant",
                text="Let me run the calculator.",
                tool_results=[ToolResult(name="calc", is_error=True)],
            ),
            Message(id="u2", role="user", text="Wrong tool, look at a forecast."),
            Message(id="a2", role="assistant", text="Rain."),
        ],
    )
    quality = analyze(Corpus(conversations=[conv]), EngineOptions()).quality
    assert quality is not None
    [finding] = quality.failures.findings
    assert (finding.message_id, finding.type, finding.severity) == ("a1", "tool_misuse", "medium")
    assert (finding.evidence, finding.evidence_message_ids, finding.matched) == (
        "user_complaint",
        ["u2"],
        "wrong tool",
    )
    [assessed] = quality.conversations
    assert assessed.response_effectiveness == 0.0
