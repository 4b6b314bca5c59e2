"""Response types of the paginated browsing routes (conversations, messages, findings,
my uploads and analyses). Every page has ``items``, ``total`` (matching the query),
``limit`` and ``next_cursor`` (absent on the last page)."""

from __future__ import annotations

from datetime import datetime

import msgspec

from convoscope_common.records import JobStatus
from convoscope_common.results import (
    ConversationQuality,
    ConversationSentiment,
    Failure,
    PrivacyFinding,
    SentimentLabel,
    TaskCompletion,
    TopicScore,
)
from convoscope_common.wire import FileMetadata


class _View(msgspec.Struct, kw_only=True, omit_defaults=False):
    """Base: keyword-only, every field always serialised."""


class ConversationRow(_View, kw_only=True):
    """One conversation of an analysis with its markers (title redacted unless include_pii)."""

    conversation_id: str
    title: str | None = None
    source: str = "claude"
    model: str | None = None
    project: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    messages: int = 0
    user_messages: int = 0
    assistant_messages: int = 0
    first_date: str | None = None
    last_date: str | None = None
    topics: list[str] = []
    sentiment: SentimentLabel | None = None
    sentiment_delta: float | None = None
    task_completion: TaskCompletion | None = None
    collaboration_score: float | None = None
    failures: int = 0
    privacy_findings: int = 0
    abandoned_branches: int = 0
    abandoned_messages: int = 0


class MessageSentimentView(_View, kw_only=True):
    compound: float
    label: SentimentLabel
    urgent: bool = False
    questioning: bool = False
    collaborative: bool = False


class MessageRow(_View, kw_only=True):
    """One visible message (text redacted unless include_pii) with its markers."""

    conversation_id: str
    message_id: str
    role: str
    created_at: datetime | None = None
    date: str | None = None
    weekday: int | None = None
    hour: int | None = None
    words: int = 0
    model: str | None = None
    text: str = ""
    sentiment: MessageSentimentView | None = None
    failure_ids: list[str] = []
    # Other versions of this message on branches the user left (regenerations, edits).
    abandoned_alternatives: int = 0


class MessageDetail(MessageRow, kw_only=True):
    """A message in the conversation view: its row plus what was folded into it."""

    thinking: list[str] = []
    tools: list[str] = []
    tool_errors: int = 0
    attachments: list[str] = []
    files: list[str] = []
    citations: int = 0
    privacy: dict[str, int] = {}


class ConversationDetail(_View, kw_only=True):
    """One conversation: its row, its per-conversation results and a page of messages."""

    conversation: ConversationRow
    topic_scores: list[TopicScore] = []
    sentiment: ConversationSentiment | None = None
    quality: ConversationQuality | None = None
    failures: list[Failure] = []
    privacy: dict[str, int] = {}
    messages: list[MessageDetail] = []
    total_messages: int = 0
    limit: int = 0
    next_cursor: str | None = None


class ConversationPage(_View, kw_only=True):
    items: list[ConversationRow] = []
    total: int = 0
    limit: int = 0
    next_cursor: str | None = None


class MessagePage(_View, kw_only=True):
    items: list[MessageRow] = []
    total: int = 0
    limit: int = 0
    next_cursor: str | None = None


class FailurePage(_View, kw_only=True):
    items: list[Failure] = []
    total: int = 0
    limit: int = 0
    next_cursor: str | None = None


class PrivacyFindingPage(_View, kw_only=True):
    items: list[PrivacyFinding] = []
    total: int = 0
    limit: int = 0
    next_cursor: str | None = None


class UploadRow(_View, kw_only=True):
    file_id: str
    file_hash: str
    filename: str = ""
    metadata: FileMetadata
    created_at: datetime
    expires_at: datetime | None = None
    analyses: int = 0


class UploadPage(_View, kw_only=True):
    items: list[UploadRow] = []
    total: int = 0
    limit: int = 0
    next_cursor: str | None = None


class AnalysisRow(_View, kw_only=True):
    job_id: str
    file_id: str
    filename: str = ""
    status: JobStatus
    progress: float = 0.0
    current_step: str = ""
    timezone: str = "UTC"
    enable_privacy: bool = True
    created_at: datetime
    finished_at: datetime | None = None
    from_cache: bool = False


class AnalysisPage(_View, kw_only=True):
    items: list[AnalysisRow] = []
    total: int = 0
    limit: int = 0
    next_cursor: str | None = None
