"""The redaction of an incremental analysis: only the texts with a recorded detection.

``redact_corpus_in_place`` visits every free text of a corpus, in reading order. When
the detections of every text are already known (recorded for a conversation whose raw
content is unchanged, or scanned just now), a text without one changes nothing and
numbers no placeholder: only the texts with a detection need a visit, in the same
order. :func:`redact_detected` visits those, in place, and returns the report the whole
walk returns (findings tallied in the same order, placeholders numbered alike).

The order of a conversation's texts is that of
:func:`~convoscope_analyzer.privacy.text_fields.text_slots`, the one walk the whole
redaction makes too (empty texts are not visited: they have no recorded entry).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

from convoscope_analyzer.privacy import PrivacyConfig
from convoscope_analyzer.privacy.corpus_redaction import privacy_report
from convoscope_analyzer.privacy.entities import BEST_EFFORT_TYPES
from convoscope_analyzer.privacy.text_fields import RedactText, put, slots_at
from convoscope_analyzer.shard_redaction import Recorded, ReplayRedactor
from convoscope_common.corpus import Conversation, Project
from convoscope_common.results import PrivacyReport

# Call the checkpoint once per this many conversations.
_CHECK_EVERY = 50


def redact_detected(
    conversations: Sequence[Conversation],
    recorded: Sequence[list[Recorded]],
    projects: Sequence[Project],
    privacy: PrivacyConfig,
    *,
    checkpoint: Callable[[], None] | None = None,
    visited: list[list[str]] | None = None,
) -> PrivacyReport:
    """Redact, in place, the texts of ``conversations`` whose ``recorded`` entries (one
    list per conversation, one entry per non-empty text in visiting order) hold a
    detection, then the ``projects`` (detected now, numbered after every conversation).

    Returns the report ``redact_corpus_in_place`` returns for the same corpus. Raises
    ``RuntimeError`` when a recorded entry does not belong to its text (checksum) or a
    conversation has fewer texts than entries. ``visited``, when given, gets one list per
    conversation: the texts its visited positions hold afterwards, in visiting order.
    """
    feed = (r for found in recorded for r in found if r.detections)
    redactor = ReplayRedactor(privacy, feed)
    findings: Counter[tuple[str, str, str, str]] = Counter()

    def redact(value: str, cid: str, mid: str, field: str) -> str:
        redacted, detections = redactor.redact_text(value)
        for d in detections:
            findings[(cid, mid, d.entity_type, field)] += 1
        return redacted

    for n, (conversation, found) in enumerate(zip(conversations, recorded, strict=True)):
        targets = [k for k, entry in enumerate(found) if entry.detections]
        texts: list[str] = []
        if targets:
            _redact_conversation(conversation, targets, redact, texts)
        if visited is not None:
            visited.append(texts)
        if checkpoint is not None and n % _CHECK_EVERY == _CHECK_EVERY - 1:
            checkpoint()
    if next(feed, None) is not None:
        raise RuntimeError("recorded detections are out of step with the redaction")
    for project in projects:
        if project.name:
            project.name = redact(project.name, "", "", "project")
    return privacy_report(findings, privacy.effective_operators(), list(BEST_EFFORT_TYPES))


def _redact_conversation(
    conversation: Conversation, targets: list[int], redact: RedactText, texts: list[str]
) -> None:
    """Redact the texts at ``targets`` (ascending visiting positions) of one conversation,
    appending each text as it is left to ``texts``; the walk stops after the last one."""
    cid = conversation.id
    for value, mid, field, where in slots_at(conversation, targets):
        redacted = redact(value, cid, mid, field)
        if redacted is not value:
            put(where, redacted)
        texts.append(redacted)
