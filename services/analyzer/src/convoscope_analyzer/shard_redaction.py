"""The redaction of a sharded analysis: detections recorded in shards, replayed in order.

1. **detect** (per shard, costly): :func:`record_detections` records the personal-data
   detections of every text of a range, in the order the redaction visits them;
2. **replay** (once, cheap): :class:`RangeRedaction` redacts the ranges in corpus order
   with one :class:`Redactor`, so placeholders are numbered across the whole corpus
   exactly as one process numbers them (``<EMAIL_1>`` is the first address of the
   corpus, whichever shard it lies in), and tallies the findings into the report
   ``redact_corpus`` makes in one pass.

Both walk the texts with :func:`~.privacy.text_fields.text_slots` themselves (the order
every redaction visits them in) instead of going through ``redact_corpus_in_place``
with a recording or replaying redactor: the replay runs on the coordinating analyzer,
in series with everything else, and most texts have no detection. An incremental
analysis replays through :class:`ReplayRedactor` (it replays only some conversations).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence

import msgspec

from convoscope_analyzer.privacy import Detection, PrivacyConfig, Redactor, redact_corpus_in_place
from convoscope_analyzer.privacy.corpus_redaction import privacy_report
from convoscope_analyzer.privacy.entities import BEST_EFFORT_TYPES
from convoscope_analyzer.privacy.scanner import detect
from convoscope_analyzer.privacy.text_fields import put, slots_at, text_slots
from convoscope_common.corpus import Corpus, Project
from convoscope_common.results import PrivacyReport


class Recorded(msgspec.Struct, array_like=True):
    """The detections of one text, with a checksum of the text they belong to."""

    checksum: int
    detections: list[Detection]


def _checksum(text: str) -> int:
    # Stable across processes (``hash`` is salted per process): shards may run anywhere.
    return zlib.crc32(text.encode("utf-8", "surrogatepass")) ^ (len(text) << 32)


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

    The texts are those :func:`~.privacy.text_fields.text_slots` walks, the walk every
    redaction makes; nothing is changed. (The walk is made here rather than through
    ``redact_corpus_in_place`` with a recording redactor: four calls fewer per text, on
    every text of the corpus.)
    """
    region, names = config.default_region, config.detect_names
    recorded: list[Recorded] = []
    add = recorded.append
    for conversation in corpus.conversations[start:end]:
        for value, _, _, _ in text_slots(conversation):
            add(Recorded(_checksum(value), detect(value, region=region, detect_names=names)))
    return recorded


class TextPatch(msgspec.Struct, array_like=True):
    """One text the replay replaced in a range: its conversation (offset in the range),
    its position in that conversation's walk (``text_slots``), a checksum of the
    original text, and the redacted text."""

    conversation: int
    slot: int
    checksum: int
    text: str


text_patches_decoder = msgspec.msgpack.Decoder(list[TextPatch])
_patches_encoder = msgspec.msgpack.Encoder()


def encode_patches(patches: list[TextPatch]) -> bytes:
    """A range's patches as msgpack (what :data:`text_patches_decoder` reads): one block
    instead of a string object per text while the range waits for its shard."""
    return _patches_encoder.encode(patches)


def apply_patches(part: Corpus, patches: Sequence[TextPatch]) -> None:
    """Redact ``part`` (a range of the original corpus, decoded) in place as the replay
    redacted it, from the ``patches`` :meth:`RangeRedaction.range` returned for it (in
    their order). Raises ``RuntimeError`` when a text is not the one a patch was made
    for."""
    conversations = part.conversations
    at = 0
    while at < len(patches):
        index = patches[at].conversation
        if not 0 <= index < len(conversations):
            raise RuntimeError("a redaction patch is out of step with its range")
        last = at
        while last < len(patches) and patches[last].conversation == index:
            last += 1
        mine = patches[at:last]
        slots = slots_at(conversations[index], (patch.slot for patch in mine))
        for patch, (value, _, _, where) in zip(mine, slots, strict=False):
            if patch.checksum != _checksum(value):
                raise RuntimeError("a redaction patch is out of step with its range")
            put(where, patch.text)
        at = last


class RangeRedaction:
    """The replayed redaction of a whole corpus, one range at a time, in corpus order.

    Placeholders are numbered across ranges (one redactor) and the findings are tallied
    in visiting order, so the report equals the one ``redact_corpus`` makes in one pass.
    With ``patches``, :meth:`range` also returns what it replaced (a shard that holds
    the original range redoes the redaction from them: ``apply_patches``).
    """

    def __init__(self, privacy: PrivacyConfig, *, patches: bool = False) -> None:
        self.privacy = privacy
        self.patches = patches
        # One redactor numbers every placeholder; the projects (which no shard records)
        # are detected by it here.
        self.redactor = Redactor(privacy)
        self.findings: dict[tuple[str, str, str, str], int] = {}
        self.operators: dict[str, str] = privacy.effective_operators()
        self.best_effort: list[str] = list(BEST_EFFORT_TYPES)

    def range(self, part: Corpus, recorded: list[Recorded]) -> list[TextPatch]:
        """Redact ``part`` (the next range, no projects) in place with its shard's
        detections; the texts replaced when ``patches`` was asked for (else none).
        Raises ``RuntimeError`` when the detections do not match its texts.

        What ``redact_corpus_in_place`` does with a :class:`ReplayRedactor`, walked here:
        most texts have no detection, and each costs only its checksum and a comparison.
        """
        entries = iter(recorded)
        redactor = self.redactor
        findings = self.findings
        patches: list[TextPatch] = []
        keep = patches.append if self.patches else None
        for index, conversation in enumerate(part.conversations):
            cid = conversation.id
            for slot, (value, mid, field, where) in enumerate(text_slots(conversation)):
                entry = next(entries, None)
                if entry is None or entry.checksum != _checksum(value):
                    raise RuntimeError("shard detections are out of step with the redaction")
                detections = entry.detections
                if not detections:
                    continue
                for d in detections:
                    key = (cid, mid, d.entity_type, field)
                    findings[key] = findings.get(key, 0) + 1
                redacted = redactor.apply(value, detections)
                if redacted != value:
                    put(where, redacted)
                    if keep is not None:
                        keep(TextPatch(index, slot, entry.checksum, redacted))
        if next(entries, None) is not None:
            raise RuntimeError("shard detections are out of step with the redaction")
        return patches

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
