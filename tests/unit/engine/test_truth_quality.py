"""Truth: the collaboration score from its documented formula.

collaboration = 0.35 x min(1, turns / 4) + 0.35 x (1 - share of answers with a finding)
              + 0.3 x share of collaborative user messages
"""

from convoscope_analyzer.engine import EngineOptions, analyze


def test_collaboration_score_exact(make_conversation, corpus_of) -> None:
    mixed = make_conversation(
        "mixed",
        ("user", "Let's plan a garden together."),  # collaborative
        ("assistant", "Start with tomatoes."),  # a finding (repetition, next turn)
        ("user", "You keep repeating yourself."),
        ("assistant", "Then add basil."),
        ("user", "Noted."),
    )
    ideal = make_conversation(
        "ideal",
        ("user", "Shall we brainstorm names?"),
        ("assistant", "Sure: Fern, Moss."),
        ("user", "Let's add one more."),
        ("assistant", "Ivy."),
        ("user", "Our list is growing."),
        ("assistant", "Indeed."),
        ("user", "What do you think of Ivy?"),
        ("assistant", "A fine name."),
    )
    lonely = make_conversation("lonely", ("user", "Is anyone there"))
    quality = analyze(corpus_of(mixed, ideal, lonely), EngineOptions()).quality
    assert quality is not None
    scores = {q.conversation_id: q.collaboration_score for q in quality.conversations}
    # mixed: 3 turns, 1 of 2 answers failed, 1 of 3 user messages collaborative.
    # ideal: 4 turns, no finding, all 4 collaborative.
    # lonely: 1 turn, no answers (nothing failed), not collaborative.
    assert scores == {
        "mixed": round(0.35 * 3 / 4 + 0.35 * (1 - 1 / 2) + 0.3 * 1 / 3, 4),
        "ideal": 1.0,
        "lonely": round(0.35 * 1 / 4 + 0.35 * 1, 4),
    }
    assert scores["mixed"] == 0.5375 and scores["lonely"] == 0.4375
    assert quality.mean_collaboration_score == round((0.5375 + 1.0 + 0.4375) / 3, 4)
