import pytest

from convoscope_analyzer.engine import EngineOptions, ProgressUpdate, analyze
from convoscope_analyzer.engine.pipeline import STEP_WEIGHTS
from convoscope_analyzer.engine.progress import CHECKPOINT_EVERY, ProgressTracker


class Cancelled(Exception):
    pass


def _corpus(make_conversation, corpus_of, n: int = 30):
    return corpus_of(
        *(
            make_conversation(
                f"c{i}", *[("user", "How do I cook rice?"), ("assistant", "Boil it.")] * 10
            )
            for i in range(n)
        )
    )


def test_progress_is_monotonic_and_covers_every_step(make_conversation, corpus_of) -> None:
    updates: list[ProgressUpdate] = []
    analyze(_corpus(make_conversation, corpus_of), EngineOptions(), progress=updates.append)
    fractions = [u.fraction for u in updates]
    assert fractions == sorted(fractions)
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert set(STEP_WEIGHTS) <= {u.step for u in updates}
    insights = [i for u in updates for i in u.new_insights]
    assert any(i.startswith("Found ") and i.endswith(" different topics") for i in insights)
    assert any(i.startswith("Detected ") for i in insights)


def test_disabled_steps_are_not_reported(make_conversation, corpus_of) -> None:
    updates: list[ProgressUpdate] = []
    results = analyze(
        _corpus(make_conversation, corpus_of, 2),
        EngineOptions(enable_quality=False, enable_temporal=False, enable_visualizations=False),
        progress=updates.append,
    )
    steps = {u.step for u in updates}
    assert "Detecting assistant failures" not in steps and "Building charts" not in steps
    assert results.quality is None and results.temporal is None and results.charts == []
    assert results.topics is not None and results.sentiment is not None


def test_checkpoint_exception_propagates(make_conversation, corpus_of) -> None:
    calls = 0

    def checkpoint() -> None:
        nonlocal calls
        calls += 1
        if calls == 4:
            raise Cancelled

    with pytest.raises(Cancelled):
        analyze(_corpus(make_conversation, corpus_of), EngineOptions(), checkpoint=checkpoint)
    assert calls == 4


def test_checkpoint_called_inside_long_steps(make_conversation, corpus_of) -> None:
    calls = 0

    def checkpoint() -> None:
        nonlocal calls
        calls += 1

    corpus = _corpus(make_conversation, corpus_of, 60)  # 1,200 messages
    analyze(corpus, EngineOptions(), checkpoint=checkpoint)
    between_steps = len(STEP_WEIGHTS) + 1
    assert calls >= between_steps + 1200 // CHECKPOINT_EVERY


def test_tracker_throttles_by_clock() -> None:
    now = [0.0]
    updates: list[ProgressUpdate] = []
    tracker = ProgressTracker({"a": 1.0}, updates.append, None, clock=lambda: now[0])
    tracker.start_step("a", 100)
    for _ in range(10):
        tracker.tick()  # no time passes: no report
    assert len(updates) == 1
    now[0] = 1.0
    tracker.tick()
    assert len(updates) == 2
    assert updates[-1].fraction == 0.11
    assert updates[-1].message == "Processed 11 of 100 messages"
