"""``redact_corpus``: a new corpus with every free-text field redacted, and the report."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping

import msgspec

from convoscope_analyzer.privacy.config import PrivacyConfig
from convoscope_analyzer.privacy.entities import BEST_EFFORT_TYPES
from convoscope_analyzer.privacy.redactor import Redactor
from convoscope_common.aggregates.sections import privacy_totals
from convoscope_common.corpus import (
    Attachment,
    Citation,
    Conversation,
    Corpus,
    Message,
    ToolResult,
)
from convoscope_common.results import PrivacyFinding, PrivacyReport

# Call checkpoint/progress at most once per this many messages (and at the end).
REPORT_EVERY_MESSAGES = 500

_FindingKey = tuple[str, str, str, str]  # conversation id, message id, entity type, field


class _Tally:
    """Counts detections of one corpus; holds ids and types only, never values."""

    def __init__(self) -> None:
        # The report's totals are counted from these (see privacy_totals).
        self.findings: Counter[_FindingKey] = Counter()


class _CorpusRedactor:
    def __init__(self, config: PrivacyConfig, redactor: Redactor | None = None) -> None:
        self.redactor = redactor or Redactor(config)
        self.tally = _Tally()

    def text(self, value: str, conversation_id: str, message_id: str, field: str) -> str:
        if not value:
            return value
        redacted, detections = self.redactor.redact_text(value)
        findings = self.tally.findings
        for d in detections:
            findings[(conversation_id, message_id, d.entity_type, field)] += 1
        return redacted

    def optional(self, value: str | None, cid: str, mid: str, field: str) -> str | None:
        return None if value is None else self.text(value, cid, mid, field)

    def message(self, m: Message, cid: str) -> Message:
        return msgspec.structs.replace(m, **self.message_changes(m, cid))

    def message_changes(self, m: Message, cid: str) -> dict[str, object]:
        """The redacted values of a message's free-text fields, by field name."""
        t = self.text
        mid = m.id
        changes: dict[str, object] = {"text": t(m.text, cid, mid, "text")}
        if m.thinking:
            changes["thinking"] = [t(x, cid, mid, "thinking") for x in m.thinking]
        if m.tool_uses:
            changes["tool_uses"] = [
                msgspec.structs.replace(u, input_json=t(u.input_json, cid, mid, "tool"))
                for u in m.tool_uses
            ]
        if m.tool_results:
            changes["tool_results"] = [self._tool_result(r, cid, mid) for r in m.tool_results]
        if m.attachments:
            changes["attachments"] = [self._attachment(a, cid, mid) for a in m.attachments]
        if m.files:
            changes["files"] = [t(f, cid, mid, "attachment") for f in m.files]
        if m.citations:
            changes["citations"] = [self._citation(c, cid, mid) for c in m.citations]
        return changes

    def _tool_result(self, r: ToolResult, cid: str, mid: str) -> ToolResult:
        return msgspec.structs.replace(r, text=self.text(r.text, cid, mid, "tool"))

    def _attachment(self, a: Attachment, cid: str, mid: str) -> Attachment:
        return msgspec.structs.replace(
            a,
            file_name=self.text(a.file_name, cid, mid, "attachment"),
            extracted_text=self.text(a.extracted_text, cid, mid, "attachment"),
        )

    def _citation(self, c: Citation, cid: str, mid: str) -> Citation:
        return msgspec.structs.replace(
            c,
            url=self.optional(c.url, cid, mid, "text"),
            title=self.optional(c.title, cid, mid, "text"),
        )


def redact_corpus(
    corpus: Corpus,
    config: PrivacyConfig,
    *,
    checkpoint: Callable[[], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
    redactor: Redactor | None = None,
) -> tuple[Corpus, PrivacyReport]:
    """Return a NEW corpus with all free text redacted, and the privacy report.

    Redacted: conversation titles and project names, message text, thinking, tool inputs
    and results, attachment names and extracted text, file names, citation titles
    and URLs. ``checkpoint()`` is called regularly (it may raise to cancel);
    ``progress(done, total)`` counts messages. The input corpus is not modified.
    The report holds counts and ids, never a detected value. ``redactor`` replaces the
    default ``Redactor(config)`` (one fresh instance per corpus).
    """
    worker = _CorpusRedactor(config, redactor)
    conversations: list[Conversation] = []

    def redact_conversation(conv: Conversation) -> int:
        cid = conv.id
        # Title first: placeholders are numbered in reading order.
        title = worker.optional(conv.title, cid, "", "title")
        project = worker.optional(conv.project, cid, "", "title")
        messages = [worker.message(m, cid) for m in conv.messages]
        conversations.append(
            msgspec.structs.replace(conv, title=title, project=project, messages=messages)
        )
        return len(messages)

    _walk(corpus, redact_conversation, checkpoint, progress)
    projects = [
        msgspec.structs.replace(p, name=worker.optional(p.name, "", "", "project"))
        for p in corpus.projects
    ]
    redacted = msgspec.structs.replace(corpus, conversations=conversations, projects=projects)
    return redacted, _report(worker, config)


def redact_corpus_in_place(
    corpus: Corpus,
    config: PrivacyConfig,
    *,
    checkpoint: Callable[[], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
    redactor: Redactor | None = None,
) -> PrivacyReport:
    """Redact ``corpus`` itself, exactly as :func:`redact_corpus` would, and return the report.

    For a caller that owns the corpus and needs only its redacted form: no second copy
    of every message exists, and each original value is freed once replaced. If
    ``checkpoint()`` raises, the corpus is left partly redacted.
    """
    worker = _CorpusRedactor(config, redactor)

    def redact_conversation(conv: Conversation) -> int:
        cid = conv.id
        # Title first: placeholders are numbered in reading order.
        conv.title = worker.optional(conv.title, cid, "", "title")
        conv.project = worker.optional(conv.project, cid, "", "title")
        for m in conv.messages:
            for name, value in worker.message_changes(m, cid).items():
                setattr(m, name, value)
        return len(conv.messages)

    _walk(corpus, redact_conversation, checkpoint, progress)
    for p in corpus.projects:
        p.name = worker.optional(p.name, "", "", "project")
    return _report(worker, config)


def _walk(
    corpus: Corpus,
    redact_conversation: Callable[[Conversation], int],
    checkpoint: Callable[[], None] | None,
    progress: Callable[[int, int], None] | None,
) -> None:
    """Redact every conversation in order, with checkpoints and progress by messages."""
    total = sum(len(c.messages) for c in corpus.conversations)
    done = 0
    since_report = 0
    for conv in corpus.conversations:
        redacted = redact_conversation(conv)
        done += redacted
        since_report += redacted
        if since_report >= REPORT_EVERY_MESSAGES:
            since_report = 0
            if checkpoint is not None:
                checkpoint()
            if progress is not None:
                progress(done, total)
    if progress is not None:
        progress(done, total)


def _report(worker: _CorpusRedactor, config: PrivacyConfig) -> PrivacyReport:
    return privacy_report(
        worker.tally.findings, config.effective_operators(), list(BEST_EFFORT_TYPES)
    )


def privacy_report(
    counts: Mapping[_FindingKey, int],
    operators: dict[str, str],
    best_effort: list[str],
) -> PrivacyReport:
    """The privacy report of finding counts keyed (conversation, message, type, field)."""
    findings = [
        PrivacyFinding(
            conversation_id=cid,
            message_id=mid,
            entity_type=entity_type,
            field=field,  # type: ignore[arg-type]
            count=count,
        )
        for (cid, mid, entity_type, field), count in counts.items()
    ]
    # Counted from the findings by the shared aggregate, as a filtered export recounts them.
    totals = privacy_totals(findings)
    return PrivacyReport(
        enabled=True,
        total=totals.total,
        counts=totals.counts,
        messages_affected=totals.messages_affected,
        conversations_affected=totals.conversations_affected,
        operators=operators,
        best_effort_types=best_effort,
        findings=findings,
    )
