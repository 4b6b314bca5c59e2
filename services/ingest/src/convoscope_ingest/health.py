"""Collects the parse-health report while normalising (pure bookkeeping)."""

from __future__ import annotations

from collections import Counter

from convoscope_common.corpus import ParseHealth, SkippedItem

# The detailed list is capped so a file with a million bad items stays small;
# the counts by reason are always complete.
MAX_SKIPPED_DETAILS = 200


class HealthRecorder:
    """Counts parsed and skipped items, unknown block types, hidden and abandoned messages.

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

    def parsed(self, count: int = 1) -> None:
        """Count items the corpus keeps."""
        self.items_parsed += count

    def skip(self, item: str, reason: str, detail: str | None = None) -> None:
        """Count an item that was dropped; ``reason`` is the category, ``detail`` the specifics."""
        self.skipped_reasons[reason] += 1
        if len(self.skipped) < MAX_SKIPPED_DETAILS:
            text = reason if detail is None else f"{reason}: {detail}"
            self.skipped.append(SkippedItem(item=item, reason=text))

    def unknown_block(self, block_type: str) -> None:
        """Count a content-block type the parser does not know."""
        self.unknown_block_types[block_type or "(no type)"] += 1

    def file_read(self, name: str) -> None:
        """Record a file (or ZIP member) the export was read from."""
        self.files_read.append(name)

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
        )
