from convoscope_analyzer.engine import EngineOptions, analyze


def _quality(corpus):
    quality = analyze(corpus, EngineOptions()).quality
    assert quality is not None
    return {q.conversation_id: q for q in quality.conversations}, quality


def test_task_completion_states(make_conversation, corpus_of) -> None:
    by_id, quality = _quality(
        corpus_of(
            make_conversation(
                "done", ("user", "Fix it?"), ("assistant", "Done."), ("user", "Thanks, that works!")
            ),
            make_conversation(
                "blocked",
                ("user", "Fix it"),
                ("assistant", "Try X."),
                ("user", "Still not working, same error."),
            ),
            make_conversation(
                "left", ("user", "Help"), ("assistant", "Sure."), ("user", "And then?")
            ),
            make_conversation(
                "waiting", ("user", "Plan a trip"), ("assistant", "Which city do you prefer?")
            ),
        )
    )
    assert (by_id["done"].task_completion, by_id["done"].completion_confidence) == (
        "completed",
        0.9,
    )
    assert by_id["blocked"].task_completion == "blocked"
    assert by_id["left"].task_completion == "abandoned"
    assert by_id["waiting"].task_completion == "in_progress"
    assert quality.task_completion == {
        "completed": 1,
        "in_progress": 1,
        "abandoned": 1,
        "blocked": 1,
    }


def test_flow_and_effectiveness(make_conversation, corpus_of) -> None:
    long_text = " ".join(["word"] * 600)
    conv = make_conversation(
        "c",
        ("user", "Can you write code?"),
        ("assistant", "```py\nprint(1)\n```\nCould you clarify the Python version?"),
        ("user", "3.12, thanks!"),  # success -> 1.0
        ("user", "Also add tests?"),  # interruption (user after user)
        ("assistant", long_text),  # monologue
        ("user", "That's wrong."),  # complaint -> 0.0
        step_s=30,
    )
    by_id, _ = _quality(corpus_of(conv))
    q = by_id["c"]
    assert q.turns == 4
    assert q.user_questions == 2
    assert q.code_blocks == 1
    assert q.clarification_requests == 1
    assert q.interruptions == 1
    assert q.monologues == 1
    assert q.quick_responses == 2  # both replies to an assistant came 30 s later
    assert q.long_gaps == 0
    assert q.response_effectiveness == 0.5  # mean of 1.0 and 0.0
    assert q.failures == 1


def test_long_gaps_and_empty_conversation_skipped(make_conversation, corpus_of) -> None:
    from convoscope_common.corpus import Conversation

    conv = make_conversation("c", ("user", "a"), ("assistant", "b"), ("user", "c"), step_s=7200)
    by_id, quality = _quality(corpus_of(conv, Conversation(id="empty")))
    assert set(by_id) == {"c"}
    assert by_id["c"].long_gaps == 2
    assert by_id["c"].quick_responses == 0
    assert 0.0 <= quality.mean_collaboration_score <= 1.0
