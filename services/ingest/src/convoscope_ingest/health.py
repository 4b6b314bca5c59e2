"""Collects the parse-health report while normalising (pure bookkeeping).

Every list and every map whose keys come from the file is bounded, so a hostile or
huge export cannot make the reply (NATS payload, file record, API body) grow without
limit: what does not fit is counted, never silently dropped.
"""

from __future__ import annotations

from collections import Counter

from convoscope_common.corpus import ParseHealth, SkippedItem
from convoscope_ingest.timeparse import NOTE_TIME_OUT_OF_RANGE

# The detailed list is capped so a file with a million bad items stays small;
# the counts by reason are always complete.
MAX_SKIPPED_DETAILS = 200
MAX_FILES_LISTED = 200
# Block type names come from the file: at most this many distinct names (of at most
# MAX_NAME_CHARS characters) are listed, the rest are summed under OTHER_TYPES.
MAX_UNKNOWN_TYPES = 50
MAX_NAME_CHARS = 64
OTHER_TYPES = "(other types)"

# Notes ingest writes (the keys of ParseHealth.notes).
__all__ = ["NOTE_TIME_OUT_OF_RANGE", "HealthRecorder", "bounded_name"]
NOTE_NOT_ALTERNATING = "conversations whose roles do not alternate"
NOTE_STARTS_WITH_ASSISTANT = "conversations starting with an assistant message"
NOTE_SIZE_OUT_OF_RANGE = "attachment sizes out of range (dropped)"
NOTE_TIE_ORDER = "conversations where a shared timestamp put the question before its answer"
NOTE_LEAF_MISSING = "current_node missing: newest leaf shown"
NOTE_LEAF_DANGLING = "current_node not in mapping: newest leaf shown"
NOTE_LEAF_EMPTY_BRANCH = "current_node branch has no visible message: newest leaf shown"
NOTE_DANGLING_PARENT = "parent links to a node that is not in the export"


MAX_FILE_NAME_CHARS = 256


def bounded_name(name: str, limit: int = MAX_NAME_CHARS) -> str:
    """A file-supplied name cut to ``limit`` characters."""
    return name if len(name) <= limit else name[: limit - 1] + "…"


class HealthRecorder:
    """Counts parsed and skipped items, unknown block types, hidden and abandoned messages,
    the export shapes met and the decisions taken.

    Items are conversations and messages: each one the corpus keeps counts as parsed,
    each one dropped as unusable counts as skipped, with its reason.
    """

    def __init__(self) -> None:
        self.items_parsed = 0
        self.skipped: list[SkippedItem] = []
        self.skipped_reasons: Counter[str] = Counter()
        self.unknown_block_types: Counter[str] = Counter()
        self.hidden_messages = 0
        self.abandoned_messages = 0
        self.files_read: list[str] = []
        self.files_read_omitted = 0
        self.shapes: Counter[str] = Counter()
        self.notes: Counter[str] = Counter()

    def parsed(self, count: int = 1) -> None:
        """Count items the corpus keeps."""
        self.items_parsed += count

    def skip(self, item: str, reason: str, detail: str | None = None) -> None:
        """Count an item that was dropped; ``reason`` is the category, ``detail`` the specifics."""
        self.skipped_reasons[reason] += 1
        if len(self.skipped) < MAX_SKIPPED_DETAILS:
            text = reason if detail is None else f"{reason}: {detail}"
            self.skipped.append(
                SkippedItem(item=bounded_name(item, MAX_FILE_NAME_CHARS), reason=text)
            )

    def unknown_block(self, block_type: str) -> None:
        """Count a content-block type the parser does not know."""
        name = bounded_name(block_type or "(no type)")
        if name not in self.unknown_block_types and len(self.unknown_block_types) >= (
            MAX_UNKNOWN_TYPES
        ):
            name = OTHER_TYPES
        self.unknown_block_types[name] += 1

    def shape(self, name: str, count: int = 1) -> None:
        """Count an export shape met (``name`` is one of the parser's own labels)."""
        if count:
            self.shapes[name] += count

    def note(self, name: str, count: int = 1) -> None:
        """Count a decision that changed what the corpus says (a NOTE_* label)."""
        if count:
            self.notes[name] += count

    def file_read(self, name: str) -> None:
        """Record a file (or ZIP member) the export was read from."""
        if len(self.files_read) < MAX_FILES_LISTED:
            self.files_read.append(bounded_name(name, MAX_FILE_NAME_CHARS))
        else:
            self.files_read_omitted += 1

    def report(self) -> ParseHealth:
        """The finished report."""
        return ParseHealth(
            items_parsed=self.items_parsed,
            items_skipped=sum(self.skipped_reasons.values()),
            skipped=list(self.skipped),
            skipped_reasons=dict(self.skipped_reasons),
            unknown_block_types=dict(self.unknown_block_types),
            hidden_messages=self.hidden_messages,
            abandoned_messages=self.abandoned_messages,
            files_read=list(self.files_read),
            skipped_omitted=sum(self.skipped_reasons.values()) - len(self.skipped),
            files_read_omitted=self.files_read_omitted,
            shapes=dict(sorted(self.shapes.items())),
            notes=dict(sorted(self.notes.items())),
        )
