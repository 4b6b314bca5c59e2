"""``redact_corpus``: a new corpus with every free-text field redacted, and the report.

The fields and their order are :mod:`~convoscope_analyzer.privacy.text_fields`'s, the
one walk every redaction uses (the incremental one too).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping

import msgspec

from convoscope_analyzer.privacy.config import PrivacyConfig
from convoscope_analyzer.privacy.entities import BEST_EFFORT_TYPES
from convoscope_analyzer.privacy.redactor import Redactor
from convoscope_analyzer.privacy.text_fields import copy_for_redaction, redact_conversation
from convoscope_common.aggregates.sections import privacy_totals
from convoscope_common.corpus import Conversation, Corpus
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
    """Redacts texts with one :class:`Redactor` and tallies what it found."""

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


def redact_corpus(
    corpus: Corpus,
    config: PrivacyConfig,
    *,
    checkpoint: Callable[[], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
    redactor: Redactor | None = None,
) -> tuple[Corpus, PrivacyReport]:
    """Return a NEW corpus with all free text redacted, and the privacy report.

    Redacted: every text :func:`~.text_fields.text_slots` walks (conversation titles and
    project names, message text, thinking, tool inputs and results, attachment names
    and extracted text, file names, citation titles and URLs) and the projects' names.
    ``checkpoint()`` is called regularly (it may raise to cancel); ``progress(done,
    total)`` counts messages. The input corpus is not modified (the redacted corpus
    shares the lists no text of which changed). The report holds counts and ids, never a
    detected value. ``redactor`` replaces the default ``Redactor(config)`` (one fresh
    instance per corpus).
    """
    worker = _CorpusRedactor(config, redactor)
    conversations: list[Conversation] = []

    def redact_one(conv: Conversation) -> int:
        copy = copy_for_redaction(conv)
        redact_conversation(copy, worker.text)
        conversations.append(copy)
        return len(copy.messages)

    _walk(corpus, redact_one, checkpoint, progress)
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

    def redact_one(conv: Conversation) -> int:
        redact_conversation(conv, worker.text)
        return len(conv.messages)

    _walk(corpus, redact_one, checkpoint, progress)
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
