"""The redaction of a sharded analysis: detections recorded in shards, replayed in order.

1. **detect** (per shard, costly): :func:`record_detections` records the personal-data
   detections of every text of a range, in the order the redaction visits them;
2. **replay** (once, cheap): :class:`RangeRedaction` redacts the ranges in corpus order
   with one :class:`ReplayRedactor`, so placeholders are numbered across the whole corpus
   exactly as one process numbers them (``<EMAIL_1>`` is the first address of the
   corpus, whichever shard it lies in), and tallies the findings into the report
   ``redact_corpus`` makes in one pass.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import msgspec

from convoscope_analyzer.privacy import Detection, PrivacyConfig, Redactor, redact_corpus_in_place
from convoscope_analyzer.privacy.corpus_redaction import privacy_report
from convoscope_common.corpus import Corpus, Project
from convoscope_common.results import PrivacyReport


class Recorded(msgspec.Struct, array_like=True):
    """The detections of one text, with a checksum of the text they belong to."""

    checksum: int
    detections: list[Detection]


def _checksum(text: str) -> int:
    # Stable across processes (``hash`` is salted per process): shards may run anywhere.
    return zlib.crc32(text.encode("utf-8", "surrogatepass")) ^ (len(text) << 32)


class _RecordingRedactor(Redactor):
    """Detects, records, and changes nothing."""

    def __init__(self, config: PrivacyConfig) -> None:
        super().__init__(config)
        self.recorded: list[Recorded] = []

    def redact_text(self, text: str) -> tuple[str, list[Detection]]:
        self.recorded.append(Recorded(_checksum(text), self.detect(text)))
        return text, []


class ReplayRedactor(Redactor):
    """A :class:`Redactor` whose detections were recorded by the shards, in visiting order.

    Texts after the recorded ones (project names, which follow the conversations) are
    detected here. A text whose checksum does not match fails loudly instead of
    redacting the wrong spans.
    """

    def __init__(self, config: PrivacyConfig, recorded: Iterator[Recorded]) -> None:
        super().__init__(config)
        self._recorded = recorded

    def detect(self, text: str) -> list[Detection]:
        entry = next(self._recorded, None)
        if entry is None:
            return super().detect(text)
        if entry.checksum != _checksum(text):
            raise RuntimeError("shard detections are out of step with the redaction")
        return entry.detections


def record_detections(
    corpus: Corpus, config: PrivacyConfig, start: int, end: int
) -> list[Recorded]:
    """The detections of every text of conversations[start:end], in redaction order.

    The corpus is not changed (the conversations are copied shallowly and nothing is
    replaced)."""
    part = msgspec.structs.replace(
        corpus, conversations=corpus.conversations[start:end], projects=[]
    )
    recorder = _RecordingRedactor(config)
    redact_corpus_in_place(part, config, redactor=recorder)
    return recorder.recorded


class _Feed:
    """The recorded detections handed to the replaying redactor, range by range."""

    def __init__(self) -> None:
        self._items: Iterator[Recorded] = iter(())

    def load(self, recorded: list[Recorded]) -> None:
        self._items = iter(recorded)

    def __iter__(self) -> Iterator[Recorded]:
        return self

    def __next__(self) -> Recorded:
        return next(self._items)


class RangeRedaction:
    """The replayed redaction of a whole corpus, one range at a time, in corpus order.

    Placeholders are numbered across ranges (one redactor) and the findings are tallied
    in visiting order, so the report equals the one ``redact_corpus`` makes in one pass.
    """

    def __init__(self, privacy: PrivacyConfig) -> None:
        self.privacy = privacy
        self.feed = _Feed()
        self.redactor = ReplayRedactor(privacy, self.feed)
        self.findings: dict[tuple[str, str, str, str], int] = {}
        self.operators: dict[str, str] = {}
        self.best_effort: list[str] = []

    def range(self, part: Corpus, recorded: list[Recorded]) -> None:
        """Redact ``part`` (the next range, no projects) in place with its shard's
        detections; raises ``RuntimeError`` when they do not match its texts."""
        self.feed.load(recorded)
        self._tally(redact_corpus_in_place(part, self.privacy, redactor=self.redactor))
        if next(self.feed, None) is not None:
            raise RuntimeError("shard detections are out of step with the redaction")

    def projects(self, projects: list[Project]) -> None:
        """Redact the projects in place (numbered after every conversation)."""
        self._tally(
            redact_corpus_in_place(Corpus(projects=projects), self.privacy, redactor=self.redactor)
        )

    def report(self) -> PrivacyReport:
        """The privacy report of everything redacted so far."""
        return privacy_report(self.findings, self.operators, self.best_effort)

    def _tally(self, report: PrivacyReport) -> None:
        self.operators, self.best_effort = report.operators, report.best_effort_types
        for f in report.findings:
            key = (f.conversation_id, f.message_id, f.entity_type, f.field)
            self.findings[key] = self.findings.get(key, 0) + f.count
