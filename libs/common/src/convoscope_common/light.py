"""The light results document: what ``GET /api/analysis/{job_id}`` returns.

A dashboard needs the summary-level numbers first; the per-conversation and
per-message data (topic assignments, sentiment per message and conversation,
quality per conversation, failure and privacy findings, the message index)
grows with the export and lives behind paginated endpoints instead
(``pages`` names them). The whole :class:`AnalysisResults` stays downloadable
as the ``json`` export. Pure functions only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from convoscope_common.comparison_types import Comparison, Usage
from convoscope_common.result_languages import LanguageCoverage
from convoscope_common.results import (
    RESULTS_SCHEMA_VERSION,
    AnalysisOptionsUsed,
    AnalysisResults,
    Chart,
    SentimentPeriod,
    Summary,
    Temporal,
    Topic,
)


class _Light(msgspec.Struct, kw_only=True, omit_defaults=False):
    """Base: keyword-only, every field always serialised."""


class LightTopic(_Light, kw_only=True):
    """A topic without the ids of its conversations (page them with ``topic=<id>``)."""

    id: str
    label: str
    kind: Literal["taxonomy", "learned"]
    top_terms: list[str] = []
    conversations: int = 0
    share: float = 0.0
    monthly: dict[str, int] = {}


class LightTopics(_Light, kw_only=True):
    taxonomy: list[LightTopic] = []
    learned: list[LightTopic] = []


class LightSentiment(_Light, kw_only=True):
    """Sentiment aggregates; per message and per conversation values are paged."""

    model: str = "vader"
    messages: int = 0
    mean_compound: float = 0.0
    labels: dict[str, int] = {}
    flags: dict[str, int] = {}
    monthly: list[SentimentPeriod] = []
    # Conversations by the label of their sentiment (start to end).
    conversation_labels: dict[str, int] = {}
    # Coverage (issue 19): languages the model reads; user messages in others, not scored.
    languages: list[str] = []
    not_scored: int = 0
    not_scored_by_language: dict[str, int] = {}
    coverage: float = 1.0


class LightLanguages(_Light, kw_only=True):
    """User messages and conversations per language, and what each analysis read."""

    detector: str = ""
    supported: list[str] = []
    messages: dict[str, int] = {}
    conversations: dict[str, int] = {}
    coverage: list[LanguageCoverage] = []


class LightFailures(_Light, kw_only=True):
    total: int = 0
    assistant_messages: int = 0
    assistant_messages_with_failure: int = 0
    failure_rate: float = 0.0
    by_type: dict[str, int] = {}
    by_severity: dict[str, int] = {}
    by_type_and_severity: dict[str, dict[str, int]] = {}


class LightQuality(_Light, kw_only=True):
    conversations: int = 0
    task_completion: dict[str, int] = {}
    mean_collaboration_score: float = 0.0
    mean_response_effectiveness: float | None = None
    # Conversations per collaboration-score band ("0.0-0.2" ... "0.8-1.0").
    collaboration_bands: dict[str, int] = {}
    failures: LightFailures = msgspec.field(default_factory=LightFailures)


class LightPrivacy(_Light, kw_only=True):
    enabled: bool = True
    total: int = 0
    counts: dict[str, int] = {}
    messages_affected: int = 0
    conversations_affected: int = 0
    operators: dict[str, str] = {}
    best_effort_types: list[str] = []


class LightResults(_Light, kw_only=True):
    """The summary-level results of one analysis (fields of the seed contract first)."""

    schema_version: int = RESULTS_SCHEMA_VERSION
    engine_version: str = ""
    generated_at: datetime | None = None
    options: AnalysisOptionsUsed = msgspec.field(default_factory=AnalysisOptionsUsed)
    summary: Summary = msgspec.field(default_factory=Summary)
    topics: LightTopics | None = None
    sentiment: LightSentiment | None = None
    quality: LightQuality | None = None
    temporal: Temporal | None = None
    privacy: LightPrivacy | None = None
    charts: list[Chart] = []
    # Vendors and models side by side, and the usage estimate (both summary-sized).
    comparison: Comparison | None = None
    usage: Usage | None = None
    languages: LightLanguages | None = None


class ResultPage(_Light, kw_only=True):
    """One paginated collection of an analysis: where it is and how many items it has."""

    url: str
    total: int


def _topic(topic: Topic) -> LightTopic:
    return LightTopic(
        id=topic.id,
        label=topic.label,
        kind=topic.kind,
        top_terms=topic.top_terms,
        conversations=topic.conversations,
        share=topic.share,
        monthly=topic.monthly,
    )


def collaboration_band(score: float) -> str:
    """The band of a collaboration score in [0, 1] ("0.0-0.2" ... "0.8-1.0")."""
    low = min(4, max(0, int(score * 5)))
    return f"{low / 5:.1f}-{(low + 1) / 5:.1f}"


def light_results(results: AnalysisResults) -> LightResults:
    """The summary-level view of ``results`` (no per-conversation or per-message lists)."""
    summary = msgspec.structs.replace(results.summary, empty_conversation_ids=[])
    topics = None
    if results.topics is not None:
        topics = LightTopics(
            taxonomy=[_topic(t) for t in results.topics.taxonomy],
            learned=[_topic(t) for t in results.topics.learned],
        )
    sentiment = None
    if results.sentiment is not None:
        s = results.sentiment
        labels: dict[str, int] = {}
        for row in s.by_conversation:
            labels[row.label] = labels.get(row.label, 0) + 1
        sentiment = LightSentiment(
            model=s.model,
            messages=s.messages,
            mean_compound=s.mean_compound,
            labels=s.labels,
            flags=s.flags,
            monthly=s.monthly,
            conversation_labels=labels,
            languages=s.languages,
            not_scored=s.not_scored,
            not_scored_by_language=s.not_scored_by_language,
            coverage=s.coverage,
        )
    quality = None
    if results.quality is not None:
        q = results.quality
        f = q.failures
        bands: dict[str, int] = {}
        for conv in q.conversations:
            band = collaboration_band(conv.collaboration_score)
            bands[band] = bands.get(band, 0) + 1
        quality = LightQuality(
            conversations=len(q.conversations),
            task_completion=q.task_completion,
            mean_collaboration_score=q.mean_collaboration_score,
            mean_response_effectiveness=q.mean_response_effectiveness,
            collaboration_bands=dict(sorted(bands.items())),
            failures=LightFailures(
                total=f.total,
                assistant_messages=f.assistant_messages,
                assistant_messages_with_failure=f.assistant_messages_with_failure,
                failure_rate=f.failure_rate,
                by_type=f.by_type,
                by_severity=f.by_severity,
                by_type_and_severity=f.by_type_and_severity,
            ),
        )
    privacy = None
    if results.privacy is not None:
        p = results.privacy
        privacy = LightPrivacy(
            enabled=p.enabled,
            total=p.total,
            counts=p.counts,
            messages_affected=p.messages_affected,
            conversations_affected=p.conversations_affected,
            operators=p.operators,
            best_effort_types=p.best_effort_types,
        )
    return LightResults(
        schema_version=results.schema_version,
        engine_version=results.engine_version,
        generated_at=results.generated_at,
        options=results.options,
        summary=summary,
        topics=topics,
        sentiment=sentiment,
        quality=quality,
        temporal=results.temporal,
        privacy=privacy,
        charts=results.charts,
        comparison=results.comparison,
        usage=results.usage,
        languages=light_languages(results),
    )


def light_languages(results: AnalysisResults) -> LightLanguages | None:
    """The languages section without its per-conversation list."""
    section = results.languages
    if section is None:
        return None
    return LightLanguages(
        detector=section.detector,
        supported=section.supported,
        messages=section.messages,
        conversations=section.conversations,
        coverage=section.coverage,
    )


def page_totals(results: AnalysisResults, messages: int | None = None) -> dict[str, int]:
    """How many items each paginated collection behind ``results`` holds (the gateway
    names their URLs); ``messages``: the records of a message index kept apart from
    ``results`` (the analyzer stores it without decoding it)."""
    findings = results.quality.failures.findings if results.quality else []
    privacy = results.privacy.findings if results.privacy else []
    return {
        "conversations": results.summary.conversations,
        "messages": len(results.message_index) if messages is None else messages,
        "failures": len(findings),
        "privacy_findings": len(privacy),
    }


class LightBundle(_Light, kw_only=True):
    """What the analyzer stores beside the results: the light document and the page
    totals, so the first dashboard after a job needs no decoding of the whole results
    (seconds for a large export)."""

    results: LightResults
    totals: dict[str, int] = {}


def encode_light_bundle(results: AnalysisResults, messages: int | None = None) -> bytes:
    """The light bundle of ``results`` as msgpack (``messages``: as in :func:`page_totals`)."""
    return msgspec.msgpack.encode(
        LightBundle(results=light_results(results), totals=page_totals(results, messages))
    )


_BUNDLE = msgspec.msgpack.Decoder(LightBundle)


def decode_light_bundle(data: bytes | bytearray | memoryview) -> LightBundle:
    """The light bundle from :func:`encode_light_bundle`'s bytes."""
    return _BUNDLE.decode(data)
