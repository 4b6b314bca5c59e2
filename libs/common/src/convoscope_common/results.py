"""Analysis results: what the analyzer engine produces and everything else reads.

The engine (services/analyzer) fills these; the gateway serves them as JSON,
the exporter renders them. Every aggregate keeps the ids behind it (drill-down),
and no struct here ever holds a detected PII value.

Versioning: ``RESULTS_SCHEMA_VERSION`` changes when a field changes meaning or
type; ``ENGINE_VERSION`` changes whenever the engine may compute different
numbers for the same input, and is part of every cache key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

import msgspec

from convoscope_common import collector
from convoscope_common.comparison_types import Comparison, Usage
from convoscope_common.result_languages import Languages

RESULTS_SCHEMA_VERSION = 1
# 1.2.0: complaints read from the conversation (signals); summary counts voice, images,
# tools by name and MCP server, canvas documents. 1.3.0: secrets in URLs redacted, learned
# topics named by distinctive terms with an example title, sentiment counts charted apart
# from the mean. 1.4.0: language per message; sentiment and cues only in the languages
# they read (others not scored / language-independent signals only); topics per language.
# 1.5.0: comparison by vendor and model, usage estimate (tokens, optional cost).
# 1.6.0: names and street addresses in Cyrillic, Chinese, Japanese, Korean and Arabic
# script redacted.
# 1.7.0: learned topics fitted on a bounded sample and read one conversation at a time;
# conversations without readable text take the sample's language (shardable analysis).
# 1.7.1: the topic model's NMF stops once a round no longer lowers its error (it ran 300
# iterations): learned topics (their terms, shares and members) may differ slightly.
ENGINE_VERSION = "1.7.1"

SentimentLabel = Literal["Very Positive", "Positive", "Neutral", "Negative", "Very Negative"]
SENTIMENT_LABELS: tuple[SentimentLabel, ...] = get_args(SentimentLabel)

FailureType = Literal[
    "hallucination",
    "unnecessary_refusal",
    "formatting",
    "repetition",
    "misunderstanding",
    "performance_theater",
    "tool_misuse",
    "context_loss",
    "accuracy_error",
    "incomplete_response",
    "ignored_instructions",
]
FAILURE_TYPES: tuple[FailureType, ...] = get_args(FailureType)
Severity = Literal["high", "medium", "low"]
SEVERITIES: tuple[Severity, ...] = get_args(Severity)  # ordered, most severe first
TaskCompletion = Literal["completed", "in_progress", "abandoned", "blocked"]
FailureEvidence = Literal["user_complaint", "refusal", "tool_error", "regeneration"]
# What made a finding: one kind per cue that fired (docs/results.md, "Assistant failures").
SignalKind = Literal[
    "phrase",
    "aimed_negativity",
    "profanity",
    "caps",
    "error_after_code",
    "still_after_fix",
    "reask",
    "redo",
    "apology_next",
    "refusal_phrase",
    "pushback",
    "tool_error",
    "regeneration",
]


class _Result(msgspec.Struct, kw_only=True, omit_defaults=False):
    """Base for result structs: keyword-only, all fields always serialised."""


# --- summary -----------------------------------------------------------------


class Summary(_Result):
    """Counts over the whole corpus."""

    conversations: int = 0
    empty_conversations: int = 0
    messages: int = 0
    messages_by_role: dict[str, int] = {}
    words: int = 0
    characters: int = 0
    words_by_role: dict[str, int] = {}
    mean_messages_per_conversation: float = 0.0
    median_messages_per_conversation: float = 0.0
    mean_words_per_message: float = 0.0
    median_words_per_message: float = 0.0
    mean_words_by_role: dict[str, float] = {}
    median_words_by_role: dict[str, float] = {}
    models: dict[str, int] = {}
    thinking_blocks: int = 0
    tool_uses: int = 0
    tool_errors: int = 0
    attachments: int = 0
    files: int = 0
    citations: int = 0
    # What people now do besides typing (counted at ingest, see docs/results.md).
    voice_turns: int = 0
    images_generated: int = 0
    images_uploaded: int = 0
    # Tool calls per tool name and per MCP server (connector); the 50 largest, the
    # rest summed under "(other)".
    tool_calls_by_tool: dict[str, int] = {}
    tool_calls_by_mcp_server: dict[str, int] = {}
    # Documents created next to the chat: ChatGPT canvases, claude.ai artifacts and files.
    canvas_documents: int = 0
    abandoned_branches: int = 0
    abandoned_messages: int = 0
    hidden_messages: int = 0
    date_range: list[str] = []
    empty_conversation_ids: list[str] = []


class MessageRecord(_Result):
    """One message as the aggregates saw it: the drill-down index (no text)."""

    conversation_id: str
    message_id: str
    role: str
    date: str | None = None  # "YYYY-MM-DD" in the requested timezone
    weekday: int | None = None  # Monday = 0
    hour: int | None = None
    words: int = 0
    characters: int = 0
    # ISO 639-1 code (user messages: detected, or the conversation's when too short).
    language: str | None = None


# --- topics ------------------------------------------------------------------


class Topic(_Result):
    """A topic, either from the taxonomy or learned from the data."""

    id: str
    label: str
    kind: Literal["taxonomy", "learned"]
    language: str | None = None  # learned topics: the language they were fitted on
    top_terms: list[str] = []
    conversations: int = 0
    share: float = 0.0
    # Conversations per month, "YYYY-MM" -> count.
    monthly: dict[str, int] = {}
    conversation_ids: list[str] = []
    # Learned topics: the title of the conversation that leans most on the topic (redacted
    # when privacy is on), to show what the topic is about.
    example_title: str = ""


class TopicScore(_Result):
    topic_id: str
    score: float


class ConversationTopics(_Result):
    conversation_id: str
    topics: list[TopicScore] = []


class Topics(_Result):
    """Topic distribution and per-conversation assignments."""

    taxonomy: list[Topic] = []
    learned: list[Topic] = []
    assignments: list[ConversationTopics] = []


# --- sentiment ---------------------------------------------------------------


class MessageSentiment(_Result):
    conversation_id: str
    message_id: str
    compound: float
    label: SentimentLabel
    language: str | None = None
    urgent: bool = False
    questioning: bool = False
    collaborative: bool = False


class ConversationSentiment(_Result):
    conversation_id: str
    start: float
    end: float
    delta: float
    label: SentimentLabel


class SentimentPeriod(_Result):
    period: str  # "YYYY-MM"
    mean_compound: float
    messages: int
    labels: dict[str, int] = {}


class Sentiment(_Result):
    """VADER-based sentiment over user messages in the languages the model reads.

    Messages in other languages are not scored (never read with the English lexicon):
    ``not_scored`` counts them, per language in ``not_scored_by_language``;
    ``coverage`` is scored / (scored + not scored).
    """

    model: str = "vader"
    messages: int = 0
    languages: list[str] = []  # languages the model scores
    not_scored: int = 0
    not_scored_by_language: dict[str, int] = {}
    coverage: float = 1.0
    mean_compound: float = 0.0
    labels: dict[str, int] = {}
    flags: dict[str, int] = {}
    monthly: list[SentimentPeriod] = []
    by_message: list[MessageSentiment] = []
    by_conversation: list[ConversationSentiment] = []


# --- quality and failures ----------------------------------------------------


class FailureSignal(_Result):
    """One cue behind a finding: its kind, the words or measure that fired, where."""

    kind: SignalKind
    cue: str = ""  # the matched words (redacted text) or a measure ("92% capitals")
    language: str = ""  # the cue file's language; "*" for language-independent cues
    message_id: str = ""  # the message the cue was read in
    weight: float = 0.0  # its share of the decision (a complaint needs 1.0 in total)


class Failure(_Result):
    """One detected assistant failure, with the evidence that shows it."""

    id: str
    type: FailureType
    severity: Severity
    evidence: FailureEvidence
    conversation_id: str
    message_id: str  # the assistant message the failure is attributed to
    evidence_message_ids: list[str] = []
    matched: str = ""  # the phrase or signal that matched (never raw PII: redacted text)
    # Every cue behind the finding, so a reader can see why and disagree.
    signals: list[FailureSignal] = []


class FailureSummary(_Result):
    total: int = 0
    assistant_messages: int = 0
    assistant_messages_with_failure: int = 0
    failure_rate: float = 0.0
    by_type: dict[str, int] = {}
    by_severity: dict[str, int] = {}
    # type -> severity -> count
    by_type_and_severity: dict[str, dict[str, int]] = {}
    findings: list[Failure] = []


class ConversationQuality(_Result):
    conversation_id: str
    task_completion: TaskCompletion
    completion_confidence: float
    collaboration_score: float
    turns: int = 0
    user_questions: int = 0
    code_blocks: int = 0
    clarification_requests: int = 0
    interruptions: int = 0
    monologues: int = 0
    quick_responses: int = 0
    long_gaps: int = 0
    response_effectiveness: float | None = None
    failures: int = 0


class Quality(_Result):
    conversations: list[ConversationQuality] = []
    task_completion: dict[str, int] = {}
    mean_collaboration_score: float = 0.0
    mean_response_effectiveness: float | None = None
    failures: FailureSummary = msgspec.field(default_factory=FailureSummary)


# --- temporal ----------------------------------------------------------------


class CalendarDay(_Result):
    date: str  # "YYYY-MM-DD"
    messages: int
    conversations: int


class SessionStats(_Result):
    count: int = 0
    gap_minutes: int = 30
    mean_minutes: float = 0.0
    median_minutes: float = 0.0
    longest_minutes: float = 0.0


class Streaks(_Result):
    longest_days: int = 0
    longest_start: str | None = None
    longest_end: str | None = None
    current_days: int = 0
    current_start: str | None = None


class LengthTrend(_Result):
    period: str  # "YYYY-MM"
    role: str
    mean_words: float
    messages: int


class ChangePoint(_Result):
    date: str
    metric: str
    before: float
    after: float
    direction: Literal["up", "down"]


class Temporal(_Result):
    timezone: str = "UTC"
    date_range: list[str] = []
    daily: dict[str, int] = {}
    weekly: dict[str, int] = {}
    monthly: dict[str, int] = {}
    # heatmap[weekday][hour], Monday = 0; always 7 x 24 even where a weekday has no data.
    heatmap: list[list[int]] = []
    calendar: list[CalendarDay] = []
    peak_hours: list[int] = []
    busiest_weekdays: list[str] = []
    sessions: SessionStats = msgspec.field(default_factory=SessionStats)
    streaks: Streaks = msgspec.field(default_factory=Streaks)
    topic_evolution: dict[str, dict[str, int]] = {}
    sentiment_evolution: dict[str, float] = {}
    length_trends: list[LengthTrend] = []
    change_points: list[ChangePoint] = []
    engagement_score: float = 0.0


# --- privacy -----------------------------------------------------------------


class PrivacyFinding(_Result):
    """Where a PII value was found; the value itself is never stored."""

    conversation_id: str
    message_id: str
    entity_type: str
    # "project": a project name (conversation_id and message_id are then empty).
    field: Literal["text", "attachment", "thinking", "tool", "title", "project"] = "text"
    # How many values of this type were found in this field of this message.
    count: int = 1


class PrivacyReport(_Result):
    enabled: bool = True
    total: int = 0
    counts: dict[str, int] = {}
    messages_affected: int = 0
    conversations_affected: int = 0
    operators: dict[str, str] = {}
    # Person names come from a heuristic and are reported apart from validated types.
    best_effort_types: list[str] = []
    findings: list[PrivacyFinding] = []


# --- charts ------------------------------------------------------------------


class ChartSeries(_Result):
    name: str
    values: list[float] = []


class Chart(_Result):
    """Chart-ready data (``enable_visualizations``); renderers draw from it."""

    id: str
    title: str
    kind: Literal["bar", "line", "heatmap", "calendar", "histogram", "stacked_bar", "pie"]
    x: list[str] = []
    y: list[str] = []
    series: list[ChartSeries] = []
    # What the values count, drawn as the value axis title; one quantity per chart.
    value_label: str = ""


# --- the whole result ----------------------------------------------------------


class AnalysisOptionsUsed(_Result):
    enable_privacy: bool = True
    enable_quality: bool = True
    enable_temporal: bool = True
    enable_visualizations: bool = True
    timezone: str = "UTC"


class AnalysisResults(_Result):
    """Everything one analysis job produced."""

    schema_version: int = RESULTS_SCHEMA_VERSION
    engine_version: str = ENGINE_VERSION
    generated_at: datetime | None = None
    options: AnalysisOptionsUsed = msgspec.field(default_factory=AnalysisOptionsUsed)
    summary: Summary = msgspec.field(default_factory=Summary)
    languages: Languages | None = None
    topics: Topics | None = None
    sentiment: Sentiment | None = None
    quality: Quality | None = None
    temporal: Temporal | None = None
    privacy: PrivacyReport | None = None
    charts: list[Chart] = []
    # Vendors and models compared, and the estimated usage (tokens, optional cost).
    comparison: Comparison | None = None
    usage: Usage | None = None
    # Per-message index behind every count (drill-down by date, weekday, hour, role).
    message_index: list[MessageRecord] = []


_results_encoder = msgspec.msgpack.Encoder()
_results_decoder = msgspec.msgpack.Decoder(AnalysisResults)


def encode_results(results: AnalysisResults) -> bytes:
    """Serialise results for the results object store (msgpack)."""
    return _results_encoder.encode(results)


def decode_results(data: bytes | bytearray) -> AnalysisResults:
    """Read results written by :func:`encode_results`."""
    with collector.paused():
        return _results_decoder.decode(data)
