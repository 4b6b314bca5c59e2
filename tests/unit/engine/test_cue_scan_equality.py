"""The single automaton pass (engine/cue_scan.py) gives exactly what the old cue-by-cue
search gave (reference_cues.py, frozen): every section and complaint rule on every
text, and the findings, quality rows, complaint signals and frustration cues of
~11,000 generated messages in every cue language (cue examples and counter-examples,
the labelled complaint turns, the multilingual set, the benchmark's sentences) mixed,
re-cased, with typographic apostrophes and cues pushed across the 200/400-character
windows the detectors read."""

from __future__ import annotations

import importlib.util
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest

from convoscope_analyzer.engine.complaints import Turn, caps_share, frustration_cue, turn_signals
from convoscope_analyzer.engine.cue_scan import CueGroup, cue_group
from convoscope_analyzer.engine.cues import cue_languages, cues_for
from convoscope_analyzer.engine.failures import detect_conversation_failures, is_refusal
from convoscope_analyzer.engine.prepared import prepare_corpus, resolve_timezone
from convoscope_analyzer.engine.quality import assess_conversation
from convoscope_common.corpus import Conversation, Corpus, Message, ToolResult
from convoscope_common.results import MessageSentiment
from tests.export_texts import cue_fragments

HERE = Path(__file__).resolve().parent
BENCH = HERE.parents[2] / "bench"


def _reference() -> ModuleType:
    path = HERE / "reference_cues.py"
    spec = importlib.util.spec_from_file_location("reference_cues", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["reference_cues"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


ref = _reference()
# Message languages: every cue file's, none detected, and one without a cue file.
LANGUAGES: list[str | None] = [*cue_languages(), None, "nl"]


def _fragments() -> list[str]:
    """Sentences in every cue language (:func:`cue_fragments`) and the bench export's."""
    found = cue_fragments()
    sys.path.insert(0, str(BENCH))
    try:
        from generate_export import SUBJECTS
        from synthetic_corpus import CODE, FILLER, FOLLOW_UPS, LOG
    finally:
        sys.path.remove(str(BENCH))
    for sentences in SUBJECTS.values():
        found.extend(sentences)
    found.extend([*FOLLOW_UPS, *FILLER, CODE, LOG, "fuck this, you useless shit", "damn"])
    return found


FRAGMENTS = _fragments()
REFUSAL = "I'm sorry, but I can't help with that request. "
PUSHBACK = "Why not? Come on, "


def _text(rng: random.Random) -> str:
    parts = [rng.choice(FRAGMENTS) for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 5)))]
    text = rng.choice((" ", "\n", ". ", "")).join(parts)
    roll = rng.random()
    if roll < 0.08:
        text = text.upper()
    elif roll < 0.12:
        text = text.title()
    elif roll < 0.16:
        text = text.lower()
    if rng.random() < 0.15:
        text = text.replace("'", "\u2019")
    if rng.random() < 0.12:  # a cue near or across the window the detectors read
        text = "x" * rng.choice((150, 190, 195, 320, 380, 390, 398)) + " " + text
    if rng.random() < 0.04:
        text = "\u0130GNORE \u212aELVIN " + text  # characters whose case folding differs
    return text


def _conversations(rng: random.Random, count: int) -> list[Conversation]:
    start = datetime(2024, 5, 1, tzinfo=UTC)
    result = []
    for c in range(count):
        cid = f"c{c}"
        role = "user" if rng.random() < 0.9 else "assistant"
        messages = []
        refused = False
        asked = ""
        when = start + timedelta(hours=c)
        for m in range(rng.randint(1, 16)):
            text = _text(rng)
            # A refusal, and often the user pushing back on it.
            if role == "assistant" and rng.random() < 0.06:
                text, refused = REFUSAL + text, True
            elif role == "user" and refused and rng.random() < 0.7:
                text, refused = PUSHBACK + text, False
            elif role == "user" and asked and rng.random() < 0.06:
                text = asked + rng.choice(("", "?", " please", " again"))  # asked again
            if role == "user":
                asked = text
            message = Message(id=f"{cid}-{m}", role=role, text=text, created_at=when)
            if role == "assistant" and rng.random() < 0.05:
                message.tool_results = [
                    ToolResult(tool_use_id="t", name="search", is_error=True, text="x")
                ]
            if rng.random() < 0.04:
                message.abandoned_alternatives = rng.randint(1, 3)
            messages.append(message)
            when += timedelta(seconds=rng.choice((5, 30, 120, 4000)))
            if rng.random() < 0.9:  # mostly alternating, sometimes twice the same role
                role = "assistant" if role == "user" else "user"
        result.append(Conversation(id=cid, created_at=start, messages=messages))
    return result


@pytest.fixture(scope="module")
def prepared():
    rng = random.Random(20261201)
    corpus = Corpus(conversations=_conversations(rng, 1300))
    items = prepare_corpus(corpus, resolve_timezone("UTC"))
    for item in items:
        # Mostly one language per conversation, as people write; some switch.
        main = rng.choice(LANGUAGES)
        for pm in item.messages:
            pm.language = main if rng.random() < 0.8 else rng.choice(LANGUAGES)
    return items


def test_the_corpus_is_large_and_multilingual(prepared) -> None:
    messages = [pm for item in prepared for pm in item.messages]
    assert len(messages) >= 10_000
    assert {pm.language for pm in messages} >= set(LANGUAGES)


def _all_sections_group(language: str | None) -> CueGroup:
    book = cues_for(language)
    return cue_group(book, tuple(sorted(book.sections)), complaints=True)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_section_and_rule_answers_as_searched_list_by_list(prepared, language) -> None:
    book, old = cues_for(language), ref.reference_book(language)
    group = _all_sections_group(language)
    # Every cue sentence, and a sample of the mixed messages (re-cased, moved across the
    # windows): a third of the former [::7] kept the same power at a third of the time.
    texts = [pm.message.text for item in prepared for pm in item.messages][::21]
    texts += FRAGMENTS
    hits = 0
    for text in texts:
        for window in (text, text[:400], text[:200]):
            scan = group.scan(window)
            for name in book.sections:
                got = scan.section(name)
                assert got == old.section(name).search(window), (name, window)
                hits += got is not None
            expected = [
                (rule.type, m.group(0), m.span())
                for rule in old.complaints
                if (m := rule.cues.search(window, window.lower()))
            ]
            assert [(r.type, m.group(0), m.span()) for r, m in scan.complaints()] == expected
    assert hits > 100  # the texts do hold cues


def test_findings_are_identical(prepared) -> None:
    new = [detect_conversation_failures(item) for item in prepared]
    old = [ref.detect_conversation_failures(item) for item in prepared]
    assert new == old
    kinds = {s.kind for found in new for f in found for s in f.signals}
    # Every kind of evidence occurs, so every path was compared.
    assert kinds >= {
        "phrase",
        "aimed_negativity",
        "error_after_code",
        "still_after_fix",
        "reask",
        "redo",
        "caps",
        "profanity",
        "apology_next",
        "refusal_phrase",
        "pushback",
        "tool_error",
        "regeneration",
    }


def test_quality_rows_are_identical(prepared) -> None:
    rng = random.Random(7)
    sentiments = {
        pm.message.id: MessageSentiment(
            conversation_id=item.id,
            message_id=pm.message.id,
            compound=rng.uniform(-1, 1),
            label="neutral",
            collaborative=rng.random() < 0.3,
        )
        for item in prepared
        for pm in item.messages
        if rng.random() < 0.8
    }
    for item in prepared:
        findings = detect_conversation_failures(item)
        assert assess_conversation(item, findings, sentiments) == ref.assess_conversation(
            item, findings, sentiments
        )


def test_signals_frustration_and_refusals_are_identical(prepared) -> None:
    # Every third conversation (~3,700 messages, each under its own language, English and
    # none): the slowest test of the unit suite on the whole corpus (4 minutes loaded).
    for item in prepared[::3]:
        messages = [pm.message for pm in item.messages]
        for i, message in enumerate(messages):
            for language in (item.messages[i].language, "en", None):
                book, old = cues_for(language), ref.reference_book(language)
                assert frustration_cue(book, message.text) == ref.frustration_cue(old, message.text)
                assert is_refusal(book, message.text) == ref.is_refusal(old, message.text)
                if i + 1 < len(messages):
                    turn = Turn(
                        message_id=messages[i + 1].id,
                        text=messages[i + 1].text,
                        answer_id=message.id,
                        answer=message.text,
                        question=messages[i - 1].text if i else None,
                        next_id=messages[i + 2].id if i + 2 < len(messages) else None,
                        next_text=messages[i + 2].text if i + 2 < len(messages) else None,
                    )
                    assert turn_signals(book, turn) == ref.turn_signals(old, turn)


def test_capitals_are_counted_as_before() -> None:
    rng = random.Random(5)
    alphabet = "abcXYZ 12!`\u00c4\u00e9\u00df\u0130\n"
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        text = text.upper() if rng.random() < 0.5 else text
        text = text.encode("ascii", "ignore").decode() if rng.random() < 0.5 else text
        assert caps_share(text) == ref.caps_share(text), text


def test_both_ways_of_finding_strings_are_among_those_compared() -> None:
    """Small groups test their few strings one by one, larger ones run the automaton:
    the languages above hold both (for folded and for unbounded, case-kept cues)."""
    kinds = set()
    for language in LANGUAGES:
        for spec in (("refusal",), ("thanks",), ("aimed_negativity", "still", "redo")):
            group = cue_group(cues_for(language), spec)
            kinds.update(
                (side, isinstance(strings, tuple))
                for side, strings in (("folded", group._folded), ("raw", group._raw))
                if strings is not None
            )
    assert kinds == {("folded", True), ("folded", False), ("raw", True), ("raw", False)}


def test_the_scans_sentiment_leaves_for_the_failures_change_nothing(prepared) -> None:
    # The shard path: score_messages scans each user message's head once, the failures
    # read those scans again (engine/partial.py); the same rows and findings as without.
    from convoscope_analyzer.engine.failures import analyze_failures
    from convoscope_analyzer.engine.progress import ProgressTracker
    from convoscope_analyzer.engine.sentiment import score_messages

    def tracker() -> ProgressTracker:
        return ProgressTracker({}, None, None)

    scans: dict = {}
    shared = score_messages(prepared, tracker(), None, scans)
    assert len(scans) > 500  # the English ones (the rest in other languages)
    assert shared == score_messages(prepared, tracker())
    read = len(scans)
    found = analyze_failures(prepared, tracker(), scans)
    assert len(scans) < read  # the turns' scans were read (and taken out)
    assert found == analyze_failures(prepared, tracker())
    old = [f for item in prepared for f in ref.detect_conversation_failures(item)]
    assert found.findings == old
