"""A filtered export's aggregates are the engine's own, computed by the same code.

The exporter recomputes aggregates after filtering. Each recomputed section must be
*exactly* (not approximately) what the analyzer computes: for a filter that selects
everything, the engine's results on the whole corpus; for a filter that selects a
subset, the engine's results on that sub-corpus. A difference in rounding, a count
the exporter forgets, a different month for a conversation: each fails here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from convoscope_analyzer.engine.options import EngineOptions
from convoscope_analyzer.engine.pipeline import analyze
from convoscope_analyzer.pipeline import run_pipeline
from convoscope_analyzer.privacy import PrivacyConfig
from convoscope_common.corpus import Conversation, Corpus, Message, ToolResult, ToolUse
from convoscope_common.options import AnalysisOptions
from convoscope_common.results import AnalysisResults, Temporal
from convoscope_exporter.filtering import ExportFilter, apply_filter, parse_filter

START = datetime(2025, 3, 8, 22, 30, tzinfo=UTC)  # DST starts overnight in St. John's
TIMEZONES = ["UTC", "America/St_Johns"]

# Everything the exporter recomputes for any filter (per-item lists included).
SECTIONS = ("summary", "topics", "sentiment", "quality", "temporal", "privacy", "message_index")
# The temporal section but its topic evolution, which counts learned topics too (the
# engine learns other topics from another corpus); its taxonomy part is compared apart.
TEMPORAL = tuple(
    f"temporal.{name}" for name in Temporal.__struct_fields__ if name != "topic_evolution"
)


def _extras(cid: str, i: int) -> dict[str, object]:
    """Voice, images, tools (MCP and canvas), thinking, files: every summary count is hit."""
    if i == 0:
        return {"voice": cid != "c3", "images_uploaded": 1, "files": ["photo.png"]}
    if i == 1:
        return {
            "thinking": ["plan the answer"],
            "thinking_blocks": 2 if cid == "c1" else 0,
            "images_generated": 2,
            "tool_uses": [
                ToolUse(name="search", server="github-mcp"),
                ToolUse(name="canmore.create_textdoc", creates_document=True),
                ToolUse(name=f"tool-{cid}", server="linear"),
            ],
            "tool_results": [ToolResult(name="search", is_error=cid == "c2")],
        }
    return {}


def _conversation(cid: str, offset_hours: int, texts: list[str], model: str) -> Conversation:
    created = START + timedelta(hours=offset_hours)
    messages = [
        Message(
            id=f"{cid}-m{i}",
            role="user" if i % 2 == 0 else "assistant",
            # The last message has no timestamp: it counts at the conversation's start.
            created_at=None if i == len(texts) - 1 else created + timedelta(minutes=7 * i),
            text=text,
            model=None if i % 2 == 0 else model,
            **_extras(cid, i),  # type: ignore[arg-type]
        )
        for i, text in enumerate(texts)
    ]
    return Conversation(
        id=cid,
        title=f"About {cid}",
        created_at=created,
        model=model,
        messages=messages,
        abandoned_branches=1,
        abandoned_messages=2,
        hidden_messages=1,
    )


def _corpus() -> Corpus:
    return Corpus(
        conversations=[
            _conversation(
                "c1",
                0,
                [
                    "How do I fix this python error in my pandas code? Mail ann@example.com",
                    "Use df.loc to select rows.",
                    "That is wrong, it still fails. You misunderstood me.",
                    "Sorry, here is the corrected python code.",
                ],
                "model-a",
            ),
            _conversation(
                "c2",
                5,
                ["Plan a cheap trip to Lisbon in May", "Here is a three-day plan.", "Great!"],
                "model-a",
            ),
            _conversation(
                "c3",
                30,
                [
                    "Give me a bread recipe and send it to bob@example.org",
                    "Mix flour, water, salt and yeast.",
                    "Thanks, that worked perfectly",
                ],
                "model-b",
            ),
            _conversation("c4", 77, ["What is a Roth IRA?", "A retirement account."], "model-b"),
            _conversation(
                "c5",
                24 * 40,
                ["Let's brainstorm names for a python library", "How about pandora?", "urgent!!"],
                "model-a",
            ),
            # An empty conversation: the analyzer leaves it out of topic shares.
            Conversation(id="c6", created_at=START + timedelta(days=3), model="model-a"),
        ]
    )


def _copy(corpus: Corpus) -> Corpus:
    return msgspec.json.decode(msgspec.json.encode(corpus), type=Corpus)


def _run(corpus: Corpus, timezone: str) -> tuple[AnalysisResults, Corpus]:
    """The analyzer's whole run (redaction included): results and the corpus exports read."""
    options = msgspec.convert({"timezone": timezone}, AnalysisOptions)
    out = run_pipeline(_copy(corpus), options, PrivacyConfig())
    return out.results, out.redacted_corpus


def _section(results: AnalysisResults, path: str) -> object:
    value: object = results
    for part in path.split("."):
        value = getattr(value, part)
    return msgspec.to_builtins(value)


def _assert_equal(actual: AnalysisResults, expected: AnalysisResults, paths: tuple[str, ...]):
    for path in paths:
        assert _section(actual, path) == _section(expected, path), path


def test_an_empty_filter_returns_the_engine_results_unchanged():
    results, corpus = _run(_corpus(), "UTC")
    filtered, kept = apply_filter(results, corpus, ExportFilter())
    assert filtered is results and kept is corpus


EVERYTHING = [
    {"models": ["model-a", "model-b"]},
    {"conversation_ids": ["c1", "c2", "c3", "c4", "c5", "c6"]},
    {"date_from": "2025-01-01", "date_to": "2025-12-31"},
]


@pytest.mark.parametrize("timezone", TIMEZONES)
@pytest.mark.parametrize("raw", EVERYTHING, ids=["models", "ids", "dates"])
def test_a_filter_that_selects_everything_gives_the_engine_results(timezone, raw):
    results, corpus = _run(_corpus(), timezone)
    filtered, kept = apply_filter(results, corpus, parse_filter(raw))
    assert kept.conversations == corpus.conversations
    _assert_equal(filtered, results, SECTIONS)
    assert filtered.summary.tool_calls_by_mcp_server == {"github-mcp": 5, "linear": 5}


# Sections a conversation-level filter recomputes exactly (per conversation, the engine's
# findings, qualities, taxonomy topics and sentiment do not depend on other conversations).
CONVERSATION_LEVEL = (
    "summary",
    "sentiment",
    "quality",
    *TEMPORAL,
    "topics.taxonomy",
    "message_index",
)


@pytest.mark.parametrize("timezone", TIMEZONES)
@pytest.mark.parametrize(
    ("raw", "expected_ids"),
    [
        ({"conversation_ids": ["c1", "c3", "c6"]}, ["c1", "c3", "c6"]),
        ({"models": ["model-b"]}, ["c3", "c4"]),
    ],
)
def test_a_conversation_filter_gives_the_engine_results_on_the_sub_corpus(
    timezone, raw, expected_ids
):
    corpus = _corpus()
    options = EngineOptions(timezone=timezone)
    results = analyze(corpus, options)
    filtered, kept = apply_filter(results, corpus, parse_filter(raw))
    assert [c.id for c in kept.conversations] == expected_ids
    sub = msgspec.structs.replace(
        corpus, conversations=[c for c in corpus.conversations if c.id in expected_ids]
    )
    expected = analyze(sub, options)
    _assert_equal(filtered, expected, CONVERSATION_LEVEL)
    assert _taxonomy_evolution(filtered) == _taxonomy_evolution(expected)


def _taxonomy_evolution(results: AnalysisResults) -> dict[str, dict[str, int]]:
    assert results.temporal is not None and results.topics is not None
    taxonomy = {t.id for t in results.topics.taxonomy}
    return {
        month: {tid: n for tid, n in counts.items() if tid in taxonomy}
        for month, counts in results.temporal.topic_evolution.items()
    }


# What a message-level filter recomputes exactly: counts of the kept messages and each
# kept user message's own score (findings, qualities and topics read whole conversations).
MESSAGE_LEVEL = (
    "summary",
    "message_index",
    *TEMPORAL,
    "sentiment.messages",
    "sentiment.mean_compound",
    "sentiment.labels",
    "sentiment.flags",
    "sentiment.monthly",
    "sentiment.by_message",
    "sentiment.by_conversation",
    "quality.failures.assistant_messages",
)


@pytest.mark.parametrize("timezone", TIMEZONES)
@pytest.mark.parametrize(
    "raw",
    [
        {"roles": ["user"]},
        {"roles": ["assistant"]},
        {"date_from": "2025-03-09", "date_to": "2025-03-10"},
        {"date_to": "2025-03-08"},
    ],
)
def test_a_message_filter_gives_the_engine_results_on_the_sub_corpus(timezone, raw):
    corpus = _corpus()
    options = EngineOptions(timezone=timezone)
    results = analyze(corpus, options)
    filtered, kept = apply_filter(results, corpus, parse_filter(raw))
    kept_messages = sum(len(c.messages) for c in kept.conversations)
    assert 0 < kept_messages < sum(len(c.messages) for c in corpus.conversations)
    _assert_equal(filtered, analyze(_copy(kept), options), MESSAGE_LEVEL)


@pytest.mark.parametrize(
    "raw", [{"conversation_ids": ["c3", "c4"]}, {"roles": ["user"]}, {"date_to": "2025-03-09"}]
)
def test_the_privacy_report_of_a_filtered_export_is_the_engines_on_the_sub_corpus(raw):
    original = _corpus()
    results, redacted = _run(original, "UTC")
    filtered, kept = apply_filter(results, redacted, parse_filter(raw))
    # The same messages of the original corpus, redacted on their own by the analyzer.
    wanted = {(c.id, m.id) for c in kept.conversations for m in c.messages}
    sub = msgspec.structs.replace(
        original,
        conversations=[
            msgspec.structs.replace(c, messages=[m for m in c.messages if (c.id, m.id) in wanted])
            for c in original.conversations
            if c.id in {k.id for k in kept.conversations}
        ],
    )
    expected, _ = _run(sub, "UTC")
    assert filtered.privacy is not None and filtered.privacy.total > 0
    _assert_equal(filtered, expected, ("privacy",))


def test_summary_models_count_assistant_messages_after_filtering():
    corpus = _corpus()
    results = analyze(corpus, EngineOptions())
    filtered, _ = apply_filter(results, corpus, parse_filter({"models": ["model-a"]}))
    # c1 has two model-a answers, c2 and c5 one each: four assistant messages, not three
    # conversations (c6, empty, has none).
    assert filtered.summary.models == {"model-a": 4}
