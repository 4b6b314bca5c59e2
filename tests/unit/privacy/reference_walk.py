"""The corpus redaction's field walk as it was before the one walk of text_fields.py: the
reference of test_one_walk.py and bench/bench_privacy_walk.py.

Frozen copy of ``corpus_redaction`` as it walked a conversation itself (a dict of
redacted values per message, every list field rebuilt), beside the incremental
redaction's own copy of the order (``text_slots``); the two are now one walk. Not used
by the service.
"""

from __future__ import annotations

from collections import Counter

import msgspec

from convoscope_analyzer.privacy.config import PrivacyConfig
from convoscope_analyzer.privacy.corpus_redaction import privacy_report
from convoscope_analyzer.privacy.entities import BEST_EFFORT_TYPES
from convoscope_analyzer.privacy.redactor import Redactor
from convoscope_common.corpus import (
    Attachment,
    Citation,
    Conversation,
    Corpus,
    Message,
    ToolResult,
)
from convoscope_common.results import PrivacyReport


class ReferenceRedactor:
    def __init__(self, config: PrivacyConfig, redactor: Redactor | None = None) -> None:
        self.redactor = redactor or Redactor(config)
        self.findings: Counter[tuple[str, str, str, str]] = Counter()

    def text(self, value: str, conversation_id: str, message_id: str, field: str) -> str:
        if not value:
            return value
        redacted, detections = self.redactor.redact_text(value)
        for d in detections:
            self.findings[(conversation_id, message_id, d.entity_type, field)] += 1
        return redacted

    def optional(self, value: str | None, cid: str, mid: str, field: str) -> str | None:
        return None if value is None else self.text(value, cid, mid, field)

    def message_changes(self, m: Message, cid: str) -> dict[str, object]:
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

    def report(self, config: PrivacyConfig) -> PrivacyReport:
        return privacy_report(self.findings, config.effective_operators(), list(BEST_EFFORT_TYPES))


def reference_redact_corpus(
    corpus: Corpus, config: PrivacyConfig, redactor: Redactor | None = None
) -> tuple[Corpus, PrivacyReport]:
    """The old ``redact_corpus``: a new corpus, every message rebuilt."""
    worker = ReferenceRedactor(config, redactor)
    conversations: list[Conversation] = []
    for conv in corpus.conversations:
        cid = conv.id
        title = worker.optional(conv.title, cid, "", "title")
        project = worker.optional(conv.project, cid, "", "title")
        messages = [
            msgspec.structs.replace(m, **worker.message_changes(m, cid)) for m in conv.messages
        ]
        conversations.append(
            msgspec.structs.replace(conv, title=title, project=project, messages=messages)
        )
    projects = [
        msgspec.structs.replace(p, name=worker.optional(p.name, "", "", "project"))
        for p in corpus.projects
    ]
    redacted = msgspec.structs.replace(corpus, conversations=conversations, projects=projects)
    return redacted, worker.report(config)


def reference_redact_in_place(
    corpus: Corpus, config: PrivacyConfig, redactor: Redactor | None = None
) -> PrivacyReport:
    """The old ``redact_corpus_in_place``."""
    worker = ReferenceRedactor(config, redactor)
    for conv in corpus.conversations:
        cid = conv.id
        conv.title = worker.optional(conv.title, cid, "", "title")
        conv.project = worker.optional(conv.project, cid, "", "title")
        for m in conv.messages:
            for name, value in worker.message_changes(m, cid).items():
                setattr(m, name, value)
    for p in corpus.projects:
        p.name = worker.optional(p.name, "", "", "project")
    return worker.report(config)
