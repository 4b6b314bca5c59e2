"""The result of detection: where a value is, never the value itself."""

from __future__ import annotations

import msgspec


class Detection(msgspec.Struct, frozen=True):
    """A detected span ``text[start:end]`` of ``entity_type``.

    ``kind`` refines the type (``"aws_access_key"``, ``"jwt"``...) and never holds
    any part of the value.
    """

    entity_type: str
    start: int
    end: int
    kind: str = ""
    # Higher wins when two detections overlap (see scanner.resolve_overlaps).
    priority: int = 0

    @property
    def length(self) -> int:
        """Number of characters covered."""
        return self.end - self.start
