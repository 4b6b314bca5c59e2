"""The shard redaction's walks as they were before issue #12: the reference of
test_shard_redaction_walks.py and of bench/bench_privacy_scan.py.

Frozen copy of ``record_detections`` and ``RangeRedaction.range`` when both went
through ``redact_corpus_in_place`` with a redactor that recorded, or replayed, the
detections of each text (five Python calls per text, every text of the corpus). Not used
by the service.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import msgspec

from convoscope_analyzer.privacy import Detection, PrivacyConfig, Redactor, redact_corpus_in_place
from convoscope_analyzer.privacy.corpus_redaction import privacy_report
from convoscope_analyzer.shard_redaction import Recorded, _checksum
from convoscope_common.corpus import Corpus, Project
from convoscope_common.results import PrivacyReport

Scan = Callable[..., list[Detection]]


class _RecordingRedactor(Redactor):
    def __init__(self, config: PrivacyConfig, scan: Scan | None) -> None:
        super().__init__(config)
        self.recorded: list[Recorded] = []
        self._scan = scan

    def redact_text(self, text: str) -> tuple[str, list[Detection]]:
        self.recorded.append(Recorded(_checksum(text), self.detect(text)))
        return text, []

    def detect(self, text: str) -> list[Detection]:
        if self._scan is None:
            return super().detect(text)
        return self._scan(
            text, region=self.config.default_region, detect_names=self.config.detect_names
        )


class _ReplayRedactor(Redactor):
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
    corpus: Corpus, config: PrivacyConfig, start: int, end: int, scan: Scan | None = None
) -> list[Recorded]:
    """shard_redaction.record_detections before; ``scan`` replaces ``scanner.detect``
    (the bench passes the frozen scan of reference_detect.py)."""
    part = msgspec.structs.replace(
        corpus, conversations=corpus.conversations[start:end], projects=[]
    )
    recorder = _RecordingRedactor(config, scan)
    redact_corpus_in_place(part, config, redactor=recorder)
    return recorder.recorded


class _Feed:
    def __init__(self) -> None:
        self._items: Iterator[Recorded] = iter(())

    def load(self, recorded: list[Recorded]) -> None:
        self._items = iter(recorded)

    def __iter__(self) -> Iterator[Recorded]:
        return self

    def __next__(self) -> Recorded:
        return next(self._items)


class RangeRedaction:
    """shard_redaction.RangeRedaction before."""

    def __init__(self, privacy: PrivacyConfig) -> None:
        self.privacy = privacy
        self.feed = _Feed()
        self.redactor = _ReplayRedactor(privacy, self.feed)
        self.findings: dict[tuple[str, str, str, str], int] = {}
        self.operators: dict[str, str] = {}
        self.best_effort: list[str] = []

    def range(self, part: Corpus, recorded: list[Recorded]) -> None:
        self.feed.load(recorded)
        self._tally(redact_corpus_in_place(part, self.privacy, redactor=self.redactor))
        if next(self.feed, None) is not None:
            raise RuntimeError("shard detections are out of step with the redaction")

    def projects(self, projects: list[Project]) -> None:
        self._tally(
            redact_corpus_in_place(Corpus(projects=projects), self.privacy, redactor=self.redactor)
        )

    def report(self) -> PrivacyReport:
        return privacy_report(self.findings, self.operators, self.best_effort)

    def _tally(self, report: PrivacyReport) -> None:
        self.operators, self.best_effort = report.operators, report.best_effort_types
        for f in report.findings:
            key = (f.conversation_id, f.message_id, f.entity_type, f.field)
            self.findings[key] = self.findings.get(key, 0) + f.count
